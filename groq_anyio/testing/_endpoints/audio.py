"""``POST /audio/transcriptions`` and ``POST /audio/translations``: speech to text, scripted.

The "transcript" is the script's text (:class:`~groq_anyio.testing.ChatScript`'s ``text``) with
Whisper's leading space. Its duration comes from the upload when it is a WAV file (the header's
data size and rate), else from the size (16 kB a second, about a 128 kbit/s MP3), or 0.4 s a word
for ``url=`` audio. Words and segments (one per sentence) share that duration evenly.

Formats as Groq sends them: ``json`` ``{"text", "x_groq"}``; ``verbose_json`` adds ``task``,
``language``, ``duration``, ``segments`` (unless only ``word`` timestamps were asked for: then
``null``) and ``words`` (with ``timestamp_granularities[]=word``); ``text``, ``srt`` and ``vtt``
are ``text/plain; charset=UTF-8``. Checks, with Groq's kind of 400: the form, ``model`` (a
speech model the server knows; translations only with ``whisper-large-v3``), exactly one of
``file``/``url``, the format, ``temperature`` in 0..1, the granularities.
"""

from __future__ import annotations

import math
import re
import struct
from typing import TYPE_CHECKING, Any, Final

from .._exchange import Exchange
from ._common import headers_for, reject_unknown_model, send_error, send_json
from ._form import parse_form

if TYPE_CHECKING:
    from .._scenarios import ChatScript

__all__ = ["TRANSCRIBE_MODELS", "TRANSLATE_MODELS", "transcription"]

TRANSCRIBE_MODELS: Final = frozenset({"whisper-large-v3", "whisper-large-v3-turbo"})
TRANSLATE_MODELS: Final = frozenset({"whisper-large-v3"})
_FORMATS: Final = ("json", "verbose_json", "text", "srt", "vtt")
_TEXT: Final = b"text/plain; charset=UTF-8"
_SENTENCE: Final = re.compile(r"[^.!?]+(?:[.!?]+|$)")
_BYTES_PER_SECOND: Final = 16000
_SECONDS_PER_WORD: Final = 0.4


def _wav_duration(data: bytes) -> float | None:
    """The duration of a PCM WAV file from its header, or ``None``."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    pos = 12
    rate = block = 0
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if chunk == b"fmt " and size >= 16:
            _, _, rate, _, block = struct.unpack("<HHIIH", data[pos + 8 : pos + 22])
        elif chunk == b"data" and rate and block:
            size = min(size, len(data) - pos - 8)
            return float(size / block / rate)
        pos += 8 + size + (size & 1)
    return None


def _duration(upload: bytes | None, words: int) -> float:
    if upload is None:
        return round(words * _SECONDS_PER_WORD, 3)
    wav = _wav_duration(upload)
    return round(wav if wav is not None else len(upload) / _BYTES_PER_SECOND, 6)


def _segments(text: str, duration: float) -> list[dict[str, Any]]:
    sentences = [s for s in _SENTENCE.findall(text) if s.strip()] or [text]
    total = sum(len(s) for s in sentences) or 1
    out, start = [], 0.0
    for i, sentence in enumerate(sentences):
        end = duration if i == len(sentences) - 1 else start + duration * len(sentence) / total
        out.append(
            {
                "id": i,
                "seek": 0,
                "start": round(start, 2),
                "end": round(end, 2),
                "text": " " + sentence.strip(),
                "tokens": [50364 + k for k in range(len(sentence.split()))],
                "temperature": 0.0,
                "avg_logprob": -0.25,
                "compression_ratio": 1.0,
                "no_speech_prob": 0.01,
            }
        )
        start = end
    return out


def _words(text: str, duration: float) -> list[dict[str, Any]]:
    words = text.split()
    step = duration / len(words) if words else 0.0
    return [
        {"word": w, "start": round(i * step, 2), "end": round((i + 1) * step, 2)}
        for i, w in enumerate(words)
    ]


def _stamp(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _subtitles(segments: list[dict[str, Any]], vtt: bool) -> str:
    cues = []
    for seg in segments:
        times = f"{_stamp(seg['start'], '.' if vtt else ',')} --> "
        times += _stamp(seg["end"], "." if vtt else ",")
        head = "" if vtt else f"{seg['id'] + 1}\n"
        cues.append(f"{head}{times}\n{seg['text'].strip()}\n")
    return ("WEBVTT\n\n" if vtt else "") + "\n".join(cues)


def _problem(form_fields: dict[str, str], has_file: bool) -> str | None:
    """The 400 message for the form's fields, or ``None``."""
    model = form_fields.get("model")
    if not model:
        return "'model' : property 'model' is missing"
    if has_file == ("url" in form_fields):
        return "either a file or a url must be provided, but not both"
    fmt = form_fields.get("response_format", "json")
    if fmt not in _FORMATS:
        return f"response_format `{fmt}` is not supported; use one of {', '.join(_FORMATS)}"
    temperature = form_fields.get("temperature")
    if temperature is not None:
        try:
            value = float(temperature)
        except ValueError:
            return "'temperature' : value must be a number"
        if not math.isfinite(value) or not 0 <= value <= 1:
            return "'temperature' : number must be between 0 and 1"
    return None


async def transcription(script: ChatScript, exchange: Exchange, task: str) -> None:
    """Answer a transcription (``task="transcribe"``) or translation (``"translate"``)."""
    form = parse_form(exchange.request)
    if isinstance(form, str):
        await send_error(exchange, 400, form)
        return
    fields = form.last
    upload = form.files.get("file")
    problem = _problem(fields, upload is not None)
    if problem is not None:
        await send_error(exchange, 400, problem)
        return
    model = fields["model"]
    server = exchange.server
    if await reject_unknown_model(exchange, model):
        return
    if server.strict:
        allowed = TRANSLATE_MODELS if task == "translate" else TRANSCRIBE_MODELS
        if server.models is not None and model not in allowed:
            what = "translation" if task == "translate" else "transcription"
            await send_error(exchange, 400, f"model `{model}` does not support {what}")
            return
    granularities = form.fields.get("timestamp_granularities[]", [])
    for item in granularities:
        if item not in ("word", "segment"):
            message = f"'timestamp_granularities' : `{item}` is not one of word, segment"
            await send_error(exchange, 400, message)
            return
    fmt = fields.get("response_format", "json")
    text = " " + script.text.strip()
    duration = _duration(upload[1] if upload is not None else None, len(text.split()))
    if fmt in ("text", "srt", "vtt"):
        vtt = fmt == "vtt"
        out = text if fmt == "text" else _subtitles(_segments(text, duration), vtt=vtt)
        await exchange.respond(200, headers_for(script, exchange, _TEXT), out.encode())
        return
    doc: dict[str, Any] = {"text": text}
    if fmt == "verbose_json":
        language = fields.get("language", "en")
        doc = {
            "task": task,
            "language": "English" if task == "translate" or language == "en" else language,
            "duration": duration,
            "text": text,
            "segments": None,
        }
        if not granularities or "segment" in granularities:
            doc["segments"] = _segments(text, duration)
        if "word" in granularities:
            doc["words"] = _words(text, duration)
    doc["x_groq"] = {"id": exchange.request_id}
    await send_json(script, exchange, doc)
