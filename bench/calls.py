"""Python function calls per plain request and per streamed chunk, for every client.

    python bench/calls.py [--clients groq_anyio-asyncio,floor,...]

Counts ``sys.setprofile`` "call" events on the event-loop thread (Python frames entered,
including every resumption of a coroutine or generator; C functions are not counted) while the
client talks to a local server in another process:

- per plain request: the mean over a few requests after a warm-up;
- per chunk, framed: one 10,000-chunk stream with every event in its own HTTP/1.1 chunk, many
  per network read (the HTTP parser sees a frame per chunk), divided by its chunks;
- per chunk, burst: one 10,000-chunk stream written in 64 KiB frames (many events per network
  read and per frame), divided by its chunks (the per-request part adds ~0.1 call per chunk);
- per chunk, trickle: one 500-chunk stream with a 2 ms pause between chunks, so every chunk is
  its own network read and event-loop wake-up (the request part adds ~2 calls per chunk).

The counts are deterministic up to event-loop scheduling, so one run is enough.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from _common import DEFAULT_CLIENTS


async def count_calls(job: Callable[[], Awaitable[Any]]) -> int:
    """Run ``job`` with a profiler counting Python function calls on this thread."""
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        await job()
    finally:
        sys.setprofile(None)
    return count


KINDS = (
    ("plain", "calls-plain"),
    ("framed", "calls-framed"),
    ("stream10k", "calls-burst"),
    ("trickle", "calls-trickle"),
)
KEYS = (
    "calls_per_request",
    "calls_per_chunk_framed",
    "calls_per_chunk_burst",
    "calls_per_chunk_trickle",
)


def measure(clients: list[str], quick: bool, timeout: float = 180.0) -> dict[str, dict[str, Any]]:
    """``{client: {"calls_per_request": ..., "calls_per_chunk_framed": ...,
    "calls_per_chunk_burst": ..., "calls_per_chunk_trickle": ...}}`` (and ``"error"`` when a run
    failed)."""
    import _procs

    out: dict[str, dict[str, Any]] = {c: {} for c in clients}
    with contextlib.ExitStack() as stack:
        urls = {srv: stack.enter_context(_procs.server(srv)) for srv, _ in KINDS}
        jobs = [(client, srv, kind) for srv, kind in KINDS for client in clients]

        def run(job: tuple[str, str, str]) -> tuple[str, str, dict[str, Any]]:
            client, srv, kind = job
            args = ["--client", client, "--kind", kind, "--url", urls[srv]]
            return client, kind, _procs.run_client([*args, "--quick"] if quick else args, timeout)

        # call counts do not depend on timing: two clients at a time
        pool = concurrent.futures.ThreadPoolExecutor(2)
        try:
            for client, kind, res in pool.map(run, jobs):
                if "error" in res:
                    out[client].setdefault("error", []).append(f"{kind}: {res['error']}")
                else:
                    out[client].update({k: v for k, v in res.items() if k.startswith("calls_per")})
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            _procs.kill_all()  # the running clients: their threads then return at once
            raise
        finally:
            pool.shutdown(wait=True)
    return out


def main() -> None:
    import _procs

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", default=",".join(DEFAULT_CLIENTS))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    _procs.install_signal_handlers()
    try:
        res = measure(args.clients.split(","), args.quick)
    finally:
        _procs.kill_all()
    print(
        f"{'client':<24}{'calls/request':>15}{'calls/chunk':>13}{'(64 KiB)':>10}{'(trickle)':>11}"
    )
    for client, r in res.items():
        cells = [r.get(k) for k in KEYS]
        t = ["-" if v is None else f"{v:.1f}" for v in cells]
        print(f"{client:<24}{t[0]:>15}{t[1]:>13}{t[2]:>10}{t[3]:>11}  {r.get('error', '')}")


if __name__ == "__main__":
    main()
