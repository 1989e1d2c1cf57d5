"""The edge of one stack, composed from its config: what ``__main__.py`` needs from it in one call.

``build_edge`` declares the origin (before the cluster: the nodes' groups register with its target group) and the
distribution, exports what operators use, and returns what the cluster takes: the target group, the server domain
RustFS must route path-style, and that RustFS's trusted proxy is off. ``allow_to_nodes`` opens 9000 from the
origin once the nodes' security group exists. Rejected: the same lines inline in ``__main__.py`` (the composition
root would grow by every condition of the feature, and the tests could not build the edge without the program).

The buckets' RustFS bucket policies (documents.py ``edge_bucket_policy``: anonymous s3:GetObject from the origin
subnets only). With a ``rustfs`` section (``cfg.rustfs.declared``) they are part of the published desired state:
``state_buckets`` sets each edge bucket's ``policy`` in ``rustfs.buckets`` (config refuses an edge bucket the
section does not declare, deletes, or gives a policy of its own: edge/settings.py ``check_against_state``), and the
state reconciler puts it with S3 PutBucketPolicy, converges it from drift and records it in its ledger
(components/state/reconciler/rustfs_reconcile.py ``_bucket_policy``). Without the section there is no reconciler
to apply them and the operator does (README, "The edge", has the command). Either way the stack exports them
(``edgeBucketPolicies``, bucket -> policy JSON), for review and for that manual step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi

from rustfs_aws.edge.distribution import EdgeBucketArgs, EdgeDistribution, EdgeDistributionArgs
from rustfs_aws.edge.documents import edge_bucket_policy
from rustfs_aws.edge.origin import EdgeOrigin, EdgeOriginArgs
from rustfs_aws.edge.settings import edge_subnets, with_edge_policies


@dataclass
class Edge:
    origin: EdgeOrigin | None = None
    distribution: EdgeDistribution | None = None
    target_group_arns: list = field(default_factory=list)
    server_domains: list[str] = field(default_factory=list)  # RUSTFS_SERVER_DOMAINS additions (console off)

    def allow_to_nodes(self, node_security_group_id) -> None:
        if self.origin is not None:
            self.origin.allow_to_nodes(node_security_group_id)


def bucket_policies(cfg) -> dict[str, str]:
    """bucket -> the RustFS bucket policy (JSON) each edge bucket needs, from the config alone (pure)."""
    e = cfg.edge
    cidrs = edge_subnets(cfg.network.cidr, cfg.network.az_count)
    return {b.name: json.dumps(edge_bucket_policy(b.name, cidrs), sort_keys=True) for b in e.buckets}


def state_buckets(cfg) -> list[dict]:
    """``rustfs.buckets`` as the desired state publishes them: with an edge and a ``rustfs`` section, each edge
    bucket (declared there: config checks it) carries the edge's bucket policy; otherwise unchanged (pure)."""
    if cfg.edge is None or not cfg.rustfs.declared:
        return list(cfg.rustfs.buckets)
    return with_edge_policies(cfg.rustfs.buckets, cfg.edge, edge_subnets(cfg.network.cidr, cfg.network.az_count))


def build_edge(cfg, stack, *, network, audit, iam) -> Edge:
    """``cfg``: StackConfig; ``stack``: StackContext; the other arguments are the stack's components."""
    e = cfg.edge
    if e is None:
        return Edge()
    opts = stack.opts()
    origin = EdgeOrigin(f"{cfg.name}-edge-origin", stack.args(
        EdgeOriginArgs, vpc_id=network.vpc_id, azs=list(network.azs),
        subnet_cidrs=edge_subnets(cfg.network.cidr, len(network.azs)), origin_domain_name=e.origin_domain_name,
        internet_gateway_id=network.internet_gateway_id,
        certificate_arn=e.origin_certificate_arn, hosted_zone_id=e.hosted_zone_id,
        vpc_origin_security_group_id=e.vpc_origin_security_group_id, deletion_protection=cfg.is_prod), opts=opts)
    distribution = EdgeDistribution(f"{cfg.name}-edge", stack.args(
        EdgeDistributionArgs, origin_arn=origin.endpoint_arn, origin_domain_name=e.origin_domain_name,
        origin_shield_region=e.origin_shield_region,
        buckets=[EdgeBucketArgs(b.name, b.signed) for b in e.buckets],
        log_retention_days=cfg.audit.log_retention_days, domain_name=e.domain_name,
        viewer_certificate_arn=e.viewer_certificate_arn, hosted_zone_id=e.hosted_zone_id,
        price_class=e.price_class, minimum_protocol_version=e.minimum_protocol_version,
        min_ttl_seconds=e.ttl.min_seconds, default_ttl_seconds=e.ttl.default_seconds,
        max_ttl_seconds=e.ttl.max_seconds, public_keys=list(e.public_keys),
        logging_destination=e.logging_destination,
        logs_bucket_arn=audit.logs_bucket.arn if e.logging_destination == "s3" else None,
        realtime_logs=e.realtime_logs.enabled, realtime_sampling_rate=e.realtime_logs.sampling_rate,
        realtime_shard_count=e.realtime_logs.shard_count, permissions_boundary_arn=iam.permissions_boundary_arn,
        key_admin_role_arn=cfg.security.key_admin_role_arn,
        rate_limit=e.waf.rate_limit, blocked_countries=list(e.waf.blocked_countries),
        allowed_countries=list(e.waf.allowed_countries)), opts=opts)
    pulumi.export("edgeDomainName", e.domain_name or distribution.domain_name)
    pulumi.export("edgeDistributionDomainName", distribution.domain_name)
    pulumi.export("edgeDistributionId", distribution.distribution_id)
    pulumi.export("edgeWebAclArn", distribution.web_acl_arn)
    pulumi.export("edgeOriginSubnets", origin.subnet_cidrs)
    pulumi.export("edgeBucketPolicies", bucket_policies(cfg))
    if distribution.key_group_id is not None:
        pulumi.export("edgeKeyGroupId", distribution.key_group_id)
    return Edge(origin=origin, distribution=distribution, target_group_arns=[origin.target_group_arn],
                server_domains=[] if cfg.cluster.console else [e.origin_domain_name])
