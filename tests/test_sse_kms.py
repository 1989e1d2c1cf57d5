"""SSE with RustFS's AWS KMS backend in prod: the nodes' environment, the key, and exactly the KMS calls the backend
makes allowed to the node role on that key (rustfs/rustfs 1.0.0-rc.3 crates/kms/src/backends/aws.rs)."""

from __future__ import annotations

import json

import pytest
from dev_node import recording, world
from iam_eval import Request, evaluate
from iam_review import unexplained

from rustfs_aws.cluster.bootstrap.render import UserDataParams, rustfs_environment
from rustfs_aws.integrations.documents import SSE_KEY_ACTIONS, SSE_LIST_ACTIONS, sse_node_statements
from rustfs_aws.security.key_policies import key_policy

ACCOUNT = "123456789012"


def sse_key(stack: str = "prod"):
    [key] = [k for k in recording(stack).of_type("aws:kms/key:Key")
             if k.inputs["tags"].get("rustfs:key-purpose") == "sse"]
    return key


def node_env(stack: str) -> list[dict]:
    return [n.files["/etc/default/rustfs"].content for n in world(stack).nodes]


def parse_env(text: str) -> dict:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_every_prod_node_runs_rustfs_with_the_aws_backend_and_the_sse_key():
    arn = sse_key().outputs["arn"]
    envs = [parse_env(text) for text in node_env("prod")]
    assert len(envs) == 6
    for env in envs:
        assert env["RUSTFS_KMS_ENABLE"] == '"true"' and env["RUSTFS_KMS_BACKEND"] == '"aws"'
        assert env["RUSTFS_KMS_AWS_REGION"] == '"us-east-1"' and env["RUSTFS_KMS_DEFAULT_KEY_ID"] == f'"{arn}"'
        assert env["RUSTFS_KMS_PROBE_INTERVAL_SECS"] == '"0"'  # the AWS backend cannot host the probe's key
        assert not any(k.startswith("RUSTFS_KMS_VAULT") or k == "RUSTFS_KMS_LOCAL_MASTER_KEY" for k in env)


def test_dev_has_no_kms_settings_and_no_sse_key():
    assert not any("RUSTFS_KMS" in text for text in node_env("dev"))
    assert not [k for k in recording("dev").of_type("aws:kms/key:Key")
                if k.inputs["tags"].get("rustfs:key-purpose") == "sse"]


def test_the_key_must_be_an_arn_of_the_nodes_region():
    base = dict(cluster_id="rustfs-t", node_index=0, node_name="rustfs-1.t.internal", hosted_zone_id="Z0123456789",
                volumes="https://rustfs-{1...4}.t.internal:9000/data/rustfs{0...1}", drives_per_node=2,
                rustfs_version="1.0.1", arch="x86_64", region="us-east-1",
                credentials_secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf",
                tls_secret_arn=None)
    ok = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert 'RUSTFS_KMS_DEFAULT_KEY_ID="' + ok in rustfs_environment(UserDataParams(**base, sse_key_arn=ok))
    for bad in (ok.replace("us-east-1", "eu-west-1"), "alias/rustfs/t/sse", "1234abcd-12ab-34cd-56ef-1234567890ab"):
        with pytest.raises(ValueError, match="sse_key_arn"):
            UserDataParams(**base, sse_key_arn=bad)


def test_the_sse_key_is_a_protected_rotating_customer_managed_key():
    key = sse_key()
    assert key.protect and key.inputs["enableKeyRotation"] is True
    assert key.inputs["keyUsage"] == "ENCRYPT_DECRYPT" and key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    aliases = {a.inputs["name"]: a for a in recording("prod").of_type("aws:kms/alias:Alias")}
    assert aliases["alias/rustfs/prod/sse"].inputs["targetKeyId"] == key.outputs["keyId"]


def _statements(stack="prod") -> dict:
    return {s.get("Sid"): s for s in world(stack).node_policy["Statement"]}


def test_the_node_role_may_make_exactly_the_backends_calls_on_exactly_the_sse_key():
    statements = _statements()
    key = sse_key().outputs["arn"]
    use = statements["RustfsSseWithTheSseKey"]
    assert sorted(use["Action"]) == ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"] == SSE_KEY_ACTIONS
    assert use["Resource"] == key and "Condition" not in use  # RustFS calls KMS itself: no kms:ViaService
    health = statements["RustfsKmsHealthCheck"]
    assert health["Action"] == SSE_LIST_ACTIONS == ["kms:ListKeys"] and health["Resource"] == "*"
    assert health["Condition"] == {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    # nothing else names the key
    assert [sid for sid, s in statements.items() if key in json.dumps(s.get("Resource"))] == ["RustfsSseWithTheSseKey"]
    assert "RustfsSseWithTheSseKey" not in _statements("dev")


def _node_can(action: str, resource: str, key_policy_doc: dict | None = None, **ctx) -> bool:
    w = world("prod")
    tags = {"aws:ResourceTag/rustfs:stack": "prod"} if resource != "*" else {}
    req = Request(action, resource, tuple({"aws:PrincipalArn": w.role_arn, "aws:PrincipalAccount": ACCOUNT,
                                           "aws:RequestedRegion": "us-east-1", "kms:CallerAccount": ACCOUNT,
                                           **tags, **ctx}.items()), action)
    return evaluate(req, w.node_policy, w.boundary, key_policy_doc, w.role_arn, ACCOUNT).allowed


def test_rustfs_can_encrypt_and_read_objects_but_never_administer_the_key():
    key = sse_key()
    policy = json.loads(key.inputs["policy"])
    for action in SSE_KEY_ACTIONS:
        assert _node_can(action, key.outputs["arn"], policy), action
    assert _node_can("kms:ListKeys", "*")
    for action in ("kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:CreateKey", "kms:RotateKeyOnDemand",
                   "kms:Encrypt", "kms:PutKeyPolicy", "kms:CancelKeyDeletion", "kms:EnableKey"):
        assert not _node_can(action, key.outputs["arn"], policy), action
    [storage] = [k for k in recording("prod").of_type("aws:kms/key:Key")
                 if k.inputs["tags"].get("Name") == "rustfs-prod-storage"]
    assert not _node_can("kms:GenerateDataKey", storage.outputs["arn"], json.loads(storage.inputs["policy"]))


def test_with_a_key_admin_role_the_key_admits_only_the_node_role_for_those_calls():
    admin = "arn:aws:iam::123456789012:role/key-admin"
    policy = key_policy("sse", name="rustfs-prod", account_id=ACCOUNT, partition="aws", region="us-east-1",
                        key_admin_role_arn=admin)
    [use] = [s for s in policy["Statement"] if s["Sid"] == "StorageNodesUseKeyForSse"]
    assert sorted(use["Action"]) == SSE_KEY_ACTIONS
    assert use["Condition"]["StringEquals"]["aws:PrincipalArn"] == "arn:aws:iam::123456789012:role/rustfs-prod-node"
    assert not any(s["Sid"] == "AccountAdministersKeyThroughIam" for s in policy["Statement"])
    key = sse_key().outputs["arn"]
    assert _node_can("kms:GenerateDataKey", key, policy)
    other = Request("kms:GenerateDataKey", key, (("aws:PrincipalArn", "arn:aws:iam::123456789012:role/other"),
                                                 ("kms:CallerAccount", ACCOUNT)), "another role of the account")
    w = world("prod")
    assert not evaluate(other, w.node_policy, w.boundary, policy, "arn:aws:iam::123456789012:role/other",
                        ACCOUNT).allowed
    assert not unexplained(policy, "key-policy")


def test_the_statements_are_parliament_clean():
    doc = {"Version": "2012-10-17", "Statement": sse_node_statements(
        key_arn="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", region="us-east-1")}
    assert not unexplained(doc, "identity")


def test_the_kms_interface_endpoint_carries_the_backends_calls():
    [kms] = [e for e in recording("prod").of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
             if e.inputs["serviceName"] == "com.amazonaws.us-east-1.kms"]
    assert kms.inputs["vpcEndpointType"] == "Interface" and kms.inputs["privateDnsEnabled"] is True
