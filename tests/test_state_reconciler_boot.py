"""The reconciler on a node's first boot (components/state/state.py: the association installs it and starts one run
as soon as the node's bootstrap has written its environment, usually before RustFS answers, and an ``up`` that adds
the node role's grants may start it before IAM has propagated them). Each of those ends as a one-line JSON log and an
exit code the timer's next run recovers from, never a traceback: the node's log group and the StateErrors metric are
where an operator looks (rustfs_reconcile.py ``log``)."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

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


def _self_signed(tmp_path: Path, name: str) -> tuple[Path, Path]:
    key, cert = tmp_path / f"{name}.key", tmp_path / f"{name}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "1", "-subj", f"/CN={name}", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    return key, cert


def test_a_certificate_the_nodes_ca_does_not_verify_is_an_error_not_a_wait(rustfs_node, capsys, tmp_path):
    """TLS to the node failing verification stays failed (a wrong CA, a name the certificate lacks): exit 1 and an
    error line, so the unit shows failed, unlike the boot race above."""
    w = rustfs_node
    w.publish(STATE)
    key, cert = _self_signed(tmp_path, "node")
    _, other_ca = _self_signed(tmp_path, "other-ca")
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        argv = ["--parameter", parameter_name(CLUSTER), "--boot-env", w.boot_env, "--aws-endpoint", w.aws,
                "--endpoint", f"https://127.0.0.1:{server.server_address[1]}", "--ca", str(other_ca)]
        assert reconciler.main(argv) == 1
    finally:
        server.shutdown()
    events = _events(capsys)
    assert [(e["event"], e.get("kind")) for e in events] == [("error", "tls")]
