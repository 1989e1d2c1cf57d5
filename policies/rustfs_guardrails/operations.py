"""Snapshot policies, DNS, budgets and Run Command documents."""

from __future__ import annotations

import json
import re

from pulumi_policy import Severity

from ._kit import Res, aws, get, is_false, is_unknown, items, known_str, resource_policy, stack_policy

DLM = aws("dlm", "LifecyclePolicy")
ZONE = aws("route53", "Zone")
QUERY_LOG = aws("route53", "QueryLog")
DNSSEC = aws("route53", "HostedZoneDnsSec")
BUDGET = aws("budgets", "Budget")
SSM_DOCUMENT = aws("ssm", "Document")


def _check_dlm(res: Res, cfg: dict, report) -> None:
    if res.get("state") == "DISABLED":
        report(f"DLM policy '{res.name}' is disabled.")
    for i, schedule in enumerate(items(res.props, "policyDetails", "schedules")):
        if not isinstance(schedule, dict):
            continue
        retain = get(schedule, "retainRule")
        if isinstance(retain, dict) and not any(retain.get(k) is not None for k in ("count", "interval")):
            report(f"DLM policy '{res.name}' schedules[{i}] retains nothing (retainRule without count/interval).")
        for j, rule in enumerate(items(schedule, "crossRegionCopyRules")):
            if not isinstance(rule, dict) or is_unknown(rule.get("encrypted")):
                continue
            if is_false(rule.get("encrypted")) or rule.get("encrypted") is None:
                report(f"DLM policy '{res.name}' schedules[{i}].crossRegionCopyRules[{j}] copies snapshots "
                       "unencrypted.")
            elif rule.get("cmkArn") is None:
                report(f"DLM policy '{res.name}' schedules[{i}].crossRegionCopyRules[{j}] copies without a "
                       "customer-managed key (cmkArn).")


dlm_policy = resource_policy(
    "rustfs-dlm-lifecyclepolicy-require-encrypted-copies",
    "DLM policies are enabled, retain snapshots, and encrypt cross-region copies with a customer-managed key.",
    severity=Severity.HIGH, types=[DLM], check=_check_dlm, checks=["CKV_AWS_183"], topics=["backup", "encryption"])


def _is_public(zone: Res) -> bool:
    vpcs = zone.get("vpcs")
    return not is_unknown(vpcs) and not zone.items("vpcs")


def _check_public_zones(resources: list[Res], cfg: dict, report) -> None:
    logs = [r for r in resources if r.type == QUERY_LOG]
    dnssec = [r for r in resources if r.type == DNSSEC]
    for zone in (r for r in resources if r.type == ZONE and _is_public(r)):
        if not any(q.refers_to("zoneId", zone) for q in logs):
            report(f"Public hosted zone '{zone.name}' has no query logging.", zone.urn)
        if not any(d.refers_to("hostedZoneId", zone) for d in dnssec):
            report(f"Public hosted zone '{zone.name}' does not sign with DNSSEC.", zone.urn)


public_zones = stack_policy(
    "rustfs-route53-zone-require-query-logging-and-dnssec",
    "Public hosted zones log queries and sign with DNSSEC (the RustFS endpoint zone is private).",
    severity=Severity.LOW, types=[ZONE, QUERY_LOG, DNSSEC], check=_check_public_zones,
    checks=["CKV2_AWS_39", "CKV2_AWS_38", "Route53.2"], topics=["logging", "network"])


def _check_budget_notifications(res: Res, cfg: dict, report) -> None:
    notifications = res.get("notifications")
    if notifications is None or (isinstance(notifications, list) and not notifications):
        report(f"Budget '{res.name}' alerts no one (no notifications).")


budget_notifications = resource_policy(
    "rustfs-budgets-budget-require-notifications",
    "AWS Budgets notify subscribers.",
    severity=Severity.LOW, types=[BUDGET], check=_check_budget_notifications, topics=["cost"])


def _check_budget_exists(resources: list[Res], cfg: dict, report) -> None:
    aws_resources = [r for r in resources if r.type.startswith("aws:")]
    if len(aws_resources) >= cfg["minResources"] and not any(r.type == BUDGET for r in resources):
        report("The stack creates AWS resources but no AWS Budget to watch their cost.", None)


budget_exists = stack_policy(
    "rustfs-budgets-stack-require-budget",
    "A stack that creates AWS resources also creates an AWS Budget with alerts.",
    severity=Severity.LOW, types=[BUDGET], check=_check_budget_exists, topics=["cost"],
    config={"minResources": {"type": "number", "minimum": 1, "default": 10}}, reads_every_type=True)



def _check_document_sharing(res: Res, cfg: dict, report) -> None:
    permissions = res.get("permissions")
    if not isinstance(permissions, dict):
        return
    accounts = permissions.get("account_ids", permissions.get("accountIds"))
    if isinstance(accounts, str) and "all" in (a.strip().lower() for a in accounts.split(",")):
        report(f"SSM document '{res.name}' is shared with every AWS account (permissions account_ids 'All').")


document_sharing = resource_policy(
    "rustfs-ssm-document-disallow-public-sharing",
    "SSM documents are never shared publicly: a Command document shows every AWS account what runs on the "
    "nodes, as root.",
    severity=Severity.HIGH, types=[SSM_DOCUMENT], check=_check_document_sharing,
    checks=["CKV_AWS_303", "SSM.4"], topics=["exposure", "operations"],
    remediation="Remove `permissions`, or share with named account IDs only.")

_REFERENCE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_SHELL_ACTIONS = {"aws:runShellScript", "aws:runPowerShellScript"}


def _check_document_parameters(res: Res, cfg: dict, report) -> None:
    content = known_str(res.get("content"))
    if res.get("documentType") != "Command" or content is None:
        return
    try:
        body = json.loads(content)
    except ValueError:
        return  # YAML/TEXT content: not read here
    declared = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
    for step in body.get("mainSteps") or []:
        if not isinstance(step, dict) or step.get("action") not in _SHELL_ACTIONS:
            continue
        script = json.dumps((step.get("inputs") or {}).get("runCommand", ""))
        for name in sorted(set(_REFERENCE.findall(script))):
            spec = declared.get(name)
            if isinstance(spec, dict) and spec.get("type", "String") in ("String", "StringList") and not (
                    spec.get("allowedValues") or spec.get("allowedPattern")):
                report(f"SSM document '{res.name}' step '{step.get('name')}' pastes parameter '{name}' into its "
                       "script without allowedValues or allowedPattern: whoever may send the command can run "
                       "any shell command as root.")


document_parameters = resource_policy(
    "rustfs-ssm-document-require-constrained-parameters",
    "Run Command documents constrain every parameter they paste into a shell script (allowedValues or "
    "allowedPattern): Run Command substitutes parameters into the script text before it runs.",
    severity=Severity.MEDIUM, types=[SSM_DOCUMENT], check=_check_document_parameters,
    topics=["iam", "operations"],
    remediation="Give each such parameter allowedValues, or an allowedPattern that admits no shell syntax.")

POLICIES = [dlm_policy, public_zones, budget_notifications, budget_exists, document_sharing, document_parameters]
