"""EBS snapshots of the data volumes: a Data Lifecycle Manager policy selecting them by tag.

Targets every volume tagged ``rustfs:cluster=<cluster>`` (data volumes only: root volumes do not carry that
tag, see storage_nodes.py), on ``backup.snapshotIntervalHours`` keeping ``backup.snapshotRetainCount``.
With ``backup.copyRegion`` every snapshot is also copied to that region, encrypted with a customer managed
key created there (a snapshot copy can only use a key of its own region), and kept as long as the originals.

What a snapshot set is and is not: DLM snapshots each volume on its own schedule run, so one run gives
crash-consistent copies of single drives, not a point-in-time image of the cluster. It is a disaster
recovery backstop: restore every drive of every node from one run and RustFS's healing reconciles objects
written during the run from erasure-coded quorum. Day-to-day protection is erasure coding plus versioning.
"""

import json
import math
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.security.iam_documents import service_trust
from rustfs_aws.security.keys import regional_key
from rustfs_aws.tagging import resource_tags

DLM_MANAGED_POLICY = "service-role/AWSDataLifecycleManagerServiceRole"
KEY_USE_FOR_COPIES = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]


def copy_retention_days(interval_hours: int, retain_count: int) -> int:
    """DLM cross-region retention is a duration (days at the finest); keep copies as long as originals."""
    return max(1, math.ceil(interval_hours * retain_count / 24))


def snapshot_key_policy(key_arns: list[str]) -> dict:
    """DLM's role uses the data key (source snapshots) and the copy key only through EC2, and grants only
    to AWS resources (the snapshot copy)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "UseSnapshotKeysThroughEc2", "Effect": "Allow", "Action": KEY_USE_FOR_COPIES,
             "Resource": sorted(key_arns), "Condition": {"StringLike": {"kms:ViaService": "ec2.*.amazonaws.com"}}},
            {"Sid": "GrantSnapshotKeysToEc2", "Effect": "Allow", "Action": "kms:CreateGrant",
             "Resource": sorted(key_arns), "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
        ],
    }


@dataclass
class SnapshotsArgs:
    """Inputs of ``Snapshots``."""

    cluster_id: str
    """The cluster's name (``rustfs-dev``): the policy snapshots every volume tagged ``rustfs:cluster`` with it
    (the data volumes; root volumes do not carry the tag)."""
    stack: str
    """The stack's short name (``dev``): the ``rustfs:stack`` tag and the copy key's alias."""
    region: str
    """The AWS Region of the volumes."""
    account_id: pulumi.Input[str]
    """The AWS account ID: the lifecycle role trusts Data Lifecycle Manager only on its behalf."""
    partition: pulumi.Input[str]
    """The AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``) of the ARNs the policies name."""
    data_key_arn: pulumi.Input[str]
    """ARN of the KMS key of the data volumes (``Keys``' ``data`` key): the snapshots are encrypted with it."""
    interval_hours: int
    """Hours between snapshots of each volume (DLM accepts 1, 2, 3, 4, 6, 8, 12 or 24)."""
    retain_count: int
    """Snapshots kept per volume (DLM keeps at most 1000)."""
    permissions_boundary_arn: pulumi.Input[str]
    """ARN of the permissions boundary the lifecycle role carries (``Iam``'s ``permissionsBoundaryArn``)."""
    copy_region: str | None = None
    """Another Region every snapshot is also copied to, encrypted with a key created there and kept as long
    as the originals; unset: no copies."""
    key_admin_role_arn: str | None = None
    """ARN of the key-administrator role of the copy key (as for ``Keys``); unset: the account administers it."""
    protect: bool | None = False
    """Protect the copy key (prod)."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on the policy, its role and the copy key, next to each one's ``Name``."""


class Snapshots(pulumi.ComponentResource):
    """EBS snapshots of the data volumes: a Data Lifecycle Manager policy selecting them by tag, optionally
    copied to another Region. In Python also ``policy``, the DLM policy resource."""

    policy_arn: pulumi.Output[str]
    """ARN of the Data Lifecycle Manager policy."""
    copy_key_arn: pulumi.Output[str] | None
    """ARN of the KMS key in ``copyRegion`` that encrypts the copies (unset without ``copyRegion``)."""

    def __init__(self, name: str, args: SnapshotsArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(SnapshotsArgs, args)
        super().__init__("rustfs:cluster:Snapshots", name, None, opts)
        self._name, self._args = name, args
        self.copy_key_arn: pulumi.Output[str] | None = None
        if args.copy_region:
            self.copy_key_arn = self._copy_key()
        role = self._role()
        copies = []
        if args.copy_region:
            copies.append(aws.dlm.LifecyclePolicyPolicyDetailsScheduleCrossRegionCopyRuleArgs(
                target=args.copy_region, encrypted=True, cmk_arn=self.copy_key_arn, copy_tags=True,
                retain_rule=aws.dlm.LifecyclePolicyPolicyDetailsScheduleCrossRegionCopyRuleRetainRuleArgs(
                    interval=copy_retention_days(args.interval_hours, args.retain_count), interval_unit="DAYS")))
        schedule = aws.dlm.LifecyclePolicyPolicyDetailsScheduleArgs(
            name=f"every {args.interval_hours}h keep {args.retain_count}",
            create_rule=aws.dlm.LifecyclePolicyPolicyDetailsScheduleCreateRuleArgs(
                interval=args.interval_hours, interval_unit="HOURS"),
            retain_rule=aws.dlm.LifecyclePolicyPolicyDetailsScheduleRetainRuleArgs(count=args.retain_count),
            copy_tags=True, tags_to_add={"rustfs:snapshot-policy": args.cluster_id},
            cross_region_copy_rules=copies or None)
        self.policy = aws.dlm.LifecyclePolicy(
            f"{name}-policy", description=f"RustFS {args.cluster_id} data volumes",
            execution_role_arn=role.arn, state="ENABLED",
            policy_details=aws.dlm.LifecyclePolicyPolicyDetailsArgs(
                policy_type="EBS_SNAPSHOT_MANAGEMENT", resource_types=["VOLUME"],
                target_tags={"rustfs:cluster": args.cluster_id}, schedules=[schedule]),
            tags=self._tags(f"{args.cluster_id}-snapshots"), opts=pulumi.ResourceOptions(parent=self))
        self.policy_arn = self.policy.arn
        self.register_outputs({"policyArn": self.policy.arn, "copyKeyArn": self.copy_key_arn})

    def _tags(self, name: str) -> dict[str, str]:
        return resource_tags(self._args.tags, name, self._args.stack)

    def _copy_key(self) -> pulumi.Output[str]:
        """A data-purpose key in the copy region, with the same key policy as the stack's data key."""
        a = self._args
        provider = aws.Provider(f"{self._name}-copy-region", region=a.copy_region,
                                default_tags=aws.ProviderDefaultTagsArgs(tags=a.tags),
                                opts=pulumi.ResourceOptions(parent=self))
        key = regional_key(
            f"{self._name}-copy-key", purpose="data",
            description=f"rustfs {a.stack}: EBS snapshot copies from {a.region}",
            alias=f"alias/rustfs/{a.stack}/snapshot-copies", name=a.cluster_id, stack=a.stack, region=a.copy_region,
            account_id=a.account_id, partition=a.partition, provider=provider, parent=self, tags=a.tags,
            name_tag=f"{a.cluster_id}-snapshot-copies", key_admin_role_arn=a.key_admin_role_arn, protect=a.protect)
        return key.arn

    def _role(self) -> aws.iam.Role:
        """DLM's execution role: AWS's managed DLM policy plus use of the keys the snapshots need (AWS DLM
        User Guide, "Default service roles" and "Cross-Region copy of encrypted snapshots")."""
        a = self._args
        # DLM sends aws:SourceAccount and aws:SourceArn (its lifecycle policy) when it assumes the role
        # (rustfs_model.service_context); the policy id is unknown until it exists, hence policy/*.
        trust = pulumi.Output.all(a.account_id, a.partition).apply(lambda v: json.dumps(service_trust(
            "dlm.amazonaws.com", account_id=v[0], source_arn=f"arn:{v[1]}:dlm:{a.region}:{v[0]}:policy/*")))
        role = aws.iam.Role(
            f"{self._name}-dlm", name=f"{a.cluster_id}-dlm", assume_role_policy=trust,
            description="Data Lifecycle Manager: snapshots of the RustFS data volumes",
            permissions_boundary=a.permissions_boundary_arn, tags=self._tags(f"{a.cluster_id}-dlm"),
            opts=pulumi.ResourceOptions(parent=self))
        role_opts = pulumi.ResourceOptions(parent=role)
        aws.iam.RolePolicyAttachment(
            f"{self._name}-dlm-managed", role=role.name,
            policy_arn=pulumi.Output.concat("arn:", a.partition, ":iam::aws:policy/", DLM_MANAGED_POLICY),
            opts=role_opts)
        keys = [a.data_key_arn, *([self.copy_key_arn] if self.copy_key_arn is not None else [])]
        document = pulumi.Output.all(*keys).apply(lambda arns: json.dumps(snapshot_key_policy(list(arns))))
        aws.iam.RolePolicy(f"{self._name}-dlm-keys", role=role.id, policy=document, opts=role_opts)
        return role
