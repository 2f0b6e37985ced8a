"""The pool follows each HTTP/2 server's SETTINGS_MAX_CONCURRENT_STREAMS (issue 9).

A server that takes 10 streams per connection, and answers in batches so that streams really
are open together: 100 concurrent requests spread over at least 10 connections, none of which
ever carries more than 10 streams at once (the server's h2 would refuse the eleventh with a
connection error), instead of queueing 90 of them behind one connection's semaphore.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from groq_anyio import AsyncGroq

from .conftest import TEST_KEY
from .hostile import MODEL, MSGS, Conn, H2Peer, RawServer

pytestmark = pytest.mark.anyio

LIMIT = 10


async def _batching_handler(conn: Conn) -> None:
    peer = H2Peer(conn)
    await peer.handshake(max_concurrent_streams=LIMIT)
    served: set[int] = set()
    widths: list[int] = conn.server.state.setdefault("widths", [])
    while not peer.closed:
        with anyio.move_on_after(0.05) as quiet:
            await peer.pump()
        pending = [sid for sid in peer.completed if sid not in served]
        if pending and (len(pending) >= LIMIT or quiet.cancelled_caught):
            widths.append(len(pending))
            for sid in pending:
                served.add(sid)
                await peer.respond(sid)


async def test_pool_spreads_streams_by_the_servers_limit() -> None:
    async with RawServer(_batching_handler) as server:
        async with AsyncGroq(
            api_key=TEST_KEY,
            base_url=server.base_url,
            http1=False,
            http2=True,
            max_connections=20,
            max_retries=0,
            timeout=20,
        ) as client:
            results: list[Any] = []

            async def one() -> None:
                c = await client.chat.completions.create(model=MODEL, messages=MSGS)
                results.append(c.choices[0].message.content)

            with anyio.fail_after(30):
                async with anyio.create_task_group() as tg:
                    for _ in range(100):
                        tg.start_soon(one)
            stats = client.pool_stats()
    assert results == ["ok"] * 100
    widths = server.state["widths"]
    assert max(widths) <= LIMIT
    assert server.connections >= 100 // LIMIT, (server.connections, widths)
    assert stats.in_flight == 0 and stats.waiting == 0
