"""Outside production a stack destroys and re-creates cleanly: nothing AWS keeps or refuses to delete.

* A secret deleted with a recovery window keeps its name reserved for the window, so re-creating a secret of
  that fixed name fails ("a secret with this name is already scheduled for deletion", Secrets Manager API
  reference, DeleteSecret); AWS's default window is 30 days.
* S3 refuses to delete a bucket that still holds objects, versions or delete markers (DeleteBucket:
  BucketNotEmpty); only ``forceDestroy`` lets ``pulumi destroy`` empty it first.

In production both are wanted: the window undoes a mistaken delete, and a bucket that refuses deletion keeps
its data (rustfs-secretsmanager-secret-require-recovery-window covers the window there).
"""

from __future__ import annotations

from pulumi_policy import Severity

from ._env import ENVIRONMENT_CONFIG, environment, is_prod
from ._kit import Res, aws, is_true, is_unknown, known_num, resource_policy

SECRET = aws("secretsmanager", "Secret")
BUCKETS = [aws("s3", "Bucket"), aws("s3", "BucketV2")]
AWS_DEFAULT_RECOVERY_DAYS = 30


def _check_secret(res: Res, cfg: dict, report) -> None:
    if is_prod(environment(res, cfg), cfg) or res.get("name") is None:
        return  # prod keeps its window; without a fixed name Pulumi picks a new one for the re-create
    window = res.get("recoveryWindowInDays")
    days = AWS_DEFAULT_RECOVERY_DAYS if window is None else known_num(window)
    if days:
        report(f"Secret '{res.name}' has a fixed name and recoveryWindowInDays={days:g}"
               f"{' (the AWS default)' if window is None else ''}: after a destroy its name stays reserved for "
               f"{days:g} days and re-creating the stack fails. Outside prod use 0 (force delete) or namePrefix.")


secret_reusable_name = resource_policy(
    "rustfs-secretsmanager-secret-require-force-delete-outside-prod",
    "Outside production, a secret with a fixed name is force-deleted (recoveryWindowInDays 0) so that the "
    "stack can be destroyed and created again.",
    severity=Severity.MEDIUM, types=[SECRET], check=_check_secret, topics=["operations"],
    config=ENVIRONMENT_CONFIG)


def _check_bucket(res: Res, cfg: dict, report) -> None:
    value = res.get("forceDestroy")
    if is_prod(environment(res, cfg), cfg) or is_true(value) or is_unknown(value):
        return
    report(f"Bucket '{res.name}' outside prod has no forceDestroy: once it holds objects (or, versioned, any "
           "version), S3 refuses to delete it (BucketNotEmpty) and `pulumi destroy` fails.")


bucket_force_destroy = resource_policy(
    "rustfs-s3-bucket-require-force-destroy-outside-prod",
    "Outside production, buckets set forceDestroy so that destroy can delete them with their objects and "
    "versions.",
    severity=Severity.MEDIUM, types=BUCKETS, check=_check_bucket, topics=["operations"],
    config=ENVIRONMENT_CONFIG)

POLICIES = [secret_reusable_name, bucket_force_destroy]
