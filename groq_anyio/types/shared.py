"""Base classes and the types several API areas share (usage, errors, function definitions).

Response types are tolerant: unknown fields are ignored (the API grows), enum-like fields are plain
``str``, and every optional field accepts ``null``. Request types omit unset fields when encoded,
so only what the caller set is sent.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "CompletionTokensDetails",
    "CompletionUsage",
    "ErrorDebug",
    "ErrorObject",
    "ErrorResponse",
    "FunctionCall",
    "FunctionDefinition",
    "GroqModel",
    "PromptTokensDetails",
    "RequestModel",
    "StreamErrorBody",
    "UsageBreakdown",
    "UsageBreakdownModel",
]

_encode = msgspec.json.Encoder().encode


class GroqModel(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """Base of every response type: a keyword-only msgspec Struct.

    Fields left at their default (mostly ``None``) are left out of :meth:`to_dict` and
    :meth:`to_json`. :meth:`model_dump` and :meth:`model_dump_json` behave like the official
    SDK's pydantic methods (every field, ``None`` included, unless ``exclude_none`` /
    ``exclude_unset`` / ``exclude_defaults`` / ``include`` / ``exclude`` say otherwise; see
    :mod:`groq_anyio.types._dump`). With pydantic installed, the types can be used as fields of
    pydantic models.
    """

    def to_dict(
        self,
        *,
        mode: str = "python",
        use_api_names: bool = True,
        exclude_unset: bool = True,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        warnings: bool = True,
    ) -> dict[str, Any]:
        """Return the value as plain Python builtins (dicts, lists, str, numbers).

        The arguments are the official SDK's: by default fields left at their default are
        left out (``exclude_unset``); ``exclude_unset=False`` lists every field.
        """
        if exclude_unset and not exclude_none and mode == "python":
            out: dict[str, Any] = msgspec.to_builtins(self)
            return out
        from ._dump import dump

        return dump(
            self,
            mode=mode,
            by_alias=use_api_names,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
        )

    def to_json(
        self,
        *,
        indent: int | None = None,
        use_api_names: bool = True,
        exclude_unset: bool = True,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        warnings: bool = True,
    ) -> str:
        """Return the value encoded as JSON: compact unless ``indent`` is given (the official
        SDK indents by 2 by default); other arguments as for :meth:`to_dict`."""
        if exclude_unset and not exclude_none and not indent:
            return _encode(self).decode()
        from ._dump import dump_json

        return dump_json(
            self,
            indent=indent,
            by_alias=use_api_names,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
        )

    def model_dump(
        self,
        *,
        mode: str = "python",
        include: Any = None,
        exclude: Any = None,
        context: Any = None,
        by_alias: bool | None = False,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        round_trip: bool = False,
        warnings: Any = True,
        fallback: Any = None,
        serialize_as_any: bool = False,
    ) -> dict[str, Any]:
        """The value as a dict, with pydantic's ``model_dump`` arguments (the official SDK's)."""
        from ._dump import dump

        return dump(
            self,
            mode=mode,
            include=include,
            exclude=exclude,
            by_alias=by_alias,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
        )

    def model_dump_json(
        self,
        *,
        indent: int | None = None,
        include: Any = None,
        exclude: Any = None,
        context: Any = None,
        by_alias: bool | None = False,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        round_trip: bool = False,
        warnings: Any = True,
        fallback: Any = None,
        serialize_as_any: bool = False,
    ) -> str:
        """The value as JSON text, with pydantic's ``model_dump_json`` arguments."""
        from ._dump import dump_json

        return dump_json(
            self,
            indent=indent,
            include=include,
            exclude=exclude,
            by_alias=by_alias,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
        )

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """Lets pydantic models have fields of this type (only pydantic calls it)."""
        from .._pydantic import struct_core_schema

        return struct_core_schema(cls)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        from .._pydantic import struct_json_schema

        return struct_json_schema(cls)


class RequestModel(GroqModel, gc=True):
    """Base of the request-side types: like :class:`GroqModel`, but may hold arbitrary values.

    Request types carry user-supplied dicts (JSON schemas, metadata), so they stay tracked by the
    garbage collector.
    """


# --------------------------------------------------------------------------------------- usage


class PromptTokensDetails(GroqModel):
    """Breakdown of the prompt tokens."""

    cached_tokens: int | None = None


class CompletionTokensDetails(GroqModel):
    """Breakdown of the completion tokens."""

    reasoning_tokens: int | None = None


class CompletionUsage(GroqModel):
    """Token counts and server-side timings (seconds) for one request.

    The three counts default to ``0`` so a partial usage object (as some ``x_groq`` blocks carry)
    still decodes.

    Attributes:
        prompt_tokens: tokens of the input (messages, tools, documents).
        completion_tokens: tokens generated (reasoning included).
        total_tokens: the sum of the two.
        queue_time: seconds the request waited in Groq's queue.
        prompt_time: seconds spent processing the input.
        completion_time: seconds spent generating.
        total_time: the request's total processing time, in seconds, as Groq reports it.
        prompt_tokens_details: a breakdown of the input tokens (cached ones).
        completion_tokens_details: a breakdown of the generated tokens (reasoning ones).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    queue_time: float | None = None
    prompt_time: float | None = None
    completion_time: float | None = None
    total_time: float | None = None
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None
    #: cache statistics Groq reports in the non-streamed ``x_groq.usage``
    dram_cached_tokens: int | None = None
    sram_cached_tokens: int | None = None


class UsageBreakdownModel(GroqModel):
    """Usage of one model inside a compound (multi-model) request."""

    model: str | None = None
    usage: CompletionUsage | None = None


class UsageBreakdown(GroqModel):
    """Per-model usage for compound systems."""

    models: list[UsageBreakdownModel] | None = None


# -------------------------------------------------------------------------------------- errors


class ErrorDebug(GroqModel):
    """Token-level debug data (only when the request asked for it)."""

    input_token_ids: list[int] | None = None
    input_tokens: list[str] | None = None
    output_token_ids: list[int] | None = None
    output_tokens: list[str] | None = None


class ErrorObject(GroqModel):
    """The ``error`` object of an error body, also sent inside a stream after HTTP 200.

    ``status_code`` is only present on in-band stream errors; ``failed_generation`` carries the
    model output that failed tool or schema validation.
    """

    message: str | None = None
    type: str | None = None
    #: normally a string such as ``"tool_use_failed"``; tolerated as a number
    code: str | int | None = None
    param: str | None = None
    failed_generation: str | None = None
    status_code: int | None = None
    debug: ErrorDebug | None = None
    schema_code: str | None = None
    schema_kind: str | None = None
    schema_path: str | None = None
    schema_path_segments: list[str] | None = None


#: The error object of an in-band stream error (same shape as :class:`ErrorObject`).
StreamErrorBody = ErrorObject


class ErrorResponse(GroqModel):
    """A whole error body: ``{"error": {...}}``."""

    error: ErrorObject | None = None


# ---------------------------------------------------------------------------------- functions


class FunctionDefinition(RequestModel):
    """A function the model may call.

    Attributes:
        name: ``a-z``, ``A-Z``, ``0-9``, ``_`` and ``-``, at most 64 characters.
        description: What the function does; helps the model decide when to call it.
        parameters: A JSON Schema object (``{"type": "object", ...}``) for the arguments.
        strict: Ask for strict adherence to ``parameters``.
    """

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class FunctionCall(GroqModel):
    """A function call as generated by the model.

    ``arguments`` is the model's JSON text; it is not guaranteed to be valid JSON or to match the
    schema, so check it before use.

    Shared by replies (:mod:`.chat_completion`) and requests (:mod:`.chat_params`, an assistant
    message sent back), so it lives here, below both.
    """

    name: str
    arguments: str
