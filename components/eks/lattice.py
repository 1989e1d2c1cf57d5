"""Sharing the S3 endpoint across VPCs and accounts through Amazon VPC Lattice (``eks.lattice``, optional).

App Mesh, the mesh AWS offered for this, was discontinued on 2026-09-30; AWS names VPC Lattice as its successor
(shared/reference/aws.md). RustFS's S3 endpoint is TLS over TCP 9000, end to end to the pods (workload.py).

Design: a **VPC resource**, not a Lattice service. A resource gateway in the stack's private subnets, one
resource configuration of type SINGLE whose resource is the internal NLB of the S3 Service by its DNS name
(``status.loadBalancer.ingress[0].hostname``, which the AWS Load Balancer Controller fills in and
pulumi-kubernetes waits for), TCP on port 9000 only, with a custom domain name (``s3.<cluster.domain>`` by
default, in the pods' certificate), and an association of that configuration with a service network - one of
the stack's (``createServiceNetwork``) or an existing one (``serviceNetworkId``). VPCs associated with the
service network reach ``https://<domain>:9000``; Lattice carries the TCP bytes, the NLB balances them over the
pods, TLS stays between client and RustFS (VPC Lattice User Guide, "Resource configurations for VPC resources":
TCP resources by DNS name, IP or ARN; "Resource gateways in VPC Lattice": the gateway does no load balancing,
the resource sees the gateway's IPs as sources).

Rejected: a Lattice **service** with a TLS_PASSTHROUGH listener. Its target groups hold instances, IPs, Lambda
functions or ALBs (VPC Lattice User Guide, "Target groups"), not an NLB: the targets would be the pods' IPs,
which change with every restart and would need a controller (the AWS Gateway API Controller) to track them,
next to the NLB the Service already has. The resource configuration reuses the NLB's targets and health
checks and needs nothing at run time.

Access: the service network's auth policy does not apply to resource configurations (VPC Lattice User Guide,
"Control access to VPC Lattice services using auth policies", note), so who reaches the endpoint is decided by
which VPCs are associated with the service network, whom it is shared with (RAM, ``allowedPrincipals``), the
resource gateway's security group (egress to the NLB's subnets on 9000 only: its rules govern traffic from the
gateway to the resource, "Resource gateways", "Security groups") and the workload's NetworkPolicy (the gateway's
subnets on 9000) - and then by RustFS itself, which authenticates every S3 request (SigV4). A service network
the stack creates still uses ``AWS_IAM`` with an auth policy limited to the stack's and the allowed accounts,
so a Lattice *service* someone adds to it later is not open to every associated VPC.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.tagging import resource_tags

S3_PORT = 9000


@dataclass
class S3LatticeArgs:
    name: str  # StackConfig.name: the prefix of every physical name
    stack: str
    account_id: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]  # the private subnets, one per AZ (the gateway spans them)
    subnet_cidrs: list[pulumi.Input[str]]  # their CIDRs: where the NLB's addresses are
    target_hostname: pulumi.Input[str]  # the S3 Service's NLB DNS name
    domain_name: str  # the custom domain consumers use; in the pods' certificate
    service_network_id: str | None = None  # an existing service network (id or ARN)
    create_service_network: bool = False
    allowed_principals: list[str] = field(default_factory=list)  # accounts the created network is shared with
    tags: dict[str, str] = field(default_factory=dict)


def auth_policy(account_ids: list[str]) -> dict:
    """The created service network's auth policy: requests signed by principals of these accounts only."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "StackAndAllowedAccountsOnly", "Effect": "Allow", "Principal": "*",
        "Action": "vpc-lattice-svcs:Invoke", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": sorted(set(account_ids))}}}]}


class S3Lattice(pulumi.ComponentResource):
    """Outputs: ``resource_configuration_arn``, ``service_network_id`` (created or given), ``domain_name``."""

    def __init__(self, name: str, args: S3LatticeArgs, opts: pulumi.ResourceOptions | None = None):
        if bool(args.service_network_id) == bool(args.create_service_network):
            raise ValueError("S3Lattice: give exactly one of service_network_id and create_service_network")
        if args.allowed_principals and not args.create_service_network:
            raise ValueError("S3Lattice: allowed_principals shares a service network the stack creates; an "
                             "existing one is shared by its owner")
        super().__init__("rustfs:eks:S3Lattice", name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{name}-gateway", name=f"{args.name}-lattice-gateway", vpc_id=args.vpc_id,
            description=f"rustfs {args.stack}: VPC Lattice resource gateway to the S3 NLB on {S3_PORT}",
            tags=self._tags(f"{args.name}-lattice-gateway"), opts=child)
        # Only egress matters: a resource gateway's rules govern what it sends to the resource. No ingress rule.
        for i, cidr in enumerate(args.subnet_cidrs):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-gateway-to-nlb-{i}", security_group_id=group.id, cidr_ipv4=cidr, ip_protocol="tcp",
                from_port=S3_PORT, to_port=S3_PORT, description="S3 over TLS to the NLB's address in this subnet",
                tags=self._tags(f"{args.name}-lattice-gateway-to-nlb-{i}"),
                opts=pulumi.ResourceOptions(parent=group))
        gateway = aws.vpclattice.ResourceGateway(
            f"{name}-gateway", name=f"{args.name}-s3", vpc_id=args.vpc_id, subnet_ids=args.subnet_ids,
            security_group_ids=[group.id], ip_address_type="IPV4",
            # The NLB's name resolves through the VPC's resolver as clients in the VPC would.
            resource_config_dns_resolution="IN_VPC", tags=self._tags(f"{args.name}-s3"), opts=child)
        self.resource_configuration = aws.vpclattice.ResourceConfiguration(
            f"{name}-s3", name=f"{args.name}-s3", type="SINGLE", resource_gateway_identifier=gateway.id,
            protocol="TCP", port_ranges=[str(S3_PORT)], custom_domain_name=args.domain_name,
            resource_configuration_definition=aws.vpclattice.ResourceConfigurationResourceConfigurationDefinitionArgs(
                dns_resource=aws.vpclattice.ResourceConfigurationResourceConfigurationDefinitionDnsResourceArgs(
                    domain_name=args.target_hostname, ip_address_type="IPV4")),
            tags=self._tags(f"{args.name}-s3"), opts=child)
        network_id: pulumi.Input[str] = args.service_network_id or ""
        if args.create_service_network:
            network = self._service_network()
            network_id = network.id
        aws.vpclattice.ServiceNetworkResourceAssociation(
            f"{name}-s3-association", resource_configuration_identifier=self.resource_configuration.id,
            service_network_identifier=network_id, private_dns_enabled=True,
            tags=self._tags(f"{args.name}-s3"), opts=child)
        self.service_network_id = pulumi.Output.from_input(network_id)
        self.domain_name = args.domain_name
        self.resource_configuration_arn = self.resource_configuration.arn
        self.register_outputs({"resourceConfigurationArn": self.resource_configuration.arn,
                               "serviceNetworkId": self.service_network_id, "domainName": args.domain_name})

    def _service_network(self) -> aws.vpclattice.ServiceNetwork:
        a = self._args
        child = pulumi.ResourceOptions(parent=self)
        network = aws.vpclattice.ServiceNetwork(f"{self._name}-network", name=f"{a.name}-s3", auth_type="AWS_IAM",
                                                tags=self._tags(f"{a.name}-s3"), opts=child)
        accounts = pulumi.Output.from_input(a.account_id).apply(lambda own: [own, *a.allowed_principals])
        aws.vpclattice.AuthPolicy(f"{self._name}-network-auth", resource_identifier=network.arn,
                                  policy=accounts.apply(lambda ids: json.dumps(auth_policy(ids))),
                                  opts=pulumi.ResourceOptions(parent=network))
        if a.allowed_principals:
            # Within the organization only: RAM refuses a principal outside it (allow_external_principals off).
            share = aws.ram.ResourceShare(f"{self._name}-share", name=f"{a.name}-s3-lattice",
                                          allow_external_principals=False, tags=self._tags(f"{a.name}-s3-lattice"),
                                          opts=pulumi.ResourceOptions(parent=network))
            aws.ram.ResourceAssociation(f"{self._name}-share-network", resource_share_arn=share.arn,
                                        resource_arn=network.arn, opts=pulumi.ResourceOptions(parent=share))
            for principal in a.allowed_principals:
                aws.ram.PrincipalAssociation(f"{self._name}-share-{principal}", resource_share_arn=share.arn,
                                             principal=principal, opts=pulumi.ResourceOptions(parent=share))
        return network

    def _tags(self, name: str) -> dict[str, str]:
        return resource_tags(self._args.tags, name, self._args.stack)
