"""The cluster's private DNS: a Route 53 private hosted zone holding one A record per node and the endpoints.

Node identity is a DNS name, not a fixed network interface. Why (the alternative, rejected): an Auto Scaling
group cannot launch an instance onto an existing ENI as its primary interface (a launch template used by an
ASG may not name a network interface id), so a "fixed ENI" would have to be attached at boot as a *second*
interface - a second IP in the same subnet, with source-based policy routing on the instance and RustFS bound
to that address, and a window in which the instance answers on the wrong address. A DNS record costs none of
that: the take-over step of a replacement node UPSERTs its own record (TTL 30 s) before RustFS starts, and
peers resolve the name again when they reconnect. RustFS only needs the *name* to stay stable
(rustfs/rustfs issue #7974: a hostname change after format gives InconsistentDisk).
"""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.tagging import resource_tags

NODE_RECORD_TTL = 30  # seconds; the take-over script writes the same TTL (takeover.py --record-ttl)
# RFC 5737 documentation address: what a node's record holds from `pulumi up` until that node's first
# take-over replaces it with the instance's private IP. Nothing listens there, so a peer that resolves
# the name too early fails fast and retries instead of reaching a wrong host.
UNCLAIMED_NODE_ADDRESS = "192.0.2.1"


def endpoint_name(domain: str) -> str:
    """The S3 endpoint (path-style); ``*.<endpoint>`` serves virtual-hosted-style bucket names."""
    return f"s3.{domain.strip('.')}"


def console_name(domain: str) -> str:
    return f"console.{domain.strip('.')}"


@dataclass
class DnsArgs:
    """Inputs of ``ClusterDns``."""

    domain: str
    """The private hosted zone's domain (``rustfs.internal``): node names and the S3 endpoint live below it."""
    vpc_id: pulumi.Input[str]
    """ID of the VPC the private zone is associated with."""
    node_names: list[str]
    """Fully qualified names of the nodes (``rustfs-1.<domain>``, ``rustfs_model.layout.node_name``): one A
    record each, whose address the node itself writes at boot."""
    force_destroy: bool | None = False
    """``pulumi destroy`` also deletes records the nodes wrote (dev); otherwise the zone must be empty."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on the zone, next to its ``Name``."""


class ClusterDns(pulumi.ComponentResource):
    """The cluster's private DNS: a Route 53 private hosted zone with one A record per node, which a node
    (or its replacement) points at itself at boot. In Python also ``node_records`` (name -> Record); the
    endpoint aliases come later through ``alias_load_balancer`` once the load balancer exists."""

    zone_id: pulumi.Output[str]
    """ID of the private hosted zone."""
    zone_arn: pulumi.Output[str]
    """ARN of the private hosted zone (the node role's record writes are scoped to it)."""

    def __init__(self, name: str, args: DnsArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(DnsArgs, args)
        super().__init__("rustfs:cluster:Dns", name, None, opts)
        self._name = name
        self._args = args
        self.zone = aws.route53.Zone(
            f"{name}-zone", name=args.domain, comment=f"RustFS node names and endpoints ({args.domain})",
            vpcs=[aws.route53.ZoneVpcArgs(vpc_id=args.vpc_id)], force_destroy=args.force_destroy,
            tags=resource_tags(args.tags, args.domain), opts=pulumi.ResourceOptions(parent=self))
        zone_opts = pulumi.ResourceOptions(parent=self.zone)
        self.node_records: dict[str, aws.route53.Record] = {}
        for node in args.node_names:
            short = node.split(".")[0]
            # Pulumi owns that the record exists (and deletes it with the stack); the node owns its value.
            self.node_records[node] = aws.route53.Record(
                f"{name}-{short}", zone_id=self.zone.zone_id, name=node, type="A", ttl=NODE_RECORD_TTL,
                records=[UNCLAIMED_NODE_ADDRESS],
                opts=pulumi.ResourceOptions.merge(zone_opts, pulumi.ResourceOptions(ignore_changes=["records"])))
        self.zone_id: pulumi.Output[str] = self.zone.zone_id
        self.zone_arn: pulumi.Output[str] = self.zone.arn
        self.register_outputs({"zoneId": self.zone_id, "nodeNames": args.node_names})

    def alias_load_balancer(self, names: list[str], dns_name: pulumi.Input[str],
                            zone_id: pulumi.Input[str]) -> list[aws.route53.Record]:
        """A alias records from ``names`` (e.g. the S3 endpoint and its wildcard) to the load balancer."""
        records = []
        for fqdn in names:
            label = fqdn.replace("*", "wildcard").split(f".{self._args.domain}")[0].replace(".", "-")
            records.append(aws.route53.Record(
                f"{self._name}-{label}", zone_id=self.zone.zone_id, name=fqdn, type="A",
                aliases=[aws.route53.RecordAliasArgs(name=dns_name, zone_id=zone_id,
                                                     evaluate_target_health=True)],
                opts=pulumi.ResourceOptions(parent=self.zone)))
        return records
