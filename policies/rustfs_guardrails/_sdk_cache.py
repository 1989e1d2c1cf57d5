"""Each resource's properties are deserialized once per analysis, not once per policy.

pulumi-policy's analyzer (``pulumi_policy/policy.py`` at the pinned 1.21.0) converts a resource's protobuf
``Struct`` with ``json_format.MessageToDict`` and then ``deserialize_properties`` *inside* its loop over
policies: ``Analyze`` converts one resource once per resource policy, ``AnalyzeStack`` converts every
resource, and its provider, once per stack policy. With this pack's ~130 resource and ~50 stack policies
that is the same conversion thousands of times per preview: most of the pack's time on a 500-resource stack,
in the CLI as in preflight.

Both conversions are pure functions of the message, and nothing downstream writes to the result (the SDK
wraps it in a read-only ``Mapping`` proxy, and our checks read it through ``_kit``). So ``install`` replaces
the two names in the SDK's module with memoized versions: ``MessageToDict`` keyed by the message's
deterministic serialization (equal bytes, equal properties), ``deserialize_properties`` keyed by the dict it
was handed, for dicts this cache produced. The cache is bounded and shared by all calls of one process.

Rejected: one stack policy that runs every stack check (loses per-policy names, enforcement levels and
config in Pulumi Cloud), and a copy of the SDK's servicer with the conversion hoisted out of the loop
(1,400 lines to keep in step with every SDK release). If the SDK's internals change shape, ``install`` does
nothing and the pack is only slower.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

MAX_ENTRIES = 16384


class _Memo:
    """An LRU of message bytes -> (the dict made from it, its deserialized forms)."""

    def __init__(self, to_dict: Callable[..., Any], deserialize: Callable[..., Any], limit: int = MAX_ENTRIES):
        self._to_dict, self._deserialize, self._limit = to_dict, deserialize, limit
        self._entries: OrderedDict[bytes, tuple[dict, dict[bool, Any]]] = OrderedDict()
        self._by_dict: dict[int, tuple[dict, dict[bool, Any]]] = {}
        self._lock = threading.Lock()  # the SDK serves requests from a thread pool
        self.conversions = 0

    def message_to_dict(self, message: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return self._to_dict(message, *args, **kwargs)
        key = message.SerializeToString(deterministic=True)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry[0]
        converted = self._to_dict(message)
        with self._lock:
            self.conversions += 1
            entry = self._entries.setdefault(key, (converted, {}))
            self._by_dict[id(entry[0])] = entry
            while len(self._entries) > self._limit:
                _, (old, _forms) = self._entries.popitem(last=False)
                self._by_dict.pop(id(old), None)
        return entry[0]

    def deserialize_properties(self, props: Any, proxy_secrets: bool = False) -> Any:
        with self._lock:
            entry = self._by_dict.get(id(props))
        if entry is None or entry[0] is not props:
            return self._deserialize(props, proxy_secrets)
        forms = entry[1]
        if proxy_secrets not in forms:
            forms[proxy_secrets] = self._deserialize(props, proxy_secrets)
        return forms[proxy_secrets]


def install() -> _Memo | None:
    """Memoize the SDK analyzer's two conversions; returns the memo, or None if the SDK has changed shape."""
    from pulumi_policy import policy as sdk

    json_format = getattr(sdk, "json_format", None)
    deserialize = getattr(sdk, "deserialize_properties", None)
    if json_format is None or deserialize is None or isinstance(json_format, SimpleNamespace):
        return None
    memo = _Memo(json_format.MessageToDict, deserialize)
    shim = SimpleNamespace(**{name: getattr(json_format, name) for name in dir(json_format)
                              if not name.startswith("__")})
    shim.MessageToDict = memo.message_to_dict
    sdk.json_format = shim
    sdk.deserialize_properties = memo.deserialize_properties
    return memo
