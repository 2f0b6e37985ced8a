"""``client.batches``: create, retrieve, list and cancel batch jobs, and read their results.

``results()`` reads a finished batch's output file (then its error file) line by line as
:class:`~groq_anyio.types.BatchResult` values: the files are streamed, never held whole, and
each line's response body is decoded as a :class:`~groq_anyio.types.ChatCompletion`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Literal

import msgspec

from .._config import Timeout
from .._decode_errors import DECODE_ERRORS
from .._download import BinaryResponse
from .._errors import APIResponseValidationError, InvalidParameterError
from .._notgiven import NOT_GIVEN, NotGiven
from ..types.batches import (
    Batch,
    BatchCreateRequest,
    BatchList,
    BatchResponse,
    BatchResult,
    BatchResultError,
)
from ..types.chat_completion import ChatCompletion
from ..types.shared import ErrorResponse
from ._common import JSON_CONTENT_TYPE, APIResource, encode_json, path_id, request_json

if TYPE_CHECKING:
    from .._requester import Requester

__all__ = ["MAX_RESULT_LINE", "BatchResults", "Batches"]

#: the longest result line accepted (a longer one means a broken file, not a result)
MAX_RESULT_LINE: Final = 64 << 20

_PATH: Final = "/batches"
_ENDPOINTS: Final = frozenset({"/v1/chat/completions"})
_WINDOW: Final = re.compile(r"([1-9][0-9]*)([hd])")
_MIN_WINDOW_HOURS: Final = 24
_MAX_WINDOW_HOURS: Final = 7 * 24
_COMPACT_AT: Final = 64 * 1024

_batch_decoder: Final = msgspec.json.Decoder(Batch)
_list_decoder: Final = msgspec.json.Decoder(BatchList)
_completion_decoder: Final = msgspec.json.Decoder(ChatCompletion)
_error_decoder: Final = msgspec.json.Decoder(ErrorResponse)
_any_decode: Final = msgspec.json.decode


class Batches(APIResource):
    """``/batches``: run many chat completions asynchronously from an uploaded JSONL file."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    async def create(
        self,
        *,
        input_file_id: str,
        endpoint: Literal["/v1/chat/completions"] = "/v1/chat/completions",
        completion_window: str = "24h",
        metadata: Mapping[str, str] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
    ) -> Batch:
        """Start a batch over an uploaded file (``client.files.create(file=..., purpose="batch")``).

        Args:
            input_file_id: The uploaded JSONL file of requests.
            endpoint: The API path of every request: ``"/v1/chat/completions"``.
            completion_window: The time allowed: hours or days from ``"24h"`` to ``"7d"``.
            metadata: Your key-value strings, kept with the batch.
            extra_headers: Additional request headers.
            extra_query: Additional query parameters.
            extra_body: Additional JSON fields (they replace same-named ones).
            timeout: The call's total deadline (seconds or a :class:`~groq_anyio.Timeout`).

        Raises:
            InvalidParameterError: A wrong argument, before any request.
            APIStatusError: The API answered with an error status (a subclass per status).
        """
        if not isinstance(input_file_id, str) or not input_file_id.strip():
            raise InvalidParameterError("input_file_id", "must be a non-empty file id string")
        if endpoint not in _ENDPOINTS:
            raise InvalidParameterError("endpoint", 'must be "/v1/chat/completions"')
        _check_window(completion_window)
        request = BatchCreateRequest(
            input_file_id=input_file_id,
            endpoint=endpoint,
            completion_window=completion_window,
            metadata=_check_metadata(metadata),
        )
        return await request_json(
            self._client,
            b"POST",
            _PATH,
            _batch_decoder,
            body=encode_json(request, extra_body),
            content_type=JSON_CONTENT_TYPE,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )

    async def retrieve(
        self,
        batch_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
    ) -> Batch:
        """A batch's current state (``status``, ``request_counts``, result file ids)."""
        segment = path_id("batch_id", batch_id)
        return await request_json(
            self._client,
            b"GET",
            f"{_PATH}/{segment}",
            _batch_decoder,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )

    async def list(
        self,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
    ) -> BatchList:
        """The organisation's batches (``for batch in await client.batches.list():``)."""
        return await request_json(
            self._client,
            b"GET",
            _PATH,
            _list_decoder,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )

    async def cancel(
        self,
        batch_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
    ) -> Batch:
        """Cancel a batch; it goes ``cancelling``, then ``cancelled`` (finished requests keep
        their results)."""
        segment = path_id("batch_id", batch_id)
        return await request_json(
            self._client,
            b"POST",
            f"{_PATH}/{segment}/cancel",
            _batch_decoder,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )

    async def results(
        self,
        batch: Batch | str,
        *,
        include_errors: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
    ) -> BatchResults:
        """The results of a finished batch, as an async iterator of ``BatchResult``.

        The output file is read first, then (``include_errors``) the error file; each is
        streamed line by line, never held whole. Use it as::

            async with await client.batches.results(batch) as results:
                async for result in results:
                    print(result.custom_id, result.completion)

        Args:
            batch: A :class:`~groq_anyio.types.Batch` or a batch id. An id, or a batch that was
                not finished yet, is retrieved first.
            include_errors: Also read the error file (the requests that failed).
            extra_headers: Additional request headers for the downloads.
            timeout: The deadline of each request up to its response headers.

        Raises:
            InvalidParameterError: ``batch`` is neither, or the batch is not finished yet.
        """
        if isinstance(batch, Batch):
            if not batch.is_finished:
                batch = await self.retrieve(batch.id, extra_headers=extra_headers, timeout=timeout)
        elif isinstance(batch, str):
            batch = await self.retrieve(batch, extra_headers=extra_headers, timeout=timeout)
        else:
            raise InvalidParameterError(
                "batch", f"must be a Batch or a batch id, not {type(batch).__name__}"
            )
        if not batch.is_finished:
            raise InvalidParameterError(
                "batch",
                f"batch {batch.id} is {batch.status!r}, not finished: its results are not ready"
                " (retrieve it until batch.is_finished)",
            )
        file_ids = [batch.output_file_id] if batch.output_file_id else []
        if include_errors and batch.error_file_id:
            file_ids.append(batch.error_file_id)
        return BatchResults(self._client, batch, file_ids, extra_headers, timeout)


class BatchResults:
    """The result lines of a finished batch: ``async for result in results`` (and ``async with
    results:`` to release the download if you stop early).

    Nothing is downloaded until the first ``__anext__``; each file is then streamed and split
    into lines as it arrives (a line is decoded once it is complete).
    """

    def __init__(
        self,
        client: Requester,
        batch: Batch,
        file_ids: list[str],
        extra_headers: Mapping[str, str] | None,
        timeout: float | Timeout | NotGiven | None,
    ) -> None:
        #: the batch whose results these are
        self.batch = batch
        self._client = client
        self._file_ids = file_ids
        self._extra_headers = extra_headers
        self._timeout = timeout
        self._next_file = 0
        self._file_id: str | None = None
        self._response: BinaryResponse | None = None
        self._chunks: Any = None
        self._buffer = bytearray()
        self._start = 0  # where the next line begins in the buffer
        self._scan = 0  # bytes before this offset hold no newline
        self._line_no = 0
        self._closed = False

    def __aiter__(self) -> BatchResults:
        return self

    async def __anext__(self) -> BatchResult:
        while True:
            if self._closed:
                raise StopAsyncIteration
            if self._response is None:
                if self._next_file >= len(self._file_ids):
                    self._closed = True
                    raise StopAsyncIteration
                await self._open(self._file_ids[self._next_file])
                self._next_file += 1
            line = await self._next_line()
            if line is None:
                self._response = self._chunks = None
                continue
            if line.strip():
                return self._decode(line)

    async def _open(self, file_id: str) -> None:
        response = await self._client.files.content(
            file_id, extra_headers=self._extra_headers, timeout=self._timeout
        )
        self._file_id = file_id
        self._response = response
        self._chunks = response.iter_bytes()
        self._buffer.clear()
        self._start = self._scan = 0
        self._line_no = 0

    async def _next_line(self) -> bytes | None:
        """The next line of the current file (without its newline), or ``None`` at its end."""
        buffer = self._buffer
        while True:
            end = buffer.find(b"\n", self._scan)
            if end >= 0:
                line = bytes(buffer[self._start : end])
                self._start = self._scan = end + 1
                self._line_no += 1
                if self._start >= _COMPACT_AT:
                    del buffer[: self._start]
                    self._start = self._scan = 0
                return line
            self._scan = len(buffer)
            if self._scan - self._start > MAX_RESULT_LINE:
                await self.aclose()
                raise APIResponseValidationError(
                    f"line {self._line_no + 1} of file {self._file_id} is longer than"
                    f" {MAX_RESULT_LINE} bytes: not a batch result file"
                )
            try:
                chunk = await self._chunks.__anext__()
            except StopAsyncIteration:
                if self._start < len(buffer):  # a last line without a newline
                    line = bytes(buffer[self._start :])
                    buffer.clear()
                    self._start = self._scan = 0
                    self._line_no += 1
                    return line
                return None
            buffer += chunk

    def _decode(self, line: bytes) -> BatchResult:
        try:
            wire = _line_decoder.decode(line)
        except DECODE_ERRORS as exc:
            raise APIResponseValidationError(
                f"line {self._line_no} of file {self._file_id} is not a batch result: {exc}",
                body=line[:2000].decode("utf-8", "replace"),
            ) from None
        response: BatchResponse | None = None
        if wire.response is not None:
            response = _response(wire.response)
        error = None
        if wire.error is not None:
            error = BatchResultError(code=wire.error.code, message=wire.error.message)
        return BatchResult(custom_id=wire.custom_id, id=wire.id, response=response, error=error)

    async def aclose(self) -> None:
        """Release the download in progress (if any). Safe to call more than once."""
        self._closed = True
        response, self._response = self._response, None
        self._chunks = None
        if response is not None:
            await response.aclose()

    async def __aenter__(self) -> BatchResults:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closed = True
        response, self._response = self._response, None
        self._chunks = None
        if response is not None:
            await response.__aexit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"<BatchResults batch={self.batch.id!r} files={self._file_ids!r}>"


# ----------------------------------------------------------------------------- result lines


class _WireResponse(msgspec.Struct, gc=False):
    status_code: int
    request_id: str | None = None
    body: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(b"null"))


class _WireError(msgspec.Struct, gc=False):
    code: str | None = None
    message: str | None = None


class _WireLine(msgspec.Struct, gc=False):
    custom_id: str
    id: str | None = None
    response: _WireResponse | None = None
    error: _WireError | None = None


_line_decoder: Final = msgspec.json.Decoder(_WireLine)


def _response(wire: _WireResponse) -> BatchResponse:
    """The typed response of a result line: a ChatCompletion body for 2xx, the error object
    for an error, the plain JSON value otherwise."""
    raw = bytes(wire.body)
    out = BatchResponse(status_code=wire.status_code, request_id=wire.request_id)
    if raw.strip() in (b"", b"null"):
        return out
    if 200 <= wire.status_code < 300:
        try:
            out.body = _completion_decoder.decode(raw)
            return out
        except DECODE_ERRORS:
            pass
    else:
        try:
            err = _error_decoder.decode(raw)
        except DECODE_ERRORS:
            err = None
        if err is not None and err.error is not None:
            out.error = err.error
            return out
    try:
        out.raw_body = _any_decode(raw)
    except DECODE_ERRORS:
        out.raw_body = raw.decode("utf-8", "replace")
    return out


# -------------------------------------------------------------------------------- arguments


def _check_window(value: object) -> None:
    message = 'must be a duration from "24h" to "7d" (hours "h" or days "d")'
    if not isinstance(value, str):
        raise InvalidParameterError("completion_window", message)
    match = _WINDOW.fullmatch(value)
    if match is None:
        raise InvalidParameterError("completion_window", message)
    hours = int(match[1]) * (24 if match[2] == "d" else 1)
    if not _MIN_WINDOW_HOURS <= hours <= _MAX_WINDOW_HOURS:
        raise InvalidParameterError("completion_window", message)


def _check_metadata(value: object) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidParameterError("metadata", "must be a mapping of strings to strings")
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise InvalidParameterError("metadata", "keys must be non-empty strings")
        if not isinstance(item, str):
            raise InvalidParameterError(f"metadata[{key!r}]", "must be a string")
        out[key] = item
    return out
