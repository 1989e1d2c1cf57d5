"""The S3 endpoint: a Network Load Balancer across the cluster's AZs in front of every node.

- Internal by default (``cluster.internetFacing`` puts it in the public subnets), cross-zone on, deletion
  protection in prod, access logs in every environment, a security group of its own (nodes admit the load
  balancer by it).
- Port 9000: TLS passthrough (TCP listener; the nodes' private-CA certificates reach the client) by default;
  with ``tls.mode: acm`` a TLS listener with the ACM certificate and ``ELBSecurityPolicy-TLS13-1-2-2021-06``
  (TLS 1.2+, AWS ELB User Guide "Security policies for your Network Load Balancer"), re-encrypting to the
  nodes through a TLS target group.
- Port 9001 (console) only when ``cluster.console`` is on, and only from ``network.adminCidrs``.
- Health check: HTTPS ``/health/ready`` on the traffic port, 200 only. RustFS answers 503 there without
  storage/IAM/lock quorum (``rustfs/src/server/health.rs``) and the answer can flap for a moment
  (rustfs/rustfs#7950), so three failures 10 s apart (30 s) mark a node unhealthy and three successes bring
  it back. The Auto Scaling groups do **not** use this check (see storage_nodes.py).

NLB access logs only record TLS connections the load balancer terminates (ELB User Guide, "Access logs for
your Network Load Balancer"): with TLS passthrough they stay empty; the VPC flow logs cover TCP.
"""

from dataclasses import dataclass, field
from enum import StrEnum

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.tagging import resource_tags

S3_PORT = 9000
CONSOLE_PORT = 9001
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
HEALTH_PATH = "/health/ready"
CONSOLE_HEALTH_PATH = "/rustfs/console/health"
HEALTH_INTERVAL_SECONDS = 10
HEALTH_TIMEOUT_SECONDS = 6
HEALTHY_THRESHOLD = 3
UNHEALTHY_THRESHOLD = 3
DEREGISTRATION_DELAY_SECONDS = 120  # lets in-flight multipart uploads to a draining node finish


class TlsMode(StrEnum):
    """Where client TLS ends."""

    PRIVATE_CA = "private-ca"
    """At the nodes: the load balancer passes TLS through, clients trust the cluster's private CA."""
    ACM = "acm"
    """At the load balancer, with an ACM certificate (TLS 1.2+), re-encrypted to the nodes."""


@dataclass
class LoadBalancerArgs:
    """Inputs of ``S3LoadBalancer``."""

    name: str
    """The deployment's name (``rustfs-dev``): names the load balancer's resources and its access-log prefix."""
    vpc_id: pulumi.Input[str]
    """ID of the VPC of the load balancer and its target groups."""
    subnet_ids: pulumi.Input[list[pulumi.Input[str]]]
    """One subnet per cluster AZ: the private subnets, or the public ones when ``internal`` is false (a whole
    output such as ``Network``'s ``privateSubnetIds`` will do)."""
    client_cidrs: list[str]
    """CIDR blocks that may reach the S3 port (9000); the caller decides the default (the VPC's CIDR)."""
    admin_cidrs: list[str]
    """CIDR blocks that may reach the console port (9001), with ``console``."""
    internal: bool | None = True
    """An internal load balancer (in private subnets); false: internet-facing."""
    console: bool | None = False
    """Also serve the RustFS console on 9001."""
    tls_mode: TlsMode | None = TlsMode.PRIVATE_CA
    """Where client TLS ends: ``private-ca`` (passthrough to the nodes) or ``acm`` (at the load balancer)."""
    certificate_arn: str | None = None
    """ARN of the ACM certificate; required with ``tlsMode`` ``acm``."""
    deletion_protection: bool | None = False
    """Refuse to delete the load balancer until this is turned off (prod)."""
    access_logs_bucket: pulumi.Input[str] | None = None
    """Name of the bucket for access logs (its policy must admit the log delivery service: ``Audit``'s logs
    bucket); unset: no access logs."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on every resource, next to each one's ``Name``."""
    on_prem_cidrs: list[str] | None = field(default_factory=list)
    """On-premises CIDR blocks (over a VPN or Direct Connect) that may reach the S3 port (9000), never the
    console."""


class S3LoadBalancer(pulumi.ComponentResource):
    """The S3 endpoint: a Network Load Balancer across the cluster's AZs in front of every node (9000, and
    9001 for the console), with its own security group and HTTPS health checks on ``/health/ready``. In Python
    also ``allow_to_nodes``, the egress to the nodes once their security group exists."""

    dns_name: pulumi.Output[str]
    """The load balancer's DNS name (alias the S3 endpoint name to it)."""
    zone_id: pulumi.Output[str]
    """The load balancer's canonical hosted zone ID (for alias records)."""
    arn: pulumi.Output[str]
    """The load balancer's ARN."""
    arn_suffix: pulumi.Output[str]
    """The load balancer's ARN suffix (the CloudWatch ``LoadBalancer`` dimension)."""
    security_group_id: pulumi.Output[str]
    """ID of the load balancer's security group: the nodes admit traffic from it."""
    target_group_arns: list[pulumi.Output[str]]
    """ARNs of the target groups (S3, then the console's): the node groups register with them."""
    s3_target_group_arn_suffix: pulumi.Output[str]
    """ARN suffix of the S3 target group (the CloudWatch ``TargetGroup`` dimension)."""

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(LoadBalancerArgs, args)
        super().__init__("rustfs:cluster:LoadBalancer", name, None, opts)
        if args.tls_mode == "acm" and not args.certificate_arn:
            raise ValueError("rustfs-aws:tls.certificateArn: required with tls.mode: acm")
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=args.vpc_id, description="RustFS load balancer: S3 (and console) from clients",
            tags=self._tags(f"{name}-sg"), opts=child)
        self.security_group_id: pulumi.Output[str] = self.security_group.id
        self._ingress(S3_PORT, args.client_cidrs, "S3 clients")
        self._ingress(S3_PORT, args.on_prem_cidrs, "on-premises", key="onprem-")
        if args.console:
            self._ingress(CONSOLE_PORT, args.admin_cidrs, "console administrators")

        logs = None
        if args.access_logs_bucket is not None:
            logs = aws.lb.LoadBalancerAccessLogsArgs(bucket=args.access_logs_bucket, enabled=True,
                                                     prefix=f"nlb/{args.name}")
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-nlb", load_balancer_type="network", internal=args.internal, subnets=args.subnet_ids,
            security_groups=[self.security_group.id], enable_cross_zone_load_balancing=True,
            enable_deletion_protection=args.deletion_protection, access_logs=logs, ip_address_type="ipv4",
            tags=self._tags(f"{args.name}-s3"), opts=child)
        self.dns_name: pulumi.Output[str] = self.load_balancer.dns_name
        self.zone_id: pulumi.Output[str] = self.load_balancer.zone_id
        self.arn: pulumi.Output[str] = self.load_balancer.arn
        # CloudWatch's AWS/NetworkELB dimensions name the load balancer and target groups by ARN suffix.
        self.arn_suffix: pulumi.Output[str] = self.load_balancer.arn_suffix

        self.s3_target_group = self._target_group("s3", S3_PORT, HEALTH_PATH)
        self.s3_target_group_arn_suffix: pulumi.Output[str] = self.s3_target_group.arn_suffix
        self._listener("s3", S3_PORT, self.s3_target_group)
        self.target_groups = [self.s3_target_group]
        if args.console:
            console_tg = self._target_group("console", CONSOLE_PORT, CONSOLE_HEALTH_PATH)
            self._listener("console", CONSOLE_PORT, console_tg)
            self.target_groups.append(console_tg)
        self.target_group_arns: list[pulumi.Output[str]] = [tg.arn for tg in self.target_groups]
        self.register_outputs({"dnsName": self.dns_name, "arn": self.arn,
                               "targetGroupArns": self.target_group_arns})

    def _tags(self, name: str) -> dict[str, str]:
        return resource_tags(self._args.tags, name)

    def _ingress(self, port: int, cidrs: list[str], who: str, key: str = "") -> None:
        for i, cidr in enumerate(cidrs):
            aws.vpc.SecurityGroupIngressRule(
                f"{self._name}-in-{port}-{key}{i}", security_group_id=self.security_group.id, cidr_ipv4=cidr,
                ip_protocol="tcp", from_port=port, to_port=port, description=f"{port} from {who} ({cidr})",
                tags=self._tags(f"{self._name}-in-{port}-{key}{i}"),
                opts=pulumi.ResourceOptions(parent=self.security_group))

    def allow_to_nodes(self, node_security_group_id: pulumi.Input[str]) -> None:
        """Egress from the load balancer to the nodes only, on the ports it forwards and health-checks."""
        ports = [S3_PORT, CONSOLE_PORT] if self._args.console else [S3_PORT]
        for port in ports:
            aws.vpc.SecurityGroupEgressRule(
                f"{self._name}-out-{port}", security_group_id=self.security_group.id,
                referenced_security_group_id=node_security_group_id, ip_protocol="tcp", from_port=port,
                to_port=port, description=f"{port} to the RustFS nodes (traffic and health checks)",
                tags=self._tags(f"{self._name}-out-{port}"),
                opts=pulumi.ResourceOptions(parent=self.security_group))

    def _target_group(self, purpose: str, port: int, health_path: str) -> aws.lb.TargetGroup:
        protocol = "TLS" if self._args.tls_mode == "acm" else "TCP"
        return aws.lb.TargetGroup(
            f"{self._name}-{purpose}", port=port, protocol=protocol, target_type="instance",
            vpc_id=self._args.vpc_id, deregistration_delay=DEREGISTRATION_DELAY_SECONDS,
            preserve_client_ip="true", connection_termination=False,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True, protocol="HTTPS", port="traffic-port", path=health_path, matcher="200",
                interval=HEALTH_INTERVAL_SECONDS, timeout=HEALTH_TIMEOUT_SECONDS,
                healthy_threshold=HEALTHY_THRESHOLD, unhealthy_threshold=UNHEALTHY_THRESHOLD),
            tags=self._tags(f"{self._args.name}-{purpose}"), opts=pulumi.ResourceOptions(parent=self))

    def _listener(self, purpose: str, port: int, target_group: aws.lb.TargetGroup) -> aws.lb.Listener:
        acm = self._args.tls_mode == "acm"
        return aws.lb.Listener(
            f"{self._name}-{purpose}", load_balancer_arn=self.load_balancer.arn, port=port,
            protocol="TLS" if acm else "TCP", certificate_arn=self._args.certificate_arn if acm else None,
            ssl_policy=TLS_POLICY if acm else None,
            default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)],
            tags=self._tags(f"{self._args.name}-{purpose}-{port}"),
            opts=pulumi.ResourceOptions(parent=self.load_balancer))
