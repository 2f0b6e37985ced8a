"""ChatCompletionAccumulator: streamed chunks fold back into the non-streamed ChatCompletion."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

import groq_anyio.types as t
from groq_anyio._accumulate import ChatCompletionAccumulator

from ._traffic import recordings

decode_chunk = msgspec.json.Decoder(t.ChatCompletionChunk).decode


def _streams() -> list[Any]:
    out = []
    for rec in recordings():
        data = rec.load()
        response = data["response"]
        if (
            data["request"].get("path", "").endswith("/chat/completions")
            and response["status"] == 200
            and "text/event-stream" in response.get("headers", {}).get("content-type", "")
        ):
            lines = [
                line[5:].strip()
                for line in response["body_text"].splitlines()
                if line.startswith("data:") and line[5:].strip() != "[DONE]"
            ]
            out.append(pytest.param(lines, id=rec.id))
    return out


STREAMS = _streams()


def test_the_recorded_streams_are_there() -> None:
    assert len(STREAMS) >= 3
    assert any("tools_stream" in str(p.id) for p in STREAMS)


@pytest.mark.parametrize("lines", STREAMS)
def test_recorded_stream_rebuilds_the_completion(lines: list[str]) -> None:
    raw = [json.loads(line) for line in lines]
    acc = ChatCompletionAccumulator()
    for line in lines:
        acc.add(decode_chunk(line))
    result = acc.result()

    deltas = [c["delta"] for r in raw for c in r["choices"]]
    content = "".join(d["content"] for d in deltas if d.get("content") is not None)
    reasoning = [d["reasoning"] for d in deltas if d.get("reasoning") is not None]
    finish = [c["finish_reason"] for r in raw for c in r["choices"] if c["finish_reason"]]
    raw_calls = [tc for d in deltas for tc in d.get("tool_calls") or ()]

    assert result.object == "chat.completion"
    assert result.id == raw[0]["id"]
    assert result.model == raw[0]["model"]
    assert result.created == raw[0]["created"]
    assert result.system_fingerprint == next(
        r["system_fingerprint"] for r in reversed(raw) if r.get("system_fingerprint")
    )
    assert result.x_groq is not None
    assert result.x_groq.id == raw[0]["x_groq"]["id"]
    assert len(result.choices) == 1
    choice = result.choices[0]
    assert choice.index == 0
    assert choice.message.role == "assistant"
    assert choice.message.content == content
    assert acc.content_text() == content
    assert choice.message.reasoning == ("".join(reasoning) if reasoning else None)
    assert choice.finish_reason == finish[-1]
    assert result.usage is not None
    assert acc.usage is result.usage
    assert result.usage.total_tokens == raw[-1]["x_groq"]["usage"]["total_tokens"]
    if raw_calls:
        calls = choice.message.tool_calls
        assert calls is not None
        assert len(calls) == len({tc["index"] for tc in raw_calls})
        assert calls[0].id == raw_calls[0]["id"]
        assert calls[0].type == "function"
        assert calls[0].function.name == raw_calls[0]["function"]["name"]
        args = "".join(tc["function"].get("arguments") or "" for tc in raw_calls)
        assert calls[0].function.arguments == args
        assert choice.finish_reason == "tool_calls"
    else:
        assert choice.message.tool_calls is None
    # the rebuilt completion is a valid ChatCompletion on the wire too
    encoded = msgspec.json.encode(result)
    assert msgspec.json.decode(encoded, type=t.ChatCompletion) == result


def test_tools_stream_tool_call_is_assembled() -> None:
    (lines,) = [p.values[0] for p in STREAMS if "tools_stream" in str(p.id)]
    acc = ChatCompletionAccumulator()
    for line in lines:
        acc.add(decode_chunk(line))
    message = acc.result().choices[0].message
    assert message.tool_calls is not None
    (tc,) = message.tool_calls
    assert tc.function.name == "final_result"
    assert json.loads(tc.function.arguments) == {"response": "no"}
    assert tc.id.startswith("fc_")


# ------------------------------------------------------------------------ synthetic


def chunk(
    *choices: dict[str, Any], usage: dict[str, Any] | None = None, **extra: Any
) -> t.ChatCompletionChunk:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "m",
        "choices": list(choices),
        **extra,
    }
    if usage is not None:
        body["usage"] = usage
    return decode_chunk(json.dumps(body).encode())


def delta(index: int = 0, finish: str | None = None, **d: Any) -> dict[str, Any]:
    return {"index": index, "delta": d, "finish_reason": finish, "logprobs": None}


def tc(index: int, id: str | None = None, name: str | None = None, args: str | None = None) -> Any:
    fn: dict[str, Any] = {}
    if name is not None:
        fn["name"] = name
    if args is not None:
        fn["arguments"] = args
    out: dict[str, Any] = {"index": index, "function": fn}
    if id is not None:
        out.update(id=id, type="function")
    return out


USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


def fold(*chunks: t.ChatCompletionChunk) -> ChatCompletionAccumulator:
    acc = ChatCompletionAccumulator()
    for c in chunks:
        acc.add(c)
    return acc


def test_parallel_tool_calls_split_across_chunks() -> None:
    acc = fold(
        chunk(delta(role="assistant", content=None)),
        chunk(delta(tool_calls=[tc(0, "call_a", "get_weather", "")])),
        chunk(delta(tool_calls=[tc(0, args='{"city":'), tc(1, "call_b", "get_time", '{"tz"')])),
        chunk(delta(tool_calls=[tc(1, args=': "UTC"}')])),
        chunk(delta(tool_calls=[tc(0, args=' "Paris"}')])),
        chunk(delta(finish="tool_calls")),
    )
    message = acc.result().choices[0].message
    assert message.content is None
    assert message.tool_calls is not None
    assert [c.to_dict() for c in message.tool_calls] == [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {
            "id": "call_b",
            "type": "function",
            "function": {"name": "get_time", "arguments": '{"tz": "UTC"}'},
        },
    ]
    assert acc.result().choices[0].finish_reason == "tool_calls"


def test_whole_tool_calls_reusing_index_zero_stay_separate() -> None:
    acc = fold(
        chunk(delta(tool_calls=[tc(0, "call_a", "f", "{}")])),
        chunk(delta(tool_calls=[tc(0, "call_b", "g", '{"x":1}')])),
    )
    calls = acc.result().choices[0].message.tool_calls
    assert calls is not None
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("call_a", "f", "{}"),
        ("call_b", "g", '{"x":1}'),
    ]


def test_trailing_usage_chunk_with_empty_choices() -> None:
    acc = fold(
        chunk(delta(role="assistant", content="Hel")),
        chunk(delta(content="lo")),
        chunk(delta(finish="stop")),
        chunk(usage=USAGE),
    )
    result = acc.result()
    assert result.usage is not None
    assert result.usage.total_tokens == 15
    assert result.choices[0].message.content == "Hello"
    assert result.choices[0].finish_reason == "stop"


def test_usage_in_x_groq_and_on_the_finish_chunk_last_wins() -> None:
    acc = fold(
        chunk(delta(content="a"), x_groq={"id": "req_1", "seed": 7}),
        chunk(delta(finish="stop"), x_groq={"id": "req_1", "usage": USAGE}),
    )
    assert acc.usage is not None
    assert acc.usage.total_tokens == 15
    later = {**USAGE, "total_tokens": 16}
    acc.add(chunk(usage=later))
    result = acc.result()
    assert result.usage is not None
    assert result.usage.total_tokens == 16
    assert result.x_groq == t.XGroq(id="req_1", seed=7)


def test_usage_breakdown_service_tier_and_fingerprint() -> None:
    breakdown = {"models": [{"model": "a", "usage": USAGE}]}
    acc = fold(
        chunk(delta(content="x"), system_fingerprint=None, service_tier="on_demand"),
        chunk(
            delta(finish="stop"), system_fingerprint="fp_1", x_groq={"usage_breakdown": breakdown}
        ),
    )
    result = acc.result()
    assert result.system_fingerprint == "fp_1"
    assert result.service_tier == "on_demand"
    assert result.usage_breakdown is not None
    assert result.usage_breakdown.models is not None
    assert result.usage_breakdown.models[0].model == "a"


def test_result_is_available_mid_stream_and_does_not_disturb_accumulation() -> None:
    acc = ChatCompletionAccumulator()
    empty = acc.result()
    assert empty.choices == []
    assert empty.usage is None
    assert acc.content_text() == ""
    acc.add(chunk(delta(role="assistant", content="par")))
    partial = acc.result()
    assert partial.choices[0].message.content == "par"
    assert partial.choices[0].finish_reason is None
    acc.add(chunk(delta(content="tial", finish="length")))
    assert acc.content_text() == "partial"
    assert acc.result().choices[0].finish_reason == "length"
    assert partial.choices[0].message.content == "par"  # earlier results are not mutated


def test_multiple_choices_are_kept_apart_and_ordered() -> None:
    acc = fold(
        chunk(delta(1, role="assistant", content="B"), delta(0, role="assistant", content="A")),
        chunk(delta(0, content="a", finish="stop")),
        chunk(delta(1, content="b", finish="length")),
    )
    result = acc.result()
    assert [(c.index, c.message.content, c.finish_reason) for c in result.choices] == [
        (0, "Aa", "stop"),
        (1, "Bb", "length"),
    ]
    assert acc.content_text(1) == "Bb"
    assert acc.content_text(7) == ""


def test_reasoning_and_role_default() -> None:
    acc = fold(chunk(delta(reasoning="think ", channel="analysis")), chunk(delta(reasoning="more")))
    message = acc.result().choices[0].message
    assert message.role == "assistant"
    assert message.reasoning == "think more"
    assert message.content is None


def test_logprobs_are_appended() -> None:
    def lp(token: str) -> dict[str, Any]:
        return {"content": [{"token": token, "logprob": -0.1, "bytes": None, "top_logprobs": []}]}

    first = delta(content="a")
    first["logprobs"] = lp("a")
    second = delta(content="b")
    second["logprobs"] = lp("b")
    result = fold(chunk(first), chunk(second)).result()
    logprobs = result.choices[0].logprobs
    assert logprobs is not None
    assert logprobs.content is not None
    assert [x.token for x in logprobs.content] == ["a", "b"]
    assert fold(chunk(delta(content="x"))).result().choices[0].logprobs is None


def test_executed_tools_merge_by_index() -> None:
    acc = fold(
        chunk(delta(executed_tools=[{"index": 0, "type": "search", "arguments": '{"q":"x"}'}])),
        chunk(delta(executed_tools=[{"index": 1, "type": "python", "arguments": "1+1"}])),
        chunk(
            delta(
                executed_tools=[
                    {
                        "index": 0,
                        "type": "search",
                        "output": "found",
                        "search_results": {"results": []},
                    }
                ]
            )
        ),
        chunk(delta(content="done", finish="stop")),
    )
    tools = acc.result().choices[0].message.executed_tools
    assert tools is not None
    assert [(x.index, x.type, x.arguments, x.output) for x in tools] == [
        (0, "search", '{"q":"x"}', "found"),
        (1, "python", "1+1", None),
    ]
    assert tools[0].search_results == t.SearchResults(results=[])


def test_annotations_and_deprecated_function_call() -> None:
    acc = fold(
        chunk(delta(function_call={"name": "f", "arguments": '{"a"'})),
        chunk(delta(function_call={"arguments": ": 1}"})),
        chunk(
            delta(
                annotations=[
                    {"type": "document_citation", "document_citation": {"document_id": "d"}}
                ]
            )
        ),
        chunk(delta(finish="function_call")),
    )
    message = acc.result().choices[0].message
    assert message.function_call == t.FunctionCall(name="f", arguments='{"a": 1}')
    assert message.annotations is not None
    assert message.annotations[0].type == "document_citation"


def test_in_band_errors_are_recorded() -> None:
    acc = fold(chunk(delta(content="x")), chunk(x_groq={"error": "over capacity"}))
    assert acc.error == "over capacity"
    acc.add(decode_chunk(b'{"error": {"message": "boom", "status_code": 503}}'))
    assert isinstance(acc.error, t.ErrorObject)
    assert acc.error.status_code == 503
    result = acc.result()
    assert result.id == "chatcmpl-1"  # an error-only chunk does not clobber the metadata
    assert result.choices[0].message.content == "x"


def test_an_error_only_first_chunk_does_not_pin_empty_metadata() -> None:
    acc = fold(decode_chunk(b'{"error": {"message": "early"}}'), chunk(delta(content="x")))
    result = acc.result()
    assert result.id == "chatcmpl-1"
    assert result.model == "m"
    assert result.created == 1700000000


def test_per_chunk_work_is_small() -> None:
    import sys

    c = chunk(delta(content="token"))
    acc = ChatCompletionAccumulator()
    acc.add(c)

    def calls_of(fn: Any) -> int:
        calls = 0

        def count(frame: Any, event: str, arg: Any) -> None:
            nonlocal calls
            if event in ("call", "c_call"):
                calls += 1

        sys.setprofile(count)
        try:
            fn(c)
        finally:
            sys.setprofile(None)
        return calls

    # add_choices() and add_choices_of() (what it hands the chunk to), dict.get, list.append
    # and the closing sys.setprofile(None): no helper calls
    assert calls_of(acc.add_choices) <= 5
    assert calls_of(acc.add) <= 7  # plus add_meta and add_choices
    # what a stream calls once per network read's batch: per chunk only dict.get and
    # list.append (plus the call itself, range() and the closing setprofile)
    batch = [c] * 100
    assert calls_of(lambda _: acc.add_choices_of(batch, 0, 100)) <= 4 + 2 * 100
    assert acc.result().choices[0].message.content == "token" * 103
