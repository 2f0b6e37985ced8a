"""httpcore 1.0.x or its fork httpcore2 under our HTTP/2 (issue 9: "choose the httpcore line").

The same requests through three HTTP/2 connection classes, each over the same network stream of
ours (the asyncio ``Protocol`` backend, h2c to the local server running in another thread):

- ``ours``: :class:`groq_anyio._transport._h2.HTTP2Connection` (httpcore 1.0.9 + our fixes and
  locks), what the client uses;
- ``httpcore``: httpcore 1.0.9's own ``AsyncHTTP2Connection``;
- ``httpcore2``: httpcore2's ``AsyncHTTP2Connection`` (the maintained fork the openai SDK uses).

Client CPU is the main thread's (``time.thread_time``), so the server thread does not count.
Prints µs per plain request and per streamed chunk, medians of ``--repeat`` runs::

    python bench/httpcore_lines.py --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import anyio

from groq_anyio.testing import ChatScript, GroqTestServer

BODY = b'{"model":"llama-3.3-70b-versatile","messages":[{"role":"user","content":"hi"}]%s}'


def _modules(line: str) -> tuple[Any, Any]:
    """(the httpcore module, the HTTP/2 connection class) of ``line``."""
    if line == "httpcore2":
        import httpcore2

        return httpcore2, httpcore2.AsyncHTTP2Connection
    import httpcore

    if line == "ours":
        from groq_anyio._transport._h2 import HTTP2Connection

        return httpcore, HTTP2Connection
    return httpcore, httpcore.AsyncHTTP2Connection


async def _run(line: str, port: int, requests: int, chunks: int) -> tuple[float, float]:
    from groq_anyio._transport._backends import get_backend

    hc, cls = _modules(line)
    stream = await get_backend("asyncio").connect(
        "127.0.0.1", port, timeout=5, ssl_context=None, server_hostname=None
    )
    conn = cls(hc.Origin(b"http", b"127.0.0.1", port), stream, 30.0)
    url = hc.URL(f"http://127.0.0.1:{port}/openai/v1/chat/completions")

    async def one(stream_flag: bytes) -> int:
        body = BODY % stream_flag
        request = hc.Request(
            "POST",
            url,
            headers=[
                (b"Host", b"127.0.0.1"),
                (b"Authorization", b"Bearer gsk_bench"),
                (b"Content-Type", b"application/json"),
                (b"Content-Length", str(len(body)).encode()),
            ],
            content=body,
        )
        response = await conn.handle_async_request(request)
        n = 0
        async for _ in response.stream:
            n += 1
        await response.stream.aclose()
        return n

    for _ in range(20):
        await one(b"")
    t = time.thread_time()
    for _ in range(requests):
        await one(b"")
    per_request = (time.thread_time() - t) / requests * 1e6
    await one(b',"stream":true')  # warm
    t = time.thread_time()
    frames = await one(b',"stream":true')
    per_chunk = (time.thread_time() - t) / max(frames, 1) * 1e6
    await conn.aclose()
    return per_request, per_chunk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--chunks", type=int, default=3000)
    args = parser.parse_args()
    lines = ["ours", "httpcore", "httpcore2"]
    results: dict[str, list[tuple[float, float]]] = {line: [] for line in lines}
    server = GroqTestServer()
    server.default = ChatScript(chunks=args.chunks)  # (plain requests: one completion)
    with server.run_in_thread() as srv:
        port = int(srv.base_url.split(":")[2].split("/")[0])
        for r in range(args.repeat):
            for line in lines[r % 3 :] + lines[: r % 3]:  # rotate the order
                results[line].append(
                    anyio.run(_run, line, port, args.requests, args.chunks, backend="asyncio")
                )
    print("| HTTP/2 connection | µs per plain request | µs per streamed frame |")
    print("|---|---|---|")
    for line in lines:
        req = statistics.median(r for r, _ in results[line])
        chunk = statistics.median(c for _, c in results[line])
        print(f"| {line} | {req:.0f} | {chunk:.1f} |")


if __name__ == "__main__":
    main()
