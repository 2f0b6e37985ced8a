"""The local server answers like Groq where a client can tell: the model list, the API key,
parameter validation, max_tokens / stop / include_usage, and the JSON response formats."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpcore
import jsonschema
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groq_anyio import AsyncGroq, AuthenticationError, NotFoundError
from groq_anyio.testing import ChatScript, GroqTestServer
from groq_anyio.testing._json_instance import minimal_instance

from ._traffic import VENDORED

pytestmark = pytest.mark.anyio

CHAT = "/openai/v1/chat/completions"
MODEL = "llama-3.3-70b-versatile"
MSGS = [{"role": "user", "content": "hi"}]
KEY = "gsk_rules_test_key"


async def post(
    server: GroqTestServer, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    async with httpcore.AsyncConnectionPool() as pool:
        hdrs = {"content-type": "application/json", **(headers or {})}
        resp = await pool.request(
            "POST", server.base_url + CHAT, headers=hdrs, content=json.dumps(body).encode()
        )
        return resp.status, resp.content


def error_of(content: bytes) -> dict[str, Any]:
    doc = json.loads(content)
    assert set(doc) == {"error"}
    return doc["error"]  # type: ignore[no-any-return]


@pytest.fixture
async def strict() -> AsyncIterator[GroqTestServer]:
    async with GroqTestServer() as srv:
        yield srv


async def test_unknown_model_is_grogs_404_model_not_found(strict: GroqTestServer) -> None:
    recorded = json.loads((VENDORED / "error-pydantic-ai-model_not_found-0.json").read_text())
    status, content = await post(strict, recorded["request"]["body"])
    assert status == recorded["response"]["status"] == 404
    expected = json.loads(recorded["response"]["body_text"])["error"]
    got = error_of(content)
    assert {k: v for k, v in got.items() if v is not None} == expected
    async with AsyncGroq(api_key=KEY, base_url=strict.base_url, max_retries=0) as client:
        with pytest.raises(NotFoundError) as info:
            await client.chat.completions.create(model="non-existent", messages=MSGS)
    assert info.value.code == "model_not_found"
    assert info.value.status_code == 404


async def test_models_option_and_deleted_models() -> None:
    async with GroqTestServer(models=["mine"]) as srv:
        assert (await post(srv, {"model": "mine", "messages": MSGS}))[0] == 200
        assert (await post(srv, {"model": MODEL, "messages": MSGS}))[0] == 404
    async with GroqTestServer(models=None) as srv:
        assert (await post(srv, {"model": "anything/at-all", "messages": MSGS}))[0] == 200
    async with GroqTestServer() as srv:
        async with AsyncGroq(api_key=KEY, base_url=srv.base_url, max_retries=0) as client:
            await client.models.delete("qwen/qwen3-32b")
        status, content = await post(srv, {"model": "qwen/qwen3-32b", "messages": MSGS})
        assert status == 404 and error_of(content)["code"] == "model_not_found"


async def test_every_listed_and_legacy_model_is_accepted(strict: GroqTestServer) -> None:
    from groq_anyio.testing import KNOWN_MODELS

    assert {"llama3-8b-8192", "openai/gpt-oss-120b", "groq/compound"} <= KNOWN_MODELS
    async with AsyncGroq(api_key=KEY, base_url=strict.base_url, max_retries=0) as client:
        listed = (await client.models.list()).ids()
        assert set(listed) <= KNOWN_MODELS
        for model in sorted(KNOWN_MODELS):
            assert (await post(strict, {"model": model, "messages": MSGS}))[0] == 200, model


async def test_api_key_required_when_set() -> None:
    async with GroqTestServer(api_key=KEY) as srv:
        status, content = await post(srv, {"model": MODEL, "messages": MSGS})
        assert status == 401
        assert error_of(content) == {
            "message": "Invalid API Key",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
        wrong = {"authorization": "Bearer gsk_wrong"}
        assert (await post(srv, {"model": MODEL, "messages": MSGS}, wrong))[0] == 401
        right = {"authorization": f"Bearer {KEY}"}
        assert (await post(srv, {"model": MODEL, "messages": MSGS}, right))[0] == 200
        async with AsyncGroq(api_key="gsk_other", base_url=srv.base_url, max_retries=0) as c:
            with pytest.raises(AuthenticationError) as info:
                await c.chat.completions.create(model=MODEL, messages=MSGS)
        assert info.value.code == "invalid_api_key"
        assert "gsk_other" not in repr(info.value) and "gsk_other" not in str(info.value)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"n": 2}, "'n' : number must be at most 1"),
        ({"n": 0}, "'n' : number must be at least 1"),
        ({"temperature": 2.5}, "'temperature' : number must be at most 2"),
        ({"temperature": -1}, "'temperature' : number must be at least 0"),
        ({"top_p": 1.5}, "'top_p' : number must be at most 1"),
        ({"presence_penalty": -3}, "'presence_penalty' : number must be at least -2"),
        ({"frequency_penalty": 9}, "'frequency_penalty' : number must be at most 2"),
        ({"top_logprobs": 21}, "'top_logprobs' : number must be at most 20"),
        ({"temperature": "hot"}, "'temperature' : value must be a number"),
        ({"max_tokens": 1.5}, "'max_tokens' : value must be an integer"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "'stop' : maximum number of items is 4"),
        ({"messages": []}, "'messages' : minimum number of items is 1"),
        ({"messages": ["hi"]}, "'messages.0' : value must be an object"),
        ({"messages": [{"content": "x"}]}, "'messages.0' : property 'role' is missing"),
        (
            {"messages": [{"role": "user", "content": "x", "id": "m1"}]},
            "'messages.0' : for 'role:user' the following must be satisfied"
            "[('messages.0' : property 'id' is unsupported)]",
        ),
        (
            {"messages": [*MSGS, {"role": "tool", "content": "x"}]},
            "'messages.1' : for 'role:tool' the following must be satisfied"
            "[('messages.1.tool_call_id' : property 'tool_call_id' is missing)]",
        ),
        (
            {"messages": [{"role": "system"}]},
            "'messages.0' : for 'role:system' the following must be satisfied",
        ),
        ({"messages": [{"role": "wizard", "content": "x"}]}, "'messages.0' : discriminator"),
        ({"response_format": {"type": "json_schema"}}, "'response_format' : property"),
        ({"response_format": {"type": "xml"}}, "'response_format.type' : value is not one of"),
    ],
)
async def test_bad_parameters_are_400s(
    strict: GroqTestServer, extra: dict[str, Any], message: str
) -> None:
    status, content = await post(strict, {"model": MODEL, "messages": MSGS, **extra})
    assert status == 400
    error = error_of(content)
    assert error["message"].startswith(message)
    assert set(error) == {"message", "type"}  # Groq's validation errors carry no code
    assert error["type"] == "invalid_request_error"


async def test_max_tokens_above_the_models_limit(strict: GroqTestServer) -> None:
    body = {"model": MODEL, "messages": MSGS, "max_completion_tokens": 40000}
    status, content = await post(strict, body)
    assert status == 400
    assert error_of(content)["message"].startswith(
        "`max_completion_tokens` must be less than or equal to `32768`"
    )
    body = {"model": MODEL, "messages": MSGS, "max_tokens": 32768}
    assert (await post(strict, body))[0] == 200


async def test_strict_false_accepts_what_groq_rejects() -> None:
    async with GroqTestServer(strict=False) as srv:
        body = {"model": "whatever", "messages": [], "n": 3, "temperature": 9}
        assert (await post(srv, body))[0] == 200


async def test_max_tokens_cuts_with_finish_reason_length(
    strict: GroqTestServer, client_for: Any
) -> None:
    strict.default = ChatScript("one two three four five six")
    async with client_for(strict) as client:
        c = await client.chat.completions.create(model=MODEL, messages=MSGS, max_tokens=3)
        assert c.choices[0].message.content == "one two three"
        assert c.choices[0].finish_reason == "length"
        assert c.usage is not None and c.usage.completion_tokens == 3
        stream = await client.chat.completions.create(
            model=MODEL, messages=MSGS, max_completion_tokens=2, stream=True
        )
        async with stream:
            pieces = [ch.choices[0].delta.content async for ch in stream if ch.choices]
            final = stream.get_final_completion()
        assert "".join(p or "" for p in pieces) == "one two"
        assert final.choices[0].finish_reason == "length"
        c = await client.chat.completions.create(model=MODEL, messages=MSGS, max_tokens=10)
        assert c.choices[0].finish_reason == "stop"
        assert c.choices[0].message.content == "one two three four five six"


async def test_stop_sequences(strict: GroqTestServer, client_for: Any) -> None:
    strict.default = ChatScript("alpha beta. gamma END delta")
    async with client_for(strict) as client:
        c = await client.chat.completions.create(model=MODEL, messages=MSGS, stop="END")
        assert c.choices[0].message.content == "alpha beta. gamma"  # (trailing space: no token)
        assert c.choices[0].finish_reason == "stop"
        c = await client.chat.completions.create(
            model=MODEL, messages=MSGS, stop=["zzz", ". "], stream=False
        )
        assert c.choices[0].message.content == "alpha beta"


async def test_include_usage_adds_the_trailing_usage_chunk(strict: GroqTestServer) -> None:
    async with httpcore.AsyncConnectionPool() as pool:
        for include, trailing in ((True, 1), (False, 0)):
            body = {"model": MODEL, "messages": MSGS, "stream": True}
            if include:
                body["stream_options"] = {"include_usage": True}
            resp = await pool.request(
                "POST", strict.base_url + CHAT, content=json.dumps(body).encode()
            )
            events = [
                json.loads(line[6:])
                for line in resp.content.decode().split("\n\n")
                if line.startswith("data: {")
            ]
            empty = [e for e in events if e["choices"] == []]
            assert len(empty) == trailing
            if include:
                assert empty[0]["usage"]["total_tokens"] > 0
                assert events[-1] is empty[0]
            assert "usage" in events[-1 - trailing]["x_groq"]  # Groq's own place, either way


SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 2},
        "population": {"type": "integer", "minimum": 1000, "multipleOf": 7},
        "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 2},
        "where": {"$ref": "#/$defs/Point"},
        "kind": {"anyOf": [{"type": "null"}, {"type": "number", "exclusiveMinimum": 0.5}]},
        "optional": {"type": "string"},
    },
    "required": ["city", "population", "tags", "where", "kind"],
    "additionalProperties": False,
    "$defs": {
        "Point": {
            "type": "object",
            "properties": {"lat": {"type": "number", "maximum": -10}, "next": {"$ref": "#"}},
            "required": ["lat"],
        }
    },
}


async def test_json_modes_reply_with_json(strict: GroqTestServer, client_for: Any) -> None:
    async with client_for(strict) as client:
        fmt = {"type": "json_schema", "json_schema": {"name": "city", "schema": SCHEMA}}
        for stream in (False, True):
            c = await client.chat.completions.create(
                model=MODEL, messages=MSGS, response_format=fmt, stream=stream
            )
            if stream:
                async with c:
                    async for _ in c:
                        pass
                    c = c.get_final_completion()
            value = json.loads(c.choices[0].message.content)
            jsonschema.validate(value, SCHEMA)
            assert c.choices[0].message.parsed == value
        c = await client.chat.completions.create(
            model=MODEL, messages=MSGS, response_format={"type": "json_object"}
        )
        value = json.loads(c.choices[0].message.content)
        assert value == {"text": "Hello from the local Groq server!"}


_leaf = st.one_of(
    st.fixed_dictionaries({"type": st.just("string")}, optional={"minLength": st.integers(0, 5)}),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["integer", "number"])},
        optional={
            "minimum": st.integers(-50, 50),
            "exclusiveMaximum": st.integers(60, 100),
            "multipleOf": st.integers(1, 9),
        },
    ),
    st.fixed_dictionaries({"type": st.just("boolean")}),
    st.fixed_dictionaries({"type": st.just("null")}),
    st.fixed_dictionaries({"enum": st.lists(st.integers() | st.text(), min_size=1, max_size=3)}),
    st.fixed_dictionaries({"const": st.integers() | st.text(max_size=4)}),
)


def _compound(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    obj = st.dictionaries(st.text("abcdef", min_size=1, max_size=4), children, max_size=4).flatmap(
        lambda props: st.fixed_dictionaries(
            {
                "type": st.just("object"),
                "properties": st.just(props),
                "required": st.lists(st.sampled_from(sorted(props)), unique=True)
                if props
                else st.just([]),
            }
        )
    )
    arr = st.fixed_dictionaries(
        {"type": st.just("array"), "items": children, "minItems": st.integers(0, 3)}
    )
    any_of = st.lists(children, min_size=1, max_size=3).map(lambda bs: {"anyOf": bs})
    return st.one_of(obj, arr, any_of)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(_leaf, _compound, max_leaves=12))
def test_minimal_instance_is_valid(schema: dict[str, Any]) -> None:
    value = minimal_instance(schema)
    msgspec.json.encode(value)  # plain JSON
    jsonschema.validate(value, schema)


def test_minimal_instance_known_cases() -> None:
    value = minimal_instance(SCHEMA)
    jsonschema.validate(value, SCHEMA)
    assert value["population"] >= 1000 and value["population"] % 7 == 0
    assert "optional" not in value and "next" not in value["where"]
    assert minimal_instance({"type": "string", "format": "date-time"}) == "2024-01-01T00:00:00Z"
    assert minimal_instance({"type": ["null", "integer"], "minimum": 3}) == 3


@pytest.fixture
def client_for() -> Any:
    def make(server: GroqTestServer) -> AsyncGroq:
        return AsyncGroq(api_key=KEY, base_url=server.base_url, max_retries=0)

    return make


async def test_other_endpoints_know_the_models(strict: GroqTestServer, client_for: Any) -> None:
    async with client_for(strict) as client:
        # (embeddings: any model; Groq lists no embedding model to check against)
        with pytest.raises(NotFoundError) as info:
            await client.audio.speech.create(model="no-tts", input="hi", voice="Fritz-PlayAI")
        assert info.value.code == "model_not_found"
        with pytest.raises(NotFoundError):
            await client.responses.create(model="no-such", input="hi")
        ok = await client.responses.create(model=MODEL, input="hi")
        assert ok.model == MODEL


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["temperature", "top_p", "presence_penalty", "frequency_penalty", "n"]),
    st.one_of(st.floats(-5, 5, allow_nan=False), st.integers(-5, 5)),
)
def test_range_checks_match_groqs_bounds(name: str, value: float) -> None:
    from groq_anyio.testing._chat_rules import _schema_problem

    low, high = {
        "temperature": (0, 2),
        "top_p": (0, 1),
        "presence_penalty": (-2, 2),
        "frequency_penalty": (-2, 2),
        "n": (1, 1),
    }[name]
    problem = _schema_problem({"messages": MSGS, name: value})
    ok = low <= value <= high and (name != "n" or value == int(value))
    assert (problem is None) == ok
    if problem is not None:
        assert problem.status == 400 and problem.message is not None
        assert problem.message.startswith(f"'{name}' : ")


@given(st.lists(st.sampled_from([b"data: {}", b"\n", b"\n\n", b"event: x", b"\r\n", b":"])))
def test_replayed_sse_is_cut_after_blank_lines_byte_for_byte(parts: list[bytes]) -> None:
    from groq_anyio.testing._replay import _events

    content = b"".join(parts)
    pieces = _events(content)
    assert b"".join(pieces) == content
    assert all(p.endswith(b"\n\n") and b"\n\n" not in p[:-2] for p in pieces[:-1])
