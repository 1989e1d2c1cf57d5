"""AWS DataSync: the migration's tasks and locations (components/migration/datasync.py).

A task copies data someone will rely on once the source is switched off: it verifies what it wrote, and it logs to
CloudWatch, so a failed or partial run is visible (DataSync publishes nothing without a log group and a log level
other than OFF, Options.LogLevel: "Default: OFF"; AWS Security Hub control DataSync.1, "DataSync tasks should have
logging enabled"). A self-managed object-storage location speaks HTTPS: over HTTP the access key's signatures, the
objects and their metadata cross the network in the clear. And a location's credential - an object store's secret
key, an SMB password - reaches it from a Secrets Manager secret of the stack (the location's input computed from a
secret version's value), not from a literal in the program: the secret is then rotated and audited in one place,
and the value DataSync holds is the one Secrets Manager holds. The pack cannot see whether an input is marked secret
(the Analyze request carries values, not secret markers), so it checks where the value came from; the program also
marks these inputs secret (tests/test_migration.py checks the state shows ``[secret]``).
"""

from __future__ import annotations

from pulumi_policy import Severity

from ._kit import Res, is_unknown, known_str, resource_policy, stack_policy
from ._kit import aws as aws_type

TASK = aws_type("datasync", "Task")
OBJECT_STORAGE = aws_type("datasync", "LocationObjectStorage")
SMB = aws_type("datasync", "LocationSmb")
SECRET_VERSION = aws_type("secretsmanager", "SecretVersion")
_LOGGING_LEVELS = ("BASIC", "TRANSFER")
_CREDENTIALS = {OBJECT_STORAGE: "secretKey", SMB: "password"}


def _check_logging(res: Res, cfg: dict, report) -> None:
    group, level = res.get("cloudwatchLogGroupArn"), res.get("options", "logLevel")
    if is_unknown(group) or is_unknown(level):
        return
    if group is None:
        report(f"DataSync task '{res.name}' has no CloudWatch log group (cloudwatchLogGroupArn): its transfers and "
               "their errors are logged nowhere.")
    if level not in _LOGGING_LEVELS:
        report(f"DataSync task '{res.name}' logs at level {level or 'OFF (the default)'}: set options.logLevel to "
               "BASIC or TRANSFER.")


task_logging = resource_policy(
    "rustfs-datasync-task-require-logging",
    "DataSync tasks log to a CloudWatch log group at level BASIC or TRANSFER.",
    severity=Severity.MEDIUM, types=[TASK], check=_check_logging, checks=["DataSync.1"],
    topics=["logging", "migration"],
    remediation="Set cloudwatch_log_group_arn (a log group a CloudWatch Logs resource policy lets "
                "datasync.amazonaws.com write) and options.log_level BASIC or TRANSFER.")


def _check_verification(res: Res, cfg: dict, report) -> None:
    mode = res.get("options", "verifyMode")
    if mode == "NONE":
        report(f"DataSync task '{res.name}' does not verify what it copied (options.verifyMode NONE): a corrupted or "
               "missing object would go unnoticed until the source is gone.")


task_verification = resource_policy(
    "rustfs-datasync-task-require-verification",
    "DataSync tasks verify the data they copied (verifyMode not NONE).",
    severity=Severity.HIGH, types=[TASK], check=_check_verification, topics=["integrity", "migration"],
    remediation="Set options.verify_mode to POINT_IN_TIME_CONSISTENT (the whole destination) or "
                "ONLY_FILES_TRANSFERRED.")


def _check_https(res: Res, cfg: dict, report) -> None:
    protocol = res.get("serverProtocol")
    if known_str(protocol) == "HTTP":  # absent: the provider's default, HTTPS
        port = res.get("serverPort")
        report(f"DataSync object-storage location '{res.name}' talks to {known_str(res.get('serverHostname')) or '?'}"
               f"{'' if port is None or is_unknown(port) else f':{port:g}'} over HTTP: keys' signatures and data in "
               "the clear.")


location_https = resource_policy(
    "rustfs-datasync-locationobjectstorage-require-https",
    "DataSync object-storage locations use HTTPS (serverProtocol HTTPS).",
    severity=Severity.HIGH, types=[OBJECT_STORAGE], check=_check_https, topics=["encryption", "migration"],
    remediation="Set server_protocol HTTPS; for a private CA give its PEM chain as server_certificate.")


def _check_credentials(resources: list[Res], cfg: dict, report) -> None:
    versions = [r for r in resources if r.type == SECRET_VERSION]
    for res in resources:
        field = _CREDENTIALS.get(res.type)
        if field is None or res.get(field) is None:
            continue
        if not any(res.refers_to(field, v) for v in versions):
            report(f"DataSync location '{res.name}' takes its {field} from the program, not from a Secrets Manager "
                   "secret of the stack: a literal credential in code and state, rotated nowhere.", res.urn)


location_credentials = stack_policy(
    "rustfs-datasync-location-require-secrets-manager-credentials",
    "A DataSync location's secret key or password comes from a Secrets Manager secret version of the stack.",
    severity=Severity.HIGH, types=[OBJECT_STORAGE, SMB, SECRET_VERSION], check=_check_credentials,
    topics=["credentials", "migration"],
    remediation="Keep the credential in an aws.secretsmanager.SecretVersion and pass the location the value read from "
                "its secret_string output (pulumi.Output.secret(...)).")

POLICIES = [task_logging, task_verification, location_https, location_credentials]
