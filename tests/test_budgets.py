"""Budgets of Python function calls per plain request and per streamed chunk.

Deterministic: nothing here reads a clock. What is counted, and why it is fair:

* ``sys.setprofile`` ``"call"`` events: every Python function entered, plus every resumption of a
  suspended coroutine or generator frame (CPython reports a resumed frame as a call, so a deep
  ``await`` chain that suspends often costs what it really costs). ``"c_call"`` events are not
  counted: C functions (msgspec decoding, ``bytes.find``, socket syscalls) are the floor's too.
* While the client's task is the running task (``asyncio.current_task()`` /
  ``trio.lowlevel.current_task()``), and, on asyncio, in event-loop callbacks that run the
  client's own code (the network backend's ``asyncio.Protocol`` callbacks, where received bytes
  go through the HTTP/1.1 parser: client work done outside any task). The event loop's own work
  between tasks (asyncio's selector, trio's scheduler) and the local server, which runs in other
  tasks of the same loop, are left out: they differ between backends and are not the client's
  doing. The frames of the measuring loop itself are left out too.
* Plain requests: steady state (the connection is already pooled), the median of 31 requests
  measured one by one, so the one request that happens to open or reap something does not count.
* Streamed chunks: every chunk is its own HTTP/1.1 chunk or HTTP/2 DATA frame (as a server that
  flushes each event sends it), and the server writes them in rounds: a round goes out only once
  the client has handed the previous one to its caller and is waiting, so it arrives whole, in
  one network read. ``per_read=10`` is the budgeted case (several events per read, as a fast
  stream delivers them); ``per_read=1`` (every chunk a read of its own, a slowly paced stream)
  is dominated by the event loop's wait for the socket (anyio + asyncio/trio: about 60 calls
  per read) and is held to its own bound so that it cannot regress unnoticed. Per chunk =
  (calls for a 400-chunk stream - calls for a 20-chunk stream) / 380, which removes the request
  and the end of the stream. The measuring loop is paused while the client waits for a round.
* HTTP/2: the h2 library (h2, hyperframe, hpack) spends about 49 calls parsing each DATA frame
  and updating flow control, whoever uses it (bare httpcore pays the same), so the per-chunk
  budget applies to the calls outside it; the total is bounded too.

For comparison, a bare client (``httpcore.AsyncHTTPConnection`` with httpcore's own network
backend and locks, msgspec, a ten-line event scanner) measured in this harness: 824 / 765 calls
per plain request over HTTP/1.1 (asyncio / trio), 1,680 / 1,552 over HTTP/2; per chunk at 10
per read 46 / 44 (HTTP/1.1) and 119 / 106 (HTTP/2); at 1 per read 158 / 138 and 301 / 254.

Both backends, HTTP/1.1 and HTTP/2 (h2c with prior knowledge). Run this file with ``-s`` to see
the counts.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

import anyio
import msgspec
import pytest

from groq_anyio import AsyncGroq
from groq_anyio.testing import Exchange, GroqTestServer, Reply

pytestmark = pytest.mark.anyio

#: per plain request: HTTP/1.1 (issue 9's target), HTTP/2 (h2 and httpcore's connection)
CALLS_PER_REQUEST = {False: 300, True: 1100}
#: per chunk at 10 chunks per read, outside the h2 library (HTTP/1.1: issue 9's target)
CALLS_PER_CHUNK = {False: 10, True: 30}
#: HTTP/2, everything included (h2's own DATA-frame handling is about 49 of them)
CALLS_PER_CHUNK_H2_TOTAL = 80
#: one chunk per network read: the event loop's wait for the socket is most of it
CALLS_PER_CHUNK_ONE_PER_READ = {False: 100, True: 180}
#: where the h2 library's own calls come from (counted apart for the HTTP/2 chunk budget)
H2_LIBRARY = ("/h2/", "/hyperframe/", "/hpack/")

MODEL = "llama-3.3-70b-versatile"
MESSAGES = [{"role": "user", "content": "Hello"}]


class _Gate:
    """Hand-off between the server task and the client: chunks written, chunks consumed."""

    def __init__(self) -> None:
        self.written = 0
        self.consumed = 0


def _chunk(i: int) -> bytes:
    doc = {
        "id": "chatcmpl-budget",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": MODEL,
        "system_fingerprint": "fp_3f39ce7e29",
        "choices": [
            {"index": 0, "delta": {"content": f"tok{i} "}, "logprobs": None, "finish_reason": None}
        ],
    }
    return b"data: " + msgspec.json.encode(doc) + b"\n\n"


_FINISH = (
    b'data: {"id":"chatcmpl-budget","object":"chat.completion.chunk","created":1700000000,'
    b'"model":"' + MODEL.encode() + b'","choices":[{"index":0,"delta":{},"logprobs":null,'
    b'"finish_reason":"stop"}],"x_groq":{"id":"req_budget","usage":{"prompt_tokens":5,'
    b'"completion_tokens":3,"total_tokens":8}}}\n\ndata: [DONE]\n\n'
)


class RoundStream(Reply, frozen=True):
    """A stream sent in rounds of ``per_read`` chunks, each chunk its own HTTP/1.1 chunk or
    HTTP/2 DATA frame. A round is written only once the client has consumed the previous one
    and is waiting, so it arrives whole, in one network read."""

    chunks: int
    per_read: int
    gate: Any

    async def respond(self, exchange: Exchange) -> None:
        await exchange.start(200, [(b"content-type", b"text/event-stream")], None)
        gate = self.gate
        for i in range(self.chunks):
            await exchange.write(_chunk(i))
            if (i + 1) % self.per_read == 0 or i + 1 == self.chunks:
                gate.written = i + 1
                while gate.consumed < i + 1:
                    await anyio.sleep(0)
        await exchange.write(_FINISH, end=True)
        gate.written = self.chunks + 2  # the finish chunk, then the end of the stream


_CLIENT_CODE: dict[CodeType, bool] = {}


def _client_code(code: CodeType) -> bool:
    """Code of the client's network path (run from asyncio's callbacks, outside any task)."""
    known = _CLIENT_CODE.get(code)
    if known is None:
        known = _CLIENT_CODE[code] = "/groq_anyio/_transport/" in code.co_filename
    return known


def _task_getter(backend: str) -> Callable[[], object]:
    if backend == "trio":
        import trio

        def current() -> object:
            try:
                return trio.lowlevel.current_task()
            except RuntimeError:
                return None

        return current
    import asyncio

    return asyncio.current_task


class CallCounter:
    """Counts Python calls made in one task, leaving out the harness: the frames already on the
    stack when counting starts (pytest's and anyio's runners) and the given code objects."""

    def __init__(self, backend: str, harness: tuple[CodeType, ...]) -> None:
        self._current = _task_getter(backend)
        self._excluded: set[CodeType] = set(harness)
        self._task: object = None
        self._h2_code: dict[CodeType, bool] = {}
        self.calls = 0
        #: of which in the h2 library (h2, hyperframe, hpack)
        self.h2_calls = 0

    def _profile(self, frame: FrameType, event: str, arg: object) -> None:
        if event != "call" or frame.f_code in self._excluded:
            return
        current = self._current()
        if current is self._task or (current is None and _client_code(frame.f_code)):
            self.calls += 1
            code = frame.f_code
            in_h2 = self._h2_code.get(code)
            if in_h2 is None:
                in_h2 = self._h2_code[code] = any(p in code.co_filename for p in H2_LIBRARY)
            if in_h2:
                self.h2_calls += 1

    def pause(self) -> None:
        sys.setprofile(None)

    def resume(self) -> None:
        sys.setprofile(self._profile)

    def __enter__(self) -> CallCounter:
        self._task = self._current()
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            self._excluded.add(frame.f_code)
            frame = frame.f_back
        self.calls = self.h2_calls = 0
        self.resume()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.pause()


def _client(server: GroqTestServer, http2: bool) -> AsyncGroq:
    return AsyncGroq(
        api_key="gsk_budget",
        base_url=server.base_url,
        max_retries=0,
        http1=not http2,
        http2=http2,
        # the default network path, whatever GROQ_ANYIO_* the suite runs under
        http1_parser="httptools",
        network_backend="auto",
    )


async def _calls_per_request(backend: str, http2: bool) -> float:
    async with GroqTestServer() as server, _client(server, http2) as client:
        create = client.chat.completions.create

        async def one() -> None:
            await create(model=MODEL, messages=MESSAGES)

        for _ in range(5):  # connect, warm every cache
            await one()
        counts = []
        for _ in range(31):
            with CallCounter(backend, (one.__code__,)) as counter:
                await one()
            counts.append(counter.calls)
        assert client.pool_stats().connections == 1
        assert server.http_versions == {"HTTP/2" if http2 else "HTTP/1.1": 36}
        return statistics.median(counts)


async def _calls_for_stream(
    server: GroqTestServer, client: AsyncGroq, backend: str, chunks: int, per_read: int
) -> tuple[int, int, int]:
    gate = _Gate()
    server.push(RoundStream(chunks=chunks, per_read=per_read, gate=gate))
    counter = CallCounter(backend, ())

    async def run() -> int:
        received = 0
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        async with stream:
            while True:
                if gate.written <= received:
                    counter.pause()  # the client is idle, waiting for the next round
                    while gate.written <= received:
                        await anyio.sleep(0)
                    counter.resume()
                try:
                    await stream.__anext__()
                except StopAsyncIteration:
                    break
                received += 1
                gate.consumed = received
        return received

    counter._excluded.add(run.__code__)
    with counter:
        received = await run()
    return counter.calls, counter.h2_calls, received


async def _calls_per_chunk(backend: str, http2: bool, per_read: int) -> tuple[float, float]:
    """(calls per chunk, of which in the h2 library)"""
    async with GroqTestServer() as server, _client(server, http2) as client:
        await _calls_for_stream(server, client, backend, 20, per_read)  # connect, warm up
        long_calls, long_h2, long_n = await _calls_for_stream(
            server, client, backend, 400, per_read
        )
        short_calls, short_h2, short_n = await _calls_for_stream(
            server, client, backend, 20, per_read
        )
        assert (long_n, short_n) == (401, 21)  # content chunks + the finish chunk
        assert client.pool_stats().connections == 1
        n = long_n - short_n
        return (long_calls - short_calls) / n, (long_h2 - short_h2) / n


def _backend_name(anyio_backend: Any) -> str:
    return anyio_backend[0] if isinstance(anyio_backend, tuple) else str(anyio_backend)


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "http2"])
async def test_calls_per_plain_request(anyio_backend: Any, http2: bool) -> None:
    calls = await _calls_per_request(_backend_name(anyio_backend), http2)
    print(f"\ncalls per plain request ({_backend_name(anyio_backend)}, http2={http2}): {calls}")
    assert calls <= CALLS_PER_REQUEST[http2]


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "http2"])
async def test_calls_per_streamed_chunk(anyio_backend: Any, http2: bool) -> None:
    backend = _backend_name(anyio_backend)
    calls, h2_calls = await _calls_per_chunk(backend, http2, per_read=10)
    print(
        f"\ncalls per streamed chunk ({backend}, http2={http2}, 10 per read): {calls:.1f}"
        f" ({h2_calls:.1f} in the h2 library)"
    )
    assert calls - h2_calls <= CALLS_PER_CHUNK[http2]
    assert calls <= (CALLS_PER_CHUNK_H2_TOTAL if http2 else CALLS_PER_CHUNK[http2])


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "http2"])
async def test_calls_per_chunk_one_chunk_per_read(anyio_backend: Any, http2: bool) -> None:
    backend = _backend_name(anyio_backend)
    calls, h2_calls = await _calls_per_chunk(backend, http2, per_read=1)
    print(
        f"\ncalls per streamed chunk ({backend}, http2={http2}, 1 per read): {calls:.1f}"
        f" ({h2_calls:.1f} in the h2 library)"
    )
    assert calls <= CALLS_PER_CHUNK_ONE_PER_READ[http2]
