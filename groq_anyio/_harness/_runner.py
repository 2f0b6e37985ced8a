"""One benchmark run on one event loop: arrivals, concurrency, warm-ups, and self-measurement.

Each request is a streamed chat completion; the client does no work per chunk beyond what the
library does (the per-chunk arrival stamps are the library's, see :class:`groq_anyio.Timings`).
While the run lasts, a probe task measures the event loop's lag (how late a 10 ms sleep wakes
up) and the process's CPU time is taken at both ends: a loop that lags, or a process near one
core of CPU, means the client itself was the bottleneck and its numbers are not the server's.

Records are appended to :class:`RunState` as requests finish, so an interrupted run (Ctrl-C)
still has everything measured so far. A failed request is recorded with its error class and
never stops the run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import anyio
import anyio.lowlevel
import msgspec

from .._timings import StreamLatency
from ._arrivals import arrival_offsets
from ._datasets import SampleRequest
from ._records import ClientStats, RequestRecord, WorkerOutput

__all__ = ["LAG_INTERVAL", "RunConfig", "RunState", "run", "run_blocking"]

#: the event-loop lag probe's sleep (seconds)
LAG_INTERVAL = 0.01
_now_ns = time.perf_counter_ns


class RunConfig(msgspec.Struct, kw_only=True):
    """Everything one run needs (JSON-able: it is what a worker process receives).

    The API key is not part of it: it comes from ``GROQ_API_KEY`` (or ``api_key`` for the
    local server, whose key is not a secret).
    """

    base_url: str
    model: str
    samples: list[SampleRequest]
    #: requests per second (None: all at once, vLLM's ``inf``; JSON has no infinity)
    request_rate: float | None = None
    burstiness: float = 1.0
    max_concurrency: int | None = None
    num_warmups: int = 0
    seed: int = 0
    backend: str = "asyncio"
    http: str = "auto"  # "auto", "h1", "h2"
    uvloop: bool = False  # asyncio on uvloop
    timeout: float = 600.0
    local_api_key: str | None = None
    keep_texts: bool = False
    #: open the connections the concurrency needs before the clock starts, so no measured
    #: request carries a TCP/TLS handshake (False: vLLM's way, connections open on demand)
    preconnect: bool = True
    #: the global index of sample i is ``index_start + i * index_step`` (workers)
    index_start: int = 0
    index_step: int = 1


class RunState:
    """What a run has measured so far (filled while it runs)."""

    def __init__(self) -> None:
        self.records: list[RequestRecord] = []
        self.start_ns = 0
        self.end_ns = 0
        self.cpu_start = 0.0
        self.lag: list[float] = []
        self.http_version = ""
        self.backend = "asyncio"
        self.preconnected = 0
        self.interrupted = False

    def output(self) -> WorkerOutput:
        end = self.end_ns or _now_ns()
        start = self.start_ns or end
        client = ClientStats(
            wall_s=(end - start) / 1e9,
            cpu_s=max(0.0, time.process_time() - self.cpu_start) if self.cpu_start else 0.0,
            lag_samples=list(self.lag),
            backend=self.backend,
            http_version=self.http_version,
            preconnected=self.preconnected,
        )
        return WorkerOutput(
            records=list(self.records),
            client=client,
            start_ns=start,
            end_ns=end,
            interrupted=self.interrupted,
        )


def _client(cfg: RunConfig) -> Any:
    import os

    from .. import AsyncGroq

    api_key = cfg.local_api_key or os.environ.get("GROQ_API_KEY") or None
    connections = cfg.max_concurrency or len(cfg.samples) or 1
    return AsyncGroq(
        api_key=api_key,
        base_url=cfg.base_url or None,
        timeout=cfg.timeout,
        max_retries=0,  # a benchmark reports failures, it does not hide them behind retries
        circuit_breaker=None,
        rate_limit_wait=False,
        http1=cfg.http != "h2",
        http2=cfg.http != "h1",
        max_connections=max(100, connections),
    )


async def _one(
    client: Any, cfg: RunConfig, index: int, sample: SampleRequest, scheduled: int
) -> RequestRecord:
    rec = RequestRecord(
        index=index,
        prompt_len=sample.prompt_len,
        expected_output_len=sample.expected_output_len,
        scheduled_ns=scheduled,
    )
    rec.start_ns = _now_ns()
    stream: Any = None
    try:
        kwargs: dict[str, Any] = {}
        if sample.expected_output_len is not None:
            kwargs["max_completion_tokens"] = sample.expected_output_len
        stream = await client.chat.completions.create(
            model=cfg.model,
            messages=[{"role": "user", "content": sample.prompt}],
            stream=True,
            **kwargs,
        )
        async with stream:
            async for _ in stream:
                pass
    except Exception as exc:  # counted by class; the run goes on
        rec.end_ns = _now_ns()
        rec.error_class = type(exc).__name__
        rec.error = f"{type(exc).__name__}: {exc}"[:500]
        rec.request_id = stream.request_id if stream is not None else None
        if rec.request_id is None:
            rid = getattr(exc, "request_id", None)  # (an HTTP error names its request)
            rec.request_id = rid if isinstance(rid, str) else None
        return rec
    timings = stream.timings
    rec.start_ns = timings.request_start
    rec.sent_ns = timings.request_sent or 0
    rec.end_ns = timings.last_chunk or _now_ns()
    final = stream.get_final_completion()
    lat = StreamLatency.of(timings, final.usage)
    rec.request_id = stream.request_id
    rec.http_version = stream.http_version or ""
    rec.ttfb = lat.ttfb
    rec.latency = (rec.end_ns - rec.start_ns) / 1e9
    rec.itl = lat.itl
    rec.chunks = lat.chunks
    if lat.ttft is None:
        rec.error_class = "NoContent"
        rec.error = "NoContent: the stream carried no content"
        return rec
    rec.ttft = lat.ttft
    n_content = len(lat.itl) + 1
    rec.output_tokens = lat.completion_tokens or n_content
    rec.usage_prompt_tokens = lat.prompt_tokens
    rec.queue_time = lat.queue_time
    rec.prompt_time = lat.prompt_time
    rec.completion_time = lat.completion_time
    rec.total_time = lat.total_time
    if cfg.keep_texts and final.choices:
        rec.generated_text = final.choices[0].message.content or ""
    return rec


async def _preconnect(client: Any, cfg: RunConfig, state: RunState) -> None:
    """Open the connections the run's concurrency needs before its clock starts (the
    warm-ups may have opened some). A failure is not fatal: the requests then report it."""
    concurrency = min(cfg.max_concurrency or len(cfg.samples), len(cfg.samples))
    try:
        state.preconnected = await client._transport.preconnect(concurrency)
    except Exception:  # (an unreachable server: every request will fail and be counted)
        state.preconnected = 0


async def _lag_probe(state: RunState) -> None:
    lag = state.lag
    while True:
        t0 = time.perf_counter()
        await anyio.sleep(LAG_INTERVAL)
        lag.append(max(0.0, time.perf_counter() - t0 - LAG_INTERVAL))


async def run(
    cfg: RunConfig,
    state: RunState,
    progress: Callable[[int], None] | None = None,
    start_at_ns: int | None = None,
) -> None:
    """Run the benchmark of ``cfg``, filling ``state`` as requests finish.

    ``start_at_ns``: a ``perf_counter_ns`` time to start the timed part at (worker processes
    start together); ``progress`` is called with the number of finished requests.
    """
    state.backend = cfg.backend
    limiter = anyio.CapacityLimiter(cfg.max_concurrency) if cfg.max_concurrency else None
    offsets = arrival_offsets(
        len(cfg.samples), cfg.request_rate or math.inf, cfg.burstiness, cfg.seed
    )
    async with _client(cfg) as client:

        async def limited(i: int, sample: SampleRequest, due: int, record: bool) -> None:
            if limiter is not None:
                async with limiter:
                    rec = await _one(client, cfg, i, sample, due)
            else:
                rec = await _one(client, cfg, i, sample, due)
            if record:
                if not state.http_version and rec.http_version:
                    state.http_version = rec.http_version
                state.records.append(rec)
                if progress is not None:
                    progress(len(state.records))

        if cfg.num_warmups and cfg.samples:
            async with anyio.create_task_group() as tg:
                for i in range(cfg.num_warmups):
                    tg.start_soon(limited, -1 - i, cfg.samples[0], _now_ns(), False)
        if cfg.preconnect and cfg.samples:
            await _preconnect(client, cfg, state)
        if start_at_ns is not None:
            delay = (start_at_ns - _now_ns()) / 1e9
            if delay > 0:
                await anyio.sleep(delay)
        checkpoint = anyio.lowlevel.checkpoint
        async with anyio.create_task_group() as probe:
            probe.start_soon(_lag_probe, state)
            state.cpu_start = time.process_time()
            state.start_ns = start = _now_ns()
            async with anyio.create_task_group() as tg:
                for i, (sample, offset) in enumerate(zip(cfg.samples, offsets, strict=True)):
                    due = start + int(offset * 1e9)
                    wait = (due - _now_ns()) / 1e9
                    if wait > 0:
                        await anyio.sleep(wait)
                    index = cfg.index_start + i * cfg.index_step
                    tg.start_soon(limited, index, sample, due, True)
                    # let it run up to its write before the next one starts: a burst (rate
                    # inf) then goes out one request after another, each starting its clock
                    # when it really starts, instead of all clocks starting in one loop tick
                    # and every request waiting for all the others' encoding and writing
                    await checkpoint()
            state.end_ns = _now_ns()
            probe.cancel_scope.cancel()


def _is_interrupt(exc: BaseException) -> bool:
    """A Ctrl-C: ``KeyboardInterrupt``, or a group holding one (trio raises it from a nursery)."""
    if isinstance(exc, KeyboardInterrupt):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return any(_is_interrupt(e) for e in exc.exceptions)
    return False


def run_blocking(
    cfg: RunConfig,
    state: RunState,
    progress: Callable[[int], None] | None = None,
    start_at_ns: int | None = None,
) -> None:
    """:func:`run` on its own event loop; a Ctrl-C ends it with ``state.interrupted`` set
    (what was measured so far stays in ``state``)."""
    options = {"use_uvloop": True} if cfg.uvloop and cfg.backend == "asyncio" else {}
    try:
        anyio.run(
            run, cfg, state, progress, start_at_ns, backend=cfg.backend, backend_options=options
        )
    except BaseException as exc:
        if not _is_interrupt(exc):
            raise
        state.interrupted = True
