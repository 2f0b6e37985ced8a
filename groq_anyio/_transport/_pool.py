"""A small connection pool over our HTTP/1.1 connection and the HTTP/2 one (httpcore's).

Why not ``httpcore.AsyncConnectionPool``: it re-walks every request against every connection on
each request and release (work ~ idle x all connections), which cost ~15 ms of CPU per request at
64-way concurrency; and over HTTP/2 it queues every request onto one connection even past the
100 streams httpcore allows per connection. Nor ``httpcore.AsyncHTTPConnection``: it takes a lock
(one event-loop yield) on every request only to find its connection already open. This pool opens
connections itself (:mod:`._backends`: TCP, TLS with ALPN) and hands the byte stream to
:class:`._h1.HTTP11Connection` or :class:`._h2.HTTP2Connection` (a subclass of
``httpcore.AsyncHTTP2Connection``, imported with httpcore only once a connection speaks
HTTP/2), with O(1) bookkeeping per request:

- ``_idle`` is a LIFO stack of HTTP/1.1 connections with no request in flight (the most recently
  used one is the likeliest to still be alive).
- ``_shared`` holds connections that can take more requests now: established HTTP/2 connections
  with fewer than ``max_streams`` requests in flight, and - when HTTP/2 may be negotiated - a
  connection still connecting (extra requests wait for its handshake on ``_Entry.ready``; if it
  turns out to be HTTP/1.1 they come back here for another one). Past ``max_streams`` requests
  a new connection is opened, so 500 streams spread over 5 HTTP/2 connections.
- ``_waiters`` is a FIFO of events for requests waiting for capacity at ``max_connections``.

A response's connection is given back when its byte stream is closed (:class:`PooledStream`).
Closing is shielded from cancellation, so a cancelled caller never leaves a connection checked
out. A request that fails on a reused keep-alive connection before any byte of the response came
back (the server closed it while idle) is sent once more on a fresh connection.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import anyio

from . import _core as core
from ._backends import BaseStream, get_backend
from ._h1 import HTTP11Connection, NotSent, ResponseBody
from ._proxy import Proxy, connect_tunnel, forward_target, socks5_tunnel
from ._request import build_request

__all__ = ["ConnectionPool", "PoolStats", "PooledStream"]

if TYPE_CHECKING:
    import ssl

    from ._h2 import HTTP2Connection

#: (with an httpcore release we do not know, an HTTP/2 connection is httpcore's own class)
_Connection: TypeAlias = "HTTP11Connection | HTTP2Connection"
#: how often one request may be handed back by connections that cannot take it (HTTP/2 full,
#: going away) before the pool gives up on it
_MAX_HANDBACKS = 64

#: the HTTP/2 connection class, once :func:`h2_connection_class` imported it
_H2_CLASS: Any = None
#: whether it is ours (:mod:`._h2`, on the httpcore releases whose internals are known)
_OUR_H2 = False


def h2_connection_class() -> Any:
    """The HTTP/2 connection class: ours (:mod:`._h2`) on the httpcore releases whose
    internals are known, else httpcore's own, unchanged (see :mod:`._httpcore`).

    Importing it imports httpcore, h2 and hpack, which HTTP/1.1 never needs: the pool calls
    this when a connection turns out to speak HTTP/2, the transport when it is created with
    HTTP/2 on (so the first request does not pay for the import).
    """
    global _H2_CLASS, _OUR_H2
    if _H2_CLASS is None:
        from ._httpcore import KNOWN_HTTPCORE

        if KNOWN_HTTPCORE:
            from ._h2 import HTTP2Connection

            _H2_CLASS, _OUR_H2 = HTTP2Connection, True
        else:  # pragma: no cover - httpcore's own, without our fixes (see _httpcore.py)
            import httpcore

            _H2_CLASS = httpcore.AsyncHTTP2Connection
    return _H2_CLASS


def _not_available() -> tuple[type[Exception], ...]:
    """``ConnectionNotAvailable`` as raised by our connections and, through an httpcore
    release we do not know, by httpcore's own HTTP/2 connection."""
    if _H2_CLASS is None or _OUR_H2:
        return (core.ConnectionNotAvailable,)
    import httpcore  # pragma: no cover

    return (core.ConnectionNotAvailable, httpcore.ConnectionNotAvailable)  # pragma: no cover


def _capacity(conn: Any, cap: int) -> int:
    """How many streams ``conn`` takes now: the server's MAX_CONCURRENT_STREAMS once known."""
    return min(getattr(conn, "max_streams", cap), cap)


def _known_limit(conn: Any) -> int | None:
    """The server's stream limit on ``conn`` once its SETTINGS arrived (HTTP/2), else None."""
    if getattr(conn, "_settings_known", False):
        return int(conn.max_streams)
    return None


class _Entry:
    """One connection of the pool: ``conn`` is None while it is being opened (``connecting``)
    or after opening it failed (``failed``). Requests that wait for another's handshake wait on
    ``ready``, created by the first of them."""

    __slots__ = ("active", "conn", "connecting", "failed", "multiplex", "ready", "stream", "uses")

    def __init__(self) -> None:
        self.conn: _Connection | None = None
        #: the connection's byte stream, when it is ours (it can hold back writes: see cork())
        self.stream: BaseStream | None = None
        self.ready: anyio.Event | None = None
        self.connecting = False
        self.failed = False
        self.active = 0
        #: None until the protocol is known; True for HTTP/2
        self.multiplex: bool | None = None
        self.uses = 0


class PoolStats:
    """A snapshot of the pool: open connections, idle ones, requests in flight, waiters."""

    __slots__ = ("connections", "idle", "in_flight", "waiting")

    def __init__(self, connections: int, idle: int, in_flight: int, waiting: int) -> None:
        self.connections = connections
        self.idle = idle
        self.in_flight = in_flight
        self.waiting = waiting

    def __repr__(self) -> str:
        return (
            f"PoolStats(connections={self.connections}, idle={self.idle}, "
            f"in_flight={self.in_flight}, waiting={self.waiting})"
        )


class PooledStream:
    """The response body: iterate it for bytes; ``aclose()`` gives the connection back."""

    __slots__ = ("_inner", "_iter", "_pool", "_entry", "_closed")

    def __init__(self, inner: Any, pool: ConnectionPool, entry: _Entry) -> None:
        self._inner = inner
        self._iter: Any = None
        self._pool = pool
        self._entry = entry
        self._closed = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        # hand out httpcore's own iterator (no extra generator frame per chunk), but keep it so
        # aclose() finalises it here rather than leaving it to the garbage collector's hooks
        it = self._iter
        if it is None:
            it = self._iter = self._inner.__aiter__()
        return it  # type: ignore[no-any-return]

    @property
    def closed(self) -> bool:
        return self._closed

    def abandon(self) -> None:
        """Give the connection's slot back without awaiting: for a response garbage-collected
        unclosed. An HTTP/1.1 connection is closed by the pool's next caller."""
        if self._closed:
            return
        self._closed = True
        self._iter = None
        forget = getattr(self._inner, "abandon", None)
        if forget is not None:  # (HTTP/2: the stream's slot comes back at once)
            forget()
        self._pool._abandon(self._entry)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        it = self._iter
        if type(it) is ResponseBody and it.done and not self._pool._to_close:
            # An HTTP/1.1 body read to its end (the iterator is exhausted): closing only marks
            # the connection idle and gives it back - nothing a cancellation could leave half
            # done (if the connection must be closed instead, the socket is shut before the
            # only wait), so no shield is needed. That saves a cancel scope (15-20 calls)
            # on every plain request.
            self._iter = None
            try:
                await it.aclose()
            finally:
                self._pool._release(self._entry)
                if self._pool._to_close:
                    await self._pool._close_pending()
            return
        with anyio.CancelScope(shield=True):
            try:
                if it is not None:
                    self._iter = None
                    await it.aclose()
                await self._inner.aclose()
            finally:
                self._pool._release(self._entry)
                await self._pool._close_pending()


class ConnectionPool:
    def __init__(
        self,
        *,
        origin: core.Origin,
        ssl_context: ssl.SSLContext | Callable[[], ssl.SSLContext] | None,
        http1: bool = True,
        http2: bool = True,
        max_connections: int = 100,
        max_keepalive_connections: int | None = None,
        keepalive_expiry: float = 30.0,
        max_streams: int = 100,
        network_backend: Any = "auto",
        http1_parser: str = "httptools",
        max_header_bytes: int = 64 * 1024,
        proxy: Proxy | None = None,
    ) -> None:
        self._origin = origin
        self._host = origin.host.decode("ascii")
        #: the TLS context, or what builds it on the first TLS connection (the client's,
        #: built once and shared by its pools: see _tls.py)
        self._ssl_context = ssl_context
        self._http1 = http1
        self._http2 = http2
        self._max_connections = max_connections
        self._max_keepalive = (
            max_connections if max_keepalive_connections is None else max_keepalive_connections
        )
        self._keepalive_expiry = keepalive_expiry
        # h2's own settings cap one HTTP/2 connection at 100 concurrent streams; the server's
        # MAX_CONCURRENT_STREAMS lowers that per connection (_capacity)
        self._max_streams = min(max_streams, 100)
        #: how many requests wait for a connection still opening: the stream limit the
        #: server's last SETTINGS gave (before any: ``_max_streams``)
        self._connecting_cap = self._max_streams
        #: a backend name (see _backends) or an ``httpcore.AsyncNetworkBackend`` (tests)
        self._network_backend = network_backend
        self._http1_parser = http1_parser
        self._max_header_bytes = max_header_bytes
        #: the proxy every connection goes through (see _proxy.py); for an http:// origin it
        #: forwards (requests get absolute targets), for https:// it tunnels (CONNECT)
        self._proxy = proxy
        self._forward = proxy is not None and proxy.kind == "http" and origin.scheme == b"http"
        # a fresh connection may turn out to be HTTP/2: https with h2 on, or h2c prior knowledge
        self._maybe_h2 = http2 and (origin.scheme == b"https" or not http1)
        self._entries: set[_Entry] = set()
        self._idle: list[_Entry] = []
        self._shared: list[_Entry] = []
        self._waiters: deque[anyio.Event] = deque()
        self._to_close: list[_Connection] = []
        self._closed = False

    # -- public ---------------------------------------------------------------------------------

    def stats(self) -> PoolStats:
        return PoolStats(
            connections=len(self._entries),
            idle=len(self._idle),
            in_flight=sum(e.active for e in self._entries),
            waiting=len(self._waiters),
        )

    @property
    def closed(self) -> bool:
        return self._closed

    async def send(
        self, request: core.Request, pool_timeout: float | None, *, resendable: bool = True
    ) -> core.Response:
        """Send ``request``; the returned response's ``stream`` is a :class:`PooledStream`.

        ``resendable``: the body can be sent again (bytes), so a failure on a stale keep-alive
        connection may be retried once on a fresh one.
        """
        if self._forward:
            request = self._forwarded(request)
        resent = False
        handbacks = 0
        while True:
            entry = await self._acquire(pool_timeout)
            if self._to_close:
                await self._close_pending()
            conn = entry.conn
            if conn is None:
                conn = await self._open(entry, request)
                if conn is None:
                    continue  # it turned out HTTP/1.1 (taken) or failed: find another
            reused = entry.uses > 0
            entry.uses += 1
            # HTTP/2: the request's frames leave together when it starts reading (HTTP/1.1
            # writes a request in one piece anyway)
            stream = entry.stream if entry.multiplex else None
            if stream is not None:
                stream.cork()
            try:
                response = await conn.handle_async_request(request)
            except _not_available():
                # not sent: an HTTP/2 connection that is full or going away, or an HTTP/1.1
                # connection found closed: another connection takes it
                if stream is not None:
                    stream.uncork()
                self._unshare(entry)
                self._release(entry)
                handbacks += 1
                if handbacks > _MAX_HANDBACKS:
                    raise core.ConnectError("no connection could take the request") from None
                continue
            except NotSent:
                # the write failed and nothing came back: the server has not seen this request
                if stream is not None:
                    stream.uncork()
                self._release(entry)
                if reused and not resent and resendable:
                    resent = True
                    continue
                raise
            except BaseException:
                if stream is not None:
                    stream.uncork()
                self._release(entry)
                raise
            response.stream = PooledStream(response.stream, self, entry)
            return response

    async def preconnect(self, count: int, connect_timeout: float | None = None) -> int:
        """Open connections now for ``count`` requests at once, so that none of them waits for
        a TCP/TLS handshake (or, over HTTP/2, the server's SETTINGS): what a benchmark does
        before its clock starts. HTTP/1.1: idle connections up to ``count`` in all (within
        ``max_connections`` and the keep-alive limit); HTTP/2: one per ``max_streams``
        requests. Returns how many connections it opened; a failure to connect raises."""
        if self._closed:
            raise core.ConnectError("the connection pool is closed")
        origin = self._origin
        url = core.URL(scheme=origin.scheme, host=origin.host, port=origin.port, target=b"/")
        timeouts = {"connect": connect_timeout, "read": connect_timeout, "write": connect_timeout}
        request = build_request(b"GET", url, [], b"", {"timeout": timeouts})

        async def open_one() -> _Entry:
            entry = _Entry()
            entry.connecting = True
            self._entries.add(entry)
            try:
                conn, stream = await self._connect(request)
                multiplex = not isinstance(conn, HTTP11Connection)
                if not isinstance(conn, HTTP11Connection) and _OUR_H2:
                    try:
                        await conn.prepare(request)
                    except BaseException:
                        with anyio.CancelScope(shield=True):
                            await conn.aclose()
                        raise
            except BaseException:
                self._entries.discard(entry)
                raise
            entry.conn = conn
            entry.stream = stream if isinstance(stream, BaseStream) else None
            entry.connecting = False
            entry.multiplex = multiplex
            if self._closed:
                with anyio.CancelScope(shield=True):
                    await conn.aclose()
                raise core.ConnectError("the connection pool is closed")
            (self._shared if multiplex else self._idle).append(entry)
            self._wake()
            return entry

        cap = self._max_streams
        free = len(self._idle) + sum(
            max(0, _capacity(e.conn, cap) - e.active) if e.conn is not None else 0
            for e in self._shared
        )
        need = count - free
        if need <= 0 or len(self._entries) >= self._max_connections:
            return 0
        first = await open_one()  # (alone: it tells which protocol the server speaks)
        per = _capacity(first.conn, cap) if first.multiplex else 1
        more = -(-(need - per) // per) if need > per else 0
        room = self._max_connections - len(self._entries)
        if not first.multiplex:
            room = min(room, self._max_keepalive - len(self._idle))
        more = max(0, min(more, room))
        async with anyio.create_task_group() as tg:
            for _ in range(more):
                tg.start_soon(open_one)
        return 1 + more

    async def aclose(self) -> None:
        self._closed = True
        self._to_close.extend(e.conn for e in self._entries if e.conn is not None)
        self._entries.clear()
        self._idle.clear()
        self._shared.clear()
        while self._waiters:
            self._waiters.popleft().set()
        await self._close_pending()

    def _forwarded(self, request: core.Request) -> core.Request:
        """``request`` as a forward proxy wants it: the absolute URL as its target, and the
        proxy's credentials."""
        url = request.url
        target = forward_target(url.scheme, url.host, self._origin.port, url.target)
        headers = list(request.headers)
        proxy = self._proxy
        assert proxy is not None
        if proxy.auth is not None:
            headers.append((b"Proxy-Authorization", proxy.auth))
        forwarded = core.URL(scheme=url.scheme, host=url.host, port=url.port, target=target)
        return build_request(
            request.method,
            forwarded,
            headers,
            request.stream,  # (already a BytesBody or async iterable)
            request.extensions,
        )

    def retire(self) -> None:
        """Drop every connection now, without awaiting: for the pool of an event loop that has
        ended (or is evicted), whose connections cannot be closed through their loop."""
        self._closed = True
        conns = [e.conn for e in self._entries if e.conn is not None] + self._to_close
        self._entries.clear()
        self._idle.clear()
        self._shared.clear()
        self._waiters.clear()
        self._to_close = []
        for conn in conns:
            stream = getattr(conn, "_stream", None) or getattr(conn, "_network_stream", None)
            discard = getattr(stream, "discard", None)
            if discard is not None:
                discard()

    # -- opening connections --------------------------------------------------------------------

    async def _open(self, entry: _Entry, request: core.Request) -> _Connection | None:
        """Open ``entry``'s connection, or wait for the request that is opening it.

        Returns the connection to send on, or None (the slot is given back) when another
        request opened it and it is not shareable (HTTP/1.1) or failed to open.
        """
        if entry.connecting:
            ready = entry.ready
            if ready is None:
                ready = entry.ready = anyio.Event()
            try:
                await ready.wait()
            except BaseException:
                self._release(entry)
                raise
            if entry.conn is not None and entry.multiplex:
                return entry.conn
            self._release(entry)
            return None
        entry.connecting = True
        try:
            conn, stream = await self._connect(request)
        except BaseException:
            entry.connecting = False
            entry.failed = True
            if entry.ready is not None:
                entry.ready.set()
            self._release(entry)
            raise
        entry.conn = conn
        entry.stream = stream if isinstance(stream, BaseStream) else None
        entry.connecting = False
        entry.multiplex = multiplex = not isinstance(conn, HTTP11Connection)
        if entry.ready is not None:
            entry.ready.set()
            entry.ready = None
        if self._closed:
            with anyio.CancelScope(shield=True):
                await conn.aclose()
            raise core.ConnectError("the connection pool is closed")
        if not multiplex:
            self._unshare(entry)
        elif entry.active < (cap := _capacity(conn, self._max_streams)):
            if entry not in self._shared:
                self._shared.append(entry)
            for _ in range(cap - entry.active):
                if not self._waiters:
                    break
                self._wake()
        return conn

    async def _connect(self, request: core.Request) -> tuple[_Connection, core.AsyncNetworkStream]:
        timeout = request.extensions.get("timeout", {}).get("connect")
        origin = self._origin
        tls = origin.scheme == b"https"
        sni = request.extensions.get("sni_hostname") or self._host
        ctx = self._tls_context() if tls else None
        backend = self._network_backend
        stream: Any  # one of ours (a BaseStream) or an core.AsyncNetworkStream (tests)
        proxy = self._proxy
        if proxy is not None:
            stream = await self._through_proxy(proxy, timeout, ctx, sni)
        elif isinstance(backend, str):
            stream = await get_backend(backend).connect(
                self._host, origin.port, timeout=timeout, ssl_context=ctx, server_hostname=sni
            )
        else:  # an httpcore network backend (tests)
            stream = await backend.connect_tcp(self._host, origin.port, timeout=timeout)
            if ctx is not None:
                try:
                    stream = await stream.start_tls(ctx, server_hostname=sni, timeout=timeout)
                except BaseException:
                    with anyio.CancelScope(shield=True):
                        await stream.aclose()
                    raise
        if tls:
            ssl_object = stream.get_extra_info("ssl_object")
            h2 = ssl_object is not None and ssl_object.selected_alpn_protocol() == "h2"
            if not h2 and not self._http1:
                with anyio.CancelScope(shield=True):
                    await stream.aclose()
                raise core.ConnectError(
                    "the server did not agree to HTTP/2 (ALPN) and HTTP/1.1 is off (http1=False);"
                    " with your own ssl.SSLContext, call ctx.set_alpn_protocols(['h2'])"
                )
        elif self._forward:
            if not self._http1:
                with anyio.CancelScope(shield=True):
                    await stream.aclose()
                raise core.ProxyError(
                    "an http:// origin through a proxy is forwarded over HTTP/1.1; http1=False"
                    " leaves nothing to forward with"
                )
            h2 = False
        else:
            h2 = self._http2 and not self._http1  # h2c with prior knowledge
        if h2:
            return h2_connection_class()(origin, stream, self._keepalive_expiry), stream
        conn = HTTP11Connection(
            origin,
            stream,
            self._keepalive_expiry,
            parser=self._http1_parser,
            max_header_bytes=self._max_header_bytes,
        )
        return conn, stream

    def _tls_context(self) -> ssl.SSLContext:
        ctx = self._ssl_context
        if ctx is None:  # (a pool made without one: the default trust)
            import ssl

            ctx = self._ssl_context = ssl.create_default_context()
        elif callable(ctx):
            ctx = ctx()
        return ctx

    async def _through_proxy(
        self, proxy: Proxy, timeout: float | None, ctx: ssl.SSLContext | None, sni: str
    ) -> Any:
        """A connection to the proxy; for an https:// origin, TLS with the origin through a
        CONNECT tunnel."""
        backend = self._network_backend
        if isinstance(backend, str):
            stream: Any = await get_backend(backend).connect(
                proxy.host, proxy.port, timeout=timeout, ssl_context=None, server_hostname=None
            )
        else:
            stream = await backend.connect_tcp(proxy.host, proxy.port, timeout=timeout)
        if ctx is None and proxy.kind == "http":
            return stream  # (forwarding)
        try:
            if proxy.kind == "socks5":
                await socks5_tunnel(stream, proxy, self._host, self._origin.port, timeout)
            else:
                await connect_tunnel(stream, proxy, self._host, self._origin.port, timeout)
            if ctx is None:
                return stream
            return await stream.start_tls(ctx, server_hostname=sni, timeout=timeout)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await stream.aclose()
            raise

    # -- internals ------------------------------------------------------------------------------

    def _take(self) -> _Entry | None:
        """Find capacity without waiting, or None."""
        shared = self._shared
        cap = self._max_streams
        while shared:
            entry = shared[-1]
            conn = entry.conn
            limit = self._connecting_cap
            if conn is not None:
                if (
                    conn.is_closed()
                    or not conn.is_available()
                    or (entry.active == 0 and conn.has_expired())
                ):
                    shared.pop()
                    if entry.active == 0:
                        self._discard(entry)
                    continue
                limit = _capacity(conn, cap)
                if entry.active >= limit:  # the server lowered its limit
                    shared.pop()
                    continue
            entry.active += 1
            if entry.active >= limit:
                shared.pop()
            return entry
        idle = self._idle
        while idle:
            entry = idle.pop()
            conn = entry.conn
            if conn is None or conn.has_expired() or not conn.is_available():
                self._discard(entry)
                continue
            entry.active = 1
            return entry
        if len(self._entries) < self._max_connections:
            entry = _Entry()
            entry.active = 1
            self._entries.add(entry)
            if self._maybe_h2 and self._max_streams > 1:
                shared.append(entry)
            return entry
        return None

    async def _acquire(self, pool_timeout: float | None) -> _Entry:
        if self._closed:
            raise core.ConnectError("the connection pool is closed")
        entry = self._take()
        if entry is not None:
            return entry
        event = anyio.Event()
        self._waiters.append(event)
        try:
            with anyio.fail_after(pool_timeout):
                while True:
                    await event.wait()
                    if self._closed:
                        raise core.ConnectError("the connection pool is closed")
                    entry = self._take()
                    if entry is not None:
                        return entry
                    event = anyio.Event()
                    self._waiters.appendleft(event)
        except TimeoutError:
            raise core.PoolTimeout("no connection became free within the pool timeout") from None
        finally:
            if event.is_set():
                if entry is None and not self._closed:
                    # we were woken but are leaving (cancelled/timed out): pass the turn on
                    self._wake()
            else:
                try:
                    self._waiters.remove(event)
                except ValueError:
                    pass

    def _wake(self) -> None:
        waiters = self._waiters
        while waiters:
            event = waiters.popleft()
            if not event.is_set():
                event.set()
                return

    def _unshare(self, entry: _Entry) -> None:
        try:
            self._shared.remove(entry)
        except ValueError:
            pass

    def _discard(self, entry: _Entry) -> None:
        self._entries.discard(entry)
        conn = entry.conn
        if conn is not None and not conn.is_closed():
            # expired or surplus: closed by the next awaiting caller (_close_pending)
            self._to_close.append(conn)

    async def _close_pending(self) -> None:
        if not self._to_close:
            return
        pending, self._to_close = self._to_close, []
        with anyio.CancelScope(shield=True):
            for conn in pending:
                try:
                    await conn.aclose()
                except Exception:
                    pass

    def _release(self, entry: _Entry) -> None:
        entry.active -= 1
        if self._closed:
            return
        conn = entry.conn
        if conn is None:
            if entry.failed:  # it failed to open
                self._unshare(entry)
                if entry.active <= 0:
                    self._entries.discard(entry)
            # else: a request gave up waiting for it to open; the slot is free again
        elif conn.is_closed():
            if entry.active <= 0:
                self._entries.discard(entry)
                self._unshare(entry)
        elif entry.multiplex:
            known = _known_limit(conn)
            if known is not None:
                self._connecting_cap = max(1, min(known, self._max_streams))
            if entry.active < _capacity(conn, self._max_streams) and entry not in self._shared:
                self._shared.append(entry)
        elif entry.active <= 0:
            if conn.is_idle() and len(self._idle) < self._max_keepalive:
                self._idle.append(entry)
            else:
                self._drop(entry)
        self._wake()

    def _abandon(self, entry: _Entry) -> None:
        entry.active -= 1
        if self._closed:
            return
        if not entry.multiplex:
            self._drop(entry)
        elif entry.active < _capacity(entry.conn, self._max_streams) and entry not in self._shared:
            self._shared.append(entry)
        self._wake()

    def _drop(self, entry: _Entry) -> None:
        self._unshare(entry)
        self._discard(entry)
