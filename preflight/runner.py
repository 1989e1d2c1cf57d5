"""Run the real Pulumi program offline against the fake AWS and record every resource it registers."""

from __future__ import annotations

import asyncio
import json
import os
import runpy
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockEngine, MockMonitor, MockSettings
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from .analyzer import SECRET_SIG, SIG_KEY
from .analyzer import UNKNOWN as UNKNOWN_WIRE
from .fake_aws import FakeAws
from .fake_stack_refs import StackOutputs
from .stackfiles import StackSettings, read_stack

PROJECT_DIR = Path(__file__).resolve().parent.parent
SECRET = "[secret]"
UNKNOWN = "[unknown]"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"


def plain(value):
    """Engine wire values to plain JSON: secrets hidden, resource references by URN."""
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return SECRET
        if sig == _RESOURCE_SIG:
            return value.get("urn")
        if sig is not None:
            return f"[{sig}]"
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value == UNKNOWN_WIRE:
        return UNKNOWN
    return value


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    protect: bool
    retain_on_delete: bool
    provider: str  # "urn::id" of its provider ("" for components and the default provider)
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    inputs: dict  # plain JSON, secrets as "[secret]"
    outputs: dict
    wire_inputs: struct_pb2.Struct = field(repr=False)  # as registered: secret and unknown markers kept
    wire_outputs: struct_pb2.Struct = field(repr=False)

    def to_json(self) -> dict:
        return {"urn": self.urn, "id": self.outputs.get("id", "") if self.custom else "",
                "type": self.type, "name": self.name, "parent": self.parent,
                "provider": self.provider, "custom": self.custom, "protect": self.protect,
                "dependencies": self.dependencies, "inputs": self.inputs}


@dataclass
class Recording:
    settings: StackSettings
    resources: list[RecordedResource]
    outputs: dict
    wire_outputs: dict = field(default_factory=dict, repr=False)
    stack_references: dict[str, str] = field(default_factory=dict)  # referenced stack -> where its outputs came from

    def of_type(self, token: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == token]

    def one(self, token: str, name: str | None = None) -> RecordedResource:
        found = [r for r in self.of_type(token) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {token} {name or ''}, found {len(found)}")
        return found[0]

    def by_urn(self, urn: str) -> RecordedResource:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise LookupError(urn)

    def children(self, parent_urn: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.parent == parent_urn]


def _references_by_id(value):
    if isinstance(value, dict):
        if value.get(SIG_KEY) == _RESOURCE_SIG:
            return value.get("id") or value.get("urn")
        return {k: _references_by_id(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_references_by_id(v) for v in value]
    return value


def _with_references_by_id(request):
    copy = type(request)()
    copy.CopyFrom(request)
    copy.object.Clear()
    copy.object.update(_references_by_id(json_format.MessageToDict(request.object)))
    return copy


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: FakeAws, on_record: Callable[[RecordedResource], None] | None = None):
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []
        self.on_record = on_record  # told of each resource as it registers, as the engine tells analyzers
        self.stack_outputs: dict = {}
        self.stack_urn = ""

    def RegisterResource(self, request):
        if _RESOURCE_SIG in str(request.object):
            # A resource passed as an input (an aws.iam.Role to the remote eks:index:Cluster): the mock monitor
            # would rehydrate it on its own thread's event loop and fail; providers and analyzers see it by
            # its ID when known, else its URN (pulumi sdk/go/common/resource/plugin/rpc.go, MarshalPropertyValue
            # without KeepResources).
            request = _with_references_by_id(request)
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = response.urn
            return response
        inputs = json_format.MessageToDict(request.object)
        outputs = json_format.MessageToDict(response.object)
        self.recorded.append(RecordedResource(
            urn=response.urn, type=request.type, name=request.name, parent=request.parent,
            custom=bool(request.custom), protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete), provider=request.provider,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            inputs=plain(inputs), outputs=plain(outputs), wire_inputs=request.object,
            wire_outputs=response.object))
        if self.on_record is not None:
            self.on_record(self.recorded[-1])
        return response

    def RegisterResourceOutputs(self, request):
        if request.urn == self.stack_urn:
            self.stack_outputs = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)


QUOTAS_KEY = "rustfs-aws:quotas"


def quota_check_off(config: dict[str, str]) -> dict[str, str]:
    """The stack's config with ``quotas.check`` off."""
    try:
        value = json.loads(config.get(QUOTAS_KEY) or "{}")
    except json.JSONDecodeError:
        return dict(config)  # the program reports the invalid value
    if not isinstance(value, dict) or not isinstance(value.get("check", True), bool):
        return dict(config)  # an invalid value stays, for the program to report
    return {**config, QUOTAS_KEY: json.dumps({**value, "check": False})}


def _cancel_leftover_registrations() -> None:
    """A program that failed half-way (e.g. the fake AWS refused a resource) leaves registrations pending in
    the event loop and its error in the SDK's RPC manager, which ``configure`` does not replace: the next run
    would execute the one and re-raise the other. Cancel and clear them."""
    loop = asyncio.get_event_loop()
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    # The failed run's futures still hold its error; when the garbage collector frees them, asyncio would log
    # each with its traceback, and formatting a traceback parses source (3.11's caret anchors): inside another
    # ast.parse that trips "AST constructor recursion depth mismatch". The caller has the error already.
    loop.set_exception_handler(_drop_unretrieved_errors)
    runtime_settings._get_rpc_manager().clear()
    runtime_settings.SETTINGS.outputs.clear()


def _drop_unretrieved_errors(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    if not str(context.get("message", "")).endswith("exception was never retrieved"):
        loop.default_exception_handler(context)


class ProgramError(Exception):
    """The program failed for a reason other than invalid configuration."""


def run_stack(stack: str, overrides: dict | None = None, *, project_dir: Path = PROJECT_DIR,
              preview: bool = True, new_stack: bool = False, fake: FakeAws | None = None,
              stack_outputs: StackOutputs | None = None) -> Recording:
    """Run ``__main__.py`` of ``project_dir`` for ``stack`` under the fake AWS.

    ``overrides`` replaces config values: ``{"rustfs-aws:cluster": {...}}`` (objects or strings); a value of
    ``None`` removes the key. Raises ``components.config.ConfigError`` for invalid configuration.
    """
    settings = read_stack(project_dir, stack)
    for key, value in (overrides or {}).items():
        if value is None:
            settings.config.pop(key, None)
        else:
            settings.config[key] = value if isinstance(value, str) else json.dumps(value)
    return run_settings(settings, project_dir=project_dir, preview=preview, new_stack=new_stack, fake=fake,
                        stack_outputs=stack_outputs)


def run_settings(settings: StackSettings, *, project_dir: Path = PROJECT_DIR, preview: bool = True,
                 new_stack: bool = False, fake: FakeAws | None = None,
                 on_record: Callable[[RecordedResource], None] | None = None,
                 stack_outputs: StackOutputs | None = None) -> Recording:
    """``new_stack``: preview a stack that does not exist yet (computed outputs unknown), as a first
    ``pulumi preview`` sees it; otherwise every output is known, as in a preview of a deployed stack.
    ``fake``: a fake AWS set up for a test (e.g. an impaired zone); default: the region's plain fake.
    ``on_record``: called with each resource as it registers (preflight streams them to the pack).
    ``stack_outputs``: what each ``pulumi.StackReference`` reads (preflight/fake_stack_refs.py); default: a stack of
    this project is previewed on demand, any other reference is refused."""
    fake = fake or FakeAws(settings.region or "us-east-1", new_stack=new_stack)
    fake.stack_outputs = stack_outputs or StackOutputs(project_dir=project_dir, project=settings.project,
                                                       run_local=True)
    monitor = RecordingMonitor(fake, on_record)
    mock_settings = MockSettings(
        monitor=monitor, monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
        engine=MockEngine(None), project=settings.project, stack=settings.stack, dry_run=preview,
        organization="organization", callbacks=None)
    runtime_settings.configure(mock_settings)
    runtime_settings.ROOT.set(None)
    # Offline nobody knows the account's applied quotas: the program's check is off, preflight reports the need
    # against AWS's defaults (quota_report); a test world that gives them (FakeAws(quotas=...)) is checked.
    config = dict(settings.config) if fake.quotas.known else quota_check_off(settings.config)
    runtime_config.set_all_config(config, list(settings.secret_keys))

    program = project_dir / "__main__.py"
    saved_path, saved_cwd = list(sys.path), os.getcwd()
    sys.path.insert(0, str(project_dir))
    os.chdir(project_dir)
    try:
        _sync_await(run_in_stack(lambda: runpy.run_path(str(program), run_name="__main__")))
    except BaseException:
        _cancel_leftover_registrations()
        raise
    finally:
        sys.path[:] = saved_path
        os.chdir(saved_cwd)
    return Recording(settings=settings, resources=monitor.recorded,
                     outputs=plain(monitor.stack_outputs), wire_outputs=monitor.stack_outputs,
                     stack_references={name: r.source for name, r in fake.stack_outputs.served.items()})


__all__ = ["Recording", "RecordedResource", "ProgramError", "run_stack", "run_settings", "plain", "pulumi"]
