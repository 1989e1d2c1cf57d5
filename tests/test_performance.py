import pytest

from rustfs_model.capacity import capacity
from rustfs_model.layout import Node, Pool, compute_layout
from rustfs_model.performance import NodeSpec, Volume, node_bound, performance, volume_throughput_mibps


def _nodes(itype, count, volumes=(), nvme=False):
    return [NodeSpec(itype, tuple(volumes), nvme=nvme, name=f"rustfs-{i + 1}") for i in range(count)]


def test_capacity_from_layout_per_pool_and_total():
    # Pool 0: 4 nodes x 4 drives x 100 GiB -> one set of 16, EC 12+4: raw 1,600 GiB, usable 12 x 100 = 1,200.
    # Pool 1: 4 nodes x 2 drives x 500 GiB -> one set of 8, EC 4+4: raw 4,000 GiB, usable 4 x 500 = 2,000.
    p0 = Pool(tuple(Node(f"rustfs-{i}", f"az{i % 2}", 4, 100) for i in range(1, 5)))
    p1 = Pool(tuple(Node(f"rustfs-{i}", f"az{i % 2}", 2, 500) for i in range(5, 9)))
    cap = capacity(compute_layout([p0, p1]))
    assert [(p["rawGiB"], p["usableGiB"], p["erasure"]) for p in cap["pools"]] == [
        (1600, 1200, "EC 12+4"), (4000, 2000, "EC 4+4")]
    assert (cap["rawGiB"], cap["usableGiB"]) == (5600, 3200)
    assert cap["usableTiB"] == round(3200 / 1024, 3)
    assert cap["efficiency"] == round(3200 / 5600, 4)


def test_volume_throughput_rules():
    assert volume_throughput_mibps(Volume("gp3", 100)) == 125  # included baseline
    assert volume_throughput_mibps(Volume("gp3", 100, 6000, 500)) == 500
    assert volume_throughput_mibps(Volume("io2", 100, 1000)) == 250  # 1,000 IOPS x 256 KiB
    assert volume_throughput_mibps(Volume("io2", 1000, 48000)) == 750  # 48,000 x 16 KiB
    assert volume_throughput_mibps(Volume("io2", 20000, 100000)) == 4000  # Block Express cap
    with pytest.raises(ValueError):
        volume_throughput_mibps(Volume("st9", 100))


def test_dev_sized_cluster_is_bound_by_ebs_on_writes_and_network_on_reads():
    # m7g.large: network baseline 0.937 Gbps = 117.125 MB/s, EBS baseline 78.75 MB/s.
    # 4 nodes, 4 gp3 x 125 MiB/s = 524.288 MB/s of volumes (more than EBS carries).
    # EC 2+2 -> e = 2. Write: network 4*117.125/(1+2*3/4) = 187.4; EBS 4*78.75/2 = 157.5 -> EBS wins.
    # Read: network 4*117.125/(1+3/4) = 267.71; EBS 4*78.75/1 = 315 -> network wins.
    perf = performance(_nodes("m7g.large", 4, [Volume("gp3", 100)] * 4), data_shards=2, parity=2)
    assert perf["writeGBps"] == 0.158  # 157.5 MB/s
    assert perf["readGBps"] == 0.268  # 267.71 MB/s
    assert perf["writeBottleneck"] == "ebs" and perf["readBottleneck"] == "network"
    assert "EBS bandwidth" in perf["bottleneck"]
    wasted = " ".join(perf["wasted"])
    assert "446 MB/s of provisioned throughput is unusable" in wasted  # 524.288 - 78.75
    assert "8400 IOPS unusable" in wasted  # 4 x 3,000 - 3,600
    assert "up to 12.5 Gbps" in wasted


def test_network_bound_cluster_flags_drive_throughput_it_cannot_feed():
    # m6i.8xlarge: network 12.5 Gbps = 1,562.5 MB/s, EBS 1,250 MB/s, 8 drives x 250 MiB/s = 2,097 MB/s.
    # 8 nodes, EC 12+4 (e = 4/3): write network 8*1562.5/(1+4/3*7/8) = 5,769.2 MB/s;
    # write EBS 8*1250/(4/3) = 7,500 -> network is the write bottleneck.
    vols = [Volume("gp3", 1000, 3000, 250)] * 8
    perf = performance(_nodes("m6i.8xlarge", 8, vols), data_shards=12, parity=4)
    assert perf["writeBottleneck"] == "network"
    assert perf["writeGBps"] == round(8 * 1562.5 / (1 + 4 / 3 * 7 / 8) / 1000, 3)
    # 2,097 MB/s of volumes > 1,250 MB/s EBS -> wasted provisioned throughput.
    assert any("unusable" in w for w in perf["wasted"])


def test_nvme_nodes_are_never_drive_bound():
    perf = performance(_nodes("i4i.2xlarge", 4, nvme=True), data_shards=2, parity=2)
    assert perf["writeBottleneck"] == "network"
    assert node_bound(_nodes("i4i.2xlarge", 1, nvme=True)[0]).drives_mbps is None


def test_unknown_instance_type_is_a_clear_error():
    with pytest.raises(ValueError, match="not in the catalogue"):
        performance(_nodes("z9.huge", 4, [Volume("gp3", 10)]), 2, 2)
