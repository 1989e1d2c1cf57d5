"""Least privilege for every IAM document the program can produce, trust policies, users and attachments."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from json import dumps

from pulumi_policy import Severity

from rustfs_model.service_context import ASSUME_ROLE_CONTEXT, trust_condition_keys, unsent_keys
from rustfs_model.ssm_documents import ssm_document_problem

from . import _iam
from ._iam import Parsed
from ._kit import Res, aws, is_unknown, resource_policy, stack_policy

ROLE = aws("iam", "Role")
ROLE_POLICY = aws("iam", "RolePolicy")
POLICY = aws("iam", "Policy")
USER = aws("iam", "User")
USER_POLICY = aws("iam", "UserPolicy")
GROUP_POLICY = aws("iam", "GroupPolicy")
LOGIN_PROFILE = aws("iam", "UserLoginProfile")
ACCESS_KEY = aws("iam", "AccessKey")
ROLE_ATTACHMENT = aws("iam", "RolePolicyAttachment")
USER_ATTACHMENT = aws("iam", "UserPolicyAttachment")
ATTACHMENTS = [ROLE_ATTACHMENT, USER_ATTACHMENT, aws("iam", "GroupPolicyAttachment"), aws("iam", "PolicyAttachment")]
IDENTITY_DOC_TYPES = [ROLE, ROLE_POLICY, POLICY, USER_POLICY, GROUP_POLICY]

BUCKET_POLICY = aws("s3", "BucketPolicy")
KEY = aws("kms", "Key")
KEY_POLICY = aws("kms", "KeyPolicy")
TOPIC = aws("sns", "Topic")
TOPIC_POLICY = aws("sns", "TopicPolicy")
SECRET = aws("secretsmanager", "Secret")
SECRET_POLICY = aws("secretsmanager", "SecretPolicy")
LOG_RESOURCE_POLICY = aws("cloudwatch", "LogResourcePolicy")
ENDPOINT = aws("ec2", "VpcEndpoint")
RESOURCE_DOC_TYPES = [BUCKET_POLICY, KEY, KEY_POLICY, TOPIC, TOPIC_POLICY, SECRET, SECRET_POLICY,
                      LOG_RESOURCE_POLICY]
_RESOURCE_DOC_FIELD = {LOG_RESOURCE_POLICY: "policyDocument"}


def identity_documents(res: Res) -> Iterator[tuple[str, Parsed]]:
    """(label, parsed document) for every identity policy a resource carries; trust policies excluded."""
    if res.type == ROLE:
        for i, inline in enumerate(res.items("inlinePolicies")):
            if isinstance(inline, dict):
                yield f"inlinePolicies[{i}] ({inline.get('name', '?')})", _iam.parse(inline.get("policy"))
    elif res.type in IDENTITY_DOC_TYPES:
        yield "policy", _iam.parse(res.get("policy"))


def resource_document(res: Res) -> Parsed:
    return _iam.parse(res.get(_RESOURCE_DOC_FIELD.get(res.type, "policy")))


# ---- permissions boundaries: a ceiling, not a grant ----

def _named_by_arn(arn: object, policy: Res) -> bool:
    name = policy.get("name")
    return isinstance(arn, str) and isinstance(name, str) and ":policy/" in arn and arn.endswith(f"/{name}")


def boundary_urns(resources: list[Res]) -> set[str]:
    """Managed policies used only as permissions boundaries (never attached as grants)."""
    holders = [r for r in resources if r.type in (ROLE, USER) and r.get("permissionsBoundary") is not None]
    attachments = [r for r in resources if r.type in ATTACHMENTS]
    roles = [r for r in resources if r.type == ROLE]
    found = set()
    for policy in (r for r in resources if r.type == POLICY):
        bounds = any(h.refers_to("permissionsBoundary", policy) or _named_by_arn(h.get("permissionsBoundary"), policy)
                     for h in holders)
        granted = any(a.refers_to("policyArn", policy) or _named_by_arn(a.get("policyArn"), policy)
                      for a in attachments) or \
            any(_named_by_arn(arn, policy) for r in roles for arn in r.items("managedPolicyArns"))
        if bounds and not granted:
            found.add(policy.urn)
    return found


def identity_policy(name: str, description: str, *, severity, check, checks=(), topics=(), config=None):
    """A stack policy running ``check`` on every identity document except permissions boundaries."""

    def stack_check(resources: list[Res], cfg: dict, report) -> None:
        boundaries = boundary_urns(resources)
        for res in resources:
            if res.type in IDENTITY_DOC_TYPES and res.urn not in boundaries:
                check(res, cfg, lambda message, urn=res.urn: report(message, urn))

    # boundary_urns reads the holders of boundaries and the attachments, besides the documents.
    types = sorted({*IDENTITY_DOC_TYPES, ROLE, USER, *ATTACHMENTS})
    return stack_policy(name, description, severity=severity, types=types, check=stack_check,
                        checks=checks, topics=topics, config=config)


# ---- document hygiene ----

def _check_parseable(res: Res, cfg: dict, report) -> None:
    documents = list(identity_documents(res))
    if res.type == ROLE:
        documents.append(("assumeRolePolicy", _iam.parse(res.get("assumeRolePolicy"))))
    if res.type in RESOURCE_DOC_TYPES or res.type == ENDPOINT:
        documents.append(("policy", resource_document(res)))
    for label, parsed in documents:
        if parsed.error:
            report(f"'{res.name}' {label} cannot be analysed: {parsed.error}.")


parseable = resource_policy(
    "rustfs-iam-policy-require-valid-document",
    "Every IAM document is valid JSON so that it can be analysed (an unknown value during preview is skipped).",
    severity=Severity.MEDIUM, types=[*IDENTITY_DOC_TYPES, *RESOURCE_DOC_TYPES, ENDPOINT], check=_check_parseable,
    topics=["iam"])


def _each_allow(res: Res) -> Iterator[tuple[str, dict]]:
    for label, parsed in identity_documents(res):
        for index, statement in enumerate(parsed.statements):
            if _iam.is_allow(statement):
                yield f"{label} Statement[{index}]", statement


def _check_wildcard_actions(res: Res, cfg: dict, report) -> None:
    for label, statement in _each_allow(res):
        wildcards = [a for a in _iam.wildcard_actions(statement) if a not in cfg["allowedServiceWildcards"]]
        if wildcards:
            report(f"'{res.name}' {label} allows {', '.join(wildcards)}: list the actions it needs.")


wildcard_actions = identity_policy(
    "rustfs-iam-policy-disallow-wildcard-actions",
    "Identity policies allow no '*' or 'service:*' actions.",
    severity=Severity.HIGH, check=_check_wildcard_actions,
    checks=["CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_1", "IAM.1", "IAM.21", "trivy:AWS-0345"], topics=["iam"],
    config={"allowedServiceWildcards": {"type": "array", "items": {"type": "string"}, "default": []}})


def _check_not_action(res: Res, cfg: dict, report) -> None:
    for label, statement in _each_allow(res):
        for key in ("NotAction", "NotResource"):
            if key in statement:
                report(f"'{res.name}' {label} uses Allow with {key}: it grants everything not listed.")


not_action = identity_policy(
    "rustfs-iam-policy-disallow-allow-not-action",
    "Identity policies never combine Allow with NotAction or NotResource.",
    severity=Severity.HIGH, check=_check_not_action, topics=["iam"])


@lru_cache(maxsize=512)
def _unconstrained(document_json: str, levels: tuple[str, ...]) -> tuple[str, ...]:
    import json

    return tuple(_iam.unconstrained_restrictable_actions(json.loads(document_json), list(levels)))


def _check_wildcard_resource(res: Res, cfg: dict, report) -> None:
    allowed = set(cfg["allowedActions"])
    for label, parsed in identity_documents(res):
        if not parsed.document:
            continue
        actions = [a for a in _unconstrained(dumps(parsed.document, sort_keys=True), tuple(cfg["accessLevels"]))
                   if a not in allowed]
        if actions:
            report(f"'{res.name}' {label} allows {', '.join(actions[:12])}{' ...' if len(actions) > 12 else ''} "
                   "on Resource '*' without a condition, although these actions support resource ARNs.")


wildcard_resource = identity_policy(
    "rustfs-iam-policy-disallow-wildcard-resource",
    "Actions that support resource-level permissions are not allowed on Resource '*' without a condition.",
    severity=Severity.HIGH, check=_check_wildcard_resource,
    checks=["CKV_AWS_355", "CKV_AWS_290", "CKV_AWS_111", "trivy:AWS-0342", "trivy:AWS-0057"], topics=["iam"],
    config={"accessLevels": {"type": "array", "items": {"type": "string"},
                             "default": ["Write", "Permissions management", "Tagging"]},
            "allowedActions": {"type": "array", "items": {"type": "string"}, "default": []}})


@lru_cache(maxsize=512)
def _findings(document_json: str, exclusions: tuple[str, ...]) -> dict[str, list[str]]:
    import json

    return _iam.cloudsplaining_findings(json.loads(document_json), list(exclusions))


def _cloudsplaining_check(category: str):
    def check(res: Res, cfg: dict, report) -> None:
        for label, parsed in identity_documents(res):
            if not parsed.document:
                continue
            found = _findings(dumps(parsed.document, sort_keys=True), tuple(cfg["excludeActions"]))[category]
            if found:
                report(f"'{res.name}' {label} allows {category}: {', '.join(found)}.")
    return check


_EXCLUSIONS = {"excludeActions": {"type": "array", "items": {"type": "string"}, "default": [],
                                  "description": "actions cloudsplaining should not report (documented need)"}}


def _cloudsplaining_policy(name: str, category: str, checks: list[str]):
    return identity_policy(
        name, f"Identity policies allow no {category} (cloudsplaining).",
        severity=Severity.HIGH, check=_cloudsplaining_check(category), checks=checks,
        topics=["iam"], config=_EXCLUSIONS)


privilege_escalation = _cloudsplaining_policy(
    "rustfs-iam-policy-disallow-privilege-escalation", "privilege escalation", ["CKV_AWS_286", "CKV_AWS_110"])
credentials_exposure = _cloudsplaining_policy(
    "rustfs-iam-policy-disallow-credentials-exposure", "credentials exposure", ["CKV_AWS_287", "CKV_AWS_107"])
data_exfiltration = _cloudsplaining_policy(
    "rustfs-iam-policy-disallow-data-exfiltration", "data exfiltration", ["CKV_AWS_288", "CKV_AWS_108"])
permissions_management = _cloudsplaining_policy(
    "rustfs-iam-policy-disallow-unconstrained-permissions-management",
    "permissions management without constraints", ["CKV_AWS_289", "CKV_AWS_109"])


def _check_kms_all_keys(res: Res, cfg: dict, report) -> None:
    risky = {"kms:decrypt", "kms:reencryptfrom", "kms:*", "*"}
    for label, statement in _each_allow(res):
        actions = {a.lower() for a in _iam.as_list(statement.get("Action")) if isinstance(a, str)}
        resources = _iam.as_list(statement.get("Resource"))
        if actions & risky and "*" in resources and not _iam.condition_keys(statement):
            report(f"'{res.name}' {label} allows {', '.join(sorted(actions & risky))} on every KMS key.")


kms_all_keys = identity_policy(
    "rustfs-iam-policy-disallow-decrypt-all-kms-keys",
    "Identity policies do not allow kms:Decrypt or kms:ReEncryptFrom on all KMS keys.",
    severity=Severity.MEDIUM, check=_check_kms_all_keys, checks=["KMS.1", "KMS.2"],
    topics=["iam", "encryption"])


# ---- managed policy attachments, users ----

def _check_admin_attachments(res: Res, cfg: dict, report) -> None:
    forbidden = set(cfg["forbiddenPolicyArns"])
    arns = [res.get("policyArn")] if res.type in ATTACHMENTS else list(res.items("managedPolicyArns"))
    for arn in arns:
        if isinstance(arn, str) and (arn in forbidden or re.search(r":policy/.*FullAccess$", arn)):
            report(f"'{res.name}' attaches the AWS-managed policy {arn}, which grants far more than RustFS needs.")


admin_attachments = resource_policy(
    "rustfs-iam-policy-disallow-admin-managed-policies",
    "No AWS-managed administrator, power-user or *FullAccess policy is attached.",
    severity=Severity.HIGH, types=[*ATTACHMENTS, ROLE], check=_check_admin_attachments,
    checks=["CKV_AWS_274"], topics=["iam"],
    config={"forbiddenPolicyArns": {"type": "array", "items": {"type": "string"},
                                    "default": sorted(_iam.ADMIN_MANAGED_POLICIES)}})


def _user_name(res: Res) -> str:
    name = res.get("name") if res.type == USER else res.get("user")
    return name if isinstance(name, str) else res.name


def _check_users(res: Res, cfg: dict, report) -> None:
    pattern = cfg["allowedUserPattern"]
    if res.type == LOGIN_PROFILE:
        report(f"'{res.name}' gives an IAM user a console password; people sign in through SSO/roles.")
    elif not re.search(pattern, _user_name(res)) and not re.search(pattern, res.name):
        kind = "IAM user" if res.type == USER else "access key of IAM user"
        report(f"{kind} '{_user_name(res)}' is not the documented RustFS tier user (pattern {pattern!r}); "
               "use roles.")


iam_users = resource_policy(
    "rustfs-iam-user-allow-only-tier-user",
    "IAM users (and their access keys) exist only for the RustFS remote-tier user; no console passwords.",
    severity=Severity.HIGH, types=[USER, ACCESS_KEY, LOGIN_PROFILE], check=_check_users,
    checks=["CKV_AWS_273", "IAM.6", "awsguard:access-keys-rotated"], topics=["iam", "credentials"],
    config={"allowedUserPattern": {"type": "string", "default": "tier"}})


def _check_user_attachments(res: Res, cfg: dict, report) -> None:
    report(f"'{res.name}' attaches a managed policy directly to a user; scope the tier user with one inline "
           "policy on its bucket prefix.")


user_attachments = resource_policy(
    "rustfs-iam-user-disallow-managed-policy-attachments",
    "Managed policies are attached to roles or groups, never directly to users.",
    severity=Severity.LOW, types=[USER_ATTACHMENT], check=_check_user_attachments, checks=["CKV_AWS_40", "IAM.2"],
    topics=["iam"])


# ---- trust policies ----

_ASSURANCE_KEYS = {"sts:externalid", "aws:multifactorauthpresent", "aws:multifactorauthage", "aws:principalarn",
                   "aws:principalorgid", "aws:sourcearn", "aws:sourceaccount"}
_ACCOUNT_ROOT = re.compile(r"^(?:arn:aws[\w-]*:iam::(\d{12}):root|(\d{12}))$")


def _check_trust(res: Res, cfg: dict, report) -> None:
    parsed = _iam.parse(res.get("assumeRolePolicy"))
    trusted_accounts = set(cfg["trustedAccountIds"])
    for index, statement in enumerate(parsed.statements):
        if not _iam.is_allow(statement):
            continue
        label = f"assumeRolePolicy Statement[{index}]"
        conditions = _iam.condition_keys(statement)
        if "*" in _iam.aws_principals(statement) and not _iam.scopes_caller(statement):
            report(f"Role '{res.name}' {label} lets any AWS principal assume it (no condition on the caller).")
        for principal in _iam.aws_principals(statement):
            match = _ACCOUNT_ROOT.match(principal)
            account = (match.group(1) or match.group(2)) if match else None
            if account and account not in trusted_accounts and not conditions & _ASSURANCE_KEYS:
                report(f"Role '{res.name}' {label} trusts every principal of account {account} "
                       "without an sts:ExternalId, MFA or principal condition.")
        federated = statement.get("Principal", {}).get("Federated") if isinstance(statement.get("Principal"),
                                                                                 dict) else None
        if federated and not conditions:
            report(f"Role '{res.name}' {label} trusts federated identities of {federated} without a "
                   "condition on the token's subject/audience.")


trust_policies = resource_policy(
    "rustfs-iam-role-restrict-trust-policy",
    "Role trust policies trust no '*' principal, no whole foreign account without ExternalId/MFA, and no "
    "federated provider without subject conditions.",
    severity=Severity.CRITICAL, types=[ROLE], check=_check_trust, checks=["CKV_AWS_60", "CKV_AWS_61"],
    topics=["iam"],
    config={"trustedAccountIds": {"type": "array", "items": {"type": "string"}, "default": [],
                                  "description": "accounts whose root may be trusted without a condition"}})


# ---- resource-based policies ----

def _check_public_principal(res: Res, cfg: dict, report) -> None:
    for index, statement in enumerate(resource_document(res).statements):
        if not _iam.is_allow(statement):
            continue
        if "NotPrincipal" in statement:
            report(f"'{res.name}' policy Statement[{index}] uses Allow with NotPrincipal.")
        if "*" in _iam.principals(statement) and not _iam.scopes_caller(statement):
            report(f"'{res.name}' policy Statement[{index}] allows Principal '*' without a condition on the caller "
                   "(principal, account, organisation, source or network): it is public.")


public_principal = resource_policy(
    "rustfs-iam-resourcepolicy-disallow-public-principal",
    "Bucket, key, topic, secret and log resource policies never allow Principal '*' without a condition on "
    "the caller (principal, account, organisation, source or network).",
    severity=Severity.CRITICAL, types=RESOURCE_DOC_TYPES, check=_check_public_principal,
    checks=["CKV_AWS_70", "CKV_AWS_33", "S3.2", "S3.3", "SNS.4"], topics=["iam", "exposure"])


def _check_endpoint_policy(res: Res, cfg: dict, report) -> None:
    policy = res.get("policy")
    kind = res.get("vpcEndpointType")
    if policy is None and not is_unknown(kind):
        if (kind if kind is not None else "Gateway") in cfg["requirePolicyFor"]:
            report(f"VPC endpoint '{res.name}' has no policy: AWS applies full access for any principal.")
    for index, statement in enumerate(resource_document(res).statements):
        if not _iam.is_allow(statement):
            continue
        unconditioned = "*" in _iam.principals(statement) and not _iam.condition_keys(statement)
        everything = "*" in _iam.as_list(statement.get("Action")) and "*" in _iam.as_list(statement.get("Resource"))
        if unconditioned and everything:
            report(f"VPC endpoint '{res.name}' policy Statement[{index}] allows every action on every resource "
                   "for any principal; scope it to this account (aws:PrincipalAccount) or our buckets.")


endpoint_policy = resource_policy(
    "rustfs-ec2-vpcendpoint-require-scoped-policy",
    "VPC endpoint policies are present and not full-access for any principal.",
    severity=Severity.MEDIUM, types=[ENDPOINT], check=_check_endpoint_policy, topics=["iam", "network"],
    config={"requirePolicyFor": {"type": "array", "items": {"type": "string"}, "default": ["Gateway"],
                                 "description": "endpoint types that must carry a policy"}})

_ESCALATION_ACTIONS = ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:AttachRolePolicy",
                       "iam:PutRolePolicy", "iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:AddUserToGroup",
                       "iam:UpdateAssumeRolePolicy", "iam:PassRole", "iam:CreateAccessKey", "iam:CreateLoginProfile",
                       "iam:UpdateLoginProfile", "iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary",
                       "iam:CreateRole"]


def _denied(action: str, statements: list[dict]) -> bool:
    import fnmatch

    for statement in statements:
        if statement.get("Effect") != "Deny" or "*" not in _iam.as_list(statement.get("Resource")):
            continue
        if statement.get("Condition"):
            continue
        for pattern in _iam.as_list(statement.get("Action")):
            if isinstance(pattern, str) and fnmatch.fnmatch(action.lower(), pattern.lower()):
                return True
    return False


def _check_boundaries(resources: list[Res], cfg: dict, report) -> None:
    boundaries = boundary_urns(resources)
    for policy in (r for r in resources if r.urn in boundaries):
        parsed = _iam.parse(policy.get("policy"))
        if not parsed.document:
            continue
        open_actions = [a for a in cfg["escalationActions"] if not _denied(a, parsed.statements)]
        allows_all = any(_iam.is_allow(s) and "*" in _iam.as_list(s.get("Action")) for s in parsed.statements)
        if allows_all and open_actions:
            report(f"Permissions boundary '{policy.name}' allows '*' without denying {', '.join(open_actions)}: "
                   "a bounded role could lift its own ceiling.", policy.urn)


boundary_denies = stack_policy(
    "rustfs-iam-boundary-require-escalation-denies",
    "A permissions boundary that allows '*' denies the IAM actions a bounded principal could escalate with.",
    severity=Severity.HIGH, types=[POLICY, ROLE, USER], check=_check_boundaries, topics=["iam"],
    config={"escalationActions": {"type": "array", "items": {"type": "string"}, "default": _ESCALATION_ACTIONS}})

def _check_role_conflicts(resources: list[Res], cfg: dict, report) -> None:
    separate_inline = [r for r in resources if r.type == ROLE_POLICY]
    separate_attached = [r for r in resources if r.type == ROLE_ATTACHMENT]
    for role in (r for r in resources if r.type == ROLE):
        if role.items("inlinePolicies") and any(p.refers_to("role", role) for p in separate_inline):
            report(f"Role '{role.name}' has inlinePolicies and separate aws.iam.RolePolicy resources: each update "
                   "removes the other's policies.", role.urn)
        if role.items("managedPolicyArns") and any(a.refers_to("role", role) for a in separate_attached):
            report(f"Role '{role.name}' has managedPolicyArns and separate RolePolicyAttachment resources.", role.urn)


role_conflicts = stack_policy(
    "rustfs-iam-role-disallow-mixed-policy-management",
    "A role's policies are managed either on the role (inlinePolicies/managedPolicyArns) or as separate "
    "resources, never both.",
    severity=Severity.MEDIUM, types=[ROLE, ROLE_POLICY, ROLE_ATTACHMENT],
    check=_check_role_conflicts, checks=["awsguard:iam-role-no-policy-management-conflicts"], topics=["iam"])

# ---- every role under the stack's ceiling ----

def stack_boundaries(resources: list[Res], suffix: str) -> list[Res]:
    """Managed policies that are the stack's permissions boundary: used as one, or named as one."""
    used = boundary_urns(resources)
    return [r for r in resources if r.type == POLICY and (r.urn in used or (
        isinstance(r.get("name"), str) and r.get("name").endswith(suffix)))]


def _check_role_boundaries(resources: list[Res], cfg: dict, report) -> None:
    boundaries = stack_boundaries(resources, cfg["boundaryNameSuffix"])
    allowed = set(cfg["allowedBoundaryArns"])
    names = ", ".join(sorted(b.get("name") if isinstance(b.get("name"), str) else b.name for b in boundaries)) \
        or "none declared"
    for role in (r for r in resources if r.type == ROLE):
        path = role.get("path")
        if isinstance(path, str) and path.startswith("/aws-service-role/"):
            continue  # service-linked roles take no boundary
        value = role.get("permissionsBoundary")
        if any(role.refers_to("permissionsBoundary", b) or _named_by_arn(value, b) for b in boundaries) or \
                value in allowed:
            continue
        if value is None:
            report(f"Role '{role.name}' has no permissions boundary: nothing caps what its policies, or a later "
                   f"change to them, can grant (the stack's boundary: {names}).", role.urn)
        elif not is_unknown(value):
            report(f"Role '{role.name}' carries the boundary {value}, not the stack's ({names}).", role.urn)


role_boundary = stack_policy(
    "rustfs-iam-role-require-permissions-boundary",
    "Every IAM role of the stack carries the stack's permissions boundary (service-linked roles excepted): "
    "the boundary's denies (IAM changes, other stacks' secrets and keys) hold for every role.",
    severity=Severity.HIGH, types=[ROLE, POLICY], check=_check_role_boundaries, topics=["iam"],
    config={"boundaryNameSuffix": {"type": "string", "default": "-permissions-boundary",
                                   "description": "name suffix of the stack's boundary policy"},
            "allowedBoundaryArns": {"type": "array", "items": {"type": "string"}, "default": [],
                                    "description": "boundaries set outside the stack (e.g. by the organization)"}})


# ---- trust conditions the trusted service can satisfy ----

def _check_trust_keys(res: Res, cfg: dict, report) -> None:
    for index, statement in enumerate(_iam.parse(res.get("assumeRolePolicy")).statements):
        principal = statement.get("Principal")
        if not _iam.is_allow(statement) or not isinstance(principal, dict):
            continue
        keys = trust_condition_keys(statement)
        for service in _iam.as_list(principal.get("Service")):
            unsent = unsent_keys(service, keys) if isinstance(service, str) else None
            if unsent:
                report(f"Role '{res.name}' assumeRolePolicy Statement[{index}] requires {', '.join(sorted(unsent))}, "
                       f"which {service} does not send when it assumes a role ({ASSUME_ROLE_CONTEXT[service].source})"
                       ": the condition never matches and the service cannot use the role.")


trust_keys = resource_policy(
    "rustfs-iam-role-disallow-unsent-trust-conditions",
    "Role trust policies condition a service principal only on the confused-deputy keys (aws:SourceAccount, "
    "aws:SourceArn) that service sends on AssumeRole; a condition on a missing key denies the service.",
    severity=Severity.HIGH, types=[ROLE], check=_check_trust_keys, topics=["iam"])

# ---- grants that can never match: SSM document ARNs of the wrong owner shape ----

def _check_document_arns(res: Res, cfg: dict, report) -> None:
    for label, statement in _each_allow(res):
        for arn in _iam.as_list(statement.get("Resource")):
            problem = ssm_document_problem(arn) if isinstance(arn, str) else None
            if problem:
                report(f"'{res.name}' {label}: {problem}; the grant never matches the document.")


document_arns = identity_policy(
    "rustfs-iam-policy-require-ssm-document-arn-owner",
    "SSM document ARNs in identity policies have their owner's shape: AWS-owned documents (AWS-*) without an "
    "account id, the account's own documents (such as SSM-SessionManagerRunShell) with it.",
    severity=Severity.MEDIUM, check=_check_document_arns, topics=["iam"])

POLICIES = [role_boundary, trust_keys, document_arns, boundary_denies, role_conflicts, parseable, wildcard_actions,
            not_action, wildcard_resource,
            privilege_escalation, credentials_exposure, data_exfiltration, permissions_management, kms_all_keys,
            admin_attachments, iam_users, user_attachments, trust_policies, public_principal, endpoint_policy]
