"""The request pipeline: retries and backoff, the circuit breaker, deadlines, closing, limits.

Waits are observed on a :class:`FakeClock` (``client._clock``): "waited 30 s" takes no time.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from types import FrameType
from typing import Any

import anyio
import pytest

import groq_anyio as g
from groq_anyio import AsyncGroq, CircuitBreakerConfig, CircuitState, RetryPolicy
from groq_anyio._resilience import CircuitBreaker, backoff_delay, rate_limit_reset_after
from groq_anyio.testing import ChatScript, ErrorReply, FakeClock, GroqTestServer, Stall

from .conftest import TEST_KEY

pytestmark = pytest.mark.anyio

MSGS = [{"role": "user", "content": "Hi"}]
MODEL = "llama-3.3-70b-versatile"
NO_JITTER = RetryPolicy(jitter=0.0)


def make(server: GroqTestServer, **kw: Any) -> tuple[AsyncGroq, FakeClock]:
    kw.setdefault("retry", NO_JITTER)
    client = AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, **kw)
    clock = client._clock = FakeClock()
    return client, clock


async def chat(client: AsyncGroq, **kw: Any) -> g.types.chat.ChatCompletion:
    return await client.chat.completions.create(model=MODEL, messages=MSGS, **kw)


# -- backoff --------------------------------------------------------------------------------------


def test_backoff_doubles_and_caps() -> None:
    policy = RetryPolicy(initial_delay=0.5, multiplier=2.0, max_delay=8.0, jitter=0.0)
    assert [backoff_delay(policy, i) for i in range(7)] == [0.5, 1, 2, 4, 8, 8, 8]
    assert backoff_delay(policy, 10_000) == 8.0  # no overflow
    jittery = RetryPolicy(initial_delay=1.0, jitter=0.25)
    random.seed(7)
    for _ in range(200):
        assert 0.75 <= backoff_delay(jittery, 0) <= 1.0


@pytest.mark.parametrize(
    ("kw", "param"),
    [
        ({"initial_delay": -1}, "retry.initial_delay"),
        ({"multiplier": 0.5}, "retry.multiplier"),
        ({"jitter": 1.5}, "retry.jitter"),
        ({"max_delay": float("nan")}, "retry.max_delay"),
        ({"max_retry_after": True}, "retry.max_retry_after"),
    ],
)
def test_bad_retry_policy(kw: dict[str, Any], param: str) -> None:
    with pytest.raises(g.InvalidParameterError) as info:
        RetryPolicy(**kw)
    assert info.value.param == param


@pytest.mark.parametrize(
    ("kw", "param"),
    [
        ({"circuit_breaker": "yes"}, "circuit_breaker"),
        ({"retry": 3}, "retry"),
        ({"rate_limit_throttle": 1.0}, "rate_limit_throttle"),
        ({"max_concurrent_requests": 0}, "max_concurrent_requests"),
        ({"max_open_streams": -1}, "max_open_streams"),
        ({"stream_idle_timeout": 0}, "stream_idle_timeout"),
        ({"stream_first_chunk_timeout": "1"}, "stream_first_chunk_timeout"),
    ],
)
def test_bad_client_settings(kw: dict[str, Any], param: str) -> None:
    with pytest.raises(g.InvalidParameterError) as info:
        AsyncGroq(api_key=TEST_KEY, **kw)
    assert info.value.param == param
    with pytest.raises(g.InvalidParameterError):
        CircuitBreakerConfig(failure_threshold=0)


def test_reset_header_matching_for_429() -> None:
    from groq_anyio._ratelimit import parse_raw_rate_limits

    snap = parse_raw_rate_limits(
        [
            (b"x-ratelimit-remaining-requests", b"3"),
            (b"x-ratelimit-remaining-tokens", b"0"),
            (b"x-ratelimit-reset-requests", b"40s"),
            (b"x-ratelimit-reset-tokens", b"7.66s"),
        ],
        0.0,
    )
    assert rate_limit_reset_after("requests", "", snap, 0.0) == 40.0
    assert rate_limit_reset_after("tokens", "", snap, 0.0) == pytest.approx(7.66)
    assert rate_limit_reset_after(None, "", snap, 0.0) == pytest.approx(7.66)  # tokens ran out
    groq_text = "Rate limit reached ... on tokens per minute (TPM). Please try again in 1m2.5s."
    assert rate_limit_reset_after(None, groq_text, None, 0.0) == 62.5
    assert rate_limit_reset_after(None, "slow down", None, 0.0) is None


# -- retries --------------------------------------------------------------------------------------


async def test_default_two_retries_with_exponential_backoff(server: GroqTestServer) -> None:
    client, clock = make(server)
    async with client:
        server.push(*[ErrorReply(503)] * 3)
        with pytest.raises(g.ServiceUnavailableError) as info:
            await chat(client)
    assert info.value.attempts == 3 and server.request_count == 3
    assert clock.sleeps == [0.5, 1.0]


async def test_retry_after_variants_are_honoured(server: GroqTestServer) -> None:
    client, clock = make(server, max_retries=4)
    async with client:
        server.push(
            ErrorReply(503, headers={"retry-after-ms": "1500", "retry-after": "9"}),
            ErrorReply(500, headers={"retry-after": "2"}),
            ErrorReply(502, headers={"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}),
            ErrorReply(
                429,
                type="tokens",
                headers={"x-ratelimit-reset-tokens": "7.66s", "x-ratelimit-remaining-tokens": "0"},
            ),
            ChatScript(text="done"),
        )
        c = await chat(client)
    assert c.choices[0].message.content == "done" and c.timings is not None
    assert c.timings.attempts == 5
    # ms wins over seconds; a past HTTP date means now; a 429 without retry-after uses its reset
    assert clock.sleeps == [1.5, 2.0, 0.0, pytest.approx(7.66)]


async def test_x_should_retry(server: GroqTestServer) -> None:
    client, _ = make(server)
    async with client:
        server.push(ErrorReply(400, headers={"x-should-retry": "true"}), ChatScript())
        assert (await chat(client)).timings.attempts == 2  # type: ignore[union-attr]
        server.push(ErrorReply(503, headers={"x-should-retry": "false"}))
        with pytest.raises(g.ServiceUnavailableError) as info:
            await chat(client)
        assert info.value.attempts == 1


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, None, g.BadRequestError),
        (401, None, g.AuthenticationError),
        (403, None, g.PermissionDeniedError),
        (404, None, g.NotFoundError),
        (413, None, g.RequestTooLargeError),
        (422, None, g.UnprocessableEntityError),
        (400, "context_length_exceeded", g.ContextLengthExceededError),
        (400, "content_filter", g.ContentFilterError),
    ],
)
async def test_non_retryable_errors_are_raised_at_once(
    server: GroqTestServer, status: int, code: str | None, cls: type[g.APIStatusError]
) -> None:
    client, clock = make(server, max_retries=5)
    async with client:
        server.push(ErrorReply(status, code=code))
        with pytest.raises(cls) as info:
            await chat(client)
    assert info.value.attempts == 1 and server.request_count == 1 and clock.sleeps == []


@pytest.mark.parametrize("status", [408, 409, 429, 498, 500, 502, 503, 504])
async def test_retryable_statuses(server: GroqTestServer, status: int) -> None:
    client, clock = make(server)
    async with client:
        server.push(ErrorReply(status), ChatScript(text="ok"))
        c = await chat(client)
    assert c.timings is not None and c.timings.attempts == 2 and len(clock.sleeps) == 1


async def test_retries_per_call_and_with_options(server: GroqTestServer) -> None:
    client, clock = make(server, max_retries=0)
    async with client:
        server.push(ErrorReply(500))
        with pytest.raises(g.InternalServerError):
            await chat(client)
        server.push(ErrorReply(500), ErrorReply(500), ChatScript())
        assert (await chat(client, max_retries=2)).timings.attempts == 3  # type: ignore[union-attr]
        slow = client.with_options(
            max_retries=1, retry=RetryPolicy(initial_delay=3, jitter=0, max_delay=30)
        )
        assert slow.max_retries == 1 and slow.retry.initial_delay == 3
        clock.sleeps.clear()
        server.push(ErrorReply(500), ChatScript())
        await chat(slow)
        assert clock.sleeps == [3.0]
        with pytest.raises(g.InvalidParameterError):
            await chat(client, max_retries=-1)


async def test_long_retry_after_raises_at_once(server: GroqTestServer) -> None:
    client, clock = make(server, retry=RetryPolicy(max_retry_after=10, jitter=0))
    async with client:
        server.push(ErrorReply(429, headers={"retry-after": "11"}))
        with pytest.raises(g.RateLimitError) as info:
            await chat(client)
        assert info.value.retry_after == 11.0 and info.value.attempts == 1
        clock.advance(11)  # the 429 held back new calls for 11 s
        server.push(ErrorReply(503, headers={"retry-after": "30"}))
        with pytest.raises(g.ServiceUnavailableError) as info2:
            await chat(client)
        assert info2.value.retry_after == 30.0 and info2.value.attempts == 1
    assert clock.sleeps == []


async def test_not_replayable_bodies_are_not_retried(server: GroqTestServer) -> None:
    client, _ = make(server)
    async with client:
        server.push(ErrorReply(503), ChatScript())

        async def body() -> Any:
            yield b'{"model": "m", "messages": []}'

        from groq_anyio._timings import start_timings

        with pytest.raises(g.ServiceUnavailableError) as info:
            await client._send(
                b"POST",
                "/chat/completions",
                body(),
                options=client._options,
                timings=start_timings(),
                replayable=False,
            )
        assert info.value.attempts == 1


# -- deadlines and cancellation -------------------------------------------------------------------


async def test_deadline_covers_retries_and_waits(server: GroqTestServer) -> None:
    """Real time: 503s with 0.2 s retry-after under a 0.5 s deadline."""
    async with AsyncGroq(
        api_key=TEST_KEY, base_url=server.base_url, max_retries=10, timeout=0.5
    ) as client:
        server.default = ErrorReply(503, headers={"retry-after-ms": "200"})
        start = anyio.current_time()
        with pytest.raises(g.ServiceUnavailableError) as info:
            await chat(client)
        elapsed = anyio.current_time() - start
        # the third wait would pass the deadline: the 503 is raised then, not a timeout later
        assert info.value.attempts == 3 and 0.35 < elapsed < 0.5
        server.default = Stall(seconds=5)
        with pytest.raises(g.APITimeoutError) as info2:
            await chat(client)
        assert info2.value.attempts == 1
        assert client.pool_stats().in_flight == 0


async def test_outer_cancel_wins_over_retries(server: GroqTestServer) -> None:
    async with AsyncGroq(
        api_key=TEST_KEY, base_url=server.base_url, max_retries=5, timeout=30
    ) as client:
        server.default = ErrorReply(503, headers={"retry-after": "10"})
        with anyio.move_on_after(0.3) as scope:
            await chat(client)
        assert scope.cancelled_caught and server.request_count == 1
        breaker = client.circuit_breaker
        assert breaker is not None and breaker.consecutive_failures == 1
        server.default = Stall(seconds=5)
        with anyio.move_on_after(0.2) as scope:
            await chat(client)
        assert scope.cancelled_caught  # not an APITimeoutError, not retried, not a failure
        assert breaker.consecutive_failures == 1 and server.request_count == 2
        assert client.pool_stats().in_flight == 0


async def test_closing_the_client_cancels_calls_in_flight(server: GroqTestServer) -> None:
    client = AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, timeout=30)
    server.push(Stall(seconds=10), ErrorReply(503, headers={"retry-after": "20"}))
    errors: list[BaseException] = []

    async def call() -> None:
        try:
            await chat(client)
        except g.ClientClosedError as exc:
            errors.append(exc)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)  # stalled waiting for headers
            tg.start_soon(call)  # waiting 20 s to retry
            await anyio.wait_all_tasks_blocked()
            while server.request_count < 2:
                await anyio.sleep(0.01)
            await anyio.sleep(0.05)
            await client.aclose()
    assert len(errors) == 2 and client.is_closed
    assert client.pool_stats().connections == 0 and not client._state.scopes
    with pytest.raises(g.ClientClosedError):
        await chat(client)


# -- the circuit breaker --------------------------------------------------------------------------


async def test_breaker_opens_fails_fast_half_opens_and_closes(server: GroqTestServer) -> None:
    client, clock = make(
        server,
        max_retries=0,
        circuit_breaker=CircuitBreakerConfig(
            failure_threshold=3, reset_timeout=30, success_threshold=2
        ),
    )
    breaker = client.circuit_breaker
    assert breaker is not None and breaker.state is CircuitState.CLOSED
    async with client:
        server.push(ErrorReply(503), ErrorReply(400), ErrorReply(503), ErrorReply(502))
        for _ in range(4):
            with pytest.raises(g.APIStatusError):
                await chat(client)
        assert breaker.consecutive_failures == 2  # the 400 reset the count
        server.push(ErrorReply(500))
        with pytest.raises(g.InternalServerError):
            await chat(client)
        assert breaker.state is CircuitState.OPEN and breaker.opened_at == clock.now()
        # open: fail fast without sending
        sent = server.request_count
        clock.advance(10)
        with pytest.raises(g.CircuitOpenError) as info:
            await chat(client)
        assert info.value.retry_after == pytest.approx(20) and info.value.attempts == 0
        assert info.value.failures == 3 and server.request_count == sent
        assert not info.value.retryable and isinstance(info.value, g.APIError)
        # half-open after the reset timeout: a failed probe opens it again
        clock.advance(20)
        assert breaker.state is CircuitState.HALF_OPEN
        server.push(ErrorReply(503))
        with pytest.raises(g.ServiceUnavailableError):
            await chat(client)
        assert breaker.state is CircuitState.OPEN
        clock.advance(30)
        # two successful probes close it
        await chat(client)
        assert breaker.state is CircuitState.HALF_OPEN
        await chat(client)
        assert breaker.state is CircuitState.CLOSED and breaker.consecutive_failures == 0


async def test_breaker_stops_a_retry_loop(server: GroqTestServer) -> None:
    client, clock = make(
        server, max_retries=10, circuit_breaker=CircuitBreakerConfig(failure_threshold=4)
    )
    async with client:
        server.default = ErrorReply(503)
        with pytest.raises(g.CircuitOpenError) as info:
            await chat(client)
    # the 4th failure opened the circuit: no more waiting, the breaker's error says why
    assert info.value.attempts == 4 and server.request_count == 4
    assert isinstance(info.value.__cause__, g.ServiceUnavailableError)
    assert clock.sleeps == [0.5, 1.0, 2.0]


async def test_breaker_half_open_probe_limit_and_sharing(server: GroqTestServer) -> None:
    client, clock = make(
        server,
        max_retries=0,
        circuit_breaker=CircuitBreakerConfig(failure_threshold=1, half_open_max_probes=1),
    )
    async with client:
        server.push(ErrorReply(500))
        with pytest.raises(g.InternalServerError):
            await chat(client)
        clock.advance(30)
        other = client.with_options(timeout=9)
        assert other.circuit_breaker is client.circuit_breaker
        server.push(Stall(seconds=0.3))
        async with anyio.create_task_group() as tg:
            tg.start_soon(chat, client)  # the probe
            await anyio.wait_all_tasks_blocked()
            while server.active_requests == 0:
                await anyio.sleep(0.01)
            with pytest.raises(g.CircuitOpenError) as info:
                await chat(other)  # a second probe is not let through
            assert info.value.state == "half_open" and info.value.retry_after == 0
        breaker = client.circuit_breaker
        assert breaker is not None and breaker.state is CircuitState.HALF_OPEN


async def test_breaker_ignores_429_and_cancelled_probes(server: GroqTestServer) -> None:
    client, clock = make(
        server, max_retries=0, circuit_breaker=CircuitBreakerConfig(failure_threshold=1)
    )
    async with client:
        server.push(ErrorReply(429))
        with pytest.raises(g.RateLimitError):
            await chat(client)
        breaker = client.circuit_breaker
        assert breaker is not None and breaker.state is CircuitState.CLOSED
        server.push(ErrorReply(500))
        with pytest.raises(g.InternalServerError):
            await chat(client)
        clock.advance(31)
        server.push(Stall(seconds=5))
        with anyio.move_on_after(0.2):
            await chat(client)  # the probe is cancelled: its place is freed, nothing counted
        assert breaker.state is CircuitState.HALF_OPEN
        await chat(client)  # a new probe goes through
        breaker.reset()
        assert breaker.state is CircuitState.CLOSED


async def test_breaker_can_be_disabled(server: GroqTestServer) -> None:
    client, _ = make(server, max_retries=0, circuit_breaker=None)
    async with client:
        assert client.circuit_breaker is None
        server.push(*[ErrorReply(503)] * 20)
        for _ in range(20):
            with pytest.raises(g.ServiceUnavailableError):
                await chat(client)


def test_breaker_ignores_outcomes_from_an_earlier_state() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(CircuitBreakerConfig(failure_threshold=2), clock)
    slow = breaker.admit()  # admitted while closed, ends after the circuit opened
    breaker.record(breaker.admit(), True)
    breaker.record(breaker.admit(), True)
    assert breaker.state is CircuitState.OPEN
    breaker.record(slow, False)
    assert breaker.state is CircuitState.OPEN
    assert "open" in repr(breaker)


# -- concurrency limits ---------------------------------------------------------------------------


async def test_max_concurrent_requests(server: GroqTestServer) -> None:
    peak = 0

    def counting(request: Any) -> ChatScript:
        nonlocal peak
        peak = max(peak, server.active_requests + 1)
        return ChatScript(first_chunk_delay=0.02)

    server.default = counting
    async with AsyncGroq(
        api_key=TEST_KEY, base_url=server.base_url, max_concurrent_requests=3
    ) as client:
        async with anyio.create_task_group() as tg:
            for _ in range(12):
                tg.start_soon(chat, client)
        assert peak == 3 and server.request_count == 12


async def test_max_open_streams(server: GroqTestServer) -> None:
    async with AsyncGroq(
        api_key=TEST_KEY, base_url=server.base_url, max_open_streams=2, timeout=5
    ) as client:
        s1 = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        s2 = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        with anyio.move_on_after(0.2) as scope:
            await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        assert scope.cancelled_caught and server.request_count == 2  # waited, never sent
        async with s1:
            async for _ in s1:
                pass
        s3 = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        await s2.aclose()  # closed early: its slot is freed too
        s4 = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        await s3.aclose()
        await s4.aclose()
        limiter = client._state.stream_limiter()
        assert limiter is not None and limiter.borrowed_tokens == 0
        # a stream that fails before it opens gives its slot back
        server.push(ErrorReply(400))
        with pytest.raises(g.BadRequestError):
            await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        assert limiter.borrowed_tokens == 0
        assert client.pool_stats().in_flight == 0


# -- the cost on the hot path ---------------------------------------------------------------------


async def test_pipeline_adds_few_calls_per_request(server: GroqTestServer) -> None:
    """The rate-limit parse, breaker and retry bookkeeping of a plain request stay cheap."""
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url) as client:
        for _ in range(3):
            await chat(client)
        ours: Counter[str] = Counter()
        mine = tuple(f"groq_anyio/{name}.py" for name in ("_pipeline", "_resilience", "_ratelimit"))

        def profile(frame: FrameType, event: str, arg: object) -> None:
            if event == "call" and frame.f_code.co_filename.endswith(mine):
                ours[frame.f_code.co_name] += 1

        runs = 10
        sys.setprofile(profile)
        try:
            for _ in range(runs):
                await chat(client)
        finally:
            sys.setprofile(None)
    per_request = sum(ours.values()) / runs
    # send_request and _attempt (entered, plus a resume per suspension), observe + _snapshot,
    # parse_go_duration_ns for reset values other than "7.66s" / "547ms"; nothing else
    assert per_request <= 12, ours
    assert set(ours) <= {
        "send_request",
        "_attempt",
        "observe",
        "_snapshot",
        "parse_go_duration_ns",
    }, ours
