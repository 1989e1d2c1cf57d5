"""The edge's origin in the stack's Region: an internal Application Load Balancer in subnets of its own, terminating
CloudFront's TLS with a public ACM certificate and re-encrypting to the RustFS nodes.

Why an ALB, not the stack's S3 NLB (rejected): CloudFront's VPC origins cannot use a Network Load Balancer with a TLS
listener, nor a dual-stack NLB, and an NLB origin must have a security group (CloudFront Developer Guide, "Restrict
access with VPC origins", origin restrictions). The S3 NLB passes TCP through to RustFS's own certificates, issued by
the stack's private CA, and CloudFront checks an origin's certificate against the CAs Mozilla trusts and against
the origin's domain name, answering 502 otherwise ("Requirements for using SSL/TLS certificates with CloudFront").
Putting the public certificate on a TLS listener of the NLB is exactly what VPC origins refuse; putting it on the
nodes would need an exportable public certificate on every node next to the private one, and SNI selection in
RustFS. An ALB is a supported VPC origin, terminates TLS with an ACM certificate ("you can request or import the
certificate in any AWS Region" for an ELB origin) and does not validate its targets' certificates, so it
re-encrypts to RustFS's private-CA TLS on 9000 (ELB User Guide, "Target groups for your Application Load Balancers":
"the load balancer establishes TLS connections with the targets using certificates that you install on the targets.
The load balancer does not validate these certificates"). The S3 NLB and its clients are untouched.

What reaches it: only CloudFront. Its security group admits 443 from the CloudFront managed prefix list
``com.amazonaws.global.cloudfront.origin-facing`` (usable before the VPC origin exists), or, once set in
``edge.vpcOriginSecurityGroupId``, only from the ``CloudFront-VPCOrigins-Service-SG`` CloudFront creates with the
first VPC origin, which admits only this account's distributions ("Restrict access with VPC origins", security
group configuration: options 1 and 2). Its subnets are /27s of its own (settings.edge_subnets), holding nothing but
the load balancer and CloudFront's VPC-origin interfaces ("at least one available IPv4 address in your private
subnet"); their route table has only the VPC's local route. That is what the edge buckets' RustFS policy names as
the source (documents.edge_bucket_policy): the ALB talks to the nodes from its own addresses. The VPC itself must
have an internet gateway attached before CloudFront creates the VPC origin ("Restrict access with VPC origins",
prerequisites), though no edge traffic uses it: the stack's VPC always has one (network.natGateways none is refused),
and ``endpoint_arn`` makes the VPC origin wait for it.

Headers: the ALB removes X-Forwarded-For (``routing.http.xff_header_processing.mode`` remove; ELB User Guide,
"X-Forwarded headers"), drops invalid header fields and keeps CloudFront's Host, the origin domain name, which is a
RustFS server domain (path-style routing, distribution.py). Health check as the NLB's: HTTPS ``/health/ready`` on the
traffic port, 200 only. No access logs: ALB access logs are written SSE-S3 only, and the stack's logs bucket is
SSE-KMS; CloudFront's standard logs record every request that reaches this load balancer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.cluster.load_balancer import (
    DEREGISTRATION_DELAY_SECONDS,
    HEALTH_INTERVAL_SECONDS,
    HEALTH_PATH,
    HEALTH_TIMEOUT_SECONDS,
    HEALTHY_THRESHOLD,
    S3_PORT,
    TLS_POLICY,
    UNHEALTHY_THRESHOLD,
)
from rustfs_aws.component_args import component_args
from rustfs_aws.tagging import resource_tags

HTTPS_PORT = 443
ORIGIN_FACING_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
IDLE_TIMEOUT_SECONDS = 60  # CloudFront's origin keep-alive defaults to 5 s and its read timeout to 30 s


@dataclass
class EdgeOriginArgs:
    """Inputs of ``EdgeOrigin``."""

    name: str
    """The deployment's name (``rustfs-prod``): names the resources."""
    vpc_id: pulumi.Input[str]
    """The stack's VPC."""
    azs: list[str]
    """The stack's Availability Zones by name, one origin subnet each."""
    subnet_cidrs: list[str]
    """One /27 per AZ, in the order of ``azs`` (settings.edge_subnets)."""
    origin_domain_name: str
    """The public name CloudFront sends as SNI and Host and checks the certificate against."""
    internet_gateway_id: pulumi.Input[str] | None = None
    """The VPC's internet gateway (``Network.internet_gateway_id``): required. CloudFront creates a VPC origin only in
    a VPC with an internet gateway attached, though none of the origin's traffic uses it; ``endpoint_arn`` waits
    for it."""
    certificate_arn: str | None = None
    """An issued ACM certificate of the stack's Region for ``origin_domain_name``; unset: requested here and
    validated by DNS in ``hosted_zone_id``."""
    hosted_zone_id: str | None = None
    """Public Route 53 zone for the certificate's validation records (with no ``certificate_arn``)."""
    vpc_origin_security_group_id: str | None = None
    """CloudFront's ``CloudFront-VPCOrigins-Service-SG``: admitted instead of the origin-facing prefix list."""
    deletion_protection: bool | None = False
    """Refuse to delete the load balancer (prod)."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on every resource, next to each one's ``Name``."""


class EdgeOrigin(pulumi.ComponentResource):
    """The internal ALB CloudFront's VPC origin points at, in subnets of its own. In Python also ``allow_to_nodes``,
    the path to the RustFS nodes once their security group exists."""

    arn: pulumi.Output[str]
    """The load balancer's ARN."""
    endpoint_arn: pulumi.Output[str]
    """The same ARN once the VPC's internet gateway exists: what the VPC origin takes as its endpoint."""
    dns_name: pulumi.Output[str]
    """The load balancer's internal DNS name."""
    security_group_id: pulumi.Output[str]
    """Its security group: the nodes admit 9000 from it."""
    target_group_arn: pulumi.Output[str]
    """The HTTPS target group on 9000 the nodes' Auto Scaling groups register with."""
    subnet_cidrs: list[str]
    """The origin subnets: the source every edge request reaches RustFS from."""

    def __init__(self, name: str, args: EdgeOriginArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(EdgeOriginArgs, args)
        super().__init__("rustfs:edge:Origin", name, None, opts)
        if len(args.azs) != len(args.subnet_cidrs) or len(args.azs) < 2:
            raise ValueError("EdgeOrigin: one subnet CIDR per AZ, at least two AZs (an ALB spans two or more)")
        if not args.certificate_arn and not args.hosted_zone_id:
            raise ValueError("rustfs-aws:edge.originCertificateArn or edge.hostedZoneId: required")
        if args.internet_gateway_id is None:
            # CloudFront Developer Guide, "Restrict access with VPC origins", prerequisites: "Your VPC must have an
            # internet gateway attached" (it marks the VPC as able to receive internet traffic; the origin's traffic
            # never goes through it and no route changes).
            raise ValueError("EdgeOrigin: internet_gateway_id: a CloudFront VPC origin needs an internet gateway "
                             "attached to the VPC")
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        self.subnet_cidrs = list(args.subnet_cidrs)
        self.subnets = [
            aws.ec2.Subnet(f"{name}-subnet-{i}", vpc_id=args.vpc_id, cidr_block=cidr, availability_zone=az,
                           map_public_ip_on_launch=False,
                           tags=self._tags(f"{name}-{az}", {"rustfs:tier": "edge-origin"}), opts=child)
            for i, (az, cidr) in enumerate(zip(args.azs, args.subnet_cidrs, strict=True))]
        # A table of its own with the VPC's local route only: nothing here talks to the internet or leaves the VPC.
        table = aws.ec2.RouteTable(f"{name}-rt", vpc_id=args.vpc_id, tags=self._tags(f"{name}-rt"), opts=child)
        for i, subnet in enumerate(self.subnets):
            aws.ec2.RouteTableAssociation(f"{name}-rt-{i}", subnet_id=subnet.id, route_table_id=table.id,
                                          opts=pulumi.ResourceOptions(parent=table))
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=args.vpc_id, description="RustFS edge origin: HTTPS from CloudFront's VPC origin only",
            tags=self._tags(f"{name}-sg"), opts=child)
        self.security_group_id: pulumi.Output[str] = self.security_group.id
        self._admit_cloudfront()
        certificate_arn = args.certificate_arn or self._certificate()
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb", load_balancer_type="application", internal=True, subnets=[s.id for s in self.subnets],
            security_groups=[self.security_group.id], ip_address_type="ipv4", drop_invalid_header_fields=True,
            xff_header_processing_mode="remove", idle_timeout=IDLE_TIMEOUT_SECONDS,
            enable_deletion_protection=args.deletion_protection, tags=self._tags(f"{args.name}-edge"), opts=child)
        self.arn: pulumi.Output[str] = self.load_balancer.arn
        # The gateway's ID joins the ARN's dependencies: the VPC origin is created after the gateway is attached.
        self.endpoint_arn: pulumi.Output[str] = pulumi.Output.all(self.load_balancer.arn, args.internet_gateway_id) \
            .apply(lambda v: v[0])
        self.dns_name: pulumi.Output[str] = self.load_balancer.dns_name
        self.target_group = aws.lb.TargetGroup(
            f"{name}-s3", port=S3_PORT, protocol="HTTPS", protocol_version="HTTP1", target_type="instance",
            vpc_id=args.vpc_id, deregistration_delay=DEREGISTRATION_DELAY_SECONDS,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True, protocol="HTTPS", port="traffic-port", path=HEALTH_PATH, matcher="200",
                interval=HEALTH_INTERVAL_SECONDS, timeout=HEALTH_TIMEOUT_SECONDS,
                healthy_threshold=HEALTHY_THRESHOLD, unhealthy_threshold=UNHEALTHY_THRESHOLD),
            tags=self._tags(f"{args.name}-edge-s3"), opts=child)
        self.target_group_arn: pulumi.Output[str] = self.target_group.arn
        aws.lb.Listener(
            f"{name}-https", load_balancer_arn=self.load_balancer.arn, port=HTTPS_PORT, protocol="HTTPS",
            certificate_arn=certificate_arn, ssl_policy=TLS_POLICY,
            default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward",
                                                              target_group_arn=self.target_group.arn)],
            tags=self._tags(f"{args.name}-edge-https"), opts=pulumi.ResourceOptions(parent=self.load_balancer))
        self.register_outputs({"arn": self.arn, "dnsName": self.dns_name, "targetGroupArn": self.target_group_arn,
                               "subnetCidrs": self.subnet_cidrs})

    def _tags(self, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return resource_tags(self._args.tags, name, extra=extra)

    def _admit_cloudfront(self) -> None:
        a, sg = self._args, self.security_group
        if a.vpc_origin_security_group_id:
            source = {"referenced_security_group_id": a.vpc_origin_security_group_id}
            who = "CloudFront's VPC origin security group"
        else:
            prefix_list = aws.ec2.get_managed_prefix_list_output(
                name=ORIGIN_FACING_PREFIX_LIST, opts=pulumi.InvokeOptions(parent=self))
            source = {"prefix_list_id": prefix_list.id}
            who = "CloudFront's origin-facing servers (managed prefix list)"
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-in-https", security_group_id=sg.id, ip_protocol="tcp", from_port=HTTPS_PORT,
            to_port=HTTPS_PORT, description=f"HTTPS from {who}", tags=self._tags(f"{self._name}-in-https"),
            opts=pulumi.ResourceOptions(parent=sg), **source)

    def _certificate(self) -> pulumi.Output[str]:
        """A public ACM certificate for the origin name, validated by DNS in the hosted zone (ACM User Guide, "DNS
        validation"): the listener waits for the validation, not only the request."""
        a = self._args
        cert = aws.acm.Certificate(f"{self._name}-cert", domain_name=a.origin_domain_name, validation_method="DNS",
                                   key_algorithm="RSA_2048", tags=self._tags(f"{self._name}-cert"),
                                   opts=pulumi.ResourceOptions(parent=self))
        return dns_validated(f"{self._name}-cert", cert, a.hosted_zone_id, pulumi.ResourceOptions(parent=cert))

    def allow_to_nodes(self, node_security_group_id: pulumi.Input[str]) -> None:
        """9000 from the load balancer into the nodes' group, and its egress there only (traffic and health checks)."""
        sg = self.security_group
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-out-s3", security_group_id=sg.id, referenced_security_group_id=node_security_group_id,
            ip_protocol="tcp", from_port=S3_PORT, to_port=S3_PORT,
            description=f"{S3_PORT} to the RustFS nodes (edge traffic and health checks)",
            tags=self._tags(f"{self._name}-out-s3"), opts=pulumi.ResourceOptions(parent=sg))
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-to-nodes", security_group_id=node_security_group_id, referenced_security_group_id=sg.id,
            ip_protocol="tcp", from_port=S3_PORT, to_port=S3_PORT,
            description=f"{S3_PORT} from the edge origin load balancer (CloudFront)",
            tags=self._tags(f"{self._name}-to-nodes"), opts=pulumi.ResourceOptions(parent=sg))


def dns_validated(name: str, cert: aws.acm.Certificate, zone_id: str | None,
                  opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
    """The certificate's ARN once ACM has validated it through its CNAME records in ``zone_id`` (one certificate
    per name here: one validation option)."""
    option = cert.domain_validation_options.apply(lambda options: options[0])
    record = aws.route53.Record(
        f"{name}-validation", zone_id=zone_id, name=option.resource_record_name, type=option.resource_record_type,
        records=[option.resource_record_value], ttl=300, allow_overwrite=True, opts=opts)
    validation = aws.acm.CertificateValidation(
        f"{name}-validated", certificate_arn=cert.arn, validation_record_fqdns=[record.fqdn], opts=opts)
    return validation.certificate_arn
