"""Retry delays, the circuit breaker, and the state shared by the clients of one pool.

Theory of operation
-------------------
The pipeline (:mod:`groq_anyio._pipeline`) runs every call as: rate-limit wait -> circuit check
-> attempt -> (on a retryable failure) wait -> again. This module holds what those steps share:

* :class:`~groq_anyio._clock.Clock` (in its own module, below this one and the rate-limit
  tracker): ``now()`` and ``sleep()``. Every wait of the pipeline (retry backoff, rate-limit
  waits) and every instant of the breaker and the rate-limit tracker go through it, so a test can
  swap in a recording fake (``client._clock = fake``) and assert "waited 3 s" without sleeping.
* :class:`CircuitBreaker`: one per client (shared with its ``with_options`` copies and by all
  tasks). Rules:

  - CLOSED: attempts go through. Each failed attempt that says the service is unwell
    (connection error, timeout, 5xx, 408, 498; 429 only with ``count_rate_limits``) adds one
    to ``consecutive_failures``; any other outcome resets it. Reaching ``failure_threshold``
    opens the circuit.
  - OPEN: every call fails fast with :class:`~groq_anyio.CircuitOpenError`, without sending,
    until ``reset_timeout`` has passed since it opened; then the next call finds it HALF_OPEN.
  - HALF_OPEN: up to ``half_open_max_probes`` attempts may be in flight; others fail fast.
    ``success_threshold`` successful probes close the circuit; one failed probe opens it again.
    A probe cancelled before its outcome frees its place without counting.

  Each admission hands out a ticket (``epoch << 1 | is_probe``); every state change starts a new
  epoch, so outcomes of attempts admitted under an older state (a slow request that started
  while the circuit was closed and ends after it opened) change nothing.
* :class:`ResilienceState`: the clock, the breaker, the rate-limit tracker, the optional
  concurrency limiters, and the cancel scopes of the calls in flight (closing the client
  cancels them).
"""

from __future__ import annotations

import enum
import random
import re
import weakref
from typing import TYPE_CHECKING, Any, Final

import anyio
import anyio.lowlevel

from ._clock import Clock
from ._errors import APIConnectionError, APIError, APIStatusError, CircuitOpenError
from ._log import log_warning
from ._ratelimit import RateLimitTracker, parse_go_duration

if TYPE_CHECKING:
    from ._config import CircuitBreakerConfig, RetryPolicy
    from ._ratelimit import RateLimitSnapshot

__all__ = [
    "CLOSED",
    "HALF_OPEN",
    "OPEN",
    "CircuitBreaker",
    "CircuitState",
    "ResilienceState",
    "backoff_delay",
    "rate_limit_reset_after",
    "trips_breaker",
]


_TRY_AGAIN: Final = re.compile(r"try again in ([0-9][0-9.a-zµμ]*[a-zµμ])", re.IGNORECASE)


def backoff_delay(policy: RetryPolicy, retry_index: int) -> float:
    """The wait before retry ``retry_index`` (0-based) when the server named none."""
    try:
        delay = policy.initial_delay * policy.multiplier**retry_index
    except OverflowError:
        delay = policy.max_delay
    delay = min(delay, policy.max_delay)
    if policy.jitter:
        delay *= 1.0 - policy.jitter * random.random()
    return delay


def rate_limit_reset_after(
    error_type: str | None, message: str, snap: RateLimitSnapshot | None, now: float
) -> float | None:
    """For a 429 without ``retry-after``: seconds until the window that ran out resets.

    The window is the one the error names (Groq's ``type`` is ``requests`` or ``tokens``), else
    the one whose ``remaining`` is 0 (the later reset if both); failing that, Groq's message
    ("Please try again in 7.66s") is read.
    """
    if snap is not None:
        req = snap.requests_reset_in(now)
        tok = snap.tokens_reset_in(now)
        if error_type == "requests" and req is not None:
            return req
        if error_type == "tokens" and tok is not None:
            return tok
        waits = []
        if snap.remaining_requests == 0 and req is not None:
            waits.append(req)
        if snap.remaining_tokens == 0 and tok is not None:
            waits.append(tok)
        if waits:
            return max(waits)
    match = _TRY_AGAIN.search(message)
    if match is not None:
        seconds = parse_go_duration(match[1].rstrip("."))
        if seconds is not None and seconds >= 0.0:
            return seconds
    return None


def trips_breaker(error: APIError, count_rate_limits: bool) -> bool:
    """Whether a failed attempt counts against the circuit breaker."""
    if not error.retryable:
        return False
    if isinstance(error, APIConnectionError):
        return True
    if isinstance(error, APIStatusError):
        status = error.status_code or 0
        if status == 429:
            return count_rate_limits
        return status >= 500 or status == 408 or status == 498
    return False


class CircuitState(enum.StrEnum):
    """The circuit breaker's state (see :class:`CircuitBreaker`)."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


#: the states as module constants (a global lookup on the hot path; the pipeline reads them too)
CLOSED: Final = CircuitState.CLOSED
OPEN: Final = CircuitState.OPEN
HALF_OPEN: Final = CircuitState.HALF_OPEN


class CircuitBreaker:
    """Closed -> open after consecutive failures -> half-open probes -> closed.

    Read ``state``, ``consecutive_failures``, ``opened_at`` and ``retry_after``; ``reset()``
    closes it by hand. See the module docstring for the rules.
    """

    __slots__ = (
        "config",
        "clock",
        "_state",
        "_failures",
        "_opened_at",
        "_epoch",
        "_ticket",
        "_probes",
        "_successes",
    )

    def __init__(self, config: CircuitBreakerConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock if clock is not None else Clock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at: float | None = None
        self._epoch = 0
        self._ticket = 0  # the ticket of a plain (non-probe) admission in this epoch
        self._probes = 0
        self._successes = 0

    # -- reading --------------------------------------------------------------------------------

    @property
    def state(self) -> CircuitState:
        """The current state (an open circuit whose ``reset_timeout`` passed reads half-open)."""
        if self._state is OPEN and self.retry_after <= 0.0:
            self._to(HALF_OPEN)
        return self._state

    @property
    def consecutive_failures(self) -> int:
        """Failed attempts counted since the last success (the circuit opens at
        ``failure_threshold``)."""
        return self._failures

    @property
    def opened_at(self) -> float | None:
        """The clock's ``now()`` when the circuit last opened (``None``: never)."""
        return self._opened_at

    @property
    def retry_after(self) -> float:
        """Seconds until an open circuit lets probes through (0 when not open)."""
        if self._state is not OPEN or self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.config.reset_timeout - self.clock.now())

    def __repr__(self) -> str:
        return (
            f"CircuitBreaker(state={self.state.value!r}, "
            f"consecutive_failures={self._failures}, retry_after={self.retry_after:.3f})"
        )

    # -- the pipeline's side --------------------------------------------------------------------

    def admit(self) -> int:
        """Let an attempt through (returns its ticket) or raise :class:`CircuitOpenError`."""
        state = self._state
        if state is CLOSED:
            return self._ticket
        if state is OPEN:
            if self.retry_after > 0.0:
                raise self.open_error()
            self._to(HALF_OPEN)
        if self._probes >= self.config.half_open_max_probes:
            raise CircuitOpenError(
                "The circuit breaker is half-open and its probe requests are in flight: "
                "failing fast until they succeed",
                retry_after=0.0,
                failures=self._failures,
                state=HALF_OPEN.value,
            )
        self._probes += 1
        return self._ticket | 1

    def open_error(self) -> CircuitOpenError:
        """The error a call gets while the circuit is open."""
        wait = self.retry_after
        return CircuitOpenError(
            f"The circuit breaker is open after {self._failures} consecutive failures: "
            f"failing fast for another {wait:.3f} s",
            retry_after=wait,
            failures=self._failures,
            state=OPEN.value,
        )

    def record(self, ticket: int, failed: bool) -> None:
        """The outcome of an admitted attempt."""
        if ticket >> 1 != self._epoch:
            return  # admitted under an earlier state
        if ticket & 1:
            self._probes -= 1
            if failed:
                self._failures += 1
                self._open()
            else:
                self._successes += 1
                if self._successes >= self.config.success_threshold:
                    self._to(CLOSED)
        elif failed:
            self._failures += 1
            if self._failures >= self.config.failure_threshold:
                self._open()
        else:
            self._failures = 0

    def release(self, ticket: int) -> None:
        """An admitted attempt ended without an outcome (cancelled)."""
        if ticket & 1 and ticket >> 1 == self._epoch:
            self._probes -= 1

    def reset(self) -> None:
        """Close the circuit now and forget the failures."""
        self._to(CLOSED)

    # -- transitions ----------------------------------------------------------------------------

    def _open(self) -> None:
        self._opened_at = self.clock.now()
        self._to(OPEN)
        log_warning(
            "circuit breaker opened after %d consecutive failures; failing fast for %s s",
            self._failures,
            self.config.reset_timeout,
        )

    def _to(self, state: CircuitState) -> None:
        self._state = state
        self._epoch += 1
        self._ticket = self._epoch << 1
        self._probes = 0
        self._successes = 0
        if state is CLOSED:
            self._failures = 0


class ResilienceState:
    """What a client and its ``with_options`` copies share besides the connection pool."""

    __slots__ = (
        "_clock",
        "breaker",
        "limits",
        "rate_limit_wait",
        "max_concurrent_requests",
        "max_open_streams",
        "_request_limiter",
        "_stream_limiter",
        "scopes",
        "streams",
        "closed",
        "_drained",
    )

    def __init__(
        self,
        *,
        breaker: CircuitBreakerConfig | None,
        rate_limit_wait: bool = True,
        rate_limit_throttle: float | None = None,
        max_concurrent_requests: int | None = None,
        max_open_streams: int | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._clock = clock if clock is not None else Clock()
        self.breaker = CircuitBreaker(breaker, self._clock) if breaker is not None else None
        self.limits = RateLimitTracker(rate_limit_throttle)
        self.rate_limit_wait = rate_limit_wait
        self.max_concurrent_requests = max_concurrent_requests
        self.max_open_streams = max_open_streams
        #: (the event loop it belongs to, the limiter)
        self._request_limiter: tuple[object, anyio.CapacityLimiter] | None = None
        self._stream_limiter: tuple[object, anyio.CapacityLimiter] | None = None
        #: cancel scopes of the calls in flight (cancelled when the client closes)
        self.scopes: set[anyio.CancelScope] = set()
        #: the streams handed out (closing the client closes those still open)
        self.streams: weakref.WeakSet[Any] = weakref.WeakSet()
        self.closed = False
        self._drained: anyio.Event | None = None

    @property
    def clock(self) -> Clock:
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = clock
        if self.breaker is not None:
            self.breaker.clock = clock

    def request_limiter(self) -> anyio.CapacityLimiter | None:
        """The limiter of requests in flight (built on first use, inside the event loop; a
        client used in another event loop gets a new one there, as it gets new connections)."""
        if self.max_concurrent_requests is None:
            return None
        token, limiter = self._request_limiter or (None, None)
        current = _loop_token()
        if limiter is None or token is not current:
            limiter = anyio.CapacityLimiter(self.max_concurrent_requests)
            self._request_limiter = (current, limiter)
        return limiter

    def stream_limiter(self) -> anyio.CapacityLimiter | None:
        """The limiter of open streams (built on first use, per event loop)."""
        if self.max_open_streams is None:
            return None
        token, limiter = self._stream_limiter or (None, None)
        current = _loop_token()
        if limiter is None or token is not current:
            limiter = anyio.CapacityLimiter(self.max_open_streams)
            self._stream_limiter = (current, limiter)
        return limiter

    async def close(self, grace: float = 1.0) -> None:
        """The client is closing: cancel every call in flight and wait (at most ``grace``
        seconds, shielded) until they have let go of their connections."""
        self.closed = True
        streams = [s for s in self.streams if not s.closed]
        if streams:
            # a task reading one of them wakes with ClientClosedError (see SSEStreamBase)
            with anyio.CancelScope(shield=True), anyio.move_on_after(grace):
                for stream in streams:
                    try:
                        await stream._abort()
                    except Exception:  # (an HTTP/2 body being read in another task cannot
                        pass  # be closed from here: closing the pool then ends it)
        if not self.scopes:
            return
        drained = self._drained = anyio.Event()
        for scope in list(self.scopes):
            scope.cancel()
        with anyio.CancelScope(shield=True), anyio.move_on_after(grace):
            await drained.wait()

    def call_ended(self) -> None:
        """A call in flight during ``close()`` has finished unwinding."""
        if not self.scopes and self._drained is not None:
            self._drained.set()


def _loop_token() -> object:
    """The running event loop's identity (the transport's; imported once a client exists)."""
    from ._transport._backends import loop_token

    return loop_token()
