"""validate_chat_request and validate_header_value: each rule passes and fails with its param."""

from __future__ import annotations

import math
import time
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import groq_anyio.types as t
from groq_anyio._errors import InvalidParameterError
from groq_anyio._validation import (
    REASONING_EFFORTS,
    REASONING_FORMATS,
    SERVICE_TIERS,
    validate_chat_request,
    validate_header_value,
)

from ._traffic import recordings

MODEL = "llama-3.3-70b-versatile"
HI = [{"role": "user", "content": "hi"}]
FN_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object"}},
}


def req(**kw: Any) -> t.ChatCompletionRequest:
    kw.setdefault("model", MODEL)
    kw.setdefault("messages", HI)
    return t.ChatCompletionRequest(**kw)


def assert_fails(param: str, **kw: Any) -> InvalidParameterError:
    with pytest.raises(InvalidParameterError) as info:
        validate_chat_request(req(**kw))
    assert info.value.param == param, info.value
    return info.value


def call(id: str = "c1", name: str = "get_weather") -> dict[str, Any]:
    return {"id": id, "type": "function", "function": {"name": name, "arguments": "{}"}}


# ------------------------------------------------------------------------ passing


PASSING: dict[str, dict[str, Any]] = {
    "minimal": {},
    "every role as dicts": {
        "messages": [
            {"role": "system", "content": "be brief", "name": "sys"},
            {"role": "developer", "content": [{"type": "text", "text": "dev"}]},
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": None, "tool_calls": [call()]},
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
            {"role": "assistant", "function_call": {"name": "f", "arguments": "{}"}},
            {"role": "function", "name": "f", "content": None},
            {"role": "assistant", "content": "It is sunny."},
        ]
    },
    "every role as structs": {
        "messages": (
            t.SystemMessage(content="be brief"),
            t.DeveloperMessage(content=[t.TextContentPart(text="dev")]),
            t.UserMessage(
                content=[
                    t.TextContentPart(text="what is this?"),
                    t.ImageContentPart(image_url=t.ImageURL(url="data:image/png;base64,AA")),
                    t.DocumentContentPart(document=t.DocumentContentPartData(data={"a": 1})),
                ]
            ),
            t.AssistantMessage(
                tool_calls=[
                    t.AssistantToolCall(id="c1", function=t.FunctionCall(name="f", arguments="{}"))
                ]
            ),
            t.ToolMessage(content=[t.TextContentPart(text="sunny")], tool_call_id="c1"),
            t.FunctionMessage(name="f", content="x"),
            t.ChatCompletionMessage(role="assistant", content="done"),
        )
    },
    "user parts as dicts": {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look"},
                    {
                        "type": "image_url",
                        "image_url": {"url": "https://e/x.png", "detail": "high"},
                    },
                    {"type": "image_url", "image_url": t.ImageURL(url="https://e/y.png")},
                    {"type": "document", "document": {"data": {"k": "v"}, "id": "d"}},
                ],
            }
        ]
    },
    "a previous reply with tool calls": {
        "messages": [
            *HI,
            t.ChatCompletionMessage(
                role="assistant",
                tool_calls=[
                    t.ChatCompletionMessageToolCall(
                        id="c1", type="function", function=t.FunctionCall(name="f", arguments="")
                    )
                ],
            ),
            {"role": "tool", "tool_call_id": "c1", "content": ""},
        ]
    },
    "assistant content as text parts": {
        "messages": [*HI, {"role": "assistant", "content": [{"type": "text", "text": "x"}]}]
    },
    "range ends": {
        "temperature": 0,
        "top_p": 1,
        "frequency_penalty": -2,
        "presence_penalty": 2.0,
        "seed": -(2**40),
        "max_tokens": 1,
        "max_completion_tokens": 131072,
        "n": 1,
    },
    "range ends 2": {
        "temperature": 2,
        "top_p": 0.0,
        "frequency_penalty": 2,
        "presence_penalty": -2,
    },
    "logprobs": {"logprobs": True, "top_logprobs": 0},
    "logprobs 20": {"logprobs": True, "top_logprobs": 20},
    "stop str": {"stop": "\n"},
    "stop list": {"stop": ["a", "b", "c", "d"]},
    "stop tuple": {"stop": ("a",)},
    "tools": {
        "tools": [
            FN_TOOL,
            {"type": "function", "function": {"name": "no_params"}},
            {"type": "function", "function": {"name": "empty_params", "parameters": {}}},
            {"type": "browser_search"},
            {"type": "code_interpreter"},
            {"type": "mcp", "server_label": "x", "server_url": "https://mcp.example"},
            t.FunctionTool(
                function=t.FunctionDefinition(
                    name="A-b_9", description="d", parameters={"type": "object"}, strict=True
                )
            ),
            t.BrowserSearchTool(),
            t.CodeInterpreterTool(),
        ],
        "tool_choice": "required",
        "parallel_tool_calls": False,
    },
    "128 tools": {
        "tools": [
            {"type": "function", "function": {"name": f"t{i}", "parameters": {"type": "object"}}}
            for i in range(128)
        ]
    },
    "tool_choice none": {"tool_choice": "none"},
    "tool_choice auto": {"tools": [FN_TOOL], "tool_choice": "auto"},
    "named tool_choice dict": {
        "tools": [FN_TOOL],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    },
    "named tool_choice struct": {
        "tools": [FN_TOOL],
        "tool_choice": t.NamedToolChoice(function=t.NamedToolChoiceFunction(name="get_weather")),
    },
    "response_format text": {"response_format": {"type": "text"}},
    "response_format json_object": {"response_format": t.ResponseFormatJSONObject()},
    "response_format json_schema dict": {
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "out", "schema": {"type": "object"}, "strict": True},
        }
    },
    "response_format json_schema struct": {
        "response_format": t.ResponseFormatJSONSchema(
            json_schema=t.JSONSchema(name="out", schema={"type": "object"})
        )
    },
    "response_format json_schema struct inside dict": {
        "response_format": {
            "type": "json_schema",
            "json_schema": t.JSONSchema(name="out", schema={}),
        }
    },
    "logit_bias": {"logit_bias": {"1": -100, "2": 100, "3": 0.5}},
    "metadata": {"metadata": {"k": "v"}},
    "bools": {
        "stream": True,
        "store": False,
        "include_reasoning": True,
        "disable_tool_validation": False,
    },
    "stream_options dict": {"stream": True, "stream_options": {"include_usage": True}},
    "stream_options struct": {"stream": True, "stream_options": t.StreamOptions()},
    "search": {
        "search_settings": t.SearchSettings(country="germany"),
        "include_domains": ["a.com"],
        "exclude_domains": [],
        "documents": [
            {"source": {"type": "text", "text": "x"}},
            t.Document(source=t.DocumentSourceText(text="y")),
        ],
        "compound_custom": {"models": {"answering_model": MODEL}},
        "citation_options": "enabled",
        "user": "u-1",
    },
    "functions": {
        "functions": [
            {"name": "f", "parameters": {"type": "object"}},
            t.FunctionDefinition(name="g"),
        ],
        "function_call": {"name": "g"},
    },
    "function_call mode": {"function_call": "auto"},
    "function_call struct": {
        "functions": [{"name": "f"}],
        "function_call": t.FunctionCallOption(name="f"),
    },
}
PASSING.update({f"reasoning_format {v}": {"reasoning_format": v} for v in REASONING_FORMATS})
PASSING.update({f"reasoning_effort {v}": {"reasoning_effort": v} for v in REASONING_EFFORTS})
PASSING.update({f"service_tier {v}": {"service_tier": v} for v in SERVICE_TIERS})


@pytest.mark.parametrize("kw", list(PASSING.values()), ids=list(PASSING))
def test_valid_requests_pass(kw: dict[str, Any]) -> None:
    validate_chat_request(req(**kw))


def test_developer_role_exists_in_the_sdk() -> None:
    groq_types = pytest.importorskip("groq.types.chat.chat_completion_system_message_param")
    role = groq_types.ChatCompletionSystemMessageParam.__annotations__["role"]
    assert "developer" in str(role)


def test_recorded_requests_pass() -> None:
    seen = 0
    for rec in recordings():
        data = rec.load()
        if not data["request"].get("path", "").endswith("/chat/completions"):
            continue
        validate_chat_request(msgspec.convert(data["request"]["body"], t.ChatCompletionRequest))
        seen += 1
    assert seen >= 20


# ------------------------------------------------------------------------ failing

_long_name = "a" * 65
_IMAGE_PART = t.ImageContentPart(image_url=t.ImageURL(url="u"))
FAILING: list[tuple[str, dict[str, Any]]] = [
    # model
    ("model", {"model": None}),
    ("model", {"model": ""}),
    ("model", {"model": 5}),
    # messages
    ("messages", {"messages": []}),
    ("messages", {"messages": None}),
    ("messages", {"messages": "hi"}),
    ("messages", {"messages": {"role": "user", "content": "hi"}}),
    ("messages[1]", {"messages": [*HI, 5]}),
    ("messages[1]", {"messages": [*HI, t.TextContentPart(text="x")]}),
    ("messages[0].role", {"messages": [{"content": "x"}]}),
    ("messages[0].role", {"messages": [{"role": "narrator", "content": "x"}]}),
    ("messages[0].role", {"messages": [{"role": ["user"], "content": "x"}]}),
    ("messages[0].name", {"messages": [{"role": "user", "content": "x", "name": 5}]}),
    # tool messages
    ("messages[1].tool_call_id", {"messages": [*HI, {"role": "tool", "content": "x"}]}),
    (
        "messages[1].tool_call_id",
        {"messages": [*HI, {"role": "tool", "content": "x", "tool_call_id": 5}]},
    ),
    ("messages[1].content", {"messages": [*HI, {"role": "tool", "tool_call_id": "c"}]}),
    # user / system content
    ("messages[0].content", {"messages": [{"role": "user"}]}),
    ("messages[0].content", {"messages": [{"role": "user", "content": None}]}),
    ("messages[0].content", {"messages": [{"role": "user", "content": 5}]}),
    ("messages[0].content", {"messages": [{"role": "system", "content": None}]}),
    ("messages[0].content", {"messages": [{"role": "developer", "content": {"text": "x"}}]}),
    ("messages[0].content[0]", {"messages": [{"role": "user", "content": [5]}]}),
    (
        "messages[0].content[0].type",
        {"messages": [{"role": "user", "content": [{"type": "video"}]}]},
    ),
    ("messages[0].content[0].type", {"messages": [{"role": "user", "content": [{"text": "x"}]}]}),
    (
        "messages[0].content[0].text",
        {"messages": [{"role": "user", "content": [{"type": "text"}]}]},
    ),
    (
        "messages[0].content[1].image_url.url",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "a"},
                        {"type": "image_url", "image_url": {}},
                    ],
                }
            ]
        },
    ),
    (
        "messages[0].content[0].image_url",
        {
            "messages": [
                {"role": "user", "content": [{"type": "image_url", "image_url": "https://e"}]}
            ]
        },
    ),
    (
        "messages[0].content[0].document.data",
        {
            "messages": [
                {"role": "user", "content": [{"type": "document", "document": {"data": "x"}}]}
            ]
        },
    ),
    (
        "messages[0].content[0].document",
        {"messages": [{"role": "user", "content": [{"type": "document"}]}]},
    ),
    (
        "messages[0].content[0].type",
        {
            "messages": [
                {"role": "system", "content": [{"type": "image_url", "image_url": {"url": "u"}}]}
            ]
        },
    ),
    (
        "messages[0].content[0].type",
        {
            "messages": [
                t.SystemMessage(content=[_IMAGE_PART])  # type: ignore[list-item]
            ]
        },
    ),
    # assistant
    ("messages[1].content", {"messages": [*HI, {"role": "assistant"}]}),
    (
        "messages[1].content",
        {"messages": [*HI, {"role": "assistant", "content": None, "tool_calls": []}]},
    ),
    ("messages[1].content", {"messages": [*HI, t.AssistantMessage()]}),
    ("messages[1].content", {"messages": [*HI, {"role": "assistant", "content": 5}]}),
    ("messages[1].tool_calls", {"messages": [*HI, {"role": "assistant", "tool_calls": "x"}]}),
    ("messages[1].tool_calls[0]", {"messages": [*HI, {"role": "assistant", "tool_calls": [5]}]}),
    (
        "messages[1].tool_calls[0].id",
        {"messages": [*HI, {"role": "assistant", "tool_calls": [{"function": {"name": "f"}}]}]},
    ),
    (
        "messages[1].tool_calls[0].function",
        {"messages": [*HI, {"role": "assistant", "tool_calls": [{"id": "c"}]}]},
    ),
    (
        "messages[1].tool_calls[0].function.name",
        {"messages": [*HI, {"role": "assistant", "tool_calls": [{"id": "c", "function": {}}]}]},
    ),
    (
        "messages[1].tool_calls[0].function.arguments",
        {
            "messages": [
                *HI,
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": {}}}],
                },
            ]
        },
    ),
    # function messages
    ("messages[1].name", {"messages": [*HI, {"role": "function", "content": "x"}]}),
    ("messages[1].content", {"messages": [*HI, {"role": "function", "name": "f", "content": 5}]}),
    # ranges and numbers
    ("temperature", {"temperature": -0.1}),
    ("temperature", {"temperature": 2.01}),
    ("temperature", {"temperature": True}),
    ("temperature", {"temperature": "1"}),
    ("temperature", {"temperature": math.nan}),
    ("temperature", {"temperature": math.inf}),
    ("top_p", {"top_p": 1.5}),
    ("top_p", {"top_p": -1e-9}),
    ("frequency_penalty", {"frequency_penalty": -2.5}),
    ("presence_penalty", {"presence_penalty": 3}),
    ("presence_penalty", {"presence_penalty": False}),
    ("top_logprobs", {"logprobs": True, "top_logprobs": 21}),
    ("top_logprobs", {"logprobs": True, "top_logprobs": 1.0}),
    ("top_logprobs", {"top_logprobs": 5}),
    ("top_logprobs", {"logprobs": False, "top_logprobs": 5}),
    ("logprobs", {"logprobs": 1}),
    ("n", {"n": 2}),
    ("n", {"n": True}),
    ("n", {"n": 1.0}),
    ("seed", {"seed": 1.5}),
    ("seed", {"seed": True}),
    ("seed", {"seed": "1"}),
    ("max_tokens", {"max_tokens": 0}),
    ("max_tokens", {"max_tokens": -5}),
    ("max_tokens", {"max_tokens": 10.0}),
    ("max_tokens", {"max_tokens": True}),
    ("max_completion_tokens", {"max_completion_tokens": 0}),
    ("max_completion_tokens", {"max_completion_tokens": "100"}),
    # stop
    ("stop", {"stop": 5}),
    ("stop", {"stop": ["a", "b", "c", "d", "e"]}),
    ("stop[1]", {"stop": ["a", None]}),
    # tools
    ("tools", {"tools": "get_weather"}),
    ("tools", {"tools": [FN_TOOL] * 129}),
    ("tools[1]", {"tools": [FN_TOOL, 5]}),
    ("tools[0].type", {"tools": [{"type": "video"}]}),
    ("tools[0].type", {"tools": [{"function": {"name": "f"}}]}),
    ("tools[0].function", {"tools": [{"type": "function"}]}),
    ("tools[0].function", {"tools": [{"type": "function", "function": "f"}]}),
    ("tools[0].function.name", {"tools": [{"type": "function", "function": {}}]}),
    ("tools[0].function.name", {"tools": [{"type": "function", "function": {"name": ""}}]}),
    (
        "tools[0].function.name",
        {"tools": [{"type": "function", "function": {"name": "get weather"}}]},
    ),
    ("tools[0].function.name", {"tools": [{"type": "function", "function": {"name": _long_name}}]}),
    ("tools[0].function.name", {"tools": [{"type": "function", "function": {"name": "f\n"}}]}),
    (
        "tools[0].function.name",
        {"tools": [t.FunctionTool(function=t.FunctionDefinition(name="a.b"))]},
    ),
    (
        "tools[0].function.parameters",
        {"tools": [{"type": "function", "function": {"name": "f", "parameters": "{}"}}]},
    ),
    (
        "tools[0].function.parameters",
        {
            "tools": [
                {"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}}
            ]
        },
    ),
    (
        "tools[1].function.parameters",
        {
            "tools": [
                FN_TOOL,
                {"type": "function", "function": {"name": "g", "parameters": {"properties": {}}}},
            ]
        },
    ),
    (
        "tools[0].function.strict",
        {"tools": [{"type": "function", "function": {"name": "f", "strict": "yes"}}]},
    ),
    (
        "tools[0].function.description",
        {"tools": [{"type": "function", "function": {"name": "f", "description": 5}}]},
    ),
    # tool_choice
    ("tool_choice", {"tool_choice": "any"}),
    ("tool_choice", {"tool_choice": 5}),
    (
        "tool_choice.type",
        {"tools": [FN_TOOL], "tool_choice": {"type": "tool", "function": {"name": "get_weather"}}},
    ),
    ("tool_choice.function.name", {"tools": [FN_TOOL], "tool_choice": {"type": "function"}}),
    (
        "tool_choice.function.name",
        {"tools": [FN_TOOL], "tool_choice": {"type": "function", "function": {"name": "nope"}}},
    ),
    (
        "tool_choice.function.name",
        {"tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
    ),
    (
        "tool_choice.function.name",
        {
            "tools": [{"type": "browser_search"}],
            "tool_choice": t.NamedToolChoice(function=t.NamedToolChoiceFunction(name="x")),
        },
    ),
    # deprecated functions
    ("functions", {"functions": "f"}),
    ("functions[0].name", {"functions": [{"name": "bad name"}]}),
    ("function_call", {"function_call": "sometimes"}),
    ("function_call", {"function_call": 5}),
    ("function_call.name", {"functions": [{"name": "f"}], "function_call": {"name": "g"}}),
    # response_format
    ("response_format", {"response_format": "json"}),
    ("response_format.type", {"response_format": {"type": "xml"}}),
    ("response_format.type", {"response_format": {}}),
    ("response_format.json_schema", {"response_format": {"type": "json_schema"}}),
    (
        "response_format.json_schema.name",
        {"response_format": {"type": "json_schema", "json_schema": {"schema": {}}}},
    ),
    (
        "response_format.json_schema.schema",
        {"response_format": {"type": "json_schema", "json_schema": {"name": "n"}}},
    ),
    (
        "response_format.json_schema.schema",
        {"response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": "{}"}}},
    ),
    (
        "response_format.json_schema.strict",
        {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "n", "schema": {}, "strict": 1},
            }
        },
    ),
    # enum-like
    ("reasoning_format", {"reasoning_format": "verbose"}),
    ("reasoning_format", {"reasoning_format": ["raw"]}),
    ("reasoning_effort", {"reasoning_effort": "max"}),
    ("service_tier", {"service_tier": "premium"}),
    ("service_tier", {"service_tier": 1}),
    # logit_bias / metadata
    ("logit_bias", {"logit_bias": [1, 2]}),
    ("logit_bias", {"logit_bias": {1: 5}}),
    ("logit_bias['1']", {"logit_bias": {"1": 101}}),
    ("logit_bias['1']", {"logit_bias": {"1": True}}),
    ("metadata", {"metadata": "x"}),
    ("metadata", {"metadata": {"k": 1}}),
    ("metadata", {"metadata": {1: "v"}}),
    # bools
    ("stream", {"stream": "yes"}),
    ("store", {"store": 1}),
    ("parallel_tool_calls", {"parallel_tool_calls": "true"}),
    ("include_reasoning", {"include_reasoning": 0}),
    ("disable_tool_validation", {"disable_tool_validation": "no"}),
    # the rest
    ("stream_options", {"stream_options": True}),
    ("stream_options.include_usage", {"stream_options": {"include_usage": "yes"}}),
    ("user", {"user": 5}),
    ("citation_options", {"citation_options": True}),
    ("include_domains", {"include_domains": "a.com"}),
    ("exclude_domains[0]", {"exclude_domains": [1]}),
    ("search_settings", {"search_settings": "x"}),
    ("compound_custom", {"compound_custom": ["x"]}),
    ("documents", {"documents": "doc"}),
    ("documents[0]", {"documents": ["doc"]}),
]


@pytest.mark.parametrize(
    ("param", "kw"), FAILING, ids=[f"{p}-{i}" for i, (p, _) in enumerate(FAILING)]
)
def test_invalid_requests_fail_with_the_param(param: str, kw: dict[str, Any]) -> None:
    err = assert_fails(param, **kw)
    assert isinstance(err, ValueError)  # InvalidParameterError is also a ValueError
    assert str(err).startswith(f"{param}: ")


def test_every_passing_rule_has_a_failing_twin() -> None:
    failing_roots = {p.split("[")[0].split(".")[0] for p, _ in FAILING}
    checked = set(t.ChatCompletionRequest.__struct_fields__)
    assert checked <= failing_roots


# ------------------------------------------------------------------------ hypothesis

RANGES = [
    ("temperature", 0, 2),
    ("top_p", 0, 1),
    ("frequency_penalty", -2, 2),
    ("presence_penalty", -2, 2),
]
numbers = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**6), 10**6)


@pytest.mark.parametrize(("param", "lo", "hi"), RANGES)
@given(value=numbers)
def test_ranged_floats(param: str, lo: float, hi: float, value: float) -> None:
    if lo <= value <= hi:
        validate_chat_request(req(**{param: value}))
    else:
        assert_fails(param, **{param: value})


@pytest.mark.parametrize(("param", "lo", "hi"), RANGES)
@given(value=st.floats(min_value=-2, max_value=2))
def test_ranged_floats_inside(param: str, lo: float, hi: float, value: float) -> None:
    if lo <= value <= hi:
        validate_chat_request(req(**{param: value}))
    else:
        assert_fails(param, **{param: value})


@given(value=st.integers(-(10**4), 10**4))
def test_top_logprobs_range(value: int) -> None:
    if 0 <= value <= 20:
        validate_chat_request(req(logprobs=True, top_logprobs=value))
    else:
        assert_fails("top_logprobs", logprobs=True, top_logprobs=value)


@pytest.mark.parametrize("param", ["max_tokens", "max_completion_tokens"])
@given(value=st.integers(-(2**70), 2**70))
def test_token_limits(param: str, value: int) -> None:
    if value >= 1:
        validate_chat_request(req(**{param: value}))
    else:
        assert_fails(param, **{param: value})


@given(value=st.integers(-(2**70), 2**70))
def test_any_integer_seed(value: int) -> None:
    validate_chat_request(req(seed=value))


@pytest.mark.parametrize(
    "param",
    [
        "temperature",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
        "seed",
        "max_tokens",
        "max_completion_tokens",
        "n",
    ],
)
@given(value=st.booleans())
def test_bools_are_not_numbers(param: str, value: bool) -> None:
    assert_fails(param, **{param: value})


@given(value=st.floats(allow_nan=True) | st.text() | st.none())
def test_bools_must_be_bools(value: Any) -> None:
    for param in ("stream", "store", "logprobs", "parallel_tool_calls", "include_reasoning"):
        if value is None:
            validate_chat_request(req(**{param: value}))
        else:
            assert_fails(param, **{param: value})


# --- messages


def _as_struct(message: dict[str, Any]) -> Any:
    return msgspec.convert(message, t.Message)


text = st.text(max_size=20)
call_ids = st.text(min_size=1, max_size=8)
fn_names = st.from_regex(r"[a-zA-Z0-9_-]{1,64}", fullmatch=True)
text_part = st.builds(lambda s: {"type": "text", "text": s}, text)
image_part = st.builds(
    lambda u, d: {"type": "image_url", "image_url": {"url": u, **({"detail": d} if d else {})}},
    text,
    st.sampled_from([None, "auto", "low", "high"]),
)
doc_part = st.builds(
    lambda d: {"type": "document", "document": {"data": d}},
    st.dictionaries(text, text, max_size=2),
)
any_part = text_part | image_part | doc_part
tool_call = st.builds(
    lambda i, n, a: {"id": i, "type": "function", "function": {"name": n, "arguments": a}},
    call_ids,
    fn_names,
    text,
)
valid_message = st.one_of(
    st.builds(lambda c: {"role": "system", "content": c}, text | st.lists(text_part, max_size=3)),
    st.builds(
        lambda c: {"role": "developer", "content": c}, text | st.lists(text_part, max_size=3)
    ),
    st.builds(lambda c: {"role": "user", "content": c}, text | st.lists(any_part, max_size=4)),
    st.builds(lambda c: {"role": "assistant", "content": c}, text),
    st.builds(
        lambda c, calls: {"role": "assistant", "content": c, "tool_calls": calls},
        st.none() | text,
        st.lists(tool_call, min_size=1, max_size=3),
    ),
    st.builds(
        lambda i, c: {"role": "tool", "tool_call_id": i, "content": c},
        call_ids,
        text | st.lists(any_part, max_size=2),
    ),
    st.builds(
        lambda n, c: {"role": "function", "name": n, "content": c}, fn_names, st.none() | text
    ),
)


@given(messages=st.lists(valid_message, min_size=1, max_size=12), structs=st.booleans())
def test_valid_message_lists_pass(messages: list[dict[str, Any]], structs: bool) -> None:
    images = sum(
        1
        for m in messages
        if m["role"] in ("user", "tool") and isinstance(m.get("content"), list)
        for p in m["content"]
        if p["type"] == "image_url"
    )
    # a tool message must answer a tool call of an earlier assistant message
    unanswered = None
    seen: set[str] = set()
    for i, m in enumerate(messages):
        seen.update(c["id"] for c in m.get("tool_calls") or [])
        if m["role"] == "tool" and m["tool_call_id"] not in seen:
            unanswered = i
            break
    if structs:
        messages = [_as_struct(m) for m in messages]
    if unanswered is not None:
        assert_fails(f"messages[{unanswered}].tool_call_id", messages=messages)
        return
    if images > 5:  # Groq takes at most 5 images per request
        with pytest.raises(InvalidParameterError, match="at most 5 images"):
            validate_chat_request(req(messages=messages))
        return
    validate_chat_request(req(messages=messages))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
MESSAGE_KEYS = ["role", "content", "tool_call_id", "tool_calls", "name", "function_call"]
PART_KEYS = ["type", "text", "image_url", "document"]
weird_part = st.dictionaries(
    st.sampled_from(PART_KEYS),
    json_values | st.sampled_from(["text", "image_url", "document"]) | st.just({"url": "u"}),
)
weird_message = st.dictionaries(
    st.sampled_from(MESSAGE_KEYS),
    json_values
    | st.sampled_from(["user", "system", "developer", "assistant", "tool", "function"])
    | st.lists(weird_part | json_values, max_size=3)
    | st.lists(
        st.dictionaries(st.sampled_from(["id", "function", "type"]), json_values), max_size=2
    ),
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(messages=st.lists(weird_message | valid_message | json_values, max_size=6) | json_values)
def test_fuzzed_messages_only_ever_raise_invalid_parameter(messages: Any) -> None:
    param = "messages"
    try:
        validate_chat_request(req(messages=messages))
    except InvalidParameterError as exc:  # anything else fails the test
        param = exc.param
    assert param.startswith("messages")


FIELDS = [f for f in t.ChatCompletionRequest.__struct_fields__ if f != "messages"]
tool_like = st.dictionaries(
    st.sampled_from(["type", "function"]),
    json_values
    | st.sampled_from(["function", "browser_search"])
    | st.dictionaries(
        st.sampled_from(["name", "parameters", "strict", "description"]), json_values | fn_names
    ),
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    field=st.sampled_from(FIELDS),
    value=json_values | st.lists(tool_like, max_size=3) | tool_like,
    tools=st.none() | st.lists(tool_like, max_size=2),
)
def test_fuzzed_parameters_only_ever_raise_invalid_parameter(
    field: str, value: Any, tools: Any
) -> None:
    kw: dict[str, Any] = {field: value}
    if field != "tools":
        kw["tools"] = tools
    param = field
    try:
        validate_chat_request(req(**kw))
    except InvalidParameterError as exc:  # anything else fails the test
        param = exc.param
    assert param.split("[")[0].split(".")[0] in (field, "tools")


# ------------------------------------------------------------------------ headers


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Title", "my app"),
        ("x-stainless-retry-count", "0"),
        ("a", ""),
        ("X-Name", "café"),
    ],
)
def test_good_headers_pass(name: str, value: Any) -> None:
    validate_header_value(name, value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-A", "a\r\nX-Injected: 1"),
        ("X-A", "a\nb"),
        ("X-A", "a\rb"),
        ("X-A", "a\0b"),
        ("X-A", b"a\r\nb"),
        ("X-A", b"bytes are not accepted"),
        ("X-A", "not latin-1: \u2603"),
        ("X-A", None),
        ("X-A", 5),
        ("", "v"),
        ("X A", "v"),
        ("X-A:", "v"),
        ("X-A\r\n", "v"),
        (5, "v"),
    ],
)
def test_bad_headers_fail(name: Any, value: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        validate_header_value(name, value)
    assert info.value.param == f"headers[{name!r}]"


def test_header_errors_never_echo_the_value() -> None:
    with pytest.raises(InvalidParameterError) as info:
        validate_header_value("Authorization", "Bearer gsk_secret\r\n")
    assert "gsk_secret" not in str(info.value)


@given(before=st.text(), bad=st.sampled_from(["\r", "\n", "\0"]), after=st.text())
def test_header_values_with_cr_lf_nul_are_rejected(before: str, bad: str, after: str) -> None:
    with pytest.raises(InvalidParameterError):
        validate_header_value("X-Test", before + bad + after)


@given(
    value=st.text(
        st.characters(max_codepoint=255, blacklist_categories=("Cc",), blacklist_characters="\x7f")
    )
)
def test_header_values_without_controls_pass(value: str) -> None:
    value = value.strip(" \t")
    validate_header_value("X-Test", value)


# ------------------------------------------------------------------------ speed


def test_a_long_chat_with_tools_validates_in_microseconds_per_message() -> None:
    messages: list[Any] = [{"role": "system", "content": "You are helpful."}]
    for i in range(20):
        messages.append({"role": "user", "content": f"question {i}"})
        messages.append({"role": "assistant", "content": None, "tool_calls": [call(f"c{i}")]})
        messages.append({"role": "tool", "tool_call_id": f"c{i}", "content": "sunny"})
        messages.append({"role": "assistant", "content": f"answer {i}"})
    request = req(messages=messages, tools=[FN_TOOL], tool_choice="auto", temperature=0.5)
    validate_chat_request(request)
    rounds = 200
    best = math.inf
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            validate_chat_request(request)
        best = min(best, (time.perf_counter() - start) / rounds)
    per_message = best / len(messages)
    # about 0.4 µs on a 2-core VM; the bound leaves room for slow, busy CI machines
    assert per_message < 10e-6, f"{per_message * 1e6:.2f} µs per message"
