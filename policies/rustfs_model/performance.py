"""Throughput bounds of a RustFS cluster on EC2: per node, per cluster, the bottleneck and wasted capacity.

Per node the sustained bound is the least of
  * the instance's baseline network bandwidth (the "up to" burst figure lasts minutes only),
  * the instance's baseline EBS bandwidth (for EBS drives; EBS-optimized bandwidth is dedicated, so it does
    not share the network figure),
  * the sum of its drives' throughput (EBS volumes), or local NVMe (no throughput figure is catalogued, so
    NVMe is never named the bottleneck).

Cluster (n nodes spread evenly by the load balancer, EC k+m, e = (k+m)/k, a share 1/n of every object's
shards lands on the receiving node's own drives):
  * write: a node receives W/n from clients and ships e*W/n*(n-1)/n of shards to peers; by symmetry it
    also receives that much, so its inbound NIC carries W/n*(1 + e*(n-1)/n) and its drives write e*W/n.
  * read: a node serving R/n gathers k data shards, (n-1)/n of them from peers, so its outbound NIC carries
    R/n*(1 + (n-1)/n) and its drives read R/n.
  * the NLB has no published bandwidth ceiling (it starts at about 3 Gbps and scales by about 3 Gbps a
    minute, AWS re:Post "NLB reservation" answer), so it bounds bursts, not the sustained rate; it is
    priced per NLCU instead (see cost.py).

Volume throughput (AWS EC2 user guide 2023-06, general-purpose.md / provisioned-iops.md):
gp3 delivers its provisioned MiB/s (125 included); io1/io2 up to 32,000 IOPS give 256 KiB per IOPS up to
500 MiB/s, above that 16 KiB per IOPS up to 1,000 MiB/s; io2 Block Express (> 16 TiB or > 64,000 IOPS) gives
0.256 MiB/s per IOPS up to 4,000 MiB/s; gp2 128 MiB/s up to 170 GiB, else 250 MiB/s.
Units: network Gbps are decimal (1 Gbps = 125 MB/s); EBS figures are MB/s; volume MiB/s * 1.048576 = MB/s.
Stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rustfs_model.catalogue import InstanceType, instance_type

MB_PER_MIB = 1.048576
MBPS_PER_GBPS = 125.0


@dataclass(frozen=True)
class Volume:
    type: str  # gp3 | io2 | io1 | gp2
    size_gib: int
    iops: int | None = None
    throughput_mibps: int | None = None  # gp3 only


@dataclass(frozen=True)
class NodeSpec:
    instance_type: str
    volumes: tuple[Volume, ...] = ()
    nvme: bool = False  # drives are the instance's local NVMe disks
    name: str = ""


@dataclass(frozen=True)
class NodeBound:
    name: str
    network_mbps: float
    ebs_mbps: float | None
    drives_mbps: float | None  # None: NVMe, not catalogued
    limits: dict = field(default_factory=dict)  # resource -> MB/s


def volume_throughput_mibps(v: Volume) -> float:
    kind = v.type.lower()
    if kind == "gp3":
        return float(v.throughput_mibps or 125)
    if kind == "gp2":
        return 128.0 if v.size_gib <= 170 else 250.0
    if kind in ("io1", "io2"):
        iops = v.iops or 0
        if kind == "io2" and (v.size_gib > 16 * 1024 or iops > 64000):  # Block Express
            return min(4000.0, 0.256 * iops)
        if iops <= 32000:
            return min(500.0, iops * 256 / 1024)
        return min(1000.0, iops * 16 / 1024)
    raise ValueError(f"unknown EBS volume type {v.type!r} (expected gp3, gp2, io1 or io2)")


def _type(name: str) -> InstanceType:
    t = instance_type(name)
    if t is None:
        raise ValueError(f"instance type {name!r} is not in the catalogue (rustfs_model.catalogue)")
    return t


def node_bound(node: NodeSpec) -> NodeBound:
    t = _type(node.instance_type)
    network = t.network_baseline_gbps * MBPS_PER_GBPS
    limits = {"network": network}
    ebs = drives = None
    if node.volumes:
        ebs = t.ebs_baseline_mbps
        drives = sum(volume_throughput_mibps(v) for v in node.volumes) * MB_PER_MIB
        limits["ebs"] = ebs
        limits["volumes"] = drives
    elif not node.nvme:
        raise ValueError(f"node {node.name or node.instance_type} has no drives (no volumes and nvme=False)")
    return NodeBound(node.name or node.instance_type, network, ebs, drives, limits)


_LABEL = {
    "network": "instance baseline network bandwidth",
    "ebs": "instance baseline EBS bandwidth",
    "volumes": "provisioned volume throughput",
}


def _cluster(nodes: list[NodeSpec], data_shards: int, parity: int) -> dict:
    if not nodes:
        raise ValueError("no nodes")
    if data_shards < 1 or parity < 0:
        raise ValueError(f"invalid erasure coding EC {data_shards}+{parity}")
    n = len(nodes)
    e = (data_shards + parity) / data_shards
    remote = (n - 1) / n
    bounds = [node_bound(node) for node in nodes]
    # Cluster bound per resource = n * (slowest node's limit / per-unit-of-client-traffic load on it).
    write_load = {"network": 1 + e * remote, "ebs": e, "volumes": e}
    read_load = {"network": 1 + remote, "ebs": 1.0, "volumes": 1.0}

    def bound(load: dict) -> tuple[float, str, str]:
        best = None
        for b in bounds:
            for resource, mbps in b.limits.items():
                cluster_mbps = n * mbps / load[resource]
                if best is None or cluster_mbps < best[0]:
                    best = (cluster_mbps, resource, b.name)
        return best

    w, w_res, w_node = bound(write_load)
    r, r_res, r_node = bound(read_load)
    return {"bounds": bounds, "e": e, "n": n, "write": (w, w_res, w_node), "read": (r, r_res, r_node),
            "write_load": write_load}


def _waste(bounds: list[NodeBound], nodes: list[NodeSpec], write: tuple, e: float, n: int) -> list[str]:
    write_mbps, write_resource = write[0], write[1]
    flags = []
    for b, node in zip(bounds, nodes, strict=True):
        t = _type(node.instance_type)
        if b.drives_mbps is not None and b.ebs_mbps is not None and b.drives_mbps > b.ebs_mbps * 1.001:
            flags.append(
                f"{b.name}: volumes provide {b.drives_mbps:.0f} MB/s but {t.name} carries only "
                f"{b.ebs_mbps:.0f} MB/s of EBS at baseline: {b.drives_mbps - b.ebs_mbps:.0f} MB/s of "
                "provisioned throughput is unusable"
            )
        if node.volumes:
            iops = sum(v.iops or (3000 if v.type == "gp3" else 0) for v in node.volumes)
            if iops > t.ebs_baseline_iops:
                flags.append(
                    f"{b.name}: volumes provide {iops} IOPS but {t.name} sustains {t.ebs_baseline_iops} "
                    f"EBS IOPS at baseline: {iops - t.ebs_baseline_iops} IOPS unusable"
                )
            usable_disk = min(b.drives_mbps, b.ebs_mbps)
            needed = e * write_mbps / n
            if write_resource == "network" and usable_disk > 1.5 * needed:
                flags.append(
                    f"{b.name}: drives can write {usable_disk:.0f} MB/s but the network feeds them at most "
                    f"{needed:.0f} MB/s at the cluster's write bound"
                )
        if t.network_bursts:
            flags.append(
                f"{b.name}: {t.name} network is sized on its {t.network_baseline_gbps} Gbps baseline; "
                f"its 'up to {t.network_burst_gbps} Gbps' lasts only while credits remain"
            )
    return flags


def performance(nodes: list[NodeSpec], data_shards: int, parity: int) -> dict:
    """The ``"performance"`` section: ``readGBps``, ``writeGBps``, ``bottleneck`` and details."""
    c = _cluster(nodes, data_shards, parity)
    w, w_res, w_node = c["write"]
    r, r_res, r_node = c["read"]
    e, n = c["e"], c["n"]
    write_detail = f"writes: {_LABEL[w_res]} of {w_node} (EC {data_shards}+{parity}, x{e:.3g} shards)"
    read_detail = f"reads: {_LABEL[r_res]} of {r_node}"
    return {
        "readGBps": round(r / 1000, 3),
        "writeGBps": round(w / 1000, 3),
        "bottleneck": write_detail if w <= r else read_detail,
        "writeBottleneck": w_res,
        "readBottleneck": r_res,
        "details": [write_detail, read_detail],
        "perNode": [
            {"node": b.name, "networkMBps": round(b.network_mbps, 1),
             "ebsMBps": None if b.ebs_mbps is None else round(b.ebs_mbps, 1),
             "volumesMBps": None if b.drives_mbps is None else round(b.drives_mbps, 1)}
            for b in c["bounds"][:64]
        ],
        "wasted": _grouped(_waste(c["bounds"], nodes, c["write"], e, n)),
        "basis": "sustained baseline figures; the NLB has no published ceiling (bursts ramp ~3 Gbps/min)",
    }


def _grouped(lines: list[str]) -> list[str]:
    """Collapse the same finding on several nodes into one line naming the first and the count."""
    groups: dict[str, list[str]] = {}
    for line in lines:
        name, finding = line.split(": ", 1)
        groups.setdefault(finding, []).append(name)
    return [
        f"{names[0]}{f' and {len(names) - 1} other node(s)' if len(names) > 1 else ''}: {finding}"
        for finding, names in groups.items()
    ]
