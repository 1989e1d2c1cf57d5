"""The stack configuration: every rule with a good and a bad value, errors named by full key."""

import copy

import pytest

from rustfs_aws.config import ConfigError, parse

BASE = {
    "environment": "dev",
    "tags": {"Owner": "team-storage", "CostCenter": "cc-1"},
    "network": {"cidr": "10.40.0.0/16", "azCount": 2, "natGateways": "single", "adminCidrs": ["192.0.2.0/24"]},
    "cluster": {"platform": "ec2", "nodes": 4, "drivesPerNode": 2, "instanceType": "m6i.large",
                "rustfsVersion": "1.0.1",
                "volume": {"type": "gp3", "sizeGiB": 100, "iops": 3000, "throughputMiBps": 125}},
}
PROD = {**BASE, "environment": "prod",
        "network": {"cidr": "10.50.0.0/16", "azCount": 3, "natGateways": "perAz"},
        "cluster": {**BASE["cluster"], "nodes": 6, "drivesPerNode": 8, "instanceType": "c6in.4xlarge"}}


def with_(base: dict, path: str, value) -> dict:
    raw = copy.deepcopy(base)
    *parents, last = path.split(".")
    node = raw
    for key in parents:
        node = node.setdefault(key, {})
    if value is _DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return raw


_DELETE = object()


def problems(raw: dict, region: str = "us-east-1") -> list[str]:
    with pytest.raises(ConfigError) as exc:
        parse(raw, stack="t", region=region)
    return exc.value.problems


def only_problem(raw: dict) -> str:
    found = problems(raw)
    assert len(found) == 1, found
    return found[0]


def test_base_configs_are_valid():
    dev = parse(BASE, stack="dev", region="us-east-1")
    assert dev.cluster.volume.iops == 3000 and dev.network.nat_gateways == "single"
    prod = parse(PROD, stack="prod", region="us-east-1")
    assert prod.is_prod and prod.network.az_count == 3


def test_objects_may_arrive_as_json_strings_like_from_the_cli():
    import json

    raw = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in BASE.items()}
    assert parse(raw, stack="dev", region="us-east-1").cluster.nodes == 4


@pytest.mark.parametrize("path,bad,good,needle", [
    ("environment", "production", "staging", "allowed values: dev | staging | prod"),
    ("network.cidr", "10.0.0.0/8", "10.0.0.0/20", "prefix length must be /16–/24"),
    ("network.cidr", "10.0.0.300/16", "172.16.0.0/16", "expected an IPv4 CIDR"),
    ("network.cidr", "10.0.0.1/16", "10.1.0.0/16", "expected an IPv4 CIDR"),  # host bits set
    ("network.azCount", 7, 3, "allowed range 2–6"),
    ("network.azCount", "two", 2, "expected an integer from 2 to 6"),
    ("network.natGateways", "one", "perAz", "allowed values: single | perAz"),
    ("network.adminCidrs", ["0.0.0.0/0"], ["198.51.100.0/24"], "never open to the internet"),
    ("cluster.platform", "k8s", "ec2", "allowed values: ec2 | eks"),
    ("cluster.drivesPerNode", 22, 21, "allowed range 1–21"),  # data volumes attach at /dev/sd[f-z]
    ("cluster.nodes", 0, 8, "allowed range 1–64"),
    ("cluster.instanceType", "t2.micro", "i4i.2xlarge", "known families: "),
    ("cluster.rustfsVersion", "latest", "1.0.1", "version such as"),
    ("cluster.rustfsVersion", "9.9.9", "1.0.0-rc.1", "no pinned SHA-256 for this release; pinned versions: 1.0.1"),
    ("cluster.volume.type", "gp2", "io2", "allowed values: gp3 | io2"),
    ("cluster.amiId", "ami-xyz", "ami-0123456789abcdef0", "AMI id such as"),
    ("cluster.volume.iops", 2999, 3000, "allowed range 3,000–16,000 for gp3"),
    ("cluster.volume.iops", 16001, 16000, "allowed range 3,000–16,000 for gp3"),
    ("cluster.volume.sizeGiB", 16385, 16384, "allowed range 1–16,384 GiB for gp3"),
    ("cluster.volume.throughputMiBps", 124, 125, "allowed range 125–1,000 MiB/s for gp3"),
    ("cluster.volume.throughputMiBps", 751, 750, "at most 0.25 MiB/s per provisioned IOPS"),
])
def test_rule_refuses_bad_and_accepts_good(path, bad, good, needle):
    raw = with_(BASE, path, bad)
    if path == "cluster.volume.throughputMiBps" and bad == 751:
        raw["cluster"]["volume"]["iops"] = 3000
        good_raw = with_(with_(BASE, "cluster.volume.iops", 3000), path, good)
        assert parse(good_raw, stack="t", region="us-east-1")  # 750 MiB/s needs 3,000 IOPS: 750*4 = 3,000
    else:
        if path == "cluster.volume.type" and good == "io2":
            good_raw = with_(with_(BASE, path, good), "cluster.volume.throughputMiBps", _DELETE)
        else:
            good_raw = with_(BASE, path, good)
        parse(good_raw, stack="t", region="us-east-1")
    message = next(p for p in problems(raw) if p.startswith(f"rustfs-aws:{path}"))
    assert needle in message
    shown = bad[0] if isinstance(bad, list) else bad
    assert repr(shown) in message or str(shown) in message


def test_gp3_iops_per_gib_limit():
    # 500 IOPS/GiB: 10 GiB allows 5,000 IOPS.
    raw = with_(with_(BASE, "cluster.volume.sizeGiB", 10), "cluster.volume.iops", 5001)
    assert "at most 500 IOPS per GiB: ≤ 5,000 for 10 GiB" in only_problem(raw)
    parse(with_(with_(BASE, "cluster.volume.sizeGiB", 10), "cluster.volume.iops", 5000), stack="t",
          region="us-east-1")


def test_io2_limits_and_throughput_not_accepted():
    io2 = with_(BASE, "cluster.volume", {"type": "io2", "sizeGiB": 100, "iops": 100_000})
    parse(io2, stack="t", region="us-east-1")
    assert "≤ 100,000 for 100 GiB" in only_problem(with_(io2, "cluster.volume.iops", 100_001))
    assert "allowed range 100–256,000 for io2" in only_problem(with_(
        with_(io2, "cluster.volume.sizeGiB", 1000), "cluster.volume.iops", 256_001))
    parse(with_(with_(io2, "cluster.volume.sizeGiB", 1000), "cluster.volume.iops", 256_000), stack="t",
          region="us-east-1")
    message = only_problem(with_(io2, "cluster.volume.throughputMiBps", 500))
    assert message.startswith("rustfs-aws:cluster.volume.throughputMiBps: got 500; not accepted for io2")


def test_too_few_drives_in_total():
    raw = with_(with_(BASE, "cluster.nodes", 3), "cluster.drivesPerNode", 1)
    assert "nodes × drivesPerNode must be ≥ 4" in only_problem(raw)


def test_unknown_instance_type_opt_out():
    raw = with_(BASE, "cluster.instanceType", "x9z.huge")
    message = only_problem(raw)
    assert "m6i" in message and "allowUnknownInstanceType" in message
    parse(with_(raw, "cluster.allowUnknownInstanceType", True), stack="t", region="us-east-1")


def test_prod_needs_four_nodes_and_three_azs():
    found = problems(with_(with_(PROD, "network.azCount", 2), "cluster.nodes", 3))
    assert any("rustfs-aws:network.azCount: got 2; prod needs at least 3 AZs" in p for p in found)
    assert any("rustfs-aws:cluster.nodes: got 3; prod needs at least 4 nodes" in p for p in found)


def test_prod_layout_that_cannot_survive_an_az_loss_is_refused_with_advice():
    # 4 nodes over 3 AZs: one AZ holds two nodes, i.e. half of every erasure set (see layout tests).
    raw = with_(with_(PROD, "cluster.nodes", 4), "cluster.drivesPerNode", 4)
    message = only_problem(raw)
    assert message.startswith("rustfs-aws:cluster.nodes: got 4; prod must survive the loss of one AZ")
    assert "Would survive" in message and "allowAzLossUnsafe" in message
    parse(with_(raw, "cluster.allowAzLossUnsafe", True), stack="t", region="us-east-1")


def test_required_tags_and_environment_tag():
    found = problems(with_(BASE, "tags", {"Environment": "prod"}))
    assert any(p.startswith("rustfs-aws:tags.Owner: missing; required tag") for p in found)
    assert any(p.startswith("rustfs-aws:tags.CostCenter: missing") for p in found)
    assert any("Environment comes from rustfs-aws:environment" in p for p in found)
    cfg = parse(BASE, stack="dev", region="us-east-1")
    assert cfg.tags == {"Project": "rustfs-aws", "Environment": "dev", "Owner": "team-storage",
                        "CostCenter": "cc-1"}


def test_tag_key_limits():
    assert "may not start with aws:" in only_problem(with_(BASE, "tags.aws:owner", "x"))
    assert "tag values are up to 256" in only_problem(with_(BASE, "tags.Team", "x" * 257))


def test_unknown_keys_are_named():
    message = only_problem(with_(BASE, "cluster.volume.iopz", 3000))
    assert message.startswith("rustfs-aws:cluster.volume.iopz: got 3000; unknown key")
    assert "iops" in message
    assert only_problem({**BASE, "clutser": {}}).startswith("rustfs-aws:clutser:")


def test_all_problems_reported_together():
    raw = with_(with_(with_(BASE, "environment", "qa"), "network.cidr", "nonsense"), "cluster.volume.iops", 1)
    found = problems(raw)
    keys = {p.split(":", 2)[1].split(";")[0].split(" ")[0] for p in found}
    assert {"environment", "network.cidr", "cluster.volume.iops"} <= keys
    text = str(ConfigError(found))
    assert text.startswith(f"invalid stack configuration ({len(found)} problems):")


def test_a_vpc_too_small_for_public_subnets_is_refused_with_nat():
    small = with_(with_(BASE, "network.cidr", "10.0.0.0/24"), "network.natGateways", "single")
    message = only_problem(small)
    assert message.startswith("rustfs-aws:network.cidr") and "/28 minimum" in message


def test_region_is_checked():
    assert any(p.startswith("aws:region") for p in problems(BASE, region="mars-1"))


def test_spread_placement_holds_at_most_seven_nodes_per_az():
    # 16 nodes over 2 AZs: 8 in each, one more than a spread group may hold.
    raw = with_(with_(BASE, "cluster.nodes", 16), "cluster.placement", "spread")
    assert "at most 7 running instances per AZ" in only_problem(raw)
    parse(with_(raw, "cluster.nodes", 14), stack="t", region="us-east-1")


@pytest.mark.parametrize("stack", ["Prod", "my_stack", "a-very-long-stack-name-x", "9lives"])
def test_stack_names_must_fit_the_physical_names_they_prefix(stack):
    with pytest.raises(ConfigError) as exc:
        parse(BASE, stack=stack, region="us-east-1")
    assert exc.value.problems[0] == (f"stack name: got {stack!r}; expected 1-20 lowercase letters, digits and "
                                     "hyphens, starting with a letter (it prefixes bucket, role and load balancer "
                                     "names)")


def test_longest_allowed_stack_name_still_makes_valid_bucket_names():
    from rustfs_aws.storage.buckets import bucket_name

    cfg = parse(BASE, stack="s" * 20, region="ap-southeast-1")
    assert len(bucket_name(cfg.name, "audit", "123456789012", cfg.region)) <= 63


def test_a_cluster_without_nat_is_refused_even_with_its_own_ami():
    # Route 53 (the take-over's record update) has no PrivateLink endpoint.
    for raw in (with_(BASE, "network.natGateways", "none"),
                with_(with_(BASE, "network.natGateways", "none"), "cluster.amiId", "ami-0123456789abcdef0")):
        message = only_problem(raw)
        assert message.startswith("rustfs-aws:network.natGateways: got 'none'; the nodes update their Route 53 "
                                  "records"), message
        assert "use single | perAz" in message
