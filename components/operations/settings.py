"""The ``operations`` section of the stack configuration: OS patching and Session Manager.

Parsed by ``components/config.py`` (``parse`` calls ``parse_operations``) like every other section, with the
same ``Problems`` collector, so a wrong value names its full key and what is allowed. Kept in its own module so
the limits it checks sit next to the AWS documents they come from; it imports only validation.py (config.py
imports it).

Limits (AWS Systems Manager API Reference):
- CreateMaintenanceWindow: Duration 1-24 hours; Cutoff 0-23 hours and less than Duration ("the number of hours
  before the end of the maintenance window that Systems Manager stops scheduling new tasks"); Schedule a cron or
  rate expression (Systems Manager User Guide, "Reference: Cron and rate expressions for Systems Manager":
  maintenance window cron expressions have six fields, ``cron(0 4 ? * SUN *)``); ScheduleTimezone an IANA name.
- PatchRule ApproveAfterDays: 0-360 ("the number of days after the release date of each patch matched by the
  rule that the patch is marked as approved").
- Session document inputs (Systems Manager User Guide, "Session document schema"): idleSessionTimeout 1-60
  minutes, maxSessionDuration 1-1,440 minutes; runAsDefaultUser a Linux user name that must exist on the nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rustfs_aws.validation import full_key

MAX_WINDOW_HOURS = 24
MAX_APPROVE_AFTER_DAYS = 360
MAX_IDLE_MINUTES = 60
MAX_SESSION_MINUTES = 1_440
_CRON = re.compile(r"^cron\(\S+( \S+){5}\)$")
_RATE = re.compile(r"^rate\([1-9][0-9]* (day|days|hour|hours)\)$")
_TIMEZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$")
_LINUX_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class PatchingConfig:
    enabled: bool = True  # the maintenance window's `enabled`: false keeps it, unscheduled
    approve_after_days: int = 7  # patches become approved this many days after their release
    schedule: str = "cron(0 4 ? * SUN *)"
    schedule_timezone: str = "Etc/UTC"
    duration_hours: int = 4
    cutoff_hours: int = 1  # no node is started in the last hour; a node in progress finishes (CONTINUE_TASK)


@dataclass(frozen=True)
class SessionsConfig:
    idle_timeout_minutes: int = 20
    max_duration_minutes: int = 60
    run_as_user: str | None = None  # None: sessions run as ssm-user (Run As off)
    s3_logging: bool = False  # also upload each session's transcript to the logs bucket
    account_preferences: str = "existing"  # create (the account owner only) | existing: SSM-SessionManagerRunShell


@dataclass(frozen=True)
class OperationsConfig:
    patching: PatchingConfig = field(default_factory=PatchingConfig)
    sessions: SessionsConfig = field(default_factory=SessionsConfig)


def parse_operations(p, raw: dict, *, prod: bool, owns_account: bool) -> OperationsConfig:
    """``operations``: ``patching.*`` and ``sessions.*`` (``p`` is config.py's ``Problems``)."""
    o = p.section(raw, "operations", "operations", {"patching", "sessions"})
    return OperationsConfig(_patching(p, o, prod), _sessions(p, o, prod, owns_account))


def _patching(p, o: dict, prod: bool) -> PatchingConfig:
    known = {"enabled", "approveAfterDays", "schedule", "scheduleTimezone", "durationHours", "cutoffHours"}
    s = p.section(o, "patching", "operations.patching", known)
    base = "operations.patching."
    schedule = p.string(s, "schedule", f"{base}schedule", PatchingConfig.schedule, " cron or rate expression of "
                        "Systems Manager maintenance windows, such as cron(0 4 ? * SUN *) (six fields) or "
                        "rate(7 days)", check=lambda v: bool(_CRON.match(v) or _RATE.match(v)))
    duration = p.integer(s, "durationHours", f"{base}durationHours", PatchingConfig.duration_hours, 1,
                         MAX_WINDOW_HOURS, " hours")
    cutoff = p.integer(s, "cutoffHours", f"{base}cutoffHours", PatchingConfig.cutoff_hours, 0,
                       MAX_WINDOW_HOURS - 1, " hours")
    if cutoff >= duration:
        p.add(f"{base}cutoffHours", cutoff, f"must be less than {full_key(base + 'durationHours')} ({duration}): "
              "Systems Manager "
              "stops starting tasks this many hours before the window ends, so nothing would ever be patched")
    return PatchingConfig(
        enabled=p.boolean(s, "enabled", f"{base}enabled", True),
        # dev is the canary: it takes patches on release; prod waits a week of dev running them.
        approve_after_days=p.integer(s, "approveAfterDays", f"{base}approveAfterDays", 7 if prod else 0, 0,
                                     MAX_APPROVE_AFTER_DAYS, " days"),
        schedule=schedule,
        schedule_timezone=p.string(s, "scheduleTimezone", f"{base}scheduleTimezone", PatchingConfig.schedule_timezone,
                                   " IANA time zone such as Europe/Berlin or Etc/UTC",
                                   check=lambda v: bool(_TIMEZONE.match(v))),
        duration_hours=duration, cutoff_hours=cutoff)


def _sessions(p, o: dict, prod: bool, owns_account: bool) -> SessionsConfig:
    known = {"idleTimeoutMinutes", "maxDurationMinutes", "runAsUser", "s3Logging", "accountPreferences"}
    s = p.section(o, "sessions", "operations.sessions", known)
    base = "operations.sessions."
    preferences = p.enum(s, "accountPreferences", f"{base}accountPreferences", ["create", "existing"],
                         "create" if owns_account else "existing")
    if preferences == "create" and not owns_account:
        p.add(f"{base}accountPreferences", "create", "the Session Manager preferences (the SSM-SessionManagerRunShell "
              "document) exist once per account and Region, so only the stack that owns the account's resources "
              "creates them: set account.ownsAccountResources: true in that one stack, and leave this at existing "
              "(the default) in every other")
    return SessionsConfig(
        idle_timeout_minutes=p.integer(s, "idleTimeoutMinutes", f"{base}idleTimeoutMinutes", 20, 1,
                                       MAX_IDLE_MINUTES, " minutes"),
        max_duration_minutes=p.integer(s, "maxDurationMinutes", f"{base}maxDurationMinutes", 60, 1,
                                       MAX_SESSION_MINUTES, " minutes"),
        run_as_user=p.string(s, "runAsUser", f"{base}runAsUser", None, " Linux user name (lowercase letters, digits, "
                             "_ and -, at most 32) that exists on every node",
                             check=lambda v: bool(_LINUX_USER.match(v)) and v != "root"),
        s3_logging=p.boolean(s, "s3Logging", f"{base}s3Logging", prod),
        account_preferences=preferences)
