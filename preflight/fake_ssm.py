"""The fake AWS's Systems Manager patching and session resources, with the checks the real APIs make.

Maintenance windows (Systems Manager API Reference, CreateMaintenanceWindow, RegisterTargetWithMaintenanceWindow,
RegisterTaskWithMaintenanceWindow): names match ``^[a-zA-Z0-9_\\-.]{3,128}$`` and descriptions are 1-128
characters; Duration is 1-24 hours and Cutoff 0-23 hours, less than Duration; AllowUnassociatedTargets is
required; the Schedule is a cron expression of six fields or a rate expression (Systems Manager User Guide,
"Reference: Cron and rate expressions"); a target's ResourceType is INSTANCE or RESOURCE_GROUP; a task's MaxConcurrency
matches ``^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$`` and MaxErrors ``^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$``,
Priority is at least 0, TaskType one of RUN_COMMAND | AUTOMATION | STEP_FUNCTIONS | LAMBDA, CutoffBehavior
CONTINUE_TASK | CANCEL_TASK, a Run Command TimeoutSeconds 30-2,592,000.

Patch baselines (CreatePatchBaseline, PatchRule, PatchFilter; DescribePatchProperties for AMAZON_LINUX_2023):
at most 10 approval rules, each with ApproveAfterDays 0-360 (or ApproveUntilDate), a ComplianceLevel of
CRITICAL | HIGH | MEDIUM | LOW | INFORMATIONAL | UNSPECIFIED, and filters whose values the operating system
offers (AL2023: CLASSIFICATION Security | Bugfix | Enhancement | Recommended | Newpackage, SEVERITY Critical |
Important | Medium | Low | None). Only AMAZON_LINUX_2023 is modelled: a baseline for any other system fails
loudly. A patch group has one baseline per operating system (RegisterPatchBaselineForPatchGroup:
AlreadyExistsException).

Session documents (Systems Manager User Guide, "Session document schema"): schemaVersion 1.0, a sessionType the
service knows, idleSessionTimeout 1-60 and maxSessionDuration 1-1,440 minutes (strings), runAsEnabled needs
runAsDefaultUser. ``SSM-SessionManagerRunShell``, the account's preferences, is one per account and Region:
preflight/fake_account.py refuses a second stack's (DocumentAlreadyExists).
"""

from __future__ import annotations

import hashlib
import json
import re

from .fake_operations import AwsRejects
from .fake_zones import UnknownToFake

NAME = re.compile(r"^[a-zA-Z0-9_\-.]{3,128}$")
CRON = re.compile(r"^cron\(\S+( \S+){5}\)$")
RATE = re.compile(r"^rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\)$")
MAX_CONCURRENCY = re.compile(r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$")
MAX_ERRORS = re.compile(r"^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$")
TASK_TYPES = {"RUN_COMMAND", "AUTOMATION", "STEP_FUNCTIONS", "LAMBDA"}
CUTOFF_BEHAVIORS = {"CONTINUE_TASK", "CANCEL_TASK"}
TARGET_RESOURCE_TYPES = {"INSTANCE", "RESOURCE_GROUP"}
COMPLIANCE_LEVELS = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"}
PATCH_PROPERTIES = {"AMAZON_LINUX_2023": {
    "CLASSIFICATION": {"Security", "Bugfix", "Enhancement", "Recommended", "Newpackage"},
    "SEVERITY": {"Critical", "Important", "Medium", "Low", "None"},
}}
MAX_APPROVAL_RULES = 10
SESSION_TYPES = {"Standard_Stream", "InteractiveCommands", "NonInteractiveCommands", "Port"}


def _id(prefix: str, name: str) -> str:
    return f"{prefix}-{hashlib.sha256(f'{prefix}/{name}'.encode()).hexdigest()[:17]}"


def _uuid(name: str) -> str:
    h = hashlib.sha256(f"uuid/{name}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def _known_int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _name(kind: str, value) -> None:
    if isinstance(value, str) and not NAME.match(value):
        raise AwsRejects(f"ValidationException: {kind} name {value!r} must match {NAME.pattern}")


def _description(kind: str, value) -> None:
    if isinstance(value, str) and not 1 <= len(value) <= 128:
        raise AwsRejects(f"ValidationException: {kind} description is {len(value)} characters (1-128)")


def check_window(name: str, inputs: dict) -> None:
    _name("maintenance window", inputs.get("name"))
    _description("maintenance window", inputs.get("description"))
    duration, cutoff = _known_int(inputs.get("duration")), _known_int(inputs.get("cutoff"))
    if duration is not None and not 1 <= duration <= 24:
        raise AwsRejects(f"ValidationException: maintenance window {name}: Duration {duration} must be 1-24 hours")
    if cutoff is not None and not 0 <= cutoff <= 23:
        raise AwsRejects(f"ValidationException: maintenance window {name}: Cutoff {cutoff} must be 0-23 hours")
    if duration is not None and cutoff is not None and cutoff >= duration:
        raise AwsRejects(f"ValidationException: maintenance window {name}: Cutoff {cutoff} must be less than "
                         f"Duration {duration}")
    schedule = inputs.get("schedule")
    if isinstance(schedule, str) and not (CRON.match(schedule) or RATE.match(schedule)):
        raise AwsRejects(f"ValidationException: maintenance window {name}: Schedule {schedule!r} is neither a "
                         "six-field cron expression nor a rate expression")
    if inputs.get("allowUnassociatedTargets") is None:
        raise AwsRejects(f"ValidationException: maintenance window {name}: AllowUnassociatedTargets is required")


def check_window_target(name: str, inputs: dict) -> None:
    _name("window target", inputs.get("name"))
    _description("window target", inputs.get("description"))
    rtype = inputs.get("resourceType")
    if isinstance(rtype, str) and rtype not in TARGET_RESOURCE_TYPES:
        raise AwsRejects(f"ValidationException: window target {name}: ResourceType {rtype!r} is not one of "
                         f"{sorted(TARGET_RESOURCE_TYPES)}")
    targets = inputs.get("targets")
    if isinstance(targets, list) and not 1 <= len(targets) <= 5:
        raise AwsRejects(f"ValidationException: window target {name}: 1-5 Targets, got {len(targets)}")


def check_window_task(name: str, inputs: dict) -> None:
    _name("window task", inputs.get("name"))
    _description("window task", inputs.get("description"))
    for key, pattern in (("maxConcurrency", MAX_CONCURRENCY), ("maxErrors", MAX_ERRORS)):
        value = inputs.get(key)
        if isinstance(value, str) and not pattern.match(value):
            raise AwsRejects(f"ValidationException: window task {name}: {key[0].upper() + key[1:]} {value!r} must "
                             f"match {pattern.pattern}")
    for key, allowed in (("taskType", TASK_TYPES), ("cutoffBehavior", CUTOFF_BEHAVIORS)):
        value = inputs.get(key)
        if isinstance(value, str) and value not in allowed:
            raise AwsRejects(f"ValidationException: window task {name}: {key} {value!r} is not one of "
                             f"{sorted(allowed)}")
    priority = _known_int(inputs.get("priority"))
    if priority is not None and priority < 0:
        raise AwsRejects(f"ValidationException: window task {name}: Priority {priority} must be at least 0")
    run = ((inputs.get("taskInvocationParameters") or {}).get("runCommandParameters") or {})
    timeout = _known_int(run.get("timeoutSeconds"))
    if timeout is not None and not 30 <= timeout <= 2_592_000:
        raise AwsRejects(f"ValidationException: window task {name}: TimeoutSeconds {timeout} must be 30-2592000")


def check_patch_baseline(name: str, inputs: dict) -> None:
    _name("patch baseline", inputs.get("name"))
    system = inputs.get("operatingSystem", "WINDOWS")
    if isinstance(system, str) and system not in PATCH_PROPERTIES:
        raise UnknownToFake(f"the fake AWS knows the patch properties of {sorted(PATCH_PROPERTIES)}, not {system!r}; "
                            "add them to preflight/fake_ssm.py")
    properties = PATCH_PROPERTIES.get(system, {})
    rules = inputs.get("approvalRules") or []
    if len(rules) > MAX_APPROVAL_RULES:
        raise AwsRejects(f"ValidationException: patch baseline {name}: {len(rules)} approval rules (at most "
                         f"{MAX_APPROVAL_RULES})")
    for i, rule in enumerate(rules):
        days = _known_int(rule.get("approveAfterDays"))
        if days is None and rule.get("approveUntilDate") is None and "approveAfterDays" not in rule:
            raise AwsRejects(f"ValidationException: patch baseline {name}: approval rule {i} needs ApproveAfterDays "
                             "or ApproveUntilDate")
        if days is not None and not 0 <= days <= 360:
            raise AwsRejects(f"ValidationException: patch baseline {name}: approval rule {i}: ApproveAfterDays {days} "
                             "must be 0-360")
        level = rule.get("complianceLevel")
        if isinstance(level, str) and level not in COMPLIANCE_LEVELS:
            raise AwsRejects(f"ValidationException: patch baseline {name}: ComplianceLevel {level!r}")
        for f in rule.get("patchFilters") or []:
            offered = properties.get(f.get("key"))
            if offered is None:
                raise AwsRejects(f"ValidationException: patch baseline {name}: filter key {f.get('key')!r} is not one "
                                 f"{system} offers ({sorted(properties)})")
            unknown = {v for v in f.get("values") or [] if isinstance(v, str)} - offered
            if unknown:
                raise AwsRejects(f"ValidationException: patch baseline {name}: {f.get('key')} values {sorted(unknown)} "
                                 f"are not among {system}'s {sorted(offered)}")


def check_session_content(name: str, content: str) -> None:
    body = json.loads(content)
    if body.get("schemaVersion") != "1.0":
        raise AwsRejects(f"InvalidDocumentSchemaVersion: Session document {name} needs schemaVersion 1.0")
    if body.get("sessionType") not in SESSION_TYPES:
        raise AwsRejects(f"InvalidDocumentContent: Session document {name}: sessionType {body.get('sessionType')!r} "
                         f"is not one of {sorted(SESSION_TYPES)}")
    inputs = body.get("inputs") or {}
    for key, hi in (("idleSessionTimeout", 60), ("maxSessionDuration", 1440)):
        value = inputs.get(key)
        if value in (None, ""):
            continue
        if not (isinstance(value, str) and value.isdigit() and 1 <= int(value) <= hi):
            raise AwsRejects(f"InvalidDocumentContent: Session document {name}: {key} {value!r} must be a string "
                             f"of 1-{hi} minutes")
    if inputs.get("runAsEnabled") is True and not inputs.get("runAsDefaultUser"):
        raise AwsRejects(f"InvalidDocumentContent: Session document {name}: runAsEnabled needs runAsDefaultUser")
    for key in ("s3EncryptionEnabled", "cloudWatchEncryptionEnabled", "cloudWatchStreamingEnabled", "runAsEnabled"):
        if key in inputs and not isinstance(inputs[key], bool):
            raise AwsRejects(f"InvalidDocumentContent: Session document {name}: {key} must be a boolean")


def checked_session_document(handler):
    """Wraps the fake's document handler with the Session schema's checks."""
    def handle(fake, name: str, inputs: dict):
        if inputs.get("documentType") == "Session" and isinstance(inputs.get("content"), str):
            check_session_content(inputs.get("name") or name, inputs["content"])
        return handler(fake, name, inputs)
    return handle


def maintenance_window(fake, name: str, inputs: dict):
    check_window(name, inputs)
    window_id = _id("mw", name)
    return window_id, {"arn": fake.arn("ssm", f"maintenancewindow/{window_id}"), "enabled": inputs.get("enabled", True),
                       "tagsAll": inputs.get("tags", {})}


def window_target(fake, name: str, inputs: dict):
    check_window_target(name, inputs)
    return _uuid(f"target/{name}"), {}


def window_task(fake, name: str, inputs: dict):
    check_window_task(name, inputs)
    task_id = _uuid(f"task/{name}")
    window = inputs.get("windowId")
    return task_id, {"windowTaskId": task_id, "arn": fake.arn("ssm", f"windowtask/{window}/{task_id}")}


def patch_baseline(fake, name: str, inputs: dict):
    check_patch_baseline(name, inputs)
    baseline_id = _id("pb", name)
    return baseline_id, {"arn": fake.arn("ssm", f"patchbaseline/{baseline_id}"), "tagsAll": inputs.get("tags", {})}


def patch_group(fake, name: str, inputs: dict):
    group, baseline = inputs.get("patchGroup"), inputs.get("baselineId")
    registered = fake.__dict__.setdefault("_patch_groups", {})
    if isinstance(group, str):
        if group in registered and registered[group] != name:
            raise AwsRejects(f"AlreadyExistsException: patch group {group!r} already has a patch baseline for "
                             "AMAZON_LINUX_2023")
        registered[group] = name
    return f"{group},{baseline}", {}


RESOURCES = {
    "aws:ssm/maintenanceWindow:MaintenanceWindow": maintenance_window,
    "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget": window_target,
    "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask": window_task,
    "aws:ssm/patchBaseline:PatchBaseline": patch_baseline,
    "aws:ssm/patchGroup:PatchGroup": patch_group,
}
