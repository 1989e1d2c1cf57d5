"""The cluster alarms and their ops-alerts topic, as the real program declares them for dev and prod."""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from dev_node import world
from iam_review import unexplained
from recorded_keys import key_for

from preflight.fake_aws import ACCOUNT_ID
from preflight.fake_cloudwatch import AlarmTimeline
from preflight.runner import run_stack
from rustfs_aws.cluster.bootstrap.render import READY_TIMEOUT_SECONDS
from rustfs_aws.cluster.tls import NODE_EARLY_RENEWAL_HOURS
from rustfs_aws.config import ConfigError
from rustfs_aws.observability.alarms import (
    CERTIFICATE_ALARM_DAYS,
    CERTIFICATE_METRIC,
    NODE_NAMESPACE,
    REPORT_WINDOW_SECONDS,
    STATE_ERRORS_METRIC,
    STATE_REPORT_METRIC,
    quorum_alarm_threshold,
    tolerated_node_losses,
    topic_policy,
)
from rustfs_model.layout import LayoutError, Node, Pool, compute_layout, place_nodes

ROOT = Path(__file__).resolve().parent.parent
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ASG = "aws:autoscaling/group:Group"
COMPONENT = "rustfs:observability:ClusterAlarms"
NODES = {"dev": 4, "prod": 6}  # Pulumi.<stack>.yaml
DRIVES = {"dev": 2, "prod": 16}  # cluster.drivesPerNode there


STATE = {"dev": 0, "prod": 2}  # prod declares rustfs: (and tiering, encryption): the state reconciler's two alarms


def _alarm_count(name: str) -> int:
    """Per node: not in service, status check, RustFS not reporting and one per drive; cluster: unhealthy hosts,
    write quorum, drives offline, capacity, 5xx rate, latency; certificates: expiring, not reported; with the state
    component: reconciler errors, reconciler not reporting."""
    return NODES[name] * (3 + DRIVES[name]) + 6 + 2 + STATE[name]


def _layout(nodes: int, drives: int, azs: int = 3):
    placed = place_nodes(nodes, [f"az{i}" for i in range(azs)])
    return compute_layout([Pool(nodes=tuple(Node(f"rustfs-{i + 1}", placed[i], drives, 100)
                                            for i in range(nodes)))])


# --- the quorum arithmetic, checked by hand ------------------------------------------------------------------

@pytest.mark.parametrize("nodes,drives,azs,tolerated,threshold", [
    # dev: 8 drives, one set of 8 = 2 drives per node; EC 4+4, write quorum 4+1 = 5 (data == parity), so a
    # set may lose 3 drives: one node (2) is fine, two (4) are not. Edge: 4 - 1 = 3 healthy nodes.
    (4, 2, 2, 1, 3),
    # prod: 96 drives, sets of 12 = 2 drives per node; EC 8+4, write quorum 8, a set may lose 4 drives:
    # two nodes (4) are fine, three (6) are not. Edge: 6 - 2 = 4 healthy nodes.
    (6, 16, 3, 2, 4),
    # 8 nodes x 1 drive: one set of 8, one drive per node, EC 4+4, may lose 3 drives = 3 nodes. Edge 5.
    (8, 1, 3, 3, 5),
    # 32 nodes x 1 drive: two sets of 16 consecutive nodes, EC 12+4, each may lose 4 drives; the worst 5
    # losses all hit one set, so 4 nodes are tolerated. Edge 28.
    (32, 1, 4, 4, 28),
    # 2 nodes x 2 drives: one set of 4, EC 2+2, write quorum 3: one drive may go, a node holds 2. Nothing
    # is tolerated, so any loss already costs quorum: threshold 2 - 1 = 1.
    (2, 2, 2, 0, 1),
])
def test_tolerated_losses_and_threshold_by_hand(nodes, drives, azs, tolerated, threshold):
    layout = _layout(nodes, drives, azs)
    assert tolerated_node_losses(layout) == tolerated
    assert quorum_alarm_threshold(layout) == threshold


def _survives(layout, lost: set[str]) -> bool:
    for erasure_set in layout.sets:
        pool = layout.pool_layouts[erasure_set.pool]
        gone = sum(1 for name, _ in erasure_set.drives if name in lost)
        if gone > pool.set_size - max(pool.read_quorum, pool.write_quorum):
            return False
    return True


def test_tolerated_losses_match_every_combination_of_lost_nodes():
    """Brute force over small clusters: k nodes are tolerated iff every k-subset of nodes can be lost."""
    checked = 0
    for nodes, drives in itertools.product(range(1, 9), range(1, 5)):
        try:
            layout = _layout(nodes, drives)
        except LayoutError:
            continue
        names = [n.name for n in layout.pools[0].nodes]
        brute = max(k for k in range(nodes + 1)
                    if all(_survives(layout, set(c)) for c in itertools.combinations(names, k)))
        assert tolerated_node_losses(layout) == brute, (nodes, drives)
        assert (brute >= 1) == layout.survives_node_loss
        checked += 1
    assert checked > 20


# --- the recorded stacks -------------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=["dev", "prod"])
def stack(request):
    return request.param, run_stack(request.param)


def _topic(recording):
    return recording.one(TOPIC, f"rustfs-{recording.settings.stack}-alarms-ops-alerts")


def _alarms(recording, metric: str, *, math_too: bool = False) -> list:
    """The alarms on ``metric``; ``math_too``: also those whose metric math retrieves it."""
    return [a for a in recording.of_type(ALARM) if a.inputs.get("metricName") == metric
            or math_too and any(q.get("metric", {}).get("metricName") == metric
                                for q in a.inputs.get("metricQueries", []))]


def test_topic_is_encrypted_with_the_messaging_key_and_belongs_to_the_component(stack):
    name, recording = stack
    topic = _topic(recording)
    assert topic.inputs["name"] == f"rustfs-{name}-ops-alerts"
    assert topic.inputs["kmsMasterKeyId"] == key_for(recording, "messaging").outputs["arn"]
    assert recording.by_urn(topic.parent).type == COMPONENT
    assert recording.outputs["opsAlertTopicArn"] == topic.outputs["arn"]


def test_only_cloudwatch_alarms_of_this_account_and_region_may_publish(stack):
    _, recording = stack
    topic = _topic(recording)
    policy = recording.one(TOPIC_POLICY, topic.name)
    assert policy.inputs["arn"] == topic.outputs["arn"]
    document = json.loads(policy.inputs["policy"])
    [statement] = document["Statement"]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Action"] == "SNS:Publish" and statement["Resource"] == topic.outputs["arn"]
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT_ID}:alarm:*"}}
    assert unexplained(document, "topic-policy") == []


def test_messaging_key_lets_cloudwatch_alarms_encrypt_to_the_topic(stack):
    _, recording = stack
    [key] = [k for k in recording.of_type("aws:kms/key:Key")
             if k.inputs["tags"].get("rustfs:key-purpose") == "messaging"]
    statement = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}["CloudWatchAlarmsPublish"]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT_ID}:alarm:*"}


def test_every_alarm_notifies_the_topic_on_alarm_and_ok_and_says_what_to_do(stack):
    name, recording = stack
    topic_arn = _topic(recording).outputs["arn"]
    alarms = recording.of_type(ALARM)
    assert len(alarms) == _alarm_count(name)
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [topic_arn] and alarm.inputs["okActions"] == [topic_arn]
        assert alarm.inputs.get("actionsEnabled", True) is True
        assert alarm.inputs["name"].startswith(f"rustfs-{name}-")
        assert alarm.name.startswith(f"rustfs-{name}-alarms-")
        description = alarm.inputs["alarmDescription"]
        assert 80 < len(description) <= 1024  # CloudWatch PutMetricAlarm: AlarmDescription up to 1,024
        assert recording.by_urn(alarm.parent).type == COMPONENT


def test_one_not_in_service_alarm_per_node_group(stack):
    name, recording = stack
    groups = sorted(g.outputs["name"] for g in recording.of_type(ASG))
    alarms = _alarms(recording, "GroupInServiceInstances")
    assert sorted(a.inputs["dimensions"]["AutoScalingGroupName"] for a in alarms) == groups
    assert len(groups) == NODES[name]
    for alarm in alarms:
        i = alarm.inputs
        assert (i["namespace"], i["statistic"], i["period"], i["evaluationPeriods"], i["datapointsToAlarm"]) == (
            "AWS/AutoScaling", "Maximum", 300, 3, 3)
        assert (i["comparisonOperator"], i["threshold"]) == ("LessThanThreshold", 1)
        assert i["treatMissingData"] == "breaching"
        assert list(i["dimensions"]) == ["AutoScalingGroupName"]
    group_metrics = {m for g in recording.of_type(ASG) for m in g.inputs["enabledMetrics"]}
    assert "GroupInServiceInstances" in group_metrics  # the metric exists only when the group publishes it


def test_one_status_check_alarm_per_node_group(stack):
    _, recording = stack
    groups = sorted(g.outputs["name"] for g in recording.of_type(ASG))
    alarms = _alarms(recording, "StatusCheckFailed")
    assert sorted(a.inputs["dimensions"]["AutoScalingGroupName"] for a in alarms) == groups
    for alarm in alarms:
        i = alarm.inputs
        assert (i["namespace"], i["statistic"], i["period"], i["evaluationPeriods"], i["datapointsToAlarm"]) == (
            "AWS/EC2", "Maximum", 60, 2, 2)
        assert (i["comparisonOperator"], i["threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
        assert i["treatMissingData"] == "notBreaching"


def _s3_dimensions(recording) -> dict:
    [lb] = recording.of_type("aws:lb/loadBalancer:LoadBalancer")
    [s3] = [tg for tg in recording.of_type("aws:lb/targetGroup:TargetGroup") if tg.inputs["port"] == 9000]
    return {"TargetGroup": s3.outputs["arnSuffix"], "LoadBalancer": lb.outputs["arnSuffix"]}


def test_unhealthy_hosts_alarm_watches_the_s3_target_group(stack):
    _, recording = stack
    [alarm] = _alarms(recording, "UnHealthyHostCount")
    i = alarm.inputs
    assert i["dimensions"] == _s3_dimensions(recording)
    assert i["dimensions"]["TargetGroup"].startswith("targetgroup/")
    assert i["dimensions"]["LoadBalancer"].startswith("net/")
    assert (i["namespace"], i["statistic"], i["period"], i["evaluationPeriods"], i["datapointsToAlarm"]) == (
        "AWS/NetworkELB", "Maximum", 60, 5, 5)
    assert (i["comparisonOperator"], i["threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert i["treatMissingData"] == "notBreaching"


def test_write_quorum_alarm_fires_at_the_layouts_edge(stack):
    name, recording = stack
    [alarm] = _alarms(recording, "HealthyHostCount")
    i = alarm.inputs
    # Hand-computed above: dev tolerates 1 of 4 nodes, prod 2 of 6.
    assert i["threshold"] == {"dev": 3, "prod": 4}[name]
    assert i["comparisonOperator"] == "LessThanOrEqualToThreshold"
    assert i["dimensions"] == _s3_dimensions(recording)
    assert (i["namespace"], i["statistic"], i["period"], i["evaluationPeriods"]) == ("AWS/NetworkELB", "Minimum", 60, 3)
    assert i["treatMissingData"] == "breaching"
    assert {"dev": "EC 4+4", "prod": "EC 8+4"}[name] in i["alarmDescription"]


def test_certificate_expiry_alarm_watches_the_soonest_expiring_node_certificate(stack):
    name, recording = stack
    [expiring, silent] = sorted(_alarms(recording, CERTIFICATE_METRIC, math_too=True),
                                key=lambda a: "metricQueries" in a.inputs)
    e = expiring.inputs
    assert (e["namespace"], e["dimensions"]) == (NODE_NAMESPACE, {"ClusterId": f"rustfs-{name}"})
    assert (e["period"], e["evaluationPeriods"]) == (86_400, 1)  # one day
    assert (e["statistic"], e["comparisonOperator"], e["threshold"]) == ("Minimum", "LessThanThreshold", 30)
    assert e["treatMissingData"] == "ignore"  # silence must not turn an expiring certificate OK
    # Alarm well before expiry, after renewal (60 days before expiry) has had weeks to happen.
    assert CERTIFICATE_ALARM_DAYS * 24 < NODE_EARLY_RENEWAL_HOURS - 14 * 24
    queries = {q["id"]: q for q in silent.inputs["metricQueries"]}
    reports, healthy = queries["reports"]["metric"], queries["healthy"]["metric"]
    assert (reports["namespace"], reports["metricName"], reports["dimensions"], reports["stat"]) == (
        NODE_NAMESPACE, CERTIFICATE_METRIC, {"ClusterId": f"rustfs-{name}"}, "SampleCount")
    assert (healthy["namespace"], healthy["metricName"], healthy["dimensions"], healthy["stat"]) == (
        "AWS/NetworkELB", "HealthyHostCount", _s3_dimensions(recording), "Minimum")
    assert "not-reported" in silent.inputs["name"] and "expiring" in expiring.inputs["name"]


def test_the_nodes_publish_exactly_the_metric_the_alarms_watch_and_may_do_so(stack):
    name, recording = stack
    [alarm, *_] = _alarms(recording, CERTIFICATE_METRIC)
    bootstrap = (ROOT / "components" / "cluster" / "bootstrap" / "node-bootstrap").read_text()
    assert f"--metric-name {CERTIFICATE_METRIC}" in bootstrap
    assert '--dimensions "ClusterId=$BOOT_CLUSTER_ID"' in bootstrap
    assert '--namespace "$BOOT_METRIC_NAMESPACE"' in bootstrap
    for node in world(name).nodes:  # what each node boots with
        assert node.boot_env["BOOT_METRIC_NAMESPACE"] == alarm.inputs["namespace"] == NODE_NAMESPACE
        assert node.boot_env["BOOT_CLUSTER_ID"] == alarm.inputs["dimensions"]["ClusterId"]
    [policy] = [p for p in recording.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("-iam-node")]
    [put] = [s for s in json.loads(policy.inputs["policy"])["Statement"] if s["Sid"] == "PutOwnMetrics"]
    allowed = put["Condition"]["StringEquals"]["cloudwatch:namespace"]
    assert NODE_NAMESPACE in ([allowed] if isinstance(allowed, str) else allowed)


def test_the_state_alarms_watch_what_the_reconciler_publishes(stack, monkeypatch):
    """Names, namespace and dimension as reconciler/rustfs_reconcile.py put_metrics sends them for the published
    state; errors in two intervals running; silence for at least 30 minutes (three intervals) breaches."""
    import rustfs_aws.state.reconciler.rustfs_reconcile as reconciler

    name, recording = stack
    errors, silent = _alarms(recording, STATE_ERRORS_METRIC), _alarms(recording, STATE_REPORT_METRIC)
    assert len(errors) == len(silent) == STATE[name] // 2
    if not STATE[name]:
        return
    [state] = [json.loads(p.inputs["insecureValue"]) for p in recording.of_type("aws:ssm/parameter:Parameter")
               if p.inputs["name"].endswith("/state/desired")]
    sent = []
    cloudwatch = type("CW", (), {"put_metric_data": lambda self, **kw: sent.append(kw)})()
    run = reconciler.Run(None, None, None, None, "us-east-1")
    reconciler.put_metrics(cloudwatch, state, run, True)
    [call] = sent
    published = {m["MetricName"]: m["Dimensions"] for m in call["MetricData"]}
    minutes = int(recording.one("aws:ssm/association:Association", f"rustfs-{name}-state-apply").inputs[
        "parameters"]["IntervalMinutes"])
    for alarm, periods, missing in ((errors[0], 2, "notBreaching"),
                                    (silent[0], max(3, math.ceil(30 / minutes)), "breaching")):
        i = alarm.inputs
        assert i["namespace"] == call["Namespace"] and i["metricName"] in published
        assert [{"Name": k, "Value": v} for k, v in i["dimensions"].items()] == published[i["metricName"]]
        assert (i["period"], i["evaluationPeriods"], i["datapointsToAlarm"], i["treatMissingData"]) == (
            minutes * 60, periods, periods, missing)
        assert i["period"] * i["evaluationPeriods"] <= 86_400  # PutMetricAlarm: at most a day below hourly periods
    assert silent[0].inputs["statistic"] == "SampleCount" and silent[0].inputs["comparisonOperator"] == \
        "LessThanThreshold" and silent[0].inputs["threshold"] == 1


def test_no_subscription_without_configured_emails(stack):
    _, recording = stack
    assert recording.of_type(SUBSCRIPTION) == []


def test_configured_emails_are_subscribed_to_the_topic():
    emails = ["storage-oncall@example.com", "platform@example.com"]
    recording = run_stack("dev", {"rustfs-aws:observability": {"alarmEmails": emails}})
    topic_arn = _topic(recording).outputs["arn"]
    subscriptions = recording.of_type(SUBSCRIPTION)
    assert sorted(s.inputs["endpoint"] for s in subscriptions) == sorted(emails)
    assert all(s.inputs["protocol"] == "email" and s.inputs["topic"] == topic_arn for s in subscriptions)
    reordered = run_stack("dev", {"rustfs-aws:observability": {"alarmEmails": emails[::-1]}})
    assert sorted(s.name for s in reordered.of_type(SUBSCRIPTION)) == sorted(s.name for s in subscriptions)


def test_more_than_ten_emails_are_refused_naming_the_key():
    emails = [f"user{i}@example.com" for i in range(11)]
    with pytest.raises(ConfigError, match=r"rustfs-aws:observability\.alarmEmails: got '11 addresses'; at most 10"):
        run_stack("dev", {"rustfs-aws:observability": {"alarmEmails": emails}})


def test_a_malformed_email_is_refused_naming_its_index():
    with pytest.raises(ConfigError, match=r"rustfs-aws:observability\.alarmEmails\[1\]"):
        run_stack("dev", {"rustfs-aws:observability": {"alarmEmails": ["a@example.com", "not-an-address"]}})


def test_topic_policy_document_passes_parliament_and_cloudsplaining():
    doc = topic_policy(f"arn:aws:sns:eu-west-1:{ACCOUNT_ID}:rustfs-dev-ops-alerts", ACCOUNT_ID, "aws", "eu-west-1")
    assert doc["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"].startswith("arn:aws:cloudwatch:eu-west-1:")
    assert unexplained(doc, "topic-policy") == []


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_preflight_has_no_mandatory_violation_and_none_on_the_alarms(name, tmp_path):
    report_path = tmp_path / f"{name}.json"
    result = subprocess.run([sys.executable, "-m", "preflight", "--stack", name, "--json", str(report_path)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr + result.stdout[-3000:]
    report = json.loads(report_path.read_text())
    assert report["summary"]["mandatory"] == 0
    ours = {r["urn"] for r in report["resources"] if "-alarms-" in r["urn"]}
    kinds = Counter(urn.split("::")[-2].split("$")[-1] for urn in ours)
    assert kinds[ALARM] == _alarm_count(name) and kinds[TOPIC] == 1 and kinds[TOPIC_POLICY] == 1
    assert kinds[COMPOSITE] == 1
    assert [v for v in report["policy"]["violations"] if v["urn"] in ours] == []


# --- the not-reported alarm over time: CloudWatch's evaluation (preflight/fake_cloudwatch.py) -----------------

HOUR, DAY = 3_600, 86_400
_SPAN = re.compile(r"^(\d+)(min|h|s)$")


def _seconds(span: str) -> int:
    number, unit = _SPAN.match(span).groups()
    return int(number) * {"s": 1, "min": 60, "h": 3_600}[unit]


def _timer() -> dict[str, int]:
    """rustfs-tls-refresh.timer as the nodes get it: OnBootSec, OnUnitActiveSec, RandomizedDelaySec."""
    text = (ROOT / "components" / "cluster" / "bootstrap" / "templates" / "rustfs-tls-refresh.timer").read_text()
    return {k: _seconds(v) for k, v in re.findall(r"^(On\w+Sec|RandomizedDelaySec)=(\S+)$", text, re.M)}


@dataclass
class SimNode:
    boots: float
    ready_after: float  # the boot's duration: /health/ready passes from then on
    stops: float = math.inf
    reports_until: float = math.inf  # the timer, its script or its IAM permission breaks then

    def report_times(self, rng: random.Random, timer: dict[str, int], until: float) -> list[float]:
        # systemd: the first run OnBootSec (+ a random delay) after boot, then OnUnitActiveSec after each run;
        # a run before the boot has finished fails (Requisite=rustfs-bootstrap.service) and publishes nothing.
        t, out = self.boots + timer["OnBootSec"] + rng.uniform(0, timer["RandomizedDelaySec"]), []
        while t < min(self.stops, until):
            if self.boots + self.ready_after <= t < self.reports_until:
                out.append(t)
            t += timer["OnUnitActiveSec"] + rng.uniform(0, timer["RandomizedDelaySec"])
        return out

    def healthy(self, t: float) -> bool:
        return self.boots + self.ready_after <= t < self.stops


def _timeline(nodes: list[SimNode], until: float, seed: int) -> dict[str, list]:
    rng, timer = random.Random(seed), _timer()
    reports = sorted((t, 1.0) for n in nodes for t in n.report_times(rng, timer, until))
    healthy = [(t, float(sum(n.healthy(t) for n in nodes))) for t in range(0, int(until), 300)]
    return {"reports": reports, "healthy": healthy}


def _fleet(count: int, seed: int, **changes) -> list[SimNode]:
    rng = random.Random(seed)
    # Boots take from 3 minutes to the whole boot bound; the slow ones miss the first timer run.
    return [SimNode(boots=0, ready_after=rng.uniform(180, READY_TIMEOUT_SECONDS), **changes) for _ in range(count)]


@pytest.fixture(scope="module")
def not_reported():
    [alarm] = [a for a in run_stack("prod").of_type(ALARM) if a.inputs["name"].endswith("-expiry-not-reported")]
    return alarm.inputs


@pytest.mark.parametrize("seed", range(4))
def test_a_fresh_deploy_a_replacement_and_a_planned_full_stop_page_nobody(not_reported, seed):
    nodes = _fleet(6, seed)
    nodes[0].stops = 1.3 * DAY  # replaced: its successor boots 5 minutes later
    nodes.append(SimNode(boots=1.3 * DAY + 300, ready_after=READY_TIMEOUT_SECONDS))
    for n in nodes:  # a planned full stop from day 3 to day 4, then every node boots again
        n.stops = min(n.stops, 3 * DAY)
    nodes += [SimNode(boots=4 * DAY, ready_after=n.ready_after) for n in nodes if n.stops == 3 * DAY]
    timeline = AlarmTimeline(not_reported, _timeline(nodes, 7 * DAY, seed))
    assert timeline.first_alarm(0, 7 * DAY) is None


def test_a_cluster_that_stops_reporting_pages_within_two_windows(not_reported):
    silent_from = 2 * DAY + 1_234
    timeline = AlarmTimeline(not_reported, _timeline(_fleet(6, 1, reports_until=silent_from), 5 * DAY, 1))
    paged = timeline.first_alarm(0, 5 * DAY)
    assert paged is not None and silent_from < paged <= silent_from + 2 * REPORT_WINDOW_SECONDS + HOUR


@pytest.mark.parametrize("seed", range(4))
def test_one_silent_node_of_six_pages_within_two_days(not_reported, seed):
    nodes = _fleet(6, seed)
    nodes[3].reports_until = DAY
    timeline = AlarmTimeline(not_reported, _timeline(nodes, 4 * DAY, seed))
    paged = timeline.first_alarm(0, 4 * DAY)
    assert paged is not None and DAY < paged <= 3 * DAY


def test_the_rejected_alarm_paged_every_fresh_deploy_and_never_saw_one_silent_node():
    # "No sample for a day, missing data breaching": what the review found (issue 9).
    rejected = {"period": DAY, "statistic": "SampleCount", "evaluationPeriods": 1, "threshold": 1,
                "comparisonOperator": "LessThanThreshold", "treatMissingData": "breaching"}
    nodes = _fleet(6, 0)
    nodes[3].reports_until = DAY
    data = _timeline(nodes, 4 * DAY, 0)
    timeline = AlarmTimeline(rejected, {"metric": data["reports"]})
    assert timeline.state(60) == "ALARM"  # created before the first node reported
    # One node silent from day 1: each day's count is still >= 1, so the alarm is OK at every day's end.
    assert [timeline.state(d * DAY - 60) for d in (2, 3, 4)] == ["OK"] * 3


def test_the_window_outlasts_a_healthy_nodes_longest_gap_and_is_shorter_than_two_shortest():
    timer = _timer()
    longest = timer["OnUnitActiveSec"] + timer["RandomizedDelaySec"]  # a run, then the next at its latest
    # A slow boot misses the first run; the node is healthy from its boot's end, the next run is `longest` later.
    assert longest < REPORT_WINDOW_SECONDS < 2 * timer["OnUnitActiveSec"]


def test_the_fake_refuses_metric_math_alarms_aws_refuses(not_reported):
    from preflight.fake_operations import AwsRejects, check_alarm

    check_alarm("ok", not_reported)
    queries = not_reported["metricQueries"]
    with pytest.raises(AwsRejects, match="cannot be combined with metricName"):
        check_alarm("both", {**not_reported, "metricName": "x"})
    with pytest.raises(AwsRejects, match="exactly one query must have ReturnData true"):
        check_alarm("none", {**not_reported, "metricQueries": [{**q, "returnData": False} for q in queries]})
    with pytest.raises(AwsRejects, match="names unknown Ids"):
        check_alarm("typo", {**not_reported, "metricQueries": [
            *queries[:2], {**queries[2], "expression": "healthy - FILL(report, 0)"}]})
    eleven = [{"id": f"m{i}", "returnData": False, "metric": queries[0]["metric"]} for i in range(11)]
    with pytest.raises(AwsRejects, match="at most 20, 10 and 10"):
        check_alarm("many", {**not_reported, "metricQueries": [*eleven, queries[2]]})
    with pytest.raises(AwsRejects, match="exceeds 604800"):
        check_alarm("long", {**not_reported, "evaluationPeriods": 26})


# --- RustFS's own metrics, the drives, the composite "cluster degraded" -------------------------------------------

from preflight.fake_monitoring import check_composite  # noqa: E402
from preflight.fake_operations import AwsRejects  # noqa: E402
from rustfs_aws.cluster.bootstrap.render import UserDataParams  # noqa: E402
from rustfs_aws.observability import telemetry  # noqa: E402
from rustfs_aws.observability.alarms import (  # noqa: E402
    MAX_COMPOSITE_CHILDREN,
    ClusterAlarmsArgs,
    degraded_rule,
)
from rustfs_model.rustfs_metrics import catalogue  # noqa: E402


def _by_suffix(recording, suffix: str):
    [alarm] = [a for a in recording.of_type(ALARM) if a.inputs["name"].endswith(suffix)]
    return alarm.inputs


def _metric_stats(inputs: dict) -> list[dict]:
    """Every metric an alarm reads, as {namespace, metricName, dimensions}."""
    if inputs.get("metricQueries"):
        return [q["metric"] for q in inputs["metricQueries"] if q.get("metric")]
    return [{"namespace": inputs["namespace"], "metricName": inputs["metricName"],
             "dimensions": inputs.get("dimensions", {})}]


def test_every_stack_metric_an_alarm_reads_is_emitted_with_a_dimension_set_the_collector_publishes(stack):
    name, recording = stack
    namespace, seen = telemetry.metric_namespace(name), set()
    for alarm in recording.of_type(ALARM):
        for m in _metric_stats(alarm.inputs):
            if m["namespace"] != namespace:
                continue
            dims = frozenset(m["dimensions"])
            assert m["dimensions"][telemetry.CLUSTER_DIMENSION] == f"rustfs-{name}"
            if m["metricName"] in telemetry.HOST_METRICS:
                assert dims == set(telemetry.HOST_METRICS[m["metricName"]]), alarm.inputs["name"]
            elif m["metricName"] in (STATE_ERRORS_METRIC, STATE_REPORT_METRIC):  # the state reconciler's own
                assert dims == {telemetry.CLUSTER_DIMENSION}  # (test_the_state_alarms_watch_what_...)
            else:
                entry = catalogue()[m["metricName"]]  # RustFS's own, at the pinned release
                assert entry["emitted"], m["metricName"]
                assert dims in {frozenset(d) for d in telemetry.RUSTFS_METRICS[m["metricName"]]}, m["metricName"]
                # A dimension beyond ours is one of RustFS's labels (status_class), which the collector keeps.
                assert dims - {telemetry.CLUSTER_DIMENSION, telemetry.NODE_DIMENSION} <= set(entry["labels"])
            seen.add(m["metricName"])
    assert {"rustfs_cluster_health_drives_offline_count", "rustfs_http_server_failures_total",
            "rustfs_http_server_request_duration_seconds", telemetry.HOST_DISK_USED} <= seen


def test_the_5xx_rate_reads_the_http_servers_failures_because_the_request_collectors_are_not_emitted():
    # RustFS 1.0.0-rc.3 declares rustfs_api_requests_5xx_errors_total but its request collector runs TOTALS_ONLY.
    assert catalogue()["rustfs_api_requests_5xx_errors_total"]["emitted"] is False
    failures = catalogue()["rustfs_http_server_failures_total"]
    assert failures["emitted"] and "5xx" in failures["label_values"]["status_class"]
    assert catalogue()["rustfs_http_server_request_duration_seconds"]["type"] == "histogram"


def test_one_disk_alarm_per_drive_on_the_mounts_the_bootstrap_makes(stack):
    name, recording = stack
    disks = [a.inputs for a in recording.of_type(ALARM) if a.inputs.get("metricName") == telemetry.HOST_DISK_USED]
    assert len(disks) == NODES[name] * DRIVES[name]
    mounts = Counter(a["dimensions"][telemetry.MOUNT_DIMENSION] for a in disks)
    root = UserDataParams.__dataclass_fields__["mount_root"].default
    assert ClusterAlarmsArgs.mount_root == root
    assert mounts == {f"{root}/rustfs{i}": NODES[name] for i in range(DRIVES[name])}
    assert {a["dimensions"][telemetry.NODE_DIMENSION] for a in disks} == {f"rustfs-{i + 1}" for i in
                                                                       range(NODES[name])}
    assert {(a["threshold"], a["comparisonOperator"]) for a in disks} == {(80, "GreaterThanThreshold")}


def test_thresholds_come_from_config_and_bad_ones_are_refused_naming_the_key():
    recording = run_stack("dev", {"rustfs-aws:observability": {"alarms": {
        "diskUsedPercent": 90, "capacityUsedPercent": 60, "drivesOffline": 2, "errorRatePercent": 5,
        "latencySeconds": 0.5, "certificateDays": 21}}})
    assert _by_suffix(recording, "-rustfs-1-rustfs0-disk-used")["threshold"] == 90
    assert _by_suffix(recording, "-rustfs-capacity-used")["threshold"] == 60
    assert _by_suffix(recording, "-rustfs-drives-offline")["threshold"] == 2
    assert _by_suffix(recording, "-api-5xx-error-rate")["threshold"] == 5
    assert _by_suffix(recording, "-api-latency")["threshold"] == 0.5
    assert _by_suffix(recording, "-tls-certificate-expiring")["threshold"] == 21
    with pytest.raises(ConfigError) as e:
        run_stack("dev", {"rustfs-aws:observability": {"alarms": {"capacityUsedPercent": 99, "certificateDays": 60,
                                                                  "latencySecond": 1}}})
    text = str(e.value)
    assert "rustfs-aws:observability.alarms.capacityUsedPercent: got 99; allowed range 10–95" in text
    assert "rustfs-aws:observability.alarms.certificateDays: got 60; allowed range 7–59" in text
    assert "observability.alarms.latencySecond: got 1; unknown key" in text


def test_the_composite_is_the_degraded_alarm_the_patching_window_reads(stack):
    name, recording = stack
    [composite] = recording.of_type(COMPOSITE)
    c = composite.inputs
    assert c["alarmName"] == telemetry.degraded_alarm_name(f"rustfs-{name}")
    topic = _topic(recording).outputs["arn"]
    assert c["alarmActions"] == [topic] and c["okActions"] == [topic] and c["actionsEnabled"] is True
    children = re.findall(r'ALARM\("([^"]+)"\)', c["alarmRule"])
    declared = {a.inputs["name"] for a in recording.of_type(ALARM)}
    assert set(children) <= declared
    node_alarms = {f"rustfs-{name}-rustfs-{i + 1}-not-in-service" for i in range(NODES[name])}
    assert set(children) == node_alarms | {f"rustfs-{name}-{s}" for s in (
        "s3-unhealthy-hosts", "s3-write-quorum-at-risk", "rustfs-drives-offline", "api-5xx-error-rate")}
    # Planning and telemetry alarms do not hold patching back.
    assert not [ch for ch in children if ch.endswith(("-disk-used", "capacity-used", "not-reporting", "latency"))]
    assert recording.by_urn(composite.parent).type == COMPONENT


def test_the_composite_rule_fits_cloudwatch_for_the_largest_cluster_config_allows():
    # cluster.nodes is at most 64 (config.py): 4 cluster alarms + one not-in-service per node.
    names = [f"rustfs-abcdefghijklmnopqrst-rustfs-{i}-not-in-service" for i in range(64)] + ["a", "b", "c", "d"]
    rule = degraded_rule(names)
    assert len(rule) <= 10_240 and len(names) <= MAX_COMPOSITE_CHILDREN
    check_composite("big", rule, set(names))
    with pytest.raises(ValueError, match="1 to 100 alarms"):
        degraded_rule([f"a{i}" for i in range(101)])


def test_the_fake_refuses_composites_aws_refuses():
    with pytest.raises(AwsRejects, match=r"alarms \['gone'\] in the alarm rule do not exist"):
        check_composite("c", 'ALARM("kept") OR ALARM("gone")', {"kept"})
    with pytest.raises(AwsRejects, match="at most 100"):
        names = [f"a{i}" for i in range(101)]
        check_composite("c", " OR ".join(f'ALARM("{n}")' for n in names), set(names))
    with pytest.raises(AwsRejects, match="1 to 10240"):
        check_composite("c", 'ALARM("a") OR ' * 800 + 'ALARM("a")', {"a"})
    check_composite("arn", 'ALARM("arn:aws:cloudwatch:us-east-1:123456789012:alarm:kept")', {"kept"})


def test_the_fake_refuses_long_alarm_names_and_too_many_dimensions():
    from preflight.fake_aws import FakeAws

    fake = FakeAws("us-east-1")
    from preflight.fake_aws import _RESOURCES

    handler = _RESOURCES[ALARM]
    base = {"metricName": "m", "namespace": "n", "period": 60, "statistic": "Maximum", "evaluationPeriods": 1}
    with pytest.raises(AwsRejects, match="1 to 255"):
        handler(fake, "x", {**base, "name": "a" * 256})
    with pytest.raises(AwsRejects, match="at most 30"):
        handler(fake, "x", {**base, "name": "dims", "dimensions": {f"d{i}": "v" for i in range(31)}})
    handler(fake, "x", {**base, "name": "a" * 255, "dimensions": {f"d{i}": "v" for i in range(30)}})


def test_the_fakes_cloudwatch_limits_are_aws_own():
    import botocore.session

    from preflight import fake_monitoring as fm

    model = botocore.session.get_session().get_service_model("cloudwatch")
    composite = model.operation_model("PutCompositeAlarm").input_shape.members
    metric = model.operation_model("PutMetricAlarm").input_shape.members
    assert composite["AlarmRule"].metadata["max"] == fm.MAX_ALARM_RULE
    assert composite["AlarmName"].metadata["max"] == metric["AlarmName"].metadata["max"] == fm.MAX_ALARM_NAME
    assert metric["AlarmDescription"].metadata["max"] == fm.MAX_ALARM_DESCRIPTION
    assert metric["Dimensions"].metadata["max"] == fm.MAX_DIMENSIONS
    assert metric["AlarmActions"].metadata["max"] == composite["OKActions"].metadata["max"] == fm.MAX_ACTIONS


# --- the new alarms over time: CloudWatch's evaluation (preflight/fake_cloudwatch.py) -------------------------

MINUTE = 60


def _every(start: float, end: float, step: float, value) -> list[tuple[float, float]]:
    return [(t, value(t) if callable(value) else value) for t in range(int(start), int(end), int(step))]


@pytest.fixture(scope="module")
def prod_alarms():
    return run_stack("prod")


def test_drives_offline_pages_after_five_minutes_not_for_a_blip(prod_alarms):
    alarm = _by_suffix(prod_alarms, "-rustfs-drives-offline")
    # Six nodes report every 30 s; from minute 60 one node sees a drive offline for 4 minutes, from minute 120
    # for good.
    offline = lambda t: 1.0 if 3600 <= t < 3840 or t >= 7200 else 0.0  # noqa: E731
    timeline = AlarmTimeline(alarm, {"metric": _every(0, 3 * HOUR, 30, offline)})
    paged = timeline.first_alarm(0, 3 * HOUR, step=MINUTE)
    assert paged is not None and 7200 + 4 * MINUTE <= paged <= 7200 + 6 * MINUTE


def test_capacity_pages_over_the_threshold_not_below_it(prod_alarms):
    alarm = _by_suffix(prod_alarms, "-rustfs-capacity-used")
    usable = _every(0, 6 * HOUR, 60, 100e12)
    used = _every(0, 6 * HOUR, 60, lambda t: 65e12 if t < 3 * HOUR else 72e12)
    timeline = AlarmTimeline(alarm, {"used": used, "usable": usable})
    paged = timeline.first_alarm(0, 6 * HOUR, step=MINUTE)
    assert paged is not None and 3 * HOUR < paged <= 3 * HOUR + 45 * MINUTE


def test_the_5xx_rate_pages_at_two_percent_not_at_half_a_percent(prod_alarms):
    alarm = _by_suffix(prod_alarms, "-api-5xx-error-rate")
    requests = _every(0, 4 * HOUR, 60, 1000.0)  # per minute, all nodes
    errors = _every(0, 4 * HOUR, 60, lambda t: 5.0 if t < 2 * HOUR else 20.0)  # 0.5 %, then 2 %
    timeline = AlarmTimeline(alarm, {"requests": requests, "errors": errors})
    assert timeline.state(2 * HOUR - 60) == "OK"
    paged = timeline.first_alarm(0, 4 * HOUR, step=MINUTE)
    assert paged is not None and 2 * HOUR < paged <= 2 * HOUR + 10 * MINUTE
    # No 5xx data at all (no failure counted) is 0 %, not missing.
    assert AlarmTimeline(alarm, {"requests": requests, "errors": []}).state(3 * HOUR) == "OK"


def test_a_silent_node_pages_as_not_reporting_within_fifteen_minutes(prod_alarms):
    alarm = _by_suffix(prod_alarms, "-rustfs-3-rustfs-not-reporting")
    reports = _every(0, 2 * HOUR, 60, 1.0)[: 3600 // 60]  # reports every minute for an hour, then stops
    paged = AlarmTimeline(alarm, {"metric": reports}).first_alarm(0, 2 * HOUR, step=MINUTE)
    assert paged is not None and HOUR + 10 * MINUTE <= paged <= HOUR + 16 * MINUTE


def test_every_alarm_has_a_runbook_line_in_the_readme(stack):
    name, recording = stack
    text = (ROOT / "README.md").read_text()
    section = text.split("### What each alarm means", 1)[1].split("\n### ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)`[^|]*\| ([^|]+) \| ([^|]+) \|$", section, re.M)
    patterns = {}
    for alarm, means, look in rows:
        regex = re.escape(alarm).replace("<name>", f"rustfs-{name}").replace("<node>", r"rustfs-\d+")
        patterns[re.compile(regex.replace("<d>", r"\d+") + "$")] = (means.strip(), look.strip())
    declared = [a.inputs["name"] for a in recording.of_type(ALARM)] + [
        c.inputs["alarmName"] for c in recording.of_type(COMPOSITE)]
    for alarm in declared:
        matching = [p for p in patterns if p.match(alarm)]
        assert len(matching) == 1, (alarm, matching)
        means, look = patterns[matching[0]]
        assert len(means) > 30 and len(look) > 15, alarm
    # with a DR secondary's backlog alarm and the state reconciler's two
    assert len(patterns) == len({p.pattern for p in patterns}) == 16
