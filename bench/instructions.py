"""Instructions per request and per chunk, counted by valgrind (callgrind): a noise-free verdict.

    python bench/instructions.py                       # ours, the floors, raw aiohttp
    python bench/instructions.py --only stream10k --clients groq_anyio-trio,floor-trio
    python bench/instructions.py --clients groq_anyio-asyncio,floor,groq-sdk

Timing CPU on a shared two-core machine moves by 10-20 % between runs, which is more than the
1.15x margin the targets leave. Instructions executed do not move: valgrind counts every
instruction of the client process, whatever else the machine is doing. So each client
(``_client.py``, the same code the timed benchmarks run) runs twice under
``valgrind --tool=callgrind`` against a server in another process (not counted): once with a
small measured loop and once with a bigger one (each ``--samples`` times; medians). Start-up,
imports and warm-up are the same in both runs, so the difference divided by the extra requests
(or chunks) is the cost of one more request (or chunk), and nothing else. ``PYTHONHASHSEED`` is
fixed so that both runs execute the same code paths, and the objects that exist before the
measured loop are frozen (``gc.freeze``), so that a full garbage collection over them cannot
land in one run and not in the other.

One thing still depends on the machine: how the bytes arrive. A client that finds 64 KiB
waiting per read does less work per chunk than one that wakes for every few hundred bytes, and
a server starved of CPU by other processes delivers in smaller pieces. Run it on an otherwise
idle machine; runs of the same size that disagree by more than 5 % are reported as unsteady.

Instructions are not seconds (cache misses and branch mispredictions are not in them), so the
timed benchmarks stay the reference; this is the tie-breaker for the ratios that matter.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import statistics
import time
from dataclasses import dataclass
from typing import Any

import _procs
from _common import CLIENTS, CONCURRENCY, OURS, SCENARIOS, STREAM_CHUNKS, applicable
from _report import PERF_DOC, peer, replace_section
from run_all import environment, log

VALGRIND = ("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null")
_COLLECTED = re.compile(r"==\d+== Collected : (\d+)")
DEFAULT_CLIENTS = (
    "groq_anyio-asyncio",
    "groq_anyio-trio",
    "aiohttp",
    "httptools-proto",
    "httptools-anyio-trio",
    "floor",
    "floor-trio",
)
#: the comparators of the ratio columns (``_report.peer``: the same loop where they have it)
RATIO_TO = (("httpcore floor", "floor"), ("raw aiohttp", "aiohttp"), ("httptools", "httptools"))


@dataclass(frozen=True)
class Plan:
    """Two loop sizes for one scenario, and how many units (requests, chunks) one step adds."""

    small: int
    big: int
    units_per_step: int
    unit: str


PLANS: dict[str, Plan] = {
    "plain": Plan(20, 100, 1, "request"),
    "concurrent": Plan(1, 3, CONCURRENCY, "request"),
    "stream10k": Plan(1, 2, STREAM_CHUNKS, "chunk"),
    "framed": Plan(1, 2, STREAM_CHUNKS, "chunk"),
    "concurrent-h2": Plan(1, 3, CONCURRENCY, "request"),
    "concurrent-tls": Plan(1, 3, CONCURRENCY, "request"),
}


def count(args: list[str], timeout: float) -> int:
    """Instructions executed by ``python _client.py args`` under callgrind."""
    code, out, err = _procs.run(["_client.py", *args], timeout, wrapper=VALGRIND)
    found = _COLLECTED.findall(err)
    if code != 0 or "RESULT " not in out or not found:
        tail = " | ".join(err.strip().splitlines()[-3:])[-600:]
        raise RuntimeError(f"client failed (exit {code}): {tail}")
    return int(found[-1])


def measure(
    scenarios: list[str], clients: list[str], timeout: float, samples: int
) -> dict[str, Any]:
    """``{scenario: {client: instructions per unit}}`` (a string where a run failed)."""
    results: dict[str, Any] = {}
    need_tls = any(SCENARIOS[s].tls for s in scenarios)
    with _procs.certificates() if need_tls else contextlib.nullcontext("") as certdir:
        for name in scenarios:
            sc, plan = SCENARIOS[name], PLANS[name]
            results[name] = {}
            with _procs.server(sc.server, certdir if sc.tls else None) as url:
                for client in clients:
                    if not applicable(name, client):
                        continue
                    args = ["--client", client, "--kind", sc.kind, "--url", url, "--quick"]
                    if sc.http2:
                        args.append("--http2")
                    if sc.tls:
                        args += ["--cafile", os.path.join(certdir, "ca.pem")]
                    t0 = time.monotonic()
                    try:
                        small = [count([*args, "--units", str(plan.small)], timeout)]
                        big = [count([*args, "--units", str(plan.big)], timeout)]
                        for _ in range(samples - 1):
                            small.append(count([*args, "--units", str(plan.small)], timeout))
                            big.append(count([*args, "--units", str(plan.big)], timeout))
                    except RuntimeError as exc:
                        results[name][client] = str(exc)
                        log(f"  {name:<15}{client:<20} FAILED {exc}")
                        continue
                    units = (plan.big - plan.small) * plan.units_per_step
                    per = (statistics.median(big) - statistics.median(small)) / units
                    spread = (max(big) - min(big) + max(small) - min(small)) / units
                    if per <= 0 or spread > 0.05 * per:
                        log(
                            f"  {name:<15}{client:<20} unsteady: runs differ by {spread:,.0f} "
                            f"instructions/{plan.unit} (is something else loading the machine?)"
                        )
                    results[name][client] = per
                    took = time.monotonic() - t0
                    log(
                        f"  {name:<15}{client:<20}{per:14,.0f} instructions/{plan.unit}"
                        f"  ({took:.0f} s)"
                    )
    return results


def render(results: dict[str, Any], clients: list[str]) -> list[str]:
    """A markdown table: instructions per unit, and groq_anyio's over each comparator's."""
    lines = [
        "| scenario | client | instructions per unit | "
        + " | ".join(f"ratio to {title}" for title, _ in RATIO_TO)
        + " |",
        "|---|---|---:|" + "---:|" * len(RATIO_TO),
    ]
    for name, by_client in results.items():
        unit = PLANS[name].unit
        for client in clients:
            if client not in by_client:
                continue  # not applicable (HTTP/2 for an HTTP/1.1-only client)
            value = by_client[client]
            if not isinstance(value, float):
                lines.append(f"| {name} | {client} | failed |" + " |" * len(RATIO_TO))
                continue
            ratios = []
            for _, vs in RATIO_TO:
                other = by_client.get(peer(vs, client, clients))
                ok = client in OURS and isinstance(other, float) and other > 0
                ratios.append(f"{value / other:.2f}\u00d7" if ok else "")
            cells = " | ".join(ratios)
            lines.append(f"| {name} | {client} | {value:,.0f} per {unit} | {cells} |")
    return lines


DOC_HEADING = "## Instruction counts (callgrind)"


def render_section(results: dict[str, Any], clients: list[str], samples: int) -> str:
    """The docs section: when, where, how, and the table."""
    import subprocess

    env = environment()
    valgrind = subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout
    v = env["versions"]
    lines = [
        f"Run on {env['date']}: {env['cpu']}, {env['cores']} cores, Python {env['python']}, "
        f"{valgrind.strip()}; groq_anyio {v.get('groq_anyio')}, httpcore {v.get('httpcore')}, "
        f"anyio {v.get('anyio')}, msgspec {v.get('msgspec')}. "
        f"`python bench/instructions.py --samples {samples} --write-docs` (see its docstring): "
        "instructions the client process executes per extra request or chunk, the "
        "difference between a small and a bigger run of the same loop under callgrind, "
        "median of the samples. Ratios are groq_anyio's over each comparator's on the same "
        "event loop where it has one (raw aiohttp runs on asyncio only).",
        "",
        *render(results, clients),
    ]
    return "\n".join(lines)


def write_docs(section: str) -> None:
    with open(PERF_DOC, encoding="utf-8") as f:
        doc = f.read()
    doc = replace_section(doc, DOC_HEADING, section).rstrip() + "\n"
    with open(PERF_DOC, "w", encoding="utf-8") as f:
        f.write(doc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help=f"comma-separated scenarios of {', '.join(PLANS)}")
    parser.add_argument("--clients", help=f"comma-separated, default {','.join(DEFAULT_CLIENTS)}")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per client run")
    parser.add_argument(
        "--samples", type=int, default=2, help="runs of each loop size (the median is taken)"
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help=f"also write the table into docs/performance.md ({DOC_HEADING!r})",
    )
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        log("valgrind is not installed (apt-get install valgrind): nothing measured")
        return 2
    scenarios = args.only.split(",") if args.only else list(PLANS)
    clients = args.clients.split(",") if args.clients else list(DEFAULT_CLIENTS)
    for s in scenarios:
        if s not in PLANS:
            parser.error(f"unknown scenario {s!r}")
    for c in clients:
        if c not in CLIENTS:
            parser.error(f"unknown client {c!r}")
    os.environ["PYTHONHASHSEED"] = "0"  # both runs of a pair take the same paths
    _procs.install_signal_handlers()
    try:
        results = measure(scenarios, clients, args.timeout, args.samples)
    finally:
        _procs.kill_all()
    section = render_section(results, clients, args.samples)
    print(section)
    os.makedirs(os.path.join(_procs.BENCH, "results"), exist_ok=True)
    with open(os.path.join(_procs.BENCH, "results", "instructions-latest.md"), "w") as f:
        f.write(section + "\n")
    if args.write_docs:
        write_docs(section)
    bad = [
        (s, c)
        for s, by in results.items()
        for c in clients
        if c in OURS
        and isinstance(by.get(c), float)
        and isinstance(by.get(peer("httptools", c, clients)), float)
        and by[c] / by[peer("httptools", c, clients)] > 1.3
    ]
    if bad:
        log("over 1.3x the httptools floor: " + ", ".join(f"{s}/{c}" for s, c in bad))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
