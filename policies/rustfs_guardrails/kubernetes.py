"""Kubernetes objects (EKS mode): pod security, Services and StorageClasses."""

from __future__ import annotations

import re

from pulumi_policy import Severity

from ._kit import Res, get, is_false, is_true, is_unknown, items, resource_policy, stack_policy
from .resilience import BACKUP_SELECTION, DLM, _dlm_covers, _selection_covers

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

def storage_class_volume_tags(params: dict) -> dict[str, object] | None:
    """The tags the EBS CSI driver puts on every volume of this StorageClass: each ``tagSpecification*``
    parameter's ``key=value`` (aws-ebs-csi-driver docs/tagging.md). None when a value is unknown (preview)."""
    tags: dict[str, object] = {}
    for name, value in params.items():
        if not str(name).startswith("tagSpecification"):
            continue
        if not isinstance(value, str) or is_unknown(value):
            return None
        key, _, tag_value = value.partition("=")
        tags[key] = tag_value
    return tags


def _check_storage_class_snapshots(resources: list[Res], cfg: dict, report) -> None:
    policies = [r for r in resources if r.type == DLM]
    selections = [r for r in resources if r.type == BACKUP_SELECTION]
    for sc in (r for r in resources if r.type == STORAGE_CLASS):
        params = sc.get("parameters")
        if sc.get("provisioner") not in ("ebs.csi.aws.com", "kubernetes.io/aws-ebs") or is_unknown(params):
            continue
        tags = storage_class_volume_tags(params if isinstance(params, dict) else {})
        if tags is None:
            continue
        verdicts = [_dlm_covers(p, tags) for p in policies] + [_selection_covers(s, tags) for s in selections]
        if not any(v is None or v for v in verdicts):
            shown = ", ".join(f"{k}={v}" for k, v in tags.items()) or "none"
            report(f"StorageClass '{sc.name}' creates EBS volumes that no enabled DLM policy or AWS Backup "
                   f"selection of the stack covers (their tags: {shown}); tag them (parameters "
                   "tagSpecification_N: key=value) with a policy's target tags.", sc.urn)


storage_class_snapshots = stack_policy(
    "rustfs-kubernetes-storageclass-require-snapshots",
    "The volumes of every EBS StorageClass carry tags (tagSpecification_N) that an enabled DLM lifecycle policy "
    "or AWS Backup selection of the stack targets: a retained claim is not a backup.",
    severity=Severity.HIGH, types=[STORAGE_CLASS, DLM, BACKUP_SELECTION],
    check=_check_storage_class_snapshots, checks=["CKV2_AWS_9"], topics=["kubernetes", "resilience", "backup"])

NAMESPACE = "kubernetes:core/v1:Namespace"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
ZONE_KEY = "topology.kubernetes.io/zone"


def _check_namespace(res: Res, cfg: dict, report) -> None:
    labels = get(res.props, "metadata", "labels")
    if is_unknown(labels):
        return
    level = labels.get(ENFORCE_LABEL) if isinstance(labels, dict) else None
    if level != "restricted" and not is_unknown(level):
        report(f"Namespace '{res.name}' does not enforce Pod Security 'restricted' ({ENFORCE_LABEL}: "
               f"{level or 'unset'}); label it {ENFORCE_LABEL}: restricted so the API server refuses weaker pods.")


namespace_pod_security = resource_policy(
    "rustfs-kubernetes-namespace-require-restricted-pod-security",
    "Namespaces the stack creates enforce the Pod Security Standard 'restricted' through the admission label.",
    severity=Severity.HIGH, types=[NAMESPACE], check=_check_namespace, topics=["kubernetes", "exposure"])


def _namespace_of(res: Res) -> str | None:
    """The object's namespace ("default" when unset); None when unknown at preview (matches any)."""
    namespace = get(res.props, "metadata", "namespace")
    if is_unknown(namespace):
        return None
    return namespace if isinstance(namespace, str) and namespace else "default"


def _same_namespace(a: Res, b: Res) -> bool:
    first, second = _namespace_of(a), _namespace_of(b)
    return first is None or second is None or first == second


def _selects(selector: object, labels: object) -> bool | None:
    """Whether a PDB's label selector selects pods with ``labels``; None when unknown at preview."""
    if is_unknown(selector) or is_unknown(labels):
        return None
    match = get(selector, "matchLabels") if isinstance(selector, dict) else None
    expressions = get(selector, "matchExpressions") if isinstance(selector, dict) else None
    if is_unknown(match) or is_unknown(expressions):
        return None
    if not isinstance(labels, dict) or (not match and not expressions):
        return False
    if isinstance(match, dict) and any(labels.get(k) != v for k, v in match.items()):
        return False
    for e in expressions if isinstance(expressions, list) else []:
        value, op, values = labels.get(get(e, "key")), get(e, "operator"), get(e, "values")
        if is_unknown(value) or is_unknown(op) or is_unknown(values):
            return None
        values = values if isinstance(values, list) else []
        if (op == "In" and value not in values) or (op == "NotIn" and value in values) or \
                (op == "Exists" and value is None) or (op == "DoesNotExist" and value is not None):
            return False
    return True


def _check_disruption_budget(resources: list[Res], cfg: dict, report) -> None:
    budgets = [r for r in resources if r.type == PDB]
    for sts in (r for r in resources if r.type == STATEFULSET):
        replicas = sts.get("spec", "replicas")
        if isinstance(replicas, (int, float)) and replicas < 2:
            continue
        labels = get(sts.props, "spec", "template", "metadata", "labels")
        covering = [b for b in budgets if _same_namespace(b, sts)
                    and _selects(b.get("spec", "selector"), labels) is not False]
        if not covering:
            report(f"StatefulSet '{sts.name}' has no PodDisruptionBudget selecting its pods: a node drain may "
                   "evict several RustFS pods at once and lose the erasure sets' quorum.", sts.urn)
            continue
        for b in covering:
            most = b.get("spec", "maxUnavailable")
            if isinstance(most, (int, float)) and most > cfg["maxUnavailable"]:
                report(f"PodDisruptionBudget '{b.name}' allows {int(most)} pods of '{sts.name}' down at once; "
                       f"at most {cfg['maxUnavailable']}.", b.urn)


disruption_budget = stack_policy(
    "rustfs-kubernetes-statefulset-require-disruption-budget",
    "Every StatefulSet of more than one pod has a PodDisruptionBudget in its namespace selecting its pods, "
    "allowing at most maxUnavailable pods down at once.",
    severity=Severity.HIGH, types=[STATEFULSET, PDB], check=_check_disruption_budget,
    topics=["kubernetes", "resilience"],
    config={"maxUnavailable": {"type": "number", "minimum": 1, "default": 1}})


def _check_zone_spread(res: Res, cfg: dict, report) -> None:
    spec = _pod_spec(res)
    replicas = res.get("spec", "replicas")
    if spec is None or (isinstance(replicas, (int, float)) and replicas < 2):
        return
    constraints = spec.get("topologySpreadConstraints")
    if is_unknown(constraints):
        return
    zone = [c for c in constraints or [] if isinstance(c, dict) and c.get("topologyKey") == ZONE_KEY]
    if not any(c.get("maxSkew") == 1 and c.get("whenUnsatisfiable") == "DoNotSchedule" for c in zone):
        report(f"StatefulSet '{res.name}' does not require spreading its pods over zones (topologySpreadConstraints "
               f"on {ZONE_KEY} with maxSkew 1 and whenUnsatisfiable DoNotSchedule): one AZ could hold enough pods "
               "to take an erasure set below quorum.")
    anti = get(spec, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
    if is_unknown(anti):
        return
    if not any(isinstance(t, dict) and t.get("topologyKey") == "kubernetes.io/hostname" for t in anti or []):
        report(f"StatefulSet '{res.name}' does not require one pod per node (required podAntiAffinity on "
               "kubernetes.io/hostname): one node loss could take several pods.")


zone_spread = resource_policy(
    "rustfs-kubernetes-statefulset-require-zone-spread",
    "StatefulSets of more than one pod require a zone spread (maxSkew 1, DoNotSchedule) and one pod per node.",
    severity=Severity.HIGH, types=[STATEFULSET], check=_check_zone_spread, topics=["kubernetes", "resilience"])

_SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL|API_KEY)", re.I)


def _check_secret_env(res: Res, cfg: dict, report) -> None:
    spec = _pod_spec(res)
    if spec is None:
        return
    for label, container in _containers(spec):
        for env in items(container, "env"):
            if not isinstance(env, dict) or not isinstance(env.get("name"), str):
                continue
            if env.get("value") is not None and _SECRET_NAME.search(env["name"]) and \
                    env["name"] not in cfg["allowedNames"]:
                report(f"'{res.name}' {label} sets {env['name']} as a plain value; read it from a Secret "
                       "(env.valueFrom.secretKeyRef or a mounted Secret volume).")


secret_env = resource_policy(
    "rustfs-kubernetes-pod-disallow-plaintext-secret-env",
    "Container environment variables named like secrets (SECRET, PASSWORD, TOKEN, ACCESS_KEY, ...) come from "
    "Secrets, never as plain values in the pod spec.",
    severity=Severity.HIGH, types=list(WORKLOADS), check=_check_secret_env, checks=["CKV_K8S_35"],
    topics=["kubernetes", "credentials"],
    config={"allowedNames": {"type": "array", "items": {"type": "string"}, "default": [],
                             "description": "variable names that look like secrets but are not"}})

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def _check_image_digest(res: Res, cfg: dict, report) -> None:
    spec = _pod_spec(res)
    if spec is None:
        return
    for label, container in _containers(spec):
        image = container.get("image")
        if not isinstance(image, str) or is_unknown(image) or _DIGEST.search(image):
            continue
        if any(re.search(pattern, image) for pattern in cfg["allowedUnpinned"]):
            continue
        report(f"'{res.name}' {label} runs image '{image}' by tag: a tag can be re-pushed, so nodes may run "
               "different code under one name; pin it by digest (image@sha256:<64 hex> of its manifest list).")


image_digest = resource_policy(
    "rustfs-kubernetes-pod-require-image-digest",
    "Container images are pinned by digest (image@sha256:...), not only by a tag that can be re-pushed. Advisory; "
    "production stacks' policy config makes it mandatory.",
    severity=Severity.MEDIUM, types=list(WORKLOADS), check=_check_image_digest, checks=["CKV_K8S_43"],
    topics=["kubernetes", "supply-chain"],
    config={"allowedUnpinned": {"type": "array", "items": {"type": "string"}, "default": [],
                                "description": "regexes of images that may run by tag"}})

POLICIES = [pod_security, service_internal, storage_class, storage_class_resilience, storage_class_snapshots,
            namespace_pod_security, disruption_budget, zone_spread, secret_env, image_digest]
