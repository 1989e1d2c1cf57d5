"""Bad cluster configurations are refused by the whole program, clearly, before any resource exists."""

from __future__ import annotations

import json
import re

import pytest

from preflight import topology
from preflight.runner import PROJECT_DIR, Recording, run_stack
from preflight.stackfiles import read_stack
from rustfs_aws.config import ConfigError
from rustfs_model.layout import LayoutError


def cluster(stack: str, **changes) -> dict:
    raw = read_stack(PROJECT_DIR, stack).config["rustfs-aws:cluster"]
    base = json.loads(raw) if isinstance(raw, str) else dict(raw)
    return {**base, **changes}


def refused(stack: str, overrides: dict) -> str:
    with pytest.raises(ConfigError) as info:
        run_stack(stack, overrides)
    return str(info.value)


def test_too_few_drives_in_total_is_refused_by_name():
    message = refused("dev", {"rustfs-aws:cluster": cluster("dev", nodes=1, drivesPerNode=2)})
    assert "rustfs-aws:cluster.drivesPerNode" in message and "must be ≥ 4" in message


def test_prod_in_a_single_or_two_azs_is_refused():
    network = {"cidr": "10.50.0.0/16", "azCount": 2, "natGateways": "perAz", "adminCidrs": ["192.0.2.0/24"]}
    message = refused("prod", {"rustfs-aws:network": network})
    assert "rustfs-aws:network.azCount: got 2; prod needs at least 3 AZs" in message
    network["azCount"] = 1
    assert "rustfs-aws:network.azCount: got 1; allowed range 2–6" in refused("prod", {"rustfs-aws:network": network})


def test_prod_layout_that_loses_quorum_with_an_az_is_refused_with_a_way_out():
    message = refused("prod", {"rustfs-aws:cluster": cluster("prod", nodes=4, drivesPerNode=4)})
    assert re.search(r"prod must survive the loss of one AZ: .*Would survive", message)
    accepted = run_stack("prod", {"rustfs-aws:cluster": cluster("prod", nodes=4, drivesPerNode=4,
                                                                allowAzLossUnsafe=True)})
    assert topology.compute(accepted)["tolerates"]["azLoss"] is False  # accepted, and shown as unsafe


def test_a_drive_count_rustfs_cannot_split_into_sets_is_refused():
    message = refused("dev", {"rustfs-aws:cluster": cluster("dev", nodes=17, drivesPerNode=1)})
    assert "rustfs-aws:cluster" in message and "cannot be split into erasure sets" in message


def test_nothing_is_declared_when_the_config_is_refused():
    from preflight import runner

    seen = []
    original = runner.RecordingMonitor.RegisterResource

    def spy(self, request):
        seen.append(request.type)
        return original(self, request)

    runner.RecordingMonitor.RegisterResource = spy
    try:
        refused("dev", {"rustfs-aws:cluster": cluster("dev", nodes=1, drivesPerNode=2)})
    finally:
        runner.RecordingMonitor.RegisterResource = original
    assert [t for t in seen if t != "pulumi:pulumi:Stack"] == []


def test_non_uniform_drives_in_the_declared_volumes_are_refused():
    """The config has one drivesPerNode, so the program cannot declare non-uniform nodes; the topology the
    policy pack and preflight recompute from resources refuses them if a change ever did."""
    rec = run_stack("dev")
    tags = [(v, v.inputs["tags"]) for v in rec.of_type(topology.VOLUME)]
    dropped = next(v for v, t in tags if (t["rustfs:node"], t["rustfs:drive"]) == ("3", "1"))
    trimmed = Recording(settings=rec.settings, resources=[r for r in rec.resources if r is not dropped],
                        outputs=rec.outputs)
    with pytest.raises(LayoutError, match="non-uniform drives per node"):
        topology.compute(trimmed)


def test_a_node_with_volumes_in_two_azs_is_refused():
    rec = run_stack("dev")
    moved = next(v for v in rec.of_type(topology.VOLUME) if v.inputs["tags"]["rustfs:node"] == "1")
    moved.inputs = {**moved.inputs, "availabilityZone": "us-east-1f"}
    with pytest.raises(LayoutError, match="several AZs"):
        topology.compute(rec)
