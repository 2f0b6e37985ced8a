"""ChatStream: an async iterator and async context manager over one streamed chat completion.

Per chunk the hot path is: take the next event the SSE scanner already produced, decode its
``data`` buffer straight into a ``ChatCompletionChunk`` with a reused msgspec decoder, fold it into
the accumulator, return it. Network reads happen only when the scanner's event list is used up;
one read usually yields many events.

Ownership: the stream owns the HTTP response. ``async with`` (or iterating to the end) releases
it; leaving early, an exception in the consumer or a cancellation releases it too: drained and
kept in the pool when only the end of the body is left, closed otherwise. No task, task group or
cancel scope lives across the consumer's ``await``: ``__anext__`` is a plain coroutine method.
"""

from __future__ import annotations

import time
import warnings
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

import anyio
import msgspec

from ._accumulate import ChatCompletionAccumulator
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    ClientClosedError,
    make_status_error,
)
from ._sse import SSEError, SSEScanner
from ._timings import Timings
from .types.chat import ChatCompletion, ChatCompletionChunk

if TYPE_CHECKING:
    from ._transport import RawResponse

__all__ = ["ChatStream"]

_chunk_decoder = msgspec.json.Decoder(ChatCompletionChunk)
_json_decode = msgspec.json.decode
_DRAIN_LIMIT = 64 * 1024
_DRAIN_SECONDS = 1.0


class ChatStream:
    """A streamed chat completion. Use as ``async with stream: async for chunk in stream``."""

    __slots__ = (
        "__weakref__",
        "_raw",
        "_iter",
        "_scanner",
        "_events",
        "_index",
        "_acc",
        "_done",
        "_finished",
        "_closed",
        "timings",
    )

    def __init__(self, raw: RawResponse, timings: Timings) -> None:
        self._raw = raw
        self._iter = raw.stream.__aiter__()
        self._scanner = SSEScanner()
        self._events: list[Any] = []
        self._index = 0
        self._acc = ChatCompletionAccumulator()
        self._done = False  # [DONE] seen, or the body ended
        self._finished = False  # a finish_reason was seen: only the tail of the body is left
        self._closed = False
        #: monotonic stamps of this stream (see :class:`~groq_anyio.Timings`)
        self.timings = timings

    # -- metadata -------------------------------------------------------------------------------

    @property
    def headers(self) -> dict[str, str]:
        return self._raw.headers

    @property
    def status_code(self) -> int:
        return self._raw.status

    @property
    def http_version(self) -> str:
        return self._raw.http_version

    @property
    def request_id(self) -> str | None:
        return self._raw.header(b"x-request-id")

    @property
    def closed(self) -> bool:
        return self._closed

    def get_final_completion(self) -> ChatCompletion:
        """The ChatCompletion rebuilt from the chunks received so far (text, tool calls, usage)."""
        return self._acc.result()

    def current_completion_snapshot(self) -> ChatCompletion:
        return self._acc.result()

    # -- iteration ------------------------------------------------------------------------------

    def __aiter__(self) -> ChatStream:
        return self

    async def __anext__(self) -> ChatCompletionChunk:
        events = self._events
        while True:
            index = self._index
            if index < len(events):
                event = events[index]
                self._index = index + 1
                data = event.data
                if event.event is not None and event.event != "message":
                    if event.event == "error":
                        await self._raise_in_band(data)
                    continue  # other named events are not chat chunks
                if data[:6] == b"[DONE]" and bytes(data).strip() == b"[DONE]":
                    self._done = True
                    await self._release()
                    raise StopAsyncIteration
                try:
                    chunk = _chunk_decoder.decode(data)
                except msgspec.DecodeError:
                    await self._raise_undecodable(data)
                if chunk.error is not None or (
                    chunk.x_groq is not None and chunk.x_groq.error is not None
                ):
                    await self._raise_in_band(data)
                self._acc.add(chunk)
                timings = self.timings
                now = time.perf_counter_ns()
                timings.last_chunk = now
                if timings.first_content_chunk is None:
                    if timings.first_chunk is None:
                        timings.first_chunk = now
                    for choice in chunk.choices:
                        if choice.delta.content:
                            timings.first_content_chunk = now
                            break
                for choice in chunk.choices:
                    if choice.finish_reason is not None:
                        self._finished = True
                return chunk
            if self._done:
                await self._release()
                raise StopAsyncIteration
            events = await self._fill()

    async def _fill(self) -> list[Any]:
        """Read the next network chunk and scan it; returns the new event list."""
        if self._closed:
            raise ClientClosedError("the stream is closed")
        try:
            try:
                data = await self._iter.__anext__()
            except StopAsyncIteration:
                self._done = True
                self._events = events = self._scanner.close()
                self._index = 0
                if not events and not self._finished:
                    await self._abort()
                    raise APIConnectionError(
                        "the stream ended before [DONE]: the response was cut short",
                        request_id=self.request_id,
                    ) from None
                return events
            self._events = events = self._scanner.feed(data)
            self._index = 0
            return events
        except SSEError as exc:
            await self._abort()
            raise APIResponseValidationError(
                f"malformed event stream: {exc}", request_id=self.request_id
            ) from exc
        except (APIError, StopAsyncIteration):
            raise
        except Exception as exc:
            from ._transport import map_exception

            mapped = map_exception(exc)
            await self._abort()
            if mapped is None:
                raise
            raise mapped from exc
        except BaseException:
            # cancelled while reading: the connection is mid-body, close it
            await self._abort()
            raise

    async def _raise_in_band(self, data: Any) -> NoReturn:
        try:
            body = _json_decode(data)
        except msgspec.DecodeError:
            body = {"error": {"message": bytes(data).decode("utf-8", "replace")}}
        err_obj: Any = None
        if isinstance(body, dict):
            err_obj = body.get("error")
            if err_obj is None and isinstance(body.get("x_groq"), dict):
                err_obj = body["x_groq"].get("error")
            if err_obj is None:
                err_obj = body
        status = 500
        if isinstance(err_obj, dict):
            sc = err_obj.get("status_code", err_obj.get("status"))
            if isinstance(sc, int) and not isinstance(sc, bool) and 100 <= sc <= 599:
                status = sc
        headers = self._raw.headers
        await self._abort()
        raise make_status_error(
            status,
            {"error": err_obj} if isinstance(err_obj, dict) else body,
            headers=headers,
            in_stream=True,
            partial=self._acc.result(),
        )

    async def _raise_undecodable(self, data: Any) -> NoReturn:
        await self._abort()
        text = bytes(data)[:200].decode("utf-8", "replace")
        raise APIResponseValidationError(
            f"a stream event is not a chat completion chunk: {text!r}", request_id=self.request_id
        )

    # -- closing --------------------------------------------------------------------------------

    async def _release(self) -> None:
        """Normal end: read what is left of the body (normally nothing) and pool the connection."""
        if self._closed:
            return
        await self._drain_and_close()

    async def _abort(self) -> None:
        """Error or cancellation: close the connection (an HTTP/2 stream is reset)."""
        if self._closed:
            return
        self._closed = True
        self._done = True
        await self._raw.stream.aclose()

    async def _drain_and_close(self) -> None:
        self._closed = True
        stream = self._raw.stream
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(_DRAIN_SECONDS):
                drained = 0
                try:
                    async for part in self._iter:
                        drained += len(part)
                        if drained > _DRAIN_LIMIT:
                            break
                except Exception:
                    pass
            await stream.aclose()

    async def aclose(self) -> None:
        """Release the response. Safe to call more than once, and from a cancelled task."""
        if self._closed:
            return
        if self._done or self._finished:
            # only the [DONE] line and the end of the body are left: keep the connection
            await self._drain_and_close()
        else:
            await self._abort()

    async def __aenter__(self) -> ChatStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and not self._closed:
            # an exception (cancellation included) is propagating: do not wait for anything
            await self._abort()
        else:
            await self.aclose()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self._raw.stream.abandon()
            warnings.warn(
                "a ChatStream was garbage-collected without being closed; use `async with stream:`",
                ResourceWarning,
                stacklevel=1,
            )

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return (
            f"<ChatStream {state} http_version={self._raw.http_version!r} "
            f"request_id={self.request_id!r}>"
        )
