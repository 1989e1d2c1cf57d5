"""The integrations of one stack, composed from its config: what ``__main__.py`` needs from them in one call.

``build_integrations`` declares the tier (``tiering.enabled``), its replica and the remote targets' secrets
(``replication``) and returns what other components take: the node role's statements (the reconciler reads the
tier's and the targets' secrets; with ``encryption.sse: aws`` RustFS uses the sse key), the sse key's ARN for the
nodes' environment, and the entries of the desired state the reconciler applies. Rejected: the same lines inline in
``__main__.py``: the composition root would grow by every feature's conditions, and the tests could not build the
pieces without running the whole program.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from rustfs_aws.integrations.documents import (
    default_bucket_encryption,
    remote_target_secret_name,
    sse_node_statements,
    tier_definition,
    tier_secret_name,
)
from rustfs_aws.integrations.replication import TierReplica, TierReplicaArgs
from rustfs_aws.integrations.tiering import TierStorage, TierStorageArgs
from rustfs_aws.state.state import LONGEST_ARN_PREFIX, longest_secret_arn


@dataclass
class Integrations:
    tier: TierStorage | None = None
    replica: TierReplica | None = None
    sse_key_arn: pulumi.Output[str] | None = None
    node_statements: pulumi.Output[list[dict]] = field(default_factory=lambda: pulumi.Output.from_input([]))
    state: pulumi.Output[dict] = field(default_factory=lambda: pulumi.Output.from_input({}))
    """The desired state's ``tiers``, ``remoteTargets`` and ``encryption`` entries (ARNs, never secret values)."""
    state_sizing: dict = field(default_factory=dict)
    """The same entries with the longest ARNs they can have: sizes the state parameter before any resource."""
    declared: bool = False
    """Something for the reconciler to apply (a tier, a remote target, default SSE-KMS on the buckets)."""


def _long_key_arn() -> str:
    return LONGEST_ARN_PREFIX.format(service="kms") + "key/00000000-0000-0000-0000-000000000000"


def state_entries(i, *, region: str, tier_bucket: str | None, tier_secret_arn: str | None, key_arn: str | None,
                  target_secret_arns: dict[str, str]) -> dict:
    """The desired state's integration entries (the reconciler's tiers, remoteTargets and encryption steps)."""
    return {
        "tiers": [tier_definition(i.tiering, region=region, bucket=tier_bucket, secret_arn=tier_secret_arn)]
        if tier_secret_arn else [],
        "remoteTargets": [{"name": t.name, "bucket": t.bucket, "endpoint": t.endpoint, "targetBucket": t.target_bucket,
                           "region": t.region, "secure": t.secure, "credentialsSecretArn": target_secret_arns[t.name],
                           "deleteMarkers": t.delete_markers, "existingObjects": t.existing_objects, "delete": t.delete}
                          for t in i.replication.remote_targets],
        "encryption": ({"sse": "aws", "keyArn": key_arn, "defaultBuckets": i.encryption.default_buckets,
                        "bucketEncryption": default_bucket_encryption(key_arn)} if key_arn else {"sse": "off"}),
    }


def reconciler_secret_statement(secret_arns: list[str]) -> list[dict]:
    """The reconciler on the nodes reads the tier's keys and the remote targets' keys (GetSecretValue only; the
    secrets key's decrypt via Secrets Manager is the node policy's DecryptOwnSecrets)."""
    if not secret_arns:
        return []
    return [{"Sid": "ReconcilerReadsIntegrationSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": sorted(secret_arns)}]


def build_integrations(cfg, stack, *, keys, iam, network, audit) -> Integrations:
    """``cfg``: StackConfig; ``stack``: StackContext; the other arguments are the stack's components."""
    i = cfg.integrations
    opts = stack.opts()
    out = Integrations()
    if i.tiering.enabled:
        out.tier = TierStorage(f"{cfg.name}-tier", stack.args(
            TierStorageArgs, tiering=i.tiering, storage_key_arn=keys.arns["storage"],
            secrets_key_arn=keys.arns["secrets"], permissions_boundary_arn=iam.permissions_boundary_arn,
            s3_endpoint_id=network.s3_endpoint_id, access_log_bucket=audit.logs_bucket.bucket_name), opts=opts)
        pulumi.export("tierBucketName", out.tier.bucket_name)
        pulumi.export("tierCredentialsSecretArn", out.tier.secret_arn)
    if i.replication.enabled or i.replication.remote_targets:
        tier = out.tier
        out.replica = TierReplica(f"{cfg.name}-replica", stack.args(
            TierReplicaArgs, integrations=i, source_bucket=tier.bucket if tier else None,
            source_bucket_name=tier.bucket_name if tier else "", source_bucket_arn=tier.bucket_arn if tier else "",
            source_key_arn=keys.arns["storage"], permissions_boundary_arn=iam.permissions_boundary_arn,
            key_admin_role_arn=cfg.security.key_admin_role_arn, secrets_key_arn=keys.arns["secrets"]), opts=opts)
        if i.replication.enabled:
            pulumi.export("tierReplicaBucketName", out.replica.bucket_name)
    if i.encryption.sse == "aws":
        out.sse_key_arn = keys.arns["sse"]
        pulumi.export("sseKeyArn", out.sse_key_arn)

    secrets = [*([out.tier.secret_arn] if out.tier else []),
               *(out.replica.remote_target_secret_arns.values() if out.replica else [])]
    out.node_statements = pulumi.Output.all(out.sse_key_arn, *secrets).apply(lambda v: [
        *(sse_node_statements(key_arn=v[0], region=cfg.region) if v[0] else []),
        *reconciler_secret_statement(list(v[1:]))])
    targets = out.replica.remote_target_secret_arns if out.replica else {}
    bucket = out.tier.bucket_name if out.tier else None
    out.state = pulumi.Output.all(
        bucket=bucket, tier_secret=out.tier.secret_arn if out.tier else None, key=out.sse_key_arn,
        targets=pulumi.Output.all(**targets) if targets else {}).apply(lambda v: state_entries(
            i, region=cfg.region, tier_bucket=v["bucket"], tier_secret_arn=v["tier_secret"], key_arn=v["key"],
            target_secret_arns=dict(v["targets"])))
    out.state_sizing = state_entries(
        i, region=cfg.region, tier_bucket="x" * 63, tier_secret_arn=longest_secret_arn(tier_secret_name(cfg.stack))
        if out.tier else None, key_arn=_long_key_arn() if out.sse_key_arn else None,
        target_secret_arns={t.name: longest_secret_arn(remote_target_secret_name(cfg.stack, t.name))
                            for t in i.replication.remote_targets})
    out.declared = bool(out.tier or i.replication.remote_targets or
                        (out.sse_key_arn is not None and i.encryption.default_buckets))
    return out
