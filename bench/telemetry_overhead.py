"""What telemetry costs the client, per request and per streamed chunk.

    python bench/telemetry_overhead.py [--requests 400] [--streams 40] [--json out.json]

Modes, each in a fresh client process (the local server runs in a process of its own):

- ``absent``: ``opentelemetry`` cannot be imported at all (an import hook refuses it);
- ``off``: installed but no provider configured (the default: the client does not look);
- ``api``: ``telemetry=True`` with the API only (no SDK: spans are non-recording, instruments
  no-ops);
- ``sdk``: the SDK with a span processor that exports nowhere and a metric reader that is
  never collected (the cost of building spans and recording points, not of exporting them).

Reported: client CPU time (``time.process_time``) per plain request and per streamed chunk
(per chunk = (CPU of streams of 220 chunks - CPU of streams of 20) / 200), and Python calls
per request and per chunk counted with ``sys.setprofile`` in the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap

MODES = ("absent", "off", "api", "sdk")

SERVER = textwrap.dedent(
    """
    import sys
    from groq_anyio.testing import ChatScript, serve_forever

    def reply(request):
        return ChatScript(chunks=int(request.header("x-chunks") or 6))

    serve_forever("127.0.0.1", 0, http2=False, default=reply,
                  ready=lambda url: print(url, flush=True))
    """
)

CLIENT = textwrap.dedent(
    """
    import json, sys, time
    MODE, URL, REQUESTS, STREAMS = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if MODE == "absent":
        class _Refuse:
            def find_spec(self, name, path=None, target=None):
                if name == "opentelemetry" or name.startswith("opentelemetry."):
                    raise ImportError(f"{name} is not installed (benchmark)")
                return None
        sys.meta_path.insert(0, _Refuse())
    import anyio
    from groq_anyio import AsyncGroq
    telemetry = None
    if MODE == "api":
        telemetry = True
    elif MODE == "sdk":
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            SimpleSpanProcessor, SpanExporter, SpanExportResult)
        from groq_anyio._telemetry import Telemetry

        class Nowhere(SpanExporter):
            def export(self, spans):
                return SpanExportResult.SUCCESS

        tp = TracerProvider()
        tp.add_span_processor(SimpleSpanProcessor(Nowhere()))
        telemetry = Telemetry(tracer_provider=tp,
                              meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]))
    MESSAGES = [{"role": "user", "content": "hi"}]
    MODEL = "llama-3.1-8b-instant"

    class Calls:
        n = 0
        def __call__(self, frame, event, arg):
            if event == "call":
                self.n += 1

    async def main():
        out = {}
        async with AsyncGroq(api_key="gsk_bench", base_url=URL, telemetry=telemetry,
                             max_retries=0) as client:
            create = client.chat.completions.create

            async def plain():
                await create(model=MODEL, messages=MESSAGES)

            async def stream(chunks):
                s = await create(model=MODEL, messages=MESSAGES, stream=True,
                                 extra_headers={"x-chunks": str(chunks)})
                async with s:
                    async for _ in s:
                        pass

            for _ in range(20):
                await plain()
                await stream(20)
            t = time.process_time()
            for _ in range(REQUESTS):
                await plain()
            out["cpu_per_request_us"] = (time.process_time() - t) / REQUESTS * 1e6
            cpu = {}
            for chunks in (20, 220):
                t = time.process_time()
                for _ in range(STREAMS):
                    await stream(chunks)
                cpu[chunks] = time.process_time() - t
            out["cpu_per_chunk_us"] = (cpu[220] - cpu[20]) / (STREAMS * 200) * 1e6
            counter = Calls()
            sys.setprofile(counter)
            for _ in range(20):
                await plain()
            sys.setprofile(None)
            out["calls_per_request"] = counter.n / 20
            counts = {}
            for chunks in (20, 220):
                counter = Calls()
                sys.setprofile(counter)
                for _ in range(5):
                    await stream(chunks)
                sys.setprofile(None)
                counts[chunks] = counter.n
            out["calls_per_chunk"] = (counts[220] - counts[20]) / (5 * 200)
            out["instrument"] = client._instrument is not None
        out["opentelemetry_imported"] = "opentelemetry" in sys.modules
        print(json.dumps(out))

    anyio.run(main)
    """
)


def run(requests: int, streams: int) -> dict[str, dict[str, float]]:
    env = dict(os.environ)
    env.pop("GROQ_LOG", None)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        results = {}
        for mode in MODES:
            out = subprocess.run(
                [sys.executable, "-c", CLIENT, mode, url, str(requests), str(streams)],
                capture_output=True,
                text=True,
                env=env,
                check=True,
                timeout=600,
            )
            results[mode] = json.loads(out.stdout)
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--streams", type=int, default=40)
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()
    results = run(args.requests, args.streams)
    base = results["absent"]
    print(f"{'mode':8} {'CPU/request':>12} {'CPU/chunk':>10} {'calls/request':>14} "
          f"{'calls/chunk':>12} {'extra calls/req':>16} {'otel imported':>14}")  # fmt: skip
    for mode, r in results.items():
        print(
            f"{mode:8} {r['cpu_per_request_us']:10.1f}us {r['cpu_per_chunk_us']:8.2f}us "
            f"{r['calls_per_request']:14.1f} {r['calls_per_chunk']:12.2f} "
            f"{r['calls_per_request'] - base['calls_per_request']:16.1f} "
            f"{r['opentelemetry_imported']!s:>14}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
