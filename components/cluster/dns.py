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

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

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
    domain: str
    vpc_id: pulumi.Input[str]
    node_names: list[str]  # fully qualified, from rustfs_model.layout.node_name
    force_destroy: bool = False  # dev: `pulumi destroy` removes records written by the nodes too
    tags: dict[str, str] = field(default_factory=dict)


class ClusterDns(pulumi.ComponentResource):
    """``zone_id``, ``zone_arn``, ``node_records`` (name -> Record). Endpoint aliases come later through
    ``alias_load_balancer`` once the load balancer exists."""

    def __init__(self, name: str, args: DnsArgs, opts: pulumi.ResourceOptions | None = None):
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
