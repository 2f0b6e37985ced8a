"""``python -m groq_anyio._harness._serve``: the paced local server in its own process.

Prints its base URL on stdout once it listens, then serves until stdin closes or it is
terminated. Used by ``groq-anyio bench`` (no key and no ``--base-url``) and bench/fidelity.py.
"""

from __future__ import annotations

import argparse
import sys
import threading

import anyio


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="groq_anyio._harness._serve")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--ttft", type=float, default=0.04, help="seconds to the first token")
    p.add_argument("--tokens-per-s", type=float, default=250.0)
    p.add_argument("--jitter", type=float, default=0.0, help="seconds (std of each gap)")
    p.add_argument("--output-tokens", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--record", action="store_true", help="record send times (GET /openai/v1/_paced/sends)"
    )
    p.add_argument("--no-http2", dest="http2", action="store_false", default=True)
    p.add_argument("--backend", default="asyncio")
    p.add_argument("--uvloop", action="store_true", help="asyncio on uvloop (when installed)")
    args = p.parse_args(argv)

    from ..testing import GroqTestServer, PacedChat, SendLog

    reply = PacedChat(
        ttft=args.ttft,
        tokens_per_second=args.tokens_per_s,
        jitter=args.jitter,
        output_tokens=args.output_tokens,
        seed=args.seed,
        log=SendLog() if args.record else None,
    )
    server = GroqTestServer(
        args.host, args.port, http2=args.http2, default=reply, record_requests=False
    )

    async def serve() -> None:
        async with server:
            token = anyio.lowlevel.current_token()
            stop = anyio.Event()

            def watch_stdin() -> None:  # the parent closed our stdin (or died): stop
                sys.stdin.buffer.read()
                anyio.from_thread.run_sync(stop.set, token=token)

            threading.Thread(target=watch_stdin, daemon=True).start()
            sys.stdout.write(server.base_url + "\n")
            sys.stdout.flush()
            await stop.wait()

    try:
        options = {"use_uvloop": True} if args.uvloop and args.backend == "asyncio" else {}
        anyio.run(serve, backend=args.backend, backend_options=options)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
