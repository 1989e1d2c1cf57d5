"""The reconciler's bucket-replication step (a remote target's rule in its source bucket's replication config), run as
on a node (tests/reconciler_world.py) against a stub that serves the replication config as RustFS 1.0.0-rc.3 does
(moto keeps only part of it: its GetBucketReplication answers every rule with delete markers off and an empty filter):

- rustfs/src/app/bucket_usecase.rs ``execute_put_bucket_replication``: first
  ``validate_replication_config_capabilities`` (crates/replication/src/config.rs: ``validate_replication_config_
  structure`` - at least one rule, priorities unique and >= 0 (a missing one is 0), an ID of at most 255 bytes, a
  Filter of one of Prefix/Tag/And; statuses Enabled/Disabled; ``unsupported_replication_config_field`` - no
  Destination EncryptionConfiguration/AccessControlTranslation/Account/Metrics/ReplicationTime, StorageClass only
  STANDARD, no SseKmsEncryptedObjects), all InvalidRequest; then the bucket (NoSuchBucket), then
  ``validate_bucket_replication_update``: versioning Enabled, the bucket's targets known, every ARN (the Role when set,
  else each enabled rule's Destination.Bucket) one of the bucket's replication targets (``validate_replication_
  config_target_arns``: "replication config has a stale target"), all InvalidRequest.
- ``execute_get_bucket_replication``: ReplicationConfigurationNotFoundError without one.
- ``execute_delete_bucket_replication``: the config goes, and with it the replication targets it names
  (``replication_targets_without_config_targets``).
- ``validate_bucket_versioning_update``: versioning is not suspended while a replication config exists
  (InvalidBucketState).
"""

from __future__ import annotations

import json
import re
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
import reconciler_world
import rustfs_admin_stub
from botocore.exceptions import ClientError
from reconciler_world import REGION, writes
from rustfs_admin_stub import Reject
from test_tiering_reconciler import KEYS_V1, REMOTE_V1, TARGET, TIER_BUCKET, TierStub, integrations, publish

UNSUPPORTED = ("Destination/EncryptionConfiguration", "Destination/AccessControlTranslation", "Destination/Account",
               "Destination/Metrics", "Destination/ReplicationTime", "SourceSelectionCriteria/SseKmsEncryptedObjects")
STATUSES = ("Status", "ExistingObjectReplication/Status", "DeleteMarkerReplication/Status",
            "DeleteReplication/Status")
OTHER = TARGET.__class__(name="archive", bucket="orders", endpoint="s3.eu-central-1.amazonaws.com",
                         target_bucket="orders-archive", region="eu-central-1")
REMOTE_V3 = {"accessKey": "REMOTEKEY00000000003", "secretKey": "r3" * 20}


def _plain(xml: bytes) -> ET.Element:
    root = ET.fromstring(xml)
    for e in root.iter():
        e.tag = e.tag.rpartition("}")[2]
    return root


class ReplicationStub(TierStub):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.replication: dict[str, bytes] = {}  # bucket -> the config as stored (and answered)

    def check_s3(self, method, url, body):
        super().check_s3(method, url, body)
        bucket = url.path.strip("/").split("/")[0]
        if method == "PUT" and "versioning" in urllib.parse.parse_qs(url.query, keep_blank_values=True) \
                and b"Suspended" in body and bucket in self.replication:
            raise Reject("InvalidBucketState", "A replication configuration is present on this bucket, bucket wide "
                                               "versioning cannot be suspended.")

    def _admin(self, method, route, query, body):
        if route == "remove-remote-target":
            return self._remove_target(method, query)
        return super()._admin(method, route, query, body)

    def _remove_target(self, method, query):
        """admin/handlers/replication.rs RemoveRemoteTargetHandler (DELETE, bucket and arn required, 204) and
        crates/ecstore/src/bucket/bucket_target_sys.rs ``remove_target``: refused while a rule of the bucket's
        replication config uses the ARN (BucketRemoteRemoveDisallowed), or when no target has it
        (BucketRemoteTargetNotFound); both InvalidRequest (``map_bucket_target_error``)."""
        bucket, arn = query.get("bucket", ""), query.get("arn", "")
        if method != "DELETE":
            raise Reject("InvalidRequest", f"no such route: {method} remove-remote-target")
        if not bucket:
            raise Reject("InvalidRequest", "bucket is required")
        if not arn:
            raise Reject("InvalidRequest", "arn is required")
        if not self.bucket_exists(bucket):
            raise Reject("NoSuchBucket", f"bucket not found: {bucket}")
        if bucket in self.replication and arn in self._arns(_plain(self.replication[bucket])):
            raise Reject("InvalidRequest", f"remote target removal is disallowed for bucket {bucket}: in use by "
                                           "its replication config")
        listed = self.targets.get(bucket, [])
        if arn not in {t["arn"] for t in listed}:
            raise Reject("InvalidRequest", f"remote target not found for bucket {bucket}")
        self.targets[bucket] = [t for t in listed if t["arn"] != arn]
        return 204, b""

    def answer_s3(self, method, url, body):
        if "replication" not in urllib.parse.parse_qs(url.query, keep_blank_values=True):
            return None
        bucket = url.path.strip("/").split("/")[0]
        self.s3_calls.append((method, f"{url.path}?{url.query}"))
        if method == "PUT":
            self._validate(bucket, _plain(body))
            self.replication[bucket] = body
            return 200, b""
        if not self.bucket_exists(bucket):
            raise Reject("NoSuchBucket", f"bucket not found: {bucket}")
        if bucket not in self.replication:
            raise Reject("ReplicationConfigurationNotFoundError", "replication not found")
        if method == "GET":
            return 200, self.replication[bucket]
        named = self._arns(_plain(self.replication.pop(bucket)))
        self.targets[bucket] = [t for t in self.targets.get(bucket, []) if t["arn"] not in named]
        return 204, b""

    @staticmethod
    def _arns(config: ET.Element) -> set:
        role = (config.findtext("Role") or "").strip()
        return {role} if role else {r.findtext("Destination/Bucket", "").strip() for r in config.findall("Rule")
                                    if r.findtext("Status") != "Disabled"} - {""}

    def _validate(self, bucket: str, config: ET.Element) -> None:
        rules = config.findall("Rule")
        if not rules:
            raise Reject("InvalidRequest", "replication configuration must contain at least one rule")
        priorities = [int(r.findtext("Priority") or 0) for r in rules]
        if min(priorities) < 0:
            raise Reject("InvalidRequest", "replication rule Priority must be zero or a positive integer")
        if len(set(priorities)) != len(priorities):
            raise Reject("InvalidRequest", "replication rule Priority must be unique across rules")
        for r in rules:
            if len((r.findtext("ID") or "").encode()) > 255:
                raise Reject("InvalidRequest", "replication rule ID cannot be longer than 255 characters")
            f = r.find("Filter")
            if f is not None and sum(bool(f.findtext(k)) if k == "Prefix" else f.find(k) is not None
                                     for k in ("Prefix", "Tag", "And")) > 1:
                raise Reject("InvalidRequest", "replication rule Filter must specify only one of Prefix, Tag or And")
            for path in STATUSES:
                if r.find(path) is not None and r.findtext(path) not in ("Enabled", "Disabled"):
                    raise Reject("InvalidRequest", f"replication field Rule.{path.replace('/', '.')} has an invalid "
                                                   "status")
            for path in UNSUPPORTED:
                if r.find(path) is not None:
                    raise Reject("InvalidRequest", f"replication field {path.replace('/', '.')} is not supported by "
                                                   "this RustFS version")
            if r.findtext("Destination/StorageClass") not in (None, "STANDARD"):
                raise Reject("InvalidRequest", "replication field Destination.StorageClass is not supported by this "
                                               "RustFS version")
        if not self.bucket_exists(bucket):
            raise Reject("NoSuchBucket", f"bucket not found: {bucket}")
        if not self.versioned(bucket):
            raise Reject("InvalidRequest", "bucket versioning must be enabled before replication can be configured")
        if bucket not in self.targets:
            raise Reject("InvalidRequest", "replication target configuration not found")
        if (config.findtext("Role") or "").strip() and len(self._arns(config) | {
                r.findtext("Destination/Bucket") for r in rules if r.findtext("Status") != "Disabled"}) > 1:
            raise Reject("InvalidRequest", "replication config with Role cannot define multiple destination targets")
        if self._arns(config) - {t["arn"] for t in self.targets[bucket]}:
            raise Reject("InvalidRequest", "replication config has a stale target")


@pytest.fixture
def world(request, monkeypatch):
    monkeypatch.setattr(reconciler_world, "RustfsStub", ReplicationStub)
    for code, status in (("ReplicationConfigurationNotFoundError", 404), ("InvalidBucketState", 409)):
        monkeypatch.setitem(rustfs_admin_stub.STATUS, code, status)
    w = request.getfixturevalue("rustfs_node")
    for bucket in ("orders", TIER_BUCKET):
        w.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return w


def node_s3(w):
    return reconciler_world.boto3.client("s3", region_name=REGION, endpoint_url=w.node,
                                         aws_access_key_id=reconciler_world.ROOT["accessKey"],
                                         aws_secret_access_key=reconciler_world.ROOT["secretKey"])


def rules(w, bucket="orders") -> list:
    return node_s3(w).get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]["Rules"]


def arn(w, name_bucket: str) -> str:
    return next(t["arn"] for t in w.stub.targets["orders"] if t["targetbucket"] == name_bucket)


def test_each_target_gets_its_rule_once_and_a_second_run_writes_nothing(world, capsys):
    w = world
    publish(w, integrations(targets=[TARGET, OTHER], sse=False), KEYS_V1, {"dr-site": REMOTE_V1, "archive": REMOTE_V3})
    assert w.run() == 0
    got = sorted(rules(w), key=lambda r: r["Priority"])
    assert [(r["ID"], r["Priority"], r["Status"], r["Destination"]["Bucket"]) for r in got] == [
        ("rustfs-aws-archive", 1, "Enabled", arn(w, "orders-archive")),
        ("rustfs-aws-dr-site", 2, "Enabled", arn(w, "orders-replica"))]
    assert arn(w, "orders-replica").startswith("arn:rustfs:replication:")
    assert all(r["DeleteMarkerReplication"] == {"Status": "Enabled"} and r["ExistingObjectReplication"] == {
        "Status": "Enabled"} and r["Filter"] == {"Prefix": ""} for r in got)
    assert "orders" in w.ledger()["bucketReplication"]
    s3, admin = w.calls_during(lambda: w.run())
    assert not writes(s3) and not writes(admin), "converged: the config read back equals the desired one"
    done = [json.loads(line) for line in capsys.readouterr().err.splitlines() if '"done"' in line]
    assert (done[-1]["drift"], done[-1]["changes"]) == (0, 0)


def test_a_config_changed_by_hand_is_reported_and_put_back(world):
    w = world
    publish(w, integrations(targets=[TARGET], sse=False), KEYS_V1, {"dr-site": REMOTE_V1})
    assert w.run() == 0
    node_s3(w).put_bucket_replication(Bucket="orders", ReplicationConfiguration={"Role": "", "Rules": [{
        "ID": "rustfs-aws-dr-site", "Priority": 1, "Status": "Disabled", "Filter": {"Prefix": "tmp/"},
        "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": {"Bucket": arn(w, "orders-replica")}}]})
    s3, _ = w.calls_during(lambda: w.run())
    assert [c[0] for c in writes(s3)] == ["PUT"] and "replication" in writes(s3)[0][1]
    [rule] = rules(w)
    assert (rule["Status"], rule["Filter"], rule["DeleteMarkerReplication"]) == (
        "Enabled", {"Prefix": ""}, {"Status": "Enabled"})
    assert w.metric("StateDrift")[-1] >= 1 and w.metric("StateErrors")[-1] == 0


def test_an_unversioned_source_bucket_is_refused_as_rustfs_refuses_it(world):
    """The target was registered while the bucket was versioned (by hand, say), then versioning was suspended: RustFS
    refuses the config (validate_bucket_replication_update); an error of the run, nothing recorded."""
    w = world
    s3 = w.client("s3")
    s3.put_bucket_versioning(Bucket="orders", VersioningConfiguration={"Status": "Enabled"})
    w.stub._target("PUT", "set-remote-target", {"bucket": "orders"}, json.dumps({
        "sourcebucket": "orders", "endpoint": TARGET.endpoint, "targetbucket": TARGET.target_bucket, "secure": True,
        "type": "replication", "credentials": REMOTE_V1}).encode())
    s3.put_bucket_versioning(Bucket="orders", VersioningConfiguration={"Status": "Suspended"})
    publish(w, integrations(targets=[TARGET], sse=False), KEYS_V1, {"dr-site": REMOTE_V1},
            buckets=({"name": "orders"},))
    assert w.run() == 1
    assert "orders" not in w.stub.replication and "orders" not in w.ledger()["bucketReplication"]
    assert w.metric("StateErrors")[-1] >= 1


def test_a_config_this_reconciler_did_not_write_is_reported_and_left_in_place(world):
    w = world
    publish(w, integrations(targets=[TARGET], sse=False), KEYS_V1, {"dr-site": REMOTE_V1})
    w.client("s3").put_bucket_versioning(Bucket="orders", VersioningConfiguration={"Status": "Enabled"})
    w.stub._target("PUT", "set-remote-target", {"bucket": "orders"}, json.dumps({
        "sourcebucket": "orders", "endpoint": "rustfs.other.example.com", "targetbucket": "theirs", "secure": True,
        "type": "replication", "credentials": REMOTE_V3}).encode())
    theirs = {"Role": "", "Rules": [{"ID": "operator-rule", "Priority": 7, "Status": "Enabled",
                                     "Filter": {"Prefix": "logs/"}, "DeleteMarkerReplication": {"Status": "Disabled"},
                                     "Destination": {"Bucket": w.stub.targets["orders"][0]["arn"]}}]}
    node_s3(w).put_bucket_replication(Bucket="orders", ReplicationConfiguration=theirs)
    stored = w.stub.replication["orders"]
    assert w.run() == 1, "refused: reported as an error every run until a person decides"
    assert w.stub.replication["orders"] == stored and "orders" not in w.ledger()["bucketReplication"]
    # delete: true on the target does not reach a config of someone else either
    publish(w, integrations(targets=[TARGET.__class__(**{**TARGET.__dict__, "delete": True})], sse=False), KEYS_V1,
            {"dr-site": REMOTE_V1})
    s3, _ = w.calls_during(lambda: w.run())
    assert not writes(s3) and w.stub.replication["orders"] == stored


def test_a_rule_goes_only_with_delete_true_and_the_last_one_takes_the_config(world):
    w = world
    publish(w, integrations(targets=[TARGET, OTHER], sse=False), KEYS_V1, {"dr-site": REMOTE_V1, "archive": REMOTE_V3})
    assert w.run() == 0
    gone = TARGET.__class__(**{**OTHER.__dict__, "delete": True})
    publish(w, integrations(targets=[TARGET, gone], sse=False), KEYS_V1, {"dr-site": REMOTE_V1, "archive": REMOTE_V3})
    s3, admin = w.calls_during(lambda: w.run())
    assert [r["ID"] for r in rules(w)] == ["rustfs-aws-dr-site"]
    # PutBucketReplication leaves the target registered: removed after its rule (RustFS refuses it before)
    assert [t["targetbucket"] for t in w.stub.targets["orders"]] == ["orders-replica"]
    assert [c[0] for c in writes(admin)] == ["DELETE"] and "remove-remote-target" in writes(admin)[0][1]
    assert "archive" not in w.ledger()["remoteTargets"] and w.metric("StateErrors")[-1] == 0
    publish(w, integrations(targets=[TARGET.__class__(**{**TARGET.__dict__, "delete": True}), gone], sse=False),
            KEYS_V1, {"dr-site": REMOTE_V1, "archive": REMOTE_V3})
    assert w.run() == 0
    with pytest.raises(ClientError, match="ReplicationConfigurationNotFoundError"):
        rules(w)
    ledger = w.ledger()
    assert "orders" not in ledger["bucketReplication"] and "dr-site" not in ledger["remoteTargets"]
    assert not [t for t in w.stub.targets["orders"] if t["targetbucket"] == "orders-replica"], \
        "RustFS drops the targets the deleted config named"


def test_versioning_is_not_suspended_under_a_replication_config(world):
    w = world
    publish(w, integrations(targets=[TARGET], sse=False), KEYS_V1, {"dr-site": REMOTE_V1})
    assert w.run() == 0
    with pytest.raises(ClientError, match="InvalidBucketState"):
        node_s3(w).put_bucket_versioning(Bucket="orders", VersioningConfiguration={"Status": "Suspended"})


def test_the_stub_refuses_what_rustfs_refuses():
    stub = ReplicationStub("http://127.0.0.1:1", "k", "s", REGION)
    stub.bucket_exists = lambda b: True
    stub.versioned = lambda b: True
    stub.targets["b"] = [{"arn": "arn:rustfs:replication:eu-west-1:1:t"}]
    rule = ("<Rule><ID>r</ID><Priority>{p}</Priority><Status>Enabled</Status>{extra}"
            "<Destination><Bucket>{arn}</Bucket></Destination></Rule>")
    ok = rule.format(p=1, extra="", arn="arn:rustfs:replication:eu-west-1:1:t")
    for body, why in ((ok + ok, "unique"), (rule.format(p=1, extra="", arn="arn:rustfs:replication:x:2:t"), "stale"),
                      (ok.replace("</Destination>", "<Metrics><Status>Enabled</Status></Metrics></Destination>"),
                       "Metrics is not supported"), ("", "at least one rule"),
                      (ok.replace("<Status>Enabled", "<Status>On"), "invalid status")):
        with pytest.raises(Reject, match=why):
            stub._validate("b", _plain(f"<ReplicationConfiguration><Role></Role>{body}</ReplicationConfiguration>"
                                       .encode()))
    stub._validate("b", _plain(f"<ReplicationConfiguration><Role></Role>{ok}</ReplicationConfiguration>".encode()))
    assert re.fullmatch(r"arn:rustfs:replication:.*", stub.targets["b"][0]["arn"])
