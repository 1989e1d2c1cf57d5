"""DynamoDB tables (the state reconciler's lease and ledger, components/state/state.py): a customer-managed key and
point-in-time recovery, and in prod deletion protection."""

from __future__ import annotations

from pulumi_policy import Severity

from ._env import ENVIRONMENT_CONFIG, environment, is_prod
from ._kit import Res, aws, is_true, is_unknown, known_str, resource_policy

TABLE = aws("dynamodb", "Table")


def _check_table(res: Res, cfg: dict, report) -> None:
    sse = res.get("serverSideEncryption")
    if not is_unknown(sse):
        enabled = isinstance(sse, dict) and is_true(sse.get("enabled"))
        key = known_str(sse.get("kmsKeyArn")) if isinstance(sse, dict) else None
        if not enabled:
            report(f"DynamoDB table '{res.name}' is encrypted with an AWS owned key (serverSideEncryption.enabled is "
                   "not true): set a customer-managed key, whose use CloudTrail logs and the key policy limits.")
        elif isinstance(sse.get("kmsKeyArn"), str) and (key is None or key.endswith(":alias/aws/dynamodb")
                                                       or key == "alias/aws/dynamodb"):
            report(f"DynamoDB table '{res.name}' uses the AWS managed key aws/dynamodb; name a customer-managed key "
                   "(serverSideEncryption.kmsKeyArn).")
        elif enabled and sse.get("kmsKeyArn") is None:
            report(f"DynamoDB table '{res.name}' enables SSE without a key: DynamoDB then uses the AWS managed key "
                   "aws/dynamodb; name a customer-managed key (serverSideEncryption.kmsKeyArn).")
    pitr = res.get("pointInTimeRecovery")
    if not is_unknown(pitr) and not (isinstance(pitr, dict) and is_true(pitr.get("enabled"))):
        report(f"DynamoDB table '{res.name}' has no point-in-time recovery (pointInTimeRecovery.enabled): an "
               "overwritten or deleted item cannot be restored.")
    if is_prod(environment(res, cfg), cfg):
        protect = res.get("deletionProtectionEnabled")
        if not is_unknown(protect) and not is_true(protect):
            report(f"DynamoDB table '{res.name}' in prod has no deletion protection (deletionProtectionEnabled).")


table = resource_policy(
    "rustfs-dynamodb-table-require-cmk-and-pitr",
    "DynamoDB tables are encrypted with a customer-managed KMS key, keep point-in-time recovery and, in prod, have "
    "deletion protection.",
    severity=Severity.HIGH, types=[TABLE], check=_check_table, checks=["CKV_AWS_119", "CKV_AWS_28", "DynamoDB.2"],
    topics=["encryption", "backup"], config=ENVIRONMENT_CONFIG)

POLICIES = [table]
