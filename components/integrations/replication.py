"""A replica of the tier bucket in ``replication.region``: S3 Cross-Region Replication of everything RustFS tiered.

The replica is declared through a provider of its own Region (a child of this component), hardened like every
bucket of the stack (``HardenedBucket``: versioned, every public access block, ACLs off, TLS only, SSE-KMS with bucket
keys), with a KMS key of that Region (the ``storage`` key policy, ``alias/rustfs/<stack>/replica``) and server access
logs to a logs bucket of that Region (S3 delivers access logs only to a bucket in the source bucket's Region: Amazon
S3 User Guide, "Enabling Amazon S3 server access logging"). The replication configuration itself belongs to the
source bucket and is put through the stack's own provider: PutBucketReplication goes to the source bucket's Region.

The rule (documents.py ``replication_rule``): every object (V2 schema with an empty prefix filter, which delete
marker replication needs), delete markers replicated (only a delete made in the tier bucket without a version ID
makes one: RustFS deletes a tiered object by its version ID, tier_sweeper.rs, and S3 never replicates a versioned
delete, so the replica keeps every object RustFS ever tiered; README), SSE-KMS objects selected and re-encrypted
with the replica Region's key (S3 replicates no SSE-KMS object without ``SseKmsEncryptedObjects``, and every tier
object is one), optional S3 Replication Time Control, which S3 accepts only with replication metrics (both with 15
minutes, the only value it takes). The role S3 assumes may read the source's versions and write replicas of these
two buckets, use the source key to decrypt and the replica key to encrypt, each only through S3 in its Region and
only with that bucket's encryption context (Amazon S3 User Guide, "Setting up permissions for live replication",
"Replicating encrypted objects").

Rejected: replicating the RustFS data volumes or site replication between stacks: the former is the snapshots' job
(cluster/snapshots.py, backup.copyRegion), the latter the DR issue's. RustFS's own bucket replication to another
RustFS or S3 endpoint is the reconciler's (remote targets: tier_admin.py); this component makes only the secret
containers their credentials go in (the operator puts the value: the stack never sees the remote's keys).
"""

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.integrations.documents import (
    remote_target_secret_name,
    replication_role_policy,
    replication_rule,
    replication_trust,
)
from rustfs_aws.integrations.settings import IntegrationsConfig
from rustfs_aws.security.credentials import recovery_window_days
from rustfs_aws.security.keys import regional_key
from rustfs_aws.storage.bucket_policies import S3_ACCESS_LOG_PREFIX, logs_bucket_policy
from rustfs_aws.storage.buckets import HardenedBucket, HardenedBucketArgs, Lifecycle, bucket_name
from rustfs_aws.tagging import resource_tags

# Warm to cold, as S3 lifecycle may move objects (never back): a replica rule moves only to colder classes.
COLDNESS = {"STANDARD": 0, "STANDARD_IA": 1, "INTELLIGENT_TIERING": 2, "GLACIER_IR": 3, "GLACIER": 4,
            "DEEP_ARCHIVE": 5}
LOG_LIFECYCLE = Lifecycle(transition_ia_days=30, transition_glacier_days=90, expiration_days=365)


@dataclass
class TierReplicaArgs:
    """Inputs of ``TierReplica`` (Python only: it takes the validated integration sections)."""

    name: str
    stack: str
    region: str  # the source (the stack's) Region
    account_id: str
    partition: str
    integrations: IntegrationsConfig
    source_bucket: HardenedBucket | None  # the tier bucket: its versioning must exist first
    source_bucket_name: pulumi.Input[str]
    source_bucket_arn: pulumi.Input[str]
    source_key_arn: pulumi.Input[str]  # the tier bucket's SSE-KMS key
    permissions_boundary_arn: pulumi.Input[str]
    key_admin_role_arn: str | None = None
    secrets_key_arn: pulumi.Input[str] | None = None  # the remote targets' credential secrets
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class TierReplica(pulumi.ComponentResource):
    """Outputs ``bucket_name``, ``bucket_arn``, ``key_arn`` (the replica Region's key), ``role_arn``;
    ``remote_target_secret_arns`` (target name -> secret ARN) for RustFS bucket replication."""

    def __init__(self, name: str, args: TierReplicaArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(TierReplicaArgs, args)
        super().__init__("rustfs:integrations:TierReplica", name, None, opts)
        self._name, self._args = name, args
        r = args.integrations.replication
        self.remote_target_secret_arns: dict[str, pulumi.Output[str]] = self._remote_target_secrets()
        if not r.enabled:
            self.register_outputs({"remoteTargetSecretArns": self.remote_target_secret_arns})
            return
        replica_region = r.region
        provider = aws.Provider(f"{name}-region", region=replica_region,
                                default_tags=aws.ProviderDefaultTagsArgs(tags=args.tags),
                                opts=pulumi.ResourceOptions(parent=self))
        there = pulumi.ResourceOptions(parent=self, provider=provider)

        key = regional_key(
            f"{name}-key", purpose="storage", description=f"rustfs {args.stack}: replica of the tier bucket of "
            f"{args.region}", alias=f"alias/rustfs/{args.stack}/replica", name=args.name, stack=args.stack,
            region=replica_region, account_id=args.account_id, partition=args.partition, provider=provider,
            parent=self, tags=args.tags, name_tag=f"{args.name}-replica", key_admin_role_arn=args.key_admin_role_arn,
            protect=args.protect)
        self.key_arn: pulumi.Output[str] = key.arn

        logs = HardenedBucket(f"{name}-logs", HardenedBucketArgs(
            bucket=bucket_name(args.name, "replica-logs", args.account_id, replica_region), kms_key_arn=key.arn,
            policy=lambda arn: json.dumps(logs_bucket_policy(bucket_arn=arn, partition=args.partition,
                                                             account_id=args.account_id, name=args.name)),
            lifecycle=LOG_LIFECYCLE, protect=args.protect, tags=self._bucket_tags("replica-logs")), opts=there)
        replica = HardenedBucket(f"{name}-bucket", HardenedBucketArgs(
            bucket=bucket_name(args.name, "replica", args.account_id, replica_region), kms_key_arn=key.arn,
            lifecycle=LOG_LIFECYCLE, lifecycle_rules=self._replica_lifecycle(), access_log_bucket=logs.bucket_name,
            access_log_prefix=f"{S3_ACCESS_LOG_PREFIX}replica/", protect=args.protect,
            tags=self._bucket_tags("tier-replica")), opts=there)
        self.bucket_name: pulumi.Output[str] = replica.bucket_name
        self.bucket_arn: pulumi.Output[str] = replica.arn

        role_name = f"{args.name}-replication"
        role = aws.iam.Role(
            f"{name}-role", name=role_name,
            assume_role_policy=json.dumps(replication_trust()),
            description=f"S3 replicates the RustFS tier bucket to {replica_region}",
            permissions_boundary=args.permissions_boundary_arn, tags=self._tags(role_name),
            opts=pulumi.ResourceOptions(parent=self))
        aws.iam.RolePolicy(
            f"{name}-role", name=role_name, role=role.id,
            policy=pulumi.Output.all(args.source_bucket_arn, replica.arn, args.source_key_arn, key.arn).apply(
                lambda v: json.dumps(replication_role_policy(
                    source_bucket_arn=v[0], destination_bucket_arn=v[1], source_key_arn=v[2],
                    destination_key_arn=v[3], source_region=args.region, destination_region=replica_region))),
            opts=pulumi.ResourceOptions(parent=role))
        self.role_arn: pulumi.Output[str] = role.arn

        # S3 refuses a replication configuration until both buckets are versioned (PutBucketReplication:
        # InvalidRequest "Versioning must be 'Enabled' on the bucket"): after both HardenedBuckets.
        rule = pulumi.Output.all(replica.arn, key.arn).apply(
            lambda v: replication_rule(args.integrations, destination_bucket_arn=v[0], destination_key_arn=v[1]))
        self.configuration = aws.s3.BucketReplicationConfig(
            f"{name}-configuration", bucket=args.source_bucket_name, role=role.arn, rules=[rule],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.source_bucket.versioning, replica.versioning]))
        self.register_outputs({"bucketName": self.bucket_name, "bucketArn": self.bucket_arn, "keyArn": self.key_arn,
                               "roleArn": self.role_arn, "remoteTargetSecretArns": self.remote_target_secret_arns})

    def _replica_lifecycle(self) -> list[dict]:
        """Noncurrent versions expire and uploads are aborted as in the tier; the tier's transitions apply to the
        replica where they lead to a class colder than the one S3 writes replicas in."""
        a = self._args
        r, t = a.integrations.replication, a.integrations.tiering
        rules = [{"id": "replica-noncurrent-and-uploads", "status": "Enabled", "filter": {},
                  "noncurrent_version_expiration": {"noncurrent_days": t.noncurrent_expiration_days},
                  "abort_incomplete_multipart_upload": {"days_after_initiation": t.abort_multipart_days}}]
        colder = [(d, c) for d, c in t.transitions.rules() if COLDNESS[c] > COLDNESS[r.storage_class]]
        if colder:
            rules.append({"id": "replica-to-colder-classes", "status": "Enabled", "filter": {},
                          "transitions": [{"days": d, "storage_class": c} for d, c in colder]})
        return rules

    def _remote_target_secrets(self) -> dict[str, pulumi.Output[str]]:
        """One empty secret per RustFS remote target: the operator puts the remote's keys in it
        (``{"accessKey", "secretKey"}``); the reconciler skips a target whose secret has no value yet."""
        a = self._args
        out = {}
        for target in a.integrations.replication.remote_targets:
            secret = remote_target_secret_name(a.stack, target.name)
            out[target.name] = aws.secretsmanager.Secret(
                f"{self._name}-target-{target.name}", name=secret, kms_key_id=a.secrets_key_arn,
                description=f"Keys of RustFS remote target {target.name} ({target.endpoint}/{target.target_bucket}) "
                            f"for bucket {target.bucket}; put by the operator",
                recovery_window_in_days=recovery_window_days(a.protect), tags=self._tags(secret),
                opts=pulumi.ResourceOptions(parent=self, protect=a.protect)).arn
        return out

    def _tags(self, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return resource_tags(self._args.tags, name, self._args.stack, extra)

    def _bucket_tags(self, purpose: str) -> dict[str, str]:
        return {**self._args.tags, "rustfs:stack": self._args.stack, "rustfs:purpose": purpose}
