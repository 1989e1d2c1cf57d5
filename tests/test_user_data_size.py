"""EC2's 16 KB user-data limit: the config refuses a layout over it, and its bound is never below reality.

EC2 counts the bytes before base64 ("User data is limited to 16 KB, in raw form, before it is base64-encoded",
EC2 User Guide, "Work with instance user data"; CreateLaunchTemplateVersion refuses a base64-decoded length
over 16384 with InvalidUserData.Malformed). The program sends gzip once the text is over the limit, so the
compressed bytes count.
"""

from __future__ import annotations

import base64
import json
from functools import cache

import pytest
from test_config import BASE, PROD, with_

from preflight.runner import PROJECT_DIR, run_stack
from preflight.stackfiles import read_stack
from rustfs_aws.cluster import user_data_size
from rustfs_aws.cluster.bootstrap.render import EC2_USER_DATA_LIMIT, MAX_DRIVES
from rustfs_aws.config import ConfigError, StackConfig, parse

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
# The largest layout the config allows: 64 nodes of 21 drives (in prod only with the AZ-loss opt-out).
LARGEST = {"nodes": 64, "drivesPerNode": MAX_DRIVES, "allowAzLossUnsafe": True}


def cluster_raw(stack: str, largest: bool) -> dict:
    cluster = json.loads(read_stack(PROJECT_DIR, stack).config["rustfs-aws:cluster"])
    return {**cluster, **LARGEST} if largest else cluster


def stack_config(stack: str, largest: bool) -> StackConfig:
    settings = read_stack(PROJECT_DIR, stack)
    raw = {k.split(":", 1)[1]: v for k, v in settings.config.items() if k.startswith("rustfs-aws:")}
    return parse({**raw, "cluster": cluster_raw(stack, largest)}, stack=stack, region=settings.config["aws:region"])


@cache
def rendered_sizes(stack: str, largest: bool) -> list[int]:
    """Bytes EC2 counts, per launch template the program declares."""
    rec = run_stack(stack, overrides={"rustfs-aws:cluster": cluster_raw(stack, largest)})
    return [len(base64.b64decode(r.inputs["userData"])) for r in rec.of_type(LAUNCH_TEMPLATE)]


@pytest.mark.parametrize(("stack", "largest"), [("dev", False), ("prod", False), ("prod", True)])
def test_the_bound_is_never_below_what_the_program_renders_and_stays_close(stack, largest):
    cfg = stack_config(stack, largest)
    bound, _ = user_data_size.largest_user_data(cfg.cluster, stack=stack, region=cfg.region)
    rendered = rendered_sizes(stack, largest)
    assert rendered and max(rendered) <= bound <= max(rendered) + 256, (bound, rendered)
    assert bound <= EC2_USER_DATA_LIMIT


def _measured(raw: dict) -> int:
    cfg = parse(raw, stack="dev", region="us-east-1")
    return user_data_size.largest_user_data(cfg.cluster, stack="dev", region="us-east-1")[0]


def test_a_layout_over_the_limit_is_a_configuration_error_naming_the_keys(monkeypatch):
    raw = with_(BASE, "cluster.drivesPerNode", MAX_DRIVES)
    size = _measured(raw)
    monkeypatch.setattr(user_data_size, "EC2_USER_DATA_LIMIT", size)
    assert parse(raw, stack="dev", region="us-east-1")  # exactly at the limit: accepted
    monkeypatch.setattr(user_data_size, "EC2_USER_DATA_LIMIT", size - 1)
    with pytest.raises(ConfigError) as error:
        parse(raw, stack="dev", region="us-east-1")
    [problem] = error.value.problems
    assert problem.startswith("rustfs-aws:cluster:") and f"{size:,} bytes" in problem
    assert all(key in problem for key in ("cluster.drivesPerNode", "cluster.domain", "cluster.nodes"))


def test_more_drives_and_longer_domains_grow_the_user_data():
    base = _measured(BASE)
    assert _measured(with_(BASE, "cluster.drivesPerNode", MAX_DRIVES)) > base
    assert _measured(with_(BASE, "cluster.domain", "a" * 60 + ".b" * 60 + ".internal")) > base


def test_drives_per_node_is_bounded_by_the_device_names_the_take_over_step_can_use():
    with pytest.raises(ConfigError, match=r"cluster\.drivesPerNode: got 22; allowed range 1–21"):
        parse(with_(PROD, "cluster.drivesPerNode", MAX_DRIVES + 1), stack="prod", region="us-east-1")

