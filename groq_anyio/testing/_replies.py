"""Replies other than the chat simulation: errors, verbatim replays, and injected faults."""

from __future__ import annotations

import http
from collections.abc import Awaitable, Callable
from typing import NoReturn

import anyio

from ._exchange import Exchange, HeaderList, RecordedRequest, Reply, merge_headers
from ._groq import error_body, groq_headers

__all__ = ["DropConnection", "ErrorReply", "RawReply", "ResetStream", "Stall", "not_found"]

_DEFAULT_MESSAGES = {
    400: "Bad request",
    401: "Invalid API Key",
    403: "Forbidden",
    404: "Not found",
    413: "Request Entity Too Large",
    422: "Unprocessable entity",
    429: "Rate limit reached. Please try again later.",
    498: "Flex tier capacity exceeded. This is a known issue and we are working on it.",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def _default_message(status: int) -> str:
    if status in _DEFAULT_MESSAGES:
        return _DEFAULT_MESSAGES[status]
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


class ErrorReply(Reply, frozen=True):
    """An HTTP error in Groq's format, with Groq's headers plus ``headers``.

    ``body`` (when given) is sent verbatim instead of the ``{"error": {...}}`` document;
    ``message=None`` picks a stock message for ``status``.
    """

    status: int
    message: str | None = None
    type: str = "invalid_request_error"
    code: str | None = None
    headers: dict[str, str] | None = None
    body: bytes | None = None

    async def respond(self, exchange: Exchange) -> None:
        body = self.body
        if body is None:
            message = self.message if self.message is not None else _default_message(self.status)
            body = error_body(message, self.type, self.code)
        headers = merge_headers(groq_headers(exchange, b"application/json"), self.headers)
        await exchange.respond(self.status, headers, body)


def _raw_headers(headers: list[tuple[str, str]] | dict[str, str]) -> HeaderList:
    items = headers.items() if isinstance(headers, dict) else headers
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in items]


class RawReply(Reply, frozen=True):
    """Exactly this status, these headers and this body (to replay recorded traffic).

    A ``bytes`` body goes out with a ``content-length``; a list of pieces is streamed (chunked
    on HTTP/1.1) one write per piece, ``chunk_delay`` seconds apart. Only framing headers are
    added.
    """

    status: int
    headers: list[tuple[str, str]] | dict[str, str]
    body: bytes | list[bytes]
    chunk_delay: float = 0.0

    async def respond(self, exchange: Exchange) -> None:
        headers = _raw_headers(self.headers)
        framed = any(k in (b"content-length", b"transfer-encoding") for k, _ in headers)
        if isinstance(self.body, bytes):
            await exchange.start(self.status, headers, None if framed else len(self.body))
            await exchange.write(self.body, end=True)
            return
        await exchange.start(self.status, headers, None)
        due = anyio.current_time()
        for i, piece in enumerate(self.body):
            if i and self.chunk_delay > 0:
                due += self.chunk_delay
                await exchange.sleep_until(due)
            await exchange.write(piece)
        await exchange.end()


class _CutOff(Exchange):
    """Forwards to ``inner`` and calls ``cut`` once ``limit`` body bytes went out."""

    def __init__(self, inner: Exchange, limit: int, cut: Callable[[], Awaitable[NoReturn]]) -> None:
        super().__init__(inner.server, inner.request)
        self.http_version = inner.http_version
        self._inner = inner
        self._limit = limit
        self._cut = cut
        self._request_id = inner.request_id

    async def start(
        self, status: int, headers: HeaderList, content_length: int | None = None
    ) -> None:
        self.head_sent = True
        await self._inner.start(status, headers, content_length)

    async def write(self, data: bytes, *, end: bool = False) -> None:
        room = self._limit - self.body_bytes
        if len(data) >= room:
            await self._inner.write(data[:room])
            await self._cut()
        self.body_bytes += len(data)
        await self._inner.write(data, end=end)
        self.finished = end

    async def flush(self) -> None:
        await self._inner.flush()

    async def sleep_until(self, deadline: float) -> None:
        await self._inner.sleep_until(deadline)

    async def drop(self, *, reset: bool = False) -> NoReturn:
        await self._inner.drop(reset=reset)

    async def reset_stream(self, error_code: int = 2) -> NoReturn:
        await self._inner.reset_stream(error_code)


async def _cut_after(
    exchange: Exchange,
    after_bytes: int,
    reply: Reply | None,
    cut: Callable[[], Awaitable[NoReturn]],
) -> NoReturn:
    if after_bytes > 0:
        reply = reply or exchange.server.default_reply(exchange.request)
        await reply.respond(_CutOff(exchange, after_bytes, cut))
        await exchange.flush()  # the reply was shorter than after_bytes: cut anyway, as asked
    await cut()


class DropConnection(Reply, frozen=True):
    """Drop the connection: before the response head (``after_bytes=0``), or after the head
    and ``after_bytes`` body bytes of ``reply`` (default: the server's default reply).

    ``reset=True`` aborts with a TCP RST instead of a FIN. On HTTP/2 the whole connection
    goes, with every stream on it.
    """

    after_bytes: int = 0
    reply: Reply | None = None
    reset: bool = False

    async def respond(self, exchange: Exchange) -> None:
        async def cut() -> NoReturn:
            await exchange.drop(reset=self.reset)

        await _cut_after(exchange, self.after_bytes, self.reply, cut)


class ResetStream(Reply, frozen=True):
    """Reset this request's HTTP/2 stream (RST_STREAM with ``error_code``, default
    INTERNAL_ERROR) before the head or after ``after_bytes`` body bytes of ``reply``; other
    streams on the connection carry on. On HTTP/1.1 the connection is reset (TCP RST).
    """

    after_bytes: int = 0
    reply: Reply | None = None
    error_code: int = 2

    async def respond(self, exchange: Exchange) -> None:
        async def cut() -> NoReturn:
            await exchange.reset_stream(self.error_code)

        await _cut_after(exchange, self.after_bytes, self.reply, cut)


class Stall(Reply, frozen=True):
    """Wait ``seconds`` before answering (a stalled response head), then answer with
    ``reply`` (default: the server's default reply)."""

    seconds: float
    reply: Reply | None = None

    async def respond(self, exchange: Exchange) -> None:
        await exchange.sleep(self.seconds)
        reply = self.reply or exchange.server.default_reply(exchange.request)
        await reply.respond(exchange)


def not_found(req: RecordedRequest) -> Reply:
    """Groq's 404 ``unknown_url`` for a path (or method) the server does not know."""
    return ErrorReply(
        404,
        f"Unknown request URL: {req.method} {req.route}. Please check the URL for typos, "
        "or see the docs at https://console.groq.com/docs/",
        code="unknown_url",
    )
