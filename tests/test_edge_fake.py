"""The fake AWS refuses what CloudFront, WAF, ACM and CloudWatch Logs refuse for the edge (preflight/fake_edge.py,
each rule with its source there): the program's mistakes fail the preview as they would fail ``pulumi up``."""

from __future__ import annotations

import json

import pytest

from preflight import fake_aws
from preflight.fake_aws import FakeAws
from preflight.fake_operations import AwsRejects
from rustfs_aws.edge.documents import edge_key_policy

LB, LISTENER = "aws:lb/loadBalancer:LoadBalancer", "aws:lb/listener:Listener"
HANDLERS = fake_aws._RESOURCES
GOOD_ORIGIN = {"httpPort": 80, "httpsPort": 443, "originProtocolPolicy": "https-only",
               "originSslProtocols": {"items": ["TLSv1.2"], "quantity": 1}}


@pytest.fixture
def fake():
    return FakeAws("us-east-1")


def create(fake, token: str, resource: str, **inputs):
    physical, extra = HANDLERS[token](fake, resource, inputs)
    return {"id": physical, **inputs, **extra}


def lb(fake, name: str, **inputs):
    return create(fake, LB, name, **{"internal": True, "loadBalancerType": "application", "securityGroups": ["sg-1"],
                                     **inputs})


def vpc_origin(fake, arn: str, name: str = "vo"):
    return create(fake, "aws:cloudfront/vpcOrigin:VpcOrigin", name, vpcOriginEndpointConfig={**GOOD_ORIGIN,
                                                                                            "arn": arn})


def test_a_vpc_origin_takes_an_internal_alb(fake):
    assert vpc_origin(fake, lb(fake, "alb")["arn"])["arn"].startswith("arn:aws:cloudfront::123456789012:vpcorigin/")
    with pytest.raises(AwsRejects, match="internet-facing"):
        vpc_origin(fake, lb(fake, "public", internal=False)["arn"])


def test_a_vpc_origin_needs_an_internet_gateway_on_the_load_balancers_vpc(fake):
    """CloudFront's VPC-origin prerequisites: the VPC has an internet gateway attached (it carries none of the
    origin's traffic); the program creates the origin after the gateway (EdgeOrigin.endpoint_arn)."""
    vpc = create(fake, "aws:ec2/vpc:Vpc", "bare", cidrBlock="10.9.0.0/16")["id"]
    subnets = [create(fake, "aws:ec2/subnet:Subnet", f"s{i}", vpcId=vpc, cidrBlock=f"10.9.{i}.0/24",
                      availabilityZone=az)["id"] for i, az in enumerate(("us-east-1a", "us-east-1b"))]
    alb = lb(fake, "alb-no-igw", subnets=subnets)
    with pytest.raises(AwsRejects, match="has no internet gateway attached"):
        vpc_origin(fake, alb["arn"], "vo-no-igw")
    create(fake, "aws:ec2/internetGateway:InternetGateway", "igw", vpcId=vpc)
    vpc_origin(fake, alb["arn"], "vo-igw")


@pytest.mark.parametrize(("inputs", "refusal"), [
    ({"ipAddressType": "dualstack"}, "dual-stack Network Load Balancer"),
    ({"securityGroups": []}, "needs a security group"),
])
def test_nlbs_that_cannot_be_vpc_origins(fake, inputs, refusal):
    nlb = lb(fake, "nlb", loadBalancerType="network", **inputs)
    with pytest.raises(AwsRejects, match=refusal):
        vpc_origin(fake, nlb["arn"])


def test_an_nlb_with_a_tls_listener_is_refused_whichever_comes_first(fake):
    before = lb(fake, "nlb-a", loadBalancerType="network")
    create(fake, LISTENER, "tls-a", loadBalancerArn=before["arn"], protocol="TLS", port=443)
    with pytest.raises(AwsRejects, match="with a TLS listener cannot be a VPC origin"):
        vpc_origin(fake, before["arn"], "vo-a")
    after = lb(fake, "nlb-b", loadBalancerType="network")
    create(fake, LISTENER, "tcp-b", loadBalancerArn=after["arn"], protocol="TCP", port=9000)
    vpc_origin(fake, after["arn"], "vo-b")
    with pytest.raises(AwsRejects, match="cannot have a TLS listener"):
        create(fake, LISTENER, "tls-b", loadBalancerArn=after["arn"], protocol="TLS", port=443)


def test_a_listener_takes_a_certificate_of_its_own_region(fake):
    alb = lb(fake, "alb")
    other = create(FakeAws("eu-west-1", account=fake.account), "aws:acm/certificate:Certificate", "c",
                   domainName="origin.example.com")
    with pytest.raises(AwsRejects, match="not in the load balancer's Region us-east-1"):
        create(fake, LISTENER, "https", loadBalancerArn=alb["arn"], protocol="HTTPS", certificateArn=other["arn"])


def test_cloudfront_takes_viewer_certificates_of_us_east_1_covering_the_aliases(fake):
    eu = create(FakeAws("eu-west-1", account=fake.account), "aws:acm/certificate:Certificate", "eu",
                domainName="cdn.example.com")
    us = create(fake, "aws:acm/certificate:Certificate", "us", domainName="cdn.example.com")
    behavior = {"targetOriginId": "o", "allowedMethods": ["GET", "HEAD"], "cachedMethods": ["GET", "HEAD"]}
    base = {"origins": [{"originId": "o", "domainName": "origin.example.com"}], "defaultCacheBehavior": behavior}
    dist = "aws:cloudfront/distribution:Distribution"
    with pytest.raises(AwsRejects, match="is not in us-east-1"):
        create(fake, dist, "d1", **base, aliases=["cdn.example.com"],
               viewerCertificate={"acmCertificateArn": eu["arn"], "sslSupportMethod": "sni-only"})
    with pytest.raises(AwsRejects, match="does not cover"):
        create(fake, dist, "d2", **base, aliases=["www.example.com"],
               viewerCertificate={"acmCertificateArn": us["arn"], "sslSupportMethod": "sni-only"})
    created = create(fake, dist, "d3", **base, aliases=["cdn.example.com"],
                     viewerCertificate={"acmCertificateArn": us["arn"], "sslSupportMethod": "sni-only"})
    assert created["domainName"].endswith(".cloudfront.net")
    with pytest.raises(AwsRejects, match="cached"):
        create(fake, dist, "d4", **{**base, "defaultCacheBehavior": {**behavior, "cachedMethods": ["GET", "PUT"]}},
               viewerCertificate={"cloudfrontDefaultCertificate": True})


def _acl(**extra):
    rule = {"name": "common", "priority": 0, "overrideAction": {"none": {}},
            "statement": {"managedRuleGroupStatement": {"name": "AWSManagedRulesCommonRuleSet", "vendorName": "AWS"}},
            "visibilityConfig": {"metricName": "common"}}
    return {"name": "edge", "scope": "CLOUDFRONT", "rules": [rule], **extra}


def test_a_cloudfront_web_acl_exists_only_in_us_east_1_and_within_its_capacity(fake):
    with pytest.raises(AwsRejects, match="scope CLOUDFRONT is only created in us-east-1"):
        create(FakeAws("eu-west-1", account=fake.account), "aws:wafv2/webAcl:WebAcl", "acl", **_acl())
    acl = create(fake, "aws:wafv2/webAcl:WebAcl", "acl", **_acl())
    assert ":global/webacl/edge/" in acl["arn"] and acl["capacity"] == 700
    rules = [{**_acl()["rules"][0], "name": f"r{i}", "priority": i, "visibilityConfig": {"metricName": f"r{i}"}}
             for i in range(3)]
    with pytest.raises(AwsRejects, match="2100 capacity units"):
        create(fake, "aws:wafv2/webAcl:WebAcl", "big", **_acl(name="big", rules=rules))


def test_waf_logs_go_only_to_an_aws_waf_logs_group_of_the_acls_region(fake):
    acl = create(fake, "aws:wafv2/webAcl:WebAcl", "acl", **_acl())
    token = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
    group = "arn:aws:logs:us-east-1:123456789012:log-group:"
    with pytest.raises(AwsRejects, match="must be named aws-waf-logs-"):
        create(fake, token, "l1", resourceArn=acl["arn"], logDestinationConfigs=[group + "/rustfs/waf"])
    with pytest.raises(AwsRejects, match="log group in eu-west-1"):
        create(fake, token, "l2", resourceArn=acl["arn"],
               logDestinationConfigs=["arn:aws:logs:eu-west-1:123456789012:log-group:aws-waf-logs-edge"])
    create(fake, token, "l3", resourceArn=acl["arn"], logDestinationConfigs=[group + "aws-waf-logs-edge"])


def test_cache_policy_ttls_and_the_authorization_header(fake):
    token = "aws:cloudfront/cachePolicy:CachePolicy"
    none = {"headersConfig": {"headerBehavior": "none"}, "cookiesConfig": {"cookieBehavior": "none"},
            "queryStringsConfig": {"queryStringBehavior": "none"}}
    with pytest.raises(AwsRejects, match="MinTTL 600 <= DefaultTTL 60"):
        create(fake, token, "c1", name="c1", minTtl=600, defaultTtl=60, maxTtl=3600,
               parametersInCacheKeyAndForwardedToOrigin=none)
    with pytest.raises(AwsRejects, match="caching disabled"):
        create(fake, token, "c2", name="c2", minTtl=0, defaultTtl=0, maxTtl=0,
               parametersInCacheKeyAndForwardedToOrigin={**none, "enableAcceptEncodingGzip": True})
    create(fake, token, "c3", name="c3", minTtl=0, defaultTtl=60, maxTtl=3600,
           parametersInCacheKeyAndForwardedToOrigin=none)
    with pytest.raises(AwsRejects, match="AlreadyExists"):
        create(fake, token, "c3-again", name="c3", parametersInCacheKeyAndForwardedToOrigin=none)
    with pytest.raises(AwsRejects, match="Authorization header cannot be in an origin request policy"):
        create(fake, "aws:cloudfront/originRequestPolicy:OriginRequestPolicy", "o", name="o",
               headersConfig={"headerBehavior": "whitelist", "headers": {"items": ["Authorization"]}})


def test_cloudfronts_delivery_source_lives_in_us_east_1(fake):
    token = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
    arn = "arn:aws:cloudfront::123456789012:distribution/E123"
    with pytest.raises(AwsRejects, match="created in us-east-1, not eu-west-1"):
        create(FakeAws("eu-west-1", account=fake.account), token, "s", name="s", logType="ACCESS_LOGS",
               resourceArn=arn)
    with pytest.raises(AwsRejects, match="ACCESS_LOGS only"):
        create(fake, token, "s2", name="s2", logType="ERROR_LOGS", resourceArn=arn)
    create(fake, token, "s3", name="s3", logType="ACCESS_LOGS", resourceArn=arn)


def test_a_log_group_takes_a_key_of_its_region_that_admits_its_logs_service_for_it(fake):
    """CloudWatch Logs encrypts a group only with a key of the group's Region whose policy lets logs.<region> use
    it with the group's ARN as encryption context (preflight/fake_logs_kms.py); the edge's us-east-1 key does."""
    group = "aws-waf-logs-rustfs-prod"
    arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{group}"
    good = edge_key_policy(partition="aws", account_id="123456789012", log_group_arns=[arn])
    key = create(fake, "aws:kms/key:Key", "edge-key", policy=json.dumps(good))["arn"]
    create(fake, "aws:cloudwatch/logGroup:LogGroup", "waf", name=group, kmsKeyId=key)
    with pytest.raises(AwsRejects, match="does not let logs.us-east-1.amazonaws.com use it"):
        create(fake, "aws:cloudwatch/logGroup:LogGroup", "other", name="rustfs-prod-other", kmsKeyId=key)
    wrong_region = json.loads(json.dumps(good).replace("logs.us-east-1.amazonaws.com", "logs.eu-west-1.amazonaws.com"))
    key2 = create(fake, "aws:kms/key:Key", "eu-principal-key", policy=json.dumps(wrong_region))["arn"]
    with pytest.raises(AwsRejects, match="does not let logs.us-east-1.amazonaws.com"):
        create(fake, "aws:cloudwatch/logGroup:LogGroup", "waf2", name=group, kmsKeyId=key2)
    eu_key = create(FakeAws("eu-west-1", account=fake.account), "aws:kms/key:Key", "eu-key",
                    policy=json.dumps(good))["arn"]
    with pytest.raises(AwsRejects, match="is in eu-west-1; CloudWatch Logs uses keys of the log group's own Region"):
        create(fake, "aws:cloudwatch/logGroup:LogGroup", "waf3", name=group, kmsKeyId=eu_key)
