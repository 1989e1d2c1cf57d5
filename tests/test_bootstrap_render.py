"""render_user_data: valid cloud-config, exact embedded scripts, no secrets, EC2 size limit, valid units."""

from __future__ import annotations

import ast
import base64
import dataclasses
import gzip
import json
import py_compile
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from shell_lexer import shell_commands

from rustfs_aws.cluster.bootstrap.comments import strip_comments
from rustfs_aws.cluster.bootstrap.render import (
    EC2_USER_DATA_LIMIT,
    UserDataParams,
    load_releases,
    render_unit,
    render_user_data,
    render_user_data_base64,
)

BOOTSTRAP = Path(__file__).resolve().parent.parent / "components" / "cluster" / "bootstrap"
VOLUMES = "http://rustfs-{0...5}.prod.rustfs.internal:9000/data/rustfs{0...3}"
CRED_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rustfs/prod/root-credentials-AbCdEf"
TLS_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rustfs/prod/tls-GhIjKl"
SHELL_SCRIPTS = ("node-bootstrap", "map-volumes", "prepare-disks")


def params(**overrides) -> UserDataParams:
    base = dict(
        cluster_id="prod",
        node_index=2,
        node_name="rustfs-2.prod.rustfs.internal",
        hosted_zone_id="Z0123456789ABCDEFGHIJ",
        volumes=VOLUMES,
        drives_per_node=4,
        rustfs_version="1.0.1",
        arch="x86_64",
        credentials_secret_arn=CRED_ARN,
        tls_secret_arn=TLS_ARN,
        region="eu-west-1",
        server_domains=("s3.example.com", "s3.prod.rustfs.internal:9000"),
        console_enabled=True,
        otlp_endpoint="http://127.0.0.1:4318",
    )
    base.update(overrides)
    return UserDataParams(**base)


def cloud_config(p: UserDataParams) -> dict:
    text = render_user_data(p)
    assert text.startswith("#cloud-config\n")
    return yaml.safe_load(text)


def files_of(p: UserDataParams) -> dict[str, dict]:
    return {f["path"]: f for f in cloud_config(p)["write_files"]}


def env_file(content: str) -> dict[str, str]:
    return dict(re.fullmatch(r'([A-Z_]+)="([^"]*)"', line).groups() for line in content.splitlines())


def test_user_data_is_cloud_config_with_packages_files_and_start():
    config = cloud_config(params())
    assert {"chrony", "xfsprogs", "nvme-cli"} <= set(config["packages"])
    assert config["fqdn"] == "rustfs-2.prod.rustfs.internal"
    assert ["systemctl", "start", "--no-block", "rustfs.service"] in config["runcmd"]
    enable = next(cmd for cmd in config["runcmd"] if cmd[:2] == ["systemctl", "enable"])
    assert {"rustfs-bootstrap.service", "rustfs.service"} <= set(enable)


def test_scripts_are_embedded_without_their_comment_lines_and_executable():
    files = files_of(params())
    for name in (*SHELL_SCRIPTS, "takeover.py"):
        entry, source = files[f"/usr/local/lib/rustfs/{name}"], (BOOTSTRAP / name).read_text()
        assert entry["content"] == strip_comments(source)
        assert entry["permissions"] == "0755"
        embedded = entry["content"].splitlines()
        assert embedded[0] == source.splitlines()[0], "the shebang stays"
        assert len(embedded) < len(source.splitlines())
        assert [line for line in source.splitlines() if "# shellcheck " in line] == [
            line for line in embedded if "# shellcheck " in line], "shellcheck directives stay"


def test_stripping_removes_only_comments():
    """Shell: the lexer sees the same commands with the same words (a "#" line inside a quoted string is a word's
    content, and would differ); Python: the same syntax tree."""
    for name in SHELL_SCRIPTS:
        source = (BOOTSTRAP / name).read_text()
        assert [w for _, w in shell_commands(strip_comments(source))] == [w for _, w in shell_commands(source)], name
    source = (BOOTSTRAP / "takeover.py").read_text()
    assert ast.dump(ast.parse(strip_comments(source))) == ast.dump(ast.parse(source))
    quoted = "#!/usr/bin/env bash\npython3 -c '\n# not a comment: part of the program\nprint(1)\n'\n"
    assert shell_commands(strip_comments(quoted)) != shell_commands(quoted), "the check would see such a line"


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_every_embedded_shell_script_passes_shellcheck(tmp_path):
    files = files_of(params())
    scripts = []
    for path, entry in files.items():
        if entry["content"].startswith("#!/usr/bin/env bash"):
            script = tmp_path / Path(path).name
            script.write_text(entry["content"])
            scripts.append(script)
    assert len(scripts) == len(SHELL_SCRIPTS)
    env = tmp_path / "bootstrap.env"
    env.write_text("# shellcheck shell=bash disable=SC2034\n" + files["/etc/rustfs/bootstrap.env"]["content"])
    result = subprocess.run(["shellcheck", *map(str, scripts), str(env)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_embedded_takeover_compiles(tmp_path):
    script = tmp_path / "takeover.py"
    script.write_text(files_of(params())["/usr/local/lib/rustfs/takeover.py"]["content"])
    py_compile.compile(str(script), doraise=True)


def test_rustfs_environment_carries_volumes_exactly_and_the_settings():
    env = env_file(files_of(params())["/etc/default/rustfs"]["content"])
    assert env["RUSTFS_VOLUMES"] == VOLUMES
    assert env["RUSTFS_ADDRESS"] == ":9000"
    assert env["RUSTFS_CONSOLE_ENABLE"] == "true" and env["RUSTFS_CONSOLE_ADDRESS"] == ":9001"
    assert env["RUSTFS_TLS_PATH"] == "/etc/rustfs/tls"
    assert env["RUSTFS_REGION"] == "eu-west-1"
    assert env["RUSTFS_SERVER_DOMAINS"] == "s3.example.com,s3.prod.rustfs.internal:9000"
    assert env["RUSTFS_OBS_ENDPOINT"] == "http://127.0.0.1:4318"
    assert not any(k.startswith(("RUSTFS_ACCESS_KEY", "RUSTFS_SECRET_KEY", "RUSTFS_ROOT_")) for k in env)


def test_optional_settings_are_omitted_when_unset():
    p = params(tls_secret_arn=None, server_domains=(), otlp_endpoint=None, console_enabled=False)
    env = env_file(files_of(p)["/etc/default/rustfs"]["content"])
    assert env["RUSTFS_CONSOLE_ENABLE"] == "false"
    assert not {"RUSTFS_TLS_PATH", "RUSTFS_SERVER_DOMAINS", "RUSTFS_OBS_ENDPOINT"} & set(env)
    boot = files_of(p)["/etc/rustfs/bootstrap.env"]["content"]
    assert "BOOT_TLS_SECRET_ARN=''" in boot


def test_bootstrap_env_pins_the_release_asset_and_checksum():
    boot = files_of(params(arch="aarch64"))["/etc/rustfs/bootstrap.env"]["content"]
    release = load_releases()["releases"]["1.0.1"]["aarch64"]
    assert (
        "BOOT_ASSET_URL=https://github.com/rustfs/rustfs/releases/download/1.0.1/"
        "rustfs-linux-aarch64-musl-v1.0.1.zip"
    ) in boot
    assert f"BOOT_ASSET_SHA256={release['sha256']}" in boot
    assert f"BOOT_CREDENTIALS_SECRET_ARN={CRED_ARN}" in boot
    assert "BOOT_DRIVES=4" in boot and "RUSTFS_MOUNT_ROOT=/data" in boot


SECRET_PATTERNS = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "RustFS default credential": re.compile(r"(KEY|USER|PASSWORD)\W{0,3}rustfsadmin"),
    "credential assignment": re.compile(r"RUSTFS_(ACCESS|SECRET)_KEY=[\"']?[A-Za-z0-9/+]{3,}"),
    "40-char secret-looking token": re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),
}


@pytest.mark.parametrize("name", SECRET_PATTERNS)
def test_user_data_contains_no_secret_like_strings(name):
    text = render_user_data(params())
    assert not SECRET_PATTERNS[name].search(text), SECRET_PATTERNS[name].search(text)


def test_secret_pattern_check_would_catch_a_leak():
    leaked = "RUSTFS_SECRET_KEY=Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0h\n"
    assert SECRET_PATTERNS["credential assignment"].search(leaked)
    assert SECRET_PATTERNS["40-char secret-looking token"].search(leaked)


def test_params_have_no_field_for_secret_values():
    names = {f.name for f in dataclasses.fields(UserDataParams)}
    assert not {n for n in names if re.search(r"(password|secret_key|access_key|private_key|cert_pem)", n)}


@pytest.mark.parametrize("drives", [1, 4, 16])
def test_base64_user_data_fits_ec2_limit_and_decodes_to_the_text(drives):
    p = params(drives_per_node=drives)
    raw = base64.b64decode(render_user_data_base64(p))
    assert len(raw) <= EC2_USER_DATA_LIMIT
    text = gzip.decompress(raw).decode() if raw[:2] == b"\x1f\x8b" else raw.decode()
    assert text == render_user_data(p)
    assert yaml.safe_load(text)["write_files"]


def test_rendering_is_deterministic():
    assert render_user_data_base64(params()) == render_user_data_base64(params())


def unit_settings(text: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def test_unit_is_hardened_notify_service_with_a_path_per_drive():
    unit = unit_settings(render_unit(params(drives_per_node=3)))
    assert unit["Type"] == ["notify"]
    assert unit["User"] == ["rustfs"]
    assert "/etc/default/rustfs" in unit["EnvironmentFile"]
    assert unit["LimitNOFILE"] == ["1048576"]
    assert unit["Restart"] == ["always"]
    assert unit["NoNewPrivileges"] == ["true"] and unit["ProtectSystem"] == ["strict"]
    assert int(unit["TimeoutStartSec"][0].rstrip("s")) >= 300
    paths = "/data/rustfs0 /data/rustfs1 /data/rustfs2"
    assert unit["ReadWritePaths"] == [paths]
    assert unit["RequiresMountsFor"] == [paths]
    assert unit["Requires"] == ["rustfs-bootstrap.service"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_units_pass_systemd_analyze_verify(tmp_path):
    root = tmp_path / "root"
    system_units = Path("/usr/lib/systemd/system")
    if not (system_units / "sysinit.target").exists():
        pytest.skip("host has no systemd unit directory to verify against")
    shutil.copytree(system_units, root / "usr/lib/systemd/system", symlinks=True)
    for executable in ("usr/local/bin/rustfs", "usr/local/lib/rustfs/node-bootstrap"):
        stub = root / executable
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("#!/bin/sh\n")
        stub.chmod(0o755)
    unit_dir = root / "etc/systemd/system"
    unit_dir.mkdir(parents=True)
    for path, entry in files_of(params()).items():
        if path.startswith("/etc/systemd/system/"):
            (unit_dir / Path(path).name).write_text(entry["content"])

    units = sorted(p.name for p in unit_dir.iterdir())
    assert "rustfs-report-unhealthy.service" in units
    result = subprocess.run(["systemd-analyze", "verify", f"--root={root}", *units], capture_output=True, text=True)

    assert result.returncode == 0 and result.stderr == "" and result.stdout == "", result.stderr
    # verify accepts an OnFailure= naming no unit at all: every unit it names must be one the user data writes.
    for unit in units:
        for target in " ".join(unit_settings((unit_dir / unit).read_text()).get("OnFailure", [])).split():
            assert target in units, f"{unit}: OnFailure={target} is not written"
    boot = unit_settings((unit_dir / "rustfs-bootstrap.service").read_text())
    assert boot["OnFailure"] == ["rustfs-report-unhealthy.service"]
    report = unit_settings((unit_dir / "rustfs-report-unhealthy.service").read_text())
    assert report["ExecStart"] == ["/usr/local/lib/rustfs/node-bootstrap report_unhealthy"]
    assert report["EnvironmentFile"] == boot["EnvironmentFile"]
    assert "[Install]" not in (unit_dir / "rustfs-report-unhealthy.service").read_text(), "started by a failure only"


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(node_name="Rustfs_2"), "node_name"),
        (dict(volumes='http://x:9000/data/rustfs{0...3}"; reboot'), "volumes"),
        (dict(volumes="http://rustfs-{0...3}:9000/mnt/disk{0...3}"), "drive paths"),
        (dict(rustfs_version="9.9.9"), "no checksums"),
        (dict(arch="riscv64"), "arch"),
        (dict(credentials_secret_arn="rustfs/prod/root-credentials"), "credentials_secret_arn"),
        (dict(tls_secret_arn="arn:aws:s3:::bucket"), "tls_secret_arn"),
        (dict(drives_per_node=22), "drives_per_node"),
        (dict(mount_root="data"), "mount_root"),
        (dict(otlp_endpoint="http://x:4318/$(id)"), "otlp_endpoint"),
        (dict(server_domains=("S3.EXAMPLE.COM\nRUSTFS_X=1",)), "server_domains"),
    ],
)
def test_invalid_params_are_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        params(**overrides)


def test_every_release_entry_is_well_formed():
    releases = load_releases()
    assert releases["default_version"] in releases["releases"]
    for version, entry in releases["releases"].items():
        assert entry["source"]
        for arch in ("x86_64", "aarch64"):
            assert entry[arch]["asset"] == f"rustfs-linux-{arch}-musl-v{version}.zip"
            assert re.fullmatch(r"[0-9a-f]{64}", entry[arch]["sha256"])
    hashes = [e[a]["sha256"] for e in releases["releases"].values() for a in ("x86_64", "aarch64")]
    assert len(set(hashes)) == len(hashes)
    json.dumps(releases)
