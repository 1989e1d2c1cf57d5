"""The state reconciler's Command document run for real (as test_collector_document.py runs the collector's): its
shell step rendered with the association's parameters as Run Command substitutes them (tests/ssm_scripts.py), run as
SSM Agent runs it (``sh -c``). Real: bash, sha256sum, install, the venv's python3 (boto3 importable, as
python3-boto3 makes it on AL2023). Faked, strictly: ``dnf`` accepts only ``install -y --releasever=<release>
python3-boto3`` and records it in a fake RPM database; ``rpm -q <name>`` answers from that database; ``systemctl``
accepts daemon-reload, ``enable --now <timer>`` and ``start --no-block <service>`` only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ssm_scripts import FAKE_RPM, rendered

from rustfs_aws.state import state

FAKE_DNF = r"""#!/bin/bash
echo "dnf $*" >> "$FAKE_LOG"
[ "$1" = install ] && [ "$2" = -y ] && [[ "$3" == --releasever=2023.* ]] && [ $# = 4 ] || {
    echo "fake dnf: unexpected $*" >&2; exit 64; }
echo "$4" >> "$FAKE_RPMDB"
"""
FAKE_SYSTEMCTL = r"""#!/bin/bash
echo "systemctl $*" >> "$FAKE_LOG"
case "$*" in
    daemon-reload|"enable --now rustfs-state.timer"|"start --no-block rustfs-state.service") ;;
    *) echo "fake systemctl: unexpected $*" >&2; exit 64 ;;
esac
"""
PARAMETERS = {"ReleaseVersion": "2023.11.20260526", "StateParameter": "/rustfs/rustfs-t/state/desired",
              "StateSha256": "a" * 64, "IntervalMinutes": "5"}


def _node(tmp_path: Path) -> dict:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("dnf", FAKE_DNF), ("rpm", FAKE_RPM), ("systemctl", FAKE_SYSTEMCTL)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    (bin_dir / "python3").symlink_to(sys.executable)
    (tmp_path / "bootstrap.env").write_text("BOOT_REGION=eu-west-1\nBOOT_NODE_NAME=rustfs-1.t.internal\n")
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "FAKE_LOG": str(tmp_path / "calls.log"),
            "FAKE_RPMDB": str(tmp_path / "rpmdb"), "RUSTFS_BOOT_ENV_FILE": str(tmp_path / "bootstrap.env"),
            "RUSTFS_RECONCILER": str(tmp_path / "lib" / "rustfs-reconcile"), "RUSTFS_UNIT_DIR": str(tmp_path),
            "RUSTFS_STATE_DIR": str(tmp_path / "state")}


def _run(tmp_path: Path, env: dict, **parameters: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    log = Path(env["FAKE_LOG"])
    log.write_text("")
    script = tmp_path / "_script.sh"
    script.write_text(rendered(state.install_document("rustfs-t"), **{
        **PARAMETERS, "ScriptSha256": state.script_sha256(), **parameters}))
    script.chmod(0o755)
    result = subprocess.run(["sh", "-c", str(script)], env=env, capture_output=True, text=True, timeout=120)
    return result, log.read_text().splitlines()


def test_the_first_run_installs_boto3_the_reconciler_its_units_and_starts_one_run(tmp_path):
    env = _node(tmp_path)
    result, calls = _run(tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert "dnf install -y --releasever=2023.11.20260526 python3-boto3" in calls
    installed = Path(env["RUSTFS_RECONCILER"])
    assert installed.read_text() == state.script_text() and os.stat(installed).st_mode & 0o777 == 0o755
    service = (tmp_path / state.SERVICE).read_text()
    assert f"ExecStart=/usr/bin/python3 {installed} --parameter {PARAMETERS['StateParameter']} --boot-env " in service
    assert "OnUnitActiveSec=5min" in (tmp_path / state.TIMER).read_text()
    assert [c for c in calls if c.startswith("systemctl")] == [
        "systemctl daemon-reload", "systemctl enable --now rustfs-state.timer",
        "systemctl start --no-block rustfs-state.service"]


def test_a_second_run_for_the_same_state_installs_nothing_new_and_starts_no_run(tmp_path):
    env = _node(tmp_path)
    assert _run(tmp_path, env)[0].returncode == 0
    result, calls = _run(tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert not [c for c in calls if c.startswith("dnf")] and "already installed" in result.stderr
    assert "systemctl start --no-block rustfs-state.service" not in calls
    result, calls = _run(tmp_path, env, StateSha256="b" * 64)  # a new desired state: one run now
    assert "systemctl start --no-block rustfs-state.service" in calls


def test_a_reconciler_of_another_hash_is_not_installed(tmp_path):
    env = _node(tmp_path)
    result, calls = _run(tmp_path, env, ScriptSha256="c" * 64)
    assert result.returncode == 1 and "not installed" in result.stderr
    assert not Path(env["RUSTFS_RECONCILER"]).exists()
    assert not [c for c in calls if c.startswith("systemctl")]
