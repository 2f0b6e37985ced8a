"""Hostile servers and bad input (issue 12): hangs, unbounded memory, raw errors, poisoned state.

Every test talks to the local server (or a scripted reply of it) over real sockets, on asyncio
and trio. Time limits are generous (``fail_after``) and only guard against hangs: nothing here
asserts how long something took.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import anyio
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import groq_anyio as g
from groq_anyio import AsyncGroq, ResponseLimits, Timeout
from groq_anyio._accumulate import ChatCompletionAccumulator
from groq_anyio.testing import (
    ChatScript,
    ErrorReply,
    Exchange,
    FakeClock,
    GroqTestServer,
    RawReply,
    Reply,
)
from groq_anyio.types.chat import ChatCompletionChunk

from .conftest import TEST_KEY

pytestmark = pytest.mark.anyio

MODEL = "llama-3.3-70b-versatile"
MSGS = [{"role": "user", "content": "Hi"}]
SSE = {"content-type": "text/event-stream"}
JSON = {"content-type": "application/json"}


def _chunk(content: str | None = "tok", **delta: Any) -> bytes:
    d: dict[str, Any] = dict(delta)
    if content is not None:
        d["content"] = content
    doc = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": MODEL,
        "choices": [{"index": 0, "delta": d, "finish_reason": None}],
    }
    return b"data: " + msgspec.json.encode(doc) + b"\n\n"


_FINISH = (
    b'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",'
    b'"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
)


class Forever(Reply, frozen=True):
    """A 200 stream: ``head`` first, then ``piece`` every ``every`` seconds until the client
    goes away (keep-alive comments, a trickle, or endless chunks)."""

    head: bytes
    piece: bytes
    every: float = 0.05
    content_type: str = "text/event-stream"

    async def respond(self, exchange: Exchange) -> None:
        await exchange.start(200, [(b"content-type", self.content_type.encode())], None)
        await exchange.write(self.head)
        due = anyio.current_time()
        while True:
            due += self.every
            await exchange.sleep_until(due)
            await exchange.write(self.piece)


class HoldAfter(Reply, frozen=True):
    """A 200 stream that sends ``head`` and then nothing (the connection stays open)."""

    head: bytes

    async def respond(self, exchange: Exchange) -> None:
        await exchange.start(200, [(b"content-type", b"text/event-stream")], None)
        await exchange.write(self.head)
        await exchange.sleep(60)
        await exchange.write(_FINISH, end=True)


def _client(server: GroqTestServer, **kw: Any) -> AsyncGroq:
    kw.setdefault("max_retries", 0)
    return AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, **kw)


async def _drain(stream: Any) -> list[Any]:
    return [chunk async for chunk in stream]


# -- 1. hangs: idle means "no event"; a total deadline --------------------------------------------


async def test_keep_alive_comments_do_not_reset_the_idle_timeout(server: GroqTestServer) -> None:
    server.push(Forever(head=_chunk(), piece=b": keep-alive\n\n"))
    async with _client(server, stream_idle_timeout=0.3) as client:
        with anyio.fail_after(10):
            stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
            async with stream:
                with pytest.raises(g.APITimeoutError, match="stream_idle_timeout"):
                    await _drain(stream)
        assert stream.closed


async def test_a_trickle_without_events_hits_the_read_timeout(server: GroqTestServer) -> None:
    # one byte at a time of an event that never ends; no stream_idle_timeout: the read
    # timeout (reset by every byte at the socket) bounds the wait for the next *event*
    server.push(Forever(head=_chunk() + b'data: {"never', piece=b" ", every=0.05))
    async with _client(server, timeout=Timeout(total=30, read=0.4)) as client:
        with anyio.fail_after(10):
            stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
            async with stream:
                with pytest.raises(g.APITimeoutError, match="read timeout"):
                    await _drain(stream)


async def test_stream_total_timeout_ends_an_endless_stream(server: GroqTestServer) -> None:
    server.push(Forever(head=_chunk(), piece=_chunk("more"), every=0.02))
    async with _client(server, stream_total_timeout=0.5) as client:
        got = 0
        with anyio.fail_after(10):
            stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
            async with stream:
                with pytest.raises(g.APITimeoutError, match="stream_total_timeout"):
                    async for _ in stream:
                        got += 1
        assert got >= 1


async def test_stream_total_timeout_per_call_through_with_options(
    server: GroqTestServer,
) -> None:
    server.push(Forever(head=_chunk(), piece=_chunk("more"), every=0.02), ChatScript("a b c"))
    async with _client(server) as client:
        limited = client.with_options(stream_total_timeout=0.4)
        with anyio.fail_after(10):
            stream = await limited.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
            async with stream:
                with pytest.raises(g.APITimeoutError):
                    await _drain(stream)
            # the client's own calls are not limited
            stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
            async with stream:
                assert len(await _drain(stream)) >= 3


async def test_responses_stream_idle_means_no_event(server: GroqTestServer) -> None:
    created = (
        b'event: response.created\ndata: {"type":"response.created","sequence_number":0,'
        b'"response":{"id":"resp_1","object":"response","created_at":1,"model":"m",'
        b'"status":"in_progress","output":[]}}\n\n'
    )
    server.push(Forever(head=created, piece=b":\n\n"))
    async with _client(server, stream_idle_timeout=0.3) as client:
        with anyio.fail_after(10):
            stream = await client.responses.create(model=MODEL, input="x", stream=True)
            async with stream:
                with pytest.raises(g.APITimeoutError, match="stream_idle_timeout"):
                    async for _ in stream:
                        pass


@pytest.mark.parametrize("kind", ["trickle", "endless"])
async def test_responses_stream_trickle_and_total(server: GroqTestServer, kind: str) -> None:
    created = (
        b'event: response.created\ndata: {"type":"response.created","sequence_number":0,'
        b'"response":{"id":"resp_1","object":"response","created_at":1,"model":"m",'
        b'"status":"in_progress","output":[]}}\n\n'
    )
    if kind == "trickle":
        server.push(Forever(head=created + b'data: {"nev', piece=b" ", every=0.05))
        options: dict[str, Any] = {"timeout": Timeout(total=30, read=0.4)}
        match = "read timeout"
    else:
        server.push(Forever(head=created, piece=created, every=0.02))
        options = {"stream_total_timeout": 0.5}
        match = "stream_total_timeout"
    async with _client(server, **options) as client:
        with anyio.fail_after(10):
            stream = await client.responses.create(model=MODEL, input="x", stream=True)
            async with stream:
                with pytest.raises(g.APITimeoutError, match=match):
                    async for _ in stream:
                        pass


def test_stream_total_timeout_is_validated() -> None:
    with pytest.raises(g.InvalidParameterError, match="stream_total_timeout"):
        AsyncGroq(api_key=TEST_KEY, stream_total_timeout=0)


# -- 2. bounded memory -----------------------------------------------------------------------------


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_a_json_body_over_the_limit(server: GroqTestServer, framing: str) -> None:
    big = b'{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[],"x":"'
    body: bytes | list[bytes] = big + b"a" * 300_000 + b'"}'
    if framing == "chunked":
        body = [body[i : i + 16384] for i in range(0, len(body), 16384)]  # type: ignore[index]
    server.push(RawReply(200, JSON, body), ChatScript("fine"))
    async with _client(server, response_limits=ResponseLimits(json_body=100_000)) as client:
        with anyio.fail_after(10), pytest.raises(g.ResponseTooLargeError) as info:
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert info.value.limit == 100_000 and info.value.setting == "ResponseLimits.json_body"
        assert not info.value.retryable
        assert client.pool_stats().connections == 0  # closed, not pooled
        c = await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert c.choices[0].message.content == "fine"


async def test_an_endless_json_body_is_cut_at_the_limit(server: GroqTestServer) -> None:
    server.push(Forever(head=b'{"a":"', piece=b"x" * 65536, every=0.0, content_type="json"))
    async with _client(server, response_limits=ResponseLimits(json_body=1_000_000)) as client:
        with anyio.fail_after(10), pytest.raises(g.ResponseTooLargeError):
            await client.models.list()


async def test_an_error_body_over_the_limit(server: GroqTestServer) -> None:
    server.push(ErrorReply(500, body=b'{"error":{"message":"' + b"e" * 50_000 + b'"}}'))
    async with _client(server, response_limits=ResponseLimits(error_body=10_000)) as client:
        with anyio.fail_after(10), pytest.raises(g.InternalServerError) as info:
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert "not read" in str(info.value)
        assert isinstance(info.value.__cause__, g.ResponseTooLargeError)
        assert client.pool_stats().connections == 0


@pytest.mark.parametrize("where", ["first", "later"])
async def test_one_sse_event_over_the_limit(server: GroqTestServer, where: str) -> None:
    huge = _chunk("x" * 50_000)
    body = [huge] if where == "first" else [_chunk(), _chunk(), huge, _FINISH]
    server.push(RawReply(200, SSE, body))
    async with _client(server, response_limits=ResponseLimits(sse_event=10_000)) as client:
        with anyio.fail_after(10), pytest.raises(g.ResponseTooLargeError) as info:
            stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
            async with stream:
                await _drain(stream)
        assert info.value.setting == "ResponseLimits.sse_event"


async def test_download_read_is_bounded_but_write_to_file_is_not(
    server: GroqTestServer, tmp_path: Any
) -> None:
    limits = ResponseLimits(download=20_000)
    async with _client(server, response_limits=limits) as client:
        with anyio.fail_after(10):
            speech = await client.audio.speech.create(
                model="playai-tts", input="hello " * 50, voice="Fritz-PlayAI"
            )
            async with speech:
                with pytest.raises(g.ResponseTooLargeError, match="write_to_file"):
                    await speech.read()
            assert speech.closed
            speech = await client.audio.speech.create(
                model="playai-tts", input="hello " * 50, voice="Fritz-PlayAI"
            )
            async with speech:
                size = await speech.write_to_file(tmp_path / "a.wav")
            assert size > 20_000


async def test_raw_and_streaming_responses_are_bounded(server: GroqTestServer) -> None:
    big = b'{"object":"list","data":[],"x":"' + b"a" * 50_000 + b'"}'
    server.push(RawReply(200, JSON, big), RawReply(200, JSON, big), RawReply(200, JSON, _DEEP))
    async with _client(server, response_limits=ResponseLimits(json_body=10_000)) as client:
        with pytest.raises(g.ResponseTooLargeError):
            await client.with_raw_response.models.list()
        async with client.with_streaming_response.models.list() as response:
            with pytest.raises(g.ResponseTooLargeError):
                await response.read()
    async with _client(server) as client:
        async with client.with_streaming_response.models.list() as response:
            with pytest.raises(g.APIResponseValidationError):
                await response.json()


def test_response_limits_are_validated() -> None:
    with pytest.raises(g.InvalidParameterError, match=r"response_limits\.json_body"):
        ResponseLimits(json_body=0)
    with pytest.raises(g.InvalidParameterError, match="response_limits"):
        AsyncGroq(api_key=TEST_KEY, response_limits={"json_body": 1})  # type: ignore[arg-type]


# -- 3. the accumulator ----------------------------------------------------------------------------


def test_merging_executed_tools_is_linear() -> None:
    """Count the bytecode lines run in the accumulator for n and 2n executed-tool deltas: twice
    the work for twice the deltas (the old merge was quadratic: four times)."""

    def lines_for(n: int) -> int:
        chunks = [
            msgspec.json.decode(
                msgspec.json.encode(
                    {
                        "id": "c",
                        "created": 1,
                        "model": "m",
                        "object": "chat.completion.chunk",
                        "choices": [
                            {
                                "index": 0,
                                "delta": {"executed_tools": [{"index": i, "type": "search"}]},
                            }
                        ],
                    }
                ),
                type=ChatCompletionChunk,
            )
            for i in range(n)
        ]
        # each tool's output arrives later, as a second delta of the same index
        chunks += [
            msgspec.structs.replace(
                c,
                choices=[
                    msgspec.structs.replace(
                        c.choices[0],
                        delta=msgspec.structs.replace(
                            c.choices[0].delta,
                            executed_tools=[
                                msgspec.structs.replace(
                                    c.choices[0].delta.executed_tools[0],  # type: ignore[index]
                                    output="done",
                                )
                            ],
                        ),
                    )
                ],
            )
            for c in chunks
        ]
        acc = ChatCompletionAccumulator()
        count = 0

        def trace(frame: Any, event: str, arg: Any) -> Any:
            nonlocal count
            if frame.f_code.co_filename.endswith("_accumulate.py"):
                if event == "line":
                    count += 1
                return trace
            return None

        previous = sys.gettrace()  # (a coverage tracer, say: put back afterwards)
        sys.settrace(trace)
        try:
            for c in chunks:
                acc.add(c)
        finally:
            sys.settrace(previous)
        tools = acc.result().choices[0].message.executed_tools
        assert tools is not None and len(tools) == n
        assert all(t.output == "done" for t in tools)
        return count

    small, large = lines_for(300), lines_for(600)
    assert large < 2.2 * small, (small, large)


async def test_the_accumulator_is_capped(server: GroqTestServer) -> None:
    server.push(ChatScript(chunks=400))
    limits = ResponseLimits(accumulated=5_000)
    async with _client(server, response_limits=limits) as client:
        with anyio.fail_after(10):
            stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
            async with stream:
                with pytest.raises(g.ResponseTooLargeError, match="accumulate_streams=False"):
                    await _drain(stream)
            assert stream.closed


async def test_accumulation_can_be_switched_off(server: GroqTestServer) -> None:
    server.push(ChatScript(chunks=400))
    limits = ResponseLimits(accumulated=5_000)  # (not needed when nothing is kept)
    async with _client(server, response_limits=limits, accumulate_streams=False) as client:
        with anyio.fail_after(10):
            stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
            async with stream:
                chunks = await _drain(stream)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text.count("tok") == 400
        with pytest.raises(g.StreamStateError, match="accumulate_streams=False"):
            stream.get_final_completion()
        assert stream._acc.result().choices == []  # nothing was kept


async def test_get_final_completion_before_iterating_is_an_error(server: GroqTestServer) -> None:
    server.push(ChatScript("a b c"))
    async with _client(server) as client:
        stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        async with stream:
            with pytest.raises(g.StreamStateError, match="not been iterated"):
                stream.get_final_completion()
            await _drain(stream)
            assert stream.get_final_completion().choices[0].message.content == "a b c"


async def test_refusal_is_kept(server: GroqTestServer) -> None:
    body = [_chunk(None, role="assistant", refusal="I can't"), _chunk(None, refusal=" do that")]
    server.push(
        RawReply(200, SSE, [*body, _FINISH]),
        RawReply(
            200,
            JSON,
            b'{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,'
            b'"message":{"role":"assistant","content":null,"refusal":"No."},"finish_reason":'
            b'"stop"}]}',
        ),
    )
    async with _client(server) as client:
        stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        async with stream:
            chunks = await _drain(stream)
        assert chunks[0].choices[0].delta.refusal == "I can't"
        assert stream.get_final_completion().choices[0].message.refusal == "I can't do that"
        c = await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert c.choices[0].message.refusal == "No."


# -- 4. closing the client under a stream ----------------------------------------------------------


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "h2c"])
async def test_aclose_under_a_stream_raises_client_closed(
    server: GroqTestServer, http2: bool
) -> None:
    server.push(HoldAfter(head=_chunk("first")))
    client = _client(server, http1=not http2, http2=http2)
    errors: list[BaseException] = []
    async with client:
        stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        first = await stream.__anext__()
        assert first.choices[0].delta.content == "first"

        async def consume() -> None:
            try:
                async for _ in stream:
                    pass
            except BaseException as exc:
                errors.append(exc)

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(consume)
                await anyio.sleep(0.1)
                await client.aclose()
    assert len(errors) == 1 and isinstance(errors[0], g.ClientClosedError), errors
    assert stream.closed


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "h2c"])
async def test_reading_after_the_client_closed_raises_client_closed(
    server: GroqTestServer, http2: bool
) -> None:
    """Closed between two reads (nobody waiting in one): the next read says why it ends."""
    server.push(HoldAfter(head=_chunk("first")))
    client = _client(server, http1=not http2, http2=http2)
    async with client:
        stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        await stream.__anext__()
        await client.aclose()
        with anyio.fail_after(10), pytest.raises(g.ClientClosedError):
            async for _ in stream:
                pass


# -- 5. deeply nested JSON -------------------------------------------------------------------------

# deeper than every supported Python lets msgspec go (3.13 decodes 5,000 levels without an error)
_DEEP = b"[" * 20000 + b"]" * 20000


def _deep_object(key: str) -> bytes:
    return b'{"' + key.encode() + b'":' + _DEEP + b"}"


async def test_nested_json_in_a_200_body(server: GroqTestServer) -> None:
    # (in a field the type does not know: skipping it recurses as deep as the nesting goes)
    server.push(
        RawReply(200, JSON, b'{"id":"c","choices":[],"x":' + _DEEP + b"}"),
        RawReply(200, JSON, b'{"object":"list","data":[],"x":' + _DEEP + b"}"),
    )
    async with _client(server) as client:
        with pytest.raises(g.APIResponseValidationError):
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        with pytest.raises(g.APIResponseValidationError):
            await client.models.list()


async def test_nested_json_with_telemetry_and_generic_calls(server: GroqTestServer) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider

    telemetry = g.Telemetry(tracer_provider=TracerProvider(), meter_provider=MeterProvider())
    deep = _deep_object("choices")
    server.push(*(RawReply(200, JSON, deep) for _ in range(3)))
    async with _client(server, telemetry=telemetry) as client:
        with pytest.raises(g.APIResponseValidationError):
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        with pytest.raises(g.APIResponseValidationError):
            await client.post("/chat/completions", cast_to=dict, body={"model": MODEL})
        # undecoded by the call, looked into by the telemetry: still no raw RecursionError
        got = await client.post("/chat/completions", cast_to=bytes, body={"model": MODEL})
        assert got == deep


async def test_nested_json_in_an_error_body(server: GroqTestServer) -> None:
    server.push(ErrorReply(400, body=_deep_object("error")))
    async with _client(server) as client:
        with pytest.raises(g.BadRequestError) as info:
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert info.value.body is None


@pytest.mark.parametrize(
    "event",
    [
        b"event: error\ndata: " + _deep_object("error") + b"\n\n",
        b'data: {"error":{"message":"m","x":' + _DEEP + b"}}\n\n",
        b'data: {"id":"c","object":"x","created":1,"model":"m","choices":[],"x":'
        + _DEEP
        + b"}\n\n",
    ],
    ids=["event-error", "data-error", "chunk-field"],
)
async def test_nested_json_in_a_stream(server: GroqTestServer, event: bytes) -> None:
    server.push(RawReply(200, SSE, [_chunk(), event, _FINISH]))
    async with _client(server) as client:
        stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        async with stream:
            with pytest.raises(g.APIError):
                await _drain(stream)


async def test_nested_json_in_a_responses_stream(server: GroqTestServer) -> None:
    server.push(RawReply(200, SSE, [b"event: error\ndata: " + _deep_object("error") + b"\n\n"]))
    async with _client(server) as client:
        with pytest.raises(g.APIError):
            stream = await client.responses.create(model=MODEL, input="x", stream=True)
            async with stream:
                async for _ in stream:
                    pass


@pytest.mark.parametrize(
    "result",
    [
        b'{"id":"batch_req_1","custom_id":"a","x":' + _DEEP + b"}",
        b'{"id":"batch_req_1","custom_id":"a","response":{"status_code":200,"x":' + _DEEP + b"}}",
        b'{"id":"batch_req_1","custom_id":"a","response":{"status_code":200,"body":'
        + _DEEP
        + b"}}",
        b'{"id":"batch_req_1","custom_id":"a","response":{"status_code":400,"body":'
        + _deep_object("error")
        + b"}}",
    ],
    ids=["line", "response", "body", "error-body"],
)
async def test_nested_json_in_a_batch_result_line(server: GroqTestServer, result: bytes) -> None:
    async with _client(server) as client:
        request = (
            b'{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":'
            b'"llama-3.1-8b-instant","messages":[{"role":"user","content":"Hi"}]}}\n'
        )
        file_id = (await client.files.create(file=("in.jsonl", request))).id
        batch = await client.batches.create(input_file_id=file_id)
        assert batch.is_finished and batch.output_file_id
        server.push(RawReply(200, {"content-type": "application/octet-stream"}, result + b"\n"))
        results = await client.batches.results(batch, include_errors=False)
        async with results:
            try:
                got = [r async for r in results]
            except g.APIResponseValidationError:
                return  # the line is not a result: a typed error
        # a line that is a result whose body does not decode keeps it undecoded
        assert len(got) == 1 and got[0].completion is None


# Invalid UTF-8 inside a JSON string: msgspec before 0.23 (the floor is 0.19) raises a bare
# UnicodeDecodeError for it rather than DecodeError; every decode guards against both.
_BAD_UTF8 = b'"\x80ok"'


async def test_invalid_utf8_in_a_200_body(server: GroqTestServer) -> None:
    server.push(
        RawReply(200, JSON, b'{"id":"c","object":' + _BAD_UTF8 + b',"created":1,"choices":[]}'),
        RawReply(200, JSON, b'{"object":"list","data":[{"id":' + _BAD_UTF8 + b"}]}"),
        RawReply(200, JSON, b'{"id":' + _BAD_UTF8 + b"}"),
    )
    async with _client(server) as client:
        with pytest.raises(g.APIResponseValidationError):
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        with pytest.raises(g.APIResponseValidationError):
            await client.models.list()
        with pytest.raises(g.APIResponseValidationError):
            await client.post("/chat/completions", cast_to=dict, body={"model": MODEL})


async def test_invalid_utf8_in_an_error_body(server: GroqTestServer) -> None:
    server.push(ErrorReply(400, body=b'{"error":{"message":' + _BAD_UTF8 + b"}}"))
    async with _client(server) as client:
        with pytest.raises(g.BadRequestError):
            await client.chat.completions.create(model=MODEL, messages=MSGS)


@pytest.mark.parametrize(
    "event",
    [
        b'data: {"id":"c","object":"x","created":1,"model":' + _BAD_UTF8 + b',"choices":[]}\n\n',
        b'data: {"error":{"message":' + _BAD_UTF8 + b"}}\n\n",
        b'event: error\ndata: {"error":{"message":' + _BAD_UTF8 + b"}}\n\n",
    ],
    ids=["chunk", "data-error", "event-error"],
)
async def test_invalid_utf8_in_a_stream(server: GroqTestServer, event: bytes) -> None:
    server.push(RawReply(200, SSE, [_chunk(), event, _FINISH]))
    async with _client(server) as client:
        stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        async with stream:
            with pytest.raises(g.APIError):
                await _drain(stream)


async def test_invalid_utf8_in_a_responses_body_and_stream(server: GroqTestServer) -> None:
    server.push(
        RawReply(200, JSON, b'{"id":' + _BAD_UTF8 + b',"object":"response"}'),
        RawReply(200, SSE, [b'data: {"type":' + _BAD_UTF8 + b"}\n\n"]),
    )
    async with _client(server) as client:
        with pytest.raises(g.APIResponseValidationError):
            await client.responses.create(model=MODEL, input="x")
        with pytest.raises(g.APIError):
            stream = await client.responses.create(model=MODEL, input="x", stream=True)
            async with stream:
                async for _ in stream:
                    pass


def test_public_decoders_raise_decode_error_for_invalid_utf8() -> None:
    from groq_anyio.types.responses import decode_response, decode_stream_event

    with pytest.raises(msgspec.DecodeError):
        decode_response(b'{"id":' + _BAD_UTF8 + b"}")
    with pytest.raises(msgspec.DecodeError):
        decode_stream_event(b'{"type":' + _BAD_UTF8 + b"}")


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=30,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        _json_values.map(msgspec.json.encode),
        st.integers(1000, 20000).map(lambda n: b"[" * n + b"]" * n),
        st.integers(1000, 20000).map(lambda n: b'{"error":' * n + b"1" + b"}" * n),
        st.binary(max_size=64),
    )
)
def test_decoders_only_raise_typed_errors(data: bytes) -> None:
    from groq_anyio._errors import make_status_error
    from groq_anyio._responses_stream import ResponseStream
    from groq_anyio.resources._common import decode_response
    from groq_anyio.types.chat import ChatCompletion
    from groq_anyio.types.models import ModelList
    from groq_anyio.types.responses import decode_stream_event

    class _Raw:
        def header(self, name: bytes) -> None:
            return None

    for tp in (ChatCompletion, ModelList, ChatCompletionChunk, Any):
        try:
            decode_response(_Raw(), data, msgspec.json.Decoder(tp))  # type: ignore[arg-type]
        except g.APIResponseValidationError:
            pass
    try:
        decode_stream_event(data)
    except (msgspec.DecodeError, RecursionError):
        pass  # the Responses stream catches both (anything else would fail this test)
    try:
        body = msgspec.json.decode(data)
    except (msgspec.DecodeError, RecursionError):
        body = None
    err = make_status_error(500, body, raw_text=data.decode("utf-8", "replace"))
    assert isinstance(err, g.APIStatusError)
    del ResponseStream


def test_nested_and_random_events_through_a_real_stream() -> None:
    @settings(max_examples=15, deadline=None)
    @given(
        st.one_of(
            st.integers(600, 6000).map(lambda n: b"[" * n + b"]" * n),
            _json_values.map(msgspec.json.encode),
            st.binary(min_size=1, max_size=40).filter(lambda b: b"\n" not in b and b"\r" not in b),
        ),
        st.sampled_from(["data", "event-error", "field"]),
        st.sampled_from(["asyncio", "trio"]),
    )
    def check(payload: bytes, style: str, backend: str) -> None:
        if style == "data":
            event = b"data: " + payload + b"\n\n"
        elif style == "event-error":
            event = b"event: error\ndata: " + payload + b"\n\n"
        else:
            event = b'data: {"id":"c","object":"x","created":1,"model":"m","choices":[],"z":'
            event += payload + b"}\n\n"

        async def main() -> None:
            async with GroqTestServer() as server:
                server.push(RawReply(200, SSE, [_chunk(), event, _FINISH]))
                async with _client(server) as client:
                    with anyio.fail_after(10):
                        stream = await client.chat.completions.create(
                            model=MODEL, messages=MSGS, stream=True
                        )
                        async with stream:
                            try:
                                await _drain(stream)
                            except g.APIError:
                                pass

        anyio.run(main, backend=backend)

    check()


# -- 6. poisoned state -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reset",
    [
        "100000000000000000h",  # 1e17 hours: past Go's int64 nanoseconds
        "1e17h",
        "100000h",  # a valid Go duration, but no rate-limit window lasts 11 years
        "2562047h47m16.854775808s",
        "99999999999999999999s",
    ],
)
async def test_an_absurd_rate_limit_reset_does_not_stop_later_calls(
    server: GroqTestServer, reset: str
) -> None:
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": reset}
    server.push(ChatScript("one", headers=headers))
    async with _client(server) as client:
        client._clock = FakeClock()
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        snap = client.rate_limits
        assert snap is not None and snap.reset_requests is None
        assert snap.reset_requests_raw == reset
        c = await client.chat.completions.create(model=MODEL, messages=MSGS)  # sent, not refused
        assert c.choices[0].message.content
        assert server.request_count == 2


@pytest.mark.parametrize("header", ["retry-after", "retry-after-ms"])
async def test_an_absurd_retry_after_does_not_stop_later_calls(
    server: GroqTestServer, header: str
) -> None:
    server.push(ErrorReply(429, headers={header: "1e15"}))
    async with _client(server) as client:
        clock = client._clock = FakeClock()
        with pytest.raises(g.RateLimitError) as info:
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert info.value.retry_after is None  # not a wait anyone should take
        c = await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert c.choices[0].message.content and clock.sleeps == []
        assert server.request_count == 2


async def test_a_fresh_response_replaces_the_snapshot(server: GroqTestServer) -> None:
    server.push(
        ChatScript(
            "one",
            headers={"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "2s"},
        )
    )
    async with _client(server) as client:
        clock = client._clock = FakeClock()
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert clock.sleeps == [pytest.approx(2.0)]  # waited once, for the reset
        snap = client.rate_limits
        assert snap is not None and snap.remaining_tokens != 0  # the fresh one


async def test_caller_caused_failures_neither_trip_the_breaker_nor_retry(
    server: GroqTestServer,
) -> None:
    breaker = g.CircuitBreakerConfig(failure_threshold=1)
    async with _client(server, max_retries=3, circuit_breaker=breaker) as client:
        with pytest.raises(g.InvalidParameterError):
            await client.chat.completions.create(model=MODEL, messages=MSGS, temperature=-1)
        assert client.circuit_breaker is not None
        assert client.circuit_breaker.state == "closed"
        # a failure before sending that is not retryable (the transport's refusal of a header
        # the wire does not allow): not retried, not counted

        real_send = client._transport.send
        calls = 0

        async def refusing_send(*args: Any, **kw: Any) -> Any:
            nonlocal calls
            calls += 1
            error = g.APIConnectionError("the request has a header the wire refuses")
            error.retryable = False
            raise error

        client._transport.send = refusing_send  # type: ignore[method-assign]
        try:
            with pytest.raises(g.APIConnectionError) as info:
                await client.chat.completions.create(model=MODEL, messages=MSGS)
        finally:
            client._transport.send = real_send  # type: ignore[method-assign]
        assert calls == 1 and info.value.attempts == 1
        assert client.circuit_breaker.state == "closed"
        assert client.circuit_breaker.consecutive_failures == 0
        c = await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert c.choices[0].message.content


# -- 7. NaN and infinity ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
async def test_non_finite_floats_are_refused(server: GroqTestServer, value: float) -> None:
    async with _client(server) as client:
        with pytest.raises(g.InvalidParameterError) as info:
            await client.chat.completions.create(
                model=MODEL, messages=MSGS, extra_body={"x": {"y": [1.0, value]}}
            )
        assert info.value.param == "extra_body.x.y[1]"
        tool = {
            "type": "function",
            "function": {
                "name": "f",
                "parameters": {"type": "object", "properties": {"n": {"maximum": value}}},
            },
        }
        with pytest.raises(g.InvalidParameterError) as info:
            await client.chat.completions.create(model=MODEL, messages=MSGS, tools=[tool])
        assert info.value.param.startswith("tools[0].function.parameters")
        assert info.value.param.endswith("maximum")
        with pytest.raises(g.InvalidParameterError, match="extra_body"):
            await client.embeddings.create(model="m", input="x", extra_body={"w": value})
    assert server.request_count == 0


async def test_null_is_still_sent_as_null(server: GroqTestServer) -> None:
    async with _client(server) as client:
        await client.chat.completions.create(
            model=MODEL, messages=MSGS, extra_body={"x": None, "y": "null", "z": 1.5}
        )
    assert server.requests[0].json()["x"] is None


# -- 8. Go durations, 5xx retries, the retry-count header ------------------------------------------


async def test_micro_sign_reset_over_the_wire(server: GroqTestServer) -> None:
    # the header carries UTF-8 bytes; the client reads them as Go does (bytes, not Latin-1 text)
    server.push(
        RawReply(
            200,
            [
                ("content-type", "application/json"),
                ("x-ratelimit-reset-requests", "1500\u00b5s".encode().decode("latin-1")),
                ("x-ratelimit-reset-tokens", "2\u03bcs".encode().decode("latin-1")),
            ],
            b'{"object":"list","data":[]}',
        )
    )
    async with _client(server) as client:
        await client.models.list()
        snap = client.rate_limits
        assert snap is not None and snap.reset_requests is not None
        assert snap.reset_requests - snap.updated_at == pytest.approx(0.0015)
        assert snap.reset_tokens is not None
        assert snap.reset_tokens - snap.updated_at == pytest.approx(2e-6)


@pytest.mark.parametrize("status", [500, 501, 502, 505, 507, 520, 599])
async def test_every_5xx_is_retried(server: GroqTestServer, status: int) -> None:
    server.push(ErrorReply(status), ChatScript("ok"))
    async with _client(server, max_retries=1) as client:
        client._clock = FakeClock()
        c = await client.chat.completions.create(model=MODEL, messages=MSGS)
    assert c.choices[0].message.content == "ok"
    assert server.request_count == 2


async def test_retry_count_header_per_attempt(server: GroqTestServer) -> None:
    server.push(ErrorReply(503), ErrorReply(500), ChatScript("ok"))
    async with _client(server, max_retries=2) as client:
        client._clock = FakeClock()
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        counts = [r.header("x-stainless-retry-count") for r in server.requests]
        assert counts == ["0", "1", "2"]
        # the caller's own value is sent as is, on every attempt (as the official SDK does)
        server.push(ErrorReply(503), ChatScript("ok"))
        await client.chat.completions.create(
            model=MODEL, messages=MSGS, extra_headers={"X-Stainless-Retry-Count": "7"}
        )
        counts = [r.header("x-stainless-retry-count") for r in server.requests[3:]]
        assert counts == ["7", "7"]
        assert all(
            [k for k, _ in r.headers].count("x-stainless-retry-count") == 1 for r in server.requests
        )


# -- Go's time.ParseDuration, exactly ----------------------------------------------------------

_S = 1_000_000_000
_GO_OK = [
    ("0", 0),
    ("-0", 0),
    ("+0", 0),
    ("5s", 5 * _S),
    ("-5s", -5 * _S),
    ("+5s", 5 * _S),
    ("5.0s", 5 * _S),
    ("5.6s", 5_600_000_000),
    ("5.s", 5 * _S),
    (".5s", 500_000_000),
    ("1.004s", 1_004_000_000),
    ("100.00100s", 100_001_000_000),
    ("10ns", 10),
    ("11us", 11_000),
    ("12\u00b5s", 12_000),  # micro sign
    ("12\u03bcs", 12_000),  # Greek mu
    ("13ms", 13_000_000),
    ("15m", 15 * 60 * _S),
    ("16h", 16 * 3600 * _S),
    ("3h30m", (3 * 3600 + 30 * 60) * _S),
    ("10.5s4m", 4 * 60 * _S + 10_500_000_000),
    ("-2m3.4s", -(2 * 60 * _S + 3_400_000_000)),
    ("1h2m3s4ms5us6ns", 3723 * _S + 4_005_006),
    ("39h9m14.425s", (39 * 3600 + 9 * 60 + 14) * _S + 425_000_000),
    ("2m59.56s", 179_560_000_000),
    ("0.3333333333333333333h", 20 * 60 * _S),
    ("0.100000000000000000000h", 6 * 60 * _S),
    ("0.830103483285477580700h", (49 * 60 + 48) * _S + 372_539_827),
    ("0.9223372036854775807h", (55 * 60 + 20) * _S + 413_933_267),
    ("9007199254740993ns", (1 << 53) + 1),
    ("9223372036854775807ns", (1 << 63) - 1),
    ("9223372036854775.807us", (1 << 63) - 1),
    ("9223372036s854ms775us807ns", (1 << 63) - 1),
    ("-9223372036s854ms775us808ns", -(1 << 63)),
    ("2562047h47m16.854775807s", (1 << 63) - 1),
    ("-9223372036854775808ns", -(1 << 63)),
    ("-9223372036854775.808us", -(1 << 63)),
    ("-2562047h47m16.854775808s", -(1 << 63)),
    ("000000000000000000000001s", _S),  # leading zeros do not overflow
    ("1.0000000000000000000000000001s", _S),  # fraction digits past uint64 are ignored
]
_GO_ERRORS = [
    "",
    "3",
    "-",
    "+",
    "s",
    ".",
    "-.",
    ".s",
    "+.s",
    "1d",
    "1 s",
    " 1s",
    "1s ",
    "1S",
    "1h-2m",
    "1.5.5s",
    "1e3s",
    "\u00b5s",
    "1\u00c2\u00b5s",  # the micro sign's UTF-8 bytes read as Latin-1 text
    "9223372036854775808ns",
    "9223372036854775.808us",
    "9223372036854ms775us808ns",
    "-9223372036854775809ns",
    "2562047h47m16.854775808s",
    "3000000h",
    "1e17h",
    "99999999999999999999s",
]


@pytest.mark.parametrize(("text", "ns"), _GO_OK)
def test_go_parse_duration_values(text: str, ns: int) -> None:
    from groq_anyio._ratelimit import parse_go_duration, parse_go_duration_ns

    assert parse_go_duration_ns(text) == ns
    assert parse_go_duration_ns(text.encode()) == ns  # the wire's bytes
    assert parse_go_duration(text) == ns / 1e9


@pytest.mark.parametrize("text", _GO_ERRORS)
def test_go_parse_duration_errors(text: str) -> None:
    from groq_anyio._ratelimit import parse_go_duration, parse_go_duration_ns

    assert parse_go_duration_ns(text) is None
    assert parse_go_duration(text) is None


def test_micro_bytes_not_utf8_are_refused() -> None:
    from groq_anyio._ratelimit import parse_go_duration_ns

    assert parse_go_duration_ns(b"12\xb5s") is None  # a lone Latin-1 micro sign byte
    assert parse_go_duration_ns(b"12\xc2\xb5s") == 12_000
    assert parse_go_duration_ns(b"12\xce\xbcs") == 12_000


def _go_string(d: int) -> str:
    """Go's ``Duration.String()``."""

    def fraction(value: int, digits: int) -> str:
        whole, rest = divmod(value, 10**digits)
        return f"{whole}" + (f".{rest:0{digits}d}".rstrip("0") if rest else "")

    if d == 0:
        return "0s"
    u = abs(d)
    if u < 1_000:
        out = f"{u}ns"
    elif u < 1_000_000:
        out = fraction(u, 3) + "\u00b5s"
    elif u < _S:
        out = fraction(u, 6) + "ms"
    else:
        secs, _ = divmod(u, _S)
        hours, rest = divmod(secs, 3600)
        minutes = rest // 60
        out = f"{hours}h" if hours else ""
        if hours or minutes:
            out += f"{minutes}m"
        out += fraction(u - (hours * 3600 + minutes * 60) * _S, 9) + "s"
    return ("-" if d < 0 else "") + out


@settings(max_examples=500)
@given(st.integers(-(1 << 63), (1 << 63) - 1))
def test_go_duration_string_round_trips_exactly(ns: int) -> None:
    from groq_anyio._ratelimit import parse_go_duration_ns

    assert parse_go_duration_ns(_go_string(ns)) == ns


_UNIT_NS = {"ns": 1, "us": 10**3, "\u00b5s": 10**3, "\u03bcs": 10**3, "ms": 10**6, "s": _S}
_UNIT_NS |= {"m": 60 * _S, "h": 3600 * _S}
_component = st.tuples(
    st.text("0123456789", max_size=22),
    st.one_of(st.none(), st.text("0123456789", max_size=22)),
    st.sampled_from(sorted(_UNIT_NS)),
).filter(lambda c: bool(c[0]) or bool(c[1]))


def _component_ns(whole: str, frac: str | None, unit: str) -> int | None:
    """One component by the rules Go documents: the integer part times the unit (must fit
    2**63), plus the fraction (precision up to uint64) times the unit, truncated."""
    per = _UNIT_NS[unit]
    value = int(whole or "0")
    if value > (1 << 63) // per:
        return None
    value *= per
    if frac:
        digits = frac
        x, scale = 0, 1.0
        for c in digits:
            if x > ((1 << 63) - 1) // 10 or x * 10 + int(c) > (1 << 63):
                break
            x, scale = x * 10 + int(c), scale * 10
        value += int(float(x) * (float(per) / scale))
    return value if value <= (1 << 63) else None


@settings(max_examples=500)
@given(st.lists(_component, min_size=1, max_size=4), st.sampled_from(["", "+", "-"]))
def test_go_duration_components(parts: list[tuple[str, str | None, str]], sign: str) -> None:
    from groq_anyio._ratelimit import parse_go_duration_ns

    text = sign + "".join(w + ("" if f is None else "." + f) + u for w, f, u in parts)
    values = [_component_ns(*p) for p in parts]
    total = 0
    expected: int | None = None
    for v in values:
        if v is None:
            break
        total += v
        if total > (1 << 63):
            break
    else:
        if sign == "-":
            expected = -total
        elif total <= (1 << 63) - 1:
            expected = total
    assert parse_go_duration_ns(text) == expected


@settings(max_examples=500)
@given(st.binary(max_size=24) | st.text(max_size=16))
def test_go_duration_never_raises(data: bytes | str) -> None:
    from groq_anyio._ratelimit import parse_go_duration_ns

    value = parse_go_duration_ns(data)
    assert value is None or -(1 << 63) <= value < (1 << 63)
