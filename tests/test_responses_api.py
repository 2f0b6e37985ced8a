"""The Responses API (``POST /openai/v1/responses``) against the local server, plain and streamed,
on asyncio and trio; plus the sans-IO decoding of bodies and events."""

from __future__ import annotations

import json

import anyio
import msgspec
import pytest

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio.helpers import StructuredOutput, StructuredOutputError, tool_result_message
from groq_anyio.testing import ChatScript, GroqTestServer, RawReply
from groq_anyio.testing._scenarios import ResponsesScript
from groq_anyio.types import responses as rt

from .conftest import TEST_KEY

pytestmark = pytest.mark.anyio

MODEL = "openai/gpt-oss-20b"


class Weather(msgspec.Struct):
    city: str
    celsius: float


# ------------------------------------------------------------------------------------ plain


async def test_plain_response(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text="The moon is drifting away."))
    r = await client.responses.create(model=MODEL, input="Tell me a fact about the moon.")
    assert isinstance(r, rt.Response)
    assert r.output_text == "The moon is drifting away."
    assert r.status == "completed" and r.object == "response" and r.id.startswith("resp_")
    assert r.model == MODEL
    msg = r.output[0]
    assert isinstance(msg, rt.ResponseOutputMessage) and msg.role == "assistant"
    assert isinstance(msg.content[0], rt.ResponseOutputText)
    assert r.usage is not None and r.usage.total_tokens == r.usage.input_tokens + 5
    assert r.request_id is not None and r.request_id.startswith("req_")
    assert r.http_version in ("HTTP/1.1", "HTTP/2")
    assert r.headers["content-type"] == "application/json"
    assert r.timings is not None and r.timings.total is not None
    req = server.requests[-1]
    assert req.method == "POST" and req.path == "/openai/v1/responses"
    assert req.json() == {"model": MODEL, "input": "Tell me a fact about the moon."}
    assert req.header("authorization") == f"Bearer {TEST_KEY}"
    assert client.pool_stats().in_flight == 0


async def test_every_parameter_is_sent(server: GroqTestServer, client: AsyncGroq) -> None:
    tools = [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather of a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    ]
    params = dict(
        instructions="Be brief.",
        tools=tools,
        tool_choice={"type": "function", "name": "get_weather"},
        temperature=0.4,
        top_p=0.9,
        max_output_tokens=256,
        max_tool_calls=3,
        reasoning={"effort": "low"},
        text={"format": {"type": "text"}},
        metadata={"k": "v"},
        parallel_tool_calls=False,
        store=False,
        user="u-1",
        truncation="auto",
        service_tier="flex",
        include=["reasoning.encrypted_content"],
    )
    r = await client.responses.create(
        model=MODEL,
        input=[{"role": "user", "content": "Weather in Paris?"}],
        extra_body={"new_field": 1},
        extra_headers={"X-Trace": "t"},
        **params,  # type: ignore[arg-type]
    )
    sent = server.requests[-1].json()
    for key, value in params.items():
        assert sent[key] == value, key
    assert sent["new_field"] == 1 and "stream" not in sent
    assert server.requests[-1].header("x-trace") == "t"
    # the server echoes the request's settings in the response
    assert r.instructions == "Be brief." and r.metadata == {"k": "v"}
    assert r.max_output_tokens == 256 and r.temperature == 0.4
    assert r.reasoning is not None and r.reasoning.effort == "low"
    assert r.tools is not None and r.tools[0]["name"] == "get_weather"


async def test_input_items_and_structs(server: GroqTestServer, client: AsyncGroq) -> None:
    items = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Yo"}]},
    ]
    await client.responses.create(model=MODEL, input=iter(items))
    assert server.requests[-1].json()["input"] == items


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"model": ""}, "model"),
        ({"input": ""}, "input"),
        ({"input": []}, "input"),
        ({"input": [42]}, "input[0]"),
        ({"input": [{"content": "no role"}]}, "input[0]"),
        ({"input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
        ({"input": [{"role": "user", "content": 3}]}, "input[0].content"),
        ({"input": [{"role": "user", "content": [{"text": "no type"}]}]}, "input[0].content[0]"),
        ({"input": [{"type": "function_call_output", "output": "x"}]}, "input[0].call_id"),
        (
            {"input": [{"type": "function_call_output", "call_id": "c", "output": {}}]},
            "input[0].output",
        ),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": True}, "temperature"),
        ({"top_p": -0.1}, "top_p"),
        ({"max_output_tokens": 0}, "max_output_tokens"),
        ({"tools": [{"name": "f"}]}, "tools[0].type"),
        ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools[0]"),
        ({"tool_choice": "sometimes"}, "tool_choice"),
        ({"tool_choice": {"type": "function", "name": "nope"}}, "tool_choice"),
        ({"reasoning": {"effort": "extreme"}}, "reasoning.effort"),
        ({"reasoning": "low"}, "reasoning"),
        ({"text": {"format": {}}}, "text.format.type"),
        ({"metadata": {str(i): "v" for i in range(17)}}, "metadata"),
        ({"metadata": {"k": 1}}, "metadata"),
        ({"store": "no"}, "store"),
        ({"truncation": "middle"}, "truncation"),
        ({"include": "x"}, "include"),
        ({"stream": "yes"}, "stream"),
        ({"text_format": 42}, "text_format"),
        ({"text": "plain", "text_format": Weather}, "text"),
    ],
)
async def test_validation_fails_before_sending(
    server: GroqTestServer, client: AsyncGroq, kwargs: dict[str, object], param: str
) -> None:
    args: dict[str, object] = {"model": MODEL, "input": "hi", **kwargs}
    with pytest.raises(g.InvalidParameterError) as info:
        await client.responses.create(**args)  # type: ignore[call-overload]
    assert info.value.param == param
    assert server.requests == []


async def test_http_errors_are_typed(server: GroqTestServer, client: AsyncGroq) -> None:
    # Groq's Responses API is stateless: the local server answers like Groq does
    with pytest.raises(g.BadRequestError) as info:
        await client.responses.create(model=MODEL, input="hi", previous_response_id="resp_x")
    assert "previous_response_id" in str(info.value)
    with pytest.raises(g.BadRequestError):
        await client.responses.create(model=MODEL, input="hi", store=True)
    server.push(ChatScript(stream_error={"message": "slow down", "status_code": 429}))
    with pytest.raises(g.RateLimitError):
        await client.responses.create(model=MODEL, input="hi")


async def test_failed_and_incomplete(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ResponsesScript(text="cut", status="incomplete"))
    r = await client.responses.create(model=MODEL, input="hi")
    assert r.status == "incomplete"
    assert r.incomplete_details is not None and r.incomplete_details.reason == "max_output_tokens"
    server.push(
        ResponsesScript(status="failed", failure={"code": "rate_limit_exceeded", "message": "busy"})
    )
    with pytest.raises(g.RateLimitError) as info:
        await client.responses.create(model=MODEL, input="hi")
    assert isinstance(info.value.partial, rt.Response) and info.value.partial.status == "failed"
    assert info.value.code == "rate_limit_exceeded"


async def test_text_format_parses_output(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text='{"city": "Oslo", "celsius": -3.5}'))
    r = await client.responses.create(model=MODEL, input="Weather?", text_format=Weather)
    assert r.output_parsed == Weather(city="Oslo", celsius=-3.5)
    fmt = server.requests[-1].json()["text"]["format"]
    assert fmt["type"] == "json_schema" and fmt["name"] == "Weather"
    assert fmt["schema"]["type"] == "object" and set(fmt["schema"]["required"]) == {
        "city",
        "celsius",
    }
    server.push(ChatScript(text='{"city": "Oslo"}'))
    spec = StructuredOutput(Weather, name="weather", strict=True)
    with pytest.raises(StructuredOutputError) as info:
        await client.responses.create(
            model=MODEL, input="Weather?", text_format=spec, text={"verbosity": "low"}
        )
    assert info.value.content == '{"city": "Oslo"}'
    sent = server.requests[-1].json()["text"]
    assert sent["verbosity"] == "low" and sent["format"]["strict"] is True
    assert sent["format"]["schema"]["additionalProperties"] is False


async def test_function_call_round_trip(server: GroqTestServer, client: AsyncGroq) -> None:
    call = {"id": "call_1", "name": "get_weather", "arguments": {"city": "Oslo"}}
    server.push(ChatScript(tool_calls=[call]), ChatScript(text="It is cold in Oslo."))
    tools = [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}]
    history: list[dict[str, object]] = [{"role": "user", "content": "Weather in Oslo?"}]
    r = await client.responses.create(model=MODEL, input=history, tools=tools)
    [fc] = r.function_calls
    assert fc.call_id == "call_1" and json.loads(fc.arguments) == {"city": "Oslo"}
    assert r.output_text == ""
    history += r.to_input_items()
    history.append(tool_result_message(fc, {"celsius": -3}))
    r2 = await client.responses.create(model=MODEL, input=history, tools=tools)
    assert r2.output_text == "It is cold in Oslo."
    sent = server.requests[-1].json()["input"]
    assert sent[1] == {
        "type": "function_call",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city":"Oslo"}',
    }
    assert sent[2] == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": '{"celsius":-3}',
    }


# ----------------------------------------------------------------------------------- streamed


async def _events(stream: g.ResponseStream) -> list[rt.ResponseStreamEvent]:
    out = []
    async with stream:
        async for event in stream:
            out.append(event)
    return out


@pytest.mark.parametrize("transport", ["http1", "h2c"])
async def test_streamed_response(server: GroqTestServer, transport: str) -> None:
    http1 = transport == "http1"
    async with AsyncGroq(
        api_key=TEST_KEY, base_url=server.base_url, http1=http1, http2=not http1
    ) as client:
        server.push(ChatScript(text="one two three four"))
        stream = await client.responses.create(model=MODEL, input="count", stream=True)
        assert isinstance(stream, g.ResponseStream)
        events = await _events(stream)
        kinds = [e.type for e in events]
        assert kinds[:4] == [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
        ]
        assert kinds[-1] == "response.completed"
        deltas = [e.delta for e in events if isinstance(e, rt.ResponseTextDeltaEvent)]
        assert "".join(deltas) == "one two three four" and len(deltas) == 4
        assert [e.sequence_number for e in events] == list(range(len(events)))
        final = stream.get_final_response()
        assert final.output_text == "one two three four" and final.status == "completed"
        completed = events[-1]
        assert isinstance(completed, rt.ResponseCompletedEvent) and completed.response == final
        assert stream.output_text == "one two three four"
        assert stream.http_version == ("HTTP/1.1" if http1 else "HTTP/2")
        assert stream.request_id is not None and stream.status_code == 200
        t = stream.timings
        assert t.response_headers <= t.first_chunk <= t.first_content_chunk <= t.last_chunk  # type: ignore[operator]
        sent = server.requests[-1]
        assert sent.json()["stream"] is True and sent.header("accept") == "text/event-stream"
        assert stream.closed and client.pool_stats().in_flight == 0


async def test_stream_reasoning_tools_unknown_events_and_done(
    server: GroqTestServer, client: AsyncGroq
) -> None:
    server.push(
        ResponsesScript(
            text="Checking.",
            reasoning="The user wants weather.",
            tool_calls=[
                {"id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}},
                {"id": "c2", "name": "get_weather", "arguments": {"city": "Rome, Italy"}},
            ],
            extra_events=[{"type": "response.brand_new_thing", "value": 7}],
            done_marker=True,
        )
    )
    stream = await client.responses.create(model=MODEL, input="weather", stream=True)
    events = await _events(stream)
    others = [e for e in events if isinstance(e, rt.ResponseStreamEventOther)]
    assert len(others) == 1 and others[0].type == "response.brand_new_thing"
    assert others[0].data["value"] == 7 and others[0].sequence_number == 2
    reasoning = [e.delta for e in events if isinstance(e, rt.ResponseReasoningTextDeltaEvent)]
    assert "".join(reasoning) == "The user wants weather."
    final = stream.get_final_response()
    assert final.reasoning_text == "The user wants weather."
    assert [json.loads(c.arguments) for c in final.function_calls] == [
        {"city": "Paris"},
        {"city": "Rome, Italy"},
    ]
    assert final.output_text == "Checking."
    assert client.pool_stats().in_flight == 0


async def test_snapshot_mid_stream(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text="a b c d e f", tool_calls=None))
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    async with stream:
        seen = 0
        async for event in stream:
            if isinstance(event, rt.ResponseTextDeltaEvent):
                seen += 1
                if seen == 3:
                    snap = stream.get_final_response()
                    assert snap.output_text == "a b c" and snap.status == "in_progress"
                    break
    assert stream.closed and client.pool_stats().in_flight == 0


@pytest.mark.parametrize("style", ["event", "data"])
async def test_in_band_errors(server: GroqTestServer, client: AsyncGroq, style: str) -> None:
    error = {"message": "Rate limit reached", "code": "rate_limit_exceeded", "status_code": 429}
    server.push(
        ChatScript(
            text="one two three",
            stream_error=error,
            stream_error_after=2,
            stream_error_style=style,  # type: ignore[arg-type]
        )
    )
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    deltas = []
    with pytest.raises(g.RateLimitError) as info:
        async with stream:
            async for event in stream:
                if isinstance(event, rt.ResponseTextDeltaEvent):
                    deltas.append(event.delta)
    err = info.value
    assert err.in_stream and err.status_code == 429 and err.code == "rate_limit_exceeded"
    assert err.request_id == stream.request_id
    assert deltas == ["one", " two"]
    assert isinstance(err.partial, rt.Response) and err.partial.output_text == "one two"
    assert stream.closed and client.pool_stats().in_flight == 0


async def test_in_band_error_without_status(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(stream_error={"message": "boom"}, stream_error_style="event"))
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    with pytest.raises(g.InternalServerError):
        await _events(stream)


async def test_stream_failed_and_incomplete(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ResponsesScript(text="partial answer", status="incomplete"))
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    events = await _events(stream)
    assert isinstance(events[-1], rt.ResponseIncompleteEvent)
    assert stream.get_final_response().status == "incomplete"
    server.push(ResponsesScript(text="oops", status="failed"))
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    with pytest.raises(g.InternalServerError) as info:
        await _events(stream)
    assert info.value.code == "server_error" and info.value.in_stream
    assert stream.get_final_response().status == "failed"
    assert client.pool_stats().in_flight == 0


async def test_stream_text_format(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text='{"city": "Lima", "celsius": 19}'))
    stream = await client.responses.create(model=MODEL, input="x", stream=True, text_format=Weather)
    await _events(stream)
    assert stream.get_final_response().output_parsed == Weather(city="Lima", celsius=19.0)


async def test_cut_short_stream_is_an_error(server: GroqTestServer, client: AsyncGroq) -> None:
    created = {
        "type": "response.created",
        "sequence_number": 0,
        "response": {"id": "r", "object": "response", "created_at": 1, "model": "m"},
    }
    body = [b"event: response.created\ndata: " + json.dumps(created).encode() + b"\n\n"]
    server.push(RawReply(200, {"content-type": "text/event-stream"}, body))
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    with pytest.raises(g.APIConnectionError, match="cut short"):
        await _events(stream)


async def test_garbage_event_is_a_validation_error(
    server: GroqTestServer, client: AsyncGroq
) -> None:
    body = [b'data: {"type": "response.output_text.delta"}\n\n']
    server.push(RawReply(200, {"content-type": "text/event-stream"}, body))
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    with pytest.raises(g.APIResponseValidationError):
        await _events(stream)
    assert stream.closed


async def test_early_exit_and_cancel_release(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(chunks=200, chunk_delay=0.005))
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    async with stream:
        async for _ in stream:
            break
    assert stream.closed and client.pool_stats().in_flight == 0
    server.push(ChatScript(chunks=100, chunk_delay=0.02))
    with anyio.move_on_after(0.15) as scope:
        stream = await client.responses.create(model=MODEL, input="x", stream=True)
        async with stream:
            async for _ in stream:
                pass
    assert scope.cancelled_caught
    assert stream.closed and client.pool_stats().in_flight == 0
    server.push(ChatScript(chunks=50, chunk_delay=0.01))
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    with pytest.raises(ZeroDivisionError):
        async with stream:
            async for _ in stream:
                1 / 0  # noqa: B018
    assert stream.closed and client.pool_stats().in_flight == 0
    # the client still works, and iterating a closed stream fails cleanly
    r = await client.responses.create(model=MODEL, input="x")
    assert r.output_text
    with pytest.raises((g.ClientClosedError, StopAsyncIteration)):
        await stream.__anext__()


async def test_finished_stream_keeps_connection(server: GroqTestServer) -> None:
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, http2=False) as client:
        for _ in range(3):
            await _events(await client.responses.create(model=MODEL, input="x", stream=True))
        stream = await client.responses.create(model=MODEL, input="x", stream=True)
        async with stream:
            async for event in stream:
                if event.type == "response.completed":
                    break
        assert server.connections_opened == 1


# ------------------------------------------------------------------------------------ sans-IO


def test_unknown_items_and_parts_are_kept() -> None:
    body = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1754400695,
        "model": "m",
        "status": "completed",
        "output": [
            {"type": "mcp_call", "id": "mcp_1", "server_label": "docs"},
            {
                "type": "message",
                "role": "assistant",
                "content": [
                    {"type": "output_text", "text": "Hi", "annotations": []},
                    {"type": "output_audio", "data": "..."},
                    {"type": "refusal", "refusal": "no"},
                ],
            },
        ],
        "new_top_level_field": {"x": 1},
    }
    r = rt.decode_response(json.dumps(body))
    other = r.output[0]
    assert isinstance(other, rt.ResponseOutputItemOther) and other.type == "mcp_call"
    assert other.data["server_label"] == "docs"
    msg = r.output[1]
    assert isinstance(msg, rt.ResponseOutputMessage)
    assert isinstance(msg.content[1], rt.ResponseOutputContentOther)
    assert isinstance(msg.content[2], rt.ResponseOutputRefusal)
    assert r.output_text == "Hi" and r.to_input_items() == [{"role": "assistant", "content": "Hi"}]
    assert r.to_dict()["output"][1]["content"][0] == {
        "type": "output_text",
        "text": "Hi",
        "annotations": [],
    }
    with pytest.raises(msgspec.DecodeError):
        rt.decode_response(b'{"id": "r"}')
    with pytest.raises(msgspec.DecodeError):
        rt.decode_response(
            b'{"id":"r","object":"response","created_at":1,"model":"m","output":[1]}'
        )


def test_event_decoding() -> None:
    ev = rt.decode_stream_event(b'{"type":"response.output_text.delta","delta":"x"}')
    assert isinstance(ev, rt.ResponseTextDeltaEvent) and ev.delta == "x" and ev.output_index == 0
    ev = rt.decode_stream_event(b'{"type":"response.mystery","a":[1]}')
    assert isinstance(ev, rt.ResponseStreamEventOther) and ev.data == {
        "type": "response.mystery",
        "a": [1],
    }
    assert ev.sequence_number is None
    ev = rt.decode_stream_event(
        b'{"type":"response.output_item.added","output_index":0,'
        b'"item":{"type":"web_search_call","id":"ws"}}'
    )
    assert isinstance(ev, rt.ResponseOutputItemAddedEvent)
    assert isinstance(ev.item, rt.ResponseOutputItemOther)
    for bad in (b"nope", b'{"no_type": 1}', b'{"type": "response.output_text.delta"}', b"[1]"):
        with pytest.raises(msgspec.DecodeError):
            rt.decode_stream_event(bad)


async def test_error_before_the_first_event_is_retried(server: GroqTestServer) -> None:
    error = b'{"type":"error","code":"server_error","message":"busy","status_code":503}'
    body = [b"event: error\ndata: " + error + b"\n\n"]
    server.push(
        RawReply(200, {"content-type": "text/event-stream"}, body), ChatScript(text="ok then")
    )
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, max_retries=1) as client:
        stream = await client.responses.create(model=MODEL, input="x", stream=True)
        await _events(stream)
        assert stream.get_final_response().output_text == "ok then"
        assert stream.timings.attempts == 2 and len(server.requests) == 2
        # without retries left, the first-event error is raised by the iteration, typed
        server.push(RawReply(200, {"content-type": "text/event-stream"}, body))
        stream = await client.with_options(max_retries=0).responses.create(
            model=MODEL, input="x", stream=True
        )
        with pytest.raises(g.ServiceUnavailableError) as info:
            await _events(stream)
        assert info.value.message == "busy" and info.value.code == "server_error"
        assert client.pool_stats().in_flight == 0


async def test_idle_stream_times_out(server: GroqTestServer) -> None:
    async with AsyncGroq(
        api_key=TEST_KEY, base_url=server.base_url, stream_idle_timeout=0.2
    ) as client:
        server.push(ChatScript(text="a b c", chunk_delay=2.0))
        stream = await client.responses.create(model=MODEL, input="x", stream=True)
        with anyio.fail_after(5):
            with pytest.raises(g.APITimeoutError, match="stalled"):
                await _events(stream)
        assert stream.closed and client.pool_stats().in_flight == 0
