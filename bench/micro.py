"""Micro benchmarks (pyperf) of groq_anyio's hot paths, next to the SDKs' equivalent operations.

    python bench/micro.py [--fast] [-o results.json] [--sse-events N] [--only SUBSTRING,...]

Benchmark names are ``<operation>/<implementation>``; every operation has ``groq_anyio`` and,
where meaningful, ``groq-sdk`` / ``openai-sdk`` / ``floor`` rows to divide by:

- ``encode-small``, ``encode-chat20-tools``: build the request, validate it and encode it to JSON
  bytes (groq_anyio: ``ChatCompletionRequest`` + ``validate_chat_request`` + ``encode_json``;
  groq SDK: ``maybe_transform`` into ``CompletionCreateParams`` + ``openapi_dumps``, what
  ``create()`` does).
- ``decode-completion``: JSON bytes to a ``ChatCompletion`` (SDK: ``json.loads`` +
  ``construct_type``, its non-strict response path).
- ``decode-chunk``: JSON bytes to a ``ChatCompletionChunk`` (SDKs: ``json.loads`` +
  ``construct_type``, what their ``AsyncStream`` does per event; floor: a 3-field Struct).
- ``decode-accumulate``: per chunk of a 1,000-chunk stream, decode + ``ChatCompletionAccumulator``
  add, and the final ``result()``.
- ``sse-net``, ``sse-1byte``: scan a 10,000-event stream (``--sse-events``) fed in 16 KiB pieces
  and in 1-byte pieces (groq_anyio ``SSEScanner``; the SDKs' ``SSEDecoder.iter_bytes``; the floor
  scanner of ``_floor.py``). Reported per event. The SDKs' 1-byte runs use a 2,000-event stream
  (``--sdk-1byte-events``; their decoders are linear, and at 10,000 events one run takes ~7 s).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import msgspec
import pyperf

NET_PIECE = 16 * 1024
ID = "chatcmpl-5b7f0c1e-2d43-4b7a-9a1f-3c9d2e8f6a10"
MODEL = "llama-3.3-70b-versatile"


# -- inputs ------------------------------------------------------------------------------------


def small_body() -> dict[str, Any]:
    return {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "You are a terse assistant."},
            {"role": "user", "content": "Say hello to the benchmark."},
        ],
        "temperature": 0.2,
    }


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": f"Look up the {name.split('_')[1]} for a place and a date.",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {"type": "string", "description": "City and country"},
                    "date": {"type": "string", "format": "date"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "days": {"type": "integer", "minimum": 1, "maximum": 14},
                },
                "required": ["location"],
            },
        },
    }
    for name in ("get_weather", "get_forecast", "get_timezone")
]


def chat20_body() -> dict[str, Any]:
    """A 20-turn conversation with tool calls and tool results, plus three tools."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a helpful travel assistant. Be concise."}
    ]
    for turn in range(20):
        messages.append(
            {"role": "user", "content": f"Turn {turn}: what about the weather in city {turn}?"}
        )
        if turn % 4 == 1:
            call_id = f"call_{turn:04d}abcdef"
            messages.append(
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {
                                "name": "get_weather",
                                "arguments": json.dumps({"location": f"City {turn}, FR"}),
                            },
                        }
                    ],
                }
            )
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": call_id,
                    "content": json.dumps({"temperature": 21 + turn, "sky": "clear"}),
                }
            )
        messages.append(
            {
                "role": "assistant",
                "content": f"In city {turn} it is mild and sunny today; take a light jacket.",
            }
        )
    messages.append({"role": "user", "content": "And tomorrow?"})
    return {
        "model": MODEL,
        "messages": messages,
        "tools": TOOLS,
        "tool_choice": "auto",
        "temperature": 0.2,
        "max_completion_tokens": 512,
    }


_HEAD = (
    b'{"id":"' + ID.encode() + b'","object":"chat.completion.chunk","created":1735000000,'
    b'"model":"' + MODEL.encode() + b'","system_fingerprint":"fp_c5bd0c6d7b","choices":['
)


def content_chunk(i: int) -> bytes:
    return (
        _HEAD
        + b'{"index":0,"delta":{"content":"tok%d "},"logprobs":null,"finish_reason":null}]}' % i
    )


def stream_events(n: int) -> list[bytes]:
    """The ``data:`` payloads of an ``n``-content-chunk stream in Groq's format (no [DONE])."""
    role = (
        _HEAD + b'{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,'
        b'"finish_reason":null}],"x_groq":{"id":"req_01jbench"}}'
    )
    finish = (
        _HEAD + b'{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],'
        b'"x_groq":{"id":"req_01jbench","usage":{"queue_time":0.02,"prompt_tokens":24,'
        b'"prompt_time":0.001,"completion_tokens":%d,"completion_time":0.4,"total_tokens":%d,'
        b'"total_time":0.401}}}' % (n, n + 24)
    )
    return [role, *(content_chunk(i) for i in range(n)), finish]


def sse_stream(n: int) -> bytes:
    return b"".join(b"data: " + e + b"\n\n" for e in stream_events(n)) + b"data: [DONE]\n\n"


COMPLETION = json.dumps(
    {
        "id": ID,
        "object": "chat.completion",
        "created": 1735000000,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello from the local Groq server! " * 4,
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "queue_time": 0.018,
            "prompt_tokens": 24,
            "prompt_time": 0.0012,
            "completion_tokens": 28,
            "completion_time": 0.05,
            "total_tokens": 52,
            "total_time": 0.0512,
        },
        "usage_breakdown": None,
        "system_fingerprint": "fp_c5bd0c6d7b",
        "x_groq": {"id": "req_01jbench"},
        "service_tier": "on_demand",
    },
    separators=(",", ":"),
).encode()


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


# -- implementations ---------------------------------------------------------------------------


def ours_encoder(body: dict[str, Any]) -> Callable[[], bytes]:
    from groq_anyio._validation import validate_chat_request
    from groq_anyio.resources._common import encode_json
    from groq_anyio.types.chat import ChatCompletionRequest

    def run() -> bytes:
        request = ChatCompletionRequest(**body)
        validate_chat_request(request)
        return encode_json(request, None)

    return run


def groq_sdk_encoder(body: dict[str, Any]) -> Callable[[], bytes]:
    from groq._types import omit
    from groq._utils import maybe_transform
    from groq._utils._json import openapi_dumps
    from groq.types.chat import completion_create_params

    keys = completion_create_params.CompletionCreateParams.__annotations__
    full = {k: body.get(k, omit) for k in keys}
    params = completion_create_params.CompletionCreateParams

    def run() -> bytes:
        return openapi_dumps(maybe_transform(dict(full), params))

    return run


def sdk_decoder(sdk: str, kind: str) -> Callable[[bytes], Any]:
    if sdk == "groq-sdk":
        from groq._models import construct_type
        from groq.types.chat import ChatCompletion, ChatCompletionChunk
    else:
        from openai._models import construct_type  # type: ignore[no-redef]
        from openai.types.chat import (  # type: ignore[assignment]
            ChatCompletion,
            ChatCompletionChunk,
        )
    cls = ChatCompletion if kind == "completion" else ChatCompletionChunk
    loads = json.loads

    def decode(data: bytes) -> Any:
        return construct_type(type_=cls, value=loads(data))

    return decode


def ours_sse(chunks: list[bytes]) -> Callable[[], int]:
    from groq_anyio._sse import SSEScanner

    def run() -> int:
        scanner = SSEScanner()
        n = 0
        for c in chunks:
            n += len(scanner.feed(c))
        scanner.close()
        return n

    return run


def ours_sse_runs(chunks: list[bytes]) -> Callable[[], int]:
    """What a chat stream does with each read: the run fast path, else the event scanner."""
    from groq_anyio._sse import SSEScanner

    def run() -> int:
        scanner = SSEScanner()
        n = 0
        for c in chunks:
            found = scanner.feed_json_run(c)
            n += len(scanner.feed_views(c)) if found is None else found[1]
        scanner.close()
        return n

    return run


def floor_sse(chunks: list[bytes]) -> Callable[[], int]:
    """The floor's scanner (``_floor.FloorStream.__anext__``) without the awaits."""

    def run() -> int:
        n = 0
        buf, pos = b"", 0
        for part in chunks:
            buf, pos = (buf[pos:] + part if pos < len(buf) else part), 0
            while True:
                end = buf.find(b"\n\n", pos)
                if end < 0:
                    break
                start, pos = pos, end + 2
                if buf.startswith(b"data: ", start):
                    memoryview(buf)[start + 6 : end]
                    n += 1
        return n

    return run


def sdk_sse(sdk: str, chunks: list[bytes]) -> Callable[[], int]:
    if sdk == "groq-sdk":
        from groq._streaming import SSEDecoder
    else:
        from openai._streaming import SSEDecoder  # type: ignore[assignment]

    def run() -> int:
        n = 0
        for _ in SSEDecoder().iter_bytes(iter(chunks)):
            n += 1
        return n

    return run


def ours_accumulate(events: list[bytes]) -> Callable[[], Any]:
    from groq_anyio._accumulate import ChatCompletionAccumulator
    from groq_anyio.types.chat import ChatCompletionChunk

    decode = msgspec.json.Decoder(ChatCompletionChunk).decode

    def run() -> Any:
        acc = ChatCompletionAccumulator()
        for e in events:
            acc.add(decode(e))
        return acc.result()

    return run


# -- registry ----------------------------------------------------------------------------------

Factory = Callable[[], Callable[[], Any]]


def timed(factory: Factory) -> Callable[[int], float]:
    """A pyperf time function; the inputs are built on first use, outside the timed region
    (a pyperf worker runs one benchmark, so it builds only that benchmark's inputs)."""
    cache: list[Callable[[], Any]] = []

    def run(loops: int) -> float:
        if not cache:
            cache.append(factory())
        fn = cache[0]
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        return time.perf_counter() - t0

    return run


@functools.cache
def sse_pieces(events: int, size: int) -> list[bytes]:
    return pieces(sse_stream(events), size)


def benchmarks(sse_events: int, sdk_1byte_events: int) -> Iterator[tuple[str, Factory, int]]:
    """(name, factory of the timed callable, inner loops) for every benchmark."""

    def decoder(kind: str) -> Callable[[bytes], Any]:
        from groq_anyio.types.chat import ChatCompletion, ChatCompletionChunk

        return msgspec.json.Decoder(
            ChatCompletion if kind == "completion" else ChatCompletionChunk
        ).decode

    def bind(decode_factory: Callable[[], Callable[[bytes], Any]], data: bytes) -> Factory:
        def make() -> Callable[[], Any]:
            decode = decode_factory()
            return lambda: decode(data)

        return make

    for op, body in (("encode-small", small_body()), ("encode-chat20-tools", chat20_body())):
        yield f"{op}/groq_anyio", functools.partial(ours_encoder, body), 1
        yield f"{op}/groq-sdk", functools.partial(groq_sdk_encoder, body), 1

    yield "decode-completion/groq_anyio", bind(lambda: decoder("completion"), COMPLETION), 1
    for sdk in ("groq-sdk", "openai-sdk"):
        make = functools.partial(sdk_decoder, sdk, "completion")
        yield f"decode-completion/{sdk}", bind(make, COMPLETION), 1

    chunk = content_chunk(7)
    yield "decode-chunk/groq_anyio", bind(lambda: decoder("chunk"), chunk), 1
    yield "decode-chunk/floor", bind(floor_chunk_decoder, chunk), 1
    for sdk in ("groq-sdk", "openai-sdk"):
        make = functools.partial(sdk_decoder, sdk, "chunk")
        yield f"decode-chunk/{sdk}", bind(make, chunk), 1

    yield "decode-accumulate/groq_anyio", lambda: ours_accumulate(stream_events(1000)), 1002

    for op, size in (("sse-net", NET_PIECE), ("sse-1byte", 1)):
        n = sse_events
        yield f"{op}/groq_anyio", functools.partial(ours_sse_bench, n, size), n + 3
        yield f"{op}/groq_anyio-runs", functools.partial(ours_sse_runs_bench, n, size), n + 3
        yield f"{op}/floor", functools.partial(floor_sse_bench, n, size), n + 3
        if size == 1:
            n = min(n, sdk_1byte_events)  # linear decoders, reported per event
        for sdk in ("groq-sdk", "openai-sdk"):
            yield f"{op}/{sdk}", functools.partial(sdk_sse_bench, sdk, n, size), n + 3


def ours_sse_bench(events: int, size: int) -> Callable[[], int]:
    return ours_sse(sse_pieces(events, size))


def ours_sse_runs_bench(events: int, size: int) -> Callable[[], int]:
    return ours_sse_runs(sse_pieces(events, size))


def floor_sse_bench(events: int, size: int) -> Callable[[], int]:
    return floor_sse(sse_pieces(events, size))


def sdk_sse_bench(sdk: str, events: int, size: int) -> Callable[[], int]:
    return sdk_sse(sdk, sse_pieces(events, size))


def floor_chunk_decoder() -> Callable[[bytes], Any]:
    from _floor import _decode_chunk

    return _decode_chunk


def check(sse_events: int) -> None:
    """Every implementation gives the same answer as groq_anyio (run before timing)."""
    data = pieces(sse_stream(50), 7)
    counts = {
        "ours": ours_sse(data)(),
        "floor": floor_sse(data)(),
        "groq": sdk_sse("groq-sdk", data)(),
        "openai": sdk_sse("openai-sdk", data)(),
    }
    if len(set(counts.values())) != 1:
        raise SystemExit(f"SSE implementations disagree: {counts}")
    small = json.loads(ours_encoder(small_body())())
    theirs = json.loads(groq_sdk_encoder(small_body())())
    if small != theirs:
        raise SystemExit(f"encoders disagree: {small} != {theirs}")


def main(argv: Iterable[str] | None = None) -> None:
    def add_cmdline_args(cmd: list[str], args: Any) -> None:
        cmd.extend(("--sse-events", str(args.sse_events)))
        cmd.extend(("--sdk-1byte-events", str(args.sdk_1byte_events)))
        if args.only:
            cmd.extend(("--only", args.only))

    runner = pyperf.Runner(processes=6, values=3, warmups=1, add_cmdline_args=add_cmdline_args)
    runner.metadata["description"] = "groq_anyio micro benchmarks"
    runner.argparser.add_argument("--sse-events", type=int, default=10_000)
    runner.argparser.add_argument(
        "--sdk-1byte-events",
        type=int,
        default=2_000,
        help="events of the SDKs' 1-byte SSE runs (slow; their decoders are linear)",
    )
    runner.argparser.add_argument("--only", default="", help="comma-separated name substrings")
    args = runner.parse_args(list(argv) if argv is not None else None)
    if not args.worker:
        from _common import die_with_parent

        die_with_parent()
        check(args.sse_events)
    only = [s for s in args.only.split(",") if s]
    for name, fn, inner in benchmarks(args.sse_events, args.sdk_1byte_events):
        if only and not any(s in name for s in only):
            continue
        runner.bench_time_func(name, timed(fn), inner_loops=inner)


if __name__ == "__main__":
    main()
