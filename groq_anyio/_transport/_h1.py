"""Our HTTP/1.1 connection: responses parsed by httptools (llhttp, in C), or by h11.

It has httpcore's connection interface (``handle_async_request``, ``is_available``,
``has_expired``, ``is_idle``, ``is_closed``, ``aclose``), so the pool treats it like httpcore's
HTTP/2 connection. Rules and theory of operation:

- **Push parsing.** The connection registers :meth:`HTTP11Connection._receive` with its network
  stream; every piece of bytes the stream receives goes straight into the parser (on asyncio
  from the protocol's ``data_received``). The parser's callbacks fill three things: the
  response head (status, headers, keep-alive), ``_body`` (a list of byte strings; with
  httptools its ``append`` *is* the ``on_body`` callback, so a body chunk costs no Python frame)
  and ``_complete``. Reading a response is "pump until the head / a body piece / the end is
  there". The receiver never raises: parser failures are kept in ``_error`` for the task that
  waits.
- **Zero copies past the parser.** A body piece is the bytes object the parser made; the body
  iterator hands it on as it is, joined only when one network read completed several pieces
  (one copy per read, so the stream decoder still sees a whole read at once).
- **One send per request**: head and body together when the body is bytes; a streamed body
  follows the head chunk by chunk (``Transfer-Encoding: chunked`` when there is no
  ``Content-Length``).
- **States**: ``IDLE`` -> ``ACTIVE`` (one request and its response) -> ``IDLE`` (the response
  was read to its end and both sides keep the connection alive) or ``CLOSED`` (anything else:
  an error, a cancellation, a response closed early, ``Connection: close``, bytes arriving
  while idle). A connection is never reused after anything unexpected.
- **When may a request be sent again?** Only when the server cannot have seen it: the write
  failed, and no response byte came back (:class:`NotSent`). A request that was written in full
  and then met a closed connection is an ordinary failure for the caller's retry policy.
- **Limits**: the response head is bounded (``max_header_bytes``), as h11 bounds it.
- **Repeated headers are kept once** (httptools). Every response of an API brings the same
  dozen or more header names, and most values (content type, server, rate-limit ceilings) are
  the same too; each as its own bytes objects and tuple, they cost ~1.9 KiB per open response.
  A header whose name and value were seen before is the same tuple as before; a new one keeps
  a known name's bytes. Both tables stop growing at :data:`_KNOWN_LIMIT` entries, and values
  longer than :data:`_KNOWN_VALUE` bytes (cookies, tokens) are never kept.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterable
from enum import IntEnum

import anyio

from . import _core as core
from ._request import BytesBody
from ._scrub import scrub

__all__ = ["HTTP11Connection", "InvalidHead", "NotSent", "PARSERS", "available_parser"]

PARSERS = ("auto", "httptools", "h11")
_LARGE_BODY = 256 * 1024  # bytes bodies up to this size leave with the head, in one send
_PAUSE_PIECES = 4  # body pieces unread before the byte count is checked for pausing
_PAUSE_BYTES = 256 * 1024
_now_ns = time.perf_counter_ns
_HTTP11 = {"http_version": b"HTTP/1.1"}
#: response headers (name and short value) and header names seen, each kept once (the module
#: notes); bounded, so that a server inventing headers cannot grow them
_KNOWN_HEADERS: dict[tuple[bytes, bytes], tuple[bytes, bytes]] = {}
_KNOWN_NAMES: dict[bytes, bytes] = {}
_KNOWN_LIMIT = 512
_KNOWN_VALUE = 48
_NO_LIMITS: dict[str, float | None] = {}


class NotSent(core.WriteError):
    """The request could not be written and no response came: the server has not seen it."""


class InvalidHead(core.LocalProtocolError):
    """The request head would not survive the wire (CR, LF or NUL inside a line): the
    caller's doing, never sent, never worth a retry."""


class HeadTooLarge(core.RemoteProtocolError):
    """The response head is larger than the connection's limit."""


class _State(IntEnum):
    IDLE = 0
    ACTIVE = 1
    CLOSED = 2


def available_parser(name: str) -> str:
    """The parser ``name`` resolves to: ``auto`` is httptools when it imports, else h11."""
    if name not in PARSERS:
        raise ValueError(f"http1_parser must be one of {', '.join(PARSERS)}, not {name!r}")
    if name == "h11":
        return "h11"
    try:
        import httptools  # noqa: F401
    except ImportError:
        if name == "httptools":
            raise ValueError("http1_parser='httptools' but httptools is not installed") from None
        return "h11"
    return "httptools"


class _HttptoolsAdapter:
    """The callback object handed to ``httptools.HttpResponseParser`` (it looks its methods up
    once, when the parser is made)."""

    __slots__ = ("on_body", "_conn", "_parser")

    def __init__(self, conn: HTTP11Connection) -> None:
        import httptools

        self._conn = conn
        self.on_body = conn._body.append
        self._parser = httptools.HttpResponseParser(self)

    def feed(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def start(self, request: core.Request) -> None:
        pass

    def on_message_begin(self) -> None:
        self._conn._raw_headers = []

    def on_header(self, name: bytes, value: bytes) -> None:
        # (the head's size: see _receive; the header kept once if it repeats: module notes)
        header = (name, value)
        known = _KNOWN_HEADERS.get(header)
        if known is None:
            known_name = _KNOWN_NAMES.get(name)
            if known_name is not None:
                known = (known_name, value)
            else:
                known = header
                if len(_KNOWN_NAMES) < _KNOWN_LIMIT:
                    _KNOWN_NAMES[name] = name
            if len(value) <= _KNOWN_VALUE and len(_KNOWN_HEADERS) < _KNOWN_LIMIT:
                _KNOWN_HEADERS[known] = known
        self._conn._raw_headers.append(known)

    def on_headers_complete(self) -> None:
        parser = self._parser
        status = parser.get_status_code()
        conn = self._conn
        if status < 200:
            if status == 101:
                raise core.RemoteProtocolError("unexpected 101 Switching Protocols")
            conn._informational = True
            return
        conn._informational = False
        conn._status = status
        conn._keep_alive = parser.should_keep_alive()
        conn._headers_done = True

    def on_message_complete(self) -> None:
        conn = self._conn
        if conn._informational:
            conn._informational = False
            return
        conn._complete = True

    def eof(self) -> None:
        conn = self._conn
        if conn._headers_done and not conn._complete and _until_close(conn._raw_headers):
            conn._complete = True  # a body delimited by the end of the connection


def _until_close(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, _ in headers:
        lower = name.lower()
        if lower == b"content-length" or lower == b"transfer-encoding":
            return False
    return True


class _H11Adapter:
    """h11 behind the same small interface (the pure-Python fallback)."""

    __slots__ = ("_conn", "_h11")

    def __init__(self, conn: HTTP11Connection) -> None:
        import h11

        self._conn = conn
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=conn._max_header_bytes)

    def start(self, request: core.Request) -> None:
        import h11

        h = self._h11
        if h.our_state is h11.DONE and h.their_state is h11.DONE:
            h.start_next_cycle()

    def head_bytes(self, request: core.Request) -> bytes:
        """The request head, serialised and checked by h11."""
        import h11

        try:
            data = self._h11.send(
                h11.Request(
                    method=request.method, target=request.url.target, headers=request.headers
                )
            )
        except h11.LocalProtocolError as exc:
            raise InvalidHead(str(exc)) from exc
        assert data is not None
        return data

    def body_bytes(self, data: bytes) -> bytes:
        import h11

        out = self._h11.send(h11.Data(data=data))
        assert out is not None
        return out

    def end_bytes(self) -> bytes:
        import h11

        return self._h11.send(h11.EndOfMessage()) or b""

    def feed(self, data: bytes) -> None:
        self._h11.receive_data(data)
        self._events()

    def eof(self) -> None:
        self._h11.receive_data(b"")
        self._events()

    def _events(self) -> None:
        import h11

        conn = self._conn
        h = self._h11
        while True:
            try:
                event = h.next_event()
            except h11.RemoteProtocolError as exc:
                if exc.error_status_hint == 431:
                    raise HeadTooLarge(
                        f"the response head is over {conn._max_header_bytes} bytes"
                    ) from exc
                raise core.RemoteProtocolError(str(exc)) from exc
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Response):
                headers = list(event.headers.raw_items())
                # (h11 bounds a head still incomplete; one that arrives whole is bounded here)
                if sum(len(k) + len(v) + 4 for k, v in headers) > conn._max_header_bytes:
                    raise HeadTooLarge(f"the response head is over {conn._max_header_bytes} bytes")
                conn._status = event.status_code
                conn._raw_headers = headers
                conn._headers_done = True
            elif isinstance(event, h11.Data):
                conn._body.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                conn._keep_alive = h.our_state is h11.DONE and h.their_state is h11.DONE
                conn._complete = True
                return
            elif isinstance(event, h11.ConnectionClosed):
                return
            # InformationalResponse: skipped


class HTTP11Connection:
    """One HTTP/1.1 connection (see the module notes)."""

    __slots__ = (
        "_adapter",
        "_body",
        "_complete",
        "_eof",
        "_error",
        "_expire_at",
        "_feed",
        "_head_bytes",
        "_headers_done",
        "_informational",
        "_keep_alive",
        "_keepalive_expiry",
        "_max_header_bytes",
        "_origin",
        "_pump",
        "_raw_headers",
        "_request_count",
        "_seen",
        "_state",
        "_status",
        "_stream",
    )

    def __init__(
        self,
        origin: core.Origin,
        stream: core.AsyncNetworkStream,
        keepalive_expiry: float | None = None,
        *,
        parser: str = "httptools",
        max_header_bytes: int = 64 * 1024,
    ) -> None:
        self._origin = origin
        self._stream = stream
        self._keepalive_expiry = keepalive_expiry
        self._expire_at: float | None = None
        self._state = _State.IDLE
        self._max_header_bytes = max_header_bytes
        self._request_count = 0
        # the response being read
        self._body: list[bytes] = []  # (never replaced: the httptools adapter appends to it)
        self._raw_headers: list[tuple[bytes, bytes]] = []
        self._head_bytes = 0
        self._status = 0
        self._headers_done = False
        self._complete = False
        self._informational = False
        self._keep_alive = True
        self._error: BaseException | None = None
        self._seen = False  # a byte of the response came
        self._eof = False
        self._adapter: _HttptoolsAdapter | _H11Adapter = (
            _HttptoolsAdapter(self) if parser == "httptools" else _H11Adapter(self)
        )
        # (httptools: the parser's own feed_data, a C method: no Python frame per read)
        adapter = self._adapter
        self._feed = (
            adapter._parser.feed_data if type(adapter) is _HttptoolsAdapter else adapter.feed
        )
        pump = getattr(stream, "pump", None)
        if pump is not None:
            stream.set_receiver(self._receive)  # type: ignore[attr-defined]
            self._pump = pump
        else:  # any httpcore network stream (tests hand in their own)
            self._pump = self._pull

    # -- the receiver -----------------------------------------------------------------------------

    def _receive(self, data: bytes) -> None:
        """Every piece of bytes the stream receives (``b""``: the end). Never raises."""
        if not data:
            self._eof = True
            if self._state is _State.ACTIVE and self._error is None:
                try:
                    self._adapter.eof()
                except Exception as exc:
                    self._error = exc
            return
        if self._state is not _State.ACTIVE or self._error is not None or self._complete:
            self._eof = True  # bytes while idle, past the response, after a failure: never reuse
            return
        self._seen = True
        if not self._headers_done:
            # the head is bounded by the bytes received before it was complete (a read may also
            # carry body bytes: the count is an upper bound on the head's size)
            self._head_bytes += len(data)
            if self._head_bytes > self._max_header_bytes and not self._head_fits(data):
                self._error = HeadTooLarge(
                    f"the response head is over {self._max_header_bytes} bytes"
                )
                return
        try:
            self._feed(data)
        except Exception as exc:
            self._error = _parse_error(exc)
            return
        body = self._body
        if len(body) > _PAUSE_PIECES and sum(map(len, body)) > _PAUSE_BYTES:
            pause = getattr(self._stream, "pause_reading", None)
            if pause is not None:
                pause()

    def _head_fits(self, data: bytes) -> bool:
        """Past the limit in bytes received: does the head end within the limit after all
        (the rest being body)? Decided on the bytes of this read (earlier reads all belonged to
        the head, or it would be complete)."""
        before = self._head_bytes - len(data)
        end = data.find(b"\r\n\r\n")
        return end >= 0 and before + end + 4 <= self._max_header_bytes

    async def _pull(self, timeout: float | None) -> None:
        self._receive(await self._stream.read(65536, timeout))

    async def _more(self, timeout: float | None) -> None:
        """Wait for more of the response; raises what the parser or the network reported."""
        if self._error is not None:
            raise self._error
        if self._eof or self._state is _State.CLOSED:
            raise self._cut_short()
        await self._pump(timeout)
        if self._error is not None:
            raise self._error

    def _cut_short(self) -> core.RemoteProtocolError:
        if not self._headers_done:
            if self._seen:
                return core.RemoteProtocolError("the server closed the connection mid-head")
            return core.RemoteProtocolError("Server disconnected without sending a response.")
        return core.RemoteProtocolError(
            "the server closed the connection before the end of the response body"
        )

    # -- httpcore's connection interface ----------------------------------------------------------

    async def handle_async_request(self, request: core.Request) -> core.Response:
        if self._state is not _State.IDLE or self._eof:
            raise core.ConnectionNotAvailable()
        self._state = _State.ACTIVE
        self._request_count += 1
        self._expire_at = None
        self._body.clear()
        self._raw_headers = []
        self._head_bytes = 0
        self._status = 0
        self._headers_done = self._complete = self._seen = False
        self._keep_alive = True
        self._adapter.start(request)
        timeouts = request.extensions.get("timeout") or {}
        try:
            try:
                await self._send(request, timeouts.get("write"))
            except core.WriteError as exc:
                # the server may have answered already (an early error response, then it closed)
                if not await self._response_after_failed_write(timeouts.get("read")):
                    raise NotSent(str(exc) or "the connection closed") from exc
            read_timeout = timeouts.get("read")
            while not self._headers_done:
                await self._more(read_timeout)
        except BaseException as exc:
            scrub(exc)  # the request head was a local of the frames that wrote it
            with anyio.CancelScope(shield=True):
                await self._close()
            raise
        return core.Response(
            status=self._status,
            headers=self._raw_headers,
            content=ResponseBody(self, request),
            extensions=_HTTP11,
        )

    async def _response_after_failed_write(self, timeout: float | None) -> bool:
        try:
            while not self._headers_done:
                await self._more(timeout)
        except Exception:
            return False
        self._keep_alive = False
        return True

    async def _send(self, request: core.Request, timeout: float | None) -> None:
        adapter = self._adapter
        body = request.stream
        h11 = isinstance(adapter, _H11Adapter)
        head = adapter.head_bytes(request) if h11 else _head(request)  # type: ignore[union-attr]
        write = self._stream.write
        # "sent_ns": the request's last byte handed to the network (Timings.request_sent),
        # stamped just before the write that carries it: on loopback the send call can run the
        # receiver before it returns, and a stamp after it would then follow the server's own
        # arrival stamp
        ext = request.extensions
        if type(body) is BytesBody:
            content = body.content
            if isinstance(adapter, _H11Adapter):
                tail = (adapter.body_bytes(content) if content else b"") + adapter.end_bytes()
                ext["sent_ns"] = _now_ns()
                await write(head + tail, timeout)
            elif len(content) <= _LARGE_BODY:
                ext["sent_ns"] = _now_ns()
                await write(head + content if content else head, timeout)
            else:
                await write(head, timeout)
                ext["sent_ns"] = _now_ns()
                await write(content, timeout)
            return
        await write(head, timeout)
        assert isinstance(body, AsyncIterable)
        chunked = _is_chunked(request.headers)
        iterator = body.__aiter__()
        try:
            async for part in iterator:
                if not part:
                    continue
                if isinstance(adapter, _H11Adapter):
                    await write(adapter.body_bytes(part), timeout)
                elif chunked:
                    await write(b"%x\r\n%b\r\n" % (len(part), part), timeout)
                else:
                    await write(part, timeout)
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()
        ext["sent_ns"] = _now_ns()  # (a body of known length: its last part has just left)
        if isinstance(adapter, _H11Adapter):
            await write(adapter.end_bytes(), timeout)
        elif chunked:
            await write(b"0\r\n\r\n", timeout)

    async def _response_done(self) -> None:
        """The body was read to its end: back to idle, or closed."""
        if (
            self._state is _State.ACTIVE
            and self._complete
            and self._keep_alive
            and self._error is None
            and not self._eof
        ):
            self._state = _State.IDLE
            if self._keepalive_expiry is not None:
                self._expire_at = time.monotonic() + self._keepalive_expiry
            resume = getattr(self._stream, "resume_reading", None)
            if resume is not None:
                resume()
            return
        await self._close()

    async def _close(self) -> None:
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        try:
            await self._stream.aclose()
        except Exception:  # pragma: no cover - closing a broken socket
            pass

    async def aclose(self) -> None:
        with anyio.CancelScope(shield=True):
            await self._close()

    def can_handle_request(self, origin: core.Origin) -> bool:
        return origin == self._origin

    def is_available(self) -> bool:
        return self._state is _State.IDLE and not self._eof

    def has_expired(self) -> bool:
        if self._eof:
            return True
        expire_at = self._expire_at
        if expire_at is not None and time.monotonic() > expire_at:
            return True
        return self._state is _State.IDLE and bool(self._stream.get_extra_info("is_readable"))

    def is_idle(self) -> bool:
        return self._state is _State.IDLE

    def is_closed(self) -> bool:
        return self._state is _State.CLOSED

    def info(self) -> str:
        return (
            f"{self._origin!s}, HTTP/1.1, {self._state.name}, Request Count: {self._request_count}"
        )

    def __repr__(self) -> str:
        return f"<HTTP11Connection [{self.info()}]>"


class ResponseBody:
    """The response body: ``async for`` gives the bytes as they come; ``aclose()`` gives the
    connection back (idle when the body was read to its end, closed otherwise)."""

    __slots__ = ("_conn", "_extensions", "_closed", "done")

    def __init__(self, conn: HTTP11Connection, request: core.Request) -> None:
        self._conn = conn
        #: read limits are looked up per read: the transport sets the body phase's own limits
        #: once the head is in
        self._extensions = request.extensions
        self._closed = False
        #: the whole body was handed out
        self.done = False

    def __aiter__(self) -> ResponseBody:
        return self

    async def __anext__(self) -> bytes:
        conn = self._conn
        body = conn._body
        while not body:
            if conn._complete:
                self.done = True
                raise StopAsyncIteration
            if self._closed:
                raise StopAsyncIteration
            try:
                # (conn._more, inlined: one await level less per network read)
                if conn._error is not None:
                    raise conn._error
                if conn._eof or conn._state is _State.CLOSED:
                    raise conn._cut_short()
                await conn._pump(self._extensions.get("timeout", _NO_LIMITS).get("read"))
                if conn._error is not None:
                    raise conn._error
            except BaseException:
                self._closed = True
                with anyio.CancelScope(shield=True):
                    await conn._close()
                raise
        if len(body) == 1:
            return body.pop()
        data = b"".join(body)
        body.clear()
        return data

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        conn = self._conn
        if self.done or (conn._complete and not conn._body):
            await conn._response_done()
        else:
            with anyio.CancelScope(shield=True):
                await conn._close()


def _head(request: core.Request) -> bytes:
    headers = request.headers
    parts = [request.method, b" ", request.url.target, b" HTTP/1.1\r\n"]
    for name, value in headers:
        parts += (name, b": ", value, b"\r\n")
    parts.append(b"\r\n")
    head = b"".join(parts)
    # what the wire would refuse (h11 checks the same): a CR, LF or NUL inside a line
    lines = len(headers) + 2
    if head.count(b"\n") != lines or head.count(b"\r") != lines or b"\0" in head:
        raise InvalidHead("a request line or header contains CR, LF or NUL")
    return head


def _is_chunked(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name.lower() == b"transfer-encoding":
            return b"chunked" in value.lower()
    return False


def _parse_error(exc: Exception) -> Exception:
    """The protocol error for a parser failure (httptools wraps ours in its callback error)."""
    cause = exc.__context__ if exc.__context__ is not None else exc.__cause__
    if isinstance(exc, core.ProtocolError):
        return exc
    if isinstance(cause, core.ProtocolError):
        return cause
    error = core.RemoteProtocolError(f"malformed HTTP/1.1 response ({exc})")
    error.__cause__ = exc
    return error
