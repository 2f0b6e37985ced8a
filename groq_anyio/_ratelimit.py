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
    from ._clock import Clock

__all__ = [
    "RateLimitSnapshot",
    "RateLimitTracker",
    "MAX_SERVER_WAIT",
    "parse_go_duration",
    "parse_go_duration_ns",
    "parse_rate_limits",
    "parse_raw_rate_limits",
]

#: nanoseconds per unit; keys are the UTF-8 bytes Go compares (Go strings are bytes)
_UNIT_NS: Final[dict[bytes, int]] = {
    b"ns": 1,
    b"us": 1_000,
    "\u00b5s".encode(): 1_000,  # micro sign, U+00B5
    "\u03bcs".encode(): 1_000,  # Greek small letter mu, U+03BC
    b"ms": 1_000_000,
    b"s": 1_000_000_000,
    b"m": 60_000_000_000,
    b"h": 3_600_000_000_000,
}
_MAX_NS: Final = 1 << 63
#: one component: [0-9]* (\.[0-9]*)? then the unit, everything up to the next digit or '.'
_COMPONENT: Final = re.compile(rb"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")
#: "7.66s", "547ms": the shapes Groq sends most, small enough that nothing can overflow
_SIMPLE: Final = re.compile(rb"([0-9]{1,9})(?:\.([0-9]{0,18}))?(ms|s)")
_SIMPLE_UNIT: Final = {b"s": 1_000_000_000, b"ms": 1_000_000}


def _scales() -> tuple[float, ...]:
    scale, out = 1.0, [1.0]
    for _ in range(18):
        scale *= 10  # as Go computes it: one float multiplication per digit
        out.append(scale)
    return tuple(out)


_SCALE: Final = _scales()
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
#: the longest wait a response header may ask for (a rate-limit reset, ``retry-after``); longer
#: values are treated as malformed, so a nonsensical header cannot stop the client's calls
MAX_SERVER_WAIT: Final = 86400.0
#: a plain number of seconds (not a Go duration, accepted leniently for reset headers)
_PLAIN_SECONDS: Final = re.compile(rb"[0-9]{1,12}(?:\.[0-9]{0,12})?")


def parse_go_duration_ns(text: str | bytes) -> int | None:
    """Nanoseconds in a Go duration string, exactly as Go's ``time.ParseDuration`` reads it, or
    ``None`` where Go returns an error.

    An optional sign, then ``0`` alone or one or more components: a decimal number (digits, an
    optional ``.`` and digits; at least one digit) and a unit (``ns``, ``us``, ``µs`` U+00B5,
    ``μs`` U+03BC, ``ms``, ``s``, ``m``, ``h``) -- no spaces, case-sensitive. The result must fit
    Go's ``int64`` nanoseconds (``-9223372036854775808ns`` is the only value that needs the
    sign); fraction digits beyond ``uint64`` precision are ignored, as Go ignores them. A ``str``
    is read as its UTF-8 bytes (a header value decoded as Latin-1: pass its bytes).
    """
    if isinstance(text, str):
        b = text.encode("utf-8", "surrogateescape")
    elif isinstance(text, bytes | bytearray):
        b = bytes(text)
    else:
        return None  # type: ignore[unreachable]
    neg = False
    pos = 0
    n = len(b)
    if n and b[0] in b"+-":
        neg = b[0] == 45
        pos = 1
    if b[pos:] == b"0":
        return 0
    if pos == n:
        return None
    total = 0
    units = _UNIT_NS
    match = _COMPONENT.match
    while pos < n:
        m = match(b, pos)
        assert m is not None  # (every part of the pattern may be empty)
        whole, frac, unit = m.groups()
        if not whole and not frac:
            return None  # no digits: "", ".s", "-.s", or a component starting elsewhere
        if not unit:
            return None  # missing unit
        per = units.get(unit)
        if per is None:
            return None  # unknown unit
        value = int(whole) if whole else 0
        if value > _MAX_NS or value > _MAX_NS // per:
            return None  # overflow (leadingInt's, or the unit's)
        value *= per
        if frac:
            if len(frac) <= 18:  # (cannot overflow; the scale is exact: _fraction, inlined)
                f, scale = int(frac), _SCALE[len(frac)]
            else:
                f, scale = _fraction(frac)
            if f:
                value += int(float(f) * (float(per) / scale))
                if value > _MAX_NS:
                    return None
        total += value
        if total > _MAX_NS:
            return None
        pos = m.end()
    if neg:
        return -total
    return total if total < _MAX_NS else None


def _fraction(digits: bytes) -> tuple[int, float]:
    """Go's leadingFraction: the digits as an integer and 10**count as a float, accumulating
    only while the integer stays within ``uint64`` (later digits are ignored)."""
    if len(digits) <= 18:  # (cannot overflow; the scale is exact)
        return int(digits), _SCALE[len(digits)]
    x = 0
    scale = 1.0
    for c in digits:
        if x > (_MAX_NS - 1) // 10:
            break
        y = x * 10 + c - 48
        if y > _MAX_NS:
            break
        x = y
        scale *= 10
    return x, scale


def parse_go_duration(text: str | bytes) -> float | None:
    """Seconds in a Go duration string (``2m59.56s``, ``7.66s``, ``547ms``, ``1h2m3s``,
    ``250us``, ``-1.5h``, ``0``), or ``None`` if Go's ``time.ParseDuration`` would refuse it.

    See :func:`parse_go_duration_ns` for the rules; this is its value divided by 1e9.
    """
    ns = parse_go_duration_ns(text)
    return None if ns is None else ns / 1e9


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


def _header_bytes(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:  # not from the wire: text as such
        return value.encode("utf-8", "surrogateescape")


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
    # the resets: Go durations, or (leniently) plain decimal seconds; below 0 counts as 0,
    # above MAX_SERVER_WAIT (or unreadable) as absent -- the raw value is kept either way
    raws: list[str | None] = [None, None]
    at: list[float | None] = [None, None]
    for i, value in enumerate((reset_r, reset_t)):
        if value is None:
            continue
        if isinstance(value, bytes):
            raws[i] = value.decode("latin-1")
        else:  # (a mapping's value: a header decoded as Latin-1, whose bytes those are)
            raws[i] = value
            value = _header_bytes(value)
        match = _SIMPLE.fullmatch(value)  # "7.66s", "547ms": no helper call
        ns: int | None
        if match is not None:
            whole, frac, unit = match.groups()
            per = _SIMPLE_UNIT[unit]
            ns = int(whole) * per
            if frac:
                ns += int(float(int(frac)) * (float(per) / _SCALE[len(frac)]))
        else:
            ns = parse_go_duration_ns(value)
            if ns is None:
                value = value.strip()
                if _PLAIN_SECONDS.fullmatch(value) is None:
                    continue
                ns = int(float(value) * 1e9)
        seconds = ns / 1e9
        if seconds <= MAX_SERVER_WAIT:
            at[i] = now + (seconds if seconds > 0.0 else 0.0)
    raw_r, raw_t = raws
    at_r, at_t = at
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

    __slots__ = (
        "snapshot",
        "gated",
        "throttle",
        "_blocked_until",
        "_next_slot",
        "_lock",
        "_warned_until",
    )

    def __init__(self, throttle: float | None = None) -> None:
        self.snapshot: RateLimitSnapshot | None = None
        self.gated = False
        self.throttle = throttle or None
        self._blocked_until = -math.inf
        self._next_slot = -math.inf
        #: the end of the hold last reported at WARNING (one line per hold, not per call)
        self._warned_until = -math.inf
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
                if now + delay > self._warned_until:
                    self._warned_until = now + delay
                    _warn_held(delay, what)
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


def _warn_held(delay: float, what: str) -> None:
    """Calls are being held: a rate limit is exhausted (or the server said to wait)."""
    from ._log import RESILIENCE, log_warning

    log_warning(
        "rate limit exhausted (%s): holding calls for %.3f s",
        what,
        delay,
        logger=RESILIENCE,
        extra={"groq_rate_limit": what, "groq_wait_s": round(delay, 3)},
    )
