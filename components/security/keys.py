"""Customer-managed KMS keys, one per purpose, with explicit key policies (see key_policies.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.security.key_policies import PURPOSES, alias_name, key_policy, log_group_prefix
from rustfs_aws.tagging import resource_tags

DESCRIPTIONS = {
    "data": "EBS volumes, snapshots and AMIs",
    "storage": "S3 buckets (logs, audit, tiers) and CloudTrail log files",
    "logs": "CloudWatch Logs log groups",
    "secrets": "Secrets Manager secrets",
    "messaging": "SNS topics",
}
DELETION_WINDOW_DAYS = 30


@dataclass
class KeysArgs:
    name: str  # StackConfig.name, e.g. rustfs-dev
    stack: str
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    region: pulumi.Input[str]
    protect: bool = False  # prod: keys survive `pulumi destroy`
    key_admin_role_arn: str | None = None
    trail_name: str | None = None  # set when this stack creates the CloudTrail trail
    config_delivery: bool = False  # set when this stack creates the AWS Config delivery channel
    ebs_encryption_by_default: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class Keys(pulumi.ComponentResource):
    """``arns`` / ``ids`` / ``aliases``: dicts keyed by purpose (data, storage, logs, secrets, messaging)."""

    def __init__(self, name: str, args: KeysArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("rustfs:security:Keys", name, None, opts)
        self.log_group_prefix = log_group_prefix(args.name)
        self.keys: dict[str, aws.kms.Key] = {}
        self.aliases: dict[str, aws.kms.Alias] = {}
        for purpose in PURPOSES:
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

        self.ebs_default: aws.ebs.DefaultKmsKey | None = None
        if args.ebs_encryption_by_default:
            # Account- and region-wide: every new EBS volume in the account is encrypted with the data key, and
            # deleting these resources resets the setting for everyone. Only the account owner's stack sets it
            # (config.py refuses security.ebsEncryptionByDefault otherwise; preflight/fake_account.py).
            aws.ebs.EncryptionByDefault(f"{name}-ebs-encryption-by-default", enabled=True,
                                        opts=pulumi.ResourceOptions(parent=self))
            self.ebs_default = aws.ebs.DefaultKmsKey(f"{name}-ebs-default-key", key_arn=self.arns["data"],
                                                     opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"arns": self.arns, "aliases": {p: a.name for p, a in self.aliases.items()}})
