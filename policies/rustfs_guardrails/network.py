"""VPC, subnets, flow logs, endpoints and security groups."""

from __future__ import annotations

from pulumi_policy import Severity

from rustfs_model.aws_repositories import first_unsigned_reads

from . import _iam
from ._kit import Res, aws, is_true, is_unknown, known_str, resource_policy, stack_policy
from ._unsigned import unsigned_access

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
ENDPOINT = aws("ec2", "VpcEndpoint")
ENDPOINT_POLICY = aws("ec2", "VpcEndpointPolicy")
ENDPOINT_ROUTES = aws("ec2", "VpcEndpointRouteTableAssociation")


def _check_flow_logs(resources: list[Res], cfg: dict, report) -> None:
    vpcs = [r for r in resources if r.type == VPC]
    if not vpcs:
        return
    flow_logs = [r for r in resources if r.type == FLOW_LOG]
    required_traffic = cfg["trafficType"]
    for vpc in vpcs:
        covering = [fl for fl in flow_logs if _flow_log_targets(fl, vpc)]
        if not covering:
            report(f"VPC '{vpc.name}' has no flow log (aws.ec2.FlowLog with vpcId referencing it).", vpc.urn)
            continue
        traffic = [known_str(fl.get("trafficType")) for fl in covering]
        if required_traffic == "ALL" and all(t is not None and t != "ALL" for t in traffic):
            report(f"VPC '{vpc.name}' flow logs capture only {sorted(set(traffic))} traffic; "
                   "'ALL' is required.", vpc.urn)


def _flow_log_targets(flow_log: Res, vpc: Res) -> bool:
    """A flow log covers the VPC when its vpcId input came from that VPC (a dependency) or equals its id."""
    if flow_log.refers_to("vpcId", vpc):
        return True
    vpc_id = flow_log.get("vpcId")
    return isinstance(vpc_id, str) and vpc_id == vpc.props.get("id")


vpc_flow_logs = stack_policy(
    "rustfs-ec2-vpc-require-flow-logs",
    "Every VPC has a flow log capturing ALL traffic.",
    severity=Severity.HIGH, types=[VPC, FLOW_LOG], check=_check_flow_logs,
    checks=["CKV2_AWS_11", "EC2.6"], topics=["network", "logging"],
    config={"trafficType": {"type": "string", "enum": ["ALL", "ANY"], "default": "ALL",
                            "description": "ALL requires trafficType ALL; ANY accepts ACCEPT/REJECT only."}},
    remediation="Create aws.ec2.FlowLog(vpc_id=vpc.id, traffic_type='ALL', ...) to an encrypted log group.")


def _check_subnet_public_ip(res: Res, cfg: dict, report) -> None:
    if is_true(res.get("mapPublicIpOnLaunch")):
        report(f"Subnet '{res.name}' sets mapPublicIpOnLaunch=true: instances launched in it get public IPs.")
    if is_true(res.get("assignIpv6AddressOnCreation")) and not cfg["allowIpv6AutoAssign"]:
        report(f"Subnet '{res.name}' auto-assigns IPv6 addresses (globally routable).")


subnet_no_public_ip = resource_policy(
    "rustfs-ec2-subnet-disallow-public-ip-on-launch",
    "Subnets do not assign public IP addresses on launch.",
    severity=Severity.HIGH, types=[SUBNET], check=_check_subnet_public_ip,
    checks=["CKV_AWS_130", "EC2.15"], topics=["network", "exposure"],
    config={"allowIpv6AutoAssign": {"type": "boolean", "default": True}},
    remediation="Set map_public_ip_on_launch=False; only internet-facing load balancers belong in "
    "public subnets.")

def _s3_gateway_region(endpoint: Res) -> str | None:
    """The region of an S3 gateway endpoint (service com.amazonaws.<region>.s3); None if it is not one or
    that is not known yet. The provider's default endpoint type is Gateway."""
    kind = endpoint.get("vpcEndpointType")
    service = known_str(endpoint.get("serviceName"))
    if is_unknown(kind) or (kind or "Gateway") != "Gateway" or not service:
        return None
    parts = service.split(".")
    return parts[-2] if len(parts) >= 4 and parts[-1] == "s3" else None


def _carries_traffic(endpoint: Res, resources: list[Res]) -> bool:
    tables = endpoint.get("routeTableIds")
    if is_unknown(tables) or (isinstance(tables, list) and tables):
        return True  # unknown during preview: the program attaches route tables it is creating
    return any(r.type == ENDPOINT_ROUTES and r.refers_to("vpcEndpointId", endpoint) for r in resources)


def _effective_policy(endpoint: Res, resources: list[Res]):
    separate = [r for r in resources if r.type == ENDPOINT_POLICY and r.refers_to("vpcEndpointId", endpoint)]
    return separate[-1].get("policy") if separate else endpoint.get("policy")


def _check_unsigned_repository_reads(resources: list[Res], cfg: dict, report) -> None:
    for endpoint in (r for r in resources if r.type == ENDPOINT):
        region = _s3_gateway_region(endpoint)
        if region is None or not _carries_traffic(endpoint, resources):
            continue
        parsed = _iam.parse(_effective_policy(endpoint, resources))
        if not parsed.document:
            continue  # no policy (AWS's full-access default), unknown during preview, or invalid (reported elsewhere)
        for client, obj in first_unsigned_reads(region).items():
            outcome = unsigned_access(parsed.statements, "s3:GetObject", f"arn:aws:s3:::{obj}")
            if outcome.allowed:
                continue
            report(f"S3 gateway endpoint '{endpoint.name}' refuses the unsigned GET of s3://{obj} ({client}): "
                   f"{_reason(outcome)}. The endpoint route wins over NAT, so the node gets 403.", endpoint.urn)


def _reason(outcome) -> str:
    if outcome.denied_by:
        return f"denied by {', '.join(outcome.denied_by)}"
    if outcome.needs_signature:
        return (f"{', '.join(outcome.needs_signature)} cover it but require keys only signed requests carry "
                "(aws:PrincipalAccount, aws:PrincipalArn, aws:PrincipalOrgID)")
    return "no statement allows it"


unsigned_repository_reads = stack_policy(
    "rustfs-ec2-vpcendpoint-allow-unsigned-repository-reads",
    "An S3 gateway endpoint on the route tables lets unsigned requests read the AWS-owned repositories the nodes "
    "install and update from (AL2023 dnf repository, SSM Agent); unsigned requests carry no principal keys.",
    severity=Severity.HIGH, types=[ENDPOINT, ENDPOINT_POLICY, ENDPOINT_ROUTES],
    check=_check_unsigned_repository_reads, topics=["network", "operations"],
    remediation="Add a statement {Effect: Allow, Principal: '*', Action: 's3:GetObject', Resource: "
    "['arn:aws:s3:::al2023-repos-<region>-de612dc2/*', 'arn:aws:s3:::amazon-ssm-<region>/*', ...]} without a "
    "condition on aws:PrincipalAccount/PrincipalArn/PrincipalOrgID.")

POLICIES = [vpc_flow_logs, subnet_no_public_ip, unsigned_repository_reads]
