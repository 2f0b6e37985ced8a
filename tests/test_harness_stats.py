"""The harness's statistics, arrival processes, datasets and metrics, against values computed
by hand."""

from __future__ import annotations

import itertools
import math
import statistics
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from groq_anyio._harness._arrivals import arrival_offsets, gaps
from groq_anyio._harness._datasets import DatasetError, custom, random_dataset, sharegpt
from groq_anyio._harness._metrics import (
    client_send_of,
    goodput_count,
    summarise,
    tpot_of_record,
)
from groq_anyio._harness._records import ClientStats, RequestRecord
from groq_anyio._harness._shape import validate_result
from groq_anyio._harness._stats import describe, format_percentile, mean, median, percentile, std
from groq_anyio._timings import StreamLatency, Timings, tpot_of
from groq_anyio.types.shared import CompletionUsage

# -- statistics ------------------------------------------------------------------------------


def test_percentile_interpolates_linearly_like_numpy() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    # numpy: rank = (n - 1) * p / 100; 99 -> 2.97 -> 3 + 0.97 * (4 - 3)
    assert percentile(values, 99) == pytest.approx(3.97)
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(values, 25) == pytest.approx(1.75)
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 75) == pytest.approx(3.25)  # sorted first
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 99) == 0.0
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_mean_std_median_by_hand() -> None:
    values = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]
    assert mean(values) == 5.0
    assert std(values) == 2.0  # the population standard deviation (numpy's ddof=0)
    assert median(values) == 4.5
    assert std([]) == mean([]) == median([]) == 0.0
    d = describe(values, [90, 99.9])
    assert d["mean"] == 5.0 and d["median"] == 4.5 and d["std"] == 2.0
    assert d["p90"] == pytest.approx(7.6)  # rank 6.3 -> 7 + 0.3 * 2
    assert d["p99.9"] == pytest.approx(7 + 0.993 * 2)
    assert format_percentile(99.0) == "99" and format_percentile(99.9) == "99.9"


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50), st.floats(0, 100))
def test_percentile_matches_statistics_quantiles_inclusive(values: list[float], p: float) -> None:
    got = percentile(values, p)
    assert min(values) - 1e-6 <= got <= max(values) + 1e-6
    assert std(values) == pytest.approx(statistics.pstdev(values), rel=1e-9, abs=1e-6)
    if len(values) >= 2:
        cuts = statistics.quantiles(values, n=4, method="inclusive")
        assert percentile(values, 25) == pytest.approx(cuts[0], rel=1e-9, abs=1e-6)
        assert percentile(values, 75) == pytest.approx(cuts[2], rel=1e-9, abs=1e-6)


# -- TPOT, goodput, the summary ----------------------------------------------------------------


def _rec(i: int, ttft: float, latency: float, out: int, **kw: object) -> RequestRecord:
    return RequestRecord(
        index=i,
        prompt_len=10,
        start_ns=i * 1_000_000_000,
        ttft=ttft,
        latency=latency,
        output_tokens=out,
        **kw,  # type: ignore[arg-type]
    )


def test_tpot_from_usage_tokens() -> None:
    # (e2el - ttft) / (tokens - 1): 1.1 s after the first of 11 tokens -> 0.11 s per token
    assert tpot_of(1.2, 0.1, 11) == pytest.approx(0.11)
    assert tpot_of(1.2, 0.1, 1) is None
    assert tpot_of(None, 0.1, 5) is None
    assert tpot_of_record(_rec(0, 0.1, 1.2, 11)) == pytest.approx(0.11)
    assert tpot_of_record(_rec(0, 0.1, 1.2, 1)) is None


def test_stream_latency_from_timings_and_usage() -> None:
    from array import array

    ms = 1_000_000
    t = Timings(request_start=0, response_headers=5 * ms, first_content_chunk=40 * ms)
    t.request_sent = 2 * ms
    t.last_chunk = 60 * ms
    # role chunk, 4 content chunks (two share a read), the usage-only finish chunk
    t.chunk_times = array("q", [40 * ms, 40 * ms, 44 * ms, 44 * ms, 52 * ms, 52 * ms])
    t.first_content_index = 1
    t.content_end = 5
    usage = CompletionUsage(
        prompt_tokens=7,
        completion_tokens=5,
        queue_time=0.001,
        prompt_time=0.002,
        completion_time=0.015,
        total_time=0.017,
    )
    lat = StreamLatency.of(t, usage)
    assert lat.ttfb == pytest.approx(0.005)
    assert lat.sent == pytest.approx(0.002) and t.time_to_sent == pytest.approx(0.002)
    assert lat.ttft == pytest.approx(0.040)
    assert lat.itl == pytest.approx([0.004, 0.0, 0.008])
    assert lat.e2el == pytest.approx(0.060)
    assert lat.tpot == pytest.approx((0.060 - 0.040) / 4)
    assert (lat.queue_time, lat.prompt_time, lat.completion_time, lat.total_time) == (
        0.001,
        0.002,
        0.015,
        0.017,
    )
    assert lat.chunks == 6 and lat.completion_tokens == 5 and lat.prompt_tokens == 7
    t.content_end = -1  # no usage-only chunk seen: the gaps run to the last chunk
    assert len(t.inter_token_gaps()) == 4
    assert Timings(request_start=0).inter_token_gaps() == []


def test_goodput_counts_requests_meeting_every_slo() -> None:
    records = [
        _rec(0, 0.100, 1.0, 11),  # ttft 100 ms, tpot 90 ms, e2el 1000 ms
        _rec(1, 0.300, 1.3, 11),  # ttft 300 ms
        _rec(2, 0.100, 2.1, 11),  # tpot 200 ms
        _rec(3, 0.050, 0.05, 1),  # one token: tpot counts as 0
        _rec(4, 0.1, 1.0, 11, error_class="RateLimitError", error="RateLimitError: slow down"),
    ]
    assert goodput_count(records, {"ttft": 200}) == 3
    assert goodput_count(records, {"ttft": 200, "tpot": 100}) == 2
    assert goodput_count(records, {"e2el": 1000}) == 2
    assert goodput_count(records, {}) == 4  # every completed request


def test_summary_by_hand() -> None:
    records = [
        _rec(0, 0.1, 1.0, 10, itl=[0.1] * 9, usage_prompt_tokens=12, total_time=0.9, chunks=11),
        _rec(1, 0.3, 1.2, 10, itl=[0.1] * 9, chunks=11),
        _rec(2, 0.0, 0.0, 0, error_class="APIConnectionError", error="APIConnectionError: x"),
    ]
    client = ClientStats(wall_s=2.0, cpu_s=0.5, lag_samples=[0.001] * 99 + [0.02])
    s = summarise(
        records,
        duration_s=2.0,
        percentiles=[50, 99],
        selected=["ttft", "tpot", "itl", "e2el"],
        goodput_slos={"ttft": 200},
        clients=[client],
        lag_threshold_ms=5.0,
        meta={"num_prompts": 3},
    )
    doc = s.doc
    assert doc["completed"] == 2 and doc["failed"] == 1
    assert doc["total_input_tokens"] == 12 + 10  # usage's prompt tokens, else the dataset's
    assert doc["total_output_tokens"] == 20
    assert doc["request_throughput"] == pytest.approx(1.0)
    assert doc["request_goodput"] == pytest.approx(0.5)
    assert doc["output_throughput"] == pytest.approx(10.0)
    assert doc["total_token_throughput"] == pytest.approx(21.0)
    assert doc["mean_ttft_ms"] == pytest.approx(200.0)
    assert doc["median_ttft_ms"] == pytest.approx(200.0)
    assert doc["std_ttft_ms"] == pytest.approx(100.0)
    assert doc["p99_ttft_ms"] == pytest.approx(100 + 0.99 * 200)
    assert doc["mean_tpot_ms"] == pytest.approx((0.9 / 9 + 0.9 / 9) / 2 * 1000)
    assert doc["median_itl_ms"] == pytest.approx(100.0)
    assert doc["mean_e2el_ms"] == pytest.approx(1100.0)
    assert doc["errors"] == ["", "", "APIConnectionError: x"]
    assert doc["output_lens"] == [10, 10, 0]
    assert doc["max_concurrent_requests"] == 1  # [0, 1.0) and [1.0, 2.2) only touch
    ours = doc["groq_anyio"]
    assert ours["errors_by_class"] == {"APIConnectionError": 1}
    assert ours["server_timings_ms"]["total_time"]["median"] == pytest.approx(900.0)
    assert ours["server_timings_ms"]["e2el_minus_total_time"]["median"] == pytest.approx(100.0)
    c = ours["client"]
    assert c["cpu_fraction"] == pytest.approx(0.25)
    assert c["chunks"] == 22 and c["cpu_per_chunk_us"] == pytest.approx(0.5 / 22 * 1e6)
    assert c["loop_lag_ms"]["max"] == pytest.approx(20.0)
    assert c["loop_lag_ms"]["p99"] == pytest.approx(1.0 + 0.01 * 19.0)
    assert not c["bottleneck"] and c["warnings"] == []
    busy = ClientStats(wall_s=1.0, cpu_s=0.95, lag_samples=[0.01] * 10)
    s2 = summarise(
        records,
        duration_s=1.0,
        percentiles=[99],
        selected=["ttft"],
        goodput_slos=None,
        clients=[busy],
        lag_threshold_ms=5.0,
        meta={},
    )
    c2 = s2.doc["groq_anyio"]["client"]
    assert c2["bottleneck"] and len(c2["warnings"]) == 2
    assert s2.doc["request_goodput"] is None


def test_latencies_from_the_send_stamp_or_the_call_by_hand() -> None:
    ms = 1_000_000
    records = [
        # sent 20 ms after its call: TTFT 100 ms from the call is 80 ms from the send
        _rec(0, 0.100, 1.0, 11, ttfb=0.050, sent_ns=20 * ms),
        # sent 40 ms after its call
        _rec(1, 0.140, 1.1, 11, ttfb=0.060, sent_ns=1_000 * ms + 40 * ms),
        # no send stamp (a connection that does not say): measured from its call
        _rec(2, 0.090, 1.0, 11, ttfb=0.045),
    ]
    assert client_send_of(records[0]) == pytest.approx(0.020)
    assert client_send_of(records[2]) is None
    common = dict(
        duration_s=3.0,
        percentiles=[50],
        selected=["ttft", "tpot", "e2el"],
        goodput_slos={"ttft": 95},
        clients=[ClientStats(wall_s=3.0)],
        lag_threshold_ms=5.0,
        meta={},
    )
    sent = summarise(records, **common, latency_from="sent").doc  # type: ignore[arg-type]
    call = summarise(records, **common, latency_from="call").doc  # type: ignore[arg-type]
    assert sent["ttfts"] == pytest.approx([0.080, 0.100, 0.090])
    assert call["ttfts"] == pytest.approx([0.100, 0.140, 0.090])
    assert sent["latencies"] == pytest.approx([0.980, 1.060, 1.0])
    assert sent["median_ttft_ms"] == pytest.approx(90.0)
    assert call["median_ttft_ms"] == pytest.approx(100.0)
    assert sent["median_e2el_ms"] == pytest.approx(1000.0)
    assert sent["mean_tpot_ms"] == pytest.approx(call["mean_tpot_ms"])  # origin-free
    # goodput ttft <= 95 ms: two requests from the send, one from the call
    assert sent["request_goodput"] == pytest.approx(2 / 3.0)
    assert call["request_goodput"] == pytest.approx(1 / 3.0)
    for doc in (sent, call):
        ours = doc["groq_anyio"]
        assert ours["client_send_times"] == pytest.approx([0.020, 0.040, None])
        assert ours["client_send_ms"]["median"] == pytest.approx(30.0)
        assert ours["sent_unknown"] == 1
        assert doc["start_times"] == pytest.approx([0.0, 1.0, 2.0])  # (the calls, as vLLM's)
    assert sent["groq_anyio"]["ttfbs"] == pytest.approx([0.030, 0.020, 0.045])
    assert call["groq_anyio"]["ttfbs"] == pytest.approx([0.050, 0.060, 0.045])
    assert sent["groq_anyio"]["latency_from"] == "sent"
    assert goodput_count(records, {"ttft": 95}, "sent") == 2
    assert goodput_count(records, {"ttft": 95}, "call") == 1
    with pytest.raises(ValueError, match="latency_from"):
        summarise(records, **common, latency_from="first-byte")  # type: ignore[arg-type]


# -- arrival processes (fixed seeds, statistical checks) -----------------------------------------


def test_infinite_rate_sends_everything_at_once() -> None:
    assert arrival_offsets(5, math.inf) == [0.0] * 5
    assert arrival_offsets(0, 10.0) == []


@pytest.mark.parametrize("burstiness", [1.0, 0.5, 4.0])
def test_arrival_rate_and_burstiness(burstiness: float) -> None:
    rate = 20.0
    g = gaps(20_000, rate, burstiness, seed=1)
    m = mean(g)
    assert m == pytest.approx(1 / rate, rel=0.03)  # the mean gap is 1/rate at any burstiness
    # gamma(k, theta): variance k * theta^2, so the coefficient of variation is 1 / sqrt(k)
    cv = std(g) / m
    assert cv == pytest.approx(1 / math.sqrt(burstiness), rel=0.05)
    offsets = arrival_offsets(20_000, rate, burstiness, seed=1)
    assert offsets[0] == 0.0
    assert offsets[-1] == pytest.approx(sum(g[:-1]))
    assert all(b >= a for a, b in itertools.pairwise(offsets))


def test_poisson_counts_per_second() -> None:
    # a Poisson process of rate 10: counts in 1 s windows have mean 10 and variance 10
    offsets = arrival_offsets(30_000, 10.0, 1.0, seed=7)
    seconds = int(offsets[-1])
    counts = [0] * seconds
    for t in offsets:
        if int(t) < seconds:
            counts[int(t)] += 1
    assert mean(counts) == pytest.approx(10.0, rel=0.03)
    assert statistics.pvariance(counts) == pytest.approx(10.0, rel=0.1)


def test_arrivals_are_reproducible_and_validated() -> None:
    assert gaps(10, 5.0, 1.0, seed=3) == gaps(10, 5.0, 1.0, seed=3)
    assert gaps(10, 5.0, 1.0, seed=3) != gaps(10, 5.0, 1.0, seed=4)
    with pytest.raises(ValueError):
        gaps(3, -1.0)
    with pytest.raises(ValueError):
        gaps(3, 1.0, 0.0)


# -- datasets ----------------------------------------------------------------------------------


def test_random_dataset_lengths() -> None:
    samples = random_dataset(50, 100, 20, 0.0, seed=0)
    assert len(samples) == 50
    assert {s.prompt_len for s in samples} == {100}
    assert {s.expected_output_len for s in samples} == {20}
    assert all(len(s.prompt.split()) == 100 for s in samples)
    assert len({s.prompt for s in samples}) == 50
    ranged = random_dataset(200, 100, 20, 0.5, seed=0)
    assert all(50 <= s.prompt_len <= 150 for s in ranged)
    assert all(10 <= (s.expected_output_len or 0) <= 30 for s in ranged)
    assert len({s.prompt_len for s in ranged}) > 10
    with pytest.raises(DatasetError):
        random_dataset(1, 10, 10, 1.0, seed=0)


def test_custom_and_sharegpt(tmp_path: Path) -> None:
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text(
        '{"prompt": "hello there"}\n\n"a bare string"\n{"prompt": "x", "output_tokens": 5}\n'
    )
    samples = custom(str(jsonl), 5, None)
    assert [s.prompt for s in samples] == [
        "hello there",
        "a bare string",
        "x",
        "hello there",
        "a bare string",
    ]
    assert samples[2].expected_output_len == 5 and samples[0].expected_output_len is None
    assert custom(str(jsonl), 1, 7)[0].expected_output_len == 7
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "no prompt"}\n')
    with pytest.raises(DatasetError, match='no "prompt"'):
        custom(str(bad), 1, None)
    with pytest.raises(DatasetError, match="cannot read"):
        custom(str(tmp_path / "missing.jsonl"), 1, None)
    share = tmp_path / "sg.json"
    convs = [
        {"conversations": [{"from": "human", "value": "q1"}, {"from": "gpt", "value": "a" * 40}]},
        {"conversations": [{"from": "human", "value": "only one turn"}]},
        {"conversations": [{"from": "human", "value": "q2"}, {"from": "gpt", "value": "b" * 8}]},
    ]
    share.write_bytes(msgspec.json.encode(convs))
    samples = sharegpt(str(share), 4, None, seed=0)
    assert sorted({s.prompt for s in samples}) == ["q1", "q2"]
    assert {s.prompt: s.expected_output_len for s in samples} == {"q1": 10, "q2": 2}
    assert {s.expected_output_len for s in sharegpt(str(share), 2, 3, seed=0)} == {3}
    share.write_text("{}")
    with pytest.raises(DatasetError):
        sharegpt(str(share), 1, None, seed=0)


def test_shape_rejects_a_document_missing_a_metric() -> None:
    records = [_rec(0, 0.1, 1.0, 10, itl=[0.1] * 9)]
    meta = {
        "date": "20260101-000000",
        "endpoint_type": "openai-chat",
        "backend": "groq-anyio",
        "label": None,
        "model_id": "m",
        "tokenizer_id": None,
        "num_prompts": 1,
        "request_rate": "inf",
        "burstiness": 1.0,
        "max_concurrency": None,
    }
    s = summarise(
        records,
        duration_s=1.0,
        percentiles=[99],
        selected=["ttft", "itl"],
        goodput_slos=None,
        clients=[ClientStats(wall_s=1.0)],
        lag_threshold_ms=5.0,
        meta=meta,
    )
    doc = msgspec.json.decode(msgspec.json.encode(s.doc))
    validate_result(doc, ["ttft", "itl"], [99])
    with pytest.raises(msgspec.ValidationError):
        validate_result(doc, ["ttft", "tpot"], [99])
    del doc["ttfts"]
    with pytest.raises(msgspec.ValidationError):
        validate_result(doc, ["ttft"], [99])


def test_progress_bar_only_on_a_terminal() -> None:
    import io

    from groq_anyio._harness._output import Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    piped = io.StringIO()
    bar = Progress(3, out=piped)
    for i in range(1, 4):
        bar(i)
    bar.close()
    assert piped.getvalue() == ""
    tty = Tty()
    bar = Progress(3, out=tty)
    bar(1)
    bar(3)
    text = tty.getvalue()
    assert text.startswith("\r[") and "] 1/3" in text and text.endswith("] 3/3\n")
    assert Progress(3, enabled=False, out=tty).enabled is False  # --disable-tqdm


def test_worker_shares_add_up_to_the_load() -> None:
    from groq_anyio._harness._runner import RunConfig
    from groq_anyio._harness._workers import split

    samples = random_dataset(10, 4, 3, 0.0, seed=0)
    cfg = RunConfig(
        base_url="http://127.0.0.1:1",
        model="m",
        samples=samples,
        request_rate=9.0,
        max_concurrency=5,
        num_warmups=3,
        seed=7,
    )
    shares = split(cfg, 3)
    assert [len(s.samples) for s in shares] == [4, 3, 3]
    assert sum(s.max_concurrency or 0 for s in shares) == 5
    assert sum(s.request_rate or 0 for s in shares) == pytest.approx(9.0)
    assert [s.seed for s in shares] == [7, 8, 9]
    indices = sorted(
        s.index_start + i * s.index_step for s in shares for i in range(len(s.samples))
    )
    assert indices == list(range(10))
    assert [s.samples for s in shares] == [samples[0::3], samples[1::3], samples[2::3]]
    # more workers than concurrency slots (or prompts): fewer workers, every prompt still runs
    two = split(msgspec.structs.replace(cfg, max_concurrency=2), 3)
    assert [s.max_concurrency for s in two] == [1, 1]
    assert sorted(x.prompt for s in two for x in s.samples) == sorted(x.prompt for x in samples)
    assert len(split(msgspec.structs.replace(cfg, samples=samples[:1]), 3)) == 1
    assert split(msgspec.structs.replace(cfg, request_rate=None), 2)[0].request_rate is None
