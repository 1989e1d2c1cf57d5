"""Snapshot policies, DNS, budgets, Run Command documents, patching and shell access (Session Manager only)."""

from __future__ import annotations

import json
import re

from pulumi_policy import Severity

from rustfs_model.schedules import schedule_minutes

from ._kit import (
    Res,
    aws,
    get,
    is_false,
    is_true,
    is_unknown,
    items,
    known_num,
    known_str,
    resource_policy,
    stack_policy,
)
from ._userdata import findings
from .security_groups import RULE_TYPES, rules_of

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
    # IAM has no charge: a stack of roles and policies only (bootstrap/, the delivery roles) has no cost to watch.
    aws_resources = [r for r in resources if r.type.startswith("aws:") and not r.type.startswith("aws:iam/")]
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

# ---- SSM parameters and State Manager associations (the node collector: components/observability/collector.py) ----

SSM_PARAMETER = aws("ssm", "Parameter")
SSM_ASSOCIATION = aws("ssm", "Association")
# Keys of a structured value that name a credential; a literal string under one is a secret in plain text.
_SECRET_KEY = re.compile(r"(?:^|[_.\-])(password|passwd|secret|secret_?key|secret_?access_?key|token|api_?key|"
                         r"private_?key|credentials?)$", re.I)
# Not a credential itself: a reference the consumer resolves (${env:X}, {{resolve:...}}, an ARN, a parameter path).
_REFERENCE_VALUE = re.compile(r"^(\$\{[^}]+\}|\{\{\s*resolve:.*\}\}|arn:aws[a-z-]*:.*|/[A-Za-z0-9_.\-/]+)$")
STANDARD_PARAMETER_BYTES = 4 * 1024  # SSM User Guide, "Managing parameter tiers": Standard values hold 4 KB


def _secret_keys(value, path: str = "") -> list[str]:
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(item, str) and item and _SECRET_KEY.search(str(key)) and not _REFERENCE_VALUE.match(item):
                found.append(where)
            found += _secret_keys(item, where)
        return found
    if isinstance(value, list):
        return [k for i, item in enumerate(value) for k in _secret_keys(item, f"{path}[{i}]")]
    return []


def _check_parameter_secrets(res: Res, cfg: dict, report) -> None:
    ptype = res.get("type")
    if is_unknown(ptype) or ptype == "SecureString":
        return
    for prop in ("value", "insecureValue"):
        text = known_str(res.get(prop))
        if not text:
            continue
        found = list(findings(text))
        try:
            found += [f"a literal value under '{k}'" for k in _secret_keys(json.loads(text))]
        except ValueError:
            pass  # not JSON: the text patterns above still apply
        if found:
            report(f"SSM parameter '{res.name}' is a {ptype} with {', '.join(sorted(set(found)))} in its {prop}: "
                   "anyone with ssm:GetParameter (or the console) reads it unencrypted, and it is in the state file.")


parameter_secrets = resource_policy(
    "rustfs-ssm-parameter-disallow-plaintext-secrets",
    "String and StringList SSM parameters hold no credentials (access keys, private keys, passwords, tokens, a "
    "literal value under a secret-named key): those belong in Secrets Manager or a KMS-encrypted SecureString.",
    severity=Severity.HIGH, types=[SSM_PARAMETER], check=_check_parameter_secrets,
    topics=["credentials", "encryption"],
    remediation="Move the secret to Secrets Manager (or type=\"SecureString\" with a customer key) and reference it.")


def _check_parameter_tier(res: Res, cfg: dict, report) -> None:
    text = known_str(res.get("value")) or known_str(res.get("insecureValue"))
    if res.get("tier") != "Advanced" or text is None:
        return
    size = len(text.encode())
    if size <= STANDARD_PARAMETER_BYTES:
        report(f"SSM parameter '{res.name}' is Advanced tier for a value of {size} bytes, which fits the Standard "
               f"tier's {STANDARD_PARAMETER_BYTES}: an Advanced parameter is billed per month, a Standard one is not "
               "(and one cannot go back from Advanced to Standard).")


parameter_tier = resource_policy(
    "rustfs-ssm-parameter-disallow-needless-advanced-tier",
    "SSM parameters use the Advanced tier only for values over the Standard tier's 4 KB (Advanced parameters are "
    "charged per parameter-month; a parameter cannot be moved back to Standard).",
    severity=Severity.LOW, types=[SSM_PARAMETER], check=_check_parameter_tier, topics=["cost"],
    remediation="Use tier=\"Standard\" (components/observability/collector.py parameter_tier picks by size).")

# The targets that name instances by what they are, not "every managed instance" (CreateAssociation, Target):
# InstanceIds ["*"] is every managed node of the Region, tag-key every node carrying the key whatever its value.
_SCOPED_TARGET = re.compile(r"^(tag:.+|InstanceIds|resource-groups:Name)$")


def _check_association_targets(res: Res, cfg: dict, report) -> None:
    targets = res.get("targets")
    if is_unknown(targets):
        return
    if not targets:
        report(f"State Manager association '{res.name}' has no targets.")
        return
    for target in targets:
        if not isinstance(target, dict) or is_unknown(target.get("key")) or is_unknown(target.get("values")):
            continue
        key, values = target.get("key"), [v for v in target.get("values") or [] if not is_unknown(v)]
        if not isinstance(key, str) or not _SCOPED_TARGET.match(key):
            report(f"State Manager association '{res.name}' targets by {key!r}: that selects every instance with "
                   "the key (or every managed node), not one cluster's; target tag:<key> with its values.")
        elif any(isinstance(v, str) and ("*" in v or v.strip().lower() == "all") for v in values) or not values:
            report(f"State Manager association '{res.name}' targets {key}={values}: a wildcard reaches every "
                   "managed node of the account and Region; name the cluster's tag value.")


association_targets = resource_policy(
    "rustfs-ssm-association-require-scoped-targets",
    "State Manager associations target instances by tag value (or named instances or resource groups), never every "
    "managed node (InstanceIds *, a wildcard value, tag-key): the document runs as root on whatever it reaches.",
    severity=Severity.HIGH, types=[SSM_ASSOCIATION], check=_check_association_targets,
    topics=["operations", "iam"],
    remediation="targets=[AssociationTargetArgs(key=\"tag:rustfs:cluster\", values=[cluster_id])].")


def _check_association_severity(res: Res, cfg: dict, report) -> None:
    severity = res.get("complianceSeverity")
    if is_unknown(severity):
        return
    if severity in (None, "", "UNSPECIFIED"):
        report(f"State Manager association '{res.name}' sets no compliance severity: a node where it fails shows "
               "as non-compliant without a severity, and Security Hub / Config conformance cannot rank it.")


association_severity = resource_policy(
    "rustfs-ssm-association-require-compliance-severity",
    "State Manager associations set a compliance severity (CRITICAL, HIGH, MEDIUM or LOW), so a node where one "
    "fails is ranked in Systems Manager compliance.",
    severity=Severity.LOW, types=[SSM_ASSOCIATION], check=_check_association_severity,
    topics=["operations"],
    remediation="Set compliance_severity (the collector's association uses HIGH).")

def _check_association_schedule(res: Res, cfg: dict, report) -> None:
    expression = known_str(res.get("scheduleExpression"))
    if expression is None:
        return
    interval = schedule_minutes(expression.strip())
    if interval is not None and interval < cfg["minMinutes"]:
        report(f"State Manager association '{res.name}' runs every {interval} minutes ({expression}); this stack "
               f"allows at most one run every {cfg['minMinutes']:g} minutes (each run is a document on every node).")


association_schedule = resource_policy(
    "rustfs-ssm-association-disallow-frequent-schedule",
    "State Manager associations run at most every minMinutes (default 30, the floor Systems Manager documents for "
    "associations): a drift check needs no more, and each run is a root shell on every target.",
    severity=Severity.MEDIUM, types=[SSM_ASSOCIATION], check=_check_association_schedule,
    topics=["operations", "cost"],
    config={"minMinutes": {"type": "number", "minimum": 30, "maximum": 44640, "default": 30,
                           "description": "fewest minutes between two scheduled runs"}},
    remediation="schedule_expression=\"rate(30 minutes)\" or slower.")

# ---- patching: one storage node at a time, approved patches only after a delay ----

WINDOW = aws("ssm", "MaintenanceWindow")
WINDOW_TARGET = aws("ssm", "MaintenanceWindowTarget")
WINDOW_TASK = aws("ssm", "MaintenanceWindowTask")
PATCH_BASELINE = aws("ssm", "PatchBaseline")
# Tags that select RustFS storage nodes (components/cluster/storage_nodes.py): a target by one of them takes
# erasure-set members down.
_NODE_TAG_KEYS = ("tag:rustfs:cluster", "tag:rustfs:node", "tag:rustfs:node-name")


def _selects_storage_nodes(target: Res) -> bool:
    return any(isinstance(t, dict) and t.get("key") in _NODE_TAG_KEYS for t in target.items("targets"))


def _check_window_tasks(resources: list[Res], cfg: dict, report) -> None:
    targets = [r for r in resources if r.type == WINDOW_TARGET and _selects_storage_nodes(r)]
    for task in (r for r in resources if r.type == WINDOW_TASK):
        direct = any(isinstance(t, dict) and t.get("key") in _NODE_TAG_KEYS for t in task.items("targets"))
        if not direct and not any(task.refers_to("targets", t) for t in targets):
            continue
        concurrency, errors = task.get("maxConcurrency"), task.get("maxErrors")
        if not is_unknown(concurrency) and concurrency != "1":
            report(f"Maintenance window task '{task.name}' runs on RustFS storage nodes with maxConcurrency "
                   f"{concurrency!r}: more than one node of an erasure set may go down at once; use \"1\".", task.urn)
        if not is_unknown(errors) and errors != "0":
            report(f"Maintenance window task '{task.name}' runs on RustFS storage nodes with maxErrors {errors!r}: "
                   "after a node that did not come back the window goes on to the next; use \"0\".", task.urn)


window_task_one_node = stack_policy(
    "rustfs-ssm-maintenancewindowtask-require-one-node-at-a-time",
    "Maintenance window tasks on RustFS storage nodes run on one node at a time and stop at the first failure "
    "(maxConcurrency \"1\", maxErrors \"0\"): a second node down at once can cost an erasure set its quorum.",
    severity=Severity.HIGH, types=[WINDOW_TASK, WINDOW_TARGET], check=_check_window_tasks,
    topics=["resilience", "operations"],
    remediation="Set max_concurrency=\"1\" and max_errors=\"0\" on the task (components/operations/patching.py).")


def _check_unassociated(res: Res, cfg: dict, report) -> None:
    value = res.get("allowUnassociatedTargets")
    if is_true(value):
        report(f"Maintenance window '{res.name}' allows unassociated targets: tasks may then name any instance, not "
               "only the window's registered targets.")


window_targets = resource_policy(
    "rustfs-ssm-maintenancewindow-disallow-unassociated-targets",
    "Maintenance windows run tasks only on their registered targets (allowUnassociatedTargets false).",
    severity=Severity.MEDIUM, types=[WINDOW], check=_check_unassociated, topics=["operations", "iam"],
    remediation="Set allow_unassociated_targets=False and register the targets with a MaintenanceWindowTarget.")


def _check_approval_delay(res: Res, cfg: dict, report) -> None:
    minimum = cfg["minApproveAfterDays"]
    for i, rule in enumerate(res.items("approvalRules")):
        if not isinstance(rule, dict):
            continue
        days, until = rule.get("approveAfterDays"), rule.get("approveUntilDate")
        if is_unknown(days) or is_unknown(until):
            continue
        if days is None and until is None:
            report(f"Patch baseline '{res.name}' approvalRules[{i}] sets no approval delay (approveAfterDays or "
                   "approveUntilDate).")
        elif known_num(days) is not None and days < minimum:
            report(f"Patch baseline '{res.name}' approvalRules[{i}] approves patches {days:g} days after release; "
                   f"this stack requires at least {minimum:g} (a canary stack takes them first).")


patch_approval_delay = resource_policy(
    "rustfs-ssm-patchbaseline-require-approval-delay",
    "Patch baselines approve patches only after a set delay (approveAfterDays at least minApproveAfterDays, or "
    "approveUntilDate), so production takes the patches a canary stack has run first.",
    severity=Severity.MEDIUM, types=[PATCH_BASELINE], check=_check_approval_delay, topics=["operations"],
    config={"minApproveAfterDays": {"type": "number", "minimum": 0, "maximum": 360, "default": 0,
                                    "description": "fewest days between a patch's release and its approval"}},
    remediation="Set rustfs-aws:operations.patching.approveAfterDays (approve_after_days of every approval rule).")


# ---- shell access: Session Manager only, its sessions logged and encrypted; no SSH ----

# Where a Session document sends the transcript (Session document schema): destination, its input, its encryption flag.
_SESSION_LOGS = (("CloudWatch Logs", "cloudWatchLogGroupName", "cloudWatchEncryptionEnabled"),
                 ("S3", "s3BucketName", "s3EncryptionEnabled"))


def _check_session_logging(res: Res, cfg: dict, report) -> None:
    content = known_str(res.get("content"))
    if res.get("documentType") != "Session" or content is None or (res.get("documentFormat") or "JSON") != "JSON":
        return
    try:
        body = json.loads(content)
    except ValueError:
        return
    if body.get("sessionType") != "Standard_Stream":
        return  # port forwarding and command sessions carry no shell transcript
    inputs = body.get("inputs") if isinstance(body.get("inputs"), dict) else {}
    if not any(inputs.get(name_key) and inputs.get(flag) is True for _, name_key, flag in _SESSION_LOGS):
        report(f"Session document '{res.name}' logs no shell session to an encrypted destination (a CloudWatch "
               "Logs group with cloudWatchEncryptionEnabled, or an S3 bucket with s3EncryptionEnabled).")
    for where, name_key, flag in _SESSION_LOGS:
        if inputs.get(name_key) and inputs.get(flag) is not True:
            report(f"Session document '{res.name}' logs sessions to {where} without requiring encryption ({flag}).")
    if not inputs.get("kmsKeyId"):
        report(f"Session document '{res.name}' does not encrypt the session stream with a KMS key (kmsKeyId).")


session_logging = resource_policy(
    "rustfs-ssm-document-require-encrypted-session-logging",
    "Session Manager shell documents (the account's preferences and the stack's own) log every session to an "
    "encrypted CloudWatch Logs group or S3 bucket and encrypt the session stream with a KMS key.",
    severity=Severity.HIGH, types=[SSM_DOCUMENT], check=_check_session_logging,
    checks=["CKV_AWS_112", "CKV_AWS_113"], topics=["logging", "encryption", "operations"],
    remediation="Set cloudWatchLogGroupName with cloudWatchEncryptionEnabled (and/or s3BucketName with "
                "s3EncryptionEnabled) and kmsKeyId in the document's inputs (components/operations/sessions.py).")

INSTANCE, LAUNCH_TEMPLATE, KEY_PAIR = aws("ec2", "Instance"), aws("ec2", "LaunchTemplate"), aws("ec2", "KeyPair")


def _check_ssh_keys(res: Res, cfg: dict, report) -> None:
    if res.type == KEY_PAIR:
        report(f"'{res.name}' declares an EC2 key pair: shells on the nodes go through Session Manager only.")
    elif res.get("keyName") is not None and not is_unknown(res.get("keyName")):
        report(f"'{res.name}' launches instances with the SSH key pair '{res.get('keyName')}': shells on the nodes "
               "go through Session Manager only.")


no_ssh_keys = resource_policy(
    "rustfs-ec2-instance-disallow-ssh-key-pair",
    "No EC2 key pairs and no instance or launch template with a key name: Session Manager is the only shell.",
    severity=Severity.HIGH, types=[INSTANCE, LAUNCH_TEMPLATE, KEY_PAIR], check=_check_ssh_keys,
    topics=["exposure", "iam"],
    remediation="Remove key_name and the KeyPair; start shells with aws ssm start-session (README, Operations).")


def _check_ssh_port(res: Res, cfg: dict, report) -> None:
    for rule in rules_of(res):
        if rule.direction != "ingress" or rule.protocol not in ("tcp", "6") or rule.from_port is None \
                or rule.to_port is None:
            continue
        # An all-ports TCP range is some other grant (and judged by the internet-exposure policy); a range with 22
        # in it is an SSH opening, whatever its source.
        if rule.from_port <= 22 <= rule.to_port and not (rule.from_port <= 0 and rule.to_port >= 65535):
            report(f"'{res.name}' {rule.label} opens TCP {rule.from_port:g}-{rule.to_port:g}, which includes SSH "
                   "(22): shells on the nodes go through Session Manager, which needs no inbound port.")


no_ssh_port = resource_policy(
    "rustfs-ec2-securitygroup-disallow-ssh-port",
    "No security group rule opens TCP port 22 from any source: Session Manager needs no inbound port.",
    severity=Severity.HIGH, types=RULE_TYPES, check=_check_ssh_port, checks=["CKV_AWS_24", "EC2.13"],
    topics=["exposure", "network"],
    remediation="Drop the rule; use aws ssm start-session (or AWS-StartPortForwardingSession) instead of SSH.")

POLICIES = [dlm_policy, public_zones, budget_notifications, budget_exists, document_sharing, document_parameters,
            parameter_secrets, parameter_tier, association_targets, association_severity, association_schedule,
            window_task_one_node, window_targets, patch_approval_delay, session_logging, no_ssh_keys, no_ssh_port]
