"""The seam between the protocol handlers and the replies.

Theory of operation
-------------------
A connection handler (``_h1.py`` for HTTP/1.1 over h11, ``_h2.py`` for HTTP/2 over h2) parses
one request into a :class:`RecordedRequest`, wraps the response side in an :class:`Exchange`,
and gives it to the server, which picks a :class:`Reply` (the queue, else the default) and
awaits ``reply.respond(exchange)``. A reply only ever talks to the exchange:

* ``start(status, headers, content_length)`` queues the response head (it is not written yet,
  so a head and a small body leave in one socket write);
* ``write(data, end=...)`` queues body bytes and writes everything queued (the head too);
* ``flush()`` writes what is queued; ``sleep_until(deadline)`` flushes, then waits;
* ``drop(reset=...)`` abandons the whole connection, ``reset_stream()`` just this response
  (fault injection).

Rules: a reply must call ``write(..., end=True)`` (or ``end()``) exactly once after ``start``;
if it returns without doing so the handler finishes the response for it. Exceptions
:class:`ClientGone` and :class:`DropConnection` travel up to the connection handler, which ends
the connection quietly. New fault-injection replies are new :class:`Reply` subclasses: nothing
in the protocol handlers has to change.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

import anyio
import msgspec

from ._ids import new_request_id

if TYPE_CHECKING:
    from .._clock import Clock

__all__ = [
    "ServerView",
    "ClientGone",
    "ConnectionDropRequested",
    "Exchange",
    "HeaderList",
    "RecordedRequest",
    "Reply",
]

#: Response headers as ``(name, value)`` byte pairs, in order (names may repeat).
HeaderList = list[tuple[bytes, bytes]]


class ClientGone(Exception):
    """The peer went away (EOF, reset, stream reset) while a reply was being sent."""


class ConnectionDropRequested(Exception):
    """A reply asked for the connection to be dropped (see ``DropConnection``)."""

    def __init__(self, reset: bool) -> None:
        super().__init__("connection drop requested")
        self.reset = reset


class RecordedRequest(msgspec.Struct, frozen=True, gc=False):
    """One request as the server received it.

    Attributes:
        method: ``"GET"``, ``"POST"``, ...
        path: the request target, query string included (``/openai/v1/models?x=1``).
        headers: ``(name, value)`` pairs, names lower-cased, in arrival order (HTTP/2 pseudo
            headers are left out; ``:authority`` is recorded as ``host``).
        body: the raw request body.
        http_version: ``"HTTP/1.1"``, ``"HTTP/1.0"`` or ``"HTTP/2"``.
    """

    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    http_version: str

    def json(self) -> Any:
        """The body decoded as JSON (raises ``msgspec.DecodeError`` if it is not JSON)."""
        return msgspec.json.decode(self.body)

    def header(self, name: str, default: str | None = None) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``default``."""
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return default

    @property
    def route(self) -> str:
        """The path without its query string."""
        return self.path.partition("?")[0]


class ServerView(Protocol):
    """The server as the modules below it see it: the protocol handlers (:mod:`._h1`,
    :mod:`._h2`), the replies and the endpoints. :class:`~._server.GroqTestServer` implements
    it; typing them with it keeps the package's imports one-way (nothing below the server
    imports it, not even for type checking).
    """

    @property
    def models(self) -> frozenset[str] | None:
        """The model ids the API accepts (``None``: any)."""
        ...

    @property
    def strict(self) -> bool:
        """Whether requests are checked the way Groq checks them."""
        ...

    @property
    def clock(self) -> Clock | None:
        """The clock batches advance on (``None``: real time)."""
        ...

    @property
    def batch_timing(self) -> tuple[float, float, float] | None:
        """``(validating, in_progress, finalizing)`` seconds of a batch (``None``: instant)."""
        ...

    @property
    def request_count(self) -> int:
        """Requests accepted so far."""
        ...

    def default_reply(self, request: RecordedRequest) -> Reply:
        """The default reply for ``request`` (ignoring the queue)."""
        ...

    def accept(self, request: RecordedRequest) -> Reply:
        """Record ``request`` and choose its reply."""
        ...

    async def respond(self, exchange: Exchange, reply: Reply) -> None:
        """Answer ``exchange`` with ``reply``."""
        ...


class Exchange(abc.ABC):
    """The response side of one request, as seen by a :class:`Reply`."""

    http_version: str = "HTTP/1.1"

    def __init__(self, server: ServerView, request: RecordedRequest) -> None:
        self.server = server
        self.request = request
        self.head_sent = False
        self.finished = False
        self.body_bytes = 0
        self._request_id: str | None = None

    @property
    def request_id(self) -> str:
        """The ``req_...`` id of this exchange (``x-request-id`` and ``x_groq.id``)."""
        if self._request_id is None:
            self._request_id = new_request_id()
        return self._request_id

    @abc.abstractmethod
    async def start(
        self, status: int, headers: HeaderList, content_length: int | None = None
    ) -> None:
        """Queue the response head (``content_length=None``: a streamed body)."""

    @abc.abstractmethod
    async def write(self, data: bytes, *, end: bool = False) -> None:
        """Queue ``data`` (and the end of the body if ``end``) and write everything queued."""

    @abc.abstractmethod
    async def flush(self) -> None:
        """Write whatever is queued."""

    @abc.abstractmethod
    async def sleep_until(self, deadline: float) -> None:
        """Flush, then wait until ``anyio.current_time() >= deadline``.

        Raises :class:`ClientGone` if the handler notices the client leaving meanwhile.
        """

    @abc.abstractmethod
    async def drop(self, *, reset: bool = False) -> NoReturn:
        """Abandon the connection now (``reset``: make it a TCP RST rather than a FIN)."""

    async def reset_stream(self, error_code: int = 2) -> NoReturn:
        """Abandon this response: RST_STREAM on HTTP/2 (other streams carry on); on
        HTTP/1.1, where a response cannot be cancelled alone, a TCP reset of the connection."""
        await self.drop(reset=True)

    async def end(self) -> None:
        """End the body."""
        await self.write(b"", end=True)

    async def sleep(self, seconds: float) -> None:
        """Flush, then wait ``seconds``."""
        await self.sleep_until(anyio.current_time() + seconds)

    async def respond(self, status: int, headers: HeaderList, body: bytes) -> None:
        """Send a complete response with a ``content-length`` (one socket write)."""
        await self.start(status, headers, len(body))
        await self.write(body, end=True)

    async def complete_for_reply(self) -> None:
        """The reply returned without ending its response: end it, or send a 500."""
        if self.finished:
            return
        if self.head_sent:
            await self.end()
        else:
            await self.respond(500, [(b"content-type", b"text/plain")], b"reply sent no response")


class Reply(msgspec.Struct, frozen=True):
    """Base class of everything that can answer a request (``push()``, ``default=``).

    Subclass it and implement :meth:`respond` to add a behaviour (a fault, a new endpoint).
    """

    async def respond(self, exchange: Exchange) -> None:
        """Answer ``exchange.request`` through ``exchange``."""
        raise NotImplementedError


def merge_headers(
    base: HeaderList, extra: dict[str, str] | Sequence[tuple[str, str]] | None
) -> HeaderList:
    """``base`` with ``extra`` added; a name present in ``extra`` replaces it in ``base``."""
    if not extra:
        return base
    items = extra.items() if isinstance(extra, dict) else extra
    add = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in items]
    names = {k for k, _ in add}
    return [h for h in base if h[0] not in names] + add
