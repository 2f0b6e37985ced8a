"""Replay every recorded real Groq interaction (tests/data/groq-traffic, plus
../shared/conformance/groq-traffic when it exists; see tests/_traffic.py) through the client,
served verbatim by the local server over a real socket, and check what a user would see.

The files are discovered at collection time: a new recording dropped in either folder is covered
without editing this file. Expectations are derived from the recording itself (the recorded
body), never from the client's own decoding.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio.testing import GroqTestServer, RawReply

from ._traffic import MIN_VENDORED, VENDORED, Recording, check_vendored, recordings
from .conftest import TEST_KEY

pytestmark = pytest.mark.anyio

RECORDINGS = recordings()

# the class a status must map to (before code refinements, which are subclasses)
STATUS_CLASS: dict[int, type[g.APIStatusError]] = {
    400: g.BadRequestError,
    401: g.AuthenticationError,
    403: g.PermissionDeniedError,
    404: g.NotFoundError,
    409: g.ConflictError,
    413: g.RequestTooLargeError,
    422: g.UnprocessableEntityError,
    424: g.FailedDependencyError,
    429: g.RateLimitError,
    498: g.FlexCapacityError,
    499: g.ClientClosedRequestError,
}

_TRANSPORT_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding"}


def test_traffic_folder_is_there() -> None:
    check_vendored()
    assert len(RECORDINGS) >= MIN_VENDORED


def test_outside_folder_adds_new_files_and_drops_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vendored = sorted(VENDORED.glob("*.json"))
    first, second = vendored[0], vendored[1]
    (tmp_path / first.name).write_bytes(first.read_bytes())  # same name, same bytes
    (tmp_path / "renamed-copy.json").write_bytes(second.read_bytes())  # same bytes
    changed = json.loads(first.read_text("utf-8"))
    changed["source"] = {"notes": "a newer recording under an old name"}
    (tmp_path / first.name).with_name("zz-new-0.json").write_text(json.dumps(changed))
    monkeypatch.setenv("GROQ_TRAFFIC_DIR", str(tmp_path))
    got = {r.id: r.path for r in recordings()}
    assert len(got) == len(vendored) + 1
    assert got["zz-new-0.json"] == tmp_path / "zz-new-0.json"
    assert got[first.name] == first and "renamed-copy.json" not in got
    # a different file under a vendored name is kept beside the vendored one
    (tmp_path / first.name).write_text(json.dumps(changed))
    got = {r.id: r.path for r in recordings()}
    assert got[f"shared/{first.name}"] == tmp_path / first.name
    assert got[first.name] == first


def test_every_vendored_recording_is_listed_in_sources() -> None:
    sources = (VENDORED / "SOURCES.md").read_text("utf-8")
    unlisted = [p.name for p in VENDORED.glob("*.json") if f"`{p.name}`" not in sources]
    assert unlisted == [], f"add these to {VENDORED}/SOURCES.md with their origin: {unlisted}"


def _reply(rec: dict[str, Any]) -> RawReply:
    resp = rec["response"]
    headers = [(k, v) for k, v in resp["headers"].items() if k.lower() not in _TRANSPORT_HEADERS]
    body = resp["body_text"].encode("utf-8")
    # stream bodies go out in small uneven pieces, as a network would deliver them
    if body.startswith(b"data:") and len(body) > 64:
        pieces = [body[i : i + 97] for i in range(0, len(body), 97)]
        return RawReply(status=resp["status"], headers=headers, body=pieces)
    return RawReply(status=resp["status"], headers=headers, body=body)


def _sse_payloads(text: str) -> list[dict[str, Any]]:
    """The recording's data payloads, by the simplest possible reading of the body."""
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        data = "\n".join(
            line[5:].lstrip(" ") for line in block.split("\n") if line.startswith("data:")
        )
        if data and data != "[DONE]":
            out.append(json.loads(data))
    return out


def _chat_kwargs(body: dict[str, Any]) -> dict[str, Any]:
    known = set(inspect.signature(_chat_create_signature()).parameters)
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in body.items():
        (kwargs if key in known else extra)[key] = value
    if extra:
        kwargs["extra_body"] = extra
    return kwargs


def _chat_create_signature() -> Any:
    from groq_anyio.resources.chat import Completions

    return Completions.create


def _expected_tool_calls(payloads: list[dict[str, Any]]) -> dict[int, tuple[str, str]]:
    calls: dict[int, list[str]] = {}
    names: dict[int, str] = {}
    for p in payloads:
        for ch in p.get("choices") or []:
            for tc in (ch.get("delta") or {}).get("tool_calls") or []:
                idx = tc.get("index", 0)
                fn = tc.get("function") or {}
                if fn.get("name"):
                    names[idx] = fn["name"]
                calls.setdefault(idx, []).append(fn.get("arguments") or "")
    return {i: (names.get(i, ""), "".join(parts)) for i, parts in calls.items()}


async def _replay_chat(client: AsyncGroq, server: GroqTestServer, rec: dict[str, Any]) -> None:
    req, resp = rec["request"], rec["response"]
    status = resp["status"]
    kwargs = _chat_kwargs(req["body"])
    streamed = bool(kwargs.get("stream"))
    if status >= 400:
        recorded_error = json.loads(resp["body_text"])["error"]
        with pytest.raises(g.APIStatusError) as info:
            result = await client.chat.completions.create(**kwargs)
            if streamed:
                async with result:
                    async for _ in result:
                        pass
        err = info.value
        assert err.status_code == status
        assert isinstance(
            err,
            STATUS_CLASS.get(status, g.InternalServerError if status >= 500 else g.APIStatusError),
        )
        assert err.message == recorded_error["message"]
        assert err.code == recorded_error.get("code")
        assert err.type == recorded_error.get("type")
        if "failed_generation" in recorded_error:
            assert err.failed_generation == recorded_error["failed_generation"]
        return
    if streamed:
        payloads = _sse_payloads(resp["body_text"])
        stream = await client.chat.completions.create(**kwargs)
        texts: list[str] = []
        n = 0
        async with stream:
            async for chunk in stream:
                n += 1
                for ch in chunk.choices:
                    if ch.delta.content:
                        texts.append(ch.delta.content)
        assert n == len(payloads)
        expected_text = "".join(
            (ch.get("delta") or {}).get("content") or ""
            for p in payloads
            for ch in p.get("choices") or []
        )
        final = stream.get_final_completion()
        assert "".join(texts) == expected_text
        assert (final.choices[0].message.content or "") == expected_text
        expected_calls = _expected_tool_calls(payloads)
        got_calls = final.choices[0].message.tool_calls or []
        assert {
            i: (c.function.name, c.function.arguments) for i, c in enumerate(got_calls)
        } == expected_calls
        if any("usage" in p or "usage" in (p.get("x_groq") or {}) for p in payloads):
            assert final.usage is not None and final.usage.total_tokens > 0
        if payloads:
            assert final.id == payloads[0]["id"] and final.model == payloads[0]["model"]
        return
    recorded = json.loads(resp["body_text"])
    completion = await client.chat.completions.create(**kwargs)
    assert completion.id == recorded["id"] and completion.model == recorded["model"]
    assert len(completion.choices) == len(recorded["choices"])
    for got, want in zip(completion.choices, recorded["choices"], strict=True):
        msg = want["message"]
        assert got.message.content == msg.get("content")
        assert got.message.reasoning == msg.get("reasoning")
        assert got.finish_reason == want["finish_reason"]
        want_calls = [
            (c["id"], c["function"]["name"], c["function"]["arguments"])
            for c in msg.get("tool_calls") or []
        ]
        got_calls = [
            (c.id, c.function.name, c.function.arguments) for c in got.message.tool_calls or []
        ]
        assert got_calls == want_calls
    if "usage" in recorded:
        assert completion.usage is not None
        assert completion.usage.total_tokens == recorded["usage"]["total_tokens"]
        assert completion.usage.prompt_tokens == recorded["usage"]["prompt_tokens"]
    if "x_groq" in recorded:
        assert completion.x_groq is not None and completion.x_groq.id == recorded["x_groq"]["id"]
    # and the request we sent carries what the recorded one did
    sent = server.requests[-1].json()
    for key, value in req["body"].items():
        if value is not None and key != "stream":
            assert sent[key] == value, key


def _multipart_fields(description: str) -> dict[str, str]:
    # "multipart/form-data: model=whisper-large-v3, response_format=text, file=<audio, ...>"
    _, _, rest = description.partition(":")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep and not value.startswith("<"):
            fields[key] = value
    return fields


async def _replay_transcription(
    client: AsyncGroq, server: GroqTestServer, rec: dict[str, Any]
) -> None:
    req, resp = rec["request"], rec["response"]
    fields = _multipart_fields(req["body"]) if isinstance(req["body"], str) else dict(req["body"])
    model = fields.pop("model", "whisper-large-v3")
    kwargs: dict[str, Any] = {
        k: v for k, v in fields.items() if k in ("language", "prompt", "response_format")
    }
    result = await client.audio.transcriptions.create(
        model=model, file=("audio.wav", b"RIFF0000WAVE"), **kwargs
    )
    body = resp["body_text"]
    content_type = resp["headers"].get("content-type", "")
    if content_type.startswith("text/plain") or kwargs.get("response_format") in (
        "text",
        "srt",
        "vtt",
    ):
        assert result == body
    else:
        recorded = json.loads(body)
        assert result.text == recorded["text"]
        if recorded.get("words"):
            assert [w.word for w in result.words] == [w["word"] for w in recorded["words"]]
        if recorded.get("segments"):
            assert len(result.segments) == len(recorded["segments"])
    sent = server.requests[-1]
    assert sent.path == req["path"]
    assert (sent.header("content-type") or "").startswith("multipart/form-data; boundary=")


REPLAYERS = {
    "/openai/v1/chat/completions": _replay_chat,
    "/openai/v1/audio/transcriptions": _replay_transcription,
}


@pytest.mark.parametrize("recording", RECORDINGS, ids=[r.id for r in RECORDINGS])
async def test_replay(recording: Recording, server: GroqTestServer, anyio_backend: Any) -> None:
    rec = recording.load()
    replay = REPLAYERS.get(rec["request"]["path"])
    assert replay is not None, (
        f"no replayer for {rec['request']['method']} {rec['request']['path']}"
    )
    server.push(_reply(rec))
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, max_retries=0) as client:
        await replay(client, server, rec)
        assert client.pool_stats().in_flight == 0
