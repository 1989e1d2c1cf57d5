"""Where the nodes' telemetry lands: one log group per purpose (``telemetry.LOG_GROUP_SUFFIXES``), each encrypted
with the logs key and kept for the configured retention.

``<prefix>rustfs``: RustFS's log records (OTLP, through the node collector); ``<prefix>nodes``: the node's systemd
journal of the RustFS units (bootstrap, take-over, TLS refresh, RustFS's stderr); ``<prefix>metrics``: the EMF
records from which CloudWatch extracts the ``RustFS/<stack>`` metrics. The groups exist before any node writes, so
the node role needs no logs:CreateLogGroup and every group carries the key and the retention from the start
(rejected: letting the exporters create them, unencrypted and kept forever). The metrics group keeps the same
retention as the others: the policy pack's bounds apply to every group, and Logs Insights over the EMF records is
how one queries a past value by a label no metric dimension kept.
"""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.observability.telemetry import LOG_GROUP_SUFFIXES, log_group_name
from rustfs_aws.tagging import resource_tags


@dataclass
class ObservabilityArgs:
    """Inputs of ``Observability``."""

    stack: str
    """The stack's short name (``dev``): the ``rustfs:stack`` tag."""
    log_group_prefix: str
    """Prefix of the log group's name (``Keys``' ``logGroupPrefix``): the logs key serves only groups under it."""
    logs_key_arn: pulumi.Input[str]
    """ARN of the KMS key that encrypts the log group (``Keys``' ``logs`` key)."""
    retention_days: int
    """Days CloudWatch Logs keeps the nodes' logs (one of the values CloudWatch Logs accepts, e.g. 365)."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on the log group, next to its ``Name``."""


class Observability(pulumi.ComponentResource):
    """Where the nodes' telemetry lands: the log groups of RustFS's logs, the nodes' journal and the EMF metric
    records, encrypted with the logs key."""

    node_log_group_arn: pulumi.Output[str]
    """ARN of the nodes' journal log group (``<logGroupPrefix>nodes``)."""
    node_log_group_name: pulumi.Output[str]
    """Name of the nodes' journal log group (``<logGroupPrefix>nodes``)."""
    log_group_arns: list[pulumi.Output[str]]
    """ARNs of every group the nodes write (RustFS's logs, the journal, the EMF records): the node role's only ones."""

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(ObservabilityArgs, args)
        super().__init__("rustfs:observability:Observability", name, None, opts)
        # Resource names by purpose; the journal keeps the group's original resource name (node-logs).
        resource_names = {"journal": "node-logs", "rustfs": "rustfs-logs", "metrics": "metric-logs"}
        self.log_groups: dict[str, aws.cloudwatch.LogGroup] = {
            purpose: aws.cloudwatch.LogGroup(
                f"{name}-{resource_names[purpose]}", name=log_group_name(args.log_group_prefix, purpose),
                retention_in_days=args.retention_days, kms_key_id=args.logs_key_arn,
                tags=resource_tags(args.tags, f"{name}-{resource_names[purpose]}", args.stack,
                                   {"rustfs:purpose": f"node-{purpose}"}),
                opts=pulumi.ResourceOptions(parent=self))
            for purpose in LOG_GROUP_SUFFIXES}
        self.node_logs = self.log_groups["journal"]
        self.node_log_group_arn = self.node_logs.arn
        self.node_log_group_name = self.node_logs.name
        self.log_group_arns = [g.arn for g in self.log_groups.values()]
        self.register_outputs({"nodeLogGroup": self.node_logs.name, "nodeLogGroupArn": self.node_logs.arn,
                               "logGroupNames": {p: g.name for p, g in self.log_groups.items()},
                               "logGroupArns": self.log_group_arns})
