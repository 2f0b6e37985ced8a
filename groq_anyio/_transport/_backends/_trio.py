"""The trio backend: trio sockets, with TLS done here on ``ssl.MemoryBIO``.

- **Reads** are one ``sock.recv`` each (plus, over TLS, decrypting what came); a cancel scope
  is entered only when a read timeout is set, except in :meth:`TrioStream.pump` (HTTP/1.1 over
  plain TCP, a read per network piece of every open response).
- ``pump`` does what trio's ``sock.recv`` does without its three wrapper frames (each a
  coroutine frame kept while the read waits, and calls on every read): a non-blocking
  ``recv`` on the stdlib socket; if nothing is there, ``wait_readable`` and ``recv`` again; if
  something was, a checkpoint. Unlike trio's, a cancellation at that checkpoint drops the bytes
  just read - harmless there: an HTTP/1.1 connection whose read was interrupted by anything is
  closed, never read again.
- **Read timeouts without a cancel scope per read** (``pump``). A trio cancel scope with a
  deadline costs ~25 Python calls to enter and leave, ~1 KiB while its read waits (the scope,
  its cancel status and that status's two sets), and a heap entry that outlives it (trio
  prunes its deadline heap lazily) - for every read of every one of hundreds of paced
  streams. Instead, a read that has to wait records its deadline on the stream, and one
  watchdog per trio run (a system task, ``groq_anyio read timeouts``, running while any entry
  is pending) keeps a heap with at most one live entry per stream: when the entry comes due, a
  stream whose read is past its deadline is closed (the waiting ``recv`` then raises, and
  ``pump`` reports ``ReadTimeout``, as the scope did; the HTTP/1.1 connection closes the
  stream after a timeout anyway), a stream still within its deadline gets a new entry at that
  deadline, and an idle stream none. A read with a shorter timeout than the pending entry
  adds an earlier one. A stream that keeps reading under a 60 s timeout so costs the watchdog
  one entry a minute. The entries are weak references: a dropped stream is not kept alive.
- **Writes are atomic.** A trio socket can send part of a buffer before a cancellation lands,
  and anything that encodes frames before sending them (h2 and its HPACK table) believes the
  whole buffer went out. So a write whose caller is cancelled is finished under a shield,
  bounded by :data:`~._base.WRITE_GRACE` seconds; if the peer does not take the bytes in that
  time the socket is closed, so nobody can read a half frame as the start of the next one. TLS
  records are encrypted synchronously into bytes before any of them is sent, so the same rule
  covers TLS (``trio.SSLStream`` is left broken by a cancelled ``send_all``).
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
import socket as _stdlib_socket
import ssl
import weakref
from typing import Any

import trio

from .. import _core as core
from ._base import WRITE_GRACE, BaseStream
from ._poll import is_readable, peer_closed

__all__ = ["TrioBackend", "TrioStream"]

_RECV_SIZE = 65536
_wait_readable = trio.lowlevel.wait_readable
_checkpoint = trio.lowlevel.checkpoint
#: a socket closed (by another task: aclose, an aborted write) or broken under a read or write
_GONE = (OSError, trio.ClosedResourceError, trio.BrokenResourceError)


class _Watchdog:
    """The read deadlines of one trio run's HTTP/1.1 reads, and the system task that expires
    them (see the module notes). A heap of ``(time, order, weakref to the stream)``, at most
    one live entry per stream while its reads keep the same timeout."""

    __slots__ = ("_heap", "_order", "_scope", "_started")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, weakref.ref[TrioStream]]] = []
        self._order = itertools.count()
        self._scope: trio.CancelScope | None = None  # the task's sleep until the first entry
        self._started = False  # the task runs (it ends when the heap is empty)

    def arm(self, stream: TrioStream, at: float) -> None:
        """Look at ``stream`` at ``at`` (loop time)."""
        stream._armed_at = at
        heapq.heappush(self._heap, (at, next(self._order), weakref.ref(stream)))
        if not self._started:
            self._started = True
            trio.lowlevel.spawn_system_task(self._run, name="groq_anyio read timeouts")
        elif self._scope is not None and at < self._scope.deadline:
            self._scope.deadline = at

    async def _run(self) -> None:
        """Until no entry is left (the last one comes due at most a read timeout after the
        last read), expire what came due."""
        heap = self._heap
        try:
            while heap:
                with trio.CancelScope(deadline=heap[0][0]) as scope:
                    self._scope = scope
                    await trio.sleep_forever()
                self._scope = None
                now = trio.current_time()
                while heap and heap[0][0] <= now:
                    at, _, ref = heapq.heappop(heap)
                    stream = ref()
                    if stream is not None and stream._armed_at == at:
                        try:
                            stream._expired(now)
                        except Exception:  # pragma: no cover - closing a broken socket
                            pass
        finally:
            self._scope = None
            self._started = False


_WATCHDOG: trio.lowlevel.RunVar[_Watchdog] = trio.lowlevel.RunVar("groq_anyio_watchdog")


def _watchdog() -> _Watchdog:
    """The running trio run's watchdog."""
    try:
        return _WATCHDOG.get()
    except LookupError:
        watchdog = _Watchdog()
        _WATCHDOG.set(watchdog)
        return watchdog


class TrioStream(BaseStream):
    """One TCP connection (optionally TLS) on a trio socket."""

    __slots__ = (
        "__weakref__",
        "_armed_at",
        "_closed",
        "_deadline",
        "_incoming",
        "_now",
        "_outgoing",
        "_raw",
        "_sock",
        "_ssl",
        "_timed_out",
        "_watchdog",
    )

    def __init__(self, sock: trio.socket.SocketType) -> None:
        super().__init__()
        self._sock = sock
        self._ssl: ssl.SSLObject | None = None
        self._incoming: ssl.MemoryBIO | None = None
        self._outgoing: ssl.MemoryBIO | None = None
        self._closed = False
        # the read timeout of pump (see the module notes): the running read's deadline, the
        # time of this stream's entry in the watchdog's heap (inf: none), whether it expired
        self._deadline = math.inf
        self._armed_at = math.inf
        self._timed_out = False
        self._watchdog = _watchdog()
        self._now = trio.lowlevel.current_clock().current_time
        #: the stdlib socket under trio's (None: a trio that no longer has it there)
        self._raw: _stdlib_socket.socket | None = getattr(sock, "_sock", None)

    def _expired(self, now: float) -> None:
        """The watchdog's entry for this stream came due (at ``now``)."""
        self._armed_at = math.inf
        deadline = self._deadline
        if deadline == math.inf:
            return  # no read is waiting: the next one arms an entry of its own
        if now >= deadline:
            self._timed_out = True
            self._abort()  # the waiting recv raises ClosedResourceError: pump reports the timeout
        else:  # a read that started after the entry was made
            self._watchdog.arm(self, deadline)

    # -- raw socket -------------------------------------------------------------------------------

    async def _recv_raw(self, timeout: float | None) -> bytes:
        try:
            if timeout is None:
                return await self._sock.recv(_RECV_SIZE)
            # (a bare CancelScope: move_on_after adds a generator context manager per read)
            with trio.CancelScope(deadline=trio.current_time() + timeout):
                return await self._sock.recv(_RECV_SIZE)
        except _GONE as exc:
            raise core.ReadError(str(exc) or type(exc).__name__) from exc
        raise core.ReadTimeout(f"no response bytes within {timeout} s")

    async def _send_raw(self, data: bytes | memoryview, timeout: float | None) -> None:
        """Send all of ``data``; see the module notes for cancellation."""
        sock = self._sock
        view = memoryview(data)
        total = len(view)
        sent = 0
        try:
            try:
                if timeout is None:
                    while sent < total:
                        sent += await sock.send(view[sent:])
                    return
                with trio.CancelScope(deadline=trio.current_time() + timeout):
                    while sent < total:
                        sent += await sock.send(view[sent:])
                    return
            except trio.Cancelled:
                # finish the started write (bounded), so no half frame is left on the wire;
                # the caller's cancellation then goes on, whatever became of the write
                try:
                    with trio.CancelScope(shield=True) as grace:
                        grace.deadline = trio.current_time() + WRITE_GRACE
                        while sent < total:
                            sent += await sock.send(view[sent:])
                except _GONE:
                    pass
                if sent < total:
                    self._abort()
                raise
        except _GONE as exc:
            self._abort()
            raise core.WriteError(str(exc) or type(exc).__name__) from exc
        self._abort()
        raise core.WriteTimeout(f"could not send within {timeout} s")

    def discard(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._sock.close()
        except RuntimeError:  # outside its trio run (which has ended): close the descriptor
            fd = self._sock.detach()
            if fd >= 0:
                os.close(fd)

    def _abort(self) -> None:
        if not self._closed:
            self._closed = True
            self._sock.close()

    # -- push interface ---------------------------------------------------------------------------

    async def pump(self, timeout: float | None) -> None:
        # plain TCP with nothing queued to send: the read inlined (one await level less per
        # read, which a resumed coroutine chain pays at every level)
        raw = self._raw
        if self._ssl is not None or self._pending or self._closed or raw is None:
            data = await self.read(_RECV_SIZE, timeout)
        else:
            self._corked = False
            try:
                # trio's sock.recv, without its wrapper frames (see the module notes)
                try:
                    data = raw.recv(_RECV_SIZE)
                except BlockingIOError:
                    if timeout is not None:
                        # kept by the run's watchdog, not a cancel scope (see the module notes)
                        self._deadline = deadline = self._now() + timeout
                        if deadline < self._armed_at:
                            self._watchdog.arm(self, deadline)
                    try:
                        while True:
                            await _wait_readable(raw)
                            try:
                                data = raw.recv(_RECV_SIZE)
                            except BlockingIOError:  # pragma: no cover - a spurious wake-up
                                continue
                            break
                    finally:
                        self._deadline = math.inf
                else:
                    await _checkpoint()
            except _GONE as exc:
                if self._timed_out:
                    raise core.ReadTimeout(f"no response bytes within {timeout} s") from None
                raise core.ReadError(str(exc) or type(exc).__name__) from exc
        receiver = self._receiver
        if receiver is not None:
            receiver(data)

    # -- BaseStream -------------------------------------------------------------------------------

    async def _receive(self, max_bytes: int, timeout: float | None) -> bytes:
        if self._closed:
            raise core.ReadError("the connection is closed")
        sslobj = self._ssl
        if sslobj is None:
            return await self._recv_raw(timeout)
        incoming = self._incoming
        assert incoming is not None
        while True:
            try:
                data = sslobj.read(_RECV_SIZE)
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLZeroReturnError:
                return b""
            except ssl.SSLError:
                raise
            else:
                if self._outgoing is not None and self._outgoing.pending:
                    await self._flush_tls(None)  # e.g. a key update answered by the read
                return data
            raw = await self._recv_raw(timeout)
            if not raw:
                incoming.write_eof()
                try:
                    return sslobj.read(_RECV_SIZE)
                except (ssl.SSLWantReadError, ssl.SSLZeroReturnError, ssl.SSLEOFError):
                    return b""
            incoming.write(raw)

    async def _transmit(self, buffer: bytes, timeout: float | None) -> None:
        if self._closed:
            raise core.WriteError("the connection is closed")
        sslobj = self._ssl
        if sslobj is None:
            await self._send_raw(buffer, timeout)
            return
        sslobj.write(buffer)  # encrypts all of it into the outgoing BIO, synchronously
        await self._flush_tls(timeout)

    async def _flush_tls(self, timeout: float | None) -> None:
        outgoing = self._outgoing
        assert outgoing is not None
        if outgoing.pending:
            await self._send_raw(outgoing.read(), timeout)

    async def _close(self) -> None:
        # no close_notify: a client that closes needs none, and waiting to send one to a peer
        # that stopped reading is exactly what closing must never do
        self._abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> TrioStream:
        incoming = ssl.MemoryBIO()
        outgoing = ssl.MemoryBIO()
        sslobj = ssl_context.wrap_bio(
            incoming, outgoing, server_side=False, server_hostname=server_hostname
        )
        try:
            with trio.fail_after(timeout if timeout is not None else float("inf")):
                while True:
                    try:
                        sslobj.do_handshake()
                    except ssl.SSLWantReadError:
                        if outgoing.pending:
                            await self._send_raw(outgoing.read(), None)
                        raw = await self._recv_raw(None)
                        if not raw:
                            raise core.ConnectError(
                                "the server closed the connection during the TLS handshake"
                            ) from None
                        incoming.write(raw)
                        continue
                    if outgoing.pending:
                        await self._send_raw(outgoing.read(), None)
                    break
        except trio.TooSlowError as exc:
            self._abort()
            raise core.ConnectTimeout(f"TLS handshake not done within {timeout} s") from exc
        except (ssl.SSLError, core.ConnectError):
            self._abort()
            raise
        except (core.ReadError, core.WriteError) as exc:
            self._abort()
            raise core.ConnectError(str(exc)) from exc
        except BaseException:
            self._abort()
            raise
        self._ssl = sslobj
        self._incoming = incoming
        self._outgoing = outgoing
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            if self._closed:
                return True
            sslobj = self._ssl
            if sslobj is not None and sslobj.pending():
                return True
            return is_readable(self._sock)  # type: ignore[arg-type]
        if info == "peer_closed":
            return self._closed or peer_closed(self._sock)  # type: ignore[arg-type]
        if info == "ssl_object":
            return self._ssl
        if info == "socket":
            return self._sock
        if info == "client_addr":
            return None if self._closed else self._sock.getsockname()
        if info == "server_addr":
            return None if self._closed else self._sock.getpeername()
        return None


def _ip_family(host: str) -> int | None:
    """``AF_INET``/``AF_INET6`` when ``host`` is an IP address, else None (a name)."""
    for family in (_stdlib_socket.AF_INET, _stdlib_socket.AF_INET6):
        try:
            _stdlib_socket.inet_pton(family, host)
        except (OSError, ValueError):
            continue
        return family
    return None


async def _connect_ip(family: int, host: str, port: int) -> trio.socket.SocketType:
    """One socket connected to an IP address: there is nothing for happy eyeballs to race, and
    ``trio.open_tcp_stream`` would spend a nursery, a task and their cancel scopes on it (a
    few KiB while each of hundreds of connections is being opened)."""
    sock = trio.socket.socket(family, _stdlib_socket.SOCK_STREAM)
    try:
        await sock.connect((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


class TrioBackend:
    """Opens :class:`TrioStream` connections."""

    name = "trio"

    async def connect(
        self,
        host: str,
        port: int,
        *,
        timeout: float | None,
        ssl_context: ssl.SSLContext | None,
        server_hostname: str | None,
    ) -> TrioStream:
        deadline = trio.current_time() + timeout if timeout is not None else math.inf
        try:
            with trio.CancelScope(deadline=deadline) as scope:
                family = _ip_family(host)
                if family is None:  # a name: trio's happy eyeballs over what it resolves to
                    sock = (await trio.open_tcp_stream(host, port)).socket
                else:
                    sock = await _connect_ip(family, host, port)
        except _GONE as exc:
            raise core.ConnectError(str(exc) or type(exc).__name__) from exc
        if scope.cancelled_caught:
            raise core.ConnectTimeout(f"could not connect within {timeout} s")
        sock.setsockopt(_stdlib_socket.IPPROTO_TCP, _stdlib_socket.TCP_NODELAY, 1)
        stream = TrioStream(sock)
        if ssl_context is None:
            return stream
        return await stream.start_tls(ssl_context, server_hostname or host, timeout)
