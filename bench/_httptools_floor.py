"""The httptools floors: HTTP/1.1 parsed in C (llhttp) with nothing else around it.

Two ways to get the bytes to ``httptools.HttpResponseParser``, the same client on top:

- ``proto``: an ``asyncio.Protocol`` whose ``data_received`` feeds the parser directly (no
  stream layer; asyncio's default loop or uvloop): what an asyncio backend on transports costs;
- ``anyio``: ``anyio.connect_tcp`` streams, ``await stream.receive()`` then ``feed_data`` (asyncio
  and trio): what a generic anyio backend costs.

Each connection sends a request (head and body) in one write; the parser's callbacks keep the
status and append every body piece (one per chunked frame) to a list, which the client takes
whole: a completion is decoded by msgspec once the message is complete, a stream's pieces go
to the bare SSE splitter (``_wire.SSEChunks``). A LIFO keep-alive pool with ``max_connections``
and FIFO waiters. Nothing is validated, retried or timed out. HTTP/1.1 only, plain or TLS.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.abc
import httptools
from _wire import Completion, SSEChunks, decode_completion, encode

__all__ = ["HttptoolsClient"]


class _Conn:
    """One keep-alive connection: the parser, its callbacks, and what one response has given
    so far (``pieces`` not yet taken, ``headed``, ``complete``). Subclasses bring the bytes."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.pieces: list[bytes] = []
        self.status = 0
        self.headed = False
        self.complete = False
        self.keep_alive = True
        self.error: BaseException | None = None

    # -- parser callbacks
    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.headed = True

    def on_body(self, body: bytes) -> None:
        self.pieces.append(body)

    def on_message_complete(self) -> None:
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()

    # -- used by the client
    def reusable(self) -> bool:
        return self.complete and self.keep_alive and self.error is None

    async def send(self, data: bytes) -> None:
        """Reset the response state and write one request."""
        raise NotImplementedError

    async def _more(self) -> None:
        """Wait until the parser has seen more (raise if the connection failed)."""
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError

    def _reset(self) -> None:
        self.pieces = []
        self.status, self.headed, self.complete = 0, False, False

    async def head(self) -> int:
        while not self.headed:
            await self._more()
        return self.status

    async def read(self) -> bytes:
        """The body bytes that arrived since the last read; ``b""`` at the end."""
        while True:
            pieces = self.pieces
            if pieces:
                self.pieces = []
                return pieces[0] if len(pieces) == 1 else b"".join(pieces)
            if self.complete:
                return b""
            await self._more()

    async def read_all(self) -> bytes:
        while not self.complete:
            await self._more()
        pieces, self.pieces = self.pieces, []
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)


class ProtoConn(_Conn, asyncio.Protocol):
    """Bytes from ``data_received`` straight into the parser; a future wakes the reader."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.want_all = False  # the reader waits for the whole message: wake it only then

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.error = exc
            assert self.transport is not None
            self.transport.close()
        w = self.waiter
        if w is not None and not w.done() and (self.complete or not self.want_all or self.error):
            w.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.error is None:
            self.error = exc or ConnectionResetError("connection closed")
        w = self.waiter
        if w is not None and not w.done():
            w.set_result(None)

    async def send(self, data: bytes) -> None:
        self._reset()
        assert self.transport is not None
        self.transport.write(data)

    async def _more(self) -> None:
        if self.error is not None:
            raise RuntimeError(f"connection failed: {self.error!r}")
        self.waiter = self.loop.create_future()
        try:
            await self.waiter
        finally:
            self.waiter = None

    async def read_all(self) -> bytes:
        self.want_all = True
        try:
            return await super().read_all()
        finally:
            self.want_all = False

    async def aclose(self) -> None:
        if self.transport is not None:
            self.transport.close()


class AnyioConn(_Conn):
    """``await stream.receive()``, then ``feed_data``."""

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        super().__init__()
        self.stream = stream

    async def send(self, data: bytes) -> None:
        self._reset()
        await self.stream.send(data)

    async def _more(self) -> None:
        if self.error is not None:
            raise RuntimeError(f"connection failed: {self.error!r}")
        try:
            data = await self.stream.receive(65536)
        except (anyio.EndOfStream, anyio.BrokenResourceError, OSError) as exc:
            self.error = exc
            raise RuntimeError(f"connection failed: {exc!r}") from exc
        self.parser.feed_data(data)

    async def aclose(self) -> None:
        self.error = self.error or ConnectionResetError("closed")
        with anyio.CancelScope(shield=True):
            await self.stream.aclose()


class Pool:
    """LIFO idle connections, at most ``size`` in all, FIFO waiters (``anyio.Event``)."""

    def __init__(self, connect: Callable[[], Awaitable[_Conn]], size: int) -> None:
        self._connect, self._size = connect, size
        self._idle: list[_Conn] = []
        self._count = 0
        self._waiters: deque[anyio.Event] = deque()

    async def acquire(self) -> _Conn:
        while True:
            while self._idle:
                conn = self._idle.pop()
                if conn.error is None:
                    return conn
                self._count -= 1
            if self._count < self._size:
                self._count += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._count -= 1
                    raise
            event = anyio.Event()
            self._waiters.append(event)
            await event.wait()

    async def release(self, conn: _Conn, ok: bool) -> None:
        if self._waiters:
            self._waiters.popleft().set()
        if ok and conn.reusable():
            self._idle.append(conn)
        else:
            self._count -= 1
            await conn.aclose()

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.aclose()


class HttptoolsClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        max_connections: int,
        ssl_context: ssl.SSLContext | None = None,
        flavour: str = "proto",
    ) -> None:
        u = urlsplit(base_url)
        host, port = u.hostname or "127.0.0.1", u.port or (443 if u.scheme == "https" else 80)
        ctx = ssl_context if u.scheme == "https" else None

        async def proto() -> _Conn:
            loop = asyncio.get_running_loop()
            server_hostname = host if ctx is not None else None
            _, conn = await loop.create_connection(
                lambda: ProtoConn(loop), host, port, ssl=ctx, server_hostname=server_hostname
            )
            return conn

        async def streams() -> _Conn:
            stream: anyio.abc.ByteStream = await anyio.connect_tcp(host, port)
            if ctx is not None:
                from anyio.streams.tls import TLSStream

                stream = await TLSStream.wrap(
                    stream, hostname=host, ssl_context=ctx, standard_compatible=False
                )
            return AnyioConn(stream)

        if flavour not in ("proto", "anyio"):
            raise ValueError(f"unknown flavour {flavour!r}")
        self.pool = Pool(proto if flavour == "proto" else streams, max_connections)
        path = (u.path.rstrip("/") + "/openai/v1/chat/completions").encode()
        self.head = b"".join(
            (
                b"POST %s HTTP/1.1\r\nHost: %s:%d\r\n" % (path, host.encode(), port),
                b"Authorization: Bearer %s\r\n" % api_key.encode(),
                b"Content-Type: application/json\r\n",
            )
        )

    def request(self, payload: dict[str, Any], accept: bytes, extra: Any) -> bytes:
        body = encode(payload)
        lines = b"".join(b"%s: %s\r\n" % kv for kv in extra) if extra else b""
        return b"".join(
            (
                self.head,
                b"Accept: %s\r\nContent-Length: %d\r\n" % (accept, len(body)),
                lines,
                b"\r\n",
                body,
            )
        )

    async def complete(
        self, payload: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None
    ) -> Completion:
        data = self.request(payload, b"application/json", extra)
        conn = await self.pool.acquire()
        ok = False
        try:
            await conn.send(data)
            body = await conn.read_all()
            ok = True
        finally:
            await self.pool.release(conn, ok)
        if conn.status != 200:
            raise RuntimeError(f"HTTP {conn.status}")
        return decode_completion(body)

    def stream(
        self, payload: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None
    ) -> HttptoolsStream:
        return HttptoolsStream(self, self.request(payload, b"text/event-stream", extra))

    async def aclose(self) -> None:
        await self.pool.aclose()


class HttptoolsStream:
    """``async with client.stream(payload) as chunks: async for chunk in chunks``."""

    def __init__(self, client: HttptoolsClient, data: bytes) -> None:
        self._client, self._data = client, data

    async def __aenter__(self) -> SSEChunks:
        pool = self._client.pool
        self._conn = conn = await pool.acquire()
        try:
            await conn.send(self._data)
            status = await conn.head()
        except BaseException:
            await pool.release(conn, False)
            raise
        if status != 200:
            await pool.release(conn, False)
            raise RuntimeError(f"HTTP {status}")
        return SSEChunks(conn.read)

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._client.pool.release(self._conn, et is None)
