"""EC2 Image Builder: a scheduled pipeline that bakes the RustFS storage-node AMI (``images.enabled``).

What it builds: Amazon Linux 2023 of the cluster's architecture (the parent is Image Builder's managed image
``amazon-linux-2023-x86`` / ``amazon-linux-2023-arm64`` at ``x.x.x``, the newest AL2023 release), AWS's managed
``update-linux`` component (the security updates released since that AMI), then this stack's component
(document.py: the packages, the pinned RustFS release, kernel settings, time sync; validate and test phases).
The build and test instances run in the first private subnet with a security group that admits nothing and
sends only HTTPS out (NAT: GitHub, the Image Builder and SSM APIs; the S3 gateway: the AL2023 repositories and
AWSTOE), require IMDSv2 with one hop, and are terminated when a build fails. The root volume and the AMI are
encrypted with the stack's data key; with ``backup.copyRegion`` the AMI is also copied there, encrypted with the
snapshot-copy key (components/cluster/snapshots.py), so the other Region can launch nodes after a Regional
outage. The build log goes to the logs bucket under ``imagebuilder/``.

The build instance is the cluster's own instance type: it is offered in every AZ of the stack (the program checks
that before any resource), has the architecture of the nodes, and the image tests then run on the hardware the
nodes use (ENA and NVMe drivers). At the prod stack's c6in.4xlarge that is about $0.9 an hour for a build of
well under an hour. Rejected: a small general-purpose type, a second offering check, and tests on other hardware.

How the nodes get the image, and the order of the first deployment. The distribution writes the new AMI's ID to
the SSM parameter ``/imagebuilder/rustfs/<cluster>/node-image/<arch>`` (data type ``aws:ec2:image``; Image Builder
User Guide, "Create and update AMI distribution configurations": SSM output parameters). The pipeline names no
execution role, so Image Builder distributes with its service-linked role, whose AWSServiceRoleForImageBuilder
policy allows ``ssm:PutParameter`` only on ``parameter/imagebuilder/*`` (and has the ``ec2:DescribeImages`` the
``aws:ec2:image`` validation needs): a parameter anywhere else fails every build at distribution, after the image
was built and tested (preflight/fake_imagebuilder.py refuses such a pipeline). Rejected: an execution role with
PutParameter on ``/rustfs/...``: it replaces the service-linked role for the whole build workflow, so it would have
to carry everything that role does (launching, imaging, copying, KMS grants) for one parameter name. With
``images.use: true`` every launch template's
``image_id`` is ``resolve:ssm:<parameter>``, which EC2 resolves at each launch (EC2 Auto Scaling User Guide, "Use
AWS Systems Manager parameters instead of AMI IDs in launch templates"): a new image changes no launch template
and restarts no node; each replacement (self-healing, patching) boots the newest tested image. The parameter
exists only after the pipeline's first successful run, and EC2 refuses a launch template that names a parameter
that does not exist ("You must create a Systems Manager parameter before you can use it in a launch
template", same guide). So: ``images.enabled: true`` creates the pipeline and leaves the nodes on stock AL2023;
after the first image (the schedule, or ``aws imagebuilder start-image-pipeline-execution``), ``images.use:
true`` switches the launch templates. ``require_image`` reads the parameter before any resource is declared
and refuses ``use`` without an image, naming the command that builds one. The architecture is in the name, so a
switch between x86_64 and Graviton instance types is refused the same way until an image of the new
architecture exists, instead of launching x86 AMIs on arm64 hosts. Rejected: the distribution's launch-template
configuration (Image Builder sets a new default version of named launch templates): the program owns those
templates, and every ``pulumi up`` would put its own version back, or fight Image Builder over the default.
Rejected: reading the pipeline's latest image ID in the program (``aws.imagebuilder.get_image``): every
``up`` after a build would then change every launch template.
"""

import json
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.cluster.bootstrap.render import TEMPLATES, load_releases
from rustfs_aws.cluster.storage_nodes import ROOT_DEVICE, ROOT_VOLUME_GIB, release_arch
from rustfs_aws.component_args import component_args
from rustfs_aws.images.document import (
    CollectorPackage,
    NodeImageSpec,
    content_version,
    node_document,
    render,
    storage_sysctls,
)
from rustfs_aws.images.settings import DEFAULT_SCHEDULE
from rustfs_aws.security.iam_documents import SSM_MANAGED_POLICY, service_trust
from rustfs_aws.tagging import resource_tags
from rustfs_aws.validation import ConfigError
from rustfs_model import catalogue

# With EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE a scheduled run builds only when the parent image or a
# component has a newer version than the last image (AL2023 releases every few weeks), so most weeks cost nothing.
START_CONDITION = "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE"
# ImageTestsConfiguration.timeoutMinutes: 60..1440 (Image Builder API Reference); our test phase takes seconds.
IMAGE_TEST_TIMEOUT_MINUTES = 60
# Image Builder's managed AL2023 images, by the catalogue's architecture (arn:<partition>:imagebuilder:<region>:
# aws:image/<name>/x.x.x, listed by `aws imagebuilder list-images --owner Amazon`).
MANAGED_PARENT = {"x86_64": "amazon-linux-2023-x86", "arm64": "amazon-linux-2023-arm64"}
UPDATE_LINUX = "update-linux"  # AWS managed component: installs the pending OS updates, reboots if needed
LOG_PREFIX = "imagebuilder/"
# AWSServiceRoleForImageBuilder (AWS Managed Policy Reference): ssm:GetParameter/PutParameter on
# arn:aws:ssm:*:*:parameter/imagebuilder/* only.
IMAGE_BUILDER_PARAMETER_PATH = "/imagebuilder/"
HTTPS_PORT = 443


def image_architecture(instance_type: str) -> str:
    """``x86_64`` | ``arm64`` (the SSM parameter's and the managed parent image's naming)."""
    return "arm64" if release_arch(instance_type) == "aarch64" else "x86_64"


def image_parameter_name(cluster_id: str, arch: str) -> str:
    """The SSM parameter the distribution writes and the launch templates resolve (``resolve:ssm:``): under
    ``/imagebuilder/``, the only path Image Builder's service-linked role may write (module docstring)."""
    return f"{IMAGE_BUILDER_PARAMETER_PATH}rustfs/{cluster_id}/node-image/{arch}"


def cloud_init_packages() -> tuple[str, ...]:
    """The RPMs the node's cloud-config installs at first boot (bootstrap/templates/cloud-config.yaml): baked,
    so that step finds them installed."""
    text = (TEMPLATES / "cloud-config.yaml").read_text()
    block = re.search(r"^packages:\n((?:  - \S+\n)+)", text, re.M)
    if block is None:
        raise ValueError("cloud-config.yaml has no packages: list")
    return tuple(line.removeprefix("  - ") for line in block.group(1).splitlines())


def node_image_spec(name: str, instance_type: str, rustfs_version: str,
                    collector: CollectorPackage | None = None) -> NodeImageSpec:
    """The image of one stack: its release asset and checksum from releases.json, never a new pin."""
    releases = load_releases()
    arch = release_arch(instance_type)
    asset = releases["releases"][rustfs_version][arch]
    known = catalogue.instance_type(instance_type)
    return NodeImageSpec(
        name=name, rustfs_version=rustfs_version,
        release_url=f"{releases['download_base']}/{rustfs_version}/{asset['asset']}",
        release_sha256=asset["sha256"], packages=cloud_init_packages(),
        sysctls=storage_sysctls(known.ebs_baseline_mbps if known else None), collector=collector)


def require_image(parameter: str, invoke: pulumi.InvokeOptions) -> str:
    """``images.use``: the parameter must exist before a launch template names it. Called before any resource;
    returns the AMI ID it holds."""
    try:
        return aws.ssm.get_parameter(name=parameter, opts=invoke).value
    except Exception as exc:
        # Pulumi reports a data source's failure as "invoke of <token> failed: ..." (pulumi/runtime/invoke.py).
        if not str(exc).startswith("invoke of "):
            raise
        raise ConfigError([
            f"rustfs-aws:images.use: got true, but {parameter} does not exist: the pipeline has not distributed an "
            "image of this architecture yet, and EC2 refuses a launch template that resolves a missing parameter. "
            "Keep images.use: false, run `pulumi up` (images.enabled creates the pipeline), build the first image "
            "(aws imagebuilder start-image-pipeline-execution --image-pipeline-arn <the nodeImagePipelineArn "
            "output>), wait for it to be AVAILABLE, then set images.use: true"
            f" ({exc})"]) from None


def build_instance_policy(*, partition: str, region: str, account_id: str, component_name: str,
                          logs_bucket: str | None, storage_key_arn: str | None) -> dict:
    """The build and test instances' own permissions (next to AmazonSSMManagedInstanceCore, through which Image
    Builder drives them): read this stack's component and the one AWS managed component of the recipe (AWSTOE
    fetches documents with GetComponent), write the build log. AWSTOE itself and the managed components' content
    come from Image Builder's buckets unsigned (the S3 gateway lets those reads through: rustfs_model/
    aws_repositories.py image_builder_buckets). Narrower than AWS's EC2InstanceProfileForImageBuilder, which allows
    GetComponent on every component and s3:GetObject on every ec2imagebuilder* bucket."""
    statements = [
        # AWS's own components are owned by "aws" (arn:...:imagebuilder:<region>:aws:component/...), which IAM
        # matches but parliament refuses as an account: "*" there, still only the one component by name (another
        # account's component of that name is readable only if that account shares it).
        {"Sid": "ReadRecipeComponents", "Effect": "Allow", "Action": "imagebuilder:GetComponent",
         "Resource": [f"arn:{partition}:imagebuilder:{region}:{account_id}:component/{component_name}/*",
                      f"arn:{partition}:imagebuilder:{region}:*:component/{UPDATE_LINUX}/*"]},
    ]
    if logs_bucket:
        statements.append({"Sid": "WriteBuildLogs", "Effect": "Allow", "Action": "s3:PutObject",
                           "Resource": f"arn:{partition}:s3:::{logs_bucket}/{LOG_PREFIX}*"})
    if logs_bucket and storage_key_arn:
        # The logs bucket is SSE-KMS with the storage key and a Bucket Key: S3 asks KMS for a data key in the
        # writer's name (Amazon S3 User Guide, "Using server-side encryption with AWS KMS keys": kms:GenerateDataKey
        # to upload, kms:Decrypt for multipart uploads), with the bucket as encryption context.
        statements.append({
            "Sid": "EncryptBuildLogs", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": storage_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com",
                                           "kms:EncryptionContext:aws:s3:arn": f"arn:{partition}:s3:::{logs_bucket}"}}})
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass
class NodeImagePipelineArgs:
    """Inputs of ``NodeImagePipeline``."""

    cluster_id: str
    """The cluster's name (``rustfs-prod``): names every resource, the AMIs and the SSM parameter."""
    stack: str
    """The stack's short name: the ``rustfs:stack`` tag."""
    region: str
    """The Region the images are built and first distributed in."""
    account_id: pulumi.Input[str]
    """The AWS account ID (in the ARNs of the build instance's policy)."""
    partition: pulumi.Input[str]
    """The AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``)."""
    instance_type: str
    """The cluster's instance type: its architecture picks the parent image, and builds and tests run on it."""
    rustfs_version: str
    """The RustFS release baked into the image; it must have checksums in releases.json."""
    subnet_id: pulumi.Input[str]
    """A private subnet (with NAT) for the build and test instances."""
    vpc_id: pulumi.Input[str]
    """The VPC of that subnet (the build instances' security group)."""
    data_key_arn: pulumi.Input[str]
    """ARN of the data KMS key: encrypts the build's root volume and the distributed AMI."""
    permissions_boundary_arn: pulumi.Input[str]
    """ARN of the permissions boundary the build instance role carries."""
    schedule: str | None = DEFAULT_SCHEDULE
    """Image Builder cron expression (six fields) on which the pipeline builds when something it uses has a newer
    version."""
    copy_region: str | None = None
    """Another Region the AMI is also copied to (``backup.copyRegion``); needs ``copy_key_arn``."""
    copy_key_arn: pulumi.Input[str] | None = None
    """ARN of the KMS key in ``copy_region`` that encrypts the copy."""
    logs_bucket: pulumi.Input[str] | None = None
    """Name of the bucket the build logs go to (under ``imagebuilder/``); unset: no S3 log."""
    storage_key_arn: pulumi.Input[str] | None = None
    """ARN of the KMS key of ``logs_bucket`` (the build instance encrypts its log with it)."""
    collector_package: str | None = None
    """The node collector's package to bake (``amazon-cloudwatch-agent``); unset: the image has no collector and its
    State Manager association installs it at first boot."""
    collector_version: str | None = None
    """That package's version-release (required with ``collector_package``)."""
    collector_release: str | None = None
    """The AL2023 repository release that carries it (``dnf --releasever``; required with ``collector_package``)."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on every resource, the build instances and the AMIs, next to each one's ``Name``."""


class NodeImagePipeline(pulumi.ComponentResource):
    """A scheduled EC2 Image Builder pipeline that bakes, tests and distributes the RustFS node AMI and writes its
    ID to an SSM parameter the cluster's launch templates can resolve."""

    pipeline_arn: pulumi.Output[str]
    """ARN of the image pipeline (``aws imagebuilder start-image-pipeline-execution --image-pipeline-arn``)."""
    image_parameter: str
    """Name of the SSM parameter that holds the newest distributed AMI ID."""
    component_version: str
    """The component's semantic version (derived from its document)."""

    def __init__(self, name: str, args: NodeImagePipelineArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(NodeImagePipelineArgs, args)
        super().__init__("rustfs:images:NodeImagePipeline", name, None, opts)
        self._name, self._args = name, args
        if (args.copy_region is None) != (args.copy_key_arn is None):
            raise ValueError("NodeImagePipelineArgs: copy_region and copy_key_arn go together")
        collector = None
        if args.collector_package:
            if not (args.collector_version and args.collector_release):
                raise ValueError("NodeImagePipelineArgs: collector_package needs collector_version and "
                                 "collector_release")
            collector = CollectorPackage(args.collector_package, args.collector_version, args.collector_release)
        self.arch = image_architecture(args.instance_type)
        self.image_parameter = image_parameter_name(args.cluster_id, self.arch)
        child = pulumi.ResourceOptions(parent=self)
        component_name = f"{args.cluster_id}-node"

        data = render(node_document(node_image_spec(component_name, args.instance_type, args.rustfs_version,
                                                    collector)))
        self.component_version = content_version(data)
        component = aws.imagebuilder.Component(
            f"{name}-component", name=component_name, platform="Linux", version=self.component_version,
            data=data, supported_os_versions=["Amazon Linux 2023"],
            description=f"RustFS {args.rustfs_version} storage node ({self.arch})",
            change_description=f"document sha256-derived version {self.component_version}",
            # Not skip_destroy: a destroyed and re-created stack would otherwise find its own name and version
            # still there and fail the create.
            tags=self._tags(component_name), opts=child)

        parent_image = pulumi.Output.concat("arn:", args.partition, f":imagebuilder:{args.region}:aws:image/",
                                            MANAGED_PARENT[self.arch], "/x.x.x")
        update_linux = pulumi.Output.concat("arn:", args.partition, f":imagebuilder:{args.region}:aws:component/",
                                            UPDATE_LINUX, "/x.x.x")
        # Every input of the recipe in its version: any change is a new recipe version (see document.py).
        recipe_version = pulumi.Output.all(parent_image, component.arn, args.data_key_arn).apply(
            lambda v: content_version(*v, ROOT_DEVICE, str(ROOT_VOLUME_GIB), "gp3"))
        recipe = aws.imagebuilder.ImageRecipe(
            f"{name}-recipe", name=component_name, version=recipe_version, parent_image=parent_image,
            description=f"RustFS storage node on Amazon Linux 2023 ({self.arch})",
            components=[aws.imagebuilder.ImageRecipeComponentArgs(component_arn=update_linux),
                        aws.imagebuilder.ImageRecipeComponentArgs(component_arn=component.arn)],
            # The node's root volume as the launch templates declare it (storage_nodes.py): same device and size,
            # encrypted with the data key from the build on.
            block_device_mappings=[aws.imagebuilder.ImageRecipeBlockDeviceMappingArgs(
                device_name=ROOT_DEVICE, ebs=aws.imagebuilder.ImageRecipeBlockDeviceMappingEbsArgs(
                    volume_size=ROOT_VOLUME_GIB, volume_type="gp3", encrypted="true",
                    kms_key_id=args.data_key_arn, delete_on_termination="true"))],
            # The nodes are managed through Session Manager: the agent stays.
            systems_manager_agent=aws.imagebuilder.ImageRecipeSystemsManagerAgentArgs(uninstall_after_build=False),
            tags=self._tags(f"{component_name}-recipe"), opts=child)

        profile = self._instance_profile(component_name)
        security_group = self._security_group()
        infrastructure = aws.imagebuilder.InfrastructureConfiguration(
            f"{name}-infrastructure", name=f"{args.cluster_id}-node-build",
            description="Build and test instances of the RustFS node image: private subnet, no inbound, IMDSv2",
            instance_profile_name=profile.name, instance_types=[args.instance_type],
            subnet_id=args.subnet_id, security_group_ids=[security_group.id],
            terminate_instance_on_failure=True,
            instance_metadata_options=aws.imagebuilder.InfrastructureConfigurationInstanceMetadataOptionsArgs(
                http_tokens="required", http_put_response_hop_limit=1),
            logging=aws.imagebuilder.InfrastructureConfigurationLoggingArgs(
                s3_logs=aws.imagebuilder.InfrastructureConfigurationLoggingS3LogsArgs(
                    s3_bucket_name=args.logs_bucket, s3_key_prefix=LOG_PREFIX.rstrip("/"))) if args.logs_bucket
            else None,
            resource_tags=self._tags(f"{args.cluster_id}-node-build"),
            tags=self._tags(f"{args.cluster_id}-node-build"), opts=child)

        distribution = self._distribution()
        self.pipeline = aws.imagebuilder.ImagePipeline(
            f"{name}-pipeline", name=f"{args.cluster_id}-node",
            description=f"RustFS node AMI for {args.cluster_id}: weekly when AL2023 or a component has an update",
            image_recipe_arn=recipe.arn, infrastructure_configuration_arn=infrastructure.arn,
            distribution_configuration_arn=distribution.arn, status="ENABLED",
            schedule=aws.imagebuilder.ImagePipelineScheduleArgs(
                schedule_expression=args.schedule or DEFAULT_SCHEDULE,
                pipeline_execution_start_condition=START_CONDITION),
            image_tests_configuration=aws.imagebuilder.ImagePipelineImageTestsConfigurationArgs(
                image_tests_enabled=True, timeout_minutes=IMAGE_TEST_TIMEOUT_MINUTES),
            enhanced_image_metadata_enabled=True,
            tags=self._tags(f"{args.cluster_id}-node"), opts=child)
        self.pipeline_arn = self.pipeline.arn
        self.register_outputs({"pipelineArn": self.pipeline.arn, "imageParameter": self.image_parameter,
                               "componentVersion": self.component_version})

    def _tags(self, name: str) -> dict[str, str]:
        return resource_tags(self._args.tags or {}, name, self._args.stack)

    def _image_tags(self) -> dict[str, str]:
        """On the distributed AMIs: which cluster they belong to."""
        return {**self._tags(f"{self._args.cluster_id}-node"), "rustfs:cluster": self._args.cluster_id,
                "rustfs:image": "node"}

    def _instance_profile(self, component_name: str) -> aws.iam.InstanceProfile:
        a, name = self._args, self._name
        role = aws.iam.Role(
            f"{name}-build", name=f"{a.cluster_id}-image-build",
            assume_role_policy=json.dumps(service_trust("ec2.amazonaws.com")),
            description="EC2 Image Builder build and test instances of the RustFS node image",
            permissions_boundary=a.permissions_boundary_arn, tags=self._tags(f"{a.cluster_id}-image-build"),
            opts=pulumi.ResourceOptions(parent=self))
        role_opts = pulumi.ResourceOptions(parent=role)
        aws.iam.RolePolicyAttachment(
            f"{name}-build-ssm", role=role.name,
            policy_arn=pulumi.Output.concat("arn:", a.partition, ":iam::aws:policy/", SSM_MANAGED_POLICY),
            opts=role_opts)
        document = pulumi.Output.all(a.partition, a.account_id, a.logs_bucket, a.storage_key_arn).apply(
            lambda v: json.dumps(build_instance_policy(partition=v[0], region=a.region, account_id=v[1],
                                                       component_name=component_name, logs_bucket=v[2],
                                                       storage_key_arn=v[3])))
        aws.iam.RolePolicy(f"{name}-build", role=role.id, policy=document, opts=role_opts)
        return aws.iam.InstanceProfile(f"{name}-build", name=f"{a.cluster_id}-image-build", role=role.name,
                                       tags=self._tags(f"{a.cluster_id}-image-build"), opts=role_opts)

    def _security_group(self) -> aws.ec2.SecurityGroup:
        """No ingress (Image Builder drives the instance through SSM, which the instance calls); HTTPS out."""
        a, name = self._args, self._name
        sg = aws.ec2.SecurityGroup(
            f"{name}-build", vpc_id=a.vpc_id, description="RustFS image builds: no inbound, HTTPS out",
            tags=self._tags(f"{a.cluster_id}-image-build"), opts=pulumi.ResourceOptions(parent=self))
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-build-https", security_group_id=sg.id, ip_protocol="tcp", from_port=HTTPS_PORT,
            to_port=HTTPS_PORT, cidr_ipv4="0.0.0.0/0",
            description="HTTPS: VPC endpoints, S3 gateway (AL2023 repositories, AWSTOE), GitHub and the Image Builder "
                        "API through NAT", tags=self._tags(f"{a.cluster_id}-image-build-https"),
            opts=pulumi.ResourceOptions(parent=sg))
        return sg

    def _distribution(self) -> aws.imagebuilder.DistributionConfiguration:
        a = self._args

        def ami(kms_key_arn: pulumi.Input[str]):
            return aws.imagebuilder.DistributionConfigurationDistributionAmiDistributionConfigurationArgs(
                # {{ imagebuilder:buildDate }}: Image Builder's own variable, unique per build.
                name=f"{a.cluster_id}-node-{self.arch}-{{{{ imagebuilder:buildDate }}}}",
                description=f"RustFS {a.rustfs_version} storage node ({self.arch})", kms_key_id=kms_key_arn,
                ami_tags=self._image_tags())

        # In the build's own Region the AMI is encrypted by the recipe's block device mapping (the data key); the
        # distribution's kmsKeyId applies only to copies to other Regions or accounts (Image Builder User Guide,
        # "Create and update AMI distribution configurations"). It is kept here too: it states the same key.
        distributions = [aws.imagebuilder.DistributionConfigurationDistributionArgs(
            region=a.region, ami_distribution_configuration=ami(a.data_key_arn),
            ssm_parameter_configurations=[
                aws.imagebuilder.DistributionConfigurationDistributionSsmParameterConfigurationArgs(
                    parameter_name=self.image_parameter, data_type="aws:ec2:image")])]
        if a.copy_region:
            distributions.append(aws.imagebuilder.DistributionConfigurationDistributionArgs(
                region=a.copy_region, ami_distribution_configuration=ami(a.copy_key_arn)))
        return aws.imagebuilder.DistributionConfiguration(
            f"{self._name}-distribution", name=f"{a.cluster_id}-node",
            description="RustFS node AMI: encrypted with the data key" + (
                f", copied to {a.copy_region}" if a.copy_region else ""),
            distributions=distributions, tags=self._tags(f"{a.cluster_id}-node"),
            opts=pulumi.ResourceOptions(parent=self))
