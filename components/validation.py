"""A small collector of configuration problems.

Every reader records a problem instead of raising, so that a user sees all their mistakes at once,
each naming the full key (``rustfs-aws:cluster.volume.iops``), the value given and what is allowed.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pulumi

NAMESPACE = "rustfs-aws"
_MISSING = object()


class ConfigError(pulumi.RunError):
    """Raised once, after validation, with every problem found.

    A ``RunError``: the Pulumi language host prints its message without a Python traceback.
    """

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))

    def __str__(self) -> str:
        count = len(self.problems)
        head = f"invalid stack configuration ({count} problem{'s' if count != 1 else ''}):"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


def full_key(path: str) -> str:
    return f"{NAMESPACE}:{path}"


def _show(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else repr(value)


class Problems:
    """Collects problems; readers return a usable fallback so validation can continue."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, value: Any, allowed: str) -> None:
        shown = "missing" if value is _MISSING else f"got {_show(value)}"
        self.items.append(f"{full_key(path)}: {shown}; {allowed}")

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.items)

    # --- readers -------------------------------------------------------------------------------

    def section(self, raw: dict, key: str, path: str, known: set[str]) -> dict:
        value = raw.get(key, {})
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                self.add(path, value, "expected an object (YAML mapping)")
                return {}
        if not isinstance(value, dict):
            self.add(path, value, "expected an object (YAML mapping)")
            return {}
        self.unknown_keys(value, path, known)
        return value

    def unknown_keys(self, obj: dict, path: str, known: set[str]) -> None:
        for key in sorted(set(obj) - known):
            where = f"{path}.{key}" if path else key
            self.add(where, obj[key], f"unknown key; known keys here: {', '.join(sorted(known))}")

    def enum(self, obj: dict, key: str, path: str, allowed: list[str], default: Any = _MISSING) -> Any:
        value = obj.get(key, default)
        if value is _MISSING or value not in allowed:
            self.add(path, value, f"allowed values: {' | '.join(map(str, allowed))}")
            return allowed[0] if default is _MISSING else default
        return value

    def integer(self, obj: dict, key: str, path: str, default: Any, lo: int, hi: int,
                unit: str = "") -> int:
        value = obj.get(key, default)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if value is _MISSING or isinstance(value, bool) or not isinstance(value, int):
            self.add(path, value, f"expected an integer from {lo:,} to {hi:,}{unit}")
            return default if isinstance(default, int) else lo
        if not lo <= value <= hi:
            self.add(path, value, f"allowed range {lo:,}–{hi:,}{unit}")
        return value

    def number(self, obj: dict, key: str, path: str, default: float, lo: float, hi: float) -> float:
        value = obj.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.add(path, value, f"expected a number from {lo:g} to {hi:g}")
            return default
        if not lo <= value <= hi:
            self.add(path, value, f"allowed range {lo:g}–{hi:g}")
        return float(value)

    def boolean(self, obj: dict, key: str, path: str, default: bool) -> bool:
        value = obj.get(key, default)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            self.add(path, value, "expected true or false")
            return default
        return value

    def string(self, obj: dict, key: str, path: str, default: Any = _MISSING, pattern: str = "",
               check=None) -> Any:
        value = obj.get(key, default)
        if value is None and default is None:
            return None
        if value is _MISSING or not isinstance(value, str) or not value:
            self.add(path, value, f"expected a non-empty string{pattern}")
            return "" if default is _MISSING else default
        if check is not None and not check(value):
            self.add(path, value, f"expected{pattern}")
        return value

    def cidr(self, value: Any, path: str, min_prefix: int = 0, max_prefix: int = 32) -> str | None:
        if not isinstance(value, str):
            self.add(path, value, "expected an IPv4 CIDR such as 10.0.0.0/16")
            return None
        try:
            net = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            self.add(path, value, f"expected an IPv4 CIDR such as 10.0.0.0/16 ({exc})")
            return None
        if not min_prefix <= net.prefixlen <= max_prefix:
            self.add(path, value, f"prefix length must be /{min_prefix}–/{max_prefix}")
        return str(net)

    def cidr_list(self, obj: dict, key: str, path: str, default: list[str]) -> list[str]:
        value = obj.get(key, default)
        if not isinstance(value, list):
            self.add(path, value, "expected a list of IPv4 CIDRs")
            return list(default)
        cidrs = [self.cidr(item, f"{path}[{i}]") for i, item in enumerate(value)]
        return [c for c in cidrs if c]

    def string_list(self, obj: dict, key: str, path: str, default: list[str], check=None,
                    what: str = "strings") -> list[str]:
        value = obj.get(key, default)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.add(path, value, f"expected a list of {what}")
            return list(default)
        for i, item in enumerate(value):
            if check is not None and not check(item):
                self.add(f"{path}[{i}]", item, f"expected {what}")
        return list(value)
