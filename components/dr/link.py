"""The DR link: the network path between the primary's VPC and this secondary's, the names each side resolves for the
other's S3 endpoint, the security-group rules for RustFS's port 9000 between the two clusters, and the alarm on the
primary's replication backlog.

**Inter-region VPC peering, not Transit Gateway peering.** Both carry the traffic over AWS's backbone at the
inter-region data-transfer rate ($0.02/GB from us-east-1, prices.json ``transfer``). Peering adds nothing to that:
no hourly charge (Infracost's FreeResources: aws_vpc_peering_connection, _accepter, _options, commit 0138238) and no
processing charge. Transit Gateway peering needs a gateway in each Region, a VPC attachment on each
($0.05/attachment-hour: Infracost vpn_connection_test golden) and the peering attachment ($36.50 a month:
Infracost ec2_transit_gateway_peering_attachment_test golden), about $110 a month before traffic, then $0.02 per GB
processed by the sending gateway, which doubles the cost of every replicated byte (docs/dr.md has prod's figures).
Its strengths do not apply to two VPCs: transitive routing (peering has none: a VPC reaches only its direct peer,
never the primary's VPN or the other peer's peers - VPC Peering Guide, "VPC peering limitations"), and scale (peering
allows 50 active connections per VPC by default, adjustable to 125; one secondary uses one). Rejected for that.

**The requester is this stack.** It knows both VPCs (its own, and the primary's from the stack reference); the
primary knows nothing of its secondaries. ``VpcPeeringConnection`` is requested here with ``peer_region``;
``auto_accept`` must stay false across Regions (the provider refuses it: pulumi_aws ec2.VpcPeeringConnection
``peer_region``) and a ``VpcPeeringConnectionAccepter`` through a provider for the primary's Region accepts it
(the connection exists in both Regions under one id). Same account assumed: cross-account peering needs the
accepter's provider to assume a role in the primary's account, ``peer_owner_id``, and Route 53
``VpcAssociationAuthorization`` for the names below (docs/dr.md).

**Routes** on every private route table on both sides, for the other VPC's CIDR only (the public tables get none:
nothing public talks to the other cluster). Routes and options name the accepter's id (the connection's), so they
are created once the connection is accepted, never against one still pending acceptance.

**Names.** Each cluster's endpoint (``s3.<domain>``) is a record of its private hosted zone, associated with its own
VPC only. This stack adds two small zones of its own: the primary's domain in this VPC, and this stack's domain in
the primary's VPC, each holding only ``s3.<domain>`` as a CNAME to that cluster's internal load balancer (an
internal NLB's DNS name resolves to its private addresses, which the peering routes). Rejected: associating each
cluster's own zone with the other VPC. The zones declare their VPCs inline (cluster/dns.py), which the provider treats
as exclusive: the next ``pulumi up`` of the primary would remove an association this stack added (pulumi_aws
route53.ZoneAssociation, the note on in-line ``vpcs``). ``allow_remote_vpc_dns_resolution`` is on at both ends,
each set from its own Region as inter-region peering requires (VPC Peering Guide, "Enable DNS resolution for a VPC
peering connection"): EC2's public DNS names of the other side's instances then resolve to private addresses.

**Security groups: 9000 between the clusters only**, each rule one private-subnet CIDR of the other VPC (where its
nodes and its internal load balancer are): on each side the nodes admit it and may send to it (site replication is
symmetric: each site calls the other's endpoint), and the load balancer admits it. Inter-region peering does not
support referencing the peer VPC's security groups (VPC Peering Guide, "Update your security groups to reference
peer security groups": same Region only), so the rules name CIDRs; the fake AWS refuses such a reference.

**The alarm.** RustFS reports, per node, the objects queued for or failed toward a replication target
(``rustfs_replication_recent_backlog_count``: crates/obs/src/metrics/schema/replication.rs; the collector publishes
its cluster roll-up, observability/telemetry.py). The alarm lives in the primary's Region, where that metric is, and
notifies the primary's ops-alerts topic (an alarm notifies a topic of its own Region only): a backlog over
``dr.alarms.backlogObjects`` for ``dr.alarms.backlogMinutes`` means the secondary falls behind, which is data a
failover would lose.

Counts that depend on the primary (its route tables, its private subnets) are known only when the stack reference
resolves; those resources are declared in one ``apply`` of its outputs. A StackReference's outputs are read from
the backend at preview as at update, so the preview shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.cluster.load_balancer import S3_PORT
from rustfs_aws.tagging import resource_tags
from rustfs_model import rustfs_metrics

BACKLOG_METRIC = "rustfs_replication_recent_backlog_count"
BACKLOG_PERIOD = 300
RECORD_TTL = 60


@dataclass
class DrLinkArgs:
    """Inputs of ``DrLink``: this stack's network and cluster, and the primary's (``primary_*``, its outputs)."""

    name: str  # rustfs-<stack>: prefixes physical names
    stack: str
    region: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    private_subnet_cidrs: list[pulumi.Input[str]]
    private_route_table_ids: list[pulumi.Input[str]]
    node_security_group_id: pulumi.Input[str]
    load_balancer_security_group_id: pulumi.Input[str]
    load_balancer_dns_name: pulumi.Input[str]
    domain: str  # cluster.domain: the endpoint is s3.<domain>
    primary_region: pulumi.Input[str]
    primary_vpc_id: pulumi.Input[str]
    primary_vpc_cidr: pulumi.Input[str]
    primary_private_subnet_cidrs: pulumi.Input[list[str]]
    primary_route_table_ids: pulumi.Input[list[str]]
    primary_node_security_group_id: pulumi.Input[str]
    primary_load_balancer_security_group_id: pulumi.Input[str]
    primary_load_balancer_dns_name: pulumi.Input[str]
    primary_domain: pulumi.Input[str]
    primary_cluster_id: pulumi.Input[str]
    primary_metric_namespace: pulumi.Input[str]
    primary_alarm_topic_arn: pulumi.Input[str]
    backlog_objects: int = 1_000
    backlog_minutes: int = 15
    tags: dict[str, str] = field(default_factory=dict)


def endpoint(domain: str) -> str:
    return f"s3.{domain}"


class DrLink(pulumi.ComponentResource):
    """``peering_connection_id``, ``primary_provider`` (the primary Region's provider), ``alarm_name``."""

    def __init__(self, name: str, args: DrLinkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("rustfs:dr:DrLink", name, None, opts)
        self._name, self._args = name, args
        a = args
        child = pulumi.ResourceOptions(parent=self)
        self.primary_provider = aws.Provider(
            f"{name}-primary-region", region=a.primary_region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=a.tags), opts=child)
        there = pulumi.ResourceOptions(parent=self, provider=self.primary_provider)

        self.peering = aws.ec2.VpcPeeringConnection(
            f"{name}-peering", vpc_id=a.vpc_id, peer_vpc_id=a.primary_vpc_id, peer_region=a.primary_region,
            auto_accept=False, tags=self._tags(f"{a.name}-to-primary", {"Side": "requester"}), opts=child)
        self.accepter = aws.ec2.VpcPeeringConnectionAccepter(
            f"{name}-peering-accepter", vpc_peering_connection_id=self.peering.id, auto_accept=True,
            tags=self._tags(f"{a.name}-to-primary", {"Side": "accepter"}), opts=there)
        connection = self.accepter.id  # what routes and options name: the connection, once accepted
        aws.ec2.PeeringConnectionOptions(
            f"{name}-peering-requester-options", vpc_peering_connection_id=connection,
            requester=aws.ec2.PeeringConnectionOptionsRequesterArgs(allow_remote_vpc_dns_resolution=True),
            opts=child)
        aws.ec2.PeeringConnectionOptions(
            f"{name}-peering-accepter-options", vpc_peering_connection_id=connection,
            accepter=aws.ec2.PeeringConnectionOptionsAccepterArgs(allow_remote_vpc_dns_resolution=True),
            opts=there)

        for i, table in enumerate(a.private_route_table_ids):
            aws.ec2.Route(f"{name}-to-primary-{i}", route_table_id=table,
                          destination_cidr_block=a.primary_vpc_cidr, vpc_peering_connection_id=connection, opts=child)

        self._names(child, there)
        for i, cidr in enumerate(a.private_subnet_cidrs):  # the primary's rules toward this cluster's subnets
            self._rules(f"primary-from-dr-{i}", cidr, a.primary_node_security_group_id,
                        a.primary_load_balancer_security_group_id, "this DR secondary", there)
        pulumi.Output.all(a.primary_route_table_ids, a.primary_private_subnet_cidrs).apply(
            lambda v: self._per_primary_subnet(list(v[0]), list(v[1]), connection, child, there))
        self.alarm_name = self._backlog_alarm(there)
        self.peering_connection_id: pulumi.Output[str] = self.peering.id
        self.register_outputs({"peeringConnectionId": self.peering.id, "alarmName": self.alarm_name})

    def _tags(self, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return resource_tags(self._args.tags, name, self._args.stack, extra)

    def _names(self, child: pulumi.ResourceOptions, there: pulumi.ResourceOptions) -> None:
        """The primary's endpoint in this VPC, this endpoint in the primary's VPC (zones of this stack)."""
        a, name = self._args, self._name
        primary_zone = aws.route53.Zone(
            f"{name}-primary-names", name=a.primary_domain, force_destroy=True,
            comment=pulumi.Output.concat("The DR primary's S3 endpoint as ", a.name, " resolves it"),
            vpcs=[aws.route53.ZoneVpcArgs(vpc_id=a.vpc_id, vpc_region=a.region)],
            tags=self._tags(f"{a.name}-primary-names"), opts=child)
        aws.route53.Record(f"{name}-primary-endpoint", zone_id=primary_zone.zone_id,
                           name=pulumi.Output.concat("s3.", a.primary_domain), type="CNAME", ttl=RECORD_TTL,
                           records=[a.primary_load_balancer_dns_name], opts=pulumi.ResourceOptions(parent=primary_zone))
        own_zone = aws.route53.Zone(
            f"{name}-names-for-primary", name=a.domain, force_destroy=True,
            comment=f"{a.name}'s S3 endpoint as its DR primary resolves it",
            vpcs=[aws.route53.ZoneVpcArgs(vpc_id=a.primary_vpc_id, vpc_region=a.primary_region)],
            tags=self._tags(f"{a.name}-names-for-primary"), opts=child)
        aws.route53.Record(f"{name}-endpoint-for-primary", zone_id=own_zone.zone_id, name=endpoint(a.domain),
                           type="CNAME", ttl=RECORD_TTL, records=[a.load_balancer_dns_name],
                           opts=pulumi.ResourceOptions(parent=own_zone))

    def _rules(self, key: str, cidr: pulumi.Input[str], nodes_sg: pulumi.Input[str], lb_sg: pulumi.Input[str],
               whom: str, opts: pulumi.ResourceOptions) -> None:
        """Port 9000 with one private subnet of the other cluster: the nodes in and out, the load balancer in."""
        a, name = self._args, self._name
        common = {"ip_protocol": "tcp", "from_port": S3_PORT, "to_port": S3_PORT, "cidr_ipv4": cidr}
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-{key}-nodes-in", security_group_id=nodes_sg, tags=self._tags(f"{a.name}-{key}-nodes-in"),
            description=f"RustFS site replication from {whom}", opts=opts, **common)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-{key}-nodes-out", security_group_id=nodes_sg, tags=self._tags(f"{a.name}-{key}-nodes-out"),
            description=f"RustFS site replication to {whom}", opts=opts, **common)
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-{key}-lb-in", security_group_id=lb_sg, tags=self._tags(f"{a.name}-{key}-lb-in"),
            description=f"S3 endpoint for {whom}'s site replication", opts=opts, **common)

    def _per_primary_subnet(self, tables: list[str], cidrs: list[str], connection: pulumi.Output[str],
                            child: pulumi.ResourceOptions, there: pulumi.ResourceOptions) -> None:
        a = self._args
        for i, table in enumerate(tables):
            aws.ec2.Route(f"{self._name}-from-primary-{i}", route_table_id=table, destination_cidr_block=a.vpc_cidr,
                          vpc_peering_connection_id=connection, opts=there)
        for i, cidr in enumerate(cidrs):  # this cluster's rules toward the primary's subnets
            self._rules(f"dr-from-primary-{i}", cidr, a.node_security_group_id, a.load_balancer_security_group_id,
                        "the DR primary", child)

    def _backlog_alarm(self, there: pulumi.ResourceOptions) -> pulumi.Output[str]:
        a = self._args
        rustfs_metrics.emitted(BACKLOG_METRIC)  # raises unless RustFS emits it at the pinned tag
        periods = a.backlog_minutes // 5
        alarm_name = f"{a.name}-replication-backlog"
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-replication-backlog", name=alarm_name,
            alarm_description=(
                f"The DR primary has had more than {a.backlog_objects} objects queued for or failed toward "
                f"replication on its busiest node for {a.backlog_minutes} minutes: the secondary {a.name} falls "
                "behind, and a failover now would lose what is queued. Check the peering connection and both "
                "clusters' health, then GET /rustfs/admin/v3/site-replication/status on the primary (docs/dr.md, "
                "Site replication)."),
            namespace=a.primary_metric_namespace, metric_name=BACKLOG_METRIC,
            dimensions={"ClusterId": a.primary_cluster_id}, statistic="Maximum", period=BACKLOG_PERIOD,
            evaluation_periods=periods, datapoints_to_alarm=periods, threshold=a.backlog_objects,
            comparison_operator="GreaterThanThreshold",
            # No data is no backlog report: the primary's own not-reporting alarms cover a silent cluster.
            treat_missing_data="notBreaching", alarm_actions=[a.primary_alarm_topic_arn],
            ok_actions=[a.primary_alarm_topic_arn], actions_enabled=True, tags=self._tags(alarm_name), opts=there)
        return alarm.name
