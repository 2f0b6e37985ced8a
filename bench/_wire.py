"""What the hand-written comparators share: tiny msgspec wire types and a bare SSE splitter.

The floor (``_floor.py``), raw aiohttp (``_aiohttp_client.py``) and the httptools floors
(``_httptools_floor.py``) decode the same Structs with the same decoders and find events the
same way, so they differ only in their HTTP stack. Imports nothing but msgspec.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec

__all__ = ["Chunk", "Completion", "SSEChunks", "decode_chunk", "decode_completion", "encode"]


class Message(msgspec.Struct, gc=False):
    content: str | None = None


class Choice(msgspec.Struct, gc=False):
    message: Message
    finish_reason: str | None = None


class Usage(msgspec.Struct, gc=False):
    total_tokens: int = 0


class Completion(msgspec.Struct, gc=False):
    choices: list[Choice]
    usage: Usage | None = None


class Delta(msgspec.Struct, gc=False):
    content: str | None = None


class ChunkChoice(msgspec.Struct, gc=False):
    delta: Delta
    finish_reason: str | None = None


class Chunk(msgspec.Struct, gc=False):
    choices: list[ChunkChoice]


encode = msgspec.json.Encoder().encode
decode_completion = msgspec.json.Decoder(Completion).decode
decode_chunk = msgspec.json.Decoder(Chunk).decode


class SSEChunks:
    """``async for chunk in SSEChunks(read)``: the ``data: {json}`` events of a body, decoded.

    ``read()`` returns the next body bytes, ``b""`` at the end. Events are found with
    ``bytes.find`` from a search offset (searched bytes are not searched again) and decoded
    from a memoryview slice; other events are skipped; after ``[DONE]`` the rest of the body
    is read, so that the connection can be reused."""

    __slots__ = ("_read", "_buf", "_pos", "_done")

    def __init__(self, read: Callable[[], Awaitable[bytes]]) -> None:
        self._read = read
        self._buf = b""
        self._pos = 0
        self._done = False

    @property
    def done(self) -> bool:
        """Whether the body was read to its end."""
        return self._done

    def __aiter__(self) -> SSEChunks:
        return self

    async def __anext__(self) -> Chunk:
        buf, pos = self._buf, self._pos
        while True:
            end = buf.find(b"\n\n", pos)
            if end >= 0:
                start, pos = pos, end + 2
                if buf.startswith(b"data: ", start):
                    if buf.startswith(b"[DONE]", start + 6):
                        self._buf, self._pos = b"", 0
                        while await self._read():
                            pass
                        self._done = True
                        raise StopAsyncIteration
                    self._buf, self._pos = buf, pos
                    return decode_chunk(memoryview(buf)[start + 6 : end])
                continue  # not a data event: skip it
            if self._done:
                raise StopAsyncIteration
            part = await self._read()
            if not part:
                self._done = True
                raise StopAsyncIteration
            buf, pos = buf[pos:] + part if pos < len(buf) else part, 0
