"""Audit baseline: bucket hardening on every bucket, bucket policies, the trail, AWS Config and its rules."""

from __future__ import annotations

import json
from functools import cache

import pytest
from iam_review import unexplained

from preflight.fake_account import SERVICE_LINKED_ROLE, FakeAccount
from preflight.fake_aws import ACCOUNT_ID, FakeAws
from preflight.runner import run_stack
from rustfs_aws.security.audit import (
    MANAGED_RULES,
    config_service_linked_role_arn,
    data_bucket_prefix,
    required_tags_parameters,
)
from rustfs_aws.security.key_policies import key_policy
from rustfs_aws.storage.bucket_policies import audit_bucket_policy, logs_bucket_policy
from rustfs_aws.storage.buckets import bucket_name

BUCKET = "aws:s3/bucket:Bucket"
ARN = "arn:aws:s3:::rustfs-dev-audit-123456789012-us-east-1"
TRAIL = "arn:aws:cloudtrail:us-east-1:123456789012:trail/rustfs-dev-trail"


@cache
def recording(stack: str = "dev", audit: str | None = None):
    return run_stack(stack, overrides={"rustfs-aws:audit": json.loads(audit)} if audit else None)


def parts_of(rec, bucket) -> dict[str, object]:
    """Bucket sub-resources by type, for one bucket."""
    found = {}
    for res in rec.resources:
        if res.type.startswith("aws:s3/") and res.type != BUCKET and res.inputs.get("bucket") == bucket.outputs["id"]:
            assert res.type not in found, f"two {res.type} for {bucket.name}"
            found[res.type] = res
    return found


# --- every bucket of the stack is hardened ---------------------------------------------------------

@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_bucket_is_hardened(stack):
    rec = recording(stack)
    buckets = rec.of_type(BUCKET)
    assert len(buckets) >= 2
    storage_key = next(k for k in rec.of_type("aws:kms/key:Key") if k.inputs["tags"]["rustfs:key-purpose"] == "storage")
    for bucket in buckets:
        parts = parts_of(rec, bucket)
        pab = parts["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"].inputs
        assert all(pab[f] is True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                             "restrictPublicBuckets")), bucket.name
        ownership = parts["aws:s3/bucketOwnershipControls:BucketOwnershipControls"].inputs
        assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
        sse = parts["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"]
        rule = sse.inputs["rules"][0]
        assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
        assert rule["bucketKeyEnabled"] is True
        if bucket.name.startswith(f"rustfs-{stack}-audit-"):
            assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == storage_key.outputs["arn"]
        versioning = parts["aws:s3/bucketVersioning:BucketVersioning"].inputs
        assert versioning["versioningConfiguration"]["status"] == "Enabled"
        policy = json.loads(parts["aws:s3/bucketPolicy:BucketPolicy"].inputs["policy"])
        tls = [s for s in policy["Statement"] if s["Effect"] == "Deny"
               and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"]
        assert tls and tls[0]["Action"] == "s3:*", bucket.name
        assert "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration" in parts
        assert bucket.protect is (stack == "prod") and bucket.retain_on_delete is (stack == "prod")
        # Outside prod, destroy must empty the bucket (tests/test_destroy_recreate.py models why).
        assert bucket.inputs.get("forceDestroy") is (stack != "prod")


def test_lifecycle_follows_the_audit_config():
    rec = recording(audit=json.dumps({"transitionIaDays": 45, "transitionGlacierDays": 120,
                                      "expirationDays": 800}))
    for bucket in (b for b in rec.of_type(BUCKET) if b.name.startswith("rustfs-dev-audit-")):
        rules = parts_of(rec, bucket)["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"]
        rule = rules.inputs["rules"][0]
        assert rule["transitions"] == [{"days": 45, "storageClass": "STANDARD_IA"},
                                       {"days": 120, "storageClass": "GLACIER"}]
        assert rule["expiration"] == {"days": 800}
        assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


def test_audit_bucket_logs_into_the_logs_bucket():
    rec = recording()
    logging = rec.one("aws:s3/bucketLogging:BucketLogging")
    assert logging.inputs["bucket"] == f"rustfs-dev-audit-{ACCOUNT_ID}-us-east-1"
    assert logging.inputs["targetBucket"] == f"rustfs-dev-logs-{ACCOUNT_ID}-us-east-1"
    assert logging.inputs["targetPrefix"] == "s3-access/audit/"


def test_bucket_names_stay_within_s3_limits():
    assert bucket_name("rustfs-dev", "audit", "123456789012", "ap-southeast-1").startswith("rustfs-dev-")
    with pytest.raises(ValueError, match="use a shorter stack name"):
        bucket_name("rustfs-" + "x" * 30, "audit", "123456789012", "ap-southeast-1")


# --- bucket policies -------------------------------------------------------------------------------

def grants(doc: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in doc["Statement"] if s["Effect"] == "Allow"}


def test_audit_bucket_grants_exactly_this_trail_and_config():
    doc = audit_bucket_policy(bucket_arn=ARN, partition="aws", region="us-east-1", account_id=ACCOUNT_ID,
                              trail_name="rustfs-dev-trail", config_delivery=True)
    g = grants(doc)
    assert set(g) == {"CloudTrailAclCheck", "CloudTrailWrite", "ConfigAclCheck", "ConfigExistenceCheck",
                      "ConfigWrite"}
    assert g["CloudTrailWrite"]["Resource"] == f"{ARN}/cloudtrail/AWSLogs/{ACCOUNT_ID}/*"
    assert g["CloudTrailWrite"]["Condition"]["StringEquals"] == {
        "aws:SourceArn": TRAIL, "s3:x-amz-acl": "bucket-owner-full-control"}
    assert g["ConfigWrite"]["Resource"] == f"{ARN}/config/AWSLogs/{ACCOUNT_ID}/Config/*"
    for stmt in g.values():
        assert list(stmt["Principal"]) == ["Service"]
        cond = stmt["Condition"]["StringEquals"]
        assert cond.get("aws:SourceAccount") == ACCOUNT_ID or cond.get("aws:SourceArn") == TRAIL
    bare = audit_bucket_policy(bucket_arn=ARN, partition="aws", region="us-east-1", account_id=ACCOUNT_ID,
                               trail_name=None, config_delivery=False)
    assert grants(bare) == {}


def test_logs_bucket_grants_only_log_delivery_services_of_this_account():
    logs = "arn:aws:s3:::rustfs-dev-logs-123456789012-us-east-1"
    g = grants(logs_bucket_policy(bucket_arn=logs, partition="aws", account_id=ACCOUNT_ID, name="rustfs-dev"))
    assert {s["Principal"]["Service"] for s in g.values()} == {"logging.s3.amazonaws.com",
                                                               "delivery.logs.amazonaws.com"}
    assert g["S3ServerAccessLogs"]["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:s3:::rustfs-dev-*"}
    for stmt in g.values():
        assert stmt["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT_ID
    # No ACL-based grant (CloudFront legacy logging) can work with BucketOwnerEnforced, and none is made.
    assert not any("s3:PutBucketAcl" in str(s["Action"]) for s in g.values())


@pytest.mark.parametrize("kind", ["audit", "logs"])
def test_bucket_documents_pass_parliament_and_cloudsplaining(kind):
    if kind == "audit":
        doc = audit_bucket_policy(bucket_arn=ARN, partition="aws", region="us-east-1", account_id=ACCOUNT_ID,
                                  trail_name="rustfs-dev-trail", config_delivery=True)
    else:
        doc = logs_bucket_policy(bucket_arn=ARN, partition="aws", account_id=ACCOUNT_ID, name="rustfs-dev")
    assert unexplained(doc, "bucket-policy") == []


def test_every_recorded_bucket_policy_and_role_policy_passes_review():
    rec = recording()
    for res in rec.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        assert unexplained(json.loads(res.inputs["policy"]), "bucket-policy") == [], res.name
    for res in rec.of_type("aws:iam/rolePolicy:RolePolicy"):
        assert unexplained(json.loads(res.inputs["policy"]), "identity") == [], res.name


# --- CloudTrail ------------------------------------------------------------------------------------

def test_trail_settings():
    rec = recording()
    trail = rec.one("aws:cloudtrail/trail:Trail").inputs
    keys = {k.inputs["tags"]["rustfs:key-purpose"]: k.outputs["arn"] for k in rec.of_type("aws:kms/key:Key")}
    assert trail["isMultiRegionTrail"] is True and trail["includeGlobalServiceEvents"] is True
    assert trail["enableLogFileValidation"] is True and trail["enableLogging"] is True
    assert trail["kmsKeyId"] == keys["storage"]
    assert trail["s3BucketName"] == f"rustfs-dev-audit-{ACCOUNT_ID}-us-east-1"
    group = rec.one("aws:cloudwatch/logGroup:LogGroup", "rustfs-dev-audit-trail")
    assert group.inputs["kmsKeyId"] == keys["logs"] and group.inputs["name"] == "/rustfs/rustfs-dev/cloudtrail"
    assert trail["cloudWatchLogsGroupArn"] == f"{group.outputs['arn']}:*"
    role = rec.one("aws:iam/role:Role", "rustfs-dev-audit-trail-logs")
    assert trail["cloudWatchLogsRoleArn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    # CloudTrail sends no source keys when it assumes this role: a condition on them fails CreateTrail.
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"} and "Condition" not in trust
    policy = json.loads(rec.one("aws:iam/rolePolicy:RolePolicy", "rustfs-dev-audit-trail-logs").inputs["policy"])
    assert policy["Statement"][0]["Resource"] == f"{group.outputs['arn']}:log-stream:*"
    data = trail["advancedEventSelectors"][1]["fieldSelectors"]
    assert {"field": "resources.type", "equals": ["AWS::S3::Object"]} in data
    arn_selector = next(f for f in data if f["field"] == "resources.ARN")
    assert arn_selector["startsWiths"] == [f"arn:aws:s3:::{data_bucket_prefix('rustfs-dev')}"]
    assert trail["advancedEventSelectors"][0]["fieldSelectors"] == [
        {"field": "eventCategory", "equals": ["Management"]}]


def test_trail_is_skipped_when_the_account_has_one_and_keys_stop_granting_it():
    rec = recording(audit=json.dumps({"cloudTrail": "existing"}))
    assert rec.of_type("aws:cloudtrail/trail:Trail") == []
    storage = next(k for k in rec.of_type("aws:kms/key:Key") if k.inputs["tags"]["rustfs:key-purpose"] == "storage")
    assert "cloudtrail" not in storage.inputs["policy"]
    assert "cloudtrail" not in json.dumps([json.loads(p.inputs["policy"])
                                           for p in rec.of_type("aws:s3/bucketPolicy:BucketPolicy")])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_storage_key_policy_matches_what_the_audit_component_creates(stack):
    rec = recording(stack)
    storage = next(k for k in rec.of_type("aws:kms/key:Key") if k.inputs["tags"]["rustfs:key-purpose"] == "storage")
    assert json.loads(storage.inputs["policy"]) == key_policy(
        "storage", name=f"rustfs-{stack}", account_id=ACCOUNT_ID, partition="aws", region="us-east-1",
        trail_name=f"rustfs-{stack}-trail", config_delivery=stack == "prod")  # only the account owner records


# --- AWS Config ------------------------------------------------------------------------------------

ISSUE_RULES = {
    "encrypted-volumes", "ec2-imdsv2-check", "restricted-ssh", "vpc-default-security-group-closed",
    "vpc-flow-logs-enabled", "s3-bucket-ssl-requests-only", "s3-bucket-public-read-prohibited",
    "s3-bucket-public-write-prohibited", "s3-bucket-server-side-encryption-enabled",
    "cmk-backing-key-rotation-enabled", "iam-policy-no-statements-with-admin-access", "cloudtrail-enabled",
    "cloud-trail-log-file-validation-enabled", "cloudwatch-log-group-encrypted", "required-tags"}


CONFIG_TYPES = ("aws:cfg/recorder:Recorder", "aws:cfg/deliveryChannel:DeliveryChannel",
                "aws:cfg/recorderStatus:RecorderStatus", "aws:iam/serviceLinkedRole:ServiceLinkedRole",
                "aws:cfg/rule:Rule")


def test_a_stack_that_does_not_own_the_account_declares_no_config_singleton_and_no_rules():
    rec = recording()  # dev: prod owns the account (tests/test_account_singletons.py deploys both)
    assert [r.name for r in rec.resources if r.type in CONFIG_TYPES] == []


def test_config_recorder_records_everything_and_delivers_to_the_audit_bucket():
    rec = recording("prod")
    recorder = rec.one("aws:cfg/recorder:Recorder")
    assert recorder.inputs["recordingGroup"] == {"allSupported": True, "includeGlobalResourceTypes": True}
    role = rec.one("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert role.inputs["awsServiceName"] == "config.amazonaws.com"
    assert recorder.inputs["roleArn"] == role.outputs["arn"] == config_service_linked_role_arn("aws", ACCOUNT_ID)
    channel = rec.one("aws:cfg/deliveryChannel:DeliveryChannel").inputs
    assert channel["s3BucketName"] == f"rustfs-prod-audit-{ACCOUNT_ID}-us-east-1"
    assert channel["s3KeyPrefix"] == "config"
    status = rec.one("aws:cfg/recorderStatus:RecorderStatus")
    assert status.inputs["isEnabled"] is True and status.inputs["name"] == recorder.outputs["name"]
    channel_urn = rec.one("aws:cfg/deliveryChannel:DeliveryChannel").urn
    assert channel_urn in status.dependencies


def test_an_existing_service_linked_role_is_used_by_its_fixed_arn():
    # An account where Config was enabled before (tests/test_account_singletons.py: auto decides the same).
    account = FakeAccount().preexisting(SERVICE_LINKED_ROLE, "", "config.amazonaws.com")
    rec = run_stack("prod", {"rustfs-aws:audit": {"configServiceLinkedRole": "existing"}},
                    fake=FakeAws("us-east-1", account=account))
    assert rec.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole") == []
    assert rec.one("aws:cfg/recorder:Recorder").inputs["roleArn"] == (
        "arn:aws:iam::123456789012:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig")


def test_config_rule_set_is_exactly_the_issues_list_with_our_tag_keys():
    rec = recording("prod")
    rules = {r.inputs["name"].removeprefix("rustfs-prod-"): r for r in rec.of_type("aws:cfg/rule:Rule")}
    assert set(rules) == ISSUE_RULES == set(MANAGED_RULES)
    for name, rule in rules.items():
        assert rule.inputs["source"] == {"owner": "AWS", "sourceIdentifier": MANAGED_RULES[name]}
        assert rec.one("aws:cfg/recorder:Recorder").urn in rule.dependencies
    assert json.loads(rules["required-tags"].inputs["inputParameters"]) == {
        "tag1Key": "Project", "tag2Key": "Environment", "tag3Key": "Owner", "tag4Key": "CostCenter"}
    with pytest.raises(ValueError, match="1 to 6 tag keys"):
        required_tags_parameters([f"k{i}" for i in range(7)])


def test_an_owner_in_an_account_that_already_records_skips_the_recorder_but_keeps_the_rules():
    rec = recording("prod", json.dumps({"config": "existing"}))
    for token in CONFIG_TYPES[:4]:
        assert rec.of_type(token) == []
    assert len(rec.of_type("aws:cfg/rule:Rule")) == len(MANAGED_RULES)
    storage = next(k for k in rec.of_type("aws:kms/key:Key") if k.inputs["tags"]["rustfs:key-purpose"] == "storage")
    assert "config.amazonaws.com" not in storage.inputs["policy"]


def test_trail_notifies_an_encrypted_topic_only_it_may_publish_to():
    rec = recording()
    trail = rec.one("aws:cloudtrail/trail:Trail")
    topic = rec.one("aws:sns/topic:Topic", "rustfs-dev-audit-trail-delivery")
    assert trail.inputs["snsTopicName"] == topic.outputs["arn"]
    messaging = next(k for k in rec.of_type("aws:kms/key:Key") if k.name.endswith("-messaging"))
    assert topic.inputs["kmsMasterKeyId"] == messaging.outputs["arn"]
    (statement,) = json.loads(rec.one("aws:sns/topicPolicy:TopicPolicy", topic.name).inputs["policy"])["Statement"]
    trail_arn = f"arn:aws:cloudtrail:us-east-1:123456789012:trail/{trail.inputs['name']}"
    assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert statement["Resource"] == topic.outputs["arn"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012",
                                                       "aws:SourceArn": trail_arn}}
    publish = next(s for s in json.loads(messaging.inputs["policy"])["Statement"] if s["Sid"] == "CloudTrailPublishes")
    assert publish["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    assert unexplained(json.loads(rec.one("aws:sns/topicPolicy:TopicPolicy", topic.name).inputs["policy"]),
                       "topic-policy") == []
