"""The local server's speech-to-text endpoints: every response format, word and segment
timestamps, durations from the upload, and Groq's errors."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpcore
import pytest

from groq_anyio import AsyncGroq, NotFoundError
from groq_anyio.testing import ChatScript, GroqTestServer
from groq_anyio.testing._endpoints import wav_bytes

pytestmark = pytest.mark.anyio

TEXT = "Galileo was a space program. It studied Jupiter!"
WAV = wav_bytes(48000 * 3, 48000)  # three seconds


@pytest.fixture
async def pair() -> AsyncIterator[tuple[GroqTestServer, AsyncGroq]]:
    async with GroqTestServer(default=ChatScript(TEXT)) as srv:
        async with AsyncGroq(api_key="gsk_x", base_url=srv.base_url, max_retries=0) as client:
            yield srv, client


async def test_json_is_the_default(pair: tuple[GroqTestServer, AsyncGroq]) -> None:
    server, client = pair
    result = await client.audio.transcriptions.create(model="whisper-large-v3", file=("a.wav", WAV))
    assert result.text == " " + TEXT
    req = server.requests[-1]
    assert req.path == "/openai/v1/audio/transcriptions"


async def test_verbose_json_segments_and_words(pair: tuple[GroqTestServer, AsyncGroq]) -> None:
    _, client = pair
    result = await client.audio.transcriptions.create(
        model="whisper-large-v3-turbo",
        file=("a.wav", WAV),
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    assert result.duration == pytest.approx(3.0)
    assert result.task == "transcribe" and result.language == "English"
    assert result.segments is not None and result.words is not None
    assert [s.text for s in result.segments] == [
        " Galileo was a space program.",
        " It studied Jupiter!",
    ]
    assert result.segments[0].start == 0 and result.segments[-1].end == pytest.approx(3.0)
    assert [w.word for w in result.words] == TEXT.split()
    ends = [w.end for w in result.words]
    assert ends == sorted(ends) and ends[-1] == pytest.approx(3.0)
    only_words = await client.audio.transcriptions.create(
        model="whisper-large-v3",
        file=("a.wav", WAV),
        response_format="verbose_json",
        timestamp_granularities=["word"],
    )
    assert only_words.segments is None and only_words.words is not None


async def test_text_srt_vtt(pair: tuple[GroqTestServer, AsyncGroq]) -> None:
    _, client = pair
    text = await client.audio.transcriptions.create(
        model="whisper-large-v3", file=("a.wav", WAV), response_format="text"
    )
    assert text == " " + TEXT
    srt = await client.audio.translations.create(
        model="whisper-large-v3", file=("a.mp3", b"\xff" * 32000), response_format="srt"
    )
    cues = srt.strip().split("\n\n")
    assert cues[0].split("\n")[0] == "1"
    assert re.fullmatch(r"\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}", cues[0].split("\n")[1])
    assert cues[-1].endswith("It studied Jupiter!")
    assert cues[-1].split("\n")[1].endswith("00:00:02,000")  # 32 kB at 16 kB/s
    vtt = await client.audio.translations.create(
        model="whisper-large-v3", url="https://example.com/a.flac", response_format="vtt"
    )
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> ")
    assert "Galileo was a space program.\n" in vtt


async def test_translation_verbose(pair: tuple[GroqTestServer, AsyncGroq]) -> None:
    _, client = pair
    result = await client.audio.translations.create(
        model="whisper-large-v3", file=("a.wav", WAV), response_format="verbose_json"
    )
    assert result.task == "translate" and result.text == " " + TEXT


async def raw_form(url: str, fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """POST a multipart form (with ``a.wav``) straight to the server, past any client checks."""
    boundary = "groqtestboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n".encode()
        + WAV
        + f"\r\n--{boundary}--\r\n".encode()
    )
    async with httpcore.AsyncConnectionPool() as pool:
        resp = await pool.request(
            "POST",
            url,
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
            content=b"".join(parts),
        )
    return resp.status, json.loads(resp.content)


async def test_errors_like_groq(pair: tuple[GroqTestServer, AsyncGroq]) -> None:
    server, client = pair
    with pytest.raises(NotFoundError) as nf:
        await client.audio.transcriptions.create(model="whisper-9", file=("a.wav", WAV))
    assert nf.value.code == "model_not_found"
    base = server.base_url + "/openai/v1/audio/"
    status, doc = await raw_form(base + "translations", {"model": "whisper-large-v3-turbo"})
    assert status == 400
    assert doc["error"]["message"] == "model `whisper-large-v3-turbo` does not support translation"
    status, doc = await raw_form(base + "transcriptions", {"model": "llama-3.3-70b-versatile"})
    assert status == 400 and "does not support transcription" in doc["error"]["message"]
    status, doc = await raw_form(
        base + "transcriptions", {"model": "whisper-large-v3", "temperature": "7"}
    )
    assert status == 400 and doc["error"]["message"].startswith("'temperature'")
    status, doc = await raw_form(base + "transcriptions", {})
    assert (status, doc["error"]["message"]) == (400, "'model' : property 'model' is missing")
    status, doc = await raw_form(
        base + "transcriptions", {"model": "whisper-large-v3", "response_format": "xml"}
    )
    assert status == 400 and "response_format" in doc["error"]["message"]
