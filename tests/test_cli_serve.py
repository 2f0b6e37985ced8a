"""``groq-anyio serve`` options (--tls, --api-key, --any-model, --replay, --lenient) and
``groq-anyio record``, run as separate processes as a user would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from groq_anyio import AsyncGroq, AuthenticationError, BadRequestError, NotFoundError
from groq_anyio.testing import ChatScript, GroqTestServer

from ._traffic import VENDORED

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
MSGS = [{"role": "user", "content": "hi"}]
KEY = "gsk_cli_serve_test_key_0123"


@contextmanager
def running(*args: str) -> Iterator[tuple[str, list[str]]]:
    """Start ``python -m groq_anyio ARGS``; yield its base URL and stderr lines so far."""
    env = {k: v for k, v in os.environ.items() if k not in ("GROQ_API_KEY", "GROQ_BASE_URL")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "groq_anyio", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            found = re.search(r"(https?://[^/\s]+)/openai/v1", line)
            if found:
                yield found.group(1), lines
                break
        else:
            raise AssertionError("the server did not start: " + "".join(lines))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()


async def test_serve_tls_with_a_generated_certificate_and_a_key(tmp_path: Path) -> None:
    tls = tmp_path / "tls"
    with running("serve", "--port", "0", "--tls", "--tls-dir", str(tls), "--api-key", KEY) as (
        url,
        lines,
    ):
        assert url.startswith("https://127.0.0.1:")
        ca = tls / "ca.pem"
        assert any(str(ca) in line for line in lines)
        assert "PRIVATE KEY" not in ca.read_text()
        async with AsyncGroq(api_key=KEY, base_url=url, verify=str(ca), max_retries=0) as client:
            c = await client.chat.completions.create(model="llama-3.1-8b-instant", messages=MSGS)
            assert c.choices[0].message.content == "Hello from the local Groq server!"
            with pytest.raises(NotFoundError):
                await client.chat.completions.create(model="no-such", messages=MSGS)
            with pytest.raises(BadRequestError, match="'n' : number must be at most 1"):
                await client.chat.completions.create(
                    model="llama-3.1-8b-instant", messages=MSGS, extra_body={"n": 2}
                )
        async with AsyncGroq(api_key="gsk_wrong_key", base_url=url, verify=str(ca)) as client:
            with pytest.raises(AuthenticationError):
                await client.models.list()


async def test_serve_any_model_lenient_and_replay() -> None:
    with running("serve", "--port", "0", "--any-model", "--lenient", "--no-http2") as (url, _):
        async with AsyncGroq(api_key=KEY, base_url=url, max_retries=0) as client:
            c = await client.chat.completions.create(
                model="my-own-model", messages=MSGS, extra_body={"n": 3}
            )
            assert c.model == "my-own-model"
    recorded = VENDORED / "chat-weave-quickstart-0.json"
    doc = json.loads(recorded.read_text())
    expected = json.loads(doc["response"]["body_text"])["choices"][0]["message"]["content"]
    with running("serve", "--port", "0", "--replay", str(recorded)) as (url, _):
        body = doc["request"]["body"]
        async with AsyncGroq(api_key=KEY, base_url=url, max_retries=0) as client:
            c = await client.chat.completions.create(**body)
    assert c.choices[0].message.content == expected


def test_serve_bad_options_fail_clearly(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for args, message in (
        (["--replay", str(tmp_path / "missing")], "no such file or folder"),
        (["--certfile", "x.pem"], "--certfile and --keyfile go together"),
        (["--batch-timing", "1,2"], "three numbers"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "groq_anyio", "serve", "--port", "0", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


async def test_record_command(tmp_path: Path) -> None:
    async with GroqTestServer(api_key=KEY, default=ChatScript("from upstream")) as upstream:
        with running("record", str(tmp_path), "--port", "0", "--upstream", upstream.base_url) as (
            url,
            _,
        ):
            async with AsyncGroq(api_key=KEY, base_url=url, max_retries=0) as client:
                c = await client.chat.completions.create(
                    model="llama-3.1-8b-instant", messages=MSGS
                )
    assert c.choices[0].message.content == "from upstream"
    (path,) = tmp_path.glob("*.json")
    assert path.name == "chat-0000.json" and KEY not in path.read_text()
