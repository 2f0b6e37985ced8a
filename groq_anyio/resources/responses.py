"""``client.responses.create``: Groq's Responses API (beta), plain or streamed.

Groq documents a subset of OpenAI's Responses API: ``model``, ``input``, ``instructions``,
``tools`` (functions, plus Groq's built-in tools), ``tool_choice``, ``temperature``, ``top_p``,
``max_output_tokens``, ``reasoning``, ``text`` (output format), ``metadata`` (up to 16 pairs),
``parallel_tool_calls``, ``store`` (``False`` only), ``stream``, ``user``, ``service_tier`` and
``truncation``. The API keeps no conversation state: ``previous_response_id`` is passed through
but Groq rejects it, so resend the conversation (:meth:`Response.to_input_items`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NoReturn, overload

import msgspec

from .._config import Timeout
from .._decode_errors import DECODE_ERRORS
from .._errors import InvalidParameterError, make_status_error
from .._notgiven import NOT_GIVEN, NotGiven
from .._responses_stream import ResponseStream, status_for_error_code
from .._timings import start_timings
from ..helpers import OutputParser, resolve_text_format
from ..types.responses import Response, ResponseCreateRequest, decode_response
from ._common import APIResource, as_list, encode_json, invalid_response

if TYPE_CHECKING:
    from .._requester import Requester

__all__ = ["Responses"]

_PATH = "/responses"
MAX_TOOLS = 128
MAX_METADATA = 16
_TOOL_CHOICE_MODES = frozenset({"none", "auto", "required"})
_TRUNCATIONS = frozenset({"auto", "disabled"})
_REASONING_EFFORTS = frozenset({"none", "default", "minimal", "low", "medium", "high"})
_MESSAGE_ROLES = frozenset({"user", "assistant", "system", "developer"})


class Responses(APIResource):
    """``client.responses``: the Responses API (``create``, whole or streamed; ``POST
    /responses``)."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    @overload
    async def create(
        self,
        *,
        model: str,
        input: str | Iterable[Any],
        stream: Literal[True],
        instructions: str | None = None,
        tools: Iterable[Any] | None = None,
        tool_choice: Any = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_output_tokens: int | None = None,
        max_tool_calls: int | None = None,
        reasoning: Any = None,
        text: Any = None,
        text_format: Any = None,
        metadata: Mapping[str, str] | None = None,
        parallel_tool_calls: bool | None = None,
        store: bool | None = None,
        user: str | None = None,
        previous_response_id: str | None = None,
        truncation: str | None = None,
        service_tier: str | None = None,
        include: Sequence[str] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | Timeout | None | NotGiven = NOT_GIVEN,
    ) -> ResponseStream: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        input: str | Iterable[Any],
        stream: Literal[False] | None = None,
        instructions: str | None = None,
        tools: Iterable[Any] | None = None,
        tool_choice: Any = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_output_tokens: int | None = None,
        max_tool_calls: int | None = None,
        reasoning: Any = None,
        text: Any = None,
        text_format: Any = None,
        metadata: Mapping[str, str] | None = None,
        parallel_tool_calls: bool | None = None,
        store: bool | None = None,
        user: str | None = None,
        previous_response_id: str | None = None,
        truncation: str | None = None,
        service_tier: str | None = None,
        include: Sequence[str] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | Timeout | None | NotGiven = NOT_GIVEN,
    ) -> Response: ...

    async def create(
        self,
        *,
        model: str,
        input: str | Iterable[Any],
        stream: bool | None = None,
        instructions: str | None = None,
        tools: Iterable[Any] | None = None,
        tool_choice: Any = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_output_tokens: int | None = None,
        max_tool_calls: int | None = None,
        reasoning: Any = None,
        text: Any = None,
        text_format: Any = None,
        metadata: Mapping[str, str] | None = None,
        parallel_tool_calls: bool | None = None,
        store: bool | None = None,
        user: str | None = None,
        previous_response_id: str | None = None,
        truncation: str | None = None,
        service_tier: str | None = None,
        include: Sequence[str] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | Timeout | None | NotGiven = NOT_GIVEN,
    ) -> Response | ResponseStream:
        """Create a model response; with ``stream=True`` a :class:`ResponseStream` of events.

        ``input`` is a string (one user message) or a list of input items (dicts or Structs).
        ``text_format`` (a msgspec Struct type or a
        :class:`~groq_anyio.helpers.StructuredOutput`) sets ``text.format`` to its JSON schema
        and decodes the output into ``response.output_parsed``. ``None`` means "not sent";
        everything is validated before any byte goes out.

        Raises:
            InvalidParameterError: an argument is invalid (nothing was sent).
            APIStatusError: the API answered with an error, or the response failed.
            StructuredOutputError: with ``text_format``, the output does not decode.
        """
        timings = start_timings()
        client = self._client
        if stream is not None and not isinstance(stream, bool):
            raise InvalidParameterError("stream", "must be a bool")
        parser: OutputParser | None = None
        if text_format is not None:
            fmt, parser = resolve_text_format(text_format)
            if text is None:
                text = {"format": fmt}
            elif isinstance(text, Mapping):
                text = {**text, "format": fmt}
            else:
                raise InvalidParameterError("text", "must be a dict when text_format is given")
        request = ResponseCreateRequest(
            model=model,
            input=input if isinstance(input, str | list) else as_list("input", input),
            instructions=instructions,
            tools=_opt_list("tools", tools),
            tool_choice=tool_choice,
            temperature=temperature,
            top_p=top_p,
            max_output_tokens=max_output_tokens,
            max_tool_calls=max_tool_calls,
            reasoning=reasoning,
            text=text,
            stream=True if stream else None,
            metadata=metadata,
            parallel_tool_calls=parallel_tool_calls,
            store=store,
            user=user,
            previous_response_id=previous_response_id,
            truncation=truncation,
            service_tier=service_tier,
            include=include,
        )
        validate_response_request(request)
        options = client._request_options(timeout, extra_headers, extra_query)
        body = encode_json(request, extra_body)
        if stream:
            # the pipeline returns once the first event is in: until then a failure is retried
            factory: Any = (
                ResponseStream
                if parser is None
                else functools.partial(ResponseStream, parser=parser)
            )
            opened = await client._open_stream(
                b"POST", _PATH, body, options=options, timings=timings, open_stream=factory
            )
            assert isinstance(opened, ResponseStream)
            return opened
        raw, data = await client._send(b"POST", _PATH, body, options=options, timings=timings)
        assert data is not None
        try:
            response = decode_response(data)
        except DECODE_ERRORS as exc:
            raise invalid_response(raw, data, "a Responses API response", exc) from None
        response._attach(raw, timings)
        if response.status == "failed":
            _raise_failed(response, raw.headers)
        if parser is not None:
            reason = "stop"
            if response.status == "incomplete":
                details = response.incomplete_details
                reason = (details.reason if details is not None else None) or "incomplete"
            response.__dict__["parsed"] = parser.decode(
                response.output_text,
                finish_reason=reason,
                whole=response,
                request_id=raw.header(b"x-request-id"),
            )
        return response


def _raise_failed(response: Response, headers: dict[str, str]) -> NoReturn:
    error = msgspec.to_builtins(response.error) if response.error is not None else {}
    if not error.get("message"):
        error["message"] = "the response failed"
    raise make_status_error(
        status_for_error_code(error), {"error": error}, headers=headers, partial=response
    )


# ---------------------------------------------------------------------------------- validation


def _fail(param: str, message: str) -> NoReturn:
    raise InvalidParameterError(param, message)


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_range(param: str, v: object, lo: float, hi: float) -> None:
    if v is not None and (not _is_number(v) or not lo <= v <= hi):  # type: ignore[operator]
        _fail(param, f"must be a number between {lo:g} and {hi:g}, got {v!r}")


def _check_type(param: str, v: object, types: type | tuple[type, ...], what: str) -> None:
    if v is not None and not isinstance(v, types):
        _fail(param, f"must be {what}, not {type(v).__name__}")


def _check_bool(param: str, v: object) -> None:
    if v is not None and type(v) is not bool:
        _fail(param, f"must be a bool, not {type(v).__name__}")


def _kind(value: object) -> Any:
    """The ``type`` of a dict or of a Struct carrying one (None if it has none)."""
    if isinstance(value, Mapping):
        return value.get("type")
    if isinstance(value, msgspec.Struct):
        tag = value.__struct_config__.tag
        return tag if isinstance(tag, str) else getattr(value, "type", None)
    return None


def _check_input(items: object) -> None:
    if isinstance(items, str):
        if not items:
            _fail("input", "must not be empty")
        return
    if not isinstance(items, list):
        _fail("input", f"must be a string or a list of input items, not {type(items).__name__}")
    if not items:
        _fail("input", "must contain at least one item")
    for i, item in enumerate(items):
        if not isinstance(item, Mapping | msgspec.Struct):
            _fail(f"input[{i}]", f"must be an input item (a dict), not {type(item).__name__}")
        kind = _kind(item)
        role = item.get("role") if isinstance(item, Mapping) else getattr(item, "role", None)
        if kind is None and role is None:
            _fail(f"input[{i}]", "needs a 'role' (a message) or a 'type'")
        if kind is not None and not isinstance(kind, str):
            _fail(f"input[{i}].type", "must be a string")
        if role is not None and role not in _MESSAGE_ROLES:
            _fail(f"input[{i}].role", f"must be one of {sorted(_MESSAGE_ROLES)}, got {role!r}")
        if role is not None and isinstance(item, Mapping):
            content = item.get("content")
            if not isinstance(content, str | list):
                _fail(f"input[{i}].content", "must be a string or a list of content parts")
            if isinstance(content, list):
                for j, part in enumerate(content):
                    if not isinstance(_kind(part), str):
                        _fail(f"input[{i}].content[{j}]", "must be a content part with a 'type'")
        elif kind == "function_call_output" and isinstance(item, Mapping):
            if not isinstance(item.get("call_id"), str):
                _fail(f"input[{i}].call_id", "a function_call_output needs the call's call_id")
            if not isinstance(item.get("output"), str):
                _fail(f"input[{i}].output", "must be a string (encode JSON results)")


def _check_tools(tools: list[Any]) -> set[str]:
    if len(tools) > MAX_TOOLS:
        _fail("tools", f"at most {MAX_TOOLS} tools are supported, got {len(tools)}")
    names: set[str] = set()
    for k, tool in enumerate(tools):
        kind = _kind(tool)
        if not isinstance(kind, str):
            _fail(f"tools[{k}].type", "every tool needs a string 'type'")
        if kind == "function" and isinstance(tool, Mapping):
            name = tool.get("name")
            if not isinstance(name, str) or not name:
                if isinstance(tool.get("function"), Mapping):
                    _fail(
                        f"tools[{k}]",
                        "the Responses API takes flat function tools "
                        '({"type": "function", "name": ..., "parameters": ...})',
                    )
                _fail(f"tools[{k}].name", "must be a non-empty string")
            parameters = tool.get("parameters")
            if parameters is not None and not isinstance(parameters, Mapping):
                _fail(f"tools[{k}].parameters", "must be a JSON Schema object (a dict)")
            names.add(name)
    return names


def _check_tool_choice(choice: object, names: set[str]) -> None:
    if isinstance(choice, str):
        if choice not in _TOOL_CHOICE_MODES:
            _fail("tool_choice", f"must be 'none', 'auto', 'required' or a tool, got {choice!r}")
        return
    if not isinstance(choice, Mapping):
        _fail("tool_choice", f"must be a string or a dict, not {type(choice).__name__}")
    if choice.get("type") == "function":
        fn = choice.get("function")
        name = fn.get("name") if isinstance(fn, Mapping) else choice.get("name")
        if not isinstance(name, str) or name not in names:
            _fail("tool_choice", f"no function tool named {name!r} in tools")


def validate_response_request(req: ResponseCreateRequest) -> None:
    """Check a Responses API request; raise :class:`InvalidParameterError` on the first problem."""
    if not isinstance(req.model, str) or not req.model:
        _fail("model", "must be a non-empty string")
    _check_input(req.input)
    _check_type("instructions", req.instructions, str, "a string")
    _check_range("temperature", req.temperature, 0, 2)
    _check_range("top_p", req.top_p, 0, 1)
    for name in ("max_output_tokens", "max_tool_calls"):
        value = getattr(req, name)
        if value is not None and (not _is_int(value) or value < 1):
            _fail(name, f"must be a positive integer, got {value!r}")
    names: set[str] = set()
    if req.tools is not None:
        names = _check_tools(req.tools)
    if req.tool_choice is not None:
        _check_tool_choice(req.tool_choice, names)
    if req.reasoning is not None:
        r = req.reasoning
        _check_type("reasoning", r, Mapping, "a dict like {'effort': 'low'}")
        effort = r.get("effort")
        if effort is not None and effort not in _REASONING_EFFORTS:
            _fail(
                "reasoning.effort", f"must be one of {sorted(_REASONING_EFFORTS)}, got {effort!r}"
            )
    if req.text is not None:
        _check_type("text", req.text, Mapping, "a dict like {'format': {...}}")
        fmt = req.text.get("format")
        if fmt is not None and not isinstance(_kind(fmt), str):
            _fail("text.format.type", "must be 'text', 'json_object' or 'json_schema'")
    if req.metadata is not None:
        meta = req.metadata
        _check_type("metadata", meta, Mapping, "a dict of str -> str")
        if len(meta) > MAX_METADATA:
            _fail("metadata", f"at most {MAX_METADATA} pairs are supported, got {len(meta)}")
        for key, value in meta.items():
            if not isinstance(key, str) or not isinstance(value, str):
                _fail("metadata", f"keys and values must be strings, got {key!r}: {value!r}")
    _check_bool("parallel_tool_calls", req.parallel_tool_calls)
    _check_bool("store", req.store)
    _check_bool("stream", req.stream)
    _check_type("user", req.user, str, "a string")
    _check_type("previous_response_id", req.previous_response_id, str, "a string")
    _check_type("service_tier", req.service_tier, str, "a string")
    if req.truncation is not None and req.truncation not in _TRUNCATIONS:
        _fail("truncation", f"must be 'auto' or 'disabled', got {req.truncation!r}")
    if req.include is not None:
        inc = req.include
        if isinstance(inc, str) or not all(isinstance(x, str) for x in inc):
            _fail("include", "must be a list of strings")


# ------------------------------------------------------------------------------------ encoding


def _opt_list(name: str, value: Any) -> list[Any] | None:
    if value is None or isinstance(value, list):
        return value
    return as_list(name, value)
