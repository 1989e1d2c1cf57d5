"""KMS keys, key policies and aliases."""

from __future__ import annotations

from pulumi_policy import Severity

from ._kit import Res, aws, is_false, is_true, is_unknown, known_num, resource_policy, stack_policy

KEY = aws("kms", "Key")
KEY_POLICY = aws("kms", "KeyPolicy")
REPLICA_KEY = aws("kms", "ReplicaKey")


def _symmetric(res: Res) -> bool:
    spec, usage = res.get("customerMasterKeySpec"), res.get("keyUsage")
    return spec in (None, "SYMMETRIC_DEFAULT") and usage in (None, "ENCRYPT_DECRYPT")


def _check_rotation(res: Res, cfg: dict, report) -> None:
    rotation = res.get("enableKeyRotation")
    if _symmetric(res) and not is_unknown(rotation) and not is_true(rotation):
        report(f"KMS key '{res.name}' does not enable automatic key rotation.")
    period = known_num(res.get("rotationPeriodInDays"))
    if period is not None and period > cfg["maxRotationPeriodDays"]:
        report(f"KMS key '{res.name}' rotates every {period:g} days; at most {cfg['maxRotationPeriodDays']:g}.")


key_rotation = resource_policy(
    "rustfs-kms-key-require-rotation",
    "Symmetric customer-managed KMS keys rotate automatically.",
    severity=Severity.HIGH, types=[KEY], check=_check_rotation,
    checks=["CKV_AWS_7", "KMS.4", "awsguard:cmk-backing-key-rotation-enabled"], topics=["encryption"],
    config={"maxRotationPeriodDays": {"type": "number", "minimum": 90, "maximum": 2560, "default": 365}})


def _check_lockout(res: Res, cfg: dict, report) -> None:
    if is_true(res.get("bypassPolicyLockoutSafetyCheck")):
        report(f"'{res.name}' bypasses the KMS policy lockout safety check: a wrong policy makes the key "
               "unmanageable for good.")


key_lockout = resource_policy(
    "rustfs-kms-key-disallow-lockout-bypass",
    "KMS keys and key policies never bypass the policy lockout safety check.",
    severity=Severity.HIGH, types=[KEY, KEY_POLICY, REPLICA_KEY], check=_check_lockout, topics=["encryption"])


def _check_enabled(res: Res, cfg: dict, report) -> None:
    if is_false(res.get("isEnabled")):
        report(f"KMS key '{res.name}' is disabled: everything it encrypts becomes unreadable.")


key_enabled = resource_policy(
    "rustfs-kms-key-require-enabled",
    "KMS keys are enabled.",
    severity=Severity.LOW, types=[KEY], check=_check_enabled, checks=["CKV_AWS_227", "KMS.3"],
    topics=["encryption", "resilience"])


def _check_deletion_window(res: Res, cfg: dict, report) -> None:
    days = known_num(res.get("deletionWindowInDays"))
    if res.get("deletionWindowInDays") is None:
        days = 30  # AWS default
    if days is not None and days < cfg["minDeletionWindowDays"]:
        report(f"KMS key '{res.name}' deletionWindowInDays={days:g}; keep ≥ {cfg['minDeletionWindowDays']:g} "
               "days to undo an accidental deletion.")


key_deletion_window = resource_policy(
    "rustfs-kms-key-require-deletion-window",
    "KMS keys keep a deletion waiting period long enough to notice and cancel a mistake.",
    severity=Severity.LOW, types=[KEY, REPLICA_KEY], check=_check_deletion_window, topics=["resilience"],
    config={"minDeletionWindowDays": {"type": "number", "minimum": 7, "maximum": 30, "default": 30}})


def _check_explicit_policy(resources: list[Res], cfg: dict, report) -> None:
    key_policies = [r for r in resources if r.type == KEY_POLICY]
    for key in (r for r in resources if r.type == KEY):
        if key.get("policy") is not None:
            continue
        if not any(p.refers_to("keyId", key) for p in key_policies):
            report(f"KMS key '{key.name}' relies on the default key policy (whole account via IAM); "
                   "give it an explicit, scoped key policy.", key.urn)


key_explicit_policy = stack_policy(
    "rustfs-kms-key-require-explicit-policy",
    "Every KMS key has an explicit key policy (inline or aws.kms.KeyPolicy).",
    severity=Severity.MEDIUM, types=[KEY, KEY_POLICY], check=_check_explicit_policy, checks=["CKV2_AWS_64"],
    topics=["encryption", "iam"])

POLICIES = [key_rotation, key_lockout, key_enabled, key_deletion_window, key_explicit_policy]
