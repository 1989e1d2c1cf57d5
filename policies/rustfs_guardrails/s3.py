"""S3 buckets and their separate pulumi-aws v7 sub-resources (and the legacy inline forms)."""

from __future__ import annotations

import re
from collections.abc import Callable

from pulumi_policy import Severity

from . import _iam
from ._env import ENVIRONMENT_CONFIG, is_prod, stack_environment
from ._kit import Res, aws, get, is_true, is_unknown, items, known_str, resource_policy, stack_policy

BUCKETS = [aws("s3", "Bucket"), aws("s3", "BucketV2")]
PAB = aws("s3", "BucketPublicAccessBlock")
SSE = [aws("s3", "BucketServerSideEncryptionConfiguration"), aws("s3", "BucketServerSideEncryptionConfigurationV2")]
VERSIONING = [aws("s3", "BucketVersioning"), aws("s3", "BucketVersioningV2")]
POLICY = aws("s3", "BucketPolicy")
OWNERSHIP = aws("s3", "BucketOwnershipControls")
LOGGING = [aws("s3", "BucketLogging"), aws("s3", "BucketLoggingV2")]
LIFECYCLE = [aws("s3", "BucketLifecycleConfiguration"), aws("s3", "BucketLifecycleConfigurationV2")]
REPLICATION = aws("s3", "BucketReplicationConfig")
ACLS = [aws("s3", "BucketAcl"), aws("s3", "BucketAclV2")]
LOAD_BALANCERS = [aws("lb", "LoadBalancer"), aws("alb", "LoadBalancer")]
PUBLIC_CANNED_ACLS = {"public-read", "public-read-write", "authenticated-read"}
PUBLIC_GROUPS = ("acs.amazonaws.com/groups/global/AllUsers", "acs.amazonaws.com/groups/global/AuthenticatedUsers")
_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def targets(sub: Res, bucket: Res, prop: str = "bucket") -> bool:
    """A sub-resource configures ``bucket`` when its input came from it, or names it."""
    if sub.refers_to(prop, bucket):
        return True
    name = sub.get(prop)
    return isinstance(name, str) and name in (bucket.get("bucket"), bucket.props.get("id"), bucket.name)


def _companions(resources: list[Res], bucket: Res, types: list[str] | str) -> list[Res]:
    wanted = {types} if isinstance(types, str) else set(types)
    return [r for r in resources if r.type in wanted and targets(r, bucket)]


def _receives_load_balancer_logs(lb: Res, bucket: Res) -> bool:
    logs = lb.get("accessLogs")
    if not isinstance(logs, dict) or logs.get("enabled") is False:
        return False
    return lb.refers_to("accessLogs", bucket) or logs.get("bucket") in (bucket.get("bucket"), bucket.props.get("id"))


def log_buckets(resources: list[Res]) -> list[Res]:
    """Buckets receiving access logs: S3 server access logs (BucketLogging / inline logging) or load balancer
    access logs."""
    buckets = [r for r in resources if r.type in BUCKETS]
    loggers = [r for r in resources if r.type in LOGGING]
    load_balancers = [r for r in resources if r.type in LOAD_BALANCERS]
    found = []
    for bucket in buckets:
        if any(targets(log, bucket, "targetBucket") for log in loggers) or \
                any(_receives_load_balancer_logs(lb, bucket) for lb in load_balancers):
            found.append(bucket)
        elif any(get(b.props, "logging", "targetBucket") in (bucket.get("bucket"),) for b in buckets
                 if isinstance(bucket.get("bucket"), str)):
            found.append(bucket)
    return found


def _bucket_stack_policy(name: str, description: str, severity: Severity, checks: list[str], topics: list[str],
                         rule: Callable[[Res, list[Res], dict], str | None], *, exempt_log_buckets: bool = False,
                         config: dict | None = None, types: list[str] | None = None):
    cfg_schema = {"exemptBucketPattern": {"type": "string", "default": "",
                                          "description": "regex on bucket resource names exempted"},
                  **(config or {})}

    def check(resources: list[Res], cfg: dict, report) -> None:
        exempt = {b.urn for b in log_buckets(resources)} if exempt_log_buckets else set()
        for bucket in (r for r in resources if r.type in BUCKETS):
            if bucket.urn in exempt or (cfg["exemptBucketPattern"] and re.search(cfg["exemptBucketPattern"],
                                                                                  bucket.name)):
                continue
            problem = rule(bucket, resources, cfg)
            if problem:
                report(f"Bucket '{bucket.name}' {problem}", bucket.urn)

    return stack_policy(name, description, severity=severity, types=[*BUCKETS, *(types or [])], check=check,
                        checks=checks, topics=topics, config=cfg_schema)


def _pab_rule(bucket: Res, resources: list[Res], cfg: dict) -> str | None:
    if not _companions(resources, bucket, PAB):
        return "has no aws.s3.BucketPublicAccessBlock."
    return None


bucket_pab = _bucket_stack_policy(
    "rustfs-s3-bucket-require-public-access-block", "Every bucket has a public access block.",
    Severity.HIGH, ["CKV2_AWS_6", "S3.8"], ["exposure"], _pab_rule, types=[PAB])


def _check_pab_flags(res: Res, cfg: dict, report) -> None:
    off = [flag for flag in _FLAGS if not is_true(res.get(flag)) and not is_unknown(res.get(flag))]
    if off:
        report(f"Public access block '{res.name}' leaves {', '.join(off)} off; all four must be true.")


pab_flags = resource_policy(
    "rustfs-s3-publicaccessblock-require-all-flags",
    "Bucket public access blocks set all four flags.",
    severity=Severity.HIGH, types=[PAB], check=_check_pab_flags,
    checks=["CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "S3.1", "S3.8"], topics=["exposure"])


def _sse_problem(rules: list, where: str) -> str | None:
    for rule in rules:
        default = rule.get("applyServerSideEncryptionByDefault") if isinstance(rule, dict) else None
        if not isinstance(default, dict):
            continue
        algorithm, key = default.get("sseAlgorithm"), default.get("kmsMasterKeyId")
        if is_unknown(algorithm):
            return None
        if algorithm in ("aws:kms", "aws:kms:dsse"):
            return None if key is not None else f"{where} uses aws:kms with the AWS-managed key; set kmsMasterKeyId."
        return f"{where} uses {algorithm}; use aws:kms with a customer-managed key."
    return f"{where} has no default encryption rule."


def _check_sse_resource(res: Res, cfg: dict, report) -> None:
    if is_unknown(res.get("rules")):
        return
    problem = _sse_problem(res.items("rules"), f"'{res.name}'")
    if problem:
        report(problem)


sse_kms = resource_policy(
    "rustfs-s3-encryption-require-kms",
    "Bucket default encryption uses SSE-KMS with a customer-managed key.",
    severity=Severity.HIGH, types=SSE, check=_check_sse_resource, checks=["CKV_AWS_145", "CKV_AWS_19", "S3.17"],
    topics=["encryption"])


def _encryption_rule(bucket: Res, resources: list[Res], cfg: dict) -> str | None:
    inline = bucket.get("serverSideEncryptionConfiguration")
    if isinstance(inline, dict):
        rule = inline.get("rule")
        return _sse_problem([rule] if isinstance(rule, dict) else [], "inline encryption")
    if not _companions(resources, bucket, SSE) and not is_unknown(inline):
        return "has no aws.s3.BucketServerSideEncryptionConfiguration (SSE-KMS)."
    return None


bucket_encryption = _bucket_stack_policy(
    "rustfs-s3-bucket-require-kms-encryption", "Every bucket has a default SSE-KMS encryption configuration.",
    Severity.HIGH, ["CKV_AWS_145", "CKV_AWS_19", "S3.17"], ["encryption"], _encryption_rule, types=SSE)


def _versioning_rule(bucket: Res, resources: list[Res], cfg: dict) -> str | None:
    inline = bucket.get("versioning")
    if isinstance(inline, dict) and is_true(inline.get("enabled")):
        return None
    statuses = [get(v.props, "versioningConfiguration", "status") for v in _companions(resources, bucket, VERSIONING)]
    if any(s == "Enabled" or is_unknown(s) for s in statuses):
        return None
    return f"is not versioned ({', '.join(map(str, statuses)) or 'no aws.s3.BucketVersioning'})."


bucket_versioning = _bucket_stack_policy(
    "rustfs-s3-bucket-require-versioning",
    "Every data bucket (all but access-log targets) has versioning enabled.",
    Severity.HIGH, ["CKV_AWS_21", "S3.14"], ["resilience"], _versioning_rule, exempt_log_buckets=True,
    types=[*VERSIONING, *LOGGING, *LOAD_BALANCERS])


def _denies_everyone_everything_on_objects(statement: dict) -> bool:
    """A TLS deny must cover every principal, every S3 action and the objects: a deny of s3:PutObject only,
    for one role only, or on the bucket ARN only leaves plain-HTTP object reads open."""
    actions = {a.lower() for a in _iam.as_list(statement.get("Action")) if isinstance(a, str)}
    resources = [r for r in _iam.as_list(statement.get("Resource")) if isinstance(r, str)]
    return ("*" in _iam.principals(statement) and bool(actions & {"*", "s3:*"})
            and any(r == "*" or r.endswith("/*") for r in resources))


def _tls_statement(statement: dict) -> bool:
    if statement.get("Effect") != "Deny" or not _denies_everyone_everything_on_objects(statement):
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        if operator.lower().startswith("bool") and isinstance(block, dict):
            for key, value in block.items():
                if key.lower() == "aws:securetransport" and str(_iam.as_list(value)[0]).lower() == "false":
                    return True
    return False


def _tls_rule(bucket: Res, resources: list[Res], cfg: dict) -> str | None:
    documents = [_iam.parse(p.get("policy")) for p in _companions(resources, bucket, POLICY)]
    documents.append(_iam.parse(bucket.get("policy")))
    if any(d.unknown for d in documents):
        return None
    if any(_tls_statement(s) for d in documents for s in d.statements):
        return None
    return ("has no bucket policy statement denying every principal all S3 actions on its objects when "
            "aws:SecureTransport is false.")


bucket_tls = _bucket_stack_policy(
    "rustfs-s3-bucket-require-tls-only-policy",
    "Every bucket's policy denies requests that do not use TLS (aws:SecureTransport = false).",
    Severity.HIGH, ["S3.5"], ["encryption"], _tls_rule, types=[POLICY])


def _ownership_rule(bucket: Res, resources: list[Res], cfg: dict) -> str | None:
    owners = [get(o.props, "rule", "objectOwnership") for o in _companions(resources, bucket, OWNERSHIP)]
    if any(o == "BucketOwnerEnforced" or is_unknown(o) for o in owners):
        return None
    return f"does not disable ACLs (objectOwnership {owners or 'unset'}; BucketOwnerEnforced required)."


bucket_ownership = _bucket_stack_policy(
    "rustfs-s3-bucket-require-owner-enforced",
    "Every bucket disables ACLs with BucketOwnerEnforced ownership controls.",
    Severity.MEDIUM, ["CKV2_AWS_65", "S3.12"], ["exposure"], _ownership_rule, types=[OWNERSHIP])


def _logging_rule(bucket: Res, resources: list[Res], cfg: dict) -> str | None:
    if isinstance(bucket.get("logging"), dict) or _companions(resources, bucket, LOGGING):
        return None
    return "has no server access logging (aws.s3.BucketLogging)."


bucket_logging = _bucket_stack_policy(
    "rustfs-s3-bucket-require-access-logging",
    "Every bucket except the access-log bucket itself has server access logging.",
    Severity.MEDIUM, ["CKV_AWS_18", "S3.9", "awsguard:s3-bucket-logging-enabled"], ["logging"], _logging_rule,
    exempt_log_buckets=True, types=[*LOGGING, *LOAD_BALANCERS])


def _lifecycle_rule(bucket: Res, resources: list[Res], cfg: dict) -> str | None:
    if bucket.items("lifecycleRules") or _companions(resources, bucket, LIFECYCLE):
        return None
    return "has no lifecycle configuration (noncurrent versions and uploads accumulate cost)."


bucket_lifecycle = _bucket_stack_policy(
    "rustfs-s3-bucket-require-lifecycle", "Every bucket has a lifecycle configuration.",
    Severity.LOW, ["CKV2_AWS_61", "S3.13"], ["cost"], _lifecycle_rule, types=LIFECYCLE)


def _replication_rule(bucket: Res, resources: list[Res], cfg: dict) -> str | None:
    if not is_prod(stack_environment(resources, cfg), cfg) or not re.search(cfg["replicatedBucketPattern"],
                                                                             bucket.name):
        return None
    if bucket.get("replicationConfiguration") is not None or _companions(resources, bucket, REPLICATION):
        return None
    return "holds tiered data in production but has no cross-region replication."


bucket_replication = _bucket_stack_policy(
    "rustfs-s3-bucket-require-replication",
    "Production tier buckets replicate to another region.",
    Severity.LOW, ["CKV_AWS_144", "S3.7"], ["resilience"], _replication_rule, types=[REPLICATION],
    config={**ENVIRONMENT_CONFIG, "replicatedBucketPattern": {"type": "string", "default": "tier",
                                                              "description": "regex on bucket resource names"}})


def _check_public_acl(res: Res, cfg: dict, report) -> None:
    acl = known_str(res.get("acl"))
    if acl in PUBLIC_CANNED_ACLS:
        report(f"'{res.name}' grants the canned ACL {acl}.")
    grants = items(res.props, "accessControlPolicy", "grants") + res.items("grants")
    for grant in grants:
        if not isinstance(grant, dict):
            continue
        uri = get(grant, "grantee", "uri") if isinstance(grant.get("grantee"), dict) else grant.get("uri")
        if isinstance(uri, str) and uri.endswith(PUBLIC_GROUPS):
            report(f"'{res.name}' grants {known_str(grant.get('permission')) or 'access'} to {uri.rsplit('/', 1)[-1]}.")


public_acl = resource_policy(
    "rustfs-s3-bucket-disallow-public-acl",
    "Buckets and bucket ACLs grant nothing to AllUsers or AuthenticatedUsers.",
    severity=Severity.CRITICAL, types=[*BUCKETS, *ACLS], check=_check_public_acl,
    checks=["CKV_AWS_20", "CKV_AWS_57", "S3.2", "S3.3", "S3.6"], topics=["exposure"])

POLICIES = [bucket_pab, pab_flags, sse_kms, bucket_encryption, bucket_versioning, bucket_tls, bucket_ownership,
            bucket_logging, bucket_lifecycle, bucket_replication, public_acl]
