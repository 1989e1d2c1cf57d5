"""The AWSTOE component document that bakes a RustFS storage node, and the versions Image Builder needs.

Pure: plain values in, YAML text out (no Pulumi). ``node_document(spec)`` is the component's ``data``: a build
phase that installs what a node would otherwise fetch at every first boot (the packages cloud-init lists, the
pinned, checksum-verified RustFS release, the collector when one is pinned), tunes the kernel for a storage node
and points chrony at the Amazon Time Sync Service; a validate phase (the build instance, before the snapshot) and
a test phase (a fresh instance launched from the new AMI, so it also proves the settings survive a boot) check
what was installed. Document format: EC2 Image Builder User Guide, "Use the AWSTOE component document framework
for custom components" (schemaVersion 1.0; phases build, validate, test; steps with name, action, inputs) and
"Action modules supported by AWSTOE component manager" (ExecuteBash runs its ``commands`` as one bash script;
WebDownload verifies ``checksum`` with ``algorithm`` before the step succeeds).

What the node bootstrap does with it (components/cluster/bootstrap/node-bootstrap): ``install_rustfs`` finds
``/usr/local/bin/rustfs`` at the pinned version and downloads nothing; ``ensure_time_sync`` finds the chrony
line and restarts nothing; cloud-init's ``packages:`` are already installed. A node on this AMI therefore boots
without GitHub or the package repositories; a node on stock AL2023 still boots the same way, only slower.

Versions: Image Builder component and recipe versions are immutable - CreateComponent/CreateImageRecipe refuse a
name and version that exist (EC2 Image Builder User Guide, "Semantic versioning": ``<major>.<minor>.<patch>``,
each node 0..2^30-1). Every change of the document is a new component, so its version is derived from its
content: ``1.0.<first 28 bits of the SHA-256 of the data>``. Pulumi replaces the component (its ``data`` forces a
new resource) and the replacement creates the new version before it deletes the old one, which succeeds
because the versions differ. Rejected: a hand-bumped version constant. The document depends on the stack's
config (the RustFS version, the architecture, the instance type's EBS bandwidth), so one constant cannot follow
every stack, and a forgotten bump fails the ``pulumi up`` halfway ("already exists"). A hash is not ordered, so
nothing may select these versions with wildcards (``x.x.x`` would pick the largest hash, not the newest): the
recipe names its component, and the pipeline its recipe, by exact ARN.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import dataclass, field

import yaml

# Where node-bootstrap looks for the binary (BIN="${RUSTFS_BIN:-/usr/local/bin/rustfs}"): bake it anywhere else
# and every boot downloads the release again.
RUSTFS_BIN = "/usr/local/bin/rustfs"
RELEASE_ZIP = "/tmp/rustfs-release.zip"
SYSCTL_FILE = "/etc/sysctl.d/90-rustfs-storage-node.conf"
# Amazon Time Sync Service, link-local on every Nitro instance (EC2 User Guide, "Set the time for your Amazon
# EC2 instance"); the same line node-bootstrap's ensure_time_sync writes when it is missing.
CHRONY_CONF = "/etc/chrony.conf"
CHRONY_LINE = "server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4"
CHRONY_PATTERN = "^server 169.254.169.123"  # what ensure_time_sync greps for
# CreateComponent: "data ... Length Constraints: Minimum length of 1. Maximum length of 16000" (Image Builder
# API Reference; preflight/fake_imagebuilder.py refuses more, tests/test_images_fake.py checks the figure).
MAX_DATA_CHARS = 16_000
MAX_VERSION_NODE = 2 ** 30 - 1
HASH_BITS = 28  # < 30: a hashed patch number always fits a version node

MIB = 1024 * 1024


@dataclass(frozen=True)
class Sysctl:
    key: str
    value: str  # as `sysctl -n` prints it, fields separated by single spaces
    why: str


@dataclass(frozen=True)
class CollectorPackage:
    """The node collector's pinned package, baked when the observability component pins one
    (components/observability/collector.py: an AL2023 repository package, installed by exact version from one
    repository release, GPG-verified by dnf; its State Manager document then finds it installed)."""
    package: str  # the RPM's name
    version: str  # version-release, e.g. 1.300066.2-2.amzn2023
    release_version: str  # the AL2023 repository release that carries it (dnf --releasever)


@dataclass(frozen=True)
class NodeImageSpec:
    """What one stack's node image contains."""
    name: str  # the component's name (also in the document)
    rustfs_version: str
    release_url: str  # the pinned release zip of that version for this architecture
    release_sha256: str
    packages: tuple[str, ...]  # RPMs the node needs (cloud-init's packages: list)
    sysctls: tuple[Sysctl, ...]
    collector: CollectorPackage | None = None
    extra_checks: tuple[str, ...] = field(default=())  # more shell lines for the validate and test phases


def dirty_limits(ebs_baseline_mbps: float | None) -> tuple[int, int]:
    """(vm.dirty_background_bytes, vm.dirty_bytes) for an instance's baseline EBS bandwidth (MB/s).

    The kernel's defaults are ratios of available memory (dirty_background_ratio 10, dirty_ratio 20: kernel
    Documentation/admin-guide/sysctl/vm.rst): on a 32 GiB c6in.4xlarge up to ~6.4 GiB of dirty page cache before
    writers block, about 5 s of its 1,250 MB/s baseline EBS bandwidth during which every buffered writer and
    every fsync of a RustFS drive waits. Limits in bytes (setting ``dirty_bytes`` zeroes ``dirty_ratio``, same
    document) bound that to about one second of the instance's own baseline: writeback starts at a quarter of
    it. Clamped to 64 MiB..1 GiB; an instance type the catalogue does not know gets 256 MiB."""
    if not ebs_baseline_mbps:
        limit = 256 * MIB
    else:
        limit = min(max(int(ebs_baseline_mbps * 1e6) // MIB * MIB, 64 * MIB), 1024 * MIB)
    return limit // 4, limit


def storage_sysctls(ebs_baseline_mbps: float | None) -> tuple[Sysctl, ...]:
    """The kernel settings of a storage node, each with its reason (written into the sysctl.d file)."""
    background, dirty = dirty_limits(ebs_baseline_mbps)
    return (
        Sysctl("vm.dirty_background_bytes", str(background),
               "start background writeback at a quarter of the dirty limit below (kernel Documentation/admin-guide/"
               "sysctl/vm.rst)"),
        Sysctl("vm.dirty_bytes", str(dirty),
               "at most ~1 s of this instance's baseline EBS bandwidth of dirty page cache: the default 20% of "
               "memory lets writers and fsync stall for seconds while it drains (vm.rst, dirty_ratio)"),
        Sysctl("net.ipv4.tcp_rmem", "4096 131072 16777216",
               "receive autotuning up to 16 MiB (kernel default 6 MiB, Documentation/networking/ip-sysctl.rst): "
               "one internode stream can then fill 25 Gbps at up to ~5 ms cross-AZ round trip (bandwidth-delay "
               "product); min and default stay the kernel's"),
        Sysctl("net.ipv4.tcp_wmem", "4096 16384 16777216",
               "send autotuning up to 16 MiB (kernel default 4 MiB, ip-sysctl.rst): erasure-coded writes send a "
               "shard to every peer at once"),
        Sysctl("net.ipv4.tcp_slow_start_after_idle", "0",
               "keep the congestion window of idle internode connections (default 1 restarts from the initial "
               "window after an idle period, RFC 2861; ip-sysctl.rst): RustFS reuses few, bursty RPC "
               "connections"),
        Sysctl("net.ipv4.tcp_mtu_probing", "1",
               "probe the path MTU when ICMP 'fragmentation needed' is lost (ip-sysctl.rst: 1 = on after an ICMP "
               "black hole is detected): the VPC carries 9001-byte frames, paths through NAT and the internet "
               "1500 (EC2 User Guide, 'Network maximum transmission unit (MTU) for your EC2 instance')"),
    )


def sysctl_file(sysctls: tuple[Sysctl, ...]) -> str:
    lines = ["# RustFS storage node kernel settings, baked by EC2 Image Builder (components/images/document.py)."]
    for s in sysctls:
        lines += [f"# {s.why}", f"{s.key} = {s.value}"]
    return "\n".join(lines) + "\n"


def _script(*lines: str) -> list[str]:
    """An ExecuteBash ``commands`` list: AWSTOE runs the lines as one bash script, so strict mode holds for all."""
    return ["set -euo pipefail", *lines]


def _write_file(path: str, content: str, mode: str = "0644") -> list[str]:
    """Shell lines that write ``content`` to ``path``: one printf of single-quoted lines (nothing expands), no
    here-document, so the script means the same however the lines of ``commands`` are joined."""
    lines = " ".join(shlex.quote(line) for line in content.rstrip("\n").split("\n"))
    return [f"install -d -m 0755 {shlex.quote(path.rsplit('/', 1)[0])}",
            f"printf '%s\\n' {lines} > {shlex.quote(path)}", f"chmod {mode} {shlex.quote(path)}"]


def check_lines(spec: NodeImageSpec) -> list[str]:
    """The validate and test phases: what a node needs, as the node would see it."""
    q = shlex.quote
    lines = [
        'fail() { echo "rustfs node image: $*" >&2; exit 1; }',
        # The same test node-bootstrap's rustfs_version_is makes before it skips the download.
        f"version=\"$({q(RUSTFS_BIN)} --version 2>/dev/null | awk 'NR == 1 {{ print $2 }}')\" || true",
        f'[ "$version" = {q(spec.rustfs_version)} ] || fail "rustfs --version says \'$version\', want '
        f'{spec.rustfs_version}"',
        f"for package in {' '.join(q(p) for p in spec.packages)}; do",
        '    rpm -q "$package" >/dev/null || fail "package $package is not installed"',
        "done",
        "command -v mkfs.xfs >/dev/null || fail \"mkfs.xfs (xfsprogs) is missing\"",
        "command -v nvme >/dev/null || fail \"nvme (nvme-cli) is missing\"",
        "systemctl is-enabled --quiet chronyd.service || fail \"chronyd.service is not enabled\"",
        f"grep -qs {q(CHRONY_PATTERN)} {q(CHRONY_CONF)} || fail \"{CHRONY_CONF} does not use the Amazon Time Sync "
        "Service\"",
        "check_sysctl() {",
        '    local got',
        "    got=\"$(sysctl -n \"$1\" | tr -s '[:space:]' ' ')\"",
        '    got="${got% }"',
        '    [ "$got" = "$2" ] || fail "sysctl $1 is \'$got\', want \'$2\'"',
        "}",
        *(f"check_sysctl {q(s.key)} {q(s.value)}" for s in spec.sysctls),
    ]
    if spec.collector:
        c = spec.collector
        lines.append(f"rpm -q {q(c.package + '-' + c.version)} >/dev/null || fail \"collector {c.package}-{c.version} "
                     "is not installed\"")
    lines += list(spec.extra_checks)
    lines.append('echo "rustfs node image: every check passed"')
    return _script(*lines)


def build_steps(spec: NodeImageSpec) -> list[dict]:
    q = shlex.quote
    steps: list[dict] = [
        {"name": "InstallPackages", "action": "ExecuteBash", "maxAttempts": 3,
         "inputs": {"commands": _script(f"dnf install -y {' '.join(q(p) for p in spec.packages)}")}},
        # WebDownload fails the step when the SHA-256 of the download differs (AWSTOE action modules,
        # WebDownload: checksum, algorithm); the pin is releases.json's, never a new one.
        {"name": "DownloadRustfs", "action": "WebDownload", "maxAttempts": 3,
         "inputs": [{"source": spec.release_url, "destination": RELEASE_ZIP, "algorithm": "SHA256",
                     "checksum": spec.release_sha256, "overwrite": True}]},
        {"name": "InstallRustfs", "action": "ExecuteBash", "inputs": {"commands": _script(
            # Checked again here, where the bytes are unpacked: the install must never depend on the step above.
            f"echo {q(spec.release_sha256 + '  ' + RELEASE_ZIP)} | sha256sum --check --status || "
            f"{{ echo \"SHA-256 of {RELEASE_ZIP} is not the pinned {spec.release_sha256}\" >&2; exit 1; }}",
            'work="$(mktemp -d)"',
            "trap 'rm -rf -- \"$work\"' EXIT",
            f'python3 -m zipfile -e {q(RELEASE_ZIP)} "$work/unpacked"',
            'binary="$(find "$work/unpacked" -type f -name rustfs | head -n 1)"',
            '[ -n "$binary" ] || { echo "no rustfs binary in the release zip" >&2; exit 1; }',
            f'install -m 0755 "$binary" {q(RUSTFS_BIN)}',
            f"rm -f -- {q(RELEASE_ZIP)}")}},
        {"name": "UseAmazonTimeSync", "action": "ExecuteBash", "inputs": {"commands": _script(
            f"grep -qs {q(CHRONY_PATTERN)} {q(CHRONY_CONF)} || echo {q(CHRONY_LINE)} >> {q(CHRONY_CONF)}",
            "systemctl enable chronyd.service")}},
        {"name": "TuneKernel", "action": "ExecuteBash", "inputs": {"commands": _script(
            *_write_file(SYSCTL_FILE, sysctl_file(spec.sysctls)),
            f"sysctl --load {q(SYSCTL_FILE)}")}},
    ]
    if spec.collector:
        c = spec.collector
        # Exactly the collector document's install (dnf verifies the package's GPG signature: gpgcheck=1 in
        # AL2023's amazonlinux.repo), so its association finds the package and installs nothing.
        steps.append({"name": "InstallCollector", "action": "ExecuteBash", "maxAttempts": 3, "inputs": {
            "commands": _script(f"dnf install -y --releasever={q(c.release_version)} {q(c.package + '-' + c.version)}",
                                f"rpm -q {q(c.package + '-' + c.version)}")}})
    steps.append({"name": "CleanPackageCache", "action": "ExecuteBash",
                  "inputs": {"commands": _script("dnf clean all")}})
    return steps


def node_document(spec: NodeImageSpec) -> dict:
    checks = {"name": "CheckNode", "action": "ExecuteBash", "inputs": {"commands": check_lines(spec)}}
    return {
        "name": spec.name,
        "description": f"RustFS {spec.rustfs_version} storage node: packages, pinned release, kernel settings, "
                       "time sync",
        "schemaVersion": 1.0,
        "phases": [
            {"name": "build", "steps": build_steps(spec)},
            {"name": "validate", "steps": [checks]},
            {"name": "test", "steps": [checks]},
        ],
    }


class _PlainDumper(yaml.SafeDumper):
    """No anchors and aliases: the validate and test phases repeat one step, and the document stays plain YAML."""

    def ignore_aliases(self, data) -> bool:
        return True


def render(document: dict) -> str:
    """The document as the YAML Image Builder stores (stable key order: the version hashes these bytes)."""
    text = yaml.dump(document, Dumper=_PlainDumper, sort_keys=False, default_flow_style=False, width=10_000)
    if len(text) > MAX_DATA_CHARS:
        raise ValueError(f"component document is {len(text):,} characters; Image Builder takes at most "
                         f"{MAX_DATA_CHARS:,} inline (CreateComponent data)")
    return text


def content_version(*parts: str) -> str:
    """``1.0.<patch>``: the patch is the first HASH_BITS bits of the SHA-256 of ``parts`` (see the module doc)."""
    digest = hashlib.sha256(json.dumps(list(parts)).encode()).hexdigest()
    return f"1.0.{int(digest, 16) >> (256 - HASH_BITS)}"


def all_commands(document: dict) -> dict[str, str]:
    """``phase/step`` -> the bash script of every ExecuteBash step (for shellcheck)."""
    return {f"{phase['name']}/{step['name']}": "\n".join(step["inputs"]["commands"]) + "\n"
            for phase in document["phases"] for step in phase["steps"] if step["action"] == "ExecuteBash"}
