"""Multi-region DR (components/dr/): the secondary reads the primary through a mocked StackReference (the SDK's mocks:
preflight's fake answers the read with the primary's outputs), builds its own cluster and the link - peering with
the accepter in the primary's Region, routes on both sides, port-9000 rules scoped to the other VPC's private
subnets, each endpoint's name in the other VPC, the backlog alarm - and refuses what cannot work, naming both values.

The primary's outputs are the real prod program's, recorded by running it here (``python -m preflight outputs`` does
the same in its own process); the tests that need another primary edit that record.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from preflight.fake_stack_refs import (
    OUTPUTS_KIND,
    MissingStackOutputs,
    StackOutputs,
    outputs_document,
    read_outputs_file,
)
from preflight.runner import run_stack
from rustfs_aws.config import ConfigError
from rustfs_aws.dr.primary import PRIMARY_OUTPUTS, SecondaryFacts, check_primary

PRIMARY = "organization/rustfs-aws/prod"
PCX = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
ACCEPTER = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
OPTIONS = "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ZONE = "aws:route53/zone:Zone"
RECORD = "aws:route53/record:Record"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SG = "aws:ec2/securityGroup:SecurityGroup"


@pytest.fixture(scope="module")
def prod_outputs(tmp_path_factory) -> Path:
    """prod's outputs as `python -m preflight outputs --stack prod` writes them."""
    rec = run_stack("prod")
    path = tmp_path_factory.mktemp("outputs") / "prod.json"
    path.write_text(json.dumps(outputs_document("prod", rec.outputs, rec.wire_outputs)))
    return path


def outputs_with(base: Path, tmp_path: Path, **changes) -> Path:
    doc = json.loads(base.read_text())
    for key, value in changes.items():
        if value is None:
            doc["outputs"].pop(key, None)
        else:
            doc["outputs"][key] = value
    path = tmp_path / "primary.json"
    path.write_text(json.dumps(doc))
    return path


def run_dr(outputs: Path, overrides: dict | None = None):
    return run_stack("dr", overrides, stack_outputs=StackOutputs({PRIMARY: outputs}))


@pytest.fixture(scope="module")
def dr(prod_outputs):
    return run_dr(prod_outputs)


@pytest.fixture(scope="module")
def prod(prod_outputs) -> dict:
    return json.loads(prod_outputs.read_text())["outputs"]


def region_of(rec, resource) -> str:
    """The Region a resource is managed in: its provider's (the stack's default provider: us-west-2)."""
    urn = resource.provider.rsplit("::", 1)[0]
    provider = next(r for r in rec.resources if r.urn == urn)
    return provider.inputs["region"]


def test_the_primary_exports_everything_the_secondary_reads(prod):
    assert set(PRIMARY_OUTPUTS) <= set(prod)
    assert prod["vpcCidr"] == "10.50.0.0/16" and prod["region"] == "us-east-1"
    assert len(prod["privateRouteTableIds"]) == len(prod["privateSubnetCidrs"]) == 3
    assert prod["replicationCredentialsSecretArn"].startswith("arn:aws:secretsmanager:us-east-1:")


def test_the_secondary_is_a_whole_cluster_of_its_own_in_its_region(dr, prod):
    assert dr.settings.region == "us-west-2"
    vpcs = dr.of_type("aws:ec2/vpc:Vpc")
    assert [v.inputs["cidrBlock"] for v in vpcs] == ["10.60.0.0/16"]
    assert len(dr.of_type("aws:autoscaling/group:Group")) == 6 and len(dr.of_type("aws:kms/key:Key")) >= 5
    assert dr.stack_references == {PRIMARY: str(Path(dr.stack_references[PRIMARY]))}  # served from the file
    assert dr.outputs["drPrimaryStack"] == PRIMARY


def test_peering_is_requested_here_and_accepted_in_the_primary_region(dr, prod):
    [pcx] = dr.of_type(PCX)
    [accepter] = dr.of_type(ACCEPTER)
    assert pcx.inputs["peerVpcId"] == prod["vpcId"] and pcx.inputs["peerRegion"] == "us-east-1"
    assert pcx.inputs.get("autoAccept") is False
    assert region_of(dr, pcx) == "us-west-2" and region_of(dr, accepter) == "us-east-1"
    assert accepter.inputs["autoAccept"] is True and accepter.inputs["vpcPeeringConnectionId"] == pcx.outputs["id"]
    sides = {(region_of(dr, o), next(k for k in ("requester", "accepter") if k in o.inputs)): o
             for o in dr.of_type(OPTIONS)}
    assert set(sides) == {("us-west-2", "requester"), ("us-east-1", "accepter")}
    assert all(list(o.inputs.values())[0] for o in sides.values())


def test_routes_on_both_sides_carry_only_the_other_vpc(dr, prod):
    [pcx] = dr.of_type(PCX)
    own_tables = {t.outputs["id"] for t in dr.of_type(ROUTE_TABLE) if "private" in t.name}
    routes = [r for r in dr.of_type(ROUTE) if r.inputs.get("vpcPeeringConnectionId")]
    here = [r for r in routes if region_of(dr, r) == "us-west-2"]
    there = [r for r in routes if region_of(dr, r) == "us-east-1"]
    assert {r.inputs["routeTableId"] for r in here} == own_tables and len(here) == 3
    assert {r.inputs["routeTableId"] for r in there} == set(prod["privateRouteTableIds"])
    assert {r.inputs["destinationCidrBlock"] for r in here} == {"10.50.0.0/16"}
    assert {r.inputs["destinationCidrBlock"] for r in there} == {"10.60.0.0/16"}
    assert {r.inputs["vpcPeeringConnectionId"] for r in routes} == {pcx.outputs["id"]}
    public = [t.outputs["id"] for t in dr.of_type(ROUTE_TABLE) if "public" in t.name]
    assert public and not [r for r in routes if r.inputs["routeTableId"] in public]


def test_9000_rules_between_the_clusters_only(dr, prod):
    dr_subnets = [s.inputs["cidrBlock"] for s in dr.of_type("aws:ec2/subnet:Subnet") if "private" in s.name]
    rules = [r for r in dr.of_type(INGRESS) + dr.of_type(EGRESS) if "-link-" in r.name]
    assert rules and all(r.inputs["ipProtocol"] == "tcp" and r.inputs["fromPort"] == r.inputs["toPort"] == 9000
                         for r in rules)
    assert not [r for r in rules if r.inputs.get("referencedSecurityGroupId")]  # inter-region: CIDRs only
    on_primary = [r for r in rules if region_of(dr, r) == "us-east-1"]
    on_dr = [r for r in rules if region_of(dr, r) == "us-west-2"]
    assert {r.inputs["securityGroupId"] for r in on_primary} == {prod["nodeSecurityGroupId"],
                                                                   prod["loadBalancerSecurityGroupId"]}
    assert {r.inputs["cidrIpv4"] for r in on_primary} == set(dr_subnets)
    assert {r.inputs["cidrIpv4"] for r in on_dr} == set(prod["privateSubnetCidrs"])
    own_groups = {g.outputs["id"] for g in dr.of_type(SG)}
    assert {r.inputs["securityGroupId"] for r in on_dr} <= own_groups
    for side in (on_primary, on_dr):  # nodes in and out, the load balancer in, per subnet of the other side
        assert len([r for r in side if r.type == EGRESS]) == 3 and len([r for r in side if r.type == INGRESS]) == 6
    # Each rule names one private subnet of the other VPC, never the whole of either VPC or anything wider.
    for r in rules:
        assert ipaddress.IPv4Network(r.inputs["cidrIpv4"]).prefixlen == 19


def test_each_endpoint_resolves_in_the_other_vpc(dr, prod):
    zones = {z.inputs["name"]: z for z in dr.of_type(ZONE) if "-link-" in z.name}
    primary_zone, own_zone = zones["prod.rustfs.internal"], zones["dr.rustfs.internal"]
    [dr_vpc] = dr.of_type("aws:ec2/vpc:Vpc")
    assert primary_zone.inputs["vpcs"] == [{"vpcId": dr_vpc.outputs["id"], "vpcRegion": "us-west-2"}]
    assert own_zone.inputs["vpcs"] == [{"vpcId": prod["vpcId"], "vpcRegion": "us-east-1"}]
    records = {r.inputs["name"]: r.inputs for r in dr.of_type(RECORD) if "-link-" in r.name}
    assert records["s3.prod.rustfs.internal"]["records"] == [prod["loadBalancerDnsName"]]
    [lb] = dr.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert records["s3.dr.rustfs.internal"]["records"] == [lb.outputs["dnsName"]]
    assert {r["type"] for r in records.values()} == {"CNAME"}


def test_backlog_alarm_is_in_the_primary_region_on_its_metric(dr, prod):
    [alarm] = [a for a in dr.of_type(ALARM) if a.name.endswith("replication-backlog")]
    assert region_of(dr, alarm) == "us-east-1"
    i = alarm.inputs
    assert (i["namespace"], i["dimensions"]) == ("RustFS/prod", {"ClusterId": "rustfs-prod"})
    assert i["metricName"] == "rustfs_replication_recent_backlog_count" and i["threshold"] == 1000
    assert i["period"] * i["evaluationPeriods"] == 15 * 60 and i["alarmActions"] == [prod["opsAlertTopicArn"]]


def test_the_nodes_may_read_only_the_primarys_replication_credentials(dr, prod):
    [policy] = [p for p in dr.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("-iam-node")]
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    read = statements["SiteReplicationReadsPrimaryCredentials"]
    assert read["Action"] == "secretsmanager:GetSecretValue"
    assert read["Resource"] == prod["replicationCredentialsSecretArn"]
    decrypt = statements["SiteReplicationDecryptsPrimaryCredentials"]
    assert decrypt["Resource"] == prod["replicationCredentialsKeyArn"]
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}


# --- refusals -------------------------------------------------------------------------------------------------------

def test_overlapping_cidrs_are_a_configuration_error_naming_both(prod_outputs, tmp_path):
    with pytest.raises(ConfigError) as err:
        run_dr(outputs_with(prod_outputs, tmp_path, vpcCidr="10.60.128.0/17"))
    message = str(err.value)
    assert "rustfs-aws:network.cidr: got '10.60.0.0/16'" in message
    assert "vpcCidr output (10.60.128.0/17) of organization/rustfs-aws/prod" in message


def test_an_on_prem_cidr_overlapping_the_primarys_vpc_names_both(prod_outputs):
    with pytest.raises(ConfigError) as err:
        run_dr(prod_outputs, {"rustfs-aws:hybrid": {"onPremCidrs": ["10.0.0.0/16", "10.50.4.0/24"], "vpn": {
            "customerGatewayIp": "100.20.30.40", "bgpAsn": 65010}}})
    [line] = [x for x in str(err.value).splitlines() if "hybrid.onPremCidrs" in x]
    assert "rustfs-aws:hybrid.onPremCidrs[1]: got '10.50.4.0/24'" in line
    assert "vpcCidr output (10.50.0.0/16) of organization/rustfs-aws/prod" in line


def test_missing_primary_outputs_name_them(prod_outputs, tmp_path):
    with pytest.raises(ConfigError) as err:
        run_dr(outputs_with(prod_outputs, tmp_path, privateRouteTableIds=None, replicationCredentialsSecretArn=None))
    assert "rustfs-aws:dr.primaryStack" in str(err.value)
    assert "exports no privateRouteTableIds, replicationCredentialsSecretArn" in str(err.value)


def test_a_reference_without_outputs_is_refused_clearly(prod_outputs):
    with pytest.raises(MissingStackOutputs) as err:
        run_stack("dr", {"rustfs-aws:dr": {"primaryStack": "acme/other-project/prod"}},
                  stack_outputs=StackOutputs({PRIMARY: prod_outputs}, project="rustfs-aws", run_local=True))
    assert "'acme/other-project/prod'" in str(err.value) and "--stack-outputs acme/other-project/prod=FILE" in str(
        err.value)


@pytest.mark.parametrize(("changes", "key", "why"), [
    ({"region": "us-west-2"}, "aws:region", "same Region"),
    ({"accountId": "210987654321"}, "rustfs-aws:dr.primaryStack", "only same-account peering"),
    ({"clusterDomain": "dr.rustfs.internal"}, "rustfs-aws:cluster.domain", "equals the primary's clusterDomain"),
])
def test_checks_against_the_primary(prod, changes, key, why):
    facts = SecondaryFacts(reference=PRIMARY, network_cidr="10.60.0.0/16", region="us-west-2",
                           account_id="123456789012", domain="dr.rustfs.internal", sse=True)
    assert check_primary(prod, facts) == []
    [problem] = check_primary({**prod, **changes}, facts)
    assert problem.startswith(f"{key}: got ") and why in problem


def test_sse_on_the_primary_needs_sse_here(prod):
    facts = SecondaryFacts(reference=PRIMARY, network_cidr="10.60.0.0/16", region="us-west-2",
                           account_id="123456789012", domain="dr.rustfs.internal", sse=False)
    [problem] = check_primary(prod, facts)
    assert problem.startswith("rustfs-aws:encryption.sse") and "replication_target_boundary.rs" in problem
    assert check_primary({k: v for k, v in prod.items() if k != "sseKeyArn"}, facts) == []


@pytest.mark.parametrize(("dr_section", "extra", "message"), [
    ({"primaryStack": "prod"}, {}, "rustfs-aws:dr.primaryStack: got 'prod'; expected stack reference "
                                   "<organization>/<project>/<stack>"),
    ({"primaryStack": "organization/rustfs-aws/dr"}, {}, "names this stack itself"),
    ({"primaryStack": PRIMARY, "alarms": {"backlogMinutes": 7}}, {}, "a multiple of 5"),
    ({"primaryStack": PRIMARY}, {"rustfs-aws:rustfs": {"buckets": [{"name": "orders"}]}},
     "leave them to the primary on a DR secondary"),
    ({"primaryStack": PRIMARY, "primary": "x"}, {}, "rustfs-aws:dr.primary: got 'x'; unknown key"),
])
def test_dr_config_refusals(prod_outputs, dr_section, extra, message):
    with pytest.raises(ConfigError) as err:
        run_dr(prod_outputs, {"rustfs-aws:dr": dr_section, **extra})
    assert message in str(err.value)


# --- the recorded outputs files -------------------------------------------------------------------------------------

def test_outputs_files_in_each_form(tmp_path):
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"vpcId": "vpc-1", "token": "s3cr3t"}))
    assert read_outputs_file(flat).outputs == {"vpcId": "vpc-1", "token": "s3cr3t"}
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"outputs": {"vpcId": "vpc-1", "token": "[secret]"}, "resources": [], "policy": {}}))
    assert read_outputs_file(report).secret_names == ["token"]
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps({"kind": OUTPUTS_KIND, "outputs": {"a": 1}, "secretOutputNames": ["a"]}))
    assert read_outputs_file(doc).secret_names == ["a"]
    with pytest.raises(MissingStackOutputs, match="not found"):
        read_outputs_file(tmp_path / "nothing.json")


def test_a_secret_output_of_the_primary_stays_secret(prod_outputs, tmp_path):
    doc = json.loads(prod_outputs.read_text())
    doc["secretOutputNames"] = ["caCertificatePem"]
    path = tmp_path / "secret.json"
    path.write_text(json.dumps(doc))
    rec = run_dr(path)
    [parameter] = [p for p in rec.of_type("aws:ssm/parameter:Parameter") if p.name.endswith("-state-desired")]
    value = parameter.inputs.get("insecureValue", parameter.inputs.get("value"))
    assert value == "[secret]"  # the state carries the CA: secret as its source
    [pcx] = rec.of_type(PCX)
    assert pcx.inputs["peerVpcId"] == doc["outputs"]["vpcId"]  # the other outputs are not made secret


def test_the_backlog_alarm_has_its_runbook_line(dr):
    [alarm] = [a for a in dr.of_type(ALARM) if a.name.endswith("replication-backlog")]
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("### What each alarm means", 1)[1].split("\n### ", 1)[0]
    assert alarm.inputs["name"] == "rustfs-dr-replication-backlog"
    assert "| `<name>-replication-backlog` (a DR secondary's, in its primary's Region) |" in section
    assert len(alarm.inputs["alarmDescription"]) <= 1024 and "site-replication/status" in alarm.inputs[
        "alarmDescription"]


def test_the_boundary_spares_exactly_the_primarys_replication_credentials(dr, prod):
    """The reconciler's two calls for the primary's keys, judged against the node role's policy and the stack's
    permissions boundary (whose deny on other stacks' secrets and keys would otherwise stop them)."""
    from iam_eval import Request, evaluate

    [policy] = [p for p in dr.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("-iam-node")]
    [boundary] = [p for p in dr.of_type("aws:iam/policy:Policy") if p.name.endswith("-permissions-boundary")]
    identity, ceiling = json.loads(policy.inputs["policy"]), json.loads(boundary.inputs["policy"])
    prod_tag = ("aws:ResourceTag/rustfs:stack", "prod")
    via = ("kms:ViaService", "secretsmanager.us-east-1.amazonaws.com")

    def allowed(action: str, resource: str, *context) -> bool:
        return evaluate(Request(action, resource, (prod_tag, *context), "reconciler"), identity, ceiling).allowed

    assert allowed("secretsmanager:GetSecretValue", prod["replicationCredentialsSecretArn"])
    assert allowed("kms:Decrypt", prod["replicationCredentialsKeyArn"], via)
    # Nothing else of the primary's: another of its secrets, its key outside Secrets Manager of its Region.
    other_secret = prod["serviceAccountSecretArns"]["orders-api"]
    assert not allowed("secretsmanager:GetSecretValue", other_secret)
    assert not allowed("kms:Decrypt", prod["replicationCredentialsKeyArn"],
                       ("kms:ViaService", "secretsmanager.us-west-2.amazonaws.com"))
    assert not allowed("kms:Decrypt", prod["sseKeyArn"], via)


def test_the_dr_stacks_iam_documents_pass_parliament_and_cloudsplaining(dr):
    """The secondary's node policy (with the primary's credentials) and its boundary (with their exception),
    reviewed as tests/test_iam_documents.py reviews dev's and prod's."""
    from iam_review import unexplained

    docs = [("identity", json.loads(r.inputs["policy"])) for r in dr.of_type("aws:iam/rolePolicy:RolePolicy")]
    docs += [("boundary" if r.name.endswith("-permissions-boundary") else "identity", json.loads(r.inputs["policy"]))
             for r in dr.of_type("aws:iam/policy:Policy")]
    assert any(s.get("Sid") == "SiteReplicationReadsPrimaryCredentials" for _, d in docs for s in d["Statement"])
    for kind, doc in docs:
        assert unexplained(doc, kind) == [], json.dumps(doc)[:300]
