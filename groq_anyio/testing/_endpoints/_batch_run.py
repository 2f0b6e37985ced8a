"""Running a batch: the input file's lines, and the result line for each request (a chat
completion with the script's text, or a 400 for a request that is not a chat request)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

import msgspec

from ..._decode_errors import DECODE_ERRORS
from .._groq import SYSTEM_FINGERPRINT, prompt_tokens, random_suffix, usage

if TYPE_CHECKING:
    from .._scenarios import ChatScript

__all__ = ["DEFAULT_TEXT", "answer_line", "batch_lines"]

DEFAULT_TEXT: Final = "Hello from the local Groq server!"

_enc = msgspec.json.encode
_decode = msgspec.json.decode


def batch_lines(data: bytes) -> Iterator[tuple[int, Any]]:
    """``(line number, decoded JSON or None)`` for each non-blank line."""
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            yield number, _decode(line)
        except DECODE_ERRORS:
            yield number, None


def answer_line(request: tuple[int, Any], script: ChatScript | None) -> tuple[bytes, bool]:
    """The result line for one input line, and whether it succeeded."""
    _, doc = request
    body = doc["body"]
    line: dict[str, Any] = {
        "id": "batch_req_" + random_suffix(26),
        "custom_id": doc["custom_id"],
        "response": None,
        "error": None,
    }
    request_id = "req_" + random_suffix(26)
    model = body.get("model")
    messages = body.get("messages")
    if not isinstance(model, str) or not isinstance(messages, list):
        missing = "model" if not isinstance(model, str) else "messages"
        error = {
            "message": f"'{missing}' : property '{missing}' is missing",
            "type": "invalid_request_error",
            "code": None,
        }
        line["response"] = {"status_code": 400, "request_id": request_id, "body": {"error": error}}
        return _enc(line) + b"\n", False
    text = DEFAULT_TEXT if script is None else script.text
    if script is not None and script.model is not None:
        model = script.model
    prompt = prompt_tokens(body)
    completion = max(1, len(text.split()))
    line["response"] = {
        "status_code": 200,
        "request_id": request_id,
        "body": {
            "id": "chatcmpl-" + str(uuid.uuid4()),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": usage(prompt, completion),
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "x_groq": {"id": request_id},
        },
    }
    return _enc(line) + b"\n", True
