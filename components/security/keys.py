"""Customer-managed KMS keys, one per purpose, with explicit key policies (see key_policies.py)."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.security.key_policies import PURPOSES, alias_name, key_policy, log_group_prefix
from rustfs_aws.tagging import resource_tags

DESCRIPTIONS = {
    "data": "EBS volumes, snapshots and AMIs",
    "storage": "S3 buckets (logs, audit, tiers) and CloudTrail log files",
    "logs": "CloudWatch Logs log groups",
    "secrets": "Secrets Manager secrets",
    "messaging": "SNS topics",
    "sse": "RustFS server-side encryption of objects (RustFS's AWS KMS backend)",
}
DELETION_WINDOW_DAYS = 30


@dataclass
class KeysArgs:
    """Inputs of ``Keys``."""

    name: str
    """The deployment's name (``rustfs-dev``): names the keys' log-group prefix and scopes their policies to
    this deployment's resources."""
    stack: str
    """The stack's short name (``dev``, ``prod``): in the aliases (``alias/rustfs/<stack>/<purpose>``) and the
    ``rustfs:stack`` tag."""
    account_id: pulumi.Input[str]
    """The AWS account ID that owns the keys; their policies admit only its principals and services acting
    for it."""
    partition: pulumi.Input[str]
    """The AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``) of the ARNs the key policies name."""
    region: pulumi.Input[str]
    """The AWS Region of the keys (services are admitted through their regional endpoints)."""
    protect: bool | None = False
    """Protect the keys: ``pulumi destroy`` refuses to delete them (prod)."""
    key_admin_role_arn: str | None = None
    """ARN of a dedicated key-administrator role (it administers, never uses the keys; the account's principals
    then use each key only through its one service, and deployments must run as that role). Unset: AWS's
    default key policy, the account administers the keys and IAM policies decide who uses them."""
    trail_name: str | None = None
    """Name of the CloudTrail trail this deployment creates, when it does: the storage key lets that trail
    encrypt its log files."""
    config_delivery: bool | None = False
    """This deployment creates the AWS Config delivery channel: the storage key lets Config deliver with it."""
    ebs_encryption_by_default: bool | None = False
    """Turn on EBS encryption by default for the account and Region. Account-wide: only the one deployment that
    owns the account's singletons may. The default key stays AWS's ``aws/ebs`` unless
    ``ebs_default_kms_key_arn`` names one."""
    ebs_default_kms_key_arn: str | None = None
    """With ``ebs_encryption_by_default``: the account's default EBS key, a key the user manages outside this
    deployment (never one of its own keys: every other launch in the account would need its grants, and its
    destroy would schedule the key for deletion). Unset: ``aws/ebs``."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on every key, next to each one's ``Name``."""
    sse: bool | None = False
    """Also create the ``sse`` key: RustFS encrypts objects with it through its AWS KMS backend, called by the storage
    nodes themselves (``encryption.sse: aws``). RustFS creates no key of its own on that backend."""


class Keys(pulumi.ComponentResource):
    """Customer-managed KMS keys, one per purpose (data, storage, logs, secrets, messaging), each with an
    explicit key policy, rotation and an alias. ``aliases`` and ``keys`` (Python only) hold the resources."""

    arns: dict[str, pulumi.Output[str]]
    """Key ARN by purpose: ``data`` (EBS volumes, snapshots), ``storage`` (S3, CloudTrail), ``logs``
    (CloudWatch Logs), ``secrets`` (Secrets Manager), ``messaging`` (SNS), and with ``sse`` the ``sse`` key."""
    ids: dict[str, pulumi.Output[str]]
    """Key ID by purpose."""
    alias_names: dict[str, str]
    """Alias name by purpose (``alias/rustfs/<stack>/<purpose>``)."""
    log_group_prefix: str
    """The prefix every log group of the deployment is named under (``/rustfs/<name>/``): the logs key
    serves only those."""

    def __init__(self, name: str, args: KeysArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(KeysArgs, args)
        super().__init__("rustfs:security:Keys", name, None, opts)
        self.log_group_prefix = log_group_prefix(args.name)
        self.keys: dict[str, aws.kms.Key] = {}
        self.aliases: dict[str, aws.kms.Alias] = {}
        for purpose in (*PURPOSES, *(["sse"] if args.sse else [])):
            policy = pulumi.Output.all(args.account_id, args.partition, args.region).apply(
                lambda v, p=purpose: json.dumps(key_policy(
                    p, name=args.name, account_id=v[0], partition=v[1], region=v[2],
                    key_admin_role_arn=args.key_admin_role_arn, trail_name=args.trail_name,
                    config_delivery=args.config_delivery)))
            key = aws.kms.Key(
                f"{name}-{purpose}",
                description=f"rustfs {args.stack}: {DESCRIPTIONS[purpose]}",
                enable_key_rotation=True, deletion_window_in_days=DELETION_WINDOW_DAYS,
                key_usage="ENCRYPT_DECRYPT", customer_master_key_spec="SYMMETRIC_DEFAULT",
                policy=policy,
                tags=resource_tags(args.tags, f"{args.name}-{purpose}", args.stack, {"rustfs:key-purpose": purpose}),
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
            self.keys[purpose] = key
            self.aliases[purpose] = aws.kms.Alias(
                f"{name}-{purpose}", name=alias_name(args.stack, purpose), target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=key))
        self.arns: dict[str, pulumi.Output[str]] = {p: k.arn for p, k in self.keys.items()}
        self.ids: dict[str, pulumi.Output[str]] = {p: k.key_id for p, k in self.keys.items()}
        self.alias_names = {p: alias_name(args.stack, p) for p in self.aliases}

        self.ebs_default: aws.ebs.DefaultKmsKey | None = None
        if args.ebs_encryption_by_default:
            # Account- and region-wide: every new EBS volume in the account is encrypted, and deleting this
            # resource turns it off for everyone. Only the account owner's stack sets it (config.py refuses
            # security.ebsEncryptionByDefault otherwise; preflight/fake_account.py).
            aws.ebs.EncryptionByDefault(f"{name}-ebs-encryption-by-default", enabled=True,
                                        opts=pulumi.ResourceOptions(parent=self))
            # Encryption by default uses AWS's aws/ebs key unless the account's default key is changed (EBS User
            # Guide, "Encryption by default"). Not this stack's data key: every other team's launch would then
            # need kms:CreateGrant on it (a key policy this stack writes for its own nodes), and destroying this
            # stack would schedule the key for deletion, leaving the account's new volumes unlaunchable. The
            # stack's own volumes name the data key explicitly and never rely on the default.
            if args.ebs_default_kms_key_arn:
                self.ebs_default = aws.ebs.DefaultKmsKey(
                    f"{name}-ebs-default-key", key_arn=args.ebs_default_kms_key_arn,
                    opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"arns": self.arns, "aliases": {p: a.name for p, a in self.aliases.items()}})


def regional_key(resource_name: str, *, purpose: str, description: str, alias: str, name: str, stack: str,
                 region: str, account_id: pulumi.Input[str], partition: pulumi.Input[str], provider: aws.Provider,
                 parent: pulumi.Resource, tags: dict[str, str] | None = None, name_tag: str | None = None,
                 key_admin_role_arn: str | None = None, protect: bool | None = False,
                 document: Callable[[str, str], dict] | None = None,
                 alias_resource_name: str | None = None) -> aws.kms.Key:
    """A customer-managed key of ``purpose`` in ``region``, another Region than the stack's, created through that
    Region's ``provider`` (a snapshot copy, a replica bucket or CloudFront's logs can only use a key of their own
    Region): rotating, symmetric, 30-day deletion window, tagged like the ``Keys`` keys (``Name``, ``rustfs:stack``,
    ``rustfs:key-purpose``), with its alias. The key policy is ``key_policy(purpose, ...)`` of that Region
    (key_policies.py), or ``document(account_id, partition)`` for a purpose of its own (the edge's logs)."""

    def policy(v: list) -> str:
        account, part = v
        if document is not None:
            return json.dumps(document(account, part))
        return json.dumps(key_policy(purpose, name=name, account_id=account, partition=part, region=region,
                                     key_admin_role_arn=key_admin_role_arn))

    key = aws.kms.Key(
        resource_name, description=description, enable_key_rotation=True, deletion_window_in_days=DELETION_WINDOW_DAYS,
        key_usage="ENCRYPT_DECRYPT", customer_master_key_spec="SYMMETRIC_DEFAULT",
        policy=pulumi.Output.all(account_id, partition).apply(policy),
        tags=resource_tags(tags or {}, name_tag or resource_name, stack, {"rustfs:key-purpose": purpose}),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, protect=protect))
    aws.kms.Alias(alias_resource_name or resource_name, name=alias, target_key_id=key.key_id,
                  opts=pulumi.ResourceOptions(parent=key, provider=provider))
    return key
