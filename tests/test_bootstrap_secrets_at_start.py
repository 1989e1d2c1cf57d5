"""Secrets reach a running node: at every RustFS start, and TLS material every few hours.

The units are taken as the dev stack renders them and their Exec lines are run as systemd would run them
(paths moved into a temporary root, an `aws` shim that serves the current secret values and records argv):
- `systemctl restart rustfs` re-reads both secrets (ExecStartPre), so a rotated value reaches RustFS;
- the TLS refresh timer's service rewrites only what changed and publishes the certificate's expiry as the
  metric the stack alarms on;
- every secret the boot unit reads is read again at each start (the class: no secret is boot-only).
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from aws_cli_scan import split_aws_argv
from dev_node import recording, world
from user_data import env_file

UNITS = "/etc/systemd/system"
BOOTSTRAP = "/usr/local/lib/rustfs/node-bootstrap"
OWNER = pwd.getpwuid(os.getuid()).pw_name


def unit_lines(unit: str, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith(f"{key}=")]


def exec_argv(line: str) -> list[str]:
    """An Exec*= value as systemd runs it: prefixes such as "-" and "+" stripped (systemd.service(5))."""
    return shlex.split(line.lstrip("-+!@:"))


def certificate(path: Path, days: int) -> str:
    key = path.with_suffix(".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", str(days), "-subj", "/CN=rustfs-1", "-keyout", str(key), "-out", str(path)],
                   check=True, capture_output=True)
    return path.read_text()


class Node:
    """A dev node's rendered files on disk under `root`, with the secrets in `values` (mutable: a rotation)."""

    def __init__(self, root: Path):
        self.node = world().nodes[0]
        self.root = root
        self.boot = self.node.boot_env
        self.values: dict[str, dict] = {}
        (root / "bin").mkdir(parents=True)
        (root / "etc").mkdir()
        self.script = root / "node-bootstrap"
        self.script.write_text(self.node.files[BOOTSTRAP].content)
        self.script.chmod(0o755)
        self.env_file = root / "bootstrap.env"
        # The rendered bootstrap.env, pointed at the temporary root (the unit names the real one).
        overrides = {"BOOT_CONFIG_DIR": str(root / "etc"), "BOOT_TLS_DIR": str(root / "etc" / "tls"),
                     "BOOT_SERVICE_USER": OWNER}
        self.env_file.write_text(self.node.files["/etc/rustfs/bootstrap.env"].content
                                 + "".join(f"{k}={shlex.quote(v)}\n" for k, v in overrides.items()))
        self.log = root / "aws-calls"
        self.secrets_file = root / "secrets.json"
        aws = root / "bin" / "aws"
        aws.write_text(
            "#!/usr/bin/env python3\n"
            "import json, sys\n"
            f"with open({str(self.log)!r}, 'a') as f: f.write(json.dumps(sys.argv[1:]) + '\\n')\n"
            "args = sys.argv[1:]\n"
            "if 'get-secret-value' in args:\n"
            f"    values = json.load(open({str(self.secrets_file)!r}))\n"
            "    print(json.dumps(values[args[args.index('--secret-id') + 1]]))\n")
        aws.chmod(0o755)

    def set_secrets(self, credentials: dict, tls: dict) -> None:
        self.secrets_file.write_text(json.dumps({self.boot["BOOT_CREDENTIALS_SECRET_ARN"]: credentials,
                                                 self.boot["BOOT_TLS_SECRET_ARN"]: tls}))

    def unit(self, name: str) -> str:
        return self.node.files[f"{UNITS}/{name}"].content

    def run_exec(self, line: str, *, env_from_unit: bool) -> subprocess.CompletedProcess:
        """One Exec line of a unit; `env_from_unit`: the unit's EnvironmentFile=/etc/rustfs/bootstrap.env."""
        argv = [str(self.script) if a == BOOTSTRAP else str(self.env_file) if a == "/etc/rustfs/bootstrap.env"
                else a for a in exec_argv(line)]
        env = {"PATH": f"{self.root / 'bin'}:{os.environ['PATH']}", "HOME": str(self.root)}
        if env_from_unit:
            env |= env_file(self.env_file.read_text())
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)

    def calls(self) -> list[tuple[str, str, dict]]:
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [split_aws_argv(["aws", *json.loads(x)])[:3] for x in lines]


CREDS_A = {"accessKey": "AKIAAAAAAAAAAAAAAAAA", "secretKey": "first-secret-key-0123456789",
           "rpcSecret": "first-rpc-secret-0123456789abcdef0123456789"}
CREDS_B = {"accessKey": "AKIABBBBBBBBBBBBBBBB", "secretKey": "rotated-secret-key-0123456789",
           "rpcSecret": "rotated-rpc-secret-0123456789abcdef0123456789"}


@pytest.fixture
def node(tmp_path):
    n = Node(tmp_path)
    n.tls = {"certificate": certificate(tmp_path / "cert-a.pem", 30), "privateKey": "KEY-A\n",
             "caCertificate": "CA\n"}
    n.set_secrets(CREDS_A, n.tls)
    return n


def test_restarting_rustfs_rereads_both_secrets_so_a_rotation_takes_effect(node):
    [pre] = unit_lines(node.unit("rustfs.service"), "ExecStartPre")
    assert pre.startswith("+"), "root, outside the sandbox: it writes /etc/rustfs"
    first = node.run_exec(pre, env_from_unit=False)  # the unit does not hand bootstrap.env to RustFS
    assert first.returncode == 0, first.stderr
    node.set_secrets(CREDS_B, node.tls)  # rotation; then `systemctl restart rustfs`
    again = node.run_exec(pre, env_from_unit=False)
    assert again.returncode == 0, again.stderr
    written = env_file((node.root / "etc" / "credentials").read_text())
    assert written["RUSTFS_SECRET_KEY"] == CREDS_B["secretKey"]
    read = [o["--secret-id"] for _, c, o in node.calls() if c == "get-secret-value"]
    assert sorted(read) == sorted([node.boot["BOOT_CREDENTIALS_SECRET_ARN"], node.boot["BOOT_TLS_SECRET_ARN"]] * 2)
    assert not any(CREDS_B["secretKey"] in x for x in (again.stdout, again.stderr, node.log.read_text()))


def test_every_secret_the_boot_reads_is_read_again_at_every_start(node):
    """Whatever node-bootstrap --boot reads from Secrets Manager, rustfs.service's ExecStartPre reads too."""
    [boot_exec] = unit_lines(node.unit("rustfs-bootstrap.service"), "ExecStart")
    assert exec_argv(boot_exec)[1:] == ["--boot"]
    secret_steps = {"write_credentials", "write_tls"}  # the steps of STEPS that call get-secret-value
    source = node.script.read_text()
    for step in re.findall(r"^STEPS=\(([^)]*)\)", source, re.M)[0].split():
        body = re.search(rf"^{step}\(\) \{{(.*?)^}}", source, re.M | re.S).group(1)
        assert ("secret_json" in body) == (step in secret_steps), step
    [pre] = unit_lines(node.unit("rustfs.service"), "ExecStartPre")
    assert secret_steps <= set(exec_argv(pre))


def test_the_refresh_rewrites_only_a_changed_certificate_and_publishes_its_expiry(node):
    service = node.unit("rustfs-tls-refresh.service")
    assert unit_lines(service, "Requisite") == ["rustfs-bootstrap.service"], "never re-runs a failed boot"
    refresh, publish = unit_lines(service, "ExecStart")
    assert refresh.startswith("-"), "a failed refresh still publishes the expiry of the current files"
    assert node.run_exec(refresh, env_from_unit=True).returncode == 0
    tls = node.root / "etc" / "tls"
    before = {p.name: p.stat().st_ino for p in tls.iterdir()}
    assert node.run_exec(refresh, env_from_unit=True).returncode == 0
    assert {p.name: p.stat().st_ino for p in tls.iterdir()} == before, "unchanged: nothing replaced, no reload"
    renewed = certificate(node.root / "cert-b.pem", 700)
    node.set_secrets(CREDS_A, {**node.tls, "certificate": renewed})
    assert node.run_exec(refresh, env_from_unit=True).returncode == 0
    assert (tls / "rustfs_cert.pem").read_text() == renewed
    assert (tls / "rustfs_key.pem").stat().st_ino == before["rustfs_key.pem"]
    result = node.run_exec(publish, env_from_unit=True)
    assert result.returncode == 0, result.stderr
    [(_, _, opts)] = [c for c in node.calls() if c[1] == "put-metric-data"]
    assert int(opts["--value"]) in (699, 700) and opts["--unit"] == "Count"
    assert opts["--dimensions"] == f"ClusterId={node.boot['BOOT_CLUSTER_ID']}"


def test_the_published_metric_is_the_one_the_stack_alarms_on(node):
    for line in unit_lines(node.unit("rustfs-tls-refresh.service"), "ExecStart"):
        assert node.run_exec(line, env_from_unit=True).returncode == 0
    [(_, _, opts)] = [c for c in node.calls() if c[1] == "put-metric-data"]
    published = (opts["--namespace"], opts["--metric-name"], dict([opts["--dimensions"].split("=", 1)]))
    alarmed = [(a.inputs.get("namespace"), a.inputs.get("metricName"), a.inputs.get("dimensions"))
               for a in recording().of_type("aws:cloudwatch/metricAlarm:MetricAlarm")]
    assert published in alarmed, f"nothing alarms on {published}"


def test_the_timer_runs_every_six_hours_and_rustfs_reloads_tls_itself(node):
    timer = node.unit("rustfs-tls-refresh.timer")
    assert unit_lines(timer, "OnUnitActiveSec") == ["6h"] and unit_lines(timer, "OnBootSec")
    assert any("rustfs-tls-refresh.timer" in cmd for cmd in node.node.runcmd if cmd[:2] == ["systemctl", "enable"])
    rustfs_env = env_file(node.node.files["/etc/default/rustfs"].content)
    assert rustfs_env["RUSTFS_TLS_RELOAD_ENABLE"] == "true", "a refreshed certificate would need a restart"
