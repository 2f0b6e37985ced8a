"""What run_all.py measured, summarised: metrics, targets (PASS/FAIL), ratios, markdown.

Everything here works on the saved results (``run_all.py --render JSON`` re-renders them), so
it runs nothing. Ratios are computed per repetition (both clients measured in the same
repetition, minutes apart at most) and then summarised as a median with the min-max spread.
"""

from __future__ import annotations

import os
import re
import statistics
from dataclasses import dataclass
from typing import Any

from _common import CLIENTS, COMPARE_CLIENTS, OURS, SCENARIOS

X = "\u00d7"  # multiplication sign
EN = "\u2013"  # en dash
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PERF_DOC = os.path.join(ROOT, "docs", "performance.md")
README = os.path.join(ROOT, "README.md")

LABEL = {
    "groq_anyio-asyncio": "groq_anyio (asyncio)",
    "groq_anyio-trio": "groq_anyio (trio)",
    "groq_anyio-uvloop": "groq_anyio (uvloop)",
    "groq_anyio-asyncio-h11": "groq_anyio h11 (asyncio)",
    "groq_anyio-trio-h11": "groq_anyio h11 (trio)",
    "aiohttp": "raw aiohttp + msgspec",
    "aiohttp-uvloop": "raw aiohttp + msgspec (uvloop)",
    "httptools-proto": "asyncio.Protocol + httptools + msgspec",
    "httptools-proto-uvloop": "asyncio.Protocol + httptools + msgspec (uvloop)",
    "httptools-anyio": "anyio streams + httptools + msgspec (asyncio)",
    "httptools-anyio-trio": "anyio streams + httptools + msgspec (trio)",
    "floor": "httpcore floor (asyncio)",
    "floor-trio": "httpcore floor (trio)",
    "groq-sdk": "groq SDK (httpx)",
    "groq-sdk-aiohttp": "groq SDK (aiohttp)",
    "openai-sdk": "openai SDK",
}
SHORT = {
    "groq_anyio-asyncio": "asyncio",
    "groq_anyio-trio": "trio",
    "groq_anyio-uvloop": "uvloop",
    "groq_anyio-asyncio-h11": "h11 asyncio",
    "groq_anyio-trio-h11": "h11 trio",
    "aiohttp": "aiohttp",
    "aiohttp-uvloop": "aiohttp (uvloop)",
    "httptools-proto": "httptools floor",
    "httptools-proto-uvloop": "httptools floor (uvloop)",
    "httptools-anyio": "httptools anyio floor",
    "httptools-anyio-trio": "httptools floor (trio)",
    "floor": "httpcore floor",
    "floor-trio": "httpcore floor (trio)",
    "groq-sdk": "groq SDK",
    "groq-sdk-aiohttp": "groq SDK (aiohttp)",
    "openai-sdk": "openai SDK",
}


# -- what is reported ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    scenario: str  # e2e scenario name, or "cold" / "calls"
    key: str
    label: str
    unit: str
    digits: int = 0
    lower_is_better: bool = True


METRICS: list[Metric] = [
    Metric("plain", "cpu_us", "1. plain request, client CPU", "µs/req"),
    Metric("plain", "rps", "1. plain requests, sequential", "req/s", lower_is_better=False),
    Metric("concurrent", "cpu_us", "2. 64 concurrent, client CPU", "µs/req"),
    Metric("concurrent", "rps", "2. 64 concurrent", "req/s", lower_is_better=False),
    Metric("framed", "cpu_us", "3. 10k-chunk stream, a frame per chunk, client CPU", "µs/chunk", 2),
    Metric("framed", "cps", "3. 10k-chunk stream, a frame per chunk", "chunks/s", 0, False),
    Metric("stream10k", "cpu_us", "3. 10k-chunk stream, 64 KiB frames, client CPU", "µs/chunk", 2),
    Metric("stream10k", "cps", "3. 10k-chunk stream, 64 KiB frames", "chunks/s", 0, False),
    Metric("ttft", "ttft_ms", "4. time to first chunk (median)", "ms", 2),
    Metric("paced", "wall_s", "5. 500 paced streams, all done", "s", 2),
    Metric("paced", "all_open_s", "5. 500 paced streams, all open", "s", 2),
    Metric("paced", "kib_per_stream", "5. 500 paced streams, memory", "KiB/stream", 1),
    Metric("paced", "cpu_us_per_chunk", "5. 500 paced streams, client CPU", "µs/chunk", 1),
    Metric("concurrent-h2", "cpu_us", "6. 64 concurrent, HTTP/2, CPU", "µs/req"),
    Metric("concurrent-h2", "rps", "6. 64 concurrent, HTTP/2", "req/s", lower_is_better=False),
    Metric("paced-h2", "wall_s", "6. 500 paced, HTTP/2, all done", "s", 2),
    Metric("paced-h2", "kib_per_stream", "6. 500 paced, HTTP/2, memory", "KiB/stream", 1),
    Metric("concurrent-tls", "cpu_us", "6. 64 concurrent, TLS, CPU", "µs/req"),
    Metric("concurrent-tls", "rps", "6. 64 concurrent, TLS", "req/s", lower_is_better=False),
    Metric("paced-tls", "wall_s", "6. 500 paced, TLS, all done", "s", 2),
    Metric("paced-tls", "kib_per_stream", "6. 500 paced, TLS, memory", "KiB/stream", 1),
    Metric("paced-tls", "cpu_us_per_chunk", "6. 500 paced, TLS, client CPU", "µs/chunk", 1),
    Metric("cold", "import_ms", "7. `import <package>`, fresh interpreter", "ms"),
    Metric("cold", "import_client_ms", "7. `from <package> import <client class>`", "ms"),
    Metric("cold", "import_create_ms", "7. import + create a client", "ms"),
    Metric("first", "first_ms", "7. process start to first completion", "ms"),
    Metric("calls", "calls_per_request", "Python calls per plain request", "calls"),
    Metric("calls", "calls_per_chunk_framed", "Python calls per chunk (a frame each)", "calls", 1),
    Metric("calls", "calls_per_chunk_burst", "Python calls per chunk (64 KiB frames)", "calls", 1),
    Metric("calls", "calls_per_chunk_trickle", "Python calls per chunk (trickle)", "calls", 1),
]
METRIC = {f"{m.scenario}:{m.key}": m for m in METRICS}

#: the HTTP/1.1-vs-HTTP/2 rows: (label, unit, digits, key, HTTP/1.1 scenario, HTTP/2 scenario)
COMPARE_ROWS = [
    ("plain request, client CPU", "µs/req", 0, "cpu_us", "plain-tls", "plain-h2-tls"),
    ("64 concurrent, client CPU", "µs/req", 0, "cpu_us", "concurrent-tls", "concurrent-h2-tls"),
    ("streamed chunk (a frame each), client CPU", "µs", 2, "cpu_us", "framed-tls", "framed-h2-tls"),
    ("paced chunk, client CPU", "µs", 1, "cpu_us_per_chunk", "paced-tls", "paced-h2-tls"),
    ("memory per open stream, 500 open", "KiB", 1, "kib_per_stream", "paced-tls", "paced-h2-tls"),
    ("500 paced 2-second streams, all done", "s", 2, "wall_s", "paced-tls", "paced-h2-tls"),
    ("500 paced streams, all open", "s", 2, "all_open_s", "paced-tls", "paced-h2-tls"),
]


@dataclass(frozen=True)
class Target:
    label: str
    scenario: str
    key: str
    limit: float
    vs: str | None = None  # compare ours/peer <= limit (see ``peer``); None: value <= limit
    backends: tuple[str, ...] = ("asyncio", "trio")  # the variants it is checked for


ASYNCIO = ("asyncio",)
TARGETS: list[Target] = [
    # issue 9
    Target(f"per-request CPU ≤ 1.0{X} raw aiohttp", "plain", "cpu_us", 1.0, "aiohttp", ASYNCIO),
    Target(f"64-way CPU ≤ 1.0{X} raw aiohttp", "concurrent", "cpu_us", 1.0, "aiohttp", ASYNCIO),
    Target(f"per-chunk CPU ≤ 0.6{X} raw aiohttp", "framed", "cpu_us", 0.6, "aiohttp"),
    Target(f"per-chunk CPU ≤ 1.3{X} httptools floor", "framed", "cpu_us", 1.3, "httptools"),
    Target(f"time to first chunk ≤ 1.0{X} raw aiohttp", "ttft", "ttft_ms", 1.0, "aiohttp"),
    Target("≤ 300 Python calls per plain request", "calls", "calls_per_request", 300),
    Target("≤ 10 Python calls per chunk, HTTP/1.1", "calls", "calls_per_chunk_framed", 10),
    Target("≤ 20 KiB per open HTTP/1.1 stream, 500 open", "paced", "kib_per_stream", 20),
    Target("500 paced 2-second streams all done ≤ 2.3 s", "paced", "wall_s", 2.3),
    Target("import + create a client ≤ 100 ms", "cold", "import_create_ms", 100),
    # kept from before
    Target(f"plain request CPU ≥ 3{X} ahead of groq SDK", "plain", "cpu_us", 1 / 3, "groq-sdk"),
    Target(f"64-way CPU ≥ 6{X} ahead of groq SDK", "concurrent", "cpu_us", 1 / 6, "groq-sdk"),
    Target(f"per-chunk CPU ≥ 8{X} ahead of groq SDK", "stream10k", "cpu_us", 1 / 8, "groq-sdk"),
    Target("500 paced streams all open ≤ 0.5 s", "paced", "all_open_s", 0.5),
    Target("≤ 20 KiB per open stream, HTTP/2", "paced-h2", "kib_per_stream", 20),
    Target(f"64-way HTTP/2 CPU ≤ 1.15{X} httpcore floor", "concurrent-h2", "cpu_us", 1.15, "floor"),
    Target(f"64-way TLS CPU ≤ 1.15{X} httpcore floor", "concurrent-tls", "cpu_us", 1.15, "floor"),
    Target("import groq_anyio < 50 ms", "cold", "import_ms", 50),
]


def _stats(values: list[float]) -> dict[str, float] | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def floor_for(client: str, clients: list[str]) -> str:
    """The httpcore floor on ``client``'s backend."""
    trio = CLIENTS[client].backend == "trio"
    return "floor-trio" if trio and "floor-trio" in clients else "floor"


def peer(vs: str, client: str, clients: list[str]) -> str:
    """Whom ``client`` is compared with for a ``vs`` target: the same event loop where the
    comparator has it (raw aiohttp and asyncio.Protocol exist on asyncio only; on trio the
    httptools floor is anyio streams on trio, raw aiohttp is the one on asyncio)."""
    spec = CLIENTS[client]
    uv = spec.loop == "uvloop"
    if vs == "floor":
        return floor_for(client, clients)
    if vs == "aiohttp":
        return "aiohttp-uvloop" if uv and "aiohttp-uvloop" in clients else "aiohttp"
    if vs == "httptools":
        if spec.backend == "trio":
            return "httptools-anyio-trio"
        if uv and "httptools-proto-uvloop" in clients:
            return "httptools-proto-uvloop"
        return "httptools-proto"
    return vs


#: the comparisons computed for each of ours (and shown in the ratio table where present)
PEERS = ("aiohttp", "httptools", "floor", "groq-sdk", "groq-sdk-aiohttp", "openai-sdk")


def primary(client: str, clients: list[str]) -> bool:
    """Whether ``client`` stands for its family in the import measures (the first of the
    family in ``CLIENTS`` order among ``clients``)."""
    family = CLIENTS[client].family
    return next(c for c in CLIENTS if c in clients and CLIENTS[c].family == family) == client


def summarise(
    raw: dict[str, dict[str, list[dict[str, Any]]]],
    cold: dict[str, Any],
    calls: dict[str, dict[str, Any]],
    clients: list[str],
) -> dict[str, Any]:
    """Medians and spreads per metric and client, ratios per repetition, target verdicts."""

    def values(m: Metric, client: str) -> list[float]:
        if m.scenario == "cold":
            if not primary(client, clients):
                return []
            got = cold.get(CLIENTS[client].family, {})
            if isinstance(got, list):  # results saved before import_client_ms existed
                got = {"import_ms": got}
            return list(got.get(m.key, []))
        if m.scenario == "calls":
            v = calls.get(client, {}).get(m.key)
            return [] if v is None else [v]
        runs = raw.get(m.scenario, {}).get(client, [])
        return [r[m.key] for r in runs if "error" not in r and r.get(m.key) is not None]

    def paired_ratios(m: Metric, ours: str, theirs: str) -> list[float]:
        if m.scenario in ("cold", "calls"):
            a, b = _stats(values(m, ours)), _stats(values(m, theirs))
            return [a["median"] / b["median"]] if a and b and b["median"] else []
        return _paired(raw, m.scenario, ours, m.scenario, theirs, m.key)

    table: dict[str, Any] = {}
    for m in METRICS:
        row: dict[str, Any] = {"label": m.label, "unit": m.unit, "values": {}, "ratios": {}}
        for client in clients:
            row["values"][client] = _stats(values(m, client))
        for ours in (c for c in OURS if c in clients):
            for theirs in dict.fromkeys(peer(p, ours, clients) for p in PEERS):
                if theirs in clients:
                    row["ratios"][f"{ours}/{theirs}"] = _stats(paired_ratios(m, ours, theirs))
        failures = {}
        for client in clients:
            runs = raw.get(m.scenario, {}).get(client, [])
            errs = [r["error"] for r in runs if "error" in r]
            bad = [r for r in runs if r.get("failures")]
            if m.scenario == "calls":
                errs = list(calls.get(client, {}).get("error", []))
            if errs or bad:
                failures[client] = errs[:2] + [str(r.get("failure_sample")) for r in bad[:1]]
        row["problems"] = failures
        table[f"{m.scenario}:{m.key}"] = row

    verdicts = []
    for t in TARGETS:
        row = table.get(f"{t.scenario}:{t.key}")
        per_client: dict[str, Any] = {}
        for ours in (c for c in OURS if c in clients):
            if row is None or CLIENTS[ours].backend not in t.backends:
                continue
            if t.scenario == "cold" and not primary(ours, clients):
                continue  # one import figure for the library
            theirs = None
            if t.vs is None:
                st = row["values"].get(ours)
            else:
                theirs = peer(t.vs, ours, clients)
                st = row["ratios"].get(f"{ours}/{theirs}")
            value = st["median"] if st else None
            ok = None if value is None else value <= t.limit
            if t.scenario.startswith("paced") and value is not None:
                runs = raw.get(t.scenario, {}).get(ours, [])
                if any(r.get("failures") or "error" in r for r in runs):
                    ok = False
            per_client[ours] = {"value": value, "pass": ok, "vs": theirs}
        verdicts.append({"target": t.label, "limit": t.limit, "vs": t.vs, "results": per_client})
    compare = {
        client: {
            f"{key}:{h1}:{h2}": {
                "h1": _stats(_values(raw, h1, client, key)),
                "h2": _stats(_values(raw, h2, client, key)),
                "ratio": _stats(_paired(raw, h2, client, h1, client, key)),
            }
            for _, _, _, key, h1, h2 in COMPARE_ROWS
        }
        for client in COMPARE_CLIENTS
        if client in clients
    }
    return {
        "metrics": table,
        "targets": verdicts,
        "compare": compare,
        "protocol_problems": protocol_problems(raw),
    }


def protocol_problems(raw: dict[str, Any]) -> list[str]:
    """Runs answered over another HTTP version than their scenario asks for (groq_anyio reports
    the version of a stream after its measured loop)."""
    out = []
    for name, by_client in raw.items():
        sc = SCENARIOS.get(name)
        if sc is None:
            continue
        want = "HTTP/2" if sc.http2 else "HTTP/1.1"
        for client, runs in by_client.items():
            got = {str(r["http_version"]) for r in runs if r.get("http_version")}
            wrong = sorted(v for v in got if not v.startswith(want))
            if wrong:
                out.append(f"{name} / {client}: answered over {', '.join(wrong)}, not {want}")
    return out


def _values(raw: dict[str, Any], scenario: str, client: str, key: str) -> list[float]:
    runs = raw.get(scenario, {}).get(client, [])
    return [r[key] for r in runs if "error" not in r and r.get(key) is not None]


def _paired(raw: dict[str, Any], sa: str, ca: str, sb: str, cb: str, key: str) -> list[float]:
    """``a / b`` per repetition: scenario ``sa`` of client ``ca`` over ``sb`` of ``cb``."""
    out = []
    for a, b in zip(raw.get(sa, {}).get(ca, []), raw.get(sb, {}).get(cb, []), strict=False):
        va, vb = a.get(key), b.get(key)
        if "error" in a or "error" in b or va is None or not vb:
            continue
        out.append(va / vb)
    return out


# -- rendering ------------------------------------------------------------------------------------


def _fmt(v: float | None, digits: int) -> str:
    if v is None:
        return EN
    if digits == 0 and abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:,.{max(digits, 0 if abs(v) >= 100 else 1)}f}"


def _cell(st: dict[str, float] | None, digits: int, spread: bool = True) -> str:
    if not st:
        return EN
    text = _fmt(st["median"], digits)
    if spread and st["max"] != st["min"]:
        text += f" ({_fmt(st['min'], digits)}{EN}{_fmt(st['max'], digits)})"
    return text


def _ratio(st: dict[str, float] | None) -> str:
    if not st:
        return EN
    digits = 3 if st["median"] < 0.1 else 2
    text = f"{st['median']:.{digits}f}"
    if st["max"] != st["min"]:
        text += f" ({st['min']:.{digits}f}{EN}{st['max']:.{digits}f})"
    return text


def render_markdown(
    env: dict[str, Any],
    summary: dict[str, Any],
    micro: dict[str, Any],
    clients: list[str],
    args: Any,
) -> str:
    v = env["versions"]
    ours = [c for c in OURS if c in clients]
    lines = [
        f"Run of {env['date']} (`{' '.join(['bench/run_all.py', *args.argv])}`), "
        f"{'quick smoke run, ' if args.quick else ''}{args.repeat} repetition(s), "
        f"medians with the min{EN}max over repetitions in brackets.",
        "",
        f"Machine: `{env['machine']}`, {env['cpu']}, {env['cores']} cores, "
        f"{env['memory_gib']} GiB, Linux {env['kernel']} (shared and noisy: read ratios, "
        "not absolute numbers). "
        f"Python {env['python']}; groq_anyio {v['groq_anyio']}, httpcore {v['httpcore']}, "
        f"h11 {v['h11']}, h2 {v['h2']}, anyio {v['anyio']}, msgspec {v['msgspec']}, "
        f"trio {v['trio']}, httptools {v.get('httptools', EN)}, uvloop {v.get('uvloop', EN)}; "
        f"aiohttp {v.get('aiohttp', EN)}; groq {v['groq']} (httpx {v['httpx']}, httpx-aiohttp "
        f"{v.get('httpx-aiohttp', EN)}), openai {v['openai']} (httpx2 {v['httpx2']}), "
        f"pydantic {v['pydantic']}. groq_anyio's `http1_parser` option: "
        f"{env.get('http1_parser', 'not recorded')}.",
        "",
        "### Targets",
        "",
        "Ratios are ours / theirs on the same event loop where they have it: raw aiohttp and "
        "the asyncio.Protocol httptools floor run on asyncio (and uvloop); on trio the httptools "
        "floor is anyio streams on trio, and raw aiohttp is the asyncio one. Per-chunk CPU is "
        "the 10,000-chunk stream with a frame per chunk; calls per chunk too.",
        "",
        "| target | " + " | ".join(LABEL[c] for c in ours) + " | result |",
        "|---|" + "---|" * len(ours) + "---|",
    ]
    for verdict in summary["targets"]:
        cells, results = [], []
        for c in ours:
            r = verdict["results"].get(c)
            if r is None or r["value"] is None:
                cells.append(EN)
                continue
            val = r["value"]
            text = f"{val:.2f}{X}" if verdict["vs"] else _fmt(val, 1)
            if verdict["vs"] and verdict["limit"] < 0.5:
                text = f"{1 / val:.1f}{X} ahead" if val else EN
            cells.append(f"{text} {'PASS' if r['pass'] else 'FAIL'}")
            results.append(bool(r["pass"]))
        n_ok = sum(results)
        result = EN if not results else "PASS" if all(results) else f"{n_ok}/{len(results)} pass"
        lines.append(f"| {verdict['target']} | " + " | ".join(cells) + f" | {result} |")

    lines += render_side_by_side(summary, clients)
    lines += render_compare(summary, clients)

    shown = [c for c in CLIENTS if c in clients]
    lines += [
        "",
        "### End to end, absolute",
        "",
        "| measure | unit | " + " | ".join(LABEL[c] for c in shown) + " |",
        "|---|---|" + "---|" * len(shown),
    ]
    metrics = summary["metrics"]
    for m in METRICS:
        row = metrics[f"{m.scenario}:{m.key}"]
        if not any(row["values"].get(c) for c in shown):
            continue
        cells = [_cell(row["values"].get(c), m.digits) for c in shown]
        lines.append(f"| {m.label} | {m.unit} | " + " | ".join(cells) + " |")

    pairs = []
    for c in ours:
        # the SDKs once, against ours on asyncio; the httpcore floor for asyncio and trio
        wanted = PEERS if c == "groq_anyio-asyncio" else ("aiohttp", "httptools", "floor")
        if c not in ("groq_anyio-asyncio", "groq_anyio-trio"):
            wanted = ("aiohttp", "httptools")
        for p in wanted:
            theirs = peer(p, c, clients)
            if theirs in clients and (c, theirs) not in pairs:
                pairs.append((c, theirs))
    lines += [
        "",
        "### End to end, ratios (ours / theirs; below 1 = groq_anyio costs less)",
        "",
        f"Ratios of the cost measures, computed per repetition, then median (min{EN}max).",
        "",
        "| measure | " + " | ".join(f"{SHORT[a]} / {SHORT[b]}" for a, b in pairs) + " |",
        "|---|" + "---|" * len(pairs),
    ]
    for m in METRICS:
        if not m.lower_is_better:
            continue
        row = metrics[f"{m.scenario}:{m.key}"]
        cells = [_ratio(row["ratios"].get(f"{a}/{b}")) for a, b in pairs]
        if all(c == EN for c in cells):
            continue
        lines.append(f"| {m.label} | " + " | ".join(cells) + " |")

    problems = [
        (m, row["problems"])
        for m in METRICS
        if (row := metrics[f"{m.scenario}:{m.key}"])["problems"]
    ]
    wrong_protocol = summary.get("protocol_problems") or []
    if problems or wrong_protocol:
        lines += ["", "Problems seen:", ""]
        lines += [f"- {p}" for p in wrong_protocol]
        seen = set()
        for m, probs in problems:
            for client, errs in probs.items():
                if (m.scenario, client) in seen:
                    continue  # one line per scenario and client
                seen.add((m.scenario, client))
                lines.append(f"- {m.scenario} / {client}: {'; '.join(errs)[:300]}")

    if micro and "error" not in micro:
        lines += render_micro(micro)
    elif micro:
        lines += ["", f"Micro benchmarks failed: {micro['error'][:300]}"]
    return "\n".join(lines) + "\n"


#: the compact table of issue 9: (metric key, column title, digits, suffix)
SIDE_BY_SIDE = [
    ("plain:cpu_us", "µs/request", 0, ""),
    ("concurrent:cpu_us", "µs/request at 64-way", 0, ""),
    ("framed:cpu_us", "µs/chunk", 1, ""),
    ("stream10k:cpu_us", "µs/chunk, 64 KiB frames", 1, ""),
    ("ttft:ttft_ms", "time to first chunk", 2, " ms"),
    ("calls:calls_per_request", "calls/request", 0, ""),
    ("calls:calls_per_chunk_framed", "calls/chunk", 1, ""),
    ("paced:kib_per_stream", "KiB/open stream", 1, ""),
    ("paced:wall_s", "500 paced, all done", 2, " s"),
]


def render_side_by_side(summary: dict[str, Any], clients: list[str]) -> list[str]:
    """One row per client: the measures the targets are about (medians)."""
    metrics = summary["metrics"]
    lines = [
        "",
        "### Side by side (client CPU, medians; HTTP/1.1 on loopback, same pool size)",
        "",
        "| client | " + " | ".join(title for _, title, _, _ in SIDE_BY_SIDE) + " |",
        "|---|" + "---|" * len(SIDE_BY_SIDE),
    ]
    for c in (c for c in CLIENTS if c in clients):
        cells = []
        for key, _, digits, suffix in SIDE_BY_SIDE:
            st = metrics[key]["values"].get(c)
            cells.append(EN if not st else _fmt(st["median"], digits) + suffix)
        lines.append(f"| {LABEL[c]} | " + " | ".join(cells) + " |")
    return lines


def render_compare(summary: dict[str, Any], clients: list[str]) -> list[str]:
    """HTTP/1.1 (groq_anyio's default parser) vs HTTP/2, both over TLS."""
    compare = summary.get("compare") or {}
    shown = [c for c in COMPARE_CLIENTS if c in compare]
    if not shown:
        return []
    head, rule = "| measure | unit |", "|---|---|"
    for c in shown:
        head += f" {SHORT[c]} HTTP/1.1 | {SHORT[c]} HTTP/2 | HTTP/2 / HTTP/1.1 |"
        rule += "---|---|---|"
    rows = []
    for label, unit, digits, key, h1, h2 in COMPARE_ROWS:
        cells = []
        for c in shown:
            got = compare[c].get(f"{key}:{h1}:{h2}", {})
            cells += [_cell(got.get("h1"), digits), _cell(got.get("h2"), digits)]
            cells.append(_ratio(got.get("ratio")))
        if all(x == EN for x in cells):
            continue
        rows.append(f"| {label} | {unit} | " + " | ".join(cells) + " |")
    if not rows:
        return []
    return [
        "",
        "### HTTP/1.1 vs HTTP/2 over TLS (groq_anyio)",
        "",
        "The same client, server and certificates; HTTP/1.1 with groq_anyio's default "
        "parser (httptools when `http1_parser` exists and httptools imports), HTTP/2 on "
        "httpcore's h2 connection. A ratio below 1 means HTTP/2 costs less. Streamed chunks "
        "each arrive in their own HTTP/1.1 chunk or HTTP/2 DATA frame; the paced ones one "
        "every 50 ms.",
        "",
        head,
        rule,
        *rows,
    ]


#: (operation, label, which groq_anyio variant is "ours" in that row)
MICRO_OPS = [
    ("encode-small", "encode a small chat request", "groq_anyio"),
    ("encode-chat20-tools", "encode a 20-turn chat with tools", "groq_anyio"),
    ("decode-completion", "decode a completion", "groq_anyio"),
    ("decode-chunk", "decode a chunk", "groq_anyio"),
    ("decode-accumulate", "decode + accumulate, per chunk", "groq_anyio"),
    ("sse-net", "SSE scan (`feed`: event objects), 16 KiB pieces, per event", "groq_anyio"),
    ("sse-net", "SSE scan (a chat stream's run path), 16 KiB pieces, per event", "groq_anyio-runs"),
    ("sse-1byte", "SSE scan (`feed`), 1-byte pieces, per event", "groq_anyio"),
    ("sse-1byte", "SSE scan (a chat stream's path), 1-byte pieces, per event", "groq_anyio-runs"),
]


def _dur(s: float) -> str:
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    if s >= 1e-6:
        return f"{s * 1e6:.2f} µs"
    return f"{s * 1e9:.0f} ns"


def _times(r: float) -> str:
    return f"{r:.0f}{X}" if r >= 10 else f"{r:.1f}{X}" if r >= 1 else f"{r:.2f}{X}"


def render_micro(micro: dict[str, Any]) -> list[str]:
    impls = ("groq_anyio", "floor", "groq-sdk", "openai-sdk")
    lines = [
        "",
        "### Micro benchmarks (pyperf, median per operation)",
        "",
        "| operation | groq_anyio | floor | groq SDK | openai SDK | ours / floor | groq SDK / ours "
        "| openai SDK / ours |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for op, label, ours_impl in MICRO_OPS:
        vals = {i: micro.get(f"{op}/{i}") for i in impls}
        vals["groq_anyio"] = micro.get(f"{op}/{ours_impl}")
        if not vals["groq_anyio"]:
            continue
        ours = vals["groq_anyio"]["median"]
        cells = [_dur(vals[i]["median"]) if vals[i] else EN for i in impls]
        floor = vals["floor"]
        cells.append(f"{ours / floor['median']:.2f}" if floor else EN)
        for sdk in ("groq-sdk", "openai-sdk"):
            cells.append(_times(vals[sdk]["median"] / ours) if vals[sdk] else EN)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def render_readme_summary(env: dict[str, Any], summary: dict[str, Any]) -> str:
    m = summary["metrics"]

    def med(key: str, client: str) -> float | None:
        st = m[key]["values"].get(client)
        return st["median"] if st else None

    rows = [
        ("plain request, client CPU", "plain:cpu_us", "µs", 0),
        ("64 concurrent requests, client CPU", "concurrent:cpu_us", "µs/req", 0),
        ("streamed chunk (a frame each), client CPU", "framed:cpu_us", "µs", 1),
        ("time to first chunk", "ttft:ttft_ms", "ms", 2),
        ("500 paced streams (2 s each), all done", "paced:wall_s", "s", 2),
        ("memory per open stream, HTTP/1.1", "paced:kib_per_stream", "KiB", 1),
        ("`import` of the package", "cold:import_ms", "ms", 0),
        ("import + create a client", "cold:import_create_ms", "ms", 0),
    ]
    cols = ("groq_anyio-asyncio", "aiohttp", "httptools-proto", "groq-sdk", "openai-sdk")
    lines = [
        f"Measured {env['date'][:10]} on a shared {env['cores']}-core {env['machine']} VM "
        f"({env['cpu']}), Python {env['python']}, medians of `python bench/run_all.py`; "
        "client and server in separate processes on loopback:",
        "",
        "| | groq_anyio | raw aiohttp + msgspec | httptools floor | groq SDK | openai SDK |",
        "|---|---|---|---|---|---|",
    ]
    for label, key, unit, digits in rows:
        cells = []
        for client in cols:
            v = med(key, client)
            cells.append(EN if v is None else f"{_fmt(v, digits)} {unit}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def replace_section(text: str, heading: str, body: str) -> str:
    """Replace the body under ``heading`` (up to the next heading of the same level)."""
    level = heading.split(" ", 1)[0]
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^{level} |\Z)", re.M | re.S)
    new = f"{heading}\n\n{body.strip()}\n\n"
    if pattern.search(text):
        return pattern.sub(lambda _: new, text, count=1)
    return text.rstrip() + "\n\n" + new


def write_docs(markdown: str, readme_summary: str, log: Any = print) -> None:
    with open(PERF_DOC, encoding="utf-8") as f:
        doc = f.read()
    doc = replace_section(doc, "## Latest results", markdown).rstrip() + "\n"
    with open(PERF_DOC, "w", encoding="utf-8") as f:
        f.write(doc)
    start, end = "<!-- bench-summary:start -->", "<!-- bench-summary:end -->"
    with open(README, encoding="utf-8") as f:
        readme = f.read()
    if start in readme and end in readme:
        head, rest = readme.split(start, 1)
        _, tail = rest.split(end, 1)
        readme = f"{head}{start}\n{readme_summary}\n{end}{tail}"
        with open(README, "w", encoding="utf-8") as f:
            f.write(readme)
    else:
        log("README.md has no bench-summary markers; not updated")
