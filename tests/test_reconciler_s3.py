"""The reconciler's S3 work against moto's S3 (a real S3 implementation) behind the node stub: it creates what the
state declares, writes nothing on a second run, converges from drift made out of band, deletes only what it created
and the state marks delete: true, and never sends a request that names a bucket the state does not declare."""

from __future__ import annotations

import copy
import json

import pytest
from reconciler_world import STATE, writes


def bucket(w, name: str) -> dict:
    s3 = w.client("s3")
    out = {"versioning": s3.get_bucket_versioning(Bucket=name).get("Status")}
    try:
        out["lifecycle"] = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    except s3.exceptions.ClientError:
        out["lifecycle"] = None
    try:
        out["lock"] = s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
    except s3.exceptions.ClientError:
        out["lock"] = None
    return out


def reported(capsys) -> dict:
    """The reconciler's summary line of its last run (its journal output)."""
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    return [x for x in lines if x["event"] == "done"][-1]


def test_the_first_run_creates_what_is_declared_and_the_second_writes_nothing(rustfs_node, capsys):
    rustfs_node.publish(STATE)
    assert rustfs_node.run() == 0
    orders, ledger = bucket(rustfs_node, "orders"), bucket(rustfs_node, "ledger")
    assert orders["versioning"] == "Enabled"
    [rule] = orders["lifecycle"]
    assert rule["ID"] == "old-versions" and rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    retention = ledger["lock"]["Rule"]["DefaultRetention"]
    assert ledger["lock"]["ObjectLockEnabled"] == "Enabled"
    assert (retention["Mode"], retention["Days"], retention.get("Years") or None) == ("GOVERNANCE", 7, None)
    assert rustfs_node.stub.quotas == {"orders": 2 * 2 ** 30}
    assert set(rustfs_node.ledger()["buckets"]) == {"orders", "ledger"}
    assert rustfs_node.metric("StateChanges")[-1] > 0

    assert reported(capsys)["changes"] > 0
    s3, admin = rustfs_node.calls_during(lambda: rustfs_node.run())
    assert not writes(s3), writes(s3)
    assert not [c for c in admin if c[0] != "GET"], admin
    second = reported(capsys)
    assert (second["changes"], second["drift"], second["errors"]) == (0, 0, 0)


def test_it_converges_from_drift_made_out_of_band(rustfs_node):
    rustfs_node.publish(STATE)
    assert rustfs_node.run() == 0
    s3 = rustfs_node.client("s3")
    s3.put_bucket_versioning(Bucket="orders", VersioningConfiguration={"Status": "Suspended"})
    s3.delete_bucket_lifecycle(Bucket="orders")
    s3.put_object_lock_configuration(Bucket="ledger", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    rustfs_node.stub.quotas["orders"] = 5
    assert rustfs_node.run("--check") == 0  # reports, writes nothing
    assert bucket(rustfs_node, "orders")["versioning"] == "Suspended"
    assert rustfs_node.run() == 0
    orders = bucket(rustfs_node, "orders")
    assert orders["versioning"] == "Enabled" and orders["lifecycle"][0]["ID"] == "old-versions"
    assert bucket(rustfs_node, "ledger")["lock"]["Rule"]["DefaultRetention"]["Days"] == 7
    assert rustfs_node.stub.quotas["orders"] == 2 * 2 ** 30
    assert 4.0 in rustfs_node.metric("StateDrift")  # versioning, lifecycle, object lock, quota
    s3_calls, _ = rustfs_node.calls_during(lambda: rustfs_node.run())
    assert not writes(s3_calls)


def test_an_empty_lifecycle_list_removes_the_rules_and_a_missing_key_leaves_them(rustfs_node):
    rustfs_node.publish(STATE)
    assert rustfs_node.run() == 0
    state = copy.deepcopy(STATE)
    del state["buckets"][0]["lifecycle"]
    rustfs_node.publish(state)
    assert rustfs_node.run() == 0
    assert bucket(rustfs_node, "orders")["lifecycle"]  # not managed any more: left as it was
    state["buckets"][0]["lifecycle"] = []
    state["buckets"][0]["quotaGiB"] = 0
    rustfs_node.publish(state)
    assert rustfs_node.run() == 0
    assert bucket(rustfs_node, "orders")["lifecycle"] is None and "orders" not in rustfs_node.stub.quotas


def test_it_never_touches_a_bucket_the_state_does_not_declare(rustfs_node):
    s3 = rustfs_node.client("s3")
    s3.create_bucket(Bucket="payroll", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="payroll", Key="march.csv", Body=b"1,2,3")
    rustfs_node.publish(STATE)
    calls, _ = rustfs_node.calls_during(lambda: rustfs_node.run())
    assert not [c for c in calls if "payroll" in c[1]], calls
    assert rustfs_node.stub.s3_calls and not any(c[1] in ("/", "/?") for c in calls if c[0] == "GET"), \
        "listed every bucket"
    assert s3.get_bucket_versioning(Bucket="payroll").get("Status") is None
    assert s3.get_object(Bucket="payroll", Key="march.csv")["Body"].read() == b"1,2,3"


def test_it_refuses_to_delete_a_bucket_it_did_not_create(rustfs_node):
    s3 = rustfs_node.client("s3")
    s3.create_bucket(Bucket="legacy", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    rustfs_node.publish({**STATE, "buckets": [*STATE["buckets"], {"name": "legacy", "delete": True}]})
    assert rustfs_node.run() == 1  # the refusal is an error; everything else is still applied
    assert s3.head_bucket(Bucket="legacy")
    assert bucket(rustfs_node, "orders")["versioning"] == "Enabled"
    assert "legacy" not in rustfs_node.ledger()["buckets"]
    assert 1.0 in rustfs_node.metric("StateErrors")


def test_it_deletes_a_bucket_it_created_only_when_empty_and_marked(rustfs_node):
    rustfs_node.publish(STATE)
    assert rustfs_node.run() == 0
    s3 = rustfs_node.client("s3")
    s3.put_object(Bucket="orders", Key="o-1.json", Body=b"{}")
    gone = copy.deepcopy(STATE)
    gone["buckets"][0] = {"name": "orders", "delete": True}
    gone["policies"][0]["document"]["Statement"] = gone["policies"][0]["document"]["Statement"][:1]
    rustfs_node.publish(gone)
    assert rustfs_node.run() == 1  # not empty: refused, kept
    assert s3.head_bucket(Bucket="orders") and "orders" in rustfs_node.ledger()["buckets"]
    for v in s3.list_object_versions(Bucket="orders").get("Versions", []):
        s3.delete_object(Bucket="orders", Key=v["Key"], VersionId=v["VersionId"])
    for m in s3.list_object_versions(Bucket="orders").get("DeleteMarkers", []):
        s3.delete_object(Bucket="orders", Key=m["Key"], VersionId=m["VersionId"])
    assert rustfs_node.run() == 0
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_bucket(Bucket="orders")
    assert "orders" not in rustfs_node.ledger()["buckets"]


def test_a_bucket_dropped_from_the_state_is_left_alone(rustfs_node):
    rustfs_node.publish(STATE)
    assert rustfs_node.run() == 0
    rustfs_node.publish({**STATE, "buckets": STATE["buckets"][1:]})
    calls, _ = rustfs_node.calls_during(lambda: rustfs_node.run())
    assert not [c for c in calls if "/orders" in c[1]]
    assert rustfs_node.client("s3").head_bucket(Bucket="orders")


def test_an_unready_node_leaves_the_run_to_a_ready_one(rustfs_node):
    rustfs_node.publish(STATE)
    rustfs_node.stub.ready = False
    calls, admin = rustfs_node.calls_during(lambda: rustfs_node.run())
    assert not calls and not admin
