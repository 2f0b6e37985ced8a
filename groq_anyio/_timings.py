"""Monotonic timings of one response or stream, for latency harnesses.

A :class:`Timings` holds ``time.perf_counter_ns()`` stamps taken by the client as a call
progresses. A chat stream also records the arrival time of every chunk in
:attr:`Timings.chunk_times` (an ``array('q')``, 8 bytes per chunk): the stamp is taken once per
network read, and every chunk decoded from that read shares it, so recording costs one C-level
``array`` append per read and nothing per chunk (see docs/benchmarking.md for the measurement).

:class:`StreamLatency` turns the stamps and the usage block of a finished stream into the
numbers a benchmark reports: TTFB, TTFT, inter-token gaps, TPOT, end-to-end latency, and Groq's
own server timings (``queue_time``, ``prompt_time``, ``completion_time``, ``total_time``), so
that network and client time can be told apart from server time.
"""

from __future__ import annotations

import time
from array import array
from itertools import pairwise
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from .types.shared import CompletionUsage

    ChunkTimes = array[int]
else:  # (array is not subscriptable at run time before Python 3.12)
    ChunkTimes = array

__all__ = ["StreamLatency", "Timings", "start_timings"]


class Timings(msgspec.Struct, kw_only=True, gc=False):
    """``time.perf_counter_ns()`` stamps of one call (``None``: not reached).

    - ``request_start``: the call began (before validation and encoding).
    - ``request_sent``: the request's last byte was handed to the network (the transport's
      write returned; the last attempt's). Everything before it is the client's own share:
      encoding, waiting for a connection or the event loop, connecting, writing.
    - ``response_headers``: the response status line and headers arrived.
    - ``first_chunk``: the first body bytes (streams: the first parsed chunk) reached the client.
    - ``first_content_chunk``: the first chunk carrying content text (time to first token).
    - ``last_chunk``: the last body bytes / the last chunk arrived.
    - ``attempts``: how many HTTP attempts the call made (retries + 1).
    - ``chunk_times``: chat streams: the arrival stamp of every chunk, in order (chunks decoded
      from one network read share its stamp); ``None`` for other calls.
    - ``first_content_index``: the index in ``chunk_times`` of the first content chunk (-1:
      none yet).
    - ``content_end``: the index of the first chunk after the content that carries the usage
      and no content (Groq's finish chunk; -1: not seen), where the token gaps stop.
    """

    request_start: int
    request_sent: int | None = None
    response_headers: int | None = None
    first_chunk: int | None = None
    first_content_chunk: int | None = None
    last_chunk: int | None = None
    attempts: int = 1
    chunk_times: ChunkTimes | None = None
    first_content_index: int = -1
    content_end: int = -1

    def _since_start(self, stamp: int | None) -> float | None:
        return None if stamp is None else (stamp - self.request_start) / 1e9

    @property
    def time_to_sent(self) -> float | None:
        """Seconds from the call to the request's last byte handed to the network."""
        return self._since_start(self.request_sent)

    @property
    def time_to_headers(self) -> float | None:
        """Seconds from the call to the response headers."""
        return self._since_start(self.response_headers)

    @property
    def time_to_first_chunk(self) -> float | None:
        """Seconds from the call to the first streamed chunk (content or not)."""
        return self._since_start(self.first_chunk)

    @property
    def time_to_first_token(self) -> float | None:
        """Seconds from the call to the first chunk that carried content."""
        return self._since_start(self.first_content_chunk)

    @property
    def total(self) -> float | None:
        """Seconds from the call to the last chunk."""
        return self._since_start(self.last_chunk)

    def token_times(self) -> list[int]:
        """The arrival stamps of the content chunks: from the first content chunk up to (not
        including) the usage-only finish chunk. Empty when nothing was recorded."""
        times = self.chunk_times
        first = self.first_content_index
        if times is None or first < 0:
            return []
        end = self.content_end if self.content_end > first else len(times)
        return times[first:end].tolist()

    def inter_token_gaps(self) -> list[float]:
        """Seconds between consecutive content chunks (vLLM's ITL): one gap fewer than
        :meth:`token_times`. Chunks that arrived in the same network read have a gap of 0."""
        stamps = self.token_times()
        return [(b - a) / 1e9 for a, b in pairwise(stamps)]


class StreamLatency(msgspec.Struct, kw_only=True, gc=False):
    """The latency figures of one finished stream, in seconds (``None``: not known).

    Client side, from the call: ``sent`` (the request handed to the network: the client's own
    share, from encoding to the write), ``ttfb`` (response headers), ``ttft`` (first content
    chunk), ``itl`` (gaps between content chunks), ``tpot`` (``(e2el - ttft) /
    (completion_tokens - 1)``, as vLLM computes it, from the usage's completion tokens),
    ``e2el`` (the call to the last chunk). ``ttft - sent`` is the time to first token as the
    server and the network made it, without the client's queue.
    Server side, from Groq's usage block: ``queue_time``, ``prompt_time``, ``completion_time``,
    ``total_time``. ``e2el - total_time`` is then what the network and the client added.
    """

    ttfb: float | None
    ttft: float | None
    itl: list[float]
    tpot: float | None
    e2el: float | None
    sent: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    chunks: int = 0
    queue_time: float | None = None
    prompt_time: float | None = None
    completion_time: float | None = None
    total_time: float | None = None

    @classmethod
    def of(cls, timings: Timings, usage: CompletionUsage | None) -> StreamLatency:
        """Build the figures from a stream's :class:`Timings` and its usage (or ``None``)."""
        ttft = timings.time_to_first_token
        e2el = timings.total
        itl = timings.inter_token_gaps()
        completion = usage.completion_tokens if usage is not None else None
        tpot = tpot_of(e2el, ttft, completion)
        times = timings.chunk_times
        return cls(
            ttfb=timings.time_to_headers,
            ttft=ttft,
            itl=itl,
            tpot=tpot,
            e2el=e2el,
            sent=timings.time_to_sent,
            prompt_tokens=usage.prompt_tokens if usage is not None else None,
            completion_tokens=completion,
            chunks=0 if times is None else len(times),
            queue_time=usage.queue_time if usage is not None else None,
            prompt_time=usage.prompt_time if usage is not None else None,
            completion_time=usage.completion_time if usage is not None else None,
            total_time=usage.total_time if usage is not None else None,
        )


def tpot_of(e2el: float | None, ttft: float | None, output_tokens: int | None) -> float | None:
    """Time per output token after the first: ``(e2el - ttft) / (n - 1)``; None for n < 2."""
    if e2el is None or ttft is None or output_tokens is None or output_tokens < 2:
        return None
    return (e2el - ttft) / (output_tokens - 1)


def start_timings() -> Timings:
    """A call's :class:`Timings`, stamped now (``request_start``)."""
    return Timings(request_start=time.perf_counter_ns())
