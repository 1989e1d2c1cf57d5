"""Bucket policies in the desired state (``rustfs.buckets[].policy`` / ``deletePolicy``; the edge's anonymous-read
policies arrive the same way, components/edge/wiring.py): the schema refuses what RustFS's PutBucketPolicy refuses
(rustfs_state.bucket_policy_problems), and the reconciler, against moto's S3 behind the node stub (which refuses a
policy RustFS would), puts it once, writes nothing on the next run, converges from a policy changed out of band,
never reads a bucket policy the state does not declare, and deletes only the one it put when told to."""

from __future__ import annotations

import json

import pytest
from reconciler_world import writes

from rustfs_aws.edge.documents import edge_bucket_policy
from rustfs_model import rustfs_state

EDGE = edge_bucket_policy("public-assets", ["10.0.240.0/26", "10.0.240.64/26"])
STATE = {"buckets": [{"name": "public-assets", "policy": EDGE}, {"name": "private"}]}


def stored(w, bucket: str):
    s3 = w.client("s3")  # moto itself, as an operator's out-of-band change would be
    try:
        return json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except s3.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchBucketPolicy"
        return None


def journal(capsys) -> list[dict]:
    return [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]


def policy_calls(calls: list) -> list:
    return [c for c in calls if "?policy" in c[1]]


def test_the_first_run_puts_the_policy_and_the_second_writes_nothing(rustfs_node, capsys):
    rustfs_node.publish(STATE)
    assert rustfs_node.run() == 0
    assert stored(rustfs_node, "public-assets") == EDGE
    assert stored(rustfs_node, "private") is None
    recorded = rustfs_node.ledger()["bucketPolicies"]
    assert list(recorded) == ["public-assets"] and len(recorded["public-assets"]["sha256"]) == 64
    journal(capsys)
    s3, _ = rustfs_node.calls_during(lambda: rustfs_node.run())
    assert not writes(s3), writes(s3)
    # Only the declared policy is read: the bucket without a policy key is never asked for one.
    assert [c[0] for c in policy_calls(s3)] == ["GET"] and all("public-assets" in c[1] for c in policy_calls(s3))
    done = [x for x in journal(capsys) if x["event"] == "done"][-1]
    assert (done["changes"], done["drift"], done["errors"]) == (0, 0, 0)


def test_an_equivalent_spelling_on_the_bucket_is_no_drift(rustfs_node):
    """RustFS answers GetBucketPolicy with the JSON as it was put: ``{"AWS": ["*"]}`` for ``"*"``, one-element
    lists for strings and another statement order are the same policy (principal.rs, action.rs)."""
    rustfs_node.publish(STATE)
    assert rustfs_node.run() == 0
    st = {**EDGE["Statement"][0], "Principal": {"AWS": ["*"]}, "Action": "s3:GetObject",
          "Resource": EDGE["Statement"][0]["Resource"][0]}
    rustfs_node.client("s3").put_bucket_policy(Bucket="public-assets", Policy=json.dumps({**EDGE, "Statement": [st]}))
    s3, _ = rustfs_node.calls_during(lambda: rustfs_node.run())
    assert not writes(s3)


def test_it_converges_from_a_policy_changed_out_of_band(rustfs_node, capsys):
    rustfs_node.publish(STATE)
    assert rustfs_node.run() == 0
    wide = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
                                                    "Resource": ["arn:aws:s3:::public-assets/*"]}]}
    rustfs_node.client("s3").put_bucket_policy(Bucket="public-assets", Policy=json.dumps(wide))
    journal(capsys)
    assert rustfs_node.run("--check") == 0  # reports, writes nothing
    drift = [x for x in journal(capsys) if x["event"] == "drift"]
    assert [x["what"] for x in drift] == ["bucket public-assets policy"] and drift[0]["found"] == wide
    assert stored(rustfs_node, "public-assets") == wide
    assert rustfs_node.run() == 0
    assert stored(rustfs_node, "public-assets") == EDGE
    assert 1.0 in rustfs_node.metric("StateDrift")
    s3, _ = rustfs_node.calls_during(lambda: rustfs_node.run())
    assert not writes(s3)


def test_a_policy_it_did_not_put_is_never_deleted(rustfs_node, capsys):
    """deletePolicy: true removes only the policy the ledger says this reconciler put: a bucket's own policy, or
    one a person put over the reconciler's, stays (exit 1, refused)."""
    rustfs_node.publish({"buckets": [{"name": "public-assets"}]})
    assert rustfs_node.run() == 0
    foreign = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": ["*"]},
                                                       "Action": ["s3:DeleteObject"],
                                                       "Resource": ["arn:aws:s3:::public-assets/*"]}]}
    s3 = rustfs_node.client("s3")
    s3.put_bucket_policy(Bucket="public-assets", Policy=json.dumps(foreign))
    rustfs_node.publish({"buckets": [{"name": "public-assets", "deletePolicy": True}]})
    journal(capsys)
    assert rustfs_node.run() == 1
    assert stored(rustfs_node, "public-assets") == foreign
    assert [x["reason"] for x in journal(capsys) if x["event"] == "refused"][0].startswith("deletePolicy: true, but")

    rustfs_node.publish(STATE)  # now the reconciler puts its own, then a person replaces it
    assert rustfs_node.run() == 0
    s3.put_bucket_policy(Bucket="public-assets", Policy=json.dumps(foreign))
    rustfs_node.publish({"buckets": [{"name": "public-assets", "deletePolicy": True}]})
    assert rustfs_node.run() == 1
    assert stored(rustfs_node, "public-assets") == foreign


def test_block_public_policy_on_the_bucket_is_reported_by_name_and_nothing_recorded(rustfs_node, capsys):
    """RustFS refuses an Allow to Principal "*" under BlockPublicPolicy (execute_put_bucket_policy: AccessDenied,
    root credentials included); a bucket has no public access block unless someone put one (then: allowed)."""
    rustfs_node.client("s3").create_bucket(Bucket="public-assets",
                                           CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    rustfs_node.client("s3").put_public_access_block(Bucket="public-assets", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False})
    rustfs_node.publish(STATE)
    journal(capsys)
    assert rustfs_node.run() == 1
    refused = [x for x in journal(capsys) if x["event"] == "refused"]
    assert [x["name"] for x in refused] == ["public-assets"] and "BlockPublicPolicy" in refused[0]["reason"]
    assert stored(rustfs_node, "public-assets") is None and not rustfs_node.ledger()["bucketPolicies"]
    rustfs_node.client("s3").delete_public_access_block(Bucket="public-assets")
    assert rustfs_node.run() == 0 and stored(rustfs_node, "public-assets") == EDGE


def test_deletepolicy_removes_the_one_it_put_and_then_writes_nothing(rustfs_node):
    rustfs_node.publish(STATE)
    assert rustfs_node.run() == 0
    rustfs_node.publish({"buckets": [{"name": "public-assets"}]})  # the key dropped: the policy stays
    assert rustfs_node.run() == 0
    assert stored(rustfs_node, "public-assets") == EDGE
    rustfs_node.publish({"buckets": [{"name": "public-assets", "deletePolicy": True}]})
    s3, _ = rustfs_node.calls_during(lambda: rustfs_node.run())
    assert [c[0] for c in writes(s3)] == ["DELETE"] and "?policy" in writes(s3)[0][1]
    assert stored(rustfs_node, "public-assets") is None
    assert rustfs_node.ledger()["bucketPolicies"] == {}
    s3, _ = rustfs_node.calls_during(lambda: rustfs_node.run())
    assert not writes(s3)


def test_the_node_stub_refuses_what_rustfs_refuses(rustfs_node):
    """The fake is as strict as RustFS's PutBucketPolicy: a statement without Principal is MalformedPolicy."""
    import boto3

    rustfs_node.publish({"buckets": [{"name": "public-assets"}]})
    assert rustfs_node.run() == 0
    node = boto3.client("s3", region_name="eu-west-1", endpoint_url=rustfs_node.node)
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"],
                                                   "Resource": ["arn:aws:s3:::public-assets/*"]}]}
    with pytest.raises(node.exceptions.ClientError, match="MalformedPolicy"):
        node.put_bucket_policy(Bucket="public-assets", Policy=json.dumps(bad))


# --- the schema -------------------------------------------------------------------------------------------------

def problems(policy, name: str = "public-assets", **extra) -> list[str]:
    _, found = rustfs_state.parse_state({"buckets": [{"name": name, "policy": policy, **extra}]})
    return [f"{path}: {allowed}" for path, _, allowed in found]


def test_the_edge_policy_is_a_valid_bucket_policy_and_its_json_too():
    assert problems(EDGE) == [] and problems(json.dumps(EDGE)) == []
    parsed, _ = rustfs_state.parse_state({"buckets": [{"name": "public-assets", "policy": json.dumps(EDGE)}]})
    assert parsed["buckets"][0]["policy"] == EDGE


def _with(**statement) -> dict:
    st = {**EDGE["Statement"][0], **statement}
    return {**EDGE, "Statement": [{k: v for k, v in st.items() if v is not None}]}


@pytest.mark.parametrize(("policy", "expected"), [
    (_with(Principal=None), "Statement[0].Principal: required in a bucket policy"),
    (_with(Principal="someone"), "Statement[0].Principal: '*' or an object of AWS and/or Service"),
    (_with(Principal={"AWS": []}), "Statement[0].Principal: AWS: a string or a list of strings"),
    (_with(Resource=["arn:aws:s3:::reports/*"]), "'arn:aws:s3:::reports/*' is not this bucket: "
     "arn:aws:s3:::public-assets or arn:aws:s3:::public-assets/<key pattern>"),
    (_with(Resource=["arn:aws:s3:::public-assets-2/*"]), "is not this bucket"),
    (_with(Resource=None), "Statement[0]: exactly one of Resource and NotResource"),
    (_with(Action=["s3:Get*"]), "actions RustFS does not know ['s3:Get*']"),
    (_with(Action=["kms:Decrypt"]), "are not s3 actions: a bucket policy holds s3 actions only"),
    (_with(Action=["admin:ServerInfo"]), "are not s3 actions"),
    (_with(NotAction=["s3:PutObject"]), "Statement[0]: exactly one of Action and NotAction"),
    (_with(Effect="Permit"), "Statement[0].Effect: Allow or Deny"),
    (_with(Principals="*"), "Statement[0].Principals: unknown key"),
    ({**EDGE, "ID": "x"}, "ID: unknown key; a bucket policy takes Id, Version and Statement (Id, not ID)"),
    ({**EDGE, "Version": "2008-10-17"}, "Version: must be '2012-10-17'"),
    ({**EDGE, "Statement": EDGE["Statement"][0]}, "Statement: a non-empty list"),
    ("{not json", "JSON of a bucket policy"),
    ([], "a bucket policy object"),
])
def test_a_bucket_policy_rustfs_or_s3_would_refuse_is_a_config_error_naming_the_key(policy, expected):
    found = problems(policy)
    assert any(expected in f for f in found), found
    assert all(f.startswith("buckets[0].policy") for f in found), found


def test_deletepolicy_is_explicit_and_excludes_policy():
    assert problems(EDGE, deletePolicy=True) == [
        "buckets[0].deletePolicy: either policy (the bucket policy to apply) or deletePolicy: true (remove the one "
        "this reconciler applied), not both"]
    parsed, found = rustfs_state.parse_state({"buckets": [{"name": "b-1", "deletePolicy": True}]})
    assert not found and parsed["buckets"][0]["deletePolicy"] is True and "policy" not in parsed["buckets"][0]
    _, found = rustfs_state.parse_state({"buckets": [{"name": "b-1", "deletePolicy": "yes"}]})
    assert [(p, a) for p, _, a in found] == [("buckets[0].deletePolicy", "true or false")]
