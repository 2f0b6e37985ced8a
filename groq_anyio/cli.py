"""Command line: ``groq-anyio chat "prompt"`` streams an answer; ``groq-anyio serve`` runs the
local Groq-compatible server.

With no ``GROQ_API_KEY`` in the environment, ``chat`` starts the local server in-process (same
event loop) and talks to it, and says so on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .types.chat import ChatCompletionMessageParam

DEFAULT_MODEL = "llama-3.3-70b-versatile"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="groq-anyio", description="Async Groq client on anyio.")
    sub = p.add_subparsers(dest="command", required=True)
    chat = sub.add_parser("chat", help="stream a chat completion to stdout")
    chat.add_argument("prompt", help="the user message")
    chat.add_argument("--model", default=DEFAULT_MODEL)
    chat.add_argument("--system", default=None, help="an optional system message")
    chat.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    h2 = chat.add_mutually_exclusive_group()
    h2.add_argument(
        "--http2",
        dest="protocol",
        action="store_const",
        const="h2",
        default="auto",
        help="HTTP/2 only (ALPN over TLS; h2c prior knowledge to the local server)",
    )
    h2.add_argument(
        "--http1", dest="protocol", action="store_const", const="h1", help="HTTP/1.1 only"
    )
    chat.add_argument("--max-tokens", type=int, default=None)
    chat.add_argument("--temperature", type=float, default=None)
    chat.add_argument(
        "--local",
        action="store_true",
        help="use the embedded local server even if GROQ_API_KEY is set",
    )
    serve = sub.add_parser("serve", help="run the local Groq-compatible server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--no-http2", dest="http2", action="store_false", default=True)
    from ._serve_cli import add_record_command, add_serve_options

    add_serve_options(serve)
    add_record_command(sub)
    from ._harness._cli import add_parser as add_bench_command

    add_bench_command(sub)
    return p


async def _chat(args: argparse.Namespace) -> int:
    from contextlib import AsyncExitStack

    from . import AsyncGroq, GroqError

    api_key = os.environ.get("GROQ_API_KEY")
    async with AsyncExitStack() as stack:
        base_url = None
        if not api_key or args.local:
            from .testing import GroqTestServer

            server = await stack.enter_async_context(GroqTestServer(http2=True))
            base_url = server.base_url
            why = "--local: GROQ_API_KEY is set but not used" if api_key else "no GROQ_API_KEY set"
            api_key = "local-test-key"
            print(
                f"[groq-anyio] {why}: using the embedded local server at {base_url}",
                file=sys.stderr,
            )
        try:
            client = AsyncGroq(
                api_key=api_key,
                base_url=base_url,
                http1=args.protocol != "h2",
                # (neither flag: the client's default, HTTP/1.1)
                http2={"h2": True, "h1": False}.get(args.protocol),
            )
        except GroqError as exc:  # a bad GROQ_BASE_URL, ...: one line, no traceback
            print(f"[groq-anyio] error: {exc}", file=sys.stderr)
            return 2
        client = await stack.enter_async_context(client)
        messages: list[ChatCompletionMessageParam] = []
        if args.system:
            messages.append({"role": "system", "content": args.system})
        messages.append({"role": "user", "content": args.prompt})
        t0 = time.perf_counter()
        try:
            stream = await client.chat.completions.create(
                model=args.model,
                messages=messages,
                stream=True,
                max_tokens=args.max_tokens,
                temperature=args.temperature,
            )
            async with stream:
                async for chunk in stream:
                    for choice in chunk.choices:
                        if choice.delta.content:
                            sys.stdout.write(choice.delta.content)
                            sys.stdout.flush()
        except GroqError as exc:
            print(f"\n[groq-anyio] error: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        sys.stdout.write("\n")
        sys.stdout.flush()
        elapsed = time.perf_counter() - t0
        final = stream.get_final_completion()
        ttft = stream.timings.time_to_first_token
        usage = final.usage
        parts = [f"model={final.model or args.model}", f"http={stream.http_version}"]
        parts.append(f"ttft={ttft * 1000:.1f}ms" if ttft is not None else "ttft=n/a")
        parts.append(f"total={elapsed * 1000:.1f}ms")
        if usage is not None and usage.completion_tokens:
            gen_time = usage.completion_time or None
            if gen_time:
                parts.append(f"{usage.completion_tokens / gen_time:.0f} tok/s (server)")
            parts.append(f"{usage.completion_tokens} tokens")
        print("[groq-anyio] " + " ".join(parts), file=sys.stderr)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from ._serve_cli import server_options
    from .testing import serve_forever

    options = server_options(args)

    def ready(url: str) -> None:
        print(
            f"[groq-anyio] local Groq-compatible server on {url}/openai/v1",
            file=sys.stderr,
            flush=True,
        )

    try:
        serve_forever(args.host, args.port, http2=args.http2, ready=ready, **options)
    except KeyboardInterrupt:
        pass
    except (OSError, BaseExceptionGroup) as exc:  # a busy port, a host we cannot bind: one line
        err = _os_error(exc)
        if err is None:
            raise
        reason = err.strerror or str(err)
        print(f"[groq-anyio] cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return 1
    return 0


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError in ``exc`` (itself, or the only kind inside an exception group), or None."""
    if isinstance(exc, OSError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        found = [_os_error(e) for e in exc.exceptions]
        if found and all(e is not None for e in found):
            return found[0]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "record":
        from ._serve_cli import run_record

        return run_record(args)
    if args.command == "bench":
        from ._harness._cli import main as bench_main

        return bench_main(args)
    import anyio

    if args.backend == "trio":
        import importlib.util

        # (looked up, not imported: anyio imports it; docs/architecture.md, "Import rules")
        if importlib.util.find_spec("trio") is None:
            print(
                "[groq-anyio] --backend trio needs trio: pip install 'groq_anyio[trio]'",
                file=sys.stderr,
            )
            return 2
    try:
        return anyio.run(_chat, args, backend=args.backend)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
