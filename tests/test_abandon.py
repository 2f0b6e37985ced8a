"""Streams dropped without being closed (garbage-collected mid-body), on both backends,
HTTP/1.1 and HTTP/2: the warning is ours (never another library's words, such as trio's about
an async generator), and an HTTP/2 stream's slot comes back at once - more abandoned streams
than the connection takes at a time leave it working."""

from __future__ import annotations

import gc
import warnings

import pytest

from groq_anyio import AsyncGroq
from groq_anyio.testing import ChatScript, GroqTestServer

from .conftest import TEST_KEY

pytestmark = pytest.mark.anyio

MODEL = "llama-3.3-70b-versatile"
MSGS = [{"role": "user", "content": "Hi"}]


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "h2c"])
async def test_abandoned_streams_warn_in_our_words_and_free_their_slots(
    server: GroqTestServer, http2: bool
) -> None:
    server.default = ChatScript(chunks=2000)
    async with AsyncGroq(
        api_key=TEST_KEY,
        base_url=server.base_url,
        http2=http2,
        http1=not http2,
        max_retries=0,
        timeout=10,
        max_connections=2,
    ) as client:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(120):  # more than the 100 streams one HTTP/2 connection takes
                stream = await client.chat.completions.create(
                    model=MODEL, messages=MSGS, stream=True
                )
                await stream.__anext__()
                del stream
                gc.collect()
        messages = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
        assert messages, "abandoning a stream should warn"
        assert all("ChatStream was garbage-collected" in m for m in messages), set(messages)
        server.default = ChatScript(text="still works")
        c = await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert c.choices[0].message.content == "still works"
        stats = client.pool_stats()
        assert stats.in_flight == 0 and stats.waiting == 0
