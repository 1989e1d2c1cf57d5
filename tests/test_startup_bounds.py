"""RustFS's start-up bounds: config keys, their defaults' reasoning, and systemd's timeout above them.

The numbers are explained in components/cluster/bootstrap/startup.py; the RustFS facts they rest on are in
tests/data/rustfs_settings.json ("startup") and are checked against the rendered units by
tests/test_rustfs_contract.py. Here: the defaults stay derived from the facts they depend on (the node's boot
bound, the record TTL, the take-over script), and bad values fail with the key and the allowed range.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
import yaml
from user_data import decode_user_data, env_file

from preflight.runner import run_stack
from rustfs_aws.cluster import dns
from rustfs_aws.cluster.bootstrap import startup
from rustfs_aws.cluster.bootstrap.render import (
    CALL_TIMEOUT_SECONDS,
    DEFAULT_READINESS_WAIT,
    READY_TIMEOUT_SECONDS,
    UserDataParams,
)
from rustfs_aws.cluster.bootstrap.takeover import parse_args as takeover_args
from rustfs_aws.config import ConfigError, parse

FACTS = json.loads((Path(__file__).parent / "data" / "rustfs_settings.json").read_text())
BASE = {"environment": "dev", "tags": {"Owner": "o", "CostCenter": "c"}}
TAKEOVER_REQUIRED = ["--cluster-id", "c", "--node-index", "1", "--drives", "2", "--hosted-zone-id", "Z1",
                     "--record-name", "rustfs-1.c.internal"]


def startup_config(values: dict):
    return parse({**BASE, "cluster": {"startup": values}}, stack="dev", region="us-east-1").cluster.startup


def problems(values) -> str:
    with pytest.raises(ConfigError) as exc:
        parse({**BASE, "cluster": {"startup": values}}, stack="dev", region="us-east-1")
    return str(exc.value)


# --- config ------------------------------------------------------------------------------------------------

def test_defaults_are_the_derived_ones():
    cfg = startup_config({})
    assert cfg.topology_wait_seconds == startup.DEFAULT_TOPOLOGY_WAIT == 300
    assert cfg.readiness_wait_seconds == DEFAULT_READINESS_WAIT == 1500


def test_values_are_taken_as_given():
    cfg = startup_config({"topologyWaitSeconds": 120, "readinessWaitSeconds": "600"})
    assert (cfg.topology_wait_seconds, cfg.readiness_wait_seconds) == (120, 600)


@pytest.mark.parametrize("values, key, allowed", [
    ({"topologyWaitSeconds": 0}, "cluster.startup.topologyWaitSeconds", "30–600"),
    ({"topologyWaitSeconds": 601}, "cluster.startup.topologyWaitSeconds", "30–600"),
    ({"readinessWaitSeconds": 0}, "cluster.startup.readinessWaitSeconds", "60–2,400"),
    ({"readinessWaitSeconds": 2401}, "cluster.startup.readinessWaitSeconds", "60–2,400"),
    ({"readinessWaitSeconds": "soon"}, "cluster.startup.readinessWaitSeconds", "integer from 60 to 2,400"),
])
def test_out_of_range_values_name_the_key_and_the_range(values, key, allowed):
    text = problems(values)
    assert key in text and allowed in text, text


def test_unknown_startup_keys_are_refused():
    assert "cluster.startup" in problems({"formatWaitSeconds": 10})


# --- the defaults follow what they depend on -----------------------------------------------------------------

def test_constants_match_the_modules_they_mirror():
    assert startup.NODE_RECORD_TTL == dns.NODE_RECORD_TTL == takeover_args(TAKEOVER_REQUIRED).record_ttl
    rustfs = FACTS["env"]["RUSTFS_STARTUP_TOPOLOGY_WAIT_TIMEOUT"]["default_seconds"]["bounded"]
    assert startup.RUSTFS_DEFAULT_TOPOLOGY_WAIT == rustfs


def test_format_load_bound_covers_rustfs_fixed_retry_loop():
    facts = FACTS["startup"]
    loop = sum(facts["format_load_sleeps_seconds"]) + (facts["format_load_retries"] + 1) * \
        facts["drive_check_timeout_seconds"]
    assert len(facts["format_load_sleeps_seconds"]) == facts["format_load_retries"]
    assert startup.FORMAT_LOAD_BOUND >= loop


def test_readiness_outlasts_a_peer_that_uses_its_whole_boot_bound():
    """A peer may boot for READY_TIMEOUT_SECONDS, then publish its record (propagation + TTL), then load the
    format: a node already waiting must not give up before that."""
    peer = READY_TIMEOUT_SECONDS + startup.ROUTE53_PROPAGATION + startup.NODE_RECORD_TTL + startup.FORMAT_LOAD_BOUND
    assert DEFAULT_READINESS_WAIT >= peer
    assert DEFAULT_READINESS_WAIT - peer < 300, "rounded up, not padded"


def test_topology_wait_outlasts_a_new_record_becoming_visible():
    assert startup.DEFAULT_TOPOLOGY_WAIT >= 3 * (startup.ROUTE53_PROPAGATION + startup.NODE_RECORD_TTL)
    assert startup.DEFAULT_TOPOLOGY_WAIT >= startup.RUSTFS_DEFAULT_TOPOLOGY_WAIT


def test_takeover_waits_end_within_the_boot_bound():
    """The readiness default assumes a peer's take-over ends with its boot bound (node-bootstrap passes it)."""
    script = (Path(__file__).parent.parent / "components/cluster/bootstrap/node-bootstrap").read_text()
    assert re.search(r'--timeout "\$\(remaining \d+\)"', script), "take-over no longer bounded by the boot bound"
    assert re.search(r"^remaining\(\) \{.*?BOOT_DEADLINE - \$\(date \+%s\).*?^\}", script, re.S | re.M)
    assert takeover_args(TAKEOVER_REQUIRED).timeout <= READY_TIMEOUT_SECONDS


def test_the_secret_reads_of_every_start_fit_the_start_margin():
    """rustfs.service's ExecStartPre reads two secrets, each bounded by CALL_TIMEOUT_SECONDS; the unit's
    TimeoutStartSec adds START_MARGIN to RustFS's own bounds for them, so RustFS still decides."""
    assert 2 * CALL_TIMEOUT_SECONDS + 10 <= startup.START_MARGIN


@pytest.mark.parametrize("topology, readiness", [(30, 60), (300, 1500), (600, 2400)])
def test_every_allowed_pair_renders_a_unit_timeout_above_rustfs_and_within_an_hour(topology, readiness):
    assert startup.TOPOLOGY_WAIT_RANGE[0] <= topology <= startup.TOPOLOGY_WAIT_RANGE[1]
    assert startup.READINESS_WAIT_RANGE[0] <= readiness <= startup.READINESS_WAIT_RANGE[1]
    params = node_params(topology_wait_seconds=topology, readiness_wait_seconds=readiness)
    assert startup.rustfs_start_bound(topology, readiness) < params.unit_start_timeout <= 3600


def test_an_explicit_systemd_timeout_below_rustfs_bound_is_refused():
    with pytest.raises(ValueError, match="must exceed RustFS's own start-up bound"):
        node_params(start_timeout_seconds=900)
    with pytest.raises(ValueError, match=">= 1"):
        node_params(readiness_wait_seconds=0)


def node_params(**overrides) -> UserDataParams:
    base = dict(cluster_id="dev", node_index=1, node_name="rustfs-1.dev.rustfs.internal",
                hosted_zone_id="Z0123456789ABCDEFGHIJ",
                volumes="https://rustfs-{1...4}.dev.rustfs.internal:9000/data/rustfs{0...1}", drives_per_node=2,
                rustfs_version="1.0.1", arch="x86_64", region="us-east-1", tls_secret_arn=None,
                credentials_secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:rustfs/dev/rc-AbCdEf")
    return UserDataParams(**{**base, **overrides})


def test_a_node_name_outside_the_volumes_is_refused():
    """RUSTFS_LOCAL_ENDPOINT_HOST must name a host of RUSTFS_VOLUMES, or RustFS refuses to start."""
    with pytest.raises(ValueError, match="not a host of volumes"):
        node_params(node_name="rustfs-9.dev.rustfs.internal")


# --- config to rendered unit, through the real program --------------------------------------------------------

@cache
def dev_with(topology: int, readiness: int):
    stack = yaml.safe_load((Path(__file__).parent.parent / "Pulumi.dev.yaml").read_text())["config"]
    bounds = {"topologyWaitSeconds": topology, "readinessWaitSeconds": readiness}
    r = run_stack("dev", overrides={"rustfs-aws:cluster": {**stack["rustfs-aws:cluster"], "startup": bounds}})
    lt = r.of_type("aws:ec2/launchTemplate:LaunchTemplate")[0]
    files = {f["path"]: f["content"] for f in yaml.safe_load(decode_user_data(lt.inputs["userData"]))["write_files"]}
    return env_file(files["/etc/default/rustfs"]), files["/etc/systemd/system/rustfs.service"]


def test_configured_bounds_reach_rustfs_and_the_unit():
    env, unit = dev_with(240, 900)
    assert env["RUSTFS_STARTUP_TOPOLOGY_WAIT_TIMEOUT"] == "240"
    assert env["RUSTFS_STARTUP_READINESS_MAX_WAIT_SECS"] == "900"
    [timeout] = re.findall(r"^TimeoutStartSec=(\d+)s$", unit, re.M)
    assert int(timeout) == startup.unit_start_timeout(240, 900)
