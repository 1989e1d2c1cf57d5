"""Where the nodes' telemetry lands: the RustFS and bootstrap log group, encrypted with the logs key."""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
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
    """Where the nodes' telemetry lands: the log group of RustFS and its bootstrap, encrypted with the logs key."""

    node_log_group_arn: pulumi.Output[str]
    """ARN of the nodes' log group: the node role may write only there."""
    node_log_group_name: pulumi.Output[str]
    """Name of the nodes' log group (``<logGroupPrefix>nodes``)."""

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(ObservabilityArgs, args)
        super().__init__("rustfs:observability:Observability", name, None, opts)
        self.node_logs = aws.cloudwatch.LogGroup(
            f"{name}-node-logs", name=f"{args.log_group_prefix}nodes", retention_in_days=args.retention_days,
            kms_key_id=args.logs_key_arn,
            tags=resource_tags(args.tags, f"{name}-node-logs", args.stack),
            opts=pulumi.ResourceOptions(parent=self))
        self.node_log_group_arn = self.node_logs.arn
        self.node_log_group_name = self.node_logs.name
        self.register_outputs({"nodeLogGroup": self.node_logs.name, "nodeLogGroupArn": self.node_logs.arn})
