"""httpcore's protocol classes, the byte streams they run on (anyio) and their locks.

httpcore's connection classes (``AsyncHTTP11Connection``, ``AsyncHTTP2Connection``) talk to the
network through an ``httpcore.AsyncNetworkStream``. Its stock anyio implementation builds an
exception-mapping dict and enters two context managers (``map_exceptions`` and
``anyio.fail_after``, each a generator-based context manager) around every single read and
write: about 20 Python calls per socket operation, which is most of the per-chunk cost of a
streamed response. :class:`NetworkStream` does the same job with plain ``try``/``except`` and,
only when a timeout is set, one ``anyio.CancelScope``:

- ``read``/``write`` raise httpcore's ``ReadError``/``WriteError``/``ReadTimeout``/
  ``WriteTimeout``, exactly as httpcore's own backend does, so httpcore's error handling and
  ours (:func:`groq_anyio._transport.map_exception`) see the same exceptions;
- a read at end of stream returns ``b""`` (what httpcore expects);
- the raw socket is looked up once, not on every ``is_readable`` check of an idle connection.

:class:`HTTP11Connection` and :class:`HTTP2Connection` are httpcore's protocol classes with other
synchronisation objects. httpcore's ``AsyncLock``/``AsyncSemaphore`` wrap an ``anyio.Lock`` (or a
``trio.Lock``) that yields to the event loop on every uncontended acquisition: HTTP/1.1 takes
two per request, HTTP/2 six per request plus two per DATA frame received, and each yield resumes
the whole chain of coroutines under the caller. :class:`FastLock` and :class:`FastSemaphore`
take an uncontended lock or permit without yielding and queue contenders first-in first-out on
``anyio.Event`` objects. They are only swapped in on httpcore 1.0.x, whose internals they match
(:data:`KNOWN_HTTPCORE`); other versions run with httpcore's own.
"""

from __future__ import annotations

import select
import socket
import ssl
import sys
from collections import deque
from types import TracebackType
from typing import Any

import anyio
import anyio.abc
import httpcore
from anyio.streams.tls import TLSAttribute, TLSStream

__all__ = [
    "KNOWN_HTTPCORE",
    "FastLock",
    "FastSemaphore",
    "HTTP2Connection",
    "HTTP11Connection",
    "NetworkStream",
    "connect_tcp",
]

#: the httpcore versions whose internals this package relies on (request attributes, the locks
#: of its connections); with any other version the generic, slower paths are taken
KNOWN_HTTPCORE = httpcore.__version__.startswith("1.0.")

_BROKEN = (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError)
_USE_POLL = sys.platform != "win32" and hasattr(select, "poll")
_CORK_LIMIT = 64 * 1024


def _is_readable(sock: socket.socket | None) -> bool:
    """Whether ``sock`` has bytes (or EOF) waiting: an idle keep-alive connection that is
    readable has been closed by the server."""
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True
    if _USE_POLL:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([fd], [], [], 0)  # pragma: no cover - Windows
    return bool(readable)


class NetworkStream(httpcore.AsyncNetworkStream):
    """An ``httpcore.AsyncNetworkStream`` over an anyio byte stream (TCP, or TLS over TCP).

    Write coalescing: httpcore writes a request in pieces (HTTP/1.1: the head, then the body;
    HTTP/2: HEADERS, DATA, the END_STREAM frame), each an ``anyio`` send - a syscall and an
    event-loop yield. After :meth:`cork` (called by the pool as it hands a request to
    httpcore), writes are queued instead, and the queue leaves in one send when the request
    turns to reading its response (the next :meth:`read`), or once 64 KiB are queued. Only one
    send is ever in flight: a write arriving during one joins the queue, which the sender
    empties before returning. A write while another task is waiting in :meth:`read` (HTTP/2:
    a stream reading for everyone) is never held back.
    """

    __slots__ = (
        "_corked",
        "_pending",
        "_pending_size",
        "_pending_timeout",
        "_readers",
        "_receive",
        "_send",
        "_sending",
        "_sock",
        "_stream",
    )

    def __init__(self, stream: anyio.abc.ByteStream, sock: socket.socket | None) -> None:
        self._stream = stream
        self._receive = stream.receive
        self._send = stream.send
        self._sock = sock
        self._corked = False
        self._sending = False
        self._readers = 0
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._pending_timeout: float | None = None

    def cork(self) -> None:
        """Queue writes until the next read (see the class notes)."""
        self._corked = True

    def uncork(self) -> None:
        """Stop queueing; what is queued leaves with the next write or read."""
        self._corked = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._corked = False
        if self._pending and not self._sending:
            try:
                await self._send_all(b"", self._pending_timeout)
            except httpcore.WriteError:
                # what httpcore does when sending a request fails: read anyway - the server may
                # have answered already (an early error response), else reading fails too
                pass
        self._readers += 1
        try:
            if timeout is None:
                return await self._receive(max_bytes)
            with anyio.CancelScope(deadline=anyio.current_time() + timeout):
                return await self._receive(max_bytes)
        except anyio.EndOfStream:
            return b""
        except ssl.SSLError:
            raise  # reported as a TLS error by the transport
        except _BROKEN as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc
        finally:
            self._readers -= 1
        # the scope expired (an outer cancellation would have propagated instead)
        raise httpcore.ReadTimeout(f"no response bytes within {timeout} s")

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._sending or (self._corked and not self._readers):
            self._pending.append(buffer)
            self._pending_size += len(buffer)
            self._pending_timeout = timeout
            if self._sending or self._pending_size < _CORK_LIMIT:
                return
            buffer = b""
        await self._send_all(buffer, timeout)

    async def _send_all(self, buffer: bytes, timeout: float | None) -> None:
        """Send the queue, then ``buffer``, then whatever was queued meanwhile."""
        if self._pending:
            self._pending.append(buffer)
            buffer = b"".join(self._pending)
            self._pending.clear()
            self._pending_size = 0
        self._sending = True
        try:
            while True:
                if timeout is None:
                    await self._send(buffer)
                else:
                    sent = False
                    with anyio.CancelScope(deadline=anyio.current_time() + timeout):
                        await self._send(buffer)
                        sent = True
                    if not sent:
                        raise httpcore.WriteTimeout(f"could not send within {timeout} s")
                if not self._pending:
                    return
                buffer = b"".join(self._pending)
                timeout = self._pending_timeout
                self._pending.clear()
                self._pending_size = 0
        except ssl.SSLError:
            raise
        except _BROKEN as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc
        finally:
            self._sending = False

    async def aclose(self) -> None:
        self._pending.clear()
        self._pending_size = 0
        self._corked = False
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> NetworkStream:
        try:
            with anyio.fail_after(timeout):
                tls = await TLSStream.wrap(
                    self._stream,
                    ssl_context=ssl_context,
                    hostname=server_hostname,
                    standard_compatible=False,
                    server_side=False,
                )
        except BaseException as exc:
            with anyio.CancelScope(shield=True):
                await self.aclose()
            if isinstance(exc, TimeoutError):
                raise httpcore.ConnectTimeout(f"TLS handshake not done within {timeout} s") from exc
            if isinstance(exc, (ssl.SSLError, anyio.EndOfStream, *_BROKEN)):
                raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
            raise
        return NetworkStream(tls, self._sock)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return _is_readable(self._sock)
        if info == "ssl_object":
            return self._stream.extra(TLSAttribute.ssl_object, None)
        if info == "socket":
            return self._sock
        if info == "client_addr":
            return self._stream.extra(anyio.abc.SocketAttribute.local_address, None)
        if info == "server_addr":
            return self._stream.extra(anyio.abc.SocketAttribute.remote_address, None)
        return None


async def connect_tcp(host: str, port: int, timeout: float | None) -> NetworkStream:
    """Open a TCP connection (anyio sets ``TCP_NODELAY``); httpcore exceptions on failure."""
    try:
        with anyio.fail_after(timeout):
            stream = await anyio.connect_tcp(host, port)
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"could not connect within {timeout} s") from exc
    except (OSError, anyio.BrokenResourceError) as exc:
        raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
    return NetworkStream(stream, stream.extra(anyio.abc.SocketAttribute.raw_socket, None))


class FastLock:
    """A lock for ``async with`` that does not yield when it is free (see the module notes).

    Waiters are served in arrival order; the lock is handed to the next waiter directly, so a
    newcomer cannot overtake a woken waiter.
    """

    __slots__ = ("_locked", "_waiters")

    def __init__(self) -> None:
        self._locked = False
        self._waiters: deque[anyio.Event] | None = None  # created on first contention

    def locked(self) -> bool:
        return self._locked

    async def __aenter__(self) -> FastLock:
        if not self._locked:
            self._locked = True
            return self
        event = anyio.Event()
        waiters = self._waiters
        if waiters is None:
            waiters = self._waiters = deque()
        waiters.append(event)
        try:
            await event.wait()
        except BaseException:
            if event.is_set():
                self._release()  # it was handed to us as we were cancelled: pass it on
            else:
                waiters.remove(event)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._waiters:
            self._waiters.popleft().set()  # stays locked: ownership moves to that waiter
        else:
            self._locked = False

    def _release(self) -> None:
        if self._waiters:
            self._waiters.popleft().set()
        else:
            self._locked = False


class FastSemaphore:
    """The semaphore httpcore's HTTP/2 connection bounds its streams with, without the yield
    on every uncontended ``acquire`` (same interface as httpcore's ``AsyncSemaphore``)."""

    __slots__ = ("_bound", "_value", "_waiters")

    def __init__(self, bound: int) -> None:
        self._bound = bound
        self._value = bound
        self._waiters: deque[anyio.Event] | None = None  # created on first contention

    async def acquire(self) -> None:
        if self._value > 0 and not self._waiters:
            self._value -= 1
            return
        event = anyio.Event()
        waiters = self._waiters
        if waiters is None:
            waiters = self._waiters = deque()
        waiters.append(event)
        try:
            await event.wait()
        except BaseException:
            if event.is_set():
                self._release()  # a permit was handed to us as we were cancelled: pass it on
            else:
                waiters.remove(event)
            raise

    async def release(self) -> None:
        self._release()

    def _release(self) -> None:
        if self._waiters:
            self._waiters.popleft().set()  # the permit moves to that waiter
        elif self._value < self._bound:
            self._value += 1


class HTTP11Connection(httpcore.AsyncHTTP11Connection):
    """httpcore's HTTP/1.1 connection with a :class:`FastLock` for its state (httpcore 1.0.x;
    other versions keep their own lock)."""

    def __init__(
        self, origin: httpcore.Origin, stream: httpcore.AsyncNetworkStream, keepalive_expiry: float
    ) -> None:
        super().__init__(origin=origin, stream=stream, keepalive_expiry=keepalive_expiry)
        if KNOWN_HTTPCORE:
            self._state_lock = FastLock()  # type: ignore[assignment]


class HTTP2Connection(httpcore.AsyncHTTP2Connection):
    """httpcore's HTTP/2 connection with :class:`FastLock` locks and a :class:`FastSemaphore`
    (httpcore 1.0.x; other versions keep their own). Every DATA frame costs httpcore two lock
    round trips (read, then write for the flow-control update): with httpcore's locks each was
    a yield to the event loop."""

    def __init__(
        self, origin: httpcore.Origin, stream: httpcore.AsyncNetworkStream, keepalive_expiry: float
    ) -> None:
        super().__init__(origin=origin, stream=stream, keepalive_expiry=keepalive_expiry)
        self._fast = KNOWN_HTTPCORE
        self._fast_semaphore: Any = None
        if self._fast:
            self._init_lock = FastLock()  # type: ignore[assignment]
            self._state_lock = FastLock()  # type: ignore[assignment]
            self._read_lock = FastLock()  # type: ignore[assignment]
            self._write_lock = FastLock()  # type: ignore[assignment]

    # httpcore creates the stream-bounding semaphore when the connection starts: keep a fast one
    @property
    def _max_streams_semaphore(self) -> Any:
        return self._fast_semaphore

    @_max_streams_semaphore.setter
    def _max_streams_semaphore(self, value: Any) -> None:
        self._fast_semaphore = FastSemaphore(value._bound) if self._fast else value
