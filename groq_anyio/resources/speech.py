"""``client.audio.speech.create``: text to audio, streamed back as a :class:`BinaryResponse`.

Validate every argument before anything is sent, encode the JSON body, and hand back the
response unread: the audio can then be iterated, read whole, or streamed to a file without
holding it in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from .._config import Timeout
from .._download import BinaryResponse
from .._errors import InvalidParameterError
from .._notgiven import NOT_GIVEN, NotGiven
from ..types.speech import (
    SPEECH_CONTENT_TYPES,
    SPEECH_SAMPLE_RATES,
    SpeechRequest,
    SpeechResponseFormat,
    SpeechSampleRate,
)
from ._common import (
    JSON_CONTENT_TYPE,
    APIResource,
    check_number,
    check_str,
    encode_json,
    open_binary,
)

if TYPE_CHECKING:
    from .._requester import Requester

__all__ = ["MAX_SPEECH_INPUT", "MAX_SPEED", "MIN_SPEED", "Speech"]

#: the longest ``input`` accepted, in characters (Groq's documented text-to-speech limit)
MAX_SPEECH_INPUT: Final = 10_000
MIN_SPEED: Final = 0.5
MAX_SPEED: Final = 5.0

_PATH: Final = "/audio/speech"
_FORMATS: Final = ", ".join(SPEECH_CONTENT_TYPES)
_RATES: Final = ", ".join(str(r) for r in sorted(SPEECH_SAMPLE_RATES))
_ACCEPT: Final = {
    fmt: ctype.encode("ascii") + b", */*;q=0.5" for fmt, ctype in SPEECH_CONTENT_TYPES.items()
}


class Speech(APIResource):
    """``POST /audio/speech``: generate spoken audio from text."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    async def create(
        self,
        *,
        model: str,
        input: str,
        voice: str,
        response_format: SpeechResponseFormat | None = None,
        sample_rate: SpeechSampleRate | None = None,
        speed: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
    ) -> BinaryResponse:
        """Speak ``input`` and return the audio as a streamed :class:`BinaryResponse`.

        Use it as ``async with await client.audio.speech.create(...) as audio:`` and then
        ``await audio.write_to_file("out.wav")``, ``await audio.read()`` or
        ``async for chunk in audio.iter_bytes()``.

        Args:
            model: The text-to-speech model (``playai-tts``, ``canopylabs/orpheus-v1-english``).
            input: The text to speak: not empty, at most 10,000 characters.
            voice: The voice name; any non-empty string is sent (new voices need no update).
            response_format: ``flac``, ``mp3``, ``mulaw``, ``ogg`` or ``wav`` (the API's
                default is ``wav``).
            sample_rate: 8000, 16000, 22050, 24000, 32000, 44100 or 48000 Hz.
            speed: The speaking rate, from 0.5 to 5.0 (1.0 is normal).
            extra_headers: Additional request headers.
            extra_query: Additional query parameters.
            extra_body: Additional JSON fields (they replace same-named ones).
            timeout: The deadline up to the response headers (seconds or a
                :class:`~groq_anyio.Timeout`, whose ``read`` bounds each wait for audio).

        Raises:
            InvalidParameterError: A wrong argument, before any request.
            APIStatusError: The API answered with an error status (a subclass per status).
        """
        request = _speech_request(
            model=model,
            input=input,
            voice=voice,
            response_format=response_format,
            sample_rate=sample_rate,
            speed=speed,
        )
        body = encode_json(request, extra_body)
        return await open_binary(
            self._client,
            b"POST",
            _PATH,
            body=body,
            content_type=JSON_CONTENT_TYPE,
            accept=_ACCEPT[response_format or "wav"],
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )


def _speech_request(
    *,
    model: object,
    input: object,
    voice: object,
    response_format: object,
    sample_rate: object,
    speed: object,
) -> SpeechRequest:
    """The request body; raises :class:`InvalidParameterError` on any wrong argument."""
    model_id = check_str("model", model)
    if not isinstance(input, str):
        raise InvalidParameterError("input", f"must be a string, not {type(input).__name__}")
    if not input.strip():
        raise InvalidParameterError("input", "must be non-empty text")
    if len(input) > MAX_SPEECH_INPUT:
        raise InvalidParameterError(
            "input", f"is {len(input)} characters long; at most {MAX_SPEECH_INPUT} are accepted"
        )
    if not isinstance(voice, str):
        raise InvalidParameterError("voice", f"must be a string, not {type(voice).__name__}")
    if not voice.strip():
        raise InvalidParameterError("voice", "must be a non-empty voice name")
    if response_format is not None and response_format not in SPEECH_CONTENT_TYPES:
        raise InvalidParameterError("response_format", f"must be one of {_FORMATS}")
    if sample_rate is not None and (
        isinstance(sample_rate, bool)
        or not isinstance(sample_rate, int)
        or sample_rate not in SPEECH_SAMPLE_RATES
    ):
        raise InvalidParameterError("sample_rate", f"must be one of {_RATES} (Hz)")
    rate = check_number("speed", speed, MIN_SPEED, MAX_SPEED) if speed is not None else None
    assert model_id is not None
    return SpeechRequest(
        model=model_id,
        input=input,
        voice=voice,
        response_format=response_format,
        sample_rate=sample_rate,
        speed=rate,
    )
