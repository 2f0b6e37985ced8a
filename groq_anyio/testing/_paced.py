"""``PacedChat``: a Groq-like paced model for benchmarks, with a record of what it really sent.

A streamed answer starts ``ttft`` seconds after the request arrived (the role chunk and the
first token go out together, as Groq sends them), then one token every ``1 / tokens_per_second``
seconds, each gap optionally jittered. The number of tokens is the request's
``max_completion_tokens`` (or ``max_tokens``), else ``output_tokens``. Due times are measured
from the first token, so a long stream does not drift; a token that is late (the server's own
event loop was busy) goes out as soon as it can and the next one is still due on schedule.

With a :class:`SendLog`, the server records, for every streamed request, the
``time.perf_counter_ns()`` at which the request arrived and at which each token's bytes were
handed to the socket (taken just before the write: on some runtimes the reader runs before the
writer resumes, so a stamp after the write could come later than the client's arrival stamp).
``perf_counter_ns`` is the system-wide monotonic clock on Linux and macOS, so a client in
another process on the same host can compare its own arrival stamps with these.
``GET /openai/v1/_paced/sends`` returns the log as JSON (``{request_id: {"received": ns, "sends":
[ns, ...]}}``); ``DELETE`` clears it.

Everything else (non-streamed completions, models, unknown routes) is answered by a
:class:`~groq_anyio.testing.ChatScript` with the same pace.
"""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

import anyio
import msgspec

from .._decode_errors import DECODE_ERRORS
from ._exchange import Exchange, Reply
from ._groq import CHAT_PATH, SYSTEM_FINGERPRINT, groq_headers, prompt_tokens
from ._scenarios import ChatScript

__all__ = ["LOG_PATH", "PacedChat", "SendLog"]

LOG_PATH = "/openai/v1/_paced/sends"
_enc = msgspec.json.encode
_decode = msgspec.json.Decoder()
_TAIL = b',"logprobs":null,"finish_reason":null}]}\n\n'
_WORDS = ("lorem ", "ipsum ", "dolor ", "sit ", "amet ", "consectetur ", "adipiscing ", "elit ")


class SendLog:
    """Server-side stamps of paced streams: arrival of each request and send time of each token.

    Attributes:
        streams: ``request_id -> (received_ns, [send_ns of token 0, token 1, ...])``.
    """

    def __init__(self) -> None:
        self.streams: dict[str, tuple[int, list[int]]] = {}

    def open(self, request_id: str, received: int) -> list[int]:
        """Start the log of one stream; returns the list its token send times go to."""
        sends: list[int] = []
        self.streams[request_id] = (received, sends)
        return sends

    def to_json(self) -> bytes:
        """The log as JSON: ``{request_id: {"received": ns, "sends": [ns, ...]}}``."""
        return _enc({k: {"received": r, "sends": s} for k, (r, s) in self.streams.items()})

    def clear(self) -> None:
        """Forget every stream logged so far."""
        self.streams.clear()


class PacedChat(Reply, frozen=True):
    """A chat model with Groq-like pacing (see the module docstring).

    Args:
        ttft: seconds from the request's arrival to the first token.
        tokens_per_second: the decode rate (one token per chunk).
        jitter: standard deviation (seconds) of a normal noise added to every gap after the
            first token (a gap never goes below zero).
        output_tokens: tokens to send when the request sets no ``max_completion_tokens``.
        seed: seed of the jitter (None: a fresh one per server).
        log: where to record the send times (None: nothing is recorded).
    """

    ttft: float = 0.04
    tokens_per_second: float = 250.0
    jitter: float = 0.0
    output_tokens: int = 64
    seed: int | None = None
    log: Any = None

    async def respond(self, exchange: Exchange) -> None:
        received = time.perf_counter_ns()
        req = exchange.request
        route = req.route
        if route == LOG_PATH:
            log = self.log if isinstance(self.log, SendLog) else SendLog()
            if req.method == "DELETE":
                log.clear()
            body = log.to_json()
            await exchange.respond(200, [(b"content-type", b"application/json")], body)
            return
        body_doc: Any = None
        if route == CHAT_PATH and req.method == "POST":
            try:
                body_doc = _decode.decode(req.body)
            except DECODE_ERRORS:
                body_doc = None
        if not (
            isinstance(body_doc, dict)
            and body_doc.get("stream") is True
            and isinstance(body_doc.get("messages"), list)
            and isinstance(body_doc.get("model"), str)
        ):
            n = self._count(body_doc if isinstance(body_doc, dict) else {})
            script = ChatScript(
                chunks=n,
                first_chunk_delay=self.ttft,
                chunk_delay=1.0 / self.tokens_per_second if self.tokens_per_second > 0 else 0.0,
            )
            await script.respond(exchange)
            return
        await self._stream(exchange, body_doc, received)

    def _count(self, body: dict[str, Any]) -> int:
        for key in ("max_completion_tokens", "max_tokens"):
            value = body.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
        return max(1, self.output_tokens)

    async def _stream(self, exchange: Exchange, body: dict[str, Any], received: int) -> None:
        n = self._count(body)
        prompt = prompt_tokens(body)
        rid = exchange.request_id.encode()
        head = b"".join(
            (
                b'data: {"id":"chatcmpl-',
                str(uuid.uuid4()).encode(),
                b'","object":"chat.completion.chunk","created":',
                b"%d" % int(time.time()),
                b',"model":',
                _enc(body["model"]),
                b',"system_fingerprint":"',
                SYSTEM_FINGERPRINT.encode(),
                b'","choices":[{"index":0,"delta":',
            )
        )
        role = head + b'{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]'
        role += b',"x_groq":{"id":"' + rid + b'"}}\n\n'
        log = self.log if isinstance(self.log, SendLog) else None
        sends = log.open(exchange.request_id, received) if log is not None else None
        rng = random.Random(self.seed)
        gap = 1.0 / self.tokens_per_second if self.tokens_per_second > 0 else 0.0
        headers = groq_headers(exchange, b"text/event-stream", prompt + n)
        start = anyio.current_time()
        await exchange.start(200, headers, None)
        await exchange.sleep_until(start + self.ttft)
        due = anyio.current_time()
        first_sent = time.perf_counter_ns()
        for i in range(n):
            piece = head + b'{"content":' + _enc(_WORDS[i % len(_WORDS)]) + b"}" + _TAIL
            if i == 0:
                piece = role + piece
            else:
                pause = gap + (rng.gauss(0.0, self.jitter) if self.jitter > 0 else 0.0)
                due += max(0.0, pause)
                await exchange.sleep_until(due)
            last = i == n - 1
            if last:
                elapsed = (time.perf_counter_ns() - first_sent) / 1e9
                piece += self._finish(head, rid, prompt, n, received, first_sent, elapsed)
            if sends is not None:
                sends.append(time.perf_counter_ns())
            await exchange.write(piece, end=last)

    def _finish(
        self,
        head: bytes,
        rid: bytes,
        prompt: int,
        completion: int,
        received: int,
        first_sent: int,
        elapsed: float,
    ) -> bytes:
        prompt_time = round((first_sent - received) / 1e9, 9)
        completion_time = round(elapsed, 9)
        usage = {
            "queue_time": 0.0,
            "prompt_tokens": prompt,
            "prompt_time": prompt_time,
            "completion_tokens": completion,
            "completion_time": completion_time,
            "total_tokens": prompt + completion,
            "total_time": round(prompt_time + completion_time, 9),
        }
        fin = head + b'{},"logprobs":null,"finish_reason":"stop"}]'
        return (
            fin
            + b',"x_groq":{"id":"'
            + rid
            + b'","usage":'
            + _enc(usage)
            + b"}}\n\n"
            + (b"data: [DONE]\n\n")
        )
