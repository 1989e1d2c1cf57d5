"""AZ-loss tolerance when the scheduler, not the program, places nodes in zones (EKS mode).

In EC2 mode node i sits in AZ ``i mod Z`` (``layout.place_nodes``), so the layout knows which nodes an AZ
holds. On EKS a StatefulSet's pods are placed by the scheduler under a topology spread constraint over
``topology.kubernetes.io/zone`` (maxSkew 1, whenUnsatisfiable DoNotSchedule, minDomains = Z): every zone
then holds floor(N/Z) or ceil(N/Z) of the N pods, but *which* pods is not fixed - the scheduler places the
pods of a Parallel StatefulSet in whatever order they arrive, and once their WaitForFirstConsumer volumes
are bound each pod stays in its first zone for life (EBS volumes are zonal).

So the only honest claim is one that holds for every assignment with those counts. Any ceil(N/Z) pods can
share a zone (put them in one zone and deal the rest out evenly), so an AZ loss is survivable for every
placement iff, for every erasure set, the ceil(N/Z) nodes that hold the most drives of that set together
hold no more than the set can lose (set size - max(read quorum, write quorum), ``layout.py``). The sets
themselves are RustFS's, computed by ``layout.compute_layout`` from the same node names and volumes as EC2
mode. A node loss is one pod (required pod anti-affinity on the hostname), exactly as in EC2 mode.

Rejected: claiming the round-robin result of EC2 mode. Whenever an erasure set spans fewer than all nodes
(N a multiple of the set size) the scheduler may put more of one set's nodes into one zone than round-robin
would, e.g. 20 nodes x 1 drive over 4 zones: sets of 10 consecutive nodes survive round-robin (3 per zone)
but not five of them in one zone.
"""

from __future__ import annotations

from dataclasses import dataclass

from rustfs_model.layout import SET_SIZES, Layout, LayoutError, Node, Pool, compute_layout


@dataclass(frozen=True)
class SpreadAnalysis:
    layout: Layout
    zones: int
    pods_per_zone_max: int  # ceil(N / Z)
    worst_zone_set_loss: int  # most drives of one set that one zone can hold, over every balanced placement
    tolerates_drives_per_set: int

    @property
    def survives_az_loss(self) -> bool:
        return self.worst_zone_set_loss <= self.tolerates_drives_per_set

    @property
    def survives_node_loss(self) -> bool:
        return self.layout.survives_node_loss


def _pool(nodes: int, drives: int, drive_size_gib: int = 1) -> Pool:
    # Zone unknown: the layout's own AZ figures are meaningless here, only its sets are used.
    return Pool(nodes=tuple(Node(f"rustfs-{i + 1}", "unplaced", drives, drive_size_gib) for i in range(nodes)))


def analyse(nodes: int, drives: int, zones: int, set_drive_count: int | None = None,
            drive_size_gib: int = 1) -> SpreadAnalysis:
    """The erasure layout of ``nodes`` x ``drives`` and its AZ-loss tolerance under any balanced placement."""
    if zones < 1:
        raise LayoutError("at least one zone is required")
    layout = compute_layout([_pool(nodes, drives, drive_size_gib)], set_drive_count)
    per_zone = -(-nodes // zones)
    worst = 0
    for s in layout.sets:
        held: dict[str, int] = {}
        for name, _ in s.drives:
            held[name] = held.get(name, 0) + 1
        worst = max(worst, sum(sorted(held.values(), reverse=True)[:per_zone]))
    return SpreadAnalysis(layout, zones, per_zone, worst, layout.tolerates_drives_per_set)


@dataclass(frozen=True)
class SpreadSuggestion:
    nodes: int
    drives_per_node: int
    zones: int
    set_drive_count: int | None
    analysis: SpreadAnalysis

    def describe(self) -> str:
        a = self.analysis.layout
        pin = f" with RUSTFS_ERASURE_SET_DRIVE_COUNT={self.set_drive_count}" if self.set_drive_count else ""
        return (f"{self.nodes} nodes x {self.drives_per_node} drives over {self.zones} AZs{pin} (sets of "
                f"{a.set_size}, EC {a.data_shards}+{a.parity}, {a.data_shards / a.set_size:.0%} usable)")


def _survivor(nodes: int, drives: int, zones: int) -> SpreadSuggestion | None:
    options = []
    for pin in (None, *SET_SIZES):
        try:
            a = analyse(nodes, drives, zones, pin)
        except LayoutError:
            continue
        if a.survives_az_loss:
            if pin is None:
                return SpreadSuggestion(nodes, drives, zones, None, a)
            options.append(SpreadSuggestion(nodes, drives, zones, pin, a))
    return max(options, key=lambda o: (o.analysis.layout.data_shards / o.analysis.layout.set_size,
                                       o.analysis.layout.set_size), default=None)


def suggest(nodes: int, drives: int, zones: int, max_zones: int = 6) -> list[SpreadSuggestion]:
    """Nearest topologies that survive an AZ loss under any balanced placement: the same shape with a pinned
    set size, the fewest extra nodes, the same nodes over more AZs (up to ``max_zones``)."""
    found = []
    same = _survivor(nodes, drives, zones)
    if same:
        found.append(same)
    for more in range(nodes + 1, max(2 * nodes, nodes + 3 * zones) + 1):
        bigger = _survivor(more, drives, zones)
        if bigger:
            found.append(bigger)
            break
    for wider in range(zones + 1, min(max_zones, nodes) + 1):
        spread = _survivor(nodes, drives, wider)
        if spread:
            found.append(spread)
            break
    return found


def az_loss_advice(nodes: int, drives: int, zones: int) -> str | None:
    """None when every balanced placement of ``nodes`` x ``drives`` over ``zones`` survives an AZ loss, else
    why not and what would (for config validation messages). LayoutError if RustFS would refuse the layout."""
    a = analyse(nodes, drives, zones)
    if a.survives_az_loss:
        return None
    lay = a.layout
    message = (
        f"{nodes} pods x {drives} drives over {zones} AZ(s) cannot survive an AZ loss: the scheduler may put any "
        f"{a.pods_per_zone_max} pods in one AZ, which can hold {a.worst_zone_set_loss} drives of one erasure set "
        f"of {lay.set_size} (EC {lay.data_shards}+{lay.parity}, write quorum {lay.write_quorum}); at most "
        f"{a.tolerates_drives_per_set} may be lost")
    options = suggest(nodes, drives, zones)
    if options:
        return message + ". Would survive: " + "; or ".join(o.describe() for o in options)
    return message + ". No nearby topology survives; add nodes and AZs"
