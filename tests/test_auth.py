"""Custom auth: ``api_key`` as an async callable returning the key or headers, per attempt."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from groq_anyio import AsyncGroq, InvalidParameterError, SecretStr
from groq_anyio.testing import ErrorReply, GroqTestServer

pytestmark = pytest.mark.anyio

MODEL = "llama-3.3-70b-versatile"
MESSAGES = [{"role": "user", "content": "Hello"}]


async def test_rotating_key_is_fetched_per_attempt(server: GroqTestServer) -> None:
    counter = itertools.count(1)

    async def key() -> str:
        return f"gsk_rotated_{next(counter)}"

    server.push(ErrorReply(503, headers={"retry-after": "0"}))
    async with AsyncGroq(api_key=key, base_url=server.base_url, max_retries=1) as client:
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        async with stream:
            async for _ in stream:
                pass
        assert "gsk_rotated" not in repr(client)
    assert [r.header("authorization") for r in server.requests] == [
        "Bearer gsk_rotated_1",
        "Bearer gsk_rotated_2",
        "Bearer gsk_rotated_3",
    ]
    # exactly one authorization header each time
    assert all(sum(k == "authorization" for k, _ in r.headers) == 1 for r in server.requests)


async def test_gateway_headers_and_callable_object(server: GroqTestServer) -> None:
    class Gateway:
        def __init__(self) -> None:
            self.calls = 0

        async def __call__(self) -> dict[str, Any]:
            self.calls += 1
            return {"X-Gateway-Key": SecretStr("gw-secret"), "X-Tenant": "acme"}

    gateway = Gateway()
    async with AsyncGroq(api_key=gateway, base_url=server.base_url) as client:
        await client.models.list()
        copy = client.with_options(timeout=5)
        await copy.models.list()
    assert gateway.calls == 2
    for request in server.requests:
        assert request.header("authorization") is None
        assert request.header("x-gateway-key") == "gw-secret"
        assert request.header("x-tenant") == "acme"


async def test_server_checks_the_callable_key(anyio_backend: object) -> None:
    async def key() -> str:
        return "gsk_right"

    async with GroqTestServer(api_key="gsk_right") as server:
        async with AsyncGroq(api_key=key, base_url=server.base_url) as client:
            page = await client.models.list()
            assert page.data


async def test_bad_callable_results_are_typed_errors_without_the_value(
    server: GroqTestServer,
) -> None:
    async def newline() -> str:
        return "gsk_secret\r\nX-Injected: 1"

    async def number() -> int:
        return 42

    async def empty() -> dict[str, str]:
        return {}

    async def host() -> dict[str, str]:
        return {"Host": "evil"}

    for fn in (newline, number, empty, host):
        async with AsyncGroq(api_key=fn, base_url=server.base_url, max_retries=0) as client:
            with pytest.raises(InvalidParameterError) as info:
                await client.models.list()
            assert "gsk_secret" not in str(info.value)
    assert server.requests == []


def test_non_callable_is_refused() -> None:
    with pytest.raises(InvalidParameterError):
        AsyncGroq(api_key=12345)  # type: ignore[arg-type]
