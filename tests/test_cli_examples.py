"""The command line and the examples, run as a user would: separate processes, local server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GROQ_API_KEY", "GROQ_BASE_URL")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _run(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("protocol", [[], ["--http2"], ["--http1"]])
def test_cli_chat_streams_from_local_server(backend: str, protocol: list[str]) -> None:
    proc = _run(["-m", "groq_anyio", "chat", "Why is Groq fast?", "--backend", backend, *protocol])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Hello from the local Groq server!"
    assert "no GROQ_API_KEY set: using the embedded local server" in proc.stderr
    timing = proc.stderr.strip().splitlines()[-1]
    assert "ttft=" in timing and "tok/s" in timing
    if protocol == ["--http2"]:
        assert "http=HTTP/2" in timing
    else:
        assert "http=HTTP/1.1" in timing


def test_cli_reports_errors_cleanly() -> None:
    env = _env()
    env["GROQ_API_KEY"] = "gsk_cli_SECRET_never_printed"
    env["GROQ_BASE_URL"] = "http://127.0.0.1:9"  # nothing listens there
    proc = subprocess.run(
        [sys.executable, "-m", "groq_anyio", "chat", "hi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "APIConnectionError" in proc.stderr
    assert "gsk_cli_SECRET_never_printed" not in proc.stderr + proc.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_against_local_server(example: Path) -> None:
    proc = _run([str(example)], cwd=example.parent)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
    assert "local Groq-compatible server" in proc.stderr
