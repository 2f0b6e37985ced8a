"""Typed request and response values (msgspec Structs) for the Groq API.

Response types decode straight from bytes with a reused ``msgspec.json.Decoder``; request types
are typed alternatives to plain dicts and can be mixed with them.
"""

from __future__ import annotations

from .audio import Transcription as Transcription
from .audio import TranscriptionSegment as TranscriptionSegment
from .audio import TranscriptionWord as TranscriptionWord
from .audio import Translation as Translation
from .chat import Annotation as Annotation
from .chat import BrowserResult as BrowserResult
from .chat import ChatCompletion as ChatCompletion
from .chat import ChatCompletionChunk as ChatCompletionChunk
from .chat import ChatCompletionMessage as ChatCompletionMessage
from .chat import ChatCompletionMessageToolCall as ChatCompletionMessageToolCall
from .chat import Choice as Choice
from .chat import ChoiceDelta as ChoiceDelta
from .chat import ChoiceDeltaFunctionCall as ChoiceDeltaFunctionCall
from .chat import ChoiceDeltaToolCall as ChoiceDeltaToolCall
from .chat import ChoiceDeltaToolCallFunction as ChoiceDeltaToolCallFunction
from .chat import ChoiceLogprobs as ChoiceLogprobs
from .chat import ChunkChoice as ChunkChoice
from .chat import CodeResult as CodeResult
from .chat import CodeResultChart as CodeResultChart
from .chat import CodeResultChartElement as CodeResultChartElement
from .chat import DocumentCitation as DocumentCitation
from .chat import ExecutedTool as ExecutedTool
from .chat import FunctionCall as FunctionCall
from .chat import FunctionCitation as FunctionCitation
from .chat import McpListTool as McpListTool
from .chat import McpListToolTool as McpListToolTool
from .chat import SearchResult as SearchResult
from .chat import SearchResults as SearchResults
from .chat import TokenLogprob as TokenLogprob
from .chat import TopLogprob as TopLogprob
from .chat import XGroq as XGroq
from .chat import XGroqDebug as XGroqDebug
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
from .shared import CompletionTokensDetails as CompletionTokensDetails
from .shared import CompletionUsage as CompletionUsage
from .shared import ErrorDebug as ErrorDebug
from .shared import ErrorObject as ErrorObject
from .shared import ErrorResponse as ErrorResponse
from .shared import FunctionDefinition as FunctionDefinition
from .shared import GroqModel as GroqModel
from .shared import PromptTokensDetails as PromptTokensDetails
from .shared import RequestModel as RequestModel
from .shared import StreamErrorBody as StreamErrorBody
from .shared import UsageBreakdown as UsageBreakdown
from .shared import UsageBreakdownModel as UsageBreakdownModel

__all__ = [
    # Base classes
    "GroqModel",
    "RequestModel",
    # Shared: usage and errors
    "CompletionUsage",
    "CompletionTokensDetails",
    "PromptTokensDetails",
    "UsageBreakdown",
    "UsageBreakdownModel",
    "ErrorObject",
    "ErrorDebug",
    "ErrorResponse",
    "StreamErrorBody",
    "FunctionDefinition",
    # Chat responses
    "ChatCompletion",
    "Choice",
    "ChatCompletionMessage",
    "ChatCompletionMessageToolCall",
    "FunctionCall",
    "ChoiceLogprobs",
    "TokenLogprob",
    "TopLogprob",
    "Annotation",
    "DocumentCitation",
    "FunctionCitation",
    "ExecutedTool",
    "SearchResults",
    "SearchResult",
    "CodeResult",
    "CodeResultChart",
    "CodeResultChartElement",
    "BrowserResult",
    "McpListTool",
    "McpListToolTool",
    "XGroq",
    "XGroqDebug",
    # Chat streaming
    "ChatCompletionChunk",
    "ChunkChoice",
    "ChoiceDelta",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChoiceDeltaFunctionCall",
    # Chat request: messages
    "Message",
    "SystemMessage",
    "DeveloperMessage",
    "UserMessage",
    "AssistantMessage",
    "AssistantToolCall",
    "ToolMessage",
    "FunctionMessage",
    "ContentPart",
    "TextContentPart",
    "ImageContentPart",
    "ImageURL",
    "DocumentContentPart",
    "DocumentContentPartData",
    # Chat request: tools
    "Tool",
    "FunctionTool",
    "BrowserSearchTool",
    "CodeInterpreterTool",
    "NamedToolChoice",
    "NamedToolChoiceFunction",
    "FunctionCallOption",
    # Chat request: other parameters
    "ChatCompletionRequest",
    "ResponseFormat",
    "ResponseFormatText",
    "ResponseFormatJSONObject",
    "ResponseFormatJSONSchema",
    "JSONSchema",
    "StreamOptions",
    "SearchSettings",
    "Document",
    "DocumentSource",
    "DocumentSourceText",
    "DocumentSourceJSON",
    "CompoundCustom",
    "CompoundCustomModels",
    "CompoundCustomTools",
    "WolframSettings",
    # Audio
    "Transcription",
    "TranscriptionSegment",
    "TranscriptionWord",
    "Translation",
]
