"""A structural check of a JSON Schema (tool ``parameters``, ``json_schema.schema``) before sending.

Rules and theory of operation:

* What is checked is the schema itself, not an instance: every keyword this module knows must
  have the shape the JSON Schema 2020-12 meta-schema gives it (``type`` a type name or a list of
  distinct names, ``properties`` an object of schemas, ``required`` a list of distinct strings,
  ``items`` a schema (or, as in drafts 4-2019, a list of schemas), ``enum`` a list, ``anyOf`` /
  ``allOf`` / ``oneOf`` non-empty lists of schemas, the numeric and length keywords numbers /
  non-negative integers, ...). Subschemas are checked recursively, with their path.
* Unknown keywords are allowed, as JSON Schema says (vendor keywords, ``nullable``, ...).
* Beyond the meta-schema, only mistakes no instance could ever satisfy are refused: an ``enum``
  (or ``const``) value outside the schema's own ``type``, a minimum above its maximum, and a
  ``required`` name that is neither in ``properties`` nor allowed by ``additionalProperties``
  or ``patternProperties``.
* The root of a tool's ``parameters`` must be ``"type": "object"`` (what the API takes).
* Bounded: nesting deeper than :data:`MAX_DEPTH` is refused (no ``RecursionError``, no cycles).
* Only :class:`~groq_anyio._errors.InvalidParameterError` leaves this module; ``param`` is the
  path of the offending value, such as ``tools[0].function.parameters.properties.unit.enum``.
"""

from __future__ import annotations

from typing import Any, Final, NoReturn

from ._errors import InvalidParameterError

__all__ = ["MAX_DEPTH", "check_schema"]

MAX_DEPTH: Final = 64
TYPES: Final = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})

# keyword -> what its value must be
_SCHEMA_KEYS: Final = frozenset(
    {
        "additionalProperties",
        "additionalItems",
        "unevaluatedProperties",
        "unevaluatedItems",
        "contains",
        "propertyNames",
        "not",
        "if",
        "then",
        "else",
    }
)
_SCHEMA_MAP_KEYS: Final = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
_SCHEMA_LIST_KEYS: Final = frozenset({"anyOf", "allOf", "oneOf"})
_NUMBER_KEYS: Final = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
)
_COUNT_KEYS: Final = frozenset(
    {
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "minContains",
        "maxContains",
    }
)
_STRING_KEYS: Final = frozenset(
    {"title", "description", "pattern", "format", "$ref", "$id", "$schema", "$anchor", "$comment"}
)
_BOOL_KEYS: Final = frozenset({"uniqueItems", "readOnly", "writeOnly", "deprecated"})
_RANGES: Final = (
    ("minimum", "maximum"),
    ("minLength", "maxLength"),
    ("minItems", "maxItems"),
    ("minProperties", "maxProperties"),
    ("minContains", "maxContains"),
)


def _fail(param: str, message: str) -> NoReturn:
    raise InvalidParameterError(param, message)


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_count(v: object) -> bool:
    if isinstance(v, float):
        return v.is_integer() and v >= 0  # JSON Schema: 1.0 is an integer
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def check_schema(param: str, schema: object, *, root_object: bool = False) -> None:
    """Check ``schema`` (found at ``param``); raise :class:`InvalidParameterError` on a mistake.

    ``root_object``: the schema must be an object schema (``"type": "object"``), as tool
    ``parameters`` must.
    """
    if not isinstance(schema, dict):
        _fail(param, f"must be a JSON Schema object (a dict), not {type(schema).__name__}")
    if root_object and schema and schema.get("type") != "object":
        _fail(param, 'must be a JSON Schema with "type": "object"')
    _check(param, schema, 0)


def _check(param: str, schema: object, depth: int) -> None:
    if schema is True or schema is False:
        return
    if not isinstance(schema, dict):
        _fail(param, f"a schema must be an object or a bool, not {type(schema).__name__}")
    if depth > MAX_DEPTH:
        _fail(param, f"the schema is nested more than {MAX_DEPTH} levels deep")
    for key, value in schema.items():
        if not isinstance(key, str):
            _fail(param, f"schema keywords must be strings, got {key!r}")
        where = f"{param}.{key}"
        if key == "type":
            _check_type(where, value)
        elif key in _SCHEMA_KEYS:
            _check(where, value, depth + 1)
        elif key in _SCHEMA_MAP_KEYS:
            if not isinstance(value, dict):
                _fail(where, f"must be an object of schemas, not {type(value).__name__}")
            for name, sub in value.items():
                if not isinstance(name, str):
                    _fail(where, f"names must be strings, got {name!r}")
                _check(f"{where}.{name}", sub, depth + 1)
        elif key in _SCHEMA_LIST_KEYS:
            if not isinstance(value, list) or not value:
                _fail(where, "must be a non-empty list of schemas")
            for n, sub in enumerate(value):
                _check(f"{where}[{n}]", sub, depth + 1)
        elif key == "items":
            if isinstance(value, list):  # drafts 4 to 2019-09: one schema per position
                for n, sub in enumerate(value):
                    _check(f"{where}[{n}]", sub, depth + 1)
            else:
                _check(where, value, depth + 1)
        elif key == "prefixItems":
            if not isinstance(value, list) or not value:
                _fail(where, "must be a non-empty list of schemas")
            for n, sub in enumerate(value):
                _check(f"{where}[{n}]", sub, depth + 1)
        elif key == "required":
            _check_names(where, value)
        elif key == "enum":
            if not isinstance(value, list):
                _fail(where, f"must be a list of allowed values, not {type(value).__name__}")
        elif key in _NUMBER_KEYS:
            if not _is_number(value):
                _fail(where, f"must be a number, not {type(value).__name__}")
            if key == "multipleOf" and not value > 0:
                _fail(where, f"must be greater than 0, got {value!r}")
        elif key in _COUNT_KEYS:
            if not _is_count(value):
                _fail(where, f"must be a non-negative integer, got {value!r}")
        elif key in _STRING_KEYS:
            if not isinstance(value, str):
                _fail(where, f"must be a string, not {type(value).__name__}")
        elif key in _BOOL_KEYS:
            if type(value) is not bool:
                _fail(where, f"must be a bool, not {type(value).__name__}")
        elif key == "dependentRequired":
            if not isinstance(value, dict):
                _fail(where, f"must be an object of name lists, not {type(value).__name__}")
            for name, names in value.items():
                _check_names(f"{where}.{name}", names)
    _check_satisfiable(param, schema)


def _check_type(where: str, value: object) -> None:
    if isinstance(value, str):
        if value not in TYPES:
            _fail(where, f"must be one of {sorted(TYPES)} (or a list of them), got {value!r}")
        return
    if not isinstance(value, list) or not value:
        _fail(where, "must be a type name or a non-empty list of type names")
    for n, name in enumerate(value):
        if not isinstance(name, str) or name not in TYPES:
            _fail(f"{where}[{n}]", f"must be one of {sorted(TYPES)}, got {name!r}")
    if len(set(value)) != len(value):
        _fail(where, "lists a type more than once")


def _check_names(where: str, value: object) -> None:
    if not isinstance(value, list):
        _fail(where, f"must be a list of property names, not {type(value).__name__}")
    for n, name in enumerate(value):
        if not isinstance(name, str):
            _fail(f"{where}[{n}]", f"must be a string, not {type(name).__name__}")
    if len(set(value)) != len(value):
        _fail(where, "lists a name more than once")


def _json_type_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _matches(value: object, types: set[str]) -> bool:
    kind = _json_type_of(value)
    return kind in types or (kind == "integer" and "number" in types)


def _check_satisfiable(param: str, schema: dict[Any, Any]) -> None:
    """Mistakes the meta-schema allows but no instance could satisfy (the schema is valid)."""
    declared = schema.get("type")
    if declared is not None:
        types = {declared} if isinstance(declared, str) else set(declared)
        enum = schema.get("enum")
        if enum is not None:
            for n, value in enumerate(enum):
                if not _matches(value, types):
                    _fail(
                        f"{param}.enum[{n}]",
                        f"{value!r} is not of the schema's type {declared!r}: no value can match",
                    )
        if "const" in schema and not _matches(schema["const"], types):
            _fail(f"{param}.const", f"is not of the schema's type {declared!r}")
    for low, high in _RANGES:
        lo, hi = schema.get(low), schema.get(high)
        if lo is not None and hi is not None and lo > hi:
            _fail(f"{param}.{low}", f"{lo!r} is above {high} {hi!r}: no value can match")
    required = schema.get("required")
    if (
        required
        and schema.get("additionalProperties") is False
        and not schema.get("patternProperties")
    ):
        props = schema.get("properties") or {}
        for n, name in enumerate(required):
            if name not in props:
                _fail(
                    f"{param}.required[{n}]",
                    f"{name!r} is required but not in properties, and additionalProperties is "
                    "false: no object can match",
                )
