"""S3 bucket policies as plain dicts: a TLS-only deny plus exactly the service grants each bucket needs.

Every service grant carries aws:SourceAccount and, where the service sends it, aws:SourceArn, so no
other account's trail, recorder or load balancer can write here (the confused-deputy guard).
"""

from __future__ import annotations

TRAIL_PREFIX = "cloudtrail"
CONFIG_PREFIX = "config"
S3_ACCESS_LOG_PREFIX = "s3-access/"
OWNER_FULL_CONTROL = {"s3:x-amz-acl": "bucket-owner-full-control"}


def tls_only(bucket_arn: str) -> dict:
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def _grant(sid: str, service: str, action: str, resource: str, condition: dict) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Principal": {"Service": service}, "Action": action,
            "Resource": resource, "Condition": condition}


def logs_bucket_policy(*, bucket_arn: str, partition: str, account_id: str, name: str) -> dict:
    """S3 server access logs of the stack's buckets; NLB access logs and CloudFront standard logs (v2),
    both written by the log delivery service. CloudFront's legacy logging needs object ACLs, which
    BucketOwnerEnforced disables: use CloudFront standard logging v2 to this bucket instead."""
    account = {"aws:SourceAccount": account_id}
    delivery_source = {"ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:*:{account_id}:*"}}
    return {"Version": "2012-10-17", "Statement": [
        tls_only(bucket_arn),
        # Amazon S3 User Guide, "Enabling Amazon S3 server access logging": bucket policy for
        # logging.s3.amazonaws.com, source buckets pinned by aws:SourceArn.
        _grant("S3ServerAccessLogs", "logging.s3.amazonaws.com", "s3:PutObject",
               f"{bucket_arn}/{S3_ACCESS_LOG_PREFIX}*",
               {"StringEquals": account, "ArnLike": {"aws:SourceArn": f"arn:{partition}:s3:::{name}-*"}}),
        # ELB User Guide, "Access logs for your Network Load Balancer": bucket policy.
        _grant("LogDeliveryWrite", "delivery.logs.amazonaws.com", "s3:PutObject",
               f"{bucket_arn}/*/AWSLogs/{account_id}/*",
               {"StringEquals": {**account, **OWNER_FULL_CONTROL}, **delivery_source}),
        _grant("LogDeliveryAclCheck", "delivery.logs.amazonaws.com", "s3:GetBucketAcl", bucket_arn,
               {"StringEquals": account, **delivery_source}),
    ]}


def audit_bucket_policy(*, bucket_arn: str, partition: str, region: str, account_id: str,
                        trail_name: str | None, config_delivery: bool) -> dict:
    statements = [tls_only(bucket_arn)]
    if trail_name:
        # AWS CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail".
        trail = {"aws:SourceArn": f"arn:{partition}:cloudtrail:{region}:{account_id}:trail/{trail_name}"}
        statements += [
            _grant("CloudTrailAclCheck", "cloudtrail.amazonaws.com", "s3:GetBucketAcl", bucket_arn,
                   {"StringEquals": trail}),
            _grant("CloudTrailWrite", "cloudtrail.amazonaws.com", "s3:PutObject",
                   f"{bucket_arn}/{TRAIL_PREFIX}/AWSLogs/{account_id}/*",
                   {"StringEquals": {**trail, **OWNER_FULL_CONTROL}}),
        ]
    if config_delivery:
        # AWS Config Developer Guide, "Permissions for the Amazon S3 bucket for the delivery channel".
        account = {"aws:SourceAccount": account_id}
        statements += [
            _grant("ConfigAclCheck", "config.amazonaws.com", "s3:GetBucketAcl", bucket_arn,
                   {"StringEquals": account}),
            _grant("ConfigExistenceCheck", "config.amazonaws.com", "s3:ListBucket", bucket_arn,
                   {"StringEquals": account}),
            _grant("ConfigWrite", "config.amazonaws.com", "s3:PutObject",
                   f"{bucket_arn}/{CONFIG_PREFIX}/AWSLogs/{account_id}/Config/*",
                   {"StringEquals": {**account, **OWNER_FULL_CONTROL}}),
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def trail_topic_policy(topic_arn: str, account_id: str, trail_arn: str) -> dict:
    """Only this stack's trail may publish its log-delivery notifications to the topic."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "CloudTrailPublishes", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "SNS:Publish", "Resource": topic_arn,
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id, "aws:SourceArn": trail_arn}}}]}
