"""AWS DataSync facts the program, the fake AWS and the policy pack share: the API's limits, the task schedule
rules, and how long a copy takes at a bandwidth limit.

Sources (AWS DataSync User Guide, docs.aws.amazon.com/datasync/latest/userguide/, and the API model botocore ships,
``botocore/data/datasync/*/service-2.json``, read 2026-12):
- "Scheduling your DataSync task" (task-scheduling.md): "A scheduled task automatically runs at a frequency that you
  configure with a minimum interval of 1 hour ... Even with a cron expression, you can't schedule a task to run at
  an interval faster than 1 hour"; expressions are EventBridge's ``cron(...)`` and ``rate(...)`` (TaskSchedule
  ScheduleExpression: "Specifies your task schedule by using a cron or rate expression", at most 256 characters).
- EventBridge "Schedule expressions for rules": a cron expression has six fields (minutes, hours, day-of-month,
  month, day-of-week, year); "You can't specify the Day-of-month and Day-of-week fields in the same cron
  expression. If you specify a value or a * in one of the fields, you must use a ? in the other"; a rate expression
  is ``rate(value unit)`` with unit minute(s) | hour(s) | day(s), singular for 1.
- Options.BytesPerSecond: "Limits the bandwidth used by a DataSync task. For example, if you want DataSync to use a
  maximum of 1 MB, set this value to 1048576"; valid range: minimum -1 (-1 = no limit). The console takes the limit
  in whole MiB/s ("Set bandwidth limit (MiB/s)", create-task.md); the stack's config does the same. The API model
  states no minimum above -1, so neither does the fake.
- "AWS DataSync quotas" (datasync-limits.md): maximum throughput per task 10 Gbps (not adjustable); 100 tasks per
  account and Region (adjustable); 50 million files or objects per task between self-managed storage and AWS.
- CreateAgent: ActivationKey ``[A-Z0-9]{5}(-[A-Z0-9]{5}){4}``; one subnet and one security group ARN; VpcEndpointId
  ``vpce-`` and 17 hex. CreateLocationObjectStorage: ServerHostname at most 255 characters of DNS labels or an IP,
  ServerPort 1-65536, BucketName 3-63 characters, ServerCertificate at most 32,768 bytes, 1-8 agents.
  CreateTask: Name ``[a-zA-Z0-9\\s+=._:@/-]+`` up to 256 characters.
Stdlib only, for the pack.
"""

from __future__ import annotations

import re

MIB = 1024 * 1024
TIB = 1024 ** 4
SECONDS_PER_HOUR = 3600
MIN_SCHEDULE_MINUTES = 60  # "a minimum interval of 1 hour"
TASK_MAX_BYTES_PER_SECOND = 10e9 / 8  # "Maximum throughput per task: 10 Gbps"
MAX_TASKS_PER_REGION = 100  # default quota, adjustable
MAX_FILES_PER_TASK = 50_000_000  # between self-managed storage and AWS (Basic mode)
UNLIMITED = -1  # BytesPerSecond: no limit
MAX_SCHEDULE_LENGTH = 256
MAX_SERVER_CERTIFICATE_BYTES = 32_768
MAX_AGENTS_PER_LOCATION = 8
ACTIVATION_KEY = re.compile(r"^[A-Z0-9]{5}(-[A-Z0-9]{5}){4}$")
VPC_ENDPOINT_ID = re.compile(r"^vpce-[0-9a-f]{17}$")
SERVER_HOSTNAME = re.compile(r"^(([a-zA-Z0-9\-]*[a-zA-Z0-9])\.)*([A-Za-z0-9\-:]*[A-Za-z0-9])$")
OBJECT_BUCKET = re.compile(r"^[a-zA-Z0-9_\-+.()$ ]{3,63}$")
TASK_NAME = re.compile(r"^[a-zA-Z0-9\s+=._:@/-]{1,256}$")
VERIFY_MODES = ("POINT_IN_TIME_CONSISTENT", "ONLY_FILES_TRANSFERRED", "NONE")
LOG_LEVELS = ("OFF", "BASIC", "TRANSFER")
TRANSFER_MODES = ("CHANGED", "ALL")

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 1440}
_CRON = re.compile(r"^cron\((.*)\)$")
_CRON_FIELDS = (  # (name, allowed characters beyond digits)
    ("minutes", ",-*/"), ("hours", ",-*/"), ("day-of-month", ",-*?/LW"), ("month", ",-*/"),
    ("day-of-week", ",-*?L#"), ("year", ",-*/"))
_NAMES = re.compile(r"JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT")


def schedule_problem(expression: str) -> str | None:
    """Why DataSync refuses ``expression`` as a task schedule, or None: a well-formed EventBridge ``rate(...)`` or
    six-field ``cron(...)`` that never runs more often than once an hour."""
    if not isinstance(expression, str) or not expression:
        return "a schedule is a cron(...) or rate(...) expression"
    if len(expression) > MAX_SCHEDULE_LENGTH:
        return f"a schedule expression is at most {MAX_SCHEDULE_LENGTH} characters"
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            return "a rate's value is a positive integer"
        if (value == 1) != (not unit.endswith("s")):
            return f"rate({value} {unit}): EventBridge wants the singular unit for 1 and the plural otherwise"
        minutes = value * _UNIT_MINUTES[unit.rstrip("s")]
        if minutes < MIN_SCHEDULE_MINUTES:
            return f"rate({value} {unit}) runs every {minutes} minutes; DataSync's minimum interval is 1 hour"
        return None
    cron = _CRON.match(expression)
    if not cron:
        return "expected cron(minutes hours day-of-month month day-of-week year) or rate(N hours|days)"
    fields = cron.group(1).split()
    if len(fields) != len(_CRON_FIELDS):
        return f"a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), got {len(fields)}"
    for (name, extra), value in zip(_CRON_FIELDS, fields, strict=True):
        bare = _NAMES.sub("", value.upper()) if name in ("month", "day-of-week") else value
        if not bare or any(not (c.isdigit() or c in extra) for c in bare):
            return f"cron field {name} {value!r} has characters EventBridge does not allow there"
    if (fields[2] == "?") == (fields[4] == "?"):
        return "exactly one of day-of-month and day-of-week must be ? (EventBridge cron rule)"
    if not fields[0].isdigit() or not 0 <= int(fields[0]) <= 59:
        # Two or more minutes in the minutes field run twice in any hour the expression fires; one minute (0-59)
        # fires at most once an hour, whatever the other fields say.
        return (f"cron minutes {fields[0]!r} run more than once an hour; DataSync's minimum interval is 1 hour: "
                "give one minute, e.g. cron(0 2 * * ? *)")
    return None


def bytes_per_second(mib_per_second: int | None) -> int:
    """Options.BytesPerSecond of a limit in MiB/s (None or a negative value: unlimited, -1)."""
    return UNLIMITED if mib_per_second is None or mib_per_second < 0 else int(mib_per_second) * MIB


def effective_rate(limit_bytes_per_second: float, **caps: float | None) -> tuple[float, str]:
    """The rate a copy runs at (bytes/s) and what bounds it: the task's limit (-1 = none), DataSync's 10 Gbps per
    task, and the other named caps given (e.g. the cluster's write bound, the agent's network baseline)."""
    bounds = {"DataSync's 10 Gbps per task": TASK_MAX_BYTES_PER_SECOND}
    if limit_bytes_per_second and limit_bytes_per_second > 0:
        bounds["the task's bandwidth limit"] = float(limit_bytes_per_second)
    bounds.update({name: float(v) for name, v in caps.items() if v is not None and v > 0})
    name = min(bounds, key=bounds.get)
    return bounds[name], name


def transfer_hours(tib: float, rate_bytes_per_second: float) -> float:
    """Hours to copy ``tib`` TiB (2^40 bytes) at ``rate_bytes_per_second``: the data alone, no listing, preparing
    or verification (DataSync's Basic mode prepares and verifies before and after the transfer)."""
    if rate_bytes_per_second <= 0:
        raise ValueError("the rate must be positive")
    return tib * TIB / rate_bytes_per_second / SECONDS_PER_HOUR


def migration_estimate(sources: list[dict], *, rustfs_write_bytes_per_second: float | None = None) -> list[dict]:
    """How long each source's first full copy takes: ``sources`` are ``{"name", "sizeTiB", "staged",
    "bytesPerSecond"}`` (the task's limit, -1 none). A staged source is copied twice, into S3 then into RustFS, one
    after the other; the copy into RustFS is also bound by the cluster's sustained write rate. Data time only: Basic
    mode also lists, prepares and verifies, and the agent's own network is not modelled."""
    out = []
    for source in sources:
        tib, limit = float(source.get("sizeTiB") or 0), float(source.get("bytesPerSecond", UNLIMITED))
        legs = [("into S3 (staging)", None), ("into RustFS", rustfs_write_bytes_per_second)] if source.get("staged") \
            else [("into RustFS", rustfs_write_bytes_per_second)]
        estimated = []
        for leg, write_bound in legs:
            rate, bound = effective_rate(limit, **({"the cluster's sustained write bound": write_bound}
                                                   if write_bound else {}))
            estimated.append({"leg": leg, "bytesPerSecond": rate, "bound": bound,
                              "hours": round(transfer_hours(tib, rate), 2) if tib else 0.0})
        out.append({"name": source["name"], "sizeTiB": tib, "legs": estimated,
                    "hours": round(sum(leg["hours"] for leg in estimated), 2)})
    return out
