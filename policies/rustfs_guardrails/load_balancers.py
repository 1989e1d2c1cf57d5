"""Network/application load balancers, listeners and target groups."""

from __future__ import annotations

import re

from pulumi_policy import Severity

from ._env import ENVIRONMENT_CONFIG, environment, is_prod
from ._kit import Res, aws, get, is_false, is_true, is_unknown, known_num, known_str, resource_policy

LBS = [aws("lb", "LoadBalancer"), aws("alb", "LoadBalancer")]
LISTENERS = [aws("lb", "Listener"), aws("alb", "Listener")]
TARGET_GROUPS = [aws("lb", "TargetGroup"), aws("alb", "TargetGroup")]


def _check_internal(res: Res, cfg: dict, report) -> None:
    if is_false(res.get("internal")) or res.get("internal") is None:
        if any(re.search(p, res.name) for p in cfg["allowInternetFacing"]):
            return
        report(f"Load balancer '{res.name}' is internet-facing (internal is not true); RustFS is served "
               "privately unless a name pattern in allowInternetFacing says otherwise.")


lb_internal = resource_policy(
    "rustfs-elb-loadbalancer-require-internal",
    "Load balancers are internal unless explicitly allowed to face the internet.",
    severity=Severity.HIGH, types=LBS, check=_check_internal, checks=["trivy:AWS-0053"], topics=["exposure"],
    config={"allowInternetFacing": {"type": "array", "items": {"type": "string"}, "default": [],
                                    "description": "regexes on resource names allowed to be internet-facing"}})


def _check_access_logs(res: Res, cfg: dict, report) -> None:
    logs = res.get("accessLogs")
    if not isinstance(logs, dict) and logs is not None:
        return  # unknown
    if logs is None or is_false(logs.get("enabled")) or (logs.get("bucket") in (None, "")):
        report(f"Load balancer '{res.name}' has no access logs (accessLogs.enabled with a bucket).")


lb_access_logs = resource_policy(
    "rustfs-elb-loadbalancer-require-access-logs",
    "Load balancers write access logs to S3.",
    severity=Severity.MEDIUM, types=LBS, check=_check_access_logs,
    checks=["CKV_AWS_91", "ELB.5", "awsguard:elb-logging-enabled"], topics=["logging"])


def _check_deletion_protection(res: Res, cfg: dict, report) -> None:
    value = res.get("enableDeletionProtection")
    if is_prod(environment(res, cfg), cfg) and not is_true(value) and not is_unknown(value):
        report(f"Load balancer '{res.name}' in production has no deletion protection.")


lb_deletion_protection = resource_policy(
    "rustfs-elb-loadbalancer-require-deletion-protection",
    "Production load balancers enable deletion protection.",
    severity=Severity.MEDIUM, types=LBS, check=_check_deletion_protection,
    checks=["CKV_AWS_150", "ELB.6", "awsguard:elb-deletion-protection-enabled"], topics=["resilience"],
    config=ENVIRONMENT_CONFIG)


def _check_cross_zone(res: Res, cfg: dict, report) -> None:
    value = res.get("enableCrossZoneLoadBalancing")
    if res.get("loadBalancerType") == "network" and (value is None or is_false(value)):
        report(f"Network load balancer '{res.name}' does not enable cross-zone load balancing: an AZ "
               "with fewer healthy RustFS nodes would get an equal share of requests.")


lb_cross_zone = resource_policy(
    "rustfs-elb-loadbalancer-require-cross-zone",
    "Network load balancers enable cross-zone load balancing.",
    severity=Severity.LOW, types=LBS, check=_check_cross_zone, checks=["CKV_AWS_152", "ELB.9"],
    topics=["resilience"])


def _check_invalid_headers(res: Res, cfg: dict, report) -> None:
    if res.get("loadBalancerType") in (None, "application") and res.get("dropInvalidHeaderFields") in (None, False):
        report(f"Application load balancer '{res.name}' does not drop invalid HTTP header fields.")


lb_drop_invalid_headers = resource_policy(
    "rustfs-elb-loadbalancer-require-drop-invalid-headers",
    "Application load balancers drop invalid HTTP header fields (request smuggling).",
    severity=Severity.LOW, types=LBS, check=_check_invalid_headers, checks=["CKV_AWS_131", "ELB.4"],
    topics=["network"])


_MODERN_TLS = re.compile(r"TLS13-1-[23]|TLS-1-2|FS-1-2")


def _check_tls_policy(res: Res, cfg: dict, report) -> None:
    protocol = known_str(res.get("protocol"))
    if protocol in ("TLS", "HTTPS"):
        policy = res.get("sslPolicy")
        if policy is None:
            report(f"{protocol} listener '{res.name}' has no sslPolicy: AWS picks ELBSecurityPolicy-2016-08, "
                   "which accepts TLS 1.0.")
        elif isinstance(policy, str) and policy not in cfg["allowedPolicies"] and not _MODERN_TLS.search(policy):
            report(f"{protocol} listener '{res.name}' uses {policy}, which allows TLS older than 1.2.")
    elif protocol == "HTTP":
        redirects = [a for a in res.items("defaultActions") if isinstance(a, dict) and a.get("type") == "redirect"
                     and get(a, "redirect", "protocol") == "HTTPS"]
        if not redirects:
            report(f"HTTP listener '{res.name}' serves plain HTTP instead of redirecting to HTTPS.")


listener_tls = resource_policy(
    "rustfs-elb-listener-require-tls12",
    "TLS/HTTPS listeners use a TLS 1.2+ security policy; HTTP listeners only redirect to HTTPS.",
    severity=Severity.HIGH, types=LISTENERS, check=_check_tls_policy,
    checks=["CKV_AWS_103", "CKV_AWS_2", "ELB.17", "ELB.1"], topics=["encryption", "network"],
    config={"allowedPolicies": {"type": "array", "items": {"type": "string"}, "default": [],
                                "description": "extra policy names accepted besides TLS 1.2+/1.3 policies"}})


def _is_rustfs_target_group(res: Res, cfg: dict) -> bool:
    tags = res.get("tags")
    return known_num(res.get("port")) == cfg["s3Port"] or (isinstance(tags, dict) and "rustfs:cluster" in tags)


def _check_health_check(res: Res, cfg: dict, report) -> None:
    check = res.get("healthCheck")
    if not isinstance(check, dict) and check is not None:
        return
    check = check or {}
    if is_false(check.get("enabled")):
        report(f"Target group '{res.name}' disables health checks.")
        return
    if not _is_rustfs_target_group(res, cfg):
        return
    protocol, path = check.get("protocol"), check.get("path")
    if isinstance(protocol, str) and protocol not in ("HTTP", "HTTPS") or protocol is None:
        report(f"RustFS target group '{res.name}' health check protocol is {protocol or 'TCP (default)'}: a TCP "
               f"check passes on a node without quorum; use HTTP(S) {cfg['readyPath']}.")
    elif isinstance(path, str) and path != cfg["readyPath"] or path is None:
        report(f"RustFS target group '{res.name}' health check path is {path!r}; use {cfg['readyPath']} "
               "(503 without storage/IAM/lock quorum).")
    threshold = known_num(check.get("unhealthyThreshold"))
    if threshold is not None and threshold < cfg["minUnhealthyThreshold"]:
        report(f"RustFS target group '{res.name}' unhealthyThreshold={threshold:g}: /health/ready can flap "
               f"briefly (rustfs#7950); use ≥ {cfg['minUnhealthyThreshold']}.")


target_group_health = resource_policy(
    "rustfs-elb-targetgroup-require-ready-health-check",
    "Target groups keep health checks on; RustFS target groups check HTTP(S) /health/ready and tolerate "
    "brief flaps.",
    severity=Severity.HIGH, types=TARGET_GROUPS, check=_check_health_check, checks=["CKV_AWS_261"],
    topics=["resilience"],
    config={"s3Port": {"type": "number", "default": 9000}, "readyPath": {"type": "string", "default": "/health/ready"},
            "minUnhealthyThreshold": {"type": "number", "minimum": 1, "default": 2}})

POLICIES = [lb_internal, lb_access_logs, lb_deletion_protection, lb_cross_zone, lb_drop_invalid_headers,
            listener_tls, target_group_health]
