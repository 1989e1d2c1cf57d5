"""The fake AWS's IAM users and access keys and the S3 bucket settings of the tier and its replica, with the refusals
of the real APIs.

IAM (IAM API Reference, CreateUser / CreateAccessKey / PutUserPolicy; IAM User Guide, "IAM and AWS STS quotas"):
a user name is 1-64 characters of ``[\\w+=,.@-]``, unique in the account (IAM is global, case-insensitive); a path
is ``/`` or ``/.../`` of printable ASCII, at most 512; a permissions boundary is a managed policy ARN; a user has at
most 2 access keys (LimitExceeded "Cannot exceed quota for AccessKeysPerUser: 2"), Active or Inactive; a user's
inline policies together hold at most 2,048 characters, white space not counted.

S3 (Amazon S3 API Reference, PutBucketReplication, PutBucketLifecycleConfiguration,
PutBucketIntelligentTieringConfiguration, PutBucketAccelerateConfiguration; S3 User Guide, "Replication
configuration file elements", "Transitioning objects using Amazon S3 Lifecycle"):
- replication needs versioning Enabled on the source and the destination bucket, goes to the source bucket's
  Region, names a role, rules of the V2 schema (a Filter) when they replicate delete markers or carry a priority,
  priorities unique; ``SseKmsEncryptedObjects`` Enabled needs a ``ReplicaKmsKeyID`` of the destination's Region;
  Replication Time Control needs Metrics, and both take 15 minutes only;
- lifecycle: a transition to STANDARD_IA or ONEZONE_IA at 30 days or later, the days of a rule's transitions
  increasing, the one after STANDARD_IA at least 30 days later; no transition to STANDARD; noncurrent days >= 1;
- Intelligent-Tiering archive tiers: ARCHIVE_ACCESS 90-730 days, DEEP_ARCHIVE_ACCESS 180-730, each tier once;
- Transfer Acceleration: Status Enabled | Suspended, and not on a bucket whose name has a dot.

State that spans resources (which bucket is in which Region and versioned, which user has which keys) lives with the
account (``FakeAccount``), which regional copies of the fake share.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from .fake_operations import AwsRejects

_USER_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_PATH = re.compile(r"^(/|/[\x21-\x7e]+/)$")
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/.+$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key/.+$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
MAX_ACCESS_KEYS = 2
MAX_USER_POLICY_CHARS = 2_048
IA_CLASSES = {"STANDARD_IA", "ONEZONE_IA"}
LIFECYCLE_CLASSES = {"STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"}
TIERING_DAYS = {"ARCHIVE_ACCESS": (90, 730), "DEEP_ARCHIVE_ACCESS": (180, 730)}
RTC_MINUTES = 15


@dataclass
class IntegrationsWorld:
    users: dict[str, str] = field(default_factory=dict)  # lower-case name -> declaring resource
    keys: dict[str, list[str]] = field(default_factory=dict)  # user -> its access keys' resource names
    user_policy_chars: dict[str, dict[str, int]] = field(default_factory=dict)  # user -> policy name -> chars
    bucket_regions: dict[str, str] = field(default_factory=dict)
    versioning: dict[str, str] = field(default_factory=dict)


def world(fake) -> IntegrationsWorld:
    return fake.account.__dict__.setdefault("integrations_world", IntegrationsWorld())


def _hex(*parts: str, length: int) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _known(value) -> bool:
    return isinstance(value, str) and value != "" and not value.startswith("04da6b54")


def _obj(value) -> dict:
    """A block as a dict; {} when absent or unknown in a preview (nothing to check yet)."""
    return value if isinstance(value, dict) else {}


def _known_num(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _objs(value) -> list[dict]:
    """A list of blocks, leaving out the unknown ones (and [] for an unknown list)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


# --- IAM ---------------------------------------------------------------------------------------------------------

def iam_user(fake, name: str, inputs: dict):
    user = inputs.get("name") or f"{name}-{_hex('user', name, length=7)}"
    path = inputs.get("path") or "/"
    if not _USER_NAME.match(user):
        raise AwsRejects(f"ValidationError: user name {user!r} must be 1-64 characters of letters, digits and +=,.@_-")
    if not _PATH.match(path) or len(path) > 512:
        raise AwsRejects(f"ValidationError: user {user}: path {path!r} must be '/' or start and end with '/'")
    boundary = inputs.get("permissionsBoundary")
    if _known(boundary) and not _POLICY_ARN.match(boundary):
        raise AwsRejects(f"InvalidInput: user {user}: permissions boundary {boundary!r} is not a managed policy ARN")
    w = world(fake)
    holder = w.users.get(user.lower())
    if holder is not None and holder != name:
        raise AwsRejects(f"EntityAlreadyExists: User with name {user} already exists (declared by {holder})")
    w.users[user.lower()] = name
    arn = fake.arn("iam", f"user{path}{user}", region=False)
    return user, {"name": user, "path": path, "arn": arn, "uniqueId": f"AIDA{_hex('user', name, length=17).upper()}",
                  "tagsAll": inputs.get("tags", {})}


def iam_access_key(fake, name: str, inputs: dict):
    user = inputs.get("user")
    status = inputs.get("status") or "Active"
    if status not in ("Active", "Inactive"):
        raise AwsRejects(f"ValidationError: access key {name}: status {status!r} is not Active or Inactive")
    if _known(user):
        keys = world(fake).keys.setdefault(user, [])
        if name not in keys:
            if len(keys) >= MAX_ACCESS_KEYS:
                raise AwsRejects(f"LimitExceeded: Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS} (user "
                                 f"{user} already has {', '.join(keys)})")
            keys.append(name)
    key_id = "AKIA" + _hex("akid", name, length=16).upper()
    secret = _hex("aksecret", name, length=40)
    return key_id, {"user": user, "status": status, "secret": secret, "createDate": "2026-01-01T00:00:00Z",
                    "sesSmtpPasswordV4": _hex("smtp", name, length=44)}


def _policy_chars(policy) -> int:
    text = policy if isinstance(policy, str) else json.dumps(policy)
    return len(re.sub(r"\s", "", text))


def iam_user_policy(fake, name: str, inputs: dict):
    user, policy = inputs.get("user"), inputs.get("policy")
    policy_name = inputs.get("name") or name
    if not re.match(r"^[\w+=,.@-]{1,128}$", policy_name):
        raise AwsRejects(f"ValidationError: policy name {policy_name!r}: 1-128 of letters, digits and +=,.@_-")
    if _known(user) and _known(policy):
        sizes = world(fake).user_policy_chars.setdefault(user, {})
        sizes[policy_name] = _policy_chars(policy)
        if sum(sizes.values()) > MAX_USER_POLICY_CHARS:
            raise AwsRejects(f"LimitExceeded: Maximum policy size of {MAX_USER_POLICY_CHARS} bytes exceeded for user "
                             f"{user} (inline policies: {sizes})")
    return f"{user}:{policy_name}", {"name": policy_name}


# --- S3 ----------------------------------------------------------------------------------------------------------

def recording_bucket(inner):
    def handler(fake, name: str, inputs: dict):
        physical, extra = inner(fake, name, inputs)
        world(fake).bucket_regions[physical] = fake.region
        return physical, extra
    return handler


def recording_versioning(inner):
    def handler(fake, name: str, inputs: dict):
        bucket = inputs.get("bucket")
        if _known(bucket):
            world(fake).versioning[bucket] = (inputs.get("versioningConfiguration") or {}).get("status", "")
        return inner(fake, name, inputs)
    return handler


def _bucket_of(arn: str) -> str:
    return arn.split(":::", 1)[1] if ":::" in arn else arn


def _check_versioned(w: IntegrationsWorld, bucket: str, what: str) -> None:
    if w.versioning.get(bucket) != "Enabled":
        raise AwsRejects(f"InvalidRequest: Versioning must be 'Enabled' on the bucket to apply a replication "
                         f"configuration ({what} bucket {bucket} is {w.versioning.get(bucket) or 'not versioned'})")


def _check_rule(w: IntegrationsWorld, name: str, rule: dict) -> None:
    destination = _obj(rule.get("destination"))
    v2 = "filter" in rule
    if _obj(rule.get("deleteMarkerReplication")) and not v2:
        raise AwsRejects(f"MalformedXML: {name}: DeleteMarkerReplication is V2 schema: the rule needs a Filter")
    dest = destination.get("bucket")
    if _known(dest):
        bucket = _bucket_of(dest)
        if bucket not in w.bucket_regions:
            raise AwsRejects(f"InvalidRequest: {name}: Destination bucket must exist ({bucket})")
        _check_versioned(w, bucket, "destination")
    sse = _obj(_obj(rule.get("sourceSelectionCriteria")).get("sseKmsEncryptedObjects")).get("status")
    replica_key = _obj(destination.get("encryptionConfiguration")).get("replicaKmsKeyId")
    if sse == "Enabled" and replica_key is None:
        raise AwsRejects(f"InvalidRequest: {name}: ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag "
                         "is present")
    if _known(replica_key) and _known(dest):
        match = _KMS_KEY_ARN.match(replica_key)
        dest_region = w.bucket_regions.get(_bucket_of(dest))
        if match and dest_region and match.group(1) != dest_region:
            raise AwsRejects(f"InvalidArgument: {name}: ReplicaKmsKeyID {replica_key} is not a key of the "
                             f"destination bucket's Region {dest_region}")
    rtc, metrics = _obj(destination.get("replicationTime")), _obj(destination.get("metrics"))
    if rtc and rtc.get("status") == "Enabled":
        if not metrics or metrics.get("status") != "Enabled":
            raise AwsRejects(f"InvalidRequest: {name}: Replication Time Control requires Metrics to be enabled")
        rtc_minutes = _obj(rtc.get("time")).get("minutes")
        if (rtc_minutes is None or _known_num(rtc_minutes)) and rtc_minutes != RTC_MINUTES:
            raise AwsRejects(f"InvalidArgument: {name}: ReplicationTime Minutes must be {RTC_MINUTES}")
    if metrics and metrics.get("status") == "Enabled":
        minutes = _obj(metrics.get("eventThreshold")).get("minutes")
        if _known_num(minutes) and minutes != RTC_MINUTES:
            raise AwsRejects(f"InvalidArgument: {name}: Metrics EventThreshold Minutes must be {RTC_MINUTES}")


def replication_config(inner):
    def handler(fake, name: str, inputs: dict):
        w = world(fake)
        bucket, role = inputs.get("bucket"), inputs.get("role")
        if _known(role) and not _ROLE_ARN.match(role):
            raise AwsRejects(f"InvalidArgument: {name}: Role {role!r} is not an IAM role ARN")
        if _known(bucket):
            region = w.bucket_regions.get(bucket)
            if region and region != fake.region:
                raise AwsRejects(f"PermanentRedirect: {name}: the bucket {bucket} is in {region}, the request went to "
                                 f"{fake.region} (declare the replication configuration with the source's provider)")
            _check_versioned(w, bucket, "source")
        rules = _objs(inputs.get("rules"))
        priorities = [r.get("priority") for r in rules if isinstance(r.get("priority"), int)]
        if len(priorities) != len(set(priorities)):
            raise AwsRejects(f"InvalidArgument: {name}: rule priorities must be unique")
        for rule in rules:
            _check_rule(w, name, rule)
        return inner(fake, name, inputs)
    return handler


def lifecycle_config(inner):
    def handler(fake, name: str, inputs: dict):
        for rule in inputs.get("rules") or []:
            steps = [(t.get("days"), t.get("storageClass")) for t in rule.get("transitions") or []]
            previous = None
            for days, cls in steps:
                if cls not in LIFECYCLE_CLASSES:
                    raise AwsRejects(f"InvalidArgument: {name}: rule {rule.get('id')}: no transition to {cls}")
                if not isinstance(days, int):
                    continue
                if cls in IA_CLASSES and days < 30:
                    raise AwsRejects(f"InvalidArgument: {name}: 'Days' in the Transition action for StorageClass "
                                     f"'{cls}' must be greater than or equal to 30")
                if previous is not None:
                    gap = 30 if previous[1] in IA_CLASSES else 1
                    if days < previous[0] + gap:
                        raise AwsRejects(f"InvalidArgument: {name}: 'Days' in the Transition action for StorageClass "
                                         f"'{cls}' must be {gap} days more than for StorageClass '{previous[1]}'")
                previous = (days, cls)
            noncurrent = (rule.get("noncurrentVersionExpiration") or {}).get("noncurrentDays")
            if isinstance(noncurrent, int) and noncurrent < 1:
                raise AwsRejects(f"InvalidArgument: {name}: NoncurrentDays must be a positive integer")
        return inner(fake, name, inputs)
    return handler


def intelligent_tiering(fake, name: str, inputs: dict):
    tierings = inputs.get("tierings") or []
    tiers = [t.get("accessTier") for t in tierings]
    if not tierings or len(tiers) != len(set(tiers)):
        raise AwsRejects(f"MalformedXML: {name}: one Tiering per access tier, at least one")
    for t in tierings:
        lo, hi = TIERING_DAYS.get(t.get("accessTier"), (None, None))
        if lo is None:
            raise AwsRejects(f"MalformedXML: {name}: AccessTier {t.get('accessTier')!r} is not ARCHIVE_ACCESS or "
                             "DEEP_ARCHIVE_ACCESS")
        if not lo <= int(t.get("days", 0)) <= hi:
            raise AwsRejects(f"InvalidArgument: {name}: {t.get('accessTier')} Days must be {lo}-{hi}")
    if inputs.get("status", "Enabled") not in ("Enabled", "Disabled"):
        raise AwsRejects(f"MalformedXML: {name}: Status must be Enabled or Disabled")
    return f"{inputs.get('bucket')}:{inputs.get('name') or name}", {}


def accelerate(fake, name: str, inputs: dict):
    bucket, status = inputs.get("bucket"), inputs.get("status")
    if status not in ("Enabled", "Suspended"):
        raise AwsRejects(f"MalformedXML: {name}: Status must be Enabled or Suspended")
    if _known(bucket) and "." in bucket:
        raise AwsRejects(f"InvalidRequest: {name}: S3 Transfer Acceleration is not supported for buckets with periods "
                         f"(.) in their names ({bucket})")
    return str(bucket), {}


RESOURCES = {
    "aws:iam/user:User": iam_user,
    "aws:iam/accessKey:AccessKey": iam_access_key,
    "aws:iam/userPolicy:UserPolicy": iam_user_policy,
    "aws:s3/bucketIntelligentTieringConfiguration:BucketIntelligentTieringConfiguration": intelligent_tiering,
    "aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration": accelerate,
}


def with_bucket_checks(resources: dict) -> dict:
    """The fake's bucket handlers, also remembering Regions and versioning for the replication checks."""
    out = dict(resources)
    for typ in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
        out[typ] = recording_bucket(resources[typ])
    out["aws:s3/bucketVersioning:BucketVersioning"] = recording_versioning(
        resources["aws:s3/bucketVersioning:BucketVersioning"])
    out["aws:s3/bucketReplicationConfig:BucketReplicationConfig"] = replication_config(
        resources["aws:s3/bucketReplicationConfig:BucketReplicationConfig"])
    out["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"] = lifecycle_config(
        resources["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"])
    return out
