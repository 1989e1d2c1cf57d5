"""The edge's cost lines (rustfs_model.cost _add_edge, edge_cost_per_tb), recomputed by hand from the sourced prices
(data/prices.json: Infracost golden outputs of cloudfront_distribution_test, wafv2_web_acl_test, lb_test,
kinesis_stream_test, cloudfront_function_test; CloudWatch's metric price), and the figure the cost report shows."""

from __future__ import annotations

import pytest
from test_edge import prod

from preflight.cost_report import compute, human, markdown
from rustfs_model.cost import monthly_cost, served_zone

DIST = "aws:cloudfront/distribution:Distribution"
SHARES = {"us": 0.5, "europe": 0.2, "south_america": 0.1, "australia": 0.1, "india": 0.1}


def _item(cost, prefix):
    (found,) = [i for i in cost["items"] if i["what"].startswith(prefix)]
    return found


def _dist(price_class: str, shield: str | None = "us-east-1") -> dict:
    origin = {"originId": "o", **({"originShield": {"enabled": True, "originShieldRegion": shield}} if shield else {})}
    return {"type": DIST, "name": "cdn", "inputs": {"priceClass": price_class, "origins": [origin]}}


def test_viewers_outside_the_price_class_are_billed_where_they_are_served():
    assert served_zone("south_america", "PriceClass_100") == "us"
    assert served_zone("india", "PriceClass_100") == "europe" and served_zone("india", "PriceClass_200") == "india"
    assert served_zone("australia", "PriceClass_200") == "asia" and served_zone("australia", "PriceClass_All") == \
        "australia"


@pytest.mark.parametrize(("price_class", "gb_usd", "requests_usd"), [
    # 1,000 GB: 50% US $0.085 + 20% Europe $0.085 + 10% South America served from the US $0.085 + 10% Australia
    # served from the US $0.085 + 10% India served from Europe $0.085 = $85.00; 100 x 10k requests:
    # 0.5 x 0.01 + 0.2 x 0.012 + 0.1 x 0.01 + 0.1 x 0.01 + 0.1 x 0.012 = $0.0106 -> $1.06
    ("PriceClass_100", 85.00, 1.06),
    # South America $0.085 (US), Australia from Asia $0.12, India $0.11: 0.7 x 0.085 + 0.1 x 0.085 + 0.012 + 0.011
    # = $0.091 -> $91.00; requests 0.005 + 0.0024 + 0.001 + 0.0012 (Asia) + 0.0012 (India) = $0.0108 -> $1.08
    ("PriceClass_200", 91.00, 1.08),
    # Every zone its own: 0.7 x 0.085 + 0.1 x 0.11 + 0.1 x 0.11 + 0.1 x 0.11 = $0.0925 -> $92.50; requests
    # 0.005 + 0.0024 + 0.0022 + 0.00125 + 0.0012 = $0.01205 -> $1.21 (1.205 rounds half to even in floats: 1.2)
    ("PriceClass_All", 92.50, 1.2),
])
def test_data_out_and_requests_by_price_class(price_class, gb_usd, requests_usd):
    usage = {"cloudfrontGBPerMonth": 1000, "cloudfrontRequestsPerMonth": 1_000_000, "cloudfrontViewerShares": SHARES}
    cost = monthly_cost([_dist(price_class)], "us-east-1", usage)
    assert _item(cost, f"CloudFront cdn data out ({price_class})")["monthlyUSD"] == gb_usd
    assert _item(cost, "CloudFront cdn HTTPS requests")["monthlyUSD"] == pytest.approx(requests_usd, abs=0.011)


def test_origin_shield_bills_only_misses_from_other_zones_regional_caches():
    usage = {"cloudfrontRequestsPerMonth": 10_000_000, "cloudfrontCacheHitRatio": 0.8, "cloudfrontViewerShares": SHARES}
    cost = monthly_cost([_dist("PriceClass_All")], "us-east-1", usage)
    # 10M x 20% misses = 2M; the US zone's 50% reach Origin Shield in us-east-1 as no extra layer: 1M x $0.0075/10k
    assert _item(cost, "CloudFront cdn Origin Shield (us-east-1)")["monthlyUSD"] == 0.75
    # In Frankfurt (Europe zone, $0.009): Europe's 20% and India's... India is its own zone: 80% of 2M = 1.6M -> $1.44
    cost = monthly_cost([_dist("PriceClass_All", "eu-central-1")], "us-east-1", usage)
    assert _item(cost, "CloudFront cdn Origin Shield (eu-central-1)")["monthlyUSD"] == 1.44
    assert not [i for i in monthly_cost([_dist("PriceClass_All", None)], "us-east-1", usage)["items"]
                if "Origin Shield" in i["what"]]


def test_waf_metrics_and_realtime_logs():
    acl = {"type": "aws:wafv2/webAcl:WebAcl", "name": "acl", "inputs": {"scope": "CLOUDFRONT", "rules": [
        {"statement": {"managedRuleGroupStatement": {"name": n}}} for n in ("a", "b", "c")] + [
        {"statement": {"rateBasedStatement": {"limit": 100}}}]}}
    subscription = {"type": "aws:cloudfront/monitoringSubscription:MonitoringSubscription", "name": "m", "inputs": {
        "monitoringSubscription": {"realtimeMetricsSubscriptionConfig": {"realtimeMetricsSubscriptionStatus":
                                                                         "Enabled"}}}}
    realtime = {"type": "aws:cloudfront/realtimeLogConfig:RealtimeLogConfig", "name": "r",
                "inputs": {"samplingRate": 50}}
    stream = {"type": "aws:kinesis/stream:Stream", "name": "s", "inputs": {"shardCount": 2}}
    cost = monthly_cost([_dist("PriceClass_100"), acl, subscription, realtime, stream], "us-east-1",
                        {"cloudfrontRequestsPerMonth": 4_000_000})
    # $5 + 1 rule x $1 + 3 managed groups x $1 + 4M requests x $0.60/M = $11.40
    assert _item(cost, "WAF web ACL acl")["monthlyUSD"] == 11.40
    # 8 metrics x $0.30
    assert _item(cost, "CloudFront real-time metrics (1 distributions)")["monthlyUSD"] == 2.40
    # 2M lines x ($0.01 + $0.014)/M = $0.048 + 2 shards x $0.015 x 730 = $21.90 -> $21.95
    assert _item(cost, "CloudFront real-time logs (Kinesis)")["monthlyUSD"] == 21.95


def test_the_edge_stack_cost_and_its_price_per_tb_in_the_report():
    cost = compute(prod())
    # The origin ALB: $0.0225 x 730 h = $16.425 + 100 GB x 10% misses = 10 LCU-hours x $0.008 = $0.08 -> $16.505
    assert _item(cost, "ALB rustfs-prod-edge-origin-alb")["monthlyUSD"] == pytest.approx(16.505, abs=0.006)
    per_tb = cost["edgePerTB"]
    # PriceClass_200 with the default shares (US 60%, Europe 30%, Asia 5%, Japan 3%, South America 2% from the US):
    # 1,024 GB x (0.6 x 0.085 + 0.3 x 0.085 + 0.05 x 0.12 + 0.03 x 0.11 + 0.02 x 0.085) = 1,024 x 0.0875 = $89.60;
    # 10,000 requests per GB (1M / 100 GB) -> 10,240,000 requests x (0.006 + 0.0036 + 0.0006 + 0.00036 + 0.0002)/10k
    # = 1,024 x $0.01076 = $11.02; WAF 10.24M x $0.60/M = $6.14; ALB 102.4 GB of misses x $0.008 = $0.82;
    # Origin Shield 1,024,000 misses x 38% from regional caches of zones other than the US (Europe, Asia, Japan;
    # South America is served from the US) x $0.0075/10k = $0.29
    assert per_tb["parts"]["data out"] == 89.60 and per_tb["parts"]["requests"] == 11.02
    assert per_tb["parts"]["waf"] == 6.14 and per_tb["parts"]["origin load balancer"] == 0.82
    assert per_tb["parts"]["origin shield"] == 0.29
    # The WAF log records in us-east-1 (prod logs CloudFront to S3, unpriced): 10.24M x 1,500 bytes = 15.36 GB x
    # ($0.50/GB ingested + 365/30 months kept x $0.03/GB-month) = 15.36 x 0.865 = $13.29
    assert per_tb["parts"]["logs"] == 13.29
    assert per_tb["usdPerTB"] == pytest.approx(sum(per_tb["parts"].values()), abs=0.02)
    assert any("per TB delivered" in line for line in human(cost))
    assert any("per TB delivered" in line for line in markdown(cost))


def test_the_edge_log_groups_bill_their_traffic_on_the_cloudwatch_logs_line():
    groups = [{"type": "aws:cloudwatch/logGroup:LogGroup", "name": n, "inputs": {"name": n, "retentionInDays": 30}}
              for n in ("aws-waf-logs-rustfs-dev", "rustfs-dev-cloudfront-access")]
    cost = monthly_cost([_dist("PriceClass_100"), *groups], "us-east-1",
                        {"cloudfrontRequestsPerMonth": 1_000_000, "logsGBPerMonth": 5})
    # One line for the product: the flat 5 GB (x $0.50 + 5 GB x 1 month x $0.03 = $2.65) plus the edge's traffic,
    # 1M requests x (1,500 + 800) bytes = 2.3 GB x ($0.50 + 1 month x $0.03) = $1.219 -> $3.87
    line = _item(cost, "CloudWatch Logs (")
    assert line["what"] == "CloudWatch Logs (2 groups)" and line["monthlyUSD"] == 3.87
