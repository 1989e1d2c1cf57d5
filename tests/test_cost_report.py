"""The capacity, performance and cost sections of the preflight report, checked against hand computations.

The cost of the dev and prod stacks is recomputed here from the recorded resources and the price table
(``policies/rustfs_model/data/prices.json`` read directly): instance-hours x price per launch template of each
Auto Scaling group, GiB x price for every data and root volume, and so on, line by line, with the usage
assumptions written out (the stack config's ``usage`` defaults and ``rustfs_model.cost.USAGE_DEFAULTS``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from preflight import capacity_report, cost_report
from preflight.runner import run_stack
from preflight.sections import human_lines, markdown_blocks

REPO = Path(__file__).resolve().parents[1]
REGION_PRICES = json.loads((REPO / "policies/rustfs_model/data/prices.json").read_text())["regions"]["us-east-1"]
HOURS = 730
SECONDS = HOURS * 3600
# Usage: Pulumi.dev.yaml sets it; prod keeps the components/config.py defaults ...
STACK_USAGE = {"dev": {"writeMBps": 1.0, "readMBps": 3.0, "storedTiB": 0.2, "growthTiBPerMonth": 0.05},
               "prod": {"writeMBps": 10.0, "readMBps": 30.0, "storedTiB": 1.0, "growthTiBPerMonth": 0.1}}
# ... and rustfs_model.cost.USAGE_DEFAULTS for what the config does not cover.
NAT_GB, LOGS_GB, KMS_REQUESTS, SECRETS_CALLS = 20.0, 5.0, 100_000, 10_000
S3_REQUESTS_PER_SECOND, XRAY_TRACES_READ = 50.0, 100_000
TELEMETRY_GB_PER_NODE = 1.0  # usage.telemetryLogsGBPerNodeMonth
SNAPSHOT_CHANGE = 0.02


@pytest.fixture(scope="module", params=["dev", "prod"])
def stack(request):
    recording = run_stack(request.param)
    return request.param, recording, cost_report.compute(recording)


def _inputs(recording, token):
    return [r.inputs for r in recording.of_type(token)]


def cost_by_hand(recording, usage: dict, erasure: float) -> dict[str, float]:
    """Monthly USD per line, keyed by the start of the report's line name."""
    p = REGION_PRICES
    lines: dict[str, float] = {}
    templates = {}  # groups reference their template by name (known at preview) or id
    for t in recording.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        templates[t.inputs.get("name")] = templates[t.outputs["id"]] = t.inputs
    instances: Counter[str] = Counter()
    sizes, extra_iops, extra_mibps = [], 0.0, 0.0
    for group in _inputs(recording, "aws:autoscaling/group:Group"):
        ref = group["launchTemplate"]
        template = templates[ref.get("name") or ref["id"]]
        count = int(group["desiredCapacity"])
        instances[template["instanceType"]] += count
        for mapping in template.get("blockDeviceMappings", []):
            assert mapping["ebs"]["volumeType"] == "gp3"
            sizes += [mapping["ebs"]["volumeSize"]] * count  # root volumes: 3,000 IOPS / 125 MiB/s, included
    for itype, count in instances.items():
        lines[f"EC2 {count} x {itype}"] = count * HOURS * p["ec2"][itype]
    data_gib = 0.0
    for v in _inputs(recording, "aws:ebs/volume:Volume"):
        assert v["type"] == "gp3"
        sizes.append(v["size"])
        data_gib += v["size"]
        extra_iops += v["iops"] - 3000
        extra_mibps += v["throughput"] - 125
    lines["EBS gp3 storage"] = sum(sizes) * p["ebs"]["gp3_gb_month"]
    if extra_iops:
        lines["EBS gp3 IOPS above 3,000"] = extra_iops * p["ebs"]["gp3_iops_month"]
    if extra_mibps:
        lines["EBS gp3 throughput above 125 MiB/s"] = extra_mibps * p["ebs"]["gp3_mibps_month"]

    dlm = _inputs(recording, "aws:dlm/lifecyclePolicy:LifecyclePolicy")
    if dlm:
        on_drives = min((usage["storedTiB"] + usage["growthTiBPerMonth"] / 2) * 1024 * erasure, data_gib)
        # Retention as the DLM policy declares it: dev keeps 3 daily snapshots, prod 14.
        (schedule,) = dlm[0]["policyDetails"]["schedules"]
        create = schedule["createRule"]
        assert create["interval"] == 24 and create.get("intervalUnit", "HOURS") == "HOURS"
        days = schedule["retainRule"]["count"]
        assert days == {"dev": 3, "prod": 14}[recording.settings.stack]
        lines["EBS snapshots"] = on_drives * (1 + SNAPSHOT_CHANGE * days) * p["ebs"]["snapshot_gb_month"]
        if any(s.get("crossRegionCopyRules") for d in dlm for s in d["policyDetails"]["schedules"]):
            lines["Snapshot copies"] = on_drives * SNAPSHOT_CHANGE * 30 * p["transfer"]["inter_region_gb"]

    nats = len(recording.of_type("aws:ec2/natGateway:NatGateway"))
    lines["NAT gateways"] = nats * HOURS * p["nat"]["hour"] + NAT_GB * p["nat"]["gb_processed"]
    write_gb, read_gb = usage["writeMBps"] * SECONDS / 1000, usage["readMBps"] * SECONDS / 1000
    for lb in _inputs(recording, "aws:lb/loadBalancer:LoadBalancer"):
        assert lb["loadBalancerType"] == "network"
        gb_per_hour = (usage["writeMBps"] + usage["readMBps"]) * 3600 / 1000  # 1 NLCU = 1 GB/h (TCP)
        lines["NLB"] = (p["nlb"]["hour"] + gb_per_hour * p["nlb"]["nlcu_hour"]) * HOURS
    azs = len({v["availabilityZone"] for v in _inputs(recording, "aws:ebs/volume:Volume")})
    remote = (azs - 1) / azs  # shards and reads served from the other AZs, billed in both directions
    lines["Cross-AZ erasure traffic"] = (write_gb * erasure + read_gb) * remote * p["transfer"][
        "inter_az_gb_each_direction"] * 2

    groups = _inputs(recording, "aws:cloudwatch/logGroup:LogGroup")
    months = max(g["retentionInDays"] / 30 for g in groups)
    lines["CloudWatch Logs"] = LOGS_GB * p["cloudwatch"]["logs_ingested_gb"] + LOGS_GB * months * p["cloudwatch"][
        "logs_stored_gb_month"]
    alarms = len(recording.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"))
    # components/observability/alarms.py: per node group not in service, status check, RustFS not reporting and
    # one per drive; six for the cluster, two for the node certificates; with the state component (prod declares
    # rustfs:) the reconciler's errors and not-reporting alarms, one metric each. By hand: dev 4 x (3 + 2) + 6 + 2
    # = 28 alarms, 31 metrics = $3.10; prod 6 x (3 + 16) + 6 + 2 + 2 = 124 alarms, 127 metrics = $12.70 a month.
    nodes = len(_inputs(recording, "aws:autoscaling/group:Group"))
    drives = len(_inputs(recording, "aws:ebs/volume:Volume")) // nodes
    state = 2 if any(d["name"].endswith("-state") for d in _inputs(recording, "aws:ssm/document:Document")) else 0
    assert alarms == nodes * (3 + drives) + 6 + 2 + state
    assert (recording.settings.stack, alarms) in (("dev", 28), ("prod", 124))
    # ... billed per metric: the certificate not-reported, capacity and 5xx-rate alarms' metric math retrieve two each
    lines["CloudWatch alarms"] = (alarms + 3) * p["cloudwatch"]["alarm_standard_month"]
    extras = p["cloudwatch_alarms_dashboards"]
    lines["CloudWatch composite alarms"] = 1 * extras["alarm_composite_month"]  # cluster degraded
    lines["CloudWatch dashboards"] = 1 * extras["dashboard_month"]  # no free dashboard assumed left
    (rule,) = _inputs(recording, "aws:xray/samplingRule:SamplingRule")
    lines["X-Ray traces"] = (S3_REQUESTS_PER_SECOND * rule["fixedRate"] * SECONDS / 1e6 * p["xray"][
        "traces_recorded_per_million"] + XRAY_TRACES_READ / 1e6 * p["xray"]["traces_retrieved_per_million"])
    parameters = _inputs(recording, "aws:ssm/parameter:Parameter")
    # observability.collector.enabled: the custom metrics, logs and parameter of the node collector
    if any(r["name"].endswith("/collector/config") for r in parameters):
        from rustfs_aws.observability import telemetry as t
        metrics_model = json.loads((REPO / "policies/rustfs_model/data/rustfs_metrics.json").read_text())["metrics"]
        [failures] = [m for m in metrics_model if m["name"] == "rustfs_http_server_failures_total"]
        classes = len(failures["label_values"]["status_class"])  # one metric per status class it declares
        mounts = len(_inputs(recording, "aws:ebs/volume:Volume"))  # every data volume is a mount of its node

        def series(dimensions):
            n = mounts if t.MOUNT_DIMENSION in dimensions else nodes if t.NODE_DIMENSION in dimensions else 1
            return n * (classes if t.STATUS_CLASS_DIMENSION in dimensions else 1)
        count = sum(series(d) for sets in t.RUSTFS_METRICS.values() for d in sets)
        count += sum(series(d) for d in t.HOST_METRICS.values())
        lines["CloudWatch custom metrics"] = count * p["cloudwatch"]["metric_month"]
        gb = nodes * TELEMETRY_GB_PER_NODE
        # Stored as long as its groups (rustfs, nodes, metrics under the stack's prefix) keep it.
        kept = {g["retentionInDays"] for g in groups if g["name"].rsplit("/", 1)[-1] in t.LOG_GROUP_SUFFIXES.values()}
        assert len(kept) == 1 and kept <= {30, 365}  # audit.logRetentionDays: dev 30, prod 365
        lines["Node telemetry logs"] = gb * p["cloudwatch"]["logs_ingested_gb"] + gb * kept.pop() / 30 * p[
            "cloudwatch"]["logs_stored_gb_month"]
        # Advanced tier (the configuration is over 4 KB); every node reads it every 30 minutes.
        lines["SSM Advanced parameter"] = p["ssm"]["advanced_parameter_month"] + nodes * HOURS * 2 / 10_000 * p[
            "ssm"]["advanced_api_per_10k"]
    keys = len(recording.of_type("aws:kms/key:Key"))
    lines["KMS keys"] = keys * p["kms"]["key_month"] + KMS_REQUESTS / 10_000 * p["kms"]["requests_per_10k"]
    secrets = len(recording.of_type("aws:secretsmanager/secret:Secret"))
    lines["Secrets Manager"] = secrets * p["secretsmanager"]["secret_month"] + SECRETS_CALLS / 10_000 * p[
        "secretsmanager"]["api_per_10k"]
    # state.enabled (prod): the reconciler is billed on the same product lines, one line per product.
    # components/state/state.py: every node's timer runs every IntervalMinutes and reads the root credentials, the
    # lease holder also each service account's secret (prod: 6 nodes, 5 min, 1 account -> 8,760 runs a month,
    # (6 + 1) x 8,760 = 61,320 GetSecretValue calls x $0.05/10k = $0.31); it publishes four metrics per cluster
    # (StateReconcilerActed, StateDrift, StateChanges, StateErrors: 4 x $0.30 = $1.20) next to the collector's.
    states = [a["parameters"] for a in _inputs(recording, "aws:ssm/association:Association")
              if "StateParameter" in (a.get("parameters") or {})]
    for state in states:
        runs = HOURS * 60 / int(state["IntervalMinutes"])
        [desired] = [r for r in parameters if r["name"] == state["StateParameter"]]
        accounts = [a for a in json.loads(desired["insecureValue"])["serviceAccounts"] if not a.get("delete")]
        lines["Secrets Manager"] += (nodes + len(accounts)) * runs / 10_000 * p["secretsmanager"]["api_per_10k"]
        lines["CloudWatch custom metrics"] = lines.get("CloudWatch custom metrics", 0.0) + 4 * p["cloudwatch"][
            "metric_month"]
        # The lease: each node's conditional UpdateItem every run plus the holder's release, one write unit each
        # (an item under 1 KB): 61,320 x $0.625/million = $0.038; PITR of a table under 1 MB is under a cent.
        lines["DynamoDB on-demand"] = (nodes + 1) * runs / 1e6 * p["dynamodb"]["write_request_per_million"] + \
            0.001 * p["dynamodb"]["pitr_gb_month"]
    pipelines = _inputs(recording, "aws:imagebuilder/imagePipeline:ImagePipeline")
    if pipelines:  # images.enabled (prod); Image Builder itself costs nothing, its instances and snapshots do
        (pipeline,) = pipelines
        assert pipeline["schedule"]["scheduleExpression"] == "cron(0 4 ? * SAT *)"
        runs = 52 / 12  # a build at most every Saturday
        (infra,) = _inputs(recording, "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration")
        (recipe,) = _inputs(recording, "aws:imagebuilder/imageRecipe:ImageRecipe")
        (distribution,) = _inputs(recording, "aws:imagebuilder/distributionConfiguration:DistributionConfiguration")
        root = recipe["blockDeviceMappings"][0]["ebs"]["volumeSize"]
        regions = len(distribution["distributions"])
        lines["Image builds"] = runs * 1.0 * p["ec2"][infra["instanceTypes"][0]]  # build + test instance: 1 h
        lines["Node AMI snapshots"] = 4 * regions * root * p["ebs"]["snapshot_gb_month"]  # 4 kept per Region
        lines["Node AMI copies"] = runs * root * (regions - 1) * p["transfer"]["inter_region_gb"]
    return lines


def _match(items: list[dict], expected: dict[str, float]) -> dict[str, float]:
    reported = {}
    for prefix in expected:
        found = [i for i in items if i["what"].startswith(prefix)]
        assert len(found) == 1, (prefix, [i["what"] for i in items])
        reported[prefix] = found[0]["monthlyUSD"]
    return reported


def test_cost_of_the_stack_recomputed_by_hand_from_the_recording(stack):
    name, recording, cost = stack
    erasure = {"dev": 8 / 4, "prod": 12 / 8}[name]  # EC 4+4 over 8 drives; EC 8+4 over sets of 12
    expected = cost_by_hand(recording, STACK_USAGE[name], erasure)
    assert _match(cost["items"], expected) == pytest.approx(expected, abs=0.01)
    unmatched = [i for i in cost["items"] if not any(i["what"].startswith(k) for k in expected)]
    assert all(i["monthlyUSD"] == 0 for i in unmatched), unmatched  # e.g. S3 with no usage.s3StoredTiB
    assert cost["monthlyUSD"] == pytest.approx(sum(expected.values()), abs=0.05)
    assert cost["unpriced"] == []


def test_headline_figures_of_our_stacks(stack):
    name, _, cost = stack
    # dev: 4 x m6i.large x $0.096 x 730 = $280.32; prod: 6 x c6in.4xlarge x $0.9072 x 730 = $3,973.54
    instances = {"dev": ("EC2 4 x m6i.large", 280.32), "prod": ("EC2 6 x c6in.4xlarge", 3973.54)}[name]
    assert _match(cost["items"], {instances[0]: 0})[instances[0]] == instances[1]
    # storage: dev (8 x 100 + 4 x 30) GiB, prod (48 x 2,048 + 6 x 30) GiB at $0.08
    assert _match(cost["items"], {"EBS gp3 storage": 0})["EBS gp3 storage"] == {"dev": 73.60, "prod": 7878.72}[name]
    assert cost["budgetUSD"] == {"dev": 1000, "prod": 25000}[name]
    # The oldest of the tables these EC2-mode stacks are priced with (the EKS table prices the eks stack only).
    assert cost["priceDate"] == min(t["date"] for table, t in json.loads(
        (REPO / "policies/rustfs_model/data/prices.json").read_text())["tables"].items()
        if "date" in t and table != "eks")


def test_usage_config_reaches_the_estimate():
    usage = {"writeMBps": 2.0, "readMBps": 5.0, "storedTiB": 0.2, "growthTiBPerMonth": 0.0}
    recording = run_stack("dev", {"rustfs-aws:usage": usage})
    cost = cost_report.compute(recording)
    expected = cost_by_hand(recording, usage, erasure=2.0)
    assert _match(cost["items"], expected) == pytest.approx(expected, abs=0.01)
    # 2 MB/s written: 5,256 GB x 2 shards x 1/2 remote + 13,140 GB read x 1/2 = 11,826 GB x $0.01 x 2
    assert expected["Cross-AZ erasure traffic"] == pytest.approx(236.52)


def test_capacity_and_throughput_by_hand(stack):
    name, recording, _ = stack
    cap = capacity_report.compute_capacity(recording)
    perf = capacity_report.compute_performance(recording)
    if name == "dev":
        # 4 nodes x 2 x 100 GiB = 800 GiB raw; one set of 8, EC 4+4: 400 GiB usable.
        assert (cap["rawGiB"], cap["usableGiB"], cap["survivesNodeLoss"]) == (800, 400, True)
        # m6i.large: 0.781 Gbps = 97.625 MB/s baseline network, 81.25 MB/s baseline EBS. e = 2, n = 4.
        # write: network 4 x 97.625 / (1 + 2 x 3/4) = 156.2 MB/s < EBS 4 x 81.25 / 2 = 162.5 MB/s
        # read: network 4 x 97.625 / (1 + 3/4) = 223.1 MB/s < EBS 4 x 81.25 = 325 MB/s
        assert (perf["writeGBps"], perf["readGBps"]) == (0.156, 0.223)
        assert (perf["writeBottleneck"], perf["readBottleneck"]) == ("network", "network")
    else:
        # 6 x 8 x 2,048 GiB = 96 TiB raw; 4 sets of 12, EC 8+4: 64 TiB usable; an AZ loss is survivable.
        assert (cap["rawTiB"], cap["usableTiB"], cap["survivesAzLoss"]) == (96.0, 64.0, True)
        # c6in.4xlarge: EBS baseline 1,250 MB/s; network 25 Gbps = 3,125 MB/s. e = 1.5, n = 6.
        # write: EBS 6 x 1,250 / 1.5 = 5,000 MB/s < network 6 x 3,125 / (1 + 1.5 x 5/6) = 8,333 MB/s
        # read: EBS 6 x 1,250 = 7,500 MB/s < network 6 x 3,125 / (1 + 5/6) = 10,227 MB/s
        assert (perf["writeGBps"], perf["readGBps"]) == (5.0, 7.5)
        assert "instance baseline EBS bandwidth" in perf["bottleneck"]
        # 8 x 250 MiB/s = 2,097 MB/s of gp3 throughput behind 1,250 MB/s of EBS bandwidth
        assert any("847 MB/s of provisioned throughput is unusable" in w for w in perf["wasted"])


def test_human_and_markdown_show_the_three_sections(stack):
    name, recording, cost = stack
    values = {"capacity": capacity_report.compute_capacity(recording),
              "performance": capacity_report.compute_performance(recording), "cost": cost}
    human = "\n".join(human_lines(values))
    assert "Capacity: raw" in human and "bottleneck:" in human
    assert f"Cost: ${cost['monthlyUSD']:,.2f}/month" in human
    md = "\n".join(markdown_blocks(values))
    assert md.index("### Capacity and throughput") < md.index("Bottleneck:") < md.index("### Monthly cost")
    for item in cost["items"]:
        assert f"| {item['what']} | {item['monthlyUSD']:,.2f} |" in md
    assert f"| **total** | **{cost['monthlyUSD']:,.2f}** | |" in md


def test_over_budget_is_said_plainly():
    recording = run_stack("dev", {"rustfs-aws:budget": {"monthlyUSD": 100}})
    cost = cost_report.compute(recording)
    assert cost["budgetUSD"] == 100 and cost["monthlyUSD"] > 100
    assert "(OVER BUDGET)" in cost_report.human(cost)[0]


def test_preflight_json_and_markdown_carry_the_sections(tmp_path):
    out_json, out_md = tmp_path / "dev.json", tmp_path / "dev.md"
    result = subprocess.run([sys.executable, "-m", "preflight", "--stack", "dev", "--json", str(out_json),
                             "--markdown", str(out_md)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr  # 1: policy violations, still a full report
    doc = json.loads(out_json.read_text())
    assert {"readGBps", "writeGBps", "bottleneck"} <= set(doc["performance"])
    assert {"monthlyUSD", "priceDate", "items"} <= set(doc["cost"])
    assert all(set(i) == {"what", "monthlyUSD", "basis"} for i in doc["cost"]["items"])
    assert {"rawTiB", "usableTiB", "pools"} <= set(doc["capacity"])
    md = out_md.read_text()
    order = ["```mermaid", "### Topology", "### Capacity and throughput", "Bottleneck:", "### Monthly cost",
             "### Policy results"]
    positions = [md.index(marker) for marker in order]
    assert positions == sorted(positions), dict(zip(order, positions, strict=True))
    assert "Cost: $" in result.stdout and "Throughput (sustained bound)" in result.stdout


def test_each_node_gets_the_instance_type_of_its_own_group_and_template():
    """Without the launch templates' instance tag specifications, the group's template reference decides."""
    import copy

    from preflight.cluster_nodes import recorded_nodes

    recording = copy.deepcopy(run_stack("dev"))
    templates = recording.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    for t in templates:
        t.inputs.pop("tagSpecifications", None)
    [group] = [g for g in recording.of_type("aws:autoscaling/group:Group")
               if {"key": "rustfs:node", "value": "3", "propagateAtLaunch": True} in g.inputs["tags"]]
    ref = group.inputs["launchTemplate"]
    [mine] = [t for t in templates if t.inputs.get("name") == ref.get("name") or t.outputs["id"] == ref.get("id")]
    mine.inputs["instanceType"] = "m6i.xlarge"
    types = {n.index: n.instance_type for n in recorded_nodes(recording)}
    assert types == {1: "m6i.large", 2: "m6i.large", 3: "m6i.xlarge", 4: "m6i.large"}
