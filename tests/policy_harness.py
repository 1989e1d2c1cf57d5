"""Helpers for policy-pack tests: build resources as the engine sends them and run the pack process."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PACK_DIR = REPO / "policies"
for _path in (str(REPO), str(PACK_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from preflight.analyzer import (  # noqa: E402
    UNKNOWN,
    AnalyzedResource,
    PolicyPack,
    ProviderInfo,
    secret,
    struct_from_python,
)

PROJECT = "rustfs-aws"
REQUIRED_TAGS = {"Project": "rustfs", "Environment": "dev", "Owner": "platform", "CostCenter": "cc-42"}

__all__ = ["UNKNOWN", "secret", "aws_provider", "resource", "running_pack", "diags_for", "urn"]


def urn(type_: str, name: str, stack: str = "dev") -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{type_}::{name}"


def aws_provider(default_tags: dict[str, str] | None = None, region: str = "eu-west-1",
                 stack: str = "dev") -> ProviderInfo:
    tags = REQUIRED_TAGS if default_tags is None else default_tags
    props: dict[str, Any] = {"region": region, "version": "7.51.1"}
    if tags:
        # As the Python SDK registers an aws.Provider: object-valued inputs JSON-encoded (see test_preflight).
        props["defaultTags"] = json.dumps({"tags": dict(tags)})
    return ProviderInfo(urn=urn("pulumi:providers:aws", "aws", stack), type="pulumi:providers:aws",
                        name="aws", properties=struct_from_python(props))


def resource(type_: str, name: str, props: dict[str, Any] | None = None, *, protect: bool = False,
             provider: ProviderInfo | None = None, parent: str = "", dependencies: list[str] | None = None,
             property_dependencies: dict[str, list[str]] | None = None,
             stack: str = "dev") -> AnalyzedResource:
    return AnalyzedResource(
        urn=urn(type_, name, stack), type=type_, name=name, properties=struct_from_python(props or {}),
        protect=protect, parent=parent, dependencies=list(dependencies or []),
        property_dependencies=dict(property_dependencies or {}),
        provider=provider if provider is not None else aws_provider(stack=stack))


@contextmanager
def running_pack(stack: str = "dev", config: dict[str, str] | None = None,
                 policy_config: dict[str, Any] | None = None, dry_run: bool = True) -> Iterator[PolicyPack]:
    with PolicyPack(PACK_DIR) as pack:
        pack.configure_stack(project=PROJECT, stack=stack, config=config or {f"{PROJECT}:environment": stack},
                             secret_keys=[], dry_run=dry_run)
        pack.configure(policy_config if policy_config is not None else {})
        yield pack


def diags_for(diagnostics: list[dict[str, Any]], policy: str) -> list[dict[str, Any]]:
    return [d for d in diagnostics if d["policy"] == policy]
