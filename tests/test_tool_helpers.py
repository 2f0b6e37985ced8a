"""Tool calling round trips: tool definitions from Structs, typed arguments, tool results; the
streamed round trip with parallel tool calls against the local server."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio.helpers import (
    ToolArgumentsError,
    function_tool,
    parse_tool_arguments,
    responses_function_tool,
    tool_result_message,
)
from groq_anyio.testing import ChatScript, GroqTestServer
from groq_anyio.types import (
    AssistantToolCall,
    ChatCompletionMessageToolCall,
    FunctionCall,
    ResponseFunctionToolCall,
)

MODEL = "llama-3.3-70b-versatile"


class GetWeather(msgspec.Struct):
    """Current weather of a city."""

    city: str
    unit: str = "celsius"


class Point(msgspec.Struct):
    x: int
    y: int
    label: str | None = None


def _call(arguments: str, name: str = "get_weather", id: str = "call_1") -> Any:
    return ChatCompletionMessageToolCall(
        id=id, type="function", function=FunctionCall(name=name, arguments=arguments)
    )


# ---------------------------------------------------------------------------------- arguments


def test_every_tool_call_shape() -> None:
    args = '{"city": "Paris"}'
    shapes: list[object] = [
        _call(args),
        AssistantToolCall(id="call_1", function=FunctionCall(name="get_weather", arguments=args)),
        ResponseFunctionToolCall(call_id="call_1", name="get_weather", arguments=args),
        FunctionCall(name="get_weather", arguments=args),
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": args},
        },
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": args},
    ]
    for shape in shapes:
        assert parse_tool_arguments(shape, GetWeather) == GetWeather(city="Paris")
        assert parse_tool_arguments(shape) == {"city": "Paris"}


def test_empty_arguments_are_an_empty_object() -> None:
    assert parse_tool_arguments(_call("")) == {}
    assert parse_tool_arguments(_call("  \n")) == {}

    class NoArgs(msgspec.Struct):
        pass

    assert parse_tool_arguments(_call(""), NoArgs) == NoArgs()


@pytest.mark.parametrize(
    ("arguments", "match", "bad_for_dict"),
    [
        ('{"city": ', "not valid JSON", True),
        ("[1, 2]", "do not match", True),
        ('"Paris"', "do not match", True),
        ('{"unit": "kelvin"}', "missing required field `city`", False),
        ('{"city": 3}', "Expected `str`", False),
    ],
)
def test_bad_arguments_raise_typed_errors(arguments: str, match: str, bad_for_dict: bool) -> None:
    for tp in (GetWeather, None) if bad_for_dict else (GetWeather,):
        with pytest.raises(ToolArgumentsError, match=match) as info:
            parse_tool_arguments(_call(arguments, id="call_9"), tp)
        err = info.value
        assert isinstance(err, g.APIResponseValidationError)
        assert err.arguments == arguments and err.tool_name == "get_weather"
        assert err.call_id == "call_9"


def test_not_a_tool_call() -> None:
    with pytest.raises(g.InvalidParameterError):
        parse_tool_arguments(42)
    with pytest.raises(ToolArgumentsError, match="JSON string"):
        parse_tool_arguments({"name": "f", "arguments": {"already": "a dict"}})


@given(
    st.builds(
        Point,
        x=st.integers(-(2**63), 2**63 - 1),
        y=st.integers(-10, 10),
        label=st.none() | st.text(),
    )
)
def test_arguments_round_trip(point: Point) -> None:
    call = _call(msgspec.json.encode(point).decode(), name="plot")
    assert parse_tool_arguments(call, Point) == point
    assert parse_tool_arguments(call) == msgspec.to_builtins(point)


@given(st.text())
def test_any_text_parses_or_raises_a_typed_error(text: str) -> None:
    for tp in (Point, None):
        try:
            value = parse_tool_arguments(_call(text), tp)
        except ToolArgumentsError as exc:
            assert exc.arguments == text
        else:
            assert isinstance(value, Point if tp is not None else dict)


@given(
    st.dictionaries(
        st.text(),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(),
            lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
            max_leaves=8,
        ),
        max_size=5,
    )
)
def test_any_json_object_parses_to_a_dict(obj: dict[str, Any]) -> None:
    assert parse_tool_arguments(_call(json.dumps(obj))) == obj


# ----------------------------------------------------------------------- definitions and results


def test_function_tool_definitions() -> None:
    tool = function_tool(GetWeather)
    assert tool == {
        "type": "function",
        "function": {
            "name": "GetWeather",
            "parameters": {
                "title": "GetWeather",
                "description": "Current weather of a city.",
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "default": "celsius"},
                },
                "required": ["city"],
            },
        },
    }
    named = function_tool(Point, name="plot_point", description="Plot it", strict=False)
    assert named["function"]["name"] == "plot_point" and named["function"]["strict"] is False
    assert named["function"]["description"] == "Plot it"
    flat = responses_function_tool(GetWeather, name="get_weather")
    assert flat["type"] == "function" and flat["name"] == "get_weather"
    assert flat["parameters"]["required"] == ["city"] and "function" not in flat
    with pytest.raises(g.InvalidParameterError, match="name"):
        function_tool(GetWeather, name="get weather")
    with pytest.raises(g.InvalidParameterError, match="required"):
        function_tool(GetWeather, strict=True)


def test_tool_result_messages() -> None:
    call = _call("{}")
    assert tool_result_message(call, "sunny") == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "sunny",
    }
    assert tool_result_message(call, {"celsius": 21})["content"] == '{"celsius":21}'
    assert tool_result_message(call, GetWeather("Oslo"))["content"] == (
        '{"city":"Oslo","unit":"celsius"}'
    )
    assert (
        tool_result_message({"id": "c2", "function": {"name": "f"}}, [1, 2])["content"] == "[1,2]"
    )
    item = ResponseFunctionToolCall(call_id="fc_1", name="f", arguments="{}")
    assert tool_result_message(item, {"ok": True}) == {
        "type": "function_call_output",
        "call_id": "fc_1",
        "output": '{"ok":true}',
    }
    with pytest.raises(g.InvalidParameterError, match="no id"):
        tool_result_message(FunctionCall(name="f", arguments="{}"), "x")
    with pytest.raises(g.InvalidParameterError, match="JSON"):
        tool_result_message(call, object())


# ------------------------------------------------------------------------- round trips (server)


@pytest.mark.anyio
@pytest.mark.parametrize("stream", [False, True])
async def test_parallel_tool_call_round_trip(
    server: GroqTestServer, client: AsyncGroq, stream: bool
) -> None:
    calls = [
        {"id": "call_a", "name": "get_weather", "arguments": {"city": "Paris"}},
        {"id": "call_b", "name": "get_weather", "arguments": {"city": "Reykjavík", "unit": "f"}},
        {"id": "call_c", "name": "plot", "arguments": {"x": 1, "y": -2}},
    ]
    server.push(ChatScript(tool_calls=calls), ChatScript(text="Paris is warmer."))
    tools = [function_tool(GetWeather, name="get_weather"), function_tool(Point, name="plot")]
    messages: list[Any] = [{"role": "user", "content": "Compare Paris and Reykjavík."}]
    if stream:
        s = await client.chat.completions.create(
            model=MODEL, messages=messages, tools=tools, parallel_tool_calls=True, stream=True
        )
        async with s:
            async for _ in s:
                pass
        completion = s.get_final_completion()
    else:
        completion = await client.chat.completions.create(
            model=MODEL, messages=messages, tools=tools, parallel_tool_calls=True
        )
    message = completion.choices[0].message
    assert completion.choices[0].finish_reason == "tool_calls"
    assert message.tool_calls is not None and len(message.tool_calls) == 3
    messages.append(message)
    results = {"get_weather": GetWeather, "plot": Point}
    parsed = []
    for call in message.tool_calls:
        args = parse_tool_arguments(call, results[call.function.name])
        parsed.append(args)
        messages.append(tool_result_message(call, {"ok": True, "echo": args}))
    assert parsed == [GetWeather("Paris"), GetWeather("Reykjavík", "f"), Point(1, -2)]
    final = await client.chat.completions.create(model=MODEL, messages=messages, tools=tools)
    assert final.choices[0].message.content == "Paris is warmer."
    sent = server.requests[-1].json()["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool", "tool"]
    assert [tc["id"] for tc in sent[1]["tool_calls"]] == ["call_a", "call_b", "call_c"]
    assert [m["tool_call_id"] for m in sent[2:]] == ["call_a", "call_b", "call_c"]
    assert json.loads(sent[3]["content"]) == {
        "ok": True,
        "echo": {"city": "Reykjavík", "unit": "f"},
    }
