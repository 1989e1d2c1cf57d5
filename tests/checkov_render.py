"""Render a preflight Recording as Terraform JSON, so that checkov can review what the program declares.

pulumi-aws (and pulumi-random, pulumi-tls) are bridged from the Terraform providers: each Pulumi type is a
Terraform resource type, and each input is the Terraform argument with a camelCase name, block lists
pluralised (``rules`` for ``rule``) and single nested blocks as objects. This module undoes that for the types
our stacks declare, and turns the concrete fake ids/ARNs/names that one resource passes to another back into
Terraform references (``${aws_s3_bucket.logs.id}``), which checkov's graph checks follow.
"""

from __future__ import annotations

import json
import re

from preflight.runner import RecordedResource, Recording

PROVIDER_TYPE = "pulumi:providers:aws"

TERRAFORM_TYPES = {
    "aws:autoscaling/group:Group": "aws_autoscaling_group",
    "aws:budgets/budget:Budget": "aws_budgets_budget",
    "aws:cfg/deliveryChannel:DeliveryChannel": "aws_config_delivery_channel",
    "aws:cfg/recorder:Recorder": "aws_config_configuration_recorder",
    "aws:cfg/recorderStatus:RecorderStatus": "aws_config_configuration_recorder_status",
    "aws:cfg/rule:Rule": "aws_config_config_rule",
    "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": "aws_cloudwatch_composite_alarm",
    "aws:cloudwatch/dashboard:Dashboard": "aws_cloudwatch_dashboard",
    "aws:xray/group:Group": "aws_xray_group",
    "aws:xray/samplingRule:SamplingRule": "aws_xray_sampling_rule",
    "aws:dlm/lifecyclePolicy:LifecyclePolicy": "aws_dlm_lifecycle_policy",
    "aws:dynamodb/table:Table": "aws_dynamodb_table",
    "aws:ebs/volume:Volume": "aws_ebs_volume",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "aws_default_security_group",
    "aws:ec2/eip:Eip": "aws_eip",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:ec2/internetGateway:InternetGateway": "aws_internet_gateway",
    "aws:ec2/launchTemplate:LaunchTemplate": "aws_launch_template",
    "aws:ec2/natGateway:NatGateway": "aws_nat_gateway",
    "aws:ec2/placementGroup:PlacementGroup": "aws_placement_group",
    "aws:ec2/route:Route": "aws_route",
    "aws:ec2/routeTable:RouteTable": "aws_route_table",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "aws_route_table_association",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "aws_vpc_endpoint",
    "aws:iam/accessKey:AccessKey": "aws_iam_access_key",
    "aws:iam/instanceProfile:InstanceProfile": "aws_iam_instance_profile",
    "aws:imagebuilder/component:Component": "aws_imagebuilder_component",
    "aws:imagebuilder/distributionConfiguration:DistributionConfiguration":
        "aws_imagebuilder_distribution_configuration",
    "aws:imagebuilder/imagePipeline:ImagePipeline": "aws_imagebuilder_image_pipeline",
    "aws:imagebuilder/imageRecipe:ImageRecipe": "aws_imagebuilder_image_recipe",
    "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration":
        "aws_imagebuilder_infrastructure_configuration",
    "aws:iam/policy:Policy": "aws_iam_policy",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": "aws_iam_service_linked_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:iam/user:User": "aws_iam_user",
    "aws:iam/userPolicy:UserPolicy": "aws_iam_user_policy",
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:kms/key:Key": "aws_kms_key",
    "aws:lb/listener:Listener": "aws_lb_listener",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:lb/targetGroup:TargetGroup": "aws_lb_target_group",
    "aws:route53/record:Record": "aws_route53_record",
    "aws:route53/zone:Zone": "aws_route53_zone",
    # pulumi-aws v7's Bucket is Terraform's aws_s3_bucket (the v6 BucketV2); its settings are the sub-resources.
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "aws_s3_bucket_lifecycle_configuration",
    "aws:s3/bucketLogging:BucketLogging": "aws_s3_bucket_logging",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "aws_s3_bucket_ownership_controls",
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "aws_s3_bucket_replication_configuration",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        "aws_s3_bucket_server_side_encryption_configuration",
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
    "aws:secretsmanager/secret:Secret": "aws_secretsmanager_secret",
    "aws:secretsmanager/secretVersion:SecretVersion": "aws_secretsmanager_secret_version",
    "aws:sns/topic:Topic": "aws_sns_topic",
    "aws:sns/topicPolicy:TopicPolicy": "aws_sns_topic_policy",
    "aws:sns/topicSubscription:TopicSubscription": "aws_sns_topic_subscription",
    "aws:ssm/association:Association": "aws_ssm_association",
    "aws:ssm/document:Document": "aws_ssm_document",
    "aws:ssm/maintenanceWindow:MaintenanceWindow": "aws_ssm_maintenance_window",
    "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget": "aws_ssm_maintenance_window_target",
    "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask": "aws_ssm_maintenance_window_task",
    "aws:ssm/parameter:Parameter": "aws_ssm_parameter",
    "aws:ssm/patchBaseline:PatchBaseline": "aws_ssm_patch_baseline",
    "aws:ssm/patchGroup:PatchGroup": "aws_ssm_patch_group",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "aws_vpc_security_group_egress_rule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "aws_vpc_security_group_ingress_rule",
    "random:index/randomPassword:RandomPassword": "random_password",
    "tls:index/certRequest:CertRequest": "tls_cert_request",
    "tls:index/locallySignedCert:LocallySignedCert": "tls_locally_signed_cert",
    "tls:index/privateKey:PrivateKey": "tls_private_key",
    "tls:index/selfSignedCert:SelfSignedCert": "tls_self_signed_cert",
}

# Inputs whose Pulumi name is not the camelCase of the Terraform name: the bridge pluralises repeated blocks
# (Terraform `rule` blocks are Pulumi `rules`). Keyed by Terraform type; a name applies at any depth.
RENAMED_INPUTS = {
    "aws_autoscaling_group": {"tags": "tag", "vpcZoneIdentifiers": "vpc_zone_identifier"},
    "aws_budgets_budget": {"notifications": "notification", "ands": "and", "ors": "or"},
    "aws_cloudwatch_metric_alarm": {"metricQueries": "metric_query"},
    "aws_cloudtrail": {"advancedEventSelectors": "advanced_event_selector", "fieldSelectors": "field_selector",
                       "startsWiths": "starts_with", "endsWiths": "ends_with", "notEquals": "not_equals",
                       "notStartsWiths": "not_starts_with", "notEndsWiths": "not_ends_with"},
    "aws_dynamodb_table": {"attributes": "attribute", "globalSecondaryIndexes": "global_secondary_index",
                           "localSecondaryIndexes": "local_secondary_index", "replicas": "replica"},
    "aws_dlm_lifecycle_policy": {"schedules": "schedule", "crossRegionCopyRules": "cross_region_copy_rule"},
    "aws_imagebuilder_distribution_configuration": {"distributions": "distribution",
                                                    "ssmParameterConfigurations": "ssm_parameter_configuration"},
    "aws_imagebuilder_image_recipe": {"components": "component", "blockDeviceMappings": "block_device_mapping"},
    "aws_lb_listener": {"defaultActions": "default_action"},
    "aws_route53_record": {"aliases": "alias"},
    "aws_route53_zone": {"vpcs": "vpc"},
    "aws_s3_bucket_lifecycle_configuration": {"rules": "rule", "transitions": "transition",
                                              "noncurrentVersionTransitions": "noncurrent_version_transition"},
    "aws_s3_bucket_replication_configuration": {"rules": "rule"},
    "aws_s3_bucket_server_side_encryption_configuration": {"rules": "rule"},
    "aws_ssm_patch_baseline": {"approvalRules": "approval_rule", "patchFilters": "patch_filter",
                               "globalFilters": "global_filter"},
}

# Object-valued inputs that are Terraform maps (key/value attributes), not nested blocks.
MAP_INPUTS = {"tags", "tagsAll", "keepers", "targetTags", "tagsToAdd", "variableTags", "dimensions", "amiTags",
              "resourceTags"}
# ... except where a type uses one of those names for a block (path of camelCase names, list levels skipped).
BLOCKS_NAMED_LIKE_MAPS = {"aws_budgets_budget": {("filterExpression", "ands", "tags"),
                                                 ("filterExpression", "tags")}}

# Top-level inputs kept literal even when their value equals another resource's id or name: a resource's own
# name, its description and its tags are the program's words, never a reference (an Auto Scaling group named
# like its launch template is not that template).
LITERAL_INPUTS = {"name", "namePrefix", "description", "tags", "comment"}
# ... except on types whose `name` names the resource they configure.
NAME_IS_REFERENCE = {"aws_config_configuration_recorder_status"}

# Output attributes another resource may take as input, by Pulumi output name → Terraform attribute.
REFERENCED_ATTRIBUTES = {"id": "id", "arn": "arn", "name": "name", "dnsName": "dns_name", "zoneId": "zone_id"}

_NOT_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")


class UnmappedType(KeyError):
    """The recording holds a Pulumi type without a Terraform type in TERRAFORM_TYPES."""


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _terraform_name(name: str) -> str:
    cleaned = _NOT_NAME_CHARS.sub("_", name)
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else f"r_{cleaned}"


def _number(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class _References:
    """Concrete values (ids, ARNs, names) of recorded resources → Terraform reference expressions."""

    def __init__(self, resources: list[RecordedResource], addresses: dict[str, str]):
        candidates: dict[str, list[tuple[RecordedResource, str]]] = {}
        for resource in resources:
            for output, attribute in REFERENCED_ATTRIBUTES.items():
                value = resource.outputs.get(output)
                if isinstance(value, str) and value and not value.startswith("["):
                    candidates.setdefault(value, []).append((resource, attribute))
        self._by_value: dict[str, tuple[str, list[str]]] = {}
        for value, found in candidates.items():
            urns = {resource.urn for resource, _ in found}
            # A bucket's settings and a secret's versions take their ids from what they configure: the owner of
            # a shared value is the candidate that depends on no other candidate.
            owners = {resource.urn for resource, _ in found
                      if not set(resource.dependencies) & (urns - {resource.urn})}
            if len(owners) != 1:
                continue  # ambiguous: stays literal
            owner = owners.pop()
            self._by_value[value] = (addresses[owner], [attr for res, attr in found if res.urn == owner])

    def expression(self, value: str, key: str, self_urn_address: str) -> str | None:
        suffix = ""
        if value not in self._by_value and value.endswith(":*") and value[:-2] in self._by_value:
            value, suffix = value[:-2], ":*"  # log group ARN with its streams, as CloudTrail takes it
        found = self._by_value.get(value)
        if found is None or found[0] == self_urn_address:
            return None
        address, attributes = found
        return f"${{{address}.{_preferred_attribute(attributes, key)}}}{suffix}"


def _preferred_attribute(attributes: list[str], key: str) -> str:
    """The attribute a Terraform author would reference when several hold the same value."""
    lowered = snake(key)
    if lowered in attributes:
        return lowered  # e.g. a record's zone_id
    if "arn" in attributes and lowered.endswith(("arn", "arns")):
        return "arn"
    if "name" in attributes and lowered.endswith("name"):
        return "name"
    return next(attribute for attribute in REFERENCED_ATTRIBUTES.values() if attribute in attributes)


class _Converter:
    def __init__(self, tf_type: str, address: str, references: _References):
        self.tf_type = tf_type
        self.address = address
        self.references = references
        self.renames = RENAMED_INPUTS.get(tf_type, {})
        self.block_paths = BLOCKS_NAMED_LIKE_MAPS.get(tf_type, set())

    def body(self, inputs: dict, path: tuple[str, ...] = ()) -> dict:
        return {self._key(k): self._value(v, path + (k,)) for k, v in inputs.items()}

    def _key(self, camel: str) -> str:
        return self.renames.get(camel, snake(camel))

    def _value(self, value, path: tuple[str, ...]):
        key = path[-1]
        if isinstance(value, dict):
            if key in MAP_INPUTS and path not in self.block_paths:
                return dict(value)
            return [self.body(value, path)]  # one nested block
        if isinstance(value, list):  # a repeated block, or a list of plain values
            return [self.body(v, path) if isinstance(v, dict) else self._value(v, path) for v in value]
        if isinstance(value, str):
            if key in MAP_INPUTS or (len(path) == 1 and key in LITERAL_INPUTS
                                     and not (key == "name" and self.tf_type in NAME_IS_REFERENCE)):
                return value
            return self.references.expression(value, key, self.address) or value
        return _number(value)


def _provider_blocks(providers: list[RecordedResource]) -> tuple[dict, dict[str, str]]:
    """`provider "aws"` blocks (the first explicit one unaliased) and each provider's URN → its reference."""
    blocks, references = [], {}
    for index, provider in enumerate(providers):
        settings = {}
        for key, raw in provider.inputs.items():  # provider inputs reach the engine JSON-encoded
            try:
                settings[key] = json.loads(raw) if isinstance(raw, str) else raw
            except json.JSONDecodeError:
                settings[key] = raw
        settings.pop("version", None)
        body = _Converter("provider", "provider.aws", _References([], {})).body(settings)
        if index:
            body["alias"] = _terraform_name(provider.name)
            references[provider.urn] = f"aws.{body['alias']}"
        else:
            references[provider.urn] = ""
        blocks.append(body)
    return ({"aws": blocks} if blocks else {}), references


def render(recording: Recording) -> dict:
    """The recording's custom resources as one Terraform JSON document."""
    providers = [r for r in recording.resources if r.custom and r.type == PROVIDER_TYPE]
    resources = [r for r in recording.resources if r.custom and r.type != PROVIDER_TYPE]
    unmapped = sorted({r.type for r in resources} - TERRAFORM_TYPES.keys())
    if unmapped:
        raise UnmappedType(f"no Terraform type for {', '.join(unmapped)}: add it to TERRAFORM_TYPES")

    # Names are unique across types too: checkov reports its per-resource checks as `resource.<name>`.
    addresses, taken = {}, set()
    for resource in resources:
        tf_type, base = TERRAFORM_TYPES[resource.type], _terraform_name(resource.name)
        name = base if base not in taken else f"{base}__{tf_type.removeprefix('aws_')}"
        suffix = 2
        while name in taken:
            name, suffix = f"{base}__{suffix}", suffix + 1
        taken.add(name)
        addresses[resource.urn] = f"{tf_type}.{name}"

    references = _References(resources, addresses)
    provider_blocks, provider_references = _provider_blocks(providers)
    document: dict = {"provider": provider_blocks, "resource": {}} if provider_blocks else {"resource": {}}
    for resource in resources:
        tf_type, name = addresses[resource.urn].split(".", 1)
        body = _Converter(tf_type, addresses[resource.urn], references).body(resource.inputs)
        provider = _provider_reference(resource.provider, provider_references)
        if provider:
            body["provider"] = provider
        body["//"] = resource.urn
        document["resource"].setdefault(tf_type, {})[name] = body
    return document


def _provider_reference(provider: str, references: dict[str, str]) -> str:
    """A resource's provider as Terraform names it: "" for the default one, "aws.<alias>" for another."""
    if not provider:
        return ""  # the default provider of its package (random, tls)
    urn = provider.rsplit("::", 1)[0]  # "<provider URN>::<provider id>"
    if urn not in references:
        raise KeyError(f"resource on an unrecorded provider {provider}")
    return references[urn]


def addresses_by_urn(document: dict) -> dict[str, str]:
    """URN of each rendered resource → its Terraform address (for reporting findings)."""
    return {body["//"]: f"{tf_type}.{name}"
            for tf_type, named in document["resource"].items() for name, body in named.items()}
