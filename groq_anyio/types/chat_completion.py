"""Chat completion responses: the whole reply (:class:`ChatCompletion`) and streamed chunks.

Decode straight from bytes with a reused decoder::

    decoder = msgspec.json.Decoder(ChatCompletion)
    completion = decoder.decode(body)

Rules for these types: fields the API always sends are required; everything else defaults to
``None`` and accepts ``null``; enum-like values (``finish_reason``, ``role``, ``object``,
``service_tier``) are plain ``str`` so new values decode; unknown fields are ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from .shared import CompletionUsage, ErrorObject, FunctionCall, GroqModel, UsageBreakdown

__all__ = [
    "Annotation",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "ChatCompletionMessageToolCall",
    "ChoiceDelta",
    "ChoiceDeltaFunctionCall",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChoiceLogprobs",
    "Choice",
    "ChunkChoice",
    "CodeResult",
    "CodeResultChart",
    "CodeResultChartElement",
    "BrowserResult",
    "DocumentCitation",
    "ExecutedTool",
    "FunctionCall",
    "FunctionCitation",
    "McpListTool",
    "McpListToolTool",
    "SearchResult",
    "SearchResults",
    "TokenLogprob",
    "TopLogprob",
    "XGroq",
    "XGroqDebug",
]

if TYPE_CHECKING:
    from .chat_params import AssistantMessage


# ---------------------------------------------------------------------------- tool calls


class ChatCompletionMessageToolCall(GroqModel):
    """One tool call in an assistant message."""

    id: str
    type: str
    function: FunctionCall


# --------------------------------------------------------------------------- annotations


class DocumentCitation(GroqModel):
    """A citation of a document passed in the request's ``documents``."""

    document_id: str | None = None
    start_index: int | None = None
    end_index: int | None = None


class FunctionCitation(GroqModel):
    """A citation of a tool call's result."""

    tool_call_id: str | None = None
    start_index: int | None = None
    end_index: int | None = None


class Annotation(GroqModel):
    """A citation attached to the message content (``type`` names the populated member)."""

    type: str | None = None
    document_citation: DocumentCitation | None = None
    function_citation: FunctionCitation | None = None


# ------------------------------------------------------------------------- executed tools


class BrowserResult(GroqModel):
    """A page visited by the built-in browser tool."""

    title: str | None = None
    url: str | None = None
    content: str | None = None
    live_view_url: str | None = None


class CodeResultChartElement(GroqModel):
    """One element (bar, point set, slice, box...) of a chart produced by code execution."""

    label: str | None = None
    value: float | None = None
    group: str | None = None
    angle: float | None = None
    radius: float | None = None
    min: float | None = None
    max: float | None = None
    median: float | None = None
    first_quartile: float | None = None
    third_quartile: float | None = None
    outliers: list[float] | None = None
    points: list[list[float]] | None = None


class CodeResultChart(GroqModel):
    """A chart produced by code execution."""

    type: str | None = None
    title: str | None = None
    elements: list[CodeResultChartElement] | None = None
    x_label: str | None = None
    x_scale: str | None = None
    x_tick_labels: list[str] | None = None
    x_ticks: list[float] | None = None
    x_unit: str | None = None
    y_label: str | None = None
    y_scale: str | None = None
    y_tick_labels: list[str] | None = None
    y_ticks: list[float] | None = None
    y_unit: str | None = None


class CodeResult(GroqModel):
    """Output of one code-interpreter execution."""

    text: str | None = None
    png: str | None = None
    chart: CodeResultChart | None = None
    charts: list[CodeResultChart] | None = None


class SearchResult(GroqModel):
    """One web search hit."""

    title: str | None = None
    url: str | None = None
    content: str | None = None
    score: float | None = None


class SearchResults(GroqModel):
    """Results of the built-in web search tool."""

    results: list[SearchResult] | None = None
    images: list[str] | None = None


class ExecutedTool(GroqModel):
    """A tool the server ran itself (compound systems, built-in tools).

    In a stream the same ``index`` may arrive twice: first with the arguments, later with the
    output; :class:`~groq_anyio.ChatCompletionAccumulator` merges them.
    """

    index: int | None = None
    type: str | None = None
    arguments: str | None = None
    output: str | None = None
    search_results: SearchResults | None = None
    code_results: list[CodeResult] | None = None
    browser_results: list[BrowserResult] | None = None


# ---------------------------------------------------------------------------- messages


class ChatCompletionMessage(GroqModel, dict=True, gc=True):
    """The assistant message of a completion.

    ``reasoning`` is set for reasoning models when ``reasoning_format="parsed"`` (or by default on
    some models); ``channel`` is the harmony channel some models report. ``parsed`` holds the
    decoded content when the request asked for a structured output (it is not part of the
    value: :meth:`to_dict` and equality ignore it).
    """

    role: str
    content: str | None = None
    reasoning: str | None = None
    channel: str | None = None
    tool_calls: list[ChatCompletionMessageToolCall] | None = None
    function_call: FunctionCall | None = None
    executed_tools: list[ExecutedTool] | None = None
    annotations: list[Annotation] | None = None
    #: a refusal the model gave instead of content (OpenAI-compatible servers send it)
    refusal: str | None = None

    @property
    def parsed(self) -> Any:
        """The content decoded by the request's structured output type, or as JSON in JSON mode
        (``None`` otherwise, and for a reply made only of tool calls)."""
        return self.__dict__.get("parsed")

    def to_param(self, *, include_reasoning: bool = False) -> AssistantMessage:
        """Return this reply as an :class:`~groq_anyio.types.AssistantMessage` for the next turn.

        Only what the API accepts in an input message is kept (content, tool calls, function
        call, and the reasoning when ``include_reasoning`` is true).
        """
        from .chat_params import AssistantMessage, AssistantToolCall  # (on first use)

        calls = None
        if self.tool_calls is not None:
            calls = [AssistantToolCall(id=tc.id, function=tc.function) for tc in self.tool_calls]
        return AssistantMessage(
            content=self.content,
            tool_calls=calls,
            function_call=self.function_call,
            reasoning=self.reasoning if include_reasoning else None,
        )


# ---------------------------------------------------------------------------- logprobs


class TopLogprob(GroqModel):
    """An alternative token and its log probability."""

    token: str
    logprob: float
    bytes: list[int] | None = None


class TokenLogprob(GroqModel):
    """Log probability of one output token, with the most likely alternatives."""

    token: str
    logprob: float
    bytes: list[int] | None = None
    top_logprobs: list[TopLogprob] | None = None


class ChoiceLogprobs(GroqModel):
    """Log probabilities of a choice's content tokens."""

    content: list[TokenLogprob] | None = None


# ---------------------------------------------------------------------------- x_groq


class XGroqDebug(GroqModel):
    """Token-level debug data (only when the request asked for it)."""

    input_token_ids: list[int] | None = None
    input_tokens: list[str] | None = None
    output_token_ids: list[int] | None = None
    output_tokens: list[str] | None = None


class XGroq(GroqModel):
    """Groq's metadata block.

    ``id`` is the request id to quote to support. In streams, ``usage`` (the full token counts)
    arrives on the final chunk, and ``error`` may carry an in-band error (a message string or an
    error object).
    """

    id: str | None = None
    seed: int | None = None
    usage: CompletionUsage | None = None
    usage_breakdown: UsageBreakdown | None = None
    debug: XGroqDebug | None = None
    error: str | ErrorObject | None = None


# ---------------------------------------------------------------------------- completion


class Choice(GroqModel):
    """One completion choice (``finish_reason`` is ``None`` only for a partial result).

    Attributes:
        index: the choice's position in ``choices``.
        message: the assistant's reply.
        finish_reason: why generation stopped: ``stop``, ``length``, ``tool_calls``...
        logprobs: token log probabilities, when the request asked for them.
    """

    index: int
    message: ChatCompletionMessage
    finish_reason: str | None = None
    logprobs: ChoiceLogprobs | None = None


class McpListToolTool(GroqModel):
    """A tool offered by a remote MCP server."""

    name: str | None = None
    description: str | None = None
    input_schema: dict[str, Any] | None = None
    annotations: Any = None


class McpListTool(GroqModel):
    """The tool list a remote MCP server returned."""

    id: str | None = None
    type: str | None = None
    server_label: str | None = None
    tools: list[McpListToolTool] | None = None


class ChatCompletion(GroqModel, dict=True, gc=True):
    """A complete (non-streamed) chat completion.

    Besides the API fields, a completion returned by the client carries the HTTP response's
    metadata (``headers``, ``request_id``, ``http_version``, ``timings``); these are not part of
    :meth:`to_dict` / :meth:`to_json`.

    Attributes:
        id: the completion's id (``chatcmpl-...``).
        object: always ``"chat.completion"``.
        created: when it was created, in Unix seconds.
        model: the model that answered.
        choices: one :class:`Choice` per requested ``n`` (Groq supports ``n=1``).
        usage: token counts and server-side timings.
        system_fingerprint: the backend configuration that served the request.
        service_tier: the tier that served it (``on_demand``, ``flex``...).
        usage_breakdown: per-model usage of a compound (multi-model) request.
        mcp_list_tools: the tools that remote MCP servers offered, when used.
        x_groq: Groq's metadata (the request ``id``, and more in streams).
    """

    id: str
    object: str
    created: int
    model: str
    choices: list[Choice]
    usage: CompletionUsage | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    usage_breakdown: UsageBreakdown | None = None
    mcp_list_tools: list[McpListTool] | None = None
    x_groq: XGroq | None = None

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
        """The HTTP version the response came over (``"HTTP/1.1"``, ``"HTTP/2"``), if known."""
        raw = self.__dict__.get("_raw")
        return None if raw is None else str(raw.http_version)

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` header, else ``x_groq.id``."""
        raw = self.__dict__.get("_raw")
        if raw is not None:
            rid = raw.header(b"x-request-id")
            if rid is not None:
                return str(rid)
        return self.x_groq.id if self.x_groq is not None else None

    @property
    def timings(self) -> Any:
        """Monotonic timings of the call (:class:`~groq_anyio.Timings`), if known."""
        return self.__dict__.get("_timings")


# ---------------------------------------------------------------------------- streaming


class ChoiceDeltaFunctionCall(GroqModel):
    """A piece of a (deprecated) function call in a stream."""

    name: str | None = None
    arguments: str | None = None


class ChoiceDeltaToolCallFunction(GroqModel):
    """A piece of a tool call's function: the name once, the arguments in fragments."""

    name: str | None = None
    arguments: str | None = None


class ChoiceDeltaToolCall(GroqModel):
    """A piece of a tool call; pieces with the same ``index`` belong to the same call."""

    index: int
    id: str | None = None
    type: str | None = None
    function: ChoiceDeltaToolCallFunction | None = None


class ChoiceDelta(GroqModel):
    """What one chunk adds to a choice.

    Attributes:
        role: ``"assistant"`` on the first chunk of a choice, else usually ``None``.
        content: the next piece of text (``None`` or empty when the chunk carries none).
        reasoning: the next piece of the model's reasoning (reasoning models).
        channel: the harmony channel some models report.
        tool_calls: pieces of tool calls (see :class:`ChoiceDeltaToolCall`).
        function_call: a piece of the deprecated single function call.
        executed_tools: tools the server ran itself (compound models, built-in tools).
        annotations: citations attached to the content.
        refusal: a piece of a refusal given instead of content.
    """

    role: str | None = None
    content: str | None = None
    reasoning: str | None = None
    channel: str | None = None
    tool_calls: list[ChoiceDeltaToolCall] | None = None
    function_call: ChoiceDeltaFunctionCall | None = None
    executed_tools: list[ExecutedTool] | None = None
    annotations: list[Annotation] | None = None
    refusal: str | None = None


class ChunkChoice(GroqModel):
    """One choice inside a streamed chunk.

    Attributes:
        index: which choice this chunk adds to.
        delta: what it adds.
        finish_reason: set on the choice's last chunk (``stop``, ``length``, ``tool_calls``...).
        logprobs: the log probabilities of this chunk's tokens, when asked for.
    """

    index: int
    delta: ChoiceDelta
    finish_reason: str | None = None
    logprobs: ChoiceLogprobs | None = None


class ChatCompletionChunk(GroqModel):
    """One ``data:`` event of a streamed chat completion.

    ``choices`` is empty on a trailing usage-only chunk. Usage may be in ``usage`` or in
    ``x_groq.usage``. Every field has a default so that an in-band error event
    (``{"error": {...}}``) decodes too; the stream reader checks ``error`` and
    ``x_groq.error`` on each chunk.

    Attributes:
        id: the completion's id, the same on every chunk of a stream.
        object: always ``"chat.completion.chunk"``.
        created: when the completion was created, in Unix seconds.
        model: the model that answers.
        choices: what this chunk adds to each choice.
        system_fingerprint: the backend configuration that serves the request.
        service_tier: the tier that serves it.
        usage: the token counts, on the final chunk when the server sends them there.
        usage_breakdown: per-model usage of a compound request.
        x_groq: Groq's metadata: the request ``id`` on the first chunk, ``usage`` on the last.
        error: an in-band error (then the stream raises it).
    """

    id: str = ""
    object: str = ""
    created: int = 0
    model: str = ""
    choices: list[ChunkChoice] = msgspec.field(default_factory=list)
    system_fingerprint: str | None = None
    service_tier: str | None = None
    usage: CompletionUsage | None = None
    usage_breakdown: UsageBreakdown | None = None
    x_groq: XGroq | None = None
    error: str | ErrorObject | None = None
