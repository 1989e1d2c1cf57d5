"""Audit baseline: logs and audit buckets, CloudTrail, AWS Config recorder and managed rules.

Account ownership. AWS Config keeps one configuration recorder and one delivery channel per account and
Region (Config API Reference, PutConfigurationRecorder / PutDeliveryChannel); its managed rules evaluate
every resource of the account, and its service-linked role exists once per account (IAM is global). So
these belong to one stack per account and Region, the one with ``owns_account``; every other stack there
declares none of them (``config="existing"``) and is covered by the owner's recorder and rules, or by the
organization's (Control Tower enables a recorder and delivery channel in every enrolled account).
CloudTrail trails are not singletons: each stack keeps its own (at most 5 trails per Region, and a
multi-region trail counts in every Region: CloudTrail User Guide, "Quotas in AWS CloudTrail").

Rejected: per-stack Config rules and recorders (the issue 9 review): the second stack in an account fails
with MaxNumberOfConfigurationRecordersExceededException, and a stack without a recorder in its Region cannot
create rules at all (PutConfigRule: NoAvailableConfigurationRecorderException).
"""

import json
from dataclasses import dataclass, field
from enum import StrEnum

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.security.iam_documents import log_delivery_policy, service_trust
from rustfs_aws.security.key_policies import log_group_prefix, trail_arn, trail_name
from rustfs_aws.storage.bucket_policies import (
    CONFIG_PREFIX,
    S3_ACCESS_LOG_PREFIX,
    TRAIL_PREFIX,
    audit_bucket_policy,
    logs_bucket_policy,
    trail_topic_policy,
)
from rustfs_aws.storage.buckets import HardenedBucket, HardenedBucketArgs, Lifecycle, bucket_name
from rustfs_aws.tagging import resource_tags
from rustfs_aws.validation import ConfigError, full_key

# AWS Config managed rules mirroring the policy pack's guardrails at run time: rule name -> identifier
# (AWS Config Developer Guide, "List of AWS Config Managed Rules").
MANAGED_RULES = {
    "encrypted-volumes": "ENCRYPTED_VOLUMES",
    "ec2-imdsv2-check": "EC2_IMDSV2_CHECK",
    "restricted-ssh": "INCOMING_SSH_DISABLED",
    "vpc-default-security-group-closed": "VPC_DEFAULT_SECURITY_GROUP_CLOSED",
    "vpc-flow-logs-enabled": "VPC_FLOW_LOGS_ENABLED",
    "s3-bucket-ssl-requests-only": "S3_BUCKET_SSL_REQUESTS_ONLY",
    "s3-bucket-public-read-prohibited": "S3_BUCKET_PUBLIC_READ_PROHIBITED",
    "s3-bucket-public-write-prohibited": "S3_BUCKET_PUBLIC_WRITE_PROHIBITED",
    "s3-bucket-server-side-encryption-enabled": "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
    "cmk-backing-key-rotation-enabled": "CMK_BACKING_KEY_ROTATION_ENABLED",
    "iam-policy-no-statements-with-admin-access": "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS",
    "cloudtrail-enabled": "CLOUD_TRAIL_ENABLED",
    "cloud-trail-log-file-validation-enabled": "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
    "cloudwatch-log-group-encrypted": "CLOUDWATCH_LOG_GROUP_ENCRYPTED",
    "required-tags": "REQUIRED_TAGS",
}
REQUIRED_TAGS_RULE_MAX = 6  # REQUIRED_TAGS takes tag1Key … tag6Key


def data_bucket_prefix(name: str) -> str:
    """Buckets holding the stack's data (tier buckets, replicas) are named with this prefix; the trail
    records S3 data events for every object under it."""
    return f"{name}-data-"


def required_tags_parameters(keys: list[str]) -> dict[str, str]:
    if not 1 <= len(keys) <= REQUIRED_TAGS_RULE_MAX:
        raise ValueError(f"required-tags checks 1 to {REQUIRED_TAGS_RULE_MAX} tag keys, got {len(keys)}")
    return {f"tag{i}Key": key for i, key in enumerate(keys, start=1)}


def trail_event_selectors(partition: str, name: str, extra_bucket_arns: list[str]) -> list[dict]:
    """Management events (read and write), plus S3 object data events of the stack's data buckets."""
    prefixes = sorted({f"arn:{partition}:s3:::{data_bucket_prefix(name)}",
                       *(f"{arn}/" for arn in extra_bucket_arns)})
    return [
        {"name": "Management events",
         "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}]},
        {"name": "S3 data events of the stack's data buckets",
         "field_selectors": [{"field": "eventCategory", "equals": ["Data"]},
                             {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                             {"field": "resources.ARN", "starts_withs": prefixes}]},
    ]


class Provisioning(StrEnum):
    """Whether this deployment declares a resource or uses one the account already has."""

    CREATE = "create"
    """This deployment declares it."""
    EXISTING = "existing"
    """The account already has it (an organization trail, another stack's or Control Tower's recorder, a
    service-linked role some tool created): nothing is declared."""


@dataclass
class AuditArgs:
    """Inputs of ``Audit``."""

    name: str
    """The deployment's name (``rustfs-dev``): names the buckets, the trail, the recorder and the rules."""
    stack: str
    """The stack's short name (``dev``): the ``rustfs:stack`` tag."""
    account_id: str
    """The AWS account ID, known before the deployment (it is in the bucket names): a plain string."""
    partition: str
    """The AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``), a plain string like ``accountId``."""
    region: str
    """The AWS Region of the buckets, the trail's home and the recorder."""
    storage_key_arn: pulumi.Input[str]
    """ARN of the KMS key of the buckets and the trail's log files (``Keys``' ``storage`` key, created with
    this deployment's ``trailName``)."""
    logs_key_arn: pulumi.Input[str]
    """ARN of the KMS key of the trail's log group (``Keys``' ``logs`` key)."""
    messaging_key_arn: pulumi.Input[str]
    """ARN of the KMS key of the trail's delivery-notification topic (``Keys``' ``messaging`` key)."""
    permissions_boundary_arn: pulumi.Input[str]
    """ARN of the permissions boundary the trail's log role carries (``Iam``'s ``permissionsBoundaryArn``)."""
    cloud_trail: Provisioning | None = Provisioning.CREATE
    """``create`` this deployment's multi-Region trail (management events, S3 data events of its data
    buckets), or ``existing`` when an organization trail already records the account."""
    owns_account: bool | None = False
    """This is the one deployment per account and Region that owns the account's singletons: it also
    declares AWS Config's managed rules (and may declare the recorder, ``config``)."""
    config: Provisioning | None = Provisioning.EXISTING
    """``create`` the account's AWS Config recorder, delivery channel and status (only with ``ownsAccount``:
    AWS Config keeps one recorder per account and Region), or use the ``existing`` one."""
    config_service_linked_role: Provisioning | None = Provisioning.CREATE
    """With ``config`` ``create``: ``create`` AWSServiceRoleForConfig, or use the ``existing`` one (IAM keeps
    one per account and refuses a second)."""
    log_retention_days: int | None = 365
    """Days CloudWatch Logs keeps the trail's log group."""
    transition_ia_days: int | None = 30
    """Days before the buckets' objects move to S3 Standard-IA (at least 30)."""
    transition_glacier_days: int | None = 90
    """Days before the buckets' objects move to S3 Glacier Flexible Retrieval."""
    expiration_days: int | None = 365
    """Days before the buckets' objects expire."""
    required_tag_keys: list[str] | None = field(default_factory=lambda: ["Project", "Environment", "Owner",
                                                                         "CostCenter"])
    """The tag keys the ``required-tags`` Config rule checks (1 to 6)."""
    data_bucket_arns: list[str] | None = field(default_factory=list)
    """ARNs of data buckets outside the ``<name>-data-`` prefix whose object events the trail also records."""
    record_global_types: bool | None = True
    """The recorder also records IAM and other global resource types (only one Region of the account
    should)."""
    protect: bool | None = False
    """Protect the buckets and keep them when the stack is destroyed (prod)."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on every resource, next to each one's ``Name``."""


def config_service_linked_role_arn(partition: str, account_id: str) -> str:
    """AWSServiceRoleForConfig: IAM names a service-linked role after its service, at a fixed path."""
    return f"arn:{partition}:iam::{account_id}:role/aws-service-role/{CONFIG_SERVICE}/{CONFIG_SERVICE_ROLE}"


CONFIG_SERVICE = "config.amazonaws.com"
CONFIG_SERVICE_ROLE = "AWSServiceRoleForConfig"
CONFIG_SERVICE_ROLE_PATH = f"/aws-service-role/{CONFIG_SERVICE}/"
_ROLE_KEY = full_key("audit.configServiceLinkedRole")


def resolve_config_service_role(setting: str, *, stack: str, project: str, invoke: pulumi.InvokeOptions) -> str:
    """``audit.configServiceLinkedRole`` (auto | create | existing) against the account: ``create`` or ``existing``.

    Called before any resource. AWSServiceRoleForConfig is in every account where Config was ever enabled (the
    console, Security Hub, conformance packs, an organization's Config rules), and IAM refuses a second one
    ("Service role name AWSServiceRoleForConfig has been taken in this account"). ListRoles by the role's path
    answers an empty list when it is absent (GetRole would fail: NoSuchEntity), so the lookup never raises. A
    role this stack created (its ``rustfs:stack`` and ``Project`` tags, read with GetRole) stays declared:
    ``auto`` must not drop it from the stack on the next ``up`` because it now exists.
    """
    names = aws.iam.get_roles(path_prefix=CONFIG_SERVICE_ROLE_PATH, opts=invoke).names or []
    present = CONFIG_SERVICE_ROLE in names
    ours = False
    if present:
        tags = aws.iam.get_role(name=CONFIG_SERVICE_ROLE, opts=invoke).tags or {}
        ours = tags.get("rustfs:stack") == stack and tags.get("Project") == project
    return decide_config_service_role(setting, present=present, ours=ours)


def decide_config_service_role(setting: str, *, present: bool, ours: bool) -> str:
    if setting == "existing":
        if not present:
            raise ConfigError([f"{_ROLE_KEY}: got 'existing'; this account has no {CONFIG_SERVICE_ROLE} (nothing has "
                               "enabled AWS Config here yet): use auto (the default), which creates it"])
        return "existing"
    if present and not ours:
        if setting == "create":
            raise ConfigError([f"{_ROLE_KEY}: got 'create'; {CONFIG_SERVICE_ROLE} already exists in this account "
                               "(created when AWS Config was first enabled here, by the console, Security Hub, "
                               "Control Tower, a conformance pack or another stack), and IAM refuses a second one: use "
                               "auto (the default) or existing"])
        return "existing"
    return "create"


class Audit(pulumi.ComponentResource):
    """The audit baseline: a logs bucket (access logs of the buckets and the load balancer) and an audit
    bucket, this deployment's CloudTrail trail, and, for the account's owner, AWS Config's recorder and
    managed rules. In Python also the resources: ``logs_bucket`` / ``audit_bucket`` (HardenedBucket), ``trail``
    and ``recorder`` (None when the account already has them), ``rules`` (empty unless ``owns_account``)."""

    logs_bucket_name: pulumi.Output[str]
    """Name of the logs bucket: server access logs, and the load balancer's access logs (its policy admits
    the log delivery service)."""
    logs_bucket_arn: pulumi.Output[str]
    """ARN of the logs bucket."""
    audit_bucket_name: pulumi.Output[str]
    """Name of the audit bucket: CloudTrail log files and AWS Config deliveries."""
    audit_bucket_arn: pulumi.Output[str]
    """ARN of the audit bucket."""
    trail_name: str | None
    """Name of this deployment's trail (unset with ``cloudTrail`` ``existing``)."""
    trail_arn: pulumi.Output[str] | None
    """ARN of this deployment's trail (unset with ``cloudTrail`` ``existing``)."""

    def __init__(self, name: str, args: AuditArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(AuditArgs, args)
        super().__init__("rustfs:security:Audit", name, None, opts)
        self._name, self._args = name, args
        a = args
        lifecycle = Lifecycle(a.transition_ia_days, a.transition_glacier_days, a.expiration_days)
        self.trail_name = trail_name(a.name) if a.cloud_trail == "create" else None
        if a.config == "create" and not a.owns_account:
            raise ValueError("AuditArgs: config='create' declares account singletons; only the stack with "
                             "owns_account=True may (components/config.py validates the stack config)")
        records = a.config == "create"

        self.logs_bucket = HardenedBucket(f"{name}-logs", HardenedBucketArgs(
            bucket=bucket_name(a.name, "logs", a.account_id, a.region), kms_key_arn=a.storage_key_arn,
            policy=lambda arn: json.dumps(logs_bucket_policy(
                bucket_arn=arn, partition=a.partition, account_id=a.account_id, name=a.name)),
            lifecycle=lifecycle, protect=a.protect, tags=self._tags("logs")),
            opts=pulumi.ResourceOptions(parent=self))
        self.audit_bucket = HardenedBucket(f"{name}-audit", HardenedBucketArgs(
            bucket=bucket_name(a.name, "audit", a.account_id, a.region), kms_key_arn=a.storage_key_arn,
            policy=lambda arn: json.dumps(audit_bucket_policy(
                bucket_arn=arn, partition=a.partition, region=a.region, account_id=a.account_id,
                trail_name=self.trail_name, config_delivery=records)),
            lifecycle=lifecycle, access_log_bucket=self.logs_bucket.bucket_name,
            access_log_prefix=f"{S3_ACCESS_LOG_PREFIX}audit/", protect=a.protect, tags=self._tags("audit")),
            opts=pulumi.ResourceOptions(parent=self))

        self.trail = self._trail() if self.trail_name else None
        self.recorder = self._recorder() if records else None
        self.rules = self._rules() if a.owns_account else []
        self.logs_bucket_name, self.logs_bucket_arn = self.logs_bucket.bucket_name, self.logs_bucket.arn
        self.audit_bucket_name, self.audit_bucket_arn = self.audit_bucket.bucket_name, self.audit_bucket.arn
        self.trail_arn = self.trail.arn if self.trail else None
        self.register_outputs({
            "logsBucket": self.logs_bucket.bucket_name, "auditBucket": self.audit_bucket.bucket_name,
            "trailArn": self.trail.arn if self.trail else None,
        })

    def _trail(self) -> aws.cloudtrail.Trail:
        a, name = self._args, self._name
        child = pulumi.ResourceOptions(parent=self)
        group = aws.cloudwatch.LogGroup(
            f"{name}-trail", name=f"{log_group_prefix(a.name)}cloudtrail", kms_key_id=a.logs_key_arn,
            retention_in_days=a.log_retention_days, tags=self._tags("trail"), opts=child)
        arn = trail_arn(a.partition, a.region, a.account_id, self.trail_name)
        role = aws.iam.Role(
            f"{name}-trail-logs", name=f"{a.name}-trail-logs",
            # No aws:SourceAccount/SourceArn: CloudTrail does not send them when it assumes this role, and a
            # condition on them fails CreateTrail (rustfs_model.service_context).
            assume_role_policy=json.dumps(service_trust("cloudtrail.amazonaws.com")),
            description="Lets CloudTrail deliver this stack's trail to its log group",
            permissions_boundary=a.permissions_boundary_arn, tags=self._tags("trail-logs"), opts=child)
        policy = aws.iam.RolePolicy(
            f"{name}-trail-logs", role=role.id,
            policy=group.arn.apply(lambda g: json.dumps(log_delivery_policy(g))),
            opts=pulumi.ResourceOptions(parent=role))
        topic = aws.sns.Topic(
            f"{name}-trail-delivery", name=f"{a.name}-trail-delivery", kms_master_key_id=a.messaging_key_arn,
            tags=self._tags("trail-delivery"), opts=child)
        topic_policy = aws.sns.TopicPolicy(
            f"{name}-trail-delivery", arn=topic.arn,
            policy=topic.arn.apply(lambda t: json.dumps(trail_topic_policy(t, a.account_id, arn))),
            opts=pulumi.ResourceOptions(parent=topic))
        self.trail_topic_arn = topic.arn
        return aws.cloudtrail.Trail(
            f"{name}-trail", name=self.trail_name, s3_bucket_name=self.audit_bucket.bucket_name,
            sns_topic_name=topic.arn,
            s3_key_prefix=TRAIL_PREFIX, is_multi_region_trail=True, include_global_service_events=True,
            enable_log_file_validation=True, enable_logging=True, kms_key_id=a.storage_key_arn,
            cloud_watch_logs_group_arn=group.arn.apply(lambda g: f"{g.removesuffix(':*')}:*"),
            cloud_watch_logs_role_arn=role.arn,
            advanced_event_selectors=trail_event_selectors(a.partition, a.name, a.data_bucket_arns),
            tags=self._tags("trail"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.audit_bucket, policy, topic_policy]))

    def _config_role_arn(self) -> pulumi.Input[str]:
        """The recorder records as AWS Config's service-linked role, not as a role of this stack.

        A stack role would carry the stack's permissions boundary, which denies reading other teams' secrets,
        keys and instances: in a shared account the recording would silently miss them. Rejected: exempting
        a stack role from the boundary (the one unbounded role, and a deploy role allowed to create only
        bounded roles could not create it). The service-linked role has AWS-maintained read permissions for
        every type Config records (AWSConfigServiceRolePolicy), only Config can assume it, and nobody can
        edit it; it cannot read the KMS key, so Config delivers to the bucket as the service principal,
        which the audit bucket and storage key policies admit (Config Developer Guide, "Permissions for
        the KMS Key" and "Permissions for the Amazon S3 Bucket", service-linked role sections).

        The role exists once per account for every Region and appears when any tool first enables Config
        (CreateServiceLinkedRole then fails: "Service role name AWSServiceRoleForConfig has been taken in this
        account"): ``config_service_linked_role="existing"`` uses the one already there, which the composition
        root decides from the account (``resolve_config_service_role``).
        """
        a = self._args
        if a.config_service_linked_role == "existing":
            return config_service_linked_role_arn(a.partition, a.account_id)
        role = aws.iam.ServiceLinkedRole(
            f"{self._name}-config-service-role", aws_service_name=CONFIG_SERVICE,
            description=f"AWS Config recorder of the account, created by rustfs {a.stack}",
            tags=self._tags("config-service-role"),
            # Kept on destroy: IAM refuses to delete it while any recorder of the account, in any Region, still
            # uses it (DeleteServiceLinkedRole's deletion task fails), and other tools may rely on it by then.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True))
        return role.arn

    def _recorder(self) -> aws.cfg.Recorder:
        a, name = self._args, self._name
        child = pulumi.ResourceOptions(parent=self)
        recorder = aws.cfg.Recorder(
            f"{name}-recorder", name=f"{a.name}-recorder", role_arn=self._config_role_arn(),
            recording_group={"all_supported": True, "include_global_resource_types": a.record_global_types},
            opts=child)
        channel = aws.cfg.DeliveryChannel(
            f"{name}-delivery", name=f"{a.name}-delivery", s3_bucket_name=self.audit_bucket.bucket_name,
            s3_key_prefix=CONFIG_PREFIX, s3_kms_key_arn=a.storage_key_arn,
            snapshot_delivery_properties={"delivery_frequency": "TwentyFour_Hours"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[recorder, self.audit_bucket]))
        aws.cfg.RecorderStatus(
            f"{name}-recorder-status", name=recorder.name, is_enabled=True,
            opts=pulumi.ResourceOptions(parent=recorder, depends_on=[channel]))
        return recorder

    def _rules(self) -> list[aws.cfg.Rule]:
        """The account owner's rules: unscoped, they evaluate every resource of the account and Region."""
        a = self._args
        depends = [self.recorder] if self.recorder else []
        rules = []
        for rule, identifier in MANAGED_RULES.items():
            params = required_tags_parameters(a.required_tag_keys) if rule == "required-tags" else None
            rules.append(aws.cfg.Rule(
                f"{self._name}-{rule}", name=f"{a.name}-{rule}", source={"owner": "AWS",
                                                                         "source_identifier": identifier},
                input_parameters=json.dumps(params) if params else None,
                description=f"rustfs {a.stack}: run-time mirror of the policy pack ({rule})",
                tags=self._tags(rule), opts=pulumi.ResourceOptions(parent=self, depends_on=depends)))
        return rules

    def _tags(self, suffix: str) -> dict[str, str]:
        return resource_tags(self._args.tags, f"{self._args.name}-{suffix}", self._args.stack)
