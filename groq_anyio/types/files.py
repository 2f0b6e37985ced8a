"""Response types of the files endpoints (``/files``, ``/files/{id}``).

Uploaded files feed the Batch API (``purpose="batch"``); a finished batch's results come back as
files with ``purpose="batch_output"``. A file's content is streamed (see
:class:`~groq_anyio.BinaryResponse`), so it has no type here.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from .shared import GroqModel

__all__ = ["FileDeleted", "FileList", "FileObject"]


class FileObject(GroqModel):
    """An uploaded (or batch-generated) file.

    Attributes:
        id: The file id (``file_...``), used as ``input_file_id`` of a batch.
        object: Always ``"file"``.
        bytes: The file's size.
        created_at: When it was uploaded (Unix seconds).
        filename: The name it was uploaded with.
        purpose: ``"batch"`` (uploaded) or ``"batch_output"`` (a batch's results).
    """

    id: str
    object: str = "file"
    bytes: int | None = None
    created_at: int | None = None
    filename: str | None = None
    purpose: str | None = None


class FileList(GroqModel):
    """The answer of ``files.list()``: ``data`` holds the files (iterate the list directly)."""

    data: list[FileObject] = msgspec.field(default_factory=list)
    object: str = "list"

    def __iter__(self) -> Iterator[FileObject]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


class FileDeleted(GroqModel):
    """The answer of ``files.delete(id)``."""

    id: str
    deleted: bool = False
    object: str = "file"
