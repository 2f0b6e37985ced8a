"""The request pipeline: deadline -> (rate-limit wait -> circuit check -> attempt -> retry)*.

Theory of operation
-------------------
:func:`send_request` runs one call under one cancel scope whose deadline is the call's
``timeout`` (the total: waits and retries included). The scope is registered with the client's
:class:`~groq_anyio._resilience.ResilienceState`, so closing the client cancels the call (it then
raises :class:`ClientClosedError`). Inside it, each attempt:

1. waits while the rate-limit tracker says nothing is left (FIFO, cancellable), or raises
   :class:`RateLimitError` at once if that wait is longer than the retry policy's
   ``max_retry_after`` or than what is left of the deadline;
2. asks the circuit breaker (:class:`CircuitOpenError` when open);
3. takes a slot of ``max_concurrent_requests`` if set, sends, and records the response's
   rate-limit headers;
4. on success returns: the body read (``read_body``), or the stream built by ``open_stream``
   *after its first event is in* (so a stream that fails before anything reached the caller is
   retried like any request; once ``create()`` has returned, a stream is never retried), or
   the unread response;
5. on failure maps it to the exception tree, tells the breaker, and if the error is retryable
   and retries remain, waits (the server's ``retry-after-ms`` / ``retry-after`` / 429 reset, else
   jittered exponential backoff) and goes round again. A wait longer than ``max_retry_after`` or
   than the rest of the deadline is not taken: the error is raised at once.

Cancellation from outside (the caller's own cancel scope) always propagates as is: it is never
retried, never turned into ``APITimeoutError``, and never counted by the breaker.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import AsyncIterable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Final, Protocol

import anyio
import msgspec

from ._config import (
    DEFAULT_RESPONSE_LIMITS,
    DEFAULT_RETRY,
    RedactedBytes,
    ResponseLimits,
    RetryPolicy,
    Timeout,
)
from ._decode_errors import DECODE_ERRORS
from ._errors import (
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    CircuitOpenError,
    ClientClosedError,
    RateLimitError,
    ResponseTooLargeError,
    make_status_error,
)
from ._log import HTTP, RESILIENCE, log_warning
from ._ratelimit import MAX_SERVER_WAIT
from ._resilience import (
    CLOSED,
    OPEN,
    ResilienceState,
    backoff_delay,
    rate_limit_reset_after,
    trips_breaker,
)
from ._timings import Timings

if TYPE_CHECKING:
    from ._ratelimit import RateLimitSnapshot
    from ._telemetry._call import Call, Instrument
    from ._transport import RawResponse, Transport

__all__ = [
    "OpenStream",
    "PrimedStream",
    "RequestOptions",
    "retry_after_seconds",
    "send_request",
]

ERROR_BODY_LIMIT: Final = 1 << 20

_json_decode = msgspec.json.decode
_now_ns = time.perf_counter_ns
_current_time = anyio.current_time
_CancelScope = anyio.CancelScope

_BODYLESS = frozenset({b"GET", b"DELETE", b"HEAD"})
_RETRY_COUNT: Final = b"x-stainless-retry-count"


class RequestOptions(msgspec.Struct, frozen=True):
    """Per-call settings after merging the client's with the call's."""

    timeout: Timeout
    max_retries: int
    extra_headers: tuple[tuple[bytes, bytes], ...] = ()
    extra_query: tuple[tuple[str, Any], ...] = ()
    retry: RetryPolicy = DEFAULT_RETRY
    first_chunk_timeout: float | None = None
    idle_timeout: float | None = None
    #: a stream's whole life, from the call's start (None: no limit)
    total_stream_timeout: float | None = None
    limits: ResponseLimits = DEFAULT_RESPONSE_LIMITS
    #: whether a chat stream keeps what get_final_completion() needs
    accumulate: bool = True


class PrimedStream(Protocol):
    """What ``open_stream`` builds: a stream that takes the call's limits (``_configure``), can
    read ahead to its first event, then bounds each later read by ``_idle_timeout`` and calls
    ``_on_close`` (once) when closed."""

    _idle_timeout: float | None
    _on_close: Callable[[], None] | None

    def _configure(self, options: RequestOptions, state: ResilienceState) -> None: ...

    async def _prime(self, retry_in_band: bool = True) -> None: ...

    async def aclose(self) -> None: ...


OpenStream = Callable[["RawResponse", Timings], PrimedStream]


def retry_after_seconds(headers: dict[str, str]) -> float | None:
    """The wait the server asked for: ``retry-after-ms``, or ``retry-after`` (seconds or a date).

    A value that is negative, not a number, or longer than ``MAX_SERVER_WAIT`` (a day) is not
    one: it is ignored, as if absent (an absurd wait must not stop the client's calls)."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms) / 1000.0
            if 0 <= value <= MAX_SERVER_WAIT:
                return value
        except ValueError:
            pass
    ra = headers.get("retry-after")
    if ra is None:
        return None
    try:
        value = float(ra)
        return value if 0 <= value <= MAX_SERVER_WAIT else None
    except ValueError:
        pass
    try:
        import email.utils  # rare (an HTTP date); not worth its import time up front

        when = email.utils.parsedate_to_datetime(ra)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        value = max(0.0, when.timestamp() - time.time())
    except (OverflowError, OSError, ValueError):
        return None
    return value if value <= MAX_SERVER_WAIT else None


_MASK: Final = b"<redacted>"


def _credentials(sent: Iterable[tuple[bytes, bytes]]) -> list[bytes]:
    """The credentials a request carried: its ``RedactedBytes`` header values (the
    ``Authorization`` header, a custom ``api_key``'s headers) and their bearer tokens."""
    found: list[bytes] = []
    for _, value in sent:
        if isinstance(value, RedactedBytes):
            plain = bytes(value)
            if plain[:7].lower() == b"bearer ":
                plain = plain[7:].strip()
            if len(plain) >= 8:
                found.append(plain)
    return found


def _scrub(
    body: bytes, headers: dict[str, str], sent: Iterable[tuple[bytes, bytes]]
) -> tuple[bytes, dict[str, str]]:
    """``body`` and ``headers`` of an error response with the request's own credentials masked
    (a server or proxy that echoes the ``Authorization`` value in a 401 message or a header):
    everything the exception is built from, so its message, ``body``, ``headers``,
    ``response`` and its pickle never show the key. The key is only a local of this
    function, which does not raise, so no traceback frame keeps it."""
    secrets = _credentials(sent)
    if not secrets:
        return body, headers
    for secret in secrets:
        if secret in body:
            body = body.replace(secret, _MASK)
    text = [s.decode("latin-1") for s in secrets]
    masked: dict[str, str] | None = None
    for name, value in headers.items():
        for t in text:
            if t in value:
                if masked is None:
                    masked = dict(headers)
                value = masked[name] = value.replace(t, "<redacted>")
    return body, headers if masked is None else masked


async def error_from_response(
    raw: RawResponse,
    snap: RateLimitSnapshot | None = None,
    now: float | None = None,
    limit: int | None = ERROR_BODY_LIMIT,
    sent: Iterable[tuple[bytes, bytes]] = (),
) -> APIStatusError:
    """Read an error response (at most ``limit`` bytes) and build its exception. Closes the
    response: a longer body is not kept (the error says so, and its connection is closed).

    ``sent`` are the request's headers: any credential in them is masked in what the
    exception shows (see :func:`_scrub`). A redirect (3xx) becomes an
    :class:`~groq_anyio.UnexpectedRedirectError` naming the status and the ``Location``.
    """
    too_large: ResponseTooLargeError | None = None
    try:
        body_bytes = await raw.read(limit)
    except ResponseTooLargeError as exc:
        body_bytes = b""
        too_large = exc
    except APIError:
        body_bytes = b""
    body_bytes, headers = _scrub(body_bytes, raw.headers, sent)
    body: Any = None
    try:
        body = _json_decode(body_bytes) if body_bytes else None
    except DECODE_ERRORS:
        body = None
    retry_after = retry_after_seconds(headers)
    err = make_status_error(
        raw.status,
        body,
        headers=headers,
        raw_text=(
            body_bytes.decode("utf-8", "replace")
            if too_large is None
            else f"HTTP {raw.status}; the error body was not read: {too_large}"
        )
        if body is None
        else None,
        retry_after=retry_after,
    )
    if too_large is not None:
        err.__cause__ = too_large
    err._content = body_bytes
    if retry_after is None and raw.status == 429:
        err.retry_after = rate_limit_reset_after(
            err.type, err.message, snap, time.monotonic() if now is None else now
        )
    return err


async def _attempt(
    transport: Transport,
    method: bytes,
    url: Any,
    headers: list[tuple[bytes, bytes]],
    body: bytes | AsyncIterable[bytes],
    options: RequestOptions,
    timings: Timings,
    state: ResilienceState,
    read_body: bool,
    open_stream: OpenStream | None,
    on_close: Callable[[], None] | None,
    can_retry: bool,
    call: Call | None,
) -> tuple[RawResponse, Any]:
    """One attempt: the response and its body / primed stream, or an ``APIError``."""
    raw = await transport.send(method, url, headers, body, options.timeout)
    timings.response_headers = _now_ns()
    timings.request_sent = raw.sent_ns
    clock = state._clock
    snap = state.limits.observe(raw.raw_headers, clock.now())
    if call is not None:
        await call.received(raw)  # (response hooks; it closes the response if one raises)
    if raw.status >= 300:  # (redirects are not followed: an error naming the Location)
        raise await error_from_response(raw, snap, clock.now(), options.limits.error_body, headers)
    if open_stream is not None:
        stream = open_stream(raw, timings)
        try:
            stream._configure(options, state)
            await stream._prime(can_retry)
        except BaseException:
            await stream.aclose()
            raise
        stream._idle_timeout = options.idle_timeout
        # from here on the stream owns the open-stream slot, if there is one
        stream._on_close = on_close
        state.streams.add(stream)  # (closing the client closes it)
        return raw, stream
    if read_body:
        data = await raw.read(options.limits.json_body)
        timings.first_chunk = timings.last_chunk = _now_ns()
        return raw, data
    return raw, None


async def _attempt_within(
    seconds: float,
    transport: Transport,
    method: bytes,
    url: Any,
    headers: list[tuple[bytes, bytes]],
    body: bytes | AsyncIterable[bytes],
    options: RequestOptions,
    timings: Timings,
    state: ResilienceState,
    read_body: bool,
    open_stream: OpenStream | None,
    on_close: Callable[[], None] | None,
    can_retry: bool,
    call: Call | None,
) -> tuple[RawResponse, Any]:
    """A stream attempt that must deliver its first event within ``seconds``."""
    with anyio.move_on_after(seconds) as scope:
        return await _attempt(
            transport,
            method,
            url,
            headers,
            body,
            options,
            timings,
            state,
            read_body,
            open_stream,
            on_close,
            can_retry,
            call,
        )
    assert scope.cancelled_caught
    raise APITimeoutError(
        f"No stream event within the first-chunk timeout ({seconds} s); the stream was closed"
    )


async def send_request(
    transport: Transport,
    *,
    method: bytes,
    path: str,
    body: bytes | AsyncIterable[bytes],
    content_type: bytes | None,
    accept: bytes,
    options: RequestOptions,
    timings: Timings,
    read_body: bool,
    state: ResilienceState,
    replayable: bool = True,
    content_length: int | None = None,
    open_stream: OpenStream | None = None,
    instrument: Instrument | None = None,
) -> tuple[RawResponse, Any]:
    """Send with rate-limit waits, the circuit breaker and retries, under the call's deadline.

    Returns the 2xx response and, with ``read_body``, its whole body (the connection is then
    already back in the pool); with ``open_stream``, the stream it built, primed with its first
    event. Otherwise the body is left to the caller and the deadline stops at the headers.
    """
    url = transport.url(path, dict(options.extra_query) if options.extra_query else None)
    length = len(body) if isinstance(body, bytes) else content_length
    if length == 0 and method in _BODYLESS:
        length = None  # a GET/DELETE carries no framing headers, as browsers and the SDK do
    extra = options.extra_headers
    headers = transport.headers(content_type, accept, length, extra)
    # the attempt number, as the official SDK sends it (0 first; not if the caller set it)
    count_at = len(headers)
    if extra and any(name.lower() == _RETRY_COUNT for name, _ in extra):
        count_at = -1
    else:
        headers.append((_RETRY_COUNT, b"0"))
    max_retries = options.max_retries if replayable else 0
    total = options.timeout.total
    if open_stream is not None:
        whole = options.total_stream_timeout
        if whole is not None and (total is None or whole < total):
            total = whole  # the first event, too, must come within the stream's whole time
    breaker = state.breaker
    limits = state.limits
    attempt = 0
    ticket = 0
    error: APIError | None = None
    on_close: Callable[[], None] | None = None
    stream_slot: object = None
    first_chunk = options.first_chunk_timeout if open_stream is not None else None
    call = (
        None
        if instrument is None
        else instrument.start(method, path, url, body, open_stream is not None, state)
    )
    scope = _CancelScope(deadline=math.inf if total is None else _current_time() + total)
    scopes = state.scopes
    scopes.add(scope)
    try:
        with scope:
            if open_stream is not None and state.max_open_streams is not None:
                stream_limiter = state.stream_limiter()
                assert stream_limiter is not None
                stream_slot = object()
                await stream_limiter.acquire_on_behalf_of(stream_slot)
                on_close = functools.partial(stream_limiter.release_on_behalf_of, stream_slot)

            while True:
                if limits.gated and state.rate_limit_wait:
                    try:
                        await limits.wait(
                            state._clock, options.retry.max_retry_after, scope.deadline
                        )
                    except RateLimitError as exc:
                        exc.attempts = attempt
                        _warn_rate_limited(exc, method, path)
                        raise
                if breaker is not None:
                    if breaker._state is CLOSED:
                        ticket = breaker._ticket
                    else:
                        try:
                            ticket = breaker.admit()
                        except CircuitOpenError as exc:
                            exc.attempts = attempt
                            raise exc from error
                attempt += 1
                if attempt > 1 and count_at >= 0:
                    headers[count_at] = (_RETRY_COUNT, b"%d" % (attempt - 1))
                limiter = None
                borrower: object = None
                if state.max_concurrent_requests is not None:
                    limiter = state.request_limiter()
                    assert limiter is not None
                    borrower = object()
                    try:
                        await limiter.acquire_on_behalf_of(borrower)
                    except BaseException:
                        if breaker is not None:
                            breaker.release(ticket)
                        raise
                try:
                    # (auth headers and request hooks, when the client has them)
                    sent = headers if call is None else await call.before_attempt(attempt, headers)
                    if first_chunk is None:
                        raw, result = await _attempt(
                            transport,
                            method,
                            url,
                            sent,
                            body,
                            options,
                            timings,
                            state,
                            read_body,
                            open_stream,
                            on_close,
                            attempt <= max_retries,
                            call,
                        )
                    else:
                        raw, result = await _attempt_within(
                            first_chunk,
                            transport,
                            method,
                            url,
                            sent,
                            body,
                            options,
                            timings,
                            state,
                            read_body,
                            open_stream,
                            on_close,
                            attempt <= max_retries,
                            call,
                        )
                except APIError as exc:
                    error = exc
                except BaseException as exc:
                    if call is not None:
                        call.attempt_failed(exc)
                    if breaker is not None:
                        if scope.cancel_called and not state.closed:
                            # our deadline ran out mid-attempt: the service was too slow
                            breaker.record(ticket, True)
                        else:
                            breaker.release(ticket)
                    raise
                else:
                    if breaker is not None and (ticket & 1 or breaker._failures):
                        breaker.record(ticket, False)
                    timings.attempts = attempt
                    stream_slot = None  # the stream releases it when it closes
                    if call is not None:
                        call.succeeded(raw, result)
                    return raw, result
                finally:
                    if limiter is not None:
                        limiter.release_on_behalf_of(borrower)
                error.attempts = attempt
                if call is not None:
                    call.attempt_failed(error)
                if isinstance(error, AuthenticationError):
                    _warn_unauthorized(error, method, path)
                if breaker is not None:
                    breaker.record(ticket, trips_breaker(error, breaker.config.count_rate_limits))
                    if breaker._state is OPEN and error.retryable and attempt <= max_retries:
                        # this failure (or another task's) opened the circuit: stop retrying
                        opened = breaker.open_error()
                        opened.attempts = attempt
                        raise opened from error
                if (
                    isinstance(error, RateLimitError)
                    and error.retry_after is not None
                    and state.rate_limit_wait
                ):
                    # hold back the client's other new calls too, instead of sending them to fail
                    # (retry_after is never above MAX_SERVER_WAIT: absurd values are dropped)
                    limits.block(state._clock.now() + error.retry_after)
                if not error.retryable or attempt > max_retries or state.closed:
                    if isinstance(error, RateLimitError):
                        _warn_rate_limited(error, method, path)
                    raise error
                delay = _retry_delay(options.retry, attempt - 1, error, scope.deadline)
                if delay is None:
                    if isinstance(error, RateLimitError):
                        _warn_rate_limited(error, method, path)
                    raise error
                _warn_retry(error, method, path, delay, attempt, max_retries + 1)
                if call is not None:
                    call.retrying(error, delay)
                await state._clock.sleep(delay)
    except APIError as exc:
        if state.closed:
            closed = ClientClosedError("the client was closed while the request was in flight")
            if call is not None:
                call.failed(closed)
            raise closed from exc
        if call is not None:
            call.failed(exc)
        raise
    except BaseException as exc:  # a cancellation from outside, or a hook's own error
        if call is not None:
            call.failed(exc)
        raise
    finally:
        scopes.discard(scope)
        if stream_slot is not None and on_close is not None:
            on_close()
        if state.closed:
            state.call_ended()
    # only reached when our own scope caught the cancellation: the deadline, or aclose()
    if state.closed:
        closed = ClientClosedError("the client was closed while the request was in flight")
        if call is not None:
            call.failed(closed)
        raise closed
    timeout_error = APITimeoutError(
        f"Request timed out: no complete answer within the {total} s deadline"
    )
    timeout_error.attempts = attempt
    if call is not None:
        call.failed(timeout_error)
    raise timeout_error from None


# -- WARNING lines (rare paths: logging is imported only when one is written) -------------------


def _warn_retry(
    error: APIError, method: bytes, path: str, delay: float, attempt: int, attempts: int
) -> None:
    from ._telemetry._call import error_reason

    reason = error_reason(error)
    log_warning(
        "retrying %s %s in %.3f s (attempt %d of %d failed: %s, %s)",
        method.decode(),
        path,
        delay,
        attempt,
        attempts,
        type(error).__name__,
        reason,
        logger=RESILIENCE,
        extra={
            "groq_method": method.decode(),
            "groq_path": path,
            "groq_attempt": attempt,
            "groq_max_attempts": attempts,
            "groq_retry_delay_s": round(delay, 6),
            "groq_error_type": type(error).__name__,
            "groq_reason": reason,
            "groq_request_id": getattr(error, "request_id", None),
        },
    )


def _warn_rate_limited(error: RateLimitError, method: bytes, path: str) -> None:
    log_warning(
        "rate limit exhausted for %s %s: %s (retry after %s s)",
        method.decode(),
        path,
        error.message,
        None if error.retry_after is None else round(error.retry_after, 3),
        logger=RESILIENCE,
        extra={
            "groq_method": method.decode(),
            "groq_path": path,
            "groq_retry_after_s": error.retry_after,
            "groq_request_id": error.request_id,
            "groq_attempts": error.attempts,
        },
    )


def _warn_unauthorized(error: APIStatusError, method: bytes, path: str) -> None:
    # the key is never shown, not even in part: only that it was refused
    log_warning(
        "401 Unauthorized for %s %s: the API key was refused (request id %s)",
        method.decode(),
        path,
        error.request_id,
        logger=HTTP,
        extra={
            "groq_method": method.decode(),
            "groq_path": path,
            "groq_status": 401,
            "groq_request_id": error.request_id,
        },
    )


def _retry_delay(
    policy: RetryPolicy, retry_index: int, error: APIError, deadline: float
) -> float | None:
    """The wait before the next attempt, or ``None``: do not retry (raise ``error`` now).

    ``deadline`` is the call's own (anyio's clock); a caller's outer scope is not consulted,
    so its cancellation is never turned into an early error.
    """
    asked = error.retry_after if isinstance(error, APIStatusError) else None
    if asked is not None:
        if asked > policy.max_retry_after:
            return None  # the server wants a longer pause than we will sit through: say so now
        delay = asked
    else:
        delay = backoff_delay(policy, retry_index)
    if deadline != math.inf and delay > deadline - _current_time():
        return None  # the deadline would pass while waiting: the error is more useful now
    return delay


def merge_headers(
    base: tuple[tuple[bytes, bytes], ...], extra: Iterable[tuple[str, str]] | None
) -> tuple[tuple[bytes, bytes], ...]:
    if not extra:
        return base
    return base + tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in extra)
