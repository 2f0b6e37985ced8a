"""``--workers N``: N client processes (one event loop each) driving one load, merged.

Each worker gets every N-th prompt, ``rate / N`` and its share of ``--max-concurrency``
(together the same load as one process would offer) and a seed of its own, and starts its timed
part at one shared ``perf_counter_ns`` instant (the monotonic clock is system-wide, so the
records of all workers line up). The merge keeps every record; the duration runs from the
first worker's start to the last one's end.
"""

from __future__ import annotations

import math
import subprocess
import sys
import time

import msgspec

from .._decode_errors import DECODE_ERRORS
from ._records import WorkerOutput
from ._runner import RunConfig

__all__ = ["WorkerError", "merge", "run_workers", "split"]

#: head start given to the workers to import and warm up before the shared start
START_DELAY_S = 2.0


class WorkerError(RuntimeError):
    pass


def split(cfg: RunConfig, n: int) -> list[RunConfig]:
    """The shares of up to ``n`` workers: never more workers than prompts or concurrency slots
    (every worker gets at least one of each)."""
    n = max(1, min(n, len(cfg.samples), cfg.max_concurrency or n))
    out = []
    for k in range(n):
        samples = cfg.samples[k::n]
        conc = None
        if cfg.max_concurrency is not None:
            conc = cfg.max_concurrency // n + (1 if k < cfg.max_concurrency % n else 0)
        out.append(
            msgspec.structs.replace(
                cfg,
                samples=samples,
                request_rate=None if cfg.request_rate is None else cfg.request_rate / n,
                max_concurrency=conc,
                num_warmups=math.ceil(cfg.num_warmups / n),
                seed=cfg.seed + k,
                index_start=k,
                index_step=n,
            )
        )
    return out


def merge(outputs: list[WorkerOutput]) -> WorkerOutput:
    records = [r for o in outputs for r in o.records]
    records.sort(key=lambda r: r.index)
    clients = [o.client for o in outputs]
    merged = WorkerOutput(
        records=records,
        client=clients[0],
        start_ns=min(o.start_ns for o in outputs),
        end_ns=max(o.end_ns for o in outputs),
        interrupted=any(o.interrupted for o in outputs),
    )
    return merged


def run_workers(cfg: RunConfig, n: int) -> list[WorkerOutput]:
    """Run the shares in ``n`` processes; returns each worker's output (also after Ctrl-C)."""
    start_at = time.perf_counter_ns() + int(START_DELAY_S * 1e9) + int(cfg.num_warmups * 1e8)
    procs = []
    for share in split(cfg, n):
        job = msgspec.json.encode({"config": share, "start_at_ns": start_at})
        proc = subprocess.Popen(
            [sys.executable, "-m", "groq_anyio._harness._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert proc.stdin is not None
        proc.stdin.write(job)
        proc.stdin.close()
        proc.stdin = None  # (communicate() below must not touch it again)
        procs.append(proc)
    outputs = []
    interrupted = False
    for proc in procs:
        while True:
            try:
                data, _ = proc.communicate()  # (can be called again after an interruption)
                break
            except KeyboardInterrupt:  # the workers got it too: collect what they measured
                interrupted = True
        if proc.returncode != 0 or not data:
            raise WorkerError(f"a worker process failed (exit status {proc.returncode})")
        try:
            outputs.append(msgspec.json.decode(data, type=WorkerOutput))
        except DECODE_ERRORS as exc:
            raise WorkerError(f"a worker process sent an unreadable result ({exc})") from None
    if interrupted:
        for o in outputs:
            o.interrupted = True
    return outputs
