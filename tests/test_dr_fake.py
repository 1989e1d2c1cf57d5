"""The fake AWS's VPC peering across Regions (preflight/fake_peering.py) refuses what AWS and the provider refuse: a
peer VPC looked up in the wrong Region, overlapping CIDRs, auto-accept across Regions, an accepter in the requester's
Region, options or routes before acceptance or from the wrong Region, and security-group references across Regions.
Driven through ``FakeAws.new_resource`` with a provider per Region, as the program's resources reach it."""

from __future__ import annotations

import pulumi
import pytest

from preflight.fake_aws import FakeAws
from preflight.fake_peering import (
    ACCEPTER_TOKEN,
    OPTIONS_TOKEN,
    PCX_TOKEN,
    PeeringRejected,
    adopt_stack_outputs,
)

EAST, WEST = "us-east-1", "us-west-2"


class World:
    """One program run: the fake of its own Region and a provider for each Region."""

    def __init__(self):
        self.fake = FakeAws(WEST)
        self.providers = {r: self._provider(r) for r in (EAST, WEST)}

    def _provider(self, region: str) -> str:
        physical, _ = self.fake.new_resource(pulumi.runtime.MockResourceArgs(
            "pulumi:providers:aws", f"p-{region}", {"region": region}, custom=True))
        return f"urn:pulumi:s::p::pulumi:providers:aws::p-{region}::{physical}"

    def create(self, token: str, name: str, inputs: dict, region: str = WEST) -> tuple[str, dict]:
        return self.fake.new_resource(pulumi.runtime.MockResourceArgs(
            token, name, inputs, provider=self.providers[region], custom=True))

    def vpc(self, name: str, cidr: str, region: str = WEST) -> str:
        return self.create("aws:ec2/vpc:Vpc", name, {"cidrBlock": cidr}, region)[0]


@pytest.fixture
def world():
    w = World()
    w.dr_vpc = w.vpc("dr", "10.60.0.0/16")
    # The primary, as its stack reference says it exists in us-east-1.
    adopt_stack_outputs(w.fake, {"region": EAST, "vpcId": "vpc-primary", "vpcCidr": "10.50.0.0/16",
                                 "privateRouteTableIds": ["rtb-primary"], "nodeSecurityGroupId": "sg-primary"})
    return w


def peering(world, **inputs):
    return world.create(PCX_TOKEN, "pcx", {"vpcId": world.dr_vpc, "peerVpcId": "vpc-primary", "peerRegion": EAST,
                                           **inputs})[0]


def test_a_compliant_link_goes_through(world):
    pcx = peering(world, autoAccept=False)
    world.create(ACCEPTER_TOKEN, "acc", {"vpcPeeringConnectionId": pcx, "autoAccept": True}, EAST)
    world.create(OPTIONS_TOKEN, "o1", {"vpcPeeringConnectionId": pcx,
                                       "requester": {"allowRemoteVpcDnsResolution": True}}, WEST)
    world.create(OPTIONS_TOKEN, "o2", {"vpcPeeringConnectionId": pcx,
                                       "accepter": {"allowRemoteVpcDnsResolution": True}}, EAST)
    world.create("aws:ec2/route:Route", "r", {"routeTableId": "rtb-primary", "destinationCidrBlock": "10.60.0.0/16",
                                              "vpcPeeringConnectionId": pcx}, EAST)
    world.create("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "in", {
        "securityGroupId": "sg-primary", "ipProtocol": "tcp", "fromPort": 9000, "toPort": 9000,
        "cidrIpv4": "10.60.0.0/19"}, EAST)


def test_the_peer_is_looked_up_in_peer_region(world):
    with pytest.raises(PeeringRejected, match="no VPC vpc-primary in us-west-2 .vpc-primary is in us-east-1: set "
                                              "peer_region"):
        world.create(PCX_TOKEN, "pcx", {"vpcId": world.dr_vpc, "peerVpcId": "vpc-primary"})


def test_overlapping_cidrs_fail_the_connection(world):
    overlapping = world.vpc("overlap", "10.50.128.0/17")
    with pytest.raises(PeeringRejected, match=r"overlapping CIDR range: .* \(10.50.128.0/17\) and vpc-primary "
                                              r"\(10.50.0.0/16\) overlap"):
        world.create(PCX_TOKEN, "pcx2", {"vpcId": overlapping, "peerVpcId": "vpc-primary", "peerRegion": EAST})


def test_auto_accept_across_regions_is_refused_by_the_provider(world):
    with pytest.raises(PeeringRejected, match="peer_region cannot be set whilst auto_accept is true"):
        peering(world, autoAccept=True)


def test_the_accepter_works_in_the_accepter_region_only(world):
    pcx = peering(world)
    with pytest.raises(PeeringRejected, match="OperationNotPermitted: .* accepted in its accepter Region us-east-1"):
        world.create(ACCEPTER_TOKEN, "acc", {"vpcPeeringConnectionId": pcx, "autoAccept": True}, WEST)


def test_options_and_routes_need_an_active_connection(world):
    pcx = peering(world)
    with pytest.raises(PeeringRejected, match="pending-acceptance, not active"):
        world.create("aws:ec2/route:Route", "r", {"routeTableId": "rtb-primary", "destinationCidrBlock": "10.60.0.0/16",
                                                  "vpcPeeringConnectionId": pcx}, EAST)
    world.create(ACCEPTER_TOKEN, "acc", {"vpcPeeringConnectionId": pcx, "autoAccept": False}, EAST)
    with pytest.raises(PeeringRejected, match="pending-acceptance"):  # auto_accept false accepts nothing
        world.create(OPTIONS_TOKEN, "o", {"vpcPeeringConnectionId": pcx, "requester": {}}, WEST)


def test_each_sides_options_from_its_own_region(world):
    pcx = peering(world)
    world.create(ACCEPTER_TOKEN, "acc", {"vpcPeeringConnectionId": pcx, "autoAccept": True}, EAST)
    with pytest.raises(PeeringRejected, match="the accepter VPC's options .* from its Region us-east-1"):
        world.create(OPTIONS_TOKEN, "o", {"vpcPeeringConnectionId": pcx, "accepter": {
            "allowRemoteVpcDnsResolution": True}}, WEST)


def test_a_route_table_of_another_region_is_not_found(world):
    pcx = peering(world)
    world.create(ACCEPTER_TOKEN, "acc", {"vpcPeeringConnectionId": pcx, "autoAccept": True}, EAST)
    with pytest.raises(PeeringRejected, match="InvalidRouteTableID.NotFound: .* 'rtb-primary' does not exist in "
                                              "us-west-2"):
        world.create("aws:ec2/route:Route", "r", {"routeTableId": "rtb-primary", "destinationCidrBlock": "10.6.0.0/16",
                                                  "vpcPeeringConnectionId": pcx}, WEST)


def test_security_groups_of_the_peer_region_cannot_be_referenced(world):
    own, _ = world.create("aws:ec2/securityGroup:SecurityGroup", "nodes", {"vpcId": world.dr_vpc})
    with pytest.raises(PeeringRejected, match="inter-region VPC peering does not support security-group references"):
        world.create("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "in", {
            "securityGroupId": own, "ipProtocol": "tcp", "fromPort": 9000, "toPort": 9000,
            "referencedSecurityGroupId": "sg-primary"})
    with pytest.raises(PeeringRejected, match="InvalidGroup.NotFound: .* 'sg-primary' does not exist in us-west-2"):
        world.create("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "out", {
            "securityGroupId": "sg-primary", "ipProtocol": "tcp", "fromPort": 9000, "toPort": 9000,
            "cidrIpv4": "10.60.0.0/19"})


def test_one_accepter_per_connection(world):
    pcx = peering(world)
    world.create(ACCEPTER_TOKEN, "a1", {"vpcPeeringConnectionId": pcx, "autoAccept": True}, EAST)
    with pytest.raises(PeeringRejected, match="already has an accepter"):
        world.create(ACCEPTER_TOKEN, "a2", {"vpcPeeringConnectionId": pcx, "autoAccept": True}, EAST)
