"""RustFS on EKS: a zone-spread StatefulSet with one EBS claim per drive, TLS inside, and an internal NLB.

Same cluster as EC2 mode, other placement. Pod ``rustfs-<i>`` (the StatefulSet's ordinals start at 1) is
node ``rustfs-<i>.rustfs-headless.<ns>.svc.cluster.local``: the names, the erasure layout and
``RUSTFS_VOLUMES`` come from ``rustfs_model.layout`` exactly as in EC2 mode, with the headless Service's
domain as the cluster domain. Its drives are the claims ``data-<d>`` mounted at ``/data/rustfs<d>``.

Anchor: RustFS's Helm chart (helm/rustfs at 1.0.0-rc.3, templates/statefulset.yaml, values.yaml). Beyond it:
* Names 1..N like EC2 mode (``spec.ordinals.start``, GA in Kubernetes 1.31), not the chart's 0..N-1, so one
  layout model and one volumes string serve both platforms.
* A startup probe whose budget outlasts RustFS's own start-up bounds (``bootstrap/startup.py``): the chart
  has none, so its liveness probe (30 s + 3 x 5 s) kills pods still waiting for peers - the "all pods start
  at once and deadlock on quorum" failure (rustfs/rustfs#2945). With ``podManagementPolicy: Parallel`` and a
  headless Service that publishes not-ready addresses every pod is up and resolvable at once.
* Local drives found by the pod's own name (``RUSTFS_LOCAL_ENDPOINT_HOST``, orchestrated mode), not DNS:
  the start-up DNS race (rustfs/rustfs PR #4881) cannot leave a pod without its own drives.
* TLS on by default and mounted as a whole Secret volume (the chart mounts files by ``subPath``, which the
  kubelet never updates); with ``RUSTFS_TLS_RELOAD_ENABLE`` a renewed certificate is picked up live.
* Zone spread is required, not an example: maxSkew 1 with ``DoNotSchedule`` and ``minDomains`` = the zone
  count (a zone without a schedulable node keeps pods Pending instead of piling them into the others), plus
  required anti-affinity on the hostname; the AZ-loss claim is ``rustfs_model.zone_spread``'s.
* Restricted Pod Security (seccomp RuntimeDefault, which the chart lacks), ``fsGroupChangePolicy:
  OnRootMismatch`` (no recursive chown of a full drive at every start; rustfs/rustfs#987 is the permission
  failure ``fsGroup`` prevents), claims retained when the StatefulSet is deleted or scaled down, a
  NetworkPolicy, Guaranteed QoS.

TLS: every pod of a StatefulSet mounts the same Secret (the pod template is shared; a per-ordinal Secret
would need a CSI driver or an operator at run time), so ONE certificate is issued from the stack's CA
(``cluster/tls.py``) whose SANs name every pod, the headless and the S3 Service and the S3 endpoint names.
This loses nothing: the pods already share the root credentials and the RPC secret, so a pod that leaked its
key could impersonate its peers anyway. Rejected: cert-manager - a controller and CRDs the stack would have
to install and keep running before RustFS can start, for no isolation gain.

Credentials: a Secret made from the stack's generated root credentials (``security/credentials.py``), read
through ``env.valueFrom.secretKeyRef``: the value is in no object's spec. RUSTFS_RPC_SECRET has no ``*_FILE``
form in this release (``crates/credentials/src/constants.rs`` reads only the variable), so files would help
only two of the three.

Image: ``rustfs/rustfs:<version>`` by tag, the release's version without a "v" (README.md:
``rustfs/rustfs:1.0.0-rc.3``), multi-arch (docker-buildx.sh: linux/amd64 and linux/arm64, so Graviton node
groups work); the image's user is uid/gid 10001 (Dockerfile ``adduser -u 10001``).
A tag can be re-pushed; ``image_digest`` (config ``eks.rustfs.imageDigest``) pins the exact image:
``rustfs/rustfs:<version>@sha256:...``. With both, the container runtime pulls by digest and the tag only
documents the version (Kubernetes docs, "Images": "image names ... with a digest"). Take the digest of the
multi-arch manifest list (``docker buildx imagetools inspect`` / ``crane digest`` print it), not of one
platform's image, or the other architecture's nodes cannot run it. This program cannot resolve it (no registry
access at plan time); the pack's ``rustfs-kubernetes-pod-require-image-digest`` flags an unpinned image.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
import pulumi_tls as tls

from rustfs_aws.cluster.bootstrap.render import DEFAULT_READINESS_WAIT, RUSTFS_LOG_LEVEL
from rustfs_aws.cluster.bootstrap.startup import DEFAULT_TOPOLOGY_WAIT, unit_start_timeout
from rustfs_aws.cluster.tls import NODE_EARLY_RENEWAL_HOURS, NODE_USES, NODE_VALIDITY_HOURS
from rustfs_aws.eks.constants import (
    IMAGE_DIGEST_PATTERN,
    S3_SERVICE_NAME,
    STORAGE_NODE_LABEL_KEY,
    STORAGE_NODE_LABEL_VALUE,
    STORAGE_NODE_TAINT_EFFECT,
    STORAGE_NODE_TAINT_KEY,
    STORAGE_NODE_TAINT_VALUE,
    ZONE_TOPOLOGY_KEY,
)
from rustfs_model import zone_spread
from rustfs_model.layout import Layout, Node, Pool, compute_layout, node_name, volumes_string

STATEFULSET = S3_SERVICE_NAME  # layout.node_name's prefix: pod rustfs-<i> is node rustfs-<i>; also the S3 Service
HEADLESS = f"{STATEFULSET}-headless"
CLUSTER_DOMAIN = "cluster.local"  # EKS's cluster DNS domain (CoreDNS add-on default)
S3_PORT, CONSOLE_PORT = 9000, 9001
RUSTFS_UID = 10001  # rustfs/rustfs Dockerfile: addgroup -g 10001 / adduser -u 10001, USER rustfs
MOUNT_ROOT = "/data"
TLS_DIR = "/etc/rustfs/tls"
LOG_DIR = "/logs"  # the image's RUSTFS_OBS_LOG_DIRECTORY; an emptyDir, the root filesystem is read-only
SCRATCH_LIMIT = "1Gi"  # emptyDir size limits for /tmp and the logs (evicted above it, never fills the node)
STARTUP_PERIOD_SECONDS = 10
TERMINATION_GRACE_SECONDS = 120
# File names RustFS reads in RUSTFS_TLS_PATH (docs/tls.md; crates/tls-runtime/src/source.rs).
TLS_FILES = ("rustfs_cert.pem", "rustfs_key.pem", "ca.crt")
CREDENTIAL_KEYS = ("RUSTFS_ACCESS_KEY", "RUSTFS_SECRET_KEY", "RUSTFS_RPC_SECRET")
# AWS Load Balancer Controller (v2.x) Service annotations: an internal NLB with pod IPs as targets (EKS User
# Guide, "Route TCP and UDP traffic with Network Load Balancers"; the controller's docs, "Network Load
# Balancer" annotations). Client IPs are preserved so the NetworkPolicy sees the real source.
NLB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "external",
    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": "preserve_client_ip.enabled=true",
    "service.beta.kubernetes.io/aws-load-balancer-attributes": "load_balancing.cross_zone.enabled=true",
    "service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol": "HTTPS",
    "service.beta.kubernetes.io/aws-load-balancer-healthcheck-path": "/health/ready",
    "service.beta.kubernetes.io/aws-load-balancer-healthcheck-port": str(S3_PORT),
}
NLB_SUBNETS_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-subnets"
# The controller's load balancer class: the in-tree cloud provider then never builds a classic ELB for it.
NLB_CLASS = "service.k8s.aws/nlb"


def _as_list(value) -> list:
    return [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]


def _ingress_hostname(status) -> str | None:
    ingress = getattr(getattr(status, "load_balancer", None), "ingress", None) or []
    return getattr(ingress[0], "hostname", None) if ingress else None


def pod_domain(namespace: str) -> str:
    """The headless Service's domain: every pod's name is ``rustfs-<i>.`` + this."""
    return f"{HEADLESS}.{namespace}.svc.{CLUSTER_DOMAIN}"


@dataclass(frozen=True)
class WorkloadPlan:
    pod_names: tuple[str, ...]  # fully qualified, rustfs-1 .. rustfs-N
    layout: Layout
    volumes: str  # RUSTFS_VOLUMES


def plan_workload(namespace: str, nodes: int, drives_per_node: int, volume_size_gib: int) -> WorkloadPlan:
    """Pod names and the erasure layout, by the same model and names scheme as EC2 mode (plan_cluster).
    The zone of each pod is the scheduler's: the layout's AZ figures are not used (see zone_spread)."""
    domain = pod_domain(namespace)
    names = tuple(node_name(i + 1, domain) for i in range(nodes))
    pool = Pool(nodes=tuple(Node(n, "scheduled", drives_per_node, volume_size_gib) for n in names))
    return WorkloadPlan(names, compute_layout([pool]), volumes_string([pool], domain, mount_root=MOUNT_ROOT))


def certificate_sans(namespace: str, pod_names: list[str] | tuple[str, ...], endpoint_names: list[str]) -> list[str]:
    """The one certificate's DNS SANs: every pod, the S3 Service's in-cluster names, the S3 endpoint names."""
    service = [f"{STATEFULSET}.{namespace}.svc", f"{STATEFULSET}.{namespace}.svc.{CLUSTER_DOMAIN}"]
    sans = [*pod_names, *service, *endpoint_names]
    return list(dict.fromkeys(sans))


def startup_failure_threshold(topology_wait: int, readiness_wait: int) -> int:
    """Startup probe failures allowed: their time covers RustFS's own start-up bound plus a margin
    (``unit_start_timeout``, the bound EC2 mode gives systemd), so RustFS always gives up first."""
    return math.ceil(unit_start_timeout(topology_wait, readiness_wait) / STARTUP_PERIOD_SECONDS)


@dataclass
class RustfsWorkloadArgs:
    namespace: str
    nodes: int
    drives_per_node: int
    volume_size_gib: int
    storage_class_name: str
    zone_names: list[str]  # the AZs with a storage node group; minDomains of the zone spread
    access_key: pulumi.Input[str]  # secret Outputs (RootCredentials.access_key/secret_key/rpc_secret)
    secret_key: pulumi.Input[str]
    rpc_secret: pulumi.Input[str]
    ca_cert_pem: pulumi.Input[str]  # ClusterTls.ca_cert_pem / ca_private_key_pem
    ca_private_key_pem: pulumi.Input[str]
    rustfs_version: str
    region: str
    memory_gib: float  # requests = limits (Guaranteed QoS)
    cpu: float
    client_namespaces: list[str] = field(default_factory=list)  # pods there may reach 9000
    client_cidrs: list[str] = field(default_factory=list)  # sources through the NLB (and its health checks)
    admin_cidrs: list[str] = field(default_factory=list)  # the only sources of 9001
    console: bool = False
    endpoint_names: list[str] = field(default_factory=list)  # S3 endpoint names in the certificate
    # The NLB's subnets (the private ones), named to the controller: no dependence on subnet discovery tags.
    subnet_ids: list[pulumi.Input[str]] = field(default_factory=list)
    server_domains: list[str] = field(default_factory=list)  # RUSTFS_SERVER_DOMAINS
    topology_wait_seconds: int = DEFAULT_TOPOLOGY_WAIT  # cluster.startup.* (bootstrap/startup.py)
    readiness_wait_seconds: int = DEFAULT_READINESS_WAIT
    image_digest: str | None = None  # sha256:<64 hex> of the release's manifest list; pins the image beyond its tag
    labels: dict[str, str] = field(default_factory=dict)
    # prod: the Namespace (deleting it deletes every claim in it), the StatefulSet and the credentials Secret
    # are protected; a plan that would delete or replace them fails, as for the EC2 data volumes.
    protect: bool = False


class RustfsWorkload(pulumi.ComponentResource):
    """``namespace``, ``service_name`` (the S3 Service), ``volumes`` (RUSTFS_VOLUMES), ``pod_names``, ``plan``."""

    def __init__(self, name: str, args: RustfsWorkloadArgs, opts: pulumi.ResourceOptions | None = None):
        if args.image_digest is not None and not re.match(IMAGE_DIGEST_PATTERN, args.image_digest):
            raise ValueError(f"image_digest {args.image_digest!r}: expected 'sha256:' and 64 lowercase hex digits "
                             f"(the digest of rustfs/rustfs:{args.rustfs_version}'s manifest list)")
        super().__init__("rustfs:eks:RustfsWorkload", name, None, opts)
        self._args = args
        self.plan = plan_workload(args.namespace, args.nodes, args.drives_per_node, args.volume_size_gib)
        # What an AZ loss does under every placement the zone spread allows (config refuses prod stacks that
        # cannot survive it; this is the same analysis, reported with the stack).
        self.spread = zone_spread.analyse(args.nodes, args.drives_per_node, len(args.zone_names))
        self._labels = {"app.kubernetes.io/name": "rustfs", "app.kubernetes.io/instance": name,
                        "app.kubernetes.io/part-of": "rustfs-aws"}
        ns = k8s.core.v1.Namespace(f"{name}-namespace", metadata={
            "name": args.namespace,
            "labels": {**args.labels, **self._labels,
                       # Pod Security admission: refuse any pod below "restricted" in this namespace.
                       "pod-security.kubernetes.io/enforce": "restricted",
                       "pod-security.kubernetes.io/enforce-version": "latest",
                       "pod-security.kubernetes.io/warn": "restricted",
                       "pod-security.kubernetes.io/audit": "restricted"}},
            # A component's dependencies hold for its children only when passed on: every object here depends
            # on the Namespace, so it waits for whatever the component was told to wait for (the StorageClass,
            # the CSI driver, the load balancer controller whose webhook admits Services).
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=_as_list(
                opts.depends_on if opts else None)))
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        self._credentials = self._credentials_secret(name, in_ns)
        self._tls = self._tls_secret(name, in_ns)
        account = k8s.core.v1.ServiceAccount(f"{name}-service-account", metadata=self._meta(STATEFULSET),
                                             automount_service_account_token=False, opts=in_ns)
        headless = k8s.core.v1.Service(f"{name}-headless", metadata=self._meta(HEADLESS), spec={
            "clusterIP": "None",
            # Peers resolve each other before they are ready: RustFS needs its peers to become ready.
            "publishNotReadyAddresses": True,
            "selector": self._labels,
            "ports": [{"name": "s3", "port": S3_PORT, "targetPort": S3_PORT, "protocol": "TCP"}]}, opts=in_ns)
        self.statefulset = k8s.apps.v1.StatefulSet(
            f"{name}-statefulset", metadata=self._meta(STATEFULSET), spec=self._statefulset_spec(),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect,
                                        depends_on=[ns, account, headless, self._credentials, self._tls]))
        k8s.policy.v1.PodDisruptionBudget(f"{name}-pdb", metadata=self._meta(STATEFULSET), spec={
            "maxUnavailable": 1, "selector": {"matchLabels": self._labels}}, opts=in_ns)
        k8s.networking.v1.NetworkPolicy(f"{name}-ingress", metadata=self._meta(f"{STATEFULSET}-ingress"),
                                        spec=self._network_policy(), opts=in_ns)
        annotations: dict = dict(NLB_ANNOTATIONS)
        if args.subnet_ids:
            # Without it the controller looks for subnets tagged kubernetes.io/role/internal-elb (its docs,
            # "Subnet auto-discovery"), which the stack's subnets are not.
            annotations[NLB_SUBNETS_ANNOTATION] = pulumi.Output.all(*args.subnet_ids).apply(",".join)
        self.service = k8s.core.v1.Service(f"{name}-s3", metadata={
            **self._meta(STATEFULSET), "annotations": annotations}, spec=self._s3_service(), opts=in_ns)
        # The NLB's DNS name, once the controller has created it (pulumi-kubernetes waits for a LoadBalancer
        # Service's status.loadBalancer.ingress before it reports the Service created).
        self.load_balancer_hostname = self.service.status.apply(_ingress_hostname)
        self.namespace = args.namespace
        self.service_name = STATEFULSET
        self.volumes = self.plan.volumes
        self.pod_names = list(self.plan.pod_names)
        self.register_outputs({"namespace": self.namespace, "serviceName": self.service_name,
                               "rustfsVolumes": self.volumes, "podNames": self.pod_names,
                               "survivesAzLoss": self.spread.survives_az_loss,
                               "survivesNodeLoss": self.spread.survives_node_loss})

    def _meta(self, name: str) -> dict:
        return {"name": name, "namespace": self._args.namespace, "labels": {**self._args.labels, **self._labels}}

    # --- secrets -----------------------------------------------------------------------------------

    def _credentials_secret(self, name: str, opts: pulumi.ResourceOptions) -> k8s.core.v1.Secret:
        a = self._args
        values = dict(zip(CREDENTIAL_KEYS, (a.access_key, a.secret_key, a.rpc_secret), strict=True))
        return k8s.core.v1.Secret(f"{name}-credentials", metadata=self._meta(f"{STATEFULSET}-root-credentials"),
                                  type="Opaque", string_data=pulumi.Output.secret(values),
                                  opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=a.protect)))

    def _tls_secret(self, name: str, opts: pulumi.ResourceOptions) -> k8s.core.v1.Secret:
        a = self._args
        child = pulumi.ResourceOptions(parent=self)
        key = tls.PrivateKey(f"{name}-tls-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child)
        request = tls.CertRequest(
            f"{name}-tls-csr", private_key_pem=key.private_key_pem,
            dns_names=certificate_sans(a.namespace, self.plan.pod_names, a.endpoint_names),
            subject=tls.CertRequestSubjectArgs(common_name=f"{STATEFULSET}.{a.namespace}.svc",
                                               organization="rustfs-aws"),
            opts=pulumi.ResourceOptions(parent=key))
        cert = tls.LocallySignedCert(
            f"{name}-tls-cert", cert_request_pem=request.cert_request_pem, ca_private_key_pem=a.ca_private_key_pem,
            ca_cert_pem=a.ca_cert_pem, validity_period_hours=NODE_VALIDITY_HOURS,
            early_renewal_hours=NODE_EARLY_RENEWAL_HOURS, allowed_uses=NODE_USES,
            opts=pulumi.ResourceOptions(parent=key))
        files = dict(zip(TLS_FILES, (cert.cert_pem, key.private_key_pem_pkcs8, a.ca_cert_pem), strict=True))
        return k8s.core.v1.Secret(f"{name}-tls", metadata=self._meta(f"{STATEFULSET}-tls"), type="Opaque",
                                  string_data=pulumi.Output.secret(files), opts=opts)

    # --- the StatefulSet ---------------------------------------------------------------------------

    def _environment(self) -> list[dict]:
        a = self._args
        plain = {
            "RUSTFS_VOLUMES": self.plan.volumes,
            "RUSTFS_ADDRESS": f":{S3_PORT}",
            "RUSTFS_CONSOLE_ENABLE": "true" if a.console else "false",
            "RUSTFS_CONSOLE_ADDRESS": f":{CONSOLE_PORT}",
            "RUSTFS_REGION": a.region,
            "RUSTFS_OBS_LOG_DIRECTORY": LOG_DIR,
            "RUSTFS_OBS_LOGGER_LEVEL": RUSTFS_LOG_LEVEL,
            # The pod's own drives by its own name, without DNS (bootstrap/startup.py explains the mode).
            "RUSTFS_LOCAL_ENDPOINT_HOST": f"$(POD_NAME).{pod_domain(a.namespace)}",
            "RUSTFS_STARTUP_TOPOLOGY_WAIT_MODE": "orchestrated",
            "RUSTFS_STARTUP_TOPOLOGY_WAIT_TIMEOUT": str(a.topology_wait_seconds),
            "RUSTFS_STARTUP_READINESS_MAX_WAIT_SECS": str(a.readiness_wait_seconds),
            "RUSTFS_TLS_PATH": TLS_DIR,
            "RUSTFS_TLS_RELOAD_ENABLE": "true",
        }
        if a.server_domains:
            plain["RUSTFS_SERVER_DOMAINS"] = ",".join(a.server_domains)
        pod_name = {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
        secrets = [{"name": key, "valueFrom": {"secretKeyRef": {"name": f"{STATEFULSET}-root-credentials",
                                                                "key": key}}} for key in CREDENTIAL_KEYS]
        # POD_NAME first: $(POD_NAME) expands only from variables defined before it.
        return [pod_name, *({"name": k, "value": v} for k, v in plain.items()), *secrets]

    def _probes(self) -> dict:
        a = self._args

        def https(path: str, **timing) -> dict:
            return {"httpGet": {"path": path, "port": S3_PORT, "scheme": "HTTPS"}, "timeoutSeconds": 5, **timing}

        return {
            "startupProbe": https("/health", periodSeconds=STARTUP_PERIOD_SECONDS, failureThreshold=(
                startup_failure_threshold(a.topology_wait_seconds, a.readiness_wait_seconds))),
            "livenessProbe": https("/health", periodSeconds=10, failureThreshold=3),
            # /health/ready flaps briefly (rustfs/rustfs#7950): three failures before a pod leaves the NLB.
            "readinessProbe": https("/health/ready", periodSeconds=5, failureThreshold=3),
        }

    def _container(self) -> dict:
        a = self._args
        image = f"rustfs/rustfs:{a.rustfs_version}" + (f"@{a.image_digest}" if a.image_digest else "")
        memory = f"{int(round(a.memory_gib * 1024))}Mi"
        cpu = f"{int(round(a.cpu * 1000))}m"
        mounts = [{"name": f"data-{d}", "mountPath": f"{MOUNT_ROOT}/rustfs{d}"} for d in range(a.drives_per_node)]
        mounts += [{"name": "tls", "mountPath": TLS_DIR, "readOnly": True},
                   {"name": "tmp", "mountPath": "/tmp"}, {"name": "logs", "mountPath": LOG_DIR}]
        ports = [{"name": "s3", "containerPort": S3_PORT, "protocol": "TCP"}]
        if a.console:
            ports.append({"name": "console", "containerPort": CONSOLE_PORT, "protocol": "TCP"})
        return {
            "name": "rustfs", "image": image, "imagePullPolicy": "IfNotPresent",
            "ports": ports, "env": self._environment(), "volumeMounts": mounts,
            "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory}},
            "securityContext": {
                "runAsNonRoot": True, "runAsUser": RUSTFS_UID, "runAsGroup": RUSTFS_UID,
                "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False, "privileged": False,
                "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
            **self._probes(),
        }

    def _scheduling(self) -> dict:
        a = self._args
        selector = {"matchLabels": self._labels}
        return {
            "nodeSelector": {STORAGE_NODE_LABEL_KEY: STORAGE_NODE_LABEL_VALUE},
            "tolerations": [{"key": STORAGE_NODE_TAINT_KEY, "operator": "Equal", "value": STORAGE_NODE_TAINT_VALUE,
                             "effect": STORAGE_NODE_TAINT_EFFECT}],
            # minDomains: while fewer zones than configured have a schedulable storage node, the scheduler
            # counts the missing ones as empty, so pods wait instead of crowding the others - the placement
            # zone_spread reasons about. The price: during an AZ outage a pod whose node also dies waits for
            # the zone to return (its claims pin it to its own zone anyway); the cluster is then past its
            # AZ-loss tolerance in most layouts, and the PDB already blocks voluntary evictions.
            "topologySpreadConstraints": [{
                "maxSkew": 1, "topologyKey": ZONE_TOPOLOGY_KEY, "whenUnsatisfiable": "DoNotSchedule",
                "minDomains": len(a.zone_names), "labelSelector": selector,
                "nodeAffinityPolicy": "Honor", "nodeTaintsPolicy": "Honor"}],
            "affinity": {
                "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{
                    "matchExpressions": [{"key": ZONE_TOPOLOGY_KEY, "operator": "In",
                                          "values": list(a.zone_names)}]}]}},
                "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
                    "labelSelector": selector, "topologyKey": "kubernetes.io/hostname"}]}},
        }

    def _statefulset_spec(self) -> dict:
        a = self._args
        claims = [{"metadata": {"name": f"data-{d}", "labels": self._labels}, "spec": {
            "accessModes": ["ReadWriteOnce"], "storageClassName": a.storage_class_name,
            "resources": {"requests": {"storage": f"{a.volume_size_gib}Gi"}}}} for d in range(a.drives_per_node)]
        scratch = {"sizeLimit": SCRATCH_LIMIT}
        return {
            "serviceName": HEADLESS,
            "replicas": a.nodes,
            "ordinals": {"start": 1},
            "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            # Volumes outlive the StatefulSet and a scale-down: the data is the stack's, not the pods'.
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            "selector": {"matchLabels": self._labels},
            "template": {"metadata": {"labels": self._labels}, "spec": {
                "serviceAccountName": STATEFULSET,
                "automountServiceAccountToken": False,
                "enableServiceLinks": False,
                "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
                "securityContext": {
                    "runAsNonRoot": True, "runAsUser": RUSTFS_UID, "runAsGroup": RUSTFS_UID,
                    "fsGroup": RUSTFS_UID, "fsGroupChangePolicy": "OnRootMismatch",
                    "seccompProfile": {"type": "RuntimeDefault"}},
                **self._scheduling(),
                "containers": [self._container()],
                "volumes": [
                    {"name": "tls", "secret": {"secretName": f"{STATEFULSET}-tls", "defaultMode": 0o440}},
                    {"name": "tmp", "emptyDir": scratch}, {"name": "logs", "emptyDir": scratch}],
            }},
            "volumeClaimTemplates": claims,
        }

    # --- traffic -----------------------------------------------------------------------------------

    def _network_policy(self) -> dict:
        a = self._args
        s3_from = [{"podSelector": {"matchLabels": self._labels}}]
        if a.client_namespaces:
            s3_from.append({"namespaceSelector": {"matchExpressions": [{
                "key": "kubernetes.io/metadata.name", "operator": "In", "values": list(a.client_namespaces)}]}})
        s3_from += [{"ipBlock": {"cidr": c}} for c in a.client_cidrs]
        rules = [{"ports": [{"port": S3_PORT, "protocol": "TCP"}], "from": s3_from}]
        if a.console and a.admin_cidrs:
            rules.append({"ports": [{"port": CONSOLE_PORT, "protocol": "TCP"}],
                          "from": [{"ipBlock": {"cidr": c}} for c in a.admin_cidrs]})
        # Ingress only: everything not listed above is refused, 9001 entirely without admin CIDRs.
        return {"podSelector": {"matchLabels": self._labels}, "policyTypes": ["Ingress"], "ingress": rules}

    def _s3_service(self) -> dict:
        ports = [{"name": "s3", "port": S3_PORT, "targetPort": S3_PORT, "protocol": "TCP"}]
        if self._args.console:
            ports.append({"name": "console", "port": CONSOLE_PORT, "targetPort": CONSOLE_PORT, "protocol": "TCP"})
        # TCP passthrough: the NLB never terminates TLS, clients talk HTTPS to the pods' certificate.
        return {"type": "LoadBalancer", "loadBalancerClass": NLB_CLASS, "selector": self._labels, "ports": ports}
