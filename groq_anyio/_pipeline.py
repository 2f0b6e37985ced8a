"""The request pipeline: deadline -> attempt -> error mapping -> retry.

``send_request`` returns once response headers with a success status are in (the body is still
to be read: a JSON body by the caller, or an SSE stream by :class:`ChatStream`). Error statuses
are read, mapped to the exception tree and, when retryable and attempts remain, retried with
exponential backoff (jittered), honouring ``retry-after-ms`` / ``retry-after`` up to
``MAX_RETRY_AFTER`` seconds. All of it runs under one cancel scope: the call's total deadline.
An outer cancellation is never turned into a retry or an ``APITimeoutError``.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import anyio
import msgspec

from ._config import Timeout
from ._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    make_status_error,
)
from ._timings import Timings

if TYPE_CHECKING:
    from ._transport import RawResponse, Transport

__all__ = ["RequestOptions", "send_request", "retry_after_seconds"]

MAX_RETRY_AFTER: Final = 60.0
INITIAL_BACKOFF: Final = 0.5
MAX_BACKOFF: Final = 8.0
ERROR_BODY_LIMIT: Final = 1 << 20

_json_decode = msgspec.json.decode


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """Per-call settings after merging the client's with the call's."""

    timeout: Timeout
    max_retries: int
    extra_headers: tuple[tuple[bytes, bytes], ...] = ()
    extra_query: tuple[tuple[str, Any], ...] = ()


def retry_after_seconds(headers: dict[str, str]) -> float | None:
    """The wait the server asked for: ``retry-after-ms``, or ``retry-after`` (seconds or a date)."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms) / 1000.0
            if value >= 0:
                return value
        except ValueError:
            pass
    ra = headers.get("retry-after")
    if ra is None:
        return None
    try:
        value = float(ra)
        return value if value >= 0 else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(ra)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff_delay(retry_index: int, retry_after: float | None) -> float:
    if retry_after is not None and retry_after <= MAX_RETRY_AFTER:
        return retry_after
    delay = min(INITIAL_BACKOFF * (2.0**retry_index), MAX_BACKOFF)
    return delay * (1.0 - 0.25 * random.random())


async def error_from_response(raw: RawResponse) -> APIStatusError:
    """Read an error response (bounded) and build its exception. Closes the response."""
    try:
        body_bytes = await raw.read(limit=ERROR_BODY_LIMIT)
    except APIError:
        body_bytes = b""
    body: Any = None
    try:
        body = _json_decode(body_bytes) if body_bytes else None
    except msgspec.DecodeError:
        body = None
    headers = raw.headers
    return make_status_error(
        raw.status,
        body,
        headers=headers,
        raw_text=body_bytes.decode("utf-8", "replace") if body is None else None,
        retry_after=retry_after_seconds(headers),
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
    replayable: bool = True,
    content_length: int | None = None,
) -> tuple[RawResponse, bytes | None]:
    """Send with retries under the call's total deadline.

    Returns the 2xx response and, with ``read_body``, its whole body (the connection is then
    already back in the pool). Without ``read_body`` the body is left to the caller (a stream),
    and the deadline stops applying once the headers are in.
    """
    url = transport.url(path, dict(options.extra_query) if options.extra_query else None)
    length = len(body) if isinstance(body, bytes) else content_length
    headers = transport.headers(content_type, accept, length, options.extra_headers)
    max_retries = options.max_retries if replayable else 0
    timeout = options.timeout
    attempt = 0
    try:
        with anyio.fail_after(timeout.total):
            while True:
                attempt += 1
                try:
                    raw = await transport.send(method, url, headers, body, timeout)
                    timings.response_headers = time.perf_counter_ns()
                    if raw.status < 400:
                        if not read_body:
                            timings.attempts = attempt
                            return raw, None
                        data = await raw.read()
                        timings.attempts = attempt
                        timings.first_chunk = timings.last_chunk = time.perf_counter_ns()
                        return raw, data
                except APIConnectionError as exc:
                    exc.attempts = attempt
                    if attempt > max_retries:
                        raise
                    await anyio.sleep(backoff_delay(attempt - 1, None))
                    continue
                err = await error_from_response(raw)
                err.attempts = attempt
                retry_after = getattr(err, "retry_after", None)
                if not err.retryable or attempt > max_retries:
                    raise err
                if retry_after is not None and retry_after > MAX_RETRY_AFTER:
                    # the server wants a longer pause than we will sit through: say so now
                    raise err
                await anyio.sleep(backoff_delay(attempt - 1, retry_after))
    except TimeoutError:
        timeout_error = APITimeoutError(
            f"Request timed out: no complete answer within the {timeout.total} s deadline"
        )
        timeout_error.attempts = attempt
        raise timeout_error from None


def merge_headers(
    base: tuple[tuple[bytes, bytes], ...], extra: Iterable[tuple[str, str]] | None
) -> tuple[tuple[bytes, bytes], ...]:
    if not extra:
        return base
    return base + tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in extra)
