"""The RustFS nodes on EC2: stable identities, self-healing instances, data volumes that outlive them.

Self-healing design (chosen): every node is its own Auto Scaling group of exactly one instance, pinned to
the node's subnet (so its AZ), launched from the node's launch template. The node's identity - its DNS name,
its AZ and its EBS data volumes (tagged ``rustfs:cluster``/``rustfs:node``/``rustfs:drive``) - belongs to the
stack, not to the instance. When EC2 status checks fail or the instance disappears, the group launches a
replacement in the same subnet; its boot runs the take-over step (``bootstrap/takeover.py``): find this
node's volumes by tag, wait while a dead predecessor still holds them, attach them, point the node's DNS
record at itself, map volume ids to NVMe devices, adopt the already-formatted drives (``prepare-disks``
never formats a drive that carries this node's label) and start RustFS, which rejoins with the same name
and drives (rustfs/rustfs#7974: name or drive order changes after format break the cluster).

Rejected alternative: one Auto Scaling group for all nodes (or EC2 Auto Recovery on plain instances).
A shared group balances instances across AZs by its own rules and gives a replacement no identity - it
could come up in another AZ than the dead node's volumes, or two replacements could race for one node's
name. Auto Recovery only covers host failures of a running instance, not termination, AZ-level capacity
loss or an operator's mistaken terminate. One group per node costs nothing extra and keeps identity,
AZ and volumes aligned by construction.

The groups use EC2 health checks, **not** the load balancer's: ``/health/ready`` is 503 on every node
while the cluster lacks quorum, and ELB health checks would then terminate every node at once.

A node that cannot become ready says so itself. First boot orders itself: a group waits for the secret
*versions* its node reads (not only their ARNs; the TLS versions exist only after the load balancer), its
volumes and the role's policy. At boot, ``node-bootstrap --boot`` retries what can become ready (secret
values, volume attachment, the DNS record, the release download) with exponential backoff for
``READY_TIMEOUT_SECONDS`` (20 min); when the boot unit fails for any reason (that bound, systemd's start
timeout, a crash) its ``OnFailure=`` unit (``rustfs-report-unhealthy``) calls ``autoscaling set-instance-health
Unhealthy`` on its own instance, ignoring the grace period, and the group replaces it. Permanent errors (a
refused drive, a checksum mismatch) are not reported: a replacement would hit them again. The health-check
grace (``BOOT_GRACE_SECONDS``) is longer than that bound, so until then only the node decides. Readiness
counts only this node's own prerequisites, never its peers or quorum: a cluster that lost quorum does not
replace its nodes (the same reason as the EC2-only health checks). Rejected: an instance that stays
"healthy" without RustFS (the old oneshot without retry), or a lifecycle hook that also needs a timeout and
a completion call from the node - the same call with more moving parts.

Data volumes are ``aws.ebs.Volume`` resources of the stack (not block-device mappings of the launch
template, which die with the instance). A change that would *replace* a data volume is refused, not
planned: in prod every data volume is ``protect``-ed, and the Pulumi engine fails a preview whose plan
replaces or deletes a protected resource (the refusal). Inputs that only matter at creation and would
otherwise force a replacement for no data reason (``kms_key_id``, ``encrypted``, ``snapshot_id``) are in
``ignore_changes``; the AZ is not ignored - a node whose AZ changes must fail loudly, not silently keep
volumes in the old AZ. Size, type, IOPS and throughput change in place (EBS ModifyVolume). In prod the
volumes are also ``retain_on_delete`` and take a final snapshot if they are ever deleted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from rustfs_aws.cluster.bootstrap.render import READY_TIMEOUT_SECONDS, NodeTelemetry, render_user_data_base64
from rustfs_aws.cluster.load_balancer import CONSOLE_PORT, S3_PORT
from rustfs_aws.cluster.user_data_size import node_user_data_params
from rustfs_aws.config import ClusterConfig
from rustfs_aws.tagging import PATCH_GROUP_TAG, resource_tags
from rustfs_model import catalogue
from rustfs_model.layout import Layout, Node, Pool, compute_layout, node_name, place_nodes, volumes_string

HTTPS_PORT = 443
ROOT_VOLUME_GIB = 30  # AL2023 + RustFS binary + logs; data never lands here (RequiresMountsFor in the unit)
ROOT_DEVICE = "/dev/xvda"  # Amazon Linux 2023 root device name
MAX_PER_AZ_GROUP = 7  # AWS: partition groups hold <= 7 partitions per AZ (spread: checked in config)
# EC2 health checks start only after the node's own boot bound has run out: until then the decision is the
# node's (rustfs-report-unhealthy reports it Unhealthy, ignoring this grace, when its boot fails).
BOOT_GRACE_SECONDS = READY_TIMEOUT_SECONDS + 300
# The AL2023 AMI by architecture (AL2023 User Guide, "Finding the AL2023 AMI": public SSM parameters).
AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
_RELEASE_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}


@dataclass(frozen=True)
class NodePlan:
    index: int  # 1-based, the number in the node's name and its rustfs:node tag
    name: str  # fully qualified DNS name
    az: str
    subnet_index: int  # index into the AZ list / private subnets

    @property
    def short(self) -> str:
        return self.name.split(".")[0]


@dataclass(frozen=True)
class ClusterPlan:
    nodes: tuple[NodePlan, ...]
    layout: Layout
    volumes: str  # RUSTFS_VOLUMES

    @property
    def names(self) -> list[str]:
        return [n.name for n in self.nodes]


def plan_cluster(cluster: ClusterConfig, azs: list[str]) -> ClusterPlan:
    """Node names, AZs (round-robin, ``layout.place_nodes``), the erasure layout and ``RUSTFS_VOLUMES``."""
    domain = cluster.domain
    placed = place_nodes(cluster.nodes, azs)
    nodes = tuple(NodePlan(i + 1, node_name(i + 1, domain), az, azs.index(az)) for i, az in enumerate(placed))
    pool = Pool(nodes=tuple(Node(n.name, n.az, cluster.drives_per_node, cluster.volume.size_gib) for n in nodes))
    return ClusterPlan(nodes=nodes, layout=compute_layout([pool]), volumes=volumes_string([pool], domain))


def partition_numbers(nodes: list[NodePlan]) -> dict[int, int]:
    """Partition (1-based) of each node inside its AZ's partition group: the k-th node of an AZ gets
    partition k (mod 7), so nodes of one AZ never share racks while there are at most 7 of them."""
    seen: Counter[str] = Counter()
    numbers = {}
    for n in nodes:
        numbers[n.index] = seen[n.az] % MAX_PER_AZ_GROUP + 1
        seen[n.az] += 1
    return numbers


def release_arch(instance_type: str) -> str:
    """Release asset architecture (x86_64 | aarch64) of an instance type; Graviton names contain a 'g'
    after the generation digit (m7g, c6gn, r8g); the catalogue is authoritative when it knows the type."""
    known = catalogue.instance_type(instance_type)
    if known is not None:
        return _RELEASE_ARCH[known.arch]
    family = instance_type.split(".")[0]
    digits = [i for i, c in enumerate(family) if c.isdigit()]
    graviton = bool(digits) and "g" in family[digits[0] + 1:]
    return "aarch64" if graviton else "x86_64"


@dataclass
class ClusterArgs:
    cluster_id: str  # StackConfig.name; the rustfs:cluster tag value
    stack: str
    region: str
    cluster: ClusterConfig
    plan: ClusterPlan
    subnet_ids: list[pulumi.Input[str]]  # private subnet per AZ, in the order the plan was made with
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    admin_cidrs: list[str]
    hosted_zone_id: pulumi.Input[str]
    data_key_arn: pulumi.Input[str]
    credentials_secret_arn: pulumi.Input[str]
    tls_secret_arns: dict[str, pulumi.Input[str]]  # node name -> secret ARN
    instance_profile_arn: pulumi.Input[str]
    load_balancer_security_group_id: pulumi.Input[str]
    target_group_arns: list[pulumi.Input[str]]
    server_domains: list[str]
    # The node role's policy: instances must not boot before it exists (their take-over step needs it).
    node_access: pulumi.Resource | None = None
    # The resources that make those secrets readable (SecretVersion): a node reads them as it boots, so its
    # group must not launch before they exist. The ARNs alone only order the groups after the Secrets.
    credentials_secret_version: pulumi.Resource | None = None
    tls_secret_versions: dict[str, pulumi.Resource] = field(default_factory=dict)  # node name -> version
    nat: bool = True  # a NAT gateway routes the private subnets to the internet
    protect: bool = False  # prod: data volumes protected, retained, final snapshot
    tags: dict[str, str] = field(default_factory=dict)
    telemetry: NodeTelemetry | None = None  # RustFS's OTLP settings toward the node collector; None: none
    # images.use: the SSM parameter the node image pipeline writes (components/images/pipeline.py); each launch
    # resolves its newest AMI. None: cluster.amiId, else the latest Amazon Linux 2023.
    image_parameter: str | None = None
    # hybrid.onPremCidrs (components/hybrid/settings.py): on-premises networks reaching RustFS on 9000 through the
    # VPN or Direct Connect, and the on-premises RustFS the nodes replicate to on 9000. Never the console.
    on_prem_cidrs: list[str] = field(default_factory=list)
    # encryption.sse: aws: the key RustFS's AWS KMS backend encrypts objects with (integrations/sse.py); None: no SSE.
    sse_key_arn: pulumi.Input[str] | None = None


class RustfsCluster(pulumi.ComponentResource):
    """``node_names``, ``security_group_id``, ``volume_ids`` (node name -> [volume id by drive]),
    ``group_names`` (node name -> ASG name), ``launch_templates``."""

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("rustfs:cluster:RustfsCluster", name, None, opts)
        self._name = name
        self._args = args
        c = args.cluster
        self.arch = release_arch(c.instance_type)
        self.security_group = self._security_group()
        self.security_group_id: pulumi.Output[str] = self.security_group.id
        image_id = f"resolve:ssm:{args.image_parameter}" if args.image_parameter else c.ami_id or aws.ssm.get_parameter(
            name=AL2023_PARAMETER.format(arch="arm64" if self.arch == "aarch64" else "x86_64"),
            opts=pulumi.InvokeOptions(parent=self)).value
        groups = self._placement_groups()
        partitions = partition_numbers(list(args.plan.nodes))

        self.volume_ids: dict[str, list[pulumi.Output[str]]] = {}
        self.group_names: dict[str, pulumi.Output[str]] = {}
        self.launch_templates: dict[str, aws.ec2.LaunchTemplate] = {}
        for node in args.plan.nodes:
            volumes = self._volumes(node)
            self.volume_ids[node.name] = [v.id for v in volumes]
            template = self._launch_template(node, image_id, groups.get(node.az), partitions[node.index])
            self.launch_templates[node.name] = template
            group = self._group(node, template, volumes)
            self.group_names[node.name] = group.name
        self.node_names = args.plan.names
        self.register_outputs({"nodeNames": self.node_names, "securityGroupId": self.security_group_id,
                               "volumeIds": self.volume_ids, "groupNames": self.group_names,
                               "rustfsVolumes": args.plan.volumes})

    # --- tags --------------------------------------------------------------------------------------

    def _base_tags(self, name: str) -> dict[str, str]:
        return resource_tags(self._args.tags, name, self._args.stack)

    def _node_tags(self, node: NodePlan) -> dict[str, str]:
        """Instance and network interface: the node they currently serve."""
        return {**self._base_tags(f"{self._args.cluster_id}-{node.short}"), "rustfs:cluster": self._args.cluster_id,
                "rustfs:node": str(node.index), "rustfs:node-name": node.name}

    def _drive_tags(self, node: NodePlan, drive: int) -> dict[str, str]:
        return {**self._node_tags(node), "Name": f"{self._args.cluster_id}-{node.short}-drive{drive}",
                "rustfs:drive": str(drive)}

    def _root_tags(self, node: NodePlan) -> dict[str, str]:
        # No rustfs:cluster / rustfs:node: the take-over step and the snapshot policy select data volumes by
        # those tags, and a root volume must match neither.
        return {**self._base_tags(f"{self._args.cluster_id}-{node.short}-root"), "rustfs:node-name": node.name,
                "rustfs:volume-role": "root"}

    # --- network -----------------------------------------------------------------------------------

    def _security_group(self) -> aws.ec2.SecurityGroup:
        """Ingress: 9000 from clients, the load balancer and peers; 9001 from admins and the load balancer
        (console only). Egress: 9000 to peers and HTTPS to the VPC endpoints, S3 (gateway endpoint) and,
        through NAT, GitHub releases and the Route 53 API (it has no VPC endpoint). No SSH: Session Manager.
        DNS (VPC+2), the instance metadata service and the Amazon Time Sync Service (169.254.169.123) are
        link-local services that security groups do not filter, so they need no rule."""
        a, name = self._args, self._name
        sg = aws.ec2.SecurityGroup(f"{name}-nodes", vpc_id=a.vpc_id,
                                   description="RustFS nodes: S3/internode 9000, console 9001, no SSH",
                                   tags=self._base_tags(f"{a.cluster_id}-nodes"),
                                   opts=pulumi.ResourceOptions(parent=self))
        rule_opts = pulumi.ResourceOptions(parent=sg)

        def ingress(key: str, port: int, description: str, **source) -> None:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-in-{key}", security_group_id=sg.id, ip_protocol="tcp", from_port=port, to_port=port,
                description=description, tags=self._base_tags(f"{a.cluster_id}-in-{key}"), opts=rule_opts,
                **source)

        def egress(key: str, port: int, description: str, **destination) -> None:
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-out-{key}", security_group_id=sg.id, ip_protocol="tcp", from_port=port, to_port=port,
                description=description, tags=self._base_tags(f"{a.cluster_id}-out-{key}"), opts=rule_opts,
                **destination)

        for i, cidr in enumerate(a.cluster.client_cidrs or [a.vpc_cidr]):
            ingress(f"s3-clients-{i}", S3_PORT, f"S3 from clients ({cidr})", cidr_ipv4=cidr)
        ingress("s3-lb", S3_PORT, "S3 and health checks from the load balancer",
                referenced_security_group_id=a.load_balancer_security_group_id)
        ingress("s3-peers", S3_PORT, "RustFS internode RPC from peer nodes", referenced_security_group_id=sg.id)
        for i, cidr in enumerate(a.on_prem_cidrs):
            ingress(f"s3-onprem-{i}", S3_PORT, f"S3 from on-premises ({cidr})", cidr_ipv4=cidr)
            egress(f"s3-onprem-{i}", S3_PORT, f"replication to the on-premises RustFS ({cidr})", cidr_ipv4=cidr)
        if a.cluster.console:
            for i, cidr in enumerate(a.admin_cidrs):
                ingress(f"console-admins-{i}", CONSOLE_PORT, f"console from administrators ({cidr})",
                        cidr_ipv4=cidr)
            ingress("console-lb", CONSOLE_PORT, "console and its health checks from the load balancer",
                    referenced_security_group_id=a.load_balancer_security_group_id)
        egress("s3-peers", S3_PORT, "RustFS internode RPC to peer nodes", referenced_security_group_id=sg.id)
        egress("https-vpc", HTTPS_PORT, "HTTPS to the VPC interface endpoints (SSM, EC2, KMS, Secrets Manager, "
               "logs, STS)", cidr_ipv4=a.vpc_cidr)
        s3 = aws.ec2.get_prefix_list(name=f"com.amazonaws.{a.region}.s3", opts=pulumi.InvokeOptions(parent=self))
        egress("https-s3", HTTPS_PORT, "HTTPS to S3 through the gateway endpoint (AL2023 package repositories)",
               prefix_list_id=s3.id)
        if a.nat:
            egress("https-nat", HTTPS_PORT, "HTTPS through NAT: the pinned RustFS release on GitHub and the "
                   "Route 53 API (no VPC endpoint exists for it)", cidr_ipv4="0.0.0.0/0")
        return sg

    def _placement_groups(self) -> dict[str, aws.ec2.PlacementGroup]:
        strategy = self._args.cluster.placement
        if strategy == "none":
            return {}
        per_az = Counter(n.az for n in self._args.plan.nodes)
        groups = {}
        for az, count in sorted(per_az.items()):
            extra = ({"partition_count": min(count, MAX_PER_AZ_GROUP)} if strategy == "partition"
                     else {"spread_level": "rack"})
            groups[az] = aws.ec2.PlacementGroup(
                f"{self._name}-{az}", strategy=strategy, tags=self._base_tags(f"{self._args.cluster_id}-{az}"),
                opts=pulumi.ResourceOptions(parent=self), **extra)
        return groups

    # --- per node ----------------------------------------------------------------------------------

    def _volumes(self, node: NodePlan) -> list[aws.ebs.Volume]:
        a, vol = self._args, self._args.cluster.volume
        opts = pulumi.ResourceOptions(parent=self, protect=a.protect, retain_on_delete=a.protect,
                                      ignore_changes=["kms_key_id", "encrypted", "snapshot_id"])
        return [
            aws.ebs.Volume(
                f"{self._name}-{node.short}-drive{d}", availability_zone=node.az, type=vol.type,
                size=vol.size_gib, iops=vol.iops, throughput=vol.throughput_mibps,
                encrypted=True, kms_key_id=a.data_key_arn, final_snapshot=a.protect,
                tags=self._drive_tags(node, d), opts=opts)
            for d in range(a.cluster.drives_per_node)
        ]

    def _user_data(self, node: NodePlan) -> pulumi.Output[str]:
        a, c = self._args, self._args.cluster
        return pulumi.Output.all(a.hosted_zone_id, a.credentials_secret_arn, a.tls_secret_arns[node.name],
                                 a.sse_key_arn).apply(
            # The same mapping config.parse measured against EC2's 16 KB limit (user_data_size.py).
            lambda v: render_user_data_base64(node_user_data_params(
                c, cluster_id=a.cluster_id, node_index=node.index, node_name=node.name, volumes=a.plan.volumes,
                arch=self.arch, region=a.region, server_domains=tuple(a.server_domains), hosted_zone_id=v[0],
                credentials_secret_arn=v[1], tls_secret_arn=v[2], telemetry=a.telemetry, sse_key_arn=v[3])))

    def _launch_template(self, node: NodePlan, image_id: pulumi.Input[str],
                         group: aws.ec2.PlacementGroup | None, partition: int) -> aws.ec2.LaunchTemplate:
        a = self._args
        placement = None
        if group is not None:
            placement = aws.ec2.LaunchTemplatePlacementArgs(
                group_name=group.name, partition_number=partition if a.cluster.placement == "partition" else None)
        tag_specs = [
            # The patch group selects the cluster's patch baseline (operations/patching.py); the instance only.
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="instance", tags={
                **self._node_tags(node), PATCH_GROUP_TAG: self._args.cluster_id}),
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="network-interface",
                                                       tags=self._node_tags(node)),
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="volume", tags=self._root_tags(node)),
        ]
        return aws.ec2.LaunchTemplate(
            f"{self._name}-{node.short}", name=f"{a.cluster_id}-{node.short}",
            description=f"RustFS node {node.name} ({node.az})",
            image_id=image_id, instance_type=a.cluster.instance_type, ebs_optimized="true",
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1,
                instance_metadata_tags="disabled"),
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=a.instance_profile_arn),
            network_interfaces=[aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                device_index=0, associate_public_ip_address="false", delete_on_termination="true",
                security_groups=[self.security_group.id])],
            block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=ROOT_DEVICE, ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=ROOT_VOLUME_GIB, volume_type="gp3", encrypted="true", kms_key_id=a.data_key_arn,
                    delete_on_termination="true"))],
            placement=placement, tag_specifications=tag_specs, user_data=self._user_data(node),
            update_default_version=True, tags=self._base_tags(f"{a.cluster_id}-{node.short}"),
            opts=pulumi.ResourceOptions(parent=self))

    def _group(self, node: NodePlan, template: aws.ec2.LaunchTemplate,
               volumes: list[aws.ebs.Volume]) -> aws.autoscaling.Group:
        a = self._args
        tags = [aws.autoscaling.GroupTagArgs(key=k, value=v, propagate_at_launch=True)
                for k, v in sorted(self._node_tags(node).items())]
        return aws.autoscaling.Group(
            f"{self._name}-{node.short}", name=f"{a.cluster_id}-{node.short}",
            min_size=1, max_size=1, desired_capacity=1,
            vpc_zone_identifiers=[a.subnet_ids[node.subnet_index]],
            # By name: known at preview (an id is not), so policies and the cost model can follow it.
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                name=template.name, version=template.latest_version.apply(str)),
            health_check_type="EC2", health_check_grace_period=BOOT_GRACE_SECONDS,
            target_group_arns=a.target_group_arns,
            # Terminate first, then launch: the replacement needs the volumes the old instance holds.
            instance_maintenance_policy=aws.autoscaling.GroupInstanceMaintenancePolicyArgs(
                min_healthy_percentage=0, max_healthy_percentage=100),
            enabled_metrics=["GroupInServiceInstances", "GroupPendingInstances", "GroupTerminatingInstances",
                             "GroupDesiredCapacity"],
            wait_for_capacity_timeout="15m", tags=tags,
            # Volumes, the role's policy and the secret values this node reads first on create; on destroy the
            # group (and its instance) goes before the volumes.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*volumes, *filter(None, [
                a.node_access, a.credentials_secret_version, a.tls_secret_versions.get(node.name)])]))
