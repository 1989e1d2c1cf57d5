"""OS patching (components/operations/patching.py) as the stacks declare it, and its patch document run here.

What is declared: an AL2023 patch baseline with the configured approval delay, registered for the cluster's patch
group, which every node's instance carries; a maintenance window (allow_unassociated_targets false) with a target
of the cluster's instances and a RUN_COMMAND task of the patch document at max concurrency "1", max errors "0".
Who sends it: the window's own role, the patch document only, the cluster's nodes only (IAM evaluation,
parliament). What the node needs: its role may read the one alarm, and the repositories and Patch Manager's
buckets pass the S3 gateway endpoint.

The document's shell steps are checked by shellcheck and run for real, as SSM Agent runs them (tests/ssm_scripts.py):
the cluster check against moto's CloudWatch through the real AWS CLI and a fake RustFS health endpoint (refused while
the composite alarm is in ALARM or absent, or while a peer is down; waits for the alarm to clear), the reboot step
against a fake ``dnf needs-restarting`` and boot id (exit 194 once, then the wait for /health/ready, which fails the
invocation - and with max errors 0 the window - when the node never becomes ready).
"""

from __future__ import annotations

import json
import sys
import urllib.request
from functools import cache
from pathlib import Path

import boto3
import pytest
from dev_node import recording, world
from iam_eval import Request, evaluate
from iam_review import unexplained
from ssm_scripts import HealthServer, InvalidParameters, node_files, rendered, run_script, shellcheck
from test_config import BASE, PROD, only_problem, with_
from test_endpoint_policies import node_networks, s3_get, verdict

from preflight.fake_aws import ACCOUNT_ID
from preflight.fake_operations import AwsRejects, check_document
from preflight.fake_ssm import check_patch_baseline, check_window, check_window_task
from preflight.runner import run_stack
from rustfs_aws.config import parse
from rustfs_aws.observability.telemetry import degraded_alarm_name
from rustfs_aws.operations.patching import (
    MAX_HEALTHY_TIMEOUT_SECONDS,
    REBOOT_EXIT_CODE,
    patch_document,
)
from rustfs_aws.operations.restart_documents import MAX_READY_TIMEOUT_SECONDS, STEP_TIMEOUT_SECONDS
from rustfs_aws.security.iam_documents import permissions_boundary

STACKS = ("dev", "prod")
REGION = "us-east-1"
BASELINE = "aws:ssm/patchBaseline:PatchBaseline"
WINDOW = "aws:ssm/maintenanceWindow:MaintenanceWindow"
TARGET = "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget"
TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"
# AWS managed policy AmazonSSMManagedInstanceCore (AWS Managed Policy Reference, version 3): the SSM calls
# AWS-RunPatchBaseline makes on the node (GetDocument for aws:runDocument, the patch snapshot, compliance).
SSM_CORE_ACTIONS = {"ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument",
                    "ssm:DescribeDocument", "ssm:GetManifest", "ssm:GetParameter", "ssm:GetParameters",
                    "ssm:ListAssociations", "ssm:ListInstanceAssociations", "ssm:PutInventory",
                    "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult", "ssm:UpdateAssociationStatus",
                    "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation"}
RUN_PATCH_BASELINE_CALLS = {"ssm:GetDocument", "ssm:GetDeployablePatchSnapshotForInstance",
                            "ssm:PutComplianceItems", "ssm:PutInventory", "ssm:UpdateInstanceInformation"}


def one(stack: str, token: str):
    [resource] = recording(stack).of_type(token)
    return resource


@cache
def document(stack: str) -> dict:
    [doc] = [d for d in recording(stack).of_type("aws:ssm/document:Document")
             if d.inputs["name"] == f"rustfs-{stack}-patch-node"]
    return json.loads(doc.inputs["content"])


# --- what the stacks declare -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("stack", "days"), [("dev", 0), ("prod", 7)])
def test_the_baseline_is_al2023_security_and_bugfix_approved_after_the_configured_delay(stack, days):
    baseline = one(stack, BASELINE)
    assert baseline.inputs["operatingSystem"] == "AMAZON_LINUX_2023"
    rules = baseline.inputs["approvalRules"]
    assert {r["approveAfterDays"] for r in rules} == {days}
    classifications = {v for r in rules for f in r["patchFilters"] if f["key"] == "CLASSIFICATION" for v in f["values"]}
    assert classifications == {"Security", "Bugfix"}
    [security] = [r for r in rules if {"key": "CLASSIFICATION", "values": ["Security"]} in r["patchFilters"]]
    severities = [f["values"] for f in security["patchFilters"] if f["key"] == "SEVERITY"]
    assert severities == [["Critical", "Important", "Medium", "Low"]]
    check_patch_baseline(baseline.name, baseline.inputs)  # the values AL2023 offers


def test_the_approval_delay_follows_the_config():
    r = run_stack("dev", {"rustfs-aws:operations": {"patching": {"approveAfterDays": 14}}})
    [baseline] = r.of_type(BASELINE)
    assert {rule["approveAfterDays"] for rule in baseline.inputs["approvalRules"]} == {14}


@pytest.mark.parametrize("stack", STACKS)
def test_the_baseline_serves_the_patch_group_every_node_carries(stack):
    baseline = one(stack, BASELINE)
    group = one(stack, "aws:ssm/patchGroup:PatchGroup")
    assert group.inputs["baselineId"] == baseline.outputs["id"]
    assert group.inputs["patchGroup"] == f"rustfs-{stack}"
    nodes = world(stack).nodes
    assert nodes and all(n.instance_tags["PatchGroup"] == f"rustfs-{stack}" for n in nodes)


@pytest.mark.parametrize("stack", STACKS)
def test_the_window_patches_only_its_cluster_one_node_at_a_time_and_stops_at_the_first_failure(stack):
    window, target, task = one(stack, WINDOW), one(stack, TARGET), one(stack, TASK)
    assert window.inputs["allowUnassociatedTargets"] is False
    assert (window.inputs["schedule"], window.inputs["duration"], window.inputs["cutoff"]) == (
        "cron(0 4 ? * SUN *)", 4, 1)
    assert target.inputs["windowId"] == window.outputs["id"] and target.inputs["resourceType"] == "INSTANCE"
    assert target.inputs["targets"] == [{"key": "tag:rustfs:cluster", "values": [f"rustfs-{stack}"]}]
    assert task.inputs["windowId"] == window.outputs["id"]
    assert task.inputs["targets"] == [{"key": "WindowTargetIds", "values": [target.outputs["id"]]}]
    assert (task.inputs["taskType"], task.inputs["taskArn"]) == ("RUN_COMMAND", f"rustfs-{stack}-patch-node")
    assert (task.inputs["maxConcurrency"], task.inputs["maxErrors"]) == ("1", "0")
    assert task.inputs["cutoffBehavior"] == "CONTINUE_TASK"  # the cutoff never cancels a node mid-reboot
    run = task.inputs["taskInvocationParameters"]["runCommandParameters"]
    assert run["cloudwatchConfig"] == {"cloudwatchLogGroupName": f"/rustfs/rustfs-{stack}/patching",
                                       "cloudwatchOutputEnabled": True}
    assert run["timeoutSeconds"] == 4 * 3600
    for res, check in ((window, check_window), (task, check_window_task)):
        check(res.name, res.inputs)
    # Every node the task reaches is one the target selects: the instances carry the tag.
    assert all(n.instance_tags["rustfs:cluster"] == f"rustfs-{stack}" for n in world(stack).nodes)


def test_the_window_follows_its_config():
    r = run_stack("dev", {"rustfs-aws:operations": {"patching": {
        "schedule": "cron(30 2 ? * TUE *)", "scheduleTimezone": "Europe/Berlin", "durationHours": 6,
        "cutoffHours": 2, "enabled": False}}})
    [window] = r.of_type(WINDOW)
    assert {k: window.inputs[k] for k in ("schedule", "scheduleTimezone", "duration", "cutoff", "enabled")} == {
        "schedule": "cron(30 2 ? * TUE *)", "scheduleTimezone": "Europe/Berlin", "duration": 6, "cutoff": 2,
        "enabled": False}
    [task] = r.of_type(TASK)
    assert task.inputs["taskInvocationParameters"]["runCommandParameters"]["timeoutSeconds"] == 6 * 3600


@pytest.mark.parametrize(("path", "value", "message"), [
    ("operations.patching.approveAfterDays", 400, "operations.patching.approveAfterDays: got 400; allowed range 0–360"),
    ("operations.patching.durationHours", 25, "operations.patching.durationHours: got 25; allowed range 1–24"),
    ("operations.patching.schedule", "weekly", "operations.patching.schedule: got 'weekly'; expected cron or rate"),
    ("operations.patching.schedule", "cron(0 4 * * SUN)", "six fields"),
    ("operations.patching.scheduleTimezone", "Berlin time", "IANA time zone"),
    ("operations.patching.enabled", "sometimes", "operations.patching.enabled: got 'sometimes'; expected true"),
    ("operations.patching.window", 1, "operations.patching.window: got 1; unknown key"),
])
def test_bad_patching_config_is_refused_naming_the_key(path, value, message):
    assert message in only_problem(with_(BASE, path, value))


def test_a_cutoff_that_leaves_no_time_to_patch_is_refused():
    raw = with_(with_(BASE, "operations.patching.durationHours", 2), "operations.patching.cutoffHours", 2)
    assert "cutoffHours: got 2; must be less than rustfs-aws:operations.patching.durationHours (2)" in only_problem(raw)


def test_config_defaults_patch_dev_on_release_and_prod_a_week_later():
    assert parse(BASE, stack="dev", region=REGION).operations.patching.approve_after_days == 0
    assert parse(PROD, stack="prod", region=REGION).operations.patching.approve_after_days == 7


# --- the fake AWS refuses what Systems Manager refuses ----------------------------------------------------------

WINDOW_OK = {"name": "rustfs-dev-patching", "schedule": "cron(0 4 ? * SUN *)", "duration": 4, "cutoff": 1,
             "allowUnassociatedTargets": False}
TASK_OK = {"name": "t-x", "taskType": "RUN_COMMAND", "maxConcurrency": "1", "maxErrors": "0", "priority": 1}


@pytest.mark.parametrize(("change", "error"), [
    ({"duration": 25}, "Duration 25 must be 1-24"),
    ({"duration": 0}, "Duration 0 must be 1-24"),
    ({"cutoff": 4}, "Cutoff 4 must be less than Duration 4"),
    ({"schedule": "cron(0 4 * * SUN)"}, "six-field cron"),
    ({"allowUnassociatedTargets": None}, "AllowUnassociatedTargets is required"),
    ({"name": "x"}, "must match"),
])
def test_fake_ssm_refuses_windows_ssm_refuses(change, error):
    check_window("w", WINDOW_OK)
    with pytest.raises(AwsRejects, match=error):
        check_window("w", {**WINDOW_OK, **change})


@pytest.mark.parametrize(("change", "error"), [
    ({"maxConcurrency": "0"}, "MaxConcurrency '0'"),
    ({"maxConcurrency": "one"}, "MaxConcurrency 'one'"),
    ({"maxErrors": "-1"}, "MaxErrors '-1'"),
    ({"taskType": "SHELL"}, "taskType 'SHELL'"),
    ({"priority": -1}, "Priority -1"),
    ({"taskInvocationParameters": {"runCommandParameters": {"timeoutSeconds": 10}}}, "TimeoutSeconds 10"),
])
def test_fake_ssm_refuses_window_tasks_ssm_refuses(change, error):
    check_window_task("t", TASK_OK)
    check_window_task("t", {**TASK_OK, "maxConcurrency": "10%", "maxErrors": "0%"})
    with pytest.raises(AwsRejects, match=error):
        check_window_task("t", {**TASK_OK, **change})


@pytest.mark.parametrize(("rule", "error"), [
    ({"approveAfterDays": 361}, "ApproveAfterDays 361 must be 0-360"),
    ({"approveAfterDays": 7, "patchFilters": [{"key": "CLASSIFICATION", "values": ["SecurityUpdates"]}]},
     "not among AMAZON_LINUX_2023's"),
    ({"approveAfterDays": 7, "patchFilters": [{"key": "MSRC_SEVERITY", "values": ["Critical"]}]}, "filter key"),
    ({"patchFilters": []}, "needs ApproveAfterDays or ApproveUntilDate"),
])
def test_fake_ssm_refuses_patch_baselines_ssm_refuses(rule, error):
    with pytest.raises(AwsRejects, match=error):
        check_patch_baseline("b", {"name": "rustfs-dev-al2023", "operatingSystem": "AMAZON_LINUX_2023",
                                   "approvalRules": [rule]})


# --- the window's role -----------------------------------------------------------------------------------------

def window_role(stack: str):
    [role] = [r for r in recording(stack).of_type("aws:iam/role:Role")
              if r.inputs.get("name") == f"rustfs-{stack}-patch-window"]
    [policy] = [p for p in recording(stack).of_type("aws:iam/rolePolicy:RolePolicy")
                if p.inputs["role"] == role.outputs["id"]]
    return role, json.loads(policy.inputs["policy"])


@pytest.mark.parametrize("stack", STACKS)
def test_the_window_role_is_trusted_by_ssm_bounded_and_parliament_clean(stack):
    role, policy = window_role(stack)
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "ssm.amazonaws.com"}]
    [boundary] = [p for p in recording(stack).of_type("aws:iam/policy:Policy")
                  if p.name == f"rustfs-{stack}-iam-permissions-boundary"]
    assert role.inputs["permissionsBoundary"] == boundary.outputs["arn"]
    assert unexplained(trust, "trust") == []
    assert unexplained(policy, "identity") == []
    assert one(stack, TASK).inputs["serviceRoleArn"] == role.outputs["arn"]


def test_the_window_role_sends_only_the_patch_document_and_only_to_the_clusters_nodes():
    _, policy = window_role("dev")
    boundary = permissions_boundary(name="rustfs-dev", stack="dev", partition="aws")
    ssm = f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}"
    instance = f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:instance/i-0123456789abcdef0"
    tags = world("dev").nodes[0].instance_tags
    ours = {f"ssm:resourceTag/{k}": tags[k] for k in ("rustfs:cluster", "rustfs:stack")}

    def allowed(action: str, resource: str, **ctx) -> bool:
        req = Request(action, resource, tuple({"aws:RequestedRegion": REGION, **ctx}.items()), "window")
        return evaluate(req, policy, boundary).allowed

    [patch] = [d for d in recording("dev").of_type("aws:ssm/document:Document")
               if d.inputs["name"] == "rustfs-dev-patch-node"]
    doc_tags = {f"ssm:resourceTag/{k}": patch.inputs["tags"][k] for k in ("rustfs:cluster", "rustfs:stack")}
    assert allowed("ssm:SendCommand", patch.outputs["arn"], **doc_tags)
    assert allowed("ssm:SendCommand", instance, **ours)
    assert not allowed("ssm:SendCommand", instance, **{**ours, "ssm:resourceTag/rustfs:cluster": "rustfs-prod"})
    for other in (f"arn:aws:ssm:{REGION}::document/AWS-RunShellScript", f"{ssm}:document/rustfs-dev-restart-rolling",
                  f"{ssm}:document/rustfs-prod-patch-node"):
        assert not allowed("ssm:SendCommand", other, **doc_tags), other
    for follow in ("ssm:ListCommands", "ssm:ListCommandInvocations", "ssm:GetCommandInvocation", "ssm:CancelCommand"):
        assert allowed(follow, "*"), follow
    assert not allowed("ssm:StartSession", instance, **ours)


# --- what the node needs ----------------------------------------------------------------------------------------

def test_the_node_role_may_read_the_degraded_alarm_and_nothing_else_of_cloudwatch():
    w = world("dev")
    alarm = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:{degraded_alarm_name('rustfs-dev')}"
    base = {"aws:RequestedRegion": REGION}
    req = Request("cloudwatch:DescribeAlarms", alarm, tuple(base.items()), "patch check")
    assert evaluate(req, w.node_policy, w.boundary).allowed
    other = Request("cloudwatch:DescribeAlarms", f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:someone-else",
                    tuple(base.items()), "other")
    assert not evaluate(other, w.node_policy, w.boundary).allowed
    # AWS-RunPatchBaseline's own calls come with the SSM managed policy the node role carries.
    assert [a.rsplit("/", 1)[1] for a in w.role_attachments] == ["AmazonSSMManagedInstanceCore"]
    assert RUN_PATCH_BASELINE_CALLS <= SSM_CORE_ACTIONS


@pytest.mark.parametrize("stack", STACKS)
def test_patch_manager_and_the_repositories_pass_the_s3_gateway_endpoint(stack):
    """AWS-RunPatchBaseline's payload (aws-ssm-<region>, Systems Manager User Guide, "SSM Agent communications with
    AWS managed S3 buckets"), the baseline snapshot (patch-baseline-snapshot-<region>, same table) and dnf's
    repository, all unsigned when the instance profile grants no access to them."""
    urls = [f"https://s3.{REGION}.amazonaws.com/aws-ssm-{REGION}/patchbaselineoperations/linux/payloads/"
            "patch-baseline-operations-1.123.tar.gz",
            f"https://patch-baseline-snapshot-{REGION}.s3.{REGION}.amazonaws.com/{ACCOUNT_ID}/i-0abc/snapshot.json",
            f"https://al2023-repos-{REGION}-de612dc2.s3.dualstack.{REGION}.amazonaws.com/core/mirrors/latest/x86_64/"
            "mirror.list"]
    for node, net in node_networks(stack).items():
        for url in urls:
            req, region = s3_get(url, "patching")
            assert verdict(net, req, "s3", region, signed_by=None) is None, (node, url)


# --- the document ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_the_document_checks_patches_reboots_and_reports_and_stops_at_a_failed_step(stack):
    content = document(stack)
    assert content == patch_document(f"rustfs-{stack}")
    assert content["schemaVersion"] == "2.2"
    steps = content["mainSteps"]
    assert [s["name"] for s in steps] == ["checkCluster", "installPatches", "rebootIfNeeded", "reportCompliance"]
    assert [s["action"] for s in steps] == ["aws:runShellScript", "aws:runDocument", "aws:runShellScript",
                                            "aws:runDocument"]
    # Run Command goes on after a failed step unless it says exit: a refused check must not install anything.
    assert [s["inputs"].get("onFailure") for s in steps] == ["exit", "exit", "exit", None]
    for s in steps:
        assert s["precondition"] == {"StringEquals": ["platformType", "Linux"]}
    install, report = steps[1]["inputs"], steps[3]["inputs"]
    assert (install["documentType"], install["documentPath"]) == ("SSMDocument", "AWS-RunPatchBaseline")
    # A reboot inside aws:runDocument fails it (Systems Manager User Guide, "Handling reboots"): our step reboots.
    assert install["documentParameters"] == {"Operation": "Install", "RebootOption": "NoReboot"}
    assert report["documentParameters"] == {"Operation": "Scan", "RebootOption": "NoReboot"}
    for s in (steps[0], steps[2]):
        assert s["inputs"]["runCommand"][0] == "#!/bin/bash"
        assert int(s["inputs"]["timeoutSeconds"]) == STEP_TIMEOUT_SECONDS
    assert STEP_TIMEOUT_SECONDS > MAX_HEALTHY_TIMEOUT_SECONDS + 60 and STEP_TIMEOUT_SECONDS > MAX_READY_TIMEOUT_SECONDS
    for name, spec in content["parameters"].items():
        assert spec["allowedPattern"] == "^[1-9][0-9]{0,3}$", name
    check_document(f"rustfs-{stack}-patch-node", "Command", json.dumps(content))


def test_parameters_outside_their_patterns_are_refused():
    for bad in ("600; reboot", "0", "12345"):
        with pytest.raises(InvalidParameters):
            rendered(document("dev"), "checkCluster", HealthyTimeoutSeconds=bad)


@pytest.mark.parametrize("stack", STACKS)
def test_the_shell_steps_pass_shellcheck_as_written_and_as_the_agent_runs_them(stack, tmp_path):
    findings = []
    for step in ("checkCluster", "rebootIfNeeded"):
        [raw] = [s for s in document(stack)["mainSteps"] if s["name"] == step]
        findings.append(shellcheck(tmp_path, f"{step}-raw", "\n".join(raw["inputs"]["runCommand"]) + "\n"))
        findings.append(shellcheck(tmp_path, step, rendered(document(stack), step)))
    assert not "".join(findings), "".join(findings)


# --- the cluster check, run against moto's CloudWatch and a fake RustFS ----------------------------------------

ALARM = degraded_alarm_name("rustfs-dev")


@pytest.fixture
def cloudwatch(moto_endpoint):
    """moto's CloudWatch with the composite alarm in OK. moto 5 has no PutCompositeAlarm API, but its backend keeps
    composite alarms (an alarm with a rule) and DescribeAlarms answers them as CompositeAlarms: the alarm is put
    into the backend of this process, which the server thread serves."""
    from moto.cloudwatch.models import cloudwatch_backends

    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))
    cloudwatch_backends[ACCOUNT_ID][REGION].put_metric_alarm(
        name=ALARM, namespace="", metric_name="", comparison_operator="", evaluation_periods=1, period=60,
        threshold=0.0, statistic="", description="the cluster is degraded", dimensions=[], alarm_actions=[],
        rule='ALARM("rustfs-dev-node-offline")')
    client = boto3.client("cloudwatch", region_name=REGION, endpoint_url=moto_endpoint, aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    assert client.describe_alarms(AlarmNames=[ALARM], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0][
        "StateValue"] == "OK"
    return client


def set_state(client, state: str) -> None:
    client.set_alarm_state(AlarmName=ALARM, StateValue=state, StateReason="test")


def run_check(tmp_path: Path, moto_endpoint: str, files: dict, **params: str):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if not (bin_dir / "aws").exists():
        (bin_dir / "aws").symlink_to(Path(sys.executable).parent / "aws")  # the real AWS CLI
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": moto_endpoint,
           "AWS_MAX_ATTEMPTS": "1"}
    return run_script(tmp_path, rendered(document("dev"), "checkCluster", **params), files, **env)


def test_the_check_passes_when_the_alarm_is_ok_and_every_peer_ready(tmp_path, moto_endpoint, cloudwatch):
    with HealthServer([200]) as server:
        files = node_files(tmp_path, server.port, None)
        result, calls, _ = run_check(tmp_path, moto_endpoint, files, HealthyTimeoutSeconds="10")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"alarm {ALARM} is OK, write quorum and every other node ready: patching {files['node']}" in result.stdout
    assert calls == []  # the check touches nothing
    peers = {host.rsplit(":", 1)[0] for path, host in server.requests if path == "/health/ready"}
    assert peers == {n.name for n in world("dev").nodes[1:]}


@pytest.mark.parametrize("state", ["ALARM", "INSUFFICIENT_DATA"])
def test_the_check_refuses_while_the_cluster_is_degraded(tmp_path, moto_endpoint, cloudwatch, state):
    set_state(cloudwatch, state)
    with HealthServer([200]) as server:
        files = node_files(tmp_path, server.port, None)
        result, _, elapsed = run_check(tmp_path, moto_endpoint, files, HealthyTimeoutSeconds="2")
    assert result.returncode == 1, result.stdout  # onFailure exit: nothing is installed, the window stops
    assert f"not patching {files['node']}: the cluster is degraded (alarm {ALARM} is {state})" in result.stdout
    assert elapsed < 2 + 60


def test_the_check_refuses_when_the_alarm_does_not_exist(tmp_path, moto_endpoint, cloudwatch):
    cloudwatch.delete_alarms(AlarmNames=[ALARM])
    with HealthServer([200]) as server:
        files = node_files(tmp_path, server.port, None)
        result, _, _ = run_check(tmp_path, moto_endpoint, files, HealthyTimeoutSeconds="1")
    assert result.returncode == 1 and f"the alarm {ALARM} does not exist" in result.stdout


def test_the_check_refuses_when_cloudwatch_cannot_be_read(tmp_path, cloudwatch):
    with HealthServer([200]) as server:
        files = node_files(tmp_path, server.port, None)
        result, _, _ = run_check(tmp_path, "http://127.0.0.1:9", files, HealthyTimeoutSeconds="1")
    assert result.returncode == 1 and f"cannot read the alarm {ALARM}" in result.stdout


def test_the_check_refuses_while_another_node_is_not_ready(tmp_path, moto_endpoint, cloudwatch):
    peer = world("dev").nodes[2].name
    with HealthServer([200], peers={peer: [503]}) as server:
        files = node_files(tmp_path, server.port, None)
        result, _, _ = run_check(tmp_path, moto_endpoint, files, HealthyTimeoutSeconds="2")
    assert result.returncode == 1 and f"not ready: {peer} (HTTP 503)" in result.stdout


def test_the_check_waits_for_the_previous_nodes_alarm_to_clear(tmp_path, moto_endpoint, cloudwatch):
    """The previous node is back, but its offline datapoints still hold the composite alarm for a few periods."""
    set_state(cloudwatch, "ALARM")
    with HealthServer([200]) as server:
        files = node_files(tmp_path, server.port, None)
        marker = tmp_path / "asked"
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir(exist_ok=True)
        # The alarm clears after the check has asked twice (the real CLI behind a counting wrapper).
        clear = (f"import boto3; boto3.client('cloudwatch', region_name='{REGION}', endpoint_url='{moto_endpoint}')"
                 f".set_alarm_state(AlarmName='{ALARM}', StateValue='OK', StateReason='back')")
        (bin_dir / "aws").write_text(
            "#!/bin/bash\n"
            f'n=$(cat {marker} 2>/dev/null || echo 0); echo $((n + 1)) > {marker}\n'
            f'if [ "$n" -ge 2 ]; then {sys.executable} -c "{clear}"; fi\n'
            f'exec {Path(sys.executable).parent / "aws"} "$@"\n')
        (bin_dir / "aws").chmod(0o755)
        result, _, _ = run_check(tmp_path, moto_endpoint, files, HealthyTimeoutSeconds="60")
    assert result.returncode == 0, result.stdout + result.stderr
    assert int(marker.read_text()) >= 3


# --- the reboot step, run against a fake dnf, boot id and RustFS -------------------------------------------------

FAKE_DNF = """#!/bin/bash
# dnf needs-restarting -r as dnf-plugins-core answers it: exit 1 when a reboot is needed.
[ "$*" = "needs-restarting -r" ] || { echo "fake dnf: unexpected $*" >&2; exit 64; }
exit "$(cat "$FAKE_NEEDS_REBOOT")"
"""


def run_reboot(tmp_path: Path, files: dict, *, needs: int, boot_id: str, **params: str):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "dnf").write_text(FAKE_DNF)
    (bin_dir / "dnf").chmod(0o755)
    (tmp_path / "needs-reboot").write_text(f"{needs}\n")
    (tmp_path / "boot_id").write_text(f"{boot_id}\n")
    env = {"FAKE_NEEDS_REBOOT": str(tmp_path / "needs-reboot"), "RUSTFS_BOOT_ID_FILE": str(tmp_path / "boot_id"),
           "RUSTFS_PATCH_STATE_DIR": str(tmp_path / "state")}
    return run_script(tmp_path, rendered(document("dev"), "rebootIfNeeded", **params), files, **env)


def test_no_reboot_needed_waits_for_ready_and_succeeds(tmp_path):
    with HealthServer([200]) as server:
        files = node_files(tmp_path, server.port, None)
        result, calls, _ = run_reboot(tmp_path, files, needs=0, boot_id="boot-1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no reboot needed" in result.stdout and f"{files['node']} is ready" in result.stdout
    assert calls == []  # no restart: nothing was updated that needs one


def test_a_needed_reboot_exits_194_once_then_waits_for_the_node_after_the_reboot(tmp_path):
    with HealthServer([503, 503, 200]) as server:
        files = node_files(tmp_path, server.port, None)
        first, _, _ = run_reboot(tmp_path, files, needs=1, boot_id="boot-1")
        assert first.returncode == REBOOT_EXIT_CODE, first.stdout + first.stderr
        assert "rebooting" in first.stdout
        assert not [p for p, _ in server.requests], "no health probe before the reboot"
        # SSM Agent reboots the instance and runs the step again: a new boot id, the kernel now current.
        second, _, _ = run_reboot(tmp_path, files, needs=0, boot_id="boot-2", ReadyTimeoutSeconds="30")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "rebooted after patching" in second.stdout
    assert [p for p, _ in server.requests] == ["/health/ready"] * 3  # waited through the 503s
    assert not (tmp_path / "state" / "reboot-requested").exists()


def test_a_node_that_never_gets_ready_after_its_reboot_fails_the_invocation(tmp_path):
    with HealthServer([503]) as server:
        files = node_files(tmp_path, server.port, None)
        assert run_reboot(tmp_path, files, needs=1, boot_id="boot-1")[0].returncode == REBOOT_EXIT_CODE
        result, calls, elapsed = run_reboot(tmp_path, files, needs=0, boot_id="boot-2", ReadyTimeoutSeconds="3")
    # Failed: with max errors 0 the window sends the document to no further node.
    assert result.returncode == 1
    assert "not ready within 3s (last /health/ready answer: HTTP 503)" in result.stdout
    assert calls[0].startswith("status rustfs.service")
    assert 2 <= elapsed < 3 + 5 + 5


def test_a_node_that_still_needs_a_reboot_after_one_fails_instead_of_rebooting_again(tmp_path):
    with HealthServer([200]) as server:
        files = node_files(tmp_path, server.port, None)
        assert run_reboot(tmp_path, files, needs=1, boot_id="boot-1")[0].returncode == REBOOT_EXIT_CODE
        result, _, _ = run_reboot(tmp_path, files, needs=1, boot_id="boot-2")
    assert result.returncode == 1 and "still needs a reboot after the one this step made" in result.stdout


def test_a_stale_marker_from_an_old_run_does_not_count_as_this_runs_reboot(tmp_path):
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "reboot-requested").write_text(f"boot-0 {1_000_000}\n")  # weeks ago
    with HealthServer([200]) as server:
        files = node_files(tmp_path, server.port, None)
        result, _, _ = run_reboot(tmp_path, files, needs=1, boot_id="boot-1")
    assert result.returncode == REBOOT_EXIT_CODE, result.stdout  # reboots, as a first run would


def test_a_failing_needs_restarting_fails_the_step(tmp_path):
    with HealthServer([200]) as server:
        files = node_files(tmp_path, server.port, None)
        result, _, _ = run_reboot(tmp_path, files, needs=3, boot_id="boot-1")
    assert result.returncode == 1 and "dnf needs-restarting -r failed (exit 3)" in result.stdout


def test_the_scripts_use_no_environment_the_agent_does_not_set():
    """The RUSTFS_* overrides are the tests'; on a node each falls back to the real path."""
    text = rendered(document("dev"), "rebootIfNeeded")
    for override, real in (("RUSTFS_PATCH_STATE_DIR", "/var/lib/rustfs/patching"),
                           ("RUSTFS_BOOT_ID_FILE", "/proc/sys/kernel/random/boot_id")):
        assert f"${{{override}:-{real}}}" in text


def test_patching_and_sessions_cost_nothing_but_their_logs():
    """Patch Manager, Maintenance Windows, Run Command and Session Manager on EC2: no charge (Systems Manager
    pricing); the line says so rather than leaving the resources unpriced."""
    from preflight.cost_report import compute

    cost = compute(recording("prod"))
    [line] = [i for i in cost["items"] if i["what"].startswith("Systems Manager")]
    assert line["monthlyUSD"] == 0.0 and "1 maintenance window" in line["what"] and "Session Manager" in line["what"]
