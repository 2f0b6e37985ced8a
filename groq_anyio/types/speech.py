"""The request type of ``POST /audio/speech`` (text to speech).

The answer is audio, streamed as a :class:`~groq_anyio.BinaryResponse`, so it has no type here.
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

from .shared import RequestModel

__all__ = [
    "SPEECH_CONTENT_TYPES",
    "SPEECH_SAMPLE_RATES",
    "SpeechRequest",
    "SpeechResponseFormat",
    "SpeechSampleRate",
]

SpeechResponseFormat: TypeAlias = Literal["flac", "mp3", "mulaw", "ogg", "wav"]
SpeechSampleRate: TypeAlias = Literal[8000, 16000, 22050, 24000, 32000, 44100, 48000]

#: each output format and the content type its audio comes as
SPEECH_CONTENT_TYPES: Final = {
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "mulaw": "audio/basic",
    "ogg": "audio/ogg",
    "wav": "audio/wav",
}
#: the sample rates the API accepts (Hz)
SPEECH_SAMPLE_RATES: Final = frozenset({8000, 16000, 22050, 24000, 32000, 44100, 48000})


class SpeechRequest(RequestModel):
    """The body of ``POST /audio/speech`` (unset fields are not sent).

    Attributes:
        model: The text-to-speech model (``playai-tts``, ``canopylabs/orpheus-v1-english``).
        input: The text to speak.
        voice: The voice (``Fritz-PlayAI``, ``autumn``, ...; see Groq's text-to-speech docs).
        response_format: ``flac``, ``mp3``, ``mulaw``, ``ogg`` or ``wav``.
        sample_rate: One of 8000, 16000, 22050, 24000, 32000, 44100, 48000 Hz.
        speed: The speaking rate (1.0 is normal).
    """

    model: str
    input: str
    voice: str
    response_format: str | None = None
    sample_rate: int | None = None
    speed: float | None = None
