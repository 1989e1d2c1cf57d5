"""``python -m preflight`` with a stack reference, as users run it: ``outputs`` records the primary, ``--stack dr
--stack-outputs`` serves it (0 mandatory violations; the report names where the outputs came from), and a reference
preflight cannot serve fails with one message naming the way out (exit 2, no traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRIMARY = "organization/rustfs-aws/prod"


def preflight(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "preflight", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_recorded_primary_outputs_serve_the_dr_stack(tmp_path):
    recorded = preflight("outputs", "--stack", "prod")
    assert recorded.returncode == 0, recorded.stderr
    outputs = tmp_path / "prod.json"
    outputs.write_text(recorded.stdout)
    assert json.loads(recorded.stdout)["outputs"]["vpcCidr"] == "10.50.0.0/16"
    report = tmp_path / "dr.json"
    result = preflight("--stack", "dr", "--stack-outputs", f"{PRIMARY}={outputs}", "--json", str(report))
    assert result.returncode == 0, result.stderr + result.stdout[-2000:]
    doc = json.loads(report.read_text())
    assert doc["summary"]["mandatory"] == 0
    assert doc["stackReferences"] == {PRIMARY: str(outputs)}
    assert f"Stack reference {PRIMARY}: outputs from {outputs}" in result.stdout
    types = {r["type"] for r in doc["resources"]}
    assert {"aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "rustfs:dr:DrLink"} <= types


def test_an_unservable_reference_exits_2_with_the_way_out(tmp_path):
    stack = (ROOT / "Pulumi.dr.yaml").read_text().replace(PRIMARY, "acme/another-project/prod")
    for name in ("Pulumi.yaml", "__main__.py", "components", "rustfs_aws", "rustfs_model", "policies"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "Pulumi.dr.yaml").write_text(stack)
    result = preflight("--stack", "dr", cwd=tmp_path)
    assert result.returncode == 2
    assert "stack reference 'acme/another-project/prod': preflight has no outputs for it" in result.stderr
    assert "--stack-outputs acme/another-project/prod=FILE" in result.stderr and "Traceback" not in result.stderr
