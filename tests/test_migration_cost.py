"""What a migration takes and costs, and the stack against S3 - every expected figure worked out by hand here from the
price table's unit prices (us-east-1: S3 Standard $0.023/GB-month, PUT $0.005 and GET $0.0004 per 1,000; DataSync
Basic $0.0125/GB; gp3 $0.08/GB-month; a month of 730 hours = 2,628,000 s), not read back from the code."""

from __future__ import annotations

import json

import pytest
from test_migration import MIGRATION, stack

from preflight.cluster_nodes import stack_config
from preflight.cost_report import SECTION, comparison_of, usage_of
from rustfs_model.cost import monthly_cost
from rustfs_model.datasync import MIB, TASK_MAX_BYTES_PER_SECOND, effective_rate, migration_estimate, transfer_hours
from rustfs_model.s3_comparison import break_even_rate, compare, request_cost_per_gbps_month

SECONDS = 730 * 3600  # 2,628,000


def test_ten_tib_at_100_mib_per_second_take_29_point_1_hours():
    # 10 x 2^40 B / (100 x 2^20 B/s) = 10 x 2^20 / 100 s = 104,857.6 s = 29.127 h
    assert transfer_hours(10, 100 * MIB) == pytest.approx(29.127, abs=0.001)
    # 1 TiB at DataSync's 10 Gbps per task: 2^40 / 1.25e9 = 879.6 s = 0.2443 h
    assert transfer_hours(1, TASK_MAX_BYTES_PER_SECOND) == pytest.approx(0.2443, abs=0.0001)


def test_the_slowest_of_limit_task_cap_and_cluster_bounds_the_rate():
    assert effective_rate(-1) == (1.25e9, "DataSync's 10 Gbps per task")
    assert effective_rate(100 * MIB) == (104_857_600, "the task's bandwidth limit")
    assert effective_rate(1000 * MIB, cluster=0.5e9) == (0.5e9, "cluster")


def test_a_staged_source_is_copied_twice_and_the_rustfs_leg_is_bound_by_the_cluster():
    [direct, staged] = migration_estimate([
        {"name": "photos", "sizeTiB": 10, "staged": False, "bytesPerSecond": 100 * MIB},
        {"name": "nas", "sizeTiB": 2, "staged": True, "bytesPerSecond": -1}], rustfs_write_bytes_per_second=0.5e9)
    assert direct["hours"] == pytest.approx(29.13, abs=0.01)
    # into S3 at 1.25e9 B/s: 2 x 2^40 / 1.25e9 = 1,759.2 s = 0.49 h; into RustFS at 0.5e9 B/s: 4,398.0 s = 1.22 h
    assert [leg["hours"] for leg in staged["legs"]] == [0.49, 1.22]
    assert staged["legs"][1]["bound"] == "the cluster's sustained write bound" and staged["hours"] == 1.71


def test_s3_per_tib_month_and_per_gbps_month_by_hand():
    # 1 GB/s in 8 MiB requests: 10^9 / 8,388,608 = 119.209 requests/s x 2,628,000 s = 313.28M requests
    assert request_cost_per_gbps_month(0.0004) == pytest.approx(125.31, abs=0.01)  # x $0.0004/1,000
    assert request_cost_per_gbps_month(0.005) == pytest.approx(1566.41, abs=0.01)  # x $0.005/1,000
    # $12,792.67 a month buys 12,792.67 / (2,628,000 x 0.0004 / 1,000 = 1.0512) = 12,169.6 GET/s
    assert break_even_rate(12_792.67, 0.0004) == pytest.approx(12_169.6, abs=0.1)


def test_the_comparison_of_a_64_tib_cluster_by_hand():
    c = compare(region="us-east-1", rustfs_monthly_usd=14_300.0, usable_tib=64.0, raw_tib=96.0, read_gbps=7.5,
                write_gbps=5.0, data_volume_gb_month=0.08,
                usage={"storedTiB": 64.0, "growthTiBPerMonth": 0.0, "readMBps": 30.0, "writeMBps": 10.0,
                       "s3RequestsPerSecond": 100.0})
    lines = {line["what"]: line["monthlyUSD"] for line in c["s3"]["lines"]}
    assert lines["S3 Standard storage"] == 1507.33  # 64 x 1,024 x 0.023
    # 100/s x 2,628,000 s = 262.8M requests, a quarter PUTs (10 of 40 MB/s): 65.7M x $0.005/1k = $328.50,
    # 197.1M GETs x $0.0004/1k = $78.84
    assert lines["S3 PUT, COPY, POST, LIST requests"] == 328.5 and lines["S3 GET and other requests"] == 78.84
    assert lines["Data transfer, clients in the Region"] == 0.0
    assert c["s3"]["monthlyUSD"] == pytest.approx(1914.67, abs=0.01)
    assert c["s3"]["perTiBMonth"] == 23.55  # 1,024 x 0.023 = 23.552
    assert c["rustfs"]["perUsableTiBMonth"] == 223.44  # 14,300 / 64
    assert c["rustfs"]["perReadGBpsMonth"] == 1906.67 and c["rustfs"]["perWriteGBpsMonth"] == 2860.0
    # 14,300 - 1,507.33 = 12,792.67 over S3's storage: 12,170 GET/s or 12,792.67 / 13.14 = 973.6 PUT/s
    assert c["breakEven"] == {"extraOverS3StorageUSD": 12792.67, "getPerSecond": 12170.0, "putPerSecond": 974.0}
    # EC 8+4 on gp3: 96/64 x 1,024 x 0.08 = $122.88 of volumes per usable TiB; Standard-IA 1,024 x 0.0125 = $12.80
    assert c["tiering"] == {"class": "STANDARD_IA", "perTiBMonth": 12.8, "dataVolumesPerUsableTiBMonth": 122.88,
                            "savingPerTieredTiBMonth": 110.08}
    assert c["verdict"][0].startswith("For this usage S3 alone is cheaper: $1,914.67 a month in S3 Standard")
    assert "12,170 GET/s or 974 PUT/s" in c["verdict"][3]


def test_a_stack_cheaper_than_s3_says_so():
    c = compare(region="us-east-1", rustfs_monthly_usd=100.0, usable_tib=10.0, raw_tib=20.0, read_gbps=1.0,
                write_gbps=1.0, usage={"storedTiB": 10.0, "readMBps": 1.0, "writeMBps": 1.0,
                                       "s3RequestsPerSecond": 0.0})
    assert c["verdict"][0].startswith("For this usage this stack is cheaper than S3")  # 10 TiB in S3: $235.52
    assert c["breakEven"]["getPerSecond"] is None


def test_a_region_without_sourced_prices_is_unpriced_not_free():
    c = compare(region="eu-central-1", rustfs_monthly_usd=100.0, usable_tib=1.0, raw_tib=2.0, read_gbps=None,
                write_gbps=None, usage={"storedTiB": 1.0})
    assert c["s3"]["lines"][0]["monthlyUSD"] is None and any("STANDARD_gb_month" in u for u in c["unpriced"])


def test_datasync_is_priced_per_gb_copied_and_its_agent_as_ec2():
    resources = [{"type": "aws:datasync/task:Task", "inputs": {}},
                 {"type": "aws:ec2/instance:Instance", "inputs": {"instanceType": "m5.2xlarge",
                                                                 "rootBlockDevice": {"volumeSize": 80,
                                                                                     "volumeType": "gp3"}}}]
    cost = monthly_cost(resources, "us-east-1", {"datasyncTiBPerMonth": 14.0})
    items = {i["what"]: i["monthlyUSD"] for i in cost["items"]}
    assert items["DataSync copies (1 tasks)"] == 179.2  # 14 x 1,024 x 0.0125
    assert items["EC2 1 x m5.2xlarge"] == 280.32  # 0.384 x 730
    assert items["EBS gp3 storage"] == 6.4  # 80 x 0.08


@pytest.fixture(scope="module")
def recording():
    return stack(MIGRATION)


def test_preflight_reports_the_migration_time_and_prices_every_leg(recording):
    cfg = stack_config(recording)
    # photos 10 TiB once; nas 2 TiB (and share, minio with no size) staged, so twice: 10 + 2 x 2 = 14 TiB
    assert usage_of(cfg)["datasyncTiBPerMonth"] == 14.0 and usage_of(cfg)["s3StoredTiB"] == {"STANDARD": 2.0}
    value = SECTION.compute(recording)
    items = {i["what"]: i["monthlyUSD"] for i in value["items"]}
    assert items["DataSync copies (7 tasks)"] == 179.2
    photos = next(s for s in value["migration"] if s["name"] == "photos")
    assert photos["hours"] == pytest.approx(29.13, abs=0.01)  # 100 MiB/s, far under dev's write bound
    human = "\n".join(SECTION.human(value))
    assert "Migration photos: 10 TiB, 29.1 h" in human and "Against S3 for the same data and traffic" in human
    markdown = "\n".join(SECTION.markdown(value))
    assert "#### DataSync migration: time of the first copy" in markdown
    assert "| photos | 10 | into RustFS | 100 MiB/s | the task's bandwidth limit | 29.1 |" in markdown
    json.dumps(value)  # the --json report


def test_every_stack_report_carries_the_comparison():
    from preflight.runner import run_stack

    rec = run_stack("dev")
    value = SECTION.compute(rec)
    assert "migration" not in value and value["s3Comparison"]["verdict"]
    assert comparison_of(stack_config(rec), value, usage_of(stack_config(rec)), None, None, "us-east-1")[
        "rustfs"]["perUsableTiBMonth"] is None  # no capacity known: no per-TiB figure, not a division by zero
