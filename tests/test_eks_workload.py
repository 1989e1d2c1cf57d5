"""The RustFS workload on EKS (components/eks/workload.py), run alone under the fake AWS and API server.

The recorded Kubernetes objects are checked three ways: by what RustFS and the scheduler need (below), by the
Kubernetes API schemas of the pinned version (kubernetes-validate, strict: unknown fields are refused as the
API server's field validation does), and by checkov's Kubernetes checks (reasoned skips only). The AZ-loss
claim of zone_spread is proven against every balanced placement by brute force.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
import pytest
from capturing_mocks import CapturingFakeAws
from k8s_render import manifests, plain, to_yaml_stream

from preflight.runner import run_stack
from rustfs_aws.cluster.bootstrap.startup import rustfs_start_bound
from rustfs_aws.cluster.storage_nodes import plan_cluster
from rustfs_aws.config import DEFAULT_EKS_VERSION, ConfigError, parse
from rustfs_aws.eks import constants
from rustfs_aws.eks.workload import (
    CREDENTIAL_KEYS,
    STARTUP_PERIOD_SECONDS,
    TLS_FILES,
    RustfsWorkload,
    RustfsWorkloadArgs,
    plan_workload,
)
from rustfs_model import layout, zone_spread
from rustfs_model.ellipses import expand_volumes

ROOT = Path(__file__).resolve().parent.parent
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
SECRETS = {"access_key": "AKIAFAKEFAKEFAKE1234", "secret_key": "s" * 40, "rpc_secret": "r" * 64}
KUBECONFIG = json.dumps({"apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": [], "users": []})


@pytest.fixture
def fake(capture: CapturingFakeAws) -> CapturingFakeAws:
    return capture


def workload_args(**overrides) -> RustfsWorkloadArgs:
    ca_key = "-----BEGIN PRIVATE KEY-----\nfake\n-----END PRIVATE KEY-----\n"
    base = dict(
        namespace="rustfs", nodes=6, drives_per_node=4, volume_size_gib=500,
        storage_class_name=constants.STORAGE_CLASS_NAME, zone_names=ZONES,
        access_key=pulumi.Output.secret(SECRETS["access_key"]), secret_key=pulumi.Output.secret(SECRETS["secret_key"]),
        rpc_secret=pulumi.Output.secret(SECRETS["rpc_secret"]),
        ca_cert_pem="-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n",
        ca_private_key_pem=pulumi.Output.secret(ca_key), rustfs_version="1.0.1", region="us-east-1",
        memory_gib=8, cpu=2, client_namespaces=["analytics"], client_cidrs=["10.40.0.0/16"],
        admin_cidrs=["192.0.2.0/24"], console=True, endpoint_names=["s3.eks.rustfs.internal"])
    return RustfsWorkloadArgs(**{**base, **overrides})


def build(fake: CapturingFakeAws, args: RustfsWorkloadArgs | None = None):
    """The component with an explicit Kubernetes provider (the fake refuses the ambient default one); the
    callback gets the recorded objects once every output has resolved."""
    provider = k8s.Provider("eks-k8s", kubeconfig=KUBECONFIG)
    workload = RustfsWorkload("rustfs", args or workload_args(), pulumi.ResourceOptions(providers=[provider]))
    return workload, workload.statefulset.id


def objects(fake: CapturingFakeAws) -> dict[str, dict]:
    """Kind -> manifest (first of each kind; the S3 and headless Services under their names)."""
    found = {}
    for doc in manifests(fake.recorded):
        key = doc["kind"] if doc["kind"] not in ("Service", "Secret") else f"{doc['kind']}/{doc['metadata']['name']}"
        found.setdefault(key, doc)
    return found


def pod_spec(found: dict) -> dict:
    return found["StatefulSet"]["spec"]["template"]["spec"]


# --- what RustFS and the scheduler need -----------------------------------------------------------------


@pulumi.runtime.test
def test_statefulset_matches_the_layout_model_and_ec2_names(fake):
    _, done = build(fake)

    def check(_):
        found = objects(fake)
        sts = found["StatefulSet"]["spec"]
        assert sts["replicas"] == 6 and sts["podManagementPolicy"] == "Parallel"
        assert sts["ordinals"] == {"start": 1}, "pod rustfs-<i> must be layout node rustfs-<i> (1-based)"
        assert [c["metadata"]["name"] for c in sts["volumeClaimTemplates"]] == [f"data-{d}" for d in range(4)]
        assert all(c["spec"]["storageClassName"] == constants.STORAGE_CLASS_NAME for c in sts["volumeClaimTemplates"])
        assert sts["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
        env = {e["name"]: e for e in pod_spec(found)["containers"][0]["env"]}
        volumes = env["RUSTFS_VOLUMES"]["value"]
        plan = plan_workload("rustfs", 6, 4, 500)
        assert volumes == plan.volumes == "https://rustfs-{1...6}.rustfs-headless.rustfs.svc.cluster.local:9000" \
                                          "/data/rustfs{0...3}"
        # The same model and name scheme as EC2 mode: only the domain differs.
        as_ec2 = volumes.replace("rustfs-headless.rustfs.svc.cluster.local", "d.internal")
        assert [[[e.replace("rustfs-headless.rustfs.svc.cluster.local", "d.internal") for e in s] for s in pool]
                for pool in layout.sets_from_volumes(volumes)] == layout.sets_from_volumes(as_ec2)
        # Every drive path of the volumes string is a mounted claim; the pod's own host is a StatefulSet name.
        mounts = {m["mountPath"]: m["name"] for m in pod_spec(found)["containers"][0]["volumeMounts"]}
        hosts = set()
        for endpoint in expand_volumes(volumes):
            url = urlsplit(endpoint)
            hosts.add(url.hostname)
            assert mounts[url.path] == f"data-{url.path.removeprefix('/data/rustfs')}"
        assert hosts == {f"rustfs-{i}.rustfs-headless.rustfs.svc.cluster.local" for i in range(1, 7)}
        assert env["RUSTFS_LOCAL_ENDPOINT_HOST"]["value"] == "$(POD_NAME).rustfs-headless.rustfs.svc.cluster.local"
        names = [e["name"] for e in pod_spec(found)["containers"][0]["env"]]
        assert names.index("POD_NAME") < names.index("RUSTFS_LOCAL_ENDPOINT_HOST"), "$(VAR) expands only backwards"
        headless = found["Service/rustfs-headless"]["spec"]
        assert headless["clusterIP"] == "None" and headless["publishNotReadyAddresses"] is True
        assert found["StatefulSet"]["spec"]["serviceName"] == "rustfs-headless"

    return done.apply(check)


def test_plan_uses_the_ec2_layout_of_the_same_shape():
    from rustfs_aws.config import ClusterConfig, VolumeConfig
    cluster = ClusterConfig(platform="ec2", nodes=6, drives_per_node=4, instance_type="m6i.large",
                            rustfs_version="1.0.1", volume=VolumeConfig("gp3", 500, 3000, 125),
                            allow_unknown_instance_type=False, allow_az_loss_unsafe=False, client_cidrs=[],
                            console=False, placement="partition", internet_facing=False, domain="d.internal")
    ec2, eks = plan_cluster(cluster, ZONES), plan_workload("rustfs", 6, 4, 500)
    assert (ec2.layout.set_size, ec2.layout.parity, ec2.layout.usable_gib) == \
        (eks.layout.set_size, eks.layout.parity, eks.layout.usable_gib)
    assert eks.volumes == ec2.volumes.replace("d.internal", "rustfs-headless.rustfs.svc.cluster.local")


@pulumi.runtime.test
def test_credentials_only_by_reference_and_tls_files_rustfs_reads(fake):
    _, done = build(fake)

    def check(_):
        container = pod_spec(objects(fake))["containers"][0]
        env = {e["name"]: e for e in container["env"]}
        for key in CREDENTIAL_KEYS:
            assert "value" not in env[key]
            assert env[key]["valueFrom"]["secretKeyRef"] == {"name": "rustfs-root-credentials", "key": key}
        # No generated value appears in any object but the two Secrets.
        for typ, _, inputs in fake.recorded:
            if typ.startswith("kubernetes:") and not typ.endswith(":Secret"):
                text = json.dumps(inputs)
                assert not any(v in text for v in SECRETS.values()), typ
        secrets = {i["metadata"]["name"]: plain(i) for t, _, i in fake.recorded if t == "kubernetes:core/v1:Secret"}
        assert set(secrets["rustfs-root-credentials"]["stringData"]) == set(CREDENTIAL_KEYS)
        assert set(secrets["rustfs-tls"]["stringData"]) == set(TLS_FILES)
        tls_mount = next(m for m in container["volumeMounts"] if m["name"] == "tls")
        assert env["RUSTFS_TLS_PATH"]["value"] == tls_mount["mountPath"] and "subPath" not in tls_mount, \
            "a subPath mount never receives a renewed certificate"

    return done.apply(check)


@pulumi.runtime.test
def test_one_certificate_names_every_pod_of_the_volumes_string(fake):
    _, done = build(fake)

    def check(_):
        request = next(i for t, _, i in fake.recorded if t == "tls:index/certRequest:CertRequest")
        env = {e["name"]: e for e in pod_spec(objects(fake))["containers"][0]["env"]}
        hosts = {urlsplit(e).hostname for e in expand_volumes(env["RUSTFS_VOLUMES"]["value"])}
        assert hosts <= set(request["dnsNames"]), "a peer whose name the certificate lacks fails TLS verification"
        assert {"rustfs.rustfs.svc", "s3.eks.rustfs.internal"} <= set(request["dnsNames"])
        assert not any("*" in n for n in request["dnsNames"])

    return done.apply(check)


@pulumi.runtime.test
def test_zone_spread_host_spread_and_the_storage_nodes(fake):
    _, done = build(fake)

    def check(_):
        spec = pod_spec(objects(fake))
        (spread,) = spec["topologySpreadConstraints"]
        assert spread["topologyKey"] == constants.ZONE_TOPOLOGY_KEY and spread["maxSkew"] == 1
        assert spread["whenUnsatisfiable"] == "DoNotSchedule" and spread["minDomains"] == len(ZONES)
        (anti,) = spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert anti["topologyKey"] == "kubernetes.io/hostname"
        assert spec["nodeSelector"] == {constants.STORAGE_NODE_LABEL_KEY: constants.STORAGE_NODE_LABEL_VALUE}
        assert spec["tolerations"] == [{"key": constants.STORAGE_NODE_TAINT_KEY, "operator": "Equal",
                                        "value": constants.STORAGE_NODE_TAINT_VALUE,
                                        "effect": constants.STORAGE_NODE_TAINT_EFFECT}]
        found = objects(fake)
        assert found["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1
        assert found["PodDisruptionBudget"]["spec"]["selector"] == found["StatefulSet"]["spec"]["selector"]

    return done.apply(check)


@pulumi.runtime.test
def test_startup_probe_outlasts_rustfs_own_start_bound(fake):
    args = workload_args(topology_wait_seconds=600, readiness_wait_seconds=2400)
    _, done = build(fake, args)

    def check(_):
        container = pod_spec(objects(fake))["containers"][0]
        probe = container["startupProbe"]
        budget = probe["periodSeconds"] * probe["failureThreshold"]
        assert probe["periodSeconds"] == STARTUP_PERIOD_SECONDS
        assert budget > rustfs_start_bound(600, 2400), "the kubelet would kill a pod RustFS still lets wait"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert all(container[p]["httpGet"]["scheme"] == "HTTPS" for p in ("startupProbe", "livenessProbe",
                                                                             "readinessProbe"))

    return done.apply(check)


@pulumi.runtime.test
def test_restricted_security_guaranteed_qos_and_namespace_label(fake):
    _, done = build(fake)

    def check(_):
        found = objects(fake)
        assert found["Namespace"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        spec = pod_spec(found)
        assert spec["securityContext"]["fsGroup"] == 10001
        assert spec["securityContext"]["fsGroupChangePolicy"] == "OnRootMismatch"
        assert spec["automountServiceAccountToken"] is False
        container = spec["containers"][0]
        sc = container["securityContext"]
        assert sc["runAsNonRoot"] and sc["runAsUser"] == 10001 and sc["readOnlyRootFilesystem"]
        assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"] == {"drop": ["ALL"]}
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
        assert {m["mountPath"] for m in container["volumeMounts"]} >= {"/tmp", "/logs"}
        resources = container["resources"]
        assert resources["requests"] == resources["limits"] == {"cpu": "2000m", "memory": "8192Mi"}
        assert container["image"] == "rustfs/rustfs:1.0.1"

    return done.apply(check)


DIGEST = "sha256:" + "0123456789abcdef" * 4  # a well-formed digest, not the release's (nothing resolves it here)


@pulumi.runtime.test
def test_image_digest_pins_the_image_beyond_its_tag(fake):
    _, done = build(fake, workload_args(image_digest=DIGEST))

    def check(_):
        container = pod_spec(objects(fake))["containers"][0]
        assert container["image"] == f"rustfs/rustfs:1.0.1@{DIGEST}"

    return done.apply(check)


@pytest.mark.parametrize("digest", ["latest", "sha256:" + "0" * 63, DIGEST.upper(), f"@{DIGEST}"])
def test_a_malformed_digest_is_refused_before_any_object(fake, digest):
    with pytest.raises(ValueError, match="image_digest"):
        build(fake, workload_args(image_digest=digest))
    assert not fake.recorded


@pulumi.runtime.test
def test_network_policy_and_internal_nlb(fake):
    _, done = build(fake)

    def check(_):
        found = objects(fake)
        rules = found["NetworkPolicy"]["spec"]["ingress"]
        by_port = {r["ports"][0]["port"]: r["from"] for r in rules}
        assert set(by_port) == {9000, 9001}
        assert {"ipBlock": {"cidr": "192.0.2.0/24"}} in by_port[9001] and len(by_port[9001]) == 1
        peers = by_port[9000]
        assert {"podSelector": {"matchLabels": found["StatefulSet"]["spec"]["selector"]["matchLabels"]}} in peers
        assert any(p.get("namespaceSelector", {}).get("matchExpressions", [{}])[0].get("values") == ["analytics"]
                   for p in peers)
        s3 = found["Service/rustfs"]
        annotations = s3["metadata"]["annotations"]
        assert annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"
        assert annotations["service.beta.kubernetes.io/aws-load-balancer-type"] == "external"
        assert annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"] == "ip"
        assert s3["spec"]["type"] == "LoadBalancer" and s3["spec"]["loadBalancerClass"] == "service.k8s.aws/nlb"

    return done.apply(check)


@pulumi.runtime.test
def test_without_console_9001_is_neither_served_nor_allowed(fake):
    _, done = build(fake, workload_args(console=False))

    def check(_):
        found = objects(fake)
        assert [r["ports"][0]["port"] for r in found["NetworkPolicy"]["spec"]["ingress"]] == [9000]
        assert [p["port"] for p in found["Service/rustfs"]["spec"]["ports"]] == [9000]

    return done.apply(check)


# --- schemas of the pinned Kubernetes version, and checkov ----------------------------------------------

# checkov Kubernetes checks that fail by design, each with its reason.
CHECKOV_SKIPS = {
    "CKV_K8S_15": "imagePullPolicy IfNotPresent: a storage node must restart without the registry (Docker Hub "
                  "outages and pull limits); the image is pinned by tag (and by digest with image_digest)",
    "CKV_K8S_43": "image by tag while eks.rustfs.imageDigest is unset: no registry access at plan time to "
                  "resolve the release's digest; setting it pins the image (README, test below)",
    "CKV_K8S_35": "env from secretKeyRef, not files: RUSTFS_RPC_SECRET has no *_FILE form in this release "
                  "(crates/credentials/src/constants.rs), and the value is in no object's spec",
}


@pytest.fixture
def rendered(fake, tmp_path):
    """The recorded objects of one run, as a manifest file."""
    holder = {}

    @pulumi.runtime.test
    def run():
        _, done = build(fake)
        return done.apply(lambda _: holder.setdefault("docs", manifests(fake.recorded)))

    run()
    path = tmp_path / "rustfs.yaml"
    path.write_text(to_yaml_stream(holder["docs"]))
    return holder["docs"], path


def test_manifests_validate_against_the_pinned_kubernetes_version(rendered):
    docs, _ = rendered
    version = f"{DEFAULT_EKS_VERSION}.0"
    assert {d["kind"] for d in docs} >= {"Namespace", "Service", "StatefulSet", "PodDisruptionBudget",
                                         "NetworkPolicy", "Secret", "ServiceAccount"}
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


def test_validation_catches_a_wrong_field(rendered):
    docs, _ = rendered
    sts = json.loads(json.dumps(next(d for d in docs if d["kind"] == "StatefulSet")))
    sts["spec"]["template"]["spec"]["topologySpreadConstraints"][0]["maxskew"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(sts, f"{DEFAULT_EKS_VERSION}.0", strict=True)


def _checkov_executable() -> str:
    path = ROOT / "venv" / "checkov" / "bin" / "checkov"
    if not path.exists():
        pytest.skip("checkov is not installed: `make test` installs it into venv/checkov")
    return str(path)


def _checkov_failures(path: Path) -> list[dict]:
    done = subprocess.run([_checkov_executable(), "--framework", "kubernetes", "-f", str(path), "--skip-download",
                           "--compact", "--quiet", "-o", "json"], capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    report = json.loads(done.stdout) if done.stdout.strip() else {}
    reports = report if isinstance(report, list) else [report]
    return [f for r in reports for f in r.get("results", {}).get("failed_checks", [])]


def test_checkov_kubernetes_checks_pass_but_for_reasoned_skips(rendered):
    _, path = rendered
    failed = _checkov_failures(path)
    unexplained = sorted({f"{f['check_id']} {f['resource']}: {f['check_name']}" for f in failed
                          if f["check_id"] not in CHECKOV_SKIPS})
    assert not unexplained, "checkov failures without a reason:\n" + "\n".join(unexplained)
    stale = set(CHECKOV_SKIPS) - {f["check_id"] for f in failed}
    assert not stale, f"skips no check needs any more (remove them): {sorted(stale)}"


def test_checkov_accepts_the_image_pinned_by_digest(fake, tmp_path):
    holder = {}

    @pulumi.runtime.test
    def run():
        _, done = build(fake, workload_args(image_digest=DIGEST))
        return done.apply(lambda _: holder.setdefault("docs", manifests(fake.recorded)))

    run()
    path = tmp_path / "pinned.yaml"
    path.write_text(to_yaml_stream(holder["docs"]))
    failed = {f["check_id"] for f in _checkov_failures(path)}
    assert "CKV_K8S_43" not in failed and failed <= set(CHECKOV_SKIPS) - {"CKV_K8S_43"}


def test_checkov_catches_a_privileged_container(rendered, tmp_path):
    docs, _ = rendered
    bad = json.loads(json.dumps(next(d for d in docs if d["kind"] == "StatefulSet")))
    bad["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = True
    path = tmp_path / "bad.yaml"
    path.write_text(to_yaml_stream([bad]))
    assert "CKV_K8S_16" in {f["check_id"] for f in _checkov_failures(path)}


# --- the AZ-loss claim ------------------------------------------------------------------------------------


def _balanced_placements(nodes: int, zones: int):
    """Every assignment of nodes to zones whose counts differ by at most one (what maxSkew 1 allows)."""
    for assignment in itertools.product(range(zones), repeat=nodes):
        counts = [assignment.count(z) for z in range(zones)]
        if max(counts) - min(counts) <= 1:
            yield assignment


def _survives_every(nodes: int, drives: int, zones: int) -> bool:
    lay = zone_spread.analyse(nodes, drives, zones).layout
    tolerance = lay.tolerates_drives_per_set
    for assignment in _balanced_placements(nodes, zones):
        for zone in range(zones):
            lost = {f"rustfs-{i + 1}" for i, z in enumerate(assignment) if z == zone}
            if any(sum(1 for name, _ in s.drives if name in lost) > tolerance for s in lay.sets):
                return False
    return True


@pytest.mark.parametrize("nodes,drives,zones", [
    (n, d, z) for n in range(2, 9) for d in (1, 2, 3, 4) for z in (2, 3) if n * d >= 4])
def test_zone_spread_claim_holds_for_every_balanced_placement(nodes, drives, zones):
    try:
        claim = zone_spread.analyse(nodes, drives, zones).survives_az_loss
    except layout.LayoutError:
        return
    assert claim == _survives_every(nodes, drives, zones)


def test_the_component_reports_the_zone_spread_analysis(fake):
    workload, _ = build(fake, workload_args(nodes=4, drives_per_node=2))
    assert workload.spread.survives_az_loss is False and workload.spread.pods_per_zone_max == 2
    assert workload.spread.survives_node_loss is True


def test_round_robin_would_overclaim_where_the_scheduler_decides():
    # 20 pods x 1 drive over 4 zones: sets of 10 consecutive nodes; round-robin puts 3 of a set in a zone,
    # the scheduler may put 5.
    assert layout.az_loss_advice(20, 1, ["a", "b", "c", "d"]) is None
    assert not zone_spread.analyse(20, 1, 4).survives_az_loss
    assert "Would survive" in zone_spread.az_loss_advice(20, 1, 4)


EKS_PROD = {
    "environment": "prod", "tags": {"Owner": "team-storage", "CostCenter": "cc-1"},
    "network": {"cidr": "10.50.0.0/16", "azCount": 3, "natGateways": "perAz"},
    "cluster": {"platform": "eks", "nodes": 6, "drivesPerNode": 8, "instanceType": "m6i.2xlarge",
                "rustfsVersion": "1.0.1", "volume": {"type": "gp3", "sizeGiB": 100, "iops": 3000,
                                                     "throughputMiBps": 125}},
}


def test_prod_eks_stack_that_cannot_survive_an_az_loss_is_refused_with_suggestions():
    assert parse(EKS_PROD, stack="p", region="us-east-1").cluster.platform == "eks"
    raw = json.loads(json.dumps(EKS_PROD))
    raw["cluster"].update(nodes=4, drivesPerNode=2)
    with pytest.raises(ConfigError) as exc:
        parse(raw, stack="p", region="us-east-1")
    text = str(exc.value)
    assert "cluster.nodes" in text and "scheduler may put any 2 pods in one AZ" in text and "Would survive" in text


# --- the policy pack on the recorded objects --------------------------------------------------------------


def test_the_kubernetes_policies_pass_on_the_workload(rendered):
    from policy_harness import resource, running_pack

    docs, _ = rendered
    analyzed = [resource(f"kubernetes:{'core/' if '/' not in d['apiVersion'] else ''}{d['apiVersion']}:{d['kind']}",
                         f"{d['kind'].lower()}-{d['metadata']['name']}", d) for d in docs]
    without_budget = [r for r in analyzed if not r.type.endswith(":PodDisruptionBudget")]
    with running_pack(stack="eks") as pack:
        diagnostics = pack.analyze_stack(analyzed) + [x for r in analyzed for x in pack.analyze(r)]
        missing = pack.analyze_stack(without_budget)
    kubernetes = [f"{d['policy']}: {d['message']}" for d in diagnostics if d["policy"].startswith("rustfs-kubernetes-")]
    # The one finding: the image runs by tag (no digest configured; advisory outside production).
    unpinned = [k for k in kubernetes if k.startswith("rustfs-kubernetes-pod-require-image-digest:")]
    assert len(unpinned) == 1 and "rustfs/rustfs:1.0.1" in unpinned[0]
    others = [k for k in kubernetes if k not in unpinned]
    assert not others, "\n".join(others)
    assert not [d for d in diagnostics if "can't run policy" in d["message"]]
    assert [d for d in missing if d["policy"] == "rustfs-kubernetes-statefulset-require-disruption-budget"]


# --- the composed eks stack (preflight's recording of __main__.py) --------------------------------------


@functools.cache
def eks_stack():
    return run_stack("eks")


def _stack_objects() -> list[tuple[str, str, dict]]:
    return [(r.type, r.name, r.inputs) for r in eks_stack().resources if r.type.startswith("kubernetes:")]


def test_the_eks_stack_objects_validate_and_pass_checkov(tmp_path):
    docs = manifests(_stack_objects())
    assert {d["kind"] for d in docs} >= {"StorageClass", "Namespace", "StatefulSet", "PodDisruptionBudget",
                                         "NetworkPolicy", "Service", "Secret"}
    for doc in docs:
        kubernetes_validate.validate(doc, f"{DEFAULT_EKS_VERSION}.0", strict=True)
    path = tmp_path / "eks.yaml"
    path.write_text(to_yaml_stream(docs))
    unexplained = sorted({f"{f['check_id']} {f['resource']}" for f in _checkov_failures(path)
                          if f["check_id"] not in CHECKOV_SKIPS})
    assert not unexplained, unexplained


def test_the_eks_stack_keeps_secret_values_secret_and_matches_the_two_halves():
    objects_ = {r.type.split(":")[-1] + "/" + r.name: r for r in eks_stack().resources
                if r.type.startswith("kubernetes:")}
    secrets = [r for k, r in objects_.items() if k.startswith("Secret/")]
    assert len(secrets) == 2 and all(r.inputs["stringData"] == "[secret]" for r in secrets), \
        "a Secret's values must be Pulumi secrets (encrypted in the state)"
    (sts,) = [r.inputs for k, r in objects_.items() if k.startswith("StatefulSet/")]
    (storage_class,) = [r.inputs for k, r in objects_.items() if k.startswith("StorageClass/")]
    assert {c["spec"]["storageClassName"] for c in sts["spec"]["volumeClaimTemplates"]} == \
        {storage_class["metadata"]["name"]}
    pod = sts["spec"]["template"]["spec"]
    (toleration,) = pod["tolerations"]
    for group in eks_stack().of_type("aws:eks/nodeGroup:NodeGroup"):
        labels, (taint,) = group.inputs["labels"], group.inputs["taints"]
        assert all(labels.get(k) == v for k, v in pod["nodeSelector"].items())
        assert (taint["key"], taint["value"]) == (toleration["key"], toleration["value"])
        assert taint["effect"] == "NO_SCHEDULE" and toleration["effect"] == "NoSchedule"
    zones = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"][0]["matchExpressions"][0]["values"]
    assert pod["topologySpreadConstraints"][0]["minDomains"] == len(zones) == \
        len(eks_stack().of_type("aws:eks/nodeGroup:NodeGroup"))
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    replicas, drives = int(sts["spec"]["replicas"]), len(sts["spec"]["volumeClaimTemplates"])
    assert env["RUSTFS_VOLUMES"] == plan_workload(sts["metadata"]["namespace"], replicas, drives, 1).volumes
    assert zone_spread.analyse(replicas, drives, len(zones)).survives_az_loss


# --- references the API server accepts on the StatefulSet but its pods fail on ---------------------------


@pulumi.runtime.test
def test_every_reference_of_the_pod_template_resolves(fake):
    """The API server validates a StatefulSet on its own; a mount without a volume, a secretKeyRef to a missing
    key, an unknown ServiceAccount or a $(VAR) defined later only fail when the pods are created (or, for
    $(VAR), never: the text stays literal). Checked here across the declared objects."""
    _, done = build(fake)

    def check(_):
        docs = manifests(fake.recorded)
        by_kind: dict[str, dict[str, dict]] = {}
        for d in docs:
            by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
        secret_keys = {n: set(plain(i)["stringData"]) for t, _, i in fake.recorded
                       if t == "kubernetes:core/v1:Secret" for n in [i["metadata"]["name"]]}
        (sts,) = by_kind["StatefulSet"].values()
        template = sts["spec"]["template"]
        pod = template["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]} | {c["metadata"]["name"]: c
                                                            for c in sts["spec"]["volumeClaimTemplates"]}
        for container in pod["containers"]:
            assert {m["name"] for m in container["volumeMounts"]} <= set(volumes)
            defined: set[str] = set()
            for env in container["env"]:
                for ref in re.findall(r"\$\((\w+)\)", env.get("value") or ""):
                    assert ref in defined, f"{env['name']} uses $({ref}) before it is defined"
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in secret_keys[ref["name"]], ref
                defined.add(env["name"])
        for v in pod["volumes"]:
            if "secret" in v:
                assert v["secret"]["secretName"] in secret_keys
        assert pod["serviceAccountName"] in by_kind["ServiceAccount"]
        assert sts["spec"]["serviceName"] in by_kind["Service"]
        labels = template["metadata"]["labels"]
        assert sts["spec"]["selector"]["matchLabels"].items() <= labels.items()
        for service in by_kind["Service"].values():
            assert service["spec"]["selector"].items() <= labels.items(), service["metadata"]["name"]
        for constraint in pod["topologySpreadConstraints"]:
            assert constraint["labelSelector"]["matchLabels"].items() <= labels.items()
        namespace = by_kind["Namespace"]
        assert all(d["metadata"].get("namespace") in namespace for d in docs if d["kind"] != "Namespace")

    return done.apply(check)


# --- Pod Security admission of the namespace ------------------------------------------------------------

# The Pod Security Standard "restricted" (Kubernetes docs, "Pod Security Standards"): what the API server's
# admission refuses in a namespace labelled enforce=restricted. kubernetes-validate and checkov do not apply it.
PSS_VOLUME_TYPES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                    "projected", "secret"}


def pss_restricted_violations(pod: dict) -> list[str]:
    found = []
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag):
            found.append(flag)
    for volume in pod.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= PSS_VOLUME_TYPES:
            found.append(f"volume {volume['name']}: {sorted(kinds - PSS_VOLUME_TYPES)}")
    pod_sc = pod.get("securityContext", {})
    for c in pod.get("initContainers", []) + pod["containers"]:
        sc = c.get("securityContext", {})

        def effective(key, sc=sc):
            return sc.get(key, pod_sc.get(key))

        if effective("runAsNonRoot") is not True:
            found.append(f"{c['name']}: runAsNonRoot")
        if effective("runAsUser") == 0:
            found.append(f"{c['name']}: runAsUser 0")
        if sc.get("privileged"):
            found.append(f"{c['name']}: privileged")
        if sc.get("allowPrivilegeEscalation") is not False:
            found.append(f"{c['name']}: allowPrivilegeEscalation")
        caps = sc.get("capabilities", {})
        if "ALL" not in caps.get("drop", []) or set(caps.get("add", [])) - {"NET_BIND_SERVICE"}:
            found.append(f"{c['name']}: capabilities")
        if (effective("seccompProfile") or {}).get("type") not in ("RuntimeDefault", "Localhost"):
            found.append(f"{c['name']}: seccompProfile")
        if any(p.get("hostPort") for p in c.get("ports", [])):
            found.append(f"{c['name']}: hostPort")
    return found


@pulumi.runtime.test
def test_the_pods_pass_pod_security_restricted_admission(fake):
    _, done = build(fake)

    def check(_):
        pod = pod_spec(objects(fake))
        assert pss_restricted_violations(pod) == []
        weaker = json.loads(json.dumps(pod))
        weaker["volumes"].append({"name": "host", "hostPath": {"path": "/var"}})
        del weaker["securityContext"]["seccompProfile"]
        del weaker["containers"][0]["securityContext"]["seccompProfile"]
        assert len(pss_restricted_violations(weaker)) == 2

    return done.apply(check)


def test_with_configured_client_cidrs_the_nlbs_own_subnets_still_reach_9000():
    """ELB health checks come from the NLB's private addresses, in the subnets the Service names; a
    NetworkPolicy admitting only cluster.clientCidrs would mark every pod unhealthy."""
    from preflight.runner import run_stack

    cluster = json.loads(run_stack("eks").settings.config["rustfs-aws:cluster"])
    rec = run_stack("eks", overrides={"rustfs-aws:cluster": {**cluster, "clientCidrs": ["10.99.0.0/16"]}})
    (policy,) = rec.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    s3 = next(r for r in policy.inputs["spec"]["ingress"] if r["ports"][0]["port"] == 9000)
    blocks = {p["ipBlock"]["cidr"] for p in s3["from"] if "ipBlock" in p}
    service = next(s for s in rec.of_type("kubernetes:core/v1:Service")
                   if s.inputs["spec"].get("type") == "LoadBalancer")
    named = service.inputs["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-subnets"]
    subnets = {s.outputs["id"]: s.inputs["cidrBlock"] for s in rec.of_type("aws:ec2/subnet:Subnet")}
    assert blocks == {"10.99.0.0/16", *(subnets[i] for i in named.split(","))}
