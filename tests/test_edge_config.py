"""The ``edge`` config section (components/edge/settings.py): defaults, and every refusal naming its key with what
is allowed. The facts behind them (CloudFront's certificate Regions, RustFS's server-domain overlap, Origin Shield
and VPC-origin Regions, quotas) are cited in settings.py."""

from __future__ import annotations

import copy

import pytest
from test_config import BASE, PROD

from rustfs_aws.config import ConfigError, parse
from rustfs_aws.edge.settings import domains_overlap, edge_subnets, origin_shield_region

KEY = ("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
       "-----END PUBLIC KEY-----\n")
VIEWER = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
ORIGIN = "arn:aws:acm:{region}:123456789012:certificate/66666666-7777-8888-9999-000000000000"
MINIMAL = {"buckets": ["public-assets"], "originDomainName": "origin.cdn.example.com", "hostedZoneId": "Z0123ABC"}


def edge(section: dict, base: dict = BASE, region: str = "us-east-1"):
    return parse({**copy.deepcopy(base), "edge": section}, stack="t", region=region).edge


def refusals(section: dict, base: dict = BASE, region: str = "us-east-1") -> str:
    with pytest.raises(ConfigError) as err:
        edge(section, base, region)
    return str(err.value)


def test_no_section_no_edge_and_the_minimal_section_takes_the_defaults():
    assert parse(copy.deepcopy(BASE), stack="t", region="us-east-1").edge is None
    e = edge(MINIMAL)
    assert [b.name for b in e.buckets] == ["public-assets"] and not e.signed_buckets
    assert (e.price_class, e.minimum_protocol_version, e.origin_shield_region) == ("PriceClass_100", "TLSv1.2_2021",
                                                                                   "us-east-1")
    assert (e.ttl.min_seconds, e.ttl.default_seconds, e.ttl.max_seconds) == (0, 86_400, 31_536_000)
    assert e.logging_destination == "s3" and e.waf.rate_limit == 2_000 and e.domain_name is None


def test_the_origin_name_defaults_under_the_viewers_domain():
    e = edge({"buckets": ["a-bucket"], "domainName": "cdn.example.com", "hostedZoneId": "Z0123ABC"})
    assert e.origin_domain_name == "origin.cdn.example.com"


def test_origin_shield_follows_cloudfronts_region_table():
    assert origin_shield_region("eu-west-1") == "eu-west-1"
    assert origin_shield_region("eu-west-3") == "eu-west-2" and origin_shield_region("ca-central-1") == "us-east-1"
    assert origin_shield_region("ap-southeast-7") is None
    assert edge(MINIMAL, region="eu-west-3").origin_shield_region == "eu-west-2"
    assert "edge.originShieldRegion: got 'missing'; CloudFront names no Origin Shield Region for ap-southeast-7" in \
        refusals(MINIMAL, region="ap-southeast-7")
    assert edge({**MINIMAL, "originShieldRegion": "ap-southeast-1"}, region="ap-southeast-7").origin_shield_region \
        == "ap-southeast-1"


def test_origin_subnets_are_27s_at_the_top_of_the_reserved_block():
    assert edge_subnets("10.40.0.0/16", 3) == ["10.40.223.0/27", "10.40.223.32/27", "10.40.223.64/27"]
    assert "network.cidr: got '10.40.0.0/22'; with edge:" in refusals(
        MINIMAL, {**BASE, "network": {**BASE["network"], "cidr": "10.40.0.0/22"}})


def test_server_domains_overlap_as_s3s_tests_it():
    assert domains_overlap("s3.example.com", "xs3.example.com") and not domains_overlap("a.example.com", "b.example")


@pytest.mark.parametrize(("section", "expected"), [
    ({}, "edge.buckets: got 'missing'; a list of 1-24 RustFS buckets"),
    ({"buckets": ["Bad_Name"]}, "edge.buckets[0].name: got 'Bad_Name'; a bucket name RustFS accepts"),
    ({"buckets": ["a-bucket", "a-bucket"]}, "edge.buckets[1].name: got 'a-bucket'; listed twice"),
    ({"buckets": [f"b-{i:02d}" for i in range(25)]}, "edge.buckets: got '25 buckets'; at most 24"),
    ({"buckets": [{"name": "a-bucket", "signed": True}]}, "edge.publicKeys: got []; the signed buckets (a-bucket)"),
    ({"publicKeys": [KEY]}, "edge.publicKeys: got '1 keys'; only used by buckets with signed: true"),
    ({"publicKeys": ["not a key"]}, "edge.publicKeys[0]: got 'not a key'"),
    ({"domainName": "cdn.example.com", "hostedZoneId": None, "originCertificateArn": ORIGIN.format(region="us-east-1")},
     "edge.domainName: got 'cdn.example.com'; needs edge.viewerCertificateArn (ACM, us-east-1)"),
    ({"domainName": "cdn.example.com", "viewerCertificateArn": VIEWER.replace("us-east-1", "eu-west-1")},
     "CloudFront's viewer certificate must be an ACM certificate of us-east-1"),
    ({"viewerCertificateArn": VIEWER}, "edge.viewerCertificateArn: got '" + VIEWER + "'; only with edge.domainName"),
    ({"hostedZoneId": None}, "edge.originCertificateArn: got 'missing'; an ACM certificate of us-east-1"),
    ({"originCertificateArn": ORIGIN.format(region="us-west-2")},
     "The origin load balancer's certificate must be an ACM certificate of us-east-1 (this one is in us-west-2)"),
    ({"originDomainName": None}, "edge.originDomainName: got 'missing'; the public name CloudFront checks"),
    ({"domainName": "cdn.example.com", "originDomainName": "cdn.example.com"}, "must differ from edge.domainName"),
    ({"minimumProtocolVersion": "TLSv1.2_2021"}, "edge.minimumProtocolVersion: got 'TLSv1.2_2021'; only with "
     "edge.domainName"),
    ({"domainName": "cdn.example.com", "minimumProtocolVersion": "TLSv1.1_2016"},
     "edge.minimumProtocolVersion: got 'TLSv1.1_2016'; allowed values: TLSv1.2_2021 | TLSv1.2_2025 | TLSv1.3_2025"),
    ({"priceClass": "PriceClass_50"}, "edge.priceClass: got 'PriceClass_50'; allowed values: PriceClass_100"),
    ({"ttl": {"minSeconds": 600, "defaultSeconds": 60}}, "CloudFront requires minSeconds <= defaultSeconds"),
    ({"ttl": {"defaultSeconds": 0, "maxSeconds": 0}}, "edge.ttl.maxSeconds: got 0; at least 1"),
    ({"waf": {"rateLimit": 5}}, "edge.waf.rateLimit: got 5; allowed range 10–2,000,000,000"),
    ({"waf": {"blockedCountries": ["KP"], "allowedCountries": ["DE"]}}, "set at most one of blockedCountries"),
    ({"waf": {"blockedCountries": ["north korea"]}}, "edge.waf.blockedCountries[0]: got 'north korea'"),
    ({"realtimeLogs": {"samplingRate": 0}}, "edge.realtimeLogs.samplingRate: got 0; allowed range 1–100"),
    ({"logging": {"destination": "firehose"}}, "edge.logging.destination: got 'firehose'; allowed values: s3 | "
     "cloudwatch"),
    ({"vpcOriginSecurityGroupId": "sg-xyz"}, "edge.vpcOriginSecurityGroupId: got 'sg-xyz'"),
    ({"cname": "x"}, "edge.cname: got 'x'; unknown key"),
])
def test_edge_config_errors_name_the_key(section, expected):
    merged = {**MINIMAL, **section}
    merged = {k: v for k, v in merged.items() if v is not None}
    if section == {}:
        merged.pop("buckets")
    assert expected in refusals(merged)


def test_the_origin_name_may_not_overlap_rustfs_s3_endpoint_when_rustfs_routes_by_host():
    """prod runs with the console off, so RustFS takes RUSTFS_SERVER_DOMAINS, and s3s refuses overlapping domains."""
    prod = {**PROD, "cluster": {**PROD["cluster"], "domain": "prod.rustfs.example.com"}}
    assert "RustFS refuses to start when its server domains overlap" in refusals(
        {**MINIMAL, "originDomainName": "xs3.prod.rustfs.example.com"}, prod)
    dev = {**BASE, "cluster": {**BASE["cluster"], "domain": "dev.rustfs.example.com"}}
    assert edge({**MINIMAL, "originDomainName": "xs3.dev.rustfs.example.com"}, dev) is not None  # console on


def test_vpc_origins_regions_zones_platform_and_log_destination():
    assert "CloudFront VPC origins are not offered in us-gov-west-1" in refusals(MINIMAL, region="us-gov-west-1")
    pinned = {**BASE, "network": {**BASE["network"], "azIds": ["use1-az1", "use1-az3"]}}
    pinned["network"].pop("azCount")
    assert "network.azIds: got [\"use1-az1\", \"use1-az3\"]; CloudFront VPC origins do not support use1-az3" in \
        refusals(MINIMAL, pinned)
    assert "edge: got '(section present)'; only with cluster.platform: ec2" in refusals(
        MINIMAL, {**BASE, "cluster": {**BASE["cluster"], "platform": "eks", "nodes": 6}})
    assert edge(MINIMAL, region="eu-west-1").logging_destination == "cloudwatch"
    assert "edge.logging.destination: got 's3'; CloudFront delivers its logs from us-east-1" in refusals(
        {**MINIMAL, "logging": {"destination": "s3"}}, region="eu-west-1")
