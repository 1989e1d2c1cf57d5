"""The ``edge`` section of the stack configuration: chosen RustFS buckets served through CloudFront
(components/edge/). Absent: no edge at all. Imports nothing from the rest of the program (config.py imports it).

Facts behind the checks, each cited where it is used:

- CloudFront checks the origin's certificate against the CAs Mozilla trusts (ACM recommended) and one of its names
  must equal the origin domain name, else 502 (CloudFront Developer Guide, "Requirements for using SSL/TLS
  certificates with CloudFront": certificate issuer, domain names). The stack's private CA cannot serve: the origin
  certificate is a public ACM certificate in the stack's Region ("If you're using a load balancer in Elastic Load
  Balancing as your origin, you can request or import the certificate in any AWS Region"), the viewer certificate
  one in us-east-1 ("To use an ACM certificate with CloudFront, make sure you request (or import) the certificate
  in the US East (N. Virginia) Region").
- RustFS refuses to start when two server domains overlap: ``MultiDomain::new`` (rustfs/src/server/http.rs at
  1.0.0-rc.3 calls it on RUSTFS_SERVER_DOMAINS) errors when one domain ``ends_with`` another (rustfs/s3s
  crates/s3s/src/host.rs), a plain string suffix test, not a label test.
- Origin Shield Regions and the Region to choose for an origin elsewhere: CloudFront Developer Guide, "Using Amazon
  CloudFront Origin Shield", "Choosing the AWS Region for Origin Shield".
- VPC origins: the Regions and the Availability Zones they do not support (CloudFront Developer Guide, "Restrict
  access with VPC origins", "Supported AWS Regions for VPC origins").
- Quotas: 25 cache behaviors per distribution, 5 public keys per key group (CloudFront Developer Guide, "Quotas",
  general and key-group quotas); a WAF rate-based rule's limit is 10 to 2,000,000,000 requests per evaluation window
  (AWS WAF API Reference, RateBasedStatement ``Limit``); country codes are ISO 3166-1 alpha-2 (GeoMatchStatement).
- Cache TTLs: MinTTL <= DefaultTTL <= MaxTTL, in seconds (CloudFront API Reference, CachePolicyConfig); 31,536,000
  (one year) is CloudFront's default MaxTTL and our upper bound.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from rustfs_model import rustfs_state
from rustfs_model.rustfs_state import bucket_name_problem

PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
# TLSv1.2_2021 and the two policies CloudFront added after it (CloudFront API Reference, ViewerCertificate
# MinimumProtocolVersion; "Supported protocols and ciphers between viewers and CloudFront").
VIEWER_POLICIES = ("TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")
LOG_DESTINATIONS = ("s3", "cloudwatch")
# The Regions CloudFront offers Origin Shield in, and where to put it for an origin in another Region.
ORIGIN_SHIELD_REGIONS = ("us-east-2", "us-east-1", "us-west-2", "ap-south-1", "ap-northeast-2", "ap-southeast-1",
                         "ap-southeast-2", "ap-northeast-1", "eu-central-1", "eu-west-1", "eu-west-2", "sa-east-1")
ORIGIN_SHIELD_FOR = {"us-west-1": "us-west-2", "af-south-1": "eu-west-1", "ap-east-1": "ap-southeast-1",
                     "ca-central-1": "us-east-1", "eu-south-1": "eu-central-1", "eu-west-3": "eu-west-2",
                     "eu-north-1": "eu-west-2", "me-south-1": "ap-south-1"}
# VPC origins: supported commercial Regions, with the AZ IDs they exclude.
VPC_ORIGIN_REGIONS = {
    "us-east-2": (), "us-east-1": ("use1-az3",), "us-west-1": ("usw1-az2",), "us-west-2": (), "af-south-1": (),
    "ap-east-1": (), "ap-south-1": (), "ap-south-2": (), "ap-southeast-3": (), "ap-southeast-4": (),
    "ap-northeast-3": (), "ap-southeast-1": (), "ap-southeast-2": (), "ap-northeast-1": ("apne1-az3",),
    "ap-northeast-2": (), "ap-southeast-7": (), "ap-southeast-5": (), "ap-east-2": (),
    "ca-central-1": ("cac1-az3",), "ca-west-1": (), "eu-central-1": (), "eu-west-1": (), "eu-west-2": (),
    "eu-south-1": (), "eu-west-3": (), "eu-south-2": (), "eu-north-1": (), "eu-central-2": (), "il-central-1": (),
    "me-south-1": (), "me-central-1": (), "sa-east-1": (), "mx-central-1": ()}
MAX_BUCKETS = 24  # 25 cache behaviors per distribution, one of them the default
MAX_PUBLIC_KEYS = 5
MAX_TTL_SECONDS = 31_536_000
RATE_LIMIT_RANGE = (10, 2_000_000_000)
# The edge's origin subnets are /27s (an Application Load Balancer needs a /27 or larger with 8 free addresses:
# ELB User Guide, "Application Load Balancers", subnets) at the top of the VPC's reserved block
# (network/subnets.py block 6): only the origin load balancer and CloudFront's VPC-origin interfaces live there.
EDGE_SUBNET_PREFIX = 27
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$")
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,32}$")
_SG_ID = re.compile(r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PEM_PUBLIC_KEY = re.compile(r"^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n?$")
KNOWN = {"buckets", "domainName", "viewerCertificateArn", "originDomainName", "originCertificateArn", "hostedZoneId",
         "priceClass", "minimumProtocolVersion", "originShieldRegion", "ttl", "publicKeys", "logging",
         "realtimeLogs", "waf", "vpcOriginSecurityGroupId"}


@dataclass(frozen=True)
class EdgeBucket:
    name: str  # the RustFS bucket, served at https://<edge>/<name>/<key> (path style)
    signed: bool = False  # viewers need a CloudFront signed URL or cookie (the key group of publicKeys)


@dataclass(frozen=True)
class CacheTtl:
    min_seconds: int = 0
    default_seconds: int = 86_400
    max_seconds: int = MAX_TTL_SECONDS


@dataclass(frozen=True)
class RealtimeLogsConfig:
    enabled: bool = False
    sampling_rate: int = 100  # percent of requests CloudFront sends to the Kinesis stream
    shard_count: int = 1


@dataclass(frozen=True)
class WafConfig:
    rate_limit: int = 2_000  # requests per client IP in 5 minutes before the rate rule blocks
    blocked_countries: tuple[str, ...] = ()
    allowed_countries: tuple[str, ...] = ()


@dataclass(frozen=True)
class EdgeConfig:
    buckets: tuple[EdgeBucket, ...]
    origin_domain_name: str
    origin_shield_region: str
    domain_name: str | None = None  # the viewers' name (an alternate domain name); None: the *.cloudfront.net name
    viewer_certificate_arn: str | None = None  # us-east-1; None with domain_name: created (hosted_zone_id)
    origin_certificate_arn: str | None = None  # the stack's Region; None: created (hosted_zone_id)
    hosted_zone_id: str | None = None  # public zone for the certificates' DNS validation and the viewers' alias
    price_class: str = "PriceClass_100"
    minimum_protocol_version: str = "TLSv1.2_2021"
    ttl: CacheTtl = field(default_factory=CacheTtl)
    public_keys: tuple[str, ...] = ()
    logging_destination: str = "s3"
    realtime_logs: RealtimeLogsConfig = field(default_factory=RealtimeLogsConfig)
    waf: WafConfig = field(default_factory=WafConfig)
    vpc_origin_security_group_id: str | None = None  # CloudFront-VPCOrigins-Service-SG, once it exists

    @property
    def signed_buckets(self) -> list[str]:
        return [b.name for b in self.buckets if b.signed]


def origin_shield_region(region: str) -> str | None:
    """Where Origin Shield goes for an origin in ``region``: the same Region when CloudFront offers it there."""
    return region if region in ORIGIN_SHIELD_REGIONS else ORIGIN_SHIELD_FOR.get(region)


def edge_subnets(vpc_cidr: str, az_count: int) -> list[str]:
    """The origin subnets: one /27 per AZ, the last eight /27s of the VPC's reserved block (block 6 of eight,
    network/subnets.py), so they never move when AZs are added. Raises ValueError for a VPC under /21."""
    vpc = ipaddress.IPv4Network(vpc_cidr)
    reserved = list(vpc.subnets(prefixlen_diff=3))[6]
    if reserved.prefixlen > EDGE_SUBNET_PREFIX - 3:
        raise ValueError(f"{vpc_cidr} leaves a /{reserved.prefixlen} reserved block; the edge's /27 origin subnets "
                         "need a /21 VPC or larger")
    slices = list(reserved.subnets(new_prefix=EDGE_SUBNET_PREFIX))[-8:]
    return [str(s) for s in slices[:az_count]]


def domains_overlap(a: str, b: str) -> bool:
    """s3s MultiDomain's refusal: one domain a string suffix of the other."""
    return a.endswith(b) or b.endswith(a)


def _acm(p, e: dict, key: str, region: str, where: str) -> str | None:
    arn = p.string(e, key, f"edge.{key}", None, f" ACM certificate ARN in {region}",
                   check=lambda v: bool(_ACM_ARN.match(v)))
    match = _ACM_ARN.match(arn or "")
    if match and match.group(1) != region:
        p.add(f"edge.{key}", arn, f"{where} must be an ACM certificate of {region} (this one is in {match.group(1)})")
    return arn


def _buckets(p, e: dict) -> tuple[EdgeBucket, ...]:
    raw = e.get("buckets")
    if not isinstance(raw, list) or not raw:
        p.add("edge.buckets", raw if raw is not None else "missing", "a list of 1-"
              f"{MAX_BUCKETS} RustFS buckets to serve ({{name, signed}}): the edge serves nothing else")
        return ()
    if len(raw) > MAX_BUCKETS:
        p.add("edge.buckets", f"{len(raw)} buckets", f"at most {MAX_BUCKETS}: CloudFront allows 25 cache behaviors "
              "per distribution and one is the default")
    out, seen = [], set()
    for i, b in enumerate(raw):
        where = f"edge.buckets[{i}]"
        b = {"name": b} if isinstance(b, str) else b
        if not isinstance(b, dict):
            p.add(where, b, "a bucket name or an object {name, signed}")
            continue
        p.unknown_keys(b, where, {"name", "signed"})
        name = b.get("name")
        problem = bucket_name_problem(name)
        if problem:
            p.add(f"{where}.name", name, f"a bucket name RustFS accepts: {problem}")
        elif name in seen:
            p.add(f"{where}.name", name, "listed twice")
        seen.add(name)
        out.append(EdgeBucket(str(name), p.boolean(b, "signed", f"{where}.signed", False)))
    return tuple(out)


def _ttl(p, e: dict) -> CacheTtl:
    t = p.section(e, "ttl", "edge.ttl", {"minSeconds", "defaultSeconds", "maxSeconds"})
    d = CacheTtl()
    ttl = CacheTtl(*(p.integer(t, key, f"edge.ttl.{key}", default, 0, MAX_TTL_SECONDS, " seconds")
                     for key, default in (("minSeconds", d.min_seconds), ("defaultSeconds", d.default_seconds),
                                          ("maxSeconds", d.max_seconds))))
    if not ttl.min_seconds <= ttl.default_seconds <= ttl.max_seconds:
        p.add("edge.ttl", {"minSeconds": ttl.min_seconds, "defaultSeconds": ttl.default_seconds,
                           "maxSeconds": ttl.max_seconds}, "CloudFront requires minSeconds <= defaultSeconds <= "
              "maxSeconds")
    if ttl.max_seconds == 0:
        p.add("edge.ttl.maxSeconds", 0, "at least 1: with a maximum TTL of 0 CloudFront caches nothing and every "
              "request goes to RustFS")
    return ttl


def _waf(p, e: dict) -> WafConfig:
    w = p.section(e, "waf", "edge.waf", {"rateLimit", "blockedCountries", "allowedCountries"})
    d = WafConfig()
    limit = p.integer(w, "rateLimit", "edge.waf.rateLimit", d.rate_limit, *RATE_LIMIT_RANGE,
                      " requests per client IP in 5 minutes")
    is_country = lambda v: bool(_COUNTRY.match(v))  # noqa: E731
    blocked = p.string_list(w, "blockedCountries", "edge.waf.blockedCountries", [], check=is_country,
                            what="ISO 3166-1 alpha-2 country codes such as KP")
    allowed = p.string_list(w, "allowedCountries", "edge.waf.allowedCountries", [], check=is_country,
                            what="ISO 3166-1 alpha-2 country codes such as DE")
    if blocked and allowed:
        p.add("edge.waf", {"blockedCountries": blocked, "allowedCountries": allowed}, "set at most one of "
              "blockedCountries and allowedCountries")
    return WafConfig(limit, tuple(blocked), tuple(allowed))


def _realtime(p, e: dict) -> RealtimeLogsConfig:
    r = p.section(e, "realtimeLogs", "edge.realtimeLogs", {"enabled", "samplingRate", "shardCount"})
    d = RealtimeLogsConfig()
    return RealtimeLogsConfig(
        p.boolean(r, "enabled", "edge.realtimeLogs.enabled", d.enabled),
        # RealtimeLogConfig SamplingRate: a whole number of percent, 1-100 (CloudFront API Reference).
        p.integer(r, "samplingRate", "edge.realtimeLogs.samplingRate", d.sampling_rate, 1, 100, " percent"),
        p.integer(r, "shardCount", "edge.realtimeLogs.shardCount", d.shard_count, 1, 100, " Kinesis shards"))


def parse_edge(p, raw: dict, *, region: str, platform: str, console: bool, endpoint: str, vpc_cidr: str,
               az_count: int, az_ids: list[str]) -> EdgeConfig | None:
    """``edge`` (``p`` is config.py's ``Problems``); None when the section is absent. ``endpoint`` is the S3
    endpoint name RustFS serves under (RUSTFS_SERVER_DOMAINS with the console off)."""
    if "edge" not in raw:
        return None
    e = p.section(raw, "edge", "edge", KNOWN)
    if platform != "ec2":
        p.add("edge", "(section present)", f"only with cluster.platform: ec2 (this stack has {platform!r}): the "
              "origin load balancer registers the EC2 nodes' Auto Scaling groups")
    if region not in VPC_ORIGIN_REGIONS:
        p.add("edge", "(section present)", f"CloudFront VPC origins are not offered in {region}; Regions: "
              f"{', '.join(sorted(VPC_ORIGIN_REGIONS))}")
    excluded = [z for z in az_ids if z in VPC_ORIGIN_REGIONS.get(region, ())]
    if excluded:
        p.add("network.azIds", az_ids, f"CloudFront VPC origins do not support {', '.join(excluded)} (the origin "
              "load balancer has a subnet in every stack AZ); pin other zones or remove edge")
    try:
        edge_subnets(vpc_cidr, az_count)
    except ValueError as exc:
        p.add("network.cidr", vpc_cidr, f"with edge: {exc}")
    buckets = _buckets(p, e)
    is_domain = lambda v: bool(_DOMAIN.match(v))  # noqa: E731
    domain = p.string(e, "domainName", "edge.domainName", None, " DNS name such as cdn.example.com", check=is_domain)
    origin = p.string(e, "originDomainName", "edge.originDomainName", f"origin.{domain}" if domain else None,
                      " public DNS name such as origin.cdn.example.com (the name on the origin certificate)",
                      check=is_domain)
    if origin is None:
        p.add("edge.originDomainName", "missing", "the public name CloudFront checks the origin's certificate "
              "against (CloudFront trusts public CAs only, not the stack's private CA): a name such as "
              "origin.cdn.example.com in a domain you own (default with domainName: origin.<domainName>)")
        origin = ""
    elif domain and origin == domain:
        p.add("edge.originDomainName", origin, "must differ from edge.domainName (viewers resolve that one to "
              "CloudFront)")
    if origin and not console and domains_overlap(origin, endpoint):
        p.add("edge.originDomainName", origin, f"RustFS refuses to start when its server domains overlap (one a "
              f"suffix of the other); the S3 endpoint is {endpoint}")
    zone = p.string(e, "hostedZoneId", "edge.hostedZoneId", None, " Route 53 hosted zone ID such as Z0123456789ABC",
                    check=lambda v: bool(_ZONE_ID.match(v)))
    viewer_arn = _acm(p, e, "viewerCertificateArn", "us-east-1", "CloudFront's viewer certificate")
    origin_arn = _acm(p, e, "originCertificateArn", region, "The origin load balancer's certificate")
    if viewer_arn and not domain:
        p.add("edge.viewerCertificateArn", viewer_arn, "only with edge.domainName (the name the certificate covers)")
    if domain and not (viewer_arn or zone):
        p.add("edge.domainName", domain, "needs edge.viewerCertificateArn (ACM, us-east-1) or edge.hostedZoneId (the "
              "stack requests the certificate in us-east-1 and validates it there by DNS)")
    if not (origin_arn or zone):
        p.add("edge.originCertificateArn", "missing", f"an ACM certificate of {region} for edge.originDomainName, or "
              "edge.hostedZoneId so the stack requests and DNS-validates one")
    protocol = p.enum(e, "minimumProtocolVersion", "edge.minimumProtocolVersion", list(VIEWER_POLICIES),
                      VIEWER_POLICIES[0])
    if "minimumProtocolVersion" in e and not domain:
        p.add("edge.minimumProtocolVersion", protocol, "only with edge.domainName: the default *.cloudfront.net "
              "certificate always accepts CloudFront's oldest policy (TLSv1)")
    shield_default = origin_shield_region(region)
    shield = p.enum(e, "originShieldRegion", "edge.originShieldRegion", list(ORIGIN_SHIELD_REGIONS),
                    shield_default if shield_default else ORIGIN_SHIELD_REGIONS[1])
    if not shield_default and "originShieldRegion" not in e:
        p.add("edge.originShieldRegion", "missing", f"CloudFront names no Origin Shield Region for {region}: choose "
              f"the one nearest to it ({' | '.join(ORIGIN_SHIELD_REGIONS)})")
    keys = p.string_list(e, "publicKeys", "edge.publicKeys", [], check=lambda v: bool(_PEM_PUBLIC_KEY.match(v)),
                         what="PEM public keys (-----BEGIN PUBLIC KEY-----, RSA 2048 or ECDSA P-256)")
    if len(keys) > MAX_PUBLIC_KEYS:
        p.add("edge.publicKeys", f"{len(keys)} keys", f"at most {MAX_PUBLIC_KEYS} (CloudFront's public keys per key "
              "group)")
    signed = [b.name for b in buckets if b.signed]
    if signed and not keys:
        p.add("edge.publicKeys", [], f"the signed buckets ({', '.join(signed)}) need the key group's public keys: "
              "CloudFront checks their signed URLs and cookies against it")
    if keys and not signed:
        p.add("edge.publicKeys", f"{len(keys)} keys", "only used by buckets with signed: true")
    lg = p.section(e, "logging", "edge.logging", {"destination"})
    destination = p.enum(lg, "destination", "edge.logging.destination", list(LOG_DESTINATIONS),
                         "s3" if region == "us-east-1" else "cloudwatch")
    if destination == "s3" and region != "us-east-1":
        p.add("edge.logging.destination", "s3", "CloudFront delivers its logs from us-east-1, and the logs bucket's "
              f"key (the storage key, {region}) admits log deliveries of its own Region only; use cloudwatch (a log "
              "group in us-east-1)")
    sg = p.string(e, "vpcOriginSecurityGroupId", "edge.vpcOriginSecurityGroupId", None, " security group ID (the "
                  "CloudFront-VPCOrigins-Service-SG CloudFront created in the VPC)", check=lambda v: bool(
                      _SG_ID.match(v)))
    return EdgeConfig(buckets=buckets, origin_domain_name=origin, origin_shield_region=shield, domain_name=domain,
                      viewer_certificate_arn=viewer_arn, origin_certificate_arn=origin_arn, hosted_zone_id=zone,
                      price_class=p.enum(e, "priceClass", "edge.priceClass", list(PRICE_CLASSES), PRICE_CLASSES[0]),
                      minimum_protocol_version=protocol, ttl=_ttl(p, e), public_keys=tuple(keys),
                      logging_destination=destination, realtime_logs=_realtime(p, e), waf=_waf(p, e),
                      vpc_origin_security_group_id=sg)


def with_edge_policies(buckets: list[dict], edge: EdgeConfig, source_cidrs: list[str]) -> list[dict]:
    """``rustfs.buckets`` with each (kept) edge bucket carrying the edge's bucket policy (documents.py)."""
    from rustfs_aws.edge.documents import edge_bucket_policy  # pure; imported here, as config imports this module

    served = {b.name for b in edge.buckets}
    return [{**b, "policy": edge_bucket_policy(b["name"], source_cidrs)}
            if b.get("name") in served and not b.get("delete") else b for b in buckets]


def check_against_state(p, edge: EdgeConfig | None, state, *, vpc_cidr: str, az_count: int) -> None:
    """With a ``rustfs`` section (``state.declared``) the reconciler applies each edge bucket's RustFS bucket policy
    (components/edge/wiring.py ``state_buckets``), so every edge bucket must be one of ``rustfs.buckets``: declared
    (not added behind the operator's back: the reconciler would create it and list it as its own), not being
    deleted, and without a ``policy`` or ``deletePolicy`` of its own (the edge's policy is the bucket's whole
    policy: a second one would replace it on every other run). Without the section nothing is checked: the policies
    stay the stack output ``edgeBucketPolicies`` that the operator applies (README, "The edge")."""
    if edge is None or not state.declared:
        return
    declared = {b.get("name"): (j, b) for j, b in enumerate(state.buckets)}
    for i, bucket in enumerate(edge.buckets):
        found = declared.get(bucket.name)
        if found is None:
            p.add(f"edge.buckets[{i}].name", bucket.name, "with a rustfs section the reconciler applies the edge's "
                  "bucket policy, so the bucket must be declared in rustfs.buckets too (declared there: "
                  f"{', '.join(sorted(str(n) for n in declared)) or 'none'}); add - name: {bucket.name}")
            continue
        j, b = found
        if b.get("delete"):
            p.add(f"rustfs.buckets[{j}].delete", True, f"edge.buckets[{i}] serves {bucket.name}: remove it from "
                  "edge.buckets before deleting the bucket")
        for key in ("policy", "deletePolicy"):
            if key in b:
                p.add(f"rustfs.buckets[{j}].{key}", "set", f"edge.buckets[{i}] serves {bucket.name} and the "
                      "reconciler applies the edge's bucket policy to it (the edge's anonymous read from the origin "
                      f"subnets): remove {key} here")
    try:
        cidrs = edge_subnets(vpc_cidr, az_count)
    except ValueError:  # reported with the network
        return
    # The policies travel in the desired-state parameter: its size without the cluster's names and secret ARNs is
    # already a lower bound; the exact check (with the longest ARNs) is RustfsState's, before any resource too.
    size = len(rustfs_state.document_text(rustfs_state.document({
        "buckets": with_edge_policies(state.buckets, edge, cidrs), "policies": state.policies,
        "serviceAccounts": state.service_accounts})).encode())
    if size > rustfs_state.ADVANCED_BYTES:
        p.add("edge.buckets", f"{len(edge.buckets)} buckets", "with a rustfs section each edge bucket's policy goes "
              f"into the desired-state SSM parameter, which would hold at least {size:,} bytes of "
              f"rustfs.buckets/policies/serviceAccounts, over SSM's {rustfs_state.ADVANCED_BYTES:,}: serve fewer "
              "buckets through the edge, or drop the rustfs section and "
              "apply the edgeBucketPolicies output by hand (README, The edge)")
