"""Raw responses: ``client.with_raw_response.chat.completions.create(...)``.

The same calls as the normal resources, returning an :class:`APIResponse` that wraps the parsed
value together with the HTTP response's metadata (status, headers, request id, rate limits,
timings, HTTP version, retries), the way the official SDK's ``with_raw_response`` does.

Nothing here runs on the normal path: a completion (and a stream) already keeps its HTTP response
and timings; the wrapper only reads them back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from ._response_base import ResponseMeta
from ._streaming import ChatStream

if TYPE_CHECKING:
    from ._client import AsyncGroq
    from ._ratelimit import RateLimitSnapshot
    from ._responses_stream import ResponseStream
    from ._timings import Timings
    from ._transport import RawResponse
    from .types.chat import ChatCompletion
    from .types.responses import Response

__all__ = ["APIResponse", "AsyncGroqWithRawResponse"]

T = TypeVar("T")


class APIResponse(ResponseMeta, Generic[T]):
    """A parsed API value with its HTTP response: ``await raw.parse()`` (or ``raw.data``) gives
    the value (a completion, a response, or a stream for ``stream=True``)."""

    __slots__ = ("_data", "_raw", "timings")

    def __init__(self, data: T, raw: RawResponse, timings: Timings) -> None:
        self._data = data
        self._raw = raw
        #: monotonic stamps of the call (see :class:`~groq_anyio.Timings`)
        self.timings = timings

    @property
    def data(self) -> T:
        """The parsed value."""
        return self._data

    async def parse(self) -> T:
        """The parsed value (awaitable, as in the official SDK's async raw responses)."""
        return self._data

    @property
    def rate_limits(self) -> RateLimitSnapshot | None:
        """The ``x-ratelimit-*`` headers, parsed (``None`` when the response has none)."""
        from ._ratelimit import parse_rate_limits

        return parse_rate_limits(self._raw.headers)

    @property
    def retries(self) -> int:
        """How many times the call was retried before this response (attempts - 1)."""
        return self.timings.attempts - 1

    @property
    def elapsed(self) -> float | None:
        """Seconds from the call to the response headers."""
        return self.timings.time_to_headers

    def __repr__(self) -> str:
        return (
            f"<APIResponse [{self.status_code}] {type(self._data).__name__} "
            f"http_version={self.http_version!r} request_id={self.request_id!r}>"
        )


def _wrap(value: Any) -> APIResponse[Any]:
    """The raw response of a value the resources returned (they keep their HTTP response)."""
    if isinstance(value, ChatStream):
        return APIResponse(value, value._raw, value.timings)
    raw = getattr(value, "_raw", None)  # ResponseStream
    if raw is not None:
        return APIResponse(value, raw, value.timings)
    state = value.__dict__  # ChatCompletion, Response: the metadata travels in __dict__
    return APIResponse(value, state["_raw"], state["_timings"])


class _RawCompletions:
    def __init__(self, client: AsyncGroq) -> None:
        self._client = client

    @overload
    async def create(self, *, stream: Literal[True], **kwargs: Any) -> APIResponse[ChatStream]: ...

    @overload
    async def create(
        self, *, stream: Literal[False] | None = None, **kwargs: Any
    ) -> APIResponse[ChatCompletion]: ...

    async def create(
        self, *, stream: bool | None = None, **kwargs: Any
    ) -> APIResponse[ChatCompletion] | APIResponse[ChatStream]:
        """``chat.completions.create`` (same arguments), returning an :class:`APIResponse`."""
        completions = self._client.chat.completions
        if stream:
            return _wrap(await completions.create(stream=True, **kwargs))
        return _wrap(await completions.create(stream=stream, **kwargs))


class _RawChat:
    def __init__(self, client: AsyncGroq) -> None:
        self.completions = _RawCompletions(client)


class _RawResponses:
    def __init__(self, client: AsyncGroq) -> None:
        self._client = client

    @overload
    async def create(
        self, *, stream: Literal[True], **kwargs: Any
    ) -> APIResponse[ResponseStream]: ...

    @overload
    async def create(
        self, *, stream: Literal[False] | None = None, **kwargs: Any
    ) -> APIResponse[Response]: ...

    async def create(
        self, *, stream: bool | None = None, **kwargs: Any
    ) -> APIResponse[Response] | APIResponse[ResponseStream]:
        """``responses.create`` (same arguments), returning an :class:`APIResponse`."""
        responses = self._client.responses
        if stream:
            return _wrap(await responses.create(stream=True, **kwargs))
        return _wrap(await responses.create(stream=stream, **kwargs))


class AsyncGroqWithRawResponse:
    """``client.with_raw_response``: ``.chat.completions.create`` and ``.responses.create``
    returning :class:`APIResponse` objects."""

    def __init__(self, client: AsyncGroq) -> None:
        self.chat = _RawChat(client)
        self.responses = _RawResponses(client)
