"""The S3 endpoint shared through Amazon VPC Lattice (components/eks/lattice.py, config ``eks.lattice``).

Checked on the recorded eks stack as AWS would see it: the resource configuration points at the NLB the AWS
Load Balancer Controller reports for the S3 Service, on TCP 9000 only; the resource gateway may send only
there; the name consumers use is in the pods' certificate; a service network of the stack's own requires IAM
auth, and the pack refuses one that does not. The fake refuses what the Lattice and RAM APIs refuse.
"""

from __future__ import annotations

import json
from functools import cache

import pytest

from preflight.analysis import policy_config_for, run_policies
from preflight.fake_eks import NLB_CLASS
from preflight.fake_lattice import LatticeApiError, principal_association, resource_configuration
from preflight.runner import run_stack
from rustfs_aws.config import ConfigError, parse

REGION, OWN, OTHER = "us-east-1", "123456789012", "210987654321"
EXISTING = "sn-0123456789abcdef0"
RC = "aws:vpclattice/resourceConfiguration:ResourceConfiguration"


def _eks_config(lattice: dict) -> dict:
    return {"rustfs-aws:eks": {"kubernetesVersion": "1.35", "namespace": "rustfs", "clientNamespaces": ["analytics"],
                               "rustfs": {"memoryGiB": 16, "cpu": 4}, "lattice": lattice}}


@cache
def created():
    return run_stack("eks", overrides=_eks_config({"createServiceNetwork": True, "allowedPrincipals": [OTHER]}))


@cache
def existing():
    return run_stack("eks", overrides=_eks_config({"serviceNetworkId": EXISTING}))


def _s3_service(rec):
    return next(r for r in rec.of_type("kubernetes:core/v1:Service") if r.inputs["spec"].get("type") == "LoadBalancer")


def test_the_resource_is_the_s3_services_nlb_on_tcp_9000_only():
    rec = created()
    (config,) = rec.of_type(RC)
    service = _s3_service(rec)
    assert service.inputs["spec"]["loadBalancerClass"] == NLB_CLASS
    hostname = service.outputs["status"]["loadBalancer"]["ingress"][0]["hostname"]
    assert hostname.endswith(f".elb.{REGION}.amazonaws.com")
    assert config.inputs["resourceConfigurationDefinition"] == {"dnsResource": {"domainName": hostname,
                                                                                "ipAddressType": "IPV4"}}
    assert config.inputs["type"] == "SINGLE" and config.inputs["protocol"] == "TCP"
    assert config.inputs["portRanges"] == ["9000"]
    assert config.inputs["customDomainName"] == "s3.eks.rustfs.internal"


def test_the_gateway_spans_the_private_subnets_and_may_send_only_9000_to_them():
    rec = created()
    (gateway,) = rec.of_type("aws:vpclattice/resourceGateway:ResourceGateway")
    subnets = {s.outputs["id"]: s for s in rec.of_type("aws:ec2/subnet:Subnet")}
    private = {i for i, s in subnets.items() if not s.inputs.get("mapPublicIpOnLaunch")}
    assert set(gateway.inputs["subnetIds"]) <= private and len(gateway.inputs["subnetIds"]) == 3
    (group_id,) = gateway.inputs["securityGroupIds"]
    rules_in = [r for r in rec.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                if r.inputs["securityGroupId"] == group_id]
    rules_out = [r for r in rec.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
                 if r.inputs["securityGroupId"] == group_id]
    assert rules_in == []
    assert {(r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["toPort"]) for r in rules_out} == {("tcp", 9000,
                                                                                                          9000)}
    cidrs = {subnets[i].inputs["cidrBlock"] for i in gateway.inputs["subnetIds"]}
    assert {r.inputs["cidrIpv4"] for r in rules_out} == cidrs
    group = next(g for g in rec.of_type("aws:ec2/securityGroup:SecurityGroup") if g.outputs["id"] == group_id)
    assert not group.inputs.get("ingress") and not group.inputs.get("egress")  # no inline rule beside them


def test_the_consumers_name_is_in_the_pods_certificate():
    request = created().one("tls:index/certRequest:CertRequest")
    assert "s3.eks.rustfs.internal" in request.inputs["dnsNames"]
    assert "s3.eks.rustfs.internal" not in run_stack("eks").one("tls:index/certRequest:CertRequest").inputs[
        "dnsNames"]


def test_a_created_service_network_requires_iam_auth_and_admits_the_allowed_accounts():
    rec = created()
    (network,) = rec.of_type("aws:vpclattice/serviceNetwork:ServiceNetwork")
    assert network.inputs["authType"] == "AWS_IAM"
    (auth,) = rec.of_type("aws:vpclattice/authPolicy:AuthPolicy")
    assert auth.inputs["resourceIdentifier"] == network.outputs["arn"]
    (statement,) = json.loads(auth.inputs["policy"])["Statement"]
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalAccount": [OWN, OTHER]}}
    (association,) = rec.of_type(
        "aws:vpclattice/serviceNetworkResourceAssociation:ServiceNetworkResourceAssociation")
    (config,) = rec.of_type(RC)
    assert association.inputs["serviceNetworkIdentifier"] == network.outputs["id"]
    assert association.inputs["resourceConfigurationIdentifier"] == config.outputs["id"]
    assert association.inputs["privateDnsEnabled"] is True
    (share,) = rec.of_type("aws:ram/resourceShare:ResourceShare")
    assert share.inputs["allowExternalPrincipals"] is False
    (shared,) = rec.of_type("aws:ram/resourceAssociation:ResourceAssociation")
    assert shared.inputs["resourceArn"] == network.outputs["arn"]
    assert [p.inputs["principal"] for p in rec.of_type("aws:ram/principalAssociation:PrincipalAssociation")] == [OTHER]


def test_an_existing_service_network_is_only_associated():
    rec = existing()
    types = {r.type for r in rec.resources}
    assert not types & {"aws:vpclattice/serviceNetwork:ServiceNetwork", "aws:vpclattice/authPolicy:AuthPolicy",
                        "aws:ram/resourceShare:ResourceShare"}
    (association,) = rec.of_type(
        "aws:vpclattice/serviceNetworkResourceAssociation:ServiceNetworkResourceAssociation")
    assert association.inputs["serviceNetworkIdentifier"] == EXISTING


def test_the_pack_passes_the_lattice_stack():
    """An open service network is refused by rustfs-vpclattice-servicenetwork-require-iam-auth (its cases in
    tests/policy_cases.py); here: the stack's own passes it and every other mandatory policy."""
    config, _ = policy_config_for("eks", None)
    violations = run_policies(created(), policy_config=config, config_file=None).violations
    assert [v for v in violations if v["enforcementLevel"] == "mandatory"] == []
    assert "rustfs-vpclattice-servicenetwork-require-iam-auth" in {
        p["name"] for p in run_policies(existing(), policy_config=config, config_file=None).policies}


def test_a_first_preview_runs_with_the_nlb_name_unknown():
    rec = run_stack("eks", new_stack=True, overrides=_eks_config({"createServiceNetwork": True}))
    (config,) = rec.of_type(RC)
    assert config.inputs["resourceConfigurationDefinition"]["dnsResource"]["domainName"] == "[unknown]"


# --- the fake refuses what the APIs refuse ----------------------------------------------------------------

class _Fake:
    account_id = OWN

    def arn(self, service, resource):
        return f"arn:aws:{service}:{REGION}:{OWN}:{resource}"


_GOOD = {"name": "rustfs-eks-s3", "type": "SINGLE", "protocol": "TCP", "portRanges": ["9000"],
         "resourceGatewayIdentifier": "rgw-1", "resourceConfigurationDefinition": {"dnsResource": {
             "domainName": "k8s-rustfs-rustfs-1.elb.us-east-1.amazonaws.com", "ipAddressType": "IPV4"}}}


@pytest.mark.parametrize(("change", "refusal"), [
    ({"name": "Rustfs_S3"}, "name"),
    ({"name": "rustfs--s3"}, "name"),
    ({"protocol": "UDP"}, "TCP"),
    ({"portRanges": ["0"]}, "port range"),
    ({"portRanges": ["9001-9000"]}, "port range"),
    ({"resourceGatewayIdentifier": None}, "resourceGatewayIdentifier"),
    ({"resourceConfigurationDefinition": {}}, "exactly one"),
    ({"resourceConfigurationDefinition": {"dnsResource": {"domainName": "not a name", "ipAddressType": "IPV4"}}},
     "no domain name"),
])
def test_fake_lattice_refuses_a_resource_configuration_the_api_refuses(change, refusal):
    resource_configuration(_Fake(), "c", _GOOD)
    with pytest.raises(LatticeApiError, match=refusal):
        resource_configuration(_Fake(), "c", {**_GOOD, **change})


def test_fake_ram_refuses_its_own_account_and_malformed_principals():
    principal_association(_Fake(), "p", {"resourceShareArn": "arn:share", "principal": OTHER})
    for bad in (OWN, "12345", "arn:aws:iam::210987654321:root"):
        with pytest.raises(LatticeApiError):
            principal_association(_Fake(), "p", {"resourceShareArn": "arn:share", "principal": bad})


# --- config -------------------------------------------------------------------------------------------------

BASE = {"environment": "staging", "tags": {"Owner": "o", "CostCenter": "c"}, "network": {"azCount": 3},
        "cluster": {"platform": "eks", "nodes": 6, "drivesPerNode": 4, "instanceType": "m6i.2xlarge",
                    "domain": "s.example.internal"}}


def _lattice(section: dict):
    return parse({**BASE, "eks": {"lattice": section}}, stack="eks", region=REGION).eks.lattice


def _problems(section: dict) -> str:
    with pytest.raises(ConfigError) as err:
        _lattice(section)
    return str(err.value)


def test_lattice_is_off_unless_configured_and_names_the_s3_endpoint_by_default():
    assert parse(BASE, stack="eks", region=REGION).eks.lattice is None
    lattice = _lattice({"createServiceNetwork": True})
    assert lattice.domain_name == "s3.s.example.internal" and lattice.service_network_id is None
    arn = f"arn:aws:vpc-lattice:{REGION}:{OTHER}:servicenetwork/{EXISTING}"
    assert _lattice({"serviceNetworkId": arn}).service_network_id == arn


@pytest.mark.parametrize(("section", "expected"), [
    ({}, "eks.lattice: got {}; set exactly one of serviceNetworkId"),
    ({"serviceNetworkId": EXISTING, "createServiceNetwork": True}, "set exactly one of"),
    ({"serviceNetworkId": "sn-123"}, "eks.lattice.serviceNetworkId: got 'sn-123'"),
    ({"serviceNetworkId": EXISTING, "allowedPrincipals": [OTHER]}, "eks.lattice.allowedPrincipals"),
    ({"createServiceNetwork": True, "allowedPrincipals": ["1234"]}, "eks.lattice.allowedPrincipals[0]"),
    ({"createServiceNetwork": True, "domainName": "Not A Name"}, "eks.lattice.domainName"),
    ({"createServiceNetwork": True, "authType": "NONE"}, "eks.lattice.authType: got 'NONE'; unknown key"),
])
def test_lattice_config_errors_name_the_key(section, expected):
    assert expected in _problems(section)


def test_with_configured_client_cidrs_the_gateways_subnets_still_reach_9000():
    overrides = {**_eks_config({"createServiceNetwork": True}), "rustfs-aws:cluster": {
        **json.loads(run_stack("eks").settings.config["rustfs-aws:cluster"]), "clientCidrs": ["10.99.0.0/16"]}}
    rec = run_stack("eks", overrides=overrides)
    (policy,) = rec.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    s3 = next(r for r in policy.inputs["spec"]["ingress"] if r["ports"][0]["port"] == 9000)
    blocks = {p["ipBlock"]["cidr"] for p in s3["from"] if "ipBlock" in p}
    (gateway,) = rec.of_type("aws:vpclattice/resourceGateway:ResourceGateway")
    subnets = {s.outputs["id"]: s.inputs["cidrBlock"] for s in rec.of_type("aws:ec2/subnet:Subnet")}
    assert blocks == {"10.99.0.0/16", *(subnets[i] for i in gateway.inputs["subnetIds"])}
