"""Run the node's rendered scripts against a fake AWS CLI fed by the dev recording; record every argv.

takeover.py runs in process with its subprocess replaced; node-bootstrap's secret steps run with an `aws`
shim first on PATH.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import re
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from types import SimpleNamespace

from aws_cli_scan import split_aws_argv
from dev_node import STACK, Node, World, world

OWNER = pwd.getpwuid(os.getuid()).pw_name
INSTANCE_ID = "i-0aaaaaaaaaaaaaaa1"  # the node's own instance in the fake AWS


class FakeAwsCli:
    """Answers the node's AWS CLI calls from the recorded resources; records every argv."""

    def __init__(self, w: World, node: Node, instance_id: str, holders: dict[str, tuple[str, str]] = ()):
        self.calls: list[list[str]] = []
        self.instances = {instance_id: "running", **{h: state for h, state in dict(holders).values()}}
        self.volumes = {}
        for vid, v in w.volumes.items():
            held = dict(holders).get(vid)
            self.volumes[vid] = {
                "VolumeId": vid, "AvailabilityZone": v["az"], "State": "in-use" if held else "available",
                "Tags": [{"Key": k, "Value": val} for k, val in v["tags"].items()],
                "Attachments": [{"InstanceId": held[0], "State": "attached"}] if held else []}

    def __call__(self, argv: list[str]) -> tuple[int, str]:
        self.calls.append(list(argv))
        service, command, opts, _ = split_aws_argv(argv)
        filters = [a for a in argv if a.startswith("Name=")]
        if (service, command) == ("ec2", "describe-volumes"):
            def keep(v):
                tags = {t["Key"]: t["Value"] for t in v["Tags"]}
                for f in filters:
                    name, values = re.fullmatch(r"Name=tag:([^,]+),Values=(.*)", f).groups()
                    if tags.get(name) not in values.split(","):
                        return False
                return True
            return 0, json.dumps({"Volumes": [v for v in self.volumes.values() if keep(v)]})
        if (service, command) == ("ec2", "describe-instances"):
            iid = opts["--instance-ids"]
            return 0, json.dumps({"Reservations": [{"Instances": [
                {"InstanceId": iid, "State": {"Name": self.instances[iid]}}]}]})
        if (service, command) == ("ec2", "attach-volume"):
            v = self.volumes[opts["--volume-id"]]
            v["State"], v["Attachments"] = "in-use", [{"InstanceId": opts["--instance-id"], "State": "attached"}]
            return 0, "{}"
        if (service, command) == ("ec2", "detach-volume"):
            v = self.volumes[opts["--volume-id"]]
            v["State"], v["Attachments"] = "available", []
            return 0, "{}"
        if (service, command) == ("route53", "list-resource-record-sets"):
            return 0, json.dumps({"ResourceRecordSets": []})
        if (service, command) == ("route53", "change-resource-record-sets"):
            return 0, json.dumps({"ChangeInfo": {"Id": "/change/C0FAKE", "Status": "PENDING"}})
        return 255, ""


def load_takeover(node: Node, tmp_path: Path):
    path = tmp_path / "takeover.py"
    path.write_text(node.files["/usr/local/lib/rustfs/takeover.py"].content)
    spec = importlib.util.spec_from_file_location(f"takeover_{node.name.split('.')[0]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_takeover(node: Node, fake: FakeAwsCli, instance_id: str, tmp_path: Path, *extra: str,
                 w: World | None = None) -> None:
    takeover = load_takeover(node, tmp_path)

    def fake_run(argv, **_):
        rc, out = fake(argv)
        return subprocess.CompletedProcess(argv, rc, out, "" if rc == 0 else "fake aws: unsupported call")

    takeover.subprocess = SimpleNamespace(run=fake_run)  # this module's view only, not the real module
    env = node.boot_env
    rc = takeover.main([
        "--cluster-id", env["BOOT_CLUSTER_ID"], "--node-index", env["BOOT_NODE_INDEX"],
        "--drives", env["BOOT_DRIVES"], "--hosted-zone-id", env["BOOT_HOSTED_ZONE_ID"],
        "--record-name", env["BOOT_NODE_NAME"], "--region", env["BOOT_REGION"],
        "--instance-id", instance_id, "--availability-zone", node_az(node, w), "--private-ip", "10.0.0.10",
        "--initial-delay", "0", "--max-delay", "0", "--timeout", "5", *extra])
    assert rc == 0, f"takeover failed on the recorded resources of {node.name}"


def node_az(node: Node, w: World | None = None) -> str:
    w = w or world()
    azs = {v["az"] for v in w.volumes.values() if v["tags"].get("rustfs:node-name") == node.name}
    [az] = azs
    return az


SECRET_JSON = json.dumps({"accessKey": "AKIAFAKENODEACCESS", "secretKey": "fake-secret-key-0123456789",
                          "rpcSecret": "fake-rpc-secret-0123456789abcdef0123456789",  # RUSTFS_RPC_SECRET
                          "certificate": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----",
                          "privateKey": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----"})


def run_secret_steps(node: Node, tmp_path: Path) -> list[list[str]]:
    """node-bootstrap's steps that call AWS, as rendered, with an `aws` shim that records its argv."""
    script = tmp_path / "node-bootstrap"
    script.write_text(node.files["/usr/local/lib/rustfs/node-bootstrap"].content)
    script.chmod(0o755)
    log = tmp_path / "aws-calls"
    shim = tmp_path / "bin" / "aws"
    shim.parent.mkdir()
    shim.write_text("#!/bin/sh\n"
                    f"for a in \"$@\"; do printf '%s\\037' \"$a\"; done >> {log}\nprintf '\\036' >> {log}\n"
                    f"cat <<'EOF'\n{SECRET_JSON}\nEOF\n")
    shim.chmod(0o755)
    # IMDSv2 as node-bootstrap asks it (token, then the instance id): the node's own instance.
    curl = tmp_path / "bin" / "curl"
    curl.write_text(f'#!/bin/sh\ncase "$*" in *api/token*) echo token ;; *meta-data/instance-id*) echo {INSTANCE_ID} ;;'
                    ' *) exit 22 ;; esac\n')
    curl.chmod(0o755)
    (tmp_path / "etc").mkdir()
    env = {**os.environ, **node.boot_env, "PATH": f"{shim.parent}:{os.environ['PATH']}",
           "BOOT_CONFIG_DIR": str(tmp_path / "etc"), "BOOT_TLS_DIR": str(tmp_path / "etc" / "tls"),
           "BOOT_SERVICE_USER": OWNER}

    def run(*steps: str) -> None:
        result = subprocess.run([str(script), *steps], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr

    run("write_credentials", "write_tls")
    # The timer's expiry metric reads a real certificate (the secret's is a placeholder), then the boot's
    # last resort, the Unhealthy report.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "30", "-subj", f"/CN={node.name}", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "etc" / "tls" / "rustfs_cert.pem")], check=True, capture_output=True)
    run("publish_tls_expiry", "report_unhealthy")
    return [["aws", *record.split("\037")[:-1]] for record in log.read_text().split("\036") if record]


@cache
def exercised_calls(node_name: str, stack: str = STACK) -> tuple[tuple[str, ...], ...]:
    """Every argv the node's scripts send to the AWS CLI, over the scenarios that reach every call."""
    with tempfile.TemporaryDirectory() as tmp:
        return _exercise(node_name, Path(tmp), world(stack))


def _exercise(node_name: str, base: Path, w: World) -> tuple[tuple[str, ...], ...]:
    [node] = [n for n in w.nodes if n.name == node_name]
    calls: list[list[str]] = []
    me = INSTANCE_ID
    # Fresh start: every volume available.
    (base / "fresh").mkdir(parents=True)
    fresh = FakeAwsCli(w, node, me)
    run_takeover(node, fresh, me, base / "fresh", w=w)
    calls += fresh.calls
    # Replacement: drive 0 still attached to the terminated predecessor (same launch template, same tags).
    (base / "replace").mkdir()
    drive0 = next(vid for vid, v in w.volumes.items()
                  if v["tags"].get("rustfs:node-name") == node.name and v["tags"].get("rustfs:drive") == "0")
    replace = FakeAwsCli(w, node, me, {drive0: ("i-0dead00000000000d", "terminated")})
    run_takeover(node, replace, me, base / "replace", "--force-detach-dead", w=w)
    calls += replace.calls
    (base / "secrets").mkdir()
    calls += run_secret_steps(node, base / "secrets")
    return tuple(tuple(c) for c in calls)
