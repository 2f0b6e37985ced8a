"""What every network backend provides: a byte stream for httpcore's HTTP/2 connection and a
push interface for our HTTP/1.1 connection.

Rules and theory of operation:

- A stream has ``httpcore.AsyncNetworkStream``'s interface: ``read``/``write``/``aclose``/
  ``start_tls``/``get_extra_info``, raising ``ReadError``/``WriteError``/``ReadTimeout``/
  ``WriteTimeout`` (:mod:`.._core`'s, with httpcore's names) where httpcore's own backends
  raise theirs, so that both connections (and
  :func:`groq_anyio._transport._transport.map_exception`) see the same exceptions whatever
  the backend.
- **Push.** An HTTP/1.1 connection registers a receiver (:meth:`BaseStream.set_receiver`): a
  function called with every piece of bytes that arrives, and once with ``b""`` at the end of
  the stream. :meth:`BaseStream.pump` waits until at least one piece was delivered. On asyncio
  the pieces are delivered from the protocol's ``data_received`` callback, straight into the
  parser; elsewhere ``pump`` reads once and delivers. The receiver must not raise (it records
  its errors for the waiting task).
- **Atomic writes.** A ``write`` either puts all of its bytes on the wire (or in the transport's
  buffer) or none of them, or the stream is closed: a cancelled write on a connection shared
  by several HTTP/2 streams must never leave half a frame for the next frame to be read as its
  remainder. Backends that can send partially finish a started write under a shield, bounded
  by :data:`WRITE_GRACE` seconds after a cancellation, and close the stream if that is not
  enough.
- **Write coalescing** (:meth:`BaseStream.cork`). httpcore writes an HTTP/2 request in pieces
  (HEADERS, DATA, the END_STREAM frame); after ``cork()`` (called by the pool as it hands a
  request to httpcore) writes are queued and leave in one send when the request turns to
  reading its response (the next :meth:`read`), or once 64 KiB are queued. A write while
  another task is waiting in :meth:`read` (HTTP/2: a stream reading for everyone) is never held
  back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _core as core

__all__ = ["WRITE_GRACE", "BaseStream", "Receiver"]

#: seconds a started write may still take once its caller was cancelled (then: closed)
WRITE_GRACE = 1.0
_CORK_LIMIT = 64 * 1024

Receiver = Callable[[bytes], None]


class BaseStream:
    """The shared part of every backend's stream: write coalescing and the push interface.

    It has ``httpcore.AsyncNetworkStream``'s interface without deriving from it (whose
    instances carry a ``__dict__``: a stream per connection adds up with hundreds open).

    A backend implements :meth:`_receive` (one read, ``b""`` at the end), :meth:`_transmit`
    (one atomic send of all of ``buffer``), :meth:`_close`, :meth:`start_tls`,
    :meth:`get_extra_info`; backends that deliver bytes as they arrive override :meth:`pump`
    and :meth:`set_receiver` as well.
    """

    __slots__ = (
        "_corked",
        "_pending",
        "_pending_size",
        "_pending_timeout",
        "_readers",
        "_receiver",
        "_sending",
    )

    def __init__(self) -> None:
        self._corked = False
        self._sending = False
        self._readers = 0
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._pending_timeout: float | None = None
        self._receiver: Receiver | None = None

    # -- the backend's part -----------------------------------------------------------------------

    async def _receive(self, max_bytes: int, timeout: float | None) -> bytes:
        raise NotImplementedError

    async def _transmit(self, buffer: bytes, timeout: float | None) -> None:
        raise NotImplementedError

    async def _close(self) -> None:
        raise NotImplementedError

    def discard(self) -> None:
        """Close the socket at once, without the event loop (whose loop has ended)."""

    # -- push interface (HTTP/1.1) ----------------------------------------------------------------

    def set_receiver(self, receiver: Receiver | None) -> None:
        """Deliver every piece of bytes received from now on to ``receiver``."""
        self._receiver = receiver

    async def pump(self, timeout: float | None) -> None:
        """Wait until at least one piece of bytes (or the end, ``b""``) was delivered to the
        receiver."""
        data = await self.read(65536, timeout)
        receiver = self._receiver
        if receiver is not None:
            receiver(data)

    # -- httpcore's AsyncNetworkStream interface --------------------------------------------------

    def cork(self) -> None:
        """Queue writes until the next read (see the module notes)."""
        self._corked = True

    def uncork(self) -> None:
        """Stop queueing; what is queued leaves with the next write or read."""
        self._corked = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._corked = False
        if self._pending and not self._sending:
            try:
                await self._send_all(b"", self._pending_timeout)
            except core.WriteError:
                # what httpcore does when sending a request fails: read anyway - the server may
                # have answered already (an early error response), else reading fails too
                pass
        self._readers += 1
        try:
            return await self._receive(max_bytes, timeout)
        finally:
            self._readers -= 1

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
                await self._transmit(buffer, timeout)
                if not self._pending:
                    return
                buffer = b"".join(self._pending)
                timeout = self._pending_timeout
                self._pending.clear()
                self._pending_size = 0
        finally:
            self._sending = False

    async def aclose(self) -> None:
        self._pending.clear()
        self._pending_size = 0
        self._corked = False
        self._receiver = None
        await self._close()

    def get_extra_info(self, info: str) -> Any:  # pragma: no cover - every backend overrides
        return None
