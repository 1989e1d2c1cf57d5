"""What the fake account already has that Service Quotas count, as EC2's and ELB's describe calls list it.

A quota is the account's: a stack shares the Elastic IPs, VPCs and load balancers quotas of its Region with
every other workload there, and from its second ``up`` on with its own existing resources too. ``AccountUsage``
keeps, per Region, what stacks declared into the account (by stack and logical name, so a re-declaration is an
update, never a second resource) and what exists outside Pulumi (``outside``), and answers the three data
sources the program's quota check reads (components/operations/quotas.py):

- ``aws.ec2.get_eips`` / ``aws.ec2.get_vpcs`` (DescribeAddresses / DescribeVpcs): every address or VPC of the
  Region, narrowed by ``tags`` (exact) and ``tag:<key>`` filters, whose values may use the ``*`` and ``?``
  wildcards (EC2 API Reference, "Filter"). Every Region of an account has a default VPC unless it was deleted
  (Amazon VPC User Guide, "Default VPCs"), and it is a VPC like any other: ``default_vpcs``.
- ``aws.lb.get_lbs`` (DescribeLoadBalancers, then DescribeTags for ``tags``): the ARNs of every load balancer
  of the Region, of every type; an NLB's ARN reads ``loadbalancer/net/<name>/<id>``, an ALB's ``app``.

Any other filter fails loudly rather than match everything.
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass, field

from .fake_zones import UnknownToFake

EIP, VPC, LOAD_BALANCER = "aws:ec2/eip:Eip", "aws:ec2/vpc:Vpc", "aws:lb/loadBalancer:LoadBalancer"
_LB_KINDS = {"network": "net", "application": "app", "gateway": "gwy"}
# What ``outside`` counts, per Region: kind -> how many exist outside Pulumi.
OUTSIDE_KINDS = {"eips": EIP, "vpcs": VPC, "nlbs": LOAD_BALANCER, "albs": LOAD_BALANCER}


def _hex(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


@dataclass(frozen=True)
class Listed:
    type_token: str
    physical: str  # allocation id, VPC id, or the load balancer's name
    tags: dict
    lb_kind: str = ""  # net | app | gwy


@dataclass
class AccountUsage:
    """``outside``: Region -> {"eips" | "vpcs" | "nlbs" | "albs": count} made outside this project."""

    outside: dict[str, dict[str, int]] = field(default_factory=dict)
    default_vpcs: bool = True
    _declared: dict[tuple[str, str, str], Listed] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        unknown = {kind for kinds in self.outside.values() for kind in kinds} - set(OUTSIDE_KINDS)
        if unknown:
            raise UnknownToFake(f"AccountUsage counts {', '.join(OUTSIDE_KINDS)}, not {sorted(unknown)}")

    def record(self, region: str, type_token: str, stack: str, name: str, inputs: dict) -> None:
        if type_token not in (EIP, VPC, LOAD_BALANCER):
            return
        tags = dict(inputs.get("tags") or {})
        kind = _LB_KINDS.get(inputs.get("loadBalancerType") or "application", "") if type_token == LOAD_BALANCER else ""
        prefix = {EIP: "eipalloc", VPC: "vpc", LOAD_BALANCER: "lb"}[type_token]
        physical = f"{prefix}-{_hex(prefix, stack, name)}" if type_token != LOAD_BALANCER else name[:32]
        self._declared[(region, stack, name)] = Listed(type_token, physical, tags, kind)

    def listed(self, region: str, type_token: str) -> list[Listed]:
        out = [r for (where, _, _), r in self._declared.items() if where == region and r.type_token == type_token]
        counts = self.outside.get(region, {})
        for kind, token in OUTSIDE_KINDS.items():
            if token != type_token:
                continue
            lb_kind = {"nlbs": "net", "albs": "app"}.get(kind, "")
            out += [Listed(token, f"{kind}-outside-{i}", {"Name": f"outside-{kind}-{i}"}, lb_kind)
                    for i in range(counts.get(kind, 0))]
        if type_token == VPC and self.default_vpcs:
            out.append(Listed(VPC, f"vpc-{_hex('default-vpc', region)}", {}))
        return out


def _matches(item: Listed, args: dict) -> bool:
    for key, value in (args.get("tags") or {}).items():
        if item.tags.get(key) != value:
            return False
    for f in args.get("filters") or []:
        name = f.get("name") or ""
        if not name.startswith("tag:"):
            raise UnknownToFake(f"the fake AWS models tag:<key> filters only, not {name!r}; add it to "
                                "preflight/fake_usage.py")
        value = item.tags.get(name.removeprefix("tag:"))
        if value is None or not any(fnmatch.fnmatchcase(value, pattern) for pattern in f.get("values") or []):
            return False
    return True


def _found(fake, args: dict, type_token: str) -> tuple[str, list[Listed]]:
    region = args.get("region") or fake.region
    return region, [r for r in fake.account.usage.listed(region, type_token) if _matches(r, args)]


def get_eips(fake, args: dict) -> dict:
    region, found = _found(fake, args, EIP)
    ips = [f"198.51.100.{int(_hex('ip', r.physical, length=4), 16) % 254 + 1}" for r in found]
    return {"id": region, "region": region, "allocationIds": [r.physical for r in found], "publicIps": ips}


def get_vpcs(fake, args: dict) -> dict:
    region, found = _found(fake, args, VPC)
    return {"id": region, "region": region, "ids": [r.physical for r in found]}


def get_lbs(fake, args: dict) -> dict:
    if args.get("filters"):
        raise UnknownToFake("aws.lb.get_lbs takes tags, not filters")
    region, found = _found(fake, args, LOAD_BALANCER)
    arns = [f"arn:{fake.partition}:elasticloadbalancing:{region}:{fake.account_id}:loadbalancer/{r.lb_kind}/"
            f"{r.physical}/{_hex('lb', r.physical, length=16)}" for r in found]
    return {"id": region, "region": region, "arns": arns}
