"""More injected faults for resilience tests: slow and stalled bodies, closed keep-alive
connections, HTTP/2 GOAWAY, and a random mix of faults for soak tests.

Each is a :class:`Reply` wrapping another reply (default: the server's default reply); the
protocol handlers need nothing new except ``goaway()`` on HTTP/2 exchanges.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import msgspec

from ._exchange import Exchange, HeaderList, RecordedRequest, Reply
from ._replies import DropConnection, ErrorReply, ResetStream, Stall

__all__ = [
    "CloseAfterResponse",
    "GoAway",
    "DEFAULT_FAULTS",
    "STREAM_FAULTS",
    "StallBody",
    "Trickle",
    "fault_mix",
]


class _Forward(Exchange):
    """An exchange that forwards to ``inner``; subclasses change how body bytes go out."""

    def __init__(self, inner: Exchange) -> None:
        super().__init__(inner.server, inner.request)
        self.http_version = inner.http_version
        self._inner = inner
        self._request_id = inner.request_id

    async def start(
        self, status: int, headers: HeaderList, content_length: int | None = None
    ) -> None:
        self.head_sent = True
        await self._inner.start(status, headers, content_length)

    async def write(self, data: bytes, *, end: bool = False) -> None:
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


class _TrickleExchange(_Forward):
    def __init__(self, inner: Exchange, piece: int, delay: float) -> None:
        super().__init__(inner)
        self._piece = piece
        self._delay = delay

    async def write(self, data: bytes, *, end: bool = False) -> None:
        piece = self._piece
        for pos in range(0, len(data), piece):
            if self.body_bytes:
                await self._inner.sleep(self._delay)
            part = data[pos : pos + piece]
            self.body_bytes += len(part)
            last = pos + piece >= len(data)
            await self._inner.write(part, end=end and last)
        if end and not data:
            await self._inner.write(b"", end=True)
        self.finished = end


class Trickle(Reply, frozen=True):
    """Send ``reply``'s body ``piece`` bytes at a time, ``delay`` seconds apart (a slow link:
    every read gets a little, the whole takes long)."""

    delay: float
    piece: int = 16
    reply: Reply | None = None

    async def respond(self, exchange: Exchange) -> None:
        reply = self.reply or exchange.server.default_reply(exchange.request)
        await reply.respond(_TrickleExchange(exchange, max(1, self.piece), self.delay))


class _StallExchange(_Forward):
    def __init__(self, inner: Exchange, after: int, seconds: float) -> None:
        super().__init__(inner)
        self._after = after
        self._seconds = seconds
        self._stalled = False

    async def write(self, data: bytes, *, end: bool = False) -> None:
        if not self._stalled and self.body_bytes + len(data) >= self._after:
            room = self._after - self.body_bytes
            if room > 0:
                await self._inner.write(data[:room])
                self.body_bytes += room
                data = data[room:]
            self._stalled = True
            await self._inner.sleep(self._seconds)
        await super().write(data, end=end)


class StallBody(Reply, frozen=True):
    """Send the head and the first ``after_bytes`` body bytes of ``reply``, then go silent for
    ``seconds`` (a stalled body), then send the rest."""

    seconds: float
    after_bytes: int = 0
    reply: Reply | None = None

    async def respond(self, exchange: Exchange) -> None:
        reply = self.reply or exchange.server.default_reply(exchange.request)
        await reply.respond(_StallExchange(exchange, self.after_bytes, self.seconds))


class CloseAfterResponse(Reply, frozen=True):
    """Answer with ``reply``, then close the connection ``delay`` seconds later without
    saying so (no ``Connection: close``, no GOAWAY): a server dropping an idle keep-alive
    connection. A request the client sends on it meanwhile is lost with the connection."""

    delay: float = 0.0
    reply: Reply | None = None
    reset: bool = False

    async def respond(self, exchange: Exchange) -> None:
        reply = self.reply or exchange.server.default_reply(exchange.request)
        await reply.respond(exchange)
        await exchange.complete_for_reply()
        if self.delay > 0:
            await exchange.sleep(self.delay)
        await exchange.drop(reset=self.reset)


class GoAway(Reply, frozen=True):
    """HTTP/2 GOAWAY, then the connection is closed.

    By default the GOAWAY comes instead of an answer and names the previous stream as the last
    one processed: this request was refused and can safely be sent again. With
    ``after_response=True`` the request is first answered with ``reply`` and the GOAWAY names
    it (a graceful shutdown between requests). On HTTP/1.1, which has no GOAWAY, the
    connection is just closed (after the answer with ``after_response``).
    """

    after_response: bool = False
    reply: Reply | None = None
    error_code: int = 0

    async def respond(self, exchange: Exchange) -> None:
        goaway: Any = getattr(exchange, "goaway", None)  # HTTP/2 exchanges only
        if self.after_response:
            reply = self.reply or exchange.server.default_reply(exchange.request)
            await reply.respond(exchange)
            await exchange.complete_for_reply()
            if goaway is not None:
                await goaway(
                    last_stream_id=getattr(exchange, "stream_id", 0), error_code=self.error_code
                )
            await exchange.drop()
        if goaway is not None:
            await goaway(error_code=self.error_code)
        await exchange.drop()


#: the faults :func:`fault_mix` draws from by default: all recoverable by retrying
DEFAULT_FAULTS: tuple[Reply, ...] = (
    ErrorReply(503, headers={"retry-after-ms": "5"}),
    ErrorReply(500),
    ErrorReply(502),
    ErrorReply(429, headers={"retry-after-ms": "5"}),
    ErrorReply(498),
    DropConnection(),
    DropConnection(reset=True),
    ResetStream(),
    DropConnection(after_bytes=40),
    Stall(seconds=0.01),
)


#: per-request faults only (nothing that takes a whole HTTP/2 connection down)
STREAM_FAULTS: tuple[Reply, ...] = (
    ErrorReply(503, headers={"retry-after-ms": "5"}),
    ErrorReply(500),
    ErrorReply(502),
    ErrorReply(429, headers={"retry-after-ms": "5"}),
    ErrorReply(498),
    ResetStream(),
    ResetStream(after_bytes=40),
    Stall(seconds=0.01),
)


def fault_mix(
    rate: float,
    faults: Sequence[Reply] = DEFAULT_FAULTS,
    *,
    reply: Reply | None = None,
    seed: int | None = None,
    counter: dict[str, int] | None = None,
) -> Callable[[RecordedRequest], Reply]:
    """A reply factory (for ``GroqTestServer(default=...)`` or ``push()``) that answers a
    fraction ``rate`` of requests with one of ``faults`` (chosen at random) and the rest with
    ``reply`` (default: a :class:`ChatScript`; faults that wrap a reply wrap this one).
    ``counter`` (if given) counts each outcome by name (``"ok"`` and the fault's class name).

    Over HTTP/2 a :class:`DropConnection` ends every stream of the connection, not just one
    request: pass stream-level faults (``ResetStream``, error statuses) to inject per-request
    faults there (see :data:`STREAM_FAULTS`)."""
    from ._scenarios import ChatScript

    rng = random.Random(seed)
    normal = reply or ChatScript()
    # faults that wrap a reply wrap this one, not the server's default (which is this factory)
    faults = [
        msgspec.structs.replace(f, reply=normal)
        if "reply" in f.__struct_fields__ and getattr(f, "reply", None) is None
        else f
        for f in faults
    ]

    def choose(request: RecordedRequest) -> Reply:
        picked = rng.choice(faults) if rng.random() < rate else normal
        if counter is not None:
            name = "ok" if picked is normal else type(picked).__name__
            counter[name] = counter.get(name, 0) + 1
        return picked

    return choose
