"""Immutable client settings: the API key wrapper, base URL rules, timeouts, environment variables.

Everything a request needs from the configuration is computed here once, at construction, so
the hot path only reads attributes (pre-encoded header bytes, the URL prefix, the origin).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Final

import msgspec

from ._errors import InvalidParameterError
from ._secrets import RedactedBytes as RedactedBytes  # (re-exported: the transport reads it here)
from ._secrets import SecretStr
from ._validation import validate_header_value

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_RESPONSE_LIMITS",
    "CircuitBreakerConfig",
    "ClientConfig",
    "ResponseLimits",
    "RetryPolicy",
    "SecretStr",
    "Timeout",
    "build_config",
    "is_loopback",
]

#: The Groq API's OpenAI-compatible endpoint, used when neither ``base_url`` nor
#: ``GROQ_BASE_URL`` is given.
DEFAULT_BASE_URL: Final = "https://api.groq.com/openai/v1"
_API_PREFIX: Final = "/openai/v1"


class Timeout(msgspec.Struct, frozen=True):
    """Time limits, in seconds (``None`` = no limit).

    - ``total``: the deadline of a whole call (a cancel scope), rate-limit waits, retries and
      their backoff included. For a chat stream it covers everything up to the first event
      (``create()`` returns then); from then on ``read`` bounds each wait for the next event
      (and ``stream_idle_timeout``, if set, more tightly; ``stream_total_timeout`` bounds the
      whole stream). Bytes that complete no event (keep-alive comments, a trickle) do not
      reset these waits: the check is made at each network read.
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
        """A :class:`Timeout` from what a ``timeout=`` argument accepts.

        Args:
            value: a :class:`Timeout` (returned as is); a number of seconds (the total deadline,
                connecting limited to at most 10 s of it); ``None`` (no limit at all); or an
                object with ``connect``/``read``/``write``/``pool`` attributes such as the
                official SDK's ``httpx.Timeout`` (per-phase limits, no total deadline).
            param: the argument's name, for the error message.

        Raises:
            InvalidParameterError: ``value`` is none of these, or not a positive number.
        """
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(total=None, connect=None)
        phases: Any = value
        if all(hasattr(phases, a) for a in ("connect", "read", "write", "pool")):
            # an httpx.Timeout (the official SDK's type): per-phase limits, no overall deadline
            return cls(
                total=None,
                connect=phases.connect,
                read=phases.read,
                write=phases.write,
                pool=phases.pool,
            )
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


def _positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidParameterError(name, f"must be an integer >= {minimum}, not {value!r}")
    return value


def _check_number(name: str, value: object, *, minimum: float, inclusive: bool = True) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value != value  # NaN
        or (value < minimum if inclusive else value <= minimum)
    ):
        op = ">=" if inclusive else ">"
        raise InvalidParameterError(name, f"must be a number {op} {minimum}, not {value!r}")
    return float(value)


class RetryPolicy(msgspec.Struct, frozen=True):
    """How failed attempts are retried (how many times is ``max_retries``, set separately).

    The wait before retry ``n`` (0-based) is ``min(initial_delay * multiplier**n, max_delay)``,
    shortened by up to ``jitter`` (a fraction: ``0.25`` waits between 75 % and 100 % of it), so
    many clients failing together do not come back in step. A wait the server asks for
    (``retry-after-ms``, ``retry-after``, or for a 429 the matching ``x-ratelimit-reset-*``) is
    used as is instead, up to ``max_retry_after`` seconds; a longer one is not waited for: the
    error (a :class:`~groq_anyio.RateLimitError` for a 429) is raised at once with its
    ``retry_after`` set.
    """

    initial_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        _check_number("retry.initial_delay", self.initial_delay, minimum=0.0)
        _check_number("retry.multiplier", self.multiplier, minimum=1.0)
        _check_number("retry.max_delay", self.max_delay, minimum=0.0)
        _check_number("retry.max_retry_after", self.max_retry_after, minimum=0.0)
        jitter = _check_number("retry.jitter", self.jitter, minimum=0.0)
        if jitter > 1.0:
            raise InvalidParameterError("retry.jitter", "must be between 0 and 1")


class CircuitBreakerConfig(msgspec.Struct, frozen=True):
    """When the client stops sending for a while because the service keeps failing.

    - ``failure_threshold``: consecutive failed attempts (connection errors, timeouts, 5xx, 408,
      498; 429 too with ``count_rate_limits``) that open the circuit.
    - ``reset_timeout``: seconds the circuit stays open (every call fails fast with
      :class:`~groq_anyio.CircuitOpenError`) before it lets probes through (half-open).
    - ``half_open_max_probes``: attempts allowed in flight at once while half-open.
    - ``success_threshold``: successful probes that close the circuit again; one failed probe
      opens it for another ``reset_timeout``.
    """

    failure_threshold: int = 5
    reset_timeout: float = 30.0
    half_open_max_probes: int = 1
    success_threshold: int = 3
    count_rate_limits: bool = False

    def __post_init__(self) -> None:
        for name in ("failure_threshold", "half_open_max_probes", "success_threshold"):
            _positive_int(f"circuit_breaker.{name}", getattr(self, name))
        _check_number(
            "circuit_breaker.reset_timeout", self.reset_timeout, minimum=0.0, inclusive=False
        )


class ResponseLimits(msgspec.Struct, frozen=True):
    """How much of a response the client holds in memory (bytes; ``None`` = no limit).

    Past a limit the call raises :class:`~groq_anyio.ResponseTooLargeError` and the connection
    is closed (a body announced larger by its ``content-length`` is not read at all).

    - ``json_body``: a JSON response body (a completion, a model list, ...). 32 MiB.
    - ``error_body``: an error response body; past it the status error is raised without the
      body. 1 MiB.
    - ``sse_event``: one server-sent event of a stream (its data plus the line being read).
      16 MiB.
    - ``download``: :meth:`BinaryResponse.read() <groq_anyio.BinaryResponse.read>` (speech
      audio, file contents). 512 MiB. ``iter_bytes()`` and ``write_to_file()`` are not limited.
    - ``accumulated``: what a chat stream keeps to rebuild its completion
      (``get_final_completion()``), counted as the bytes of the events folded in (more than is
      kept: a bound, checked at each network read). 64 MiB. Create the client with
      ``accumulate_streams=False`` to keep nothing.
    - ``header_block``: the status line and headers of a response. 64 KiB.
    """

    json_body: int | None = 32 * 1024 * 1024
    error_body: int | None = 1024 * 1024
    sse_event: int | None = 16 * 1024 * 1024
    download: int | None = 512 * 1024 * 1024
    accumulated: int | None = 64 * 1024 * 1024
    header_block: int | None = 64 * 1024

    def __post_init__(self) -> None:
        for name in (
            "json_body",
            "error_body",
            "sse_event",
            "download",
            "accumulated",
            "header_block",
        ):
            value = getattr(self, name)
            if value is not None:
                _positive_int(f"response_limits.{name}", value)


DEFAULT_RETRY: Final = RetryPolicy()
DEFAULT_CIRCUIT_BREAKER: Final = CircuitBreakerConfig()
DEFAULT_RESPONSE_LIMITS: Final = ResponseLimits()


def is_loopback(host: str) -> bool:
    """Only ``localhost`` itself and literal loopback addresses: ``localhost.``,
    ``evil.localhost`` and the like go to the system resolver, which may answer anything."""
    if host.lower() == "localhost":
        return True
    import ipaddress  # (only when a client is created)

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ClientConfig(msgspec.Struct, frozen=True):
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
    #: ``auto`` (httptools when it imports), ``httptools`` or ``h11``
    http1_parser: str = "auto"
    #: ``auto`` (the running event loop's), ``asyncio``, ``trio`` or ``anyio`` (generic)
    network_backend: str = "auto"
    #: an http:// proxy URL for every request (credentials allowed); None: see trust_env
    proxy: str | None = None
    #: read HTTP(S)_PROXY / ALL_PROXY / NO_PROXY from the environment when proxy is None
    trust_env: bool = True
    default_headers: tuple[tuple[str, str], ...] = ()
    retry: RetryPolicy = DEFAULT_RETRY
    circuit_breaker: CircuitBreakerConfig | None = DEFAULT_CIRCUIT_BREAKER
    rate_limit_wait: bool = True
    rate_limit_throttle: float | None = None
    max_concurrent_requests: int | None = None
    max_open_streams: int | None = None
    stream_first_chunk_timeout: float | None = None
    stream_idle_timeout: float | None = None
    stream_total_timeout: float | None = None
    response_limits: ResponseLimits = DEFAULT_RESPONSE_LIMITS
    accumulate_streams: bool = True
    #: query parameters added to every request (the official SDK's ``default_query``)
    default_query: tuple[tuple[str, Any], ...] = ()
    #: a callable ``api_key`` (custom auth, called per attempt); ``api_key`` is then empty
    auth: Any = None
    #: event hooks (see groq_anyio._telemetry._hooks)
    request_hooks: tuple[Any, ...] = ()
    response_hooks: tuple[Any, ...] = ()
    #: None (auto), True, False or a groq_anyio.Telemetry
    telemetry: Any = None

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
    from urllib.parse import urlsplit  # (only when a client is created)

    if not isinstance(url, str) or not url.strip():
        raise InvalidParameterError("base_url", "must be a non-empty URL string")
    if any(c <= " " or c == "\x7f" for c in url.strip()):
        # urlsplit would silently drop CR, LF and tab, and a space or NUL fails every call
        raise InvalidParameterError(
            "base_url", "must not contain spaces or control characters (percent-encode them)"
        )
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
    if scheme == "http" and not allow_insecure_http and not is_loopback(host):
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


def build_config(
    *,
    api_key: str | SecretStr | Callable[[], Any] | None,
    base_url: str | None,
    timeout: float | Timeout | None,
    max_retries: int,
    default_headers: Mapping[str, str] | None,
    http2: bool | None,
    http1: bool,
    max_connections: int,
    max_keepalive_connections: int | None,
    keepalive_expiry: float,
    allow_insecure_http: bool,
    environ: Mapping[str, str] | None = None,
    retry: RetryPolicy | None = None,
    circuit_breaker: CircuitBreakerConfig | None = DEFAULT_CIRCUIT_BREAKER,
    rate_limit_wait: bool = True,
    rate_limit_throttle: float | None = None,
    max_concurrent_requests: int | None = None,
    max_open_streams: int | None = None,
    stream_first_chunk_timeout: float | None = None,
    stream_idle_timeout: float | None = None,
    stream_total_timeout: float | None = None,
    response_limits: ResponseLimits | None = None,
    accumulate_streams: bool = True,
    default_query: Mapping[str, Any] | None = None,
    event_hooks: Mapping[str, Any] | None = None,
    telemetry: Any = None,
    http1_parser: str | None = None,
    network_backend: str | None = None,
    proxy: str | None = None,
    trust_env: bool = True,
) -> ClientConfig:
    env = os.environ if environ is None else environ
    if api_key is None:
        api_key = env.get("GROQ_API_KEY")
    auth: Any = None
    if callable(api_key) and not isinstance(api_key, str | SecretStr):
        auth, secret = api_key, SecretStr("")  # custom auth: called before every attempt
    elif isinstance(api_key, SecretStr):
        secret = api_key
    elif isinstance(api_key, str):
        secret = SecretStr(api_key)
    elif api_key is None:
        raise InvalidParameterError(
            "api_key",
            "no API key: pass api_key=... or set the GROQ_API_KEY environment variable",
        )
    else:
        raise InvalidParameterError(
            "api_key", f"must be a str or an async callable, not {type(api_key).__name__}"
        )
    key = secret.get_secret_value()
    if auth is not None:
        pass
    elif not key.strip():
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
    if http2 is None:  # the default: HTTP/1.1, unless it is switched off
        http2 = not http1
    if not http1 and not http2:
        raise InvalidParameterError("http2", "at least one of http1 and http2 must be enabled")
    if http1_parser is None:
        http1_parser = env.get("GROQ_ANYIO_HTTP1_PARSER") or "auto"
    if http1_parser not in ("auto", "httptools", "h11"):
        raise InvalidParameterError(
            "http1_parser", f"must be 'auto', 'httptools' or 'h11', not {http1_parser!r}"
        )
    if network_backend is None:
        network_backend = env.get("GROQ_ANYIO_NETWORK_BACKEND") or "auto"
    if network_backend not in ("auto", "asyncio", "trio", "anyio"):
        raise InvalidParameterError(
            "network_backend",
            f"must be 'auto', 'asyncio', 'trio' or 'anyio', not {network_backend!r}",
        )
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
    if retry is None:
        retry = DEFAULT_RETRY
    elif not isinstance(retry, RetryPolicy):
        raise InvalidParameterError("retry", f"must be a RetryPolicy, not {type(retry).__name__}")
    if circuit_breaker is not None and not isinstance(circuit_breaker, CircuitBreakerConfig):
        raise InvalidParameterError(
            "circuit_breaker",
            f"must be a CircuitBreakerConfig or None, not {type(circuit_breaker).__name__}",
        )
    if rate_limit_throttle is not None:
        throttle = _check_number("rate_limit_throttle", rate_limit_throttle, minimum=0.0)
        if throttle >= 1.0:
            raise InvalidParameterError("rate_limit_throttle", "must be a fraction below 1")
    if max_concurrent_requests is not None:
        _positive_int("max_concurrent_requests", max_concurrent_requests)
    if max_open_streams is not None:
        _positive_int("max_open_streams", max_open_streams)
    for setting, seconds in (
        ("stream_first_chunk_timeout", stream_first_chunk_timeout),
        ("stream_idle_timeout", stream_idle_timeout),
        ("stream_total_timeout", stream_total_timeout),
    ):
        if seconds is not None:
            _check_number(setting, seconds, minimum=0.0, inclusive=False)
    if response_limits is None:
        response_limits = DEFAULT_RESPONSE_LIMITS
    elif not isinstance(response_limits, ResponseLimits):
        raise InvalidParameterError(
            "response_limits",
            f"must be a ResponseLimits or None, not {type(response_limits).__name__}",
        )
    if not isinstance(accumulate_streams, bool):
        raise InvalidParameterError("accumulate_streams", "must be a bool")
    request_hooks: tuple[Any, ...] = ()
    response_hooks: tuple[Any, ...] = ()
    if event_hooks:
        from ._telemetry._hooks import check_event_hooks

        request_hooks, response_hooks = check_event_hooks(event_hooks)
    if telemetry is not None:
        from ._telemetry import check_telemetry

        telemetry = check_telemetry(telemetry)
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
        http1_parser=http1_parser,
        network_backend=network_backend,
        proxy=_check_proxy(proxy),
        trust_env=bool(trust_env),
        default_headers=tuple(headers),
        retry=retry,
        circuit_breaker=circuit_breaker,
        rate_limit_wait=bool(rate_limit_wait),
        rate_limit_throttle=rate_limit_throttle,
        max_concurrent_requests=max_concurrent_requests,
        max_open_streams=max_open_streams,
        stream_first_chunk_timeout=stream_first_chunk_timeout,
        stream_idle_timeout=stream_idle_timeout,
        stream_total_timeout=stream_total_timeout,
        response_limits=response_limits,
        accumulate_streams=accumulate_streams,
        default_query=_query_items(default_query),
        auth=auth,
        request_hooks=request_hooks,
        response_hooks=response_hooks,
        telemetry=telemetry,
    )


def _check_proxy(proxy: object) -> str | None:
    """``proxy`` checked for its type (its URL is checked when the transport uses it)."""
    if proxy is None or isinstance(proxy, str):
        return proxy
    raise InvalidParameterError(
        "proxy", f"must be an http:// URL string, not {type(proxy).__name__}"
    )


def _query_items(query: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    """``default_query`` checked: a mapping of string names to values (``None``: left out)."""
    if query is None:
        return ()
    if not isinstance(query, Mapping):
        raise InvalidParameterError("default_query", "must be a mapping")
    items: list[tuple[str, Any]] = []
    for name, value in query.items():
        if not isinstance(name, str) or not name:
            raise InvalidParameterError("default_query", "names must be non-empty strings")
        if value is not None:
            items.append((name, value))
    return tuple(items)
