"""``ChatScript``: the scripted Groq model behind the local server.

It answers the Groq endpoints it knows (``POST /openai/v1/chat/completions``,
``GET /openai/v1/models``, ``GET /openai/v1/models/{id}``) and 404s the rest, in Groq's format.

Streamed responses are rendered without a JSON encoder per chunk: the bytes shared by every
chunk of a response (id, created, model, fingerprint) are rendered once, and a content chunk is
``prefix + msgspec.json.encode(token) + suffix``. The event generator yields bytes, or a float
meaning "pause this long". The pump coalesces consecutive bytes into writes of up to 64 KiB and
flushes before each pause, so an unpaced 10,000-chunk stream takes a few dozen socket writes and
a paced stream writes every chunk when it is due (pauses are measured from the start of the
response, so a long paced stream does not drift).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

import msgspec

from .._decode_errors import DECODE_ERRORS
from ._chat_rules import reject_chat, shape_script
from ._endpoints import handle_endpoint
from ._exchange import Exchange, Reply, merge_headers
from ._groq import (
    CHAT_PATH,
    MODELS,
    MODELS_PATH,
    SYSTEM_FINGERPRINT,
    groq_headers,
    model_object,
    models_body,
    prompt_tokens,
    random_suffix,
    usage,
)
from ._replies import ErrorReply, not_found
from ._responses_api import respond_responses
from ._tokens import Tokens, argument_pieces, pump, split_tokens

__all__ = [
    "DEFAULT_TEXT",
    "ChatScript",
    "ErrorStyle",
    "ResponsesScript",
    "UsageStyle",
]

DEFAULT_TEXT = "Hello from the local Groq server!"
#: Where a :class:`ChatScript` stream reports usage: ``x_groq`` (in ``x_groq.usage`` of the
#: finish chunk), ``usage`` (a top-level ``usage`` there), ``trailing`` (a last chunk with empty
#: ``choices``), or combinations of these.
UsageStyle = Literal["x_groq", "usage", "trailing", "both", "x_groq_and_trailing"]
#: How a :class:`ChatScript` sends an error in the middle of a stream: a ``data:`` line, an
#: ``event: error`` event, or inside ``x_groq.error`` of a chunk.
ErrorStyle = Literal["data", "event", "x_groq"]

_enc = msgspec.json.encode
_decode_json = msgspec.json.Decoder()
_DONE = b"data: [DONE]\n\n"
_NULL_TAIL = b',"logprobs":null,"finish_reason":null}]}\n\n'


class ChatScript(Reply, frozen=True):
    """A scripted chat completion, streamed (SSE) or not, exactly in Groq's wire format.

    Args:
        text: the assistant's content, one streamed chunk per whitespace-separated word.
        chunks: force this many content chunks (more than the words: ``"tok0 "``, ``"tok1 "``,
            ... are generated; fewer: words are grouped; ``0``: no content).
        chunk_delay: pause between streamed token chunks.
        first_chunk_delay: pause before the first chunk (time to first token).
        delay_after_first: extra pause after the first token chunk.
        tool_calls: ``[{"name": ..., "arguments": str | dict, "id"?: ...}]`` (the OpenAI shape
            ``{"id", "function": {...}}`` works too). With tool calls and the default ``text``
            no content is sent.
        reasoning: ``message.reasoning`` / ``delta.reasoning`` chunks before the content.
        finish_reason: default ``"tool_calls"`` with tool calls, else ``"stop"``.
        usage_style: where the streamed usage goes: ``x_groq.usage`` on the finish chunk,
            a top-level ``usage`` on it, ``both``, a ``trailing`` chunk with no choices, or
            ``x_groq_and_trailing`` (what a request with ``stream_options.include_usage`` gets
            when the script keeps the default).
        model: the model to report (``None``: echo the request's).
        headers: extra response headers (replace Groq's of the same name).
        stream_error: an in-band error (``{"message", "type", "code", "status_code"}``) sent
            after ``stream_error_after`` content chunks, as ``data: {"error": ...}``
            (``"data"``), ``event: error`` (``"event"``) or ``x_groq.error`` (``"x_groq"``);
            the stream then ends without ``[DONE]``. A non-streamed request gets it as an HTTP
            error with status ``status_code`` (default 500).

    Non-streamed answers wait the time the stream would have taken.
    """

    text: str = DEFAULT_TEXT
    chunks: int | None = None
    chunk_delay: float = 0.0
    first_chunk_delay: float = 0.0
    delay_after_first: float = 0.0
    tool_calls: list[dict[str, Any]] | None = None
    reasoning: str | None = None
    finish_reason: str | None = None
    usage_style: UsageStyle = "x_groq"
    model: str | None = None
    headers: dict[str, str] | None = None
    stream_error: dict[str, Any] | None = None
    stream_error_after: int = 0
    stream_error_style: ErrorStyle = "data"

    async def respond(self, exchange: Exchange) -> None:
        req = exchange.request
        route = req.route
        if route == CHAT_PATH and req.method == "POST":
            await self._chat(exchange)
        elif route.endswith("/responses") and req.method == "POST":
            extras = self if isinstance(self, ResponsesScript) else None
            await respond_responses(self, exchange, extras)
        elif await handle_endpoint(self, exchange):
            return  # models, files, batches, embeddings, speech: see _endpoints.py
        elif route == MODELS_PATH and req.method == "GET":
            await exchange.respond(200, self._headers(exchange, b"application/json"), models_body())
        elif route.startswith(MODELS_PATH + "/") and req.method == "GET":
            model_id = route[len(MODELS_PATH) + 1 :]
            for entry in MODELS:
                if entry[0] == model_id:
                    body = _enc(model_object(entry))
                    await exchange.respond(200, self._headers(exchange, b"application/json"), body)
                    return
            message = f"The model `{model_id}` does not exist or you do not have access to it."
            await ErrorReply(404, message, code="model_not_found").respond(exchange)
        else:
            await not_found(req).respond(exchange)

    # -- pieces ------------------------------------------------------------------------------

    def _headers(
        self, exchange: Exchange, content_type: bytes, tokens: int = 0
    ) -> list[tuple[bytes, bytes]]:
        return merge_headers(groq_headers(exchange, content_type, tokens), self.headers)

    def _content(self) -> Tokens:
        text = self.text
        if self.tool_calls and text == DEFAULT_TEXT:
            text = ""
        return split_tokens(text, self.chunks)

    def _tools(self) -> list[tuple[str, str, str]]:
        out = []
        for call in self.tool_calls or ():
            fn = call["function"] if isinstance(call.get("function"), dict) else call
            args = fn.get("arguments", "")
            if not isinstance(args, str):
                args = _enc(args).decode()
            out.append((str(call.get("id") or "call_" + random_suffix(8)), str(fn["name"]), args))
        return out

    async def _chat(self, exchange: Exchange) -> None:
        try:
            body = _decode_json.decode(exchange.request.body)
        except DECODE_ERRORS as exc:
            message = f"We could not parse the JSON body of your request: {exc}"
            await ErrorReply(400, message, code="json_invalid").respond(exchange)
            return
        problem = None
        if not isinstance(body, dict):
            problem = "request body must be a JSON object"
        elif not isinstance(body.get("messages"), list):
            problem = "'messages' : property 'messages' is missing"
        elif self.model is None and not isinstance(body.get("model"), str):
            problem = "'model' : property 'model' is missing"
        if problem is not None:
            await ErrorReply(400, problem).respond(exchange)
            return
        assert isinstance(body, dict)
        rejection = reject_chat(body, exchange.server)
        if rejection is not None:
            await rejection.respond(exchange)
            return
        script = shape_script(self, body, DEFAULT_TEXT)
        model = self.model if self.model is not None else str(body["model"])
        if body.get("stream") is True:
            await script._stream(exchange, body, model)
        else:
            await script._complete(exchange, body, model)

    async def _complete(self, exchange: Exchange, body: dict[str, Any], model: str) -> None:
        if self.stream_error is not None:
            status = int(self.stream_error.get("status_code", 500))
            error = _enc({"error": self.stream_error})
            await ErrorReply(status, headers=self.headers, body=error).respond(exchange)
            return
        n_content, content = self._content()
        n_reasoning, _ = split_tokens(self.reasoning or "", None)
        tools = self._tools()
        n_tool = sum(1 + len(argument_pieces(a)) for _, _, a in tools)
        n_tokens = n_content + n_reasoning + n_tool
        wait = self.first_chunk_delay + self.delay_after_first
        wait += self.chunk_delay * max(0, n_tokens - 1)
        if wait > 0:
            await exchange.sleep(wait)
        message: dict[str, Any] = {"role": "assistant"}
        text = "".join(content())
        if text or not tools:
            message["content"] = text
        if self.reasoning is not None:
            message["reasoning"] = self.reasoning
        if tools:
            message["tool_calls"] = [
                {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
                for i, n, a in tools
            ]
        prompt = prompt_tokens(body)
        doc = {
            "id": "chatcmpl-" + str(uuid.uuid4()),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": self._finish(tools),
                }
            ],
            "usage": usage(prompt, n_tokens, n_reasoning),
            "usage_breakdown": None,
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "x_groq": {"id": exchange.request_id},
            "service_tier": "on_demand",
        }
        headers = self._headers(exchange, b"application/json", prompt + n_tokens)
        await exchange.respond(200, headers, _enc(doc))

    def _finish(self, tools: list[tuple[str, str, str]]) -> str:
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if tools else "stop"

    async def _stream(self, exchange: Exchange, body: dict[str, Any], model: str) -> None:
        prompt = prompt_tokens(body)
        events, completion = self._events(exchange, model, prompt)
        headers = self._headers(exchange, b"text/event-stream", prompt + completion)
        await exchange.start(200, headers, None)
        await pump(exchange, events)

    def _events(
        self, exchange: Exchange, model: str, prompt: int
    ) -> tuple[Iterator[bytes | float], int]:
        """The SSE byte pieces and pauses of the stream, and its completion token count."""
        rid = exchange.request_id.encode()
        head = b"".join(
            (
                b'data: {"id":"chatcmpl-',
                str(uuid.uuid4()).encode(),
                b'","object":"chat.completion.chunk","created":',
                b"%d" % int(time.time()),
                b',"model":',
                _enc(model),
                b',"system_fingerprint":"',
                SYSTEM_FINGERPRINT.encode(),
                b'","choices":[',
            )
        )
        delta = head + b'{"index":0,"delta":'
        n_content, content = self._content()
        n_reasoning, reasoning = split_tokens(self.reasoning or "", None)
        tools = self._tools()
        n_tool = sum(1 + len(argument_pieces(a)) for _, _, a in tools)
        completion = n_content + n_reasoning + n_tool

        def token_chunks() -> Iterator[tuple[int, bytes]]:
            pre = delta + b'{"reasoning":'
            for tok in reasoning():
                yield 0, pre + _enc(tok) + b"}" + _NULL_TAIL
            pre = delta + b'{"content":'
            for tok in content():
                yield 1, pre + _enc(tok) + b"}" + _NULL_TAIL
            for k, (call_id, name, args) in enumerate(tools):
                first: dict[str, Any] = {"index": k, "id": call_id, "type": "function"}
                first["function"] = {"name": name, "arguments": ""}
                yield 2, delta + _enc({"tool_calls": [first]}) + _NULL_TAIL
                for piece in argument_pieces(args):
                    part = {"tool_calls": [{"index": k, "function": {"arguments": piece}}]}
                    yield 2, delta + _enc(part) + _NULL_TAIL

        role = b"".join(
            (
                delta,
                b'{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],',
                b'"x_groq":{"id":"',
                rid,
                b'"}}\n\n',
            )
        )

        def events() -> Iterator[bytes | float]:
            error_at = self.stream_error_after if self.stream_error is not None else -1
            sent = n_seen = 0
            pause = self.chunk_delay
            for kind, chunk in token_chunks():
                if kind and n_seen == error_at:
                    break
                if sent > 1:
                    if pause > 0:
                        yield pause
                else:
                    yield from self._gap(sent, role)
                yield chunk
                sent += 1
                n_seen += kind == 1
            if error_at >= 0 and self.stream_error is not None:
                if sent:
                    yield from self._gap(sent, role)
                elif self.first_chunk_delay > 0:
                    yield self.first_chunk_delay
                yield self._error_event(head, rid, self.stream_error)
                return
            yield from self._gap(sent, role) if not sent else ()
            yield self._finish_events(head, delta, rid, prompt, completion, n_reasoning, tools)

        return events(), completion

    def _gap(self, sent: int, role: bytes) -> Iterator[bytes | float]:
        """The pause (and for the first token, the role chunk) before token chunk ``sent``."""
        if sent == 0:
            if self.first_chunk_delay > 0:
                yield self.first_chunk_delay
            yield role
            return
        pause = self.chunk_delay + (self.delay_after_first if sent == 1 else 0.0)
        if pause > 0:
            yield pause

    def _error_event(self, head: bytes, rid: bytes, error: dict[str, Any]) -> bytes:
        if self.stream_error_style == "x_groq":
            return b"".join(
                (head, b'],"x_groq":{"id":"', rid, b'","error":', _enc(error), b"}}\n\n")
            )
        data = b"data: " + _enc({"error": error}) + b"\n\n"
        return b"event: error\n" + data if self.stream_error_style == "event" else data

    def _finish_events(
        self,
        head: bytes,
        delta: bytes,
        rid: bytes,
        prompt: int,
        completion: int,
        n_reasoning: int,
        tools: list[tuple[str, str, str]],
    ) -> bytes:
        fin = delta + b'{},"logprobs":null,"finish_reason":' + _enc(self._finish(tools)) + b"}]"
        u = _enc(usage(prompt, completion, n_reasoning))
        xid = b',"x_groq":{"id":"' + rid
        style = self.usage_style
        if style == "usage":
            out = fin + xid + b'"},"usage":' + u + b"}\n\n"
        elif style == "both":
            out = fin + xid + b'","usage":' + u + b'},"usage":' + u + b"}\n\n"
        elif style == "trailing":
            out = fin + xid + b'"}}\n\n' + head + b'],"usage":' + u + b"}\n\n"
        elif style == "x_groq_and_trailing":  # stream_options.include_usage
            out = fin + xid + b'","usage":' + u + b"}}\n\n" + head + b'],"usage":' + u + b"}\n\n"
        else:
            out = fin + xid + b'","usage":' + u + b"}}\n\n"
        return out + _DONE


class ResponsesScript(ChatScript, frozen=True):
    """A :class:`ChatScript` with Responses API extras (chat requests are answered as usual).

    Args:
        status: ``"completed"``, ``"incomplete"`` (``incomplete_details.reason`` is
            ``incomplete_reason``) or ``"failed"`` (``response.error`` is ``failure``).
        extra_events: events (dicts with a ``type``) sent after ``response.in_progress``, for
            example of a type the client does not know.
        done_marker: end the stream with ``data: [DONE]``.
    """

    status: Literal["completed", "incomplete", "failed"] = "completed"
    incomplete_reason: str = "max_output_tokens"
    failure: dict[str, Any] | None = None
    extra_events: list[dict[str, Any]] | None = None
    done_marker: bool = False
