"""CloudFront distributions, VPC origins, cache and origin-request policies, and WAF web ACLs.

What CloudFront must do for the stack's edge (components/edge/): HTTPS to viewers with TLSv1.2_2021 or newer on a
certificate of its own (the ``*.cloudfront.net`` one always accepts CloudFront's oldest policy), HTTPS with TLS 1.2
to origins, a WAF web ACL with the AWS managed groups and a rate limit, logs (standard logging v2 through CloudWatch
vended-log deliveries, or the legacy S3 logging), security response headers, Origin Shield, and never a viewer's
Authorization header in a cache key or an origin request (a cache key holding it would also forward it; an origin
request policy cannot name it: CloudFront Developer Guide, "Control origin requests with a policy").
"""

from __future__ import annotations

from pulumi_policy import Severity

from ._kit import Res, aws, get, is_false, is_true, is_unknown, items, known_num, resource_policy, stack_policy

DISTRIBUTION = aws("cloudfront", "Distribution")
VPC_ORIGIN = aws("cloudfront", "VpcOrigin")
CACHE_POLICY = aws("cloudfront", "CachePolicy")
ORIGIN_REQUEST_POLICY = aws("cloudfront", "OriginRequestPolicy")
RESPONSE_HEADERS_POLICY = aws("cloudfront", "ResponseHeadersPolicy")
MONITORING = aws("cloudfront", "MonitoringSubscription")
DELIVERY_SOURCE = aws("cloudwatch", "LogDeliverySource")
DELIVERY = aws("cloudwatch", "LogDelivery")
WEB_ACL = aws("wafv2", "WebAcl")
WEB_ACL_LOGGING = aws("wafv2", "WebAclLoggingConfiguration")
# CloudFront's viewer security policies, oldest first (CloudFront API Reference, ViewerCertificate).
VIEWER_POLICIES = ("SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016", "TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021",
                   "TLSv1.2_2025", "TLSv1.3_2025")
CREDENTIAL_HEADERS = ("authorization",)


def _behaviors(res: Res) -> list[tuple[str, dict]]:
    found = [("defaultCacheBehavior", res.get("defaultCacheBehavior"))]
    found += [(f"orderedCacheBehaviors[{i}]", b) for i, b in enumerate(res.items("orderedCacheBehaviors"))]
    return [(label, b) for label, b in found if isinstance(b, dict)]


def _check_tls(res: Res, cfg: dict, report) -> None:
    for label, behavior in _behaviors(res):
        policy = behavior.get("viewerProtocolPolicy")
        if isinstance(policy, str) and policy == "allow-all":
            report(f"Distribution '{res.name}' {label} serves plain HTTP (viewerProtocolPolicy allow-all).")
    cert = res.get("viewerCertificate")
    version = cert.get("minimumProtocolVersion") if isinstance(cert, dict) else None
    floor = cfg["minimumViewerProtocol"]
    if isinstance(version, str) and not is_true(cert.get("cloudfrontDefaultCertificate")) and (
            version not in VIEWER_POLICIES or VIEWER_POLICIES.index(version) < VIEWER_POLICIES.index(floor)):
        report(f"Distribution '{res.name}' accepts viewers with the security policy {version}; use {floor} or newer.")
    for i, origin in enumerate(res.items("origins")):
        custom = origin.get("customOriginConfig") if isinstance(origin, dict) else None
        if isinstance(custom, dict):
            if custom.get("originProtocolPolicy") in ("http-only", "match-viewer"):
                report(f"Distribution '{res.name}' origins[{i}] may reach the origin over HTTP "
                       f"({custom.get('originProtocolPolicy')}).")
            protocols = custom.get("originSslProtocols")
            if isinstance(protocols, list) and set(protocols) - {"TLSv1.2"}:
                report(f"Distribution '{res.name}' origins[{i}] allows origin protocols "
                       f"{sorted(set(protocols) - {'TLSv1.2'})}.")


distribution_tls = resource_policy(
    "rustfs-cloudfront-distribution-require-tls12",
    "CloudFront serves viewers over HTTPS with TLSv1.2_2021 or newer and reaches custom origins over TLS 1.2.",
    severity=Severity.HIGH, types=[DISTRIBUTION], check=_check_tls,
    checks=["CKV_AWS_34", "CKV_AWS_174", "CKV2_AWS_54", "CloudFront.3", "CloudFront.9", "CloudFront.10"],
    topics=["encryption"],
    config={"minimumViewerProtocol": {"type": "string", "enum": list(VIEWER_POLICIES), "default": "TLSv1.2_2021",
                                      "description": "the oldest viewer security policy accepted"}})


def _check_certificate(res: Res, cfg: dict, report) -> None:
    cert = res.get("viewerCertificate")
    if isinstance(cert, dict) and is_true(cert.get("cloudfrontDefaultCertificate")):
        report(f"Distribution '{res.name}' uses the default *.cloudfront.net certificate, on which CloudFront keeps "
               "its TLSv1 security policy; give it a domain and an ACM certificate of us-east-1 (edge.domainName).")


distribution_certificate = resource_policy(
    "rustfs-cloudfront-distribution-require-custom-certificate",
    "CloudFront distributions serve a certificate of their own (the default one cannot set a minimum TLS version).",
    severity=Severity.MEDIUM, types=[DISTRIBUTION], check=_check_certificate,
    checks=["CloudFront.7", "CKV2_AWS_42"], topics=["encryption"])


def _check_vpc_origin(res: Res, cfg: dict, report) -> None:
    endpoint = res.get("vpcOriginEndpointConfig")
    if not isinstance(endpoint, dict):
        return
    if endpoint.get("originProtocolPolicy") in ("http-only", "match-viewer"):
        report(f"VPC origin '{res.name}' reaches the origin over HTTP ({endpoint.get('originProtocolPolicy')}).")
    protocols = [p for block in items(endpoint, "originSslProtocols") if isinstance(block, dict)
                 for p in items(block, "items")]
    if set(protocols) - {"TLSv1.2"}:
        report(f"VPC origin '{res.name}' allows origin protocols {sorted(set(protocols) - {'TLSv1.2'})}.")


vpc_origin_tls = resource_policy(
    "rustfs-cloudfront-vpcorigin-require-https",
    "CloudFront VPC origins use HTTPS with TLS 1.2 only.",
    severity=Severity.HIGH, types=[VPC_ORIGIN], check=_check_vpc_origin, checks=["CKV2_AWS_54"],
    topics=["encryption"])


def _check_waf(res: Res, cfg: dict, report) -> None:
    acl = res.get("webAclId")
    if acl is None:
        report(f"Distribution '{res.name}' has no WAF web ACL (webAclId).")
    elif isinstance(acl, str) and not acl.startswith("arn:"):
        report(f"Distribution '{res.name}' names a WAF Classic web ACL ({acl}); use a WAFv2 web ACL of scope "
               "CLOUDFRONT (its ARN).")


distribution_waf = resource_policy(
    "rustfs-cloudfront-distribution-require-waf",
    "CloudFront distributions are protected by a WAFv2 web ACL.",
    severity=Severity.HIGH, types=[DISTRIBUTION], check=_check_waf, checks=["CKV_AWS_68", "CloudFront.6"],
    topics=["exposure"])


def _logged(dist: Res, sources: list[Res], deliveries: list[Res]) -> bool:
    legacy = dist.get("loggingConfig")
    if isinstance(legacy, dict) and legacy.get("bucket") is not None:
        return True
    mine = [s for s in sources if s.refers_to("resourceArn", dist)
            and (s.get("logType") == "ACCESS_LOGS" or is_unknown(s.get("logType")))]
    return any(d.refers_to("deliverySourceName", s) for s in mine for d in deliveries)


def _check_logging(resources: list[Res], cfg: dict, report) -> None:
    sources = [r for r in resources if r.type == DELIVERY_SOURCE]
    deliveries = [r for r in resources if r.type == DELIVERY]
    for dist in (r for r in resources if r.type == DISTRIBUTION):
        if not _logged(dist, sources, deliveries):
            report(f"Distribution '{dist.name}' has no access logs: neither standard logging v2 (a LogDeliverySource "
                   "of ACCESS_LOGS for it with a LogDelivery) nor loggingConfig.bucket.", dist.urn)


distribution_logging = stack_policy(
    "rustfs-cloudfront-distribution-require-logging",
    "CloudFront distributions log every request: standard logging v2 (a delivery source and delivery) or legacy S3.",
    severity=Severity.MEDIUM, types=[DISTRIBUTION, DELIVERY_SOURCE, DELIVERY], check=_check_logging,
    checks=["CKV_AWS_86", "CloudFront.5"], topics=["logging"])


def _headers_policy_problems(policy: Res, min_hsts: float) -> list[str]:
    security = policy.get("securityHeadersConfig")
    if is_unknown(security):
        return []
    hsts = get(security, "strictTransportSecurity", "accessControlMaxAgeSec")
    out = []
    if hsts is None or (known_num(hsts) is not None and hsts < min_hsts):
        out.append(f"Strict-Transport-Security of at least {min_hsts:g} s")
    if get(security, "contentTypeOptions") is None:
        out.append("X-Content-Type-Options nosniff")
    return out


def _check_security_headers(resources: list[Res], cfg: dict, report) -> None:
    policies = [r for r in resources if r.type == RESPONSE_HEADERS_POLICY]
    for dist in (r for r in resources if r.type == DISTRIBUTION):
        for label, behavior in _behaviors(dist):
            if behavior.get("responseHeadersPolicyId") is None:
                report(f"Distribution '{dist.name}' {label} adds no security response headers "
                       "(responseHeadersPolicyId).", dist.urn)
        for policy in (p for p in policies if dist.refers_to("defaultCacheBehavior", p)
                       or dist.refers_to("orderedCacheBehaviors", p)):
            missing = _headers_policy_problems(policy, cfg["minHstsSeconds"])
            if missing:
                report(f"Response headers policy '{policy.name}' of distribution '{dist.name}' lacks "
                       f"{', '.join(missing)}.", policy.urn)


distribution_security_headers = stack_policy(
    "rustfs-cloudfront-distribution-require-security-headers",
    "Every CloudFront behavior attaches a response-headers policy with HSTS (a year or more) and nosniff.",
    severity=Severity.MEDIUM, types=[DISTRIBUTION, RESPONSE_HEADERS_POLICY], check=_check_security_headers,
    checks=["CKV2_AWS_32"], topics=["encryption"],
    config={"minHstsSeconds": {"type": "number", "minimum": 0, "default": 31_536_000}})


def _check_origin_shield(res: Res, cfg: dict, report) -> None:
    for i, origin in enumerate(res.items("origins")):
        if not isinstance(origin, dict) or origin.get("s3OriginConfig") is not None:
            continue  # an S3 origin with OAC: S3 absorbs the load, Origin Shield only adds request charges
        shield = origin.get("originShield")
        if is_unknown(shield):
            continue
        if not isinstance(shield, dict) or not is_true(shield.get("enabled")):
            report(f"Distribution '{res.name}' origins[{i}] has no Origin Shield: every regional edge cache would "
                   "fetch misses from the origin itself (RustFS).")


distribution_origin_shield = resource_policy(
    "rustfs-cloudfront-distribution-require-origin-shield",
    "CloudFront custom and VPC origins go through Origin Shield, so one cache layer fetches from RustFS.",
    severity=Severity.LOW, types=[DISTRIBUTION], check=_check_origin_shield, topics=["resilience"])


def _credential_headers(names) -> list[str]:
    return sorted({n for n in (names if isinstance(names, list) else []) if isinstance(n, str)
                   and n.lower() in CREDENTIAL_HEADERS})


def _check_authorization(res: Res, cfg: dict, report) -> None:
    if res.type == CACHE_POLICY:
        key = res.get("parametersInCacheKeyAndForwardedToOrigin")
        found = _credential_headers(get(key, "headersConfig", "headers", "items"))
        if found:
            report(f"Cache policy '{res.name}' puts {', '.join(found)} in the cache key, so CloudFront also forwards "
                   "viewers' credentials to the origin.")
    elif res.type == ORIGIN_REQUEST_POLICY:
        found = _credential_headers(get(res.props, "headersConfig", "headers", "items"))
        if found:
            report(f"Origin request policy '{res.name}' forwards {', '.join(found)} (viewers' credentials).")
    else:
        for label, behavior in _behaviors(res):
            headers = get(behavior, "forwardedValues", "headers")
            found = _credential_headers(headers)
            if found or (isinstance(headers, list) and "*" in headers):
                report(f"Distribution '{res.name}' {label} forwards "
                       f"{', '.join(found) if found else 'every header'} to the origin (forwardedValues.headers).")
        for i, origin in enumerate(res.items("origins")):
            names = [h.get("name") for h in items(origin, "customHeaders") if isinstance(h, dict)]
            found = _credential_headers(names)
            if found:
                report(f"Distribution '{res.name}' origins[{i}] sends a fixed {', '.join(found)} header.")


authorization = resource_policy(
    "rustfs-cloudfront-cachepolicy-disallow-authorization",
    "No cache key, origin request policy, legacy forwarded-values list or origin header carries Authorization.",
    severity=Severity.HIGH, types=[CACHE_POLICY, ORIGIN_REQUEST_POLICY, DISTRIBUTION], check=_check_authorization,
    topics=["exposure", "encryption"])


def _check_metrics(resources: list[Res], cfg: dict, report) -> None:
    subscriptions = [r for r in resources if r.type == MONITORING]
    for dist in (r for r in resources if r.type == DISTRIBUTION):
        enabled = [s for s in subscriptions if s.refers_to("distributionId", dist) and get(
            s.props, "monitoringSubscription", "realtimeMetricsSubscriptionConfig",
            "realtimeMetricsSubscriptionStatus") != "Disabled"]
        if not enabled:
            report(f"Distribution '{dist.name}' has no real-time metrics (a MonitoringSubscription: cache hit rate, "
                   "origin latency, error rates by status).", dist.urn)


distribution_metrics = stack_policy(
    "rustfs-cloudfront-distribution-require-realtime-metrics",
    "CloudFront distributions have their additional real-time metrics turned on (monitoring subscription).",
    severity=Severity.LOW, types=[DISTRIBUTION, MONITORING], check=_check_metrics, topics=["logging"])


def _rule_statements(rule) -> dict:
    return get(rule, "statement") if isinstance(rule, dict) else None


def _check_web_acl(res: Res, cfg: dict, report) -> None:
    visibility = res.get("visibilityConfig")
    if isinstance(visibility, dict) and is_false(visibility.get("cloudwatchMetricsEnabled")):
        report(f"Web ACL '{res.name}' publishes no CloudWatch metrics.")
    rules = res.get("rules")
    if not is_unknown(rules) and not res.items("rules") and res.get("ruleJson") is None:
        report(f"Web ACL '{res.name}' has no rules: it only applies its default action.")
    names = {str(get(r, "statement", "managedRuleGroupStatement", "name")) for r in res.items("rules")
             if isinstance(r, dict)}
    missing = [g for g in cfg["requiredManagedRuleGroups"] if g not in names]
    if res.items("rules") and missing:
        report(f"Web ACL '{res.name}' lacks the AWS managed rule groups {', '.join(missing)}.")
    counted = [str(r.get("name")) for r in res.items("rules") if isinstance(r, dict)
               and get(r, "statement", "managedRuleGroupStatement") is not None
               and get(r, "overrideAction", "count") is not None]
    if counted:
        report(f"Web ACL '{res.name}' only counts what the managed rule groups {', '.join(counted)} match "
               "(overrideAction count).")


web_acl = resource_policy(
    "rustfs-wafv2-webacl-require-managed-rules",
    "WAF web ACLs enforce the AWS IP reputation, common and known-bad-inputs (Log4j) managed groups, with metrics.",
    severity=Severity.MEDIUM, types=[WEB_ACL], check=_check_web_acl,
    checks=["CKV_AWS_192", "CKV2_AWS_47", "WAF.10", "WAF.12"], topics=["exposure"],
    config={"requiredManagedRuleGroups": {"type": "array", "items": {"type": "string"},
                                          "default": ["AWSManagedRulesAmazonIpReputationList",
                                                      "AWSManagedRulesCommonRuleSet",
                                                      "AWSManagedRulesKnownBadInputsRuleSet"]}})


def _check_rate_limit(res: Res, cfg: dict, report) -> None:
    rules = res.get("rules")
    if is_unknown(rules) or res.get("ruleJson") is not None:
        return
    limits = [known_num(get(r, "statement", "rateBasedStatement", "limit")) for r in res.items("rules")
              if isinstance(r, dict) and get(r, "statement", "rateBasedStatement") is not None
              and get(r, "action", "block") is not None]
    if not limits:
        report(f"Web ACL '{res.name}' has no rate-based rule that blocks: one client can send unlimited requests.")
    elif all(limit is not None and limit > cfg["maxRateLimit"] for limit in limits):
        report(f"Web ACL '{res.name}' rate limits only above {cfg['maxRateLimit']:g} requests per window.")


web_acl_rate_limit = resource_policy(
    "rustfs-wafv2-webacl-require-rate-limit",
    "WAF web ACLs block clients above a per-IP request rate (a rate-based rule with a block action).",
    severity=Severity.MEDIUM, types=[WEB_ACL], check=_check_rate_limit, topics=["exposure"],
    config={"maxRateLimit": {"type": "number", "minimum": 10, "default": 100_000,
                             "description": "the highest per-window limit that still counts as a limit"}})


def _check_waf_logging(resources: list[Res], cfg: dict, report) -> None:
    configs = [r for r in resources if r.type == WEB_ACL_LOGGING]
    for acl in (r for r in resources if r.type == WEB_ACL):
        if not any(c.refers_to("resourceArn", acl) for c in configs):
            report(f"Web ACL '{acl.name}' has no logging configuration.", acl.urn)


web_acl_logging = stack_policy(
    "rustfs-wafv2-webacl-require-logging",
    "Every WAF web ACL has a logging configuration.",
    severity=Severity.LOW, types=[WEB_ACL, WEB_ACL_LOGGING], check=_check_waf_logging,
    checks=["CKV2_AWS_31", "WAF.11"], topics=["logging"])


def _check_redaction(res: Res, cfg: dict, report) -> None:
    fields = res.get("redactedFields")
    if is_unknown(fields):
        return
    redacted = {str(get(f, "singleHeader", "name")).lower() for f in res.items("redactedFields") if isinstance(f, dict)}
    missing = [h for h in cfg["headers"] if h.lower() not in redacted]
    if missing:
        report(f"WAF logging '{res.name}' writes the {', '.join(missing)} header(s) of every request into the logs "
               "(redactedFields singleHeader).")


web_acl_redaction = resource_policy(
    "rustfs-wafv2-loggingconfiguration-require-redacted-credentials",
    "WAF logs redact the headers that carry credentials (Authorization, Cookie).",
    severity=Severity.MEDIUM, types=[WEB_ACL_LOGGING], check=_check_redaction, topics=["logging", "exposure"],
    config={"headers": {"type": "array", "items": {"type": "string"}, "default": ["authorization", "cookie"]}})

POLICIES = [distribution_tls, distribution_certificate, vpc_origin_tls, distribution_waf, distribution_logging,
            distribution_security_headers, distribution_origin_shield, authorization, distribution_metrics, web_acl,
            web_acl_rate_limit, web_acl_logging, web_acl_redaction]
