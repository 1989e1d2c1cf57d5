"""The prod stack's RustFS state as the program declares it: the parameter holds the declared state with secret ARNs
and no secret, the association carries its revision and the reconciler's hash, the table is KMS-encrypted with
PITR, the node role reaches only the cluster's lease item, its parameter and its service accounts' secrets; the
install step passes shellcheck and the reconciler runs on AL2023's Python 3.9; every AWS call the reconciler makes
(recorded from a run against moto) is allowed by prod's real node policy and boundary, near misses are not."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import boto3
import pytest
from iam_eval import Request, evaluate
from node_iam_requests import tag_context
from reconciler_world import STATE
from ssm_scripts import rendered, shellcheck

import rustfs_aws.state.reconciler.rustfs_reconcile as reconciler
from preflight.runner import run_stack
from rustfs_aws.state.state import SCRIPT, install_document, parameter_name, table_name
from rustfs_model import rustfs_state

STACK, CLUSTER, REGION = "prod", "rustfs-prod", "us-east-1"


@cache
def recording():
    return run_stack(STACK)


def one(type_: str, **inputs):
    found = [r for r in recording().of_type(type_) if all(r.inputs.get(k) == v for k, v in inputs.items())]
    assert len(found) == 1, (type_, inputs, len(found))
    return found[0]


def published() -> dict:
    return reconciler.load_document(one("aws:ssm/parameter:Parameter", name=parameter_name(CLUSTER)).inputs[
        "insecureValue"])


def node_policy() -> tuple[dict, dict, str]:
    r = recording()
    [policy] = [p for p in r.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == f"{CLUSTER}-iam-node"]
    [boundary] = [p for p in r.of_type("aws:iam/policy:Policy") if p.name == f"{CLUSTER}-iam-permissions-boundary"]
    return json.loads(policy.inputs["policy"]), json.loads(boundary.inputs["policy"]), policy.inputs["role"]


def test_the_parameter_holds_the_declared_state_with_secret_arns_and_no_secret():
    doc = published()
    secret = one("aws:secretsmanager/secret:Secret", name="rustfs/prod/service-accounts/orders-api")
    [account] = doc["serviceAccounts"]
    assert account["secretArn"] == secret.outputs["arn"] and account["policy"] == "orders-readwrite"
    assert "accessKey" not in account and "secretKey" not in account
    assert rustfs_state.secret_like(doc) == []
    assert [b["name"] for b in doc["buckets"]] == ["orders"] and doc["lock"]["table"] == table_name(CLUSTER)
    root = one("aws:secretsmanager/secret:Secret", name="rustfs/prod/root-credentials")
    assert secret.inputs["kmsKeyId"] == root.inputs["kmsKeyId"]  # the secrets key, as the root credentials'
    assert secret.inputs["recoveryWindowInDays"] == 30
    version = [v for v in recording().of_type("aws:secretsmanager/secretVersion:SecretVersion")
               if v.inputs.get("secretId") in (secret.outputs.get("id"), secret.outputs["arn"])]
    assert version and version[0].inputs["secretString"] == "[secret]"


def test_the_association_runs_the_install_for_this_state_and_this_reconciler_on_this_cluster_only():
    association = one("aws:ssm/association:Association", associationName=f"{CLUSTER}-state")
    params = association.inputs["parameters"]
    assert params["StateSha256"] == published()["revision"]
    assert params["ScriptSha256"] == hashlib.sha256(SCRIPT.read_bytes()).hexdigest()
    assert association.inputs["targets"] == [{"key": "tag:rustfs:cluster", "values": [CLUSTER]}]


def test_the_table_is_on_demand_kms_encrypted_with_pitr_and_deletion_protection():
    table = one("aws:dynamodb/table:Table", name=table_name(CLUSTER))
    key = one("aws:kms/key:Key", description=f"DynamoDB lease and ledger of RustFS {CLUSTER}'s state reconciler")
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key.outputs["arn"]}
    assert table.inputs["pointInTimeRecovery"]["enabled"] is True
    assert table.inputs["deletionProtectionEnabled"] is True and key.inputs["enableKeyRotation"] is True


def test_the_install_step_passes_shellcheck_as_written_and_substituted(tmp_path):
    content = install_document(CLUSTER)
    script = "\n".join(content["mainSteps"][0]["inputs"]["runCommand"]) + "\n"
    assert shellcheck(tmp_path, "written", script) == ""
    substituted = rendered(content, ReleaseVersion="2023.11.20260526", StateParameter=parameter_name(CLUSTER),
                           StateSha256="a" * 64, ScriptSha256="b" * 64, IntervalMinutes="5")
    assert shellcheck(tmp_path, "substituted", substituted) == ""


def test_the_reconciler_runs_on_al2023s_python_3_9():
    """AL2023's python3 is 3.9 (AL2023 User Guide, "Python in AL2023"): vermin finds the oldest version the file
    needs from the syntax and the standard library it uses."""
    vermin = str(Path(sys.executable).with_name("vermin"))
    out = subprocess.run([vermin, "--no-tips", "--violations", "-t=3.9-", str(SCRIPT)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


# --- the reconciler's AWS calls against prod's node policy ----------------------------------------------------

def recorded_calls(w, monkeypatch) -> set[tuple[str, str, str]]:
    """(service, operation, the parameter naming its resource) of every AWS API call a full run makes."""
    calls = set()
    names = {"GetParameter": "Name", "GetSecretValue": "SecretId", "UpdateItem": "TableName",
             "PutMetricData": "Namespace"}

    class Recording(boto3.session.Session):
        def client(self, service, *args, **kwargs):
            client = super().client(service, *args, **kwargs)
            if kwargs.get("endpoint_url") == w.aws:  # AWS, not RustFS's S3 port
                client.meta.events.register("before-parameter-build", lambda model, params, **_: calls.add(
                    (service, model.name, str(params.get(names.get(model.name, ""), "")))))
            return client

    monkeypatch.setattr(reconciler.boto3.session, "Session", Recording)
    w.publish(STATE)
    assert w.run() == 0
    return calls


def requests(kind: str, name: str, policy: dict, role_arn: str) -> list[Request]:
    """The IAM requests one call becomes in prod (the names of the prod stack's resources)."""
    account = "123456789012"
    base = {"aws:RequestedRegion": REGION, "aws:PrincipalAccount": account, "aws:PrincipalArn": role_arn,
            "aws:SecureTransport": "true"}
    doc = published()
    secrets = {a["name"]: a["secretArn"] for a in doc["serviceAccounts"]}
    root = one("aws:secretsmanager/secret:Secret", name="rustfs/prod/root-credentials")
    key = one("aws:kms/key:Key", description=f"DynamoDB lease and ledger of RustFS {CLUSTER}'s state reconciler")
    state_key = key.outputs["arn"]
    table = one("aws:dynamodb/table:Table", name=table_name(CLUSTER)).outputs["arn"]
    tags = {r.outputs["arn"]: r.inputs.get("tags") or {} for r in recording().of_type(
        "aws:secretsmanager/secret:Secret")}
    if kind == "GetParameter":
        return [Request("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{account}:parameter{parameter_name(CLUSTER)}",
                        tuple(base.items()), kind)]
    if kind == "GetSecretValue":
        arn = root.outputs["arn"] if name.endswith("root-credentials") else secrets["orders-api"]
        return [Request("secretsmanager:GetSecretValue", arn, tuple({
            **base, **tag_context("secretsmanager", tags[arn]), "secretsmanager:SecretId": arn}.items()), kind)]
    if kind == "UpdateItem":
        via = {**base, **tag_context("kms", key.inputs["tags"]), "kms:ViaService": f"dynamodb.{REGION}.amazonaws.com",
               "kms:CallerAccount": account}
        return [Request("dynamodb:UpdateItem", table, tuple({**base, "dynamodb:LeadingKeys": [CLUSTER]}.items()),
                        kind),
                *[Request(a, state_key, tuple(via.items()), f"{kind} (table key)")
                  for a in ("kms:Decrypt", "kms:GenerateDataKey")]]
    if kind == "PutMetricData":
        assert name == "RustFS/t"
        return [Request("cloudwatch:PutMetricData", "*", tuple({**base, "cloudwatch:namespace": "RustFS/prod"}.items()),
                        kind)]
    raise AssertionError(f"the reconciler calls {kind}: add it here and to the node policy")


def test_every_aws_call_of_a_run_is_allowed_by_prods_node_policy(rustfs_node, monkeypatch):
    calls = recorded_calls(rustfs_node, monkeypatch)
    assert {(s, op) for s, op, _ in calls} == {("ssm", "GetParameter"), ("secretsmanager", "GetSecretValue"),
                                               ("dynamodb", "UpdateItem"), ("cloudwatch", "PutMetricData")}
    policy, boundary, role = node_policy()
    role_arn = f"arn:aws:iam::123456789012:role/{role}"
    for _, kind, name in calls:
        for req in requests(kind, name, policy, role_arn):
            verdict = evaluate(req, policy, boundary)
            assert verdict.allowed, (req, verdict)


def test_near_misses_are_refused():
    policy, boundary, _ = node_policy()
    table = one("aws:dynamodb/table:Table", name=table_name(CLUSTER)).outputs["arn"]
    base = {"aws:RequestedRegion": REGION}
    refused = [
        Request("dynamodb:UpdateItem", table, tuple({**base, "dynamodb:LeadingKeys": ["rustfs-other"]}.items()), ""),
        Request("dynamodb:DeleteItem", table, tuple({**base, "dynamodb:LeadingKeys": [CLUSTER]}.items()), ""),
        Request("dynamodb:Scan", table, tuple(base.items()), ""),
        Request("dynamodb:UpdateItem", table.replace(table_name(CLUSTER), "other-table"),
                tuple({**base, "dynamodb:LeadingKeys": [CLUSTER]}.items()), ""),
        Request("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{REGION}:123456789012:secret:"
                "rustfs/prod/service-accounts/someone-else-AbCdEf", tuple(base.items()), ""),
        Request("ssm:GetParameter", f"arn:aws:ssm:{REGION}:123456789012:parameter/rustfs/other/state/desired",
                tuple(base.items()), ""),
        Request("ssm:PutParameter", f"arn:aws:ssm:{REGION}:123456789012:parameter{parameter_name(CLUSTER)}",
                tuple(base.items()), ""),
    ]
    for req in refused:
        assert not evaluate(req, policy, boundary).allowed, req


def test_the_lease_statement_names_only_the_clusters_item():
    policy, _, _ = node_policy()
    [lease] = [s for s in policy["Statement"] if s.get("Sid") == "StateLeaseItem"]
    assert lease["Action"] == "dynamodb:UpdateItem"
    assert lease["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [CLUSTER]}}
    assert Path(SCRIPT).read_text().count("update_item(") == 1  # the one call it grants


def test_the_cost_report_prices_the_lease_the_secret_calls_and_the_metrics():
    """prod: 6 nodes try the lease every 5 minutes (8,760 runs a month each), the holder releases it; each node reads
    the root credentials, the holder the one service account's keys (prices.json: DynamoDB $0.625 per million write
    units, Secrets Manager $0.05 per 10k calls, CloudWatch $0.30 per metric-month)."""
    from rustfs_model.cost import monthly_cost
    items = {i["what"]: i for i in monthly_cost([r.to_json() for r in recording().resources], REGION)["items"]}
    runs = 730 * 60 / 5
    lease = items["DynamoDB on-demand (state lease, 1 table)"]
    assert lease["monthlyUSD"] == round((6 * runs + runs) / 1e6 * 0.625 + 0.001 * 0.2, 2)
    # One line per product: the calls join the Secrets Manager line (its secrets, the service account's among them,
    # and the default usage's client calls), the four metrics the collector's custom metrics line.
    [secrets] = [i for w, i in items.items() if w.startswith("Secrets Manager (")]
    assert "0.4/secret-month" in secrets["basis"] and "61,320 GetSecretValue calls (1 service accounts)" in secrets[
        "basis"]
    [metrics] = [i for w, i in items.items() if w.startswith("CloudWatch custom metrics (")]
    assert "the state reconciler's 4 metrics (ClusterId) x $0.3/metric-month" in metrics["basis"]
    without = {i["what"]: i for i in monthly_cost([r.to_json() for r in recording().resources  # no reconciler
                                                   if "StateParameter" not in (r.inputs.get("parameters") or {})],
                                                  REGION)["items"]}
    assert secrets["monthlyUSD"] == pytest.approx(without[secrets["what"]]["monthlyUSD"]
                                                  + (6 * runs + runs) / 10_000 * 0.05, abs=0.01)
    [before] = [w for w in without if w.startswith("CloudWatch custom metrics (")]
    assert int(metrics["what"][27:-1]) == int(before[27:-1]) + 4
    assert metrics["monthlyUSD"] == pytest.approx(without[before]["monthlyUSD"] + 1.2, abs=0.01)
