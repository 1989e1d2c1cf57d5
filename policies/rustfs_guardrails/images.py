"""EC2 Image Builder: the node image pipeline (components/images/pipeline.py).

An image is the root disk of every node that boots from it: the AMI and the build's volumes are encrypted with a
customer managed key, the build instance is unreachable from the network and answers IMDSv2 only (it runs AWS's
build agent with an instance role), downloads are checksum-verified before they become part of every node, and
every image is tested before it is distributed.
"""

from __future__ import annotations

import yaml
from pulumi_policy import Severity

from ._kit import Res, is_false, is_unknown, known_num, known_str, resource_policy, stack_policy
from ._kit import aws as aws_type

COMPONENT = aws_type("imagebuilder", "Component")
RECIPE = aws_type("imagebuilder", "ImageRecipe")
INFRASTRUCTURE = aws_type("imagebuilder", "InfrastructureConfiguration")
DISTRIBUTION = aws_type("imagebuilder", "DistributionConfiguration")
PIPELINE = aws_type("imagebuilder", "ImagePipeline")
SUBNET = aws_type("ec2", "Subnet")
ROUTE_TABLE = aws_type("ec2", "RouteTable")
ROUTE = aws_type("ec2", "Route")
ASSOCIATION = aws_type("ec2", "RouteTableAssociation")
INTERNET_GATEWAY = aws_type("ec2", "InternetGateway")
SECURITY_GROUP = aws_type("ec2", "SecurityGroup")
INGRESS_RULE = aws_type("vpc", "SecurityGroupIngressRule")
LEGACY_RULE = aws_type("ec2", "SecurityGroupRule")
_AWS_MANAGED_EBS = ("alias/aws/ebs",)
# WebDownload algorithms (AWSTOE action modules) that still resist a chosen replacement of the file.
STRONG_CHECKSUMS = ("SHA256", "SHA512")


def _truthy(value) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


# ---- the AMI and the build's volumes: a customer managed key ----

def _check_distribution(res: Res, cfg: dict, report) -> None:
    for i, d in enumerate(res.items("distributions")):
        if not isinstance(d, dict) or d.get("containerDistributionConfiguration") is not None:
            continue  # a container image: ECR encrypts it, no AMI is made here
        ami = d.get("amiDistributionConfiguration")
        if is_unknown(ami):
            continue
        key = (ami or {}).get("kmsKeyId") if isinstance(ami, dict) else None
        if is_unknown(key):
            continue
        region = known_str(d.get("region")) or f"distributions[{i}]"
        if key is None:
            report(f"Image distribution '{res.name}' makes the AMI in {region} without a customer managed key "
                   "(amiDistributionConfiguration.kmsKeyId): it keeps the build's encryption, or none.")
        elif isinstance(key, str) and key.endswith(_AWS_MANAGED_EBS):
            report(f"Image distribution '{res.name}' encrypts the AMI in {region} with the AWS managed aws/ebs key, "
                   "whose policy nobody can restrict: use a customer managed key.")


distribution_cmk = resource_policy(
    "rustfs-imagebuilder-distributionconfiguration-require-cmk",
    "Image Builder distributions encrypt every AMI, in every Region, with a customer managed KMS key.",
    severity=Severity.HIGH, types=[DISTRIBUTION], check=_check_distribution, checks=["CKV_AWS_199"],
    topics=["encryption", "images"],
    remediation="Set amiDistributionConfiguration.kmsKeyId of every distribution to a customer managed key of its "
                "Region (the copy Region's key for a copy).")


def _check_recipe(res: Res, cfg: dict, report) -> None:
    mappings = res.get("blockDeviceMappings")
    if is_unknown(mappings):
        return
    ebs_mappings = [m for m in res.items("blockDeviceMappings") if isinstance(m, dict) and m.get("ebs") is not None]
    if not ebs_mappings:
        report(f"Image recipe '{res.name}' declares no EBS block device: the root volume inherits the parent "
               "image's encryption (none for the AWS Amazon Linux images).")
    for m in ebs_mappings:
        ebs, device = m.get("ebs"), known_str(m.get("deviceName")) or "?"
        if is_unknown(ebs) or not isinstance(ebs, dict):
            continue
        if is_unknown(ebs.get("encrypted")) or is_unknown(ebs.get("kmsKeyId")):
            continue
        if not _truthy(ebs.get("encrypted")):
            report(f"Image recipe '{res.name}' builds on an unencrypted {device}.")
        elif ebs.get("kmsKeyId") is None:
            report(f"Image recipe '{res.name}' encrypts {device} with the account's default EBS key, not a named "
                   "customer managed key (kmsKeyId).")


recipe_encrypted = resource_policy(
    "rustfs-imagebuilder-imagerecipe-require-encrypted-volumes",
    "Image Builder recipes encrypt the build's EBS volumes with a named customer managed key.",
    severity=Severity.HIGH, types=[RECIPE], check=_check_recipe, checks=["CKV_AWS_200"],
    topics=["encryption", "images"])


# ---- the build instance ----

def _check_build_instance(res: Res, cfg: dict, report) -> None:
    options = res.get("instanceMetadataOptions")
    if is_unknown(options):
        return
    tokens = (options or {}).get("httpTokens") if isinstance(options, dict) else None
    hops = known_num((options or {}).get("httpPutResponseHopLimit")) if isinstance(options, dict) else None
    if not is_unknown(tokens) and tokens != "required":
        report(f"Image build infrastructure '{res.name}' allows IMDSv1 (instanceMetadataOptions.httpTokens "
               f"{tokens or 'unset'}, want required): the build agent's role credentials answer an unsigned GET.")
    if hops is not None and hops > cfg["maxHopLimit"]:
        report(f"Image build infrastructure '{res.name}' lets instance metadata travel {hops:g} hops (at most "
               f"{cfg['maxHopLimit']}): only an AMI build's own processes need it.")
    terminate = res.get("terminateInstanceOnFailure")
    if not is_unknown(terminate) and terminate is not True:
        report(f"Image build infrastructure '{res.name}' keeps failed build instances running "
               "(terminateInstanceOnFailure not true): they cost until someone finds them.")


build_instance = resource_policy(
    "rustfs-imagebuilder-infrastructureconfiguration-require-imdsv2",
    "Image Builder build and test instances require IMDSv2 with a one-hop limit and are terminated when a build "
    "fails.",
    severity=Severity.HIGH, types=[INFRASTRUCTURE], check=_check_build_instance, topics=["compute", "images"],
    config={"maxHopLimit": {"type": "number", "minimum": 1, "maximum": 64, "default": 1,
                            "description": "2 for container builds, whose Docker daemon is one hop further"}})


def _public_subnet(subnet: Res, resources: list[Res]) -> bool:
    """Instances in it are reachable from the internet: public IPs on launch, or a default route to an IGW."""
    if _truthy(subnet.get("mapPublicIpOnLaunch")):
        return True
    gateways = [r for r in resources if r.type == INTERNET_GATEWAY]
    tables = [a for a in resources if a.type == ASSOCIATION and a.refers_to("subnetId", subnet)]
    for association in tables:
        for table in (t for t in resources if t.type == ROUTE_TABLE and association.refers_to("routeTableId", t)):
            inline = [r.get("gatewayId") for r in table.items("routes") if isinstance(r, dict)]
            routes = [r for r in resources if r.type == ROUTE and r.refers_to("routeTableId", table)]
            if any(isinstance(g, str) and g.startswith("igw-") for g in inline) or any(
                    any(r.refers_to("gatewayId", g) for g in gateways) for r in routes):
                return True
    return False


def _ingress(group: Res, resources: list[Res]) -> bool:
    inline = group.get("ingress")
    if isinstance(inline, list) and inline:
        return True
    return any((r.type == INGRESS_RULE or (r.type == LEGACY_RULE and r.get("type") == "ingress"))
               and r.refers_to("securityGroupId", group) for r in resources)


def _check_build_network(resources: list[Res], cfg: dict, report) -> None:
    subnets = [r for r in resources if r.type == SUBNET]
    groups = [r for r in resources if r.type == SECURITY_GROUP]
    for infra in (r for r in resources if r.type == INFRASTRUCTURE):
        subnet = infra.get("subnetId")
        if subnet is None:
            report(f"Image build infrastructure '{infra.name}' names no subnet: Image Builder then builds in the "
                   "default VPC, with a public IP.", infra.urn)
        for s in (s for s in subnets if infra.refers_to("subnetId", s) and _public_subnet(s, resources)):
            report(f"Image build infrastructure '{infra.name}' builds in public subnet '{s.name}': use a private "
                   "subnet with NAT.", infra.urn)
        declared = infra.get("securityGroupIds")
        if declared is None or (isinstance(declared, list) and not declared):
            report(f"Image build infrastructure '{infra.name}' names no security group: the build gets the VPC's "
                   "default group.", infra.urn)
        for g in (g for g in groups if infra.refers_to("securityGroupIds", g) and _ingress(g, resources)):
            report(f"Image build infrastructure '{infra.name}' puts its instances in group '{g.name}', which admits "
                   "inbound traffic: Image Builder drives them through Systems Manager and needs none.", infra.urn)


build_network = stack_policy(
    "rustfs-imagebuilder-infrastructureconfiguration-require-private-network",
    "Image Builder builds in a named private subnet (no public IPs, no internet gateway route) behind security "
    "groups that admit no inbound traffic.",
    severity=Severity.HIGH, types=[INFRASTRUCTURE, SUBNET, ROUTE_TABLE, ROUTE, ASSOCIATION, INTERNET_GATEWAY,
                                   SECURITY_GROUP, INGRESS_RULE, LEGACY_RULE],
    check=_check_build_network, topics=["network", "exposure", "images"])


# ---- what goes into the image ----

def _downloads(document: dict):
    for phase in document.get("phases") or []:
        for step in (phase or {}).get("steps") or []:
            if isinstance(step, dict) and step.get("action") == "WebDownload":
                for download in step.get("inputs") or []:
                    if isinstance(download, dict):
                        yield phase.get("name"), step.get("name"), download


def _check_component(res: Res, cfg: dict, report) -> None:
    data = known_str(res.get("data"))
    if data is None:
        return
    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError:
        return  # Image Builder refuses it itself
    if not isinstance(document, dict):
        return
    for phase, step, download in _downloads(document):
        source = download.get("source")
        algorithm = download.get("algorithm")
        if not download.get("checksum") or algorithm not in STRONG_CHECKSUMS:
            report(f"Image component '{res.name}' {phase}/{step} downloads {source} without a "
                   f"{' or '.join(STRONG_CHECKSUMS)} checksum (algorithm {algorithm or 'unset'}): whatever the "
                   "server sends becomes part of every node.")


component_downloads = resource_policy(
    "rustfs-imagebuilder-component-require-verified-downloads",
    "Image Builder components verify every WebDownload with a pinned SHA-256 or SHA-512 checksum.",
    severity=Severity.HIGH, types=[COMPONENT], check=_check_component, topics=["supply-chain", "images"],
    remediation="Give each WebDownload input `checksum` and `algorithm: SHA256` (the pin from releases.json).")


def _check_pipeline(res: Res, cfg: dict, report) -> None:
    tests = res.get("imageTestsConfiguration")
    if is_unknown(tests) or not isinstance(tests, dict):
        return  # absent: Image Builder runs the tests (imageTestsEnabled defaults to true)
    if is_false(tests.get("imageTestsEnabled")):
        report(f"Image pipeline '{res.name}' distributes images without running their test phase "
               "(imageTestsConfiguration.imageTestsEnabled false).")


pipeline_tests = resource_policy(
    "rustfs-imagebuilder-imagepipeline-require-image-tests",
    "Image Builder pipelines test every image (the components' test phase on an instance launched from it) before "
    "they distribute it.",
    severity=Severity.MEDIUM, types=[PIPELINE], check=_check_pipeline, topics=["resilience", "images"])

POLICIES = [distribution_cmk, recipe_encrypted, build_instance, build_network, component_downloads, pipeline_tests]
