"""OpenTelemetry spans and metrics, checked with the SDK's in-memory exporter and reader.

Every call is a real request to the local server (HTTP/1.1, and HTTP/2 for the plain call), on
asyncio and trio. The attribute sets asserted here are the ones docs/observability.md lists.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from groq_anyio import AsyncGroq, BadRequestError, InternalServerError
from groq_anyio._telemetry import Telemetry
from groq_anyio.testing import ChatScript, ErrorReply, GroqTestServer, Stall

pytestmark = pytest.mark.anyio

MODEL = "llama-3.3-70b-versatile"
MESSAGES = [{"role": "user", "content": "Hello there"}]
KEY = "gsk_telemetry_test_key_0123456789"

#: the call span of a successful chat completion (docs/observability.md, "Call span")
CALL_KEYS = {
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "server.address",
    "server.port",
    "gen_ai.response.id",
    "gen_ai.response.model",
    "gen_ai.response.finish_reasons",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "groq.request_id",
    "groq.tokens.prompt",
    "groq.tokens.completion",
    "groq.latency_ms",
    "groq.queue_time",
    "groq.prompt_time",
    "groq.completion_time",
    "groq.total_time",
    "groq.retries",
    "groq.rate_limit.remaining_requests",
    "groq.rate_limit.remaining_tokens",
    "groq.circuit_state",
}
#: what a stream's call span has on top
STREAM_KEYS = {
    "groq.stream",
    "groq.stream.chunks",
    "groq.stream.content_length",
    "groq.stream.outcome",
    "groq.stream.duration",
    "gen_ai.response.time_to_first_chunk",
    "groq.stream.time_to_first_token",
    "groq.stream.time_per_chunk",
}
#: an HTTP attempt span with a response
ATTEMPT_KEYS = {
    "http.request.method",
    "url.full",
    "server.address",
    "server.port",
    "groq.attempt",
    "http.request.body.size",
    "http.response.status_code",
    "network.protocol.version",
}


class Otel:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def telemetry(self, **kw: Any) -> Telemetry:
        return Telemetry(
            tracer_provider=self.tracer_provider, meter_provider=self.meter_provider, **kw
        )

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def metrics(self) -> dict[str, list[tuple[dict[str, Any], Any]]]:
        out: dict[str, list[tuple[dict[str, Any], Any]]] = {}
        data = self.reader.get_metrics_data()
        if data is None:
            return out
        for rm in data.resource_metrics:
            for sm in rm.scope_metrics:
                assert sm.scope.name == "groq_anyio"
                for metric in sm.metrics:
                    out[metric.name] = [
                        (dict(p.attributes or {}), p) for p in metric.data.data_points
                    ]
        return out


@pytest.fixture
def otel() -> Iterator[Otel]:
    o = Otel()
    yield o
    o.tracer_provider.shutdown()
    o.meter_provider.shutdown()


@pytest.fixture
async def tserver(anyio_backend: object) -> AsyncIterator[GroqTestServer]:
    async with GroqTestServer() as srv:
        yield srv


def _client(server: GroqTestServer, otel: Otel, **kw: Any) -> AsyncGroq:
    kw.setdefault("max_retries", 0)
    return AsyncGroq(api_key=KEY, base_url=server.base_url, telemetry=otel.telemetry(), **kw)


def _split(spans: list[ReadableSpan]) -> tuple[ReadableSpan, list[ReadableSpan]]:
    """(the call span, its attempt spans in order); checks the tree."""
    calls = [s for s in spans if s.parent is None]
    assert len(calls) == 1, [s.name for s in spans]
    call = calls[0]
    attempts = [s for s in spans if s is not call]
    assert call.context is not None
    for a in attempts:
        assert a.parent is not None and a.parent.span_id == call.context.span_id
        assert a.kind is SpanKind.CLIENT
    attempts.sort(key=lambda s: s.attributes["groq.attempt"])  # type: ignore[index]
    return call, attempts


def _value(point: Any) -> Any:
    return getattr(point, "value", None) if hasattr(point, "value") else point.count


def _only(points: list[tuple[dict[str, Any], Any]]) -> tuple[dict[str, Any], Any]:
    assert len(points) == 1, points
    return points[0]


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "h2c"])
async def test_plain_call(tserver: GroqTestServer, otel: Otel, http2: bool) -> None:
    async with _client(tserver, otel, http2=http2, http1=not http2) as client:
        completion = await client.chat.completions.create(
            model=MODEL, messages=MESSAGES, temperature=0.5, max_completion_tokens=50, seed=7
        )
    call, attempts = _split(otel.spans())
    assert call.name == f"chat {MODEL}"
    assert call.kind is SpanKind.CLIENT
    assert call.status.status_code is StatusCode.UNSET
    attrs = dict(call.attributes or {})
    request_keys = {
        "gen_ai.request.temperature",
        "gen_ai.request.max_tokens",
        "gen_ai.request.seed",
    }
    assert set(attrs) == CALL_KEYS | request_keys
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "groq"
    assert attrs["gen_ai.request.model"] == MODEL
    assert attrs["gen_ai.request.temperature"] == 0.5
    assert attrs["gen_ai.request.max_tokens"] == 50
    assert attrs["gen_ai.request.seed"] == 7
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == tserver.port
    assert attrs["gen_ai.response.id"] == completion.id
    assert attrs["gen_ai.response.model"] == completion.model
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert completion.usage is not None
    assert attrs["gen_ai.usage.input_tokens"] == completion.usage.prompt_tokens
    assert attrs["gen_ai.usage.output_tokens"] == completion.usage.completion_tokens
    assert attrs["groq.tokens.prompt"] == completion.usage.prompt_tokens
    assert attrs["groq.tokens.completion"] == completion.usage.completion_tokens
    assert attrs["groq.queue_time"] == completion.usage.queue_time
    assert attrs["groq.request_id"] == completion.request_id
    assert attrs["groq.retries"] == 0
    assert attrs["groq.circuit_state"] == "closed"
    assert isinstance(attrs["groq.latency_ms"], float) and attrs["groq.latency_ms"] > 0
    assert client.rate_limits is not None
    assert attrs["groq.rate_limit.remaining_requests"] == client.rate_limits.remaining_requests
    assert "gen_ai.input.messages" not in attrs and "gen_ai.output.messages" not in attrs

    (attempt,) = attempts
    assert attempt.name == "POST"
    a = dict(attempt.attributes or {})
    assert set(a) == ATTEMPT_KEYS | {"http.response.body.size"}
    assert a["http.request.method"] == "POST"
    assert a["url.full"] == f"{tserver.base_url}/openai/v1/chat/completions"
    assert a["http.response.status_code"] == 200
    assert a["network.protocol.version"] == ("2" if http2 else "1.1")
    assert a["groq.attempt"] == 1
    assert a["http.request.body.size"] == len(tserver.requests[0].body)
    assert a["http.response.body.size"] > 0
    assert [e.name for e in attempt.events] == [
        "request_started",
        "response_received",
        "response_parsed",
    ]
    assert KEY not in repr(attrs) + repr(a)

    m = otel.metrics()
    labels, point = _only(m["groq_requests_total"])
    assert labels == {"model": MODEL, "operation": "chat", "status": "200"}
    assert point.value == 1
    tokens = {p[0]["type"]: p[1].value for p in m["groq_tokens_total"]}
    assert tokens == {
        "prompt": completion.usage.prompt_tokens,
        "completion": completion.usage.completion_tokens,
    }
    labels, point = _only(m["groq_request_duration_seconds"])
    assert labels == {"model": MODEL, "operation": "chat"}
    assert point.count == 1
    assert tuple(point.explicit_bounds) == (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
    labels, point = _only(m["gen_ai.client.operation.duration"])
    assert labels == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "groq",
        "gen_ai.request.model": MODEL,
        "gen_ai.response.model": completion.model,
        "server.address": "127.0.0.1",
        "server.port": tserver.port,
    }
    assert point.count == 1
    usage = {p[0]["gen_ai.token.type"]: p[1].sum for p in m["gen_ai.client.token.usage"]}
    assert usage == {
        "input": completion.usage.prompt_tokens,
        "output": completion.usage.completion_tokens,
    }
    remaining = {p[0]["type"]: p[1].value for p in m["groq_rate_limit_remaining"]}
    assert remaining == {
        "requests": client.rate_limits.remaining_requests,
        "tokens": client.rate_limits.remaining_tokens,
    }
    assert _only(m["groq_circuit_breaker_state"])[1].value == 0
    # streaming-only and retry metrics have no points
    for name in (
        "groq_retries_total",
        "groq_streaming_first_token_seconds",
        "gen_ai.client.operation.time_to_first_chunk",
        "gen_ai.client.operation.time_per_output_chunk",
    ):
        assert name not in m


async def test_streamed_call(tserver: GroqTestServer, otel: Otel) -> None:
    async with _client(tserver, otel) as client:
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        assert otel.spans() == []  # the call lasts as long as the stream
        received = 0
        text = ""
        async with stream:
            async for chunk in stream:
                if received == 1:
                    assert otel.spans() == []  # ... until it ends (here, at [DONE])
                received += 1
                for choice in chunk.choices:
                    text += choice.delta.content or ""
        final = stream.get_final_completion()
    call, (attempt,) = _split(otel.spans())
    attrs = dict(call.attributes or {})
    assert set(attrs) == CALL_KEYS | STREAM_KEYS
    assert attrs["groq.stream"] is True
    assert attrs["groq.stream.chunks"] == received
    assert attrs["groq.stream.content_length"] == len(text) > 0
    assert attrs["groq.stream.outcome"] == "completed"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert final.usage is not None
    assert attrs["gen_ai.usage.output_tokens"] == final.usage.completion_tokens
    ttfc = attrs["gen_ai.response.time_to_first_chunk"]
    assert 0 < ttfc <= attrs["groq.stream.time_to_first_token"] <= attrs["groq.stream.duration"]
    assert call.status.status_code is StatusCode.UNSET
    assert [e.name for e in attempt.events] == [
        "request_started",
        "response_received",
        "response_parsed",
    ]
    assert set(attempt.attributes or {}) == ATTEMPT_KEYS
    m = otel.metrics()
    assert _only(m["groq_streaming_first_token_seconds"])[0] == {"model": MODEL}
    assert tuple(_only(m["groq_streaming_first_token_seconds"])[1].explicit_bounds) == (
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
    )
    assert _only(m["gen_ai.client.operation.time_to_first_chunk"])[1].count == 1
    assert _only(m["gen_ai.client.operation.time_per_output_chunk"])[1].count == 1
    assert _only(m["groq_requests_total"])[0]["status"] == "200"


async def test_retried_call(tserver: GroqTestServer, otel: Otel) -> None:
    tserver.push(ErrorReply(503, headers={"retry-after": "0"}))
    async with _client(tserver, otel, max_retries=2) as client:
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    call, attempts = _split(otel.spans())
    assert len(attempts) == 2  # siblings under the call span
    first, second = attempts
    assert first.attributes is not None and second.attributes is not None
    assert first.attributes["http.response.status_code"] == 503
    assert first.attributes["error.type"] == "ServiceUnavailableError"
    assert set(first.attributes) == ATTEMPT_KEYS | {"error.type"}
    assert first.status.status_code is StatusCode.ERROR
    assert [e.name for e in first.events] == ["request_started", "response_received"]
    assert second.attributes["http.response.status_code"] == 200
    assert second.attributes["groq.attempt"] == 2
    assert "error.type" not in second.attributes
    assert call.attributes is not None and call.attributes["groq.retries"] == 1
    assert call.status.status_code is StatusCode.UNSET
    (event,) = call.events
    assert event.name == "retry"
    assert event.attributes is not None
    assert event.attributes["error.type"] == "ServiceUnavailableError"
    assert event.attributes["groq.attempt"] == 1
    m = otel.metrics()
    labels, point = _only(m["groq_retries_total"])
    assert labels == {"model": MODEL, "reason": "status_503"}
    assert point.value == 1
    assert _only(m["groq_requests_total"])[0]["status"] == "200"


async def test_failed_call(tserver: GroqTestServer, otel: Otel) -> None:
    tserver.push(ErrorReply(400, "bad request"))
    async with _client(tserver, otel) as client:
        with pytest.raises(BadRequestError):
            await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    call, (attempt,) = _split(otel.spans())
    assert call.status.status_code is StatusCode.ERROR
    assert call.attributes is not None
    assert call.attributes["error.type"] == "BadRequestError"
    assert "gen_ai.response.id" not in call.attributes
    assert attempt.attributes is not None
    assert attempt.attributes["http.response.status_code"] == 400
    m = otel.metrics()
    assert _only(m["groq_requests_total"])[0] == {
        "model": MODEL,
        "operation": "chat",
        "status": "400",
    }
    assert _only(m["gen_ai.client.operation.duration"])[0]["error.type"] == "BadRequestError"
    assert "groq_tokens_total" not in m


async def test_cancelled_call(tserver: GroqTestServer, otel: Otel) -> None:
    tserver.push(Stall(30.0))
    async with _client(tserver, otel) as client:
        with anyio.move_on_after(0.3) as scope:
            await client.chat.completions.create(model=MODEL, messages=MESSAGES)
        assert scope.cancelled_caught
    call, (attempt,) = _split(otel.spans())
    assert call.attributes is not None and attempt.attributes is not None
    assert call.attributes["error.type"] == "cancelled"
    assert attempt.attributes["error.type"] == "cancelled"
    assert "http.response.status_code" not in attempt.attributes
    assert [e.name for e in attempt.events] == ["request_started"]
    labels, _ = _only(otel.metrics()["groq_requests_total"])
    assert labels["status"] == "cancelled"


async def test_stream_cancelled_while_reading(tserver: GroqTestServer, otel: Otel) -> None:
    tserver.push(ChatScript("one two three four", chunk_delay=30.0))
    async with _client(tserver, otel) as client:
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        with anyio.move_on_after(0.3):
            async with stream:
                async for _ in stream:
                    pass
    call, (attempt,) = _split(otel.spans())
    assert call.attributes is not None
    assert call.attributes["groq.stream.outcome"] == "cancelled"
    assert call.attributes["error.type"] == "cancelled"
    assert call.attributes["groq.stream.chunks"] >= 1
    assert attempt.attributes is not None and attempt.attributes["error.type"] == "cancelled"


async def test_stream_in_band_error(tserver: GroqTestServer, otel: Otel) -> None:
    error = {"message": "boom", "type": "internal_server_error", "status_code": 500}
    tserver.push(ChatScript("a b c d", stream_error=error, stream_error_after=2))
    async with _client(tserver, otel) as client:
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        with pytest.raises(InternalServerError):
            async with stream:
                async for _ in stream:
                    pass
    call, _ = _split(otel.spans())
    assert call.attributes is not None
    assert call.attributes["groq.stream.outcome"] == "error"
    assert call.attributes["error.type"] == "InternalServerError"
    assert call.status.status_code is StatusCode.ERROR


async def test_stream_closed_early(tserver: GroqTestServer, otel: Otel) -> None:
    tserver.push(ChatScript("one two three four five six", chunk_delay=0.01))
    async with _client(tserver, otel) as client:
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        async with stream:
            await stream.__anext__()
    call, _ = _split(otel.spans())
    assert call.attributes is not None
    assert call.attributes["groq.stream.outcome"] == "closed_early"
    assert "error.type" not in call.attributes


async def test_stream_abandoned(tserver: GroqTestServer, otel: Otel) -> None:
    tserver.push(ChatScript("one two three four five six", chunk_delay=0.01))
    async with _client(tserver, otel) as client:
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        await stream.__anext__()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del stream
            gc.collect()
        assert any(issubclass(w.category, ResourceWarning) for w in caught)
        call, (attempt,) = _split(otel.spans())
    assert call.attributes is not None
    assert call.attributes["groq.stream.outcome"] == "abandoned"
    assert call.attributes["error.type"] == "abandoned"
    assert call.attributes["groq.stream.chunks"] >= 1
    assert call.status.status_code is StatusCode.ERROR
    assert attempt.end_time is not None
    assert _only(otel.metrics()["groq_requests_total"])[0]["status"] == "200"


async def test_content_capture_is_opt_in(tserver: GroqTestServer, otel: Otel) -> None:
    async with AsyncGroq(
        api_key=KEY,
        base_url=tserver.base_url,
        telemetry=otel.telemetry(capture_content=True),
    ) as client:
        completion = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    call, _ = _split(otel.spans())
    assert call.attributes is not None
    import json

    assert json.loads(str(call.attributes["gen_ai.input.messages"])) == [
        {"role": "user", "parts": [{"type": "text", "content": "Hello there"}]}
    ]
    out = json.loads(str(call.attributes["gen_ai.output.messages"]))
    assert out[0]["role"] == "assistant"
    assert out[0]["finish_reason"] == "stop"
    assert out[0]["parts"] == [{"type": "text", "content": completion.choices[0].message.content}]


async def test_capture_env_switch(
    tserver: GroqTestServer, otel: Otel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    async with _client(tserver, otel) as client:
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    call, _ = _split(otel.spans())
    assert call.attributes is not None and "gen_ai.input.messages" in call.attributes


async def test_other_operations(tserver: GroqTestServer, otel: Otel) -> None:
    async with _client(tserver, otel) as client:
        await client.models.list()
    call, (attempt,) = _split(otel.spans())
    assert call.name == "models"
    assert call.attributes is not None
    assert call.attributes["gen_ai.operation.name"] == "models"
    assert "gen_ai.request.model" not in call.attributes
    assert attempt.name == "GET"
    assert _only(otel.metrics()["groq_requests_total"])[0] == {
        "model": "",
        "operation": "models",
        "status": "200",
    }


async def test_off_by_default_without_a_global_provider(tserver: GroqTestServer) -> None:
    async with AsyncGroq(api_key=KEY, base_url=tserver.base_url) as client:
        assert client._instrument is None
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    async with AsyncGroq(api_key=KEY, base_url=tserver.base_url, telemetry=False) as client:
        assert client._instrument is None


async def test_with_options_keeps_telemetry(tserver: GroqTestServer, otel: Otel) -> None:
    async with _client(tserver, otel) as client:
        copy = client.with_options(max_retries=1)
        assert copy._instrument is not None
        await copy.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert len(otel.spans()) == 2


def test_telemetry_argument_is_checked() -> None:
    from groq_anyio import InvalidParameterError

    with pytest.raises(InvalidParameterError):
        AsyncGroq(api_key=KEY, telemetry="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        Telemetry(capture_content="no")  # type: ignore[arg-type]


async def test_responses_api_stream(tserver: GroqTestServer, otel: Otel) -> None:
    async with _client(tserver, otel) as client:
        stream = await client.responses.create(model=MODEL, input="Hello", stream=True)
        async with stream:
            async for _ in stream:
                pass
        response = stream.get_final_response()
    call, (attempt,) = _split(otel.spans())
    assert call.name == f"chat {MODEL}"
    assert call.attributes is not None
    assert call.attributes["groq.stream.outcome"] == "completed"
    assert call.attributes["gen_ai.response.id"] == response.id
    assert response.usage is not None
    assert call.attributes["gen_ai.usage.output_tokens"] == response.usage.output_tokens
    assert attempt.end_time is not None


async def test_responses_api_stream_error(tserver: GroqTestServer, otel: Otel) -> None:
    error = {"message": "boom", "type": "internal_server_error", "status_code": 500}
    tserver.push(ChatScript("a b c d", stream_error=error, stream_error_after=2))
    async with _client(tserver, otel) as client:
        stream = await client.responses.create(model=MODEL, input="Hello", stream=True)
        with pytest.raises(InternalServerError):
            async with stream:
                async for _ in stream:
                    pass
    call, _ = _split(otel.spans())
    assert call.attributes is not None
    assert call.attributes["groq.stream.outcome"] == "error"
    assert call.attributes["error.type"] == "InternalServerError"


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_stream_abandoned_after_the_event_loop_ended(backend: str) -> None:
    """The garbage collector may finalise a forgotten stream anywhere, even after the event
    loop is gone: the call's span still ends, as abandoned."""
    otel = Otel()
    kept: list[Any] = []

    async def main() -> None:
        async with GroqTestServer() as server:
            server.push(ChatScript("one two three four five six", chunk_delay=0.01))
            client = _client(server, otel)
            stream = await client.chat.completions.create(
                model=MODEL, messages=MESSAGES, stream=True
            )
            await stream.__anext__()
            kept.append(stream)
            # (the pool only: closing the client would close the stream too; this one is
            # forgotten, open)
            await client._transport.aclose()

    anyio.run(main, backend=backend)
    assert otel.spans() == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        kept.clear()
        gc.collect()
    call, _ = _split(otel.spans())
    assert call.attributes is not None
    assert call.attributes["groq.stream.outcome"] == "abandoned"
    assert call.attributes["error.type"] == "abandoned"
    assert call.end_time is not None
