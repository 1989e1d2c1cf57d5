"""The network component, as the real program declares it for the dev and prod stacks."""

import ipaddress
import json

import pulumi
import pytest

from preflight.runner import run_stack
from rustfs_aws.network.network import Network, NetworkArgs

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
NAT = "aws:ec2/natGateway:NatGateway"


@pytest.fixture(scope="module")
def dev():
    return run_stack("dev")


@pytest.fixture(scope="module")
def prod():
    return run_stack("prod")


def subnets(rec, tier):
    return [s for s in rec.of_type(SUBNET) if s.inputs["tags"]["rustfs:tier"] == tier]


# The fake account maps us-east-1a->use1-az4, b->az6, c->az1, d->az2 (preflight/fake_zones.py): dev takes the
# default (the first two names), prod pins use1-az1, az2, az4, which are c, d and a in this account.
@pytest.mark.parametrize("stack,ids,names", [
    ("dev", ["use1-az4", "use1-az6"], ["us-east-1a", "us-east-1b"]),
    ("prod", ["use1-az1", "use1-az2", "use1-az4"], ["us-east-1c", "us-east-1d", "us-east-1a"])])
def test_one_private_subnet_per_az_in_order(stack, ids, names, dev, prod):
    rec = {"dev": dev, "prod": prod}[stack]
    private = sorted(subnets(rec, "private"), key=lambda s: s.name)
    assert [s.inputs["availabilityZone"] for s in private] == names
    assert [s.outputs["availabilityZoneId"] for s in private] == ids


def test_vpc_has_dns(dev):
    vpc = dev.one(VPC)
    assert vpc.inputs["enableDnsSupport"] is True and vpc.inputs["enableDnsHostnames"] is True
    assert vpc.inputs["cidrBlock"] == "10.40.0.0/16"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_subnets_inside_vpc_disjoint_and_never_public_on_launch(stack, dev, prod):
    rec = {"dev": dev, "prod": prod}[stack]
    vpc = ipaddress.ip_network(rec.one(VPC).inputs["cidrBlock"])
    nets = [ipaddress.ip_network(s.inputs["cidrBlock"]) for s in rec.of_type(SUBNET)]
    assert all(n.subnet_of(vpc) for n in nets)
    assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in rec.of_type(SUBNET))


def test_nat_count_per_mode(dev, prod):
    assert len(dev.of_type(NAT)) == 1
    assert len(prod.of_type(NAT)) == 3


def test_each_private_subnet_routes_through_its_own_az_nat_in_prod(prod):
    routes = [r for r in prod.of_type("aws:ec2/route:Route") if "natGatewayId" in r.inputs]
    assert len(routes) == 3
    assert len({r.inputs["natGatewayId"] for r in routes}) == 3
    assert len({r.inputs["routeTableId"] for r in routes}) == 3


def test_endpoints(prod):
    endpoints = {e.inputs["serviceName"].rsplit(".", 1)[1]: e for e in prod.of_type(ENDPOINT)}
    assert set(endpoints) == {"s3", "ssm", "ssmmessages", "ec2messages", "ec2", "kms", "logs", "monitoring",
                              "secretsmanager", "sts", "xray"}  # xray: the collector's traces
    s3 = endpoints.pop("s3")
    assert s3.inputs["vpcEndpointType"] == "Gateway" and len(s3.inputs["routeTableIds"]) == 3
    own, repos = json.loads(s3.inputs["policy"])["Statement"]
    assert own["Condition"] == {"StringEquals": {"aws:PrincipalAccount": "123456789012",
                                                 "aws:ResourceAccount": "123456789012"}}
    assert not [a for a in own["Action"] if a.endswith("*")]
    # Unsigned reads (dnf, SSM Agent) carry no principal keys: no condition, only GetObject on AWS's buckets
    # (tests/test_endpoint_policies.py evaluates the real requests against it).
    assert repos["Action"] == "s3:GetObject" and "Condition" not in repos
    assert "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*" in repos["Resource"]
    assert all(r.startswith("arn:aws:s3:::") and "us-east-1" in r for r in repos["Resource"])  # the region's own
    sg_ids = {tuple(e.inputs["securityGroupIds"]) for e in endpoints.values()}
    assert len(sg_ids) == 1
    ((endpoint_sg,),) = sg_ids
    for e in endpoints.values():
        assert e.inputs["vpcEndpointType"] == "Interface" and e.inputs["privateDnsEnabled"] is True
        assert len(e.inputs["subnetIds"]) == 3
    rules = prod.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    endpoint_rules = [r for r in rules if r.inputs["securityGroupId"] == endpoint_sg]
    assert [(r.inputs["cidrIpv4"], r.inputs["fromPort"], r.inputs["toPort"]) for r in endpoint_rules] == [
        ("10.50.0.0/16", 443, 443)]


def test_flow_log_to_encrypted_group_through_scoped_role(prod):
    flow = prod.one("aws:ec2/flowLog:FlowLog")
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["vpcId"] == prod.one(VPC).outputs["id"]
    group = next(g for g in prod.of_type("aws:cloudwatch/logGroup:LogGroup")
                 if g.outputs["arn"] == flow.inputs["logDestination"])
    logs_key = next(k for k in prod.of_type("aws:kms/alias:Alias") if k.inputs["name"].endswith("/logs"))
    key_arn = next(k.outputs["arn"] for k in prod.of_type("aws:kms/key:Key")
                   if k.outputs["keyId"] == logs_key.inputs["targetKeyId"] or k.outputs["arn"] ==
                   logs_key.inputs["targetKeyId"])
    assert group.inputs["kmsKeyId"] == key_arn
    assert group.inputs["retentionInDays"] == 365
    role = next(r for r in prod.of_type("aws:iam/role:Role") if r.outputs["arn"] == flow.inputs["iamRoleArn"])
    trust = json.loads(role.inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    policy = next(p for p in prod.of_type("aws:iam/rolePolicy:RolePolicy") if p.parent == role.urn)
    (grant,) = json.loads(policy.inputs["policy"])["Statement"]
    assert grant["Resource"] == [group.outputs["arn"], group.outputs["arn"] + ":*"]
    assert "logs:CreateLogGroup" not in grant["Action"]


def test_default_security_group_has_no_rules(dev):
    sg = dev.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert sg.inputs["ingress"] == [] and sg.inputs["egress"] == []


def test_outputs(prod):
    network = prod.one("rustfs:network:Network")
    assert network.name == "rustfs-prod-net"
    assert prod.outputs["vpcId"].startswith("vpc-")


def test_s3_endpoint_policy_passes_parliament_and_cloudsplaining():
    from rustfs_aws.network.network import s3_endpoint_policy
    from tests.iam_review import unexplained

    doc = s3_endpoint_policy(account_id="123456789012", partition="aws", region="eu-central-1")
    assert unexplained(doc, "bucket-policy") == []


@pulumi.runtime.test
def test_the_network_component_alone_can_go_without_nat(capture):
    # The stack refuses natGateways=none (its nodes call Route 53, tests/test_config.py); the component, used in
    # other programs, still builds a private-only VPC: no public subnets, no internet gateway, no default route.
    net = Network("t-net", NetworkArgs(
        cidr="10.40.0.0/16", azs=["us-east-1a", "us-east-1b"], nat_gateways="none", region="us-east-1",
        account_id="123456789012", partition="aws", flow_log_kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/k",
        flow_log_retention_days=30, log_group_prefix="/rustfs/t/"))

    def check(_):
        assert NAT not in capture.types and "aws:ec2/internetGateway:InternetGateway" not in capture.types
        assert "aws:ec2/route:Route" not in capture.types
        assert capture.types.count(SUBNET) == 2 and net.public_subnet_ids == []

    return pulumi.Output.all(*net.private_subnet_ids).apply(check)
