"""The bare floor: what a chat client costs on this stack with no library around it.

httpcore's connection objects, a minimal pool (below), ``msgspec`` encoding of the request and
decoding of the response into tiny Structs (``_wire.py``), and a minimal ``data: ...\\n\\n``
byte scanner for streams. Every chunk really is found and decoded; nothing is validated,
retried, timed or accumulated. It is what groq_anyio is measured against: the cost of the
stack itself (httpcore and h11 on anyio).
"""

from __future__ import annotations

import ssl
from collections import deque
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore
from _wire import Chunk, Completion, decode_chunk, decode_completion, encode

__all__ = ["Chunk", "Completion", "FloorClient", "FloorStream"]

H2_STREAMS_PER_CONNECTION = 100  # httpcore's own cap per HTTP/2 connection


_encode, _decode_completion, _decode_chunk = encode, decode_completion, decode_chunk


class FloorPool:
    """HTTP/1.1: a LIFO stack of idle connections. HTTP/2 (prior knowledge or ALPN-only h2):
    connections shared by up to 100 streams each. FIFO waiters at ``max_connections``."""

    def __init__(
        self, origin: httpcore.Origin, ssl_context: ssl.SSLContext | None, http2: bool, size: int
    ) -> None:
        self._origin, self._ssl, self._h2, self._size = origin, ssl_context, http2, size
        self._idle: list[httpcore.AsyncHTTPConnection] = []
        self._active: dict[httpcore.AsyncHTTPConnection, int] = {}  # h2: streams in flight
        self._count = 0
        self._waiters: deque[anyio.Event] = deque()

    async def acquire(self) -> httpcore.AsyncHTTPConnection:
        while True:
            if self._h2:
                for conn, n in self._active.items():
                    if n < H2_STREAMS_PER_CONNECTION:
                        self._active[conn] = n + 1
                        return conn
            elif self._idle:
                return self._idle.pop()
            if self._count < self._size:
                self._count += 1
                conn = httpcore.AsyncHTTPConnection(
                    self._origin, ssl_context=self._ssl, http1=not self._h2, http2=self._h2
                )
                if self._h2:
                    self._active[conn] = 1
                return conn
            event = anyio.Event()
            self._waiters.append(event)
            await event.wait()

    def release(self, conn: httpcore.AsyncHTTPConnection, ok: bool) -> None:
        if self._h2:
            self._active[conn] -= 1
        elif ok and conn.is_idle():
            self._idle.append(conn)
        else:
            self._count -= 1
        if self._waiters:
            self._waiters.popleft().set()

    async def aclose(self) -> None:
        for conn in [*self._idle, *self._active]:
            await conn.aclose()
        self._idle.clear()
        self._active.clear()


class FloorClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        max_connections: int,
        http2: bool = False,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        u = urlsplit(base_url)
        scheme, host = u.scheme.encode(), (u.hostname or "").encode()
        port = u.port or (443 if scheme == b"https" else 80)
        self.pool = FloorPool(
            httpcore.Origin(scheme, host, port), ssl_context, http2, max_connections
        )
        path = u.path.rstrip("/") + "/openai/v1/chat/completions"
        self.url = httpcore.URL(scheme=scheme, host=host, port=port, target=path.encode())
        self.headers = [
            (b"Host", b"%s:%d" % (host, port)),
            (b"Authorization", b"Bearer " + api_key.encode()),
            (b"Content-Type", b"application/json"),
        ]

    def request(
        self, payload: dict[str, Any], accept: bytes, extra: list[tuple[bytes, bytes]] | None
    ) -> httpcore.Request:
        body = _encode(payload)
        headers = [*self.headers, (b"Accept", accept), (b"Content-Length", b"%d" % len(body))]
        if extra:
            headers += extra
        return httpcore.Request(b"POST", self.url, headers=headers, content=body)

    async def complete(
        self, payload: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None
    ) -> Completion:
        request = self.request(payload, b"application/json", extra)
        conn = await self.pool.acquire()
        ok = False
        try:
            response = await conn.handle_async_request(request)
            try:
                parts = [part async for part in response.stream]  # type: ignore[union-attr]
            finally:
                await response.aclose()
            ok = True
        finally:
            self.pool.release(conn, ok)
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        return _decode_completion(parts[0] if len(parts) == 1 else b"".join(parts))

    def stream(
        self, payload: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None
    ) -> FloorStream:
        return FloorStream(self, payload, extra)

    async def aclose(self) -> None:
        await self.pool.aclose()


class FloorStream:
    """``async with client.stream(payload) as s: async for chunk in s`` - one event per step."""

    __slots__ = (
        "_client",
        "_payload",
        "_extra",
        "_conn",
        "_response",
        "_iter",
        "_buf",
        "_pos",
        "_done",
    )

    def __init__(
        self,
        client: FloorClient,
        payload: dict[str, Any],
        extra: list[tuple[bytes, bytes]] | None,
    ) -> None:
        self._client = client
        self._payload = payload
        self._extra = extra
        self._buf = b""
        self._pos = 0
        self._done = False

    async def __aenter__(self) -> FloorStream:
        request = self._client.request(self._payload, b"text/event-stream", self._extra)
        self._conn = conn = await self._client.pool.acquire()
        try:
            self._response = await conn.handle_async_request(request)
        except BaseException:
            self._client.pool.release(conn, False)
            raise
        if self._response.status != 200:
            await self.__aexit__(None, None, None)
            raise RuntimeError(f"HTTP {self._response.status}")
        self._iter = self._response.stream.__aiter__()  # type: ignore[union-attr]
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        ok = self._done and et is None
        try:
            await self._response.aclose()
        finally:
            self._client.pool.release(self._conn, ok)

    def __aiter__(self) -> FloorStream:
        return self

    async def __anext__(self) -> Chunk:
        buf, pos = self._buf, self._pos
        while True:
            end = buf.find(b"\n\n", pos)
            if end >= 0:
                start, pos = pos, end + 2
                if buf.startswith(b"data: ", start):
                    if buf.startswith(b"[DONE]", start + 6):
                        self._buf, self._pos, self._done = b"", 0, True
                        # read the end of the body so the connection can be reused
                        async for _ in self._iter:
                            pass
                        raise StopAsyncIteration
                    self._buf, self._pos = buf, pos
                    return _decode_chunk(memoryview(buf)[start + 6 : end])
                continue  # not a data event: skip it
            if self._done:
                raise StopAsyncIteration
            try:
                part = await self._iter.__anext__()
            except StopAsyncIteration:
                self._done = True
                raise
            buf, pos = buf[pos:] + part if pos < len(buf) else part, 0
