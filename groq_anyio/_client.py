"""AsyncGroq: configuration, lifecycle (``async with`` / ``aclose``), the resource tree, options."""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import AsyncIterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

from ._config import ClientConfig, SecretStr, Timeout, build_config
from ._errors import ClientClosedError, InvalidParameterError
from ._pipeline import RequestOptions, send_request
from ._timings import Timings
from ._validation import validate_header_value

if TYPE_CHECKING:
    from ._pool import PoolStats
    from ._transport import RawResponse, Transport
    from .resources.audio import Audio
    from .resources.chat import Chat

__all__ = ["NOT_GIVEN", "AsyncGroq", "NotGiven"]


class NotGiven:
    """The "argument not passed" marker (``None`` can be a real value for ``timeout``)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


class AsyncGroq:
    """The async Groq client.

    ``api_key`` defaults to ``GROQ_API_KEY`` and ``base_url`` to ``GROQ_BASE_URL`` or
    ``https://api.groq.com/openai/v1`` (``https://api.groq.com`` works too). ``timeout`` is the
    total deadline of a call in seconds, or a :class:`~groq_anyio.Timeout` with per-phase limits.
    Plain ``http://`` is refused except to loopback hosts, unless ``allow_insecure_http=True``.
    ``verify`` replaces the trust store: an ``ssl.SSLContext`` or a CA bundle path.

    Use it as ``async with AsyncGroq() as client:`` (or call ``await client.aclose()``): closing
    releases every pooled connection.
    """

    chat: Chat

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: float | Timeout | None = 60.0,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        http2: bool = True,
        http1: bool = True,
        max_connections: int = 100,
        max_keepalive_connections: int | None = None,
        keepalive_expiry: float = 30.0,
        allow_insecure_http: bool = False,
        verify: ssl.SSLContext | str | os.PathLike[str] | None = None,
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
        )
        # httpcore (and, through it, trio) is imported only once a client exists
        from ._transport import Transport

        self._init(config, Transport(config, verify=verify), owner=True)

    def _init(self, config: ClientConfig, transport: Transport, *, owner: bool) -> None:
        from .resources.chat import Chat

        self._config = config
        self._transport = transport
        self._owner = owner
        self._closed = False
        self._options = RequestOptions(timeout=config.timeout, max_retries=config.max_retries)
        self.chat = Chat(self)

    @property
    def audio(self) -> Audio:
        """``client.audio.transcriptions`` / ``.translations`` (built on first use)."""
        audio = self.__dict__.get("_audio")
        if audio is None:
            from .resources.audio import Audio

            audio = self.__dict__["_audio"] = Audio(self)
        return audio

    # -- settings -------------------------------------------------------------------------------

    @property
    def api_key(self) -> SecretStr:
        return self._config.api_key

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def timeout(self) -> Timeout:
        return self._config.timeout

    @property
    def max_retries(self) -> int:
        return self._config.max_retries

    @property
    def is_closed(self) -> bool:
        return self._closed or self._transport.closed

    def pool_stats(self) -> PoolStats:
        """Open connections, idle ones, requests in flight and waiters of this client's pool."""
        return self._transport.pool_stats()

    def with_options(
        self,
        *,
        timeout: float | Timeout | None | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        default_headers: Mapping[str, str] | NotGiven = NOT_GIVEN,
    ) -> AsyncGroq:
        """A client with other settings that shares this one's connection pool.

        Closing the derived client does not close the pool; closing the original does.
        """
        if self.is_closed:
            raise ClientClosedError("the client is closed")
        cfg = self._config
        headers = dict(cfg.default_headers)
        if not isinstance(default_headers, NotGiven):
            headers.update(default_headers)
        new_config = build_config(
            api_key=cfg.api_key,
            base_url=cfg.base_url,
            timeout=cfg.timeout if isinstance(timeout, NotGiven) else timeout,
            max_retries=cfg.max_retries if isinstance(max_retries, NotGiven) else max_retries,
            default_headers=headers,
            http2=cfg.http2,
            http1=cfg.http1,
            max_connections=cfg.max_connections,
            max_keepalive_connections=cfg.max_keepalive_connections,
            keepalive_expiry=cfg.keepalive_expiry,
            allow_insecure_http=cfg.allow_insecure_http,
        )
        clone = object.__new__(type(self))
        clone._init(new_config, self._transport, owner=False)
        if new_config.default_headers != cfg.default_headers:
            # per-client headers travel as per-call extras on the shared transport
            clone._options = RequestOptions(
                timeout=new_config.timeout,
                max_retries=new_config.max_retries,
                extra_headers=tuple(
                    (k.encode("latin-1"), v.encode("latin-1"))
                    for k, v in new_config.default_headers
                    if (k, v) not in cfg.default_headers
                ),
            )
        return clone

    copy = with_options

    # -- lifecycle ------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the client and its pool (connections are closed, in-flight streams end)."""
        self._closed = True
        if self._owner:
            await self._transport.aclose()

    close = aclose

    async def __aenter__(self) -> AsyncGroq:
        if self.is_closed:
            raise ClientClosedError("the client is closed")
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
    ) -> RequestOptions:
        base = self._options
        if isinstance(timeout, NotGiven) and not extra_headers and not extra_query:
            return base
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
        query: tuple[tuple[str, Any], ...] = ()
        if extra_query:
            if not isinstance(extra_query, Mapping):
                raise InvalidParameterError("extra_query", "must be a mapping")
            query = tuple(extra_query.items())
        return RequestOptions(
            timeout=base.timeout if isinstance(timeout, NotGiven) else Timeout.coerce(timeout),
            max_retries=base.max_retries,
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
        )


def start_timings() -> Timings:
    return Timings(request_start=time.perf_counter_ns())
