"""Hand the recorded resources to the real policy pack, as ``pulumi preview --policy-pack`` does."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pulumi_aws
from google.protobuf import struct_pb2

from .analyzer import AnalyzedResource, PolicyPack, ProviderInfo, struct_from_python
from .runner import RecordedResource, Recording
from .stackfiles import StackSettings

PACK_DIR = Path(__file__).resolve().parent.parent / "policies"
_PROVIDER_VERSIONS = {"aws": pulumi_aws._utilities.get_version()}


@dataclass
class PolicyResult:
    pack: str
    version: str
    policies: list[dict]
    violations: list[dict]
    config_file: str | None

    @property
    def mandatory(self) -> list[dict]:
        return [v for v in self.violations if v["enforcementLevel"] == "mandatory"]

    @property
    def advisory(self) -> list[dict]:
        return [v for v in self.violations if v["enforcementLevel"] != "mandatory"]


def policy_config_for(stack: str, explicit: Path | None, pack_dir: Path = PACK_DIR) -> tuple[dict, str | None]:
    path = explicit or pack_dir / "config" / f"{stack}.json"
    if explicit is None and not path.exists():
        return {}, None
    try:
        return json.loads(Path(path).read_text()), str(path)
    except FileNotFoundError:
        raise ValueError(f"policy config {path} not found") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"policy config {path} is not valid JSON: {exc}") from None


class _Providers:
    """The provider each resource is managed by, with the properties the engine would send."""

    def __init__(self, settings: StackSettings, resources: list[RecordedResource] = ()):
        self.settings = settings
        self.by_urn: dict[str, RecordedResource] = {}
        for r in resources:
            self.add(r)

    def add(self, r: RecordedResource) -> None:
        """Learn a provider resource (providers register before the resources they manage)."""
        if r.type.startswith("pulumi:providers:"):
            self.by_urn[r.urn] = r

    def of(self, r: RecordedResource) -> ProviderInfo | None:
        if r.provider:
            urn = r.provider.split("::")[:-1]
            provider = self.by_urn.get("::".join(urn))
            if provider is not None:
                return ProviderInfo(urn=provider.urn, type=provider.type, name=provider.name,
                                    properties=provider.wire_inputs)
        if not r.custom or r.type.startswith("pulumi:providers:"):
            return None
        return self.default(r.type.split(":")[0])

    def default(self, package: str) -> ProviderInfo:
        """A resource without an explicit provider gets the default provider, configured from the stack's
        ``<package>:*`` config (e.g. ``aws:region``, ``aws:defaultTags``)."""
        settings = self.settings
        props = {}
        for key, value in settings.config.items():
            if key.startswith(f"{package}:"):
                try:
                    props[key.split(":", 1)[1]] = json.loads(value)
                except json.JSONDecodeError:
                    props[key.split(":", 1)[1]] = value
        version = _PROVIDER_VERSIONS.get(package, "")
        name = f"default_{version.replace('.', '_')}" if version else "default"
        urn = f"urn:pulumi:{settings.stack}::{settings.project}::pulumi:providers:{package}::{name}"
        return ProviderInfo(urn=urn, type=f"pulumi:providers:{package}", name=name,
                            properties=struct_from_python(props))


def _analyzed(r: RecordedResource, providers: _Providers, properties: struct_pb2.Struct) -> AnalyzedResource:
    return AnalyzedResource(urn=r.urn, type=r.type, name=r.name, properties=properties, protect=r.protect,
                            parent=r.parent, dependencies=r.dependencies,
                            property_dependencies=r.property_dependencies, provider=providers.of(r))


@contextmanager
def configured_pack(settings: StackSettings, policy_config: dict, *, pack_dir: Path = PACK_DIR,
                    preview: bool = True) -> Iterator[PolicyPack]:
    """A running pack, configured for the stack as the CLI does; ``analyze`` may then be called repeatedly."""
    with PolicyPack(pack_dir) as pack:
        pack.configure_stack(project=settings.project, stack=settings.stack, config=settings.config,
                             secret_keys=settings.secret_keys, dry_run=preview)
        pack.configure(policy_config)  # asks GetAnalyzerInfo first, as the CLI does
        yield pack


def analyze(pack: PolicyPack, recording: Recording) -> list[dict]:
    """Every violation the pack reports for the recording: Analyze per resource, then AnalyzeStack."""
    providers = _Providers(recording.settings, recording.resources)
    violations = []
    for r in recording.resources:
        violations += pack.analyze(_analyzed(r, providers, r.wire_inputs))
    return violations + analyze_stack(pack, recording, providers)


def analyze_stack(pack: PolicyPack, recording: Recording, providers: _Providers) -> list[dict]:
    """AnalyzeStack sees each resource's state (inputs and the provider's outputs)."""
    return pack.analyze_stack([_analyzed(r, providers, r.wire_outputs) for r in recording.resources])


class StreamingAnalysis:
    """Analyze per resource while the program still runs, as the engine calls analyzers at registration.

    ``record`` (the runner's ``on_record``) queues each resource; a worker sends it to the pack once the pack
    is ready. ``finish`` waits for the queue, then runs AnalyzeStack. The program keeps one core, the pack the
    other: a preview costs about the longer of the two instead of their sum.
    """

    _DONE = object()

    def __init__(self, settings: StackSettings, pack_ready: Callable[[], PolicyPack]):
        import queue

        self.providers = _Providers(settings)
        self.violations: list[dict] = []
        self.failure: list[BaseException] = []
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._pack_ready = pack_ready
        self._worker = threading.Thread(target=self._work, name="policy-analyze", daemon=True)
        self._worker.start()

    def record(self, r: RecordedResource) -> None:
        self.providers.add(r)
        self._queue.put(r)

    def _work(self) -> None:
        try:
            pack = self._pack_ready()
            while (r := self._queue.get()) is not self._DONE:
                self.violations += pack.analyze(_analyzed(r, self.providers, r.wire_inputs))
        except BaseException as error:  # re-raised by finish()
            self.failure.append(error)
            while self._queue.get() is not self._DONE:
                pass

    def close(self) -> None:
        """Stop the worker (after the program, whether or not it succeeded)."""
        if self._worker.is_alive():
            self._queue.put(self._DONE)
            self._worker.join()

    def finish(self, recording: Recording, config_file: str | None) -> PolicyResult:
        self.close()
        if self.failure:
            raise self.failure[0]
        pack = self._pack_ready()
        info = pack.info()
        violations = self.violations + analyze_stack(pack, recording, self.providers)
        return PolicyResult(pack=info["pack"], version=info["version"], policies=info["policies"],
                            violations=violations, config_file=config_file)


@contextmanager
def pack_booting(settings: StackSettings, policy_config: dict, *, pack_dir: Path = PACK_DIR,
                 preview: bool = True) -> Iterator[Callable[[], PolicyPack]]:
    """Boots and configures the pack in a thread while the caller runs the program: the CLI, too, knows the
    stack's config before the program runs. Yields a function that waits for the configured pack (and raises
    what its boot raised). The pack's Python start-up then overlaps the program's, on another core."""
    pack = PolicyPack(pack_dir)
    failure: list[BaseException] = []

    def boot() -> None:
        try:
            pack.configure_stack(project=settings.project, stack=settings.stack, config=settings.config,
                                 secret_keys=settings.secret_keys, dry_run=preview)
            pack.configure(policy_config)
        except BaseException as error:  # handed to the caller by ready()
            failure.append(error)

    thread = threading.Thread(target=boot, name="policy-pack-boot", daemon=True)
    thread.start()

    def ready() -> PolicyPack:
        thread.join()
        if failure:
            raise failure[0]
        return pack

    try:
        yield ready
    finally:
        thread.join()
        pack.close()


def policy_result(pack: PolicyPack, recording: Recording, config_file: str | None) -> PolicyResult:
    info = pack.info()
    violations = analyze(pack, recording)
    return PolicyResult(pack=info["pack"], version=info["version"], policies=info["policies"],
                        violations=violations, config_file=config_file)


def run_policies(recording: Recording, *, policy_config: dict, config_file: str | None,
                 pack_dir: Path = PACK_DIR, preview: bool = True) -> PolicyResult:
    with configured_pack(recording.settings, policy_config, pack_dir=pack_dir, preview=preview) as pack:
        return policy_result(pack, recording, config_file)
