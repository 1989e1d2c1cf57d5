"""The cluster's CloudWatch dashboard, as the real program declares it for dev and prod: every metric it graphs is one
the stack's nodes publish (RustFS's own at the pinned release, the collector's host metrics) or an AWS metric of a
resource the stack creates, with that resource's dimensions; every alarm it shows is one the stack declares; and
it fits CloudWatch's limits for the largest cluster config allows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from preflight.fake_monitoring import (
    MAX_DASHBOARD_BODY,
    MAX_METRICS_PER_DASHBOARD,
    MAX_WIDGETS,
    check_dashboard,
)
from preflight.fake_operations import AwsRejects
from preflight.runner import run_stack
from rustfs_aws.observability import telemetry
from rustfs_aws.observability.dashboard import (
    MAX_METRICS,
    ClusterDashboardArgs,
    dashboard_body,
    fitted_body,
    metric_count,
)
from rustfs_model.rustfs_metrics import catalogue

DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
# The AWS metrics the dashboard may graph, by namespace: those of resources the stack creates, with the dimension
# names that identify them (ELB User Guide, "CloudWatch metrics for your Network Load Balancer"; EC2 Auto Scaling
# User Guide, "Auto Scaling group metrics").
AWS_METRICS = {
    "AWS/NetworkELB": ({"HealthyHostCount", "UnHealthyHostCount"}, {"LoadBalancer", "TargetGroup"}),
    "AWS/AutoScaling": ({"GroupInServiceInstances"}, {"AutoScalingGroupName"}),
}


@pytest.fixture(scope="module", params=["dev", "prod"])
def stack(request):
    return request.param, run_stack(request.param)


def _body(recording) -> dict:
    [dashboard] = recording.of_type(DASHBOARD)
    return json.loads(dashboard.inputs["dashboardBody"])


def _metric_rows(body: dict):
    """(widget title, namespace, metric name, dimensions, options) of every metric row; expressions apart."""
    for w in body["widgets"]:
        for row in w["properties"].get("metrics", []):
            if isinstance(row[0], dict):
                continue
            options = row[-1] if isinstance(row[-1], dict) else {}
            plain = row[:-1] if options else row
            namespace, name, rest = plain[0], plain[1], plain[2:]
            assert len(rest) % 2 == 0, row
            yield w["properties"]["title"], namespace, name, dict(zip(rest[::2], rest[1::2], strict=True)), options


def test_every_metric_is_one_the_stack_publishes_with_its_dimensions(stack):
    name, recording = stack
    body, namespace = _body(recording), telemetry.metric_namespace(name)
    nodes = {telemetry.node_dimension_value(n) for n in recording.outputs["nodeNames"]}
    groups = {g.outputs["name"] for g in recording.of_type("aws:autoscaling/group:Group")}
    [lb] = recording.of_type("aws:lb/loadBalancer:LoadBalancer")
    target_groups = {t.outputs["arnSuffix"] for t in recording.of_type("aws:lb/targetGroup:TargetGroup")}
    seen = set()
    for title, ns, metric, dims, _ in _metric_rows(body):
        if ns == namespace:
            assert dims[telemetry.CLUSTER_DIMENSION] == f"rustfs-{name}", title
            assert dims.get(telemetry.NODE_DIMENSION, next(iter(nodes))) in nodes, title
            if metric in telemetry.HOST_METRICS:
                assert set(dims) == set(telemetry.HOST_METRICS[metric]), (title, metric)
                if telemetry.MOUNT_DIMENSION in dims:
                    assert re.fullmatch(r"/data/rustfs\d+", dims[telemetry.MOUNT_DIMENSION])
            else:
                entry = catalogue()[metric]  # KeyError: not a RustFS metric at the pinned release
                assert entry["emitted"], metric
                published = {frozenset(d) for d in telemetry.RUSTFS_METRICS[metric]}
                assert frozenset(dims) in published, (title, metric, dims)
                if telemetry.STATUS_CLASS_DIMENSION in dims:
                    assert dims[telemetry.STATUS_CLASS_DIMENSION] in entry["label_values"]["status_class"]
        else:
            names, dimension_names = AWS_METRICS[ns]  # KeyError: a namespace the stack has nothing in
            assert metric in names and set(dims) <= dimension_names, (title, metric)
            if "AutoScalingGroupName" in dims:
                assert dims["AutoScalingGroupName"] in groups
            if "LoadBalancer" in dims:
                assert dims["LoadBalancer"] == lb.outputs["arnSuffix"]
                assert dims["TargetGroup"] in target_groups
        seen.add(metric)
    # capacity, throughput, latency, errors, per-node health
    assert {"rustfs_cluster_capacity_used_bytes", "rustfs_http_server_response_body_bytes_total",
            "rustfs_http_server_request_duration_seconds", "rustfs_http_server_failures_total",
            telemetry.HOST_DISK_USED, telemetry.HOST_MEMORY_USED, telemetry.HOST_SWAP_USED,
            "HealthyHostCount", "GroupInServiceInstances"} <= seen


def test_every_expression_names_only_ids_of_its_widget(stack):
    _, recording = stack
    for w in _body(recording)["widgets"]:
        rows = w["properties"].get("metrics", [])
        ids = {(r[-1] if isinstance(r[-1], dict) else {}).get("id") for r in rows} | {
            r[0].get("id") for r in rows if isinstance(r[0], dict)}
        for r in rows:
            if isinstance(r[0], dict):
                named = set(re.findall(r"\b([a-z][a-zA-Z0-9_]*)\b", r[0]["expression"])) - {"FILL"}
                assert named <= ids, (w["properties"]["title"], named - ids)


def test_every_alarm_shown_is_declared_and_every_declared_alarm_is_shown_composite_first(stack):
    name, recording = stack
    shown = [arn for w in _body(recording)["widgets"] if w["type"] == "alarm" for arn in w["properties"]["alarms"]]
    metric_alarms = {a.outputs["arn"] for a in recording.of_type(ALARM)}
    [composite] = recording.of_type(COMPOSITE)
    assert shown[0] == composite.outputs["arn"]
    assert composite.inputs["alarmName"] == telemetry.degraded_alarm_name(f"rustfs-{name}")
    assert set(shown) == metric_alarms | {composite.outputs["arn"]} and len(shown) == len(set(shown))
    assert all(len(w["properties"]["alarms"]) <= 100 for w in _body(recording)["widgets"] if w["type"] == "alarm")


def test_the_dashboard_is_named_for_the_operator_role_and_one_row_per_node(stack):
    name, recording = stack
    [dashboard] = recording.of_type(DASHBOARD)
    # The operator role may read dashboard/<name>-* (components/security/iam_documents.py).
    assert dashboard.inputs["dashboardName"] == f"rustfs-{name}-cluster"
    titles = [w["properties"].get("title", "") for w in _body(recording)["widgets"]]
    for node in recording.outputs["nodeNames"]:
        assert f"{telemetry.node_dimension_value(node)}: drives' filesystems, inodes, memory, swap (% used)" in titles


def test_thresholds_are_drawn_where_the_alarms_fire():
    recording = run_stack("dev", {"rustfs-aws:observability": {"alarms": {"capacityUsedPercent": 60,
                                                                          "latencySeconds": 0.5}}})
    lines = {w["properties"]["title"]: [a["value"] for a in w["properties"].get("annotations", {})
                                        .get("horizontal", [])] for w in _body(recording)["widgets"]
             if w["type"] == "metric"}
    assert lines["Capacity used (% of usable, after erasure coding)"] == [60]
    assert lines["Requests per second and mean latency (s)"] == [0.5]


def test_no_dashboard_when_config_says_so():
    assert run_stack("dev", {"rustfs-aws:observability": {"dashboard": False}}).of_type(DASHBOARD) == []


def _largest() -> tuple[ClusterDashboardArgs, dict]:
    nodes = [f"rustfs-{i + 1}.rustfs.internal" for i in range(64)]  # cluster.nodes <= 64, drivesPerNode <= 21
    args = ClusterDashboardArgs(
        name="rustfs-abcdefghijklmnopqrst", stack="abcdefghijklmnopqrst", region="us-east-1",
        drive_paths={n: [f"/data/rustfs{d}" for d in range(21)] for n in nodes},
        group_names=dict.fromkeys(nodes, ""), load_balancer_arn_suffix="", s3_target_group_arn_suffix="",
        alarm_arns={})
    groups = {n: f"rustfs-abcdefghijklmnopqrst-{n.split('.')[0]}" for n in nodes}
    return args, groups


def test_the_largest_cluster_fits_cloudwatchs_dashboard_limits():
    args, groups = _largest()
    arns = [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:rustfs-abcdefghijklmnopqrst-a{i}" for i in range(1600)]
    full = dashboard_body(args, groups, "net/x/1", "targetgroup/y/2", arns)
    assert metric_count(full) > MAX_METRICS  # every drive's inode line would not fit ...
    body = fitted_body(args, groups, "net/x/1", "targetgroup/y/2", arns)
    assert metric_count(body) <= MAX_METRICS_PER_DASHBOARD  # ... so they are left out, the space lines kept
    text = json.dumps(body, separators=(",", ":"))
    assert len(body["widgets"]) <= MAX_WIDGETS and len(text.encode()) <= MAX_DASHBOARD_BODY
    check_dashboard("rustfs-abcdefghijklmnopqrst-cluster", text)
    assert any(telemetry.HOST_DISK_USED in json.dumps(w) for w in body["widgets"])


def test_the_fake_refuses_dashboards_cloudwatch_refuses():
    widget = {"type": "metric", "x": 0, "y": 0, "width": 6, "height": 6,
              "properties": {"region": "us-east-1", "metrics": [["AWS/EC2", "CPUUtilization"]]}}
    check_dashboard("ok_name-1", json.dumps({"widgets": [widget]}))
    cases = [
        ("bad name!", {"widgets": [widget]}, "alphanumerics"),
        ("n", {"widgets": [widget] * (MAX_WIDGETS + 1)}, "at most 500"),
        ("n", {"widgets": [{**widget, "properties": {"metrics": [["AWS/EC2", "CPUUtilization"]]}}]}, "region"),
        ("n", {"widgets": [{**widget, "x": 20}]}, "24-column grid"),
        ("n", {"widgets": [{**widget, "type": "graph"}]}, "type must be one of"),
        ("n", {"widgets": [{**widget, "properties": {"region": "r", "metrics": [["A", "m"]] * 501}}]}, "at most 500"),
        ("n", {"nope": []}, "'widgets' array"),
    ]
    for name, body, message in cases:
        with pytest.raises(AwsRejects, match=message):
            check_dashboard(name, json.dumps(body))
    with pytest.raises(AwsRejects, match="bytes"):
        check_dashboard("n", json.dumps({"widgets": [{**widget, "properties": {
            "region": "r", "markdown": "x" * MAX_DASHBOARD_BODY}}]}))


def test_a_metric_rustfs_only_declares_is_refused_before_any_dashboard_is_built():
    from rustfs_model.rustfs_metrics import emitted

    with pytest.raises(KeyError, match="declares 'rustfs_api_requests_5xx_errors_total' but does not emit it"):
        emitted("rustfs_api_requests_5xx_errors_total")
    with pytest.raises(KeyError, match="has no metric 'rustfs_cluster_health_nodes_offline_count'"):
        emitted("rustfs_cluster_health_nodes_offline_count")


def test_dashboards_and_composite_alarms_are_priced_without_assuming_the_accounts_free_tier():
    from rustfs_model.cost import monthly_cost

    res = [{"type": DASHBOARD, "inputs": {}}, {"type": COMPOSITE, "inputs": {}}]
    lines = {i["what"]: i["monthlyUSD"] for i in monthly_cost(res, "us-east-1")["items"]}
    assert lines == {"CloudWatch dashboards (1)": 3.0, "CloudWatch composite alarms (1)": 0.5}
    free = {i["what"]: i["monthlyUSD"] for i in monthly_cost(res, "us-east-1", {"freeDashboards": 3})["items"]}
    assert free["CloudWatch dashboards (1)"] == 0.0
    # Not sourced for every region: unpriced, never free.
    assert any("dashboard_month" in u for u in monthly_cost(res, "eu-central-1")["unpriced"])


def test_the_metric_list_was_read_at_the_release_the_other_rustfs_facts_were():
    from rustfs_model.rustfs_metrics import DATA_FILE

    metrics = json.loads(DATA_FILE.read_text())
    facts = json.loads((Path(__file__).parent / "data" / "rustfs_settings.json").read_text())
    assert metrics["source"]["tag"] == facts["source"]["tag"] and metrics["source"]["commit"] == facts["source"][
        "commit"]
    # Names are RustFS's own underscore form, each from a source file of the release.
    for m in metrics["metrics"]:
        assert re.fullmatch(r"rustfs_[a-z0-9_]+", m["name"]) and m["type"] in ("counter", "gauge", "histogram")
        assert m["source"].startswith(("crates/obs/src/metrics/schema/", "rustfs/src/server/http.rs"))
