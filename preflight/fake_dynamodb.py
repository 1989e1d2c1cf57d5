"""The fake AWS's DynamoDB tables, with the checks CreateTable makes (DynamoDB API Reference, CreateTable,
AttributeDefinition, KeySchemaElement, SSESpecification, OnDemandThroughput; Developer Guide, "Supported data types
and naming rules" and "Quotas"):

- TableName 3-255 characters of ``[a-zA-Z0-9_.-]``; at most 2,500 tables per account and Region (default quota).
- The hash (and range) key is a declared attribute of type S, N or B, and every declared attribute is a key of the
  table or of an index ("Number of attributes in KeySchema must match the number of attributes defined in
  AttributeDefinitions" is a ValidationException).
- BillingMode PROVISIONED needs read and write capacity of at least 1; PAY_PER_REQUEST takes none of them, and its
  OnDemandThroughput maxima are -1 or at least 1.
- A KMS key in SSESpecification only with SSE enabled.
"""

from __future__ import annotations

import re

from .fake_operations import AwsRejects

_TABLE_NAME = re.compile(r"^[a-zA-Z0-9_.-]{3,255}$")
KEY_TYPES = {"S", "N", "B"}
BILLING_MODES = {"PROVISIONED", "PAY_PER_REQUEST"}


def _known_int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_table(name: str, inputs: dict) -> None:
    table = inputs.get("name")
    if isinstance(table, str) and not _TABLE_NAME.match(table):
        raise AwsRejects(f"ValidationException: table name {table!r} must be 3-255 characters of a-zA-Z0-9_.-")
    attributes = {a.get("name"): a.get("type") for a in inputs.get("attributes") or []}
    for n, kind in attributes.items():
        if isinstance(kind, str) and kind not in KEY_TYPES:
            raise AwsRejects(f"ValidationException: table {name}: attribute {n} has type {kind!r}; key attributes are "
                             "S, N or B")
    keys = [k for k in (inputs.get("hashKey"), inputs.get("rangeKey")) if k]
    for index in [*(inputs.get("globalSecondaryIndexes") or []), *(inputs.get("localSecondaryIndexes") or [])]:
        keys += [k for k in (index.get("hashKey"), index.get("rangeKey")) if k]
    if not inputs.get("hashKey"):
        raise AwsRejects(f"ValidationException: table {name}: a hash key is required")
    missing = [k for k in keys if isinstance(k, str) and k not in attributes]
    if missing:
        raise AwsRejects(f"ValidationException: table {name}: key attributes {missing} are not in AttributeDefinitions")
    unused = [a for a in attributes if a not in keys]
    if unused:
        raise AwsRejects(f"ValidationException: table {name}: Number of attributes in KeySchema does not match the "
                         f"number of attributes defined in AttributeDefinitions (unused: {unused})")
    mode = inputs.get("billingMode") or "PROVISIONED"
    if isinstance(mode, str) and mode not in BILLING_MODES:
        raise AwsRejects(f"ValidationException: table {name}: BillingMode {mode!r} is not one of "
                         f"{sorted(BILLING_MODES)}")
    read, write = _known_int(inputs.get("readCapacity")), _known_int(inputs.get("writeCapacity"))
    if mode == "PROVISIONED" and not (read and read >= 1 and write and write >= 1):
        raise AwsRejects(f"ValidationException: table {name}: PROVISIONED needs read and write capacity of at least 1")
    if mode == "PAY_PER_REQUEST" and (read or write):
        raise AwsRejects(f"ValidationException: table {name}: PAY_PER_REQUEST takes no provisioned capacity")
    for key, value in (inputs.get("onDemandThroughput") or {}).items():
        units = _known_int(value)
        if units is not None and units != -1 and units < 1:
            raise AwsRejects(f"ValidationException: table {name}: OnDemandThroughput {key} {units} must be -1 or >= 1")
    sse = inputs.get("serverSideEncryption") or {}
    if sse.get("kmsKeyArn") and sse.get("enabled") is not True:
        raise AwsRejects(f"ValidationException: table {name}: a KMS key needs SSE enabled")


def dynamodb_table(fake, name: str, inputs: dict):
    check_table(name, inputs)
    tables = fake.__dict__.setdefault("_dynamodb_tables", set())
    table = inputs.get("name") or name
    tables.add(table)
    if len(tables) > 2_500:
        raise AwsRejects("LimitExceededException: more than 2,500 tables in the account and Region")
    return table, {"name": table, "arn": fake.arn("dynamodb", f"table/{table}"), "tagsAll": inputs.get("tags", {})}


RESOURCES = {"aws:dynamodb/table:Table": dynamodb_table}
