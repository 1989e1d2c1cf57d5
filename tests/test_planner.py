import pytest

from preflight.plan import main
from rustfs_model.layout import Node, Pool, compute_layout, place_nodes
from rustfs_model.performance import NodeSpec, Volume, performance
from rustfs_model.planner import plan, rank_key


@pytest.fixture(scope="module")
def ranked():
    return plan(usable_tib=10, throughput_gbps=1.0, region="us-east-1", azs=3, distinct=False)


def test_top_result_meets_targets_and_survives_an_az_loss(ranked):
    top = ranked[0]
    assert top.usable_tib >= 10
    assert min(top.read_gbps, top.write_gbps) >= 1.0
    # Recompute independently: layout from round-robin placement, throughput from the performance model.
    zones = place_nodes(top.nodes, ["a", "b", "c"])
    layout = compute_layout([Pool(tuple(
        Node(f"rustfs-{i + 1}", zones[i], top.drives_per_node, top.volume_size_gib) for i in range(top.nodes)))])
    assert layout.survives_az_loss
    assert layout.usable_gib >= 10 * 1024
    vol = Volume("gp3", top.volume_size_gib, top.volume_iops, top.volume_throughput_mibps)
    nodes = [NodeSpec(top.instance_type, (vol,) * top.drives_per_node) for _ in range(top.nodes)]
    perf = performance(nodes, layout.data_shards, layout.parity) if top.volume_type == "gp3" else None
    if perf:
        assert min(perf["readGBps"], perf["writeGBps"]) >= 1.0


def test_ranking_is_by_cost_and_the_top_beats_the_next(ranked):
    assert len(ranked) > 5
    assert [rank_key(c) for c in ranked] == sorted(rank_key(c) for c in ranked)
    first, second = ranked[0], ranked[1]
    assert first.monthly_usd <= second.monthly_usd
    assert rank_key(first) < rank_key(second)
    assert all(first.monthly_usd <= c.monthly_usd for c in ranked)


def test_distinct_keeps_one_layout_per_type_and_node_count():
    best = plan(usable_tib=10, throughput_gbps=1.0, limit=20)
    keys = [(c.instance_type, c.nodes) for c in best]
    assert len(keys) == len(set(keys))


def test_tighter_throughput_never_gets_cheaper():
    slow = plan(usable_tib=5, throughput_gbps=0.5, limit=1)[0]
    fast = plan(usable_tib=5, throughput_gbps=3.0, limit=1)[0]
    assert fast.monthly_usd >= slow.monthly_usd
    assert min(fast.read_gbps, fast.write_gbps) >= 3.0


def test_region_without_instance_prices_is_a_clear_error(capsys):
    with pytest.raises(ValueError, match="no instance prices"):
        plan(1, 0.1, region="eu-central-1")
    assert main(["--usable-tib", "1", "--throughput-gbps", "0.1", "--region", "eu-central-1"]) == 2
    assert "eu-central-1" in capsys.readouterr().err


def test_cli_prints_five_ranked_configurations_with_bottleneck(capsys):
    assert main(["--usable-tib", "1", "--throughput-gbps", "0.2"]) == 0
    out = capsys.readouterr().out
    assert [line[:2] for line in out.splitlines() if line[:1].isdigit()] == ["1.", "2.", "3.", "4.", "5."]
    assert out.count("bottleneck:") == 5
    assert "/month" in out
