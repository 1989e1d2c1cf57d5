"""Patching as code: Amazon Linux 2023 updates on the storage nodes, one node at a time, never while the cluster
is degraded, each node back to ready before the next.

What the stack declares:
- A patch baseline for ``AMAZON_LINUX_2023``: Security advisories of every severity and Bugfix advisories,
  approved ``operations.patching.approveAfterDays`` after their release (0 in dev, the canary; 7 in prod).
  Patch Manager picks a node's baseline by its patch group (Systems Manager User Guide, "Patch groups": the
  ``PatchGroup`` tag, the spelling that also works with instance metadata tags), so the baseline is registered
  for the patch group ``<cluster>`` and every node's instance carries ``PatchGroup=<cluster>``
  (cluster/storage_nodes.py). Rejected: RegisterDefaultPatchBaseline, which sets the baseline of every
  AL2023 instance of the account and Region (one setting per account: another stack's nodes would follow ours).
- ``<cluster>-patch-node``, a Command document for ONE node:
  1. ``checkCluster``: until ``HealthyTimeoutSeconds``, wait for the composite alarm
     ``observability.telemetry.degraded_alarm_name(cluster)`` to be ``OK`` (ALARM, INSUFFICIENT_DATA, an absent
     alarm or an unreadable one all refuse: nothing vouches for the cluster then) and for quorum to spare - this
     node's ``/minio/health/cluster`` 200 and every other node's ``/health/ready`` 200 - the very check of the
     rolling restart (restart_documents.SPARE_QUORUM, one copy). It waits rather than refusing at once because
     the previous node's reboot may still hold the alarm: its offline datapoints age out a few periods after it
     is back. Then it fails the invocation.
  2. ``installPatches``: ``aws:runDocument`` of AWS-RunPatchBaseline, ``Operation=Install``,
     ``RebootOption=NoReboot``. "The reboot script can't be part of an aws:runDocument plugin" (Systems Manager
     User Guide, "Handling reboots when running commands"): with RebootIfNeeded the nested document would
     exit 194 inside aws:runDocument and the agent fails it, so this document reboots itself, in step 3.
  3. ``rebootIfNeeded``: ``dnf needs-restarting -r`` (exit 1: "a reboot is required", dnf-plugins-core
     needs-restarting(8); AL2023's dnf is dnf 4) decides. If so the script records the boot id it reboots from
     and exits 194: SSM Agent reboots the instance "and then restart[s] the script after the reboot" (same
     page); the earlier steps are not run again. On that second run the boot id differs, so a node that still
     needs a reboot fails instead of rebooting in a loop. Either way the step then waits, within
     ``ReadyTimeoutSeconds``, for this node's ``/health/ready`` (the node's own name over loopback, verified
     against the cluster CA, as the restart documents do): the window starts the next node only once this
     invocation succeeded.
  4. ``reportCompliance``: AWS-RunPatchBaseline ``Operation=Scan``, so Patch Manager's compliance reads
     ``Installed`` rather than ``InstalledPendingReboot`` after the reboot.
  Steps 1-3 carry ``onFailure: exit``: without it Run Command goes on to the next step after a failed one.
- A maintenance window (schedule, time zone, duration and cutoff from config, ``allow_unassociated_targets``
  false: only registered targets), a target of this cluster's instances by their ``rustfs:cluster`` tag, and a
  RUN_COMMAND task of the document with ``max_concurrency "1"`` and ``max_errors "0"`` ("when the command fails
  one more time beyond the value of MaxErrors, the system stops sending the command to additional targets",
  SendCommand API reference): a node that refuses (degraded) or never gets ready stops the window, and no second
  node goes down. ``cutoff_behavior CONTINUE_TASK``: the cutoff never cancels a node in the middle of its reboot.
  The command's output goes to the log group ``/rustfs/<cluster>/patching`` (KMS, logs key).

Why a Command document and not an Automation runbook: the per-node logic (alarm, quorum, reboot marker, ready
wait) runs on the node as bash, which tests/test_patching.py runs for real (shellcheck, moto's CloudWatch, a
fake RustFS health endpoint); an Automation runbook would need aws:runCommand steps for the same probes plus
an Automation role with iam:PassRole, and the window would start Automation executions whose rate control is
the runbook's, not Run Command's MaxConcurrency/MaxErrors that the restarts already rely on.

Who sends it: a custom service role for the window task, not the Systems Manager service-linked role. The
service-linked role's AmazonSSMServiceRolePolicy may send any document to any instance of the account, and AWS
itself advises "for an improved security posture, we strongly recommend creating a custom policy and custom
service role for running your maintenance window tasks" (Systems Manager API Reference,
RegisterTaskWithMaintenanceWindow, ServiceRoleArn). The role may send this one document to this cluster's
instances (ssm:resourceTag on both, as the operator grant) and follow its commands; its trust names
ssm.amazonaws.com without source conditions, as the maintenance-window guide's trust policy does
(rustfs_model.service_context). What the document calls on the node (cloudwatch:DescribeAlarms on the one
alarm; AWS-RunPatchBaseline's ssm:GetDocument, GetDeployablePatchSnapshotForInstance and PutComplianceItems,
which AmazonSSMManagedInstanceCore grants; the AL2023 repository and Patch Manager's buckets through the S3
gateway endpoint, rustfs_model/aws_repositories.py) is the node role's, ``patching_node_statements``.
"""

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.cluster.bootstrap.render import READY_TIMEOUT_SECONDS
from rustfs_aws.component_args import component_args
from rustfs_aws.observability.telemetry import degraded_alarm_name
from rustfs_aws.operations.restart_documents import (
    MAX_READY_TIMEOUT_SECONDS,
    PREAMBLE,
    SHEBANG,
    SPARE_QUORUM,
    STEP_TIMEOUT_SECONDS,
    shell_step,
)
from rustfs_aws.security.iam_documents import STACK_TAG, patch_document_name, service_trust
from rustfs_aws.tagging import resource_tags

OPERATING_SYSTEM = "AMAZON_LINUX_2023"
# (classification, severities or None for all, compliance level of a missing patch)
APPROVAL_RULES = (("Security", ("Critical", "Important", "Medium", "Low"), "HIGH"), ("Bugfix", None, "MEDIUM"))
MAX_CONCURRENCY = "1"  # one node down at a time: every shipped layout tolerates one (alarms.tolerated_node_losses)
MAX_ERRORS = "0"  # the first node that refuses or does not come back stops the window
MAX_HEALTHY_TIMEOUT_SECONDS = 1800
HEALTHY_DEFAULT = "900"
# A rebooted node boots, then runs node-bootstrap (bounded by READY_TIMEOUT_SECONDS) before RustFS is ready.
PATCH_READY_DEFAULT = str(READY_TIMEOUT_SECONDS + 300)
REBOOT_EXIT_CODE = 194  # SSM Agent on Linux: reboot, then run this step again


_CHECK = r"""
if ! [[ "$healthy_timeout" =~ ^[0-9]+$ ]] || [ "$healthy_timeout" -lt 1 ] || [ "$healthy_timeout" -gt @@HMAX@@ ]; then
    log "ERROR: HealthyTimeoutSeconds must be 1..@@HMAX@@, got '$healthy_timeout'"
    exit 2
fi
degraded_alarm="@@ALARM@@"
region="$(setting "$boot_env" BOOT_REGION)"
[ -n "$region" ] || { log "ERROR: no BOOT_REGION in $boot_env"; exit 2; }

alarm_state() { # the composite alarm's state: OK | ALARM | INSUFFICIENT_DATA, or None when it does not exist
    timeout 60 aws --region "$region" --cli-connect-timeout 10 --cli-read-timeout 30 cloudwatch describe-alarms \
        --alarm-names "$degraded_alarm" --alarm-types CompositeAlarm \
        --query 'CompositeAlarms[0].StateValue' --output text
}

healthy_to_patch() { # 0 when the cluster is not degraded and this node may go down; else sets $why
    local state
    if ! state="$(alarm_state 2>&1)"; then
        why="cannot read the alarm $degraded_alarm ($(echo "$state" | tail -n 1))"
        return 1
    fi
    case "$state" in
        OK) ;;
        None|"") why="the alarm $degraded_alarm does not exist, so nothing says the cluster is healthy"; return 1 ;;
        *) why="the cluster is degraded (alarm $degraded_alarm is $state)"; return 1 ;;
    esac
    spare_quorum
}
"""

CHECK_SCRIPT = (SHEBANG + 'ready_timeout="{{ ReadyTimeoutSeconds }}"\nhealthy_timeout="{{ HealthyTimeoutSeconds }}"\n'
                + PREAMBLE + _CHECK + SPARE_QUORUM + r"""
await_safe healthy_to_patch "$healthy_timeout" patching
log "alarm $degraded_alarm is OK, write quorum and every other node ready: patching $node"
""")

REBOOT_SCRIPT = SHEBANG + 'ready_timeout="{{ ReadyTimeoutSeconds }}"\n' + PREAMBLE + r"""
# The RUSTFS_* overrides exist for tests/test_patching.py, like those above.
state_dir="${RUSTFS_PATCH_STATE_DIR:-/var/lib/rustfs/patching}"
marker="$state_dir/reboot-requested"
boot_id="$(cat "${RUSTFS_BOOT_ID_FILE:-/proc/sys/kernel/random/boot_id}")"
now="$(date +%s)"
rebooted=0
if [ -r "$marker" ]; then
    read -r marked_boot marked_at < "$marker" || true
    # Written by this step before its exit @@REBOOT@@ in an earlier boot, within one step's bound: this run is the
    # one SSM Agent started after that reboot. An older marker is a run that never came back here: ignored.
    if [ "${marked_boot:-}" != "$boot_id" ] && [ $(( now - ${marked_at:-0} )) -lt @@STEP@@ ]; then
        rebooted=1
    fi
    rm -f "$marker"
fi

needs=0
dnf needs-restarting -r || needs=$?
case "$needs" in
    0) ;;
    1)
        if [ "$rebooted" = 1 ]; then
            log "ERROR: $node still needs a reboot after the one this step made; not rebooting again"
            exit 1
        fi
        mkdir -p "$state_dir"
        printf '%s %s\n' "$boot_id" "$now" > "$marker"
        log "the installed updates need a reboot: rebooting $node (SSM Agent reboots on exit @@REBOOT@@ and runs" \
            "this step again)"
        exit @@REBOOT@@
        ;;
    *)
        log "ERROR: dnf needs-restarting -r failed (exit $needs)"
        exit 1
        ;;
esac
if [ "$rebooted" = 1 ]; then
    log "$node rebooted after patching; waiting for RustFS (ready bound ${ready_timeout}s)"
else
    log "no reboot needed on $node"
fi
# The window moves to the next node only once this node serves again.
wait_ready $(( $(date +%s) + ready_timeout ))
"""


def _fill(script: str, cluster_id: str) -> str:
    return (script.replace("@@HMAX@@", str(MAX_HEALTHY_TIMEOUT_SECONDS)).replace("@@ALARM@@", degraded_alarm_name(
        cluster_id)).replace("@@REBOOT@@", str(REBOOT_EXIT_CODE)).replace("@@STEP@@", str(STEP_TIMEOUT_SECONDS)))


def _run_patch_baseline(name: str, operation: str) -> dict:
    return {"action": "aws:runDocument", "name": name, "precondition": {"StringEquals": ["platformType", "Linux"]},
            "inputs": {"documentType": "SSMDocument", "documentPath": "AWS-RunPatchBaseline",
                       "documentParameters": {"Operation": operation, "RebootOption": "NoReboot"}}}


def _stop_on_failure(step: dict) -> dict:
    """A Command document runs its later steps even after one failed, unless the step says ``onFailure: exit``
    (Systems Manager User Guide, "Command document plugin reference", shared inputs): a refused check must not
    go on to install patches and reboot."""
    return {**step, "inputs": {**step["inputs"], "onFailure": "exit"}}


def patch_document(cluster_id: str) -> dict:
    """The schema 2.2 Command document that patches one node (see the module docstring)."""
    seconds = {"type": "String", "allowedPattern": "^[1-9][0-9]{0,3}$"}
    return {
        "schemaVersion": "2.2",
        "description": f"RustFS cluster {cluster_id}: patch this node with its patch baseline (AWS-RunPatchBaseline), "
                       "reboot it if the updates need it, and wait for /health/ready. Refuses while the cluster is "
                       "degraded or another node is not ready. Sent one node at a time (--max-concurrency 1 "
                       "--max-errors 0) by the patching maintenance window.",
        "parameters": {
            "ReadyTimeoutSeconds": {**seconds, "default": PATCH_READY_DEFAULT, "description": (
                f"Seconds this node may take, after its reboot, to answer 200 on /health/ready "
                f"(1..{MAX_READY_TIMEOUT_SECONDS}).")},
            "HealthyTimeoutSeconds": {**seconds, "default": HEALTHY_DEFAULT, "description": (
                "Seconds to wait, before patching, until the cluster-degraded alarm is OK, the cluster has write "
                f"quorum and every other node answers 200 on /health/ready (1..{MAX_HEALTHY_TIMEOUT_SECONDS}); "
                "then fail, which stops the window.")}},
        "mainSteps": [
            _stop_on_failure(shell_step("checkCluster", _fill(CHECK_SCRIPT, cluster_id))),
            _stop_on_failure(_run_patch_baseline("installPatches", "Install")),
            _stop_on_failure(shell_step("rebootIfNeeded", _fill(REBOOT_SCRIPT, cluster_id))),
            _run_patch_baseline("reportCompliance", "Scan"),
        ],
    }


def approval_rules(approve_after_days: int) -> list[dict]:
    """The baseline's approval rules as PatchRule dicts (API shape, camelCase as the provider records them)."""
    rules = []
    for classification, severities, compliance in APPROVAL_RULES:
        filters = [{"key": "CLASSIFICATION", "values": [classification]}]
        if severities:
            filters.append({"key": "SEVERITY", "values": list(severities)})
        rules.append({"approveAfterDays": approve_after_days, "complianceLevel": compliance,
                      "enableNonSecurity": False, "patchFilters": filters})
    return rules


def window_task_policy(*, partition: str, region: str, account_id: str, cluster_id: str, stack: str) -> dict:
    """What the maintenance window's task role may do: send the patch document to this cluster's nodes, and
    follow and cancel its commands (the calls Run Command tasks need, Systems Manager User Guide, "Control
    access to maintenance windows using the AWS CLI", trimmed to RUN_COMMAND)."""
    document = f"arn:{partition}:ssm:{region}:{account_id}:document/{patch_document_name(cluster_id)}"
    return {"Version": "2012-10-17", "Statement": [
        # ssm:SendCommand authorizes the document and each instance (Service Authorization Reference): both carry
        # the cluster's tag, and the boundary denies nothing here that this allows.
        {"Sid": "SendPatchDocumentToClusterNodes", "Effect": "Allow", "Action": "ssm:SendCommand",
         "Resource": [document, f"arn:{partition}:ec2:{region}:{account_id}:instance/*"],
         "Condition": {"StringEquals": {"ssm:resourceTag/rustfs:cluster": cluster_id,
                                        f"ssm:resourceTag/{STACK_TAG}": stack}}},
        # No resource-level permission for these (Service Authorization Reference): scoped to the region.
        {"Sid": "FollowPatchCommands", "Effect": "Allow",
         "Action": ["ssm:CancelCommand", "ssm:GetCommandInvocation", "ssm:ListCommandInvocations",
                    "ssm:ListCommands"],
         "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": region}}},
    ]}


def patching_node_statements(*, partition: str, region: str, account_id: str, cluster_id: str) -> list[dict]:
    """What the patch document's own scripts call with the node role (AWS-RunPatchBaseline's calls are in
    AmazonSSMManagedInstanceCore): reading the one alarm it waits on."""
    alarm = f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:{degraded_alarm_name(cluster_id)}"
    return [{"Sid": "ReadClusterDegradedAlarm", "Effect": "Allow", "Action": "cloudwatch:DescribeAlarms",
             "Resource": alarm}]


@dataclass
class PatchingArgs:
    """Inputs of ``NodePatching``."""

    cluster_id: str
    """The cluster's name (``rustfs-dev``): names the baseline, the patch group, the document and the window; the
    window targets the instances tagged ``rustfs:cluster`` with it."""
    stack: str
    """The stack's short name (``dev``): the ``rustfs:stack`` tag."""
    region: str
    """The AWS Region of the window and the nodes."""
    account_id: pulumi.Input[str]
    """The AWS account ID of the ARNs the window role's policy names."""
    partition: pulumi.Input[str]
    """The AWS partition of those ARNs."""
    logs_key_arn: pulumi.Input[str]
    """ARN of the KMS key that encrypts the command output's log group (``Keys``' ``logs`` key)."""
    log_group_prefix: str
    """Prefix of the log group's name (``Keys``' ``logGroupPrefix``)."""
    permissions_boundary_arn: pulumi.Input[str]
    """ARN of the permissions boundary the window role carries (``Iam``'s ``permissionsBoundaryArn``)."""
    approve_after_days: int | None = 7
    """Days after its release before a patch is approved (0-360)."""
    schedule: str | None = "cron(0 4 ? * SUN *)"
    """The window's cron or rate expression."""
    schedule_timezone: str | None = "Etc/UTC"
    """IANA time zone of the schedule."""
    duration_hours: int | None = 4
    """The window's length (1-24 hours)."""
    cutoff_hours: int | None = 1
    """Hours before the end in which no further node is started (less than ``durationHours``)."""
    enabled: bool | None = True
    """Whether the window runs on its schedule."""
    log_retention_days: int | None = 365
    """Days CloudWatch Logs keeps the command output."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on every resource, next to each one's ``Name``."""


class NodePatching(pulumi.ComponentResource):
    """OS patching of the cluster's nodes: an AL2023 patch baseline for the cluster's patch group, the per-node
    patch document, and a maintenance window that runs it on one node at a time."""

    document_name: str
    """Name of the patch document: send it to one node to patch it outside the window."""
    window_id: pulumi.Output[str]
    """ID of the maintenance window."""
    baseline_id: pulumi.Output[str]
    """ID of the patch baseline."""
    log_group_name: str
    """Log group of the window's command output."""
    log_group_arn: pulumi.Output[str]
    """ARN of that log group: the node role writes there."""
    window_role_arn: pulumi.Output[str]
    """ARN of the window task's service role."""

    def __init__(self, name: str, args: PatchingArgs, opts: pulumi.ResourceOptions | None = None):
        a = component_args(PatchingArgs, args)
        super().__init__("rustfs:operations:NodePatching", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster = {"rustfs:cluster": a.cluster_id}

        def tags(suffix: str) -> dict[str, str]:
            return resource_tags(a.tags, f"{a.cluster_id}-{suffix}", a.stack, cluster)

        baseline = aws.ssm.PatchBaseline(
            f"{name}-baseline", name=f"{a.cluster_id}-al2023", operating_system=OPERATING_SYSTEM,
            description=f"RustFS cluster {a.cluster_id}: Amazon Linux 2023 Security and Bugfix updates, approved "
                        f"{a.approve_after_days} days after release",
            approval_rules=[aws.ssm.PatchBaselineApprovalRuleArgs(
                approve_after_days=r["approveAfterDays"], compliance_level=r["complianceLevel"],
                enable_non_security=r["enableNonSecurity"],
                patch_filters=[aws.ssm.PatchBaselineApprovalRulePatchFilterArgs(key=f["key"], values=f["values"])
                               for f in r["patchFilters"]]) for r in approval_rules(a.approve_after_days)],
            tags=tags("al2023"), opts=child)
        aws.ssm.PatchGroup(f"{name}-patch-group", baseline_id=baseline.id, patch_group=a.cluster_id,
                           opts=pulumi.ResourceOptions(parent=baseline))

        self.document_name = patch_document_name(a.cluster_id)
        document = aws.ssm.Document(
            f"{name}-document", name=self.document_name, document_type="Command", document_format="JSON",
            content=json.dumps(patch_document(a.cluster_id), indent=2), target_type="/AWS::EC2::Instance",
            tags=resource_tags(a.tags, self.document_name, a.stack, cluster), opts=child)

        self.log_group_name = f"{a.log_group_prefix}patching"
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=self.log_group_name, retention_in_days=a.log_retention_days,
            kms_key_id=a.logs_key_arn, tags=tags("patching-logs"), opts=child)

        role = aws.iam.Role(
            f"{name}-window-role", name=f"{a.cluster_id}-patch-window",
            description="Maintenance window task: sends the patch document to this cluster's nodes",
            assume_role_policy=json.dumps(service_trust("ssm.amazonaws.com")),
            permissions_boundary=a.permissions_boundary_arn, tags=tags("patch-window"), opts=child)
        role_policy = aws.iam.RolePolicy(
            f"{name}-window-policy", role=role.id,
            policy=pulumi.Output.all(a.partition, a.account_id).apply(lambda v: json.dumps(window_task_policy(
                partition=v[0], region=a.region, account_id=v[1], cluster_id=a.cluster_id, stack=a.stack))),
            opts=pulumi.ResourceOptions(parent=role))

        window = aws.ssm.MaintenanceWindow(
            f"{name}-window", name=f"{a.cluster_id}-patching", schedule=a.schedule,
            schedule_timezone=a.schedule_timezone, duration=a.duration_hours, cutoff=a.cutoff_hours,
            allow_unassociated_targets=False, enabled=a.enabled,
            description=f"Patch the RustFS cluster {a.cluster_id}, one node at a time", tags=tags("patching"),
            opts=child)
        target = aws.ssm.MaintenanceWindowTarget(
            f"{name}-nodes", window_id=window.id, resource_type="INSTANCE", name=f"{a.cluster_id}-nodes",
            description=f"The instances of RustFS cluster {a.cluster_id}",
            targets=[aws.ssm.MaintenanceWindowTargetTargetArgs(key="tag:rustfs:cluster", values=[a.cluster_id])],
            opts=pulumi.ResourceOptions(parent=window))
        aws.ssm.MaintenanceWindowTask(
            f"{name}-task", window_id=window.id, name=f"{a.cluster_id}-patch-nodes", task_type="RUN_COMMAND",
            task_arn=document.name, priority=1, max_concurrency=MAX_CONCURRENCY, max_errors=MAX_ERRORS,
            cutoff_behavior="CONTINUE_TASK", service_role_arn=role.arn,
            description="Patch one node, reboot if needed, wait for ready; the first failure stops the window",
            targets=[aws.ssm.MaintenanceWindowTaskTargetArgs(key="WindowTargetIds", values=[target.id])],
            task_invocation_parameters=aws.ssm.MaintenanceWindowTaskTaskInvocationParametersArgs(
                run_command_parameters=aws.ssm.MaintenanceWindowTaskTaskInvocationParametersRunCommandParametersArgs(
                    comment=f"patch {a.cluster_id}, one node at a time",
                    # Delivery bound of each invocation: later nodes wait their turn, at most the window's length.
                    timeout_seconds=a.duration_hours * 3600,
                    cloudwatch_config=aws.ssm.
                    MaintenanceWindowTaskTaskInvocationParametersRunCommandParametersCloudwatchConfigArgs(
                        cloudwatch_log_group_name=logs.name, cloudwatch_output_enabled=True))),
            opts=pulumi.ResourceOptions(parent=window, depends_on=[role_policy]))

        self.window_id = window.id
        self.baseline_id = baseline.id
        self.log_group_arn = logs.arn
        self.window_role_arn = role.arn
        self.register_outputs({"documentName": self.document_name, "windowId": window.id, "baselineId": baseline.id,
                               "logGroupName": self.log_group_name, "windowRoleArn": role.arn})

