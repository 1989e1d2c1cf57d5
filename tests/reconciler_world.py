"""A RustFS node for the reconciler, on this machine: moto (S3, DynamoDB, SSM, Secrets Manager, CloudWatch) as AWS,
the admin stub (tests/rustfs_admin_stub.py) in front of moto's S3 as the node's port 9000, the desired state published
the way the program publishes it (state.desired_body + rustfs_state.document), and the node's bootstrap.env."""

from __future__ import annotations

import datetime
import json
import urllib.request
from dataclasses import dataclass, field

import boto3
import pytest
from rustfs_admin_stub import RustfsStub

import rustfs_aws.state.reconciler.rustfs_reconcile as reconciler
from rustfs_aws.state.state import desired_body, parameter_name, table_name
from rustfs_model import rustfs_state

REGION = "eu-west-1"
CLUSTER = "rustfs-t"
ROOT = {"accessKey": "ROOTKEY0ROOTKEY0ROOT", "secretKey": "rootsecret0ROOTSECRET0rootsecret0ROOTSE"}
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::orders/*"]},
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::orders"}]}
STATE = {
    "buckets": [{"name": "orders", "versioning": "enabled", "quotaGiB": 2,
                 "lifecycle": [{"id": "old-versions", "noncurrentExpirationDays": 30,
                                "abortIncompleteMultipartDays": 7}]},
                {"name": "ledger", "versioning": "enabled", "objectLock": {"mode": "GOVERNANCE", "days": 7}}],
    "policies": [{"name": "orders-rw", "document": POLICY}],
    "serviceAccounts": [{"name": "orders-api", "policy": "orders-rw"}],
}
WRITES = {"PUT", "POST", "DELETE"}


@dataclass
class World:
    aws: str  # moto endpoint
    node: str  # the stub's endpoint (RustFS's port 9000)
    stub: RustfsStub
    boot_env: str
    secret_arns: dict[str, str] = field(default_factory=dict)

    def client(self, service: str):
        return boto3.client(service, region_name=REGION, endpoint_url=self.aws)

    def publish(self, state: dict) -> dict:
        """Parse ``state`` as the stack config's ``rustfs`` section and publish it, as the program does."""
        parsed, problems = rustfs_state.parse_state(state)
        assert not problems, problems
        sm = self.client("secretsmanager")
        for a in parsed["serviceAccounts"]:
            if not a["delete"] and a["name"] not in self.secret_arns:
                self.secret_arns[a["name"]] = sm.create_secret(
                    Name=f"rustfs/t/service-accounts/{a['name']}",
                    SecretString=json.dumps(new_keys(a["name"])))["ARN"]
        doc = rustfs_state.document(desired_body(
            cluster_id=CLUSTER, namespace="RustFS/t", buckets=parsed["buckets"], policies=parsed["policies"],
            service_accounts=parsed["serviceAccounts"], secret_arns=self.secret_arns))
        self.client("ssm").put_parameter(Name=parameter_name(CLUSTER), Type="String", Overwrite=True,
                                         Value=rustfs_state.document_text(doc))
        return doc

    def run(self, *extra: str, clock=None) -> int:
        argv = ["--parameter", parameter_name(CLUSTER), "--boot-env", self.boot_env, "--endpoint", self.node,
                "--aws-endpoint", self.aws, *extra]
        return reconciler.main(argv, **({"clock": clock} if clock else {}))

    def calls_during(self, fn) -> tuple[list, list]:
        """(S3 calls, admin calls) the reconciler made while ``fn`` ran."""
        s3, admin = len(self.stub.s3_calls), len(self.stub.admin_calls)
        fn()
        return self.stub.s3_calls[s3:], self.stub.admin_calls[admin:]

    def ledger(self) -> dict:
        item = self.client("dynamodb").get_item(TableName=table_name(CLUSTER), Key={"pk": {"S": CLUSTER}})["Item"]
        return json.loads(item["ledger"]["S"])

    def metric(self, name: str) -> list[float]:
        now = datetime.datetime.now(datetime.UTC)
        data = self.client("cloudwatch").get_metric_data(MetricDataQueries=[{
            "Id": "m", "MetricStat": {"Metric": {"Namespace": "RustFS/t", "MetricName": name, "Dimensions": [
                {"Name": "ClusterId", "Value": CLUSTER}]}, "Period": 60, "Stat": "Maximum"}}],
            StartTime=now - datetime.timedelta(minutes=30), EndTime=now + datetime.timedelta(minutes=30))
        return data["MetricDataResults"][0]["Values"]


def new_keys(name: str, n: int = 0) -> dict:
    base = (name.upper().replace("-", "") + "KEY" * 8)[:16]
    return {"accessKey": f"{base}{n:04d}", "secretKey": f"{name}Secret{n}".ljust(40, "x")[:40]}


def writes(calls: list) -> list:
    return [c for c in calls if c[0] in WRITES]


@pytest.fixture
def rustfs_node(moto_endpoint, tmp_path, monkeypatch):
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    stub = RustfsStub(moto_endpoint, ROOT["accessKey"], ROOT["secretKey"], REGION)
    server, node = stub.serve()
    w = World(moto_endpoint, node, stub, str(tmp_path / "bootstrap.env"))
    root_arn = w.client("secretsmanager").create_secret(Name="rustfs/t/root-credentials",
                                                        SecretString=json.dumps(ROOT))["ARN"]
    (tmp_path / "bootstrap.env").write_text(
        f"BOOT_REGION={REGION}\nBOOT_NODE_NAME=rustfs-1.t.internal\nBOOT_CREDENTIALS_SECRET_ARN='{root_arn}'\n"
        f"BOOT_TLS_DIR={tmp_path}\n")
    w.client("dynamodb").create_table(
        TableName=table_name(CLUSTER), BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    yield w
    server.shutdown()
