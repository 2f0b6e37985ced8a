"""``python -m groq_anyio._harness._worker``: one client process of ``--workers N``.

Reads ``{"config": RunConfig, "start_at_ns": int}`` as JSON on stdin, runs it, writes a
``WorkerOutput`` as JSON on stdout (also after Ctrl-C: what it measured so far).
"""

from __future__ import annotations

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
    sys.stdout.buffer.write(msgspec.json.encode(state.output()))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
