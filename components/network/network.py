"""The production VPC: private subnets per AZ, NAT, endpoints, flow logs, a closed default SG."""

import json
from dataclasses import dataclass, field
from enum import StrEnum

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.network.subnets import plan_subnets
from rustfs_aws.tagging import resource_tags
from rustfs_model.aws_repositories import repository_buckets

# Interface endpoints a private storage node needs: Session Manager (ssm, ssmmessages, ec2messages),
# its own EC2/Route 53-free take-over calls (ec2), secrets and keys (secretsmanager, kms), telemetry
# (logs, monitoring, and xray for the node collector's traces: observability/collector.py) and role credentials
# (sts).
INTERFACE_ENDPOINT_SERVICES = ("ssm", "ssmmessages", "ec2messages", "ec2", "kms", "logs", "monitoring",
                               "secretsmanager", "sts", "xray")
GATEWAY_ENDPOINT_SERVICES = ("s3",)  # the S3 gateway of ``_endpoints``: package repositories, RustFS tiers


class NatGateways(StrEnum):
    """How the private subnets reach the internet."""

    SINGLE = "single"
    """One NAT gateway, in the first AZ, for every private subnet: cheaper, but an outage of that AZ cuts the
    other AZs' egress too."""
    PER_AZ = "perAz"
    """One NAT gateway per AZ, each private subnet routed through its own AZ's: egress survives an AZ outage."""
    NONE = "none"
    """No NAT gateway: the private subnets reach AWS only through the VPC endpoints (no public subnets unless
    ``publicSubnets``)."""


@dataclass
class NetworkArgs:
    """Inputs of ``Network``."""

    cidr: str
    """The VPC's IPv4 CIDR block. It is cut into eight equal blocks: one private subnet per AZ, one block
    left free, one cut again into the small public subnets; a /24 is the smallest that still leaves public
    subnets of AWS's minimum /28."""
    azs: list[str]
    """This account's names of the stack's Availability Zones (``us-east-1a``), in order, 1 to
    6 (``subnets.MAX_AZS``): one private subnet (and, when needed, one public subnet) in each."""
    nat_gateways: NatGateways
    """How the private subnets reach the internet: ``single``, ``perAz`` or ``none``."""
    region: str
    """The AWS Region of the VPC (``us-east-1``): names the endpoint services and scopes the flow-log role."""
    account_id: pulumi.Input[str]
    """The AWS account ID: the S3 gateway endpoint admits only this account's principals to its buckets, and
    the flow-log role trusts VPC Flow Logs only on its behalf."""
    partition: pulumi.Input[str]
    """The AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``) of the ARNs the policies name."""
    flow_log_kms_key_arn: pulumi.Input[str]
    """ARN of the KMS key that encrypts the flow-log group (``Keys``' ``logs`` key, whose policy only serves
    log groups under ``logGroupPrefix``)."""
    flow_log_retention_days: int
    """Days CloudWatch Logs keeps the VPC flow logs (one of the values CloudWatch Logs accepts, e.g. 90)."""
    log_group_prefix: str
    """Prefix of the flow-log group's name (``Keys``' ``logGroupPrefix``): the logs key serves only groups
    under it."""
    public_subnets: bool | None = False
    """Also create public subnets without NAT (an internet-facing load balancer needs them); NAT gateways
    always get them."""
    permissions_boundary_arn: pulumi.Input[str] | None = None
    """ARN of the permissions boundary the flow-log role carries (``Iam``'s ``permissionsBoundaryArn``)."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on every resource, next to each one's ``Name``."""
    az_ids: list[str] | None = field(default_factory=list)
    """The AZ IDs (``use1-az1``) of ``azs``, in the same order: reported as the ``azIds`` output; the same
    physical zones in every account, unlike the names."""


class Network(pulumi.ComponentResource):
    """The VPC of a RustFS cluster: private subnets per AZ, NAT, the S3 gateway and interface endpoints
    (with a data perimeter on S3), flow logs to an encrypted log group, a default security group closed."""

    vpc_id: pulumi.Output[str]
    """The VPC's ID."""
    vpc_cidr: str
    """The VPC's IPv4 CIDR block (the ``cidr`` input)."""
    azs: list[str]
    """The AZ names the subnets are in, in order (the ``azs`` input)."""
    az_ids: list[str]
    """The AZ IDs of ``azs``, same order (the ``azIds`` input)."""
    private_subnet_ids: list[pulumi.Output[str]]
    """IDs of the private subnets, one per AZ in the order of ``azs``: the nodes and the internal load
    balancer go there."""
    public_subnet_ids: list[pulumi.Output[str]]
    """IDs of the public subnets, one per AZ, in the order of ``azs`` (empty without NAT and
    ``publicSubnets``)."""
    public_route_table_id: pulumi.Output[str] | None
    """ID of the public subnets' route table (unset without public subnets)."""
    internet_gateway_id: pulumi.Output[str] | None
    """ID of the VPC's internet gateway (unset without public subnets); a CloudFront VPC origin needs one attached
    (edge/origin.py)."""
    private_route_table_ids: list[pulumi.Output[str]]
    """IDs of the private route tables, one per AZ in the order of ``azs``."""
    endpoint_security_group_id: pulumi.Output[str]
    """ID of the interface endpoints' security group (HTTPS from the VPC's CIDR)."""
    s3_endpoint_id: pulumi.Output[str]
    """ID of the S3 gateway endpoint (``vpce-...``). S3 puts it in every request through the endpoint as
    ``aws:SourceVpce``, so a policy can admit only requests that come through it (the RustFS tier user)."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(NetworkArgs, args)
        super().__init__("rustfs:network:Network", name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)

        self.azs = list(args.azs)
        self.az_ids = list(args.az_ids)
        needs_public = args.public_subnets or args.nat_gateways != "none"
        plan = plan_subnets(args.cidr, len(self.azs), public=needs_public)

        self.vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=args.cidr, enable_dns_support=True,
                               enable_dns_hostnames=True, tags=self._tags(f"{name}-vpc"), opts=child)
        vpc_opts = pulumi.ResourceOptions(parent=self.vpc)
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc.id, ingress=[], egress=[],
                                     tags=self._tags(f"{name}-default-sg-closed"), opts=vpc_opts)

        self.private_subnets = [
            aws.ec2.Subnet(f"{name}-private-{i}", vpc_id=self.vpc.id, cidr_block=cidr,
                           availability_zone=az, map_public_ip_on_launch=False,
                           tags=self._tags(f"{name}-private-{az}", {"rustfs:tier": "private"}), opts=vpc_opts)
            for i, (az, cidr) in enumerate(zip(self.azs, plan.private, strict=True))
        ]
        self.public_subnets = [
            aws.ec2.Subnet(f"{name}-public-{i}", vpc_id=self.vpc.id, cidr_block=cidr,
                           availability_zone=az, map_public_ip_on_launch=False,
                           tags=self._tags(f"{name}-public-{az}", {"rustfs:tier": "public"}), opts=vpc_opts)
            for i, (az, cidr) in enumerate(zip(self.azs[: len(plan.public)], plan.public, strict=True))
        ]
        self.internet_gateway_id = None  # set by _public_routing
        self.public_route_table_id = self._public_routing(vpc_opts) if needs_public else None
        nat_ids = self._nat_gateways(vpc_opts)
        self.private_route_tables = self._private_routing(nat_ids, vpc_opts)
        self.endpoint_security_group = self._endpoints(vpc_opts)
        self.flow_log = self._flow_logs(child)

        self.vpc_id = self.vpc.id
        self.vpc_cidr = args.cidr
        self.private_subnet_ids = [s.id for s in self.private_subnets]
        self.public_subnet_ids = [s.id for s in self.public_subnets]
        self.private_route_table_ids = [rt.id for rt in self.private_route_tables]
        self.endpoint_security_group_id = self.endpoint_security_group.id
        self.s3_endpoint_id = self.s3_endpoint.id
        self.register_outputs({
            "vpcId": self.vpc.id,
            "vpcCidr": args.cidr,
            "azs": self.azs,
            "azIds": self.az_ids,
            "privateSubnetIds": dict(zip(self.azs, self.private_subnet_ids, strict=True)),
            "publicSubnetIds": dict(zip(self.azs, self.public_subnet_ids, strict=False)),
            "privateRouteTableIds": [rt.id for rt in self.private_route_tables],
            "publicRouteTableId": self.public_route_table_id,
            "endpointSecurityGroupId": self.endpoint_security_group.id,
            "s3EndpointId": self.s3_endpoint.id,
        })

    def _tags(self, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return resource_tags(self._args.tags, name, extra=extra)

    def _public_routing(self, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
        name = self._name
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags=self._tags(f"{name}-igw"),
                                      opts=opts)
        self.internet_gateway_id = igw.id
        table = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=self.vpc.id,
                                   tags=self._tags(f"{name}-public"), opts=opts)
        aws.ec2.Route(f"{name}-public-default", route_table_id=table.id, destination_cidr_block="0.0.0.0/0",
                      gateway_id=igw.id, opts=pulumi.ResourceOptions(parent=table))
        for i, subnet in enumerate(self.public_subnets):
            aws.ec2.RouteTableAssociation(f"{name}-public-{i}", subnet_id=subnet.id, route_table_id=table.id,
                                          opts=pulumi.ResourceOptions(parent=table))
        return table.id

    def _nat_gateways(self, opts: pulumi.ResourceOptions) -> list[pulumi.Output[str]]:
        """One NAT per AZ (perAz), one in the first AZ (single) or none; returns the NAT id per AZ."""
        mode = self._args.nat_gateways
        if mode == "none":
            return []
        count = len(self.azs) if mode == "perAz" else 1
        ids = []
        for i in range(count):
            az = self.azs[i]
            eip = aws.ec2.Eip(f"{self._name}-nat-{i}", domain="vpc", tags=self._tags(f"{self._name}-nat-{az}"),
                              opts=opts)
            nat = aws.ec2.NatGateway(f"{self._name}-nat-{i}", allocation_id=eip.id,
                                     subnet_id=self.public_subnets[i].id, connectivity_type="public",
                                     tags=self._tags(f"{self._name}-nat-{az}"), opts=opts)
            ids.append(nat.id)
        return [ids[i] if mode == "perAz" else ids[0] for i in range(len(self.azs))]

    def _private_routing(self, nat_ids: list[pulumi.Output[str]],
                         opts: pulumi.ResourceOptions) -> list[aws.ec2.RouteTable]:
        tables = []
        for i, (az, subnet) in enumerate(zip(self.azs, self.private_subnets, strict=True)):
            table = aws.ec2.RouteTable(f"{self._name}-private-rt-{i}", vpc_id=self.vpc.id,
                                       tags=self._tags(f"{self._name}-private-{az}"), opts=opts)
            table_opts = pulumi.ResourceOptions(parent=table)
            if nat_ids:
                aws.ec2.Route(f"{self._name}-private-default-{i}", route_table_id=table.id,
                              destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat_ids[i], opts=table_opts)
            aws.ec2.RouteTableAssociation(f"{self._name}-private-{i}", subnet_id=subnet.id,
                                          route_table_id=table.id, opts=table_opts)
            tables.append(table)
        return tables

    def _endpoints(self, opts: pulumi.ResourceOptions) -> aws.ec2.SecurityGroup:
        name, region = self._name, self._args.region
        s3_policy = pulumi.Output.all(self._args.account_id, self._args.partition).apply(
            lambda v: json.dumps(s3_endpoint_policy(account_id=v[0], partition=v[1], region=region)))
        self.s3_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-s3", vpc_id=self.vpc.id, service_name=f"com.amazonaws.{region}.s3", vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for t in self.private_route_tables], policy=s3_policy, tags=self._tags(f"{name}-s3"),
            opts=opts)
        sg = aws.ec2.SecurityGroup(f"{name}-endpoints", vpc_id=self.vpc.id,
                                   description="HTTPS from inside the VPC to interface endpoints",
                                   tags=self._tags(f"{name}-endpoints"), opts=opts)
        aws.vpc.SecurityGroupIngressRule(f"{name}-endpoints-https", security_group_id=sg.id,
                                         cidr_ipv4=self._args.cidr, ip_protocol="tcp", from_port=443,
                                         to_port=443, description="HTTPS from the VPC",
                                         tags=self._tags(f"{name}-endpoints-https"),
                                         opts=pulumi.ResourceOptions(parent=sg))
        for service in INTERFACE_ENDPOINT_SERVICES:
            aws.ec2.VpcEndpoint(f"{name}-{service}", vpc_id=self.vpc.id,
                                service_name=f"com.amazonaws.{region}.{service}", vpc_endpoint_type="Interface",
                                private_dns_enabled=True, subnet_ids=[s.id for s in self.private_subnets],
                                security_group_ids=[sg.id], tags=self._tags(f"{name}-{service}"), opts=opts)
        return sg

    def _flow_logs(self, opts: pulumi.ResourceOptions) -> aws.ec2.FlowLog:
        name, args = self._name, self._args
        group = aws.cloudwatch.LogGroup(f"{name}-flow-logs", name=f"{args.log_group_prefix}vpc-flow-logs",
                                        retention_in_days=args.flow_log_retention_days,
                                        kms_key_id=args.flow_log_kms_key_arn,
                                        tags=self._tags(f"{name}-flow-logs"), opts=opts)
        trust = pulumi.Output.all(args.account_id, args.partition).apply(
            lambda v: json.dumps(flow_log_trust_policy(account_id=v[0], partition=v[1], region=args.region)))
        role = aws.iam.Role(f"{name}-flow-logs", assume_role_policy=trust,
                            description="Lets VPC Flow Logs write to this VPC's log group",
                            permissions_boundary=args.permissions_boundary_arn,
                            tags=self._tags(f"{name}-flow-logs"), opts=opts)
        aws.iam.RolePolicy(f"{name}-flow-logs", role=role.id,
                           policy=group.arn.apply(lambda arn: json.dumps(flow_log_write_policy(arn))),
                           opts=pulumi.ResourceOptions(parent=role))
        return aws.ec2.FlowLog(f"{name}-flow-log", vpc_id=self.vpc.id, traffic_type="ALL",
                               log_destination_type="cloud-watch-logs", log_destination=group.arn,
                               iam_role_arn=role.arn, max_aggregation_interval=60,
                               tags=self._tags(f"{name}-flow-log"), opts=opts)


def flow_log_trust_policy(*, account_id: str, partition: str, region: str) -> dict:
    """Only VPC Flow Logs acting for this account may assume the role (confused-deputy guard, AWS VPC
    User Guide "IAM role for publishing flow logs to CloudWatch Logs")."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:ec2:{region}:{account_id}:vpc-flow-log/*"},
            },
        }],
    }


def flow_log_write_policy(log_group_arn: str) -> dict:
    """Write to this one log group. The group is created by Pulumi, so CreateLogGroup is not granted."""
    group = log_group_arn.removesuffix(":*")
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "WriteFlowLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [group, f"{group}:*"],
        }],
    }


# What the cluster does with S3 through the gateway: RustFS remote tiers and our own buckets. A RustFS S3 tier reads
# the bucket's versioning before each transition (crates/ecstore/src/services/tier/warm_backend_s3.rs
# remote_bucket_versioning: GetBucketVersioning), so the perimeter lets that through too.
S3_OBJECT_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject",
                     "s3:DeleteObjectVersion", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
                     "s3:GetObjectTagging", "s3:PutObjectTagging", "s3:RestoreObject", "s3:ListBucket",
                     "s3:ListBucketVersions", "s3:ListBucketMultipartUploads", "s3:GetBucketLocation",
                     "s3:GetBucketVersioning"]


def aws_owned_buckets(region: str, partition: str) -> list[str]:
    """Object ARNs of the AWS-owned repositories the nodes read unsigned (rustfs_model.aws_repositories)."""
    return [f"arn:{partition}:s3:::{name}/*" for name in repository_buckets(region)]


def s3_endpoint_policy(*, account_id: str, partition: str, region: str) -> dict:
    """A data perimeter on the S3 gateway: this account's principals, to this account's buckets, plus reads of
    the AWS-owned repositories the nodes install from. Without a policy AWS allows any principal anything.

    The repository reads carry no principal condition: dnf and SSM Agent send them unsigned, and an unsigned
    request has no aws:PrincipalAccount (IAM User Guide, "AWS global condition context keys"), so the earlier
    `aws:PrincipalAccount` condition refused every package download. They stay limited to s3:GetObject on
    exactly those buckets, as in AWS's data-perimeter example (aws-samples/data-perimeter-policy-examples,
    s3_endpoint_policy.json, "AllowRequestsToAWSOwnedResources"); reading AWS's public repositories discloses
    nothing of ours, and no write or list passes for an unsigned caller."""
    own = {"StringEquals": {"aws:PrincipalAccount": account_id, "aws:ResourceAccount": account_id}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "OwnPrincipalsToOwnBuckets", "Effect": "Allow", "Principal": "*", "Action": S3_OBJECT_ACTIONS,
             "Resource": "*", "Condition": own},
            {"Sid": "UnsignedReadsOfAwsRepositories", "Effect": "Allow", "Principal": "*",
             "Action": "s3:GetObject", "Resource": aws_owned_buckets(region, partition)},
        ],
    }
