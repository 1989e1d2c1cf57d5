"""VPC peering: a DR link between two Regions (components/dr/link.py) and what may cross it.

- A connection to another Region (``peerRegion``) or another account (``peerOwnerId``) cannot be auto-accepted by its
  requester: the provider refuses ``auto_accept`` with ``peer_region`` ("peer_region cannot be set whilst
  auto_accept is true", terraform-provider-aws), and without an accepter the connection waits in
  pending-acceptance for 7 days, then expires (VPC Peering Guide, "VPC peering connection lifecycle"), while every
  route through it is a blackhole. The stack accepts it with a ``VpcPeeringConnectionAccepter`` (``auto_accept``).
- A route through a peering connection carries a peer VPC's private range only: peering has no edge-to-edge routing
  (no internet, NAT, VPN or other peering through the peer: VPC Peering Guide, "VPC peering limitations"), so a
  default or public destination is a mistake that silently drops traffic; a destination inside the table's own VPC
  shadows its local addresses. Routes the stack writes into tables of the peer (tables it does not own) send only
  this stack's VPC range back.
- Security-group rules for what arrives over peering are RustFS's S3 port only (9000, TCP): a rule whose CIDR lies in
  a range the stack routes to a peer, on the stack's groups, and every rule the stack adds to a group it does not own
  (the peer's), which must also name only this stack's VPC range. Inter-region peering cannot reference the peer's
  groups, so these CIDR rules are the boundary between the two clusters.
"""

from __future__ import annotations

import ipaddress

from pulumi_policy import Severity

from ._kit import Res, aws, is_true, is_unknown, known_str, stack_policy

PCX = aws("ec2", "VpcPeeringConnection")
ACCEPTER = aws("ec2", "VpcPeeringConnectionAccepter")
ROUTE = aws("ec2", "Route")
ROUTE_TABLE = aws("ec2", "RouteTable")
VPC = aws("ec2", "Vpc")
SG = aws("ec2", "SecurityGroup")
INGRESS = aws("vpc", "SecurityGroupIngressRule")
EGRESS = aws("vpc", "SecurityGroupEgressRule")
S3_PORT = 9000
_PRIVATE = [ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")]


def _id(res: Res) -> str | None:
    return known_str(res.props.get("id"))


def _names(res: Res, prop: str, others: list[Res]) -> list[Res]:
    """The resources of ``others`` that ``res``'s input ``prop`` was computed from, or whose id it equals."""
    value = res.get(prop)
    return [o for o in others if res.refers_to(prop, o) or (isinstance(value, str) and value == _id(o))]


def _region(res: Res) -> str | None:
    return known_str(res.get("region")) or known_str(res.provider_props.get("region"))


def _network(value) -> ipaddress.IPv4Network | None:
    if not isinstance(value, str) or is_unknown(value):
        return None
    try:
        return ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        return None


def _check_accepter(resources: list[Res], cfg: dict, report) -> None:
    accepters = [r for r in resources if r.type == ACCEPTER]
    for pcx in (r for r in resources if r.type == PCX):
        peer_region, owner = known_str(pcx.get("peerRegion")), known_str(pcx.get("peerOwnerId"))
        across = peer_region is not None and peer_region != _region(pcx)
        if is_true(pcx.get("autoAccept")) and (peer_region is not None or owner is not None):
            report(f"VPC peering connection '{pcx.name}' sets autoAccept with peerRegion/peerOwnerId: the requester "
                   "cannot accept a connection to another Region or account (the provider refuses it).", pcx.urn)
        if not (across or owner is not None):
            continue
        accepting = [a for a in _names_of(accepters, "vpcPeeringConnectionId", pcx) if is_true(a.get("autoAccept"))]
        if not accepting:
            report(f"VPC peering connection '{pcx.name}' to {peer_region or owner} has no VpcPeeringConnectionAccepter "
                   "with autoAccept in the stack: it stays pending-acceptance, expires after 7 days, and every route "
                   "through it is a blackhole.", pcx.urn)


def _names_of(candidates: list[Res], prop: str, target: Res) -> list[Res]:
    value = target.props.get("id")
    return [c for c in candidates if c.refers_to(prop, target) or (isinstance(value, str) and c.get(prop) == value)]


peering_accepter = stack_policy(
    "rustfs-ec2-vpcpeeringconnection-require-accepter",
    "A VPC peering connection to another Region or account is accepted by a VpcPeeringConnectionAccepter of the "
    "stack (autoAccept), never auto-accepted by its requester.",
    severity=Severity.HIGH, types=[PCX, ACCEPTER], check=_check_accepter, topics=["network", "resilience"],
    remediation="aws.ec2.VpcPeeringConnection(peer_region=<primary>, auto_accept=False) and "
    "aws.ec2.VpcPeeringConnectionAccepter(vpc_peering_connection_id=pcx.id, auto_accept=True, "
    "opts=ResourceOptions(provider=<a provider of the peer's Region>)) (components/dr/link.py).")


def _peering_routes(resources: list[Res]) -> list[tuple[Res, Res | None]]:
    """(route, the stack's route table it is in, or None for a table the stack does not own)."""
    tables = [r for r in resources if r.type == ROUTE_TABLE]
    out = []
    for route in (r for r in resources if r.type == ROUTE):
        pcx = route.get("vpcPeeringConnectionId")
        if pcx is None or (isinstance(pcx, str) and not pcx):
            continue
        owned = _names(route, "routeTableId", tables)
        out.append((route, owned[0] if owned else None))
    return out


def _vpc_ranges(resources: list[Res]) -> dict[str, ipaddress.IPv4Network]:
    """The stack's VPCs by URN, with their CIDR."""
    return {v.urn: n for v in resources if v.type == VPC and (n := _network(v.get("cidrBlock"))) is not None}


def _check_routes(resources: list[Res], cfg: dict, report) -> None:
    vpcs = [r for r in resources if r.type == VPC]
    ranges = _vpc_ranges(resources)
    for route, table in _peering_routes(resources):
        destination = route.get("destinationCidrBlock")
        if known_str(route.get("destinationIpv6CidrBlock")) or known_str(route.get("destinationPrefixListId")):
            report(f"Route '{route.name}' sends an IPv6 range or a prefix list through a peering connection: the DR "
                   "link carries one peer VPC's IPv4 range.", route.urn)
            continue
        net = _network(destination)
        if net is None:
            continue
        if not any(net.subnet_of(p) for p in _PRIVATE):
            report(f"Route '{route.name}' sends {destination} through a peering connection: peering carries no "
                   "internet or public range (no edge-to-edge routing); route only the peer VPC's private CIDR.",
                   route.urn)
            continue
        if table is not None:
            own = [ranges[v.urn] for v in _names(table, "vpcId", vpcs) if v.urn in ranges]
            if any(net.overlaps(o) for o in own):
                report(f"Route '{route.name}' sends {destination}, inside its own VPC's {own[0]}, to the peer: it "
                       "would shadow the VPC's local addresses.", route.urn)
        elif ranges and not any(net.subnet_of(o) for o in ranges.values()):
            report(f"Route '{route.name}' is written into a route table of the peer and sends {destination} back: "
                   f"only this stack's VPC range ({', '.join(map(str, ranges.values()))}) may come back through the "
                   "connection.", route.urn)


peering_routes = stack_policy(
    "rustfs-ec2-route-restrict-peering-destination",
    "A route through a VPC peering connection carries only a peer VPC's private range: never a public or default "
    "destination, never the table's own VPC; routes written into the peer's tables carry only this stack's VPC.",
    severity=Severity.HIGH, types=[ROUTE, ROUTE_TABLE, VPC], check=_check_routes, topics=["network"],
    remediation="aws.ec2.Route(route_table_id=<private table>, destination_cidr_block=<the other VPC's CIDR>, "
    "vpc_peering_connection_id=accepter.id) on each side (components/dr/link.py).")


def _check_peer_rules(resources: list[Res], cfg: dict, report) -> None:
    if not any(r.type == PCX for r in resources):
        return
    groups = [r for r in resources if r.type == SG]
    own_ranges = list(_vpc_ranges(resources).values())
    peered = [n for route, table in _peering_routes(resources) if table is not None
              and (n := _network(route.get("destinationCidrBlock"))) is not None]
    for rule in (r for r in resources if r.type in (INGRESS, EGRESS)):
        net = _network(rule.get("cidrIpv4"))
        owned = bool(_names(rule, "securityGroupId", groups))
        if owned:  # a rule scoped to the peer's range; a wider one (NAT's 0.0.0.0/0 on 443) is not about the peer
            if net is None or not any(net.subnet_of(p) for p in peered):
                continue
            where = "from/to the peer's range"
        else:
            if is_unknown(rule.get("securityGroupId")):
                continue
            if rule.get("referencedSecurityGroupId") is not None or net is None or \
                    not any(net.subnet_of(o) for o in own_ranges):
                report(f"Security-group rule '{rule.name}' on a group the stack does not own (the peer's) names "
                       f"{rule.get('cidrIpv4') or rule.get('referencedSecurityGroupId')}: rules added to the peer "
                       f"admit only this stack's VPC range ({', '.join(map(str, own_ranges))}).", rule.urn)
                continue
            where = "on the peer's group"
        protocol, low, high = rule.get("ipProtocol"), rule.get("fromPort"), rule.get("toPort")
        if is_unknown(protocol) or is_unknown(low) or is_unknown(high):
            continue
        if str(protocol) != "tcp" or low != S3_PORT or high != S3_PORT:
            report(f"Security-group rule '{rule.name}' ({where}) opens {protocol} {low}-{high} for "
                   f"{rule.get('cidrIpv4')}: between peered clusters only RustFS's S3 port {S3_PORT}/tcp.", rule.urn)


peer_rules = stack_policy(
    "rustfs-vpc-securitygrouprule-restrict-peer-traffic",
    "Security-group rules for a peered VPC's range, and rules the stack adds to the peer's groups, open only "
    "RustFS's S3 port 9000/tcp, and rules on the peer's groups name only this stack's VPC range.",
    severity=Severity.HIGH, types=[PCX, ROUTE, ROUTE_TABLE, VPC, SG, INGRESS, EGRESS], check=_check_peer_rules,
    topics=["network"],
    remediation="aws.vpc.SecurityGroupIngressRule(ip_protocol='tcp', from_port=9000, to_port=9000, "
    "cidr_ipv4=<one private subnet of the other VPC>) (components/dr/link.py).")

POLICIES = [peering_accepter, peering_routes, peer_rules]
