"""``POST /audio/speech``: generated audio, streamed in chunks."""

from __future__ import annotations

import array
import itertools
import math
import struct
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Final

from .._exchange import Exchange
from ._common import headers_for, json_body, reject_unknown_model, send_error
from ._state import endpoint_state

if TYPE_CHECKING:
    from .._scenarios import ChatScript

__all__ = ["SPEECH_FORMATS", "SPEECH_SAMPLE_RATES", "speech", "wav_bytes"]

SPEECH_FORMATS: Final = {
    "wav": b"audio/wav",
    "mp3": b"audio/mpeg",
    "flac": b"audio/flac",
    "ogg": b"audio/ogg",
    "mulaw": b"audio/basic",
}
SPEECH_SAMPLE_RATES: Final = frozenset({8000, 16000, 22050, 24000, 32000, 44100, 48000})
_SIGNATURES: Final = {"mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00", "flac": b"fLaC", "ogg": b"OggS"}


_PERIOD: Final = 480  # samples per period of the generated tone (100 Hz at 48 kHz)


def _tone_period() -> bytes:
    """One period of a quiet tone as little-endian 16-bit samples."""
    samples = array.array(
        "h", (int(3000 * math.sin(2 * math.pi * i / _PERIOD)) for i in range(_PERIOD))
    )
    if sys.byteorder == "big":  # pragma: no cover
        samples.byteswap()
    return samples.tobytes()


def _wav_header(samples: int, sample_rate: int) -> bytes:
    size = samples * 2
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + size)
        + b"WAVE"
        + b"fmt "
        + fmt
        + b"data"
        + (struct.pack("<I", size))
    )


def _pcm_chunks(samples: int, chunk_size: int) -> Iterator[bytes]:
    """The tone's samples in pieces of about ``chunk_size`` bytes, made as they are sent."""
    period = _tone_period()
    per_chunk = max(1, chunk_size // len(period))
    block = period * per_chunk
    full, rest = divmod(samples * 2, len(block))
    for _ in range(full):
        yield block
    if rest:
        yield block[:rest]


def wav_bytes(samples: int, sample_rate: int = 48000) -> bytes:
    """A 16-bit mono PCM WAV file of ``samples`` samples of a quiet tone."""
    return _wav_header(samples, sample_rate) + b"".join(_pcm_chunks(samples, 1 << 16))


async def speech(script: ChatScript, exchange: Exchange) -> None:
    state = endpoint_state(exchange.server)
    body = json_body(exchange.request)
    if isinstance(body, str):
        await send_error(exchange, 400, body, "json_invalid")
        return
    for name in ("model", "input", "voice"):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            await send_error(exchange, 400, f"property '{name}' is missing", param=name)
            return
    if await reject_unknown_model(exchange, body["model"]):
        return
    fmt = body.get("response_format", "wav")
    rate = body.get("sample_rate", 48000)
    if fmt not in SPEECH_FORMATS:
        message = "must be one of flac, mp3, mulaw, ogg, wav"
        await send_error(exchange, 400, message, param="response_format")
        return
    if rate not in SPEECH_SAMPLE_RATES or isinstance(rate, bool):
        await send_error(exchange, 400, "unsupported sample rate", param="sample_rate")
        return
    samples = len(body["input"]) * max(0, state.speech_samples_per_char)
    size = max(1, state.chunk_size)
    pieces: Iterable[bytes]
    if fmt == "mulaw":
        pieces = (b"\xff" * min(size, samples - i) for i in range(0, samples, size))
    else:
        head = _SIGNATURES.get(fmt, b"") + _wav_header(samples, rate)
        pieces = itertools.chain((head,), _pcm_chunks(samples, size))
    await exchange.start(200, headers_for(script, exchange, SPEECH_FORMATS[fmt]), None)
    for i, piece in enumerate(pieces):
        if i and state.chunk_delay > 0:
            await exchange.sleep(state.chunk_delay)
        await exchange.write(piece)
    await exchange.end()
