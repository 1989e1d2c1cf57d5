"""The nodes' log group: encrypted with the logs key, kept per config, and the only group nodes may write."""

import json

import pytest

from preflight.runner import run_stack


@pytest.mark.parametrize("stack,days", [("dev", 30), ("prod", 365)])
def test_node_log_group_is_the_one_the_node_role_writes(stack, days):
    rec = run_stack(stack)
    group = rec.one("aws:cloudwatch/logGroup:LogGroup", f"rustfs-{stack}-obs-node-logs")
    assert group.inputs["name"] == f"/rustfs/rustfs-{stack}/nodes"
    assert group.inputs["retentionInDays"] == days
    logs_alias = next(a for a in rec.of_type("aws:kms/alias:Alias") if a.inputs["name"].endswith("/logs"))
    logs_key = next(k for k in rec.of_type("aws:kms/key:Key") if k.outputs["keyId"] == logs_alias.inputs["targetKeyId"])
    assert group.inputs["kmsKeyId"] == logs_key.outputs["arn"]
    node_policy = next(json.loads(p.inputs["policy"]) for p in rec.of_type("aws:iam/rolePolicy:RolePolicy")
                       if "node" in p.name)
    writes = [s for s in node_policy["Statement"] if "logs:PutLogEvents" in s["Action"]]
    assert len(writes) == 1
    assert set(writes[0]["Resource"]) == {group.outputs["arn"], group.outputs["arn"] + ":log-stream:*"}
