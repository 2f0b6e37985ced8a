"""Logging: the ``groq_anyio`` loggers, GROQ_LOG, DEBUG lines, WARNINGs, and the secrets canary.

The canary runs plain, streamed, error and retry calls (and a callable ``api_key``) at DEBUG, as
``logging.basicConfig(level=logging.DEBUG)`` would, over HTTP/1.1, h2c and TLS, and searches
everything logged (every logger, formatted, with every record attribute, plus stderr) for the
key: raw, as ``Bearer <key>``, and HPACK/Huffman-encoded (as the ``hpack`` library logs header
blocks).
"""

from __future__ import annotations

import logging
import os
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import trustme
from hpack.huffman import HuffmanEncoder
from hpack.huffman_constants import REQUEST_CODES, REQUEST_CODES_LENGTH

from groq_anyio import (
    AsyncGroq,
    AuthenticationError,
    CircuitBreakerConfig,
    CircuitOpenError,
    RateLimitError,
)
from groq_anyio._telemetry._redact import REDACTED_LOGGERS, SecretFilter, setup_env_logging
from groq_anyio.testing import ChatScript, ErrorReply, GroqTestServer

pytestmark = pytest.mark.anyio

MODEL = "llama-3.3-70b-versatile"
MESSAGES = [{"role": "user", "content": "Hello"}]
KEY = "gsk_CANARY_0123456789abcdefghijklmnopqrstuvwxyzXYZ"
ROTATED = "gsk_ROTATED_CANARY_9876543210zyxwvutsrqponmlkjih"


def _huffman(data: bytes) -> bytes:
    return HuffmanEncoder(REQUEST_CODES, REQUEST_CODES_LENGTH).encode(data)


def _forms(key: str) -> list[str]:
    """Every form in which ``key`` could show up in text output."""
    out = [key, key[4:24]]
    for secret in (key.encode(), b"Bearer " + key.encode()):
        huff = _huffman(secret)
        core = huff[1:-1]  # (the first and last bytes may share bits with their neighbours)
        out += [repr(core)[2:-1], core.hex(), repr(list(core))[1:-1]]
    return out


class Capture(logging.Handler):
    """Everything logged anywhere: the formatted line and every attribute of the record."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record) + " " + repr(record.__dict__))

    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def debug_logging() -> Iterator[Capture]:
    """DEBUG on the root logger, as ``logging.basicConfig(level=logging.DEBUG)`` does."""
    root = logging.getLogger()
    capture = Capture()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    # loggers that do not propagate to the root get the handler too: all output is seen
    islands = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    for logger in islands:
        logger.addHandler(capture)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)
        for logger in islands:
            logger.removeHandler(capture)


def _assert_no_secret(text: str, *keys: str) -> None:
    for key in keys:
        for form in _forms(key):
            assert form not in text, f"secret leaked in a log line (form {form[:12]!r}...)"


async def _rotating_key() -> str:
    return ROTATED


async def _log_hook(message: Any) -> None:
    """An application's event hook that logs what it sees (headers included)."""
    headers = getattr(message, "headers", None)
    logging.getLogger("app.hooks").debug("hook saw %r %r", message, dict(headers or {}))


async def _exercise(server: GroqTestServer, **client_kw: Any) -> None:
    """Plain, streamed, error and retried calls (and one with a callable key), with hooks."""
    server.push(ErrorReply(503, headers={"retry-after": "0"}))  # retried
    hooks = {"request": [_log_hook], "response": [_log_hook]}
    async with AsyncGroq(
        api_key=KEY, base_url=server.base_url, max_retries=2, event_hooks=hooks, **client_kw
    ) as c:
        await c.chat.completions.create(model=MODEL, messages=MESSAGES)  # (503, then 200)
        await c.chat.completions.create(model=MODEL, messages=MESSAGES)
        stream = await c.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        async with stream:
            async for _ in stream:
                pass
        server.push(ErrorReply(401, "Invalid API Key", code="invalid_api_key"))
        with pytest.raises(AuthenticationError):
            await c.chat.completions.create(model=MODEL, messages=MESSAGES)
        await c.models.list()
        await c.embeddings.create(model="nomic-embed-text-v1.5", input="hello")
    async with AsyncGroq(
        api_key=_rotating_key,
        base_url=server.base_url,
        max_retries=0,
        event_hooks=hooks,
        **client_kw,
    ) as c:
        await c.chat.completions.create(model=MODEL, messages=MESSAGES)
        stream = await c.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        async with stream:
            async for _ in stream:
                pass


@pytest.fixture
async def tls_server(
    anyio_backend: object, server_ssl_context: ssl.SSLContext
) -> AsyncIterator[GroqTestServer]:
    async with GroqTestServer(ssl_context=server_ssl_context) as srv:
        yield srv


@pytest.fixture
async def plain_server(anyio_backend: object) -> AsyncIterator[GroqTestServer]:
    async with GroqTestServer() as srv:
        yield srv


@pytest.mark.parametrize("protocol", ["http1", "h2c"])
async def test_canary_plain_tcp(
    plain_server: GroqTestServer,
    debug_logging: Capture,
    capfd: pytest.CaptureFixture[str],
    protocol: str,
) -> None:
    kw: dict[str, Any] = (
        {"http2": False} if protocol == "http1" else {"http1": False, "http2": True}
    )
    await _exercise(plain_server, **kw)
    versions = set(plain_server.http_versions)
    assert versions == ({"HTTP/1.1"} if protocol == "http1" else {"HTTP/2"})
    assert all(r.header("authorization") for r in plain_server.requests)
    text = debug_logging.text()
    out, err = capfd.readouterr()
    _assert_no_secret(text + out + err, KEY, ROTATED)
    names = {r.name for r in debug_logging.records}
    assert {"groq_anyio.http", "groq_anyio.stream", "groq_anyio.resilience", "app.hooks"} <= names
    assert any(
        "<redacted>" in r.getMessage() for r in debug_logging.records if r.name == "app.hooks"
    )
    if protocol == "h2c":
        # the header blocks were logged, with their contents redacted
        hpack_lines = [r for r in debug_logging.records if r.name.startswith("hpack")]
        assert hpack_lines
        assert any("<redacted>" in r.getMessage() for r in hpack_lines)


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "h2"])
async def test_canary_tls(
    tls_server: GroqTestServer,
    ca: trustme.CA,
    debug_logging: Capture,
    capfd: pytest.CaptureFixture[str],
    http2: bool,
) -> None:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    ctx.set_alpn_protocols(["h2"] if http2 else ["http/1.1"])  # (a caller's context: its ALPN)
    await _exercise(tls_server, verify=ctx, http2=http2, http1=not http2)
    assert set(tls_server.http_versions) == {"HTTP/2" if http2 else "HTTP/1.1"}
    out, err = capfd.readouterr()
    _assert_no_secret(debug_logging.text() + out + err, KEY, ROTATED)


async def test_canary_would_see_a_leak(
    plain_server: GroqTestServer, debug_logging: Capture
) -> None:
    """The search is not vacuous: without the filter, hpack's lines give the key away."""
    removed: list[tuple[logging.Logger, logging.Filter]] = []
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        for f in list(logger.filters):
            if isinstance(f, SecretFilter):
                logger.removeFilter(f)
                removed.append((logger, f))
    assert removed
    try:
        async with AsyncGroq(
            api_key=KEY, base_url=plain_server.base_url, http1=False, http2=True, max_retries=0
        ) as c:
            await c.chat.completions.create(model=MODEL, messages=MESSAGES)
    finally:
        for logger, f in removed:
            logger.addFilter(f)
    with pytest.raises(AssertionError, match="secret leaked"):
        _assert_no_secret(debug_logging.text(), KEY)


async def test_debug_lines_with_extra_fields(
    plain_server: GroqTestServer, debug_logging: Capture
) -> None:
    plain_server.push(ErrorReply(503, headers={"retry-after": "0"}))
    async with AsyncGroq(api_key=KEY, base_url=plain_server.base_url, max_retries=1) as c:
        completion = await c.chat.completions.create(model=MODEL, messages=MESSAGES)
        stream = await c.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        async with stream:
            async for _ in stream:
                pass
    http = [r for r in debug_logging.records if r.name == "groq_anyio.http"]
    attempts = [r for r in http if hasattr(r, "groq_attempt")]
    requests = [r for r in http if hasattr(r, "groq_attempts")]
    assert [(r.groq_attempt, r.groq_status) for r in attempts] == [(1, 503), (2, 200), (1, 200)]
    assert all(r.levelno == logging.DEBUG for r in http)
    assert all(r.groq_method == "POST" for r in attempts)
    assert all(r.groq_url.endswith("/openai/v1/chat/completions") for r in attempts)
    assert all(isinstance(r.groq_duration_ms, float) for r in attempts)
    (req,) = requests  # the plain call; the stream's end has its own line
    assert req.groq_attempts == 2
    assert req.groq_status == 200
    assert req.groq_request_id == completion.request_id
    (retry,) = [r for r in debug_logging.records if r.name == "groq_anyio.resilience"]
    assert retry.levelno == logging.WARNING
    assert retry.groq_reason == "status_503"
    assert retry.groq_retry_delay_s == 0.0
    assert "ServiceUnavailableError" in retry.getMessage()
    (end,) = [r for r in debug_logging.records if r.name == "groq_anyio.stream"]
    assert end.groq_outcome == "completed"
    assert end.groq_chunks > 1
    assert end.groq_content_length > 0


async def test_warnings_without_debug(plain_server: GroqTestServer, caplog: Any) -> None:
    caplog.set_level(logging.WARNING)
    async with AsyncGroq(
        api_key=KEY,
        base_url=plain_server.base_url,
        max_retries=1,
        circuit_breaker=CircuitBreakerConfig(failure_threshold=1),
    ) as c:
        assert c._instrument is None  # nothing per request: WARNINGs still come
        plain_server.push(ErrorReply(401, "Invalid API Key", code="invalid_api_key"))
        with pytest.raises(AuthenticationError):
            await c.chat.completions.create(model=MODEL, messages=MESSAGES)
        plain_server.push(ErrorReply(429, headers={"retry-after": "600"}))
        with pytest.raises(RateLimitError):
            await c.chat.completions.create(model=MODEL, messages=MESSAGES)
    async with AsyncGroq(
        api_key=KEY,
        base_url=plain_server.base_url,
        max_retries=1,
        circuit_breaker=CircuitBreakerConfig(failure_threshold=1),
    ) as c:
        plain_server.push(ErrorReply(503, headers={"retry-after": "0"}))
        with pytest.raises(CircuitOpenError):  # the 503 opens the circuit: no retry
            await c.chat.completions.create(model=MODEL, messages=MESSAGES)
    by_logger = {(r.name, r.levelno): r for r in caplog.records}
    unauthorized = by_logger[("groq_anyio.http", logging.WARNING)]
    assert "401" in unauthorized.getMessage() and unauthorized.groq_status == 401
    limited = by_logger[("groq_anyio.resilience", logging.WARNING)]
    assert "rate limit exhausted" in limited.getMessage()
    assert 590 < limited.groq_retry_after_s <= 600
    assert any("circuit breaker opened" in r.getMessage() for r in caplog.records)
    _assert_no_secret("\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records), KEY)


def test_secret_filter_keeps_numbers() -> None:
    record = logging.LogRecord(
        "hpack.hpack", logging.DEBUG, __file__, 1, "x %d %s", (5, b"k"), None
    )
    assert SecretFilter().filter(record)
    assert record.getMessage() == "x 5 <redacted>"


def test_groq_log_env(monkeypatch: pytest.MonkeyPatch) -> None:
    logger = logging.getLogger("groq_anyio")
    old = logger.level
    try:
        setup_env_logging({"GROQ_LOG": "debug"})
        assert logger.level == logging.DEBUG
        setup_env_logging({"GROQ_LOG": "info"})
        assert logger.level == logging.INFO
    finally:
        logger.setLevel(old)
        for h in list(logger.handlers):
            logger.removeHandler(h)


def test_groq_log_debug_prints_requests() -> None:
    """``GROQ_LOG=debug`` in a fresh interpreter: the request lines go to stderr, no key."""
    code = (
        "import anyio\n"
        "from groq_anyio import AsyncGroq\n"
        "from groq_anyio.testing import GroqTestServer\n"
        "async def main():\n"
        "    async with GroqTestServer() as s:\n"
        f"        async with AsyncGroq(api_key={KEY!r}, base_url=s.base_url) as c:\n"
        f"            await c.chat.completions.create(model={MODEL!r}, messages=[{{'role':'user',"
        "'content':'hi'}])\n"
        "anyio.run(main)\n"
    )
    env = dict(os.environ, GROQ_LOG="debug")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "groq_anyio.http" in out.stderr
    assert "HTTP POST http://127.0.0.1:" in out.stderr
    assert "DEBUG" in out.stderr
    _assert_no_secret(out.stderr + out.stdout, KEY)


async def test_chat_script_import() -> None:
    assert ChatScript().text


@pytest.mark.anyio
async def test_warning_once_when_calls_are_held_by_an_exhausted_rate_limit(
    plain_server: GroqTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Rate-limit exhaustion is a WARNING when the client starts holding calls (one line per
    hold, whatever the number of calls held), with its fields in ``extra``."""
    import anyio

    from groq_anyio.testing import FakeClock, use_clock

    caplog.set_level(logging.WARNING)
    async with AsyncGroq(api_key=KEY, base_url=plain_server.base_url, max_retries=0) as c:
        use_clock(c, FakeClock())
        plain_server.push(
            ChatScript(
                headers={"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s"}
            )
        )
        await c.chat.completions.create(model=MODEL, messages=MESSAGES)  # the limit hits 0
        async with anyio.create_task_group() as tg:
            for _ in range(3):  # all three wait behind the same exhausted limit
                tg.start_soon(lambda: c.chat.completions.create(model=MODEL, messages=MESSAGES))
    held = [r for r in caplog.records if "holding calls" in r.getMessage()]
    assert len(held) == 1, [r.getMessage() for r in caplog.records]
    assert held[0].name == "groq_anyio.resilience" and held[0].levelno == logging.WARNING
    assert held[0].groq_rate_limit == "requests" and 0 < held[0].groq_wait_s <= 2
