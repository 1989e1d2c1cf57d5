"""The bootstrap speaks RustFS's configuration language: names, value formats, TLS files, health paths, start-up.

Facts come from tests/data/rustfs_settings.json (read from RustFS's sources at the commit it pins, each with
the file it was read from; the test reads the file, never the network). What is checked is the real user
data the dev and prod stacks render, the files node-bootstrap writes when run as rendered (credentials, TLS
directory), the load balancer's health checks and the RUSTFS_VOLUMES examples in docs/.
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

from preflight.runner import run_stack
from rustfs_aws.cluster.bootstrap.render import UserDataParams, rustfs_environment
from rustfs_model.layout import sets_from_volumes

ROOT = Path(__file__).resolve().parent.parent
FACTS = json.loads((Path(__file__).parent / "data" / "rustfs_settings.json").read_text())
SETTINGS = FACTS["env"]
OWNER = pwd.getpwuid(os.getuid()).pw_name
UNIT = "/etc/systemd/system/rustfs.service"
BOOTSTRAP = "/usr/local/lib/rustfs/node-bootstrap"
STACKS = ("dev", "prod")


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


def split_volumes(volumes: str) -> list[str]:
    """RustFS splits on every single space and refuses an empty piece (FACTS["volumes"]["separator"])."""
    pieces = volumes.split(" ")
    if not all(pieces):
        raise ValueError(f"empty argument in {volumes!r}")
    return pieces


def expand_volumes(arg: str) -> list[str]:
    """One RUSTFS_VOLUMES argument -> its endpoints; several {a...b} multiply, the LEFTMOST varying fastest
    (crates/utils/src/string.rs ArgPattern::arg_expander; its test case 19: "{1...5} {65...70}" gives
    "1 65", "2 65", ...)."""
    match = ELLIPSES.fullmatch(arg)
    if not match:
        if "{" in arg or "}" in arg:
            raise ValueError(f"braces outside a {{N...M}} range in {arg!r}")
        return [arg]
    prefix, braces, suffix = match.groups()
    if "{" in suffix or "}" in suffix:
        raise ValueError(f"braces outside a {{N...M}} range in {arg!r}")
    return [p + value + suffix for value in expand_range(braces) for p in expand_volumes(prefix)]


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


RPC_SECRET = "fake-rpc-secret-0123456789abcdef0123456789"


def run_secret_steps(node: RenderedNode, tmp_path: Path) -> Path:
    """node-bootstrap as rendered, steps write_credentials + write_tls, with an aws shim serving the secrets."""
    tmp_path.mkdir(parents=True)
    script = tmp_path / "node-bootstrap"
    script.write_text(node.files[BOOTSTRAP])
    script.chmod(0o755)
    secret = json.dumps({"accessKey": "AKIAFAKENODEACCESS", "secretKey": "fake-secret-key-0123456789",
                         "rpcSecret": RPC_SECRET,
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

def shipped_rustfs_version(stack: str) -> str:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return config["rustfs-aws:cluster"]["rustfsVersion"]


def test_facts_name_their_source_and_a_pinned_commit():
    source = FACTS["source"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", FACTS["verified_on"])
    assert source["repo"] == "rustfs/rustfs" and re.fullmatch(r"[0-9a-f]{40}", source["commit"])
    if source["tag"] != source["pinned_tag"]:
        # Read at another tag only when the pinned one was not to be had - and then it says so.
        assert source["pinned_tag_in_snapshot"] is False
        assert source["pinned_tag"] in source["caveat"] and source["tag"] in source["caveat"]
    source_file = re.compile(r"[a-z_./-]+\.(rs|md|service|yaml)\b")
    for name, fact in SETTINGS.items():
        assert name.startswith("RUSTFS_") and fact["format"], name
        assert source_file.search(fact["source"]), f"{name}: name the file the fact was read from"
    for section in ("volumes", "tls", "health", "startup", "service"):
        assert source_file.search(FACTS[section]["source"]), section


@pytest.mark.parametrize("stack", STACKS)
def test_the_facts_are_of_the_release_the_stack_runs(stack):
    releases = json.loads((ROOT / "components/cluster/bootstrap/releases.json").read_text())
    assert FACTS["pinned_release"] == FACTS["source"]["pinned_tag"] == releases["default_version"]
    assert shipped_rustfs_version(stack) == FACTS["pinned_release"], (
        f"Pulumi.{stack}.yaml runs RustFS {shipped_rustfs_version(stack)}, the facts are of "
        f"{FACTS['pinned_release']}: re-read tests/data/rustfs_settings.json at that release's tag")


@pytest.mark.parametrize("arg, endpoints", [
    ("http://n{1...3}:9000/d", ["http://n1:9000/d", "http://n2:9000/d", "http://n3:9000/d"]),
    ("/data/rustfs{0...1}", ["/data/rustfs0", "/data/rustfs1"]),
    ("http://h{1...2}/d{01...10}", [f"http://h{h}/d{d:02}" for d in range(1, 11) for h in (1, 2)]),
    ("{1...5} {65...70}", [f"{a} {b}" for b in range(65, 71) for a in range(1, 6)]),  # string.rs case 19
    ("/d{a...c}", ["/d" + c for c in "abc"]),
])
def test_volume_range_grammar(arg, endpoints):
    assert expand_volumes(arg) == endpoints


@pytest.mark.parametrize("arg", ["/d{3...1}", "/d{1..3}x{", "/d{0...10000}"])
def test_volume_range_grammar_refuses_what_rustfs_refuses(arg):
    with pytest.raises(ValueError):
        expand_volumes(arg)


@pytest.mark.parametrize("volumes", ["/a{0...1}  /b{0...1}", " /a{0...1}", "/a{0...1} ", ""])
def test_an_empty_volumes_argument_is_refused_here_in_the_model_and_at_render(volumes):
    with pytest.raises(ValueError):
        split_volumes(volumes)
    with pytest.raises(ValueError, match="empty argument"):
        sets_from_volumes(volumes)


@pytest.mark.parametrize("stack", STACKS)
def test_rendered_volumes_are_one_pool_argument_without_empty_pieces(stack):
    for node in rendered(stack)[0]:
        volumes = node.rustfs_env["RUSTFS_VOLUMES"]
        args = split_volumes(volumes)
        assert all("{" in a for a in args), "range form: one pool per argument (FACTS volumes.forms)"
        assert [e for a in args for e in expand_volumes(a)] == [e for p in sets_from_volumes(volumes)
                                                                 for st in p for e in st]


def test_every_rustfs_variable_the_node_sets_is_a_real_setting(tmp_path):
    for node in dev_nodes():
        names = set(node.rustfs_env)
        for value in unit_values(node.unit, "Environment"):
            names |= set(env_file(value))
        credentials = env_file((run_secret_steps(node, tmp_path / node.name.split(".")[0]) / "credentials")
                               .read_text())
        names |= set(credentials)
        assert names <= set(SETTINGS), f"{node.name}: RustFS does not read {sorted(names - set(SETTINGS))}"
        assert {"RUSTFS_ACCESS_KEY", "RUSTFS_SECRET_KEY", "RUSTFS_RPC_SECRET"} <= set(credentials)
        assert credentials["RUSTFS_RPC_SECRET"] == RPC_SECRET


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


# --- value forms: every rendered value in the form RustFS reads it (FACTS["env"][name]["format"]) ------------

def _positive_seconds(value: str) -> bool:
    return value.isdigit() and int(value) > 0  # RustFS reads 0 as "the default", never as 0 s


def _volumes(value: str) -> bool:
    endpoints = [e for a in split_volumes(value) for e in expand_volumes(a)]
    return not check_endpoints(endpoints)


_HOST = r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?"
_SAFE = re.compile(r"[A-Za-z0-9+/=._~-]+")  # needs no quoting in an EnvironmentFile
# Every format the facts use has its check here (a new format without one fails the test below).
FORMS = {
    "volumes": _volumes,
    "listen_address": lambda v: bool(re.fullmatch(r"[A-Za-z0-9.\-\[\]:]*:\d{1,5}", v)),
    "clap_bool": lambda v: v in FACTS["booleans"]["clap_bool"],
    "env_bool": lambda v: v in FACTS["booleans"]["env_bool_true"] + FACTS["booleans"]["env_bool_false"],
    "compression_flag": lambda v: v in SETTINGS["RUSTFS_COMPRESSION_ENABLED"]["values"] + ["false", "off", "0"],
    "domains": lambda v: all(re.fullmatch(_HOST + r"(:\d{1,5})?", d) for d in v.split(",")),
    "aws_region": lambda v: bool(re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", v)),
    "absolute_dir": lambda v: v.startswith("/") and not v.endswith("/"),
    "absolute_file": lambda v: v.startswith("/") and not v.endswith("/"),
    "otlp_http_base_url": lambda v: urlsplit(v).scheme in ("http", "https") and bool(urlsplit(v).hostname),
    "credential": lambda v: bool(_SAFE.fullmatch(v)) and v != "rustfsadmin",
    "seconds": _positive_seconds,
    # parse_wait_duration accepts more; a bare number of seconds is the one form every release read.
    "wait_duration": _positive_seconds,
    "endpoint_host": lambda v: bool(re.fullmatch(_HOST, v)),
    "rpc_secret": lambda v: bool(_SAFE.fullmatch(v)) and v not in SETTINGS["RUSTFS_RPC_SECRET"]["refused"],
    # get_env_f64 parses a float; the sampler takes a share of traces, 0..1 (crates/obs/src/telemetry/otel.rs).
    "ratio": lambda v: bool(re.fullmatch(r"(0|1)(\.\d+)?|0?\.\d+", v)) and 0 <= float(v) <= 1,
    # KMS accepts a key ID, key ARN, alias name or alias ARN as KeyId (AWS KMS API Reference, Encrypt: KeyId).
    "kms_key_id": lambda v: bool(re.fullmatch(
        r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key/[0-9a-f-]{36}|alias/[\w/+=,.@-]+)"
        r"|[0-9a-f-]{36}|alias/[\w/+=,.@-]+", v)),
    "probe_interval_secs": lambda v: v.isdigit(),  # u64; "0" turns the probe off
    "enum": None,  # checked against the fact's "values"
}


def test_every_format_of_the_facts_has_a_check():
    assert {fact["format"] for fact in SETTINGS.values()} <= set(FORMS)


def rendered_values(node: RenderedNode, tmp_path: Path) -> dict[str, str]:
    values = dict(node.rustfs_env)
    for line in unit_values(node.unit, "Environment"):
        values.update(env_file(line))
    values.update(env_file((run_secret_steps(node, tmp_path) / "credentials").read_text()))
    return values


@pytest.mark.parametrize("stack", STACKS)
def test_every_rendered_value_has_the_form_rustfs_reads(stack, tmp_path):
    for node in rendered(stack)[0]:
        for name, value in rendered_values(node, tmp_path / node.name.split(".")[0]).items():
            fact = SETTINGS[name]
            if fact["format"] == "enum":
                assert value in fact["values"], (name, value, fact["values"])
            else:
                assert FORMS[fact["format"]](value), (name, fact["format"], value)
            if "requires" in fact:
                for other, wanted in fact["requires"].items():
                    assert node.rustfs_env.get(other) == wanted, f"{name} needs {other}={wanted} ({fact['effect']})"


@pytest.mark.parametrize("stack", STACKS)
def test_the_local_endpoint_host_names_exactly_this_nodes_drives(stack):
    """update_is_local_from_explicit_host: local = host equal and port equal to RUSTFS_ADDRESS's."""
    for node in rendered(stack)[0]:
        env = node.rustfs_env
        port = int(env["RUSTFS_ADDRESS"].rsplit(":", 1)[1])
        endpoints = [urlsplit(e) for a in split_volumes(env["RUSTFS_VOLUMES"]) for e in expand_volumes(a)]
        local = sorted(e.path for e in endpoints if e.hostname == env["RUSTFS_LOCAL_ENDPOINT_HOST"]
                       and (e.port or port) == port)
        assert local == sorted(unit_values(node.unit, "RequiresMountsFor")[0].split()), node.name
        assert env["RUSTFS_LOCAL_ENDPOINT_HOST"] == node.name


# --- start-up bounds: RustFS decides, not systemd (FACTS["startup"]) -----------------------------------------

def rustfs_start_bound(env: dict[str, str]) -> int:
    """The longest RustFS may take to READY=1 or to its own exit, from the facts alone."""
    startup = FACTS["startup"]
    mode = env.get("RUSTFS_STARTUP_TOPOLOGY_WAIT_MODE", SETTINGS["RUSTFS_STARTUP_TOPOLOGY_WAIT_MODE"]["default"])
    defaults = SETTINGS["RUSTFS_STARTUP_TOPOLOGY_WAIT_TIMEOUT"]["default_seconds"]
    topology = int(env["RUSTFS_STARTUP_TOPOLOGY_WAIT_TIMEOUT"]) if "RUSTFS_STARTUP_TOPOLOGY_WAIT_TIMEOUT" in env \
        else defaults["orchestrated" if mode == "orchestrated" else "bounded"]
    assert topology is not None, "orchestrated mode without RUSTFS_STARTUP_TOPOLOGY_WAIT_TIMEOUT waits forever"
    format_load = sum(startup["format_load_sleeps_seconds"]) \
        + (startup["format_load_retries"] + 1) * startup["drive_check_timeout_seconds"]
    readiness = int(env.get("RUSTFS_STARTUP_READINESS_MAX_WAIT_SECS")
                    or SETTINGS["RUSTFS_STARTUP_READINESS_MAX_WAIT_SECS"]["default"])
    return topology + format_load + readiness


@pytest.mark.parametrize("stack", STACKS)
def test_systemd_waits_longer_than_rustfs_bounds_its_own_start(stack):
    for node in rendered(stack)[0]:
        [timeout] = unit_values(node.unit, "TimeoutStartSec")
        seconds = int(timeout.removesuffix("s"))
        bound = rustfs_start_bound(node.rustfs_env)
        assert seconds > bound, f"{node.name}: systemd would kill RustFS ({seconds} s) before it decides ({bound} s)"
        assert unit_values(node.unit, "Restart") == ["always"], "RustFS exits at its bound; systemd starts it again"


@pytest.mark.parametrize("stack", STACKS)
def test_start_up_bounds_are_longer_than_rustfs_defaults(stack):
    """The shipped stacks wait at least as long as RustFS would; components/cluster/bootstrap/startup.py says why."""
    for node in rendered(stack)[0]:
        env = node.rustfs_env
        assert int(env["RUSTFS_STARTUP_TOPOLOGY_WAIT_TIMEOUT"]) >= \
            SETTINGS["RUSTFS_STARTUP_TOPOLOGY_WAIT_TIMEOUT"]["default_seconds"]["bounded"]
        assert int(env["RUSTFS_STARTUP_READINESS_MAX_WAIT_SECS"]) > \
            int(SETTINGS["RUSTFS_STARTUP_READINESS_MAX_WAIT_SECS"]["default"])


# --- the internode RPC secret: one value, shared by every node -----------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_every_node_reads_the_one_rpc_secret(stack):
    """RUSTFS_RPC_SECRET signs every internode call (all_nodes_same); every node reads it from one secret."""
    assert SETTINGS["RUSTFS_RPC_SECRET"]["all_nodes_same"]
    nodes = rendered(stack)[0]
    arns = {env_file(n.files["/etc/rustfs/bootstrap.env"])["BOOT_CREDENTIALS_SECRET_ARN"] for n in nodes}
    assert len(arns) == 1 and len(nodes) > 1
    for node in nodes:
        assert "RUSTFS_RPC_SECRET" not in node.rustfs_env, "a secret value never goes into user data"


# --- compression and logging ------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_no_http_response_compression_is_mistaken_for_object_compression(stack):
    http_family = [n for n, f in SETTINGS.items() if f.get("family") == "http_response_compression"]
    assert http_family == ["RUSTFS_COMPRESS_ENABLE"]
    for node in rendered(stack)[0]:
        wrong = [k for k in node.rustfs_env if k.startswith("RUSTFS_COMPRESS_")]
        assert not wrong, f"{wrong} compress HTTP responses; stored objects use RUSTFS_COMPRESSION_*"


@pytest.mark.parametrize("stack", STACKS)
def test_log_level_shows_warnings_without_a_span_per_request(stack):
    levels = SETTINGS["RUSTFS_OBS_LOGGER_LEVEL"]["values"]  # most verbose first
    for node in rendered(stack)[0]:
        level = node.rustfs_env["RUSTFS_OBS_LOGGER_LEVEL"]
        assert levels.index(level) < levels.index(SETTINGS["RUSTFS_OBS_LOGGER_LEVEL"]["default"]), \
            "RustFS's default (error) hides DNS retries, offline drives and unreachable peers"
        assert levels.index(level) > levels.index("info"), SETTINGS["RUSTFS_OBS_LOGGER_LEVEL"]["note"]


# --- docs: RUSTFS_VOLUMES examples are what the shipped stacks render ------------------------------------

DOC_EXAMPLE = re.compile(r"`(https?://[^`\s]*\{[0-9a-fA-F]*\.\.\.[0-9a-fA-F]*\}[^`]*)`")


def doc_examples() -> list[tuple[str, str]]:
    return [(doc.name, m.group(1)) for doc in sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
            for m in DOC_EXAMPLE.finditer(doc.read_text())]


def test_docs_volumes_examples_are_what_the_stacks_render():
    examples = doc_examples()
    assert examples, "docs/cluster.md shows the shipped stacks' RUSTFS_VOLUMES"
    shipped = {stack: rendered(stack)[0][0].rustfs_env["RUSTFS_VOLUMES"] for stack in STACKS}
    for doc, example in examples:
        sets_from_volumes(example)  # RustFS's grammar, or this raises
        for stack, volumes in shipped.items():
            if f".{stack}.rustfs.internal" in example:
                assert example == volumes, f"{doc}: {example} is not what {stack} renders ({volumes})"
    assert set(shipped.values()) <= {e for _, e in examples}, "each shipped stack's RUSTFS_VOLUMES is shown"
