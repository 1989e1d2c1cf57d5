"""CloudTrail, AWS Config, SNS, Secrets Manager and backup vaults."""

from __future__ import annotations

from pulumi_policy import Severity

from ._kit import Res, aws, get, is_false, is_true, is_unknown, items, known_num, resource_policy, stack_policy

TRAIL = aws("cloudtrail", "Trail")
RECORDER = aws("cfg", "Recorder")
RECORDER_STATUS = aws("cfg", "RecorderStatus")
DELIVERY_CHANNEL = aws("cfg", "DeliveryChannel")
TOPIC = aws("sns", "Topic")
SECRET = aws("secretsmanager", "Secret")
SECRET_ROTATION = aws("secretsmanager", "SecretRotation")
VAULT = aws("backup", "Vault")


def _not_true(value: object) -> bool:
    return not is_true(value) and not is_unknown(value)


def _check_trail(res: Res, cfg: dict, report) -> None:
    if _not_true(res.get("isMultiRegionTrail")):
        report(f"Trail '{res.name}' is not multi-region.")
    if _not_true(res.get("enableLogFileValidation")):
        report(f"Trail '{res.name}' does not enable log file validation.")
    if res.get("kmsKeyId") is None:
        report(f"Trail '{res.name}' is not encrypted with a KMS key (kmsKeyId).")
    if res.get("cloudWatchLogsGroupArn") is None:
        report(f"Trail '{res.name}' does not deliver to CloudWatch Logs (cloudWatchLogsGroupArn).")
    if is_false(res.get("enableLogging")):
        report(f"Trail '{res.name}' has logging turned off.")
    if is_false(res.get("includeGlobalServiceEvents")):
        report(f"Trail '{res.name}' excludes global service events (IAM, STS).")


trail = resource_policy(
    "rustfs-cloudtrail-trail-require-secure-configuration",
    "CloudTrail trails are multi-region, validated, KMS-encrypted, logging, and delivered to CloudWatch Logs.",
    severity=Severity.HIGH, types=[TRAIL], check=_check_trail,
    checks=["CKV_AWS_67", "CKV_AWS_36", "CKV_AWS_35", "CKV2_AWS_10", "CloudTrail.1", "CloudTrail.2",
            "CloudTrail.4", "CloudTrail.5"], topics=["logging", "encryption"])


def _s3_data_events(res: Res) -> bool | None:
    if is_unknown(res.get("eventSelectors")) or is_unknown(res.get("advancedEventSelectors")):
        return None
    for selector in res.items("eventSelectors"):
        for data in items(selector, "dataResources"):
            if isinstance(data, dict) and data.get("type") == "AWS::S3::Object":
                return True
    for selector in res.items("advancedEventSelectors"):
        for field in items(selector, "fieldSelectors"):
            if isinstance(field, dict) and field.get("field") == "resources.type" and \
                    isinstance(field.get("equals"), list) and "AWS::S3::Object" in field["equals"]:
                return True
    return False


def _check_trail_extras(res: Res, cfg: dict, report) -> None:
    if _s3_data_events(res) is False:
        report(f"Trail '{res.name}' records no S3 object-level (data) events for our buckets.")
    if res.get("snsTopicName") is None:
        report(f"Trail '{res.name}' has no SNS topic for log delivery notifications.")


trail_extras = resource_policy(
    "rustfs-cloudtrail-trail-require-s3-data-events",
    "CloudTrail trails record S3 data events and notify an SNS topic on delivery.",
    severity=Severity.LOW, types=[TRAIL], check=_check_trail_extras,
    checks=["trivy:AWS-0171", "trivy:AWS-0172", "CKV_AWS_252", "S3.22", "S3.23"], topics=["logging"])


def _check_recorder(res: Res, cfg: dict, report) -> None:
    group = res.get("recordingGroup")
    if is_unknown(group):
        return
    group = group if isinstance(group, dict) else {}
    if not is_true(group.get("allSupported", True)) and not is_unknown(group.get("allSupported")):
        report(f"Config recorder '{res.name}' does not record all supported resource types.")


config_recorder = resource_policy(
    "rustfs-config-recorder-require-all-resources",
    "AWS Config recorders record all supported resource types.",
    severity=Severity.MEDIUM, types=[RECORDER], check=_check_recorder, checks=["CKV2_AWS_48", "Config.1"],
    topics=["logging"])


def _check_recording(resources: list[Res], cfg: dict, report) -> None:
    recorders = [r for r in resources if r.type == RECORDER]
    statuses = [r for r in resources if r.type == RECORDER_STATUS]
    for recorder in recorders:
        mine = [s for s in statuses if s.refers_to("name", recorder) or s.get("name") == recorder.get("name")]
        if not mine:
            report(f"Config recorder '{recorder.name}' has no aws.cfg.RecorderStatus, so it never starts.",
                   recorder.urn)
        elif all(is_false(s.get("isEnabled")) for s in mine):
            report(f"Config recorder '{recorder.name}' is stopped (isEnabled=false).", recorder.urn)
    if recorders and not any(r.type == DELIVERY_CHANNEL for r in resources):
        report("AWS Config has a recorder but no delivery channel.", recorders[0].urn)


config_recording = stack_policy(
    "rustfs-config-recorder-require-enabled",
    "Every AWS Config recorder is started (RecorderStatus isEnabled) and has a delivery channel.",
    severity=Severity.MEDIUM, types=[RECORDER, RECORDER_STATUS, DELIVERY_CHANNEL], check=_check_recording,
    checks=["CKV2_AWS_45", "Config.1"], topics=["logging"])


def _check_kms_field(field: str, what: str):
    def check(res: Res, cfg: dict, report) -> None:
        key = res.get(field)
        if key is None:
            report(f"{what} '{res.name}' is not encrypted with a customer-managed KMS key ({field}).")
        elif isinstance(key, str) and key.startswith("alias/aws/"):
            report(f"{what} '{res.name}' uses the AWS-managed key {key}; use a customer-managed key.")
    return check


topic_kms = resource_policy(
    "rustfs-sns-topic-require-kms",
    "SNS topics are encrypted with a customer-managed KMS key.",
    severity=Severity.HIGH, types=[TOPIC], check=_check_kms_field("kmsMasterKeyId", "SNS topic"),
    checks=["CKV_AWS_26", "SNS.1"], topics=["encryption"])

secret_kms = resource_policy(
    "rustfs-secretsmanager-secret-require-kms",
    "Secrets Manager secrets are encrypted with a customer-managed KMS key.",
    severity=Severity.HIGH, types=[SECRET], check=_check_kms_field("kmsKeyId", "Secret"),
    checks=["CKV_AWS_149"], topics=["encryption", "credentials"])

vault_kms = resource_policy(
    "rustfs-backup-vault-require-kms",
    "AWS Backup vaults are encrypted with a customer-managed KMS key.",
    severity=Severity.HIGH, types=[VAULT], check=_check_kms_field("kmsKeyArn", "Backup vault"),
    checks=["CKV_AWS_166"], topics=["encryption", "backup"])


def _check_recovery_window(res: Res, cfg: dict, report) -> None:
    days = known_num(res.get("recoveryWindowInDays"))
    if days is not None and days < cfg["minRecoveryWindowDays"]:
        report(f"Secret '{res.name}' recoveryWindowInDays={days:g}: a deleted secret is gone "
               f"{'at once' if days == 0 else 'quickly'}; keep ≥ {cfg['minRecoveryWindowDays']:g}.")


secret_recovery = resource_policy(
    "rustfs-secretsmanager-secret-require-recovery-window",
    "Secrets keep a recovery window after deletion.",
    severity=Severity.LOW, types=[SECRET], check=_check_recovery_window, topics=["resilience", "credentials"],
    config={"minRecoveryWindowDays": {"type": "number", "minimum": 0, "maximum": 30, "default": 7}})


def _check_rotation(resources: list[Res], cfg: dict, report) -> None:
    rotations = [r for r in resources if r.type == SECRET_ROTATION]
    for secret in (r for r in resources if r.type == SECRET):
        if not any(r.refers_to("secretId", secret) for r in rotations):
            report(f"Secret '{secret.name}' has no rotation (aws.secretsmanager.SecretRotation).", secret.urn)
    for rotation in rotations:
        days = known_num(get(rotation.props, "rotationRules", "automaticallyAfterDays"))
        if days is not None and days > cfg["maxRotationDays"]:
            report(f"Secret rotation '{rotation.name}' runs every {days:g} days (> {cfg['maxRotationDays']:g}).",
                   rotation.urn)


secret_rotation = stack_policy(
    "rustfs-secretsmanager-secret-require-rotation",
    "Secrets rotate automatically, at least every maxRotationDays.",
    severity=Severity.MEDIUM, types=[SECRET, SECRET_ROTATION], check=_check_rotation,
    checks=["CKV2_AWS_57", "SecretsManager.1", "SecretsManager.4"], topics=["credentials"],
    config={"maxRotationDays": {"type": "number", "minimum": 1, "default": 90}})

# Resources of which an account (or an account and Region) has exactly one, whoever declares them: a second
# stack declaring one fails (AWS Config: MaxNumberOfConfigurationRecordersExceededException; IAM: "Service role
# name ... has been taken in this account") or silently takes over, and resets on destroy, what another stack
# or the organization manages (EBS encryption by default, public-access blocks, account settings).
ACCOUNT_SINGLETONS = {
    RECORDER: "the AWS Config configuration recorder (one per account and Region)",
    RECORDER_STATUS: "the start/stop switch of the account's AWS Config recorder",
    DELIVERY_CHANNEL: "the AWS Config delivery channel (one per account and Region)",
    aws("cfg", "RetentionConfiguration"): "the AWS Config retention period of the account and Region",
    aws("iam", "ServiceLinkedRole"): "a service-linked role (one per service and account, for every Region)",
    aws("ebs", "EncryptionByDefault"): "EBS encryption by default of the account and Region",
    aws("ebs", "DefaultKmsKey"): "the EBS default KMS key of the account and Region",
    aws("ebs", "SnapshotBlockPublicAccess"): "the EBS snapshot public-access block of the account and Region",
    aws("ec2", "ImageBlockPublicAccess"): "the AMI public-access block of the account and Region",
    aws("ec2", "SerialConsoleAccess"): "EC2 serial console access of the account and Region",
    aws("ec2", "InstanceMetadataDefaults"): "the instance metadata defaults of the account and Region",
    aws("ec2", "DefaultVpc"): "the default VPC of the account and Region",
    aws("s3", "AccountPublicAccessBlock"): "the S3 public-access block of the account",
    aws("iam", "AccountPasswordPolicy"): "the IAM password policy of the account",
    aws("iam", "AccountAlias"): "the alias of the account",
    aws("iam", "SecurityTokenServicePreferences"): "the STS token version of the account",
    aws("guardduty", "Detector"): "the GuardDuty detector (one per account and Region)",
    aws("securityhub", "Account"): "Security Hub enablement of the account and Region",
    aws("macie2", "Account"): "Macie enablement of the account and Region",
    aws("inspector2", "Enabler"): "Inspector enablement of the account",
    aws("detective", "Graph"): "the Detective behavior graph of the account and Region",
}


def stack_of(urn: str) -> tuple[str, str]:
    """(project, stack) of a resource URN: urn:pulumi:<stack>::<project>::<type>::<name>."""
    head, _, rest = urn.partition("::")
    return rest.partition("::")[0], head.rsplit(":", 1)[-1]


# ... and resources that are singletons by their name: SSM-SessionManagerRunShell holds the account's Session Manager
# preferences (one per account and Region; CreateDocument of it again fails with DocumentAlreadyExists).
NAMED_ACCOUNT_SINGLETONS = {
    (aws("ssm", "Document"), "SSM-SessionManagerRunShell"):
        "the Session Manager preferences of the account and Region (SSM-SessionManagerRunShell)",
}


def _check_account_owner(res: Res, cfg: dict, report) -> None:
    what = ACCOUNT_SINGLETONS.get(res.type) or NAMED_ACCOUNT_SINGLETONS.get((res.type, res.get("name")))
    if what is None:
        return  # a document of another name
    project, stack = stack_of(res.urn)
    owners = cfg["accountOwners"]
    if f"{project}/{stack}" in owners or stack in owners:
        return
    report(f"'{res.name}' is {what}, and stack '{project}/{stack}' does not own the "
           f"account's resources (policy config accountOwners: {owners or 'none'}). Only the owning stack of an "
           "account and Region declares these; the others use `existing` (rustfs-aws:audit.config) or leave "
           "them off. A second declaration fails (MaxNumberOf...Exceeded, 'has been taken in this account') or "
           "takes over, and its destroy resets, what the owner or the organization manages.")


account_owner = resource_policy(
    "rustfs-account-singleton-require-owner-stack",
    "Account- and Region-level singletons (AWS Config recorder, delivery channel, service-linked roles, EBS "
    "encryption by default and its key, Session Manager preferences, account settings) are declared only by the "
    "stack that owns the account.",
    severity=Severity.HIGH, types=[*ACCOUNT_SINGLETONS, *{t for t, _ in NAMED_ACCOUNT_SINGLETONS}],
    check=_check_account_owner,
    topics=["governance", "resilience"],
    config={"accountOwners": {
        "type": "array", "items": {"type": "string"}, "default": [],
        "description": "stacks ('project/stack' or 'stack') that own their account and Region's singletons; "
                       "the org sets it, in the policy group's config (one list for every stack), not the "
                       "stack in its own config"}},
    remediation="Set rustfs-aws:account.ownsAccountResources: true in the one stack that owns the account and "
                "Region and list that stack in accountOwners; in every other stack leave it false (the default), "
                "so audit.config is existing and security.ebsEncryptionByDefault is false.")

POLICIES = [trail, trail_extras, config_recorder, config_recording, topic_kms, secret_kms, vault_kms,
            secret_recovery, secret_rotation, account_owner]
