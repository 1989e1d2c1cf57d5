"""Render recorded pulumi-kubernetes objects as the manifests the API server would receive.

pulumi-kubernetes sends an object's inputs as its manifest (apiVersion and kind from the type token), so the
recorded inputs are the manifest, with two differences undone here: numbers arrive as floats over the Pulumi
RPC (9000.0), which the API server's schemas refuse for integer fields, and Secrets carry real values, which a
rendered file must not (each value becomes ``REDACTED``).
"""

from __future__ import annotations

import json

GROUP_PREFIX = "kubernetes:"
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # pulumi.runtime.rpc: a secret value over the RPC


def plain(value):
    """``value`` with Pulumi's secret wrappers removed (mocks receive secrets wrapped)."""
    if isinstance(value, dict):
        if SECRET_SIG in value and "value" in value:
            return plain(value["value"])
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def api_version(type_token: str) -> tuple[str, str]:
    """(apiVersion, kind) of a pulumi-kubernetes type token such as ``kubernetes:apps/v1:StatefulSet``."""
    _, group_version, kind = type_token.split(":")
    return group_version.removeprefix("core/"), kind


def _ints(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def manifest(type_token: str, inputs: dict) -> dict:
    version, kind = api_version(type_token)
    body = _ints(plain({k: v for k, v in inputs.items() if k not in ("apiVersion", "kind")}))
    if kind == "Secret":
        for field in ("stringData", "data"):
            if isinstance(body.get(field), dict):
                body[field] = {k: "REDACTED" for k in body[field]}
            elif field in body:  # a preflight recording shows a secret input as "[secret]", keys unseen
                body[field] = {"REDACTED": "REDACTED"}
    return {"apiVersion": version, "kind": kind, **body}


def manifests(recorded: list[tuple[str, str, dict]]) -> list[dict]:
    """Manifests of the Kubernetes objects among ``(type, name, inputs)`` records, in declaration order."""
    return [manifest(t, i) for t, _, i in recorded if t.startswith(GROUP_PREFIX) and not t.startswith(
        "kubernetes:helm") and t.count(":") == 2 and not t.startswith("pulumi:")]


def to_yaml_stream(docs: list[dict]) -> str:
    """A multi-document YAML stream; JSON is YAML, so no YAML library is needed to write it."""
    return "".join(f"---\n{json.dumps(d, indent=1, sort_keys=True)}\n" for d in docs)
