"""What the objects that own an HTTP response share.

:class:`ResponseMeta`: the response's metadata (status, headers, HTTP version, request id), read
back from its :class:`~groq_anyio._transport.RawResponse` (``ChatStream``, ``ResponseStream``,
``BinaryResponse``, ``APIResponse``).

:class:`SSEStreamBase`: how an event stream (``ChatStream``, ``ResponseStream``) releases its
response. The normal end drains what is left of the body and pools the connection; an error or a
cancellation closes the connection at once (an HTTP/2 stream is reset); ``aclose()`` drains when
only the tail of the body is left, and closes otherwise. Draining is shielded and bounded in time
and size. The pipeline's open-stream slot (``_on_close``) is released once, whichever way.

Both are mixins with empty ``__slots__``: the classes using them declare the attributes. Nothing
here runs per chunk.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Final, NoReturn, Self

import anyio

from ._errors import (
    APIResponseValidationError,
    APITimeoutError,
    ResponseTooLargeError,
)
from ._sse import SSEError, SSEScanner, SSETooLarge

if TYPE_CHECKING:
    from ._pipeline import RequestOptions
    from ._resilience import ResilienceState
    from ._transport import RawResponse

__all__ = ["DRAIN_LIMIT", "DRAIN_SECONDS", "ResponseMeta", "SSEStreamBase"]

#: a response released early is drained (to keep its connection) up to this many bytes ...
DRAIN_LIMIT: Final = 64 * 1024
#: ... and for at most this long
DRAIN_SECONDS: Final = 1.0


class ResponseMeta:
    """Metadata properties of an object holding a response in ``_raw``."""

    __slots__ = ()

    _raw: RawResponse

    @property
    def headers(self) -> dict[str, str]:
        """Response headers, lower-case names (repeated headers joined by ``", "``); lookups
        ignore case (``headers.get("X-Request-ID")``), as with the official SDK's httpx headers."""
        from ._headers import Headers

        return Headers(self._raw.headers)

    @property
    def status_code(self) -> int:
        return self._raw.status

    @property
    def http_version(self) -> str:
        """``"HTTP/1.1"`` or ``"HTTP/2"``."""
        return self._raw.http_version

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` header (quote it to Groq support)."""
        return self._raw.header(b"x-request-id")


class SSEStreamBase(ResponseMeta):
    """Closing, context management and finalisation of an event stream over ``_raw``."""

    if not TYPE_CHECKING:  # (mypy would reject assigning the attributes declared below)
        __slots__ = ()

    #: the class name shown in warnings and repr (a subclass keeps its base's)
    _kind: ClassVar[str]

    _iter: AsyncIterator[bytes]
    _events: list[Any]
    _index: int
    _done: bool  # [DONE] seen, or the body ended
    _finished: bool  # only the tail of the body is left
    _closed: bool
    _idle_timeout: float | None
    _on_close: Callable[[], None] | None
    _scanner: SSEScanner
    _client_state: ResilienceState | None
    _quiet_ns: int
    _deadline_ns: int
    _total_timeout: float | None
    timings: Any

    @property
    def closed(self) -> bool:
        return self._closed

    def _clear_buffered(self) -> None:
        """Drop the events (or chunks) received but not handed out yet."""
        self._events = []
        self._index = 0

    def _set_limits(self, options: RequestOptions, state: ResilienceState) -> None:
        """The call's limits (before the first byte is scanned): one event's size, the wait
        for the next event, the whole stream's deadline; and the client, to tell when it closed.
        """
        self._client_state = state
        event = options.limits.sse_event
        if event is not None:
            self._scanner = SSEScanner(max_buffer=event)
        else:
            self._scanner = SSEScanner(max_buffer=1 << 62)
        timeout = options.timeout
        read = timeout.read if timeout.read is not None else timeout.total
        if read is not None:
            self._quiet_ns = int(read * 1e9)
        whole = options.total_stream_timeout
        if whole is not None:
            self._total_timeout = whole
            self._deadline_ns = self.timings.request_start + int(whole * 1e9)

    def _client_closed(self) -> bool:
        state = self._client_state
        return state is not None and state.closed

    async def _next_timed(self, waited: int) -> bytes:
        """The next network chunk within the idle timeout (counted from ``waited``, the
        perf_counter_ns when the wait for the next event began; 0: now) and the stream's
        total deadline; else ``APITimeoutError``."""
        now = time.perf_counter_ns()
        left = float("inf")
        why = ""
        idle = self._idle_timeout
        if idle is not None:
            left = idle - ((now - waited) / 1e9 if waited else 0.0)
            why = f"no event for {idle} s (stream_idle_timeout)"
        if self._deadline_ns and (self._deadline_ns - now) / 1e9 < left:
            left = (self._deadline_ns - now) / 1e9
            why = f"it did not end within stream_total_timeout ({self._total_timeout} s)"
        if left > 0:
            with anyio.move_on_after(left):
                return await self._iter.__anext__()
        await self._abort()
        raise APITimeoutError(
            f"the stream stalled: {why}; it was closed", request_id=self.request_id
        )

    async def _quiet_timeout(self) -> NoReturn:
        """Bytes kept coming for longer than the read timeout without completing an event."""
        await self._abort()
        raise APITimeoutError(
            f"the stream stalled: no event for {self._quiet_ns / 1e9:g} s (the read timeout), "
            "only bytes that complete none (keep-alive comments, or a trickle); it was closed",
            request_id=self.request_id,
        )

    def _scan_error(self, exc: SSEError) -> Exception:
        """The error for an event stream the scanner refused."""
        if isinstance(exc, SSETooLarge):
            return ResponseTooLargeError(
                "one event of the stream is larger than the client's limit; the stream was closed",
                limit=exc.limit,
                setting="ResponseLimits.sse_event",
                request_id=self.request_id,
            )
        return APIResponseValidationError(
            f"malformed event stream: {exc}", request_id=self.request_id
        )

    async def _next_within(self, seconds: float) -> bytes:
        """The next network chunk, or ``APITimeoutError`` after ``seconds`` of silence."""
        with anyio.move_on_after(seconds):
            return await self._iter.__anext__()
        await self._abort()
        raise APITimeoutError(
            f"the stream stalled: no data for {seconds} s (stream_idle_timeout)",
            request_id=self.request_id,
        )

    def _release_slot(self) -> None:
        on_close = self._on_close
        if on_close is not None:
            self._on_close = None
            on_close()

    # -- closing --------------------------------------------------------------------------------

    async def _release(self) -> None:
        """Normal end: read what is left of the body (normally nothing) and pool the connection."""
        if self._closed:
            return
        await self._drain_and_close()

    async def _abort(self) -> None:
        """Error or cancellation: close the connection (an HTTP/2 stream is reset)."""
        if self._closed:
            return
        self._closed = True
        self._done = True
        self._clear_buffered()  # nothing buffered is handed out after closing
        try:
            await self._raw.stream.aclose()
        finally:
            self._release_slot()

    async def _drain_and_close(self) -> None:
        self._closed = True
        self._clear_buffered()
        stream = self._raw.stream
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(DRAIN_SECONDS):
                drained = 0
                try:
                    async for part in self._iter:
                        drained += len(part)
                        if drained > DRAIN_LIMIT:
                            break
                except Exception:
                    pass
            try:
                await stream.aclose()
            finally:
                self._release_slot()

    async def aclose(self) -> None:
        """Release the response. Safe to call more than once, and from a cancelled task."""
        if self._closed:
            return
        if self._done or self._finished:
            # only the end of the body is left: keep the connection
            await self._drain_and_close()
        else:
            await self._abort()

    async def close(self) -> None:
        """Alias of :meth:`aclose` (the official SDK's async streams name it ``close``)."""
        await self.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and not self._closed:
            # an exception (cancellation included) is propagating: do not wait for anything
            await self._abort()
        else:
            await self.aclose()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self._raw.stream.abandon()
            try:
                self._release_slot()
            except Exception:  # pragma: no cover - a limiter that cannot be released here
                pass
            warnings.warn(
                f"a {self._kind} was garbage-collected without being closed; "
                "use `async with stream:`",
                ResourceWarning,
                stacklevel=1,
            )

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return (
            f"<{self._kind} {state} http_version={self._raw.http_version!r} "
            f"request_id={self.request_id!r}>"
        )
