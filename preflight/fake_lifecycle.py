"""What AWS does with a stack's resources on ``pulumi destroy``, and what a re-create of the stack then meets.

Pulumi's mocks have no delete: a program run only ever creates. So destroy is modelled here, from a
recording of what the stack declares, by the deletion rules AWS applies per resource type:

* a Secrets Manager secret deleted with a recovery window keeps its name reserved for the window; creating a
  secret of that name fails ("You can't create this secret because a secret with this name is already
  scheduled for deletion", Secrets Manager API reference, DeleteSecret / CreateSecret). Window 0 (the
  provider's ForceDeleteWithoutRecovery) frees the name at once. AWS's default window is 30 days.
* S3 refuses to delete a bucket that holds objects, versions or delete markers (DeleteBucket: BucketNotEmpty).
  Every bucket of a deployed stack holds objects (log deliveries start within minutes, versioning keeps every
  version), so only ``forceDestroy`` (the provider empties the bucket first) lets destroy delete it.
* Route 53 refuses to delete a hosted zone with records besides SOA/NS (DeleteHostedZone: HostedZoneNotEmpty).
  Records the nodes write themselves (the take-over step UPSERTs its A record) are not in Pulumi's state, so a
  zone some role may change records in needs ``forceDestroy``.
* A KMS key is only scheduled for deletion (7-30 days), but it has no name; its alias is deleted at once
  (DeleteAlias), so a re-create gets a new key under the same alias.
* Everything else the program declares is deleted at once and its name is free for the re-create.

Pulumi itself refuses to delete a ``protect``-ed resource (it stays, in the state), and leaves a
``retain_on_delete`` one in the account but drops it from the state, so a re-create meets it by name.

A type the model does not classify fails loudly, like an unknown type in fake_aws.py: add its deletion rule.
Rejected: keeping this in fake_account.FakeAccount, which models what one account holds across program runs
(creates); destroy is not a program run, and its rules are per resource type, not per account.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .fake_aws import UnknownToFake
from .runner import RecordedResource, Recording

SECRET = "aws:secretsmanager/secret:Secret"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
ZONE = "aws:route53/zone:Zone"
KMS_KEY = "aws:kms/key:Key"
AWS_DEFAULT_RECOVERY_DAYS = 30  # Secrets Manager DeleteSecret: RecoveryWindowInDays default
_NAME_KEY = {SECRET: "name", **{b: "bucket" for b in BUCKETS}}

# Deleted at once, the name (if any) free at once: what the program declares besides the types above.
DELETED_AT_ONCE = frozenset({
    "aws:autoscaling/group:Group", "aws:budgets/budget:Budget", "aws:cfg/deliveryChannel:DeliveryChannel",
    "aws:cfg/recorder:Recorder", "aws:cfg/recorderStatus:RecorderStatus", "aws:cfg/rule:Rule",
    "aws:cloudtrail/trail:Trail", "aws:cloudwatch/dashboard:Dashboard", "aws:cloudwatch/logGroup:LogGroup",
    # DeleteAlarms takes a composite alarm that no other composite names (the stack's one names only metric alarms);
    # X-Ray's DeleteSamplingRule and DeleteGroup free the name at once.
    "aws:cloudwatch/compositeAlarm:CompositeAlarm", "aws:xray/group:Group", "aws:xray/samplingRule:SamplingRule",
    "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:dlm/lifecyclePolicy:LifecyclePolicy",
    "aws:ebs/defaultKmsKey:DefaultKmsKey", "aws:ebs/encryptionByDefault:EncryptionByDefault",
    "aws:ebs/volume:Volume", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/ebsEncryptionByDefault:EbsEncryptionByDefault", "aws:ec2/eip:Eip", "aws:ec2/flowLog:FlowLog",
    "aws:ec2/instance:Instance", "aws:ec2/internetGateway:InternetGateway", "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/natGateway:NatGateway", "aws:ec2/networkInterface:NetworkInterface",
    "aws:ec2/placementGroup:PlacementGroup", "aws:ec2/route:Route", "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule", "aws:ec2/subnet:Subnet", "aws:ec2/volumeAttachment:VolumeAttachment",
    "aws:ec2/vpc:Vpc", "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:iam/instanceProfile:InstanceProfile",
    "aws:iam/policy:Policy", "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/user:User", "aws:iam/userPolicy:UserPolicy",
    # DeleteServiceLinkedRole is a deletion task; the provider waits for it, then the name is free.
    "aws:iam/serviceLinkedRole:ServiceLinkedRole",
    "aws:kms/alias:Alias", "aws:lb/listener:Listener", "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/targetGroup:TargetGroup", "aws:route53/record:Record",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "aws:s3/bucketLogging:BucketLogging",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning", "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy", "aws:sns/topicSubscription:TopicSubscription",
    "aws:ssm/document:Document", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    # Systems Manager: a patch group is deregistered before its baseline (the engine deletes dependents first);
    # windows, targets, tasks, associations and parameters are deleted at once, their names free.
    "aws:ssm/association:Association", "aws:ssm/maintenanceWindow:MaintenanceWindow",
    "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget", "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask",
    "aws:ssm/parameter:Parameter", "aws:ssm/patchBaseline:PatchBaseline", "aws:ssm/patchGroup:PatchGroup",
    # Image Builder: the pipeline before its recipe and configurations, a recipe before its components. The
    # AMIs the pipeline built are not in the state and stay (README, Optimized AMI).
    "aws:imagebuilder/component:Component", "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
    "aws:imagebuilder/imagePipeline:ImagePipeline", "aws:imagebuilder/imageRecipe:ImageRecipe",
    "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration",
    "aws:iam/accessKey:AccessKey",
})
DYNAMODB_TABLE = "aws:dynamodb/table:Table"
_NO_CLOUD_SIDE = ("pulumi:providers:", "random:", "tls:")


@dataclass
class DestroyResult:
    refused: list[str] = field(default_factory=list)  # why `pulumi destroy` fails, resource by resource
    left_behind: list[str] = field(default_factory=list)  # still in the account afterwards (retained)


@dataclass
class AccountLifecycle:
    """One account through ``destroy`` and a re-create; ``days_since_destroy`` ages the reservations."""

    days_since_destroy: int = 0
    _reserved: dict[tuple[str, str], str] = field(default_factory=dict, init=False, repr=False)
    _retained: dict[tuple[str, str], str] = field(default_factory=dict, init=False, repr=False)
    _in_state: set[str] = field(default_factory=set, init=False, repr=False)  # URNs destroy could not remove

    def destroy(self, recording: Recording) -> DestroyResult:
        result = DestroyResult()
        writable_zones = _zones_written_outside_pulumi(recording)
        for r in (r for r in recording.resources if r.custom and not r.type.startswith(_NO_CLOUD_SIDE)):
            if r.protect:
                result.refused.append(f"{r.name}: resource is protected (Pulumi refuses to delete it)")
                self._in_state.add(r.urn)
                continue
            problem = self._delete(r, writable_zones)
            if problem:
                result.refused.append(f"{r.name}: {problem}")
                self._in_state.add(r.urn)
            elif r.retain_on_delete:
                result.left_behind.append(r.name)
                if r.type in _NAME_KEY:
                    self._retained[(r.type, _name(r))] = r.name
        return result

    def recreate(self, recording: Recording) -> list[str]:
        """The errors AWS answers when the stack is created again (resources still in state are not)."""
        errors = []
        for r in (r for r in recording.resources if r.type in _NAME_KEY and r.urn not in self._in_state):
            key = (r.type, _name(r))
            if key in self._reserved:
                errors.append(f"{r.name}: {self._reserved[key]}")
            elif key in self._retained:
                errors.append(f"{r.name}: {key[1]} already exists (kept by retain_on_delete of "
                              f"{self._retained[key]})")
        return errors

    def _delete(self, r: RecordedResource, writable_zones: set[str]) -> str | None:
        inputs = r.inputs
        if r.type == SECRET:
            window = inputs.get("recoveryWindowInDays", AWS_DEFAULT_RECOVERY_DAYS)
            if window and self.days_since_destroy < window:
                self._reserved[(SECRET, _name(r))] = (
                    f"InvalidRequestException: You can't create this secret because a secret with this name "
                    f"is already scheduled for deletion (recovery window {window} days)")
            return None
        if r.type in BUCKETS:
            if inputs.get("forceDestroy") is True:
                return None
            return ("BucketNotEmpty: The bucket you tried to delete is not empty. You must delete all versions "
                    "in the bucket (set forceDestroy outside prod)")
        if r.type == ZONE:
            zone_id = r.outputs.get("zoneId") or r.outputs.get("id")
            if zone_id in writable_zones and inputs.get("forceDestroy") is not True:
                return ("HostedZoneNotEmpty: The specified hosted zone contains non-required resource record "
                        "sets and so cannot be deleted (records written by the nodes are not in the state: set "
                        "forceDestroy outside prod)")
            return None
        if r.type == DYNAMODB_TABLE:
            if inputs.get("deletionProtectionEnabled") is True:
                return ("ValidationException: Resource cannot be deleted as it is currently protected against "
                        "deletion. Disable deletion protection first (DynamoDB DeleteTable)")
            return None
        if r.type == KMS_KEY or r.type in DELETED_AT_ONCE:
            return None
        raise UnknownToFake(f"the destroy model does not know how AWS deletes {r.type!r} (resource {r.name!r}); "
                            "classify it in preflight/fake_lifecycle.py")


def _name(r: RecordedResource) -> str:
    return str(r.inputs.get(_NAME_KEY[r.type]) or r.outputs.get(_NAME_KEY[r.type]) or r.name)


def _zones_written_outside_pulumi(recording: Recording) -> set[str]:
    """Zone ids some role of the stack may change records in: records Pulumi's state does not hold."""
    zones = set()
    for policy in recording.of_type("aws:iam/rolePolicy:RolePolicy"):
        try:
            statements = json.loads(policy.inputs.get("policy") or "{}").get("Statement", [])
        except (TypeError, ValueError):
            continue
        for s in statements if isinstance(statements, list) else [statements]:
            actions = s.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            if s.get("Effect") == "Allow" and "route53:ChangeResourceRecordSets" in actions:
                resources = s.get("Resource", [])
                for arn in [resources] if isinstance(resources, str) else resources:
                    if isinstance(arn, str) and ":hostedzone/" in arn:
                        zones.add(arn.rsplit("/", 1)[-1])
    return zones
