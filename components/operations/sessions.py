"""Session Manager as the only shell on the nodes: the stack's session document, its encrypted logging, and
(for the one stack that owns the account's resources) the account's Session Manager preferences.

No SSH anywhere: the launch templates name no key pair and the node security group opens no port 22
(cluster/storage_nodes.py; the policy pack refuses both, policies/rustfs_guardrails/operations.py). A shell is
``aws ssm start-session --target <instance> --document-name <name>-session-shell``.

The stack's document, ``<name>-session-shell`` (type Session, ``Standard_Stream``; Systems Manager User Guide,
"Session document schema"):
- every session is streamed to the log group ``/rustfs/<name>/sessions`` (``cloudWatchStreamingEnabled``),
  which the logs key encrypts (its key policy serves every group under ``/rustfs/<name>/``, key_policies._logs);
  ``cloudWatchEncryptionEnabled``: the group "must be encrypted" (same schema page);
- with ``operations.sessions.s3Logging`` the transcript is also uploaded, when the session ends, to the logs
  bucket under ``session-manager/<name>/`` (``s3EncryptionEnabled``: the bucket's SSE-KMS default encryption is
  required, and the audit component sets it);
- the session stream itself is encrypted with the logs key (``kmsKeyId``): the client asks KMS for a data key
  and SSM Agent decrypts it, both with the session and the instance in the encryption context
  (aws/session-manager-plugin src/encryption/encrypter.go; SSM Agent agent/session/crypto/blockcipher.go);
- ``idleSessionTimeout`` and ``maxSessionDuration`` from ``operations.sessions``;
- Run As: off by default, so sessions run as ``ssm-user``, which SSM Agent creates with sudo rights. With
  ``operations.sessions.runAsUser`` sessions run as that Linux user instead, which must exist on every node
  (a baked AMI, ``images.enabled``): a missing user makes every session fail, so it is never the default.

The operator role may start sessions with this document only (iam_documents.operator_policy, with
``ssm:SessionDocumentAccessCheck``): the account's default document would log wherever the account owner chose.

The account's preferences. ``SSM-SessionManagerRunShell`` is the document Session Manager uses when a session
names none (the console, ``start-session`` without ``--document-name``); there is one per account and Region,
and Session Manager creates it the first time someone saves preferences in the console (Systems Manager User
Guide, "Start a default shell session by specifying the default session document in IAM policies"). Only the
stack with ``account.ownsAccountResources`` declares it (``operations.sessions.accountPreferences: create``),
with its own logging, so that a console session on any instance of the account is logged and encrypted too;
CreateDocument fails with DocumentAlreadyExists for a second stack, or where someone already saved preferences
(then set ``existing``, or delete the document first). preflight's fake account refuses a second owner.

Rejected: every stack writing SSM-SessionManagerRunShell (the second stack fails, or, after an import, the last
``up`` wins and the others' sessions log into its group, which their node roles may not write). Rejected: no
session encryption beyond TLS: the logs key costs nothing more and checkov CKV_AWS_112 asks for ``kmsKeyId``.
"""

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.security.iam_documents import session_document_name
from rustfs_aws.tagging import resource_tags

ACCOUNT_DOCUMENT = "SSM-SessionManagerRunShell"
S3_PREFIX = "session-manager/"


def s3_key_prefix(name: str) -> str:
    return f"{S3_PREFIX}{name}/"


def session_document(*, name: str, log_group_name: str, kms_key_id: str, idle_timeout_minutes: int,
                     max_duration_minutes: int, run_as_user: str | None, s3_bucket_name: str | None) -> dict:
    """The Session document's content (schema 1.0, Standard_Stream)."""
    return {
        "schemaVersion": "1.0",
        "description": f"RustFS stack {name}: shell sessions logged to {log_group_name}, encrypted with its logs key",
        "sessionType": "Standard_Stream",
        "inputs": {
            "s3BucketName": s3_bucket_name or "",
            "s3KeyPrefix": s3_key_prefix(name) if s3_bucket_name else "",
            "s3EncryptionEnabled": True,
            "cloudWatchLogGroupName": log_group_name,
            "cloudWatchEncryptionEnabled": True,
            "cloudWatchStreamingEnabled": True,
            "kmsKeyId": kms_key_id,
            "runAsEnabled": run_as_user is not None,
            "runAsDefaultUser": run_as_user or "",
            "idleSessionTimeout": str(idle_timeout_minutes),
            "maxSessionDuration": str(max_duration_minutes),
            "shellProfile": {"linux": "", "windows": ""},
        },
    }


def session_node_statements(*, region: str, logs_key_arn: str, s3_bucket_arn: str | None,
                            storage_key_arn: str | None, name: str) -> list[dict]:
    """What SSM Agent does with the node role for a session (Systems Manager User Guide, "Create a custom IAM role
    for Session Manager"), beyond AmazonSSMManagedInstanceCore and the log-stream writes every group of the
    stack gets (iam_documents.node_policy WriteOwnLogGroups)."""
    statements = [
        # SSM Agent checks the session log group exists and is encrypted before it streams. DescribeLogGroups
        # has no resource-level permission (it lists; it reads no events): scoped to the stack's region.
        {"Sid": "FindSessionLogGroup", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": region}}},
        # The session's data key: SSM Agent decrypts what the client generated, with the session's context.
        {"Sid": "DecryptSessionData", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": logs_key_arn,
         "Condition": {"StringLike": {"kms:EncryptionContext:aws:ssm:TargetId": "i-*"}}},
    ]
    if s3_bucket_arn:
        statements += [
            {"Sid": "UploadSessionTranscripts", "Effect": "Allow", "Action": "s3:PutObject",
             "Resource": f"{s3_bucket_arn}/{s3_key_prefix(name)}*"},
            # With s3EncryptionEnabled SSM Agent reads the bucket's default encryption before it uploads.
            {"Sid": "CheckSessionBucketEncryption", "Effect": "Allow", "Action": "s3:GetEncryptionConfiguration",
             "Resource": s3_bucket_arn},
            # SSE-KMS: S3 generates the object's data key with the uploader's permissions.
            {"Sid": "EncryptSessionTranscripts", "Effect": "Allow", "Action": "kms:GenerateDataKey",
             "Resource": storage_key_arn,
             "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}},
        ]
    return statements


@dataclass
class SessionsArgs:
    """Inputs of ``SessionAccess``."""

    name: str
    """The deployment's name (``rustfs-dev``): names the session document and its log group."""
    stack: str
    """The stack's short name (``dev``): the ``rustfs:stack`` tag."""
    log_group_prefix: str
    """Prefix of the log group's name (``Keys``' ``logGroupPrefix``): the logs key serves only groups under it."""
    logs_key_arn: pulumi.Input[str]
    """ARN of the logs key: encrypts the log group and the session stream (``kmsKeyId``)."""
    log_retention_days: int | None = 365
    """Days CloudWatch Logs keeps the session logs."""
    idle_timeout_minutes: int | None = 20
    """Minutes of inactivity after which Session Manager ends a session (1-60)."""
    max_duration_minutes: int | None = 60
    """Minutes after which Session Manager ends any session (1-1,440)."""
    run_as_user: str | None = None
    """Linux user the sessions run as (it must exist on every node); unset: ``ssm-user``."""
    s3_bucket_name: pulumi.Input[str] | None = None
    """Bucket that also receives each session's transcript (the logs bucket); unset: CloudWatch Logs only."""
    account_preferences: bool | None = False
    """Also declare the account's ``SSM-SessionManagerRunShell`` with the same settings (the account owner only)."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on every resource, next to each one's ``Name``."""


class SessionAccess(pulumi.ComponentResource):
    """Session Manager for the stack's nodes: its session document with encrypted logging to CloudWatch Logs (and
    S3), and, for the account owner, the account's default session preferences."""

    document_name: str
    """The session document to start shells with: ``--document-name``."""
    log_group_name: str
    """Log group of the session transcripts."""
    log_group_arn: pulumi.Output[str]
    """ARN of that log group: the node role writes there."""

    def __init__(self, name: str, args: SessionsArgs, opts: pulumi.ResourceOptions | None = None):
        a = component_args(SessionsArgs, args)
        super().__init__("rustfs:operations:SessionAccess", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.log_group_name = f"{a.log_group_prefix}sessions"
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=self.log_group_name, retention_in_days=a.log_retention_days,
            kms_key_id=a.logs_key_arn, tags=resource_tags(a.tags, f"{a.name}-session-logs", a.stack), opts=child)
        content = pulumi.Output.all(a.logs_key_arn, a.s3_bucket_name).apply(lambda v: json.dumps(session_document(
            name=a.name, log_group_name=self.log_group_name, kms_key_id=v[0],
            idle_timeout_minutes=a.idle_timeout_minutes, max_duration_minutes=a.max_duration_minutes,
            run_as_user=a.run_as_user, s3_bucket_name=v[1]), indent=2))
        self.document_name = session_document_name(a.name)
        names = [self.document_name, *([ACCOUNT_DOCUMENT] if a.account_preferences else [])]
        for document_name in names:
            # Session Manager checks the log group when a session starts: it must exist first.
            aws.ssm.Document(
                f"{name}-{'account-preferences' if document_name == ACCOUNT_DOCUMENT else 'shell'}",
                name=document_name, document_type="Session", document_format="JSON", content=content,
                tags=resource_tags(a.tags, document_name, a.stack),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[logs]))
        self.log_group_arn = logs.arn
        self.register_outputs({"documentName": self.document_name, "logGroupName": self.log_group_name,
                               "accountPreferences": a.account_preferences})

