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

ChatCompletionRole: TypeAlias = Literal["system", "user", "assistant", "tool", "function"]
FunctionParameters: TypeAlias = dict[str, object]


class FunctionDefinition(TypedDict, total=False):
    name: Required[str]
    description: str
    parameters: FunctionParameters
    strict: bool


# ------------------------------------------------------------------------------ content parts


class ChatCompletionContentPartTextParam(TypedDict, total=False):
    text: Required[str]
    type: Required[Literal["text"]]


class ImageURL(TypedDict, total=False):
    url: Required[str]
    detail: Literal["auto", "low", "high"]


class ChatCompletionContentPartImageParam(TypedDict, total=False):
    image_url: Required[ImageURL]
    type: Required[Literal["image_url"]]


class ChatCompletionRequestMessageContentPartDocumentDocument(TypedDict, total=False):
    data: Required[dict[str, object]]
    id: str | None


class ChatCompletionRequestMessageContentPartDocument(TypedDict, total=False):
    document: Required[ChatCompletionRequestMessageContentPartDocumentDocument]
    type: Required[Literal["document"]]


ChatCompletionContentPartParam: TypeAlias = (
    ChatCompletionContentPartTextParam
    | ChatCompletionContentPartImageParam
    | ChatCompletionRequestMessageContentPartDocument
)


# ------------------------------------------------------------------------------ messages


class ChatCompletionSystemMessageParam(TypedDict, total=False):
    content: Required[str | Iterable[ChatCompletionContentPartTextParam]]
    role: Required[Literal["system", "developer"]]
    name: str


class ChatCompletionUserMessageParam(TypedDict, total=False):
    content: Required[str | Iterable[ChatCompletionContentPartParam]]
    role: Required[Literal["user"]]
    name: str


class Function(TypedDict, total=False):
    """The function of an assistant's tool call."""

    arguments: Required[str]
    name: Required[str]


class ChatCompletionMessageToolCallParam(TypedDict, total=False):
    id: Required[str]
    function: Required[Function]
    type: Required[Literal["function"]]


class FunctionCall(TypedDict, total=False):
    """Deprecated (``tool_calls`` replaces it): the function the assistant called."""

    arguments: str
    name: str


class ChatCompletionAssistantMessageParam(TypedDict, total=False):
    role: Required[Literal["assistant"]]
    content: str | Iterable[ChatCompletionContentPartTextParam] | None
    function_call: FunctionCall
    name: str
    reasoning: str | None
    tool_calls: Iterable[ChatCompletionMessageToolCallParam]


class ChatCompletionToolMessageParam(TypedDict, total=False):
    content: Required[str | Iterable[ChatCompletionContentPartParam]]
    role: Required[Literal["tool"]]
    tool_call_id: Required[str]


class ChatCompletionFunctionMessageParam(TypedDict, total=False):
    content: Required[str | None]
    name: Required[str]
    role: Required[Literal["function"]]


ChatCompletionMessageParam: TypeAlias = (
    ChatCompletionSystemMessageParam
    | ChatCompletionUserMessageParam
    | ChatCompletionAssistantMessageParam
    | ChatCompletionToolMessageParam
    | ChatCompletionFunctionMessageParam
)


# ------------------------------------------------------------------------------ tools


class ChatCompletionToolParam(TypedDict, total=False):
    type: Required[Literal["function", "browser_search", "code_interpreter"] | str]
    function: FunctionDefinition


class _NamedFunction(TypedDict, total=False):
    name: Required[str]


class ChatCompletionNamedToolChoiceParam(TypedDict, total=False):
    function: Required[_NamedFunction]
    type: Required[Literal["function"]]


ChatCompletionToolChoiceOptionParam: TypeAlias = (
    Literal["none", "auto", "required"] | ChatCompletionNamedToolChoiceParam
)


class ChatCompletionFunctionCallOptionParam(TypedDict, total=False):
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


CompletionCreateParams: TypeAlias = (
    CompletionCreateParamsNonStreaming | CompletionCreateParamsStreaming
)
