"""A small connection pool over httpcore's connection objects.

Why not ``httpcore.AsyncConnectionPool``: it re-walks every request against every connection on
each request and release (work ~ idle x all connections), which cost ~15 ms of CPU per request at
64-way concurrency; and over HTTP/2 it queues every request onto one connection even past the
100 streams httpcore allows per connection. This pool keeps O(1) bookkeeping per request:

- ``_idle`` is a LIFO stack of HTTP/1.1 connections with no request in flight (the most recently
  used one is the likeliest to still be alive).
- ``_shared`` holds connections that can take more requests now: established HTTP/2 connections
  with fewer than ``max_streams`` requests in flight, and - when HTTP/2 may be negotiated - a
  connection still connecting (extra requests wait for its handshake inside httpcore; if it turns
  out to be HTTP/1.1 they get ``ConnectionNotAvailable`` and come back here for another one).
- ``_waiters`` is a FIFO of events for requests waiting for capacity at ``max_connections``.

A response's connection is given back when its byte stream is closed (:class:`PooledStream`).
Closing is shielded from cancellation, so a cancelled caller never leaves a connection checked
out. A request that fails on a reused keep-alive connection before any byte of the response came
back (the server closed it while idle) is sent once more on a fresh connection.
"""

from __future__ import annotations

import ssl
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpcore

__all__ = ["ConnectionPool", "PoolStats", "PooledStream"]

_STALE_ERRORS = (httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError)


class _Entry:
    __slots__ = ("conn", "active", "multiplex", "uses")

    def __init__(self, conn: httpcore.AsyncHTTPConnection) -> None:
        self.conn = conn
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
        self._pool._abandon(self._entry)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        with anyio.CancelScope(shield=True):
            try:
                it = self._iter
                if it is not None:
                    self._iter = None
                    await it.aclose()
                if self._entry.multiplex:
                    await _cancel_h2_stream(self._inner)
                await self._inner.aclose()
            finally:
                self._pool._release(self._entry)
                await self._pool._close_pending()


async def _cancel_h2_stream(inner: Any) -> None:
    """Reset an HTTP/2 stream that is closed before its end (RST_STREAM, CANCEL).

    httpcore only forgets such a stream: the server keeps sending it, and since httpcore never
    acknowledges data for streams it has forgotten, every abandoned stream eats into the
    connection's flow-control window until the whole connection stalls. A reset stops the
    server, and h2 credits the window for any frames still in flight.
    """
    conn = getattr(inner, "_connection", None)
    state = getattr(conn, "_h2_state", None)
    stream_id = getattr(inner, "_stream_id", None)
    request = getattr(inner, "_request", None)
    if state is None or stream_id is None or request is None:
        return
    try:
        stream = state.streams.get(stream_id)
        if stream is None or stream.closed:
            return
        state.reset_stream(stream_id, error_code=_H2_CANCEL)
        await conn._write_outgoing_data(request)  # type: ignore[union-attr]
    except Exception:  # the connection's own error handling takes it from here
        pass


_H2_CANCEL = 0x8


class ConnectionPool:
    def __init__(
        self,
        *,
        origin: httpcore.Origin,
        ssl_context: ssl.SSLContext | None,
        http1: bool = True,
        http2: bool = True,
        max_connections: int = 100,
        max_keepalive_connections: int | None = None,
        keepalive_expiry: float = 30.0,
        max_streams: int = 100,
        network_backend: Any = None,
    ) -> None:
        self._origin = origin
        self._ssl_context = ssl_context
        self._http1 = http1
        self._http2 = http2
        self._max_connections = max_connections
        self._max_keepalive = (
            max_connections if max_keepalive_connections is None else max_keepalive_connections
        )
        self._keepalive_expiry = keepalive_expiry
        # httpcore caps one HTTP/2 connection at 100 concurrent streams
        self._max_streams = min(max_streams, 100)
        self._network_backend = network_backend
        # a fresh connection may turn out to be HTTP/2: https with h2 on, or h2c prior knowledge
        self._maybe_h2 = http2 and (origin.scheme == b"https" or not http1)
        self._entries: set[_Entry] = set()
        self._idle: list[_Entry] = []
        self._shared: list[_Entry] = []
        self._waiters: deque[anyio.Event] = deque()
        self._to_close: list[httpcore.AsyncHTTPConnection] = []
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
        self, request: httpcore.Request, pool_timeout: float | None, *, resendable: bool = True
    ) -> httpcore.Response:
        """Send ``request``; the returned response's ``stream`` is a :class:`PooledStream`.

        ``resendable``: the body can be sent again (bytes), so a failure on a stale keep-alive
        connection may be retried once on a fresh one.
        """
        retried_stale = False
        while True:
            entry = await self._acquire(pool_timeout)
            if self._to_close:
                await self._close_pending()
            reused = entry.uses > 0
            entry.uses += 1
            try:
                response = await entry.conn.handle_async_request(request)
            except httpcore.ConnectionNotAvailable:
                # a shared connection that turned out HTTP/1.1 and busy, or an HTTP/2 one going
                # away: stop offering it to others until a response tells what it is
                try:
                    self._shared.remove(entry)
                except ValueError:
                    pass
                self._release(entry)
                continue
            except _STALE_ERRORS:
                self._release(entry)
                if reused and not retried_stale and resendable:
                    retried_stale = True
                    continue
                raise
            except BaseException:
                self._release(entry)
                raise
            if entry.multiplex is None:
                entry.multiplex = response.extensions.get("http_version") == b"HTTP/2"
                if (
                    entry.multiplex
                    and entry.active < self._max_streams
                    and entry not in self._shared
                ):
                    self._shared.append(entry)
                    self._wake()
            response.stream = PooledStream(response.stream, self, entry)
            return response

    async def aclose(self) -> None:
        self._closed = True
        self._to_close.extend(e.conn for e in self._entries)
        self._entries.clear()
        self._idle.clear()
        self._shared.clear()
        while self._waiters:
            self._waiters.popleft().set()
        await self._close_pending()

    # -- internals ------------------------------------------------------------------------------

    def _take(self) -> _Entry | None:
        """Find capacity without waiting, or None."""
        shared = self._shared
        while shared:
            entry = shared[-1]
            conn = entry.conn
            if conn.is_closed() or (entry.multiplex and not conn.is_available()):
                shared.pop()
                if entry.active == 0:
                    self._discard(entry)
                continue
            entry.active += 1
            if entry.active >= self._max_streams:
                shared.pop()
            return entry
        idle = self._idle
        while idle:
            entry = idle.pop()
            conn = entry.conn
            if conn.has_expired() or not conn.is_available():
                self._discard(entry)
                continue
            entry.active = 1
            return entry
        if len(self._entries) < self._max_connections:
            conn = httpcore.AsyncHTTPConnection(
                origin=self._origin,
                ssl_context=self._ssl_context,
                keepalive_expiry=self._keepalive_expiry,
                http1=self._http1,
                http2=self._http2,
                network_backend=self._network_backend,
            )
            entry = _Entry(conn)
            entry.active = 1
            self._entries.add(entry)
            if self._maybe_h2 and self._max_streams > 1:
                self._shared.append(entry)
            return entry
        return None

    async def _acquire(self, pool_timeout: float | None) -> _Entry:
        if self._closed:
            raise httpcore.ConnectError("the connection pool is closed")
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
                        raise httpcore.ConnectError("the connection pool is closed")
                    entry = self._take()
                    if entry is not None:
                        return entry
                    event = anyio.Event()
                    self._waiters.appendleft(event)
        except TimeoutError:
            raise httpcore.PoolTimeout(
                "no connection became free within the pool timeout"
            ) from None
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

    def _discard(self, entry: _Entry) -> None:
        self._entries.discard(entry)
        if not entry.conn.is_closed():
            # expired or surplus: closed by the next awaiting caller (_close_pending)
            self._to_close.append(entry.conn)

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
        conn = entry.conn
        if self._closed:
            return
        if conn.is_closed():
            if entry.active <= 0:
                self._entries.discard(entry)
                try:
                    self._shared.remove(entry)
                except ValueError:
                    pass
            self._wake()
            return
        if entry.multiplex:
            if entry.active < self._max_streams and entry not in self._shared:
                self._shared.append(entry)
        elif entry.multiplex is None:
            # never got a response (connect failed, or not yet known)
            if entry.active <= 0:
                if conn.is_idle() and conn.is_available():
                    self._idle.append(entry)
                else:
                    self._drop(entry)
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
        elif entry.active < self._max_streams and entry not in self._shared:
            self._shared.append(entry)
        self._wake()

    def _drop(self, entry: _Entry) -> None:
        try:
            self._shared.remove(entry)
        except ValueError:
            pass
        self._discard(entry)
