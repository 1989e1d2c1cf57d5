"""The policy documents of the DataSync migration, as plain dicts (pure: ARNs in, document out).

- The roles DataSync assumes to reach an S3 bucket (``datasync_trust``): the confused-deputy conditions DataSync
  documents for an S3 location whose ARN is not known yet, ``aws:SourceAccount`` and ``aws:SourceArn``
  ``arn:<partition>:datasync:<region>:<account>:*`` ("Cross-service confused deputy prevention", DataSync User
  Guide).
- What a role may do on its bucket: exactly the actions "Configuring AWS DataSync transfers with Amazon S3"
  lists (Required permissions, source location and destination location), on the one bucket and the one prefix;
  with SSE-KMS, ``kms:Decrypt`` / ``kms:GenerateDataKey`` through S3 on the bucket's key ("Accessing S3 buckets
  using server-side encryption").
- The CloudWatch Logs resource policy DataSync needs to write a task's log streams ("Monitoring AWS DataSync with
  Amazon CloudWatch": ``logs:PutLogEvents`` and ``logs:CreateLogStream`` for ``datasync.amazonaws.com`` with
  ``aws:SourceArn`` ``arn:aws:datasync:<region>:<account>:task/*`` and ``aws:SourceAccount``), narrowed here to the
  stack's one DataSync log group.
- The RustFS policy of the migration's service account: the S3 API operations DataSync calls on self-managed
  object storage (create-object-location.md, Prerequisites: AbortMultipartUpload, CompleteMultipartUpload,
  CopyObject, CreateMultipartUpload, DeleteObject(s), DeleteObjectTagging, GetBucketLocation, GetObject,
  GetObjectTagging, HeadBucket, HeadObject, ListObjectsV2, PutObject, PutObjectTagging, UploadPart), as the IAM
  actions that authorise them, on the destination buckets only. RustFS evaluates AWS-style policy documents
  (``crates/policy``); the reconciler or an administrator attaches it when creating the account.
"""

from __future__ import annotations

SOURCE_BUCKET_ACTIONS = sorted(["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"])
SOURCE_OBJECT_ACTIONS = sorted(["s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion",
                                "s3:GetObjectVersionTagging", "s3:ListMultipartUploadParts"])
DESTINATION_OBJECT_ACTIONS = sorted({*SOURCE_OBJECT_ACTIONS, "s3:AbortMultipartUpload", "s3:DeleteObject",
                                     "s3:PutObject", "s3:PutObjectTagging"})
# S3 API operation -> the IAM action that authorises it (S3 User Guide, "Required permissions for Amazon S3 API
# operations"): multipart upload parts, CopyObject's destination and CompleteMultipartUpload are s3:PutObject,
# HeadBucket and ListObjectsV2 s3:ListBucket, HeadObject s3:GetObject, DeleteObjects s3:DeleteObject.
RUSTFS_BUCKET_ACTIONS = sorted(["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"])
RUSTFS_OBJECT_ACTIONS = sorted(["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:DeleteObjectTagging",
                                "s3:GetObject", "s3:GetObjectTagging", "s3:ListMultipartUploadParts",
                                "s3:PutObject", "s3:PutObjectTagging"])


def _doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _objects(bucket_arn: str, prefix: str) -> str:
    return f"{bucket_arn}/{prefix}*"


def _kms_via_s3(sid: str, actions: list[str], key_arn: str, region: str) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}}


def source_read_policy(*, bucket_arn: str, prefix: str, region: str, kms_key_arn: str | None = None) -> dict:
    """A source bucket, read-only: DataSync lists it and reads the objects under ``prefix``."""
    statements = [
        {"Sid": "ListSourceBucket", "Effect": "Allow", "Action": SOURCE_BUCKET_ACTIONS, "Resource": bucket_arn},
        {"Sid": "ReadSourceObjects", "Effect": "Allow", "Action": SOURCE_OBJECT_ACTIONS,
         "Resource": _objects(bucket_arn, prefix)},
    ]
    if kms_key_arn:
        statements.append(_kms_via_s3("DecryptSourceObjects", ["kms:Decrypt"], kms_key_arn, region))
    return _doc(*statements)


def staging_policy(*, bucket_arn: str, prefix: str, region: str, storage_key_arn: str) -> dict:
    """The staging prefix of one source: DataSync writes it (source to staging) and reads it (staging to RustFS)."""
    return _doc(
        {"Sid": "ListStagingBucket", "Effect": "Allow", "Action": SOURCE_BUCKET_ACTIONS, "Resource": bucket_arn},
        {"Sid": "StageSourceObjects", "Effect": "Allow", "Action": DESTINATION_OBJECT_ACTIONS,
         "Resource": _objects(bucket_arn, prefix)},
        _kms_via_s3("EncryptStagedObjects", ["kms:Decrypt", "kms:GenerateDataKey"], storage_key_arn, region),
    )


def report_policy(*, bucket_arn: str, prefix: str, region: str, storage_key_arn: str) -> dict:
    """Task reports: DataSync uploads them under ``prefix``. Only the upload (s3:PutObject, and the bucket key's data
    key) is granted; the task-report page was not in the stored documentation, so if DataSync needs more the
    failure shows in the task's log rather than as a silent over-grant."""
    return _doc(
        {"Sid": "WriteTaskReports", "Effect": "Allow", "Action": ["s3:PutObject"],
         "Resource": _objects(bucket_arn, prefix)},
        _kms_via_s3("EncryptTaskReports", ["kms:GenerateDataKey"], storage_key_arn, region),
    )


def log_resource_policy(*, log_group_arn: str, partition: str, region: str, account_id: str) -> dict:
    """DataSync tasks of this account and Region may write streams of the one DataSync log group."""
    group = log_group_arn.removesuffix(":*")
    return _doc({
        "Sid": "DataSyncTasksWriteTheirLogGroup", "Effect": "Allow",
        "Principal": {"Service": "datasync.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"{group}:*",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:{partition}:datasync:{region}:{account_id}:task/*"},
                      "StringEquals": {"aws:SourceAccount": account_id}},
    })


def rustfs_service_account_policy(buckets: list[str]) -> dict:
    """The RustFS policy of the DataSync service account: DataSync's S3 calls, on the destination buckets only."""
    names = sorted(set(buckets))
    return _doc(
        {"Sid": "ListDestinationBuckets", "Effect": "Allow", "Action": RUSTFS_BUCKET_ACTIONS,
         "Resource": [f"arn:aws:s3:::{b}" for b in names]},
        {"Sid": "WriteDestinationObjects", "Effect": "Allow", "Action": RUSTFS_OBJECT_ACTIONS,
         "Resource": [f"arn:aws:s3:::{b}/*" for b in names]},
    )
