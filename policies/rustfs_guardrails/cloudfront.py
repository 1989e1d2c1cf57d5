"""CloudFront distributions, VPC origins and WAF web ACLs."""

from __future__ import annotations

from pulumi_policy import Severity

from ._kit import Res, aws, get, is_false, is_true, is_unknown, items, resource_policy, stack_policy

DISTRIBUTION = aws("cloudfront", "Distribution")
VPC_ORIGIN = aws("cloudfront", "VpcOrigin")
WEB_ACL = aws("wafv2", "WebAcl")
WEB_ACL_LOGGING = aws("wafv2", "WebAclLoggingConfiguration")
_MODERN_VIEWER = ("TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")


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
    if isinstance(cert, dict):
        version = cert.get("minimumProtocolVersion")
        if is_true(cert.get("cloudfrontDefaultCertificate")):
            report(f"Distribution '{res.name}' uses the default *.cloudfront.net certificate, which allows TLS 1.0.")
        elif isinstance(version, str) and version not in _MODERN_VIEWER:
            report(f"Distribution '{res.name}' accepts viewers below TLS 1.2 ({version}).")
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


distribution_tls = resource_policy(
    "rustfs-cloudfront-distribution-require-tls12",
    "CloudFront serves viewers over HTTPS with TLS 1.2+ and reaches origins (custom or VPC) over TLS 1.2.",
    severity=Severity.HIGH, types=[DISTRIBUTION], check=_check_tls,
    checks=["CKV_AWS_34", "CKV_AWS_174", "CKV2_AWS_54", "CloudFront.3", "CloudFront.9", "CloudFront.10"],
    topics=["encryption"])

vpc_origin_tls = resource_policy(
    "rustfs-cloudfront-vpcorigin-require-https",
    "CloudFront VPC origins use HTTPS with TLS 1.2 only.",
    severity=Severity.HIGH, types=[VPC_ORIGIN], check=_check_vpc_origin, checks=["CKV2_AWS_54"],
    topics=["encryption"])


def _check_waf(res: Res, cfg: dict, report) -> None:
    if res.get("webAclId") is None:
        report(f"Distribution '{res.name}' has no WAF web ACL (webAclId).")


distribution_waf = resource_policy(
    "rustfs-cloudfront-distribution-require-waf",
    "CloudFront distributions are protected by a WAF web ACL.",
    severity=Severity.HIGH, types=[DISTRIBUTION], check=_check_waf, checks=["CKV_AWS_68", "CloudFront.6"],
    topics=["exposure"])


def _check_logging(res: Res, cfg: dict, report) -> None:
    logging = res.get("loggingConfig")
    if logging is None or (isinstance(logging, dict) and logging.get("bucket") is None):
        report(f"Distribution '{res.name}' has no access logging (loggingConfig.bucket).")
    default = res.get("defaultCacheBehavior")
    if isinstance(default, dict) and default.get("responseHeadersPolicyId") is None:
        report(f"Distribution '{res.name}' adds no security response headers (responseHeadersPolicyId).")


distribution_logging = resource_policy(
    "rustfs-cloudfront-distribution-require-logging",
    "CloudFront distributions log requests and attach a security response-headers policy.",
    severity=Severity.MEDIUM, types=[DISTRIBUTION], check=_check_logging,
    checks=["CKV_AWS_86", "CKV2_AWS_32", "CloudFront.5"], topics=["logging"])


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


web_acl = resource_policy(
    "rustfs-wafv2-webacl-require-managed-rules",
    "WAF web ACLs carry rules, including the AWS common and known-bad-inputs (Log4j) managed groups, and metrics.",
    severity=Severity.MEDIUM, types=[WEB_ACL], check=_check_web_acl, checks=["CKV_AWS_192", "WAF.10", "WAF.12"],
    topics=["exposure"],
    config={"requiredManagedRuleGroups": {"type": "array", "items": {"type": "string"},
                                          "default": ["AWSManagedRulesCommonRuleSet",
                                                      "AWSManagedRulesKnownBadInputsRuleSet"]}})


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

POLICIES = [distribution_tls, vpc_origin_tls, distribution_waf, distribution_logging, web_acl, web_acl_logging]
