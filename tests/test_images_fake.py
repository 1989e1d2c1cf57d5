"""The fake AWS's Image Builder (preflight/fake_imagebuilder.py): its limits are the API's, as botocore's service
model of Image Builder states them, and it refuses what Image Builder, SSM and EC2 refuse."""

import re

import botocore.session
import pytest

from preflight import fake_imagebuilder as fib
from preflight.fake_account import FakeAccount
from preflight.fake_aws import AL2023_PARAMETERS, FakeAws
from rustfs_aws.images.document import MAX_DATA_CHARS, node_document, render
from rustfs_aws.images.pipeline import image_parameter_name
from tests.test_images_document import spec

MODEL = botocore.session.get_session().get_service_model("imagebuilder")


def member(operation_or_shape: str, name: str):
    try:
        shape = MODEL.operation_model(operation_or_shape).input_shape
    except Exception:  # noqa: BLE001 - not an operation: a shape
        shape = MODEL.shape_for(operation_or_shape)
    return shape.members[name]


def test_the_fakes_limits_are_the_apis():
    for op in ("CreateComponent", "CreateImageRecipe", "CreateInfrastructureConfiguration",
               "CreateDistributionConfiguration", "CreateImagePipeline", "CreateLifecyclePolicy"):
        assert member(op, "name").metadata["pattern"] == fib.NAME.pattern, op
        assert member(op, "description").metadata["max"] == fib.DESCRIPTION_MAX, op
    assert member("CreateComponent", "semanticVersion").metadata["pattern"] == fib.COMPONENT_VERSION.pattern
    assert member("CreateImageRecipe", "semanticVersion").metadata["pattern"] == fib.RECIPE_VERSION.pattern
    data = member("CreateComponent", "data").metadata
    assert (data["min"], data["max"]) == fib.DATA_LENGTH and fib.DATA_LENGTH[1] == MAX_DATA_CHARS
    assert set(member("CreateComponent", "platform").enum) == fib.PLATFORMS
    assert member("ComponentConfiguration", "componentArn").metadata["pattern"] == fib.COMPONENT_ARN.pattern
    assert member("CreateImagePipeline", "imageRecipeArn").metadata["pattern"] == fib.RECIPE_ARN.pattern
    assert member("CreateImagePipeline", "infrastructureConfigurationArn").metadata["pattern"] == \
        fib.INFRASTRUCTURE_ARN.pattern
    assert member("CreateImagePipeline", "distributionConfigurationArn").metadata["pattern"] == \
        fib.DISTRIBUTION_ARN.pattern
    ami = member("AmiDistributionConfiguration", "name").metadata
    assert (ami["pattern"], ami["min"], ami["max"]) == (fib.AMI_NAME.pattern, *fib.AMI_NAME_LENGTH)
    parameter = member("SsmParameterConfiguration", "parameterName").metadata
    assert (parameter["pattern"], parameter["max"]) == (fib.PARAMETER_NAME.pattern, fib.PARAMETER_NAME_MAX)
    assert set(member("SsmParameterConfiguration", "dataType").enum) == fib.PARAMETER_DATA_TYPES
    assert member("CreateInfrastructureConfiguration", "instanceProfileName").metadata["pattern"] == \
        fib.INSTANCE_PROFILE_NAME.pattern
    hop = member("InstanceMetadataOptions", "httpPutResponseHopLimit").metadata
    assert (hop["min"], hop["max"]) == fib.HOP_LIMIT
    tests = member("ImageTestsConfiguration", "timeoutMinutes").metadata
    assert (tests["min"], tests["max"]) == fib.TEST_TIMEOUT_MINUTES
    assert set(member("Schedule", "pipelineExecutionStartCondition").enum) == fib.START_CONDITIONS
    assert set(member("CreateImagePipeline", "status").enum) == fib.PIPELINE_STATUS
    assert set(member("EbsInstanceBlockDeviceSpecification", "volumeType").enum) == fib.VOLUME_TYPES
    size = member("EbsInstanceBlockDeviceSpecification", "volumeSize").metadata
    assert (size["min"], size["max"]) == fib.VOLUME_SIZE
    assert set(member("CreateLifecyclePolicy", "resourceType").enum) == fib.LIFECYCLE_RESOURCE_TYPES
    assert set(member("LifecyclePolicyDetailAction", "type").enum) == fib.LIFECYCLE_ACTIONS
    value = member("LifecyclePolicyDetailFilter", "value").metadata
    assert (value["min"], value["max"]) == fib.LIFECYCLE_FILTER_VALUE


FAKE = FakeAws("us-east-1")
DATA = render(node_document(spec()))


def component(**inputs):
    return fib._component(FAKE, "c", {"name": "rustfs-dev-node", "version": "1.0.7", "platform": "Linux",
                                      "data": DATA, **inputs})


def test_a_valid_component_gets_a_build_version_arn():
    arn, outputs = component()
    assert arn == "arn:aws:imagebuilder:us-east-1:123456789012:component/rustfs-dev-node/1.0.7/1" == outputs["arn"]
    assert fib.COMPONENT_ARN.match(arn)


@pytest.mark.parametrize("inputs,message", [
    ({"name": "rustfs/dev"}, "component name 'rustfs/dev'"),
    ({"version": "1.0"}, "semantic version '1.0'"),
    ({"version": f"1.0.{2 ** 30}"}, "at most 2^30-1"),
    ({"data": "x" * (MAX_DATA_CHARS + 1)}, "16,000 characters"),
    ({"data": "schemaVersion: 1.0\nphases:\n- name: build\n  steps:\n  - {name: A, action: ExecuteBash}\n"
              "  - {name: A, action: ExecuteBash}\n"}, "each named, uniquely"),
    ({"data": "schemaVersion: 2.0\nphases: []\n"}, "schemaVersion: 1.0"),
    ({"data": "phases: [\n"}, "not YAML"),
    ({"uri": "s3://bucket/doc.yaml"}, "give one of them"),
    ({"platform": "Linux2023"}, "component platform"),
])
def test_create_component_refuses_what_image_builder_refuses(inputs, message):
    with pytest.raises(fib.ImageBuilderRejects, match=re.escape(message)):
        component(**inputs)


@pytest.mark.parametrize("handler,inputs,message", [
    (fib._pipeline, {"name": "pipe", "schedule": {"scheduleExpression": "cron(0 4 * * 6)"}}, "six-field"),
    (fib._pipeline, {"name": "pipe", "imageRecipeArn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/"
                                                       "Rustfs/1.0.0"}, "imageRecipeArn"),
    (fib._pipeline, {"name": "pipe", "imageTestsConfiguration": {"timeoutMinutes": 30}}, "timeoutMinutes"),
    (fib._infrastructure, {"name": "infra", "instanceMetadataOptions": {"httpPutResponseHopLimit": 0}}, "HopLimit"),
    (fib._infrastructure, {"name": "infra", "instanceMetadataOptions": {"httpTokens": "require"}}, "httpTokens"),
    (fib._distribution, {"name": "dist", "distributions": [{"region": "us-east-1"}, {"region": "us-east-1"}]},
     "each Region once"),
    (fib._distribution, {"name": "dist", "distributions": [{"region": "us-east-1", "amiDistributionConfiguration": {
        "name": "rustfs/node"}}]}, "amiDistributionConfiguration.name"),
    (fib._distribution, {"name": "dist", "distributions": [{"region": "us-east-1", "ssmParameterConfigurations": [
        {"parameterName": "/rustfs/node image", "dataType": "aws:ec2:image"}]}]}, "parameterName"),
    (fib._recipe, {"name": "recipe", "version": "1.0.0", "components": []}, "at least one"),
    (fib._recipe, {"name": "recipe", "version": "1.0.0", "components": [{"componentArn": "arn:aws:imagebuilder:"
                   "us-east-1:123456789012:component/node"}]}, "componentArn"),
    (fib._lifecycle_policy, {"name": "life", "resourceType": "AMI_IMAGE", "policyDetails": [
        {"action": {"type": "DELETE"}, "filter": {"type": "COUNT", "value": 0}}]}, "filter.value"),
])
def test_the_other_image_builder_calls_refuse_what_the_api_refuses(handler, inputs, message):
    with pytest.raises(fib.ImageBuilderRejects, match=re.escape(message)):
        handler(FAKE, "r", inputs)


@pytest.mark.parametrize("parameter,execution_role,refused", [
    ("/rustfs/rustfs-dev/node-image/x86_64", None, True),  # the service-linked role may not put it
    ("/imagebuilder/rustfs/rustfs-dev/node-image/x86_64", None, False),
    ("/rustfs/rustfs-dev/node-image/x86_64", "arn:aws:iam::123456789012:role/ib-exec", False),  # the role's call
], ids=["outside-imagebuilder", "under-imagebuilder", "execution-role"])
def test_a_pipeline_without_execution_role_writes_ssm_outputs_only_under_imagebuilder(parameter, execution_role,
                                                                                    refused):
    """AWSServiceRoleForImageBuilder: ssm:PutParameter on parameter/imagebuilder/* only; a pipeline that would
    write elsewhere builds and tests every image, then fails its distribution."""
    fake = FakeAws("us-east-1")
    distribution, _ = fib._distribution(fake, "d", {"name": "dist", "distributions": [
        {"region": "us-east-1", "ssmParameterConfigurations": [{"parameterName": parameter,
                                                                "dataType": "aws:ec2:image"}]}]})
    pipeline = {"name": "pipe", "distributionConfigurationArn": distribution,
                **({"executionRole": execution_role} if execution_role else {})}
    if refused:
        with pytest.raises(fib.ImageBuilderRejects, match=re.escape(f"parameter/imagebuilder/*: {parameter}")):
            fib._pipeline(fake, "p", pipeline)
    else:
        fib._pipeline(fake, "p", pipeline)


def test_the_stacks_image_parameter_is_one_image_builders_role_may_write():
    assert image_parameter_name("rustfs-prod", "arm64").startswith(fib.SERVICE_ROLE_PARAMETER_PATH)


# --- the account's parameters and resolve:ssm ------------------------------------------------------------------

PARAMETER = "/imagebuilder/rustfs/rustfs-dev/node-image/x86_64"


@pytest.mark.parametrize("account,new_stack,exists", [
    (FakeAccount(trust_existing=True), False, True),  # preflight of a deployed stack: taken on trust
    (FakeAccount(trust_existing=True), True, False),  # a first deployment: nothing exists yet
    (FakeAccount(), False, False),
    (FakeAccount(parameters={("us-east-1", PARAMETER): "ami-0123456789abcdef0"}), False, True),
], ids=["trusted", "new-stack", "empty-account", "written"])
def test_parameters_exist_only_where_the_account_has_them(account, new_stack, exists):
    fake = FakeAws("us-east-1", new_stack=new_stack, account=account)
    outputs, *failures = (lambda r: r if isinstance(r, tuple) else (r,))(fib.get_parameter(fake, PARAMETER))
    assert bool(outputs) == exists and bool(failures) != exists
    template = {"imageId": f"resolve:ssm:{PARAMETER}"}
    if exists:
        fib.check_launch_image(fake, "lt", template, AL2023_PARAMETERS)
    else:
        assert "ParameterNotFound" in failures[0][0][1]
        with pytest.raises(fib.ImageBuilderRejects, match="the parameter does not exist"):
            fib.check_launch_image(fake, "lt", template, AL2023_PARAMETERS)


def test_public_parameters_resolve_and_unknown_public_ones_fail_loudly():
    fake = FakeAws("us-east-1", new_stack=True)
    fib.check_launch_image(fake, "lt", {"imageId": f"resolve:ssm:{next(iter(AL2023_PARAMETERS))}"},
                           AL2023_PARAMETERS)
    with pytest.raises(Exception, match="does not know the public SSM parameter"):
        fib.get_parameter(fake, "/aws/service/ami-windows-latest/Windows_Server-2022")
