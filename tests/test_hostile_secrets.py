"""Issue 10, secrets: the API key in no frame reachable from an exception we raise, nor in a
401's message, body, headers or pickle; ``RedactedBytes`` pickles redacted; only ``localhost``
and literal loopback addresses may use plain http.

The traceback walk (tests/hostile.py ``find_secret``) looks at every frame of the exception and
of its ``__cause__``/``__context__`` chain, recursively: a local whose repr shows the key, or
that is (or holds, in lists/tuples/dicts) a str/bytes with the key in it, is a leak.
"""

from __future__ import annotations

import copy
import pickle
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import msgspec
import pytest
import trustme

import groq_anyio as g
from groq_anyio import AsyncGroq, Timeout
from groq_anyio._config import RedactedBytes, parse_base_url

from .conftest import TEST_KEY
from .hostile import MODEL, MSGS, Conn, H2Peer, RawServer, find_secret

pytestmark = pytest.mark.anyio

#: HTTP/1.1 over plain TCP (httptools, h11) and TLS, HTTP/2 over h2c and TLS
MODES = ["h1", "h1-h11", "h1-tls", "h2c", "h2-tls"]
BIG = "x" * (8 << 20)


@pytest.fixture(scope="module")
def contexts(ca: trustme.CA) -> dict[str, ssl.SSLContext]:
    out = {}
    for proto in ("h2", "http/1.1"):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
        ctx.set_alpn_protocols([proto])
        out[proto] = ctx
    client = ssl.create_default_context()
    ca.configure_trust(client)
    client.set_alpn_protocols(["h2", "http/1.1"])
    out["client"] = client
    return out


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest, anyio_backend: object) -> str:
    return request.param  # type: ignore[no-any-return]


@asynccontextmanager
async def serve(
    mode: str, contexts: dict[str, ssl.SSLContext], handler: Any
) -> AsyncIterator[tuple[RawServer, AsyncGroq]]:
    tls = mode.endswith("tls")
    server_ctx = contexts["h2" if mode.startswith("h2") else "http/1.1"] if tls else None
    async with RawServer(handler, ssl_context=server_ctx, rcvbuf=1 << 16) as srv:
        kw: dict[str, Any] = {"max_retries": 0}
        if tls:
            kw["verify"] = contexts["client"]
        if mode.startswith("h2"):
            kw["http2"] = True
        if mode == "h2c":
            kw["http1"] = False
        if mode in ("h1", "h1-h11"):
            kw["http2"] = False
        if mode.startswith("h1"):
            kw["http1_parser"] = "h11" if mode == "h1-h11" else "httptools"
        async with AsyncGroq(api_key=TEST_KEY, base_url=srv.base_url, **kw) as client:
            yield srv, client


def never_reading_handler(h2: bool) -> Any:
    """Take the request's head (HTTP/2: its HEADERS, with big windows granted), then never
    read again: the client's write of a big body times out."""

    async def handler(conn: Conn) -> None:
        if h2:
            peer = H2Peer(conn)
            await peer.handshake(initial_window_size=2**31 - 1)
            peer.h2.increment_flow_control_window(2**31 - 1 - 65535)
            await peer.flush()
            await peer.next_headers()
        else:
            await conn.receive(1024)
        await anyio.sleep_forever()

    return handler


async def test_write_timeout_keeps_key_out_of_traceback_frames(
    mode: str, contexts: dict[str, ssl.SSLContext], request: pytest.FixtureRequest
) -> None:
    async with serve(mode, contexts, never_reading_handler(mode.startswith("h2"))) as (
        _srv,
        client,
    ):
        with anyio.fail_after(20):
            with pytest.raises(g.APITimeoutError) as info:
                await client.chat.completions.create(
                    model="hostile-test-model",  # (no client-side context-window check)
                    messages=[{"role": "user", "content": BIG}],
                    timeout=Timeout(total=4.0, write=0.5),  # (asyncio: buffered, ends at total)
                )
    leaks = find_secret(info.value, TEST_KEY)
    assert leaks == []


async def test_header_error_keeps_key_out_of_traceback_frames(
    mode: str, contexts: dict[str, ssl.SSLContext]
) -> None:
    """A header value the wire refuses: refused before sending; no frame holds the key."""

    async def handler(conn: Conn) -> None:
        await conn.receive()

    async with serve(mode, contexts, handler) as (srv, client):
        with anyio.fail_after(10):
            with pytest.raises(g.InvalidParameterError) as info:
                await client.chat.completions.create(
                    model=MODEL, messages=MSGS, extra_headers={"X-Custom": "a\x0bb"}
                )
        assert srv.requests == 0
    assert find_secret(info.value, TEST_KEY) == []


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
async def test_401_echoing_the_key_is_masked(
    mode: str, contexts: dict[str, ssl.SSLContext], stream: bool
) -> None:
    """A 401 whose message and headers echo the Authorization value: the key is not in
    ``str(exc)``, ``.message``, ``.body``, ``.headers``, ``.response`` or the pickle."""
    echo = f"Bearer {TEST_KEY}"
    body = msgspec.json.encode(
        {
            "error": {
                "message": f"Invalid API Key: {echo}",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
                "param": TEST_KEY,
            }
        }
    )
    extra = [("www-authenticate", f'Bearer realm="groq", token="{TEST_KEY}"'), ("x-echo", echo)]

    async def handler(conn: Conn) -> None:
        if conn.alpn == "h2" or conn.server.state.get("h2c"):
            peer = H2Peer(conn)
            await peer.handshake()
            while True:
                s = await peer.next_request()
                if s is None:
                    return
                await peer.respond(s.stream_id, 401, body, extra=extra)
        while True:
            req = await conn.read_request()
            if req is None:
                return
            await conn.respond(401, body, extra)

    async with serve(mode, contexts, handler) as (srv, client):
        srv.state["h2c"] = mode == "h2c"
        with anyio.fail_after(10):
            with pytest.raises(g.AuthenticationError) as info:
                await client.chat.completions.create(model=MODEL, messages=MSGS, stream=stream)
    exc = info.value
    assert "Invalid API Key" in exc.message
    for shown in (str(exc), repr(exc), exc.message, repr(exc.body), repr(dict(exc.headers))):
        assert TEST_KEY not in shown
    assert TEST_KEY not in exc.response.text
    assert TEST_KEY.encode() not in pickle.dumps(exc)
    back = pickle.loads(pickle.dumps(exc))  # (a worker process, a task queue)
    assert type(back) is type(exc) and back.status_code == 401
    assert back.message == exc.message and dict(back.headers) == dict(exc.headers)
    assert find_secret(exc, TEST_KEY) == []
    assert "www-authenticate" in exc.headers  # masked, not dropped


def test_redacted_bytes_pickles_redacted() -> None:
    value = RedactedBytes(b"Bearer " + TEST_KEY.encode())
    data = pickle.dumps(value)
    assert TEST_KEY.encode() not in data
    back = pickle.loads(data)
    assert isinstance(back, RedactedBytes)
    assert TEST_KEY.encode() not in bytes(back)
    headers = [(b"Authorization", value)]
    assert TEST_KEY.encode() not in pickle.dumps(headers)
    # copies are the value itself (immutable): a copied header list still authenticates
    assert copy.copy(value) is value
    assert copy.deepcopy(headers)[0][1] is value


def test_secret_str_refuses_pickling() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(g.SecretStr(TEST_KEY))


@pytest.mark.parametrize(
    "host",
    ["localhost.", "evil.localhost", "a.b.localhost", "LOCALHOST.", "localhost.evil.example"],
)
def test_only_literal_loopback_may_use_plain_http(host: str) -> None:
    with pytest.raises(g.InvalidParameterError) as info:
        parse_base_url(f"http://{host}:8000/openai/v1", allow_insecure_http=False)
    assert info.value.param == "base_url"
    # an explicit opt-in still works
    parse_base_url(f"http://{host}:8000/openai/v1", allow_insecure_http=True)


@pytest.mark.parametrize("host", ["localhost", "LocalHost", "127.0.0.1", "127.5.6.7", "[::1]"])
def test_literal_loopback_may_use_plain_http(host: str) -> None:
    _, scheme, _, port, _ = parse_base_url(
        f"http://{host}:8000/openai/v1", allow_insecure_http=False
    )
    assert scheme == "http"
    assert port == 8000
