"""The edge (components/edge/, config ``edge``), checked on the recorded prod stack with an ``edge`` section as AWS
and RustFS would see it: CloudFront reaches RustFS only through its VPC origin on the edge's internal ALB, over TLS
1.2 with a public certificate, behind Origin Shield and WAF; it caches and forwards nothing of a viewer's request but
the path (no Authorization anywhere); every CloudFront and WAF resource is in us-east-1; the RustFS bucket policy the
stack publishes lets only the origin subnets read the edge buckets, and RustFS on the nodes takes the TCP peer as
aws:SourceIp. The pack passes the stack with 0 mandatory violations (the example of issue 14).
"""

from __future__ import annotations

import ipaddress
import json
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path

import pytest
import yaml
from user_data import decode_user_data, env_file

import rustfs_aws.state.reconciler.rustfs_reconcile as reconciler
from preflight.analysis import policy_config_for, run_policies
from preflight.runner import run_stack
from rustfs_aws.config import ConfigError
from rustfs_aws.edge.documents import MANAGED_RULE_GROUPS, RATE_RULE
from rustfs_aws.state.state import parameter_name
from rustfs_model import rustfs_state
from rustfs_model.rustfs_state import known_actions

# A 2048-bit RSA public key in PEM (CloudFront takes RSA 2048 for signed URLs); its value is irrelevant offline.
PUBLIC_KEY = ("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
              "4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u\n-----END PUBLIC KEY-----\n")
ZONE = "Z0123456789ABCDEFGHIJ"
EDGE = {"buckets": [{"name": "public-assets"}, {"name": "reports", "signed": True}], "domainName": "cdn.example.com",
        "hostedZoneId": ZONE, "publicKeys": [PUBLIC_KEY], "priceClass": "PriceClass_200",
        "waf": {"rateLimit": 1500, "blockedCountries": ["KP"]}, "realtimeLogs": {"enabled": True}}
DIST = "aws:cloudfront/distribution:Distribution"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
LB, LISTENER, TG = "aws:lb/loadBalancer:LoadBalancer", "aws:lb/listener:Listener", "aws:lb/targetGroup:TargetGroup"
CACHE, ORP = "aws:cloudfront/cachePolicy:CachePolicy", "aws:cloudfront/originRequestPolicy:OriginRequestPolicy"
RHP = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
ACL, ACL_LOGGING = "aws:wafv2/webAcl:WebAcl", "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
SUBNET, INGRESS = "aws:ec2/subnet:Subnet", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ASG, CERT = "aws:autoscaling/group:Group", "aws:acm/certificate:Certificate"
SOURCE, DESTINATION = "aws:cloudwatch/logDeliverySource:LogDeliverySource", \
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"
DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
GLOBAL_TYPES = (DIST, VPC_ORIGIN, CACHE, ORP, RHP, ACL, ACL_LOGGING, SOURCE, DESTINATION, DELIVERY,
                "aws:cloudfront/function:Function", "aws:cloudfront/keyGroup:KeyGroup",
                "aws:cloudfront/publicKey:PublicKey", "aws:cloudfront/monitoringSubscription:MonitoringSubscription",
                "aws:cloudfront/realtimeLogConfig:RealtimeLogConfig", "aws:kinesis/stream:Stream")


def with_edge(stack: str = "prod", edge: dict = EDGE) -> dict:
    """The overrides of ``stack`` with an edge: its ``rustfs`` section (prod has one) then declares the edge
    buckets too, as config requires (the reconciler applies their bucket policies: edge/settings.py
    ``check_against_state``)."""
    config = yaml.safe_load((Path(__file__).resolve().parents[1] / f"Pulumi.{stack}.yaml").read_text())["config"]
    state = config.get("rustfs-aws:rustfs")
    if not state:
        return {"rustfs-aws:edge": edge}
    names = [b if isinstance(b, str) else b["name"] for b in edge["buckets"]]
    return {"rustfs-aws:edge": edge, "rustfs-aws:rustfs": {**state, "buckets": [
        *state.get("buckets", []), *({"name": n} for n in names)]}}


@cache
def prod():
    return run_stack("prod", overrides=with_edge())


@cache
def elsewhere():
    """dev in eu-west-1 without a custom domain: the default certificate, logs to CloudWatch in us-east-1."""
    return run_stack("dev", overrides={"aws:region": "eu-west-1", "rustfs-aws:edge": {
        "buckets": ["public-assets"], "originDomainName": "origin.cdn.example.com", "hostedZoneId": ZONE}})


def _edge(rec, token):
    return [r for r in rec.of_type(token) if "-edge" in r.name]


def _one(rec, token):
    (found,) = _edge(rec, token)
    return found


def _refers(resource, prop: str, other) -> bool:
    return other.urn in resource.property_dependencies.get(prop, [])


def alb_vpc(rec, alb) -> str:
    """The VPC of the load balancer's subnets."""
    (vpc,) = {s.inputs["vpcId"] for s in rec.of_type(SUBNET) if s.outputs["id"] in alb.inputs["subnets"]}
    return vpc


def _provider_region(rec, resource) -> str:
    provider_urn = resource.provider.rsplit("::", 1)[0]
    (provider,) = [p for p in rec.resources if p.urn == provider_urn]
    return provider.inputs["region"]


def test_cloudfront_reaches_rustfs_only_through_the_vpc_origin_on_the_internal_alb():
    rec = prod()
    dist, origin, alb = _one(rec, DIST), _one(rec, VPC_ORIGIN), _one(rec, LB)
    (cf_origin,) = dist.inputs["origins"]
    assert _refers(dist, "origins", origin) and cf_origin["vpcOriginConfig"]["vpcOriginId"] == origin.outputs["id"]
    assert "customOriginConfig" not in cf_origin and "s3OriginConfig" not in cf_origin
    endpoint = origin.inputs["vpcOriginEndpointConfig"]
    assert _refers(origin, "vpcOriginEndpointConfig", alb) and endpoint["arn"] == alb.outputs["arn"]
    # A VPC origin needs the VPC's internet gateway attached first (CloudFront's VPC-origin prerequisites).
    (igw,) = rec.of_type("aws:ec2/internetGateway:InternetGateway")
    assert _refers(origin, "vpcOriginEndpointConfig", igw) and igw.inputs["vpcId"] == alb_vpc(rec, alb)
    assert endpoint["originProtocolPolicy"] == "https-only"
    # Deploying a VPC origin can outlast the provider's default 15-minute wait (distribution.py).
    assert all(int(origin.inputs["timeouts"][op].rstrip("m")) >= 30 for op in ("create", "update", "delete"))
    assert endpoint["originSslProtocols"] == {"items": ["TLSv1.2"], "quantity": 1}
    assert alb.inputs["loadBalancerType"] == "application" and alb.inputs["internal"] is True
    assert alb.inputs["xffHeaderProcessingMode"] == "remove" and alb.inputs["dropInvalidHeaderFields"] is True
    # CloudFront checks the origin certificate against the origin domain name: the listener's public ACM certificate
    # is for exactly that name, issued in the stack's Region (an ELB takes its own Region's certificates).
    listener = [li for li in rec.of_type(LISTENER) if _refers(li, "loadBalancerArn", alb)]
    assert [(li.inputs["protocol"], li.inputs["port"]) for li in listener] == [("HTTPS", 443)]
    assert listener[0].inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    origin_cert = next(c for c in rec.of_type(CERT) if c.inputs["domainName"] == cf_origin["domainName"])
    assert cf_origin["domainName"] == "origin.cdn.example.com"
    assert listener[0].inputs["certificateArn"] == origin_cert.outputs["arn"]
    assert origin_cert.outputs["arn"].split(":")[3] == rec.settings.region


def test_the_alb_takes_https_only_from_cloudfront_and_sends_only_9000_to_the_nodes():
    rec = prod()
    alb = _one(rec, LB)
    (sg_id,) = alb.inputs["securityGroups"]
    into_alb = [r for r in rec.of_type(INGRESS) if r.inputs["securityGroupId"] == sg_id]
    assert [(r.inputs["fromPort"], r.inputs["toPort"]) for r in into_alb] == [(443, 443)]
    assert into_alb[0].inputs["prefixListId"].startswith("pl-") and "cidrIpv4" not in into_alb[0].inputs
    into_nodes = [r for r in rec.of_type(INGRESS) if r.inputs.get("referencedSecurityGroupId") == sg_id]
    assert [(r.inputs["fromPort"], r.inputs["ipProtocol"]) for r in into_nodes] == [(9000, "tcp")]
    tg = _one(rec, TG)
    assert (tg.inputs["protocol"], tg.inputs["port"]) == ("HTTPS", 9000)
    assert tg.inputs["healthCheck"]["path"] == "/health/ready" and tg.inputs["healthCheck"]["matcher"] == "200"
    groups = rec.of_type(ASG)
    assert groups and all(tg.outputs["arn"] in g.inputs["targetGroupArns"] for g in groups)


def test_the_origin_subnets_are_the_albs_alone_and_route_only_inside_the_vpc():
    rec = prod()
    alb = _one(rec, LB)
    edge_subnets = _edge(rec, SUBNET)
    assert sorted(alb.inputs["subnets"]) == sorted(s.outputs["id"] for s in edge_subnets)
    others = [s for s in rec.of_type(SUBNET) if s not in edge_subnets]
    cidrs = [ipaddress.ip_network(s.inputs["cidrBlock"]) for s in edge_subnets]
    assert all(c.prefixlen == 27 for c in cidrs)
    assert not any(c.overlaps(ipaddress.ip_network(o.inputs["cidrBlock"])) for c in cidrs for o in others)
    private = [s for s in others if "private" in s.name]
    assert {s.inputs["availabilityZone"] for s in edge_subnets} == {s.inputs["availabilityZone"] for s in private}
    tables = _edge(rec, "aws:ec2/routeTable:RouteTable")
    assert len(tables) == 1 and not [r for r in rec.of_type("aws:ec2/route:Route")
                                     if r.inputs["routeTableId"] == tables[0].outputs["id"]]


def test_the_distribution_viewer_side():
    dist = _one(prod(), DIST)
    cert = dist.inputs["viewerCertificate"]
    assert cert["acmCertificateArn"].split(":")[3] == "us-east-1"
    assert cert["sslSupportMethod"] == "sni-only" and cert["minimumProtocolVersion"] == "TLSv1.2_2021"
    assert dist.inputs["aliases"] == ["cdn.example.com"]
    assert dist.inputs["httpVersion"] == "http2and3" and dist.inputs["isIpv6Enabled"] is True
    assert dist.inputs["priceClass"] == "PriceClass_200"
    (origin,) = dist.inputs["origins"]
    assert origin["originShield"] == {"enabled": True, "originShieldRegion": "us-east-1"}
    assert "loggingConfig" not in dist.inputs  # standard logging v2 (below), not the legacy ACL-based logging


def test_one_behavior_per_edge_bucket_and_404_for_everything_else():
    rec = prod()
    dist = _one(rec, DIST)
    behaviors = {b["pathPattern"]: b for b in dist.inputs["orderedCacheBehaviors"]}
    assert sorted(behaviors) == ["/public-assets/*", "/reports/*"]
    (group,) = _edge(rec, "aws:cloudfront/keyGroup:KeyGroup")
    assert behaviors["/reports/*"]["trustedKeyGroups"] == [group.outputs["id"]]
    assert "trustedKeyGroups" not in behaviors["/public-assets/*"]
    default = dist.inputs["defaultCacheBehavior"]
    (association,) = default["functionAssociations"]
    function = _one(rec, "aws:cloudfront/function:Function")
    assert association == {"eventType": "viewer-request", "functionArn": function.outputs["arn"]}
    assert "statusCode: 404" in function.inputs["code"] and function.inputs["publish"] is True
    cache_policy, orp, rhp = _one(rec, CACHE), _one(rec, ORP), _one(rec, RHP)
    for b in [default, *behaviors.values()]:
        assert b["viewerProtocolPolicy"] == "redirect-to-https"
        assert sorted(b["allowedMethods"]) == sorted(b["cachedMethods"]) == ["GET", "HEAD"]
        assert b["cachePolicyId"] == cache_policy.outputs["id"] and b["originRequestPolicyId"] == orp.outputs["id"]
        assert b["responseHeadersPolicyId"] == rhp.outputs["id"]


def test_no_authorization_header_is_forwarded_or_cached():
    """CloudFront forwards to the origin only what the cache and origin-request policies name: the path is the whole
    key, nothing of the viewer's headers, cookies or query strings is forwarded, no origin custom header exists."""
    rec = prod()
    key = _one(rec, CACHE).inputs["parametersInCacheKeyAndForwardedToOrigin"]
    assert key["headersConfig"] == {"headerBehavior": "none"} and key["cookiesConfig"]["cookieBehavior"] == "none"
    assert key["queryStringsConfig"]["queryStringBehavior"] == "none"
    orp = _one(rec, ORP).inputs
    assert orp["headersConfig"] == {"headerBehavior": "none"}
    assert orp["cookiesConfig"]["cookieBehavior"] == orp["queryStringsConfig"]["queryStringBehavior"] == "none"
    everything = json.dumps([r.inputs for r in rec.resources if r.type.startswith("aws:cloudfront/")]).lower()
    assert "authorization" not in everything
    (origin,) = _one(rec, DIST).inputs["origins"]
    assert not origin.get("customHeaders")


def test_ttls_and_security_headers():
    rec = prod()
    cache_policy = _one(rec, CACHE).inputs
    assert 0 == cache_policy["minTtl"] <= cache_policy["defaultTtl"] == 86_400 <= cache_policy["maxTtl"] == 31_536_000
    security = _one(rec, RHP).inputs["securityHeadersConfig"]
    assert security["strictTransportSecurity"]["accessControlMaxAgeSec"] >= 31_536_000
    assert security["contentTypeOptions"]["override"] is True
    assert security["frameOptions"]["frameOption"] == "DENY"


def test_waf_rules_and_logging():
    rec = prod()
    acl = _one(rec, ACL)
    assert acl.inputs["scope"] == "CLOUDFRONT" and acl.inputs["defaultAction"] == {"allow": {}}
    assert _one(rec, DIST).inputs["webAclId"] == acl.outputs["arn"]
    rules = {r["name"]: r for r in acl.inputs["rules"]}
    for group, _ in MANAGED_RULE_GROUPS:
        rule = rules[f"AWS-{group}"]
        assert rule["statement"]["managedRuleGroupStatement"] == {"name": group, "vendorName": "AWS"}
        assert rule["overrideAction"] == {"none": {}}  # the groups' own Block actions, not counted only
    rate = rules[RATE_RULE]
    assert rate["action"] == {"block": {}} and rate["statement"]["rateBasedStatement"]["limit"] == 1500
    geo = rules["GeoRestriction"]
    assert geo["statement"] == {"geoMatchStatement": {"countryCodes": ["KP"]}} and geo["action"] == {"block": {}}
    assert len({r["priority"] for r in rules.values()}) == len(rules)
    logging = _one(rec, ACL_LOGGING)
    assert _refers(logging, "resourceArn", acl)
    (group_arn,) = logging.inputs["logDestinationConfigs"]
    assert group_arn.split(":log-group:")[1].startswith("aws-waf-logs-") and group_arn.split(":")[3] == "us-east-1"
    assert sorted(f["singleHeader"]["name"] for f in logging.inputs["redactedFields"]) == ["authorization", "cookie"]


def test_the_allowed_countries_invert_the_geo_rule():
    from rustfs_aws.edge.documents import web_acl_rules

    (geo, *_) = web_acl_rules(rate_limit=100, allowed_countries=("DE", "FR"))
    geo_match = {"geo_match_statement": {"country_codes": ["DE", "FR"]}}
    assert geo["statement"] == {"not_statement": {"statement": geo_match}} and geo["action"] == {"block": {}}


def test_every_cloudfront_and_waf_resource_is_in_us_east_1_and_the_origin_in_the_stacks_region():
    rec = elsewhere()
    assert rec.settings.region == "eu-west-1"
    for token in GLOBAL_TYPES:
        for r in _edge(rec, token):
            assert _provider_region(rec, r) == "us-east-1", (token, r.name)
    for token in (LB, TG, LISTENER, SUBNET, CERT):
        for r in _edge(rec, token):
            assert r.provider == "" or _provider_region(rec, r) == "eu-west-1", (token, r.name)
    (cert,) = _edge(rec, CERT)  # no domainName: only the origin's certificate, in the stack's Region
    assert cert.outputs["arn"].split(":")[3] == "eu-west-1"
    assert _one(rec, DIST).inputs["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
    assert _one(rec, DIST).inputs["origins"][0]["originShield"]["originShieldRegion"] == "eu-west-1"


def test_standard_logs_metrics_and_realtime_logs():
    rec = prod()
    dist = _one(rec, DIST)
    source = _one(rec, SOURCE)
    assert source.inputs["logType"] == "ACCESS_LOGS" and source.inputs["resourceArn"] == dist.outputs["arn"]
    destination = _one(rec, DESTINATION)
    target = destination.inputs["deliveryDestinationConfiguration"]["destinationResourceArn"]
    logs_bucket = next(b for b in rec.of_type("aws:s3/bucket:Bucket") if b.name.endswith("-audit-logs"))
    assert target.startswith(logs_bucket.outputs["arn"] + "/") and "/AWSLogs/123456789012/" in target + "/"
    fields = _one(rec, DELIVERY).inputs["recordFields"]
    assert "cs-uri-query" not in fields and "cs(Cookie)" not in fields and "c-ip" in fields  # signed URLs stay out
    (subscription,) = rec.of_type("aws:cloudfront/monitoringSubscription:MonitoringSubscription")
    assert subscription.inputs["distributionId"] == dist.outputs["id"]
    assert subscription.inputs["monitoringSubscription"] == {
        "realtimeMetricsSubscriptionConfig": {"realtimeMetricsSubscriptionStatus": "Enabled"}}
    realtime = _one(rec, "aws:cloudfront/realtimeLogConfig:RealtimeLogConfig")
    assert all(b["realtimeLogConfigArn"] == realtime.outputs["arn"] for b in dist.inputs["orderedCacheBehaviors"])
    assert "cs-uri-query" not in realtime.inputs["fields"]
    # Elsewhere the logs go to a log group of us-east-1 (the storage key admits deliveries of its own Region only).
    other = elsewhere()
    target = _one(other, DESTINATION).inputs["deliveryDestinationConfiguration"]["destinationResourceArn"]
    assert target.startswith("arn:aws:logs:us-east-1:") and ":log-group:rustfs-dev-cloudfront-access" in target


def test_the_logs_key_is_a_us_east_1_key_of_its_own_purpose_administered_like_the_stacks_keys():
    """One helper makes every key of another Region (security/keys.py regional_key): tagged with its purpose, the
    alias under alias/rustfs/<stack>/, and with security.keyAdminRoleArn the role administers it and the account
    uses it only through CloudWatch Logs and Kinesis of us-east-1."""
    rec = prod()
    untagged = [k.name for k in rec.of_type("aws:kms/key:Key") if not {"rustfs:key-purpose", "rustfs:stack"}
                <= set(k.inputs["tags"])]
    assert not untagged, "every key of the stack carries its purpose and stack (IAM conditions, audits, tests)"
    key = _one(rec, "aws:kms/key:Key")
    assert _provider_region(rec, key) == "us-east-1" and key.inputs["enableKeyRotation"] is True
    assert key.protect is True  # prod, like the stack's other keys
    assert key.inputs["tags"]["rustfs:key-purpose"] == "edge-logs" and key.inputs["tags"]["rustfs:stack"] == "prod"
    (alias,) = [a for a in rec.of_type("aws:kms/alias:Alias") if a.inputs["targetKeyId"] == key.outputs["keyId"]]
    assert alias.inputs["name"] == "alias/rustfs/prod/edge-logs"
    sids = {st["Sid"]: st for st in json.loads(key.inputs["policy"])["Statement"]}
    assert set(sids) == {"AccountAdministersKeyThroughIam", "CloudWatchLogsEncryptsEdgeLogGroups"}
    assert sids["CloudWatchLogsEncryptsEdgeLogGroups"]["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    admin = "arn:aws:iam::123456789012:role/KeyAdmin"
    rec = run_stack("prod", overrides={**with_edge(), "rustfs-aws:security": {"keyAdminRoleArn": admin}})
    sids = {st["Sid"]: st for st in json.loads(_one(rec, "aws:kms/key:Key").inputs["policy"])["Statement"]}
    assert "AccountAdministersKeyThroughIam" not in sids and sids["KeyAdministratorRole"]["Principal"] == {
        "AWS": admin}
    assert sids["AccountUsesKeyThroughService"]["Condition"]["StringEquals"]["kms:ViaService"] == [
        "kinesis.us-east-1.amazonaws.com", "logs.us-east-1.amazonaws.com"]


# --- RustFS: the bucket policy the stack publishes, and what the nodes run with --------------------------------

def _rustfs_allows(policy: dict, *, action: str, bucket: str, key: str, source_ip: str) -> bool:
    """RustFS's evaluation of an anonymous request against a bucket policy, for the statement shapes the edge
    emits (crates/policy/src/policy/policy.rs BucketPolicy::is_allowed: a Deny wins, then any Allow; statement.rs
    BPStatement: principal, actions, resources, then the conditions; function/addr.rs IpAddress: the SourceIp is in
    one of the CIDRs)."""
    def applies(st):
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resource = f"arn:aws:s3:::{bucket}/{key}"
        if st["Principal"] not in ("*", {"AWS": "*"}) or action not in actions:
            return False
        if not any(fnmatchcase(resource, r) for r in st["Resource"]):
            return False
        for operator, keys in st.get("Condition", {}).items():
            assert operator == "IpAddress" and set(keys) == {"aws:SourceIp"}, "an operator this check lacks"
            if not any(ipaddress.ip_address(source_ip) in ipaddress.ip_network(c) for c in keys["aws:SourceIp"]):
                return False
        return True
    statements = policy["Statement"]
    if any(st["Effect"] == "Deny" and applies(st) for st in statements):
        return False
    return any(st["Effect"] == "Allow" and applies(st) for st in statements)


def test_the_published_bucket_policy_lets_only_the_origin_subnets_read_only_the_edge_buckets():
    rec = prod()
    policies = {b: json.loads(p) for b, p in rec.outputs["edgeBucketPolicies"].items()}
    assert sorted(policies) == ["public-assets", "reports"]
    origin = [s.inputs["cidrBlock"] for s in _edge(rec, SUBNET)]
    inside = str(next(ipaddress.ip_network(origin[0]).hosts()))
    node_subnet = next(s.inputs["cidrBlock"] for s in rec.of_type(SUBNET) if "private" in s.name)
    node_ip = str(next(ipaddress.ip_network(node_subnet).hosts()))
    for bucket, policy in policies.items():
        # RustFS's grammar: BucketPolicy (ID/Version/Statement) and BPStatement (deny_unknown_fields), known actions.
        assert set(policy) <= {"Id", "Version", "Statement"} and policy["Version"] == "2012-10-17"
        for st in policy["Statement"]:
            assert set(st) <= {"Sid", "Effect", "Principal", "Action", "NotAction", "Resource", "NotResource",
                               "Condition"} and set(st["Action"]) <= known_actions()
        assert sorted(policy["Statement"][0]["Condition"]["IpAddress"]["aws:SourceIp"]) == sorted(origin)
        assert _rustfs_allows(policy, action="s3:GetObject", bucket=bucket, key="a/b.png", source_ip=inside)
        assert not _rustfs_allows(policy, action="s3:GetObject", bucket=bucket, key="a", source_ip=node_ip)
        assert not _rustfs_allows(policy, action="s3:GetObject", bucket=bucket, key="a", source_ip="203.0.113.7")
        for action in ("s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetObjectAcl"):
            assert not _rustfs_allows(policy, action=action, bucket=bucket, key="a", source_ip=inside)
        other = "public-assets" if bucket == "reports" else "reports"
        assert not _rustfs_allows(policy, action="s3:GetObject", bucket=other, key="a", source_ip=inside)


def _rustfs_envs(rec) -> list[dict]:
    envs = []
    for lt in rec.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        cloud = yaml.safe_load(decode_user_data(lt.inputs["userData"]))
        files = {f["path"]: f["content"] for f in cloud["write_files"]}
        envs.append(env_file(files["/etc/default/rustfs"]))
    return envs


def test_rustfs_takes_the_peer_as_source_ip_and_routes_the_origin_name_path_style():
    envs = _rustfs_envs(prod())
    assert envs and all(e["RUSTFS_TRUSTED_PROXY_ENABLED"] == "false" for e in envs)
    assert all("origin.cdn.example.com" in e["RUSTFS_SERVER_DOMAINS"].split(",") for e in envs)
    # Without the edge the trusted proxy is off too (no proxy is in front of the NLB's instance targets, which
    # see the client's own address): no VPC client can claim an address with X-Forwarded-For.
    plain = _rustfs_envs(run_stack("prod"))
    assert plain and all(e["RUSTFS_TRUSTED_PROXY_ENABLED"] == "false" for e in plain)
    assert all(e["RUSTFS_SERVER_DOMAINS"] == "s3.prod.rustfs.internal" for e in plain)


def test_the_pack_passes_prod_with_the_edge():
    """The edge example of issue 14: prod with an edge section previews with 0 mandatory violations; the advisory
    ones left are said here (the ALB's access logs: SSE-S3 only, the logs bucket is SSE-KMS)."""
    config, _ = policy_config_for("prod", None)
    violations = run_policies(prod(), policy_config=config, config_file=None).violations
    assert [v for v in violations if v["enforcementLevel"] == "mandatory"] == []
    edge = sorted({v["policy"] for v in violations if "-edge" in (v.get("urn") or "")})
    assert edge == ["rustfs-elb-loadbalancer-require-access-logs"], edge


def test_a_first_preview_runs_with_every_id_unknown():
    rec = run_stack("dev", new_stack=True, overrides={"rustfs-aws:edge": EDGE})
    assert len(_edge(rec, DIST)) == 1 and len(_edge(rec, VPC_ORIGIN)) == 1


@pytest.mark.parametrize("given", [{"vpcOriginSecurityGroupId": "sg-0123456789abcdef0"}])
def test_the_vpc_origin_security_group_replaces_the_prefix_list(given):
    rec = run_stack("dev", overrides={"rustfs-aws:edge": {**EDGE, **given}})
    alb = _one(rec, LB)
    (sg_id,) = alb.inputs["securityGroups"]
    (rule,) = [r for r in rec.of_type(INGRESS) if r.inputs["securityGroupId"] == sg_id]
    assert rule.inputs["referencedSecurityGroupId"] == "sg-0123456789abcdef0" and "prefixListId" not in rule.inputs


def test_the_diagram_draws_viewers_through_cloudfront_waf_and_the_vpc_origin_into_the_alb_only():
    from test_diagram import parse_with_mermaid

    from preflight.diagram import mermaid

    text = mermaid(prod())
    lines = [line.strip() for line in text.splitlines()]
    alb = next(line.split("{{")[0] for line in lines if "ALB rustfs-prod-edge-origin-alb" in line)
    nlb = next(line.split("{{")[0] for line in lines if "NLB rustfs-prod-lb-nlb" in line)
    assert "viewers --> cf1" in lines and "waf1 -.->|filters| cf1" in lines and "cf1 -->|GET, HEAD| vo1" in lines
    assert f"vo1 -->|HTTPS 443| {alb}" in lines and f"clients -->|S3 API| {nlb}" in lines
    assert not [line for line in lines if line.startswith("cf1") and nlb in line]  # CloudFront never to the NLB
    assert [r["ok"] for r in parse_with_mermaid([text])] == [True]


def test_with_the_state_section_the_reconciler_applies_the_edge_policies_from_the_published_state():
    """prod declares a ``rustfs`` section: the edge buckets' policies are in the desired state the reconciler
    applies (the same documents as the ``edgeBucketPolicies`` output, valid RustFS bucket policies), the other
    buckets carry none, and the parameter stays within its SSM tier (Standard 4 KB, Advanced 8 KB)."""
    rec = prod()
    name = parameter_name("rustfs-prod")
    [param] = [p for p in rec.of_type("aws:ssm/parameter:Parameter") if p.inputs["name"] == name]
    text = param.inputs["insecureValue"]
    doc = reconciler.load_document(text)
    buckets = {b["name"]: b for b in doc["buckets"]}
    outputs = {b: json.loads(p) for b, p in rec.outputs["edgeBucketPolicies"].items()}
    assert sorted(outputs) == ["public-assets", "reports"] and "policy" not in buckets["orders"]
    for name, policy in outputs.items():
        assert buckets[name]["policy"] == policy and rustfs_state.bucket_policy_problems(policy, name) == []
    size = len(text.encode())
    assert size <= rustfs_state.ADVANCED_BYTES and param.inputs["tier"] == rustfs_state.parameter_tier(text), size


def test_an_edge_bucket_the_state_section_does_not_declare_is_refused_naming_both_keys():
    with pytest.raises(ConfigError) as err:
        run_stack("prod", overrides={"rustfs-aws:edge": EDGE})
    assert ("edge.buckets[0].name: got 'public-assets'; with a rustfs section the reconciler applies the edge's "
            "bucket policy, so the bucket must be declared in rustfs.buckets too (declared there: orders)"
            ) in str(err.value)
    overrides = with_edge()
    state = overrides["rustfs-aws:rustfs"]
    own = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                                                   "Resource": "arn:aws:s3:::reports/*"}]}
    state["buckets"] = [*state["buckets"][:-1], {"name": "reports", "policy": own}]
    with pytest.raises(ConfigError) as err:
        run_stack("prod", overrides=overrides)
    assert "rustfs.buckets[2].policy: got 'set'; edge.buckets[1] serves reports and the reconciler applies the " \
           "edge's bucket policy" in str(err.value)
    state["buckets"] = [*state["buckets"][:-1], {"name": "reports", "delete": True}]
    with pytest.raises(ConfigError) as err:
        run_stack("prod", overrides=overrides)
    assert "rustfs.buckets[2].delete: got true; edge.buckets[1] serves reports: remove it from edge.buckets before " \
           "deleting the bucket" in str(err.value)
