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
    from .._exchange import ServerView
    from .._scenarios import ChatScript

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
        batch_timing: ``(validating, in_progress, finalizing)`` seconds: a new batch moves
            through those states as :attr:`clock` advances (checked whenever a batch is read),
            completing (or ``expired``, past its ``completion_window``) at the end. ``None``:
            :attr:`complete_batches` decides.
        clock: What :attr:`batch_timing` is measured on: an object with ``now()`` in seconds
            (a :class:`~groq_anyio.testing.FakeClock` to drive it by hand; default monotonic).
    """

    files: dict[str, StoredFile] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted_models: set[str] = field(default_factory=set)
    complete_batches: bool = True
    embedding_dimensions: int = 768
    speech_samples_per_char: int = 200
    chunk_size: int = 16 * 1024
    chunk_delay: float = 0.0
    batch_timing: tuple[float, float, float] | None = None
    clock: Any = None
    _scripts: dict[str, ChatScript] = field(default_factory=dict, repr=False)
    _started: dict[str, float] = field(default_factory=dict, repr=False)

    def now(self) -> float:
        """The clock's reading (seconds; only differences matter)."""
        return float(self.clock.now()) if self.clock is not None else time.monotonic()

    def start_batch(self, batch_id: str) -> None:
        """Start the timeline of a validated batch (see :attr:`batch_timing`)."""
        self._started[batch_id] = self.now()
        self.advance(batch_id)

    def advance(self, batch_id: str) -> dict[str, Any]:
        """Bring a timed batch up to date with the clock; returns the batch object."""
        batch = self.batches[batch_id]
        start = self._started.get(batch_id)
        timing = self.batch_timing
        if start is None or timing is None or batch["status"] not in _RUNNING:
            return batch
        validating, running, finalizing = timing
        elapsed = self.now() - start
        created = batch["created_at"]
        window = _window_seconds(batch.get("completion_window"))
        if elapsed >= validating and batch["in_progress_at"] is None:
            batch["status"] = "in_progress"
            batch["in_progress_at"] = created + round(validating)
        if validating + running > window and elapsed >= window:
            self._started.pop(batch_id, None)
            self._scripts.pop(batch_id, None)
            batch["status"] = "expired"
            batch["expired_at"] = created + round(window)
            return batch
        total = batch["request_counts"]["total"]
        if batch["status"] == "in_progress" and running > 0:
            done = min(1.0, max(0.0, (elapsed - validating) / running))
            batch["request_counts"]["completed"] = int(total * done)
        if elapsed >= validating + running and batch["finalizing_at"] is None:
            batch["status"] = "finalizing"
            batch["finalizing_at"] = created + round(validating + running)
        if elapsed >= validating + running + finalizing:
            self._started.pop(batch_id, None)
            self.complete_batch(batch_id)
            batch["completed_at"] = created + round(validating + running + finalizing)
        return batch

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
        if batch["status"] not in _RUNNING:
            return batch
        script = self._scripts.pop(batch_id, None)
        source = self.files[batch["input_file_id"]]
        now = int(time.time())
        out: list[bytes] = []
        errors: list[bytes] = []
        for request in batch_lines(source.data):
            line, ok = answer_line(request, script)
            (out if ok else errors).append(line)
        batch["in_progress_at"] = batch["in_progress_at"] or now
        batch["finalizing_at"] = batch["finalizing_at"] or now
        batch["completed_at"] = now
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


_RUNNING = ("validating", "in_progress", "finalizing")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _window_seconds(window: Any) -> float:
    """``"24h"``, ``"7d"``... in seconds (unparseable: no limit)."""
    if isinstance(window, str) and len(window) > 1 and window[-1] in _UNITS:
        try:
            return float(window[:-1]) * _UNITS[window[-1]]
        except ValueError:
            pass
    return float("inf")


_states: weakref.WeakKeyDictionary[ServerView, EndpointState] = weakref.WeakKeyDictionary()


def endpoint_state(server: ServerView) -> EndpointState:
    """The in-memory files, batches and settings of ``server`` (made on first use)."""
    state = _states.get(server)
    if state is None:
        state = _states[server] = EndpointState(
            batch_timing=server.batch_timing, clock=server.clock
        )
    return state
