"""The fake AWS's CloudFront, WAF, ACM, CloudWatch vended-log deliveries and Kinesis streams: ids and ARNs in the real
formats, and the refusals of the real APIs for what the edge (components/edge/) could get wrong.

- CreateVpcOrigin: the endpoint is an Application or Network Load Balancer (or an instance) in a Region that offers
  VPC origins; not a Gateway Load Balancer, not a dual-stack NLB, not an NLB with a TLS listener or without a security
  group (CloudFront Developer Guide, "Restrict access with VPC origins", origin restrictions: the listener check
  works in both orders, the listener after the origin or before it); the load balancer is internal (VPC origins
  serve private subnets) in a VPC with an internet gateway attached (created before the VPC origin: "Your VPC must
  have an internet gateway attached", which indicates the VPC can receive internet traffic and routes none of the
  origin's); ports 1-65535, the protocol policy and SSL protocols of the API (CreateVpcOrigin).
- ACM: a certificate CloudFront's viewers see must be in us-east-1 ("Requirements for using SSL/TLS certificates
  with CloudFront": "request (or import) the certificate in the US East (N. Virginia) Region") and cover each alias
  (exact or one-label wildcard); a load balancer's listener certificate must be in the load balancer's Region.
- WAF: a CLOUDFRONT-scope web ACL only in us-east-1 ("For CloudFront, you must use the Region US East (N.
  Virginia)"); rule priorities unique, names and metric names of the allowed characters, AWS managed rule groups the
  fake knows, at most 1,500 web ACL capacity units (the default, "AWS WAF quotas"), a rate limit of 10-2,000,000,000
  over a 60/120/300/600 s window (RateBasedStatement). Logging to CloudWatch Logs only into a group named
  ``aws-waf-logs-*`` of the web ACL's Region, one destination (PutLoggingConfiguration).
- CloudFront policies: a cache policy's MinTTL <= DefaultTTL <= MaxTTL, and with MaxTTL 0 nothing in the cache key
  (CachePolicyConfig); an origin request policy never names the Authorization header (CloudFront Developer Guide,
  "Control origin requests with a policy": "you can't include the Authorization header in an origin request policy";
  it is forwarded only through the cache key), at most 10 headers; policy, function and key-group names unique in the
  account; a key group holds 1-5 public keys; a function's runtime cloudfront-js-1.0/2.0 and code of at most 10 KB.
- CreateDistribution: origins by known VPC origin id with Origin Shield in an Origin Shield Region, behaviors
  targeting declared origins and known policies, cached methods within the allowed ones (the three sets the API
  takes), at most 25 ordered behaviors, a WAFv2 web ACL of scope CLOUDFRONT by ARN, one monitoring subscription per
  distribution.
- CloudWatch Logs deliveries: a CloudFront delivery source exists only in us-east-1 ("you must specify the US East
  (N. Virginia) Region (us-east-1)"), logType ACCESS_LOGS; names of [\\w-]; a destination is an S3 bucket (optionally
  with a prefix), a log group or a Firehose stream; output formats json/plain/w3c/raw/parquet (parquet only to S3).
"""

from __future__ import annotations

import hashlib
import re

from pulumi.output import Unknown

from rustfs_aws.edge.settings import ORIGIN_SHIELD_REGIONS, VPC_ORIGIN_REGIONS

from .fake_operations import AwsRejects

GLOBAL = "us-east-1"
SSL_PROTOCOLS = {"SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2"}
PROTOCOL_POLICIES = {"http-only", "match-viewer", "https-only"}
VIEWER_POLICIES = {"SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016", "TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021",
                   "TLSv1.2_2025", "TLSv1.3_2025"}
METHOD_SETS = ({"GET", "HEAD"}, {"GET", "HEAD", "OPTIONS"},
               {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"})
CACHED_SETS = ({"GET", "HEAD"}, {"GET", "HEAD", "OPTIONS"})
HTTP_VERSIONS = {"http1.1", "http2", "http2and3", "http3"}
PRICE_CLASSES = {"PriceClass_100", "PriceClass_200", "PriceClass_All"}
MAX_ORDERED_BEHAVIORS = 25
MAX_ORP_HEADERS = 10
MAX_KEYS_PER_GROUP = 5
MAX_FUNCTION_BYTES = 10 * 1024
FUNCTION_RUNTIMES = {"cloudfront-js-1.0", "cloudfront-js-2.0"}
# AWS managed rule groups and their capacity (AWS WAF Developer Guide, "AWS Managed Rules rule groups list").
MANAGED_GROUP_WCU = {"AWSManagedRulesCommonRuleSet": 700, "AWSManagedRulesKnownBadInputsRuleSet": 200,
                     "AWSManagedRulesAmazonIpReputationList": 25, "AWSManagedRulesAnonymousIpList": 50,
                     "AWSManagedRulesAdminProtectionRuleSet": 100, "AWSManagedRulesBotControlRuleSet": 50}
MAX_WCU = 1_500
RATE_WINDOWS = {60, 120, 300, 600}
OUTPUT_FORMATS = {"json", "plain", "w3c", "raw", "parquet"}
_WAF_NAME = re.compile(r"^[\w-]{1,128}$")
_POLICY_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
_DELIVERY_NAME = re.compile(r"^[\w-]{1,60}$")
_LB_ARN = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):\d{12}:loadbalancer/(app|net|gwy)/")
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/")
_LOG_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:logs:([a-z0-9-]+):\d{12}:log-group:([^:*]+)(:\*)?$")
_S3_DESTINATION = re.compile(r"^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")
_FIREHOSE_ARN = re.compile(r"^arn:aws[a-z-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream/")


def _hex(*parts: str, length: int) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _known(value) -> bool:
    return value is not None and not isinstance(value, Unknown) and not (
        isinstance(value, str) and value.startswith("04da6b54-"))


def _whole(value) -> bool:
    """A whole number as the engine sends it (protobuf numbers arrive as floats)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer()


def _state(fake) -> dict:
    """The edge's account-wide state across the per-Region views of the fake (fake_aws._in_region_of)."""
    return fake.account.__dict__.setdefault("_edge", {
        "lbs": {}, "listeners": {}, "vpc_origins": {}, "vpc_origin_lbs": set(), "certs": {}, "acls": {},
        "names": {}, "public_keys": set(), "key_groups": set(), "functions": {}, "distributions": set(),
        "subscriptions": set(), "sources": set(), "destinations": {}, "subnet_vpcs": {}, "igw_vpcs": set()})


def _unique(fake, kind: str, name: str) -> None:
    """CloudFront names its policies, functions and key groups once per account (CachePolicyAlreadyExists...)."""
    taken = _state(fake)["names"].setdefault(kind, set())
    if name in taken:
        raise AwsRejects(f"{kind}AlreadyExists: a {kind} named {name!r} already exists in the account")
    taken.add(name)


# --- load balancers: remembered for the VPC-origin checks ----------------------------------------------------

def with_load_balancer_registry(resources: dict) -> dict:
    """The fake's load balancer and listener handlers, also remembering what a VPC origin must check; subnets and
    internet gateways are remembered by VPC (a VPC origin's VPC must have an internet gateway attached)."""
    lb_token, listener_token = "aws:lb/loadBalancer:LoadBalancer", "aws:lb/listener:Listener"
    subnet_token, igw_token = "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway"
    lb_inner, listener_inner = resources[lb_token], resources[listener_token]
    subnet_inner, igw_inner = resources[subnet_token], resources[igw_token]

    def subnet(fake, name: str, inputs: dict):
        physical, extra = subnet_inner(fake, name, inputs)
        if _known(inputs.get("vpcId")):
            _state(fake)["subnet_vpcs"][physical] = inputs["vpcId"]
        return physical, extra

    def internet_gateway(fake, name: str, inputs: dict):
        physical, extra = igw_inner(fake, name, inputs)
        if _known(inputs.get("vpcId")):  # vpc_id given: created attached (InternetGateway, vpc_id)
            _state(fake)["igw_vpcs"].add(inputs["vpcId"])
        return physical, extra

    def load_balancer(fake, name: str, inputs: dict):
        physical, extra = lb_inner(fake, name, inputs)
        vpcs = {_state(fake)["subnet_vpcs"].get(s) for s in inputs.get("subnets") or [] if _known(s)}
        _state(fake)["lbs"][extra["arn"]] = {
            "type": inputs.get("loadBalancerType") or "application", "internal": inputs.get("internal") is True,
            "dualstack": str(inputs.get("ipAddressType") or "ipv4").startswith("dualstack"),
            "security_groups": bool(inputs.get("securityGroups")), "region": fake.region,
            "vpc": next(iter(vpcs)) if len(vpcs) == 1 else None}
        return physical, extra

    def listener(fake, name: str, inputs: dict):
        lb, protocol, cert = inputs.get("loadBalancerArn"), inputs.get("protocol"), inputs.get("certificateArn")
        match = _ACM_ARN.match(cert) if _known(cert) and isinstance(cert, str) else None
        if match and match.group(1) != fake.region:
            raise AwsRejects(f"CertificateNotFound: listener {name!r}: certificate {cert} is not in the load "
                             f"balancer's Region {fake.region} (ELB uses ACM certificates of its own Region)")
        if _known(lb):
            _state(fake)["listeners"].setdefault(lb, set()).add(protocol)
            if protocol == "TLS" and lb in _state(fake)["vpc_origin_lbs"]:
                raise AwsRejects(f"InvalidConfiguration: listener {name!r}: a Network Load Balancer used as a "
                                 "CloudFront VPC origin cannot have a TLS listener")
        return listener_inner(fake, name, inputs)

    return {**resources, lb_token: load_balancer, listener_token: listener, subnet_token: subnet,
            igw_token: internet_gateway}


def vpc_origin(fake, name: str, inputs: dict):
    config = inputs.get("vpcOriginEndpointConfig") or {}
    where = f"VPC origin {name!r}"
    arn = config.get("arn")
    if _known(arn):
        match = _LB_ARN.match(arn) if isinstance(arn, str) else None
        instance = isinstance(arn, str) and ":ec2:" in arn and ":instance/" in arn
        if not match and not instance:
            raise AwsRejects(f"InvalidArgument: {where}: the endpoint must be an Application or Network Load "
                             f"Balancer or an EC2 instance ARN, got {arn!r}")
        if match:
            region, kind = match.groups()
            lb = _state(fake)["lbs"].get(arn)
            if kind == "gwy":
                raise AwsRejects(f"InvalidArgument: {where}: a Gateway Load Balancer cannot be a VPC origin")
            if region not in VPC_ORIGIN_REGIONS:
                raise AwsRejects(f"InvalidArgument: {where}: VPC origins are not offered in {region}")
            if lb is None:
                raise AwsRejects(f"EntityNotFound: {where}: no load balancer {arn}")
            if not lb["internal"]:
                raise AwsRejects(f"InvalidArgument: {where}: the load balancer is internet-facing; a VPC origin "
                                 "serves an internal load balancer in private subnets")
            if lb["vpc"] is not None and lb["vpc"] not in _state(fake)["igw_vpcs"]:
                raise AwsRejects(f"InvalidArgument: {where}: the load balancer's VPC {lb['vpc']} has no internet "
                                 "gateway attached (VPC origins prerequisites: the VPC must have one, though it "
                                 "routes none of the origin's traffic)")
            if kind == "net" and lb["dualstack"]:
                raise AwsRejects(f"InvalidArgument: {where}: a dual-stack Network Load Balancer cannot be a VPC origin")
            if kind == "net" and not lb["security_groups"]:
                raise AwsRejects(f"InvalidArgument: {where}: a Network Load Balancer needs a security group to be a "
                                 "VPC origin")
            if kind == "net" and "TLS" in _state(fake)["listeners"].get(arn, set()):
                raise AwsRejects(f"InvalidArgument: {where}: a Network Load Balancer with a TLS listener cannot be a "
                                 "VPC origin")
            if kind == "net":
                _state(fake)["vpc_origin_lbs"].add(arn)
    for port in ("httpPort", "httpsPort"):
        value = config.get(port)
        if _known(value) and not 1 <= int(value) <= 65535:
            raise AwsRejects(f"InvalidArgument: {where}: {port} {value} is not 1-65535")
    if config.get("originProtocolPolicy") not in PROTOCOL_POLICIES:
        raise AwsRejects(f"InvalidArgument: {where}: originProtocolPolicy {config.get('originProtocolPolicy')!r}")
    ssl = config.get("originSslProtocols") or {}
    items = ssl.get("items") or []
    if set(items) - SSL_PROTOCOLS or ssl.get("quantity") != len(items):
        raise AwsRejects(f"InvalidArgument: {where}: originSslProtocols {ssl!r} (items of {sorted(SSL_PROTOCOLS)}, "
                         "quantity their count)")
    origin_id = f"vo_{_hex('vpc-origin', name, length=22)}"
    _state(fake)["vpc_origins"][origin_id] = arn
    return origin_id, {"arn": f"arn:{fake.partition}:cloudfront::{fake.account_id}:vpcorigin/{origin_id}",
                       "etag": _hex("etag", name, length=14).upper(), "tagsAll": inputs.get("tags", {})}


# --- ACM ----------------------------------------------------------------------------------------------------

def certificate(fake, name: str, inputs: dict):
    cert_id = "-".join(_hex("acm", fake.region, name, length=32)[a:b]
                       for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))
    arn = fake.arn("acm", f"certificate/{cert_id}")
    domain = inputs.get("domainName")
    names = [domain, *(inputs.get("subjectAlternativeNames") or [])]
    _state(fake)["certs"][arn] = [n for n in names if isinstance(n, str)]
    options = [{"domainName": n, "resourceRecordName": f"_{_hex('acm-cname', n, length=32)}.{n}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_hex('acm-value', n, length=32)}.acm-validations.aws."}
               for n in names if isinstance(n, str)]
    return arn, {"arn": arn, "domainValidationOptions": options, "status": "ISSUED", "tagsAll": inputs.get("tags", {})}


def certificate_validation(fake, name: str, inputs: dict):
    arn = inputs.get("certificateArn")
    if _known(arn) and arn not in _state(fake)["certs"]:
        raise AwsRejects(f"ResourceNotFoundException: certificate validation {name!r}: no certificate {arn}")
    return f"{arn}-validated", {"certificateArn": arn}


def _covers(names: list[str], alias: str) -> bool:
    for n in names:
        if n == alias or (n.startswith("*.") and alias.split(".", 1)[-1] == n[2:]):
            return True
    return False


# --- WAF ----------------------------------------------------------------------------------------------------

def _statement_wcu(where: str, statement: dict) -> int:
    if "managedRuleGroupStatement" in statement:
        group = statement["managedRuleGroupStatement"]
        if group.get("vendorName") != "AWS" or group.get("name") not in MANAGED_GROUP_WCU:
            raise AwsRejects(f"WAFNonexistentItemException: {where}: managed rule group {group.get('vendorName')}/"
                             f"{group.get('name')} is unknown to the fake (known: {sorted(MANAGED_GROUP_WCU)})")
        return MANAGED_GROUP_WCU[group["name"]]
    if "rateBasedStatement" in statement:
        rate = statement["rateBasedStatement"]
        limit, window = rate.get("limit"), rate.get("evaluationWindowSec", 300)
        if not _whole(limit) or not 10 <= limit <= 2_000_000_000:
            raise AwsRejects(f"WAFInvalidParameterException: {where}: rate limit {limit!r} not 10-2,000,000,000")
        if window not in RATE_WINDOWS:
            raise AwsRejects(f"WAFInvalidParameterException: {where}: evaluationWindowSec {window!r}")
        return 2
    if "geoMatchStatement" in statement:
        codes = statement["geoMatchStatement"].get("countryCodes") or []
        if not codes or not all(isinstance(c, str) and re.fullmatch(r"[A-Z]{2}", c) for c in codes):
            raise AwsRejects(f"WAFInvalidParameterException: {where}: countryCodes {codes!r}")
        return 1
    if "notStatement" in statement:
        return _statement_wcu(where, statement["notStatement"].get("statement") or {})
    raise AwsRejects(f"WAFInvalidParameterException: {where}: a statement the fake does not know: {sorted(statement)}")


def web_acl(fake, name: str, inputs: dict):
    acl_name = inputs.get("name") or name
    scope = inputs.get("scope")
    where = f"web ACL {acl_name!r}"
    if scope == "CLOUDFRONT" and fake.region != GLOBAL:
        raise AwsRejects(f"WAFInvalidParameterException: {where}: scope CLOUDFRONT is only created in us-east-1, "
                         f"not {fake.region}")
    if scope not in ("CLOUDFRONT", "REGIONAL") or not _WAF_NAME.match(str(acl_name)):
        raise AwsRejects(f"WAFInvalidParameterException: {where}: scope {scope!r} or name")
    rules = inputs.get("rules") or []
    priorities = [r.get("priority") for r in rules]
    if len(set(priorities)) != len(priorities):
        raise AwsRejects(f"WAFInvalidParameterException: {where}: rule priorities {priorities} are not unique")
    wcu = 0
    for rule in rules:
        rule_where = f"{where} rule {rule.get('name')!r}"
        metric = (rule.get("visibilityConfig") or {}).get("metricName")
        if not _WAF_NAME.match(str(rule.get("name"))) or not re.fullmatch(r"[\w-]{1,128}", str(metric)) or \
                metric in ("All", "Default_Action"):
            raise AwsRejects(f"WAFInvalidParameterException: {rule_where}: name or metricName {metric!r}")
        statement = rule.get("statement") or {}
        group = "managedRuleGroupStatement" in statement
        if group != ("overrideAction" in rule) or group == ("action" in rule):
            raise AwsRejects(f"WAFInvalidParameterException: {rule_where}: a rule-group statement takes "
                             "overrideAction, any other statement an action")
        wcu += _statement_wcu(rule_where, statement)
    if wcu > MAX_WCU:
        raise AwsRejects(f"WAFLimitsExceededException: {where}: {wcu} capacity units, the default limit is {MAX_WCU}")
    acl_id = "-".join(_hex("waf", name, length=32)[a:b] for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))
    kind = "global" if scope == "CLOUDFRONT" else "regional"
    arn = fake.arn("wafv2", f"{kind}/webacl/{acl_name}/{acl_id}")
    _state(fake)["acls"][arn] = {"scope": scope, "region": fake.region}
    return acl_id, {"arn": arn, "capacity": wcu, "lockToken": _hex("lock", name, length=36),
                    "tagsAll": inputs.get("tags", {})}


def web_acl_logging(fake, name: str, inputs: dict):
    acl, destinations = inputs.get("resourceArn"), inputs.get("logDestinationConfigs") or []
    where = f"WAF logging {name!r}"
    if _known(acl) and acl not in _state(fake)["acls"]:
        raise AwsRejects(f"WAFNonexistentItemException: {where}: no web ACL {acl}")
    if len(destinations) != 1:
        raise AwsRejects(f"WAFInvalidParameterException: {where}: exactly one log destination")
    for d in destinations:
        match = _LOG_GROUP_ARN.match(d) if _known(d) and isinstance(d, str) else None
        if _known(d) and match:
            if not match.group(2).startswith("aws-waf-logs-"):
                raise AwsRejects(f"WAFInvalidParameterException: {where}: log group {match.group(2)!r} must be named "
                                 "aws-waf-logs-*")
            if match.group(1) != fake.region:
                raise AwsRejects(f"WAFInvalidParameterException: {where}: log group in {match.group(1)}, the web ACL "
                                 f"logs from {fake.region}")
    return f"{acl}-logging", {}


# --- CloudFront ---------------------------------------------------------------------------------------------

def cache_policy(fake, name: str, inputs: dict):
    policy_name = inputs.get("name") or name
    if not _POLICY_NAME.match(policy_name):
        raise AwsRejects(f"InvalidArgument: cache policy name {policy_name!r}")
    ttl = [inputs.get(k) for k in ("minTtl", "defaultTtl", "maxTtl")]
    low, default, high = (0 if v is None else v for v in (ttl[0], 86_400 if ttl[1] is None else ttl[1],
                                                          31_536_000 if ttl[2] is None else ttl[2]))
    if not low <= default <= high:
        raise AwsRejects(f"InvalidArgument: cache policy {policy_name!r}: MinTTL {low} <= DefaultTTL {default} <= "
                         f"MaxTTL {high} does not hold")
    key = inputs.get("parametersInCacheKeyAndForwardedToOrigin") or {}
    behaviors = [(key.get("headersConfig") or {}).get("headerBehavior", "none"),
                 (key.get("cookiesConfig") or {}).get("cookieBehavior", "none"),
                 (key.get("queryStringsConfig") or {}).get("queryStringBehavior", "none")]
    if high == 0 and (set(behaviors) != {"none"} or key.get("enableAcceptEncodingGzip")
                      or key.get("enableAcceptEncodingBrotli")):
        raise AwsRejects(f"InvalidArgument: cache policy {policy_name!r}: with caching disabled (MaxTTL 0) the cache "
                         "key can hold no header, cookie, query string or Accept-Encoding")
    _unique(fake, "CachePolicy", policy_name)
    return _hex("cache-policy", name, length=36), {"etag": _hex("etag", name, length=14).upper()}


def origin_request_policy(fake, name: str, inputs: dict):
    policy_name = inputs.get("name") or name
    headers = (inputs.get("headersConfig") or {}).get("headers") or {}
    items = headers.get("items") or [] if isinstance(headers, dict) else []
    if any(isinstance(h, str) and h.lower() == "authorization" for h in items):
        raise AwsRejects(f"InvalidArgument: origin request policy {policy_name!r}: the Authorization header cannot be "
                         "in an origin request policy (include it in the cache policy to forward it)")
    if len(items) > MAX_ORP_HEADERS:
        raise AwsRejects(f"TooManyHeadersInOriginRequestPolicy: {policy_name!r}: {len(items)} headers, at most "
                         f"{MAX_ORP_HEADERS}")
    _unique(fake, "OriginRequestPolicy", policy_name)
    return _hex("orp", name, length=36), {"etag": _hex("etag", name, length=14).upper()}


def response_headers_policy(fake, name: str, inputs: dict):
    policy_name = inputs.get("name") or name
    security = inputs.get("securityHeadersConfig") or {}
    frame = (security.get("frameOptions") or {}).get("frameOption")
    if frame is not None and frame not in ("DENY", "SAMEORIGIN"):
        raise AwsRejects(f"InvalidArgument: response headers policy {policy_name!r}: frameOption {frame!r}")
    _unique(fake, "ResponseHeadersPolicy", policy_name)
    return _hex("rhp", name, length=36), {"etag": _hex("etag", name, length=14).upper()}


def function(fake, name: str, inputs: dict):
    fn = inputs.get("name") or name
    if not _FUNCTION_NAME.match(fn) or inputs.get("runtime") not in FUNCTION_RUNTIMES:
        raise AwsRejects(f"InvalidArgument: CloudFront function {fn!r}: name or runtime {inputs.get('runtime')!r}")
    if len(str(inputs.get("code") or "").encode()) > MAX_FUNCTION_BYTES:
        raise AwsRejects(f"FunctionSizeLimitExceeded: CloudFront function {fn!r}: code over {MAX_FUNCTION_BYTES} bytes")
    _unique(fake, "Function", fn)
    arn = f"arn:{fake.partition}:cloudfront::{fake.account_id}:function/{fn}"
    _state(fake)["functions"][arn] = inputs.get("publish", True) is not False
    return fn, {"arn": arn, "etag": _hex("etag", name, length=14).upper(), "status": "UNASSOCIATED",
                "liveStageEtag": _hex("live", name, length=14).upper()}


def public_key(fake, name: str, inputs: dict):
    key = inputs.get("encodedKey")
    if _known(key) and not str(key).startswith("-----BEGIN PUBLIC KEY-----"):
        raise AwsRejects(f"InvalidArgument: public key {name!r}: not a PEM public key")
    key_id = "K" + _hex("pubkey", name, length=13).upper()
    _state(fake)["public_keys"].add(key_id)
    return key_id, {"etag": _hex("etag", name, length=14).upper(), "name": inputs.get("name") or name}


def key_group(fake, name: str, inputs: dict):
    items = inputs.get("items") or []
    group_name = inputs.get("name") or name
    if not 1 <= len(items) <= MAX_KEYS_PER_GROUP:
        raise AwsRejects(f"TooManyPublicKeysInKeyGroup: key group {group_name!r}: {len(items)} keys, 1-"
                         f"{MAX_KEYS_PER_GROUP}")
    unknown = [k for k in items if _known(k) and k not in _state(fake)["public_keys"]]
    if unknown:
        raise AwsRejects(f"NoSuchPublicKey: key group {group_name!r}: {unknown}")
    _unique(fake, "KeyGroup", group_name)
    group_id = _hex("keygroup", name, length=36)
    _state(fake)["key_groups"].add(group_id)
    return group_id, {"etag": _hex("etag", name, length=14).upper()}


def _check_behavior(where: str, behavior: dict, origins: set[str], state: dict) -> None:
    allowed, cached = set(behavior.get("allowedMethods") or []), set(behavior.get("cachedMethods") or [])
    if allowed not in METHOD_SETS or cached not in CACHED_SETS or not cached <= allowed:
        raise AwsRejects(f"InvalidArgument: {where}: allowed methods {sorted(allowed)} / cached {sorted(cached)}")
    if behavior.get("targetOriginId") not in origins:
        raise AwsRejects(f"NoSuchOrigin: {where}: target origin {behavior.get('targetOriginId')!r}")
    for group in behavior.get("trustedKeyGroups") or []:
        if _known(group) and group not in state["key_groups"]:
            raise AwsRejects(f"NoSuchResource: {where}: key group {group}")
    events = [f.get("eventType") for f in behavior.get("functionAssociations") or []]
    if len(set(events)) != len(events):
        raise AwsRejects(f"InvalidArgument: {where}: one function per event type")
    for f in behavior.get("functionAssociations") or []:
        arn = f.get("functionArn")
        if _known(arn) and not state["functions"].get(arn):
            raise AwsRejects(f"NoSuchFunctionExists: {where}: {arn} (published functions only)")


def distribution(fake, name: str, inputs: dict):
    state, where = _state(fake), f"distribution {name!r}"
    origins = inputs.get("origins") or []
    ids = [o.get("originId") for o in origins]
    if len(set(ids)) != len(ids):
        raise AwsRejects(f"InvalidArgument: {where}: origin ids {ids} not unique")
    for o in origins:
        vpc = (o.get("vpcOriginConfig") or {}).get("vpcOriginId")
        if _known(vpc) and vpc not in state["vpc_origins"]:
            raise AwsRejects(f"EntityNotFound: {where}: no VPC origin {vpc}")
        shield = o.get("originShield") or {}
        if shield.get("enabled") and shield.get("originShieldRegion") not in ORIGIN_SHIELD_REGIONS:
            raise AwsRejects(f"InvalidArgument: {where}: Origin Shield is not offered in "
                             f"{shield.get('originShieldRegion')!r}")
    ordered = inputs.get("orderedCacheBehaviors") or []
    if len(ordered) > MAX_ORDERED_BEHAVIORS:
        raise AwsRejects(f"TooManyCacheBehaviors: {where}: {len(ordered)}, at most {MAX_ORDERED_BEHAVIORS}")
    _check_behavior(f"{where} default behavior", inputs.get("defaultCacheBehavior") or {}, set(ids), state)
    for i, b in enumerate(ordered):
        _check_behavior(f"{where} behavior {i} ({b.get('pathPattern')})", b, set(ids), state)
    cert = inputs.get("viewerCertificate") or {}
    aliases = inputs.get("aliases") or []
    acm = cert.get("acmCertificateArn")
    if _known(acm):
        match = _ACM_ARN.match(acm)
        if not match or match.group(1) != GLOBAL:
            raise AwsRejects(f"InvalidViewerCertificate: {where}: the ACM certificate {acm} is not in us-east-1")
        if cert.get("sslSupportMethod") not in ("sni-only", "vip", "static-ip"):
            raise AwsRejects(f"InvalidViewerCertificate: {where}: sslSupportMethod is required with an ACM certificate")
        names = state["certs"].get(acm)
        uncovered = [a for a in aliases if names is not None and not _covers(names, a)]
        if uncovered:
            raise AwsRejects(f"InvalidViewerCertificate: {where}: the certificate does not cover {uncovered}")
    elif aliases and cert.get("cloudfrontDefaultCertificate"):
        raise AwsRejects(f"InvalidViewerCertificate: {where}: aliases need a certificate that covers them")
    if cert.get("minimumProtocolVersion") is not None and cert["minimumProtocolVersion"] not in VIEWER_POLICIES:
        raise AwsRejects(f"InvalidMinimumProtocolVersion: {where}: {cert['minimumProtocolVersion']!r}")
    acl = inputs.get("webAclId")
    if _known(acl) and (acl not in state["acls"] or state["acls"][acl]["scope"] != "CLOUDFRONT"):
        raise AwsRejects(f"InvalidWebACLId: {where}: {acl} is not a WAFv2 web ACL of scope CLOUDFRONT")
    if inputs.get("httpVersion", "http2") not in HTTP_VERSIONS or \
            inputs.get("priceClass", "PriceClass_All") not in PRICE_CLASSES:
        raise AwsRejects(f"InvalidArgument: {where}: httpVersion or priceClass")
    if len(str(inputs.get("comment") or "")) > 128:
        raise AwsRejects(f"InvalidArgument: {where}: the comment is over 128 characters")
    dist_id = "E" + _hex("distribution", name, length=13).upper()
    state["distributions"].add(dist_id)
    return dist_id, {"arn": f"arn:{fake.partition}:cloudfront::{fake.account_id}:distribution/{dist_id}",
                     "domainName": f"d{_hex('cf-domain', name, length=13)}.cloudfront.net",
                     "hostedZoneId": "Z2FDTNDATAQYW2", "status": "Deployed", "etag": _hex("etag", name, length=14)
                     .upper(), "callerReference": _hex("caller", name, length=20), "tagsAll": inputs.get("tags", {})}


def monitoring_subscription(fake, name: str, inputs: dict):
    dist = inputs.get("distributionId")
    state = _state(fake)
    status = ((inputs.get("monitoringSubscription") or {}).get("realtimeMetricsSubscriptionConfig") or {}).get(
        "realtimeMetricsSubscriptionStatus")
    if status not in ("Enabled", "Disabled"):
        raise AwsRejects(f"InvalidArgument: monitoring subscription {name!r}: status {status!r}")
    if _known(dist):
        if dist not in state["distributions"]:
            raise AwsRejects(f"NoSuchDistribution: monitoring subscription {name!r}: {dist}")
        if dist in state["subscriptions"]:
            raise AwsRejects(f"MonitoringSubscriptionAlreadyExists: distribution {dist} already has one")
        state["subscriptions"].add(dist)
    return str(dist), {}


def realtime_log_config(fake, name: str, inputs: dict):
    config_name = inputs.get("name") or name
    rate, fields = inputs.get("samplingRate"), inputs.get("fields") or []
    endpoint = inputs.get("endpoint") or {}
    if not _whole(rate) or not 1 <= rate <= 100 or not fields or endpoint.get("streamType") != "Kinesis":
        raise AwsRejects(f"InvalidArgument: real-time log config {config_name!r}: samplingRate 1-100, fields and a "
                         "Kinesis endpoint")
    _unique(fake, "RealtimeLogConfig", config_name)
    arn = f"arn:{fake.partition}:cloudfront::{fake.account_id}:realtime-log-config/{config_name}"
    return arn, {"arn": arn}


# --- CloudWatch Logs vended deliveries, Kinesis ----------------------------------------------------------------

def log_delivery_source(fake, name: str, inputs: dict):
    source, resource = inputs.get("name") or name, inputs.get("resourceArn")
    if not _DELIVERY_NAME.match(source):
        raise AwsRejects(f"ValidationException: delivery source name {source!r}")
    if _known(resource) and ":cloudfront::" in str(resource):
        if fake.region != GLOBAL:
            raise AwsRejects(f"ValidationException: delivery source {source!r}: a CloudFront distribution's source "
                             f"is created in us-east-1, not {fake.region}")
        if inputs.get("logType") != "ACCESS_LOGS":
            raise AwsRejects(f"ValidationException: delivery source {source!r}: CloudFront sends ACCESS_LOGS only")
    _state(fake)["sources"].add((fake.region, source))
    return source, {"name": source, "arn": fake.arn("logs", f"delivery-source:{source}"), "service": "cloudfront",
                    "tagsAll": inputs.get("tags", {})}


def log_delivery_destination(fake, name: str, inputs: dict):
    dest = inputs.get("name") or name
    target = (inputs.get("deliveryDestinationConfiguration") or {}).get("destinationResourceArn")
    fmt = inputs.get("outputFormat")
    if not _DELIVERY_NAME.match(dest) or (fmt is not None and fmt not in OUTPUT_FORMATS):
        raise AwsRejects(f"ValidationException: delivery destination {dest!r}: name or outputFormat {fmt!r}")
    kind = None
    if _known(target):
        if _S3_DESTINATION.match(target):
            kind = "S3"
        elif _LOG_GROUP_ARN.match(target):
            kind = "CWL"
        elif _FIREHOSE_ARN.match(target):
            kind = "FH"
        else:
            raise AwsRejects(f"ValidationException: delivery destination {dest!r}: {target!r} is no S3 bucket, log "
                             "group or Firehose stream")
        if fmt == "parquet" and kind != "S3":
            raise AwsRejects(f"ValidationException: delivery destination {dest!r}: parquet only to S3")
    arn = fake.arn("logs", f"delivery-destination:{dest}")
    _state(fake)["destinations"][arn] = kind
    return dest, {"name": dest, "arn": arn, "deliveryDestinationType": kind, "tagsAll": inputs.get("tags", {})}


def log_delivery(fake, name: str, inputs: dict):
    source, dest = inputs.get("deliverySourceName"), inputs.get("deliveryDestinationArn")
    state = _state(fake)
    if _known(source) and (fake.region, source) not in state["sources"]:
        raise AwsRejects(f"ResourceNotFoundException: delivery {name!r}: no delivery source {source!r} in "
                         f"{fake.region}")
    if _known(dest):
        if dest not in state["destinations"]:
            raise AwsRejects(f"ResourceNotFoundException: delivery {name!r}: no delivery destination {dest}")
        if inputs.get("s3DeliveryConfigurations") and state["destinations"][dest] != "S3":
            raise AwsRejects(f"ValidationException: delivery {name!r}: an S3 delivery configuration to a non-S3 "
                             "destination")
    delivery_id = _hex("delivery", name, length=16)
    return delivery_id, {"arn": fake.arn("logs", f"delivery:{delivery_id}"), "tagsAll": inputs.get("tags", {})}


def kinesis_stream(fake, name: str, inputs: dict):
    stream = inputs.get("name") or name
    retention = inputs.get("retentionPeriod", 24)
    if not 24 <= retention <= 8760 or (inputs.get("encryptionType") == "KMS" and not inputs.get("kmsKeyId")):
        raise AwsRejects(f"InvalidArgumentException: stream {stream!r}: retention 24-8760 hours, KMS needs a key")
    arn = fake.arn("kinesis", f"stream/{stream}")
    return arn, {"arn": arn, "name": stream, "tagsAll": inputs.get("tags", {})}


def managed_prefix_list(fake, args: dict):
    """AWS-managed prefix lists by name: CloudFront's origin-facing one (global name, a per-Region list)."""
    name = args.get("name") or ""
    if name != "com.amazonaws.global.cloudfront.origin-facing":
        raise AwsRejects(f"the fake AWS knows the managed prefix list com.amazonaws.global.cloudfront.origin-facing, "
                         f"not {name!r}")
    list_id = f"pl-{_hex('managed-pl', fake.region, name, length=8)}"
    return {"id": list_id, "name": name, "arn": fake.arn("ec2", f"prefix-list/{list_id}", account=False),
            "addressFamily": "IPv4", "maxEntries": 55, "ownerId": "AWS", "entries": [], "version": 1}


RESOURCES = {
    "aws:cloudfront/vpcOrigin:VpcOrigin": vpc_origin,
    "aws:cloudfront/distribution:Distribution": distribution,
    "aws:cloudfront/cachePolicy:CachePolicy": cache_policy,
    "aws:cloudfront/originRequestPolicy:OriginRequestPolicy": origin_request_policy,
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": response_headers_policy,
    "aws:cloudfront/function:Function": function,
    "aws:cloudfront/publicKey:PublicKey": public_key,
    "aws:cloudfront/keyGroup:KeyGroup": key_group,
    "aws:cloudfront/monitoringSubscription:MonitoringSubscription": monitoring_subscription,
    "aws:cloudfront/realtimeLogConfig:RealtimeLogConfig": realtime_log_config,
    "aws:acm/certificate:Certificate": certificate,
    "aws:acm/certificateValidation:CertificateValidation": certificate_validation,
    "aws:wafv2/webAcl:WebAcl": web_acl,
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": web_acl_logging,
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": log_delivery_source,
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": log_delivery_destination,
    "aws:cloudwatch/logDelivery:LogDelivery": log_delivery,
    "aws:kinesis/stream:Stream": kinesis_stream,
}
INVOKES = {"aws:ec2/getManagedPrefixList:getManagedPrefixList": managed_prefix_list}
