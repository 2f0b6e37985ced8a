"""``python -m groq_anyio._harness._worker``: one client process of ``--workers N``.

Reads ``{"config": RunConfig, "start_at_ns": int}`` as JSON on stdin, runs it, writes a
``WorkerOutput`` as JSON on stdout (also after Ctrl-C: what it measured so far).
"""

from __future__ import annotations

import os
import sys

import msgspec

from ._runner import RunConfig, RunState, run_blocking


class WorkerInput(msgspec.Struct):
    config: RunConfig
    start_at_ns: int | None = None


def main() -> int:
    job = msgspec.json.decode(sys.stdin.buffer.read(), type=WorkerInput)
    state = RunState()
    run_blocking(job.config, state, None, job.start_at_ns)
    # The result goes out whole, whatever the event loop did to stdout: uvloop leaves the pipe
    # non-blocking, and a result bigger than the pipe (the parent reads the workers one after
    # another) was then cut at 64 KiB. Written with os.write in a loop, on a blocking fd.
    data = memoryview(msgspec.json.encode(state.output()))
    sys.stdout.flush()
    fd = sys.stdout.fileno()
    os.set_blocking(fd, True)
    while data:
        try:
            data = data[os.write(fd, data) :]
        except BlockingIOError:  # (set back to non-blocking under us: wait for the reader)
            import select

            select.select([], [fd], [])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
