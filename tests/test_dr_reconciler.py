"""The reconciler's site-replication step on a DR secondary's node (tests/reconciler_world.py: moto as AWS, the RustFS
admin stub as the node's port 9000), against routes that replay RustFS 1.0.0-rc.3
(rustfs/src/admin/handlers/site_replication.rs):

- GET site-replication/info answers ``SiteReplicationInfo`` (``enabled``, ``name``, ``sites``: PeerInfo with
  ``endpoint``, ``name``, ``deploymentID``) for the local site as the request's Host names it
  (``site_replication_local_endpoint``).
- PUT site-replication/add takes a JSON list of PeerSite (crates/madmin/src/site_replication.rs: ``name``,
  ``endpoints``, ``accessKey``, ``secretKey``, ``skipTlsVerify``, ``caCertPem``); ``validate_add_sites``: at least one
  site, every endpoint set, no endpoint twice, keys required for every site that is not the local one (same identity
  as the Host), at least one remote; the peer is joined with the keys given (here: they must be the primary's);
  ``validate_add_preflight_topology``: "site replication can be initialized with data on only one site". Success is
  ``ReplicateAddStatus`` ``{"success": true, "status": ...}``.
"""

from __future__ import annotations

import base64
import json

import boto3
import pytest
from reconciler_world import CLUSTER, REGION, ROOT, writes
from rustfs_admin_stub import Reject, RustfsStub

from rustfs_aws.dr.replication import site_replication_entry
from rustfs_aws.state.state import desired_body, parameter_name
from rustfs_model import rustfs_state

PRIMARY_REGION = "us-east-1"
PRIMARY_ENDPOINT = "https://s3.prod.rustfs.internal:9000"
LOCAL_ENDPOINT = "https://s3.t.rustfs.internal:9000"
PRIMARY_KEYS = {"accessKey": "PRIMARYROOTKEY000001", "secretKey": "primarysecret0PRIMARYSECRET0primarysec0"}
PRIMARY_CA = "-----BEGIN CERTIFICATE-----\nMIIBprimary\n-----END CERTIFICATE-----\n"
PEER_FIELDS = {"name", "endpoints", "accessKey", "secretKey", "skipTlsVerify", "caCertPem"}


def identity(endpoint: str) -> str:
    return endpoint.removeprefix("https://").removeprefix("http://").lower()


class SiteStub(RustfsStub):
    """The state stub with RustFS's site-replication info and add; the primary site is known by its keys."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.enabled, self.peers, self.adds, self.hosts = False, [], [], []
        self.host = ""  # the Host of the request being served (set by the handler below)

    def _admin(self, method, route, query, body):
        if not route.startswith("site-replication/"):
            return super()._admin(method, route, query, body)
        self.hosts.append(self.host)
        local = f"https://{self.host}"
        if (method, route) == ("GET", "site-replication/info"):
            return 200, json.dumps({"enabled": self.enabled, "name": "rustfs-t" if self.enabled else "",
                                    "sites": [{"endpoint": p["endpoints"], "name": p["name"], "deploymentID": p["name"]}
                                              for p in self.peers], "apiVersion": "1"}).encode()
        if (method, route) == ("PUT", "site-replication/add"):
            sites = json.loads(body)
            self.adds.append((sites, query))
            unknown = {k for s in sites for k in s} - PEER_FIELDS
            if unknown:
                raise Reject("InvalidRequest", f"invalid JSON: unknown field {sorted(unknown)[0]}")
            seen, remote = set(), 0
            for s in sites:
                if not s.get("endpoints", "").strip():
                    raise Reject("InvalidRequest", "site endpoint is required")
                if identity(s["endpoints"]) in seen:
                    raise Reject("InvalidRequest", f"duplicate site endpoint `{s['endpoints']}`")
                seen.add(identity(s["endpoints"]))
                if identity(s["endpoints"]) == identity(local):
                    continue
                remote += 1
                if not s.get("accessKey", "").strip():
                    raise Reject("InvalidRequest", f"accessKey is required for site `{s['endpoints']}`")
                if not s.get("secretKey", "").strip():
                    raise Reject("InvalidRequest", f"secretKey is required for site `{s['endpoints']}`")
                if (s["accessKey"], s["secretKey"]) != (PRIMARY_KEYS["accessKey"], PRIMARY_KEYS["secretKey"]):
                    raise Reject("AccessDenied", f"peer join to {s['endpoints']} refused the credentials")
            if remote == 0:
                raise Reject("InvalidRequest", "at least one remote site is required")
            buckets = boto3.client("s3", region_name=REGION, endpoint_url=self.s3_endpoint).list_buckets()["Buckets"]
            if buckets:  # the primary holds data; a second site with buckets cannot join
                raise Reject("InvalidRequest", "site replication can be initialized with data on only one site; "
                                               "non-empty sites: rustfs-prod, rustfs-t")
            self.enabled, self.peers = True, sites
            return 200, json.dumps({"success": True, "status": "Requested sites were configured for replication "
                                                                "successfully.", "apiVersion": "1"}).encode()
        raise Reject("InvalidRequest", f"no such admin route: {method} {route}")


@pytest.fixture
def node(rustfs_node, monkeypatch):
    """The world's node with the site-replication routes, and the primary's credentials in its own Region."""
    stub = SiteStub(rustfs_node.stub.s3_endpoint, ROOT["accessKey"], ROOT["secretKey"], REGION)
    original = stub.check_signature

    def remember_host(method, url, headers, body):  # the handler passes the request's Host in the URL
        stub.host = url.split("/")[2]
        return original(method, url, headers, body)

    stub.check_signature = remember_host
    server, endpoint = stub.serve()
    rustfs_node.stub, rustfs_node.node = stub, endpoint
    primary_sm = boto3.client("secretsmanager", region_name=PRIMARY_REGION, endpoint_url=rustfs_node.aws)
    rustfs_node.primary_secret = primary_sm.create_secret(Name="rustfs/prod/root-credentials",
                                                          SecretString=json.dumps(PRIMARY_KEYS))["ARN"]
    yield rustfs_node
    server.shutdown()


def publish(world, **changes) -> None:
    entry = site_replication_entry(
        local_name=CLUSTER, local_endpoint=LOCAL_ENDPOINT, primary_name="rustfs-prod",
        primary_endpoint=PRIMARY_ENDPOINT,
        primary_secret_arn=changes.pop("secret", world.primary_secret), primary_ca_pem=PRIMARY_CA,
        replicate_ilm_expiry=changes.pop("ilm", False))
    doc = rustfs_state.document(desired_body(cluster_id=CLUSTER, namespace="RustFS/t", buckets=[], policies=[],
                                             service_accounts=[], secret_arns={}, extra=entry))
    assert not rustfs_state.secret_like(doc), rustfs_state.secret_like(doc)  # the pack's check on the parameter
    world.client("ssm").put_parameter(Name=parameter_name(CLUSTER), Type="String", Overwrite=True,
                                      Value=rustfs_state.document_text(doc))


def test_first_run_starts_site_replication_with_the_primary(node):
    publish(node)
    _, admin = node.calls_during(lambda: node.run() == 0 or pytest.fail("the run failed"))
    assert writes(admin) == [("PUT", "site-replication/add")]
    [(sites, query)] = node.stub.adds
    assert query == {}  # replicateILMExpiry off
    primary, local = sites
    assert primary == {"name": "rustfs-prod", "endpoints": PRIMARY_ENDPOINT, **PRIMARY_KEYS, "caCertPem": PRIMARY_CA}
    assert local["name"] == CLUSTER and local["endpoints"] == LOCAL_ENDPOINT
    assert (local["accessKey"], local["secretKey"]) == (ROOT["accessKey"], ROOT["secretKey"])
    # Sent to this node, addressed as the local site: RustFS knows the local site by the Host.
    assert set(node.stub.hosts) == {"s3.t.rustfs.internal:9000"}
    assert node.ledger()["siteReplication"] == {CLUSTER: {"peers": sorted(
        [f"https://{identity(PRIMARY_ENDPOINT)}", f"https://{identity(LOCAL_ENDPOINT)}"])}}


def test_a_second_run_writes_nothing(node):
    publish(node)
    assert node.run() == 0
    _, admin = node.calls_during(lambda: node.run())
    assert writes(admin) == [] and [c for c in admin if "site-replication" in c[1]] == [
        ("GET", "site-replication/info")]


def test_replicate_ilm_expiry_is_the_query_flag(node):
    publish(node, ilm=True)
    assert node.run() == 0
    assert node.stub.adds[0][1] == {"replicateILMExpiry": "true"}


def test_other_peers_are_reported_never_changed(node):
    node.stub.enabled = True
    node.stub.peers = [{"endpoints": "https://s3.elsewhere.internal:9000", "name": "other"},
                       {"endpoints": LOCAL_ENDPOINT, "name": CLUSTER}]
    publish(node)
    _, admin = node.calls_during(lambda: node.run() == 1 or pytest.fail("the refusal was not reported"))
    assert writes(admin) == []


def test_unreadable_primary_credentials_stop_before_the_add(node):
    publish(node, secret="arn:aws:secretsmanager:us-east-1:123456789012:secret:rustfs/prod/nothing-AbCdEf")
    assert node.run() == 1
    assert node.stub.adds == []


def test_a_secondary_that_holds_buckets_cannot_join(node):
    boto3.client("s3", region_name=REGION, endpoint_url=node.aws).create_bucket(
        Bucket="stray", CreateBucketConfiguration={"LocationConstraint": REGION})
    publish(node)
    assert node.run() == 1  # RustFS refuses: data on two sites
    item = node.client("dynamodb").get_item(TableName=f"{CLUSTER}-state", Key={"pk": {"S": CLUSTER}})["Item"]
    assert not node.stub.enabled and "ledger" not in item  # nothing recorded


def test_check_mode_writes_nothing(node):
    publish(node)
    _, admin = node.calls_during(lambda: node.run("--check"))
    assert writes(admin) == [] and node.stub.adds == []


def test_the_ca_travels_on_one_line():
    entry = site_replication_entry(local_name="a", local_endpoint=LOCAL_ENDPOINT, primary_name="b",
                                   primary_endpoint=PRIMARY_ENDPOINT, primary_secret_arn="arn:aws:x",
                                   primary_ca_pem=PRIMARY_CA, replicate_ilm_expiry=False)
    encoded = entry["siteReplication"]["sites"][0]["caCertificateBase64"]
    assert "\n" not in encoded and base64.b64decode(encoded).decode() == PRIMARY_CA
