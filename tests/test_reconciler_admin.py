"""The reconciler's admin-API work (policies, service accounts, quotas) against the stub that replays RustFS's
handlers (tests/rustfs_admin_stub.py names each handler): requests signed with the root credentials by botocore,
plain JSON on /rustfs/admin/v3, idempotent, converging from drift, never deleting what it did not create."""

from __future__ import annotations

import copy
import json

from reconciler_world import POLICY, ROOT, STATE, new_keys

import rustfs_aws.state.reconciler.rustfs_reconcile as reconciler


def account(w, name: str) -> dict:
    [(key, acc)] = [(k, a) for k, a in w.stub.accounts.items() if a["name"] == name]
    return {"accessKey": key, **acc}


def test_policies_and_service_accounts_are_created_with_the_declared_session_policy(rustfs_node):
    rustfs_node.publish(STATE)
    assert rustfs_node.run() == 0
    assert reconciler.normalize_policy(rustfs_node.stub.policies["orders-rw"]) == reconciler.normalize_policy(POLICY)
    sa = account(rustfs_node, "orders-api")
    secrets = rustfs_node.client("secretsmanager")
    keys = json.loads(secrets.get_secret_value(SecretId=rustfs_node.secret_arns["orders-api"])["SecretString"])
    assert (sa["accessKey"], sa["secretKey"]) == (keys["accessKey"], keys["secretKey"])
    # Never root-equivalent: the session policy is the declared one (rustfs/src/auth.rs has_root_access).
    assert reconciler.normalize_policy(sa["policy"]) == reconciler.normalize_policy(POLICY)
    assert sa["status"] == "on" and sa["parentUser"] == ROOT["accessKey"]
    ledger = rustfs_node.ledger()
    assert set(ledger["policies"]) == {"orders-rw"} and set(ledger["serviceAccounts"]) == {"orders-api"}
    _, admin = rustfs_node.calls_during(lambda: rustfs_node.run())
    assert {m for m, _ in admin} == {"GET"}, admin


def test_admin_drift_is_repaired(rustfs_node):
    rustfs_node.publish(STATE)
    assert rustfs_node.run() == 0
    rustfs_node.stub.policies["orders-rw"] = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::*"]}]}
    key = account(rustfs_node, "orders-api")["accessKey"]
    rustfs_node.stub.accounts[key].update(policy=None, status="off", description="changed by hand")
    assert rustfs_node.run() == 0
    sa = account(rustfs_node, "orders-api")
    assert reconciler.normalize_policy(rustfs_node.stub.policies["orders-rw"]) == reconciler.normalize_policy(POLICY)
    assert sa["policy"] is not None and sa["status"] == "on" and sa["description"].endswith("managed by rustfs-aws")


def test_rotated_keys_replace_the_account_and_a_new_secret_version_updates_its_secret_key(rustfs_node):
    rustfs_node.publish(STATE)
    assert rustfs_node.run() == 0
    old = account(rustfs_node, "orders-api")["accessKey"]
    sm = rustfs_node.client("secretsmanager")
    arn = rustfs_node.secret_arns["orders-api"]
    same_key = {**new_keys("orders-api"), "secretKey": "anotherSecret".ljust(40, "y")}
    sm.put_secret_value(SecretId=arn, SecretString=json.dumps(same_key))
    assert rustfs_node.run() == 0
    assert account(rustfs_node, "orders-api")["secretKey"] == same_key["secretKey"]
    rotated = new_keys("orders-api", 1)  # serviceAccounts[].version raised: new access key and secret key
    sm.put_secret_value(SecretId=arn, SecretString=json.dumps(rotated))
    assert rustfs_node.run() == 0
    assert old not in rustfs_node.stub.accounts
    assert account(rustfs_node, "orders-api")["accessKey"] == rotated["accessKey"]


def test_deletes_reach_only_what_the_reconciler_created(rustfs_node):
    rustfs_node.stub.policies["hand-made"] = POLICY
    rustfs_node.stub.accounts["HANDMADE0HANDMADE000"] = {
        "secretKey": "x" * 40, "parentUser": ROOT["accessKey"], "status": "on", "policy": POLICY,
        "name": "hand-made", "description": None}
    rustfs_node.publish(STATE)
    assert rustfs_node.run() == 0
    state = copy.deepcopy(STATE)
    state["serviceAccounts"] = [{"name": "orders-api", "delete": True}, {"name": "hand-made", "delete": True}]
    state["policies"] = [{"name": "orders-rw", "delete": True}, {"name": "hand-made", "delete": True}]
    rustfs_node.publish(state)
    assert rustfs_node.run() == 1  # the two refusals
    assert "HANDMADE0HANDMADE000" in rustfs_node.stub.accounts and "hand-made" in rustfs_node.stub.policies
    assert not [a for a in rustfs_node.stub.accounts.values() if a["name"] == "orders-api"]
    assert "orders-rw" not in rustfs_node.stub.policies
    assert rustfs_node.ledger()["policies"] == {} and rustfs_node.ledger()["serviceAccounts"] == {}
    assert "readwrite" in rustfs_node.stub.policies  # RustFS's built-ins are never touched


def test_a_policy_rustfs_refuses_is_reported_and_the_rest_still_applied(rustfs_node):
    bad = copy.deepcopy(STATE)
    rustfs_node.publish(bad)
    # RustFS is stricter than the published state (a newer policy grammar): the handler's refusal surfaces.
    ssm = rustfs_node.client("ssm")
    doc = json.loads(ssm.get_parameter(Name="/rustfs/rustfs-t/state/desired")["Parameter"]["Value"])
    doc["policies"][0]["document"]["Statement"][0]["Action"] = ["s3:NoSuchAction"]
    doc["serviceAccounts"] = []
    from rustfs_model import rustfs_state
    rustfs_node.client("ssm").put_parameter(Name="/rustfs/rustfs-t/state/desired", Type="String", Overwrite=True,
                                      Value=rustfs_state.document_text(rustfs_state.document(doc)))
    assert rustfs_node.run() == 1
    assert "orders-rw" not in rustfs_node.stub.policies
    assert rustfs_node.client("s3").get_bucket_versioning(Bucket="orders")["Status"] == "Enabled"


def test_requests_are_signed_with_the_root_credentials(rustfs_node):
    rustfs_node.publish(STATE)
    stub = rustfs_node.stub
    stub.credentials = type(stub.credentials)("ROOTKEY0ROOTKEY0ROOT", "a-different-secret-key-of-forty-chars-x")
    assert rustfs_node.run() == 1  # every admin call refused: SignatureDoesNotMatch
    assert not rustfs_node.stub.policies.get("orders-rw") and not rustfs_node.stub.accounts
