"""dev and prod in one AWS account and Region: no account-level singleton is declared twice (issue 9 §3).

Two program runs share one FakeAccount (preflight/fake_account.py), as two stacks share one account: the
fake refuses a second configuration recorder, delivery channel, Config service-linked role or EBS default
setting as AWS would, and an account that already records (Control Tower) refuses the first.
"""

from __future__ import annotations

import json
from collections import Counter

import policy_harness  # noqa: F401 - puts the policy pack on sys.path
import pytest
from rustfs_guardrails.audit import ACCOUNT_SINGLETONS

from preflight.fake_account import (
    SERVICE_LINKED_ROLE,
    AccountConflict,
    FakeAccount,
)
from preflight.fake_aws import FakeAws
from preflight.runner import PROJECT_DIR, run_stack
from preflight.stackfiles import read_stack
from rustfs_aws.config import ConfigError, parse

RECORDER, CHANNEL = "aws:cfg/recorder:Recorder", "aws:cfg/deliveryChannel:DeliveryChannel"
STATUS, RULE = "aws:cfg/recorderStatus:RecorderStatus", "aws:cfg/rule:Rule"
EBS_DEFAULT, EBS_KEY = "aws:ebs/encryptionByDefault:EncryptionByDefault", "aws:ebs/defaultKmsKey:DefaultKmsKey"
TRAIL = "aws:cloudtrail/trail:Trail"


def deploy(stack: str, account: FakeAccount, overrides: dict | None = None):
    region = read_stack(PROJECT_DIR, stack).region
    return run_stack(stack, overrides, fake=FakeAws(region, account=account))


def singletons(recording) -> Counter:
    return Counter(r.type for r in recording.resources if r.type in ACCOUNT_SINGLETONS)


@pytest.fixture(scope="module")
def shared():
    """prod then dev, deployed into one empty account and Region."""
    account = FakeAccount()
    prod = deploy("prod", account)
    dev = deploy("dev", account)
    return account, prod, dev


# --- the shipped stacks share one account --------------------------------------------------------------

def test_the_shipped_stacks_share_one_account_and_region():
    dev, prod = read_stack(PROJECT_DIR, "dev"), read_stack(PROJECT_DIR, "prod")
    assert dev.region == prod.region
    owners = [s for s in ("dev", "prod")
              if json.loads(read_stack(PROJECT_DIR, s).config.get("rustfs-aws:account", "{}"))
              .get("ownsAccountResources") is True]
    assert owners == ["prod"]  # exactly one owner, the long-lived protected stack


def test_dev_and_prod_deploy_into_one_account_without_declaring_a_singleton_twice(shared):
    account, prod, dev = shared
    both = singletons(prod) + singletons(dev)
    assert both and max(both.values()) == 1, both
    assert singletons(dev) == Counter()  # dev owns nothing of the account
    assert {RECORDER, CHANNEL, STATUS, SERVICE_LINKED_ROLE} <= set(singletons(prod))
    assert account.holder(RECORDER, "us-east-1").stack == "prod"
    assert account.holder(SERVICE_LINKED_ROLE, "", "config.amazonaws.com").stack == "prod"
    # The account's managed rules evaluate every resource: one set, the owner's.
    assert prod.of_type(RULE) and dev.of_type(RULE) == []


def test_the_order_of_the_first_deployments_does_not_matter():
    account = FakeAccount()
    deploy("dev", account)  # the non-owner first: it needs nothing the owner has not made yet
    prod = deploy("prod", account)
    assert prod.of_type(RECORDER)


def test_the_recorder_records_as_configs_service_linked_role(shared):
    _, prod, _ = shared
    role = prod.one(SERVICE_LINKED_ROLE)
    assert role.inputs["awsServiceName"] == "config.amazonaws.com"
    assert prod.one(RECORDER).inputs["roleArn"] == role.outputs["arn"] == (
        "arn:aws:iam::123456789012:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig")
    # No stack role for Config: a role of this stack would carry its permissions boundary.
    assert not [r for r in prod.of_type("aws:iam/role:Role") if "config.amazonaws.com" in r.inputs["assumeRolePolicy"]]


# --- what AWS refuses -------------------------------------------------------------------------------------

DEV_OWNS = {"rustfs-aws:account": {"ownsAccountResources": True}}


# The first singleton the engine registers fails: the recorder, or the Session Manager preferences (both are
# the owner's; tests/test_sessions.py refuses the preferences on their own).
_SECOND_OWNER = "MaxNumberOfConfigurationRecordersExceededException|DocumentAlreadyExists"


@pytest.mark.parametrize("audit,error", [
    # auto finds prod's service-linked role and uses it: the recorder is what AWS refuses.
    (None, _SECOND_OWNER),
    ({"configServiceLinkedRole": "existing"}, _SECOND_OWNER),
])
def test_a_second_owner_in_the_account_fails_as_aws_does(audit, error):
    account = FakeAccount()
    deploy("prod", account)
    overrides = {**DEV_OWNS, **({"rustfs-aws:audit": audit} if audit else {})}
    with pytest.raises(AccountConflict, match=error) as exc:
        deploy("dev", account, overrides)
    assert "of stack 'prod'" in str(exc.value) and "ownsAccountResources" in str(exc.value)


def test_an_account_that_already_records_refuses_a_stack_that_creates_a_recorder():
    with pytest.raises(AccountConflict, match="MaxNumberOfConfigurationRecordersExceededException") as exc:
        deploy("prod", FakeAccount.control_tower(["us-east-1"]))
    assert "aws-controltower-BaselineConfigRecorder" in str(exc.value)


def test_an_owner_that_says_existing_uses_the_organizations_recorder_and_adds_the_rules():
    account = FakeAccount.control_tower(["us-east-1"])
    prod = deploy("prod", account, {"rustfs-aws:audit": {"config": "existing"}})
    assert prod.of_type(RECORDER) == [] and prod.of_type(SERVICE_LINKED_ROLE) == [] and prod.of_type(RULE)


def test_rules_need_a_recorder_in_the_region():
    # `existing` in an account where nobody records: PutConfigRule has no recorder to evaluate with.
    with pytest.raises(AccountConflict, match="NoAvailableConfigurationRecorderException"):
        deploy("prod", FakeAccount(), {"rustfs-aws:audit": {"config": "existing"}})


# --- the fake account on its own --------------------------------------------------------------------------

def declare(account: FakeAccount, type_token: str, stack: str, resource: str, region: str = "us-east-1",
            **inputs):
    account.declare(region, type_token, stack, resource, inputs)


def test_the_config_service_linked_role_is_one_per_account_not_per_region():
    account = FakeAccount()
    declare(account, SERVICE_LINKED_ROLE, "prod", "slr", awsServiceName="config.amazonaws.com")
    with pytest.raises(AccountConflict, match="has been taken in this account"):
        declare(account, SERVICE_LINKED_ROLE, "eu", "slr", "eu-west-1", awsServiceName="config.amazonaws.com")
    # A second Region's owner can still record, with the role that exists (configServiceLinkedRole: existing).
    declare(account, RECORDER, "eu", "rec", "eu-west-1", name="rustfs-eu-recorder")


@pytest.mark.parametrize("token", [CHANNEL, EBS_DEFAULT, EBS_KEY])
def test_every_regional_singleton_has_one_holder(token):
    account = FakeAccount()
    declare(account, RECORDER, "prod", "rec", name="rustfs-prod-recorder")
    declare(account, token, "prod", "one", name="rustfs-prod-one")
    declare(account, token, "prod", "one", name="rustfs-prod-one")  # an update of one's own
    with pytest.raises(AccountConflict, match="is already resource 'one' of stack 'prod'"):
        declare(account, token, "dev", "two", name="rustfs-dev-two")
    declare(account, RECORDER, "dev", "rec", "eu-west-1", name="rustfs-dev-recorder")
    declare(account, token, "dev", "two", "eu-west-1", name="rustfs-dev-two")  # another Region's is another


def test_ebs_default_encryption_conflict_explains_the_destroy_of_the_other_stack():
    account = FakeAccount()
    declare(account, EBS_DEFAULT, "prod", "ebs", enabled=True)
    with pytest.raises(AccountConflict, match="destroy of either resets it"):
        declare(account, EBS_DEFAULT, "dev", "ebs", enabled=True)


def test_recorder_status_and_channel_need_the_stacks_own_recorder():
    account = FakeAccount.control_tower(["us-east-1"])
    with pytest.raises(AccountConflict, match="would start and stop it"):
        declare(account, STATUS, "dev", "status", name="aws-controltower-BaselineConfigRecorder", isEnabled=True)
    empty = FakeAccount()
    with pytest.raises(AccountConflict, match="NoAvailableConfigurationRecorderException"):
        declare(empty, CHANNEL, "dev", "channel", name="c")
    with pytest.raises(AccountConflict, match="NoSuchConfigurationRecorderException"):
        declare(empty, STATUS, "dev", "status", name="nope", isEnabled=True)


def test_trails_are_a_quota_of_five_per_region_not_a_singleton():
    account = FakeAccount(preexisting_trails={"us-east-1": 3})
    declare(account, TRAIL, "prod", "trail", isMultiRegionTrail=True)
    declare(account, TRAIL, "dev", "trail", isMultiRegionTrail=True)  # two stacks, two trails: fine
    with pytest.raises(AccountConflict, match="MaximumNumberOfTrailsExceededException.*6 trails in us-east-1"):
        # a multi-region trail made from another Region counts in us-east-1 too
        declare(account, TRAIL, "eu", "trail", "eu-west-1", isMultiRegionTrail=True)


def test_a_single_preflight_run_takes_existing_on_trust():
    fake = FakeAws("us-east-1")
    assert fake.account.trust_existing
    fake.account.declare("us-east-1", RULE, "prod", "rule", {})  # no recorder known: assumed to exist


# --- configuration: the default never declares an account singleton ------------------------------------

BASE = {"environment": "dev", "tags": {"Owner": "o", "CostCenter": "c"},
        "cluster": {"nodes": 4, "drivesPerNode": 2, "instanceType": "m6i.large"}}


def parsed(**sections):
    return parse({**BASE, **sections}, stack="t", region="us-east-1")


def problems(**sections) -> str:
    with pytest.raises(ConfigError) as exc:
        parsed(**sections)
    return str(exc.value)


def test_by_default_a_stack_owns_nothing_of_the_account():
    cfg = parsed()
    assert cfg.account.owns_account_resources is False
    assert cfg.audit.config == "existing" and cfg.security.ebs_encryption_by_default is False


def test_the_owner_creates_the_recorder_by_default():
    cfg = parsed(account={"ownsAccountResources": True})
    assert (cfg.audit.config, cfg.audit.config_service_linked_role) == ("create", "auto")


@pytest.mark.parametrize("sections,key", [
    ({"audit": {"config": "create"}}, "rustfs-aws:audit.config: got 'create'"),
    ({"security": {"ebsEncryptionByDefault": True}}, "rustfs-aws:security.ebsEncryptionByDefault: got true"),
    ({"audit": {"configServiceLinkedRole": "existing"}}, "rustfs-aws:audit.configServiceLinkedRole: got 'existing'"),
    ({"account": {"ownsAccountResources": "yes"}}, "rustfs-aws:account.ownsAccountResources: got 'yes'"),
    ({"account": {"owner": True}}, "rustfs-aws:account.owner: got true; unknown key"),
])
def test_contradictions_name_the_key_and_the_way_out(sections, key):
    message = problems(**sections)
    assert key in message
    if "ownsAccountResources" not in key and "owner" not in key:
        assert "account.ownsAccountResources: true" in message or "only used with audit.config: create" in message


# --- the Config service-linked role: created only where the account lacks it ------------------------------

SLR_ARN = "arn:aws:iam::123456789012:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
CONFIG_SERVICE = "config.amazonaws.com"


def with_config_role(by: str = "outside this project") -> FakeAccount:
    """An account where AWS Config was enabled before (the console, Security Hub, a conformance pack)."""
    return FakeAccount().preexisting(SERVICE_LINKED_ROLE, "", CONFIG_SERVICE, by)


def test_a_fresh_account_gets_the_role_created_and_kept_on_destroy():
    prod = deploy("prod", FakeAccount())
    role = prod.one(SERVICE_LINKED_ROLE)
    assert role.retain_on_delete, "IAM refuses to delete it while any recorder uses it"
    assert prod.one(RECORDER).inputs["roleArn"] == role.outputs["arn"] == SLR_ARN


@pytest.mark.parametrize("account", [with_config_role(), FakeAccount.control_tower(["us-west-2"])],
                         ids=["config-enabled-before", "control-tower"])
def test_an_account_with_the_role_uses_it_by_its_fixed_arn(account):
    prod = deploy("prod", account)
    assert prod.of_type(SERVICE_LINKED_ROLE) == []
    assert prod.one(RECORDER).inputs["roleArn"] == SLR_ARN


def test_the_owners_next_up_keeps_the_role_it_created():
    # Now the role exists, but it is this stack's (its tags): auto must not drop it from the stack.
    account = FakeAccount()
    deploy("prod", account)
    again = deploy("prod", account)
    assert again.one(SERVICE_LINKED_ROLE).retain_on_delete


@pytest.mark.parametrize("account,setting,message", [
    (with_config_role(), "create", "got 'create'; AWSServiceRoleForConfig already exists in this account"),
    (FakeAccount(), "existing", "got 'existing'; this account has no AWSServiceRoleForConfig"),
])
def test_an_explicit_setting_against_the_account_is_refused_before_any_resource(account, setting, message,
                                                                               program_monitors):
    monitors = program_monitors
    with pytest.raises(ConfigError) as exc:
        deploy("prod", account, {"rustfs-aws:audit": {"configServiceLinkedRole": setting}})
    assert f"rustfs-aws:audit.configServiceLinkedRole: {message}" in str(exc.value)
    assert "auto (the default)" in str(exc.value)
    assert {r.type for r in monitors[0].recorded} == {"pulumi:providers:aws"}


def test_create_in_an_account_with_the_role_would_fail_in_iam_too():
    # What `create` is refused for: the fake's IAM, like AWS's, never creates the role twice.
    account = with_config_role()
    with pytest.raises(AccountConflict, match="Service role name AWSServiceRoleForConfig has been taken"):
        declare(account, SERVICE_LINKED_ROLE, "prod", "slr", awsServiceName=CONFIG_SERVICE)


def test_the_fake_lists_the_role_only_when_the_account_has_it():
    from preflight.fake_account import get_role, get_roles

    fresh = FakeAws("us-east-1", account=FakeAccount())
    prefix = "/aws-service-role/config.amazonaws.com/"
    assert get_roles(fresh, {"pathPrefix": prefix})["names"] == []  # ListRoles: empty, never an error
    _, failures = get_role(fresh, {"name": "AWSServiceRoleForConfig"})
    assert "NoSuchEntity" in failures[0][1]
    declare(fresh.account, SERVICE_LINKED_ROLE, "prod", "slr", awsServiceName=CONFIG_SERVICE,
            tags={"rustfs:stack": "prod"})
    listed = get_roles(fresh, {"pathPrefix": prefix})
    assert (listed["names"], listed["arns"]) == (["AWSServiceRoleForConfig"], [SLR_ARN])
    assert get_role(fresh, {"name": "AWSServiceRoleForConfig"})["tags"] == {"rustfs:stack": "prod"}


# --- EBS encryption by default: the account's default key is never a key of a stack -----------------------

def test_the_owner_turns_encryption_by_default_on_and_leaves_the_default_key_to_aws():
    account = FakeAccount()
    prod = deploy("prod", account, {"rustfs-aws:security": {"ebsEncryptionByDefault": True}})
    assert singletons(prod)[EBS_DEFAULT] == 1 and singletons(prod)[EBS_KEY] == 0
    assert account.holder(EBS_KEY, "us-east-1") is None  # aws/ebs, AWS's own: nobody's stack
    assert singletons(deploy("dev", account)) == Counter()


@pytest.mark.parametrize("security,message", [
    ({"ebsDefaultKmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0000-4000-8000-000000000001"},
     "rustfs-aws:security.ebsDefaultKmsKeyArn: got 'arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0000-4000-8000"
     "-000000000001'; only used with security.ebsEncryptionByDefault: true"),
    ({"ebsEncryptionByDefault": True, "ebsDefaultKmsKeyArn": "alias/aws/ebs"},
     "rustfs-aws:security.ebsDefaultKmsKeyArn: got 'alias/aws/ebs'; expected KMS key or alias ARN"),
    ({"ebsEncryptionByDefault": True,
      "ebsDefaultKmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:alias/platform-ebs"},
     "the default EBS key must be a key of this stack's Region (us-east-1)"),
])
def test_the_default_ebs_key_setting_is_validated(security, message):
    assert message in problems(account={"ownsAccountResources": True}, security=security)
