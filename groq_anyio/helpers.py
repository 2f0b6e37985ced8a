"""Helpers for images, tool calling round trips and structured outputs.

Images (vision models)::

    part = image_part("photo.jpg")                # a data URI, media type sniffed from the bytes
    part = image_part("https://example.com/a.png", detail="low")
    messages = [{"role": "user", "content": [{"type": "text", "text": "What is it?"}, part]}]

Groq's limits: base64 images (data URIs) up to 4 MB per request, at most 5 images per request
(both checked before sending); an image URL may point to up to 20 MB, which only the server can
check.

Tool calls::

    tools = [function_tool(GetWeather, description="Current weather of a city")]
    ...
    for call in completion.choices[0].message.tool_calls or ():
        args = parse_tool_arguments(call, GetWeather)     # a GetWeather, or ToolArgumentsError
        messages.append(tool_result_message(call, {"celsius": 21}))

Structured outputs: pass a msgspec Struct type (or :class:`StructuredOutput` for options) as
``response_format``; the reply is decoded and validated into ``message.parsed``::

    c = await client.chat.completions.create(..., response_format=City)
    city: City = c.choices[0].message.parsed

In JSON mode (``json_object`` / ``json_schema`` formats) a reply that is not valid JSON, or does
not match the Struct, raises :class:`StructuredOutputError`, which keeps the raw text.
"""

from __future__ import annotations

import base64
import builtins
import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, overload

import msgspec

from ._decode_errors import DECODE_ERRORS
from ._errors import APIResponseValidationError, InvalidParameterError
from ._pydantic import PydanticDecoder, is_pydantic_model, pydantic_schema
from ._validation import MAX_BASE64_IMAGE_BYTES, MAX_IMAGES_PER_REQUEST
from .types.chat_completion import ChatCompletionMessageToolCall, FunctionCall
from .types.chat_params import (
    AssistantToolCall,
    ResponseFormatJSONObject,
    ResponseFormatJSONSchema,
    ResponseFormatText,
)
from .types.responses import ResponseFunctionToolCall

if TYPE_CHECKING:
    from .types.chat_completion import ChatCompletion
    from .types.chat_param_dicts import ChatCompletionToolParam

__all__ = [
    "MAX_BASE64_IMAGE_BYTES",
    "MAX_IMAGES_PER_REQUEST",
    "MAX_URL_IMAGE_BYTES",
    "StructuredOutput",
    "StructuredOutputError",
    "ToolArgumentsError",
    "function_tool",
    "image_data_uri",
    "image_part",
    "input_image",
    "json_schema",
    "parse_tool_arguments",
    "responses_function_tool",
    "sniff_image_type",
    "tool_result_message",
]

T = TypeVar("T")

#: Largest image Groq fetches from a URL; only the server can check it.
MAX_URL_IMAGE_BYTES: Final = 20 * 1024 * 1024

_IMAGE_EXTENSIONS: Final[Mapping[str, str]] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".jfif": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
_media_type_ok = re.compile(r"image/[A-Za-z0-9][A-Za-z0-9.+-]{0,126}").fullmatch
_name_ok = re.compile(r"[a-zA-Z0-9_-]{1,64}").fullmatch
_DETAILS: Final = frozenset({"auto", "low", "high"})
_json_encode = msgspec.json.Encoder().encode


# ----------------------------------------------------------------------------------- errors


class StructuredOutputError(APIResponseValidationError):
    """A JSON-mode reply is not valid JSON, or does not match the requested type.

    ``content`` is the raw text of the reply and ``completion`` the whole reply (a
    :class:`~groq_anyio.types.ChatCompletion` or :class:`~groq_anyio.types.responses.Response`).
    """

    def __init__(
        self,
        message: str,
        *,
        content: str,
        completion: Any = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id, body=content)
        self.content = content
        self.completion = completion


class ToolArgumentsError(APIResponseValidationError):
    """A tool call's arguments are not valid JSON, or do not match the expected type.

    ``arguments`` is the raw text the model produced; ``tool_name`` and ``call_id`` identify
    the call (answer it with an error message so the model can try again).
    """

    def __init__(
        self, message: str, *, arguments: str, tool_name: str | None, call_id: str | None
    ) -> None:
        super().__init__(message, body=arguments)
        self.arguments = arguments
        self.tool_name = tool_name
        self.call_id = call_id


# ----------------------------------------------------------------------------------- images


def sniff_image_type(data: bytes | bytearray | memoryview) -> str | None:
    """The media type of PNG, JPEG, GIF or WEBP image bytes (by their magic bytes), else None."""
    head = bytes(data[:12])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _is_url(source: object) -> bool:
    return isinstance(source, str) and source.startswith(("https://", "http://"))


def image_data_uri(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview,
    media_type: str | None = None,
) -> str:
    """A ``data:<media type>;base64,...`` URI of an image file (a path) or image bytes.

    The media type is ``media_type`` when given, else sniffed from the bytes (PNG, JPEG, GIF,
    WEBP), else taken from the file extension. The file is read synchronously (images are at
    most a few MB); in a busy event loop run this in a worker thread.

    Raises:
        InvalidParameterError: the file cannot be read, is empty, its type cannot be told, or
            the URI would exceed Groq's 4 MB limit for base64 images.
    """
    path: Path | None = None
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        if isinstance(source, str) and (_is_url(source) or source.startswith("data:")):
            raise InvalidParameterError(
                "source", "is already a URL: pass it as the image URL (see image_part())"
            )
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidParameterError(
                "source", f"cannot read {str(path)!r}: {exc.strerror or exc}"
            ) from None
    else:
        raise InvalidParameterError(
            "source", f"must be a path or bytes, not {type(source).__name__}"
        )
    if not data:
        raise InvalidParameterError("source", "the image is empty")
    if media_type is None:
        media_type = sniff_image_type(data)
        if media_type is None and path is not None:
            media_type = _IMAGE_EXTENSIONS.get(path.suffix.lower())
        if media_type is None:
            raise InvalidParameterError(
                "media_type",
                "cannot tell the image type (not PNG, JPEG, GIF or WEBP): pass media_type=",
            )
    elif not isinstance(media_type, str) or not _media_type_ok(media_type):
        raise InvalidParameterError("media_type", f"must be like 'image/png', got {media_type!r}")
    prefix = f"data:{media_type};base64,"
    size = len(prefix) + 4 * ((len(data) + 2) // 3)
    if size > MAX_BASE64_IMAGE_BYTES:
        raise InvalidParameterError(
            "source",
            f"the image is {size / 1e6:.1f} MB as base64; Groq accepts base64 images up to "
            f"{MAX_BASE64_IMAGE_BYTES // (1024 * 1024)} MB per request: shrink it, or pass a URL "
            f"(up to {MAX_URL_IMAGE_BYTES // (1024 * 1024)} MB)",
        )
    return prefix + base64.b64encode(data).decode("ascii")


def _image_url(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview, media_type: str | None
) -> str:
    if isinstance(source, str):
        if _is_url(source):
            return source
        if source.startswith("data:"):
            if not source.startswith("data:image/") or ";base64," not in source:
                raise InvalidParameterError(
                    "source", "a data URI must look like 'data:image/png;base64,...'"
                )
            if len(source) > MAX_BASE64_IMAGE_BYTES:
                raise InvalidParameterError(
                    "source",
                    f"base64 images may be at most {MAX_BASE64_IMAGE_BYTES // (1024 * 1024)} MB",
                )
            return source
    return image_data_uri(source, media_type)


def _check_detail(detail: str | None) -> None:
    if detail is not None and detail not in _DETAILS:
        raise InvalidParameterError("detail", f"must be 'auto', 'low' or 'high', got {detail!r}")


def image_part(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview,
    *,
    detail: str | None = None,
    media_type: str | None = None,
) -> dict[str, Any]:
    """A chat content part ``{"type": "image_url", "image_url": {"url": ...}}``.

    ``source`` is an ``http(s)://`` URL (sent as is; Groq fetches up to 20 MB), a ``data:`` URI,
    a file path or image bytes (turned into a data URI by :func:`image_data_uri`).
    """
    _check_detail(detail)
    image: dict[str, Any] = {"url": _image_url(source, media_type)}
    if detail is not None:
        image["detail"] = detail
    return {"type": "image_url", "image_url": image}


def input_image(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview,
    *,
    detail: str = "auto",
    media_type: str | None = None,
) -> dict[str, Any]:
    """A Responses API content part ``{"type": "input_image", "image_url": ..., "detail": ...}``
    (``source`` as for :func:`image_part`)."""
    _check_detail(detail)
    return {"type": "input_image", "image_url": _image_url(source, media_type), "detail": detail}


# --------------------------------------------------------------------------- JSON schemas


def _key(tp: object) -> Any:
    """A type as a cache key (typeshed does not call ``type[T]`` hashable)."""
    return tp


@functools.lru_cache(maxsize=256)
def _schema(tp: Any, strict: bool) -> dict[str, Any]:
    """The JSON Schema of ``tp`` with the root inlined (APIs want ``"type": "object"`` there)."""
    try:
        if is_pydantic_model(tp):
            full: dict[str, Any] = pydantic_schema(tp)
        else:
            full = msgspec.json.schema(tp)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError("type", f"has no JSON schema: {exc}") from None
    root = full
    ref = full.get("$ref")
    defs: dict[str, Any] = full.get("$defs") or {}
    if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs:
        root = dict(defs[ref[8:]])
        if len(defs) > 1 or ref.encode() in _json_encode(root):
            root["$defs"] = defs  # nested (or recursive) types keep their definitions
    if root.get("type") != "object":
        raise InvalidParameterError(
            "type", f"must describe a JSON object (a Struct, dataclass or TypedDict), got {tp!r}"
        )
    if strict:
        for schema in (root, *defs.values()):
            if schema.get("type") != "object":
                continue
            props = set(schema.get("properties") or ())
            optional = sorted(props - set(schema.get("required") or ()))
            if optional:
                title = schema.get("title", "the type")
                raise InvalidParameterError(
                    "strict",
                    f"strict mode needs every field to be required, but {title} has defaults "
                    f"for {optional}",
                )
            schema["additionalProperties"] = False
    return root


def json_schema(tp: type[Any], *, strict: bool = False) -> dict[str, Any]:
    """The JSON Schema of a Struct (dataclass, TypedDict) as the API wants it: an object root.

    With ``strict=True`` every object gets ``"additionalProperties": false`` and fields with
    defaults are refused (strict mode wants every field required).

    Raises:
        InvalidParameterError: the type has no JSON schema or is not an object.
    """
    copy: dict[str, Any] = msgspec.json.decode(_json_encode(_schema(_key(tp), strict)))
    return copy  # a private copy


def _tool_name(tp: Any, name: str | None) -> str:
    if name is None:
        name = getattr(tp, "__name__", None)
    if not isinstance(name, str) or not _name_ok(name):
        raise InvalidParameterError("name", "must be 1-64 characters of a-z, A-Z, 0-9, '_' or '-'")
    return name


def function_tool(
    tp: type[Any],
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
) -> ChatCompletionToolParam:
    """A chat tool definition whose parameters are the JSON schema of ``tp``.

    ``name`` defaults to the type's name and ``description`` to nothing (the schema carries the
    type's docstring). Pair it with :func:`parse_tool_arguments` to get a ``tp`` back.
    """
    function: dict[str, Any] = {"name": _tool_name(tp, name)}
    if description is not None:
        function["description"] = description
    function["parameters"] = json_schema(tp, strict=bool(strict))
    if strict is not None:
        function["strict"] = strict
    tool: Any = {"type": "function", "function": function}
    return tool  # type: ignore[no-any-return]


def responses_function_tool(
    tp: type[Any],
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
) -> dict[str, Any]:
    """Like :func:`function_tool`, in the Responses API's flat shape
    (``{"type": "function", "name": ..., "parameters": ...}``)."""
    tool: Any = function_tool(tp, name=name, description=description, strict=strict)
    return {"type": "function", **tool["function"]}


# ------------------------------------------------------------------------------- tool calls


@functools.lru_cache(maxsize=256)
def _decoder(tp: Any) -> msgspec.json.Decoder[Any] | PydanticDecoder:
    if is_pydantic_model(tp):
        return PydanticDecoder(tp)
    return msgspec.json.Decoder(tp)


_any_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder()


def _call_fields(tool_call: object) -> tuple[str | None, str | None, Any]:
    """(call id, function name, arguments) of any tool call shape."""
    if isinstance(tool_call, ChatCompletionMessageToolCall | AssistantToolCall):
        return tool_call.id, tool_call.function.name, tool_call.function.arguments
    if isinstance(tool_call, ResponseFunctionToolCall):
        return tool_call.call_id, tool_call.name, tool_call.arguments
    if isinstance(tool_call, FunctionCall):
        return None, tool_call.name, tool_call.arguments
    if isinstance(tool_call, Mapping):
        fn = tool_call.get("function")
        if isinstance(fn, Mapping):  # chat shape: {"id", "function": {"name", "arguments"}}
            return tool_call.get("id"), fn.get("name"), fn.get("arguments")
        call_id = tool_call.get("call_id", tool_call.get("id"))
        return call_id, tool_call.get("name"), tool_call.get("arguments")
    raise InvalidParameterError(
        "tool_call", f"must be a tool call (a Struct or a dict), not {type(tool_call).__name__}"
    )


@overload
def parse_tool_arguments(tool_call: object, tp: None = None) -> dict[str, Any]: ...


@overload
def parse_tool_arguments(tool_call: object, tp: type[T]) -> T: ...


def parse_tool_arguments(tool_call: object, tp: type[T] | None = None) -> T | dict[str, Any]:
    """Decode a tool call's JSON arguments: into ``tp`` (validated), or into a dict.

    ``tool_call`` is a chat tool call (``message.tool_calls[i]``, Struct or dict), a Responses
    API ``function_call`` item, or a ``FunctionCall``. Empty arguments count as ``{}``.

    Raises:
        ToolArgumentsError: the arguments are not a JSON object or do not match ``tp``; it keeps
            the raw text, the function name and the call id.
    """
    call_id, name, arguments = _call_fields(tool_call)
    if not isinstance(arguments, str):
        raise ToolArgumentsError(
            f"tool call {name!r}: the arguments must be a JSON string, not "
            f"{type(arguments).__name__}",
            arguments=repr(arguments),
            tool_name=name if isinstance(name, str) else None,
            call_id=call_id if isinstance(call_id, str) else None,
        )
    text = arguments if arguments.strip() else "{}"
    try:
        if tp is None:
            value = _any_decoder.decode(text)
            if not isinstance(value, dict):
                raise msgspec.ValidationError(f"Expected `object`, got `{type(value).__name__}`")
            return value
        result: T = _decoder(_key(tp)).decode(text)
        return result
    except DECODE_ERRORS as exc:
        what = "do not match" if isinstance(exc, msgspec.ValidationError) else "are not valid JSON"
        target = getattr(tp, "__name__", "a JSON object") if tp is not None else "a JSON object"
        raise ToolArgumentsError(
            f"tool call {name!r}: the arguments {what} {target}: {exc}",
            arguments=arguments,
            tool_name=name if isinstance(name, str) else None,
            call_id=call_id if isinstance(call_id, str) else None,
        ) from None


def tool_result_message(tool_call: object, content: Any) -> dict[str, Any]:
    """The message answering a tool call, for the next request.

    For a chat tool call: ``{"role": "tool", "tool_call_id": ..., "content": ...}``; for a
    Responses API ``function_call`` item: ``{"type": "function_call_output", "call_id": ...,
    "output": ...}``. ``content`` is sent as is when it is a ``str``, else encoded as JSON
    (dicts, lists, Structs, dataclasses, numbers).
    """
    call_id, _, _ = _call_fields(tool_call)
    if not isinstance(call_id, str) or not call_id:
        raise InvalidParameterError("tool_call", "has no id to answer")
    if isinstance(content, str):
        text = content
    else:
        try:
            text = _json_encode(content).decode()
        except (TypeError, msgspec.EncodeError) as exc:
            raise InvalidParameterError("content", f"cannot be encoded as JSON: {exc}") from None
    responses_shape = isinstance(tool_call, ResponseFunctionToolCall) or (
        isinstance(tool_call, Mapping) and tool_call.get("type") == "function_call"
    )
    if responses_shape:
        return {"type": "function_call_output", "call_id": call_id, "output": text}
    return {"role": "tool", "tool_call_id": call_id, "content": text}


# ------------------------------------------------------------------------ structured outputs


class StructuredOutput(Generic[T]):
    """A structured output request: the type to decode into, with the format's options.

    Pass it (or just the type) as ``response_format`` (chat) or ``text_format`` (Responses
    API). ``strict=True`` asks for constrained decoding (only some models support it; every
    field must be required).
    """

    __slots__ = ("description", "name", "strict", "type")

    def __init__(
        self,
        type: type[T],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool | None = None,
    ) -> None:
        if not isinstance(type, builtins.type):
            raise InvalidParameterError(
                "type", f"must be a type, not {builtins.type(type).__name__}"
            )
        self.type = type
        self.name = _tool_name(type, name)
        self.description = description
        self.strict = strict
        if strict is not None and not isinstance(strict, bool):
            raise InvalidParameterError("strict", "must be a bool")
        _schema(_key(type), bool(strict))  # fail now on a type without an object schema

    def schema(self) -> dict[str, Any]:
        """The JSON Schema sent for this format."""
        return json_schema(self.type, strict=bool(self.strict))

    def _json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.description is not None:
            out["description"] = self.description
        out["schema"] = _schema(_key(self.type), bool(self.strict))
        if self.strict is not None:
            out["strict"] = self.strict
        return out

    def response_format(self) -> dict[str, Any]:
        """The chat ``response_format``: ``{"type": "json_schema", "json_schema": {...}}``."""
        return {"type": "json_schema", "json_schema": self._json_schema()}

    def text_format(self) -> dict[str, Any]:
        """The Responses API ``text.format``: ``{"type": "json_schema", "name": ..., ...}``."""
        return {"type": "json_schema", **self._json_schema()}

    def __repr__(self) -> str:
        return f"StructuredOutput({self.type.__name__}, name={self.name!r}, strict={self.strict})"


class OutputParser:
    """Decodes JSON-mode replies (into a type, or into plain JSON values) and validates them.

    What :func:`resolve_response_format` and :func:`resolve_text_format` hand the chat and
    Responses resources (and their streams); not part of ``__all__``.
    """

    __slots__ = ("decoder", "target")

    def __init__(self, tp: Any) -> None:
        self.decoder = _any_decoder if tp is None else _decoder(tp)
        self.target: str = "JSON" if tp is None else getattr(tp, "__name__", repr(tp))

    def decode(
        self, content: str | None, *, finish_reason: str | None, whole: Any, request_id: str | None
    ) -> Any:
        text = content if content is not None else ""
        try:
            return self.decoder.decode(text)
        except DECODE_ERRORS as exc:
            if finish_reason == "length" or finish_reason == "max_output_tokens":
                why = "the reply was cut short by the token limit, so it is incomplete JSON"
            elif finish_reason is None:
                why = "the reply is not finished"
            elif isinstance(exc, msgspec.ValidationError):
                why = f"it does not match {self.target}: {exc}"
            else:
                why = f"it is not valid JSON: {exc}"
            raise StructuredOutputError(
                f"the structured output could not be decoded: {why}",
                content=text,
                completion=whole,
                request_id=request_id,
            ) from None

    def parse_completion(self, completion: ChatCompletion, request_id: str | None) -> None:
        """Set ``message.parsed`` on every choice (choices with only tool calls are skipped)."""
        for choice in completion.choices:
            message = choice.message
            if not message.content and (message.tool_calls or message.function_call):
                continue
            message.__dict__["parsed"] = self.decode(
                message.content,
                finish_reason=choice.finish_reason,
                whole=completion,
                request_id=request_id,
            )


_json_parser: Final = OutputParser(None)
_PLAIN_FORMATS: Final = frozenset(
    {ResponseFormatText, ResponseFormatJSONObject, ResponseFormatJSONSchema}
)


@functools.lru_cache(maxsize=256)
def _structured(tp: Any) -> StructuredOutput[Any]:
    return StructuredOutput(tp)


@functools.lru_cache(maxsize=256)
def _parser_for(tp: Any) -> OutputParser:
    return OutputParser(tp)


def resolve_response_format(response_format: Any) -> tuple[Any, OutputParser | None]:
    """(what to send, how to decode the reply) for a chat ``response_format`` argument.

    A Struct type or a :class:`StructuredOutput` becomes a ``json_schema`` format decoded into
    that type; JSON modes given as dicts or format Structs are checked to be valid JSON; text
    (and anything unrecognised, left to validation) needs no decoding.
    """
    if isinstance(response_format, dict):
        kind = response_format.get("type")
        if kind == "json_object" or kind == "json_schema":
            return response_format, _json_parser
        return response_format, None
    if isinstance(response_format, StructuredOutput):
        return response_format.response_format(), _parser_for(_key(response_format.type))
    if isinstance(response_format, type):
        if response_format in _PLAIN_FORMATS:
            return response_format, None  # the class instead of an instance: validation says so
        key = _key(response_format)
        try:
            structured = _structured(key)
        except InvalidParameterError as exc:
            raise InvalidParameterError("response_format", exc.message) from None
        return structured.response_format(), _parser_for(key)
    t = type(response_format)
    if t is ResponseFormatJSONObject or t is ResponseFormatJSONSchema:
        return response_format, _json_parser
    return response_format, None


def resolve_text_format(text_format: Any) -> tuple[dict[str, Any], OutputParser]:
    """(``text.format`` to send, its decoder) for the Responses API's ``text_format``."""
    if isinstance(text_format, StructuredOutput):
        return text_format.text_format(), _parser_for(_key(text_format.type))
    if isinstance(text_format, type):
        key = _key(text_format)
        return _structured(key).text_format(), _parser_for(key)
    raise InvalidParameterError(
        "text_format",
        f"must be a Struct type or a StructuredOutput, not {type(text_format).__name__}",
    )
