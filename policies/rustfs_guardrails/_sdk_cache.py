"""Each resource's properties are deserialized once per analysis, not once per policy.

pulumi-policy's analyzer (``pulumi_policy/policy.py`` at the pinned 1.21.0) converts a resource's protobuf
``Struct`` with ``json_format.MessageToDict`` and then ``deserialize_properties`` *inside* its loop over
policies: ``Analyze`` converts one resource once per resource policy, ``AnalyzeStack`` converts every
resource, and its provider, once per stack policy, and wraps each result in a fresh ``unknown_checking_proxy``.
With this pack's ~130 resource and ~50 stack policies
that is the same conversion thousands of times per preview: most of the pack's time on a 500-resource stack,
in the CLI as in preflight.

Both conversions are pure functions of the message, and nothing downstream writes to the result (the SDK
wraps it in a read-only ``Mapping`` proxy, and our checks read it through ``_kit``). So ``install`` replaces
the three names in the SDK's module with memoized versions: ``MessageToDict`` keyed by the message's
deterministic serialization (equal bytes, equal properties), ``deserialize_properties`` and
``unknown_checking_proxy`` keyed by the object they are handed, for objects this cache produced.
The cache is bounded and shared by all calls of one process.

Rejected: one stack policy that runs every stack check (loses per-policy names, enforcement levels and
config in Pulumi Cloud), and a copy of the SDK's servicer with the conversion hoisted out of the loop
(1,400 lines to keep in step with every SDK release). If the SDK's internals change shape, ``install`` does
nothing and the pack is only slower.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

MAX_ENTRIES = 16384


class _Entry:
    """One message's conversions: its dict, the dict's deserialized forms and their proxies."""

    __slots__ = ("message", "as_dict", "forms", "proxies")

    def __init__(self, message: Any, as_dict: dict) -> None:
        self.message, self.as_dict = message, as_dict
        self.forms: dict[bool, Any] = {}
        self.proxies: dict[int, Any] = {}


class _Memo:
    """An LRU of message bytes -> _Entry, with lookups by object identity for the objects it holds alive
    (so an id cannot be reused while its entry exists)."""

    def __init__(self, to_dict: Callable[..., Any], deserialize: Callable[..., Any],
                 proxy: Callable[[Any], Any] | None = None, limit: int = MAX_ENTRIES):
        self._to_dict, self._deserialize, self._proxy, self._limit = to_dict, deserialize, proxy, limit
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._by_id: dict[int, _Entry] = {}  # id of the message, its dict, or a deserialized form
        self._lock = threading.Lock()  # the SDK serves requests from a thread pool
        self.conversions = 0

    def message_to_dict(self, message: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return self._to_dict(message, *args, **kwargs)
        with self._lock:
            entry = self._by_id.get(id(message))
            if entry is not None and entry.message is message:
                return entry.as_dict
        key = message.SerializeToString(deterministic=True)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry.as_dict
        converted = self._to_dict(message)
        with self._lock:
            self.conversions += 1
            entry = self._entries.setdefault(key, _Entry(message, converted))
            self._by_id[id(entry.message)] = self._by_id[id(entry.as_dict)] = entry
            while len(self._entries) > self._limit:
                _, old = self._entries.popitem(last=False)
                for held in (old.message, old.as_dict, *old.forms.values()):
                    self._by_id.pop(id(held), None)
        return entry.as_dict

    def _held(self, value: Any) -> _Entry | None:
        with self._lock:
            entry = self._by_id.get(id(value))
        if entry is None or not (entry.as_dict is value or any(f is value for f in entry.forms.values())):
            return None
        return entry

    def deserialize_properties(self, props: Any, proxy_secrets: bool = False) -> Any:
        entry = self._held(props)
        if entry is None or entry.as_dict is not props:
            return self._deserialize(props, proxy_secrets)
        if proxy_secrets not in entry.forms:
            form = self._deserialize(props, proxy_secrets)
            with self._lock:
                form = entry.forms.setdefault(proxy_secrets, form)
                self._by_id[id(form)] = entry
        return entry.forms[proxy_secrets]

    def unknown_checking_proxy(self, props: Any) -> Any:
        assert self._proxy is not None
        entry = self._held(props)
        if entry is None or entry.as_dict is props:
            return self._proxy(props)
        if id(props) not in entry.proxies:
            entry.proxies.setdefault(id(props), self._proxy(props))
        return entry.proxies[id(props)]


def install() -> _Memo | None:
    """Memoize the SDK analyzer's conversions; returns the memo, or None if the SDK has changed shape."""
    from pulumi_policy import policy as sdk

    json_format = getattr(sdk, "json_format", None)
    deserialize = getattr(sdk, "deserialize_properties", None)
    proxy = getattr(sdk, "unknown_checking_proxy", None)
    if json_format is None or deserialize is None or proxy is None or isinstance(json_format, SimpleNamespace):
        return None
    memo = _Memo(json_format.MessageToDict, deserialize, proxy)
    shim = SimpleNamespace(**{name: getattr(json_format, name) for name in dir(json_format)
                              if not name.startswith("__")})
    shim.MessageToDict = memo.message_to_dict
    sdk.json_format = shim
    sdk.deserialize_properties = memo.deserialize_properties
    sdk.unknown_checking_proxy = memo.unknown_checking_proxy
    return memo


def filter_stack_requests(stack_types: Mapping[str, frozenset[str] | None]) -> bool:
    """AnalyzeStack hands each stack policy only the resources of the types it reads.

    The SDK builds a ``PolicyResource`` for every resource of the stack for every stack policy, and links every
    parent and dependency among them, before the policy looks at one (policy.py ``AnalyzeStack``): on a 64-node
    stack (~1,900 resources, ~50 stack policies) that is most of the pack's time. Our stack checks filter by type
    first (``_kit.stack_policy``), so this runs the SDK's own ``AnalyzeStack`` once per policy with a request
    holding only those types (the whole request for a policy that reads every type, or one this mapping does not
    know). What a check sees is unchanged: the resources of its types, their parents' URNs (``opts.parent``) and
    their dependencies on each other, which is all ``Res.refers_to`` compares. Diagnostics keep the policies'
    order. Returns False, changing nothing, if the SDK's servicer no longer has this shape."""
    from pulumi_policy import policy as sdk

    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    original = getattr(servicer, "AnalyzeStack", None)
    attr = "_PolicyAnalyzerServicer__policies"
    if original is None or getattr(original, "filters_by_type", False):
        return False

    def analyze_stack(self, request, context):
        policies = getattr(self, attr, None)
        if policies is None:
            return original(self, request, context)
        response = sdk.proto.AnalyzeResponse()
        requests: dict[frozenset[str], Any] = {}
        for policy in policies:
            if not isinstance(policy, sdk.StackValidationPolicy):
                continue
            types = stack_types.get(policy.name)
            if types is None:
                sub = request
            elif types not in requests:
                sub = requests[types] = type(request)(resources=[r for r in request.resources if r.type in types])
            else:
                sub = requests[types]
            view = copy.copy(self)  # the servicer serves Analyze from other threads: never mutate it
            setattr(view, attr, [policy])
            result = original(view, sub, context)
            response.diagnostics.extend(result.diagnostics)
            response.not_applicable.extend(result.not_applicable)
        return response

    analyze_stack.filters_by_type = True
    servicer.AnalyzeStack = analyze_stack
    return True
