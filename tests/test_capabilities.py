"""What a model cannot do is refused before sending (ModelCapabilityError), for the models the
client knows; unknown models are never refused on capabilities; check_capabilities=False sends
anyway. End to end against the local server, on asyncio and trio, plus the table's own rules."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio._capabilities import CHARS_PER_TOKEN, check_chat_request, context_window
from groq_anyio._models_table import MODELS
from groq_anyio.testing import GroqTestServer, RawReply
from groq_anyio.types import ChatCompletionRequest

from .conftest import TEST_KEY

pytestmark = pytest.mark.anyio

TEXT_MODEL = "llama-3.3-70b-versatile"
VISION_MODEL = "meta-llama/llama-4-scout-17b-16e-instruct"
UNKNOWN = "acme/brand-new-model"
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
LOOK = [{"role": "user", "content": [{"type": "text", "text": "what is this?"}, IMAGE]}]
HI = [{"role": "user", "content": "hi"}]
WAV = ("a.wav", b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(64))


@pytest.fixture
async def open_server(anyio_backend: Any) -> AsyncIterator[GroqTestServer]:
    # models=None: the server takes any model, so what the client sends is what is tested
    async with GroqTestServer(models=None) as srv:
        yield srv


@pytest.fixture
async def groq(open_server: GroqTestServer) -> AsyncIterator[AsyncGroq]:
    async with AsyncGroq(api_key=TEST_KEY, base_url=open_server.base_url, max_retries=0) as c:
        yield c


def _sent(server: GroqTestServer, path: str) -> int:
    return sum(1 for r in server.requests if r.path.endswith(path))


# -- vision ----------------------------------------------------------------------------------


async def test_image_to_a_model_without_vision_is_refused_before_sending(
    groq: AsyncGroq, open_server: GroqTestServer
) -> None:
    with pytest.raises(g.ModelCapabilityError) as info:
        await groq.chat.completions.create(model=TEXT_MODEL, messages=LOOK)
    err = info.value
    assert isinstance(err, g.InvalidParameterError)
    assert err.param == "messages[0].content[1]" and err.model == TEXT_MODEL
    assert VISION_MODEL in err.message and "check_capabilities=False" in err.message
    with pytest.raises(g.ModelCapabilityError):  # a stream is refused the same way
        await groq.chat.completions.create(model=TEXT_MODEL, messages=LOOK, stream=True)
    assert _sent(open_server, "/chat/completions") == 0


async def test_image_to_a_vision_model_an_unknown_model_or_with_the_escape_hatch_is_sent(
    groq: AsyncGroq, open_server: GroqTestServer
) -> None:
    for model, kw in [
        (VISION_MODEL, {}),
        (UNKNOWN, {}),
        (TEXT_MODEL, {"check_capabilities": False}),
    ]:
        completion = await groq.chat.completions.create(model=model, messages=LOOK, **kw)
        assert completion.choices[0].message.content
        assert open_server.requests[-1].json()["messages"][0]["content"][1] == IMAGE
    assert _sent(open_server, "/chat/completions") == 3


# -- audio models ----------------------------------------------------------------------------


async def test_transcription_with_a_chat_model_is_refused(
    groq: AsyncGroq, open_server: GroqTestServer
) -> None:
    for create in (groq.audio.transcriptions.create, groq.audio.translations.create):
        with pytest.raises(g.ModelCapabilityError) as info:
            await create(model=TEXT_MODEL, file=WAV)
        assert info.value.param == "model"
        assert "whisper-large-v3" in info.value.message
    assert not open_server.requests


async def test_transcription_with_whisper_unknown_or_escape_hatch_is_sent(
    groq: AsyncGroq, open_server: GroqTestServer
) -> None:
    for model, kw in [
        ("whisper-large-v3-turbo", {}),
        ("acme/asr-1", {}),
        (TEXT_MODEL, {"check_capabilities": False}),
    ]:
        result = await groq.audio.transcriptions.create(model=model, file=WAV, **kw)
        assert isinstance(result.text, str)
    assert _sent(open_server, "/audio/transcriptions") == 3


async def test_chat_to_an_audio_model_is_refused(groq: AsyncGroq) -> None:
    for model, use in [("whisper-large-v3", "transcriptions"), ("playai-tts", "speech")]:
        with pytest.raises(g.ModelCapabilityError, match=use) as info:
            await groq.chat.completions.create(model=model, messages=HI)
        assert info.value.param == "model"


# -- reasoning, tools, JSON mode ---------------------------------------------------------------


async def test_reasoning_parameters_follow_the_model(
    groq: AsyncGroq, open_server: GroqTestServer
) -> None:
    refused = [
        ("openai/gpt-oss-120b", {"reasoning_format": "parsed"}, "reasoning_format"),
        (TEXT_MODEL, {"reasoning_format": "raw"}, "reasoning_format"),
        (TEXT_MODEL, {"reasoning_effort": "low"}, "reasoning_effort"),
        ("qwen/qwen3-32b", {"reasoning_effort": "high"}, "reasoning_effort"),
        ("openai/gpt-oss-20b", {"reasoning_effort": "none"}, "reasoning_effort"),
    ]
    for model, kw, param in refused:
        with pytest.raises(g.ModelCapabilityError) as info:
            await groq.chat.completions.create(model=model, messages=HI, **kw)
        assert info.value.param == param, (model, kw)
    assert not open_server.requests
    accepted = [
        ("qwen/qwen3-32b", {"reasoning_format": "parsed", "reasoning_effort": "none"}),
        ("openai/gpt-oss-120b", {"reasoning_effort": "high", "include_reasoning": True}),
        (UNKNOWN, {"reasoning_format": "parsed", "reasoning_effort": "low"}),
    ]
    for model, kw in accepted:
        await groq.chat.completions.create(model=model, messages=HI, **kw)
    assert _sent(open_server, "/chat/completions") == len(accepted)


async def test_tools_and_json_mode_on_a_classifier_are_refused(groq: AsyncGroq) -> None:
    guard = "meta-llama/llama-prompt-guard-2-86m"
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    with pytest.raises(g.ModelCapabilityError) as info:
        await groq.chat.completions.create(model=guard, messages=HI, tools=[tool])
    assert info.value.param == "tools"
    with pytest.raises(g.ModelCapabilityError) as info:
        await groq.chat.completions.create(
            model=guard, messages=HI, response_format={"type": "json_object"}
        )
    assert info.value.param == "response_format"


# -- the context window ----------------------------------------------------------------------


def _long(chars: int) -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": "x" * (chars // 2)},
        {"role": "user", "content": "y" * (chars - chars // 2)},
    ]


async def test_prompt_far_beyond_the_table_context_window_is_refused(
    groq: AsyncGroq, open_server: GroqTestServer
) -> None:
    guard = "meta-llama/llama-prompt-guard-2-22m"  # a 512-token window
    fits = 512 * CHARS_PER_TOKEN  # the lower bound is exactly the window: not refused
    await groq.chat.completions.create(model=guard, messages=_long(fits))
    with pytest.raises(g.ModelCapabilityError) as info:
        await groq.chat.completions.create(model=guard, messages=_long(fits + CHARS_PER_TOKEN))
    assert info.value.param == "messages"
    assert "512-token context window" in info.value.message
    assert _sent(open_server, "/chat/completions") == 1
    await groq.chat.completions.create(
        model=guard, messages=_long(fits * 3), check_capabilities=False
    )
    assert _sent(open_server, "/chat/completions") == 2


async def test_context_window_learnt_from_models_list_is_used(
    groq: AsyncGroq, open_server: GroqTestServer
) -> None:
    listing = {
        "object": "list",
        "data": [
            {"id": UNKNOWN, "object": "model", "context_window": 1000},
            {"id": TEXT_MODEL, "object": "model", "context_window": 2000},
        ],
    }
    big = _long(1000 * CHARS_PER_TOKEN + CHARS_PER_TOKEN)
    # unknown model, nothing learnt yet: sent
    await groq.chat.completions.create(model=UNKNOWN, messages=big)
    open_server.push(
        RawReply(
            status=200,
            headers=[("content-type", "application/json")],
            body=json.dumps(listing).encode(),
        )
    )
    models = await groq.models.list()
    assert {m.id for m in models} == {UNKNOWN, TEXT_MODEL}
    assert context_window(groq, UNKNOWN) == 1000
    assert context_window(groq, TEXT_MODEL) == 2000  # /models wins over the table's 131072
    with pytest.raises(g.ModelCapabilityError, match="1000-token"):
        await groq.chat.completions.create(model=UNKNOWN, messages=big)
    with pytest.raises(g.ModelCapabilityError, match="2000-token"):
        await groq.chat.completions.create(
            model=TEXT_MODEL, messages=_long(2000 * CHARS_PER_TOKEN + 100)
        )
    assert _sent(open_server, "/chat/completions") == 1


async def test_retrieve_teaches_the_context_window_too(
    groq: AsyncGroq, open_server: GroqTestServer
) -> None:
    open_server.push(
        RawReply(
            status=200,
            headers=[("content-type", "application/json")],
            body=json.dumps({"id": UNKNOWN, "object": "model", "context_window": 10}).encode(),
        )
    )
    assert (await groq.models.retrieve(UNKNOWN)).context_window == 10
    with pytest.raises(g.ModelCapabilityError):
        await groq.chat.completions.create(model=UNKNOWN, messages=_long(11 * CHARS_PER_TOKEN))
    # a derived client has its own cache (nothing learnt there yet)
    other = groq.with_options(timeout=30)
    assert context_window(other, UNKNOWN) is None


# -- the table itself ------------------------------------------------------------------------


def test_table_facts_are_consistent() -> None:
    assert {m.id for m in MODELS.values() if m.vision} == {
        VISION_MODEL,
        "meta-llama/llama-4-maverick-17b-128e-instruct",
    }
    whisper = {m.id for m in MODELS.values() if m.kind == "transcription"}
    assert whisper == {"whisper-large-v3", "whisper-large-v3-turbo"}
    for info in MODELS.values():
        assert info.context_window is None or info.context_window > 0
        if info.reasoning_format:
            assert info.reasoning
        if info.kind != "chat":
            assert not info.vision and not info.tools


def test_local_server_lists_the_same_context_windows() -> None:
    from groq_anyio.testing._groq import MODELS as SERVED

    for model_id, _owner, window, _max_out in SERVED:
        assert MODELS[model_id].context_window == window, model_id


@given(
    model=st.sampled_from(sorted(MODELS)) | st.text(max_size=30),
    images=st.integers(0, 5),
    chars=st.integers(0, 10**7),
    fmt=st.sampled_from([None, "parsed", "raw", "hidden"]),
    effort=st.sampled_from([None, "none", "default", "low", "medium", "high"]),
)
def test_only_documented_limits_are_refused(
    model: str, images: int, chars: int, fmt: str | None, effort: str | None
) -> None:
    """Every refusal follows from a fact of the table; an unknown model is never refused."""
    req = ChatCompletionRequest(
        model=model, messages=HI, reasoning_format=fmt, reasoning_effort=effort
    )
    info = MODELS.get(model)
    client = object()  # nothing learnt from /models
    try:
        check_chat_request(client, req, images, chars)
    except g.ModelCapabilityError as err:
        assert info is not None, "an unknown model was refused"
        reasons = {
            "model": info.kind != "chat",
            "messages": (images > 0 and info.vision is False)
            or (info.context_window or 10**12) < chars // CHARS_PER_TOKEN,
            "reasoning_format": fmt is not None and info.reasoning_format is False,
            "reasoning_effort": effort is not None
            and (
                info.reasoning is False
                or (info.reasoning_efforts is not None and effort not in info.reasoning_efforts)
            ),
        }
        param = "messages" if err.param.startswith("messages") else err.param
        assert reasons[param], (model, err)
    else:
        if info is not None:
            assert info.kind == "chat"
            assert not (images and info.vision is False)
            assert not (fmt is not None and info.reasoning_format is False)
