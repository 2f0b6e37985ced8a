"""The benchmark server: ``groq_anyio.testing`` in its own process, one reply scenario each.

    python bench/_server.py --scenario plain|stream10k|ttft|paced|trickle [--port 0] [--tls CERTDIR]

Prints ``READY <base_url>`` once it listens; exits when its stdin closes (the orchestrator
went away) or on SIGTERM/SIGINT. It accepts HTTP/1.1 and HTTP/2 (h2c prior knowledge on plain
TCP, ALPN over TLS) on the same port, and keeps no request log.
"""

from __future__ import annotations

import argparse
import os
import signal
import ssl
import sys
from collections.abc import Callable

from _common import (
    PACED_CHUNKS,
    PACED_DELAY,
    STREAM_CHUNKS,
    TRICKLE_CHUNKS,
    TRICKLE_DELAY,
    TTFT_CHUNKS,
    TTFT_PAUSE,
    WARMUP_HEADER,
    die_with_parent,
)

from groq_anyio.testing import ChatScript, RecordedRequest, Reply, serve_forever

#: requests carrying the warm-up header get a short answer, whatever the scenario
WARMUP_REPLY = ChatScript(chunks=200)
REPLIES = {
    "plain": ChatScript(),
    "stream10k": ChatScript(chunks=STREAM_CHUNKS),
    "ttft": ChatScript(chunks=TTFT_CHUNKS, delay_after_first=TTFT_PAUSE),
    "paced": ChatScript(chunks=PACED_CHUNKS, chunk_delay=PACED_DELAY),
    "trickle": ChatScript(chunks=TRICKLE_CHUNKS, chunk_delay=TRICKLE_DELAY),
}


def reply_for(main: Reply) -> Callable[[RecordedRequest], Reply]:
    def choose(request: RecordedRequest) -> Reply:
        return WARMUP_REPLY if request.header(WARMUP_HEADER) else main

    return choose


def server_ssl_context(certdir: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(os.path.join(certdir, "server.pem"))
    return ctx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", choices=sorted(REPLIES), required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", metavar="CERTDIR", help="serve TLS with CERTDIR/server.pem")
    args = parser.parse_args()
    die_with_parent()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))

    def ready(url: str) -> None:
        sys.stdout.write(f"READY {url}\n")
        sys.stdout.flush()

    try:
        serve_forever(
            args.host,
            args.port,
            http2=True,
            ssl_context=server_ssl_context(args.tls) if args.tls else None,
            default=reply_for(REPLIES[args.scenario]),
            ready=ready,
        )
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
