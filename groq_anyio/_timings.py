"""Monotonic timings of one response or stream, for latency harnesses."""

from __future__ import annotations

import msgspec

__all__ = ["Timings"]


class Timings(msgspec.Struct, kw_only=True, gc=False):
    """``time.perf_counter_ns()`` stamps of one call (``None``: not reached).

    - ``request_start``: the call began (before validation and encoding).
    - ``response_headers``: the response status line and headers arrived.
    - ``first_chunk``: the first body bytes (streams: the first parsed chunk) reached the client.
    - ``first_content_chunk``: the first chunk carrying content text (time to first token).
    - ``last_chunk``: the last body bytes / the last chunk arrived.
    - ``attempts``: how many HTTP attempts the call made (retries + 1).
    """

    request_start: int
    response_headers: int | None = None
    first_chunk: int | None = None
    first_content_chunk: int | None = None
    last_chunk: int | None = None
    attempts: int = 1

    def _since_start(self, stamp: int | None) -> float | None:
        return None if stamp is None else (stamp - self.request_start) / 1e9

    @property
    def time_to_headers(self) -> float | None:
        """Seconds from the call to the response headers."""
        return self._since_start(self.response_headers)

    @property
    def time_to_first_chunk(self) -> float | None:
        return self._since_start(self.first_chunk)

    @property
    def time_to_first_token(self) -> float | None:
        """Seconds from the call to the first chunk that carried content."""
        return self._since_start(self.first_content_chunk)

    @property
    def total(self) -> float | None:
        """Seconds from the call to the last chunk."""
        return self._since_start(self.last_chunk)
