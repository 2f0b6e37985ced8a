"""``Requester``: what a resource calls on the client, and all it knows of it.

Resources (``resources/*``) are built on a requester and type it with this protocol, never with
:class:`~groq_anyio.AsyncGroq` itself: so the client imports its resources and no resource
imports the client (docs/architecture.md, "Import rules"). :class:`~groq_anyio.AsyncGroq`
implements it, and so does the capturing client of ``with_raw_response`` (:mod:`._raw`).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ._config import Timeout
    from ._notgiven import NotGiven
    from ._pipeline import OpenStream, PrimedStream, RequestOptions
    from ._timings import Timings
    from ._transport import RawResponse
    from .resources.files import Files

__all__ = ["Requester"]


class Requester(Protocol):
    """The client as its resources see it: options for a call, and the two pipeline entries."""

    @property
    def files(self) -> Files:
        """The files resource (batch results are downloaded through it)."""
        ...

    def _request_options(
        self,
        timeout: float | Timeout | None | NotGiven,
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, Any] | None,
        max_retries: int | NotGiven = ...,
    ) -> RequestOptions:
        """The client's options with a call's overrides (the same object when none)."""
        ...

    async def _send(
        self,
        method: bytes,
        path: str,
        body: bytes | AsyncIterable[bytes],
        *,
        options: RequestOptions,
        timings: Timings,
        content_type: bytes | None = ...,
        accept: bytes = ...,
        read_body: bool = ...,
        replayable: bool = ...,
        content_length: int | None = ...,
    ) -> tuple[RawResponse, bytes | None]:
        """Send a request through the pipeline; the response and (``read_body``) its body."""
        ...

    async def _open_stream(
        self,
        method: bytes,
        path: str,
        body: bytes,
        *,
        options: RequestOptions,
        timings: Timings,
        open_stream: OpenStream,
        content_type: bytes | None = ...,
        accept: bytes = ...,
    ) -> PrimedStream:
        """Send a streaming request; ``open_stream(raw, timings)`` once its first event is in."""
        ...
