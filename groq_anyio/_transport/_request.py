"""Requests in the transport's types (:mod:`._core`), from values that are already checked."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from ._core import URL, Request

__all__ = ["BytesBody", "build_request"]


class BytesBody:
    """A bytes request body as the connections want it: an async iterable (of one chunk) that
    can be iterated again if the request is resent; our HTTP/1.1 connection sends ``content``
    with the head in one write."""

    __slots__ = ("content",)

    def __init__(self, content: bytes) -> None:
        self.content = content

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.content


def build_request(
    method: bytes,
    url: URL,
    headers: list[tuple[bytes, bytes]],
    content: bytes | AsyncIterable[bytes],
    extensions: dict[str, Any],
) -> Request:
    """A request from values that are already in the transport's types.

    Unlike ``httpcore.Request()``, nothing is checked again (two calls per header there): the
    values come from validated configuration and are checked again where they are serialised.
    """
    body: AsyncIterable[bytes] = BytesBody(content) if isinstance(content, bytes) else content
    return Request(method, url, headers, body, extensions)
