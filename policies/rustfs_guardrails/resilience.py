"""RustFS resilience, recomputed from the resources themselves (volumes, their tags and AZs), never from flags."""

from __future__ import annotations

import re
from collections import defaultdict

from pulumi_policy import Severity

from rustfs_model.cost import snapshot_retention_days

from ._env import ENVIRONMENT_CONFIG, environment, is_prod, own_tags, stack_environment
from ._kit import Res, aws, get, is_unknown, items, known_num, known_str, resource_policy, stack_policy

VOLUME = aws("ebs", "Volume")
BUCKETS = [aws("s3", "Bucket"), aws("s3", "BucketV2")]
KMS_KEY = aws("kms", "Key")
DLM = aws("dlm", "LifecyclePolicy")
BACKUP_SELECTION = aws("backup", "Selection")
INSTANCE = aws("ec2", "Instance")
LAUNCH_TEMPLATE = aws("ec2", "LaunchTemplate")
ASG = aws("autoscaling", "Group")
NODE_GROUPS = [aws("eks", "NodeGroup"), "eks:index:ManagedNodeGroup"]

_TAG_CONFIG = {
    "clusterTag": {"type": "string", "default": "rustfs:cluster"},
    "nodeTag": {"type": "string", "default": "rustfs:node"},
    "driveTag": {"type": "string", "default": "rustfs:drive"},
}


def data_volumes(resources: list[Res], cfg: dict) -> list[Res]:
    return [r for r in resources if r.type == VOLUME and cfg["clusterTag"] in own_tags(r)]


def _clusters(resources: list[Res], cfg: dict) -> dict[str, dict[str, list[Res]]]:
    """cluster -> node -> volumes, from the rustfs:* tags on EBS volumes."""
    clusters: dict[str, dict[str, list[Res]]] = defaultdict(lambda: defaultdict(list))
    for volume in data_volumes(resources, cfg):
        tags = own_tags(volume)
        cluster, node = tags.get(cfg["clusterTag"]), tags.get(cfg["nodeTag"])
        if isinstance(cluster, str) and isinstance(node, str):
            clusters[cluster][node].append(volume)
    return clusters


def _node_facts(volumes: list[Res]) -> tuple[set[str], set[float], bool]:
    """(known AZs, known sizes, anything unknown) of one node's volumes."""
    azs = {v.get("availabilityZone") for v in volumes if isinstance(v.get("availabilityZone"), str)}
    sizes = {known_num(v.get("size")) for v in volumes if known_num(v.get("size")) is not None}
    unknown = any(is_unknown(v.get("availabilityZone")) or is_unknown(v.get("size")) for v in volumes)
    return azs, sizes, unknown


def _check_topology(resources: list[Res], cfg: dict, report) -> None:
    from rustfs_model.layout import LayoutError, Node, from_resources

    prod = is_prod(stack_environment(resources, cfg), cfg)
    for cluster, nodes in _clusters(resources, cfg).items():
        # The first node's first drive by URN: resources arrive in registration order, which is not stable.
        anchor = min(v.urn for v in nodes[sorted(nodes)[0]])
        facts = {name: _node_facts(volumes) for name, volumes in nodes.items()}
        complete = True
        for name, (azs, sizes, unknown) in facts.items():
            complete &= not unknown and len(azs) == 1 and len(sizes) == 1
            if len(azs) > 1:
                report(f"RustFS cluster '{cluster}' node {name} has drives in several AZs {sorted(azs)}.", anchor)
            if len(sizes) > 1:
                report(f"RustFS cluster '{cluster}' node {name} mixes drive sizes {sorted(sizes)} GiB.", anchor)
        counts = {name: len(volumes) for name, volumes in nodes.items()}
        if len(set(counts.values())) > 1:
            report(f"RustFS cluster '{cluster}' has uneven drive counts per node {dict(sorted(counts.items()))}; "
                   "RustFS expects the same number of drives on every node.", anchor)
        node_sizes = {s for (_, sizes, _) in facts.values() for s in sizes}
        if len(node_sizes) > 1:
            report(f"RustFS cluster '{cluster}' mixes drive sizes {sorted(node_sizes)} GiB across nodes; an "
                   "erasure set is limited by its smallest drive.", anchor)
        if not prod or not complete:
            continue
        zones = {next(iter(azs)) for (azs, _, _) in facts.values()}
        if len(zones) < cfg["minAzs"]:
            report(f"RustFS cluster '{cluster}' data nodes span {len(zones)} AZ(s) {sorted(zones)}; production "
                   f"needs ≥ {cfg['minAzs']:g}.", anchor)
        if len(set(counts.values())) > 1 or len(node_sizes) > 1:
            continue
        model = [Node(name=name, az=next(iter(facts[name][0])), drives=counts[name],
                      drive_size_gib=int(next(iter(facts[name][1])))) for name in nodes]
        try:
            layout = from_resources(model, set_drive_count=int(cfg.get("setDriveCount") or 0) or None)
        except LayoutError as error:
            report(f"RustFS cluster '{cluster}': RustFS would refuse this topology: {error}.", anchor)
            continue
        if not layout.survives_az_loss:
            report(f"RustFS cluster '{cluster}' loses quorum if AZ {layout.worst_az} fails (sets of "
                   f"{layout.set_size}, EC {layout.data_shards}+{layout.parity}, drives per AZ per set "
                   f"{layout.az_set_losses}).", anchor)


topology = stack_policy(
    "rustfs-rustfs-cluster-require-resilient-topology",
    "RustFS data nodes (EBS volumes tagged rustfs:cluster/node/drive) have uniform drive count and size, span "
    "≥ 3 AZs in production, and the erasure layout recomputed from them survives the loss of any one AZ.",
    severity=Severity.HIGH, types=[VOLUME], check=_check_topology, topics=["resilience", "rustfs"],
    config={**_TAG_CONFIG, **ENVIRONMENT_CONFIG, "minAzs": {"type": "number", "minimum": 1, "default": 3},
            "setDriveCount": {"type": "number", "minimum": 0, "maximum": 16, "default": 0,
                              "description": "RUSTFS_ERASURE_SET_DRIVE_COUNT if pinned, 0 = automatic"}})


def _check_protect(resources: list[Res], cfg: dict, report) -> None:
    if not is_prod(stack_environment(resources, cfg), cfg):
        return
    for volume in data_volumes(resources, cfg):
        if not volume.protect:
            report(f"RustFS data volume '{volume.name}' is not protected (protect=True): a replacement or "
                   "destroy would delete its data.", volume.urn)
    volumes = data_volumes(resources, cfg)
    for key in (r for r in resources if r.type == KMS_KEY and not r.protect):
        if any(_encrypts(key, volume) for volume in volumes):
            report(f"KMS key '{key.name}' encrypts RustFS data volumes and is not protected (protect=True): "
                   "deleting it would make every drive it encrypts unreadable.", key.urn)
    pattern = cfg["dataBucketPattern"]
    for bucket in (r for r in resources if r.type in BUCKETS):
        if (re.search(pattern, bucket.name) or cfg["clusterTag"] in own_tags(bucket)) and not bucket.protect:
            report(f"Data bucket '{bucket.name}' is not protected (protect=True) in production.", bucket.urn)


def _encrypts(key: Res, volume: Res) -> bool:
    """The volume's kmsKeyId names this key (ARN or id), or - unknown before the first deployment - was
    computed from it."""
    key_id = volume.get("kmsKeyId")
    if isinstance(key_id, str) and not is_unknown(key_id):
        return key_id in {known_str(key.get(p)) for p in ("arn", "keyId", "id")} - {None}
    return "kmsKeyId" in volume.property_dependency_urns and volume.refers_to("kmsKeyId", key)


protect_data = stack_policy(
    "rustfs-rustfs-data-require-protect",
    "In production, RustFS data volumes, the KMS keys that encrypt them and data buckets carry the protect "
    "resource option.",
    severity=Severity.HIGH, types=[VOLUME, KMS_KEY, *BUCKETS], check=_check_protect, topics=["resilience", "rustfs"],
    config={**_TAG_CONFIG, **ENVIRONMENT_CONFIG,
            "dataBucketPattern": {"type": "string", "default": "tier|replica|data",
                                  "description": "regex on bucket resource names holding data"}})


def _dlm_covers(policy: Res, tags: dict) -> bool | None:
    details = policy.get("policyDetails")
    if is_unknown(details) or is_unknown(policy.get("state")):
        return None
    if policy.get("state") == "DISABLED" or not isinstance(details, dict):
        return False
    kinds = details.get("resourceTypes")
    if isinstance(kinds, list) and "VOLUME" not in kinds:
        return False
    target = details.get("targetTags")
    if is_unknown(target):
        return None
    return isinstance(target, dict) and bool(target) and all(tags.get(k) == v for k, v in target.items())


def _selection_covers(selection: Res, tags: dict) -> bool | None:
    if is_unknown(selection.get("selectionTags")):
        return None
    for condition in selection.items("selectionTags"):
        if isinstance(condition, dict) and condition.get("type") == "STRINGEQUALS" and \
                tags.get(condition.get("key")) == condition.get("value"):
            return True
    return False


def _check_backups(resources: list[Res], cfg: dict, report) -> None:
    policies = [r for r in resources if r.type == DLM]
    selections = [r for r in resources if r.type == BACKUP_SELECTION]
    prod = is_prod(stack_environment(resources, cfg), cfg)
    for volume in data_volumes(resources, cfg):
        tags = own_tags(volume)
        dlm = [_dlm_covers(p, tags) for p in policies]
        verdicts = dlm + [_selection_covers(s, tags) for s in selections]
        if not any(v is None or v for v in verdicts):
            report(f"RustFS data volume '{volume.name}' is covered by no enabled DLM policy or AWS Backup "
                   "selection (target tags must match its tags).", volume.urn)
        if not prod:
            continue
        if volume.get("finalSnapshot") is not True and not is_unknown(volume.get("finalSnapshot")):
            report(f"RustFS data volume '{volume.name}' takes no final snapshot (finalSnapshot=true) if it is "
                   "ever deleted.", volume.urn)
        kept = [snapshot_retention_days({"props": p.props}) for p, covers in zip(policies, dlm, strict=True) if covers]
        if kept and all(d is not None and d < cfg["minRetentionDays"] for d in kept):
            report(f"RustFS data volume '{volume.name}' keeps snapshots for {max(kept):g} days, fewer than "
                   f"{cfg['minRetentionDays']:g} in production.", volume.urn)


backups = stack_policy(
    "rustfs-rustfs-volume-require-snapshots",
    "Every RustFS data volume is covered by an enabled DLM lifecycle policy or an AWS Backup selection; in "
    "production the snapshots are kept at least minRetentionDays and a deleted volume takes a final snapshot.",
    severity=Severity.HIGH, types=[VOLUME, DLM, BACKUP_SELECTION], check=_check_backups,
    checks=["CKV2_AWS_9"], topics=["resilience", "backup", "rustfs"],
    config={**_TAG_CONFIG, **ENVIRONMENT_CONFIG,
            "minRetentionDays": {"type": "number", "minimum": 0, "default": 7,
                                 "description": "production: days a DLM policy keeps each data-volume snapshot"}})


def _is_data_node(res: Res, cfg: dict) -> bool:
    tag = cfg["clusterTag"]
    if tag in own_tags(res):
        return True
    for spec in items(res.props, "tagSpecifications"):
        if isinstance(spec, dict) and isinstance(spec.get("tags"), dict) and tag in spec["tags"]:
            return True
    labels = res.get("labels")
    return isinstance(labels, dict) and tag in labels


def _spot_reason(res: Res) -> str | None:
    market = known_str(get(res.props, "instanceMarketOptions", "marketType"))
    if market == "spot":
        return "instanceMarketOptions.marketType=spot"
    if res.type in NODE_GROUPS and res.get("capacityType") == "SPOT":
        return "capacityType=SPOT"
    if res.type == ASG:
        distribution = get(res.props, "mixedInstancesPolicy", "instancesDistribution")
        if isinstance(distribution, dict):
            percent = known_num(distribution.get("onDemandPercentageAboveBaseCapacity"))
            if percent is not None and percent < 100:
                return f"onDemandPercentageAboveBaseCapacity={percent:g}"
    return None


def _check_spot(res: Res, cfg: dict, report) -> None:
    if not is_prod(environment(res, cfg), cfg) or not _is_data_node(res, cfg):
        return
    reason = _spot_reason(res)
    if reason:
        report(f"RustFS data node capacity '{res.name}' uses spot ({reason}): a reclaimed node takes its drives' "
               "shards offline.")


no_spot = resource_policy(
    "rustfs-rustfs-node-disallow-spot",
    "Production RustFS data nodes run on on-demand capacity, never spot.",
    severity=Severity.HIGH, types=[INSTANCE, LAUNCH_TEMPLATE, ASG, *NODE_GROUPS], check=_check_spot,
    topics=["resilience", "rustfs", "cost"], config={**_TAG_CONFIG, **ENVIRONMENT_CONFIG})

POLICIES = [topology, protect_data, backups, no_spot]
