"""Every VPC endpoint policy of the dev and prod programs lets through what the nodes really send, and no more.

AWS's side, modelled here from the recording of the real program:
- Routing. An interface endpoint with private DNS answers for `<service>.<region>.amazonaws.com` in its VPC,
  if its security group admits HTTPS from the node; the S3 gateway endpoint carries the region's S3 traffic
  of the route tables it is attached to, and its prefix-list route beats the NAT default route (VPC User
  Guide, "Route priority"); everything else leaves through the NAT gateway of the node's route table, or
  not at all. Global APIs (Route 53) and S3 buckets of other regions never use a regional endpoint.
- An endpoint without a policy gets AWS's default, full access (AWS PrivateLink Guide, "Control access to
  VPC endpoints using endpoint policies"): modelled explicitly, not skipped.
- An endpoint policy is a resource policy every request through it must pass, signed or not; an unsigned
  request has no aws:Principal* keys and matches only Principal "*" (tests/iam_eval.py).

The requests: (a) signed, the AWS CLI calls of the node scripts (tests/node_iam_requests.py, the same requests
the node-permission tests judge) and the AWS agents' own calls; (b) unsigned, dnf's reads of the AL2023
repository (cloud-init `packages:`, `dnf update`), SSM Agent's update download, and any S3 URL the user data
fetches. The URLs of (b) are written here from AL2023's and SSM's own files, not from components/, so a wrong
bucket list in the program cannot vouch for itself.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from functools import cache

import pytest
import yaml
from dev_node import recording, world
from iam_actions import granted_actions
from iam_eval import Request, evaluate_resource_policy
from node_iam_requests import GLOBAL_SERVICES, node_requests
from user_data import decode_user_data

from preflight.runner import run_stack

STACKS = ("dev", "prod")
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
DEFAULT_ENDPOINT_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
# The API host is not always the IAM prefix: CloudWatch is monitoring.<region>.amazonaws.com (AWS General
# Reference, "Amazon CloudWatch endpoints and quotas").
API_HOST = {"cloudwatch": "monitoring"}
NAT = "NAT gateway"
# Where each service a node calls must leave the VPC: its interface endpoint (API host name), else NAT.
# Route 53's API is global and Auto Scaling has no endpoint in components/network/network.py; X-Ray has one for the
# node collector's traces (observability/collector.py).
EXPECTED_ROUTE = {"ec2": "ec2", "secretsmanager": "secretsmanager", "kms": "kms", "sts": "sts", "logs": "logs",
                  "cloudwatch": "monitoring", "ssm": "ssm", "ssmmessages": "ssmmessages",
                  "ec2messages": "ec2messages", "s3": "s3", "route53": NAT, "autoscaling": NAT, "xray": "xray"}
OTHER_ACCOUNT = "111122223333"
AWS_REPOSITORY_ACCOUNT = "999988887777"  # whoever AWS keeps its repositories in: not us

# Signed calls of the AWS agents on every node, with the node role: SSM Agent (Session Manager, Run Command;
# AmazonSSMManagedInstanceCore) and the OTel collector's CloudWatch and X-Ray exporters.
AGENT_ACTIONS = ("ssm:UpdateInstanceInformation", "ec2messages:GetMessages", "ssmmessages:CreateControlChannel",
                 "logs:PutLogEvents", "cloudwatch:PutMetricData", "xray:PutTraceSegments", "ssm:GetParameter")

# What AL2023's dnf fetches, from /etc/yum.repos.d/amazonlinux.repo (mirrorlist=https://al2023-repos-$awsregion-
# de612dc2.s3.dualstack.$awsregion.$awsdomain/core/mirrors/$releasever/$basearch/mirror.list): the mirror list,
# the repository metadata under the GUID it names, then each package from the blob store.
AL2023_REPOSITORY = "https://al2023-repos-{region}-de612dc2.s3.dualstack.{region}.amazonaws.com"
DNF_METADATA = ("core/mirrors/latest/{arch}/mirror.list", "core/releasemd.xml",
                "core/guids/5f0b7f3b8a9e2c1d/{arch}/repodata/repomd.xml",
                "core/guids/5f0b7f3b8a9e2c1d/{arch}/repodata/primary.xml.gz")
DNF_PACKAGE = "blobstore/0f3c9a1e7d2b4c6a/{package}.amzn2023.{arch}.rpm"
# SSM Agent's updater (and the AWS-UpdateSSMAgent document) start from this manifest (SSM User Guide, "SSM
# Agent communications with AWS managed S3 buckets": unsigned when the instance profile grants no S3 access).
SSM_AGENT = ("https://s3.{region}.amazonaws.com/amazon-ssm-{region}/ssm-agent-manifest.json",
             "https://s3.{region}.amazonaws.com/amazon-ssm-{region}/amazon-ssm-agent-updater/3.3.1142.0/"
             "amazon-ssm-agent-updater-linux-{goarch}.tar.gz")
S3_URL = re.compile(r"https?://(?:(?P<vbucket>[a-z0-9.-]+)\.)?s3(?:\.dualstack)?[.-](?:(?P<region>[a-z0-9-]+)\.)?"
                    r"amazonaws\.com/(?P<path>[^\s'\"]*)")


@dataclass(frozen=True)
class Endpoint:
    name: str
    service: str  # the tail of com.amazonaws.<region>.<service>
    region: str
    kind: str  # Gateway | Interface
    id: str
    policy: dict  # the AWS default when the program declares none
    route_tables: frozenset[str]
    private_dns: bool
    https_from: tuple[ipaddress.IPv4Network, ...]  # sources its security groups admit on 443


@dataclass(frozen=True)
class NodeNetwork:
    region: str
    vpc_id: str
    route_table: str
    has_nat: bool
    subnet_cidr: ipaddress.IPv4Network
    endpoints: dict[str, Endpoint]


@dataclass(frozen=True)
class Path:
    endpoint: Endpoint | None  # None: through the NAT gateway

    def __str__(self) -> str:
        return self.endpoint.name if self.endpoint else NAT


# --- the recorded network ------------------------------------------------------------------------------

def endpoints(r) -> dict[str, Endpoint]:
    rules = r.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    policies = {p.inputs["vpcEndpointId"]: p.inputs["policy"]
                for p in r.of_type("aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy")}
    extra_tables = [(a.inputs["vpcEndpointId"], a.inputs["routeTableId"])
                    for a in r.of_type("aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation")]
    out = {}
    for e in r.of_type(ENDPOINT):
        _, _, region, service = e.inputs["serviceName"].split(".", 3)
        eid = e.outputs["id"]
        policy = policies.get(eid, e.inputs.get("policy"))
        https = tuple(ipaddress.ip_network(rule.inputs["cidrIpv4"]) for rule in rules
                      if rule.inputs["securityGroupId"] in e.inputs.get("securityGroupIds", [])
                      and rule.inputs.get("cidrIpv4") and rule.inputs["ipProtocol"] in ("tcp", "-1")
                      and rule.inputs.get("fromPort", 0) <= 443 <= rule.inputs.get("toPort", 65535))
        out[service] = Endpoint(
            e.name, service, region, e.inputs.get("vpcEndpointType", "Gateway"), eid,
            json.loads(policy) if policy else DEFAULT_ENDPOINT_POLICY,
            frozenset(e.inputs.get("routeTableIds", [])) | {t for i, t in extra_tables if i == eid},
            e.inputs.get("privateDnsEnabled") is True, https)
    return out


@cache
def node_networks(stack: str) -> dict[str, NodeNetwork]:
    return networks_of(recording(stack))


def networks_of(r) -> dict[str, NodeNetwork]:
    """Each node's network: its group's subnet, that subnet's route table and the endpoints of its VPC."""
    subnets = {s.outputs["id"]: s for s in r.of_type("aws:ec2/subnet:Subnet")}
    tables = {a.inputs["subnetId"]: a.inputs["routeTableId"]
              for a in r.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")}
    nat_tables = {rt.inputs["routeTableId"] for rt in r.of_type("aws:ec2/route:Route")
                  if rt.inputs.get("natGatewayId") and rt.inputs.get("destinationCidrBlock") == "0.0.0.0/0"}
    groups = {g.inputs["launchTemplate"]["name"]: g for g in r.of_type("aws:autoscaling/group:Group")}
    out = {}
    for lt in r.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        [spec] = [t for t in lt.inputs["tagSpecifications"] if t["resourceType"] == "instance"]
        [subnet_id] = groups[lt.inputs["name"]].inputs["vpcZoneIdentifiers"]
        subnet = subnets[subnet_id]
        table = tables[subnet_id]
        out[spec["tags"]["rustfs:node-name"]] = NodeNetwork(
            r.settings.region, subnet.inputs["vpcId"], table, table in nat_tables,
            ipaddress.ip_network(subnet.inputs["cidrBlock"]), endpoints(r))
    return out


def path(net: NodeNetwork, prefix: str, region: str, *, global_api: bool = False) -> Path | None:
    """Where a request to service `prefix` in `region` leaves the node's subnet; None: nowhere."""
    endpoint = None if global_api or region != net.region else net.endpoints.get(API_HOST.get(prefix, prefix))
    if endpoint and endpoint.kind == "Interface" and endpoint.private_dns:
        if not any(net.subnet_cidr.subnet_of(src) for src in endpoint.https_from):
            return None  # DNS answers with the endpoint, whose security group drops the connection
        return Path(endpoint)
    if endpoint and endpoint.kind == "Gateway" and net.route_table in endpoint.route_tables:
        return Path(endpoint)
    return Path(None) if net.has_nat else None


# --- the requests ----------------------------------------------------------------------------------------

def signed_script_requests(stack: str, node: str) -> list[Request]:
    """The node scripts' own calls: not those a service makes for them with the node's credentials
    (kms:ViaService, e.g. Secrets Manager decrypting), which never leave through the node's VPC."""
    return [r for r in node_requests(node, stack) if "kms:ViaService" not in r.ctx]


def agent_requests(stack: str) -> list[Request]:
    w = world(stack)
    base = {"aws:RequestedRegion": w.region, "aws:PrincipalArn": w.role_arn, "aws:PrincipalAccount": w.account,
            "aws:SecureTransport": "true"}
    return [Request(a, "*", tuple(base.items()), f"agent {a}") for a in AGENT_ACTIONS]


def s3_get(url: str, why: str) -> tuple[Request, str]:
    """An unsigned GET of an S3 URL (virtual-hosted or path style) and the bucket's region."""
    m = S3_URL.fullmatch(url)
    assert m, f"{url}: not an S3 URL"
    bucket, key = (m["vbucket"], m["path"]) if m["vbucket"] else m["path"].split("/", 1)
    region = m["region"] or "us-east-1"  # s3.amazonaws.com is us-east-1 (Amazon S3 User Guide, legacy endpoint)
    ctx = {"aws:SecureTransport": str(url.startswith("https")).lower(), "aws:RequestedRegion": region,
           "aws:ResourceAccount": AWS_REPOSITORY_ACCOUNT}
    return Request("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}", tuple(ctx.items()), why), region


@cache
def cloud_configs(stack: str) -> dict[str, dict]:
    r = recording(stack)
    out = {}
    for lt in r.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        [spec] = [t for t in lt.inputs["tagSpecifications"] if t["resourceType"] == "instance"]
        out[spec["tags"]["rustfs:node-name"]] = {
            "cloud": yaml.safe_load(decode_user_data(lt.inputs["userData"])),
            "arch": "aarch64" if re.fullmatch(r"[a-z]+\d+g[a-z]*", lt.inputs["instanceType"].split(".")[0])
            else "x86_64"}
    return out


def unsigned_urls(stack: str, node: str) -> list[tuple[str, str]]:
    """(url, why) of every unsigned download the node makes from S3."""
    config = cloud_configs(stack)[node]
    region, arch = recording(stack).settings.region, config["arch"]
    repo = AL2023_REPOSITORY.format(region=region)
    urls = [(f"{repo}/{key.format(arch=arch)}", "dnf metadata") for key in DNF_METADATA]
    urls += [(f"{repo}/{DNF_PACKAGE.format(package=p, arch=arch)}", f"cloud-init package {p}")
             for p in config["cloud"].get("packages", [])]
    goarch = {"x86_64": "amd64", "aarch64": "arm64"}[arch]
    urls += [(u.format(region=region, goarch=goarch), "SSM Agent update") for u in SSM_AGENT]
    # Any S3 URL the user data itself fetches (curl/wget are unsigned).
    texts = [f["content"] for f in config["cloud"].get("write_files", [])] + [json.dumps(config["cloud"].get(
        "runcmd", []))]
    urls += [(m.group(0), "user data download") for text in texts for m in S3_URL.finditer(text)]
    return urls


def through(net: NodeNetwork, endpoint: Endpoint, req: Request) -> Request:
    """The request as it reaches the endpoint: AWS adds the endpoint and VPC it came through."""
    return Request(req.action, req.resource, (*req.context, ("aws:SourceVpce", endpoint.id),
                                              ("aws:SourceVpc", net.vpc_id)), req.why)


def verdict(net: NodeNetwork, req: Request, prefix: str, region: str, *, signed_by: tuple[str, str] | None,
            global_api: bool = False) -> str | None:
    """None when the request gets out and its endpoint (if any) allows it, else what stops it."""
    way = path(net, prefix, region, global_api=global_api)
    if way is None:
        return f"{req.why} ({req.action}): no route out of {net.route_table}"
    if way.endpoint is None:
        return None
    principal, account = signed_by or (None, None)
    v = evaluate_resource_policy(through(net, way.endpoint, req), way.endpoint.policy, principal, account)
    if v.allowed:
        return None
    return f"{req.why} ({req.action} on {req.resource}) via {way}: allowed by {v.allowed_by}, denied by {v.denied_by}"


def assert_expected_routes(stack: str, routes: dict[str, str]) -> None:
    unknown = set(routes) - set(EXPECTED_ROUTE)
    assert not unknown, f"nodes call {unknown}: add where they leave the VPC to EXPECTED_ROUTE"
    expected = {p: NAT if EXPECTED_ROUTE[p] == NAT else f"rustfs-{stack}-net-{EXPECTED_ROUTE[p]}" for p in routes}
    assert routes == expected


# === tests ==================================================================================================

@pytest.mark.parametrize("stack", STACKS)
def test_every_endpoint_is_in_the_model_with_its_effective_policy(stack):
    recorded = recording(stack).of_type(ENDPOINT)
    model = endpoints(recording(stack))
    assert len(model) == len(recorded), "two endpoints for one service"
    for e in model.values():
        assert e.region == recording(stack).settings.region, e.name
        assert e.kind in ("Gateway", "Interface"), e.name
        assert e.policy["Statement"], e.name
    assert model["s3"].kind == "Gateway"
    declared = {e.inputs["serviceName"].rsplit(".", 1)[1] for e in recorded if e.inputs.get("policy")}
    assert {s for s, e in model.items() if e.policy is DEFAULT_ENDPOINT_POLICY} == set(model) - declared


@pytest.mark.parametrize("stack", STACKS)
def test_every_signed_call_of_the_node_scripts_gets_out_and_passes_its_endpoint(stack):
    w = world(stack)
    problems, routes = [], {}
    for node, net in node_networks(stack).items():
        for r in signed_script_requests(stack, node):
            prefix = r.action.split(":")[0]
            problem = verdict(net, r, prefix, r.ctx["aws:RequestedRegion"], signed_by=(w.role_arn, w.account),
                              global_api=prefix in GLOBAL_SERVICES)
            problems += [f"{node}: {problem}"] if problem else []
            routes[prefix] = str(path(net, prefix, r.ctx["aws:RequestedRegion"], global_api=prefix in GLOBAL_SERVICES))
    assert not problems, "\n".join(problems)
    assert_expected_routes(stack, routes)


@pytest.mark.parametrize("stack", STACKS)
def test_every_signed_call_of_the_aws_agents_gets_out_and_passes_its_endpoint(stack):
    w = world(stack)
    assert {"logs:PutLogEvents", "cloudwatch:PutMetricData", "xray:PutTraceSegments"} <= granted_actions(
        w.node_policy), "the agent calls below are no longer granted: update AGENT_ACTIONS"
    problems = [f"{node}: {p}" for node, net in node_networks(stack).items() for r in agent_requests(stack)
                if (p := verdict(net, r, r.action.split(":")[0], w.region, signed_by=(w.role_arn, w.account)))]
    assert not problems, "\n".join(problems)
    net = next(iter(node_networks(stack).values()))
    assert_expected_routes(stack, {a.split(":")[0]: str(path(net, a.split(":")[0], w.region)) for a in AGENT_ACTIONS})


@pytest.mark.parametrize("mode", ["single", "perAz"])
def test_every_nat_mode_the_stack_allows_reaches_every_service_its_nodes_call(mode):
    # natGateways=none is refused by the config (tests/test_config.py): without NAT the Route 53 take-over would
    # have no way out of the VPC (the Route 53 API has no PrivateLink endpoint). Every allowed mode must route it.
    dev = recording("dev")
    network = {**json.loads(dev.settings.config["rustfs-aws:network"]), "natGateways": mode}
    nets = networks_of(run_stack("dev", {"rustfs-aws:network": network}))
    w = world("dev")
    stranded = {r.action for node, net in nets.items() for r in signed_script_requests("dev", node)
                if path(net, r.action.split(":")[0], w.region, global_api=r.action.split(":")[0] in GLOBAL_SERVICES)
                is None}
    assert not stranded, f"no endpoint and no NAT for {sorted(stranded)}"


@pytest.mark.parametrize("stack", STACKS)
def test_every_unsigned_download_of_a_node_gets_out_and_passes_the_s3_endpoint(stack):
    problems, carried = [], set()
    for node, net in node_networks(stack).items():
        for url, why in unsigned_urls(stack, node):
            req, region = s3_get(url, why)
            problem = verdict(net, req, "s3", region, signed_by=None)
            problems += [f"{node}: {problem}"] if problem else []
            carried.add(str(path(net, "s3", region)))
    assert not problems, "\n".join(problems)
    assert carried == {f"rustfs-{stack}-net-s3"}, "the repositories are read through the gateway endpoint"


@pytest.mark.parametrize("stack", STACKS)
def test_the_s3_endpoint_refuses_what_is_outside_the_perimeter(stack):
    w = world(stack)
    net = next(iter(node_networks(stack).values()))
    s3 = net.endpoints["s3"]
    repo = f"arn:aws:s3:::al2023-repos-{w.region}-de612dc2"
    unsigned = {"aws:SecureTransport": "true", "aws:RequestedRegion": w.region}

    def signed(account: str, resource_account: str) -> dict:
        return {**unsigned, "aws:PrincipalArn": f"arn:aws:iam::{account}:role/x", "aws:PrincipalAccount": account,
                "aws:ResourceAccount": resource_account}

    def passes(action, resource, ctx, principal=None, account=None) -> bool:
        req = through(net, s3, Request(action, resource, tuple(ctx.items()), "probe"))
        return evaluate_resource_policy(req, s3.policy, principal, account).allowed

    other_role = f"arn:aws:iam::{OTHER_ACCOUNT}:role/x"
    refused = {
        "unsigned read of another bucket": ("s3:GetObject", "arn:aws:s3:::somebody-elses-bucket/data", unsigned),
        "unsigned write to the repository": ("s3:PutObject", f"{repo}/core/x", unsigned),
        "unsigned listing of the repository": ("s3:ListBucket", repo, unsigned),
    }
    for what, (action, resource, ctx) in refused.items():
        assert not passes(action, resource, ctx), what
    # Someone else's credentials to someone else's bucket, and ours to a bucket outside the account.
    assert not passes("s3:GetObject", "arn:aws:s3:::exfil/x", signed(OTHER_ACCOUNT, OTHER_ACCOUNT), other_role,
                      OTHER_ACCOUNT)
    assert not passes("s3:PutObject", "arn:aws:s3:::exfil/x", signed(w.account, OTHER_ACCOUNT), w.role_arn,
                      w.account)
    # ...while our own principals reach our buckets, and may read the repositories signed too.
    ours = f"arn:aws:s3:::rustfs-{stack}-tier/object"
    assert passes("s3:PutObject", ours, signed(w.account, w.account), w.role_arn, w.account)
    assert passes("s3:GetObject", f"{repo}/core/releasemd.xml", signed(w.account, AWS_REPOSITORY_ACCOUNT),
                  w.role_arn, w.account)


def test_the_old_policy_refused_the_anonymous_dnf_request_and_only_that():
    """The defect of issue 9: the AWS-owned statement required aws:PrincipalAccount. A signed probe would
    have passed it; only an unsigned one, as dnf sends, shows the 403."""
    net = next(iter(node_networks("dev").values()))
    old_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "OwnPrincipalsReadAwsRepositories", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": [f"arn:aws:s3:::al2023-repos-{net.region}-de612dc2/*"],
         "Condition": {"StringEquals": {"aws:PrincipalAccount": world("dev").account}}}]}
    old = Endpoint("old-s3", "s3", net.region, "Gateway", "vpce-0old", old_policy, frozenset({net.route_table}),
                   False, ())
    old_net = NodeNetwork(net.region, net.vpc_id, net.route_table, net.has_nat, net.subnet_cidr, {"s3": old})
    url = AL2023_REPOSITORY.format(region=net.region) + "/core/mirrors/latest/x86_64/mirror.list"
    req, region = s3_get(url, "dnf")
    assert verdict(old_net, req, "s3", region, signed_by=None)  # refused: cloud-init packages get 403
    w = world("dev")
    signed = Request(req.action, req.resource, (*req.context, ("aws:PrincipalArn", w.role_arn),
                                                ("aws:PrincipalAccount", w.account)), "signed probe")
    assert verdict(old_net, signed, "s3", region, signed_by=(w.role_arn, w.account)) is None


def test_without_the_endpoint_route_the_downloads_fall_back_to_nat_and_without_nat_nowhere():
    """The routing model itself: a gateway endpoint only serves the route tables it is attached to."""
    net = next(iter(node_networks("dev").values()))
    s3 = net.endpoints["s3"]
    detached = {**net.endpoints, "s3": Endpoint(s3.name, "s3", s3.region, "Gateway", s3.id, s3.policy,
                                                frozenset(), False, ())}
    via_nat = NodeNetwork(net.region, net.vpc_id, net.route_table, True, net.subnet_cidr, detached)
    isolated = NodeNetwork(net.region, net.vpc_id, net.route_table, False, net.subnet_cidr, detached)
    assert str(path(via_nat, "s3", net.region)) == NAT
    assert path(isolated, "s3", net.region) is None
    assert str(path(net, "s3", "eu-west-1")) == NAT  # a gateway endpoint serves its own region's S3 only
    assert str(path(net, "route53", "us-east-1", global_api=True)) == NAT
    closed = {**net.endpoints, "ec2": Endpoint("ec2", "ec2", net.region, "Interface", "vpce-x",
                                                DEFAULT_ENDPOINT_POLICY, frozenset(), True, ())}
    assert path(NodeNetwork(net.region, net.vpc_id, net.route_table, True, net.subnet_cidr, closed), "ec2",
                net.region) is None  # its security group admits nobody


# --- the evaluator for unsigned requests -------------------------------------------------------------------

def test_unsigned_requests_match_only_statements_naming_everyone():
    req = Request("s3:GetObject", "arn:aws:s3:::b/k", (("aws:SecureTransport", "true"),), "t")

    def allows(statement) -> bool:
        return evaluate_resource_policy(req, {"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", **statement}]}).allowed

    assert allows({"Principal": "*"})
    assert allows({"Principal": {"AWS": "*"}})
    assert not allows({"Principal": {"AWS": "arn:aws:iam::123456789012:root"}})
    assert not allows({"Principal": {"Service": "ec2.amazonaws.com"}})
    for key in ("aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgID"):
        assert not allows({"Principal": "*", "Condition": {"StringEquals": {key: "x"}}}), key
        assert allows({"Principal": "*", "Condition": {"StringEqualsIfExists": {key: "x"}}}), key
        assert allows({"Principal": "*", "Condition": {"Null": {key: "true"}}}), key
    deny_outsiders = {"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "123456789012"}}}]}
    assert not evaluate_resource_policy(req, deny_outsiders).allowed  # the absent key satisfies the negation
    with pytest.raises(ValueError, match="unsigned request carries no"):
        evaluate_resource_policy(Request("s3:GetObject", "arn:aws:s3:::b/k", (("aws:PrincipalAccount", "1"),),
                                         "t"), deny_outsiders)
    with pytest.raises(ValueError, match="NotPrincipal"):
        evaluate_resource_policy(req, {"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": "x"},
                                                      "Action": "*", "Resource": "*"}]})
