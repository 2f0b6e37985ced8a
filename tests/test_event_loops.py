"""A client used in more than one event loop (issue 14): a second ``asyncio.run``, a module-level
client in tests that each get a fresh loop, asyncio then trio then asyncio again.

Connections belong to the loop that opened them: each loop gets a pool of its own, the pools
of loops that have ended are dropped (their sockets closed), and nothing raises ``Event loop is
closed`` or ``attached to a different loop``. The server runs in a thread of its own so it
outlives every loop of the client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trio

from groq_anyio import AsyncGroq
from groq_anyio.testing import GroqTestServer

from .conftest import TEST_KEY

MODEL = "llama-3.3-70b-versatile"
MSGS = [{"role": "user", "content": "Hi"}]

RUNNERS: dict[str, Callable[[Callable[[], Any]], Any]] = {
    "asyncio": lambda f: asyncio.run(f()),
    "trio": trio.run,
}


@pytest.fixture(scope="module")
def thread_server() -> Iterator[GroqTestServer]:
    with GroqTestServer().run_in_thread() as server:
        yield server


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "h2c"])
def test_one_client_in_successive_loops(thread_server: GroqTestServer, http2: bool) -> None:
    client = AsyncGroq(
        api_key=TEST_KEY,
        base_url=thread_server.base_url,
        max_retries=0,
        timeout=10,
        http2=http2,
        http1=not http2,
        max_concurrent_requests=4,
        max_open_streams=2,
    )

    async def calls() -> tuple[str, int, int]:
        c = await client.chat.completions.create(model=MODEL, messages=MSGS)
        stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        async with stream:
            chunks = sum([1 async for _ in stream])
        stats = client.pool_stats()
        return c.choices[0].message.content or "", chunks, stats.connections

    before = thread_server.connections_opened
    results = [RUNNERS[name](calls) for name in ("asyncio", "asyncio", "trio", "asyncio", "trio")]
    for text, chunks, connections in results:
        assert text and chunks > 1
        assert connections == 1  # this loop's pool: the old loops' connections are not in it
    # each loop opened its own connection (those of ended loops cannot be reused)
    assert thread_server.connections_opened - before == len(results)

    async def close() -> None:
        await client.aclose()

    asyncio.run(close())
    assert client.is_closed


def test_pools_of_ended_loops_are_dropped(thread_server: GroqTestServer) -> None:
    client = AsyncGroq(api_key=TEST_KEY, base_url=thread_server.base_url, max_retries=0)

    async def one() -> None:
        await client.chat.completions.create(model=MODEL, messages=MSGS)

    for _ in range(12):
        asyncio.run(one())
    pools = client._transport._pools
    assert len(pools._others) == 0  # every earlier loop has ended: its pool was dropped
    asyncio.run(client.aclose())
