"""Where a resource runs: its environment (dev/staging/prod), tags as AWS will apply them."""

from __future__ import annotations

import json
import os
from typing import Any

from ._kit import Res, get, is_unknown


def own_tags(res: Res) -> dict[str, Any]:
    """The resource's own tags as a map (ASG tag lists included); unknown map -> {}."""
    tags = res.get("tags")
    if isinstance(tags, dict):
        return tags
    if isinstance(tags, list):  # aws.autoscaling.Group: [{key, value, propagateAtLaunch}]
        return {t.get("key"): t.get("value") for t in tags if isinstance(t, dict) and isinstance(t.get("key"), str)}
    return {}


def default_tags(res: Res) -> dict[str, Any]:
    """The provider's defaultTags (``aws:defaultTags`` / ``default_tags=``), which AWS merges into tagsAll."""
    default = get(res.provider_props, "defaultTags")
    if isinstance(default, str) and not is_unknown(default):
        # Provider inputs that are objects reach the engine JSON-encoded (the SDK serialises provider config).
        try:
            default = json.loads(default)
        except ValueError:
            return {}
    tags = get(default, "tags")
    return tags if isinstance(tags, dict) else {}


def effective_tags(res: Res) -> dict[str, Any]:
    return {**default_tags(res), **own_tags(res)}


def stack_config() -> dict[str, str]:
    """The stack's config as the CLI passes it to the pack process (PULUMI_CONFIG)."""
    try:
        config = json.loads(os.environ.get("PULUMI_CONFIG", "{}"))
    except ValueError:
        return {}
    return config if isinstance(config, dict) else {}


def environment(res: Res | None, cfg: dict[str, Any]) -> str | None:
    """Environment of a resource: policy config, provider defaultTags, own tags, stack config, stack name."""
    if cfg.get("environment"):
        return cfg["environment"]
    if res is not None:
        for tags in (default_tags(res), own_tags(res)):
            value = tags.get("Environment")
            if isinstance(value, str):
                return value
    for key, value in stack_config().items():
        if key.endswith(":environment") and isinstance(value, str):
            return value
    return os.environ.get("PULUMI_STACK") or None


def stack_environment(resources: list[Res], cfg: dict[str, Any]) -> str | None:
    """The stack's environment from its aws resources' providers, else config / stack name."""
    if cfg.get("environment"):
        return cfg["environment"]
    for r in resources:
        value = default_tags(r).get("Environment")
        if isinstance(value, str):
            return value
    return environment(None, cfg)


def is_prod(env: str | None, cfg: dict[str, Any]) -> bool:
    return env is not None and env in cfg.get("productionEnvironments", ["prod"])


ENVIRONMENT_CONFIG = {
    "environment": {"type": "string", "description": "Overrides the environment otherwise read from the "
                    "provider's defaultTags.Environment, the resource's tags or the stack config."},
    "productionEnvironments": {"type": "array", "items": {"type": "string"}, "default": ["prod"]},
}
