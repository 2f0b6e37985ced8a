"""Run every benchmark and report: micro (pyperf), function calls, cold start, end to end.

    python bench/run_all.py                     # full: --repeat 3, writes docs/ and README
    python bench/run_all.py --quick             # smoke: fewer iterations, one repetition
    python bench/run_all.py --only plain,ttft --clients groq_anyio-asyncio,aiohttp
    python bench/run_all.py --only framed,calls --clients groq_anyio-asyncio,httptools-proto
    nox -s bench -- --repeat 5                  # options pass through nox

Clients (``_common.CLIENTS``): groq_anyio on asyncio, trio and uvloop (its default HTTP/1.1
parser) and on asyncio and trio with ``http1_parser="h11"``; raw aiohttp + msgspec (asyncio,
uvloop); the httptools floors (asyncio.Protocol on asyncio and uvloop, anyio streams on asyncio
and trio); the httpcore floor (asyncio, trio); the groq SDK on httpx and on aiohttp; the openai
SDK. A client runs only the scenarios it can (no HTTP/2 for aiohttp and the httptools floors);
the ``*-tls`` comparison scenarios (HTTP/1.1 vs HTTP/2 over TLS) run only groq_anyio.

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
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import _procs
from _common import CLIENTS, DEFAULT_CLIENTS, FULL, OURS, QUICK, SCENARIOS, Sizes, applicable
from _report import render_markdown, render_readme_summary, summarise, write_docs

RESULTS = os.path.join(_procs.BENCH, "results")
SECTIONS = ("micro", "calls", "cold", *SCENARIOS)
#: what ``import`` costs each family: the package, the package plus its client class, and that
#: plus creating a client (None: it needs a running event loop, not measured)
FAMILY_IMPORT: dict[str, tuple[str, str, str | None]] = {
    "groq_anyio": (
        "import groq_anyio",
        "from groq_anyio import AsyncGroq",
        "from groq_anyio import AsyncGroq; AsyncGroq(api_key='gsk_x')",
    ),
    "aiohttp": ("import aiohttp, msgspec", "import aiohttp, msgspec", None),
    "httptools-proto": (
        "import asyncio, httptools, msgspec",
        "import asyncio, httptools, msgspec",
        None,
    ),
    "httptools-anyio": (
        "import anyio, httptools, msgspec",
        "import anyio, httptools, msgspec",
        None,
    ),
    "floor": ("import anyio, httpcore, msgspec", "import anyio, httpcore, msgspec", None),
    "groq-sdk": (
        "import groq",
        "from groq import AsyncGroq",
        "from groq import AsyncGroq; AsyncGroq(api_key='gsk_x')",
    ),
    "groq-sdk-aiohttp": (
        "import groq, httpx_aiohttp",
        "from groq import AsyncGroq, DefaultAioHttpClient",
        "from groq import AsyncGroq, DefaultAioHttpClient; "
        "AsyncGroq(api_key='gsk_x', http_client=DefaultAioHttpClient())",
    ),
    "openai-sdk": (
        "import openai",
        "from openai import AsyncOpenAI",
        "from openai import AsyncOpenAI; AsyncOpenAI(api_key='sk_x')",
    ),
}
COLD_KEYS = ("import_ms", "import_client_ms", "import_create_ms")
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
    "httptools",
    "uvloop",
    "aiohttp",
    "groq",
    "openai",
    "httpx",
    "httpx-aiohttp",
    "httpx2",
    "pydantic",
    "pyperf",
)


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
    try:
        import inspect

        from groq_anyio import AsyncGroq

        has_parser = "http1_parser" in inspect.signature(AsyncGroq).parameters
        parser_option = "yes" if has_parser else "not yet (h11 is its only parser)"
    except ImportError:
        parser_option = "?"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "http1_parser": parser_option,
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
    """Imports in fresh interpreters: ``{family: {"import_ms": [...], "import_client_ms": [...],
    "import_create_ms": [...]}}``.

    One unmeasured import per family first, so that bytecode caches exist."""
    families = list(dict.fromkeys(CLIENTS[c].family for c in clients))
    out: dict[str, dict[str, list[float]]] = {f: {k: [] for k in COLD_KEYS} for f in families}

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
                for key, statement in zip(COLD_KEYS, FAMILY_IMPORT[family], strict=True):
                    if statement is None:
                        continue
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
                            if not applicable(name, client):
                                continue
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
    write_docs(markdown, readme_summary, log)
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
