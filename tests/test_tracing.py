"""X-Ray for the RustFS service: the sampling rule and the group the program declares, what RustFS's own sources say
its traces carry (tests/data/rustfs_settings.json), and the fake's X-Ray limits against AWS's API model."""

from __future__ import annotations

import json
from pathlib import Path

import botocore.session
import pytest
from test_cluster import written_files
from user_data import decode_user_data, env_file

from preflight import fake_monitoring as fm
from preflight.fake_operations import AwsRejects
from preflight.runner import run_stack
from rustfs_aws.config import ConfigError
from rustfs_aws.observability import telemetry
from rustfs_aws.observability.tracing import MAX_NAME, PRIORITY, group_filter

FACTS = json.loads((Path(__file__).parent / "data" / "rustfs_settings.json").read_text())["observability"]
RULE = "aws:xray/samplingRule:SamplingRule"
GROUP = "aws:xray/group:Group"


@pytest.fixture(scope="module", params=["dev", "prod"])
def stack(request):
    return request.param, run_stack(request.param)


def _node_env(recording) -> dict[str, str]:
    template = recording.of_type("aws:ec2/launchTemplate:LaunchTemplate")[0]
    return env_file(written_files(decode_user_data(template.inputs["userData"]))["/etc/default/rustfs"])


def test_the_rule_matches_the_service_name_rustfs_gives_its_traces(stack):
    _, recording = stack
    [rule] = recording.of_type(RULE)
    r = rule.inputs
    # RustFS's default service name, which the nodes keep (they do not set RUSTFS_OBS_SERVICE_NAME).
    assert r["serviceName"] == FACTS["service_name"]["default"] == telemetry.RUSTFS_SERVICE_NAME
    assert FACTS["service_name"]["env"] not in _node_env(recording)
    assert (r["host"], r["httpMethod"], r["urlPath"], r["serviceType"], r["resourceArn"]) == ("*",) * 5
    assert r["version"] == 1 and 1 <= r["priority"] < 10_000  # before X-Ray's default rule (priority 10000)


def test_the_rule_states_the_rate_the_nodes_sample_at(stack):
    _, recording = stack
    [rule] = recording.of_type(RULE)
    assert rule.inputs["fixedRate"] == 0.01 and rule.inputs["reservoirSize"] == 1  # observability.tracing defaults
    # RustFS samples itself (RUSTFS_OBS_SAMPLE_RATIO, default 1.0: every request) and never asks X-Ray's rules, so
    # the ratio the nodes get is what bounds the traces recorded; the rule must say the same.
    assert FACTS["sample_ratio"]["default"] == 1.0
    assert float(_node_env(recording)[FACTS["sample_ratio"]["env"]]) == rule.inputs["fixedRate"]


def test_the_group_filters_the_rustfs_service_without_paid_insights(stack):
    name, recording = stack
    [group] = recording.of_type(GROUP)
    g = group.inputs
    assert g["groupName"] == f"rustfs-{name}" and g["filterExpression"] == 'service("RustFS")'
    assert g["insightsConfiguration"] == {"insightsEnabled": False, "notificationsEnabled": False}
    assert g["tags"]["rustfs:stack"] == name and g["tags"]["Environment"] == name
    assert group_filter("x") == 'service("x")'


def test_rate_and_reservoir_come_from_config_and_bad_ones_are_refused_naming_the_key():
    recording = run_stack("dev", {"rustfs-aws:observability": {"tracing": {"sampleRate": 0.2,
                                                                           "reservoirPerSecond": 5}}})
    [rule] = recording.of_type(RULE)
    assert (rule.inputs["fixedRate"], rule.inputs["reservoirSize"]) == (0.2, 5)
    with pytest.raises(ConfigError) as e:
        run_stack("dev", {"rustfs-aws:observability": {"tracing": {"sampleRate": 1.5, "reservoirPerSecond": -1}}})
    assert "rustfs-aws:observability.tracing.sampleRate: got 1.5; allowed range 0–1" in str(e.value)
    assert "rustfs-aws:observability.tracing.reservoirPerSecond: got -1; allowed range 0–100" in str(e.value)


def test_tracing_off_declares_no_xray_resource():
    recording = run_stack("dev", {"rustfs-aws:observability": {"tracing": {"enabled": False}}})
    assert recording.of_type(RULE) == [] and recording.of_type(GROUP) == []


def test_the_longest_stack_name_fits_xrays_names():
    # A stack name is at most 20 characters (config.py _STACK), the deployment's name "rustfs-<stack>" 27.
    assert len("rustfs-" + "a" * 20) <= MAX_NAME == fm.MAX_RULE_NAME == fm.MAX_GROUP_NAME
    fm.check_sampling_rule({"ruleName": "rustfs-" + "a" * 20, "priority": PRIORITY, "fixedRate": 1,
                            "reservoirSize": 0, "version": 1, "serviceName": "RustFS"})


@pytest.mark.parametrize("change,message", [
    ({"ruleName": "r" * 33}, "1 to 32"),
    ({"ruleName": "Default"}, "'Default' is reserved"),
    ({"priority": 0}, "Priority 0 outside 1-9999"),
    ({"priority": 10_000}, "outside 1-9999"),
    ({"fixedRate": 1.5}, "FixedRate 1.5 outside 0-1"),
    ({"reservoirSize": -1}, "below 0"),
    ({"version": 2}, "only 1"),
    ({"serviceName": "s" * 65}, "serviceName is 65 characters"),
    ({"attributes": {f"k{i}": "v" for i in range(6)}}, "at most 5 attributes"),
])
def test_the_fake_refuses_sampling_rules_xray_refuses(change, message):
    rule = {"ruleName": "rustfs-dev", "priority": 1000, "fixedRate": 0.05, "reservoirSize": 1, "version": 1,
            "serviceName": "RustFS", "host": "*", "httpMethod": "*", "urlPath": "*", "resourceArn": "*"}
    fm.check_sampling_rule(rule)
    with pytest.raises(AwsRejects, match=message):
        fm.check_sampling_rule({**rule, **change})


def test_the_fake_refuses_groups_xray_refuses():
    from preflight.fake_aws import FakeAws

    fake = FakeAws("us-east-1")
    fm.xray_group(fake, "g", {"groupName": "rustfs-dev", "filterExpression": 'service("RustFS")'})
    for inputs, message in ([{"groupName": "g" * 33}, "1 to 32"], [{"groupName": "Default"}, "reserved"],
                            [{"groupName": "g", "filterExpression": " "}, "empty FilterExpression"]):
        with pytest.raises(AwsRejects, match=message):
            fm.xray_group(fake, "g", inputs)


def test_the_fakes_xray_limits_are_aws_own():
    model = botocore.session.get_session().get_service_model("xray")
    rule = model.shape_for("SamplingRule").members
    assert rule["RuleName"].metadata == {"min": 1, "max": fm.MAX_RULE_NAME}
    assert (rule["Priority"].metadata["min"], rule["Priority"].metadata["max"]) == fm.PRIORITY
    assert (rule["FixedRate"].metadata["min"], rule["FixedRate"].metadata["max"]) == (0, 1)
    assert rule["ReservoirSize"].metadata["min"] == 0 and rule["Version"].metadata["min"] == 1
    assert rule["Attributes"].metadata["max"] == 5
    members = {"serviceName": "ServiceName", "serviceType": "ServiceType", "host": "Host", "httpMethod": "HTTPMethod",
               "urlPath": "URLPath", "resourceArn": "ResourceARN"}
    assert {k: rule[v].metadata["max"] for k, v in members.items()} == fm.SAMPLING_FIELDS
    group = model.operation_model("CreateGroup").input_shape.members
    assert group["GroupName"].metadata == {"min": 1, "max": fm.MAX_GROUP_NAME}


def test_request_spans_need_info_level_and_the_docs_say_so():
    # RustFS builds no request span below INFO (one filter for logs and traces): the tracing module says it.
    assert FACTS["request_spans_need_level"]["level"] == "info"
    from rustfs_aws.observability import tracing

    assert "make_http_trace_span" in tracing.__doc__ and "info" in tracing.__doc__


def test_xray_traces_are_priced_from_the_rules_rate_and_the_request_rate():
    from rustfs_model.cost import monthly_cost

    def cost(rate: float, rps: float) -> float:
        res = [{"type": RULE, "inputs": {"fixedRate": rate, "reservoirSize": 1}}]
        [line] = [i for i in monthly_cost(res, "us-east-1", {"s3RequestsPerSecond": rps,
                                                              "xrayTracesRetrievedPerMonth": 0})["items"]
                  if i["what"] == "X-Ray traces"]
        return line["monthlyUSD"]

    # 100 requests/s traced at 1%: 1 trace/s, 2.628 million a month at $5 per million.
    assert cost(0.01, 100) == pytest.approx(2.628e6 / 1e6 * 5.0, abs=0.01)
    # RustFS's own default (every request) at 1,000 requests/s: $13,140 a month - why the rate is a config key.
    assert cost(1.0, 1000) == pytest.approx(13_140, abs=1)
