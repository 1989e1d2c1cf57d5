from rustfs_model import catalogue
from rustfs_model.catalogue import InstanceType, families, instance_type


def test_known_type_matches_the_ebs_optimized_and_network_tables():
    # AWS EC2 user guide (2023-06): i4i.2xlarge 8 vCPU / 64 GiB, network 4.687 baseline / 12 burst Gbps,
    # EBS 312.5 / 1,250 MB/s and 10,000 / 40,000 IOPS, one 1,875 GB NVMe disk.
    t = instance_type("i4i.2xlarge")
    assert t == InstanceType(
        name="i4i.2xlarge", family="i4i", vcpu=8, memory_gib=64.0, arch="x86_64",
        network_baseline_gbps=4.687, network_burst_gbps=12.0,
        ebs_baseline_mbps=312.5, ebs_max_mbps=1250.0, ebs_baseline_iops=10000, ebs_max_iops=40000,
        nvme_gb=(1875,), source=t.source,
    )
    assert "awsdocs/amazon-ec2-user-guide" in t.source and "2023" in t.source


def test_small_dev_sizes_burst_above_their_baseline():
    for name in ("m7g.large", "m6i.large"):
        t = instance_type(name)
        assert t is not None, name
        assert t.network_bursts and t.ebs_bursts
        assert t.network_baseline_gbps < 1.0 < t.network_burst_gbps


def test_large_sizes_sustain_their_figure():
    t = instance_type("c6in.8xlarge")
    assert (t.network_baseline_gbps, t.network_burst_gbps) == (50.0, 50.0)
    assert not t.ebs_bursts


def test_graviton_families_are_arm64():
    assert instance_type("m7g.large").arch == "arm64"
    assert instance_type("im4gn.xlarge").arch == "arm64"
    assert instance_type("m6i.large").arch == "x86_64"


def test_unknown_type_is_none():
    assert instance_type("m99z.large") is None
    assert instance_type("") is None


def test_families_sorted_and_cover_storage_relevant_ones():
    fams = families()
    assert fams == sorted(fams)
    for fam in ("m6i", "m7g", "r6i", "r7g", "c6in", "c6gn", "i4i", "i4g", "i3en", "im4gn", "is4gen"):
        assert fam in fams


def test_every_entry_is_consistent():
    for name, t in catalogue.INSTANCE_TYPES.items():
        assert name == t.name and name.startswith(t.family + ".")
        assert t.arch in ("x86_64", "arm64")
        assert 0 < t.network_baseline_gbps <= t.network_burst_gbps
        assert 0 < t.ebs_baseline_mbps <= t.ebs_max_mbps
        assert 0 < t.ebs_baseline_iops <= t.ebs_max_iops
        assert all(g > 0 for g in t.nvme_gb)
        assert t.source


def test_storage_optimized_types_have_local_nvme():
    assert instance_type("i3en.24xlarge").nvme_gb == (7500,) * 8
    assert instance_type("i3en.24xlarge").nvme_total_gb == 60000
    assert instance_type("m7g.xlarge").nvme_gb == ()
