"""A hardened S3 bucket (pulumi-aws v7: one resource per bucket setting), reused by every bucket of the stack.

Versioning, all four public-access-block flags, BucketOwnerEnforced (ACLs off), SSE-KMS with bucket keys,
a caller-built policy (which must include bucket_policies.tls_only) or the TLS-only deny and the caller's
statements, lifecycle to cheaper classes and expiry, optional server access logging. In prod: protect +
retain_on_delete; elsewhere force_destroy, so a non-prod stack destroys and re-creates cleanly.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.storage.bucket_policies import tls_only
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
    """When a bucket's objects move to cheaper storage classes and expire."""

    transition_ia_days: int
    """Days after creation an object moves to S3 Standard-IA (S3 requires at least 30)."""
    transition_glacier_days: int | None
    """Days after creation an object moves to S3 Glacier Flexible Retrieval (after the Standard-IA move); None: never
    (objects a service must read without a restore, e.g. DataSync's staging copies)."""
    expiration_days: int
    """Days after creation an object expires (becomes a noncurrent version)."""
    noncurrent_expiration_days: int | None = 30
    """Days a noncurrent version is kept before S3 deletes it."""


@dataclass
class BucketSettings:
    """Inputs of ``HardenedBucket`` in every language (the component package's schema); ``HardenedBucketArgs``
    adds the Python-only ``policy`` function."""

    bucket: str
    """The bucket's physical name, globally unique (``bucket_name`` builds ``<name>-<purpose>-<account>-<region>``,
    under the prefix the permissions boundary allows)."""
    kms_key_arn: pulumi.Input[str]
    """ARN of the KMS key of the bucket's default encryption (SSE-KMS with bucket keys): ``Keys``' ``storage``
    key."""
    lifecycle: Lifecycle
    """Storage-class transitions and expiry of the bucket's objects."""
    access_log_bucket: pulumi.Input[str] | None = None
    """Name of the bucket that receives this bucket's server access logs; unset: no access logging."""
    access_log_prefix: str | None = ""
    """Key prefix of the access logs in ``accessLogBucket``."""
    protect: bool | None = False
    """Protect the bucket and keep it when the stack is destroyed (prod); otherwise ``pulumi destroy`` empties
    and deletes it."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on the bucket, next to its ``Name``."""
    policy_statements: pulumi.Input[list[dict[str, Any]]] | None = field(default_factory=list)
    """IAM policy statements of the bucket policy, after the TLS-only deny every hardened bucket has
    (``s3:*`` denied when ``aws:SecureTransport`` is false)."""


@dataclass
class HardenedBucketArgs(BucketSettings):
    """Inputs of ``HardenedBucket`` from Python: the settings, and the policy as a function of the bucket's ARN."""

    policy: Callable[[str], pulumi.Input[str]] | None = None
    """The bucket ARN -> the bucket policy JSON, which must include ``bucket_policies.tls_only``; given, it
    replaces ``policy_statements``."""
    lifecycle_rules: list[dict[str, Any]] | None = None
    """Lifecycle rules (``aws.s3.BucketLifecycleConfiguration`` ``rules``) replacing the one built from ``lifecycle``:
    for a bucket whose current objects must never expire, such as a RustFS remote tier (integrations/tiering.py)."""


def statements_policy(statements: pulumi.Input[list[dict[str, Any]]]) -> Callable[[str], pulumi.Output[str]]:
    """The TLS-only deny, then ``statements``: the policy of a bucket that was given statements, not a function."""
    return lambda bucket_arn: pulumi.Output.from_input(statements).apply(lambda extra: json.dumps(
        {"Version": "2012-10-17", "Statement": [tls_only(bucket_arn), *extra]}))


class HardenedBucket(pulumi.ComponentResource):
    """An S3 bucket with versioning, every public-access block, ACLs off, SSE-KMS with bucket keys, a
    TLS-only policy, lifecycle to cheaper classes and expiry, and optional server access logging."""

    bucket_name: pulumi.Output[str]
    """The bucket's name (its ID)."""
    arn: pulumi.Output[str]
    """The bucket's ARN."""

    # ``args`` is annotated with the schema's inputs; a HardenedBucketArgs (a BucketSettings) adds ``policy``.
    def __init__(self, name: str, args: BucketSettings, opts: pulumi.ResourceOptions | None = None):
        args = component_args(HardenedBucketArgs, args)
        policy = args.policy or statements_policy(args.policy_statements)
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
        # Python only: what must exist before a bucket's replication (depending on this component reaches only its
        # direct children, and the versioning is the bucket's child).
        self.versioning = versioning
        aws.s3.BucketPolicy(
            f"{name}-policy", bucket=bucket_id, policy=self.bucket.arn.apply(policy),
            opts=pulumi.ResourceOptions(parent=self.bucket, depends_on=[public_access]))
        life = args.lifecycle
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=bucket_id,
            rules=args.lifecycle_rules or [{
                "id": "tier-then-expire", "status": "Enabled", "filter": {},
                "transitions": [{"days": life.transition_ia_days, "storage_class": "STANDARD_IA"},
                                *([{"days": life.transition_glacier_days, "storage_class": "GLACIER"}]
                                  if life.transition_glacier_days is not None else [])],
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
