"""EC2 instances, launch templates, Auto Scaling groups, EBS volumes and snapshots."""

from __future__ import annotations

import re

from pulumi_policy import Severity

from . import _userdata
from ._env import own_tags
from ._kit import Res, is_false, is_true, is_unknown, items, known_num, known_str, resource_policy, stack_policy
from .eks import AWS_NODE_GROUP as EKS_NODE_GROUP
from .eks import _template_of

INSTANCE = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
VOLUME = "aws:ebs/volume:Volume"
VOLUME_ATTACHMENT = "aws:ec2/volumeAttachment:VolumeAttachment"
SNAPSHOT_COPY = "aws:ebs/snapshotCopy:SnapshotCopy"
EBS_DEFAULT = "aws:ebs/encryptionByDefault:EncryptionByDefault"
COMPUTE = [INSTANCE, LAUNCH_TEMPLATE]


def _truthy(value: object) -> bool:
    """Launch templates carry some booleans as strings ("true")."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


# ---- instance metadata service ----

def _is_eks_node(res: Res, cfg: dict) -> bool:
    return re.search(cfg["eksNodeNamePattern"], res.name) is not None


def _check_imdsv2(res: Res, cfg: dict, report) -> None:
    if res.type == INSTANCE and res.get("launchTemplate") is not None and res.get("metadataOptions") is None:
        return  # the launch template carries the settings and is checked itself
    options = res.get("metadataOptions")
    if is_unknown(options):
        return
    options = options or {}
    if options.get("httpEndpoint") == "disabled":
        return
    tokens = options.get("httpTokens")
    if tokens is None or (isinstance(tokens, str) and tokens != "required"):
        report(f"'{res.name}' must set metadataOptions.httpTokens='required' (IMDSv2 only), got {tokens!r}.")
    hops = options.get("httpPutResponseHopLimit")
    limit = cfg["eksMaxHopLimit"] if _is_eks_node(res, cfg) else cfg["maxHopLimit"]
    if hops is None:
        report(f"'{res.name}' must set metadataOptions.httpPutResponseHopLimit explicitly (≤ {limit:g}); "
               "AMIs such as AL2023 default to 2, which lets containers reach instance credentials.")
    elif known_num(hops) is not None and hops > limit:
        report(f"'{res.name}' httpPutResponseHopLimit={hops:g} exceeds {limit:g}.")


imdsv2 = resource_policy(
    "rustfs-ec2-instance-require-imdsv2",
    "Instances and launch templates require IMDSv2 with a response hop limit of 1 (2 for EKS nodes).",
    severity=Severity.HIGH, types=COMPUTE, check=_check_imdsv2,
    checks=["CKV_AWS_79", "CKV_AWS_341", "EC2.8", "EC2.170"], topics=["exposure", "credentials"],
    config={"maxHopLimit": {"type": "number", "minimum": 1, "maximum": 64, "default": 1},
            "eksMaxHopLimit": {"type": "number", "minimum": 1, "maximum": 64, "default": 2},
            "eksNodeNamePattern": {"type": "string", "default": "eks|nodegroup|node-group",
                                   "description": "regex on the resource name marking EKS worker nodes"}},
    remediation="metadata_options={'http_tokens': 'required', 'http_put_response_hop_limit': 1, "
    "'http_endpoint': 'enabled'}")


# ---- public IPs ----

def _check_public_ip(res: Res, cfg: dict, report) -> None:
    if res.type == INSTANCE and is_true(res.get("associatePublicIpAddress")):
        report(f"Instance '{res.name}' sets associatePublicIpAddress=true.")
    for index, nic in enumerate(res.items("networkInterfaces")):
        if isinstance(nic, dict) and _truthy(nic.get("associatePublicIpAddress")):
            report(f"'{res.name}' networkInterfaces[{index}] associates a public IP address.")


no_public_ip = resource_policy(
    "rustfs-ec2-instance-disallow-public-ip",
    "Instances and launch templates never associate public IP addresses (storage nodes stay private).",
    severity=Severity.HIGH, types=COMPUTE, check=_check_public_ip,
    checks=["CKV_AWS_88", "EC2.9", "awsguard:ec2-instance-no-public-ip"], topics=["exposure", "network"],
    remediation="Remove associate_public_ip_address; reach nodes through SSM Session Manager and the internal NLB.")


# ---- EBS encryption on instances / launch templates / volumes ----

def _block_devices(res: Res) -> list[tuple[str, object]]:
    if res.type == INSTANCE:
        devices = [("rootBlockDevice", res.get("rootBlockDevice"))]
        devices += [(f"ebsBlockDevices[{i}]", d) for i, d in enumerate(res.items("ebsBlockDevices"))]
        return [(label, d) for label, d in devices if d is not None]
    return [(f"blockDeviceMappings[{i}].ebs", m.get("ebs")) for i, m in enumerate(res.items("blockDeviceMappings"))
            if isinstance(m, dict) and m.get("ebs") is not None]


def _check_encryption(label: str, encrypted: object, key: object, cfg: dict, report) -> None:
    if is_unknown(encrypted):
        return
    if not _truthy(encrypted):
        report(f"{label} is not encrypted (encrypted={encrypted!r}).")
    elif cfg["requireCustomerManagedKey"] and key is None:
        report(f"{label} is encrypted with the AWS-managed key; set kmsKeyId to a customer-managed key.")


def _check_block_device_encryption(res: Res, cfg: dict, report) -> None:
    for label, device in _block_devices(res):
        if isinstance(device, dict):
            _check_encryption(f"'{res.name}' {label}", device.get("encrypted"), device.get("kmsKeyId"), cfg, report)


_CMK_CONFIG = {"requireCustomerManagedKey": {"type": "boolean", "default": True}}

block_device_encryption = resource_policy(
    "rustfs-ec2-launchtemplate-require-encrypted-block-devices",
    "Instance and launch template EBS block devices are encrypted with a customer-managed KMS key.",
    severity=Severity.HIGH, types=COMPUTE, check=_check_block_device_encryption,
    checks=["CKV_AWS_8", "CKV_AWS_189", "EC2.3", "awsguard:encrypted-volumes"], topics=["encryption"],
    config=_CMK_CONFIG, remediation="ebs={'encrypted': 'true', 'kms_key_id': key.arn, ...} on every mapping.")


def _check_volume_encryption(res: Res, cfg: dict, report) -> None:
    _check_encryption(f"Volume '{res.name}'", res.get("encrypted"), res.get("kmsKeyId"), cfg, report)


volume_encryption = resource_policy(
    "rustfs-ebs-volume-require-cmk-encryption",
    "EBS volumes are encrypted with a customer-managed KMS key.",
    severity=Severity.HIGH, types=[VOLUME], check=_check_volume_encryption,
    checks=["CKV_AWS_3", "CKV_AWS_189", "EC2.3", "awsguard:encrypted-volumes"], topics=["encryption"],
    config=_CMK_CONFIG, remediation="aws.ebs.Volume(encrypted=True, kms_key_id=key.arn, ...)")


def _check_snapshot_copy(res: Res, cfg: dict, report) -> None:
    _check_encryption(f"Snapshot copy '{res.name}'", res.get("encrypted"), res.get("kmsKeyId"), cfg, report)


snapshot_copy_encryption = resource_policy(
    "rustfs-ebs-snapshotcopy-require-cmk-encryption",
    "EBS snapshot copies are encrypted with a customer-managed KMS key.",
    severity=Severity.HIGH, types=[SNAPSHOT_COPY], check=_check_snapshot_copy,
    checks=["CKV_AWS_183"], topics=["encryption", "backup"], config=_CMK_CONFIG)


def _check_ebs_default(res: Res, cfg: dict, report) -> None:
    if is_false(res.get("enabled")):
        report("EBS encryption by default is explicitly disabled for the region.")


ebs_default_encryption = resource_policy(
    "rustfs-ebs-account-require-default-encryption",
    "Account-level EBS encryption by default is not disabled.",
    severity=Severity.MEDIUM, types=[EBS_DEFAULT], check=_check_ebs_default,
    checks=["CKV_AWS_106", "EC2.7"], topics=["encryption"])


def _check_volume_type(res: Res, cfg: dict, report) -> None:
    field = "type" if res.type == VOLUME else "volumeType"
    devices = [("", res.props)] if res.type == VOLUME else _block_devices(res)
    for label, device in devices:
        kind = known_str(device.get(field)) if isinstance(device, dict) else None
        if kind is not None and kind not in cfg["allowedVolumeTypes"]:
            report(f"'{res.name}' {label} uses volume type {kind}; use one of {cfg['allowedVolumeTypes']} "
                   "(gp3 is cheaper than gp2 at equal or better performance, io2 more durable than io1).")


volume_type = resource_policy(
    "rustfs-ebs-volume-require-current-generation-type",
    "EBS volumes use gp3 or io2 rather than gp2 or io1 (cost and durability).",
    severity=Severity.LOW, types=[VOLUME, *COMPUTE], check=_check_volume_type, topics=["cost"],
    config={"allowedVolumeTypes": {"type": "array", "items": {"type": "string"}, "default": ["gp3", "io2"]}})


def _check_multi_attach(res: Res, cfg: dict, report) -> None:
    if is_true(res.get("multiAttachEnabled")):
        report(f"Volume '{res.name}' enables Multi-Attach: a RustFS drive belongs to exactly one node.")


no_multi_attach = resource_policy(
    "rustfs-ebs-volume-disallow-multi-attach",
    "EBS volumes do not enable Multi-Attach (one RustFS drive, one node; XFS is not a cluster filesystem).",
    severity=Severity.HIGH, types=[VOLUME], check=_check_multi_attach, topics=["resilience"])


# ---- user data ----

def _check_user_data(res: Res, cfg: dict, report) -> None:
    for field in ("userData", "userDataBase64"):
        text = res.get(field)
        if isinstance(text, str):
            found = _userdata.findings(text)
            if found:
                report(f"'{res.name}' {field} contains {', '.join(found)}; fetch secrets at boot from "
                       "Secrets Manager or SSM Parameter Store instead.")


user_data_secrets = resource_policy(
    "rustfs-ec2-instance-disallow-secrets-in-user-data",
    "User data holds no secrets (AWS keys, private keys, passwords, RustFS default or literal credentials).",
    severity=Severity.CRITICAL, types=COMPUTE, check=_check_user_data,
    checks=["CKV_AWS_46"], topics=["credentials"])


# base64 inputs: a launch template's userData and an instance's userDataBase64; an instance's userData is text.
_USER_DATA_FIELDS = {LAUNCH_TEMPLATE: (("userData", True),), INSTANCE: (("userData", False), ("userDataBase64", True))}


def _check_user_data_size(res: Res, cfg: dict, report) -> None:
    for field, is_base64 in _USER_DATA_FIELDS[res.type]:
        text = res.get(field)
        size = _userdata.raw_size(text, is_base64) if isinstance(text, str) else None
        if size is not None and size > _userdata.EC2_USER_DATA_LIMIT:
            report(f"'{res.name}' {field} is {size:,} bytes before base64; EC2 refuses more than "
                   f"{_userdata.EC2_USER_DATA_LIMIT:,} (InvalidUserData.Malformed). Compress it (gzip, which "
                   "cloud-init reads) or fetch the rest at boot.")


user_data_size = resource_policy(
    "rustfs-ec2-launchtemplate-disallow-oversized-user-data",
    "User data fits EC2's 16 KB limit before base64 (the launch template or instance would be refused).",
    severity=Severity.HIGH, types=COMPUTE, check=_check_user_data_size, topics=["operations"])


# ---- instance profile, monitoring, EBS optimisation, families ----

def _node_group_templates(resources: list[Res]) -> set[str]:
    """URNs of the launch templates an aws.eks.NodeGroup of the stack uses: by the property dependency of its
    ``launchTemplate`` (known at preview, when the template's id is not) or by a known id/name."""
    templates = [r for r in resources if r.type == LAUNCH_TEMPLATE]
    found = (_template_of(g, templates) for g in resources if g.type == EKS_NODE_GROUP)
    return {t.urn for t in found if isinstance(t, Res)}


def _check_instance_profile(resources: list[Res], cfg: dict, report) -> None:
    # EKS refuses IamInstanceProfile in a managed node group's launch template: it sets the profile of the
    # group's node role itself ("Customize managed nodes with launch templates": its table of launch template
    # configuration basics marks "IAM instance profile" as prohibited),
    # https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html
    eks_templates = _node_group_templates(resources)
    for res in resources:
        if res.type not in COMPUTE or res.urn in eks_templates:
            continue
        if res.type == INSTANCE and res.get("launchTemplate") is not None:
            continue
        if res.get("iamInstanceProfile") is None:
            report(f"'{res.name}' has no IAM instance profile: nodes need a role (SSM, KMS, EBS attach) "
                   "instead of static keys.", res.urn)


instance_profile = stack_policy(
    "rustfs-ec2-instance-require-instance-profile",
    "Instances and launch templates have an IAM instance profile (except an EKS node group's template).",
    severity=Severity.MEDIUM, types=[*COMPUTE, EKS_NODE_GROUP], check=_check_instance_profile,
    checks=["CKV2_AWS_41"], topics=["iam"])


def _check_monitoring(res: Res, cfg: dict, report) -> None:
    if res.type == INSTANCE and res.get("launchTemplate") is not None:
        return
    value = res.get("monitoring")
    if isinstance(value, dict):
        value = value.get("enabled")
    if value is None or is_false(value):
        report(f"'{res.name}' does not enable detailed (1-minute) CloudWatch monitoring.")


detailed_monitoring = resource_policy(
    "rustfs-ec2-instance-require-detailed-monitoring",
    "Instances and launch templates enable detailed CloudWatch monitoring.",
    severity=Severity.LOW, types=COMPUTE, check=_check_monitoring,
    checks=["CKV_AWS_126", "awsguard:ec2-instance-detailed-monitoring-enabled"], topics=["logging"])


def _check_ebs_optimized(res: Res, cfg: dict, report) -> None:
    value = res.get("ebsOptimized")
    if value is not None and not is_unknown(value) and not _truthy(value):
        report(f"'{res.name}' disables EBS optimisation: RustFS drive traffic would share the network link.")


ebs_optimized = resource_policy(
    "rustfs-ec2-instance-require-ebs-optimized",
    "Instances and launch templates do not disable EBS optimisation.",
    severity=Severity.LOW, types=COMPUTE, check=_check_ebs_optimized, checks=["CKV_AWS_135"],
    topics=["performance"])


def _allowed_families_default() -> list[str]:
    from rustfs_model.catalogue import families

    return sorted(families())


def _instance_types(res: Res) -> list[str]:
    found = [res.get("instanceType")]
    if res.type == ASG:
        found += [o.get("instanceType") for o in items(res.props, "mixedInstancesPolicy", "launchTemplate",
                                                            "overrides") if isinstance(o, dict)]
    return [t for t in found if isinstance(t, str)]


def _check_families(res: Res, cfg: dict, report) -> None:
    allowed = set(cfg["allowedFamilies"])
    for instance_type in _instance_types(res):
        family = instance_type.split(".")[0]
        if family not in allowed:
            report(f"'{res.name}' uses instance type {instance_type}; family {family} is not in the allowed "
                   f"list ({', '.join(sorted(allowed))}).")


instance_families = resource_policy(
    "rustfs-ec2-instance-require-allowed-family",
    "Instance types come from the allowed families (the storage instance catalogue by default).",
    severity=Severity.MEDIUM, types=[*COMPUTE, ASG], check=_check_families, topics=["cost"],
    config={"allowedFamilies": {"type": "array", "items": {"type": "string"},
                                "default": _allowed_families_default()}})


# ---- Auto Scaling ----

def _check_asg_health(res: Res, cfg: dict, report) -> None:
    target_groups = res.get("targetGroupArns")
    if not (isinstance(target_groups, list) and target_groups):
        return
    check_type = res.get("healthCheckType")
    if cfg["storageNodeTag"] in own_tags(res):
        # RustFS answers 503 on /health/ready on every node while the cluster lacks quorum: with ELB health
        # checks an AZ outage would make Auto Scaling terminate the healthy survivors too.
        if check_type == "ELB":
            report(f"Auto Scaling group '{res.name}' runs a RustFS storage node and uses ELB health checks; "
                   "use healthCheckType='EC2': /health/ready fails on every node while quorum is lost, and "
                   "ELB checks would then replace all nodes at once.")
    elif check_type in (None, "EC2"):
        report(f"Auto Scaling group '{res.name}' serves a load balancer but uses EC2 health checks; "
               "use healthCheckType='ELB' so an instance failing its target health check is replaced.")


asg_elb_health = resource_policy(
    "rustfs-autoscaling-group-require-elb-health-check",
    "Auto Scaling groups behind a load balancer use ELB health checks, except RustFS storage nodes, which "
    "must use EC2 health checks (readiness fails cluster-wide without quorum).",
    severity=Severity.LOW, types=[ASG], check=_check_asg_health, checks=["CKV2_AWS_15"],
    topics=["resilience"],
    config={"storageNodeTag": {"type": "string", "default": "rustfs:node"}})


def _second_instance_reasons(res: Res) -> list[str]:
    """Ways a group could run two instances at once, from its inputs (unknown values: no finding)."""
    reasons = [f"{key}={value:g}" for key in ("minSize", "maxSize", "desiredCapacity")
               if (value := known_num(res.get(key))) is not None and value > 1]
    warm_pool = res.get("warmPool")
    if isinstance(warm_pool, dict):
        reasons.append("a warm pool (its instances run the user data too)")
    # Above 100 % Auto Scaling launches the replacement before it terminates the old instance.
    for path in (("instanceMaintenancePolicy", "maxHealthyPercentage"),
                 ("instanceRefresh", "preferences", "maxHealthyPercentage")):
        value = known_num(res.get(*path))
        if value is not None and value > 100:
            reasons.append(f"{'.'.join(path)}={value:g} (launch before terminate)")
    if is_true(res.get("capacityRebalance")):
        reasons.append("capacityRebalance=true (launches a replacement before terminating)")
    return reasons


def _check_single_storage_node(res: Res, cfg: dict, report) -> None:
    if cfg["storageNodeTag"] not in own_tags(res):
        return
    reasons = _second_instance_reasons(res)
    if reasons:
        report(f"Auto Scaling group '{res.name}' runs a RustFS storage node but could run two instances at once "
               f"({'; '.join(reasons)}): both would claim the node's volumes and DNS name. One node is one group "
               "of min=max=desired=1, maxHealthyPercentage <= 100, no warm pool.")


single_storage_node = resource_policy(
    "rustfs-autoscaling-group-require-single-storage-node-instance",
    "An Auto Scaling group of a RustFS storage node never runs two instances at once (min, max and desired "
    "capacity 1, no warm pool, no launch-before-terminate): two instances would claim the same volumes.",
    severity=Severity.HIGH, types=[ASG], check=_check_single_storage_node, topics=["resilience", "rustfs"],
    config={"storageNodeTag": {"type": "string", "default": "rustfs:node"}},
    remediation="min_size=1, max_size=1, desired_capacity=1, instance_maintenance_policy max_healthy_percentage=100")


def _check_volume_in_use(resources: list[Res], cfg: dict, report) -> None:
    attachments = [r for r in resources if r.type == VOLUME_ATTACHMENT]
    for volume in (r for r in resources if r.type == VOLUME):
        tags = volume.get("tags")
        if isinstance(tags, dict) and cfg["attachedByTag"] in tags:
            continue  # attached at boot by the node bootstrap (self-healing nodes re-attach their drives)
        if not any(a.refers_to("volumeId", volume) for a in attachments):
            report(f"Volume '{volume.name}' is attached by no VolumeAttachment and is not tagged "
                   f"{cfg['attachedByTag']} for boot-time attachment.", volume.urn)


volume_in_use = stack_policy(
    "rustfs-ebs-volume-require-attachment",
    "Every EBS volume is attached (VolumeAttachment) or tagged for boot-time attachment by a RustFS node.",
    severity=Severity.LOW, types=[VOLUME, VOLUME_ATTACHMENT], check=_check_volume_in_use,
    checks=["awsguard:ec2-volume-inuse"], topics=["cost"],
    config={"attachedByTag": {"type": "string", "default": "rustfs:node"}})

POLICIES = [imdsv2, no_public_ip, block_device_encryption, volume_encryption, snapshot_copy_encryption,
            ebs_default_encryption, volume_type, no_multi_attach, user_data_secrets, user_data_size, instance_profile,
            detailed_monitoring, ebs_optimized, instance_families, asg_elb_health, single_storage_node,
            volume_in_use]
