"""The fake AWS's SSM parameters and State Manager associations, with the checks the real APIs make.

PutParameter (SSM API reference, PutParameter; SSM User Guide, "Managing parameter tiers" and "Parameter
requirements and constraints"): Type String | StringList | SecureString; Tier Standard | Advanced |
Intelligent-Tiering; a Standard value holds at most 4 KB and an Advanced one 8 KB (ParameterMaxVersionLimitExceeded
aside, a longer value is a ValidationException); the name is at most 2,048 characters of ``a-zA-Z0-9_.-/``, at most
15 levels deep, a hierarchy name starts with ``/``, and no name starts with ``aws`` or ``ssm`` (case-insensitive);
DataType text | aws:ec2:image | aws:ssm:integration; Description at most 1,024 characters; KeyId only with
SecureString.

CreateAssociation (SSM API reference, CreateAssociation, Target; SSM User Guide, "Reference: Cron and rate
expressions for Systems Manager": associations take ``rate(N minutes)`` from 30 minutes up): AssociationName
``^[a-zA-Z0-9_\\-.]{3,128}$``; at most 5 targets, each a key ``InstanceIds``, ``tag:<key>``, ``tag-key``,
``resource-groups:Name`` or ``resource-groups:ResourceTypeFilters`` with 1-50 values; ComplianceSeverity CRITICAL |
HIGH | MEDIUM | LOW | UNSPECIFIED; MaxConcurrency ``^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$``; MaxErrors
``^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$``; an association needs a document name.
"""

from __future__ import annotations

import hashlib
import re

from .fake_operations import AwsRejects

STANDARD_VALUE_BYTES, ADVANCED_VALUE_BYTES = 4 * 1024, 8 * 1024
PARAMETER_TYPES = {"String", "StringList", "SecureString"}
TIERS = {"Standard", "Advanced", "Intelligent-Tiering"}
DATA_TYPES = {"text", "aws:ec2:image", "aws:ssm:integration"}
_PARAMETER_NAME = re.compile(r"^[a-zA-Z0-9_.\-/]{1,2048}$")
_ASSOCIATION_NAME = re.compile(r"^[a-zA-Z0-9_\-.]{3,128}$")
_TARGET_KEY = re.compile(r"^(InstanceIds|tag:.{1,128}|tag-key|resource-groups:Name|"
                         r"resource-groups:ResourceTypeFilters)$")
_MAX_CONCURRENCY = re.compile(r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$")
_MAX_ERRORS = re.compile(r"^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
SEVERITIES = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNSPECIFIED"}
MIN_RATE_MINUTES = 30


def check_parameter(name: str, inputs: dict) -> None:
    ptype, tier = inputs.get("type"), inputs.get("tier") or "Standard"
    if ptype not in PARAMETER_TYPES:
        raise AwsRejects(f"ValidationException: parameter {name}: Type {ptype!r} is not one of "
                         f"{sorted(PARAMETER_TYPES)}")
    if tier not in TIERS:
        raise AwsRejects(f"ValidationException: parameter {name}: Tier {tier!r} is not one of {sorted(TIERS)}")
    if not _PARAMETER_NAME.match(name) or name.strip("/").count("/") >= 15:
        raise AwsRejects(f"ValidationException: parameter name {name!r}: at most 2048 characters of a-zA-Z0-9_.-/ "
                         "and 15 levels")
    if "/" in name and not name.startswith("/"):
        raise AwsRejects(f"ValidationException: parameter name {name!r}: a hierarchy name starts with /")
    if name.lstrip("/").lower().startswith(("aws", "ssm")):
        raise AwsRejects(f"AccessDeniedException: parameter name {name!r}: names starting with aws or ssm are "
                         "reserved")
    given = [k for k in ("value", "insecureValue", "valueWo") if inputs.get(k) is not None]
    if len(given) != 1:
        # The provider's schema: exactly one of value, insecure_value, value_wo.
        raise AwsRejects(f"parameter {name}: exactly one of value, insecureValue or valueWo is required, got "
                         f"{given or 'none'}")
    if "insecureValue" in given and ptype == "SecureString":
        raise AwsRejects(f"parameter {name}: insecureValue is not valid with Type SecureString")
    value = inputs.get(given[0])
    if isinstance(value, str):
        size = len(value.encode())
        limit = STANDARD_VALUE_BYTES if tier == "Standard" else ADVANCED_VALUE_BYTES
        if size > limit:
            raise AwsRejects(f"ValidationException: parameter {name}: a {tier} value holds at most {limit} bytes, "
                             f"this one is {size}" + (" (use the Advanced tier)" if tier == "Standard" else ""))
    data_type = inputs.get("dataType") or "text"
    if data_type not in DATA_TYPES:
        raise AwsRejects(f"ValidationException: parameter {name}: DataType {data_type!r} is not one of "
                         f"{sorted(DATA_TYPES)}")
    if inputs.get("keyId") and ptype != "SecureString":
        raise AwsRejects(f"ValidationException: parameter {name}: KeyId is only for SecureString")
    if len(inputs.get("description") or "") > 1024:
        raise AwsRejects(f"ValidationException: parameter {name}: Description is over 1024 characters")


def check_association(name: str, inputs: dict) -> None:
    if not inputs.get("name"):
        raise AwsRejects(f"ValidationException: association {name}: Name (the document) is required")
    association_name = inputs.get("associationName")
    if isinstance(association_name, str) and not _ASSOCIATION_NAME.match(association_name):
        raise AwsRejects(f"ValidationException: association name {association_name!r} must match "
                         f"{_ASSOCIATION_NAME.pattern}")
    targets = inputs.get("targets") or []
    if len(targets) > 5:
        raise AwsRejects(f"ValidationException: association {name}: at most 5 targets, got {len(targets)}")
    for target in targets:
        key, values = target.get("key"), target.get("values") or []
        if not isinstance(key, str) or not _TARGET_KEY.match(key) or not 1 <= len(values) <= 50:
            raise AwsRejects(f"ValidationException: association {name}: target {target!r} needs a key InstanceIds, "
                             "tag:<key>, tag-key or resource-groups:* and 1-50 values")
    severity = inputs.get("complianceSeverity")
    if severity is not None and severity not in SEVERITIES:
        raise AwsRejects(f"ValidationException: association {name}: ComplianceSeverity {severity!r} is not one of "
                         f"{sorted(SEVERITIES)}")
    for key, pattern in (("maxConcurrency", _MAX_CONCURRENCY), ("maxErrors", _MAX_ERRORS)):
        value = inputs.get(key)
        if isinstance(value, str) and not pattern.match(value):
            raise AwsRejects(f"ValidationException: association {name}: {key} {value!r} must match {pattern.pattern}")
    schedule = inputs.get("scheduleExpression")
    rate = _RATE.match(schedule) if isinstance(schedule, str) else None
    if rate and rate[2].startswith("minute") and int(rate[1]) < MIN_RATE_MINUTES:
        raise AwsRejects(f"InvalidSchedule: association {name}: rate expressions start at {MIN_RATE_MINUTES} minutes")


def ssm_parameter(fake, name: str, inputs: dict):
    parameter_name = inputs.get("name") or name
    check_parameter(parameter_name, inputs)
    arn = fake.arn("ssm", f"parameter/{parameter_name.lstrip('/')}")
    return parameter_name, {"name": parameter_name, "arn": arn, "version": 1, "tier": inputs.get("tier") or "Standard",
                            "dataType": inputs.get("dataType") or "text",
                            "insecureValue": inputs.get("insecureValue"),
                            "tagsAll": inputs.get("tags", {})}


def ssm_association(fake, name: str, inputs: dict):
    check_association(inputs.get("associationName") or name, inputs)
    digest = hashlib.sha256(f"association/{name}".encode()).hexdigest()
    association_id = "-".join(digest[i:j] for i, j in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))
    return association_id, {"associationId": association_id, "arn": fake.arn("ssm", f"association/{association_id}"),
                            "tagsAll": inputs.get("tags", {})}


RESOURCES = {
    "aws:ssm/parameter:Parameter": ssm_parameter,
    "aws:ssm/association:Association": ssm_association,
}
