"""The cost of the dev and prod stacks, recomputed from what the program records under preflight."""

import json

import pytest

from preflight.runner import PROJECT_DIR, run_stack
from preflight.stackfiles import read_stack
from rustfs_model.cost import monthly_cost

NO_TRAFFIC = {"writeMBps": 0.0, "readMBps": 0.0, "natGBPerMonth": 0.0, "kmsRequestsPerMonth": 0,
              "secretsApiCallsPerMonth": 0, "logsGBPerMonth": 0.0}


@pytest.fixture(scope="module", params=["dev", "prod"])
def stack(request):
    recording = run_stack(request.param)
    resources = [r.to_json() for r in recording.resources]
    return request.param, resources, monthly_cost(resources, recording.settings.region, NO_TRAFFIC)


def _line(cost, prefix):
    found = [i for i in cost["items"] if i["what"].startswith(prefix)]
    assert len(found) == 1, (prefix, [i["what"] for i in cost["items"]])
    return found[0]["monthlyUSD"]


def test_every_price_is_sourced_for_our_stacks(stack):
    _, _, cost = stack
    assert cost["unpriced"] == []
    assert cost["priceDate"] is not None
    assert cost["monthlyUSD"] == pytest.approx(sum(i["monthlyUSD"] for i in cost["items"]), abs=0.01)


def test_nat_gateways_follow_the_stack_config(stack):
    name, _, cost = stack
    # dev: natGateways single -> 1 x $0.045 x 730 = $32.85; prod: perAz over 3 AZs -> $98.55
    assert _line(cost, "NAT gateways") == {"dev": 32.85, "prod": 98.55}[name]


def test_kms_and_secrets_lines_match_the_recorded_resources(stack):
    _, resources, cost = stack
    keys = sum(1 for r in resources if r["type"] == "aws:kms/key:Key")
    secrets = sum(1 for r in resources if r["type"] == "aws:secretsmanager/secret:Secret")
    assert keys >= 1 and secrets >= 1
    assert _line(cost, "KMS keys") == keys * 1.00  # $1 per key-month, no requests in NO_TRAFFIC
    # NO_TRAFFIC sets no client calls, but the state reconciler (state.enabled, prod) calls on a timer and its
    # calls are on the same line: every node reads the root credentials every IntervalMinutes, the lease holder also
    # each service account's secret. prod: 6 nodes, 5 min, 1 account -> (6 + 1) x 730 x 12 = 61,320 calls x
    # $0.05/10k = $0.31, on top of 9 secrets x $0.40 = $3.60.
    calls = 0.0
    for association in (r["inputs"] for r in resources if r["type"] == "aws:ssm/association:Association"
                        and "StateParameter" in (r["inputs"].get("parameters") or {})):
        params = association["parameters"]
        [desired] = [r["inputs"] for r in resources if r["type"] == "aws:ssm/parameter:Parameter"
                     and r["inputs"].get("name") == params["StateParameter"]]
        accounts = [a for a in json.loads(desired["insecureValue"])["serviceAccounts"] if not a.get("delete")]
        nodes = sum(1 for r in resources if r["type"] == "aws:autoscaling/group:Group")
        calls += (nodes + len(accounts)) * 730 * 60 / int(params["IntervalMinutes"])
    assert _line(cost, "Secrets Manager") == pytest.approx(secrets * 0.40 + calls / 10_000 * 0.05, abs=0.005)


def test_nodes_and_drives_follow_the_stack_config(stack):
    name, resources, cost = stack
    # dev: 4 x m6i.large x $0.096 x 730 = $280.32; prod: 6 x c6in.4xlarge x $0.9072 x 730 = $3,973.54
    expected = {"dev": ("EC2 4 x m6i.large", 280.32), "prod": ("EC2 6 x c6in.4xlarge", 3973.54)}[name]
    assert _line(cost, expected[0]) == expected[1]
    data = [r for r in resources if r["type"] == "aws:ebs/volume:Volume"]
    # dev: 4 nodes x 2 x 100 GiB = 800; prod: 6 nodes x 16 x 1,024 GiB = 98,304 (root volumes come on top)
    assert sum(r["inputs"]["size"] for r in data) == {"dev": 800, "prod": 98304}[name]
    # Both stacks stay at gp3's free 3,000 IOPS / 125 MiB/s baseline: no line for extra IOPS or throughput.
    assert not [i for i in cost["items"] if i["what"].startswith(("EBS gp3 IOPS", "EBS gp3 throughput"))]
    over = run_stack(name, {"rustfs-aws:cluster": {**_cluster(name), "volume": {
        "type": "gp3", "sizeGiB": 1024, "iops": 6000, "throughputMiBps": 250}}})
    over_cost = monthly_cost([r.to_json() for r in over.resources], "us-east-1", NO_TRAFFIC)
    volumes = {"dev": 8, "prod": 96}[name]
    # per volume: (6,000 - 3,000) IOPS x $0.005 = $15; (250 - 125) MiB/s x $0.04 = $5
    assert _line(over_cost, "EBS gp3 IOPS above 3,000") == pytest.approx(volumes * 15.0)
    assert _line(over_cost, "EBS gp3 throughput above 125 MiB/s") == pytest.approx(volumes * 5.0)


def _cluster(stack: str) -> dict:
    return json.loads(read_stack(PROJECT_DIR, stack).config["rustfs-aws:cluster"])


def test_every_alarm_is_priced_and_the_restart_documents_add_no_line(stack):
    # Alarms at $0.10 each (standard resolution, us-east-1), the certificate alarms included; SSM Command documents
    # have no per-document charge, so they must not appear as a line, priced or not.
    name, resources, cost = stack
    alarms = [r for r in resources if r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm"]
    assert any(r["inputs"].get("metricName") == "TlsCertificateDaysToExpiry" for r in alarms)
    # A metric math alarm is billed per metric it retrieves (certificate not-reported, capacity, 5xx rate: two each).
    metrics = sum(len([q for q in r["inputs"].get("metricQueries", []) if q.get("metric")]) or 1 for r in alarms)
    assert metrics == len(alarms) + 3
    assert _line(cost, f"CloudWatch alarms ({len(alarms)})") == pytest.approx(0.10 * metrics, abs=0.01)
    assert any(r["type"] == "aws:ssm/document:Document" for r in resources)
    # (The collector's Advanced-tier parameter is a line of its own: tests/test_cost_collector.py.)
    assert not [i for i in cost["items"] if ("SSM" in i["what"] and "parameter" not in i["what"])
                or "document" in i["what"].lower()]
