"""The shape of an SSM document ARN: AWS-owned documents have no account in their ARN, the account's own do.

``arn:aws:ssm:<region>::document/AWS-RunShellScript`` is AWS's; ``arn:aws:ssm:<region>:<account>:document/Mine``
is the account's, such as ``SSM-SessionManagerRunShell``, which Session Manager creates in the account with its
preferences (Systems Manager User Guide, "Sample IAM policies for Session Manager"). A grant whose ARN has the
other shape never matches the document. AWS reserves these name prefixes for its own documents (Systems
Manager API reference, CreateDocument, Name: aws, amazon, amzn, AWSEC2, AWSConfigRemediation, AWSSupport).
"""

from __future__ import annotations

import re

_SSM_DOCUMENT = re.compile(r"^arn:aws[a-z-]*:ssm:(?P<region>[^:]*):(?P<account>[^:]*):document/(?P<name>.+)$")
AWS_DOCUMENT_PREFIXES = ("aws", "amazon", "amzn")


def ssm_document_problem(arn: str) -> str | None:
    """Why an SSM document ARN can never match its document, or None when its shape fits the owner (or it is
    not a document ARN)."""
    match = _SSM_DOCUMENT.match(arn)
    if not match:
        return None
    region, account, name = match["region"], match["account"], match["name"]
    literal = re.split(r"[*?$]", name, maxsplit=1)[0]
    if not region:
        return f"{arn}: documents are regional, the ARN needs a region"
    if literal.lower().startswith(AWS_DOCUMENT_PREFIXES):
        return None if account == "" else f"{arn}: an AWS-owned document's ARN has no account id"
    if not literal:
        return None  # document/* : either owner
    return None if re.fullmatch(r"\d{12}", account) else \
        f"{arn}: {name} is a document of the account (not an AWS-* document): its ARN needs the account id"
