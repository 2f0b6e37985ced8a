"""httpcore's HTTP/2 connection, with the defects that hostile or overloaded servers find fixed.

The protocol work stays httpcore's and h2's (framing, HPACK, flow-control bookkeeping); this
subclass owns the request admission and the end of a stream, where httpcore 1.0.x falls short:

- **Every way a stream ends releases its slot.** httpcore forgets a stream that ends before
  its response (deadline, cancellation, error) or is closed early without telling h2 or the
  server, so h2 keeps counting it as open: after MAX_CONCURRENT_STREAMS of them every request
  on the connection fails. Here such a stream is reset (RST_STREAM, CANCEL), which closes it in
  h2, stops the server and credits the connection window for frames still in flight.
- **Cleanup writes are bounded.** The reset is flushed under a shield for at most
  :data:`~._backends._base.WRITE_GRACE` seconds; a peer that does not take it by then gets
  the connection closed, and the caller's cancel scope is never held for the socket.
- **MAX_CONCURRENT_STREAMS is followed, never waited for under the read lock.** Changes resize
  the stream semaphore at once (:meth:`FastSemaphore.resize`; a lower limit is paid back by
  releases). A request that finds no free slot once the server's limit is known is handed back
  to the pool (``ConnectionNotAvailable``: nothing was sent), which takes another connection;
  :attr:`HTTP2Connection.max_streams` tells the pool how many this one takes.
- **GOAWAY** wakes the requests that wait for a slot (they go elsewhere), and streams above the
  last stream id the server will process - all of them for a last-stream-id of 0 - are handed
  back to the pool, since the server promised not to have acted on them.
- **Negative flow-control windows** (SETTINGS_INITIAL_WINDOW_SIZE lowered after data was
  sent) wait for WINDOW_UPDATE like a zero window, instead of sending a negative amount.
- **No raw h2 or httpcore exception and no bad status escapes**: frames h2 refuses become a
  ``RemoteProtocolError`` (the connection is not used again), a ``:status`` that is not
  three digits, or missing, is a protocol error, not a ``ValueError`` or a 200, and what
  httpcore's own code raises leaves as the class of the same name of :mod:`._core`.
- Requests and responses are :mod:`._core`'s, which have the attributes httpcore's code reads.

Everything here relies on httpcore 1.0.x internals (:mod:`._httpcore` lists them); with any
other httpcore the pool uses httpcore's own connection class unchanged.
"""

from __future__ import annotations

import time
from typing import Any

import anyio
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import httpcore
from httpcore._async.http2 import HTTPConnectionState  # (see _httpcore.py)

from ._backends._base import WRITE_GRACE
from ._core import (
    ConnectionNotAvailable,
    LocalProtocolError,
    Origin,
    RemoteProtocolError,
    Request,
    Response,
    WriteTimeout,
    from_httpcore,
)
from ._h1 import InvalidHead
from ._locks import FastLock, FastSemaphore
from ._scrub import scrub

__all__ = ["HTTP2Connection"]

_CANCEL = 0x8
_ALL = 1 << 30
_now_ns = time.perf_counter_ns
_MAX_CONCURRENT_STREAMS = h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS
_CLOSED = h2.connection.ConnectionState.CLOSED
#: what leaves an HTTP/2 stream when nothing was sent: ours, or httpcore's from its own code
_NOT_AVAILABLE = (ConnectionNotAvailable, httpcore.ConnectionNotAvailable)


def _own(exc: BaseException) -> BaseException:
    """``exc``, or for an httpcore exception (from httpcore's code that runs here) ours of the
    same name."""
    ours = from_httpcore(exc)
    return exc if ours is None else ours


def _status(value: bytes) -> int:
    if len(value) != 3 or not value.isdigit():
        raise RemoteProtocolError(f"invalid HTTP/2 :status {value[:20]!r}")
    return int(value)


class HTTP2Connection(httpcore.AsyncHTTP2Connection):
    """See the module notes. Same interface as ``httpcore.AsyncHTTP2Connection``."""

    def __init__(self, origin: Origin, stream: Any, keepalive_expiry: float) -> None:
        super().__init__(
            origin=origin,  # type: ignore[arg-type]  # (ours: the attributes httpcore reads)
            stream=stream,
            keepalive_expiry=keepalive_expiry,
        )
        self._init_lock = FastLock()  # type: ignore[assignment]
        self._state_lock = FastLock()  # type: ignore[assignment]
        self._read_lock = FastLock()  # type: ignore[assignment]
        self._write_lock = FastLock()  # type: ignore[assignment]
        self._max_streams_semaphore: FastSemaphore = FastSemaphore(1)  # type: ignore[assignment]
        self._max_streams = 1
        #: the server's first SETTINGS frame has been applied
        self._settings_known = False

    @property
    def max_streams(self) -> int:
        """How many streams this connection takes at once (optimistic until the server's
        SETTINGS arrive)."""
        return self._max_streams if self._settings_known else 100

    # -- admission --------------------------------------------------------------------------------

    async def handle_async_request(self, request: Request) -> Response:  # type: ignore[override]
        try:
            return await self._handle(request)
        except BaseException as exc:
            ours = _own(exc)
            if ours is exc:
                raise
            raise ours from exc

    async def _handle(self, request: Any) -> Response:
        # (``request`` is one of ours, with what httpcore's methods read of theirs)
        async with self._state_lock:
            if (
                self._state in (HTTPConnectionState.ACTIVE, HTTPConnectionState.IDLE)
                and self._connection_terminated is None
                and not self._connection_error
            ):
                self._request_count += 1
                self._expire_at = None
                self._state = HTTPConnectionState.ACTIVE
            else:
                raise ConnectionNotAvailable()

        if not self._sent_connection_init:
            async with self._init_lock:
                if not self._sent_connection_init:
                    try:
                        await self._send_connection_init(request)
                    except BaseException:
                        with anyio.CancelScope(shield=True):
                            await self.aclose()
                        raise
                    self._sent_connection_init = True

        semaphore = self._max_streams_semaphore
        if not semaphore.acquire_if_available():
            if self._settings_known:
                self._request_count -= 1
                raise ConnectionNotAvailable()  # full: the pool finds another connection
            try:
                admitted = await semaphore.acquire()  # until the server's SETTINGS say how many
            except BaseException:
                self._request_count -= 1
                raise
            if not admitted:  # more were waiting than the server's limit lets in
                self._request_count -= 1
                raise ConnectionNotAvailable()
        if self._going_away():  # (while we waited)
            semaphore._release()
            self._request_count -= 1
            raise ConnectionNotAvailable()
        if semaphore.in_use > self._max_streams:  # the limit went down while we waited
            semaphore._release()
            self._request_count -= 1
            raise ConnectionNotAvailable()

        try:
            stream_id = self._h2_state.get_next_available_stream_id()
        except h2.exceptions.NoAvailableStreamIDError:  # pragma: no cover - 2**30 requests
            semaphore._release()
            self._used_all_stream_ids = True
            self._request_count -= 1
            raise ConnectionNotAvailable() from None
        self._events[stream_id] = []

        try:
            try:
                await self._send_request_headers(request=request, stream_id=stream_id)
            except h2.exceptions.TooManyStreamsError:
                raise ConnectionNotAvailable() from None  # (nothing went out)
            except h2.exceptions.ProtocolError as exc:
                if self._going_away():
                    raise
                # h2 refused the headers themselves (a value HTTP/2 forbids, TE: gzip, ...)
                raise InvalidHead(str(exc) or type(exc).__name__) from exc
            await self._send_request_body(request=request, stream_id=stream_id)
            # the request's frames are out (or queued: they leave with this task's next read,
            # without waiting); latency harnesses read it as Timings.request_sent
            request.extensions["sent_ns"] = _now_ns()
            status, headers = await self._receive_response(request=request, stream_id=stream_id)
        except BaseException as exc:
            scrub(exc)  # the encoded request headers were locals of the frames that wrote them
            with anyio.CancelScope(shield=True):
                await self._response_closed(stream_id)
            if isinstance(exc, h2.exceptions.H2Error):
                if self._connection_terminated is not None:
                    raise RemoteProtocolError(str(self._connection_terminated)) from exc
                raise LocalProtocolError(str(exc) or type(exc).__name__) from exc
            raise
        return Response(
            status=status,
            headers=headers,
            content=_Body(self, request, stream_id),
            extensions={"http_version": b"HTTP/2", "stream_id": stream_id},
        )

    def _going_away(self) -> bool:
        return self._connection_terminated is not None or self._connection_error

    async def prepare(self, request: Any) -> None:
        """Send the connection preface and read the server's first SETTINGS now, so the first
        requests need not wait for them (a benchmark opening its connections before its clock
        starts; ``request`` gives the timeouts)."""
        async with self._init_lock:
            if not self._sent_connection_init:
                await self._send_connection_init(request)
                self._sent_connection_init = True
        while not self._settings_known and not self._going_away():
            await self._receive_events(request)

    # -- receiving --------------------------------------------------------------------------------

    async def _receive_response(
        self, request: httpcore.Request, stream_id: int
    ) -> tuple[int, list[tuple[bytes, bytes]]]:
        while True:
            event = await self._receive_stream_event(request, stream_id)
            if isinstance(event, h2.events.ResponseReceived):
                break
        status: int | None = None
        headers: list[tuple[bytes, bytes]] = []
        for k, v in event.headers or ():
            if k == b":status":
                status = _status(v)
            elif not k.startswith(b":"):
                headers.append((k, v))
        if status is None:
            raise RemoteProtocolError("HTTP/2 response without a :status")
        if status < 200:  # pragma: no cover - h2 reports 1xx as InformationalResponseReceived
            raise RemoteProtocolError(f"unexpected informational status {status}")
        return status, headers

    async def _receive_events(
        self, request: httpcore.Request, stream_id: int | None = None
    ) -> None:
        terminated = self._connection_terminated
        if terminated is not None:
            last = terminated.last_stream_id or 0
            if stream_id is not None and stream_id > last and not self._events.get(stream_id):
                # the server promised it did not act on this stream: another connection may
                self._request_count -= 1
                raise ConnectionNotAvailable()
        await super()._receive_events(request, stream_id)

    async def _read_incoming_data(self, request: httpcore.Request) -> list[h2.events.Event]:
        if self._read_exception is not None:
            raise self._read_exception
        timeout = request.extensions.get("timeout", {}).get("read")
        try:
            data = await self._network_stream.read(self.READ_NUM_BYTES, timeout)
            if not data:
                raise RemoteProtocolError("Server disconnected")
        except Exception as exc:
            self._fail(exc)
            raise
        try:
            events: list[h2.events.Event] = self._h2_state.receive_data(data)
        except Exception as exc:  # h2, hyperframe and hpack refuse what the server sent
            error = RemoteProtocolError(
                f"HTTP/2 protocol error from the server ({type(exc).__name__}: {exc})"
            )
            error.__cause__ = exc
            self._fail(error)
            raise error from exc
        for event in events:
            if isinstance(event, h2.events.ConnectionTerminated):
                self._connection_terminated = event
                # nobody may wait for a slot on a connection that is going away
                self._max_streams_semaphore.resize(_ALL)
        return events

    def _fail(self, exc: Exception) -> None:
        """Remember a read failure for every stream of the connection; wake the waiters."""
        self._read_exception = exc
        self._connection_error = True
        self._max_streams_semaphore.resize(_ALL)

    async def _receive_remote_settings_change(self, event: h2.events.RemoteSettingsChanged) -> None:
        changed = event.changed_settings.get(_MAX_CONCURRENT_STREAMS)
        semaphore = self._max_streams_semaphore
        if changed is not None:
            local = self._h2_state.local_settings.max_concurrent_streams
            new = max(1, min(changed.new_value, local))
            if new != self._max_streams and self._connection_terminated is None:
                semaphore.resize(new)
                self._max_streams = new
        if not self._settings_known:
            self._settings_known = True
            if changed is None:  # the server sets no limit: h2's own cap applies
                local = self._h2_state.local_settings.max_concurrent_streams
                semaphore.resize(local)
                self._max_streams = local
        # requests still waiting for a slot go back to the pool, which opens (or picks)
        # another connection instead of queueing them behind this one
        semaphore.shed()

    # -- sending ----------------------------------------------------------------------------------

    async def _wait_for_outgoing_flow(self, request: httpcore.Request, stream_id: int) -> int:
        """The bytes that may be sent on ``stream_id`` now; waits while the window is zero or
        below (a lowered SETTINGS_INITIAL_WINDOW_SIZE makes it negative, which is legal)."""
        state = self._h2_state
        while True:
            flow = min(state.local_flow_control_window(stream_id), state.max_outbound_frame_size)
            if flow > 0:
                return int(flow)
            await self._receive_events(request)

    # -- the end of a stream ----------------------------------------------------------------------

    async def _response_closed(self, stream_id: int) -> None:
        await self._reset_if_open(stream_id)
        if stream_id not in self._events:  # pragma: no cover - closed twice
            return
        await super()._response_closed(stream_id)

    async def _reset_if_open(self, stream_id: int) -> None:
        """RST_STREAM a stream that is still open, flushed within WRITE_GRACE seconds."""
        if self._connection_error or not self._queue_reset(stream_id):
            return
        state = self._h2_state
        flushed = False
        with anyio.CancelScope(shield=True) as scope:
            scope.deadline = anyio.current_time() + WRITE_GRACE
            try:
                async with self._write_lock:
                    data = state.data_to_send()
                    if data and self._write_exception is None:
                        await self._network_stream.write(data, WRITE_GRACE)
                flushed = True
            except Exception as exc:
                self._write_exception = exc
        if not flushed:
            # the peer does not read (or the socket failed): nothing more can go over this
            # connection safely
            self._connection_error = True
            if self._write_exception is None:
                self._write_exception = WriteTimeout("RST_STREAM could not be sent")
            self._max_streams_semaphore.resize(_ALL)
            with anyio.CancelScope(shield=True):
                try:
                    await self._network_stream.aclose()
                except Exception:  # pragma: no cover - best effort
                    pass

    def _queue_reset(self, stream_id: int) -> bool:
        """Queue RST_STREAM (CANCEL) for ``stream_id`` if it is still open on a live
        connection; whether a reset was queued (it leaves with the next write)."""
        state = self._h2_state
        if state.state_machine.state == _CLOSED:
            return False
        stream = state.streams.get(stream_id)
        if stream is None or stream.closed:
            return False
        try:
            state.reset_stream(stream_id, error_code=_CANCEL)
        except h2.exceptions.H2Error:  # pragma: no cover - closed meanwhile
            return False
        return True

    def _forget(self, stream_id: int) -> None:
        """The synchronous end of a stream (see :meth:`_Body.abandon`)."""
        if stream_id not in self._events:
            return
        self._queue_reset(stream_id)
        del self._events[stream_id]
        self._max_streams_semaphore._release()
        if not self._events and self._state is HTTPConnectionState.ACTIVE:
            self._state = HTTPConnectionState.IDLE
            if self._keepalive_expiry is not None:
                self._expire_at = time.monotonic() + self._keepalive_expiry

    def is_available(self) -> bool:
        return super().is_available() and self._connection_terminated is None

    def has_expired(self) -> bool:
        """Past its keep-alive expiry, or idle and closed by the server. (Frames waiting while
        idle do not count: a server may send PING, SETTINGS, or the rest of a reset stream's
        DATA; a GOAWAY among them hands the next request back to the pool unsent.)"""
        expire_at = self._expire_at
        if expire_at is not None and time.monotonic() > expire_at:
            return True
        return self._state is HTTPConnectionState.IDLE and bool(
            self._network_stream.get_extra_info("peer_closed")
        )


class _Body:
    """The body of one HTTP/2 response: iterate for bytes, ``aclose()`` ends the stream (reset
    if it is still open).

    A class with ``__anext__``, not an async generator: a body dropped unread is then only
    garbage, with no generator for trio's (or asyncio's) finalizer hooks to close in a task of
    their own, and no warning in another library's words (the stream that owns it warns).
    """

    __slots__ = ("_closed", "_connection", "_request", "_stream_id")

    def __init__(self, connection: HTTP2Connection, request: Any, stream_id: int):
        self._connection = connection
        self._request = request
        self._stream_id = stream_id
        self._closed = False

    def __aiter__(self) -> _Body:
        return self

    async def __anext__(self) -> bytes:
        if self._closed:
            raise StopAsyncIteration
        conn = self._connection
        request = self._request
        stream_id = self._stream_id
        try:
            while True:
                event = await conn._receive_stream_event(request, stream_id)
                if isinstance(event, h2.events.DataReceived):
                    try:
                        conn._h2_state.acknowledge_received_data(
                            event.flow_controlled_length or 0, stream_id
                        )
                    except h2.exceptions.H2Error as exc:  # pragma: no cover - reset under us
                        raise RemoteProtocolError(str(exc)) from exc
                    await conn._write_outgoing_data(request)
                    return event.data or b""
                if isinstance(event, h2.events.StreamEnded):
                    break
        except _NOT_AVAILABLE:
            # a GOAWAY below a stream whose response already started: the server broke its word
            with anyio.CancelScope(shield=True):
                await self.aclose()
            raise RemoteProtocolError("the server went away mid-response") from None
        except BaseException as exc:
            with anyio.CancelScope(shield=True):
                await self.aclose()
            ours = _own(exc)
            if ours is exc:
                raise
            raise ours from exc
        raise StopAsyncIteration

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._connection._response_closed(self._stream_id)

    def abandon(self) -> None:
        """Its response was garbage-collected unclosed: give the stream's slot back now, without
        awaiting (the reset leaves with the connection's next write)."""
        if not self._closed:
            self._closed = True
            self._connection._forget(self._stream_id)
