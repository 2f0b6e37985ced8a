"""ResponseStream: an async iterator and async context manager over one streamed Responses API
answer (``event: response.created`` ... ``event: response.completed``).

Each SSE event's ``data`` is decoded into a typed event (a tagged union on ``type``; an unknown
type becomes :class:`~groq_anyio.types.responses.ResponseStreamEventOther`) and folded into a
small accumulator, so :meth:`ResponseStream.get_final_response` can answer at any time: the
``response.completed`` (or ``response.incomplete``) response once seen, else a snapshot rebuilt
from the events so far.

Errors: an ``error`` event, a ``data: {"error": ...}`` event and ``response.failed`` raise the
typed exception for the error (``in_stream=True``, ``partial`` = the response so far). A body that
ends before a terminal event raises :class:`~groq_anyio.APIConnectionError`.

Ownership follows :class:`~groq_anyio.ChatStream`: the stream owns the HTTP response; ``async
with`` (or iterating to the end) releases it; leaving early, an exception or a cancellation
releases it too (drained and pooled when only the tail of the body is left, closed otherwise).
``__anext__`` is a plain coroutine method: nothing is held across the consumer's ``await``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, NoReturn

import msgspec

from ._decode_errors import DECODE_ERRORS
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    ClientClosedError,
    make_status_error,
)
from ._response_base import SSEStreamBase
from ._sse import SSEError, SSEScanner
from ._timings import Timings
from .types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseCreatedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionToolCall,
    ResponseIncompleteEvent,
    ResponseInProgressEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseQueuedEvent,
    ResponseReasoningItem,
    ResponseReasoningText,
    ResponseReasoningTextDeltaEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    decode_stream_event,
)

if TYPE_CHECKING:
    from ._pipeline import RequestOptions
    from ._resilience import ResilienceState
    from ._transport import RawResponse
    from .helpers import OutputParser

__all__ = ["ResponseStream", "status_for_error_code"]

_json_decode = msgspec.json.decode

#: HTTP status implied by the ``code`` of an in-band error that carries none.
_STATUS_BY_CODE: Final[dict[str, int]] = {
    "invalid_request_error": 400,
    "invalid_prompt": 400,
    "context_length_exceeded": 400,
    "content_filter": 400,
    "tool_use_failed": 400,
    "json_validate_failed": 400,
    "invalid_api_key": 401,
    "model_not_found": 404,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "server_error": 500,
    "internal_server_error": 500,
    "service_unavailable": 503,
}


def status_for_error_code(error: Any) -> int:
    """The HTTP status of an error object: its ``status_code``, else one implied by ``code``."""
    if isinstance(error, dict):
        sc = error.get("status_code", error.get("status"))
        if isinstance(sc, int) and not isinstance(sc, bool) and 100 <= sc <= 599:
            return sc
        code = error.get("code")
        if isinstance(code, str):
            return _STATUS_BY_CODE.get(code, 500)
    return 500


def _clean_error(err: dict[str, Any]) -> dict[str, Any]:
    """An error object without the event's own fields (``type: "error"``, the sequence)."""
    if err.get("type") == "error" or "sequence_number" in err:
        return {
            k: v
            for k, v in err.items()
            if k != "sequence_number" and not (k == "type" and v == "error")
        }
    return err


class _Accumulator:
    """Folds events into the latest :class:`Response` (see :meth:`result`)."""

    __slots__ = ("args", "final", "items", "reasoning", "response", "texts")

    def __init__(self) -> None:
        self.response: Response | None = None  # the latest snapshot the server sent
        self.final: Response | None = None  # from response.completed / .incomplete / .failed
        self.items: dict[int, Any] = {}  # output_index -> the latest item
        self.texts: dict[tuple[int, int], list[str]] = {}
        self.args: dict[int, list[str]] = {}
        self.reasoning: dict[tuple[int, int], list[str]] = {}

    def add(self, event: Any) -> None:
        t = type(event)
        if t is ResponseTextDeltaEvent:
            key = (event.output_index, event.content_index)
            texts = self.texts.get(key)
            if texts is None:
                self.texts[key] = [event.delta]
            else:
                texts.append(event.delta)
        elif t is ResponseFunctionCallArgumentsDeltaEvent:
            self.args.setdefault(event.output_index, []).append(event.delta)
        elif t is ResponseReasoningTextDeltaEvent:
            self.reasoning.setdefault((event.output_index, event.content_index), []).append(
                event.delta
            )
        elif t is ResponseOutputItemAddedEvent:
            self.items[event.output_index] = event.item
        elif t is ResponseOutputItemDoneEvent:
            index = event.output_index
            self.items[index] = event.item  # complete: the deltas are no longer needed
            self.args.pop(index, None)
            for store in (self.texts, self.reasoning):
                for key in [k for k in store if k[0] == index]:
                    del store[key]
        elif t is ResponseContentPartAddedEvent:
            pass
        elif (
            t is ResponseCompletedEvent or t is ResponseIncompleteEvent or t is ResponseFailedEvent
        ):
            self.final = self.response = event.response
        elif t is ResponseCreatedEvent or t is ResponseInProgressEvent or t is ResponseQueuedEvent:
            self.response = event.response

    def result(self) -> Response:
        """The final response once seen, else the response so far (``status`` in progress)."""
        if self.final is not None:
            return self.final
        base = self.response
        if base is None:
            base = Response(id="", object="response", created_at=0.0, model="")
        output: list[Any] = []
        for index in sorted(self.items):
            output.append(self._merged(index, self.items[index]))
        return msgspec.structs.replace(base, output=output, status=base.status or "in_progress")

    def _merged(self, index: int, item: Any) -> Any:
        t = type(item)
        if t is ResponseOutputMessage:
            keys = sorted(k[1] for k in self.texts if k[0] == index)
            if not keys:
                return item
            content = list(item.content)
            for c in keys:
                text = "".join(self.texts[(index, c)])
                while len(content) <= c:
                    content.append(ResponseOutputText())
                part = content[c]
                if type(part) is ResponseOutputText:
                    content[c] = msgspec.structs.replace(part, text=part.text + text)
            return msgspec.structs.replace(item, content=content)
        if t is ResponseFunctionToolCall:
            pieces = self.args.get(index)
            if pieces:
                return msgspec.structs.replace(item, arguments=item.arguments + "".join(pieces))
            return item
        if t is ResponseReasoningItem:
            keys = sorted(k[1] for k in self.reasoning if k[0] == index)
            if keys:
                parts = list(item.content or ())
                for c in keys:
                    text = "".join(self.reasoning[(index, c)])
                    parts.append(ResponseReasoningText(type="reasoning_text", text=text))
                return msgspec.structs.replace(item, content=parts)
        return item


class ResponseStream(SSEStreamBase):
    """A streamed response. Use as ``async with stream: async for event in stream``."""

    __slots__ = (
        "__weakref__",
        "_raw",
        "_iter",
        "_scanner",
        "_events",
        "_index",
        "_acc",
        "_parser",
        "_done",
        "_finished",
        "_closed",
        "_idle_timeout",
        "_on_close",
        "timings",
        "_client_state",
        "_quiet_ns",
        "_deadline_ns",
        "_total_timeout",
        "_failure",
    )

    _kind = "ResponseStream"

    def __init__(
        self,
        raw: RawResponse,
        timings: Timings,
        parser: OutputParser | None = None,
        *,
        idle_timeout: float | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._raw = raw
        self._iter = raw.stream.__aiter__()
        self._scanner = SSEScanner()
        self._events: list[Any] = []
        self._index = 0
        self._acc = _Accumulator()
        self._parser = parser
        self._done = False  # [DONE] seen, or the body ended
        self._finished = False  # a terminal event was seen: only the tail of the body is left
        self._closed = False
        #: seconds allowed between network reads once open (set by the pipeline)
        self._idle_timeout = idle_timeout
        #: called once when the stream is closed (the pipeline's open-stream slot)
        self._on_close = on_close
        #: the class of the error (or cancellation) that ended the stream, for telemetry
        self._failure: type[BaseException] | None = None
        #: monotonic stamps of this stream (see :class:`~groq_anyio.Timings`)
        self.timings = timings
        self._client_state: ResilienceState | None = None  # (set by _configure)
        self._quiet_ns = 1 << 62  # the read timeout, as a wait for the next event (ns)
        self._deadline_ns = 0  # perf_counter_ns by which the stream must end (0: none)
        self._total_timeout: float | None = None

    def _configure(self, options: RequestOptions, state: ResilienceState) -> None:
        """Take the call's limits (the pipeline calls this before :meth:`_prime`)."""
        self._set_limits(options, state)

    @property
    def output_text(self) -> str:
        """The output text received so far."""
        return self._acc.result().output_text

    def get_final_response(self) -> Response:
        """The response of the ``response.completed`` event, or the snapshot so far.

        With a ``text_format``, ``output_parsed`` is decoded here (call it once the stream is
        consumed).

        Raises:
            StructuredOutputError: with a ``text_format``, the output does not decode.
        """
        acc = self._acc
        response = acc.result()
        if self._parser is not None and "parsed" not in response.__dict__:
            reason: str | None = None if acc.final is None else "stop"
            if response.status == "incomplete":
                details = response.incomplete_details
                reason = (details.reason if details is not None else None) or "incomplete"
            response.__dict__["parsed"] = self._parser.decode(
                response.output_text,
                finish_reason=reason,
                whole=response,
                request_id=self.request_id,
            )
        return response

    # -- iteration ------------------------------------------------------------------------------

    def __aiter__(self) -> ResponseStream:
        return self

    async def __anext__(self) -> ResponseStreamEvent:
        events = self._events
        waited = 0  # perf_counter_ns when this wait for an event began (its first read)
        while True:
            index = self._index
            if index < len(events):
                sse = events[index]
                self._index = index + 1
                data = sse.data
                if data[:6] == b"[DONE]" and bytes(data).strip() == b"[DONE]":
                    self._done = True
                    await self._release()
                    raise StopAsyncIteration
                try:
                    event = decode_stream_event(data)
                except DECODE_ERRORS:
                    await self._undecodable(data, sse.event)
                t = type(event)
                if t is ResponseErrorEvent:
                    await self._raise_error_event(event, data)  # type: ignore[arg-type]
                self._acc.add(event)
                timings = self.timings
                now = time.perf_counter_ns()
                timings.last_chunk = now
                if timings.first_chunk is None:
                    timings.first_chunk = now
                if timings.first_content_chunk is None and t is ResponseTextDeltaEvent:
                    timings.first_content_chunk = now
                if t is ResponseCompletedEvent or t is ResponseIncompleteEvent:
                    self._finished = True
                elif t is ResponseFailedEvent:
                    await self._raise_failed(event.response)  # type: ignore[union-attr]
                return event
            if self._done:
                await self._release()
                raise StopAsyncIteration
            # idle means "no event": reads that complete none do not start the wait afresh
            if not waited:
                waited = time.perf_counter_ns()
            elif time.perf_counter_ns() - waited > self._quiet_ns:
                await self._quiet_timeout()
            events = await self._fill(waited)

    async def _fill(self, waited: int = 0) -> list[Any]:
        """Read the next network chunk and scan it; returns the new event list. ``waited``:
        when the wait for the next event began (for the idle timeout)."""
        if self._closed:
            raise ClientClosedError("the stream is closed")
        try:
            try:
                if self._idle_timeout is None and not self._deadline_ns:
                    data = await self._iter.__anext__()
                else:
                    data = await self._next_timed(waited)
            except StopAsyncIteration:
                if self._client_closed():  # (closing the client ended the body under us)
                    await self._abort()
                    raise ClientClosedError(
                        "the client was closed while the stream was being read"
                    ) from None
                self._done = True
                self._events = events = self._scanner.close()
                self._index = 0
                if not events and not self._finished:
                    self._failure = APIConnectionError
                    await self._abort()
                    raise APIConnectionError(
                        "the stream ended before response.completed: the response was cut short",
                        request_id=self.request_id,
                    ) from None
                return events
            self._events = events = self._scanner.feed(data)
            self._index = 0
            return events
        except SSEError as exc:
            self._failure = type(exc)
            await self._abort()
            raise self._scan_error(exc) from exc
        except (APIError, StopAsyncIteration):
            raise
        except Exception as exc:
            from ._transport import map_exception

            self._failure = type(exc)
            mapped = map_exception(exc)
            await self._abort()
            if self._client_closed():
                raise ClientClosedError(
                    "the client was closed while the stream was being read"
                ) from exc
            if mapped is None:
                raise
            raise mapped from exc
        except BaseException as exc:
            # cancelled while reading: the connection is mid-body, close it
            self._failure = type(exc)
            await self._abort()
            raise

    async def _prime(self, retry_in_band: bool = True) -> None:
        """Read until the first event is in, before the pipeline hands the stream out.

        A failure before anything reached the caller can then be retried like any request:
        transport failures raise; an in-band error as the very first event raises only with
        ``retry_in_band`` and when it is retryable (otherwise iteration reports it).
        """
        events = self._events
        while not events:
            if self._done:
                return
            idle, self._idle_timeout = self._idle_timeout, None
            try:
                events = await self._fill()
            finally:
                self._idle_timeout = idle
        if not retry_in_band:
            return
        first = events[0]
        try:
            body = _json_decode(first.data)
        except DECODE_ERRORS:
            return  # [DONE] or garbage: iteration reports it
        if not isinstance(body, dict):
            return
        if body.get("type") == "error" or (first.event == "error" and "type" not in body):
            nested = body.get("error")
            err = nested if isinstance(nested, dict) else body
        elif "error" in body and "type" not in body:
            nested = body["error"]
            err = nested if isinstance(nested, dict) else {"message": str(nested)}
        else:
            return
        error = self._in_band_error(_clean_error(err))
        if error.retryable:
            await self._abort()
            raise error

    async def _undecodable(self, data: Any, name: str | None) -> NoReturn:
        """An event that is not a known event: an in-band ``{"error": ...}`` or garbage."""
        try:
            body = _json_decode(data)
        except DECODE_ERRORS:
            body = None
        if isinstance(body, dict) and ("error" in body or name == "error"):
            err = body.get("error", body)
            await self._raise_in_band(err if isinstance(err, dict) else {"message": str(err)})
        self._failure = APIResponseValidationError
        await self._abort()
        text = bytes(data)[:200].decode("utf-8", "replace")
        raise APIResponseValidationError(
            f"a stream event is not a Responses API event: {text!r}", request_id=self.request_id
        )

    async def _raise_error_event(self, event: ResponseErrorEvent, data: Any) -> NoReturn:
        try:
            body = _json_decode(data)
        except DECODE_ERRORS:  # (it decoded as an event: unlikely)
            body = None
        nested = body.get("error") if isinstance(body, dict) else None
        if isinstance(nested, dict):
            err: dict[str, Any] = _clean_error(nested)
        else:
            fields = (("message", event.message), ("code", event.code), ("param", event.param))
            err = {k: v for k, v in fields if v is not None}
            if event.status_code is not None:
                err["status_code"] = event.status_code
        await self._raise_in_band(err)

    def _in_band_error(self, err: dict[str, Any]) -> APIStatusError:
        return make_status_error(
            status_for_error_code(err),
            {"error": err},
            headers=self._raw.headers,
            in_stream=True,
            partial=self._acc.result(),
        )

    async def _raise_in_band(self, err: dict[str, Any]) -> NoReturn:
        error = self._in_band_error(err)
        self._failure = type(error)
        await self._abort()
        raise error

    async def _raise_failed(self, response: Response) -> NoReturn:
        error = msgspec.to_builtins(response.error) if response.error is not None else {}
        if not error.get("message"):
            error["message"] = "the response failed"
        headers = self._raw.headers
        exc: APIStatusError = make_status_error(
            status_for_error_code(error),
            {"error": error},
            headers=headers,
            in_stream=True,
            partial=response,
        )
        self._failure = type(exc)
        # the stream is over: keep the connection if only the tail is left
        self._finished = True
        await self.aclose()
        raise exc

    # -- closing --------------------------------------------------------------------------------

    async def _drain_and_close(self) -> None:
        # unlike a ChatStream's, a drained ResponseStream reports the end of iteration (rather
        # than ClientClosedError) when iterated again
        self._done = True
        await super()._drain_and_close()
