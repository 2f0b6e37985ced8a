"""``await client.health_check()``: one cheap authenticated call, reported, never raised.

The check is ``GET /models`` (authenticated, no tokens used), sent once (no retries) under the
client's deadline or the one given. Every API outcome (an error status, a refused connection, a
timeout, an undecodable answer) becomes a :class:`HealthStatus`; only a closed client and invalid
arguments raise, and a cancellation propagates.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import msgspec

from ._config import Timeout
from ._errors import APIError, ClientClosedError
from ._pipeline import RequestOptions
from ._ratelimit import RateLimitSnapshot  # (at run time: msgspec resolves the annotation)

if TYPE_CHECKING:
    from ._client import AsyncGroq
    from ._notgiven import NotGiven

__all__ = ["HealthStatus", "check_health"]


class HealthStatus(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The outcome of :meth:`AsyncGroq.health_check`.

    Attributes:
        ok: the API answered ``2xx`` to an authenticated request.
        latency: seconds from sending to the whole answer (``None`` when nothing came back).
        status_code: the HTTP status, if an answer came back.
        rate_limits: the ``x-ratelimit-*`` headers of the answer, parsed.
        error: what went wrong (``None`` when ``ok``).
        error_type: the exception class name (``AuthenticationError``, ``APITimeoutError``...).
        request_id: the ``x-request-id`` of the answer.
        http_version: ``"HTTP/1.1"`` or ``"HTTP/2"``.
        checked_at: wall-clock time of the check (``time.time()``).
    """

    ok: bool
    latency: float | None = None
    status_code: int | None = None
    rate_limits: RateLimitSnapshot | None = None
    error: str | None = None
    error_type: str | None = None
    request_id: str | None = None
    http_version: str | None = None
    checked_at: float = 0.0

    @property
    def reachable(self) -> bool:
        """The API answered at all (with any status), as opposed to no connection or a timeout."""
        return self.status_code is not None


async def check_health(
    client: AsyncGroq, timeout: float | Timeout | None | NotGiven
) -> HealthStatus:
    from ._notgiven import NotGiven
    from ._ratelimit import parse_rate_limits
    from ._timings import start_timings

    if client.is_closed:
        raise ClientClosedError("the client is closed; create a new AsyncGroq")
    base = client._options
    options = RequestOptions(
        timeout=base.timeout if isinstance(timeout, NotGiven) else Timeout.coerce(timeout),
        max_retries=0,
        extra_headers=base.extra_headers,
    )
    checked_at = time.time()
    timings = start_timings()
    try:
        raw, _ = await client._send(
            b"GET", "/models", b"", options=options, timings=timings, content_type=None
        )
    except ClientClosedError:
        raise
    except APIError as exc:
        headers: Any = getattr(exc, "headers", None)
        end = timings.response_headers
        status: int | None = exc.status_code
        return HealthStatus(
            ok=False,
            latency=None if end is None else (end - timings.request_start) / 1e9,
            status_code=status,
            rate_limits=parse_rate_limits(headers) if headers else None,
            error=exc.message,
            error_type=type(exc).__name__,
            request_id=exc.request_id,
            checked_at=checked_at,
        )
    end = timings.last_chunk or time.perf_counter_ns()
    return HealthStatus(
        ok=200 <= raw.status < 300,
        latency=(end - timings.request_start) / 1e9,
        status_code=raw.status,
        rate_limits=parse_rate_limits(raw.headers),
        request_id=raw.header(b"x-request-id"),
        http_version=raw.http_version,
        checked_at=checked_at,
    )
