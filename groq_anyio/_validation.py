"""Checks a chat request before anything is sent, so mistakes fail fast with a precise ``param``.

Rules and theory of operation:

* Only :class:`~groq_anyio._errors.InvalidParameterError` ever leaves this module, whatever the
  input (values come from users and may be any Python object). ``param`` is a path such as
  ``messages[3].tool_call_id`` or ``tools[1].function.parameters``.
* Nothing is rejected that the API documents as valid; open-ended values (model names, unknown
  fields inside dicts) pass through. Enum-like parameters are checked against the sets the API
  documents, kept as module constants below.
* This runs on every request: the happy path raises nothing, compiles nothing, builds no
  f-strings and walks each list once. Messages are the hot loop: one ``isinstance`` and a few
  ``dict.get`` calls per message, with the common ``str`` content checked first.
* ``bool`` is a subclass of ``int`` in Python; wherever a number is expected a bool is rejected.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from ._errors import InvalidParameterError
from ._jsonschema import check_schema
from .types.chat import ChatCompletionMessage, ChatCompletionMessageToolCall, FunctionCall
from .types.chat_params import (
    AssistantMessage,
    AssistantToolCall,
    BrowserSearchTool,
    ChatCompletionRequest,
    CodeInterpreterTool,
    CompoundCustom,
    DeveloperMessage,
    Document,
    DocumentContentPart,
    DocumentContentPartData,
    FunctionCallOption,
    FunctionMessage,
    FunctionTool,
    ImageContentPart,
    ImageURL,
    JSONSchema,
    NamedToolChoice,
    ResponseFormatJSONObject,
    ResponseFormatJSONSchema,
    ResponseFormatText,
    SearchSettings,
    StreamOptions,
    SystemMessage,
    TextContentPart,
    ToolMessage,
    UserMessage,
)
from .types.shared import FunctionDefinition

__all__ = [
    "CHAT_ROLES",
    "CHAT_TOOL_TYPES",
    "IMAGE_DETAILS",
    "MAX_BASE64_IMAGE_BYTES",
    "MAX_IMAGES_PER_REQUEST",
    "REASONING_EFFORTS",
    "REASONING_FORMATS",
    "SERVICE_TIERS",
    "validate_chat_request",
    "validate_header_value",
]

#: roles accepted in ``messages`` (``developer`` is accepted by Groq as a system-like role)
CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
#: tool types: functions and Groq's server-side tools (``mcp``: remote MCP servers, beta)
CHAT_TOOL_TYPES = frozenset({"function", "browser_search", "code_interpreter", "mcp"})
TOOL_CHOICE_MODES = frozenset({"none", "auto", "required"})
RESPONSE_FORMAT_TYPES = frozenset({"text", "json_object", "json_schema"})
REASONING_FORMATS = frozenset({"hidden", "raw", "parsed"})
REASONING_EFFORTS = frozenset({"none", "default", "low", "medium", "high"})
SERVICE_TIERS = frozenset({"auto", "on_demand", "flex", "performance"})
#: ``image_url.detail`` values
IMAGE_DETAILS = frozenset({"auto", "low", "high"})
MAX_TOOLS = 128
MAX_STOP = 4
#: vision: images per request, and the size of base64 (``data:``) images in one request
MAX_IMAGES_PER_REQUEST = 5
#: the largest total size of the base64 (``data:``) images of one request
MAX_BASE64_IMAGE_BYTES = 4 * 1024 * 1024

_TEXT_PARTS = frozenset({"text"})
_ALL_PARTS = frozenset({"text", "image_url", "document"})
_ROLE_OF_ALLOWED = {_TEXT_PARTS: "system, developer or assistant", _ALL_PARTS: "user or tool"}
_PART_STRUCTS: dict[type, str] = {
    TextContentPart: "text",
    ImageContentPart: "image_url",
    DocumentContentPart: "document",
}
_MESSAGE_STRUCTS: dict[type, str] = {
    SystemMessage: "system",
    DeveloperMessage: "developer",
    UserMessage: "user",
    AssistantMessage: "assistant",
    ToolMessage: "tool",
    FunctionMessage: "function",
    ChatCompletionMessage: "assistant",  # a reply appended as-is to the next request
}
_TOOL_CALL_STRUCTS = (AssistantToolCall, ChatCompletionMessageToolCall)
_BUILTIN_TOOL_STRUCTS = (BrowserSearchTool, CodeInterpreterTool)

_function_name_ok = re.compile(r"[a-zA-Z0-9_-]{1,64}").fullmatch
_header_name_ok = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+").fullmatch
# RFC 9110 field-value: visible characters and obs-text, spaces and tabs only between them
_header_value_ok = re.compile(
    r"(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?"
).fullmatch
#: connection-specific headers: HTTP/2 forbids them (RFC 9113 8.2.2) and the client frames the
#: connection itself; ``TE`` is allowed with the value ``trailers`` only
_CONNECTION_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}
)

_MISSING: Any = object()


def _fail(param: str, message: str) -> NoReturn:
    raise InvalidParameterError(param, message)


def _is_number(v: object) -> bool:
    t = type(v)
    if t is float or t is int:
        return True
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_int(v: object) -> bool:
    return type(v) is int or (isinstance(v, int) and not isinstance(v, bool))


def _check_range(param: str, v: object, lo: float, hi: float) -> None:
    if not _is_number(v):
        _fail(param, f"must be a number between {lo:g} and {hi:g}, not {type(v).__name__}")
    if not lo <= v <= hi:  # type: ignore[operator]  # NaN fails this too
        _fail(param, f"must be between {lo:g} and {hi:g}, got {v!r}")


def _check_bool(param: str, v: object) -> None:
    if v is not None and type(v) is not bool:
        _fail(param, f"must be a bool, not {type(v).__name__}")


def _check_str(param: str, v: object) -> None:
    if v is not None and not isinstance(v, str):
        _fail(param, f"must be a string, not {type(v).__name__}")


def _check_str_list(param: str, v: object) -> None:
    if v is None:
        return
    if not isinstance(v, (list, tuple)):
        _fail(param, f"must be a list of strings, not {type(v).__name__}")
    for i, s in enumerate(v):
        if not isinstance(s, str):
            _fail(f"{param}[{i}]", f"must be a string, not {type(s).__name__}")


def _check_choice(param: str, v: object, allowed: frozenset[str]) -> None:
    if v is not None and (not isinstance(v, str) or v not in allowed):
        _fail(param, f"must be one of {sorted(allowed)}, got {v!r}")


# ---------------------------------------------------------------------------- messages
# Paths such as ``messages[3].content[1].text`` are only formatted when a check fails.


def _check_parts(i: int, content: object, allowed: frozenset[str]) -> tuple[int, int, int]:
    """Content of ``messages[i]`` that is not a ``str``: must be a list of known parts.

    Returns the number of image parts, the length of their ``data:`` URLs and of the text.
    """
    images = b64 = chars = 0
    if content is None or content is _MISSING:
        _fail(f"messages[{i}].content", "is required")
    if not isinstance(content, (list, tuple)):
        _fail(
            f"messages[{i}].content",
            f"must be a string or a list of content parts, not {type(content).__name__}",
        )
    for j, part in enumerate(content):
        if isinstance(part, dict):
            kind = part.get("type")
            if not isinstance(kind, str) or kind not in _ALL_PARTS:
                _fail(f"messages[{i}].content[{j}].type", f"unknown content part type {kind!r}")
            if kind == "text":
                text = part.get("text")
                if not isinstance(text, str):
                    _fail(f"messages[{i}].content[{j}].text", "must be a string")
                chars += len(text)
            elif kind == "image_url":
                image = part.get("image_url")
                if isinstance(image, dict):
                    url = image.get("url")
                    if not isinstance(url, str):
                        _fail(f"messages[{i}].content[{j}].image_url.url", "must be a string")
                    detail = image.get("detail")
                elif type(image) is ImageURL:
                    url = image.url
                    detail = image.detail
                else:
                    _fail(f"messages[{i}].content[{j}].image_url", "must be an object with a url")
                if detail is not None and detail not in IMAGE_DETAILS:
                    _bad_detail(i, j, detail)
                images += 1
                if url[:5] == "data:":
                    b64 += len(url)
            else:
                doc = part.get("document")
                if isinstance(doc, dict):
                    if not isinstance(doc.get("data"), dict):
                        _fail(f"messages[{i}].content[{j}].document.data", "must be an object")
                elif type(doc) is not DocumentContentPartData:
                    _fail(f"messages[{i}].content[{j}].document", "must be an object with data")
        else:
            kind = _PART_STRUCTS.get(type(part), "")
            if not kind:
                _fail(
                    f"messages[{i}].content[{j}]",
                    f"must be a content part, not {type(part).__name__}",
                )
            if kind == "image_url":
                images += 1
                url = part.image_url.url
                if isinstance(url, str) and url[:5] == "data:":
                    b64 += len(url)
                detail = part.image_url.detail
                if detail is not None and detail not in IMAGE_DETAILS:
                    _bad_detail(i, j, detail)
            elif kind == "text" and isinstance(part.text, str):
                chars += len(part.text)
        if kind not in allowed:
            _fail(
                f"messages[{i}].content[{j}].type",
                f"{kind!r} parts are not allowed in a {_ROLE_OF_ALLOWED[allowed]} message",
            )
    return images, b64, chars


def _bad_detail(i: int, j: int, detail: object) -> NoReturn:
    _fail(
        f"messages[{i}].content[{j}].image_url.detail",
        f"must be one of {sorted(IMAGE_DETAILS)}, got {detail!r}",
    )


def _check_tool_calls(i: int, calls: object, ids: set[str]) -> None:
    """Check an assistant message's ``tool_calls``; add their ids to ``ids``."""
    if not isinstance(calls, (list, tuple)):
        _fail(f"messages[{i}].tool_calls", f"must be a list, not {type(calls).__name__}")
    for k, call in enumerate(calls):
        if isinstance(call, dict):
            call_id = call.get("id")
            if not isinstance(call_id, str):
                _fail(f"messages[{i}].tool_calls[{k}].id", "must be a string")
            ids.add(call_id)
            fn = call.get("function")
            if isinstance(fn, dict):
                if not isinstance(fn.get("name"), str):
                    _fail(f"messages[{i}].tool_calls[{k}].function.name", "must be a string")
                args = fn.get("arguments")
                if args is not None and not isinstance(args, str):
                    _fail(
                        f"messages[{i}].tool_calls[{k}].function.arguments",
                        "must be a JSON string",
                    )
            elif type(fn) is not FunctionCall:
                _fail(
                    f"messages[{i}].tool_calls[{k}].function",
                    "must be an object with name and arguments",
                )
        elif isinstance(call, _TOOL_CALL_STRUCTS):
            ids.add(call.id)
        else:
            _fail(
                f"messages[{i}].tool_calls[{k}]",
                f"must be a tool call object, not {type(call).__name__}",
            )


def _check_messages(messages: object) -> tuple[int, int]:
    """Check ``messages``; return the number of images and the length of the text."""
    if not isinstance(messages, (list, tuple)):
        _fail("messages", f"must be a list of messages, not {type(messages).__name__}")
    if not messages:
        _fail("messages", "must contain at least one message")
    images = b64 = chars = 0
    call_ids: set[str] | None = None  # the ids of the tool calls made so far
    for i, m in enumerate(messages):
        if isinstance(m, dict):
            role = m.get("role")
            content = m.get("content", _MISSING)
            name = m.get("name")
        else:
            role = _MESSAGE_STRUCTS.get(type(m))
            if role is None:
                _fail(
                    f"messages[{i}]",
                    f"must be a dict or a message type (UserMessage, ...), not {type(m).__name__}",
                )
            content = m.content
            name = getattr(m, "name", None)
        if name is not None and not isinstance(name, str):
            _fail(f"messages[{i}].name", "must be a string")
        if role == "user" or role == "tool":
            if isinstance(content, str):
                chars += len(content)
            else:
                n_images, n_bytes, n_chars = _check_parts(i, content, _ALL_PARTS)
                images += n_images
                b64 += n_bytes
                chars += n_chars
            if role == "tool":
                tcid = m.get("tool_call_id") if isinstance(m, dict) else m.tool_call_id
                if not isinstance(tcid, str):
                    _fail(f"messages[{i}].tool_call_id", "a tool message needs a string id")
                if call_ids is None or tcid not in call_ids:
                    _fail(
                        f"messages[{i}].tool_call_id",
                        f"{tcid!r} answers no tool call: no earlier assistant message has a "
                        "tool call with that id",
                    )
        elif role == "assistant":
            if isinstance(m, dict):
                tool_calls = m.get("tool_calls")
                function_call = m.get("function_call")
            else:
                tool_calls = m.tool_calls
                function_call = m.function_call
            if content is None or content is _MISSING:
                if not tool_calls and function_call is None:
                    _fail(
                        f"messages[{i}].content",
                        "an assistant message needs content or tool_calls",
                    )
            elif isinstance(content, str):
                chars += len(content)
            else:
                chars += _check_parts(i, content, _TEXT_PARTS)[2]
            if tool_calls is not None:
                if call_ids is None:
                    call_ids = set()
                _check_tool_calls(i, tool_calls, call_ids)
        elif role == "system" or role == "developer":
            if isinstance(content, str):
                chars += len(content)
            else:
                chars += _check_parts(i, content, _TEXT_PARTS)[2]
        elif role == "function":
            if not isinstance(name, str):
                _fail(f"messages[{i}].name", "a function message needs the function name")
            if content is not None and content is not _MISSING and not isinstance(content, str):
                _fail(f"messages[{i}].content", "must be a string or null")
        elif role is None:
            _fail(f"messages[{i}].role", "is required")
        else:
            _fail(f"messages[{i}].role", f"must be one of {sorted(CHAT_ROLES)}, got {role!r}")
    if images > MAX_IMAGES_PER_REQUEST:
        _fail("messages", f"at most {MAX_IMAGES_PER_REQUEST} images per request, got {images}")
    if b64 > MAX_BASE64_IMAGE_BYTES:
        _fail(
            "messages",
            f"base64 images may total at most {MAX_BASE64_IMAGE_BYTES // (1024 * 1024)} MB per "
            f"request, got {b64 / 1e6:.1f} MB: shrink them or pass URLs",
        )
    return images, chars


# ------------------------------------------------------------------------------- tools


def _check_function(where: str, k: int, suffix: str, fn: object) -> str:
    """Check the function definition at ``{where}[{k}]{suffix}``; return its name."""
    if isinstance(fn, dict):
        name = fn.get("name")
        parameters = fn.get("parameters")
        description = fn.get("description")
        strict = fn.get("strict")
    elif type(fn) is FunctionDefinition:
        name = fn.name
        parameters = fn.parameters
        description = fn.description
        strict = fn.strict
    else:
        _fail(f"{where}[{k}]{suffix}", "must be an object with a name")
    if not isinstance(name, str) or not _function_name_ok(name):
        _fail(f"{where}[{k}]{suffix}.name", "must be 1-64 characters of a-z, A-Z, 0-9, '_' or '-'")
    if parameters is not None:
        check_schema(f"{where}[{k}]{suffix}.parameters", parameters, root_object=True)
    if description is not None and not isinstance(description, str):
        _fail(f"{where}[{k}]{suffix}.description", "must be a string")
    if strict is not None and type(strict) is not bool:
        _fail(f"{where}[{k}]{suffix}.strict", "must be a bool")
    return name


def _check_tools(tools: object) -> set[str]:
    """Check ``tools``; return the names of the function tools."""
    names: set[str] = set()
    if not isinstance(tools, (list, tuple)):
        _fail("tools", f"must be a list, not {type(tools).__name__}")
    if len(tools) > MAX_TOOLS:
        _fail("tools", f"at most {MAX_TOOLS} tools are supported, got {len(tools)}")
    for k, tool in enumerate(tools):
        if isinstance(tool, dict):
            kind = tool.get("type")
            if not isinstance(kind, str) or kind not in CHAT_TOOL_TYPES:
                _fail(f"tools[{k}].type", f"must be one of {sorted(CHAT_TOOL_TYPES)}, got {kind!r}")
            if kind == "function":
                names.add(_check_function("tools", k, ".function", tool.get("function")))
        elif type(tool) is FunctionTool:
            names.add(_check_function("tools", k, ".function", tool.function))
        elif not isinstance(tool, _BUILTIN_TOOL_STRUCTS):
            _fail(f"tools[{k}]", f"must be a tool object, not {type(tool).__name__}")
    return names


def _check_tool_choice(choice: object, names: set[str] | None) -> None:
    if isinstance(choice, str):
        if choice not in TOOL_CHOICE_MODES:
            _fail(
                "tool_choice", f"must be 'none', 'auto', 'required' or a function, got {choice!r}"
            )
        return
    if isinstance(choice, dict):
        if choice.get("type") != "function":
            _fail("tool_choice.type", 'must be "function"')
        fn = choice.get("function")
        name = fn.get("name") if isinstance(fn, dict) else None
    elif type(choice) is NamedToolChoice:
        name = choice.function.name
    else:
        _fail("tool_choice", f"must be a string or a named function, not {type(choice).__name__}")
    if not isinstance(name, str):
        _fail("tool_choice.function.name", "must be a string")
    if names is None or name not in names:
        _fail("tool_choice.function.name", f"no function tool named {name!r} in tools")


def _check_functions(functions: object) -> set[str]:
    if not isinstance(functions, (list, tuple)):
        _fail("functions", f"must be a list, not {type(functions).__name__}")
    return {_check_function("functions", k, "", fn) for k, fn in enumerate(functions)}


def _check_function_call(choice: object, names: set[str] | None) -> None:
    if isinstance(choice, str):
        if choice not in TOOL_CHOICE_MODES:
            _fail("function_call", f"must be 'none', 'auto', 'required' or a name, got {choice!r}")
        return
    if isinstance(choice, dict):
        name = choice.get("name")
    elif type(choice) is FunctionCallOption:
        name = choice.name
    else:
        _fail("function_call", f"must be a string or {{'name': ...}}, not {type(choice).__name__}")
    if not isinstance(name, str) or names is None or name not in names:
        _fail("function_call.name", f"no function named {name!r} in functions")


# ----------------------------------------------------------------------- other params


def _check_response_format(rf: object) -> None:
    if isinstance(rf, dict):
        kind = rf.get("type")
        if not isinstance(kind, str) or kind not in RESPONSE_FORMAT_TYPES:
            _fail("response_format.type", f"must be one of {sorted(RESPONSE_FORMAT_TYPES)}")
        if kind != "json_schema":
            return
        js = rf.get("json_schema")
    elif type(rf) is ResponseFormatJSONSchema:
        js = rf.json_schema
    elif type(rf) is ResponseFormatText or type(rf) is ResponseFormatJSONObject:
        return
    else:
        _fail("response_format", f"must be a response format object, not {type(rf).__name__}")
    if isinstance(js, dict):
        name = js.get("name")
        schema = js.get("schema")
        strict = js.get("strict")
    elif type(js) is JSONSchema:
        name, schema, strict = js.name, js.schema, js.strict
    else:
        _fail("response_format.json_schema", "is required for type json_schema")
    if not isinstance(name, str) or not name:
        _fail("response_format.json_schema.name", "must be a non-empty string")
    check_schema("response_format.json_schema.schema", schema)
    _check_bool("response_format.json_schema.strict", strict)


def _check_stop(stop: object) -> None:
    if isinstance(stop, str):
        return
    if not isinstance(stop, (list, tuple)):
        _fail("stop", f"must be a string or a list of strings, not {type(stop).__name__}")
    if len(stop) > MAX_STOP:
        _fail("stop", f"at most {MAX_STOP} stop sequences are supported, got {len(stop)}")
    for i, s in enumerate(stop):
        if not isinstance(s, str):
            _fail(f"stop[{i}]", "must be a string")


def _check_logit_bias(bias: object) -> None:
    if not isinstance(bias, dict):
        _fail("logit_bias", f"must be a dict of token id -> bias, not {type(bias).__name__}")
    for key, value in bias.items():
        if not isinstance(key, str):
            _fail("logit_bias", f"keys must be strings (token ids), got {key!r}")
        if not _is_number(value) or not -100 <= value <= 100:
            _fail(f"logit_bias[{key!r}]", f"must be a number between -100 and 100, got {value!r}")


def _check_metadata(meta: object) -> None:
    if not isinstance(meta, dict):
        _fail("metadata", f"must be a dict of str -> str, not {type(meta).__name__}")
    for key, value in meta.items():
        if not isinstance(key, str) or not isinstance(value, str):
            _fail("metadata", f"keys and values must be strings, got {key!r}: {value!r}")


def _check_positive_int(param: str, v: object) -> None:
    if not _is_int(v) or v < 1:  # type: ignore[operator]
        _fail(param, f"must be a positive integer, got {v!r}")


def _check_object(param: str, v: object, struct: type) -> None:
    if not isinstance(v, (dict, struct)):
        _fail(param, f"must be a dict or {struct.__name__}, not {type(v).__name__}")


def validate_chat_request(req: ChatCompletionRequest) -> tuple[int, int]:
    """Check a chat completion request; raise :class:`InvalidParameterError` on the first problem.

    Args:
        req: The request about to be encoded and sent.

    Returns:
        The number of image parts and the length (characters) of the messages' text, for the
        model checks that follow (:mod:`groq_anyio._capabilities`).

    Raises:
        InvalidParameterError: with ``param`` naming the offending field.
    """
    model = req.model
    if not isinstance(model, str) or not model:
        _fail("model", "must be a non-empty string")
    shape = _check_messages(req.messages)

    # --- sampling ---
    if req.temperature is not None:
        _check_range("temperature", req.temperature, 0, 2)
    if req.top_p is not None:
        _check_range("top_p", req.top_p, 0, 1)
    if req.frequency_penalty is not None:
        _check_range("frequency_penalty", req.frequency_penalty, -2, 2)
    if req.presence_penalty is not None:
        _check_range("presence_penalty", req.presence_penalty, -2, 2)
    if req.n is not None and (not _is_int(req.n) or req.n != 1):
        _fail("n", f"only n=1 is supported, got {req.n!r}")
    if req.seed is not None and not _is_int(req.seed):
        _fail("seed", f"must be an integer, got {req.seed!r}")
    if req.max_tokens is not None:
        _check_positive_int("max_tokens", req.max_tokens)
    if req.max_completion_tokens is not None:
        _check_positive_int("max_completion_tokens", req.max_completion_tokens)
    if req.stop is not None:
        _check_stop(req.stop)
    _check_bool("logprobs", req.logprobs)
    if req.top_logprobs is not None:
        if not _is_int(req.top_logprobs) or not 0 <= req.top_logprobs <= 20:
            _fail("top_logprobs", f"must be an integer between 0 and 20, got {req.top_logprobs!r}")
        if req.logprobs is not True:
            _fail("top_logprobs", "requires logprobs=True")
    if req.logit_bias is not None:
        _check_logit_bias(req.logit_bias)

    # --- tools ---
    names: set[str] | None = None
    if req.tools is not None:
        names = _check_tools(req.tools)
    if req.tool_choice is not None:
        _check_tool_choice(req.tool_choice, names)
    _check_bool("parallel_tool_calls", req.parallel_tool_calls)
    _check_bool("disable_tool_validation", req.disable_tool_validation)
    fnames: set[str] | None = None
    if req.functions is not None:
        fnames = _check_functions(req.functions)
    if req.function_call is not None:
        _check_function_call(req.function_call, fnames)

    # --- output shape and reasoning ---
    if req.response_format is not None:
        _check_response_format(req.response_format)
    _check_choice("reasoning_format", req.reasoning_format, REASONING_FORMATS)
    _check_choice("reasoning_effort", req.reasoning_effort, REASONING_EFFORTS)
    _check_bool("include_reasoning", req.include_reasoning)
    _check_choice("service_tier", req.service_tier, SERVICE_TIERS)
    _check_str("citation_options", req.citation_options)

    # --- the rest ---
    _check_bool("stream", req.stream)
    _check_bool("store", req.store)
    if req.stream_options is not None:
        so = req.stream_options
        _check_object("stream_options", so, StreamOptions)
        _check_bool(
            "stream_options.include_usage",
            so.get("include_usage") if isinstance(so, dict) else so.include_usage,
        )
    if req.metadata is not None:
        _check_metadata(req.metadata)
    _check_str("user", req.user)
    _check_str_list("include_domains", req.include_domains)
    _check_str_list("exclude_domains", req.exclude_domains)
    if req.search_settings is not None:
        _check_object("search_settings", req.search_settings, SearchSettings)
    if req.compound_custom is not None:
        _check_object("compound_custom", req.compound_custom, CompoundCustom)
    if req.documents is not None:
        docs = req.documents
        if not isinstance(docs, (list, tuple)):
            _fail("documents", f"must be a list, not {type(docs).__name__}")
        for i, doc in enumerate(docs):
            _check_object(f"documents[{i}]", doc, Document)
    return shape


def validate_header_value(name: object, value: object, param: str = "headers") -> None:
    """Reject a header the wire would refuse or that could split or corrupt the request: a bad
    name, a value that is not a string, has characters outside Latin-1, control characters
    (CR, LF, NUL, VT, ESC, DEL, ...; a tab only between other characters) or a leading or
    trailing space or tab (RFC 9110 field-value, which h11 and h2 enforce), and the
    connection-specific headers HTTP/2 forbids (``Connection``, ``Keep-Alive``,
    ``Proxy-Connection``, ``Transfer-Encoding``, ``Upgrade``, ``TE`` other than ``trailers``).

    The value is never included in the error: it may be a credential.

    Raises:
        InvalidParameterError: with ``param`` like ``extra_headers['X-Name']``.
    """
    if not isinstance(name, str) or not _header_name_ok(name):
        _fail(f"{param}[{name!r}]", "header names must be non-empty HTTP tokens")
    if not isinstance(value, str):
        _fail(f"{param}[{name!r}]", f"header values must be strings, not {type(value).__name__}")
    if "\r" in value or "\n" in value or "\0" in value:
        _fail(f"{param}[{name!r}]", "header values must not contain CR, LF or NUL")
    if not value.isascii():
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            _fail(f"{param}[{name!r}]", "header values must be Latin-1 text")
    if not _header_value_ok(value):
        _fail(
            f"{param}[{name!r}]",
            "header values must not contain control characters (a tab only between other "
            "characters) nor start or end with a space or tab",
        )
    lower = name.lower()
    if lower in _CONNECTION_HEADERS or (lower == "te" and value.strip().lower() != "trailers"):
        _fail(
            f"{param}[{name!r}]",
            "connection-specific headers are set by the client (HTTP/2 forbids them; TE may "
            "only be 'trailers')",
        )
