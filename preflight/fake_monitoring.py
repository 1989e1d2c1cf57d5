"""The fake AWS's CloudWatch composite alarms and dashboards and its X-Ray sampling rules and groups, with the checks
the real APIs make (the metric alarm's own checks are in fake_operations.py).

Limits, from AWS's API models (botocore 1.44 ``cloudwatch/2010-08-01`` and ``xray/2016-04-12`` service-2.json, which
tests/test_tracing.py and tests/test_dashboard.py compare with these constants) and API references:
- PutMetricAlarm / PutCompositeAlarm: AlarmName 1-255 characters, AlarmDescription up to 1,024, at most 5 actions per
  list; a metric alarm has at most 30 dimensions. A composite's AlarmRule is 1-10,240 characters, names at most 100
  alarms ("The rule expression of a composite alarm can include as many as 100 underlying alarms", PutCompositeAlarm
  API reference), and only alarms that exist (CloudWatch answers ValidationError "Could not save the composite
  alarm as alarms [...] in the alarm rule do not exist").
- PutDashboard: DashboardName of alphanumerics, '-' and '_', at most 255 characters (API reference); the body is a
  JSON object whose ``widgets`` has at most 500 widgets (CloudWatch quotas: 500 widgets per dashboard, 500 metrics
  per widget, 2,500 per dashboard), each ``x`` 0-23, ``width`` 1-24, ``height`` 1-1000, a known ``type``, and a
  metric widget names its ``region`` ("Dashboard Body Structure and Syntax"); the body is kept under 1 MB.
- CreateSamplingRule: RuleName 1-32 characters, Priority 1-9999, FixedRate 0-1, ReservoirSize >= 0, ServiceName /
  ServiceType / Host up to 64, HTTPMethod up to 10, URLPath up to 128, ResourceARN up to 500, Version 1 (the only
  rule format, X-Ray API reference "SamplingRule"), at most 5 Attributes of 1-32 characters. "Default" is the
  name of the account's default rule, which cannot be created.
- CreateGroup: GroupName 1-32 characters ("Default" is reserved, X-Ray API reference "CreateGroup"); the provider
  requires a FilterExpression.
"""

from __future__ import annotations

import hashlib
import json
import re
import weakref

from .fake_operations import AwsRejects

MAX_ALARM_NAME = 255
MAX_ALARM_DESCRIPTION = 1024
MAX_ACTIONS = 5
MAX_DIMENSIONS = 30
MAX_ALARM_RULE = 10_240
MAX_COMPOSITE_CHILDREN = 100
DASHBOARD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
MAX_DASHBOARD_BODY = 1_000_000
MAX_WIDGETS = 500
MAX_METRICS_PER_WIDGET = 500
MAX_METRICS_PER_DASHBOARD = 2_500
WIDGET_TYPES = {"metric", "text", "log", "alarm", "explorer", "custom"}
MAX_RULE_NAME = 32
PRIORITY = (1, 9999)
SAMPLING_FIELDS = {"serviceName": 64, "serviceType": 64, "host": 64, "httpMethod": 10, "urlPath": 128,
                   "resourceArn": 500}
MAX_GROUP_NAME = 32
_RULE_REFERENCE = re.compile(r'\b(?:ALARM|OK|INSUFFICIENT_DATA)\(\s*"?([^")]+?)"?\s*\)')

# The alarms each program run has declared, for the composite's check that its children exist.
_DECLARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _declared(fake) -> set[str]:
    return _DECLARED.setdefault(fake, set())


def _check_common(kind: str, name, inputs: dict) -> None:
    if isinstance(name, str) and not 1 <= len(name) <= MAX_ALARM_NAME:
        raise AwsRejects(f"ValidationError: {kind} name is {len(name)} characters (1 to {MAX_ALARM_NAME})")
    description = inputs.get("alarmDescription")
    if isinstance(description, str) and len(description) > MAX_ALARM_DESCRIPTION:
        raise AwsRejects(f"ValidationError: {kind} {name}: AlarmDescription is {len(description)} characters "
                         f"(at most {MAX_ALARM_DESCRIPTION})")
    for key in ("alarmActions", "okActions", "insufficientDataActions"):
        if isinstance(inputs.get(key), list) and len(inputs[key]) > MAX_ACTIONS:
            raise AwsRejects(f"ValidationError: {kind} {name}: {key} has {len(inputs[key])} actions (at most "
                             f"{MAX_ACTIONS})")


def recorded_alarm(handler):
    """Wraps the metric alarm handler: its name and dimension limits, and the run's record of declared alarms."""
    def handle(fake, name: str, inputs: dict):
        alarm_name = inputs.get("name") or name
        _check_common("alarm", alarm_name, inputs)
        dimensions = [inputs.get("dimensions")] + [
            (q.get("metric") or {}).get("dimensions") for q in inputs.get("metricQueries") or []]
        for dims in dimensions:
            if isinstance(dims, dict) and len(dims) > MAX_DIMENSIONS:
                raise AwsRejects(f"ValidationError: alarm {alarm_name}: {len(dims)} dimensions (at most "
                                 f"{MAX_DIMENSIONS})")
        result = handler(fake, name, inputs)
        _declared(fake).add(alarm_name)
        return result
    return handle


def check_composite(name: str, rule: str, declared: set[str]) -> None:
    if not 1 <= len(rule) <= MAX_ALARM_RULE or rule != rule.strip():
        raise AwsRejects(f"ValidationError: composite alarm {name}: AlarmRule is {len(rule)} characters (1 to "
                         f"{MAX_ALARM_RULE}, no leading or trailing whitespace)")
    children = _RULE_REFERENCE.findall(rule)
    if not children:
        raise AwsRejects(f"ValidationError: composite alarm {name}: AlarmRule names no alarm")
    if len(set(children)) > MAX_COMPOSITE_CHILDREN:
        raise AwsRejects(f"ValidationError: composite alarm {name}: its rule names {len(set(children))} alarms "
                         f"(at most {MAX_COMPOSITE_CHILDREN})")
    missing = sorted({c.rsplit(":alarm:", 1)[-1] for c in children} - declared)
    if missing:
        raise AwsRejects(f"ValidationError: Could not save the composite alarm as alarms {missing} in the alarm "
                         "rule do not exist")


def composite_alarm(fake, name: str, inputs: dict):
    alarm_name = inputs.get("alarmName") or name
    _check_common("composite alarm", alarm_name, inputs)
    if isinstance(inputs.get("alarmRule"), str):
        check_composite(alarm_name, inputs["alarmRule"], _declared(fake))
    _declared(fake).add(alarm_name)
    return alarm_name, {"alarmName": alarm_name, "arn": fake.arn("cloudwatch", f"alarm:{alarm_name}"),
                        "tagsAll": inputs.get("tags", {})}


def _metric_count(widget: dict) -> int:
    return sum(1 for m in (widget.get("properties") or {}).get("metrics") or [] if isinstance(m, list))


def check_dashboard(name: str, body: str) -> None:
    if not DASHBOARD_NAME.match(name or ""):
        raise AwsRejects(f"InvalidParameterInput: dashboard name {name!r}: alphanumerics, '-' and '_', at most 255")
    size = len(body.encode())
    if size > MAX_DASHBOARD_BODY:
        raise AwsRejects(f"InvalidParameterInput: dashboard {name}: body is {size} bytes (at most "
                         f"{MAX_DASHBOARD_BODY})")
    try:
        doc = json.loads(body)
    except ValueError as e:
        raise AwsRejects(f"InvalidParameterInput: dashboard {name}: body is not JSON ({e})") from None
    widgets = doc.get("widgets") if isinstance(doc, dict) else None
    if not isinstance(widgets, list):
        raise AwsRejects(f"InvalidParameterInput: dashboard {name}: the body needs a 'widgets' array")
    if len(widgets) > MAX_WIDGETS:
        raise AwsRejects(f"LimitExceeded: dashboard {name}: {len(widgets)} widgets (at most {MAX_WIDGETS})")
    for i, w in enumerate(widgets):
        where = f"dashboard {name} widget {i}"
        if not isinstance(w, dict) or w.get("type") not in WIDGET_TYPES:
            raise AwsRejects(f"InvalidParameterInput: {where}: type must be one of {sorted(WIDGET_TYPES)}")
        for key, lo, hi in (("x", 0, 23), ("width", 1, 24), ("height", 1, 1000)):
            if key in w and not (isinstance(w[key], int) and lo <= w[key] <= hi):
                raise AwsRejects(f"InvalidParameterInput: {where}: {key} {w[key]!r} outside {lo}-{hi}")
        if w.get("x", 0) + w.get("width", 6) > 24:
            raise AwsRejects(f"InvalidParameterInput: {where}: x + width exceeds the 24-column grid")
        if not isinstance(w.get("properties"), dict):
            raise AwsRejects(f"InvalidParameterInput: {where}: properties are required")
        if w["type"] == "metric":
            if not w["properties"].get("region"):
                raise AwsRejects(f"InvalidParameterInput: {where}: a metric widget needs its region")
            if _metric_count(w) > MAX_METRICS_PER_WIDGET:
                raise AwsRejects(f"LimitExceeded: {where}: {_metric_count(w)} metrics (at most "
                                 f"{MAX_METRICS_PER_WIDGET})")
    total = sum(_metric_count(w) for w in widgets)
    if total > MAX_METRICS_PER_DASHBOARD:
        raise AwsRejects(f"LimitExceeded: dashboard {name}: {total} metrics (at most {MAX_METRICS_PER_DASHBOARD})")


def dashboard(fake, name: str, inputs: dict):
    dashboard_name = inputs.get("dashboardName") or name
    if isinstance(inputs.get("dashboardBody"), str):
        check_dashboard(dashboard_name, inputs["dashboardBody"])
    return dashboard_name, {"dashboardName": dashboard_name,
                            "dashboardArn": fake.arn("cloudwatch", f"dashboard/{dashboard_name}", region=False)}


def _xray_name(kind: str, value, limit: int) -> None:
    """X-Ray's rule and group names: 1 to ``limit`` characters, and not the account's "Default"."""
    if isinstance(value, str) and not 1 <= len(value) <= limit:
        raise AwsRejects(f"InvalidRequestException: {kind} name {value!r} is {len(value)} characters (1 to {limit})")
    if isinstance(value, str) and value.lower() == "default":
        raise AwsRejects(f"InvalidRequestException: {kind} name 'Default' is reserved")


def check_sampling_rule(inputs: dict) -> None:
    name = inputs.get("ruleName")
    _xray_name("sampling rule", name, MAX_RULE_NAME)
    priority = inputs.get("priority")
    if isinstance(priority, (int, float)) and not PRIORITY[0] <= priority <= PRIORITY[1]:
        raise AwsRejects(f"InvalidRequestException: sampling rule {name}: Priority {priority} outside "
                         f"{PRIORITY[0]}-{PRIORITY[1]}")
    rate = inputs.get("fixedRate")
    if isinstance(rate, (int, float)) and not 0 <= rate <= 1:
        raise AwsRejects(f"InvalidRequestException: sampling rule {name}: FixedRate {rate} outside 0-1")
    reservoir = inputs.get("reservoirSize")
    if isinstance(reservoir, (int, float)) and reservoir < 0:
        raise AwsRejects(f"InvalidRequestException: sampling rule {name}: ReservoirSize {reservoir} below 0")
    if inputs.get("version") not in (None, 1):
        raise AwsRejects(f"InvalidRequestException: sampling rule {name}: Version {inputs['version']} (only 1)")
    for key, limit in SAMPLING_FIELDS.items():
        value = inputs.get(key)
        if isinstance(value, str) and len(value) > limit:
            raise AwsRejects(f"InvalidRequestException: sampling rule {name}: {key} is {len(value)} characters "
                             f"(at most {limit})")
    attributes = inputs.get("attributes") or {}
    if len(attributes) > 5 or any(not (1 <= len(str(k)) <= 32 and 1 <= len(str(v)) <= 32)
                                  for k, v in attributes.items()):
        raise AwsRejects(f"InvalidRequestException: sampling rule {name}: at most 5 attributes, keys and values of "
                         "1-32 characters")


def sampling_rule(fake, name: str, inputs: dict):
    check_sampling_rule(inputs)
    rule = inputs.get("ruleName") or name
    return rule, {"ruleName": rule, "arn": fake.arn("xray", f"sampling-rule/{rule}"),
                  "tagsAll": inputs.get("tags", {})}


def xray_group(fake, name: str, inputs: dict):
    group = inputs.get("groupName")
    _xray_name("group", group, MAX_GROUP_NAME)
    expression = inputs.get("filterExpression")
    if isinstance(expression, str) and not expression.strip():
        raise AwsRejects(f"InvalidRequestException: group {group}: empty FilterExpression")
    arn = fake.arn("xray", f"group/{group}/{hashlib.sha256(str(group or name).encode()).hexdigest()[:26].upper()}")
    return arn, {"arn": arn, "groupName": group, "tagsAll": inputs.get("tags", {})}


RESOURCES = {
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": composite_alarm,
    "aws:cloudwatch/dashboard:Dashboard": dashboard,
    "aws:xray/samplingRule:SamplingRule": sampling_rule,
    "aws:xray/group:Group": xray_group,
}
