"""Drive a Pulumi policy pack over the analyzer gRPC protocol, the way the Pulumi CLI does.

The CLI boots a Python policy pack with ``pulumi-analyzer-policy-python`` (pulumi/pulumi
``sdk/python/dist/pulumi-analyzer-policy-python``), which runs
``<venv>/bin/python -u -m pulumi.policy <engine-address> <pack-dir>`` with the pack folder as working
directory and the stack's config in ``PULUMI_CONFIG`` / ``PULUMI_PROJECT`` / ``PULUMI_STACK`` /
``PULUMI_DRY_RUN`` / ``PULUMI_ORGANIZATION``. The pack prints its port on stdout. The CLI then calls
``Handshake`` (Python packs answer UNIMPLEMENTED), ``ConfigureStack``, ``GetAnalyzerInfo``,
``Configure`` (every policy's resolved enforcement level and properties), ``Analyze`` per resource
with its provider, and ``AnalyzeStack`` with every resource. This module does the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc

# The engine marshals every preview-time unknown as this string (pulumi
# sdk/go/common/resource/plugin/rpc.go UnknownStringValue); pulumi_policy recognises it.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# Property-value signatures (pulumi sdk/go/common/resource/sig): secrets travel as objects.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

_STARTUP_TIMEOUT_S = 60.0
_LEVELS = ("advisory", "mandatory", "remediate", "disabled")


class PolicyPackError(RuntimeError):
    """The policy pack failed to start or to answer; the message carries the pack's stderr."""


def secret(value: Any) -> dict[str, Any]:
    """A secret property value as the engine sends it to analyzers (KeepSecrets)."""
    return {SIG_KEY: SECRET_SIG, "value": value}


def struct_from_python(value: dict[str, Any] | None) -> struct_pb2.Struct:
    """A protobuf Struct from plain Python (dicts, lists, scalars, None, ``secret()``, UNKNOWN)."""
    result = struct_pb2.Struct()
    if value:
        result.update(_jsonable(value))
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    raise TypeError(f"cannot send a {type(value).__name__} to the analyzer: {value!r}")


@dataclass
class ProviderInfo:
    urn: str
    type: str
    name: str
    properties: struct_pb2.Struct = field(default_factory=struct_pb2.Struct)


@dataclass
class AnalyzedResource:
    urn: str
    type: str
    name: str
    properties: struct_pb2.Struct = field(default_factory=struct_pb2.Struct)
    protect: bool = False
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    provider: ProviderInfo | None = None


class _Engine(engine_pb2_grpc.EngineServicer):
    """The engine endpoint the pack is given; it records log messages a pack may send."""

    def __init__(self) -> None:
        self.logs: list[str] = []

    def Log(self, request, context):  # noqa: N802 - gRPC method name
        self.logs.append(request.message)
        return empty_pb2.Empty()


class PolicyPack:
    """A running policy pack process. Use as a context manager; the process is killed on exit.

    The process starts at ``configure_stack`` (the CLI knows the stack's config before it boots a
    pack) or, without stack configuration, at the first other call.
    """

    def __init__(self, pack_dir: Path, python: str | None = None) -> None:
        self.pack_dir = Path(pack_dir).resolve()
        if not (self.pack_dir / "PulumiPolicy.yaml").is_file():
            raise PolicyPackError(f"{self.pack_dir} is not a policy pack (no PulumiPolicy.yaml)")
        venv_python = self.pack_dir / "venv" / "bin" / "python"
        self.python = python or (str(venv_python) if venv_python.exists() else sys.executable)
        self._process: subprocess.Popen | None = None
        self._stderr = tempfile.TemporaryFile()
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._engine = _Engine()
        self._engine_server: grpc.Server | None = None
        self._info: dict[str, Any] | None = None
        # The CLI takes a Python pack's version from PulumiPolicy.yaml (the SDK always answers 0.0.1).
        manifest = yaml.safe_load((self.pack_dir / "PulumiPolicy.yaml").read_text()) or {}
        self.version = str(manifest.get("version", "")) or None

    # ---- lifecycle ----

    def __enter__(self) -> PolicyPack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)
        if self._engine_server is not None:
            self._engine_server.stop(0)
        self._stderr.close()

    def stderr_text(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def _fail(self, what: str, error: BaseException | None = None) -> PolicyPackError:
        detail = f": {error.details() if isinstance(error, grpc.RpcError) else error}" if error else ""
        stderr = self.stderr_text().strip()
        tail = "\n".join(stderr.splitlines()[-40:])
        return PolicyPackError(f"policy pack {self.pack_dir.name}: {what}{detail}"
                               + (f"\n--- pack stderr ---\n{tail}" if tail else ""))

    def _start(self, env_extra: dict[str, str]) -> None:
        self._engine_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self._engine, self._engine_server)
        engine_port = self._engine_server.add_insecure_port("127.0.0.1:0")
        self._engine_server.start()
        env = {**os.environ, **env_extra}
        try:
            self._process = subprocess.Popen(
                [self.python, "-u", "-m", "pulumi.policy", f"127.0.0.1:{engine_port}", "."],
                cwd=self.pack_dir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=self._stderr)
        except OSError as error:
            raise self._fail(f"cannot run {self.python}", error) from error
        port = self._read_port()
        self._channel = grpc.insecure_channel(
            f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)])
        try:
            grpc.channel_ready_future(self._channel).result(timeout=_STARTUP_TIMEOUT_S)
        except grpc.FutureTimeoutError as error:
            raise self._fail("did not accept connections", error) from error
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        self._handshake(engine_port)

    def _read_port(self) -> int:
        assert self._process is not None and self._process.stdout is not None
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self._process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(_STARTUP_TIMEOUT_S)
        text = line[0].decode().strip() if line else ""
        if not text.isdigit():
            self._process.kill()
            self._process.wait(timeout=10)
            raise self._fail(f"did not print its port (got {text!r}, exit code {self._process.returncode})")
        return int(text)

    def _handshake(self, engine_port: int) -> None:
        request = analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address=f"127.0.0.1:{engine_port}", root_directory=str(self.pack_dir),
            program_directory=str(self.pack_dir))
        try:
            self._stub.Handshake(request)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNIMPLEMENTED:  # older SDKs do not implement it
                raise self._fail("Handshake failed", error) from error

    def _ensure_started(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._stub is None:
            self._start({})
        return self._stub

    def _call(self, method: str, request: Any) -> Any:
        stub = self._ensure_started()
        try:
            return getattr(stub, method)(request)
        except grpc.RpcError as error:
            raise self._fail(f"{method} failed", error) from error

    # ---- protocol ----

    def configure_stack(self, *, project: str, stack: str, organization: str = "organization",
                        config: dict[str, str], secret_keys: list[str], dry_run: bool = True,
                        tags: dict[str, str] | None = None) -> None:
        if self._stub is not None:
            raise PolicyPackError("configure_stack must be the first call: the pack reads the stack's "
                                  "config from its environment at start, as under the Pulumi CLI")
        self._start({"PULUMI_CONFIG": json.dumps(config),
                     "PULUMI_CONFIG_SECRET_KEYS": json.dumps(secret_keys),
                     "PULUMI_PROJECT": project, "PULUMI_STACK": stack, "PULUMI_ORGANIZATION": organization,
                     "PULUMI_DRY_RUN": "true" if dry_run else "false"})
        self._call("ConfigureStack", analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=stack, project=project, organization=organization, dry_run=dry_run,
            config=config, config_secret_keys=secret_keys, tags=tags or {}))

    def info(self) -> dict[str, Any]:
        if self._info is None:
            reply = self._call("GetAnalyzerInfo", empty_pb2.Empty())
            self._info = {
                "pack": reply.name, "version": self.version or reply.version,
                "description": reply.description,
                "policies": [_policy_info(p) for p in reply.policies],
            }
        return self._info

    def configure(self, policy_config: dict[str, Any]) -> None:
        """Resolves a policy-pack config (``{"all": ..., "<policy>": ...}``) per policy, as the CLI does."""
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        resolved = resolve_policy_config(self.info()["policies"], policy_config)
        for name, (level, properties) in resolved.items():
            entry = analyzer_pb2.PolicyConfig(
                enforcementLevel=analyzer_pb2.EnforcementLevel.Value(level.upper()))
            entry.properties.update(_jsonable(properties))
            request.policyConfig[name].CopyFrom(entry)
        self._call("Configure", request)

    def analyze(self, r: AnalyzedResource) -> list[dict[str, Any]]:
        request = analyzer_pb2.AnalyzeRequest(
            type=r.type, urn=r.urn, name=r.name, properties=r.properties,
            options=analyzer_pb2.AnalyzerResourceOptions(protect=r.protect, parent=r.parent))
        if r.provider is not None:
            request.provider.CopyFrom(_provider(r.provider))
        return [self._diagnostic(d, r.urn) for d in self._call("Analyze", request).diagnostics]

    def analyze_stack(self, resources: list[AnalyzedResource]) -> list[dict[str, Any]]:
        request = analyzer_pb2.AnalyzeStackRequest()
        for r in resources:
            item = analyzer_pb2.AnalyzerResource(
                type=r.type, urn=r.urn, name=r.name, properties=r.properties, parent=r.parent,
                dependencies=r.dependencies,
                options=analyzer_pb2.AnalyzerResourceOptions(protect=r.protect, parent=r.parent))
            for prop, urns in r.property_dependencies.items():
                item.propertyDependencies[prop].urns.extend(urns)
            if r.provider is not None:
                item.provider.CopyFrom(_provider(r.provider))
            request.resources.append(item)
        return [self._diagnostic(d, "") for d in self._call("AnalyzeStack", request).diagnostics]

    def _diagnostic(self, d: Any, default_urn: str) -> dict[str, Any]:
        return {
            "policy": d.policyName, "packName": d.policyPackName,
            "packVersion": self.version or d.policyPackVersion,
            "urn": d.urn or default_urn, "message": d.message,
            "enforcementLevel": _level_name(d.enforcementLevel), "severity": _severity_name(d.severity),
            "description": d.description,
        }


def _provider(p: ProviderInfo) -> analyzer_pb2.AnalyzerProviderResource:
    return analyzer_pb2.AnalyzerProviderResource(type=p.type, urn=p.urn, name=p.name, properties=p.properties)


def _level_name(level: int) -> str:
    return analyzer_pb2.EnforcementLevel.Name(level).lower()


def _severity_name(severity: int) -> str:
    """The severity in lower case ("low", "medium", ...), or "" when the policy sets none."""
    name = analyzer_pb2.PolicySeverity.Name(severity).removeprefix("POLICY_SEVERITY_").lower()
    return "" if name == "unspecified" else name


def _policy_info(p: Any) -> dict[str, Any]:
    schema = json_format.MessageToDict(p.configSchema) if p.HasField("configSchema") else {}
    return {
        "name": p.name, "description": p.description,
        "enforcementLevel": _level_name(p.enforcementLevel), "severity": _severity_name(p.severity),
        "type": "stack" if p.policy_type == analyzer_pb2.POLICY_TYPE_STACK else "resource",
        "configSchema": schema, "framework": json_format.MessageToDict(p.framework),
        "tags": list(p.tags), "remediationSteps": p.remediation_steps,
    }


def resolve_policy_config(policies: list[dict[str, Any]],
                          config: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Per policy: (enforcement level, properties) from the policy's default, ``all`` and its own entry.

    Properties start from the schema defaults and are checked against the schema; unknown policy
    names, unknown properties and wrong types are errors, as in ``pulumi preview --policy-pack-config``.
    """
    by_name = {p["name"]: p for p in policies}
    unknown = sorted(set(config) - set(by_name) - {"all"})
    if unknown:
        raise ValueError(f"policy config names unknown policies: {', '.join(unknown)}")
    all_level = _level_of(config.get("all"), "all")
    resolved = {}
    for name, policy in by_name.items():
        entry = config.get(name)
        level = _level_of(entry, name) or all_level or policy["enforcementLevel"]
        schema = policy.get("configSchema", {}).get("properties", {})
        properties = {k: v["default"] for k, v in schema.items() if "default" in v}
        if isinstance(entry, dict):
            for key, value in entry.items():
                if key == "enforcementLevel":
                    continue
                if key not in schema:
                    raise ValueError(f"policy config {name}.{key}: unknown property "
                                     f"(known: {', '.join(sorted(schema)) or 'none'})")
                _check_type(f"{name}.{key}", value, schema[key])
                properties[key] = value
        resolved[name] = (level, properties)
    return resolved


def _level_of(entry: Any, where: str) -> str | None:
    level = entry.get("enforcementLevel") if isinstance(entry, dict) else entry
    if level is None:
        return None
    if level not in _LEVELS:
        raise ValueError(f"policy config {where}: enforcementLevel {level!r} is not one of "
                         f"{', '.join(_LEVELS)}")
    return level


_JSON_TYPES = {"string": str, "boolean": bool, "object": dict, "array": list, "number": (int, float),
               "integer": int}


def _check_type(where: str, value: Any, schema: dict[str, Any]) -> None:
    expected = schema.get("type")
    python_type = _JSON_TYPES.get(expected)
    bool_as_number = isinstance(value, bool) and expected in ("number", "integer")
    if python_type and (not isinstance(value, python_type) or bool_as_number):
        raise ValueError(f"policy config {where}: expected {expected}, got {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        raise ValueError(f"policy config {where}: {value!r} is not one of {schema['enum']}")
    if "minimum" in schema and isinstance(value, (int, float)) and value < schema["minimum"]:
        raise ValueError(f"policy config {where}: {value} is below the minimum {schema['minimum']}")
    if "maximum" in schema and isinstance(value, (int, float)) and value > schema["maximum"]:
        raise ValueError(f"policy config {where}: {value} is above the maximum {schema['maximum']}")
    if expected == "array" and "items" in schema:
        for index, item in enumerate(value):
            _check_type(f"{where}[{index}]", item, schema["items"])
