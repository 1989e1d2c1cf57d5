"""node-bootstrap steps that need no AWS: pinned-binary install (SHA-256) and secret files.

`curl` and `aws` are shims on PATH: curl serves a locally built release zip and records that it was
called; aws prints a secret JSON like `secretsmanager get-secret-value --query SecretString` does.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import subprocess
import zipfile
from pathlib import Path

import pytest

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

        def run(self, *steps: str, **overrides: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [str(NODE_BOOTSTRAP), *steps], capture_output=True, text=True, env={**env, **overrides}
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
