"""Recording real Groq exchanges, to replay them later (``GroqTestServer(replay=...)``).

:class:`GroqRecorder` is a recording reverse proxy on loopback: point any client at its
``base_url`` (this package's, the official SDK, curl) and every request is forwarded to the
real API (``upstream``, by default ``https://api.groq.com``) with the caller's key, the answer
streamed back as it arrives, and the exchange written to ``directory`` as one JSON file in the
conformance corpus format (see :mod:`groq_anyio.testing._replay`)::

    async with GroqRecorder("tests/recordings") as recorder:
        async with AsyncGroq(base_url=recorder.base_url) as client:  # GROQ_API_KEY: a real key
            await client.chat.completions.create(model=..., messages=...)

Redaction: request headers are cut to ``content-type`` and ``accept`` (the key travels only in
``authorization``, which is never written), response headers lose ``set-cookie`` and transport
headers, and any occurrence of the key in what is written becomes ``REDACTED``. Form uploads
(audio) are described (their text fields and the file's name and size), not stored. A
response body that is not text is stored base64-encoded (``body_base64``).

Files are named ``{kind}-{n:04d}.json`` in arrival order (``chat``, ``chat_stream``, ``error``,
``audio``, ``models``, ...); an existing file is never overwritten (numbering continues).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import re
import ssl
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

from ._endpoints._form import parse_form
from ._exchange import Exchange, HeaderList, RecordedRequest, Reply
from ._replies import ErrorReply
from ._server import GroqTestServer
from ._thread import in_thread

if TYPE_CHECKING:
    import httpcore

__all__ = ["GroqRecorder"]

DEFAULT_UPSTREAM: Final = "https://api.groq.com"
_HOP: Final = frozenset(
    {
        "host",
        "connection",
        "keep-alive",
        "content-length",
        "transfer-encoding",
        "accept-encoding",
        "te",
        "upgrade",
        "proxy-connection",
    }
)
_NOT_RECORDED: Final = frozenset(
    {"content-length", "transfer-encoding", "content-encoding", "connection", "set-cookie"}
)
_KEPT_REQUEST_HEADERS: Final = ("content-type", "accept")
_TEXT_TYPES: Final = ("text/", "application/json", "application/x-ndjson", "application/jsonl")


def _tls_context() -> ssl.SSLContext:
    try:
        import truststore

        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    except Exception:  # pragma: no cover - truststore unusable here
        import certifi

        return ssl.create_default_context(cafile=certifi.where())


def _kind(req: RecordedRequest, status: int, stream: bool) -> str:
    route = req.route.removeprefix("/openai/v1/")
    if status >= 400:
        return "error"
    if route == "chat/completions":
        return "chat_stream" if stream else "chat"
    if route.startswith("audio/"):
        return "audio"
    return re.sub(r"[^a-z0-9]+", "_", route.split("/")[0].lower()) or "request"


def _request_body(req: RecordedRequest) -> Any:
    if not req.body:
        return None
    ctype = (req.header("content-type") or "").lower()
    if ctype.startswith("multipart/form-data"):
        form = parse_form(req)
        if isinstance(form, str):
            return f"multipart/form-data ({len(req.body)} bytes, unparsed)"
        parts = [f"{k}={v}" for k, vs in form.fields.items() for v in vs]
        parts += [f"{k}=<{name}, {len(data)} bytes>" for k, (name, data) in form.files.items()]
        return "multipart/form-data: " + ", ".join(parts)
    try:
        return json.loads(req.body)
    except ValueError:
        return base64.b64encode(req.body).decode("ascii")


def _scrub(value: Any, secret: str) -> Any:
    if len(secret) < 8:  # nothing that short is a key; replacing it would mangle the text
        return value
    if isinstance(value, str):
        return value.replace(secret, "REDACTED")
    if isinstance(value, dict):
        return {_scrub(k, secret): _scrub(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secret) for v in value]
    return value


class _Forward(Reply, frozen=True):
    """The recorder's reply: forward upstream, stream the answer back, write the file."""

    recorder: Any

    async def respond(self, exchange: Exchange) -> None:
        await self.recorder._forward(exchange)


class GroqRecorder:
    """A loopback proxy that records what ``upstream`` answers (see the module).

    Args:
        directory: where the JSON files go (created if missing).
        upstream: the real API's origin.
        host, port: where the proxy listens (port 0: a free one).
        ssl_context: the client-side TLS context for ``upstream`` (default: the system's trust
            store through truststore, else certifi).

    Attributes:
        paths: the files written, in order.
    """

    def __init__(
        self,
        directory: str | PathLike[str],
        *,
        upstream: str = DEFAULT_UPSTREAM,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.upstream = upstream.rstrip("/")
        self.paths: list[Path] = []
        self._ssl = ssl_context
        self._server = GroqTestServer(host, port, default=_Forward(self), strict=False)
        self._pool: httpcore.AsyncConnectionPool | None = None

    @property
    def base_url(self) -> str:
        """The proxy's URL (the API is under ``/openai/v1``, as on Groq)."""
        return self._server.base_url

    async def __aenter__(self) -> Self:
        import httpcore

        self.directory.mkdir(parents=True, exist_ok=True)
        context = self._ssl
        if context is None and self.upstream.startswith("https:"):
            context = _tls_context()
        self._pool = httpcore.AsyncConnectionPool(ssl_context=context, http2=False)
        try:
            await self._server.__aenter__()
        except BaseException:
            await self._pool.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._server.__aexit__(exc_type, exc, tb)
        finally:
            if self._pool is not None:
                await self._pool.aclose()
                self._pool = None

    @contextlib.contextmanager
    def run_in_thread(self, *, timeout: float = 10.0) -> Iterator[Self]:
        """Run the recorder on an asyncio loop in a background thread for the ``with`` block
        (for synchronous clients, such as the official SDK's ``Groq``)."""
        with in_thread(self, "Groq recorder", timeout):
            yield self

    async def _forward(self, exchange: Exchange) -> None:
        import httpcore

        req = exchange.request
        assert self._pool is not None
        headers = [(k, v) for k, v in req.headers if k not in _HOP]
        auth = req.header("authorization") or ""
        secret = auth.partition(" ")[2].strip() if auth.lower().startswith("bearer ") else auth
        body = bytearray()
        try:
            async with self._pool.stream(
                req.method, self.upstream + req.path, headers=headers, content=req.body
            ) as resp:
                out: HeaderList = [
                    (k.lower(), v)
                    for k, v in resp.headers
                    if k.lower().decode("latin-1") not in _NOT_RECORDED
                ]
                await exchange.start(resp.status, out, None)
                async for chunk in resp.aiter_stream():
                    body += chunk
                    await exchange.write(chunk)
                # written before the body ends, so a caller that got the whole answer finds it
                self._write(req, resp.status, out, bytes(body), secret)
                await exchange.end()
        except httpcore.TimeoutException:
            if exchange.head_sent:
                raise
            await ErrorReply(504, "the upstream API did not answer in time").respond(exchange)
            return
        except httpcore.NetworkError as exc:
            if exchange.head_sent:
                raise
            message = f"cannot reach {self.upstream}: {type(exc).__name__}"
            await ErrorReply(502, message, type="api_error").respond(exchange)

    def _write(
        self, req: RecordedRequest, status: int, headers: HeaderList, body: bytes, secret: str
    ) -> None:
        hdrs = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers}
        ctype = hdrs.get("content-type", "")
        stream = ctype.startswith("text/event-stream")
        response: dict[str, Any] = {"status": status, "headers": hdrs}
        text = None
        if not ctype or ctype.startswith(_TEXT_TYPES):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is not None:
            response["body_text"] = text
        else:
            response["body_base64"] = base64.b64encode(body).decode("ascii")
        doc = {
            "source": {
                "recorded_by": "groq_anyio.testing.GroqRecorder",
                "upstream": self.upstream,
                "recorded_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            },
            "request": {
                "method": req.method,
                "path": req.path,
                "headers": {k: v for k, v in req.headers if k in _KEPT_REQUEST_HEADERS},
                "body": _request_body(req),
            },
            "response": response,
            "kind": _kind(req, status, stream),
        }
        doc = _scrub(doc, secret)
        kind = doc["kind"]
        n = len(list(self.directory.glob(f"{kind}-*.json")))
        while (path := self.directory / f"{kind}-{n:04d}.json").exists():
            n += 1
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "utf-8")
        self.paths.append(path)
