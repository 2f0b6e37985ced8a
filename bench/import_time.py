"""Cold start: importing a client library and creating a client, in fresh interpreters.

    python bench/import_time.py [-n 20] [--json]

Each case runs ``-n`` times as ``python -c <statement>`` in a fresh interpreter (bytecode
caches warm: one unmeasured run first). Reported per case: the minimum wall time of the whole
process (the minimum is what the machine can do; load from other processes only adds), the
median, the same minimum less that of an empty interpreter (``python -c pass``), and the modules
the statement imported. Issue 9's target: ``import groq_anyio`` + creating a client <= 100 ms.

Side by side: the official ``groq`` SDK (``AsyncGroq()``, on httpx) and aiohttp
(``ClientSession()``, which wants a running loop, so its case includes ``asyncio.run``), and
our client with an https base URL, a plain http one, and HTTP/2 on (which imports httpcore
and h2 when the client is created rather than on its first request).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

#: name -> statement (None: that library is not installed)
CASES: dict[str, str] = {
    "empty interpreter": "pass",
    "groq_anyio: AsyncGroq()": "import groq_anyio; groq_anyio.AsyncGroq(api_key='gsk_x')",
    "groq_anyio: AsyncGroq(https URL)": (
        "import groq_anyio; "
        "groq_anyio.AsyncGroq(api_key='gsk_x', base_url='https://api.example.com/openai/v1')"
    ),
    "groq_anyio: AsyncGroq(http loopback)": (
        "import groq_anyio; groq_anyio.AsyncGroq(api_key='gsk_x', base_url='http://127.0.0.1:1')"
    ),
    "groq_anyio: AsyncGroq(http2=True)": (
        "import groq_anyio; groq_anyio.AsyncGroq(api_key='gsk_x', http2=True)"
    ),
    "groq SDK: AsyncGroq()": "import groq; groq.AsyncGroq(api_key='gsk_x')",
    "aiohttp: ClientSession()": (
        "import asyncio, aiohttp\n"
        "async def main():\n"
        "    async with aiohttp.ClientSession():\n"
        "        pass\n"
        "asyncio.run(main())"
    ),
}
_COUNT = "import sys\nbefore = len(sys.modules)\n{}\nprint(len(sys.modules) - before)"


def measure(statement: str, runs: int) -> dict[str, float | int]:
    """Wall times (ms) of ``runs`` fresh interpreters running ``statement``, and the modules it
    imports (one more run)."""
    cmd = [sys.executable, "-c", statement]
    subprocess.run(cmd, check=True, capture_output=True)  # (bytecode caches)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1e3)
    counted = subprocess.run(
        [sys.executable, "-c", _COUNT.format(statement)], check=True, capture_output=True, text=True
    )
    return {
        "min_ms": min(times),
        "median_ms": statistics.median(times),
        "modules": int(counted.stdout.split()[-1]),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20, help="runs per case (default 20)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, float | int]] = {}
    for name, statement in CASES.items():
        try:
            results[name] = measure(statement, args.n)
        except subprocess.CalledProcessError as exc:
            print(f"{name}: failed ({exc.stderr.decode(errors='replace').strip()[-200:]})")
    base = results.get("empty interpreter", {}).get("min_ms", 0.0)
    for result in results.values():
        result["min_over_empty_ms"] = result["min_ms"] - base
    if args.json:
        print(json.dumps({"runs": args.n, "results": results}, indent=2))
        return
    print(f"min of {args.n} fresh interpreters (wall time of the whole process)\n")
    print(f"{'case':40s} {'min ms':>8s} {'median':>8s} {'- empty':>8s} {'modules':>8s}")
    for name, r in results.items():
        print(
            f"{name:40s} {r['min_ms']:8.1f} {r['median_ms']:8.1f} "
            f"{r['min_over_empty_ms']:8.1f} {r['modules']:8d}"
        )


if __name__ == "__main__":
    main()
