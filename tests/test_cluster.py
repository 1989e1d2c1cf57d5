"""The RustFS cluster as the real program declares it for dev and prod: nodes, volumes, launch templates."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
from collections import defaultdict
from functools import cache

import pytest
import yaml
from google.protobuf import json_format
from user_data import decode_user_data, env_file

from preflight.runner import run_stack
from preflight.topology import nodes_from_volumes
from rustfs_model.layout import from_resources, volumes_string

VOLUME = "aws:ebs/volume:Volume"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
GROUP = "aws:autoscaling/group:Group"
SUBNET = "aws:ec2/subnet:Subnet"
KEY = "aws:kms/key:Key"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
PLACEMENT = "aws:ec2/placementGroup:PlacementGroup"
RECORD = "aws:route53/record:Record"
STACKS = ["dev", "prod"]
SHELL = re.compile(r"^#!\s*/(usr/)?bin/(env )?(ba)?sh\b")


@cache
def rec(stack: str):
    return run_stack(stack)


def data_key_arn(r) -> str:
    [key] = [k for k in r.of_type(KEY) if k.inputs["tags"].get("rustfs:key-purpose") == "data"
             and "snapshot-copies" not in k.inputs["tags"]["Name"]]
    return key.outputs["arn"]


def subnet_az(r) -> dict[str, str]:
    return {s.outputs["id"]: s.inputs["availabilityZone"] for s in r.of_type(SUBNET)}


def user_data(r) -> dict[str, str]:
    """Node name -> decoded user data (cloud-config text)."""
    out = {}
    for lt in r.of_type(LAUNCH_TEMPLATE):
        [spec] = [t for t in lt.inputs["tagSpecifications"] if t["resourceType"] == "instance"]
        out[spec["tags"]["rustfs:node-name"]] = decode_user_data(lt.inputs["userData"])
    return out


def written_files(cloud_config: str) -> dict[str, str]:
    assert cloud_config.startswith("#cloud-config\n")
    return {f["path"]: f["content"] for f in yaml.safe_load(cloud_config)["write_files"]}


# --- volumes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_node_has_its_drives_in_the_az_of_its_only_subnet(stack):
    r = rec(stack)
    azs = subnet_az(r)
    node_az = {}
    for group in r.of_type(GROUP):
        [subnet] = group.inputs["vpcZoneIdentifiers"]
        node = next(t["value"] for t in group.inputs["tags"] if t["key"] == "rustfs:node")
        node_az[node] = azs[subnet]
    drives = defaultdict(list)
    for v in r.of_type(VOLUME):
        tags = v.inputs["tags"]
        assert v.inputs["availabilityZone"] == node_az[tags["rustfs:node"]], v.name
        drives[tags["rustfs:node"]].append(int(tags["rustfs:drive"]))
    cluster = json.loads(r.settings.config["rustfs-aws:cluster"])
    assert len(node_az) == cluster["nodes"]
    assert {n: sorted(d) for n, d in drives.items()} == {n: list(range(cluster["drivesPerNode"])) for n in node_az}


@pytest.mark.parametrize("stack", STACKS)
def test_data_volumes_are_encrypted_with_the_data_key_and_sized_from_config(stack):
    r = rec(stack)
    volume = json.loads(r.settings.config["rustfs-aws:cluster"])["volume"]
    key = data_key_arn(r)
    for v in r.of_type(VOLUME):
        assert v.inputs["encrypted"] is True and v.inputs["kmsKeyId"] == key, v.name
        assert (v.inputs["type"], v.inputs["size"], v.inputs["iops"], v.inputs["throughput"]) == (
            volume["type"], volume["sizeGiB"], volume["iops"], volume["throughputMiBps"])
        assert v.inputs["tags"]["rustfs:cluster"] == f"rustfs-{stack}"


def test_prod_data_volumes_are_protected_retained_and_snapshotted_on_delete():
    for v in rec("prod").of_type(VOLUME):
        assert v.protect and v.retain_on_delete and v.inputs["finalSnapshot"] is True, v.name


def test_dev_data_volumes_can_be_destroyed():
    assert all(not v.protect and not v.retain_on_delete for v in rec("dev").of_type(VOLUME))


def test_data_volumes_ignore_creation_only_inputs_but_never_their_az():
    """The refusal: prod volumes are protected (the engine fails a plan that replaces or deletes them);
    inputs that would force a replacement for no data reason are ignored; the AZ never is."""
    from preflight import runner

    options = {}
    original = runner.RecordingMonitor.RegisterResource

    def spy(self, request):
        if request.type == VOLUME:
            options[request.name] = (set(request.ignoreChanges), request.protect)
        return original(self, request)

    runner.RecordingMonitor.RegisterResource = spy
    try:
        run_stack("prod")
    finally:
        runner.RecordingMonitor.RegisterResource = original
    assert len(options) == 6 * 16  # prod: 6 nodes x 16 drives
    for name, (ignored, protect) in options.items():
        assert protect, name
        assert ignored == {"kmsKeyId", "encrypted", "snapshotId"}, name
        assert "availabilityZone" not in ignored


# --- launch templates and groups --------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_launch_templates_require_imdsv2_and_never_give_a_public_ip(stack):
    r = rec(stack)
    assert r.of_type("aws:ec2/instance:Instance") == []  # every instance comes from a launch template
    templates = r.of_type(LAUNCH_TEMPLATE)
    assert len(templates) == len(r.of_type(GROUP)) > 0
    for lt in templates:
        meta = lt.inputs["metadataOptions"]
        assert (meta["httpTokens"], meta["httpPutResponseHopLimit"], meta["httpEndpoint"]) == ("required", 1, "enabled")
        [eni] = lt.inputs["networkInterfaces"]
        assert eni["associatePublicIpAddress"] == "false"
        assert lt.inputs["ebsOptimized"] == "true" and lt.inputs["monitoring"]["enabled"] is True
        assert lt.inputs["iamInstanceProfile"]["arn"].endswith(f":instance-profile/rustfs-{stack}-node")
        assert "keyName" not in lt.inputs  # no SSH key pair: Session Manager only


@pytest.mark.parametrize("stack", STACKS)
def test_root_volume_is_encrypted_with_the_data_key_and_tags_cover_instance_volume_and_eni(stack):
    r = rec(stack)
    for lt in r.of_type(LAUNCH_TEMPLATE):
        [root] = lt.inputs["blockDeviceMappings"]
        assert root["ebs"]["encrypted"] == "true" and root["ebs"]["kmsKeyId"] == data_key_arn(r)
        specs = {s["resourceType"]: s["tags"] for s in lt.inputs["tagSpecifications"]}
        assert set(specs) == {"instance", "volume", "network-interface"}
        assert all({"Project", "Environment", "Owner", "CostCenter"} <= set(t) for t in specs.values())
        # The take-over step and the snapshot policy select data volumes by these tags: never the root.
        assert "rustfs:cluster" not in specs["volume"] and "rustfs:node" not in specs["volume"]
        assert specs["instance"]["rustfs:cluster"] == f"rustfs-{stack}"


@pytest.mark.parametrize("stack", STACKS)
def test_each_node_is_one_self_healing_group_of_exactly_one_instance(stack):
    r = rec(stack)
    templates = {lt.inputs["name"] for lt in r.of_type(LAUNCH_TEMPLATE)}
    used = set()
    for g in r.of_type(GROUP):
        assert (g.inputs["minSize"], g.inputs["maxSize"], g.inputs["desiredCapacity"]) == (1, 1, 1)
        assert len(g.inputs["vpcZoneIdentifiers"]) == 1
        # EC2 status checks only: /health/ready is 503 everywhere without quorum and must not kill nodes.
        assert g.inputs["healthCheckType"] == "EC2"
        assert g.inputs["instanceMaintenancePolicy"]["minHealthyPercentage"] == 0
        used.add(g.inputs["launchTemplate"]["name"])
    assert used == templates


@pytest.mark.parametrize("stack", STACKS)
def test_placement_groups_one_per_az_within_the_partition_limit(stack):
    r = rec(stack)
    groups = r.of_type(PLACEMENT)
    azs = {lt.inputs["description"].rsplit("(", 1)[1].rstrip(")") for lt in r.of_type(LAUNCH_TEMPLATE)}
    assert len(groups) == len(azs)
    assert all(g.inputs["strategy"] == "partition" and 1 <= g.inputs["partitionCount"] <= 7 for g in groups)
    parts = defaultdict(set)
    for lt in r.of_type(LAUNCH_TEMPLATE):
        parts[lt.inputs["placement"]["groupName"]].add(lt.inputs["placement"]["partitionNumber"])
    per_group = defaultdict(int)
    for lt in r.of_type(LAUNCH_TEMPLATE):
        per_group[lt.inputs["placement"]["groupName"]] += 1
    assert all(len(parts[g]) == n for g, n in per_group.items())  # <= 7 nodes per AZ: distinct partitions


def test_spread_placement_refuses_more_than_seven_nodes_in_an_az():
    cluster = json.loads(rec("dev").settings.config["rustfs-aws:cluster"])
    from rustfs_aws.config import ConfigError

    with pytest.raises(ConfigError, match="at most 7 running instances per AZ"):
        run_stack("dev", {"rustfs-aws:cluster": {**cluster, "nodes": 16, "placement": "spread"}})


# --- user data --------------------------------------------------------------------------------------------


def generated_secrets(r) -> list[str]:
    values = [p.outputs["result"] for p in r.of_type("random:index/randomPassword:RandomPassword")]
    values += [k.outputs[f] for k in r.of_type("tls:index/privateKey:PrivateKey")
               for f in ("privateKeyPem", "privateKeyPemPkcs8")]
    assert len(values) >= 2
    return values


@pytest.mark.parametrize("stack", STACKS)
def test_user_data_decodes_and_contains_no_secret(stack):
    r = rec(stack)
    secrets = generated_secrets(r)
    for lt in r.of_type(LAUNCH_TEMPLATE):
        wire = json.dumps(json_format.MessageToDict(lt.wire_inputs))
        text = decode_user_data(lt.inputs["userData"])
        for secret in secrets:
            assert secret not in text and secret not in wire, lt.name
            body = [line for line in secret.splitlines() if line and not line.startswith("-----")]
            assert not any(line in text for line in body)  # not even the base64 body of a key
        assert "BEGIN PRIVATE KEY" not in text and "rustfsadmin" not in env_file(
            written_files(text)["/etc/default/rustfs"]).values()


@pytest.mark.parametrize("stack", STACKS)
def test_rustfs_volumes_in_user_data_equal_the_layout_of_the_declared_volumes(stack):
    r = rec(stack)
    layout = from_resources(nodes_from_volumes(r))
    domain = f"{stack}.rustfs.internal"
    expected = volumes_string(layout.pools, domain)
    for node, text in user_data(r).items():
        env = env_file(written_files(text)["/etc/default/rustfs"])
        assert env["RUSTFS_VOLUMES"] == expected, node
    assert r.outputs["rustfsVolumes"] == expected


@pytest.mark.parametrize("stack", STACKS)
def test_user_data_names_this_node_its_own_tls_secret_and_the_zone(stack):
    r = rec(stack)
    zone = r.one("aws:route53/zone:Zone").outputs["zoneId"]
    secrets = {s.inputs["tags"]["rustfs:node-name"]: s.outputs["arn"]
               for s in r.of_type("aws:secretsmanager/secret:Secret") if "rustfs:node-name" in s.inputs["tags"]}
    for node, text in user_data(r).items():
        boot = env_file(written_files(text)["/etc/rustfs/bootstrap.env"])
        assert boot["BOOT_NODE_NAME"] == node and boot["BOOT_HOSTED_ZONE_ID"] == zone
        assert boot["BOOT_NODE_INDEX"] == node.split(".")[0].removeprefix("rustfs-")
        assert boot["BOOT_TLS_SECRET_ARN"] == secrets[node]


@pytest.mark.skipif(shutil.which("shellcheck") is None and not shutil.os.path.exists("venv/bin/shellcheck"),
                    reason="shellcheck is not installed")
def test_every_shell_script_in_the_user_data_passes_shellcheck(tmp_path):
    shellcheck = shutil.which("shellcheck") or "venv/bin/shellcheck"
    node, text = next(iter(user_data(rec("prod")).items()))
    scripts = {p: c for p, c in written_files(text).items() if SHELL.match(c)}
    assert {p.rsplit("/", 1)[-1] for p in scripts} >= {"node-bootstrap", "map-volumes", "prepare-disks"}
    for path, content in scripts.items():
        target = tmp_path / path.rsplit("/", 1)[-1]
        target.write_text(content)
        result = subprocess.run([shellcheck, "--severity=style", str(target)], capture_output=True, text=True)
        assert result.returncode == 0, f"{path} on {node}:\n{result.stdout}"


# --- network identity and access ------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_one_dns_record_per_node_in_the_private_zone(stack):
    r = rec(stack)
    zone = r.one("aws:route53/zone:Zone")
    assert zone.inputs["vpcs"] and zone.inputs["name"] == f"{stack}.rustfs.internal"
    names = {x.inputs["name"] for x in r.of_type(RECORD) if x.inputs["type"] == "A" and "records" in x.inputs}
    assert names == set(r.outputs["nodeNames"])


def node_rules(r):
    sg = next(s for s in r.of_type(SG) if s.name.endswith("-cluster-nodes"))
    sg_id = sg.outputs["id"]
    return ([x.inputs for x in r.of_type(INGRESS) if x.inputs["securityGroupId"] == sg_id],
            [x.inputs for x in r.of_type(EGRESS) if x.inputs["securityGroupId"] == sg_id], sg_id)


@pytest.mark.parametrize("stack", STACKS)
def test_node_security_group_opens_only_rustfs_ports_never_ssh(stack):
    r = rec(stack)
    ingress, egress, sg_id = node_rules(r)
    ports = {(i["fromPort"], i["toPort"]) for i in ingress}
    assert ports <= {(9000, 9000), (9001, 9001)}
    assert all(i["ipProtocol"] == "tcp" for i in [*ingress, *egress])
    assert not any(i["fromPort"] <= 22 <= i["toPort"] for i in ingress)
    assert any(i.get("referencedSecurityGroupId") == sg_id and i["fromPort"] == 9000 for i in ingress)  # peers
    vpc_cidr = json.loads(r.settings.config["rustfs-aws:network"])["cidr"]
    assert any(i.get("cidrIpv4") == vpc_cidr and i["fromPort"] == 9000 for i in ingress)  # default clients
    assert all(i.get("cidrIpv4") != "0.0.0.0/0" for i in ingress)
    # Egress: internode 9000 and HTTPS only.
    assert {(e["fromPort"], e["toPort"]) for e in egress} == {(9000, 9000), (443, 443)}


def test_console_port_only_from_admins_and_only_when_enabled():
    dev_in, _, _ = node_rules(rec("dev"))
    admins = json.loads(rec("dev").settings.config["rustfs-aws:network"])["adminCidrs"]
    console = [i for i in dev_in if i["fromPort"] == 9001]
    assert console and all(i.get("cidrIpv4") in admins or i.get("referencedSecurityGroupId") for i in console)
    prod_in, _, _ = node_rules(rec("prod"))
    assert not [i for i in prod_in if i["fromPort"] == 9001]  # console off in prod


@pytest.mark.parametrize("stack", STACKS)
def test_node_role_may_attach_only_this_clusters_volumes_and_read_its_secrets(stack):
    r = rec(stack)
    [policy] = [p for p in r.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == f"rustfs-{stack}-iam-node"]
    doc = json.loads(policy.inputs["policy"])
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    attach = by_sid["TakeOverOwnVolumes"]
    assert attach["Condition"]["StringEquals"] == {"aws:ResourceTag/rustfs:cluster": f"rustfs-{stack}"}
    # The root credentials and every node's TLS secret (one pattern: the role is every node's), no other secret.
    readable = by_sid["ReadOwnSecrets"]["Resource"]
    for secret in r.of_type("aws:secretsmanager/secret:Secret"):
        node_secret = secret.inputs["name"] == f"rustfs/{stack}/root-credentials" or \
            secret.inputs["name"].startswith(f"rustfs/{stack}/tls/")
        assert any(fnmatch.fnmatchcase(secret.outputs["arn"], arn) for arn in readable) == node_secret, secret.name
    assert len(readable) == 2
    assert by_sid["UpdateOwnDnsRecords"]["Resource"].endswith(r.one("aws:route53/zone:Zone").outputs["zoneId"])


def test_groups_wait_for_the_node_role_policy_before_launching():
    r = rec("prod")
    [policy] = [p for p in r.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == "rustfs-prod-iam-node"]
    groups = r.of_type(GROUP)
    assert groups and all(policy.urn in g.dependencies for g in groups)


# --- outputs ----------------------------------------------------------------------------------------------


def test_stack_outputs():
    dev, prod = rec("dev").outputs, rec("prod").outputs
    assert prod["s3EndpointUrl"] == "https://s3.prod.rustfs.internal:9000"
    assert dev["consoleUrl"] == "https://console.dev.rustfs.internal:9001/rustfs/console/"
    assert "consoleUrl" not in prod
    assert prod["nodeNames"] == [f"rustfs-{i}.prod.rustfs.internal" for i in range(1, 7)]
    assert prod["caCertificatePem"].startswith("-----BEGIN CERTIFICATE-----")
    # 6 nodes x 16 drives x 1 TiB, sets of 12 with EC 8+4: 96 TiB raw, 96 x 8/12 = 64 TiB usable.
    assert (prod["rawCapacityTiB"], prod["usableCapacityTiB"]) == (96.0, 64.0)
    # 4 nodes x 2 drives x 100 GiB, one set of 8 with EC 4+4.
    assert (dev["rawCapacityTiB"], dev["usableCapacityTiB"]) == (round(800 / 1024, 2), round(400 / 1024, 2))


def test_launch_templates_use_al2023_by_default_and_a_configured_ami_otherwise():
    import pulumi

    from preflight.fake_aws import FakeAws
    from preflight.runner import PROJECT_DIR

    al2023 = FakeAws("us-east-1").call(pulumi.runtime.MockCallArgs(
        "aws:ssm/getParameter:getParameter",
        {"name": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"}, ""))["value"]
    default = rec("dev").of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert default and {t.inputs["imageId"] for t in default} == {al2023}
    cluster = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"]["rustfs-aws:cluster"]
    custom = run_stack("dev", {"rustfs-aws:cluster": {**cluster, "amiId": "ami-0123456789abcdef0"}})
    assert {t.inputs["imageId"] for t in custom.of_type("aws:ec2/launchTemplate:LaunchTemplate")} == {
        "ami-0123456789abcdef0"}
