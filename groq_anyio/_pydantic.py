"""pydantic interop, used only when pydantic is installed and the caller brings pydantic in.

- A pydantic model class works where a Struct type does: as ``response_format`` /
  ``text_format`` (its ``model_json_schema()`` is sent, the reply is validated into
  ``message.parsed``), in :func:`~groq_anyio.helpers.function_tool` and
  :func:`~groq_anyio.helpers.parse_tool_arguments`.
- The response types (every :class:`~groq_anyio.types.GroqModel`) can be fields of pydantic
  models: :func:`struct_core_schema` is their ``__get_pydantic_core_schema__``.

This module never imports pydantic by itself: :func:`is_pydantic_model` only looks at
``sys.modules`` (a class cannot be a pydantic model unless pydantic is already imported), and
the schema hooks are only ever called by pydantic.
"""

from __future__ import annotations

import sys
from typing import Any

import msgspec

from ._decode_errors import DECODE_ERRORS

__all__ = [
    "PydanticDecoder",
    "is_pydantic_model",
    "pydantic_schema",
    "struct_core_schema",
    "struct_json_schema",
]


def is_pydantic_model(tp: object) -> bool:
    """Whether ``tp`` is a pydantic ``BaseModel`` subclass (without importing pydantic)."""
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not isinstance(tp, type):
        return False
    base = getattr(pydantic, "BaseModel", None)
    return base is not None and issubclass(tp, base)


def pydantic_schema(tp: Any) -> dict[str, Any]:
    """The model's JSON schema (``$defs`` kept at the root, where its ``$ref`` point)."""
    schema: dict[str, Any] = tp.model_json_schema()
    return schema


class PydanticDecoder:
    """Decodes JSON into a pydantic model, failing like a msgspec decoder.

    A validation failure raises ``msgspec.ValidationError`` (and invalid JSON
    ``msgspec.DecodeError``) with pydantic's message, so callers handle one kind of error.
    """

    __slots__ = ("type",)

    def __init__(self, tp: Any) -> None:
        self.type = tp

    def decode(self, data: str | bytes) -> Any:
        from pydantic import ValidationError

        try:
            return self.type.model_validate_json(data)
        except ValidationError as exc:
            if any(e.get("type") == "json_invalid" for e in exc.errors()):
                raise msgspec.DecodeError(str(exc)) from None
            raise msgspec.ValidationError(str(exc)) from None


def struct_core_schema(cls: type[msgspec.Struct]) -> Any:
    """A pydantic-core schema for a Struct type: an instance is kept as is, a dict (or JSON)
    is converted with msgspec, and serialisation gives the Struct's builtins."""
    from pydantic_core import PydanticCustomError, core_schema

    def validate(value: Any) -> Any:
        if isinstance(value, cls):
            return value
        try:
            if isinstance(value, str | bytes | bytearray):
                return msgspec.json.decode(value, type=cls)
            return msgspec.convert(value, cls, from_attributes=True)
        except DECODE_ERRORS as exc:  # ValidationError included
            raise PydanticCustomError(
                "groq_struct", "{type}: {error}", {"type": cls.__name__, "error": str(exc)}
            ) from None

    return core_schema.no_info_plain_validator_function(
        validate,
        serialization=core_schema.plain_serializer_function_ser_schema(
            msgspec.to_builtins, when_used="always"
        ),
    )


def struct_json_schema(cls: type[msgspec.Struct]) -> dict[str, Any]:
    """The Struct's JSON schema with every ``$ref`` inlined (a pydantic model's schema keeps
    its own ``$defs``; a recursive reference becomes ``{}``, any value)."""
    schema: dict[str, Any] = msgspec.json.schema(cls)
    defs: dict[str, Any] = schema.pop("$defs", None) or {}

    def inline(node: Any, seen: frozenset[str]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref[8:]
                if name in seen or name not in defs:
                    return {}
                return inline(defs[name], seen | {name})
            return {k: inline(v, seen) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v, seen) for v in node]
        return node

    result: dict[str, Any] = inline(schema, frozenset())
    return result
