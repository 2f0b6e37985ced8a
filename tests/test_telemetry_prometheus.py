"""examples/prometheus_metrics.py, run for real: its scrape endpoint, fetched over HTTP on
loopback, lists every groq_anyio metric (the OpenTelemetry Prometheus exporter's names)."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "prometheus_metrics.py"
MODEL = "llama-3.1-8b-instant"


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_prometheus_endpoint_serves_the_metrics(backend: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--local", "--serve", "--port", "0", "--requests", "2",
         "--backend", backend],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("metrics: http://127.0.0.1:"), (line, proc.stderr)
        url = line.split(" ", 1)[1].strip()
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
            text = response.read().decode()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # the example stops serving when its stdin closes
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    samples = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]

    def sample(name: str, *labels: str) -> float:
        found = [
            ln for ln in samples if ln.split("{", 1)[0] == name and all(lb in ln for lb in labels)
        ]
        assert found, f"{name} {labels} not in the scrape"
        return float(found[0].rsplit(" ", 1)[1])

    model = f'model="{MODEL}"'
    # 2 plain + 2 streamed calls, all answered 200 (one after a retried 503)
    assert sample("groq_requests_total", model, 'operation="chat"', 'status="200"') == 4
    assert sample("groq_retries_total", model, 'reason="status_503"') == 1
    assert sample("groq_tokens_total", model, 'type="prompt"') > 0
    assert sample("groq_tokens_total", model, 'type="completion"') > 0
    assert sample("groq_request_duration_seconds_count", model, 'operation="chat"') == 4
    for le in ("0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "+Inf"):
        sample("groq_request_duration_seconds_bucket", f'le="{le}"')
    assert sample("groq_streaming_first_token_seconds_count", model) == 2
    for le in ("0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "+Inf"):
        sample("groq_streaming_first_token_seconds_bucket", f'le="{le}"')
    assert sample("groq_rate_limit_remaining", 'type="requests"') > 0
    assert sample("groq_rate_limit_remaining", 'type="tokens"') > 0
    assert sample("groq_circuit_breaker_state") == 0
    assert (
        sample("gen_ai_client_operation_duration_seconds_count", 'gen_ai_provider_name="groq"') == 4
    )
    assert sample("gen_ai_client_token_usage_count", 'gen_ai_token_type="input"') == 4
    assert sample("gen_ai_client_operation_time_to_first_chunk_seconds_count") == 2
    assert sample("gen_ai_client_operation_time_per_output_chunk_seconds_count") == 2
    assert "gsk_" not in text
