"""BinaryResponse: a streamed binary body (speech audio, file contents) that is never held whole.

Ownership: the object owns the HTTP response, like :class:`~groq_anyio.ChatStream`. Reading to the
end gives the connection back to the pool; ``async with`` (or ``aclose()``) releases it on early
exit. Leaving early keeps the connection when only a short, known remainder is left (it is
drained, shielded and bounded in time), and closes it otherwise; an exception or a cancellation
while reading closes it at once. No task, task group or cancel scope lives across the consumer's
``await``: the iterator is a plain object whose ``__anext__`` reads one network chunk.

The body can be consumed once: ``iter_bytes()``, ``read()`` or ``write_to_file()``. After
``read()`` the bytes are kept, so ``read()`` again (or ``iter_bytes()``) returns them.
"""

from __future__ import annotations

import os
import time
import warnings
from types import TracebackType
from typing import TYPE_CHECKING, Final, NoReturn

import anyio

from ._errors import APIError, ClientClosedError, InvalidParameterError, ResponseTooLargeError
from ._response_base import DRAIN_LIMIT, DRAIN_SECONDS, ResponseMeta
from ._timings import Timings

if TYPE_CHECKING:
    from ._transport import RawResponse

__all__ = ["BinaryResponse"]

#: write_to_file() gathers small network chunks into writes of about this size
_WRITE_SIZE: Final = 64 * 1024


class BinaryResponse(ResponseMeta):
    """A streamed binary response body. Use as ``async with response:``.

    Iterate it with ``async for chunk in response.iter_bytes()`` (the network chunks as they
    arrive, or pieces of ``chunk_size`` bytes), collect it with ``await response.read()``, or
    stream it to disk with ``await response.write_to_file(path)``.
    """

    __slots__ = (
        "__weakref__",
        "_raw",
        "_iter",
        "_state",
        "_received",
        "_content",
        "_max_read",
        "timings",
    )

    def __init__(self, raw: RawResponse, timings: Timings, *, max_read: int | None = None) -> None:
        self._raw = raw
        #: the most bytes read() collects (ResponseLimits.download); None: no limit
        self._max_read = max_read
        self._iter = raw.stream.__aiter__()
        # "new" -> "reading" -> "done" (the body ended) | "closed" (released before its end)
        self._state = "new"
        self._received = 0
        self._content: bytes | None = None
        #: monotonic stamps of this call (see :class:`~groq_anyio.Timings`)
        self.timings = timings

    # -- metadata (headers, status_code, http_version, request_id: see ResponseMeta) ----------

    @property
    def content_type(self) -> str | None:
        """The ``content-type`` header (``"audio/wav"``, ``"application/octet-stream"``)."""
        return self._raw.header(b"content-type")

    @property
    def content_length(self) -> int | None:
        """The announced body size, when the server sent a ``content-length``."""
        value = self._raw.header(b"content-length")
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            return None

    @property
    def bytes_received(self) -> int:
        """How many body bytes arrived so far."""
        return self._received

    @property
    def closed(self) -> bool:
        """Whether the response is released (read to the end, or closed)."""
        return self._state in ("done", "closed")

    # -- reading --------------------------------------------------------------------------------

    def iter_bytes(self, chunk_size: int | None = None) -> _Chunks:
        """The body as it arrives: each network chunk, or pieces of ``chunk_size`` bytes (the
        last one may be shorter). The body can be iterated once (after :meth:`read`, the kept
        bytes are served again)."""
        if chunk_size is not None and (
            isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0
        ):
            raise InvalidParameterError("chunk_size", "must be a positive int or None")
        return _Chunks(self, chunk_size)

    def __aiter__(self) -> _Chunks:
        return _Chunks(self, None)

    async def read(self) -> bytes:
        """The whole body (kept: calling again returns the same bytes).

        Raises:
            ResponseTooLargeError: the body is longer than the client's
                ``ResponseLimits.download`` (the response is then closed); use
                :meth:`write_to_file` or :meth:`iter_bytes`, which hold nothing.
        """
        if self._content is not None:
            return self._content
        if self._state == "closed":
            raise ClientClosedError("the response is closed")
        if self._state != "new":
            raise RuntimeError("the body was already (partly) consumed: read() needs all of it")
        limit = self._max_read
        if limit is not None and (self.content_length or 0) > limit:
            await self._too_large(limit, f"announced {self.content_length} bytes")
        parts: list[bytes] = []
        size = 0
        while True:
            part = await self._next_part()
            if part is None:
                break
            size += len(part)
            if limit is not None and size > limit:
                parts.clear()
                await self._too_large(limit, "more than that arrived")
            parts.append(part)
        self._content = parts[0] if len(parts) == 1 else b"".join(parts)
        return self._content

    async def write_to_file(self, file: str | os.PathLike[str]) -> int:
        """Stream the body into ``file`` (created or truncated) as it arrives; returns its size.

        Small network chunks are gathered into writes of about 64 KiB; the body is never held
        whole. An error or a cancellation midway leaves a partial file behind.
        """
        if not isinstance(file, str | os.PathLike):
            raise InvalidParameterError("file", "must be a path (str or os.PathLike)")
        written = 0
        pending = bytearray()
        async with await anyio.open_file(file, "wb") as f:
            async for chunk in self.iter_bytes():
                written += len(chunk)
                if not pending and len(chunk) >= _WRITE_SIZE:
                    await f.write(chunk)
                    continue
                pending += chunk
                if len(pending) >= _WRITE_SIZE:
                    await f.write(bytes(pending))
                    pending.clear()
            if pending:
                await f.write(bytes(pending))
        return written

    async def _next_part(self) -> bytes | None:
        """The next non-empty network chunk, or ``None`` once the body ended (then released)."""
        state = self._state
        if state == "done":
            return None
        if state == "closed":
            raise ClientClosedError("the response is closed")
        self._state = "reading"
        try:
            while True:
                try:
                    part = await self._iter.__anext__()
                except StopAsyncIteration:
                    break
                if part:
                    now = time.perf_counter_ns()
                    if self.timings.first_chunk is None:
                        self.timings.first_chunk = now
                    self.timings.last_chunk = now
                    self._received += len(part)
                    return part
        except APIError:
            await self._abort()
            raise
        except Exception as exc:
            from ._transport import map_exception

            mapped = map_exception(exc)
            await self._abort()
            if mapped is None:
                raise
            raise mapped from exc
        except BaseException:
            # cancelled mid-body: the connection cannot be reused
            await self._abort()
            raise
        # the whole body arrived: the connection goes back to the pool
        self._state = "done"
        await self._raw.stream.aclose()
        return None

    async def _too_large(self, limit: int, what: str) -> NoReturn:
        await self._abort()
        raise ResponseTooLargeError(
            f"the download is larger than read() may collect ({what}); the response was closed "
            "(write_to_file() and iter_bytes() have no limit)",
            limit=limit,
            setting="ResponseLimits.download",
            request_id=self.request_id,
        )

    # -- closing --------------------------------------------------------------------------------

    async def _abort(self) -> None:
        if self._state in ("done", "closed"):
            return
        self._state = "closed"
        await self._raw.stream.aclose()

    async def aclose(self) -> None:
        """Release the response. Safe to call more than once, and from a cancelled task.

        A short known remainder (at most 64 KiB, within one second) is drained so the
        connection stays pooled; otherwise the connection is closed (an HTTP/2 stream reset).
        """
        if self._state in ("done", "closed"):
            return
        length = self.content_length
        if length is None or length - self._received > DRAIN_LIMIT:
            await self._abort()
            return
        self._state = "closed"
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(DRAIN_SECONDS):
                try:
                    async for part in self._iter:
                        self._received += len(part)
                        if self._received > length:
                            break
                except Exception:
                    pass
            await self._raw.stream.aclose()

    async def close(self) -> None:
        """Alias of :meth:`aclose` (the official SDK's name)."""
        await self.aclose()

    async def __aenter__(self) -> BinaryResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            # an exception (cancellation included) is propagating: do not wait for anything
            await self._abort()
        else:
            await self.aclose()

    def __del__(self) -> None:
        if getattr(self, "_state", "closed") in ("new", "reading"):
            self._raw.stream.abandon()
            warnings.warn(
                "a BinaryResponse was garbage-collected without being read or closed;"
                " use `async with response:`",
                ResourceWarning,
                stacklevel=1,
            )

    def __repr__(self) -> str:
        return (
            f"<BinaryResponse {self._state} content_type={self.content_type!r} "
            f"received={self._received} request_id={self.request_id!r}>"
        )


class _Chunks:
    """One pass over a :class:`BinaryResponse` body (an explicit iterator: no generator frame
    outlives the consumer's loop)."""

    __slots__ = ("_response", "_size", "_buffer", "_replay")

    def __init__(self, response: BinaryResponse, size: int | None) -> None:
        self._response = response
        self._size = size
        self._buffer = bytearray()
        self._replay: memoryview | None = (
            memoryview(response._content) if response._content is not None else None
        )

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        size = self._size
        replay = self._replay
        if replay is not None:
            if not replay:
                raise StopAsyncIteration
            cut = len(replay) if size is None else size
            self._replay = replay[cut:]
            return bytes(replay[:cut])
        if size is None:
            part = await self._response._next_part()
            if part is None:
                raise StopAsyncIteration
            return part
        buffer = self._buffer
        while len(buffer) < size:
            part = await self._response._next_part()
            if part is None:
                break
            buffer += part
        if not buffer:
            raise StopAsyncIteration
        out = bytes(buffer[:size])
        del buffer[:size]
        return out
