"""The ``rustfs`` section (buckets, policies, service accounts): what RustFS would refuse is refused here, each
problem naming the full key; the published document carries ARNs, never keys, and refuses a hand edit."""

from __future__ import annotations

import base64
import copy
import gzip
import json

import pytest
from test_config import BASE

from rustfs_aws.config import ConfigError, parse
from rustfs_aws.state.state import desired_body, document_content, install_document, script_text
from rustfs_model import rustfs_state

POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::orders/*"]},
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::orders"}]}
GOOD = {"buckets": [{"name": "orders", "versioning": "enabled", "quotaGiB": 10,
                     "objectLock": {"mode": "GOVERNANCE", "days": 7},
                     "lifecycle": [{"id": "old", "noncurrentExpirationDays": 30}]}],
        "policies": [{"name": "orders-rw", "document": POLICY}],
        "serviceAccounts": [{"name": "orders-api", "policy": "orders-rw"}]}


def parsed(rustfs: dict, platform: str = "ec2"):
    raw = copy.deepcopy(BASE)
    raw["rustfs"] = rustfs
    raw["cluster"] = {**raw["cluster"], "platform": platform}
    return parse(raw, stack="t", region="us-east-1")


def problems(rustfs: dict) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        parsed(rustfs)
    return exc.value.problems


def one_problem(rustfs: dict, key: str) -> str:
    found = [p for p in problems(rustfs) if p.startswith(f"rustfs-aws:{key}:")]
    assert found, problems(rustfs)
    return found[0]


def test_a_good_section_parses_to_the_normalized_state():
    cfg = parsed(GOOD).rustfs
    assert cfg.declared and cfg.reconcile_minutes == 5
    [bucket] = cfg.buckets
    assert bucket["quotaBytes"] == 10 * 2 ** 30 and bucket["objectLock"] == {"mode": "GOVERNANCE", "days": 7}
    assert cfg.service_accounts[0]["policy"] == "orders-rw" and cfg.service_accounts[0]["version"] == 1
    assert not parsed({}).rustfs.declared  # no section: no reconciler


@pytest.mark.parametrize("name, why", [
    ("ab", "3-63"), ("Orders", "lowercase"), ("-orders", "starting and ending"), ("a..b", "'..'"),
    ("a.-b", "'.-'"), ("10.0.0.1", "IP address"), ("rustfs", "reserved by RustFS"), ("xn--orders", "S3 reserves"),
    ("orders-s3alias", "S3 reserves"), ("a" * 64, "3-63"), ("under_score", "lowercase letters, digits, dots")])
def test_bucket_names_follow_rustfs_strict_rules_and_s3_reservations(name, why):
    p = one_problem({"buckets": [{"name": name}]}, "rustfs.buckets[0].name")
    assert why in p and repr(name) in p


@pytest.mark.parametrize("bucket, key, why", [
    ({"name": "bk1", "versioning": "off"}, "rustfs.buckets[0].versioning", "enabled | suspended"),
    ({"name": "bk1", "objectLock": {"mode": "GOVERNANCE", "days": 1}}, "rustfs.buckets[0].versioning",
     "object lock needs versioning: enabled"),
    ({"name": "bk1", "versioning": "enabled", "objectLock": {"mode": "LEGAL", "days": 1}},
     "rustfs.buckets[0].objectLock.mode", "GOVERNANCE | COMPLIANCE"),
    ({"name": "bk1", "versioning": "enabled", "objectLock": {"mode": "GOVERNANCE", "days": 1, "years": 1}},
     "rustfs.buckets[0].objectLock", "exactly one of days and years"),
    ({"name": "bk1", "quotaGiB": -1}, "rustfs.buckets[0].quotaGiB", "hard quota in GiB"),
    ({"name": "bk1", "lifecycle": [{"id": "x"}]}, "rustfs.buckets[0].lifecycle[0]", "at least one of"),
    ({"name": "bk1", "lifecycle": [{"id": "x", "expirationDays": 1}, {"id": "x", "expirationDays": 2}]},
     "rustfs.buckets[0].lifecycle[1].id", "unique"),
    ({"name": "bk1", "lifecycle": [{"id": "x", "expirationDays": 0}]},
     "rustfs.buckets[0].lifecycle[0].expirationDays", "1-36,500"),
    ({"name": "bk1", "delete": True, "versioning": "enabled"}, "rustfs.buckets[0].versioning", "takes only its name"),
    ({"name": "bk1", "tags": {}}, "rustfs.buckets[0].tags", "unknown key"),
])
def test_bucket_settings_are_checked_with_the_key_named(bucket, key, why):
    assert why in one_problem({"buckets": [bucket]}, key)


@pytest.mark.parametrize("document, why", [
    ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}]},
     "no partial wildcards"),
    ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "admin:ServerInfo"],
                                             "Resource": "arn:aws:s3:::b/*"}]}, "MixedActionFamilies"),
    ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}, "Resource is required"),
    ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                             "Resource": "arn:aws:s3:us-east-1:123456789012:b/*"}]},
     "neither arn:aws:s3:::"),
    ({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}},
     "does not take a single object"),
    ({"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"}]},
     "Version"),
    ({"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Action": "s3:*", "Resource": "arn:aws:s3:::b"}]},
     "Allow or Deny"),
    ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                                             "Resource": "arn:aws:s3:::b"}]}, "Principal: unknown key"),
    ("{not json", "JSON of an IAM-style policy"),
])
def test_policies_are_refused_where_rustfs_parse_config_would_refuse_them(document, why):
    assert why in one_problem({"policies": [{"name": "p1", "document": document}]}, "rustfs.policies[0].document")


def test_policy_names_avoid_rustfs_builtins_spaces_and_commas():
    assert "built-in RustFS policy" in one_problem({"policies": [{"name": "readwrite", "document": POLICY}]},
                                                   "rustfs.policies[0].name")
    for bad in ("my policy", "a,b"):
        assert "no spaces or commas" in one_problem({"policies": [{"name": bad, "document": POLICY}]},
                                                    "rustfs.policies[0].name")


def test_service_accounts_need_a_declared_policy_without_admin_actions():
    no_policy = {"serviceAccounts": [{"name": "app"}]}
    assert "root's power" in one_problem(no_policy, "rustfs.serviceAccounts[0].policy")
    unknown = {"serviceAccounts": [{"name": "app", "policy": "nope"}]}
    assert "not a policy of rustfs.policies" in one_problem(unknown, "rustfs.serviceAccounts[0].policy")
    admin = {"policies": [{"name": "ops", "document": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["admin:CreateServiceAccount"]}]}}],
        "serviceAccounts": [{"name": "app", "policy": "ops"}]}
    assert "admin:CreateServiceAccount" in one_problem(admin, "rustfs.serviceAccounts[0].policy")
    deleted = {"policies": [{"name": "old", "delete": True}], "serviceAccounts": [{"name": "app", "policy": "old"}]}
    assert "being deleted" in one_problem(deleted, "rustfs.serviceAccounts[0].policy")
    for bad in ("1app", "a" * 33, "app.x"):
        assert "1-32 characters" in one_problem({**GOOD, "serviceAccounts": [{"name": bad, "policy": "orders-rw"}]},
                                                "rustfs.serviceAccounts[0].name")


def test_duplicates_unknown_keys_and_the_platform_are_refused():
    twice = {"buckets": [{"name": "bk1"}, {"name": "bk1"}]}
    assert "declared twice" in one_problem(twice, "rustfs.buckets[1].name")
    assert "unknown key" in one_problem({"users": []}, "rustfs.users")
    assert "2–60" in one_problem({**GOOD, "reconcileMinutes": 1}, "rustfs.reconcileMinutes")
    with pytest.raises(ConfigError) as exc:
        parsed(GOOD, platform="eks")
    assert any(p.startswith("rustfs-aws:rustfs:") and "cluster.platform: eks" in p for p in exc.value.problems)


def test_the_document_names_secret_arns_and_refuses_a_hand_edit():
    cfg = parsed(GOOD).rustfs
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rustfs/t/service-accounts/orders-api-AbCdEf"
    doc = rustfs_state.document(desired_body(
        cluster_id="rustfs-t", namespace="RustFS/t", buckets=cfg.buckets, policies=cfg.policies,
        service_accounts=cfg.service_accounts, secret_arns={"orders-api": arn}))
    assert doc["serviceAccounts"][0]["secretArn"] == arn
    assert not rustfs_state.secret_like(doc)
    text = rustfs_state.document_text(doc)
    assert rustfs_state.parameter_tier(text) == "Standard"
    import rustfs_aws.state.reconciler.rustfs_reconcile as reconciler
    assert reconciler.load_document(text)["revision"] == doc["revision"]
    edited = json.loads(text)
    edited["buckets"][0]["versioning"] = "suspended"
    with pytest.raises(reconciler.Unusable, match="revision does not match"):
        reconciler.load_document(json.dumps(edited))


def test_a_state_too_large_for_an_ssm_parameter_is_refused():
    many = [{"name": f"p{i}", "document": POLICY} for i in range(40)]
    body = desired_body(cluster_id="rustfs-t", namespace="RustFS/t", buckets=[], policies=parsed(
        {"policies": many}).rustfs.policies, service_accounts=[], secret_arns={})
    with pytest.raises(ValueError, match="at most 8192"):
        rustfs_state.parameter_tier(rustfs_state.document_text(rustfs_state.document(body)))


def test_the_install_document_embeds_the_reconciler_byte_for_byte_and_fits_ssm():
    doc = install_document("rustfs-t")
    content = document_content("rustfs-t")  # what the stack sends as the Document's content
    assert json.loads(content) == doc
    assert len(content.encode()) < 64 * 1024  # SSM's document size limit (the fake enforces it too)
    script = "\n".join(doc["mainSteps"][0]["inputs"]["runCommand"])
    start = script.index("<<'RUSTFS_RECONCILER_EOF'\n") + len("<<'RUSTFS_RECONCILER_EOF'\n")
    packed = script[start:script.index("\nRUSTFS_RECONCILER_EOF\n")]
    assert gzip.decompress(base64.b64decode(packed)).decode() == script_text()
    assert "RUSTFS_RECONCILER_EOF" not in packed
    # Room to grow: the document stays under SSM's limit with the reconciler twice its size.
    assert len(content.encode()) + len(packed) < 64 * 1024
