"""RustFS state as code: the desired state the program publishes for the nodes' reconciler (components/state/; the
schema in rustfs_model/rustfs_state.py). The parameter is read by every node and shown to anyone who may read SSM
parameters, and what it says is applied to RustFS as root: it must be the document the program wrote (its revision),
hold no credential, and give no application's service account more than S3 access."""

from __future__ import annotations

import json

from pulumi_policy import Severity

from rustfs_model import rustfs_state

from ._kit import Res, aws, is_unknown, known_str, resource_policy

PARAMETER = aws("ssm", "Parameter")
_SECRET_ARN = ("arn:aws:secretsmanager:", "arn:aws-us-gov:secretsmanager:", "arn:aws-cn:secretsmanager:")


def state_document(res: Res) -> dict | None:
    """The parameter's value when it is a RustFS state document (``insecureValue``: readable), else None."""
    value = res.get("insecureValue")
    if is_unknown(value) or not isinstance(value, str):
        return None
    try:
        doc = json.loads(value)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and doc.get("kind") == rustfs_state.KIND else None


def _check_state(res: Res, cfg: dict, report) -> None:
    doc = state_document(res)
    if doc is None:
        if (known_str(res.get("name")) or "").endswith("/state/desired") and res.get("value") is not None:
            report(f"Parameter '{res.name}' holds the RustFS state as a secret value: publish it as insecureValue "
                   "(it holds no secret) so this pack and the nodes' operators can read it.")
        return
    if doc.get("revision") != rustfs_state.revision(doc):
        report(f"Parameter '{res.name}': the RustFS state's revision does not match its content; the reconciler "
               "refuses it (publish it through components/state, never by hand).")
    for path in rustfs_state.secret_like(doc):
        report(f"Parameter '{res.name}': {path} looks like a credential; the state names secrets by ARN only.")
    policies = {p.get("name"): p.get("document") for p in doc.get("policies") or [] if not p.get("delete")}
    for a in doc.get("serviceAccounts") or []:
        if a.get("delete"):
            continue
        name = a.get("name")
        if not str(a.get("secretArn", "")).startswith(_SECRET_ARN):
            report(f"Parameter '{res.name}': service account {name!r} names no Secrets Manager secret for its keys.")
        document = policies.get(a.get("policy"))
        if document is None:
            report(f"Parameter '{res.name}': service account {name!r} names policy {a.get('policy')!r}, which the "
                   "state does not declare: without a session policy a root-parented account has root's power.")
        elif rustfs_state.grants_admin(document):
            report(f"Parameter '{res.name}': service account {name!r} would be granted "
                   f"{', '.join(rustfs_state.grants_admin(document))}; an application's account gets S3 access only.")


state = resource_policy(
    "rustfs-ssm-parameter-require-safe-rustfs-state",
    "The RustFS desired state in SSM is the document the program published (its revision holds), names credentials "
    "only by Secrets Manager ARN, and gives each service account a declared policy without admin or sts actions.",
    severity=Severity.HIGH, types=[PARAMETER], check=_check_state, topics=["credentials", "iam"])

POLICIES = [state]
