"""Child processes for the orchestrators: servers and clients that always get cleaned up.

Every child runs in its own session with a stdin pipe (``_common.die_with_parent``): it is
killed on timeout, on error, on Ctrl-C, and exits by itself if the orchestrator is killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from _common import CHILD_ENV

BENCH = os.path.dirname(os.path.abspath(__file__))
PYTHON = sys.executable
_children: set[subprocess.Popen[bytes]] = set()


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(2)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    for f in (proc.stdin, proc.stdout, proc.stderr):
        if f is not None:
            with contextlib.suppress(OSError):
                f.close()
    _children.discard(proc)


def kill_all() -> None:
    """Kill every child still running (each one by its own process group id)."""
    for proc in list(_children):
        _kill(proc)


def install_signal_handlers() -> None:
    """SIGTERM/SIGHUP behave like Ctrl-C: unwind, run the ``finally`` blocks, kill children."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env[CHILD_ENV] = "1"
    # cached bytecode, as in any installed environment (cold-start numbers depend on it)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def spawn(
    args: list[str],
    stdout: Any = subprocess.PIPE,
    stderr: Any = subprocess.PIPE,
    wrapper: tuple[str, ...] = (),
) -> Any:
    """Start ``[*wrapper, python, *args]`` (``wrapper``: e.g. a valgrind command line)."""
    proc = subprocess.Popen(
        [*wrapper, PYTHON, *args],
        cwd=BENCH,
        stdin=subprocess.PIPE,  # never written to or closed: its EOF means "parent gone"
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
        env=_child_env(),
    )
    _children.add(proc)
    return proc


def _read_line(proc: subprocess.Popen[bytes], deadline: float) -> bytes:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not sel.select(remaining):
                raise TimeoutError("no output in time")
            byte = os.read(proc.stdout.fileno(), 1)
            if not byte:
                break
            line += byte
        return line
    finally:
        sel.close()


@contextlib.contextmanager
def server(scenario: str, certdir: str | None = None, timeout: float = 30.0) -> Iterator[str]:
    """Run ``_server.py --scenario scenario`` for the block; yields its base URL."""
    args = ["_server.py", "--scenario", scenario]
    if certdir:
        args += ["--tls", certdir]
    proc = spawn(args)
    try:
        line = _read_line(proc, time.monotonic() + timeout)
        if not line.startswith(b"READY "):
            err = proc.stderr.read().decode(errors="replace") if proc.poll() is not None else ""
            raise RuntimeError(f"server {scenario} did not start: {line!r} {err[-2000:]}")
        yield line.split()[1].decode()
    finally:
        _kill(proc)


def run(
    args: list[str], timeout: float, wrapper: tuple[str, ...] = ()
) -> tuple[int | None, str, str]:
    """Run ``python args`` to completion: (exit code or None on timeout, stdout, stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = spawn(args, stdout=out, stderr=err, wrapper=wrapper)
        code: int | None
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            _kill(proc)
        out.seek(0)
        err.seek(0)
        return code, out.read().decode(errors="replace"), err.read().decode(errors="replace")


def run_client(args: list[str], timeout: float) -> dict[str, Any]:
    """Run ``_client.py args``; return its RESULT dict, or ``{"error": ...}``."""
    code, out, err = run(["_client.py", *args], timeout)
    if code is None:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[7:])
            return result
    tail = err.strip().splitlines()[-3:]
    return {"error": f"exit {code}: " + " | ".join(tail)[-600:]}


@contextlib.contextmanager
def certificates() -> Iterator[str]:
    """A throwaway CA and a localhost/127.0.0.1 server certificate (trustme) in a temp dir:
    ``ca.pem`` for clients, ``server.pem`` (key + chain) for the server."""
    import trustme

    with tempfile.TemporaryDirectory(prefix="groq-anyio-bench-") as d:
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca.cert_pem.write_to_path(os.path.join(d, "ca.pem"))
        cert.private_key_and_cert_chain_pem.write_to_path(os.path.join(d, "server.pem"))
        yield d
