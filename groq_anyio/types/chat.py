"""The chat API area: responses (:mod:`.chat_completion`) and requests (:mod:`.chat_params`).

Import chat types from here (or from :mod:`groq_anyio.types`); the two modules behind it only
split the code by direction.
"""

from __future__ import annotations

from .chat_completion import Annotation as Annotation
from .chat_completion import BrowserResult as BrowserResult
from .chat_completion import ChatCompletion as ChatCompletion
from .chat_completion import ChatCompletionChunk as ChatCompletionChunk
from .chat_completion import ChatCompletionMessage as ChatCompletionMessage
from .chat_completion import ChatCompletionMessageToolCall as ChatCompletionMessageToolCall
from .chat_completion import Choice as Choice
from .chat_completion import ChoiceDelta as ChoiceDelta
from .chat_completion import ChoiceDeltaFunctionCall as ChoiceDeltaFunctionCall
from .chat_completion import ChoiceDeltaToolCall as ChoiceDeltaToolCall
from .chat_completion import ChoiceDeltaToolCallFunction as ChoiceDeltaToolCallFunction
from .chat_completion import ChoiceLogprobs as ChoiceLogprobs
from .chat_completion import ChunkChoice as ChunkChoice
from .chat_completion import CodeResult as CodeResult
from .chat_completion import CodeResultChart as CodeResultChart
from .chat_completion import CodeResultChartElement as CodeResultChartElement
from .chat_completion import DocumentCitation as DocumentCitation
from .chat_completion import ExecutedTool as ExecutedTool
from .chat_completion import FunctionCall as FunctionCall
from .chat_completion import FunctionCitation as FunctionCitation
from .chat_completion import McpListTool as McpListTool
from .chat_completion import McpListToolTool as McpListToolTool
from .chat_completion import SearchResult as SearchResult
from .chat_completion import SearchResults as SearchResults
from .chat_completion import TokenLogprob as TokenLogprob
from .chat_completion import TopLogprob as TopLogprob
from .chat_completion import XGroq as XGroq
from .chat_completion import XGroqDebug as XGroqDebug
from .chat_params import AssistantMessage as AssistantMessage
from .chat_params import AssistantToolCall as AssistantToolCall
from .chat_params import BrowserSearchTool as BrowserSearchTool
from .chat_params import ChatCompletionRequest as ChatCompletionRequest
from .chat_params import CodeInterpreterTool as CodeInterpreterTool
from .chat_params import CompoundCustom as CompoundCustom
from .chat_params import CompoundCustomModels as CompoundCustomModels
from .chat_params import CompoundCustomTools as CompoundCustomTools
from .chat_params import ContentPart as ContentPart
from .chat_params import DeveloperMessage as DeveloperMessage
from .chat_params import Document as Document
from .chat_params import DocumentContentPart as DocumentContentPart
from .chat_params import DocumentContentPartData as DocumentContentPartData
from .chat_params import DocumentSource as DocumentSource
from .chat_params import DocumentSourceJSON as DocumentSourceJSON
from .chat_params import DocumentSourceText as DocumentSourceText
from .chat_params import FunctionCallOption as FunctionCallOption
from .chat_params import FunctionMessage as FunctionMessage
from .chat_params import FunctionTool as FunctionTool
from .chat_params import ImageContentPart as ImageContentPart
from .chat_params import ImageURL as ImageURL
from .chat_params import JSONSchema as JSONSchema
from .chat_params import Message as Message
from .chat_params import NamedToolChoice as NamedToolChoice
from .chat_params import NamedToolChoiceFunction as NamedToolChoiceFunction
from .chat_params import ResponseFormat as ResponseFormat
from .chat_params import ResponseFormatJSONObject as ResponseFormatJSONObject
from .chat_params import ResponseFormatJSONSchema as ResponseFormatJSONSchema
from .chat_params import ResponseFormatText as ResponseFormatText
from .chat_params import SearchSettings as SearchSettings
from .chat_params import StreamOptions as StreamOptions
from .chat_params import SystemMessage as SystemMessage
from .chat_params import TextContentPart as TextContentPart
from .chat_params import Tool as Tool
from .chat_params import ToolMessage as ToolMessage
from .chat_params import UserMessage as UserMessage
from .chat_params import WolframSettings as WolframSettings

# The official SDK's ``*Param`` TypedDicts (typing only: imported on first use, PEP 562)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .chat_param_dicts import (
        ChatCompletionAssistantMessageParam as ChatCompletionAssistantMessageParam,
    )
    from .chat_param_dicts import (
        ChatCompletionContentPartImageParam as ChatCompletionContentPartImageParam,
    )
    from .chat_param_dicts import ChatCompletionContentPartParam as ChatCompletionContentPartParam
    from .chat_param_dicts import (
        ChatCompletionContentPartTextParam as ChatCompletionContentPartTextParam,
    )
    from .chat_param_dicts import (
        ChatCompletionFunctionCallOptionParam as ChatCompletionFunctionCallOptionParam,
    )
    from .chat_param_dicts import (
        ChatCompletionFunctionMessageParam as ChatCompletionFunctionMessageParam,
    )
    from .chat_param_dicts import ChatCompletionMessageParam as ChatCompletionMessageParam
    from .chat_param_dicts import (
        ChatCompletionMessageToolCallParam as ChatCompletionMessageToolCallParam,
    )
    from .chat_param_dicts import (
        ChatCompletionNamedToolChoiceParam as ChatCompletionNamedToolChoiceParam,
    )
    from .chat_param_dicts import ChatCompletionRole as ChatCompletionRole
    from .chat_param_dicts import (
        ChatCompletionSystemMessageParam as ChatCompletionSystemMessageParam,
    )
    from .chat_param_dicts import ChatCompletionTokenLogprob as ChatCompletionTokenLogprob
    from .chat_param_dicts import (
        ChatCompletionToolChoiceOptionParam as ChatCompletionToolChoiceOptionParam,
    )
    from .chat_param_dicts import ChatCompletionToolMessageParam as ChatCompletionToolMessageParam
    from .chat_param_dicts import ChatCompletionToolParam as ChatCompletionToolParam
    from .chat_param_dicts import ChatCompletionUserMessageParam as ChatCompletionUserMessageParam
    from .chat_param_dicts import CompletionCreateParams as CompletionCreateParams
    from .chat_param_dicts import (
        CompletionCreateParamsNonStreaming as CompletionCreateParamsNonStreaming,
    )
    from .chat_param_dicts import CompletionCreateParamsStreaming as CompletionCreateParamsStreaming

_PARAM_DICTS = frozenset(
    {
        "ChatCompletionAssistantMessageParam",
        "ChatCompletionContentPartImageParam",
        "ChatCompletionContentPartParam",
        "ChatCompletionContentPartTextParam",
        "ChatCompletionFunctionCallOptionParam",
        "ChatCompletionFunctionMessageParam",
        "ChatCompletionMessageParam",
        "ChatCompletionMessageToolCallParam",
        "ChatCompletionNamedToolChoiceParam",
        "ChatCompletionRole",
        "ChatCompletionSystemMessageParam",
        "ChatCompletionToolChoiceOptionParam",
        "ChatCompletionToolMessageParam",
        "ChatCompletionTokenLogprob",
        "ChatCompletionToolParam",
        "ChatCompletionUserMessageParam",
        "CompletionCreateParams",
        "CompletionCreateParamsNonStreaming",
        "CompletionCreateParamsStreaming",
    }
)


def __getattr__(name: str) -> object:
    if name in _PARAM_DICTS:
        from . import chat_param_dicts

        value = getattr(chat_param_dicts, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    # responses
    "Annotation",
    "BrowserResult",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "ChatCompletionMessageToolCall",
    "Choice",
    "ChoiceDelta",
    "ChoiceDeltaFunctionCall",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChoiceLogprobs",
    "ChunkChoice",
    "CodeResult",
    "CodeResultChart",
    "CodeResultChartElement",
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
    # requests
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
    # request dicts, typed as in the official SDK
    "ChatCompletionAssistantMessageParam",
    "ChatCompletionContentPartImageParam",
    "ChatCompletionContentPartParam",
    "ChatCompletionContentPartTextParam",
    "ChatCompletionFunctionCallOptionParam",
    "ChatCompletionFunctionMessageParam",
    "ChatCompletionMessageParam",
    "ChatCompletionMessageToolCallParam",
    "ChatCompletionNamedToolChoiceParam",
    "ChatCompletionRole",
    "ChatCompletionSystemMessageParam",
    "ChatCompletionToolChoiceOptionParam",
    "ChatCompletionToolMessageParam",
    "ChatCompletionTokenLogprob",
    "ChatCompletionToolParam",
    "ChatCompletionUserMessageParam",
    "CompletionCreateParams",
    "CompletionCreateParamsNonStreaming",
    "CompletionCreateParamsStreaming",
]
