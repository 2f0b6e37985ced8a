"""The options of ``groq-anyio serve`` that shape the local server, and ``groq-anyio record``.

``cli.py`` adds these to its parser (:func:`add_serve_options`, :func:`add_record_command`) and
calls :func:`server_options` / :func:`run_record`. Only ``argparse`` is imported up front: the
testing package (the server) is imported when a command runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["add_record_command", "add_serve_options", "run_record", "server_options"]


def add_serve_options(serve: argparse.ArgumentParser) -> None:
    """The ``serve`` flags for keys, models, strictness, replay, batches and TLS."""
    serve.add_argument(
        "--api-key",
        default=None,
        help="require 'Authorization: Bearer KEY' (others get Groq's 401 invalid_api_key)",
    )
    models = serve.add_mutually_exclusive_group()
    models.add_argument(
        "--models",
        default=None,
        help="comma-separated model ids to accept (default: Groq's models; others get a 404)",
    )
    models.add_argument(
        "--any-model", action="store_true", help="accept any model id (no model_not_found)"
    )
    serve.add_argument(
        "--lenient",
        action="store_true",
        help="accept what Groq rejects (n != 1, out-of-range parameters, empty messages...)",
    )
    serve.add_argument(
        "--replay",
        action="append",
        default=None,
        metavar="PATH",
        help="answer with recorded exchanges: a JSON file or a folder of them (repeatable)",
    )
    serve.add_argument(
        "--batch-timing",
        default=None,
        metavar="V,P,F",
        help="seconds a batch spends validating, in_progress and finalizing (default: instant)",
    )
    tls = serve.add_argument_group("TLS")
    tls.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a generated certificate (prints the CA file for clients)",
    )
    tls.add_argument("--certfile", default=None, help="serve HTTPS with this certificate chain")
    tls.add_argument("--keyfile", default=None, help="the private key of --certfile")
    tls.add_argument(
        "--tls-dir", default=None, help="where --tls writes its PEM files (default: a temp dir)"
    )


def _fail(message: str) -> None:
    print(f"groq-anyio serve: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def server_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for :func:`serve_forever` from the parsed ``serve`` flags; prints
    where the TLS files are when ``--tls`` generated them."""
    from .testing._tls import TLSUnavailableError, make_certificates, server_context

    out: dict[str, Any] = {"api_key": args.api_key, "strict": not args.lenient}
    if args.any_model:
        out["models"] = None
    elif args.models:
        out["models"] = [m.strip() for m in args.models.split(",") if m.strip()]
    if args.replay:
        out["replay"] = args.replay
        for path in args.replay:
            if not Path(path).exists():
                _fail(f"--replay {path}: no such file or folder")
    if args.batch_timing:
        try:
            v, p, f = (float(x) for x in args.batch_timing.split(","))
        except ValueError:
            _fail("--batch-timing takes three numbers: validating,in_progress,finalizing")
        out["batch_timing"] = (v, p, f)
    if bool(args.certfile) != bool(args.keyfile):
        _fail("--certfile and --keyfile go together")
    if args.certfile:
        out["ssl_context"] = server_context(args.certfile, args.keyfile)
    elif args.tls:
        directory = Path(args.tls_dir or tempfile.mkdtemp(prefix="groq-anyio-tls-"))
        try:
            files = make_certificates(directory)
        except TLSUnavailableError as exc:
            _fail(str(exc))
        out["ssl_context"] = server_context(files.cert, files.key)
        print(
            f"[groq-anyio] TLS: CA certificate {files.ca} (clients: SSL_CERT_FILE={files.ca}, "
            f"or AsyncGroq(verify='{files.ca}'))",
            file=sys.stderr,
            flush=True,
        )
    return out


def add_record_command(sub: Any) -> None:
    """``groq-anyio record DIR``: a recording proxy to the real API."""
    record = sub.add_parser(
        "record",
        help="proxy to the Groq API on loopback, writing each exchange to DIR (key redacted)",
    )
    record.add_argument("directory")
    record.add_argument("--host", default="127.0.0.1")
    record.add_argument("--port", type=int, default=8766)
    record.add_argument("--upstream", default="https://api.groq.com")
    record.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")


def run_record(args: argparse.Namespace) -> int:
    """Run :class:`GroqRecorder` until interrupted."""
    import anyio

    from .testing import GroqRecorder

    async def main() -> None:
        recorder = GroqRecorder(
            args.directory, upstream=args.upstream, host=args.host, port=args.port
        )
        async with recorder:
            print(
                f"[groq-anyio] recording {args.upstream} through {recorder.base_url}/openai/v1 "
                f"into {args.directory}",
                file=sys.stderr,
                flush=True,
            )
            await anyio.sleep_forever()

    try:
        anyio.run(main, backend=args.backend)
    except KeyboardInterrupt:
        pass
    return 0
