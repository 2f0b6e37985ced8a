"""The in-memory state of one server's endpoints (files, batches, deleted models) and the knobs
of the simulation."""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._groq import random_suffix
from ._batch_run import answer_line, batch_lines

if TYPE_CHECKING:
    from .._scenarios import ChatScript
    from .._server import GroqTestServer

__all__ = ["EndpointState", "StoredFile", "endpoint_state"]


@dataclass
class StoredFile:
    """A file the server holds (uploaded, or a batch's output/error file)."""

    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
        }


@dataclass
class EndpointState:
    """What one server remembers between requests, and the knobs of the simulation.

    Attributes:
        files: The stored files by id.
        batches: The batch objects (as JSON-ready dicts) by id.
        deleted_models: Model ids deleted through ``DELETE /models/{id}``.
        complete_batches: Finish a batch as soon as it is created (``False``: it stays
            ``in_progress`` until :meth:`complete_batch`).
        embedding_dimensions: The length of every embedding vector.
        speech_samples_per_char: Audio samples generated per character of speech input.
        chunk_size: The size of each write of a file download or of speech audio.
        chunk_delay: A pause between those writes (seconds).
    """

    files: dict[str, StoredFile] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted_models: set[str] = field(default_factory=set)
    complete_batches: bool = True
    embedding_dimensions: int = 768
    speech_samples_per_char: int = 200
    chunk_size: int = 16 * 1024
    chunk_delay: float = 0.0
    _scripts: dict[str, ChatScript] = field(default_factory=dict, repr=False)

    def add_file(self, data: bytes, filename: str, purpose: str = "batch") -> StoredFile:
        """Store a file as if it had been uploaded; returns it (its ``id`` is ``file_...``)."""
        stored = StoredFile(
            "file_" + random_suffix(26), filename, purpose, bytes(data), int(time.time())
        )
        self.files[stored.id] = stored
        return stored

    def complete_batch(self, batch_id: str) -> dict[str, Any]:
        """Run an ``in_progress`` batch now: write its output and error files, mark it
        ``completed``. Returns the batch object."""
        batch = self.batches[batch_id]
        if batch["status"] not in ("validating", "in_progress"):
            return batch
        script = self._scripts.pop(batch_id, None)
        source = self.files[batch["input_file_id"]]
        now = int(time.time())
        out: list[bytes] = []
        errors: list[bytes] = []
        for request in batch_lines(source.data):
            line, ok = answer_line(request, script)
            (out if ok else errors).append(line)
        batch["finalizing_at"] = batch["completed_at"] = now
        batch["status"] = "completed"
        batch["request_counts"] = {
            "total": len(out) + len(errors),
            "completed": len(out),
            "failed": len(errors),
        }
        if out:
            name = f"{batch_id}_output.jsonl"
            batch["output_file_id"] = self.add_file(b"".join(out), name, "batch_output").id
        if errors:
            name = f"{batch_id}_error.jsonl"
            batch["error_file_id"] = self.add_file(b"".join(errors), name, "batch_output").id
        return batch


_states: weakref.WeakKeyDictionary[GroqTestServer, EndpointState] = weakref.WeakKeyDictionary()


def endpoint_state(server: GroqTestServer) -> EndpointState:
    """The in-memory files, batches and settings of ``server`` (made on first use)."""
    state = _states.get(server)
    if state is None:
        state = _states[server] = EndpointState()
    return state
