"""The same code, written for the official ``groq`` SDK, run against both packages.

Each scenario below uses only the official SDK's API; it runs once with ``groq.AsyncGroq`` (or
``groq.Groq``) and once with ``groq_anyio.AsyncGroq`` (``groq_anyio.Groq``) against the same
local server, and the results are compared field by field (``model_dump()`` of both, with the
values that differ between any two calls masked: ids, request ids, timestamps).

Known differences, asserted as such (so that a new one fails the test):

- ``model_dump()`` lists the fields each package declares, ``None`` included; the two type
  sets differ in a few optional fields (``KNOWN_EXTRA_OURS``), so the full dumps are compared
  on the fields both declare and the ``exclude_none=True`` dumps exactly;
- the SDK keeps fields the server sends that its types do not declare (pydantic ``extra``);
  ours drop them (``KNOWN_EXTRA_SDK``: only the embeddings response's ``x_groq``);
- error classes: ours are subclasses of the SDK's names (``ModelNotFoundError`` is a
  ``NotFoundError``), so the comparison is on the SDK's class name through the MRO.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import groq
import httpx
import pytest

import groq_anyio
from groq_anyio.testing import ChatScript, ErrorReply, GroqTestServer
from groq_anyio.testing._endpoints.speech import wav_bytes

from .conftest import TEST_KEY

MODEL = "llama-3.3-70b-versatile"
MSGS = [
    {"role": "system", "content": "be brief"},
    {"role": "user", "content": "Say hello"},
]
WAV = wav_bytes(8000, 16000)
JSONL = (
    json.dumps(
        {
            "custom_id": "r1",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "llama-3.1-8b-instant", "messages": MSGS},
        }
    ).encode()
    + b"\n"
)
VOLATILE = {"id", "created", "created_at", "expires_at", "in_progress_at", "completed_at"}
VOLATILE |= {"finalizing_at", "input_file_id", "output_file_id", "error_file_id", "request_id"}
VOLATILE |= {"filename_id", "file_id"}
#: fields only our types declare (shown as None by our model_dump, absent from the SDK's)
KNOWN_EXTRA_OURS = {
    # chat: harmony channel, refusal, Groq's error/usage blocks, cache statistics
    "channel",
    "refusal",
    "error",
    "usage_breakdown",
    "service_tier",
    "dram_cached_tokens",
    "sram_cached_tokens",
    "debug",
    "seed",
    # usage timings on embeddings
    "queue_time",
    "prompt_time",
    "total_time",
    # transcriptions: verbose_json fields and x_groq
    "duration",
    "language",
    "segments",
    "task",
    "words",
    "usage",
}
#: (scenario step, dotted field) the SDK keeps from the wire that our types do not declare
KNOWN_EXTRA_SDK = {("embeddings", "x_groq")}


def mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<volatile>" if k in VOLATILE else mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def dumps(obj: Any) -> dict[str, Any]:
    """Both dumps of a response value, masked."""
    return {"full": mask(obj.model_dump()), "lean": mask(obj.model_dump(exclude_none=True))}


def sdk_class(exc: BaseException) -> str:
    """The official SDK's name for an error: the first SDK-named class in its MRO."""
    for cls in type(exc).__mro__:
        if hasattr(groq, cls.__name__) and cls.__name__ != "Exception":
            return cls.__name__
    return type(exc).__name__


def error_record(exc: Any) -> dict[str, Any]:
    return {
        "class": sdk_class(exc),
        "status_code": exc.status_code,
        "body": exc.body,
        "response_status": exc.response.status_code,
        "response_json": exc.response.json(),
        "message_has_text": "no such model" in str(exc),
    }


# ----------------------------------------------------------------------------- the scenarios
# Written exactly as for the official SDK; `client` is either package's client.


async def async_scenario(client: Any, server: GroqTestServer) -> dict[str, Any]:
    out: dict[str, Any] = {}
    server.push(ChatScript(text="Hello there, friend"))
    out["chat"] = dumps(await client.chat.completions.create(model=MODEL, messages=MSGS, seed=1))
    server.push(ChatScript(text="one two three"))
    stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    out["stream"] = [dumps(chunk) async for chunk in stream]
    await stream.close()
    out["models"] = dumps(await client.models.list())
    out["model"] = dumps(await client.models.retrieve(MODEL))
    out["embeddings"] = dumps(
        await client.embeddings.create(model="nomic-embed-text-v1_5", input=["a", "bb"])
    )
    out["transcription"] = dumps(
        await client.audio.transcriptions.create(model="whisper-large-v3", file=("a.wav", WAV))
    )
    out["translation"] = dumps(
        await client.audio.translations.create(model="whisper-large-v3", file=("a.wav", WAV))
    )
    speech = await client.audio.speech.create(
        model="playai-tts", input="hi there", voice="Fritz-PlayAI", response_format="wav"
    )
    out["speech"] = len(await speech.read())
    file = await client.files.create(file=("batch.jsonl", JSONL), purpose="batch")
    out["file"] = dumps(file)
    content = await client.files.content(file.id)
    out["file_content"] = (await content.read()).decode()
    batch = await client.batches.create(
        input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    out["batch"] = dumps(batch)
    out["batch_retrieved"] = dumps(await client.batches.retrieve(batch.id))
    out["file_deleted"] = dumps(await client.files.delete(file.id))
    raw = await client.chat.completions.with_raw_response.create(model=MODEL, messages=MSGS)
    out["raw"] = {
        "status": raw.status_code,
        "content_type": raw.headers.get("content-type"),
        "has_request_id": bool(raw.headers.get("X-Request-ID")),
        "parsed": dumps(await raw.parse()),
    }
    async with client.models.with_streaming_response.retrieve(MODEL) as response:
        out["streamed"] = {
            "status": response.status_code,
            "lines": [line async for line in response.iter_lines()],
        }
    server.push(ErrorReply(404, "no such model", code="model_not_found"))
    try:
        await client.chat.completions.create(model=MODEL, messages=MSGS)
    except Exception as exc:
        out["error"] = error_record(exc)
    response = await client.get("/openai/v1/models", cast_to=httpx.Response)
    out["httpx_response"] = {
        "status": response.status_code,
        "content_type": response.headers.get("Content-Type"),
        "models": len(response.json()["data"]),
    }
    timed = client.with_options(timeout=httpx.Timeout(30.0, connect=5.0))
    out["httpx_timeout"] = dumps(await timed.models.retrieve(MODEL, timeout=httpx.Timeout(20.0)))
    copy = client.with_options(max_retries=0, default_headers={"x-side": "by-side"})
    out["copy"] = dumps(await copy.models.retrieve(MODEL))
    out["copy_header"] = server.requests[-1].header("x-side")
    return out


def sync_scenario(client: Any, server: GroqTestServer) -> dict[str, Any]:
    out: dict[str, Any] = {}
    server.push(ChatScript(text="Hello there, friend"))
    out["chat"] = dumps(client.chat.completions.create(model=MODEL, messages=MSGS, seed=1))
    server.push(ChatScript(text="one two three"))
    with client.chat.completions.create(model=MODEL, messages=MSGS, stream=True) as stream:
        out["stream"] = [dumps(chunk) for chunk in stream]
    server.push(ChatScript(text="four five"))
    stream = client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    out["plain_iteration"] = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    out["models"] = dumps(client.models.list())
    out["embeddings"] = dumps(
        client.embeddings.create(model="nomic-embed-text-v1_5", input=["a", "bb"])
    )
    out["transcription"] = dumps(
        client.audio.transcriptions.create(model="whisper-large-v3", file=("a.wav", WAV))
    )
    out["speech"] = len(
        client.audio.speech.create(
            model="playai-tts", input="hi there", voice="Fritz-PlayAI", response_format="wav"
        ).read()
    )
    raw = client.models.with_raw_response.retrieve(MODEL)
    out["raw"] = {"status": raw.status_code, "parsed": dumps(raw.parse())}
    with client.models.with_streaming_response.list() as response:
        out["streamed_lines"] = len(list(response.iter_lines()))
    server.push(ErrorReply(404, "no such model", code="model_not_found"))
    try:
        client.models.retrieve("nope")
    except Exception as exc:
        out["error"] = error_record(exc)
    return out


# ----------------------------------------------------------------------------- the comparison


def compare(sdk: Any, ours: Any, step: str, path: str = "") -> list[str]:
    """Differences between the SDK's and our result (known ones left out)."""
    problems: list[str] = []
    if isinstance(sdk, dict) and isinstance(ours, dict):
        if set(sdk) == {"full", "lean"} == set(ours):
            # lean dumps: exactly equal but for the SDK's extra wire fields
            lean_sdk = {k: v for k, v in sdk["lean"].items() if (step, k) not in KNOWN_EXTRA_SDK}
            problems += compare(lean_sdk, ours["lean"], step, path + ".lean")
            problems += compare_full(sdk["full"], ours["full"], step, path + ".full")
            return problems
        for key in sorted(set(sdk) | set(ours)):
            sub = step or key
            if key not in ours:
                problems.append(f"{path}.{key}: missing from ours")
            elif key not in sdk:
                problems.append(f"{path}.{key}: only in ours")
            else:
                problems += compare(sdk[key], ours[key], sub, f"{path}.{key}")
        return problems
    if isinstance(sdk, list) and isinstance(ours, list):
        if len(sdk) != len(ours):
            return [f"{path}: {len(sdk)} items (SDK) vs {len(ours)} (ours)"]
        for i, (a, b) in enumerate(zip(sdk, ours, strict=True)):
            problems += compare(a, b, step, f"{path}[{i}]")
        return problems
    if sdk != ours:
        problems.append(f"{path}: SDK {sdk!r} != ours {ours!r}")
    return problems


def compare_full(sdk: Any, ours: Any, step: str, path: str) -> list[str]:
    """Full dumps: equal on the fields both declare; ours may add only known fields (None)."""
    problems: list[str] = []
    if isinstance(sdk, dict) and isinstance(ours, dict):
        for key in sorted(set(sdk) | set(ours)):
            if key not in ours:
                if (step, key) not in KNOWN_EXTRA_SDK:
                    problems.append(f"{path}.{key}: declared by the SDK only")
            elif key not in sdk:
                if key not in KNOWN_EXTRA_OURS or ours[key] is not None:
                    problems.append(f"{path}.{key}: only ours ({ours[key]!r})")
            else:
                problems += compare_full(sdk[key], ours[key], step, f"{path}.{key}")
        return problems
    if isinstance(sdk, list) and isinstance(ours, list) and len(sdk) == len(ours):
        for i, (a, b) in enumerate(zip(sdk, ours, strict=True)):
            problems += compare_full(a, b, step, f"{path}[{i}]")
        return problems
    return [] if sdk == ours else [f"{path}: SDK {sdk!r} != ours {ours!r}"]


# ----------------------------------------------------------------------------- the tests


@pytest.mark.anyio
async def test_async_clients_agree(server: GroqTestServer) -> None:
    sdk_client = groq.AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, max_retries=0)
    async with sdk_client:
        sdk = await async_scenario(sdk_client, server)
    async with groq_anyio.AsyncGroq(
        api_key=TEST_KEY, base_url=server.base_url, max_retries=0
    ) as ours_client:
        ours = await async_scenario(ours_client, server)
    assert set(sdk) == set(ours)
    problems = compare(sdk, ours, "")
    assert not problems, "\n".join(problems)
    # the comparison compared something
    assert sdk["chat"]["lean"]["choices"][0]["message"]["content"] == "Hello there, friend"
    assert len(sdk["stream"]) >= 3 and sdk["error"]["class"] == "NotFoundError"
    assert sdk["copy_header"] == ours["copy_header"] == "by-side"


@pytest.fixture(scope="module")
def threaded_server() -> Iterator[GroqTestServer]:
    server = GroqTestServer()
    with server.run_in_thread():
        yield server


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_sync_clients_agree(threaded_server: GroqTestServer, backend: str) -> None:
    with groq.Groq(api_key=TEST_KEY, base_url=threaded_server.base_url, max_retries=0) as c:
        sdk = sync_scenario(c, threaded_server)
    with groq_anyio.Groq(
        api_key=TEST_KEY, base_url=threaded_server.base_url, max_retries=0, backend=backend
    ) as c:
        ours = sync_scenario(c, threaded_server)
    problems = compare(sdk, ours, "")
    assert not problems, "\n".join(problems)
    assert sdk["plain_iteration"] == ours["plain_iteration"] == "four five"


def test_the_sdk_type_names_exist() -> None:
    # `from groq.types import X` / `from groq.types.chat import X` become groq_anyio's
    import groq.types
    import groq.types.audio
    import groq.types.chat

    import groq_anyio.types
    import groq_anyio.types.audio
    import groq_anyio.types.chat

    for sdk_module, ours in (
        (groq.types, groq_anyio.types),
        (groq.types.chat, groq_anyio.types.chat),
        (groq.types.audio, groq_anyio.types.audio),
    ):
        names = {n for n in dir(sdk_module) if n[:1].isupper()}
        missing = sorted(n for n in names if not hasattr(ours, n))
        assert not missing, (sdk_module.__name__, missing)
    from groq_anyio.types.shared_params import FunctionDefinition

    assert FunctionDefinition.__required_keys__ == frozenset({"name"})
