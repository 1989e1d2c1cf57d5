"""The stack's Availability Zones, identified by AZ ID, and what AWS offers in them.

Design (chosen): a stack names its zones by AZ ID (``network.azIds``: ``use1-az1`` is the same physical zone in
every account, while ``us-east-1a`` is mapped per account in the oldest regions - AWS "AZ IDs",
docs.aws.amazon.com/global-infrastructure/latest/regions/az-ids.html). The program reads the region's zones of
type ``availability-zone`` *without* a state filter, maps the IDs to this account's names, and - before any
resource is declared - checks that the instance type is offered in every chosen zone
(DescribeInstanceTypeOfferings by ``availability-zone-id``) and that every VPC endpoint service the network
declares is offered there (DescribeVpcEndpointServices lists the zone names per service). A mistake is a
``ConfigError`` naming ``network.azIds`` / ``cluster.instanceType`` and the zone IDs that would work.

Without ``network.azIds`` the default is the first ``network.azCount`` zones by *name* of the full list (all
states). It never shifts: an impaired zone stays in the list (it is ``state=available`` that drops it, and with
it every later subnet, NAT gateway and data volume would move). Sorting by name rather than by ID keeps every
stack created by the earlier "first N available names" rule in its zones (same names, same zones: no change is
planned), and for accounts created since November 2025, whose names are mapped uniformly, it is the ID order.
The order of ``network.azIds`` matters: the i-th zone gets the i-th private subnet block (network/subnets.py);
add zones at the end, never reorder.

Resources get the zone's *name* in this account: ``aws.ebs.Volume`` only takes a name, and subnets keep
``availability_zone`` too. Rejected alternative: ``aws.ec2.Subnet(availability_zone_id=...)``. It states the ID
directly, but it changes the inputs of every existing subnet (created with ``availability_zone``) - a
replacement of the subnets, and with them of everything inside, if the provider's diff did not treat the
computed name as equal - the provider documents it as "not supported in all regions or partitions", and the
policy pack and preflight compare subnets' and volumes' zones by name. The name comes from this account's own
mapping on every run, so it is the pinned zone whatever the account's shuffle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from rustfs_aws.validation import NAMESPACE, ConfigError

if TYPE_CHECKING:
    from rustfs_aws.config import StackConfig

ZONE_ID = re.compile(r"^([a-z]+\d+)-az(\d+)$")
# Region code words and their letters in AZ IDs: us-east-1 -> use1, ap-southeast-1 -> apse1, us-gov-west-1 ->
# usgw1, cn-northwest-1 -> cnnw1 (AWS "AWS Availability Zones" lists every region's AZ IDs).
_DIRECTIONS = {"north": "n", "south": "s", "east": "e", "west": "w", "central": "c", "northeast": "ne",
               "northwest": "nw", "southeast": "se", "southwest": "sw"}
ZONE_TYPE = "availability-zone"  # not local-zone / wavelength-zone: nodes, NAT and endpoints need a full AZ
# What the deploy role reads for this (read-only EC2 actions without resource-level permissions: Resource "*").
READ_ACTIONS = ("ec2:DescribeAvailabilityZones", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeVpcEndpointServices")


@dataclass(frozen=True)
class Zone:
    id: str  # AZ ID, the same physical zone in every account (use1-az1)
    name: str  # this account's name for it (us-east-1c)


def zone_id_prefix(region: str) -> str | None:
    """The AZ ID prefix of a region (``use1`` for us-east-1), None for a region code we cannot derive it from."""
    parts = region.split("-")
    if len(parts) < 3 or not parts[-1].isdigit():
        return None
    country, words = parts[0], parts[1:-1]
    if words[0] == "gov":
        country, words = country + "g", words[1:]
    if len(words) != 1 or words[0] not in _DIRECTIONS:
        return None
    return f"{country}{_DIRECTIONS[words[0]]}{parts[-1]}"


def _key(path: str) -> str:
    return f"{NAMESPACE}:{path}"


def _listing(ids: list[str] | set[str], names: dict[str, str]) -> str:
    ordered = sorted(ids, key=lambda i: (len(i), i))
    return ", ".join(f"{i} ({names[i]})" if i in names else i for i in ordered) or "none"


def choose_zones(cfg: StackConfig, region_zones: dict[str, str]) -> tuple[list[Zone], list[str]]:
    """The stack's zones from the region's ``{zone ID: name}`` (every state), and the problems found."""
    pinned = cfg.network.az_ids
    if pinned:
        unknown = [i for i in pinned if i not in region_zones]
        if unknown:
            return [], [f"{_key('network.azIds')}: got {unknown}; not Availability Zones of {cfg.region} in this "
                        f"account; its zones: {_listing(region_zones.keys(), region_zones)}"]
        return [Zone(i, region_zones[i]) for i in pinned], []
    by_name = sorted(region_zones.items(), key=lambda kv: kv[1])
    count = cfg.network.az_count
    if len(by_name) < count:
        return [], [f"{_key('network.azCount')}: got {count}; region {cfg.region} has only {len(by_name)} "
                    f"Availability Zones ({_listing(region_zones.keys(), region_zones)})"]
    return [Zone(i, n) for i, n in by_name[:count]], []


def offering_problems(cfg: StackConfig, zones: list[Zone], offered_ids: set[str],
                      region_zones: dict[str, str]) -> list[str]:
    missing = [z.id for z in zones if z.id not in offered_ids]
    if not missing:
        return []
    chosen = "network.azIds" if cfg.network.az_ids else f"the default zones (network.azCount: {len(zones)})"
    return [f"{_key('cluster.instanceType')}: got {cfg.cluster.instance_type!r}; not offered in "
            f"{_listing(missing, region_zones)}, one of {chosen}; it is offered in "
            f"{_listing(offered_ids & region_zones.keys(), region_zones)} - set {_key('network.azIds')} to "
            f"{len(zones)} of those or choose another instance type"]


def endpoint_problems(service_name: str, zones: list[Zone], offered_names: list[str],
                      region_zones: dict[str, str]) -> list[str]:
    missing = [z.id for z in zones if z.name not in offered_names]
    if not missing:
        return []
    offered = {i for i, n in region_zones.items() if n in offered_names}
    return [f"{_key('network.azIds')}: the VPC endpoint service {service_name} is not offered in "
            f"{_listing(missing, region_zones)} (its endpoint needs a subnet in every zone of the stack); it is "
            f"offered in {_listing(offered, region_zones)}"]


def resolve_zones(cfg: StackConfig, invoke: pulumi.InvokeOptions, *, interface_services: tuple[str, ...],
                  gateway_services: tuple[str, ...]) -> list[Zone]:
    """Read the region's zones, choose the stack's and check offerings; raise one ``ConfigError`` otherwise."""
    listed = aws.get_availability_zones(all_availability_zones=True,
                                        filters=[{"name": "zone-type", "values": [ZONE_TYPE]}], opts=invoke)
    region_zones = dict(zip(listed.zone_ids, listed.names, strict=True))
    zones, problems = choose_zones(cfg, region_zones)
    if problems:
        raise ConfigError(problems)
    offerings = aws.ec2.get_instance_type_offerings(
        location_type="availability-zone-id", opts=invoke,
        filters=[{"name": "instance-type", "values": [cfg.cluster.instance_type]}])
    problems += offering_problems(cfg, zones, set(offerings.locations), region_zones)
    services = [(s, "Interface") for s in interface_services] + [(s, "Gateway") for s in gateway_services]
    for service, kind in services:
        name = f"com.amazonaws.{cfg.region}.{service}"
        try:
            found = aws.ec2.get_vpc_endpoint_service(service_name=name, service_type=kind, opts=invoke)
        except Exception as exc:
            # Pulumi reports a data source's failure as "invoke of <token> failed: ..." (pulumi/runtime/invoke.py);
            # anything else is a bug, not configuration.
            if not str(exc).startswith("invoke of "):
                raise
            problems.append(f"{_key('network.azIds')}: region {cfg.region} offers no {kind} VPC endpoint service "
                            f"{name}, which the network needs ({exc})")
            continue
        if kind == "Interface":  # a gateway endpoint is regional: it has no subnets
            problems += endpoint_problems(name, zones, list(found.availability_zones), region_zones)
    if problems:
        raise ConfigError(problems)
    return zones
