"""IAM policy documents of the stack as plain dicts (pure: ARNs and names in, document out).

Where an action has no resource-level permission in the AWS Service Authorization Reference, the
statement uses ``Resource: "*"`` with a condition instead, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rustfs_aws.cluster.bootstrap.render import NODE_METRIC_NAMESPACE
from rustfs_model.service_context import SOURCE_ACCOUNT, SOURCE_ARN, unsent_keys

STACK_TAG = "rustfs:stack"  # every resource the stack's roles act on carries it (value: the stack name)
SSM_MANAGED_POLICY = "AmazonSSMManagedInstanceCore"

# Key administration a stack role must never do (the key policy names the administrators).
KEY_ADMINISTRATION = sorted([
    "kms:CancelKeyDeletion", "kms:ConnectCustomKeyStore", "kms:CreateAlias", "kms:CreateCustomKeyStore",
    "kms:CreateKey", "kms:DeleteAlias", "kms:DeleteCustomKeyStore", "kms:DeleteImportedKeyMaterial",
    "kms:DisableKey", "kms:DisableKeyRotation", "kms:DisconnectCustomKeyStore", "kms:EnableKey",
    "kms:EnableKeyRotation", "kms:ImportKeyMaterial", "kms:PutKeyPolicy", "kms:ReplicateKey",
    "kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource",
    "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateCustomKeyStore", "kms:UpdateKeyDescription",
    "kms:UpdatePrimaryRegion",
])
# Actions on existing EC2 resources: allowed only on resources tagged for this stack.
EC2_ON_EXISTING = sorted([
    "ec2:AttachNetworkInterface", "ec2:AttachVolume", "ec2:DeleteNetworkInterface", "ec2:DeleteSnapshot",
    "ec2:DeleteVolume", "ec2:DetachNetworkInterface", "ec2:DetachVolume", "ec2:ModifyInstanceAttribute",
    "ec2:ModifyNetworkInterfaceAttribute", "ec2:ModifyVolume", "ec2:RebootInstances", "ec2:StartInstances",
    "ec2:StopInstances", "ec2:TerminateInstances",
])
IAM_CHANGES = sorted([
    "iam:Add*", "iam:Attach*", "iam:Change*", "iam:Create*", "iam:Deactivate*", "iam:Delete*", "iam:Detach*",
    "iam:Enable*", "iam:PassRole", "iam:Put*", "iam:Remove*", "iam:Reset*", "iam:Resync*", "iam:Set*",
    "iam:Tag*", "iam:Untag*", "iam:Update*", "iam:Upload*",
])
SECRET_USE = sorted(["secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
                     "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
                     "secretsmanager:UpdateSecret"])
KEY_USE = sorted(["kms:CreateGrant", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"])
S3_WRITES = sorted(["s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:DeleteObject", "s3:DeleteObjectVersion",
                    "s3:PutBucketPolicy", "s3:PutLifecycleConfiguration", "s3:PutObject", "s3:PutObjectAcl"])
LOG_WRITES = sorted(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DeleteLogGroup",
                     "logs:DeleteRetentionPolicy", "logs:PutLogEvents", "logs:PutRetentionPolicy"])


def _doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def service_trust(service: str, account_id: str | None = None, source_arn: str | None = None) -> dict:
    """Trust policy for an AWS service; with account/ARN conditions only where the service sends them on
    AssumeRole (rustfs_model.service_context): a condition on a key it never sends denies the service."""
    stmt: dict = {"Sid": "ServiceAssumesRole", "Effect": "Allow", "Principal": {"Service": service},
                  "Action": "sts:AssumeRole"}
    condition: dict = {}
    if account_id:
        condition["StringEquals"] = {SOURCE_ACCOUNT: account_id}
    if source_arn:
        condition["ArnLike"] = {SOURCE_ARN: source_arn}
    if condition:
        unsent = unsent_keys(service, {*condition.get("StringEquals", {}), *condition.get("ArnLike", {})})
        if unsent is None or unsent:
            raise ValueError(f"{service} does not send {sorted(unsent or [])} on AssumeRole, or is not in "
                             "rustfs_model.service_context: add its documented keys there first")
        stmt["Condition"] = condition
    return _doc(stmt)


def permissions_boundary(*, name: str, stack: str, partition: str, shared_secret_arns: list[str] | None = None,
                         shared_key_arns: list[str] | None = None) -> dict:
    """Ceiling for every role the stack creates: never IAM, Organizations or key administration, and
    nothing on EC2 resources, secrets or keys of other stacks, nor writes to other buckets or log groups.
    ``shared_secret_arns``/``shared_key_arns``: the other stacks' secrets and keys the denies spare, exactly these (a
    DR secondary's nodes read the primary's replication credentials: components/dr/replication.py); what a role may
    do with them is still only what its own policy grants."""
    other = {"StringNotEquals": {f"aws:ResourceTag/{STACK_TAG}": stack}}

    def scope(arns: list[str] | None) -> dict:
        return {"NotResource": sorted(arns)} if arns else {"Resource": "*"}

    return _doc(
        # A boundary grants nothing by itself: this Allow is intersected with each role's own policy.
        {"Sid": "CeilingForStackRoles", "Effect": "Allow", "Action": "*", "Resource": "*"},
        # IAM reads stay possible (AWS Config records IAM resources); every IAM change is denied.
        {"Sid": "NoIdentityOrOrganizationAdministration", "Effect": "Deny",
         "Action": ["account:*", *IAM_CHANGES, "organizations:*", "sso:*"], "Resource": "*"},
        {"Sid": "NoKeyAdministration", "Effect": "Deny", "Action": KEY_ADMINISTRATION, "Resource": "*"},
        {"Sid": "NoEc2ResourcesOfOtherStacks", "Effect": "Deny", "Action": EC2_ON_EXISTING, "Resource": "*",
         "Condition": other},
        {"Sid": "NoSecretsOfOtherStacks", "Effect": "Deny", "Action": SECRET_USE, **scope(shared_secret_arns),
         "Condition": other},
        {"Sid": "NoKeysOfOtherStacks", "Effect": "Deny", "Action": KEY_USE, **scope(shared_key_arns),
         "Condition": other},
        {"Sid": "NoWritesToOtherBuckets", "Effect": "Deny", "Action": S3_WRITES,
         "NotResource": [f"arn:{partition}:s3:::{name}-*", f"arn:{partition}:s3:::{name}-*/*"]},
        {"Sid": "NoWritesToOtherLogGroups", "Effect": "Deny", "Action": LOG_WRITES,
         "NotResource": f"arn:{partition}:logs:*:*:log-group:/rustfs/{name}/*"},
    )


@dataclass(frozen=True)
class NodeAccess:
    """What one storage node may touch: every ARN is one the stack creates."""
    partition: str
    region: str
    account_id: str
    stack: str
    secret_arns: list[str]
    secrets_key_arn: str
    data_key_arn: str
    log_group_arns: list[str]
    hosted_zone_id: str
    record_domain: str  # nodes may UPSERT A records below this domain only
    metric_namespace: str = "RustFS"
    volume_tag: tuple[str, str] | None = None  # (key, value) on the cluster's instances, volumes, ENIs
    extra_statements: list[dict] = field(default_factory=list)
    parameter_arns: list[str] = field(default_factory=list)  # SSM parameters the node reads (collector config)


def node_policy(a: NodeAccess) -> dict:
    tag_key, tag_value = a.volume_tag or (STACK_TAG, a.stack)
    tagged = {"StringEquals": {f"aws:ResourceTag/{tag_key}": tag_value}}
    ec2 = f"arn:{a.partition}:ec2:{a.region}:{a.account_id}"
    groups = [g.removesuffix(":*") for g in a.log_group_arns]
    return _doc(
        # Only what the node scripts call (tests/test_node_permissions.py): GetSecretValue, no DescribeSecret.
        {"Sid": "ReadOwnSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": sorted(a.secret_arns)},
        {"Sid": "DecryptOwnSecrets", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": a.secrets_key_arn,
         "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{a.region}.amazonaws.com"}}},
        {"Sid": "UseDataKeyThroughEc2", "Effect": "Allow",
         "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:ReEncryptFrom", "kms:ReEncryptTo"],
         "Resource": a.data_key_arn,
         "Condition": {"StringEquals": {"kms:ViaService": f"ec2.{a.region}.amazonaws.com"}}},
        # Attaching a CMK-encrypted volume makes EC2 create a grant for the instance on the caller's behalf.
        {"Sid": "LetEc2GrantDataKeyToInstance", "Effect": "Allow", "Action": "kms:CreateGrant",
         "Resource": a.data_key_arn,
         "Condition": {"StringEquals": {"kms:ViaService": f"ec2.{a.region}.amazonaws.com"},
                       "Bool": {"kms:GrantIsForAWSResource": "true"}}},
        {"Sid": "WriteOwnLogGroups", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
         "Resource": sorted([*groups, *(f"{g}:log-stream:*" for g in groups)])},
        # cloudwatch:PutMetricData has no resource-level permission: the namespace condition scopes it (the
        # stack's namespace, RustFS/<stack>, and node-bootstrap's, whose certificate-expiry metric the stack
        # alarms on). The node collector itself publishes through EMF, i.e. logs:PutLogEvents above.
        {"Sid": "PutOwnMetrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
         "Condition": {"StringEquals": {"cloudwatch:namespace": sorted({a.metric_namespace,
                                                                        NODE_METRIC_NAMESPACE})}}},
        # X-Ray trace and sampling calls have no resource-level permission; scoped to the stack's region.
        {"Sid": "WriteTraces", "Effect": "Allow",
         "Action": ["xray:GetSamplingRules", "xray:GetSamplingStatisticSummaries", "xray:GetSamplingTargets",
                    "xray:PutTelemetryRecords", "xray:PutTraceSegments"],
         "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": a.region}}},
        # ec2:Describe* has no resource-level permission; scoped to the stack's region.
        {"Sid": "FindOwnVolumes", "Effect": "Allow",
         "Action": ["ec2:DescribeInstances", "ec2:DescribeVolumes"],
         "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": a.region}}},
        # Volumes only: node identity is its DNS record, not a fixed ENI (docs/cluster.md).
        {"Sid": "TakeOverOwnVolumes", "Effect": "Allow", "Action": ["ec2:AttachVolume", "ec2:DetachVolume"],
         "Resource": [f"{ec2}:instance/*", f"{ec2}:volume/*"], "Condition": tagged},
        {"Sid": "UpdateOwnDnsRecords", "Effect": "Allow", "Action": "route53:ChangeResourceRecordSets",
         "Resource": f"arn:{a.partition}:route53:::hostedzone/{a.hosted_zone_id}",
         "Condition": {
             "ForAllValues:StringLike": {"route53:ChangeResourceRecordSetsNormalizedRecordNames":
                                         f"*.{a.record_domain}"},
             "ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": "A",
                                           "route53:ChangeResourceRecordSetsActions": "UPSERT"}}},
        # A node that cannot become ready at boot reports itself Unhealthy so its group replaces it. The
        # Service Authorization Reference (Amazon EC2 Auto Scaling) gives SetInstanceHealth one resource, the
        # autoScalingGroup, with only aws:ResourceTag / autoscaling:ResourceTag conditions: no key names the
        # target instance, and all nodes share this role, so IAM cannot say "its own instance" - the
        # tightest grant is the cluster's groups, by tag, in this account and region. node-bootstrap does
        # the rest: it names only its own instance id, read from IMDSv2 (tests/test_node_permissions.py).
        {"Sid": "ReportOwnInstanceUnhealthy", "Effect": "Allow", "Action": "autoscaling:SetInstanceHealth",
         "Resource": f"arn:{a.partition}:autoscaling:{a.region}:{a.account_id}:autoScalingGroup:*:"
                     "autoScalingGroupName/*",
         "Condition": tagged},
        # Reading the zone's records lets a re-run of the take-over step see its record is current and
        # write nothing (components/cluster/bootstrap/takeover.py).
        {"Sid": "ReadOwnZoneRecords", "Effect": "Allow", "Action": "route53:ListResourceRecordSets",
         "Resource": f"arn:{a.partition}:route53:::hostedzone/{a.hosted_zone_id}"},
        # The node collector's configuration (observability/collector.py): its document fetches it with
        # GetParameter, by name. A String parameter: no kms:Decrypt.
        *([{"Sid": "ReadCollectorConfig", "Effect": "Allow", "Action": "ssm:GetParameter",
            "Resource": sorted(a.parameter_arns)}] if a.parameter_arns else []),
        *a.extra_statements,
    )


def restart_document_names(name: str) -> dict[str, str]:
    """Purpose -> name of the stack's restart documents (components/operations/restart_documents.py creates them)."""
    return {"rolling": f"{name}-restart-rolling", "coordinated": f"{name}-restart-coordinated"}


def patch_document_name(name: str) -> str:
    """The stack's patch document: one node, refused while the cluster is degraded (operations/patching.py)."""
    return f"{name}-patch-node"


def session_document_name(name: str) -> str:
    """The stack's own Session Manager shell document: its logging and timeouts (operations/sessions.py)."""
    return f"{name}-session-shell"


def operator_trust(principals: list[str], max_mfa_age_seconds: int) -> dict:
    return _doc({
        "Sid": "ConfiguredPrincipalsWithMfa", "Effect": "Allow", "Principal": {"AWS": sorted(principals)},
        "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                      "NumericLessThan": {"aws:MultiFactorAuthAge": str(max_mfa_age_seconds)}}})


def operator_policy(*, partition: str, region: str, account_id: str, name: str, stack: str) -> dict:
    """Start Session Manager sessions on this stack's nodes (with its shell document), run its restart and patch
    documents there, and read its monitoring (AWS Systems Manager User Guide, "Sample IAM policies for Session
    Manager")."""
    arn = f"{partition}:{{service}}:{region}:{account_id}"
    ssm = f"arn:{partition}:ssm:{region}:{account_id}"
    logs = f"arn:{partition}:logs:{region}:{account_id}:log-group:/rustfs/{name}/*"
    documents = sorted(f"{ssm}:document/{n}" for n in [*restart_document_names(name).values(),
                                                         patch_document_name(name)])
    return _doc(
        # SessionDocumentAccessCheck: a session started without --document-name would use the account's default
        # SSM-SessionManagerRunShell, whose logging is the account owner's; with the key true, Session Manager
        # checks the caller may use that document too, and this policy does not grant it (Systems Manager User
        # Guide, "Quickstart end user policies for Session Manager").
        {"Sid": "StartSessionsOnStackNodes", "Effect": "Allow", "Action": "ssm:StartSession",
         "Resource": f"arn:{arn.format(service='ec2')}:instance/*",
         "Condition": {"StringEquals": {f"ssm:resourceTag/{STACK_TAG}": stack},
                       "BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}},
        # Only the stack's own shell document (operations/sessions.py: this stack's log group, key and timeouts).
        # It is the account's, so its ARN names the account; only AWS-owned documents (AWS-*) have none (Systems
        # Manager User Guide, "Sample IAM policies for Session Manager"; tests/iam_review.py checks every
        # document ARN's shape).
        {"Sid": "StartSessionsWithShellDocument", "Effect": "Allow", "Action": "ssm:StartSession",
         "Resource": f"{ssm}:document/{session_document_name(name)}"},
        # The session stream is encrypted with the logs key: the client (session-manager-plugin) asks KMS for the
        # data key itself, with the session and the target in the encryption context (aws/session-manager-plugin,
        # src/datachannel/streaming.go ProcessKMSEncryptionHandshakeAction, src/encryption/encrypter.go:
        # GenerateDataKey with aws:ssm:SessionId and aws:ssm:TargetId). The key's tags pick the stack's logs key
        # (security/keys.py tags each key with its stack and purpose).
        {"Sid": "EncryptSessionData", "Effect": "Allow", "Action": "kms:GenerateDataKey",
         "Resource": f"arn:{arn.format(service='kms')}:key/*",
         "Condition": {"StringEquals": {f"aws:ResourceTag/{STACK_TAG}": stack,
                                        "aws:ResourceTag/rustfs:key-purpose": "logs"},
                       "StringLike": {"kms:EncryptionContext:aws:ssm:TargetId": "i-*"}}},
        {"Sid": "ManageOwnSessions", "Effect": "Allow",
         "Action": ["ssm:ResumeSession", "ssm:TerminateSession"],
         "Resource": f"{ssm}:session/${{aws:userid}}-*"},
        # Describe/List/metric reads have no resource-level permission; scoped to the stack's region.
        {"Sid": "ReadInventoryAndMetrics", "Effect": "Allow",
         "Action": ["cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "cloudwatch:ListMetrics",
                    "ec2:DescribeInstances", "ssm:DescribeInstanceInformation", "ssm:DescribeSessions",
                    "ssm:GetConnectionStatus", "xray:BatchGetTraces", "xray:GetTraceSummaries"],
         "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": region}}},
        {"Sid": "ReadStackAlarmsAndDashboards", "Effect": "Allow",
         "Action": ["cloudwatch:DescribeAlarms", "cloudwatch:GetDashboard"],
         "Resource": [f"arn:{arn.format(service='cloudwatch')}:alarm:{name}-*",
                      f"arn:{partition}:cloudwatch::{account_id}:dashboard/{name}-*"]},
        {"Sid": "ReadStackLogs", "Effect": "Allow",
         "Action": ["logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents", "logs:StartQuery"],
         "Resource": logs},
        # Run Command authorizes SendCommand on the document and on every target instance (Service
        # Authorization Reference, ssm:SendCommand: document*, instance; ssm:resourceTag applies to both): only
        # the stack's restart and patch documents (operations/restart_documents.py, operations/patching.py, tagged
        # for the stack), only its nodes.
        {"Sid": "SendOperationsDocumentsToStackNodes", "Effect": "Allow", "Action": "ssm:SendCommand",
         "Resource": [*documents, f"arn:{arn.format(service='ec2')}:instance/*"],
         "Condition": {"StringEquals": {f"ssm:resourceTag/{STACK_TAG}": stack}}},
        {"Sid": "ReadOperationsDocuments", "Effect": "Allow", "Action": ["ssm:DescribeDocument", "ssm:GetDocument"],
         "Resource": documents},
        # Following and cancelling commands has no resource-level permission; scoped to the stack's region.
        {"Sid": "FollowAndCancelCommands", "Effect": "Allow",
         "Action": ["ssm:CancelCommand", "ssm:GetCommandInvocation", "ssm:ListCommandInvocations",
                    "ssm:ListCommands"],
         "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": region}}},
    )


def cross_account_trust(*, partition: str, account_id: str, external_id: str) -> dict:
    return _doc({
        "Sid": "PartnerAccountWithExternalId", "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": external_id}}})


def cross_account_policy(*, region: str) -> dict:
    """Read-only view for a DR/backup account: the stack's snapshots and health. Copying data out is the
    backup feature's job (snapshot sharing), not a standing permission."""
    return _doc({
        "Sid": "ReadSnapshotsAndHealth", "Effect": "Allow",
        "Action": ["cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData", "ec2:DescribeSnapshots",
                   "ec2:DescribeVolumes"],
        "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": region}}})


def log_delivery_policy(log_group_arn: str) -> dict:
    """CloudTrail → CloudWatch Logs: write streams of one log group (AWS CloudTrail User Guide,
    "Sending events to CloudWatch Logs": role policy)."""
    group = log_group_arn.removesuffix(":*")
    return _doc({"Sid": "WriteTrailLogStreams", "Effect": "Allow",
                 "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                 "Resource": f"{group}:log-stream:*"})
