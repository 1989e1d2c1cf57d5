"""The EKS cluster half (components/eks/platform.py) over the recorded `eks` stack, and the `eks` config.

pulumi-eks's ``eks:index:Cluster`` is a remote component: it is tested by its inputs. Everything we build
ourselves (roles, launch template, node groups, add-ons, the StorageClass) is checked as AWS or Kubernetes
would see it; the EBS CSI role is evaluated, with the permissions boundary, against the calls the driver
really makes and against the ones it must not be able to make.
"""

from __future__ import annotations

import json
from functools import cache

import pytest
from iam_eval import Request, evaluate

from preflight.fake_eks import EksApiError, node_group
from preflight.runner import run_stack
from rustfs_aws.config import DEFAULT_EKS_VERSION, EKS_VERSIONS, ConfigError, parse
from rustfs_aws.eks import constants
from rustfs_aws.eks.platform import (
    CONTROL_PLANE_LOG_TYPES,
    EBS_CSI_CLUSTER_TAG,
    EBS_CSI_SERVICE_ACCOUNT,
    VOLUME_CLUSTER_TAG,
    ebs_csi_policy,
)
from rustfs_aws.security.iam_documents import STACK_TAG, permissions_boundary
from rustfs_model import layout

REGION, ACCOUNT = "us-east-1", "123456789012"
VOL, INSTANCE = f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume", f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance"
DATA_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/data"
CLUSTER = "rustfs-eks"  # StackConfig.name of the eks stack: the rustfs:cluster tag value


@cache
def eks_stack():
    return run_stack("eks")


def _one(token: str):
    return eks_stack().one(token)


def _doc(value) -> dict:
    return json.loads(value) if isinstance(value, str) else value


def test_cluster_inputs_private_encrypted_logged_api_auth_pinned():
    c = _one("eks:index:Cluster").inputs
    assert c["endpointPrivateAccess"] is True and c["endpointPublicAccess"] is False
    assert not c.get("publicAccessCidrs")
    keys = {r.name: r for r in eks_stack().of_type("aws:kms/key:Key")}
    assert c["encryptionConfigKeyArn"] == keys["rustfs-eks-keys-secrets"].outputs["arn"]
    assert sorted(c["enabledClusterLogTypes"]) == sorted(CONTROL_PLANE_LOG_TYPES)
    assert c["authenticationMode"] == "API"
    assert c["version"] == DEFAULT_EKS_VERSION == "1.35"
    assert c["skipDefaultNodeGroup"] is True and c["createOidcProvider"] is False
    assert c["createInstanceRole"] is False
    # The service role is ours (boundary, visible to the pack), passed by reference.
    roles = {r.urn: r for r in eks_stack().of_type("aws:iam/role:Role")}
    assert c["serviceRole"] in {r.outputs["id"] for r in roles.values()} | set(roles)
    assert c["vpcCniOptions"]["enableNetworkPolicy"] is True  # the workload's NetworkPolicy is enforced
    # pulumi-eks creates no CoreDNS (it would, before any node: pulumi/pulumi-eks#1819) and no node security group
    # that no node would carry.
    assert c["corednsAddonOptions"]["enabled"] is False and c["skipDefaultSecurityGroups"] is True


def test_operator_role_is_cluster_admin_through_an_access_entry():
    operator = {"rustfs-aws:security": {"operatorPrincipals": [f"arn:aws:iam::{ACCOUNT}:role/admins"]}}
    rec = run_stack("eks", overrides=operator)
    entries = rec.one("eks:index:Cluster").inputs["accessEntries"]
    role = next(r for r in rec.of_type("aws:iam/role:Role") if r.name.endswith("-iam-operator"))
    assert entries["operator"]["principalArn"] == role.outputs["arn"]
    policy = entries["operator"]["accessPolicies"]["cluster-admin"]
    assert policy["policyArn"].endswith(":cluster-access-policy/AmazonEKSClusterAdminPolicy")
    assert policy["accessScope"] == {"type": "cluster"}


def test_one_fixed_size_node_group_per_az_in_that_azs_subnet_labelled_and_tainted():
    rec = eks_stack()
    groups = rec.of_type("aws:eks/nodeGroup:NodeGroup")
    subnets = {s.outputs["id"]: s.inputs["availabilityZone"] for s in rec.of_type("aws:ec2/subnet:Subnet")}
    zones = [subnets[g.inputs["subnetIds"][0]] for g in groups]
    assert len(groups) == 3 and len(set(zones)) == 3
    cfg = rec.settings.config
    nodes = json.loads(cfg["rustfs-aws:cluster"])["nodes"]
    placed = layout.place_nodes(nodes, sorted(zones))
    for g, az in zip(groups, zones, strict=True):
        assert len(g.inputs["subnetIds"]) == 1  # EBS volumes are zonal
        s = g.inputs["scalingConfig"]
        assert s["minSize"] == s["desiredSize"] == s["maxSize"] == placed.count(az)
        assert g.inputs["labels"] == {constants.STORAGE_NODE_LABEL_KEY: constants.STORAGE_NODE_LABEL_VALUE}
        assert g.inputs["taints"] == [{"key": constants.STORAGE_NODE_TAINT_KEY,
                                       "value": constants.STORAGE_NODE_TAINT_VALUE, "effect": "NO_SCHEDULE"}]
        assert g.inputs["instanceTypes"] == [json.loads(cfg["rustfs-aws:cluster"])["instanceType"]]
        assert g.inputs["version"] == DEFAULT_EKS_VERSION
    assert sum(g.inputs["scalingConfig"]["desiredSize"] for g in groups) == nodes


def test_node_groups_roll_one_az_after_the_other_and_the_deployment_add_ons_wait_for_them():
    rec = eks_stack()
    groups = rec.of_type("aws:eks/nodeGroup:NodeGroup")
    # Each group waits for the one before it: Pulumi creates and updates them in that order, so a rolling update
    # drains one AZ at a time and never has two groups evicting against the one-pod PDB.
    for before, after in zip(groups, groups[1:], strict=False):
        assert before.urn in after.dependencies and after.urn not in before.dependencies
    addons = {a.inputs["addonName"]: a for a in rec.of_type("aws:eks/addon:Addon")}
    for name in ("coredns", "aws-ebs-csi-driver", "eks-pod-identity-agent"):
        assert {g.urn for g in groups} <= set(addons[name].dependencies), name


def test_launch_template_imdsv2_hop_1_encrypted_root_with_the_data_key():
    rec = eks_stack()
    template = rec.one("aws:ec2/launchTemplate:LaunchTemplate")
    for g in rec.of_type("aws:eks/nodeGroup:NodeGroup"):
        assert g.inputs["launchTemplate"]["id"] == template.outputs["id"]
        assert "diskSize" not in g.inputs
    md = template.inputs["metadataOptions"]
    assert md["httpTokens"] == "required" and md["httpPutResponseHopLimit"] == 1
    assert "iamInstanceProfile" not in template.inputs  # EKS refuses one in a managed group's template
    assert "imageId" not in template.inputs  # EKS picks the AMI by amiType
    (root,) = template.inputs["blockDeviceMappings"]
    keys = {r.name: r for r in rec.of_type("aws:kms/key:Key")}
    assert root["ebs"]["encrypted"] == "true" and root["ebs"]["kmsKeyId"] == keys["rustfs-eks-keys-data"].outputs["arn"]
    tagged = {t["resourceType"]: t["tags"] for t in template.inputs["tagSpecifications"]}
    assert all(tagged[kind][STACK_TAG] == "eks" for kind in ("instance", "volume", "network-interface"))


def test_every_role_under_the_boundary_node_role_with_managed_worker_policies():
    rec = eks_stack()
    boundary = rec.one("aws:iam/policy:Policy")
    eks_roles = [r for r in rec.of_type("aws:iam/role:Role") if r.name.startswith("rustfs-eks-eks-")]
    assert {r.name.removeprefix("rustfs-eks-eks-") for r in eks_roles} == {"cluster", "eks-node", "ebs-csi",
                                                                          "lb-controller"}
    assert all(r.inputs["permissionsBoundary"] == boundary.outputs["arn"] for r in eks_roles)
    node = next(r for r in eks_roles if r.name.endswith("eks-node"))
    attached = {a.inputs["policyArn"].rsplit("/", 1)[-1] for a in rec.of_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a.inputs["role"] == node.outputs["name"]}
    assert attached == {"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly"}


def test_ebs_csi_driver_uses_pod_identity_and_tolerates_the_storage_taint():
    rec = eks_stack()
    addons = {a.inputs["addonName"]: a for a in rec.of_type("aws:eks/addon:Addon")}
    assert set(addons) == {"eks-pod-identity-agent", "aws-ebs-csi-driver", "coredns"}
    association = next(a for a in rec.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                       if a.name.endswith("-ebs-csi"))
    role = next(r for r in rec.of_type("aws:iam/role:Role") if r.name.endswith("-ebs-csi"))
    assert (association.inputs["namespace"], association.inputs["serviceAccount"]) == EBS_CSI_SERVICE_ACCOUNT
    assert association.inputs["roleArn"] == role.outputs["arn"]
    trust = _doc(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    _assert_pod_identity_trust(trust, association)
    values = json.loads(addons["aws-ebs-csi-driver"].inputs["configurationValues"])
    assert {"key": constants.STORAGE_NODE_TAINT_KEY, "operator": "Equal", "value": constants.STORAGE_NODE_TAINT_VALUE,
            "effect": constants.STORAGE_NODE_TAINT_EFFECT} in values["controller"]["tolerations"]
    agent = json.loads(addons["eks-pod-identity-agent"].inputs["configurationValues"])
    assert agent["tolerations"] == values["controller"]["tolerations"]  # no default toleration (roadmap#2261)
    coredns = json.loads(addons["coredns"].inputs["configurationValues"])
    assert coredns["tolerations"] == values["controller"]["tolerations"]  # DNS must run on tainted nodes
    assert addons["coredns"].inputs["resolveConflictsOnCreate"] == "OVERWRITE"  # adopts EKS's self-managed one


def _assert_pod_identity_trust(trust: dict, association) -> None:
    """Only Pod Identity, for this cluster's one service account, by the session tags EKS documents; never
    aws:SourceArn, whose value for Pod Identity no EKS page states (a wrong guess denies every credential)."""
    condition = trust["Condition"]["StringEquals"]
    assert condition["aws:RequestTag/eks-cluster-arn"] == f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"
    assert (condition["aws:RequestTag/kubernetes-namespace"], condition["aws:RequestTag/kubernetes-service-account"]) \
        == (association.inputs["namespace"], association.inputs["serviceAccount"])
    assert "aws:SourceArn" not in json.dumps(trust) and condition["aws:SourceAccount"] == ACCOUNT
    assert not association.inputs.get("disableSessionTags")  # the tags the trust conditions on


def _csi(action, resource, **context):
    return Request(action, resource, tuple(context.items()), "")


@pytest.mark.parametrize(("request_", "allowed"), [
    (_csi("ec2:CreateVolume", f"{VOL}/*",
          **{f"aws:RequestTag/{STACK_TAG}": "eks", f"aws:RequestTag/{VOLUME_CLUSTER_TAG}": CLUSTER,
             "aws:RequestTag/ebs.csi.aws.com/cluster": "true"}), True),
    (_csi("ec2:CreateVolume", f"{VOL}/*",
          **{"aws:RequestTag/ebs.csi.aws.com/cluster": "true"}), False),  # a StorageClass without our tag
    # Without the cluster tag the volume would escape the DLM snapshots: refused.
    (_csi("ec2:CreateVolume", f"{VOL}/*",
          **{f"aws:RequestTag/{STACK_TAG}": "eks", "aws:RequestTag/ebs.csi.aws.com/cluster": "true"}), False),
    (_csi("ec2:CreateVolume", f"{VOL}/*",
          **{f"aws:RequestTag/{STACK_TAG}": "eks", f"aws:RequestTag/{VOLUME_CLUSTER_TAG}": "rustfs-prod",
             "aws:RequestTag/ebs.csi.aws.com/cluster": "true"}), False),
    (_csi("ec2:CreateTags", f"{VOL}/vol-1", **{"ec2:CreateAction": "CreateVolume"}), True),
    (_csi("ec2:CreateTags", f"{VOL}/vol-2", **{f"aws:ResourceTag/{STACK_TAG}": "eks"}), False),  # retagging
    (_csi("ec2:CreateTags", f"arn:aws:ec2:{REGION}:{ACCOUNT}:snapshot/snap-1",
          **{"ec2:CreateAction": "CreateSnapshot"}), False),  # DLM snapshots, with its own role
    (_csi("ec2:CreateSnapshot", f"{VOL}/vol-1", **{f"aws:ResourceTag/{STACK_TAG}": "eks"}), False),
    (_csi("ec2:AttachVolume", f"{VOL}/vol-1", **{f"aws:ResourceTag/{STACK_TAG}": "eks"}),
     True),
    (_csi("ec2:AttachVolume", f"{INSTANCE}/i-1", **{f"aws:ResourceTag/{STACK_TAG}": "eks"}),
     True),
    (_csi("ec2:AttachVolume", f"{VOL}/vol-2", **{f"aws:ResourceTag/{STACK_TAG}": "prod"}),
     False),
    (_csi("ec2:DeleteVolume", f"{VOL}/vol-2", **{f"aws:ResourceTag/{STACK_TAG}": "prod"}),
     False),
    (_csi("ec2:DeleteVolume", f"{VOL}/vol-1", **{f"aws:ResourceTag/{STACK_TAG}": "eks"}),
     True),
    (_csi("kms:CreateGrant", DATA_KEY, **{"kms:ViaService": f"ec2.{REGION}.amazonaws.com",
                                          "kms:GrantIsForAWSResource": "true",
                                          f"aws:ResourceTag/{STACK_TAG}": "eks"}), True),
    (_csi("kms:CreateGrant", DATA_KEY, **{"kms:ViaService": f"ec2.{REGION}.amazonaws.com",
                                          "kms:GrantIsForAWSResource": "false",
                                          f"aws:ResourceTag/{STACK_TAG}": "eks"}), False),
    (_csi("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/secrets",
          **{"kms:ViaService": f"ec2.{REGION}.amazonaws.com", f"aws:ResourceTag/{STACK_TAG}": "eks"}), False),
    (_csi("ec2:TerminateInstances", f"{INSTANCE}/i-1",
          **{f"aws:ResourceTag/{STACK_TAG}": "eks"}), False),
])
def test_ebs_csi_role_with_boundary_allows_the_drivers_calls_on_this_stack_only(request_, allowed):
    identity = ebs_csi_policy(partition="aws", region=REGION, account_id=ACCOUNT, stack="eks", cluster_id=CLUSTER,
                              data_key_arn=DATA_KEY)
    boundary = permissions_boundary(name="rustfs-eks", stack="eks", partition="aws")
    verdict = evaluate(request_, identity, boundary)
    assert verdict.allowed is allowed, (request_, verdict)


def test_recorded_ebs_csi_policy_is_the_scoped_document():
    rec = eks_stack()
    policy = next(p for p in rec.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("-ebs-csi"))
    keys = {r.name: r for r in rec.of_type("aws:kms/key:Key")}
    data_key = keys["rustfs-eks-keys-data"].outputs["arn"]
    expected = ebs_csi_policy(partition="aws", region=REGION, account_id=data_key.split(":")[4], stack="eks",
                              cluster_id=CLUSTER, data_key_arn=data_key)
    assert _doc(policy.inputs["policy"]) == expected
    assert not any(s["Resource"] == "*" for s in expected["Statement"] if s["Sid"] != "Describe")


def test_storage_class_from_cluster_volume_encrypted_xfs_retained_late_bound():
    rec = eks_stack()
    sc = rec.one("kubernetes:storage.k8s.io/v1:StorageClass")
    volume = json.loads(rec.settings.config["rustfs-aws:cluster"])["volume"]
    keys = {r.name: r for r in rec.of_type("aws:kms/key:Key")}
    assert sc.inputs["metadata"]["name"] == constants.STORAGE_CLASS_NAME
    assert sc.inputs["provisioner"] == "ebs.csi.aws.com"
    assert sc.inputs["parameters"] == {
        "type": volume["type"], "iops": str(volume["iops"]), "throughput": str(volume["throughputMiBps"]),
        "encrypted": "true", "kmsKeyId": keys["rustfs-eks-keys-data"].outputs["arn"],
        "csi.storage.k8s.io/fstype": "xfs", "tagSpecification_1": f"{STACK_TAG}=eks",
        "tagSpecification_2": f"{VOLUME_CLUSTER_TAG}={CLUSTER}"}
    assert sc.inputs["volumeBindingMode"] == "WaitForFirstConsumer"
    assert sc.inputs["reclaimPolicy"] == "Retain" and sc.inputs["allowVolumeExpansion"] is True
    provider = rec.one("pulumi:providers:kubernetes")
    assert sc.provider.startswith(provider.urn)  # never the deployer's ambient kubeconfig
    assert json.loads(provider.inputs["kubeconfig"])["users"][0]["user"]["exec"]["args"][:4] == [
        "eks", "get-token", "--cluster-name", "rustfs-eks"]


def test_no_ec2_mode_resources_on_eks():
    types = {r.type for r in eks_stack().resources}
    assert not types & {"aws:autoscaling/group:Group", "aws:lb/loadBalancer:LoadBalancer",
                        "aws:route53/zone:Zone", "aws:ebs/volume:Volume"}


def storage_class_volume_tags(parameters: dict) -> dict[str, str]:
    """What the EBS CSI driver tags a new volume with: every ``tagSpecification*`` parameter's ``key=value``
    (aws-ebs-csi-driver docs/tagging.md; the value may be empty, the key may not), plus its own cluster tag."""
    tags = {EBS_CSI_CLUSTER_TAG: "true"}
    for name, value in parameters.items():
        if name.startswith("tagSpecification"):
            key, sep, tag_value = value.partition("=")
            assert sep and key, f"{name}: {value!r} is no key=value pair; the driver refuses the volume"
            tags[key] = tag_value
    return tags


def test_every_volume_the_storage_class_creates_is_in_the_dlm_policys_target():
    rec = eks_stack()
    sc = rec.one("kubernetes:storage.k8s.io/v1:StorageClass")
    tags = storage_class_volume_tags(sc.inputs["parameters"])
    (policy,) = rec.of_type("aws:dlm/lifecyclePolicy:LifecyclePolicy")
    details = policy.inputs["policyDetails"]
    assert policy.inputs["state"] == "ENABLED" and details["resourceTypes"] == ["VOLUME"]
    target = details["targetTags"]
    assert target == {VOLUME_CLUSTER_TAG: CLUSTER}
    assert target.items() <= tags.items(), "DLM would snapshot none of the driver's volumes"
    # The driver's role creates exactly such volumes, and refuses one without the target tag.
    identity = ebs_csi_policy(partition="aws", region=REGION, account_id=ACCOUNT, stack="eks", cluster_id=CLUSTER,
                              data_key_arn=DATA_KEY)
    boundary = permissions_boundary(name=CLUSTER, stack="eks", partition="aws")
    request = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    assert evaluate(_csi("ec2:CreateVolume", f"{VOL}/*", **request), identity, boundary).allowed
    untargeted = {k: v for k, v in request.items() if k != f"aws:RequestTag/{VOLUME_CLUSTER_TAG}"}
    assert not evaluate(_csi("ec2:CreateVolume", f"{VOL}/*", **untargeted), identity, boundary).allowed
    # The snapshots use the data key the volumes are encrypted with.
    dlm_keys = next(p for p in rec.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("-dlm-keys"))
    assert sc.inputs["parameters"]["kmsKeyId"] in json.dumps(_doc(dlm_keys.inputs["policy"]))


def test_ebs_csi_policy_has_no_unexplained_parliament_finding():
    from iam_review import unexplained
    doc = ebs_csi_policy(partition="aws", region=REGION, account_id=ACCOUNT, stack="eks", cluster_id=CLUSTER,
                         data_key_arn=DATA_KEY)
    assert unexplained(doc, "identity") == []


def test_fake_eks_refuses_kubernetes_taint_spelling_and_bad_scaling():
    base = {"clusterName": "c", "scalingConfig": {"minSize": 2, "desiredSize": 2, "maxSize": 2}}
    with pytest.raises(EksApiError, match="taint effect"):
        node_group(None, "g", {**base, "taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]})
    with pytest.raises(EksApiError, match="scalingConfig"):
        node_group(None, "g", {**base, "scalingConfig": {"minSize": 3, "desiredSize": 2, "maxSize": 3}})


# --- config -------------------------------------------------------------------------------------------

BASE = {"environment": "staging", "tags": {"Owner": "o", "CostCenter": "c"}, "network": {"azCount": 3},
        "cluster": {"platform": "eks", "nodes": 6, "drivesPerNode": 4, "instanceType": "m6i.2xlarge"}}


def _problems(raw: dict) -> str:
    with pytest.raises(ConfigError) as err:
        parse(raw, stack="eks", region=REGION)
    return str(err.value)


def test_eks_defaults_private_pinned_and_sized_for_the_node():
    eks = parse(BASE, stack="eks", region=REGION).eks
    assert eks.kubernetes_version == DEFAULT_EKS_VERSION in EKS_VERSIONS
    assert eks.endpoint_public_cidrs == [] and eks.namespace == "rustfs" and eks.client_namespaces == []
    assert eks.rustfs.memory_gib == 16 and eks.rustfs.cpu == 4  # half of an m6i.2xlarge (32 GiB, 8 vCPU)
    assert parse({**BASE, "cluster": {**BASE["cluster"], "platform": "ec2"}}, stack="eks", region=REGION).eks is None


@pytest.mark.parametrize(("eks", "expected"), [
    ({"kubernetesVersion": "1.29"}, "eks.kubernetesVersion: got '1.29'; allowed values: 1.35"),
    ({"endpointPublicCidrs": ["0.0.0.0/0"]}, "eks.endpointPublicCidrs"),
    ({"endpointPublicCidrs": ["not-a-cidr"]}, "eks.endpointPublicCidrs[0]"),
    ({"namespace": "RustFS"}, "eks.namespace"),
    ({"clientNamespaces": ["ok", "Not_OK"]}, "eks.clientNamespaces[1]"),
    ({"rustfs": {"memoryGiB": 30}}, "eks.rustfs.memoryGiB: got 30; allowed range 1–24"),
    ({"rustfs": {"cpu": 8}}, "eks.rustfs.cpu: got 8; allowed range 0.5–7.5"),
    ({"rustfs": {"gpu": 1}}, "eks.rustfs.gpu"),
    ({"nodeGroups": 3}, "eks.nodeGroups"),
    ({"rustfs": {"imageDigest": "abc"}}, "eks.rustfs.imageDigest: got 'abc'; expected 'sha256:' and 64 lowercase"),
    ({"rustfs": {"imageDigest": "sha256:" + "A" * 64}}, "eks.rustfs.imageDigest"),  # uppercase is no digest
    ({"rustfs": {"imageDigest": "sha256:" + "a" * 63}}, "eks.rustfs.imageDigest"),
    ({"rustfs": {"imageDigest": "sha512:" + "a" * 64}}, "eks.rustfs.imageDigest"),
    ({"rustfs": {"imageDigest": 42}}, "eks.rustfs.imageDigest: got 42"),
])
def test_eks_config_errors_name_the_key_and_the_allowed_values(eks, expected):
    assert expected in _problems({**BASE, "eks": eks})


def test_image_digest_unset_by_default_and_kept_when_valid():
    assert parse(BASE, stack="eks", region=REGION).eks.rustfs.image_digest is None
    digest = "sha256:" + "0123456789abcdef" * 4
    raw = {**BASE, "eks": {"rustfs": {"imageDigest": digest}}}
    assert parse(raw, stack="eks", region=REGION).eks.rustfs.image_digest == digest
    message = _problems({**BASE, "eks": {"rustfs": {"imageDigest": "latest"}}})
    assert "docker buildx imagetools inspect rustfs/rustfs:" in message and "crane digest" in message


def test_eks_section_refused_on_an_ec2_stack():
    raw = {**BASE, "cluster": {**BASE["cluster"], "platform": "ec2"}, "eks": {}}
    assert "only read with cluster.platform: eks" in _problems(raw)


def test_key_admin_role_refused_on_eks_with_the_reason():
    raw = {**BASE, "security": {"keyAdminRoleArn": f"arn:aws:iam::{ACCOUNT}:role/key-admin"}}
    assert "security.keyAdminRoleArn" in _problems(raw) and "not yet supported with cluster.platform" in _problems(raw)


@pytest.mark.parametrize(("template", "group", "refusal"), [
    ({"iamInstanceProfile": {"arn": "arn:aws:iam::123456789012:instance-profile/p"}}, {}, "IamInstanceProfile"),
    ({"instanceType": "m6i.2xlarge"}, {"instanceTypes": ["m6i.2xlarge"]}, "both the launch template"),
    ({"imageId": "ami-0123456789abcdef0"}, {"amiType": "AL2023_x86_64_STANDARD"}, "not CUSTOM"),
    ({"networkInterfaces": [{"subnetId": "subnet-1"}]}, {}, "SubnetId"),
])
def test_fake_eks_refuses_launch_templates_eks_refuses(template, group, refusal):
    class Fake:
        launch_templates = {"lt-1": template}

        def arn(self, service, resource):
            return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"
    base = {"clusterName": "c", "scalingConfig": {"minSize": 1, "desiredSize": 1, "maxSize": 1},
            "launchTemplate": {"id": "lt-1", "version": "1"}}
    with pytest.raises(EksApiError, match=refusal):
        node_group(Fake(), "g", {**base, **group})
    node_group(Fake(), "g", {**base, "launchTemplate": {"id": "lt-other", "version": "1"}})  # unknown: not judged


def test_the_fake_judged_the_stacks_node_groups_against_their_real_template():
    from preflight.fake_aws import FakeAws
    fake = FakeAws(REGION)
    rec = run_stack("eks", fake=fake)
    template_ids = {g.inputs["launchTemplate"]["id"] for g in rec.of_type("aws:eks/nodeGroup:NodeGroup")}
    assert template_ids and template_ids <= set(fake.launch_templates)


def test_topology_capacity_and_performance_sections_for_eks():
    from preflight.capacity_report import compute_capacity, compute_performance
    from preflight.topology import compute as compute_topology
    rec = eks_stack()
    topology = compute_topology(rec)
    assert topology["platform"] == "eks" and topology["zones"] == 3
    assert [n["name"] for n in topology["nodes"]] == [f"rustfs-{i}" for i in range(1, 7)]  # ordinals from 1
    assert (topology["setSize"], topology["parity"]) == (12, 4)
    assert topology["tolerates"] == {"drivesPerSet": 4, "nodeLoss": True, "azLoss": True}
    capacity = compute_capacity(rec)
    assert capacity["survivesAzLoss"] is True and capacity["rawTiB"] == round(6 * 4 * 500 / 1024, 3)
    assert compute_performance(rec)["readGBps"] > 0


def test_fake_eks_degrades_add_ons_whose_pods_tolerate_no_node_group():
    from preflight.fake_eks import addon

    class Fake:
        node_group_taints = {"c": [[{"key": "rustfs.io/storage", "value": "true", "effect": "NO_SCHEDULE"}]]}

        def arn(self, service, resource):
            return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"
    toleration = {"key": "rustfs.io/storage", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    with pytest.raises(EksApiError, match="DEGRADED"):
        addon(Fake(), "a", {"clusterName": "c", "addonName": "eks-pod-identity-agent"})
    with pytest.raises(EksApiError, match="DEGRADED"):
        addon(Fake(), "a", {"clusterName": "c", "addonName": "aws-ebs-csi-driver",
                            "configurationValues": json.dumps({"node": {"tolerateAllTaints": True}})})
    addon(Fake(), "a", {"clusterName": "c", "addonName": "eks-pod-identity-agent",
                        "configurationValues": json.dumps({"tolerations": [toleration]})})
    addon(Fake(), "a", {"clusterName": "c", "addonName": "aws-ebs-csi-driver",
                        "configurationValues": json.dumps({"controller": {"tolerations": [{"operator": "Exists"}]}})})
    # Before any node group: a DaemonSet-only add-on is ACTIVE with nothing to run, one with a Deployment is not.
    addon(Fake(), "a", {"clusterName": "other", "addonName": "eks-pod-identity-agent"})
    for deployment in ("coredns", "aws-ebs-csi-driver"):
        with pytest.raises(EksApiError, match="no node"):
            addon(Fake(), "a", {"clusterName": "other", "addonName": deployment,
                                "configurationValues": json.dumps({"tolerations": [toleration],
                                                                   "controller": {"tolerations": [toleration]}})})


@pytest.mark.parametrize(("inputs", "refused"), [
    # What this stack once passed: CoreDNS configured in the component, no default node group.
    ({"skipDefaultNodeGroup": True, "corednsAddonOptions": {"configurationValues": {"tolerations": []}}}, True),
    ({"skipDefaultNodeGroup": True, "corednsAddonOptions": {"enabled": True}}, True),
    ({"skipDefaultNodeGroup": True, "corednsAddonOptions": {"enabled": False}}, False),
    ({"skipDefaultNodeGroup": True}, False),  # pulumi-eks then creates none
    ({"corednsAddonOptions": {"enabled": True}}, False),  # with its default node group
    ({"skipDefaultNodeGroup": True, "fargate": True, "corednsAddonOptions": {"enabled": True}}, False),
])
def test_fake_refuses_pulumi_eks_creating_coredns_before_any_node(inputs, refused):
    from preflight.fake_eks import eks_cluster_outputs

    class Fake:
        region = REGION
    if refused:
        with pytest.raises(EksApiError, match="pulumi-eks#1819"):
            eks_cluster_outputs(Fake(), "c", {"name": "c", **inputs})
    else:
        assert "kubeconfigJson" in eks_cluster_outputs(Fake(), "c", {"name": "c", **inputs})


def test_diagram_draws_one_node_group_per_az_the_control_plane_and_parses():
    from test_diagram import parse_with_mermaid

    from preflight.diagram import mermaid
    text = mermaid(eks_stack())
    assert text.count("EKS node group<br/>2 x m6i.2xlarge") == 3
    assert "EKS control plane<br/>rustfs-eks<br/>Kubernetes 1.35<br/>private API endpoint" in text
    assert "clients -->|S3 API| s3svc" in text
    assert [r["ok"] for r in parse_with_mermaid([text])] == [True]


def test_a_first_preview_of_the_eks_stack_runs_with_every_id_unknown():
    rec = run_stack("eks", new_stack=True)
    assert len(rec.of_type("aws:eks/nodeGroup:NodeGroup")) == 3
    assert rec.one("kubernetes:storage.k8s.io/v1:StorageClass").inputs["parameters"]["kmsKeyId"] == "[unknown]"


# --- the AWS Load Balancer Controller (eks.loadBalancerController) ------------------------------------------

from rustfs_aws.eks import load_balancer_controller as lbc  # noqa: E402

ELB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}"
SG = f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group"
VPC_ID = "vpc-0123456789abcdef0"
OURS = "k8s-rustfs-rustfs-0a1b2c3d4e"  # the controller's name for Service rustfs/rustfs (name_prefix + hash)


def _controller_policy(namespace="rustfs"):
    return lbc.controller_policy(partition="aws", region=REGION, account_id=ACCOUNT, cluster=CLUSTER, vpc_id=VPC_ID,
                                 namespace=namespace, service="rustfs")


def test_the_release_is_the_pinned_chart_bound_to_its_pod_identity_role():
    rec = eks_stack()
    release = rec.one("kubernetes:helm.sh/v3:Release")
    assert (release.inputs["chart"], release.inputs["version"]) == ("aws-load-balancer-controller", "3.5.0")
    assert release.inputs["repositoryOpts"] == {"repo": "https://aws.github.io/eks-charts"}
    assert release.inputs["namespace"] == "kube-system" and release.inputs["atomic"] is True
    values = release.inputs["values"]
    vpc = rec.one("aws:ec2/vpc:Vpc")
    # Region and VPC given: the controller cannot reach IMDS (hop limit 1) to discover them.
    assert (values["clusterName"], values["region"], values["vpcId"]) == (CLUSTER, REGION, vpc.outputs["id"])
    assert values["tolerations"] == [{"key": constants.STORAGE_NODE_TAINT_KEY, "operator": "Equal",
                                      "value": constants.STORAGE_NODE_TAINT_VALUE,
                                      "effect": constants.STORAGE_NODE_TAINT_EFFECT}]
    assert values["enableShield"] is values["enableWaf"] is values["enableWafv2"] is False
    association = next(a for a in rec.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                       if a.name.endswith("-lb-controller"))
    assert (association.inputs["namespace"], association.inputs["serviceAccount"]) == (
        release.inputs["namespace"], values["serviceAccount"]["name"])
    role = next(r for r in rec.of_type("aws:iam/role:Role") if r.name.endswith("-lb-controller"))
    assert association.inputs["roleArn"] == role.outputs["arn"]
    assert role.inputs["permissionsBoundary"] == rec.one("aws:iam/policy:Policy").outputs["arn"]
    trust = _doc(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    _assert_pod_identity_trust(trust, association)
    assert association.urn in release.dependencies, "the controller would start without credentials"
    policy = next(p for p in rec.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("-lb-controller"))
    assert _doc(policy.inputs["policy"]) == lbc.controller_policy(
        partition="aws", region=REGION, account_id=ACCOUNT, cluster=CLUSTER, vpc_id=vpc.outputs["id"],
        namespace="rustfs", service="rustfs")


def _depends_on(rec, urn: str) -> set[str]:
    """Everything the engine waits for before ``urn``: its dependencies and theirs (a component's dependency
    means its children too)."""
    by_urn = {r.urn: r for r in rec.resources}
    children: dict[str, list[str]] = {}
    for r in rec.resources:
        children.setdefault(r.parent, []).append(r.urn)
    seen, todo = set(), list(by_urn[urn].dependencies)
    while todo:
        current = todo.pop()
        if current in seen or current not in by_urn:
            continue
        seen.add(current)
        todo += list(by_urn[current].dependencies) + children.get(current, [])
    return seen


def test_the_s3_service_waits_for_the_controller_and_names_its_subnets():
    rec = eks_stack()
    release = rec.one("kubernetes:helm.sh/v3:Release")
    service = next(r for r in rec.of_type("kubernetes:core/v1:Service") if r.inputs["spec"].get("type") ==
                   "LoadBalancer")
    assert release.urn in _depends_on(rec, service.urn), "the controller's webhook admits Services: it runs first"
    statefulset = rec.one("kubernetes:apps/v1:StatefulSet")
    storage_class = rec.one("kubernetes:storage.k8s.io/v1:StorageClass")
    assert storage_class.urn in _depends_on(rec, statefulset.urn), "claims of a StorageClass not there yet"
    private = {s.outputs["id"] for s in rec.of_type("aws:ec2/subnet:Subnet") if "private" in s.name}
    subnets = service.inputs["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-subnets"]
    assert set(subnets.split(",")) == private


def test_an_existing_controller_gets_no_release_role_or_association():
    rec = run_stack("eks", overrides={"rustfs-aws:eks": {"kubernetesVersion": "1.35", "namespace": "rustfs",
                                                         "rustfs": {"memoryGiB": 16, "cpu": 4},
                                                         "loadBalancerController": "existing"}})
    assert not rec.of_type("kubernetes:helm.sh/v3:Release")
    assert not [r for r in rec.of_type("aws:iam/role:Role") if r.name.endswith("-lb-controller")]
    assert [a.name for a in rec.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")] == [
        "rustfs-eks-eks-ebs-csi"]


def test_load_balancer_controller_config():
    assert parse(BASE, stack="eks", region=REGION).eks.load_balancer_controller == "install"
    raw = {**BASE, "eks": {"loadBalancerController": "existing"}}
    assert parse(raw, stack="eks", region=REGION).eks.load_balancer_controller == "existing"
    assert "eks.loadBalancerController: got 'helm'; allowed values: install | existing" in _problems(
        {**BASE, "eks": {"loadBalancerController": "helm"}})


def _lbc(action, resource, **context):
    return Request(action, resource, tuple(context.items()), "")


TRACKED = {f"aws:ResourceTag/{lbc.TRACKING_TAG}": CLUSTER}
TAGGING = {f"aws:RequestTag/{lbc.TRACKING_TAG}": CLUSTER}


@pytest.mark.parametrize(("request_", "allowed"), [
    # what the controller does for the S3 Service's NLB
    (_lbc("elasticloadbalancing:CreateLoadBalancer", f"{ELB}:loadbalancer/net/{OURS}/50dc6c495c0c9188", **TAGGING),
     True),
    (_lbc("elasticloadbalancing:CreateTargetGroup", f"{ELB}:targetgroup/{OURS}/73e2d6bc24d8a067", **TAGGING), True),
    (_lbc("elasticloadbalancing:AddTags", f"{ELB}:targetgroup/{OURS}/73e2d6bc24d8a067"), True),
    (_lbc("elasticloadbalancing:CreateListener", f"{ELB}:loadbalancer/net/{OURS}/50dc6c495c0c9188", **TRACKED), True),
    (_lbc("elasticloadbalancing:ModifyListener", f"{ELB}:listener/net/{OURS}/50dc6c495c0c9188/f2f7dc8efc522ab2"),
     True),
    (_lbc("elasticloadbalancing:ModifyListener", f"{ELB}:listener/app/{OURS}/50dc6c495c0c9188/f2f7dc8efc522ab2"),
     False),  # an ALB's listener
    (_lbc("elasticloadbalancing:RegisterTargets", f"{ELB}:targetgroup/{OURS}/73e2d6bc24d8a067", **TRACKED), True),
    (_lbc("elasticloadbalancing:DeleteLoadBalancer", f"{ELB}:loadbalancer/net/{OURS}/50dc6c495c0c9188", **TRACKED),
     True),
    (_lbc("ec2:CreateSecurityGroup", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{VPC_ID}"), True),
    (_lbc("ec2:CreateSecurityGroup", f"{SG}/*", **TAGGING), True),
    (_lbc("ec2:CreateTags", f"{SG}/sg-1", **{"ec2:CreateAction": "CreateSecurityGroup", **TAGGING}), True),
    (_lbc("ec2:AuthorizeSecurityGroupIngress", f"{SG}/sg-1", **TRACKED), True),
    (_lbc("ec2:AuthorizeSecurityGroupIngress", f"{SG}/sg-cluster",
          **{f"aws:ResourceTag/kubernetes.io/cluster/{CLUSTER}": "owned"}), True),
    (_lbc("ec2:DescribeSubnets", "*"), True),
    # what it must not be able to do
    (_lbc("elasticloadbalancing:CreateLoadBalancer", f"{ELB}:loadbalancer/net/{OURS}/1"), False),  # untracked
    (_lbc("elasticloadbalancing:DeleteLoadBalancer", f"{ELB}:loadbalancer/net/k8s-other-svc-1a2b3c4d5e/1",
          **TRACKED), False),  # another Service's NLB
    (_lbc("elasticloadbalancing:DeleteLoadBalancer", f"{ELB}:loadbalancer/net/k8s-rustfs-rustfsot-1a2b3c4d5e/1",
          **TRACKED), False),  # Service rustfs/rustfs-other
    (_lbc("elasticloadbalancing:DeleteLoadBalancer", f"{ELB}:loadbalancer/app/{OURS}/1", **TRACKED), False),  # ALB
    (_lbc("elasticloadbalancing:DeleteLoadBalancer", f"{ELB}:loadbalancer/net/{OURS}/1"), False),  # not tracked
    (_lbc("ec2:CreateSecurityGroup", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-0fffffffffffffff0"), False),
    (_lbc("ec2:AuthorizeSecurityGroupIngress", f"{SG}/sg-other"), False),
    (_lbc("ec2:DeleteSecurityGroup", f"{SG}/sg-cluster",
          **{f"aws:ResourceTag/kubernetes.io/cluster/{CLUSTER}": "owned"}), False),  # EKS's own group stays
    (_lbc("ec2:CreateTags", f"{SG}/sg-other", **TAGGING), False),  # tagging someone's group into ours
    (_lbc("iam:CreateServiceLinkedRole", f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/x"), False),
    (_lbc("wafv2:AssociateWebACL", "*"), False),
])
def test_controller_role_with_boundary_allows_one_services_nlb_only(request_, allowed):
    boundary = permissions_boundary(name=CLUSTER, stack="eks", partition="aws")
    verdict = evaluate(request_, _controller_policy(), boundary)
    assert verdict.allowed is allowed, (request_, verdict)


def test_controller_policy_has_no_unexplained_parliament_finding():
    from iam_review import unexplained
    assert unexplained(_controller_policy(), "identity") == []
    assert unexplained(_controller_policy(namespace="team-a-storage"), "identity") == []


def test_name_prefix_follows_the_controllers_naming():
    # pkg/service/model_build_load_balancer.go: non-alphanumerics dropped, each part cut to 8 characters.
    assert lbc.name_prefix("rustfs", "rustfs") == "k8s-rustfs-rustfs-"
    assert lbc.name_prefix("team-a-storage", "rustfs") == "k8s-teamasto-rustfs-"


# --- what the machine running `pulumi up` needs (preflight's eksAccess section) --------------------------------

def _access(overrides=None):
    from preflight import eks_access_report
    return eks_access_report.compute(run_stack("eks", overrides=overrides) if overrides else eks_stack())


def test_preflight_says_a_private_endpoint_needs_a_runner_routed_into_the_vpc_and_a_bootstrap():
    value = _access()
    assert value["endpoint"] == "private" and value["vpcCidr"] == "10.60.0.0/16"
    text = " ".join(value["requirements"])
    # The API is reached from network.adminCidrs only; the staging stack's is outside the VPC.
    assert "192.0.2.0/24 is outside the VPC" in text and "fails at the first Kubernetes object" in text
    # The VPC is the stack's own: the first `up` cannot be routed into it.
    assert "FIRST" in text and "eks.endpointPublicCidrs" in text
    assert "aws eks get-token" in text
    # No operator role: the creator (an access entry outside Pulumi's state) is the only admin, said so.
    assert value["operatorAccessEntry"] is False and "no principal but the creator" in text


def test_preflight_access_with_a_public_endpoint_and_an_operator_role():
    cfg = json.loads(eks_stack().settings.config["rustfs-aws:eks"])
    value = _access({"rustfs-aws:eks": {**cfg, "endpointPublicCidrs": ["203.0.113.7/32"]},
                     "rustfs-aws:security": {"operatorPrincipals": [f"arn:aws:iam::{ACCOUNT}:role/admins"]}})
    assert value["endpoint"] == "public and private" and value["publicCidrs"] == ["203.0.113.7/32"]
    text = " ".join(value["requirements"])
    assert "203.0.113.7/32" in text and "FIRST" not in text
    assert value["operatorAccessEntry"] is True and "operator role" in text


def test_no_eks_access_section_on_ec2_stacks():
    from preflight import eks_access_report
    assert eks_access_report.compute(run_stack("dev")) is None
