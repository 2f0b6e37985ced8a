"""The local Groq-compatible server (groq_anyio.testing), driven over real sockets.

httpcore is the client (HTTP/1.1, h2c prior knowledge, TLS with ALPN); a tiny raw h2 client
(below) covers what httpcore cannot do: more than 100 concurrent streams and RST_STREAM.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.abc
import h2.config
import h2.connection
import h2.errors
import h2.events
import httpcore
import pytest
import trustme

from groq_anyio.testing import (
    ChatScript,
    DropConnection,
    ErrorReply,
    GroqTestServer,
    RawReply,
    RecordedRequest,
    Reply,
    ResetStream,
    Stall,
)

pytestmark = pytest.mark.anyio

CHAT = "/openai/v1/chat/completions"
MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Say hello to the local server, please."},
]
REQUEST_ID = re.compile(r"^req_[0-9a-z]{26}$")


def body(**extra: Any) -> bytes:
    return json.dumps({"model": "llama-3.3-70b-versatile", "messages": MESSAGES, **extra}).encode()


def header(response: httpcore.Response, name: str) -> str | None:
    for key, value in response.headers:
        if key.decode().lower() == name:
            return value.decode()
    return None


def sse_data(raw: bytes) -> list[str]:
    """The ``data:`` payloads of an SSE body, in order (``event:`` lines kept as ``event:x``)."""
    out = []
    for block in raw.decode().split("\n\n"):
        for line in block.split("\n"):
            if line.startswith("data: "):
                out.append(line[6:])
            elif line.startswith("event: "):
                out.append("event:" + line[7:])
    return out


def chunks_of(raw: bytes) -> list[dict[str, Any]]:
    return [json.loads(d) for d in sse_data(raw) if d != "[DONE]" and not d.startswith("event:")]


def content_of(raw: bytes) -> str:
    return "".join(
        c["choices"][0]["delta"].get("content") or "" for c in chunks_of(raw) if c.get("choices")
    )


async def post(
    pool: httpcore.AsyncConnectionPool, url: str, data: bytes, headers: Any = None
) -> httpcore.Response:
    return await pool.request("POST", url + CHAT, content=data, headers=headers or [])


async def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.01)


@pytest.fixture(autouse=True)
def no_server_errors(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Transport trouble is logged at debug level; anything louder is a server bug."""
    caplog.set_level(logging.DEBUG, logger="groq_anyio.testing")
    yield
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    loud = [r for r in records if r.name.startswith("groq_anyio") and r.levelno > logging.DEBUG]
    if "expect_error_log" in request.fixturenames:
        assert loud
    else:
        assert not loud, [r.getMessage() for r in loud]


@pytest.fixture
async def server() -> AsyncIterator[GroqTestServer]:
    async with GroqTestServer() as srv:
        yield srv


@pytest.fixture
async def pool() -> AsyncIterator[httpcore.AsyncConnectionPool]:
    async with httpcore.AsyncConnectionPool(http1=True, http2=False) as p:
        yield p


@pytest.fixture
async def h2c_pool() -> AsyncIterator[httpcore.AsyncConnectionPool]:
    async with httpcore.AsyncConnectionPool(http1=False, http2=True) as p:
        yield p


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("127.0.0.1", "localhost")


# -- plain completions --------------------------------------------------------------------------


async def test_plain_completion_looks_like_groq(
    server: GroqTestServer, pool: httpcore.AsyncConnectionPool
) -> None:
    r = await post(pool, server.base_url, body())
    assert r.status == 200
    assert header(r, "content-type") == "application/json"
    assert header(r, "cache-control") == "private, max-age=0, no-store, no-cache, must-revalidate"
    request_id = header(r, "x-request-id")
    assert request_id is not None
    assert REQUEST_ID.match(request_id)
    for name in ("limit-requests", "limit-tokens", "remaining-requests", "remaining-tokens"):
        assert (header(r, "x-ratelimit-" + name) or "").isdigit()
    assert re.fullmatch(r"(\d+m)?[\d.]+m?s", header(r, "x-ratelimit-reset-requests") or "")
    assert header(r, "x-groq-region")
    doc = json.loads(r.content)
    assert doc["object"] == "chat.completion"
    assert doc["id"].startswith("chatcmpl-")
    assert doc["model"] == "llama-3.3-70b-versatile"
    assert doc["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello from the local Groq server!"},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ]
    usage = doc["usage"]
    assert set(usage) >= {"queue_time", "prompt_time", "completion_time", "total_time"}
    assert usage["completion_tokens"] == 6
    assert usage["prompt_tokens"] >= 10
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert doc["usage_breakdown"] is None
    assert doc["system_fingerprint"].startswith("fp_")
    assert doc["x_groq"] == {"id": request_id}
    assert doc["service_tier"] == "on_demand"

    (recorded,) = server.requests
    assert recorded.method == "POST"
    assert recorded.path == CHAT
    assert recorded.http_version == "HTTP/1.1"
    assert recorded.json()["messages"] == MESSAGES
    assert recorded.header("Host") == f"127.0.0.1:{server.port}"


async def test_model_override_tools_and_reasoning_non_streamed(
    server: GroqTestServer, pool: httpcore.AsyncConnectionPool
) -> None:
    server.push(
        ChatScript(
            model="openai/gpt-oss-120b",
            reasoning="The user wants the weather.",
            tool_calls=[{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "call_1"}],
        )
    )
    doc = json.loads((await post(pool, server.base_url, body())).content)
    assert doc["model"] == "openai/gpt-oss-120b"
    message = doc["choices"][0]["message"]
    assert "content" not in message
    assert message["reasoning"] == "The user wants the weather."
    assert message["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
        }
    ]
    assert doc["choices"][0]["finish_reason"] == "tool_calls"
    assert doc["usage"]["completion_tokens_details"]["reasoning_tokens"] == 5


async def test_chunks_option_shapes_the_content(
    server: GroqTestServer, pool: httpcore.AsyncConnectionPool
) -> None:
    server.push(
        ChatScript("one two three four five", chunks=2),
        ChatScript("a b", chunks=4),
        ChatScript("ignored", chunks=0),
    )
    first = chunks_of((await post(pool, server.base_url, body(stream=True))).content)
    assert [c["choices"][0]["delta"].get("content") for c in first[1:-1]] == [
        "one two",
        " three four five",
    ]
    second = (await post(pool, server.base_url, body(stream=True))).content
    assert content_of(second) == "tok0 tok1 tok2 tok3 "
    third = chunks_of((await post(pool, server.base_url, body(stream=True))).content)
    assert len(third) == 2  # role chunk + finish chunk
    assert third[-1]["x_groq"]["usage"]["completion_tokens"] == 0


async def test_extra_headers_finish_reason_and_callable_default(
    pool: httpcore.AsyncConnectionPool,
) -> None:
    script = ChatScript(
        "cut short",
        finish_reason="length",
        headers={"x-ratelimit-remaining-requests": "0", "X-Extra": "1"},
    )
    async with GroqTestServer(default=lambda request: script) as server:
        for stream in (False, True):
            r = await post(pool, server.base_url, body(stream=stream))
            assert header(r, "x-ratelimit-remaining-requests") == "0"
            assert header(r, "x-extra") == "1"
            assert (
                sum(1 for k, _ in r.headers if k.lower() == b"x-ratelimit-remaining-requests") == 1
            )
            if stream:
                assert chunks_of(r.content)[-1]["choices"][0]["finish_reason"] == "length"
            else:
                assert json.loads(r.content)["choices"][0]["finish_reason"] == "length"


# -- streaming over each protocol ---------------------------------------------------------------


def check_groq_stream(raw: bytes, text: str = "Hello from the local Groq server!") -> None:
    assert raw.endswith(b"data: [DONE]\n\n")
    chunks = chunks_of(raw)
    first, *middle, last = chunks
    assert first["object"] == "chat.completion.chunk"
    assert first["choices"] == [
        {
            "index": 0,
            "delta": {"role": "assistant", "content": ""},
            "logprobs": None,
            "finish_reason": None,
        }
    ]
    assert REQUEST_ID.match(first["x_groq"]["id"])
    assert {c["id"] for c in chunks} == {first["id"]}
    assert all(set(c) >= {"created", "model", "system_fingerprint"} for c in chunks)
    assert [c["choices"][0]["delta"]["content"] for c in middle] == re.findall(r"\s*\S+", text)
    assert last["choices"][0]["finish_reason"] == "stop"
    assert last["choices"][0]["delta"] == {}
    assert last["x_groq"]["id"] == first["x_groq"]["id"]
    assert last["x_groq"]["usage"]["completion_tokens"] == len(middle)


async def test_stream_over_http11_is_chunked(
    server: GroqTestServer, pool: httpcore.AsyncConnectionPool
) -> None:
    r = await post(pool, server.base_url, body(stream=True))
    assert r.status == 200
    assert header(r, "content-type") == "text/event-stream"
    assert (header(r, "transfer-encoding") or "").lower() == "chunked"
    assert header(r, "content-length") is None
    assert r.extensions["http_version"] == b"HTTP/1.1"
    check_groq_stream(r.content)
    assert header(r, "x-request-id") == chunks_of(r.content)[0]["x_groq"]["id"]


async def test_stream_over_h2c_prior_knowledge(
    server: GroqTestServer, h2c_pool: httpcore.AsyncConnectionPool
) -> None:
    server.push(ChatScript("streamed over cleartext HTTP/2"))
    r = await post(h2c_pool, server.base_url, body(stream=True))
    assert r.status == 200
    assert r.extensions["http_version"] == b"HTTP/2"
    check_groq_stream(r.content, "streamed over cleartext HTTP/2")
    assert server.http_versions["HTTP/2"] == 1
    assert server.requests[0].http_version == "HTTP/2"
    assert server.requests[0].header("host") == f"127.0.0.1:{server.port}"


@pytest.mark.parametrize(("alpn", "version"), [("h2", b"HTTP/2"), ("http/1.1", b"HTTP/1.1")])
async def test_stream_over_tls_with_alpn(
    cert: trustme.LeafCert, ca: trustme.CA, alpn: str, version: bytes
) -> None:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    async with (
        GroqTestServer(ssl_context=server_ctx) as server,
        httpcore.AsyncConnectionPool(ssl_context=client_ctx, http2=alpn == "h2") as pool,
    ):
        assert server.base_url.startswith("https://127.0.0.1:")
        r = await post(pool, server.base_url, body(stream=True))
        assert r.extensions["http_version"] == version
        check_groq_stream(r.content)
        plain = await post(pool, server.base_url, body())
        assert json.loads(plain.content)["object"] == "chat.completion"
        assert server.connections_opened == 1


async def test_tls_server_without_http2_offers_only_http11(
    cert: trustme.LeafCert, ca: trustme.CA
) -> None:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    async with (
        GroqTestServer(ssl_context=server_ctx, http2=False) as server,
        httpcore.AsyncConnectionPool(ssl_context=client_ctx, http2=True) as pool,
    ):
        r = await post(pool, server.base_url, body())
        assert r.extensions["http_version"] == b"HTTP/1.1"


async def test_10000_chunk_stream_over_h2_respects_flow_control(
    server: GroqTestServer, h2c_pool: httpcore.AsyncConnectionPool
) -> None:
    server.push(ChatScript(chunks=10_000))
    r = await post(h2c_pool, server.base_url, body(stream=True))
    assert len(r.content) > 10 * 65535  # far beyond the default windows
    chunks = chunks_of(r.content)
    assert len(chunks) == 10_002
    assert chunks[1]["choices"][0]["delta"]["content"] == "tok0 "
    assert chunks[-2]["choices"][0]["delta"]["content"] == "tok9999 "
    assert chunks[-1]["x_groq"]["usage"]["completion_tokens"] == 10_000


async def test_10000_chunk_stream_over_http11(
    server: GroqTestServer, pool: httpcore.AsyncConnectionPool
) -> None:
    server.push(ChatScript(chunks=10_000))
    r = await post(pool, server.base_url, body(stream=True))
    assert len(chunks_of(r.content)) == 10_002


# -- a minimal raw HTTP/2 client: >100 concurrent streams, RST_STREAM ---------------------------


class RawH2:
    def __init__(self, stream: anyio.abc.ByteStream, authority: str) -> None:
        self.stream = stream
        self.authority = authority
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding=None)
        )
        self.bodies: dict[int, bytearray] = {}
        self.status: dict[int, int] = {}
        self.ended: set[int] = set()
        self.reset: set[int] = set()

    async def open(self) -> None:
        self.conn.initiate_connection()
        self.conn.increment_flow_control_window(1 << 30)
        await self.flush()

    async def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            await self.stream.send(data)

    def request(self, payload: bytes) -> int:
        sid = self.conn.get_next_available_stream_id()
        headers = [
            (b":method", b"POST"),
            (b":path", CHAT.encode()),
            (b":scheme", b"http"),
            (b":authority", self.authority.encode()),
            (b"content-type", b"application/json"),
        ]
        self.conn.send_headers(sid, headers)
        self.conn.send_data(sid, payload, end_stream=True)
        self.bodies[sid] = bytearray()
        return sid

    async def pump_until(self, done: Any) -> None:
        while not done():
            data = await self.stream.receive(65536)
            for event in self.conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    assert event.stream_id is not None
                    self.status[event.stream_id] = int(dict(event.headers or [])[b":status"])
                elif isinstance(event, h2.events.DataReceived):
                    assert event.stream_id is not None
                    self.bodies[event.stream_id] += event.data or b""
                    self.conn.acknowledge_received_data(
                        event.flow_controlled_length or 0, event.stream_id
                    )
                elif isinstance(event, h2.events.StreamEnded):
                    assert event.stream_id is not None
                    self.ended.add(event.stream_id)
                elif isinstance(event, h2.events.StreamReset):
                    assert event.stream_id is not None
                    self.reset.add(event.stream_id)
            await self.flush()


async def test_200_concurrent_streams_on_one_h2_connection(server: GroqTestServer) -> None:
    server.default = ChatScript(chunks=20, chunk_delay=0.01)
    async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
        client = RawH2(stream, f"127.0.0.1:{server.port}")
        await client.open()
        ids = [client.request(body(stream=True)) for _ in range(200)]
        await client.flush()
        started = time.monotonic()
        with anyio.fail_after(20):
            await client.pump_until(lambda: len(client.ended) == 200)
        elapsed = time.monotonic() - started
    # 200 streams x 20 chunks x 10 ms would take 40 s one after another
    assert elapsed < 10
    assert server.connections_opened == 1
    assert len(server.requests) == 200
    for sid in ids:
        assert client.status[sid] == 200
        assert content_of(bytes(client.bodies[sid])) == "".join(f"tok{i} " for i in range(20))


async def test_rst_stream_cancels_only_that_stream(server: GroqTestServer) -> None:
    server.push(ChatScript(chunks=2000, chunk_delay=0.005), ChatScript("still serving"))
    async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
        client = RawH2(stream, f"127.0.0.1:{server.port}")
        await client.open()
        long = client.request(body(stream=True))
        await client.flush()
        with anyio.fail_after(5):
            await client.pump_until(lambda: client.bodies[long].count(b"tok") >= 3)
        client.conn.reset_stream(long, h2.errors.ErrorCodes.CANCEL)
        other = client.request(body(stream=True))
        await client.flush()
        with anyio.fail_after(5):
            await client.pump_until(lambda: other in client.ended)
        assert content_of(bytes(client.bodies[other])) == "still serving"
        assert long not in client.ended
        await wait_for(lambda: server.active_requests == 0)  # the reset stream's task ended
        assert server.active_connections == 1
    await wait_for(lambda: server.active_connections == 0)


async def test_client_goaway_mid_stream_closes_quietly(server: GroqTestServer) -> None:
    server.push(ChatScript(chunks=1000, chunk_delay=0.01))
    async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
        client = RawH2(stream, f"127.0.0.1:{server.port}")
        await client.open()
        sid = client.request(body(stream=True))
        await client.flush()
        with anyio.fail_after(5):
            await client.pump_until(lambda: b"tok1 " in client.bodies[sid])
        client.conn.close_connection()
        await client.flush()
        with anyio.fail_after(5), pytest.raises(anyio.EndOfStream):
            await client.pump_until(lambda: False)  # the server closes its side
    await wait_for(lambda: server.active_connections == 0)
    assert server.active_requests == 0


async def test_reset_stream_and_drop_connection_over_h2(server: GroqTestServer) -> None:
    server.push(
        ResetStream(after_bytes=500, reply=ChatScript(chunks=50, chunk_delay=0.01)),
        ResetStream(error_code=h2.errors.ErrorCodes.REFUSED_STREAM),
    )
    async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
        client = RawH2(stream, f"127.0.0.1:{server.port}")
        await client.open()
        cut = client.request(body(stream=True))
        refused = client.request(body(stream=True))
        fine = client.request(body(stream=True))
        await client.flush()
        with anyio.fail_after(5):
            await client.pump_until(lambda: {cut, refused} <= client.reset and fine in client.ended)
        assert client.status[cut] == 200
        assert len(client.bodies[cut]) == 500
        assert refused not in client.status
        check_groq_stream(bytes(client.bodies[fine]))

        server.push(DropConnection(after_bytes=100))
        client.request(body(stream=True))
        await client.flush()
        with anyio.fail_after(5), pytest.raises(anyio.EndOfStream):
            await client.pump_until(lambda: False)
    await wait_for(lambda: server.active_connections == 0)


async def test_garbage_is_handled_quietly(server: GroqTestServer, cert: trustme.LeafCert) -> None:
    async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
        await stream.send(b"NOT HTTP AT ALL\r\n\r\n")
        reply = b""
        with anyio.fail_after(5):
            with contextlib.suppress(anyio.EndOfStream, anyio.BrokenResourceError):
                while True:
                    reply += await stream.receive()
        assert reply.startswith(b"HTTP/1.1 400 ")
    async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
        await stream.send(h2_preface() + b"\x00\x00\x01\x07\x00\x00\x00\x00\x00garbage")
        with anyio.fail_after(5):
            with contextlib.suppress(anyio.EndOfStream, anyio.BrokenResourceError):
                while await stream.receive():
                    pass
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    async with GroqTestServer(ssl_context=server_ctx) as tls_server:
        async with await anyio.connect_tcp("127.0.0.1", tls_server.port) as stream:
            await stream.send(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")  # plain HTTP to TLS
            with anyio.fail_after(5):
                with contextlib.suppress(anyio.EndOfStream, anyio.BrokenResourceError):
                    while await stream.receive():
                        pass
        await wait_for(lambda: tls_server.active_connections == 0)
    await wait_for(lambda: server.active_connections == 0)
    assert server.requests == []


def h2_preface() -> bytes:
    return b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


async def test_pipelining_and_http10(server: GroqTestServer) -> None:
    request = (
        b"POST /openai/v1/chat/completions HTTP/1.1\r\nhost: x\r\n"
        b"content-length: %d\r\n\r\n%s" % (len(body(stream=True)), body(stream=True))
    )
    async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
        await stream.send(request + request + b"GET /openai/v1/models HTTP/1.1\r\nhost: x\r\n\r\n")
        received = b""
        with anyio.fail_after(5):
            while received.count(b"HTTP/1.1 200") < 3 or not received.endswith(b"]}"):
                received += await stream.receive()
    assert received.count(b"data: [DONE]") == 2
    assert len(server.requests) == 3
    async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
        await stream.send(request.replace(b"HTTP/1.1", b"HTTP/1.0", 1))
        received = b""
        with anyio.fail_after(5):
            with contextlib.suppress(anyio.EndOfStream, anyio.BrokenResourceError):
                while True:
                    received += await stream.receive()
    head, _, raw = received.partition(b"\r\n\r\n")
    assert b"transfer-encoding" not in head.lower()  # HTTP/1.0: the close ends the body
    check_groq_stream(raw)
    assert server.requests[-1].http_version == "HTTP/1.0"


# -- the reply queue, errors, raw replies -------------------------------------------------------


async def test_push_queue_is_fifo_then_default(
    server: GroqTestServer, pool: httpcore.AsyncConnectionPool
) -> None:
    server.push(
        ErrorReply(
            429,
            "Rate limit reached for model `llama-3.3-70b-versatile`",
            type="tokens",
            code="rate_limit_exceeded",
            headers={"retry-after": "7", "x-ratelimit-remaining-requests": "0"},
        ),
        ErrorReply(503, body=b"upstream unavailable"),
        lambda request: ChatScript(text="echo " + request.json()["messages"][-1]["content"]),
    )
    assert server.pending == 3
    first = await post(pool, server.base_url, body())
    assert first.status == 429
    assert json.loads(first.content) == {
        "error": {
            "message": "Rate limit reached for model `llama-3.3-70b-versatile`",
            "type": "tokens",
            "code": "rate_limit_exceeded",
        }
    }
    assert header(first, "retry-after") == "7"
    assert header(first, "x-ratelimit-remaining-requests") == "0"
    assert REQUEST_ID.match(header(first, "x-request-id") or "")
    second = await post(pool, server.base_url, body())
    assert (second.status, second.content) == (503, b"upstream unavailable")
    third = await post(pool, server.base_url, body())
    assert json.loads(third.content)["choices"][0]["message"]["content"] == (
        "echo Say hello to the local server, please."
    )
    fourth = await post(pool, server.base_url, body())
    assert json.loads(fourth.content)["choices"][0]["message"]["content"].startswith("Hello")
    assert server.pending == 0
    assert len(server.requests) == 4


async def test_default_error_message_and_code(
    server: GroqTestServer, pool: httpcore.AsyncConnectionPool
) -> None:
    server.push(ErrorReply(500, type="internal_server_error"))
    r = await post(pool, server.base_url, body())
    assert r.status == 500
    assert json.loads(r.content) == {
        "error": {"message": "Internal Server Error", "type": "internal_server_error", "code": None}
    }


async def test_raw_reply_is_sent_verbatim(
    server: GroqTestServer,
    pool: httpcore.AsyncConnectionPool,
    h2c_pool: httpcore.AsyncConnectionPool,
) -> None:
    pieces = [b'data: {"a":', b"1}\n", b"\ndata: [DONE]\n\n"]
    for client in (pool, h2c_pool):
        server.push(
            RawReply(200, {"Content-Type": "text/event-stream", "X-Custom": "yes"}, pieces, 0.01),
            RawReply(418, [("content-type", "text/plain")], b"short and stout"),
        )
        r = await post(client, server.base_url, body(stream=True))
        assert r.content == b"".join(pieces)
        assert header(r, "x-custom") == "yes"
        assert header(r, "x-request-id") is None
        r = await post(client, server.base_url, body())
        assert (r.status, r.content) == (418, b"short and stout")
        assert header(r, "content-length") == "15"


# -- in-band stream errors and usage placement --------------------------------------------------

STREAM_ERROR = {
    "message": "Service Unavailable",
    "type": "internal_server_error",
    "code": "service_unavailable",
    "status_code": 503,
}


@pytest.mark.parametrize("style", ["data", "event", "x_groq"])
async def test_in_band_stream_errors(
    server: GroqTestServer, h2c_pool: httpcore.AsyncConnectionPool, style: Any
) -> None:
    server.push(
        ChatScript(stream_error=STREAM_ERROR, stream_error_after=2, stream_error_style=style)
    )
    r = await post(h2c_pool, server.base_url, body(stream=True))
    assert r.status == 200
    assert b"[DONE]" not in r.content
    events = sse_data(r.content)
    assert content_of(r.content) == "Hello from"
    if style == "x_groq":
        last = json.loads(events[-1])
        assert last["choices"] == []
        assert last["x_groq"]["error"] == STREAM_ERROR
    else:
        assert json.loads(events[-1]) == {"error": STREAM_ERROR}
        assert (events[-2] == "event:error") is (style == "event")


async def test_stream_error_right_away_and_non_streamed(
    server: GroqTestServer, pool: httpcore.AsyncConnectionPool
) -> None:
    server.push(ChatScript(stream_error=STREAM_ERROR), ChatScript(stream_error=STREAM_ERROR))
    r = await post(pool, server.base_url, body(stream=True))
    assert sse_data(r.content) == [json.dumps({"error": STREAM_ERROR}, separators=(",", ":"))]
    r = await post(pool, server.base_url, body())
    assert r.status == 503
    assert json.loads(r.content) == {"error": STREAM_ERROR}


@pytest.mark.parametrize("style", ["x_groq", "usage", "both", "trailing"])
async def test_usage_styles(
    server: GroqTestServer, pool: httpcore.AsyncConnectionPool, style: Any
) -> None:
    server.push(ChatScript("one two three", usage_style=style))
    chunks = chunks_of((await post(pool, server.base_url, body(stream=True))).content)
    finish = next(c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"])
    in_x_groq = finish["x_groq"].get("usage")
    top = finish.get("usage")
    if style == "trailing":
        assert in_x_groq is None
        assert top is None
        assert chunks[-1]["choices"] == []
        usage = chunks[-1]["usage"]
    else:
        assert (in_x_groq is not None) is (style in ("x_groq", "both"))
        assert (top is not None) is (style in ("usage", "both"))
        usage = in_x_groq or top
    assert usage["completion_tokens"] == 3
    assert usage["total_tokens"] == usage["prompt_tokens"] + 3


async def test_tool_call_and_reasoning_stream_deltas(
    server: GroqTestServer, h2c_pool: httpcore.AsyncConnectionPool
) -> None:
    server.push(
        ChatScript(
            reasoning="Need the weather tool.",
            tool_calls=[
                {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}},
                {"function": {"name": "get_time", "arguments": "{}"}, "id": "call_fixed"},
            ],
        )
    )
    chunks = chunks_of((await post(h2c_pool, server.base_url, body(stream=True))).content)
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas[0] == {"role": "assistant", "content": ""}
    reasoning = [d["reasoning"] for d in deltas if "reasoning" in d]
    assert "".join(reasoning) == "Need the weather tool."
    first_tool = next(i for i, d in enumerate(deltas) if "tool_calls" in d)
    assert all("reasoning" not in d for d in deltas[first_tool:])
    assert not any(d.get("content") for d in deltas)
    calls: dict[int, dict[str, Any]] = {}
    heads = 0
    for d in deltas:
        for part in d.get("tool_calls", []):
            if "id" in part:
                heads += 1
                assert part["type"] == "function"
                calls[part["index"]] = {"id": part["id"], **part["function"]}
            else:
                assert set(part) == {"index", "function"}
                calls[part["index"]]["arguments"] += part["function"]["arguments"]
    assert heads == 2
    assert json.loads(calls[0]["arguments"]) == {"city": "Paris", "unit": "celsius"}
    assert calls[0]["name"] == "get_weather"
    assert calls[0]["id"].startswith("call_")
    assert calls[1] == {"id": "call_fixed", "name": "get_time", "arguments": "{}"}
    arg_pieces = sum(1 for d in deltas for p in d.get("tool_calls", []) if "id" not in p)
    assert arg_pieces > 2  # the arguments arrive in several pieces
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    usage = chunks[-1]["x_groq"]["usage"]
    assert usage["completion_tokens_details"]["reasoning_tokens"] == len(reasoning)


# -- endpoints, validation, auth ----------------------------------------------------------------


async def test_models_unknown_paths_and_bad_json(
    server: GroqTestServer, pool: httpcore.AsyncConnectionPool
) -> None:
    url = server.base_url
    models = await pool.request("GET", url + "/openai/v1/models")
    doc = json.loads(models.content)
    ids = [m["id"] for m in doc["data"]]
    assert doc["object"] == "list"
    assert {"llama-3.3-70b-versatile", "openai/gpt-oss-120b", "whisper-large-v3"} <= set(ids)
    one = await pool.request("GET", url + "/openai/v1/models/openai/gpt-oss-120b")
    assert json.loads(one.content)["id"] == "openai/gpt-oss-120b"
    missing = await pool.request("GET", url + "/openai/v1/models/nope")
    assert missing.status == 404
    assert json.loads(missing.content)["error"]["code"] == "model_not_found"
    for method, path in [("GET", "/"), ("POST", "/openai/v1/fine_tuning"), ("GET", "/v1/x")]:
        r = await pool.request(method, url + path)
        assert r.status == 404
        error = json.loads(r.content)["error"]
        assert error["type"] == "invalid_request_error"
        assert error["code"] == "unknown_url"
        assert REQUEST_ID.match(header(r, "x-request-id") or "")
    bad = await post(pool, url, b"{not json")
    assert bad.status == 400
    assert json.loads(bad.content)["error"]["type"] == "invalid_request_error"
    no_messages = await post(pool, url, b'{"model": "x"}')
    assert no_messages.status == 400
    assert "messages" in json.loads(no_messages.content)["error"]["message"]
    assert len(server.requests) == 8  # every request is recorded, whatever its path
    assert server.requests[3].path == "/"


async def test_api_key_is_enforced(pool: httpcore.AsyncConnectionPool) -> None:
    async with GroqTestServer(api_key="gsk_test") as server:
        server.push(ChatScript("for the authorized"))
        for headers in ([], [(b"Authorization", b"Bearer wrong")]):
            r = await post(pool, server.base_url, body(), headers)
            assert r.status == 401
            error = json.loads(r.content)["error"]
            assert error == {
                "message": "Invalid API Key",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
        assert server.pending == 1  # rejected requests do not consume the queue
        ok = await post(pool, server.base_url, body(), [(b"Authorization", b"Bearer gsk_test")])
        assert ok.status == 200
        assert json.loads(ok.content)["choices"][0]["message"]["content"] == "for the authorized"
        assert len(server.requests) == 3


async def test_recording_can_be_turned_off(pool: httpcore.AsyncConnectionPool) -> None:
    async with GroqTestServer(record_requests=False) as server:
        for _ in range(3):
            await post(pool, server.base_url, body())
        assert server.requests == []
        assert server.request_count == 3
        assert server.http_versions == {"HTTP/1.1": 3}


# -- connection management ----------------------------------------------------------------------


async def test_keep_alive_and_connection_close(
    server: GroqTestServer, pool: httpcore.AsyncConnectionPool
) -> None:
    for _ in range(20):
        assert (await post(pool, server.base_url, body(stream=True))).status == 200
    assert server.connections_opened == 1
    for _ in range(3):
        r = await post(pool, server.base_url, body(), [(b"Connection", b"close")])
        assert header(r, "connection") == "close"
    # the first one reuses the kept-alive connection, then each needs a new one
    assert server.connections_opened == 3
    await wait_for(lambda: server.active_connections <= 1)


@pytest.mark.parametrize("delay", [0.02, 1.0])
async def test_client_disconnect_mid_stream_http11(
    server: GroqTestServer, pool: httpcore.AsyncConnectionPool, delay: float
) -> None:
    server.push(ChatScript(chunks=500, chunk_delay=delay))
    async with pool.stream("POST", server.base_url + CHAT, content=body(stream=True)) as r:
        async for piece in r.aiter_stream():
            if b"tok0" in piece:
                break
    started = time.monotonic()
    await wait_for(lambda: server.active_connections == 0)
    assert time.monotonic() - started < 0.9  # noticed even during a 1 s pause
    assert server.active_requests == 0
    r2 = await post(pool, server.base_url, body())
    assert r2.status == 200
    assert server.connections_opened == 2


async def test_client_disconnect_mid_stream_h2(
    server: GroqTestServer, h2c_pool: httpcore.AsyncConnectionPool
) -> None:
    server.push(ChatScript(chunks=500, chunk_delay=0.02))
    async with h2c_pool.stream("POST", server.base_url + CHAT, content=body(stream=True)) as r:
        async for piece in r.aiter_stream():
            if b"tok0" in piece:
                break
    r2 = await post(h2c_pool, server.base_url, body(stream=True))
    check_groq_stream(r2.content)
    # httpcore forgets an abandoned HTTP/2 stream without RST_STREAM, so the server keeps it
    # (paced, flow-controlled) until the connection closes; then everything must unwind.
    assert server.active_requests == 1
    await h2c_pool.aclose()
    await wait_for(lambda: server.active_connections == 0)
    assert server.active_requests == 0


async def test_server_exit_closes_open_streams(pool: httpcore.AsyncConnectionPool) -> None:
    errors: list[BaseException] = []

    async def client(url: str) -> None:
        try:
            await post(pool, url, body(stream=True))
        except httpcore.RemoteProtocolError as exc:
            errors.append(exc)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            async with GroqTestServer(default=ChatScript(chunks=1000, chunk_delay=0.5)) as server:
                for _ in range(3):
                    tg.start_soon(client, server.base_url)
                await wait_for(lambda: len(server.requests) == 3)
            assert server.active_connections == 0
    assert len(errors) == 3


async def test_drop_connection_and_stall(
    server: GroqTestServer, pool: httpcore.AsyncConnectionPool
) -> None:
    server.push(
        DropConnection(),
        DropConnection(after_bytes=300, reply=ChatScript(chunks=100)),
        DropConnection(reset=True),
        Stall(0.3, ChatScript("finally")),
    )
    with pytest.raises(httpcore.RemoteProtocolError):
        await post(pool, server.base_url, body())
    with pytest.raises(httpcore.RemoteProtocolError):
        await post(pool, server.base_url, body(stream=True))
    with pytest.raises((httpcore.ReadError, httpcore.RemoteProtocolError)):
        await post(pool, server.base_url, body())
    started = time.monotonic()
    r = await post(pool, server.base_url, body())
    assert time.monotonic() - started >= 0.28
    assert json.loads(r.content)["choices"][0]["message"]["content"] == "finally"


async def test_paced_stream_timing(
    server: GroqTestServer, pool: httpcore.AsyncConnectionPool
) -> None:
    server.push(
        ChatScript(chunks=10, first_chunk_delay=0.2, delay_after_first=0.1, chunk_delay=0.02)
    )
    started = time.monotonic()
    stamps = []
    async with pool.stream("POST", server.base_url + CHAT, content=body(stream=True)) as r:
        async for piece in r.aiter_stream():
            if b"tok" in piece:
                stamps.append(time.monotonic() - started)
    assert 0.19 <= stamps[0] < 0.5
    assert stamps[1] - stamps[0] >= 0.11  # delay_after_first + chunk_delay
    assert 0.45 <= stamps[-1] < 1.5  # 0.2 + 0.1 + 9 * 0.02


class Broken(Reply, frozen=True):
    async def respond(self, exchange: Any) -> None:
        raise ValueError("a bug in a reply")


@pytest.fixture
def expect_error_log() -> None:
    """Requested by tests that expect the server to log an error."""


async def test_a_failing_reply_is_a_500_and_the_server_survives(
    server: GroqTestServer, pool: httpcore.AsyncConnectionPool, expect_error_log: None
) -> None:
    server.push(Broken())
    r = await post(pool, server.base_url, body())
    assert r.status == 500
    assert json.loads(r.content)["error"]["type"] == "internal_server_error"
    assert (await post(pool, server.base_url, body())).status == 200


# -- synchronous use ----------------------------------------------------------------------------


@pytest.fixture
def sync_server() -> Iterator[GroqTestServer]:
    with GroqTestServer().run_in_thread() as srv:
        yield srv


def test_run_in_thread_from_sync_code(sync_server: GroqTestServer) -> None:
    sync_server.push(ChatScript("from a thread"))
    with httpcore.ConnectionPool() as client:
        r = client.request("POST", sync_server.base_url + CHAT, content=body(stream=True))
        assert content_of(r.content) == "from a thread"
        r = client.request("POST", sync_server.base_url + CHAT, content=body())
        assert r.status == 200
    assert [req.path for req in sync_server.requests] == [CHAT, CHAT]
    assert isinstance(sync_server.requests[0], RecordedRequest)


def test_run_in_thread_stops_cleanly() -> None:
    server = GroqTestServer()
    started = time.monotonic()
    with server.run_in_thread():
        port = server.port
    assert time.monotonic() - started < 5
    with pytest.raises(RuntimeError):
        _ = server.port
    with pytest.raises(OSError):  # nothing listens any more
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_serve_forever_in_a_subprocess() -> None:
    code = (
        "import sys\n"
        "from groq_anyio.testing import ChatScript, serve_forever\n"
        "serve_forever('127.0.0.1', 0, default=ChatScript('cli'), http2=False,\n"
        "              ready=lambda url: print(url, flush=True))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        with httpcore.ConnectionPool() as client:
            r = client.request("POST", url + CHAT, content=body())
        assert json.loads(r.content)["choices"][0]["message"]["content"] == "cli"
    finally:
        proc.terminate()
        proc.wait(10)
