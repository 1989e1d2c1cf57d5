"""IAM policy documents: parsing (unknown-aware) and least-privilege analysis with cloudsplaining."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ._kit import is_unknown

# Canned AWS-managed policies that grant administrator or full-service power (CKV_AWS_274 and beyond).
ADMIN_MANAGED_POLICIES = frozenset({
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
    "arn:aws:iam::aws:policy/IAMFullAccess",
    "arn:aws:iam::aws:policy/AmazonS3FullAccess",
    "arn:aws:iam::aws:policy/AmazonEC2FullAccess",
    "arn:aws:iam::aws:policy/AWSKeyManagementServicePowerUser",
    "arn:aws:iam::aws:policy/SecretsManagerReadWrite",
})


@dataclass
class Parsed:
    document: dict[str, Any] | None  # None when unknown or invalid
    unknown: bool = False
    error: str | None = None

    @property
    def statements(self) -> list[dict[str, Any]]:
        if not self.document:
            return []
        statements = self.document.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        return [s for s in statements if isinstance(s, dict)]


def parse(value: Any) -> Parsed:
    """A policy document from a resource input: JSON text (or an object). Unknowns are skipped, not guessed."""
    if value is None:
        return Parsed(None)
    if is_unknown(value):
        return Parsed(None, unknown=True)
    if isinstance(value, dict):
        return Parsed(value)
    if not isinstance(value, str):
        return Parsed(None, error=f"unexpected document type {type(value).__name__}")
    if value.strip() == "":
        return Parsed(None)
    try:
        document = json.loads(value)
    except ValueError as error:
        return Parsed(None, error=f"not valid JSON ({error.msg})")
    if not isinstance(document, dict):
        return Parsed(None, error="the document is not a JSON object")
    return Parsed(document)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def is_allow(statement: dict[str, Any]) -> bool:
    return statement.get("Effect") == "Allow"


def principals(statement: dict[str, Any]) -> list[str]:
    """Every principal value of a statement ('*' for the bare wildcard form)."""
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return [p for values in principal.values() for p in as_list(values) if isinstance(p, str)]
    return []


def aws_principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return [p for p in as_list(principal.get("AWS")) if isinstance(p, str)]
    return []


def condition_keys(statement: dict[str, Any]) -> set[str]:
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return set()
    return {key.lower() for block in condition.values() if isinstance(block, dict) for key in block}


# Condition keys that narrow WHO may make a request (caller identity, its account/organisation, the AWS
# service acting for a source resource, or the network it comes from). A condition on anything else (e.g.
# aws:SecureTransport, aws:ResourceAccount) leaves a Principal '*' statement open to every AWS account.
CALLER_SCOPING_KEYS = frozenset({
    "aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths",
    "aws:principalservicename", "aws:principalisawsservice", "aws:userid", "aws:username",
    "aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths", "aws:sourceowner",
    "aws:sourcevpc", "aws:sourcevpce", "aws:sourceip", "aws:vpcsourceip", "kms:calleraccount",
})


def scopes_caller(statement: dict[str, Any]) -> bool:
    return any(key in CALLER_SCOPING_KEYS or key.startswith("aws:principaltag/")
               for key in condition_keys(statement))


def wildcard_actions(statement: dict[str, Any]) -> list[str]:
    """'*' and 'service:*' actions of a statement."""
    return [a for a in as_list(statement.get("Action")) if isinstance(a, str) and (a == "*" or a.endswith(":*"))]


def warm_up() -> None:
    """Import cloudsplaining and policy_sentry (and policy_sentry's IAM definitions, ~0.6 s) ahead of the first
    IAM policy check; the pack calls it in a thread at start, while the engine still runs the program."""
    from cloudsplaining.scan.policy_document import PolicyDocument  # noqa: F401
    from cloudsplaining.shared.exclusions import Exclusions  # noqa: F401
    from policy_sentry.querying.actions import remove_actions_not_matching_access_level  # noqa: F401


def cloudsplaining_findings(document: dict[str, Any], exclusions: list[str]) -> dict[str, list[str]]:
    """Risky actions that cloudsplaining finds in an identity policy, by category."""
    from cloudsplaining.scan.policy_document import PolicyDocument

    doc = PolicyDocument(document, exclusions=_exclusions(tuple(exclusions)))
    escalation = doc.allows_privilege_escalation or []
    return {
        "privilege escalation": sorted({m.get("type", str(m)) if isinstance(m, dict) else str(m)
                                        for m in escalation}),
        "credentials exposure": sorted(doc.credentials_exposure or []),
        "data exfiltration": sorted(doc.allows_data_exfiltration_actions or []),
        "permissions management without constraints": sorted(doc.permissions_management_without_constraints or []),
    }


def unconstrained_restrictable_actions(document: dict[str, Any], access_levels: list[str]) -> list[str]:
    """Actions of the given access levels ('Read', 'Write', 'List', 'Tagging', 'Permissions management')
    that support resource-level ARNs yet are allowed on ``Resource: *`` without a condition."""
    from cloudsplaining.scan.policy_document import PolicyDocument
    from policy_sentry.querying.actions import remove_actions_not_matching_access_level

    actions = sorted(PolicyDocument(document).all_allowed_unrestricted_actions)
    if not actions:
        return []
    return sorted({a for level in access_levels for a in remove_actions_not_matching_access_level(actions, level)},
                  key=str.lower)


@lru_cache(maxsize=16)
def _exclusions(actions: tuple[str, ...]):
    from cloudsplaining.shared.exclusions import Exclusions

    return Exclusions({"exclude-actions": list(actions)} if actions else {})
