"""The S3 tier as prod declares it: the bucket, its lifecycle, the tier user and its keys, judged by what IAM, the
bucket policy and the S3 gateway endpoint let through, and what the fake AWS refuses."""

from __future__ import annotations

import json
from functools import cache

import pytest
from iam_eval import Request, evaluate, evaluate_resource_policy
from iam_review import unexplained

from preflight.fake_aws import FakeAws
from preflight.fake_operations import AwsRejects
from preflight.runner import run_stack
from rustfs_aws.integrations.documents import TIER_BUCKET_ACTIONS, TIER_LIST_ACTIONS, TIER_OBJECT_ACTIONS

USER = "aws:iam/user:User"
KEY = "aws:iam/accessKey:AccessKey"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
ACCOUNT = "123456789012"


@cache
def prod(overrides: str | None = None):
    return run_stack("prod", json.loads(overrides) if overrides else None)


def tier_bucket(r):
    [b] = [x for x in r.of_type("aws:s3/bucket:Bucket") if x.inputs["bucket"].startswith("rustfs-prod-tier-")]
    return b


def part(r, token: str, bucket: str):
    [p] = [x for x in r.of_type(token) if x.inputs.get("bucket") == bucket]
    return p


def gateway(r):
    [e] = [x for x in r.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if x.inputs["serviceName"].endswith(".s3")]
    return e


def policies(r):
    [user] = r.of_type(USER)
    [identity] = [json.loads(p.inputs["policy"]) for p in r.of_type(USER_POLICY)]
    [boundary] = [json.loads(p.inputs["policy"]) for p in r.of_type("aws:iam/policy:Policy")
                  if p.inputs["name"].endswith("-permissions-boundary")]
    bucket = tier_bucket(r)
    bucket_policy = json.loads(part(r, "aws:s3/bucketPolicy:BucketPolicy", bucket.outputs["id"]).inputs["policy"])
    return user, identity, boundary, bucket_policy


def tier_request(r, action: str, resource: str, *, through_gateway=True, extra=None) -> Request:
    user = r.of_type(USER)[0]
    ctx = {"aws:PrincipalArn": user.outputs["arn"], "aws:PrincipalAccount": ACCOUNT, "aws:SecureTransport": "true",
           "aws:RequestedRegion": "us-east-1", "aws:ResourceAccount": ACCOUNT, **(extra or {})}
    if through_gateway:
        ctx["aws:SourceVpce"] = gateway(r).outputs["id"]
    return Request(action, resource, tuple(ctx.items()), action)


def allowed(r, req: Request) -> bool:
    """The tier user's identity policy, the boundary, the bucket policy; and the gateway endpoint's policy when the
    request comes through it (it is a filter on every request there)."""
    user, identity, boundary, bucket_policy = policies(r)
    if not evaluate(req, identity, boundary).allowed:
        return False
    # Same account: the identity policy's Allow suffices unless the bucket policy denies (IAM User Guide, "Policy
    # evaluation logic", same-account requests); only its Denies count here.
    if evaluate_resource_policy(req, bucket_policy, user.outputs["arn"], ACCOUNT).denied_by:
        return False
    if "aws:SourceVpce" in req.ctx:
        endpoint = json.loads(gateway(r).inputs["policy"])
        return evaluate_resource_policy(req, endpoint, user.outputs["arn"], ACCOUNT).allowed
    return True


# --- the bucket ----------------------------------------------------------------------------------------------

def test_the_tier_bucket_is_hardened_like_every_bucket():
    r = prod()
    bucket = tier_bucket(r)
    name = bucket.outputs["id"]
    assert bucket.protect and bucket.retain_on_delete
    pab = part(r, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name).inputs
    assert all(pab[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    [rule] = part(r, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                  name).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms" and rule["bucketKeyEnabled"]
    assert part(r, "aws:s3/bucketVersioning:BucketVersioning", name).inputs["versioningConfiguration"]["status"] == \
        "Enabled"
    logging = part(r, "aws:s3/bucketLogging:BucketLogging", name).inputs
    assert logging["targetBucket"].startswith("rustfs-prod-logs-") and logging["targetPrefix"] == "s3-access/tier/"


def test_the_lifecycle_tiers_down_and_never_expires_current_objects():
    r = prod()
    rules = part(r, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                 tier_bucket(r).outputs["id"]).inputs["rules"]
    assert not any("expiration" in rule for rule in rules), "RustFS decides when a tiered object goes"
    [colder] = [x for x in rules if x.get("transitions")]
    assert colder["filter"] == {"prefix": "rustfs/"}
    assert [(t["days"], t["storageClass"]) for t in colder["transitions"]] == [
        (30, "STANDARD_IA"), (90, "GLACIER_IR"), (365, "DEEP_ARCHIVE")]
    assert any(x.get("noncurrentVersionExpiration", {}).get("noncurrentDays") == 30 for x in rules)
    assert all(x["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7 for x in rules
               if "abortIncompleteMultipartUpload" in x)


def test_intelligent_tiering_and_acceleration_are_declared_only_when_asked():
    r = prod()
    assert not r.of_type("aws:s3/bucketIntelligentTieringConfiguration:BucketIntelligentTieringConfiguration")
    assert not r.of_type("aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration")
    on = prod(json.dumps({"rustfs-aws:tiering": {
        "enabled": True, "storageClass": "INTELLIGENT_TIERING", "acceleration": True,
        "transitions": {"standardIaDays": None, "glacierIrDays": None},
        "intelligentTiering": {"archiveDays": 90, "deepArchiveDays": 180}}}))
    [it] = on.of_type("aws:s3/bucketIntelligentTieringConfiguration:BucketIntelligentTieringConfiguration")
    assert it.inputs["filter"] == {"prefix": "rustfs/"} and it.inputs["status"] == "Enabled"
    assert sorted((t["accessTier"], t["days"]) for t in it.inputs["tierings"]) == [
        ("ARCHIVE_ACCESS", 90), ("DEEP_ARCHIVE_ACCESS", 180)]
    [acc] = on.of_type("aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration")
    assert acc.inputs["status"] == "Enabled" and acc.inputs["bucket"] == tier_bucket(on).outputs["id"]


# --- the tier user -----------------------------------------------------------------------------------------------

def test_the_tier_user_has_the_boundary_no_console_and_one_inline_policy():
    r = prod()
    [user] = r.of_type(USER)
    [boundary] = [p for p in r.of_type("aws:iam/policy:Policy")
                  if p.inputs["name"] == "rustfs-prod-permissions-boundary"]
    assert user.inputs["permissionsBoundary"] == boundary.outputs["arn"]
    assert user.inputs["name"] == "rustfs-prod-tier" and user.inputs["path"] == "/rustfs/"
    assert not r.of_type("aws:iam/userLoginProfile:UserLoginProfile")
    assert not r.of_type("aws:iam/userPolicyAttachment:UserPolicyAttachment")
    assert [p.inputs["user"] for p in r.of_type(USER_POLICY)] == ["rustfs-prod-tier"]


@pytest.mark.parametrize("action", TIER_OBJECT_ACTIONS)
def test_every_object_call_of_the_s3_tier_passes_through_the_gateway_and_nowhere_else(action):
    r = prod()
    obj = f"{tier_bucket(r).outputs['arn']}/rustfs/orders/2026/part-0001"
    assert allowed(r, tier_request(r, action, obj))
    assert not allowed(r, tier_request(r, action, obj, through_gateway=False)), "a leaked key outside the VPC"


def test_listing_and_versioning_calls_of_the_tier_pass_for_the_tier_prefix_only():
    r = prod()
    arn = tier_bucket(r).outputs["arn"]
    for action in TIER_LIST_ACTIONS:
        assert allowed(r, tier_request(r, action, arn, extra={"s3:prefix": "rustfs"}))  # in_use
        assert allowed(r, tier_request(r, action, arn, extra={"s3:prefix": "rustfs/orders/x"}))  # the probe
        assert not allowed(r, tier_request(r, action, arn, extra={"s3:prefix": "other/"}))
    for action in TIER_BUCKET_ACTIONS:  # GetBucketVersioning before every transition (warm_backend_s3.rs)
        assert allowed(r, tier_request(r, action, arn))


def test_the_tier_user_reaches_nothing_else():
    r = prod()
    arn = tier_bucket(r).outputs["arn"]
    refused = [
        ("s3:GetObject", f"{arn}/outside-prefix/x"), ("s3:PutBucketPolicy", arn), ("s3:DeleteBucket", arn),
        ("s3:GetObject", "arn:aws:s3:::rustfs-prod-logs-123456789012-us-east-1/s3-access/x"),
        ("s3:PutLifecycleConfiguration", arn), ("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/x")]
    for action, resource in refused:
        assert not allowed(r, tier_request(r, action, resource)), (action, resource)


def test_the_storage_key_serves_the_tier_user_only_through_s3_for_this_bucket():
    r = prod()
    user, identity, boundary, _ = policies(r)
    [key] = [k for k in r.of_type("aws:kms/key:Key") if k.inputs["tags"].get("Name") == "rustfs-prod-storage"]
    arn = tier_bucket(r).outputs["arn"]
    base = {"aws:PrincipalArn": user.outputs["arn"], "aws:PrincipalAccount": ACCOUNT, "kms:CallerAccount": ACCOUNT,
            "aws:ResourceTag/rustfs:stack": "prod"}

    def kms(action, via, context):
        req = Request(action, key.outputs["arn"], tuple({**base, "kms:ViaService": via,
                                                         "kms:EncryptionContext:aws:s3:arn": context}.items()), action)
        return evaluate(req, identity, boundary).allowed

    assert kms("kms:GenerateDataKey", "s3.us-east-1.amazonaws.com", arn)  # S3 Bucket Key: the bucket's context
    assert kms("kms:Decrypt", "s3.us-east-1.amazonaws.com", f"{arn}/rustfs/x")
    assert not kms("kms:Decrypt", "s3.us-east-1.amazonaws.com", "arn:aws:s3:::rustfs-prod-logs-x")
    assert not kms("kms:Decrypt", "secretsmanager.us-east-1.amazonaws.com", arn)


def test_the_tier_users_documents_are_parliament_and_cloudsplaining_clean():
    r = prod()
    _, identity, _, bucket_policy = policies(r)
    assert not unexplained(identity, "identity")
    assert not unexplained(bucket_policy, "bucket-policy")


# --- the keys and their rotation ------------------------------------------------------------------------------------

def test_one_key_and_its_secret_flow_only_into_the_credentials_secret():
    r = prod()
    [key] = r.of_type(KEY)
    assert key.name == "rustfs-prod-tier-key-v1" and key.inputs["user"] == "rustfs-prod-tier"
    [secret] = [s for s in r.of_type("aws:secretsmanager/secret:Secret")
                if s.inputs["name"] == "rustfs/prod/tier-credentials"]
    assert secret.inputs["kmsKeyId"].endswith(
        [k for k in r.of_type("aws:kms/key:Key") if k.inputs["tags"].get("Name") == "rustfs-prod-secrets"][0]
        .outputs["keyId"])
    readers = [x for x in r.resources if key.urn in {u for deps in x.property_dependencies.values() for u in deps}]
    assert [x.type for x in readers] == ["aws:secretsmanager/secretVersion:SecretVersion"]
    assert readers[0].inputs["secretString"] == "[secret]"
    assert not any(key.outputs["secret"] in json.dumps(v) for v in r.outputs.values())


def test_a_rotation_keeps_both_keys_until_the_previous_version_is_dropped():
    rotating = prod(json.dumps({"rustfs-aws:tiering": {"enabled": True, "keyVersion": 2, "previousKeyVersion": 1}}))
    assert sorted(k.name for k in rotating.of_type(KEY)) == ["rustfs-prod-tier-key-v1", "rustfs-prod-tier-key-v2"]
    [version] = [v for v in rotating.of_type("aws:secretsmanager/secretVersion:SecretVersion")
                 if "tier" in v.name]
    [v2] = [k for k in rotating.of_type(KEY) if k.name.endswith("-v2")]
    assert v2.urn in version.property_dependencies["secretString"]
    done = prod(json.dumps({"rustfs-aws:tiering": {"enabled": True, "keyVersion": 2}}))
    assert [k.name for k in done.of_type(KEY)] == ["rustfs-prod-tier-key-v2"]


def test_the_fake_refuses_what_iam_refuses_for_users_and_keys():
    fake = FakeAws("us-east-1")
    handler = __import__("preflight.fake_aws", fromlist=["_RESOURCES"])._RESOURCES
    user, key, policy = handler[USER], handler[KEY], handler[USER_POLICY]
    user(fake, "u", {"name": "tier-user"})
    with pytest.raises(AwsRejects, match="EntityAlreadyExists"):
        user(fake, "other", {"name": "TIER-USER"})  # IAM names are unique case-insensitively
    with pytest.raises(AwsRejects, match="user name"):
        user(fake, "bad", {"name": "tier user"})
    with pytest.raises(AwsRejects, match="permissions boundary"):
        user(fake, "b", {"name": "b", "permissionsBoundary": "arn:aws:iam::123456789012:role/x"})
    key(fake, "k1", {"user": "tier-user"})
    key(fake, "k2", {"user": "tier-user"})
    with pytest.raises(AwsRejects, match="AccessKeysPerUser: 2"):
        key(fake, "k3", {"user": "tier-user"})
    with pytest.raises(AwsRejects, match="Maximum policy size of 2048"):
        policy(fake, "p", {"user": "tier-user", "name": "p", "policy": json.dumps({"x": "y" * 2100})})
