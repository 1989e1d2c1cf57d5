"""Would a resource policy (a VPC endpoint policy) let an UNSIGNED request through? Three-valued, preview-safe.

An unsigned request names no principal: it matches only statements for every principal ("*" or {"AWS": "*"})
and has none of the keys only signed requests carry (IAM User Guide, "AWS global condition context keys":
aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID, ... "Anonymous requests do not include this
key"). A condition on such a key is decided with IAM's rules for a missing key (positive operators fail,
negated and ...IfExists ones hold, Null:true holds); a condition on any other key, or an unknown value,
cannot be decided here and is given the benefit of the doubt, so only a certain refusal is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import _iam

SIGNED_ONLY_PREFIXES = ("aws:principal", "aws:userid", "aws:username", "aws:multifactorauth",
                        "aws:tokenissuetime", "aws:sourceidentity", "aws:federatedprovider")
_NEGATED = re.compile(r"^(String|Arn|Numeric|Date)Not")


@dataclass
class Outcome:
    allowed: bool  # some Allow may match and no Deny surely matches
    denied_by: list[str]  # statements that surely deny it
    needs_signature: list[str]  # statements covering it that only a signed request can meet


def _glob(pattern: str, text: str, ignore_case: bool) -> bool:
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, text, re.S | (re.I if ignore_case else 0)) is not None


def _matches(patterns: Any, text: str, ignore_case: bool) -> bool | None:
    values = _iam.as_list(patterns)
    if any(_glob(p, text, ignore_case) for p in values if isinstance(p, str)):
        return True
    return None if any(not isinstance(p, str) for p in values) else False  # an unknown may match


def _names_everyone(statement: dict[str, Any]) -> bool | None:
    if "NotPrincipal" in statement:
        return True  # every principal but those listed: the anonymous one included
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = _iam.as_list(principal.get("AWS"))
        if "*" in aws:
            return True
        return None if any(not isinstance(p, str) for p in aws) else False
    return None if principal is not None and not isinstance(principal, str) else False


def _missing_key_holds(operator: str, values: Any) -> bool:
    qualifier, _, op = operator.rpartition(":")
    if op.endswith("IfExists") or qualifier == "ForAllValues":
        return True
    if qualifier == "ForAnyValue":
        return False
    if op == "Null":
        return str(_iam.as_list(values)[0]).lower() == "true" if _iam.as_list(values) else False
    return bool(_NEGATED.match(op))


def _conditions(statement: dict[str, Any]) -> tuple[bool | None, bool]:
    """(whether the conditions hold for an unsigned request, whether a signed-only key decided that)."""
    condition = statement.get("Condition")
    if condition is None:
        return True, False
    if not isinstance(condition, dict):
        return None, False
    result: bool | None = True
    for operator, block in condition.items():
        if not isinstance(block, dict):
            result = None  # unknown during preview
            continue
        for key, values in block.items():
            if key.lower().startswith(SIGNED_ONLY_PREFIXES):
                if not _missing_key_holds(operator, values):
                    return False, True
            elif result:
                result = None  # a key of the request we cannot see from here
    return result, False


def _applies(statement: dict[str, Any], action: str, resource: str) -> tuple[bool | None, bool]:
    parts: list[bool | None] = [_names_everyone(statement)]
    if "Action" in statement:
        parts.append(_matches(statement["Action"], action, True))
    if "NotAction" in statement:
        hit = _matches(statement["NotAction"], action, True)
        parts.append(None if hit is None else not hit)
    if "Resource" in statement:
        parts.append(_matches(statement["Resource"], resource, False))
    if "NotResource" in statement:
        hit = _matches(statement["NotResource"], resource, False)
        parts.append(None if hit is None else not hit)
    if False in parts:
        return False, False
    held, by_signature = _conditions(statement)
    if held is False:
        return False, by_signature
    return (None if None in parts or held is None else True), False


def unsigned_access(statements: list[dict[str, Any]], action: str, resource: str) -> Outcome:
    may_allow, denied_by, needs_signature = False, [], []
    for index, statement in enumerate(statements):
        label = f"Statement[{index}]" + (f" ({statement['Sid']})" if isinstance(statement.get("Sid"), str) else "")
        applies, by_signature = _applies(statement, action, resource)
        if statement.get("Effect") == "Deny":
            if applies is True:
                denied_by.append(label)
        elif applies is not False:
            may_allow = True
        elif by_signature:
            needs_signature.append(label)
    return Outcome(may_allow and not denied_by, denied_by, needs_signature)
