"""X-Ray for the RustFS service: a sampling rule and a group of its traces.

RustFS makes a span of every HTTP request it serves (rustfs/src/server/http.rs; at log level info, below) and pushes
them over OTLP; the node collector sends them to X-Ray, where the segment name is the OTLP resource's ``service.name``:
``RustFS`` unless RUSTFS_OBS_SERVICE_NAME says otherwise (telemetry.RUSTFS_SERVICE_NAME). So:
- the *sampling rule* matches service ``RustFS`` (any host, method, path) with ``observability.tracing.*``'s
  reservoir and rate. RustFS decides itself which requests it traces (a parent-based ratio sampler,
  RUSTFS_OBS_SAMPLE_RATIO, default 1.0: every request, crates/obs/src/telemetry/otel.rs build_tracer_sampler) and
  does not ask X-Ray's sampling rules (it has no X-Ray remote sampler), so the rule states the rate the nodes are
  given, for X-Ray's console and for any client that does consult the rules; the ratio on the nodes is what
  limits the traces recorded (X-Ray bills each one, cost.py).
- RustFS builds its request spans only at log level info or below: one filter, from RUSTFS_OBS_LOGGER_LEVEL, serves
  its logs and its traces (crates/obs/src/telemetry/otel.rs, the subscriber registry; rustfs/src/server/http.rs
  make_http_trace_span returns no span unless INFO is enabled). At the bootstrap's ``warn`` X-Ray gets no request
  traces; the rule and the group cost nothing while they are empty (README, Day 2: "What each alarm means").
- the *group* filters ``service("RustFS")``: the traces, service map and (if enabled later) insights of the RustFS
  service, which the README (Day 2) points to for slow or failed requests. Insights stay off: they
  bill every trace processed.

Limits the fake AWS enforces (preflight/fake_monitoring.py): rule and group names of 1-32 characters (the stack's
name, at most 27), priority 1-9999, rate 0-1, version 1. Two stacks in one account and Region both match service
``RustFS``; X-Ray applies the matching rule of lowest priority (then name) to both, so their rates should agree.

Rejected: ``aws.xray.EncryptionConfig`` with the stack's logs key. X-Ray encrypts traces at rest with an AWS key
without it; the setting is one per account and Region (PutEncryptionConfig), so a stack that set it would switch
every other stack's and application's traces to its own key - and its destroy would leave them encrypted with a
deleted key. An account owner who wants it sets it once, outside the stack (the policy pack checks a declared one
uses KMS).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.observability import telemetry as t
from rustfs_aws.tagging import resource_tags

MAX_NAME = 32  # CreateSamplingRule RuleName and CreateGroup GroupName (botocore's X-Ray model)
PRIORITY = 1000  # below the default rule's 10000: the RustFS rule wins for RustFS's segments


@dataclass
class TracingArgs:
    """Inputs of ``Tracing``."""

    name: str
    """The deployment's name (``rustfs-dev``): the rule's and the group's name (at most 32 characters)."""
    stack: str
    """The stack's short name: the ``rustfs:stack`` tag."""
    sample_rate: float = 0.01
    """Share of the RustFS service's requests traced after the reservoir (``observability.tracing.sampleRate``)."""
    reservoir_per_second: int = 1
    """Traces per second taken before the rate applies (``observability.tracing.reservoirPerSecond``)."""
    service_name: str = t.RUSTFS_SERVICE_NAME
    """The service name RustFS's traces carry (RUSTFS_OBS_SERVICE_NAME, default ``RustFS``)."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on the rule and the group, next to their ``Name``."""


def group_filter(service_name: str) -> str:
    """The X-Ray filter expression of the RustFS service's traces."""
    return f'service("{service_name}")'


class Tracing(pulumi.ComponentResource):
    """The X-Ray sampling rule and group of the RustFS service."""

    group_arn: pulumi.Output[str]
    """ARN of the X-Ray group of RustFS's traces."""
    sampling_rule_name: str
    """Name of the sampling rule (the deployment's name)."""

    def __init__(self, name: str, args: TracingArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(TracingArgs, args)
        super().__init__("rustfs:observability:Tracing", name, None, opts)
        if not 1 <= len(args.name) <= MAX_NAME:
            raise ValueError(f"X-Ray rule and group names are 1 to {MAX_NAME} characters: {args.name!r}")
        tags = resource_tags(args.tags or {}, args.name, args.stack)
        self.sampling_rule_name = args.name
        self.rule = aws.xray.SamplingRule(
            f"{name}-sampling", rule_name=args.name, priority=PRIORITY, version=1,
            reservoir_size=args.reservoir_per_second, fixed_rate=args.sample_rate, service_name=args.service_name,
            service_type="*", host="*", http_method="*", url_path="*", resource_arn="*", tags=tags,
            opts=pulumi.ResourceOptions(parent=self))
        self.group = aws.xray.Group(
            f"{name}-group", group_name=args.name, filter_expression=group_filter(args.service_name),
            insights_configuration=aws.xray.GroupInsightsConfigurationArgs(insights_enabled=False,
                                                                          notifications_enabled=False),
            tags=tags, opts=pulumi.ResourceOptions(parent=self))
        self.group_arn = self.group.arn
        self.register_outputs({"groupArn": self.group_arn, "samplingRuleName": self.sampling_rule_name})
