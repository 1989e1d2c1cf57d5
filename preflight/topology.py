"""The ``topology`` report section: the erasure layout of the cluster as the program declared it.

Computed from the recorded data volumes (``aws:ebs/volume:Volume`` tagged ``rustfs:node``/``rustfs:drive``,
their ``availabilityZone`` and ``size``), not from the stack config, through the same model the program and
the policy pack use (``rustfs_model.layout.from_resources``): what preflight shows is what would be built.
"""

from __future__ import annotations

from collections import defaultdict

from rustfs_model.layout import Layout, LayoutError, Node, from_resources

from .runner import Recording

VOLUME = "aws:ebs/volume:Volume"
GIB_PER_TIB = 1024


def _tags(inputs: dict) -> dict:
    tags = inputs.get("tags")
    return tags if isinstance(tags, dict) else {}


def nodes_from_volumes(recording: Recording) -> list[Node]:
    """One ``Node`` per ``rustfs:node-name``: its AZ, drive count and smallest drive size."""
    drives: dict[str, dict[int, tuple[str, int]]] = defaultdict(dict)
    for volume in recording.of_type(VOLUME):
        tags = _tags(volume.inputs)
        if "rustfs:node" not in tags or "rustfs:drive" not in tags:
            continue
        name = tags.get("rustfs:node-name") or f"rustfs-{tags['rustfs:node']}"
        drives[name][int(tags["rustfs:drive"])] = (volume.inputs.get("availabilityZone", "?"),
                                                   int(volume.inputs.get("size", 0)))
    nodes = []
    for name, by_index in drives.items():
        azs = {az for az, _ in by_index.values()}
        if len(azs) != 1:
            raise LayoutError(f"node {name} has data volumes in several AZs: {sorted(azs)}")
        nodes.append(Node(name=name, az=azs.pop(), drives=len(by_index),
                          drive_size_gib=min(size for _, size in by_index.values())))
    return nodes


def recorded_layout(recording: Recording) -> Layout | None:
    """The erasure layout of the recorded data volumes; None when the stack declares none."""
    nodes = nodes_from_volumes(recording)
    return from_resources(nodes) if nodes else None


def compute(recording: Recording) -> dict | None:
    layout = recorded_layout(recording)
    if layout is None:
        from .eks_topology import topology  # EKS mode: the StatefulSet's claims, placed by the scheduler
        return topology(recording)
    ordered = [n for pool in layout.pools for n in pool.nodes]
    return {
        "platform": "ec2",
        "nodes": [{"name": n.name, "az": n.az, "drives": n.drives} for n in ordered],
        "setSize": layout.set_size,
        "sets": len(layout.sets),
        "parity": layout.parity,
        "rawTiB": round(layout.raw_gib / GIB_PER_TIB, 2),
        "usableTiB": round(layout.usable_gib / GIB_PER_TIB, 2),
        "tolerates": {"drivesPerSet": layout.tolerates_drives_per_set, "nodeLoss": layout.survives_node_loss,
                      "azLoss": layout.survives_az_loss},
    }


def _by_az(value: dict) -> dict[str, list[str]]:
    azs: dict[str, list[str]] = defaultdict(list)
    for node in value["nodes"]:
        azs[node["az"]].append(node["name"].split(".")[0])
    return dict(sorted(azs.items()))


def yes_no(flag: bool) -> str:
    return "yes" if flag else "NO"


def human(value: dict) -> list[str]:
    nodes = value["nodes"]
    drives = sorted({n["drives"] for n in nodes})
    t = value["tolerates"]
    lines = [
        f"Topology ({value['platform']}): {len(nodes)} nodes x {'/'.join(map(str, drives))} drives in "
        f"{value.get('zones', len(_by_az(value)))} AZs; {value['sets']} erasure sets of {value['setSize']} drives, "
        f"EC {value['setSize'] - value['parity']}+{value['parity']}",
        f"  capacity: raw {value['rawTiB']} TiB, usable {value['usableTiB']} TiB",
        f"  survives: {t['drivesPerSet']} lost drives per set; a node loss: {yes_no(t['nodeLoss'])}; "
        f"an AZ loss: {yes_no(t['azLoss'])}",
    ]
    lines += [f"  {az}: {', '.join(names)}" for az, names in _by_az(value).items()]
    return lines


def markdown(value: dict) -> list[str]:
    t = value["tolerates"]
    out = ["### Topology", "",
           f"{value['platform']}: {len(value['nodes'])} nodes, {value['sets']} erasure sets of "
           f"{value['setSize']} drives (EC {value['setSize'] - value['parity']}+{value['parity']}), raw "
           f"{value['rawTiB']} TiB, usable {value['usableTiB']} TiB.", "",
           "| survives | |", "|---|---|",
           f"| lost drives per set | {t['drivesPerSet']} |",
           f"| loss of any one node | {'✅' if t['nodeLoss'] else '❌'} |",
           f"| loss of any one AZ | {'✅' if t['azLoss'] else '❌'} |", "",
           "| AZ | nodes |", "|---|---|"]
    out += [f"| {az} | {', '.join(names)} |" for az, names in _by_az(value).items()]
    out.append("")
    return out


# Imported last: sections.py imports the section modules, and capacity_report imports this one, so the
# names above must exist before that cycle runs. Report order whatever imports first: the diagram (which
# inserts itself at the front), then topology, then the sections that build on it.
from .sections import SECTIONS, Section  # noqa: E402

SECTION = Section(key="topology", compute=compute, human=human, markdown=markdown)
SECTIONS.insert(1 if SECTIONS and SECTIONS[0].key == "diagram" else 0, SECTION)
