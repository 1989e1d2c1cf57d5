"""Building blocks shared by every policy of the pack.

Validators in this pack never touch pulumi_policy's unknown-checking proxies directly: the wrapper
below unwraps the properties into plain Python values and replaces each preview-time unknown by the
``UNKNOWN`` singleton. A validator therefore cannot crash on an unknown; it must decide explicitly
what an unknown means for it (usually: skip that field, report nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)
from pulumi_policy import proxy as _proxy


class _Unknown:
    """A value the engine cannot know during preview (it depends on another resource's output)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("UNKNOWN has no truth value: test it with is_unknown() first")


UNKNOWN = _Unknown()

_SENTINELS = frozenset({
    _proxy.UNKNOWN_BOOLEAN_VALUE, _proxy.UNKNOWN_NUMBER_VALUE, _proxy.UNKNOWN_STRING_VALUE,
    _proxy.UNKNOWN_ARRAY_VALUE, _proxy.UNKNOWN_ASSET_VALUE, _proxy.UNKNOWN_ARCHIVE_VALUE,
    _proxy.UNKNOWN_OBJECT_VALUE,
})


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def plain(value: Any) -> Any:
    """Unwraps pulumi_policy proxies (and raw sentinels) into plain values with UNKNOWN markers."""
    if isinstance(value, _proxy._DictProxy):  # the SDK offers no public unwrap
        return {k: plain(v) for k, v in value["__target"].items()}
    if isinstance(value, _proxy._ListProxy):
        return [plain(v) for v in value["__target"]]
    if isinstance(value, str):
        return UNKNOWN if value in _SENTINELS else value
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


# ---- typed readers: they return None when the value is absent, UNKNOWN when unknown ----

def get(props: Any, *path: str | int) -> Any:
    """Reads a nested value; None if any step is missing, UNKNOWN if any step is unknown."""
    current = props
    for step in path:
        if is_unknown(current):
            return UNKNOWN
        if isinstance(step, int):
            if not isinstance(current, list) or step >= len(current):
                return None
            current = current[step]
        else:
            if not isinstance(current, dict):
                return None
            current = current.get(step)
        if current is None:
            return None
    return current


def items(props: Any, *path: str) -> list[Any]:
    """A list at path with unknown elements kept as UNKNOWN; [] when absent or the list itself is unknown."""
    value = get(props, *path)
    if isinstance(value, dict):  # single nested block (pulumi v7 maxItems=1 objects)
        return [value]
    return value if isinstance(value, list) else []


def is_true(value: Any) -> bool:
    return value is True


def is_false(value: Any) -> bool:
    return value is False


def known_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def known_num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


# ---- resources as validators see them ----

@dataclass
class Res:
    type: str
    name: str
    urn: str
    props: dict[str, Any]
    protect: bool = False
    provider_props: dict[str, Any] = field(default_factory=dict)
    parent_urn: str | None = None
    dependency_urns: list[str] = field(default_factory=list)
    property_dependency_urns: dict[str, list[str]] = field(default_factory=dict)
    stack_tags: Mapping[str, str] = field(default_factory=dict)

    def get(self, *path: str | int) -> Any:
        return get(self.props, *path)

    def refers_to(self, prop: str, other: Res) -> bool:
        """True when input ``prop`` was computed from ``other`` (property dependency, else any dependency)."""
        if prop in self.property_dependency_urns:
            return other.urn in self.property_dependency_urns[prop]
        return other.urn in self.dependency_urns

    def items(self, *path: str) -> list[Any]:
        return items(self.props, *path)


Report = Callable[[str], None]
StackReport = Callable[[str, str | None], None]


def _provider_props(provider: Any) -> dict[str, Any]:
    if provider is None:
        return {}
    props = plain(provider.props)
    return props if isinstance(props, dict) else {}


def res_from_args(args: Any) -> Res:
    props = plain(args.props)
    return Res(type=args.resource_type, name=args.name, urn=args.urn,
               props=props if isinstance(props, dict) else {},
               protect=bool(args.opts.protect) if args.opts is not None else False,
               provider_props=_provider_props(args.provider),
               parent_urn=args.opts.parent if args.opts is not None else None,
               stack_tags=dict(args.stack_tags))


def res_from_stack_resource(r: Any, stack_tags: Mapping[str, str]) -> Res:
    props = plain(r.props)
    return Res(type=r.resource_type, name=r.name, urn=r.urn,
               props=props if isinstance(props, dict) else {},
               protect=bool(r.opts.protect), provider_props=_provider_props(r.provider),
               parent_urn=r.parent.urn if r.parent is not None else r.opts.parent,
               dependency_urns=[d.urn for d in r.dependencies],
               property_dependency_urns={k: [d.urn for d in v] for k, v in r.property_dependencies.items()},
               stack_tags=dict(stack_tags))


# ---- policy construction ----

def default_level(severity: Severity) -> EnforcementLevel:
    """Mandatory for high and critical, advisory otherwise (issue 5)."""
    if severity in (Severity.HIGH, Severity.CRITICAL):
        return EnforcementLevel.MANDATORY
    return EnforcementLevel.ADVISORY


def _framework(checks: Sequence[str]) -> PolicyComplianceFramework | None:
    if not checks:
        return None
    return PolicyComplianceFramework(name="checkov / AWS Security Hub FSBP / trivy / awsguard",
                                     reference=", ".join(checks))


def _schema(config: Mapping[str, dict[str, Any]] | None) -> PolicyConfigSchema | None:
    if not config:
        return None
    return PolicyConfigSchema(properties={k: dict(v) for k, v in config.items()})


def effective_config(config: Mapping[str, dict[str, Any]] | None, given: Mapping[str, Any]) -> dict[str, Any]:
    """Schema defaults overlaid with the configured values (the SDK does not apply defaults itself)."""
    merged = {k: v["default"] for k, v in (config or {}).items() if "default" in v}
    merged.update({k: plain(v) for k, v in given.items()})
    return merged


# Every policy object built here also records its metadata for the README table and the tests.
REGISTRY: dict[str, dict[str, Any]] = {}


def _register(name: str, types: Iterable[str], severity: Severity, checks: Sequence[str],
              topics: Sequence[str], description: str, stack: bool, reads_every_type: bool = False) -> None:
    if name in REGISTRY:
        raise ValueError(f"duplicate policy name {name}")
    REGISTRY[name] = {"types": list(types), "severity": severity.value, "checks": list(checks),
                      "topics": list(topics), "description": description, "stack": stack,
                      "level": default_level(severity).value, "readsEveryType": reads_every_type}


def stack_policy_types() -> dict[str, frozenset[str] | None]:
    """Stack policy -> the resource types its check reads (None: every type), for _sdk_cache's request filter."""
    return {name: None if meta["readsEveryType"] else frozenset(meta["types"])
            for name, meta in REGISTRY.items() if meta["stack"]}


ResourceCheck = Callable[[Res, dict[str, Any], Report], None]
StackCheck = Callable[[list[Res], dict[str, Any], StackReport], None]


def resource_policy(name: str, description: str, *, severity: Severity, types: Iterable[str],
                    check: ResourceCheck, checks: Sequence[str] = (), topics: Sequence[str] = (),
                    config: Mapping[str, dict[str, Any]] | None = None,
                    remediation: str | None = None) -> ResourceValidationPolicy:
    """A resource policy that runs ``check`` on resources of the given types only."""
    type_set = frozenset(types)

    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        if args.resource_type not in type_set:
            return
        check(res_from_args(args), effective_config(config, args.get_config()),
              lambda message: report_violation(message))

    _register(name, type_set, severity, checks, topics, description, stack=False)
    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=default_level(severity),
        config_schema=_schema(config), severity=severity, framework=_framework(checks),
        tags=list(topics), remediation_steps=remediation)


def stack_policy(name: str, description: str, *, severity: Severity, types: Iterable[str],
                 check: StackCheck, checks: Sequence[str] = (), topics: Sequence[str] = (),
                 config: Mapping[str, dict[str, Any]] | None = None,
                 remediation: str | None = None, reads_every_type: bool = False) -> StackValidationPolicy:
    """A stack policy that sees the resources of the given types only, or every resource with
    ``reads_every_type`` (e.g. "is this group used by anything?"). The SDK hands every policy every resource,
    each freshly deserialized: converting only the ones a check reads keeps AnalyzeStack fast."""
    type_set = frozenset(types)

    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        resources = [res_from_stack_resource(r, args.stack_tags) for r in args.resources
                     if reads_every_type or r.resource_type in type_set]
        check(resources, effective_config(config, args.get_config()),
              lambda message, urn=None: report_violation(message, urn))

    _register(name, type_set, severity, checks, topics, description, stack=True, reads_every_type=reads_every_type)
    return StackValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=default_level(severity),
        config_schema=_schema(config), severity=severity, framework=_framework(checks),
        tags=list(topics), remediation_steps=remediation)


# ---- aws type tokens, checked against the SDK-derived list so a typo fails at import ----

def _aws_type_tokens() -> frozenset[str]:
    import json
    from pathlib import Path

    data = json.loads((Path(__file__).with_name("data") / "aws_tagging.json").read_text())
    return frozenset(data["taggable"]) | frozenset(data["notTaggable"])


AWS_TYPES = _aws_type_tokens()


def aws(module: str, name: str) -> str:
    """The type token of pulumi-aws resource ``name`` in ``module`` (e.g. aws("s3", "BucketPolicy"))."""
    matches = [t for t in AWS_TYPES if t.startswith(f"aws:{module}/") and t.endswith(f":{name}")]
    if len(matches) != 1:
        raise ValueError(f"no unique pulumi-aws type {module}/{name}: {matches}")
    return matches[0]
