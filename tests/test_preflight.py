"""preflight end to end, as users run it: a process, its exit status, its reports."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROGRAM_FILES = ["__main__.py", "components", "rustfs_model", "policies", "Pulumi.yaml"]


def preflight(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "preflight", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def dev_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("dev")
    result = preflight("--stack", "dev", "--json", str(out / "dev.json"), "--markdown", str(out / "dev.md"))
    return result, json.loads((out / "dev.json").read_text()), (out / "dev.md").read_text()


def test_dev_passes_and_prints_the_summary_line(dev_report):
    result, report, _ = dev_report
    assert result.returncode == 0, result.stderr + result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"preflight dev: \d+ resources, 0 mandatory, \d+ advisory violations", last)
    assert f"preflight dev: {report['summary']['resources']} resources" in last


def test_json_schema(dev_report):
    _, report, _ = dev_report
    assert {"project", "stack", "region", "resources", "policy", "summary"} <= set(report)
    assert (report["project"], report["stack"], report["region"]) == ("rustfs-aws", "dev", "us-east-1")
    assert report["summary"]["resources"] == len(report["resources"])
    for r in report["resources"]:
        assert set(r) >= {"urn", "type", "name", "parent", "provider", "custom", "protect", "dependencies",
                          "inputs"}
        assert r["urn"].startswith("urn:pulumi:dev::rustfs-aws::")
    policy = report["policy"]
    assert policy["pack"] == "rustfs-aws-guardrails" and policy["version"]
    assert all({"name", "enforcementLevel", "severity"} <= set(p) for p in policy["policies"])
    assert all({"policy", "urn", "message", "enforcementLevel", "severity"} <= set(v) for v in policy["violations"])


def test_every_resource_recorded_with_its_inputs(dev_report):
    _, report, _ = dev_report
    by_type = {}
    for r in report["resources"]:
        by_type.setdefault(r["type"], []).append(r)
    (vpc,) = by_type["aws:ec2/vpc:Vpc"]
    assert vpc["inputs"]["cidrBlock"] == "10.40.0.0/16" and vpc["custom"] is True
    (provider,) = by_type["pulumi:providers:aws"]
    assert provider["inputs"]["region"] == "us-east-1"
    # Provider inputs that are objects travel JSON-encoded, as the engine passes them to the provider.
    assert json.loads(provider["inputs"]["defaultTags"])["tags"] == {"Project": "rustfs-aws", "Environment": "dev",
                                                        "Owner": "platform-storage", "CostCenter": "cc-1042"}
    network = by_type["rustfs:network:Network"][0]
    assert network["custom"] is False
    assert vpc["parent"] == network["urn"]
    assert vpc["provider"].startswith(provider["urn"] + "::")


def test_markdown_report(dev_report):
    _, report, md = dev_report
    assert md.startswith("## preflight: `rustfs-aws/dev` (us-east-1)")
    assert "### Policy results" in md and "rustfs-aws-guardrails" in md


def test_prod_passes():
    result = preflight("--stack", "prod")
    assert result.returncode == 0, result.stderr + result.stdout[-3000:]
    assert result.stdout.strip().splitlines()[-1].startswith("preflight prod: ")


def _project(tmp_path: Path, stack_yaml: str, program: str | None = None) -> Path:
    for name in PROGRAM_FILES:
        if name == "__main__.py" and program is not None:
            (tmp_path / name).write_text(program)
        else:
            (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "Pulumi.t.yaml").write_text(stack_yaml)
    return tmp_path


BROKEN_PROGRAM = """
import pulumi_aws as aws
aws.cloudwatch.LogGroup("plain", name="/rustfs/plain", retention_in_days=30,
                        tags={"Project": "p", "Environment": "dev", "Owner": "o", "CostCenter": "c"})
"""


def test_a_violation_from_the_pack_process_fails_with_exit_1(tmp_path):
    project = _project(tmp_path, (ROOT / "Pulumi.dev.yaml").read_text(), BROKEN_PROGRAM)
    result = preflight("--stack", "t", "--json", str(tmp_path / "t.json"), cwd=project)
    assert result.returncode == 1, result.stderr + result.stdout
    violations = json.loads((tmp_path / "t.json").read_text())["policy"]["violations"]
    hit = [v for v in violations if v["policy"] == "rustfs-cloudwatch-loggroup-require-kms"]
    assert hit and hit[0]["enforcementLevel"] == "mandatory"
    assert hit[0]["urn"].endswith("aws:cloudwatch/logGroup:LogGroup::plain")
    assert "[MANDATORY" in result.stdout and "rustfs-cloudwatch-loggroup-require-kms" in result.stdout


def test_invalid_config_exits_2_with_one_clear_message(tmp_path):
    project = _project(tmp_path, "config:\n  aws:region: us-east-1\n  rustfs-aws:environment: prod\n"
                                 "  rustfs-aws:tags: {Owner: o, CostCenter: c}\n"
                                 "  rustfs-aws:cluster: {volume: {iops: 99999}}\n")
    result = preflight("--stack", "t", cwd=project)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("preflight t: invalid stack configuration")
    assert "rustfs-aws:cluster.volume.iops: got 99999; allowed range 3,000–16,000 for gp3" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_stack_exits_2():
    result = preflight("--stack", "nope")
    assert result.returncode == 2 and "Pulumi.nope.yaml not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_secure_values_become_placeholders_and_are_reported(tmp_path):
    stack = (ROOT / "Pulumi.dev.yaml").read_text() + "  aws:secretKey:\n    secure: v1:AAAABBBBCCCC\n"
    project = _project(tmp_path, stack)
    result = preflight("--stack", "t", "--json", str(tmp_path / "t.json"), cwd=project)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "t.json").read_text())
    assert report["placeholders"] == ["aws:secretKey"]
    assert "(not decryptable offline): aws:secretKey" in result.stdout


def test_new_stack_preview_has_unknown_computed_outputs_and_still_passes(tmp_path):
    result = preflight("--stack", "prod", "--new-stack", "--json", str(tmp_path / "p.json"))
    assert result.returncode == 0, result.stderr + result.stdout[-2000:]
    report = json.loads((tmp_path / "p.json").read_text())
    templates = [r for r in report["resources"] if r["type"] == "aws:ec2/launchTemplate:LaunchTemplate"]
    # ids and ARNs do not exist before the first deployment: what depends on them is unknown, as in a real
    # first `pulumi preview`, and the pack and the report sections cope with it.
    assert templates and all(t["id"] == "" and t["inputs"]["userData"] == "[unknown]" for t in templates)
    assert all(t["inputs"]["iamInstanceProfile"]["arn"] == "[unknown]" for t in templates)
    assert report["summary"]["mandatory"] == 0
    assert report["topology"]["tolerates"]["azLoss"] is True and report["cost"]["monthlyUSD"] > 0
