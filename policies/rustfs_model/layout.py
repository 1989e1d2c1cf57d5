"""RustFS erasure layout: which drives form each erasure set, and what a node or AZ loss does.

Facts (not code) from rustfs/rustfs at tag 1.0.0-rc.3 (commit 1aae6803739a5bac67e0d702ac46d43f09fb06dd, the
newest release tag of the stored snapshot; unchanged at main 20d1266; tests/data/rustfs_settings.json):

1. Expansion (``crates/utils/src/string.rs``, see ``ellipses.py``): each space-separated
   ``RUSTFS_VOLUMES`` argument is one pool; its ranges expand with the **leftmost range fastest**, so
   ``https://rustfs-{1...4}.d:9000/data/rustfs{0...7}`` lists drive 0 of nodes 1..4, then drive 1 of
   nodes 1..4, and so on. With several pools every argument must contain a range
   (``crates/ecstore/src/layout/disks_layout.rs``, ``DisksLayout::from_volumes``); with no range anywhere
   all arguments are one pool (legacy form). An empty argument (double space) is refused (``ellipses.py``).
2. Set size (``disks_layout.rs``, ``get_set_indexes``), decided per pool from that pool's argument alone:
   the pool's drive count must be >= 2 (and >= the override); candidate sizes are the divisors of the drive
   count in 2..16; a candidate is kept only if it is "symmetric" with the **leftmost** range length L
   (L % s == 0 when L > s, else s % L == 0) - RustFS overwrites its symmetry flag in a loop, so only the
   last pattern it parsed, the leftmost range (the hosts in our layout), decides. Without override the
   largest remaining candidate wins (fewest sets). ``RUSTFS_ERASURE_SET_DRIVE_COUNT`` must be one of the
   remaining candidates, otherwise startup fails.
3. Sets (``disks_layout.rs`` ``EndpointSet::get``; ``layout/endpoints.rs`` sets set/disk index;
   ``core/sets.rs`` reads drive j of set i at ``i * set_drive_count + j``): set i of a pool is the i-th
   consecutive chunk of ``set_size`` endpoints of the expanded list. Hence for N nodes with
   D drives and set size S: if S is a multiple of N every set takes S/N drives from every node of the pool;
   if N is a multiple of S set i takes one drive from each of S consecutive nodes.
4. Parity (``crates/ecstore/src/config/storageclass.rs``, ``default_parity_count``, resolved per pool):
   STANDARD parity for set size 1 -> 0, 2-3 -> 1, 4-5 -> 2, 6-7 -> 3, >= 8 -> 4; an explicit
   ``RUSTFS_STORAGE_CLASS_STANDARD=EC:p`` must satisfy p <= S/2. Quorums
   (``crates/ecstore/src/set_disk/core/io_primitives.rs``, ``default_read_quorum``/``default_write_quorum``):
   read quorum = data = S - parity; write quorum = data, +1 when data == parity.

Survival rule used here: a loss (one node, or every node of one AZ) is survivable when every erasure set of
every pool keeps at least max(read quorum, write quorum) drives.

Naming (our choice): node i (1-based, numbered across pools) is ``rustfs-<i>.<domain>``; drives are
mounted at ``<mount_root>/rustfs0`` .. ``rustfs<D-1>``. Pool k's argument uses one host range for its
nodes, so a later pool is e.g. ``https://rustfs-{5...8}.<domain>:9000/data/rustfs{0...7}``.
Project rule on top of RustFS (which accepts 2): at least 4 drives in total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rustfs_model.ellipses import EllipsesError, has_ellipses, is_legacy, parse_volume_arg, split_volumes

SET_SIZES = tuple(range(2, 17))
MIN_TOTAL_DRIVES = 4


class LayoutError(ValueError):
    """A topology RustFS would refuse, or one this project does not allow."""


@dataclass(frozen=True)
class Node:
    name: str
    az: str
    drives: int
    drive_size_gib: int


@dataclass(frozen=True)
class Pool:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class ErasureSet:
    index: int  # set index inside its pool, as RustFS numbers it
    drives: tuple[tuple[str, int], ...]  # (node name, drive index), in set order
    pool: int = 0


@dataclass(frozen=True)
class PoolLayout:
    pool: int
    set_size: int
    set_count: int
    parity: int
    data_shards: int
    read_quorum: int
    write_quorum: int


@dataclass(frozen=True)
class Layout:
    """Computed layout. ``set_size``/``parity``/``data_shards``/quorums are pool 0's; ``pool_layouts`` has
    every pool's. ``tolerates_drives_per_set`` is the minimum over pools of drives a set can lose and still
    read and write (set_size - write quorum)."""

    pools: tuple[Pool, ...]
    set_size: int
    sets: tuple[ErasureSet, ...]
    parity: int
    data_shards: int
    read_quorum: int
    write_quorum: int
    raw_gib: int
    usable_gib: int
    tolerates_drives_per_set: int
    survives_node_loss: bool
    survives_az_loss: bool
    worst_az: str | None
    pool_layouts: tuple[PoolLayout, ...] = ()
    worst_node: str | None = None
    az_set_losses: dict[str, int] = field(default_factory=dict)  # AZ -> most drives it holds of one set

    def to_dict(self) -> dict:
        return {
            "pools": [
                [{"name": n.name, "az": n.az, "drives": n.drives, "drive_size_gib": n.drive_size_gib}
                 for n in pool.nodes]
                for pool in self.pools
            ],
            "set_size": self.set_size,
            "parity": self.parity,
            "data_shards": self.data_shards,
            "read_quorum": self.read_quorum,
            "write_quorum": self.write_quorum,
            "pool_layouts": [vars(p).copy() for p in self.pool_layouts],
            "sets": [
                {"pool": s.pool, "index": s.index, "drives": [list(d) for d in s.drives]} for s in self.sets
            ],
            "raw_gib": self.raw_gib,
            "usable_gib": self.usable_gib,
            "tolerates_drives_per_set": self.tolerates_drives_per_set,
            "survives_node_loss": self.survives_node_loss,
            "survives_az_loss": self.survives_az_loss,
            "worst_az": self.worst_az,
            "worst_node": self.worst_node,
            "az_set_losses": dict(self.az_set_losses),
        }


def default_parity(set_size: int) -> int:
    if set_size <= 1:
        return 0
    return min(4, set_size // 2)  # 2-3 -> 1, 4-5 -> 2, 6-7 -> 3, >=8 -> 4


def quorums(set_size: int, parity: int) -> tuple[int, int, int]:
    """(data shards, read quorum, write quorum) for one set."""
    data = set_size - parity
    write = data + 1 if data == parity else data
    return data, data, write


def choose_set_size(total: int, leftmost_range: int, override: int | None = None) -> int:
    """RustFS's per-pool set size for ``total`` drives whose leftmost range has ``leftmost_range`` values."""
    if total < SET_SIZES[0] or (override and total < override):
        raise LayoutError(f"a pool needs at least {max(SET_SIZES[0], override or 0)} drives, got {total}")
    divisors = [s for s in SET_SIZES if total % s == 0]
    if not divisors:
        raise LayoutError(f"{total} drives in a pool cannot be split into erasure sets of 2..16 drives")
    symmetric = [
        s for s in divisors
        if (leftmost_range % s == 0 if leftmost_range > s else s % leftmost_range == 0)
    ]
    if not symmetric:
        raise LayoutError(
            f"{total} drives over a range of {leftmost_range} cannot be spread symmetrically "
            f"into erasure sets (divisors {divisors})"
        )
    if override:
        if override not in symmetric:
            raise LayoutError(
                f"RUSTFS_ERASURE_SET_DRIVE_COUNT={override} is invalid for {total} drives; "
                f"acceptable values are {symmetric}"
            )
        return override
    return max(symmetric)


def sets_from_volumes(volumes: str, set_drive_count: int | None = None) -> list[list[list[str]]]:
    """Endpoints per set per pool, exactly as RustFS would build them from a ``RUSTFS_VOLUMES`` value."""
    try:
        args = split_volumes(volumes)
    except EllipsesError as err:
        raise LayoutError(str(err)) from err
    if is_legacy(args):
        # One pool of the listed endpoints; no range, so no symmetry rule (disks_layout.rs get_all_sets).
        size = 1 if len(args) == 1 else max(
            (s for s in SET_SIZES if len(args) % s == 0 and (not set_drive_count or s == set_drive_count)),
            default=0)
        if not size:
            raise LayoutError(f"{len(args)} endpoints cannot be split into erasure sets of 2..16 drives"
                              + (f" of {set_drive_count}" if set_drive_count else ""))
        if len(set(args)) != len(args):
            raise LayoutError("RUSTFS_VOLUMES contains a duplicate endpoint after range expansion")
        return [[args[i : i + size] for i in range(0, len(args), size)]]
    if len(args) > 1 and not all(has_ellipses(a) for a in args):
        raise LayoutError("with several pools every RUSTFS_VOLUMES argument must use {N...M} ranges")
    pools = []
    for arg in args:
        try:
            parsed = parse_volume_arg(arg)
        except EllipsesError as err:
            raise LayoutError(str(err)) from err
        size = choose_set_size(parsed.total, len(parsed.ranges[0]), set_drive_count)
        endpoints = parsed.expand()
        pools.append([endpoints[i : i + size] for i in range(0, len(endpoints), size)])
    flat = [e for pool in pools for s in pool for e in s]
    if len(flat) != len(set(flat)):
        raise LayoutError("RUSTFS_VOLUMES contains a duplicate endpoint after range expansion")
    return pools


def node_name(index: int, domain: str) -> str:
    """DNS name of node ``index`` (1-based, numbered across all pools): ``rustfs-<index>.<domain>``."""
    if index < 1:
        raise LayoutError(f"node index is 1-based, got {index}")
    if not domain:
        raise LayoutError("a DNS domain is required for node names")
    return f"rustfs-{index}.{domain.strip('.')}"


def _range(first: int, last: int) -> str:
    return str(first) if first == last else f"{{{first}...{last}}}"


def volumes_string(
    pools, domain: str, port: int = 9000, scheme: str = "https", mount_root: str = "/data"
) -> str:
    """``RUSTFS_VOLUMES``: one space-separated argument per pool; node names must follow ``node_name``."""
    pools = _as_pools(pools)
    args = []
    index = 1
    for pool_index, pool in enumerate(pools):
        for offset, node in enumerate(pool.nodes):
            expected = node_name(index + offset, domain)
            if node.name not in (expected, expected.split(".")[0]):
                raise LayoutError(
                    f"pool {pool_index} node {offset} is named {node.name!r}, expected {expected!r}: "
                    "nodes must be numbered consecutively across pools (one host range per pool)"
                )
        _check_pool(pool_index, pool)
        last = index + len(pool.nodes) - 1
        drives = pool.nodes[0].drives
        host = f"rustfs-{_range(index, last)}.{domain.strip('.')}"
        arg = f"{scheme}://{host}:{port}{mount_root.rstrip('/')}/rustfs{_range(0, drives - 1)}"
        if not has_ellipses(arg):
            raise LayoutError(f"pool {pool_index} is a single drive on a single node; RustFS needs >= 2")
        args.append(arg)
        index = last + 1
    return " ".join(args)


def place_nodes(count: int, azs: list[str]) -> list[str]:
    """AZ of each node index: round-robin over ``azs`` in the given order.

    Optimal for RustFS sets (rule 3 in the module docstring): a set either takes the same number of drives
    from every node of a pool - then the loss is proportional to the AZ's node count, which round-robin
    balances - or one drive from each of S consecutive nodes, which round-robin spreads over AZs as evenly
    as possible. Node indices run across pools, and any run of consecutive indices is balanced too.
    """
    if count < 0:
        raise LayoutError(f"node count must be >= 0, got {count}")
    if not azs:
        raise LayoutError("at least one availability zone is required")
    return [azs[i % len(azs)] for i in range(count)]


def _as_pools(pools) -> tuple[Pool, ...]:
    if isinstance(pools, Pool):
        pools = (pools,)
    pools = tuple(pools)
    if not pools:
        raise LayoutError("at least one pool is required")
    return pools


def _check_pool(pool_index: int, pool: Pool) -> None:
    if not pool.nodes:
        raise LayoutError(f"pool {pool_index} has no nodes")
    counts = sorted({n.drives for n in pool.nodes})
    if len(counts) > 1:
        detail = ", ".join(f"{n.name}: {n.drives}" for n in pool.nodes)
        raise LayoutError(f"pool {pool_index} has non-uniform drives per node ({detail}); RustFS needs equal")
    if counts[0] < 1:
        raise LayoutError(f"pool {pool_index} nodes have no drives")
    bad = [n.name for n in pool.nodes if n.drive_size_gib < 1]
    if bad:
        raise LayoutError(f"drive size must be >= 1 GiB (nodes {bad})")


def _pool_sets(pool_index: int, pool: Pool, override: int | None, parity: int | None):
    nodes = pool.nodes
    drives = nodes[0].drives
    # The host range is the leftmost range unless the pool has a single node (then the drive range is).
    leftmost = len(nodes) if len(nodes) > 1 else drives
    try:
        size = choose_set_size(len(nodes) * drives, leftmost, override)
    except LayoutError as err:
        raise LayoutError(f"pool {pool_index}: {err}") from err
    pool_parity = default_parity(size) if parity is None else parity
    if pool_parity > size // 2:
        raise LayoutError(f"pool {pool_index}: parity {pool_parity} exceeds {size // 2} (half of set {size})")
    order = [(node.name, d) for d in range(drives) for node in nodes]  # leftmost (host) range fastest
    sets = tuple(
        ErasureSet(index=i, drives=tuple(order[i * size : (i + 1) * size]), pool=pool_index)
        for i in range(len(order) // size)
    )
    data, read_q, write_q = quorums(size, pool_parity)
    info = PoolLayout(pool_index, size, len(sets), pool_parity, data, read_q, write_q)
    return info, sets


def _failing_loss(sets, infos, lost_nodes: set[str]) -> int:
    """Largest shortfall (drives below quorum) of any set when ``lost_nodes`` are gone; <= 0 means fine."""
    worst = -10**9
    for s in sets:
        info = infos[s.pool]
        lost = sum(1 for name, _ in s.drives if name in lost_nodes)
        worst = max(worst, lost - (info.set_size - max(info.read_quorum, info.write_quorum)))
    return worst


def compute_layout(pools, set_drive_count: int | None = None, *, parity: int | None = None) -> Layout:
    """Layout RustFS builds for ``pools`` (optionally with RUSTFS_ERASURE_SET_DRIVE_COUNT / EC:parity)."""
    pools = _as_pools(pools)
    names = [n.name for p in pools for n in p.nodes]
    if len(names) != len(set(names)):
        raise LayoutError("node names must be unique across pools")
    infos, sets = [], []
    for i, pool in enumerate(pools):
        _check_pool(i, pool)
        info, pool_sets = _pool_sets(i, pool, set_drive_count, parity)
        infos.append(info)
        sets.extend(pool_sets)
    total = sum(n.drives for p in pools for n in p.nodes)
    if total < MIN_TOTAL_DRIVES:
        raise LayoutError(f"at least {MIN_TOTAL_DRIVES} drives in total are required, got {total}")

    size_of = {n.name: n.drive_size_gib for p in pools for n in p.nodes}
    raw = sum(n.drives * n.drive_size_gib for p in pools for n in p.nodes)
    usable = sum(infos[s.pool].data_shards * min(size_of[name] for name, _ in s.drives) for s in sets)

    node_short = {name: _failing_loss(sets, infos, {name}) for name in names}
    az_nodes: dict[str, set[str]] = {}
    for p in pools:
        for n in p.nodes:
            az_nodes.setdefault(n.az, set()).add(n.name)
    az_short = {az: _failing_loss(sets, infos, members) for az, members in sorted(az_nodes.items())}
    az_losses = {
        az: max(sum(1 for name, _ in s.drives if name in members) for s in sets)
        for az, members in sorted(az_nodes.items())
    }

    def worst(shortfalls: dict[str, int]) -> str | None:
        failing = [(-v, k) for k, v in shortfalls.items() if v > 0]
        return min(failing)[1] if failing else None

    first = infos[0]
    return Layout(
        pools=pools,
        set_size=first.set_size,
        sets=tuple(sets),
        parity=first.parity,
        data_shards=first.data_shards,
        read_quorum=first.read_quorum,
        write_quorum=first.write_quorum,
        raw_gib=raw,
        usable_gib=usable,
        tolerates_drives_per_set=min(i.set_size - max(i.read_quorum, i.write_quorum) for i in infos),
        survives_node_loss=worst(node_short) is None,
        survives_az_loss=worst(az_short) is None,
        worst_az=worst(az_short),
        pool_layouts=tuple(infos),
        worst_node=worst(node_short),
        az_set_losses=az_losses,
    )


def _natural_key(name: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def from_resources(nodes: list[Node], pool_sizes: list[int] | None = None, **kwargs) -> Layout:
    """Layout of nodes found in a stack. Nodes are ordered by natural name order (rustfs-2 before rustfs-10),
    the order our host ranges expand in; ``pool_sizes`` splits them into pools (default: one pool)."""
    ordered = sorted(nodes, key=lambda n: _natural_key(n.name))
    sizes = pool_sizes or [len(ordered)]
    if sum(sizes) != len(ordered):
        raise LayoutError(f"pool sizes {sizes} do not add up to {len(ordered)} nodes")
    pools, start = [], 0
    for size in sizes:
        pools.append(Pool(nodes=tuple(ordered[start : start + size])))
        start += size
    return compute_layout(pools, **kwargs)


@dataclass(frozen=True)
class Suggestion:
    """A topology (nodes x drives over az_count AZs, round-robin placement) that survives an AZ loss."""

    nodes: int
    drives_per_node: int
    az_count: int
    set_drive_count: int | None  # RUSTFS_ERASURE_SET_DRIVE_COUNT to pin, None = RustFS's automatic choice
    set_size: int
    parity: int
    data_shards: int

    @property
    def usable_fraction(self) -> float:
        return self.data_shards / self.set_size

    def describe(self) -> str:
        pin = f" with RUSTFS_ERASURE_SET_DRIVE_COUNT={self.set_drive_count}" if self.set_drive_count else ""
        return (
            f"{self.nodes} nodes x {self.drives_per_node} drives over {self.az_count} AZs{pin} "
            f"(sets of {self.set_size}, EC {self.data_shards}+{self.parity}, "
            f"{self.usable_fraction:.0%} usable)"
        )


def _synthetic_layout(nodes: int, drives: int, azs: list[str], override: int | None) -> Layout:
    placed = place_nodes(nodes, azs)
    pool = Pool(nodes=tuple(Node(f"rustfs-{i + 1}", placed[i], drives, 1) for i in range(nodes)))
    return compute_layout([pool], override)


def _suggestion(nodes: int, drives: int, az_count: int, override: int | None) -> Suggestion | None:
    try:
        layout = _synthetic_layout(nodes, drives, [f"az{i}" for i in range(az_count)], override)
    except LayoutError:
        return None
    if not layout.survives_az_loss:
        return None
    return Suggestion(nodes, drives, az_count, override, layout.set_size, layout.parity, layout.data_shards)


def _survivor(nodes: int, drives: int, az_count: int) -> Suggestion | None:
    """Automatic set size if it survives, else the pinned set size with the best usable fraction."""
    auto = _suggestion(nodes, drives, az_count, None)
    if auto:
        return auto
    pinned = [s for s in (_suggestion(nodes, drives, az_count, size) for size in SET_SIZES) if s]
    return max(pinned, key=lambda s: (s.usable_fraction, s.set_size), default=None)


def suggest_survivable(nodes: int, drives: int, azs: list[str], max_azs: int = 6) -> list[Suggestion]:
    """Nearest single-pool topologies that survive losing any one AZ (round-robin placement over ``azs``).

    In order: the same nodes and drives with a pinned set size; the fewest extra nodes (same drives, same
    AZs); the same nodes and drives over more AZs (up to ``max_azs``). Empty when nothing in range works.
    """
    if nodes < 1 or drives < 1:
        raise LayoutError("nodes and drives must be >= 1")
    az_count = len(set(azs))
    found: list[Suggestion] = []
    same = _survivor(nodes, drives, az_count)
    if same:
        found.append(same)
    for more in range(nodes + 1, max(2 * nodes, nodes + 3 * az_count) + 1):
        bigger = _survivor(more, drives, az_count)
        if bigger:
            found.append(bigger)
            break
    for wider in range(az_count + 1, min(max_azs, nodes) + 1):
        spread = _survivor(nodes, drives, wider)
        if spread:
            found.append(spread)
            break
    return found


def az_loss_advice(nodes: int, drives: int, azs: list[str], set_drive_count: int | None = None) -> str | None:
    """None when ``nodes`` x ``drives`` placed round-robin over ``azs`` survives any AZ loss, else why not
    and what would (for config validation messages)."""
    layout = _synthetic_layout(nodes, drives, azs, set_drive_count)  # LayoutError if RustFS would refuse it
    if layout.survives_az_loss:
        return None
    az = layout.worst_az
    message = (
        f"{nodes} nodes x {drives} drives over {len(set(azs))} AZ(s) cannot survive an AZ loss: RustFS makes "
        f"erasure sets of {layout.set_size} drives (EC {layout.data_shards}+{layout.parity}, write quorum "
        f"{layout.write_quorum}); AZ {az} holds {layout.az_set_losses[az]} drives of one set, at most "
        f"{layout.tolerates_drives_per_set} may be lost"
    )
    options = suggest_survivable(nodes, drives, azs)
    if options:
        return message + ". Would survive: " + "; or ".join(o.describe() for o in options)
    return message + ". No nearby topology survives; add nodes and AZs"
