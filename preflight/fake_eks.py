"""The fake's EKS and Kubernetes: what the EKS API and a Kubernetes API server would refuse or answer.

``eks:index:Cluster`` (pulumi-eks) is a remote component: under mocks it registers with its inputs, and this
fake adds the outputs its real provider returns and the program reads (``kubeconfigJson``, ``eksCluster``
names). The EKS resources we declare ourselves and the Kubernetes objects get ids and ARNs of the real
shapes, and the checks below refuse what the real APIs refuse.
"""

from __future__ import annotations

import hashlib
import json
import re

from . import fake_lattice


class EksApiError(Exception):
    """What the EKS API (InvalidParameterException) or the Kubernetes API server (422 Invalid) answers."""


# EKS add-ons this fake knows (EKS User Guide, "AWS add-ons"); another name is an unknown add-on to EKS.
KNOWN_ADDONS = {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "eks-pod-identity-agent",
                "aws-efs-csi-driver", "amazon-cloudwatch-observability"}
# EKS API taint effects (EKS API Reference, "Taint"); the Kubernetes spelling NoSchedule is refused there.
TAINT_EFFECTS = {"NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"}
# Kubernetes kinds the fake API server serves: (group/version, kind) as in the pulumi-kubernetes type token.
KINDS = {
    "core/v1": {"Namespace", "Service", "Secret", "ConfigMap", "ServiceAccount", "PersistentVolumeClaim"},
    "apps/v1": {"StatefulSet", "Deployment", "DaemonSet"},
    "policy/v1": {"PodDisruptionBudget"},
    "networking.k8s.io/v1": {"NetworkPolicy"},
    "storage.k8s.io/v1": {"StorageClass"},
    "rbac.authorization.k8s.io/v1": {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"},
}
CLUSTER_SCOPED = {"Namespace", "StorageClass", "ClusterRole", "ClusterRoleBinding"}
# A DNS-1123 subdomain: Kubernetes object names (Kubernetes docs, "Object Names and IDs").
_MAX_NAME = 253


def _hex(*parts: str, length: int) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _uuid(*parts: str) -> str:
    h = _hex(*parts, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _coredns_inside_the_component(inputs: dict) -> bool:
    """Whether pulumi-eks creates the CoreDNS add-on inside ``eks.Cluster`` with no node to run it on: explicitly
    enabled (``enabled: true`` or configuration values) while the default node group, Fargate and Auto Mode are
    all off (nodejs/eks/cluster/cluster.ts, ``corednsExplicitlyEnabled``)."""
    options = inputs.get("corednsAddonOptions") or {}
    explicit = options.get("enabled") is True or bool(options.get("configurationValues"))
    has_compute = (not inputs.get("skipDefaultNodeGroup") or bool(inputs.get("fargate"))
                   or bool((inputs.get("autoMode") or {}).get("enabled")))
    return explicit and not has_compute


def eks_cluster_outputs(fake, name: str, inputs: dict) -> dict:
    """The remote component's outputs the program reads: a kubeconfig for the cluster's own endpoint. Refuses
    the component creating CoreDNS before any node exists: its Deployment stays Pending, the add-on DEGRADED, and
    the create fails after 20 minutes while everything depending on the cluster waits (pulumi/pulumi-eks#1819)."""
    cluster = inputs.get("name") or name
    if _coredns_inside_the_component(inputs):
        raise EksApiError(f"eks.Cluster {cluster!r}: the coredns add-on it creates has no node to run on "
                          "(skipDefaultNodeGroup, no Fargate): DEGRADED, create times out after 20m "
                          "(pulumi/pulumi-eks#1819); disable it there and create it after the node groups")
    endpoint = f"https://{_hex('eks', cluster, length=32).upper()}.gr7.{fake.region}.eks.amazonaws.com"
    kubeconfig = {
        "apiVersion": "v1", "kind": "Config", "current-context": "aws",
        "clusters": [{"name": "kubernetes", "cluster": {"server": endpoint, "certificate-authority-data": "LS0t"}}],
        "contexts": [{"name": "aws", "context": {"cluster": "kubernetes", "user": "aws"}}],
        "users": [{"name": "aws", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster, "--region", fake.region]}}}]}
    # Only outputs, not the inputs echoed: those hold resource references (serviceRole, clusterSecurityGroup)
    # the SDK would rehydrate, and pulumi-eks's outputs are its own (kubeconfig, kubeconfigJson, ...).
    return {"kubeconfigJson": json.dumps(kubeconfig), "kubeconfig": kubeconfig}


def kubernetes_provider(inputs: dict) -> None:
    """A Kubernetes provider without a kubeconfig falls back to the deployer's ~/.kube/config and its current
    context (pulumi-kubernetes, Provider ``kubeconfig``): objects would go to whatever cluster that is."""
    if not inputs.get("kubeconfig"):
        raise EksApiError("a Kubernetes provider without kubeconfig uses the ambient ~/.kube/config current "
                          "context; build it from the EKS cluster's kubeconfig")


def _eks_arn(fake, kind: str, *parts: str) -> str:
    return fake.arn("eks", f"{kind}/{'/'.join(parts)}")


LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def with_launch_template_registry(resources: dict) -> dict:
    """The fake's launch template handler, also remembering each template's inputs by id for node_group."""
    inner = resources[LAUNCH_TEMPLATE]

    def handler(fake, name: str, inputs: dict):
        physical, extra = inner(fake, name, inputs)
        fake.__dict__.setdefault("launch_templates", {})[physical] = inputs
        return physical, extra
    return {**resources, LAUNCH_TEMPLATE: handler}


def _template_problems(name: str, group: dict, template: dict) -> list[str]:
    """EKS API Reference, LaunchTemplateSpecification: "The launch template can't include SubnetId,
    IamInstanceProfile, RequestSpotInstances, HibernationOptions, or TerminateInstances"; EKS User Guide,
    "Customize managed nodes with launch templates": an instance type in the template or in the node group,
    not both, and an AMI in the template only with amiType CUSTOM."""
    problems = []
    if template.get("iamInstanceProfile"):
        problems.append("the launch template has an IamInstanceProfile (EKS uses the node group's nodeRoleArn)")
    if any((nic or {}).get("subnetId") for nic in template.get("networkInterfaces") or []):
        problems.append("the launch template names a SubnetId (the node group's subnetIds place the nodes)")
    if template.get("instanceMarketOptions"):
        problems.append("the launch template requests Spot instances (use capacityType SPOT)")
    if template.get("hibernationOptions"):
        problems.append("the launch template sets HibernationOptions")
    if template.get("instanceInitiatedShutdownBehavior") == "terminate":
        problems.append("the launch template sets instanceInitiatedShutdownBehavior terminate")
    if template.get("instanceType") and group.get("instanceTypes"):
        problems.append("an instance type is set in both the launch template and the node group")
    if template.get("imageId") and group.get("amiType", "CUSTOM") != "CUSTOM":
        problems.append(f"the launch template sets an AMI but amiType is {group.get('amiType')!r}, not CUSTOM")
    return [f"InvalidParameterException: node group {name!r}: {p}" for p in problems]


def node_group(fake, name: str, inputs: dict):
    scaling = inputs.get("scalingConfig") or {}
    lo, want, hi = (scaling.get(k) for k in ("minSize", "desiredSize", "maxSize"))
    if None in (lo, want, hi) or not lo <= want <= hi or hi < 1:
        raise EksApiError(f"InvalidParameterException: node group {name!r}: scalingConfig needs "
                          f"minSize <= desiredSize <= maxSize and maxSize >= 1, got {scaling}")
    for taint in inputs.get("taints") or []:
        if taint.get("effect") not in TAINT_EFFECTS:
            raise EksApiError(f"InvalidParameterException: node group {name!r}: taint effect "
                              f"{taint.get('effect')!r} is not one of {sorted(TAINT_EFFECTS)}")
    spec = inputs.get("launchTemplate") or {}
    if spec.get("id") and spec.get("name"):
        raise EksApiError(f"InvalidParameterException: node group {name!r}: launchTemplate takes an id or a "
                          "name, not both")
    template = (getattr(fake, "launch_templates", None) or {}).get(spec.get("id"))
    problems = _template_problems(name, inputs, template) if template is not None else []
    if problems:
        raise EksApiError("; ".join(problems))
    if inputs.get("launchTemplate") and inputs.get("diskSize") is not None:
        raise EksApiError(f"InvalidParameterException: node group {name!r}: diskSize cannot be set with a "
                          "launch template (set the root volume in the template)")
    cluster, group = inputs["clusterName"], inputs.get("nodeGroupName") or name
    fake.__dict__.setdefault("node_group_taints", {}).setdefault(cluster, []).append(
        [t for t in inputs.get("taints") or [] if t.get("effect") in ("NO_SCHEDULE", "NO_EXECUTE")])
    return f"{cluster}:{group}", {"nodeGroupName": group, "status": "ACTIVE",
                                  "arn": _eks_arn(fake, "nodegroup", cluster, group, _uuid("ng", name))}


# Where each add-on's pods' tolerations sit in its configuration values (the add-ons' configuration schemas,
# `aws eks describe-addon-configuration`); the agent's DaemonSet tolerates no taint by default
# (aws/containers-roadmap#2261), nor do CoreDNS or the EBS CSI controller.
_TOLERATION_PATHS = {"coredns": [("tolerations",)], "eks-pod-identity-agent": [("tolerations",)],
                     "aws-ebs-csi-driver": [("controller", "tolerations")]}
# Add-ons whose pods include a Deployment (CoreDNS; the EBS CSI controller): with no node at all they stay
# Pending and the add-on never becomes ACTIVE. A DaemonSet-only add-on is ACTIVE with nothing to run.
_DEPLOYMENT_ADDONS = {"coredns", "aws-ebs-csi-driver", "aws-efs-csi-driver"}
_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute"}


def _tolerates(tolerations: list, taint: dict) -> bool:
    for t in tolerations or []:
        effect_ok = not t.get("effect") or t.get("effect") == _EFFECTS[taint["effect"]]
        if t.get("operator") == "Exists" and (not t.get("key") or t["key"] == taint["key"]) and effect_ok:
            return True
        if t.get("key") == taint["key"] and t.get("value") == taint.get("value") and effect_ok:
            return True
    return False


def _unschedulable(fake, addon_name: str, cluster: str, values: dict) -> str | None:
    """An add-on whose pods tolerate the taints of no node group stays DEGRADED (pods Pending); Pulumi's
    create waits for ACTIVE and fails (EKS User Guide, "Amazon EKS add-ons": health issues). Judged against the
    node groups registered before the add-on: a DaemonSet-only one created before any node is ACTIVE with
    nothing to run, one with a Deployment is not."""
    groups = (getattr(fake, "node_group_taints", None) or {}).get(cluster)
    if not groups and addon_name in _DEPLOYMENT_ADDONS:
        return (f"add-on {addon_name!r} stays DEGRADED: its Deployment has no node of {cluster!r} to run on "
                "(create it after the node groups)")
    if not groups or addon_name not in _TOLERATION_PATHS:
        return None
    for path in _TOLERATION_PATHS[addon_name]:
        tolerations = values
        for key in path:
            tolerations = (tolerations or {}).get(key) if isinstance(tolerations, dict) else None
        if any(all(_tolerates(tolerations, t) for t in taints) for taints in groups):
            return None
    return (f"add-on {addon_name!r} stays DEGRADED: its pods tolerate the taints of no node group of "
            f"{cluster!r} (configurationValues {'.'.join(_TOLERATION_PATHS[addon_name][0])})")


def addon(fake, name: str, inputs: dict):
    addon_name, cluster = inputs.get("addonName"), inputs["clusterName"]
    if addon_name not in KNOWN_ADDONS:
        raise EksApiError(f"InvalidParameterException: add-on {addon_name!r} is not offered by EKS")
    values = inputs.get("configurationValues")
    parsed = {}
    if values is not None:
        try:
            parsed = json.loads(values)
        except (TypeError, ValueError) as exc:
            raise EksApiError(f"InvalidParameterException: add-on {addon_name!r}: configurationValues is not "
                              f"JSON ({exc})") from exc
    degraded = _unschedulable(fake, addon_name, cluster, parsed)
    if degraded:
        raise EksApiError(degraded)
    return f"{cluster}:{addon_name}", {"arn": _eks_arn(fake, "addon", cluster, addon_name, _uuid("addon", name)),
                                       "addonVersion": inputs.get("addonVersion") or "v1.0.0-eksbuild.1"}


def pod_identity_association(fake, name: str, inputs: dict):
    cluster = inputs["clusterName"]
    association = f"a-{_hex('pia', name, length=17)}"
    return association, {"associationId": association,
                         "associationArn": _eks_arn(fake, "podidentityassociation", cluster, association)}


def access_entry(fake, name: str, inputs: dict):
    cluster, principal = inputs["clusterName"], inputs["principalArn"]
    return f"{cluster}:{principal}", {"accessEntryArn": _eks_arn(fake, "access-entry", cluster, "role",
                                                                 fake.account_id, _uuid("ae", name))}


def kubernetes_object(type_token: str):
    """A handler for one pulumi-kubernetes type: metadata.name (Pulumi auto-names when absent), namespace
    for namespaced kinds, a uid; the API server's id is ``namespace/name`` (or ``name``)."""
    _, group_version, kind = type_token.split(":")

    def handler(fake, name: str, inputs: dict):
        metadata = dict(inputs.get("metadata") or {})
        object_name = metadata.get("name") or f"{name}-{_hex('k8s', name, length=8)}"
        if len(object_name) > _MAX_NAME or object_name != object_name.lower():
            raise EksApiError(f"422 Invalid: {kind} {object_name!r}: metadata.name must be a lowercase "
                              f"DNS-1123 subdomain of at most {_MAX_NAME} characters")
        if kind in CLUSTER_SCOPED:
            metadata.pop("namespace", None)
            physical = object_name
        else:
            metadata.setdefault("namespace", "default")
            physical = f"{metadata['namespace']}/{object_name}"
        metadata.update(name=object_name, uid=_uuid("uid", type_token, physical))
        extra = {"metadata": metadata, "apiVersion": group_version.removeprefix("core/"), "kind": kind}
        spec = inputs.get("spec") or {}
        if kind == "Service" and spec.get("type") == "LoadBalancer" and spec.get("loadBalancerClass") == NLB_CLASS:
            extra["status"] = {"loadBalancer": {"ingress": [{"hostname": nlb_hostname(
                fake.region, metadata["namespace"], object_name)}]}}
        return physical, extra
    return handler


# The AWS Load Balancer Controller's class: it creates the NLB and writes its DNS name into the Service's status,
# which pulumi-kubernetes waits for (its await logic for a Service of type LoadBalancer).
NLB_CLASS = "service.k8s.aws/nlb"


def nlb_hostname(region: str, namespace: str, name: str) -> str:
    """The controller's NLB name, ``k8s-<namespace>-<name>-<hash>`` (non-alphanumerics dropped, 8 + 8 + 10
    characters; pkg/service/model_build_load_balancer.go at v3.5.0), and ELB's DNS name for an NLB,
    ``<lb-name>-<16 hex>.elb.<region>.amazonaws.com``."""
    ns, svc = (re.sub(r"[^A-Za-z0-9]", "", v)[:8] for v in (namespace, name))
    lb = f"k8s-{ns}-{svc}-{_hex('nlb', namespace, name, length=10)}"
    return f"{lb}-{_hex('nlbdns', lb, length=16)}.elb.{region}.amazonaws.com"


def explicit_kubernetes_provider(type_token: str, provider_ref: str | None) -> None:
    """Default providers are named ``default`` or ``default_<version>`` in their URN."""
    if type_token.startswith("kubernetes:") and "::pulumi:providers:kubernetes::default" in (provider_ref or ""):
        raise EksApiError(f"{type_token} uses the default Kubernetes provider (the deployer's ~/.kube/config); "
                          "pass the EKS platform's kubernetes_provider")


# Helm: a release name is at most 53 characters (Helm's own limit, helm/pkg/chartutil); the fake also refuses a
# chart version that is not one exact version (a range or nothing would install whatever is newest that day).
_RELEASE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$")


def helm_release(fake, name: str, inputs: dict):
    release = inputs.get("name") or name
    if len(release) > 53 or not _RELEASE_NAME.match(release):
        raise EksApiError(f"helm: release name {release!r}: at most 53 lowercase letters, digits and '-'")
    version = inputs.get("version")
    if not isinstance(version, str) or not _EXACT_VERSION.match(version):
        raise EksApiError(f"helm: chart {inputs.get('chart')!r} without an exact version ({version!r}): pin one")
    repo = (inputs.get("repositoryOpts") or {}).get("repo", "")
    if not str(repo).startswith("https://"):
        raise EksApiError(f"helm: chart repository {repo!r} is not HTTPS")
    namespace = inputs.get("namespace") or "default"
    return f"{namespace}/{release}", {"status": {"name": release, "namespace": namespace, "chart": inputs.get(
        "chart"), "version": version, "status": "deployed", "revision": 1}}


RESOURCES = {
    "kubernetes:helm.sh/v3:Release": helm_release,
    "aws:eks/nodeGroup:NodeGroup": node_group,
    "aws:eks/addon:Addon": addon,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": pod_identity_association,
    "aws:eks/accessEntry:AccessEntry": access_entry,
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": lambda f, n, i: (
        f"{i['clusterName']}#{i['principalArn']}#{i['policyArn']}", {}),
    **{f"kubernetes:{gv}:{kind}": kubernetes_object(f"kubernetes:{gv}:{kind}")
       for gv, kinds in KINDS.items() for kind in kinds},
    **fake_lattice.RESOURCES,  # eks.lattice: VPC Lattice and the RAM share of its service network
}
