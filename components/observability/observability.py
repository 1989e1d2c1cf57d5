"""Where the nodes' telemetry lands: the RustFS and bootstrap log group, encrypted with the logs key."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.tagging import resource_tags


@dataclass
class ObservabilityArgs:
    stack: str
    log_group_prefix: str  # the logs key only serves log groups under this prefix
    logs_key_arn: pulumi.Input[str]
    retention_days: int
    tags: dict[str, str] = field(default_factory=dict)


class Observability(pulumi.ComponentResource):
    """``node_log_group_arn``: the group the node role may write (its policy is scoped to it)."""

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("rustfs:observability:Observability", name, None, opts)
        self.node_logs = aws.cloudwatch.LogGroup(
            f"{name}-node-logs", name=f"{args.log_group_prefix}nodes", retention_in_days=args.retention_days,
            kms_key_id=args.logs_key_arn,
            tags=resource_tags(args.tags, f"{name}-node-logs", args.stack),
            opts=pulumi.ResourceOptions(parent=self))
        self.node_log_group_arn = self.node_logs.arn
        self.register_outputs({"nodeLogGroup": self.node_logs.name, "nodeLogGroupArn": self.node_logs.arn})
