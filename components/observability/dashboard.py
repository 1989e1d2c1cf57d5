"""The cluster's CloudWatch dashboard: capacity, throughput, latency, errors and per-node health on one page.

Every widget reads only what the stack creates or RustFS emits: RustFS's own metrics and the collector's host metrics
in ``RustFS/<stack>`` (telemetry.py names them and the dimension sets the collector publishes; a RustFS metric must
be one RustFS emits at the pinned release, ``rustfs_model.rustfs_metrics``, or the dashboard is not built), the
load balancer's and the node groups' AWS metrics, the nodes' certificate metric (``RustFS/Node``) and the alarms of
``ClusterAlarms``. tests/test_dashboard.py parses the body and checks every reference.

Layout (24 columns): a header with the runbook pointer; the alarm states (the composite "cluster degraded" first);
capacity, throughput, latency and errors for the cluster; then one row per node: its drives' filesystems, memory and
swap, the drives it sees offline and its request latency. A node's row is one widget of 24 x 6, so the 64 nodes
config allows give 64 + 8 widgets, far from CloudWatch's 500 per dashboard; an alarm widget shows at most 100 alarms,
so the alarms are spread over as many as needed.

Rejected: a SEARCH expression per widget ("all drives of the cluster") - it would keep working after a node is
added without a deploy, but it shows whatever the namespace holds (a replaced drive's old mount, another stack's
metrics after a copy-paste), so no test can tell the dashboard reads what the stack emits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.observability import telemetry as t
from rustfs_model import rustfs_metrics

NLB = "AWS/NetworkELB"
ASG = "AWS/AutoScaling"
PERIOD = 300
MAX_ALARMS_PER_WIDGET = 100  # CloudWatch dashboard body: an alarm status widget lists at most 100 alarms
MAX_METRICS = 2_500  # CloudWatch quotas: metrics per dashboard, across its widgets (fake_monitoring.py)


@dataclass
class ClusterDashboardArgs:
    """Inputs of ``ClusterDashboard``."""

    name: str
    """The deployment's name (``rustfs-dev``): the ClusterId dimension and the dashboard's name prefix."""
    stack: str
    """The stack's short name (``dev``): the metric namespace ``RustFS/<stack>``."""
    region: str
    """The stack's region: every metric widget names it."""
    drive_paths: dict[str, list[str]]
    """Node DNS name -> the mount paths of its RustFS drives (``alarms.drive_paths``)."""
    group_names: dict[str, pulumi.Input[str]]
    """Node DNS name -> its Auto Scaling group's name."""
    load_balancer_arn_suffix: pulumi.Input[str]
    """The S3 load balancer's ARN suffix (its CloudWatch dimension)."""
    s3_target_group_arn_suffix: pulumi.Input[str]
    """The S3 target group's ARN suffix."""
    alarm_arns: dict[str, pulumi.Input[str]]
    """Alarm name -> ARN, the composite first: the alarm status widgets, in this order."""
    capacity_used_percent: float = 70.0
    """The capacity alarm's threshold, drawn on the capacity graph."""
    latency_seconds: float = 2.0
    """The latency alarm's threshold, drawn on the latency graphs."""
    error_rate_percent: float = 1.0
    """The 5xx error-rate alarm's threshold, drawn on the error graph."""
    disk_used_percent: float = 80.0
    """The disk alarms' threshold, drawn on each node's filesystem graph."""


def _metric(namespace: str, metric: str, dimensions: dict[str, str], **options) -> list:
    row: list = [namespace, metric]
    for key, value in dimensions.items():
        row += [key, value]
    return row + ([options] if options else [])


def _graph(title: str, metrics: list, x: int, y: int, *, width: int = 12, height: int = 6, region: str,
           stat: str = "Average", annotations: list | None = None, unit_label: str = "") -> dict:
    properties = {"title": title, "region": region, "metrics": metrics, "view": "timeSeries", "stat": stat,
                  "period": PERIOD, "stacked": False}
    if annotations:
        properties["annotations"] = {"horizontal": annotations}
    if unit_label:
        properties["yAxis"] = {"left": {"label": unit_label, "showUnits": False}}
    return {"type": "metric", "x": x, "y": y, "width": width, "height": height, "properties": properties}


def metric_count(body: dict) -> int:
    """The metrics a body graphs (expressions aside), as CloudWatch counts them against its quota."""
    return sum(1 for w in body["widgets"] for m in w["properties"].get("metrics", []) if not isinstance(m[0], dict))


def fitted_body(a: ClusterDashboardArgs, groups: dict[str, str], lb: str, tg: str, alarm_arns: list[str]) -> dict:
    """The body, without the per-drive inode lines when the cluster is too big for CloudWatch's 2,500 metrics per
    dashboard (64 nodes of 21 drives would graph 3,000): space fills long before inodes on RustFS's object files."""
    body = dashboard_body(a, groups, lb, tg, alarm_arns)
    return body if metric_count(body) <= MAX_METRICS else dashboard_body(a, groups, lb, tg, alarm_arns, inodes=False)


def dashboard_body(a: ClusterDashboardArgs, groups: dict[str, str], lb: str, tg: str,
                   alarm_arns: list[str], *, inodes: bool = True) -> dict:
    """The dashboard body, from the args and the resolved names and ARNs."""
    ns, cluster = t.metric_namespace(a.stack), {t.CLUSTER_DIMENSION: a.name}

    def rustfs(metric: str, dims: dict | None = None, **options) -> list:
        rustfs_metrics.emitted(metric)
        return _metric(ns, metric, {**cluster, **(dims or {})}, **options)

    def host(metric: str, dims: dict, **options) -> list:
        assert metric in t.HOST_METRICS, metric
        return _metric(ns, metric, {**cluster, **dims}, **options)

    region, widgets, y = a.region, [], 0
    widgets.append({"type": "text", "x": 0, "y": y, "width": 24, "height": 2, "properties": {"markdown": (
        f"## RustFS {a.name}\nAlarms: what each one means and what to do is in the README, Day 2, "
        "*What each alarm means*. "
        f"Metrics: namespace `{ns}` (RustFS's own, pushed over OTLP by every node; the collector's host metrics)."
    )}})
    y += 2
    for start in range(0, len(alarm_arns), MAX_ALARMS_PER_WIDGET):
        chunk = alarm_arns[start:start + MAX_ALARMS_PER_WIDGET]
        widgets.append({"type": "alarm", "x": 0, "y": y, "width": 24, "height": 4, "properties": {
            "title": "Alarms (cluster degraded first)" if not start else "Alarms (continued)",
            "alarms": chunk, "sortBy": "stateUpdatedTimestamp"}})
        y += 4
    widgets += [
        _graph("Capacity used (% of usable, after erasure coding)", [
            [{"expression": "100 * used / usable", "label": "used %", "id": "pct"}],
            rustfs("rustfs_cluster_capacity_used_bytes", id="used", stat="Maximum", visible=False),
            rustfs("rustfs_cluster_capacity_usable_total_bytes", id="usable", stat="Maximum", visible=False),
        ], 0, y, region=region, annotations=[{"value": a.capacity_used_percent, "label": "add a pool"}],
            unit_label="%"),
        _graph("Throughput (bytes per second, all nodes)", [
            [{"expression": f"in / {PERIOD}", "label": "request bodies in", "id": "rin"}],
            [{"expression": f"out / {PERIOD}", "label": "response bodies out", "id": "rout"}],
            rustfs("rustfs_http_server_request_body_bytes_total", id="in", stat="Sum", visible=False),
            rustfs("rustfs_http_server_response_body_bytes_total", id="out", stat="Sum", visible=False),
        ], 12, y, region=region, unit_label="bytes/s"),
    ]
    y += 6
    widgets += [
        _graph("Requests per second and mean latency (s)", [
            [{"expression": f"req / {PERIOD}", "label": "requests/s", "id": "rps"}],
            rustfs("rustfs_http_server_requests_total", id="req", stat="Sum", visible=False),
            rustfs("rustfs_http_server_request_duration_seconds", stat="Average", label="mean latency (s)",
                   yAxis="right"),
        ], 0, y, region=region, annotations=[{"value": a.latency_seconds, "label": "latency alarm",
                                             "yAxis": "right"}]),
        _graph("5xx responses (% of requests) and 4xx", [
            [{"expression": "100 * FILL(e5, 0) / req", "label": "5xx %", "id": "rate"}],
            rustfs("rustfs_http_server_failures_total", {t.STATUS_CLASS_DIMENSION: "5xx"}, id="e5", stat="Sum",
                   visible=False),
            rustfs("rustfs_http_server_failures_total", {t.STATUS_CLASS_DIMENSION: "4xx"}, stat="Sum",
                   label="4xx responses", yAxis="right"),
            rustfs("rustfs_http_server_requests_total", id="req", stat="Sum", visible=False),
        ], 12, y, region=region, annotations=[{"value": a.error_rate_percent, "label": "error-rate alarm"}]),
    ]
    y += 6
    target = {"TargetGroup": tg, "LoadBalancer": lb}
    widgets += [
        _graph("Load balancer: healthy and unhealthy nodes (S3 target group)", [
            _metric(NLB, "HealthyHostCount", target, stat="Minimum"),
            _metric(NLB, "UnHealthyHostCount", target, stat="Maximum"),
        ], 0, y, region=region),
        _graph("Drives offline as each node sees them, node groups in service", [
            *[rustfs("rustfs_cluster_health_drives_offline_count", {t.NODE_DIMENSION: t.node_dimension_value(n)},
                     stat="Maximum", label=f"{t.node_dimension_value(n)} sees offline") for n in a.drive_paths],
            *[_metric(ASG, "GroupInServiceInstances", {"AutoScalingGroupName": g}, stat="Minimum",
                      label=f"{t.node_dimension_value(n)} in service", yAxis="right") for n, g in groups.items()],
        ], 12, y, region=region),
    ]
    y += 6
    for node, paths in a.drive_paths.items():
        short = t.node_dimension_value(node)
        per_node = {t.NODE_DIMENSION: short}
        widgets += [
            _graph(f"{short}: drives' filesystems, inodes, memory, swap (% used)", [
                *[host(t.HOST_DISK_USED, {**per_node, t.MOUNT_DIMENSION: p}, label=f"{p} space") for p in paths],
                *[host(t.HOST_INODES_USED, {**per_node, t.MOUNT_DIMENSION: p}, label=f"{p} inodes") for p in paths
                  if inodes],
                host(t.HOST_MEMORY_USED, per_node, label="memory"),
                host(t.HOST_SWAP_USED, per_node, label="swap"),
            ], 0, y, width=16, stat="Maximum", region=region,
                annotations=[{"value": a.disk_used_percent, "label": "disk alarm"}], unit_label="%"),
            _graph(f"{short}: mean latency (s) and reports", [
                rustfs("rustfs_http_server_request_duration_seconds", per_node, stat="Average",
                       label="mean latency (s)"),
                rustfs("rustfs_cluster_health_drives_count", per_node, stat="SampleCount",
                       label="reports per period", yAxis="right"),
            ], 16, y, width=8, region=region),
        ]
        y += 6
    return {"widgets": widgets}


class ClusterDashboard(pulumi.ComponentResource):
    """The cluster's CloudWatch dashboard (``<name>-cluster``): what the README's alarm table (Day 2) starts from."""

    dashboard_name: str
    """The dashboard's name: ``<name>-cluster`` (the operator role may read ``dashboard/<name>-*``)."""

    def __init__(self, name: str, args: ClusterDashboardArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(ClusterDashboardArgs, args)
        super().__init__("rustfs:observability:ClusterDashboard", name, None, opts)
        self.dashboard_name = f"{args.name}-cluster"
        names = list(args.group_names)
        body = pulumi.Output.all(
            pulumi.Output.all(*[args.group_names[n] for n in names]), args.load_balancer_arn_suffix,
            args.s3_target_group_arn_suffix, pulumi.Output.all(*args.alarm_arns.values()),
        ).apply(lambda v: json.dumps(fitted_body(args, dict(zip(names, v[0], strict=True)), v[1], v[2], list(v[3])),
                                     separators=(",", ":")))
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard", dashboard_name=self.dashboard_name, dashboard_body=body,
            opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"dashboardName": self.dashboard_name})
