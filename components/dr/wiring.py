"""The DR secondary of one stack, composed from its config: what ``__main__.py`` needs, in two calls.

``read_primary`` (before the IAM boundary, the state and the node role): the primary's outputs through the stack
reference, checked, and what other components take from them - the desired state's ``siteReplication`` entry with its
sizing, the node role's statements for the primary's credentials, and those credentials' secret and key ARNs, which the
permissions boundary spares. ``build_link`` (once the cluster exists): the peering, routes,
names, security-group rules and the backlog alarm (link.py). Rejected: the same lines inline in ``__main__.py``: the
composition root would grow by the feature's conditions, and tests could not build the pieces alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from rustfs_aws.cluster.dns import endpoint_name
from rustfs_aws.cluster.load_balancer import S3_PORT
from rustfs_aws.dr.link import DrLink, DrLinkArgs
from rustfs_aws.dr.primary import PrimaryStack, SecondaryFacts
from rustfs_aws.dr.replication import primary_secret_statements, site_replication_entry, site_replication_sizing


@dataclass
class DrPrimary:
    primary: PrimaryStack
    state: pulumi.Output[dict]
    """The desired state's ``siteReplication`` entry (ARNs and public certificates, never secret values)."""
    state_sizing: dict = field(default_factory=dict)
    node_statements: pulumi.Output[list[dict]] = field(default_factory=lambda: pulumi.Output.from_input([]))
    shared_secret_arns: pulumi.Output[list[str]] = field(default_factory=lambda: pulumi.Output.from_input([]))
    """The primary's secrets this stack's roles use (its replication credentials): the boundary spares them."""
    shared_key_arns: pulumi.Output[list[str]] = field(default_factory=lambda: pulumi.Output.from_input([]))


def local_endpoint_url(cfg) -> str:
    return f"https://{endpoint_name(cfg.cluster.domain)}:{S3_PORT}"


def read_primary(cfg, stack) -> DrPrimary | None:
    """``cfg``: StackConfig; ``stack``: StackContext. None without ``dr``."""
    if cfg.dr is None:
        return None
    facts = SecondaryFacts(reference=cfg.dr.primary_stack, network_cidr=cfg.network.cidr, region=cfg.region,
                           account_id=stack.account_id, domain=cfg.cluster.domain,
                           sse=cfg.integrations.encryption.sse == "aws",
                           on_prem_cidrs=tuple(cfg.hybrid.on_prem_cidrs) if cfg.hybrid else ())
    primary = PrimaryStack(cfg.name, facts)
    local = local_endpoint_url(cfg)
    state = pulumi.Output.all(
        primary.get("clusterId"), primary.get("s3EndpointUrl"), primary.get("replicationCredentialsSecretArn"),
        primary.get("caCertificatePem")).apply(lambda v: site_replication_entry(
            local_name=cfg.name, local_endpoint=local, primary_name=v[0], primary_endpoint=v[1],
            primary_secret_arn=v[2], primary_ca_pem=v[3], replicate_ilm_expiry=cfg.dr.replicate_ilm_expiry))
    statements = pulumi.Output.all(
        primary.get("replicationCredentialsSecretArn"), primary.get("replicationCredentialsKeyArn"),
        primary.get("region")).apply(lambda v: primary_secret_statements(secret_arn=v[0], key_arn=v[1],
                                                                          primary_region=v[2]))
    pulumi.export("drPrimaryStack", cfg.dr.primary_stack)
    return DrPrimary(primary=primary, state=state, node_statements=statements, state_sizing=site_replication_sizing(
        local_name=cfg.name, local_endpoint=local, primary_stack=cfg.dr.primary_stack),
        shared_secret_arns=primary.get("replicationCredentialsSecretArn").apply(lambda a: [a]),
        shared_key_arns=primary.get("replicationCredentialsKeyArn").apply(lambda a: [a]))


def build_link(cfg, stack, dr: DrPrimary, *, network, cluster, load_balancer) -> DrLink:
    """The link between the two clusters (link.py); its peering connection is exported."""
    p, alarms = dr.primary, cfg.dr.alarms
    link = DrLink(f"{cfg.name}-link", stack.args(
        DrLinkArgs, vpc_id=network.vpc_id, vpc_cidr=network.vpc_cidr,
        private_subnet_cidrs=[s.cidr_block for s in network.private_subnets],
        private_route_table_ids=network.private_route_table_ids,
        node_security_group_id=cluster.security_group_id,
        load_balancer_security_group_id=load_balancer.security_group_id,
        load_balancer_dns_name=load_balancer.dns_name, domain=cfg.cluster.domain,
        primary_region=p.get("region"), primary_vpc_id=p.get("vpcId"), primary_vpc_cidr=p.get("vpcCidr"),
        primary_private_subnet_cidrs=p.get("privateSubnetCidrs"), primary_route_table_ids=p.get("privateRouteTableIds"),
        primary_node_security_group_id=p.get("nodeSecurityGroupId"),
        primary_load_balancer_security_group_id=p.get("loadBalancerSecurityGroupId"),
        primary_load_balancer_dns_name=p.get("loadBalancerDnsName"), primary_domain=p.get("clusterDomain"),
        primary_cluster_id=p.get("clusterId"), primary_metric_namespace=p.get("metricNamespace"),
        primary_alarm_topic_arn=p.get("opsAlertTopicArn"), backlog_objects=alarms.backlog_objects,
        backlog_minutes=alarms.backlog_minutes), opts=stack.opts())
    pulumi.export("drPeeringConnectionId", link.peering_connection_id)
    pulumi.export("drReplicationBacklogAlarm", link.alarm_name)
    return link


def with_site_replication(state: pulumi.Output[dict], sizing: dict, dr: DrPrimary | None) -> tuple:
    """The desired state's extra entries and their sizing, with ``siteReplication`` on a DR secondary."""
    if dr is None:
        return state, sizing
    return (pulumi.Output.all(state, dr.state).apply(lambda v: {**v[0], **v[1]}), {**sizing, **dr.state_sizing})
