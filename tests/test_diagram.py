"""The architecture diagram: Mermaid's own parser accepts it, and it shows every node in its AZ.

Well-formedness is checked by Mermaid 11 itself (``tests/mermaid/parse.mjs``, run with node; install with
``npm ci --prefix tests/mermaid``, which ``.ci/run`` does). Without node the parse test is skipped.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from preflight.cluster_nodes import recorded_nodes
from preflight.diagram import label, markdown, mermaid
from preflight.runner import run_stack

MERMAID_DIR = Path(__file__).resolve().parent / "mermaid"
SUBNET = "aws:ec2/subnet:Subnet"
NASTY = 'say "hi" <b>bold</b> [x] {y} (z) | a & b; c'


@pytest.fixture(scope="module")
def stacks():
    found = {}
    for name in ("dev", "prod"):
        recording = run_stack(name)
        found[name] = (recording, mermaid(recording))
    return found


def parse_with_mermaid(texts: list[str]) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: Mermaid's parser runs on node (Debian package nodejs)")
    if not (MERMAID_DIR / "node_modules" / "mermaid").is_dir():
        pytest.fail(f"Mermaid is not installed: run `npm ci --prefix {MERMAID_DIR}` (.ci/run does)")
    result = subprocess.run([node, str(MERMAID_DIR / "parse.mjs")], input=json.dumps(texts), text=True,
                            capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_mermaid_parses_the_diagrams_and_rejects_a_broken_one(stacks):
    broken = "flowchart TB\n  subgraph az1[\"us-east-1a\"]\n    n1[\"rustfs-1\"] -->\n"
    escaped = f"flowchart TB\n  a[{label(NASTY, 'second line')}] --> b[{label('&#quot;')}]\n"
    texts = [stacks["dev"][1], stacks["prod"][1], escaped, broken]
    results = parse_with_mermaid(texts)
    assert [r["ok"] for r in results] == [True, True, True, False], results
    assert {r["diagramType"] for r in results[:3]} == {"flowchart-v2"}


def _subgraphs(text: str) -> dict[str, list[str]]:
    """Subgraph title -> the lines directly or indirectly inside it."""
    inside: dict[str, list[str]] = {}
    stack: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line == "end":
            stack.pop()
            continue
        for title in stack:
            inside[title].append(line)
        opened = re.match(r'subgraph \w+\["(.*)"\]$', line)
        if opened:
            stack.append(opened.group(1))
            inside[opened.group(1)] = []
    assert stack == [], "unbalanced subgraph/end"
    return inside


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_every_node_is_drawn_in_its_az_with_its_instance_type(stacks, name):
    recording, text = stacks[name]
    nodes = recorded_nodes(recording)
    assert len(nodes) == {"dev": 4, "prod": 6}[name]
    subgraphs = _subgraphs(text)
    for node in nodes:
        [line] = [x for x in subgraphs[node.az] if x.startswith(f"n{node.index}[")]
        assert f'"{node.short}<br/>{node.instance_type}<br/>{len(node.volumes)} x ' in line


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_every_az_of_the_vpc_is_drawn_and_the_load_balancer_reaches_each_node_az(stacks, name):
    recording, text = stacks[name]
    azs = {s.inputs["availabilityZone"] for s in recording.of_type(SUBNET)}
    assert len(azs) == {"dev": 2, "prod": 3}[name]
    subgraphs = _subgraphs(text)
    vpc_title = next(t for t in subgraphs if t.startswith("VPC<br/>"))
    assert vpc_title == "VPC<br/>" + {"dev": "10.40.0.0/16", "prod": "10.50.0.0/16"}[name]
    for az in azs:
        assert f'subgraph {_az_id(text, az)}["{az}"]' in subgraphs[vpc_title]
    for az in {n.az for n in recorded_nodes(recording)}:
        assert f"lb1 --> {_az_id(text, az)}" in text


def _az_id(text: str, az: str) -> str:
    return re.search(rf'subgraph (\w+)\["{re.escape(az)}"\]', text).group(1)


def test_nat_gateways_buckets_and_endpoints_follow_the_recording(stacks):
    _, prod = stacks["prod"]
    _, dev = stacks["dev"]
    assert prod.count('["NAT gateway"]') == 3 and dev.count('["NAT gateway"]') == 1  # perAz vs single
    assert "rustfs-prod-audit-123456789012-us-east-1" in prod
    assert "vpce -.-> s3" in prod
    assert '"NLB rustfs-prod-lb-nlb<br/>internal<br/>TCP 9000"' in prod


def test_labels_escape_everything_mermaid_would_read_as_syntax():
    text = label(NASTY)
    assert text.startswith('"') and text.endswith('"')
    body = text[1:-1]
    assert '"' not in body and "<" not in body and ">" not in body


def test_markdown_fences_the_diagram(stacks):
    _, text = stacks["dev"]
    block = markdown({"mermaid": text})
    assert block[:3] == ["### Architecture", "", "```mermaid"]
    assert block[-2:] == ["```", ""]
    assert "\n".join(block[3:-2]) == text.rstrip("\n")
