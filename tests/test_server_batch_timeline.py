"""Batches on the local server move through Groq's states as a fake clock advances, and the
same clock drives the client's waits (groq_anyio.testing.use_clock)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from groq_anyio import AsyncGroq
from groq_anyio.testing import ChatScript, ErrorReply, FakeClock, GroqTestServer, use_clock
from groq_anyio.testing._endpoints import endpoint_state

pytestmark = pytest.mark.anyio

MODEL = "llama-3.1-8b-instant"


def lines(n: int) -> bytes:
    out = []
    for i in range(n):
        body = {"model": MODEL, "messages": [{"role": "user", "content": f"q{i}"}]}
        out.append(
            {"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}
        )
    return b"".join(json.dumps(x).encode() + b"\n" for x in out)


@pytest.fixture
async def timed() -> AsyncIterator[tuple[FakeClock, GroqTestServer, AsyncGroq]]:
    clock = FakeClock()
    async with GroqTestServer(
        clock=clock, batch_timing=(2, 10, 3), default=ChatScript("batched answer")
    ) as server:
        async with AsyncGroq(api_key="gsk_t", base_url=server.base_url, max_retries=0) as client:
            use_clock(client, clock)
            yield clock, server, client


async def test_states_follow_the_clock(timed: tuple[FakeClock, GroqTestServer, AsyncGroq]) -> None:
    clock, _, client = timed
    file_id = (await client.files.create(file=("in.jsonl", lines(4)))).id
    batch = await client.batches.create(input_file_id=file_id)
    assert batch.status == "validating" and batch.in_progress_at is None
    seen = [batch.status]
    counts = []
    for _ in range(16):
        clock.advance(1)
        batch = await client.batches.retrieve(batch.id)
        if batch.status != seen[-1]:
            seen.append(batch.status)
        counts.append(batch.request_counts.completed)
    assert seen == ["validating", "in_progress", "finalizing", "completed"]
    assert counts == sorted(counts) and counts[-1] == 4 and 0 < counts[5] < 4
    assert batch.output_file_id is not None and batch.is_finished
    assert batch.created_at + 2 == batch.in_progress_at
    assert batch.in_progress_at + 10 == batch.finalizing_at
    assert batch.finalizing_at + 3 == batch.completed_at
    async with await client.batches.results(batch) as results:
        got = {r.custom_id: r async for r in results}
    assert sorted(got) == ["r0", "r1", "r2", "r3"]
    completion = got["r2"].completion
    assert completion is not None and completion.choices[0].message.content == "batched answer"
    listed = await client.batches.list()
    assert [b.status for b in listed.data] == ["completed"]


async def test_cancel_while_in_progress_and_expiry(
    timed: tuple[FakeClock, GroqTestServer, AsyncGroq],
) -> None:
    clock, server, client = timed
    file_id = (await client.files.create(file=("in.jsonl", lines(2)))).id
    batch = await client.batches.create(input_file_id=file_id)
    clock.advance(5)
    assert (await client.batches.retrieve(batch.id)).status == "in_progress"
    assert (await client.batches.cancel(batch.id)).status == "cancelling"
    clock.advance(100)
    assert (await client.batches.retrieve(batch.id)).status == "cancelled"
    endpoint_state(server).batch_timing = (10, 2 * 86400, 0)  # slower than the window
    late = await client.batches.create(input_file_id=file_id, completion_window="24h")
    clock.advance(86399)
    assert (await client.batches.retrieve(late.id)).status == "in_progress"
    clock.advance(2)
    expired = await client.batches.retrieve(late.id)
    assert expired.status == "expired" and expired.expired_at == expired.created_at + 86400
    assert expired.output_file_id is None


async def test_the_same_clock_times_client_retries() -> None:
    clock = FakeClock()
    async with GroqTestServer() as server:
        async with AsyncGroq(api_key="gsk_t", base_url=server.base_url, max_retries=2) as client:
            old = use_clock(client, clock)
            assert old is not clock
            server.push(ErrorReply(429, headers={"retry-after": "30"}), ChatScript("ok"))
            c = await client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "x"}]
            )
    assert c.choices[0].message.content == "ok"
    assert clock.sleeps == [30.0] and clock.time == 1030.0
    with pytest.raises(TypeError):
        use_clock(client, object())  # type: ignore[arg-type]
