"""``await client.health_check()``: reports (never raises) reachability, latency, status, rate
limits and errors; raises only for a closed client or invalid arguments."""

from __future__ import annotations

import socket

import anyio
import msgspec
import pytest

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio.testing import ErrorReply, GroqTestServer, Stall

from .conftest import TEST_KEY

pytestmark = pytest.mark.anyio


async def test_healthy(server: GroqTestServer, client: AsyncGroq) -> None:
    status = await client.health_check()
    assert isinstance(status, g.HealthStatus)
    assert status.ok and status.reachable and status.status_code == 200 and status.error is None
    assert status.latency is not None and 0 < status.latency < 5
    assert status.rate_limits is not None and status.rate_limits.limit_requests == 14400
    assert status.request_id is not None and status.request_id.startswith("req_")
    assert status.http_version in ("HTTP/1.1", "HTTP/2")
    assert status.checked_at > 1.6e9
    req = server.requests[-1]
    assert req.method == "GET" and req.path == "/openai/v1/models"
    assert req.header("authorization") == f"Bearer {TEST_KEY}"
    assert client.pool_stats().in_flight == 0


async def test_bad_key_is_reported(anyio_backend: object) -> None:
    async with GroqTestServer(api_key="gsk_right") as server:
        async with AsyncGroq(api_key="gsk_wrong", base_url=server.base_url) as client:
            status = await client.health_check()
    assert not status.ok and status.reachable and status.status_code == 401
    assert status.error_type == "AuthenticationError" and status.error == "Invalid API Key"
    assert status.rate_limits is not None and status.latency is not None
    assert status.request_id is not None


async def test_server_error_is_reported_without_retries(server: GroqTestServer) -> None:
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, max_retries=3) as client:
        server.push(ErrorReply(503, headers={"retry-after": "0"}))
        status = await client.health_check()
    assert not status.ok and status.status_code == 503
    assert status.error_type == "ServiceUnavailableError"
    assert len(server.requests) == 1


async def test_unreachable_is_reported(anyio_backend: object) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with AsyncGroq(api_key=TEST_KEY, base_url=f"http://127.0.0.1:{port}") as client:
        status = await client.health_check()
    assert not status.ok and not status.reachable and status.latency is None
    assert msgspec.to_builtins(status)["error_type"] == "APIConnectionError"
    assert status.error_type == "APIConnectionError" and status.error


async def test_timeout_is_reported(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(Stall(5.0))
    with anyio.fail_after(3):
        status = await client.health_check(timeout=0.2)
    assert not status.ok and status.error_type == "APITimeoutError"


async def test_raises_only_for_closed_client_and_bad_arguments(
    server: GroqTestServer, client: AsyncGroq
) -> None:
    with pytest.raises(g.InvalidParameterError):
        await client.health_check(timeout=-1)
    await client.aclose()
    with pytest.raises(g.ClientClosedError):
        await client.health_check()
    assert server.requests == []


async def test_cancellation_propagates(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(Stall(5.0))
    with anyio.move_on_after(0.2) as scope:
        await client.health_check()
        pytest.fail("the health check should have been cancelled")
    assert scope.cancelled_caught
    assert client.pool_stats().in_flight == 0
