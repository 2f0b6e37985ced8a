"""Chat completions against the real local server over real sockets, on asyncio and trio."""

from __future__ import annotations

import logging
import ssl
import traceback

import anyio
import pytest
import trustme

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio.testing import ChatScript, ErrorReply, GroqTestServer, RawReply, Stall
from groq_anyio.types import ChatCompletion

from .conftest import TEST_KEY

pytestmark = pytest.mark.anyio

MSGS = [{"role": "user", "content": "Hi"}]
MODEL = "llama-3.3-70b-versatile"


async def test_plain_completion(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(ChatScript(text="Hello there, friend."))
    c = await client.chat.completions.create(model=MODEL, messages=MSGS, temperature=0.2)
    assert isinstance(c, ChatCompletion)
    assert c.choices[0].message.content == "Hello there, friend."
    assert c.choices[0].message.role == "assistant"
    assert c.choices[0].finish_reason == "stop"
    assert c.model == MODEL
    assert (
        c.usage is not None
        and c.usage.total_tokens == c.usage.prompt_tokens + c.usage.completion_tokens
    )
    assert c.usage.total_time is not None
    assert c.x_groq is not None and c.x_groq.id
    # what went over the wire
    req = server.requests[-1]
    assert req.method == "POST" and req.path == "/openai/v1/chat/completions"
    body = req.json()
    assert body == {"model": MODEL, "messages": MSGS, "temperature": 0.2}
    assert req.header("authorization") == f"Bearer {TEST_KEY}"
    assert req.header("content-type") == "application/json"
    assert req.header("user-agent", "").startswith("groq-anyio/")
    # timings and response metadata
    t = c.timings
    assert t is not None and t.request_start <= t.response_headers <= t.last_chunk  # type: ignore[operator]
    assert c.request_id is not None and c.request_id.startswith("req_")


async def test_every_parameter_is_sent(server: GroqTestServer, client: AsyncGroq) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "d",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        },
        {"type": "browser_search"},
        {"type": "code_interpreter"},
    ]
    params = dict(
        temperature=0.5,
        top_p=0.9,
        max_tokens=100,
        max_completion_tokens=90,
        stop=["a", "b"],
        seed=7,
        n=1,
        user="u1",
        stream_options=None,
        response_format={"type": "json_object"},
        tools=tools,
        tool_choice="auto",
        parallel_tool_calls=True,
        reasoning_format="parsed",
        reasoning_effort="low",
        include_reasoning=None,
        service_tier="flex",
        frequency_penalty=0.1,
        presence_penalty=-0.1,
        logprobs=True,
        top_logprobs=3,
        logit_bias={"50256": -100},
        metadata={"k": "v"},
        store=False,
        search_settings={"include_domains": ["groq.com"]},
        documents=[{"source": {"type": "text", "text": "doc"}}],
        citation_options="enabled",
        compound_custom={"tools": {"enabled_tools": ["web_search"]}},
        disable_tool_validation=True,
    )
    server.push(ChatScript(text='{"ok": true}'))  # JSON mode replies are checked to be JSON
    # (every parameter at once, whatever the model supports: the wire is what is tested)
    await client.chat.completions.create(  # type: ignore[call-overload]
        model=MODEL, messages=MSGS, check_capabilities=False, **params
    )
    sent = server.requests[-1].json()
    expected = {k: v for k, v in params.items() if v is not None}
    for key, value in expected.items():
        assert sent[key] == value, key
    assert "include_reasoning" not in sent and "stream_options" not in sent


async def test_extra_headers_query_body_timeout(server: GroqTestServer, client: AsyncGroq) -> None:
    await client.chat.completions.create(
        model=MODEL,
        messages=MSGS,
        extra_headers={"X-Trace": "abc"},
        extra_query={"debug": "1"},
        extra_body={"new_param": {"x": 1}, "temperature": 1.5},
        timeout=5,
    )
    req = server.requests[-1]
    assert req.header("x-trace") == "abc"
    assert req.path == "/openai/v1/chat/completions?debug=1"
    assert req.json()["new_param"] == {"x": 1} and req.json()["temperature"] == 1.5


async def test_typed_structs_accepted(server: GroqTestServer, client: AsyncGroq) -> None:
    from groq_anyio.types import SystemMessage, UserMessage

    await client.chat.completions.create(
        model=MODEL, messages=[SystemMessage(content="Be brief."), UserMessage(content="Hi")]
    )
    assert server.requests[-1].json()["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]


@pytest.mark.parametrize(
    ("kw", "param"),
    [
        ({"model": ""}, "model"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id"),
        ({"temperature": 2.5}, "temperature"),
        ({"top_p": -0.1}, "top_p"),
        ({"frequency_penalty": 3}, "frequency_penalty"),
        ({"top_logprobs": 21, "logprobs": True}, "top_logprobs"),
        ({"n": 2}, "n"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        (
            {"tools": [{"type": "function", "function": {"name": f"f{i}"}} for i in range(129)]},
            "tools",
        ),
        (
            {"tools": [{"type": "function", "function": {"description": "no name"}}]},
            "tools[0].function.name",
        ),
        (
            {
                "tools": [
                    {
                        "type": "function",
                        "function": {"name": "f", "parameters": {"type": "string"}},
                    }
                ]
            },
            "tools[0].function.parameters",
        ),
        ({"extra_headers": {"x-a": "b\r\nx-injected: 1"}}, "extra_headers"),
    ],
)
async def test_validation_before_sending(
    server: GroqTestServer, client: AsyncGroq, kw: dict[str, object], param: str
) -> None:
    args: dict[str, object] = {"model": MODEL, "messages": MSGS, **kw}
    with pytest.raises(g.InvalidParameterError) as info:
        await client.chat.completions.create(**args)  # type: ignore[call-overload]
    assert info.value.param.startswith(param)
    assert server.requests == []  # nothing was sent


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, None, g.BadRequestError),
        (400, "context_length_exceeded", g.ContextLengthExceededError),
        (401, "invalid_api_key", g.AuthenticationError),
        (403, None, g.PermissionDeniedError),
        (404, "model_not_found", g.ModelNotFoundError),
        (413, None, g.RequestTooLargeError),
        (422, None, g.UnprocessableEntityError),
        (424, None, g.FailedDependencyError),
        (429, "rate_limit_exceeded", g.RateLimitError),
        (498, "capacity_exceeded", g.FlexCapacityError),
        (499, None, g.ClientClosedRequestError),
        (500, None, g.InternalServerError),
        (503, None, g.ServiceUnavailableError),
    ],
)
async def test_error_statuses(
    server: GroqTestServer,
    client: AsyncGroq,
    status: int,
    code: str | None,
    cls: type[g.APIStatusError],
) -> None:
    server.push(
        ErrorReply(
            status=status, message=f"failure {status}", code=code, headers={"retry-after": "3"}
        )
    )
    with pytest.raises(cls) as info:
        await client.chat.completions.create(model=MODEL, messages=MSGS)
    err = info.value
    assert err.status_code == status
    assert err.message == f"failure {status}"
    assert err.code == code
    assert err.request_id is not None and err.request_id.startswith("req_")
    assert err.attempts == 1  # the fixture's client has max_retries=0
    if isinstance(err, g.RateLimitError):
        assert err.retry_after == 3.0
    assert TEST_KEY not in "".join(traceback.format_exception(err)) + repr(err.body) + repr(
        dict(err.headers)
    )


async def test_retries_then_success(server: GroqTestServer) -> None:
    server.push(
        ErrorReply(status=503, message="busy", headers={"retry-after-ms": "10"}),
        ErrorReply(status=429, message="slow", headers={"retry-after": "0.01"}),
        ChatScript(text="finally"),
    )
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, max_retries=2) as client:
        c = await client.chat.completions.create(model=MODEL, messages=MSGS)
    assert c.choices[0].message.content == "finally"
    assert c.timings is not None and c.timings.attempts == 3
    assert len(server.requests) == 3


async def test_retries_exhausted_and_not_retryable(server: GroqTestServer) -> None:
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, max_retries=1) as client:
        server.push(*[ErrorReply(status=500, message="x", headers={"retry-after-ms": "1"})] * 2)
        with pytest.raises(g.InternalServerError) as info:
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert info.value.attempts == 2
        server.requests.clear()
        server.push(ErrorReply(status=400, message="bad"))  # a retry would get the default 200
        with pytest.raises(g.BadRequestError) as info2:
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert info2.value.attempts == 1 and len(server.requests) == 1
        # retry-after beyond what we will wait: raised at once with retry_after set
        server.push(ErrorReply(status=429, message="day limit", headers={"retry-after": "3600"}))
        with pytest.raises(g.RateLimitError) as info3:
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert info3.value.retry_after == 3600 and info3.value.attempts == 1


async def test_deadline_raises_timeout(server: GroqTestServer) -> None:
    server.push(Stall(seconds=5))
    async with AsyncGroq(
        api_key=TEST_KEY, base_url=server.base_url, max_retries=0, timeout=0.3
    ) as client:
        with anyio.fail_after(3):
            with pytest.raises(g.APITimeoutError):
                await client.chat.completions.create(model=MODEL, messages=MSGS)
        # per-call timeout overrides the client's
        server.push(Stall(seconds=5))
        with anyio.fail_after(3), pytest.raises(g.APITimeoutError):
            await client.chat.completions.create(model=MODEL, messages=MSGS, timeout=0.2)
        assert client.pool_stats().in_flight == 0
        # and the client still works afterwards
        c = await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert c.choices[0].message.content


async def test_outer_cancel_is_not_a_timeout(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(Stall(seconds=5))
    with anyio.move_on_after(0.2) as scope:
        await client.chat.completions.create(model=MODEL, messages=MSGS)
    assert scope.cancelled_caught
    assert client.pool_stats().in_flight == 0


async def test_connection_refused_is_typed() -> None:
    async with AsyncGroq(api_key=TEST_KEY, base_url="http://127.0.0.1:9", max_retries=1) as client:
        with pytest.raises(g.APIConnectionError) as info:
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert info.value.attempts == 2


async def test_undecodable_body(server: GroqTestServer, client: AsyncGroq) -> None:
    server.push(
        RawReply(
            status=200, headers={"content-type": "application/json"}, body=b"<html>oops</html>"
        )
    )
    with pytest.raises(g.APIResponseValidationError):
        await client.chat.completions.create(model=MODEL, messages=MSGS)


async def test_keepalive_reuse(server: GroqTestServer, client: AsyncGroq) -> None:
    for _ in range(5):
        await client.chat.completions.create(model=MODEL, messages=MSGS)
    assert server.connections_opened == 1
    assert client.pool_stats().connections == 1


async def test_closed_client(server: GroqTestServer) -> None:
    client = AsyncGroq(api_key=TEST_KEY, base_url=server.base_url)
    async with client:
        await client.chat.completions.create(model=MODEL, messages=MSGS)
    assert client.is_closed
    with pytest.raises(g.ClientClosedError):
        await client.chat.completions.create(model=MODEL, messages=MSGS)
    with pytest.raises(g.ClientClosedError):
        async with client:
            pass
    await client.aclose()  # idempotent


async def test_with_options_client(server: GroqTestServer, client: AsyncGroq) -> None:
    other = client.with_options(default_headers={"x-team": "blue"}, timeout=7)
    await other.chat.completions.create(model=MODEL, messages=MSGS)
    assert server.requests[-1].header("x-team") == "blue"
    await other.aclose()  # does not close the shared pool
    await client.chat.completions.create(model=MODEL, messages=MSGS)


async def test_key_not_logged(
    server: GroqTestServer, client: AsyncGroq, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.push(ErrorReply(status=401, message="Invalid API Key", code="invalid_api_key"))
    with pytest.raises(g.AuthenticationError) as info:
        await client.chat.completions.create(model=MODEL, messages=MSGS)
    text = caplog.text + "".join(traceback.format_exception(info.value)) + repr(client)
    assert TEST_KEY not in text


@pytest.mark.parametrize("http2", [False, True])
async def test_tls(server_ssl_context: ssl.SSLContext, ca: trustme.CA, http2: bool) -> None:
    # a caller's context is used as given (never changed): its ALPN list picks the protocol
    client_ssl_context = ssl.create_default_context()
    ca.configure_trust(client_ssl_context)
    client_ssl_context.set_alpn_protocols(["h2", "http/1.1"] if http2 else ["http/1.1"])
    async with GroqTestServer(ssl_context=server_ssl_context, http2=True) as srv:
        url = srv.base_url.replace("127.0.0.1", "localhost")
        async with AsyncGroq(
            api_key=TEST_KEY, base_url=url, verify=client_ssl_context, http2=http2
        ) as client:
            c = await client.chat.completions.create(model=MODEL, messages=MSGS)
            assert c.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
            stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
            async with stream:
                text = "".join(
                    [ch.choices[0].delta.content or "" async for ch in stream if ch.choices]
                )
            assert text == stream.get_final_completion().choices[0].message.content
            assert stream.http_version == ("HTTP/2" if http2 else "HTTP/1.1")


async def test_tls_untrusted_certificate_fails(server_ssl_context: ssl.SSLContext) -> None:
    async with GroqTestServer(ssl_context=server_ssl_context) as srv:
        async with AsyncGroq(api_key=TEST_KEY, base_url=srv.base_url, max_retries=0) as client:
            with pytest.raises(g.APIConnectionError):
                await client.chat.completions.create(model=MODEL, messages=MSGS)


def test_tls_context_rules(client_ssl_context: ssl.SSLContext) -> None:
    client = AsyncGroq(api_key=TEST_KEY, http2=True)
    ctx = client._transport.ssl_context
    assert ctx is not None
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    with pytest.raises(ValueError, match="verify"):
        AsyncGroq(api_key=TEST_KEY, verify=insecure)
