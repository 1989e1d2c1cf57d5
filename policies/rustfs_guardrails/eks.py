"""EKS clusters and node groups: aws.eks.* and the pulumi-eks remote components, checked by their inputs."""

from __future__ import annotations

from pulumi_policy import Severity

from ._kit import Res, aws, get, is_false, is_true, is_unknown, resource_policy, stack_policy

AWS_CLUSTER = aws("eks", "Cluster")
AWS_NODE_GROUP = aws("eks", "NodeGroup")
EKS_CLUSTER = "eks:index:Cluster"
EKS_MANAGED_NODE_GROUP = "eks:index:ManagedNodeGroup"
CLUSTERS = [AWS_CLUSTER, EKS_CLUSTER]
NODE_GROUPS = [AWS_NODE_GROUP, EKS_MANAGED_NODE_GROUP]
REQUIRED_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def _endpoint(res: Res) -> tuple[object, object]:
    """(endpointPublicAccess, publicAccessCidrs) with each type's default for a missing public flag."""
    if res.type == AWS_CLUSTER:
        vpc = res.get("vpcConfig")
        if is_unknown(vpc):
            return vpc, None
        vpc = vpc if isinstance(vpc, dict) else {}
        public = vpc.get("endpointPublicAccess")
        return (True if public is None else public), vpc.get("publicAccessCidrs")
    public = res.get("endpointPublicAccess")
    return (True if public is None else public), res.get("publicAccessCidrs")


def _check_endpoint(res: Res, cfg: dict, report) -> None:
    public, cidrs = _endpoint(res)
    if not is_true(public):
        return
    if cfg["allowPublicEndpointWithCidrs"] and isinstance(cidrs, list) and cidrs and \
            not any(c in ("0.0.0.0/0", "::/0") for c in cidrs):
        return
    if is_unknown(cidrs):
        return
    report(f"EKS cluster '{res.name}' API endpoint is public"
           f"{' to 0.0.0.0/0' if not cidrs or '0.0.0.0/0' in (cidrs or []) else ''}; set endpointPublicAccess "
           "false (reach it through the VPC) or restrict publicAccessCidrs.")


cluster_endpoint = resource_policy(
    "rustfs-eks-cluster-require-private-endpoint",
    "EKS API endpoints are private, or public only to restricted CIDRs.",
    severity=Severity.HIGH, types=CLUSTERS, check=_check_endpoint,
    checks=["CKV_AWS_39", "CKV_AWS_38", "EKS.1"], topics=["exposure"],
    config={"allowPublicEndpointWithCidrs": {"type": "boolean", "default": True}})


def _check_secrets_encryption(res: Res, cfg: dict, report) -> None:
    if res.type == EKS_CLUSTER:
        if res.get("encryptionConfigKeyArn") is None:
            report(f"EKS cluster '{res.name}' does not encrypt Kubernetes secrets (encryptionConfigKeyArn).")
        return
    config = res.get("encryptionConfig")
    if is_unknown(config):
        return
    resources = get(config, "resources") if isinstance(config, dict) else None
    key = get(config, "provider", "keyArn") if isinstance(config, dict) else None
    if not (isinstance(resources, list) and "secrets" in resources) or key is None:
        report(f"EKS cluster '{res.name}' does not envelope-encrypt secrets with a KMS key (encryptionConfig).")


cluster_secrets = resource_policy(
    "rustfs-eks-cluster-require-secrets-encryption",
    "EKS clusters envelope-encrypt Kubernetes secrets with a customer-managed KMS key.",
    severity=Severity.HIGH, types=CLUSTERS, check=_check_secrets_encryption, checks=["CKV_AWS_58", "EKS.3"],
    topics=["encryption"])


def _check_logs(res: Res, cfg: dict, report) -> None:
    enabled = res.get("enabledClusterLogTypes")
    if is_unknown(enabled):
        return
    missing = [t for t in cfg["requiredLogTypes"] if not isinstance(enabled, list) or t not in enabled]
    if missing:
        report(f"EKS cluster '{res.name}' does not send control-plane logs {', '.join(missing)}.")


cluster_logs = resource_policy(
    "rustfs-eks-cluster-require-control-plane-logs",
    "EKS clusters send the control-plane log types to CloudWatch.",
    severity=Severity.MEDIUM, types=CLUSTERS, check=_check_logs, checks=["CKV_AWS_37", "EKS.8"],
    topics=["logging"],
    config={"requiredLogTypes": {"type": "array", "items": {"type": "string"}, "default": REQUIRED_LOG_TYPES}})


def _check_component_nodes(res: Res, cfg: dict, report) -> None:
    if is_true(res.get("nodeAssociatePublicIpAddress")):
        report(f"EKS cluster '{res.name}' gives its default nodes public IP addresses.")
    if is_false(res.get("nodeRootVolumeEncrypted")):
        report(f"EKS cluster '{res.name}' leaves node root volumes unencrypted.")
    if res.get("nodePublicKey") is not None:
        report(f"EKS cluster '{res.name}' installs an SSH key on nodes; use SSM Session Manager.")


cluster_default_nodes = resource_policy(
    "rustfs-eks-cluster-restrict-default-nodes",
    "pulumi-eks cluster default nodes get no public IPs, encrypted root volumes and no SSH key.",
    severity=Severity.HIGH, types=[EKS_CLUSTER], check=_check_component_nodes,
    checks=["CKV_AWS_88", "CKV_AWS_8", "CKV_AWS_100"], topics=["exposure", "encryption"])


def _check_remote_access(res: Res, cfg: dict, report) -> None:
    access = res.get("remoteAccess")
    if isinstance(access, dict) and access.get("ec2SshKey") is not None:
        sources = access.get("sourceSecurityGroupIds")
        if not sources and not is_unknown(sources):
            report(f"Node group '{res.name}' opens SSH to 0.0.0.0/0 (remoteAccess without "
                   "sourceSecurityGroupIds).")
        else:
            report(f"Node group '{res.name}' enables SSH access; use SSM Session Manager instead.")


node_group_ssh = resource_policy(
    "rustfs-eks-nodegroup-disallow-ssh",
    "EKS node groups allow no SSH remote access.",
    severity=Severity.HIGH, types=NODE_GROUPS, check=_check_remote_access, checks=["CKV_AWS_100"],
    topics=["exposure"])


def _check_node_imds(res: Res, cfg: dict, report) -> None:
    flag = res.props.get("enableIMDSv2", res.props.get("enableImdSv2"))
    if res.get("launchTemplate") is None and not is_true(flag) and not is_unknown(flag):
        report(f"Managed node group '{res.name}' neither sets a launch template nor enableIMDSv2: nodes accept "
               "IMDSv1.")


node_group_imds = resource_policy(
    "rustfs-eks-managednodegroup-require-imdsv2",
    "pulumi-eks managed node groups require IMDSv2 (enableIMDSv2 or a launch template checked on its own).",
    severity=Severity.HIGH, types=[EKS_MANAGED_NODE_GROUP], check=_check_node_imds, checks=["CKV_AWS_79", "EC2.8"],
    topics=["exposure", "credentials"])

LAUNCH_TEMPLATE = aws("ec2", "LaunchTemplate")


def _template_of(group: Res, templates: list[Res]) -> Res | bool | None:
    """The group's template in the stack; True when a preview cannot tell yet (an unknown reference)."""
    ref = group.get("launchTemplate")
    refs = [get(ref, "id"), get(ref, "name")] if isinstance(ref, dict) else [ref]
    wanted = {v for v in refs if isinstance(v, str)}
    for t in templates:
        names = {v for v in (t.get("id"), t.get("name"), t.name) if isinstance(v, str)}
        if group.refers_to("launchTemplate", t) or wanted & names:
            return t
    return True if any(is_unknown(v) for v in refs) else None


def _check_node_group_templates(resources: list[Res], cfg: dict, report) -> None:
    templates = [r for r in resources if r.type == LAUNCH_TEMPLATE]
    for group in (r for r in resources if r.type == AWS_NODE_GROUP):
        if group.get("launchTemplate") is None:
            report(f"Managed node group '{group.name}' has no launch template: EKS generates one whose metadata "
                   "options, root volume encryption and tags this stack does not control or check.", group.urn)
        elif _template_of(group, templates) is None:
            report(f"Managed node group '{group.name}' uses a launch template that is not part of this stack, so "
                   "its IMDSv2 and encryption settings cannot be checked.", group.urn)


node_group_template = stack_policy(
    "rustfs-eks-nodegroup-require-stack-launch-template",
    "aws.eks.NodeGroup uses a launch template of this stack (checked by the IMDSv2 and encryption policies).",
    severity=Severity.HIGH, types=[AWS_NODE_GROUP, LAUNCH_TEMPLATE], check=_check_node_group_templates,
    checks=["CKV_AWS_79", "EC2.8"], topics=["exposure", "credentials", "encryption"])


def _check_storage_group_zone(res: Res, cfg: dict, report) -> None:
    labels = res.get("labels")
    if not isinstance(labels, dict) or cfg["storageNodeLabel"] not in labels:
        return
    subnets = res.get("subnetIds")
    if isinstance(subnets, list) and len(subnets) != 1:
        report(f"Storage node group '{res.name}' spans {len(subnets)} subnets: EBS volumes are zonal, so a node "
               "the group replaces or scales in another AZ cannot attach its pod's volumes; use one group per AZ.")


storage_node_group_zone = resource_policy(
    "rustfs-eks-nodegroup-require-single-az-storage-nodes",
    "Node groups of storage nodes (labelled for RustFS) have exactly one subnet: one group per AZ.",
    severity=Severity.HIGH, types=[AWS_NODE_GROUP], check=_check_storage_group_zone, topics=["resilience"],
    config={"storageNodeLabel": {"type": "string", "default": "rustfs.io/storage"}})

# --- VPC Lattice (eks.lattice shares the S3 endpoint through a service network) ------------------------------

SERVICE_NETWORK = aws("vpclattice", "ServiceNetwork")


def _check_service_network_auth(res: Res, cfg: dict, report) -> None:
    auth = res.get("authType")
    if is_unknown(auth):
        return
    if auth in (None, "NONE"):
        report(f"VPC Lattice service network '{res.name}' has auth type {auth or 'NONE (the default)'}: every client "
               "of every associated VPC may call every service in it unsigned; set authType AWS_IAM with an auth "
               "policy naming who may.")


service_network_auth = resource_policy(
    "rustfs-vpclattice-servicenetwork-require-iam-auth",
    "VPC Lattice service networks the stack creates use IAM auth (authType AWS_IAM), so their services answer "
    "only requests an auth policy allows.",
    severity=Severity.HIGH, types=[SERVICE_NETWORK], check=_check_service_network_auth,
    topics=["exposure", "network"])

POLICIES = [cluster_endpoint, cluster_secrets, cluster_logs, cluster_default_nodes, node_group_ssh,
            node_group_imds, node_group_template, storage_node_group_zone, service_network_auth]
