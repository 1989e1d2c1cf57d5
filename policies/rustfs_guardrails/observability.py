"""CloudWatch composite alarms and dashboards, X-Ray sampling rules, groups and encryption.

- A composite alarm ("cluster degraded") is what gates patching and pages once for a degraded cluster: with its
  actions disabled or none, nobody hears of it.
- A dashboard CloudWatch refuses fails the deploy; the pack checks the limits CloudWatch states (CloudWatch User
  Guide, "CloudWatch service quotas": 500 widgets and 2,500 metrics per dashboard, 500 metrics per widget) and that
  every metric widget names its region ("Dashboard Body Structure and Syntax"), and keeps the body under 1 MB.
- X-Ray bills every trace recorded ($5 per million beyond 100,000 a month, aws.amazon.com/xray/pricing): a
  sampling rule whose rate or reservoir is above the configured bound records far more than a storage cluster's
  operators read (RustFS serves thousands of requests a second).
- A group without a filter expression is every trace of the account; insights bill every trace processed.
- X-Ray encrypts traces with an AWS-owned key unless an EncryptionConfig says KMS with a customer-managed key
  (PutEncryptionConfig API reference): a declared EncryptionConfig must say KMS and name its key.
"""

from __future__ import annotations

import json

from pulumi_policy import Severity

from ._kit import Res, aws, is_unknown, known_num, known_str, resource_policy
from .logs import check_alarm_actions

COMPOSITE = aws("cloudwatch", "CompositeAlarm")
DASHBOARD = aws("cloudwatch", "Dashboard")
SAMPLING_RULE = aws("xray", "SamplingRule")
GROUP = aws("xray", "Group")
ENCRYPTION = aws("xray", "EncryptionConfig")
MAX_WIDGETS, MAX_METRICS, MAX_WIDGET_METRICS, MAX_BODY = 500, 2_500, 500, 1_000_000


composite_actions = resource_policy(
    "rustfs-cloudwatch-compositealarm-require-actions",
    "CloudWatch composite alarms have enabled actions (an SNS topic): the cluster-degraded alarm must reach someone.",
    severity=Severity.LOW, types=[COMPOSITE], check=check_alarm_actions, checks=["CloudWatch.15"],
    topics=["logging", "resilience"])


def _metric_rows(widget: dict) -> list:
    metrics = (widget.get("properties") or {}).get("metrics") or []
    return [m for m in metrics if isinstance(m, list) and m and not isinstance(m[0], dict)]


def _check_dashboard(res: Res, cfg: dict, report) -> None:
    body = res.get("dashboardBody")
    if is_unknown(body) or not isinstance(body, str):
        return
    size = len(body.encode())
    if size > MAX_BODY:
        report(f"Dashboard '{res.name}' body is {size:,} bytes (keep it under {MAX_BODY:,}).")
    try:
        widgets = json.loads(body).get("widgets")
    except (ValueError, AttributeError):
        report(f"Dashboard '{res.name}' body is not a JSON object.")
        return
    if not isinstance(widgets, list):
        report(f"Dashboard '{res.name}' body has no 'widgets' array.")
        return
    if len(widgets) > MAX_WIDGETS:
        report(f"Dashboard '{res.name}' has {len(widgets)} widgets (CloudWatch allows {MAX_WIDGETS}).")
    total = 0
    for i, w in enumerate(w for w in widgets if isinstance(w, dict)):
        rows = _metric_rows(w)
        total += len(rows)
        if len(rows) > MAX_WIDGET_METRICS:
            report(f"Dashboard '{res.name}' widget {i} graphs {len(rows)} metrics (CloudWatch allows "
                   f"{MAX_WIDGET_METRICS}).")
        if w.get("type") == "metric" and not (w.get("properties") or {}).get("region"):
            report(f"Dashboard '{res.name}' widget {i} is a metric widget without its region.")
    if total > MAX_METRICS:
        report(f"Dashboard '{res.name}' graphs {total} metrics (CloudWatch allows {MAX_METRICS} per dashboard).")


dashboard_limits = resource_policy(
    "rustfs-cloudwatch-dashboard-restrict-size",
    "CloudWatch dashboards stay within CloudWatch's limits (500 widgets, 2,500 metrics, 500 per widget, a region "
    "on every metric widget, a body under 1 MB), so the deploy does not fail on them.",
    severity=Severity.MEDIUM, types=[DASHBOARD], check=_check_dashboard, topics=["logging"])


def _check_sampling_rate(res: Res, cfg: dict, report) -> None:
    rate, reservoir = known_num(res.get("fixedRate")), known_num(res.get("reservoirSize"))
    if rate is not None and rate > cfg["maxFixedRate"]:
        report(f"X-Ray sampling rule '{res.name}' traces {rate:.0%} of requests (at most {cfg['maxFixedRate']:.0%}: "
               "X-Ray bills every trace recorded).")
    if reservoir is not None and reservoir > cfg["maxReservoirPerSecond"]:
        report(f"X-Ray sampling rule '{res.name}' takes {reservoir:g} traces per second before its rate (at most "
               f"{cfg['maxReservoirPerSecond']:g}).")


sampling_rate = resource_policy(
    "rustfs-xray-samplingrule-restrict-rate",
    "X-Ray sampling rules trace at most the configured share of requests (default 10%) and reservoir (default 10 "
    "per second): X-Ray bills every trace recorded.",
    severity=Severity.MEDIUM, types=[SAMPLING_RULE], check=_check_sampling_rate, topics=["cost", "logging"],
    config={"maxFixedRate": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.1},
            "maxReservoirPerSecond": {"type": "number", "minimum": 0, "default": 10}})


def _check_group(res: Res, cfg: dict, report) -> None:
    expression = res.get("filterExpression")
    if not is_unknown(expression) and not (known_str(expression) or "").strip():
        report(f"X-Ray group '{res.name}' has no filter expression: it groups every trace of the account.")
    insights = res.get("insightsConfiguration", "insightsEnabled")
    if insights is True and not cfg["allowInsights"]:
        report(f"X-Ray group '{res.name}' enables insights, which bill every trace processed (allowInsights).")


group_filter = resource_policy(
    "rustfs-xray-group-require-filter",
    "X-Ray groups filter their traces (a service) and leave paid insights off unless allowed.",
    severity=Severity.LOW, types=[GROUP], check=_check_group, topics=["cost", "logging"],
    config={"allowInsights": {"type": "boolean", "default": False}})


def _check_encryption(res: Res, cfg: dict, report) -> None:
    kind, key = res.get("type"), res.get("keyId")
    if is_unknown(kind):
        return
    if kind != "KMS":
        report(f"X-Ray encryption config '{res.name}' is type {kind!r}: traces use the AWS-owned key (type KMS "
               "with a customer-managed key).")
    elif key is None or known_str(key) == "":
        report(f"X-Ray encryption config '{res.name}' says KMS without naming its key (keyId).")


xray_encryption = resource_policy(
    "rustfs-xray-encryptionconfig-require-kms",
    "A declared X-Ray encryption config encrypts traces with a customer-managed KMS key.",
    severity=Severity.HIGH, types=[ENCRYPTION], check=_check_encryption, topics=["encryption", "logging"],
    remediation="aws.xray.EncryptionConfig(type='KMS', key_id=<customer-managed key ARN>) - once per account and "
    "Region, by the stack (or team) that owns the account's resources.")

POLICIES = [composite_actions, dashboard_limits, sampling_rate, group_filter, xray_encryption]
