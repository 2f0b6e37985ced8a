"""``GroqTestServer``: a Groq-compatible HTTP/1.1 + HTTP/2 server on loopback, over anyio.

Lifecycle: ``async with server`` opens the listener and a task group in the caller's event loop;
every accepted connection is a task in that group. Leaving the block cancels the group (every
handler, every stream), closes every connection and the listener. ``run_in_thread()`` does the
same on a private asyncio loop in a background thread, for synchronous callers.

Per connection: optional TLS handshake (ALPN picks ``h2`` or ``http/1.1``); on plain TCP the first
bytes are sniffed for the HTTP/2 preface (h2c "prior knowledge"). Every request is recorded, then
answered by the next queued reply (``push()``), else by ``default``. Transport failures end only
their connection and are logged at debug level; a failing reply is logged as an error and answered
with a 500 (or its connection is dropped if the response had already started).
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from os import PathLike
from types import TracebackType
from typing import Any, Self, TypeAlias, cast

import anyio
import anyio.abc
import anyio.from_thread
import anyio.lowlevel
from anyio.streams.stapled import MultiListener
from anyio.streams.tls import TLSAttribute, TLSStream

from .._clock import Clock
from ._exchange import ClientGone, ConnectionDropRequested, Exchange, RecordedRequest, Reply
from ._groq import API_PREFIX, KNOWN_MODELS
from ._h1 import RECEIVE_SIZE, H1Connection
from ._h2 import PREFACE, H2Connection
from ._replay import Replay, load_recordings
from ._replies import ErrorReply, not_found
from ._scenarios import ChatScript
from ._thread import in_thread

__all__ = ["GroqTestServer", "ReplyLike", "serve_forever"]

logger = logging.getLogger("groq_anyio.testing")

#: What :meth:`GroqTestServer.push` takes: a :class:`Reply`, or a function of the request
#: returning one.
ReplyLike: TypeAlias = Reply | Callable[[RecordedRequest], Reply]
TLS_HANDSHAKE_TIMEOUT = 10.0
_DISCONNECTS = (
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    anyio.EndOfStream,
    ClientGone,
    ConnectionDropRequested,
    ssl.SSLError,
    OSError,
    TimeoutError,
)


def _is_disconnect(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        return all(_is_disconnect(e) for e in exc.exceptions)
    return isinstance(exc, _DISCONNECTS)


class GroqTestServer:
    """A local server speaking Groq's API (under ``/openai/v1``) for tests and benchmarks.

    Args:
        host: interface to listen on (loopback by default).
        port: TCP port; ``0`` picks a free one (see :attr:`port`).
        ssl_context: a server-side context: serve TLS (its ALPN list is set here).
        http2: accept HTTP/2 (ALPN ``h2`` over TLS; the h2c preface on plain TCP).
        default: the reply (or ``request -> reply`` function) used when the queue is empty.
        api_key: when set, API requests without ``Authorization: Bearer <api_key>`` get a 401.
        models: the model ids the API accepts (others get Groq's 404 ``model_not_found``);
            by default Groq's current models plus a few retired ones (:data:`KNOWN_MODELS`);
            ``None`` accepts any model.
        strict: check requests as Groq does (400s for ``n != 1``, out-of-range parameters,
            empty ``messages``...; the model list). ``False``: answer anything well-formed.
        clock: the time source of simulated server-side time (batch states); give the
            same :class:`FakeClock` to the client (:func:`use_clock`) and the test drives both.
        batch_timing: ``(validating, in_progress, finalizing)`` seconds on ``clock``: batches
            move through those states (``None``: a batch completes as soon as it is created).
        replay: recorded exchanges (JSON files in the conformance format, or folders of them;
            see :class:`GroqRecorder`) to answer with instead of ``default``: each request gets
            the recording with its method, path and body (see :class:`Replay`).
        record_requests: keep every request in :attr:`requests` (turn off for long benchmark
            runs; :attr:`request_count` and :attr:`http_versions` are kept either way).

    Example::

        async with GroqTestServer() as server:
            server.push(ErrorReply(429, headers={"retry-after": "1"}), ChatScript("hi"))
            ...  # point a client at server.base_url + "/openai/v1"
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_context: ssl.SSLContext | None = None,
        http2: bool = True,
        default: ReplyLike = ChatScript(),  # noqa: B008 - immutable
        api_key: str | None = None,
        record_requests: bool = True,
        models: Iterable[str] | None = KNOWN_MODELS,
        strict: bool = True,
        clock: Clock | None = None,
        batch_timing: tuple[float, float, float] | None = None,
        replay: Iterable[str | PathLike[str]] | str | PathLike[str] | None = None,
    ) -> None:
        if replay is not None:
            default = Replay(load_recordings(replay))
        self.host = host
        self.clock = clock
        self.batch_timing = batch_timing
        self.models: frozenset[str] | None = None if models is None else frozenset(models)
        self.strict = strict
        self.ssl_context = ssl_context
        self.http2 = http2
        self.default = default
        self.api_key = api_key
        self.record_requests = record_requests
        self.requests: list[RecordedRequest] = []
        self.request_count = 0
        self.connections_opened = 0
        self.active_connections = 0
        self.active_requests = 0
        self.http_versions: Counter[str] = Counter()
        self._requested_port = port
        self._port: int | None = None
        self._queue: deque[ReplyLike] = deque()
        self._tg: anyio.abc.TaskGroup | None = None
        self._listener: anyio.abc.Listener[anyio.abc.SocketStream] | None = None

    # -- public surface ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the server listens on (only while running)."""
        if self._port is None:
            raise RuntimeError("the server is not running")
        return self._port

    @property
    def base_url(self) -> str:
        """``http(s)://host:port``, without a path (the API is under ``/openai/v1``)."""
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{host}:{self.port}"

    def push(self, *replies: ReplyLike) -> None:
        """Queue replies: each API request takes the next one (FIFO) until the queue is empty."""
        self._queue.extend(replies)

    @property
    def pending(self) -> int:
        """How many pushed replies are still queued."""
        return len(self._queue)

    def default_reply(self, request: RecordedRequest) -> Reply:
        """The default reply for ``request`` (ignoring the queue)."""
        return _resolve(self.default, request)

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._tg is not None:
            raise RuntimeError("the server is already running")
        if self.http2:
            # h2 and hpack log decoded header blocks at DEBUG: the key a client sends would be
            # in them, whichever client it is (ours installs the same filter)
            from .._telemetry._redact import install_log_redaction

            install_log_redaction()
        if self.ssl_context is not None:
            self.ssl_context.set_alpn_protocols(["h2", "http/1.1"] if self.http2 else ["http/1.1"])
        listener = await anyio.create_tcp_listener(
            local_host=self.host, local_port=self._requested_port
        )
        try:
            self._port = int(listener.extra(anyio.abc.SocketAttribute.local_port))
            tg = anyio.create_task_group()
            await tg.__aenter__()
        except BaseException:
            await anyio.aclose_forcefully(listener)
            raise
        self._tg, self._listener = tg, listener
        subs = listener.listeners if isinstance(listener, MultiListener) else [listener]
        for sub in subs:
            tg.start_soon(self._accept_loop, cast(anyio.abc.SocketListener, sub))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tg, listener = self._tg, self._listener
        if tg is None or listener is None:
            return
        tg.cancel_scope.cancel()
        try:
            # The body's own exception (if any) propagates by itself; do not fold it into a group.
            await tg.__aexit__(None, None, None)
        finally:
            self._tg = self._listener = None
            self._port = None
            await anyio.aclose_forcefully(listener)

    @contextlib.contextmanager
    def run_in_thread(self, *, timeout: float = 10.0) -> Iterator[Self]:
        """Run the server on an asyncio loop in a background thread for the ``with`` block."""
        with in_thread(self, "Groq test server", timeout):
            yield self

    # -- serving -----------------------------------------------------------------------------

    async def _accept_loop(self, listener: anyio.abc.SocketListener) -> None:
        assert self._tg is not None
        tg = self._tg
        while True:
            try:
                stream = await listener.accept()
            except anyio.ClosedResourceError:
                return
            except (OSError, anyio.BrokenResourceError) as exc:  # e.g. out of file descriptors
                logger.warning("accept() failed: %r", exc)
                await anyio.sleep(0.05)
                continue
            tg.start_soon(self._serve, stream)

    async def _serve(self, stream: anyio.abc.SocketStream) -> None:
        self.connections_opened += 1
        self.active_connections += 1
        try:
            await self._serve_connection(stream)
        except Exception as exc:
            if _is_disconnect(exc):
                logger.debug("connection ended: %r", exc)
            else:
                logger.exception("unexpected error in the Groq test server")
        finally:
            self.active_connections -= 1
            await anyio.aclose_forcefully(stream)

    async def _serve_connection(self, stream: anyio.abc.SocketStream) -> None:
        transport: anyio.abc.ByteStream = stream
        use_h2: bool | None = None
        if self.ssl_context is not None:
            with anyio.fail_after(TLS_HANDSHAKE_TIMEOUT):
                transport = await TLSStream.wrap(
                    stream,
                    server_side=True,
                    ssl_context=self.ssl_context,
                    standard_compatible=False,
                )
            alpn = transport.extra(TLSAttribute.alpn_protocol, None)
            if alpn in ("h2", "http/1.1"):
                use_h2 = alpn == "h2"
        initial = b""
        if use_h2 is None:
            use_h2 = False
            if self.http2:
                while len(initial) < len(PREFACE) and PREFACE.startswith(initial):
                    try:
                        initial += await transport.receive(RECEIVE_SIZE)
                    except (anyio.EndOfStream, anyio.BrokenResourceError):
                        return
                use_h2 = initial.startswith(PREFACE)
        if use_h2:
            await H2Connection(self, transport, initial).run()
        else:
            await H1Connection(self, transport, initial).run()

    def accept(self, request: RecordedRequest) -> Reply:
        """Record ``request`` and choose its reply (protocol handlers call this in arrival
        order, so the queue is consumed in the order requests arrive)."""
        self.request_count += 1
        if self.record_requests:
            self.requests.append(request)
        self.http_versions[request.http_version] += 1
        route = request.route
        if route != API_PREFIX and not route.startswith(API_PREFIX + "/"):
            return not_found(request)
        if self.api_key is not None and (
            request.header("authorization") != f"Bearer {self.api_key}"
        ):
            return ErrorReply(401, "Invalid API Key", code="invalid_api_key")
        try:
            return _resolve(self._queue.popleft() if self._queue else self.default, request)
        except Exception:
            logger.exception("the reply factory failed for %s %s", request.method, request.path)
            return _REPLY_FAILED

    async def respond(self, exchange: Exchange, reply: Reply) -> None:
        """Answer ``exchange`` with ``reply``; a failing reply becomes a 500 (or a dropped
        connection when the response had already started)."""
        self.active_requests += 1
        try:
            await reply.respond(exchange)
        except (ClientGone, ConnectionDropRequested):
            raise
        except Exception:
            request = exchange.request
            logger.exception("reply %r failed for %s %s", reply, request.method, request.path)
            if exchange.head_sent:
                raise ConnectionDropRequested(False) from None
            await _REPLY_FAILED.respond(exchange)
        finally:
            self.active_requests -= 1
        await exchange.complete_for_reply()


_REPLY_FAILED = ErrorReply(
    500, "the local test server's reply raised", type="internal_server_error"
)


def _resolve(reply: ReplyLike, request: RecordedRequest) -> Reply:
    if isinstance(reply, Reply):
        return reply
    out = reply(request)
    if not isinstance(out, Reply):
        raise TypeError(f"reply factory returned {out!r}, not a Reply")
    return out


def serve_forever(
    host: str,
    port: int,
    *,
    http2: bool = True,
    ssl_context: ssl.SSLContext | None = None,
    default: ReplyLike = ChatScript(),  # noqa: B008 - immutable
    ready: Callable[[str], None] | None = None,
    api_key: str | None = None,
    backend: str = "asyncio",
    **options: Any,
) -> None:
    """Run a :class:`GroqTestServer` until interrupted (``python -m groq_anyio serve``).

    ``ready`` is called with the base URL once the server listens; ``options`` are further
    :class:`GroqTestServer` arguments (``models``, ``strict``, ``replay``, ``batch_timing``...).
    """
    server = GroqTestServer(
        host,
        port,
        ssl_context=ssl_context,
        http2=http2,
        default=default,
        api_key=api_key,
        record_requests=False,  # nobody can read them, and a long benchmark would pile them up
        **options,
    )

    async def main() -> None:
        async with server:
            if ready is not None:
                ready(server.base_url)
            await anyio.sleep_forever()

    anyio.run(main, backend=backend)
