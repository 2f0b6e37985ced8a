"""Chat completion request types: typed alternatives to the plain dicts the API takes.

Every request type omits unset (``None``) fields when encoded, so the JSON holds exactly what the
caller set. Unions are tagged the way the API tags them: messages on ``"role"``, content parts,
tools, response formats and document sources on ``"type"``. The tag is always encoded and can be
read back through the ``role`` / ``type`` property; it is not a constructor argument::

    UserMessage(content="Hi")                  # {"role": "user", "content": "Hi"}
    FunctionTool(function=FunctionDefinition(name="get_weather", parameters={...}))

Dicts and these Structs mix freely in a request; ``msgspec.convert(data, Message)`` turns a dict
into the matching message type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .shared import FunctionCall, FunctionDefinition, RequestModel

__all__ = [
    "AssistantMessage",
    "AssistantToolCall",
    "BrowserSearchTool",
    "ChatCompletionRequest",
    "CodeInterpreterTool",
    "CompoundCustom",
    "CompoundCustomModels",
    "CompoundCustomTools",
    "ContentPart",
    "DeveloperMessage",
    "Document",
    "DocumentContentPart",
    "DocumentContentPartData",
    "DocumentSource",
    "DocumentSourceJSON",
    "DocumentSourceText",
    "FunctionCallOption",
    "FunctionMessage",
    "FunctionTool",
    "ImageContentPart",
    "ImageURL",
    "JSONSchema",
    "Message",
    "NamedToolChoice",
    "NamedToolChoiceFunction",
    "ResponseFormat",
    "ResponseFormatJSONObject",
    "ResponseFormatJSONSchema",
    "ResponseFormatText",
    "SearchSettings",
    "StreamOptions",
    "SystemMessage",
    "TextContentPart",
    "Tool",
    "ToolMessage",
    "UserMessage",
    "WolframSettings",
]


class _TypeTagged(RequestModel, tag_field="type"):
    """Base of the types tagged on ``"type"``."""

    @property
    def type(self) -> str:
        """The ``type`` tag this value is encoded with."""
        tag: str = self.__struct_config__.tag  # type: ignore[assignment]
        return tag


# ------------------------------------------------------------------------------ content parts


class TextContentPart(_TypeTagged, tag="text"):
    """``{"type": "text", "text": ...}``."""

    text: str


class ImageURL(RequestModel):
    """An image by URL or as a ``data:`` URL with base64 content.

    Attributes:
        url: ``https://...`` or ``data:image/png;base64,...``.
        detail: ``"auto"``, ``"low"`` or ``"high"``.
    """

    url: str
    detail: str | None = None


class ImageContentPart(_TypeTagged, tag="image_url"):
    """``{"type": "image_url", "image_url": {"url": ...}}``."""

    image_url: ImageURL


class DocumentContentPartData(RequestModel):
    """The JSON document carried by a :class:`DocumentContentPart`."""

    data: dict[str, Any]
    id: str | None = None


class DocumentContentPart(_TypeTagged, tag="document"):
    """``{"type": "document", "document": {"data": {...}}}``."""

    document: DocumentContentPartData


ContentPart = TextContentPart | ImageContentPart | DocumentContentPart
"""Any content part (tagged on ``"type"``)."""


# ---------------------------------------------------------------------------------- messages


class _RoleTagged(RequestModel, tag_field="role"):
    """Base of the message types, tagged on ``"role"``."""

    @property
    def role(self) -> str:
        """The ``role`` tag this message is encoded with."""
        tag: str = self.__struct_config__.tag  # type: ignore[assignment]
        return tag


class SystemMessage(_RoleTagged, tag="system"):
    """Instructions for the model."""

    content: str | list[TextContentPart]
    name: str | None = None


class DeveloperMessage(_RoleTagged, tag="developer"):
    """Instructions for the model under the ``developer`` role (treated like ``system``)."""

    content: str | list[TextContentPart]
    name: str | None = None


class UserMessage(_RoleTagged, tag="user"):
    """A user turn: text, or a list of text / image / document parts."""

    content: str | list[ContentPart]
    name: str | None = None


class AssistantToolCall(_TypeTagged, tag="function"):
    """A tool call in an input assistant message (``{"type": "function", ...}``)."""

    id: str
    function: FunctionCall


class AssistantMessage(_RoleTagged, tag="assistant"):
    """A previous assistant turn. Needs ``content`` or ``tool_calls`` (or ``function_call``)."""

    content: str | list[TextContentPart] | None = None
    name: str | None = None
    reasoning: str | None = None
    tool_calls: list[AssistantToolCall] | None = None
    function_call: FunctionCall | None = None


class ToolMessage(_RoleTagged, tag="tool"):
    """The result of a tool call, answering ``tool_call_id``."""

    content: str | list[ContentPart]
    tool_call_id: str


class FunctionMessage(_RoleTagged, tag="function"):
    """Deprecated: the result of a ``function_call``. ``content`` is always sent (may be null)."""

    name: str
    content: str | None


Message = (
    SystemMessage
    | DeveloperMessage
    | UserMessage
    | AssistantMessage
    | ToolMessage
    | FunctionMessage
)
"""Any input message (tagged on ``"role"``)."""


# ------------------------------------------------------------------------------------- tools


class FunctionTool(_TypeTagged, tag="function"):
    """A function the model may call: ``{"type": "function", "function": {...}}``."""

    function: FunctionDefinition


class BrowserSearchTool(_TypeTagged, tag="browser_search"):
    """Groq's built-in browser search: ``{"type": "browser_search"}``."""


class CodeInterpreterTool(_TypeTagged, tag="code_interpreter"):
    """Groq's built-in code interpreter: ``{"type": "code_interpreter"}``."""


Tool = FunctionTool | BrowserSearchTool | CodeInterpreterTool
"""Any tool (tagged on ``"type"``)."""


class NamedToolChoiceFunction(RequestModel):
    """The function a :class:`NamedToolChoice` forces."""

    name: str


class NamedToolChoice(_TypeTagged, tag="function"):
    """Force one function: ``{"type": "function", "function": {"name": ...}}``."""

    function: NamedToolChoiceFunction


class FunctionCallOption(RequestModel):
    """Deprecated ``function_call`` value forcing one function: ``{"name": ...}``."""

    name: str


# --------------------------------------------------------------------------- response format


class ResponseFormatText(_TypeTagged, tag="text"):
    """Plain text output (the default)."""


class ResponseFormatJSONObject(_TypeTagged, tag="json_object"):
    """JSON mode: the output is a JSON object (ask for JSON in the prompt too)."""


class JSONSchema(RequestModel):
    """Structured output settings.

    Attributes:
        name: ``a-z``, ``A-Z``, ``0-9``, ``_`` and ``-``, at most 64 characters.
        schema: The JSON Schema the output must follow.
        description: What the format is for.
        strict: Ask for strict schema adherence.
    """

    name: str
    schema: dict[str, Any]
    description: str | None = None
    strict: bool | None = None


class ResponseFormatJSONSchema(_TypeTagged, tag="json_schema"):
    """Structured outputs: ``{"type": "json_schema", "json_schema": {...}}``."""

    json_schema: JSONSchema


ResponseFormat = ResponseFormatText | ResponseFormatJSONObject | ResponseFormatJSONSchema
"""Any response format (tagged on ``"type"``)."""


# ------------------------------------------------------------------------ other parameters


class StreamOptions(RequestModel):
    """Streaming options; ``include_usage`` asks for a trailing usage chunk."""

    include_usage: bool | None = None


class SearchSettings(RequestModel):
    """Settings for the web search tool."""

    country: str | None = None
    exclude_domains: list[str] | None = None
    include_domains: list[str] | None = None
    include_images: bool | None = None


class DocumentSourceText(_TypeTagged, tag="text"):
    """A document given inline as text."""

    text: str


class DocumentSourceJSON(_TypeTagged, tag="json"):
    """A document given inline as JSON data."""

    data: dict[str, Any]


DocumentSource = DocumentSourceText | DocumentSourceJSON
"""Any document source (tagged on ``"type"``)."""


class Document(RequestModel):
    """A document the model may use (and cite by ``id``)."""

    source: DocumentSource
    id: str | None = None


class CompoundCustomModels(RequestModel):
    """Models a compound system should use."""

    answering_model: str | None = None
    reasoning_model: str | None = None


class WolframSettings(RequestModel):
    """Wolfram Alpha tool settings. ``authorization`` is a secret and never shown in ``repr``."""

    authorization: str | None = None

    def __repr__(self) -> str:
        shown = None if self.authorization is None else "'**********'"
        return f"WolframSettings(authorization={shown})"


class CompoundCustomTools(RequestModel):
    """Tools a compound system may use."""

    enabled_tools: list[str] | None = None
    wolfram_settings: WolframSettings | None = None


class CompoundCustom(RequestModel):
    """Custom models and tools for compound systems."""

    models: CompoundCustomModels | None = None
    tools: CompoundCustomTools | None = None


# ------------------------------------------------------------------------------ the request


class ChatCompletionRequest(RequestModel):
    """The body of ``POST /chat/completions``.

    ``messages`` holds dicts or message Structs (encoded as they are). Every other field defaults
    to ``None`` and is then not sent. Fields taking a dict or a Struct are typed ``Any``;
    :func:`groq_anyio._validation.validate_chat_request` checks them before sending.
    """

    model: str
    messages: list[Any]
    citation_options: str | None = None
    compound_custom: Any = None
    disable_tool_validation: bool | None = None
    documents: list[Any] | None = None
    exclude_domains: list[str] | None = None
    frequency_penalty: float | None = None
    function_call: Any = None
    functions: list[Any] | None = None
    include_domains: list[str] | None = None
    include_reasoning: bool | None = None
    logit_bias: Mapping[str, int] | None = None
    logprobs: bool | None = None
    max_completion_tokens: int | None = None
    max_tokens: int | None = None
    metadata: Mapping[str, str] | None = None
    n: int | None = None
    parallel_tool_calls: bool | None = None
    presence_penalty: float | None = None
    reasoning_effort: str | None = None
    reasoning_format: str | None = None
    response_format: Any = None
    search_settings: Any = None
    seed: int | None = None
    service_tier: str | None = None
    stop: str | Sequence[str] | None = None
    store: bool | None = None
    stream: bool | None = None
    stream_options: Any = None
    temperature: float | None = None
    tool_choice: Any = None
    tools: list[Any] | None = None
    top_logprobs: int | None = None
    top_p: float | None = None
    user: str | None = None
