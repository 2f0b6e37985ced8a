"""Structured outputs: a Struct type as ``response_format``, ``message.parsed``, JSON-mode checks,
plain and streamed, against the local server on asyncio and trio."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio.helpers import StructuredOutput, StructuredOutputError, json_schema
from groq_anyio.testing import ChatScript, GroqTestServer
from groq_anyio.types import ChatCompletionMessage, ResponseFormatJSONObject

pytestmark = pytest.mark.anyio

MSGS = [{"role": "user", "content": "Name a city."}]
MODEL = "openai/gpt-oss-120b"


class Country(msgspec.Struct):
    name: str
    code: str


class City(msgspec.Struct):
    """A city and where it is."""

    name: str
    population: int
    country: Country
    tags: list[str]


class Loose(msgspec.Struct):
    name: str
    note: str | None = None


class Tree(msgspec.Struct):
    value: int
    children: list[Tree]


PARIS = City(name="Paris", population=2100000, country=Country("France", "FR"), tags=["capital"])


async def test_struct_type_is_sent_and_parsed(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text=msgspec.json.encode(PARIS).decode()))
    c = await client.chat.completions.create(model=MODEL, messages=MSGS, response_format=City)
    message = c.choices[0].message
    assert message.parsed == PARIS and isinstance(message.parsed, City)
    fmt = server.requests[-1].json()["response_format"]
    assert fmt["type"] == "json_schema"
    js = fmt["json_schema"]
    assert js["name"] == "City" and "strict" not in js
    schema = js["schema"]
    # the root is the object itself (no top-level $ref), nested types stay in $defs
    assert schema["type"] == "object" and "$ref" not in schema
    assert schema["properties"]["country"] == {"$ref": "#/$defs/Country"}
    assert set(schema["$defs"]) >= {"Country"}
    assert schema["description"] == "A city and where it is."
    # parsed is not part of the value
    assert "parsed" not in message.to_dict() and message == ChatCompletionMessage(
        role="assistant", content=message.content
    )


async def test_structured_output_options(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text='{"value": 1, "children": [{"value": 2, "children": []}]}'))
    spec = StructuredOutput(Tree, name="tree-v1", description="A tree", strict=True)
    c = await client.chat.completions.create(model=MODEL, messages=MSGS, response_format=spec)
    assert c.choices[0].message.parsed == Tree(1, [Tree(2, [])])
    js = server.requests[-1].json()["response_format"]["json_schema"]
    assert js["name"] == "tree-v1" and js["description"] == "A tree" and js["strict"] is True
    schema = js["schema"]
    assert schema["additionalProperties"] is False
    # recursive: the root's own definition is kept so "#/$defs/Tree" resolves
    assert schema["properties"]["children"]["items"] == {"$ref": "#/$defs/Tree"}
    assert "Tree" in schema["$defs"]


async def test_mismatch_and_invalid_json_raise(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text='{"name": "Paris", "population": "many"}'))
    with pytest.raises(StructuredOutputError) as info:
        await client.chat.completions.create(model=MODEL, messages=MSGS, response_format=City)
    err = info.value
    assert isinstance(err, g.APIResponseValidationError)
    assert err.content == '{"name": "Paris", "population": "many"}'
    assert "does not match City" in str(err) and "population" in str(err)
    assert err.request_id is not None and err.request_id.startswith("req_")
    assert err.completion is not None and err.completion.choices[0].message.content == err.content
    server.push(ChatScript(text="Sure! Here is your city: Paris"))
    with pytest.raises(StructuredOutputError, match="not valid JSON") as info:
        await client.chat.completions.create(model=MODEL, messages=MSGS, response_format=City)
    assert info.value.content == "Sure! Here is your city: Paris"
    server.push(ChatScript(text='{"name": "Par', finish_reason="length"))
    with pytest.raises(StructuredOutputError, match="cut short"):
        await client.chat.completions.create(model=MODEL, messages=MSGS, response_format=City)


@pytest.mark.parametrize(
    "fmt",
    [
        {"type": "json_object"},
        ResponseFormatJSONObject(),
        {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
    ],
)
async def test_json_modes_are_checked(server: GroqTestServer, client: AsyncGroq, fmt: Any) -> None:
    server.push(ChatScript(text='{"city": "Rome", "n": [1, 2]}'))
    c = await client.chat.completions.create(model=MODEL, messages=MSGS, response_format=fmt)
    assert c.choices[0].message.parsed == {"city": "Rome", "n": [1, 2]}
    server.push(ChatScript(text="not json at all"))
    with pytest.raises(StructuredOutputError) as info:
        await client.chat.completions.create(model=MODEL, messages=MSGS, response_format=fmt)
    assert info.value.content == "not json at all"


async def test_text_format_and_no_format_parse_nothing(
    server: GroqTestServer, client: AsyncGroq
) -> None:
    c = await client.chat.completions.create(model=MODEL, messages=MSGS)
    assert c.choices[0].message.parsed is None
    c = await client.chat.completions.create(
        model=MODEL, messages=MSGS, response_format={"type": "text"}
    )
    assert c.choices[0].message.parsed is None


async def test_tool_call_reply_is_not_parsed(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(tool_calls=[{"name": "lookup", "arguments": {"q": "x"}}]))
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    c = await client.chat.completions.create(
        model=MODEL, messages=MSGS, response_format=City, tools=tools
    )
    assert c.choices[0].message.tool_calls and c.choices[0].message.parsed is None


async def test_streamed_structured_output(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text=json.dumps(msgspec.to_builtins(PARIS), indent=1)))
    stream = await client.chat.completions.create(
        model=MODEL, messages=MSGS, response_format=City, stream=True
    )
    assert isinstance(stream, g.ChatStream)
    async with stream:
        async for _ in stream:
            pass
    final = stream.get_final_completion()
    assert final.choices[0].message.parsed == PARIS
    # a stream without a structured format is a plain ChatStream and parses nothing
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    assert type(stream) is g.ChatStream
    async with stream:
        async for _ in stream:
            pass
    assert stream.get_final_completion().choices[0].message.parsed is None


async def test_streamed_invalid_output_raises(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text='{"name": "Paris"}'))
    stream = await client.chat.completions.create(
        model=MODEL, messages=MSGS, response_format=City, stream=True
    )
    async with stream:
        async for _ in stream:
            pass
    with pytest.raises(StructuredOutputError, match="does not match City"):
        stream.get_final_completion()
    # mid-stream, the reply is not finished: says so
    server.push(ChatScript(text='{"name": "Paris", "population": 1}', chunks=3))
    stream = await client.chat.completions.create(
        model=MODEL, messages=MSGS, response_format=City, stream=True
    )
    async with stream:
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                with pytest.raises(StructuredOutputError, match="not finished"):
                    stream.get_final_completion()
                break


async def test_reply_can_be_sent_back(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text=msgspec.json.encode(PARIS).decode()))
    c = await client.chat.completions.create(model=MODEL, messages=MSGS, response_format=City)
    messages = [*MSGS, c.choices[0].message, {"role": "user", "content": "And another?"}]
    await client.chat.completions.create(model=MODEL, messages=messages)
    sent = server.requests[-1].json()["messages"][1]
    assert sent == {"role": "assistant", "content": msgspec.json.encode(PARIS).decode()}


def test_schema_rules() -> None:
    assert json_schema(Loose) == {
        "title": "Loose",
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        },
        "required": ["name"],
    }
    with pytest.raises(g.InvalidParameterError, match="every field to be required"):
        json_schema(Loose, strict=True)
    with pytest.raises(g.InvalidParameterError, match="JSON object"):
        json_schema(int)
    with pytest.raises(g.InvalidParameterError):
        StructuredOutput(Loose, strict=True)
    with pytest.raises(g.InvalidParameterError):
        StructuredOutput(City, name="bad name!")
    # a private copy each time
    json_schema(City)["properties"].clear()
    assert json_schema(City)["properties"]


@given(
    st.builds(
        City,
        name=st.text(),
        population=st.integers(min_value=-(2**63), max_value=2**63 - 1),
        country=st.builds(Country, name=st.text(), code=st.text(max_size=3)),
        tags=st.lists(st.text(), max_size=4),
    )
)
def test_parser_round_trips_any_struct(city: City) -> None:
    from groq_anyio.helpers import resolve_response_format

    fmt, parser = resolve_response_format(City)
    assert parser is not None and fmt["json_schema"]["name"] == "City"
    text = msgspec.json.encode(city).decode()
    assert parser.decode(text, finish_reason="stop", whole=None, request_id=None) == city


@given(st.text())
def test_parser_errors_are_typed(text: str) -> None:
    from groq_anyio.helpers import resolve_response_format

    _, parser = resolve_response_format(City)
    assert parser is not None
    try:
        value = parser.decode(text, finish_reason="stop", whole=None, request_id=None)
    except StructuredOutputError as exc:
        assert exc.content == text
    else:
        assert isinstance(value, City)


async def test_bad_struct_types_fail_before_sending(
    server: GroqTestServer, client: AsyncGroq
) -> None:
    with pytest.raises(g.InvalidParameterError) as info:
        await client.chat.completions.create(model=MODEL, messages=MSGS, response_format=int)
    assert info.value.param == "response_format"
    with pytest.raises(g.InvalidParameterError) as info:
        await client.chat.completions.create(
            model=MODEL, messages=MSGS, response_format=ResponseFormatJSONObject
        )
    assert info.value.param == "response_format"
    assert server.requests == []
