"""VPC, subnets, flow logs, endpoints and security groups."""

from __future__ import annotations

from pulumi_policy import Severity

from ._kit import Res, is_true, known_str, resource_policy, stack_policy

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"


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

POLICIES = [vpc_flow_logs, subnet_no_public_ip]
