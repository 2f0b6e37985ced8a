"""The Responses API (``POST /openai/v1/responses``): the request, the response and stream events.

Groq implements a subset of OpenAI's Responses API (beta): text and image input, text output,
function tools, reasoning, structured output through ``text.format``. It is stateless:
``previous_response_id`` and ``store=True`` are not supported, so send the whole conversation
each time (:meth:`Response.to_input_items` turns a reply into input items for the next turn).

Rules for these types (as for the chat types): fields the API always sends are required, the rest
default to ``None``; enum-like values are plain ``str``; unknown fields are ignored.

Output items, output content parts and stream events are tagged on ``"type"``. The API grows, so
an item, a content part or an event of an unknown type does not fail: it becomes
:class:`ResponseOutputItemOther`, :class:`ResponseOutputContentOther` or
:class:`ResponseStreamEventOther`, which keep the decoded JSON in ``data``. Decode bodies with
:func:`decode_response` (the decoder that knows this rule), not with a bare ``msgspec`` decoder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

import msgspec

from .shared import GroqModel, RequestModel

__all__ = [
    "Response",
    "ResponseAnnotation",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseCreateRequest",
    "ResponseCompletedEvent",
    "ResponseCreatedEvent",
    "ResponseError",
    "ResponseErrorEvent",
    "ResponseFailedEvent",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseFunctionToolCall",
    "ResponseInProgressEvent",
    "ResponseIncompleteDetails",
    "ResponseIncompleteEvent",
    "ResponseInputTokensDetails",
    "ResponseOutputContent",
    "ResponseOutputContentOther",
    "ResponseOutputItem",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseOutputItemOther",
    "ResponseOutputMessage",
    "ResponseOutputRefusal",
    "ResponseOutputText",
    "ResponseOutputTokensDetails",
    "ResponseQueuedEvent",
    "ResponseReasoningConfig",
    "ResponseReasoningItem",
    "ResponseReasoningText",
    "ResponseReasoningTextDeltaEvent",
    "ResponseReasoningTextDoneEvent",
    "ResponseRefusalDeltaEvent",
    "ResponseRefusalDoneEvent",
    "ResponseStreamEvent",
    "ResponseStreamEventOther",
    "ResponseTextConfig",
    "ResponseTextDeltaEvent",
    "ResponseTextDoneEvent",
    "ResponseUsage",
    "decode_response",
    "decode_stream_event",
]


class _OutputItemBase:
    """Runtime base of every output item (lets the decoder route unknown item types)."""

    __slots__ = ()


class _OutputContentBase:
    """Runtime base of every output content part."""

    __slots__ = ()


class _Tagged(GroqModel, tag_field="type"):
    """Base of the types tagged on ``"type"``."""

    @property
    def type(self) -> str:
        """The ``type`` tag this value is encoded with."""
        tag: str = self.__struct_config__.tag  # type: ignore[assignment]
        return tag


# ------------------------------------------------------------------------- content parts


class ResponseAnnotation(GroqModel):
    """A citation attached to output text (``type`` names the kind: ``url_citation``, ...)."""

    type: str | None = None
    url: str | None = None
    title: str | None = None
    start_index: int | None = None
    end_index: int | None = None
    file_id: str | None = None
    filename: str | None = None
    index: int | None = None


class ResponseOutputText(_Tagged, _OutputContentBase, tag="output_text"):
    """Text the model produced (``{"type": "output_text", "text": ...}``)."""

    text: str = ""
    annotations: list[ResponseAnnotation] | None = None
    logprobs: list[Any] | None = None


class ResponseOutputRefusal(_Tagged, _OutputContentBase, tag="refusal"):
    """The model refused to answer."""

    refusal: str = ""


class ResponseOutputContentOther(GroqModel, _OutputContentBase):
    """A content part of a type this client does not know; ``data`` is its JSON."""

    type: str
    data: dict[str, Any]


# ------------------------------------------------------------------------------ output items


class ResponseOutputMessage(_Tagged, _OutputItemBase, tag="message"):
    """An assistant message: its ``content`` holds ``output_text`` (or ``refusal``) parts."""

    id: str | None = None
    role: str = "assistant"
    status: str | None = None
    content: list[_Content] = msgspec.field(default_factory=list)


class ResponseFunctionToolCall(_Tagged, _OutputItemBase, tag="function_call"):
    """A function call: answer it with a ``function_call_output`` item carrying ``call_id``.

    ``arguments`` is the model's JSON text; it is not guaranteed to be valid JSON or to match the
    schema (see :func:`groq_anyio.helpers.parse_tool_arguments`).
    """

    call_id: str
    name: str
    arguments: str = ""
    id: str | None = None
    status: str | None = None


class ResponseReasoningText(GroqModel):
    """One piece of reasoning (``type`` is ``reasoning_text`` or ``summary_text``)."""

    type: str | None = None
    text: str = ""


class ResponseReasoningItem(_Tagged, _OutputItemBase, tag="reasoning"):
    """The model's reasoning (reasoning models only)."""

    id: str | None = None
    summary: list[ResponseReasoningText] = msgspec.field(default_factory=list)
    content: list[ResponseReasoningText] | None = None
    encrypted_content: str | None = None
    status: str | None = None

    @property
    def text(self) -> str:
        """The reasoning text (the ``content`` pieces joined)."""
        return "".join(part.text for part in self.content or ())


class ResponseOutputItemOther(GroqModel, _OutputItemBase):
    """An output item of a type this client does not know; ``data`` is its JSON."""

    type: str
    data: dict[str, Any]


ResponseOutputContent: TypeAlias = (
    ResponseOutputText | ResponseOutputRefusal | ResponseOutputContentOther
)
"""Any content part of an output message."""

ResponseOutputItem: TypeAlias = (
    ResponseOutputMessage
    | ResponseFunctionToolCall
    | ResponseReasoningItem
    | ResponseOutputItemOther
)
"""Any output item."""

# Field types: the precise unions for type checkers; at runtime the marker bases, which the
# decoder's hook resolves (a plain tagged union would reject an unknown "type").
if TYPE_CHECKING:
    _Content: TypeAlias = ResponseOutputContent
    _Item: TypeAlias = ResponseOutputItem
else:
    _Content = _OutputContentBase
    _Item = _OutputItemBase


# ---------------------------------------------------------------------------------- response


class ResponseInputTokensDetails(GroqModel):
    """Breakdown of the input tokens."""

    cached_tokens: int = 0
    reasoning_tokens: int | None = None


class ResponseOutputTokensDetails(GroqModel):
    """Breakdown of the output tokens."""

    reasoning_tokens: int = 0
    cached_tokens: int | None = None


class ResponseUsage(GroqModel):
    """Token counts of one response."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_tokens_details: ResponseInputTokensDetails | None = None
    output_tokens_details: ResponseOutputTokensDetails | None = None


class ResponseError(GroqModel):
    """Why a response failed (``status == "failed"``)."""

    code: str | None = None
    message: str | None = None
    param: str | None = None
    type: str | None = None


class ResponseIncompleteDetails(GroqModel):
    """Why a response is incomplete (for example ``"max_output_tokens"``)."""

    reason: str | None = None


class ResponseReasoningConfig(GroqModel):
    """The reasoning settings a response was made with."""

    effort: str | None = None
    summary: str | None = None


class ResponseTextConfig(GroqModel):
    """The text output settings a response was made with (``format`` as sent)."""

    format: dict[str, Any] | None = None
    verbosity: str | None = None


class Response(GroqModel, dict=True, gc=True):
    """A model response.

    ``output_text`` joins the text of every message; ``function_calls`` lists the function call
    items. Like :class:`~groq_anyio.types.ChatCompletion`, a response returned by the client
    carries the HTTP metadata (``headers``, ``request_id``, ``http_version``, ``timings``), which
    :meth:`to_dict` / :meth:`to_json` leave out. When the request passed ``text_format``,
    ``output_parsed`` holds the decoded output.
    """

    id: str
    object: str
    created_at: float
    model: str
    status: str | None = None
    output: list[_Item] = msgspec.field(default_factory=list)
    usage: ResponseUsage | None = None
    error: ResponseError | None = None
    incomplete_details: ResponseIncompleteDetails | None = None
    instructions: str | list[Any] | None = None
    max_output_tokens: int | None = None
    max_tool_calls: int | None = None
    metadata: dict[str, str] | None = None
    parallel_tool_calls: bool | None = None
    previous_response_id: str | None = None
    reasoning: ResponseReasoningConfig | None = None
    service_tier: str | None = None
    store: bool | None = None
    temperature: float | None = None
    text: ResponseTextConfig | None = None
    tool_choice: str | dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    top_logprobs: int | None = None
    top_p: float | None = None
    truncation: str | None = None
    user: str | None = None
    background: bool | None = None

    # -- conveniences ----------------------------------------------------------------------

    @property
    def output_text(self) -> str:
        """The text of every ``output_text`` part of every message, joined (``""`` if none)."""
        parts: list[str] = []
        for item in self.output:
            if type(item) is ResponseOutputMessage:
                for part in item.content:
                    if type(part) is ResponseOutputText:
                        parts.append(part.text)
        return "".join(parts)

    @property
    def function_calls(self) -> list[ResponseFunctionToolCall]:
        """The function call items of the output, in order."""
        return [item for item in self.output if type(item) is ResponseFunctionToolCall]

    @property
    def reasoning_text(self) -> str | None:
        """The reasoning of every reasoning item, joined (``None`` if there is none)."""
        texts = [item.text for item in self.output if type(item) is ResponseReasoningItem]
        return "".join(texts) if texts else None

    @property
    def output_parsed(self) -> Any:
        """The output decoded with the request's ``text_format`` (``None`` without one)."""
        return self.__dict__.get("parsed")

    def to_input_items(self) -> list[dict[str, Any]]:
        """This reply as input items for the next request (Groq keeps no conversation state).

        Messages become ``{"role": "assistant", "content": text}`` and function calls
        ``{"type": "function_call", ...}`` items; reasoning and unknown items are left out.
        """
        out: list[dict[str, Any]] = []
        for item in self.output:
            if type(item) is ResponseOutputMessage:
                text = "".join(p.text for p in item.content if type(p) is ResponseOutputText)
                out.append({"role": "assistant", "content": text})
            elif type(item) is ResponseFunctionToolCall:
                out.append(
                    {
                        "type": "function_call",
                        "call_id": item.call_id,
                        "name": item.name,
                        "arguments": item.arguments,
                    }
                )
        return out

    # -- HTTP metadata (not part of the value) ----------------------------------------------

    def _attach(self, raw: Any, timings: Any) -> None:
        """Keep the HTTP response metadata (called by the resource layer)."""
        self.__dict__["_raw"] = raw
        self.__dict__["_timings"] = timings

    @property
    def headers(self) -> dict[str, str]:
        """The response headers (lower-case names, case-insensitive lookups); empty if not
        from an HTTP response."""
        from .._headers import Headers

        raw = self.__dict__.get("_raw")
        return Headers() if raw is None else Headers(raw.headers)

    @property
    def http_version(self) -> str | None:
        """The HTTP version the response came over, if known."""
        raw = self.__dict__.get("_raw")
        return None if raw is None else str(raw.http_version)

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` header, if known."""
        raw = self.__dict__.get("_raw")
        if raw is None:
            return None
        rid = raw.header(b"x-request-id")
        return None if rid is None else str(rid)

    @property
    def timings(self) -> Any:
        """Monotonic timings of the call (:class:`~groq_anyio.Timings`), if known."""
        return self.__dict__.get("_timings")


# ------------------------------------------------------------------------------ stream events


class _Event(_Tagged, kw_only=True):
    """Base of the stream events; ``sequence_number`` orders them."""

    sequence_number: int | None = None


class ResponseCreatedEvent(_Event, tag="response.created"):
    """The response exists (``status`` ``"in_progress"``, no output yet)."""

    response: Response


class ResponseQueuedEvent(_Event, tag="response.queued"):
    """The response is queued."""

    response: Response


class ResponseInProgressEvent(_Event, tag="response.in_progress"):
    """Generation started."""

    response: Response


class ResponseCompletedEvent(_Event, tag="response.completed"):
    """The last event of a successful stream: the whole response."""

    response: Response


class ResponseIncompleteEvent(_Event, tag="response.incomplete"):
    """The last event of a stream cut short (``response.incomplete_details`` says why)."""

    response: Response


class ResponseFailedEvent(_Event, tag="response.failed"):
    """The response failed (``response.error``); the stream raises the matching error."""

    response: Response


class ResponseOutputItemAddedEvent(_Event, tag="response.output_item.added"):
    """An output item starts (its content or arguments follow as deltas)."""

    output_index: int
    item: _Item


class ResponseOutputItemDoneEvent(_Event, tag="response.output_item.done"):
    """An output item is complete."""

    output_index: int
    item: _Item


class ResponseContentPartAddedEvent(_Event, tag="response.content_part.added"):
    """A content part of a message starts."""

    output_index: int
    content_index: int
    part: _Content
    item_id: str | None = None


class ResponseContentPartDoneEvent(_Event, tag="response.content_part.done"):
    """A content part of a message is complete."""

    output_index: int
    content_index: int
    part: _Content
    item_id: str | None = None


class ResponseTextDeltaEvent(_Event, tag="response.output_text.delta"):
    """A piece of output text."""

    delta: str
    output_index: int = 0
    content_index: int = 0
    item_id: str | None = None
    logprobs: list[Any] | None = None


class ResponseTextDoneEvent(_Event, tag="response.output_text.done"):
    """The whole text of a content part."""

    text: str
    output_index: int = 0
    content_index: int = 0
    item_id: str | None = None
    logprobs: list[Any] | None = None


class ResponseRefusalDeltaEvent(_Event, tag="response.refusal.delta"):
    """A piece of a refusal."""

    delta: str
    output_index: int = 0
    content_index: int = 0
    item_id: str | None = None


class ResponseRefusalDoneEvent(_Event, tag="response.refusal.done"):
    """The whole refusal."""

    refusal: str
    output_index: int = 0
    content_index: int = 0
    item_id: str | None = None


class ResponseFunctionCallArgumentsDeltaEvent(_Event, tag="response.function_call_arguments.delta"):
    """A piece of a function call's arguments."""

    delta: str
    output_index: int = 0
    item_id: str | None = None


class ResponseFunctionCallArgumentsDoneEvent(_Event, tag="response.function_call_arguments.done"):
    """The whole arguments of a function call."""

    arguments: str
    output_index: int = 0
    item_id: str | None = None
    name: str | None = None


class ResponseReasoningTextDeltaEvent(_Event, tag="response.reasoning_text.delta"):
    """A piece of reasoning."""

    delta: str
    output_index: int = 0
    content_index: int = 0
    item_id: str | None = None


class ResponseReasoningTextDoneEvent(_Event, tag="response.reasoning_text.done"):
    """The whole reasoning text of a reasoning item."""

    text: str
    output_index: int = 0
    content_index: int = 0
    item_id: str | None = None


class ResponseErrorEvent(_Event, tag="error"):
    """An in-band error; the stream raises the matching exception instead of yielding it."""

    message: str | None = None
    code: str | None = None
    param: str | None = None
    status_code: int | None = None


class ResponseStreamEventOther(GroqModel):
    """An event of a type this client does not know; ``data`` is its JSON."""

    type: str
    data: dict[str, Any]

    @property
    def sequence_number(self) -> int | None:
        """The event's ``sequence_number`` if it carries an integer one, else ``None``."""
        value = self.data.get("sequence_number")
        return value if type(value) is int else None


_KnownEvent = (
    ResponseCreatedEvent
    | ResponseQueuedEvent
    | ResponseInProgressEvent
    | ResponseCompletedEvent
    | ResponseIncompleteEvent
    | ResponseFailedEvent
    | ResponseOutputItemAddedEvent
    | ResponseOutputItemDoneEvent
    | ResponseContentPartAddedEvent
    | ResponseContentPartDoneEvent
    | ResponseTextDeltaEvent
    | ResponseTextDoneEvent
    | ResponseRefusalDeltaEvent
    | ResponseRefusalDoneEvent
    | ResponseFunctionCallArgumentsDeltaEvent
    | ResponseFunctionCallArgumentsDoneEvent
    | ResponseReasoningTextDeltaEvent
    | ResponseReasoningTextDoneEvent
    | ResponseErrorEvent
)

ResponseStreamEvent: TypeAlias = _KnownEvent | ResponseStreamEventOther
"""Any event of a streamed response (tagged on ``"type"``)."""

KNOWN_EVENT_TYPES: frozenset[str] = frozenset(
    cls.__struct_config__.tag for cls in _KnownEvent.__args__
)


# ------------------------------------------------------------------------------------ decoding

_ITEMS: dict[str, type[Any]] = {
    "message": ResponseOutputMessage,
    "function_call": ResponseFunctionToolCall,
    "reasoning": ResponseReasoningItem,
}
_CONTENTS: dict[str, type[Any]] = {
    "output_text": ResponseOutputText,
    "refusal": ResponseOutputRefusal,
}


def _not_an_object(obj: object) -> NoReturn:
    raise msgspec.ValidationError(f"Expected `object`, got `{type(obj).__name__}`")


def _dec_hook(tp: type[Any], obj: Any) -> Any:
    """Resolve the marker bases: a known ``type`` decodes strictly, an unknown one is kept."""
    if tp is _OutputItemBase:
        table: dict[str, type[Any]] = _ITEMS
        other: type[Any] = ResponseOutputItemOther
    elif tp is _OutputContentBase:
        table, other = _CONTENTS, ResponseOutputContentOther
    else:
        raise NotImplementedError(f"no decoder for {tp!r}")
    if not isinstance(obj, dict):
        _not_an_object(obj)
    kind = obj.get("type")
    cls = table.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return other(type=kind if isinstance(kind, str) else "", data=obj)
    return msgspec.convert(obj, cls, dec_hook=_dec_hook)


_response_decoder = msgspec.json.Decoder(Response, dec_hook=_dec_hook)
_event_decoder: msgspec.json.Decoder[ResponseStreamEvent] = msgspec.json.Decoder(
    _KnownEvent, dec_hook=_dec_hook
)


def decode_response(data: bytes | bytearray | memoryview | str) -> Response:
    """Decode a Responses API body (unknown item and content types are kept, see above).

    Raises:
        msgspec.DecodeError: the data is not JSON or not a response.
    """
    try:
        return _response_decoder.decode(data)
    except UnicodeDecodeError as exc:  # msgspec < 0.23, for invalid UTF-8 in a string
        raise msgspec.DecodeError(f"invalid UTF-8: {exc}") from None


def decode_stream_event(data: bytes | bytearray | memoryview | str) -> ResponseStreamEvent:
    """Decode the ``data`` of one stream event; an unknown ``type`` gives
    :class:`ResponseStreamEventOther`.

    Raises:
        msgspec.DecodeError: the data is not JSON, has no string ``type``, or a known event
            does not have its documented shape.
    """
    try:
        return _event_decoder.decode(data)
    except UnicodeDecodeError as exc:  # msgspec < 0.23, for invalid UTF-8 in a string
        raise msgspec.DecodeError(f"invalid UTF-8: {exc}") from None
    except msgspec.ValidationError:
        obj = msgspec.json.decode(data)
        kind = obj.get("type") if isinstance(obj, dict) else None
        if isinstance(kind, str) and kind not in KNOWN_EVENT_TYPES:
            return ResponseStreamEventOther(type=kind, data=obj)
        raise


# ----------------------------------------------------------------------------------- request


class ResponseCreateRequest(RequestModel):
    """The body of ``POST /responses``.

    ``input`` is a string (one user message) or a list of input items (dicts or Structs:
    ``{"role": "user", "content": ...}`` messages, ``function_call`` and
    ``function_call_output`` items). Every other field defaults to ``None`` and is then not
    sent.
    """

    model: str
    input: str | list[Any]
    instructions: str | None = None
    tools: list[Any] | None = None
    tool_choice: Any = None
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None
    max_tool_calls: int | None = None
    reasoning: Any = None
    text: Any = None
    stream: bool | None = None
    metadata: Mapping[str, str] | None = None
    parallel_tool_calls: bool | None = None
    store: bool | None = None
    user: str | None = None
    previous_response_id: str | None = None
    truncation: str | None = None
    service_tier: str | None = None
    include: Sequence[str] | None = None
