"""CloudWatch alarms a storage team pages on, and the ops-alerts SNS topic they notify.

Per node (one Auto Scaling group of one instance each):
- *not in service*: the group has had no InService instance for 15 minutes - the node is down or being replaced
  and has not come back. RustFS keeps serving while every erasure set keeps its quorum.
- *status check*: EC2 reports a failed system or instance status check for 2 minutes.

Cluster (the S3 target group of the load balancer, port 9000, health check ``/health/ready``):
- *unhealthy hosts*: at least one node has failed the health check for 5 minutes.
- *write quorum at risk*: healthy nodes have fallen to the edge of what the erasure layout tolerates - one more
  node lost (whichever it is) and some erasure set drops below write quorum (``quorum_alarm_threshold``).

Certificates (the node metric ``RustFS/Node`` ``TlsCertificateDaysToExpiry``, dimension ``ClusterId``: whole days
until a node's certificate expires, published every 6 hours by each node's rustfs-tls-refresh.timer,
components/bootstrap; its Minimum is the soonest-expiring certificate of the cluster):
- *certificate expiring*: under ``CERTIFICATE_ALARM_DAYS`` days left over the last day. Renewal starts 60 days
  before expiry (tls.py ``NODE_EARLY_RENEWAL_HOURS``, the weekly renewal job of the delivery workflow), so this
  means renewal or its pickup has failed for four weeks: a human must act well before the certificate expires.
- *certificate expiry not reported*: fewer reports than nodes that passed the health check throughout, in two
  6.5-hour windows running (``not_reported_queries``). Silence is not health: the timer or its IAM permission may
  be gone, and the expiry alarm above cannot see an expiry it gets no data for. Rejected: "no sample for a day"
  with missing data as breaching: it fired from its creation until the first node reported (every fresh deploy)
  and through every planned full stop, took days to see a silence once data had been seen (CloudWatch looks
  back over more periods than it evaluates when data is missing), and never saw one node of several go silent.
  docs/security.md describes the whole certificate lifecycle.

RustFS's own metrics (namespace ``RustFS/<stack>``, dimension ``ClusterId`` and per node ``NodeName``: what the node
collector ships, telemetry.py; names from policies/rustfs_model/data/rustfs_metrics.json), thresholds from
``observability.alarms.*`` (config.py ``AlarmThresholds``):
- *drives offline*: the most drives any node sees offline (``rustfs_cluster_health_drives_offline_count``, each
  node's view of the whole cluster, crates/obs/src/metrics/stats_collector.rs) reaches the threshold for 5 minutes.
  RustFS 1.0.0-rc.3 has no node-level online metric: a node RustFS cannot reach counts as all its drives offline.
- *<node> RustFS not reporting*: a node pushed no ``rustfs_cluster_health_drives_count`` for 15 minutes (RustFS
  exports every RUSTFS_OBS_METER_INTERVAL, a minute on our nodes, and its cluster collector runs every 60 s): its
  RustFS or its collector is down. Silence is not health, so missing data breaches.
- *capacity used*: used / usable capacity (``rustfs_cluster_capacity_used_bytes`` / ``..._usable_total_bytes``,
  after erasure coding) over the threshold for 30 minutes: time to add a server pool (planning, not paging).
- *<node> <drive> disk used*: one drive's filesystem (the collector's host metric ``disk_used_percent``, dimension
  ``MountPath``) over the threshold for 10 minutes. One alarm per drive, rejected: one per node over
  ``MAX()`` of its drives or over a SEARCH: CloudWatch refuses alarms on SEARCH expressions, a metric math alarm
  retrieves at most 10 metrics (21 drives per node are allowed) and is billed per metric it retrieves, so it costs
  the same as one alarm per drive and hides which drive is full.
- *API 5xx error rate*: 5xx responses per request on the S3 port (``rustfs_http_server_failures_total``
  ``status_class=5xx`` over ``rustfs_http_server_requests_total``, rustfs/src/server/http.rs) over the threshold in
  two 5-minute periods running. RustFS's ``rustfs_api_requests_5xx_errors_total`` is declared but not emitted at
  1.0.0-rc.3 (its request collector runs TOTALS_ONLY). The load balancer's health checks are requests too: a
  node answering 503 on /health/ready raises the rate.
- *API latency*: the mean request duration (``rustfs_http_server_request_duration_seconds``, time to the response
  headers; a PUT's includes its upload) over the threshold in three 5-minute periods running. Mean, not p99: the
  EMF exporter writes a histogram as a statistic set (count, sum, min, max), from which CloudWatch computes no
  percentiles (GetMetricStatistics API reference); the collector turns it into deltas (telemetry.py).
- *state reconciler errors* / *state reconciler not reporting* (with the state component, components/state: its
  reconciler's metrics ``StateErrors`` and ``StateReconcilerActed``, reconciler/rustfs_reconcile.py ``put_metrics``,
  in ``RustFS/<stack>`` with ``ClusterId``): a run that acted reported errors in two timer intervals running (one
  failed run, e.g. a boot race, passes by itself); no run of any node reported for ``STATE_SILENT_MINUTES`` (at least
  three intervals), missing data breaching: the timer, the SSM parameter, the node role or every node's RustFS is
  gone. It fires on a fresh deploy until the first node has booted and during a planned full stop.
- *cluster degraded* (composite, ``telemetry.degraded_alarm_name``): any of write quorum at risk, unhealthy hosts,
  drives offline, API 5xx error rate, or a node not in service. The patching window runs only while it is OK.
  Its children are the alarms that mean "the cluster is short of a node or failing requests", not planning or
  telemetry alarms; 4 + nodes of them stays within CloudWatch's 100 per composite rule (PutCompositeAlarm API
  reference) for the 64 nodes config allows (status checks are left out: a failed instance fails the health
  check too).

Every alarm notifies the topic on ALARM and on OK. The topic is encrypted with the ``messaging`` KMS key (whose
key policy already admits CloudWatch alarms of this account, ``key_policies._publishers``) and its policy lets
only CloudWatch alarms of this account and region publish (Amazon SNS Developer Guide, "Amazon SNS access
policy examples": ``aws:SourceAccount`` / ``aws:SourceArn``).

Statistics (AWS ELB User Guide, "CloudWatch metrics for your Network Load Balancer"): with cross-zone load
balancing every load balancer node health-checks every target, so a Sum over the LoadBalancer/TargetGroup
dimensions counts a target once per AZ; Minimum (healthy) and Maximum (unhealthy) read one node's view.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.cluster.bootstrap.render import NODE_METRIC_NAMESPACE
from rustfs_aws.config import AlarmThresholds
from rustfs_aws.observability import telemetry as t
from rustfs_aws.tagging import resource_tags
from rustfs_model import rustfs_metrics
from rustfs_model.layout import Layout

ASG_NAMESPACE = "AWS/AutoScaling"
EC2_NAMESPACE = "AWS/EC2"
NLB_NAMESPACE = "AWS/NetworkELB"
NODE_NAMESPACE = NODE_METRIC_NAMESPACE  # the nodes publish here (node-bootstrap publish_tls_expiry)
CERTIFICATE_METRIC = "TlsCertificateDaysToExpiry"
CERTIFICATE_ALARM_DAYS = AlarmThresholds().certificate_days
DRIVES_OFFLINE_METRIC = "rustfs_cluster_health_drives_offline_count"
REPORTING_METRIC = "rustfs_cluster_health_drives_count"
CAPACITY_USED_METRIC = "rustfs_cluster_capacity_used_bytes"
CAPACITY_USABLE_METRIC = "rustfs_cluster_capacity_usable_total_bytes"
REQUESTS_METRIC = "rustfs_http_server_requests_total"
FAILURES_METRIC = "rustfs_http_server_failures_total"
DURATION_METRIC = "rustfs_http_server_request_duration_seconds"
# The state reconciler's metrics (components/state/reconciler/rustfs_reconcile.py put_metrics): errors of a run that
# acted; 1 (acted) or 0 (another node held the lease) from every run past RustFS's readiness.
STATE_ERRORS_METRIC = "StateErrors"
STATE_REPORT_METRIC = "StateReconcilerActed"
STATE_SILENT_MINUTES = 30  # past a peer's 20-minute boot (README, Start-up bounds), so a node replacement is quiet
# PutCompositeAlarm (API reference; botocore's model: AlarmRule at most 10,240 characters): at most 100 alarms in
# one rule.
MAX_COMPOSITE_CHILDREN = 100
MAX_ALARM_RULE = 10_240


# The not-reported alarm's window: longer than the longest gap between two reports of a node that passes the
# health check all along, shorter than twice the shortest. rustfs-tls-refresh.timer runs OnUnitActiveSec=6h with
# RandomizedDelaySec=10min (gaps 6 h to 6 h 10 min); the first run, OnBootSec=5min + 10 min, fails while the boot
# has not finished (the service is Requisite= on it) and the next comes 6 h 10 min later, yet the node passes
# /health/ready only once booted. So each node that is healthy throughout a window reports once or twice in it.
REPORT_WINDOW_SECONDS = 6 * 3600 + 30 * 60


def not_reported_queries(namespace: str, metric: str, dimensions: dict, target_group: dict) -> list[dict]:
    """The nodes that passed the health check throughout a window (the S3 target group's HealthyHostCount,
    Minimum) less the reports in it (SampleCount of the nodes' metric, FILL: no report is 0 reports). Above 0:
    some node that served the whole window did not report. Nothing is expected of a node that is down, being
    replaced or not yet booted (it does not count as healthy throughout), so a fresh deploy, a replacement and
    a planned full stop page nobody; a whole cluster that stops reporting pages within two windows, one silent
    node whenever the others reported once each in two windows running (two reports of one node in a window
    hide one missing)."""
    stat = lambda name, ns, metric_name, dims, statistic: {  # noqa: E731
        "id": name, "return_data": False, "metric": {
            "namespace": ns, "metric_name": metric_name, "dimensions": dims, "stat": statistic,
            "period": REPORT_WINDOW_SECONDS}}
    return [
        stat("reports", namespace, metric, dimensions, "SampleCount"),
        stat("healthy", NLB_NAMESPACE, "HealthyHostCount", target_group, "Minimum"),
        {"id": "unreported", "expression": "healthy - FILL(reports, 0)", "return_data": True,
         "label": "nodes healthy throughout the window less their certificate-expiry reports"},
    ]


def degraded_rule(children: list[str]) -> str:
    """The composite rule: ALARM while any child is in ALARM. Refuses what PutCompositeAlarm would refuse."""
    if not children or len(children) > MAX_COMPOSITE_CHILDREN:
        raise ValueError(f"a composite alarm takes 1 to {MAX_COMPOSITE_CHILDREN} alarms, got {len(children)}")
    rule = " OR ".join(f'ALARM("{name}")' for name in children)
    if len(rule) > MAX_ALARM_RULE:
        raise ValueError(f"the composite rule is {len(rule)} characters (at most {MAX_ALARM_RULE})")
    return rule


def drive_paths(layout: Layout, mount_root: str) -> dict[str, list[str]]:
    """Node name -> the mount paths of its RustFS drives (the bootstrap mounts drive i at <mount_root>/rustfs<i>)."""
    return {node.name: [f"{mount_root}/rustfs{i}" for i in range(node.drives)]
            for pool in layout.pools for node in pool.nodes}


def node_count(layout: Layout) -> int:
    return sum(len(pool.nodes) for pool in layout.pools)


def tolerated_node_losses(layout: Layout) -> int:
    """How many nodes may be lost at once, whichever they are, with every erasure set still able to read and
    write: for each set, the worst k nodes to lose are the k holding most of its drives; a set keeps quorum
    while those hold at most ``set_size - max(read quorum, write quorum)`` of its drives."""
    nodes = node_count(layout)
    tolerated = nodes
    for erasure_set in layout.sets:
        pool = layout.pool_layouts[erasure_set.pool]
        spare = pool.set_size - max(pool.read_quorum, pool.write_quorum)
        heaviest_first = sorted(Counter(name for name, _ in erasure_set.drives).values(), reverse=True)
        lost, k = 0, 0
        for drives in heaviest_first:
            if lost + drives > spare:
                break
            lost, k = lost + drives, k + 1
        else:
            k = nodes  # losing every node that holds drives of this set still leaves it quorum (cannot happen)
        tolerated = min(tolerated, k)
    return tolerated


def quorum_alarm_threshold(layout: Layout) -> int:
    """Healthy nodes at or below which the cluster is one node loss away from losing write quorum.

    ``nodes - tolerated``: at that count the layout's whole tolerance is used up. A layout that tolerates no
    node loss has no edge to warn at, so its threshold is ``nodes - 1`` (any loss already costs quorum)."""
    nodes = node_count(layout)
    return nodes - max(1, tolerated_node_losses(layout))


def topic_policy(topic_arn: str, account_id: str, partition: str, region: str) -> dict:
    """Only CloudWatch alarms of this account and region may publish to the ops-alerts topic."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "CloudWatchAlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "SNS:Publish", "Resource": topic_arn,
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                      "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:*"}}}]}


@dataclass
class ClusterAlarmsArgs:
    name: str  # StackConfig.name, e.g. rustfs-dev: prefixes the topic and alarm names
    stack: str
    region: str
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    messaging_key_arn: pulumi.Input[str]
    layout: Layout  # the plan's erasure layout (ClusterPlan.layout)
    group_names: dict[str, pulumi.Input[str]]  # node DNS name -> its Auto Scaling group's name
    load_balancer_arn_suffix: pulumi.Input[str]
    s3_target_group_arn_suffix: pulumi.Input[str]
    emails: list[str] = field(default_factory=list)  # observability.alarmEmails
    tags: dict[str, str] = field(default_factory=dict)
    thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)  # observability.alarms.*
    # Where the bootstrap mounts the drives (UserDataParams.mount_root): the disk alarms' MountPath dimension.
    mount_root: str = "/data"
    # Whether the node collector publishes RustFS's and the host's metrics (observability.collector.enabled).
    # Without it nothing would: those alarms (missing data breaching) would page, and hold the composite - and
    # with it the patching window - in ALARM for ever. The AWS-metric alarms stay.
    telemetry: bool = True
    # The state reconciler's timer interval (rustfs.reconcileMinutes) when the stack has the state component; None:
    # no reconciler, no state alarms.
    state_reconcile_minutes: int | None = None


class ClusterAlarms(pulumi.ComponentResource):
    """``topic_arn`` (subscribe chat or paging to it), ``alarm_names``, ``alarm_arns`` (name -> ARN, the
    dashboard's alarm widgets) and ``degraded_alarm_name`` / ``degraded_alarm_arn`` (the composite)."""

    def __init__(self, name: str, args: ClusterAlarmsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("rustfs:observability:ClusterAlarms", name, None, opts)
        self._name = name
        self._args = args
        topic_name = f"{args.name}-ops-alerts"
        self.topic = aws.sns.Topic(
            f"{name}-ops-alerts", name=topic_name, kms_master_key_id=args.messaging_key_arn,
            tags=resource_tags(args.tags, topic_name, args.stack),
            opts=pulumi.ResourceOptions(parent=self))
        aws.sns.TopicPolicy(
            f"{name}-ops-alerts", arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, args.account_id, args.partition).apply(
                lambda v: json.dumps(topic_policy(v[0], v[1], v[2], args.region))),
            opts=pulumi.ResourceOptions(parent=self.topic))
        for email in args.emails:
            # Named by the address, not its position: reordering the list replaces no subscription.
            digest = hashlib.sha256(email.lower().encode()).hexdigest()[:10]
            aws.sns.TopicSubscription(
                f"{name}-email-{digest}", topic=self.topic.arn, protocol="email", endpoint=email,
                opts=pulumi.ResourceOptions(parent=self.topic))

        self.alarms: list[aws.cloudwatch.MetricAlarm] = []
        self._degrading: list[aws.cloudwatch.MetricAlarm] = []  # the composite's children
        self._by_name: dict[str, aws.cloudwatch.MetricAlarm] = {}
        self.drive_paths = drives = drive_paths(args.layout, args.mount_root)  # node -> its drives' mount paths
        for node_name, group_name in args.group_names.items():
            short = t.node_dimension_value(node_name)
            self._node_alarms(short, group_name)
            if args.telemetry:
                self._node_rustfs_alarms(short, drives.get(node_name, []))
        self._cluster_alarms()
        if args.telemetry:
            self._rustfs_alarms()
        self._certificate_alarms()
        if args.state_reconcile_minutes:
            self._state_alarms(args.state_reconcile_minutes)
        self._degraded_alarm()
        self.topic_arn: pulumi.Output[str] = self.topic.arn
        self.alarm_names: list[pulumi.Output[str]] = [a.name for a in self.alarms]
        self.alarm_arns: dict[str, pulumi.Output[str]] = {
            self.degraded_alarm_name: self.degraded_alarm_arn, **{n: a.arn for n, a in self._by_name.items()}}
        self.register_outputs({"topicArn": self.topic_arn, "alarmNames": self.alarm_names,
                               "degradedAlarmName": self.degraded_alarm_name})

    def _alarm(self, suffix: str, description: str, *, degrades: bool = False, **settings) -> None:
        alarm_name = f"{self._args.name}-{suffix}"
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-{suffix}", name=alarm_name, alarm_description=description,
            alarm_actions=[self.topic.arn], ok_actions=[self.topic.arn], actions_enabled=True,
            tags=resource_tags(self._args.tags, alarm_name, self._args.stack),
            opts=pulumi.ResourceOptions(parent=self), **settings)
        self.alarms.append(alarm)
        self._by_name[alarm_name] = alarm
        if degrades:
            self._degrading.append(alarm)

    def _rustfs_metric(self, metric: str, statistic: str, period: int, **dimensions) -> dict:
        """A MetricStat of one of RustFS's metrics (it must be one RustFS emits: rustfs_metrics.json) or of the
        collector's host metrics, in the stack's namespace, with ClusterId and the given dimensions."""
        if metric not in t.HOST_METRICS:
            rustfs_metrics.emitted(metric)
        return {"namespace": t.metric_namespace(self._args.stack), "metric_name": metric, "stat": statistic,
                "period": period, "dimensions": {t.CLUSTER_DIMENSION: self._args.name, **dimensions}}

    def _single(self, metric: str, statistic: str, period: int, **dimensions) -> dict:
        m = self._rustfs_metric(metric, statistic, period, **dimensions)
        return {"namespace": m["namespace"], "metric_name": m["metric_name"], "statistic": statistic,
                "period": period, "dimensions": m["dimensions"]}

    def _node_alarms(self, short: str, group_name: pulumi.Input[str]) -> None:
        self._alarm(
            f"{short}-not-in-service",
            f"RustFS node {short}: its Auto Scaling group has had no InService instance for 15 minutes, so the "
            "node is down or its replacement has not come up. RustFS keeps serving while every erasure set "
            "keeps quorum; watch the write-quorum-at-risk alarm. Check the group's activity history and the "
            "node's bootstrap log (volume take-over, RustFS start); do not detach or delete its data volumes.",
            namespace=ASG_NAMESPACE, metric_name="GroupInServiceInstances", degrades=True,
            dimensions={"AutoScalingGroupName": group_name}, statistic="Maximum", period=300,
            evaluation_periods=3, datapoints_to_alarm=3, threshold=1, comparison_operator="LessThanThreshold",
            # The group publishes every minute while its metrics are enabled: silence means the group or
            # its metrics collection is gone, which must not read as a healthy node.
            treat_missing_data="breaching")
        self._alarm(
            f"{short}-status-check",
            f"RustFS node {short}: EC2 reports a failed system or instance status check for 2 minutes. The "
            "Auto Scaling group (EC2 health checks) replaces the instance; if this alarm stays on, look at the "
            "instance's console output and system log in EC2 and the group's activity history.",
            namespace=EC2_NAMESPACE, metric_name="StatusCheckFailed",
            dimensions={"AutoScalingGroupName": group_name}, statistic="Maximum", period=60,
            evaluation_periods=2, datapoints_to_alarm=2, threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            # No running instance reports no status check; the not-in-service alarm owns that case, so a
            # gap here must not page twice.
            treat_missing_data="notBreaching")

    def _cluster_alarms(self) -> None:
        a = self._args
        dimensions = {"TargetGroup": a.s3_target_group_arn_suffix, "LoadBalancer": a.load_balancer_arn_suffix}
        self._alarm(
            "s3-unhealthy-hosts",
            "RustFS S3 (port 9000): at least one node has failed the load balancer's /health/ready check for 5 "
            "minutes; it gets no client traffic. RustFS answers 503 there without storage, IAM or lock quorum. "
            "Find the node in the target group's health status, then check its RustFS log and drives.",
            namespace=NLB_NAMESPACE, metric_name="UnHealthyHostCount", dimensions=dimensions, degrades=True,
            statistic="Maximum", period=60, evaluation_periods=5, datapoints_to_alarm=5, threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            # No data: no target registered at all; the healthy-host alarm below breaches then.
            treat_missing_data="notBreaching")
        nodes = node_count(a.layout)
        edge = quorum_alarm_threshold(a.layout)
        self._alarm(
            "s3-write-quorum-at-risk",
            f"RustFS S3 (port 9000): {edge} or fewer of {nodes} nodes pass the health check. The erasure layout "
            f"(sets of {a.layout.set_size}, EC {a.layout.data_shards}+{a.layout.parity}) keeps write quorum "
            f"with at most {nodes - edge} node(s) lost: one more loss stops writes (and may stop reads). "
            "Bring nodes back first (not-in-service and status-check alarms); avoid any maintenance that "
            "takes a node down until this alarm is OK.",
            namespace=NLB_NAMESPACE, metric_name="HealthyHostCount", dimensions=dimensions, degrades=True,
            statistic="Minimum", period=60, evaluation_periods=3, datapoints_to_alarm=3, threshold=edge,
            comparison_operator="LessThanOrEqualToThreshold",
            # The load balancer reports healthy hosts whenever health checks run: without data nothing
            # vouches that the cluster holds quorum.
            treat_missing_data="breaching")

    def _certificate_alarms(self) -> None:
        dimensions = {"ClusterId": self._args.name}
        days = self._args.thresholds.certificate_days
        day = 86_400  # PutMetricAlarm: Period x EvaluationPeriods <= 7 days for periods of an hour or more
        self._alarm(
            "tls-certificate-expiring",
            f"RustFS cluster {self._args.name}: a node certificate expires in under {days} days. "
            "Pulumi re-issues node certificates 60 days before expiry (the workflow's weekly renew-certificates "
            "job, or any `pulumi up`) and every node's rustfs-tls-refresh.timer installs the new secret version "
            "within 6 hours, so either renewal has not run (the renew-certificates job; `pulumi preview` shows the "
            "certificates' replacement) or a node did not pick it up (journalctl -u rustfs-tls-refresh). A node "
            "that has the new files but serves the old certificate: the rolling-restart document. "
            "docs/security.md, certificate lifecycle.",
            namespace=NODE_NAMESPACE, metric_name=CERTIFICATE_METRIC, dimensions=dimensions, statistic="Minimum",
            period=day, evaluation_periods=1, threshold=days,
            comparison_operator="LessThanThreshold",
            # Silence keeps the last verdict: an expiring certificate must not turn OK (and notify OK) because
            # the nodes stopped reporting; the not-reported alarm below pages for the silence itself.
            treat_missing_data="ignore")
        a = self._args
        self._alarm(
            "tls-certificate-expiry-not-reported",
            f"RustFS cluster {a.name}: in two {REPORT_WINDOW_SECONDS // 60}-minute windows running, fewer nodes "
            f"reported {NODE_NAMESPACE} {CERTIFICATE_METRIC} than passed the S3 health check throughout, so some "
            "node's certificate expiry is watched by nobody (each node reports every 6 hours). On the nodes: "
            "`systemctl list-timers rustfs-tls-refresh.timer`, journalctl -u rustfs-tls-refresh, and whether the "
            f"node role may still put metrics in {NODE_NAMESPACE}. docs/operations.md, certificates.",
            metric_queries=not_reported_queries(NODE_NAMESPACE, CERTIFICATE_METRIC, dimensions, {
                "TargetGroup": a.s3_target_group_arn_suffix, "LoadBalancer": a.load_balancer_arn_suffix}),
            evaluation_periods=2, datapoints_to_alarm=2, threshold=0, comparison_operator="GreaterThanThreshold",
            # The expression has a value whenever the load balancer reports; without that (no target group
            # data: the cluster is gone or stopped) nothing is expected of the nodes.
            treat_missing_data="notBreaching")

    def _state_alarms(self, minutes: int) -> None:
        """The state reconciler (components/state): its errors, and its silence."""
        metric = {"namespace": t.metric_namespace(self._args.stack), "period": minutes * 60,
                  "dimensions": {t.CLUSTER_DIMENSION: self._args.name}}
        self._alarm(
            "state-reconciler-errors",
            f"RustFS cluster {self._args.name}: the state reconciler (rustfs-state.timer, every {minutes} minutes) "
            "reported errors in two runs running: a bucket, policy, account, tier, remote target or replication "
            "config of the desired state is not applied, or was refused (something it did not create, a delete it "
            "must not do). journalctl -u rustfs-state on the nodes (or the node log group): the 'error' and "
            "'refused' lines name the item; README, RustFS state as code.",
            metric_name=STATE_ERRORS_METRIC, statistic="Maximum", **metric, evaluation_periods=2,
            datapoints_to_alarm=2, threshold=1, comparison_operator="GreaterThanOrEqualToThreshold",
            # No data: no run acted; the not-reporting alarm below owns that.
            treat_missing_data="notBreaching")
        periods = max(3, -(-STATE_SILENT_MINUTES // minutes))
        self._alarm(
            "state-reconciler-not-reporting",
            f"RustFS cluster {self._args.name}: no node's state reconciler reported for {periods * minutes} minutes "
            f"({periods} runs of rustfs-state.timer): the desired state is applied by nobody. On a node: "
            "systemctl list-timers rustfs-state.timer, journalctl -u rustfs-state ('unusable', 'startup' and "
            "'lease' errors, 'not ready' skips), the state association's last execution. Expected on a fresh deploy "
            "until a node has booted and during a planned full stop.",
            metric_name=STATE_REPORT_METRIC, statistic="SampleCount", **metric, evaluation_periods=periods,
            datapoints_to_alarm=periods, threshold=1, comparison_operator="LessThanThreshold",
            # Silence is the failure this alarm is for.
            treat_missing_data="breaching")

    def _node_rustfs_alarms(self, short: str, mount_paths: list[str]) -> None:
        """The node's RustFS reporting, and each of its drives' filesystem."""
        node = {t.NODE_DIMENSION: short}
        self._alarm(
            f"{short}-rustfs-not-reporting",
            f"RustFS node {short}: no RustFS metrics ({REPORTING_METRIC}, pushed every minute) reached CloudWatch for "
            "15 minutes. RustFS or the node's telemetry collector is down (or the node is: see its not-in-service "
            "alarm). On the node: systemctl status rustfs and the collector's unit, journalctl -u rustfs; the "
            "dashboard's per-node health row shows which nodes still report. The drives-offline alarm shows what "
            "the other nodes see of this one.",
            **self._single(REPORTING_METRIC, "SampleCount", 300, **node),
            evaluation_periods=3, datapoints_to_alarm=3, threshold=1, comparison_operator="LessThanThreshold",
            # Silence is what this alarm is about.
            treat_missing_data="breaching")
        limit = self._args.thresholds.disk_used_percent
        for path in mount_paths:
            drive = path.rstrip("/").rsplit("/", 1)[-1]
            self._alarm(
                f"{short}-{drive}-disk-used",
                f"RustFS node {short}, drive {path}: its filesystem is over {limit:g}% used for 10 minutes "
                "(observability.alarms.diskUsedPercent). RustFS places objects by erasure set, not by free space, "
                "so one full drive fails writes to its sets. Compare with the cluster's capacity-used alarm: if "
                "only this drive is full, look for non-RustFS files on it (du -x on the mount) or a drive that "
                "was replaced smaller; if all are, add a server pool.",
                **self._single(t.HOST_DISK_USED, "Maximum", 300, **node, **{t.MOUNT_DIMENSION: path}),
                evaluation_periods=2, datapoints_to_alarm=2, threshold=limit,
                comparison_operator="GreaterThanThreshold",
                # No data: the node's collector is silent, which the not-reporting alarm pages for.
                treat_missing_data="notBreaching")

    def _rustfs_alarms(self) -> None:
        """Cluster-wide, from RustFS's own metrics: drives offline, capacity, 5xx error rate, latency."""
        th = self._args.thresholds
        self._alarm(
            "rustfs-drives-offline",
            f"RustFS cluster {self._args.name}: some node has seen {th.drives_offline} or more drives offline for "
            f"5 minutes ({DRIVES_OFFLINE_METRIC}, each node's view of the whole cluster; "
            "observability.alarms.drivesOffline). A node that is down or unreachable counts as all its drives. "
            "Erasure sets keep serving within their parity; healing starts when the drive returns. Find the "
            "drive in the console's or `rc admin info`'s drive list, then the node's not-in-service and "
            "status-check alarms, the drive's EBS volume state and dmesg; do not format or detach volumes.",
            **self._single(DRIVES_OFFLINE_METRIC, "Maximum", 60), degrades=True,
            evaluation_periods=5, datapoints_to_alarm=5, threshold=th.drives_offline,
            comparison_operator="GreaterThanOrEqualToThreshold",
            # No data: no node reports (each node's not-reporting alarm pages for that).
            treat_missing_data="notBreaching")
        self._alarm(
            "rustfs-capacity-used",
            f"RustFS cluster {self._args.name}: over {th.capacity_used_percent:g}% of the usable capacity (after "
            "erasure coding) is used for 30 minutes (observability.alarms.capacityUsedPercent). Time to add a "
            "server pool: RustFS does not rebalance onto bigger drives, it writes new objects to the pool with the "
            "most free space. Plan the pool (preflight's capacity report), or expire data with lifecycle rules.",
            metric_queries=[
                {"id": "used", "return_data": False,
                 "metric": self._rustfs_metric(CAPACITY_USED_METRIC, "Maximum", 900)},
                {"id": "usable", "return_data": False,
                 "metric": self._rustfs_metric(CAPACITY_USABLE_METRIC, "Maximum", 900)},
                {"id": "percent", "return_data": True, "expression": "100 * used / usable",
                 "label": "used / usable capacity, %"}],
            evaluation_periods=2, datapoints_to_alarm=2, threshold=th.capacity_used_percent,
            comparison_operator="GreaterThanThreshold", treat_missing_data="notBreaching")
        self._alarm(
            "api-5xx-error-rate",
            f"RustFS cluster {self._args.name}: over {th.error_rate_percent:g}% of requests on the S3 port got a "
            "5xx response in two 5-minute periods running (observability.alarms.errorRatePercent). RustFS answers "
            "503 without storage, IAM or lock quorum and 500 on internal errors; the load balancer's health checks "
            "count, so a node failing /health/ready shows here too. Check the drives-offline and unhealthy-hosts "
            "alarms, then the nodes' RustFS logs (error level) and X-Ray traces of failed requests.",
            metric_queries=[
                {"id": "errors", "return_data": False, "metric": self._rustfs_metric(
                    FAILURES_METRIC, "Sum", 300, **{t.STATUS_CLASS_DIMENSION: "5xx"})},
                {"id": "requests", "return_data": False,
                 "metric": self._rustfs_metric(REQUESTS_METRIC, "Sum", 300)},
                {"id": "rate", "return_data": True, "expression": "100 * FILL(errors, 0) / requests",
                 "label": "5xx responses per request, %"}],
            degrades=True, evaluation_periods=2, datapoints_to_alarm=2, threshold=th.error_rate_percent,
            comparison_operator="GreaterThanThreshold", treat_missing_data="notBreaching")
        self._alarm(
            "api-latency",
            f"RustFS cluster {self._args.name}: requests on the S3 port took {th.latency_seconds:g} s or more on "
            "average in three 5-minute periods running (observability.alarms.latencySeconds; time to the response "
            "headers, a PUT's includes its upload). Look at the dashboard's latency per node (one slow node: its "
            "drives' EBS latency, a healing or scanning drive), throughput (clients pushing more than the EBS or "
            "network baseline) and X-Ray traces of slow requests.",
            **self._single(DURATION_METRIC, "Average", 300),
            evaluation_periods=3, datapoints_to_alarm=3, threshold=th.latency_seconds,
            comparison_operator="GreaterThanOrEqualToThreshold", treat_missing_data="notBreaching")

    def _degraded_alarm(self) -> None:
        """The composite "cluster degraded" alarm; the patching window runs only while it is OK."""
        a = self._args
        self.degraded_alarm_name = t.degraded_alarm_name(a.name)
        names = [alarm.name for alarm in self._degrading]
        self.degraded = aws.cloudwatch.CompositeAlarm(
            f"{self._name}-cluster-degraded", alarm_name=self.degraded_alarm_name,
            alarm_rule=pulumi.Output.all(*names).apply(lambda n: degraded_rule(list(n))),
            alarm_description=(
                f"RustFS cluster {a.name} is degraded: write quorum at risk, a node failing the health check or "
                "not in service, drives offline, or a 5xx error rate over its threshold (the child alarm in ALARM "
                "says which). No maintenance that takes a node down (patching waits for this alarm to be OK): "
                "bring the cluster back first, following the child alarm's description."),
            alarm_actions=[self.topic.arn], ok_actions=[self.topic.arn], actions_enabled=True,
            tags=resource_tags(a.tags, self.degraded_alarm_name, a.stack),
            opts=pulumi.ResourceOptions(parent=self))
        self.degraded_alarm_arn: pulumi.Output[str] = self.degraded.arn
