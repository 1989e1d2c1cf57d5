"""The edge's documents as plain data (pure: names and ARNs in, dicts out): the RustFS bucket policy of an edge
bucket, the WAF rules, the key and log-group policies, the log fields, the default behavior's function.

RustFS bucket policy (what CloudFront may read). CloudFront cannot sign requests to a custom origin with SigV4, so
it can only read what RustFS serves anonymously: ``s3:GetObject`` (GET, and HEAD: rustfs/src/storage/access.rs
``head_object`` authorizes GetObjectAction) on ``<bucket>/*`` for the anonymous principal, and only from the
edge's origin subnets (``IpAddress`` on ``aws:SourceIp``). RustFS evaluates that condition on anonymous requests
(access.rs ``authorize_request``, anonymous branch, with ``get_condition_values_with_query_and_client_info``) and
takes ``SourceIp`` from the verified client information or else the TCP peer (rustfs/src/auth.rs
``policy_source_ip``). The peer of an edge request is the origin load balancer, whose addresses are in those
subnets; an Application Load Balancer does not preserve the client address (it sends it in X-Forwarded-For).
Two things would make the condition meaningless, and both are switched off: RustFS's default "simple" trusted
proxy believes X-Forwarded-For (then X-Real-IP, Forwarded) from any private peer
(crates/trusted-proxies/src/simple.rs ``resolve_client_info``), so any VPC client could claim an origin-subnet
address; every node runs with RUSTFS_TRUSTED_PROXY_ENABLED=false (crates/config/src/constants/proxy.rs;
render.py), and the load balancer removes X-Forwarded-For before RustFS sees it. The statement grammar is RustFS's
BucketPolicy/BPStatement (crates/policy/src/policy/policy.rs, statement.rs: Version, Statement; Sid, Effect,
Principal ``*``, Action, Resource, Condition). RestrictPublicBuckets on such a bucket would refuse every anonymous
read even when a policy allows it (access.rs ``restricts_public_bucket_access``).

WAF rules: the AWS managed rule groups AWSManagedRulesAmazonIpReputationList, AWSManagedRulesCommonRuleSet and
AWSManagedRulesKnownBadInputsRuleSet (AWS WAF Developer Guide, "AWS Managed Rules rule groups list"), a rate-based
rule per client IP and an optional geo match (RateBasedStatement, GeoMatchStatement: AWS WAF API Reference).
Logs: the delivery fields leave out ``cs-uri-query`` and cookies (a signed URL's query string and a signed cookie
are bearer credentials until they expire), and WAF logs redact the Authorization and Cookie headers.
"""

from __future__ import annotations

from rustfs_aws.security.key_policies import administration

# The managed rule groups every edge web ACL carries, in evaluation order, with their web ACL capacity units (AWS WAF
# Developer Guide, "AWS Managed Rules rule groups list": IP reputation 25, core rule set 700, known bad inputs 200).
MANAGED_RULE_GROUPS = (("AWSManagedRulesAmazonIpReputationList", 25), ("AWSManagedRulesCommonRuleSet", 700),
                       ("AWSManagedRulesKnownBadInputsRuleSet", 200))
RATE_RULE = "RateLimitPerIp"
GEO_RULE = "GeoRestriction"
REDACTED_HEADERS = ("authorization", "cookie")
# Standard logging v2 fields (CloudFront Developer Guide, "Configure standard logging (v2)": the CreateDelivery
# example's record fields), without cs-uri-query and cs(Cookie).
STANDARD_LOG_FIELDS = (
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem", "sc-status",
    "cs(Referer)", "cs(User-Agent)", "x-edge-result-type", "x-edge-request-id", "x-host-header", "cs-protocol",
    "cs-bytes", "time-taken", "x-forwarded-for", "ssl-protocol", "ssl-cipher", "x-edge-response-result-type",
    "cs-protocol-version", "c-port", "time-to-first-byte", "x-edge-detailed-result-type", "sc-content-type",
    "sc-content-len", "sc-range-start", "sc-range-end", "c-country", "cache-behavior-path-pattern")
# Real-time log fields (CloudFront Developer Guide, "Use real-time access logs", fields), the same omissions.
REALTIME_LOG_FIELDS = (
    "timestamp", "c-ip", "time-to-first-byte", "sc-status", "sc-bytes", "cs-method", "cs-protocol", "cs-host",
    "cs-uri-stem", "cs-bytes", "x-edge-location", "x-edge-request-id", "x-host-header", "time-taken",
    "cs-protocol-version", "x-edge-response-result-type", "ssl-protocol", "x-edge-result-type",
    "x-edge-detailed-result-type", "c-country", "cache-behavior-path-pattern", "origin-fbl", "origin-lbl", "asn")
# The default behavior answers 404 for every path that is not an edge bucket's: nothing else reaches RustFS
# (CloudFront Functions, cloudfront-js-2.0: a viewer-request function that returns a response object ends the
# request at the edge).
NOT_FOUND_FUNCTION = """function handler(event) {
    return { statusCode: 404, statusDescription: 'Not Found' };
}
"""


def bucket_path_pattern(bucket: str) -> str:
    """The cache behavior of a bucket: path-style ``/<bucket>/<key>``, forwarded unchanged to RustFS."""
    return f"/{bucket}/*"


def edge_bucket_policy(bucket: str, source_cidrs: list[str]) -> dict:
    """The RustFS bucket policy that lets the edge (and nothing else anonymous) read ``bucket``'s objects."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "EdgeReadsThroughCloudFront", "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"IpAddress": {"aws:SourceIp": sorted(source_cidrs)}}}]}


def _visibility(metric: str) -> dict:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def web_acl_rules(*, rate_limit: int, blocked_countries: tuple[str, ...] = (),
                  allowed_countries: tuple[str, ...] = ()) -> list[dict]:
    """The edge web ACL's rules (pulumi-aws WebAclRuleArgs as dicts), lowest priority first."""
    rules: list[dict] = []
    if blocked_countries or allowed_countries:
        geo = {"geo_match_statement": {"country_codes": sorted(blocked_countries or allowed_countries)}}
        statement = geo if blocked_countries else {"not_statement": {"statement": geo}}
        rules.append({"name": GEO_RULE, "priority": 0, "action": {"block": {}}, "statement": statement,
                      "visibility_config": _visibility(GEO_RULE)})
    for name, _ in MANAGED_RULE_GROUPS:
        rules.append({"name": f"AWS-{name}", "priority": len(rules), "override_action": {"none": {}},
                      "statement": {"managed_rule_group_statement": {"name": name, "vendor_name": "AWS"}},
                      "visibility_config": _visibility(name)})
    rules.append({"name": RATE_RULE, "priority": len(rules), "action": {"block": {}},
                  "statement": {"rate_based_statement": {"limit": rate_limit, "aggregate_key_type": "IP",
                                                         "evaluation_window_sec": 300}},
                  "visibility_config": _visibility(RATE_RULE)})
    return rules


def waf_log_group_name(name: str) -> str:
    """WAF logs to CloudWatch Logs only into groups named aws-waf-logs-* (AWS WAF Developer Guide, "Sending web ACL
    traffic logs to an Amazon CloudWatch Logs log group")."""
    return f"aws-waf-logs-{name}"


def access_log_group_name(name: str) -> str:
    """CloudFront's standard logs (v2) log group: only [\\w-] in its name (CloudFront Developer Guide, "Configure
    standard logging (v2)", send logs to CloudWatch Logs)."""
    return f"{name}-cloudfront-access"


def edge_key_policy(*, partition: str, account_id: str, log_group_arns: list[str],
                    key_admin_role_arn: str | None = None) -> dict:
    """The us-east-1 key of the edge's logs (and the real-time log stream), administered like every key of the stack
    (security/key_policies.py ``administration``: the account through IAM, or with ``security.keyAdminRoleArn`` that
    role, the account then using the key only through CloudWatch Logs and Kinesis of us-east-1), and CloudWatch Logs
    of us-east-1 encrypts only the edge's log groups with it (CloudWatch Logs User Guide, "Encrypt log data in
    CloudWatch Logs using AWS KMS": the encryption context names the log group)."""
    root = f"arn:{partition}:iam::{account_id}:root"
    return {"Version": "2012-10-17", "Statement": [
        *administration(root, account_id, ["kinesis.us-east-1.amazonaws.com", "logs.us-east-1.amazonaws.com"],
                        key_admin_role_arn),
        {"Sid": "CloudWatchLogsEncryptsEdgeLogGroups", "Effect": "Allow",
         "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
         "Action": ["kms:Decrypt*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"], "Resource": "*",
         "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": sorted(log_group_arns)}}},
    ]}


def log_delivery_policy(*, partition: str, account_id: str, log_group_arns: list[str]) -> dict:
    """The CloudWatch Logs resource policy of us-east-1 that lets the log delivery service write WAF's and
    CloudFront's logs into the edge's groups (CloudWatch Logs User Guide, "Enabling logging from AWS services",
    logs sent to CloudWatch Logs: delivery.logs.amazonaws.com, aws:SourceAccount and aws:SourceArn)."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "LogDeliveryWritesEdgeLogs", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": [f"{a}:log-stream:*" for a in
                                                                              sorted(log_group_arns)],
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                      "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:us-east-1:{account_id}:*"}}}]}


def realtime_log_role_policy(*, stream_arn: str, key_arn: str) -> dict:
    """What CloudFront may do with the real-time log stream through its role (CloudFront Developer Guide, "Use
    real-time access logs", IAM role: kinesis:DescribeStreamSummary, DescribeStream, PutRecord, PutRecords; with an
    encrypted stream kms:GenerateDataKey on its key)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "PutRealtimeLogRecords", "Effect": "Allow", "Resource": stream_arn,
         "Action": ["kinesis:DescribeStreamSummary", "kinesis:DescribeStream", "kinesis:PutRecord",
                    "kinesis:PutRecords"]},
        {"Sid": "EncryptRealtimeLogRecords", "Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": key_arn,
         "Condition": {"StringEquals": {"kms:ViaService": "kinesis.us-east-1.amazonaws.com"}}},
    ]}


def cloudfront_trust_policy() -> dict:
    """CloudFront assumes the real-time log role; the guide's trust policy has no source condition."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
