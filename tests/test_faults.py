"""Injected faults against the local server: what the client does about each.

For every fault: how many attempts were made, which waits were taken (on a FakeClock, so
backoff costs no real time; real time only where a fault needs the network, e.g. a 0.2 s read
timeout), and the exception raised with its fields. Then: cancellation at every phase of a call
leaves no connection checked out and no task behind, on both backends.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpcore
import pytest

import groq_anyio as g
from groq_anyio import AsyncGroq, RetryPolicy, Timeout
from groq_anyio._timings import start_timings
from groq_anyio._transport import Transport
from groq_anyio.testing import (
    ChatScript,
    CloseAfterResponse,
    DropConnection,
    ErrorReply,
    FakeClock,
    GoAway,
    GroqTestServer,
    RawReply,
    ResetStream,
    Stall,
    StallBody,
    Trickle,
)

from .conftest import TEST_KEY, running_tasks

pytestmark = pytest.mark.anyio

MSGS = [{"role": "user", "content": "Hi"}]
MODEL = "llama-3.3-70b-versatile"
WORDS = "one two three four five six seven eight nine ten eleven twelve"
PROTOCOLS = [pytest.param(False, id="http1"), pytest.param(True, id="h2c")]


@dataclass
class Outcome:
    result: Any = None
    error: BaseException | None = None
    sleeps: list[float] = field(default_factory=list)
    requests: int = 0
    connections: int = 0
    text: str = ""

    @property
    def attempts(self) -> int:
        if self.error is not None:
            return getattr(self.error, "attempts", -1)  # type: ignore[no-any-return]
        return self.result.timings.attempts  # type: ignore[no-any-return]


def make_client(server: GroqTestServer, http2: bool, **kw: Any) -> AsyncGroq:
    kw.setdefault("retry", RetryPolicy(jitter=0.0))
    return AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, http1=not http2, http2=http2, **kw)


async def run(
    server: GroqTestServer,
    *replies: Any,
    http2: bool = False,
    stream: bool = False,
    client: AsyncGroq | None = None,
    **kw: Any,
) -> Outcome:
    """One call against the server after queueing ``replies``; what happened."""
    own = client is None
    if client is None:
        client = make_client(server, http2, **kw)
    clock = client._clock = FakeClock()
    before_requests = server.request_count
    before_connections = server.connections_opened
    server.push(*replies)
    out = Outcome()
    try:
        with anyio.fail_after(10):
            if stream:
                s = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
                out.result = s
                parts = []
                async with s:
                    async for chunk in s:
                        for choice in chunk.choices:
                            parts.append(choice.delta.content or "")
                out.text = "".join(parts)
            else:
                out.result = await client.chat.completions.create(model=MODEL, messages=MSGS)
                out.text = out.result.choices[0].message.content
    except g.GroqError as exc:
        out.error = exc
    finally:
        out.sleeps = clock.sleeps
        out.requests = server.request_count - before_requests
        out.connections = server.connections_opened - before_connections
        assert client.pool_stats().in_flight == 0
        if own:
            await client.aclose()
    return out


# -- status faults ----------------------------------------------------------------------------


@pytest.mark.parametrize("http2", PROTOCOLS)
async def test_n_times_429_with_retry_after_then_200(server: GroqTestServer, http2: bool) -> None:
    out = await run(
        server,
        *[ErrorReply(429, headers={"retry-after": "3"})] * 4,
        ChatScript(text="at last"),
        http2=http2,
        max_retries=4,
    )
    assert out.error is None and out.text == "at last"
    assert out.attempts == 5 and out.requests == 5 and out.sleeps == [3.0] * 4
    # one more 429 than retries: the RateLimitError, with the attempts and the wait asked for
    out = await run(
        server, *[ErrorReply(429, headers={"retry-after": "3"})] * 3, http2=http2, max_retries=2
    )
    assert isinstance(out.error, g.RateLimitError)
    assert out.error.attempts == 3 and out.error.retry_after == 3.0
    assert out.error.status_code == 429 and out.error.request_id is not None
    assert out.sleeps == [3.0, 3.0]


async def test_503_burst(server: GroqTestServer) -> None:
    out = await run(server, ErrorReply(503), ErrorReply(503), ChatScript(text="up again"))
    assert out.text == "up again" and out.attempts == 3 and out.sleeps == [0.5, 1.0]
    out = await run(server, *[ErrorReply(503)] * 3)
    assert isinstance(out.error, g.ServiceUnavailableError)
    assert out.error.attempts == 3 and out.error.retryable and out.sleeps == [0.5, 1.0]


async def test_498_flex_capacity(server: GroqTestServer) -> None:
    out = await run(server, ErrorReply(498), ChatScript(text="flexed"))
    assert out.text == "flexed" and out.attempts == 2 and out.sleeps == [0.5]
    out = await run(server, *[ErrorReply(498)] * 3)
    assert isinstance(out.error, g.FlexCapacityError)
    assert out.error.status_code == 498 and out.error.attempts == 3


# -- connection faults ------------------------------------------------------------------------


@pytest.mark.parametrize("http2", PROTOCOLS)
@pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
async def test_connection_lost_before_headers(
    server: GroqTestServer, http2: bool, reset: bool
) -> None:
    out = await run(server, DropConnection(reset=reset), ChatScript(text="ok"), http2=http2)
    assert out.text == "ok" and out.attempts == 2 and out.sleeps == [0.5]
    assert out.connections == 2
    out = await run(server, *[DropConnection(reset=reset)] * 3, http2=http2)
    assert type(out.error) is g.APIConnectionError and out.error.attempts == 3


@pytest.mark.parametrize("http2", PROTOCOLS)
async def test_connection_lost_mid_body_is_retried(server: GroqTestServer, http2: bool) -> None:
    out = await run(server, DropConnection(after_bytes=60), ChatScript(text="whole"), http2=http2)
    assert out.text == "whole" and out.attempts == 2 and out.sleeps == [0.5]


@pytest.mark.parametrize("http2", PROTOCOLS)
async def test_stream_lost_before_its_first_event_is_retried(
    server: GroqTestServer, http2: bool
) -> None:
    # the head and a few bytes of the first event, then the connection goes
    out = await run(
        server,
        DropConnection(after_bytes=10, reply=ChatScript(text=WORDS)),
        ChatScript(text=WORDS),
        http2=http2,
        stream=True,
    )
    assert out.error is None and out.text == WORDS
    assert out.attempts == 2 and out.sleeps == [0.5] and out.requests == 2


@pytest.mark.parametrize("http2", PROTOCOLS)
async def test_stream_lost_after_its_first_event_is_not_retried(
    server: GroqTestServer, http2: bool
) -> None:
    out = await run(
        server,
        DropConnection(after_bytes=500, reply=ChatScript(text=WORDS)),
        http2=http2,
        stream=True,
    )
    assert type(out.error) is g.APIConnectionError
    assert out.error.attempts == 1 and out.sleeps == [] and out.requests == 1
    assert out.result.timings.first_chunk is not None  # something had reached the caller


async def test_in_band_error_as_first_event_is_retried(server: GroqTestServer) -> None:
    busy = {"message": "overloaded", "type": "server_error", "status_code": 503}
    out = await run(server, ChatScript(stream_error=busy), ChatScript(text="fine"), stream=True)
    assert out.text == "fine" and out.attempts == 2 and out.sleeps == [0.5]
    # after the first event an in-band error is the caller's: not retried
    out = await run(
        server, ChatScript(text=WORDS, stream_error=busy, stream_error_after=2), stream=True
    )
    assert isinstance(out.error, g.ServiceUnavailableError)
    assert out.error.in_stream and out.error.attempts == 1 and out.requests == 1


# -- stalls and slowness ----------------------------------------------------------------------


@pytest.mark.parametrize("http2", PROTOCOLS)
async def test_stalled_headers(server: GroqTestServer, http2: bool) -> None:
    # a read limit below the stall: a timeout of the attempt, retried
    out = await run(
        server, Stall(seconds=3), ChatScript(text="ok"), http2=http2, timeout=Timeout(read=0.2)
    )
    assert out.text == "ok" and out.attempts == 2 and out.sleeps == [0.5]
    # only the call's deadline: the whole call times out, and is not retried
    out = await run(server, Stall(seconds=3), http2=http2, timeout=0.3)
    assert isinstance(out.error, g.APITimeoutError)
    assert out.error.attempts == 1 and out.sleeps == []


@pytest.mark.parametrize("http2", PROTOCOLS)
async def test_stalled_body(server: GroqTestServer, http2: bool) -> None:
    out = await run(
        server,
        StallBody(seconds=3, after_bytes=20),
        ChatScript(text="ok"),
        http2=http2,
        timeout=Timeout(read=0.2),
    )
    assert out.text == "ok" and out.attempts == 2 and out.sleeps == [0.5]
    # a stream stalling after its first event: the idle timeout ends it (not retried)
    out = await run(
        server,
        StallBody(seconds=3, after_bytes=700, reply=ChatScript(text=WORDS)),
        http2=http2,
        stream=True,
        stream_idle_timeout=0.2,
    )
    assert isinstance(out.error, g.APITimeoutError) and out.error.attempts == 1
    assert "stream_idle_timeout" in out.error.message and out.error.request_id


@pytest.mark.parametrize("http2", PROTOCOLS)
async def test_stream_first_chunk_timeout(server: GroqTestServer, http2: bool) -> None:
    out = await run(
        server,
        ChatScript(text=WORDS, first_chunk_delay=3),
        ChatScript(text=WORDS),
        http2=http2,
        stream=True,
        stream_first_chunk_timeout=0.2,
    )
    assert out.text == WORDS and out.attempts == 2 and out.sleeps == [0.5]
    out = await run(
        server,
        *[ChatScript(text=WORDS, first_chunk_delay=3)] * 2,
        http2=http2,
        stream=True,
        stream_first_chunk_timeout=0.2,
        max_retries=1,
    )
    assert isinstance(out.error, g.APITimeoutError) and out.error.attempts == 2
    assert "first-chunk" in out.error.message


@pytest.mark.parametrize("http2", PROTOCOLS)
async def test_slow_trickle(server: GroqTestServer, http2: bool) -> None:
    # each piece within the read limit: a slow answer is still an answer
    out = await run(
        server, Trickle(delay=0.02, piece=100), http2=http2, timeout=Timeout(total=5, read=0.5)
    )
    assert out.error is None and out.attempts == 1 and out.text
    # but the call's deadline covers the whole body
    out = await run(server, Trickle(delay=0.05, piece=20), http2=http2, timeout=0.3)
    assert isinstance(out.error, g.APITimeoutError) and out.error.attempts == 1
    # a trickling stream within its idle timeout streams to the end
    out = await run(
        server,
        Trickle(delay=0.01, piece=256, reply=ChatScript(text=WORDS)),
        http2=http2,
        stream=True,
        stream_idle_timeout=0.5,
    )
    assert out.text == WORDS and out.attempts == 1


# -- connections going away -------------------------------------------------------------------


@pytest.mark.parametrize("http2", PROTOCOLS)
@pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
async def test_server_closes_idle_keepalive_connection(
    server: GroqTestServer, http2: bool, reset: bool
) -> None:
    async with make_client(server, http2) as client:
        out = await run(server, CloseAfterResponse(reset=reset), client=client)
        assert out.error is None and out.connections == 1
        await anyio.sleep(0.05)  # the server has closed the now idle connection
        out = await run(server, ChatScript(text="reconnected"), client=client)
        assert out.text == "reconnected" and out.attempts == 1 and out.sleeps == []
        assert out.connections == 1  # a new one


async def test_server_closes_keepalive_connection_as_a_request_arrives(
    server: GroqTestServer,
) -> None:
    """The race: the client sends on the pooled connection just before the server drops it.
    The whole request was written, so the server may have read it: the transport must not send
    it again on its own (that sent billed POSTs twice). It is an ordinary failure, retried by
    the pipeline as a counted attempt, within ``max_retries``."""
    async with make_client(server, False) as client:
        out = await run(server, CloseAfterResponse(delay=0.15), client=client)
        assert out.error is None
        await anyio.sleep(0.05)  # the server still holds the connection open: it looks alive
        out = await run(server, ChatScript(text="resent"), client=client)
        assert out.text == "resent" and out.attempts == 2 and out.sleeps == [0.5]
        assert out.requests == 1 and out.connections == 1
        assert server.connections_opened == 2
    async with make_client(server, False, max_retries=0) as client:
        out = await run(server, CloseAfterResponse(delay=0.15), client=client)
        await anyio.sleep(0.05)
        out = await run(server, ChatScript(text="not resent"), client=client)
        assert isinstance(out.error, g.APIConnectionError) and out.error.attempts == 1
        assert out.requests == 0


async def test_http2_goaway_refusing_a_request(server: GroqTestServer) -> None:
    # on a fresh connection: the GOAWAY's last stream id (0) says the server did not act on the
    # request, so the pool sends it again on a new connection, without a retry or a wait
    out = await run(server, GoAway(), ChatScript(text="elsewhere"), http2=True)
    assert out.text == "elsewhere" and out.attempts == 1 and out.sleeps == []
    assert out.connections == 2
    # on a connection already in use: httpcore sees the refused stream and the pool resends
    async with make_client(server, True) as client:
        await run(server, ChatScript(), client=client)
        out = await run(server, GoAway(), ChatScript(text="resent"), client=client)
        assert out.text == "resent" and out.attempts == 1 and out.sleeps == []
        assert out.connections == 1


async def test_http2_goaway_between_requests(server: GroqTestServer) -> None:
    async with make_client(server, True) as client:
        out = await run(server, GoAway(after_response=True), client=client)
        assert out.error is None and out.attempts == 1
        await anyio.sleep(0.05)
        out = await run(server, ChatScript(text="new connection"), client=client)
        assert out.text == "new connection" and out.attempts == 1 and out.connections == 1


async def test_http2_rst_stream(server: GroqTestServer) -> None:
    # before the head: retried, on the same connection (only the stream was reset)
    out = await run(server, ResetStream(), ChatScript(text="ok"), http2=True)
    assert out.text == "ok" and out.attempts == 2 and out.connections == 1
    # mid-stream, after the first event: the caller gets the error, other streams carry on
    opened = server.connections_opened
    async with make_client(server, True) as client:
        server.push(ResetStream(after_bytes=500, reply=ChatScript(text=WORDS, chunk_delay=0.01)))
        server.push(ChatScript(text=WORDS, chunk_delay=0.01))
        s1 = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        s2 = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        with pytest.raises(g.APIConnectionError) as info:
            async with s1:
                async for _ in s1:
                    pass
        assert info.value.attempts == 1 and "StreamReset" in str(info.value)
        async with s2:
            text = "".join([c.choices[0].delta.content or "" async for c in s2 if c.choices])
        assert text == WORDS
        assert server.connections_opened == opened + 1
        assert client.pool_stats().in_flight == 0


# -- cancellation at every phase --------------------------------------------------------------


@pytest.fixture
def thread_server() -> Iterator[GroqTestServer]:
    """A server on its own event loop in a thread: the test's loop has only the test's tasks."""
    with GroqTestServer().run_in_thread() as srv:
        yield srv


class StallingBackend(httpcore.AsyncNetworkBackend):
    """Connecting never finishes."""

    def __init__(self) -> None:
        self.attempts = 0

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        self.attempts += 1
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


@pytest.fixture
def silent_tls_port() -> Iterator[int]:
    """A TCP port that accepts connections (the kernel does) and never answers a byte."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def _tasks() -> int:
    return running_tasks()


async def _settle() -> None:
    for _ in range(5):
        await anyio.sleep(0.01)


@pytest.fixture
async def tasks_before(anyio_backend: Any) -> int:
    await _settle()
    return _tasks()


def _limited_reply() -> ChatScript:
    return ChatScript(
        # 20 s: well inside the 30 s call deadline, so the call waits (and is cancelled there)
        headers={"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "20s"}
    )


PHASES = [
    "pool wait",
    "connect",
    "tls",
    "send",
    "headers",
    "body",
    "stream first event",
    "stream body",
    "retry wait",
    "rate-limit wait",
]


@pytest.mark.parametrize("phase", PHASES)
async def test_cancellation_at_every_phase(
    thread_server: GroqTestServer,
    silent_tls_port: int,
    client_ssl_context: ssl.SSLContext,
    tasks_before: int,
    phase: str,
) -> None:
    server = thread_server
    base_url = server.base_url
    kw: dict[str, Any] = {"max_connections": 1, "timeout": 30}
    if phase == "tls":
        base_url = f"https://127.0.0.1:{silent_tls_port}"
        kw["verify"] = client_ssl_context
    client = AsyncGroq(api_key=TEST_KEY, base_url=base_url, http2=False, **kw)
    backend = None
    if phase == "connect":
        backend = StallingBackend()
        old = client._transport
        client._transport = Transport(client._config, network_backend=backend)
        await old.aclose()
    holder = None
    async with client:
        if phase == "pool wait":  # the one connection is held by an open stream
            holder = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        elif phase == "headers":
            server.push(Stall(seconds=10))
        elif phase == "body":
            server.push(
                RawReply(200, {"content-type": "application/json"}, [b'{"id":', b"1}"], 10.0)
            )
        elif phase == "stream first event":
            server.push(ChatScript(first_chunk_delay=10))
        elif phase == "stream body":
            server.push(ChatScript(text=WORDS, delay_after_first=10))
        elif phase == "retry wait":
            server.push(ErrorReply(503, headers={"retry-after": "10"}))
        elif phase == "rate-limit wait":
            server.push(_limited_reply())
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        sent_before = server.request_count

        with anyio.move_on_after(0.15) as scope:
            if phase == "send":

                async def stalling_body() -> AsyncIterator[bytes]:
                    yield b'{"model": "m", '
                    await anyio.sleep_forever()

                await client._send(
                    b"POST",
                    "/chat/completions",
                    stalling_body(),
                    options=client._options,
                    timings=start_timings(),
                    replayable=False,
                )
            elif phase == "stream body":
                stream = await client.chat.completions.create(
                    model=MODEL, messages=MSGS, stream=True
                )
                async with stream:
                    async for _ in stream:
                        pass
            else:
                await client.chat.completions.create(
                    model=MODEL, messages=MSGS, stream=phase.startswith("stream")
                )
        assert scope.cancelled_caught, "the call should have been cancelled mid-phase"
        if phase == "connect":
            assert backend is not None and backend.attempts == 1
        if phase == "rate-limit wait":
            assert server.request_count == sent_before  # nothing was sent
        if phase == "retry wait":
            assert server.request_count == sent_before + 1
        if holder is not None:
            stats = client.pool_stats()
            assert stats.waiting == 0 and stats.in_flight == 1
            await holder.aclose()
        stats = client.pool_stats()
        assert stats.in_flight == 0 and stats.waiting == 0, stats
        assert not client._state.scopes
        # a cancellation is never counted as a failure (the 503 before a retry wait is one)
        breaker = client.circuit_breaker
        assert breaker is not None
        assert breaker.consecutive_failures == (1 if phase == "retry wait" else 0)
        if phase not in ("connect", "tls", "rate-limit wait"):
            # and the client still works
            c = await client.chat.completions.create(model=MODEL, messages=MSGS, timeout=5)
            assert c.choices[0].message.content
    await _settle()
    assert _tasks() == tasks_before
