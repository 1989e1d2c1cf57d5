"""The collector's Command document run for real: its shell step, taken from the dev stack's recorded document and
rendered with the recorded association's parameters as Run Command substitutes them (tests/ssm_scripts.py),
run as SSM Agent runs it (``sh -c <script>``) on a dev node's bootstrap.env.

What is real: the script, the AWS CLI (the venv's), SSM's GetParameter (moto in server mode, tests/moto_server.py,
holding the parameter the stack deploys, put through PutParameter with its tier), ``sha256sum``, ``install``.
What is faked, and how strictly:

- ``dnf``: only ``install -y --releasever=<release> <name>-<version-release>``; it "installs" by recording the
  package in the fake RPM database and laying down what the package ships (the agent's ``bin/`` with its ctl and
  ``etc/``), so a ctl exists only once the package does. ``FAKE_DNF_FAIL=1``: dnf's "Unable to find a match", exit 1.
- ``rpm -q <name-version-release>``: exit 0 only for what the fake dnf installed (exit 1, "is not installed").
- ``systemctl``: daemon-reload, enable --now, is-active --quiet per unit; anything else is an error.
- the agent's ``amazon-cloudwatch-agent-ctl``: ``-a fetch-config`` / ``-a append-config`` with ``-m ec2 -c
  file:<path>`` as the CloudWatch User Guide documents them ("Manually create or edit the CloudWatch agent
  configuration file", "Appending OpenTelemetry collector configuration files"); ``-s`` (re)starts the agent, so it
  copies the files it was given to a "running" directory and marks the unit active.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import urllib.request
from functools import cache
from pathlib import Path

import boto3
import pytest
from dev_node import recording, world
from ssm_scripts import FAKE_RPM, rendered

from rustfs_aws.observability import collector as c

REGION = "us-east-1"
PACKAGE = f"{c.PACKAGE}-{c.DEFAULT_PACKAGE_VERSION}"

FAKE_DNF = r"""#!/bin/bash
echo "dnf $*" >> "$FAKE_LOG"
if [ "${FAKE_DNF_FAIL:-0}" = 1 ]; then echo "Error: Unable to find a match: ${*: -1}" >&2; exit 1; fi
[ "$1" = install ] && [ "$2" = -y ] && [[ "$3" == --releasever=* ]] && [ $# = 4 ] || {
    echo "fake dnf: unexpected $*" >&2; exit 64; }
# dnf install <name>-<version-release> up- or downgrades an installed other version (dnf command reference, install).
name="${4%-*-*}"
{ grep -v "^$name-[0-9]" "$FAKE_RPMDB" 2>/dev/null || true; echo "$4"; } > "$FAKE_RPMDB.new"
mv "$FAKE_RPMDB.new" "$FAKE_RPMDB"
mkdir -p "$RUSTFS_AGENT_DIR/bin" "$RUSTFS_AGENT_DIR/etc"
cp "$FAKE_CTL_SOURCE" "$RUSTFS_AGENT_DIR/bin/amazon-cloudwatch-agent-ctl"
chmod 0755 "$RUSTFS_AGENT_DIR/bin/amazon-cloudwatch-agent-ctl"
"""

FAKE_SYSTEMCTL = r"""#!/bin/bash
echo "systemctl $*" >> "$FAKE_LOG"
case "$1" in
    daemon-reload) ;;
    enable) [ "$2" = --now ] && [ $# = 3 ] || exit 64; echo active > "$FAKE_UNITS/$3" ;;
    is-active) [ "$2" = --quiet ] && [ $# = 3 ] || exit 64; u="${3%.service}.service"
               [ "$(cat "$FAKE_UNITS/$u" 2>/dev/null)" = active ] ;;
    *) echo "fake systemctl: unexpected $*" >&2; exit 64 ;;
esac
"""

FAKE_CTL = r"""#!/bin/bash
echo "ctl $*" >> "$FAKE_LOG"
[ "$1" = -a ] && [ "$3" = -m ] && [ "$4" = ec2 ] && [ "$5" = -c ] && [[ "$6" == file:* ]] || exit 64
file="${6#file:}"
[ -s "$file" ] || { echo "ctl: no configuration at $file" >&2; exit 1; }
case "$2" in
    fetch-config) rm -rf "$FAKE_RUNNING"; mkdir -p "$FAKE_RUNNING"; cp "$file" "$FAKE_RUNNING/agent.json" ;;
    append-config) cp "$file" "$FAKE_RUNNING/collector.yaml" ;;
    *) exit 64 ;;
esac
if [ "${7:-}" = -s ]; then
    echo restart >> "$FAKE_LOG"
    # An agent that cannot load the configuration exits at once; systemd holds it in auto-restart for a minute.
    state=active; [ "${FAKE_AGENT_CRASHES:-0}" = 1 ] && state=activating
    echo "$state" > "$FAKE_UNITS/amazon-cloudwatch-agent.service"
    mkdir -p "$RUSTFS_AGENT_DIR/logs"; echo "E! failed to load the configuration" > \
        "$RUSTFS_AGENT_DIR/logs/amazon-cloudwatch-agent.log"
fi
"""


@cache
def recorded() -> tuple[dict, dict, str]:
    """The dev stack's collector document content, its association's parameters and the parameter's value, as
    recorded."""
    r = recording("dev")
    document = r.one("aws:ssm/document:Document", "rustfs-dev-collector-install")
    association = r.one("aws:ssm/association:Association", "rustfs-dev-collector-apply")
    parameter = r.one("aws:ssm/parameter:Parameter", "rustfs-dev-collector-config")
    assert association.inputs["name"] == document.outputs["name"]
    assert association.inputs["parameters"]["ConfigParameter"] == parameter.inputs["name"]
    return json.loads(document.inputs["content"]), association.inputs["parameters"], parameter.inputs["insecureValue"]


def deployed_text() -> str:
    """The parameter's value as the stack deploys it (its hash is the association's)."""
    text = recorded()[2]
    assert c.config_sha256(text) == recorded()[1]["ConfigSha256"]
    return text


class Node:
    def __init__(self, tmp_path: Path, endpoint: str):
        self.root = tmp_path
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        for name, text in (("dnf", FAKE_DNF), ("rpm", FAKE_RPM), ("systemctl", FAKE_SYSTEMCTL)):
            (self.bin / name).write_text(text)
            (self.bin / name).chmod(0o755)
        (tmp_path / "ctl").write_text(FAKE_CTL)
        (self.bin / "aws").symlink_to(Path(sys.executable).parent / "aws")  # the real CLI
        (self.bin / "python3").symlink_to(sys.executable)
        (tmp_path / "units").mkdir()
        self.log = tmp_path / "log"
        self.log.write_text("")
        boot_env = tmp_path / "bootstrap.env"
        node = world("dev").nodes[0]
        boot_env.write_text(node.files["/etc/rustfs/bootstrap.env"].content)
        self.node = node.name.split(".")[0]
        self.agent = tmp_path / "agent"
        self.state = tmp_path / "state"
        self.unit_dir = tmp_path / "systemd"
        self.unit_dir.mkdir()
        self.env = {
            "PATH": f"{self.bin}:/usr/bin:/bin", "HOME": str(tmp_path), "LC_ALL": "C.UTF-8",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": endpoint,
            "AWS_MAX_ATTEMPTS": "1",
            "RUSTFS_BOOT_ENV_FILE": str(boot_env), "RUSTFS_AGENT_DIR": str(self.agent),
            "RUSTFS_TELEMETRY_STATE": str(self.state),
            "RUSTFS_JOURNAL_FILE": str(tmp_path / "journal" / "journal.json"),
            "RUSTFS_UNIT_DIR": str(self.unit_dir), "RUSTFS_AGENT_SETTLE_SECONDS": "0",
            "FAKE_LOG": str(self.log), "FAKE_RPMDB": str(tmp_path / "rpmdb"), "FAKE_UNITS": str(tmp_path / "units"),
            "FAKE_CTL_SOURCE": str(tmp_path / "ctl"), "FAKE_RUNNING": str(tmp_path / "running"),
        }

    def run(self, env: dict[str, str] | None = None, **parameters: str) -> tuple[subprocess.CompletedProcess,
                                                                                 list[str]]:
        content, recorded_parameters, _ = recorded()
        script = self.root / "_script.sh"
        script.write_text(rendered(content, **{**recorded_parameters, **parameters}))
        script.chmod(0o755)
        before = len(self.log.read_text().splitlines())
        result = subprocess.run(["sh", "-c", str(script)], env={**self.env, **(env or {})}, capture_output=True,
                                text=True, timeout=120)
        return result, self.log.read_text().splitlines()[before:]

    def running(self, name: str) -> str | None:
        path = self.root / "running" / name
        return path.read_text() if path.exists() else None


@pytest.fixture
def ssm(moto_endpoint):
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))
    client = boto3.client("ssm", region_name=REGION, endpoint_url=moto_endpoint, aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    return client


@pytest.fixture
def node(tmp_path, moto_endpoint):
    return Node(tmp_path, moto_endpoint)


def put(ssm, text: str) -> None:
    ssm.put_parameter(Name=recorded()[1]["ConfigParameter"], Value=text, Type="String", Tier=c.parameter_tier(text),
                      Overwrite=True)


def test_installs_the_pinned_package_applies_the_matching_configuration_and_starts_the_agent(ssm, node):
    text = deployed_text()
    put(ssm, text)
    result, calls = node.run()
    assert result.returncode == 0, result.stderr
    assert f"dnf install -y --releasever={c.DEFAULT_RELEASE_VERSION} {PACKAGE}" in calls
    assert (node.root / "rpmdb").read_text().split() == [PACKAGE]
    # The agent runs exactly the parameter's text (byte for byte: no trailing newline from the CLI) and its region.
    assert node.running("collector.yaml") == text
    assert json.loads(node.running("agent.json")) == {"agent": {"region": REGION}}
    assert calls.count("restart") == 1
    assert calls[-1] == "systemctl is-active --quiet amazon-cloudwatch-agent"
    # The agent's NodeName dimension is this node's, and the journal export is enabled.
    dropin = node.unit_dir / "amazon-cloudwatch-agent.service.d" / "rustfs.conf"
    assert dropin.read_text() == f"[Service]\nEnvironment={c.NODE_ENV}={node.node}\n"
    assert "systemctl enable --now rustfs-journal-export.service" in calls
    unit = (node.unit_dir / "rustfs-journal-export.service").read_text()
    assert all(f"--unit={u}" in unit for u in c.JOURNAL_UNITS)
    assert f"StandardOutput=append:{node.env['RUSTFS_JOURNAL_FILE']}" in unit
    assert "RuntimeMaxSec=1d" in unit and "Restart=always" in unit


def test_the_journal_export_is_bounded_a_restart_truncates_it_over_its_limit_only(ssm, node):
    """The export appends for ever onto the 30 GiB root volume unless something bounds it: its ExecStartPre, run as
    systemd runs it, empties the file over JOURNAL_MAX_MIB and keeps it below."""
    put(ssm, deployed_text())
    result, _ = node.run()
    assert result.returncode == 0, result.stderr
    unit = (node.unit_dir / "rustfs-journal-export.service").read_text()
    [pre] = [line.removeprefix("ExecStartPre=-") for line in unit.splitlines() if line.startswith("ExecStartPre=")]
    argv = shlex.split(pre.replace("\\;", ";"))  # systemd reads "\\;" as a literal ";"
    journal = Path(node.env["RUSTFS_JOURNAL_FILE"])
    journal.parent.mkdir(parents=True, exist_ok=True)
    for size, kept in ((c.JOURNAL_MAX_MIB * 1024 * 1024 - 1, True), (c.JOURNAL_MAX_MIB * 1024 * 1024 + 4096, False)):
        with journal.open("wb") as f:
            f.truncate(size)
        subprocess.run(argv, check=True, timeout=30)
        assert journal.stat().st_size == (size if kept else 0), size


def test_an_agent_that_does_not_stay_running_fails_the_document_and_is_retried(ssm, node):
    """The agent's unit is active as it starts; one that cannot load the configuration exits a moment later. The
    document looks after the settle time, fails with the agent's log, and records nothing applied, so the next
    run (State Manager's schedule) applies it again."""
    put(ssm, deployed_text())
    result, calls = node.run({"FAKE_AGENT_CRASHES": "1"})
    assert result.returncode == 1
    assert "did not stay running" in result.stderr and "failed to load the configuration" in result.stderr
    assert not (node.state / "applied").exists()
    again, calls = node.run()
    assert again.returncode == 0, again.stderr
    assert calls.count("restart") == 1


def test_a_second_run_with_the_same_configuration_changes_nothing(ssm, node):
    put(ssm, deployed_text())
    first, _ = node.run()
    assert first.returncode == 0, first.stderr
    files = {p: p.read_bytes() for p in node.root.rglob("*") if p.is_file() and p.name not in ("log", "_script.sh")}
    again, calls = node.run()
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stderr
    assert not [c_ for c_ in calls if c_.startswith(("dnf", "ctl")) or c_ == "restart"]
    assert {p: p.read_bytes() for p in files} == files


def test_a_parameter_whose_hash_differs_is_refused_and_nothing_is_applied(ssm, node):
    tampered = deployed_text().replace('"awsxray/rustfs":{"region":"us-east-1"}',
                                       '"awsxray/rustfs":{"region":"eu-west-1"}')
    assert tampered != deployed_text()
    put(ssm, tampered)
    result, calls = node.run()
    assert result.returncode != 0
    assert f"this association expects {recorded()[1]['ConfigSha256']}: not applied" in result.stderr
    assert not [c_ for c_ in calls if c_.startswith(("ctl", "systemctl"))]
    assert node.running("collector.yaml") is None and not (node.state / "applied").exists()
    assert not list(node.unit_dir.iterdir())


def test_a_changed_configuration_on_a_running_node_is_applied_and_restarts_the_agent(ssm, node):
    put(ssm, deployed_text())
    assert node.run()[0].returncode == 0
    changed = c.config_text(c.collector_config(stack="dev", region=REGION, cluster_id="rustfs-dev",
                                               log_group_prefix="/rustfs/rustfs-dev/", traces=False))
    put(ssm, changed)
    # The old association still expects the old hash: refused, the running configuration stays.
    stale, _ = node.run()
    assert stale.returncode != 0 and node.running("collector.yaml") == deployed_text()
    # The updated association carries the new hash: applied, one restart, no reinstall.
    result, calls = node.run(ConfigSha256=c.config_sha256(changed))
    assert result.returncode == 0, result.stderr
    assert node.running("collector.yaml") == changed
    assert calls.count("restart") == 1 and not [c_ for c_ in calls if c_.startswith("dnf")]


def test_dnf_failing_fails_the_document_before_anything_is_applied(ssm, node):
    put(ssm, deployed_text())
    result, calls = node.run(env={"FAKE_DNF_FAIL": "1"})
    assert result.returncode != 0
    assert "Unable to find a match" in result.stderr
    assert not [c_ for c_ in calls if c_.startswith(("ctl", "systemctl"))]
    assert node.running("collector.yaml") is None and not (node.root / "rpmdb").exists()


def test_another_installed_version_is_replaced_by_the_pinned_one(ssm, node):
    (node.root / "rpmdb").write_text(f"{c.PACKAGE}-1.300050.0-1.amzn2023\n")
    put(ssm, deployed_text())
    result, calls = node.run()
    assert result.returncode == 0, result.stderr
    assert f"rpm -q {PACKAGE}" in calls
    assert f"dnf install -y --releasever={c.DEFAULT_RELEASE_VERSION} {PACKAGE}" in calls
    assert (node.root / "rpmdb").read_text().split() == [PACKAGE]


def test_a_missing_parameter_fails_the_document(ssm, node):
    result, calls = node.run()
    assert result.returncode != 0
    assert "ParameterNotFound" in result.stderr
    assert not [c_ for c_ in calls if c_.startswith("ctl")]
