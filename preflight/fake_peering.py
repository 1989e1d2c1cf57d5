"""The fake AWS's VPC peering across Regions, as strict as the real APIs for what a DR link could get wrong.

What the fake remembers within one program run, in every Region (the account's, shared by the per-Region fakes):
the VPCs (with CIDR), route tables (with VPC) and security groups the program creates, and those a stack reference
says exist in the referenced stack's Region (``adopt_stack_outputs``: ``region``, ``vpcId``/``vpcCidr``,
``privateRouteTableIds``, ``nodeSecurityGroupId``, ``loadBalancerSecurityGroupId``).

Refusals, each as AWS or the provider gives it:
- CreateVpcPeeringConnection (EC2 API Reference): the requester VPC must exist in the caller's Region; the peer VPC
  is looked up in ``PeerRegion`` (default: the caller's Region), so a peer VPC of another Region without
  ``peer_region`` is not found. A peer that is not found, or whose CIDR overlaps the requester's, sends the connection
  to ``failed`` with "Failed due to incorrect VPC-ID, Account ID, or overlapping CIDR range" (VPC Peering Guide,
  "VPC peering connection lifecycle"; "You cannot create a VPC peering connection between VPCs that have matching
  or overlapping IPv4 CIDR blocks"), which the provider reports as an error. 50 active connections per VPC (VPC
  quotas, "Active VPC peering connections per VPC", adjustable to 125).
- the provider: "peer_region cannot be set whilst auto_accept is true when creating a vpc peering connection"
  (terraform-provider-aws, resource_aws_vpc_peering_connection.go; pulumi_aws ec2.VpcPeeringConnection
  ``peer_region``): across Regions the accepter side is a VpcPeeringConnectionAccepter.
- AcceptVpcPeeringConnection: in the accepter's Region only (the requester cannot accept its own request:
  OperationNotPermitted); one accepter per connection; ``auto_accept`` false leaves it pending-acceptance.
- ModifyVpcPeeringConnectionOptions: only on an active connection; across Regions each side's options from that
  side's Region (VPC Peering Guide, "Enable DNS resolution for a VPC peering connection").
- CreateRoute to a peering connection: the route table must exist in the caller's Region
  (InvalidRouteTableID.NotFound), the connection must be active and join that table's VPC.
- security-group rules: the group must exist in the caller's Region (InvalidGroup.NotFound); a rule referencing a
  group of another Region is refused: inter-region peering does not support security-group references (VPC Peering
  Guide, "Update your security groups to reference peer security groups": same Region only); at most 60 rules per
  group and direction (RulesPerSecurityGroupLimitExceeded, VPC quotas).
"""

from __future__ import annotations

import hashlib
import ipaddress

from pulumi.output import Unknown

PCX_TOKEN = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
ACCEPTER_TOKEN = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
OPTIONS_TOKEN = "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions"
VPC_TOKEN, RTB_TOKEN = "aws:ec2/vpc:Vpc", "aws:ec2/routeTable:RouteTable"
SG_TOKEN = "aws:ec2/securityGroup:SecurityGroup"
ROUTE_TOKEN = "aws:ec2/route:Route"
RULE_TOKENS = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
               "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
MAX_ACTIVE_PER_VPC = 50
# VPC quotas, "Inbound or outbound rules per security group": 60 each way by default (IPv4 and IPv6 counted
# apart; a rule naming a group or an AWS-managed gateway prefix list counts one). Adjustable, but a first deploy
# meets the default: AuthorizeSecurityGroupIngress/Egress answers RulesPerSecurityGroupLimitExceeded.
# https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups
MAX_RULES_PER_DIRECTION = 60
FAILED = "Failed due to incorrect VPC-ID, Account ID, or overlapping CIDR range"


class PeeringRejected(Exception):
    """A request the real API (or the provider) would refuse: the error code first."""


def _known(value) -> bool:
    return isinstance(value, str) and bool(value) and not isinstance(value, Unknown) \
        and not value.startswith("04da6b54-")


def _state(fake) -> dict:
    """Shared by the per-Region fakes of one run (they share the account)."""
    holder = fake.account
    if not hasattr(holder, "_peering_state"):
        holder._peering_state = {"vpcs": {}, "tables": {}, "groups": {}, "pcx": {}, "rules": {}}
    return holder._peering_state


def adopt_stack_outputs(fake, outputs: dict) -> None:
    """What a referenced stack's outputs say exists in its Region (its VPC, private route tables, groups)."""
    region = outputs.get("region")
    if not isinstance(region, str):
        return
    state = _state(fake)
    vpc, cidr = outputs.get("vpcId"), outputs.get("vpcCidr")
    if _known(vpc) and _known(cidr):
        state["vpcs"][vpc] = {"region": region, "cidr": cidr}
    for table in outputs.get("privateRouteTableIds") or []:
        if _known(table):
            state["tables"][table] = {"region": region, "vpc": vpc}
    for key in ("nodeSecurityGroupId", "loadBalancerSecurityGroupId"):
        if _known(outputs.get(key)):
            state["groups"][outputs[key]] = {"region": region}


def _pcx_id(name: str) -> str:
    return "pcx-" + hashlib.sha256(f"pcx/{name}".encode()).hexdigest()[:17]


def peering_connection(fake, name: str, inputs: dict):
    state, region = _state(fake), fake.region
    peer_region = inputs.get("peerRegion") or region
    if inputs.get("autoAccept") is True and inputs.get("peerRegion"):
        raise PeeringRejected(f"peering {name!r}: peer_region cannot be set whilst auto_accept is true when creating a "
                              "vpc peering connection (accept it with a VpcPeeringConnectionAccepter in the peer's "
                              "Region)")
    vpc, peer = inputs.get("vpcId"), inputs.get("peerVpcId")
    pcx = _pcx_id(name)
    if _known(vpc) and _known(peer):
        mine, theirs = state["vpcs"].get(vpc), state["vpcs"].get(peer)
        if mine is None or mine["region"] != region:
            raise PeeringRejected(f"InvalidVpcID.NotFound: peering {name!r}: the vpc ID '{vpc}' does not exist in "
                                  f"{region}")
        if theirs is None or theirs["region"] != peer_region:
            where = f" ({peer} is in {theirs['region']}: set peer_region)" if theirs else ""
            raise PeeringRejected(f"peering {name!r}: status failed: {FAILED}: no VPC {peer} in {peer_region}{where}")
        a, b = ipaddress.IPv4Network(mine["cidr"]), ipaddress.IPv4Network(theirs["cidr"])
        if a.overlaps(b):
            raise PeeringRejected(f"peering {name!r}: status failed: {FAILED}: {vpc} ({a}) and {peer} ({b}) overlap")
        for v in (vpc, peer):
            active = sum(1 for c in state["pcx"].values() if v in (c["vpc"], c["peer"]))
            if active >= MAX_ACTIVE_PER_VPC:
                raise PeeringRejected(f"VpcPeeringConnectionLimitExceeded: {v} has {active} peering connections "
                                      f"(quota {MAX_ACTIVE_PER_VPC})")
        state["pcx"][pcx] = {"vpc": vpc, "peer": peer, "region": region, "peer_region": peer_region,
                             "accepted": inputs.get("autoAccept") is True and peer_region == region, "accepters": 0}
    return pcx, {"acceptStatus": "pending-acceptance", "peerOwnerId": inputs.get("peerOwnerId") or fake.account_id,
                 "peerRegion": peer_region, "tagsAll": inputs.get("tags", {})}


def accepter(fake, name: str, inputs: dict):
    pcx_id = inputs.get("vpcPeeringConnectionId")
    pcx = _state(fake)["pcx"].get(pcx_id) if _known(pcx_id) else None
    if _known(pcx_id) and pcx is None:
        raise PeeringRejected(f"InvalidVpcPeeringConnectionID.NotFound: accepter {name!r}: {pcx_id} does not exist")
    status = "pending-acceptance"
    if pcx is not None:
        if fake.region != pcx["peer_region"]:
            raise PeeringRejected(f"OperationNotPermitted: accepter {name!r}: {pcx_id} is accepted in its accepter "
                                  f"Region {pcx['peer_region']}, not {fake.region} (the requester cannot accept its "
                                  "own request): give the accepter a provider for that Region")
        pcx["accepters"] += 1
        if pcx["accepters"] > 1:
            raise PeeringRejected(f"accepter {name!r}: {pcx_id} already has an accepter in this program")
        if inputs.get("autoAccept") is True:
            pcx["accepted"], status = True, "active"
    return pcx_id or f"pcx-{name}", {"acceptStatus": status, "vpcId": pcx["peer"] if pcx else "",
                                     "peerVpcId": pcx["vpc"] if pcx else "", "peerRegion": pcx["region"] if pcx else "",
                                     "peerOwnerId": fake.account_id, "tagsAll": inputs.get("tags", {})}


def _active(fake, pcx_id, what: str) -> dict | None:
    pcx = _state(fake)["pcx"].get(pcx_id) if _known(pcx_id) else None
    if _known(pcx_id) and pcx is None:
        raise PeeringRejected(f"InvalidVpcPeeringConnectionID.NotFound: {what}: {pcx_id} does not exist")
    if pcx is not None and not pcx["accepted"]:
        raise PeeringRejected(f"InvalidStateTransition: {what}: {pcx_id} is pending-acceptance, not active (accept it "
                              "first: its accepter, auto_accept true)")
    return pcx


def options(fake, name: str, inputs: dict):
    pcx = _active(fake, inputs.get("vpcPeeringConnectionId"), f"peering options {name!r}")
    if pcx is not None and pcx["region"] != pcx["peer_region"]:
        for side, region in (("requester", pcx["region"]), ("accepter", pcx["peer_region"])):
            if inputs.get(side) and fake.region != region:
                raise PeeringRejected(f"OperationNotPermitted: peering options {name!r}: the {side} VPC's options "
                                      f"of an inter-region connection are modified from its Region {region}, not "
                                      f"{fake.region}")
    return f"{inputs.get('vpcPeeringConnectionId')}", {}


def with_peering_checks(resources: dict) -> dict:
    """The fake's VPC, route table, security group, route and rule handlers, remembering and checking the above."""
    vpc_inner, rtb_inner, sg_inner, route_inner = (resources[t] for t in (VPC_TOKEN, RTB_TOKEN, SG_TOKEN, ROUTE_TOKEN))

    def vpc(fake, name, inputs):
        physical, extra = vpc_inner(fake, name, inputs)
        if _known(inputs.get("cidrBlock")):
            _state(fake)["vpcs"][physical] = {"region": fake.region, "cidr": inputs["cidrBlock"]}
        return physical, extra

    def route_table(fake, name, inputs):
        physical, extra = rtb_inner(fake, name, inputs)
        _state(fake)["tables"][physical] = {"region": fake.region, "vpc": inputs.get("vpcId")}
        return physical, extra

    def group(fake, name, inputs):
        physical, extra = sg_inner(fake, name, inputs)
        _state(fake)["groups"][physical] = {"region": fake.region}
        return physical, extra

    def route(fake, name, inputs):
        pcx_id = inputs.get("vpcPeeringConnectionId")
        if _known(pcx_id):
            state, table = _state(fake), inputs.get("routeTableId")
            where = state["tables"].get(table) if _known(table) else None
            if _known(table) and (where is None or where["region"] != fake.region):
                raise PeeringRejected(f"InvalidRouteTableID.NotFound: route {name!r}: the route table '{table}' does "
                                      f"not exist in {fake.region}")
            pcx = _active(fake, pcx_id, f"route {name!r}")
            if pcx is not None and where is not None and _known(where["vpc"]) and \
                    where["vpc"] not in (pcx["vpc"], pcx["peer"]):
                raise PeeringRejected(f"InvalidParameterValue: route {name!r}: {pcx_id} does not join the VPC of "
                                      f"route table {table} ({where['vpc']})")
        return route_inner(fake, name, inputs)

    def rule(inner, token):
        def handler(fake, name, inputs):
            groups = _state(fake)["groups"]
            own, ref = inputs.get("securityGroupId"), inputs.get("referencedSecurityGroupId")
            if _known(own) and own in groups and groups[own]["region"] != fake.region:
                raise PeeringRejected(f"InvalidGroup.NotFound: rule {name!r}: the security group '{own}' does not "
                                      f"exist in {fake.region} (it is in {groups[own]['region']})")
            if _known(ref) and ref in groups and groups[ref]["region"] != fake.region:
                raise PeeringRejected(f"InvalidGroup.NotFound: rule {name!r}: references '{ref}' of "
                                      f"{groups[ref]['region']}: inter-region VPC peering does not support "
                                      "security-group references; name the peer's CIDRs")
            if _known(own):
                direction = "egress" if "Egress" in token else "ingress"
                family = "ipv6" if inputs.get("cidrIpv6") else "ipv4"
                rules = _state(fake).setdefault("rules", {}).setdefault((own, direction, family), set())
                rules.add(name)
                if len(rules) > MAX_RULES_PER_DIRECTION:
                    raise PeeringRejected(f"RulesPerSecurityGroupLimitExceeded: rule {name!r}: security group "
                                          f"'{own}' would have {len(rules)} {direction} {family} rules (quota "
                                          f"{MAX_RULES_PER_DIRECTION} per direction)")
            return inner(fake, name, inputs)
        return handler

    return {**resources, VPC_TOKEN: vpc, RTB_TOKEN: route_table, SG_TOKEN: group, ROUTE_TOKEN: route,
            **{t: rule(resources[t], t) for t in RULE_TOKENS},
            PCX_TOKEN: peering_connection, ACCEPTER_TOKEN: accepter, OPTIONS_TOKEN: options}
