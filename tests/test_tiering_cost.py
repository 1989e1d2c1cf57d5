"""The cost model's S3 tier lines, recomputed by hand from the sourced prices (policies/rustfs_model/data/prices.json:
the s3 table from Infracost's s3_bucket_test golden, Glacier IR from shared/reference/aws.md, inter-region transfer);
what has no sourced price is a NOT PRICED line, never a free one."""

from __future__ import annotations

import pytest

from preflight.runner import run_stack
from rustfs_model.cost import monthly_cost

TIER = "rustfs-prod-tier-123456789012-us-east-1"


def resources(*, rtc=False, accelerate=False) -> list[dict]:
    rule = {"id": "tier-to-colder-classes", "transitions": [
        {"days": 30, "storageClass": "STANDARD_IA"}, {"days": 90, "storageClass": "GLACIER_IR"},
        {"days": 365, "storageClass": "DEEP_ARCHIVE"}]}
    destination = {"bucket": "arn:aws:s3:::replica", "storageClass": "STANDARD_IA",
                   **({"replicationTime": {"status": "Enabled", "time": {"minutes": 15}}} if rtc else {})}
    out = [{"type": "aws:s3/bucket:Bucket", "inputs": {"bucket": TIER, "tags": {"rustfs:purpose": "remote-tier"}}},
           {"type": "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "inputs": {"bucket": TIER, "rules": [rule]}},
           {"type": "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
            "inputs": {"bucket": TIER, "rules": [{"id": "r", "destination": destination}]}}]
    if accelerate:
        out.append({"type": "aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration",
                    "inputs": {"bucket": TIER, "status": "Enabled"}})
    return out


def lines(cost: dict) -> dict:
    return {i["what"]: i for i in cost["items"]}


USAGE = {"tierStoredTiB": {"STANDARD_IA": 5, "GLACIER_IR": 10, "DEEP_ARCHIVE": 40}, "tierObjectsPerMonth": 200_000,
         "tierIngestGBPerMonth": 500.0, "acceleratedGBPerMonth": 50.0, "writeMBps": 0, "readMBps": 0}


def test_storage_by_class_requests_and_transitions_by_hand():
    got = lines(monthly_cost(resources(), "us-east-1", USAGE))
    assert got["S3 tier STANDARD_IA"]["monthlyUSD"] == pytest.approx(5 * 1024 * 0.0125)
    assert got["S3 tier GLACIER_IR"]["monthlyUSD"] == pytest.approx(10 * 1024 * 0.004)
    assert got["S3 tier DEEP_ARCHIVE"]["monthlyUSD"] == pytest.approx(round(40 * 1024 * 0.00099, 2))
    assert got["S3 tier writes (RustFS transitions)"]["monthlyUSD"] == pytest.approx(200 * 0.005)
    assert got["S3 lifecycle transitions to STANDARD_IA"]["monthlyUSD"] == pytest.approx(200 * 0.01)
    assert got["S3 lifecycle transitions to DEEP_ARCHIVE"]["monthlyUSD"] == pytest.approx(200 * 0.05)
    glacier_ir = got["S3 lifecycle transitions to GLACIER_IR"]
    assert glacier_ir["monthlyUSD"] == 0.0 and glacier_ir["basis"].startswith("NOT PRICED")


def test_replication_is_priced_by_the_gb_it_moves_and_the_rest_is_not_priced():
    cost = monthly_cost(resources(rtc=True, accelerate=True), "us-east-1", USAGE)
    got = lines(cost)
    assert got["S3 replication of the tier (inter-region transfer)"]["monthlyUSD"] == pytest.approx(500 * 0.02)
    for what in ("S3 Replication Time Control", "S3 replica storage and requests (STANDARD_IA)",
                 "S3 Transfer Acceleration"):
        assert got[what]["monthlyUSD"] == 0.0 and got[what]["basis"].startswith("NOT PRICED"), what
    assert any("replication_time_control_gb" in u for u in cost["unpriced"])
    assert any("transfer_acceleration_gb" in u for u in cost["unpriced"])


def test_no_tier_bucket_no_lines():
    assert not [i for i in monthly_cost(resources()[1:], "us-east-1", USAGE)["items"] if "tier" in i["what"]]


def test_prod_reports_the_tier_and_its_replication():
    r = run_stack("prod")
    res = [{**x.to_json(), "outputs": x.outputs} for x in r.resources]
    got = lines(monthly_cost(res, "us-east-1", {}))
    assert "S3 replication of the tier (inter-region transfer)" in got
    assert {"S3 lifecycle transitions to STANDARD_IA", "S3 lifecycle transitions to GLACIER_IR",
            "S3 lifecycle transitions to DEEP_ARCHIVE"} <= set(got)
