"""The cost model's lines for the node collector (rustfs_model.cost._add_collector), from the resources as the
cost model sees them: the configuration parameter (its EMF declarations), the association that applies it (whose tag
targets count the nodes), the cluster's data volumes (the mounts) and the collector's log groups.

The dev and prod stacks' figures are recomputed by hand in tests/test_cost_report.py; the pack's estimate is the
report's (tests/test_policy_cost.py)."""

from __future__ import annotations

import json

import pytest

from preflight import cost_report
from preflight.runner import run_stack
from rustfs_aws.observability import collector as c
from rustfs_model.cost import USAGE_DEFAULTS, custom_metrics, monthly_cost

CLUSTER = "rustfs-t"
LT, ASG = "aws:ec2/launchTemplate:LaunchTemplate", "aws:autoscaling/group:Group"


def _config(traces: bool = True) -> str:
    return c.config_text(c.collector_config(stack="t", region="us-east-1", cluster_id=CLUSTER,
                                            log_group_prefix="/rustfs/rustfs-t/", traces=traces))


def _stack(nodes: int, drives: int, *, cluster_tag: str = CLUSTER, tier: str = "Advanced",
           prefix: str = "n") -> list[dict]:
    resources = [
        {"type": "aws:ssm/parameter:Parameter", "name": "collector-config",
         "inputs": {"name": f"/rustfs/{CLUSTER}/collector/config", "type": "String", "tier": tier,
                    "insecureValue": _config()}},
        {"type": "aws:ssm/association:Association", "name": "collector-apply",
         "inputs": {"targets": [{"key": "tag:rustfs:cluster", "values": [CLUSTER]}],
                    "scheduleExpression": "rate(30 minutes)",
                    "parameters": {"ConfigParameter": f"/rustfs/{CLUSTER}/collector/config"}}},
        *({"type": "aws:cloudwatch/logGroup:LogGroup", "name": g,
           "inputs": {"name": f"/rustfs/rustfs-t/{g}", "retentionInDays": 90}} for g in ("rustfs", "nodes", "metrics")),
    ]
    for n in (f"{prefix}{i}" for i in range(1, nodes + 1)):
        instance_tags = [{"resourceType": "instance", "tags": {"rustfs:cluster": cluster_tag}}]
        resources.append({"type": LT, "name": n, "inputs": {"name": n, "instanceType": "m6i.large",
                                                            "tagSpecifications": instance_tags}})
        resources.append({"type": ASG, "name": n, "inputs": {"desiredCapacity": 1, "launchTemplate": {"name": n}}})
        resources += [{"type": "aws:ebs/volume:Volume", "name": f"{n}-d{d}",
                       "inputs": {"size": 100, "type": "gp3", "tags": {"rustfs:cluster": cluster_tag}}}
                      for d in range(drives)]
    return resources


def _line(cost: dict, prefix: str) -> dict:
    [line] = [i for i in cost["items"] if i["what"].startswith(prefix)]
    return line


def test_custom_metrics_are_the_declared_dimension_sets_over_the_nodes_mounts_and_status_classes():
    config = json.loads(_config())
    # By hand from telemetry.py: ClusterId-only series once per cluster (2 capacity gauges, 2 body-byte counters, the
    # replication backlog and the ClusterId roll-ups of drives offline, drives, requests, duration: 9), failures per
    # status class (7 values in rustfs_metrics.json) once for the cluster and once per node; per node: drives offline,
    # drives, requests, duration, memory, swap (6); per mount: disk used, inodes used (2).
    for nodes, mounts in ((4, 8), (16, 128)):
        expected = 9 + 7 + nodes * (7 + 6) + mounts * 2
        assert custom_metrics(config, nodes, mounts) == (expected, [])


def test_the_lines_price_what_the_resources_say():
    cost = monthly_cost(_stack(nodes=4, drives=2), "us-east-1", {"writeMBps": 0, "readMBps": 0})
    metrics = _line(cost, "CloudWatch custom metrics")
    assert metrics["what"] == "CloudWatch custom metrics (84)" and metrics["monthlyUSD"] == round(84 * 0.30, 2)
    logs = _line(cost, "Node telemetry logs")
    gb = 4 * USAGE_DEFAULTS["telemetryLogsGBPerNodeMonth"]
    assert logs["monthlyUSD"] == round(gb * 0.50 + gb * 3 * 0.03, 2)  # 90 days kept: 3 months of it stored
    parameter = _line(cost, "SSM Advanced parameter")
    assert parameter["monthlyUSD"] == round(0.05 + 4 * 730 * 2 / 10_000 * 0.05, 2)
    assert cost["unpriced"] == []


def test_only_the_clusters_instances_count_and_a_standard_parameter_is_free():
    # Another cluster's nodes do not run this collector.
    foreign = _stack(nodes=4, drives=2) + [r for r in _stack(nodes=2, drives=2, cluster_tag="other", prefix="x")
                                           if r["type"] in (LT, ASG, "aws:ebs/volume:Volume")]
    cost = monthly_cost(foreign, "us-east-1")
    assert _line(cost, "CloudWatch custom metrics")["what"] == "CloudWatch custom metrics (84)"
    standard = monthly_cost(_stack(nodes=4, drives=2, tier="Standard"), "us-east-1")
    assert not [i for i in standard["items"] if i["what"].startswith("SSM Advanced")]


def test_an_unsourced_region_says_not_priced_rather_than_free():
    cost = monthly_cost(_stack(nodes=4, drives=2), "eu-central-1")
    for prefix in ("CloudWatch custom metrics", "Node telemetry logs", "SSM Advanced parameter"):
        assert _line(cost, prefix)["basis"].startswith("NOT PRICED")
    assert any("metric_month" in u for u in cost["unpriced"])
    assert any("advanced_parameter_month" in u for u in cost["unpriced"])


@pytest.mark.parametrize("collector, tracing", [(False, True), (True, False)])
def test_without_the_collector_no_collector_lines_and_without_tracing_no_traces(collector, tracing):
    recording = run_stack("dev", {"rustfs-aws:observability": {"collector": {"enabled": collector},
                                                               "tracing": {"enabled": tracing}}})
    lines = [i["what"] for i in cost_report.compute(recording)["items"]]
    collector_lines = [w for w in lines if w.startswith(("CloudWatch custom metrics", "Node telemetry logs",
                                                         "SSM Advanced parameter"))]
    assert bool(collector_lines) is collector, lines
    assert any(w.startswith("X-Ray traces") for w in lines) is tracing


@pytest.mark.parametrize("expression, minutes", [
    ("rate(30 minutes)", 30), ("rate(1 hour)", 60), ("rate(2 days)", 2880), ("cron(0/15 * * * ? *)", 15),
    ("cron(0,20 * * * ? *)", 20), ("cron(0 * * * ? *)", 60), ("cron(0 0/2 * * ? *)", 120),
    ("cron(30 4 * * ? *)", 1440), ("at(2026-07-07T15:55:00)", None), ("cron(0 4 ? * MON#2 *)", 1440)])
def test_the_shortest_interval_of_a_schedule(expression, minutes):
    from rustfs_model.schedules import schedule_minutes
    assert schedule_minutes(expression) == minutes
