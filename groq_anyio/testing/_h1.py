"""HTTP/1.1 connections, on h11.

One request at a time per connection (keep-alive; pipelined requests wait in h11's buffer).
The response head is queued, not written, so it leaves together with the first body bytes;
streamed bodies use chunked transfer encoding, complete ones a content-length.

While a reply pauses for a long time (``sleep_until``), the handler reads the socket, so a client
that leaves is noticed during the pause instead of at the next write (a half-closed connection
counts as gone); shorter pauses are plain sleeps (the next write notices the peer's reset).
"""

from __future__ import annotations

import contextlib
import http
import logging
import socket
import struct
from typing import TYPE_CHECKING, NoReturn

import anyio
import anyio.abc
import h11

from ._exchange import (
    ClientGone,
    ConnectionDropRequested,
    Exchange,
    HeaderList,
    RecordedRequest,
)

if TYPE_CHECKING:
    from ._exchange import ServerView

logger = logging.getLogger("groq_anyio.testing")

RECEIVE_SIZE = 65536
WATCH_THRESHOLD = 0.2  # pauses at least this long watch the socket for the client leaving
_FRAMING = (b"content-length", b"transfer-encoding")
_REASONS = {s.value: s.phrase.encode() for s in http.HTTPStatus}


def set_linger_zero(stream: anyio.abc.ByteStream) -> None:
    """Make the next close send a TCP RST (best effort)."""
    sock = stream.extra(anyio.abc.SocketAttribute.raw_socket, None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class H1Connection:
    def __init__(self, server: ServerView, stream: anyio.abc.ByteStream, initial: bytes) -> None:
        self.server = server
        self.stream = stream
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=256 * 1024)
        self.eof = False
        if initial:
            self.conn.receive_data(initial)

    async def _receive(self) -> bytes:
        try:
            return await self.stream.receive(RECEIVE_SIZE)
        except (anyio.EndOfStream, anyio.BrokenResourceError):
            return b""

    async def run(self) -> None:
        conn = self.conn
        while True:
            try:
                request = await self._read_request()
            except h11.RemoteProtocolError as exc:
                logger.debug("HTTP/1.1 protocol error from client: %s", exc)
                await self._send_bad_request()
                return
            if request is None:
                return
            reply = self.server.accept(request)
            exchange = H1Exchange(self, request)
            try:
                await self.server.respond(exchange, reply)
            except ClientGone:
                logger.debug("client left during the response to %s", request.path)
                return
            except ConnectionDropRequested:
                return
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return
            try:
                conn.start_next_cycle()
            except h11.LocalProtocolError:
                return

    async def _read_request(self) -> RecordedRequest | None:
        conn = self.conn
        head: h11.Request | None = None
        body: list[bytes] = []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                if conn.they_are_waiting_for_100_continue:
                    await self.stream.send(
                        conn.send(h11.InformationalResponse(status_code=100, headers=[])) or b""
                    )
                if self.eof:
                    return None
                data = await self._receive()
                if not data:
                    self.eof = True
                conn.receive_data(data)
            elif isinstance(event, h11.Request):
                head = event
            elif isinstance(event, h11.Data):
                body.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                assert head is not None
                return RecordedRequest(
                    method=head.method.decode("latin-1"),
                    path=head.target.decode("latin-1"),
                    headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in head.headers],
                    body=b"".join(body),
                    http_version="HTTP/" + head.http_version.decode("latin-1"),
                )
            else:  # ConnectionClosed, PAUSED
                return None

    async def _send_bad_request(self) -> None:
        try:
            data = self.conn.send(
                h11.Response(
                    status_code=400,
                    headers=[(b"content-type", b"text/plain"), (b"content-length", b"11")],
                    reason=b"Bad Request",
                )
            )
            data = (data or b"") + (self.conn.send(h11.Data(data=b"Bad Request")) or b"")
            data += self.conn.send(h11.EndOfMessage()) or b""
            await self.stream.send(data)
        except (h11.LocalProtocolError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass

    async def watch_until(self, deadline: float) -> None:
        """Wait until ``deadline`` while reading the socket; raise ClientGone on EOF."""
        while not self.eof:
            with anyio.CancelScope(deadline=deadline) as scope:
                data = await self._receive()
            if scope.cancelled_caught:
                return
            if not data:
                self.eof = True
                break
            self.conn.receive_data(data)  # a pipelined request: kept for the next cycle
        raise ClientGone


class H1Exchange(Exchange):
    def __init__(self, owner: H1Connection, request: RecordedRequest) -> None:
        super().__init__(owner.server, request)
        self.http_version = request.http_version
        self._owner = owner
        self._pending: list[bytes] = []
        self._chunked = False

    async def start(
        self, status: int, headers: HeaderList, content_length: int | None = None
    ) -> None:
        if self.head_sent:
            raise RuntimeError("response already started")
        if content_length is not None:
            headers = [*headers, (b"content-length", b"%d" % content_length)]
        elif (
            self.http_version == "HTTP/1.1"
            and self.request.method != "HEAD"
            and not any(k in _FRAMING for k, _ in headers)
        ):
            # Chunked framing done here rather than by h11 per Data event: a paced stream
            # writes one small chunk at a time, and this is its hot path. h11 still writes
            # the head and the terminating chunk, so its state machine stays in step.
            headers = [*headers, (b"transfer-encoding", b"chunked")]
            self._chunked = True
        response = h11.Response(
            status_code=status, headers=headers, reason=_REASONS.get(status, b"")
        )
        self._pending.append(self._owner.conn.send(response) or b"")
        self.head_sent = True

    async def write(self, data: bytes, *, end: bool = False) -> None:
        conn = self._owner.conn
        if data:
            if self._chunked:
                self._pending += (b"%x\r\n" % len(data), data, b"\r\n")
            else:
                self._pending.append(conn.send(h11.Data(data=data)) or b"")
            self.body_bytes += len(data)
        if end:
            self._pending.append(conn.send(h11.EndOfMessage()) or b"")
            self.finished = True
        await self.flush()

    async def flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            try:
                await self._owner.stream.send(data)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
                raise ClientGone from exc

    async def sleep_until(self, deadline: float) -> None:
        await self.flush()
        if self._owner.eof:
            raise ClientGone
        if deadline - anyio.current_time() >= WATCH_THRESHOLD:
            await self._owner.watch_until(deadline)
        else:
            await anyio.sleep_until(deadline)

    async def drop(self, *, reset: bool = False) -> NoReturn:
        if reset:
            set_linger_zero(self._owner.stream)
        raise ConnectionDropRequested(reset)
