"""Groq's rate-limit headers: parsing, the per-client snapshot, and the wait before sending.

Every Groq response carries six headers::

    x-ratelimit-limit-requests: 14400        x-ratelimit-limit-tokens: 18000
    x-ratelimit-remaining-requests: 14370    x-ratelimit-remaining-tokens: 17997
    x-ratelimit-reset-requests: 2m59.56s     x-ratelimit-reset-tokens: 7.66s

The reset values are Go durations (``time.Duration.String()``), relative to when the response
was produced. :func:`parse_raw_rate_limits` reads them from the raw header list in one pass (it
runs on every response, so it builds no dict) into a :class:`RateLimitSnapshot` whose reset
instants are absolute monotonic seconds. A malformed value leaves its field ``None``; nothing in
here raises on bad input.

:class:`RateLimitTracker` keeps a client's latest snapshot. When it says no request or no token
is left (or a 429 said to wait), new calls queue in FIFO order, each cancellable, until the
reset instant, instead of being sent only to get a 429. With a throttle fraction set, calls are
also spaced out once less than that fraction of the limit remains, so what is left lasts until
the reset.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Final

import anyio
import msgspec

from ._errors import RateLimitError

if TYPE_CHECKING:
    from ._resilience import Clock

__all__ = [
    "RateLimitSnapshot",
    "RateLimitTracker",
    "parse_go_duration",
    "parse_rate_limits",
    "parse_raw_rate_limits",
]

_UNIT_SECONDS: Final[dict[str, float]] = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,  # micro sign
    "\u03bcs": 1e-6,  # Greek small letter mu
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_NUMBER: Final = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_UNIT: Final = "(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h)"
_DURATION: Final = re.compile(rf"[-+]?(?:{_NUMBER}{_UNIT})+", re.ASCII)
_PART: Final = re.compile(rf"({_NUMBER})({_UNIT})", re.ASCII)
_SIMPLE: Final = re.compile(r"([0-9]+(?:\.[0-9]*)?)(ms|s)", re.ASCII)

# header name -> slot in the parse pass (0-3 ints, 4-5 durations)
_FIELDS: Final[dict[bytes, int]] = {
    b"x-ratelimit-limit-requests": 0,
    b"x-ratelimit-limit-tokens": 1,
    b"x-ratelimit-remaining-requests": 2,
    b"x-ratelimit-remaining-tokens": 3,
    b"x-ratelimit-reset-requests": 4,
    b"x-ratelimit-reset-tokens": 5,
}
_NAMES: Final = tuple(name.decode() for name in _FIELDS)


def parse_go_duration(text: str) -> float | None:
    """Seconds in a Go duration string (``2m59.56s``, ``7.66s``, ``547ms``, ``1h2m3s``,
    ``250us``, ``-1.5h``, ``0``), or ``None`` if ``text`` is not one.

    Follows Go's ``time.ParseDuration``: an optional sign, then one or more decimal numbers
    each with a unit (``ns``, ``us``/``µs``, ``ms``, ``s``, ``m``, ``h``); a bare ``0`` is
    allowed; no spaces.
    """
    if not isinstance(text, str):
        return None  # type: ignore[unreachable]
    match = _SIMPLE.fullmatch(text)
    if match is not None:  # the common shapes: "7.66s", "547ms"
        value = float(match[1])
        return value / 1000.0 if match[2] == "ms" else value
    if text in ("0", "+0", "-0"):
        return 0.0
    if _DURATION.fullmatch(text) is None:
        return None
    total = 0.0
    for number, unit in _PART.findall(text):
        total += float(number) * _UNIT_SECONDS[unit]
    if not math.isfinite(total):
        return None
    return -total if text[0] == "-" else total


def _reset_seconds(text: str) -> float | None:
    """A reset value: a Go duration, or (leniently) a plain number of seconds; never < 0."""
    text = text.strip()
    seconds = parse_go_duration(text)
    if seconds is None:
        try:
            seconds = float(text)
        except ValueError:
            return None
        if not math.isfinite(seconds):
            return None
    return seconds if seconds > 0.0 else 0.0


def _count(value: bytes | str) -> int | None:
    try:
        number = int(value)
    except ValueError:
        try:
            real = float(value)
        except ValueError:
            return None
        if not math.isfinite(real) or real != int(real):
            return None
        number = int(real)
    return number if number >= 0 else None


class RateLimitSnapshot(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The rate-limit headers of the latest response (``None``: absent or malformed).

    ``reset_requests`` / ``reset_tokens`` are the instants (monotonic seconds, the clock of
    ``time.monotonic()``) when the window resets; ``*_raw`` are the header values as sent.
    ``updated_at`` is the monotonic instant the response was received.
    """

    limit_requests: int | None = None
    limit_tokens: int | None = None
    remaining_requests: int | None = None
    remaining_tokens: int | None = None
    reset_requests: float | None = None
    reset_tokens: float | None = None
    reset_requests_raw: str | None = None
    reset_tokens_raw: str | None = None
    updated_at: float = 0.0

    def requests_reset_in(self, now: float | None = None) -> float | None:
        """Seconds until the request window resets (0 if it already has), or ``None``."""
        if self.reset_requests is None:
            return None
        return max(0.0, self.reset_requests - (time.monotonic() if now is None else now))

    def tokens_reset_in(self, now: float | None = None) -> float | None:
        """Seconds until the token window resets (0 if it already has), or ``None``."""
        if self.reset_tokens is None:
            return None
        return max(0.0, self.reset_tokens - (time.monotonic() if now is None else now))


def _snapshot(values: list[bytes | str | None], now: float) -> RateLimitSnapshot:
    limit_r, limit_t, rem_r, rem_t, reset_r, reset_t = values
    try:  # the common case, without helper calls (this runs on every response)
        lim_r = None if limit_r is None else int(limit_r)
        lim_t = None if limit_t is None else int(limit_t)
        left_r = None if rem_r is None else int(rem_r)
        left_t = None if rem_t is None else int(rem_t)
        if (
            (lim_r is not None and lim_r < 0)
            or (lim_t is not None and lim_t < 0)
            or (left_r is not None and left_r < 0)
            or (left_t is not None and left_t < 0)
        ):
            raise ValueError
    except ValueError:
        lim_r = None if limit_r is None else _count(limit_r)
        lim_t = None if limit_t is None else _count(limit_t)
        left_r = None if rem_r is None else _count(rem_r)
        left_t = None if rem_t is None else _count(rem_t)
    raw_r = raw_t = None
    at_r = at_t = None
    seconds: float | None
    if reset_r is not None:
        raw_r = reset_r.decode("latin-1") if isinstance(reset_r, bytes) else reset_r
        match = _SIMPLE.fullmatch(raw_r)  # "7.66s", "547ms": no helper call
        if match is not None:
            seconds = float(match[1]) / 1000.0 if match[2] == "ms" else float(match[1])
        else:
            seconds = parse_go_duration(raw_r)
        if seconds is None or seconds < 0.0:
            seconds = _reset_seconds(raw_r)
        if seconds is not None:
            at_r = now + seconds
    if reset_t is not None:
        raw_t = reset_t.decode("latin-1") if isinstance(reset_t, bytes) else reset_t
        match = _SIMPLE.fullmatch(raw_t)  # "7.66s", "547ms": no helper call
        if match is not None:
            seconds = float(match[1]) / 1000.0 if match[2] == "ms" else float(match[1])
        else:
            seconds = parse_go_duration(raw_t)
        if seconds is None or seconds < 0.0:
            seconds = _reset_seconds(raw_t)
        if seconds is not None:
            at_t = now + seconds
    return RateLimitSnapshot(
        limit_requests=lim_r,
        limit_tokens=lim_t,
        remaining_requests=left_r,
        remaining_tokens=left_t,
        reset_requests=at_r,
        reset_tokens=at_t,
        reset_requests_raw=raw_r,
        reset_tokens_raw=raw_t,
        updated_at=now,
    )


def parse_raw_rate_limits(
    raw_headers: Iterable[tuple[bytes, bytes]], now: float | None = None
) -> RateLimitSnapshot | None:
    """The snapshot in a raw ``(name, value)`` header list (names in any case), or ``None``
    when none of the six headers is there. ``now``: the monotonic receive time."""
    values: list[bytes | str | None] | None = None
    fields = _FIELDS
    for name, value in raw_headers:
        slot = fields.get(name)
        if slot is None:
            if name.islower():
                continue
            slot = fields.get(name.lower())
            if slot is None:
                continue
        if values is None:
            values = [None, None, None, None, None, None]
        values[slot] = value
    if values is None:
        return None
    return _snapshot(values, time.monotonic() if now is None else now)


def parse_rate_limits(
    headers: Mapping[str, str], now: float | None = None
) -> RateLimitSnapshot | None:
    """The snapshot in a header mapping (e.g. ``RawResponse.headers``), or ``None`` when none
    of the six ``x-ratelimit-*`` headers is there. Never raises on malformed values."""
    values: list[bytes | str | None] = [headers.get(name) for name in _NAMES]
    if all(v is None for v in values):
        # not a lower-cased mapping? look once more, case-insensitively
        for key, value in headers.items():
            slot = _FIELDS.get(key.lower().encode("latin-1", "replace"))
            if slot is not None:
                values[slot] = value
        if all(v is None for v in values):
            return None
    return _snapshot(values, time.monotonic() if now is None else now)


def _spacing(
    remaining: int | None, reset_at: float | None, limit: int | None, now: float, throttle: float
) -> float:
    """Seconds between sends that make ``remaining`` last until ``reset_at`` (0 when above
    the throttle fraction or when something is unknown)."""
    if remaining is None or reset_at is None or not limit or reset_at <= now:
        return 0.0
    if remaining >= throttle * limit:
        return 0.0
    return (reset_at - now) / max(remaining, 1)


class RateLimitTracker:
    """A client's latest rate-limit snapshot, and the fair queue of calls waiting on it.

    ``gated`` is the hot path's cue: while it is ``False`` a call goes straight on; while it is
    ``True`` the call goes through :meth:`wait`, which works out the real delay (and clears the
    flag once the limits are lifted).
    """

    __slots__ = ("snapshot", "gated", "throttle", "_blocked_until", "_next_slot", "_lock")

    def __init__(self, throttle: float | None = None) -> None:
        self.snapshot: RateLimitSnapshot | None = None
        self.gated = False
        self.throttle = throttle or None
        self._blocked_until = -math.inf
        self._next_slot = -math.inf
        self._lock: anyio.Lock | None = None

    def observe(
        self, raw_headers: Iterable[tuple[bytes, bytes]], now: float
    ) -> RateLimitSnapshot | None:
        """Take in a response's headers (any status). Returns the new snapshot, if any."""
        # parse_raw_rate_limits, inlined: this runs on every response
        values: list[bytes | str | None] | None = None
        fields = _FIELDS
        for name, value in raw_headers:
            slot = fields.get(name)
            if slot is None:
                if name.islower():
                    continue
                slot = fields.get(name.lower())
                if slot is None:
                    continue
            if values is None:
                values = [None, None, None, None, None, None]
            values[slot] = value
        snap = None if values is None else _snapshot(values, now)
        if snap is not None:
            self.snapshot = snap
            if (
                snap.remaining_requests == 0
                or snap.remaining_tokens == 0
                or (self.throttle and self.spacing(now) > 0.0)
            ):
                self.gated = True
        return snap

    def block(self, until: float) -> None:
        """Hold new calls until ``until`` (a 429's ``retry-after``)."""
        if until > self._blocked_until:
            self._blocked_until = until
            self.gated = True

    def delay(self, now: float) -> tuple[float, str]:
        """How long a new call must wait before sending, and what it waits for."""
        wait, what = 0.0, ""
        if self._blocked_until > now:
            wait, what = self._blocked_until - now, "retry-after"
        snap = self.snapshot
        if snap is not None:
            reset = snap.reset_requests
            if snap.remaining_requests == 0 and reset is not None and reset - now > wait:
                wait, what = reset - now, "requests"
            reset = snap.reset_tokens
            if snap.remaining_tokens == 0 and reset is not None and reset - now > wait:
                wait, what = reset - now, "tokens"
        return wait, what

    def spacing(self, now: float) -> float:
        """With throttling on: the gap to keep between sends right now (0: none)."""
        snap = self.snapshot
        throttle = self.throttle
        if snap is None or not throttle:
            return 0.0
        gap = _spacing(
            snap.remaining_requests, snap.reset_requests, snap.limit_requests, now, throttle
        )
        # tokens: estimate what one request costs from what this window has used so far
        if (
            snap.remaining_tokens is not None
            and snap.limit_tokens
            and snap.remaining_requests is not None
            and snap.limit_requests
            and snap.limit_requests > snap.remaining_requests
        ):
            per_request = (snap.limit_tokens - snap.remaining_tokens) / (
                snap.limit_requests - snap.remaining_requests
            )
            if per_request > 0:
                requests_left = int(snap.remaining_tokens / per_request)
                limit_equiv = max(1, int(snap.limit_tokens / per_request))
                gap = max(
                    gap, _spacing(requests_left, snap.reset_tokens, limit_equiv, now, throttle)
                )
        return gap

    async def wait(self, clock: Clock, max_wait: float, deadline: float = math.inf) -> None:
        """Wait in line (FIFO) until a call may be sent.

        Raises :class:`RateLimitError` at once, without waiting, when the wait would be longer
        than ``max_wait`` or would run past ``deadline`` (the call's own, on anyio's clock; a
        caller's outer cancel scope is not looked at: its cancellation stays a cancellation).
        """
        lock = self._lock
        if lock is None:
            lock = self._lock = anyio.Lock()
        async with lock:
            while True:
                now = clock.now()
                delay, what = self.delay(now)
                if delay <= 0.0:
                    break
                self._check(delay, what, max_wait, deadline)
                await clock.sleep(delay)
            gap = self.spacing(now)
            if gap > 0.0:
                slot = self._next_slot
                if slot > now:
                    self._check(slot - now, "throttle", max_wait, deadline)
                    await clock.sleep(slot - now)
                    now = clock.now()
                self._next_slot = now + gap
            # the limits are lifted (or only spacing is left): let calls go straight on again
            self.gated = gap > 0.0 or self._blocked_until > now

    def _check(self, delay: float, what: str, max_wait: float, deadline: float) -> None:
        if delay <= max_wait and (deadline == math.inf or delay <= deadline - anyio.current_time()):
            return
        if what == "retry-after":
            reason = "the server asked to wait before sending more"
        elif what == "throttle":
            reason = "throttling to make the remaining rate limit last until its reset"
        else:
            reason = f"no {what} left in the rate limit until its reset"
        limit = "the retry policy's max_retry_after" if delay > max_wait else "the call's deadline"
        raise RateLimitError(
            f"Rate limit: {reason}, in {delay:.3f} s; that is beyond {limit}, so the request "
            "was not sent",
            status_code=429,
            retry_after=delay,
            code="rate_limit_exceeded",
            type=what if what in ("requests", "tokens") else None,
        )
