"""Tests for rustfs_model.layout / rustfs_model.ellipses.

Expected values are derived by hand from the RustFS sources cited in layout.py (commit 20d1266):
expansion with the leftmost range fastest, per-pool set size = largest divisor of the drive count in 2..16
that is symmetric with the leftmost range, sets = consecutive chunks, parity 1/1/2/2/3/3/4.., write quorum
= data (+1 when data == parity). Several cases are RustFS's own test vectors from
crates/ecstore/src/layout/disks_layout.rs (test_get_set_indexes, test_into_endpoint_set).
"""

import itertools
import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rustfs_model.ellipses import EllipsesError, parse_volume_arg, split_volumes
from rustfs_model.layout import (
    LayoutError,
    Node,
    Pool,
    az_loss_advice,
    choose_set_size,
    compute_layout,
    default_parity,
    from_resources,
    node_name,
    place_nodes,
    quorums,
    sets_from_volumes,
    suggest_survivable,
    volumes_string,
)

DOMAIN = "rustfs.internal"
AZS3 = ["us-east-1a", "us-east-1b", "us-east-1c"]
# Parity table written out independently of the module (storageclass.rs default_parity_count).
PARITY = {2: 1, 3: 1, 4: 2, 5: 2, 6: 3, 7: 3, **{s: 4 for s in range(8, 17)}}


def make_pools(shape, azs, size_gib=100):
    """shape: list of (nodes, drives) per pool; nodes numbered across pools, placed round-robin."""
    total = sum(n for n, _ in shape)
    placed = place_nodes(total, azs)
    pools, index = [], 1
    for nodes, drives in shape:
        pools.append(Pool(tuple(
            Node(node_name(i, DOMAIN), placed[i - 1], drives, size_gib) for i in range(index, index + nodes)
        )))
        index += nodes
    return pools


def short(name):
    return name.split(".")[0]


# --- range expansion ----------------------------------------------------------------------------------

def test_leftmost_range_varies_fastest():
    # ArgPattern::expand: patterns are parsed right to left and the rightmost is the outer loop, so the
    # host range (leftmost) changes on every step and the drive range only after a full pass over hosts.
    eps = parse_volume_arg("https://rustfs-{1...4}.rustfs.internal:9000/data/rustfs{0...7}").expand()
    assert len(eps) == 32
    assert eps[:5] == [
        "https://rustfs-1.rustfs.internal:9000/data/rustfs0",
        "https://rustfs-2.rustfs.internal:9000/data/rustfs0",
        "https://rustfs-3.rustfs.internal:9000/data/rustfs0",
        "https://rustfs-4.rustfs.internal:9000/data/rustfs0",
        "https://rustfs-1.rustfs.internal:9000/data/rustfs1",
    ]
    assert eps[-1] == "https://rustfs-4.rustfs.internal:9000/data/rustfs7"


def test_three_ranges_and_padding():
    # leftmost fastest holds for any number of ranges; {01...12} pads to the width of the end bound,
    # hex bounds are hex and padded to the end width.
    eps = parse_volume_arg("h{1...2}/r{a...b}/d{01...12}").expand()
    assert eps[:5] == ["h1/ra/d01", "h2/ra/d01", "h1/rb/d01", "h2/rb/d01", "h1/ra/d02"]
    assert eps[-1] == "h2/rb/d12"


@pytest.mark.parametrize("arg", ["/export{1..2}", "/export/test{1...2O}", "http://r{2...3}/s{1...0}",
                                 "{{1...4}}", "{...}", "/data{0...10000}"])
def test_rejects_what_rustfs_rejects(arg):
    with pytest.raises(EllipsesError):
        parse_volume_arg(arg)


def test_volumes_split_on_single_spaces():
    assert split_volumes("a{1...2} b{1...2}") == ["a{1...2}", "b{1...2}"]


@pytest.mark.parametrize("volumes", ["a{1...2}  b{1...2}", " a{1...2}", "a{1...2} ", ""])
def test_an_empty_volumes_argument_is_refused_as_rustfs_refuses_it(volumes):
    # clap value_delimiter ' ' + NonEmptyStringValueParser (rustfs/src/config/cli.rs; config_test.rs
    # test_volumes_boundary_cases: "Multiple consecutive spaces should cause parsing failure").
    with pytest.raises(EllipsesError, match="empty argument"):
        split_volumes(volumes)
    with pytest.raises(LayoutError, match="empty argument"):
        sets_from_volumes(volumes)


@pytest.mark.parametrize("volumes,sets", [
    ("http://a/d1 http://b/d1 http://c/d1 http://d/d1", [4]),    # legacy: the arguments are one pool
    ("/d1 /d2 /d3 /d4 /d5 /d6 /d7 /d8 /d9 /d10 /d11 /d12", [12]),  # largest divisor, no symmetry rule
    ("/data/vol1", [1]),                                          # one drive: RustFS's single-drive layout
])
def test_legacy_form_without_ranges_is_one_pool(volumes, sets):
    # disks_layout.rs DisksLayout::from_volumes, legacy branch; config_test.rs test case 2 (4 paths, 1 set of 4).
    [pool] = sets_from_volumes(volumes)
    assert [len(s) for s in pool] == sets


def test_legacy_form_with_a_count_no_set_size_divides_is_refused():
    with pytest.raises(LayoutError, match="erasure sets"):
        sets_from_volumes(" ".join(f"/d{i}" for i in range(17)))


# --- set size: RustFS's own vectors (disks_layout.rs test_get_set_indexes) ----------------------------

@pytest.mark.parametrize("total,leftmost,size", [
    (3, 3, 3),          # data{1...3}
    (27, 27, 9),        # data{1...27}: divisors 3, 9; 27 itself is > 16
    (540, 3, 15),       # host{1...3}/data{1...180}: symmetric with 3 -> 3,6,9,12,15
    (360, 2, 12),       # host{1...2}/data{1...180}: 16 does not divide 360
    (1440, 2, 16),      # host{1...2}.rack{1...4}/data{1...180}: only the leftmost (2) decides symmetry
    (64, 64, 16),
    (24, 24, 12),
    (88, 11, 11),       # controller{1...11}/export{1...8}
    (4, 4, 4),
    (832, 16, 16),
    (24, 3, 12),        # node{1...3}/drive{1...8}: 8 is a divisor but 8 % 3 != 0
])
def test_set_size_vectors(total, leftmost, size):
    assert choose_set_size(total, leftmost) == size


def test_set_size_no_symmetric_candidate():
    # test_get_set_indexes case 1: divisors 2,4,8,13,16 of 14144, none divides or is divided by 17.
    with pytest.raises(LayoutError, match="symmetric"):
        choose_set_size(14144, 17)


@pytest.mark.parametrize("volumes,sets", [
    ("{1...27}", [9] * 3),
    ("http://rustfs{2...3}/export/set{1...64}", [16] * 8),
    ("http://rack{1...4}.mydomain.rustfs{1...16}/data", [16] * 4),
    ("http://rustfs{0...15}.mydomain.net/data{0...1}", [16] * 2),
    ("http://server1/data{01...32}", [16] * 2),
    ("/export{1...10}/disk{1...10}", [10] * 10),
])
def test_endpoint_set_vectors(volumes, sets):
    # disks_layout.rs test_into_endpoint_set
    assert [len(s) for s in sets_from_volumes(volumes)[0]] == sets


def test_multi_pool_volumes_need_ranges_everywhere():
    with pytest.raises(LayoutError, match="every"):
        sets_from_volumes("http://a{1...4}/d{1...4} http://b/d1")


def test_override_must_be_a_symmetric_candidate():
    assert choose_set_size(16, 4, override=8) == 8
    with pytest.raises(LayoutError, match=r"acceptable values are \[2, 4, 8, 16\]"):
        choose_set_size(16, 4, override=5)


# --- parity and quorum ------------------------------------------------------------------------------

def test_default_parity_table():
    assert [default_parity(s) for s in range(1, 17)] == [0] + [PARITY[s] for s in range(2, 17)]


@pytest.mark.parametrize("size,expected", [
    (16, (12, 12, 12)), (12, (8, 8, 8)), (8, (4, 4, 5)),  # 8: data == parity -> write quorum + 1
    (6, (3, 3, 4)), (4, (2, 2, 3)), (2, (1, 1, 2)), (5, (3, 3, 3)),
])
def test_quorums(size, expected):
    assert quorums(size, default_parity(size)) == expected


# --- hand-checked layouts ---------------------------------------------------------------------------

def test_four_nodes_four_drives_three_azs():
    # 16 drives, host range 4 -> one set of 16 with 4 drives per node, EC 12+4, write quorum 12.
    # Round-robin puts rustfs-1 and rustfs-4 in 1a -> 8 drives of the set: 16-8 < 12 -> AZ loss fatal.
    # One node holds 4 drives: 16-4 = 12 >= 12 -> node loss survivable.
    layout = compute_layout(make_pools([(4, 4)], AZS3))
    assert (layout.set_size, layout.parity, layout.data_shards) == (16, 4, 12)
    assert (layout.read_quorum, layout.write_quorum, layout.tolerates_drives_per_set) == (12, 12, 4)
    assert len(layout.sets) == 1
    assert layout.sets[0].drives[:5] == (
        ("rustfs-1.rustfs.internal", 0), ("rustfs-2.rustfs.internal", 0), ("rustfs-3.rustfs.internal", 0),
        ("rustfs-4.rustfs.internal", 0), ("rustfs-1.rustfs.internal", 1),
    )
    assert (layout.raw_gib, layout.usable_gib) == (1600, 1200)
    assert layout.survives_node_loss
    assert not layout.survives_az_loss
    assert layout.worst_az == "us-east-1a"
    assert layout.az_set_losses == {"us-east-1a": 8, "us-east-1b": 4, "us-east-1c": 4}


def test_six_nodes_four_drives_three_azs_survives():
    # 24 drives, host range 6: divisors 2,3,4,6,8,12 -> symmetric with 6: 2,3,6,12 -> 12, two sets.
    # Set 0 = drives 0 and 1 of every node; an AZ holds 2 nodes = 4 drives; 12-4 = 8 = write quorum.
    layout = compute_layout(make_pools([(6, 4)], AZS3))
    assert (layout.set_size, len(layout.sets), layout.parity, layout.write_quorum) == (12, 2, 4, 8)
    assert {d for _, d in layout.sets[0].drives} == {0, 1}
    assert {d for _, d in layout.sets[1].drives} == {2, 3}
    assert layout.survives_az_loss and layout.survives_node_loss and layout.worst_az is None


def test_pinned_set_size_eight():
    # RUSTFS_ERASURE_SET_DRIVE_COUNT=8 on 4x4: two sets of 8, EC 4+4 -> write quorum 5, tolerates 3.
    layout = compute_layout(make_pools([(4, 4)], AZS3), set_drive_count=8)
    assert (layout.set_size, len(layout.sets), layout.write_quorum) == (8, 2, 5)
    assert layout.tolerates_drives_per_set == 3
    assert layout.usable_gib == 800
    assert layout.survives_node_loss  # each node holds 2 drives of a set


def test_sets_of_consecutive_nodes_when_nodes_outnumber_set_size():
    # 16 nodes x 1 drive pinned to 4: set i = nodes 4i+1..4i+4 (one drive each).
    layout = compute_layout(make_pools([(16, 1)], AZS3), set_drive_count=4)
    assert [short(n) for n, _ in layout.sets[1].drives] == ["rustfs-5", "rustfs-6", "rustfs-7", "rustfs-8"]
    # EC 2+2 needs 3 of 4: any node loss is fine, but any AZ holds 2 of 4 consecutive nodes in some set.
    assert layout.survives_node_loss and not layout.survives_az_loss


def test_multi_pool_volumes_and_layout():
    pools = make_pools([(4, 4), (3, 4)], AZS3)
    volumes = volumes_string(pools, DOMAIN)
    assert volumes == (
        "https://rustfs-{1...4}.rustfs.internal:9000/data/rustfs{0...3} "
        "https://rustfs-{5...7}.rustfs.internal:9000/data/rustfs{0...3}"
    )
    layout = compute_layout(pools)
    # pool 1: 12 drives, host range 3 -> set 12, EC 8+4 (parity is resolved per pool).
    assert [(p.set_size, p.parity, p.write_quorum) for p in layout.pool_layouts] == [(16, 4, 12), (12, 4, 8)]
    assert layout.usable_gib == 1200 + 800
    assert [s.pool for s in layout.sets] == [0, 1]


def test_single_node_pool_and_single_drive_strings():
    pools = [Pool((Node(node_name(1, DOMAIN), "a", 4, 10),)),
             Pool(tuple(Node(node_name(i, DOMAIN), "a", 1, 10) for i in (2, 3)))]
    assert volumes_string(pools, DOMAIN, port=9100, scheme="http", mount_root="/mnt/") == (
        "http://rustfs-1.rustfs.internal:9100/mnt/rustfs{0...3} http://rustfs-{2...3}.rustfs.internal:9100/mnt/rustfs0"
    )


def test_volumes_string_requires_consecutive_names():
    pools = [Pool((Node("rustfs-1", "a", 2, 1), Node("rustfs-3", "a", 2, 1)))]
    with pytest.raises(LayoutError, match="expected 'rustfs-2"):
        volumes_string(pools, DOMAIN)


@pytest.mark.parametrize("shape,message", [
    ([(2, 1)], "at least 4 drives"),
    ([(1, 17)], "cannot be split"),
    ([(17, 2)], "symmetrically"),
])
def test_invalid_topologies(shape, message):
    with pytest.raises(LayoutError, match=message):
        compute_layout(make_pools(shape, AZS3))


def test_non_uniform_drives_rejected():
    pool = Pool((Node("rustfs-1", "a", 4, 1), Node("rustfs-2", "b", 8, 1)))
    with pytest.raises(LayoutError, match="non-uniform drives.*rustfs-2: 8"):
        compute_layout([pool])


def test_parity_override_bounded_by_half_the_set():
    assert compute_layout(make_pools([(4, 4)], AZS3), parity=8).write_quorum == 9
    with pytest.raises(LayoutError, match="exceeds 8"):
        compute_layout(make_pools([(4, 4)], AZS3), parity=9)


def test_from_resources_orders_names_naturally():
    pools = make_pools([(12, 2)], AZS3)
    shuffled = sorted(pools[0].nodes, key=lambda n: n.name)  # lexical: rustfs-1, rustfs-10, .., rustfs-2
    assert from_resources(shuffled) == compute_layout(pools)
    two = from_resources(shuffled, pool_sizes=[8, 4])
    assert [len(p.nodes) for p in two.pools] == [8, 4]
    with pytest.raises(LayoutError, match="add up"):
        from_resources(shuffled, pool_sizes=[5])


def test_to_dict_is_json():
    data = json.loads(json.dumps(compute_layout(make_pools([(4, 4)], AZS3)).to_dict()))
    assert data["sets"][0]["drives"][0] == ["rustfs-1.rustfs.internal", 0]
    assert data["survives_az_loss"] is False and data["worst_az"] == "us-east-1a"


def test_az_loss_advice_for_four_nodes_in_three_azs():
    message = az_loss_advice(4, 4, AZS3)
    assert "cannot survive an AZ loss" in message and "holds 8 drives" in message
    # 5 nodes x 4: 20 drives, host range 5 -> sets of 10 (EC 6+4), 2 drives per node, an AZ holds 2 nodes
    # = 4 drives <= 10-6. Over 4 AZs each AZ holds one node = 4 drives of the 16-set <= 4.
    assert "5 nodes x 4 drives over 3 AZs (sets of 10, EC 6+4, 60% usable)" in message
    assert "4 nodes x 4 drives over 4 AZs" in message
    assert az_loss_advice(6, 4, AZS3) is None
    assert az_loss_advice(3, 4, AZS3) is None  # one node per AZ = 4 drives of a 12-set, EC 8+4


def test_suggestions_include_pinned_set_size():
    # 8x8 over 3 AZs: auto 16-sets lose 6 drives per AZ (3 nodes x 2). Pinned 8: one drive per node,
    # an AZ holds 3 <= 8-5.
    options = suggest_survivable(8, 8, AZS3)
    assert options[0].nodes == 8 and options[0].set_drive_count == 8 and options[0].az_count == 3


# --- properties ---------------------------------------------------------------------------------------

pool_shapes = st.lists(st.tuples(st.integers(1, 12), st.integers(1, 8)), min_size=1, max_size=3)
az_lists = st.integers(1, 4).map(lambda k: [f"az-{i}" for i in range(k)])


def build(shape, azs):
    try:
        pools = make_pools(shape, azs)
        return pools, compute_layout(pools)
    except LayoutError:
        assume(False)


def brute_force(volumes, az_of_host, hosts_lost_by):
    """Independent check straight from the RUSTFS_VOLUMES string: does every set keep its quorum?"""
    for pool_sets in sets_from_volumes(volumes):
        size = len(pool_sets[0])
        data = size - PARITY[size]
        need = data + 1 if data == PARITY[size] else data
        for endpoints in pool_sets:
            hosts = [e.split("://")[1].split(":")[0] for e in endpoints]
            if size - sum(1 for h in hosts if hosts_lost_by(h)) < need:
                return False
    return True


@settings(max_examples=150, suppress_health_check=[HealthCheck.filter_too_much])
@given(pool_shapes, az_lists)
def test_layout_properties(shape, azs):
    pools, layout = build(shape, azs)
    all_drives = [(n.name, d) for p in pools for n in p.nodes for d in range(n.drives)]
    in_sets = [d for s in layout.sets for d in s.drives]
    assert sorted(in_sets) == sorted(all_drives)  # every drive in exactly one set
    for info in layout.pool_layouts:
        sizes = {len(s.drives) for s in layout.sets if s.pool == info.pool}
        assert sizes == {info.set_size} and 2 <= info.set_size <= 16
        assert info.parity == PARITY[info.set_size] <= info.set_size // 2
        assert info.read_quorum == info.data_shards == info.set_size - info.parity
        assert info.write_quorum == info.data_shards + (info.data_shards == info.parity)
        assert info.write_quorum <= info.set_size
    expected_usable = sum(  # usable = raw * data / set_size, per pool (exact: set size divides the pool)
        sum(n.drives * n.drive_size_gib for n in p.nodes) * info.data_shards // info.set_size
        for p, info in zip(pools, layout.pool_layouts, strict=True)
    )
    assert layout.usable_gib == expected_usable
    assert layout.raw_gib == sum(n.drives * n.drive_size_gib for p in pools for n in p.nodes)


@settings(max_examples=150, suppress_health_check=[HealthCheck.filter_too_much])
@given(pool_shapes, az_lists)
def test_verdicts_match_brute_force_on_the_volumes_string(shape, azs):
    pools, layout = build(shape, azs)
    volumes = volumes_string(pools, DOMAIN)
    # compute_layout's sets are exactly what RustFS builds from the string we hand it.
    from_string = [[(e.split("://")[1].split(":")[0], int(e.rsplit("rustfs", 1)[1])) for e in s]
                   for pool in sets_from_volumes(volumes) for s in pool]
    assert from_string == [list(s.drives) for s in layout.sets]
    az_of = {n.name: n.az for p in pools for n in p.nodes}
    az_ok = {az: brute_force(volumes, az_of, lambda h, az=az: az_of[h] == az) for az in set(az_of.values())}
    assert layout.survives_az_loss == all(az_ok.values())
    assert (layout.worst_az is None) == layout.survives_az_loss
    if layout.worst_az:
        assert not az_ok[layout.worst_az]
    node_ok = all(brute_force(volumes, az_of, lambda h, n=n: h == n) for n in az_of)
    assert layout.survives_node_loss == node_ok


@given(st.integers(0, 40), az_lists)
def test_placement_is_round_robin_and_balanced(count, azs):
    placed = place_nodes(count, azs)
    assert placed == place_nodes(count, azs)
    for start in range(count):
        for end in range(start, count + 1):  # every run of consecutive node indices is balanced
            window = [placed[i] for i in range(start, end)]
            counts = [window.count(a) for a in azs]
            assert max(counts) - min(counts) <= 1


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 6), st.integers(1, 4), st.integers(2, 3))
def test_round_robin_survives_whenever_any_placement_does(nodes, drives, az_count):
    azs = [f"az-{i}" for i in range(az_count)]
    try:
        base = compute_layout(make_pools([(nodes, drives)], azs))
    except LayoutError:
        assume(False)
    pool = base.pools[0]
    any_survives = False
    for assignment in itertools.product(azs, repeat=nodes):
        nodes_here = tuple(
            Node(n.name, az, n.drives, n.drive_size_gib) for n, az in zip(pool.nodes, assignment, strict=True)
        )
        if compute_layout([Pool(nodes_here)]).survives_az_loss:
            any_survives = True
            break
    assert base.survives_az_loss == any_survives


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 10), st.integers(1, 6), st.integers(1, 4))
def test_every_suggestion_survives(nodes, drives, az_count):
    azs = [f"az-{i}" for i in range(az_count)]
    try:
        suggestions = suggest_survivable(nodes, drives, azs)
    except LayoutError:
        assume(False)
    for s in suggestions:
        pools = make_pools([(s.nodes, s.drives_per_node)], [f"z{i}" for i in range(s.az_count)])
        layout = compute_layout(pools, s.set_drive_count)
        assert layout.survives_az_loss and layout.set_size == s.set_size
