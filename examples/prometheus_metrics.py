"""Expose groq_anyio's metrics to Prometheus through the OpenTelemetry Prometheus exporter.

    pip install 'groq-anyio[otel]' opentelemetry-sdk opentelemetry-exporter-prometheus
    python examples/prometheus_metrics.py              # a few calls, then prints the scrape
    python examples/prometheus_metrics.py --serve      # ... and keeps serving on :9464
    curl http://127.0.0.1:9464/metrics

The application sets a global OpenTelemetry meter provider whose reader is the Prometheus
exporter, then creates its clients: a client made after a provider is set records its metrics
there (``AsyncGroq(telemetry=None)``, the default, detects it). ``prometheus_client`` serves the
scrape endpoint. With ``--local`` (or no ``GROQ_API_KEY``) the calls go to
:class:`groq_anyio.testing.GroqTestServer`, and one of them is answered first by a 503, so that
``groq_retries_total`` has a sample too.

Once the calls are made the example prints ``metrics: <url>``; then it fetches its own endpoint
and prints the groq_anyio samples, or with ``--serve`` keeps serving until its standard input
closes (or ``--serve-seconds`` pass, or Ctrl-C).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import urllib.request

import anyio
from opentelemetry import metrics
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import start_http_server

from groq_anyio import AsyncGroq

MODEL = "llama-3.1-8b-instant"


def setup_metrics(port: int, addr: str) -> str:
    """The global meter provider, read by the Prometheus exporter; returns the scrape URL."""
    metrics.set_meter_provider(MeterProvider(metric_readers=[PrometheusMetricReader()]))
    server, _thread = start_http_server(port, addr=addr)
    return f"http://{addr}:{server.server_port}/metrics"


async def make_calls(count: int, local: bool) -> None:
    messages = [{"role": "user", "content": "Say hello in five words."}]

    async def calls(client: AsyncGroq) -> None:
        for _ in range(count):
            await client.chat.completions.create(model=MODEL, messages=messages)
            stream = await client.chat.completions.create(
                model=MODEL, messages=messages, stream=True
            )
            async with stream:
                async for _chunk in stream:
                    pass

    if not local:
        async with AsyncGroq() as client:
            await calls(client)
        return
    from groq_anyio.testing import ErrorReply, GroqTestServer

    print("(no GROQ_API_KEY: using the embedded local Groq-compatible server)", file=sys.stderr)

    async with GroqTestServer() as server:
        server.push(ErrorReply(503, headers={"retry-after": "0"}))
        async with AsyncGroq(api_key="gsk_local_example", base_url=server.base_url) as client:
            await calls(client)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port", type=int, default=None, help="scrape port (default 9464 with --serve, else any)"
    )
    parser.add_argument("--addr", default="127.0.0.1")
    parser.add_argument("--requests", type=int, default=3, help="plain + streamed calls to make")
    parser.add_argument("--local", action="store_true", help="use the embedded local server")
    parser.add_argument("--serve", action="store_true", help="keep serving after the calls")
    parser.add_argument("--serve-seconds", type=float, default=None)
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    args = parser.parse_args(argv)
    port = args.port if args.port is not None else (9464 if args.serve else 0)
    url = setup_metrics(port, args.addr)
    local = args.local or not os.environ.get("GROQ_API_KEY")
    anyio.run(make_calls, args.requests, local, backend=args.backend)
    print(f"metrics: {url}", flush=True)
    if not args.serve and args.serve_seconds is None:
        with urllib.request.urlopen(url, timeout=30) as response:  # what Prometheus would get
            text = response.read().decode()
        for line in text.splitlines():
            if line.startswith(("groq_", "gen_ai_")) and not line.split("{")[0].endswith("_bucket"):
                print(line)
        return
    done = threading.Event()
    if args.serve_seconds is None:
        threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    try:
        done.wait(args.serve_seconds)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
