"""Fuzzing the client from the wire (issue 12): random and mutated server bytes - HTTP/1.1 heads
and bodies, SSE streams, HTTP/2 frames - through the whole client over real sockets.

Whatever comes back, the caller sees a completion or one of groq_anyio's exceptions (never an
h11, h2, httptools, ssl or socket exception, nor a ``ValueError``/``KeyError``), within the
call's deadline, with the memory the call held bounded, and the client still answers the next
well-behaved request.

Both backends (asyncio, trio); HTTP/1.1 on both parsers; HTTP/2 with prior knowledge (h2c).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import h2.config
import h2.connection
import h2.events
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import groq_anyio as g
from groq_anyio import AsyncGroq

from .conftest import TEST_KEY

pytestmark = pytest.mark.anyio

MODEL = "llama-3.3-70b-versatile"
MSGS = [{"role": "user", "content": "Hi"}]
DEADLINE = 1.0
CHAT = (
    b'{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,'
    b'"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],'
    b'"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}'
)
SSE = (
    b"".join(
        b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{'
        b'"index":0,"delta":{"content":"' + w + b'"},"finish_reason":null}]}\n\n'
        for w in (b"a", b"b", b"c")
    )
    + b"data: [DONE]\n\n"
)


def _h1_reply(stream: bool) -> bytes:
    if stream:
        events = [e + b"\n\n" for e in SSE.split(b"\n\n") if e]
        body = b"".join(b"%x\r\n%b\r\n" % (len(e), e) for e in events)
        return (
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n" + body + b"0\r\n\r\n"
        )
    return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%b" % (
        len(CHAT),
        CHAT,
    )


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        if not data:
            break
        position = draw(st.integers(min_value=0, max_value=len(data) - 1))
        action = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "repeat"]))
        if action == "flip":
            data[position] ^= draw(st.integers(min_value=1, max_value=255))
        elif action == "delete":
            del data[position : position + draw(st.integers(min_value=1, max_value=16))]
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif action == "truncate":
            del data[position:]
        else:
            data[position:position] = data[position : position + 64] * 3
    return bytes(data)


class Wire:
    """A loopback server whose answer to the next request is ``script`` (HTTP/1.1: the raw
    reply bytes; HTTP/2: a function of the request's stream id giving the frames' bytes)."""

    def __init__(self) -> None:
        self.script: Any = None
        self.port = 0
        self.well = False

    async def handle(self, stream: anyio.abc.SocketStream) -> None:
        async with stream:
            try:
                data = await stream.receive()
                if data.startswith(b"PRI * HTTP/2.0"):
                    await self._h2(stream, data)
                    return
                while b"\r\n\r\n" not in data:
                    data += await stream.receive()
                await stream.send(_h1_reply(b'"stream":true' in data) if self.well else self.script)
                if self.well:  # a keep-alive server for the continuation
                    while True:
                        data = await stream.receive()
                        await stream.send(_h1_reply(b'"stream":true' in data))
            except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
                pass

    async def _h2(self, stream: anyio.abc.SocketStream, data: bytes) -> None:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        while True:
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.StreamEnded):
                    frames = self.script(conn, event.stream_id, self.well)
                    await stream.send(conn.data_to_send() + frames)
            pending = conn.data_to_send()
            if pending:
                await stream.send(pending)
            data = await stream.receive()


def _h2_frames(conn: h2.connection.H2Connection, stream_id: int, stream: bool) -> bytes:
    """A well-formed answer on ``stream_id``, as bytes (not yet sent)."""
    body = SSE if stream else CHAT
    kind = b"text/event-stream" if stream else b"application/json"
    conn.send_headers(stream_id, [(b":status", b"200"), (b"content-type", kind)])
    conn.send_data(stream_id, body, end_stream=True)
    return conn.data_to_send()


@asynccontextmanager
async def serving() -> AsyncIterator[Wire]:
    server = Wire()
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    server.port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, server.handle)
        yield server
        tg.cancel_scope.cancel()


async def _call(client: AsyncGroq, stream: bool) -> None:
    if stream:
        s = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        async with s:
            async for _ in s:
                pass
    else:
        await client.chat.completions.create(model=MODEL, messages=MSGS)


async def _survives(client: AsyncGroq, stream: bool) -> None:
    """One call against whatever the server sends: ours or nothing, in time, memory bounded."""
    tracemalloc.start()
    start = anyio.current_time()
    try:
        with anyio.fail_after(DEADLINE + 5):
            await _call(client, stream)
    except g.APIError:
        pass  # any of ours (and nothing else) may come out
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert anyio.current_time() - start < DEADLINE + 2
    assert peak < 16 * 1024 * 1024


FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _h1_cases() -> st.SearchStrategy[tuple[bool, bytes]]:
    return st.booleans().flatmap(
        lambda stream: st.tuples(
            st.just(stream), st.one_of(mutated(_h1_reply(stream)), st.binary(max_size=300))
        )
    )


@pytest.mark.parametrize("parser", ["httptools", "h11"])
@FUZZ
@given(case=_h1_cases())
async def test_http1_mutated_responses(
    anyio_backend: Any, parser: str, case: tuple[bool, bytes]
) -> None:
    stream, reply = case
    async with serving() as wire:
        await _http1_round(wire, parser, stream, reply)


async def _http1_round(wire: Wire, parser: str, stream: bool, reply: bytes) -> None:
    wire.well = False
    wire.script = reply
    async with AsyncGroq(
        api_key=TEST_KEY,
        base_url=f"http://127.0.0.1:{wire.port}",
        max_retries=0,
        timeout=DEADLINE,
        http1_parser=parser,
    ) as client:
        await _survives(client, stream)
        wire.well = True
        # the client still works (a retry allowed: the fuzzed connection may have looked
        # reusable and been closed by the server as the next request went out)
        await _call(client.with_options(max_retries=1), stream)


@FUZZ
@given(
    stream=st.booleans(),
    mutate=st.booleans(),
    seeds=st.lists(st.integers(min_value=0), min_size=12, max_size=12),
)
async def test_http2_mutated_frames(
    anyio_backend: Any, stream: bool, mutate: bool, seeds: list[int]
) -> None:
    async with serving() as wire:
        await _http2_round(wire, stream, mutate, seeds)


async def _http2_round(wire: Wire, stream: bool, mutate: bool, seeds: list[int]) -> None:

    def script(conn: h2.connection.H2Connection, stream_id: int, well: bool) -> bytes:
        frames = _h2_frames(conn, stream_id, stream)
        if well or not mutate:
            return frames if well else bytes(reversed(frames))[: seeds[0] % 64] + frames
        return _mutate_with(frames, seeds)

    wire.script = script
    wire.well = False
    async with AsyncGroq(
        api_key=TEST_KEY,
        base_url=f"http://127.0.0.1:{wire.port}",
        max_retries=0,
        timeout=DEADLINE,
        http2=True,
        http1=False,
    ) as client:
        await _survives(client, stream)
    wire.well = True
    async with AsyncGroq(
        api_key=TEST_KEY,
        base_url=f"http://127.0.0.1:{wire.port}",
        max_retries=0,
        timeout=DEADLINE,
        http2=True,
        http1=False,
    ) as client:
        await _call(client, stream)


def _mutate_with(frames: bytes, seeds: list[int]) -> bytes:
    data = bytearray(frames)
    for i in range(0, len(seeds) - 2, 3):
        if not data:
            break
        position = seeds[i] % len(data)
        action = seeds[i + 1] % 4
        value = seeds[i + 2]
        if action == 0:
            data[position] ^= (value % 255) + 1
        elif action == 1:
            del data[position : position + 1 + value % 9]
        elif action == 2:
            data[position:position] = (value % 2**32).to_bytes(4, "big")
        else:
            del data[position:]
    return bytes(data)
