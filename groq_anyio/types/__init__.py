"""Typed request and response values (msgspec Structs) for the Groq API.

Response types decode straight from bytes with a reused ``msgspec.json.Decoder``; request types
are typed alternatives to plain dicts and can be mixed with them.
"""

from __future__ import annotations

# The types are imported on first use (PEP 562): importing one module (``groq_anyio.types.chat``,
# as the client does) does not import every API area. Type checkers see the imports below.
# A new public name goes in both places (and __all__).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._aliases import BatchCancelResponse as BatchCancelResponse
    from ._aliases import BatchCreateParams as BatchCreateParams
    from ._aliases import BatchCreateResponse as BatchCreateResponse
    from ._aliases import BatchListResponse as BatchListResponse
    from ._aliases import BatchRetrieveResponse as BatchRetrieveResponse
    from ._aliases import EmbeddingCreateParams as EmbeddingCreateParams
    from ._aliases import FileCreateParams as FileCreateParams
    from ._aliases import FileCreateResponse as FileCreateResponse
    from ._aliases import FileDeleteResponse as FileDeleteResponse
    from ._aliases import FileInfoResponse as FileInfoResponse
    from ._aliases import FileListResponse as FileListResponse
    from ._aliases import FunctionParameters as FunctionParameters
    from ._aliases import ModelListResponse as ModelListResponse
    from .audio import Transcription as Transcription
    from .audio import TranscriptionSegment as TranscriptionSegment
    from .audio import TranscriptionWord as TranscriptionWord
    from .audio import Translation as Translation
    from .batches import Batch as Batch
    from .batches import BatchCreateRequest as BatchCreateRequest
    from .batches import BatchError as BatchError
    from .batches import BatchErrors as BatchErrors
    from .batches import BatchList as BatchList
    from .batches import BatchRequestCounts as BatchRequestCounts
    from .batches import BatchResponse as BatchResponse
    from .batches import BatchResult as BatchResult
    from .batches import BatchResultError as BatchResultError
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
    from .embeddings import CreateEmbeddingResponse as CreateEmbeddingResponse
    from .embeddings import Embedding as Embedding
    from .embeddings import EmbeddingRequest as EmbeddingRequest
    from .embeddings import EmbeddingUsage as EmbeddingUsage
    from .files import FileDeleted as FileDeleted
    from .files import FileList as FileList
    from .files import FileObject as FileObject
    from .models import Model as Model
    from .models import ModelDeleted as ModelDeleted
    from .models import ModelList as ModelList
    from .responses import Response as Response
    from .responses import ResponseCreateRequest as ResponseCreateRequest
    from .responses import ResponseError as ResponseError
    from .responses import ResponseFunctionToolCall as ResponseFunctionToolCall
    from .responses import ResponseIncompleteDetails as ResponseIncompleteDetails
    from .responses import ResponseOutputContent as ResponseOutputContent
    from .responses import ResponseOutputItem as ResponseOutputItem
    from .responses import ResponseOutputMessage as ResponseOutputMessage
    from .responses import ResponseOutputRefusal as ResponseOutputRefusal
    from .responses import ResponseOutputText as ResponseOutputText
    from .responses import ResponseReasoningItem as ResponseReasoningItem
    from .responses import ResponseStreamEvent as ResponseStreamEvent
    from .responses import ResponseStreamEventOther as ResponseStreamEventOther
    from .responses import ResponseUsage as ResponseUsage
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
    from .speech import SpeechRequest as SpeechRequest

#: public name -> the submodule that defines it
_LAZY: dict[str, str] = {
    "Transcription": "audio",
    "TranscriptionSegment": "audio",
    "TranscriptionWord": "audio",
    "Translation": "audio",
    "Batch": "batches",
    "BatchCreateRequest": "batches",
    "BatchError": "batches",
    "BatchErrors": "batches",
    "BatchList": "batches",
    "BatchRequestCounts": "batches",
    "BatchResponse": "batches",
    "BatchResult": "batches",
    "BatchResultError": "batches",
    "Annotation": "chat",
    "BrowserResult": "chat",
    "ChatCompletion": "chat",
    "ChatCompletionChunk": "chat",
    "ChatCompletionMessage": "chat",
    "ChatCompletionMessageToolCall": "chat",
    "Choice": "chat",
    "ChoiceDelta": "chat",
    "ChoiceDeltaFunctionCall": "chat",
    "ChoiceDeltaToolCall": "chat",
    "ChoiceDeltaToolCallFunction": "chat",
    "ChoiceLogprobs": "chat",
    "ChunkChoice": "chat",
    "CodeResult": "chat",
    "CodeResultChart": "chat",
    "CodeResultChartElement": "chat",
    "DocumentCitation": "chat",
    "ExecutedTool": "chat",
    "FunctionCall": "chat",
    "FunctionCitation": "chat",
    "McpListTool": "chat",
    "McpListToolTool": "chat",
    "SearchResult": "chat",
    "SearchResults": "chat",
    "TokenLogprob": "chat",
    "TopLogprob": "chat",
    "XGroq": "chat",
    "XGroqDebug": "chat",
    "AssistantMessage": "chat_params",
    "AssistantToolCall": "chat_params",
    "BrowserSearchTool": "chat_params",
    "ChatCompletionRequest": "chat_params",
    "CodeInterpreterTool": "chat_params",
    "CompoundCustom": "chat_params",
    "CompoundCustomModels": "chat_params",
    "CompoundCustomTools": "chat_params",
    "ContentPart": "chat_params",
    "DeveloperMessage": "chat_params",
    "Document": "chat_params",
    "DocumentContentPart": "chat_params",
    "DocumentContentPartData": "chat_params",
    "DocumentSource": "chat_params",
    "DocumentSourceJSON": "chat_params",
    "DocumentSourceText": "chat_params",
    "FunctionCallOption": "chat_params",
    "FunctionMessage": "chat_params",
    "FunctionTool": "chat_params",
    "ImageContentPart": "chat_params",
    "ImageURL": "chat_params",
    "JSONSchema": "chat_params",
    "Message": "chat_params",
    "NamedToolChoice": "chat_params",
    "NamedToolChoiceFunction": "chat_params",
    "ResponseFormat": "chat_params",
    "ResponseFormatJSONObject": "chat_params",
    "ResponseFormatJSONSchema": "chat_params",
    "ResponseFormatText": "chat_params",
    "SearchSettings": "chat_params",
    "StreamOptions": "chat_params",
    "SystemMessage": "chat_params",
    "TextContentPart": "chat_params",
    "Tool": "chat_params",
    "ToolMessage": "chat_params",
    "UserMessage": "chat_params",
    "WolframSettings": "chat_params",
    "ChatCompletionAssistantMessageParam": "chat_param_dicts",
    "ChatCompletionContentPartImageParam": "chat_param_dicts",
    "ChatCompletionContentPartParam": "chat_param_dicts",
    "ChatCompletionContentPartTextParam": "chat_param_dicts",
    "ChatCompletionFunctionCallOptionParam": "chat_param_dicts",
    "ChatCompletionFunctionMessageParam": "chat_param_dicts",
    "ChatCompletionMessageParam": "chat_param_dicts",
    "ChatCompletionMessageToolCallParam": "chat_param_dicts",
    "ChatCompletionNamedToolChoiceParam": "chat_param_dicts",
    "ChatCompletionRole": "chat_param_dicts",
    "ChatCompletionSystemMessageParam": "chat_param_dicts",
    "ChatCompletionToolChoiceOptionParam": "chat_param_dicts",
    "ChatCompletionToolMessageParam": "chat_param_dicts",
    "ChatCompletionTokenLogprob": "chat_param_dicts",
    "ChatCompletionToolParam": "chat_param_dicts",
    "ChatCompletionUserMessageParam": "chat_param_dicts",
    "CompletionCreateParams": "chat_param_dicts",
    "BatchCancelResponse": "_aliases",
    "BatchCreateParams": "_aliases",
    "BatchCreateResponse": "_aliases",
    "BatchListResponse": "_aliases",
    "BatchRetrieveResponse": "_aliases",
    "EmbeddingCreateParams": "_aliases",
    "FileCreateParams": "_aliases",
    "FileCreateResponse": "_aliases",
    "FileDeleteResponse": "_aliases",
    "FileInfoResponse": "_aliases",
    "FileListResponse": "_aliases",
    "FunctionParameters": "_aliases",
    "ModelListResponse": "_aliases",
    "CompletionCreateParamsNonStreaming": "chat_param_dicts",
    "CompletionCreateParamsStreaming": "chat_param_dicts",
    "CreateEmbeddingResponse": "embeddings",
    "Embedding": "embeddings",
    "EmbeddingRequest": "embeddings",
    "EmbeddingUsage": "embeddings",
    "FileDeleted": "files",
    "FileList": "files",
    "FileObject": "files",
    "Model": "models",
    "ModelDeleted": "models",
    "ModelList": "models",
    "Response": "responses",
    "ResponseCreateRequest": "responses",
    "ResponseError": "responses",
    "ResponseFunctionToolCall": "responses",
    "ResponseIncompleteDetails": "responses",
    "ResponseOutputContent": "responses",
    "ResponseOutputItem": "responses",
    "ResponseOutputMessage": "responses",
    "ResponseOutputRefusal": "responses",
    "ResponseOutputText": "responses",
    "ResponseReasoningItem": "responses",
    "ResponseStreamEvent": "responses",
    "ResponseStreamEventOther": "responses",
    "ResponseUsage": "responses",
    "CompletionTokensDetails": "shared",
    "CompletionUsage": "shared",
    "ErrorDebug": "shared",
    "ErrorObject": "shared",
    "ErrorResponse": "shared",
    "FunctionDefinition": "shared",
    "GroqModel": "shared",
    "PromptTokensDetails": "shared",
    "RequestModel": "shared",
    "StreamErrorBody": "shared",
    "UsageBreakdown": "shared",
    "UsageBreakdownModel": "shared",
    "SpeechRequest": "speech",
}

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
    # Chat request dicts (the official SDK's TypedDicts)
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
    # the official SDK's names for types named otherwise here
    "BatchCancelResponse",
    "BatchCreateParams",
    "BatchCreateResponse",
    "BatchListResponse",
    "BatchRetrieveResponse",
    "EmbeddingCreateParams",
    "FileCreateParams",
    "FileCreateResponse",
    "FileDeleteResponse",
    "FileInfoResponse",
    "FileListResponse",
    "FunctionParameters",
    "ModelListResponse",
    "CompletionCreateParamsNonStreaming",
    "CompletionCreateParamsStreaming",
    # Audio
    "Transcription",
    "TranscriptionSegment",
    "TranscriptionWord",
    "Translation",
    "SpeechRequest",
    # Models
    "Model",
    "ModelList",
    "ModelDeleted",
    # Embeddings
    "EmbeddingRequest",
    "CreateEmbeddingResponse",
    "Embedding",
    "EmbeddingUsage",
    # Files
    "FileObject",
    "FileList",
    "FileDeleted",
    # Batches
    "BatchCreateRequest",
    "Batch",
    "BatchList",
    "BatchRequestCounts",
    "BatchErrors",
    "BatchError",
    "BatchResult",
    "BatchResponse",
    "BatchResultError",
    # Responses API (the rest, events included, in groq_anyio.types.responses)
    "Response",
    "ResponseCreateRequest",
    "ResponseError",
    "ResponseFunctionToolCall",
    "ResponseIncompleteDetails",
    "ResponseOutputContent",
    "ResponseOutputItem",
    "ResponseOutputMessage",
    "ResponseOutputRefusal",
    "ResponseOutputText",
    "ResponseReasoningItem",
    "ResponseStreamEvent",
    "ResponseStreamEventOther",
    "ResponseUsage",
]


if not TYPE_CHECKING:  # hidden from type checkers, which would then accept any name

    def __getattr__(name: str) -> object:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(__import__(f"{__name__}.{module}", None, None, [name]), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
