"""Cancelling one HTTP/2 stream while its request body is being written (issue 9): 200 rounds,
each with one ~60 KB upload cancelled at a random moment among 50 sibling requests on the same
connection, on both backends, over h2c and TLS. A cancelled write must never leave half a frame
on the wire (the siblings' frames would be read as its remainder): every sibling succeeds and
nothing hangs."""

from __future__ import annotations

import random
import ssl
from pathlib import Path
from typing import Any

import anyio
import pytest
import trustme

from groq_anyio import AsyncGroq
from groq_anyio.testing import GroqTestServer

from .conftest import TEST_KEY

pytestmark = pytest.mark.anyio

MODEL = "llama-3.3-70b-versatile"
ROUNDS = 200
SIBLINGS = 50
BIG = [{"role": "user", "content": "x" * 60_000}]
SMALL = [{"role": "user", "content": "Hi"}]


@pytest.mark.parametrize("tls", [False, True], ids=["h2c", "tls"])
async def test_cancelled_uploads_never_break_their_siblings(
    tls: bool, server_ssl_context: ssl.SSLContext, ca: trustme.CA, tmp_path: Path
) -> None:
    kw: dict[str, Any] = {}
    server_kw: dict[str, Any] = {}
    if tls:
        server_kw["ssl_context"] = server_ssl_context
        ca_file = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        kw["verify"] = str(ca_file)
    rng = random.Random(9)
    async with GroqTestServer(record_requests=False, **server_kw) as srv:
        url = srv.base_url.replace("127.0.0.1", "localhost") if tls else srv.base_url
        async with AsyncGroq(
            api_key=TEST_KEY,
            base_url=url,
            http2=True,
            http1=False,
            max_retries=0,
            timeout=20,
            max_connections=1,
            **kw,
        ) as client:
            failures: list[BaseException] = []
            cancelled = 0

            async def sibling() -> None:
                try:
                    c = await client.chat.completions.create(model=MODEL, messages=SMALL)
                    assert c.choices[0].message.content
                except BaseException as exc:  # (recorded, and the test fails on any)
                    failures.append(exc)
                    raise

            async def upload(delay: float) -> None:
                nonlocal cancelled
                with anyio.move_on_after(delay) as scope:
                    await client.chat.completions.create(model=MODEL, messages=BIG)
                cancelled += scope.cancelled_caught

            with anyio.fail_after(240):
                for _ in range(ROUNDS):
                    async with anyio.create_task_group() as tg:
                        for _ in range(SIBLINGS // 2):
                            tg.start_soon(sibling)
                        tg.start_soon(upload, rng.uniform(0, 0.004))
                        for _ in range(SIBLINGS - SIBLINGS // 2):
                            tg.start_soon(sibling)
            assert failures == []
            assert cancelled > ROUNDS // 4  # most uploads really were cut short
            stats = client.pool_stats()
            assert stats.in_flight == 0 and stats.waiting == 0
            c = await client.chat.completions.create(model=MODEL, messages=SMALL)
            assert c.choices[0].message.content
