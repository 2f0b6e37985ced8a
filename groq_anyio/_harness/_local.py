"""The embedded local server for ``groq-anyio bench`` without a key: a child process running
:class:`groq_anyio.testing.PacedChat` (see ``_serve.py``), so that its work is not counted as
the client's CPU and does not delay the client's event loop."""

from __future__ import annotations

import selectors
import subprocess
import sys
import tempfile
from types import TracebackType

__all__ = ["LocalServer", "LocalServerError"]


class LocalServerError(RuntimeError):
    pass


class LocalServer:
    """``with LocalServer(ttft=0.04, tokens_per_s=250) as url: ...`` (url: ``http://...``)."""

    def __init__(
        self,
        *,
        ttft: float,
        tokens_per_s: float,
        jitter: float = 0.0,
        seed: int = 0,
        record: bool = False,
        http2: bool = True,
        uvloop: bool = False,
        start_timeout: float = 30.0,
    ) -> None:
        self.args = [
            sys.executable,
            "-m",
            "groq_anyio._harness._serve",
            "--ttft",
            repr(ttft),
            "--tokens-per-s",
            repr(tokens_per_s),
            "--jitter",
            repr(jitter),
            "--seed",
            str(seed),
        ]
        if record:
            self.args.append("--record")
        if not http2:
            self.args.append("--no-http2")
        if uvloop:
            self.args.append("--uvloop")
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        #: the server's stderr (a file, not a pipe: a pipe nobody reads could fill and block it)
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in _stop)

    def __enter__(self) -> str:
        proc = subprocess.Popen(
            self.args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            start_new_session=True,  # Ctrl-C stops the benchmark, which then stops the server
        )
        self.proc = proc
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            ready = sel.select(self.start_timeout)
        line = proc.stdout.readline().decode().strip() if ready else ""
        if not line.startswith("http"):
            proc.kill()
            proc.wait(5)
            self.log.seek(0)
            err = self.log.read().decode(errors="replace")[-500:]
            self._stop()
            raise LocalServerError(f"the local server did not start: {err or 'no output'}")
        self.base_url = line
        return line

    def _stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()
        self.log.close()
        self.proc = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()
