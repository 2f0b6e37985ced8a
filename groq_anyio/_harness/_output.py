"""Output of a run: the console summary (vLLM's layout), a progress bar, JSON, CSV, plots."""

from __future__ import annotations

import csv
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import msgspec

from ._metrics import METRICS, SERVER_TIMINGS
from ._stats import format_percentile

__all__ = ["Progress", "print_summary", "write_csv", "write_json", "write_plot"]

_W = 50


def _line(label: str, value: Any, fmt: str = "") -> str:
    if value is None:
        return f"{label:<40} {'n/a':<10}"
    return f"{label:<40} {format(value, fmt):<10}"


def print_summary(
    doc: dict[str, Any],
    selected: Sequence[str],
    percentiles: Sequence[float],
    out: IO[str] = sys.stdout,
) -> None:
    """Print the result as ``vllm bench serve`` does, then the server timings and the client's
    self-check (and its warnings)."""
    ours = doc["groq_anyio"]
    lines = ["{s:{c}^{n}}".format(s=" Serving Benchmark Result ", n=_W, c="=")]
    if ours["interrupted"]:
        lines.append("(interrupted: what was measured until Ctrl-C)")
    lines.append(_line("Successful requests:", doc["completed"]))
    lines.append(_line("Failed requests:", doc["failed"]))
    for cls, count in sorted(ours["errors_by_class"].items()):
        lines.append(_line(f"  {cls}:", count))
    if doc.get("max_concurrency") is not None:
        lines.append(_line("Maximum request concurrency:", doc["max_concurrency"]))
    rate = doc.get("request_rate")
    if isinstance(rate, (int, float)) and not math.isinf(rate):
        lines.append(_line("Request rate configured (RPS):", float(rate), ".2f"))
    lines.append(_line("Benchmark duration (s):", doc["duration"], ".2f"))
    lines.append(_line("Total input tokens:", doc["total_input_tokens"]))
    lines.append(_line("Total generated tokens:", doc["total_output_tokens"]))
    lines.append(_line("Request throughput (req/s):", doc["request_throughput"], ".2f"))
    if doc.get("request_goodput") is not None:
        lines.append(_line("Request goodput (req/s):", doc["request_goodput"], ".2f"))
    lines.append(_line("Output token throughput (tok/s):", doc["output_throughput"], ".2f"))
    lines.append(
        _line("Peak output token throughput (tok/s):", doc["max_output_tokens_per_s"], ".2f")
    )
    lines.append(_line("Peak concurrent requests:", float(doc["max_concurrent_requests"]), ".2f"))
    lines.append(_line("Total token throughput (tok/s):", doc["total_token_throughput"], ".2f"))
    origin = ours["latency_from"]
    lines.append(
        _line("Latencies measured from:", "request sent" if origin == "sent" else "call (vLLM)")
    )
    for name in selected:
        short, header = METRICS[name]
        lines.append("{s:{c}^{n}}".format(s=header, n=_W, c="-"))
        lines.append(_line(f"Mean {short} (ms):", doc[f"mean_{name}_ms"], ".2f"))
        lines.append(_line(f"Median {short} (ms):", doc[f"median_{name}_ms"], ".2f"))
        for p in percentiles:
            key = "p" + format_percentile(p)
            lines.append(_line(f"P{key[1:]} {short} (ms):", doc[f"{key}_{name}_ms"], ".2f"))
    send = ours["client_send_ms"]
    lines.append("{s:{c}^{n}}".format(s="Client send (call -> request sent)", n=_W, c="-"))
    lines.append(_line("Mean client send (ms):", send["mean"], ".2f"))
    lines.append(_line("Median client send (ms):", send["median"], ".2f"))
    for p in percentiles:
        key = "p" + format_percentile(p)
        lines.append(_line(f"P{key[1:]} client send (ms):", send[key], ".2f"))
    server = ours["server_timings_ms"]
    if server:
        lines.append("{s:{c}^{n}}".format(s="Server timings (usage, median)", n=_W, c="-"))
        for name in SERVER_TIMINGS:
            if name in server:
                label = name.replace("_", " ").capitalize()
                lines.append(_line(f"{label} (ms):", server[name]["median"], ".2f"))
        if "e2el_minus_total_time" in server:
            value = server["e2el_minus_total_time"]["median"]
            lines.append(_line("E2EL - server total time (ms):", value, ".2f"))
    client = ours["client"]
    lines.append("{s:{c}^{n}}".format(s="Client self-check", n=_W, c="-"))
    lines.append(_line("Client processes:", client["processes"]))
    lines.append(_line("Connections opened before the clock:", client["preconnected"]))
    lines.append(_line("Client CPU (s):", client["cpu_s"], ".2f"))
    lines.append(_line("Client CPU per chunk (us):", client["cpu_per_chunk_us"], ".1f"))
    lines.append(_line("Busiest process CPU (% of a core):", client["cpu_fraction"] * 100, ".1f"))
    lines.append(_line("Event-loop lag P99 (ms):", client["loop_lag_ms"]["p99"], ".2f"))
    lines.append(_line("Event-loop lag max (ms):", client["loop_lag_ms"]["max"], ".2f"))
    lines.append("=" * _W)
    for warning in client["warnings"]:
        lines.append(f"WARNING: {warning}")
    shown = [e for e in doc["errors"] if e][:10]
    if shown:
        lines.append(f"Failed requests (first {len(shown)}):")
        lines.extend(f"  {e}" for e in shown)
    out.write("\n".join(lines) + "\n")
    out.flush()


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal (never when piped)."""

    def __init__(self, total: int, enabled: bool | None = None, out: IO[str] = sys.stderr):
        self.total = total
        self.out = out
        self.enabled = out.isatty() if enabled is None else enabled
        self._last = 0.0

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < self.total and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        filled = width * done // max(1, self.total)
        self.out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}")
        if done >= self.total:
            self.out.write("\n")
        self.out.flush()

    def close(self) -> None:
        if self.enabled:
            self.out.write("\n")
            self.out.flush()


def _jsonable(doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    rate = out.get("request_rate")
    if isinstance(rate, float) and math.isinf(rate):
        out["request_rate"] = "inf"
    return out


def write_json(doc: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msgspec.json.format(msgspec.json.encode(_jsonable(doc)), indent=2))


CSV_FIELDS = (
    "request_rate",
    "max_concurrency",
    "index",
    "request_id",
    "input_len",
    "output_len",
    "ttft_ms",
    "tpot_ms",
    "itl_median_ms",
    "itl_max_ms",
    "e2el_ms",
    "ttfb_ms",
    "client_send_ms",
    "server_total_time_ms",
    "error",
)


def write_csv(doc: dict[str, Any], path: Path, *, append: bool) -> None:
    """One row per request (sweeps append their runs to one file)."""
    from ._stats import median

    new = not append or not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    ours = doc["groq_anyio"]
    with path.open("a" if append else "w", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(CSV_FIELDS)
        for i, err in enumerate(doc["errors"]):
            ok = not err
            out_len = doc["output_lens"][i]
            ttft, lat, itl = doc["ttfts"][i], doc["latencies"][i], doc["itls"][i]
            tpot = (lat - ttft) / (out_len - 1) * 1000 if ok and out_len > 1 else None
            ttfb = ours["ttfbs"][i]
            send = ours["client_send_times"][i]
            total = ours["server_total_times"][i]
            w.writerow(
                [
                    doc["request_rate"],
                    doc["max_concurrency"],
                    i,
                    ours["request_ids"][i] or "",
                    doc["input_lens"][i],
                    out_len,
                    f"{ttft * 1000:.3f}" if ok else "",
                    "" if tpot is None else f"{tpot:.3f}",
                    f"{median(itl) * 1000:.3f}" if ok and itl else "",
                    f"{max(itl) * 1000:.3f}" if ok and itl else "",
                    f"{lat * 1000:.3f}" if ok else "",
                    "" if ttfb is None else f"{ttfb * 1000:.3f}",
                    "" if send is None else f"{send * 1000:.3f}",
                    "" if total is None else f"{total * 1000:.3f}",
                    err,
                ]
            )


def write_plot(docs: Sequence[dict[str, Any]], path: Path) -> None:
    """TTFT and ITL histograms and CDFs and the output-token throughput over time, as PNG
    (``.png``) or a self-contained HTML page (``.html``). Needs ``groq_anyio[plot]``."""
    import base64
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    (h_ttft, h_itl), (cdf, series) = axes
    for doc in docs:
        label = _run_label(doc)
        ttfts = [t * 1000 for t, e in zip(doc["ttfts"], doc["errors"], strict=True) if not e]
        itls = [g * 1000 for gaps in doc["itls"] for g in gaps]
        h_ttft.hist(ttfts, bins=50, alpha=0.6, label=label)
        h_itl.hist(itls, bins=100, alpha=0.6, label=label)
        for values, style, name in ((ttfts, "-", "TTFT"), (itls, "--", "ITL")):
            ordered = sorted(values)
            if ordered:
                ys = [(i + 1) / len(ordered) for i in range(len(ordered))]
                cdf.plot(ordered, ys, style, label=f"{name} {label}")
        tps = doc["groq_anyio"]["tokens_per_second"]
        series.plot(range(len(tps)), tps, label=label)
    h_ttft.set(title="TTFT", xlabel="ms", ylabel="requests")
    h_itl.set(title="ITL", xlabel="ms", ylabel="gaps")
    cdf.set(title="CDF", xlabel="ms", ylabel="fraction", xscale="log")
    series.set(title="Output tokens per second", xlabel="s", ylabel="tokens")
    for ax in (h_ttft, h_itl, cdf, series):
        ax.legend(fontsize="small")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".html":
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        data = base64.b64encode(buf.getvalue()).decode()
        path.write_text(
            "<!doctype html><meta charset=utf-8><title>groq-anyio bench</title>"
            f'<img alt="benchmark plots" src="data:image/png;base64,{data}">\n'
        )
    else:
        fig.savefig(path, dpi=100)
    plt.close(fig)


def _run_label(doc: dict[str, Any]) -> str:
    parts = []
    if doc.get("request_rate") not in (None, "inf") and not (
        isinstance(doc.get("request_rate"), float) and math.isinf(doc["request_rate"])
    ):
        parts.append(f"{doc['request_rate']} rps")
    if doc.get("max_concurrency") is not None:
        parts.append(f"c={doc['max_concurrency']}")
    return ", ".join(parts) or "inf rps"
