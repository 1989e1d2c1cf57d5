"""The EKS cluster RustFS runs on: control plane, one managed node group per AZ, EBS CSI, the StorageClass.

Design: the control plane is pulumi-eks's ``eks.Cluster`` (a remote component: private endpoint unless the
stack lists public CIDRs, secrets encrypted with the stack's ``secrets`` key, every control-plane log type,
authentication mode ``API`` with one access entry for the operator role, a pinned version, no default node
group). Everything we decide ourselves is an ordinary resource here, visible to tests and to the policy
pack: the cluster and node roles (under the stack's permissions boundary), the launch template (IMDSv2 with
hop limit 1, encrypted root volume), one ``aws.eks.NodeGroup`` per AZ (EBS volumes are zonal: a node group
that spans AZs could replace a node in an AZ where its pod's volumes are not), the EKS Pod Identity agent
and EBS CSI add-ons with a role scoped to the stack's volumes and its data key, and the StorageClass.

Rejected alternatives: pulumi-eks's ``ManagedNodeGroup`` (another remote component: its launch template and
role would be invisible to the pack, and one per AZ would not make them visible); one node group across the
AZs (the managed group's rebalancing and scale-in may take a node from the AZ that holds a pod's volumes);
IRSA for the CSI driver (an OIDC provider per cluster, a trust policy per service account; Pod Identity
needs neither, EKS User Guide "Learn how EKS Pod Identity grants pods access to AWS services").

Snapshots: the StorageClass tags every volume the driver creates ``rustfs:cluster=<cluster>`` (EBS CSI
``tagSpecification_N`` parameters, aws-ebs-csi-driver docs/tagging.md "StorageClass Tagging"), the tag EC2
mode puts on its data volumes, so the DLM policy of ``cluster/snapshots.py`` selects them unchanged; the
driver's role may create a volume only with that tag, so no data volume escapes the schedule. DLM takes the
snapshots with its own role; the driver takes none (no VolumeSnapshotClass), so its role has no snapshot
permission. Rejected: CSI VolumeSnapshots (the snapshot controller and CRDs to install and run, one
VolumeSnapshot object per drive and run to schedule, retention to implement; DLM does all three).

The AWS Load Balancer Controller that builds the S3 Service's NLB is installed here too unless the stack says
it exists (``eks.loadBalancerController``; the chart, its values and its role's policy: load_balancer_controller.py).

Every node is tainted for RustFS (constants.py), so the cluster's own add-ons (CoreDNS, the EBS CSI
controller) are given the matching toleration, or they would stay Pending and the add-ons DEGRADED. The add-ons
whose pods are a Deployment (CoreDNS, the CSI controller) are created after the node groups: before any node
they never become ACTIVE. pulumi-eks keeps the VPC CNI and kube-proxy (DaemonSets: ACTIVE with no node).
The node groups are created and updated one AZ after the other (a rolling update never drains two AZs at once,
nor contends with another group for the PDB's one disruption).
The API endpoint is private by default: ``pulumi up`` must then run from inside the VPC (or over a VPN
into it) from one of ``network.adminCidrs``, which the cluster security group admits on 443.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from rustfs_aws.eks import load_balancer_controller as lbc
from rustfs_aws.eks.constants import (
    DEFAULT_NAMESPACE,
    S3_SERVICE_NAME,
    STORAGE_CLASS_NAME,
    STORAGE_NODE_LABEL_KEY,
    STORAGE_NODE_LABEL_VALUE,
    STORAGE_NODE_TAINT_EFFECT,
    STORAGE_NODE_TAINT_EFFECT_EKS_API,
    STORAGE_NODE_TAINT_KEY,
    STORAGE_NODE_TAINT_VALUE,
)
from rustfs_aws.security.iam_documents import STACK_TAG, service_trust
from rustfs_aws.tagging import resource_tags
from rustfs_model import catalogue

# Every control-plane log type (EKS User Guide, "Send control plane logs to CloudWatch Logs").
CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
# AWS managed policies of a managed node group's role (EKS User Guide, "Amazon EKS node IAM role"); the
# pull-only ECR policy is the least-privilege successor of AmazonEC2ContainerRegistryReadOnly.
NODE_MANAGED_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly"]
CLUSTER_MANAGED_POLICY = "AmazonEKSClusterPolicy"
# The cluster-admin access policy for the operator role (EKS User Guide, "Review access policy permissions").
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
EBS_CSI_SERVICE_ACCOUNT = ("kube-system", "ebs-csi-controller-sa")
# The EBS CSI driver tags every volume it creates with this key (aws-ebs-csi-driver, docs/tagging.md).
EBS_CSI_CLUSTER_TAG = "ebs.csi.aws.com/cluster"
# The data volumes' cluster tag, as in EC2 mode (storage_nodes.py): the DLM policy (cluster/snapshots.py)
# snapshots every volume carrying it with the cluster's name.
VOLUME_CLUSTER_TAG = "rustfs:cluster"
# AL2023 EKS AMIs boot from /dev/xvda (EKS User Guide, "Customize managed nodes with launch templates").
ROOT_DEVICE = "/dev/xvda"
ROOT_VOLUME_GIB = 50
_AMI_TYPES = {"x86_64": "AL2023_x86_64_STANDARD", "arm64": "AL2023_ARM_64_STANDARD"}


@dataclass
class EksPlatformArgs:
    name: str  # StackConfig.name: the cluster's name and the prefix of every physical name
    stack: str
    region: str
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    kubernetes_version: str
    instance_type: str
    node_counts: dict[str, int]  # AZ name -> RustFS nodes in it (layout.place_nodes)
    subnet_ids: dict[str, pulumi.Input[str]]  # AZ name -> private subnet
    vpc_id: pulumi.Input[str]
    admin_cidrs: list[str]  # may reach the Kubernetes API on 443
    endpoint_public_cidrs: list[str]  # empty: private endpoint only
    permissions_boundary_arn: pulumi.Input[str]
    secrets_key_arn: pulumi.Input[str]  # Kubernetes Secrets envelope encryption
    data_key_arn: pulumi.Input[str]  # root and data volumes
    operator_role_arn: pulumi.Input[str] | None = None  # cluster admin through an access entry
    volume_type: str = "gp3"
    volume_iops: int = 3_000
    volume_throughput_mibps: int | None = 125
    # eks.loadBalancerController: "install" (the pinned chart, load_balancer_controller.py) or "existing"
    load_balancer_controller: str = "install"
    s3_namespace: str = DEFAULT_NAMESPACE  # the S3 Service the controller's role may build an NLB for
    tags: dict[str, str] = field(default_factory=dict)
    protect: bool = False


class EksPlatform(pulumi.ComponentResource):
    """Outputs: ``cluster_name``, ``kubernetes_provider`` (for the workload), ``storage_class_name``,
    ``node_group_names`` (AZ -> name), ``node_role``, ``ebs_csi_role`` and ``load_balancer_controller`` (the
    Helm release the S3 Service must wait for; None with an existing controller)."""

    def __init__(self, name: str, args: EksPlatformArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("rustfs:eks:EksPlatform", name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        itype = catalogue.instance_type(args.instance_type)
        arch = itype.arch if itype else ("arm64" if "g." in args.instance_type else "x86_64")
        self.cluster_name = args.name

        cluster_role = self._role("cluster", "eks.amazonaws.com", "EKS control plane")
        cluster_policies = [self._attach(cluster_role, "cluster", CLUSTER_MANAGED_POLICY)]
        # EKS encrypts Secrets with the key as the cluster role (EKS User Guide, "Encrypt Kubernetes secrets
        # with KMS on existing clusters": the role needs kms:Encrypt, Decrypt, DescribeKey, CreateGrant).
        cluster_policies.append(aws.iam.RolePolicy(
            f"{name}-cluster-secrets-key", role=cluster_role.id,
            policy=pulumi.Output.from_input(args.secrets_key_arn).apply(lambda arn: json.dumps({
                "Version": "2012-10-17", "Statement": [
                    {"Sid": "EnvelopeEncryptSecrets", "Effect": "Allow", "Resource": arn,
                     "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt"]},
                    {"Sid": "GrantForEncryption", "Effect": "Allow", "Action": "kms:CreateGrant", "Resource": arn,
                     "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}]})),
            opts=pulumi.ResourceOptions(parent=cluster_role)))

        api_sg = aws.ec2.SecurityGroup(
            f"{name}-api", name=f"{args.name}-eks-api", vpc_id=args.vpc_id,
            description=f"rustfs {args.stack}: Kubernetes API from the admin networks",
            tags=self._tags(f"{args.name}-eks-api"), opts=child)
        for i, cidr in enumerate(args.admin_cidrs):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-api-admin-{i}", security_group_id=api_sg.id, cidr_ipv4=cidr, ip_protocol="tcp",
                from_port=443, to_port=443, description="Kubernetes API from an admin network",
                tags=self._tags(f"{args.name}-eks-api-admin-{i}"), opts=pulumi.ResourceOptions(parent=api_sg))

        access_entries = {}
        if args.operator_role_arn is not None:
            access_entries["operator"] = eks.AccessEntryArgs(
                principal_arn=args.operator_role_arn, type=eks.AccessEntryType.STANDARD,
                access_policies={"cluster-admin": eks.AccessPolicyAssociationArgs(
                    policy_arn=f"arn:aws:eks::aws:cluster-access-policy/{CLUSTER_ADMIN_POLICY}",
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"))})
        storage_toleration = {"key": STORAGE_NODE_TAINT_KEY, "operator": "Equal", "value": STORAGE_NODE_TAINT_VALUE,
                              "effect": STORAGE_NODE_TAINT_EFFECT}
        self.cluster = eks.Cluster(
            f"{name}-cluster", name=args.name, version=args.kubernetes_version, vpc_id=args.vpc_id,
            subnet_ids=list(args.subnet_ids.values()), service_role=cluster_role,
            endpoint_private_access=True, endpoint_public_access=bool(args.endpoint_public_cidrs),
            public_access_cidrs=args.endpoint_public_cidrs or None,
            encryption_config_key_arn=args.secrets_key_arn, enabled_cluster_log_types=CONTROL_PLANE_LOG_TYPES,
            authentication_mode=eks.AuthenticationMode.API, access_entries=access_entries,
            skip_default_node_group=True, create_instance_role=False, create_oidc_provider=False,
            cluster_security_group=api_sg, deletion_protection=args.protect,
            # The VPC CNI enforces the workload's NetworkPolicy, and tags the ENIs it creates with the stack
            # tag: the permissions boundary denies attaching ENIs without it (iam_documents.EC2_ON_EXISTING).
            vpc_cni_options=eks.VpcCniOptionsArgs(enable_network_policy=True, configuration_values={
                "env": {"ADDITIONAL_ENI_TAGS": json.dumps({STACK_TAG: args.stack})}}),
            # CoreDNS is ours, after the node groups: pulumi-eks would create it inside the cluster component,
            # before any node exists, where its Deployment stays Pending and the add-on DEGRADED until the
            # create times out after 20 minutes - while our node groups wait for that component
            # (pulumi/pulumi-eks#1819). Off here, then an aws.eks.Addon below.
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            # Its default node security group (and the rule from it to the API group) would belong to no
            # node: managed nodes get the cluster security group EKS creates.
            skip_default_security_groups=True,
            tags=self._tags(args.name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=cluster_policies,
                                        providers=[p for p in [opts and opts.provider] if p]))
        cluster_ready = pulumi.ResourceOptions(parent=self, depends_on=[self.cluster])

        self.node_role = self._role("eks-node", "ec2.amazonaws.com", "EKS storage nodes")
        node_policies = [self._attach(self.node_role, "eks-node", p) for p in NODE_MANAGED_POLICIES]
        template = self._launch_template(arch)
        self.node_group_names: dict[str, pulumi.Output[str]] = {}
        groups = []
        for i, (az, count) in enumerate(sorted(args.node_counts.items())):
            group = aws.eks.NodeGroup(
                f"{name}-nodes-{i + 1}", cluster_name=self.cluster_name, node_group_name=f"{args.name}-{az}",
                node_role_arn=self.node_role.arn, subnet_ids=[args.subnet_ids[az]],
                instance_types=[args.instance_type], ami_type=_AMI_TYPES[arch], capacity_type="ON_DEMAND",
                version=args.kubernetes_version,
                # Fixed size: a RustFS pod and its volumes belong to one node of this AZ; nothing scales here.
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(desired_size=count, min_size=count,
                                                                  max_size=count),
                update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=template.id,
                                                                    version=template.latest_version.apply(str)),
                labels={STORAGE_NODE_LABEL_KEY: STORAGE_NODE_LABEL_VALUE},
                taints=[aws.eks.NodeGroupTaintArgs(key=STORAGE_NODE_TAINT_KEY, value=STORAGE_NODE_TAINT_VALUE,
                                                   effect=STORAGE_NODE_TAINT_EFFECT_EKS_API)],
                tags=self._tags(f"{args.name}-{az}"),
                # One AZ after the other (creates and, what matters, rolling updates): each group drains a node
                # at a time, but parallel groups would all evict RustFS pods against one PDB (one pod down) and
                # EKS fails a node update whose evictions are refused for 15 minutes (PodEvictionFailure; EKS
                # User Guide, "Understand each phase of node updates").
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster, *node_policies, *groups[-1:]]))
            self.node_group_names[az] = group.node_group_name
            groups.append(group)

        pod_identity_agent = aws.eks.Addon(
            f"{name}-pod-identity-agent", cluster_name=self.cluster_name, addon_name="eks-pod-identity-agent",
            resolve_conflicts_on_create="OVERWRITE",
            # The agent's DaemonSet has no default toleration (aws/containers-roadmap#2261): without this it runs
            # on no storage node, and the CSI controller there gets no credentials.
            configuration_values=json.dumps({"tolerations": [storage_toleration]}),
            tags=self._tags(f"{args.name}-pod-identity-agent"),
            # After the nodes: an add-on is ACTIVE as soon as its DaemonSet has nothing to run, so only with the
            # nodes in place does its health say whether its pods can run on them.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster, *groups]))
        self.coredns = aws.eks.Addon(
            f"{name}-coredns", cluster_name=self.cluster_name, addon_name="coredns",
            # EKS installs a self-managed CoreDNS at cluster creation (bootstrapSelfManagedAddons, pulumi-eks's
            # default): the add-on adopts it.
            resolve_conflicts_on_create="OVERWRITE",
            configuration_values=json.dumps({"tolerations": [storage_toleration]}),
            tags=self._tags(f"{args.name}-coredns"),
            # A Deployment: with no node to run on it never becomes ACTIVE (see the cluster above).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster, *groups]))
        self.ebs_csi_role, association = self._pod_identity_role(
            "ebs-csi", EBS_CSI_SERVICE_ACCOUNT, "EBS CSI driver controller",
            lambda v: ebs_csi_policy(partition=v[0], region=args.region, account_id=v[1], stack=args.stack,
                                     cluster_id=args.name, data_key_arn=v[2]), cluster_ready)
        ebs_csi = aws.eks.Addon(
            f"{name}-ebs-csi-driver", cluster_name=self.cluster_name, addon_name="aws-ebs-csi-driver",
            resolve_conflicts_on_create="OVERWRITE",
            # The controller runs on the (tainted) storage nodes; the node plugin must run on every one of them.
            configuration_values=json.dumps({"controller": {"tolerations": [storage_toleration]},
                                             "node": {"tolerateAllTaints": True}}),
            tags=self._tags(f"{args.name}-ebs-csi-driver"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster, pod_identity_agent, association,
                                                                 *groups]))

        self.kubernetes_provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=self.cluster.kubeconfig_json, enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster]))
        self.storage_class = self._storage_class(ebs_csi)
        self.storage_class_name = STORAGE_CLASS_NAME
        self.load_balancer_controller = None
        if args.load_balancer_controller == "install":
            self.load_balancer_controller = self._load_balancer_controller(
                storage_toleration, cluster_ready, [pod_identity_agent, *groups])
        self.register_outputs({"clusterName": self.cluster_name, "storageClassName": STORAGE_CLASS_NAME,
                               "nodeGroupNames": self.node_group_names, "nodeRoleArn": self.node_role.arn,
                               "ebsCsiRoleArn": self.ebs_csi_role.arn})

    # --- pieces ---------------------------------------------------------------------------------

    def _role(self, purpose: str, service: str, what: str) -> aws.iam.Role:
        """A service role under the boundary; no source conditions: neither EC2 nor the EKS control plane
        sends aws:SourceAccount on AssumeRole (iam_documents.service_trust, rustfs_model.service_context)."""
        a = self._args
        return aws.iam.Role(
            f"{self._name}-{purpose}", name=f"{a.name}-{purpose}",
            assume_role_policy=json.dumps(service_trust(service)),
            description=f"rustfs {a.stack}: {what}", permissions_boundary=a.permissions_boundary_arn,
            tags=self._tags(f"{a.name}-{purpose}"), opts=pulumi.ResourceOptions(parent=self))

    def _attach(self, role: aws.iam.Role, purpose: str, policy: str) -> aws.iam.RolePolicyAttachment:
        return aws.iam.RolePolicyAttachment(
            f"{self._name}-{purpose}-{policy}", role=role.name,
            policy_arn=pulumi.Output.concat("arn:", self._args.partition, ":iam::aws:policy/", policy),
            opts=pulumi.ResourceOptions(parent=role))

    def _launch_template(self, arch: str) -> aws.ec2.LaunchTemplate:
        a = self._args
        stack_tags = self._tags(f"{a.name}-eks-node")
        return aws.ec2.LaunchTemplate(
            f"{self._name}-nodes", name=f"{a.name}-eks-nodes",
            description=f"rustfs {a.stack}: EKS storage nodes ({arch}; the AMI is EKS's, by ami_type)",
            # Hop limit 1: no pod reaches the node role through IMDS. Nothing on these nodes needs it: the EBS
            # CSI driver gets its role from EKS Pod Identity (EKS User Guide, "Restrict access to the instance
            # profile assigned to the worker node").
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1,
                instance_metadata_tags="disabled"),
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=ROOT_DEVICE, ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=ROOT_VOLUME_GIB, volume_type="gp3", encrypted="true", kms_key_id=a.data_key_arn,
                    delete_on_termination="true"))],
            # The stack tag on instances and root volumes: the permissions boundary lets the CSI driver
            # attach volumes only to instances of this stack.
            tag_specifications=[aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=stack_tags)
                                for kind in ("instance", "volume", "network-interface")],
            tags=stack_tags, opts=pulumi.ResourceOptions(parent=self))

    def _pod_identity_role(self, purpose: str, service_account: tuple[str, str], what: str, document,
                           opts: pulumi.ResourceOptions) -> tuple[aws.iam.Role, aws.eks.PodIdentityAssociation]:
        """A role under the boundary that only EKS Pod Identity may assume, for this cluster's one service account,
        its inline policy ``document([partition, account_id, data_key_arn, vpc_id])``, and the association binding
        it to the service account.

        The trust conditions on the session tags Pod Identity sets when it assumes the role (EKS User Guide,
        "Create IAM role with trust policy required by EKS Pod Identity", Setting Conditions, and "List of session
        tags added by EKS Pod Identity": eks-cluster-arn, kubernetes-namespace, kubernetes-service-account; the
        association keeps them on, disableSessionTags false). Not on aws:SourceArn: no EKS page says what
        value Pod Identity sends there, and a condition that never matches leaves the driver without credentials."""
        a = self._args
        cluster_arn = pulumi.Output.concat("arn:", a.partition, ":eks:", a.region, ":", a.account_id, ":cluster/",
                                           a.name)
        trust = {"Version": "2012-10-17", "Statement": [{
            "Sid": "EksPodIdentity", "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringEquals": {
                "aws:SourceAccount": a.account_id, "aws:RequestTag/eks-cluster-arn": cluster_arn,
                "aws:RequestTag/kubernetes-namespace": service_account[0],
                "aws:RequestTag/kubernetes-service-account": service_account[1]}}}]}
        role = aws.iam.Role(
            f"{self._name}-{purpose}", name=f"{a.name}-{purpose}", assume_role_policy=pulumi.Output.json_dumps(trust),
            description=f"rustfs {a.stack}: {what} (EKS Pod Identity)",
            permissions_boundary=a.permissions_boundary_arn, tags=self._tags(f"{a.name}-{purpose}"),
            opts=pulumi.ResourceOptions(parent=self))
        policy = pulumi.Output.all(a.partition, a.account_id, a.data_key_arn, a.vpc_id).apply(
            lambda v: json.dumps(document(v)))
        aws.iam.RolePolicy(f"{self._name}-{purpose}", role=role.id, policy=policy,
                           opts=pulumi.ResourceOptions(parent=role))
        association = aws.eks.PodIdentityAssociation(
            f"{self._name}-{purpose}", cluster_name=self.cluster_name, namespace=service_account[0],
            service_account=service_account[1], role_arn=role.arn, tags=self._tags(f"{a.name}-{purpose}"),
            opts=opts)
        return role, association

    def _load_balancer_controller(self, toleration: dict, cluster_ready: pulumi.ResourceOptions,
                                  after: list[pulumi.Resource]) -> k8s.helm.v3.Release:
        """The pinned chart in kube-system, its service account bound to a role for the S3 Service's NLB only."""
        a = self._args
        self.load_balancer_controller_role, association = self._pod_identity_role(
            "lb-controller", lbc.SERVICE_ACCOUNT, "AWS Load Balancer Controller (the S3 Service's NLB)",
            lambda v: lbc.controller_policy(partition=v[0], region=a.region, account_id=v[1], cluster=a.name,
                                            vpc_id=v[3], namespace=a.s3_namespace, service=S3_SERVICE_NAME),
            cluster_ready)
        values = pulumi.Output.from_input(a.vpc_id).apply(lambda vpc: lbc.chart_values(
            cluster=a.name, region=a.region, vpc_id=vpc, stack=a.stack, tolerations=[toleration]))
        return k8s.helm.v3.Release(
            f"{self._name}-lb-controller", name=lbc.CHART, chart=lbc.CHART, version=lbc.CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=lbc.CHART_REPOSITORY),
            namespace=lbc.SERVICE_ACCOUNT[0], values=values,
            # Roll back a failed install or upgrade instead of leaving a half-applied controller.
            atomic=True, cleanup_on_fail=True, timeout=600,
            # After its credentials exist and with nodes to run on (its pods would otherwise start without them).
            opts=pulumi.ResourceOptions(parent=self, provider=self.kubernetes_provider,
                                        depends_on=[association, *after]))

    def _storage_class(self, ebs_csi: aws.eks.Addon) -> k8s.storage.v1.StorageClass:
        a = self._args
        parameters = {"type": a.volume_type, "iops": str(a.volume_iops), "encrypted": "true",
                      "kmsKeyId": a.data_key_arn, "csi.storage.k8s.io/fstype": "xfs",
                      **storage_class_tags(a.stack, a.name)}
        if a.volume_type == "gp3" and a.volume_throughput_mibps:
            parameters["throughput"] = str(a.volume_throughput_mibps)
        return k8s.storage.v1.StorageClass(
            f"{self._name}-storage-class", metadata=k8s.meta.v1.ObjectMetaArgs(name=STORAGE_CLASS_NAME),
            provisioner="ebs.csi.aws.com", parameters=parameters, volume_binding_mode="WaitForFirstConsumer",
            reclaim_policy="Retain", allow_volume_expansion=True,
            opts=pulumi.ResourceOptions(parent=self, provider=self.kubernetes_provider, depends_on=[ebs_csi]))

    def _tags(self, name: str) -> dict[str, str]:
        return resource_tags(self._args.tags, name, self._args.stack)


def storage_class_tags(stack: str, cluster_id: str) -> dict[str, str]:
    """The StorageClass's ``tagSpecification_N`` parameters: the driver tags every volume it creates with
    each ``key=value`` (aws-ebs-csi-driver docs/tagging.md). The stack tag lets the driver's role (and the
    boundary) act on these volumes only; the cluster tag puts them under the DLM snapshot policy."""
    tags = {STACK_TAG: stack, VOLUME_CLUSTER_TAG: cluster_id}
    return {f"tagSpecification_{i}": f"{k}={v}" for i, (k, v) in enumerate(tags.items(), start=1)}


def ebs_csi_policy(*, partition: str, region: str, account_id: str, stack: str, cluster_id: str,
                   data_key_arn: str) -> dict:
    """The EBS CSI controller's permissions (aws-ebs-csi-driver docs/example-iam-policy.json and the AWS
    managed AmazonEBSCSIDriverPolicy), narrowed to volumes carrying this stack's tag, instances of this
    stack, and the data key for encrypted volumes (EBS CSI docs, "KMS key permissions"). A volume may only be
    created with the stack and cluster tags in the request (the driver tags at creation, in CreateVolume's
    TagSpecifications; ec2:CreateTags is then authorised with ec2:CreateAction CreateVolume, EC2 User Guide
    "Grant permission to tag Amazon EC2 resources during creation"). No snapshot permission: DLM snapshots
    the volumes with its own role, and this driver has no VolumeSnapshotClass."""
    ec2 = f"arn:{partition}:ec2:{region}:{account_id}"
    ours = {"StringEquals": {f"aws:ResourceTag/{STACK_TAG}": stack}}
    via_ec2 = {"StringEquals": {"kms:ViaService": f"ec2.{region}.amazonaws.com"}}
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Describe", "Effect": "Allow", "Resource": "*",
         "Action": ["ec2:DescribeAvailabilityZones", "ec2:DescribeInstances", "ec2:DescribeTags",
                    "ec2:DescribeVolumes", "ec2:DescribeVolumesModifications"]},
        {"Sid": "CreateTaggedVolumes", "Effect": "Allow", "Action": "ec2:CreateVolume",
         "Resource": f"{ec2}:volume/*",
         "Condition": {"StringEquals": {f"aws:RequestTag/{STACK_TAG}": stack,
                                        f"aws:RequestTag/{VOLUME_CLUSTER_TAG}": cluster_id,
                                        f"aws:RequestTag/{EBS_CSI_CLUSTER_TAG}": "true"}}},
        {"Sid": "TagVolumesOnCreateOnly", "Effect": "Allow", "Action": "ec2:CreateTags",
         "Resource": f"{ec2}:volume/*", "Condition": {"StringEquals": {"ec2:CreateAction": "CreateVolume"}}},
        {"Sid": "OwnVolumesOnOwnInstances", "Effect": "Allow",
         "Action": ["ec2:AttachVolume", "ec2:DetachVolume"],
         "Resource": [f"{ec2}:volume/*", f"{ec2}:instance/*"], "Condition": ours},
        {"Sid": "ModifyAndDeleteOwnVolumes", "Effect": "Allow", "Action": ["ec2:DeleteVolume", "ec2:ModifyVolume"],
         "Resource": f"{ec2}:volume/*", "Condition": ours},
        {"Sid": "UseDataKeyThroughEc2", "Effect": "Allow", "Resource": data_key_arn, "Condition": via_ec2,
         "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:ReEncryptFrom", "kms:ReEncryptTo"]},
        {"Sid": "LetEc2GrantDataKeyToInstance", "Effect": "Allow", "Resource": data_key_arn,
         "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
         "Condition": {**via_ec2, "Bool": {"kms:GrantIsForAWSResource": "true"}}},
    ]}
