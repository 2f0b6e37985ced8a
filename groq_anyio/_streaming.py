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
from array import array
from collections.abc import Callable, Sequence
from struct import Struct
from typing import TYPE_CHECKING, Any, NoReturn

import msgspec

from ._accumulate import ChatCompletionAccumulator
from ._decode_errors import DECODE_ERRORS
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    ClientClosedError,
    ResponseTooLargeError,
    StreamStateError,
    make_status_error,
)
from ._response_base import SSEStreamBase
from ._sse import SSEError, SSEScanner
from ._timings import Timings
from .types.chat import ChatCompletion, ChatCompletionChunk

if TYPE_CHECKING:
    from ._pipeline import RequestOptions
    from ._resilience import ResilienceState
    from ._transport import RawResponse

__all__ = ["ChatStream"]

_chunk_decoder = msgspec.json.Decoder(ChatCompletionChunk)
_batch_decoder = msgspec.json.Decoder(list[ChatCompletionChunk])
_now_ns = time.perf_counter_ns
_memoryview = memoryview
_json_decode = msgspec.json.decode
_NO_EVENTS: list[Any] = []  # shared, never mutated
_NO_CHUNKS: list[ChatCompletionChunk] = []  # shared, never mutated
_NO_RUN = (b"", 0)
_NO_LIMIT = 1 << 62
#: record every chunk's arrival stamp in ``Timings.chunk_times`` (one C-level append per
#: network read; see docs/benchmarking.md for its measured cost)
RECORD_CHUNK_TIMES = True
_pack_stamp = Struct("=q").pack  # (one stamp as array('q') bytes)
#: a network read longer than this is scanned and decoded in pieces of about this size, each
#: cut after an event: one 256 KiB read (asyncio's and uvloop's read size) as a single batch
#: costs ~15 % more per chunk than the same bytes in 64 KiB batches (measured in-process on
#: CPython 3.11: 939 vs 799 ns per chunk; the batch's bytes, their copies and its chunks no
#: longer fit the CPU caches together)
_PIECE = 65536
_NO_SPLIT = (b"", 0)


def _finish_only(chunks: Sequence[ChatCompletionChunk], start: int, stop: int) -> bool:
    """What a stream that accumulates nothing needs of ``chunks[start:stop]``: whether one of
    them finished a choice."""
    for i in range(start, stop):
        for choice in chunks[i].choices:
            if choice.finish_reason is not None:
                return True
    return False


class ChatStream(SSEStreamBase):
    """A streamed chat completion. Use as ``async with stream: async for chunk in stream``."""

    __slots__ = (
        "__weakref__",
        "_raw",
        "_iter",
        "_scanner",
        "_chunks",
        "_index",
        "_folded",
        "_run",
        "_split",
        "_events",
        "_eindex",
        "_watch",
        "_acc",
        "_add",
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
        "_acc_limit",
        "_received",
        "_keep",
        "_started",
        "_failure",
    )

    _kind = "ChatStream"

    def __init__(
        self,
        raw: RawResponse,
        timings: Timings,
        *,
        idle_timeout: float | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._raw = raw
        self._iter = raw.stream.__aiter__()
        self._scanner = SSEScanner()
        #: the current batch: the chunks of one network read, decoded by one msgspec call
        self._chunks: list[ChatCompletionChunk] = _NO_CHUNKS
        self._index = 0  # the next chunk of the batch
        #: the batch's chunks before this one are in the accumulator: a batch is folded in one
        #: call when it is used up, or when the accumulator is looked at (see _fold)
        self._folded = 0
        self._run: tuple[bytes, int] = _NO_RUN  # the batch's bytes (SSEScanner.run_views)
        #: a long network read still to be scanned: (its bytes, where the next piece starts)
        self._split: tuple[bytes, int] = _NO_SPLIT
        #: the slow path: events one by one (views or ServerSentEvent objects)
        self._events: list[Any] = _NO_EVENTS
        self._eindex = 0
        self._watch = True  # the first content chunk's time stamp is still to be taken
        self._acc = ChatCompletionAccumulator()
        self._add = self._acc.add_choices_of  # (bound once: it runs for every batch)
        self._done = False  # [DONE] seen, or the body ended
        self._finished = False  # a finish_reason was seen: only the tail of the body is left
        self._closed = False
        #: seconds allowed between network reads once the stream is open (None: no limit
        #: beyond the transport's read timeout); set by the pipeline after the first event
        self._idle_timeout = idle_timeout
        #: called once when the stream is closed (the pipeline's open-stream slot)
        self._on_close = on_close
        #: the class of the error (or cancellation) that ended the stream, for telemetry
        self._failure: type[BaseException] | None = None
        #: monotonic stamps of this stream (see :class:`~groq_anyio.Timings`)
        self.timings = timings
        self._client_state: ResilienceState | None = None  # (set by _configure)
        #: the longest wait (ns) for the next chunk while bytes keep coming (Timeout.read)
        self._quiet_ns = _NO_LIMIT
        #: perf_counter_ns by which the whole stream must end (0: no limit)
        self._deadline_ns = 0
        self._total_timeout: float | None = None
        self._acc_limit = _NO_LIMIT  # ResponseLimits.accumulated
        self._received = 0  # bytes of events folded into the accumulator (bounds what it keeps)
        self._keep = True  # accumulate (get_final_completion() works)
        self._started = False  # a chunk has been handed out
        if RECORD_CHUNK_TIMES:
            timings.chunk_times = array("q")

    def _clear_buffered(self) -> None:
        self._fold(self._index)  # (what was handed out stays in the completion)
        self._chunks = _NO_CHUNKS
        self._index = 0
        self._folded = 0
        self._run = _NO_RUN
        self._split = _NO_SPLIT
        self._events = _NO_EVENTS
        self._eindex = 0

    def _configure(self, options: RequestOptions, state: ResilienceState) -> None:
        """Take the call's limits (the pipeline calls this before :meth:`_prime`)."""
        self._set_limits(options, state)
        accumulated = options.limits.accumulated
        if not options.accumulate:
            self._keep = False
            self._add = _finish_only
        elif accumulated is not None:
            self._acc_limit = accumulated

    def get_final_completion(self) -> ChatCompletion:
        """The ChatCompletion rebuilt from the chunks received so far (text, tool calls, usage).

        Raises:
            StreamStateError: the stream has not been iterated yet (nothing was received), or
                the client was created with ``accumulate_streams=False``.
        """
        return self.current_completion_snapshot()

    def current_completion_snapshot(self) -> ChatCompletion:
        """Like :meth:`get_final_completion`: the completion as received so far."""
        if not self._keep:
            raise StreamStateError(
                "this stream keeps nothing to rebuild the completion from: the client was "
                "created with accumulate_streams=False"
            )
        if not self._started and not self._done:
            raise StreamStateError(
                "the stream has not been iterated yet: iterate it (async for chunk in stream) "
                "before asking for the final completion"
            )
        self._fold(self._index)
        return self._acc.result()

    def _fold(self, stop: int) -> None:
        """Fold the current batch's chunks up to ``stop`` (those handed out) into the
        accumulator, and note whether one finished a choice."""
        start = self._folded
        if start < stop:
            self._folded = stop
            if self._add(self._chunks, start, stop):
                self._finished = True

    async def aclose(self) -> None:
        self._fold(self._index)  # (whether a finish_reason came decides: drain or close)
        await super().aclose()

    # -- iteration ------------------------------------------------------------------------------

    def __aiter__(self) -> ChatStream:
        return self

    async def __anext__(self) -> ChatCompletionChunk:
        # Hot path: the next chunk of the current batch (one network read's worth, decoded by
        # one msgspec call in _advance). Chunk-level fields (x_groq, usage, errors) are only on
        # the first and the last chunk, normally: the others only move the index (the
        # accumulator takes the chunks handed out in one call per batch: _fold).
        chunks = self._chunks
        index = self._index
        if index < len(chunks):
            chunk = chunks[index]
            self._index = index + 1
            if (
                chunk.x_groq is not None
                or chunk.error is not None
                or chunk.usage is not None
                or chunk.service_tier is not None
                or chunk.usage_breakdown is not None
                or self._watch
            ):
                await self._inspect(chunk)
            return chunk
        return await self._advance()

    async def _inspect(self, chunk: ChatCompletionChunk, data: Any = None) -> None:
        """The rarer per-chunk work: in-band errors, chunk-level fields for the accumulator,
        and the first-chunk time stamps.

        ``data`` is the chunk's event data; None for a chunk of the current batch, whose
        bytes are found again in the batch's run (only when an error needs them)."""
        self._started = True  # (the first chunk always comes here: _watch starts True)
        if chunk.error is not None or (chunk.x_groq is not None and chunk.x_groq.error is not None):
            if data is None:
                b, end = self._run
                data = SSEScanner.run_views(b, end)[self._index - 1]
            await self._raise_in_band(data)
        self._acc.add_meta(chunk)
        timings = self.timings
        if self._watch:
            if timings.first_content_chunk is None:
                # the arrival of the network read that carried the chunk (set by every read)
                now = timings.last_chunk or _now_ns()
                if timings.first_chunk is None:
                    timings.first_chunk = now
                for choice in chunk.choices:
                    if choice.delta.content:
                        timings.first_content_chunk = now
                        times = timings.chunk_times
                        if times is not None:
                            timings.first_content_index = (
                                len(times) - len(self._chunks) + self._index - 1
                            )
                        break
            # (watching ends once both are known: the chunk-level fields are then only
            # looked at on chunks that carry them)
            self._watch = timings.first_content_chunk is None or not self._acc.has_id
        elif timings.content_end < 0 and (
            chunk.usage is not None or (chunk.x_groq is not None and chunk.x_groq.usage is not None)
        ):
            times = timings.chunk_times
            if times is not None and not any(c.delta.content for c in chunk.choices):
                # the usage-carrying finish chunk: where the token gaps end
                timings.content_end = len(times) - len(self._chunks) + self._index - 1

    async def _advance(self) -> ChatCompletionChunk:
        """The batch is used up: take the next event of the slow path, or read more."""
        self._fold(len(self._chunks))
        self._chunks = _NO_CHUNKS  # (the used-up batch is not kept while the caller waits)
        self._run = _NO_RUN
        self._index = 0
        self._folded = 0
        if self._received > self._acc_limit:
            await self._too_much()
        waited = 0  # perf_counter_ns when this wait for a chunk began (its first read)
        while True:
            events = self._events
            index = self._eindex
            data: Any = None  # the chunk's event data (None: it is the first of a batch)
            if index < len(events):
                data = events[index]
                index += 1
                if index < len(events):
                    self._eindex = index
                else:
                    # drop the used-up list now: its events are views of the network chunk,
                    # which would otherwise stay alive while the caller waits for the next one
                    self._events = _NO_EVENTS
                    self._eindex = 0
                if type(data) is not _memoryview:  # not a plain `data:` line: an event object
                    event = data
                    data = event.data
                    if event.event is not None and event.event != "message":
                        if event.event == "error":
                            await self._raise_in_band(data)
                        continue  # other named events are not chat chunks
                try:
                    chunk = _chunk_decoder.decode(data)
                except DECODE_ERRORS:
                    # `[DONE]` is not a JSON object either: it is only looked for here, once,
                    # rather than compared against every chunk
                    if bytes(data).strip() == b"[DONE]":
                        self._done = True
                        await self._release()
                        raise StopAsyncIteration from None
                    await self._raise_undecodable(data)
                self._received += len(data)
                times = self.timings.chunk_times
                if times is not None:
                    times.append(self.timings.last_chunk or 0)
            else:
                split = self._split
                if split[1]:
                    raw = self._piece(*split)  # the rest of a long read (see _PIECE)
                else:
                    if self._done:
                        if self._closed and not self._finished and self._client_closed():
                            # the client was closed between two reads: say so, not "the end"
                            raise ClientClosedError(
                                "the client was closed while the stream was being read"
                            )
                        await self._release()
                        raise StopAsyncIteration
                    # idle means "no chunk": reads that complete none (keep-alive comments, a
                    # trickle of bytes) do not start the wait afresh
                    if not waited:
                        waited = _now_ns()
                    elif _now_ns() - waited > self._quiet_ns:
                        await self._quiet_timeout()
                    if self._closed or self._idle_timeout is not None or self._deadline_ns:
                        read = await self._read(waited)
                        if read is None:
                            continue  # the body ended: its last events are in place
                        raw = read
                    else:
                        # _read() inlined: one call and one coroutine resumption less per read
                        try:
                            raw = await self._iter.__anext__()
                        except BaseException as exc:
                            self._events = await self._fill_failed(exc)
                            self._eindex = 0
                            continue
                        self.timings.last_chunk = _now_ns()
                    if len(raw) > _PIECE:
                        raw = self._piece(raw, 0)
                try:
                    run = self._scanner.feed_json_run(raw)
                    if run is None:
                        self._events = self._scanner.feed_views(raw)
                        self._eindex = 0
                        continue
                except BaseException as exc:
                    self._events = await self._fill_failed(exc)
                    self._eindex = 0
                    continue
                array, count, b, end = run
                try:
                    chunks = _batch_decoder.decode(array)
                except DECODE_ERRORS:
                    chunks = _NO_CHUNKS
                if len(chunks) != count:
                    # `[DONE]` (normally the last event of the last read), or a payload that
                    # is not one chunk: take this run event by event, which finds out which
                    self._events = SSEScanner.run_views(b, end)
                    self._eindex = 0
                    continue
                self._chunks = chunks
                self._run = (b, end)
                self._index = 1
                self._received += end
                chunk = chunks[0]
                times = self.timings.chunk_times
                if times is not None:  # one stamp per read, shared by its chunks
                    times.frombytes(_pack_stamp(self.timings.last_chunk or 0) * count)
            # (as in __anext__)
            if (
                chunk.x_groq is not None
                or chunk.error is not None
                or chunk.usage is not None
                or chunk.service_tier is not None
                or chunk.usage_breakdown is not None
                or self._watch
            ):
                await self._inspect(chunk, data)
            if data is not None and self._add((chunk,), 0, 1):  # (a batch is folded later)
                self._finished = True
            return chunk

    def _piece(self, data: bytes, pos: int) -> bytes:
        """The next piece of a long read ``data`` from ``pos``: up to the last event end within
        :data:`_PIECE` bytes (all of the rest when it is that short, or holds no event end
        there); the rest stays in ``_split``."""
        if type(data) is not bytes:
            data = bytes(data)
        stop = pos + _PIECE
        if stop < len(data):
            cut = data.rfind(b"\n\n", pos, stop)
            if cut >= 0:
                self._split = (data, cut + 2)
                return data[pos : cut + 2]
        self._split = _NO_SPLIT
        return data[pos:] if pos else data

    async def _read(self, waited: int = 0) -> bytes | None:
        """The next network chunk (within the idle and total timeouts, if set; ``waited``: when
        the wait for the next chunk began); None when the body has ended (its last events are
        then in ``_events``)."""
        if self._closed:
            raise ClientClosedError("the stream is closed")
        try:
            if self._idle_timeout is None and not self._deadline_ns:
                data = await self._iter.__anext__()
            else:
                data = await self._next_timed(waited)
        except BaseException as exc:
            events = await self._fill_failed(exc)
            self._events = events
            self._eindex = 0
            return None
        self.timings.last_chunk = _now_ns()
        return data

    async def _fill(self) -> list[Any]:
        """Read the next network chunk and scan it; returns the new event list."""
        data = await self._read()
        if data is None:
            return self._events  # the body ended: its last events
        try:
            self._events = events = self._scanner.feed_views(data)
        except BaseException as exc:
            events = await self._fill_failed(exc)
        self._eindex = 0
        return events

    async def _fill_failed(self, exc: BaseException) -> list[Any]:
        """Reading or scanning the next network chunk raised ``exc``: the end of the body
        (returns the last events), or an error to report (raises)."""
        if isinstance(exc, StopAsyncIteration):
            if self._client_closed():  # (closing the client ended the body under us)
                await self._abort()
                raise ClientClosedError("the client was closed while the stream was being read")
            self._done = True
            self._events = events = self._scanner.close()
            self._eindex = 0
            if not events and not self._finished:
                self._failure = APIConnectionError
                await self._abort()
                raise APIConnectionError(
                    "the stream ended before [DONE]: the response was cut short",
                    request_id=self.request_id,
                ) from None
            return events
        self._failure = type(exc)  # (what error_type() reports: mapped, or "cancelled")
        if isinstance(exc, SSEError):
            await self._abort()
            raise self._scan_error(exc) from exc
        if isinstance(exc, APIError):
            raise exc
        if isinstance(exc, Exception):
            from ._transport import map_exception

            mapped = map_exception(exc)
            await self._abort()
            if self._client_closed():
                raise ClientClosedError(
                    "the client was closed while the stream was being read"
                ) from exc
            if mapped is None:
                raise exc
            raise mapped from exc
        # cancelled while reading: the connection is mid-body, close it
        await self._abort()
        raise exc

    async def _prime(self, retry_in_band: bool = True) -> None:
        """Read until the first event is in, before the stream is handed to the caller.

        Used by the pipeline so that a stream failing before anything reached the caller (a
        reset, a stall, an in-band error as the very first event) can still be retried like
        any request. Transport failures raise; an in-band error as the first event raises only
        with ``retry_in_band`` and when it is retryable (otherwise iteration reports it, as it
        would any later one). The idle timeout does not apply here.
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
        event = events[0]
        if type(event) is memoryview:  # a plain `data:` event (see SSEScanner.feed_views)
            data: Any = event
            kind = None
        else:
            data = event.data
            kind = event.event
        if not retry_in_band:
            return
        if kind is None or kind == "message":
            try:
                chunk = _chunk_decoder.decode(data)
            except DECODE_ERRORS:
                return  # [DONE], or undecodable: iteration reports it
            if chunk.error is None and (chunk.x_groq is None or chunk.x_groq.error is None):
                return
        elif kind != "error":
            return
        error = self._in_band_error(data)
        if error.retryable:
            await self._abort()
            raise error

    async def _raise_in_band(self, data: Any) -> NoReturn:
        # the completion so far (the error's `partial`) is every chunk handed out before the
        # one carrying the error, which is the last one handed out when it came in a batch
        self._fold(self._index - 1)
        self._folded = self._index
        error = self._in_band_error(data)
        self._failure = type(error)
        await self._abort()
        raise error

    def _in_band_error(self, data: Any) -> APIError:
        try:
            body = _json_decode(data)
        except DECODE_ERRORS:
            body = {"error": {"message": bytes(data)[:2000].decode("utf-8", "replace")}}
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
        return make_status_error(
            status,
            {"error": err_obj} if isinstance(err_obj, dict) else body,
            headers=headers,
            in_stream=True,
            partial=self._acc.result() if self._keep else None,
        )

    async def _too_much(self) -> NoReturn:
        await self._abort()
        raise ResponseTooLargeError(
            "the completion accumulated from this stream grew past the client's limit; the "
            "stream was closed (create the client with accumulate_streams=False to only iterate)",
            limit=self._acc_limit,
            setting="ResponseLimits.accumulated",
            request_id=self.request_id,
        )

    async def _raise_undecodable(self, data: Any) -> NoReturn:
        self._failure = APIResponseValidationError
        await self._abort()
        text = bytes(data)[:200].decode("utf-8", "replace")
        raise APIResponseValidationError(
            f"a stream event is not a chat completion chunk: {text!r}", request_id=self.request_id
        )
