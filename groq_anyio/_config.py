"""Immutable client settings: the API key wrapper, base URL rules, timeouts, environment variables.

Everything a request needs from the configuration is computed here once, at construction, so
the hot path only reads attributes (pre-encoded header bytes, the URL prefix, the origin).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from ._errors import InvalidParameterError
from ._validation import validate_header_value

__all__ = ["DEFAULT_BASE_URL", "ClientConfig", "SecretStr", "Timeout", "build_config"]

DEFAULT_BASE_URL: Final = "https://api.groq.com/openai/v1"
_API_PREFIX: Final = "/openai/v1"
_MASK: Final = "**********"


class SecretStr:
    """Holds the API key; ``repr``/``str``/pickling never reveal it.

    Only :meth:`get_secret_value` returns the key, and only the transport calls it, once, to
    build the ``authorization`` header bytes (themselves wrapped in :class:`RedactedBytes`).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"SecretStr({_MASK!r})"

    def __str__(self) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("SecretStr", self._value))

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("SecretStr (an API key) cannot be pickled")

    def __len__(self) -> int:
        return len(self._value)


class RedactedBytes(bytes):
    """``bytes`` whose repr hides its value: the ``authorization`` header in request headers,
    so a traceback that prints locals, or a logged header list, shows no key."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "b'<redacted>'"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Timeout:
    """Time limits, in seconds (``None`` = no limit).

    - ``total``: the deadline of a whole call (a cancel scope). For a stream it covers everything
      up to the response headers; from then on ``read`` bounds each wait for the next bytes.
    - ``connect``: TCP + TLS set-up of a new connection.
    - ``read``: any single wait for response bytes (defaults to ``total``).
    - ``write``: any single send (defaults to ``total``).
    - ``pool``: waiting for a free connection when the pool is at its limit (defaults to ``total``).
    """

    total: float | None = 60.0
    connect: float | None = 10.0
    read: float | None = None
    write: float | None = None
    pool: float | None = None

    def __post_init__(self) -> None:
        for name in ("total", "connect", "read", "write", "pool"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or not value > 0
            ):
                raise InvalidParameterError(
                    f"timeout.{name}",
                    f"must be a positive number of seconds or None, not {value!r}",
                )

    @classmethod
    def coerce(cls, value: float | Timeout | None, param: str = "timeout") -> Timeout:
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(total=None, connect=None)
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise InvalidParameterError(
                param, f"must be a positive number, a Timeout or None, not {value!r}"
            )
        return cls(total=float(value), connect=min(10.0, float(value)))

    def httpcore_extension(self) -> dict[str, float | None]:
        """The per-phase limits in httpcore's ``extensions={"timeout": ...}`` form."""
        total = self.total
        return {
            "connect": self.connect if self.connect is not None else total,
            "read": self.read if self.read is not None else total,
            "write": self.write if self.write is not None else total,
            "pool": self.pool if self.pool is not None else total,
        }


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """What :class:`AsyncGroq` was built with, validated and pre-computed."""

    api_key: SecretStr
    base_url: str
    scheme: str
    host: str
    port: int
    path_prefix: str
    timeout: Timeout
    max_retries: int
    http2: bool
    http1: bool
    max_connections: int
    max_keepalive_connections: int
    keepalive_expiry: float
    allow_insecure_http: bool
    default_headers: tuple[tuple[str, str], ...] = field(default=())

    def __repr__(self) -> str:
        return (
            f"ClientConfig(base_url={self.base_url!r}, api_key={self.api_key!r}, "
            f"timeout={self.timeout!r}, max_retries={self.max_retries}, http2={self.http2})"
        )


def parse_base_url(url: str, *, allow_insecure_http: bool) -> tuple[str, str, str, int, str]:
    """Normalise a base URL; returns (base_url, scheme, host, port, path_prefix).

    ``https://api.groq.com`` (the official SDK's form) and ``https://api.groq.com/openai/v1``
    (the OpenAI form) both end up with the ``/openai/v1`` prefix; any other path is kept as given
    (a proxy that mounts the API elsewhere).
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidParameterError("base_url", "must be a non-empty URL string")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidParameterError("base_url", f"is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in ("http", "https"):
        raise InvalidParameterError(
            "base_url", f"scheme must be https (or http to loopback), not {scheme!r}"
        )
    if not host:
        raise InvalidParameterError("base_url", "has no host")
    if parts.username or parts.password:
        raise InvalidParameterError("base_url", "must not carry credentials; pass api_key instead")
    if parts.query or parts.fragment:
        raise InvalidParameterError("base_url", "must not have a query or fragment")
    if scheme == "http" and not allow_insecure_http and not _is_loopback(host):
        raise InvalidParameterError(
            "base_url",
            f"plain http:// is only allowed to loopback hosts, not {host!r}; use https:// or pass "
            "allow_insecure_http=True if you really mean to send your API key unencrypted",
        )
    if port is None:
        port = 443 if scheme == "https" else 80
    path = parts.path.rstrip("/")
    if path == "":
        path = _API_PREFIX
    netloc_host = f"[{host}]" if ":" in host else host
    default_port = 443 if scheme == "https" else 80
    netloc = netloc_host if port == default_port else f"{netloc_host}:{port}"
    return f"{scheme}://{netloc}{path}", scheme, host, port, path


def _positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidParameterError(name, f"must be an integer >= {minimum}, not {value!r}")
    return value


def build_config(
    *,
    api_key: str | SecretStr | None,
    base_url: str | None,
    timeout: float | Timeout | None,
    max_retries: int,
    default_headers: Mapping[str, str] | None,
    http2: bool,
    http1: bool,
    max_connections: int,
    max_keepalive_connections: int | None,
    keepalive_expiry: float,
    allow_insecure_http: bool,
    environ: Mapping[str, str] | None = None,
) -> ClientConfig:
    env = os.environ if environ is None else environ
    if api_key is None:
        api_key = env.get("GROQ_API_KEY")
    if isinstance(api_key, SecretStr):
        secret = api_key
    elif isinstance(api_key, str):
        secret = SecretStr(api_key)
    elif api_key is None:
        raise InvalidParameterError(
            "api_key",
            "no API key: pass api_key=... or set the GROQ_API_KEY environment variable",
        )
    else:
        raise InvalidParameterError("api_key", f"must be a str, not {type(api_key).__name__}")
    key = secret.get_secret_value()
    if not key.strip():
        raise InvalidParameterError("api_key", "is empty")
    if any(c in key for c in "\r\n\0") or not key.isascii() or key != key.strip():
        # say nothing about the value itself
        raise InvalidParameterError(
            "api_key", "contains whitespace, control or non-ASCII characters"
        )
    if base_url is None:
        base_url = env.get("GROQ_BASE_URL") or DEFAULT_BASE_URL
    url, scheme, host, port, prefix = parse_base_url(
        base_url, allow_insecure_http=allow_insecure_http
    )
    if not http1 and not http2:
        raise InvalidParameterError("http2", "at least one of http1 and http2 must be enabled")
    headers: list[tuple[str, str]] = []
    for name, value in (default_headers or {}).items():
        validate_header_value(name, value, "default_headers")
        if name.lower() == "authorization":
            raise InvalidParameterError(
                f"default_headers[{name!r}]",
                "set the key with api_key=, not an authorization header",
            )
        headers.append((name, value))
    max_connections = _positive_int("max_connections", max_connections)
    if max_keepalive_connections is None:
        max_keepalive_connections = max_connections
    max_keepalive_connections = _positive_int(
        "max_keepalive_connections", max_keepalive_connections, minimum=0
    )
    max_retries = _positive_int("max_retries", max_retries, minimum=0)
    if (
        isinstance(keepalive_expiry, bool)
        or not isinstance(keepalive_expiry, int | float)
        or keepalive_expiry < 0
    ):
        raise InvalidParameterError("keepalive_expiry", "must be a number of seconds >= 0")
    return ClientConfig(
        api_key=secret,
        base_url=url,
        scheme=scheme,
        host=host,
        port=port,
        path_prefix=prefix,
        timeout=Timeout.coerce(timeout),
        max_retries=max_retries,
        http2=bool(http2),
        http1=bool(http1),
        max_connections=max_connections,
        max_keepalive_connections=max_keepalive_connections,
        keepalive_expiry=float(keepalive_expiry),
        allow_insecure_http=bool(allow_insecure_http),
        default_headers=tuple(headers),
    )
