"""What a stack consumes of each AWS service quota, and AWS's default for it.

A quota (Service Quotas) is per account and Region: the stack's need is compared with the applied value,
which other workloads of the account share. The figures live in ``data/service_quotas.json`` with their
sources. The need is computed from the stack's shape (``StackShape``), which the program derives from its
validated configuration before any resource exists, so that the same numbers can fail a preview (the
program, against the applied values), warn in preflight (against the defaults) and be checked against the
resources the program really declares (tests).

Rejected alternative: counting the declared resources at preview time. A quota check must run before the
first resource is declared, or a partial ``up`` leaves node groups without their volumes; and the policy
pack, which sees resources, cannot read the account's applied quotas.

Self-healing does not add an instance: each node's group has one instance and an instance maintenance
policy of min 0 % / max 100 % healthy (``components/cluster/storage_nodes.py``), so a replacement is launched only
once the old instance no longer counts as in service or pending (EC2 Auto Scaling API reference,
InstanceMaintenancePolicy). Root volumes are gp3 and count towards the gp3 storage quota.

Stdlib only, so the policy pack can carry it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "service_quotas.json"
GIB_PER_TIB = 1024


@dataclass(frozen=True)
class Quota:
    code: str  # e.g. L-1216C47A
    service: str  # Service Quotas service code: ec2 | ebs | vpc | elasticloadbalancing
    name: str
    unit: str
    default: float | None  # AWS's default (GetAWSDefaultServiceQuota); None: not published, varies by account
    source: str  # citation


@dataclass(frozen=True)
class Need:
    quota: Quota
    amount: float
    basis: str  # how the amount follows from the stack, for people
    region: str | None = None  # None: the stack's Region; else another (the snapshot copies' backup.copyRegion)

    def shown(self) -> str:
        return f"{_number(self.amount)} {self.quota.unit}"

    def where(self, region: str) -> str:
        """The Region whose quota this need consumes, given the stack's."""
        return self.region or region

    @property
    def request_value(self) -> int:
        """The smallest whole quota value that fits the need (Service Quotas takes whole values)."""
        return math.ceil(self.amount - 1e-9)

    def request_command(self, region: str) -> str:
        return (f"aws service-quotas request-service-quota-increase --service-code {self.quota.service} "
                f"--quota-code {self.quota.code} --desired-value {self.request_value} --region {self.where(region)}")


@dataclass(frozen=True)
class StackShape:
    """What the stack declares that quotas count, as plain numbers."""
    nodes: int
    instance_type: str
    vcpus_per_node: int | None  # None: unknown (an uncatalogued type), the vCPU need is not computed
    drives_per_node: int
    volume_type: str  # gp3 | io2
    volume_size_gib: int
    volume_iops: int
    root_volume_gib: int  # one gp3 root volume per node
    nat_gateways: int  # 0, 1 (single) or one per AZ (perAz)
    internet_gateway: bool
    interface_endpoints: int  # in the stack's own VPC
    gateway_endpoints: int
    load_balancers: int  # Network Load Balancers
    snapshots_per_volume: int  # Data Lifecycle Manager count-based retention of each data volume
    copy_region: str | None = None  # backup.copyRegion: every snapshot is also copied there
    copies_per_volume: int = 0  # copies of each data volume kept in copy_region at once


def _load(path: Path = DATA_FILE) -> tuple[dict[str, Quota], dict[str, str], str]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    sources = raw["sources"]
    quotas = {code: Quota(code=code, service=q["service"], name=q["name"], unit=q["unit"], default=q["default"],
                          source=f"{sources[q['source']]['title']} ({sources[q['source']]['origin']})")
              for code, q in raw["quotas"].items()}
    classes = raw["instance_classes"]
    unknown = set(classes.values()) - set(quotas)
    if unknown:
        raise ValueError(f"{path}: instance classes name unknown quota codes {sorted(unknown)}")
    return quotas, classes, raw["checked"]


QUOTAS, INSTANCE_CLASSES, CHECKED = _load()
STANDARD_VCPUS = "L-1216C47A"
GP3_TIB, IO2_TIB, IO2_IOPS, SNAPSHOTS = "L-7A658B76", "L-09BD8365", "L-8D977E7E", "L-309BACF6"
ELASTIC_IPS, VPCS, INTERNET_GATEWAYS, NAT_PER_AZ = "L-0263D0A3", "L-F678F1CE", "L-A4707A72", "L-FE5A380F"
GATEWAY_ENDPOINTS, INTERFACE_ENDPOINTS, NLBS = "L-1B52E74A", "L-29B6F2EB", "L-69A177A2"
# A quota is the account's, shared with every other workload of the account and Region. The program subtracts
# what is in use outside the stack where one describe call counts it exactly (DescribeAddresses, DescribeVpcs,
# DescribeLoadBalancers; components/operations/quotas.py); a per-VPC quota of the stack's own VPC has no other
# user. For the rest (vCPUs, EBS TiB and IOPS, snapshots, NAT gateways per AZ, internet gateways, gateway
# endpoints) the check is the stack's need against the whole quota, not against the headroom left.
USAGE_SUBTRACTED = frozenset({ELASTIC_IPS, VPCS, NLBS})
OWN_VPC_ONLY = frozenset({INTERFACE_ENDPOINTS})
_FAMILY_LETTERS = re.compile(r"^([a-z]+)")


def vcpu_quota(instance_type: str) -> Quota | None:
    """The On-Demand vCPU quota of an instance type's class: the letters before its generation digit
    (``c6in`` -> c, ``im4gn`` -> im, ``inf2`` -> inf, ``u-6tb1`` -> u); None for a class without one (mac)."""
    match = _FAMILY_LETTERS.match(instance_type.lower())
    code = INSTANCE_CLASSES.get(match.group(1)) if match else None
    return QUOTAS[code] if code else None


def needs(shape: StackShape) -> list[Need]:
    """Every quota the stack consumes, with a positive amount, in a stable order."""
    s = shape
    volumes = s.nodes * s.drives_per_node
    data_gib = volumes * s.volume_size_gib
    root_gib = s.nodes * s.root_volume_gib
    out: list[Need] = []

    def add(code: str, amount: float, basis: str, region: str | None = None) -> None:
        if amount > 0:
            out.append(Need(QUOTAS[code], amount, basis, region))

    vcpu = vcpu_quota(s.instance_type)
    if vcpu is not None and s.vcpus_per_node is not None:
        out.append(Need(vcpu, s.nodes * s.vcpus_per_node,
                        f"{s.nodes} x {s.instance_type} ({s.vcpus_per_node} vCPUs); a replacement never overlaps "
                        "its predecessor"))
    gp3_gib = root_gib + (data_gib if s.volume_type == "gp3" else 0)
    gp3_basis = f"{s.nodes} root volumes x {s.root_volume_gib} GiB"
    if s.volume_type == "gp3":
        gp3_basis = f"{volumes} data volumes x {s.volume_size_gib:,} GiB + {gp3_basis}"
    add(GP3_TIB, gp3_gib / GIB_PER_TIB, gp3_basis)
    if s.volume_type == "io2":
        add(IO2_TIB, data_gib / GIB_PER_TIB, f"{volumes} data volumes x {s.volume_size_gib:,} GiB")
        add(IO2_IOPS, volumes * s.volume_iops, f"{volumes} data volumes x {s.volume_iops:,} IOPS")
    add(SNAPSHOTS, volumes * s.snapshots_per_volume,
        f"{volumes} data volumes x {s.snapshots_per_volume} retained snapshots")
    if s.copy_region:
        # A copy is a snapshot of the copy Region and counts against that Region's quota.
        add(SNAPSHOTS, volumes * s.copies_per_volume,
            f"{volumes} data volumes x {s.copies_per_volume} copies kept in {s.copy_region}", s.copy_region)
    add(ELASTIC_IPS, s.nat_gateways, "one per NAT gateway")
    add(NAT_PER_AZ, min(s.nat_gateways, 1), "at most one NAT gateway in each AZ")
    add(VPCS, 1, "the stack's VPC")
    add(INTERNET_GATEWAYS, int(s.internet_gateway), "the public subnets' internet gateway")
    add(GATEWAY_ENDPOINTS, s.gateway_endpoints, "S3 gateway endpoint")
    add(INTERFACE_ENDPOINTS, s.interface_endpoints, "interface endpoints of the stack's VPC")
    add(NLBS, s.load_balancers, "the S3 endpoint's Network Load Balancer")
    return out


def above_default(need: Need) -> bool:
    return need.quota.default is not None and need.amount > need.quota.default


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"
