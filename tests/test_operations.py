"""The restart documents (components/operations/restart_documents.py) as the stacks declare them.

Their scripts are taken from the recorded document content, with parameters substituted as Run Command does,
checked by shellcheck and run here: against a fake ``systemctl`` and a local ``/health/ready`` that answers 503
and then 200 (the restart succeeds), or 503 for ever (it fails within its bound), over plain HTTP and over HTTPS
with the node's name and the cluster CA, with the env files a dev node really boots with. Who may send them: the
operator role, only these documents, only to the stack's nodes (IAM evaluation).
"""

from __future__ import annotations

import datetime
import json
import ssl
import subprocess
import sys
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from dev_node import world
from iam_eval import Request, evaluate
from ssm_scripts import HealthServer, InvalidParameters, node_files, rendered, run_script, shellcheck
from user_data import env_file

from preflight.fake_aws import ACCOUNT_ID
from preflight.fake_operations import AwsRejects, check_alarm, check_document
from preflight.runner import run_stack
from rustfs_aws.operations.restart_documents import MAX_QUORUM_TIMEOUT_SECONDS, MAX_READY_TIMEOUT_SECONDS
from rustfs_aws.security.iam_documents import (
    operator_policy,
    patch_document_name,
    permissions_boundary,
    restart_document_names,
)
from rustfs_model.ellipses import expand_volumes

DOCUMENT = "aws:ssm/document:Document"
COMPONENT = "rustfs:operations:RestartDocuments"


@cache
def recording(stack: str):
    return run_stack(stack)


def restart_resources(stack: str) -> list:
    """The recorded restart documents (the stack's other documents: tests/test_patching.py, tests/test_sessions.py)."""
    return [d for d in recording(stack).of_type(DOCUMENT) if "-restart-" in d.inputs["name"]]


def documents(stack: str) -> dict[str, dict]:
    """Restart document name -> its parsed content, as recorded."""
    return {d.inputs["name"]: json.loads(d.inputs["content"]) for d in restart_resources(stack)}


def document(stack: str, kind: str) -> dict:
    return documents(stack)[f"rustfs-{stack}-restart-{kind}"]


# --- what the stacks declare -----------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_two_private_tagged_command_documents_named_with_the_stack_prefix(stack):
    r = recording(stack)
    docs = restart_resources(stack)
    assert sorted(d.inputs["name"] for d in docs) == [f"rustfs-{stack}-restart-coordinated",
                                                      f"rustfs-{stack}-restart-rolling"]
    for d in docs:
        name = d.inputs["name"]
        assert d.inputs["documentType"] == "Command" and d.inputs["documentFormat"] == "JSON"
        assert d.inputs["targetType"] == "/AWS::EC2::Instance"
        assert "permissions" not in d.inputs  # never shared with other accounts
        assert d.inputs["tags"]["rustfs:stack"] == stack and d.inputs["tags"]["rustfs:cluster"] == f"rustfs-{stack}"
        assert d.inputs["tags"]["Name"] == name
        assert d.outputs["id"] == name  # SSM identifies a document by its name
        assert d.outputs["arn"] == f"arn:aws:ssm:{r.settings.region}:{ACCOUNT_ID}:document/{name}"
        assert r.by_urn(d.parent).type == COMPONENT
        content = json.loads(d.inputs["content"])
        assert content["schemaVersion"] == "2.2"
        [step] = content["mainSteps"]
        assert step["action"] == "aws:runShellScript"
        assert step["precondition"] == {"StringEquals": ["platformType", "Linux"]}
        assert step["inputs"]["runCommand"][0] == "#!/bin/bash"  # the agent runs `sh -c <file>`: shebang wins
        # Run Command ends the step at timeoutSeconds: the script's own bounds (quorum wait, then ready wait) fit.
        assert int(step["inputs"]["timeoutSeconds"]) > MAX_READY_TIMEOUT_SECONDS + MAX_QUORUM_TIMEOUT_SECONDS
        assert content["parameters"]["ReadyTimeoutSeconds"]["allowedPattern"] == "^[1-9][0-9]{0,3}$"
    assert r.outputs["restartDocuments"] == {"rolling": f"rustfs-{stack}-restart-rolling",
                                             "coordinated": f"rustfs-{stack}-restart-coordinated"}


def test_coordinated_phase_accepts_stop_and_start_only():
    content = document("dev", "coordinated")
    assert content["parameters"]["Phase"]["allowedValues"] == ["stop", "start"]
    assert "default" not in content["parameters"]["Phase"]  # the operator names the phase every time
    for bad in ("restart", "stop; reboot", ""):
        with pytest.raises(InvalidParameters):
            rendered(content, Phase=bad)
    with pytest.raises(InvalidParameters):
        rendered(content)
    with pytest.raises(InvalidParameters):
        rendered(document("dev", "rolling"), ReadyTimeoutSeconds="600; reboot")


def test_every_node_carries_the_tags_the_documented_targets_and_the_operator_grant_use():
    # README, Day 2: --targets Key=tag:rustfs:cluster,Values=rustfs-dev; the IAM grant checks rustfs:stack.
    nodes = world("dev").nodes
    assert len(nodes) == 4
    for node in nodes:
        assert node.instance_tags["rustfs:cluster"] == "rustfs-dev"
        assert node.instance_tags["rustfs:stack"] == "dev"


# --- who may send them -----------------------------------------------------------------------------------------

REGION = "us-east-1"


def _operator_verdict(action: str, resource: str, **context) -> bool:
    identity = operator_policy(partition="aws", region=REGION, account_id=ACCOUNT_ID, name="rustfs-dev",
                               stack="dev")
    boundary = permissions_boundary(name="rustfs-dev", stack="dev", partition="aws")
    req = Request(action, resource, tuple({"aws:RequestedRegion": REGION, **context}.items()), "operator")
    return evaluate(req, identity, boundary).allowed


def test_operator_may_send_exactly_the_stacks_restart_documents_to_the_stacks_nodes():
    arns = {d.inputs["name"]: d.outputs["arn"] for d in restart_resources("dev")}
    tagged = {d.outputs["arn"]: {"ssm:resourceTag/rustfs:stack": d.inputs["tags"]["rustfs:stack"]}
              for d in restart_resources("dev")}
    for arn in arns.values():
        assert _operator_verdict("ssm:SendCommand", arn, **tagged[arn]), arn
        assert not _operator_verdict("ssm:SendCommand", arn), arn  # the document's rustfs:stack tag is load-bearing
        for action in ("ssm:DescribeDocument", "ssm:GetDocument"):
            assert _operator_verdict(action, arn), (action, arn)
    ssm = f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}"
    for other in (f"arn:aws:ssm:{REGION}::document/AWS-RunShellScript", f"{ssm}:document/rustfs-prod-restart-rolling",
                  f"{ssm}:document/rustfs-dev-restart-anything"):
        assert not _operator_verdict("ssm:SendCommand", other, **{"ssm:resourceTag/rustfs:stack": "dev"}), other
    instance = f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:instance/i-0123456789abcdef0"
    tags = world("dev").nodes[0].instance_tags
    assert _operator_verdict("ssm:SendCommand", instance, **{"ssm:resourceTag/rustfs:stack": tags["rustfs:stack"]})
    assert not _operator_verdict("ssm:SendCommand", instance, **{"ssm:resourceTag/rustfs:stack": "prod"})
    assert not _operator_verdict("ssm:SendCommand", instance)
    for follow in ("ssm:ListCommandInvocations", "ssm:GetCommandInvocation", "ssm:CancelCommand"):
        assert _operator_verdict(follow, "*"), follow


def test_the_recorded_operator_policy_names_the_recorded_documents():
    r = run_stack("dev", {"rustfs-aws:security": {"operatorPrincipals": [f"arn:aws:iam::{ACCOUNT_ID}:role/Ops"]}})
    [policy] = [p for p in r.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("-iam-operator")]
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    # The restart and patch documents, as recorded (not the Session documents, nor other components' documents).
    names = {*restart_document_names("rustfs-dev").values(), patch_document_name("rustfs-dev")}
    documents = sorted(d.outputs["arn"] for d in r.of_type(DOCUMENT) if d.inputs["name"] in names)
    assert len(documents) == 3
    assert statements["ReadOperationsDocuments"]["Resource"] == documents
    assert statements["SendOperationsDocumentsToStackNodes"]["Resource"][:-1] == documents


# --- the scripts: shellcheck --------------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_scripts_pass_shellcheck_as_written_and_as_the_agent_runs_them(stack, tmp_path):
    findings = []
    for name, content in documents(stack).items():
        [step] = content["mainSteps"]
        findings.append(shellcheck(tmp_path, f"{name}-raw", "\n".join(step["inputs"]["runCommand"]) + "\n"))
        phases = content["parameters"].get("Phase", {}).get("allowedValues", [None])
        for phase in phases:
            text = rendered(content, **({"Phase": phase} if phase else {}))
            findings.append(shellcheck(tmp_path, f"{name}-{phase}", text))
    assert not "".join(findings), "".join(findings)


# --- the scripts, run here ------------------------------------------------------------------------------------------

def test_rolling_restart_waits_for_ready_over_http(tmp_path):
    with HealthServer([503, 503, 200]) as server:
        files = node_files(tmp_path, server.port, None)
        result, calls, _ = run_script(tmp_path, rendered(document("dev", "rolling"), ReadyTimeoutSeconds="30"), files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls == ["restart rustfs.service"]
    mine = [path for path, host in server.requests if host == f"{files['node']}:{server.port}"]
    assert mine == ["/minio/health/cluster"] + ["/health/ready"] * 3
    assert f"{files['node']} is ready" in result.stdout


def test_rolling_restart_fails_within_its_bound_when_the_node_never_gets_ready(tmp_path):
    with HealthServer([503]) as server:
        files = node_files(tmp_path, server.port, None)
        result, calls, elapsed = run_script(tmp_path, rendered(document("dev", "rolling"), ReadyTimeoutSeconds="3"),
                                            files)
    assert result.returncode == 1
    assert calls[0] == "restart rustfs.service" and calls[1].startswith("status rustfs.service")
    assert "not ready within 3s (last /health/ready answer: HTTP 503)" in result.stdout
    assert 2 <= elapsed < 3 + 5 + 3  # the bound (whole seconds of `date +%s`), one probe's --max-time, slack
    assert len(server.requests) >= 5


def test_rolling_restart_fails_when_nothing_answers(tmp_path):
    with HealthServer([200]) as server:
        port = server.port
    files = node_files(tmp_path, port, None)  # the server is gone: connection refused
    result, calls, elapsed = run_script(
        tmp_path, rendered(document("dev", "rolling"), ReadyTimeoutSeconds="2", QuorumTimeoutSeconds="2"), files)
    assert result.returncode == 1 and "HTTP 000" in result.stdout and elapsed < 10
    assert calls == [], "nothing answers, so nothing vouches for quorum: no restart"


# --- the rolling restart needs quorum to spare ----------------------------------------------------------------------

def _peer_names() -> list[str]:
    return [n.name for n in world("dev").nodes[1:]]


def test_rolling_restart_first_checks_write_quorum_and_every_peer(tmp_path):
    with HealthServer([200]) as server:
        files = node_files(tmp_path, server.port, None)
        result, calls, _ = run_script(tmp_path, rendered(document("dev", "rolling")), files)
    assert result.returncode == 0, result.stdout + result.stderr
    asked = {(host.rsplit(":", 1)[0], path) for path, host in server.requests}
    assert {(files["node"], "/minio/health/cluster")} | {(p, "/health/ready") for p in _peer_names()} <= asked
    assert calls == ["restart rustfs.service"]


@pytest.mark.parametrize(("down", "cluster", "reason"), [
    (True, [200], "not ready: "),  # one other node down: restarting this one would take two down
    (False, [503], "no write quorum (HTTP 503 on /minio/health/cluster)"),
])
def test_rolling_restart_refuses_without_quorum_to_spare_and_stops_the_rollout(tmp_path, down, cluster, reason):
    peer = _peer_names()[1]
    with HealthServer([200], cluster=cluster, peers={peer: [503]} if down else None) as server:
        files = node_files(tmp_path, server.port, None)
        result, calls, elapsed = run_script(
            tmp_path, rendered(document("dev", "rolling"), QuorumTimeoutSeconds="2"), files)
    assert result.returncode == 1, result.stdout  # fails the invocation: --max-errors 0 stops the rollout
    assert calls == [], "nothing was restarted"
    assert reason in result.stdout and (not down or f"{peer} (HTTP 503)" in result.stdout)
    assert elapsed < 2 + 5 + 3


def test_rolling_restart_waits_for_a_peer_that_comes_back(tmp_path):
    peer = _peer_names()[0]
    with HealthServer([200], peers={peer: [503, 503, 200]}) as server:
        files = node_files(tmp_path, server.port, None)
        result, calls, _ = run_script(tmp_path, rendered(document("dev", "rolling"), QuorumTimeoutSeconds="30"),
                                      files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls == ["restart rustfs.service"]
    assert [p for p, host in server.requests if host.startswith(peer)].count("/health/ready") == 3


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_scripts_peers_are_the_hosts_rustfs_expands_from_its_volumes(stack, tmp_path):
    """The script's {a...b} expansion against the one the layout model shares with the policy pack."""
    [step] = document(stack, "rolling")["mainSteps"]
    text = "\n".join(step["inputs"]["runCommand"])
    program = text[text.index("<<'PY'\n") + 7:text.index("\nPY\n")]
    node = world(stack).nodes[0]
    volumes = env_file(node.files["/etc/default/rustfs"].content)["RUSTFS_VOLUMES"]
    out = subprocess.run([sys.executable, "-c", program, volumes, node.name], capture_output=True, text=True,
                         check=True).stdout
    expected = {(u.hostname, str(u.port)) for u in map(urlsplit, expand_volumes(volumes))} - {(node.name, "9000")}
    assert {tuple(line.split()) for line in out.splitlines()} == expected
    assert len(expected) == len(world(stack).nodes) - 1


def _tls_material(directory: Path, node: str, *others: str) -> tuple[ssl.SSLContext, Path]:
    """A cluster CA, the node's certificate for its DNS name (as components/cluster/tls.py issues; ``others`` add
    names, so one test server can answer as several nodes), in the node's TLS layout (ca.crt, rustfs_cert.pem,
    rustfs_key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, node_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RustFS dev private CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, node)]))
            .issuer_name(ca_name).public_key(node_key.public_key()).serial_number(2)
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in (node, *others)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    directory.mkdir()
    (directory / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "rustfs_cert.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (directory / "rustfs_key.pem").write_bytes(node_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "rustfs_cert.pem", directory / "rustfs_key.pem")
    return context, directory


def test_rolling_restart_checks_the_nodes_certificate_by_its_name_over_loopback(tmp_path):
    node = world("dev").nodes[0].name
    context, tls_dir = _tls_material(tmp_path / "tls", node, *_peer_names())  # the server answers as every node
    with HealthServer([503, 200], tls=context) as server:
        files = node_files(tmp_path, server.port, tls_dir)
        result, _, _ = run_script(tmp_path, rendered(document("dev", "rolling"), ReadyTimeoutSeconds="30"), files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert server.requests[-1] == ("/health/ready", f"{node}:{server.port}")  # the node's name, on 127.0.0.1


def test_rolling_restart_refuses_a_certificate_the_cluster_ca_did_not_sign(tmp_path):
    node = world("dev").nodes[0].name
    context, _ = _tls_material(tmp_path / "served", node)
    _, other_ca = _tls_material(tmp_path / "tls", node)  # the node trusts another CA than the one that signed
    with HealthServer([200], tls=context) as server:
        files = node_files(tmp_path, server.port, other_ca)
        result, calls, _ = run_script(
            tmp_path, rendered(document("dev", "rolling"), ReadyTimeoutSeconds="2", QuorumTimeoutSeconds="2"), files)
    assert result.returncode == 1 and "HTTP 000" in result.stdout  # never -k: an unverified 200 is no success
    assert calls == []


@pytest.mark.parametrize(("parameter", "bound"), [("ReadyTimeoutSeconds", MAX_READY_TIMEOUT_SECONDS),
                                                ("QuorumTimeoutSeconds", MAX_QUORUM_TIMEOUT_SECONDS)])
def test_timeouts_outside_the_scripts_range_are_refused(tmp_path, parameter, bound):
    files = node_files(tmp_path, 1, None)
    result, calls, _ = run_script(tmp_path, rendered(document("dev", "rolling"), **{parameter: "9999"}), files)
    assert result.returncode == 2 and calls == [] and f"{parameter} must be 1..{bound}" in result.stdout


def test_coordinated_stop_stops_and_fails_if_the_unit_stays_active(tmp_path):
    content = document("dev", "coordinated")
    files = node_files(tmp_path, 1, None)
    result, calls, _ = run_script(tmp_path, rendered(content, Phase="stop"), files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls == ["stop rustfs.service", "is-active --quiet rustfs.service"]
    assert (tmp_path / "unit-state").read_text().strip() == "inactive"
    result, _, _ = run_script(tmp_path, rendered(content, Phase="stop"), files, FAKE_STOP_IGNORED="1")
    assert result.returncode == 1 and "still active" in result.stdout


def test_coordinated_start_refuses_a_node_that_was_not_stopped(tmp_path):
    files = node_files(tmp_path, 1, None)
    result, calls, _ = run_script(tmp_path, rendered(document("dev", "coordinated"), Phase="start"), files,
                                  state="active")
    assert result.returncode == 1 and "send Phase=stop to every node first" in result.stdout
    assert calls == ["is-active --quiet rustfs.service"]  # nothing started


def test_coordinated_start_starts_and_waits_for_ready(tmp_path):
    with HealthServer([503, 503, 503, 200]) as server:
        files = node_files(tmp_path, server.port, None)
        result, calls, _ = run_script(tmp_path, rendered(document("dev", "coordinated"), Phase="start"), files,
                                      state="inactive")
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls == ["is-active --quiet rustfs.service", "start rustfs.service"]
    assert len(server.requests) == 4


# --- the fake AWS refuses what SSM and CloudWatch refuse --------------------------------------------------------------

GOOD_CONTENT = json.dumps({"schemaVersion": "2.2", "description": "x", "parameters": {"A": {"type": "String"}},
                           "mainSteps": [{"action": "aws:runShellScript", "name": "s",
                                          "inputs": {"runCommand": ["echo {{ A }}"]}}]})


@pytest.mark.parametrize(("name", "content", "error"), [
    ("AWS-MyRestart", GOOD_CONTENT, "reserves"),
    ("amznRestart", GOOD_CONTENT, "reserves"),
    ("rustfs dev restart", GOOD_CONTENT, "must match"),
    ("rustfs-dev-restart", GOOD_CONTENT.replace("{{ A }}", "{{ B }}"), 'Parameter "B" is not declared'),
    ("rustfs-dev-restart", GOOD_CONTENT.replace('"x"', json.dumps("x" * 70_000)), "MaxDocumentSizeExceeded"),
    ("rustfs-dev-restart", GOOD_CONTENT[:-1], "not well-formed"),
])
def test_fake_ssm_refuses_documents_ssm_refuses(name, content, error):
    with pytest.raises(AwsRejects, match=error):
        check_document(name, "Command", content)
    check_document("rustfs-dev-restart", "Command", GOOD_CONTENT)
    check_document("rustfs-dev-restart", "Command", GOOD_CONTENT.replace("{{ A }}", "{{ ssm:/my/param }}"))


@pytest.mark.parametrize(("settings", "error"), [
    ({"period": 90, "evaluationPeriods": 1}, "multiple of 60"),
    ({"period": 60, "evaluationPeriods": 1441}, "exceeds 86400"),
    ({"period": 86_400, "evaluationPeriods": 8}, "exceeds 604800"),
    ({"period": 60, "evaluationPeriods": 2, "datapointsToAlarm": 3}, "DatapointsToAlarm"),
    ({"period": 60, "evaluationPeriods": 1, "treatMissingData": "notbreaching"}, "TreatMissingData"),
    ({"period": 60, "evaluationPeriods": 1, "alarmDescription": "x" * 1025}, "AlarmDescription"),
])
def test_fake_cloudwatch_refuses_alarms_cloudwatch_refuses(settings, error):
    with pytest.raises(AwsRejects, match=error):
        check_alarm("a", settings)
    check_alarm("a", {"period": 86_400, "evaluationPeriods": 7, "treatMissingData": "ignore"})

