"""A streaming ``multipart/form-data`` encoder (RFC 7578) for audio and file uploads.

Theory of operation
-------------------
The body is laid out once, up front, as a list of *segments*: literal byte strings (part
headers, field values, the separators and the closing delimiter) and file parts. The size of
every segment is known before the first byte goes out (``len`` for literals and ``bytes``
sources, ``stat`` for paths, ``seek``/``tell`` for seekable file objects), so the exact
``content_length`` can go in a ``Content-Length`` header instead of chunked framing.

Iterating the encoder (``async for chunk in encoder``) yields the literals as they are and each
file in chunks of at most :data:`CHUNK_SIZE` bytes, read through a worker thread; the whole file
is never held in memory. Each ``__aiter__`` starts a fresh pass from the beginning (a path is
reopened, a seekable file object is sought back to where it stood when the encoder was built),
so a request pipeline may replay the body on a retry. A non-seekable file object can be read
only once: :attr:`MultipartEncoder.replayable` is then ``False`` and a second pass raises.

Rules:

* A file that turns out shorter than its announced size raises
  :class:`~groq_anyio.InvalidParameterError` (``param="file"``) mid-upload; bytes past the
  announced size are not sent. Either way the framing on the wire stays consistent.
* Field names and file names are escaped as the WHATWG/HTML form encoding does (``"`` → ``%22``,
  CR → ``%0D``, LF → ``%0A``) and sent as UTF-8; field values are sent as UTF-8, unchanged.
* The boundary is random (128 bits from :mod:`secrets`) and is re-drawn in the unlikely case
  it occurs in a field value.
* Iteration never holds a cancel scope or task group across a ``yield``; an abandoned pass
  closes its file when it is garbage collected (or at once through ``aclose``).
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import AsyncIterator, Sequence
from typing import IO, Any, Final, Protocol, TypeAlias

import anyio
import anyio.to_thread
import msgspec

from ._errors import InvalidParameterError

__all__ = [
    "CHUNK_SIZE",
    "BinaryReadable",
    "FilePart",
    "FileSource",
    "MultipartEncoder",
    "escape_name",
    "is_seekable",
]

#: Bytes read from a file per chunk.
CHUNK_SIZE: Final = 64 * 1024


class BinaryReadable(Protocol):
    """A binary file object: anything with ``read(size) -> bytes`` (open files, ``BytesIO``,
    raw streams). ``seekable()`` / ``tell()`` / ``seek()`` are used when present."""

    def read(self, size: int, /) -> bytes | None: ...


#: Where a file part's content comes from: a path, the bytes themselves or a binary file object.
FileSource: TypeAlias = "str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryReadable"

_ESCAPES: Final = {ord('"'): "%22", ord("\r"): "%0D", ord("\n"): "%0A"}


def escape_name(value: str) -> bytes:
    """A field or file name as it goes inside ``name="..."`` (RFC 7578 section 2, WHATWG)."""
    return value.translate(_ESCAPES).encode("utf-8", "surrogateescape")


class FilePart(msgspec.Struct, frozen=True):
    """One file of a form.

    Attributes:
        name: The form field name (``"file"``).
        filename: Sent as the part's ``filename``; servers use its extension.
        content_type: The part's ``Content-Type`` (``"audio/mpeg"``).
        source: A path, the content as bytes, or a binary file object (read from its current
            position; seekable objects are sought back there for each new pass).
        size: The number of bytes to send, when the caller already knows it (an async
            ``stat``); otherwise measured when the encoder is built.
    """

    name: str
    filename: str
    content_type: str
    source: FileSource
    size: int | None = None


def is_seekable(f: object) -> bool:
    """Whether a file object says it can seek (``seekable()``; errors and absence mean no)."""
    try:
        return bool(f.seekable())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False


class _File:
    """A file part as laid out in the body: its source, where it starts, and how much to send."""

    __slots__ = ("data", "fileobj", "path", "size", "start", "used")

    def __init__(self, source: FileSource, size: int | None) -> None:
        self.path: str | None = None
        self.data: bytes | memoryview | None = None
        self.fileobj: BinaryReadable | None = None
        self.start = 0
        self.used = False
        if isinstance(source, bytes | bytearray | memoryview):
            data = memoryview(source).cast("B")
            self.data = data
            self.size: int | None = len(data)
            return
        if isinstance(source, str | os.PathLike):
            self.path = os.fspath(source)
            self.size = os.stat(self.path).st_size if size is None else size
            return
        obj: Any = source
        if isinstance(obj, io.TextIOBase) or not callable(getattr(obj, "read", None)):
            raise InvalidParameterError(
                "file",
                f"must be a path, bytes or a binary file object, not {type(source).__name__}",
            )
        self.fileobj = source
        if is_seekable(obj):
            self.start = obj.tell()
            if size is None:
                end = obj.seek(0, os.SEEK_END)
                obj.seek(self.start)
                size = end - self.start
            self.size = size
        else:
            self.start = -1
            self.size = size

    @property
    def replayable(self) -> bool:
        return self.fileobj is None or self.start >= 0


class MultipartEncoder:
    """A ``multipart/form-data`` body that streams its files in :data:`CHUNK_SIZE` chunks.

    Args:
        fields: ``(name, value)`` text fields, sent first and in order (a name may repeat).
        files: The file parts, sent after the fields.

    Attributes:
        boundary: The random part boundary (ASCII bytes).
        content_type: ``multipart/form-data; boundary=...`` as bytes, for the request header.
        content_length: The exact body size, or ``None`` when a non-seekable file object of
            unknown size is part of it (the body then needs chunked framing).
        replayable: ``False`` when the body can be produced only once (a non-seekable file).
    """

    def __init__(self, fields: Sequence[tuple[str, str]], files: Sequence[FilePart]) -> None:
        encoded_fields = [(escape_name(k), v.encode("utf-8", "surrogateescape")) for k, v in fields]
        boundary = secrets.token_hex(16).encode("ascii")
        while any(boundary in value for _, value in encoded_fields):  # pragma: no cover
            boundary = secrets.token_hex(16).encode("ascii")
        self.boundary = boundary
        self.content_type = b"multipart/form-data; boundary=" + boundary
        dash = b"--" + boundary
        segments: list[bytes | _File] = []
        pending = bytearray()
        for name, value in encoded_fields:
            pending += dash
            pending += b'\r\nContent-Disposition: form-data; name="%s"\r\n\r\n' % name
            pending += value
            pending += b"\r\n"
        for part in files:
            ctype = part.content_type
            if "\r" in ctype or "\n" in ctype or not ctype.isascii():
                raise InvalidParameterError("content_type", "must be ASCII without CR or LF")
            pending += dash
            pending += b'\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n' % (
                escape_name(part.name),
                escape_name(part.filename),
            )
            pending += b"Content-Type: %s\r\n\r\n" % ctype.encode("ascii")
            segments.append(bytes(pending))
            pending.clear()
            segments.append(_File(part.source, part.size))
            pending += b"\r\n"
        pending += dash + b"--\r\n"
        segments.append(bytes(pending))
        self._segments = segments
        total: int | None = 0
        for seg in segments:
            size = len(seg) if isinstance(seg, bytes) else seg.size
            total = None if total is None or size is None else total + size
        self.content_length = total
        self.replayable = all(isinstance(s, bytes) or s.replayable for s in segments)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return _Pass(self._segments)

    def __repr__(self) -> str:
        return (
            f"MultipartEncoder(boundary={self.boundary.decode()!r}, "
            f"content_length={self.content_length}, replayable={self.replayable})"
        )

    async def read(self) -> bytes:
        """The whole body in memory (for small bodies and tests)."""
        return b"".join([chunk async for chunk in self])


class _Pass:
    """One pass over the segments: an explicit iterator, so no generator outlives its loop."""

    __slots__ = ("_file", "_handle", "_index", "_offset", "_remaining", "_segments")

    def __init__(self, segments: list[bytes | _File]) -> None:
        self._segments = segments
        self._index = 0
        self._file: _File | None = None
        self._handle: IO[bytes] | None = None  # a file this pass opened (paths only)
        self._remaining = 0
        self._offset = 0

    def __aiter__(self) -> _Pass:
        return self

    async def __anext__(self) -> bytes:
        while True:
            f = self._file
            if f is not None:
                if self._remaining > 0 or f.size is None:
                    chunk = await self._read(f)
                    if chunk:
                        return chunk
                await self._finish_file()
                continue
            if self._index >= len(self._segments):
                raise StopAsyncIteration
            seg = self._segments[self._index]
            self._index += 1
            if isinstance(seg, bytes):
                return seg
            await self._start_file(seg)

    async def _start_file(self, f: _File) -> None:
        if f.fileobj is not None:
            if f.start >= 0:
                fobj: Any = f.fileobj
                await anyio.to_thread.run_sync(fobj.seek, f.start)
            elif f.used:
                raise RuntimeError("the upload body reads a non-seekable file: it can be sent once")
        elif f.path is not None:
            try:
                self._handle = await anyio.to_thread.run_sync(open, f.path, "rb")
            except OSError as exc:
                raise InvalidParameterError("file", f"cannot be read: {exc}") from None
        f.used = True
        self._file = f
        self._remaining = f.size if f.size is not None else 0
        self._offset = 0

    async def _read(self, f: _File) -> bytes:
        want = CHUNK_SIZE if f.size is None else min(CHUNK_SIZE, self._remaining)
        if f.data is not None:
            chunk = bytes(f.data[self._offset : self._offset + want])
        else:
            handle = self._handle if self._handle is not None else f.fileobj
            assert handle is not None
            got: object = await anyio.to_thread.run_sync(handle.read, want)
            if isinstance(got, bytes):
                chunk = got
            elif isinstance(got, bytearray | memoryview):
                chunk = bytes(got)
            elif got is None:  # a non-blocking raw file without data right now
                chunk = b""
            else:
                raise InvalidParameterError("file", "the file object must be opened in binary mode")
        self._offset += len(chunk)
        if f.size is not None:
            self._remaining -= len(chunk)
            if not chunk and self._remaining > 0:
                await self.aclose()
                raise InvalidParameterError(
                    "file",
                    f"ended after {self._offset} of the {f.size} bytes announced"
                    " (it changed while being uploaded)",
                )
        return chunk

    async def _finish_file(self) -> None:
        self._file = None
        handle, self._handle = self._handle, None
        if handle is not None:
            await anyio.to_thread.run_sync(handle.close)

    async def aclose(self) -> None:
        """Close the file this pass opened (if any)."""
        self._file = None
        handle, self._handle = self._handle, None
        if handle is not None:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(handle.close)

    def __del__(self) -> None:
        handle = self._handle
        if handle is not None:
            self._handle = None
            handle.close()
