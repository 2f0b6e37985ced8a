"""``client.files``: upload JSONL batch input, list, inspect, download and delete files.

An upload is checked before anything is sent (a ``.jsonl`` name, not empty, and a first line
that is a JSON request object with a ``custom_id``; only that first line is read) and then
streamed as ``multipart/form-data`` in 64 KiB chunks with an exact ``Content-Length``
(:mod:`groq_anyio._multipart`). Downloads come back unread, as a :class:`BinaryResponse`.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any, Final, Literal, TypeAlias

import anyio.to_thread
import msgspec

from .._config import Timeout
from .._decode_errors import DECODE_ERRORS
from .._download import BinaryResponse
from .._errors import InvalidParameterError
from .._multipart import BinaryReadable, FilePart, is_seekable
from .._notgiven import NOT_GIVEN, NotGiven
from .._timings import start_timings
from ..types.files import FileDeleted, FileList, FileObject
from ._common import APIResource, decode_response, open_binary, path_id, post_form, request_json

if TYPE_CHECKING:
    from .._requester import Requester

__all__ = ["FIRST_LINE_LIMIT", "Files", "JSONLInput"]

#: What ``file=`` accepts: a path, the bytes, a binary file object (its ``name`` gives the file
#: name), or ``(filename, bytes_or_file)`` / ``(filename, bytes_or_file, content_type)``.
JSONLInput: TypeAlias = (
    "str | os.PathLike[str] | bytes | BinaryReadable"
    " | tuple[str, bytes | BinaryReadable] | tuple[str, bytes | BinaryReadable, str]"
)

#: the first line is checked when it ends within this many bytes (a longer one is not read)
FIRST_LINE_LIMIT: Final = 1 << 20

_PATH: Final = "/files"
_DEFAULT_NAME: Final = "batch.jsonl"
_CONTENT_TYPE: Final = "application/octet-stream"
_PURPOSES: Final = frozenset({"batch"})
_file_decoder: Final = msgspec.json.Decoder(FileObject)
_list_decoder: Final = msgspec.json.Decoder(FileList)
_deleted_decoder: Final = msgspec.json.Decoder(FileDeleted)
_json_decode: Final = msgspec.json.decode


class Files(APIResource):
    """``/files``: the inputs and outputs of the Batch API."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    async def create(
        self,
        *,
        file: JSONLInput,
        purpose: Literal["batch"] = "batch",
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, str] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
    ) -> FileObject:
        """Upload a JSONL file of batch requests; its ``id`` is a batch's ``input_file_id``.

        Args:
            file: A path, bytes, a binary file object or ``(filename, content[, type])``. The
                name must end in ``.jsonl`` (bytes and nameless objects are sent as
                ``batch.jsonl``). Only the first line is read before sending: it must be a
                JSON object with a ``custom_id`` (a non-seekable object is not checked). The
                file is streamed in 64 KiB chunks, never read whole.
            purpose: ``"batch"``.
            extra_headers: Additional request headers.
            extra_query: Additional query parameters.
            extra_body: Additional form fields (they replace same-named ones).
            timeout: The call's total deadline (seconds or a :class:`~groq_anyio.Timeout`).

        Raises:
            InvalidParameterError: A wrong argument or an unusable file, before any request.
            APIStatusError: The API answered with an error status (a subclass per status).
        """
        if purpose not in _PURPOSES:
            raise InvalidParameterError("purpose", 'must be "batch"')
        fields: list[tuple[str, str]] = [("purpose", purpose)]
        if extra_body:
            if not isinstance(extra_body, Mapping):
                raise InvalidParameterError("extra_body", "must be a mapping of names to strings")
            for key, value in extra_body.items():
                if not isinstance(key, str) or not key or key == "file":
                    raise InvalidParameterError("extra_body", f"cannot set the field {key!r}")
                if not isinstance(value, str):
                    raise InvalidParameterError(f"extra_body[{key!r}]", "must be a string")
                fields = [f for f in fields if f[0] != key]
                fields.append((key, value))
        raw, data = await post_form(
            self._client,
            _PATH,
            fields,
            file,
            _jsonl_part,
            timings=start_timings(),
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )
        return decode_response(raw, data, _file_decoder)

    async def list(
        self,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
    ) -> FileList:
        """Every file of the organisation (``for f in await client.files.list():``)."""
        return await request_json(
            self._client,
            b"GET",
            _PATH,
            _list_decoder,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )

    async def info(
        self,
        file_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
    ) -> FileObject:
        """A file's name, size, purpose and creation time."""
        segment = path_id("file_id", file_id)
        return await request_json(
            self._client,
            b"GET",
            f"{_PATH}/{segment}",
            _file_decoder,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )

    retrieve = info

    async def content(
        self,
        file_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
    ) -> BinaryResponse:
        """A file's bytes, unread: ``async with await client.files.content(id) as body:`` then
        ``body.iter_bytes()``, ``await body.read()`` or ``await body.write_to_file(path)``."""
        segment = path_id("file_id", file_id)
        return await open_binary(
            self._client,
            b"GET",
            f"{_PATH}/{segment}/content",
            accept=b"application/octet-stream, */*;q=0.5",
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )

    async def delete(
        self,
        file_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
    ) -> FileDeleted:
        """Delete a file."""
        segment = path_id("file_id", file_id)
        return await request_json(
            self._client,
            b"DELETE",
            f"{_PATH}/{segment}",
            _deleted_decoder,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )


# ------------------------------------------------------------------------------ the upload


async def _jsonl_part(file: object) -> FilePart:
    """Check ``file`` and turn it into a :class:`FilePart`; raises ``InvalidParameterError``."""
    content_type: str | None = None
    filename: str | None = None
    source: object = file
    if isinstance(file, tuple):
        if len(file) not in (2, 3) or not isinstance(file[0], str):
            raise InvalidParameterError(
                "file", "a tuple must be (filename, content) or (filename, content, content_type)"
            )
        filename, source = file[0], file[1]
        if len(file) == 3:
            content_type = file[2]
            if not isinstance(content_type, str) or not content_type:
                raise InvalidParameterError("file", "the content type must be a non-empty string")
        if isinstance(source, str | os.PathLike):
            raise InvalidParameterError(
                "file", "a tuple holds the content (bytes or a file object), not a path"
            )
        _check_name(filename)
    size: int | None
    head: bytes | None
    complete: bool
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if not isinstance(path, str):
            raise InvalidParameterError("file", "a path must be a str or os.PathLike[str]")
        filename = os.path.basename(path)
        _check_name(filename)  # before touching the disk
        size, first, complete = await anyio.to_thread.run_sync(_probe_path, path)
        _check_first_line(first, complete)
    elif isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source).cast("B")
        size = view.nbytes
        _check_first_line(bytes(view[:FIRST_LINE_LIMIT]), complete=size <= FIRST_LINE_LIMIT)
    elif callable(getattr(source, "read", None)):
        mode = getattr(source, "mode", None)
        if isinstance(source, io.TextIOBase) or (isinstance(mode, str) and "b" not in mode):
            raise InvalidParameterError("file", "open the file in binary mode ('rb')")
        if filename is None:
            name = getattr(source, "name", None)
            if isinstance(name, bytes):
                name = os.fsdecode(name)
            if isinstance(name, str) and name:
                filename = os.path.basename(name)
                _check_name(filename)
        size, head, complete = await anyio.to_thread.run_sync(_probe_object, source)
        if head is not None:
            _check_first_line(head, complete)
    else:
        raise InvalidParameterError(
            "file",
            "must be a path, bytes, a binary file object or a (filename, content) tuple,"
            f" not {type(source).__name__}",
        )
    if size == 0:
        raise InvalidParameterError("file", "is empty")
    fsource: Any = source
    return FilePart(
        "file", filename or _DEFAULT_NAME, content_type or _CONTENT_TYPE, fsource, size=size
    )


def _check_name(filename: str) -> None:
    base, dot, ext = filename.rpartition(".")
    if not dot or not base or ext.lower() != "jsonl":
        raise InvalidParameterError(
            "file", f"file name {filename!r} must end in .jsonl (one JSON request per line)"
        )


def _check_first_line(head: bytes, complete: bool) -> None:
    """Check the first line of the file, given its first bytes.

    ``complete``: ``head`` is the whole file. A first line longer than ``head`` is not checked.
    """
    end = head.find(b"\n")
    if end < 0:
        if not complete:
            return  # a very long first line: not worth reading just to check it
        end = len(head)
    line = head[:end].rstrip(b"\r")
    if not line.strip():
        if not head:
            return  # empty: reported as such by the caller
        raise InvalidParameterError(
            "file", "line 1 is empty: a JSONL file holds one JSON request per line"
        )
    try:
        doc = _json_decode(line)
    except DECODE_ERRORS as exc:
        raise InvalidParameterError("file", f"line 1 is not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise InvalidParameterError(
            "file", "line 1 must be a JSON object ({custom_id, method, url, body})"
        )
    custom_id = doc.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        raise InvalidParameterError("file", 'line 1 has no "custom_id" string')


def _read_head(f: IO[bytes] | Any) -> tuple[bytes, bool]:
    """Read up to the end of the first line (at most ``FIRST_LINE_LIMIT`` bytes)."""
    parts: list[bytes] = []
    got = 0
    while got < FIRST_LINE_LIMIT:
        chunk = f.read(min(64 * 1024, FIRST_LINE_LIMIT - got))
        if not chunk:
            return b"".join(parts), True
        if not isinstance(chunk, bytes | bytearray):
            raise InvalidParameterError("file", "the file object must be opened in binary mode")
        parts.append(bytes(chunk))
        got += len(chunk)
        if b"\n" in chunk:
            break
    return b"".join(parts), False


def _probe_path(path: str) -> tuple[int, bytes, bool]:
    """Open (so a missing or unreadable file fails now), check it is a regular file, size it and
    read its first line."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise InvalidParameterError("file", f"{path!r} is not a regular file")
            head, complete = _read_head(f)
    except FileNotFoundError:
        raise InvalidParameterError("file", f"no such file: {path!r}") from None
    except IsADirectoryError:
        raise InvalidParameterError("file", f"{path!r} is not a regular file") from None
    except OSError as exc:
        raise InvalidParameterError("file", f"cannot read {path!r}: {exc.strerror}") from None
    return st.st_size, head, complete


def _probe_object(f: Any) -> tuple[int | None, bytes | None, bool]:
    """The remaining size and first line of a seekable file object (its position restored);
    ``(None, None, False)`` for a non-seekable one, which can be read only once."""
    if not is_seekable(f):
        return None, None, False
    try:
        pos: int = f.tell()
        end: int = f.seek(0, os.SEEK_END)
        f.seek(pos)
        try:
            head, complete = _read_head(f)
        finally:
            f.seek(pos)
    except (OSError, ValueError) as exc:
        raise InvalidParameterError("file", f"cannot be read: {exc}") from None
    return max(0, end - pos), head, complete
