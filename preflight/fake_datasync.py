"""The fake AWS's DataSync: agents, locations, tasks, and the CloudWatch Logs resource policy a task's logging needs,
with the checks the real APIs make (the limits are in rustfs_model/datasync.py, with their sources).

- CreateAgent: an activation key of five groups of five (preflight's secret placeholder stands for one it cannot
  decrypt), exactly one subnet and one security group ARN with a VPC endpoint, a ``vpce-`` endpoint id.
- CreateLocation*: hostnames (at most 255 characters of DNS labels or an address), ports, bucket names, 1-8 agents,
  subdirectories; an object-storage location's keys of 8-200 characters (the provider's validation), a server
  certificate only over HTTPS and at most 32,768 bytes; an S3 location needs its bucket-access role.
- CreateTask: the pair of locations DataSync supports. Basic mode copies between self-managed storage (NFS, SMB,
  HDFS, object storage) and an AWS storage service, never between two self-managed systems ("Transferring to or
  from on-premises storage with AWS DataSync"); Enhanced mode only between S3 locations or from another cloud to S3
  ("Choosing a task mode"). A log level other than OFF needs a log group; BytesPerSecond -1 or more; the schedule's
  EventBridge syntax and DataSync's one-hour minimum; 100 tasks per account and Region.
- PutResourcePolicy (CloudWatch Logs): a policy document of 1-51,200 characters (the API model); at most 10
  resource policies per account and Region ("CloudWatch Logs quotas": "Up to 10 CloudWatch Logs resource policies
  per Region per account. This quota can't be changed").
"""

from __future__ import annotations

import hashlib
import re

from rustfs_model.datasync import (
    ACTIVATION_KEY,
    LOG_LEVELS,
    MAX_AGENTS_PER_LOCATION,
    MAX_SERVER_CERTIFICATE_BYTES,
    MAX_TASKS_PER_REGION,
    OBJECT_BUCKET,
    SERVER_HOSTNAME,
    TASK_NAME,
    TRANSFER_MODES,
    VERIFY_MODES,
    VPC_ENDPOINT_ID,
    schedule_problem,
)

from .fake_operations import AwsRejects
from .stackfiles import PLACEHOLDER

# The public parameter of the agent AMI ("Deploy your agent as an Amazon EC2 instance": aws ssm get-parameter
# --name /aws/service/datasync/ami).
AMI_PARAMETER = "/aws/service/datasync/ami"
SELF_MANAGED = {"nfs", "smb", "hdfs", "objectStorage"}
MAX_RESOURCE_POLICIES = 10
MAX_POLICY_DOCUMENT = 51_200
MAX_TAGS = 50
_SUBDIRECTORY = re.compile(r"^[a-zA-Z0-9_\-+./()$ ]*$")
_LOCATION_ARN = re.compile(r"^arn:aws[a-z-]*:datasync:[a-z0-9-]+:\d{12}:location/loc-[0-9a-z]{17}$")
_AGENT_ARN = re.compile(r"^arn:aws[a-z-]*:datasync:[a-z0-9-]+:\d{12}:agent/agent-[0-9a-z]{17}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
_LOG_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[^:*]*(:\*)?$")
_S3_BUCKET_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::[a-zA-Z0-9.\-_]{1,255}$")


def _hex(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _state(fake) -> dict:
    """DataSync's account-wide state (locations by ARN, tasks and log policies by region), across program runs."""
    return fake.account.__dict__.setdefault("_datasync", {"locations": {}, "tasks": {}, "log_policies": {}})


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _tags(what: str, inputs: dict) -> None:
    if len(inputs.get("tags") or {}) > MAX_TAGS:
        raise AwsRejects(f"InvalidRequestException: {what}: at most {MAX_TAGS} tags")


def _agents(what: str, arns) -> None:
    if not isinstance(arns, list) or not 1 <= len(arns) <= MAX_AGENTS_PER_LOCATION:
        raise AwsRejects(f"InvalidRequestException: {what}: AgentArns takes 1-{MAX_AGENTS_PER_LOCATION} agent ARNs")
    for arn in arns:
        if isinstance(arn, str) and not _AGENT_ARN.match(arn):
            raise AwsRejects(f"InvalidRequestException: {what}: {arn!r} is not a DataSync agent ARN")


def _hostname(what: str, value) -> None:
    host = _text(value)
    if host is None:
        raise AwsRejects(f"InvalidRequestException: {what}: ServerHostname is required")
    if len(host) > 255 or not SERVER_HOSTNAME.match(host):
        raise AwsRejects(f"InvalidRequestException: {what}: ServerHostname {host!r} must be a DNS name or an IP "
                         "address of at most 255 characters")


def _subdirectory(what: str, value, required: bool = False) -> None:
    text = _text(value)
    if text is None:
        if required:
            raise AwsRejects(f"InvalidRequestException: {what}: Subdirectory is required")
        return
    if len(text) > 4096 or not _SUBDIRECTORY.match(text):
        raise AwsRejects(f"InvalidRequestException: {what}: Subdirectory {text!r} has characters DataSync refuses")


def _location(kind: str):
    def handler(fake, name: str, inputs: dict):
        what = f"{kind} location {name!r}"
        _tags(what, inputs)
        CHECKS[kind](what, inputs)
        arn = fake.arn("datasync", f"location/loc-{_hex('loc', fake.region, name)}")
        _state(fake)["locations"][arn] = kind
        host = inputs.get("serverHostname") or inputs.get("s3BucketArn", "").rsplit(":", 1)[-1]
        return arn, {"arn": arn, "uri": f"{kind.lower()}://{host}{inputs.get('subdirectory') or '/'}",
                     "tagsAll": inputs.get("tags", {})}
    return handler


def _check_s3(what: str, inputs: dict) -> None:
    bucket = _text(inputs.get("s3BucketArn"))
    if bucket is not None and not _S3_BUCKET_ARN.match(bucket):
        raise AwsRejects(f"InvalidRequestException: {what}: S3BucketArn {bucket!r} is not a bucket ARN")
    role = _text((inputs.get("s3Config") or {}).get("bucketAccessRoleArn"))
    if not (inputs.get("s3Config") or {}).get("bucketAccessRoleArn"):
        raise AwsRejects(f"InvalidRequestException: {what}: S3Config.BucketAccessRoleArn is required")
    if role is not None and not _ROLE_ARN.match(role):
        raise AwsRejects(f"InvalidRequestException: {what}: {role!r} is not an IAM role ARN")
    subdirectory = _text(inputs.get("subdirectory")) or ""
    if "//" in subdirectory:
        raise AwsRejects(f"InvalidRequestException: {what}: the prefix may not contain consecutive slashes")
    _subdirectory(what, subdirectory)


def _check_nfs(what: str, inputs: dict) -> None:
    _hostname(what, inputs.get("serverHostname"))
    _subdirectory(what, inputs.get("subdirectory"), required=True)
    _agents(what, (inputs.get("onPremConfig") or {}).get("agentArns"))


def _check_smb(what: str, inputs: dict) -> None:
    _hostname(what, inputs.get("serverHostname"))
    _subdirectory(what, inputs.get("subdirectory"), required=True)
    _agents(what, inputs.get("agentArns"))
    password = _text(inputs.get("password"))
    if password is not None and len(password) > 104:
        raise AwsRejects(f"InvalidRequestException: {what}: Password is at most 104 characters")


def _check_object_storage(what: str, inputs: dict) -> None:
    _hostname(what, inputs.get("serverHostname"))
    bucket = _text(inputs.get("bucketName"))
    if bucket is None or not OBJECT_BUCKET.match(bucket):
        raise AwsRejects(f"InvalidRequestException: {what}: BucketName {bucket!r} must be 3-63 characters")
    port = inputs.get("serverPort", 443)
    if isinstance(port, (int, float)) and not 1 <= port <= 65_535:
        raise AwsRejects(f"InvalidRequestException: {what}: ServerPort {port} is not a port")
    protocol = inputs.get("serverProtocol", "HTTPS")
    if protocol not in ("HTTPS", "HTTP"):
        raise AwsRejects(f"InvalidRequestException: {what}: ServerProtocol {protocol!r} is not HTTPS or HTTP")
    certificate = _text(inputs.get("serverCertificate"))
    if certificate is not None:
        if protocol != "HTTPS":
            raise AwsRejects(f"InvalidRequestException: {what}: a ServerCertificate needs ServerProtocol HTTPS")
        if len(certificate.encode()) > MAX_SERVER_CERTIFICATE_BYTES or "-----BEGIN CERTIFICATE-----" not in certificate:
            raise AwsRejects(f"InvalidRequestException: {what}: ServerCertificate must be a PEM chain of at most "
                             f"{MAX_SERVER_CERTIFICATE_BYTES} bytes")
    for key in ("accessKey", "secretKey"):
        value = _text(inputs.get(key))
        if value is not None and not 8 <= len(value) <= 200:
            raise AwsRejects(f"ValidationException: {what}: {key} must be 8-200 characters")
    _subdirectory(what, inputs.get("subdirectory"))
    _agents(what, inputs.get("agentArns"))


CHECKS = {"s3": _check_s3, "nfs": _check_nfs, "smb": _check_smb, "objectStorage": _check_object_storage}


def agent(fake, name: str, inputs: dict):
    what = f"agent {name!r}"
    _tags(what, inputs)
    key = _text(inputs.get("activationKey"))
    if not inputs.get("activationKey") and not inputs.get("ipAddress"):
        raise AwsRejects(f"InvalidRequestException: {what}: an activation key (or the agent's IP address) is required")
    if key is not None and key != PLACEHOLDER and not ACTIVATION_KEY.match(key):
        raise AwsRejects(f"InvalidRequestException: {what}: the activation key must look like XXXXX-XXXXX-XXXXX-"
                         "XXXXX-XXXXX")
    endpoint = inputs.get("vpcEndpointId")
    if endpoint is not None:
        if isinstance(endpoint, str) and not VPC_ENDPOINT_ID.match(endpoint):
            raise AwsRejects(f"InvalidRequestException: {what}: VpcEndpointId {endpoint!r} is not vpce-<17 hex>")
        for key_name in ("subnetArns", "securityGroupArns"):
            if len(inputs.get(key_name) or []) != 1:
                raise AwsRejects(f"InvalidRequestException: {what}: with a VPC endpoint, {key_name} takes exactly one "
                                 "ARN")
    arn = fake.arn("datasync", f"agent/agent-{_hex('agent', fake.region, name)}")
    return arn, {"arn": arn, "tagsAll": inputs.get("tags", {})}


def _location_kind(fake, arn, what: str) -> str | None:
    if not isinstance(arn, str):
        return None
    if not _LOCATION_ARN.match(arn):
        raise AwsRejects(f"InvalidRequestException: {what}: {arn!r} is not a DataSync location ARN")
    return _state(fake)["locations"].get(arn)


def task(fake, name: str, inputs: dict):
    task_name = _text(inputs.get("name")) or name
    what = f"task {task_name!r}"
    _tags(what, inputs)
    if not TASK_NAME.match(task_name):
        raise AwsRejects(f"InvalidRequestException: {what}: Name must match {TASK_NAME.pattern}")
    source = _location_kind(fake, inputs.get("sourceLocationArn"), what)
    destination = _location_kind(fake, inputs.get("destinationLocationArn"), what)
    mode = inputs.get("taskMode") or "BASIC"
    if mode not in ("BASIC", "ENHANCED"):
        raise AwsRejects(f"InvalidRequestException: {what}: TaskMode {mode!r} is not BASIC or ENHANCED")
    if source in SELF_MANAGED and destination in SELF_MANAGED:
        raise AwsRejects(f"InvalidRequestException: {what}: DataSync does not transfer between two self-managed "
                         f"storage systems ({source} to {destination}); copy through an AWS storage service (S3)")
    if mode == "ENHANCED" and source is not None and destination is not None and destination != "s3":
        raise AwsRejects(f"InvalidRequestException: {what}: Enhanced mode transfers only into S3 ({source} to "
                         f"{destination})")
    options = inputs.get("options") or {}
    for key, allowed in (("verifyMode", VERIFY_MODES), ("logLevel", LOG_LEVELS), ("transferMode", TRANSFER_MODES)):
        value = options.get(key)
        if value is not None and value not in allowed:
            raise AwsRejects(f"InvalidRequestException: {what}: Options.{key} {value!r} is not one of {allowed}")
    if options.get("logLevel") not in (None, "OFF") and not inputs.get("cloudwatchLogGroupArn"):
        raise AwsRejects(f"InvalidRequestException: {what}: Options.LogLevel {options['logLevel']} needs a "
                         "CloudWatchLogGroupArn")
    group = _text(inputs.get("cloudwatchLogGroupArn"))
    if group is not None and not _LOG_GROUP_ARN.match(group):
        raise AwsRejects(f"InvalidRequestException: {what}: {group!r} is not a log group ARN")
    limit = options.get("bytesPerSecond")
    if limit is not None and (not isinstance(limit, (int, float)) or limit != int(limit) or limit < -1):
        raise AwsRejects(f"InvalidRequestException: {what}: Options.BytesPerSecond {limit!r} must be -1 (no limit) or "
                         "a whole number of bytes per second")
    expression = (inputs.get("schedule") or {}).get("scheduleExpression")
    if isinstance(expression, str):
        problem = schedule_problem(expression)
        if problem:
            raise AwsRejects(f"InvalidRequestException: {what}: schedule {expression!r}: {problem}")
    tasks = _state(fake)["tasks"].setdefault(fake.region, set())
    tasks.add(name)
    if len(tasks) > MAX_TASKS_PER_REGION:
        raise AwsRejects(f"LimitExceededException: {what}: {MAX_TASKS_PER_REGION} DataSync tasks per account and "
                         f"Region ({fake.region}); request an increase")
    arn = fake.arn("datasync", f"task/task-{_hex('task', fake.region, name)}")
    return arn, {"arn": arn, "tagsAll": inputs.get("tags", {})}


def log_resource_policy(fake, name: str, inputs: dict):
    policy_name = _text(inputs.get("policyName")) or name
    document = _text(inputs.get("policyDocument"))
    if document is not None and not 1 <= len(document) <= MAX_POLICY_DOCUMENT:
        raise AwsRejects(f"InvalidParameterException: resource policy {policy_name!r}: the document is "
                         f"{len(document)} characters; 1-{MAX_POLICY_DOCUMENT} allowed")
    policies = _state(fake)["log_policies"].setdefault(fake.region, set())
    policies.add(policy_name)
    if len(policies) > MAX_RESOURCE_POLICIES:
        raise AwsRejects(f"LimitExceededException: resource policy {policy_name!r}: CloudWatch Logs keeps at most "
                         f"{MAX_RESOURCE_POLICIES} resource policies per account and Region ({fake.region})")
    return policy_name, {"policyName": policy_name}


def ami_parameter(fake) -> dict:
    """The public parameter's value: an AMI id of the region."""
    ami = f"ami-{_hex('datasync-ami', fake.region)}"
    return {"id": AMI_PARAMETER, "name": AMI_PARAMETER, "value": ami, "insecureValue": ami, "type": "String",
            "version": 1, "arn": fake.arn("ssm", f"parameter{AMI_PARAMETER}", account=False)}


RESOURCES = {
    "aws:datasync/agent:Agent": agent,
    "aws:datasync/s3Location:S3Location": _location("s3"),
    "aws:datasync/nfsLocation:NfsLocation": _location("nfs"),
    "aws:datasync/locationSmb:LocationSmb": _location("smb"),
    "aws:datasync/locationObjectStorage:LocationObjectStorage": _location("objectStorage"),
    "aws:datasync/task:Task": task,
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": log_resource_policy,
}
