"""The official SDK's ``*Param`` TypedDicts for chat requests, under the same names.

``from groq.types.chat import ChatCompletionMessageParam`` becomes
``from groq_anyio.types.chat import ChatCompletionMessageParam``. They type the plain dicts that
``chat.completions.create`` takes (``messages``, ``tools``, ``tool_choice``, ...), so a type
checker flags ``{"rol": "user"}`` or a missing ``tool_call_id`` before anything runs. At run
time they are ordinary dicts; the msgspec request Structs (:mod:`.chat_params`) are accepted in
the same places.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, Required, TypeAlias, TypedDict

__all__ = [
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
