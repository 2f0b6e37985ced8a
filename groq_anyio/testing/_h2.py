"""HTTP/2 connections, on h2.

Theory of operation
-------------------
One task reads the socket and feeds h2; it never awaits anything but ``receive``, so window
updates, pings and resets are handled while streams are busy. Each request runs in its own task
(inside the connection's task group, with its own cancel scope so an RST_STREAM cancels just that
stream). Stream tasks only mutate the h2 state machine (no awaits in between, so no locking is
needed) and then *kick* the single writer task, which takes everything h2 has queued and writes
it in one ``send``: concurrent streams' frames coalesce naturally. A stream that needs its bytes
on the wire (before a pause, or for backpressure) waits for the writer cycle that picks them up.

Flow control: a stream sends at most ``local_flow_control_window(stream)`` bytes (the smaller of
its window and the connection's), in frames of at most ``max_outbound_frame_size``, then waits on
its own event; WINDOW_UPDATE for the stream wakes it, for the connection (or a SETTINGS change)
wakes every waiting stream. The client is never blocked by a stalled stream.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, NoReturn

import anyio
import anyio.abc
import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from ._exchange import (
    ClientGone,
    ConnectionDropRequested,
    Exchange,
    HeaderList,
    RecordedRequest,
    Reply,
)
from ._h1 import RECEIVE_SIZE, set_linger_zero

if TYPE_CHECKING:
    from ._exchange import ServerView

logger = logging.getLogger("groq_anyio.testing")

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
MAX_CONCURRENT_STREAMS = 10000
STREAM_WINDOW = 1 << 20  # what we let each client stream send us
CONNECTION_WINDOW = 1 << 24
_HOP_BY_HOP = frozenset(
    (b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade")
)


def _text(value: bytes | str) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


class _Stream:
    __slots__ = ("body", "headers", "scope", "started")

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self.headers = headers
        self.body: list[bytes] = []
        self.scope: anyio.CancelScope | None = None
        self.started = False

    def request(self) -> RecordedRequest:
        method = path = authority = ""
        plain: list[tuple[str, str]] = []
        for name, value in self.headers:
            if name == ":method":
                method = value
            elif name == ":path":
                path = value
            elif name == ":authority":
                authority = value
            elif not name.startswith(":"):
                plain.append((name, value))
        if authority and not any(name == "host" for name, _ in plain):
            plain.insert(0, ("host", authority))
        return RecordedRequest(method, path, plain, b"".join(self.body), "HTTP/2")


class H2Connection:
    def __init__(self, server: ServerView, stream: anyio.abc.ByteStream, initial: bytes) -> None:
        self.server = server
        self.stream = stream
        self.initial = initial
        config = h2.config.H2Configuration(client_side=False, header_encoding=None)
        self.h2 = h2.connection.H2Connection(config=config)
        self.h2.local_settings = h2.settings.Settings(
            client=False,
            initial_values={
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: MAX_CONCURRENT_STREAMS,
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 1 << 16,
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: STREAM_WINDOW,
            },
        )
        self.streams: dict[int, _Stream] = {}
        self.window_waiters: dict[int, anyio.Event] = {}
        self.broken = False
        self.terminated = False  # the client sent GOAWAY: h2 refuses to send anything more
        self._wake = anyio.Event()
        self._next_done = anyio.Event()
        self._scope = anyio.CancelScope()

    # -- lifecycle ---------------------------------------------------------------------------

    async def run(self) -> None:
        self.h2.initiate_connection()
        self.h2.increment_flow_control_window(CONNECTION_WINDOW - 65535)
        with self._scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._writer)
                self.kick()
                try:
                    await self._read_loop(tg)
                finally:
                    tg.cancel_scope.cancel()

    def abort(self, *, reset: bool = False) -> None:
        """Drop the connection and every stream on it."""
        if reset:
            set_linger_zero(self.stream)
        self.broken = True
        self._scope.cancel()

    async def _read_loop(self, tg: anyio.abc.TaskGroup) -> None:
        data = self.initial
        while not self.broken:
            if data and not self._feed(data, tg):
                # A protocol error (h2 queued a GOAWAY) or the client's GOAWAY (after which h2
                # sends nothing more, so in-flight streams cannot finish): flush and close.
                with anyio.move_on_after(1.0):
                    await self.kick().wait()
                return
            try:
                data = await self.stream.receive(RECEIVE_SIZE)
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                return

    def _feed(self, data: bytes, tg: anyio.abc.TaskGroup) -> bool:
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            logger.debug("HTTP/2 protocol error from client: %r", exc)
            return False
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                assert event.stream_id is not None
                assert event.headers is not None
                headers = [(_text(k), _text(v)) for k, v in event.headers]
                self.streams[event.stream_id] = _Stream(headers)
            elif isinstance(event, h2.events.DataReceived):
                assert event.stream_id is not None
                state = self.streams.get(event.stream_id)
                if state is not None and event.data:
                    state.body.append(event.data)
                self.h2.acknowledge_received_data(
                    event.flow_controlled_length or 0, event.stream_id
                )
            elif isinstance(event, h2.events.StreamEnded):
                assert event.stream_id is not None
                state = self.streams.get(event.stream_id)
                if state is not None and not state.started:
                    state.started = True
                    request = state.request()
                    reply = self.server.accept(request)
                    tg.start_soon(self._run_stream, event.stream_id, state, request, reply)
            elif isinstance(event, h2.events.WindowUpdated):
                self._window_opened(event.stream_id or 0)
            elif isinstance(event, h2.events.RemoteSettingsChanged):
                self._window_opened(0)
            elif isinstance(event, h2.events.StreamReset):
                assert event.stream_id is not None
                state = self.streams.pop(event.stream_id, None)
                if state is not None and state.scope is not None:
                    state.scope.cancel()
            elif isinstance(event, h2.events.ConnectionTerminated):
                logger.debug("client sent GOAWAY (%s)", event.error_code)
                self.terminated = True
        self.kick()
        return not self.terminated

    def _window_opened(self, stream_id: int) -> None:
        if stream_id == 0:
            waiters = list(self.window_waiters.values())
            self.window_waiters.clear()
            for waiter in waiters:
                waiter.set()
        else:
            single = self.window_waiters.pop(stream_id, None)
            if single is not None:
                single.set()

    async def _run_stream(
        self, stream_id: int, state: _Stream, request: RecordedRequest, reply: Reply
    ) -> None:
        if self.streams.get(stream_id) is not state:
            return  # reset before it started
        exchange = H2Exchange(self, stream_id, request)
        try:
            with anyio.CancelScope() as scope:
                state.scope = scope
                try:
                    await self.server.respond(exchange, reply)
                except ClientGone:
                    logger.debug("client left stream %d", stream_id)
                except ConnectionDropRequested as exc:
                    self.abort(reset=exc.reset)
                except h2.exceptions.ProtocolError as exc:  # e.g. the stream closed meanwhile
                    logger.debug("stream %d: %r", stream_id, exc)
                except Exception:
                    logger.exception("error in HTTP/2 stream %d", stream_id)
                    self._reset(stream_id)
        finally:
            if self.streams.get(stream_id) is state:
                del self.streams[stream_id]
            if stream_id in self.window_waiters:
                del self.window_waiters[stream_id]

    def _reset(self, stream_id: int) -> None:
        with contextlib.suppress(h2.exceptions.ProtocolError):
            self.h2.reset_stream(stream_id, h2.errors.ErrorCodes.INTERNAL_ERROR)
        self.kick()

    # -- writing -----------------------------------------------------------------------------

    def kick(self) -> anyio.Event:
        """Wake the writer; the returned event is set once everything queued so far is sent."""
        self._wake.set()
        return self._next_done

    async def drain(self) -> None:
        await self.kick().wait()
        if self.broken:
            raise ClientGone

    async def _writer(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake = anyio.Event()
                done, self._next_done = self._next_done, anyio.Event()
                data = self.h2.data_to_send()
                if data:
                    await self.stream.send(data)
                done.set()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            logger.debug("HTTP/2 connection lost while writing: %r", exc)
            self.broken = True
            self._next_done.set()
            self._scope.cancel()

    async def send_body(self, stream_id: int, data: bytes, end: bool) -> None:
        try:
            await self._send_body(stream_id, data, end)
        except h2.exceptions.ProtocolError as exc:
            if self.peer_closed(exc):
                raise ClientGone(str(exc)) from exc
            raise

    def peer_closed(self, exc: h2.exceptions.ProtocolError) -> bool:
        """Whether an h2 error raised while sending means the peer closed the stream or the
        connection (rather than a misuse, such as invalid response headers)."""
        return isinstance(exc, h2.exceptions.StreamClosedError) or self.terminated or self.broken

    async def _send_body(self, stream_id: int, data: bytes, end: bool) -> None:
        conn = self.h2
        view = memoryview(data)
        pos, total = 0, len(data)
        while pos < total:
            window = conn.local_flow_control_window(stream_id)
            if window <= 0:
                waiter = anyio.Event()
                self.window_waiters[stream_id] = waiter
                self.kick()
                await waiter.wait()
                if self.broken:
                    raise ClientGone
                continue
            limit = min(total, pos + window)
            frame = conn.max_outbound_frame_size
            while pos < limit:
                size = min(frame, limit - pos)
                conn.send_data(
                    stream_id, view[pos : pos + size], end_stream=end and pos + size == total
                )
                pos += size
        if end and not total:
            conn.end_stream(stream_id)
        await self.drain()


class H2Exchange(Exchange):
    http_version = "HTTP/2"

    def __init__(self, owner: H2Connection, stream_id: int, request: RecordedRequest) -> None:
        super().__init__(owner.server, request)
        self._owner = owner
        self.stream_id = stream_id

    async def start(
        self, status: int, headers: HeaderList, content_length: int | None = None
    ) -> None:
        if self.head_sent:
            raise RuntimeError("response already started")
        out: HeaderList = [(b":status", b"%d" % status)]
        out += [h for h in headers if h[0] not in _HOP_BY_HOP]
        if content_length is not None:
            out.append((b"content-length", b"%d" % content_length))
        try:
            self._owner.h2.send_headers(self.stream_id, out)
        except h2.exceptions.ProtocolError as exc:
            if self._owner.peer_closed(exc):
                raise ClientGone(str(exc)) from exc
            raise
        self.head_sent = True

    async def write(self, data: bytes, *, end: bool = False) -> None:
        if data or end:
            self.body_bytes += len(data)
            await self._owner.send_body(self.stream_id, data, end)
            self.finished = end

    async def flush(self) -> None:
        await self._owner.drain()

    async def sleep_until(self, deadline: float) -> None:
        self._owner.kick()  # what is queued goes out while we sleep; no need to wait for it
        await anyio.sleep_until(deadline)

    async def drop(self, *, reset: bool = False) -> NoReturn:
        raise ConnectionDropRequested(reset)

    async def reset_stream(self, error_code: int = 2) -> NoReturn:
        owner = self._owner
        with contextlib.suppress(h2.exceptions.ProtocolError):
            owner.h2.reset_stream(self.stream_id, error_code)
        await owner.drain()
        raise ClientGone("stream reset by the reply")

    async def goaway(self, last_stream_id: int | None = None, error_code: int = 0) -> NoReturn:
        """Send GOAWAY, then close the connection (fault injection).

        ``last_stream_id`` is the highest stream the server says it processed; by default the
        one before this stream, i.e. this request was refused and may be sent again elsewhere.
        """
        owner = self._owner
        last = max(0, self.stream_id - 2) if last_stream_id is None else last_stream_id
        with contextlib.suppress(h2.exceptions.ProtocolError):
            owner.h2.close_connection(error_code=error_code, last_stream_id=last)
        with contextlib.suppress(ClientGone):
            await owner.drain()
        raise ConnectionDropRequested(False)
