"""Raw aiohttp + msgspec: what a speed-conscious asyncio user writes instead of an SDK.

One ``aiohttp.ClientSession`` over a ``TCPConnector`` with the same pool size as every other
client; aiohttp parses HTTP/1.1 in C (llhttp). The request body is encoded by msgspec, the
completion decoded by msgspec from ``await response.read()``, and a stream is split into events
by hand on the bytes ``response.content.readany()`` returns (``_wire.SSEChunks``). HTTP/1.1
only (aiohttp has no HTTP/2). Runs on asyncio (default loop or uvloop) only.
"""

from __future__ import annotations

import ssl
from types import TracebackType
from typing import Any

import aiohttp
from _wire import Completion, SSEChunks, decode_completion, encode

__all__ = ["AiohttpClient"]


class AiohttpClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        max_connections: int,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        connector = aiohttp.TCPConnector(
            limit=max_connections, ssl=ssl_context if ssl_context is not None else True
        )
        self.session = aiohttp.ClientSession(connector=connector)
        self.url = base_url.rstrip("/") + "/openai/v1/chat/completions"
        base = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self.headers = {**base, "Accept": "application/json"}
        self.stream_headers = {**base, "Accept": "text/event-stream"}

    def _with(self, headers: dict[str, str], extra: list[tuple[bytes, bytes]] | None) -> Any:
        if not extra:
            return headers
        return {**headers, **{k.decode(): v.decode() for k, v in extra}}

    async def complete(
        self, payload: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None
    ) -> Completion:
        headers = self._with(self.headers, extra)
        async with self.session.post(self.url, data=encode(payload), headers=headers) as r:
            body = await r.read()
        if r.status != 200:
            raise RuntimeError(f"HTTP {r.status}")
        return decode_completion(body)

    def stream(
        self, payload: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None
    ) -> AiohttpStream:
        return AiohttpStream(self, encode(payload), self._with(self.stream_headers, extra))

    async def aclose(self) -> None:
        await self.session.close()


class AiohttpStream:
    """``async with client.stream(payload) as chunks: async for chunk in chunks``."""

    def __init__(self, client: AiohttpClient, body: bytes, headers: dict[str, str]) -> None:
        self._client, self._body, self._headers = client, body, headers

    async def __aenter__(self) -> SSEChunks:
        c = self._client
        self._cm = c.session.post(c.url, data=self._body, headers=self._headers)
        response = await self._cm.__aenter__()
        if response.status != 200:
            await self._cm.__aexit__(None, None, None)
            raise RuntimeError(f"HTTP {response.status}")
        return SSEChunks(response.content.readany)

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._cm.__aexit__(et, e, tb)
