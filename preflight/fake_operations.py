"""The fake AWS's SSM Command documents and CloudWatch metric alarms, with the checks the real APIs make.

SSM CreateDocument (API reference and botocore's model of it): the name matches ``^[a-zA-Z0-9_\\-.]{3,128}$``
and starts with none of the prefixes AWS reserves (aws, amazon, amzn, AWSEC2, AWSConfigRemediation,
AWSSupport); the content is at most 64 KB (MaxDocumentSizeExceeded); a ``{{ Name }}`` reference to an undeclared
parameter is InvalidDocumentContent (e.g. 'Parameter "PackageVersion" is not declared.', as reported in
CrowdStrike/aws-ssm-distributor#66). A document is identified by its name; its ARN is
``arn:<partition>:ssm:<region>:<account>:document/<name>``.

CloudWatch PutMetricAlarm (API reference, Period / EvaluationPeriods / DatapointsToAlarm / TreatMissingData):
Period is 10, 20, 30 or a multiple of 60; Period x EvaluationPeriods is at most 604,800 s (7 days), and at most
86,400 s (1 day) for a period under an hour; DatapointsToAlarm <= EvaluationPeriods; TreatMissingData is one of
breaching | notBreaching | ignore | missing; AlarmDescription is at most 1,024 characters. A metric math alarm
(``Metrics``, MetricDataQuery) takes none of MetricName, Namespace, Dimensions, Period, Statistic,
ExtendedStatistic or Unit; it has at most 20 queries, at most 10 retrieving a metric (MetricStat) and at most 10
expressions, exactly one with ReturnData true; each is a metric or an expression, its Id starts with a lowercase
letter (letters, digits, underscore) and is unique, and an expression names only Ids of the alarm (MetricDataQuery
API reference; CloudWatch User Guide, "Using math expressions with CloudWatch metrics").
"""

from __future__ import annotations

import json
import re

DOCUMENT_NAME = re.compile(r"^[a-zA-Z0-9_\-.]{3,128}$")
RESERVED_DOCUMENT_PREFIXES = ("aws", "amazon", "amzn", "awsec2", "awsconfigremediation", "awssupport")
MAX_DOCUMENT_BYTES = 64 * 1024
DOCUMENT_TYPES = {"Command", "Policy", "Automation", "Session", "Package", "ApplicationConfiguration",
                  "ApplicationConfigurationSchema", "DeploymentStrategy", "ChangeCalendar",
                  "Automation.ChangeTemplate", "ProblemAnalysis", "ProblemAnalysisTemplate", "CloudFormation",
                  "ConformancePackTemplate", "QuickSetup", "ManualApprovalPolicy", "AutoApprovalPolicy"}
_PARAMETER_REFERENCE = re.compile(r"\{\{\s*([A-Za-z0-9_.:-]+)\s*\}\}")
# References SSM resolves itself rather than from the document's parameters.
_BUILT_IN_REFERENCE = ("ssm:", "ssm-secure:", "global:", "automation:", "resolve:")

TREAT_MISSING_DATA = {"breaching", "notBreaching", "ignore", "missing"}
_QUERY_ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
_EXPRESSION_NAME = re.compile(r"\b([a-z][a-zA-Z0-9_]*)\b")
_SINGLE_METRIC_FIELDS = ("metricName", "namespace", "dimensions", "period", "statistic", "extendedStatistic", "unit")


class AwsRejects(Exception):
    """The request a real AWS API would refuse, with its error code first."""


def _document_parameters_used(node) -> set[str]:
    if isinstance(node, str):
        return {m for m in _PARAMETER_REFERENCE.findall(node) if not m.startswith(_BUILT_IN_REFERENCE)}
    if isinstance(node, dict):
        return set().union(*(_document_parameters_used(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_document_parameters_used(v) for v in node)) if node else set()
    return set()


def check_document(name: str, document_type: str, content: str, document_format: str = "JSON") -> None:
    if not DOCUMENT_NAME.match(name):
        raise AwsRejects(f"ValidationException: document name {name!r} must match {DOCUMENT_NAME.pattern}")
    if name.lower().startswith(RESERVED_DOCUMENT_PREFIXES):
        raise AwsRejects(f"ValidationException: document name {name!r} starts with a prefix AWS reserves "
                         f"({', '.join(RESERVED_DOCUMENT_PREFIXES)})")
    if document_type not in DOCUMENT_TYPES:
        raise AwsRejects(f"ValidationException: document type {document_type!r} is not one of the API's")
    size = len(content.encode())
    if size > MAX_DOCUMENT_BYTES:
        raise AwsRejects(f"MaxDocumentSizeExceeded: document {name!r} is {size} bytes (limit {MAX_DOCUMENT_BYTES})")
    if document_format != "JSON":
        return  # YAML/TEXT content is not modelled further
    try:
        body = json.loads(content)
    except ValueError as e:
        raise AwsRejects(f"InvalidDocumentContent: JSON not well-formed ({e})") from None
    if document_type == "Command" and body.get("schemaVersion") == "2.2":
        steps = body.get("mainSteps")
        if not isinstance(steps, list) or not steps:
            raise AwsRejects("InvalidDocumentContent: a schema 2.2 document needs mainSteps")
        step_names = [s.get("name") for s in steps]
        if len(set(step_names)) != len(step_names):
            raise AwsRejects(f"InvalidDocumentContent: step names must be unique, got {step_names}")
        undeclared = _document_parameters_used(steps) - set(body.get("parameters") or {})
        if undeclared:
            raise AwsRejects(f'InvalidDocumentContent: Parameter "{sorted(undeclared)[0]}" is not declared.')


def ssm_document(fake, name: str, inputs: dict):
    document_name = inputs.get("name") or name
    if isinstance(inputs.get("content"), str):
        check_document(document_name, inputs.get("documentType", ""), inputs["content"],
                       inputs.get("documentFormat") or "JSON")
    content = inputs.get("content")
    body = json.loads(content) if isinstance(content, str) and (inputs.get("documentFormat") or "JSON") == "JSON" \
        else {}
    return document_name, {
        "name": document_name, "arn": fake.arn("ssm", f"document/{document_name}"), "owner": fake.account_id,
        "status": "Active", "documentVersion": "1", "defaultVersion": "1", "latestVersion": "1",
        "documentFormat": inputs.get("documentFormat") or "JSON", "schemaVersion": body.get("schemaVersion"),
        "description": body.get("description", ""), "platformTypes": ["Linux", "MacOS"], "hashType": "Sha256",
        "tagsAll": inputs.get("tags", {})}


def _check_queries(name: str, queries: list, inputs: dict) -> list:
    """The metric math alarm's queries; returns the periods of the metrics they retrieve."""
    combined = [f for f in _SINGLE_METRIC_FIELDS if inputs.get(f) is not None]
    if combined:
        raise AwsRejects(f"ValidationError: alarm {name}: Metrics cannot be combined with {', '.join(combined)}")
    stats = [q for q in queries if q.get("metric")]
    expressions = [q for q in queries if q.get("expression")]
    if len(queries) > 20 or len(stats) > 10 or len(expressions) > 10:
        raise AwsRejects(f"ValidationError: alarm {name}: {len(queries)} queries ({len(stats)} metrics, "
                         f"{len(expressions)} expressions): at most 20, 10 and 10")
    ids = [q.get("id") for q in queries]
    if len(set(ids)) != len(ids) or not all(isinstance(i, str) and _QUERY_ID.match(i) for i in ids):
        raise AwsRejects(f"ValidationError: alarm {name}: query Ids {ids} must be unique and start with a lowercase "
                         "letter")
    if any(bool(q.get("metric")) == bool(q.get("expression")) for q in queries):
        raise AwsRejects(f"ValidationError: alarm {name}: each query is either a metric or an expression")
    if sum(q.get("returnData") is True for q in queries) != 1:
        raise AwsRejects(f"ValidationError: alarm {name}: exactly one query must have ReturnData true")
    for q in expressions:
        unknown = set(_EXPRESSION_NAME.findall(q["expression"])) - set(ids)
        if unknown:
            raise AwsRejects(f"ValidationError: alarm {name}: expression {q['expression']!r} names unknown Ids "
                             f"{sorted(unknown)}")
    return [q["metric"].get("period") for q in stats]


def _check_period(name: str, period, evaluations) -> None:
    if isinstance(period, (int, float)):
        if not (period in (10, 20, 30) or (period >= 60 and period % 60 == 0)):
            raise AwsRejects(f"ValidationError: alarm {name}: Period {period} must be 10, 20, 30 or a multiple of 60")
        if isinstance(evaluations, (int, float)):
            limit = 86_400 if period < 3_600 else 604_800
            if period * evaluations > limit:
                raise AwsRejects(f"ValidationError: alarm {name}: Period x EvaluationPeriods = "
                                 f"{period * evaluations:.0f} s exceeds {limit} s")


def check_alarm(name: str, inputs: dict) -> None:
    evaluations = inputs.get("evaluationPeriods")
    queries = inputs.get("metricQueries")
    for period in _check_queries(name, queries, inputs) if queries else [inputs.get("period")]:
        _check_period(name, period, evaluations)
    datapoints = inputs.get("datapointsToAlarm")
    if isinstance(datapoints, (int, float)) and isinstance(evaluations, (int, float)) and datapoints > evaluations:
        raise AwsRejects(f"ValidationError: alarm {name}: DatapointsToAlarm {datapoints} > EvaluationPeriods "
                         f"{evaluations}")
    missing = inputs.get("treatMissingData")
    if isinstance(missing, str) and missing not in TREAT_MISSING_DATA:
        raise AwsRejects(f"ValidationError: alarm {name}: TreatMissingData {missing!r} is not one of "
                         f"{sorted(TREAT_MISSING_DATA)}")
    description = inputs.get("alarmDescription")
    if isinstance(description, str) and len(description) > 1024:
        raise AwsRejects(f"ValidationError: alarm {name}: AlarmDescription is {len(description)} characters "
                         "(at most 1024)")


def checked_alarm(handler):
    """Wraps the fake's alarm handler with PutMetricAlarm's checks."""
    def handle(fake, name: str, inputs: dict):
        check_alarm(inputs.get("name") or name, inputs)
        return handler(fake, name, inputs)
    return handle
