"""Event hooks (httpx's shape): what they see, header injection, retries, errors."""

from __future__ import annotations

from typing import Any

import pytest

from groq_anyio import AsyncGroq, InvalidParameterError
from groq_anyio._telemetry._hooks import HookRequest, HookResponse
from groq_anyio.testing import ErrorReply, GroqTestServer

pytestmark = pytest.mark.anyio

MODEL = "llama-3.3-70b-versatile"
MESSAGES = [{"role": "user", "content": "Hello"}]
KEY = "gsk_hooks_secret_0123456789"


async def test_hooks_see_requests_and_responses(server: GroqTestServer) -> None:
    seen: list[Any] = []

    async def on_request(request: HookRequest) -> None:
        seen.append(
            ("request", request.method, request.url, request.attempt, dict(request.headers))
        )
        request.headers["X-Trace-Id"] = f"trace-{request.attempt}"

    async def on_response(response: HookResponse) -> None:
        seen.append(
            ("response", response.status_code, response.request_id, response.request.attempt)
        )

    server.push(ErrorReply(503, headers={"retry-after": "0"}))
    async with AsyncGroq(
        api_key=KEY,
        base_url=server.base_url,
        max_retries=1,
        event_hooks={"request": [on_request], "response": [on_response]},
    ) as client:
        completion = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        async with stream:
            async for _ in stream:
                pass
    url = f"{server.base_url}/openai/v1/chat/completions"
    requests = [s for s in seen if s[0] == "request"]
    responses = [s for s in seen if s[0] == "response"]
    assert [(r[1], r[2], r[3]) for r in requests] == [
        ("POST", url, 1),
        ("POST", url, 2),
        ("POST", url, 1),
    ]
    headers = requests[0][4]
    assert headers["authorization"] == "<redacted>"
    assert headers["content-type"] == "application/json"
    assert KEY not in repr(seen)
    assert [(r[1], r[3]) for r in responses] == [(503, 1), (200, 2), (200, 1)]
    assert responses[1][2] == completion.request_id
    # the injected header went out, once per attempt
    assert [r.header("x-trace-id") for r in server.requests] == ["trace-1", "trace-2", "trace-1"]
    assert all(sum(1 for k, _ in r.headers if k == "x-trace-id") == 1 for r in server.requests)


async def test_hooks_survive_with_options(server: GroqTestServer) -> None:
    calls: list[str] = []

    async def hook(request: HookRequest) -> None:
        calls.append(request.method)

    async with AsyncGroq(
        api_key=KEY, base_url=server.base_url, event_hooks={"request": [hook]}
    ) as client:
        await client.with_options(max_retries=0).models.list()
    assert calls == ["GET"]


async def test_hook_errors_reach_the_caller_and_release_the_connection(
    server: GroqTestServer,
) -> None:
    class Boom(Exception):
        pass

    raised: list[int] = []

    async def on_response(response: HookResponse) -> None:
        if not raised:
            raised.append(response.status_code)
            raise Boom

    async with AsyncGroq(
        api_key=KEY, base_url=server.base_url, event_hooks={"response": [on_response]}
    ) as client:
        with pytest.raises(Boom):
            await client.chat.completions.create(model=MODEL, messages=MESSAGES)
        assert client.pool_stats().in_flight == 0
        # the client still works
        await client.models.list()


async def test_request_hooks_cannot_touch_client_headers(server: GroqTestServer) -> None:
    async def bad(request: HookRequest) -> None:
        request.headers["Authorization"] = "Bearer other"

    async def bad_value(request: HookRequest) -> None:
        request.headers["X-A"] = "a\r\nInjected: 1"

    for hook in (bad, bad_value):
        async with AsyncGroq(
            api_key=KEY, base_url=server.base_url, event_hooks={"request": [hook]}
        ) as client:
            with pytest.raises(InvalidParameterError):
                await client.models.list()
    assert server.requests == []


def test_event_hooks_are_checked() -> None:
    async def ok(_: Any) -> None:
        pass

    for value in ({"requests": [ok]}, {"request": ok}, {"request": [1]}, [ok]):
        with pytest.raises(InvalidParameterError):
            AsyncGroq(api_key=KEY, event_hooks=value)  # type: ignore[arg-type]
