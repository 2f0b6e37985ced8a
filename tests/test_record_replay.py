"""Record real exchanges through GroqRecorder (key redacted), replay them with
GroqTestServer(replay=...): the recorded corpus itself, and a record -> replay round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpcore
import pytest

from groq_anyio import AsyncGroq, NotFoundError
from groq_anyio.testing import (
    ChatScript,
    GroqRecorder,
    GroqTestServer,
    Replay,
    load_recordings,
)
from groq_anyio.testing._endpoints import wav_bytes

from ._traffic import VENDORED

pytestmark = pytest.mark.anyio

KEY = "gsk_record_me_0123456789SECRETKEY"
MSGS = [{"role": "user", "content": "hi"}]
CHAT_FILES = sorted(
    p
    for p in VENDORED.glob("*.json")
    if isinstance(json.loads(p.read_text())["request"]["body"], dict)
)


async def send(base_url: str, method: str, path: str, body: Any) -> httpcore.Response:
    async with httpcore.AsyncConnectionPool() as pool:
        content = b"" if body is None else json.dumps(body).encode()
        headers = {"content-type": "application/json"} if body is not None else {}
        return await pool.request(method, base_url + path, headers=headers, content=content)


@pytest.mark.parametrize("path", CHAT_FILES, ids=lambda p: p.name)
async def test_corpus_replays_byte_for_byte(path: Path) -> None:
    doc = json.loads(path.read_text())
    async with GroqTestServer(replay=[path]) as server:
        resp = await send(
            server.base_url,
            doc["request"]["method"],
            doc["request"]["path"],
            doc["request"]["body"],
        )
    assert resp.status == doc["response"]["status"]
    assert resp.content.decode() == doc["response"]["body_text"]
    ctype = doc["response"]["headers"].get("content-type")
    if ctype:
        assert dict((k.decode(), v.decode()) for k, v in resp.headers)["content-type"] == ctype


async def test_client_reads_a_replayed_stream_and_error() -> None:
    stream_file = VENDORED / "chat_stream-weave-async_stream-0.json"
    error_file = VENDORED / "error-pydantic-ai-model_not_found-0.json"
    recorded = json.loads(stream_file.read_text())
    async with GroqTestServer(replay=[stream_file, error_file]) as server:
        async with AsyncGroq(api_key=KEY, base_url=server.base_url, max_retries=0) as client:
            body = recorded["request"]["body"]
            stream = await client.chat.completions.create(
                model=body["model"], messages=body["messages"], stream=True
            )
            async with stream:
                text = "".join(
                    [c.choices[0].delta.content or "" async for c in stream if c.choices]
                )
            with pytest.raises(NotFoundError) as info:
                await client.chat.completions.create(model="non-existent", messages=MSGS)
    expected = "".join(
        (json.loads(line[6:])["choices"] or [{"delta": {}}])[0]["delta"].get("content") or ""
        for line in recorded["response"]["body_text"].split("\n\n")
        if line.startswith("data: {")
    )
    assert text == expected and text
    assert info.value.code == "model_not_found"


async def test_body_picks_the_recording_and_misses_are_501(tmp_path: Path) -> None:
    for i, word in enumerate(["first", "second"]):
        doc = {
            "request": {
                "method": "POST",
                "path": "/openai/v1/chat/completions",
                "headers": {},
                "body": {"model": "m", "messages": [{"role": "user", "content": word}]},
            },
            "response": {
                "status": 200,
                "headers": {"content-type": "application/json"},
                "body_text": json.dumps({"answer": word}),
            },
        }
        (tmp_path / f"chat-{i}.json").write_text(json.dumps(doc))
    replay = Replay(load_recordings(tmp_path), cycle=False)
    async with GroqTestServer(default=replay) as server:
        chat = "/openai/v1/chat/completions"
        second = {"model": "m", "messages": [{"role": "user", "content": "second"}]}
        resp = await send(server.base_url, "POST", chat, second)
        assert json.loads(resp.content) == {"answer": "second"}
        other = {"model": "m", "messages": [{"role": "user", "content": "other"}]}
        resp = await send(server.base_url, "POST", chat, other)  # path match: the unused one
        assert json.loads(resp.content) == {"answer": "first"}
        resp = await send(server.base_url, "POST", chat, other)
        assert resp.status == 501
        error = json.loads(resp.content)["error"]
        assert (
            error["code"] == "replay_miss"
            and "POST /openai/v1/chat/completions" in error["message"]
        )
        resp = await send(server.base_url, "GET", "/openai/v1/models", None)
        assert resp.status == 501
    assert [r.route for r in replay.misses] == [chat, "/openai/v1/models"]


async def run_calls(client: AsyncGroq) -> dict[str, Any]:
    out: dict[str, Any] = {}
    c = await client.chat.completions.create(model="llama-3.1-8b-instant", messages=MSGS)
    out["chat"] = c.choices[0].message.content
    stream = await client.chat.completions.create(
        model="llama-3.1-8b-instant", messages=MSGS, stream=True
    )
    async with stream:
        out["stream"] = "".join(
            [ch.choices[0].delta.content or "" async for ch in stream if ch.choices]
        )
    with pytest.raises(NotFoundError) as info:
        await client.chat.completions.create(model="no-such-model", messages=MSGS)
    out["error"] = (info.value.status_code, info.value.code, info.value.message)
    out["models"] = (await client.models.list()).ids()
    t = await client.audio.transcriptions.create(
        model="whisper-large-v3", file=("a.wav", wav_bytes(4800)), response_format="verbose_json"
    )
    out["audio"] = (t.text, t.duration)
    speech = await client.audio.speech.create(
        model="playai-tts", input="hello", voice="Fritz-PlayAI", response_format="wav"
    )
    out["speech"] = len(await speech.read())
    return out


async def test_record_then_replay_round_trip(tmp_path: Path) -> None:
    async with GroqTestServer(api_key=KEY, default=ChatScript("recorded words here")) as groq:
        async with GroqRecorder(tmp_path, upstream=groq.base_url) as recorder:
            async with AsyncGroq(api_key=KEY, base_url=recorder.base_url, max_retries=0) as client:
                live = await run_calls(client)
        assert groq.request_count == 6
        assert all(r.header("authorization") == f"Bearer {KEY}" for r in groq.requests)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "audio-0000.json",
        "audio-0001.json",
        "chat-0000.json",
        "chat_stream-0000.json",
        "error-0000.json",
        "models-0000.json",
    ]
    assert [p.name for p in recorder.paths][:3] == [
        "chat-0000.json",
        "chat_stream-0000.json",
        "error-0000.json",
    ]
    for path in tmp_path.iterdir():
        text = path.read_text()
        assert KEY not in text and "authorization" not in text.lower()
        doc = json.loads(text)
        assert set(doc) >= {"request", "response", "kind", "source"}
    speech = json.loads((tmp_path / "audio-0001.json").read_text())
    assert "body_base64" in speech["response"]
    upload = json.loads((tmp_path / "audio-0000.json").read_text())["request"]["body"]
    assert upload.startswith("multipart/form-data: model=whisper-large-v3") and "a.wav" in upload
    async with GroqTestServer(replay=tmp_path) as server:  # no upstream any more
        async with AsyncGroq(
            api_key="gsk_other", base_url=server.base_url, max_retries=0
        ) as client:
            replayed = await run_calls(client)
    assert replayed == live
    assert live["chat"] == live["stream"] == "recorded words here"


async def test_upstream_unreachable_is_a_502(tmp_path: Path) -> None:
    async with GroqTestServer() as gone:
        dead = gone.base_url
    async with GroqRecorder(tmp_path, upstream=dead) as recorder:
        resp = await send(recorder.base_url, "GET", "/openai/v1/models", None)
    assert resp.status == 502
    assert "cannot reach" in json.loads(resp.content)["error"]["message"]
    assert list(tmp_path.iterdir()) == []


def test_record_the_official_sync_sdk_in_a_thread(tmp_path: Path) -> None:
    """The recorder serves synchronous clients too (run_in_thread); here the official SDK."""
    import groq

    upstream = GroqTestServer(api_key=KEY, default=ChatScript("sync words"))
    with (
        upstream.run_in_thread(),
        GroqRecorder(tmp_path, upstream=upstream.base_url).run_in_thread() as rec,
    ):
        client = groq.Groq(api_key=KEY, base_url=rec.base_url, max_retries=0)
        try:
            c = client.chat.completions.create(model="llama-3.1-8b-instant", messages=MSGS)
        finally:
            client.close()
    assert c.choices[0].message.content == "sync words"
    (path,) = tmp_path.glob("chat-*.json")
    assert KEY not in path.read_text()
    assert (load_recordings(path)[0].status, load_recordings(tmp_path)[0].path) == (
        200,
        "/openai/v1/chat/completions",
    )
