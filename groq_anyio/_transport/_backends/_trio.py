"""The trio backend: trio sockets, with TLS done here on ``ssl.MemoryBIO``.

- **Reads** are one ``sock.recv`` each (plus, over TLS, decrypting what came); a cancel scope
  is entered only when a read timeout is set.
- **Writes are atomic.** A trio socket can send part of a buffer before a cancellation lands,
  and anything that encodes frames before sending them (h2 and its HPACK table) believes the
  whole buffer went out. So a write whose caller is cancelled is finished under a shield,
  bounded by :data:`~._base.WRITE_GRACE` seconds; if the peer does not take the bytes in that
  time the socket is closed, so nobody can read a half frame as the start of the next one. TLS
  records are encrypted synchronously into bytes before any of them is sent, so the same rule
  covers TLS (``trio.SSLStream`` is left broken by a cancelled ``send_all``).
"""

from __future__ import annotations

import os
import socket as _stdlib_socket
import ssl
from typing import Any

import trio

from .. import _core as core
from ._base import WRITE_GRACE, BaseStream
from ._poll import is_readable, peer_closed

__all__ = ["TrioBackend", "TrioStream"]

_RECV_SIZE = 65536
#: a socket closed (by another task: aclose, an aborted write) or broken under a read or write
_GONE = (OSError, trio.ClosedResourceError, trio.BrokenResourceError)


class TrioStream(BaseStream):
    """One TCP connection (optionally TLS) on a trio socket."""

    __slots__ = ("_closed", "_incoming", "_outgoing", "_sock", "_ssl")

    def __init__(self, sock: trio.socket.SocketType) -> None:
        super().__init__()
        self._sock = sock
        self._ssl: ssl.SSLObject | None = None
        self._incoming: ssl.MemoryBIO | None = None
        self._outgoing: ssl.MemoryBIO | None = None
        self._closed = False

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
        if self._ssl is not None or self._pending or self._closed:
            data = await self.read(_RECV_SIZE, timeout)
        else:
            self._corked = False
            try:
                if timeout is None:
                    data = await self._sock.recv(_RECV_SIZE)
                else:
                    data = b""
                    with trio.CancelScope(deadline=trio.current_time() + timeout) as scope:
                        data = await self._sock.recv(_RECV_SIZE)
                    if scope.cancelled_caught:
                        raise core.ReadTimeout(f"no response bytes within {timeout} s")
            except _GONE as exc:
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
        try:
            with trio.fail_after(timeout if timeout is not None else float("inf")):
                tcp = await trio.open_tcp_stream(host, port)
        except trio.TooSlowError as exc:
            raise core.ConnectTimeout(f"could not connect within {timeout} s") from exc
        except _GONE as exc:
            raise core.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = tcp.socket
        sock.setsockopt(_stdlib_socket.IPPROTO_TCP, _stdlib_socket.TCP_NODELAY, 1)
        stream = TrioStream(sock)
        if ssl_context is None:
            return stream
        return await stream.start_tls(ssl_context, server_hostname or host, timeout)
