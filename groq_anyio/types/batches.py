"""Request and response types of the Batch API (``/batches``) and of a batch's result lines.

A batch runs the requests of an uploaded JSONL file (one ``{"custom_id", "method", "url",
"body"}`` per line) within the ``completion_window``. Once finished, its ``output_file_id``
holds one result line per successful request and its ``error_file_id`` one per failed request;
each line decodes as a :class:`BatchResult`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec

from .chat_completion import ChatCompletion
from .shared import ErrorObject, GroqModel, RequestModel

__all__ = [
    "Batch",
    "BatchCreateRequest",
    "BatchError",
    "BatchErrors",
    "BatchList",
    "BatchRequestCounts",
    "BatchResponse",
    "BatchResult",
    "BatchResultError",
    "BATCH_STATUSES",
    "FINISHED_BATCH_STATUSES",
]

#: every status a batch goes through
BATCH_STATUSES = frozenset(
    {
        "validating",
        "failed",
        "in_progress",
        "finalizing",
        "completed",
        "expired",
        "cancelling",
        "cancelled",
    }
)
#: the statuses after which a batch no longer changes (its files, if any, are final)
FINISHED_BATCH_STATUSES = frozenset({"completed", "failed", "expired", "cancelled"})


class BatchRequestCounts(GroqModel):
    """How many of the batch's requests completed, failed, and there are in all."""

    completed: int = 0
    failed: int = 0
    total: int = 0


class BatchError(GroqModel):
    """A problem with the batch as a whole (often with one input line, ``line``)."""

    code: str | None = None
    message: str | None = None
    param: str | None = None
    line: int | None = None


class BatchErrors(GroqModel):
    """The list of :class:`BatchError` of a batch that failed validation."""

    data: list[BatchError] | None = None
    object: str | None = None


class Batch(GroqModel, gc=True):
    """A batch job.

    Attributes:
        id: The batch id (``batch_...``).
        object: Always ``"batch"``.
        endpoint: The API path every request goes to (``/v1/chat/completions``).
        input_file_id: The uploaded JSONL file of requests.
        completion_window: The time allowed (``"24h"`` up to ``"7d"``).
        status: ``validating``, ``in_progress``, ``finalizing``, ``completed``, ``failed``,
            ``expired``, ``cancelling`` or ``cancelled``.
        output_file_id: The results of the requests that succeeded (once finished).
        error_file_id: The results of the requests that failed (once finished).
        errors: Why the batch as a whole failed, if it did.
        created_at: When it was created; the other ``*_at`` fields follow its life (Unix seconds).
        request_counts: How many requests completed and failed.
        metadata: The key-value pairs given at creation.
    """

    id: str
    object: str = "batch"
    endpoint: str | None = None
    input_file_id: str | None = None
    completion_window: str | None = None
    status: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: BatchErrors | None = None
    created_at: int | None = None
    in_progress_at: int | None = None
    expires_at: int | None = None
    finalizing_at: int | None = None
    completed_at: int | None = None
    failed_at: int | None = None
    expired_at: int | None = None
    cancelling_at: int | None = None
    cancelled_at: int | None = None
    request_counts: BatchRequestCounts | None = None
    metadata: dict[str, Any] | None = None

    @property
    def is_finished(self) -> bool:
        """Whether the batch reached a final status (its result files will not change)."""
        return self.status in FINISHED_BATCH_STATUSES


class BatchList(GroqModel):
    """The answer of ``batches.list()``: ``data`` holds the batches (iterate the list directly)."""

    data: list[Batch] = msgspec.field(default_factory=list)
    object: str = "list"

    def __iter__(self) -> Iterator[Batch]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


class BatchCreateRequest(RequestModel):
    """The body of ``POST /batches`` (``metadata`` is not sent when unset).

    Attributes:
        input_file_id: The uploaded JSONL file of requests.
        endpoint: The API path every request goes to (``"/v1/chat/completions"``).
        completion_window: The time allowed (``"24h"`` up to ``"7d"``).
        metadata: Your key-value strings, kept with the batch.
    """

    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, str] | None = None


# ----------------------------------------------------------------------------- result lines


class BatchResultError(GroqModel):
    """Why a request of the batch produced no response (``expired``, ``batch_cancelled``...)."""

    code: str | None = None
    message: str | None = None


class BatchResponse(GroqModel, gc=True):
    """The HTTP answer one request of the batch got.

    Attributes:
        status_code: The HTTP status (200 for a completion).
        request_id: Groq's id of the request.
        body: The chat completion (2xx answers whose body decodes as one).
        error: The ``error`` object of an error answer.
        raw_body: The body as sent, when it is neither (kept so nothing is lost).
    """

    status_code: int
    request_id: str | None = None
    body: ChatCompletion | None = None
    error: ErrorObject | None = None
    raw_body: Any = None


class BatchResult(GroqModel, gc=True):
    """One line of a batch's output or error file.

    Attributes:
        custom_id: The ``custom_id`` of the input line it answers.
        id: Groq's id of the line (``batch_req_...``).
        response: The HTTP answer (``None`` when the request never ran).
        error: Why the request never ran (``None`` when it did).
    """

    custom_id: str
    id: str | None = None
    response: BatchResponse | None = None
    error: BatchResultError | None = None

    @property
    def ok(self) -> bool:
        """Whether the request ran and got a 2xx answer."""
        r = self.response
        return self.error is None and r is not None and 200 <= r.status_code < 300

    @property
    def completion(self) -> ChatCompletion | None:
        """The chat completion, when the request succeeded."""
        return self.response.body if self.response is not None else None
