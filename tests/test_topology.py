"""preflight's topology section: computed from the recorded volumes with the shared layout model."""

from __future__ import annotations

import json
from functools import cache

from preflight import sections, topology
from preflight.cli import main
from preflight.runner import run_stack

KEYS = {"platform", "nodes", "setSize", "sets", "parity", "rawTiB", "usableTiB", "tolerates"}


@cache
def rec(stack: str):
    return run_stack(stack)


def test_prod_topology_survives_an_az_loss():
    value = topology.compute(rec("prod"))
    assert set(value) == KEYS and set(value["tolerates"]) == {"drivesPerSet", "nodeLoss", "azLoss"}
    assert value["platform"] == "ec2"
    # 6 nodes x 16 drives = 96: set sizes must divide 96 and be a multiple or divisor of the 6 nodes
    # (2, 3, 6, 12); RustFS picks 12, i.e. 8 sets taking 2 drives from each node, EC 8+4, write quorum 8.
    assert (value["setSize"], value["sets"], value["parity"]) == (12, 8, 4)
    assert (value["rawTiB"], value["usableTiB"]) == (96.0, 64.0)
    assert value["tolerates"] == {"drivesPerSet": 4, "nodeLoss": True, "azLoss": True}
    # prod pins use1-az1, az2, az4: us-east-1c, d and a in the fake account (preflight/fake_zones.py)
    assert value["nodes"][0] == {"name": "rustfs-1.prod.rustfs.internal", "az": "us-east-1c", "drives": 16}
    per_az = {}
    for n in value["nodes"]:
        per_az[n["az"]] = per_az.get(n["az"], 0) + 1
    assert per_az == {"us-east-1a": 2, "us-east-1c": 2, "us-east-1d": 2}


def test_dev_topology_survives_a_node_but_not_an_az():
    value = topology.compute(rec("dev"))
    assert (value["setSize"], value["sets"], value["parity"]) == (8, 1, 4)
    assert value["tolerates"] == {"drivesPerSet": 3, "nodeLoss": True, "azLoss": False}


def test_the_section_reads_resources_not_config():
    """Move one node's volumes to another AZ in the recording: the section follows the resources."""
    r = run_stack("prod")
    for v in r.of_type(topology.VOLUME):
        if v.inputs["tags"]["rustfs:node"] == "4":  # us-east-1c -> us-east-1d: d now holds 3 of 6 nodes
            v.inputs = {**v.inputs, "availabilityZone": "us-east-1d"}
    value = topology.compute(r)
    assert value["tolerates"]["azLoss"] is False
    assert next(n for n in value["nodes"] if n["name"].startswith("rustfs-4."))["az"] == "us-east-1d"


def test_no_cluster_volumes_no_section():
    r = run_stack("dev")
    r.resources = [x for x in r.resources if x.type != topology.VOLUME]
    assert topology.compute(r) is None


def test_registered_first_and_rendered():
    keys = [s.key for s in sections.SECTIONS]
    assert keys.index("topology") == (1 if keys[0] == "diagram" else 0)
    value = topology.compute(rec("prod"))
    human = "\n".join(topology.human(value))
    assert "6 nodes x 16 drives in 3 AZs; 8 erasure sets of 12 drives, EC 8+4" in human
    assert "usable 64.0 TiB" in human and "an AZ loss: yes" in human
    assert "us-east-1c: rustfs-1, rustfs-4" in human
    md = "\n".join(topology.markdown(value))
    assert "### Topology" in md and "| loss of any one AZ | ✅ |" in md


def test_preflight_json_carries_the_topology(tmp_path, capsys):
    out = tmp_path / "prod.json"
    code = main(["--stack", "prod", "--json", str(out)])
    assert code in (0, 1)  # 1: mandatory policy violations elsewhere; the report is written either way
    report = json.loads(out.read_text())
    assert report["topology"] == topology.compute(rec("prod"))
    assert "Topology (ec2): 6 nodes" in capsys.readouterr().out
