"""EC2 Image Builder, and the account's own SSM parameters, as the fake AWS answers them.

The limits are the Image Builder API's (API Reference, CreateComponent / CreateImageRecipe /
CreateInfrastructureConfiguration / CreateDistributionConfiguration / CreateImagePipeline /
CreateLifecyclePolicy, as botocore's service model states them; tests/test_images_fake.py compares every constant
here with that model): resource names ``^[-_A-Za-z-0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z-0-9]$``; a component's
semantic version three numeric nodes, each at most 2^30-1 ("Semantic versioning" in the User Guide), a recipe's
the same or ``x`` wildcards; inline component data 1..16,000 characters, and a document AWSTOE can run (YAML,
``schemaVersion: 1.0``, uniquely named phases with uniquely named steps that each name an action: CreateComponent
validates the document); descriptions up to 1,024 characters; ARNs of components, recipes, infrastructure and
distribution configurations in their patterns (which only admit lowercase names); AMI names of 1..127 characters
of ``^[-_A-Za-z0-9{][-_A-Za-z0-9\\s:{}\\.]+[-_A-Za-z0-9}]$``; SSM output parameter names ``^[a-zA-Z0-9_.\\-\\/]+$``
up to 1,011 characters with data type text or aws:ec2:image, and, for a pipeline without an execution role (the
service-linked role distributes: AWSServiceRoleForImageBuilder allows ssm:PutParameter only on
``parameter/imagebuilder/*``), only under ``/imagebuilder/`` - real Image Builder accepts the pipeline and fails
every build at distribution, after building and testing the image; IMDS hop limit 1..64; image tests 60..1,440 minutes;
schedules in the six-field cron form ("configurations using the five field syntax ... must be updated to the six
field syntax", pulumi-aws ImagePipelineScheduleArgs); lifecycle filters 1..1,000.

SSM parameters the account itself holds (not AWS's public ones, preflight/fake_aws.py): GetParameter of a name
that does not exist fails (ParameterNotFound), and so does a launch template whose image is
``resolve:ssm:<name>`` ("You must create a Systems Manager parameter before you can use it in a launch template",
EC2 Auto Scaling User Guide, "Use AWS Systems Manager parameters instead of AMI IDs in launch templates"). What
exists: the parameters put into the ``FakeAccount``; with ``trust_existing`` (a single preflight run of a stack that
is already deployed) every parameter of the account is taken on trust, as the stack's ``existing`` resources are;
a preview of a new stack (``new_stack``) has none.
"""

from __future__ import annotations

import hashlib
import re

import yaml

from .fake_zones import REGION_AZS, UnknownToFake

NAME = re.compile(r"^[-_A-Za-z-0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z-0-9]$")
COMPONENT_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
RECIPE_VERSION = re.compile(r"^(?:[0-9]+|x)\.(?:[0-9]+|x)\.(?:[0-9]+|x)$")
MAX_VERSION_NODE = 2 ** 30 - 1
DATA_LENGTH = (1, 16_000)
DESCRIPTION_MAX = 1_024
PLATFORMS = {"Windows", "Linux", "macOS"}
COMPONENT_ARN = re.compile(r"^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws(?:-[a-z-]+)?|third-party):component/"
                           r"[a-z0-9-_]+/(?:(?:([0-9]+|x)\.([0-9]+|x)\.([0-9]+|x))|(?:[0-9]+\.[0-9]+\.[0-9]+/[0-9]+))$")
RECIPE_ARN = re.compile(r"^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws):image-recipe/[a-z0-9-_]+/"
                        r"(?:[0-9]+|x)\.(?:[0-9]+|x)\.(?:[0-9]+|x)$")
INFRASTRUCTURE_ARN = re.compile(r"^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws):infrastructure-configuration/"
                                r"[a-z0-9-_]+$")
DISTRIBUTION_ARN = re.compile(r"^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws):distribution-configuration/"
                              r"[a-z0-9-_]+$")
AMI_NAME = re.compile(r"^[-_A-Za-z0-9{][-_A-Za-z0-9\s:{}\.]+[-_A-Za-z0-9}]$")
AMI_NAME_LENGTH = (1, 127)
PARAMETER_NAME = re.compile(r"^[a-zA-Z0-9_.\-\/]+$")
PARAMETER_NAME_MAX = 1_011
PARAMETER_DATA_TYPES = {"text", "aws:ec2:image"}
# Where AWSServiceRoleForImageBuilder may write SSM parameters (AWS Managed Policy Reference, v27: ssm:GetParameter
# and ssm:PutParameter on arn:aws:ssm:*:*:parameter/imagebuilder/*).
SERVICE_ROLE_PARAMETER_PATH = "/imagebuilder/"
INSTANCE_PROFILE_NAME = re.compile(r"^[\w+=,.@-]+$")
HOP_LIMIT = (1, 64)
HTTP_TOKENS = {"optional", "required"}
TEST_TIMEOUT_MINUTES = (60, 1_440)
START_CONDITIONS = {"EXPRESSION_MATCH_ONLY", "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE"}
PIPELINE_STATUS = {"DISABLED", "ENABLED"}
VOLUME_TYPES = {"standard", "io1", "io2", "gp2", "gp3", "sc1", "st1"}
VOLUME_SIZE = (1, 16_000)
LIFECYCLE_RESOURCE_TYPES = {"AMI_IMAGE", "CONTAINER_IMAGE"}
LIFECYCLE_ACTIONS = {"DELETE", "DEPRECATE", "DISABLE"}
LIFECYCLE_FILTER_VALUE = (1, 1_000)
LIFECYCLE_DETAILS = (1, 3)
_CRON = re.compile(r"^cron\(\S+( \S+){5}\)$")
DOCUMENT_PHASES = {"build", "validate", "test"}  # an AMI build runs these (User Guide, AWSTOE phases)


class ImageBuilderRejects(Exception):
    """What the Image Builder (or SSM, EC2) API answers for a request it refuses."""


def _invalid(what: str, value, constraint: str) -> ImageBuilderRejects:
    return ImageBuilderRejects(f"InvalidParameterValueException: {what} {value!r}: {constraint}")


def _text(value) -> str | None:
    return value if isinstance(value, str) else None  # unknown during a first preview: not checked


def _check_name(kind: str, name: str, inputs: dict) -> str:
    given = _text(inputs.get("name"))
    physical = given or f"{name}-{hashlib.sha256(name.encode()).hexdigest()[:7]}"
    if not NAME.match(physical):
        raise _invalid(f"{kind} name", physical, f"must match {NAME.pattern}")
    description = _text(inputs.get("description"))
    if description is not None and not 1 <= len(description) <= DESCRIPTION_MAX:
        raise _invalid(f"{kind} description of {physical}", description[:40] + "...", f"1..{DESCRIPTION_MAX} chars")
    return physical


def _check_version(kind: str, version, pattern: re.Pattern) -> None:
    version = _text(version)
    if version is None:
        return
    if not pattern.match(version):
        raise _invalid(f"{kind} semantic version", version, f"must match {pattern.pattern}")
    if any(node != "x" and int(node) > MAX_VERSION_NODE for node in version.split(".")):
        raise _invalid(f"{kind} semantic version", version, f"each node is at most 2^30-1 ({MAX_VERSION_NODE})")


def _in(kind: str, value, allowed) -> None:
    if isinstance(value, str) and value not in allowed:
        raise _invalid(kind, value, f"one of {', '.join(sorted(allowed))}")


def _between(kind: str, value, bounds: tuple[int, int]) -> None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not bounds[0] <= value <= bounds[1]:
        raise _invalid(kind, value, f"between {bounds[0]} and {bounds[1]}")


def _arn(fake, resource: str, owner: str | None = None) -> str:
    return f"arn:{fake.partition}:imagebuilder:{fake.region}:{owner or fake.account_id}:{resource}"


def check_document(name: str, data: str) -> None:
    """What CreateComponent refuses in inline data: too long, not YAML, not an AWSTOE document."""
    if not DATA_LENGTH[0] <= len(data) <= DATA_LENGTH[1]:
        raise _invalid(f"component {name} data of {len(data):,} characters", "...",
                       f"{DATA_LENGTH[0]}..{DATA_LENGTH[1]:,} characters")
    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise _invalid(f"component {name} data", "...", f"not YAML ({exc})") from None
    if not isinstance(document, dict) or str(document.get("schemaVersion")) != "1.0":
        raise _invalid(f"component {name} document", "...", "needs schemaVersion: 1.0")
    phases = document.get("phases")
    if not isinstance(phases, list) or not phases:
        raise _invalid(f"component {name} document", "...", "needs a list of phases")
    names = [p.get("name") if isinstance(p, dict) else None for p in phases]
    if len(set(names)) != len(names) or not set(names) <= DOCUMENT_PHASES:
        raise _invalid(f"component {name} phases", names, f"unique names among {sorted(DOCUMENT_PHASES)}")
    for phase in phases:
        steps = phase.get("steps")
        if not isinstance(steps, list) or not steps:
            raise _invalid(f"component {name} phase {phase['name']}", "...", "needs a list of steps")
        step_names = [s.get("name") if isinstance(s, dict) else None for s in steps]
        if None in step_names or len(set(step_names)) != len(step_names):
            raise _invalid(f"component {name} phase {phase['name']} steps", step_names, "each named, uniquely")
        if not all(isinstance(s.get("action"), str) for s in steps):
            raise _invalid(f"component {name} phase {phase['name']}", step_names, "every step names an action")


def _component(fake, name: str, inputs: dict):
    physical = _check_name("component", name, inputs)
    _check_version("component", inputs.get("version"), COMPONENT_VERSION)
    _in("component platform", inputs.get("platform"), PLATFORMS)
    data, uri = inputs.get("data"), inputs.get("uri")
    if data is not None and uri is not None:
        raise _invalid(f"component {physical}", "data and uri", "give one of them")
    if isinstance(data, str):
        check_document(physical, data)
    version = _text(inputs.get("version")) or "1.0.0"
    arn = _arn(fake, f"component/{physical.lower().replace(' ', '-')}/{version}/1")
    return arn, {"arn": arn, "name": physical, "owner": fake.account_id, "type": "BUILD",
                 "dateCreated": "2026-01-01T00:00:00.000Z", "encrypted": True, "tagsAll": inputs.get("tags", {})}


def _recipe(fake, name: str, inputs: dict):
    physical = _check_name("image recipe", name, inputs)
    _check_version("image recipe", inputs.get("version"), RECIPE_VERSION)
    components = inputs.get("components")
    if isinstance(components, list):
        if not components:
            raise _invalid(f"image recipe {physical} components", [], "at least one")
        for c in components:
            arn = _text(c.get("componentArn")) if isinstance(c, dict) else None
            if arn is not None and not COMPONENT_ARN.match(arn):
                raise _invalid(f"image recipe {physical} componentArn", arn, f"must match {COMPONENT_ARN.pattern}")
    for mapping in inputs.get("blockDeviceMappings") or []:
        ebs = mapping.get("ebs") or {} if isinstance(mapping, dict) else {}
        _in("block device volumeType", ebs.get("volumeType"), VOLUME_TYPES)
        _between("block device volumeSize", ebs.get("volumeSize"), VOLUME_SIZE)
    version = _text(inputs.get("version")) or "1.0.0"
    arn = _arn(fake, f"image-recipe/{physical.lower()}/{version}")
    return arn, {"arn": arn, "name": physical, "owner": fake.account_id, "platform": "Linux",
                 "dateCreated": "2026-01-01T00:00:00.000Z", "tagsAll": inputs.get("tags", {})}


def _infrastructure(fake, name: str, inputs: dict):
    physical = _check_name("infrastructure configuration", name, inputs)
    profile = _text(inputs.get("instanceProfileName"))
    if profile is not None and not (1 <= len(profile) <= 256 and INSTANCE_PROFILE_NAME.match(profile)):
        raise _invalid("instanceProfileName", profile, f"must match {INSTANCE_PROFILE_NAME.pattern}, <= 256")
    metadata = inputs.get("instanceMetadataOptions") or {}
    _in("instanceMetadataOptions.httpTokens", metadata.get("httpTokens"), HTTP_TOKENS)
    _between("instanceMetadataOptions.httpPutResponseHopLimit", metadata.get("httpPutResponseHopLimit"), HOP_LIMIT)
    arn = _arn(fake, f"infrastructure-configuration/{physical.lower()}")
    return arn, {"arn": arn, "name": physical, "dateCreated": "2026-01-01T00:00:00.000Z",
                 "tagsAll": inputs.get("tags", {})}


def _ssm_outputs(fake) -> dict[str, list[str]]:
    """Distribution configuration ARN -> the SSM parameters its distributions write (what its pipeline checks)."""
    return fake.__dict__.setdefault("_imagebuilder_ssm_outputs", {})


def _distribution(fake, name: str, inputs: dict):
    physical = _check_name("distribution configuration", name, inputs)
    outputs: list[str] = []
    for d in inputs.get("distributions") or []:
        if not isinstance(d, dict):
            continue
        if isinstance(d.get("region"), str):
            if d["region"] not in REGION_AZS:
                raise UnknownToFake(f"the fake AWS does not know region {d['region']!r} (distribution {physical})")
        ami = d.get("amiDistributionConfiguration") or {}
        ami_name = _text(ami.get("name"))
        if ami_name is not None and not (AMI_NAME_LENGTH[0] <= len(ami_name) <= AMI_NAME_LENGTH[1]
                                         and AMI_NAME.match(ami_name)):
            raise _invalid("amiDistributionConfiguration.name", ami_name,
                           f"{AMI_NAME_LENGTH[0]}..{AMI_NAME_LENGTH[1]} characters matching {AMI_NAME.pattern}")
        if len(ami.get("amiTags") or {}) > 50:
            raise _invalid("amiDistributionConfiguration.amiTags", len(ami["amiTags"]), "at most 50 tags")
        for p in d.get("ssmParameterConfigurations") or []:
            parameter = _text(p.get("parameterName"))
            if parameter is not None and not (len(parameter) <= PARAMETER_NAME_MAX and PARAMETER_NAME.match(parameter)):
                raise _invalid("ssmParameterConfigurations.parameterName", parameter,
                               f"must match {PARAMETER_NAME.pattern}, <= {PARAMETER_NAME_MAX}")
            _in("ssmParameterConfigurations.dataType", p.get("dataType"), PARAMETER_DATA_TYPES)
            if parameter is not None:
                outputs.append(parameter)
    regions = [d.get("region") for d in inputs.get("distributions") or [] if isinstance(d, dict)]
    if len(regions) != len(set(regions)):
        raise _invalid(f"distribution configuration {physical} regions", regions, "each Region once")
    arn = _arn(fake, f"distribution-configuration/{physical.lower()}")
    _ssm_outputs(fake)[arn] = outputs
    return arn, {"arn": arn, "name": physical, "dateCreated": "2026-01-01T00:00:00.000Z",
                 "tagsAll": inputs.get("tags", {})}


def _pipeline(fake, name: str, inputs: dict):
    physical = _check_name("image pipeline", name, inputs)
    for key, pattern in (("imageRecipeArn", RECIPE_ARN), ("infrastructureConfigurationArn", INFRASTRUCTURE_ARN),
                         ("distributionConfigurationArn", DISTRIBUTION_ARN)):
        value = _text(inputs.get(key))
        if value is not None and not pattern.match(value):
            raise _invalid(f"image pipeline {physical} {key}", value, f"must match {pattern.pattern}")
    schedule = inputs.get("schedule") or {}
    expression = _text(schedule.get("scheduleExpression"))
    if expression is not None and not _CRON.match(expression):
        raise _invalid("schedule.scheduleExpression", expression, "a six-field cron(...) expression")
    _in("schedule.pipelineExecutionStartCondition", schedule.get("pipelineExecutionStartCondition"), START_CONDITIONS)
    _in("image pipeline status", inputs.get("status"), PIPELINE_STATUS)
    tests = inputs.get("imageTestsConfiguration") or {}
    _between("imageTestsConfiguration.timeoutMinutes", tests.get("timeoutMinutes"), TEST_TIMEOUT_MINUTES)
    distribution = _text(inputs.get("distributionConfigurationArn"))
    if not inputs.get("executionRole") and distribution is not None:
        outside = [p for p in _ssm_outputs(fake).get(distribution, [])
                   if not p.startswith(SERVICE_ROLE_PARAMETER_PATH)]
        if outside:
            raise ImageBuilderRejects(
                f"AccessDeniedException (at every build's distribution): image pipeline {physical} has no execution "
                f"role, so AWSServiceRoleForImageBuilder writes its SSM output parameters, and it may put only "
                f"parameter{SERVICE_ROLE_PARAMETER_PATH}*: {', '.join(outside)}")
    arn = _arn(fake, f"image-pipeline/{physical.lower()}")
    return arn, {"arn": arn, "name": physical, "platform": "Linux", "dateCreated": "2026-01-01T00:00:00.000Z",
                 "tagsAll": inputs.get("tags", {})}


def _lifecycle_policy(fake, name: str, inputs: dict):
    physical = _check_name("lifecycle policy", name, inputs)
    _in("lifecycle policy resourceType", inputs.get("resourceType"), LIFECYCLE_RESOURCE_TYPES)
    details = inputs.get("policyDetails")
    if isinstance(details, list):
        _between("lifecycle policy policyDetails count", len(details), LIFECYCLE_DETAILS)
        for d in details:
            _in("policyDetails.action.type", (d.get("action") or {}).get("type"), LIFECYCLE_ACTIONS)
            _between("policyDetails.filter.value", (d.get("filter") or {}).get("value"), LIFECYCLE_FILTER_VALUE)
    arn = _arn(fake, f"lifecycle-policy/{physical.lower()}")
    return arn, {"arn": arn, "name": physical, "tagsAll": inputs.get("tags", {})}


RESOURCES = {
    "aws:imagebuilder/component:Component": _component,
    "aws:imagebuilder/imageRecipe:ImageRecipe": _recipe,
    "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration": _infrastructure,
    "aws:imagebuilder/distributionConfiguration:DistributionConfiguration": _distribution,
    "aws:imagebuilder/imagePipeline:ImagePipeline": _pipeline,
    "aws:imagebuilder/lifecyclePolicy:LifecyclePolicy": _lifecycle_policy,
}


# --- the account's own SSM parameters ---------------------------------------------------------------------------

def _parameter_not_found(name: str) -> ImageBuilderRejects:
    return ImageBuilderRejects(f"ParameterNotFound: reading SSM Parameter ({name}): the account has no parameter "
                               f"{name}")


def account_parameter(fake, name: str) -> str | None:
    """The value of the account's parameter ``name`` in the fake's region, or None when it does not exist."""
    if name.startswith("/aws/service/"):
        raise UnknownToFake(f"the fake AWS does not know the public SSM parameter {name!r}; add it to "
                            "preflight/fake_aws.py")
    if fake.new_stack:
        return None  # a first deployment: nothing of the stack exists yet
    value = fake.account.parameters.get((fake.region, name))
    if value is None and fake.account.trust_existing:
        value = f"ami-{hashlib.sha256(f'{fake.region}/{name}'.encode()).hexdigest()[:17]}"
    return value


def get_parameter(fake, name: str):
    """``aws.ssm.get_parameter`` of an account parameter: its value, or GetParameter's failure."""
    value = account_parameter(fake, name)
    if value is None:
        return {}, [("name", str(_parameter_not_found(name)))]
    return {"id": name, "name": name, "value": value, "insecureValue": value, "type": "String", "version": 1,
            "arn": f"arn:{fake.partition}:ssm:{fake.region}:{fake.account_id}:parameter{name}"}


def check_launch_image(fake, name: str, inputs: dict, public_parameters) -> None:
    """A launch template's ``imageId`` of ``resolve:ssm:<parameter>`` names a parameter that exists."""
    image = _text(inputs.get("imageId"))
    if image is None or not image.startswith("resolve:ssm:"):
        return
    parameter = image.removeprefix("resolve:ssm:").split(":", 1)[0]  # a ":<version>" or ":<label>" may follow
    if parameter in public_parameters:
        return
    if account_parameter(fake, parameter) is None:
        raise ImageBuilderRejects(
            f"InvalidParameterValue: launch template {name!r} resolves imageId {image}, but the parameter does not "
            "exist; create it (the image pipeline's first image) before a launch template uses it")
