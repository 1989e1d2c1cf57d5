"""CloudWatch Logs and alarms."""

from __future__ import annotations

from pulumi_policy import Severity

from ._kit import Res, is_unknown, known_str, resource_policy

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

POLICIES = [log_group_kms]
