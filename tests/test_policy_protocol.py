"""The policy pack driven over the analyzer protocol, as the Pulumi CLI drives it."""

from __future__ import annotations

import shutil

import pytest
from policy_harness import PACK_DIR, UNKNOWN, diags_for, resource, running_pack, secret

from preflight.analyzer import PolicyPack, PolicyPackError, resolve_policy_config

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SUBNET = "aws:ec2/subnet:Subnet"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FLOW = "rustfs-ec2-vpc-require-flow-logs"
SUBNET_IP = "rustfs-ec2-subnet-disallow-public-ip-on-launch"
LOG_KMS = "rustfs-cloudwatch-loggroup-require-kms"
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def pack():
    with running_pack() as running:
        yield running


def test_info_reports_pack_version_and_policy_metadata(pack):
    info = pack.info()
    assert info["pack"] == "rustfs-aws-guardrails"
    assert info["version"] == "0.1.0"  # from PulumiPolicy.yaml, as the CLI reports it
    by_name = {p["name"]: p for p in info["policies"]}
    assert by_name[FLOW]["type"] == "stack"
    assert by_name[LOG_KMS]["severity"] == "high"
    assert by_name[LOG_KMS]["enforcementLevel"] == "mandatory"
    assert "CKV_AWS_158" in by_name[LOG_KMS]["framework"]["reference"]


def test_log_group_without_kms_is_a_mandatory_violation(pack):
    diags = pack.analyze(resource(LOG_GROUP, "app", {"retentionInDays": 365}))
    [diag] = diags_for(diags, LOG_KMS)
    assert diag["enforcementLevel"] == "mandatory" and diag["severity"] == "high"
    assert diag["urn"].endswith("::app") and "no kmsKeyId" in diag["message"]


def test_log_group_with_kms_key_passes(pack):
    assert diags_for(pack.analyze(resource(LOG_GROUP, "app", {"kmsKeyId": KEY_ARN})), LOG_KMS) == []


def test_log_group_with_unknown_key_during_preview_is_not_reported(pack):
    diags = pack.analyze(resource(LOG_GROUP, "app", {"kmsKeyId": UNKNOWN, "name": UNKNOWN}))
    assert diags_for(diags, LOG_KMS) == []


def test_subnet_mapping_public_ips_is_reported_and_private_subnet_passes(pack):
    bad = pack.analyze(resource(SUBNET, "public-a", {"mapPublicIpOnLaunch": True, "vpcId": UNKNOWN}))
    assert len(diags_for(bad, SUBNET_IP)) == 1
    good = pack.analyze(resource(SUBNET, "private-a", {"mapPublicIpOnLaunch": False}))
    assert diags_for(good, SUBNET_IP) == []
    unknown = pack.analyze(resource(SUBNET, "private-b", {"mapPublicIpOnLaunch": UNKNOWN}))
    assert diags_for(unknown, SUBNET_IP) == []


def test_secret_values_reach_validators_unwrapped(pack):
    diags = pack.analyze(resource(LOG_GROUP, "secret-key", {"kmsKeyId": secret(KEY_ARN)}))
    assert diags_for(diags, LOG_KMS) == []


def test_vpc_without_flow_log_is_reported_at_stack_level(pack):
    vpc = resource(VPC, "main", {"cidrBlock": "10.0.0.0/16"})
    [diag] = diags_for(pack.analyze_stack([vpc]), FLOW)
    assert diag["urn"] == vpc.urn


def test_vpc_with_flow_log_depending_on_it_passes_even_with_unknown_ids(pack):
    vpc = resource(VPC, "main", {"cidrBlock": "10.0.0.0/16"})
    flow = resource(FLOW_LOG, "main-flow",
                    {"vpcId": UNKNOWN, "trafficType": "ALL", "logDestination": UNKNOWN},
                    dependencies=[vpc.urn], property_dependencies={"vpcId": [vpc.urn]})
    assert diags_for(pack.analyze_stack([vpc, flow]), FLOW) == []


def test_flow_log_of_another_vpc_does_not_count(pack):
    main = resource(VPC, "main", {"cidrBlock": "10.0.0.0/16"})
    other = resource(VPC, "other", {"cidrBlock": "10.1.0.0/16"})
    flow = resource(FLOW_LOG, "other-flow", {"vpcId": UNKNOWN, "trafficType": "ALL"},
                    dependencies=[other.urn], property_dependencies={"vpcId": [other.urn]})
    diags = diags_for(pack.analyze_stack([main, other, flow]), FLOW)
    assert [d["urn"] for d in diags] == [main.urn]


def test_flow_log_capturing_only_rejected_traffic_is_reported(pack):
    vpc = resource(VPC, "main", {})
    flow = resource(FLOW_LOG, "f", {"vpcId": "vpc-0abc", "trafficType": "REJECT"},
                    property_dependencies={"vpcId": [vpc.urn]})
    [diag] = diags_for(pack.analyze_stack([vpc, flow]), FLOW)
    assert "REJECT" in diag["message"]


def test_policy_config_levels_are_resolved_per_policy_like_the_cli():
    with running_pack(policy_config={"all": "advisory", LOG_KMS: {"enforcementLevel": "mandatory"},
                                     SUBNET_IP: "disabled"}) as pack:
        diags = pack.analyze(resource(LOG_GROUP, "app", {}))
        assert diags_for(diags, LOG_KMS)[0]["enforcementLevel"] == "mandatory"
        assert diags_for(pack.analyze(resource(SUBNET, "s", {"mapPublicIpOnLaunch": True})), SUBNET_IP) == []
        [flow] = diags_for(pack.analyze_stack([resource(VPC, "v", {})]), FLOW)
        assert flow["enforcementLevel"] == "advisory"


def test_policy_config_properties_reach_the_policy():
    vpc = resource(VPC, "main", {})
    flow = resource(FLOW_LOG, "f", {"trafficType": "REJECT"}, property_dependencies={"vpcId": [vpc.urn]})
    with running_pack(policy_config={FLOW: {"trafficType": "ANY"}}) as pack:
        assert diags_for(pack.analyze_stack([vpc, flow]), FLOW) == []


def test_policy_config_errors_name_the_key():
    policies = [{"name": FLOW, "enforcementLevel": "mandatory",
                 "configSchema": {"properties": {"trafficType": {"type": "string", "enum": ["ALL", "ANY"]}}}}]
    with pytest.raises(ValueError, match="unknown policies: nope"):
        resolve_policy_config(policies, {"nope": "advisory"})
    with pytest.raises(ValueError, match=f"{FLOW}.trafficType"):
        resolve_policy_config(policies, {FLOW: {"trafficType": "SOME"}})
    with pytest.raises(ValueError, match=f"{FLOW}.other: unknown property"):
        resolve_policy_config(policies, {FLOW: {"other": 1}})
    with pytest.raises(ValueError, match="enforcementLevel 'strict'"):
        resolve_policy_config(policies, {"all": "strict"})


def test_a_broken_pack_surfaces_its_stderr(tmp_path):
    broken = tmp_path / "pack"
    shutil.copytree(PACK_DIR, broken, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    (broken / "__main__.py").write_text("raise SystemExit('boom: the pack cannot start')\n")
    with PolicyPack(broken) as pack, pytest.raises(PolicyPackError, match="boom: the pack cannot start"):
        pack.info()


def test_configure_stack_after_start_is_refused(pack):
    with pytest.raises(PolicyPackError, match="first call"):
        pack.configure_stack(project="p", stack="s", config={}, secret_keys=[])
