"""Deterministic subnet plan for the VPC (pure; used by config validation and the network component).

The VPC CIDR is cut into eight equal blocks. Blocks 0-5 are the private subnets of AZ 0-5 (one block
per AZ whatever ``azCount`` is, so adding an AZ never moves an existing subnet). Block 6 is left free
for growth (for example EKS pod subnets). Block 7 is cut into eight again for the small public subnets
that only NAT gateways and internet-facing load balancers use.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

MAX_AZS = 6
# The smallest subnet AWS allows is a /28 (Amazon VPC User Guide, "Subnet CIDR blocks").
SMALLEST_SUBNET_PREFIX = 28


@dataclass(frozen=True)
class SubnetPlan:
    private: list[str]
    public: list[str]
    reserved: str


def plan_subnets(cidr: str, az_count: int, public: bool = True) -> SubnetPlan:
    vpc = ipaddress.IPv4Network(cidr)
    if not 1 <= az_count <= MAX_AZS:
        raise ValueError(f"azCount {az_count} is outside 1-{MAX_AZS}")
    blocks = list(vpc.subnets(prefixlen_diff=3))
    public_prefix = blocks[7].prefixlen + 3
    if not public:
        return SubnetPlan(private=[str(b) for b in blocks[:az_count]], public=[], reserved=str(blocks[6]))
    if public_prefix > SMALLEST_SUBNET_PREFIX:
        raise ValueError(
            f"{cidr} is too small: public subnets would be /{public_prefix}, smaller than AWS's /28 minimum; "
            f"use a /{vpc.prefixlen - (public_prefix - SMALLEST_SUBNET_PREFIX)} or larger"
        )
    public_blocks = list(blocks[7].subnets(new_prefix=public_prefix))
    return SubnetPlan(
        private=[str(b) for b in blocks[:az_count]],
        public=[str(b) for b in public_blocks[:az_count]],
        reserved=str(blocks[6]),
    )
