"""CloudWatch Logs and alarms."""

from __future__ import annotations

from pulumi_policy import Severity

from ._kit import Res, aws, is_unknown, known_num, known_str, resource_policy

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _check_log_group_kms(res: Res, cfg: dict, report) -> None:
    key = res.get("kmsKeyId")
    if key is None or (known_str(key) == ""):
        report(f"Log group '{res.name}' has no kmsKeyId: it is encrypted only with the service-owned key.")
    elif not is_unknown(key) and not str(key).startswith("arn:"):
        report(f"Log group '{res.name}' kmsKeyId must be a KMS key ARN, got '{key}'.")


log_group_kms = resource_policy(
    "rustfs-cloudwatch-loggroup-require-kms",
    "CloudWatch log groups are encrypted with a customer-managed KMS key.",
    severity=Severity.HIGH, types=[LOG_GROUP], check=_check_log_group_kms,
    checks=["CKV_AWS_158"], topics=["encryption", "logging"],
    remediation="Pass kms_key_id=<customer-managed key ARN>; its key policy must allow "
    "logs.<region>.amazonaws.com.")



def _check_retention(res: Res, cfg: dict, report) -> None:
    days = res.get("retentionInDays")
    if days is None or days == 0:
        report(f"Log group '{res.name}' keeps logs forever (no retentionInDays): set a retention within "
               f"[{cfg['minRetentionDays']:g}, {cfg['maxRetentionDays']:g}] days.")
    elif known_num(days) is not None and not cfg["minRetentionDays"] <= days <= cfg["maxRetentionDays"]:
        report(f"Log group '{res.name}' retentionInDays={days:g} is outside "
               f"[{cfg['minRetentionDays']:g}, {cfg['maxRetentionDays']:g}].")


log_group_retention = resource_policy(
    "rustfs-cloudwatch-loggroup-require-retention",
    "CloudWatch log groups set a retention within the configured bounds (default 1-10 years).",
    severity=Severity.MEDIUM, types=[LOG_GROUP], check=_check_retention, checks=["CKV_AWS_66", "CKV_AWS_338"],
    topics=["logging", "cost"],
    config={"minRetentionDays": {"type": "number", "minimum": 1, "default": 365},
            "maxRetentionDays": {"type": "number", "minimum": 1, "default": 3653}})

ALARM = aws("cloudwatch", "MetricAlarm")


def check_alarm_actions(res: Res, cfg: dict, report) -> None:
    """Metric and composite alarms (observability.py): enabled actions, at least one on ALARM."""
    actions = res.get("alarmActions")
    if res.get("actionsEnabled") is False:
        report(f"Alarm '{res.name}' disables its actions.")
    elif actions is None or (isinstance(actions, list) and not actions):
        report(f"Alarm '{res.name}' notifies no one (no alarmActions).")


alarm_actions = resource_policy(
    "rustfs-cloudwatch-alarm-require-actions",
    "CloudWatch alarms have enabled actions (an SNS topic).",
    severity=Severity.LOW, types=[ALARM], check=check_alarm_actions, checks=["CloudWatch.15", "CloudWatch.17"],
    topics=["logging", "resilience"])

POLICIES = [log_group_kms, log_group_retention, alarm_actions]
