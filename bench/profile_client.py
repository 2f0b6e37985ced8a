"""Profile one client in one scenario: where its CPU goes (cProfile) or its memory (tracemalloc).

    python bench/profile_client.py --client groq_anyio-asyncio --scenario stream10k
    python bench/profile_client.py --client floor --scenario concurrent-tls --sort cumulative
    python bench/profile_client.py --client groq_anyio-asyncio --scenario paced-h2 --memory

Starts the scenario's server in another process (as run_all.py does), runs the client in this
process: warm-up, then the measured loop under cProfile (``--memory``: the streams held open,
under tracemalloc, for paced scenarios), and prints the top functions / allocation sites.
Profiling slows Python code down several times; read the shares, not the absolute times.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import sys
import tracemalloc
from typing import Any

import _procs
import anyio
from _client import Adapter, make_adapter
from _common import CLIENTS, CONCURRENCY, FULL, PACED_CHUNKS, SCENARIOS


async def measured(a: Adapter, kind: str, streams: int) -> None:
    if kind == "plain":
        for _ in range(FULL.plain):
            await a.complete()
    elif kind == "concurrent":

        async def worker() -> None:
            for _ in range(FULL.concurrent_per_task):
                await a.complete()

        async with anyio.create_task_group() as tg:
            for _ in range(CONCURRENCY):
                tg.start_soon(worker)
    elif kind == "stream":
        for _ in range(FULL.streams):
            await a.consume()
    elif kind == "ttft":
        for _ in range(FULL.ttft):
            await a.consume([])
    elif kind == "paced":
        async with anyio.create_task_group() as tg:
            for _ in range(streams):
                tg.start_soon(a.consume)
    else:
        raise SystemExit(f"cannot profile {kind!r}")


async def warm(a: Adapter, kind: str) -> None:
    if kind in ("plain", "concurrent"):
        for _ in range(20):
            await a.complete(warm=True)
    else:
        await a.consume(warm=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--client", choices=sorted(CLIENTS), required=True)
    p.add_argument("--scenario", choices=sorted(SCENARIOS), required=True)
    p.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--memory", action="store_true", help="tracemalloc while streams are open")
    p.add_argument("--streams", type=int, default=200, help="paced streams to open (--memory)")
    p.add_argument("--save", help="also write the cProfile stats to this file")
    p.add_argument("--server", help="another server scenario (e.g. trickle) for the same loop")
    args = p.parse_args()
    sc = SCENARIOS[args.scenario]
    backend = CLIENTS[args.client].backend
    _procs.install_signal_handlers()
    try:
        with contextlib.ExitStack() as stack:
            certdir = stack.enter_context(_procs.certificates()) if sc.tls else None
            url = stack.enter_context(_procs.server(args.server or sc.server, certdir))
            cafile = os.path.join(certdir, "ca.pem") if certdir else None
            if args.memory:
                run_memory(args, url, cafile, backend)
            else:
                run_cpu(args, url, cafile, backend)
    finally:
        _procs.kill_all()


def loop_options(client: str) -> dict[str, Any]:
    return {"use_uvloop": True} if CLIENTS[client].loop == "uvloop" else {}


def run_cpu(args: argparse.Namespace, url: str, cafile: str | None, backend: str) -> None:
    sc = SCENARIOS[args.scenario]
    prof = cProfile.Profile()

    async def go() -> None:
        a = make_adapter(args.client, url, sc.http2, cafile)
        try:
            await warm(a, sc.kind)
            prof.enable()
            try:
                await measured(a, sc.kind, args.streams)
            finally:
                prof.disable()
        finally:
            await a.aclose()

    anyio.run(go, backend=backend, backend_options=loop_options(args.client))
    stats = pstats.Stats(prof, stream=sys.stdout)
    if args.save:
        stats.dump_stats(args.save)
    stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)


def run_memory(args: argparse.Namespace, url: str, cafile: str | None, backend: str) -> None:
    sc = SCENARIOS[args.scenario]
    if sc.kind != "paced":
        raise SystemExit("--memory needs a paced scenario")
    snaps: list[Any] = []

    async def go() -> None:
        a = make_adapter(args.client, url, sc.http2, cafile)
        try:
            await warm(a, sc.kind)
            tracemalloc.start(12)
            base = tracemalloc.take_snapshot()

            async def snap_later() -> None:
                await anyio.sleep(PACED_CHUNKS * 0.05 / 2)  # half way: every stream is open
                snaps.append(tracemalloc.take_snapshot())

            async with anyio.create_task_group() as tg:
                tg.start_soon(snap_later)
                await measured(a, sc.kind, args.streams)
            snaps.insert(0, base)
        finally:
            tracemalloc.stop()
            await a.aclose()

    anyio.run(go, backend=backend, backend_options=loop_options(args.client))
    base, mid = snaps
    stats = mid.compare_to(base, "traceback")
    total = sum(s.size_diff for s in stats)
    print(f"{total / args.streams / 1024:.1f} KiB per open stream (Python allocations only)")
    # charge each allocation to the innermost frame in the client library (or the floor)
    by_site: dict[str, list[int]] = {}
    for s in stats:
        frames = list(s.traceback)  # outermost first with tracemalloc.start(n)
        site = frames[-1]
        for fr in reversed(frames):
            if "/groq_anyio/" in fr.filename or fr.filename.endswith("_floor.py"):
                site = fr
                break
        key = f"{site.filename.split('site-packages/')[-1].split('/main/')[-1]}:{site.lineno}"
        acc = by_site.setdefault(key, [0, 0])
        acc[0] += s.size_diff
        acc[1] += s.count_diff
    top = sorted(by_site.items(), key=lambda kv: -kv[1][0])[: args.top]
    for key, (size, count) in top:
        print(f"{size / args.streams:8.0f} B/stream {count / args.streams:6.1f} objs  {key}")


if __name__ == "__main__":
    main()
