"""What a scripted answer is made of: its tokens, and the pump that writes its events.

Shared by the chat completions script (:mod:`._scenarios`) and the Responses API
(:mod:`._responses_api`), below both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from ._exchange import Exchange

__all__ = ["COALESCE_BYTES", "Tokens", "argument_pieces", "pump", "split_tokens"]

#: consecutive event bytes are written together up to this size (and before each pause)
COALESCE_BYTES = 65536
_WORD = re.compile(r"\s*\S+")

#: (count, factory of the token iterable)
Tokens = tuple[int, Callable[[], Iterable[str]]]


def split_tokens(text: str, chunks: int | None) -> Tokens:
    """(count, factory of the token iterable) for ``text`` cut into ``chunks`` pieces."""
    words: list[str] = _WORD.findall(text)
    n = len(words)
    if chunks is None or chunks == n:
        return n, lambda: words
    if chunks <= 0:
        return 0, tuple
    if chunks > n:
        count = chunks
        return count, lambda: (f"tok{i} " for i in range(count))
    bounds = [n * i // chunks for i in range(chunks + 1)]
    pieces = ["".join(words[bounds[i] : bounds[i + 1]]) for i in range(chunks)]
    return chunks, lambda: pieces


def argument_pieces(arguments: str, size: int = 8) -> list[str]:
    """A tool call's ``arguments`` text in the pieces its streamed deltas carry."""
    if not arguments:
        return [""]
    return [arguments[i : i + size] for i in range(0, len(arguments), size)]


async def pump(exchange: Exchange, events: Iterable[bytes | float]) -> None:
    """Write ``events`` (bytes, or a float = pause in seconds) and end the body.

    Bytes between pauses are coalesced into writes of up to ``COALESCE_BYTES``.
    """
    buf = bytearray()
    due = anyio.current_time()
    for event in events:
        if isinstance(event, bytes):
            buf += event
            if len(buf) >= COALESCE_BYTES:
                await exchange.write(bytes(buf))
                buf.clear()
        else:
            if buf:
                await exchange.write(bytes(buf))
                buf.clear()
            due += event
            await exchange.sleep_until(due)
    await exchange.write(bytes(buf), end=True)
