"""The reconciler's tier, remote-target and default-encryption steps, run as on a node (tests/reconciler_world.py:
moto as AWS, the RustFS admin stub in front of moto's S3), against admin routes that replay RustFS 1.0.0-rc.3:

- rustfs/src/admin/handlers/tier.rs (``register_tier_route``): GET tier lists ``TierConfig`` JSON with the secret key
  ``REDACTED`` (crates/ecstore/src/services/tier/tier_config.rs ``Clone``); PUT tier adds
  ``{"type": "s3", "s3": TierS3}`` - upper-case names only (``TierNameNotUppercase``), STANDARD and RRS reserved,
  a second add of a name is ``TierNameAlreadyExist`` (tier.rs ``add``); POST tier/{name} takes ``TierCreds`` and
  changes only the keys (``TierNotFound`` for an unknown name; tier.rs ``edit``). TierS3's role fields are
  ``#[serde(skip)]``: a body carrying them is read without them.
- rustfs/src/admin/handlers/replication.rs: PUT set-remote-target?bucket= (``RemoteTargetRequest``,
  ``deny_unknown_fields``; endpoint, targetbucket, accessKey and secretKey required; a session token refused; the
  bucket must exist) answers the target's ARN as a JSON string; update=true&creds=true with the arn replaces the
  keys; GET list-remote-targets?bucket= lists ``BucketTarget`` JSON.
The HTTP status s3s gives these custom error codes is not asserted (400 here): the reconciler keys on any non-2xx.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
import uuid

import pytest
import reconciler_world
import rustfs_admin_stub
from reconciler_world import CLUSTER, REGION, writes
from rustfs_admin_stub import Reject, RustfsStub

from rustfs_aws.integrations.settings import (
    EncryptionConfig,
    IntegrationsConfig,
    RemoteTarget,
    ReplicationConfig,
    TieringConfig,
)
from rustfs_aws.integrations.wiring import state_entries
from rustfs_aws.state.state import desired_body, parameter_name
from rustfs_model import rustfs_state

TIER_S3_FIELDS = {"name", "endpoint", "accessKey", "secretKey", "bucket", "prefix", "region", "storageClass"}
TARGET_FIELDS = {"sourcebucket", "endpoint", "credentials", "targetbucket", "secure", "path", "api", "arn", "type",
                 "region", "bandwidth", "replicationSync", "storageclass", "skipTlsVerify", "caCertPem",
                 "healthCheckDuration", "disableProxy", "deploymentID", "edge"}
SSE_KEY = f"arn:aws:kms:{REGION}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TIER_BUCKET = "rustfs-t-tier-123456789012-eu-west-1"
KEYS_V1 = {"accessKey": "AKIATIERKEYVERSION01", "secretKey": "t1" * 20, "keyVersion": 1}
KEYS_V2 = {"accessKey": "AKIATIERKEYVERSION02", "secretKey": "t2" * 20, "keyVersion": 2}


class TierStub(RustfsStub):
    """The state helper's stub with RustFS's tier and remote-target routes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tiers: dict[str, dict] = {}
        self.targets: dict[str, list[dict]] = {}
        self.bodies: list[bytes] = []

    def _admin(self, method: str, route: str, query: dict, body: bytes):
        self.bodies.append(body)
        if route == "tier" or route.startswith("tier/"):
            return self._tier(method, route, body)
        if route in ("set-remote-target", "list-remote-targets"):
            return self._target(method, route, query, body)
        return super()._admin(method, route, query, body)

    def _tier(self, method, route, body):
        if (method, route) == ("GET", "tier"):
            return 200, json.dumps([{"type": "s3", "s3": {**t, "secretKey": "REDACTED"}}
                                    for t in self.tiers.values()]).encode()
        if (method, route) == ("PUT", "tier"):
            config = json.loads(body)
            if config.get("type") != "s3" or not isinstance(config.get("s3"), dict):
                raise Reject("InvalidRequest", "missing S3 configuration")
            s3 = {k: v for k, v in config["s3"].items() if k in TIER_S3_FIELDS}  # serde default + skip
            name = s3.get("name", "")
            if name != name.upper():
                raise Reject("TierNameNotUppercase", "tier name must be uppercase")
            if name in ("STANDARD", "RRS"):
                raise Reject("InvalidRequest", "Cannot use reserved tier name")
            if name in self.tiers:
                raise Reject("TierNameAlreadyExist", "tier name already exists")
            if not (s3.get("accessKey") and s3.get("secretKey")):
                raise Reject("InvalidRequest", "insufficient parameters for S3 backend authentication")
            # tier.rs add without ?force: WarmBackendS3::in_use lists the tier bucket under the prefix (delimiter /,
            # one key); a backend already holding objects is ERR_TIER_BACKEND_IN_USE (409), a missing bucket
            # ERR_TIER_BUCKET_NOT_FOUND. Here the tier bucket is moto's (the endpoint is S3's, not this stub).
            if not self.bucket_exists(s3.get("bucket", "")):
                raise Reject("XRustFSAdminTierBucketNotFound", "remote tier bucket not found")
            listing = (f"{self.s3_endpoint}/{s3['bucket']}?list-type=2&max-keys=1&delimiter=/"
                       f"&prefix={s3.get('prefix', '')}")
            with urllib.request.urlopen(listing) as r:
                if b"<Key>" in (text := r.read()) or b"<CommonPrefixes>" in text:
                    raise Reject("XRustFSAdminTierBackendInUse", "Specified remote tier is already in use")
            self.tiers[name] = s3
            return 200, b""
        m = re.fullmatch(r"tier/([^/]+)", route)
        if method == "POST" and m:
            name = m[1]
            if name not in self.tiers:
                raise Reject("TierNotFound", "tier not found")
            creds = json.loads(body)
            if creds.get("accessKey") and creds.get("secretKey"):
                self.tiers[name] = {**self.tiers[name], "accessKey": creds["accessKey"],
                                    "secretKey": creds["secretKey"]}
            return 200, b""
        raise Reject("InvalidRequest", f"no such tier route: {method} {route}")

    def check_s3(self, method: str, url, body: bytes) -> None:
        """rustfs/src/app/bucket_usecase.rs execute_put_bucket_lifecycle_configuration: validate_transition_tier
        (crates/ecstore/src/bucket/lifecycle/bucket_lifecycle_ops.rs) refuses a transition, current or noncurrent, to
        a storage class no tier of RustFS is named (InvalidArgument, ERR_INVALID_STORAGECLASS)."""
        if method == "PUT" and "lifecycle" in urllib.parse.parse_qs(url.query, keep_blank_values=True):
            for name in re.findall(r"<StorageClass>([^<]*)</StorageClass>", body.decode()):
                if name and name not in self.tiers:
                    raise Reject("InvalidArgument", f"invalid storage class {name}: no such tier")

    def versioned(self, bucket: str) -> bool:
        with urllib.request.urlopen(f"{self.s3_endpoint}/{bucket}?versioning") as r:
            return b"<Status>Enabled</Status>" in r.read()

    def _target(self, method, route, query, body):
        bucket = query.get("bucket", "")
        if not bucket:
            raise Reject("InvalidRequest", "bucket is required")
        if not self.bucket_exists(bucket):
            raise Reject("NoSuchBucket", f"bucket not found: {bucket}")
        if method == "GET":
            return 200, json.dumps([{**t, "credentials": {"accessKey": t["credentials"]["accessKey"]}}
                                    for t in self.targets.get(bucket, [])]).encode()
        request = json.loads(body)
        unknown = set(request) - TARGET_FIELDS
        if unknown:
            raise Reject("InvalidRequest", f"invalid remote target request: unknown field {sorted(unknown)[0]}")
        creds = request.get("credentials") or {}
        if creds.get("sessionToken"):
            raise Reject("InvalidRequest", "remote target field credentials.session_token is not supported")
        if request.get("type") != "replication":
            raise Reject("InvalidRequest", "type is invalid")
        for field, what in (("endpoint", "endpoint"), ("targetbucket", "targetbucket")):
            if not request.get(field):
                raise Reject("InvalidRequest", f"{what} is required")
        if not (creds.get("accessKey") and creds.get("secretKey")):
            raise Reject("InvalidRequest", "credentials.accessKey is required")
        if query.get("update") != "true" and not self.versioned(bucket):
            # crates/ecstore/src/bucket/bucket_target_sys.rs validate_target: a replication target needs the source
            # bucket versioned (BucketReplicationSourceNotVersioned -> InvalidRequest, handlers/replication.rs
            # map_bucket_target_error); the remote's versioning is checked there too (not modelled: no remote here).
            raise Reject("InvalidRequest", f"replication source bucket {bucket} is not versioned")
        listed = self.targets.setdefault(bucket, [])
        if query.get("update") == "true":
            [target] = [t for t in listed if t["arn"] == request.get("arn")] or [None]
            if target is None:
                raise Reject("InvalidRequest", "Target not found")
            if query.get("creds") == "true":
                target["credentials"] = creds
            return 200, json.dumps(target["arn"]).encode()
        same = [t for t in listed if (t["endpoint"], t["targetbucket"]) == (request["endpoint"],
                                                                             request["targetbucket"])]
        if same:
            return 200, json.dumps(same[0]["arn"]).encode()
        arn = f"arn:rustfs:replication:{request.get('region') or REGION}:{uuid.uuid4()}:{request['targetbucket']}"
        listed.append({**request, "arn": arn, "sourcebucket": bucket})
        return 200, json.dumps(arn).encode()


@pytest.fixture
def tier_world(request, monkeypatch):
    monkeypatch.setattr(reconciler_world, "RustfsStub", TierStub)
    for code in ("TierNameNotUppercase", "TierNameAlreadyExist", "TierNotFound"):
        monkeypatch.setitem(rustfs_admin_stub.STATUS, code, 400)
    monkeypatch.setitem(rustfs_admin_stub.STATUS, "XRustFSAdminTierBackendInUse", 409)
    monkeypatch.setitem(rustfs_admin_stub.STATUS, "XRustFSAdminTierBucketNotFound", 400)
    w = request.getfixturevalue("rustfs_node")
    for bucket in ("orders", TIER_BUCKET):  # the tier bucket stands for the stack's S3 one (TierStorage)
        w.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return w


def integrations(*, targets=(), sse=True) -> IntegrationsConfig:
    return IntegrationsConfig(tiering=TieringConfig(enabled=True),
                              replication=ReplicationConfig(remote_targets=tuple(targets)),
                              encryption=EncryptionConfig(sse="aws" if sse else "off"))


def publish(w, i: IntegrationsConfig, tier_keys: dict | None, target_keys: dict | None = None,
            buckets=({"name": "orders", "versioning": "enabled"},)) -> dict:
    sm = w.client("secretsmanager")
    tier_secret = _secret(sm, "rustfs/t/tier-credentials", tier_keys)
    target_secrets = {t.name: _secret(sm, f"rustfs/t/remote-targets/{t.name}", (target_keys or {}).get(t.name))
                      for t in i.replication.remote_targets}
    extra = state_entries(i, region=REGION, tier_bucket=TIER_BUCKET, tier_secret_arn=tier_secret, key_arn=SSE_KEY,
                          target_secret_arns=target_secrets)
    parsed, problems = rustfs_state.parse_state({"buckets": list(buckets)})
    assert not problems
    doc = rustfs_state.document(desired_body(cluster_id=CLUSTER, namespace="RustFS/t", buckets=parsed["buckets"],
                                             policies=[], service_accounts=[], secret_arns={}, extra=extra))
    w.client("ssm").put_parameter(Name=parameter_name(CLUSTER), Type="String", Overwrite=True,
                                  Value=rustfs_state.document_text(doc))
    return doc


def _secret(sm, name: str, value: dict | None) -> str:
    """The stack creates the secret; its value may come later (the remote targets' keys are the operator's)."""
    try:
        arn = sm.describe_secret(SecretId=name)["ARN"]
    except sm.exceptions.ResourceNotFoundException:
        arn = sm.create_secret(Name=name)["ARN"]
    if value is not None:
        sm.put_secret_value(SecretId=name, SecretString=json.dumps(value))
    return arn


def test_the_tier_is_registered_once_with_the_secrets_keys_and_a_second_run_writes_nothing(tier_world, capsys):
    w = tier_world
    publish(w, integrations(sse=False), KEYS_V1)
    assert w.run() == 0
    [tier] = w.stub.tiers.values()
    assert tier == {"name": "S3TIER", "endpoint": f"https://s3.{REGION}.amazonaws.com", "bucket": TIER_BUCKET,
                    "accessKey": KEYS_V1["accessKey"], "secretKey": KEYS_V1["secretKey"], "prefix": "rustfs",
                    "region": REGION, "storageClass": "STANDARD"}
    assert "S3TIER" in w.ledger()["tiers"]
    _, admin = w.calls_during(lambda: w.run())
    assert not writes(admin), "converged: the tier is listed with the secret's access key"
    assert KEYS_V1["secretKey"] not in capsys.readouterr().out, "the reconciler logs no secret key"


def test_a_rotated_key_edits_the_tiers_credentials_and_nothing_else(tier_world):
    w = tier_world
    publish(w, integrations(sse=False), KEYS_V1)
    assert w.run() == 0
    publish(w, integrations(sse=False), KEYS_V2)  # tiering.keyVersion 2: the secret now holds the new key
    _, admin = w.calls_during(lambda: w.run())
    assert writes(admin) == [("POST", "tier/S3TIER")]
    assert w.stub.tiers["S3TIER"]["accessKey"] == KEYS_V2["accessKey"]
    assert w.stub.tiers["S3TIER"]["bucket"] == TIER_BUCKET


def test_a_tier_rustfs_cannot_change_in_place_is_reported_not_replaced(tier_world):
    w = tier_world
    w.stub.tiers["S3TIER"] = {"name": "S3TIER", "endpoint": "https://s3.us-east-2.amazonaws.com",
                              "accessKey": KEYS_V1["accessKey"], "secretKey": "x", "bucket": "someone-elses",
                              "prefix": "rustfs", "region": "us-east-2", "storageClass": "STANDARD"}
    publish(w, integrations(sse=False), KEYS_V1)
    _, admin = w.calls_during(lambda: w.run())
    assert w.run() == 1 and not writes(admin)
    assert w.stub.tiers["S3TIER"]["bucket"] == "someone-elses"
    assert w.metric("StateErrors")[-1] >= 1


def test_a_tier_without_keys_yet_is_refused_and_nothing_is_sent(tier_world):
    w = tier_world
    publish(w, integrations(sse=False), None)
    _, admin = w.calls_during(lambda: w.run())
    assert not writes(admin) and not w.stub.tiers


def test_a_bucket_transition_names_the_tier_after_the_tier_exists(tier_world):
    w = tier_world
    rule = {"id": "to-s3", "transitionDays": 30, "transitionTier": "S3TIER"}
    publish(w, integrations(sse=False), KEYS_V1, buckets=({"name": "orders", "versioning": "enabled",
                                                           "lifecycle": [rule]},))
    s3, admin = w.calls_during(lambda: w.run())
    assert ("PUT", "tier") in admin
    [config] = w.client("s3").get_bucket_lifecycle_configuration(Bucket="orders")["Rules"]
    assert config["Transitions"] == [{"Days": 30, "StorageClass": "S3TIER"}]
    _, again = w.calls_during(lambda: w.run())
    assert not writes(again)


def test_transition_rules_need_both_keys_and_a_tier_name_rustfs_accepts():
    bad = [{"name": "bbb", "lifecycle": [{"id": "x", "transitionDays": 30}]},
           {"name": "ccc", "lifecycle": [{"id": "x", "transitionDays": 30, "transitionTier": "s3tier"}]},
           {"name": "ddd", "lifecycle": [{"id": "x", "transitionDays": 30, "transitionTier": "STANDARD"}]}]
    _, problems = rustfs_state.parse_state({"buckets": bad})
    assert [p[0] for p in problems] == ["buckets[0].lifecycle[0]", "buckets[1].lifecycle[0].transitionTier",
                                        "buckets[2].lifecycle[0].transitionTier"]


def test_default_sse_kms_is_set_on_every_declared_bucket_and_kept(tier_world):
    w = tier_world
    publish(w, integrations(sse=True), KEYS_V1)
    assert w.run() == 0
    enc = w.client("s3").get_bucket_encryption(Bucket="orders")["ServerSideEncryptionConfiguration"]
    by_default = enc["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    assert by_default == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": SSE_KEY}
    s3, _ = w.calls_during(lambda: w.run())
    assert not [c for c in writes(s3) if "encryption" in c[1]]
    w.client("s3").put_bucket_encryption(Bucket="orders", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    w.run()
    assert w.client("s3").get_bucket_encryption(Bucket="orders")["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert w.metric("StateDrift")[-1] >= 1


TARGET = RemoteTarget(name="dr-site", bucket="orders", endpoint="rustfs.dr.example.com:9000",
                      target_bucket="orders-replica")
REMOTE_V1 = {"accessKey": "REMOTEKEY00000000001", "secretKey": "r1" * 20}
REMOTE_V2 = {"accessKey": "REMOTEKEY00000000002", "secretKey": "r2" * 20}


def test_a_remote_target_waits_for_its_keys_then_is_set_once_and_its_keys_rotate(tier_world):
    w = tier_world
    i = integrations(targets=[TARGET], sse=False)
    publish(w, i, KEYS_V1, {})
    _, admin = w.calls_during(lambda: w.run())
    assert not [c for c in writes(admin) if c[1] == "set-remote-target"] and not w.stub.targets.get("orders")
    publish(w, i, KEYS_V1, {"dr-site": REMOTE_V1})
    assert w.run() == 0
    [target] = w.stub.targets["orders"]
    assert (target["endpoint"], target["targetbucket"], target["type"], target["secure"]) == (
        "rustfs.dr.example.com:9000", "orders-replica", "replication", True)
    assert target["credentials"] == REMOTE_V1 and "dr-site" in w.ledger()["remoteTargets"]
    _, again = w.calls_during(lambda: w.run())
    assert not writes(again)
    publish(w, i, KEYS_V1, {"dr-site": REMOTE_V2})
    _, rotated = w.calls_during(lambda: w.run())
    assert writes(rotated) == [("PUT", "set-remote-target")]
    assert w.stub.targets["orders"][0]["credentials"] == REMOTE_V2 and len(w.stub.targets["orders"]) == 1


def test_a_remote_target_of_an_unversioned_bucket_is_refused_as_rustfs_refuses_it(tier_world):
    """config.py refuses this for a declared bucket (integrations/settings.py check_against_state); a bucket outside
    the ``rustfs`` section is RustFS's to check: the refusal is an error of the run, the target is not recorded."""
    w = tier_world
    publish(w, integrations(targets=[TARGET], sse=False), KEYS_V1, {"dr-site": REMOTE_V1},
            buckets=({"name": "orders"},))
    assert w.run() == 1
    assert not w.stub.targets.get("orders") and "dr-site" not in w.ledger()["remoteTargets"]


def test_a_transition_to_a_tier_rustfs_does_not_know_is_refused_as_rustfs_refuses_it(tier_world):
    """Without the tier's keys the tier is not added, so the bucket's transition to it fails (validate_transition_tier);
    config.py refuses a transitionTier the stack does not declare (integrations/settings.py check_against_state)."""
    w = tier_world
    rule = {"id": "to-s3", "transitionDays": 30, "transitionTier": "S3TIER"}
    publish(w, integrations(sse=False), None, buckets=({"name": "orders", "versioning": "enabled",
                                                         "lifecycle": [rule]},))
    assert w.run() == 1
    assert not w.stub.tiers
    publish(w, integrations(sse=False), KEYS_V1, buckets=({"name": "orders", "versioning": "enabled",
                                                            "lifecycle": [rule]},))
    assert w.run() == 0
    [config] = w.client("s3").get_bucket_lifecycle_configuration(Bucket="orders")["Rules"]
    assert config["Transitions"] == [{"Days": 30, "StorageClass": "S3TIER"}]


def test_a_tier_bucket_already_holding_objects_is_not_added_and_never_forced(tier_world):
    """A rebuilt cluster meeting the (protected) tier bucket of the old one: RustFS refuses the add without ?force
    (tier.rs ERR_TIER_BACKEND_IN_USE); the reconciler reports it every run and never forces (README: a person
    decides, the old objects belong to the old cluster's metadata)."""
    w = tier_world
    w.client("s3").put_object(Bucket=TIER_BUCKET, Key="rustfs/old-cluster-object", Body=b"x")
    publish(w, integrations(sse=False), KEYS_V1)
    assert w.run() == 1
    assert not w.stub.tiers
    assert not [c for c in w.stub.admin_calls if "force" in c[1]]
