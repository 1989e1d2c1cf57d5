"""DLM snapshots of the data volumes: selected by tag, schedule from config, encrypted copies in prod."""

from __future__ import annotations

import json
from functools import cache

import pytest

from preflight.runner import run_stack
from rustfs_aws.cluster.snapshots import copy_retention_days

POLICY = "aws:dlm/lifecyclePolicy:LifecyclePolicy"
VOLUME = "aws:ebs/volume:Volume"
STACKS = ["dev", "prod"]


@cache
def rec(stack: str):
    return run_stack(stack)


def backup(r) -> dict:
    raw = r.settings.config.get("rustfs-aws:backup")
    return json.loads(raw) if raw else {}


@pytest.mark.parametrize("stack", STACKS)
def test_policy_targets_exactly_the_data_volumes_by_tag(stack):
    r = rec(stack)
    details = r.one(POLICY).inputs["policyDetails"]
    assert details["policyType"] == "EBS_SNAPSHOT_MANAGEMENT" and details["resourceTypes"] == ["VOLUME"]
    [(key, value)] = details["targetTags"].items()
    volumes = r.of_type(VOLUME)
    assert volumes and all(v.inputs["tags"].get(key) == value for v in volumes)
    for lt in r.of_type("aws:ec2/launchTemplate:LaunchTemplate"):  # root volumes must not match
        root = next(t["tags"] for t in lt.inputs["tagSpecifications"] if t["resourceType"] == "volume")
        assert root.get(key) != value


@pytest.mark.parametrize("stack,interval,retain", [("dev", 24, 3), ("prod", 24, 14)])
def test_schedule_and_retention_come_from_config(stack, interval, retain):
    [schedule] = rec(stack).one(POLICY).inputs["policyDetails"]["schedules"]
    assert schedule["createRule"] == {"interval": interval, "intervalUnit": "HOURS"}
    assert schedule["retainRule"] == {"count": retain}
    assert schedule["copyTags"] is True  # snapshots keep rustfs:stack, so the boundary lets DLM delete them


def test_prod_copies_every_snapshot_encrypted_to_the_copy_region_with_its_own_key():
    r = rec("prod")
    [schedule] = r.one(POLICY).inputs["policyDetails"]["schedules"]
    [copy] = schedule["crossRegionCopyRules"]
    assert copy["target"] == backup(r)["copyRegion"] == "us-west-2"
    assert copy["encrypted"] is True
    key = next(k for k in r.of_type("aws:kms/key:Key") if k.outputs["arn"] == copy["cmkArn"])
    provider = r.by_urn(key.provider.rsplit("::", 1)[0])
    assert provider.inputs["region"] == "us-west-2"  # a copy can only use a key of its own region
    assert key.inputs["enableKeyRotation"] is True and key.protect
    assert copy["retainRule"] == {"interval": copy_retention_days(24, 14), "intervalUnit": "DAYS"}


def test_dev_has_no_cross_region_copy():
    [schedule] = rec("dev").one(POLICY).inputs["policyDetails"]["schedules"]
    assert "crossRegionCopyRules" not in schedule


def test_copy_retention_covers_the_originals():
    assert copy_retention_days(24, 14) == 14
    assert copy_retention_days(6, 3) == 1
    assert copy_retention_days(12, 5) == 3  # 60 h rounds up to 3 days, never shorter than the originals


@pytest.mark.parametrize("stack", STACKS)
def test_dlm_role_is_trusted_by_dlm_only_and_uses_the_keys_through_ec2(stack):
    r = rec(stack)
    execution_role = r.one(POLICY).inputs["executionRoleArn"]
    role = next(x for x in r.of_type("aws:iam/role:Role") if x.outputs["arn"] == execution_role)
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "dlm.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    # DLM also sends the lifecycle policy's ARN (rustfs_model.service_context), unknown until it exists.
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"].endswith(":123456789012:policy/*")
    assert role.inputs["permissionsBoundary"]
    [inline] = [p for p in r.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.outputs["id"]]
    statements = json.loads(inline.inputs["policy"])["Statement"]
    assert all(s["Resource"] != "*" and s["Condition"] for s in statements)
