"""The transport of a client: TLS context, the pool, request building, error mapping.

Above this module nothing knows about httpcore; below it nothing knows about chat. Every
transport or network exception is mapped here, once, onto :mod:`groq_anyio._errors`.

Creating a transport is part of creating a client, so it imports and builds only what the
client's protocol needs before its first request: HTTP/1.1 needs neither httpcore nor h2
(:mod:`._core`); the TLS context is checked at once (a bad ``verify`` path fails here) and
built on the first TLS connection (:class:`._tls.LazyContext`). With HTTP/2 on, httpcore and
h2 are imported here rather than on the first request.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, urlencode

import anyio

from .._config import ClientConfig, RedactedBytes, Timeout
from .._errors import (
    APIConnectionError,
    APITimeoutError,
    ClientClosedError,
    InvalidParameterError,
    ResponseTooLargeError,
    TLSVerificationError,
)
from .._version import __version__
from . import _core as core
from ._h1 import InvalidHead, available_parser
from ._loops import LoopPools
from ._pool import ConnectionPool, PooledStream, PoolStats, h2_connection_class
from ._proxy import select_proxy
from ._request import build_request
from ._scrub import scrub
from ._tls import LazyContext, create_ssl_context, prepare_tls

if TYPE_CHECKING:
    import ssl

__all__ = ["RawResponse", "Transport", "create_ssl_context"]

USER_AGENT: Final = f"groq-anyio/{__version__}".encode()

_TIMEOUT_ERRORS = (core.TimeoutException,)
_CONNECTION_ERRORS = (
    core.NetworkError,
    core.ProtocolError,
    core.ProxyError,
    core.UnsupportedProtocol,
    OSError,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    anyio.EndOfStream,
)


_Limits = dict[str, float | None]
_HTTP_VERSIONS = {b"HTTP/1.1": "HTTP/1.1", b"HTTP/2": "HTTP/2", b"HTTP/1.0": "HTTP/1.0"}


def _request_phase_limits(limits: _Limits, total: float | None) -> _Limits:
    """``limits`` for the request phase, which runs under the call's total deadline: a read or
    write limit that cannot end before that deadline is dropped (it would only cost a cancel
    scope per socket operation)."""
    if total is None:
        return limits
    phase = dict(limits)
    for key in ("read", "write"):
        value = phase[key]
        if value is not None and value >= total:
            phase[key] = None
    return phase


class RawResponse:
    """Status line and headers of a response whose body is still to be read from ``stream``."""

    __slots__ = ("status", "raw_headers", "http_version", "stream", "sent_ns", "_headers")

    def __init__(
        self,
        status: int,
        raw_headers: list[tuple[bytes, bytes]],
        http_version: str,
        stream: PooledStream,
        sent_ns: int | None = None,
    ) -> None:
        self.status = status
        self.raw_headers = raw_headers
        self.http_version = http_version
        self.stream = stream
        #: perf_counter_ns when the request's last byte was handed to the network (None: the
        #: connection does not say, e.g. httpcore's own through an unknown httpcore version)
        self.sent_ns = sent_ns
        self._headers: dict[str, str] | None = None

    @property
    def headers(self) -> dict[str, str]:
        """Lower-cased header names to values (decoded lazily; repeated headers joined by ', ')."""
        h = self._headers
        if h is None:
            h = {}
            for k, v in self.raw_headers:
                name = k.decode("latin-1").lower()
                value = v.decode("latin-1")
                h[name] = f"{h[name]}, {value}" if name in h else value
            self._headers = h
        return h

    def header(self, name: bytes) -> str | None:
        """One header by lower-case name, without building the whole mapping."""
        for k, v in self.raw_headers:
            if k.lower() == name:
                return v.decode("latin-1")
        return None

    async def read(self, limit: int | None = None) -> bytes:
        """Read the whole body and give the connection back.

        Raises:
            ResponseTooLargeError: the body is longer than ``limit`` bytes (announced by its
                ``content-length``, or found while reading); the connection is closed, the
                bytes read so far are dropped.
        """
        parts: list[bytes] = []
        size = 0
        over: str | None = None  # why the body is too large
        try:
            if limit is not None:
                announced = self.header(b"content-length")
                if announced is not None and announced.strip().isdigit() and int(announced) > limit:
                    over = f"announced {int(announced)} bytes"
            if over is None:
                async for part in self.stream:
                    size += len(part)
                    if limit is not None and size > limit:
                        parts.clear()
                        over = "more than that arrived"
                        break
                    parts.append(part)
        except Exception as exc:
            mapped = map_exception(exc)
            if mapped is None:
                raise
            raise mapped from exc
        finally:
            await self.stream.aclose()  # (mid-body: the connection is closed, not pooled)
        if over is not None:
            error = "an error" if self.status >= 400 else "a"
            raise ResponseTooLargeError(
                f"{error} response body is larger than the client's limit ({over}); the "
                "connection was closed",
                limit=limit or 0,
                setting="ResponseLimits.error_body"
                if self.status >= 400
                else "ResponseLimits.json_body",
                request_id=self.header(b"x-request-id"),
            )
        if len(parts) == 1:
            return parts[0]
        return b"".join(parts)

    async def aclose(self) -> None:
        await self.stream.aclose()


def map_exception(exc: BaseException) -> Exception | None:
    """The library exception for a transport failure, or None if ``exc`` is not one.

    The frames of ``exc``'s traceback are cleared (:func:`scrub`): they may hold the request
    head, and so the API key, in plain bytes.
    """
    scrub(exc)
    if isinstance(exc, InvalidHead):
        return InvalidParameterError("headers", f"cannot be sent as they are: {exc}")
    foreign = core.from_httpcore(exc)  # (httpcore's own HTTP/2 code, or a test's backend)
    if foreign is not None:
        exc = foreign
    if isinstance(exc, _TIMEOUT_ERRORS):
        return APITimeoutError(f"Request timed out ({type(exc).__name__}: {exc})")
    ssl_module: Any = sys.modules.get("ssl")  # (no TLS error without the ssl module)
    if ssl_module is not None and isinstance(exc, ssl_module.SSLCertVerificationError):
        return TLSVerificationError(
            f"TLS certificate verification failed: {exc.verify_message or exc}. Pass "
            "verify=<path to a CA bundle> if the server uses a private CA."
        )
    if ssl_module is not None and isinstance(exc, ssl_module.SSLError):
        return APIConnectionError(f"TLS error: {exc}")
    if isinstance(exc, _CONNECTION_ERRORS) or _is_protocol_library_error(exc):
        text = str(exc) or type(exc).__name__
        return APIConnectionError(f"Connection error ({type(exc).__name__}: {text})")
    return None


def _is_protocol_library_error(exc: BaseException) -> bool:
    """h2/hpack/hyperframe/h11/httptools exceptions that got past the connections' own mapping
    (a last line of defence: they must never reach the user raw)."""
    module = type(exc).__module__.split(".", 1)[0]
    return module in ("h2", "hpack", "hyperframe", "h11", "httptools")


class Transport:
    """Sends requests for one client: owns the TLS context and the connection pool."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        verify: ssl.SSLContext | LazyContext | str | os.PathLike[str] | bool | None = None,
        network_backend: Any = None,
    ) -> None:
        """``verify``: as for the client, or another transport's :attr:`tls` (shared).
        ``network_backend``: a backend name (``auto``, ``asyncio``, ``trio``, ``anyio``;
        default: the client's setting) or an ``httpcore.AsyncNetworkBackend`` (tests)."""
        self._config = config
        scheme = config.scheme.encode("ascii")
        host = config.host.encode("idna") if not config.host.isascii() else config.host.encode()
        self._scheme = scheme
        self._host = host
        self._port = config.port
        self._prefix = (
            config.path_prefix.encode("ascii", "strict")
            if config.path_prefix.isascii()
            else quote(config.path_prefix).encode("ascii")
        )
        #: the TLS context: checked now, built on the first TLS connection, then kept
        self.tls: LazyContext | None = None
        if config.scheme == "https":
            self.tls = prepare_tls(http1=config.http1, http2=config.http2, verify=verify)
        if config.http2:  # (an HTTP/2 connection needs httpcore and h2: import them now)
            h2_connection_class()
        pool_options: dict[str, Any] = {
            "origin": core.Origin(scheme, host, config.port),
            "ssl_context": self.tls.context if self.tls is not None else None,
            "http1": config.http1,
            # h2c needs prior knowledge: only when HTTP/1.1 is switched off
            "http2": config.http2 and (config.scheme == "https" or not config.http1),
            "max_connections": config.max_connections,
            "max_keepalive_connections": config.max_keepalive_connections,
            "keepalive_expiry": config.keepalive_expiry,
            "network_backend": network_backend or config.network_backend,
            "http1_parser": available_parser(config.http1_parser),
            "max_header_bytes": config.response_limits.header_block or (1 << 62),
            "proxy": select_proxy(
                config.scheme,
                config.host,
                config.port,
                proxy=config.proxy,
                trust_env=config.trust_env,
            ),
        }
        self._pools = LoopPools(lambda: ConnectionPool(**pool_options))
        default_port = 443 if config.scheme == "https" else 80
        host_header = b"[" + host + b"]" if b":" in host else host
        if config.port != default_port:
            host_header += b":%d" % config.port
        key = config.api_key.get_secret_value().encode("ascii")
        self._base_headers: list[tuple[bytes, bytes]] = [
            (b"Host", host_header),
            (b"Authorization", RedactedBytes(b"Bearer " + key)),
            (b"User-Agent", USER_AGENT),
        ]
        if not key:  # a callable api_key: its headers are added to each attempt (telemetry)
            del self._base_headers[1]
        for name, value in config.default_headers:
            self._base_headers.append((name.encode("latin-1"), value.encode("latin-1")))
        self._urls: dict[str, core.URL] = {}
        #: id(Timeout) -> (the Timeout, request-phase limits, body-phase limits)
        self._limits: dict[int, tuple[Timeout, _Limits, _Limits]] = {}
        self._closed = False

    @property
    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context (built now if no connection needed it yet); None for http://."""
        return self.tls.context() if self.tls is not None else None

    # -- request building -------------------------------------------------------------------------

    def url(self, path: str, query: Mapping[str, Any] | None = None) -> core.URL:
        """The URL of an API path (``/chat/completions``), cached when there is no query."""
        if not query:
            url = self._urls.get(path)
            if url is None:
                url = core.URL(
                    scheme=self._scheme,
                    host=self._host,
                    port=self._port,
                    target=self._prefix + path.encode("ascii"),
                )
                self._urls[path] = url
            return url
        target = self._prefix + path.encode("ascii") + b"?" + urlencode(query, doseq=True).encode()
        return core.URL(scheme=self._scheme, host=self._host, port=self._port, target=target)

    def headers(
        self,
        content_type: bytes | None,
        accept: bytes,
        content_length: int | None,
        extra: Iterable[tuple[bytes, bytes]] = (),
    ) -> list[tuple[bytes, bytes]]:
        headers = self._base_headers.copy()
        headers.append((b"Accept", accept))
        if content_type is not None:
            headers.append((b"Content-Type", content_type))
        if content_length is not None:
            headers.append((b"Content-Length", b"%d" % content_length))
        elif content_type is not None:
            headers.append((b"Transfer-Encoding", b"chunked"))
        headers.extend(extra)
        return headers

    # -- sending --------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def pool_stats(self) -> PoolStats:
        return self._pools.latest().stats()

    def build_tls(self) -> None:
        """Build the TLS context now, if this transport has one and no connection built it
        yet (a client being entered: before its first request rather than during it)."""
        if self.tls is not None:
            self.tls.context()

    async def send(
        self,
        method: bytes,
        url: core.URL,
        headers: list[tuple[bytes, bytes]],
        body: bytes | AsyncIterable[bytes],
        timeout: Timeout,
    ) -> RawResponse:
        """Send one request and return once the response headers are in.

        Raises only library exceptions (``APIConnectionError``/``APITimeoutError``) for transport
        failures; cancellation propagates untouched.
        """
        if self._closed:
            raise ClientClosedError("the client is closed")
        cached = self._limits.get(id(timeout))
        if cached is None or cached[0] is not timeout:
            cached = self._cache_limits(timeout)
        _, phase_limits, limits = cached
        extensions: dict[str, Any] = {"timeout": phase_limits}
        request = build_request(method, url, headers, body, extensions)
        try:
            response = await self._pools.current().send(
                request, limits["pool"], resendable=isinstance(body, bytes)
            )
        except Exception as exc:
            mapped = map_exception(exc)
            if mapped is None:
                raise
            raise mapped from exc
        # past the headers the call's deadline may no longer apply (a stream): from here on
        # httpcore reads the body with the full per-read limit
        extensions["timeout"] = limits
        version = response.extensions.get("http_version", b"HTTP/1.1")
        stream = response.stream
        assert isinstance(stream, PooledStream)
        return RawResponse(
            response.status,
            response.headers,
            _HTTP_VERSIONS.get(version) or version.decode("ascii"),
            stream,
            extensions.get("sent_ns"),
        )

    async def preconnect(self, count: int) -> int:
        """Open connections for ``count`` concurrent requests now (see
        :meth:`ConnectionPool.preconnect`); how many were opened. Failures are mapped as for a
        request."""
        if self._closed:
            raise ClientClosedError("the client is closed")
        connect = self._config.timeout.httpcore_extension()["connect"]
        try:
            return await self._pools.current().preconnect(count, connect)
        except Exception as exc:
            mapped = map_exception(exc)
            if mapped is None:
                raise
            raise mapped from exc

    def _cache_limits(self, timeout: Timeout) -> tuple[Timeout, _Limits, _Limits]:
        limits = timeout.httpcore_extension()
        cached = (timeout, _request_phase_limits(limits, timeout.total), limits)
        if len(self._limits) >= 64:
            self._limits.clear()
        self._limits[id(timeout)] = cached
        return cached

    async def aclose(self) -> None:
        self._closed = True
        await self._pools.aclose()


def now_ns() -> int:
    return time.perf_counter_ns()
