"""Kubernetes objects (EKS mode): pod security, Services and StorageClasses."""

from __future__ import annotations

import re

from pulumi_policy import Severity

from ._kit import Res, get, is_false, is_true, is_unknown, items, resource_policy

POD = "kubernetes:core/v1:Pod"
WORKLOADS = {
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    POD: ("spec",),
}
SERVICE = "kubernetes:core/v1:Service"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"


def _pod_spec(res: Res) -> dict | None:
    spec = get(res.props, *WORKLOADS[res.type])
    return spec if isinstance(spec, dict) else None


def _containers(spec: dict) -> list[tuple[str, dict]]:
    found = []
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for c in items(spec, kind):
            if isinstance(c, dict):
                found.append((f"{kind[:-1]} {c.get('name', '?')}", c))
    return found


def _effective(container: dict, pod: dict, key: str) -> object:
    """A securityContext field: the container's own value, else the pod's."""
    value = get(container, "securityContext", key)
    return get(pod, "securityContext", key) if value is None else value


def _check_pod_security(res: Res, cfg: dict, report) -> None:
    spec = _pod_spec(res)
    if spec is None:
        return
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if is_true(spec.get(flag)):
            report(f"'{res.name}' sets {flag}=true.")
    pod_seccomp = get(spec, "securityContext", "seccompProfile", "type")
    for label, container in _containers(spec):
        sc = container.get("securityContext")
        if is_unknown(sc):
            continue
        problems = []
        if is_true(get(container, "securityContext", "privileged")):
            problems.append("privileged")
        non_root, user = _effective(container, spec, "runAsNonRoot"), _effective(container, spec, "runAsUser")
        if not is_true(non_root) and not is_unknown(non_root) and not (isinstance(user, (int, float)) and user > 0):
            problems.append("may run as root (runAsNonRoot not true)")
        escalation = get(container, "securityContext", "allowPrivilegeEscalation")
        if not is_false(escalation) and not is_unknown(escalation):
            problems.append("allowPrivilegeEscalation not false")
        drops = get(container, "securityContext", "capabilities", "drop")
        if not is_unknown(drops) and not (isinstance(drops, list) and "ALL" in drops):
            problems.append("capabilities not dropped (drop: [ALL])")
        adds = get(container, "securityContext", "capabilities", "add")
        if isinstance(adds, list) and set(adds) - set(cfg["allowedCapabilities"]):
            problems.append(f"adds capabilities {sorted(set(adds) - set(cfg['allowedCapabilities']))}")
        seccomp = get(container, "securityContext", "seccompProfile", "type")
        seccomp = pod_seccomp if seccomp is None else seccomp
        if seccomp not in ("RuntimeDefault", "Localhost") and not is_unknown(seccomp):
            problems.append("seccompProfile not RuntimeDefault")
        read_only = get(container, "securityContext", "readOnlyRootFilesystem")
        if not is_true(read_only) and not is_unknown(read_only):
            problems.append("root filesystem writable")
        if problems:
            report(f"'{res.name}' {label}: {'; '.join(problems)}.")


pod_security = resource_policy(
    "rustfs-kubernetes-pod-require-restricted-security-context",
    "Pods run as non-root, unprivileged, without privilege escalation or host namespaces, with all "
    "capabilities dropped, seccomp RuntimeDefault and a read-only root filesystem.",
    severity=Severity.HIGH, types=list(WORKLOADS), check=_check_pod_security,
    checks=["CKV_K8S_16", "CKV_K8S_20", "CKV_K8S_22", "CKV_K8S_23", "CKV_K8S_28", "CKV_K8S_31", "CKV_K8S_37",
            "CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"], topics=["kubernetes", "exposure"],
    config={"allowedCapabilities": {"type": "array", "items": {"type": "string"}, "default": []}})

_INTERNAL = {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
             "service.beta.kubernetes.io/aws-load-balancer-internal": "true"}


def _check_service(res: Res, cfg: dict, report) -> None:
    if get(res.props, "spec", "type") != "LoadBalancer":
        return
    annotations = get(res.props, "metadata", "annotations")
    if is_unknown(annotations):
        return
    annotations = annotations if isinstance(annotations, dict) else {}
    if any(str(annotations.get(k, "")).lower() == v for k, v in _INTERNAL.items()):
        return
    name = get(res.props, "metadata", "name")
    if any(re.search(p, res.name) or (isinstance(name, str) and re.search(p, name))
           for p in cfg["allowInternetFacing"]):
        return
    report(f"Service '{res.name}' of type LoadBalancer gets an internet-facing load balancer; annotate "
           "service.beta.kubernetes.io/aws-load-balancer-scheme: internal.")


service_internal = resource_policy(
    "rustfs-kubernetes-service-require-internal-load-balancer",
    "Kubernetes Services of type LoadBalancer are internal unless explicitly allowed.",
    severity=Severity.HIGH, types=[SERVICE], check=_check_service, topics=["kubernetes", "exposure"],
    config={"allowInternetFacing": {"type": "array", "items": {"type": "string"}, "default": []}})


def _check_storage_class(res: Res, cfg: dict, report) -> None:
    params = res.get("parameters")
    if is_unknown(params):
        return
    params = params if isinstance(params, dict) else {}
    provisioner = res.get("provisioner")
    if provisioner not in ("ebs.csi.aws.com", "kubernetes.io/aws-ebs"):
        return
    if str(params.get("encrypted", "")).lower() != "true":
        report(f"StorageClass '{res.name}' does not encrypt volumes (parameters.encrypted: \"true\").")
    elif cfg["requireKmsKey"] and params.get("kmsKeyId") is None:
        report(f"StorageClass '{res.name}' encrypts with the AWS-managed key; set parameters.kmsKeyId.")
    kind = params.get("type")
    if isinstance(kind, str) and kind not in cfg["allowedVolumeTypes"]:
        report(f"StorageClass '{res.name}' provisions {kind} volumes; use {cfg['allowedVolumeTypes']}.")


storage_class = resource_policy(
    "rustfs-kubernetes-storageclass-require-encryption",
    "EBS StorageClasses encrypt volumes with a customer-managed KMS key and use gp3/io2.",
    severity=Severity.HIGH, types=[STORAGE_CLASS], check=_check_storage_class,
    checks=["CKV_AWS_3", "CKV_AWS_189"], topics=["kubernetes", "encryption"],
    config={"requireKmsKey": {"type": "boolean", "default": True},
            "allowedVolumeTypes": {"type": "array", "items": {"type": "string"}, "default": ["gp3", "io2"]}})


def _check_storage_class_resilience(res: Res, cfg: dict, report) -> None:
    if res.get("provisioner") not in ("ebs.csi.aws.com", "kubernetes.io/aws-ebs"):
        return
    reclaim = res.get("reclaimPolicy")
    if reclaim in (None, "Delete"):
        report(f"StorageClass '{res.name}' deletes volumes with their claims (reclaimPolicy {reclaim or 'Delete'});"
               " RustFS data needs Retain.")
    binding = res.get("volumeBindingMode")
    if binding in (None, "Immediate"):
        report(f"StorageClass '{res.name}' binds volumes immediately; WaitForFirstConsumer keeps a volume in its "
               "pod's AZ.")


storage_class_resilience = resource_policy(
    "rustfs-kubernetes-storageclass-require-retain",
    "EBS StorageClasses retain volumes and bind them where the pod is scheduled.",
    severity=Severity.MEDIUM, types=[STORAGE_CLASS], check=_check_storage_class_resilience,
    topics=["kubernetes", "resilience"])

POLICIES = [pod_security, service_internal, storage_class, storage_class_resilience]
