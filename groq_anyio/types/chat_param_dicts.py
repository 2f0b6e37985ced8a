"""The official SDK's ``*Param`` TypedDicts for chat requests, under the same names.

``from groq.types.chat import ChatCompletionMessageParam`` becomes
``from groq_anyio.types.chat import ChatCompletionMessageParam``. They type the plain dicts that
``chat.completions.create`` takes (``messages``, ``tools``, ``tool_choice``, ...), so a type
checker flags ``{"rol": "user"}`` or a missing ``tool_call_id`` before anything runs. At run
time they are ordinary dicts; the msgspec request Structs (:mod:`.chat_params`) are accepted in
the same places.
"""

from collections.abc import Iterable, Sequence
from typing import Literal, Required, TypeAlias, TypedDict

from .chat_completion import TokenLogprob as ChatCompletionTokenLogprob

__all__ = [
    "CompletionCreateParams",
    "CompletionCreateParamsBase",
    "CompletionCreateParamsNonStreaming",
    "CompletionCreateParamsStreaming",
    "ResponseFormat",
    "ResponseFormatJSONObjectParam",
    "ResponseFormatJSONSchemaParam",
    "ResponseFormatTextParam",
    "ChatCompletionAssistantMessageParam",
    "ChatCompletionContentPartImageParam",
    "ChatCompletionContentPartParam",
    "ChatCompletionContentPartTextParam",
    "ChatCompletionFunctionCallOptionParam",
    "ChatCompletionFunctionMessageParam",
    "ChatCompletionMessageParam",
    "ChatCompletionMessageToolCallParam",
    "ChatCompletionNamedToolChoiceParam",
    "ChatCompletionRequestMessageContentPartDocument",
    "ChatCompletionRequestMessageContentPartDocumentDocument",
    "ChatCompletionRole",
    "ChatCompletionSystemMessageParam",
    "ChatCompletionToolChoiceOptionParam",
    "ChatCompletionToolMessageParam",
    "ChatCompletionTokenLogprob",
    "ChatCompletionToolParam",
    "ChatCompletionUserMessageParam",
    "FunctionDefinition",
    "FunctionParameters",
]

#: The role of a chat message, as the official SDK spells the type.
ChatCompletionRole: TypeAlias = Literal["system", "user", "assistant", "tool", "function"]
#: A JSON Schema object: the ``parameters`` of a function tool.
FunctionParameters: TypeAlias = dict[str, object]


class FunctionDefinition(TypedDict, total=False):
    name: Required[str]
    description: str
    parameters: FunctionParameters
    strict: bool


# ------------------------------------------------------------------------------ content parts


class ChatCompletionContentPartTextParam(TypedDict, total=False):
    """A text part of a message's content: ``{"type": "text", "text": ...}``."""

    text: Required[str]
    type: Required[Literal["text"]]


class ImageURL(TypedDict, total=False):
    url: Required[str]
    detail: Literal["auto", "low", "high"]


class ChatCompletionContentPartImageParam(TypedDict, total=False):
    """An image part of a user message: ``{"type": "image_url", "image_url": {"url": ...}}``
    (an ``https`` URL or a ``data:`` URI; ``detail`` is ``auto``, ``low`` or ``high``)."""

    image_url: Required[ImageURL]
    type: Required[Literal["image_url"]]


class ChatCompletionRequestMessageContentPartDocumentDocument(TypedDict, total=False):
    data: Required[dict[str, object]]
    id: str | None


class ChatCompletionRequestMessageContentPartDocument(TypedDict, total=False):
    document: Required[ChatCompletionRequestMessageContentPartDocumentDocument]
    type: Required[Literal["document"]]


#: Any part of a message's content: text, image or document.
ChatCompletionContentPartParam: TypeAlias = (
    ChatCompletionContentPartTextParam
    | ChatCompletionContentPartImageParam
    | ChatCompletionRequestMessageContentPartDocument
)


# ------------------------------------------------------------------------------ messages


class ChatCompletionSystemMessageParam(TypedDict, total=False):
    """A system (or ``developer``) message: instructions for the model."""

    content: Required[str | Iterable[ChatCompletionContentPartTextParam]]
    role: Required[Literal["system", "developer"]]
    name: str


class ChatCompletionUserMessageParam(TypedDict, total=False):
    """A user message: text, or a list of text, image and document parts."""

    content: Required[str | Iterable[ChatCompletionContentPartParam]]
    role: Required[Literal["user"]]
    name: str


class Function(TypedDict, total=False):
    """The function of an assistant's tool call."""

    arguments: Required[str]
    name: Required[str]


class ChatCompletionMessageToolCallParam(TypedDict, total=False):
    """One tool call of an assistant message: its ``id`` and the function called."""

    id: Required[str]
    function: Required[Function]
    type: Required[Literal["function"]]


class FunctionCall(TypedDict, total=False):
    """Deprecated (``tool_calls`` replaces it): the function the assistant called."""

    arguments: str
    name: str


class ChatCompletionAssistantMessageParam(TypedDict, total=False):
    """An assistant message (a previous reply) sent back in the conversation, with its tool
    calls and reasoning if any."""

    role: Required[Literal["assistant"]]
    content: str | Iterable[ChatCompletionContentPartTextParam] | None
    function_call: FunctionCall
    name: str
    reasoning: str | None
    tool_calls: Iterable[ChatCompletionMessageToolCallParam]


class ChatCompletionToolMessageParam(TypedDict, total=False):
    """The result of a tool call, answering the assistant's call ``tool_call_id``."""

    content: Required[str | Iterable[ChatCompletionContentPartParam]]
    role: Required[Literal["tool"]]
    tool_call_id: Required[str]


class ChatCompletionFunctionMessageParam(TypedDict, total=False):
    """Deprecated (tool messages replace it): the result of a ``function_call``."""

    content: Required[str | None]
    name: Required[str]
    role: Required[Literal["function"]]


#: Any message of ``messages``: system, user, assistant, tool or function.
ChatCompletionMessageParam: TypeAlias = (
    ChatCompletionSystemMessageParam
    | ChatCompletionUserMessageParam
    | ChatCompletionAssistantMessageParam
    | ChatCompletionToolMessageParam
    | ChatCompletionFunctionMessageParam
)


# ------------------------------------------------------------------------------ tools


class ChatCompletionToolParam(TypedDict, total=False):
    """A tool the model may call: a function (with its JSON Schema), or a built-in tool such
    as ``browser_search`` or ``code_interpreter``."""

    type: Required[Literal["function", "browser_search", "code_interpreter"] | str]
    function: FunctionDefinition


class _NamedFunction(TypedDict, total=False):
    name: Required[str]


class ChatCompletionNamedToolChoiceParam(TypedDict, total=False):
    """``tool_choice`` that forces a call of one function, by name."""

    function: Required[_NamedFunction]
    type: Required[Literal["function"]]


#: ``tool_choice``: ``"none"``, ``"auto"``, ``"required"`` or one named function.
ChatCompletionToolChoiceOptionParam: TypeAlias = (
    Literal["none", "auto", "required"] | ChatCompletionNamedToolChoiceParam
)


class ChatCompletionFunctionCallOptionParam(TypedDict, total=False):
    """Deprecated ``function_call`` choice (``tool_choice`` replaces it): one function, by name."""

    name: Required[str]


# ------------------------------------------------------------------------------ the whole request


class ResponseFormatTextParam(TypedDict, total=False):
    type: Required[Literal["text"]]


class _JSONSchema(TypedDict, total=False):
    name: Required[str]
    description: str
    schema: dict[str, object]
    strict: bool | None


class ResponseFormatJSONSchemaParam(TypedDict, total=False):
    json_schema: Required[_JSONSchema]
    type: Required[Literal["json_schema"]]


class ResponseFormatJSONObjectParam(TypedDict, total=False):
    type: Required[Literal["json_object"]]


ResponseFormat: TypeAlias = (
    ResponseFormatTextParam | ResponseFormatJSONSchemaParam | ResponseFormatJSONObjectParam
)


class CompletionCreateParamsBase(TypedDict, total=False):
    """The keyword arguments of ``chat.completions.create`` but ``stream``.

    Nested objects the official SDK types in detail (documents, search settings, compound
    options) are plain dicts here.
    """

    messages: Required[Iterable[ChatCompletionMessageParam]]
    model: Required[str]
    citation_options: Literal["enabled", "disabled"] | None
    compound_custom: dict[str, object] | None
    disable_tool_validation: bool
    documents: Iterable[dict[str, object]] | None
    exclude_domains: Sequence[str] | None
    frequency_penalty: float | None
    function_call: (
        Literal["none", "auto", "required"] | ChatCompletionFunctionCallOptionParam | None
    )
    functions: Iterable[FunctionDefinition] | None
    include_domains: Sequence[str] | None
    include_reasoning: bool | None
    logit_bias: dict[str, int] | None
    logprobs: bool | None
    max_completion_tokens: int | None
    max_tokens: int | None
    metadata: dict[str, str] | None
    n: int | None
    parallel_tool_calls: bool | None
    presence_penalty: float | None
    reasoning_effort: Literal["none", "default", "low", "medium", "high"] | None
    reasoning_format: Literal["hidden", "raw", "parsed"] | None
    response_format: ResponseFormat | None
    search_settings: dict[str, object] | None
    seed: int | None
    service_tier: Literal["auto", "on_demand", "flex", "performance"] | None
    stop: str | Sequence[str] | None
    store: bool | None
    stream_options: dict[str, object] | None
    temperature: float | None
    tool_choice: ChatCompletionToolChoiceOptionParam | None
    tools: Iterable[ChatCompletionToolParam] | None
    top_logprobs: int | None
    top_p: float | None
    user: str | None


class CompletionCreateParamsNonStreaming(CompletionCreateParamsBase, total=False):
    """``create(**params)`` returning a ChatCompletion."""

    stream: Literal[False] | None


class CompletionCreateParamsStreaming(CompletionCreateParamsBase):
    """``create(**params)`` returning a ChatStream."""

    stream: Required[Literal[True]]


#: The keyword arguments of ``client.chat.completions.create``, streaming or not.
CompletionCreateParams: TypeAlias = (
    CompletionCreateParamsNonStreaming | CompletionCreateParamsStreaming
)
