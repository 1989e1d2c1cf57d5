"""The S3 side of a RustFS remote tier: the bucket RustFS transitions cold objects to, its lifecycle to colder S3
classes, and the static credentials RustFS's S3 tier needs.

RustFS's ``s3`` tier type accepts static keys only (crates/ecstore/src/services/tier/tier_config.rs: the role fields
of ``TierS3`` are ``#[serde(skip)]``; warm_backend_s3.rs ``new`` builds only static credentials), so the tier gets
a dedicated IAM user: under the stack's permissions boundary, no console password (no login profile), one inline
policy that allows the tier prefix of this bucket and nothing else, and only through the stack's S3 gateway
endpoint (``aws:SourceVpce``; documents.py). The bucket policy denies the user's requests from anywhere else as well,
so even a widened identity policy cannot use the key outside the VPC. The access key lives in one Secrets Manager
secret (the stack's secrets key); its secret never goes into an input, an output or a log.

Rotation, as code (README, "Tiering, replication and SSE-KMS"): set ``tiering.previousKeyVersion`` to the current
``keyVersion`` and increase ``keyVersion``; ``pulumi up`` creates the new key (IAM allows two per user, so both exist)
and writes it to the secret. The reconciler on the nodes sees the tier's access key differ from the secret's and
edits the tier with the new key (POST /rustfs/admin/v3/tier/<name>, rustfs/src/admin/handlers/tier.rs EditTier;
tier_admin.py). Once it reports the tier current, remove ``previousKeyVersion``: the next ``pulumi up`` deletes the
old key. Rejected: creating and deleting in one ``up`` (a new resource name per version). The old key would be gone
before any node switched the tier, and every transition and every read of a tiered object would fail in between.

The bucket is a ``HardenedBucket`` (versioned, SSE-KMS with the storage key and bucket keys, TLS only, ACLs off, every
public access block, access logs to the audit logs bucket). Its lifecycle is the tier's own (documents.py
``tier_lifecycle_rules``): current objects never expire, because RustFS decides when a tiered object goes.
Transfer acceleration (``tiering.acceleration``) only serves clients that reach the bucket over the internet, e.g.
hybrid ingest from outside AWS: the tier path itself goes through the S3 gateway endpoint, which carries the
regional S3 address ranges only, while an accelerated request goes to ``<bucket>.s3-accelerate.amazonaws.com``, an
edge location of CloudFront's network (Amazon S3 User Guide, "Configuring fast, secure file transfers using Amazon S3
Transfer Acceleration"; VPC User Guide, "Gateway endpoints": a gateway endpoint is a route to the service's prefix
list) - and the tier user may not leave the endpoint anyway.
"""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.integrations.documents import (
    intelligent_tiering_tierings,
    tier_bucket_statements,
    tier_definition,
    tier_lifecycle_rules,
    tier_secret_name,
    tier_user_name,
    tier_user_policy,
)
from rustfs_aws.integrations.settings import TieringConfig
from rustfs_aws.security.credentials import recovery_window_days
from rustfs_aws.storage.bucket_policies import S3_ACCESS_LOG_PREFIX, tls_only
from rustfs_aws.storage.buckets import HardenedBucket, HardenedBucketArgs, Lifecycle, bucket_name
from rustfs_aws.tagging import resource_tags

USER_PATH = "/rustfs/"


@dataclass
class TierStorageArgs:
    """Inputs of ``TierStorage`` (Python only: it takes the validated ``tiering`` section)."""

    name: str
    stack: str
    region: str
    account_id: str  # plain: it is part of the bucket's physical name
    partition: pulumi.Input[str]
    tiering: TieringConfig
    storage_key_arn: pulumi.Input[str]  # the bucket's SSE-KMS key (Keys' storage key)
    secrets_key_arn: pulumi.Input[str]  # the credentials secret's key (Keys' secrets key)
    permissions_boundary_arn: pulumi.Input[str]  # the stack's boundary, on the tier user too
    s3_endpoint_id: pulumi.Input[str]  # the S3 gateway endpoint the user must come through
    access_log_bucket: pulumi.Input[str] | None = None  # server access logs (the audit logs bucket)
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class TierStorage(pulumi.ComponentResource):
    """The tier bucket, the tier user with its inline policy and access keys, and the credentials secret. Outputs:
    ``bucket_name``, ``bucket_arn``, ``user_arn``, ``secret_arn``; ``secret_version`` is the resource that makes the
    keys readable; ``tier`` is the tier as the desired state publishes it (no secret)."""

    def __init__(self, name: str, args: TierStorageArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(TierStorageArgs, args)
        super().__init__("rustfs:integrations:TierStorage", name, None, opts)
        self._name, self._args = name, args
        t = args.tiering
        child = pulumi.ResourceOptions(parent=self)
        physical = bucket_name(args.name, "tier", args.account_id, args.region)
        user_name = tier_user_name(args.name)

        # No login profile, no MFA device, no group: only an inline policy (and the boundary above it).
        self.user = aws.iam.User(
            f"{name}-user", name=user_name, path=USER_PATH, permissions_boundary=args.permissions_boundary_arn,
            tags=self._tags(user_name, {"rustfs:purpose": "remote-tier"}), opts=child)
        self.user_arn: pulumi.Output[str] = self.user.arn

        bucket_statements = pulumi.Output.all(self.user.arn, args.s3_endpoint_id)
        self.bucket = HardenedBucket(f"{name}-bucket", HardenedBucketArgs(
            bucket=physical, kms_key_arn=args.storage_key_arn,
            # Unused: lifecycle_rules replaces it (HardenedBucket's own rule expires current objects).
            lifecycle=Lifecycle(transition_ia_days=30, transition_glacier_days=None, expiration_days=36_500),
            lifecycle_rules=tier_lifecycle_rules(t), access_log_bucket=args.access_log_bucket,
            access_log_prefix=f"{S3_ACCESS_LOG_PREFIX}tier/", protect=args.protect,
            tags={**args.tags, "rustfs:stack": args.stack, "rustfs:purpose": "remote-tier"},
            policy=lambda arn: bucket_statements.apply(lambda v: pulumi.Output.json_dumps({
                "Version": "2012-10-17",
                "Statement": [tls_only(arn), *tier_bucket_statements(bucket_arn=arn, user_arn=v[0], vpce_id=v[1])]}))),
            opts=child)
        self.bucket_name: pulumi.Output[str] = self.bucket.bucket_name
        self.bucket_arn: pulumi.Output[str] = self.bucket.arn

        policy = pulumi.Output.all(self.bucket.arn, args.s3_endpoint_id, args.storage_key_arn).apply(
            lambda v: pulumi.Output.json_dumps(tier_user_policy(
                bucket_arn=v[0], prefix=t.prefix, vpce_id=v[1], storage_key_arn=v[2], region=args.region)))
        aws.iam.UserPolicy(f"{name}-user-policy", name=f"{user_name}-bucket", user=self.user.name, policy=policy,
                           opts=pulumi.ResourceOptions(parent=self.user))

        # One access key per version in use: the current one, and during a rotation the previous one.
        versions = sorted({t.key_version, *([t.previous_key_version] if t.previous_key_version else [])})
        self.access_keys = {v: aws.iam.AccessKey(f"{name}-key-v{v}", user=self.user.name,
                                                 opts=pulumi.ResourceOptions(parent=self.user))
                            for v in versions}
        current = self.access_keys[t.key_version]
        secret = tier_secret_name(args.stack)
        self.secret = aws.secretsmanager.Secret(
            f"{name}-credentials", name=secret, kms_key_id=args.secrets_key_arn,
            description=f"Access key of the RustFS remote tier {t.tier_name} of stack {args.stack} (read by the "
                        "reconciler on the nodes, written into the tier through RustFS's admin API)",
            recovery_window_in_days=recovery_window_days(args.protect),
            tags=self._tags(secret), opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        # The key's secret flows from the AccessKey (a provider secret output) into this version and nowhere else.
        self.secret_version = aws.secretsmanager.SecretVersion(
            f"{name}-credentials-version", secret_id=self.secret.id,
            secret_string=pulumi.Output.secret(pulumi.Output.json_dumps(
                {"accessKey": current.id, "secretKey": current.secret, "keyVersion": t.key_version})),
            opts=pulumi.ResourceOptions(parent=self.secret))
        self.secret_arn: pulumi.Output[str] = self.secret.arn

        part = pulumi.ResourceOptions(parent=self.bucket)
        if t.intelligent_tiering is not None:
            aws.s3.BucketIntelligentTieringConfiguration(
                f"{name}-archive-tiers", bucket=self.bucket.bucket_name, name="rustfs-tier-archive", status="Enabled",
                filter={"prefix": f"{t.prefix}/"}, tierings=intelligent_tiering_tierings(t.intelligent_tiering),
                opts=part)
        if t.acceleration:
            aws.s3.BucketAccelerateConfiguration(f"{name}-acceleration", bucket=self.bucket.bucket_name,
                                                 status="Enabled", opts=part)

        self.tier = pulumi.Output.all(self.bucket.bucket_name, self.secret.arn).apply(
            lambda v: tier_definition(t, region=args.region, bucket=v[0], secret_arn=v[1]))
        self.register_outputs({"bucketName": self.bucket_name, "bucketArn": self.bucket_arn,
                               "userArn": self.user_arn, "secretArn": self.secret_arn, "tier": self.tier})

    def _tags(self, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return resource_tags(self._args.tags, name, self._args.stack, extra)
