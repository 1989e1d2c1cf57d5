"""The fake AWS's CloudWatch Logs encryption checks: a log group created with ``kmsKeyId`` takes a key of its own
Region whose key policy lets that Region's CloudWatch Logs use it for that group (CloudWatch Logs User Guide,
"Encrypt log data in CloudWatch Logs using AWS KMS": "the KMS key must be in the same Region as the log group"; the
key policy admits ``logs.<region>.amazonaws.com`` and its ``kms:EncryptionContext:aws:logs:arn`` condition names
the log group; otherwise CreateLogGroup/AssociateKmsKey fail with "The specified KMS key does not exist or is not
allowed to be used"). The edge's log groups in us-east-1 (components/edge/distribution.py) and the stack's own are
checked alike; a key not created by the stack is checked for its Region only."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase

from pulumi.output import Unknown

from .fake_operations import AwsRejects

_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key/")
CONTEXT_KEY = "kms:EncryptionContext:aws:logs:arn"
NEEDED = ("kms:GenerateDataKey", "kms:Decrypt")


def _policies(fake) -> dict:
    return fake.account.__dict__.setdefault("_key_policies", {})


def remember_key(fake, arn: str, inputs: dict) -> None:
    """The key's policy (a JSON string once known) by ARN, for the log groups that name it later."""
    policy = inputs.get("policy")
    if isinstance(policy, str) and not isinstance(policy, Unknown):
        _policies(fake)[arn] = policy


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _condition_holds(condition: dict, group_arn: str) -> bool:
    for operator, keys in (condition or {}).items():
        for key, values in keys.items():
            if key != CONTEXT_KEY:
                continue  # other keys (aws:SourceAccount...) are the caller's; CloudWatch Logs meets them
            values = _listed(values)
            if operator in ("ArnLike", "StringLike") and not any(fnmatchcase(group_arn, v) for v in values):
                return False
            if operator in ("ArnEquals", "StringEquals") and group_arn not in values:
                return False
    return True


def _allows_logs(policy: dict, service: str, group_arn: str) -> bool:
    granted = set()
    for st in _listed(policy.get("Statement") or []):
        principal = (st.get("Principal") or {}) if isinstance(st.get("Principal"), dict) else {}
        if st.get("Effect") != "Allow" or service not in _listed(principal.get("Service") or []):
            continue
        if not _condition_holds(st.get("Condition") or {}, group_arn):
            continue
        actions = _listed(st.get("Action") or [])
        granted |= {a for a in NEEDED if any(fnmatchcase(a, pattern) for pattern in actions)}
    return granted == set(NEEDED)


def check_log_group_key(fake, group: str, group_arn: str, inputs: dict) -> None:
    key = inputs.get("kmsKeyId")
    if not isinstance(key, str) or isinstance(key, Unknown) or key.startswith("04da6b54-"):
        return
    match = _KEY_ARN.match(key)
    if match is None:
        return  # a key ID or alias: the fake cannot tell its Region
    if match.group(1) != fake.region:
        raise AwsRejects(f"InvalidParameterException: log group {group!r} in {fake.region}: the KMS key {key} is in "
                         f"{match.group(1)}; CloudWatch Logs uses keys of the log group's own Region")
    policy = _policies(fake).get(key)
    if policy is None:
        return
    service = f"logs.{fake.region}.amazonaws.com"
    if not _allows_logs(json.loads(policy), service, group_arn):
        raise AwsRejects(f"AccessDeniedException: log group {group!r}: the key policy of {key} does not let {service} "
                         f"use it (kms:GenerateDataKey and kms:Decrypt) with the encryption context {group_arn}")
