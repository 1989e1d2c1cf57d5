"""The node image's AWSTOE component document (components/images/document.py, pipeline.node_image_spec).

Checked against a JSON schema written from the AWSTOE documentation (tests/data/awstoe_component_schema.json, with
cases it must refuse), its shell with shellcheck, and its scripts run here: the install step against a real zip
whose checksum is and is not the pinned one, the kernel settings as ``sysctl --load`` would read them, and the
checks of the validate and test phases against a node that has everything and one that lacks one thing. The
``images`` config section: its defaults and every refusal.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from rustfs_aws.cluster.bootstrap.render import HERE as BOOTSTRAP_DIR
from rustfs_aws.cluster.bootstrap.render import load_releases
from rustfs_aws.config import ConfigError, parse
from rustfs_aws.images import document as doc
from rustfs_aws.images.pipeline import cloud_init_packages, node_image_spec
from rustfs_aws.images.settings import DEFAULT_SCHEDULE

SCHEMA = json.loads((Path(__file__).parent / "data" / "awstoe_component_schema.json").read_text())
SHELLCHECK = shutil.which("shellcheck") or str(Path("venv/bin/shellcheck").resolve())
TYPES = ["m6i.large", "c6in.4xlarge", "m7g.large"]


def spec(instance_type: str = "c6in.4xlarge", **overrides) -> doc.NodeImageSpec:
    base = node_image_spec("rustfs-t-node", instance_type, "1.0.1")
    return doc.NodeImageSpec(**{**base.__dict__, **overrides})


COLLECTOR = doc.CollectorPackage("amazon-cloudwatch-agent", "1.300066.2-2.amzn2023", "2023.11.20260526")


def loaded(s: doc.NodeImageSpec) -> dict:
    """The document as Image Builder parses the data we send."""
    return yaml.safe_load(doc.render(doc.node_document(s)))


# --- the document against the schema ------------------------------------------------------------------------------

@pytest.mark.parametrize("instance_type", TYPES)
@pytest.mark.parametrize("collector", [None, COLLECTOR], ids=["plain", "collector"])
def test_the_document_is_a_valid_awstoe_document(instance_type, collector):
    document = loaded(spec(instance_type, collector=collector))
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    assert [p["name"] for p in document["phases"]] == ["build", "validate", "test"]
    for phase in document["phases"]:
        names = [s["name"] for s in phase["steps"]]
        assert len(names) == len(set(names)), f"step names repeat in {phase['name']}: {names}"


def _mutations():
    def drop_action(d):
        del d["phases"][0]["steps"][0]["action"]

    def container_phase(d):
        d["phases"][0]["name"] = "container-host-test"

    def unchecked_download(d):
        step = next(s for s in d["phases"][0]["steps"] if s["action"] == "WebDownload")
        del step["inputs"][0]["checksum"]

    def bash_without_commands(d):
        d["phases"][0]["steps"][0]["inputs"] = {"command": "true"}

    def unknown_module(d):
        d["phases"][0]["steps"][0]["action"] = "RunShell"

    def schema_2(d):
        d["schemaVersion"] = 2.0

    return [drop_action, container_phase, unchecked_download, bash_without_commands, unknown_module, schema_2]


@pytest.mark.parametrize("mutate", _mutations(), ids=lambda f: f.__name__)
def test_the_schema_refuses_what_awstoe_would(mutate):
    document = copy.deepcopy(loaded(spec()))
    mutate(document)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(document)


def test_the_document_fits_image_builders_inline_limit_and_its_version_follows_its_content():
    text = doc.render(doc.node_document(spec(collector=COLLECTOR)))
    assert len(text) <= doc.MAX_DATA_CHARS == 16_000
    version = doc.content_version(text)
    assert re.fullmatch(r"1\.0\.\d+", version) and int(version.split(".")[2]) <= doc.MAX_VERSION_NODE
    assert doc.content_version(text) == version, "the same document must keep its version"
    other = doc.render(doc.node_document(spec(rustfs_version="1.0.0-rc.1")))
    assert doc.content_version(other) != version
    with pytest.raises(ValueError, match="16,000"):
        doc.render({"description": "x" * doc.MAX_DATA_CHARS})


# --- what it installs -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("instance_type,arch", [("c6in.4xlarge", "x86_64"), ("m7g.large", "aarch64")])
def test_it_downloads_the_pinned_release_with_the_pinned_checksum_only(instance_type, arch):
    pinned = load_releases()["releases"]["1.0.1"][arch]
    text = doc.render(doc.node_document(spec(instance_type)))
    [download] = [s for s in loaded(spec(instance_type))["phases"][0]["steps"] if s["action"] == "WebDownload"]
    assert download["inputs"][0]["source"].endswith(f"/1.0.1/{pinned['asset']}")
    assert download["inputs"][0]["source"].startswith("https://github.com/rustfs/rustfs/releases/download/")
    assert (download["inputs"][0]["algorithm"], download["inputs"][0]["checksum"]) == ("SHA256", pinned["sha256"])
    assert set(re.findall(r"\b[0-9a-f]{64}\b", text)) == {pinned["sha256"]}, "no checksum but the pinned one"


def test_it_bakes_every_package_the_nodes_cloud_config_installs():
    packages = cloud_init_packages()
    assert {"chrony", "xfsprogs", "nvme-cli"} <= set(packages)
    [install] = [s for s in loaded(spec())["phases"][0]["steps"] if s["name"] == "InstallPackages"]
    assert install["inputs"]["commands"][-1] == "dnf install -y " + " ".join(packages)


def test_node_bootstrap_finds_what_the_image_bakes():
    """The node's first boot skips what is baked only where it looks: the binary's path and the chrony line."""
    bootstrap = (BOOTSTRAP_DIR / "node-bootstrap").read_text()
    assert f'BIN="${{RUSTFS_BIN:-{doc.RUSTFS_BIN}}}"' in bootstrap
    assert f"grep -qs '{doc.CHRONY_PATTERN}' \"$conf\"" in bootstrap
    assert doc.CHRONY_LINE in bootstrap


def test_dirty_page_limits_follow_the_instances_ebs_bandwidth():
    mib = doc.MIB
    assert doc.dirty_limits(1250.0) == (256 * mib, 1024 * mib)  # c6in.4xlarge: capped at 1 GiB
    background, dirty = doc.dirty_limits(81.25)  # m6i.large: ~1 s of 81 MB/s
    assert dirty == 77 * mib and background == dirty // 4
    assert doc.dirty_limits(10.0) == (16 * mib, 64 * mib)  # floor
    assert doc.dirty_limits(None) == (64 * mib, 256 * mib)  # unknown instance type
    keys = [s.key for s in doc.storage_sysctls(None)]
    assert len(keys) == len(set(keys)) and all(s.why for s in doc.storage_sysctls(None))


# --- the scripts: shellcheck, and run -----------------------------------------------------------------------------

def test_every_script_passes_shellcheck(tmp_path):
    findings = []
    for label, script in doc.all_commands(doc.node_document(spec(collector=COLLECTOR))).items():
        path = tmp_path / f"{label.replace('/', '-')}.sh"
        path.write_text("#!/bin/bash\n" + script)
        result = subprocess.run([SHELLCHECK, "--severity=style", str(path)], capture_output=True, text=True)
        findings.append(result.stdout if result.returncode else "")
    assert not "".join(findings), "".join(findings)


STUBS = {
    # rpm -q NAME[-VERSION]: installed when exactly that is listed in $FAKE_RPMS.
    "rpm": '[ "$1" = -q ] || exit 64\nfor p in $FAKE_RPMS; do [ "$p" = "$2" ] && { echo "$2"; exit 0; }; done\n'
           'echo "package $2 is not installed"; exit 1\n',
    "systemctl": 'echo "$*" >> "$FAKE_LOG"\ncase "$1" in is-enabled) [ "${FAKE_CHRONYD:-enabled}" = enabled ];; '
                 'enable) ;; *) exit 64;; esac\n',
    # sysctl --load FILE sets what the file says; sysctl -n KEY prints it (fields tab-separated, as the kernel does).
    "sysctl": 'case "$1" in --load) grep -v "^#" "$2" | sed "s/ = /=/" >> "$FAKE_SYSCTL";; '
              '-n) v="$(grep "^$2=" "$FAKE_SYSCTL" | tail -n1 | cut -d= -f2-)"; echo "${v// /$\'\\t\'}";; '
              '*) exit 64;; esac\n',
    "dnf": 'echo "dnf $*" >> "$FAKE_LOG"\n',
    "mkfs.xfs": "exit 0\n",
    "nvme": "exit 0\n",
}


@pytest.fixture
def node(tmp_path):
    """A pretend node: the scripts' absolute paths moved under tmp_path, stub tools first on PATH."""
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for name, body in STUBS.items():
        path = stubs / name
        path.write_text("#!/bin/bash\n" + body)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "chrony.conf").write_text("pool 2.amazon.pool.ntp.org iburst\n")
    (tmp_path / "sysctl.state").write_text("")
    moves = {doc.RUSTFS_BIN: str(tmp_path / "bin" / "rustfs"), doc.RELEASE_ZIP: str(tmp_path / "release.zip"),
             doc.SYSCTL_FILE: str(tmp_path / "sysctl.d" / "rustfs.conf"), "/etc/sysctl.d": str(tmp_path / "sysctl.d"),
             doc.CHRONY_CONF: str(tmp_path / "chrony.conf")}
    (tmp_path / "bin").mkdir()
    env = {"PATH": f"{stubs}:{os.environ['PATH']}", "FAKE_LOG": str(tmp_path / "log"),
           "FAKE_SYSCTL": str(tmp_path / "sysctl.state"), "FAKE_RPMS": ""}

    def run(s: doc.NodeImageSpec, phase: str, step: str, **extra_env) -> subprocess.CompletedProcess:
        script = doc.all_commands(doc.node_document(s))[f"{phase}/{step}"]
        for old, new in moves.items():
            script = script.replace(old, new)
        return subprocess.run(["bash", "-c", script], capture_output=True, text=True, env={**env, **extra_env},
                              timeout=60)

    run.root = tmp_path
    return run


def release_zip(path: Path, version: str) -> str:
    """A release zip shaped like RustFS's (a directory with the binary), its binary answering --version."""
    with zipfile.ZipFile(path, "w") as z:
        info = zipfile.ZipInfo("rustfs-linux-x86_64-musl/rustfs")
        info.external_attr = 0o755 << 16
        z.writestr(info, f'#!/bin/sh\necho "rustfs {version}"\n')
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_install_step_installs_the_binary_of_a_zip_with_the_pinned_checksum(node):
    digest = release_zip(node.root / "release.zip", "1.0.1")
    result = node(spec(release_sha256=digest), "build", "InstallRustfs")
    assert result.returncode == 0, result.stderr
    installed = node.root / "bin" / "rustfs"
    assert subprocess.run([str(installed), "--version"], capture_output=True, text=True).stdout == "rustfs 1.0.1\n"
    assert not (node.root / "release.zip").exists(), "the zip is removed from the image"


def test_the_install_step_refuses_a_zip_with_another_checksum(node):
    release_zip(node.root / "release.zip", "1.0.1")
    result = node(spec(release_sha256="f" * 64), "build", "InstallRustfs")
    assert result.returncode != 0 and "is not the pinned" in result.stderr
    assert not (node.root / "bin" / "rustfs").exists()


def _baked_node(node, s: doc.NodeImageSpec) -> dict:
    """Run the build steps that change the pretend node; return the environment its checks see."""
    s = doc.NodeImageSpec(**{**s.__dict__, "release_sha256": release_zip(node.root / "release.zip", s.rustfs_version)})
    for step in ("InstallRustfs", "UseAmazonTimeSync", "TuneKernel"):
        result = node(s, "build", step)
        assert result.returncode == 0, (step, result.stderr)
    rpms = " ".join(s.packages)
    if s.collector:
        rpms += f" {s.collector.package}-{s.collector.version}"
    return {"FAKE_RPMS": rpms, "spec": s}


@pytest.mark.parametrize("phase", ["validate", "test"])
def test_the_checks_pass_on_a_node_the_build_steps_made(node, phase):
    env = _baked_node(node, spec(collector=COLLECTOR))
    s = env.pop("spec")
    result = node(s, phase, "CheckNode", **env)
    assert result.returncode == 0, result.stderr
    assert "every check passed" in result.stdout
    assert doc.CHRONY_LINE in (node.root / "chrony.conf").read_text()
    written = (node.root / "sysctl.d" / "rustfs.conf").read_text()
    assert {k: v for k, v in re.findall(r"^(\S+) = (.+)$", written, re.M)} == {x.key: x.value for x in s.sysctls}


@pytest.mark.parametrize("broken,message", [
    ("sysctl", "sysctl net.ipv4.tcp_slow_start_after_idle is '1'"),
    ("package", "package nvme-cli is not installed"),
    ("version", "rustfs --version says '1.0.0-rc.1', want 1.0.1"),
    ("chronyd", "chronyd.service is not enabled"),
    ("collector", f"collector amazon-cloudwatch-agent-{COLLECTOR.version} is not installed"),
])
def test_the_checks_fail_naming_what_the_node_lacks(node, broken, message):
    env = _baked_node(node, spec(collector=COLLECTOR))
    s = env.pop("spec")
    if broken == "sysctl":
        with (node.root / "sysctl.state").open("a") as f:
            f.write("net.ipv4.tcp_slow_start_after_idle=1\n")
    elif broken == "package":
        env["FAKE_RPMS"] = env["FAKE_RPMS"].replace("nvme-cli", "")
    elif broken == "collector":
        env["FAKE_RPMS"] = env["FAKE_RPMS"].replace(COLLECTOR.version, "1.300064.1-1.amzn2023")
    elif broken == "version":
        digest = release_zip(node.root / "release.zip", "1.0.0-rc.1")
        node(doc.NodeImageSpec(**{**s.__dict__, "release_sha256": digest}), "build", "InstallRustfs")
    elif broken == "chronyd":
        env["FAKE_CHRONYD"] = "disabled"
    result = node(s, "test", "CheckNode", **env)
    assert result.returncode != 0 and message in result.stderr, result.stderr


# --- the images config section --------------------------------------------------------------------------------

BASE = {
    "environment": "dev",
    "tags": {"Owner": "team-storage", "CostCenter": "cc-1"},
    "network": {"cidr": "10.40.0.0/16", "azCount": 2, "natGateways": "single"},
    "cluster": {"platform": "ec2", "nodes": 4, "drivesPerNode": 2, "instanceType": "m6i.large",
                "rustfsVersion": "1.0.1"},
}


def _problems(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        parse(raw, stack="t", region="us-east-1")
    return exc.value.problems


def test_images_are_off_by_default_and_take_a_six_field_schedule():
    cfg = parse(BASE, stack="t", region="us-east-1")
    assert (cfg.images.enabled, cfg.images.use, cfg.images.schedule) == (False, False, DEFAULT_SCHEDULE)
    on = parse({**BASE, "images": {"enabled": True, "use": True, "schedule": "cron(30 2 1 * ? *)"}}, stack="t",
               region="us-east-1")
    assert (on.images.enabled, on.images.use, on.images.schedule) == (True, True, "cron(30 2 1 * ? *)")


@pytest.mark.parametrize("images,cluster,expected", [
    ({"use": True}, {}, "rustfs-aws:images.use: got true; needs images.enabled: true"),
    ({"enabled": True, "schedule": "cron(0 4 * * 6)"}, {}, "rustfs-aws:images.schedule: got 'cron(0 4 * * 6)'; "
     "expected Image Builder cron expression of six fields"),
    ({"enabled": True, "use": True}, {"amiId": "ami-0123456789abcdef0"}, "cluster.amiId (ami-0123456789abcdef0) "
     "already names the nodes' AMI"),
    ({"enabled": True}, {"platform": "eks"}, "rustfs-aws:images.enabled: got true; only with cluster.platform: ec2"),
    ({"enable": True}, {}, "rustfs-aws:images.enable: got true; unknown key; known keys here: enabled, schedule, use"),
])
def test_images_settings_are_refused_naming_the_key(images, cluster, expected):
    raw = {**BASE, "images": images, "cluster": {**BASE["cluster"], **cluster}}
    found = _problems(raw)
    assert any(expected in p for p in found), found
