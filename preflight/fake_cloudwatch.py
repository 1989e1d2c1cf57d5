"""CloudWatch's evaluation of a metric alarm over a timeline of data points, for tests of what an alarm would do.

What it models (CloudWatch User Guide, "Alarm evaluation" and "Configuring how CloudWatch alarms treat missing
data"; MetricDataQuery API reference):
- Data points are aggregated into periods aligned to multiples of the period; the statistic (SampleCount,
  Minimum, Maximum, Sum, Average) is taken over the period's data points; a period without any is missing.
- An alarm looks at its last EvaluationPeriods periods, the current, still open one included (the strict
  reading: a partial period can breach) and is in ALARM when at least DatapointsToAlarm of them breach the
  threshold; a missing one counts as TreatMissingData says (breaching | notBreaching; ignore and missing keep
  the previous state, or leave a new alarm in INSUFFICIENT_DATA).
- A metric math alarm evaluates its ReturnData expression at every period where any of its metrics has data;
  arithmetic on a missing value is missing, and ``FILL(x, v)`` gives ``v`` where ``x`` is missing; a division by
  zero is modelled as no value (not checked against CloudWatch: the stack's denominators, usable capacity and
  requests including the load balancer's health checks, are not zero while the cluster runs).
  Only the subset the stack uses is understood (ids, numbers, + - * / with their precedence, parentheses, FILL):
  anything else fails loudly.

Not modelled: the look-back over more periods than EvaluationPeriods that CloudWatch makes when data is missing
(it only ever delays a missing-data ALARM), anomaly detection, percentiles.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

Series = list[tuple[float, float]]  # (time in seconds, value)
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda v, t: v > t, "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t, "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
_STATISTICS: dict[str, Callable[[list[float]], float]] = {
    "SampleCount": len, "Minimum": min, "Maximum": max, "Sum": sum, "Average": lambda v: sum(v) / len(v),
}
_TOKEN = re.compile(r"\s*(?:(FILL)|([a-z][a-zA-Z0-9_]*)|(\d+(?:\.\d+)?)|([-+*/(),]))")


class NotModelled(Exception):
    pass


def aggregate(series: Series, period: int, statistic: str, until: float) -> dict[int, float]:
    """Period start -> the statistic over the series' points in [start, start + period), up to ``until``."""
    buckets: dict[int, list[float]] = defaultdict(list)
    for t, value in series:
        if t <= until:
            buckets[int(t // period) * period].append(value)
    return {start: _STATISTICS[statistic](values) for start, values in buckets.items()}


def _tokens(expression: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(expression.rstrip()):
        m = _TOKEN.match(expression, pos)
        if not m or m.end() == pos:
            raise NotModelled(f"metric math {expression!r}: cannot read {expression[pos:]!r}")
        kind = ("fill", "id", "number", "op")[next(i for i, g in enumerate(m.groups()) if g is not None)]
        out.append((kind, m.group(m.lastindex)))
        pos = m.end()
    return out


def evaluate(expression: str, values: dict[str, float | None]) -> float | None:
    """One timestamp of a metric math expression; None is a missing value."""
    tokens = _tokens(expression)

    def take(kind: str, text: str | None = None) -> str:
        k, t = tokens.pop(0)
        if k != kind or (text is not None and t != text):
            raise NotModelled(f"metric math {expression!r}: expected {text or kind}, got {t!r}")
        return t

    def term() -> float | None:
        kind, text = tokens[0]
        if kind == "fill":
            take("fill"), take("op", "(")
            inner = sum_()
            take("op", ",")
            fill = float(take("number"))
            take("op", ")")
            return fill if inner is None else inner
        if kind == "id":
            take("id")
            return values[text]
        if (kind, text) == ("op", "("):
            take("op", "(")
            inner = sum_()
            take("op", ")")
            return inner
        return float(take("number"))

    def product() -> float | None:
        value = term()
        while tokens and tokens[0] in (("op", "*"), ("op", "/")):
            op = tokens.pop(0)[1]
            right = term()
            if value is None or right is None or (op == "/" and right == 0):
                value = None
            else:
                value = value * right if op == "*" else value / right
        return value

    def sum_() -> float | None:
        value = product()
        while tokens and tokens[0] in (("op", "+"), ("op", "-")):
            op = tokens.pop(0)[1]
            right = product()
            value = None if value is None or right is None else value + right if op == "+" else value - right
        return value

    result = sum_()
    if tokens:
        raise NotModelled(f"metric math {expression!r}: unread {tokens}")
    return result


@dataclass
class AlarmTimeline:
    """An alarm's inputs (as the program declares them) and its metrics' data points (by query id, or
    ``"metric"`` for a single-metric alarm)."""

    inputs: dict
    data: dict[str, Series]

    def _datapoints(self, until: float) -> tuple[int, dict[int, float | None]]:
        queries = self.inputs.get("metricQueries")
        if not queries:
            period = int(self.inputs["period"])
            return period, dict(aggregate(self.data.get("metric", []), period, self.inputs["statistic"], until))
        metrics = {q["id"]: q["metric"] for q in queries if q.get("metric")}
        [result] = [q for q in queries if q.get("returnData")]
        periods = {int(m["period"]) for m in metrics.values()}
        if len(periods) != 1 or "expression" not in result:
            raise NotModelled("metric math alarms of one period, returning an expression, only")
        period = periods.pop()
        series = {i: aggregate(self.data.get(i, []), period, m["stat"], until) for i, m in metrics.items()}
        starts = set().union(*series.values())
        return period, {s: evaluate(result["expression"], {i: v.get(s) for i, v in series.items()}) for s in starts}

    def state(self, at: float) -> str:
        """ALARM, OK or INSUFFICIENT_DATA at time ``at`` (previous state not kept: no ignore/missing)."""
        period, points = self._datapoints(at)
        current = int(at // period) * period
        evaluations = int(self.inputs["evaluationPeriods"])
        window = [points.get(current - i * period) for i in range(evaluations)]
        missing = self.inputs.get("treatMissingData", "missing")
        if missing not in ("breaching", "notBreaching"):
            raise NotModelled(f"TreatMissingData {missing!r}")
        compare, threshold = _COMPARE[self.inputs["comparisonOperator"]], self.inputs["threshold"]
        breaching = sum(missing == "breaching" if v is None else compare(v, threshold) for v in window)
        needed = int(self.inputs.get("datapointsToAlarm") or evaluations)
        return "ALARM" if breaching >= needed else "OK"

    def first_alarm(self, start: float, end: float, step: float = 600) -> float | None:
        t = start
        while t <= end:
            if self.state(t) == "ALARM":
                return t
            t += step
        return None
