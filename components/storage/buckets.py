"""A hardened S3 bucket (pulumi-aws v7: one resource per bucket setting), reused by every bucket of the stack.

Versioning, all four public-access-block flags, BucketOwnerEnforced (ACLs off), SSE-KMS with bucket keys,
a caller-built policy (which must include bucket_policies.tls_only), lifecycle to cheaper classes and
expiry, optional server access logging. In prod: protect + retain_on_delete; elsewhere force_destroy, so a
non-prod stack destroys and re-creates cleanly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.tagging import resource_tags

MAX_BUCKET_NAME = 63
ABORT_MULTIPART_DAYS = 7


def bucket_name(name: str, purpose: str, account_id: str, region: str) -> str:
    """Globally unique and under the ``<name>-`` prefix the permissions boundary allows writes to."""
    physical = f"{name}-{purpose}-{account_id}-{region}"
    if len(physical) > MAX_BUCKET_NAME:
        raise ValueError(f"bucket name {physical!r} is {len(physical)} characters; S3 allows "
                         f"{MAX_BUCKET_NAME}: use a shorter stack name")
    return physical


@dataclass
class Lifecycle:
    transition_ia_days: int
    transition_glacier_days: int
    expiration_days: int
    noncurrent_expiration_days: int = 30


@dataclass
class HardenedBucketArgs:
    bucket: str  # physical name, see bucket_name()
    kms_key_arn: pulumi.Input[str]
    policy: Callable[[str], pulumi.Input[str]]  # bucket ARN -> policy JSON
    lifecycle: Lifecycle
    access_log_bucket: pulumi.Input[str] | None = None  # target bucket name for server access logs
    access_log_prefix: str = ""
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class HardenedBucket(pulumi.ComponentResource):
    """Outputs ``bucket_name`` (id) and ``arn``."""

    def __init__(self, name: str, args: HardenedBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("rustfs:storage:HardenedBucket", name, None, opts)
        self.bucket = aws.s3.Bucket(
            # Outside prod, destroy empties the bucket first: S3 refuses to delete a bucket that still holds
            # objects or versions (BucketNotEmpty), and these buckets receive logs from the first minutes.
            name, bucket=args.bucket, force_destroy=not args.protect, tags=resource_tags(args.tags, args.bucket),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect))
        part = pulumi.ResourceOptions(parent=self.bucket)
        bucket_id = self.bucket.id
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access", bucket=bucket_id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=part)
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket_id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=part)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=bucket_id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms",
                                                                "kms_master_key_id": args.kms_key_arn},
                    "bucket_key_enabled": True}], opts=part)
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket_id, versioning_configuration={"status": "Enabled"}, opts=part)
        aws.s3.BucketPolicy(
            f"{name}-policy", bucket=bucket_id, policy=self.bucket.arn.apply(args.policy),
            opts=pulumi.ResourceOptions(parent=self.bucket, depends_on=[public_access]))
        life = args.lifecycle
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=bucket_id,
            rules=[{
                "id": "tier-then-expire", "status": "Enabled", "filter": {},
                "transitions": [{"days": life.transition_ia_days, "storage_class": "STANDARD_IA"},
                                {"days": life.transition_glacier_days, "storage_class": "GLACIER"}],
                "expiration": {"days": life.expiration_days},
                "noncurrent_version_expiration": {"noncurrent_days": life.noncurrent_expiration_days},
                "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_MULTIPART_DAYS},
            }],
            opts=pulumi.ResourceOptions(parent=self.bucket, depends_on=[versioning]))
        if args.access_log_bucket is not None:
            aws.s3.BucketLogging(f"{name}-access-logs", bucket=bucket_id, target_bucket=args.access_log_bucket,
                                 target_prefix=args.access_log_prefix, opts=part)
        self.bucket_name: pulumi.Output[str] = self.bucket.id
        self.arn: pulumi.Output[str] = self.bucket.arn
        self.register_outputs({"bucketName": self.bucket_name, "arn": self.arn})
