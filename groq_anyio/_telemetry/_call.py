"""One call as the telemetry sees it: spans, metrics, DEBUG lines, event hooks, custom auth.

The pipeline makes a :class:`Call` only when the client has an :class:`Instrument` (telemetry,
DEBUG logging, event hooks or a callable ``api_key``); otherwise it tests ``call is not None``
and nothing here runs. The pipeline tells the call about each step:

``before_attempt`` (auth headers, request hooks, the attempt span and ``request_started``) ->
``received`` (``response_received``, response hooks) -> ``attempt_failed`` / ``retrying`` or
``succeeded`` (``response_parsed``; a plain call ends here, a stream's call is ended by the
stream's close callback) -> ``failed`` for whatever ends the call unsuccessfully.

Nothing here runs per streamed chunk: the stream counts chunks and bytes per network read, and
its end is seen through the ``on_close`` callback the pipeline already gives it.
"""

from __future__ import annotations

import functools
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import msgspec

from .._decode_errors import DECODE_ERRORS
from .._errors import APIConnectionError, APIError, APIStatusError, APITimeoutError
from .._log import HTTP, STREAM, log_debug
from ._hooks import EventHook, HookHeaders, HookRequest, HookResponse, auth_headers

if TYPE_CHECKING:
    from .._resilience import ResilienceState
    from .._transport import RawResponse
    from ._otel import OTel

__all__ = ["Call", "Instrument", "error_reason", "error_type", "operation_for"]

_now_ns = time.perf_counter_ns
_PROVIDER: Final = "groq"

#: API path (after the prefix) -> gen_ai.operation.name
_OPERATIONS: Final = {
    "/chat/completions": "chat",
    "/responses": "chat",
    "/embeddings": "embeddings",
    "/audio/transcriptions": "transcription",
    "/audio/translations": "translation",
    "/audio/speech": "speech",
}
_CIRCUIT: Final = {"closed": 0, "open": 1, "half_open": 2}


def operation_for(path: str) -> str:
    """``gen_ai.operation.name`` of an API path: the GenAI names where one applies (``chat``,
    ``embeddings``), else the API area (``models``, ``files``, ``batches``, ...)."""
    op = _OPERATIONS.get(path)
    if op is not None:
        return op
    return path.strip("/").split("/", 1)[0] or "request"


def error_type(exc: BaseException | type[BaseException]) -> str:
    """``error.type``: the library exception's class name, ``cancelled`` for a cancellation."""
    cls = exc if isinstance(exc, type) else type(exc)
    if _is_cancellation(cls):
        return "cancelled"
    if issubclass(cls, APIError) or cls.__module__.startswith("groq_anyio"):
        return cls.__name__
    if cls.__name__ == "SSEError":
        return "APIResponseValidationError"
    return cls.__qualname__


def _is_cancellation(cls: type[BaseException]) -> bool:
    """asyncio's ``CancelledError`` or trio's ``Cancelled`` (or a subclass), told apart without
    a running event loop (a stream may be finalised by the garbage collector anywhere)."""
    for base in cls.__mro__:
        if base.__name__ in ("CancelledError", "Cancelled") and base.__module__.split(".")[0] in (
            "asyncio",
            "trio",
            "concurrent",
        ):
            return True
    return False


def error_reason(error: BaseException) -> str:
    """Why an attempt failed, as a short label: ``status_503``, ``timeout``, ``connection``."""
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        return f"status_{status}"
    if isinstance(error, APITimeoutError):
        return "timeout"
    if isinstance(error, APIConnectionError):
        return "connection"
    return error_type(error)


# -- what is read back from the request and response bodies (only with telemetry on) ---------


_EMPTY_RAW: Final = msgspec.Raw()


class _Request(msgspec.Struct):
    model: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    max_output_tokens: int | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    n: int | None = None
    stream: bool | None = None
    encoding_format: str | None = None
    messages: msgspec.Raw = _EMPTY_RAW


class _Usage(msgspec.Struct):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    queue_time: float | None = None
    prompt_time: float | None = None
    completion_time: float | None = None
    total_time: float | None = None


class _Choice(msgspec.Struct):
    finish_reason: str | None = None
    message: msgspec.Raw = _EMPTY_RAW


class _XGroq(msgspec.Struct):
    id: str | None = None
    usage: _Usage | None = None


class _Response(msgspec.Struct):
    id: str | None = None
    model: str | None = None
    choices: list[_Choice] | None = None
    usage: _Usage | None = None
    x_groq: _XGroq | None = None


_request_decoder = msgspec.json.Decoder(_Request)
_response_decoder = msgspec.json.Decoder(_Response)
_NO_REQUEST = _Request()
_REQUEST_ATTRIBUTES: Final = (
    ("temperature", "gen_ai.request.temperature"),
    ("top_p", "gen_ai.request.top_p"),
    ("frequency_penalty", "gen_ai.request.frequency_penalty"),
    ("presence_penalty", "gen_ai.request.presence_penalty"),
    ("seed", "gen_ai.request.seed"),
    ("n", "gen_ai.request.choice.count"),
)
_GROQ_TIMES: Final = (
    ("queue_time", "groq.queue_time"),
    ("prompt_time", "groq.prompt_time"),
    ("completion_time", "groq.completion_time"),
    ("total_time", "groq.total_time"),
)


def _parts_message(message: Any) -> Any:
    """A chat message in the conventions' ``parts`` form (content capture only)."""
    if not isinstance(message, dict):
        return message
    out: dict[str, Any] = {"role": message.get("role")}
    content = message.get("content")
    parts: list[Any] = []
    if isinstance(content, str):
        parts.append({"type": "text", "content": content})
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                parts.append({"type": "text", "content": part.get("text")})
            else:
                parts.append(part)
    for call in message.get("tool_calls") or ():
        if isinstance(call, dict):
            fn = call.get("function") or {}
            parts.append(
                {
                    "type": "tool_call",
                    "id": call.get("id"),
                    "name": fn.get("name"),
                    "arguments": fn.get("arguments"),
                }
            )
    if message.get("role") == "tool":
        parts = [
            {"type": "tool_call_response", "id": message.get("tool_call_id"), "response": content}
        ]
    out["parts"] = parts
    return out


class Instrument:
    """What a client observes and extends; ``None`` on the client when nothing is asked for."""

    __slots__ = ("otel", "debug", "request_hooks", "response_hooks", "auth", "address", "port")

    def __init__(
        self,
        *,
        otel: OTel | None,
        debug: bool,
        request_hooks: tuple[EventHook, ...],
        response_hooks: tuple[EventHook, ...],
        auth: Callable[[], Any] | None,
        address: str,
        port: int,
    ) -> None:
        self.otel = otel
        self.debug = debug
        self.request_hooks = request_hooks
        self.response_hooks = response_hooks
        self.auth = auth
        self.address = address
        self.port = port

    def start(
        self,
        method: bytes,
        path: str,
        url: Any,
        body: Any,
        stream: bool,
        state: ResilienceState,
    ) -> Call:
        return Call(self, method, path, url, body, stream, state)


class Call:
    """One API call (all its attempts)."""

    __slots__ = (
        "_inst",
        "_otel",
        "_state",
        "method",
        "path",
        "url",
        "operation",
        "model",
        "stream",
        "_request",
        "_start",
        "_span",
        "_attempt_span",
        "_attempt",
        "_attempt_start",
        "_hook_request",
        "_raw",
        "_body_size",
        "_retries",
        "_ended",
    )

    def __init__(
        self,
        inst: Instrument,
        method: bytes,
        path: str,
        url: Any,
        body: Any,
        stream: bool,
        state: ResilienceState,
    ) -> None:
        self._start = _now_ns()
        self._inst = inst
        self._otel = otel = inst.otel
        self._state = state
        self.method = method.decode("ascii")
        self.path = path
        self.url = _url_text(url)
        self.operation = operation_for(path)
        self.stream = stream
        self._body_size = len(body) if isinstance(body, bytes) else None
        request = _NO_REQUEST
        if (otel is not None or inst.debug) and isinstance(body, bytes) and body[:1] == b"{":
            try:
                request = _request_decoder.decode(body)
            except DECODE_ERRORS:
                request = _NO_REQUEST
        self._request = request
        self.model = request.model or ""
        self._attempt = 0
        self._attempt_start = self._start
        self._attempt_span: Any = None
        self._hook_request: HookRequest | None = None
        self._raw: RawResponse | None = None
        self._retries = 0
        self._ended = False
        self._span: Any = None
        if otel is not None:
            name = f"{self.operation} {self.model}" if self.model else self.operation
            self._span = otel.start_call(name, self._call_attributes(request))

    def _call_attributes(self, request: _Request) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            "gen_ai.operation.name": self.operation,
            "gen_ai.provider.name": _PROVIDER,
            "server.address": self._inst.address,
            "server.port": self._inst.port,
        }
        if request.model:
            attrs["gen_ai.request.model"] = request.model
        for field, key in _REQUEST_ATTRIBUTES:
            value = getattr(request, field)
            if value is not None:
                attrs[key] = value
        max_tokens = (
            request.max_completion_tokens or request.max_tokens or request.max_output_tokens
        )
        if max_tokens is not None:
            attrs["gen_ai.request.max_tokens"] = max_tokens
        if request.stop is not None:
            attrs["gen_ai.request.stop_sequences"] = (
                (request.stop,) if isinstance(request.stop, str) else tuple(request.stop)
            )
        if request.encoding_format is not None:
            attrs["gen_ai.request.encoding_formats"] = (request.encoding_format,)
        if self.stream:
            attrs["groq.stream"] = True
        otel = self._otel
        if otel is not None and otel.capture_content and request.messages:
            try:
                messages = msgspec.json.decode(request.messages)
                attrs["gen_ai.input.messages"] = msgspec.json.encode(
                    [_parts_message(m) for m in messages]
                ).decode()
            except DECODE_ERRORS:
                pass
            except TypeError:  # messages that are not a list of objects
                pass
        return attrs

    # -- attempts ------------------------------------------------------------------------------

    async def before_attempt(
        self, attempt: int, headers: list[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        """The headers of this attempt (auth added, request hooks run); starts its span."""
        inst = self._inst
        self._attempt = attempt
        self._attempt_start = _now_ns()
        self._raw = None
        if inst.auth is not None or inst.request_hooks:
            headers = headers.copy()
            if inst.auth is not None:
                headers.extend(await auth_headers(inst.auth))
            if inst.request_hooks:
                request = HookRequest(self.method, self.url, attempt, HookHeaders(headers))
                self._hook_request = request
                for hook in inst.request_hooks:
                    await hook(request)
        otel = self._otel
        if otel is not None:
            attrs: dict[str, Any] = {
                "http.request.method": self.method,
                "url.full": self.url,
                "server.address": inst.address,
                "server.port": inst.port,
                "groq.attempt": attempt,
            }
            if self._body_size is not None:
                attrs["http.request.body.size"] = self._body_size
            span = otel.start_attempt(self._span, self.method, attrs)
            span.add_event("request_started")
            self._attempt_span = span
        return headers

    async def received(self, raw: RawResponse) -> None:
        """The attempt's response headers are in (the rate-limit headers already observed)."""
        self._raw = raw
        span = self._attempt_span
        if span is not None:
            span.set_attribute("http.response.status_code", raw.status)
            span.set_attribute("network.protocol.version", raw.http_version.removeprefix("HTTP/"))
            span.add_event("response_received")
        otel = self._otel
        if otel is not None:
            snap = self._state.limits.snapshot
            if snap is not None:
                if snap.remaining_requests is not None:
                    otel.rate_limit_remaining.set(snap.remaining_requests, {"type": "requests"})
                if snap.remaining_tokens is not None:
                    otel.rate_limit_remaining.set(snap.remaining_tokens, {"type": "tokens"})
        hooks = self._inst.response_hooks
        if hooks:
            request = self._hook_request
            if request is None:
                request = HookRequest(self.method, self.url, self._attempt, HookHeaders([]))
            response = HookResponse(request, raw, (_now_ns() - self._attempt_start) / 1e9)
            try:
                for hook in hooks:
                    await hook(response)
            except BaseException:
                await raw.aclose()
                raise

    def attempt_failed(self, exc: BaseException) -> None:
        """The attempt ended with ``exc`` (an ``APIError``, or a cancellation)."""
        status = exc.status_code if isinstance(exc, APIStatusError) else None
        span = self._attempt_span
        if span is not None:
            self._attempt_span = None
            if status is not None:
                span.set_attribute("http.response.status_code", status)
            etype = error_type(exc)
            span.set_attribute("error.type", etype)
            span.set_status(_error_status(), etype)
            span.end()
        self._circuit_gauge()
        if self._inst.debug:
            self._log_attempt(status, exc)

    def retrying(self, exc: APIError, delay: float) -> None:
        self._retries += 1
        otel = self._otel
        if otel is not None:
            otel.retries.add(1, {"model": self.model, "reason": error_reason(exc)})
            if self._span is not None:
                self._span.add_event(
                    "retry",
                    {"groq.attempt": self._attempt, "groq.retry.delay_s": delay,
                     "error.type": error_type(exc)},
                )  # fmt: skip

    def succeeded(self, raw: RawResponse, result: Any) -> None:
        """The attempt succeeded: ``result`` is the body (bytes), a primed stream, or None."""
        self._raw = raw
        summary: _Response | None = None
        span = self._attempt_span
        if isinstance(result, bytes | bytearray) and self._otel is not None:
            try:
                summary = _response_decoder.decode(result)
            except DECODE_ERRORS:
                summary = None
            if span is not None:
                span.set_attribute("http.response.body.size", len(result))
        if span is not None:
            span.add_event("response_parsed")
        self._circuit_gauge()
        if self._inst.debug:
            self._log_attempt(raw.status, None)
        if self.stream and hasattr(result, "_on_close"):
            previous = result._on_close
            result._on_close = functools.partial(
                _stream_closed, self, weakref.ref(result), previous
            )
            return
        if span is not None:
            self._attempt_span = None
            span.end()
        self._finish(raw.status, None, summary, None)

    def failed(self, exc: BaseException) -> None:
        """The call ends with ``exc`` (raised to the caller)."""
        if self._attempt_span is not None:
            self.attempt_failed(exc)
        self._finish(getattr(exc, "status_code", None), exc, None, None)

    # -- the end -------------------------------------------------------------------------------

    def _finish(
        self,
        status: int | None,
        exc: BaseException | type[BaseException] | None,
        summary: _Response | None,
        stream_info: dict[str, Any] | None,
        outcome_error: str | None = None,
    ) -> None:
        if self._ended:
            return
        self._ended = True
        end = _now_ns()
        duration = (end - self._start) / 1e9
        etype = outcome_error if exc is None else error_type(exc)
        raw = self._raw
        request_id = raw.header(b"x-request-id") if raw is not None else None
        if request_id is None and exc is not None and not isinstance(exc, type):
            request_id = getattr(exc, "request_id", None)
        otel = self._otel
        response_model: str | None = None
        usage: Any = None
        if summary is not None:
            response_model = summary.model
            usage = summary.usage
            if usage is None and summary.x_groq is not None:
                usage = summary.x_groq.usage
            if request_id is None and summary.x_groq is not None:
                request_id = summary.x_groq.id
        input_tokens = output_tokens = None
        if usage is not None:
            input_tokens = (
                usage.prompt_tokens
                if usage.prompt_tokens is not None
                else getattr(usage, "input_tokens", None)
            )
            output_tokens = (
                usage.completion_tokens
                if usage.completion_tokens is not None
                else getattr(usage, "output_tokens", None)
            )
        if otel is not None:
            span = self._span
            if span is not None and span.is_recording():
                attrs: dict[str, Any] = {
                    "groq.latency_ms": duration * 1000.0,
                    "groq.retries": self._retries,
                }
                if request_id is not None:
                    attrs["groq.request_id"] = request_id
                if summary is not None:
                    if summary.id is not None:
                        attrs["gen_ai.response.id"] = summary.id
                    if summary.model is not None:
                        attrs["gen_ai.response.model"] = summary.model
                    if summary.choices is not None:
                        attrs["gen_ai.response.finish_reasons"] = tuple(
                            c.finish_reason for c in summary.choices if c.finish_reason is not None
                        )
                        if otel.capture_content:
                            attrs["gen_ai.output.messages"] = _output_messages(summary.choices)
                if input_tokens is not None:
                    attrs["gen_ai.usage.input_tokens"] = input_tokens
                    attrs["groq.tokens.prompt"] = input_tokens
                if output_tokens is not None:
                    attrs["gen_ai.usage.output_tokens"] = output_tokens
                    attrs["groq.tokens.completion"] = output_tokens
                if usage is not None:
                    for field, key in _GROQ_TIMES:
                        value = getattr(usage, field, None)
                        if value is not None:
                            attrs[key] = value
                snap = self._state.limits.snapshot
                if snap is not None:
                    if snap.remaining_requests is not None:
                        attrs["groq.rate_limit.remaining_requests"] = snap.remaining_requests
                    if snap.remaining_tokens is not None:
                        attrs["groq.rate_limit.remaining_tokens"] = snap.remaining_tokens
                breaker = self._state.breaker
                if breaker is not None:
                    attrs["groq.circuit_state"] = breaker._state.value
                if stream_info:
                    attrs.update(stream_info)
                span.set_attributes(attrs)
                if etype is not None:
                    otel.fail(
                        span,
                        etype,
                        None if exc is None or isinstance(exc, type) else str(exc)[:200],
                    )
            if span is not None:
                span.end()
            self._metrics(
                otel,
                duration,
                status,
                etype,
                response_model,
                input_tokens,
                output_tokens,
                stream_info,
            )
        if self._inst.debug and not self.stream:
            log_debug(
                "%s %s: %s in %.1f ms, %d attempt(s), request id %s",
                self.operation,
                self.model or self.path,
                status if status is not None else etype,
                duration * 1000.0,
                max(self._attempt, 1),
                request_id,
                logger=HTTP,
                extra={
                    "groq_operation": self.operation,
                    "groq_model": self.model,
                    "groq_method": self.method,
                    "groq_url": self.url,
                    "groq_status": status,
                    "groq_error_type": etype,
                    "groq_request_id": request_id,
                    "groq_attempts": self._attempt,
                    "groq_duration_ms": round(duration * 1000.0, 3),
                },
            )

    def _metrics(
        self,
        otel: OTel,
        duration: float,
        status: int | None,
        etype: str | None,
        response_model: str | None,
        input_tokens: int | None,
        output_tokens: int | None,
        stream_info: dict[str, Any] | None,
    ) -> None:
        model = self.model
        attrs: dict[str, Any] = {
            "gen_ai.operation.name": self.operation,
            "gen_ai.provider.name": _PROVIDER,
            "server.address": self._inst.address,
            "server.port": self._inst.port,
        }
        if model:
            attrs["gen_ai.request.model"] = model
        if response_model:
            attrs["gen_ai.response.model"] = response_model
        if etype is not None:
            attrs["error.type"] = etype
        otel.operation_duration.record(duration, attrs)
        otel.request_duration.record(duration, {"model": model, "operation": self.operation})
        label = str(status) if status is not None else (etype or "ok")
        otel.requests.add(1, {"model": model, "operation": self.operation, "status": label})
        for count, gen_ai_type, groq_type in (
            (input_tokens, "input", "prompt"),
            (output_tokens, "output", "completion"),
        ):
            if count is not None:
                otel.token_usage.record(count, {**attrs, "gen_ai.token.type": gen_ai_type})
                otel.tokens.add(count, {"model": model, "type": groq_type})
        if stream_info:
            first = stream_info.get("gen_ai.response.time_to_first_chunk")
            if first is not None:
                otel.time_to_first_chunk.record(first, attrs)
            first_token = stream_info.get("groq.stream.time_to_first_token")
            if first_token is not None:
                otel.first_token.record(first_token, {"model": model})
            per_chunk = stream_info.get("groq.stream.time_per_chunk")
            if per_chunk is not None:
                otel.time_per_output_chunk.record(per_chunk, attrs)
        self._circuit_gauge()

    def _circuit_gauge(self) -> None:
        otel = self._otel
        breaker = self._state.breaker
        if otel is not None and breaker is not None:
            value = _CIRCUIT.get(breaker._state.value, 0)
            if value != otel.last_circuit_state:  # (a gauge keeps its last value)
                otel.last_circuit_state = value
                otel.circuit_state.set(value)

    def _log_attempt(self, status: int | None, exc: BaseException | None) -> None:
        raw = self._raw
        request_id = raw.header(b"x-request-id") if raw is not None else None
        if request_id is None and exc is not None:
            request_id = getattr(exc, "request_id", None)
        ms = (_now_ns() - self._attempt_start) / 1e6
        log_debug(
            "HTTP %s %s -> %s (attempt %d, %.1f ms, request id %s)",
            self.method,
            self.url,
            status if status is not None else error_type(exc) if exc is not None else "?",
            self._attempt,
            ms,
            request_id,
            logger=HTTP,
            extra={
                "groq_method": self.method,
                "groq_url": self.url,
                "groq_status": status,
                "groq_error_type": None if exc is None else error_type(exc),
                "groq_request_id": request_id,
                "groq_attempt": self._attempt,
                "groq_duration_ms": round(ms, 3),
                "groq_http_version": None if raw is None else raw.http_version,
            },
        )

    # -- streams -------------------------------------------------------------------------------

    def stream_ended(self, stream: Any) -> None:
        """The stream closed (or is being collected): end its attempt and call spans."""
        now = _now_ns()
        info: dict[str, Any] = {}
        summary: _Response | None = None
        failure: type[BaseException] | None = None
        outcome = "abandoned"
        chunks = 0
        nbytes: int | None = None
        if stream is not None:
            failure = getattr(stream, "_failure", None)
            if failure is None and not hasattr(stream, "_failure"):
                # a stream that does not record it: the exception being handled, if any
                import sys

                handled = sys.exc_info()[1]
                if handled is not None and not isinstance(handled, StopAsyncIteration):
                    failure = type(handled)
            chunks = _chunks_received(stream)
            nbytes = getattr(stream, "_nbytes", None)
            if not stream._closed:
                outcome = "abandoned"  # (from __del__: never closed)
            elif failure is not None:
                outcome = "cancelled" if error_type(failure) == "cancelled" else "error"
            elif stream._finished:
                outcome = "completed"
            else:
                outcome = "closed_early"
            timings = getattr(stream, "timings", None)
            start = self._start
            if timings is not None:
                if timings.first_chunk is not None:
                    info["gen_ai.response.time_to_first_chunk"] = (
                        timings.first_chunk - start
                    ) / 1e9
                if timings.first_content_chunk is not None:
                    info["groq.stream.time_to_first_token"] = (
                        timings.first_content_chunk - start
                    ) / 1e9
                if (
                    chunks > 1
                    and timings.first_chunk is not None
                    and timings.last_chunk is not None
                ):
                    info["groq.stream.time_per_chunk"] = (
                        (timings.last_chunk - timings.first_chunk) / 1e9 / (chunks - 1)
                    )
            summary, content_length = _stream_summary(stream, self._otel is not None)
            if content_length is not None:
                info["groq.stream.content_length"] = content_length
        info["groq.stream.chunks"] = chunks
        info["groq.stream.outcome"] = outcome
        info["groq.stream.duration"] = (now - self._start) / 1e9
        span = self._attempt_span
        if span is not None:
            self._attempt_span = None
            if nbytes is not None:
                span.set_attribute("http.response.body.size", nbytes)
            if failure is not None:
                etype = error_type(failure)
                span.set_attribute("error.type", etype)
                span.set_status(_error_status(), etype)
            span.end()
        raw = self._raw
        status = raw.status if raw is not None else None
        self._finish(
            status,
            failure,
            summary,
            info,
            outcome_error="abandoned" if outcome == "abandoned" else None,
        )
        if self._inst.debug:
            request_id = raw.header(b"x-request-id") if raw is not None else None
            ms = (now - self._start) / 1e6
            ttft = info.get("groq.stream.time_to_first_token")
            log_debug(
                "stream %s %s ended (%s): %d chunks, %s chars, first token %s ms, %.1f ms total, "
                "request id %s",
                self.operation,
                self.model,
                outcome,
                chunks,
                info.get("groq.stream.content_length"),
                None if ttft is None else round(ttft * 1000.0, 1),
                ms,
                request_id,
                logger=STREAM,
                extra={
                    "groq_operation": self.operation,
                    "groq_model": self.model,
                    "groq_outcome": outcome,
                    "groq_chunks": chunks,
                    "groq_bytes": nbytes,
                    "groq_content_length": info.get("groq.stream.content_length"),
                    "groq_ttft_ms": None if ttft is None else round(ttft * 1000.0, 3),
                    "groq_duration_ms": round(ms, 3),
                    "groq_request_id": request_id,
                    "groq_attempts": self._attempt,
                },
            )


def _stream_closed(call: Call, ref: weakref.ref[Any], previous: Callable[[], None] | None) -> None:
    """The stream's ``on_close``: release what the pipeline holds for it, then end the call."""
    try:
        if previous is not None:
            previous()
    finally:
        try:
            call.stream_ended(ref())
        except Exception:  # telemetry must never break closing a stream
            import logging

            logging.getLogger(STREAM).debug(
                "telemetry failed at the end of a stream", exc_info=True
            )


def _chunks_received(stream: Any) -> int:
    """Chunks decoded so far: the stream's per-chunk arrival stamps when it keeps them (one
    entry per chunk, appended per network read), else the content deltas accumulated."""
    times = getattr(getattr(stream, "timings", None), "chunk_times", None)
    if times is not None:
        return len(times)
    acc = getattr(stream, "_acc", None)
    choices = getattr(acc, "_choices", None)
    if not choices:
        return 0
    return max(len(state.content) for state in choices.values())


def _stream_summary(stream: Any, full: bool) -> tuple[_Response | None, int | None]:
    """(what the response summary needs, the generated content's length) of a chat stream."""
    final = getattr(stream, "get_final_completion", None)
    if final is None:
        return _responses_summary(stream, full)
    try:
        completion = final()
    except Exception:
        return None, None
    choices = completion.choices or []
    length = sum(len(c.message.content or "") for c in choices)
    if not full:
        return None, length
    usage = completion.usage
    if usage is None and completion.x_groq is not None:
        usage = completion.x_groq.usage
    summary = _Response(
        id=completion.id or None,
        model=completion.model or None,
        choices=[
            _Choice(
                finish_reason=c.finish_reason,
                message=msgspec.Raw(msgspec.json.encode(c.message)),
            )
            for c in choices
        ],
        usage=None
        if usage is None
        else _Usage(
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            queue_time=usage.queue_time,
            prompt_time=usage.prompt_time,
            completion_time=usage.completion_time,
            total_time=usage.total_time,
        ),
        x_groq=None if completion.x_groq is None else _XGroq(id=completion.x_groq.id),
    )
    return summary, length


def _responses_summary(stream: Any, full: bool) -> tuple[_Response | None, int | None]:
    """The same for a Responses API stream (``ResponseStream``)."""
    final = getattr(stream, "get_final_response", None)
    if final is None:
        return None, None
    try:
        response = final()
    except Exception:
        return None, None
    text = getattr(response, "output_text", None)
    length = len(text) if isinstance(text, str) else None
    if not full:
        return None, length
    usage = response.usage
    summary = _Response(
        id=response.id or None,
        model=response.model or None,
        usage=None
        if usage is None
        else _Usage(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens),
    )
    return summary, length


def _output_messages(choices: list[_Choice]) -> str:
    out = []
    for c in choices:
        message: Any = None
        if c.message:
            try:
                message = msgspec.json.decode(c.message)
            except DECODE_ERRORS:
                message = None
        item = (
            _parts_message(message)
            if isinstance(message, dict)
            else {"role": "assistant", "parts": []}
        )
        item["finish_reason"] = c.finish_reason
        out.append(item)
    return msgspec.json.encode(out).decode()


def _url_text(url: Any) -> str:
    """The URL as text (an ``httpcore.URL`` or anything with ``scheme``/``host``/``target``)."""
    try:
        scheme = url.scheme.decode("ascii")
        host = url.host.decode("ascii")
        port = url.port
        target = url.target.decode("ascii")
    except AttributeError:
        return str(url)
    default = 443 if scheme == "https" else 80
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != default:
        netloc += f":{port}"
    return f"{scheme}://{netloc}{target}"


def _error_status() -> Any:
    from opentelemetry.trace import StatusCode

    return StatusCode.ERROR
