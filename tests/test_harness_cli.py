"""``groq-anyio bench`` end to end (subprocesses against the paced local server, as a user runs
it), the per-chunk timings of the library against the server's own send log, and failures.

Fast pace and a handful of prompts keep this quick; nothing asserts on durations, only on
counts, shapes and causality (a chunk never arrives before the server sent it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest

from groq_anyio import AsyncGroq
from groq_anyio._harness._datasets import random_dataset
from groq_anyio._harness._metrics import summarise
from groq_anyio._harness._runner import RunConfig, RunState, run
from groq_anyio._harness._shape import validate_result
from groq_anyio._timings import StreamLatency
from groq_anyio.testing import (
    DropConnection,
    ErrorReply,
    GroqTestServer,
    PacedChat,
    RecordedRequest,
    Reply,
    SendLog,
)

ROOT = Path(__file__).resolve().parent.parent
MODEL = "llama-3.3-70b-versatile"
FAST = ["--pace-ttft-ms", "5", "--pace-tokens-per-s", "2000"]
SMALL = ["--num-prompts", "6", "--random-input-len", "8", "--random-output-len", "5"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GROQ_API_KEY", "GROQ_BASE_URL")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _bench(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groq_anyio", "bench", *args],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _load(path: Path, metrics: list[str], percentiles: list[float]) -> dict[str, Any]:
    doc: dict[str, Any] = msgspec.json.decode(path.read_bytes())
    validate_result(doc, metrics, percentiles)
    return doc


# -- the command, as a user runs it -----------------------------------------------------------


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("protocol", ["--http1", "--http2"])
def test_bench_end_to_end_local_server(tmp_path: Path, backend: str, protocol: str) -> None:
    proc = _bench(
        *SMALL,
        *FAST,
        "--backend",
        backend,
        protocol,
        "--percentile-metrics",
        "ttft,tpot,itl,e2el",
        "--metric-percentiles",
        "50,99.9",
        "--goodput",
        "ttft:60000",
        "--num-warmups",
        "1",
        "--save-result",
        "--result-dir",
        str(tmp_path),
        "--result-filename",
        "r.json",
        "--csv",
        str(tmp_path / "r.csv"),
    )
    assert proc.returncode == 0, proc.stderr
    assert "embedded local server" in proc.stderr
    out = proc.stdout
    assert out.startswith("=" * 12 + " Serving Benchmark Result " + "=" * 12)
    for line in (
        "Successful requests:                     6",
        "Failed requests:                         0",
        "Total generated tokens:                  30",
        "Mean TTFT (ms):",
        "P99.9 ITL (ms):",
        "P50 E2EL (ms):",
        "Request goodput (req/s):",
        "Client CPU per chunk (us):",
        "Event-loop lag P99 (ms):",
    ):
        assert line in out, line
    assert "\r[" not in proc.stderr  # no progress bar when not on a terminal
    doc = _load(tmp_path / "r.json", ["ttft", "tpot", "itl", "e2el"], [50, 99.9])
    assert doc["completed"] == 6 and doc["failed"] == 0
    assert doc["output_lens"] == [5] * 6
    assert [len(gaps) for gaps in doc["itls"]] == [4] * 6  # 5 content chunks: 4 gaps
    assert all(t > 0 for t in doc["ttfts"])
    assert doc["request_goodput"] == pytest.approx(doc["request_throughput"])
    ours = doc["groq_anyio"]
    assert ours["client"]["backend"] == backend
    assert ours["client"]["http_version"] == ("HTTP/2" if protocol == "--http2" else "HTTP/1.1")
    assert ours["client"]["chunks"] == 6 * 7  # role + 5 tokens + the usage chunk
    assert ours["client"]["cpu_per_chunk_us"] > 0
    assert set(ours["server_timings_ms"]) >= {"prompt_time", "completion_time", "total_time"}
    assert all(r and r.startswith("req_") for r in ours["request_ids"])
    # measured from the request sent: the client's share before it is reported on its own
    assert ours["latency_from"] == "sent" and ours["sent_unknown"] == 0
    assert "Latencies measured from:                 request sent" in out
    assert "Median client send (ms):" in out and "P99.9 client send (ms):" in out
    sends = ours["client_send_times"]
    assert len(sends) == 6 and all(s is not None and 0 <= s < 5 for s in sends)
    assert set(ours["client_send_ms"]) >= {"mean", "median", "std", "p50", "p99.9"}
    assert all(t >= 0 for t in ours["ttfbs"])
    assert all(b < t for b, t in zip(ours["ttfbs"], doc["ttfts"], strict=True))
    # the warm-up opened one connection; the other 5 of the 6 at once were opened before the
    # clock (HTTP/2: the warm-up's connection takes all 6)
    expected = 0 if protocol == "--http2" else 5
    assert ours["client"]["preconnected"] == expected
    assert "Connections opened before the clock:" in out
    rows = (tmp_path / "r.csv").read_text().splitlines()
    assert rows[0].startswith("request_rate,max_concurrency,index,request_id")
    assert "ttfb_ms,client_send_ms," in rows[0]
    assert len(rows) == 7


def test_bench_sweep_workers_datasets_and_plot(tmp_path: Path) -> None:
    jsonl = tmp_path / "prompts.jsonl"
    jsonl.write_text('{"prompt": "one two three"}\n{"prompt": "four five"}\n')
    proc = _bench(
        "--num-prompts",
        "4",
        *FAST,
        "--dataset-name",
        "custom",
        "--dataset-path",
        str(jsonl),
        "--custom-output-len",
        "3",
        "--request-rate",
        "200,inf",
        "--max-concurrency",
        "2",
        "--workers",
        "2",
        "--save-result",
        "--result-dir",
        str(tmp_path),
        "--result-filename",
        "s.json",
        "--plot",
        str(tmp_path / "p.png"),
        "--latency-from",
        "call",
        "--cold-connections",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Serving Benchmark Result") == 2
    assert "Latencies measured from:                 call (vLLM)" in proc.stdout
    for name in ("s-200qps-concurrency2.json", "s-infqps-concurrency2.json"):
        doc = _load(tmp_path / name, ["ttft", "tpot", "itl"], [99])
        assert doc["completed"] == 4 and doc["max_concurrency"] == 2
        assert doc["output_lens"] == [3] * 4
        ours = doc["groq_anyio"]
        assert ours["client"]["processes"] == 2
        # from the call (vLLM's origin): every TTFT holds its request's client send share
        assert ours["latency_from"] == "call" and ours["client"]["preconnected"] == 0
        sends = ours["client_send_times"]
        assert all(s is not None and 0 <= s < t for s, t in zip(sends, doc["ttfts"], strict=True))
    assert doc["request_rate"] == "inf"
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_on_uvloop(tmp_path: Path) -> None:
    pytest.importorskip("uvloop")
    proc = _bench(*SMALL, *FAST, "--uvloop", "--save-result", "--result-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    (path,) = tmp_path.glob("groq-anyio-infqps-llama-3.3-70b-versatile-*.json")
    doc = _load(path, ["ttft", "tpot", "itl"], [99])
    assert doc["completed"] == 6 and doc["output_lens"] == [5] * 6


def test_workers_on_uvloop_hand_back_results_bigger_than_a_pipe(tmp_path: Path) -> None:
    """uvloop leaves a worker's stdout non-blocking: a result over 64 KiB (the pipe) used to be
    cut short there and the run failed with a decode error."""
    pytest.importorskip("uvloop")
    proc = _bench(
        *FAST,
        "--num-prompts", "160", "--random-output-len", "64", "--max-concurrency", "80",
        "--workers", "2", "--uvloop", "--save-result", "--result-dir", str(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (path,) = tmp_path.glob("groq-anyio-*.json")
    doc = _load(path, ["ttft", "itl"], [99])
    assert doc["completed"] == 160


def test_bench_sharegpt_and_html_plot(tmp_path: Path) -> None:
    data = [
        {
            "conversations": [
                {"from": "human", "value": "hi " * 10},
                {"from": "gpt", "value": "x" * 16},
            ]
        }
    ]
    path = tmp_path / "sg.json"
    path.write_bytes(msgspec.json.encode(data))
    proc = _bench(
        "--num-prompts",
        "3",
        *FAST,
        "--dataset-name",
        "sharegpt",
        "--dataset-path",
        str(path),
        "--save-result",
        "--result-dir",
        str(tmp_path),
        "--result-filename",
        "g.json",
        "--plot",
        str(tmp_path / "p.html"),
    )
    assert proc.returncode == 0, proc.stderr
    doc = _load(tmp_path / "g.json", ["ttft", "tpot", "itl"], [99])
    assert doc["output_lens"] == [4] * 3  # 16 characters of answer: about 4 tokens
    assert "data:image/png;base64," in (tmp_path / "p.html").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--request-rate", "-1"], "request rate must be positive"),
        (["--request-rate", "5,0"], "request rate must be positive"),
        (["--percentile-metrics", "ttft,latency"], "unknown metric 'latency'"),
        (["--dataset-name", "custom", "--dataset-path", "/nonexistent/p.jsonl"], "cannot read"),
        (["--dataset-name", "custom"], "needs --dataset-path"),
        (["--goodput", "ttft:soon"], "--goodput ttft"),
        (["--goodput", "latency:5"], "--goodput takes"),
        (["--max-concurrency", "0"], "at least 1"),
        (["--metric-percentiles", "150"], "percentile must be in"),
        (["--burstiness", "-2"], "burstiness"),
        (["--plot", "out.svg"], ".png or .html"),
        (["--backend", "curio"], "invalid choice"),
        (["--backend", "trio", "--uvloop"], "--uvloop needs --backend asyncio"),
    ],
)
def test_bad_flags_give_one_line_and_exit_2(args: list[str], message: str) -> None:
    proc = _bench(*args, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("groq-anyio bench: error: ")
    assert message in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_ctrl_c_prints_what_was_measured(tmp_path: Path, backend: str) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "groq_anyio",
            "bench",
            "--num-prompts",
            "400",
            "--random-input-len",
            "4",
            "--random-output-len",
            "3",
            "--request-rate",
            "40",
            *FAST,
            "--backend",
            backend,
            "--save-result",
            "--result-dir",
            str(tmp_path),
            "--result-filename",
            "i.json",
        ],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    proc.stderr.readline()  # the local server is up: the run is starting
    deadline = time.monotonic() + 60
    while not list(tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.5)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "(interrupted: what was measured until Ctrl-C)" in out
    assert "Traceback" not in err
    doc: dict[str, Any] = msgspec.json.decode((tmp_path / "i.json").read_bytes())
    assert doc["groq_anyio"]["interrupted"] is True
    assert doc["completed"] + doc["failed"] == len(doc["ttfts"]) < 400


# -- the library's per-chunk timings against the server's send log ------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("http2", [False, True])
async def test_chunk_times_match_the_server_send_log(http2: bool) -> None:
    log = SendLog()
    reply = PacedChat(ttft=0.005, tokens_per_second=1000, log=log)
    async with GroqTestServer(default=reply) as server:
        async with AsyncGroq(
            api_key="k", base_url=server.base_url, max_retries=0, http1=not http2
        ) as client:
            stream = await client.chat.completions.create(
                model=MODEL,
                messages=[{"role": "user", "content": "hi"}],
                stream=True,
                max_completion_tokens=8,
            )
            async with stream:
                chunks = [c async for c in stream]
            t = stream.timings
            assert t.chunk_times is not None
            assert len(t.chunk_times) == len(chunks) == 10  # role, 8 tokens, usage chunk
            assert t.first_content_index == 1 and t.content_end == 9
            # role and first token went out in one write: they share a network read's stamp
            assert t.chunk_times[0] == t.chunk_times[1] == t.first_content_chunk
            assert list(t.chunk_times) == sorted(t.chunk_times)
            received, sends = log.streams[stream.request_id]
            arrivals = t.token_times()
            assert len(arrivals) == len(sends) == 8
            # causality on one clock: the request left before the server got it, and no token
            # reached the client before the server wrote it
            assert t.request_start <= received <= sends[0]
            # the transport's send stamp: after the call began, before anything came back
            assert t.request_sent is not None and t.response_headers is not None
            assert t.first_chunk is not None
            assert t.request_start <= t.request_sent <= t.response_headers <= t.first_chunk
            # stamped before the write that carries the last byte (HTTP/2: before the queued
            # frames leave): the server cannot have the request earlier
            assert t.request_sent <= received
            assert all(a >= s for a, s in zip(arrivals, sends, strict=True))
            lat = StreamLatency.of(t, stream.get_final_completion().usage)
            assert len(lat.itl) == 7 and lat.completion_tokens == 8
            assert lat.tpot is not None and lat.ttft is not None and lat.ttfb is not None
            assert lat.ttfb <= lat.ttft <= (lat.e2el or 0)
            assert lat.sent == t.time_to_sent and lat.sent is not None and 0 <= lat.sent <= lat.ttfb
            assert lat.total_time is not None and lat.prompt_time is not None


@pytest.mark.anyio
@pytest.mark.parametrize("http2", [False, True])
async def test_preconnect_opens_what_the_concurrency_needs(http2: bool) -> None:
    """Connections opened ahead (HTTP/1.1: one per request; HTTP/2: one for up to the
    server's stream limit) carry the requests that follow: none of them opens another."""
    reply = PacedChat(ttft=0.002, tokens_per_second=2000, output_tokens=3)
    async with GroqTestServer(default=reply) as server:
        async with AsyncGroq(
            api_key="k", base_url=server.base_url, max_retries=0, http1=not http2, http2=http2
        ) as client:
            opened = await client._transport.preconnect(8)
            assert opened == (1 if http2 else 8)
            assert client.pool_stats().connections == opened
            assert await client._transport.preconnect(8) == 0  # (already there)
            if http2:  # the session is set up too: the server's SETTINGS are in
                (entry,) = client._transport._pools.latest()._shared
                assert entry.conn is not None and entry.conn._settings_known
            timings = []

            async def one() -> None:
                stream = await client.chat.completions.create(
                    model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True
                )
                async with stream:
                    async for _ in stream:
                        pass
                timings.append(stream.timings)

            async with anyio.create_task_group() as tg:
                for _ in range(8):
                    tg.start_soon(one)
            assert client.pool_stats().connections == opened  # no request opened one
            assert len(timings) == 8
            for t in timings:
                assert t.request_sent is not None and t.response_headers is not None
                assert t.request_start <= t.request_sent <= t.response_headers


class _Faulty:
    """Every third request fails with a 500, every third is dropped, the rest stream."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, request: RecordedRequest) -> Reply:
        self.n += 1
        if self.n % 3 == 1:
            return ErrorReply(500, "boom", type="internal_server_error")
        if self.n % 3 == 2:
            return DropConnection()
        return PacedChat(ttft=0.002, tokens_per_second=2000)


@pytest.mark.anyio
async def test_failed_requests_are_counted_by_class(anyio_backend: Any) -> None:
    backend = anyio_backend[0] if isinstance(anyio_backend, tuple) else anyio_backend
    async with GroqTestServer(default=_Faulty()) as server:
        cfg = RunConfig(
            base_url=server.base_url,
            model=MODEL,
            samples=random_dataset(9, 4, 3, 0.0, seed=0),
            max_concurrency=1,
            backend=backend,
            local_api_key="k",
        )
        state = RunState()
        await run(cfg, state)
    out = state.output()
    assert len(out.records) == 9
    summary = summarise(
        out.records,
        duration_s=(out.end_ns - out.start_ns) / 1e9,
        percentiles=[99],
        selected=["ttft"],
        goodput_slos=None,
        clients=[out.client],
        lag_threshold_ms=5.0,
        meta={},
    )
    doc = summary.doc
    assert doc["completed"] == 3 and doc["failed"] == 6
    assert doc["groq_anyio"]["errors_by_class"] == {
        "InternalServerError": 3,
        "APIConnectionError": 3,
    }
    assert sum(1 for e in doc["errors"] if e.startswith("InternalServerError: ")) == 3
    # an HTTP error names its request (x-request-id), so a failure can be looked up server-side
    ids = doc["groq_anyio"]["request_ids"]
    assert all(
        (ids[i] or "").startswith("req_")
        for i, e in enumerate(doc["errors"])
        if e.startswith("InternalServerError")
    )
    assert doc["output_lens"].count(3) == 3


@pytest.mark.anyio
async def test_bench_command_against_a_failing_base_url(anyio_backend: Any) -> None:
    async with GroqTestServer(default=_Faulty()) as server:
        result = await anyio.run_process(
            [
                sys.executable,
                "-m",
                "groq_anyio",
                "bench",
                "--base-url",
                server.base_url,
                "--num-prompts",
                "6",
                "--random-input-len",
                "4",
                "--random-output-len",
                "2",
                "--max-concurrency",
                "1",
            ],
            cwd=ROOT,
            env=_env(),
            check=False,
        )
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert "Successful requests:                     2" in out
    assert "Failed requests:                         4" in out
    assert "  InternalServerError:                   2" in out
    assert "  APIConnectionError:                    2" in out
    assert "Failed requests (first 4):" in out
