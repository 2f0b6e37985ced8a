"""The command line's failure messages, run as separate processes: one line, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KEY = "gsk_cli_SECRET_never_printed"


def _run(
    args: list[str], env_extra: dict[str, str] | None = None, *, code: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GROQ_API_KEY", "GROQ_BASE_URL")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(env_extra or {})
    cmd = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "groq_anyio"]
    if not code:
        cmd += args
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1, proc.stderr
    assert KEY not in proc.stderr + proc.stdout
    return lines[0]


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("notaurl", "scheme must be https"),
        ("ftp://example.com/openai/v1", "'ftp'"),
        ("http://example.com/openai/v1", "only allowed to loopback"),
    ],
)
def test_bad_base_url_is_one_line(url: str, said: str) -> None:
    proc = _run(["chat", "hi"], {"GROQ_API_KEY": KEY, "GROQ_BASE_URL": url})
    assert proc.returncode == 2
    line = _one_line(proc)
    assert line.startswith("[groq-anyio] error: base_url:") and said in line
    assert proc.stdout == ""


def test_busy_port_is_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = _run(["serve", "--host", "127.0.0.1", "--port", str(port)])
    assert proc.returncode == 1
    line = _one_line(proc)
    assert line == f"[groq-anyio] cannot listen on 127.0.0.1:{port}: Address already in use"


# trio made unimportable in the child, as on a machine where it is not installed
_WITHOUT_TRIO = (
    "import sys; sys.modules['trio'] = None\n"
    "from groq_anyio.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def test_backend_trio_without_trio_names_the_extra() -> None:
    proc = _run(["chat", "hi", "--backend", "trio"], code=_WITHOUT_TRIO)
    assert proc.returncode == 2
    line = _one_line(proc)
    assert "pip install 'groq_anyio[trio]'" in line
    # and asyncio still works in that same trio-less interpreter
    proc = _run(["chat", "hi", "--backend", "asyncio"], code=_WITHOUT_TRIO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Hello from the local Groq server!"


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_local_with_a_key_set_says_the_key_is_not_used(backend: str) -> None:
    proc = _run(["chat", "hi", "--local", "--backend", backend], {"GROQ_API_KEY": KEY})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Hello from the local Groq server!"
    first = proc.stderr.splitlines()[0]
    assert first.startswith("[groq-anyio] --local: GROQ_API_KEY is set but not used: using")
    assert "no GROQ_API_KEY set" not in proc.stderr
    assert KEY not in proc.stderr + proc.stdout


def test_no_key_still_says_no_key() -> None:
    proc = _run(["chat", "hi"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("[groq-anyio] no GROQ_API_KEY set: using the embedded local")
