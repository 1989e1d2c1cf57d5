"""KMS keys: key policies (pure) and the Keys component as the program declares it."""

from __future__ import annotations

import json
from functools import cache

import pytest
from iam_review import unexplained

from preflight.fake_aws import ACCOUNT_ID
from preflight.runner import run_stack
from rustfs_aws.security.key_policies import (
    ADMIN_ACTIONS,
    PURPOSES,
    alias_name,
    autoscaling_service_role_arn,
    key_policy,
    trail_name,
)

ACCOUNT = "123456789012"
ADMIN = "arn:aws:iam::123456789012:role/KeyAdmin"
CRYPTO = {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:*"}
KEY = "aws:kms/key:Key"


def policy(purpose: str, *, admin: str | None = None, trail: bool = True, config: bool = True,
           region: str = "eu-west-1", partition: str = "aws") -> dict:
    return key_policy(purpose, name="rustfs-dev", account_id=ACCOUNT, partition=partition, region=region,
                      key_admin_role_arn=admin, trail_name="rustfs-dev-trail" if trail else None,
                      config_delivery=config)


def by_sid(doc: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in doc["Statement"]}


def actions(stmt: dict) -> set[str]:
    a = stmt["Action"]
    return {a} if isinstance(a, str) else set(a)


ALL_VARIANTS = [(p, admin) for p in PURPOSES for admin in (None, ADMIN)]


@pytest.mark.parametrize(("purpose", "admin"), ALL_VARIANTS)
def test_key_policies_pass_parliament_and_cloudsplaining(purpose, admin):
    assert unexplained(policy(purpose, admin=admin), "key-policy") == []


@pytest.mark.parametrize(("purpose", "admin"), ALL_VARIANTS)
def test_no_wildcard_principal_without_pinning_condition(purpose, admin):
    for stmt in policy(purpose, admin=admin)["Statement"]:
        assert stmt["Effect"] == "Allow"
        principal = stmt["Principal"]
        if principal == "*" or principal.get("AWS") == "*":
            pinned = stmt["Condition"]["StringEquals"]
            assert pinned["aws:PrincipalAccount"] == ACCOUNT, stmt["Sid"]
            assert pinned["aws:PrincipalArn"].startswith(f"arn:aws:iam::{ACCOUNT}:role/"), stmt["Sid"]


@pytest.mark.parametrize(("purpose", "admin"), ALL_VARIANTS)
def test_every_service_principal_is_conditioned_to_this_account_or_resource(purpose, admin):
    for stmt in policy(purpose, admin=admin)["Statement"]:
        if "Service" not in stmt["Principal"]:
            continue
        flat = {k: v for block in stmt["Condition"].values() for k, v in block.items()}
        scoping = {"aws:SourceAccount", "aws:SourceArn", "kms:EncryptionContext:aws:logs:arn"}
        assert scoping & set(flat), f"{stmt['Sid']} has no source/context condition: {stmt['Condition']}"
        assert all(ACCOUNT in str(flat[k]) for k in scoping & set(flat)), stmt["Sid"]


def test_default_policy_lets_the_account_administer_through_iam():
    stmt = by_sid(policy("data"))["AccountAdministersKeyThroughIam"]
    assert stmt["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert stmt["Action"] == "kms:*"


@pytest.mark.parametrize("purpose", PURPOSES)
def test_key_admin_role_administers_but_cannot_use_the_key(purpose):
    doc = policy(purpose, admin=ADMIN)
    sids = by_sid(doc)
    assert "AccountAdministersKeyThroughIam" not in sids
    admin = sids["KeyAdministratorRole"]
    assert admin["Principal"] == {"AWS": ADMIN}
    assert admin["Action"] == ADMIN_ACTIONS and not (actions(admin) & CRYPTO)
    assert not any("kms:*" in actions(s) for s in doc["Statement"])


@pytest.mark.parametrize(("purpose", "service"), [("data", "ec2"), ("storage", "s3"), ("logs", "logs"),
                                                   ("secrets", "secretsmanager"), ("messaging", "sns")])
def test_with_key_admin_role_the_account_uses_each_key_only_through_its_service(purpose, service):
    sids = by_sid(policy(purpose, admin=ADMIN, region="eu-west-1"))
    for sid in ("AccountUsesKeyThroughService", "AccountGrantsToAwsResources"):
        cond = sids[sid]["Condition"]["StringEquals"]
        assert cond == {"kms:CallerAccount": ACCOUNT, "kms:ViaService": f"{service}.eu-west-1.amazonaws.com"}
    assert sids["AccountGrantsToAwsResources"]["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_logs_key_serves_only_this_stacks_log_groups_through_the_regional_principal():
    stmt = by_sid(policy("logs", region="eu-west-1"))["CloudWatchLogsEncryptsStackLogGroups"]
    assert stmt["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert stmt["Condition"] == {"StringLike": {"kms:EncryptionContext:aws:logs:arn":
                                                f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/rustfs/rustfs-dev/*"}}


def test_data_key_lets_only_the_autoscaling_service_linked_role_launch_encrypted_volumes():
    sids = by_sid(policy("data", partition="aws-us-gov", region="us-gov-west-1"))
    slr = autoscaling_service_role_arn("aws-us-gov", ACCOUNT)
    assert slr.endswith("role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling")
    for sid in ("AutoScalingUsesKeyForVolumes", "AutoScalingGrantsForVolumes"):
        assert sids[sid]["Condition"]["StringEquals"]["aws:PrincipalArn"] == slr
    assert sids["AutoScalingGrantsForVolumes"]["Action"] == "kms:CreateGrant"
    assert sids["AutoScalingGrantsForVolumes"]["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_storage_key_grants_cloudtrail_only_for_this_trail_and_config_only_when_created():
    sids = by_sid(policy("storage", region="eu-west-1"))
    trail = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/rustfs-dev-trail"
    encrypt = sids["CloudTrailEncryptsLogs"]
    assert encrypt["Condition"]["StringEquals"] == {"aws:SourceArn": trail}
    assert encrypt["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"}
    assert sids["ConfigDeliversToAuditBucket"]["Principal"] == {"Service": "config.amazonaws.com"}
    assert sids["S3ServerAccessLogDelivery"]["Action"] == ["kms:GenerateDataKey"]
    assert "VendedLogDelivery" in sids

    bare = by_sid(policy("storage", trail=False, config=False))
    assert not {"CloudTrailEncryptsLogs", "CloudTrailDescribesKey", "ConfigDeliversToAuditBucket"} & set(bare)


def test_messaging_key_lets_alarms_and_budgets_publish_from_this_account_only():
    sids = by_sid(policy("messaging"))
    assert sids["CloudWatchAlarmsPublish"]["Condition"]["ArnLike"]["aws:SourceArn"].startswith(
        f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:")
    assert sids["BudgetsPublish"]["Principal"] == {"Service": "budgets.amazonaws.com"}


def test_unknown_purpose_is_refused():
    with pytest.raises(ValueError, match="unknown key purpose 'backup'"):
        policy("backup")


# --- the component, as the program declares it --------------------------------------------------

@cache
def recording(stack: str = "dev", security: str | None = None):
    overrides = {"rustfs-aws:security": json.loads(security)} if security else None
    return run_stack(stack, overrides=overrides)


def keys_by_purpose(rec) -> dict:
    """The Keys component's keys (other components' own keys, e.g. the snapshot-copy key, are theirs)."""
    return {r.inputs["tags"]["rustfs:key-purpose"]: r for r in rec.of_type(KEY)
            if rec.by_urn(r.parent).type == "rustfs:security:Keys"}


def test_dev_declares_one_rotating_key_per_purpose_with_alias_and_policy():
    rec = recording()
    keys = keys_by_purpose(rec)
    assert set(keys) == set(PURPOSES)
    aliases = {a.inputs["name"]: a for a in rec.of_type("aws:kms/alias:Alias")}
    for purpose, key in keys.items():
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["deletionWindowInDays"] == 30
        assert key.protect is False
        assert rec.by_urn(key.parent).type == "rustfs:security:Keys"
        for tag in ("Project", "Environment", "Owner", "CostCenter"):
            assert key.inputs["tags"][tag]
        # dev does not own the account: prod's AWS Config recorder delivers to prod's bucket, not dev's
        expected = key_policy(purpose, name="rustfs-dev", account_id=ACCOUNT_ID, partition="aws",
                              region="us-east-1", trail_name=trail_name("rustfs-dev"),
                              config_delivery=False)
        assert json.loads(key.inputs["policy"]) == expected
        alias = aliases[alias_name("dev", purpose)]
        assert alias.inputs["targetKeyId"] == key.outputs["keyId"]


def test_prod_keys_are_protected():
    keys = keys_by_purpose(recording("prod"))
    # prod encrypts RustFS objects with its sse key (encryption.sse: aws, integrations/documents.py)
    assert set(keys) == {*PURPOSES, "sse"} and all(k.protect for k in keys.values())


def test_ebs_encryption_by_default_is_off_unless_the_account_owner_configures_it():
    for stack in ("dev", "prod"):
        assert recording(stack).of_type("aws:ebs/encryptionByDefault:EncryptionByDefault") == []
        assert recording(stack).of_type("aws:ebs/defaultKmsKey:DefaultKmsKey") == []
    # an account setting: only the stack that owns the account (prod) may turn it on (tests/test_account_singletons)
    rec = recording("prod", security=json.dumps({"ebsEncryptionByDefault": True}))
    assert rec.one("aws:ebs/encryptionByDefault:EncryptionByDefault").inputs["enabled"] is True
    # The account's default key stays AWS's aws/ebs: a key of this stack would make every other team's launch
    # depend on its grants, and this stack's destroy would schedule it for deletion.
    assert rec.of_type("aws:ebs/defaultKmsKey:DefaultKmsKey") == []


def test_no_key_of_the_stack_ever_becomes_the_accounts_default_ebs_key():
    own = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0000-4000-8000-000000000001"  # the user's, outside
    rec = recording("prod", security=json.dumps({"ebsEncryptionByDefault": True, "ebsDefaultKmsKeyArn": own}))
    assert rec.one("aws:ebs/defaultKmsKey:DefaultKmsKey").inputs["keyArn"] == own
    stack_keys = {k.outputs["arn"] for k in rec.of_type(KEY)}
    assert own not in stack_keys
    # The stack's own volumes never rely on the default: each names the data key.
    data_key = rec.one(KEY, "rustfs-prod-keys-data").outputs["arn"]
    assert {v.inputs["kmsKeyId"] for v in rec.of_type("aws:ebs/volume:Volume")} == {data_key}


def test_configured_key_admin_role_lands_in_every_key_policy():
    rec = recording(security=json.dumps({"keyAdminRoleArn": ADMIN}))
    for key in rec.of_type(KEY):
        sids = by_sid(json.loads(key.inputs["policy"]))
        assert sids["KeyAdministratorRole"]["Principal"] == {"AWS": ADMIN}
        assert "AccountAdministersKeyThroughIam" not in sids
