"""The ``capacity`` and ``performance`` report sections, from the recorded nodes and their data volumes.

The layout comes from the same recorded volumes as the ``topology`` section (``topology.recorded_layout``);
the throughput bound adds each node's instance type (its launch template) and its volumes' type, IOPS and
throughput. The models are ``rustfs_model.capacity`` and ``rustfs_model.performance``.
"""

from __future__ import annotations

from rustfs_model.capacity import capacity
from rustfs_model.performance import performance

from . import eks_topology
from .cluster_nodes import node_specs, recorded_nodes
from .runner import Recording
from .sections import SECTIONS, Section
from .topology import recorded_layout, yes_no


def compute_capacity(recording: Recording) -> dict | None:
    layout = recorded_layout(recording)
    if layout is not None:
        return capacity(layout)
    found = eks_topology.analysis(recording)  # EKS: the AZ-loss answer holds for every balanced placement
    return None if found is None else {**capacity(found[1].layout), "survivesAzLoss": found[1].survives_az_loss}


def compute_performance(recording: Recording) -> dict | None:
    layout = recorded_layout(recording)
    specs = node_specs(recorded_nodes(recording)) if layout is not None else None
    if layout is None:  # EKS mode: the StatefulSet's pods on the node groups' instance type
        layout, specs = eks_topology.layout(recording), eks_topology.node_specs(recording)
    if layout is None or not specs:
        return None
    return performance(specs, layout.data_shards, layout.parity)


def capacity_human(value: dict) -> list[str]:
    pools = "; ".join(f"pool {p['pool']}: {p['nodes']} nodes x {p['drivesPerNode']} x {p['driveSizeGiB']} GiB, "
                      f"{p['sets']} sets of {p['setSize']} ({p['erasure']})" for p in value["pools"])
    return [f"Capacity: raw {value['rawTiB']} TiB, usable {value['usableTiB']} TiB "
            f"({value['efficiency']:.0%} after erasure coding); {pools}",
            f"  survives a node loss: {yes_no(value['survivesNodeLoss'])}, "
            f"an AZ loss: {yes_no(value['survivesAzLoss'])}"]


def performance_human(value: dict) -> list[str]:
    lines = [f"Throughput (sustained bound): read {value['readGBps']} GB/s, write {value['writeGBps']} GB/s; "
             f"bottleneck: {value['bottleneck']}"]
    lines += [f"  wasted: {w}" for w in value["wasted"]]
    return lines


def capacity_markdown(value: dict) -> list[str]:
    out = ["### Capacity and throughput", "",
           "| pool | nodes | drives per node | drive | sets x size | erasure | raw | usable |",
           "|---:|---:|---:|---:|---|---|---:|---:|"]
    out += [f"| {p['pool']} | {p['nodes']} | {p['drivesPerNode']} | {p['driveSizeGiB']} GiB | {p['sets']} x "
            f"{p['setSize']} | {p['erasure']} | {p['rawTiB']} TiB | {p['usableTiB']} TiB |" for p in value["pools"]]
    out += [f"| **total** | | | | | | **{value['rawTiB']} TiB** | **{value['usableTiB']} TiB** "
            f"({value['efficiency']:.0%}) |", ""]
    return out


def performance_markdown(value: dict) -> list[str]:
    out = [f"**Throughput** (sustained, from baseline figures): read **{value['readGBps']} GB/s**, write "
           f"**{value['writeGBps']} GB/s**.", "", f"Bottleneck: {value['bottleneck']}.", ""]
    out += [f"- {d}" for d in value["details"]]
    if value["wasted"]:
        out += ["", "Provisioned but unusable:"] + [f"- ⚠️ {w}" for w in value["wasted"]]
    out.append("")
    return out


CAPACITY = Section(key="capacity", compute=compute_capacity, human=capacity_human, markdown=capacity_markdown)
PERFORMANCE = Section(key="performance", compute=compute_performance, human=performance_human,
                      markdown=performance_markdown)
SECTIONS.extend([CAPACITY, PERFORMANCE])
