"""AsyncGroq: configuration, lifecycle (``async with`` / ``aclose``), the resource tree, options."""

from __future__ import annotations

import importlib
import os
from collections.abc import AsyncIterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import msgspec

from ._clock import Clock
from ._config import (
    DEFAULT_CIRCUIT_BREAKER,
    CircuitBreakerConfig,
    ClientConfig,
    ResponseLimits,
    RetryPolicy,
    SecretStr,
    Timeout,
    build_config,
)
from ._errors import ClientClosedError, InvalidParameterError
from ._notgiven import NOT_GIVEN, NotGiven
from ._pipeline import OpenStream, PrimedStream, RequestOptions, send_request
from ._resilience import CircuitBreaker, ResilienceState
from ._timings import Timings
from ._validation import validate_header_value

if TYPE_CHECKING:
    import ssl  # only for annotations: the transport imports it once a client exists

    from ._health import HealthStatus
    from ._ratelimit import RateLimitSnapshot
    from ._raw import AsyncGroqWithRawResponse, AsyncGroqWithStreamingResponse
    from ._telemetry import Telemetry
    from ._telemetry._hooks import AuthCallable, EventHook
    from ._transport import PoolStats, RawResponse, Transport
    from .resources.audio import Audio
    from .resources.batches import Batches
    from .resources.chat import Chat
    from .resources.embeddings import Embeddings
    from .resources.files import Files
    from .resources.models import Models
    from .resources.responses import Responses

__all__ = ["NOT_GIVEN", "AsyncGroq", "NotGiven"]


_T = TypeVar("_T")


class _Resource(Generic[_T]):
    """A client attribute built on first use: its module is imported then, not at start-up.

    A non-data descriptor: the built object is stored in the instance's ``__dict__``, which
    shadows the descriptor from then on, so later accesses cost a plain attribute lookup.
    """

    def __init__(self, module: str, name: str, doc: str) -> None:
        self._module = module
        self._name = name
        self.__doc__ = doc
        self._attr = ""

    def __set_name__(self, owner: type, attr: str) -> None:
        self._attr = attr

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> _Resource[_T]: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> _T: ...
    def __get__(self, obj: object | None, objtype: type | None = None) -> _T | _Resource[_T]:
        if obj is None:
            return self
        module = importlib.import_module(f"{__package__}.{self._module}")
        value: _T = getattr(module, self._name)(obj)
        obj.__dict__[self._attr] = value
        return value


class AsyncGroq:
    """The async Groq client.

    ``api_key`` defaults to ``GROQ_API_KEY`` and ``base_url`` to ``GROQ_BASE_URL`` or
    ``https://api.groq.com/openai/v1`` (``https://api.groq.com`` works too). ``timeout`` is the
    total deadline of a call in seconds, or a :class:`~groq_anyio.Timeout` with per-phase limits.
    Plain ``http://`` is refused except to loopback hosts, unless ``allow_insecure_http=True``.
    ``verify`` replaces the trust store: an ``ssl.SSLContext`` or a CA bundle path.

    Use it as ``async with AsyncGroq() as client:`` (or call ``await client.aclose()``): closing
    cancels the calls still in flight (they raise ``ClientClosedError``) and releases every
    pooled connection.

    Resilience (see ``docs/resilience.md``): ``max_retries`` retries of retryable failures with
    ``retry`` (a :class:`~groq_anyio.RetryPolicy`: backoff, jitter, the longest server-requested
    wait honoured); ``circuit_breaker`` (a :class:`~groq_anyio.CircuitBreakerConfig`, or
    ``None`` to disable it); ``rate_limit_wait`` holds new calls while the rate-limit headers say
    nothing is left, and ``rate_limit_throttle`` (a fraction) spaces calls out below it;
    ``max_concurrent_requests`` / ``max_open_streams`` bound what is in flight;
    ``stream_first_chunk_timeout`` / ``stream_idle_timeout`` bound a stream's silences (idle
    means no event: keep-alive comments or a trickle of bytes do not count) and
    ``stream_total_timeout`` a whole stream, from the call's start.

    Memory: ``response_limits`` (a :class:`~groq_anyio.ResponseLimits`) bounds what a response
    may make the client hold (JSON and error bodies, one stream event, ``BinaryResponse.read()``,
    a stream's accumulated completion); ``accumulate_streams=False`` keeps nothing for
    ``get_final_completion()`` (for consumers that only iterate).

    Network: HTTP/1.1 by default; ``http2=True`` offers HTTP/2 too (ALPN over TLS; over plain
    ``http://`` with ``http1=False``, prior knowledge; ``http1=False`` alone implies
    ``http2=True``). Measured over TLS (docs/performance.md), HTTP/1.1 costs half the client
    CPU per request and a fifth per streamed chunk; HTTP/2 pays off with hundreds of concurrent
    streams (less CPU per paced chunk, a third of the memory per open stream, one TLS handshake
    per 100 streams). ``http1_parser`` is ``"auto"`` (httptools, the C parser, when it imports;
    else h11), ``"httptools"`` or ``"h11"`` (default: ``GROQ_ANYIO_HTTP1_PARSER`` or ``auto``);
    ``network_backend`` is ``"auto"`` (the asyncio protocol backend on asyncio and uvloop, trio
    sockets on trio), or ``"anyio"`` for the generic anyio streams (default:
    ``GROQ_ANYIO_NETWORK_BACKEND`` or ``auto``).

    Proxies: ``proxy="http://[user:password@]host:port"`` for every request; without it,
    ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` and ``NO_PROXY`` from the environment
    (``trust_env=False`` ignores them; loopback origins never take one from the environment).
    https:// origins go through a CONNECT tunnel (HTTP/2 inside it works), http:// origins are
    forwarded. The proxy's credentials are redacted like the key.

    Observability and extension (see ``docs/observability.md``): ``telemetry`` (OpenTelemetry
    spans and metrics: ``None`` = on when the application set a global provider, or ``True``,
    ``False``, a :class:`~groq_anyio.Telemetry`); ``event_hooks={"request": [...], "response":
    [...]}`` (async callables run for every attempt); ``api_key`` may be an async callable
    returning the key or the auth headers, called before every attempt.
    """

    chat: Chat

    def __init__(
        self,
        *,
        api_key: str | SecretStr | AuthCallable | None = None,
        base_url: str | None = None,
        timeout: float | Timeout | None = 60.0,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        http2: bool | None = None,
        http1: bool = True,
        max_connections: int = 100,
        max_keepalive_connections: int | None = None,
        keepalive_expiry: float = 30.0,
        allow_insecure_http: bool = False,
        verify: ssl.SSLContext | str | os.PathLike[str] | bool | None = None,
        retry: RetryPolicy | None = None,
        circuit_breaker: CircuitBreakerConfig | None = DEFAULT_CIRCUIT_BREAKER,
        rate_limit_wait: bool = True,
        rate_limit_throttle: float | None = None,
        max_concurrent_requests: int | None = None,
        max_open_streams: int | None = None,
        stream_first_chunk_timeout: float | None = None,
        stream_idle_timeout: float | None = None,
        default_query: Mapping[str, object] | None = None,
        stream_total_timeout: float | None = None,
        response_limits: ResponseLimits | None = None,
        accumulate_streams: bool = True,
        event_hooks: Mapping[str, Sequence[EventHook]] | None = None,
        telemetry: bool | Telemetry | None = None,
        http1_parser: str | None = None,
        network_backend: str | None = None,
        proxy: str | None = None,
        trust_env: bool = True,
    ) -> None:
        config = build_config(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            http2=http2,
            http1=http1,
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            keepalive_expiry=keepalive_expiry,
            allow_insecure_http=allow_insecure_http,
            retry=retry,
            circuit_breaker=circuit_breaker,
            rate_limit_wait=rate_limit_wait,
            rate_limit_throttle=rate_limit_throttle,
            max_concurrent_requests=max_concurrent_requests,
            max_open_streams=max_open_streams,
            stream_first_chunk_timeout=stream_first_chunk_timeout,
            stream_idle_timeout=stream_idle_timeout,
            default_query=default_query,
            stream_total_timeout=stream_total_timeout,
            response_limits=response_limits,
            accumulate_streams=accumulate_streams,
            event_hooks=event_hooks,
            telemetry=telemetry,
            http1_parser=http1_parser,
            network_backend=network_backend,
            proxy=proxy,
            trust_env=trust_env,
        )
        # httpcore (and, through it, trio) is imported only once a client exists
        from ._transport import Transport

        self._init(config, Transport(config, verify=verify), owner=True)

    def _init(
        self,
        config: ClientConfig,
        transport: Transport,
        *,
        owner: bool,
        state: ResilienceState | None = None,
    ) -> None:
        from .resources.chat import Chat

        self._config = config
        self._transport = transport
        self._owner = owner
        self._closed = False
        if state is None:
            state = ResilienceState(
                breaker=config.circuit_breaker,
                rate_limit_wait=config.rate_limit_wait,
                rate_limit_throttle=config.rate_limit_throttle,
                max_concurrent_requests=config.max_concurrent_requests,
                max_open_streams=config.max_open_streams,
            )
        #: retry/breaker/rate-limit/concurrency state, shared with ``with_options`` copies
        self._state = state
        self._options = RequestOptions(
            timeout=config.timeout,
            max_retries=config.max_retries,
            retry=config.retry,
            first_chunk_timeout=config.stream_first_chunk_timeout,
            idle_timeout=config.stream_idle_timeout,
            extra_query=config.default_query,
            total_stream_timeout=config.stream_total_timeout,
            limits=config.response_limits,
            accumulate=config.accumulate_streams,
        )
        #: transports of ``with_options`` copies with another key or URL (closed with this one)
        self._derived: list[Transport] = []
        from ._telemetry import build_instrument, install_log_redaction, setup_env_logging

        setup_env_logging()
        install_log_redaction()  # (h2/hpack log request headers at DEBUG)
        #: telemetry, DEBUG lines, event hooks, custom auth (None: none of them)
        self._instrument = build_instrument(config)
        self.chat = Chat(self)

    audio: _Resource[Audio] = _Resource(
        "resources.audio", "Audio", "``client.audio``: transcriptions, translations, speech."
    )
    models: _Resource[Models] = _Resource(
        "resources.models", "Models", "``client.models``: list, retrieve, delete."
    )
    embeddings: _Resource[Embeddings] = _Resource(
        "resources.embeddings", "Embeddings", "``client.embeddings.create(...)``."
    )
    files: _Resource[Files] = _Resource(
        "resources.files", "Files", "``client.files``: upload JSONL, list, info, content, delete."
    )
    batches: _Resource[Batches] = _Resource(
        "resources.batches",
        "Batches",
        "``client.batches``: create, retrieve, list, cancel, results.",
    )
    responses: _Resource[Responses] = _Resource(
        "resources.responses",
        "Responses",
        "``client.responses.create(...)``: the Responses API (beta).",
    )
    with_raw_response: _Resource[AsyncGroqWithRawResponse] = _Resource(
        "_raw",
        "AsyncGroqWithRawResponse",
        "The same calls returning :class:`~groq_anyio.APIResponse` (status, headers, request id, "
        "rate limits, timings) around the parsed value: ``await raw.parse()``.",
    )
    with_streaming_response: _Resource[AsyncGroqWithStreamingResponse] = _Resource(
        "_raw",
        "AsyncGroqWithStreamingResponse",
        "The same calls as ``async with`` blocks giving an :class:`~groq_anyio.APIResponse` "
        "whose body is read only when asked (``iter_bytes()``, ``iter_lines()``, ``parse()``).",
    )

    async def health_check(
        self, *, timeout: float | Timeout | None | NotGiven = NOT_GIVEN
    ) -> HealthStatus:
        """One cheap authenticated call (``GET /models``, no retries), reported as a
        :class:`~groq_anyio.HealthStatus`: reachability, latency, status, rate limits, error.

        An unhealthy answer (error status, no connection, timeout) is reported, not raised.

        Raises:
            ClientClosedError: the client is closed.
            InvalidParameterError: ``timeout`` is invalid.
        """
        from ._health import check_health

        return await check_health(self, timeout)

    # -- endpoints the resources do not wrap (the official SDK's get/post/...) -------------------

    async def get(
        self,
        path: str,
        *,
        cast_to: Any,
        options: Mapping[str, Any] | None = None,
        stream: bool = False,
        stream_cls: Any = None,
    ) -> Any:
        """``GET path`` through the client's pipeline (retries included), decoded into
        ``cast_to`` (a Struct, ``dict``, a pydantic model, ``bytes``, ``str``, ...).

        ``path`` may carry the official SDK's ``/openai/v1`` prefix; ``options`` takes the
        SDK's ``headers``, ``params``, ``timeout``, ``max_retries``, ``extra_json`` and
        ``idempotency_key``. ``stream=True`` returns a :class:`~groq_anyio.ChatStream`. See
        :mod:`groq_anyio._generic`.
        """
        from ._generic import generic_request

        return await generic_request(
            self, "GET", path, cast_to=cast_to, options=options, stream=stream
        )

    async def post(
        self,
        path: str,
        *,
        cast_to: Any,
        body: Any = None,
        content: bytes | None = None,
        files: Any = None,
        options: Mapping[str, Any] | None = None,
        stream: bool = False,
        stream_cls: Any = None,
    ) -> Any:
        """``POST path`` with a JSON ``body`` (or raw ``content``); see :meth:`get`."""
        from ._generic import generic_request

        return await generic_request(
            self,
            "POST",
            path,
            cast_to=cast_to,
            body=body,
            content=content,
            files=files,
            options=options,
            stream=stream,
        )

    async def put(
        self,
        path: str,
        *,
        cast_to: Any,
        body: Any = None,
        content: bytes | None = None,
        files: Any = None,
        options: Mapping[str, Any] | None = None,
    ) -> Any:
        """``PUT path`` with a JSON ``body`` (or raw ``content``); see :meth:`get`."""
        from ._generic import generic_request

        return await generic_request(
            self,
            "PUT",
            path,
            cast_to=cast_to,
            body=body,
            content=content,
            files=files,
            options=options,
        )

    async def patch(
        self,
        path: str,
        *,
        cast_to: Any,
        body: Any = None,
        content: bytes | None = None,
        files: Any = None,
        options: Mapping[str, Any] | None = None,
    ) -> Any:
        """``PATCH path`` with a JSON ``body`` (or raw ``content``); see :meth:`get`."""
        from ._generic import generic_request

        return await generic_request(
            self,
            "PATCH",
            path,
            cast_to=cast_to,
            body=body,
            content=content,
            files=files,
            options=options,
        )

    async def delete(
        self,
        path: str,
        *,
        cast_to: Any,
        body: Any = None,
        content: bytes | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> Any:
        """``DELETE path`` (a JSON ``body`` is allowed); see :meth:`get`."""
        from ._generic import generic_request

        return await generic_request(
            self, "DELETE", path, cast_to=cast_to, body=body, content=content, options=options
        )

    # -- settings -------------------------------------------------------------------------------

    @property
    def api_key(self) -> SecretStr:
        """The API key, masked in ``repr`` and ``str`` (``.get_secret_value()`` gives the text)."""
        return self._config.api_key

    @property
    def base_url(self) -> str:
        """The API's base URL, normalised (``https://api.groq.com/openai/v1`` by default)."""
        return self._config.base_url

    @property
    def timeout(self) -> Timeout:
        """The default limits of a call (total deadline and per-phase limits)."""
        return self._config.timeout

    @property
    def max_retries(self) -> int:
        """How many times a retryable failure is retried (not counting the first attempt)."""
        return self._config.max_retries

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy (backoff, jitter, the longest server-requested wait honoured)."""
        return self._config.retry

    @property
    def rate_limits(self) -> RateLimitSnapshot | None:
        """The rate-limit headers of the latest response (``None`` before the first one)."""
        return self._state.limits.snapshot

    @property
    def circuit_breaker(self) -> CircuitBreaker | None:
        """The circuit breaker shared by this client's calls (``None`` when disabled)."""
        return self._state.breaker

    @property
    def _clock(self) -> Clock:
        """The pipeline's clock (retry and rate-limit waits, breaker instants); tests replace
        it with a fake (e.g. :class:`groq_anyio.testing.FakeClock`) to observe waits."""
        return self._state.clock

    @_clock.setter
    def _clock(self, clock: Clock) -> None:
        self._state.clock = clock

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`aclose` ran (or the context manager exited): no new call can start."""
        return self._closed or self._transport.closed

    def pool_stats(self) -> PoolStats:
        """Open connections, idle ones, requests in flight and waiters of this client's pool."""
        return self._transport.pool_stats()

    def with_options(
        self,
        *,
        api_key: str | SecretStr | None | NotGiven = NOT_GIVEN,
        base_url: str | None | NotGiven = NOT_GIVEN,
        timeout: float | Timeout | None | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        default_headers: Mapping[str, str] | None | NotGiven = NOT_GIVEN,
        set_default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None | NotGiven = NOT_GIVEN,
        set_default_query: Mapping[str, object] | None = None,
        retry: RetryPolicy | NotGiven = NOT_GIVEN,
        stream_first_chunk_timeout: float | None | NotGiven = NOT_GIVEN,
        stream_idle_timeout: float | None | NotGiven = NOT_GIVEN,
        stream_total_timeout: float | None | NotGiven = NOT_GIVEN,
        response_limits: ResponseLimits | NotGiven = NOT_GIVEN,
        accumulate_streams: bool | NotGiven = NOT_GIVEN,
    ) -> AsyncGroq:
        """A client with other settings (the official SDK's ``with_options`` / ``copy``).

        ``default_headers`` / ``default_query`` are merged into this client's;
        ``set_default_headers`` / ``set_default_query`` replace them. Arguments left out (or
        ``None``, as in the official SDK) keep this client's value.

        With the same ``api_key`` and ``base_url`` the copy shares this client's connection
        pool, circuit breaker, rate-limit tracker and concurrency limits; closing it does not
        close the pool, closing the original does. With another key or URL it gets its own pool
        and resilience state (another account or service); closing either it or the original
        closes that pool.
        """
        if self.is_closed:
            raise ClientClosedError("the client is closed")
        given_headers = default_headers is not None and not isinstance(default_headers, NotGiven)
        if given_headers and set_default_headers is not None:
            raise InvalidParameterError(
                "set_default_headers", "pass default_headers or set_default_headers, not both"
            )
        given_query = default_query is not None and not isinstance(default_query, NotGiven)
        if given_query and set_default_query is not None:
            raise InvalidParameterError(
                "set_default_query", "pass default_query or set_default_query, not both"
            )
        cfg = self._config
        if set_default_headers is not None:
            headers = dict(set_default_headers)
        else:
            headers = dict(cfg.default_headers)
            if default_headers is not None and not isinstance(default_headers, NotGiven):
                headers.update(default_headers)
        if set_default_query is not None:
            query = dict(set_default_query)
        else:
            query = dict(cfg.default_query)
            if default_query is not None and not isinstance(default_query, NotGiven):
                query.update(default_query)
        new_config = build_config(
            api_key=(
                (cfg.api_key if cfg.auth is None else cfg.auth)
                if api_key is None or isinstance(api_key, NotGiven)
                else api_key
            ),
            base_url=(
                cfg.base_url if base_url is None or isinstance(base_url, NotGiven) else base_url
            ),
            timeout=cfg.timeout if isinstance(timeout, NotGiven) else timeout,
            max_retries=cfg.max_retries if isinstance(max_retries, NotGiven) else max_retries,
            default_headers=headers,
            http2=cfg.http2,
            http1=cfg.http1,
            max_connections=cfg.max_connections,
            max_keepalive_connections=cfg.max_keepalive_connections,
            keepalive_expiry=cfg.keepalive_expiry,
            allow_insecure_http=cfg.allow_insecure_http,
            http1_parser=cfg.http1_parser,
            network_backend=cfg.network_backend,
            proxy=cfg.proxy,
            trust_env=cfg.trust_env,
            retry=cfg.retry if isinstance(retry, NotGiven) else retry,
            circuit_breaker=cfg.circuit_breaker,
            rate_limit_wait=cfg.rate_limit_wait,
            rate_limit_throttle=cfg.rate_limit_throttle,
            max_concurrent_requests=cfg.max_concurrent_requests,
            max_open_streams=cfg.max_open_streams,
            stream_first_chunk_timeout=(
                cfg.stream_first_chunk_timeout
                if isinstance(stream_first_chunk_timeout, NotGiven)
                else stream_first_chunk_timeout
            ),
            stream_idle_timeout=(
                cfg.stream_idle_timeout
                if isinstance(stream_idle_timeout, NotGiven)
                else stream_idle_timeout
            ),
            default_query=query,
            stream_total_timeout=(
                cfg.stream_total_timeout
                if isinstance(stream_total_timeout, NotGiven)
                else stream_total_timeout
            ),
            response_limits=(
                cfg.response_limits if isinstance(response_limits, NotGiven) else response_limits
            ),
            accumulate_streams=(
                cfg.accumulate_streams
                if isinstance(accumulate_streams, NotGiven)
                else accumulate_streams
            ),
            event_hooks={"request": cfg.request_hooks, "response": cfg.response_hooks},
            telemetry=cfg.telemetry,
        )
        clone = object.__new__(type(self))
        shared = self._transport._config
        if (
            new_config.api_key.get_secret_value() == shared.api_key.get_secret_value()
            and new_config.base_url == shared.base_url
        ):
            clone._init(new_config, self._transport, owner=False, state=self._state)
            if new_config.default_headers != shared.default_headers:
                # per-client headers travel as per-call extras on the shared transport
                clone._options = msgspec.structs.replace(
                    clone._options,
                    extra_headers=tuple(
                        (k.encode("latin-1"), v.encode("latin-1"))
                        for k, v in new_config.default_headers
                        if (k, v) not in shared.default_headers
                    ),
                )
            return clone
        from ._transport import Transport

        verify = self._transport.tls if new_config.scheme == "https" else None  # (shared)
        transport = Transport(new_config, verify=verify)
        clone._init(new_config, transport, owner=True)
        self._derived.append(transport)
        return clone

    copy = with_options

    # -- lifecycle ------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the client and its pool (connections are closed, in-flight streams end).

        Calls still in flight (waiting, sending or retrying) are cancelled and raise
        :class:`ClientClosedError`; the pool is closed once they have let go of it.
        """
        self._closed = True
        if self._owner:
            await self._state.close()
            await self._transport.aclose()
        while self._derived:
            await self._derived.pop().aclose()

    close = aclose

    async def __aenter__(self) -> AsyncGroq:
        if self.is_closed:
            raise ClientClosedError("the client is closed")
        # creating the client left its TLS context (ssl, the CA bundle: ~25 ms) to the first
        # connection; entering it is the moment before the first request
        self._transport.build_tls()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        cfg = self._config
        return (
            f"AsyncGroq(base_url={cfg.base_url!r}, api_key={cfg.api_key!r}, "
            f"http2={cfg.http2}, closed={self.is_closed})"
        )

    # -- the pipeline entry used by resources ---------------------------------------------------

    def _request_options(
        self,
        timeout: float | Timeout | None | NotGiven,
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, Any] | None,
        max_retries: int | NotGiven = NOT_GIVEN,
    ) -> RequestOptions:
        base = self._options
        if (
            isinstance(timeout, NotGiven)
            and not extra_headers
            and not extra_query
            and isinstance(max_retries, NotGiven)
        ):
            return base
        if not isinstance(max_retries, NotGiven) and (
            isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0
        ):
            raise InvalidParameterError(
                "max_retries", f"must be an integer >= 0, not {max_retries!r}"
            )
        headers = base.extra_headers
        if extra_headers:
            added: list[tuple[bytes, bytes]] = []
            for name, value in extra_headers.items():
                validate_header_value(name, value, "extra_headers")
                if name.lower() in ("authorization", "host", "content-length", "transfer-encoding"):
                    raise InvalidParameterError(
                        f"extra_headers[{name!r}]", "this header is set by the client"
                    )
                added.append((name.encode("latin-1"), value.encode("latin-1")))
            headers = headers + tuple(added)
        query = base.extra_query  # the client's default_query (later names win)
        if extra_query:
            if not isinstance(extra_query, Mapping):
                raise InvalidParameterError("extra_query", "must be a mapping")
            query = query + tuple(extra_query.items())
        return msgspec.structs.replace(
            base,
            timeout=base.timeout if isinstance(timeout, NotGiven) else Timeout.coerce(timeout),
            max_retries=base.max_retries if isinstance(max_retries, NotGiven) else max_retries,
            extra_headers=headers,
            extra_query=query,
        )

    async def _send(
        self,
        method: bytes,
        path: str,
        body: bytes | AsyncIterable[bytes],
        *,
        options: RequestOptions,
        timings: Timings,
        content_type: bytes | None = b"application/json",
        accept: bytes = b"application/json",
        read_body: bool = True,
        replayable: bool = True,
        content_length: int | None = None,
    ) -> tuple[RawResponse, bytes | None]:
        if self._closed:
            raise ClientClosedError("the client is closed; create a new AsyncGroq")
        return await send_request(
            self._transport,
            method=method,
            path=path,
            body=body,
            content_type=content_type,
            accept=accept,
            options=options,
            timings=timings,
            read_body=read_body,
            replayable=replayable,
            content_length=content_length,
            state=self._state,
            instrument=self._instrument,
        )

    async def _open_stream(
        self,
        method: bytes,
        path: str,
        body: bytes,
        *,
        options: RequestOptions,
        timings: Timings,
        open_stream: OpenStream,
        content_type: bytes | None = b"application/json",
        accept: bytes = b"text/event-stream",
    ) -> PrimedStream:
        """Send a streaming request; returns ``open_stream(raw, timings)`` once its first event
        is in (failures until then are retried like any request)."""
        if self._closed:
            raise ClientClosedError("the client is closed; create a new AsyncGroq")
        _, stream = await send_request(
            self._transport,
            method=method,
            path=path,
            body=body,
            content_type=content_type,
            accept=accept,
            options=options,
            timings=timings,
            read_body=False,
            state=self._state,
            open_stream=open_stream,
            instrument=self._instrument,
        )
        return stream  # type: ignore[no-any-return]
