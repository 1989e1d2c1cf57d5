"""Sizing planner: the cheapest configurations that meet a usable-capacity and throughput target and
survive the loss of one AZ.

Candidates: every catalogued instance type priced in the region, 4..32 nodes placed round-robin over
``azs`` AZs, and either gp3 data volumes (1..16 per node, size and throughput just large enough) or the
type's local NVMe disks. RustFS's erasure layout decides set size and parity (``layout.compute_layout``);
a candidate is kept when it survives any AZ loss, its usable capacity reaches the target, and both its
sustained read and write bounds (``performance``) reach ``throughput_gbps``. Ranked by the monthly cost of
instances and data volumes (``cost.monthly_cost``). Traffic-driven costs (NLB, NAT, cross-AZ) are left out:
they follow the traffic, not the candidate, except cross-AZ traffic, which grows with the erasure overhead
(shown per candidate as ``erasure``). Root volumes are left out too (the same few GiB per node).
Stdlib only.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache

from rustfs_model.catalogue import INSTANCE_TYPES, InstanceType, has_price
from rustfs_model.cost import monthly_cost
from rustfs_model.layout import LayoutError, Node, Pool, compute_layout, place_nodes
from rustfs_model.performance import MB_PER_MIB, NodeSpec, Volume, performance

NODE_COUNTS = tuple(range(4, 33))
EBS_DRIVES_PER_NODE = (1, 2, 3, 4, 6, 8, 12, 16)
GP3_MAX_GIB = 16 * 1024  # long-standing gp3 limit (larger sizes are not yet allowed by config validation)
GP3_MAX_MIBPS = 1000
GP3_MIBPS_PER_IOPS = 0.25
GIB_PER_TIB = 1024
BYTES_PER_GB = 10**9
ZERO_TRAFFIC = {"writeMBps": 0.0, "readMBps": 0.0, "natGBPerMonth": 0.0}


@dataclass(frozen=True)
class Candidate:
    instance_type: str
    nodes: int
    drives_per_node: int
    volume_type: str  # "gp3" or "nvme"
    volume_size_gib: int
    volume_throughput_mibps: int | None
    volume_iops: int | None
    erasure: str
    set_size: int
    usable_tib: float
    read_gbps: float
    write_gbps: float
    bottleneck: str
    monthly_usd: float

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        if self.volume_type == "nvme":
            drives = f"{self.drives_per_node} x {self.volume_size_gib} GiB local NVMe"
        else:
            drives = (f"{self.drives_per_node} x gp3 {self.volume_size_gib} GiB "
                      f"{self.volume_throughput_mibps} MiB/s {self.volume_iops} IOPS")
        return f"{self.nodes} x {self.instance_type}, {drives}, {self.erasure} (sets of {self.set_size})"


@lru_cache(maxsize=4096)
def _layout(nodes: int, drives: int, azs: int):
    """(set_size, data_shards, parity, total data shards) for a survivable layout, else None."""
    zones = place_nodes(nodes, [f"az{i}" for i in range(azs)])
    pool = Pool(tuple(Node(f"rustfs-{i + 1}", zones[i], drives, 1) for i in range(nodes)))
    try:
        layout = compute_layout([pool])
    except LayoutError:
        return None
    if not layout.survives_az_loss:
        return None
    return layout.set_size, layout.data_shards, layout.parity, layout.usable_gib  # usable with 1 GiB drives


def _cost(region: str, itype: str, nodes: int, volume: dict | None = None, drives: int = 0) -> float:
    """Instances and data volumes, priced by ``cost.monthly_cost`` like a recorded stack."""
    template = {"instanceType": itype}
    if volume:
        template["blockDeviceMappings"] = [{"ebs": volume}] * drives
    resources = [
        {"type": "aws:ec2/launchTemplate:LaunchTemplate", "id": "lt", "inputs": template},
        {"type": "aws:autoscaling/group:Group", "inputs": {"desiredCapacity": nodes, "launchTemplate": {"id": "lt"}}},
    ]
    return monthly_cost(resources, region, ZERO_TRAFFIC)["monthlyUSD"]


def _gp3(t: InstanceType, nodes: int, drives: int, lay, usable_gib: float, target_mbps: float, region: str):
    set_size, data, parity, data_shard_slots = lay
    size = max(1, math.ceil(usable_gib / data_shard_slots))
    if size > GP3_MAX_GIB:
        return None
    e = set_size / data
    per_node_disk = e * target_mbps / nodes  # MB/s each node's drives must write at the target
    mibps = max(125, math.ceil(per_node_disk / drives / MB_PER_MIB))
    if mibps > GP3_MAX_MIBPS:
        return None
    iops = max(3000, math.ceil(mibps / GP3_MIBPS_PER_IOPS))
    vol = Volume("gp3", size, iops, mibps)
    perf = performance([NodeSpec(t.name, (vol,) * drives, name=f"rustfs-{i + 1}") for i in range(nodes)],
                       data, parity)
    if min(perf["readGBps"], perf["writeGBps"]) * 1000 < target_mbps:
        return None
    volume = {"volumeSize": size, "volumeType": "gp3", "iops": iops, "throughput": mibps}
    cost = _cost(region, t.name, nodes, volume, drives)
    return Candidate(t.name, nodes, drives, "gp3", size, mibps, iops, f"EC {data}+{parity}", set_size,
                     round(size * data_shard_slots / GIB_PER_TIB, 2), perf["readGBps"], perf["writeGBps"],
                     perf["bottleneck"], round(cost, 2))


def _nvme(t: InstanceType, nodes: int, lay, usable_gib: float, target_mbps: float, region: str):
    set_size, data, parity, data_shard_slots = lay
    size = min(t.nvme_gb) * BYTES_PER_GB // 2**30
    if size * data_shard_slots < usable_gib:
        return None
    perf = performance([NodeSpec(t.name, nvme=True, name=f"rustfs-{i + 1}") for i in range(nodes)], data, parity)
    if min(perf["readGBps"], perf["writeGBps"]) * 1000 < target_mbps:
        return None
    return Candidate(t.name, nodes, len(t.nvme_gb), "nvme", size, None, None, f"EC {data}+{parity}", set_size,
                     round(size * data_shard_slots / GIB_PER_TIB, 2), perf["readGBps"], perf["writeGBps"],
                     perf["bottleneck"], _cost(region, t.name, nodes))


def rank_key(c: Candidate) -> tuple:
    """Cheapest first; at equal cost the faster (sustained min of read/write), then fewer nodes and drives."""
    return (c.monthly_usd, -min(c.read_gbps, c.write_gbps), c.nodes, c.drives_per_node, c.instance_type)


def plan(usable_tib: float, throughput_gbps: float, region: str = "us-east-1", azs: int = 3,
         limit: int | None = None, distinct: bool = True) -> list[Candidate]:
    """Configurations meeting ``usable_tib`` and ``throughput_gbps`` (sustained, both read and write, GB/s)
    that survive an AZ loss over ``azs`` AZs, in ``rank_key`` order. With ``distinct`` only the best drive
    layout of each (instance type, node count) is kept."""
    if usable_tib <= 0 or throughput_gbps <= 0:
        raise ValueError("usable_tib and throughput_gbps must be > 0")
    if azs < 2:
        raise ValueError("surviving an AZ loss needs at least 2 AZs")
    types = [t for t in INSTANCE_TYPES.values() if has_price(region, "ec2", t.name)]
    if not types:
        raise ValueError(f"no instance prices are sourced for region {region}; cannot rank by cost")
    usable_gib = usable_tib * GIB_PER_TIB
    target_mbps = throughput_gbps * 1000
    found: list[Candidate] = []
    for t in types:
        for nodes in NODE_COUNTS:
            if t.network_baseline_gbps * 125 * nodes < target_mbps:  # cannot even take in the client bytes
                continue
            if t.nvme_gb:
                lay = _layout(nodes, len(t.nvme_gb), azs)
                c = lay and _nvme(t, nodes, lay, usable_gib, target_mbps, region)
                if c:
                    found.append(c)
            for drives in EBS_DRIVES_PER_NODE:
                lay = _layout(nodes, drives, azs)
                c = lay and _gp3(t, nodes, drives, lay, usable_gib, target_mbps, region)
                if c:
                    found.append(c)
    found.sort(key=rank_key)
    if distinct:
        best: dict[tuple[str, int], Candidate] = {}
        for c in found:
            best.setdefault((c.instance_type, c.nodes), c)
        found = list(best.values())  # dicts keep insertion order, so still ranked
    return found[:limit] if limit else found
