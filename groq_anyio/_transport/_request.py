"""Requests in httpcore's types, built without re-checking what is already checked."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import httpcore

from ._httpcore import KNOWN_HTTPCORE

__all__ = ["BytesBody", "build_request"]

_new_request = httpcore.Request.__new__


class BytesBody:
    """A bytes request body as httpcore wants it: an async iterable (of one chunk) that can be
    iterated again if the request is resent; our HTTP/1.1 connection sends ``content`` with
    the head in one write."""

    __slots__ = ("content",)

    def __init__(self, content: bytes) -> None:
        self.content = content

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.content


def build_request(
    method: bytes,
    url: httpcore.URL,
    headers: list[tuple[bytes, bytes]],
    content: bytes | AsyncIterable[bytes],
    extensions: dict[str, Any],
) -> httpcore.Request:
    """An ``httpcore.Request`` from values that are already in httpcore's own types.

    ``httpcore.Request()`` re-checks every header name and value (two calls per header) and
    wraps the body; ours were built from validated configuration and are checked again where
    they are serialised. So on the httpcore versions whose ``Request`` is known (1.0.x) the
    attributes are set directly.
    """
    body: AsyncIterable[bytes] = BytesBody(content) if isinstance(content, bytes) else content
    if not KNOWN_HTTPCORE:  # pragma: no cover
        return httpcore.Request(method, url, headers=headers, content=body, extensions=extensions)
    request = _new_request(httpcore.Request)
    request.method = method
    request.url = url
    request.headers = headers
    request.stream = body
    request.extensions = extensions
    return request
