"""A component's ``...Args`` from either form a caller gives it: the dataclass (or a dataclass base of it), or
the mapping of field names that Pulumi's component provider passes when a program in another language creates
the component.

The provider (``pulumi.provider.experimental``, ``ComponentProvider.construct`` -> ``map_inputs``) calls
``Component(name, args, opts)`` with ``args`` a dict: the schema's inputs renamed to the Python field names,
unset inputs absent, nested types as dicts, enums as members. Every component of the package starts with
``args = component_args(TheArgs, args)`` and then reads one typed dataclass, whoever called it.

``None`` on a field that has a default means that default, in both forms: the schema marks an input
optional only through its annotation (``X | None``; the analyzer never reads defaults), so an optional
input is annotated ``X | None = default`` and a caller's ``None`` must not reach the component as a value.
A string for an enum field becomes the member (the stack config hands the program plain strings), and an
unknown one is refused naming the field and the allowed values.

Rejected: a second, package-only Args class per component (a TypedDict for the schema next to the
dataclass for Python): two definitions of every input, and the two drift.
"""

import dataclasses
import inspect
import types
import typing
from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar

A = TypeVar("A")


def component_args(args_type: type[A], args: A | Mapping[str, Any]) -> A:
    if dataclasses.is_dataclass(args) and not isinstance(args, type):  # args_type or a base of it
        given = {f.name: getattr(args, f.name) for f in dataclasses.fields(args) if f.init}
    elif isinstance(args, Mapping):
        given = dict(args)
    else:
        raise TypeError(f"{args_type.__name__} (or a mapping of its fields) expected, got {type(args).__name__}")
    fields = {f.name: f for f in dataclasses.fields(args_type) if f.init}
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise TypeError(f"{args_type.__name__}: unknown field(s) {', '.join(unknown)}; "
                        f"known: {', '.join(sorted(fields))}")
    hints = _annotations(args_type)
    values = {}
    for name, value in given.items():
        field = fields[name]
        has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        if value is None and has_default:
            continue  # the default applies
        values[name] = _coerce(hints[name], value, f"{args_type.__name__}.{name}")
    return args_type(**values)


def _annotations(args_type: type) -> dict[str, Any]:
    """The fields' annotations as written. Not ``typing.get_type_hints``: ``pulumi.Input`` holds a forward
    reference (``"Output[T]"``) that only resolves inside the pulumi package."""
    merged: dict[str, Any] = {}
    for klass in reversed(args_type.__mro__):
        merged.update(inspect.get_annotations(klass))
    return merged


def _coerce(hint: Any, value: Any, where: str) -> Any:
    """Enum members from their values and nested Args from mappings, through Optional, Input and list."""
    for typ in _candidates(hint):
        if isinstance(typ, type) and issubclass(typ, Enum) and not isinstance(value, typ) \
                and isinstance(value, str | int | float | bool):
            try:
                return typ(value)
            except ValueError:
                allowed = ", ".join(repr(m.value) for m in typ)
                raise ValueError(f"{where}: got {value!r}; allowed: {allowed}") from None
        if isinstance(typ, type) and dataclasses.is_dataclass(typ) and isinstance(value, Mapping):
            return component_args(typ, value)
        if typing.get_origin(typ) is list and isinstance(value, list):
            (item,) = typing.get_args(typ)
            return [_coerce(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _candidates(hint: Any) -> list[Any]:
    """The types a value of ``hint`` may have: the members of a Union (``X | None``, ``pulumi.Input[X]``)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [t for t in typing.get_args(hint) if t is not type(None)]
    return [hint]
