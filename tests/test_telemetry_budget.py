"""What telemetry costs on the hot paths, in Python calls (deterministic, no clock).

* Off (the default without a global OpenTelemetry provider): not one call into
  ``groq_anyio._telemetry`` or ``opentelemetry`` per request or per chunk (the pipeline only
  tests ``call is not None``; tests/test_budgets.py holds the totals).
* On, with the SDK: the calls it makes per call are a constant; per streamed chunk it makes
  none (a 200-chunk stream costs what a 20-chunk stream costs), because the stream's end is
  seen through its close callback and the chunk count comes from per-read bookkeeping.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from groq_anyio import AsyncGroq
from groq_anyio._telemetry import Telemetry
from groq_anyio.testing import ChatScript, GroqTestServer

pytestmark = pytest.mark.anyio

MODEL = "llama-3.3-70b-versatile"
MESSAGES = [{"role": "user", "content": "Hello"}]
WATCHED = ("/groq_anyio/_telemetry/", "/opentelemetry/")


class TelemetryCalls:
    """Counts Python calls (and coroutine resumptions) into the telemetry code, any task."""

    def __init__(self) -> None:
        self.calls = 0
        self._seen: dict[Any, bool] = {}

    def _profile(self, frame: FrameType, event: str, arg: object) -> None:
        if event == "call":
            code = frame.f_code
            hit = self._seen.get(code)
            if hit is None:
                hit = self._seen[code] = any(p in code.co_filename for p in WATCHED)
            if hit:
                self.calls += 1

    def __enter__(self) -> TelemetryCalls:
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.setprofile(None)


async def _stream(client: AsyncGroq, server: GroqTestServer, chunks: int) -> int:
    server.push(ChatScript(chunks=chunks))
    n = 0
    stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    async with stream:
        async for _ in stream:
            n += 1
    return n


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "h2c"])
async def test_off_costs_no_call(server: GroqTestServer, http2: bool) -> None:
    async with AsyncGroq(
        api_key="gsk_x", base_url=server.base_url, http2=http2, http1=not http2
    ) as client:
        assert client._instrument is None
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)  # warm up
        with TelemetryCalls() as counter:
            for _ in range(5):
                await client.chat.completions.create(model=MODEL, messages=MESSAGES)
            await _stream(client, server, 50)
        assert counter.calls == 0


async def test_on_costs_nothing_per_chunk(server: GroqTestServer) -> None:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    telemetry = Telemetry(tracer_provider=tracer_provider, meter_provider=meter_provider)
    async with AsyncGroq(api_key="gsk_x", base_url=server.base_url, telemetry=telemetry) as client:
        await _stream(client, server, 20)  # warm up (first-use imports, instrument creation)
        counts = {}
        for chunks in (20, 200, 20):
            with TelemetryCalls() as counter:
                received = await _stream(client, server, chunks)
            assert received >= chunks
            counts.setdefault(chunks, []).append(counter.calls)
        with TelemetryCalls() as plain:
            await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    print(f"\ntelemetry calls per stream {counts}, per plain call {plain.calls}")
    assert plain.calls > 0  # it does run
    # not one more call for 180 more chunks (allow 2% for the SDK's own lazily built caches)
    assert abs(counts[200][0] - min(counts[20])) <= max(2, min(counts[20]) // 50)
    tracer_provider.shutdown()
    meter_provider.shutdown()


def test_opentelemetry_absent() -> None:
    """With opentelemetry not importable: the default client works and imports nothing of it;
    asking for telemetry is a clear error naming the extra."""
    import json
    import subprocess

    code = (
        "import sys, json, anyio\n"
        "class Refuse:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'opentelemetry':\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Refuse())\n"
        "from groq_anyio import AsyncGroq, InvalidParameterError\n"
        "from groq_anyio.testing import GroqTestServer\n"
        "out = {}\n"
        "async def main():\n"
        "    async with GroqTestServer() as s:\n"
        "        async with AsyncGroq(api_key='gsk_x', base_url=s.base_url) as c:\n"
        "            out['instrument'] = c._instrument is not None\n"
        f"            await c.chat.completions.create(model={MODEL!r}, messages={MESSAGES!r})\n"
        "        try:\n"
        "            AsyncGroq(api_key='gsk_x', base_url=s.base_url, telemetry=True)\n"
        "        except InvalidParameterError as exc:\n"
        "            out['error'] = str(exc)\n"
        "anyio.run(main)\n"
        "out['imported'] = sorted(m for m in sys.modules if m.startswith('opentelemetry'))\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    out = json.loads(proc.stdout)
    assert out["instrument"] is False
    assert out["imported"] == []
    assert "groq-anyio[otel]" in out["error"]
