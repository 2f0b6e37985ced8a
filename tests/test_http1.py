"""Our HTTP/1.1 connection (groq_anyio/_transport/_h1.py) on both parsers and every backend.

Two layers:

- Sans-IO: the connection driven by a scripted network stream, so hypothesis can cut a response
  anywhere and mutate its bytes: the body must come out the same however it is split, and
  garbage must only ever raise the transport's protocol errors (which it maps onto ours),
  never a parser's own exception, whatever the parser.
- Real sockets: a raw server on loopback answering with a given byte string, through the whole
  client, on asyncio (the ``asyncio.Protocol`` backend, and uvloop) and trio (trio sockets), and
  the generic anyio backend, with httptools and with h11.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio._transport import _core as core
from groq_anyio._transport._h1 import HTTP11Connection
from groq_anyio._transport._request import build_request

from .conftest import TEST_KEY

PARSERS = ["httptools", "h11"]
BACKENDS = ["auto", "anyio"]
ORIGIN = core.Origin(b"http", b"127.0.0.1", 80)
URL = core.URL(scheme=b"http", host=b"127.0.0.1", port=80, target=b"/openai/v1/models")
MODELS = b'{"object":"list","data":[{"id":"m","object":"model","created":1,"owned_by":"x"}]}'


class ScriptedStream:
    """Gives the connection ``pieces`` one per read, then the end of the stream."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = list(pieces)
        self.written: list[bytes] = []
        self.closed = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.written.append(buffer)

    async def aclose(self) -> None:
        self.closed = True

    def get_extra_info(self, info: str) -> Any:
        return False if info == "is_readable" else None


def _request(method: bytes = b"GET", body: bytes = b"") -> core.Request:
    headers = [(b"Host", b"127.0.0.1"), (b"Accept", b"application/json")]
    if body:
        headers.append((b"Content-Length", b"%d" % len(body)))
    return build_request(method, URL, headers, body, {"timeout": {}})


async def _exchange(pieces: list[bytes], parser: str) -> tuple[int, bytes, HTTP11Connection]:
    conn = HTTP11Connection(ORIGIN, ScriptedStream(pieces), 30.0, parser=parser)
    response = await conn.handle_async_request(_request())
    parts = [part async for part in response.stream]
    await response.stream.aclose()
    return response.status, b"".join(parts), conn


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points) if b > a]


def _chunked(body: bytes, size: int) -> bytes:
    out = b""
    for i in range(0, len(body), size):
        piece = body[i : i + size]
        out += b"%x\r\n%b\r\n" % (len(piece), piece)
    return out + b"0\r\n\r\n"


FRAMINGS: dict[str, Callable[[bytes], bytes]] = {
    "content-length": lambda body: (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%b"
        % (len(body), body)
    ),
    "chunked": lambda body: (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + _chunked(body, 7)
    ),
    "informational first": lambda body: (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%b"
        % (len(body), body)
    ),
    "until close": lambda body: b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body,
}


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("framing", list(FRAMINGS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=300), cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_body_is_the_same_however_the_response_is_cut(
    parser: str, framing: str, body: bytes, cuts: list[int]
) -> None:
    wire = FRAMINGS[framing](body)
    status, got, conn = anyio.run(_exchange, _split(wire, cuts), parser)
    assert (status, got) == (200, body)
    # reusable only when the framing says where the body ends and nobody asked to close
    assert conn.is_idle() is (framing in ("content-length", "chunked", "informational first"))


@pytest.mark.parametrize("parser", PARSERS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    framing=st.sampled_from(list(FRAMINGS)),
    body=st.binary(max_size=64),
    cuts=st.lists(st.integers(min_value=0), max_size=6),
)
def test_garbage_raises_only_protocol_errors(
    parser: str, data: st.DataObject, framing: str, body: bytes, cuts: list[int]
) -> None:
    wire = bytearray(FRAMINGS[framing](body))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        position = data.draw(st.integers(min_value=0, max_value=len(wire) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        if action == "flip":
            wire[position] ^= data.draw(st.integers(min_value=1, max_value=255))
        elif action == "delete":
            del wire[position]
        elif action == "insert":
            wire[position:position] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            del wire[position:]
        if not wire:
            wire = bytearray(b"\0")
    try:
        anyio.run(_exchange, _split(bytes(wire), cuts), parser)
    except (core.ProtocolError, core.NetworkError):
        pass  # the transport maps these onto APIConnectionError


@pytest.mark.parametrize("parser", PARSERS)
def test_a_head_over_the_limit_is_a_typed_error(parser: str) -> None:
    wire = b"HTTP/1.1 200 OK\r\n" + b"X-Big: " + b"a" * 70_000 + b"\r\n\r\n"

    async def main() -> None:
        conn = HTTP11Connection(
            ORIGIN, ScriptedStream(_split(wire, [5000, 20000])), 30.0, parser=parser
        )
        with pytest.raises(core.RemoteProtocolError, match="head"):
            await conn.handle_async_request(_request())
        assert conn.is_closed()

    anyio.run(main)


def test_repeated_response_headers_are_kept_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from groq_anyio._transport import _h1

    monkeypatch.setattr(_h1, "_KNOWN_HEADERS", {})
    monkeypatch.setattr(_h1, "_KNOWN_NAMES", {})
    cookie = b"c=" + b"x" * 60  # longer than _KNOWN_VALUE: never kept

    def wire(request_id: bytes) -> bytes:
        return (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: %b\r\n"
            b"Set-Cookie: %b\r\nContent-Length: 2\r\n\r\n{}" % (request_id, cookie)
        )

    async def headers(request_id: bytes) -> list[tuple[bytes, bytes]]:
        conn = HTTP11Connection(ORIGIN, ScriptedStream([wire(request_id)]), 30.0)
        response = await conn.handle_async_request(_request())
        assert b"".join([part async for part in response.stream]) == b"{}"
        return response.headers

    async def main() -> None:
        first = await headers(b"req_1")
        second = await headers(b"req_2")
        assert first == [
            (b"Content-Type", b"application/json"),
            (b"X-Request-Id", b"req_1"),
            (b"Set-Cookie", cookie),
            (b"Content-Length", b"2"),
        ]
        assert second[1] == (b"X-Request-Id", b"req_2")
        assert second[0] is first[0] and second[3] is first[3]  # the same tuples
        assert second[1] is not first[1] and second[1][0] is first[1][0]  # a known name
        assert second[2] is not first[2]  # a long value: its own
        assert (b"Set-Cookie", cookie) not in _h1._KNOWN_HEADERS
        # the tables stop growing at their limit
        monkeypatch.setattr(_h1, "_KNOWN_LIMIT", len(_h1._KNOWN_HEADERS))
        before = dict(_h1._KNOWN_HEADERS), dict(_h1._KNOWN_NAMES)
        await headers(b"req_3")
        assert (dict(_h1._KNOWN_HEADERS), dict(_h1._KNOWN_NAMES)) == before

    anyio.run(main)


@pytest.mark.parametrize("parser", PARSERS)
def test_request_head_with_cr_lf_or_nul_is_refused(parser: str) -> None:
    async def main() -> None:
        stream = ScriptedStream([])
        conn = HTTP11Connection(ORIGIN, stream, 30.0, parser=parser)
        request = _request()
        request.headers.append((b"X-Evil", b"a\r\nInjected: yes"))
        with pytest.raises(core.LocalProtocolError):
            await conn.handle_async_request(request)
        assert stream.written == []  # nothing reached the wire

    anyio.run(main)


# -- real sockets ----------------------------------------------------------------------------


class OneShotServer:
    """Answers every request on loopback with ``reply(n)`` (the n-th request, from 0), then
    closes the connection when ``close_after`` says so."""

    def __init__(self, reply: Callable[[int], bytes], close_after: bool = False) -> None:
        self.reply = reply
        self.close_after = close_after
        self.requests = 0
        self.connections = 0
        self.port = 0

    async def _handle(self, stream: anyio.abc.SocketStream) -> None:
        self.connections += 1
        buffer = b""
        async with stream:
            while True:
                while b"\r\n\r\n" not in buffer:
                    try:
                        data = await stream.receive()
                    except (anyio.EndOfStream, anyio.BrokenResourceError):
                        return
                    buffer += data
                _head, _, buffer = buffer.partition(b"\r\n\r\n")
                n = self.requests
                self.requests += 1
                await stream.send(self.reply(n))
                if self.close_after:
                    return


@pytest.fixture
async def raw_server(anyio_backend: Any) -> Any:
    servers: list[Any] = []

    async def start(server: OneShotServer) -> OneShotServer:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
        server.port = listener.extra(anyio.abc.SocketAttribute.local_port)
        tg.start_soon(listener.serve, server._handle)
        servers.append(listener)
        return server

    async with anyio.create_task_group() as tg:
        yield start
        tg.cancel_scope.cancel()


def _client(port: int, parser: str, backend: str, **kw: Any) -> AsyncGroq:
    return AsyncGroq(
        api_key=TEST_KEY,
        base_url=f"http://127.0.0.1:{port}",
        max_retries=0,
        timeout=5,
        http1_parser=parser,
        network_backend=backend,
        **kw,
    )


def _models(n: int) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%b" % (
        len(MODELS),
        MODELS,
    )


@pytest.mark.anyio
@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("backend", BACKENDS)
async def test_keep_alive_reuse_on_every_backend_and_parser(
    raw_server: Any, parser: str, backend: str
) -> None:
    server = await raw_server(OneShotServer(_models))
    async with _client(server.port, parser, backend) as client:
        for _ in range(5):
            models = await client.models.list()
            assert [m.id for m in models.data] == ["m"]
        stats = client.pool_stats()
    assert server.requests == 5 and server.connections == 1
    assert stats.connections == 1 and stats.idle == 1


@pytest.mark.anyio
@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("backend", BACKENDS)
async def test_connection_close_is_not_reused(raw_server: Any, parser: str, backend: str) -> None:
    def reply(n: int) -> bytes:
        return b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%b" % (
            len(MODELS),
            MODELS,
        )

    server = await raw_server(OneShotServer(reply, close_after=True))
    async with _client(server.port, parser, backend) as client:
        for _ in range(3):
            assert (await client.models.list()).data[0].id == "m"
    assert server.connections == 3


@pytest.mark.anyio
@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "wire",
    [
        pytest.param(b'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"object"', id="body cut"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Le", id="head cut"),
        pytest.param(b"", id="nothing"),
        pytest.param(b"SMTP ready\r\n\r\n", id="not http"),
        pytest.param(b"HTTP/1.1 abc OK\r\n\r\n", id="bad status"),
        pytest.param(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", id="chunk"),
    ],
)
async def test_broken_responses_are_typed_errors(
    raw_server: Any, parser: str, backend: str, wire: bytes
) -> None:
    server = await raw_server(OneShotServer(lambda n: wire, close_after=True))
    async with _client(server.port, parser, backend) as client:
        with anyio.fail_after(10):
            with pytest.raises(g.APIConnectionError):
                await client.models.list()
        assert client.pool_stats().in_flight == 0


def test_uvloop_runs_the_asyncio_backend() -> None:
    """The asyncio backend only uses the loop's public API: uvloop's loop works the same, for
    HTTP/1.1 on both parsers (uvloop is an asyncio loop: this test runs its own)."""
    uvloop = pytest.importorskip("uvloop")

    async def main() -> list[str]:
        import asyncio

        assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
        ids = []
        async with anyio.create_task_group() as tg:
            server = OneShotServer(_models)
            listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
            server.port = listener.extra(anyio.abc.SocketAttribute.local_port)
            tg.start_soon(listener.serve, server._handle)
            for parser in PARSERS:
                async with _client(server.port, parser, "auto") as client:
                    for _ in range(3):
                        ids.append((await client.models.list()).data[0].id)
                    assert client.pool_stats().connections == 1  # one connection, reused
            tg.cancel_scope.cancel()
        return ids

    result = anyio.run(main, backend_options={"loop_factory": uvloop.new_event_loop})
    assert result == ["m"] * 6


@pytest.mark.anyio
async def test_a_named_backend_of_another_runtime_is_a_clear_error(
    raw_server: Any, anyio_backend: Any
) -> None:
    server = await raw_server(OneShotServer(_models))
    other = "trio" if anyio_backend[0] == "asyncio" else "asyncio"
    async with _client(server.port, "auto", other) as client:
        with pytest.raises(g.InvalidParameterError, match="network_backend"):
            await client.models.list()


def test_unknown_parser_or_backend_is_refused() -> None:
    with pytest.raises(g.InvalidParameterError, match="http1_parser"):
        AsyncGroq(api_key=TEST_KEY, http1_parser="picohttp")
    with pytest.raises(g.InvalidParameterError, match="network_backend"):
        AsyncGroq(api_key=TEST_KEY, network_backend="curio")
