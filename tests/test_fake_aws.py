"""The fake AWS behind preflight: real id formats, ARNs in the right region, loud failures."""

import re

import pulumi
import pytest

from preflight.fake_aws import FakeAws, UnknownToFake
from preflight.runner import run_stack


@pytest.fixture(scope="module")
def prod():
    return run_stack("prod")


@pytest.mark.parametrize("token,pattern", [
    ("aws:ec2/vpc:Vpc", r"vpc-[0-9a-f]{17}"),
    ("aws:ec2/subnet:Subnet", r"subnet-[0-9a-f]{17}"),
    ("aws:ec2/securityGroup:SecurityGroup", r"sg-[0-9a-f]{17}"),
    ("aws:ebs/volume:Volume", r"vol-[0-9a-f]{17}"),
    ("aws:ec2/natGateway:NatGateway", r"nat-[0-9a-f]{17}"),
    ("aws:kms/key:Key", r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
])
def test_ids_have_the_real_format(prod, token, pattern):
    resources = prod.of_type(token)
    assert resources
    assert all(re.fullmatch(pattern, r.outputs["id"]) for r in resources)


def test_arns_carry_partition_account_and_the_providers_region(prod):
    keys = prod.of_type("aws:kms/key:Key")
    regions = {k.outputs["arn"].split(":")[3] for k in keys}
    # prod copies snapshots to us-west-2 with a key made there through a second provider
    assert regions == {"us-east-1", "us-west-2"}
    assert all(k.outputs["arn"].startswith("arn:aws:kms:") and ":123456789012:key/" in k.outputs["arn"]
               for k in keys)


def test_unknown_resource_type_and_invoke_fail_loudly():
    fake = FakeAws("us-east-1")
    with pytest.raises(UnknownToFake, match="does not know resource type 'aws:foo/bar:Bar'"):
        fake.new_resource(pulumi.runtime.MockResourceArgs("aws:foo/bar:Bar", "x", {}, custom=True))
    with pytest.raises(UnknownToFake, match="does not know invoke"):
        fake.call(pulumi.runtime.MockCallArgs("aws:foo/getBar:getBar", {}, ""))
    with pytest.raises(UnknownToFake, match="does not know the public SSM parameter"):
        fake.call(pulumi.runtime.MockCallArgs("aws:ssm/getParameter:getParameter",
                                              {"name": "/aws/service/bottlerocket/aws-k8s-1.31/x86_64/latest"}, ""))
    with pytest.raises(UnknownToFake, match="knows regions"):
        FakeAws("mars-north-1")


def test_availability_zones_are_the_regions_real_names():
    result = FakeAws("eu-central-1").call(pulumi.runtime.MockCallArgs(
        "aws:index/getAvailabilityZones:getAvailabilityZones", {"state": "available"}, ""))
    assert result["names"] == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
