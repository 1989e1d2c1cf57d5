"""The cost model's DR lines (rustfs_model.cost._add_peering), recomputed by hand: a peering connection has no hourly
charge (Infracost FreeResources), and what the primary replicates into the secondary crosses Regions at $0.02/GB,
billed in the sending Region (prices.json ``transfer``: Infracost data_transfer_test golden, 2024-09-25); by default
every write the secondary receives (usage.writeMBps for a 730-hour month), or dr.replicatedGBPerMonth."""

from __future__ import annotations

from test_dr import PRIMARY, prod_outputs, run_dr  # noqa: F401 (prod_outputs: the fixture, prod's recorded outputs)

from preflight import cost_report
from rustfs_model.cost import monthly_cost

PCX = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
MONTH_SECONDS = 730 * 3600


def _lines(cost: dict) -> dict[str, dict]:
    return {i["what"]: i for i in cost["items"]}


def _peering(peer_region: str | None = "us-east-1") -> list[dict]:
    inputs = {"vpcId": "vpc-dr", "peerVpcId": "vpc-primary", **({"peerRegion": peer_region} if peer_region else {})}
    return [{"type": PCX, "name": "link-peering", "inputs": inputs}]


def test_replicated_writes_cross_regions_at_the_senders_rate():
    lines = _lines(monthly_cost(_peering(), "us-west-2", {"writeMBps": 10.0}))
    assert lines["VPC peering (1 connection)"]["monthlyUSD"] == 0.0
    replication = lines["Replication from us-east-1 over peering"]
    gb = 10.0 * MONTH_SECONDS / 1000  # 26,280 GB
    assert replication["monthlyUSD"] == round(gb * 0.02, 2) == 525.6
    assert "billed in the sending Region us-east-1" in replication["basis"]


def test_the_replicated_volume_can_be_given():
    lines = _lines(monthly_cost(_peering(), "us-west-2", {"writeMBps": 10.0, "drReplicatedGBPerMonth": 1000.0}))
    assert lines["Replication from us-east-1 over peering"]["monthlyUSD"] == 20.0


def test_same_region_peering_has_no_inter_region_line():
    lines = _lines(monthly_cost(_peering(None), "us-east-1", {"writeMBps": 10.0}))
    assert "VPC peering (1 connection)" in lines and not [w for w in lines if w.startswith("Replication from")]


def test_an_unsourced_sender_is_not_priced_rather_than_free():
    cost = monthly_cost(_peering("ap-south-1"), "us-west-2", {"writeMBps": 10.0})
    assert _lines(cost)["Replication from ap-south-1 over peering"]["basis"].startswith("NOT PRICED")
    assert any("inter_region_gb" in u and "ap-south-1" in u for u in cost["unpriced"])


def test_the_dr_stacks_report_prices_its_replication(prod_outputs):  # noqa: F811
    recording = run_dr(prod_outputs)
    lines = _lines(cost_report.compute(recording))
    # Pulumi.dr.yaml: usage.writeMBps 10 (prod's writes, replicated)
    assert lines["Replication from us-east-1 over peering"]["monthlyUSD"] == 525.6
    given = run_dr(prod_outputs, {"rustfs-aws:dr": {"primaryStack": PRIMARY, "replicatedGBPerMonth": 5000}})
    assert _lines(cost_report.compute(given))["Replication from us-east-1 over peering"]["monthlyUSD"] == 100.0
