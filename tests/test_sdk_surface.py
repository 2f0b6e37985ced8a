"""What code written for the official SDK calls: views on every resource, ``with_options``,
``default_query``, ``client.get/post/...``, ``APIStatusError.response``, ``close()``,
``model_dump`` arguments. Every test talks to the local server over real sockets, on asyncio
and trio."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio.testing import ChatScript, ErrorReply, GroqTestServer, StallBody
from groq_anyio.testing._endpoints.speech import wav_bytes
from groq_anyio.types import (
    ChatCompletion,
    CompletionUsage,
    CreateEmbeddingResponse,
    FileObject,
    Model,
    ModelList,
    Response,
    Transcription,
)

from .conftest import TEST_KEY

pytestmark = pytest.mark.anyio

MODEL = "llama-3.3-70b-versatile"
MSGS: list[Any] = [{"role": "user", "content": "Hi"}]
WAV = wav_bytes(16000, 16000)
JSONL = (
    json.dumps(
        {
            "custom_id": "r1",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "llama-3.1-8b-instant", "messages": MSGS},
        }
    ).encode()
    + b"\n"
)


@pytest.fixture
async def keyed(anyio_backend: object) -> AsyncIterator[tuple[GroqTestServer, AsyncGroq]]:
    async with GroqTestServer() as server:
        async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, max_retries=2) as c:
            yield server, c


# ----------------------------------------------------------------------------- close() aliases


async def test_streams_close_like_the_sdk(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text="one two three"))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    await stream.__anext__()
    await stream.close()
    assert stream.closed
    rstream = await client.responses.create(model=MODEL, input="hi", stream=True)
    await rstream.__anext__()
    await rstream.close()
    assert rstream.closed
    audio = await client.audio.speech.create(model="playai-tts", input="hi", voice="Fritz-PlayAI")
    await audio.close()
    assert audio.closed
    assert client.pool_stats().in_flight == 0


# ----------------------------------------------------------------------------- raw responses


async def test_with_raw_response_on_every_resource(
    server: GroqTestServer, client: AsyncGroq
) -> None:
    def check(raw: Any) -> None:
        assert isinstance(raw, g.APIResponse)
        assert raw.status_code == 200
        assert raw.request_id and raw.request_id == raw.headers["x-request-id"]

    raw = await client.chat.completions.with_raw_response.create(model=MODEL, messages=MSGS)
    check(raw)
    assert isinstance(await raw.parse(), ChatCompletion)
    assert json.loads(await raw.read())["object"] == "chat.completion"
    # the container resources have the views too, as in the SDK
    raw = await client.chat.with_raw_response.completions.create(model=MODEL, messages=MSGS)
    check(raw)
    raw = await client.models.with_raw_response.list()
    check(raw)
    assert isinstance(raw.data, ModelList) and (await raw.json())["object"] == "list"
    raw = await client.models.with_raw_response.retrieve(MODEL)
    check(raw)
    assert isinstance(await raw.parse(), Model)
    raw = await client.embeddings.with_raw_response.create(model="nomic-embed-text-v1_5", input="x")
    check(raw)
    assert isinstance(raw.data, CreateEmbeddingResponse)
    raw = await client.audio.transcriptions.with_raw_response.create(
        model="whisper-large-v3", file=("a.wav", WAV)
    )
    check(raw)
    assert isinstance(raw.data, Transcription)
    raw = await client.audio.translations.with_raw_response.create(
        model="whisper-large-v3", file=("a.wav", WAV)
    )
    check(raw)
    raw = await client.audio.speech.with_raw_response.create(
        model="playai-tts", input="hi", voice="Fritz-PlayAI", response_format="wav"
    )
    check(raw)
    async with await raw.parse() as audio:
        assert (await audio.read())[:4] == b"RIFF"
    raw = await client.files.with_raw_response.create(file=("in.jsonl", JSONL))
    check(raw)
    file = await raw.parse()
    assert isinstance(file, FileObject)
    check(await client.files.with_raw_response.list())
    check(await client.files.with_raw_response.info(file.id))
    raw = await client.files.with_raw_response.content(file.id)
    check(raw)
    async with raw.data as body:
        assert await body.read() == JSONL
    raw = await client.batches.with_raw_response.create(input_file_id=file.id)
    check(raw)
    batch = await raw.parse()
    check(await client.batches.with_raw_response.retrieve(batch.id))
    check(await client.batches.with_raw_response.list())
    check(await client.files.with_raw_response.delete(file.id))
    raw = await client.responses.with_raw_response.create(model=MODEL, input="hi")
    check(raw)
    assert isinstance(raw.data, Response)
    # and from the client, for every resource
    check(await client.with_raw_response.models.list())
    check(
        await client.with_raw_response.audio.speech.create(
            model="playai-tts", input="hi", voice="Fritz-PlayAI"
        )
    )
    raw = await client.with_raw_response.get("/models", cast_to=ModelList)
    check(raw)
    assert isinstance(raw.data, ModelList)
    assert client.pool_stats().in_flight <= 1  # (the speech body above is left unread)


async def test_raw_stream_and_retries(keyed: tuple[GroqTestServer, AsyncGroq]) -> None:
    server, client = keyed
    server.push(ErrorReply(503, headers={"retry-after": "0"}), ChatScript(text="a b"))
    raw = await client.chat.completions.with_raw_response.create(
        model=MODEL, messages=MSGS, stream=True
    )
    assert raw.retries == 1 and raw.headers["content-type"] == "text/event-stream"
    async with await raw.parse() as stream:
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "a b"
    with pytest.raises(g.StreamAlreadyConsumed):
        await raw.read()  # the body belongs to the stream


# ----------------------------------------------------------------------------- streamed responses


async def test_with_streaming_response_is_lazy(server: GroqTestServer, client: AsyncGroq) -> None:
    # the body stalls after 7 bytes for an hour: only a lazy response gets past the headers
    server.push(StallBody(seconds=3600, after_bytes=7))
    with anyio.fail_after(30):
        async with client.models.with_streaming_response.list() as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("application/json")
            async for part in response.iter_bytes():
                assert part == b'{"objec'[: len(part)]
                break
    # leaving the block released the connection
    assert client.pool_stats().in_flight == 0


async def test_with_streaming_response_on_every_resource(
    server: GroqTestServer, client: AsyncGroq
) -> None:
    async with client.chat.completions.with_streaming_response.create(
        model=MODEL, messages=MSGS
    ) as response:
        completion = await response.parse()
        assert isinstance(completion, ChatCompletion) and completion.choices
        assert json.loads(await response.text())["id"] == completion.id
    server.push(ChatScript(text="x y z"))
    async with client.chat.completions.with_streaming_response.create(
        model=MODEL, messages=MSGS, stream=True
    ) as response:
        lines = [line async for line in response.iter_lines()]
    assert lines[-2:] == ["data: [DONE]", ""] or lines[-1] == "data: [DONE]"
    assert sum(line.startswith("data: {") for line in lines) >= 3
    server.push(ChatScript(text="p q"))
    async with client.chat.completions.with_streaming_response.create(
        model=MODEL, messages=MSGS, stream=True
    ) as response:
        stream = await response.parse()
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "p q" and stream.closed
    async with client.models.with_streaming_response.retrieve(MODEL) as response:
        assert (await response.json())["id"] == MODEL
        assert (await response.parse()).id == MODEL  # parsed from the body read above
    async with client.embeddings.with_streaming_response.create(
        model="nomic-embed-text-v1_5", input=["a", "b"]
    ) as response:
        assert len((await response.parse()).data) == 2
    async with client.audio.transcriptions.with_streaming_response.create(
        model="whisper-large-v3", file=("a.wav", WAV), response_format="text"
    ) as response:
        assert isinstance(await response.parse(), str)
    async with client.audio.translations.with_streaming_response.create(
        model="whisper-large-v3", file=("a.wav", WAV)
    ) as response:
        assert (await response.parse()).text is not None
    async with client.audio.speech.with_streaming_response.create(
        model="playai-tts", input="hello", voice="Fritz-PlayAI", response_format="wav"
    ) as response:
        data = b"".join([part async for part in response.iter_bytes(chunk_size=1000)])
    assert data[:4] == b"RIFF"
    async with client.audio.speech.with_streaming_response.create(
        model="playai-tts", input="hello", voice="Fritz-PlayAI", response_format="wav"
    ) as response:
        audio = await response.parse()  # a BinaryResponse over the unread body
        assert (await audio.read())[:4] == b"RIFF"
    file = await client.files.create(file=("in.jsonl", JSONL))
    async with client.files.with_streaming_response.content(file.id) as response:
        assert [line async for line in response.iter_lines()] == [JSONL.decode().rstrip("\n")]
    async with client.files.with_streaming_response.list() as response:
        assert any(f.id == file.id for f in (await response.parse()).data)
    async with client.batches.with_streaming_response.create(input_file_id=file.id) as response:
        batch = await response.parse()
    async with client.batches.with_streaming_response.retrieve(batch.id) as response:
        assert (await response.parse()).id == batch.id
    async with client.responses.with_streaming_response.create(model=MODEL, input="hi") as r:
        assert (await r.parse()).output_text
    async with client.with_streaming_response.models.list() as response:
        assert (await response.parse()).data
    assert client.pool_stats().in_flight == 0


async def test_streamed_upload_is_parsed_without_reading_the_file_again(
    server: GroqTestServer, client: AsyncGroq, tmp_path: Any
) -> None:
    import io

    source = io.BytesIO(WAV)
    async with client.audio.transcriptions.with_streaming_response.create(
        model="whisper-large-v3", file=("a.wav", source)
    ) as response:
        assert source.tell() == len(WAV)  # the upload consumed it
        assert (await response.parse()).text is not None
    path = tmp_path / "talk.wav"
    path.write_bytes(WAV)
    async with client.audio.translations.with_streaming_response.create(
        model="whisper-large-v3", file=str(path)
    ) as response:
        path.unlink()  # gone: parse() must not need it
        assert (await response.parse()).text is not None
    uploads = [r for r in server.requests if r.method == "POST" and "/audio/" in r.path]
    assert len(uploads) == 2


async def test_streamed_body_once(server: GroqTestServer, client: AsyncGroq) -> None:
    async with client.models.with_streaming_response.list() as response:
        async for _ in response.iter_bytes():
            pass
        with pytest.raises(g.StreamAlreadyConsumed):
            await response.parse()
        with pytest.raises(g.StreamAlreadyConsumed):
            await response.read()
    server.push(ErrorReply(404, "no", code="model_not_found"))
    with pytest.raises(g.ModelNotFoundError):
        async with client.models.with_streaming_response.retrieve("nope"):
            pass


# ----------------------------------------------------------------------------- options


async def test_default_query_and_with_options(anyio_backend: object) -> None:
    async with GroqTestServer() as one, GroqTestServer() as two:
        async with AsyncGroq(
            api_key=TEST_KEY, base_url=one.base_url, default_query={"team": "a", "gone": None}
        ) as client:
            await client.models.list()
            assert one.requests[-1].path == "/openai/v1/models?team=a"
            await client.models.list(extra_query={"team": "b", "x": 1})
            assert one.requests[-1].path == "/openai/v1/models?team=b&x=1"
            merged = client.with_options(default_query={"v": "2"})
            await merged.models.list()
            assert one.requests[-1].path == "/openai/v1/models?team=a&v=2"
            replaced = client.copy(set_default_query={"only": "1"}, set_default_headers={})
            await replaced.models.list()
            assert one.requests[-1].path == "/openai/v1/models?only=1"
            assert replaced._transport is client._transport  # same key and URL: same pool
            other_key = client.with_options(api_key="gsk_other_key")
            await other_key.models.list()
            assert one.requests[-1].header("authorization") == "Bearer gsk_other_key"
            assert other_key._transport is not client._transport
            assert "gsk_other_key" not in repr(other_key)
            elsewhere = client.with_options(base_url=two.base_url, max_retries=0)
            await elsewhere.chat.completions.create(model=MODEL, messages=MSGS)
            assert two.requests[-1].header("authorization") == f"Bearer {TEST_KEY}"
            assert two.requests[-1].path == "/openai/v1/chat/completions?team=a"
            assert (
                elsewhere.base_url == two.base_url + "/openai/v1"
                or elsewhere.base_url.startswith(two.base_url)
            )
            with pytest.raises(g.InvalidParameterError):
                client.with_options(default_query={"a": 1}, set_default_query={"b": 2})
            with pytest.raises(g.InvalidParameterError):
                AsyncGroq(api_key=TEST_KEY, base_url=one.base_url, default_query=["a"])  # type: ignore[arg-type]
        # closing the original closed the pools of the copies with their own
        assert other_key._transport.closed and elsewhere._transport.closed


# ----------------------------------------------------------------------------- get/post/...


async def test_generic_requests(keyed: tuple[GroqTestServer, AsyncGroq]) -> None:
    server, client = keyed
    models = await client.get("/openai/v1/models", cast_to=ModelList)
    assert isinstance(models, ModelList) and models.data
    assert (await client.get("/models", cast_to=dict))["object"] == "list"
    assert (await client.get(f"{client.base_url}/models", cast_to=bytes)).startswith(b"{")
    assert (await client.get("/models?x=1", cast_to=str)).startswith("{")
    assert server.requests[-1].path == "/openai/v1/models?x=1"
    # retried like any call
    server.push(ErrorReply(503, headers={"retry-after": "0"}))
    completion = await client.post(
        "/openai/v1/chat/completions",
        cast_to=ChatCompletion,
        body={"model": MODEL, "messages": MSGS},
        options={"headers": {"x-trace": "t1"}, "params": {"q": "1"}, "extra_json": {"seed": 3}},
    )
    assert completion.choices[0].message.content
    assert server.requests[-1].header("x-trace") == "t1"
    assert server.requests[-1].json()["seed"] == 3
    assert server.requests[-1].path == "/openai/v1/chat/completions?q=1"
    assert [r.path.split("?")[0] for r in server.requests[-2:]] == [
        "/openai/v1/chat/completions"
    ] * 2
    file = await client.files.create(file=("in.jsonl", JSONL))
    async with await client.get(f"/files/{file.id}/content", cast_to=g.BinaryResponse) as b:
        assert b.status_code == 200 and await b.read() == JSONL
    deleted = await client.delete(f"/openai/v1/files/{file.id}", cast_to=dict)
    assert deleted["deleted"] is True
    with pytest.raises(g.NotFoundError):
        await client.put("/openai/v1/nothing-here", cast_to=dict, body={"a": 1})
    with pytest.raises(g.NotFoundError):
        await client.patch("/openai/v1/nothing-here", cast_to=dict, content=b"raw")
    assert server.requests[-1].body == b"raw"
    assert server.requests[-1].header("content-type") == "application/octet-stream"
    with pytest.raises(g.InvalidParameterError):
        await client.get("/models/../files", cast_to=dict)
    with pytest.raises(g.InvalidParameterError):
        await client.get("https://elsewhere.example/models", cast_to=dict)
    with pytest.raises(g.InvalidParameterError):
        await client.get("/models", cast_to=dict, options={"stream_cls": object})
    with pytest.raises(g.APIResponseValidationError):
        await client.get("/models", cast_to=Model)  # a list is not a Model
    # the SDK's streamed form
    server.push(ChatScript(text="s t u"))
    stream = await client.post(
        "/openai/v1/chat/completions",
        cast_to=ChatCompletion,
        body={"model": MODEL, "messages": MSGS, "stream": True},
        stream=True,
        stream_cls=object,
    )
    async with stream:
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "s t u"
    # raw responses parse into another type on request, as in the SDK
    raw = await client.models.with_raw_response.list()
    assert (await raw.parse(to=dict))["object"] == "list"
    assert isinstance(await raw.parse(to=ModelList), ModelList)


# ----------------------------------------------------------------------------- errors


async def test_status_error_response(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ErrorReply(400, "bad things", code="invalid_request", headers={"x-extra": "1"}))
    with pytest.raises(g.BadRequestError) as info:
        await client.chat.completions.create(model=MODEL, messages=MSGS)
    response = info.value.response
    assert response.status_code == 400 and response.is_error
    assert response.headers["x-extra"] == "1"
    assert response.json()["error"]["message"] == "bad things"
    assert json.loads(response.content) == response.json() == json.loads(response.text)
    assert TEST_KEY not in repr(response) + response.text + str(dict(response.headers))


async def test_headers_ignore_case_and_httpx_types(
    server: GroqTestServer, client: AsyncGroq
) -> None:
    import httpx

    completion = await client.chat.completions.create(model=MODEL, messages=MSGS)
    assert completion.headers["Content-Type"] == completion.headers["content-type"]
    assert "X-Request-ID" in completion.headers and completion.headers == dict(completion.headers)
    raw = await client.models.with_raw_response.list()
    assert raw.headers.get("X-REQUEST-ID") == raw.request_id
    async with await client.chat.completions.create(
        model=MODEL, messages=MSGS, stream=True
    ) as stream:
        assert stream.headers.get("Content-Type") == "text/event-stream"
    server.push(ErrorReply(429, "slow down", headers={"Retry-After": "0"}))
    with pytest.raises(g.RateLimitError) as info:
        await client.models.list()
    assert info.value.headers.get("RETRY-AFTER") == "0"
    assert info.value.response.headers.get("Retry-After") == "0"
    # the official SDK's httpx types where SDK code passes them
    timed = await client.models.list(timeout=httpx.Timeout(30.0, read=10.0))
    assert timed.data
    response = await client.get("/openai/v1/models", cast_to=httpx.Response)
    assert response.status_code == 200 and response.json()["object"] == "list"
    assert response.headers.get("Content-Type", "").startswith("application/json")


def test_errors_built_the_sdk_way() -> None:
    # tests written for the official SDK build errors from an httpx.Response
    import httpx

    request = httpx.Request("POST", "https://api.groq.com/openai/v1/chat/completions")
    response = httpx.Response(
        429,
        headers={"Retry-After": "2", "X-Request-ID": "req_9"},
        json={"error": {"message": "slow down"}},
        request=request,
    )
    exc = g.RateLimitError("slow down", response=response, body=response.json())
    assert exc.status_code == 429 and exc.request_id == "req_9" and exc.retryable
    assert exc.headers.get("retry-after") == "2"
    assert exc.response.json() == {"error": {"message": "slow down"}}
    assert exc.body == {"error": {"message": "slow down"}}
    with pytest.raises(TypeError):
        g.APIStatusError("no status")
    timeout = g.APITimeoutError(request)  # the SDK passes the request positionally
    assert timeout.request is request and str(timeout) == "Request timed out."
    assert g.APIConnectionError(message="down", request=request).request is request


# ----------------------------------------------------------------------------- model_dump


async def test_model_dump_arguments(server: GroqTestServer, client: AsyncGroq) -> None:
    completion = await client.chat.completions.create(model=MODEL, messages=MSGS)
    full = completion.model_dump()
    assert full["system_fingerprint"] is None or isinstance(full["system_fingerprint"], str)
    assert "service_tier" in full and "logprobs" in full["choices"][0]  # None fields kept
    lean = completion.model_dump(exclude_none=True)
    assert "logprobs" not in lean["choices"][0]
    assert lean == completion.model_dump(exclude_unset=True) == completion.to_dict()
    assert completion.model_dump(by_alias=True, mode="json") == full
    assert set(completion.model_dump(include={"id", "model"})) == {"id", "model"}
    assert "choices" not in completion.model_dump(exclude={"choices"})
    nested = completion.model_dump(include={"choices": {0: {"message": {"content"}}}})
    assert nested == {"choices": [{"message": {"content": completion.choices[0].message.content}}]}
    assert json.loads(completion.model_dump_json()) == full
    assert completion.model_dump_json(indent=2).startswith("{\n  ")
    assert json.loads(completion.model_dump_json(exclude_none=True)) == lean
    with pytest.raises(ValueError):
        completion.model_dump(mode="yaml")
    # the SDK's to_dict/to_json arguments (their default leaves unset fields out)
    assert completion.to_dict() == lean
    assert completion.to_dict(exclude_unset=False) == full
    assert completion.to_dict(mode="json", use_api_names=True) == lean
    assert json.loads(completion.to_json(indent=2)) == lean
    assert completion.to_json(indent=2).startswith("{\n  ")
    assert json.loads(completion.to_json(exclude_unset=False)) == full


@given(
    st.builds(
        CompletionUsage,
        prompt_tokens=st.integers(0, 10**6),
        completion_tokens=st.integers(0, 10**6),
        total_tokens=st.integers(0, 10**6),
        queue_time=st.none() | st.floats(0, 100),
        prompt_time=st.none() | st.floats(0, 100),
    )
)
def test_model_dump_json_matches_model_dump(usage: CompletionUsage) -> None:
    for kw in ({}, {"exclude_none": True}, {"exclude_defaults": True}):
        assert json.loads(usage.model_dump_json(**kw)) == usage.model_dump(mode="json", **kw)
    assert msgspec.convert(usage.model_dump(), CompletionUsage) == usage
    assert {k for k, v in usage.model_dump().items() if v is None} | set(
        usage.model_dump(exclude_none=True)
    ) == set(usage.model_dump())
