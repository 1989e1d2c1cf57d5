"""The bootstrap speaks RustFS's configuration language: names, value formats, TLS files, health paths.

Facts come from tests/data/rustfs_settings.json (read from RustFS's sources, each with its path and commit);
what is checked is the real user data the dev (and prod) stack renders, plus the files node-bootstrap writes
when run as rendered (credentials, TLS directory) and the load balancer's health checks.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shlex
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from user_data import decode_user_data, env_file

from components.bootstrap.render import UserDataParams, rustfs_environment
from preflight.runner import run_stack

FACTS = json.loads((Path(__file__).parent / "data" / "rustfs_settings.json").read_text())
SETTINGS = FACTS["env"]
OWNER = pwd.getpwuid(os.getuid()).pw_name
UNIT = "/etc/systemd/system/rustfs.service"
BOOTSTRAP = "/usr/local/lib/rustfs/node-bootstrap"


# --- RustFS's grammar, as its sources define it (tests/data/rustfs_settings.json "volumes") ------------------

ELLIPSES = re.compile(r"(.*)(\{[0-9A-Fa-f]*\.\.\.[0-9A-Fa-f]*\})(.*)", re.S)  # crates/utils/src/string.rs
MAX_RANGE = 10_000


def expand_range(braces: str) -> list[str]:
    start, end = braces[1:-1].split("...")
    hexa = bool(re.search(r"[a-fA-F]", start + end))
    lo, hi = int(start, 16 if hexa else 10), int(end, 16 if hexa else 10)
    if lo > hi or hi - lo + 1 > MAX_RANGE:
        raise ValueError(f"bad range {braces}")
    if hexa:
        spec = f"0{len(end)}{'X' if re.search('[A-F]', start + end) else 'x'}"
        return [format(i, spec) for i in range(lo, hi + 1)]
    width = len(end) if start.startswith("0") and len(start) > 1 else 0
    return [str(i).zfill(width) for i in range(lo, hi + 1)]


def expand_volumes(arg: str) -> list[str]:
    """One RUSTFS_VOLUMES argument -> its endpoints; several {a...b} multiply (rightmost varies fastest)."""
    match = ELLIPSES.fullmatch(arg)
    if not match:
        if "{" in arg or "}" in arg:
            raise ValueError(f"braces outside a {{N...M}} range in {arg!r}")
        return [arg]
    prefix, braces, suffix = match.groups()
    if "{" in suffix or "}" in suffix:
        raise ValueError(f"braces outside a {{N...M}} range in {arg!r}")
    return [p + value + suffix for p in expand_volumes(prefix) for value in expand_range(braces)]


def check_endpoints(endpoints: list[str]) -> list[str]:
    """Problems RustFS reports for these endpoints (crates/ecstore/src/layout/endpoint.rs, endpoints.rs)."""
    problems = []
    schemes = {urlsplit(e).scheme for e in endpoints}
    if len(schemes) > 1:
        problems.append(f"mixed schemes {schemes}")
    if len(set(endpoints)) != len(endpoints):
        problems.append("duplicate endpoints")
    for e in endpoints:
        u = urlsplit(e)
        if u.scheme not in FACTS["volumes"]["url_schemes"] or not u.hostname:
            problems.append(f"{e}: not an http(s) URL endpoint")
        if u.username or u.password or u.query or u.fragment:
            problems.append(f"{e}: user info, query or fragment")
        if u.path in ("", "/"):
            problems.append(f"{e}: empty or root path")
    return problems


# --- the rendered dev node -----------------------------------------------------------------------------------

@dataclass
class RenderedNode:
    name: str
    files: dict[str, str]
    rustfs_env: dict[str, str]
    unit: str


def unit_values(unit: str, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith(f"{key}=")]


@cache
def rendered(stack: str) -> tuple[list[RenderedNode], object]:
    r = run_stack(stack)
    nodes = []
    for lt in r.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        cloud = yaml.safe_load(decode_user_data(lt.inputs["userData"]))
        files = {f["path"]: f["content"] for f in cloud["write_files"]}
        [spec] = [t for t in lt.inputs["tagSpecifications"] if t["resourceType"] == "instance"]
        nodes.append(RenderedNode(spec["tags"]["rustfs:node-name"], files, env_file(files["/etc/default/rustfs"]),
                                  files[UNIT]))
    return sorted(nodes, key=lambda n: n.name), r


def dev_nodes() -> list[RenderedNode]:
    return rendered("dev")[0]


def run_secret_steps(node: RenderedNode, tmp_path: Path) -> Path:
    """node-bootstrap as rendered, steps write_credentials + write_tls, with an aws shim serving the secrets."""
    tmp_path.mkdir(parents=True)
    script = tmp_path / "node-bootstrap"
    script.write_text(node.files[BOOTSTRAP])
    script.chmod(0o755)
    secret = json.dumps({"accessKey": "AKIAFAKENODEACCESS", "secretKey": "fake-secret-key-0123456789",
                         "certificate": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----",
                         "privateKey": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----",
                         "caCertificate": "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----"})
    shim = tmp_path / "bin" / "aws"
    shim.parent.mkdir()
    shim.write_text(f"#!/bin/sh\ncat <<'EOF'\n{secret}\nEOF\n")
    shim.chmod(0o755)
    etc = tmp_path / "etc"
    etc.mkdir()
    boot = env_file(node.files["/etc/rustfs/bootstrap.env"])
    env = {**os.environ, **boot, "PATH": f"{shim.parent}:{os.environ['PATH']}", "BOOT_CONFIG_DIR": str(etc),
           "BOOT_TLS_DIR": str(etc / "tls"), "BOOT_SERVICE_USER": OWNER}
    result = subprocess.run([str(script), "write_credentials", "write_tls"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return etc


# === tests ====================================================================================================

def test_facts_name_their_source_and_a_verified_commit():
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", FACTS["verified_on"])
    assert re.fullmatch(r"[0-9a-f]{40}", FACTS["source"]["read_at"]["commit"])
    for name, fact in SETTINGS.items():
        assert name.startswith("RUSTFS_") and fact["source"] and fact["format"], name
    releases = json.loads((Path(__file__).parent.parent / "components/bootstrap/releases.json").read_text())
    assert FACTS["pinned_release"] == releases["default_version"], "re-verify the facts for the new release"


@pytest.mark.parametrize("arg, endpoints", [
    ("http://n{1...3}:9000/d", ["http://n1:9000/d", "http://n2:9000/d", "http://n3:9000/d"]),
    ("/data/rustfs{0...1}", ["/data/rustfs0", "/data/rustfs1"]),
    ("http://h{1...2}/d{01...10}", [f"http://h{h}/d{d:02}" for h in (1, 2) for d in range(1, 11)]),
    ("/d{a...c}", ["/d" + c for c in "abc"]),
])
def test_volume_range_grammar(arg, endpoints):
    assert expand_volumes(arg) == endpoints


@pytest.mark.parametrize("arg", ["/d{3...1}", "/d{1..3}x{", "/d{0...10000}"])
def test_volume_range_grammar_refuses_what_rustfs_refuses(arg):
    with pytest.raises(ValueError):
        expand_volumes(arg)


def test_every_rustfs_variable_the_node_sets_is_a_real_setting(tmp_path):
    for node in dev_nodes():
        names = set(node.rustfs_env)
        for value in unit_values(node.unit, "Environment"):
            names |= set(env_file(value))
        credentials = env_file((run_secret_steps(node, tmp_path / node.name.split(".")[0]) / "credentials")
                               .read_text())
        names |= set(credentials)
        assert names <= set(SETTINGS), f"{node.name}: RustFS does not read {sorted(names - set(SETTINGS))}"
        assert {"RUSTFS_ACCESS_KEY", "RUSTFS_SECRET_KEY"} <= set(credentials)


def test_rustfs_reads_only_the_environment_files_meant_for_it():
    for node in dev_nodes():
        files = unit_values(node.unit, "EnvironmentFile")
        assert files == ["/etc/default/rustfs", "/etc/rustfs/credentials"], files
        # bootstrap.env holds our own RUSTFS_MOUNT_ROOT: never handed to the server.
        assert "/etc/rustfs/bootstrap.env" not in files


def test_volumes_expand_to_every_drive_of_every_node_in_rustfs_grammar():
    nodes, r = rendered("dev")
    drives = {n.name: unit_values(n.unit, "RequiresMountsFor")[0].split() for n in nodes}
    for node in nodes:
        env = node.rustfs_env
        endpoints = [e for arg in env["RUSTFS_VOLUMES"].split(" ") for e in expand_volumes(arg)]
        assert not check_endpoints(endpoints), check_endpoints(endpoints)
        port = int(env["RUSTFS_ADDRESS"].rsplit(":", 1)[1])
        assert {urlsplit(e).port for e in endpoints} == {port}, "peers are called on RUSTFS_ADDRESS's port"
        layout = {(urlsplit(e).hostname, urlsplit(e).path) for e in endpoints}
        assert layout == {(n, d) for n, paths in drives.items() for d in paths}
        assert len(endpoints) == len(layout)


def test_volume_scheme_matches_tls():
    for node in dev_nodes():
        env = node.rustfs_env
        schemes = {urlsplit(e).scheme for arg in env["RUSTFS_VOLUMES"].split() for e in expand_volumes(arg)}
        assert schemes == {"https" if "RUSTFS_TLS_PATH" in env else "http"}, "internode calls use this scheme"


def test_listen_addresses_and_booleans_are_in_rustfs_form():
    nodes, r = rendered("dev")
    target_ports = {int(tg.inputs["port"]) for tg in r.of_type("aws:lb/targetGroup:TargetGroup")}
    for node in nodes:
        env = node.rustfs_env
        for key in ("RUSTFS_ADDRESS", "RUSTFS_CONSOLE_ADDRESS"):
            assert re.fullmatch(r"[A-Za-z0-9.\-\[\]:]*:\d{1,5}", env[key]), (key, env[key])
        for key, value in env.items():
            if SETTINGS[key]["format"] == "clap_bool":
                assert value in FACTS["booleans"]["clap_bool"], (key, value)
        ports = {int(env["RUSTFS_ADDRESS"].rsplit(":", 1)[1])}
        if env["RUSTFS_CONSOLE_ENABLE"] == "true":
            ports.add(int(env["RUSTFS_CONSOLE_ADDRESS"].rsplit(":", 1)[1]))
        assert target_ports <= ports, "a target group sends traffic to a port RustFS does not listen on"
        assert env["RUSTFS_REGION"] == r.settings.region


def test_tls_directory_holds_exactly_the_files_rustfs_loads(tmp_path):
    tls = FACTS["tls"]
    for node in dev_nodes():
        etc = run_secret_steps(node, tmp_path / node.name.split(".")[0])
        boot = env_file(node.files["/etc/rustfs/bootstrap.env"])
        assert node.rustfs_env["RUSTFS_TLS_PATH"] == boot["BOOT_TLS_DIR"], "rustfs reads TLS where bootstrap writes"
        written = {p.name for p in (etc / "tls").iterdir()}
        assert {tls["server_certificate"], tls["server_private_key"]} <= written
        assert written <= {tls["server_certificate"], tls["server_private_key"], *tls["trusted_ca_files"]}, written


def test_log_directory_is_the_one_systemd_lets_rustfs_write():
    for node in dev_nodes():
        logs = unit_values(node.unit, "LogsDirectory")
        assert node.rustfs_env["RUSTFS_OBS_LOG_DIRECTORY"] in [f"/var/log/{d}" for d in logs], \
            "ProtectSystem=strict leaves /var/log read-only except LogsDirectory="


def test_otlp_endpoint_is_an_http_base_url_rustfs_appends_signal_paths_to():
    [node] = dev_nodes()[:1]
    boot = env_file(node.files["/etc/rustfs/bootstrap.env"])
    params = UserDataParams(
        cluster_id=boot["BOOT_CLUSTER_ID"], node_index=1, node_name=node.name,
        hosted_zone_id=boot["BOOT_HOSTED_ZONE_ID"], volumes=node.rustfs_env["RUSTFS_VOLUMES"],
        drives_per_node=int(boot["BOOT_DRIVES"]), rustfs_version=boot["BOOT_RUSTFS_VERSION"], arch="x86_64",
        credentials_secret_arn=boot["BOOT_CREDENTIALS_SECRET_ARN"], tls_secret_arn=None,
        region=boot["BOOT_REGION"], otlp_endpoint="http://127.0.0.1:4318")
    value = env_file(rustfs_environment(params))["RUSTFS_OBS_ENDPOINT"]
    u = urlsplit(value)
    assert u.scheme in ("http", "https") and u.hostname
    assert not any(u.path.rstrip("/").endswith(p) for p in FACTS["observability"]["signal_paths"])
    assert u.port != 4317, "4317 is OTLP/gRPC; RustFS speaks OTLP/HTTP"


def test_load_balancer_health_checks_use_rustfs_health_paths():
    health = FACTS["health"]
    nodes, r = rendered("dev")
    env = nodes[0].rustfs_env
    s3_port = int(env["RUSTFS_ADDRESS"].rsplit(":", 1)[1])
    console_port = int(env["RUSTFS_CONSOLE_ADDRESS"].rsplit(":", 1)[1])
    for tg in r.of_type("aws:lb/targetGroup:TargetGroup"):
        check = tg.inputs["healthCheck"]
        port = int(tg.inputs["port"]) if check["port"] == "traffic-port" else int(check["port"])
        allowed = health["s3_port_readiness"] if port == s3_port else health["console_port"]
        assert port in (s3_port, console_port)
        assert check["path"] in allowed, (tg.name, check["path"])
        assert check["protocol"] == ("HTTPS" if "RUSTFS_TLS_PATH" in env else "HTTP")
        assert str(check["matcher"]) == str(health["readiness_statuses"]["ready"])
    assert "RUSTFS_HEALTH_ENDPOINT_ENABLE" not in env or env["RUSTFS_HEALTH_ENDPOINT_ENABLE"] == "true"


def test_the_unit_starts_the_server_the_way_rustfs_expects():
    for node in dev_nodes():
        [start] = unit_values(node.unit, "ExecStart")
        assert shlex.split(start)[1:] in ([], ["server"]), "no arguments: rustfs server with RUSTFS_VOLUMES"
        assert unit_values(node.unit, "Type") == ["notify"] and FACTS["service"]["notifies_systemd_ready"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_server_domains_take_effect(stack):
    nodes = rendered(stack)[0]
    # dev runs the console, so it gets no server domains (RustFS would ignore them); prod serves
    # virtual-hosted-style buckets under s3.<domain>.
    assert {"RUSTFS_SERVER_DOMAINS" in n.rustfs_env for n in nodes} == {stack == "prod"}
    for node in nodes:
        env = node.rustfs_env
        if "RUSTFS_SERVER_DOMAINS" in env:
            domains = env["RUSTFS_SERVER_DOMAINS"].split(",")
            assert all(re.fullmatch(r"[a-z0-9.-]+(:\d{1,5})?", d) for d in domains), domains
            assert env.get("RUSTFS_CONSOLE_ENABLE", SETTINGS["RUSTFS_CONSOLE_ENABLE"]["default"]) == "false", \
                "RUSTFS_SERVER_DOMAINS is ignored while the console is enabled"
