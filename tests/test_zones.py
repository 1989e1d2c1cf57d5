"""Availability zones by ID: validation, a default that never shifts, and offerings checked before any resource.

The fake AWS maps names to IDs per account (the default account's us-east-1a is use1-az4), can impair a zone,
offers no Nitro type in use1-az3 and can leave an endpoint service out of a zone (preflight/fake_zones.py).
"""

from __future__ import annotations

import copy
import json
from functools import cache

import pulumi
import pytest

from preflight.fake_aws import FakeAws, UnknownToFake
from preflight.fake_zones import InvalidParameterValue
from preflight.runner import PROJECT_DIR, run_stack
from preflight.stackfiles import read_stack
from rustfs_aws.config import ConfigError, parse
from rustfs_aws.network.zones import Zone, choose_zones, zone_id_prefix

SUBNET = "aws:ec2/subnet:Subnet"
VOLUME = "aws:ebs/volume:Volume"
GROUP = "aws:autoscaling/group:Group"
PROD_IDS = ["use1-az1", "use1-az2", "use1-az4"]  # Pulumi.prod.yaml
BASE = {
    "environment": "dev",
    "tags": {"Owner": "team-storage", "CostCenter": "cc-1"},
    "network": {"cidr": "10.40.0.0/16", "natGateways": "single"},
    "cluster": {"nodes": 4, "drivesPerNode": 2, "instanceType": "m6i.large"},
}


def network(stack: str, **changes) -> dict:
    raw = read_stack(PROJECT_DIR, stack).config["rustfs-aws:network"]
    base = json.loads(raw) if isinstance(raw, str) else dict(raw)
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def problems(net: dict, *, env: str = "dev", region: str = "us-east-1") -> list[str]:
    raw = copy.deepcopy(BASE)
    raw["environment"] = env
    raw["network"].update(net)
    with pytest.raises(ConfigError) as exc:
        parse(raw, stack="t", region=region)
    return exc.value.problems


def refused(stack: str, overrides: dict | None = None, **fake) -> str:
    with pytest.raises(ConfigError) as exc:
        run_stack(stack, overrides, fake=FakeAws("us-east-1", **fake) if fake else None)
    return str(exc.value)


@cache
def plain(stack: str):
    return run_stack(stack)


def zones_of(rec) -> dict[str, str]:
    """Every subnet and data volume by logical name -> the zone it is declared in."""
    return {r.name: r.inputs["availabilityZone"] for r in rec.resources if r.type in (SUBNET, VOLUME)}


def call(fake: FakeAws, token: str, **args):
    return fake.call(pulumi.runtime.MockCallArgs(token, args, ""))


# --- configuration ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("region,prefix", [
    ("us-east-1", "use1"), ("eu-west-1", "euw1"), ("ap-southeast-1", "apse1"), ("ap-northeast-3", "apne3"),
    ("us-gov-west-1", "usgw1"), ("cn-northwest-1", "cnnw1"), ("ca-central-1", "cac1"), ("me-south-1", "mes1"),
])
def test_zone_id_prefix_follows_the_region_code(region, prefix):
    assert zone_id_prefix(region) == prefix


def test_az_ids_define_the_az_count():
    raw = copy.deepcopy(BASE)
    raw["network"]["azIds"] = ["use1-az6", "use1-az1", "use1-az4"]
    cfg = parse(raw, stack="t", region="us-east-1")
    assert cfg.network.az_ids == ["use1-az6", "use1-az1", "use1-az4"] and cfg.network.az_count == 3
    raw["network"]["azCount"] = 3  # equal: accepted
    assert parse(raw, stack="t", region="us-east-1").network.az_count == 3


@pytest.mark.parametrize("net,expected", [
    ({"azIds": ["us-east-1a", "us-east-1b"]},
     "rustfs-aws:network.azIds[0]: got 'us-east-1a'; expected an AZ ID such as use1-az1 (an ID, not a zone name"),
    ({"azIds": ["use1-az1", "use1-az1"]}, "lists use1-az1 more than once; each AZ once"),
    ({"azIds": ["use1-az1", "usw2-az2"]},
     "rustfs-aws:network.azIds[1]: got 'usw2-az2'; not a zone of aws:region us-east-1; its AZ IDs are use1-az<n>"),
    ({"azIds": ["use1-az1"]}, "rustfs-aws:network.azIds: got [\"use1-az1\"]; list 2–6 AZ IDs"),
    ({"azIds": [f"use1-az{n}" for n in range(1, 8)]}, "list 2–6 AZ IDs (it defines the AZ count)"),
    ({"azIds": "use1-az1,use1-az2"}, "rustfs-aws:network.azIds: got 'use1-az1,use1-az2'; expected a list of AZ IDs"),
    ({"azIds": ["use1-az1", "use1-az2"], "azCount": 3},
     "rustfs-aws:network.azCount: got 3; network.azIds lists 2 zones and defines the AZ count; remove azCount"),
])
def test_bad_az_ids_are_refused_by_name(net, expected):
    found = problems(net)
    assert any(expected in p for p in found), found


def test_prod_pins_at_least_three_zones():
    found = problems({"azIds": ["use1-az1", "use1-az2"], "natGateways": "perAz"}, env="prod")
    assert any("rustfs-aws:network.azIds: got [\"use1-az1\", \"use1-az2\"]; prod needs at least 3 AZs" in p
               for p in found), found


def test_the_shipped_prod_stack_pins_its_zone_ids():
    assert network("prod")["azIds"] == PROD_IDS and "azCount" not in network("prod")


# --- choosing zones --------------------------------------------------------------------------------------


def test_default_is_the_first_zones_by_name_of_the_full_list_and_too_few_is_refused():
    raw = copy.deepcopy(BASE)
    raw["network"]["azCount"] = 3
    cfg = parse(raw, stack="t", region="eu-central-1")
    region = {"euc1-az3": "eu-central-1a", "euc1-az1": "eu-central-1b", "euc1-az2": "eu-central-1c"}
    zones, found = choose_zones(cfg, region)
    assert found == [] and zones == [Zone("euc1-az3", "eu-central-1a"), Zone("euc1-az1", "eu-central-1b"),
                                     Zone("euc1-az2", "eu-central-1c")]
    zones, found = choose_zones(cfg, dict(list(region.items())[:2]))
    assert zones == [] and found == ["rustfs-aws:network.azCount: got 3; region eu-central-1 has only 2 Availability "
                                     "Zones (euc1-az1 (eu-central-1b), euc1-az3 (eu-central-1a))"]


def test_a_pinned_zone_the_account_lacks_is_refused_with_the_accounts_zones():
    message = refused("dev", {"rustfs-aws:network": network("dev", azCount=None, azIds=["use1-az1", "use1-az7"])})
    assert "rustfs-aws:network.azIds: got ['use1-az7']; not Availability Zones of us-east-1 in this account" in message
    assert "use1-az1 (us-east-1c), use1-az2 (us-east-1d), use1-az3 (us-east-1e)" in message
    assert "bos" not in message  # the opted-in Local Zone is no Availability Zone


# --- the fake AWS is as particular as EC2 ----------------------------------------------------------------


def test_fake_maps_names_to_ids_per_account_and_uniformly_in_newer_regions():
    token = "aws:index/getAvailabilityZones:getAvailabilityZones"
    mine = call(FakeAws("us-east-1"), token)
    assert dict(zip(mine["names"], mine["zoneIds"], strict=True))["us-east-1a"] == "use1-az4"
    assert mine["names"] == sorted(mine["names"])  # sorted by name, IDs parallel (the data source does so)
    other = call(FakeAws("us-east-1", account_id="210987654321"), token)
    assert set(other["zoneIds"]) == set(mine["zoneIds"]) - {"use1-bos1-az1"}  # same zones, no Local Zone opt-in
    ours = dict(zip(mine["zoneIds"], mine["names"], strict=True))
    assert dict(zip(other["zoneIds"], other["names"], strict=True)) != {i: ours[i] for i in other["zoneIds"]}
    newer = call(FakeAws("eu-central-1"), token)
    assert newer["zoneIds"] == ["euc1-az1", "euc1-az2", "euc1-az3"]


def test_fake_lists_an_opted_in_local_zone_unless_filtered_by_zone_type():
    fake = FakeAws("us-east-1")
    token = "aws:index/getAvailabilityZones:getAvailabilityZones"
    assert call(fake, token)["names"][0] == "us-east-1-bos-1a"  # sorts before us-east-1a
    typed = call(fake, token, filters=[{"name": "zone-type", "values": ["availability-zone"]}])
    assert typed["names"] == [f"us-east-1{c}" for c in "abcdef"]
    with pytest.raises(UnknownToFake, match="zone filters"):
        call(fake, token, filters=[{"name": "made-up", "values": ["x"]}])


def test_impaired_zone_drops_out_of_the_available_list_only():
    fake = FakeAws("us-east-1", impaired_zone_ids={"use1-az4"})
    token = "aws:index/getAvailabilityZones:getAvailabilityZones"
    assert "us-east-1a" not in call(fake, token, state="available")["names"]
    assert "us-east-1a" in call(fake, token)["names"]


def test_fake_offers_no_nitro_type_in_use1_az3_and_answers_per_region_without_a_zone_location_type():
    fake = FakeAws("us-east-1")
    token = "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings"
    for itype in ("m6i.large", "c6in.4xlarge"):
        by_id = call(fake, token, locationType="availability-zone-id",
                     filters=[{"name": "instance-type", "values": [itype]}])
        assert sorted(by_id["locations"]) == ["use1-az1", "use1-az2", "use1-az4", "use1-az5", "use1-az6"]
    by_name = call(fake, token, locationType="availability-zone", filters=[
        {"name": "instance-type", "values": ["m6i.large"]}, {"name": "location", "values": ["us-east-1e"]}])
    assert by_name["locations"] == []  # us-east-1e is use1-az3 in this account
    assert call(fake, token, filters=[{"name": "instance-type", "values": ["m6i.large"]}])["locations"] == [
        "us-east-1"]


def test_fake_endpoint_services_list_zone_names_and_refuse_ambiguity_like_the_provider():
    fake = FakeAws("us-east-1", endpoint_gaps={"ssm": {"use1-az1"}})
    token = "aws:ec2/getVpcEndpointService:getVpcEndpointService"
    ssm = call(fake, token, serviceName="com.amazonaws.us-east-1.ssm", serviceType="Interface")
    assert "us-east-1c" not in ssm["availabilityZones"] and "us-east-1a" in ssm["availabilityZones"]
    _, failures = call(fake, token, serviceName="com.amazonaws.us-east-1.s3")  # Gateway and Interface exist
    assert "multiple EC2 VPC Endpoint Services matched" in failures[0][1]
    assert call(fake, token, serviceName="com.amazonaws.us-east-1.s3", serviceType="Gateway")["serviceType"] == (
        "Gateway")
    with pytest.raises(UnknownToFake, match="endpoint services"):
        call(fake, token, serviceName="com.amazonaws.us-east-1.made-up")


def test_fake_ec2_refuses_a_zone_name_the_account_does_not_have():
    fake = FakeAws("us-east-1")
    with pytest.raises(InvalidParameterValue, match=r"Value \(use1-az1\) for parameter availabilityZone is invalid"):
        fake.new_resource(pulumi.runtime.MockResourceArgs(VOLUME, "v", {"availabilityZone": "use1-az1"}, custom=True))
    _, outputs = fake.new_resource(pulumi.runtime.MockResourceArgs(SUBNET, "s", {"availabilityZone": "us-east-1c"},
                                                                   custom=True))
    assert outputs["availabilityZoneId"] == "use1-az1"


# --- the program against that fake -----------------------------------------------------------------------


@pytest.mark.parametrize("stack,impaired", [("dev", "use1-az4"), ("prod", "use1-az1")])
def test_an_impaired_zone_plans_the_same_subnets_and_volumes(stack, impaired):
    """An impairment of a zone the stack uses (dev: its first default zone; prod: its first pinned one) must not
    move a single subnet or data volume; the old `state=available` choice would have planned to replace them."""
    normal = plain(stack)
    during = run_stack(stack, fake=FakeAws("us-east-1", impaired_zone_ids={impaired}))
    assert zones_of(during) == zones_of(normal) and len(zones_of(normal)) > 4
    assert {r.name: r.inputs for r in during.of_type(SUBNET)} == {r.name: r.inputs for r in normal.of_type(SUBNET)}
    assert during.outputs["availabilityZoneIds"] == normal.outputs["availabilityZoneIds"]


@pytest.mark.parametrize("account", ["123456789012", "210987654321"])
def test_subnets_and_volumes_land_in_the_pinned_zone_ids_whatever_the_accounts_names(account):
    rec = run_stack("prod", fake=FakeAws("us-east-1", account_id=account))
    private = [s for s in rec.of_type(SUBNET) if s.inputs["tags"]["rustfs:tier"] == "private"]
    assert [s.outputs["availabilityZoneId"] for s in sorted(private, key=lambda s: s.name)] == PROD_IDS
    assert rec.outputs["availabilityZoneIds"] == PROD_IDS
    names = call(FakeAws("us-east-1", account_id=account), "aws:index/getAvailabilityZones:getAvailabilityZones")
    zone_id = dict(zip(names["names"], names["zoneIds"], strict=True))
    subnet_zone = {s.outputs["id"]: s.outputs["availabilityZoneId"] for s in private}
    node_zone = {next(t["value"] for t in g.inputs["tags"] if t["key"] == "rustfs:node"):
                 subnet_zone[g.inputs["vpcZoneIdentifiers"][0]] for g in rec.of_type(GROUP)}
    for v in rec.of_type(VOLUME):
        assert zone_id[v.inputs["availabilityZone"]] == node_zone[v.inputs["tags"]["rustfs:node"]], v.name
    assert sorted(node_zone.values()) == sorted(PROD_IDS * 2)


def test_dev_default_zones_are_the_first_names_of_the_full_list():
    rec = plain("dev")
    assert rec.outputs["availabilityZoneIds"] == ["use1-az4", "use1-az6"]  # us-east-1a, us-east-1b here
    assert sorted(set(zones_of(rec).values())) == ["us-east-1a", "us-east-1b"]


def test_an_instance_type_not_offered_in_a_pinned_zone_is_refused_with_the_zones_that_offer_it():
    message = refused("dev", {"rustfs-aws:network": network("dev", azCount=None, azIds=["use1-az1", "use1-az3"])})
    assert ("rustfs-aws:cluster.instanceType: got 'm6i.large'; not offered in use1-az3 (us-east-1e), one of "
            "network.azIds; it is offered in use1-az1 (us-east-1c), use1-az2 (us-east-1d), use1-az4 (us-east-1a), "
            "use1-az5 (us-east-1f), use1-az6 (us-east-1b) - set rustfs-aws:network.azIds to 2 of those") in message


def test_an_instance_type_not_offered_in_a_default_zone_is_refused_too():
    """Another account whose first three names include use1-az3: the default is not silently changed."""
    for account in (f"2109876543{n:02d}" for n in range(100)):
        listed = call(FakeAws("us-east-1", account_id=account), "aws:index/getAvailabilityZones:getAvailabilityZones")
        if "use1-az3" in listed["zoneIds"][:3]:
            break
    else:
        pytest.fail("no fake account puts use1-az3 among its first three zone names")
    with pytest.raises(ConfigError) as exc:
        run_stack("dev", {"rustfs-aws:network": network("dev", azCount=3)},
                  fake=FakeAws("us-east-1", account_id=account))
    assert "not offered in use1-az3" in str(exc.value) and "the default zones (network.azCount: 3)" in str(exc.value)


def test_an_endpoint_service_missing_in_a_zone_is_refused_by_name():
    message = refused("prod", endpoint_gaps={"ssmmessages": {"use1-az2"}})
    assert ("rustfs-aws:network.azIds: the VPC endpoint service com.amazonaws.us-east-1.ssmmessages is not offered "
            "in use1-az2 (us-east-1d)") in message
    assert "it is offered in use1-az1 (us-east-1c), use1-az3 (us-east-1e), use1-az4 (us-east-1a)" in message


def test_an_endpoint_service_the_region_lacks_is_refused_by_name():
    message = refused("dev", absent_services={"s3"})
    assert "rustfs-aws:network.azIds: region us-east-1 offers no Gateway VPC endpoint service " \
           "com.amazonaws.us-east-1.s3" in message and "no matching EC2 VPC Endpoint Service found" in message


def test_nothing_but_the_provider_is_declared_when_the_zones_are_refused():
    class Watching(FakeAws):
        def new_resource(self, args):
            declared.append(args.typ)
            return super().new_resource(args)

    declared: list[str] = []
    with pytest.raises(ConfigError):
        run_stack("prod", fake=Watching("us-east-1", endpoint_gaps={"kms": {"use1-az4"}}))
    assert declared == ["pulumi:providers:aws"]
