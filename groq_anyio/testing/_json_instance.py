"""A minimal JSON value that conforms to a JSON Schema, for ``response_format: json_schema``.

Theory of operation
-------------------
:func:`minimal_instance` walks the schema once and builds the smallest value it can: an object
with only its ``required`` properties, an array of ``minItems`` items, the lowest number the
bounds allow, a string of ``minLength`` characters (or a sample for a known ``format``), the
first ``enum`` value, the ``const``. ``$ref`` to ``#/...`` pointers (``$defs``, ``definitions``)
is followed, with a depth bound so a recursive schema ends (an optional recursive property is
never generated, as it is not required). ``anyOf``/``oneOf`` take the first branch that is not
``null``-only; ``allOf`` merges its object branches.

What is not attempted: ``pattern`` (a regular expression cannot be inverted in general; the
string is still produced), ``not``, ``if``/``then``, ``dependentRequired``, ``uniqueItems`` with
``minItems > 1`` of an ``enum`` of one value. Groq's strict mode does not allow most of these.
"""

from __future__ import annotations

import math
from typing import Any, Final

__all__ = ["minimal_instance"]

_MAX_DEPTH: Final = 32
_FORMATS: Final = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "hostname": "example.com",
    "duration": "PT1S",
}
_TYPE_ORDER: Final = ("object", "string", "integer", "number", "boolean", "array", "null")


def minimal_instance(schema: Any) -> Any:
    """A small JSON value (dicts, lists, str, int, float, bool, None) valid against ``schema``."""
    return _Walker(schema).value(schema, 0)


class _Walker:
    def __init__(self, root: Any) -> None:
        self.root = root

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return {}
        node = self.root
        for part in ref[1:].lstrip("/").split("/"):
            if not part:
                continue
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return {}
        return node

    def value(self, schema: Any, depth: int) -> Any:
        if schema is True or not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return None if depth > _MAX_DEPTH else {}
        if isinstance(schema.get("$ref"), str):
            target = self.resolve(schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            if rest and isinstance(target, dict):
                target = {**target, **rest}
            return self.value(target, depth + 1)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        for key in ("anyOf", "oneOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                rest = {k: v for k, v in schema.items() if k != key}
                return self.value({**rest, **self.pick(branches)}, depth + 1)
        if isinstance(schema.get("allOf"), list):
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for branch in schema["allOf"]:
                if isinstance(branch, dict) and "$ref" in branch:
                    branch = self.resolve(branch["$ref"])
                merged = _merge(merged, branch if isinstance(branch, dict) else {})
            return self.value(merged, depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((t for t in _TYPE_ORDER if t in kind), None)
        if kind is None:
            kind = _guess_type(schema)
        if kind == "object":
            return self.obj(schema, depth)
        if kind == "array":
            return self.array(schema, depth)
        if kind == "string":
            return _string(schema)
        if kind == "integer":
            return _number(schema, integer=True)
        if kind == "number":
            return _number(schema, integer=False)
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        return {}

    def pick(self, branches: list[Any]) -> dict[str, Any]:
        for branch in branches:
            if isinstance(branch, dict) and branch.get("type") != "null":
                return branch
        first = branches[0]
        return first if isinstance(first, dict) else {}

    def obj(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props = schema.get("properties")
        props = props if isinstance(props, dict) else {}
        required = schema.get("required")
        out: dict[str, Any] = {}
        for name in required if isinstance(required, list) else ():
            if isinstance(name, str):
                out[name] = self.value(props.get(name, {}), depth + 1)
        want = schema.get("minProperties")
        if isinstance(want, int):
            for name, sub in props.items():
                if len(out) >= want:
                    break
                out.setdefault(name, self.value(sub, depth + 1))
        return out

    def array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        want = schema.get("minItems")
        count = want if isinstance(want, int) and want > 0 else 0
        prefix = schema.get("prefixItems")
        prefix = prefix if isinstance(prefix, list) else []
        items = schema.get("items", {})
        if isinstance(items, list):  # draft 4-7 tuple form
            prefix, items = items, schema.get("additionalItems", {})
        out = [self.value(sub, depth + 1) for sub in prefix[:count]]
        for _ in range(len(out), count):
            out.append(self.value(items if isinstance(items, dict) else {}, depth + 1))
        return out


def _guess_type(schema: dict[str, Any]) -> str | None:
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema or "minItems" in schema:
        return "array"
    if "minLength" in schema or "format" in schema or "pattern" in schema:
        return "string"
    if "minimum" in schema or "maximum" in schema or "multipleOf" in schema:
        return "number"
    return None


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = {**a, **{k: v for k, v in b.items() if k not in ("properties", "required")}}
    props = {**(a.get("properties") or {}), **(b.get("properties") or {})}
    required = [*(a.get("required") or []), *(b.get("required") or [])]
    if props:
        out["properties"] = props
    if required:
        out["required"] = list(dict.fromkeys(required))
    return out


def _string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    text = _FORMATS.get(fmt, "") if isinstance(fmt, str) else ""
    low = schema.get("minLength")
    if isinstance(low, int) and len(text) < low:
        text += "a" * (low - len(text))
    high = schema.get("maxLength")
    if isinstance(high, int) and len(text) > high:
        text = "a" * max(high, low if isinstance(low, int) else 0)
    return text


def _number(schema: dict[str, Any], *, integer: bool) -> int | float:
    low = _bound(schema, "minimum", "exclusiveMinimum", up=True, integer=integer)
    high = _bound(schema, "maximum", "exclusiveMaximum", up=False, integer=integer)
    value: float = 0
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
        value = math.ceil(value / step) * step
        if high is not None and value > high:
            value -= step
        if integer and value != int(value):
            value = math.ceil(value)
    return int(value) if integer else float(value)


def _bound(
    schema: dict[str, Any], inclusive: str, exclusive: str, *, up: bool, integer: bool
) -> float | None:
    out: float | None = None
    value = schema.get(inclusive)
    if isinstance(value, int | float) and not isinstance(value, bool):
        out = math.ceil(value) if integer and up else math.floor(value) if integer else value
    value = schema.get(exclusive)
    if isinstance(value, bool) and value and out is not None:  # draft 4 boolean form
        value = out
        out = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        edge: float
        if integer:
            edge = math.floor(value) + 1 if up else math.ceil(value) - 1
        else:
            nudge = max(abs(value) * 1e-9, 1e-6)
            edge = value + nudge if up else value - nudge
        out = edge if out is None else (max(out, edge) if up else min(out, edge))
    return out
