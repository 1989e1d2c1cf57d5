"""A small IAM policy evaluator: Allow/Deny statements, conditions, resource matching, the permissions
boundary and a resource-based (key) policy, and a resource-based policy alone (a VPC endpoint policy) for
signed or unsigned (anonymous) requests. It raises on anything it does not implement rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, text: str, ignore_case: bool) -> bool:
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, text, re.S | (re.I if ignore_case else 0)) is not None


NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike",
           "NumericNotEquals", "DateNotEquals"}
COMPARE = {
    "StringEquals": lambda p, v: p == v, "StringNotEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringNotEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: _glob(p, v, False), "StringNotLike": lambda p, v: _glob(p, v, False),
    "ArnEquals": lambda p, v: p == v, "ArnNotEquals": lambda p, v: p == v,
    "ArnLike": lambda p, v: _glob(p, v, False), "ArnNotLike": lambda p, v: _glob(p, v, False),
    "Bool": lambda p, v: str(p).lower() == str(v).lower(),
}


def condition_holds(operator: str, key: str, policy_values, context: dict) -> bool:
    """One condition entry, IAM semantics (IAM User Guide, "IAM JSON policy elements: Condition operators"
    and "Multivalued context keys"): a missing key fails a positive operator and satisfies a negated one;
    ...IfExists is true when the key is missing; ForAllValues is true for a missing key, ForAnyValue false."""
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    wanted = [str(v) if not isinstance(v, bool) else str(v).lower() for v in as_list(policy_values)]
    present = key in context
    if op == "Null":
        return wanted[0].lower() == ("false" if present else "true")
    if op not in COMPARE:
        raise ValueError(f"condition operator {operator} not implemented in this evaluator")
    values = [str(v) for v in as_list(context.get(key, []))]
    negated = op in NEGATED

    def match(value: str) -> bool:
        hit = any(COMPARE[op](p, value) for p in wanted)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(match(v) for v in values)
    if qualifier == "ForAnyValue":
        return any(match(v) for v in values)
    if not present:
        return if_exists or negated
    if len(values) != 1:
        raise ValueError(f"{key} is multivalued: a policy must use ForAllValues/ForAnyValue with it")
    return match(values[0])


@dataclass(frozen=True)
class Request:
    action: str
    resource: str  # ARN, or "*" when the action has no resource-level permission
    context: tuple[tuple[str, object], ...]  # condition keys
    why: str

    @property
    def ctx(self) -> dict:
        return dict(self.context)


def principal_named(stmt: dict, principal: str | None, account: str | None) -> bool:
    """Whether a resource-policy statement names the caller: a role by its ARN, its account or the account root,
    or everyone. An unsigned (anonymous) request, principal None, is named only by the everyone wildcard,
    "*" or {"AWS": "*"} (IAM User Guide, "AWS JSON policy elements: Principal", anonymous users)."""
    if "NotPrincipal" in stmt:
        raise ValueError("NotPrincipal: not implemented in this evaluator")
    named = stmt.get("Principal", {})
    named = as_list(named.get("AWS", [])) if isinstance(named, dict) else as_list(named)
    if principal is None:
        return "*" in named
    return any(p in ("*", principal, account, f"arn:aws:iam::{account}:root") for p in named)


def statement_applies(stmt: dict, req: Request, principal: str | None = None, account: str | None = None,
                      *, anonymous: bool = False) -> bool:
    if "Action" in stmt and not any(_glob(a, req.action, True) for a in as_list(stmt["Action"])):
        return False
    if "NotAction" in stmt and any(_glob(a, req.action, True) for a in as_list(stmt["NotAction"])):
        return False
    for key in ("Resource", "NotResource"):
        for pattern in as_list(stmt.get(key, [])):
            if "${" in pattern:
                raise ValueError(f"policy variable in {pattern}: not implemented in this evaluator")
    if "Resource" in stmt and not any(_glob(r, req.resource, False) for r in as_list(stmt["Resource"])):
        return False
    if "NotResource" in stmt and any(_glob(r, req.resource, False) for r in as_list(stmt["NotResource"])):
        return False
    # A resource-based policy: the node role, directly or through its account; or nobody in particular.
    if (anonymous or principal is not None) and not principal_named(stmt, None if anonymous else principal,
                                                                     account):
        return False
    return all(condition_holds(op, key, values, req.ctx)
               for op, entries in stmt.get("Condition", {}).items() for key, values in entries.items())


@dataclass
class Verdict:
    allowed_by: list[str] = field(default_factory=list)  # Sids of identity Allow statements
    denied_by: list[str] = field(default_factory=list)  # "policy/Sid" of every matching Deny
    boundary_allows: bool = False
    resource_policy_allows: bool | None = None  # None: no resource policy takes part

    @property
    def allowed(self) -> bool:
        return (bool(self.allowed_by) and not self.denied_by and self.boundary_allows
                and self.resource_policy_allows is not False)


def evaluate(req: Request, identity: dict, boundary: dict, resource_policy: dict | None = None,
             principal: str = "", account: str = "") -> Verdict:
    v = Verdict()
    for label, doc in (("identity", identity), ("boundary", boundary)):
        for stmt in doc["Statement"]:
            if statement_applies(stmt, req):
                if stmt["Effect"] == "Deny":
                    v.denied_by.append(f"{label}/{stmt.get('Sid', '?')}")
                elif label == "identity":
                    v.allowed_by.append(stmt.get("Sid", "?"))
                else:
                    v.boundary_allows = True
    if resource_policy is not None:
        v.resource_policy_allows = False
        for stmt in resource_policy["Statement"]:
            if statement_applies(stmt, req, principal, account):
                if stmt["Effect"] == "Deny":
                    v.denied_by.append(f"key-policy/{stmt.get('Sid', '?')}")
                else:
                    v.resource_policy_allows = True
    return v


# Keys only a signed request carries (IAM User Guide, "AWS global condition context keys", Availability of
# aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID, ...: "Anonymous requests do not include this key").
SIGNED_ONLY_KEY_PREFIXES = ("aws:Principal", "aws:userid", "aws:username", "aws:MultiFactorAuth",
                            "aws:TokenIssueTime", "aws:SourceIdentity", "aws:FederatedProvider")


@dataclass
class ResourcePolicyVerdict:
    allowed_by: list[str] = field(default_factory=list)
    denied_by: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return bool(self.allowed_by) and not self.denied_by


def evaluate_resource_policy(req: Request, policy: dict, principal: str | None = None,
                             account: str | None = None) -> ResourcePolicyVerdict:
    """One resource-based policy on its own, as AWS applies a VPC endpoint policy: a filter that every request
    through the endpoint must pass, besides the caller's own policies (AWS PrivateLink Guide, "Control access
    to VPC endpoints using endpoint policies"). principal None: the request is unsigned, so it has no identity
    policy and no boundary, and only statements naming every principal can match it."""
    anonymous = principal is None
    if anonymous:
        signed = sorted(k for k in req.ctx if k.startswith(SIGNED_ONLY_KEY_PREFIXES))
        if signed:
            raise ValueError(f"an unsigned request carries no {signed}: {req.why}")
    v = ResourcePolicyVerdict()
    for stmt in policy["Statement"]:
        if statement_applies(stmt, req, principal, account, anonymous=anonymous):
            (v.denied_by if stmt["Effect"] == "Deny" else v.allowed_by).append(stmt.get("Sid", "?"))
    return v
