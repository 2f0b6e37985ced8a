"""The official SDK's names for types that are named otherwise here, and its ``*CreateParams``
TypedDicts of batches, embeddings and files, so that ``from groq.types import X`` becomes
``from groq_anyio.types import X``. Loaded on first use of one of these names."""

from collections.abc import Sequence
from typing import Any, Literal, Required, TypedDict

from .batches import Batch, BatchList
from .chat_param_dicts import FunctionParameters
from .files import FileDeleted, FileList, FileObject
from .models import ModelList

__all__ = [
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
    "SpeechCreateParams",
    "TranscriptionCreateParams",
    "TranslationCreateParams",
]

BatchCreateResponse = Batch
BatchRetrieveResponse = Batch
BatchCancelResponse = Batch
BatchListResponse = BatchList
FileCreateResponse = FileObject
FileInfoResponse = FileObject
FileDeleteResponse = FileDeleted
FileListResponse = FileList
ModelListResponse = ModelList


class BatchCreateParams(TypedDict, total=False):
    """The keyword arguments of ``client.batches.create``."""

    completion_window: Required[str]
    endpoint: Required[Literal["/v1/chat/completions"]]
    input_file_id: Required[str]
    metadata: dict[str, str] | None


class EmbeddingCreateParams(TypedDict, total=False):
    """The keyword arguments of ``client.embeddings.create``."""

    input: Required[str | Sequence[str]]
    model: Required[str]
    encoding_format: Literal["float", "base64"]
    user: str | None


class FileCreateParams(TypedDict, total=False):
    """The keyword arguments of ``client.files.create``."""

    file: Required[Any]
    purpose: Required[Literal["batch"]]


# ------------------------------------------------------------------------------ audio
# (``groq.types.audio``'s; ``file`` is any of what the resources accept)


class SpeechCreateParams(TypedDict, total=False):
    """The keyword arguments of ``client.audio.speech.create``."""

    input: Required[str]
    model: Required[str]
    voice: Required[str]
    response_format: Literal["flac", "mp3", "mulaw", "ogg", "wav"]
    sample_rate: Literal[8000, 16000, 22050, 24000, 32000, 44100, 48000]
    speed: float


class TranscriptionCreateParams(TypedDict, total=False):
    """The keyword arguments of ``client.audio.transcriptions.create``."""

    model: Required[str]
    file: Any
    language: str
    prompt: str
    response_format: Literal["json", "text", "verbose_json"]
    temperature: float
    timestamp_granularities: list[Literal["word", "segment"]]
    url: str


class TranslationCreateParams(TypedDict, total=False):
    """The keyword arguments of ``client.audio.translations.create``."""

    model: Required[str]
    file: Any
    prompt: str
    response_format: Literal["json", "text", "verbose_json"]
    temperature: float
    url: str
