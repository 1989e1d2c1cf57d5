"""AWS CLI command -> IAM action, and what the Service Authorization Reference says of that action.

Operation names come from botocore's service models; the actions, resource types and ARN formats from
parliament's copy of the Service Authorization Reference.
"""

from __future__ import annotations

import re
from functools import cache

import botocore.session
import parliament
from botocore import xform_name
from iam_eval import as_list

CLI_TO_BOTOCORE = {"s3api": "s3", "configservice": "config", "deploy": "codedeploy"}
IAM_PREFIX = {"s3api": "s3", "configservice": "config", "deploy": "codedeploy", "stepfunctions": "states"}
# API operations whose IAM action has another name (Service Authorization Reference, each service's page).
IAM_ACTION_FOR_OPERATION = {
    "s3:ListObjectsV2": "s3:ListBucket", "s3:ListObjects": "s3:ListBucket", "s3:HeadBucket": "s3:ListBucket",
    "s3:HeadObject": "s3:GetObject", "s3:ListObjectVersions": "s3:ListBucketVersions",
    "lambda:Invoke": "lambda:InvokeFunction",
}


@cache
def _botocore():
    return botocore.session.get_session()


@cache
def sar_privileges() -> dict[str, dict]:
    """'service:Action' (lower case) -> the Service Authorization Reference entry parliament ships."""
    out = {}
    for service in parliament.iam_definition:
        for privilege in service["privileges"]:
            out[f"{service['prefix']}:{privilege['privilege']}".lower()] = {**privilege, "_service": service}
    return out


def iam_action(service: str, command: str, positionals: list[str] = ()) -> str:
    model = _botocore().get_service_model(CLI_TO_BOTOCORE.get(service, service))
    if command == "wait":
        waiters = _botocore().get_waiter_model(model.service_name)
        by_cli = {xform_name(w, "-"): w for w in waiters.waiter_names}
        operation = waiters.get_waiter(by_cli[positionals[0]]).operation
    else:
        by_cli = {xform_name(op, "-"): op for op in model.operation_names}
        if command not in by_cli:
            raise KeyError(f"aws {service} {command}: not an API operation of {model.service_name} "
                           "(a CLI customization: add it here with the IAM actions it needs)")
        operation = by_cli[command]
    action = f"{IAM_PREFIX.get(service, service)}:{operation}"
    action = IAM_ACTION_FOR_OPERATION.get(action, action)
    if action.lower() not in sar_privileges():
        raise KeyError(f"{action} (from aws {service} {command}) is not an IAM action; map it explicitly")
    return action


def required_resource_types(action: str) -> set[str]:
    types = [t["resource_type"] for t in sar_privileges()[action.lower()]["resource_types"]]
    return {t.rstrip("*").lower() for t in types if t.endswith("*")}


def sar_arn_format(action: str, resource_type: str) -> str:
    service = sar_privileges()[action.lower()]["_service"]
    [fmt] = [r["arn"] for r in service["resources"] if r["resource"].lower() == resource_type]
    return fmt


def arn_fits(sar_format: str, arn: str) -> bool:
    """'arn:${Partition}:ec2:${Region}:${Account}:volume/${VolumeId}' fits a concrete volume ARN."""
    regex = "".join(".+" if part.startswith("${") else re.escape(part)
                    for part in re.split(r"(\$\{[^}]+\})", sar_format))
    return re.fullmatch(regex, arn) is not None


def granted_actions(policy: dict) -> set[str]:
    """Every action an Allow statement of the policy names, wildcards expanded by parliament."""
    out = set()
    for stmt in policy["Statement"]:
        if stmt["Effect"] == "Allow":
            for action in as_list(stmt["Action"]):
                out |= {f"{a['service']}:{a['action']}" for a in parliament.expand_action(action)}
    return out
