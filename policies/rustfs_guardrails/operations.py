"""Snapshot policies, DNS and budgets."""

from __future__ import annotations

from pulumi_policy import Severity

from ._kit import Res, aws, get, is_false, is_unknown, items, resource_policy, stack_policy

DLM = aws("dlm", "LifecyclePolicy")
ZONE = aws("route53", "Zone")
QUERY_LOG = aws("route53", "QueryLog")
DNSSEC = aws("route53", "HostedZoneDnsSec")
BUDGET = aws("budgets", "Budget")


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
    config={"minResources": {"type": "number", "minimum": 1, "default": 10}})

POLICIES = [dlm_policy, public_zones, budget_notifications, budget_exists]
