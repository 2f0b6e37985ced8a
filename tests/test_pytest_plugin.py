"""The pytest plugin (groq_anyio.testing.pytest_plugin), run in a separate pytest process on a
small user test suite: fixtures on both backends, markers, the fake clock, replay, recording,
and nothing active for tests that do not ask for it."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from ._traffic import VENDORED

ROOT = Path(__file__).resolve().parent.parent

CONFTEST = """
import pytest

@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param
"""

USER_TESTS = """
import json
import pytest
from groq_anyio import AuthenticationError, NotFoundError
from groq_anyio.testing import ChatScript, ErrorReply

pytestmark = pytest.mark.anyio
MSGS = [{"role": "user", "content": "hi"}]


async def test_client_on_server(groq_client, groq_server, anyio_backend):
    groq_server.push(ChatScript("forty two"))
    c = await groq_client.chat.completions.create(model="llama-3.1-8b-instant", messages=MSGS)
    assert c.choices[0].message.content == "forty two"
    with pytest.raises(NotFoundError):
        await groq_client.chat.completions.create(model="no-such", messages=MSGS)
    assert groq_server.requests[0].header("authorization").startswith("Bearer gsk_")


@pytest.mark.groq_server(api_key="gsk_marker_key_123", models=None)
async def test_markers(groq_client, groq_server):
    c = await groq_client.chat.completions.create(model="anything", messages=MSGS)
    assert c.model == "anything"
    assert groq_server.api_key == "gsk_marker_key_123"


@pytest.mark.groq_server(api_key="gsk_marker_key_123")
@pytest.mark.groq_client(api_key="gsk_wrong_key_456")
async def test_client_marker(groq_client):
    with pytest.raises(AuthenticationError):
        await groq_client.models.list()


@pytest.mark.groq_client(max_retries=3)
async def test_clock(groq_client, groq_server, groq_clock):
    groq_server.push(ErrorReply(429, headers={"retry-after": "30"}), ChatScript("late"))
    c = await groq_client.chat.completions.create(model="llama-3.1-8b-instant", messages=MSGS)
    assert c.choices[0].message.content == "late"
    assert groq_clock.sleeps == [30.0]
    assert groq_server.clock is groq_clock


@pytest.mark.groq_server(replay=REPLAY)
async def test_replay(groq_client):
    doc = json.load(open(REPLAY))
    body = doc["request"]["body"]
    c = await groq_client.chat.completions.create(model=body["model"], messages=body["messages"])
    expected = json.loads(doc["response"]["body_text"])["choices"][0]["message"]["content"]
    assert c.choices[0].message.content == expected


def test_plain_tests_get_nothing(request):
    assert not [n for n in request.fixturenames if n.startswith("groq")]


async def test_plain_async_tests_get_nothing(request):
    assert not [n for n in request.fixturenames if n.startswith("groq")]
"""


def _plugin_registered() -> bool:
    eps = importlib.metadata.entry_points(group="pytest11")
    return any(ep.value == "groq_anyio.testing.pytest_plugin" for ep in eps)


def _run(tmp_path: Path, *args: str, env_extra: dict[str, str] | None = None) -> str:
    replay = VENDORED / "chat-weave-quickstart-0.json"
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(USER_TESTS).replace("REPLAY", repr(str(replay)))
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(env_extra or {})
    plugin = [] if _plugin_registered() else ["-p", "groq_anyio.testing.pytest_plugin"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_user_suite_passes_on_both_backends(tmp_path: Path) -> None:
    out = _run(tmp_path, "-rA")
    for name in ("test_client_on_server", "test_markers", "test_clock", "test_replay"):
        for backend in ("asyncio", "trio"):
            assert f"PASSED test_user.py::{name}[{backend}]" in out
    assert "13 passed" in out


def test_record_option_records_through_the_real_api_path(tmp_path: Path) -> None:
    """``--groq-record`` with ``--groq-upstream`` pointed at a local stand-in for Groq."""
    user = tmp_path / "suite"
    user.mkdir()
    (user / "conftest.py").write_text(CONFTEST)
    (user / "test_rec.py").write_text(
        textwrap.dedent(
            """
            import pytest
            pytestmark = pytest.mark.anyio

            async def test_one(groq_client):
                c = await groq_client.chat.completions.create(
                    model="llama-3.1-8b-instant", messages=[{"role": "user", "content": "x"}]
                )
                assert c.choices[0].message.content == "Hello from the local Groq server!"
            """
        )
    )
    key = "gsk_real_key_for_recording_0123"
    upstream = subprocess.Popen(
        [sys.executable, "-m", "groq_anyio", "serve", "--port", "0", "--api-key", key],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert upstream.stderr is not None
        line = upstream.stderr.readline()
        url = line.split(" on ")[1].split("/openai/v1")[0]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        env.update(PYTHONPATH=str(ROOT), GROQ_API_KEY=key)
        plugin = [] if _plugin_registered() else ["-p", "groq_anyio.testing.pytest_plugin"]
        rec = tmp_path / "rec"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                *plugin,
                f"--groq-record={rec}",
                f"--groq-upstream={url}",
            ],
            cwd=user,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        upstream.terminate()
        upstream.wait(timeout=20)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = sorted(p.relative_to(rec).as_posix() for p in rec.rglob("*.json"))
    assert files == ["test_one_asyncio_/chat-0000.json", "test_one_trio_/chat-0000.json"]
    assert all(key not in p.read_text() for p in rec.rglob("*.json"))


def test_entry_point_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    entry = project["project"]["entry-points"]["pytest11"]
    assert entry == {"groq_anyio": "groq_anyio.testing.pytest_plugin"}


@pytest.mark.parametrize("name", ["groq_server", "groq_client", "groq_clock"])
def test_plugin_module_is_cheap_and_opt_in(name: str) -> None:
    source = (ROOT / "groq_anyio" / "testing" / "pytest_plugin.py").read_text()
    assert "autouse" not in source.replace("no autouse fixture", "")
    assert f"def {name}(" in source
