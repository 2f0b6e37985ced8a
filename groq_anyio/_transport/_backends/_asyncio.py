"""The asyncio backend: an ``asyncio.Protocol`` on the loop's own transports (uvloop included).

Bytes go from ``data_received`` straight to the receiver (our HTTP/1.1 connection's parser):
no stream layer, no queue, no per-read task switch beyond the one wake-up of the task that
waits in :meth:`AsyncioStream.pump`. HTTP/2 (httpcore's connection) reads with :meth:`read`,
served from the pieces ``data_received`` buffered.

- **Waiting** is one bare future per wait, woken by ``data_received``/``eof_received``/
  ``connection_lost``; a timeout is one ``loop.call_later`` that resolves the same future
  (cheaper than a cancel scope). Cancellation (anyio's cancel scopes cancel the task) cancels
  the future.
- **Writes** go to ``transport.write`` at once, which is atomic: the transport takes all of the
  bytes or raises. Only when its buffer is above the high-water mark does a write wait for it to
  drain; a cancellation of that wait leaves the bytes queued, never half a frame.
- **Flow control**: when unread bytes pile up (a caller that stopped reading an HTTP/2
  connection; an HTTP/1.1 body nobody iterates), reading from the socket is paused at
  :data:`_HIGH_WATER` and resumed once they are taken.
- **TLS** is done here, on ``ssl.MemoryBIO`` (records decrypted in ``data_received``, written
  encrypted in one ``transport.write``), not by the loop's SSL transport: asyncio's (and
  uvloop's) keeps a 256 KiB buffer per connection, which made an open TLS stream cost ~320 KiB;
  here it costs what the ``SSLObject`` needs.
"""

from __future__ import annotations

import asyncio
import contextvars
import socket
import ssl
from typing import Any, cast

import anyio

from .. import _core as core
from ._base import BaseStream, Receiver

__all__ = ["AsyncioBackend", "AsyncioStream"]

_HIGH_WATER = 1024 * 1024
_TIMED_OUT = object()
_NEVER = float("inf")
#: the context the read-timeout timers run in: they read no context variable, and without one
#: each timer would copy the caller's context (a Context kept per open connection)
_TIMER_CONTEXT = contextvars.Context()


def _expire(fut: asyncio.Future[Any]) -> None:
    if not fut.done():
        fut.set_result(_TIMED_OUT)


class AsyncioStream(BaseStream, asyncio.Protocol):
    """One connection: the protocol the loop calls, and the stream httpcore and our HTTP/1.1
    connection use."""

    __slots__ = (
        "_buffer",
        "_buffered",
        "_deadline",
        "_drain",
        "_eof",
        "_eof_delivered",
        "_exc",
        "_handshaking",
        "_incoming",
        "_loop",
        "_lost",
        "_outgoing",
        "_reading_paused",
        "_ssl",
        "_timer",
        "_transport",
        "_waiter",
        "_write_paused",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._waiter: asyncio.Future[Any] | None = None
        self._drain: asyncio.Future[Any] | None = None
        self._write_paused = False
        self._reading_paused = False
        self._eof = False  # the peer finished sending (or the connection is gone)
        self._eof_delivered = False
        self._lost = False
        self._exc: BaseException | None = None
        # TLS (see the module notes): set once the handshake is done
        self._ssl: ssl.SSLObject | None = None
        self._incoming: ssl.MemoryBIO | None = None
        self._outgoing: ssl.MemoryBIO | None = None
        self._handshaking = False
        #: the running wait's deadline (loop time) and the one timer that checks it
        self._deadline = _NEVER
        self._timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (uvloop's transports have the API without deriving from asyncio.Transport)
        self._transport = cast(asyncio.Transport, transport)
        # a write is done when the kernel has its bytes, not when they are queued here: with a
        # high-water mark of 0, any byte the kernel did not take pauses writing, and the write
        # waits (bounded by the write timeout) for the queue to drain - a peer that stopped
        # reading cannot make a "sent" request wait for a response forever
        self._transport.set_write_buffer_limits(high=0)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except (OSError, AttributeError):  # pragma: no cover - not TCP
                pass

    def data_received(self, data: bytes) -> None:
        if self._incoming is not None:
            self._incoming.write(data)
            if self._handshaking:
                self._wake()
                return
            data = self._decrypt()
            if not data:
                self._wake()
                return
        receiver = self._receiver
        if receiver is not None:
            receiver(data)
        else:
            self._buffer.append(data)
            self._buffered += len(data)
            if self._buffered > _HIGH_WATER and not self._reading_paused:
                self.pause_reading()
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _decrypt(self) -> bytes:
        """The plaintext of the TLS records received so far (``b""``: none complete yet).
        A close_notify is the end of the stream; a TLS failure ends it with that error."""
        sslobj = self._ssl
        assert sslobj is not None
        pieces: list[bytes] = []
        try:
            while True:
                piece = sslobj.read(65536)
                if not piece:
                    break
                pieces.append(piece)
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLZeroReturnError:
            self._eof = True
        except ssl.SSLError as exc:
            self._exc = exc
            self._eof = True
            self.abort()
        outgoing = self._outgoing
        if outgoing is not None and outgoing.pending and self._transport is not None:
            self._transport.write(outgoing.read())  # (e.g. a key update's answer)
        if self._eof and not pieces and self._exc is None:
            self._deliver_eof()
        if not pieces:
            return b""
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def eof_received(self) -> bool:
        self._eof = True
        self._deliver_eof()
        self._wake()
        return False  # close the transport: a half-closed connection is of no use to us

    def connection_lost(self, exc: Exception | None) -> None:
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.cancel()
        self._lost = True
        self._eof = True
        if exc is not None:
            self._exc = exc
        else:
            self._deliver_eof()
        self._wake()
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)

    def _deliver_eof(self) -> None:
        receiver = self._receiver
        if receiver is not None and not self._eof_delivered:
            self._eof_delivered = True
            receiver(b"")

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    # -- flow control -----------------------------------------------------------------------------

    def pause_reading(self) -> None:
        transport = self._transport
        if transport is not None and not self._reading_paused and not self._lost:
            self._reading_paused = True
            transport.pause_reading()

    def resume_reading(self) -> None:
        transport = self._transport
        if transport is not None and self._reading_paused and not self._lost:
            self._reading_paused = False
            transport.resume_reading()

    # -- waiting ----------------------------------------------------------------------------------

    async def _wait(self, timeout: float | None) -> None:
        """Wait for the next thing the protocol reports (bytes, the end, a failure).

        A read timeout costs no timer per wait: the wait records its deadline, and one timer
        per connection, (re)armed only when none is pending, checks it when it fires - a stream
        that reads a thousand times a second under a 60 s limit sets one timer a minute, not a
        thousand (each a heap push and a cancelled entry for the loop to sweep)."""
        loop = self._loop
        fut = loop.create_future()
        self._waiter = fut
        if self._reading_paused:
            self.resume_reading()  # whoever waits is about to take what comes
        if timeout is None:
            self._deadline = _NEVER
        else:
            self._deadline = deadline = loop.time() + timeout
            if self._timer is None:
                self._timer = loop.call_at(deadline, self._on_timer, context=_TIMER_CONTEXT)
        try:
            result = await fut
        finally:
            if self._waiter is fut:
                self._waiter = None
        if result is _TIMED_OUT:
            raise core.ReadTimeout(f"no response bytes within {timeout} s")

    def _on_timer(self) -> None:
        self._timer = None
        waiter = self._waiter
        if waiter is None or waiter.done():
            return  # nobody waits: the next wait arms a timer of its own
        deadline = self._deadline
        if deadline == _NEVER:
            return
        if self._loop.time() >= deadline:
            self._waiter = None
            waiter.set_result(_TIMED_OUT)
        else:  # the wait now running started after this timer was set
            self._timer = self._loop.call_at(deadline, self._on_timer, context=_TIMER_CONTEXT)

    def _read_failure(self) -> core.ReadError:
        exc = self._exc
        if exc is None:
            return core.ReadError("the connection is closed")
        error = core.ReadError(str(exc) or type(exc).__name__)
        error.__cause__ = exc
        return error

    # -- push interface ---------------------------------------------------------------------------

    def set_receiver(self, receiver: Receiver | None) -> None:
        self._receiver = receiver
        if receiver is None:
            return
        if self._buffer:  # bytes that came before the receiver did
            data = b"".join(self._buffer)
            self._buffer.clear()
            self._buffered = 0
            receiver(data)
        if self._eof and self._exc is None:
            self._deliver_eof()

    async def pump(self, timeout: float | None) -> None:
        if self._eof:
            # the end was seen: deliver it once (if nobody has), else reading is over - never
            # return without delivering something, or the caller would spin
            if self._exc is None and not self._eof_delivered and self._receiver is not None:
                self._deliver_eof()
                return
            raise self._read_failure()
        # whatever woke us (bytes, the end, a failure) was delivered or is reported by the
        # next pump: the receiver may already hold a whole response
        await self._wait(timeout)

    # -- BaseStream -------------------------------------------------------------------------------

    async def _receive(self, max_bytes: int, timeout: float | None) -> bytes:
        while True:
            buffer = self._buffer
            if buffer:
                data = buffer[0] if len(buffer) == 1 else b"".join(buffer)
                buffer.clear()
                self._buffered = 0
                if self._reading_paused:
                    self.resume_reading()
                return data
            if self._eof:
                if self._exc is not None:
                    raise self._read_failure()
                return b""
            await self._wait(timeout)

    async def _transmit(self, buffer: bytes, timeout: float | None) -> None:
        transport = self._transport
        if transport is None or self._lost or transport.is_closing():
            raise core.WriteError("the connection is closed")
        sslobj = self._ssl
        if sslobj is not None:
            assert self._outgoing is not None
            try:
                sslobj.write(buffer)  # all of it, encrypted into the outgoing BIO
            except ssl.SSLError as exc:
                raise core.WriteError(f"TLS: {exc}") from exc
            buffer = self._outgoing.read()
        try:
            transport.write(buffer)
        except (RuntimeError, OSError) as exc:
            raise core.WriteError(str(exc) or type(exc).__name__) from exc
        if not self._write_paused:
            return
        # above the high-water mark: wait for the transport to drain (the bytes are queued
        # whatever happens to this wait)
        fut = self._drain = self._loop.create_future()
        try:
            if timeout is None:
                await fut
            else:
                handle = self._loop.call_later(timeout, _expire, fut)
                try:
                    result = await fut
                finally:
                    handle.cancel()
                if result is _TIMED_OUT:
                    transport.abort()
                    raise core.WriteTimeout(f"could not send within {timeout} s")
        finally:
            self._drain = None
        if self._lost:
            raise core.WriteError(str(self._exc or "the connection is closed"))

    async def _close(self) -> None:
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.close()

    def discard(self) -> None:
        transport = self._transport
        if transport is None or self._lost:
            return
        try:
            transport.abort()
            return
        except RuntimeError:  # its loop is closed: close the socket itself
            pass
        sock = transport.get_extra_info("socket")
        try:
            getattr(sock, "_sock", sock).close()  # (asyncio's TransportSocket wraps it)
        except Exception:  # pragma: no cover - a loop without a socket we can close
            pass

    def abort(self) -> None:
        """Close at once, dropping unsent bytes (a connection that cannot be trusted)."""
        transport = self._transport
        if transport is not None:
            transport.abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncioStream:
        """The TLS handshake over this connection (see the module notes)."""
        transport = self._transport
        if transport is None or self._lost:
            raise core.ConnectError("the connection is closed")
        incoming = ssl.MemoryBIO()
        outgoing = ssl.MemoryBIO()
        sslobj = ssl_context.wrap_bio(
            incoming, outgoing, server_side=False, server_hostname=server_hostname
        )
        # bytes that came before the handshake started belong to it
        for piece in self._buffer:
            incoming.write(piece)
        self._buffer.clear()
        self._buffered = 0
        self._incoming = incoming
        self._outgoing = outgoing
        self._handshaking = True
        try:
            with anyio.fail_after(timeout):
                while True:
                    try:
                        sslobj.do_handshake()
                        break
                    except ssl.SSLWantReadError:
                        if outgoing.pending:
                            transport.write(outgoing.read())
                        if self._eof:
                            if self._exc is not None:
                                raise core.ConnectError(str(self._exc)) from self._exc
                            raise core.ConnectError(
                                "the server closed the connection during the TLS handshake"
                            ) from None
                        await self._wait(None)
            if outgoing.pending:
                transport.write(outgoing.read())
        except TimeoutError as exc:
            self.abort()
            raise core.ConnectTimeout(f"TLS handshake not done within {timeout} s") from exc
        except BaseException:
            self.abort()
            raise
        finally:
            self._handshaking = False
        self._ssl = sslobj
        if incoming.pending:  # application data that came with the end of the handshake
            data = self._decrypt()
            if data:
                self._buffer.append(data)
                self._buffered += len(data)
        return self

    def get_extra_info(self, info: str) -> Any:
        transport = self._transport
        if info == "is_readable":
            return self._eof or bool(self._buffer)
        if info == "peer_closed":
            return self._eof
        if transport is None:
            return None
        if info == "ssl_object":
            return self._ssl
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        return None


class AsyncioBackend:
    """Opens :class:`AsyncioStream` connections on the running loop."""

    name = "asyncio"

    async def connect(
        self,
        host: str,
        port: int,
        *,
        timeout: float | None,
        ssl_context: ssl.SSLContext | None,
        server_hostname: str | None,
    ) -> AsyncioStream:
        loop = asyncio.get_running_loop()
        stream = AsyncioStream(loop)
        try:
            with anyio.fail_after(timeout):
                await loop.create_connection(lambda: stream, host, port)
        except TimeoutError as exc:
            stream.abort()
            raise core.ConnectTimeout(f"could not connect within {timeout} s") from exc
        except ssl.SSLError:
            stream.abort()
            raise
        except OSError as exc:
            stream.abort()
            raise core.ConnectError(str(exc) or type(exc).__name__) from exc
        except BaseException:
            stream.abort()
            raise
        if ssl_context is None:
            return stream
        return await stream.start_tls(ssl_context, server_hostname or host, timeout)
