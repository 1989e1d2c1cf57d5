"""Reading ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml`` the way the CLI does, without the CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

PLACEHOLDER = "preflight-placeholder-not-the-real-secret"


class StackFileError(Exception):
    pass


@dataclass
class StackSettings:
    project: str
    stack: str
    config: dict[str, str]  # "namespace:key" -> string (objects JSON-encoded), as the CLI passes them
    secret_keys: list[str] = field(default_factory=list)  # keys whose value holds a secret
    placeholders: list[str] = field(default_factory=list)  # paths of `secure:` values replaced offline

    @property
    def region(self) -> str:
        return self.config.get("aws:region", "")


def _replace_secure(value, path: str, found: list[str]):
    """``secure: v1:...`` cannot be decrypted offline: substitute a placeholder and remember the key."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            found.append(path)
            return PLACEHOLDER
        return {k: _replace_secure(v, f"{path}.{k}", found) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secure(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def _load_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise StackFileError(f"{path} not found") from None
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise StackFileError(f"{path} must be a YAML mapping")
    return data


def read_stack(project_dir: Path, stack: str) -> StackSettings:
    project_file = _load_yaml(project_dir / "Pulumi.yaml")
    project = project_file.get("name")
    if not isinstance(project, str):
        raise StackFileError(f"{project_dir / 'Pulumi.yaml'} has no project name")
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
        raise StackFileError(f"no stack {stack!r}: {stack_file.name} not found (stacks: {', '.join(known)})")
    raw = _load_yaml(stack_file).get("config") or {}
    if not isinstance(raw, dict):
        raise StackFileError(f"{stack_file}: 'config' must be a mapping")

    config: dict[str, str] = {}
    for key, spec in (project_file.get("config") or {}).items():  # project-level defaults
        if isinstance(spec, dict) and "default" in spec:
            config[_qualify(key, project)] = _encode(spec["default"])
    secret_keys: list[str] = []
    placeholders: list[str] = []
    for key, value in raw.items():
        full = _qualify(key, project)
        found: list[str] = []
        value = _replace_secure(value, full, found)
        if found:
            secret_keys.append(full)
            placeholders.extend(found)
        config[full] = _encode(value)
    return StackSettings(project=project, stack=stack, config=config, secret_keys=secret_keys,
                         placeholders=placeholders)


def _qualify(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _encode(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)
