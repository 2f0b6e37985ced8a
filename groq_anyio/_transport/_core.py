"""The transport's request and response objects and its exception tree, without httpcore.

``import httpcore`` costs about a quarter of importing the package and creating a client
(its ``__init__`` imports the whole sync API, h11, h2 and certifi), yet the default path -
HTTP/1.1 on our own connection class and network streams - uses nothing of httpcore but
these few shapes. So they are defined here, with httpcore's names, attributes and hierarchy,
and httpcore (with h2) is imported only for HTTP/2 (:mod:`._h2`, :mod:`._httpcore`).

Rules:

- The objects have exactly the attributes httpcore's HTTP/2 connection reads (``request.url``
  with ``scheme``/``host``/``port``/``target``/``origin``, ``method``, ``headers``, ``stream``,
  ``extensions``; ``Origin`` equality), so one request object serves both protocols.
- Every exception the transport raises is one of these classes. httpcore's own exceptions,
  raised inside httpcore's HTTP/2 code, are turned into the class of the same name here where
  they leave :mod:`._h2` (:func:`from_httpcore`); the transport's last line of defence
  (``map_exception``) also maps any that got past, by module.
- Nothing here imports anything: this module is part of creating a client.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Any, Protocol

__all__ = [
    "URL",
    "AsyncNetworkStream",
    "ConnectError",
    "ConnectTimeout",
    "ConnectionNotAvailable",
    "LocalProtocolError",
    "NetworkError",
    "Origin",
    "PoolTimeout",
    "ProtocolError",
    "ProxyError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "Request",
    "Response",
    "TimeoutException",
    "UnsupportedProtocol",
    "WriteError",
    "WriteTimeout",
    "from_httpcore",
]

_DEFAULT_PORTS = {b"http": 80, b"https": 443}


# -- exceptions (httpcore's names and hierarchy) ---------------------------------------------------


class ConnectionNotAvailable(Exception):
    """The connection cannot take the request now; nothing was sent (the pool finds another)."""


class ProxyError(Exception):
    pass


class UnsupportedProtocol(Exception):
    pass


class ProtocolError(Exception):
    pass


class RemoteProtocolError(ProtocolError):
    pass


class LocalProtocolError(ProtocolError):
    pass


class TimeoutException(Exception):
    pass


class PoolTimeout(TimeoutException):
    pass


class ConnectTimeout(TimeoutException):
    pass


class ReadTimeout(TimeoutException):
    pass


class WriteTimeout(TimeoutException):
    pass


class NetworkError(Exception):
    pass


class ConnectError(NetworkError):
    pass


class ReadError(NetworkError):
    pass


class WriteError(NetworkError):
    pass


def from_httpcore(exc: BaseException) -> Exception | None:
    """The exception of this module with the name of httpcore exception ``exc``'s class (or
    of its nearest httpcore base class), with the same message; None if ``exc`` is not one of
    httpcore's."""
    for cls in type(exc).__mro__:
        if cls.__module__.startswith("httpcore"):
            ours = globals().get(cls.__name__)
            if isinstance(ours, type) and issubclass(ours, Exception):
                return ours(*exc.args)
    return None


# -- requests and responses ------------------------------------------------------------------------


class Origin:
    """Scheme, host and port of a server."""

    __slots__ = ("host", "port", "scheme")

    def __init__(self, scheme: bytes, host: bytes, port: int) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Origin)
            and self.scheme == other.scheme
            and self.host == other.host
            and self.port == other.port
        )

    def __hash__(self) -> int:
        return hash((self.scheme, self.host, self.port))

    def __str__(self) -> str:
        return f"{self.scheme.decode('ascii')}://{self.host.decode('ascii')}:{self.port}"


class URL:
    """A request URL in parts, already bytes (the transport builds them from checked config)."""

    __slots__ = ("host", "port", "scheme", "target")

    def __init__(self, *, scheme: bytes, host: bytes, port: int | None, target: bytes) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.target = target

    @property
    def origin(self) -> Origin:
        return Origin(self.scheme, self.host, self.port or _DEFAULT_PORTS.get(self.scheme, 0))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, URL)
            and self.scheme == other.scheme
            and self.host == other.host
            and self.port == other.port
            and self.target == other.target
        )

    def __hash__(self) -> int:
        return hash((self.scheme, self.host, self.port, self.target))

    def __bytes__(self) -> bytes:
        if self.port is None:
            return b"%b://%b%b" % (self.scheme, self.host, self.target)
        return b"%b://%b:%d%b" % (self.scheme, self.host, self.port, self.target)

    def __repr__(self) -> str:
        return (
            f"URL(scheme={self.scheme!r}, host={self.host!r}, port={self.port!r}, "
            f"target={self.target!r})"
        )


class Request:
    """One request: ``headers`` are (name, value) bytes pairs, ``stream`` an async iterable
    of the body's bytes (iterable again when the request is resent), ``extensions`` carries
    the per-phase timeouts (``"timeout"``) and what the connection reports back
    (``"sent_ns"``)."""

    __slots__ = ("extensions", "headers", "method", "stream", "url")

    def __init__(
        self,
        method: bytes,
        url: URL,
        headers: list[tuple[bytes, bytes]],
        stream: AsyncIterable[bytes],
        extensions: dict[str, Any],
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.stream = stream
        self.extensions = extensions

    def __repr__(self) -> str:
        return f"<Request [{self.method!r}]>"


class Response:
    """Status and headers of a response; ``stream`` iterates the body's bytes."""

    __slots__ = ("extensions", "headers", "status", "stream")

    def __init__(
        self,
        status: int,
        *,
        headers: list[tuple[bytes, bytes]],
        content: Any,
        extensions: dict[str, Any],
    ) -> None:
        self.status = status
        self.headers = headers
        self.stream: Any = content
        self.extensions = extensions

    def __repr__(self) -> str:
        return f"<Response [{self.status}]>"


class AsyncNetworkStream(Protocol):
    """What a connection needs of its byte stream (httpcore's ``AsyncNetworkStream``
    interface; ours are :class:`._backends.BaseStream`)."""

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes: ...

    async def write(self, buffer: bytes, timeout: float | None = None) -> None: ...

    async def aclose(self) -> None: ...

    def get_extra_info(self, info: str) -> Any: ...
