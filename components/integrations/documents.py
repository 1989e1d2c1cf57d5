"""Policy documents and S3 configuration of the tier, its replica and SSE-KMS, as plain dicts (pure: names and
ARNs in, document out).

What RustFS's S3 tier calls (rustfs/rustfs 1.0.0-rc.3, crates/ecstore/src/services/tier/warm_backend_s3.rs and
crates/ecstore/src/client/): PutObject, multipart (CreateMultipartUpload, UploadPart, CompleteMultipartUpload:
``s3:PutObject``; AbortMultipartUpload) for a transition; GetObject and HeadObject, with a version id for versioned
buckets (``s3:GetObject``, ``s3:GetObjectVersion``) to read a tiered object back; DeleteObject with a version id
(``s3:DeleteObject``, ``s3:DeleteObjectVersion``) when the object is deleted in RustFS; ListObjectsV2 on the tier
prefix (``in_use``) and ListObjectVersions (``probe_transition_candidate``): ``s3:ListBucket``,
``s3:ListBucketVersions``; GetBucketVersioning before each transition. Nothing else, in particular no
RestoreObject: an object the bucket's lifecycle moved to an archive class cannot be read through RustFS until
someone restores it (README, "Tiering, replication and SSE-KMS").

The tier user's keys work only through the stack's S3 gateway endpoint: every statement requires ``aws:SourceVpce``,
which S3 sets on every request that comes through a VPC endpoint, gateway endpoints included (Amazon S3 User Guide,
"Controlling access from VPC endpoints with bucket policies", example "Restricting access to a specific VPC
endpoint"; IAM User Guide, "AWS global condition context keys": present only when the request uses a VPC endpoint).
A leaked key is then useless outside the VPC. The SSE-KMS the bucket applies is S3's, on the user's behalf, so the
user may use the storage key only through S3 (``kms:ViaService``).

Rejected: a role for the tier (assumed by the node role). RustFS's S3 tier takes static keys only: the role fields of
``TierS3`` are ``#[serde(skip)]`` in tier_config.rs (no admin request can set them) and ``WarmBackendS3::new``
builds nothing but static credentials ("insufficient parameters for S3 backend authentication" otherwise).
"""

from __future__ import annotations

from rustfs_aws.integrations.settings import IntegrationsConfig, IntelligentTiering, TieringConfig

# The actions of the tier user, by what the S3 tier does (module docstring).
TIER_OBJECT_ACTIONS = sorted(["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:DeleteObjectVersion",
                              "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"])
TIER_LIST_ACTIONS = sorted(["s3:ListBucket", "s3:ListBucketVersions"])
TIER_BUCKET_ACTIONS = ["s3:GetBucketVersioning"]
SOURCE_VPCE = "aws:SourceVpce"

# S3 replication, same account (Amazon S3 User Guide, "Setting up permissions for live replication": the role's
# policy for the source and destination bucket, "Replicating encrypted objects": the KMS permissions, Decrypt of the
# source key via S3 in the source Region with the source object's ARN in the encryption context, Encrypt of the
# destination key via S3 in the destination Region with the destination's).
REPLICATION_SOURCE_BUCKET_ACTIONS = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
REPLICATION_SOURCE_OBJECT_ACTIONS = sorted(["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication",
                                            "s3:GetObjectVersionTagging"])
REPLICATION_DESTINATION_ACTIONS = sorted(["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"])
S3_REPLICATION_SERVICE = "s3.amazonaws.com"

# RustFS's AWS KMS backend (crates/kms/src/backends/aws.rs) in what a node does with it: DescribeKey of the default
# key before an SSE-KMS/SSE-S3 write (crates/kms/src/service.rs encrypt_object), GenerateDataKey for each object's
# data key, Decrypt to read it back; ListKeys (limit 1) is the backend's health check at service start
# (service_manager.rs create_healthy_service_version) and the deletion sweep's listing (deletion_worker.rs).
# CreateKey, ScheduleKeyDeletion, CancelKeyDeletion, EnableKey, DisableKey and RotateKeyOnDemand exist only behind
# RustFS's KMS admin API: never granted (the permissions boundary denies key administration anyway).
SSE_KEY_ACTIONS = sorted(["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"])
SSE_LIST_ACTIONS = ["kms:ListKeys"]


def _doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def tier_user_name(name: str) -> str:
    """The tier's IAM user (IAM user names: up to 64 of ``[\\w+=,.@-]``)."""
    return f"{name}-tier"


def tier_secret_name(stack: str) -> str:
    """Beside the root credentials' ``rustfs/<stack>/root-credentials`` (security/credentials.py)."""
    return f"rustfs/{stack}/tier-credentials"


def remote_target_secret_name(stack: str, target: str) -> str:
    return f"rustfs/{stack}/remote-targets/{target}"


def tier_endpoint(region: str) -> str:
    """The regional S3 endpoint the tier names. Its addresses are S3's regional ranges, which the gateway endpoint's
    prefix-list route carries (VPC User Guide, "Gateway endpoints for Amazon S3"); RustFS checks only that the host is
    no loopback, private or metadata literal (crates/utils/src/egress.rs validate_outbound_url), so no
    RUSTFS_OUTBOUND_ALLOW_ORIGINS entry is needed: that list serves OIDC and notification targets, not tiers."""
    return f"https://s3.{region}.amazonaws.com"


def tier_user_policy(*, bucket_arn: str, prefix: str, vpce_id: str, storage_key_arn: str, region: str) -> dict:
    """Only the tier bucket's prefix, only through the stack's S3 gateway endpoint."""
    through = {"StringEquals": {SOURCE_VPCE: vpce_id}}
    return _doc(
        {"Sid": "TierObjectsThroughGatewayEndpoint", "Effect": "Allow", "Action": TIER_OBJECT_ACTIONS,
         "Resource": f"{bucket_arn}/{prefix}/*", "Condition": through},
        # in_use lists with prefix "<prefix>" and delimiter "/"; the transition probe with "<prefix>/<object>".
        {"Sid": "ListTierPrefixThroughGatewayEndpoint", "Effect": "Allow", "Action": TIER_LIST_ACTIONS,
         "Resource": bucket_arn,
         "Condition": {**through, "StringLike": {"s3:prefix": [prefix, f"{prefix}/*"]}}},
        {"Sid": "ReadTierVersioningThroughGatewayEndpoint", "Effect": "Allow", "Action": TIER_BUCKET_ACTIONS,
         "Resource": bucket_arn, "Condition": through},
        # SSE-KMS of the bucket: S3 generates and decrypts the data keys as the caller (AWS KMS Developer Guide, "How
        # Amazon S3 uses AWS KMS"), with the bucket key's context (S3 Bucket Keys: the bucket ARN).
        {"Sid": "StorageKeyThroughS3", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
         "Resource": storage_key_arn,
         "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                       "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]}}},
    )


def tier_bucket_statements(*, bucket_arn: str, user_arn: str, vpce_id: str) -> list[dict]:
    """The bucket's side of the same rule: the tier user's requests from anywhere but the gateway endpoint are
    refused even if a later identity policy allowed them (a bucket-policy Deny wins)."""
    return [{"Sid": "TierUserOnlyThroughGatewayEndpoint", "Effect": "Deny", "Principal": {"AWS": user_arn},
             "Action": "s3:*", "Resource": [bucket_arn, f"{bucket_arn}/*"],
             "Condition": {"StringNotEquals": {SOURCE_VPCE: vpce_id}}}]


def tier_lifecycle_rules(t: TieringConfig) -> list[dict]:
    """The tier bucket's lifecycle (pulumi-aws ``BucketLifecycleConfiguration`` rules). Current objects never expire:
    RustFS owns their lifetime (it deletes the remote object when the RustFS object goes), and a tier object S3
    deleted on its own would be data RustFS still points to. Noncurrent versions (left by RustFS's deletes in this
    versioned bucket) expire, incomplete multipart uploads are aborted."""
    scoped = {"prefix": f"{t.prefix}/"}
    rules = [{"id": "tier-noncurrent-and-uploads", "status": "Enabled", "filter": scoped,
              "noncurrent_version_expiration": {"noncurrent_days": t.noncurrent_expiration_days},
              "abort_incomplete_multipart_upload": {"days_after_initiation": t.abort_multipart_days}}]
    steps = t.transitions.rules()
    if steps:
        rules.append({"id": "tier-to-colder-classes", "status": "Enabled", "filter": scoped,
                      "transitions": [{"days": d, "storage_class": c} for d, c in steps]})
    # Objects outside the tier prefix should not exist; whatever lands there (a mistaken upload) is cleaned up.
    rules.append({"id": "outside-tier-prefix", "status": "Enabled", "filter": {},
                  "abort_incomplete_multipart_upload": {"days_after_initiation": t.abort_multipart_days}})
    return rules


def intelligent_tiering_tierings(it: IntelligentTiering) -> list[dict]:
    """``BucketIntelligentTieringConfiguration`` tierings: Intelligent-Tiering's opt-in archive tiers."""
    out = []
    if it.archive_days is not None:
        out.append({"access_tier": "ARCHIVE_ACCESS", "days": it.archive_days})
    if it.deep_archive_days is not None:
        out.append({"access_tier": "DEEP_ARCHIVE_ACCESS", "days": it.deep_archive_days})
    return out


def tier_definition(t: TieringConfig, *, region: str, bucket: str, secret_arn: str) -> dict:
    """The tier as the desired state publishes it (no secret: the reconciler reads the keys from ``secret_arn``)."""
    return {"name": t.tier_name, "type": "s3", "endpoint": tier_endpoint(region), "bucket": bucket,
            "prefix": t.prefix, "region": region, "storageClass": t.storage_class,
            "credentialsSecretArn": secret_arn, "keyVersion": t.key_version}


# --- replication ---------------------------------------------------------------------------------------------

def replication_trust() -> dict:
    """S3 assumes the replication role. No confused-deputy condition: which keys S3 sends when it assumes a
    replication role is not in rustfs_model.service_context (no AWS page read here states them), and a condition on a
    key it does not send would stop replication without an error anywhere but the replication metrics. The guard is
    elsewhere: S3 uses the role only for a replication configuration whose author could iam:PassRole it, and only
    this account's principals can pass this account's role (IAM User Guide, "Granting a user permissions to pass a role
    to an AWS service"); the boundary denies iam:PassRole to every role of the stack."""
    return _doc({"Sid": "S3ReplicatesTheTierBucket", "Effect": "Allow",
                 "Principal": {"Service": S3_REPLICATION_SERVICE}, "Action": "sts:AssumeRole"})


def replication_role_policy(*, source_bucket_arn: str, destination_bucket_arn: str, source_key_arn: str,
                            destination_key_arn: str, source_region: str, destination_region: str) -> dict:
    """Read the source versions, write replicas, and nothing but the two buckets and their two keys."""
    return _doc(
        {"Sid": "ReadSourceReplicationConfiguration", "Effect": "Allow",
         "Action": REPLICATION_SOURCE_BUCKET_ACTIONS, "Resource": source_bucket_arn},
        {"Sid": "ReadSourceVersions", "Effect": "Allow", "Action": REPLICATION_SOURCE_OBJECT_ACTIONS,
         "Resource": f"{source_bucket_arn}/*"},
        {"Sid": "WriteReplicas", "Effect": "Allow", "Action": REPLICATION_DESTINATION_ACTIONS,
         "Resource": f"{destination_bucket_arn}/*"},
        {"Sid": "DecryptSourceObjects", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": source_key_arn,
         "Condition": {"StringEquals": {"kms:ViaService": f"s3.{source_region}.amazonaws.com"},
                       "StringLike": {"kms:EncryptionContext:aws:s3:arn": [source_bucket_arn,
                                                                           f"{source_bucket_arn}/*"]}}},
        {"Sid": "EncryptReplicas", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
         "Resource": destination_key_arn,
         "Condition": {"StringEquals": {"kms:ViaService": f"s3.{destination_region}.amazonaws.com"},
                       "StringLike": {"kms:EncryptionContext:aws:s3:arn": [destination_bucket_arn,
                                                                           f"{destination_bucket_arn}/*"]}}},
    )


def replication_rule(cfg: IntegrationsConfig, *, destination_bucket_arn: str, destination_key_arn: str) -> dict:
    """The one rule of the tier bucket's ``BucketReplicationConfig`` (schema V2: a filter, so delete markers can be
    replicated; S3 User Guide, "Replication configuration file elements"). SSE-KMS objects are selected and
    re-encrypted with the replica Region's key: without ``sse_kms_encrypted_objects`` S3 replicates no SSE-KMS object
    at all, and every object of the tier bucket is one."""
    r = cfg.replication
    destination: dict = {"bucket": destination_bucket_arn, "storage_class": r.storage_class,
                         "encryption_configuration": {"replica_kms_key_id": destination_key_arn}}
    if r.metrics:
        destination["metrics"] = {"status": "Enabled", "event_threshold": {"minutes": 15}}
    if r.replication_time_control:
        # 15 minutes is the only value S3 accepts (ReplicationTimeValue: "Valid value: 15").
        destination["replication_time"] = {"status": "Enabled", "time": {"minutes": 15}}
    return {"id": "tier-to-replica", "status": "Enabled", "priority": 1, "filter": {"prefix": ""},
            "delete_marker_replication": {"status": "Enabled" if r.delete_markers else "Disabled"},
            "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
            "destination": destination}


# --- SSE with AWS KMS --------------------------------------------------------------------------------------------

def sse_node_statements(*, key_arn: str, region: str) -> list[dict]:
    """The node role's share of RustFS's AWS KMS backend: the calls RustFS makes itself (not through a service, so
    no kms:ViaService), on the one key; ListKeys has no resource-level permission (Service Authorization Reference,
    AWS KMS: ListKeys, resource "*"), scoped to the Region."""
    return [
        {"Sid": "RustfsSseWithTheSseKey", "Effect": "Allow", "Action": SSE_KEY_ACTIONS, "Resource": key_arn},
        {"Sid": "RustfsKmsHealthCheck", "Effect": "Allow", "Action": SSE_LIST_ACTIONS, "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": region}}},
    ]


def default_bucket_encryption(key_arn: str) -> dict:
    """What the reconciler puts as each RustFS bucket's default encryption (S3 PutBucketEncryption body, as boto3
    takes it): SSE-KMS with the stack's sse key."""
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}]}
