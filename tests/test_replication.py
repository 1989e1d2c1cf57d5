"""The tier bucket's replica: where it lives, how it is encrypted, what the replication rule and role allow, and what
the fake AWS refuses as PutBucketReplication would."""

from __future__ import annotations

import json
from functools import cache

import pytest
from iam_eval import Request, evaluate
from iam_review import unexplained

from preflight.fake_aws import _RESOURCES, FakeAws
from preflight.fake_operations import AwsRejects
from preflight.runner import run_stack

REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
ACCOUNT = "123456789012"


@cache
def prod(overrides: str | None = None):
    return run_stack("prod", json.loads(overrides) if overrides else None)


def provider_region(r, resource) -> str:
    if not resource.provider:
        return r.settings.region
    [p] = [x for x in r.resources if resource.provider.rsplit("::", 1)[0] == x.urn]
    return p.inputs["region"]


def bucket(r, prefix: str):
    """The bucket ``<prefix><account>-<region>`` (``rustfs-prod-replica-`` is not ``rustfs-prod-replica-logs-``)."""
    [b] = [x for x in r.of_type("aws:s3/bucket:Bucket") if x.inputs["bucket"].startswith(f"{prefix}{ACCOUNT}-")]
    return b


def test_the_replica_and_its_key_and_logs_live_in_the_replication_region():
    r = prod()
    replica = bucket(r, "rustfs-prod-replica-")
    logs = bucket(r, "rustfs-prod-replica-logs-")
    assert replica.inputs["bucket"] == "rustfs-prod-replica-123456789012-us-west-2"
    assert provider_region(r, replica) == provider_region(r, logs) == "us-west-2"
    [key] = [k for k in r.of_type("aws:kms/key:Key") if k.inputs["tags"].get("Name") == "rustfs-prod-replica"]
    assert provider_region(r, key) == "us-west-2" and key.protect and key.outputs["arn"].split(":")[3] == "us-west-2"
    sse_type = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    [sse] = [x for x in r.of_type(sse_type) if x.inputs["bucket"] == replica.outputs["id"]]
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == key.outputs["arn"]
    [logging] = [x for x in r.of_type("aws:s3/bucketLogging:BucketLogging")
                 if x.inputs["bucket"] == replica.outputs["id"]]
    assert logging.inputs["targetBucket"] == logs.outputs["id"]  # S3 logs only to a bucket of the same Region
    assert replica.protect


def test_the_rule_replicates_everything_with_delete_markers_and_the_replica_regions_key():
    r = prod()
    [config] = r.of_type(REPLICATION)
    assert provider_region(r, config) == "us-east-1", "PutBucketReplication goes to the source bucket's Region"
    assert config.inputs["bucket"] == bucket(r, "rustfs-prod-tier-").outputs["id"]
    [rule] = config.inputs["rules"]
    assert rule["status"] == "Enabled" and rule["filter"] == {"prefix": ""}
    assert rule["deleteMarkerReplication"] == {"status": "Enabled"}
    assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
    [key] = [k for k in r.of_type("aws:kms/key:Key") if k.inputs["tags"].get("Name") == "rustfs-prod-replica"]
    destination = rule["destination"]
    assert destination["bucket"] == bucket(r, "rustfs-prod-replica-").outputs["arn"]
    assert destination["encryptionConfiguration"] == {"replicaKmsKeyId": key.outputs["arn"]}
    assert destination["storageClass"] == "STANDARD_IA"
    assert destination["metrics"] == {"status": "Enabled", "eventThreshold": {"minutes": 15}}
    assert "replicationTime" not in destination
    rtc = prod(json.dumps({"rustfs-aws:replication": {"enabled": True, "region": "us-west-2",
                                                       "replicationTimeControl": True}}))
    [rtc_rule] = rtc.of_type(REPLICATION)[0].inputs["rules"]
    assert rtc_rule["destination"]["replicationTime"] == {"status": "Enabled", "time": {"minutes": 15}}
    assert rtc_rule["destination"]["metrics"]["status"] == "Enabled"


def test_replication_waits_for_both_buckets_versioning():
    r = prod()
    [config] = r.of_type(REPLICATION)
    versionings = {v.inputs["bucket"]: v for v in r.of_type("aws:s3/bucketVersioning:BucketVersioning")}
    for prefix in ("rustfs-prod-tier-", "rustfs-prod-replica-"):
        # S3 refuses the configuration until both are versioned: an explicit dependency, not the registration order
        assert versionings[bucket(r, prefix).outputs["id"]].urn in config.dependencies


def role(r):
    [config] = r.of_type(REPLICATION)
    [role] = [x for x in r.of_type("aws:iam/role:Role") if x.outputs["arn"] == config.inputs["role"]]
    [policy] = [json.loads(p.inputs["policy"]) for p in r.of_type("aws:iam/rolePolicy:RolePolicy")
                if p.inputs["role"] == role.outputs["id"]]
    return role, policy


def test_the_role_is_under_the_boundary_and_trusts_only_s3():
    r = prod()
    rl, _ = role(r)
    trust = json.loads(rl.inputs["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "s3.amazonaws.com"}]
    assert rl.inputs["permissionsBoundary"].endswith(":policy/rustfs-prod-permissions-boundary")
    assert not unexplained(trust, "trust")


def test_the_role_reads_the_source_writes_the_replica_and_nothing_else():
    r = prod()
    rl, policy = role(r)
    [boundary] = [json.loads(p.inputs["policy"]) for p in r.of_type("aws:iam/policy:Policy")
                  if p.inputs["name"] == "rustfs-prod-permissions-boundary"]
    src, dst = bucket(r, "rustfs-prod-tier-").outputs["arn"], bucket(r, "rustfs-prod-replica-").outputs["arn"]
    keys = {k.inputs["tags"]["Name"]: k.outputs["arn"] for k in r.of_type("aws:kms/key:Key")}

    def can(action, resource, **ctx) -> bool:
        req = Request(action, resource, tuple({"aws:PrincipalArn": rl.outputs["arn"], "aws:PrincipalAccount": ACCOUNT,
                                               "aws:ResourceTag/rustfs:stack": "prod", **ctx}.items()), action)
        return evaluate(req, policy, boundary).allowed

    assert can("s3:GetReplicationConfiguration", src) and can("s3:GetObjectVersionForReplication", f"{src}/rustfs/x")
    assert can("s3:ReplicateObject", f"{dst}/rustfs/x") and can("s3:ReplicateDelete", f"{dst}/rustfs/x")
    assert not can("s3:ReplicateObject", f"{src}/rustfs/x"), "replicas go to the replica only"
    assert not can("s3:GetObjectVersionForReplication", f"{dst}/x")
    assert not can("s3:GetObject", "arn:aws:s3:::rustfs-prod-logs-123456789012-us-east-1/x")
    src_ctx = {"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": src}
    dst_ctx = {"kms:ViaService": "s3.us-west-2.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": dst}
    assert can("kms:Decrypt", keys["rustfs-prod-storage"], **src_ctx)
    assert can("kms:Encrypt", keys["rustfs-prod-replica"], **dst_ctx)
    assert not can("kms:Encrypt", keys["rustfs-prod-storage"], **src_ctx), "the source key only decrypts"
    assert not can("kms:Decrypt", keys["rustfs-prod-secrets"], **src_ctx)
    assert not unexplained(policy, "identity")


# --- what the fake refuses -----------------------------------------------------------------------------------

def _world(fake: FakeAws, replica_region: str = "us-west-2"):
    west = FakeAws(replica_region, account=fake.account)
    for f, name in ((fake, "src"), (west, "dst")):
        _RESOURCES["aws:s3/bucket:Bucket"](f, name, {"bucket": name})
    return west


def _rule(**destination):
    return {"id": "r", "status": "Enabled", "priority": 1, "filter": {"prefix": ""},
            "deleteMarkerReplication": {"status": "Enabled"},
            "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
            "destination": {"bucket": "arn:aws:s3:::dst",
                            "encryptionConfiguration": {
                                "replicaKmsKeyId": "arn:aws:kms:us-west-2:123456789012:key/k"}, **destination}}


def _put(fake, rules, bucket="src"):
    return _RESOURCES[REPLICATION](fake, "cfg", {"bucket": bucket, "role": "arn:aws:iam::123456789012:role/r",
                                                 "rules": rules})


def _version(fake, bucket):
    _RESOURCES["aws:s3/bucketVersioning:BucketVersioning"](fake, f"v-{bucket}", {
        "bucket": bucket, "versioningConfiguration": {"status": "Enabled"}})


def test_the_fake_refuses_replication_before_both_buckets_are_versioned():
    fake = FakeAws("us-east-1")
    west = _world(fake)
    with pytest.raises(AwsRejects, match="source bucket src"):
        _put(fake, [_rule()])
    _version(fake, "src")
    with pytest.raises(AwsRejects, match="destination bucket dst"):
        _put(fake, [_rule()])
    _version(west, "dst")
    _put(fake, [_rule()])


def test_the_fake_refuses_what_put_bucket_replication_refuses():
    fake = FakeAws("us-east-1")
    west = _world(fake)
    _version(fake, "src")
    _version(west, "dst")
    with pytest.raises(AwsRejects, match="PermanentRedirect"):
        _put(west, [_rule()])  # through the replica Region's provider
    with pytest.raises(AwsRejects, match="requires Metrics"):
        _put(fake, [_rule(replicationTime={"status": "Enabled", "time": {"minutes": 15}})])
    with pytest.raises(AwsRejects, match="Minutes must be 15"):
        _put(fake, [_rule(replicationTime={"status": "Enabled", "time": {"minutes": 10}},
                          metrics={"status": "Enabled", "eventThreshold": {"minutes": 15}})])
    with pytest.raises(AwsRejects, match="ReplicaKmsKeyID must be specified"):
        _put(fake, [_rule(encryptionConfiguration={})])
    with pytest.raises(AwsRejects, match="not a key of the destination"):
        _put(fake, [_rule(encryptionConfiguration={"replicaKmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k"})])
    with pytest.raises(AwsRejects, match="needs a Filter"):
        _put(fake, [{k: v for k, v in _rule().items() if k != "filter"}])
    with pytest.raises(AwsRejects, match="Destination bucket must exist"):
        _put(fake, [_rule(bucket="arn:aws:s3:::nowhere")])
