"""node-bootstrap steps that need no AWS: pinned-binary install (SHA-256) and secret files.

`curl` and `aws` are shims on PATH: curl serves a locally built release zip and records that it was
called; aws prints a secret JSON like `secretsmanager get-secret-value --query SecretString` does.
"""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pytest
from shell_lexer import shell_commands

NODE_BOOTSTRAP = Path(__file__).resolve().parent.parent / "components" / "cluster" / "bootstrap" / "node-bootstrap"
VERSION = "1.0.1"
OWNER = pwd.getpwuid(os.getuid()).pw_name


def release_zip(path: Path, reported_version: str) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("rustfs", f'#!/bin/sh\necho "rustfs {reported_version}"\n')
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fake_bin(tmp_path: Path, name: str, body: str) -> None:
    script = tmp_path / "bin" / name
    script.parent.mkdir(exist_ok=True)
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)


@pytest.fixture
def node(tmp_path):
    zip_path = tmp_path / "release.zip"
    calls = tmp_path / "curl-calls"
    # curl shim: "-o FILE URL" -> copy the local zip to FILE
    fake_bin(
        tmp_path,
        "curl",
        f'echo "$*" >> {calls}\nout=""\nwhile [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done\n'
        f'cp {zip_path} "$out"\n',
    )
    env = dict(
        os.environ,
        PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        BOOT_CLUSTER_ID="c1",
        BOOT_NODE_INDEX="0",
        BOOT_NODE_NAME="rustfs-0.c1.internal",
        BOOT_HOSTED_ZONE_ID="Z1",
        BOOT_DRIVES="2",
        BOOT_REGION="eu-west-1",
        BOOT_RUSTFS_VERSION=VERSION,
        BOOT_ASSET_URL=f"https://github.com/rustfs/rustfs/releases/download/{VERSION}/asset.zip",
        BOOT_ASSET_SHA256="0" * 64,
        BOOT_CREDENTIALS_SECRET_ARN="arn:aws:secretsmanager:eu-west-1:123456789012:secret:creds",
        BOOT_TLS_SECRET_ARN="arn:aws:secretsmanager:eu-west-1:123456789012:secret:tls",
        BOOT_TLS_DIR=str(tmp_path / "etc" / "tls"),
        BOOT_CONFIG_DIR=str(tmp_path / "etc"),
        BOOT_SERVICE_USER=OWNER,
        RUSTFS_MOUNT_ROOT=str(tmp_path / "data"),
        RUSTFS_BIN=str(tmp_path / "rustfs"),
    )
    (tmp_path / "etc").mkdir()

    class Node:
        root = tmp_path
        binary = tmp_path / "rustfs"
        environment = env

        def run(self, *steps: str, **overrides: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [str(NODE_BOOTSTRAP), *steps], capture_output=True, text=True, env={**env, **overrides}, timeout=120
            )

        def curl_calls(self) -> int:
            return len(calls.read_text().splitlines()) if calls.exists() else 0

        def publish(self, reported_version: str = VERSION) -> str:
            return release_zip(zip_path, reported_version)

        def secrets(self, by_arn_suffix: dict[str, dict]) -> None:
            cases = "".join(
                f"  *secret:{suffix}*) cat <<'EOF'\n{json.dumps(value)}\nEOF\n;;\n"
                for suffix, value in by_arn_suffix.items()
            )
            fake_bin(tmp_path, "aws", f'case "$*" in\n{cases}  *) exit 254 ;;\nesac\n')

    return Node()


def test_downloads_verifies_and_installs_the_pinned_binary(node):
    sha = node.publish()
    result = node.run("install_rustfs", BOOT_ASSET_SHA256=sha)
    assert result.returncode == 0, result.stderr
    assert subprocess.run([node.binary, "--version"], capture_output=True, text=True).stdout.strip() == "rustfs 1.0.1"
    assert node.curl_calls() == 1


def test_checksum_mismatch_refuses_and_installs_nothing(node):
    node.publish()
    result = node.run("install_rustfs", BOOT_ASSET_SHA256="f" * 64)
    assert result.returncode != 0
    assert "refusing" in result.stderr
    assert not node.binary.exists()


def test_baked_binary_of_the_pinned_version_skips_the_download(node):
    node.binary.write_text('#!/bin/sh\necho "rustfs 1.0.1"\n')
    node.binary.chmod(0o755)
    result = node.run("install_rustfs")  # the pinned checksum ("0"*64) would fail if it downloaded
    assert result.returncode == 0, result.stderr
    assert node.curl_calls() == 0


def test_other_baked_version_is_replaced(node):
    node.binary.write_text('#!/bin/sh\necho "rustfs 1.0.10"\n')  # prefix of neither side: exact compare
    node.binary.chmod(0o755)
    sha = node.publish()
    result = node.run("install_rustfs", BOOT_ASSET_SHA256=sha)
    assert result.returncode == 0, result.stderr
    assert node.curl_calls() == 1
    assert "rustfs 1.0.1\n" == subprocess.run([node.binary, "--version"], capture_output=True, text=True).stdout


def test_zip_with_wrong_version_inside_is_rejected(node):
    sha = node.publish(reported_version="1.0.0")
    result = node.run("install_rustfs", BOOT_ASSET_SHA256=sha)
    assert result.returncode != 0 and "is not 1.0.1" in result.stderr


def test_credentials_are_written_0600_for_the_service_user(node):
    node.secrets({"creds": {"accessKey": "AK" + "X" * 18, "secretKey": "s3cr3t" * 6, "rpcSecret": "rpc" * 12}})
    result = node.run("write_credentials")
    assert result.returncode == 0, result.stderr
    credentials = node.root / "etc" / "credentials"
    assert credentials.read_text() == (f"RUSTFS_ACCESS_KEY=AK{'X' * 18}\nRUSTFS_SECRET_KEY={'s3cr3t' * 6}\n"
                                       f"RUSTFS_RPC_SECRET={'rpc' * 12}\n")
    assert credentials.stat().st_mode & 0o777 == 0o600
    assert pwd.getpwuid(credentials.stat().st_uid).pw_name == OWNER
    assert "s3cr3t" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "secret",
    [
        {"accessKey": "rustfsadmin", "secretKey": "rustfsadmin"},
        {"accessKey": "AKXXXXXXXXXXXXXXXXXX", "secretKey": "short"},
        {"accessKey": "AKXXXXXXXXXXXXXXXXXX", "secretKey": 'with"quote-and-more'},
        {"accessKey": "AKXXXXXXXXXXXXXXXXXX", "secretKey": "s3cr3t" * 6},  # no rpcSecret: RustFS would derive one
        {"accessKey": "AKXXXXXXXXXXXXXXXXXX", "secretKey": "s3cr3t" * 6, "rpcSecret": "short"},
        {"username": "x"},
    ],
)
def test_unusable_credentials_are_refused_and_no_file_is_left(node, secret):
    node.secrets({"creds": secret})
    result = node.run("write_credentials")
    assert result.returncode != 0
    assert sorted(p.name for p in (node.root / "etc").iterdir()) == []


def test_tls_material_lands_in_the_rustfs_tls_layout(node):
    node.secrets({"tls": {"certificate": "CERT", "privateKey": "KEY", "caCertificate": "CA"}})
    result = node.run("write_tls")
    assert result.returncode == 0, result.stderr
    tls = node.root / "etc" / "tls"
    assert {p.name: p.read_text() for p in tls.iterdir()} == {
        "rustfs_cert.pem": "CERT\n",
        "rustfs_key.pem": "KEY\n",
        "ca.crt": "CA\n",
    }
    assert (tls / "rustfs_key.pem").stat().st_mode & 0o777 == 0o600
    assert tls.stat().st_mode & 0o777 == 0o700


def test_tls_step_is_skipped_without_a_tls_secret(node):
    result = node.run("write_tls", BOOT_TLS_SECRET_ARN="")
    assert result.returncode == 0 and not (node.root / "etc" / "tls").exists()


def test_unknown_step_is_an_error(node):
    result = node.run("format_everything")
    assert result.returncode == 2 and "unknown step" in result.stderr


# --- bounds and permanent errors -------------------------------------------------------------------------------------

def test_the_download_is_bounded_by_what_is_left_of_the_boot_bound(node):
    sha = node.publish()
    result = node.run("--boot", "install_rustfs", BOOT_ASSET_SHA256=sha, BOOT_READY_TIMEOUT_SECONDS="300",
                      BOOT_STATE_DIR=str(node.root / "run"))
    assert result.returncode == 0, result.stderr
    [argv] = [line.split() for line in (node.root / "curl-calls").read_text().splitlines()]
    option = {name: int(argv[argv.index(name) + 1]) for name in ("--max-time", "--retry-max-time")}
    assert 290 <= option["--retry-max-time"] <= 300 and option["--max-time"] <= option["--retry-max-time"]


def test_a_download_that_hangs_ends_at_the_boot_bound(node):
    fake_bin(node.root, "curl", "sleep 300\n")
    started = time.monotonic()
    result = node.run("--boot", "install_rustfs", BOOT_READY_TIMEOUT_SECONDS="3", BOOT_RETRY_INITIAL_SECONDS="1",
                      BOOT_STATE_DIR=str(node.root / "run"))
    assert result.returncode == 1 and time.monotonic() - started < 3 + 5, result.stderr


def test_a_checksum_mismatch_is_permanent_so_the_boot_neither_retries_nor_reports(node):
    node.publish()
    result = node.run("--boot", "install_rustfs", BOOT_ASSET_SHA256="f" * 64, BOOT_READY_TIMEOUT_SECONDS="60",
                      BOOT_STATE_DIR=str(node.root / "run"))
    assert result.returncode == 3 and "PERMANENT ERROR: SHA-256" in result.stderr
    assert node.curl_calls() == 1, "not retried: the same pinned checksum would refuse the same asset"
    assert (node.root / "run" / "boot-permanent-failure").read_text() == "install_rustfs\n"
    fake_bin(node.root, "aws", "echo called >> \"$0.calls\"; exit 1\n")
    report = node.run("report_unhealthy", BOOT_STATE_DIR=str(node.root / "run"))
    assert report.returncode == 0 and "NOT reporting Unhealthy" in report.stderr
    assert not (node.root / "bin" / "aws.calls").exists(), "no set-instance-health: a replacement would fail alike"


def test_every_aws_call_of_the_shell_scripts_is_bounded():
    """Connect and read timeouts per attempt, and `timeout` around the whole call (the CLI's retries included)."""
    for name in ("node-bootstrap", "map-volumes", "prepare-disks"):
        for line, words in shell_commands((NODE_BOOTSTRAP.parent / name).read_text()):
            if "aws" in words[:3]:
                assert words[:2] == ["timeout", "$(...)"] and words[2] == "aws", (name, line, words)
                assert {"--cli-connect-timeout", "--cli-read-timeout"} <= set(words), (name, line)


# --- TLS material: concurrent writers, ownership at rename ----------------------------------------------------------

# Records every os.replace of the writer (who, what, owner, mode, content) and holds it 0.2 s, so two writers that
# are not serialised overlap for certain.
RENAME_HOOK = '''
import json, os, time
_replace = os.replace
def replace(src, dst, *args, **kwargs):
    st = os.stat(src)
    with open(os.environ["TLS_HOOK_LOG"], "a") as log:
        log.write(json.dumps({"pid": os.getpid(), "name": os.path.basename(dst), "uid": st.st_uid,
                              "mode": st.st_mode & 0o777, "content": open(src).read()}) + "\\n")
    time.sleep(0.2)
    return _replace(src, dst, *args, **kwargs)
os.replace = replace
'''


def _service_account() -> str:
    """A user other than the test's whose primary group has its name, as `useradd --user-group rustfs` makes."""
    for user in pwd.getpwall():
        try:
            if user.pw_uid != os.getuid() and grp.getgrgid(user.pw_gid).gr_name == user.pw_name:
                return user.pw_name
        except KeyError:
            continue
    pytest.skip("no user with a same-named primary group")


def test_concurrent_tls_writers_leave_whole_files_owned_by_rustfs_and_a_matching_pair(node):
    if os.getuid() != 0:
        pytest.skip("chown to another user needs root")
    user = _service_account()
    pairs = {v: {"certificate": f"CERT-{v}\n" + "c" * 4000, "privateKey": f"KEY-{v}\n" + "k" * 4000,
                 "caCertificate": f"CA-{v}"} for v in "AB"}
    node.secrets({f"tls{v}": pair for v, pair in pairs.items()})
    hook = node.root / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(RENAME_HOOK)
    log = node.root / "renames"
    tls = node.root / "etc" / "tls"
    whole = {pair[key] + "\n" for pair in pairs.values() for key in ("certificate", "privateKey")}  # as written
    seen, stop = set(), threading.Event()

    def read_constantly():
        while not stop.is_set():
            for name in ("rustfs_cert.pem", "rustfs_key.pem"):
                try:
                    seen.add((tls / name).read_text())
                except FileNotFoundError:
                    pass

    reader = threading.Thread(target=read_constantly)
    reader.start()
    try:
        for rounds in ("AB", "BA", "AB"):
            writers = [subprocess.Popen([str(NODE_BOOTSTRAP), "write_tls"], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True,
                                        env={**node.environment, "BOOT_SERVICE_USER": user, "PYTHONPATH": str(hook),
                                             "TLS_HOOK_LOG": str(log),
                                             "BOOT_TLS_SECRET_ARN": f"arn:aws:secretsmanager:eu-west-1:123456789012:"
                                                                    f"secret:tls{v}"})
                       for v in rounds]
            results = [(w.wait(timeout=60), w.stderr.read()) for w in writers]
            assert [rc for rc, _ in results] == [0, 0], results
            cert, key = ((tls / n).read_text().split("\n", 1)[0] for n in ("rustfs_cert.pem", "rustfs_key.pem"))
            assert cert.removeprefix("CERT-") == key.removeprefix("KEY-"), "the pair on disk matches"
    finally:
        stop.set()
        reader.join()
    assert seen <= whole, "a reader saw a partial file"
    renames = [json.loads(line) for line in log.read_text().splitlines()]
    owner = pwd.getpwnam(user).pw_uid
    assert all(r["uid"] == owner and r["mode"] == 0o600 for r in renames), "owned by rustfs, 0600, before the rename"
    # One writer at a time, each renaming its CA, certificate, then key: no reload sees a new key with an old cert.
    runs = [[r for r in renames if r["pid"] == pid] for pid in dict.fromkeys(r["pid"] for r in renames)]
    assert [r for run in runs for r in run] == renames, "two writers interleaved their renames"
    for run in runs:
        order = [r["name"] for r in run]
        assert order == sorted(order, key=["ca.crt", "rustfs_cert.pem", "rustfs_key.pem"].index), order
    assert not [p.name for p in tls.iterdir() if p.name.startswith(".")], "no staged file is left behind"
