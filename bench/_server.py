"""The benchmark server: ``groq_anyio.testing`` in its own process, one reply scenario each.

    python bench/_server.py --scenario plain|stream10k|framed|ttft|paced|trickle [--port 0]
                            [--tls CERTDIR]

Prints ``READY <base_url>`` once it listens; exits when its stdin closes (the orchestrator
went away) or on SIGTERM/SIGINT. It accepts HTTP/1.1 and HTTP/2 (h2c prior knowledge on plain
TCP, ALPN over TLS) on the same port, and keeps no request log.

``stream10k`` sends its 10,000 chunks in 64 KiB HTTP frames (the test server coalesces what it
writes between pauses); ``framed`` sends the same events each in its own HTTP/1.1 chunk or
HTTP/2 DATA frame, as Groq's servers flush them, still many frames per socket write: the client
is the bottleneck, and its HTTP parser sees one frame per chunk.
"""

from __future__ import annotations

import argparse
import os
import signal
import ssl
import sys
from collections.abc import Callable
from typing import Any

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

_FALLBACK_WARNED = False


def _events(data: bytes) -> list[bytes]:
    """``data`` cut after each blank line (the SSE event ends; the last piece may be partial)."""
    out, pos = [], 0
    while (end := data.find(b"\n\n", pos)) >= 0:
        out.append(data[pos : end + 2])
        pos = end + 2
    if pos < len(data):
        out.append(data[pos:])
    return out


class _FramePerEvent:
    """The exchange a :class:`Framed` reply writes through: each SSE event of a write becomes its
    own frame, and all the frames of one write go out in one socket write.

    The test server's exchanges offer one frame per ``write`` (and one socket write each), so
    this reaches into them: ``H1Exchange._pending``/``_chunked`` and ``H2Exchange._owner.h2``
    (bench only; if they change, it falls back to a ``write`` per event, and says so)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def write(self, data: bytes, *, end: bool = False) -> None:
        ex = self._inner
        events = _events(data) if data else []
        if len(events) < 2:
            await ex.write(data, end=end)
            return
        pending = getattr(ex, "_pending", None)
        h2conn = getattr(getattr(ex, "_owner", None), "h2", None)
        if getattr(ex, "_chunked", False) and isinstance(pending, list):
            for ev in events:
                pending += (b"%x\r\n" % len(ev), ev, b"\r\n")
            ex.body_bytes += len(data)
            await ex.write(b"", end=end)  # the terminating chunk if ``end``; one socket write
        elif h2conn is not None and hasattr(ex, "stream_id"):
            sid = ex.stream_id
            for ev in events:
                if (
                    h2conn.local_flow_control_window(sid) >= len(ev)
                    and len(ev) <= h2conn.max_outbound_frame_size
                ):
                    h2conn.send_data(sid, ev)
                    ex.body_bytes += len(ev)
                else:  # no window: the exchange's own write waits for it (and sends the rest)
                    await ex.write(ev)
            await (ex.write(b"", end=True) if end else ex.flush())
        else:
            global _FALLBACK_WARNED
            if not _FALLBACK_WARNED:
                _FALLBACK_WARNED = True
                print("framed: exchange internals changed; one write per event", file=sys.stderr)
            for ev in events:
                await ex.write(ev)
            await ex.write(b"", end=end)


class Framed(Reply, frozen=True):
    """``script``, with every SSE event in its own HTTP frame (see :class:`_FramePerEvent`)."""

    script: ChatScript

    async def respond(self, exchange: Any) -> None:
        await self.script.respond(_FramePerEvent(exchange))


#: requests carrying the warm-up header get a short answer, whatever the scenario
WARMUP_REPLY = ChatScript(chunks=200)
REPLIES = {
    "plain": ChatScript(),
    "stream10k": ChatScript(chunks=STREAM_CHUNKS),
    "framed": Framed(ChatScript(chunks=STREAM_CHUNKS)),
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
