"""``/batches``: create (with a check of the input file), list, retrieve and cancel."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote

import msgspec

from .._exchange import Exchange
from .._groq import random_suffix
from ._batch_run import batch_lines
from ._common import json_body, send_error, send_json
from ._state import EndpointState, endpoint_state

if TYPE_CHECKING:
    from .._scenarios import ChatScript

__all__ = ["batches"]

_BATCH_ENDPOINTS: Final = frozenset({"/v1/chat/completions"})
_enc = msgspec.json.encode


def _validate_input(data: bytes, endpoint: str) -> list[dict[str, Any]]:
    """The problems of a batch input file, as ``errors.data`` entries."""
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    count = 0
    for number, doc in batch_lines(data):
        count += 1
        problem: tuple[str, str] | None = None
        if not isinstance(doc, dict):
            problem = ("invalid_json_line", "This line is not parseable as valid JSON.")
        elif not isinstance(doc.get("custom_id"), str) or not doc["custom_id"]:
            problem = ("missing_required_parameter", "The line has no custom_id.")
        elif doc["custom_id"] in seen:
            problem = ("duplicate_custom_id", "The custom_id for this request is a duplicate.")
        elif doc.get("method") != "POST":
            problem = ("invalid_method", "The method of each request must be POST.")
        elif doc.get("url") != endpoint:
            problem = ("mismatched_url", f"The url of each request must be {endpoint}.")
        elif not isinstance(doc.get("body"), dict):
            problem = ("missing_required_parameter", "The line has no body object.")
        else:
            seen.add(doc["custom_id"])
        if problem is not None:
            problems.append({"code": problem[0], "message": problem[1], "line": number})
    if not count:
        problems.append({"code": "empty_file", "message": "The input file holds no requests."})
    return problems


async def batches(script: ChatScript, exchange: Exchange, rest: str, method: str) -> bool:
    state = endpoint_state(exchange.server)
    if not rest:
        if method == "POST":
            await _create_batch(script, exchange, state)
        elif method == "GET":
            data = [state.advance(batch_id) for batch_id in list(state.batches)]
            await send_json(script, exchange, {"object": "list", "data": data})
        else:
            return False
        return True
    segment, _, tail = rest.partition("/")
    if not ((tail == "" and method == "GET") or (tail == "cancel" and method == "POST")):
        return False
    batch_id = unquote(segment)
    if batch_id not in state.batches:
        await send_error(exchange, 404, f"batch {batch_id!r} not found", "batch_not_found")
        return True
    batch = state.advance(batch_id)
    if tail == "cancel":
        if batch["status"] not in ("validating", "in_progress"):
            message = f"Cannot cancel a batch with status {batch['status']!r}."
            await send_error(exchange, 400, message, "batch_not_cancellable")
            return True
        _cancel(state, batch)
        await send_json(script, exchange, {**batch, "status": "cancelling", "cancelled_at": None})
        return True
    await send_json(script, exchange, batch)
    return True


async def _create_batch(script: ChatScript, exchange: Exchange, state: EndpointState) -> None:
    body = json_body(exchange.request)
    if isinstance(body, str):
        await send_error(exchange, 400, body, "json_invalid")
        return
    input_file_id = body.get("input_file_id")
    endpoint = body.get("endpoint")
    window = body.get("completion_window")
    metadata = body.get("metadata")
    for name, value in (
        ("input_file_id", input_file_id),
        ("endpoint", endpoint),
        ("completion_window", window),
    ):
        if not isinstance(value, str) or not value:
            await send_error(exchange, 400, f"property '{name}' is missing", param=name)
            return
    assert isinstance(input_file_id, str) and isinstance(endpoint, str)
    if endpoint not in _BATCH_ENDPOINTS:
        await send_error(exchange, 400, "endpoint must be /v1/chat/completions", param="endpoint")
        return
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
    ):
        await send_error(exchange, 400, "metadata must map strings to strings", param="metadata")
        return
    source = state.files.get(input_file_id)
    if source is None:
        message = f"input file {input_file_id!r} not found"
        await send_error(exchange, 404, message, "file_not_found")
        return
    now = int(time.time())
    batch: dict[str, Any] = {
        "id": "batch_" + random_suffix(26),
        "object": "batch",
        "endpoint": endpoint,
        "errors": None,
        "input_file_id": input_file_id,
        "completion_window": window,
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": now,
        "in_progress_at": None,
        "expires_at": now + 24 * 3600,
        "finalizing_at": None,
        "completed_at": None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "metadata": metadata,
    }
    state.batches[batch["id"]] = batch
    problems = _validate_input(source.data, endpoint)
    if problems:
        batch["status"] = "failed"
        batch["failed_at"] = now
        batch["errors"] = {"object": "list", "data": problems}
    else:
        batch["request_counts"]["total"] = sum(1 for _ in batch_lines(source.data))
        state._scripts[batch["id"]] = script
        if state.batch_timing is not None:
            state.start_batch(batch["id"])
        else:
            batch["status"] = "in_progress"
            batch["in_progress_at"] = now
            if state.complete_batches:
                state.complete_batch(batch["id"])
    await send_json(script, exchange, batch)


def _cancel(state: EndpointState, batch: dict[str, Any]) -> None:
    """Cancel a running batch: every request gets a ``batch_cancelled`` error line."""
    now = int(time.time())
    state._scripts.pop(batch["id"], None)
    lines = []
    for _, doc in batch_lines(state.files[batch["input_file_id"]].data):
        line = {
            "id": "batch_req_" + random_suffix(26),
            "custom_id": doc["custom_id"],
            "response": None,
            "error": {"code": "batch_cancelled", "message": "This request was cancelled."},
        }
        lines.append(_enc(line) + b"\n")
    batch["status"] = "cancelled"
    batch["cancelling_at"] = batch["cancelled_at"] = now
    batch["request_counts"] = {"total": len(lines), "completed": 0, "failed": len(lines)}
    if lines:
        name = f"{batch['id']}_error.jsonl"
        batch["error_file_id"] = state.add_file(b"".join(lines), name, "batch_output").id
