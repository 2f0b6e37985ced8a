"""Records of a run -> the figures vLLM's ``bench serve`` reports, plus the harness's own.

Definitions (as vLLM's, so numbers compare, but for where the clock starts):

- The origin: with ``latency_from="sent"`` (the default) TTFT, E2EL and TTFB are measured from
  the moment the request's last byte was handed to the network (``Timings.request_sent``), so
  they hold what the server and the network took and not the client's own queue; the client's
  share before that (the call -> sent: encoding, waiting for the event loop or a connection,
  connecting, writing) is reported apart as ``client_send``. ``latency_from="call"`` measures
  from the client's call, as vLLM does. A request whose send was not stamped is measured from
  its call.
- TTFT: the origin to the first chunk carrying content; ITL: the gaps between content chunks;
  E2EL: the origin to the last chunk; TPOT: ``(E2EL - TTFT) / (output_tokens - 1)`` for
  requests of more than one output token (the same from either origin), output tokens from
  the usage block (else content chunks).
- Goodput: completed requests per second meeting every ``--goodput`` SLO (a request of one
  token has a TPOT of 0 for this test).
- Throughputs divide by the benchmark's duration (first request start to last finish).
- Peak output token throughput: the busiest one-second bucket of token arrival times.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ._records import ClientStats, RequestRecord
from ._stats import describe, format_percentile, mean, percentile

__all__ = [
    "LATENCY_ORIGINS",
    "METRICS",
    "Summary",
    "client_send_of",
    "goodput_count",
    "summarise",
    "tpot_of_record",
]

#: where TTFT, E2EL and TTFB are measured from (``--latency-from``)
LATENCY_ORIGINS = ("sent", "call")

#: the latency metrics (vLLM's names) and their headers in the console summary
METRICS: dict[str, tuple[str, str]] = {
    "ttft": ("TTFT", "Time to First Token"),
    "tpot": ("TPOT", "Time per Output Token (excl. 1st token)"),
    "itl": ("ITL", "Inter-token Latency"),
    "e2el": ("E2EL", "End-to-end Latency"),
}
SERVER_TIMINGS = ("queue_time", "prompt_time", "completion_time", "total_time")


def tpot_of_record(rec: RequestRecord) -> float | None:
    if rec.output_tokens > 1:
        return (rec.latency - rec.ttft) / (rec.output_tokens - 1)
    return None


def client_send_of(rec: RequestRecord) -> float | None:
    """Seconds from the request's call to its last byte handed to the network (None: not
    stamped)."""
    if rec.sent_ns:
        return max(0.0, (rec.sent_ns - rec.start_ns) / 1e9)
    return None


def _shift(rec: RequestRecord, from_sent: bool) -> float:
    """What to take off the record's call-based TTFT/E2EL/TTFB for the chosen origin."""
    if not from_sent:
        return 0.0
    return client_send_of(rec) or 0.0


def goodput_count(
    records: Sequence[RequestRecord], slos_ms: dict[str, float], latency_from: str = "sent"
) -> int:
    """Completed requests meeting every SLO of ``slos_ms`` (``ttft``/``tpot``/``e2el``, ms),
    TTFT and E2EL from ``latency_from``'s origin."""
    good = 0
    from_sent = latency_from == "sent"
    for rec in records:
        if not rec.success:
            continue
        shift = _shift(rec, from_sent)
        values = {
            "ttft": rec.ttft - shift,
            "tpot": tpot_of_record(rec) or 0.0,
            "e2el": rec.latency - shift,
        }
        if all(values[k] <= v / 1000.0 for k, v in slos_ms.items()):
            good += 1
    return good


class Summary:
    """The figures of one run (``doc``: the JSON document, vLLM keys first)."""

    def __init__(self, doc: dict[str, Any], tokens_per_second: list[int]) -> None:
        self.doc = doc
        #: output tokens that arrived in each second of the run (for the plot)
        self.tokens_per_second = tokens_per_second


def _peaks(ok: Sequence[RequestRecord]) -> tuple[list[int], int]:
    if not ok:
        return [], 0
    t0 = min(r.start_ns for r in ok)
    t_end = max(r.start_ns + int(r.latency * 1e9) for r in ok)
    buckets = [0] * (math.ceil((t_end - t0) / 1e9) + 1)
    events: list[tuple[int, int]] = []
    for r in ok:
        t = (r.start_ns - t0) / 1e9 + r.ttft
        stamps = [t]
        for gap in r.itl:
            t += gap
            stamps.append(t)
        for s in stamps:
            b = int(s)
            if 0 <= b < len(buckets):
                buckets[b] += 1
        events.append((r.start_ns, 1))
        events.append((r.start_ns + int(r.latency * 1e9), -1))
    events.sort()
    now = peak = 0
    for _, delta in events:
        now += delta
        peak = max(peak, now)
    return buckets, peak


def _ms(d: dict[str, float]) -> dict[str, float]:
    return {k: v * 1000.0 for k, v in d.items()}


def _client_doc(
    clients: Sequence[ClientStats], chunks: int, lag_threshold_ms: float
) -> dict[str, Any]:
    cpu = sum(c.cpu_s for c in clients)
    fractions = [c.cpu_s / c.wall_s if c.wall_s > 0 else 0.0 for c in clients]
    lags = sorted(x for c in clients for x in c.lag_samples)
    lag = {
        "mean": mean(lags) * 1000.0,
        "p99": percentile(lags, 99.0, presorted=True) * 1000.0,
        "max": (lags[-1] if lags else 0.0) * 1000.0,
        "samples": float(len(lags)),
    }
    warnings = []
    busiest = max(fractions, default=0.0)
    if lag["p99"] > lag_threshold_ms:
        why = (
            "the process was mostly waiting for a CPU: the machine is busy"
            if busiest < 0.5
            else "use fewer concurrent streams per process or --workers"
        )
        warnings.append(
            f"the client's event loop lagged (p99 {lag['p99']:.2f} ms > {lag_threshold_ms:g} ms):"
            f" chunk times include time the client was busy or not scheduled ({why})"
        )
    if busiest >= 0.9:
        warnings.append(
            f"a client process used {busiest:.0%} of a CPU core: the client, not the server, may"
            " have been the bottleneck; use --workers"
        )
    return {
        "processes": len(clients),
        "backend": clients[0].backend if clients else "",
        "http_version": next((c.http_version for c in clients if c.http_version), ""),
        "cpu_s": cpu,
        "wall_s": max((c.wall_s for c in clients), default=0.0),
        "cpu_fraction": busiest,
        "chunks": chunks,
        "cpu_per_chunk_us": cpu / chunks * 1e6 if chunks else 0.0,
        "loop_lag_ms": lag,
        "lag_threshold_ms": lag_threshold_ms,
        "bottleneck": bool(warnings),
        "warnings": warnings,
        "preconnected": sum(c.preconnected for c in clients),
    }


def summarise(
    records: Sequence[RequestRecord],
    *,
    duration_s: float,
    percentiles: Sequence[float],
    selected: Sequence[str],
    goodput_slos: dict[str, float] | None,
    clients: Sequence[ClientStats],
    lag_threshold_ms: float,
    meta: dict[str, Any],
    interrupted: bool = False,
    latency_from: str = "sent",
) -> Summary:
    """The result document of a run: ``meta`` (date, model, rate...) then vLLM's fields, the
    ``mean_/median_/std_/p<P>_<metric>_ms`` of the ``selected`` metrics, then ours under
    ``"groq_anyio"``. TTFT, E2EL and TTFB run from ``latency_from``'s origin (``"sent"`` or
    ``"call"``, see the module notes)."""
    if latency_from not in LATENCY_ORIGINS:
        raise ValueError(f"latency_from must be one of {LATENCY_ORIGINS}, not {latency_from!r}")
    from_sent = latency_from == "sent"
    records = sorted(records, key=lambda r: r.index)
    shifts = [_shift(r, from_sent) for r in records]
    ok = [r for r in records if r.success]
    ok_shifts = [s for r, s in zip(records, shifts, strict=True) if r.success]
    dur = duration_s if duration_s > 0 else 1e-9
    output_lens = [r.output_tokens if r.success else 0 for r in records]
    input_lens = [
        r.usage_prompt_tokens if r.usage_prompt_tokens is not None else r.prompt_len
        for r in records
    ]
    total_input = sum(n for n, r in zip(input_lens, records, strict=True) if r.success)
    total_output = sum(output_lens)
    ttfts = [r.ttft - s for r, s in zip(ok, ok_shifts, strict=True)]
    itls = [g for r in ok for g in r.itl]
    tpots = [t for t in (tpot_of_record(r) for r in ok) if t is not None]
    e2els = [r.latency - s for r, s in zip(ok, ok_shifts, strict=True)]
    sends = [client_send_of(r) for r in records]
    buckets, peak_conc = _peaks(ok)
    doc: dict[str, Any] = dict(meta)
    doc.update(
        {
            "duration": duration_s,
            "completed": len(ok),
            "failed": len(records) - len(ok),
            "total_input_tokens": total_input,
            "total_output_tokens": total_output,
            "request_throughput": len(ok) / dur,
            "request_goodput": (
                goodput_count(records, goodput_slos, latency_from) / dur if goodput_slos else None
            ),
            "output_throughput": total_output / dur,
            "total_token_throughput": (total_input + total_output) / dur,
            "input_lens": input_lens,
            "output_lens": output_lens,
            "ttfts": [
                r.ttft - s if r.success else 0.0 for r, s in zip(records, shifts, strict=True)
            ],
            "itls": [r.itl if r.success else [] for r in records],
            "latencies": [
                r.latency - s if r.success else 0.0 for r, s in zip(records, shifts, strict=True)
            ],
            "start_times": [r.start_ns / 1e9 for r in records],
            "queue_times": [max(0.0, (r.start_ns - r.scheduled_ns) / 1e9) for r in records],
            "generated_texts": [r.generated_text for r in records],
            "errors": [r.error for r in records],
            "max_output_tokens_per_s": float(max(buckets, default=0)),
            "max_concurrent_requests": peak_conc,
        }
    )
    values = {"ttft": ttfts, "tpot": tpots, "itl": itls, "e2el": e2els}
    for name in selected:
        stats = _ms(describe(values[name], percentiles))
        doc[f"mean_{name}_ms"] = stats["mean"]
        doc[f"median_{name}_ms"] = stats["median"]
        doc[f"std_{name}_ms"] = stats["std"]
        for p in percentiles:
            key = "p" + format_percentile(p)
            doc[f"{key}_{name}_ms"] = stats[key]
    server: dict[str, Any] = {}
    for name in SERVER_TIMINGS:
        got = [v for v in (getattr(r, name) for r in ok) if v is not None]
        if got:
            server[name] = _ms(describe(got, percentiles))
    overhead = [r.latency - r.total_time for r in ok if r.total_time is not None]
    if overhead:
        server["e2el_minus_total_time"] = _ms(describe(overhead, percentiles))
    ttfb_all = [
        None if r.ttfb is None else r.ttfb - s for r, s in zip(records, shifts, strict=True)
    ]
    ttfbs = [t for r, t in zip(records, ttfb_all, strict=True) if r.success and t is not None]
    ok_sends = [t for r, t in zip(records, sends, strict=True) if r.success and t is not None]
    chunks = sum(r.chunks for r in records)
    doc["groq_anyio"] = {
        "interrupted": interrupted,
        "latency_from": latency_from,
        "errors_by_class": dict(Counter(r.error_class for r in records if not r.success)),
        "ttfb_ms": _ms(describe(ttfbs, percentiles)),
        "client_send_ms": _ms(describe(ok_sends, percentiles)),
        "sent_unknown": sum(
            1 for r, t in zip(records, sends, strict=True) if r.success and t is None
        ),
        "server_timings_ms": server,
        "client": _client_doc(clients, chunks, lag_threshold_ms),
        "request_ids": [r.request_id for r in records],
        "ttfbs": ttfb_all,
        "client_send_times": sends,
        "server_total_times": [r.total_time for r in records],
        "server_queue_times": [r.queue_time for r in records],
        "tokens_per_second": buckets,
    }
    return Summary(doc, buckets)
