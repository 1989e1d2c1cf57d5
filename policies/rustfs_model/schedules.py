"""Systems Manager schedule expressions (rate and cron, "Reference: Cron and rate expressions for Systems Manager",
SSM User Guide): the shortest interval between two runs. Used by the pack's association policy and the cost model.
Stdlib only."""

from __future__ import annotations

import re

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((\S+) (\S+) \S+ \S+ \S+(?: \S+)?\)$")
_UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 1440}


def _field_gap(spec: str, span: int) -> int | None:
    """Smallest gap between consecutive values of a cron field over ``span`` (60 minutes, 24 hours), wrapping;
    None when the field is not one this reads (L, W, #, names)."""
    values: set[int] = set()
    for part in spec.split(","):
        m = re.fullmatch(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?", part)
        if not m:
            return None
        start = 0 if m[1] == "*" else int(m[1])
        end = int(m[2]) if m[2] else (span - 1 if m[1] == "*" or m[3] else start)
        values.update(range(start, end + 1, int(m[3]) if m[3] else 1))
    ordered = sorted(v for v in values if 0 <= v < span)
    if not ordered:
        return None
    gaps = [b - a for a, b in zip(ordered, ordered[1:], strict=False)] + [ordered[0] + span - ordered[-1]]
    return min(gaps)


def schedule_minutes(expression: str) -> int | None:
    """The shortest interval between two runs of a Systems Manager rate or cron expression, in minutes; None for
    at(...) and what this does not read. Cron: from the minutes and hours fields only, so an expression limited to
    some days counts as daily at most (never longer than the real interval)."""
    rate = _RATE.match(expression)
    if rate:
        return int(rate[1]) * _UNIT_MINUTES[rate[2].rstrip("s")]
    cron = _CRON.match(expression)
    if not cron:
        return None
    minute_gap = _field_gap(cron[1], 60)
    hour_gap = _field_gap(cron[2], 24)
    if minute_gap is None or hour_gap is None:
        return None
    # Several minutes in an hour: their gap; one minute an hour: the hours' gap.
    return minute_gap if minute_gap < 60 else hour_gap * 60
