"""The record of one benchmark request, as measured by the client (and merged across workers).

Times are ``time.perf_counter_ns()`` stamps (the system-wide monotonic clock on Linux and
macOS, so records from several worker processes on one host line up) or seconds.
"""

from __future__ import annotations

import msgspec

__all__ = ["ClientStats", "RequestRecord", "WorkerOutput"]


class RequestRecord(msgspec.Struct, kw_only=True, gc=False):
    """One request: what was sent, when, what came back (``error`` set: it failed)."""

    index: int
    prompt_len: int
    #: output tokens asked for (None: the server's default)
    expected_output_len: int | None = None
    #: when the request was due (arrival process) and when the client really started it
    scheduled_ns: int = 0
    start_ns: int = 0
    #: when the request's last byte was handed to the network (``Timings.request_sent``; 0:
    #: not known - it failed before, or the connection does not stamp)
    sent_ns: int = 0
    end_ns: int = 0
    ttfb: float | None = None
    ttft: float = 0.0
    itl: list[float] = msgspec.field(default_factory=list)
    latency: float = 0.0
    output_tokens: int = 0
    #: prompt tokens reported by the server's usage (None: not reported)
    usage_prompt_tokens: int | None = None
    chunks: int = 0
    request_id: str | None = None
    http_version: str = ""
    queue_time: float | None = None
    prompt_time: float | None = None
    completion_time: float | None = None
    total_time: float | None = None
    error: str = ""
    error_class: str = ""
    generated_text: str = ""

    @property
    def success(self) -> bool:
        return not self.error_class


class ClientStats(msgspec.Struct, kw_only=True, gc=False):
    """How busy the client itself was during a run (one process)."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    #: event-loop lag samples (seconds a 10 ms sleep overshot)
    lag_samples: list[float] = msgspec.field(default_factory=list)
    backend: str = "asyncio"
    http_version: str = ""
    #: connections opened before the clock started (``preconnect``)
    preconnected: int = 0


class WorkerOutput(msgspec.Struct, kw_only=True):
    """What one worker process hands back (JSON on its stdout)."""

    records: list[RequestRecord]
    client: ClientStats
    start_ns: int
    end_ns: int
    interrupted: bool = False
