"""pydantic interop: models as structured outputs and tool schemas, Structs as pydantic fields.

pydantic is only used when the caller brings it: a fresh interpreter using the structured
output helpers with Structs never imports it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import msgspec
import pydantic
import pytest

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio.helpers import (
    StructuredOutput,
    StructuredOutputError,
    ToolArgumentsError,
    function_tool,
    json_schema,
    parse_tool_arguments,
)
from groq_anyio.testing import ChatScript, GroqTestServer
from groq_anyio.types import ChatCompletion, CompletionUsage, Model

MODEL = "llama-3.3-70b-versatile"
MSGS: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]


class City(pydantic.BaseModel):
    name: str
    population: int


class Weather(pydantic.BaseModel):
    """The weather in a city."""

    city: City
    celsius: float
    tags: list[str]


# ----------------------------------------------------------------------------- structured outputs


@pytest.mark.anyio
async def test_pydantic_model_as_response_format(server: GroqTestServer, client: AsyncGroq) -> None:
    completion = await client.chat.completions.create(
        model=MODEL, messages=MSGS, response_format=Weather
    )
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, Weather) and isinstance(parsed.city, City)
    sent = server.requests[-1].json()["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["name"] == "Weather"
    assert sent["json_schema"]["schema"] == Weather.model_json_schema()
    # a stream decodes into the model at the end
    stream = await client.chat.completions.create(
        model=MODEL, messages=MSGS, response_format=StructuredOutput(Weather), stream=True
    )
    async with stream:
        async for _ in stream:
            pass
    assert isinstance(stream.get_final_completion().choices[0].message.parsed, Weather)


@pytest.mark.anyio
async def test_pydantic_model_as_text_format(server: GroqTestServer, client: AsyncGroq) -> None:
    # (the local server's Responses API answers its script's text, not a schema instance)
    weather = Weather(city=City(name="Oslo", population=1), celsius=-3.5, tags=["cold"])
    server.push(ChatScript(text=weather.model_dump_json()))
    response = await client.responses.create(model=MODEL, input="Weather?", text_format=Weather)
    assert response.output_parsed == weather
    assert isinstance(response.output_parsed, Weather)
    sent = server.requests[-1].json()["text"]["format"]
    assert sent["type"] == "json_schema" and sent["schema"] == Weather.model_json_schema()


@pytest.mark.anyio
async def test_a_reply_that_does_not_validate(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text='{"city": {"name": "Paris"}, "celsius": "warm", "tags": []}'))
    with pytest.raises(StructuredOutputError) as info:
        await client.chat.completions.create(model=MODEL, messages=MSGS, response_format=Weather)
    assert "population" in str(info.value) and info.value.content.startswith('{"city"')
    server.push(ChatScript(text="not json"))
    with pytest.raises(StructuredOutputError) as info:
        await client.chat.completions.create(model=MODEL, messages=MSGS, response_format=Weather)
    assert "not valid JSON" in str(info.value)


def test_function_tool_and_arguments() -> None:
    tool = function_tool(Weather, description="report")
    assert tool["type"] == "function"
    assert tool["function"]["name"] == "Weather"
    assert tool["function"]["parameters"] == Weather.model_json_schema()
    assert json_schema(City) == City.model_json_schema()
    args = json.dumps({"city": {"name": "Oslo", "population": 700000}, "celsius": -3, "tags": []})
    call = {"id": "c1", "function": {"name": "Weather", "arguments": args}}
    weather = parse_tool_arguments(call, Weather)
    assert isinstance(weather, Weather) and weather.city.name == "Oslo"
    bad = {"id": "c2", "function": {"name": "Weather", "arguments": '{"celsius": 1}'}}
    with pytest.raises(ToolArgumentsError):
        parse_tool_arguments(bad, Weather)
    strict = function_tool(City, strict=True)
    assert strict["function"]["parameters"]["additionalProperties"] is False


# ----------------------------------------------------------------------------- Structs in models


class Record(pydantic.BaseModel):
    completion: ChatCompletion
    usage: CompletionUsage | None = None
    models: list[Model] = []


@pytest.mark.anyio
async def test_response_types_as_pydantic_fields(server: GroqTestServer, client: AsyncGroq) -> None:
    completion = await client.chat.completions.create(model=MODEL, messages=MSGS)
    record = Record(completion=completion, usage=completion.usage)
    assert record.completion is completion  # kept as is
    dumped = record.model_dump()
    assert dumped["completion"] == completion.to_dict()
    again = Record.model_validate(dumped)
    assert again.completion == completion and isinstance(again.usage, CompletionUsage)
    from_json = Record.model_validate_json(record.model_dump_json())
    assert from_json.completion == completion
    models = (await client.models.list()).data
    assert Record(completion=completion, models=models).models == models
    with pytest.raises(pydantic.ValidationError) as info:
        Record.model_validate({"completion": {"id": 1}})
    assert "ChatCompletion" in str(info.value)
    schema = Record.model_json_schema()
    props = schema["properties"]["completion"]
    assert props["type"] == "object" and "choices" in props["properties"]
    assert "$ref" not in json.dumps(props)
    adapter = pydantic.TypeAdapter(list[CompletionUsage])
    assert adapter.validate_python([{"prompt_tokens": 1}])[0].prompt_tokens == 1
    assert msgspec.to_builtins(adapter.validate_json(b'[{"total_tokens": 3}]')[0]) == {
        "total_tokens": 3
    }


def test_pydantic_is_not_imported_unless_used() -> None:
    code = (
        "import sys, msgspec\n"
        "from groq_anyio import AsyncGroq, Groq\n"
        "from groq_anyio.helpers import function_tool, resolve_response_format\n"
        "from groq_anyio.types import ChatCompletion\n"
        "class W(msgspec.Struct):\n"
        "    c: float\n"
        "function_tool(W); resolve_response_format(W)\n"
        "AsyncGroq(api_key='k', base_url='http://127.0.0.1:1')\n"
        "print('pydantic' in sys.modules, 'pydantic_core' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.split() == ["False", "False"]


def test_errors_are_ours() -> None:
    assert issubclass(StructuredOutputError, g.APIResponseValidationError)
