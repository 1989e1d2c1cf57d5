"""KMS key policies per key purpose, as plain dicts (pure: ARNs in, document out).

Every service principal gets only the actions and conditions AWS documents for it; no statement has
``Principal: "*"`` without a condition that pins the caller to this account and one principal ARN.
"""

from __future__ import annotations

PURPOSES = ("data", "storage", "logs", "secrets", "messaging")
# Keys a stack creates only when a feature needs them: "sse", RustFS's own server-side encryption through its AWS KMS
# backend (integrations/sse.py), used by the storage nodes directly, not through an AWS service.
OPTIONAL_PURPOSES = ("sse",)

# The service each purpose's key is used through by IAM principals of the account (kms:ViaService).
VIA_SERVICE = {"data": "ec2", "storage": "s3", "logs": "logs", "secrets": "secretsmanager",
               "messaging": "sns"}

# Key administrator actions (AWS KMS Developer Guide, "Default key policy: Allows key administrators to
# administer the KMS key"). They exclude use of the key for cryptography.
ADMIN_ACTIONS = sorted([
    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
    "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
    "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
])
USAGE_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
GRANT_ACTIONS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]


def alias_name(stack: str, purpose: str) -> str:
    return f"alias/rustfs/{stack}/{purpose}"


def log_group_prefix(name: str) -> str:
    """Every log group of the stack is named under this prefix; the logs key only serves those."""
    return f"/rustfs/{name}/"


def autoscaling_service_role_arn(partition: str, account_id: str) -> str:
    return (f"arn:{partition}:iam::{account_id}:role/aws-service-role/autoscaling.amazonaws.com/"
            "AWSServiceRoleForAutoScaling")


def trail_name(name: str) -> str:
    return f"{name}-trail"


def trail_arn(partition: str, region: str, account_id: str, trail_name: str) -> str:
    return f"arn:{partition}:cloudtrail:{region}:{account_id}:trail/{trail_name}"


def key_policy(purpose: str, *, name: str, account_id: str, partition: str, region: str,
               key_admin_role_arn: str | None = None, trail_name: str | None = None,
               config_delivery: bool = False) -> dict:
    """The key policy of the ``purpose`` key of stack ``name`` (``StackConfig.name``)."""
    known = (*PURPOSES, *OPTIONAL_PURPOSES)
    if purpose not in known:
        raise ValueError(f"unknown key purpose {purpose!r}; expected one of {', '.join(known)}")
    root = f"arn:{partition}:iam::{account_id}:root"
    if purpose == "sse":
        return {"Version": "2012-10-17", "Statement": _sse(root, partition, account_id, name, key_admin_role_arn)}
    statements = administration(root, account_id, [f"{VIA_SERVICE[purpose]}.{region}.amazonaws.com"],
                                key_admin_role_arn)
    if purpose == "data":
        statements += _autoscaling(partition, account_id)
    elif purpose == "storage":
        statements += _log_delivery(partition, region, account_id)
        if trail_name:
            statements += _cloudtrail(partition, region, account_id, trail_name)
        if config_delivery:
            statements.append(_service_statement(
                "ConfigDeliversToAuditBucket", "config.amazonaws.com", ["kms:Decrypt", "kms:GenerateDataKey"],
                {"StringEquals": {"aws:SourceAccount": account_id}}))
    elif purpose == "logs":
        statements.append(_logs(partition, region, account_id, name))
        if key_admin_role_arn:
            statements.append(_session_data(root, account_id))
    elif purpose == "messaging":
        statements += _publishers(partition, region, account_id)
        if trail_name:
            # CloudTrail publishes log-delivery notifications to the encrypted trail topic (CloudTrail User
            # Guide, "Configuring Amazon SNS notifications"; SNS Developer Guide, KMS permissions for services).
            statements.append(_service_statement(
                "CloudTrailPublishes", "cloudtrail.amazonaws.com", ["kms:Decrypt", "kms:GenerateDataKey*"],
                {"StringEquals": {"aws:SourceAccount": account_id,
                                  "aws:SourceArn": trail_arn(partition, region, account_id, trail_name)}}))
    return {"Version": "2012-10-17", "Statement": statements}


def administration(root: str, account_id: str, via_services: list[str], admin_role: str | None) -> list:
    """Who administers a key and how the account's principals use it: AWS's default statement without a key-admin
    role; with one, the role administers and the account uses the key only through ``via_services`` (their
    regional endpoints, ``<service>.<region>.amazonaws.com``; any of them)."""
    if admin_role is None:
        # AWS's default key policy: the account administers the key, and IAM policies decide who uses it.
        return [{"Sid": "AccountAdministersKeyThroughIam", "Effect": "Allow", "Principal": {"AWS": root},
                 "Action": "kms:*", "Resource": "*"}]
    # A dedicated key-admin role administers; the account's IAM principals may only use the key through
    # the one service it exists for. Deployments must then run as the key-admin role (the KMS lockout
    # safety check refuses a policy the caller could not change again).
    via = {"StringEquals": {"kms:CallerAccount": account_id,
                            "kms:ViaService": via_services[0] if len(via_services) == 1 else sorted(via_services)}}
    return [
        {"Sid": "KeyAdministratorRole", "Effect": "Allow", "Principal": {"AWS": admin_role},
         "Action": ADMIN_ACTIONS, "Resource": "*"},
        {"Sid": "AccountUsesKeyThroughService", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": USAGE_ACTIONS, "Resource": "*", "Condition": via},
        {"Sid": "AccountGrantsToAwsResources", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": GRANT_ACTIONS, "Resource": "*",
         "Condition": {**via, "Bool": {"kms:GrantIsForAWSResource": "true"}}},
    ]


def node_role_arn(partition: str, account_id: str, name: str) -> str:
    """The storage nodes' role (security/iam.py names it ``<name>-node``)."""
    return f"arn:{partition}:iam::{account_id}:role/{name}-node"


def _sse(root: str, partition: str, account_id: str, name: str, admin_role: str | None) -> list:
    # RustFS's AWS KMS backend calls KMS itself with the node role's credentials (crates/kms/src/backends/aws.rs, the
    # aws-config chain: the instance profile), so there is no service to pin with kms:ViaService. Without a key-admin
    # role the account administers the key and the node policy grants its use (integrations/documents.py
    # sse_node_statements); with one, the key admits exactly the node role for exactly those calls. Principal root
    # pinned by aws:PrincipalArn: a role named in Principal must exist when the policy is written, and the node role
    # is created after the keys.
    if admin_role is None:
        return [{"Sid": "AccountAdministersKeyThroughIam", "Effect": "Allow", "Principal": {"AWS": root},
                 "Action": "kms:*", "Resource": "*"}]
    return [
        {"Sid": "KeyAdministratorRole", "Effect": "Allow", "Principal": {"AWS": admin_role},
         "Action": ADMIN_ACTIONS, "Resource": "*"},
        {"Sid": "StorageNodesUseKeyForSse", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalArn": node_role_arn(partition, account_id, name),
                                        "kms:CallerAccount": account_id}}},
    ]


def _autoscaling(partition: str, account_id: str) -> list:
    # EC2 Auto Scaling launches instances with CMK-encrypted volumes through its service-linked role
    # (Amazon EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted volumes").
    # Principal "*" pinned by aws:PrincipalArn, because a named principal must already exist when the key
    # policy is written and the role only appears with the account's first Auto Scaling group.
    pinned = {"StringEquals": {"aws:PrincipalArn": autoscaling_service_role_arn(partition, account_id),
                               "aws:PrincipalAccount": account_id}}
    return [
        {"Sid": "AutoScalingUsesKeyForVolumes", "Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": USAGE_ACTIONS, "Resource": "*", "Condition": pinned},
        {"Sid": "AutoScalingGrantsForVolumes", "Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": "kms:CreateGrant", "Resource": "*",
         "Condition": {**pinned, "Bool": {"kms:GrantIsForAWSResource": "true"}}},
    ]


def _log_delivery(partition: str, region: str, account_id: str) -> list:
    return [
        # S3 server access logs into an SSE-KMS bucket (Amazon S3 User Guide, "Enabling Amazon S3 server
        # access logging": the key policy must let logging.s3.amazonaws.com generate data keys).
        _service_statement("S3ServerAccessLogDelivery", "logging.s3.amazonaws.com", ["kms:GenerateDataKey"],
                           {"StringEquals": {"aws:SourceAccount": account_id}}),
        # NLB access logs and CloudFront standard logs (v2) are vended logs written by
        # delivery.logs.amazonaws.com (ELB User Guide, "Access logs for your Network Load Balancer":
        # customer managed key policy).
        _service_statement("VendedLogDelivery", "delivery.logs.amazonaws.com",
                           ["kms:Decrypt", "kms:GenerateDataKey*"],
                           {"StringEquals": {"aws:SourceAccount": account_id},
                            "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{region}:{account_id}:*"}}),
    ]


def _cloudtrail(partition: str, region: str, account_id: str, trail_name: str) -> list:
    # AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail".
    source = {"StringEquals": {"aws:SourceArn": trail_arn(partition, region, account_id, trail_name)}}
    trails = f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"
    return [
        _service_statement(
            "CloudTrailEncryptsLogs", "cloudtrail.amazonaws.com", ["kms:GenerateDataKey*"],
            {**source, "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trails}}),
        _service_statement("CloudTrailDescribesKey", "cloudtrail.amazonaws.com", ["kms:DescribeKey"], source),
        # "If you are using an existing S3 bucket with an S3 Bucket Key, kms:Decrypt permissions are required
        # to create or update a trail with SSE-KMS encryption enabled" (same guide, "Granting decrypt
        # permissions": "Allow CloudTrail to decrypt a trail"). The audit bucket uses a Bucket Key with this
        # key, so without it CreateTrail fails, with or without security.keyAdminRoleArn: a service principal
        # is never covered by the account's IAM statement.
        _service_statement("CloudTrailDecryptsWithBucketKey", "cloudtrail.amazonaws.com", ["kms:Decrypt"], source),
    ]


def _logs(partition: str, region: str, account_id: str, name: str) -> dict:
    # Amazon CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS": the service
    # principal is regional and the encryption context names the log group. The guide's example also lists
    # kms:Describe*, but DescribeKey carries no encryption context, so under this condition it never
    # matched; it is left out. StringLike: the context value is a string (same match as ArnLike here).
    groups = f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group_prefix(name)}*"
    return _service_statement(
        "CloudWatchLogsEncryptsStackLogGroups", f"logs.{region}.amazonaws.com",
        ["kms:Decrypt*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        {"StringLike": {"kms:EncryptionContext:aws:logs:arn": groups}})


def _session_data(root: str, account_id: str) -> dict:
    # Session Manager's session encryption (operations/sessions.py, kmsKeyId): the client calls GenerateDataKey and
    # SSM Agent Decrypt directly, not through a service, with the session and the instance in the encryption
    # context (aws/session-manager-plugin src/encryption/encrypter.go; amazon-ssm-agent
    # agent/session/crypto/blockcipher.go). Without a key-admin role the account statement covers it and IAM
    # decides (the operator and node policies); with one, the account may use the key for exactly this.
    return {"Sid": "AccountEncryptsSessionManagerData", "Effect": "Allow", "Principal": {"AWS": root},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": account_id},
                          "StringLike": {"kms:EncryptionContext:aws:ssm:TargetId": "i-*"},
                          "Null": {"kms:EncryptionContext:aws:ssm:SessionId": "false"}}}


def _publishers(partition: str, region: str, account_id: str) -> list:
    # CloudWatch alarms publishing to an encrypted SNS topic (Amazon SNS Developer Guide, "Configure
    # AWS KMS permissions for AWS services"), and AWS Budgets notifications (AWS Budgets User Guide).
    alarms = f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:*"
    return [
        _service_statement("CloudWatchAlarmsPublish", "cloudwatch.amazonaws.com",
                           ["kms:Decrypt", "kms:GenerateDataKey*"],
                           {"StringEquals": {"aws:SourceAccount": account_id},
                            "ArnLike": {"aws:SourceArn": alarms}}),
        _service_statement("BudgetsPublish", "budgets.amazonaws.com", ["kms:Decrypt", "kms:GenerateDataKey*"],
                           {"StringEquals": {"aws:SourceAccount": account_id},
                            "ArnLike": {"aws:SourceArn": f"arn:{partition}:budgets::{account_id}:*"}}),
    ]


def _service_statement(sid: str, service: str, actions: list[str], condition: dict) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Principal": {"Service": service}, "Action": actions,
            "Resource": "*", "Condition": condition}
