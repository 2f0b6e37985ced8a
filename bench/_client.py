"""One client, one scenario, one fresh process; prints one ``RESULT {json}`` line.

    python bench/_client.py --client groq_anyio-asyncio --scenario plain --url http://127.0.0.1:P

Clients (``_common.CLIENTS``): groq_anyio on asyncio (default loop and uvloop) and trio, with its
default HTTP/1.1 parser or a chosen one (``--parser``, passed as ``http1_parser=`` when AsyncGroq
has that option); the official ``groq`` SDK (AsyncGroq) on httpx and on its aiohttp transport
(``DefaultAioHttpClient``); the ``openai`` SDK (AsyncOpenAI); raw aiohttp + msgspec
(``_aiohttp_client.py``); the httptools floors (``_httptools_floor.py``: asyncio.Protocol, or anyio
streams on asyncio and trio); and the httpcore floor (``_floor.py``). All get the same pool
size. The client library is imported only after the start stamp (for the ``first`` scenario).
Each scenario warms up (with requests carrying the warm-up header, which the server answers
briefly), then measures ``time.process_time()`` and ``time.perf_counter()`` around the loop.
"""

from __future__ import annotations

import time

T_START = time.perf_counter()  # before the client library is imported

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import gc  # noqa: E402
import inspect  # noqa: E402
import ssl  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from typing import Any  # noqa: E402

import anyio  # noqa: E402
from _common import (  # noqa: E402
    API_KEY,
    CLIENTS,
    CONCURRENCY,
    FULL,
    MESSAGES,
    MODEL,
    PACED_CHUNKS,
    POOL_SIZE,
    QUICK,
    STREAM_CHUNKS,
    TEMPERATURE,
    WARMUP_HEADER,
    Sizes,
    die_with_parent,
    emit,
    proc_status_kib,
    reset_peak_rss,
)

perf_counter = time.perf_counter
process_time = time.process_time
WARM = {WARMUP_HEADER: "1"}


def client_ssl_context(cafile: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=cafile)
    return ctx


class Adapter:
    """The same two operations for every client: one plain completion, one consumed stream."""

    async def complete(self, warm: bool = False) -> Any:
        raise NotImplementedError

    async def consume(self, mark: list[float] | None = None, warm: bool = False) -> int:
        """Consume one stream, touching every chunk's content; stamp the first chunk in
        ``mark``. Returns the number of chunks."""
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError


class GroqAnyio(Adapter):
    #: what ``parser`` was asked and what happened to it (echoed in the result)
    parser_note = ""
    #: the HTTP version a warm-up stream was answered with (``version_check``)
    http_version = ""

    def __init__(self, url: str, http2: bool, ctx: ssl.SSLContext | None, parser: str) -> None:
        from groq_anyio import AsyncGroq

        options: dict[str, Any] = {}
        if parser:
            if "http1_parser" in inspect.signature(AsyncGroq).parameters:
                options["http1_parser"] = parser
                self.parser_note = parser
            elif parser == "h11":  # before the option existed, h11 was the only parser
                self.parser_note = "h11 (AsyncGroq has no http1_parser: its only parser)"
            else:
                raise RuntimeError(f"AsyncGroq has no http1_parser option: cannot use {parser}")
        self.client = AsyncGroq(
            api_key=API_KEY,
            base_url=url,
            max_connections=POOL_SIZE,
            max_keepalive_connections=POOL_SIZE,
            http2=http2,
            http1=not http2,
            verify=ctx,
            **options,
        )
        self.create = self.client.chat.completions.create

    async def complete(self, warm: bool = False) -> Any:
        if warm:
            c = await self.create(
                model=MODEL, messages=MESSAGES, temperature=TEMPERATURE, extra_headers=WARM
            )
        else:
            c = await self.create(model=MODEL, messages=MESSAGES, temperature=TEMPERATURE)
        return c.choices[0].message.content

    async def consume(self, mark: list[float] | None = None, warm: bool = False) -> int:
        n = 0
        stream = await self.create(
            model=MODEL,
            messages=MESSAGES,
            temperature=TEMPERATURE,
            stream=True,
            extra_headers=WARM if warm else None,
        )
        async with stream:
            if warm:
                self.http_version = str(getattr(stream, "http_version", "?"))
            async for chunk in stream:
                if not n and mark is not None:
                    mark.append(perf_counter())
                n += 1
                if chunk.choices:
                    chunk.choices[0].delta.content  # noqa: B018
        return n

    async def version_check(self) -> str:
        """One more (warm-up) stream after the measured loop: the HTTP version it got."""
        await self.consume(warm=True)
        return self.http_version

    async def aclose(self) -> None:
        await self.client.aclose()


class StainlessSDK(Adapter):
    """The official ``groq`` SDK and the ``openai`` SDK share their generated structure."""

    def __init__(self, family: str, url: str, http2: bool, ctx: ssl.SSLContext | None) -> None:
        verify: Any = ctx if ctx is not None else True
        if family in ("groq-sdk", "groq-sdk-aiohttp"):
            import groq
            import httpx

            limits = httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE)
            timeout = httpx.Timeout(60.0, connect=5.0)
            if family == "groq-sdk-aiohttp":  # HTTP/1.1 only
                http: Any = groq.DefaultAioHttpClient(limits=limits, timeout=timeout, verify=verify)
            else:
                http = httpx.AsyncClient(
                    limits=limits, timeout=timeout, verify=verify, http1=not http2, http2=http2
                )
            self.client: Any = groq.AsyncGroq(api_key=API_KEY, base_url=url, http_client=http)
        else:
            import httpx2
            import openai

            http2_client = httpx2.AsyncClient(
                limits=httpx2.Limits(
                    max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE
                ),
                timeout=httpx2.Timeout(60.0, connect=5.0),
                verify=verify,
                http1=not http2,
                http2=http2,
            )
            self.client = openai.AsyncOpenAI(
                api_key=API_KEY, base_url=url + "/openai/v1", http_client=http2_client
            )
        self.create = self.client.chat.completions.create

    async def complete(self, warm: bool = False) -> Any:
        if warm:
            c = await self.create(
                model=MODEL, messages=MESSAGES, temperature=TEMPERATURE, extra_headers=WARM
            )
        else:
            c = await self.create(model=MODEL, messages=MESSAGES, temperature=TEMPERATURE)
        return c.choices[0].message.content

    async def consume(self, mark: list[float] | None = None, warm: bool = False) -> int:
        n = 0
        if warm:
            stream = await self.create(
                model=MODEL,
                messages=MESSAGES,
                temperature=TEMPERATURE,
                stream=True,
                extra_headers=WARM,
            )
        else:
            stream = await self.create(
                model=MODEL, messages=MESSAGES, temperature=TEMPERATURE, stream=True
            )
        async with stream:
            async for chunk in stream:
                if not n and mark is not None:
                    mark.append(perf_counter())
                n += 1
                if chunk.choices:
                    chunk.choices[0].delta.content  # noqa: B018
        return n

    async def aclose(self) -> None:
        await self.client.close()


class HandWritten(Adapter):
    """The hand-written clients (httpcore floor, raw aiohttp, httptools floors) share one shape:
    ``complete(payload, extra)`` and ``async with stream(payload, extra) as chunks``."""

    def __init__(self, family: str, url: str, http2: bool, ctx: ssl.SSLContext | None) -> None:
        self.client: Any
        if family == "floor":
            from _floor import FloorClient

            self.client = FloorClient(
                url, API_KEY, max_connections=POOL_SIZE, http2=http2, ssl_context=ctx
            )
        elif family == "aiohttp":
            from _aiohttp_client import AiohttpClient

            self.client = AiohttpClient(url, API_KEY, max_connections=POOL_SIZE, ssl_context=ctx)
        else:
            from _httptools_floor import HttptoolsClient

            flavour = family.removeprefix("httptools-")
            self.client = HttptoolsClient(
                url, API_KEY, max_connections=POOL_SIZE, ssl_context=ctx, flavour=flavour
            )
        self.payload = {"model": MODEL, "messages": MESSAGES, "temperature": TEMPERATURE}
        self.stream_payload = {**self.payload, "stream": True}
        self.warm = [(WARMUP_HEADER.encode(), b"1")]

    async def complete(self, warm: bool = False) -> Any:
        c = await self.client.complete(self.payload, self.warm if warm else None)
        return c.choices[0].message.content

    async def consume(self, mark: list[float] | None = None, warm: bool = False) -> int:
        n = 0
        async with self.client.stream(self.stream_payload, self.warm if warm else None) as stream:
            async for chunk in stream:
                if not n and mark is not None:
                    mark.append(perf_counter())
                n += 1
                if chunk.choices:
                    chunk.choices[0].delta.content  # noqa: B018
        return n

    async def aclose(self) -> None:
        await self.client.aclose()


def make_adapter(
    client: str, url: str, http2: bool, cafile: str | None, parser: str | None = None
) -> Adapter:
    spec = CLIENTS[client]
    ctx = client_ssl_context(cafile) if cafile else None
    if http2 and not spec.h2:
        raise RuntimeError(f"{client} does not speak HTTP/2")
    if spec.family == "groq_anyio":
        if ctx is not None:  # (a caller's context is used as given: its ALPN is ours to set)
            ctx.set_alpn_protocols(["h2"] if http2 else ["http/1.1"])
        return GroqAnyio(url, http2, ctx, spec.parser if parser is None else parser)
    if spec.family in ("floor", "aiohttp", "httptools-proto", "httptools-anyio"):
        return HandWritten(spec.family, url, http2, ctx)
    return StainlessSDK(spec.family, url, http2, ctx)


# -- scenarios ----------------------------------------------------------------------------------


#: set by --units (instructions.py): freeze what exists before the measured loop
FREEZE = False


def _measure_start() -> tuple[float, float]:
    gc.collect()
    if FREEZE:
        # Instruction counts compare two runs: a full collection over the start-up objects
        # (millions of instructions) that lands inside one run's loop and not the other's would
        # swamp the difference. Frozen, those objects are no longer traversed by any collection
        # in either run; the collections of what the loop itself allocates still count.
        gc.freeze()
    return process_time(), perf_counter()


async def run_plain(a: Adapter, sizes: Sizes) -> dict[str, Any]:
    for _ in range(sizes.plain_warmup):
        await a.complete(warm=True)
    n = sizes.plain
    c0, w0 = _measure_start()
    for _ in range(n):
        await a.complete()
    cpu, wall = process_time() - c0, perf_counter() - w0
    return {"requests": n, "cpu_us": cpu / n * 1e6, "rps": n / wall, "wall_s": wall}


async def _fan_out(count: int, per_task: int, job: Callable[[], Awaitable[Any]]) -> None:
    async def worker() -> None:
        for _ in range(per_task):
            await job()

    async with anyio.create_task_group() as tg:
        for _ in range(count):
            tg.start_soon(worker)


async def run_concurrent(a: Adapter, sizes: Sizes) -> dict[str, Any]:
    async def warm() -> None:
        await a.complete(warm=True)

    await _fan_out(CONCURRENCY, 1 if sizes is QUICK else 2, warm)
    per_task = sizes.concurrent_per_task
    n = CONCURRENCY * per_task
    c0, w0 = _measure_start()
    await _fan_out(CONCURRENCY, per_task, a.complete)
    cpu, wall = process_time() - c0, perf_counter() - w0
    return {"requests": n, "cpu_us": cpu / n * 1e6, "rps": n / wall, "wall_s": wall}


async def run_stream(a: Adapter, sizes: Sizes) -> dict[str, Any]:
    await a.consume(warm=True)
    chunks = 0
    c0, w0 = _measure_start()
    for _ in range(sizes.streams):
        chunks += await a.consume()
    cpu, wall = process_time() - c0, perf_counter() - w0
    if chunks < sizes.streams * STREAM_CHUNKS:
        raise RuntimeError(f"only {chunks} chunks arrived")
    return {"chunks": chunks, "cpu_us": cpu / chunks * 1e6, "cps": chunks / wall, "wall_s": wall}


async def run_ttft(a: Adapter, sizes: Sizes) -> dict[str, Any]:
    for _ in range(10):
        await a.consume(warm=True)
    times: list[float] = []
    c0, _ = _measure_start()
    for _ in range(sizes.ttft):
        mark: list[float] = []
        t0 = perf_counter()
        await a.consume(mark)
        times.append(mark[0] - t0)
    cpu = process_time() - c0
    times.sort()
    return {
        "streams": len(times),
        "ttft_ms": statistics.median(times) * 1e3,
        "ttft_p90_ms": times[int(len(times) * 0.9)] * 1e3,
        "ttft_min_ms": times[0] * 1e3,
        "cpu_us_per_stream": cpu / len(times) * 1e6,
    }


async def run_paced(a: Adapter, sizes: Sizes) -> dict[str, Any]:
    await a.consume(warm=True)
    opened: list[float] = []
    finished: list[float] = []
    failures: list[str] = []
    chunks = 0
    state = {"running": True, "peak": 0}

    async def one() -> None:
        nonlocal chunks
        mark: list[float] = []
        try:
            n = await a.consume(mark)
        except Exception as exc:
            failures.append(repr(exc)[:200])
            return
        if n < PACED_CHUNKS:
            failures.append(f"short stream: {n} chunks")
        chunks += n
        opened.append(mark[0] - t0)
        finished.append(perf_counter() - t0)

    async def sample() -> None:  # fallback when VmHWM cannot be reset
        while state["running"]:
            state["peak"] = max(state["peak"], proc_status_kib("VmRSS"))
            await anyio.sleep(0.02)

    gc.collect()
    hwm_reset = reset_peak_rss()
    base = proc_status_kib("VmRSS")
    c0, t0 = process_time(), perf_counter()
    async with anyio.create_task_group() as tg:
        if not hwm_reset:
            tg.start_soon(sample)
        async with anyio.create_task_group() as streams:
            for _ in range(sizes.paced_streams):
                streams.start_soon(one)
        state["running"] = False
    cpu, wall = process_time() - c0, perf_counter() - t0
    peak = max(proc_status_kib("VmHWM") if hwm_reset else 0, state["peak"])
    return {
        "streams": sizes.paced_streams,
        "ok": len(finished),
        "failures": len(failures),
        "failure_sample": failures[:3],
        "all_open_s": max(opened) if opened else None,
        "wall_s": max(finished) if finished else wall,
        "rss_base_kib": base,
        "rss_peak_kib": peak,
        "kib_per_stream": (peak - base) / sizes.paced_streams,
        "cpu_us_per_chunk": cpu / max(chunks, 1) * 1e6,
    }


async def run_first(a: Adapter, sizes: Sizes) -> dict[str, Any]:
    await a.complete()
    return {"first_ms": (perf_counter() - T_START) * 1e3}


async def run_calls(a: Adapter, sizes: Sizes, what: str) -> dict[str, Any]:
    from calls import count_calls

    if what == "plain":
        for _ in range(20):
            await a.complete(warm=True)
        n = sizes.calls_requests

        async def job() -> None:
            for _ in range(n):
                await a.complete()

        calls = await count_calls(job)
        return {"calls_per_request": calls / n}
    await a.consume(warm=True)
    chunks = 0

    async def stream_job() -> None:
        nonlocal chunks
        chunks = await a.consume()

    calls = await count_calls(stream_job)
    return {f"calls_per_chunk_{what}": calls / chunks, "chunks": chunks}


#: the Sizes field that ``--units`` overrides, per scenario kind
UNIT_FIELDS = {"plain": "plain", "concurrent": "concurrent_per_task", "stream": "streams"}

SCENARIO_RUNNERS: dict[str, Callable[[Adapter, Sizes], Awaitable[dict[str, Any]]]] = {
    "plain": run_plain,
    "concurrent": run_concurrent,
    "stream": run_stream,
    "ttft": run_ttft,
    "paced": run_paced,
    "first": run_first,
    "calls-plain": lambda a, s: run_calls(a, s, "plain"),
    "calls-framed": lambda a, s: run_calls(a, s, "framed"),
    "calls-burst": lambda a, s: run_calls(a, s, "burst"),
    "calls-trickle": lambda a, s: run_calls(a, s, "trickle"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--client", choices=sorted(CLIENTS), required=True)
    parser.add_argument("--kind", choices=sorted(SCENARIO_RUNNERS), required=True)
    parser.add_argument("--url", required=True, help="server base URL (no /openai/v1)")
    parser.add_argument("--http2", action="store_true", help="HTTP/2 only (h2c prior knowledge)")
    parser.add_argument("--cafile", help="trust this CA (TLS scenarios)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--label", default="", help="echoed in the result")
    parser.add_argument(
        "--parser",
        choices=("auto", "httptools", "h11"),
        help="groq_anyio's http1_parser (default: the client's own, see _common.CLIENTS)",
    )
    parser.add_argument(
        "--units",
        type=int,
        help="override the measured loop's size: requests (plain), requests per task "
        "(concurrent) or streams (stream); used by instructions.py",
    )
    args = parser.parse_args()
    die_with_parent()
    sizes = QUICK if args.quick else FULL
    if args.units is not None:
        global FREEZE
        FREEZE = True
        field = UNIT_FIELDS[args.kind]
        sizes = dataclasses.replace(sizes, **{field: args.units})
    spec = CLIENTS[args.client]
    runner = SCENARIO_RUNNERS[args.kind]
    notes: dict[str, str] = {}

    async def main_async() -> dict[str, Any]:
        adapter = make_adapter(args.client, args.url, args.http2, args.cafile, args.parser)
        if isinstance(adapter, GroqAnyio) and adapter.parser_note:
            notes["parser"] = adapter.parser_note
        try:
            result = await runner(adapter, sizes)
            if isinstance(adapter, GroqAnyio):  # after the measured loop: costs it nothing
                result["http_version"] = await adapter.version_check()
            return result
        finally:
            await adapter.aclose()

    options = {"use_uvloop": True} if spec.loop == "uvloop" else {}
    result = anyio.run(main_async, backend=spec.backend, backend_options=options)
    result.update(client=args.client, kind=args.kind, label=args.label, **notes)
    emit(result)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
