"""Soak: 2,000 requests, 10 % injected faults, 200 in flight. None is lost: every call ends
in a completion or a typed error, and afterwards nothing is checked out and no task is left.

HTTP/1.1 gets the whole fault mix, connection drops and resets included. Over HTTP/2 a dropped
connection takes every stream on it (about 100 here) down at once, so a 10 % rate of those is a
connection-killing storm rather than 10 % faulty requests; h2c gets per-request faults instead
(RST_STREAM before or during the body, error statuses, stalls).
"""

from __future__ import annotations

import time
from collections import Counter

import anyio
import pytest

import groq_anyio as g
from groq_anyio import AsyncGroq, CircuitBreakerConfig, RetryPolicy, chat_many
from groq_anyio.testing import GroqTestServer, fault_mix
from groq_anyio.testing._faults import DEFAULT_FAULTS, STREAM_FAULTS

from .conftest import TEST_KEY, running_tasks

pytestmark = pytest.mark.anyio

REQUESTS = 2000
FAULT_RATE = 0.10
IN_FLIGHT = 200
MODEL = "llama-3.3-70b-versatile"


@pytest.mark.slow
@pytest.mark.parametrize("http2", [False, True], ids=["http1", "h2c"])
async def test_soak(http2: bool, anyio_backend: object, capsys: pytest.CaptureFixture[str]) -> None:
    served: dict[str, int] = {}
    faults = STREAM_FAULTS if http2 else DEFAULT_FAULTS
    server = GroqTestServer(
        default=fault_mix(FAULT_RATE, faults, seed=20240611, counter=served),
        record_requests=False,
    )
    async with server:
        before = running_tasks()
        async with AsyncGroq(
            api_key=TEST_KEY,
            base_url=server.base_url,
            http1=not http2,
            http2=http2,
            timeout=20,
            # quick backoff: the point is the volume, not the waiting
            retry=RetryPolicy(initial_delay=0.005, max_delay=0.05),
            # a 10 % fault rate is not an outage: only a long run of failures opens it
            circuit_breaker=CircuitBreakerConfig(failure_threshold=25),
        ) as client:
            requests = [
                {"model": MODEL, "messages": [{"role": "user", "content": f"question {i}"}]}
                for i in range(REQUESTS)
            ]
            start = time.perf_counter()
            with anyio.fail_after(60):
                results = await chat_many(client, requests, max_in_flight=IN_FLIGHT)
            elapsed = time.perf_counter() - start
            stats = client.pool_stats()
            assert stats.in_flight == 0 and stats.waiting == 0
            assert not client._state.scopes

    outcomes: Counter[str] = Counter()
    attempts: Counter[int] = Counter()
    for result in results:
        if isinstance(result, Exception):
            assert isinstance(result, g.APIError), repr(result)  # typed, never a raw exception
            outcomes[type(result).__name__] += 1
            attempts[result.attempts] += 1
        else:
            assert result.choices[0].message.content
            outcomes["completion"] += 1
            assert result.timings is not None
            attempts[result.timings.attempts] += 1
    assert sum(outcomes.values()) == REQUESTS  # none lost
    faults = sum(v for k, v in served.items() if k != "ok")
    assert server.request_count == sum(served.values())
    # with 2 retries, a call fails only if 3 attempts in a row hit a fault (~0.1 %)
    assert outcomes["completion"] >= REQUESTS * 0.99
    assert running_tasks() <= before
    with capsys.disabled():
        print(
            f"\nsoak {'h2c' if http2 else 'http1'}: {REQUESTS} calls, {server.request_count} "
            f"requests served, {faults} faults injected ({dict(sorted(served.items()))}); "
            f"outcomes {dict(outcomes)}; attempts {dict(sorted(attempts.items()))}; "
            f"{elapsed:.2f} s"
        )
