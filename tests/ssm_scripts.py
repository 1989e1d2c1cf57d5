"""Running the Run Command documents' shell steps here, as SSM Agent runs them: parameters substituted as Run
Command does, ``sh -c <script>``, a fake ``systemctl``, and every node of the dev cluster answered by one local
health server (tests/test_operations.py: restarts, tests/test_patching.py: patching)."""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from dev_node import world

SHELLCHECK = shutil.which("shellcheck") or str(Path("venv/bin/shellcheck").resolve())
_REFERENCE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


# rpm -q as the install steps use it (components/install_steps.py), over the package list a fake dnf writes to
# $FAKE_RPMDB; every call is logged to $FAKE_LOG.
FAKE_RPM = r"""#!/bin/bash
echo "rpm $*" >> "$FAKE_LOG"
[ "$1" = -q ] && [ $# = 2 ] || { echo "fake rpm: unexpected $*" >&2; exit 64; }
grep -qxF "$2" "$FAKE_RPMDB" 2>/dev/null && { echo "$2"; exit 0; }
echo "package $2 is not installed"; exit 1
"""


class InvalidParameters(Exception):
    """SendCommand refuses a parameter value outside the document's allowedValues / allowedPattern."""


def rendered(content: dict, step: str | None = None, **given: str) -> str:
    """A shell step's script as the agent writes it (``step``: its name; default the document's one step): Run
    Command substitutes {{ Name }} with the parameter's value, after checking it against the declaration
    (SendCommand: InvalidParameters otherwise)."""
    declared = content["parameters"]
    unknown = set(given) - set(declared)
    if unknown:
        raise InvalidParameters(f"undeclared parameters {sorted(unknown)}")

    def value(match: re.Match) -> str:
        spec = declared[match.group(1)]
        text = given.get(match.group(1), spec.get("default"))
        if text is None:
            raise InvalidParameters(f"{match.group(1)} is required")
        if "allowedValues" in spec and text not in spec["allowedValues"]:
            raise InvalidParameters(f"{match.group(1)}={text!r} not in {spec['allowedValues']}")
        if "allowedPattern" in spec and not re.search(spec["allowedPattern"], text):
            raise InvalidParameters(f"{match.group(1)}={text!r} does not match {spec['allowedPattern']}")
        return text

    if step is None:
        [chosen] = content["mainSteps"]
    else:
        [chosen] = [s for s in content["mainSteps"] if s["name"] == step]
    return _REFERENCE.sub(value, "\n".join(chosen["inputs"]["runCommand"])) + "\n"


def shellcheck(tmp_path: Path, label: str, text: str) -> str:
    path = tmp_path / f"{label}.sh"
    path.write_text(text)
    result = subprocess.run([SHELLCHECK, "--severity=style", str(path)], capture_output=True, text=True)
    return result.stdout if result.returncode else ""


FAKE_SYSTEMCTL = """#!/bin/bash
# systemctl as the restart scripts use it: start/stop/restart change the unit's state, is-active reads it.
echo "$*" >> "$FAKE_SYSTEMCTL_LOG"
case "$1" in
    start|restart) echo active > "$FAKE_UNIT_STATE" ;;
    stop) [ "${FAKE_STOP_IGNORED:-0}" = 1 ] || echo inactive > "$FAKE_UNIT_STATE" ;;
    is-active) [ "$(cat "$FAKE_UNIT_STATE")" = active ] ;;
    status) echo "* rustfs.service - RustFS (fake)"; echo "   Active: $(cat "$FAKE_UNIT_STATE")" ;;
    *) echo "fake systemctl: unexpected $*" >&2; exit 64 ;;
esac
"""


class HealthServer:
    """Every node of the dev cluster on 127.0.0.1, told apart by the Host header. The node under test (dev node 1)
    answers ``codes`` in turn on /health/ready, then the last one for ever, and ``cluster`` on
    /minio/health/cluster (RustFS: write quorum of every set); another node answers ``peers[its name]`` on
    /health/ready (each list likewise; default 200 for ever)."""

    def __init__(self, codes: list[int], tls: ssl.SSLContext | None = None, *, cluster: list[int] = (200,),
                 peers: dict[str, list[int]] | None = None):
        self.codes, self.requests = list(codes), []
        self.node = world("dev").nodes[0].name
        answers = {(self.node, "/health/ready"): self.codes, (self.node, "/minio/health/cluster"): list(cluster),
                   **{(host, "/health/ready"): list(c) for host, c in (peers or {}).items()}}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
                server.requests.append((self.path, self.headers.get("Host")))
                default = [200] if host != server.node and self.path == "/health/ready" else [404]
                codes = answers.setdefault((host, self.path), default)
                code = codes.pop(0) if len(codes) > 1 else codes[0]
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def node_files(tmp_path: Path, port: int, tls_dir: Path | None) -> dict[str, str]:
    """The env files of dev node 1 as its user data writes them, with RustFS's port moved to the test server's
    and its TLS directory moved into tmp_path."""
    node = world("dev").nodes[0]
    rustfs_env = node.files["/etc/default/rustfs"].content
    assert 'RUSTFS_ADDRESS=":9000"' in rustfs_env and 'RUSTFS_TLS_PATH="/etc/rustfs/tls"' in rustfs_env
    rustfs_env = rustfs_env.replace('RUSTFS_ADDRESS=":9000"', f'RUSTFS_ADDRESS=":{port}"')
    assert ".internal:9000/" in rustfs_env  # every node's port in RUSTFS_VOLUMES: the test server's too
    rustfs_env = rustfs_env.replace(".internal:9000/", f".internal:{port}/")
    if tls_dir is None:
        rustfs_env = "".join(line + "\n" for line in rustfs_env.splitlines() if "RUSTFS_TLS_PATH" not in line)
    else:
        rustfs_env = rustfs_env.replace('RUSTFS_TLS_PATH="/etc/rustfs/tls"', f'RUSTFS_TLS_PATH="{tls_dir}"')
    (tmp_path / "rustfs.env").write_text(rustfs_env)
    (tmp_path / "bootstrap.env").write_text(node.files["/etc/rustfs/bootstrap.env"].content)
    return {"RUSTFS_ENV_FILE": str(tmp_path / "rustfs.env"), "RUSTFS_BOOT_ENV_FILE": str(tmp_path / "bootstrap.env"),
            "node": node.name, "RUSTFS_PEER_ADDRESS": "127.0.0.1"}  # every peer's name answered by the test server


def run_script(tmp_path: Path, text: str, files: dict[str, str], state: str = "active",
               **env: str) -> tuple[subprocess.CompletedProcess, list[str], float]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "systemctl").write_text(FAKE_SYSTEMCTL)
    (bin_dir / "systemctl").chmod(0o755)
    (tmp_path / "unit-state").write_text(state + "\n")
    log = tmp_path / "systemctl.log"
    log.write_text("")
    script = tmp_path / "_script.sh"
    script.write_text(text)
    script.chmod(0o755)
    environment = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "RUSTFS_POLL_SECONDS": "0.2",
                   "FAKE_SYSTEMCTL_LOG": str(log), "FAKE_UNIT_STATE": str(tmp_path / "unit-state"),
                   "RUSTFS_ENV_FILE": files["RUSTFS_ENV_FILE"], "RUSTFS_BOOT_ENV_FILE": files["RUSTFS_BOOT_ENV_FILE"],
                   "RUSTFS_PEER_ADDRESS": files["RUSTFS_PEER_ADDRESS"], **env}
    started = time.monotonic()
    # As the agent does: `sh -c <script path>` (amazon-ssm-agent runshellscript.go).
    result = subprocess.run(["sh", "-c", str(script)], env=environment, capture_output=True, text=True, timeout=120)
    return result, log.read_text().splitlines(), time.monotonic() - started
