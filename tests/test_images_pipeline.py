"""The node image pipeline as the stacks declare it (components/images/pipeline.py, __main__.py), and how the nodes
switch to its image.

What is checked, from the recorded program: the recipe bakes this stack's component onto the managed AL2023 image of
the nodes' architecture with the root volume of the launch templates, encrypted with the data key; the build runs
in a private subnet behind a group that admits nothing and sends only HTTPS, with IMDSv2 and one hop, terminated on
failure; the AMI is encrypted with the data key and copied with the snapshot-copy key of backup.copyRegion; the
pipeline runs on the configured schedule only when something it uses changed, and tests each image. The build
role's policy passes parliament, and an IAM evaluation shows what it can and cannot do; the data key's policy lets
Image Builder's service-linked role use the key through EC2 in both key-policy modes. The order of a first
deployment: ``images.use`` is refused, naming what to do, until the parameter exists; then every launch template
resolves it.
"""

import json
from functools import cache

import pytest
import yaml
from iam_eval import Request, evaluate
from iam_review import unexplained

from preflight.fake_account import ACCOUNT_ID, FakeAccount
from preflight.fake_aws import FakeAws
from preflight.runner import run_stack
from rustfs_aws.cluster.bootstrap.render import load_releases
from rustfs_aws.config import ConfigError
from rustfs_aws.images.document import RUSTFS_BIN
from rustfs_aws.images.pipeline import START_CONDITION, image_parameter_name
from rustfs_aws.images.settings import DEFAULT_SCHEDULE
from rustfs_aws.security.key_policies import key_policy

COMPONENT = "aws:imagebuilder/component:Component"
RECIPE = "aws:imagebuilder/imageRecipe:ImageRecipe"
INFRASTRUCTURE = "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration"
DISTRIBUTION = "aws:imagebuilder/distributionConfiguration:DistributionConfiguration"
PIPELINE = "aws:imagebuilder/imagePipeline:ImagePipeline"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
KEY = "aws:kms/key:Key"
ENABLED = {"rustfs-aws:images": {"enabled": True}}


@cache
def prod():
    return run_stack("prod")  # images.enabled in Pulumi.prod.yaml


def key_arn(rec, name: str) -> str:
    return rec.one(KEY, name).outputs["arn"]


# --- what the prod stack declares --------------------------------------------------------------------------------

def test_prod_builds_on_the_managed_al2023_image_with_the_nodes_root_volume_encrypted_with_the_data_key():
    rec = prod()
    recipe = rec.one(RECIPE).inputs
    assert recipe["parentImage"] == "arn:aws:imagebuilder:us-east-1:aws:image/amazon-linux-2023-x86/x.x.x"
    component = rec.one(COMPONENT)
    assert [c["componentArn"] for c in recipe["components"]] == [
        "arn:aws:imagebuilder:us-east-1:aws:component/update-linux/x.x.x", component.outputs["arn"]]
    [root] = recipe["blockDeviceMappings"]
    template = rec.of_type(LAUNCH_TEMPLATE)[0].inputs["blockDeviceMappings"][0]
    assert root["deviceName"] == template["deviceName"]
    assert root["ebs"]["volumeSize"] == template["ebs"]["volumeSize"]
    assert root["ebs"]["encrypted"] == "true" and root["ebs"]["kmsKeyId"] == key_arn(rec, "rustfs-prod-keys-data")
    document = yaml.safe_load(component.inputs["data"])
    assert component.inputs["version"].startswith("1.0.") and component.inputs["platform"] == "Linux"
    install = next(s for s in document["phases"][0]["steps"] if s["name"] == "InstallRustfs")
    assert any(RUSTFS_BIN in line for line in install["inputs"]["commands"])


def test_prod_builds_in_a_private_subnet_behind_a_closed_group_with_imdsv2_and_terminates_failures():
    rec = prod()
    infra = rec.one(INFRASTRUCTURE).inputs
    private = [s for s in rec.of_type("aws:ec2/subnet:Subnet") if "private" in s.name]
    assert infra["subnetId"] == sorted(private, key=lambda s: s.name)[0].outputs["id"]
    assert infra["instanceTypes"] == ["c6in.4xlarge"], "the nodes' own type: offered in every stack AZ"
    assert infra["terminateInstanceOnFailure"] is True
    assert infra["instanceMetadataOptions"] == {"httpTokens": "required", "httpPutResponseHopLimit": 1}
    [group_id] = infra["securityGroupIds"]
    group = next(g for g in rec.of_type("aws:ec2/securityGroup:SecurityGroup") if g.outputs["id"] == group_id)
    rules = [r.inputs for r in rec.resources if r.type.startswith("aws:vpc/securityGroup")
             and r.inputs.get("securityGroupId") == group_id]
    assert not group.inputs.get("ingress") and not group.inputs.get("egress")
    assert [(r["ipProtocol"], r["fromPort"], r["toPort"]) for r in rules] == [("tcp", 443, 443)]
    assert infra["logging"]["s3Logs"]["s3BucketName"] == "rustfs-prod-logs-123456789012-us-east-1"


def test_prod_distributes_the_ami_encrypted_with_the_data_key_and_copies_it_with_the_copy_regions_key():
    rec = prod()
    home, copy = rec.one(DISTRIBUTION).inputs["distributions"]
    assert home["region"] == "us-east-1"
    assert home["amiDistributionConfiguration"]["kmsKeyId"] == key_arn(rec, "rustfs-prod-keys-data")
    assert home["ssmParameterConfigurations"] == [
        {"parameterName": "/imagebuilder/rustfs/rustfs-prod/node-image/x86_64", "dataType": "aws:ec2:image"}]
    copy_key = rec.one(KEY, "rustfs-prod-snapshots-copy-key").outputs["arn"]
    assert copy["region"] == "us-west-2" and copy_key.startswith("arn:aws:kms:us-west-2:")
    assert copy["amiDistributionConfiguration"]["kmsKeyId"] == copy_key
    assert "{{ imagebuilder:buildDate }}" in home["amiDistributionConfiguration"]["name"], "unique per build"


def test_prod_builds_on_its_schedule_only_when_something_changed_and_tests_every_image():
    rec = prod()
    pipeline = rec.one(PIPELINE).inputs
    assert pipeline["schedule"] == {"scheduleExpression": DEFAULT_SCHEDULE,
                                    "pipelineExecutionStartCondition": START_CONDITION}
    assert START_CONDITION == "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE"
    assert pipeline["imageTestsConfiguration"]["imageTestsEnabled"] is True
    assert pipeline["imageRecipeArn"] == rec.one(RECIPE).outputs["arn"]
    assert pipeline["status"] == "ENABLED"
    assert rec.outputs["nodeImageParameter"] == "/imagebuilder/rustfs/rustfs-prod/node-image/x86_64"


def test_prod_bakes_exactly_the_collector_package_its_association_installs():
    """The collector's State Manager document installs PACKAGE-<PackageVersion> from --releasever=<ReleaseVersion>
    unless rpm -q finds it (observability/collector.py): the image must carry that very build."""
    from rustfs_aws.observability.collector import PACKAGE

    rec = prod()
    # The collector's association (the state reconciler has one too).
    (association,) = [a for a in rec.of_type("aws:ssm/association:Association")
                      if a.inputs.get("associationName") == "rustfs-prod-collector"]
    wanted = f"{PACKAGE}-{association.inputs['parameters']['PackageVersion']}"
    release = association.inputs["parameters"]["ReleaseVersion"]
    document = yaml.safe_load(rec.one(COMPONENT).inputs["data"])
    [install] = [s for s in document["phases"][0]["steps"] if s["name"] == "InstallCollector"]
    assert f"dnf install -y --releasever={release} {wanted}" in install["inputs"]["commands"]
    for phase in document["phases"][1:]:
        assert any(line.startswith(f"rpm -q {wanted} ") for line in phase["steps"][0]["inputs"]["commands"])
    off = run_stack("prod", {"rustfs-aws:observability": {"collector": {"enabled": False}}})
    assert "InstallCollector" not in off.one(COMPONENT).inputs["data"]


def test_a_graviton_cluster_builds_an_arm64_image_of_the_aarch64_release():
    rec = run_stack("dev", {**ENABLED, "rustfs-aws:cluster": {
        "platform": "ec2", "nodes": 4, "drivesPerNode": 2, "instanceType": "m7g.large", "rustfsVersion": "1.0.1"}})
    assert rec.one(RECIPE).inputs["parentImage"].endswith(":aws:image/amazon-linux-2023-arm64/x.x.x")
    data = rec.one(COMPONENT).inputs["data"]
    assert load_releases()["releases"]["1.0.1"]["aarch64"]["sha256"] in data
    assert rec.outputs["nodeImageParameter"] == "/imagebuilder/rustfs/rustfs-dev/node-image/arm64"


def test_without_images_nothing_of_image_builder_is_declared():
    assert not [r for r in run_stack("dev").resources if r.type.startswith("aws:imagebuilder")]


# --- the build role, and the data key ---------------------------------------------------------------------------

def _build_role(rec):
    policy = next(r for r in rec.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "rustfs-prod-images-build")
    boundary = next(r for r in rec.of_type("aws:iam/policy:Policy") if r.name.endswith("permissions-boundary"))
    return json.loads(policy.inputs["policy"]), json.loads(boundary.inputs["policy"])


def test_the_build_role_policy_passes_parliament_and_grants_only_the_build():
    identity, boundary = _build_role(prod())
    assert unexplained(identity, "identity") == []
    own = "arn:aws:imagebuilder:us-east-1:123456789012:component/rustfs-prod-node/1.0.1/1"
    logs = "arn:aws:s3:::rustfs-prod-logs-123456789012-us-east-1"

    def allowed(action, resource, **context):
        return evaluate(Request(action, resource, tuple(context.items()), ""), identity, boundary).allowed

    assert allowed("imagebuilder:GetComponent", own)
    assert allowed("imagebuilder:GetComponent", "arn:aws:imagebuilder:us-east-1:aws:component/update-linux/1.0.2/1")
    assert not allowed("imagebuilder:GetComponent", own.replace("rustfs-prod-node", "rustfs-dev-node"))
    assert allowed("s3:PutObject", f"{logs}/imagebuilder/i-0123/build.log")
    assert not allowed("s3:PutObject", f"{logs}/s3-access/forged.log")
    assert not allowed("ec2:CreateImage", "*") and not allowed("imagebuilder:CreateImage", "*")


# The KMS statements of AWSServiceRoleForImageBuilder, the service-linked role Image Builder launches, images and
# copies with (AWS Managed Policy Reference, "AWSServiceRoleForImageBuilder"): key use with an EBS encryption
# context and grants for AWS resources, both only through EC2.
IMAGE_BUILDER_ROLE_KMS = {"Statement": [
    {"Sid": "UseThroughEc2", "Effect": "Allow", "Resource": "*",
     "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                "kms:GenerateDataKeyWithoutPlaintext"],
     "Condition": {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["aws:ebs:id"]},
                   "StringLike": {"kms:ViaService": ["ec2.*.amazonaws.com"]}}},
    {"Sid": "DescribeThroughEc2", "Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*",
     "Condition": {"StringLike": {"kms:ViaService": ["ec2.*.amazonaws.com"]}}},
    {"Sid": "GrantThroughEc2", "Effect": "Allow", "Action": "kms:CreateGrant", "Resource": "*",
     "Condition": {"Bool": {"kms:GrantIsForAWSResource": True},
                   "StringLike": {"kms:ViaService": ["ec2.*.amazonaws.com"]}}},
]}
NO_BOUNDARY = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
SLR = f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder"


@pytest.mark.parametrize("region", ["us-east-1", "us-west-2"], ids=["data key", "copy key"])
@pytest.mark.parametrize("admin", [None, f"arn:aws:iam::{ACCOUNT_ID}:role/key-admin"], ids=["iam", "admin-role"])
def test_image_builders_role_may_use_the_data_and_copy_keys_through_ec2(region, admin):
    policy = key_policy("data", name="rustfs-prod", account_id=ACCOUNT_ID, partition="aws", region=region,
                        key_admin_role_arn=admin)
    key = f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/1234abcd-0000-0000-0000-000000000000"
    ec2 = {"kms:ViaService": f"ec2.{region}.amazonaws.com", "kms:CallerAccount": ACCOUNT_ID,
           "kms:EncryptionContextKeys": ["aws:ebs:id"], "aws:PrincipalArn": SLR}
    requests = [Request(a, key, tuple(ec2.items()), a) for a in (
        "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKeyWithoutPlaintext", "kms:Encrypt",
        "kms:DescribeKey")]
    requests.append(Request("kms:CreateGrant", key, tuple({**ec2, "kms:GrantIsForAWSResource": "true"}.items()),
                            "grant for the build instance's and the copied AMI's volumes"))
    for req in requests:
        verdict = evaluate(req, IMAGE_BUILDER_ROLE_KMS, NO_BOUNDARY, policy, principal=SLR, account=ACCOUNT_ID)
        assert verdict.allowed, (req.why, verdict)
    outside = Request("kms:Decrypt", key, tuple({**ec2, "kms:ViaService": f"s3.{region}.amazonaws.com"}.items()), "")
    assert not evaluate(outside, IMAGE_BUILDER_ROLE_KMS, NO_BOUNDARY, policy, principal=SLR,
                        account=ACCOUNT_ID).allowed


# --- images.use: the order of a first deployment ---------------------------------------------------------------

USE = {"rustfs-aws:images": {"enabled": True, "use": True}}
DEV_PARAMETER = image_parameter_name("rustfs-dev", "x86_64")


def test_use_is_refused_in_a_new_stack_naming_what_to_do_first():
    with pytest.raises(ConfigError) as exc:
        run_stack("dev", USE, new_stack=True)
    [problem] = exc.value.problems
    assert f"rustfs-aws:images.use: got true, but {DEV_PARAMETER} does not exist" in problem
    assert "aws imagebuilder start-image-pipeline-execution" in problem and "images.use: false" in problem


def test_use_is_refused_in_an_account_without_the_image_and_taken_once_the_pipeline_wrote_it():
    with pytest.raises(ConfigError, match="does not exist"):
        run_stack("dev", USE, fake=FakeAws("us-east-1", account=FakeAccount()))
    account = FakeAccount(parameters={("us-east-1", DEV_PARAMETER): "ami-0a1b2c3d4e5f60718"})
    rec = run_stack("dev", USE, fake=FakeAws("us-east-1", account=account))
    templates = rec.of_type(LAUNCH_TEMPLATE)
    assert templates and {t.inputs["imageId"] for t in templates} == {f"resolve:ssm:{DEV_PARAMETER}"}


def test_a_deployed_stack_with_use_previews_with_every_node_on_the_parameter():
    """preflight's default: a stack that is deployed (its pipeline has run), as for its `existing` resources."""
    rec = run_stack("dev", USE)
    assert {t.inputs["imageId"] for t in rec.of_type(LAUNCH_TEMPLATE)} == {f"resolve:ssm:{DEV_PARAMETER}"}


def test_enabled_alone_leaves_the_nodes_on_stock_al2023():
    rec = run_stack("dev", ENABLED, new_stack=True)
    assert all(t.inputs["imageId"].startswith("ami-") for t in rec.of_type(LAUNCH_TEMPLATE))


# --- what it costs ---------------------------------------------------------------------------------------------

def test_the_cost_model_prices_builds_snapshots_and_copies_and_not_the_service():
    from rustfs_model.catalogue import price
    from rustfs_model.cost import monthly_cost

    rec = prod()
    resources = [{"type": r.type, "name": r.name, "inputs": r.inputs} for r in rec.resources]
    items = {i["what"]: i for i in monthly_cost(resources, "us-east-1")["items"]}
    weekly = 52 / 12  # one build per Saturday run, at most
    assert items["EC2 Image Builder"]["monthlyUSD"] == 0.0
    assert items["Image builds (4.3/month)"]["monthlyUSD"] == round(weekly * 1.0 * price("us-east-1", "ec2",
                                                                                           "c6in.4xlarge"), 2)
    assert items["Node AMI snapshots (4 kept x 2 Regions)"]["monthlyUSD"] == round(
        4 * 2 * 30 * price("us-east-1", "ebs", "snapshot_gb_month"), 2)
    assert items["Node AMI copies to other Regions"]["monthlyUSD"] == round(
        weekly * 30 * price("us-east-1", "transfer", "inter_region_gb"), 2)
    dev = [{"type": r.type, "inputs": r.inputs} for r in run_stack("dev").resources]
    assert not [i for i in monthly_cost(dev, "us-east-1")["items"] if "Image" in i["what"] or "AMI" in i["what"]]


@pytest.mark.parametrize("expression,runs", [
    ("cron(0 4 ? * SAT *)", 52 / 12), ("cron(30 2 ? * 1 *)", 52 / 12), ("cron(0 1 * * ? *)", 365 / 12),
    ("cron(0 4 1 * ? *)", None), ("cron(0 */6 * * ? *)", None), ("rate(7 days)", None),
])
def test_scheduled_runs_per_month(expression, runs):
    from rustfs_model.cost import scheduled_runs_per_month

    assert scheduled_runs_per_month(expression) == runs
