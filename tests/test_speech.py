"""client.audio.speech.create: streamed audio against the local server over real sockets."""

from __future__ import annotations

import gc
import io
import tracemalloc
import wave
from pathlib import Path
from typing import Any

import anyio
import pytest

from groq_anyio import (
    APIConnectionError,
    AsyncGroq,
    BadRequestError,
    ClientClosedError,
    InvalidParameterError,
)
from groq_anyio._download import BinaryResponse
from groq_anyio.testing import DropConnection, ErrorReply, GroqTestServer, RawReply
from groq_anyio.testing._endpoints import endpoint_state

pytestmark = pytest.mark.anyio

PATH = "/openai/v1/audio/speech"
MODEL = "playai-tts"
VOICE = "Fritz-PlayAI"


def _expected_wav_size(text: str, per_char: int = 200) -> int:
    return 44 + len(text) * per_char * 2


async def test_read_whole_wav(client: AsyncGroq, server: GroqTestServer) -> None:
    speech = await client.audio.speech.create(model=MODEL, input="Hello there", voice=VOICE)
    assert isinstance(speech, BinaryResponse)
    async with speech:
        assert speech.status_code == 200
        assert speech.content_type == "audio/wav"
        assert speech.content_length is None  # streamed (chunked)
        assert speech.request_id is not None and speech.request_id.startswith("req_")
        data = await speech.read()
        assert await speech.read() is data  # kept
    assert speech.closed
    assert len(data) == _expected_wav_size("Hello there") == speech.bytes_received
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 48000)
        assert w.getnframes() == len("Hello there") * 200
    (req,) = server.requests
    assert (req.method, req.path) == ("POST", PATH)
    assert req.json() == {"model": MODEL, "input": "Hello there", "voice": VOICE}
    assert req.header("accept") == "audio/wav, */*;q=0.5"
    assert req.header("content-type") == "application/json"
    assert speech.timings.first_chunk is not None and speech.timings.last_chunk is not None
    assert client.pool_stats().in_flight == 0


async def test_every_parameter_is_sent(client: AsyncGroq, server: GroqTestServer) -> None:
    async with await client.audio.speech.create(
        model=MODEL,
        input="Hi",
        voice="my-own-cloned-voice",  # unknown voices are passed through
        response_format="mp3",
        sample_rate=24000,
        speed=1.25,
        extra_body={"language": "en"},
    ) as speech:
        data = await speech.read()
    assert speech.content_type == "audio/mpeg"
    assert data.startswith(b"ID3")
    (req,) = server.requests
    assert req.json() == {
        "model": MODEL,
        "input": "Hi",
        "voice": "my-own-cloned-voice",
        "response_format": "mp3",
        "sample_rate": 24000,
        "speed": 1.25,
        "language": "en",
    }
    assert req.header("accept") == "audio/mpeg, */*;q=0.5"


async def test_mulaw(client: AsyncGroq) -> None:
    speech = await client.audio.speech.create(
        model=MODEL, input="abc", voice=VOICE, response_format="mulaw", sample_rate=8000
    )
    async with speech:
        data = await speech.read()
    assert speech.content_type == "audio/basic"
    assert data == b"\xff" * 600


async def test_iter_bytes_in_network_chunks_and_fixed_sizes(
    client: AsyncGroq, server: GroqTestServer
) -> None:
    endpoint_state(server).chunk_size = 4096
    text = "x" * 100  # 20,000 samples: 40,044 bytes
    async with await client.audio.speech.create(model=MODEL, input=text, voice=VOICE) as speech:
        chunks = [chunk async for chunk in speech.iter_bytes()]
    assert len(chunks) > 1
    assert sum(map(len, chunks)) == _expected_wav_size(text)
    async with await client.audio.speech.create(model=MODEL, input=text, voice=VOICE) as speech:
        sized = [chunk async for chunk in speech.iter_bytes(chunk_size=1000)]
    assert {len(c) for c in sized[:-1]} == {1000}
    assert b"".join(sized) == b"".join(chunks)
    async with await client.audio.speech.create(model=MODEL, input=text, voice=VOICE) as speech:
        plain = [chunk async for chunk in speech]  # iterating the response itself
    assert b"".join(plain) == b"".join(chunks)


async def test_write_to_file(client: AsyncGroq, tmp_path: Path) -> None:
    target = tmp_path / "speech.wav"
    async with await client.audio.speech.create(
        model=MODEL, input="Hello from the file", voice=VOICE
    ) as speech:
        size = await speech.write_to_file(target)
    assert size == target.stat().st_size == _expected_wav_size("Hello from the file")
    with wave.open(str(target)) as w:
        assert w.getnframes() == len("Hello from the file") * 200
    assert speech.closed


async def test_write_to_file_streams_without_holding_the_audio(
    client: AsyncGroq, server: GroqTestServer, tmp_path: Path
) -> None:
    state = endpoint_state(server)
    state.speech_samples_per_char = 4000
    state.chunk_size = 32 * 1024
    text = "y" * 1000  # 4,000,000 samples: 8 MB of audio
    target = tmp_path / "big.wav"
    async with await client.audio.speech.create(model=MODEL, input="warm", voice=VOICE) as s:
        await s.write_to_file(tmp_path / "warm.wav")
    tracemalloc.start()
    try:
        async with await client.audio.speech.create(model=MODEL, input=text, voice=VOICE) as s:
            size = await s.write_to_file(target)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size == target.stat().st_size == 44 + 8_000_000
    # client and server together (same process) never held more than a few chunks
    assert peak < 2_000_000, f"peak traced memory {peak / 1e6:.1f} MB for 8 MB of audio"


async def test_leaving_early_releases_the_connection(
    client: AsyncGroq, server: GroqTestServer
) -> None:
    endpoint_state(server).chunk_size = 1024
    async with await client.audio.speech.create(model=MODEL, input="z" * 500, voice=VOICE) as s:
        async for _ in s.iter_bytes():
            break
    assert s.closed
    assert client.pool_stats().in_flight == 0
    with pytest.raises(ClientClosedError):
        await s.read()
    # the client still works
    async with await client.audio.speech.create(model=MODEL, input="ok", voice=VOICE) as s2:
        assert len(await s2.read()) == _expected_wav_size("ok")


async def test_cancelled_while_reading_releases_the_connection(
    client: AsyncGroq, server: GroqTestServer
) -> None:
    state = endpoint_state(server)
    state.chunk_size = 1024
    state.chunk_delay = 0.05
    received = 0
    speech = await client.audio.speech.create(model=MODEL, input="w" * 100, voice=VOICE)
    with anyio.move_on_after(0.2) as scope:
        async with speech:
            async for chunk in speech.iter_bytes():
                received += len(chunk)
    assert scope.cancelled_caught
    assert 0 < received < _expected_wav_size("w" * 100)
    assert speech.closed
    assert client.pool_stats().in_flight == 0
    state.chunk_delay = 0.0
    async with await client.audio.speech.create(model=MODEL, input="ok", voice=VOICE) as s2:
        assert len(await s2.read()) == _expected_wav_size("ok")


async def test_connection_lost_midway_is_an_api_connection_error(
    client: AsyncGroq, server: GroqTestServer
) -> None:
    endpoint_state(server).chunk_size = 512
    server.push(DropConnection(after_bytes=2000))
    async with await client.audio.speech.create(model=MODEL, input="v" * 50, voice=VOICE) as s:
        with pytest.raises(APIConnectionError):
            await s.read()
    assert s.closed
    assert client.pool_stats().in_flight == 0


async def test_read_after_partial_iteration_is_refused(client: AsyncGroq) -> None:
    async with await client.audio.speech.create(model=MODEL, input="q" * 50, voice=VOICE) as s:
        iterator = s.iter_bytes(chunk_size=10)
        assert len(await iterator.__anext__()) == 10
        with pytest.raises(RuntimeError, match="consumed"):
            await s.read()


async def test_iterating_after_read_replays_the_kept_bytes(client: AsyncGroq) -> None:
    async with await client.audio.speech.create(model=MODEL, input="hi", voice=VOICE) as s:
        data = await s.read()
        assert b"".join([c async for c in s.iter_bytes(100)]) == data
        assert b"".join([c async for c in s]) == data


async def test_garbage_collected_unclosed_warns_and_frees_the_slot(client: AsyncGroq) -> None:
    speech: BinaryResponse | None = await client.audio.speech.create(
        model=MODEL, input="leak", voice=VOICE
    )
    assert client.pool_stats().in_flight == 1

    def forget() -> None:
        nonlocal speech
        speech = None
        gc.collect()

    with pytest.warns(ResourceWarning, match="BinaryResponse"):
        forget()
    assert client.pool_stats().in_flight == 0


async def test_server_error_raises_before_any_audio(
    client: AsyncGroq, server: GroqTestServer
) -> None:
    server.push(ErrorReply(400, "voice not found", code="invalid_voice"))
    with pytest.raises(BadRequestError, match="voice not found"):
        await client.audio.speech.create(model=MODEL, input="Hi", voice="nobody")
    assert client.pool_stats().in_flight == 0


async def test_content_length_body_and_short_remainder_keeps_the_connection(
    client: AsyncGroq, server: GroqTestServer
) -> None:
    body = b"RIFF" + b"\x00" * 5000
    server.push(RawReply(200, {"content-type": "audio/wav"}, body))
    async with await client.audio.speech.create(model=MODEL, input="Hi", voice=VOICE) as s:
        assert s.content_length == len(body)
        async for _ in s.iter_bytes(chunk_size=100):
            break
    assert client.pool_stats().in_flight == 0
    async with await client.audio.speech.create(model=MODEL, input="ok", voice=VOICE) as s2:
        await s2.read()
    assert server.connections_opened == 1  # drained and reused


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"input": ""}, "input"),
        ({"input": "   "}, "input"),
        ({"input": "x" * 10_001}, "input"),
        ({"input": 5}, "input"),
        ({"input": None}, "input"),
        ({"voice": ""}, "voice"),
        ({"voice": "  "}, "voice"),
        ({"voice": None}, "voice"),
        ({"voice": 3}, "voice"),
        ({"model": ""}, "model"),
        ({"model": None}, "model"),
        ({"response_format": "aac"}, "response_format"),
        ({"response_format": "WAV"}, "response_format"),
        ({"sample_rate": 44000}, "sample_rate"),
        ({"sample_rate": True}, "sample_rate"),
        ({"sample_rate": "48000"}, "sample_rate"),
        ({"sample_rate": 48000.0}, "sample_rate"),
        ({"speed": 0}, "speed"),
        ({"speed": 0.4}, "speed"),
        ({"speed": 5.1}, "speed"),
        ({"speed": float("nan")}, "speed"),
        ({"speed": True}, "speed"),
        ({"speed": "1"}, "speed"),
        ({"extra_body": {"x": object()}}, "body"),
        ({"extra_headers": {"Authorization": "x"}}, "extra_headers['Authorization']"),
    ],
)
async def test_invalid_arguments_are_refused_before_sending(
    client: AsyncGroq, server: GroqTestServer, kwargs: dict[str, Any], param: str
) -> None:
    args: dict[str, Any] = {"model": MODEL, "input": "Hello", "voice": VOICE}
    args.update(kwargs)
    with pytest.raises(InvalidParameterError) as info:
        await client.audio.speech.create(**args)
    assert info.value.param == param
    assert server.requests == []


async def test_longest_input_and_speed_limits_are_accepted(
    client: AsyncGroq, server: GroqTestServer
) -> None:
    endpoint_state(server).speech_samples_per_char = 1
    for speed in (0.5, 5, 1):
        async with await client.audio.speech.create(
            model=MODEL, input="x" * 10_000, voice=VOICE, speed=speed
        ) as s:
            assert len(await s.read()) == 44 + 20_000
    assert [r.json()["speed"] for r in server.requests] == [0.5, 5.0, 1.0]


async def test_write_to_file_refuses_non_paths(client: AsyncGroq) -> None:
    async with await client.audio.speech.create(model=MODEL, input="Hi", voice=VOICE) as s:
        with pytest.raises(InvalidParameterError):
            await s.write_to_file(io.BytesIO())  # type: ignore[arg-type]
        with pytest.raises(InvalidParameterError):
            s.iter_bytes(chunk_size=0)


async def test_over_http2_with_early_exit(server: GroqTestServer) -> None:
    endpoint_state(server).chunk_size = 1024
    async with AsyncGroq(api_key="k", base_url=server.base_url, http1=False) as client:
        speech = await client.audio.speech.create(model=MODEL, input="h" * 200, voice=VOICE)
        async with speech:
            assert speech.http_version == "HTTP/2"
            async for _ in speech.iter_bytes():
                break
        assert client.pool_stats().in_flight == 0
        async with await client.audio.speech.create(model=MODEL, input="ok", voice=VOICE) as s:
            assert len(await s.read()) == _expected_wav_size("ok")
    assert server.connections_opened == 1  # the stream was reset, the connection kept
