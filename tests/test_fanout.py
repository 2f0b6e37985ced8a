"""Fan-out: many chat calls in a task group, bounded, in input order, nothing outliving it."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import groq_anyio as g
from groq_anyio import AsyncGroq, chat_many, gather_limited
from groq_anyio.testing import ChatScript, ErrorReply, GroqTestServer, RecordedRequest, Reply

from .conftest import TEST_KEY, running_tasks

pytestmark = pytest.mark.anyio

MODEL = "llama-3.3-70b-versatile"


def ask(i: int, **kw: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": f"q{i}"}], **kw}


def echo(request: RecordedRequest) -> Reply:
    """Answer with the question, after a delay that makes later questions finish first."""
    question = request.json()["messages"][0]["content"]
    n = int(question[1:])
    if question.startswith("q") and n % 7 == 3:
        return ErrorReply(400, f"no {question}")
    return ChatScript(text=f"a{n}", first_chunk_delay=0.002 * (20 - n % 20))


async def test_results_in_input_order_with_errors_in_place(server: GroqTestServer) -> None:
    server.default = echo
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, max_retries=0) as client:
        results = await chat_many(client, [ask(i) for i in range(40)], max_in_flight=8)
    assert len(results) == 40
    for i, r in enumerate(results):
        if i % 7 == 3:
            assert isinstance(r, g.BadRequestError) and r.message == f"no q{i}"
        else:
            assert not isinstance(r, Exception)
            assert r.choices[0].message.content == f"a{i}"


async def test_at_most_n_in_flight(server: GroqTestServer) -> None:
    in_flight = peak = 0

    async def call(i: int) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0.001 * (i % 5))
        in_flight -= 1
        return i * i

    results = await gather_limited([lambda i=i: call(i) for i in range(100)], max_in_flight=7)
    assert results == [i * i for i in range(100)] and peak == 7
    assert await gather_limited([], max_in_flight=3) == []
    # against the server: the server never sees more than N at once
    seen = 0

    def counting(request: RecordedRequest) -> Reply:
        nonlocal seen
        seen = max(seen, server.active_requests + 1)
        return ChatScript(first_chunk_delay=0.01)

    server.default = counting
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url) as client:
        results2 = await chat_many(client, [ask(i) for i in range(30)], max_in_flight=5)
    assert all(not isinstance(r, Exception) for r in results2) and seen == 5


async def test_fail_fast_cancels_the_rest(server: GroqTestServer) -> None:
    started: list[int] = []
    finished: list[int] = []

    async def call(i: int) -> int:
        started.append(i)
        if i == 2:
            await anyio.sleep(0.01)
            raise ValueError("boom")
        await anyio.sleep(10)
        finished.append(i)
        return i

    before = running_tasks()
    with anyio.fail_after(2), pytest.raises(ValueError, match="boom"):
        await gather_limited(
            [lambda i=i: call(i) for i in range(50)], max_in_flight=4, fail_fast=True
        )
    assert started == [0, 1, 2, 3] and finished == []  # the rest never started
    assert running_tasks() == before
    # and against the server: the first error cancels the calls still waiting for answers
    server.default = ChatScript(first_chunk_delay=5)
    server.push(ErrorReply(400, "bad one"))
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url) as client:
        with anyio.fail_after(3), pytest.raises(g.BadRequestError, match="bad one"):
            await chat_many(client, [ask(i) for i in range(10)], max_in_flight=3, fail_fast=True)
        assert client.pool_stats().in_flight == 0


async def test_cancelling_the_caller_cancels_every_child(server: GroqTestServer) -> None:
    server.default = ChatScript(first_chunk_delay=5)
    before = running_tasks()
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url) as client:
        with anyio.move_on_after(0.3) as scope:
            await chat_many(client, [ask(i) for i in range(20)], max_in_flight=6)
        assert scope.cancelled_caught
        assert client.pool_stats().in_flight == 0
        assert server.request_count == 6  # the others never started
    await anyio.sleep(0.05)
    assert running_tasks() <= before + server.active_connections


async def test_bad_arguments() -> None:
    client = AsyncGroq(api_key=TEST_KEY, base_url="http://127.0.0.1:9")
    with pytest.raises(g.InvalidParameterError) as info:
        await chat_many(client, [ask(0, stream=True)])
    assert info.value.param == "requests[0].stream"
    with pytest.raises(g.InvalidParameterError):
        await chat_many(client, ["not a mapping"])  # type: ignore[list-item]
    with pytest.raises(g.InvalidParameterError):
        await gather_limited([], max_in_flight=0)
    await client.aclose()
