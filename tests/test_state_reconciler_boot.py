"""The reconciler on a node's first boot (components/state/state.py: the association installs it and starts one run
as soon as the node's bootstrap has written its environment, usually before RustFS answers, and an ``up`` that adds
the node role's grants may start it before IAM has propagated them). Each of those ends as a one-line JSON log and an
exit code the timer's next run recovers from, never a traceback: the node's log group and the StateErrors metric are
where an operator looks (rustfs_reconcile.py ``log``)."""

from __future__ import annotations

import json
import socket

from reconciler_world import CLUSTER, STATE

import rustfs_aws.state.reconciler.rustfs_reconcile as reconciler
from rustfs_aws.state.state import parameter_name, table_name


def _events(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]


def _closed_port() -> str:
    with socket.socket() as s:  # bound, then closed: nothing listens there (connection refused)
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_rustfs_not_listening_yet_is_not_ready_and_nothing_is_touched(rustfs_node, capsys):
    w = rustfs_node
    w.publish(STATE)
    argv = ["--parameter", parameter_name(CLUSTER), "--boot-env", w.boot_env, "--endpoint", _closed_port(),
            "--aws-endpoint", w.aws]
    assert reconciler.main(argv) == 0
    events = _events(capsys)
    assert [e["event"] for e in events] == ["skipped"]
    assert "not ready" in events[0]["reason"]
    assert "Item" not in w.client("dynamodb").get_item(TableName=table_name(CLUSTER), Key={"pk": {"S": CLUSTER}})


def test_rustfs_answering_503_is_not_ready(rustfs_node, capsys):
    w = rustfs_node
    w.publish(STATE)
    w.stub.ready = False
    assert w.run() == 0
    assert [e["event"] for e in _events(capsys)] == ["skipped"]
    assert w.stub.admin_calls == []


def test_the_parameter_not_published_yet_is_an_error_line_not_a_traceback(rustfs_node, capsys):
    w = rustfs_node  # nothing published
    assert w.run() == 1
    events = _events(capsys)
    assert [e["event"] for e in events] == ["error"]
    assert "ParameterNotFound" in events[0]["error"]


def test_a_lease_table_the_node_cannot_reach_yet_is_an_error_line_not_a_traceback(rustfs_node, capsys):
    w = rustfs_node
    w.publish(STATE)
    w.client("dynamodb").delete_table(TableName=table_name(CLUSTER))  # as an AccessDenied would: UpdateItem fails
    assert w.run() == 1
    events = _events(capsys)
    assert [e["event"] for e in events] == ["error"]
    assert events[0]["kind"] == "lease"
    assert w.stub.admin_calls == []


def test_an_empty_description_is_no_drift_on_the_next_run(rustfs_node, capsys):
    """RustFS leaves an empty description out of InfoServiceAccountResp (crates/madmin/src/user.rs:
    ``skip_serializing_if = "Option::is_none"``; the stub omits it when empty): "" and absent are the same."""
    w = rustfs_node
    state = {**STATE, "serviceAccounts": [{**STATE["serviceAccounts"][0], "description": ""}]}
    w.publish(state)
    assert w.run() == 0
    capsys.readouterr()
    assert w.run() == 0
    assert [e for e in _events(capsys) if e["event"] in ("drift", "change")] == []
