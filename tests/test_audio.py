"""Audio transcriptions and translations against the local test server over real sockets."""

from __future__ import annotations

import io
import os
import re
import sys
import tracemalloc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest

from groq_anyio import (
    APIResponseValidationError,
    AsyncGroq,
    BadRequestError,
    InternalServerError,
    InvalidParameterError,
)
from groq_anyio.testing import ErrorReply, GroqTestServer, RawReply, RecordedRequest
from groq_anyio.types.audio import Transcription, Translation

pytestmark = pytest.mark.anyio

TRANSCRIPTIONS = "/openai/v1/audio/transcriptions"
TRANSLATIONS = "/openai/v1/audio/translations"
JSON = {"content-type": "application/json"}
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 40  # a header, then "samples"

# Recorded Groq answers (vercel/ai fixtures, see tests/data/groq-traffic):
# response_format=text comes back as text/plain ...
GALILEO = (
    " Galileo was an American robotic space program that studied the planet Jupiter and its"
    " moons, as well as several other solar system bodies. Named after the Italian astronomer"
    " Galileo Galilei, the Galileo spacecraft consisted of an orbiter and an atmospheric entry"
    " probe. It was delivered into Earth orbit on October 18, 1989, by Space Shuttle Atlantis on"
    " the STS-34 mission, and arrived at Jupiter on December 7, 1995, after gravity-assist flybys"
    " of Venus and Earth, and became the first spacecraft to orbit Jupiter."
)
# ... and verbose_json with word timestamps was recorded without any response headers (the word
# list is cut short here; everything else is as recorded, pretty-printing and "segments": null).
VERBOSE_WORDS = (
    '{\n  "task": "transcribe",\n  "language": "English",\n  "duration": 36.712501248,\n'
    '  "text": ' + msgspec.json.encode(GALILEO).decode() + ",\n"
    '  "words": [\n    { "word": "Galileo", "start": 0.1, "end": 0.68 },\n'
    '    { "word": "was", "start": 0.68, "end": 0.88 },\n'
    '    { "word": "robotic", "start": 1.5, "end": 2 },\n'
    '    { "word": "Jupiter.", "start": 35.28, "end": 35.64 }\n  ],\n'
    '  "segments": null,\n  "x_groq": {\n    "id": "req_01kyq27x28emr9zbm8ny8jcf61"\n  }\n}'
).encode()
VERBOSE_SEGMENTS = msgspec.json.encode(
    {
        "task": "translate",
        "language": "French",
        "duration": 2.5,
        "text": "Hello there.",
        "segments": [
            {
                "id": 0,
                "seek": 0,
                "start": 0.0,
                "end": 2.5,
                "text": " Hello there.",
                "tokens": [50364, 2425, 456, 13],
                "temperature": 0.0,
                "avg_logprob": -0.21,
                "compression_ratio": 0.8,
                "no_speech_prob": 0.01,
                "a_future_field": [1, 2],
            }
        ],
        "x_groq": {"id": "req_abc"},
        "another_future_field": True,
    }
)


@asynccontextmanager
async def serving(**client_kw: Any) -> AsyncIterator[tuple[GroqTestServer, AsyncGroq]]:
    client_kw.setdefault("max_retries", 0)
    async with (
        GroqTestServer() as server,
        AsyncGroq(api_key="test-key", base_url=server.base_url, **client_kw) as client,
    ):
        yield server, client


def ok_json(body: bytes = b'{"text":"hi","x_groq":{"id":"req_1"}}') -> RawReply:
    return RawReply(status=200, headers=JSON, body=body)


def parse_form(request: RecordedRequest) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """Text fields and file parts of a recorded multipart request, with framing checks."""
    ctype = request.header("content-type")
    assert ctype is not None
    m = re.fullmatch(r"multipart/form-data; boundary=([0-9a-f]{32})", ctype)
    assert m is not None, ctype
    assert request.header("content-length") == str(len(request.body))
    assert request.header("transfer-encoding") is None
    dash = b"--" + m.group(1).encode()
    body = request.body
    assert body.startswith(dash + b"\r\n")
    assert body.endswith(b"\r\n" + dash + b"--\r\n")
    fields: list[tuple[str, str]] = []
    files: list[dict[str, Any]] = []
    for chunk in body[len(dash) + 2 : -(len(dash) + 6)].split(b"\r\n" + dash + b"\r\n"):
        head, sep, data = chunk.partition(b"\r\n\r\n")
        assert sep
        headers = dict(line.decode().split(": ", 1) for line in head.split(b"\r\n"))
        disp = re.fullmatch(
            r'form-data; name="([^"]*)"(?:; filename="([^"]*)")?', headers["Content-Disposition"]
        )
        assert disp is not None
        if disp.group(2) is None:
            fields.append((disp.group(1), data.decode()))
        else:
            files.append(
                {
                    "name": disp.group(1),
                    "filename": disp.group(2),
                    "content_type": headers.get("Content-Type"),
                    "data": data,
                }
            )
    return fields, files


# ------------------------------------------------------------------------------ requests


async def test_transcription_request_fields_and_file(tmp_path: Path) -> None:
    path = tmp_path / "talk.wav"
    path.write_bytes(WAV)
    async with serving() as (server, client):
        server.push(ok_json(VERBOSE_WORDS))
        result = await client.audio.transcriptions.create(
            model="whisper-large-v3-turbo",
            file=str(path),
            language="en",
            prompt='Names: "Galileo"\r\nJupiter',
            response_format="verbose_json",
            temperature=0.2,
            timestamp_granularities=["word", "segment"],
            extra_body={"custom": "yes"},
            extra_headers={"X-Trace": "t1"},
        )
        assert isinstance(result, Transcription)
        req = server.requests[-1]
    assert req.method == "POST"
    assert req.path == TRANSCRIPTIONS
    assert req.header("authorization") == "Bearer test-key"
    assert req.header("accept") == "application/json"
    assert req.header("x-trace") == "t1"
    fields, files = parse_form(req)
    assert fields == [
        ("model", "whisper-large-v3-turbo"),
        ("language", "en"),
        ("prompt", 'Names: "Galileo"\r\nJupiter'),
        ("response_format", "verbose_json"),
        ("temperature", "0.2"),
        ("timestamp_granularities[]", "word"),
        ("timestamp_granularities[]", "segment"),
        ("custom", "yes"),
    ]
    assert files == [
        {"name": "file", "filename": "talk.wav", "content_type": "audio/wav", "data": WAV}
    ]


async def test_translation_request(tmp_path: Path) -> None:
    path = tmp_path / "parole.mp3"
    path.write_bytes(b"ID3" + os.urandom(70_000))
    async with serving() as (server, client):
        server.push(ok_json(b'{"text":"Hello.","x_groq":{"id":"req_9"}}'))
        result = await client.audio.translations.create(
            model="whisper-large-v3", file=path, prompt="English please", temperature=0
        )
        req = server.requests[-1]
    assert isinstance(result, Translation)
    assert result.text == "Hello."
    assert result.x_groq is not None
    assert result.x_groq.id == "req_9"
    assert req.path == TRANSLATIONS
    fields, files = parse_form(req)
    assert fields == [
        ("model", "whisper-large-v3"),
        ("prompt", "English please"),
        ("temperature", "0.0"),
    ]
    assert files[0]["filename"] == "parole.mp3"
    assert files[0]["content_type"] == "audio/mpeg"
    assert files[0]["data"] == path.read_bytes()


async def test_url_instead_of_file() -> None:
    async with serving() as (server, client):
        server.push(ok_json())
        result = await client.audio.transcriptions.create(
            model="whisper-large-v3", url="https://example.com/a.flac"
        )
        req = server.requests[-1]
    assert result.text == "hi"
    fields, files = parse_form(req)
    assert fields == [("model", "whisper-large-v3"), ("url", "https://example.com/a.flac")]
    assert files == []


class _Named(io.BytesIO):
    name = "/some/dir/voice.OGG"


@pytest.mark.parametrize(
    ("make", "filename", "content_type"),
    [
        pytest.param(lambda p: p, "clip.m4a", "audio/mp4", id="pathlib"),
        pytest.param(lambda p: str(p), "clip.m4a", "audio/mp4", id="str-path"),
        pytest.param(
            lambda p: ("memo.webm", p.read_bytes()), "memo.webm", "audio/webm", id="tuple-bytes"
        ),
        pytest.param(
            lambda p: ("memo.opus", io.BytesIO(p.read_bytes()), "audio/opus"),
            "memo.opus",
            "audio/opus",
            id="tuple-fileobj-ctype",
        ),
        pytest.param(lambda p: p.open("rb"), "clip.m4a", "audio/mp4", id="open-file"),
        pytest.param(
            lambda p: _Named(p.read_bytes()), "voice.OGG", "audio/ogg", id="named-fileobj"
        ),
        pytest.param(
            lambda p: b"fLaC" + p.read_bytes(), "audio.flac", "audio/flac", id="sniffed-bytes"
        ),
        pytest.param(
            lambda p: io.BytesIO(b"RIFF\0\0\0\0WAVE" + p.read_bytes()),
            "audio.wav",
            "audio/wav",
            id="sniffed-fileobj",
        ),
    ],
)
async def test_file_inputs(make: Any, filename: str, content_type: str, tmp_path: Path) -> None:
    path = tmp_path / "clip.m4a"
    path.write_bytes(os.urandom(150_000))
    file = make(path)
    expected = (
        file
        if isinstance(file, bytes)
        else file[1]
        if isinstance(file, tuple) and isinstance(file[1], bytes)
        else None
    )
    if expected is None:
        if isinstance(file, tuple):
            expected = file[1].getvalue()
        elif isinstance(file, io.BytesIO):
            expected = file.getvalue()
        else:
            expected = path.read_bytes()
    try:
        async with serving() as (server, client):
            server.push(ok_json())
            await client.audio.transcriptions.create(model="whisper-large-v3", file=file)
            _, files = parse_form(server.requests[-1])
    finally:
        if hasattr(file, "close"):
            file.close()
    assert files == [
        {"name": "file", "filename": filename, "content_type": content_type, "data": expected}
    ]


async def test_file_object_is_read_from_its_current_position() -> None:
    f = io.BytesIO(b"JUNK" + WAV)
    f.seek(4)
    async with serving() as (server, client):
        server.push(ok_json())
        await client.audio.transcriptions.create(model="whisper-large-v3", file=("a.wav", f))
        _, files = parse_form(server.requests[-1])
    assert files[0]["data"] == WAV


# ------------------------------------------------------------------------------ responses


async def test_verbose_json_without_content_type_as_recorded() -> None:
    async with serving() as (server, client):
        server.push(RawReply(status=200, headers={}, body=VERBOSE_WORDS))
        result = await client.audio.transcriptions.create(
            model="whisper-large-v3",
            file=("a.wav", WAV),
            response_format="verbose_json",
            timestamp_granularities=["word"],
        )
    assert isinstance(result, Transcription)
    assert result.task == "transcribe"
    assert result.language == "English"
    assert result.duration == pytest.approx(36.712501248)
    assert result.text == GALILEO
    assert result.segments is None
    assert result.words is not None
    assert [(w.word, w.start, w.end) for w in result.words[:3]] == [
        ("Galileo", 0.1, 0.68),
        ("was", 0.68, 0.88),
        ("robotic", 1.5, 2.0),
    ]
    assert result.x_groq is not None
    assert result.x_groq.id == "req_01kyq27x28emr9zbm8ny8jcf61"


async def test_verbose_json_segments_and_unknown_fields() -> None:
    async with serving() as (server, client):
        server.push(ok_json(VERBOSE_SEGMENTS))
        result = await client.audio.translations.create(
            model="whisper-large-v3", file=("a.wav", WAV), response_format="verbose_json"
        )
    assert isinstance(result, Translation)
    assert result.task == "translate"
    assert result.segments is not None
    seg = result.segments[0]
    assert (seg.id, seg.seek, seg.start, seg.end, seg.text) == (0, 0, 0.0, 2.5, " Hello there.")
    assert seg.tokens == [50364, 2425, 456, 13]
    assert (seg.temperature, seg.avg_logprob, seg.compression_ratio, seg.no_speech_prob) == (
        0.0,
        -0.21,
        0.8,
        0.01,
    )
    assert result.to_dict()["segments"][0]["no_speech_prob"] == 0.01


async def test_text_format_as_recorded() -> None:
    async with serving() as (server, client):
        server.push(
            RawReply(
                status=200,
                headers={"content-type": "text/plain; charset=UTF-8"},
                body=GALILEO.encode(),
            )
        )
        result = await client.audio.transcriptions.create(
            model="whisper-large-v3", file=("a.wav", WAV), response_format="text"
        )
        req = server.requests[-1]
    assert result == GALILEO
    assert (req.header("accept") or "").startswith("text/plain")
    assert ("response_format", "text") in parse_form(req)[0]


@pytest.mark.parametrize(
    ("fmt", "body"),
    [
        ("srt", "1\n00:00:00,000 --> 00:00:02,500\nHéllo there.\n"),
        ("vtt", "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHéllo there.\n"),
    ],
)
async def test_subtitle_formats(fmt: Any, body: str) -> None:
    async with serving() as (server, client):
        server.push(
            RawReply(status=200, headers={"content-type": "text/plain"}, body=body.encode())
        )
        result = await client.audio.translations.create(
            model="whisper-large-v3", file=("a.wav", WAV), response_format=fmt
        )
    assert result == body


async def test_json_body_that_does_not_decode() -> None:
    async with serving() as (server, client):
        server.push(ok_json(b'{"not_text": 1}'))
        with pytest.raises(APIResponseValidationError, match="Transcription"):
            await client.audio.transcriptions.create(model="whisper-large-v3", file=("a.wav", WAV))


async def test_api_error_is_typed() -> None:
    async with serving() as (server, client):
        server.push(ErrorReply(400, message="file must be one of the following types", code=None))
        with pytest.raises(BadRequestError, match="file must be one of"):
            await client.audio.transcriptions.create(model="whisper-large-v3", file=("a.wav", WAV))


async def test_retry_sends_the_whole_body_again(tmp_path: Path) -> None:
    path = tmp_path / "a.flac"
    path.write_bytes(os.urandom(200_000))
    async with serving(max_retries=2) as (server, client):
        server.push(ErrorReply(503, headers={"retry-after": "0"}), ok_json())
        result = await client.audio.transcriptions.create(model="whisper-large-v3", file=path)
        assert result.text == "hi"
        assert len(server.requests) == 2
        first, second = (parse_form(r) for r in server.requests)
    assert first[0] == second[0]
    assert first[1][0]["data"] == second[1][0]["data"] == path.read_bytes()


class OneWay(io.RawIOBase):
    """A non-seekable binary stream (like a pipe)."""

    name = "stream.wav"

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._buf.read(len(b))
        b[: len(data)] = data
        return len(data)


async def test_non_seekable_file_is_sent_chunked_and_not_retried() -> None:
    data = os.urandom(100_000)
    async with serving(max_retries=2) as (server, client):
        server.push(ok_json())
        await client.audio.transcriptions.create(model="whisper-large-v3", file=OneWay(data))
        req = server.requests[-1]
        assert req.header("content-length") is None
        assert req.header("transfer-encoding") == "chunked"
        assert data in req.body
        server.push(ErrorReply(503, headers={"retry-after": "0"}), ok_json())
        with pytest.raises(InternalServerError):
            await client.audio.transcriptions.create(model="whisper-large-v3", file=OneWay(data))
        assert len(server.requests) == 2


# ------------------------------------------------------------------------------ validation


class _TextName(io.StringIO):
    name = "a.wav"


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"model": ""}, "model"),
        ({"model": None}, "model"),
        ({"file": None}, "file"),
        ({"url": "https://x/a.wav"}, "file"),  # both file and url
        ({"file": ("notes.txt", b"x")}, "file"),
        ({"file": ("noextension", b"x")}, "file"),
        ({"file": ("a.wav", b"")}, "file"),
        ({"file": b"\x00\x01 not audio"}, "file"),
        ({"file": io.BytesIO(b"\x00\x01 not audio")}, "file"),
        ({"file": _TextName("text")}, "file"),
        ({"file": ("a.wav", "/tmp/a.wav")}, "file"),
        ({"file": ("a.wav",)}, "file"),
        ({"file": 42}, "file"),
        ({"temperature": 1.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"temperature": True}, "temperature"),
        ({"temperature": "0.5"}, "temperature"),
        ({"response_format": "xml"}, "response_format"),
        ({"timestamp_granularities": ["word"]}, "timestamp_granularities"),
        (
            {"timestamp_granularities": ["words"], "response_format": "verbose_json"},
            "timestamp_granularities[0]",
        ),
        (
            {"timestamp_granularities": "word", "response_format": "verbose_json"},
            "timestamp_granularities",
        ),
        ({"language": ""}, "language"),
        ({"prompt": 3}, "prompt"),
        ({"extra_body": {"file": "x"}}, "extra_body['file']"),
        ({"extra_body": {"n": [1]}}, "extra_body['n']"),
        ({"extra_headers": {"Content-Length": "1"}}, "extra_headers['Content-Length']"),
    ],
)
async def test_invalid_arguments_fail_before_sending(kwargs: dict[str, Any], param: str) -> None:
    call: dict[str, Any] = {"model": "whisper-large-v3", "file": ("a.wav", WAV)}
    call.update(kwargs)
    async with serving() as (server, client):
        with pytest.raises(InvalidParameterError) as info:
            await client.audio.transcriptions.create(**call)
        assert info.value.param == param
        assert len(server.requests) == 0


async def test_missing_and_unusable_paths_fail_before_sending(tmp_path: Path) -> None:
    (tmp_path / "dir.wav").mkdir()
    (tmp_path / "bad.exe").write_bytes(b"MZ")
    async with serving() as (server, client):
        cases: list[tuple[str | Path, str]] = [
            (tmp_path / "missing.wav", "no such file"),
            (str(tmp_path / "missing.mp3"), "no such file"),
            (tmp_path / "dir.wav", "regular file|cannot open"),
            (tmp_path / "bad.exe", "must end in one of"),
        ]
        for path, message in cases:
            with pytest.raises(InvalidParameterError, match=message) as info:
                await client.audio.transcriptions.create(model="whisper-large-v3", file=path)
            assert info.value.param == "file"
            with pytest.raises(InvalidParameterError):
                await client.audio.translations.create(model="whisper-large-v3", file=path)
        assert len(server.requests) == 0


# ------------------------------------------------------------------------------ memory

# A server in a child process: it holds each whole request body (that is what it records), so
# it must not share the traced heap with the client under test. It answers with what it got.
_SERVER = r"""
import sys
import msgspec
from groq_anyio.testing import RawReply, serve_forever

def reply(request):
    body = request.body
    head_end = body.index(b"\r\n\r\n", body.index(b'filename="')) + 4
    boundary = body[2 : body.index(b"\r\n")]
    data = memoryview(body)[head_end : len(body) - len(boundary) - 8]
    report = {
        "received": len(body),
        "content_length": int(request.header("content-length") or -1),
        "file_bytes": len(data),
        "all_zero": not any(data[i] for i in range(0, len(data), 4093)),
        "closed": body.endswith(b"--\r\n"),
    }
    return RawReply(status=200, headers={"content-type": "application/json"},
                    body=msgspec.json.encode({"text": msgspec.json.encode(report).decode()}))

serve_forever("127.0.0.1", 0, http2=False, default=reply,
              ready=lambda url: print(url, flush=True))
"""


@pytest.mark.slow
async def test_100_mb_upload_end_to_end_in_small_memory(tmp_path: Path) -> None:
    size = 100 * 1024 * 1024
    path = tmp_path / "long.wav"
    with open(path, "wb") as f:
        f.truncate(size)  # sparse
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    process = await anyio.open_process([sys.executable, "-c", _SERVER], env=env)
    try:
        assert process.stdout is not None
        line = b""
        with anyio.fail_after(30):
            while not line.endswith(b"\n"):
                line += await process.stdout.receive()
        base_url = line.decode().strip()
        async with AsyncGroq(api_key="test-key", base_url=base_url, max_retries=0) as client:
            await client.audio.transcriptions.create(  # warm up: connection, threads, imports
                model="whisper-large-v3", file=("a.wav", b"RIFF")
            )
            tracemalloc.start()
            try:
                start = anyio.current_time()
                with anyio.fail_after(60):
                    result = await client.audio.transcriptions.create(
                        model="whisper-large-v3", file=path
                    )
                elapsed = anyio.current_time() - start
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    finally:
        process.terminate()
        await process.wait()
        await process.aclose()
    report = msgspec.json.decode(result.text)
    assert report == {
        "received": report["content_length"],
        "content_length": report["content_length"],
        "file_bytes": size,
        "all_zero": True,
        "closed": True,
    }
    assert peak < 4 * 1024 * 1024, f"client peak traced memory {peak / 1e6:.1f} MB"
    print(f"100 MB upload: {elapsed:.2f} s, client peak traced memory {peak / 1e6:.2f} MB")
