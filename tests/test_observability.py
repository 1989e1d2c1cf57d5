"""The nodes' log groups: one per purpose, encrypted with the logs key, kept per config, written by the node role."""

import json

import pytest

from preflight.runner import run_stack

PURPOSES = {"node-logs": "nodes", "rustfs-logs": "rustfs", "metric-logs": "metrics"}


@pytest.mark.parametrize("stack,days", [("dev", 30), ("prod", 365)])
def test_node_log_groups_are_the_ones_the_node_role_writes(stack, days):
    rec = run_stack(stack)
    logs_alias = next(a for a in rec.of_type("aws:kms/alias:Alias") if a.inputs["name"].endswith("/logs"))
    logs_key = next(k for k in rec.of_type("aws:kms/key:Key") if k.outputs["keyId"] == logs_alias.inputs["targetKeyId"])
    node_policy = next(json.loads(p.inputs["policy"]) for p in rec.of_type("aws:iam/rolePolicy:RolePolicy")
                       if "node" in p.name)
    writes = [s for s in node_policy["Statement"] if "logs:PutLogEvents" in s["Action"]]
    assert len(writes) == 1
    for resource, suffix in PURPOSES.items():
        group = rec.one("aws:cloudwatch/logGroup:LogGroup", f"rustfs-{stack}-obs-{resource}")
        assert group.inputs["name"] == f"/rustfs/rustfs-{stack}/{suffix}"
        assert group.inputs["retentionInDays"] == days
        assert group.inputs["kmsKeyId"] == logs_key.outputs["arn"]
        assert {group.outputs["arn"], group.outputs["arn"] + ":log-stream:*"} <= set(writes[0]["Resource"])
    # Nothing outside the stack's own groups.
    assert all(r.split(":log-group:")[1].startswith(f"/rustfs/rustfs-{stack}/") for r in writes[0]["Resource"])


def test_log_retention_follows_observability_then_audit():
    rec = run_stack("dev", {"rustfs-aws:observability": {"logRetentionDays": 60}})
    for resource in PURPOSES:
        assert rec.one("aws:cloudwatch/logGroup:LogGroup", f"rustfs-dev-obs-{resource}").inputs["retentionInDays"] == 60
