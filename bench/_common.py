"""What the benchmark processes share: scenarios, sizes, the request sent, process hygiene.

Every benchmark process (server, client, micro) imports this module; it imports nothing heavy.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

MODEL: Final = "llama-3.3-70b-versatile"
MESSAGES: Final[list[dict[str, str]]] = [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "Say hello to the benchmark."},
]
TEMPERATURE: Final = 0.2
API_KEY: Final = "gsk_bench_not_a_real_key"
#: requests with this header get a short reply (200 chunks) whatever the server scenario
WARMUP_HEADER: Final = "x-bench-warmup"

#: every client gets the same connection pool size (the 500 paced streams need 500 HTTP/1.1
#: connections), so that library overhead is what differs
POOL_SIZE: Final = 512
CONCURRENCY: Final = 64
PACED_STREAMS: Final = 500
PACED_CHUNKS: Final = 40  # one every 50 ms: 2 s
PACED_DELAY: Final = 0.05
STREAM_CHUNKS: Final = 10_000
TTFT_STREAMS: Final = 200
TTFT_PAUSE: Final = 0.005
TTFT_CHUNKS: Final = 4
TRICKLE_CHUNKS: Final = 500  # calls per chunk when every chunk is its own network read
TRICKLE_DELAY: Final = 0.002


class ClientSpec(NamedTuple):
    """How one benchmarked client runs."""

    family: str  # which library (``FAMILY_IMPORT`` in run_all.py, ``make_adapter`` in _client.py)
    backend: str  # anyio backend: asyncio | trio
    loop: str = ""  # "uvloop": asyncio on uvloop; "": the backend's default loop
    parser: str = ""  # groq_anyio's ``http1_parser`` ("h11", "httptools"); "": its default
    h2: bool = True  # can speak HTTP/2


#: client name -> how it runs; the order is the order of the columns in the reports
CLIENTS: Final[dict[str, ClientSpec]] = {
    "groq_anyio-asyncio": ClientSpec("groq_anyio", "asyncio"),
    "groq_anyio-trio": ClientSpec("groq_anyio", "trio"),
    "groq_anyio-uvloop": ClientSpec("groq_anyio", "asyncio", loop="uvloop"),
    "groq_anyio-asyncio-h11": ClientSpec("groq_anyio", "asyncio", parser="h11"),
    "groq_anyio-trio-h11": ClientSpec("groq_anyio", "trio", parser="h11"),
    "aiohttp": ClientSpec("aiohttp", "asyncio", h2=False),
    "aiohttp-uvloop": ClientSpec("aiohttp", "asyncio", loop="uvloop", h2=False),
    "httptools-proto": ClientSpec("httptools-proto", "asyncio", h2=False),
    "httptools-proto-uvloop": ClientSpec("httptools-proto", "asyncio", loop="uvloop", h2=False),
    "httptools-anyio": ClientSpec("httptools-anyio", "asyncio", h2=False),
    "httptools-anyio-trio": ClientSpec("httptools-anyio", "trio", h2=False),
    "floor": ClientSpec("floor", "asyncio"),
    "floor-trio": ClientSpec("floor", "trio"),
    "groq-sdk": ClientSpec("groq-sdk", "asyncio"),
    "groq-sdk-aiohttp": ClientSpec("groq-sdk-aiohttp", "asyncio", h2=False),
    "openai-sdk": ClientSpec("openai-sdk", "asyncio"),
}
DEFAULT_CLIENTS: Final = tuple(CLIENTS)
#: groq_anyio's variants: every target is checked for each of them
OURS: Final = tuple(name for name, spec in CLIENTS.items() if spec.family == "groq_anyio")
#: the clients of the HTTP/1.1-vs-HTTP/2-over-TLS comparison (its extra scenarios run only them)
COMPARE_CLIENTS: Final = ("groq_anyio-asyncio", "groq_anyio-trio")


@dataclass(frozen=True)
class Scenario:
    """One end-to-end scenario: which server reply it needs and how the client connects."""

    name: str
    server: str  # server scenario: plain | stream10k | framed | ttft | paced
    kind: str  # client loop: plain | concurrent | stream | ttft | paced | first
    http2: bool = False
    tls: bool = False
    title: str = ""
    compare: bool = False  # only for the HTTP/1.1-vs-HTTP/2 comparison (COMPARE_CLIENTS)


SCENARIOS: Final[dict[str, Scenario]] = {
    s.name: s
    for s in (
        Scenario("plain", "plain", "plain", title="sequential plain completions"),
        Scenario("concurrent", "plain", "concurrent", title="64 concurrent tasks"),
        Scenario(
            "stream10k", "stream10k", "stream", title="one 10,000-chunk stream, 64 KiB frames"
        ),
        Scenario("framed", "framed", "stream", title="one 10,000-chunk stream, a frame per chunk"),
        Scenario("ttft", "ttft", "ttft", title="time to first chunk"),
        Scenario("paced", "paced", "paced", title="500 paced streams"),
        Scenario("concurrent-h2", "plain", "concurrent", http2=True, title="64 concurrent, h2"),
        Scenario("paced-h2", "paced", "paced", http2=True, title="500 paced streams, h2"),
        Scenario("concurrent-tls", "plain", "concurrent", tls=True, title="64 concurrent, TLS"),
        Scenario("paced-tls", "paced", "paced", tls=True, title="500 paced streams, TLS"),
        # HTTP/1.1 vs HTTP/2 over TLS, groq_anyio only (with concurrent-tls and paced-tls)
        Scenario("plain-tls", "plain", "plain", tls=True, compare=True),
        Scenario("framed-tls", "framed", "stream", tls=True, compare=True),
        Scenario("plain-h2-tls", "plain", "plain", http2=True, tls=True, compare=True),
        Scenario("concurrent-h2-tls", "plain", "concurrent", http2=True, tls=True, compare=True),
        Scenario("framed-h2-tls", "framed", "stream", http2=True, tls=True, compare=True),
        Scenario("paced-h2-tls", "paced", "paced", http2=True, tls=True, compare=True),
        Scenario("first", "plain", "first", title="import + first completion"),
    )
}


def applicable(scenario: str, client: str) -> bool:
    """Whether ``client`` runs in ``scenario`` (HTTP/2 needs an h2 client; the parser choice
    does not matter on HTTP/2; the comparison scenarios run only COMPARE_CLIENTS)."""
    sc, spec = SCENARIOS[scenario], CLIENTS[client]
    if sc.compare and client not in COMPARE_CLIENTS:
        return False
    return not sc.http2 or (spec.h2 and not spec.parser)


@dataclass(frozen=True)
class Sizes:
    """Iteration counts of the measured loops (``--quick`` uses the small set)."""

    plain: int
    plain_warmup: int
    concurrent_per_task: int
    streams: int
    ttft: int
    cold_runs: int
    calls_requests: int
    paced_streams: int


FULL: Final = Sizes(
    plain=800,
    plain_warmup=50,
    concurrent_per_task=8,
    streams=3,
    ttft=TTFT_STREAMS,
    cold_runs=4,
    calls_requests=20,
    paced_streams=PACED_STREAMS,
)
QUICK: Final = Sizes(
    plain=150,
    plain_warmup=20,
    concurrent_per_task=2,
    streams=1,
    ttft=60,
    cold_runs=2,
    calls_requests=5,
    paced_streams=100,
)


CHILD_ENV: Final = "GROQ_ANYIO_BENCH_CHILD"


def die_with_parent() -> None:
    """Exit this process as soon as the orchestrator goes away (its end of our stdin closes).

    Only in children of the orchestrator (``GROQ_ANYIO_BENCH_CHILD=1``): their stdin is a pipe
    nobody writes to, so even if the orchestrator is killed with SIGKILL the pipe closes and
    every server and client it started exits on its own. Run by hand, nothing happens.
    """

    def watch() -> None:
        try:  # the raw fd: a daemon thread blocked in sys.stdin would hold its lock at exit
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        os._exit(3)

    if os.environ.get(CHILD_ENV) == "1":
        threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def proc_status_kib(field: str) -> int:
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in KiB, or -1."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(field.encode() + b":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def reset_peak_rss() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux ``clear_refs`` 5); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def emit(result: dict[str, Any]) -> None:
    """Print the one JSON result line the orchestrator reads."""
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()
