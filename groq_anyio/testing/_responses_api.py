"""The Responses API of the local server: ``POST /openai/v1/responses``, plain and streamed.

The answer is described by the same :class:`ChatScript` fields as a chat completion (``text``,
``chunks``, ``reasoning``, ``tool_calls``, delays, ``stream_error``, ``headers``, ``model``);
:class:`~._scenarios.ResponsesScript` adds what only this API has: an ``incomplete`` or
``failed`` final status, extra (unknown) events, and a closing ``data: [DONE]``. This module sits
below the scripts (:mod:`._scenarios` routes ``/responses`` here), like :mod:`._endpoints`.

Streams follow the Responses API event order: ``response.created``, ``response.in_progress``;
per output item ``response.output_item.added``, its deltas (``response.reasoning_text.delta``,
``response.output_text.delta`` inside ``response.content_part.added`` / ``.done``, or
``response.function_call_arguments.delta``) and ``response.output_item.done``; then
``response.completed`` (or ``response.incomplete`` / ``response.failed``). Every event is sent as
``event: <type>`` plus ``data: <json>`` with a ``sequence_number``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import msgspec

from .._decode_errors import DECODE_ERRORS
from ._endpoints._common import reject_unknown_model
from ._exchange import Exchange, HeaderList
from ._groq import API_PREFIX, random_suffix
from ._replies import ErrorReply, not_found
from ._tokens import argument_pieces, pump, split_tokens

if TYPE_CHECKING:
    from ._scenarios import ChatScript, ResponsesScript

__all__ = ["RESPONSES_PATH", "respond_responses"]

RESPONSES_PATH = API_PREFIX + "/responses"
_enc = msgspec.json.encode
_decode_json = msgspec.json.Decoder()


def _ids() -> tuple[str, str]:
    return "resp_" + random_suffix(26), random_suffix(26)


async def respond_responses(
    script: ChatScript, exchange: Exchange, extras: ResponsesScript | None = None
) -> None:
    """Answer ``POST /openai/v1/responses`` the way ``script`` describes (``extras``: the
    script itself when it is a :class:`~._scenarios.ResponsesScript`)."""
    if exchange.request.route != RESPONSES_PATH:
        await not_found(exchange.request).respond(exchange)
        return
    try:
        body = _decode_json.decode(exchange.request.body)
    except DECODE_ERRORS as exc:
        message = f"We could not parse the JSON body of your request: {exc}"
        await ErrorReply(400, message, code="json_invalid").respond(exchange)
        return
    problem = param = None
    if not isinstance(body, dict):
        problem = "request body must be a JSON object"
    elif not isinstance(body.get("input"), str | list):
        problem, param = "'input' : property 'input' is missing", "input"
    elif script.model is None and not isinstance(body.get("model"), str):
        problem, param = "'model' : property 'model' is missing", "model"
    elif body.get("store") is True:
        problem, param = "`store` is not supported: only false or null", "store"
    elif body.get("previous_response_id") is not None:
        problem = "`previous_response_id` is not supported: send the conversation in `input`"
        param = "previous_response_id"
    if problem is not None:
        await ErrorReply(400, problem, code=param and "invalid_request_error").respond(exchange)
        return
    assert isinstance(body, dict)
    if isinstance(body.get("model"), str) and await reject_unknown_model(exchange, body["model"]):
        return
    model = script.model if script.model is not None else str(body["model"])
    if body.get("stream") is True:
        await _stream(script, exchange, body, model, extras)
    elif script.stream_error is not None:
        status = int(script.stream_error.get("status_code", 500))
        error = _enc({"error": script.stream_error})
        await ErrorReply(status, headers=script.headers, body=error).respond(exchange)
    else:
        await _complete(script, exchange, body, model, extras)


# -- the answer ---------------------------------------------------------------------------------


class _Plan:
    """What the script says the model produces, as Responses API pieces."""

    def __init__(
        self,
        script: ChatScript,
        body: dict[str, Any],
        model: str,
        extra: ResponsesScript | None,
    ) -> None:
        self.script = script
        self.body = body
        self.model = model
        self.id, suffix = _ids()
        self.suffix = suffix
        self.created = int(time.time())
        n_content, content = script._content()
        self.tokens = list(content())
        self.text = "".join(self.tokens)
        self.reasoning_tokens = list(split_tokens(script.reasoning or "", None)[1]())
        self.tools = script._tools()
        n_tool = sum(1 + len(argument_pieces(a)) for _, _, a in self.tools)
        self.input_tokens = _input_tokens(body)
        self.output_tokens = n_content + len(self.reasoning_tokens) + n_tool
        self.status = extra.status if extra is not None else "completed"
        self.extra = extra

    # items, in output order: reasoning, message, function calls

    def reasoning_item(self, done: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"type": "reasoning", "id": "rs_" + self.suffix, "summary": []}
        if done:
            item["content"] = [{"type": "reasoning_text", "text": "".join(self.reasoning_tokens)}]
            item["status"] = "completed"
        else:
            item["status"] = "in_progress"
        return item

    def message_item(self, done: bool) -> dict[str, Any]:
        content = [_output_text(self.text)] if done else []
        return {
            "type": "message",
            "id": "msg_" + self.suffix,
            "status": self._item_status() if done else "in_progress",
            "role": "assistant",
            "content": content,
        }

    def call_item(self, k: int, done: bool) -> dict[str, Any]:
        call_id, name, args = self.tools[k]
        return {
            "type": "function_call",
            "id": f"fc_{self.suffix}_{k}",
            "status": "completed" if done else "in_progress",
            "call_id": call_id,
            "name": name,
            "arguments": args if done else "",
        }

    def _item_status(self) -> str:
        return "incomplete" if self.status == "incomplete" else "completed"

    def has_message(self) -> bool:
        return bool(self.text) or not self.tools

    def output(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if self.script.reasoning is not None:
            out.append(self.reasoning_item(True))
        if self.has_message():
            out.append(self.message_item(True))
        out.extend(self.call_item(k, True) for k in range(len(self.tools)))
        return out

    def response(self, status: str, output: list[dict[str, Any]], final: bool) -> dict[str, Any]:
        body = self.body
        reasoning: Any = body.get("reasoning") or {}
        text: Any = body.get("text") or {}
        if not isinstance(reasoning, dict):
            reasoning = {}
        if not isinstance(text, dict):
            text = {}
        doc: dict[str, Any] = {
            "id": self.id,
            "object": "response",
            "status": status,
            "created_at": self.created,
            "output": output,
            "previous_response_id": None,
            "model": self.model,
            "reasoning": {"effort": reasoning.get("effort"), "summary": None},
            "max_output_tokens": body.get("max_output_tokens"),
            "instructions": body.get("instructions"),
            "text": {"format": text.get("format") or {"type": "text"}},
            "tools": body.get("tools") or [],
            "tool_choice": body.get("tool_choice") or "auto",
            "truncation": body.get("truncation") or "disabled",
            "metadata": body.get("metadata") or {},
            "temperature": body.get("temperature", 1),
            "top_p": body.get("top_p", 1),
            "user": body.get("user"),
            "service_tier": "default",
            "error": None,
            "incomplete_details": None,
            "usage": None,
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "store": False,
        }
        if final:
            doc["usage"] = {
                "input_tokens": self.input_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": self.output_tokens,
                "output_tokens_details": {"reasoning_tokens": len(self.reasoning_tokens)},
                "total_tokens": self.input_tokens + self.output_tokens,
            }
            if status == "incomplete" and self.extra is not None:
                doc["incomplete_details"] = {"reason": self.extra.incomplete_reason}
            if status == "failed":
                failure = self.extra.failure if self.extra is not None else None
                doc["error"] = failure or {"code": "server_error", "message": "the model failed"}
        return doc


def _output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _text_length(content: Any) -> int:
    if isinstance(content, str):
        return len(content)
    if isinstance(content, list):
        return sum(len(p.get("text") or "") for p in content if isinstance(p, dict))
    return 0


def _input_tokens(body: dict[str, Any]) -> int:
    """About one token per four characters of the input and the instructions."""
    chars = _text_length(body.get("instructions"))
    items = body.get("input")
    if isinstance(items, str):
        chars += len(items)
    elif isinstance(items, list):
        for item in items:
            if isinstance(item, dict):
                chars += _text_length(item.get("content")) + _text_length(item.get("output")) + 4
    return max(1, chars // 4)


def _headers(
    script: ChatScript, exchange: Exchange, content_type: bytes, tokens: int
) -> HeaderList:
    return script._headers(exchange, content_type, tokens)


async def _complete(
    script: ChatScript,
    exchange: Exchange,
    body: dict[str, Any],
    model: str,
    extras: ResponsesScript | None,
) -> None:
    plan = _Plan(script, body, model, extras)
    wait = script.first_chunk_delay + script.delay_after_first
    wait += script.chunk_delay * max(0, plan.output_tokens - 1)
    if wait > 0:
        await exchange.sleep(wait)
    doc = plan.response(plan.status, plan.output(), final=True)
    tokens = plan.input_tokens + plan.output_tokens
    await exchange.respond(200, _headers(script, exchange, b"application/json", tokens), _enc(doc))


async def _stream(
    script: ChatScript,
    exchange: Exchange,
    body: dict[str, Any],
    model: str,
    extras: ResponsesScript | None,
) -> None:
    plan = _Plan(script, body, model, extras)
    tokens = plan.input_tokens + plan.output_tokens
    await exchange.start(200, _headers(script, exchange, b"text/event-stream", tokens), None)
    await pump(exchange, _events(plan))


def _events(plan: _Plan) -> Iterator[bytes | float]:
    """The event bytes and pauses of a streamed answer."""
    script = plan.script
    seq = 0

    def event(kind: str, **fields: Any) -> bytes:
        nonlocal seq
        data = {"type": kind, "sequence_number": seq, **fields}
        seq += 1
        return b"event: " + kind.encode() + b"\ndata: " + _enc(data) + b"\n\n"

    error = script.stream_error
    error_at = script.stream_error_after if error is not None else -1
    sent_text = 0
    deltas = 0

    def pause() -> Iterator[float]:
        nonlocal deltas
        if deltas == 0:
            if script.first_chunk_delay > 0:
                yield script.first_chunk_delay
        else:
            wait = script.chunk_delay + (script.delay_after_first if deltas == 1 else 0.0)
            if wait > 0:
                yield wait
        deltas += 1

    yield event("response.created", response=plan.response("in_progress", [], final=False))
    yield event("response.in_progress", response=plan.response("in_progress", [], final=False))
    if plan.extra is not None:
        for extra in plan.extra.extra_events or ():
            yield event(str(extra.get("type", "response.unknown")), **extra)

    index = 0
    if script.reasoning is not None:
        item = plan.reasoning_item(False)
        yield event("response.output_item.added", output_index=index, item=item)
        for tok in plan.reasoning_tokens:
            yield from pause()
            yield event(
                "response.reasoning_text.delta",
                item_id=item["id"],
                output_index=index,
                content_index=0,
                delta=tok,
            )
        text = "".join(plan.reasoning_tokens)
        yield event(
            "response.reasoning_text.done",
            item_id=item["id"],
            output_index=index,
            content_index=0,
            text=text,
        )
        yield event("response.output_item.done", output_index=index, item=plan.reasoning_item(True))
        index += 1
    if plan.has_message():
        item = plan.message_item(False)
        item_id = item["id"]
        yield event("response.output_item.added", output_index=index, item=item)
        yield event(
            "response.content_part.added",
            item_id=item_id,
            output_index=index,
            content_index=0,
            part=_output_text(""),
        )
        for tok in plan.tokens:
            if sent_text == error_at:
                break
            yield from pause()
            yield event(
                "response.output_text.delta",
                item_id=item_id,
                output_index=index,
                content_index=0,
                delta=tok,
                logprobs=[],
            )
            sent_text += 1
        if error is not None and error_at >= 0:
            yield from _error_events(script, error, event)
            return
        yield event(
            "response.output_text.done",
            item_id=item_id,
            output_index=index,
            content_index=0,
            text=plan.text,
            logprobs=[],
        )
        yield event(
            "response.content_part.done",
            item_id=item_id,
            output_index=index,
            content_index=0,
            part=_output_text(plan.text),
        )
        yield event("response.output_item.done", output_index=index, item=plan.message_item(True))
        index += 1
    elif error is not None and error_at >= 0:
        yield from _error_events(script, error, event)
        return
    for k in range(len(plan.tools)):
        item = plan.call_item(k, False)
        yield event("response.output_item.added", output_index=index, item=item)
        args = plan.tools[k][2]
        for piece in argument_pieces(args):
            yield from pause()
            yield event(
                "response.function_call_arguments.delta",
                item_id=item["id"],
                output_index=index,
                delta=piece,
            )
        yield event(
            "response.function_call_arguments.done",
            item_id=item["id"],
            output_index=index,
            arguments=args,
        )
        yield event("response.output_item.done", output_index=index, item=plan.call_item(k, True))
        index += 1
    final = plan.response(plan.status, plan.output(), final=True)
    kind = {"completed": "response.completed", "incomplete": "response.incomplete"}.get(
        plan.status, "response.failed"
    )
    yield event(kind, response=final)
    if plan.extra is not None and plan.extra.done_marker:
        yield b"data: [DONE]\n\n"


def _error_events(script: ChatScript, error: dict[str, Any], event: Any) -> Iterator[bytes]:
    """An in-band error, in the style the script asks for; the stream then ends."""
    if script.stream_error_style == "data":
        yield b"data: " + _enc({"error": error}) + b"\n\n"
    else:
        fields = {k: v for k, v in error.items() if k != "type"}
        yield event("error", **fields)
