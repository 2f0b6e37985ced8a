"""Tool parameter schemas (and json_schema response formats) are checked as JSON Schema: the
meta-schema's shapes, with the exact path of the mistake; compared with the jsonschema package's
own meta-schema check on generated schemas; image detail; tool messages answer a call."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio._errors import InvalidParameterError
from groq_anyio._jsonschema import MAX_DEPTH, check_schema
from groq_anyio._validation import validate_chat_request
from groq_anyio.testing import GroqTestServer
from groq_anyio.types import ChatCompletionRequest

MODEL = "llama-3.3-70b-versatile"
HI = [{"role": "user", "content": "hi"}]
P = "tools[0].function.parameters"


def tool(parameters: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": "f", "parameters": parameters}}


def fails_at(param: str, parameters: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        validate_chat_request(
            ChatCompletionRequest(model=MODEL, messages=HI, tools=[tool(parameters)])
        )
    assert info.value.param == param, info.value


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


VALID = [
    {},
    {"type": "object"},
    obj(city={"type": "string", "description": "a city"}, n={"type": "integer", "minimum": 0}),
    {
        "type": "object",
        "properties": {
            "unit": {"type": "string", "enum": ["c", "f"]},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "at": {"type": ["string", "null"], "format": "date-time"},
            "any": True,
            "pair": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}]},
            "choice": {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/point"}]},
            "n": {"type": "number", "enum": [1, 2.5], "multipleOf": 0.5},
        },
        "required": ["unit"],
        "additionalProperties": False,
        "$defs": {"point": obj(x={"type": "number"}, y={"type": "number"})},
    },
    {
        "type": "object",
        "patternProperties": {"^x-": {"type": "string"}},
        "required": ["x-a"],
        "additionalProperties": False,
    },
    {"type": "object", "x-vendor": {"anything": [1, 2]}, "nullable": True},
    {"type": "object", "properties": {"n": {"type": "integer", "minLength": 1.0}}},
]


@pytest.mark.parametrize("parameters", VALID)
def test_valid_schemas_pass(parameters: Any) -> None:
    validate_chat_request(ChatCompletionRequest(model=MODEL, messages=HI, tools=[tool(parameters)]))
    jsonschema.Draft202012Validator.check_schema(parameters)  # and the reference agrees


FAILING: list[tuple[str, Any]] = [
    (P, "not a schema"),
    (P, {"type": "string"}),  # the root must be an object schema
    (P, {"properties": {}}),  # (without "type": "object")
    (f"{P}.properties.a.type", obj(a={"type": ["string", "string"]})),
    (f"{P}.properties", {"type": "object", "properties": ["a"]}),
    (f"{P}.properties.a", obj(a="string")),
    (f"{P}.properties.a.type", obj(a={"type": "str"})),
    (f"{P}.properties.a.type[1]", obj(a={"type": ["string", "text"]})),
    (f"{P}.properties.a.type", obj(a={"type": []})),
    (f"{P}.required", {"type": "object", "required": "a"}),
    (f"{P}.required[1]", {"type": "object", "required": ["a", 1]}),
    (f"{P}.required", {"type": "object", "required": ["a", "a"]}),
    (f"{P}.properties.a.items", obj(a={"type": "array", "items": "string"})),
    (
        f"{P}.properties.a.items.properties.b.enum",
        obj(a={"type": "array", "items": obj(b={"enum": "x"})}),
    ),
    (f"{P}.properties.a.enum[1]", obj(a={"type": "string", "enum": ["x", 2]})),
    (f"{P}.properties.a.const", obj(a={"type": "integer", "const": "1"})),
    (f"{P}.properties.a.anyOf", obj(a={"anyOf": []})),
    (f"{P}.properties.a.oneOf[1]", obj(a={"oneOf": [{"type": "string"}, 5]})),
    (f"{P}.properties.a.minimum", obj(a={"type": "number", "minimum": "0"})),
    (f"{P}.properties.a.minimum", obj(a={"type": "number", "minimum": 5, "maximum": 1})),
    (f"{P}.properties.a.maxLength", obj(a={"type": "string", "maxLength": -1})),
    (f"{P}.properties.a.minItems", obj(a={"type": "array", "minItems": True})),
    (f"{P}.properties.a.multipleOf", obj(a={"type": "number", "multipleOf": 0})),
    (f"{P}.properties.a.description", obj(a={"type": "string", "description": 5})),
    (f"{P}.properties.a.uniqueItems", obj(a={"type": "array", "uniqueItems": "yes"})),
    (f"{P}.additionalProperties", {"type": "object", "additionalProperties": "no"}),
    (f"{P}.$defs.x.type", {"type": "object", "$defs": {"x": {"type": "thing"}}}),
    (
        f"{P}.required[0]",
        {"type": "object", "properties": {}, "required": ["a"], "additionalProperties": False},
    ),
]


@pytest.mark.parametrize(("param", "parameters"), FAILING, ids=[f[0] for f in FAILING])
def test_schema_mistakes_are_refused_with_their_path(param: str, parameters: Any) -> None:
    fails_at(param, parameters)


def test_response_format_schema_is_checked_too() -> None:
    rf = {"type": "json_schema", "json_schema": {"name": "x", "schema": obj(a={"type": "strin"})}}
    with pytest.raises(InvalidParameterError) as info:
        validate_chat_request(ChatCompletionRequest(model=MODEL, messages=HI, response_format=rf))
    assert info.value.param == "response_format.json_schema.schema.properties.a.type"


def test_deep_or_cyclic_schemas_are_refused_not_recursed_forever() -> None:
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(MAX_DEPTH + 5):
        deep = {"type": "array", "items": deep}
    with pytest.raises(InvalidParameterError, match="nested more than"):
        check_schema("s", {"type": "object", "properties": {"a": deep}})
    cyclic: dict[str, Any] = {"type": "object", "properties": {}}
    cyclic["properties"]["self"] = cyclic
    with pytest.raises(InvalidParameterError, match="nested more than"):
        check_schema("s", cyclic)


# -- compared with the jsonschema package's meta-schema check ---------------------------------

_names = st.sampled_from(["a", "b", "c"])
_types = st.sampled_from(["object", "array", "string", "number", "integer", "boolean", "null"])
_bad_types = st.sampled_from(["str", "int", "float", "list", "dict", ""])
_any = st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=3)


def _keywords(schema: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Each keyword with well-formed or malformed values (but never two keywords whose
    combination the checker refuses as unsatisfiable: enum/const without type, one of each
    min/max pair, required without additionalProperties)."""
    values: dict[str, st.SearchStrategy[Any]] = {
        "type": _types | _bad_types | st.lists(_types, max_size=3) | st.integers(),
        "properties": st.dictionaries(_names, schema, max_size=2) | st.lists(_names) | _any,
        "required": st.lists(_names, max_size=3) | _names | st.lists(st.integers(), max_size=2),
        "items": schema | _any,
        "enum": st.lists(_any, max_size=3) | st.text(max_size=2) | st.integers(),
        "anyOf": st.lists(schema, max_size=2) | _any,
        "allOf": st.lists(schema, max_size=2),
        "not": schema | st.integers(),
        "additionalProperties": schema | st.integers() | st.text(max_size=2),
        "minimum": st.integers(-5, 5)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=2)
        | st.booleans(),
        "maxLength": st.integers(-3, 5) | st.floats(0, 5) | st.text(max_size=2),
        "minItems": st.integers(-3, 5) | st.booleans(),
        "multipleOf": st.integers(-3, 3) | st.floats(-2, 2, allow_nan=False),
        "description": st.text(max_size=3) | st.integers(),
        "uniqueItems": st.booleans() | st.integers(0, 1) | st.text(max_size=1),
        "$defs": st.dictionaries(_names, schema, max_size=2) | st.integers(),
        "x-vendor": _any,
    }
    return st.fixed_dictionaries({}, optional=values)


def _drop_unsatisfiable_combinations(s: dict[str, Any]) -> dict[str, Any]:
    if "type" in s:
        s.pop("enum", None)
    return s


schemas = st.recursive(
    st.booleans() | st.just({}),
    lambda inner: _keywords(inner).map(_drop_unsatisfiable_combinations),
    max_leaves=6,
)


@settings(max_examples=400, deadline=None)
@given(sub=schemas)
def test_agrees_with_the_jsonschema_meta_schema(sub: Any) -> None:
    schema = {"type": "object", "properties": {"p": sub}}
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        reference_ok = True
    except jsonschema.SchemaError:
        reference_ok = False
    try:
        check_schema("s", schema, root_object=True)
        ours_ok = True
    except InvalidParameterError as err:
        ours_ok = False
        assert err.param.startswith("s.properties.p"), err
    assert ours_ok == reference_ok, (schema, ours_ok, reference_ok)


# -- image detail and tool messages -----------------------------------------------------------


@given(detail=st.text(max_size=6).filter(lambda d: d not in ("auto", "low", "high")))
def test_image_detail_outside_auto_low_high_is_refused(detail: str) -> None:
    part = {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": detail}}
    messages = [{"role": "user", "content": [part]}]
    for msgs in (
        messages,
        [
            g.types.UserMessage(
                content=[
                    g.types.ImageContentPart(
                        image_url=g.types.ImageURL(url="https://x/y.png", detail=detail)
                    )
                ]
            )
        ],
    ):
        with pytest.raises(InvalidParameterError) as info:
            validate_chat_request(ChatCompletionRequest(model=MODEL, messages=msgs))
        assert info.value.param == "messages[0].content[0].image_url.detail"


def test_tool_message_must_answer_an_earlier_call() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    answered = [
        *HI,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ]
    validate_chat_request(ChatCompletionRequest(model=MODEL, messages=answered))
    for bad, index in [
        ([*HI, {"role": "tool", "tool_call_id": "c1", "content": "ok"}], 1),
        ([*answered, {"role": "tool", "tool_call_id": "c2", "content": "ok"}], 3),
        # the answer before the call does not count
        ([*HI, answered[2], answered[1]], 1),
    ]:
        with pytest.raises(InvalidParameterError) as info:
            validate_chat_request(ChatCompletionRequest(model=MODEL, messages=bad))
        assert info.value.param == f"messages[{index}].tool_call_id"
        assert "answers no tool call" in info.value.message


@pytest.mark.anyio
async def test_bad_schema_and_orphan_tool_message_are_not_sent(anyio_backend: Any) -> None:
    async with GroqTestServer() as srv:
        async with AsyncGroq(api_key="gsk_x", base_url=srv.base_url, max_retries=0) as client:
            with pytest.raises(g.InvalidParameterError) as info:
                await client.chat.completions.create(
                    model=MODEL, messages=HI, tools=[tool(obj(a={"type": "strng"}))]
                )
            assert info.value.param == f"{P}.properties.a.type"
            with pytest.raises(g.InvalidParameterError) as info:
                await client.chat.completions.create(
                    model=MODEL,
                    messages=[*HI, {"role": "tool", "tool_call_id": "x", "content": "?"}],
                    stream=True,
                )
            assert info.value.param == "messages[1].tool_call_id"
            assert not srv.requests
            ok = await client.chat.completions.create(
                model=MODEL, messages=HI, tools=[tool(obj(a={"type": "string"}))]
            )
            assert ok.choices and len(srv.requests) == 1
