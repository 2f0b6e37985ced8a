"""``client.with_raw_response``: the parsed value with its HTTP response's metadata."""

from __future__ import annotations

import pytest

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio.testing import ChatScript, ErrorReply, GroqTestServer
from groq_anyio.types import ChatCompletion, Response

from .conftest import TEST_KEY

pytestmark = pytest.mark.anyio

MSGS = [{"role": "user", "content": "Hi"}]
MODEL = "llama-3.3-70b-versatile"


async def test_raw_chat_completion(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text="raw hello"))
    raw = await client.with_raw_response.chat.completions.create(model=MODEL, messages=MSGS)
    assert isinstance(raw, g.APIResponse)
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "application/json"
    assert raw.request_id is not None and raw.request_id.startswith("req_")
    assert raw.request_id == raw.headers["x-request-id"]
    assert raw.http_version in ("HTTP/1.1", "HTTP/2")
    assert raw.retries == 0
    assert raw.elapsed is not None and raw.elapsed > 0
    assert raw.timings.total is not None
    limits = raw.rate_limits
    assert limits is not None
    assert limits.limit_requests == 14400 and limits.remaining_requests is not None
    assert limits.limit_tokens == 300000
    completion = await raw.parse()
    assert isinstance(completion, ChatCompletion) and completion is raw.data
    assert completion.choices[0].message.content == "raw hello"
    assert completion.request_id == raw.request_id
    assert "APIResponse [200] ChatCompletion" in repr(raw)
    # the client is the same one: the call went through the normal path
    assert server.requests[-1].json() == {"model": MODEL, "messages": MSGS}


async def test_raw_counts_retries(server: GroqTestServer) -> None:
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, max_retries=2) as client:
        server.push(
            ErrorReply(503, headers={"retry-after": "0"}),
            ErrorReply(500, headers={"retry-after": "0"}),
            ChatScript(text="third time"),
        )
        raw = await client.with_raw_response.chat.completions.create(model=MODEL, messages=MSGS)
        assert raw.retries == 2 and raw.timings.attempts == 3
        assert raw.data.choices[0].message.content == "third time"


async def test_raw_stream(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text="a b c"))
    raw = await client.with_raw_response.chat.completions.create(
        model=MODEL, messages=MSGS, stream=True
    )
    assert raw.status_code == 200 and raw.headers["content-type"] == "text/event-stream"
    assert raw.rate_limits is not None
    stream = await raw.parse()
    assert isinstance(stream, g.ChatStream)
    parts = []
    async with stream:
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
    assert "".join(parts) == "a b c"
    assert raw.request_id == stream.request_id


async def test_raw_responses_api(server: GroqTestServer, client: AsyncGroq) -> None:
    raw = await client.with_raw_response.responses.create(model=MODEL, input="hi")
    assert raw.status_code == 200 and isinstance(raw.data, Response)
    assert raw.data.output_text and raw.request_id == raw.data.request_id
    raw_stream = await client.with_raw_response.responses.create(
        model=MODEL, input="hi", stream=True
    )
    assert isinstance(raw_stream.data, g.ResponseStream)
    async with raw_stream.data as stream:
        async for _ in stream:
            pass
    assert stream.get_final_response().output_text == raw.data.output_text


async def test_raw_errors_raise_as_usual(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ErrorReply(404, "no such model", code="model_not_found"))
    with pytest.raises(g.ModelNotFoundError):
        await client.with_raw_response.chat.completions.create(model=MODEL, messages=MSGS)
    with pytest.raises(g.InvalidParameterError):
        await client.with_raw_response.chat.completions.create(model=MODEL, messages=[])
    assert client.with_raw_response is client.with_raw_response
