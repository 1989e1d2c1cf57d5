"""Which confused-deputy condition keys an AWS service sends when it assumes a role (sts:AssumeRole).

A role trust condition on a key the request does not carry never matches: ``StringEquals`` / ``ArnLike`` on
a missing key is false (IAM User Guide, "IAM JSON policy elements: Condition operators": only ``...IfExists``
operators and ``Null`` match an absent key), so the service's AssumeRole is denied. For CloudTrail that fails
CreateTrail ("InvalidCloudWatchLogsRoleArnException: Access denied. Check the trust relationships for your
role"); for DLM the lifecycle policy silently takes no snapshots. Adding a condition "for safety" is
therefore only safe for the keys the service documents.

Each entry: the keys the service sends on AssumeRole of a role it is given, and the AWS page that says so.
A service missing here is unknown: tests refuse a trust for it until its documented keys are added.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE_ACCOUNT = "aws:SourceAccount"
SOURCE_ARN = "aws:SourceArn"
CONFUSED_DEPUTY_KEYS = frozenset({SOURCE_ACCOUNT, SOURCE_ARN, "aws:SourceOrgID", "aws:SourceOrgPaths"})


@dataclass(frozen=True)
class ServiceContext:
    keys: frozenset[str]
    source: str  # the documentation page that states it


ASSUME_ROLE_CONTEXT: dict[str, ServiceContext] = {
    # "We recommend that you use the aws:SourceAccount and aws:SourceArn condition keys ... The
    # aws:SourceAccount is the owner of the lifecycle policy and the aws:SourceArn is the ARN of the lifecycle
    # policy."
    "dlm.amazonaws.com": ServiceContext(
        frozenset({SOURCE_ACCOUNT, SOURCE_ARN}),
        "https://docs.aws.amazon.com/ebs/latest/userguide/service-role.html#custom-role"),
    # The role CloudTrail assumes to write a trail to CloudWatch Logs: "Confused deputy prevention is not
    # applicable to the role policy for CloudWatch Logs monitoring. The role policy doesn't support the use of
    # aws:SourceArn and aws:SourceAccount."
    "cloudtrail.amazonaws.com": ServiceContext(
        frozenset(),
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html"),
    # "You can use the AWS:SourceAccount condition in the IAM Role Trust relationship ... AWS Config also
    # supports the AWS:SourceArn condition".
    "config.amazonaws.com": ServiceContext(
        frozenset({SOURCE_ACCOUNT, SOURCE_ARN}),
        "https://docs.aws.amazon.com/config/latest/developerguide/iamrole-permissions.html#iam-trust-policy"),
    # "The source account is the owner of the flow log and the source ARN is the flow log ARN."
    "vpc-flow-logs.amazonaws.com": ServiceContext(
        frozenset({SOURCE_ACCOUNT, SOURCE_ARN}),
        "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html"),
    # "The value of aws:SourceArn must include the DataSync location ARN with which DataSync is allowed to assume the
    # IAM role ... When creating an Amazon S3 location for DataSync, you don't know the location's ARN. In these
    # scenarios, use the following format for the aws:SourceArn key: arn:aws:datasync:us-east-2:123456789012:*"
    # (with aws:SourceAccount in the same example).
    "datasync.amazonaws.com": ServiceContext(
        frozenset({SOURCE_ACCOUNT, SOURCE_ARN}),
        "https://docs.aws.amazon.com/datasync/latest/userguide/cross-service-confused-deputy-prevention.html"),
    # A maintenance window task's service role (operations/patching.py): the maintenance-window guide's trust
    # policy has no source condition, and no page documents which keys Systems Manager sends when it assumes it.
    "ssm.amazonaws.com": ServiceContext(
        frozenset(),
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/configuring-maintenance-window-permissions-cli.html"),
    # The role CloudFront assumes to put real-time log records into a Kinesis stream (components/edge/): the real-time
    # logs guide's trust policy names the service principal only, and no page documents source keys on it.
    "cloudfront.amazonaws.com": ServiceContext(
        frozenset(),
        "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html"),
    # An instance profile's role is assumed by EC2 for the instance; the documented trust carries no
    # condition and EC2 sends no source keys (there is no source resource besides the instance itself).
    "ec2.amazonaws.com": ServiceContext(
        frozenset(),
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html"),
}


def unsent_keys(service: str, condition_keys: set[str]) -> set[str] | None:
    """Confused-deputy keys a trust for ``service`` conditions on that the service never sends; None when the
    service is not in the table (unknown)."""
    context = ASSUME_ROLE_CONTEXT.get(service)
    if context is None:
        return None
    sent = {k.lower() for k in context.keys}  # condition key names are case-insensitive
    deputy = {k.lower() for k in CONFUSED_DEPUTY_KEYS}
    return {k for k in condition_keys if k.lower() in deputy and k.lower() not in sent}


def trust_condition_keys(statement: dict) -> set[str]:
    """Condition keys a statement requires to be present (``...IfExists`` and ``Null`` tolerate absence)."""
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return set()
    keys: set[str] = set()
    for operator, block in condition.items():
        if not isinstance(block, dict) or operator.endswith("IfExists") or operator == "Null":
            continue
        keys.update(k for k in block if isinstance(k, str))
    return keys
