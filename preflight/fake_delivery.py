"""The fake AWS's IAM for the delivery roles (bootstrap/): OpenID Connect providers and the size of policy documents.

Sources: IAM API Reference CreateOpenIDConnectProvider (Url ``https://`` and at most 255 characters, without a port
or query; ClientIDList at most 100 audiences of 1-255 characters; ThumbprintList at most 5, each 40 hexadecimal
characters; a second provider for the same URL in the account is ``EntityAlreadyExists``), IAM User Guide "IAM and
AWS STS quotas" (a managed policy's document at most 6,144 characters; a role's inline policies together at most
10,240, which the fake sums per role; at most 10 managed policies attached to a role; a role's trust policy at most
2,048 by default; whitespace not counted).
"""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import urlparse

from pulumi.output import Unknown

MANAGED_POLICY_MAX = 6_144
INLINE_ROLE_POLICY_MAX = 10_240
TRUST_POLICY_MAX = 2_048
_THUMBPRINT = re.compile(r"^[0-9a-fA-F]{40}$")


class IamApiError(Exception):
    """A request IAM would refuse (the error code first)."""


def _unknown(value) -> bool:
    return isinstance(value, Unknown) or (isinstance(value, str) and value.startswith("04da6b54-"))


def _size(document) -> int | None:
    """Characters IAM counts: the document without whitespace outside strings."""
    if not isinstance(document, str) or _unknown(document):
        return None
    try:
        return len(json.dumps(json.loads(document), separators=(",", ":")))
    except ValueError:
        raise IamApiError("MalformedPolicyDocument: the policy is not valid JSON") from None


def check_policy_size(kind: str, limit: int, key: str = "policy"):
    """Wraps a resource handler: refuse a document above IAM's quota, as the real API does (LimitExceeded)."""
    def wrap(handler):
        def checked(fake, name: str, inputs: dict):
            size = _size(inputs.get(key))
            if size is not None and size > limit:
                raise IamApiError(f"LimitExceeded: Cannot exceed quota for {kind}: {limit} ({name!r} has {size} "
                                  "characters without whitespace)")
            return handler(fake, name, inputs)
        return checked
    return wrap


MAX_MANAGED_POLICIES_PER_ROLE = 10  # IAM quotas: "Managed policies attached to an IAM role", default 10 (max 20)


def _per_role(fake) -> dict:
    """Per role name, within one program run: inline policy sizes by policy, attached managed policy ARNs."""
    return fake.account.__dict__.setdefault("_role_policies", {})


def check_inline_total(handler):
    """A role's inline policies together at most 10,240 characters (IAM quotas, "Role policy size"): a second
    policy that tips the total over is refused like one large policy (LimitExceeded)."""
    def checked(fake, name: str, inputs: dict):
        role, size = inputs.get("role"), _size(inputs.get("policy"))
        if isinstance(role, str) and not _unknown(role) and size is not None:
            sizes = _per_role(fake).setdefault(role, {"inline": {}, "attached": set()})["inline"]
            sizes[name] = size
            total = sum(sizes.values())
            if total > INLINE_ROLE_POLICY_MAX:
                raise IamApiError(f"LimitExceeded: Maximum policy size of {INLINE_ROLE_POLICY_MAX} bytes exceeded "
                                  f"for role {role} ({name!r} brings its inline policies to {total} characters "
                                  "without whitespace)")
        return handler(fake, name, inputs)
    return checked


def check_attachment_count(handler):
    """At most 10 managed policies attached to one role (IAM quotas; adjustable to 20, which this project does
    not assume): the eleventh AttachRolePolicy is LimitExceeded."""
    def checked(fake, name: str, inputs: dict):
        role, arn = inputs.get("role"), inputs.get("policyArn")
        if isinstance(role, str) and not _unknown(role):
            attached = _per_role(fake).setdefault(role, {"inline": {}, "attached": set()})["attached"]
            attached.add(arn if isinstance(arn, str) and not _unknown(arn) else f"unknown:{name}")
            if len(attached) > MAX_MANAGED_POLICIES_PER_ROLE:
                raise IamApiError(f"LimitExceeded: Cannot exceed quota for PoliciesPerRole: "
                                  f"{MAX_MANAGED_POLICIES_PER_ROLE} (role {role}, attachment {name!r})")
        return handler(fake, name, inputs)
    return checked


def oidc_provider(fake, name: str, inputs: dict):
    url = inputs.get("url")
    if isinstance(url, str) and not _unknown(url):
        parsed = urlparse(url)
        if parsed.scheme != "https" or not parsed.hostname or parsed.port or parsed.query or len(url) > 255:
            raise IamApiError(f"ValidationError: Url {url!r}: https://host[/path], at most 255 characters, no port "
                              "or query")
        owners = fake.account.__dict__.setdefault("_oidc_providers", {})
        holder = owners.setdefault(url, (fake_stack(), name))
        if holder != (fake_stack(), name):
            raise IamApiError(f"EntityAlreadyExists: Provider with url {url} already exists (resource {holder[1]!r} "
                              f"of stack {holder[0]!r}): one provider per URL and account; reuse its ARN")
    audiences = inputs.get("clientIdLists") or []
    if not _unknown(audiences):
        if not 1 <= len(audiences) <= 100 or any(not 1 <= len(str(a)) <= 255 for a in audiences):
            raise IamApiError("ValidationError: ClientIDList: 1-100 audiences of 1-255 characters")
    thumbprints = inputs.get("thumbprintLists") or []
    if not _unknown(thumbprints):
        if len(thumbprints) > 5 or any(not _THUMBPRINT.match(str(t)) for t in thumbprints):
            raise IamApiError("ValidationError: ThumbprintList: at most 5, each 40 hexadecimal characters")
    host = urlparse(url).netloc + urlparse(url).path if isinstance(url, str) else name
    arn = fake.arn("iam", f"oidc-provider/{host}", region=False)
    return arn, {"arn": arn, "tagsAll": inputs.get("tags", {}),
                 "thumbprintLists": thumbprints or [hashlib.sha1(host.encode()).hexdigest()]}  # noqa: S324 (a fake)


def fake_stack() -> str:
    import pulumi

    return pulumi.get_stack()


RESOURCES = {
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": oidc_provider,
}
