"""The edge: chosen RustFS buckets served through Amazon CloudFront from the private origin (origin.py), protected by
AWS WAF, behind Origin Shield, with standard logs, real-time metrics and optional real-time logs. Everything of
CloudFront's here is created through a second AWS provider in us-east-1.

Design (chosen): a CloudFront VPC origin on the edge's internal ALB; RustFS is never reachable from the internet and
needs no public subnet (CloudFront Developer Guide, "Restrict access with VPC origins"). Path-style addressing: a
viewer asks for ``https://<edge>/<bucket>/<key>``, one cache behavior per edge bucket (``/<bucket>/*``) forwards the
path unchanged, and CloudFront sends the origin domain name as Host (a Host it is not told to forward). RustFS routes
a Host equal to one of its server domains path-style and would take any other dotted Host for a virtual-hosted
bucket (rustfs/s3s crates/s3s/src/host.rs ``MultiDomain::parse_host_header``), so with the console off (the only case
RustFS sets RUSTFS_SERVER_DOMAINS, rustfs/src/server/http.rs at 1.0.0-rc.3) the origin name is one of the nodes'
server domains (__main__.py); with the console on RustFS routes every request path-style. Rejected: virtual-hosted
names per bucket (a certificate and a server domain per bucket, and bucket names with dots break TLS names).

What it serves, honestly: only objects RustFS hands out anonymously, because CloudFront cannot SigV4-sign requests to
a custom origin (it signs only for S3, Lambda URLs and MediaStore/MediaPackage origins through origin access
control). Each edge bucket needs the RustFS bucket policy of documents.edge_bucket_policy (published as the stack
output ``edgeBucketPolicies``): ``s3:GetObject`` for anyone, from the origin subnets only. Private content: buckets
with ``signed: true`` are served only with a CloudFront signed URL or cookie of the key group built from
``edge.publicKeys`` (``trusted_key_groups``); CloudFront checks the signature, RustFS still sees an anonymous read
from the origin. Everything else answers 404 at the edge (a CloudFront Function on the default behavior). GET and
HEAD only: no uploads, listings or other S3 APIs through the edge.

Never a client's credentials: the cache policy keys on the path (and the normalised Accept-Encoding) only, no header,
cookie or query string; the origin request policy forwards nothing from the viewer (RustFS needs nothing but the
path and the Host CloudFront sets), so an ``Authorization`` header a viewer sends never reaches RustFS or a cache key.
CloudFront strips what neither policy names (CloudFront Developer Guide, "Control origin requests with a policy").
Signed-URL query strings are not forwarded either, and are left out of the logs (documents.py).

Origin Shield in the Region CloudFront recommends for the stack's (settings.origin_shield_region). Viewer TLS:
TLSv1.2_2021 or newer with ``edge.domainName`` and an ACM certificate of us-east-1 (given, or requested here and
DNS-validated in ``edge.hostedZoneId``); without a domain the ``*.cloudfront.net`` certificate. HTTP/2 and HTTP/3,
IPv6, redirect to HTTPS, the response-headers policy adds HSTS (2 years), nosniff, DENY framing, a strict referrer
policy and the XSS filter header. Logs: standard logging v2 (CloudWatch vended logs, delivery source in us-east-1
even for an S3 bucket elsewhere: CloudFront Developer Guide, "Configure standard logging (v2)") to the stack's logs
bucket or a log group; real-time metrics through a monitoring subscription (up to 8 extra metrics per distribution,
billed as CloudWatch metrics); real-time logs, optional, to a Kinesis stream. WAF: a CLOUDFRONT-scope web ACL, which
exists only in us-east-1 (AWS WAF Developer Guide: "For CloudFront, you must use the Region US East (N. Virginia)"),
logging to ``aws-waf-logs-<name>`` with the Authorization and Cookie headers redacted.

Rejected: the ``region`` argument pulumi-aws v7 takes on each resource instead of a second provider. It works, but
"everything CloudFront- and WAF-global lives in us-east-1" would be an argument repeated on some twenty resources
(and forgotten on the next), while one provider makes it one decision the tests and the pack can check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.component_args import component_args
from rustfs_aws.edge import documents
from rustfs_aws.edge.origin import HTTPS_PORT, dns_validated
from rustfs_aws.security.keys import regional_key
from rustfs_aws.tagging import resource_tags

GLOBAL_REGION = "us-east-1"
KEY_PURPOSE = "edge-logs"  # the us-east-1 key's rustfs:key-purpose tag and alias (not the stack's "logs" key)
ORIGIN_ID = "rustfs-edge-origin"
METHODS = ["GET", "HEAD"]
HSTS_SECONDS = 63_072_000  # two years
ORIGIN_KEEPALIVE_SECONDS, ORIGIN_READ_SECONDS = 5, 30  # CloudFront's defaults for custom origins
VPC_ORIGIN_TIMEOUT = "45m"  # create/update/delete of the VPC origin (the provider's default is 15m)


@dataclass
class EdgeBucketArgs:
    """One RustFS bucket the edge serves."""

    name: str
    """The bucket, at ``https://<edge>/<name>/<key>``."""
    signed: bool | None = False
    """Serve only with a CloudFront signed URL or cookie of the key group."""


@dataclass
class EdgeDistributionArgs:
    """Inputs of ``EdgeDistribution``."""

    name: str
    """The deployment's name (``rustfs-prod``): names the resources (CloudFront policy names are per account)."""
    stack: str
    """The stack's short name: the ``rustfs:stack`` tag and the key alias."""
    account_id: pulumi.Input[str]
    """The AWS account (key and log policies)."""
    partition: pulumi.Input[str]
    """The AWS partition of the ARNs."""
    origin_arn: pulumi.Input[str]
    """The internal ALB the VPC origin points at (``EdgeOrigin.endpoint_arn``: after the VPC's internet gateway)."""
    origin_domain_name: str
    """The name on the origin's certificate; CloudFront's SNI and Host."""
    origin_shield_region: str
    """Where Origin Shield caches (settings.origin_shield_region)."""
    buckets: list[EdgeBucketArgs]
    """The RustFS buckets served."""
    log_retention_days: int
    """Days the edge's log groups keep WAF's (and CloudFront's) logs."""
    domain_name: str | None = None
    """The viewers' name; unset: the distribution's ``*.cloudfront.net`` name."""
    viewer_certificate_arn: str | None = None
    """ACM certificate of us-east-1 for ``domain_name``; unset: requested and DNS-validated in ``hosted_zone_id``."""
    hosted_zone_id: str | None = None
    """Public Route 53 zone: the viewer certificate's validation and the alias records of ``domain_name``."""
    price_class: str | None = "PriceClass_100"
    """``PriceClass_100`` | ``PriceClass_200`` | ``PriceClass_All``."""
    minimum_protocol_version: str | None = "TLSv1.2_2021"
    """The viewer TLS policy with ``domain_name``."""
    min_ttl_seconds: int | None = 0
    """The cache policy's minimum TTL."""
    default_ttl_seconds: int | None = 86_400
    """Its TTL for objects that send no Cache-Control or Expires."""
    max_ttl_seconds: int | None = 31_536_000
    """Its maximum TTL."""
    public_keys: list[str] | None = field(default_factory=list)
    """PEM public keys of the signing key group (for the signed buckets)."""
    logging_destination: str | None = "s3"
    """``s3`` (the logs bucket) | ``cloudwatch`` (a log group in us-east-1)."""
    logs_bucket_arn: pulumi.Input[str] | None = None
    """ARN of the stack's logs bucket (with ``s3``)."""
    realtime_logs: bool | None = False
    """Real-time logs to a Kinesis stream in us-east-1."""
    realtime_sampling_rate: int | None = 100
    """Percent of requests in the real-time logs."""
    realtime_shard_count: int | None = 1
    """The stream's shards."""
    permissions_boundary_arn: pulumi.Input[str] | None = None
    """The stack's permissions boundary (the real-time log role)."""
    key_admin_role_arn: str | None = None
    """``security.keyAdminRoleArn``: administers the logs key as it does the stack's keys (security/keys.py)."""
    protect: bool | None = False
    """Protect the logs key like the stack's other keys (prod): deleting it leaves the WAF logs unreadable."""
    rate_limit: int | None = 2_000
    """WAF: requests per client IP in 5 minutes."""
    blocked_countries: list[str] | None = field(default_factory=list)
    """WAF: countries refused."""
    allowed_countries: list[str] | None = field(default_factory=list)
    """WAF: the only countries served."""
    tags: dict[str, str] | None = field(default_factory=dict)
    """Tags on every resource (and the us-east-1 provider's default tags)."""


class EdgeDistribution(pulumi.ComponentResource):
    """CloudFront in front of the edge origin: VPC origin, Origin Shield, the cache, origin-request and
    response-headers policies, the 404 default behavior, the signing key group, WAF, logs and metrics."""

    distribution_id: pulumi.Output[str]
    """The distribution's ID."""
    distribution_arn: pulumi.Output[str]
    """Its ARN."""
    domain_name: pulumi.Output[str]
    """Its ``*.cloudfront.net`` name (point ``edge.domainName`` at it when the stack makes no alias)."""
    web_acl_arn: pulumi.Output[str]
    """The WAF web ACL's ARN."""
    key_group_id: pulumi.Output[str] | None
    """The signing key group (signed buckets), or None."""

    def __init__(self, name: str, args: EdgeDistributionArgs, opts: pulumi.ResourceOptions | None = None):
        args = component_args(EdgeDistributionArgs, args)
        super().__init__("rustfs:edge:Distribution", name, None, opts)
        self._name, self._args = name, args
        if args.logging_destination == "s3" and args.logs_bucket_arn is None:
            raise ValueError("EdgeDistribution: logging_destination s3 needs logs_bucket_arn")
        # The second provider: CloudFront's and WAF's global resources, their certificate, keys and log groups.
        self.provider = aws.Provider(f"{name}-{GLOBAL_REGION}", region=GLOBAL_REGION,
                                     default_tags={"tags": args.tags}, opts=pulumi.ResourceOptions(parent=self))
        self._global = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self._log_groups()
        self._waf()
        self.vpc_origin = aws.cloudfront.VpcOrigin(
            f"{name}-vpc-origin", vpc_origin_endpoint_config={
                "name": f"{args.name}-edge", "arn": args.origin_arn, "http_port": 80, "https_port": HTTPS_PORT,
                "origin_protocol_policy": "https-only",
                "origin_ssl_protocols": {"items": ["TLSv1.2"], "quantity": 1}},
            # A VPC origin takes a while to reach Deployed, at times longer than the provider's default 15 minutes
            # (terraform-aws-modules/terraform-aws-cloudfront issue 163: "timeout while waiting for state to become
            # 'Deployed' (last state: 'Deploying', timeout: 15m0s)"), which fails the first `pulumi up` and leaves
            # the origin to be untainted by hand; its deletion, after the distribution lets go of it, likewise.
            timeouts={"create": VPC_ORIGIN_TIMEOUT, "update": VPC_ORIGIN_TIMEOUT, "delete": VPC_ORIGIN_TIMEOUT},
            tags=self._tags(f"{name}-vpc-origin"), opts=self._global)
        self._policies()
        self.key_group_id = self._key_group()
        realtime_arn = self._realtime_logs() if args.realtime_logs else None
        self.distribution = self._distribution(realtime_arn)
        self.distribution_id: pulumi.Output[str] = self.distribution.id
        self.distribution_arn: pulumi.Output[str] = self.distribution.arn
        self.domain_name: pulumi.Output[str] = self.distribution.domain_name
        aws.cloudfront.MonitoringSubscription(
            f"{name}-metrics", distribution_id=self.distribution.id,
            monitoring_subscription={"realtime_metrics_subscription_config": {
                "realtime_metrics_subscription_status": "Enabled"}},
            opts=pulumi.ResourceOptions(parent=self.distribution, provider=self.provider))
        self._standard_logs()
        self._alias()
        self.register_outputs({"distributionId": self.distribution_id, "domainName": self.domain_name,
                               "webAclArn": self.web_acl_arn})

    def _tags(self, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return resource_tags(self._args.tags, name, self._args.stack, extra)

    # --- logs: the us-east-1 key, the WAF (and CloudFront) log groups and their delivery policy -------------------

    def _log_groups(self) -> None:
        a, name = self._args, self._name
        names = [documents.waf_log_group_name(a.name)]
        if a.logging_destination == "cloudwatch":
            names.append(documents.access_log_group_name(a.name))
        self.key = regional_key(
            f"{name}-logs-key", purpose=KEY_PURPOSE, description=f"{a.name}: the edge's logs in {GLOBAL_REGION}",
            alias=f"alias/rustfs/{a.stack}/{KEY_PURPOSE}", name=a.name, stack=a.stack, region=GLOBAL_REGION,
            account_id=a.account_id, partition=a.partition, provider=self.provider, parent=self, tags=a.tags,
            alias_resource_name=f"{name}-logs-key-alias", protect=a.protect,
            document=lambda account, partition: documents.edge_key_policy(
                partition=partition, account_id=account, key_admin_role_arn=a.key_admin_role_arn,
                log_group_arns=[f"arn:{partition}:logs:{GLOBAL_REGION}:{account}:log-group:{n}" for n in names]))
        groups = [aws.cloudwatch.LogGroup(f"{name}-{'waf' if i == 0 else 'access'}-logs", name=n,
                                          retention_in_days=a.log_retention_days, kms_key_id=self.key.arn,
                                          tags=self._tags(n), opts=self._global) for i, n in enumerate(names)]
        self.waf_log_group = groups[0]
        self.access_log_group = groups[1] if len(groups) > 1 else None
        delivery = pulumi.Output.all(a.partition, a.account_id, *[g.arn for g in groups]).apply(
            lambda v: json.dumps(documents.log_delivery_policy(partition=v[0], account_id=v[1],
                                                               log_group_arns=list(v[2:]))))
        self.delivery_policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-log-delivery", policy_name=f"{a.name}-edge-log-delivery", policy_document=delivery,
            opts=self._global)

    def _waf(self) -> None:
        a, name = self._args, self._name
        metric = f"{a.name}-edge"
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-waf", name=f"{a.name}-edge", scope="CLOUDFRONT",
            description=f"{a.name}: the RustFS edge (managed rules, rate limit per IP)", default_action={"allow": {}},
            rules=documents.web_acl_rules(rate_limit=a.rate_limit, blocked_countries=tuple(a.blocked_countries),
                                          allowed_countries=tuple(a.allowed_countries)),
            visibility_config={"cloudwatch_metrics_enabled": True, "metric_name": metric,
                               "sampled_requests_enabled": True},
            tags=self._tags(f"{name}-waf"), opts=self._global)
        self.web_acl_arn: pulumi.Output[str] = self.web_acl.arn
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf-logging", resource_arn=self.web_acl.arn, log_destination_configs=[self.waf_log_group.arn],
            redacted_fields=[{"single_header": {"name": h}} for h in documents.REDACTED_HEADERS],
            opts=pulumi.ResourceOptions(parent=self.web_acl, provider=self.provider,
                                        depends_on=[self.delivery_policy]))

    # --- the cache, origin-request and response-headers policies; the 404 function ------------------------------

    def _policies(self) -> None:
        a, name = self._args, self._name
        self.cache_policy = aws.cloudfront.CachePolicy(
            f"{name}-cache", name=f"{a.name}-edge-objects",
            comment="RustFS edge objects: the path is the key, no header, cookie or query string",
            min_ttl=a.min_ttl_seconds, default_ttl=a.default_ttl_seconds, max_ttl=a.max_ttl_seconds,
            parameters_in_cache_key_and_forwarded_to_origin={
                "headers_config": {"header_behavior": "none"}, "cookies_config": {"cookie_behavior": "none"},
                "query_strings_config": {"query_string_behavior": "none"},
                "enable_accept_encoding_gzip": True, "enable_accept_encoding_brotli": True},
            opts=self._global)
        self.origin_request_policy = aws.cloudfront.OriginRequestPolicy(
            f"{name}-origin-request", name=f"{a.name}-edge-nothing-from-viewer",
            comment="Nothing of the viewer's request but its path: RustFS reads the object anonymously",
            headers_config={"header_behavior": "none"}, cookies_config={"cookie_behavior": "none"},
            query_strings_config={"query_string_behavior": "none"}, opts=self._global)
        self.response_headers_policy = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-security-headers", name=f"{a.name}-edge-security-headers",
            comment="HSTS and the usual security headers on every edge response",
            security_headers_config={
                "strict_transport_security": {"access_control_max_age_sec": HSTS_SECONDS, "include_subdomains": True,
                                              "preload": False, "override": True},
                "content_type_options": {"override": True},
                "frame_options": {"frame_option": "DENY", "override": True},
                "referrer_policy": {"referrer_policy": "strict-origin-when-cross-origin", "override": True},
                "xss_protection": {"protection": True, "mode_block": True, "override": True}},
            opts=self._global)
        self.not_found = aws.cloudfront.Function(
            f"{name}-not-found", name=f"{a.name}-edge-not-found", runtime="cloudfront-js-2.0", publish=True,
            comment="404 for every path that is not an edge bucket's", code=documents.NOT_FOUND_FUNCTION,
            opts=self._global)

    def _key_group(self) -> pulumi.Output[str] | None:
        a, name = self._args, self._name
        if not any(b.signed for b in a.buckets):
            return None
        keys = [aws.cloudfront.PublicKey(f"{name}-signing-key-{i}", name=f"{a.name}-edge-signing-{i}",
                                         encoded_key=pem, comment=f"{a.name} edge signed URLs and cookies",
                                         opts=self._global) for i, pem in enumerate(a.public_keys)]
        group = aws.cloudfront.KeyGroup(f"{name}-signers", name=f"{a.name}-edge-signers", items=[k.id for k in keys],
                                        comment="Signers of the edge's signed buckets", opts=self._global)
        return group.id

    def _realtime_logs(self) -> pulumi.Output[str]:
        a, name = self._args, self._name
        stream = aws.kinesis.Stream(
            f"{name}-realtime", name=f"{a.name}-edge-realtime-logs", shard_count=a.realtime_shard_count,
            retention_period=24, encryption_type="KMS", kms_key_id=self.key.arn,
            stream_mode_details={"stream_mode": "PROVISIONED"}, tags=self._tags(f"{name}-realtime"),
            opts=self._global)
        role = aws.iam.Role(f"{name}-realtime-role", name=f"{a.name}-edge-realtime-logs",
                            assume_role_policy=json.dumps(documents.cloudfront_trust_policy()),
                            permissions_boundary=a.permissions_boundary_arn,
                            description="CloudFront writes the edge's real-time logs to their Kinesis stream",
                            tags=self._tags(f"{name}-realtime-role"), opts=self._global)
        policy = aws.iam.RolePolicy(
            f"{name}-realtime-put", role=role.id,
            policy=pulumi.Output.all(stream.arn, self.key.arn).apply(
                lambda v: json.dumps(documents.realtime_log_role_policy(stream_arn=v[0], key_arn=v[1]))),
            opts=pulumi.ResourceOptions(parent=role, provider=self.provider))
        config = aws.cloudfront.RealtimeLogConfig(
            f"{name}-realtime-config", name=f"{a.name}-edge", sampling_rate=a.realtime_sampling_rate,
            fields=list(documents.REALTIME_LOG_FIELDS),
            endpoint={"stream_type": "Kinesis", "kinesis_stream_config": {"role_arn": role.arn,
                                                                          "stream_arn": stream.arn}},
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[policy]))
        return config.arn

    # --- the distribution -----------------------------------------------------------------------------------

    def _behavior(self, realtime_arn, **extra) -> dict:
        return {"target_origin_id": ORIGIN_ID, "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": METHODS, "cached_methods": METHODS, "compress": True,
                "cache_policy_id": self.cache_policy.id, "origin_request_policy_id": self.origin_request_policy.id,
                "response_headers_policy_id": self.response_headers_policy.id,
                **({"realtime_log_config_arn": realtime_arn} if realtime_arn is not None else {}), **extra}

    def _viewer_certificate(self) -> dict:
        a = self._args
        if not a.domain_name:
            return {"cloudfront_default_certificate": True}
        arn = a.viewer_certificate_arn
        if not arn:
            cert = aws.acm.Certificate(f"{self._name}-viewer-cert", domain_name=a.domain_name,
                                       validation_method="DNS", key_algorithm="RSA_2048",
                                       tags=self._tags(f"{self._name}-viewer-cert"), opts=self._global)
            arn = dns_validated(f"{self._name}-viewer-cert", cert, a.hosted_zone_id,
                                pulumi.ResourceOptions(parent=cert, provider=self.provider))
        return {"acm_certificate_arn": arn, "ssl_support_method": "sni-only",
                "minimum_protocol_version": a.minimum_protocol_version}

    def _distribution(self, realtime_arn) -> aws.cloudfront.Distribution:
        a = self._args
        buckets = [self._behavior(realtime_arn, path_pattern=documents.bucket_path_pattern(b.name),
                                  **({"trusted_key_groups": [self.key_group_id]} if b.signed else {}))
                   for b in a.buckets]
        default = self._behavior(realtime_arn, function_associations=[
            {"event_type": "viewer-request", "function_arn": self.not_found.arn}])
        return aws.cloudfront.Distribution(
            # A distribution's comment is at most 128 characters (CloudFront API Reference, DistributionConfig).
            f"{self._name}-cdn", enabled=True, comment=f"{a.name}: RustFS edge, {len(a.buckets)} bucket(s)",
            aliases=[a.domain_name] if a.domain_name else None, http_version="http2and3", is_ipv6_enabled=True,
            price_class=a.price_class, web_acl_id=self.web_acl.arn,
            origins=[{"origin_id": ORIGIN_ID, "domain_name": a.origin_domain_name,
                      "vpc_origin_config": {"vpc_origin_id": self.vpc_origin.id,
                                            "origin_keepalive_timeout": ORIGIN_KEEPALIVE_SECONDS,
                                            "origin_read_timeout": ORIGIN_READ_SECONDS},
                      "origin_shield": {"enabled": True, "origin_shield_region": a.origin_shield_region}}],
            default_cache_behavior=default, ordered_cache_behaviors=buckets,
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=self._viewer_certificate(), tags=self._tags(f"{self._name}-cdn"), opts=self._global)

    def _standard_logs(self) -> None:
        """Standard logging v2: a delivery source for the distribution, a destination, the delivery with its fields."""
        a, name = self._args, self._name
        owned = pulumi.ResourceOptions(parent=self.distribution, provider=self.provider)
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-access-logs", name=f"{a.name}-edge-access", log_type="ACCESS_LOGS",
            resource_arn=self.distribution.arn, tags=self._tags(f"{name}-access-logs"), opts=owned)
        if a.logging_destination == "s3":
            # Under a prefix with AWSLogs/<account>/: the logs bucket's policy admits the log delivery service there
            # (storage/bucket_policies.py logs_bucket_policy).
            target = pulumi.Output.all(a.logs_bucket_arn, a.account_id).apply(
                lambda v: f"{v[0]}/cloudfront/AWSLogs/{v[1]}/{a.name}")
            kind, output_format = "S3", "json"
        else:
            target, kind, output_format = self.access_log_group.arn, "CWL", "json"
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-access-logs-to", name=f"{a.name}-edge-access-{kind.lower()}", output_format=output_format,
            delivery_destination_configuration={"destination_resource_arn": target},
            tags=self._tags(f"{name}-access-logs-to"), opts=owned)
        aws.cloudwatch.LogDelivery(
            f"{name}-access-logs-delivery", delivery_source_name=source.name,
            delivery_destination_arn=destination.arn, record_fields=list(documents.STANDARD_LOG_FIELDS),
            tags=self._tags(f"{name}-access-logs-delivery"),
            opts=pulumi.ResourceOptions(parent=self.distribution, provider=self.provider,
                                        depends_on=[self.delivery_policy]))

    def _alias(self) -> None:
        a = self._args
        if not (a.domain_name and a.hosted_zone_id):
            return
        for kind in ("A", "AAAA"):
            aws.route53.Record(
                f"{self._name}-alias-{kind.lower()}", zone_id=a.hosted_zone_id, name=a.domain_name, type=kind,
                aliases=[{"name": self.distribution.domain_name, "zone_id": self.distribution.hosted_zone_id,
                          "evaluate_target_health": False}],
                opts=pulumi.ResourceOptions(parent=self.distribution, provider=self.provider))
