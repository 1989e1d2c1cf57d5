"""The RustFS nodes a recording declares, read back from the resources (not from the config).

A node is the set of EBS data volumes tagged ``rustfs:node=<index>`` (``components/cluster/storage_nodes.py``): their
AZ, size, type, IOPS and throughput. Its instance type comes from the launch template whose instance tag
specification names the node (``rustfs:node``), else from the Auto Scaling group tagged for the node and the
template it references (by name or id), else from the only instance type the stack's launch templates use.
The stack configuration the program validated (``components.config.parse``) supplies what resources cannot
tell: usage assumptions and the budget.
"""

from __future__ import annotations

from dataclasses import dataclass

from rustfs_model.performance import NodeSpec, Volume

from .runner import SECRET, UNKNOWN, RecordedResource, Recording

VOLUME = "aws:ebs/volume:Volume"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
NODE_TAG = "rustfs:node"
NODE_NAME_TAG = "rustfs:node-name"
DRIVE_TAG = "rustfs:drive"


def known(value):
    return None if value in (UNKNOWN, SECRET) else value


@dataclass(frozen=True)
class RecordedNode:
    index: int
    name: str  # rustfs:node-name (the node's DNS name), else "node-<index>"
    az: str
    instance_type: str | None
    volumes: tuple[Volume, ...]

    @property
    def short(self) -> str:
        return self.name.split(".")[0]


def _tags(resource: RecordedResource) -> dict:
    tags = resource.inputs.get("tags")
    if isinstance(tags, list):  # autoscaling groups: [{key, value, propagateAtLaunch}]
        return {t.get("key"): t.get("value") for t in tags if isinstance(t, dict)}
    return tags if isinstance(tags, dict) else {}


def _template_node(template: RecordedResource) -> str | None:
    for spec in template.inputs.get("tagSpecifications") or []:
        if spec.get("resourceType") == "instance":
            return (spec.get("tags") or {}).get(NODE_TAG)
    return None


def _instance_types(recording: Recording) -> tuple[dict[str, str], str | None]:
    """Instance type per node index, and the single type all templates share (None if several)."""
    templates = recording.of_type(LAUNCH_TEMPLATE)
    per_node: dict[str, str] = {}
    for t in templates:
        node, itype = _template_node(t), known(t.inputs.get("instanceType"))
        if node and itype:
            per_node[node] = itype
    by_ref = {known(t.outputs.get("id")): t for t in templates} | {known(t.inputs.get("name")): t for t in templates}
    by_ref.pop(None, None)
    for group in recording.of_type(ASG):
        node = _tags(group).get(NODE_TAG)
        ref = group.inputs.get("launchTemplate") or {}
        template = by_ref.get(known(ref.get("name"))) or by_ref.get(known(ref.get("id")))
        if node and node not in per_node and template is not None and known(template.inputs.get("instanceType")):
            per_node[node] = template.inputs["instanceType"]
    types = {known(t.inputs.get("instanceType")) for t in templates} - {None}
    return per_node, (types.pop() if len(types) == 1 else None)


def recorded_nodes(recording: Recording) -> list[RecordedNode]:
    """The nodes in index order; [] when the stack declares no tagged data volumes."""
    drives: dict[int, list[RecordedResource]] = {}
    for v in recording.of_type(VOLUME):
        index = str(_tags(v).get(NODE_TAG, ""))
        if index.isdigit():
            drives.setdefault(int(index), []).append(v)
    per_node, only_type = _instance_types(recording)
    nodes = []
    for index, volumes in sorted(drives.items()):
        volumes.sort(key=lambda v: int(str(_tags(v).get(DRIVE_TAG, "0")) or 0))
        zones = {known(v.inputs.get("availabilityZone")) for v in volumes} - {None}
        name = _tags(volumes[0]).get(NODE_NAME_TAG) or f"node-{index}"
        nodes.append(RecordedNode(
            index=index, name=name, az=", ".join(sorted(zones)) or "unknown AZ",
            instance_type=per_node.get(str(index), only_type),
            volumes=tuple(Volume(type=str(known(v.inputs.get("type")) or "gp2"),
                                 size_gib=int(known(v.inputs.get("size")) or 0),
                                 iops=_int(v.inputs.get("iops")),
                                 throughput_mibps=_int(v.inputs.get("throughput")))
                          for v in volumes)))
    return nodes


def _int(value) -> int | None:
    value = known(value)
    return None if value in (None, "") else int(value)


def node_specs(nodes: list[RecordedNode]) -> list[NodeSpec]:
    missing = [n.name for n in nodes if not n.instance_type]
    if missing:
        raise ValueError(f"no instance type found for {', '.join(missing)}")
    return [NodeSpec(instance_type=n.instance_type, volumes=n.volumes, name=n.short) for n in nodes]


def stack_config(recording: Recording):
    """The validated ``components.config.StackConfig`` of the recorded stack (defaults applied); None for a stack of
    another project (``bootstrap/``), which has no ``rustfs-aws`` configuration."""
    from rustfs_aws.config import parse
    from rustfs_aws.validation import NAMESPACE

    if recording.settings.project != NAMESPACE:
        return None
    prefix = f"{NAMESPACE}:"  # values stay the strings the CLI passes, as components.config.load reads them
    raw = {k[len(prefix):]: v for k, v in recording.settings.config.items() if k.startswith(prefix)}
    return parse(raw, stack=recording.settings.stack, region=recording.settings.region,
                 project=recording.settings.project, secret_keys=recording.settings.secret_keys)
