"""Topology, capacity and performance of the EKS mode, from the recorded StatefulSet and node groups.

EC2 mode reads its layout from tagged ``aws:ebs/volume:Volume`` resources; on EKS the volumes are claims the
EBS CSI driver creates later, so the layout comes from the recorded StatefulSet (replicas, ordinals, one
claim per drive and its size) and its StorageClass, the zones from the node groups' subnets, and the AZ-loss
tolerance from ``rustfs_model.zone_spread`` (every balanced placement the scheduler may choose), not from a
placement the program does not make.
"""

from __future__ import annotations

from rustfs_model.layout import Layout, LayoutError
from rustfs_model.performance import NodeSpec, Volume
from rustfs_model.zone_spread import SpreadAnalysis, analyse

from .runner import Recording

STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
SUBNET = "aws:ec2/subnet:Subnet"
_GIB = {"Gi": 1, "Ti": 1024}


def _gib(quantity) -> int:
    text = str(quantity or "0")
    for suffix, factor in _GIB.items():
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(int(text) / 2 ** 30)


def _workload(recording: Recording) -> dict | None:
    """replicas, ordinal start, drive sizes and volume parameters of the one StatefulSet with claims."""
    sets = [s for s in recording.of_type(STATEFUL_SET) if (s.inputs.get("spec") or {}).get("volumeClaimTemplates")]
    if len(sets) != 1:
        return None
    spec = sets[0].inputs["spec"]
    claims = spec["volumeClaimTemplates"]
    classes = {(c.inputs.get("metadata") or {}).get("name"): c.inputs.get("parameters") or {}
               for c in recording.of_type(STORAGE_CLASS)}
    params = classes.get((claims[0].get("spec") or {}).get("storageClassName"), {})
    subnets = {s.outputs.get("id"): s.inputs.get("availabilityZone") for s in recording.of_type(SUBNET)}
    groups = recording.of_type(NODE_GROUP)
    zones = {subnets.get(sid) for g in groups for sid in g.inputs.get("subnetIds") or []} - {None}
    types = {t for g in groups for t in g.inputs.get("instanceTypes") or []}
    return {"name": (sets[0].inputs.get("metadata") or {}).get("name", "rustfs"),
            "replicas": int(spec.get("replicas", 1)), "start": int((spec.get("ordinals") or {}).get("start", 0)),
            "drives": len(claims),
            "size": min(_gib(((c.get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage"))
                        for c in claims),
            "volume": Volume(type=str(params.get("type", "gp3")), size_gib=0,
                             iops=int(params["iops"]) if params.get("iops") else None,
                             throughput_mibps=int(params["throughput"]) if params.get("throughput") else None),
            "zones": sorted(zones), "instance_type": types.pop() if len(types) == 1 else None}


def analysis(recording: Recording) -> tuple[dict, SpreadAnalysis] | None:
    w = _workload(recording)
    if w is None or not w["zones"]:
        return None
    try:
        return w, analyse(w["replicas"], w["drives"], len(w["zones"]), drive_size_gib=w["size"])
    except LayoutError:
        return None


def layout(recording: Recording) -> Layout | None:
    found = analysis(recording)
    return None if found is None else found[1].layout


def topology(recording: Recording) -> dict | None:
    found = analysis(recording)
    if found is None:
        return None
    w, a = found
    zone = f"scheduled over {len(w['zones'])} AZs (at most {a.pods_per_zone_max} pods each)"
    lay = a.layout
    return {
        "platform": "eks", "zones": len(w["zones"]),
        "nodes": [{"name": f"{w['name']}-{w['start'] + i}", "az": zone, "drives": w["drives"]}
                  for i in range(w["replicas"])],
        "setSize": lay.set_size, "sets": len(lay.sets), "parity": lay.parity,
        "rawTiB": round(lay.raw_gib / 1024, 2), "usableTiB": round(lay.usable_gib / 1024, 2),
        "tolerates": {"drivesPerSet": a.tolerates_drives_per_set, "nodeLoss": a.survives_node_loss,
                      "azLoss": a.survives_az_loss},
    }


def node_specs(recording: Recording) -> list[NodeSpec] | None:
    w = _workload(recording)
    if w is None or not w["instance_type"]:
        return None
    v = w["volume"]
    volumes = tuple(Volume(v.type, w["size"], v.iops, v.throughput_mibps) for _ in range(w["drives"]))
    return [NodeSpec(instance_type=w["instance_type"], volumes=volumes, name=f"{w['name']}-{w['start'] + i}")
            for i in range(w["replicas"])]
