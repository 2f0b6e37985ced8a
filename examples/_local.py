"""Shared by the examples: use Groq when GROQ_API_KEY is set, else the embedded local server."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from groq_anyio import AsyncGroq

MODEL = os.environ.get("GROQ_MODEL", "llama-3.3-70b-versatile")


@asynccontextmanager
async def groq_client(**kwargs: object) -> AsyncIterator[AsyncGroq]:
    if os.environ.get("GROQ_API_KEY"):
        async with AsyncGroq(**kwargs) as client:  # type: ignore[arg-type]
            yield client
        return
    from groq_anyio.testing import GroqTestServer

    print("(no GROQ_API_KEY: using the embedded local Groq-compatible server)", file=sys.stderr)
    async with GroqTestServer() as server:
        async with AsyncGroq(api_key="local", base_url=server.base_url, **kwargs) as client:  # type: ignore[arg-type]
            client._example_server = server  # type: ignore[attr-defined]
            yield client
