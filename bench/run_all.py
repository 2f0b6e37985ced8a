"""Run every benchmark and report: micro (pyperf), function calls, cold start, end to end.

    python bench/run_all.py                     # full: --repeat 3, writes docs/ and README
    python bench/run_all.py --quick             # smoke: fewer iterations, one repetition
    python bench/run_all.py --only plain,ttft --clients groq_anyio-asyncio,floor
    nox -s bench -- --repeat 5                  # options pass through nox

End to end, each client runs in its own fresh process against a server in another process
(``_server.py``, one per server scenario and repetition), all on loopback with the same pool
size. Client order rotates between repetitions. Reported: the median over repetitions and the
min-max spread; ratios are computed within each repetition (same machine state) and then
summarised the same way. Results go to ``bench/results/<stamp>.json`` (raw and summary),
``bench/results/latest.md``, the "Latest results" section of ``docs/performance.md`` and the
benchmark summary in ``README.md`` (full runs of the whole suite only, unless --write-docs).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import _procs
from _common import CLIENTS, DEFAULT_CLIENTS, FULL, OURS, QUICK, SCENARIOS, Sizes

X = "\u00d7"  # multiplication sign
EN = "\u2013"  # en dash
ROOT = os.path.dirname(_procs.BENCH)
RESULTS = os.path.join(_procs.BENCH, "results")
PERF_DOC = os.path.join(ROOT, "docs", "performance.md")
README = os.path.join(ROOT, "README.md")
SECTIONS = ("micro", "calls", "cold", *SCENARIOS)
#: what ``import`` costs each family: the package, and the package plus its client class
FAMILY_IMPORT = {
    "groq_anyio": ("import groq_anyio", "from groq_anyio import AsyncGroq"),
    "groq-sdk": ("import groq", "from groq import AsyncGroq"),
    "openai-sdk": ("import openai", "from openai import AsyncOpenAI"),
    "floor": ("import anyio, httpcore, msgspec", "import anyio, httpcore, msgspec"),
}
TIMEOUTS = {"plain": 180, "concurrent": 240, "stream": 240, "ttft": 120, "paced": 240, "first": 60}
PACKAGES = (
    "groq_anyio",
    "httpcore",
    "h11",
    "h2",
    "anyio",
    "sniffio",
    "msgspec",
    "trio",
    "groq",
    "openai",
    "httpx",
    "httpx2",
    "pydantic",
    "pyperf",
)
LABEL = {
    "groq_anyio-asyncio": "groq_anyio (asyncio)",
    "groq_anyio-trio": "groq_anyio (trio)",
    "floor": "floor (asyncio)",
    "floor-trio": "floor (trio)",
    "groq-sdk": "groq SDK",
    "openai-sdk": "openai SDK",
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- environment --------------------------------------------------------------------------------


def environment() -> dict[str, Any]:
    cpu = platform.processor() or "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = "-"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": platform.machine(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
    }


# -- the parts -------------------------------------------------------------------------------------


def run_micro(quick: bool) -> dict[str, Any]:
    """micro.py under pyperf; ``{name: {"median": s, "min": s, "max": s}}`` per event/op."""
    import pyperf

    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "micro.json")
        args = ["micro.py", "--quiet", "-o", out]
        if quick:  # a smoke run: one worker process and one value per benchmark
            args += ["--processes", "1", "--values", "1", "--min-time", "0.02"]
            args += ["--sse-events", "1000", "--sdk-1byte-events", "500"]
        else:
            args.append("--fast")
        code, _, err = _procs.run(args, 900)
        if code is None:
            return {"error": "micro benchmarks timed out"}
        if code != 0:
            return {"error": err[-1000:]}
        suite = pyperf.BenchmarkSuite.load(out)
    res: dict[str, Any] = {}
    for bench in suite.get_benchmarks():
        values = bench.get_values()
        res[bench.get_name()] = {
            "median": bench.median(),
            "min": min(values),
            "max": max(values),
        }
    return res


def run_cold(clients: list[str], repeat: int, sizes: Sizes) -> dict[str, dict[str, list[float]]]:
    """Imports in fresh interpreters: ``{family: {"import_ms": [...], "import_client_ms": [...]}}``.

    One unmeasured import per family first, so that bytecode caches exist."""
    families = list(dict.fromkeys(CLIENTS[c][0] for c in clients))
    out: dict[str, dict[str, list[float]]] = {
        f: {"import_ms": [], "import_client_ms": []} for f in families
    }

    def timed_import(statement: str) -> float | None:
        code = f"import time; t = time.perf_counter(); {statement}; "
        code += "print((time.perf_counter() - t) * 1e3)"
        rc, so, _ = _procs.run(["-c", code], 60)
        try:
            if rc != 0:
                raise ValueError(rc)
            return float(so.strip().splitlines()[-1])
        except (ValueError, IndexError):
            log(f"  cold import failed: {statement}")
            return None

    for family in families:
        timed_import(FAMILY_IMPORT[family][1])
    for rep in range(repeat):
        order = families[rep % len(families) :] + families[: rep % len(families)]
        for _ in range(sizes.cold_runs):
            for family in order:
                for key, statement in zip(
                    ("import_ms", "import_client_ms"), FAMILY_IMPORT[family], strict=True
                ):
                    ms = timed_import(statement)
                    if ms is not None:
                        out[family][key].append(ms)
    return out


def e2e_plan(scenarios: list[str]) -> list[tuple[tuple[str, bool], list[str]]]:
    """Scenarios grouped by the server they need: ``[((server scenario, tls), [names])]``."""
    groups: dict[tuple[str, bool], list[str]] = {}
    for name in scenarios:
        sc = SCENARIOS[name]
        groups.setdefault((sc.server, sc.tls), []).append(name)
    return list(groups.items())


def run_e2e(
    scenarios: list[str], clients: list[str], repeat: int, quick: bool
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """``{scenario: {client: [result of each repetition]}}``."""
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {
        s: {c: [] for c in clients} for s in scenarios
    }
    plan = e2e_plan(scenarios)
    need_tls = any(tls for (_, tls), _ in plan)
    if need_tls and importlib.util.find_spec("trustme") is None:
        log("trustme is not installed: skipping the TLS scenarios (pip install trustme)")
        plan = [(key, names) for key, names in plan if not key[1]]
        need_tls = False
    with _procs.certificates() if need_tls else contextlib.nullcontext("") as certdir:
        for rep in range(repeat):
            order = clients[rep % len(clients) :] + clients[: rep % len(clients)]
            for (server_scenario, tls), names in plan:
                with _procs.server(server_scenario, certdir if tls else None) as url:
                    for name in names:
                        sc = SCENARIOS[name]
                        for client in order:
                            args = ["--client", client, "--kind", sc.kind, "--url", url]
                            args += ["--label", name]
                            if sc.http2:
                                args.append("--http2")
                            if tls:
                                args += ["--cafile", os.path.join(certdir, "ca.pem")]
                            if quick:
                                args.append("--quick")
                            t0 = time.monotonic()
                            res = _procs.run_client(args, TIMEOUTS[sc.kind])
                            took = time.monotonic() - t0
                            res["process_s"] = took
                            raw[name][client].append(res)
                            brief = res.get("error") or _brief(sc.kind, res)
                            head = f"  [{rep + 1}/{repeat}] {name:<15}{client:<20}"
                            log(f"{head}{took:6.1f} s  {brief}")
    return raw


def _brief(kind: str, r: dict[str, Any]) -> str:
    if kind in ("plain", "concurrent"):
        return f"{r['cpu_us']:.0f} µs/req, {r['rps']:.0f} req/s"
    if kind == "stream":
        return f"{r['cpu_us']:.2f} µs/chunk, {r['cps']:.0f} chunks/s"
    if kind == "ttft":
        return f"ttft {r['ttft_ms']:.2f} ms"
    if kind == "paced":
        return (
            f"{r['ok']}/{r['streams']} done in {r['wall_s']:.2f} s, "
            f"open {r['all_open_s'] or 0:.2f} s, {r['kib_per_stream']:.1f} KiB/stream"
        )
    if kind == "first":
        return f"{r['first_ms']:.0f} ms"
    return ""


# -- summarising ----------------------------------------------------------------------------------


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
    Metric("stream10k", "cpu_us", "3. 10k-chunk stream, client CPU", "µs/chunk", 2),
    Metric("stream10k", "cps", "3. 10k-chunk stream", "chunks/s", lower_is_better=False),
    Metric("ttft", "ttft_ms", "4. time to first chunk (median)", "ms", 2),
    Metric("paced", "wall_s", "5. 500 paced streams, all done", "s", 2),
    Metric("paced", "all_open_s", "5. 500 paced streams, all open", "s", 2),
    Metric("paced", "kib_per_stream", "5. 500 paced streams, memory", "KiB/stream", 1),
    Metric("concurrent-h2", "cpu_us", "6. 64 concurrent, HTTP/2, CPU", "µs/req"),
    Metric("concurrent-h2", "rps", "6. 64 concurrent, HTTP/2", "req/s", lower_is_better=False),
    Metric("paced-h2", "wall_s", "6. 500 paced, HTTP/2, all done", "s", 2),
    Metric("paced-h2", "kib_per_stream", "6. 500 paced, HTTP/2, memory", "KiB/stream", 1),
    Metric("concurrent-tls", "cpu_us", "6. 64 concurrent, TLS, CPU", "µs/req"),
    Metric("concurrent-tls", "rps", "6. 64 concurrent, TLS", "req/s", lower_is_better=False),
    Metric("paced-tls", "wall_s", "6. 500 paced, TLS, all done", "s", 2),
    Metric("paced-tls", "kib_per_stream", "6. 500 paced, TLS, memory", "KiB/stream", 1),
    Metric("cold", "import_ms", "7. `import <package>`, fresh interpreter", "ms"),
    Metric("cold", "import_client_ms", "7. `from <package> import <client class>`", "ms"),
    Metric("first", "first_ms", "7. process start to first completion", "ms"),
    Metric("calls", "calls_per_request", "Python calls per plain request", "calls"),
    Metric("calls", "calls_per_chunk_burst", "Python calls per chunk (burst)", "calls", 1),
    Metric("calls", "calls_per_chunk_trickle", "Python calls per chunk (trickle)", "calls", 1),
]


@dataclass(frozen=True)
class Target:
    label: str
    scenario: str
    key: str
    limit: float
    vs: str | None = None  # compare ours/vs <= limit; None: absolute value <= limit


TARGETS: list[Target] = [
    Target(f"plain request CPU ≤ 1.15{X} floor", "plain", "cpu_us", 1.15, "floor"),
    Target(f"plain request CPU ≥ 3{X} ahead of groq SDK", "plain", "cpu_us", 1 / 3, "groq-sdk"),
    Target(f"64-way CPU ≤ 1.15{X} floor", "concurrent", "cpu_us", 1.15, "floor"),
    Target(f"64-way CPU ≥ 6{X} ahead of groq SDK", "concurrent", "cpu_us", 1 / 6, "groq-sdk"),
    Target(f"per-chunk CPU ≤ 1.15{X} floor", "stream10k", "cpu_us", 1.15, "floor"),
    Target(f"per-chunk CPU ≥ 8{X} ahead of groq SDK", "stream10k", "cpu_us", 1 / 8, "groq-sdk"),
    Target(f"time to first chunk ≤ 1.15{X} floor", "ttft", "ttft_ms", 1.15, "floor"),
    Target("500 paced streams done ≤ 2.5 s", "paced", "wall_s", 2.5),
    Target("500 paced streams all open ≤ 0.5 s", "paced", "all_open_s", 0.5),
    Target("≤ 33 KiB per open stream, HTTP/1.1", "paced", "kib_per_stream", 33),
    Target("≤ 20 KiB per open stream, HTTP/2", "paced-h2", "kib_per_stream", 20),
    Target(f"64-way HTTP/2 CPU ≤ 1.15{X} floor", "concurrent-h2", "cpu_us", 1.15, "floor"),
    Target(f"64-way TLS CPU ≤ 1.15{X} floor", "concurrent-tls", "cpu_us", 1.15, "floor"),
    Target("≤ 1,100 Python calls per plain request", "calls", "calls_per_request", 1100),
    Target("≤ 50 Python calls per chunk", "calls", "calls_per_chunk_burst", 50),
    Target("import groq_anyio < 50 ms", "cold", "import_ms", 50),
]


def _stats(values: list[float]) -> dict[str, float] | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def floor_for(client: str, clients: list[str]) -> str:
    return "floor-trio" if client.endswith("-trio") and "floor-trio" in clients else "floor"


def summarise(
    raw: dict[str, dict[str, list[dict[str, Any]]]],
    cold: dict[str, Any],
    calls: dict[str, dict[str, Any]],
    clients: list[str],
) -> dict[str, Any]:
    """Medians and spreads per metric and client, ratios per repetition, target verdicts."""

    def values(m: Metric, client: str) -> list[float]:
        if m.scenario == "cold":
            if client == "floor-trio" or client == "groq_anyio-trio":
                return []
            got = cold.get(CLIENTS[client][0], {})
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
        out = []
        a_runs = raw.get(m.scenario, {}).get(ours, [])
        b_runs = raw.get(m.scenario, {}).get(theirs, [])
        for a, b in zip(a_runs, b_runs, strict=False):
            va, vb = a.get(m.key), b.get(m.key)
            if "error" in a or "error" in b or va is None or not vb:
                continue
            out.append(va / vb)
        return out

    table: dict[str, Any] = {}
    for m in METRICS:
        row: dict[str, Any] = {"label": m.label, "unit": m.unit, "values": {}, "ratios": {}}
        for client in clients:
            row["values"][client] = _stats(values(m, client))
        for ours in (c for c in OURS if c in clients):
            for theirs in (floor_for(ours, clients), "groq-sdk", "openai-sdk"):
                if theirs in clients:
                    row["ratios"][f"{ours}/{theirs}"] = _stats(paired_ratios(m, ours, theirs))
        failures = {}
        for client in clients:
            runs = raw.get(m.scenario, {}).get(client, [])
            errs = [r["error"] for r in runs if "error" in r]
            bad = [r for r in runs if r.get("failures")]
            if errs or bad:
                failures[client] = errs[:2] + [str(r.get("failure_sample")) for r in bad[:1]]
        row["problems"] = failures
        table[f"{m.scenario}:{m.key}"] = row

    verdicts = []
    for t in TARGETS:
        row = table.get(f"{t.scenario}:{t.key}")
        per_client: dict[str, Any] = {}
        for ours in (c for c in OURS if c in clients):
            if row is None:
                continue
            if t.vs is None:
                st = row["values"].get(ours)
                value = st["median"] if st else None
            else:
                theirs = floor_for(ours, clients) if t.vs == "floor" else t.vs
                st = row["ratios"].get(f"{ours}/{theirs}")
                value = st["median"] if st else None
            if t.key == "import_ms" and ours != OURS[0]:
                continue  # one import figure for the library
            ok = None if value is None else value <= t.limit
            if t.scenario.startswith("paced") and value is not None:
                runs = raw.get(t.scenario, {}).get(ours, [])
                if any(r.get("failures") or "error" in r for r in runs):
                    ok = False
            per_client[ours] = {"value": value, "pass": ok}
        verdicts.append({"target": t.label, "limit": t.limit, "vs": t.vs, "results": per_client})
    return {"metrics": table, "targets": verdicts}


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
    args: argparse.Namespace,
) -> str:
    v = env["versions"]
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
        f"trio {v['trio']}; groq {v['groq']} (httpx {v['httpx']}), openai {v['openai']} "
        f"(httpx2 {v['httpx2']}), pydantic {v['pydantic']}.",
        "",
        "### Targets",
        "",
        "| target | groq_anyio (asyncio) | groq_anyio (trio) | result |",
        "|---|---|---|---|",
    ]
    for verdict in summary["targets"]:
        cells = []
        results = []
        for ours in OURS:
            r = verdict["results"].get(ours)
            if r is None or r["value"] is None:
                cells.append(EN)
                continue
            val = r["value"]
            text = f"{val:.2f}{X}" if verdict["vs"] else _fmt(val, 1)
            if verdict["vs"] and verdict["limit"] < 1:
                text = f"{1 / val:.1f}{X} ahead" if val else EN
            cells.append(text)
            results.append("PASS" if r["pass"] else "FAIL")
        result = " / ".join(results) if results else EN
        lines.append(f"| {verdict['target']} | {cells[0]} | {cells[1]} | {result} |")

    shown = [
        c
        for c in (
            "groq_anyio-asyncio",
            "groq_anyio-trio",
            "floor",
            "floor-trio",
            "groq-sdk",
            "openai-sdk",
        )
        if c in clients
    ]
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

    ratio_cols = [
        ("groq_anyio-asyncio", "floor", "asyncio / floor"),
        ("groq_anyio-trio", "floor-trio" if "floor-trio" in clients else "floor", "trio / floor"),
        ("groq_anyio-asyncio", "groq-sdk", "asyncio / groq SDK"),
        ("groq_anyio-asyncio", "openai-sdk", "asyncio / openai SDK"),
        ("groq_anyio-trio", "groq-sdk", "trio / groq SDK"),
    ]
    ratio_cols = [rc for rc in ratio_cols if rc[0] in clients and rc[1] in clients]
    lines += [
        "",
        "### End to end, ratios (ours / theirs; below 1 = groq_anyio costs less)",
        "",
        f"Ratios of the cost measures, computed per repetition, then median (min{EN}max).",
        "",
        "| measure | " + " | ".join(rc[2] for rc in ratio_cols) + " |",
        "|---|" + "---|" * len(ratio_cols),
    ]
    for m in METRICS:
        if not m.lower_is_better:
            continue
        row = metrics[f"{m.scenario}:{m.key}"]
        cells = [_ratio(row["ratios"].get(f"{a}/{b}")) for a, b, _ in ratio_cols]
        if all(c == EN for c in cells):
            continue
        lines.append(f"| {m.label} | " + " | ".join(cells) + " |")

    problems = {
        m.label: row["problems"]
        for m in METRICS
        if (row := metrics[f"{m.scenario}:{m.key}"])["problems"]
    }
    if problems:
        lines += ["", "Problems seen:", ""]
        seen = set()
        for label, probs in problems.items():
            for client, errs in probs.items():
                key = (label.split(",")[0], client)
                if key in seen:
                    continue
                seen.add(key)
                lines.append(f"- {label} / {client}: {'; '.join(errs)[:300]}")

    if micro and "error" not in micro:
        lines += render_micro(micro)
    elif micro:
        lines += ["", f"Micro benchmarks failed: {micro['error'][:300]}"]
    return "\n".join(lines) + "\n"


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
        ("streamed chunk, client CPU", "stream10k:cpu_us", "µs", 1),
        ("time to first chunk", "ttft:ttft_ms", "ms", 2),
        ("500 paced streams (2 s each), all done", "paced:wall_s", "s", 2),
        ("memory per open stream, HTTP/1.1", "paced:kib_per_stream", "KiB", 1),
        ("`import groq_anyio` / `import groq` / `import openai`", "cold:import_ms", "ms", 0),
        ("import of the client class", "cold:import_client_ms", "ms", 0),
    ]
    lines = [
        f"Measured {env['date'][:10]} on a shared {env['cores']}-core {env['machine']} VM "
        f"({env['cpu']}), Python {env['python']}, medians of `python bench/run_all.py`; "
        "client and server in separate processes on loopback:",
        "",
        "| | groq_anyio | bare floor | groq SDK | openai SDK |",
        "|---|---|---|---|---|",
    ]
    for label, key, unit, digits in rows:
        cells = []
        for client in ("groq_anyio-asyncio", "floor", "groq-sdk", "openai-sdk"):
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


def write_docs(markdown: str, readme_summary: str) -> None:
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


# -- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--repeat", type=int, default=None, help="repetitions (default 3; --quick: 1)")
    p.add_argument("--quick", action="store_true", help="fewer iterations, for a smoke run")
    p.add_argument(
        "--only",
        default="",
        help="comma-separated parts: micro, calls, cold, " + ", ".join(SCENARIOS),
    )
    p.add_argument("--skip", default="", help="comma-separated parts to leave out")
    p.add_argument("--clients", default=",".join(DEFAULT_CLIENTS), help="comma-separated")
    p.add_argument("--out", help="JSON results path (default bench/results/<stamp>.json)")
    p.add_argument(
        "--render",
        metavar="JSON",
        help="do not run anything: summarise saved results again (with --write-docs: publish)",
    )
    docs = p.add_mutually_exclusive_group()
    docs.add_argument("--write-docs", action="store_true", default=None)
    docs.add_argument("--no-write-docs", dest="write_docs", action="store_false")
    args = p.parse_args(argv)
    args.argv = argv
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    for name in [*filter(None, args.only.split(",")), *filter(None, args.skip.split(","))]:
        if name not in SECTIONS:
            p.error(f"unknown part {name!r}; choose from {', '.join(SECTIONS)}")
    for c in args.clients.split(","):
        if c not in CLIENTS:
            p.error(f"unknown client {c!r}; choose from {', '.join(CLIENTS)}")
    return args


def render_saved(path: str, write: bool) -> int:
    """Re-summarise and print (and with ``write``, publish) the results saved in ``path``."""
    with open(path, encoding="utf-8") as f:
        saved = json.load(f)
    ns = argparse.Namespace(**saved["args"])
    clients = ns.clients.split(",")
    summary = summarise(saved["raw"], saved["cold"], saved["calls"], clients)
    markdown = render_markdown(saved["env"], summary, saved["micro"], clients, ns)
    print(markdown)
    if write:
        publish(markdown, render_readme_summary(saved["env"], summary))
    return 0


def publish(markdown: str, readme_summary: str) -> None:
    with open(os.path.join(RESULTS, "latest.md"), "w", encoding="utf-8") as f:
        f.write("# Latest benchmark results\n\n" + markdown)
    write_docs(markdown, readme_summary)
    log("wrote docs/performance.md, README.md and bench/results/latest.md")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.render:
        return render_saved(args.render, bool(args.write_docs))
    _procs.install_signal_handlers()
    sizes = QUICK if args.quick else FULL
    clients = args.clients.split(",")
    parts = [s for s in args.only.split(",") if s] or list(SECTIONS)
    parts = [p for p in parts if p not in args.skip.split(",")]
    whole = not args.only and not args.skip and clients == list(DEFAULT_CLIENTS)
    write = args.write_docs if args.write_docs is not None else (whole and not args.quick)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_path = args.out or os.path.join(RESULTS, f"{stamp}{'-quick' if args.quick else ''}.json")
    env = environment()
    started = time.monotonic()
    micro: dict[str, Any] = {}
    calls: dict[str, dict[str, Any]] = {}
    cold: dict[str, dict[str, list[float]]] = {}
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {}
    steps: list[tuple[str, Callable[[], None]]] = []

    def do_micro() -> None:
        micro.update(run_micro(args.quick))

    def do_calls() -> None:
        from calls import measure

        calls.update(measure(clients, args.quick))

    def do_cold() -> None:
        cold.update(run_cold(clients, args.repeat, sizes))

    def do_e2e() -> None:
        raw.update(run_e2e([s for s in SCENARIOS if s in parts], clients, args.repeat, args.quick))

    if "micro" in parts:
        steps.append(("micro benchmarks (pyperf)", do_micro))
    if "calls" in parts:
        steps.append(("function calls", do_calls))
    if "cold" in parts:
        steps.append(("cold imports", do_cold))
    if any(s in parts for s in SCENARIOS):
        steps.append(("end to end", do_e2e))
    try:
        for title, step in steps:
            log(f"== {title} ({time.monotonic() - started:.0f} s)")
            step()
    except KeyboardInterrupt:
        log("interrupted: stopping every child process")
        return 130
    finally:
        _procs.kill_all()

    summary = summarise(raw, cold, calls, clients)
    markdown = render_markdown(env, summary, micro, clients, args)
    elapsed = time.monotonic() - started
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(
            {
                "env": env,
                "args": vars(args),
                "elapsed_s": elapsed,
                "summary": summary,
                "micro": micro,
                "calls": calls,
                "cold": cold,
                "raw": raw,
            },
            f,
            indent=1,
            default=str,
        )
    print(markdown)
    log(f"results: {out_path} ({elapsed:.0f} s)")
    if write:
        publish(markdown, render_readme_summary(env, summary))
    errors = [
        f"{s}/{c}"
        for s, by_client in raw.items()
        for c, runs in by_client.items()
        if c in (*OURS, "floor") and any("error" in r for r in runs)
    ]
    if errors:
        log("errors in: " + ", ".join(errors))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
