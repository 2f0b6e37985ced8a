"""The msgspec types: recorded Groq traffic decodes fully; requests encode to the API JSON."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

import groq_anyio.types as t
from groq_anyio.types import chat_completion, chat_param_dicts, chat_params, shared

from ._traffic import recordings

CHAT_PATH = "/chat/completions"


def _interactions() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for rec in recordings():
        data = rec.load()
        if data["request"].get("path", "").endswith(CHAT_PATH):
            out.append((rec.id, data))
    return out


def _is_stream(data: dict[str, Any]) -> bool:
    return "text/event-stream" in data["response"].get("headers", {}).get("content-type", "")


def _sse_data(body: str) -> list[str]:
    return [
        line[5:].strip()
        for line in body.splitlines()
        if line.startswith("data:") and line[5:].strip() != "[DONE]"
    ]


INTERACTIONS = _interactions()
COMPLETIONS = [
    pytest.param(d["response"]["body_text"], id=name)
    for name, d in INTERACTIONS
    if d["response"]["status"] == 200 and not _is_stream(d)
]
STREAMS = [
    pytest.param(d["response"]["body_text"], id=name)
    for name, d in INTERACTIONS
    if d["response"]["status"] == 200 and _is_stream(d)
]
ERRORS = [
    pytest.param(d["response"]["body_text"], id=name)
    for name, d in INTERACTIONS
    if d["response"]["status"] >= 400
]


def test_the_conformance_set_is_there() -> None:
    assert len(COMPLETIONS) >= 10
    assert len(STREAMS) >= 2
    kinds = {p.id.split("-")[0] for p in COMPLETIONS}  # type: ignore[union-attr]
    assert {"chat", "json", "reasoning", "tools", "vision"} <= kinds


def _assert_fully_typed(raw: Any, value: Any, path: str) -> None:
    """Every key of the recorded JSON is a typed field, recursively (nothing silently dropped)."""
    if isinstance(value, msgspec.Struct):
        assert isinstance(raw, dict), path
        fields = set(value.__struct_fields__)
        for key, item in raw.items():
            assert key in fields, f"{path}.{key} is not a field of {type(value).__name__}"
            _assert_fully_typed(item, getattr(value, key), f"{path}.{key}")
    elif isinstance(value, list) and value and isinstance(value[0], msgspec.Struct):
        assert isinstance(raw, list)
        for i, (r, v) in enumerate(zip(raw, value, strict=True)):
            _assert_fully_typed(r, v, f"{path}[{i}]")


completion_decoder = msgspec.json.Decoder(t.ChatCompletion)
chunk_decoder = msgspec.json.Decoder(t.ChatCompletionChunk)


@pytest.mark.parametrize("body", COMPLETIONS)
def test_recorded_completion_decodes_from_bytes(body: str) -> None:
    completion = completion_decoder.decode(body.encode())
    _assert_fully_typed(json.loads(body), completion, "$")
    assert completion.choices
    assert completion.choices[0].message.role == "assistant"
    assert completion.usage is not None
    assert completion.usage.total_tokens > 0
    # to_json round-trips to an equal value
    assert completion_decoder.decode(completion.to_json()) == completion


@pytest.mark.parametrize("body", STREAMS)
def test_recorded_stream_chunks_decode_from_bytes(body: str) -> None:
    lines = _sse_data(body)
    assert lines
    for line in lines:
        chunk = chunk_decoder.decode(line.encode())
        _assert_fully_typed(json.loads(line), chunk, "$")
        assert chunk.id
        assert chunk.object == "chat.completion.chunk"
        assert chunk_decoder.decode(chunk.to_json()) == chunk


@pytest.mark.parametrize("body", ERRORS)
def test_recorded_error_bodies_decode(body: str) -> None:
    err = msgspec.json.decode(body.encode(), type=t.ErrorResponse)
    assert err.error is not None
    assert err.error.message
    assert err.error.code
    _assert_fully_typed(json.loads(body), err, "$")


# ------------------------------------------------------------------------- tolerance


def _minimal(info: msgspec.inspect.Type) -> Any:
    """The smallest JSON value of a type (required struct fields filled, optional ones null)."""
    mi = msgspec.inspect
    if isinstance(info, mi.UnionType):
        non_null = [x for x in info.types if not isinstance(x, mi.NoneType)]
        return _minimal(non_null[0])
    if isinstance(info, mi.StructType):
        return {
            f.encode_name: _minimal(f.type) if f.required else None
            for f in info.fields
            if f.required or _accepts_null(f.type)
        }
    return {
        mi.StrType: "x",
        mi.IntType: 1,
        mi.FloatType: 1.5,
        mi.BoolType: True,
        mi.ListType: [],
        mi.DictType: {},
    }.get(type(info))


def _accepts_null(info: msgspec.inspect.Type) -> bool:
    mi = msgspec.inspect
    if isinstance(info, (mi.NoneType, mi.AnyType)):
        return True
    return isinstance(info, mi.UnionType) and any(isinstance(x, mi.NoneType) for x in info.types)


RESPONSE_TYPES = [
    obj
    for mod in (chat_completion, shared)
    for name in mod.__all__
    if isinstance(obj := getattr(mod, name), type)
    and issubclass(obj, t.GroqModel)
    and not issubclass(obj, t.RequestModel)
]


@pytest.mark.parametrize("cls", RESPONSE_TYPES, ids=lambda c: c.__name__)
def test_response_types_accept_null_for_every_optional_field(cls: type) -> None:
    data = _minimal(msgspec.inspect.type_info(cls))
    value: Any = msgspec.json.decode(json.dumps(data).encode(), type=cls)
    # unknown fields are ignored (the API grows)
    data["some_future_field"] = {"nested": [1, 2]}
    assert msgspec.json.decode(json.dumps(data).encode(), type=cls) == value


def test_enum_like_fields_take_new_values() -> None:
    body = {
        "id": "c",
        "object": "chat.completion.v2",
        "created": 1,
        "model": "m",
        "service_tier": "ultra",
        "choices": [
            {"index": 0, "finish_reason": "brand_new", "message": {"role": "narrator"}},
        ],
    }
    c = completion_decoder.decode(json.dumps(body).encode())
    assert c.choices[0].finish_reason == "brand_new"
    assert c.choices[0].message.role == "narrator"
    assert c.service_tier == "ultra"


def test_in_band_error_event_decodes_as_a_chunk() -> None:
    chunk = chunk_decoder.decode(
        b'{"error":{"message":"overloaded","type":"internal_server_error",'
        b'"code":"service_unavailable","status_code":503}}'
    )
    assert chunk.choices == []
    assert chunk.id == ""
    assert isinstance(chunk.error, t.ErrorObject)
    assert chunk.error.status_code == 503
    assert chunk.error.code == "service_unavailable"
    assert chunk_decoder.decode(b'{"error":"boom"}').error == "boom"


def test_x_groq_error_as_string_or_object() -> None:
    base = b'{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],'
    s = chunk_decoder.decode(base + b'"x_groq":{"id":"req_1","error":"bad"}}')
    assert s.x_groq is not None
    assert s.x_groq.error == "bad"
    o = chunk_decoder.decode(base + b'"x_groq":{"error":{"message":"bad","status_code":500}}}')
    assert o.x_groq is not None
    assert isinstance(o.x_groq.error, t.ErrorObject)
    assert o.x_groq.error.status_code == 500


def test_usage_decodes_from_x_groq_cache_counters() -> None:
    u = msgspec.json.decode(b'{"dram_cached_tokens":3,"sram_cached_tokens":null}', type=t.XGroq)
    assert u.usage is None
    x = msgspec.json.decode(b'{"usage":{"dram_cached_tokens":3}}', type=t.XGroq)
    assert x.usage is not None
    assert x.usage.dram_cached_tokens == 3
    assert x.usage.total_tokens == 0


def test_executed_tools_and_annotations_decode() -> None:
    msg = {
        "role": "assistant",
        "content": "It is 4.",
        "executed_tools": [
            {
                "index": 0,
                "type": "search",
                "arguments": '{"query": "x"}',
                "output": "...",
                "search_results": {
                    "results": [{"title": "T", "url": "https://e", "content": "c", "score": 0.9}],
                    "images": None,
                },
                "code_results": [
                    {
                        "text": "4",
                        "png": None,
                        "chart": {"type": "bar", "elements": [{"label": "a", "value": 1}]},
                    }
                ],
                "browser_results": [{"title": "T", "url": "https://e", "live_view_url": None}],
            }
        ],
        "annotations": [
            {"type": "document_citation", "document_citation": {"document_id": "d1"}},
        ],
    }
    m = msgspec.convert(msg, t.ChatCompletionMessage)
    assert m.executed_tools is not None
    tool = m.executed_tools[0]
    assert tool.search_results is not None
    assert tool.search_results.results is not None
    assert tool.search_results.results[0].score == 0.9
    assert tool.code_results is not None
    assert tool.code_results[0].chart is not None
    assert m.annotations is not None
    assert m.annotations[0].document_citation is not None
    _assert_fully_typed(msg, m, "$")


# --------------------------------------------------------------------- SDK parity

groq_types = pytest.importorskip("groq.types")


def _sdk_fields(model: Any) -> set[str]:
    return set(model.model_fields)


@pytest.mark.parametrize(
    ("ours", "sdk_path"),
    [
        (t.ChatCompletion, "chat.chat_completion.ChatCompletion"),
        (t.Choice, "chat.chat_completion.Choice"),
        (t.ChoiceLogprobs, "chat.chat_completion.ChoiceLogprobs"),
        (t.McpListTool, "chat.chat_completion.McpListTool"),
        (t.McpListToolTool, "chat.chat_completion.McpListToolTool"),
        (t.UsageBreakdown, "chat.chat_completion.UsageBreakdown"),
        (t.UsageBreakdownModel, "chat.chat_completion.UsageBreakdownModel"),
        (t.XGroq, "chat.chat_completion.XGroq"),
        (t.XGroq, "chat.chat_completion_chunk.XGroq"),
        (t.XGroqDebug, "chat.chat_completion.XGroqDebug"),
        (t.CompletionUsage, "chat.chat_completion.XGroqUsage"),
        (t.ChatCompletionMessage, "chat.chat_completion_message.ChatCompletionMessage"),
        (t.Annotation, "chat.chat_completion_message.Annotation"),
        (t.DocumentCitation, "chat.chat_completion_message.AnnotationDocumentCitation"),
        (t.FunctionCitation, "chat.chat_completion_message.AnnotationFunctionCitation"),
        (t.ExecutedTool, "chat.chat_completion_message.ExecutedTool"),
        (t.BrowserResult, "chat.chat_completion_message.ExecutedToolBrowserResult"),
        (t.CodeResult, "chat.chat_completion_message.ExecutedToolCodeResult"),
        (t.CodeResultChart, "chat.chat_completion_message.ExecutedToolCodeResultChart"),
        (
            t.CodeResultChartElement,
            "chat.chat_completion_message.ExecutedToolCodeResultChartElement",
        ),
        (t.SearchResults, "chat.chat_completion_message.ExecutedToolSearchResults"),
        (t.SearchResult, "chat.chat_completion_message.ExecutedToolSearchResultsResult"),
        (t.FunctionCall, "chat.chat_completion_message.FunctionCall"),
        (
            t.ChatCompletionMessageToolCall,
            "chat.chat_completion_message_tool_call.ChatCompletionMessageToolCall",
        ),
        (t.TokenLogprob, "chat.chat_completion_token_logprob.ChatCompletionTokenLogprob"),
        (t.TopLogprob, "chat.chat_completion_token_logprob.TopLogprob"),
        (t.CompletionUsage, "completion_usage.CompletionUsage"),
        (t.PromptTokensDetails, "completion_usage.PromptTokensDetails"),
        (t.CompletionTokensDetails, "completion_usage.CompletionTokensDetails"),
        (t.ChatCompletionChunk, "chat.chat_completion_chunk.ChatCompletionChunk"),
        (t.ChunkChoice, "chat.chat_completion_chunk.Choice"),
        (t.ChoiceDelta, "chat.chat_completion_chunk.ChoiceDelta"),
        (t.ChoiceDeltaToolCall, "chat.chat_completion_chunk.ChoiceDeltaToolCall"),
        (t.ChoiceDeltaToolCallFunction, "chat.chat_completion_chunk.ChoiceDeltaToolCallFunction"),
        (t.ChoiceDeltaFunctionCall, "chat.chat_completion_chunk.ChoiceDeltaFunctionCall"),
        (t.ErrorObject, "shared.error_object.ErrorObject"),
        (t.ErrorDebug, "shared.error_object.Debug"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_response_types_have_every_sdk_field(ours: type[msgspec.Struct], sdk_path: str) -> None:
    import importlib

    module, _, name = sdk_path.rpartition(".")
    sdk = getattr(importlib.import_module(f"groq.types.{module}"), name)
    missing = _sdk_fields(sdk) - set(ours.__struct_fields__)
    assert not missing, f"{ours.__name__} lacks {sorted(missing)}"


def test_request_has_every_sdk_parameter() -> None:
    from groq.types.chat import completion_create_params

    sdk = set(completion_create_params.CompletionCreateParams.__annotations__)
    ours = t.ChatCompletionRequest.__struct_fields__
    # stream_options is documented by the API (OpenAI-compatible) but absent from SDK 1.7.0
    assert set(ours) - sdk == {"stream_options"}
    assert sdk <= set(ours)
    assert ours[:2] == ("model", "messages")
    assert all(d is None for d in t.ChatCompletionRequest.__struct_defaults__)


# --------------------------------------------------------------------- requests

ENCODED: list[tuple[Any, Any, dict[str, Any]]] = [
    (t.UserMessage(content="hi"), t.Message, {"role": "user", "content": "hi"}),
    (
        t.UserMessage(
            content=[
                t.TextContentPart(text="what is this?"),
                t.ImageContentPart(image_url=t.ImageURL(url="https://e/x.png", detail="low")),
                t.DocumentContentPart(document=t.DocumentContentPartData(data={"a": 1}, id="d")),
            ],
            name="ann",
        ),
        t.Message,
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "https://e/x.png", "detail": "low"}},
                {"type": "document", "document": {"data": {"a": 1}, "id": "d"}},
            ],
            "name": "ann",
        },
    ),
    (t.SystemMessage(content="be brief"), t.Message, {"role": "system", "content": "be brief"}),
    (
        t.DeveloperMessage(content=[t.TextContentPart(text="x")]),
        t.Message,
        {"role": "developer", "content": [{"type": "text", "text": "x"}]},
    ),
    (
        t.AssistantMessage(
            tool_calls=[
                t.AssistantToolCall(id="c1", function=t.FunctionCall(name="f", arguments="{}"))
            ]
        ),
        t.Message,
        {
            "role": "assistant",
            "tool_calls": [
                {"type": "function", "id": "c1", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
    ),
    (
        t.AssistantMessage(content="ok", reasoning="because"),
        t.Message,
        {"role": "assistant", "content": "ok", "reasoning": "because"},
    ),
    (
        t.ToolMessage(content="sunny", tool_call_id="c1"),
        t.Message,
        {"role": "tool", "content": "sunny", "tool_call_id": "c1"},
    ),
    (
        t.FunctionMessage(name="f", content=None),
        t.Message,
        {"role": "function", "name": "f", "content": None},
    ),
    (
        t.FunctionTool(
            function=t.FunctionDefinition(
                name="get_weather",
                description="Weather",
                parameters={"type": "object", "properties": {"city": {"type": "string"}}},
                strict=True,
            )
        ),
        t.Tool,
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                "strict": True,
            },
        },
    ),
    (t.BrowserSearchTool(), t.Tool, {"type": "browser_search"}),
    (t.CodeInterpreterTool(), t.Tool, {"type": "code_interpreter"}),
    (t.ResponseFormatText(), t.ResponseFormat, {"type": "text"}),
    (t.ResponseFormatJSONObject(), t.ResponseFormat, {"type": "json_object"}),
    (
        t.ResponseFormatJSONSchema(
            json_schema=t.JSONSchema(name="out", schema={"type": "object"}, strict=True)
        ),
        t.ResponseFormat,
        {
            "type": "json_schema",
            "json_schema": {"name": "out", "schema": {"type": "object"}, "strict": True},
        },
    ),
    (
        t.NamedToolChoice(function=t.NamedToolChoiceFunction(name="f")),
        t.NamedToolChoice,
        {"type": "function", "function": {"name": "f"}},
    ),
    (t.FunctionCallOption(name="f"), t.FunctionCallOption, {"name": "f"}),
    (t.StreamOptions(include_usage=True), t.StreamOptions, {"include_usage": True}),
    (
        t.SearchSettings(include_domains=["a.com"], include_images=False),
        t.SearchSettings,
        {"include_domains": ["a.com"], "include_images": False},
    ),
    (
        t.Document(source=t.DocumentSourceText(text="doc"), id="d1"),
        t.Document,
        {"source": {"type": "text", "text": "doc"}, "id": "d1"},
    ),
    (
        t.Document(source=t.DocumentSourceJSON(data={"k": "v"})),
        t.Document,
        {"source": {"type": "json", "data": {"k": "v"}}},
    ),
    (
        t.CompoundCustom(
            models=t.CompoundCustomModels(answering_model="a"),
            tools=t.CompoundCustomTools(
                enabled_tools=["web_search"], wolfram_settings=t.WolframSettings(authorization="k")
            ),
        ),
        t.CompoundCustom,
        {
            "models": {"answering_model": "a"},
            "tools": {"enabled_tools": ["web_search"], "wolfram_settings": {"authorization": "k"}},
        },
    ),
]


@pytest.mark.parametrize(
    ("value", "union", "expected"), ENCODED, ids=[type(v).__name__ for v, _, _ in ENCODED]
)
def test_request_types_encode_to_the_api_json_and_back(
    value: Any, union: Any, expected: dict[str, Any]
) -> None:
    encoded = msgspec.json.encode(value)
    assert json.loads(encoded) == expected
    assert value.to_dict() == expected
    assert msgspec.json.decode(encoded, type=union) == value
    assert msgspec.convert(expected, union) == value  # tagged unions decode from dicts


def test_tags_are_readable_and_not_constructor_arguments() -> None:
    assert t.UserMessage(content="x").role == "user"
    assert t.DeveloperMessage(content="x").role == "developer"
    assert t.FunctionTool(function=t.FunctionDefinition(name="f")).type == "function"
    assert t.ResponseFormatJSONObject().type == "json_object"
    with pytest.raises(TypeError):
        t.UserMessage(role="user", content="x")  # type: ignore[call-arg]


def test_unknown_tags_are_rejected_when_decoding() -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"role": "narrator", "content": "x"}, t.Message)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"type": "video", "video": {}}, t.ContentPart)


def test_request_omits_unset_fields_and_keeps_model_first() -> None:
    req = t.ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "hi"}])
    assert req.to_json() == '{"model":"m","messages":[{"role":"user","content":"hi"}]}'
    req = t.ChatCompletionRequest(
        model="m",
        messages=[t.UserMessage(content="hi")],
        temperature=0,
        stream=True,
        stream_options=t.StreamOptions(include_usage=True),
        response_format={"type": "json_object"},
        tools=[t.BrowserSearchTool()],
        stop=["\n"],
    )
    assert json.loads(req.to_json()) == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
        "response_format": {"type": "json_object"},
        "tools": [{"type": "browser_search"}],
        "stop": ["\n"],
    }


def test_recorded_request_bodies_decode_as_requests() -> None:
    for name, data in INTERACTIONS:
        body = data["request"]["body"]
        req = msgspec.convert(body, t.ChatCompletionRequest)
        assert req.model == body["model"], name
        encoded = json.loads(msgspec.json.encode(req))
        assert encoded == {k: v for k, v in body.items() if v is not None}, name


# --------------------------------------------------------------------- conveniences


def test_dump_aliases() -> None:
    u = t.CompletionUsage(prompt_tokens=1, completion_tokens=2, total_tokens=3, queue_time=0.5)
    expected = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "queue_time": 0.5}
    assert u.to_dict() == u.model_dump(exclude_none=True) == expected
    assert json.loads(u.to_json()) == json.loads(u.model_dump_json(exclude_unset=True)) == expected
    # like pydantic, model_dump keeps the fields left at None
    assert u.model_dump()["prompt_time"] is None
    assert u.model_dump_json(indent=2).startswith("{\n  ")


def test_completion_carries_response_metadata_outside_the_json() -> None:
    body = COMPLETIONS[0].values[0]
    completion = completion_decoder.decode(body.encode())  # type: ignore[union-attr]
    assert completion.headers == {}
    assert completion.timings is None
    assert completion.request_id == (completion.x_groq.id if completion.x_groq else None)

    class Raw:
        headers = {"x-request-id": "req_abc"}
        http_version = "HTTP/2"

        def header(self, name: bytes) -> str | None:
            return self.headers.get(name.decode())

    timings = object()
    completion._attach(Raw(), timings)
    assert completion.request_id == "req_abc"
    assert completion.headers == {"x-request-id": "req_abc"}
    assert completion.http_version == "HTTP/2"
    assert completion.timings is timings
    assert "req_abc" not in completion.to_json()
    assert completion_decoder.decode(completion.to_json()) == completion


def test_reply_to_param_for_the_next_turn() -> None:
    msg = t.ChatCompletionMessage(
        role="assistant",
        content=None,
        reasoning="thinking",
        tool_calls=[
            t.ChatCompletionMessageToolCall(
                id="c1", type="function", function=t.FunctionCall(name="f", arguments="{}")
            )
        ],
        executed_tools=[t.ExecutedTool(index=0)],
    )
    assert msg.to_param().to_dict() == {
        "role": "assistant",
        "tool_calls": [
            {"type": "function", "id": "c1", "function": {"name": "f", "arguments": "{}"}}
        ],
    }
    assert msg.to_param(include_reasoning=True).reasoning == "thinking"


def test_secrets_stay_out_of_repr() -> None:
    cc = t.CompoundCustom(
        tools=t.CompoundCustomTools(wolfram_settings=t.WolframSettings(authorization="sk-1"))
    )
    assert "sk-1" not in repr(cc)
    assert "sk-1" in cc.to_json()  # it is sent, only never shown


def test_every_exported_name_resolves() -> None:
    for name in t.__all__:
        assert getattr(t, name) is not None, name
    assert len(set(t.__all__)) == len(t.__all__)
    from groq_anyio.types import chat

    assert set(chat.__all__) <= set(t.__all__)
    # chat also names the official SDK's request TypedDicts (typing only, loaded on first use)
    params = set(chat._PARAM_DICTS)
    assert params <= set(chat_param_dicts.__all__)
    assert set(chat_completion.__all__) | set(chat_params.__all__) | params == set(chat.__all__)
