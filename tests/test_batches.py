"""client.batches: create, retrieve, list, cancel and streamed results, over real sockets."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from groq_anyio import (
    APIResponseValidationError,
    AsyncGroq,
    BadRequestError,
    InvalidParameterError,
    NotFoundError,
)
from groq_anyio.resources.batches import BatchResults
from groq_anyio.testing import ChatScript, GroqTestServer, RawReply
from groq_anyio.testing._endpoints import endpoint_state
from groq_anyio.types import Batch, BatchList, BatchResult, ChatCompletion

pytestmark = pytest.mark.anyio

BATCHES = "/openai/v1/batches"


def line(custom_id: str, body: dict[str, Any] | None = None, **extra: Any) -> bytes:
    if body is None:
        body = {"model": "llama-3.1-8b-instant", "messages": [{"role": "user", "content": "Hi"}]}
    doc = {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}
    doc.update(extra)
    return json.dumps(doc).encode() + b"\n"


async def upload(client: AsyncGroq, *lines: bytes) -> str:
    return (await client.files.create(file=("in.jsonl", b"".join(lines)))).id


async def test_create_completes_and_results_stream(
    client: AsyncGroq, server: GroqTestServer
) -> None:
    file_id = await upload(client, *(line(f"r{i}") for i in range(5)), line("bad", {"x": 1}))
    batch = await client.batches.create(input_file_id=file_id, metadata={"job": "nightly"})
    assert isinstance(batch, Batch)
    assert batch.id.startswith("batch_")
    assert (batch.status, batch.is_finished) == ("completed", True)
    assert batch.endpoint == "/v1/chat/completions"
    assert batch.completion_window == "24h"
    assert batch.metadata == {"job": "nightly"}
    assert batch.request_counts is not None
    assert (batch.request_counts.total, batch.request_counts.completed) == (6, 5)
    assert batch.request_counts.failed == 1
    assert batch.output_file_id and batch.error_file_id
    assert server.requests[-1].json() == {
        "input_file_id": file_id,
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
        "metadata": {"job": "nightly"},
    }

    results = await client.batches.results(batch)
    assert isinstance(results, BatchResults) and results.batch is batch
    async with results:
        seen = [r async for r in results]
    assert all(isinstance(r, BatchResult) for r in seen)
    assert [r.custom_id for r in seen] == ["r0", "r1", "r2", "r3", "r4", "bad"]
    ok, failed = seen[:5], seen[5]
    for result in ok:
        assert (
            result.ok and result.error is None and result.id and result.id.startswith("batch_req_")
        )
        assert result.response is not None and result.response.status_code == 200
        completion = result.completion
        assert isinstance(completion, ChatCompletion)
        assert completion.choices[0].message.content == "Hello from the local Groq server!"
        assert completion.model == "llama-3.1-8b-instant"
        assert completion.usage is not None and completion.usage.total_tokens > 0
        assert completion.request_id == result.response.request_id
    assert not failed.ok and failed.completion is None
    assert failed.response is not None and failed.response.status_code == 400
    assert failed.response.error is not None
    assert "model" in (failed.response.error.message or "")
    assert client.pool_stats().in_flight == 0


async def test_results_by_id_and_without_errors(client: AsyncGroq, server: GroqTestServer) -> None:
    server.default = ChatScript(text="Batched answer", model="served-model")
    file_id = await upload(client, line("a"), line("b", {"messages": []}))
    batch = await client.batches.create(input_file_id=file_id, completion_window="2d")
    results = await client.batches.results(batch.id, include_errors=False)
    custom = [(r.custom_id, r.completion) async for r in results]
    assert [c for c, _ in custom] == ["a"]
    completion = custom[0][1]
    assert completion is not None and completion.choices[0].message.content == "Batched answer"
    assert completion.model == "served-model"
    assert server.requests[-2].path == f"{BATCHES}/{batch.id}"  # retrieved by id first


async def test_retrieve_and_list(client: AsyncGroq, server: GroqTestServer) -> None:
    file_id = await upload(client, line("a"))
    first = await client.batches.create(input_file_id=file_id)
    second = await client.batches.create(input_file_id=file_id, completion_window="7d")
    assert await client.batches.retrieve(first.id) == first
    listing = await client.batches.list()
    assert isinstance(listing, BatchList)
    assert [b.id for b in listing] == [first.id, second.id] and len(listing) == 2
    assert server.requests[-1].method == "GET"
    with pytest.raises(NotFoundError):
        await client.batches.retrieve("batch_missing")


async def test_running_batch_cancel_and_results(client: AsyncGroq, server: GroqTestServer) -> None:
    state = endpoint_state(server)
    state.complete_batches = False
    file_id = await upload(client, line("a"), line("b"))
    batch = await client.batches.create(input_file_id=file_id)
    assert (batch.status, batch.is_finished) == ("in_progress", False)
    with pytest.raises(InvalidParameterError, match="not finished") as info:
        await client.batches.results(batch)
    assert info.value.param == "batch"
    cancelling = await client.batches.cancel(batch.id)
    assert server.requests[-1].method == "POST"
    assert server.requests[-1].path == f"{BATCHES}/{batch.id}/cancel"
    assert server.requests[-1].body == b""
    assert cancelling.status == "cancelling"
    # a stale Batch is retrieved again before reading
    async with await client.batches.results(batch) as results:
        seen = [r async for r in results]
    assert results.batch.status == "cancelled"
    assert [r.custom_id for r in seen] == ["a", "b"]
    for result in seen:
        assert result.response is None and not result.ok
        assert result.error is not None and result.error.code == "batch_cancelled"
    with pytest.raises(BadRequestError, match="Cannot cancel"):
        await client.batches.cancel(batch.id)


async def test_complete_batch_later(client: AsyncGroq, server: GroqTestServer) -> None:
    state = endpoint_state(server)
    state.complete_batches = False
    batch = await client.batches.create(input_file_id=await upload(client, line("a")))
    state.complete_batch(batch.id)
    async with await client.batches.results(batch.id) as results:
        assert [r.custom_id async for r in results] == ["a"]


async def test_invalid_input_file_fails_the_batch(client: AsyncGroq) -> None:
    file_id = await upload(
        client, line("a"), line("a"), b"{not json\n", line("c", url="/v1/embeddings")
    )
    batch = await client.batches.create(input_file_id=file_id)
    assert batch.status == "failed" and batch.is_finished
    assert batch.errors is not None and batch.errors.data is not None
    codes = [(e.code, e.line) for e in batch.errors.data]
    assert codes == [("duplicate_custom_id", 2), ("invalid_json_line", 3), ("mismatched_url", 4)]
    async with await client.batches.results(batch) as results:
        assert [r async for r in results] == []


async def test_leaving_results_early_releases_the_download(
    client: AsyncGroq, server: GroqTestServer
) -> None:
    endpoint_state(server).chunk_size = 256
    file_id = await upload(client, *(line(f"r{i}") for i in range(200)))
    batch = await client.batches.create(input_file_id=file_id)
    async with await client.batches.results(batch) as results:
        async for result in results:
            assert result.custom_id == "r0"
            break
    assert client.pool_stats().in_flight == 0
    assert [r async for r in results] == []  # closed
    results = await client.batches.results(batch)
    count = 0
    async for _ in results:  # to the end without `async with`: released at the end
        count += 1
    assert count == 200
    assert client.pool_stats().in_flight == 0


async def test_lines_split_across_chunks(client: AsyncGroq, server: GroqTestServer) -> None:
    endpoint_state(server).chunk_size = 7  # every line arrives in many pieces
    batch = await client.batches.create(
        input_file_id=await upload(client, *(line(f"r{i}") for i in range(3)))
    )
    async with await client.batches.results(batch) as results:
        assert [r.custom_id async for r in results] == ["r0", "r1", "r2"]


def result_file(*docs: Any, tail: bytes = b"\n") -> bytes:
    return b"\n".join(msgspec.json.encode(d) for d in docs) + tail


async def test_result_lines_of_every_shape(client: AsyncGroq, server: GroqTestServer) -> None:
    state = endpoint_state(server)
    completion = {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
        ],
        "new_field": 1,
    }
    data = result_file(
        {"id": "1", "custom_id": "ok", "response": {"status_code": 200, "body": completion}},
        {
            "id": "2",
            "custom_id": "err",
            "response": {
                "status_code": 429,
                "request_id": "req_x",
                "body": {"error": {"message": "slow down", "type": "rate_limit", "code": "rl"}},
            },
            "error": None,
        },
        {
            "custom_id": "expired",
            "response": None,
            "error": {"code": "batch_expired", "message": "late"},
        },
        {"custom_id": "odd", "response": {"status_code": 200, "body": {"not": "a completion"}}},
        {"custom_id": "nobody", "response": {"status_code": 204}},
        tail=b"",  # no final newline
    )
    output = state.add_file(b"\n" + data, "out.jsonl", "batch_output")  # and a blank line
    batch = Batch(id="batch_x", status="expired", output_file_id=output.id)
    results = [r async for r in await client.batches.results(batch)]
    ok, err, expired, odd, nobody = results
    assert ok.ok and ok.completion is not None and ok.completion.choices[0].message.content == "ok"
    assert err.response is not None and err.response.status_code == 429
    assert err.response.error is not None and err.response.error.code == "rl"
    assert err.response.request_id == "req_x"
    assert expired.error is not None and expired.error.code == "batch_expired"
    assert odd.response is not None and odd.response.body is None
    assert odd.response.raw_body == {"not": "a completion"} and odd.completion is None
    assert nobody.response is not None and nobody.response.body is None and nobody.ok
    assert server.requests == [server.requests[0]]  # a finished Batch is not retrieved again


async def test_an_undecodable_line_is_reported_with_its_number(
    client: AsyncGroq, server: GroqTestServer
) -> None:
    state = endpoint_state(server)
    good = msgspec.json.encode({"custom_id": "a", "response": {"status_code": 200}})
    output = state.add_file(good + b"\n" + b'{"no_custom_id": 1}\n', "out.jsonl", "batch_output")
    batch = Batch(id="batch_x", status="completed", output_file_id=output.id)
    async with await client.batches.results(batch) as results:
        assert (await results.__anext__()).custom_id == "a"
        with pytest.raises(APIResponseValidationError, match="line 2 of file"):
            await results.__anext__()
    assert client.pool_stats().in_flight == 0


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"input_file_id": ""}, "input_file_id"),
        ({"input_file_id": None}, "input_file_id"),
        ({"endpoint": "/v1/embeddings"}, "endpoint"),
        ({"completion_window": "1h"}, "completion_window"),
        ({"completion_window": "23h"}, "completion_window"),
        ({"completion_window": "8d"}, "completion_window"),
        ({"completion_window": "169h"}, "completion_window"),
        ({"completion_window": "24 h"}, "completion_window"),
        ({"completion_window": "0d"}, "completion_window"),
        ({"completion_window": 24}, "completion_window"),
        ({"metadata": ["a"]}, "metadata"),
        ({"metadata": {"a": 1}}, "metadata['a']"),
        ({"metadata": {1: "a"}}, "metadata"),
        ({"extra_body": {"x": object()}}, "body"),
    ],
)
async def test_invalid_create_arguments_are_refused_before_sending(
    client: AsyncGroq, server: GroqTestServer, kwargs: dict[str, Any], param: str
) -> None:
    args: dict[str, Any] = {"input_file_id": "file_1"}
    args.update(kwargs)
    with pytest.raises(InvalidParameterError) as info:
        await client.batches.create(**args)
    assert info.value.param == param
    assert server.requests == []


@pytest.mark.parametrize("window", ["24h", "48h", "168h", "1d", "7d"])
async def test_completion_windows_accepted(
    client: AsyncGroq, server: GroqTestServer, window: str
) -> None:
    batch = await client.batches.create(
        input_file_id=await upload(client, line("a")), completion_window=window
    )
    assert batch.completion_window == window


@pytest.mark.parametrize("bad", ["", "  ", "..", None, 3])
async def test_invalid_batch_ids_are_refused_before_sending(
    client: AsyncGroq, server: GroqTestServer, bad: Any
) -> None:
    for call in (client.batches.retrieve, client.batches.cancel):
        with pytest.raises(InvalidParameterError) as info:
            await call(bad)
        assert info.value.param == "batch_id"
    with pytest.raises(InvalidParameterError):
        await client.batches.results(3)  # type: ignore[arg-type]
    assert server.requests == []


async def test_batch_ids_are_percent_encoded(client: AsyncGroq, server: GroqTestServer) -> None:
    with pytest.raises(NotFoundError):
        await client.batches.retrieve("../files?x#y")
    with pytest.raises(NotFoundError):
        await client.batches.cancel("a/b")
    assert [r.path for r in server.requests] == [
        f"{BATCHES}/..%2Ffiles%3Fx%23y",
        f"{BATCHES}/a%2Fb/cancel",
    ]


async def test_unknown_fields_are_tolerated(client: AsyncGroq, server: GroqTestServer) -> None:
    body = {
        "id": "batch_1",
        "object": "batch",
        "status": "validating",
        "some_new_field": {"x": 1},
        "request_counts": {"total": 1, "completed": 0, "failed": 0, "new": 5},
        "metadata": None,
    }
    server.push(RawReply(200, {"content-type": "application/json"}, msgspec.json.encode(body)))
    batch = await client.batches.retrieve("batch_1")
    assert batch.status == "validating" and not batch.is_finished
    assert batch.request_counts is not None and batch.request_counts.total == 1
