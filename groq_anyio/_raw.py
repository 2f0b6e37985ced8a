"""Raw and streamed responses: ``with_raw_response`` and ``with_streaming_response``.

Every resource (and the client itself) has both views, as in the official SDK::

    raw = await client.chat.completions.with_raw_response.create(...)      # or
    raw = await client.with_raw_response.chat.completions.create(...)
    raw.headers, raw.status_code, raw.request_id; completion = await raw.parse()

    async with client.models.with_streaming_response.list() as response:
        async for line in response.iter_lines(): ...                        # body unread until here
        models = await response.parse()                                     # (or this)

Theory of operation
-------------------
There is no second copy of any resource method. A call through a view runs the resource's own
method on a *capturing client*: a shallow copy of the client (same transport, pool, resilience
state and options) whose two pipeline entry points, ``_send`` and ``_open_stream``, also record
the HTTP response:

- ``raw`` mode: the call runs normally; the response, its body and timings are recorded, and the
  method's value is wrapped in an :class:`APIResponse`.
- ``open`` mode (``with_streaming_response``): the first request is sent and returns at the
  headers, body unread; the capturing client then stops the method (a private exception). The
  :class:`APIResponse` streams the body (``iter_bytes``, ``iter_lines``, ``read``...).
- ``replay`` mode (``parse()`` of a streamed response): the method runs again on a capturing
  client that sends nothing and hands it the recorded response (the body read so far, or the
  unread stream for event streams and binary downloads), so the resource decodes it with its own
  code.

Nothing here runs on the normal path: without a view the capturing client does not exist.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import AsyncIterable, AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from ._config import DEFAULT_RESPONSE_LIMITS as _LIMITS
from ._errors import APIError, GroqError
from ._response_base import ResponseMeta

if TYPE_CHECKING:
    from ._client import AsyncGroq
    from ._pipeline import OpenStream, PrimedStream, RequestOptions
    from ._ratelimit import RateLimitSnapshot
    from ._timings import Timings
    from ._transport import RawResponse

__all__ = [
    "APIResponse",
    "AsyncGroqWithRawResponse",
    "AsyncGroqWithStreamingResponse",
    "ResourceView",
    "StreamAlreadyConsumed",
]

T = TypeVar("T")

_UNSET: Final[Any] = object()
_line_end: Final = re.compile(r"\r\n|\r|\n")


class StreamAlreadyConsumed(GroqError, RuntimeError):
    """A streamed response's body was already iterated (``iter_bytes``/``iter_lines``) without
    being kept, so it cannot be read or parsed again; call ``read()`` first to keep it."""


class _Opened(Exception):  # control flow, never escapes this module
    """Stops a method in ``open`` mode once its response headers are in."""


# ---------------------------------------------------------------------------- the capturing client


if TYPE_CHECKING:
    _ClientBase = AsyncGroq
else:  # the client's class is the instance's own (this module does not import the client)
    _ClientBase = object


class _CaptureClient(_ClientBase):
    """A view's copy of a client; see the module docstring. Never closed (it owns nothing).

    A mixin: the class of a capture is ``_CaptureClient`` over the copied client's own class
    (:func:`_capture_class`), so it is an :class:`~groq_anyio.AsyncGroq` (or the user's subclass
    of it) whose ``_send`` and ``_open_stream`` record before they reach the client's own.
    """

    _mode: str
    _raw_response: RawResponse | None
    _body: bytes | None
    _timings: Timings | None
    _stream: Any

    @classmethod
    def of(cls, client: AsyncGroq, mode: str) -> _CaptureClient:
        capture: _CaptureClient = object.__new__(_capture_class(type(client)))
        state = dict(client.__dict__)
        for name in list(state):
            if not name.startswith("_"):  # cached resources are bound to the original
                del state[name]
        capture.__dict__.update(state)
        capture._owner = False
        capture._derived = []
        capture._mode = mode
        capture._raw_response = None
        capture._body = None
        capture._timings = None
        capture._stream = None
        capture.chat = _rebind(client.chat, capture)
        return capture

    @property
    def _replaying(self) -> bool:
        """Whether the next request is answered from the recorded response (uploads then skip
        reading their file again: see ``resources._common.post_form``)."""
        return self._mode == "replay"

    def _record(self, raw: RawResponse, body: bytes | None, timings: Timings) -> None:
        self._raw_response = raw
        self._body = body
        self._timings = timings

    def _replay_timings(self, timings: Timings) -> None:
        saved = self._timings
        if saved is not None and saved is not timings:
            for name in saved.__struct_fields__:
                setattr(timings, name, getattr(saved, name))

    async def _send(
        self,
        method: bytes,
        path: str,
        body: bytes | AsyncIterable[bytes],
        *,
        timings: Timings,
        read_body: bool = True,
        **kwargs: Any,
    ) -> tuple[RawResponse, bytes | None]:
        # (other keyword arguments go to AsyncGroq._send as they are, whatever they are)
        mode = self._mode
        if mode == "replay":
            raw = self._raw_response
            assert raw is not None
            self._replay_timings(timings)
            self._mode = "raw"  # a method's later requests (if any) are sent for real
            if not read_body:
                if self._body is not None:
                    raise StreamAlreadyConsumed(
                        "the body was read; a download is parsed from an unread response"
                    )
                return raw, None
            if self._body is None:
                self._body = await raw.read(self._config.response_limits.json_body)
            return raw, self._body
        opened = mode == "open"
        raw, data = await super()._send(
            method, path, body, timings=timings, read_body=read_body and not opened, **kwargs
        )
        if opened and self._raw_response is None:
            self._record(raw, None, timings)
            raise _Opened
        self._record(raw, data, timings)
        return raw, data

    async def _open_stream(
        self,
        method: bytes,
        path: str,
        body: bytes,
        *,
        options: RequestOptions,
        timings: Timings,
        open_stream: OpenStream,
        **kwargs: Any,
    ) -> PrimedStream:
        mode = self._mode
        if mode == "raw":
            stream: Any = await super()._open_stream(
                method,
                path,
                body,
                options=options,
                timings=timings,
                open_stream=open_stream,
                **kwargs,
            )
            self._record(stream._raw, None, timings)
            return stream  # type: ignore[no-any-return]
        if mode == "open":
            await self._send(
                method,
                path,
                body,
                options=options,
                timings=timings,
                read_body=False,
                accept=kwargs.get("accept", b"text/event-stream"),
                **{k: v for k, v in kwargs.items() if k != "accept"},
            )
            raise AssertionError("unreachable")  # pragma: no cover - _send raised _Opened
        raw = self._raw_response
        assert raw is not None
        self._replay_timings(timings)
        self._mode = "raw"
        stream = open_stream(raw, timings)
        try:
            await stream._prime(False)
        except BaseException:
            await stream.aclose()
            raise
        stream._idle_timeout = options.idle_timeout
        self._stream = stream
        return stream  # type: ignore[no-any-return]


_capture_classes: Final[dict[type, type[_CaptureClient]]] = {}


def _capture_class(client_class: type[AsyncGroq]) -> type[_CaptureClient]:
    """``_CaptureClient`` over ``client_class`` (one class per client class)."""
    cls = _capture_classes.get(client_class)
    if cls is None:
        cls = type("_CaptureClient", (_CaptureClient, client_class), {"__module__": __name__})
        _capture_classes[client_class] = cls
    return cls


def _is_resource(value: object) -> bool:
    return type(value).__module__.startswith("groq_anyio.resources.")


def _rebind(owner: object, client: AsyncGroq) -> Any:
    """``owner`` (the client or a resource) built again on ``client``."""
    if not _is_resource(owner):
        return client
    cls: Any = type(owner)
    return cls(client)


def _owner_client(owner: object) -> AsyncGroq:
    if not _is_resource(owner):
        return owner  # type: ignore[return-value]
    client = getattr(owner, "_client", None)
    assert client is not None, owner
    return client  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------- responses


class APIResponse(ResponseMeta, Generic[T]):
    """An HTTP response with the value a call parses from it (the official SDK's
    ``APIResponse``/``AsyncAPIResponse``).

    ``await raw.parse()`` gives the value: a completion, a list, a stream for ``stream=True``, a
    :class:`~groq_anyio.BinaryResponse` for downloads. From ``with_raw_response`` the value and
    the body are already there (``raw.data``, ``await raw.read()``); from
    ``with_streaming_response`` the body is read only when asked: ``iter_bytes()``,
    ``iter_text()``, ``iter_lines()``, ``read()``, ``text()``, ``json()`` or ``parse()``.
    """

    __slots__ = ("_body", "_call", "_consumed", "_data", "_gens", "_raw", "_stream", "timings")

    def __init__(
        self,
        data: T,
        raw: RawResponse,
        timings: Timings,
        *,
        body: bytes | None = None,
        call: _BoundCall | None = None,
    ) -> None:
        self._data = data
        self._raw = raw
        #: monotonic stamps of the call (see :class:`~groq_anyio.Timings`)
        self.timings = timings
        self._body = body
        self._call = call
        self._consumed = False
        self._stream: Any = None
        #: the body iterators handed out (closed with the response: a loop left by ``break``
        #: leaves its generator suspended)
        self._gens: list[Any] = []

    # -- the value ------------------------------------------------------------------------------

    @property
    def data(self) -> T:
        """The parsed value (a ``with_raw_response`` call has it at once)."""
        if self._data is _UNSET:
            raise StreamAlreadyConsumed("a streamed response is parsed with `await parse()`")
        return self._data

    async def parse(self, *, to: Any = None) -> Any:
        """The value the call returns, decoded from this response by the resource's own code;
        with ``to`` (a Struct, ``dict``, a pydantic model, ``str``, ``bytes``...), the body
        decoded into that type instead, as in the official SDK."""
        if to is not None:
            from ._generic import decode_as

            return decode_as(self._raw, await self.read(), to)
        if self._data is not _UNSET:
            return self._data
        call = self._call
        assert call is not None
        if self._consumed and self._body is None:
            raise StreamAlreadyConsumed(
                "the body was iterated without being kept; call read() before iterating"
            )
        capture = _CaptureClient.of(call._client, "replay")
        capture._raw_response = self._raw
        capture._body = self._body
        capture._timings = self.timings
        value = await call(capture)
        self._stream = capture._stream
        if self._stream is None and callable(getattr(value, "aclose", None)):
            self._stream = value  # a download: closed with this response
        if capture._body is not None:
            self._body = capture._body
            self._consumed = True
        self._data = value
        return value

    # -- the body -------------------------------------------------------------------------------

    async def read(self) -> bytes:
        """The whole body (read once and kept)."""
        if self._body is not None:
            return self._body
        if self._consumed:
            raise StreamAlreadyConsumed("the body was already iterated")
        if self._data is not _UNSET:
            raise StreamAlreadyConsumed(
                "this response's body belongs to its parsed value (a stream or a download)"
            )
        self._consumed = True
        call = self._call
        # (bounded like every whole-body read: ResponseLimits.json_body of the call's client)
        limits = call._client._config.response_limits if call is not None else _LIMITS
        self._body = await self._raw.read(limits.json_body)
        return self._body

    async def text(self) -> str:
        """The body read whole and decoded as UTF-8 (undecodable bytes replaced)."""
        return (await self.read()).decode("utf-8", "replace")

    async def json(self) -> Any:
        """The body read whole and decoded as JSON into plain Python values.

        Raises:
            APIResponseValidationError: the body is not valid JSON.
        """
        import json

        data = await self.read()
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as exc:  # (JSONDecodeError is a ValueError)
            from ._errors import invalid_response

            raise invalid_response(self._raw, data, "JSON", exc) from None

    def _track(self, gen: Any) -> Any:
        self._gens.append(gen)
        return gen

    def iter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The body as it arrives (``chunk_size``: re-chunked to that size)."""
        if chunk_size is not None and chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        if self._body is not None:
            parts: AsyncIterator[bytes] = _once(self._body)
        else:
            if self._consumed or self._data is not _UNSET:
                raise StreamAlreadyConsumed("the body was already read")
            self._consumed = True
            parts = self._track(_network_parts(self._raw))
        return self._track(_rechunk(parts, chunk_size))  # type: ignore[no-any-return]

    def iter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        """The body as UTF-8 text pieces (a character split across chunks is kept whole)."""
        return self._track(_text(self.iter_bytes(chunk_size)))  # type: ignore[no-any-return]

    def iter_lines(self) -> AsyncIterator[str]:
        """The body line by line (``\\n``, ``\\r\\n`` or ``\\r``), without line ends."""
        return self._track(_lines(self.iter_text()))  # type: ignore[no-any-return]

    # -- closing --------------------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        """Whether the body was read or released: the connection is no longer held."""
        return self._consumed or self._body is not None

    async def close(self) -> None:
        """Release the response (and a stream, download or body iterator made from it)."""
        gens, self._gens = self._gens, []
        for gen in reversed(gens):
            await gen.aclose()
        stream = self._stream
        if stream is not None:
            await stream.aclose()
        elif self._data is _UNSET and self._body is None:
            self._consumed = True
            await self._raw.aclose()

    aclose = close

    # -- metadata -------------------------------------------------------------------------------

    @property
    def rate_limits(self) -> RateLimitSnapshot | None:
        """The ``x-ratelimit-*`` headers, parsed (``None`` when the response has none)."""
        from ._ratelimit import parse_rate_limits

        return parse_rate_limits(self._raw.headers)

    @property
    def retries(self) -> int:
        """How many times the call was retried before this response (attempts - 1)."""
        return self.timings.attempts - 1

    retries_taken = retries

    @property
    def elapsed(self) -> float | None:
        """Seconds from the call to the response headers."""
        return self.timings.time_to_headers

    def __repr__(self) -> str:
        kind = "unread" if self._data is _UNSET else type(self._data).__name__
        return (
            f"<APIResponse [{self.status_code}] {kind} "
            f"http_version={self.http_version!r} request_id={self.request_id!r}>"
        )


async def _rechunk(parts: AsyncIterator[bytes], chunk_size: int | None) -> AsyncIterator[bytes]:
    if chunk_size is None:
        async for part in parts:
            if part:
                yield part
        return
    pending = bytearray()
    async for part in parts:
        pending += part
        while len(pending) >= chunk_size:
            yield bytes(pending[:chunk_size])
            del pending[:chunk_size]
    if pending:
        yield bytes(pending)


async def _text(parts: AsyncIterator[bytes]) -> AsyncIterator[str]:
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    async for part in parts:
        text = decoder.decode(part)
        if text:
            yield text
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


async def _lines(texts: AsyncIterator[str]) -> AsyncIterator[str]:
    pending = ""
    async for text in texts:
        buf = pending + text
        hold = buf.endswith("\r")  # it may be the first half of a CRLF: decide later
        if hold:
            buf = buf[:-1]
        lines = _line_end.split(buf)
        pending = lines.pop() + ("\r" if hold else "")
        for line in lines:
            yield line
    if pending:
        yield pending.removesuffix("\r")


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _network_parts(raw: RawResponse) -> AsyncIterator[bytes]:
    from ._transport import map_exception

    try:
        async for part in raw.stream:
            yield part
    except Exception as exc:
        mapped = map_exception(exc)
        if mapped is None or isinstance(exc, APIError):
            raise
        raise mapped from exc
    finally:
        await raw.stream.aclose()


class StreamingCall(Generic[T]):
    """``async with resource.with_streaming_response.method(...) as response:`` (the response
    is released when the block ends)."""

    __slots__ = ("_call", "_response")

    def __init__(self, call: _BoundCall) -> None:
        self._call = call
        self._response: APIResponse[T] | None = None

    async def __aenter__(self) -> APIResponse[T]:
        capture = _CaptureClient.of(self._call._client, "open")
        try:
            value = await self._call(capture)
        except _Opened:
            raw = capture._raw_response
            timings = capture._timings
            assert raw is not None and timings is not None
            self._response = APIResponse(_UNSET, raw, timings, call=self._call)
            return self._response
        # the method sent nothing (or only answered from what it had): its value is the result
        raw = capture._raw_response
        if raw is None:
            raise GroqError("this call makes no HTTP request to stream")
        assert capture._timings is not None
        self._response = APIResponse(value, raw, capture._timings)
        return self._response

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._response is not None:
            await self._response.close()


# ---------------------------------------------------------------------------- the views


class _BoundCall:
    """``method`` of ``owner`` as a function of a capturing client."""

    __slots__ = ("_client", "_kwargs", "_name", "_owner", "_args")

    def __init__(self, owner: object, name: str, args: tuple[Any, ...], kwargs: Any) -> None:
        self._owner = owner
        self._client = _owner_client(owner)
        self._name = name
        self._args = args
        self._kwargs = kwargs

    def __call__(self, capture: _CaptureClient) -> Any:
        method = getattr(_rebind(self._owner, capture), self._name)
        return method(*self._args, **self._kwargs)


class ResourceView:
    """A resource (or the client) seen through ``with_raw_response`` (``mode="raw"``) or
    ``with_streaming_response`` (``mode="open"``): the same attributes, each method returning
    an :class:`APIResponse` (raw) or a :class:`StreamingCall` (streaming)."""

    __slots__ = ("_mode", "_target")

    def __init__(self, target: object, mode: str) -> None:
        self._target = target
        self._mode = mode

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("with_raw_response", "with_streaming_response"):
            raise AttributeError(name)
        value = getattr(self._target, name)
        if _is_resource(value):
            return ResourceView(value, self._mode)
        if inspect.iscoroutinefunction(value):
            return _ViewMethod(self._target, name, self._mode)
        return value

    def __repr__(self) -> str:
        return f"<{type(self._target).__name__}.with_{self._mode}_response>"


class _ViewMethod:
    __slots__ = ("__name__", "_mode", "_owner")

    def __init__(self, owner: object, name: str, mode: str) -> None:
        self._owner = owner
        self.__name__ = name
        self._mode = mode

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        call = _BoundCall(self._owner, self.__name__, args, kwargs)
        if self._mode == "open":
            return StreamingCall(call)
        return _raw_call(call)


async def _raw_call(call: _BoundCall) -> APIResponse[Any]:
    capture = _CaptureClient.of(call._client, "raw")
    value = await call(capture)
    raw = capture._raw_response
    if raw is None:
        raise GroqError("this call made no HTTP request")
    assert capture._timings is not None
    return APIResponse(value, raw, capture._timings, body=capture._body)


class AsyncGroqWithRawResponse(ResourceView):
    """``client.with_raw_response``: every resource and call, returning :class:`APIResponse`."""

    __slots__ = ()

    def __init__(self, client: AsyncGroq) -> None:
        super().__init__(client, "raw")


class AsyncGroqWithStreamingResponse(ResourceView):
    """``client.with_streaming_response``: every resource and call, as a context manager
    giving an :class:`APIResponse` whose body is read only when asked."""

    __slots__ = ()

    def __init__(self, client: AsyncGroq) -> None:
        super().__init__(client, "open")
