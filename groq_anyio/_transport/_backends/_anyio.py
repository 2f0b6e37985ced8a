"""The generic backend: anyio byte streams (TCP, TLS over TCP), for any event loop anyio runs.

Used when neither the asyncio nor the trio backend applies (or when asked for by name). anyio's
stock stream is wrapped without httpcore's per-operation context managers: plain
``try``/``except`` and, only when a timeout is set, one ``anyio.CancelScope``.

Writes: anyio cannot tell how much of a cancelled ``send`` went out (on trio it sends in pieces),
so a write runs shielded, bounded by the write timeout (at most :data:`WRITE_GRACE` seconds
once the caller was cancelled is not knowable here, so the bound is the write timeout or 30 s);
a write that cannot finish in that time closes the stream.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

import anyio
import anyio.abc
from anyio.streams.tls import TLSAttribute, TLSStream

from .. import _core as core
from ._base import BaseStream
from ._poll import is_readable, peer_closed

__all__ = ["AnyioBackend", "AnyioStream"]

_BROKEN = (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError)
_SHIELDED_WRITE_LIMIT = 30.0


class AnyioStream(BaseStream):
    """An ``httpcore.AsyncNetworkStream`` over an anyio byte stream."""

    __slots__ = ("_recv", "_send", "_sock", "_stream")

    def __init__(self, stream: anyio.abc.ByteStream, sock: socket.socket | None) -> None:
        super().__init__()
        self._stream = stream
        self._recv = stream.receive
        self._send = stream.send
        self._sock = sock

    async def _receive(self, max_bytes: int, timeout: float | None) -> bytes:
        try:
            if timeout is None:
                return await self._recv(max_bytes)
            with anyio.CancelScope(deadline=anyio.current_time() + timeout):
                return await self._recv(max_bytes)
        except anyio.EndOfStream:
            return b""
        except ssl.SSLError:
            raise  # reported as a TLS error by the transport
        except _BROKEN as exc:
            raise core.ReadError(str(exc) or type(exc).__name__) from exc
        # the scope expired (an outer cancellation would have propagated instead)
        raise core.ReadTimeout(f"no response bytes within {timeout} s")

    async def _transmit(self, buffer: bytes, timeout: float | None) -> None:
        limit = _SHIELDED_WRITE_LIMIT if timeout is None else timeout
        sent = False
        try:
            with anyio.CancelScope(shield=True, deadline=anyio.current_time() + limit):
                await self._send(buffer)
                sent = True
        except ssl.SSLError:
            raise
        except _BROKEN as exc:
            raise core.WriteError(str(exc) or type(exc).__name__) from exc
        if not sent:
            await self._abort()
            raise core.WriteTimeout(f"could not send within {limit} s")
        # the shield deferred any cancellation of the caller: deliver it now
        await anyio.lowlevel.checkpoint_if_cancelled()

    def discard(self) -> None:
        try:
            if self._sock is not None:
                self._sock.close()
        except Exception:  # pragma: no cover
            pass

    async def _abort(self) -> None:
        with anyio.CancelScope(shield=True):
            await anyio.aclose_forcefully(self._stream)

    async def _close(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AnyioStream:
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
                await anyio.aclose_forcefully(self._stream)
            if isinstance(exc, TimeoutError):
                raise core.ConnectTimeout(f"TLS handshake not done within {timeout} s") from exc
            if isinstance(exc, ssl.SSLError):
                raise
            if isinstance(exc, (anyio.EndOfStream, *_BROKEN)):
                raise core.ConnectError(str(exc) or type(exc).__name__) from exc
            raise
        return AnyioStream(tls, self._sock)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return is_readable(self._sock)
        if info == "peer_closed":
            return peer_closed(self._sock)
        if info == "ssl_object":
            return self._stream.extra(TLSAttribute.ssl_object, None)
        if info == "socket":
            return self._sock
        if info == "client_addr":
            return self._stream.extra(anyio.abc.SocketAttribute.local_address, None)
        if info == "server_addr":
            return self._stream.extra(anyio.abc.SocketAttribute.remote_address, None)
        return None


class AnyioBackend:
    """Opens :class:`AnyioStream` connections."""

    name = "anyio"

    async def connect(
        self,
        host: str,
        port: int,
        *,
        timeout: float | None,
        ssl_context: ssl.SSLContext | None,
        server_hostname: str | None,
    ) -> AnyioStream:
        try:
            with anyio.fail_after(timeout):
                tcp = await anyio.connect_tcp(host, port)
        except TimeoutError as exc:
            raise core.ConnectTimeout(f"could not connect within {timeout} s") from exc
        except (OSError, anyio.BrokenResourceError) as exc:
            raise core.ConnectError(str(exc) or type(exc).__name__) from exc
        stream = AnyioStream(tcp, tcp.extra(anyio.abc.SocketAttribute.raw_socket, None))
        if ssl_context is None:
            return stream
        return await stream.start_tls(ssl_context, server_hostname, timeout)
