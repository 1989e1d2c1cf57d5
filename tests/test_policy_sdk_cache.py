"""The pack converts each resource's properties once per analysis, and never serves stale properties."""

from __future__ import annotations

import pytest
from google.protobuf import struct_pb2
from policy_harness import diags_for, resource, running_pack, secret
from rustfs_guardrails import _sdk_cache

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_KMS = "rustfs-cloudwatch-loggroup-require-kms"
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _struct(value: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(value)
    return message


@pytest.fixture
def memo(monkeypatch):
    from pulumi_policy import policy as sdk

    monkeypatch.setattr(sdk, "json_format", sdk.json_format)  # undone after the test
    monkeypatch.setattr(sdk, "deserialize_properties", sdk.deserialize_properties)
    installed = _sdk_cache.install()
    assert installed is not None, "pulumi-policy's analyzer no longer has the two conversions this memoizes"
    return sdk, installed


def test_equal_messages_are_converted_once_and_different_ones_apart(memo):
    sdk, installed = memo
    first = sdk.json_format.MessageToDict(_struct({"kmsKeyId": KEY_ARN, "retentionInDays": 365}))
    again = sdk.json_format.MessageToDict(_struct({"retentionInDays": 365, "kmsKeyId": KEY_ARN}))
    other = sdk.json_format.MessageToDict(_struct({"retentionInDays": 365}))
    assert again is first
    assert other == {"retentionInDays": 365}
    assert installed.conversions == 2
    deserialized = sdk.deserialize_properties(first)
    assert sdk.deserialize_properties(first) is deserialized
    assert sdk.unknown_checking_proxy(deserialized) is sdk.unknown_checking_proxy(deserialized)
    assert sdk.unknown_checking_proxy(deserialized)["kmsKeyId"] == KEY_ARN


def test_secrets_keep_their_two_forms(memo):
    sdk, _ = memo
    props = sdk.json_format.MessageToDict(_struct({"password": {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "s3cr3t"}}))
    assert sdk.deserialize_properties(props) == {"password": "s3cr3t"}
    proxied = sdk.deserialize_properties(props, True)
    assert proxied is not sdk.deserialize_properties(props)


def test_a_dict_the_memo_did_not_make_is_deserialized_afresh(memo):
    sdk, _ = memo
    plain = {"retentionInDays": 365}
    assert sdk.deserialize_properties(plain) == plain
    assert sdk.deserialize_properties(plain) is not sdk.deserialize_properties(plain)
    assert sdk.unknown_checking_proxy(plain) is not sdk.unknown_checking_proxy(plain)


def test_the_bound_evicts_the_oldest_entry():
    calls = []
    memo = _sdk_cache._Memo(lambda m: calls.append(m) or {"n": len(calls)}, lambda d, _s=False: dict(d), limit=2)
    a, b, c = (_struct({"n": i}) for i in range(3))
    memo.message_to_dict(a), memo.message_to_dict(b), memo.message_to_dict(c)
    memo.message_to_dict(c)
    assert memo.conversions == 3
    memo.message_to_dict(a)
    assert memo.conversions == 4


def test_one_pack_process_judges_each_version_of_a_resource_by_its_own_properties():
    with running_pack() as pack:
        for _ in range(2):
            assert diags_for(pack.analyze(resource(LOG_GROUP, "app", {"kmsKeyId": KEY_ARN})), LOG_KMS) == []
            assert diags_for(pack.analyze(resource(LOG_GROUP, "app", {"kmsKeyId": secret(KEY_ARN)})), LOG_KMS) == []
            assert len(diags_for(pack.analyze(resource(LOG_GROUP, "app", {"retentionInDays": 365})), LOG_KMS)) == 1


VPC, FLOW_LOG = "aws:ec2/vpc:Vpc", "aws:ec2/flowLog:FlowLog"
SG, INSTANCE = "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/instance:Instance"
FLOW, SG_USED = "rustfs-ec2-vpc-require-flow-logs", "rustfs-ec2-securitygroup-require-attachment"


def test_a_stack_policy_still_sees_its_types_dependencies_among_resources_it_does_not_read():
    """AnalyzeStack hands each policy only its types (_sdk_cache.filter_stack_requests): the links between them
    survive, and a policy that reads every type still sees the users of a group."""
    vpc = resource(VPC, "main", {"cidrBlock": "10.0.0.0/16"})
    noise = [resource(LOG_GROUP, f"noise-{i}", {"kmsKeyId": KEY_ARN}) for i in range(3)]
    flow = resource(FLOW_LOG, "main-flow", {"vpcId": "vpc-0abc", "trafficType": "ALL"},
                    dependencies=[noise[0].urn, vpc.urn], property_dependencies={"vpcId": [vpc.urn]})
    group = resource(SG, "nodes", {"vpcId": "vpc-0abc"})
    node = resource(INSTANCE, "node", {"vpcSecurityGroupIds": ["sg-0abc"]}, dependencies=[group.urn])
    with running_pack() as pack:
        diags = pack.analyze_stack([noise[1], vpc, noise[0], flow, group, noise[2], node])
        assert diags_for(diags, FLOW) == [] and diags_for(diags, SG_USED) == []
        diags = pack.analyze_stack([noise[1], vpc, noise[0], group, noise[2]])
        assert [d["urn"] for d in diags_for(diags, FLOW)] == [vpc.urn]
        assert [d["urn"] for d in diags_for(diags, SG_USED)] == [group.urn]


def test_the_pinned_sdk_still_has_the_shape_both_speed_ups_need(monkeypatch):
    """If an SDK upgrade renames what _sdk_cache wraps, the pack stays correct but slow: this fails instead."""
    from pulumi_policy import policy as sdk

    monkeypatch.setattr(sdk._PolicyAnalyzerServicer, "AnalyzeStack", sdk._PolicyAnalyzerServicer.AnalyzeStack)
    assert _sdk_cache.filter_stack_requests({}) is True
    assert getattr(sdk._PolicyAnalyzerServicer.AnalyzeStack, "filters_by_type", False)
    assert _sdk_cache.filter_stack_requests({}) is False  # never wrapped twice
    # The attribute the filter swaps per policy on its copy of the servicer (policy.py: self.__policies).
    assert "_PolicyAnalyzerServicer__policies" in sdk._PolicyAnalyzerServicer.__init__.__code__.co_names
