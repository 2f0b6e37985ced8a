"""Fidelity of ``groq-anyio bench``: what it measures against what the server really sent.

A paced local server (``groq_anyio.testing.PacedChat``, its own process) streams every answer
``--ttft-ms`` after the request arrives and then one token every ``--itl-ms``, and records, per
request, when the request arrived and when each token was handed to the socket
(``time.perf_counter_ns``, the system-wide monotonic clock, so both processes' stamps compare).
The ``groq-anyio bench`` command runs against it (its own process too) at each concurrency, and
this script matches its per-request results (``--save-result`` JSON, by request id) with the
server's send log:

- ITL: the measured gaps between content chunks against the gaps between the server's sends.
- TTFT: the measured TTFT against the server's (request arrival -> first token sent). The
  bench measures it from the moment the request's last byte was handed to the network (its
  default ``--latency-from sent``); the difference from the truth then splits into ``upload``
  (the request sent -> the server has read and dispatched it: the kernel, the server's loop
  and parsing) and ``delivery`` (the server's send of the first token -> the client's arrival
  stamp). The client's own share before the send (the call -> sent: encoding, waiting for the
  loop or a connection, writing) is reported apart as ``client send``, and the TTFT error from
  the call (vLLM's origin, ``--latency-from call``) is their sum plus that.
  Because the server's arrival stamp is taken when it dispatches the request, ``upload`` holds
  the server's own read queue (hundreds of requests arriving together): a latency the server
  adds, not a measuring error of the client. So TTFT is also compared with the server's first
  send counted from our send stamp (the same clock): the error left is ``delivery`` alone, the
  part of the measured TTFT that the client's stamping can get wrong.

Targets (issue 11): at 300 streams, median ITL within 0.3 ms and p99 ITL within 1 ms of the
truth; median TTFT within 1.5 ms.

    python bench/fidelity.py                       # 1, 100, 300 streams; 40 ms, then 4 ms a token
    python bench/fidelity.py --concurrency 300 --workers 2 --http2
    python bench/fidelity.py --cold-connections    # connections opened by measured requests
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from groq_anyio._harness._local import LocalServer  # noqa: E402
from groq_anyio._harness._stats import median, percentile  # noqa: E402


def _fetch_log(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url + "/openai/v1/_paced/sends", timeout=30) as resp:
        doc: dict[str, Any] = json.loads(resp.read())
    urllib.request.urlopen(
        urllib.request.Request(url + "/openai/v1/_paced/sends", method="DELETE"), timeout=30
    ).close()
    return doc


def _run_bench(url: str, streams: int, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "groq_anyio",
        "bench",
        "--base-url",
        url + "/openai/v1",
        "--num-prompts",
        str(streams * args.rounds),
        "--max-concurrency",
        str(streams),
        "--random-input-len",
        "16",
        "--random-output-len",
        str(args.output_len),
        "--num-warmups",
        str(min(streams, 20)),
        "--backend",
        args.backend,
        "--workers",
        str(args.workers),
        "--percentile-metrics",
        "ttft,tpot,itl,e2el",
        "--save-result",
        "--result-dir",
        str(out.parent),
        "--result-filename",
        out.name,
        "--disable-tqdm",
        "--request-timeout",
        "120",
    ]
    if args.uvloop:
        cmd.append("--uvloop")
    if args.cold_connections:
        cmd.append("--cold-connections")
    if args.http2:
        cmd.append("--http2")
    else:
        cmd.append("--http1")
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"bench failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    if args.verbose:
        print(proc.stdout)
    doc: dict[str, Any] = json.loads(out.read_text())
    return doc


def compare(doc: dict[str, Any], log: dict[str, Any]) -> dict[str, Any]:
    """The measured figures of ``doc`` against the server's ``log`` (milliseconds)."""
    ours = doc["groq_anyio"]
    ids = ours["request_ids"]
    from_sent = ours.get("latency_from", "call") == "sent"
    client_sends = ours.get("client_send_times") or [None] * len(ids)
    m_itl: list[float] = []
    t_itl: list[float] = []
    gap_err: list[float] = []
    m_ttft: list[float] = []
    t_ttft: list[float] = []
    t_wire: list[float] = []  # the server's first send, from our send stamp (shared clock)
    delivery: list[float] = []
    upload: list[float] = []
    send: list[float] = []
    ttft_call: list[float] = []
    by_start: list[tuple[float, float, float]] = []  # (call start, measured, true TTFT)
    matched = 0
    for i, rid in enumerate(ids):
        entry = log.get(rid or "")
        if entry is None or doc["errors"][i]:
            continue
        sends = entry["sends"]
        gaps = doc["itls"][i]
        if len(gaps) != len(sends) - 1:
            continue  # (a chunk count mismatch would make the pairing meaningless)
        matched += 1
        truth = [(b - a) / 1e6 for a, b in itertools.pairwise(sends)]
        meas = [g * 1000 for g in gaps]
        m_itl += meas
        t_itl += truth
        gap_err += [abs(a - b) for a, b in zip(meas, truth, strict=True)]
        ttft = doc["ttfts"][i] * 1000
        true_ttft = (sends[0] - entry["received"]) / 1e6
        m_ttft.append(ttft)
        t_ttft.append(true_ttft)
        client_send = client_sends[i]
        if client_send is not None:
            send.append(client_send * 1000)
        # the measured TTFT's origin: the send stamp (or the call, when it was not stamped)
        shift = client_send if from_sent and client_send is not None else 0.0
        origin_ns = (doc["start_times"][i] + shift) * 1e9
        delivery.append((origin_ns + doc["ttfts"][i] * 1e9 - sends[0]) / 1e6)
        t_wire.append((sends[0] - origin_ns) / 1e6)
        upload.append((entry["received"] - origin_ns) / 1e6)
        ttft_call.append(ttft + shift * 1000)  # (from the call, as vLLM measures)
        by_start.append((doc["start_times"][i], ttft, true_ttft))
    # the first `max_concurrency` requests start together (a burst the server must read and
    # dispatch one after another); later ones start as slots free up
    by_start.sort()
    burst = by_start[: doc.get("max_concurrency") or len(by_start)]
    later = by_start[len(burst) :]

    def ttft_error(rows: list[tuple[float, float, float]]) -> float:
        if not rows:
            return float("nan")
        return median([r[1] for r in rows]) - median([r[2] for r in rows])

    client = ours["client"]
    return {
        "requests": matched,
        "gaps": len(m_itl),
        "itl_median": (median(m_itl), median(t_itl)),
        "itl_p99": (percentile(m_itl, 99), percentile(t_itl, 99)),
        "itl_gap_abs_err_median": median(gap_err),
        "itl_gap_abs_err_p99": percentile(gap_err, 99),
        "ttft_median": (median(m_ttft), median(t_ttft)),
        "ttft_p99": (percentile(m_ttft, 99), percentile(t_ttft, 99)),
        "ttft_wire_median": (median(m_ttft), median(t_wire)),
        "ttft_wire_p99": (percentile(m_ttft, 99), percentile(t_wire, 99)),
        "delivery_median": median(delivery),
        "delivery_p99": percentile(delivery, 99),
        "upload_median": median(upload),
        "upload_p99": percentile(upload, 99),
        "ttft_err_burst": ttft_error(burst),
        "ttft_err_later": ttft_error(later),
        "client_send_median": median(send),
        "client_send_p99": percentile(send, 99),
        "ttft_from_call_median": median(ttft_call),
        "latency_from": "sent" if from_sent else "call",
        "preconnected": client.get("preconnected", 0),
        "client_cpu_fraction": client["cpu_fraction"],
        "client_cpu_per_chunk_us": client["cpu_per_chunk_us"],
        "loop_lag_p99_ms": client["loop_lag_ms"]["p99"],
        "client_warnings": client["warnings"],
    }


def _table(rows: list[tuple[int, dict[str, Any]]]) -> str:
    head = (
        "| streams | requests | median ITL measured / true (error) | p99 ITL measured / true "
        "(error) | per-gap error median / p99 | median TTFT measured / true (error) | p99 TTFT "
        "measured / true | upload median / p99 | first-chunk delivery median / p99 | client CPU "
        "| loop lag p99 | client send median / p99 | median TTFT from the call (error) "
        "| median TTFT error: first round / later rounds "
        "| median TTFT measured / server's first send from our send (error) |\n"
        "|---:|---:|---|---|---|---|---|---|---|---:|---:|---|---|---|---|"
    )
    lines = [head]
    for streams, r in rows:
        mi, ti = r["itl_median"]
        mp, tp = r["itl_p99"]
        mt, tt = r["ttft_median"]
        pt, ptt = r["ttft_p99"]
        lines.append(
            f"| {streams} | {r['requests']} | {mi:.3f} / {ti:.3f} ms ({mi - ti:+.3f}) "
            f"| {mp:.3f} / {tp:.3f} ms ({mp - tp:+.3f}) "
            f"| {r['itl_gap_abs_err_median']:.3f} / {r['itl_gap_abs_err_p99']:.3f} ms "
            f"| {mt:.2f} / {tt:.2f} ms ({mt - tt:+.2f}) | {pt:.2f} / {ptt:.2f} ms "
            f"| {r['upload_median']:.3f} / {r['upload_p99']:.3f} ms "
            f"| {r['delivery_median']:.3f} / {r['delivery_p99']:.3f} ms "
            f"| {r['client_cpu_fraction']:.0%} | {r['loop_lag_p99_ms']:.2f} ms "
            f"| {r['client_send_median']:.3f} / {r['client_send_p99']:.3f} ms "
            f"| {r['ttft_from_call_median']:.2f} ms ({r['ttft_from_call_median'] - tt:+.2f}) "
            f"| {r['ttft_err_burst']:+.2f} / {r['ttft_err_later']:+.2f} ms "
            f"| {r['ttft_wire_median'][0]:.2f} / {r['ttft_wire_median'][1]:.2f} ms "
            f"({r['ttft_wire_median'][0] - r['ttft_wire_median'][1]:+.2f}) |"
        )
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--concurrency", default="1,100,300")
    p.add_argument("--ttft-ms", type=float, default=40.0)
    p.add_argument("--itl-ms", type=float, default=4.0)
    p.add_argument("--output-len", type=int, default=64)
    p.add_argument("--rounds", type=int, default=2, help="requests per stream slot")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--backend", default="asyncio", choices=("asyncio", "trio"))
    p.add_argument("--http2", action="store_true")
    p.add_argument("--uvloop", action="store_true", help="client and server on uvloop")
    p.add_argument(
        "--cold-connections",
        action="store_true",
        help="the bench opens no connections before its clock (measured requests connect)",
    )
    p.add_argument("--json", default=None, help="write the figures here too")
    p.add_argument("--verbose", action="store_true", help="print each bench summary")
    args = p.parse_args()
    rows = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        LocalServer(
            ttft=args.ttft_ms / 1000,
            tokens_per_s=1000.0 / args.itl_ms,
            record=True,
            http2=True,
            uvloop=args.uvloop,
        ) as url,
    ):
        _fetch_log(url)
        for streams in [int(c) for c in args.concurrency.split(",")]:
            doc = _run_bench(url, streams, args, Path(tmp) / f"c{streams}.json")
            r = compare(doc, _fetch_log(url))
            rows.append((streams, r))
            mi, ti = r["itl_median"]
            mp, tp = r["itl_p99"]
            mt, tt = r["ttft_median"]
            mw, tw = r["ttft_wire_median"]
            print(
                f"{streams:>4} streams: ITL median {mi:.3f} vs {ti:.3f} ms ({mi - ti:+.3f}), "
                f"p99 {mp:.3f} vs {tp:.3f} ms ({mp - tp:+.3f}); TTFT median {mt:.2f} vs "
                f"{tt:.2f} ms ({mt - tt:+.2f}; from the call {r['ttft_from_call_median'] - tt:+.2f}"
                f"; first round {r['ttft_err_burst']:+.2f}, later {r['ttft_err_later']:+.2f}"
                f"); upload median {r['upload_median']:.3f} ms, client send median / p99 "
                f"{r['client_send_median']:.3f} / {r['client_send_p99']:.3f} ms; client CPU "
                f"{r['client_cpu_fraction']:.0%}, lag p99 {r['loop_lag_p99_ms']:.2f} ms; TTFT "
                f"against the server's first send from our send stamp: {mw:.2f} vs {tw:.2f} ms "
                f"({mw - tw:+.2f})",
                flush=True,
            )
            for w in r["client_warnings"]:
                print(f"      warning: {w}", flush=True)
    print()
    print(
        f"pace: TTFT {args.ttft_ms:g} ms, then one token every {args.itl_ms:g} ms, "
        f"{args.output_len} tokens; {args.rounds} requests per stream; backend {args.backend}, "
        f"{'HTTP/2' if args.http2 else 'HTTP/1.1'}, {args.workers} client process(es); TTFT "
        f"measured from the request sent; connections opened "
        f"{'by the measured requests' if args.cold_connections else 'before the clock'}"
    )
    print(_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps({str(s): r for s, r in rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
