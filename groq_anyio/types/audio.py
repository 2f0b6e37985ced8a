"""Response types of the audio endpoints (``/audio/transcriptions``, ``/audio/translations``).

``response_format="json"`` answers carry ``text`` (and Groq's ``x_groq``); ``"verbose_json"``
adds ``task``, ``language``, ``duration`` and, as asked with ``timestamp_granularities``,
``segments`` and/or ``words``. The text formats (``text``, ``srt``, ``vtt``) are returned as
``str`` and have no type here. Unknown fields are ignored and every optional field accepts
``null`` (a recorded Groq answer sends ``"segments": null`` next to ``words``).
"""

from __future__ import annotations

from .chat import XGroq
from .shared import GroqModel

__all__ = ["Transcription", "TranscriptionSegment", "TranscriptionWord", "Translation"]


class TranscriptionWord(GroqModel):
    """One word with its start and end time in seconds."""

    word: str
    start: float
    end: float


class TranscriptionSegment(GroqModel):
    """One segment of a verbose transcription.

    Attributes:
        id: Index of the segment.
        seek: Seek offset of the segment (in audio frames).
        start: Start time in seconds.
        end: End time in seconds.
        text: The segment's text.
        tokens: Token ids of the text.
        temperature: Sampling temperature used for the segment.
        avg_logprob: Average log probability; below -1 suggests a poor transcription.
        compression_ratio: Above 2.4 suggests a failed (repetitive) transcription.
        no_speech_prob: Probability that the segment holds no speech.
    """

    id: int = 0
    seek: int | None = None
    start: float = 0.0
    end: float = 0.0
    text: str = ""
    tokens: list[int] | None = None
    temperature: float | None = None
    avg_logprob: float | None = None
    compression_ratio: float | None = None
    no_speech_prob: float | None = None


class _AudioText(GroqModel):
    text: str
    #: ``"transcribe"`` or ``"translate"`` (``verbose_json`` only)
    task: str | None = None
    #: the spoken language as a name (``"English"``) (``verbose_json`` only)
    language: str | None = None
    #: length of the audio in seconds (``verbose_json`` only)
    duration: float | None = None
    segments: list[TranscriptionSegment] | None = None
    words: list[TranscriptionWord] | None = None
    x_groq: XGroq | None = None


class Transcription(_AudioText):
    """A transcription (``json`` or ``verbose_json``).

    Attributes:
        text: The transcribed text.
        task: ``"transcribe"`` (``verbose_json`` only).
        language: The detected or given language (``verbose_json`` only).
        duration: Length of the audio in seconds (``verbose_json`` only).
        segments: Segment timestamps (``verbose_json`` with ``"segment"`` granularity).
        words: Word timestamps (``verbose_json`` with ``"word"`` granularity).
        x_groq: Groq's metadata; ``x_groq.id`` is the request id.
    """


class Translation(_AudioText):
    """A translation into English (``json`` or ``verbose_json``).

    Attributes:
        text: The translated text.
        task: ``"translate"`` (``verbose_json`` only).
        language: The source language (``verbose_json`` only).
        duration: Length of the audio in seconds (``verbose_json`` only).
        segments: Segment timestamps (``verbose_json`` only).
        words: Word timestamps, if the server sent any.
        x_groq: Groq's metadata; ``x_groq.id`` is the request id.
    """


# the official SDK's request TypedDicts of groq.types.audio (loaded on first use, PEP 562)
_PARAM_DICTS = frozenset(
    {"SpeechCreateParams", "TranscriptionCreateParams", "TranslationCreateParams"}
)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._aliases import SpeechCreateParams as SpeechCreateParams
    from ._aliases import TranscriptionCreateParams as TranscriptionCreateParams
    from ._aliases import TranslationCreateParams as TranslationCreateParams


def __getattr__(name: str) -> object:
    if name in _PARAM_DICTS:
        from . import _aliases

        value = getattr(_aliases, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
