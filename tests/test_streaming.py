"""Streamed chat completions: chunks, final completion, in-band errors, release of connections."""

from __future__ import annotations

import json
import random

import anyio
import pytest

import groq_anyio as g
from groq_anyio import AsyncGroq, ChatStream
from groq_anyio.testing import ChatScript, GroqTestServer, RawReply

from .conftest import TEST_KEY

pytestmark = pytest.mark.anyio

MSGS = [{"role": "user", "content": "Hi"}]
MODEL = "llama-3.3-70b-versatile"


async def _collect(stream: ChatStream) -> str:
    parts = []
    async with stream:
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    parts.append(choice.delta.content)
    return "".join(parts)


@pytest.mark.parametrize("transport", ["http1", "h2c"])
async def test_stream_text_and_final(server: GroqTestServer, transport: str) -> None:
    http1 = transport == "http1"
    async with AsyncGroq(
        api_key=TEST_KEY, base_url=server.base_url, http1=http1, http2=not http1
    ) as client:
        server.push(ChatScript(text="one two three four five"))
        stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        assert isinstance(stream, ChatStream)
        text = await _collect(stream)
        assert text == "one two three four five"
        final = stream.get_final_completion()
        assert final.choices[0].message.content == text
        assert final.choices[0].finish_reason == "stop"
        assert final.usage is not None and final.usage.completion_tokens > 0
        assert final.object == "chat.completion"
        assert stream.http_version == ("HTTP/1.1" if http1 else "HTTP/2")
        t = stream.timings
        assert (
            t.request_start
            <= t.response_headers
            <= t.first_chunk
            <= t.first_content_chunk
            <= t.last_chunk
        )  # type: ignore[operator]
        assert server.requests[-1].json()["stream"] is True
        assert server.requests[-1].header("accept") == "text/event-stream"
        assert client.pool_stats().in_flight == 0


@pytest.mark.parametrize("usage_style", ["x_groq", "usage", "both", "trailing"])
async def test_usage_found_wherever_groq_puts_it(
    server: GroqTestServer, client: AsyncGroq, usage_style: str
) -> None:
    server.push(ChatScript(text="a b c", usage_style=usage_style))  # type: ignore[arg-type]
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    await _collect(stream)
    usage = stream.get_final_completion().usage
    assert usage is not None and usage.completion_tokens == 3
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


async def test_streamed_tool_calls(server: GroqTestServer, client: AsyncGroq) -> None:
    calls = [
        {"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}},
        {"name": "get_time", "arguments": {"tz": "Europe/Paris"}},
    ]
    server.push(ChatScript(text="", tool_calls=calls))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    await _collect(stream)
    final = stream.get_final_completion()
    tc = final.choices[0].message.tool_calls
    assert tc is not None and [c.function.name for c in tc] == ["get_weather", "get_time"]
    assert [json.loads(c.function.arguments) for c in tc] == [c["arguments"] for c in calls]
    assert all(c.id for c in tc)
    assert final.choices[0].finish_reason == "tool_calls"


async def test_streamed_reasoning(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text="42", reasoning="think think"))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    await _collect(stream)
    msg = stream.get_final_completion().choices[0].message
    assert msg.reasoning == "think think" and msg.content == "42"


@pytest.mark.parametrize("style", ["data", "event", "x_groq"])
async def test_in_band_errors(server: GroqTestServer, client: AsyncGroq, style: str) -> None:
    server.push(
        ChatScript(
            text="w1 w2 w3 w4 w5",
            stream_error={
                "message": "model overloaded",
                "type": "internal_server_error",
                "code": "overloaded",
                "status_code": 503,
            },
            stream_error_after=2,
            stream_error_style=style,  # type: ignore[arg-type]
        )
    )
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    got = []
    with pytest.raises(g.ServiceUnavailableError) as info:
        async with stream:
            async for chunk in stream:
                got.extend(c.delta.content or "" for c in chunk.choices)
    err = info.value
    assert err.in_stream and err.status_code == 503 and err.code == "overloaded"
    assert err.type == "internal_server_error" and err.message == "model overloaded"
    assert err.partial is not None
    assert err.partial.choices[0].message.content == "".join(got)
    assert "w1" in "".join(got)
    assert stream.closed
    assert client.pool_stats().in_flight == 0


async def test_in_band_error_without_status_is_500(
    server: GroqTestServer, client: AsyncGroq
) -> None:
    body = b'data: {"error": {"message": "oops", "type": "server_error"}}\n\n'
    server.push(RawReply(status=200, headers={"content-type": "text/event-stream"}, body=body))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    with pytest.raises(g.InternalServerError) as info:
        await _collect(stream)
    assert info.value.in_stream and info.value.message == "oops"


async def test_http_error_before_stream(server: GroqTestServer, client: AsyncGroq) -> None:
    from groq_anyio.testing import ErrorReply

    server.push(
        ErrorReply(status=404, message="The model `x` does not exist", code="model_not_found")
    )
    with pytest.raises(g.ModelNotFoundError):
        await client.chat.completions.create(model="x", messages=MSGS, stream=True)
    assert client.pool_stats().in_flight == 0


async def test_truncated_stream_is_an_error(server: GroqTestServer, client: AsyncGroq) -> None:
    chunk = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": MODEL,
        "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}],
    }
    body = b"data: " + json.dumps(chunk).encode() + b"\n\n"
    server.push(RawReply(status=200, headers={"content-type": "text/event-stream"}, body=body))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    with pytest.raises(g.APIConnectionError, match="before \\[DONE\\]"):
        await _collect(stream)


async def test_comments_and_other_events_are_skipped(
    server: GroqTestServer, client: AsyncGroq
) -> None:
    chunk = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": MODEL,
        "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}],
    }
    body = (
        b"\xef\xbb\xbf: keep-alive\r\n\r\nevent: ping\r\ndata: {}\r\n\r\n"
        + b"data: "
        + json.dumps(chunk).encode()
        + b"\r\n\r\ndata: [DONE]\r\n\r\n"
    )
    server.push(
        RawReply(
            status=200,
            headers={"content-type": "text/event-stream"},
            body=[body[:7], body[7:30], body[30:]],
        )
    )
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    assert await _collect(stream) == "hi"


async def test_early_exit_releases(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(chunks=200, chunk_delay=0.005))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    async with stream:
        async for _ in stream:
            break
    assert stream.closed
    assert client.pool_stats().in_flight == 0
    # the client works afterwards
    c = await client.chat.completions.create(model=MODEL, messages=MSGS)
    assert c.choices[0].message.content


async def test_consumer_exception_releases(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(chunks=50, chunk_delay=0.01))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    with pytest.raises(ZeroDivisionError):
        async with stream:
            async for _ in stream:
                1 / 0  # noqa: B018
    assert stream.closed and client.pool_stats().in_flight == 0


async def test_cancel_mid_stream_releases(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(chunks=100, chunk_delay=0.02))
    with anyio.move_on_after(0.15):
        stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        async with stream:
            async for _ in stream:
                pass
    assert client.pool_stats().in_flight == 0


async def test_finished_stream_keeps_connection(server: GroqTestServer) -> None:
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, http2=False) as client:
        for _ in range(3):
            stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
            await _collect(stream)
        # leaving after the finish chunk but before [DONE] also keeps it
        stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        async with stream:
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].finish_reason:
                    break
        assert server.connections_opened == 1


async def test_stream_iteration_after_close(server: GroqTestServer, client: AsyncGroq) -> None:
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    await stream.aclose()
    with pytest.raises((g.ClientClosedError, StopAsyncIteration)):
        await stream.__anext__()


@pytest.mark.parametrize("http2", [False, True])
async def test_abandoned_streams_do_not_leak(server: GroqTestServer, http2: bool) -> None:
    """1,000 streams abandoned at random points: the pool never exceeds its limit, nothing stuck."""
    rng = random.Random(1234)
    limit = 8
    async with AsyncGroq(
        api_key=TEST_KEY,
        base_url=server.base_url,
        http1=not http2,
        http2=http2,
        max_connections=limit,
        max_retries=0,
        timeout=20,
    ) as client:
        server.default = ChatScript(chunks=12, chunk_delay=0.0)

        async def one(i: int) -> None:
            stop_at = rng.randrange(-1, 14)
            mode = rng.choice(["break", "raise", "cancel"])
            try:
                with anyio.CancelScope() as scope:
                    stream = await client.chat.completions.create(
                        model=MODEL, messages=MSGS, stream=True
                    )
                    async with stream:
                        n = 0
                        async for _ in stream:
                            n += 1
                            if n == stop_at:
                                if mode == "break":
                                    break
                                if mode == "raise":
                                    raise KeyError(i)
                                scope.cancel()
                                await anyio.sleep(0)
            except KeyError:
                pass
            stats = client.pool_stats()
            assert stats.connections <= limit

        async with anyio.create_task_group() as tg:
            for i in range(1000):
                tg.start_soon(one, i)
                if i % 50 == 49:
                    await anyio.sleep(0.01)
        stats = client.pool_stats()
        assert stats.in_flight == 0 and stats.waiting == 0
        assert stats.connections <= limit
        # nothing stuck: a fresh request completes promptly
        with anyio.fail_after(5):
            c = await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert c.choices[0].message.content


async def test_abandoned_h2_streams_are_reset(server: GroqTestServer) -> None:
    """Abandoned HTTP/2 streams must be reset: otherwise their unread data eats the shared
    connection's flow-control window (16 MiB) until every stream on it stalls."""
    async with AsyncGroq(
        api_key=TEST_KEY,
        base_url=server.base_url,
        http1=False,
        http2=True,
        max_connections=1,
        max_retries=0,
        timeout=10,
    ) as client:
        # each answer is ~2.6 MB; 12 abandoned ones exceed the connection window without resets
        server.default = ChatScript(chunks=10_000)
        for _ in range(12):
            stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
            async with stream:
                async for _chunk in stream:
                    break
        server.default = ChatScript(text="still flowing")
        with anyio.fail_after(5):
            c = await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert c.choices[0].message.content == "still flowing"
        assert server.connections_opened == 1
        assert client.pool_stats().in_flight == 0
        with anyio.fail_after(5):
            while server.active_requests:
                await anyio.sleep(0.01)


# --------------------------------------------------------------------------------------------
# Batches: a read of plain `data:` events is decoded by one msgspec call (the run fast path)
# --------------------------------------------------------------------------------------------


def _chunk_event(content: str | None = None, **extra: object) -> bytes:
    chunk: dict[str, object] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": MODEL,
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
    }
    chunk.update(extra)
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def _sse(pieces: list[bytes]) -> RawReply:
    # the first piece alone, then one read per piece (a stream's first read takes the slow
    # path, which also checks for a byte order mark)
    return RawReply(
        status=200, headers={"content-type": "text/event-stream"}, body=pieces, chunk_delay=0.05
    )


class _RunSpy:
    """Counts the reads that the run fast path took."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from groq_anyio._sse import SSEScanner

        self.runs = 0
        real = SSEScanner.feed_json_run

        def spy(scanner: SSEScanner, chunk: bytes) -> tuple[bytes, bytes, int] | None:
            run = real(scanner, chunk)
            self.runs += run is not None
            return run

        monkeypatch.setattr(SSEScanner, "feed_json_run", spy)


async def test_batched_reads_deliver_every_chunk_in_order(
    server: GroqTestServer, client: AsyncGroq, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = _RunSpy(monkeypatch)
    words = [f"w{i} " for i in range(300)]
    run = b"".join(_chunk_event(w) for w in words[1:])
    finish = _chunk_event(None, x_groq={"id": "req_1", "usage": {"total_tokens": 9}})
    finish = finish.replace(b'"finish_reason": null', b'"finish_reason": "stop"')
    server.push(_sse([_chunk_event(words[0]), run, finish + b"data: [DONE]\n\n"]))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    assert await _collect(stream) == "".join(words)
    final = stream.get_final_completion()
    assert final.choices[0].finish_reason == "stop"
    assert final.usage is not None and final.usage.total_tokens == 9
    assert spy.runs >= 1  # the 299-event read went through the run path
    assert client.pool_stats().in_flight == 0


async def test_in_band_error_inside_a_batch_keeps_the_raw_error(
    server: GroqTestServer, client: AsyncGroq, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = _RunSpy(monkeypatch)
    error = {
        "message": "tool call validation failed",
        "type": "invalid_request_error",
        "code": "tool_use_failed",
        "failed_generation": "<function=x>{}",
        "status_code": 400,
        "not_a_known_field": 1,
    }
    run = b"".join(_chunk_event(f"b{i} ") for i in range(5))
    run += _chunk_event(None, error=error) + _chunk_event("never ")
    server.push(_sse([_chunk_event("a "), run]))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    got: list[str] = []
    with pytest.raises(g.ToolUseFailedError) as info:
        async with stream:
            async for chunk in stream:
                got.append(chunk.choices[0].delta.content or "")
    assert spy.runs == 1
    assert "".join(got) == "a b0 b1 b2 b3 b4 "  # everything before the error, nothing after
    err = info.value
    assert err.in_stream and err.failed_generation == "<function=x>{}"
    assert err.partial is not None and err.partial.choices[0].message.content == "".join(got)
    assert client.pool_stats().in_flight == 0


async def test_undecodable_event_inside_a_run_is_reported_in_place(
    server: GroqTestServer, client: AsyncGroq
) -> None:
    run = _chunk_event("b ") + b'data: {"choices": 7}\n\n' + _chunk_event("never ")
    server.push(_sse([_chunk_event("a "), run]))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    got: list[str] = []
    with pytest.raises(g.APIResponseValidationError, match="not a chat completion chunk"):
        async with stream:
            async for chunk in stream:
                got.append(chunk.choices[0].delta.content or "")
    assert got == ["a ", "b "]
    assert client.pool_stats().in_flight == 0


async def test_leaving_in_the_middle_of_a_batch_closes_the_connection(
    server: GroqTestServer, client: AsyncGroq
) -> None:
    run = b"".join(_chunk_event(f"b{i} ") for i in range(50))
    server.push(_sse([_chunk_event("a "), run, b"data: [DONE]\n\n"]))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    async with stream:
        async for chunk in stream:
            if chunk.choices[0].delta.content == "b3 ":
                break
    assert stream.closed
    assert stream.get_final_completion().choices[0].message.content == "a b0 b1 b2 b3 "
    with pytest.raises((g.ClientClosedError, StopAsyncIteration)):  # no buffered "b4 "
        await stream.__anext__()
    assert client.pool_stats().in_flight == 0


async def test_an_event_holding_two_json_values_is_not_two_chunks(
    server: GroqTestServer, client: AsyncGroq
) -> None:
    two = _chunk_event("x ")[6:-2] + b", " + _chunk_event("y ")[6:-2]  # `{...}, {...}`
    run = _chunk_event("b ") + b"data: " + two + b"\n\n" + _chunk_event("never ")
    server.push(_sse([_chunk_event("a "), run]))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    got: list[str] = []
    with pytest.raises(g.APIResponseValidationError, match="not a chat completion chunk"):
        async with stream:
            async for chunk in stream:
                got.append(chunk.choices[0].delta.content or "")
    assert got == ["a ", "b "]


async def test_a_long_read_is_decoded_in_pieces_cut_after_events(
    server: GroqTestServer, client: AsyncGroq, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a read longer than _PIECE is scanned and decoded piece by piece (smaller batches stay in
    # the CPU caches); with the piece made small every read of this stream is cut many times
    import groq_anyio._streaming as streaming

    monkeypatch.setattr(streaming, "_PIECE", 1000)
    spy = _RunSpy(monkeypatch)
    words = [f"w{i} " for i in range(300)]
    run = b"".join(_chunk_event(w) for w in words[1:])
    finish = _chunk_event(None, x_groq={"id": "req_1", "usage": {"total_tokens": 9}})
    finish = finish.replace(b'"finish_reason": null', b'"finish_reason": "stop"')
    server.push(_sse([_chunk_event(words[0]), run, finish + b"data: [DONE]\n\n"]))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    assert await _collect(stream) == "".join(words)
    assert spy.runs >= len(run) // 1000  # pieces of at most ~1000 bytes, each one run
    final = stream.get_final_completion()
    assert final.choices[0].message.content == "".join(words)
    assert final.usage is not None and final.usage.total_tokens == 9
    times = stream.timings.chunk_times
    assert times is not None and len(times) == 301  # one stamp per chunk, pieces included
    assert client.pool_stats().in_flight == 0


async def test_an_in_band_error_in_a_later_piece_of_a_read(
    server: GroqTestServer, client: AsyncGroq, monkeypatch: pytest.MonkeyPatch
) -> None:
    import groq_anyio._streaming as streaming

    monkeypatch.setattr(streaming, "_PIECE", 700)
    error = {"message": "over capacity", "type": "server_error", "status_code": 503}
    run = b"".join(_chunk_event(f"b{i} ") for i in range(40))
    run += _chunk_event(None, error=error) + _chunk_event("never ")
    server.push(_sse([_chunk_event("a "), run]))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    got: list[str] = []
    with pytest.raises(g.APIStatusError) as info:
        async with stream:
            async for chunk in stream:
                got.append(chunk.choices[0].delta.content or "")
    assert "".join(got) == "a " + "".join(f"b{i} " for i in range(40))
    assert info.value.status_code == 503 and info.value.in_stream
    assert client.pool_stats().in_flight == 0


async def test_the_snapshot_inside_a_batch_holds_exactly_the_chunks_handed_out(
    server: GroqTestServer, client: AsyncGroq, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a batch is folded into the accumulator in one call; looking at it in between folds
    # what was handed out so far, and nothing more
    spy = _RunSpy(monkeypatch)
    run = b"".join(_chunk_event(f"b{i} ") for i in range(30))
    server.push(_sse([_chunk_event("a "), run, b"data: [DONE]\n\n"]))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    seen = ""
    async with stream:
        async for chunk in stream:
            seen += chunk.choices[0].delta.content or ""
            assert stream.current_completion_snapshot().choices[0].message.content == seen
    assert spy.runs >= 1  # the 30-event read went through the run path (as a batch)
    assert stream.get_final_completion().choices[0].message.content == seen
    assert seen == "a " + "".join(f"b{i} " for i in range(30))


async def test_leaving_right_after_the_finish_chunk_of_a_batch_keeps_the_connection(
    server: GroqTestServer, client: AsyncGroq
) -> None:
    # the finish_reason is seen when the stream closes (the batch is folded then): only the
    # tail is left, so the connection is drained and pooled, not closed
    finish = _chunk_event(None).replace(b'"finish_reason": null', b'"finish_reason": "stop"')
    run = b"".join(_chunk_event(f"b{i} ") for i in range(20)) + finish
    server.push(_sse([_chunk_event("a "), run, b"data: [DONE]\n\n"]))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    async with stream:
        async for chunk in stream:
            if chunk.choices[0].finish_reason == "stop":
                break
    final = stream.get_final_completion()
    assert final.choices[0].finish_reason == "stop"
    assert client.pool_stats().in_flight == 0
    assert client.pool_stats().idle == 1  # drained and kept
