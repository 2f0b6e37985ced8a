"""A certificate that does not verify (issue 12): not transient, so one attempt, no breaker
failure, and an error that says how to fix it. Both backends, HTTP/1.1 and HTTP/2 offered."""

from __future__ import annotations

import ssl

import pytest

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio.testing import GroqTestServer

from .conftest import TEST_KEY

pytestmark = pytest.mark.anyio

MODEL = "llama-3.3-70b-versatile"
MSGS = [{"role": "user", "content": "Hi"}]


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "http2"])
async def test_unverifiable_certificate_is_not_retried(
    server_ssl_context: ssl.SSLContext, http2: bool
) -> None:
    async with GroqTestServer(ssl_context=server_ssl_context) as srv:
        url = srv.base_url.replace("127.0.0.1", "localhost")
        # the default trust store does not know the test CA
        async with AsyncGroq(api_key=TEST_KEY, base_url=url, http2=http2, max_retries=3) as client:
            with pytest.raises(g.TLSVerificationError) as caught:
                await client.chat.completions.create(model=MODEL, messages=MSGS)
            error = caught.value
            assert isinstance(error, g.APIConnectionError) and not error.retryable
            assert error.attempts == 1
            assert "verify=" in str(error)  # says how to trust a private CA
            breaker = client.circuit_breaker
            assert breaker is not None and breaker.consecutive_failures == 0
        assert srv.request_count == 0
