"""Checks a Pulumi YAML program against a package schema, as the YAML language host and the engine would refuse it.

For every resource of the package: its type exists, every required input is set, no property is unknown, each
value has the property's type (scalars, arrays, maps, enums by value, object types by their properties), and an
interpolation names an output that exists on the resource it names and has a compatible type. One more rule,
what a generated SDK enforces by its types: a ``plain`` input never takes another resource's output (the
provider would hand the component an Output where it builds names from a string). Invoke results (``variables``
with ``fn::invoke``) are known before any resource, so they may feed plain inputs. Resources of other packages
(``aws:``) are only checked for the outputs they reference.
"""

import re
from typing import Any

INTERPOLATION = re.compile(r"\$\{([^}]+)\}")
ACCESSOR = re.compile(r'\.([A-Za-z_][A-Za-z0-9_]*)|\["([^"]+)"\]|\[(\d+)\]')
ANY = "pulumi.json#/Any"


def check_program(program: dict, schema: dict) -> list[str]:
    package = schema["name"]
    resources = program.get("resources", {})
    variables = set(program.get("variables", {}))
    checker = _Checker(schema, {name: r.get("type", "") for name, r in resources.items()}, variables)
    problems: list[str] = []
    for name, resource in resources.items():
        typ = resource.get("type", "")
        props = resource.get("properties", {}) or {}
        if not typ.startswith(f"{package}:"):
            problems += checker.references(props, f"{name}")
            continue
        spec = schema["resources"].get(typ)
        if spec is None:
            problems.append(f"{name}: type {typ} is not in the schema ({', '.join(sorted(schema['resources']))})")
            continue
        inputs = spec["inputProperties"]
        problems += [f"{name}: required input {k} missing" for k in spec.get("requiredInputs", []) if k not in props]
        for key, value in props.items():
            if key not in inputs:
                problems.append(f"{name}.{key}: no such input of {typ} (known: {', '.join(sorted(inputs))})")
            else:
                problems += checker.value(value, inputs[key], f"{name}.{key}")
    problems += checker.references(program.get("outputs", {}) or {}, "outputs")
    return problems


class _Checker:
    def __init__(self, schema: dict, resource_types: dict[str, str], variables: set[str]):
        self.schema, self.resource_types, self.variables = schema, resource_types, variables

    def value(self, value: Any, spec: dict, where: str, plain: bool | None = None) -> list[str]:
        plain = spec.get("plain", False) if plain is None else plain
        if isinstance(value, str) and INTERPOLATION.search(value):
            return self._interpolated(value, spec, where, plain)
        ref = spec.get("$ref")
        if ref == ANY:
            return self.references(value, where)
        if ref:
            return self._typed(value, self.schema["types"][ref.removeprefix("#/types/")], where, plain)
        kind = spec.get("type")
        if kind == "array":
            if not isinstance(value, list):
                return [f"{where}: expected a list, got {value!r}"]
            return [p for i, v in enumerate(value)
                    for p in self.value(v, spec["items"], f"{where}[{i}]", spec["items"].get("plain", False))]
        if kind == "object":
            if not isinstance(value, dict):
                return [f"{where}: expected a map, got {value!r}"]
            item = spec.get("additionalProperties", {"$ref": ANY})
            return [p for k, v in value.items() for p in self.value(v, item, f"{where}.{k}", item.get("plain", False))]
        return [] if _scalar_ok(value, kind) else [f"{where}: expected {kind}, got {value!r}"]

    def _typed(self, value: Any, typ: dict, where: str, plain: bool) -> list[str]:
        if "enum" in typ:
            allowed = [e["value"] for e in typ["enum"]]
            return [] if value in allowed else [f"{where}: {value!r} is not one of {allowed}"]
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {value!r}"]
        props = typ.get("properties", {})
        problems = [f"{where}: required property {k} missing" for k in typ.get("required", []) if k not in value]
        for key, v in value.items():
            if key not in props:
                problems.append(f"{where}.{key}: no such property (known: {', '.join(sorted(props))})")
            else:
                problems += self.value(v, props[key], f"{where}.{key}")
        return problems

    def _interpolated(self, text: str, spec: dict, where: str, plain: bool) -> list[str]:
        whole = INTERPOLATION.fullmatch(text)
        problems = []
        for expression in INTERPOLATION.findall(text):
            root, source = self._resolve(expression.strip(), where, problems)
            if root in self.resource_types and plain:
                problems.append(f"{where}: plain input takes ${{{expression}}}, an output of resource {root}")
            if whole and source is not None and not _compatible(source, spec, self.schema):
                problems.append(f"{where}: ${{{expression}}} is {_shape(source)}, the input wants {_shape(spec)}")
        if not whole and spec.get("type") != "string":
            problems.append(f"{where}: an interpolated string where the input wants {_shape(spec)}")
        return problems

    def _resolve(self, expression: str, where: str, problems: list[str]) -> tuple[str, dict | None]:
        """The root name and, for an output of a package resource, the schema of what the expression reads."""
        root = re.match(r"[A-Za-z_][A-Za-z0-9_-]*", expression).group(0)
        if root in self.variables:
            return root, None
        if root not in self.resource_types:
            problems.append(f"{where}: ${{{expression}}} names no resource or variable")
            return root, None
        spec = self.schema["resources"].get(self.resource_types[root])
        if spec is None:
            return root, None  # another package's resource: its schema is not at hand
        current: dict | None = {"type": "object", "properties": spec["properties"]}
        for attribute, key, index in ACCESSOR.findall(expression[len(root):]):
            current = self._step(current, attribute, key, index)
            if current is None:
                problems.append(f"{where}: ${{{expression}}}: {self.resource_types[root]} has no such output")
                return root, None
        return root, current

    def _step(self, spec: dict, attribute: str, key: str, index: str) -> dict | None:
        if spec.get("$ref", "").startswith("#/types/"):
            spec = {"type": "object", **self.schema["types"][spec["$ref"].removeprefix("#/types/")]}
        if attribute:
            return spec.get("properties", {}).get(attribute)
        if key:
            return spec.get("additionalProperties") if spec.get("type") == "object" else None
        return spec.get("items") if spec.get("type") == "array" else None

    def references(self, value: Any, where: str) -> list[str]:
        """Interpolations anywhere in ``value`` name existing resources, variables and outputs."""
        problems: list[str] = []
        if isinstance(value, str):
            for expression in INTERPOLATION.findall(value):
                self._resolve(expression.strip(), where, problems)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                problems += self.references(v, f"{where}[{i}]")
        elif isinstance(value, dict):
            for k, v in value.items():
                problems += self.references(v, f"{where}.{k}")
        return problems


def _scalar_ok(value: Any, kind: str | None) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True


def _compatible(source: dict, target: dict, schema: dict) -> bool:
    if ANY in (source.get("$ref"), target.get("$ref")):
        return True
    if source.get("$ref") or target.get("$ref"):
        return source.get("$ref") == target.get("$ref")
    if source.get("type") != target.get("type"):
        return source.get("type") == "integer" and target.get("type") == "number"
    if target.get("type") == "array":
        return _compatible(source["items"], target["items"], schema)
    if target.get("type") == "object" and "additionalProperties" in target:
        return _compatible(source.get("additionalProperties", {"$ref": ANY}), target["additionalProperties"], schema)
    return True


def _shape(spec: dict) -> str:
    if spec.get("$ref"):
        return spec["$ref"].rsplit("/", 1)[-1]
    if spec.get("type") == "array":
        return f"a list of {_shape(spec['items'])}"
    if spec.get("type") == "object" and "additionalProperties" in spec:
        return f"a map of {_shape(spec['additionalProperties'])}"
    return str(spec.get("type"))
