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
from rustfs_aws.tagging import resource_tags
from rustfs_model.layout import Layout

ASG_NAMESPACE = "AWS/AutoScaling"
EC2_NAMESPACE = "AWS/EC2"
NLB_NAMESPACE = "AWS/NetworkELB"
NODE_NAMESPACE = NODE_METRIC_NAMESPACE  # the nodes publish here (node-bootstrap publish_tls_expiry)
CERTIFICATE_METRIC = "TlsCertificateDaysToExpiry"
CERTIFICATE_ALARM_DAYS = 30


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


class ClusterAlarms(pulumi.ComponentResource):
    """``topic_arn`` (subscribe chat or paging to it) and ``alarm_names``."""

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
        for node_name, group_name in args.group_names.items():
            self._node_alarms(node_name.split(".")[0], group_name)
        self._cluster_alarms()
        self._certificate_alarms()
        self.topic_arn: pulumi.Output[str] = self.topic.arn
        self.alarm_names: list[pulumi.Output[str]] = [a.name for a in self.alarms]
        self.register_outputs({"topicArn": self.topic_arn, "alarmNames": self.alarm_names})

    def _alarm(self, suffix: str, description: str, **settings) -> None:
        alarm_name = f"{self._args.name}-{suffix}"
        self.alarms.append(aws.cloudwatch.MetricAlarm(
            f"{self._name}-{suffix}", name=alarm_name, alarm_description=description,
            alarm_actions=[self.topic.arn], ok_actions=[self.topic.arn], actions_enabled=True,
            tags=resource_tags(self._args.tags, alarm_name, self._args.stack),
            opts=pulumi.ResourceOptions(parent=self), **settings))

    def _node_alarms(self, short: str, group_name: pulumi.Input[str]) -> None:
        self._alarm(
            f"{short}-not-in-service",
            f"RustFS node {short}: its Auto Scaling group has had no InService instance for 15 minutes, so the "
            "node is down or its replacement has not come up. RustFS keeps serving while every erasure set "
            "keeps quorum; watch the write-quorum-at-risk alarm. Check the group's activity history and the "
            "node's bootstrap log (volume take-over, RustFS start); do not detach or delete its data volumes.",
            namespace=ASG_NAMESPACE, metric_name="GroupInServiceInstances",
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
            namespace=NLB_NAMESPACE, metric_name="UnHealthyHostCount", dimensions=dimensions,
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
            namespace=NLB_NAMESPACE, metric_name="HealthyHostCount", dimensions=dimensions,
            statistic="Minimum", period=60, evaluation_periods=3, datapoints_to_alarm=3, threshold=edge,
            comparison_operator="LessThanOrEqualToThreshold",
            # The load balancer reports healthy hosts whenever health checks run: without data nothing
            # vouches that the cluster holds quorum.
            treat_missing_data="breaching")

    def _certificate_alarms(self) -> None:
        dimensions = {"ClusterId": self._args.name}
        day = 86_400  # PutMetricAlarm: Period x EvaluationPeriods <= 7 days for periods of an hour or more
        self._alarm(
            "tls-certificate-expiring",
            f"RustFS cluster {self._args.name}: a node certificate expires in under {CERTIFICATE_ALARM_DAYS} days. "
            "Pulumi re-issues node certificates 60 days before expiry (the workflow's weekly renew-certificates "
            "job, or any `pulumi up`) and every node's rustfs-tls-refresh.timer installs the new secret version "
            "within 6 hours, so either renewal has not run (the renew-certificates job; `pulumi preview` shows the "
            "certificates' replacement) or a node did not pick it up (journalctl -u rustfs-tls-refresh). A node "
            "that has the new files but serves the old certificate: the rolling-restart document. "
            "docs/security.md, certificate lifecycle.",
            namespace=NODE_NAMESPACE, metric_name=CERTIFICATE_METRIC, dimensions=dimensions, statistic="Minimum",
            period=day, evaluation_periods=1, threshold=CERTIFICATE_ALARM_DAYS,
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
