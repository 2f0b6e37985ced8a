"""Rate-limit headers: the Go duration parser, the snapshot, and waiting before sending."""

from __future__ import annotations

import math

import anyio
import pytest
from anyio import wait_all_tasks_blocked
from hypothesis import given, settings
from hypothesis import strategies as st

import groq_anyio as g
from groq_anyio import AsyncGroq, RateLimitSnapshot
from groq_anyio._ratelimit import (
    RateLimitTracker,
    parse_go_duration,
    parse_rate_limits,
    parse_raw_rate_limits,
)
from groq_anyio.testing import ChatScript, ErrorReply, FakeClock, GroqTestServer
from groq_anyio.testing._groq import go_duration

from .conftest import TEST_KEY

pytestmark = pytest.mark.anyio

MSGS = [{"role": "user", "content": "Hi"}]
MODEL = "llama-3.3-70b-versatile"


# -- Go durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2m59.56s", 179.56),
        ("7.66s", 7.66),
        ("547ms", 0.547),
        ("1h2m3s", 3723.0),
        ("250us", 250e-6),
        ("250µs", 250e-6),  # micro sign
        ("250μs", 250e-6),  # Greek mu
        ("12ns", 12e-9),
        ("0", 0.0),
        ("0s", 0.0),
        ("-1.5h", -5400.0),
        ("+3s", 3.0),
        ("1.s", 1.0),
        (".5s", 0.5),
        ("1h0.5m", 3630.0),
        ("2m", 120.0),
        ("1ms500us", 0.0015),
    ],
)
def test_go_durations(text: str, seconds: float) -> None:
    value = parse_go_duration(text)
    assert value is not None and math.isclose(value, seconds, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize(
    "text",
    ["", "s", "1", "12", "-", ".s", "1x", "1 s", " 1s", "1s ", "1mss", "1hm", "1.5.5s", "ms", "1S"],
)
def test_not_go_durations(text: str) -> None:
    assert parse_go_duration(text) is None


@settings(max_examples=300)
@given(st.floats(min_value=0, max_value=10 * 86400, allow_nan=False, allow_infinity=False))
def test_go_duration_round_trips_the_servers_formatter(seconds: float) -> None:
    # the local server formats like Go's Duration.String(): ms below 1 s, else h/m/s
    text = go_duration(seconds)
    value = parse_go_duration(text)
    assert value is not None
    assert math.isclose(value, seconds, rel_tol=1e-6, abs_tol=1e-3)


_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 10_000),
            st.one_of(st.none(), st.integers(0, 999_999)),
            st.sampled_from(list(_UNITS)),
        ),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["", "+", "-"]),
)
def test_go_duration_components_add_up(parts: list[tuple[int, int | None, str]], sign: str) -> None:
    text = sign + "".join(
        f"{whole}{'' if frac is None else f'.{frac:06d}'}{unit}" for whole, frac, unit in parts
    )
    expected = sum(
        (whole + (0 if frac is None else frac / 1e6)) * _UNITS[unit] for whole, frac, unit in parts
    )
    value = parse_go_duration(text)
    assert value is not None
    # (Go truncates each component to whole nanoseconds)
    assert math.isclose(value, -expected if sign == "-" else expected, rel_tol=1e-9, abs_tol=5e-9)


@settings(max_examples=300)
@given(st.text(max_size=30))
def test_go_duration_never_raises(text: str) -> None:
    value = parse_go_duration(text)
    assert value is None or math.isfinite(value)


# -- the snapshot ---------------------------------------------------------------------------------

GROQ_HEADERS = [
    (b"x-ratelimit-limit-requests", b"14400"),
    (b"x-ratelimit-limit-tokens", b"18000"),
    (b"x-ratelimit-remaining-requests", b"14370"),
    (b"x-ratelimit-remaining-tokens", b"17997"),
    (b"x-ratelimit-reset-requests", b"2m59.56s"),
    (b"x-ratelimit-reset-tokens", b"7.66s"),
]


def test_raw_snapshot() -> None:
    snap = parse_raw_rate_limits([(b"content-type", b"application/json"), *GROQ_HEADERS], 100.0)
    assert snap == RateLimitSnapshot(
        limit_requests=14400,
        limit_tokens=18000,
        remaining_requests=14370,
        remaining_tokens=17997,
        reset_requests=100.0 + 179.56,
        reset_tokens=100.0 + 7.66,
        reset_requests_raw="2m59.56s",
        reset_tokens_raw="7.66s",
        updated_at=100.0,
    )
    assert snap.requests_reset_in(200.0) == pytest.approx(79.56)
    assert snap.tokens_reset_in(200.0) == 0.0
    assert parse_raw_rate_limits([(b"content-type", b"text/plain")]) is None


def test_header_names_in_any_case_and_mapping_form() -> None:
    mixed = [(k.title(), v) for k, v in GROQ_HEADERS]
    snap = parse_raw_rate_limits(mixed, 5.0)
    assert snap is not None and snap.remaining_tokens == 17997 and snap.reset_tokens == 12.66
    mapping = {k.decode(): v.decode() for k, v in GROQ_HEADERS}
    assert parse_rate_limits(mapping, 5.0) == parse_raw_rate_limits(GROQ_HEADERS, 5.0)
    title = {k.title(): v for k, v in mapping.items()}
    assert parse_rate_limits(title, 5.0) == parse_raw_rate_limits(GROQ_HEADERS, 5.0)
    assert parse_rate_limits({"content-type": "x"}) is None


def test_malformed_values_leave_fields_empty() -> None:
    snap = parse_raw_rate_limits(
        [
            (b"x-ratelimit-limit-requests", b"lots"),
            (b"x-ratelimit-remaining-requests", b"-3"),
            (b"x-ratelimit-limit-tokens", b"18000.0"),
            (b"x-ratelimit-remaining-tokens", b"1e3"),
            (b"x-ratelimit-reset-requests", b"soon"),
            (b"x-ratelimit-reset-tokens", b"30"),  # a bare number: seconds, leniently
        ],
        0.0,
    )
    assert snap is not None
    assert snap.limit_requests is None and snap.remaining_requests is None
    assert snap.limit_tokens == 18000 and snap.remaining_tokens == 1000
    assert snap.reset_requests is None and snap.reset_requests_raw == "soon"
    assert snap.reset_tokens == 30.0


_header_value = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=20,
)


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from([k for k, _ in GROQ_HEADERS]), _header_value)))
def test_any_header_values_parse_without_raising(headers: list[tuple[bytes, str]]) -> None:
    raw = [(k, v.encode("latin-1")) for k, v in headers]
    snap = parse_raw_rate_limits(raw, 0.0)
    assert (snap is None) == (not headers)
    tracker = RateLimitTracker(throttle=0.5)
    tracker.observe(raw, 0.0)
    wait, _ = tracker.delay(0.0)
    assert wait >= 0.0 and math.isfinite(wait)
    assert tracker.spacing(0.0) >= 0.0


def test_malformed_headers_never_break_a_request() -> None:
    """Hypothesis drives real requests through the local server with mangled headers."""

    @settings(max_examples=25, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.sampled_from([k.decode() for k, _ in GROQ_HEADERS]),
                _header_value.map(str.strip).filter(bool),
            ),
            max_size=6,
        ),
        st.sampled_from(["asyncio", "trio"]),
    )
    def check(headers: list[tuple[str, str]], backend: str) -> None:
        async def main() -> None:
            async with GroqTestServer() as server:
                server.push(ChatScript(text="fine", headers=dict(headers)))
                async with AsyncGroq(
                    api_key=TEST_KEY, base_url=server.base_url, max_retries=0, timeout=5
                ) as client:
                    with anyio.fail_after(5):
                        c = await client.chat.completions.create(model=MODEL, messages=MSGS)
                    assert c.choices[0].message.content == "fine"
                    assert client.rate_limits is not None
                    # and the next request is not held back by nonsense (no wait longer than 5 s)
                    with anyio.fail_after(5):
                        try:
                            await client.chat.completions.create(model=MODEL, messages=MSGS)
                        except g.RateLimitError as exc:  # a mangled "remaining: 0" is honoured
                            assert exc.attempts == 0 and exc.retry_after is not None

        anyio.run(main, backend=backend)

    check()


# -- against the server ---------------------------------------------------------------------------


def _limited(remaining: int, reset: str, tokens_left: int = 5000) -> ChatScript:
    return ChatScript(
        text="ok",
        headers={
            "x-ratelimit-remaining-requests": str(remaining),
            "x-ratelimit-reset-requests": reset,
            "x-ratelimit-remaining-tokens": str(tokens_left),
            "x-ratelimit-reset-tokens": "1.5s",
        },
    )


async def test_snapshot_is_readable_on_the_client(server: GroqTestServer) -> None:
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url) as client:
        clock = client._clock = FakeClock(start=50.0)
        assert client.rate_limits is None
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        snap = client.rate_limits
        assert snap is not None
        assert snap.limit_requests == 14400 and snap.limit_tokens == 300000
        assert snap.remaining_requests is not None and snap.remaining_requests < 14400
        assert snap.updated_at == 50.0 and snap.reset_requests is not None
        assert snap.reset_requests >= 50.0 and snap.reset_requests_raw
        assert clock.sleeps == []
        # with_options copies share the tracker
        assert client.with_options(timeout=5).rate_limits is snap


async def test_exhausted_requests_wait_for_the_reset(server: GroqTestServer) -> None:
    # waits up to 5 minutes are allowed (the default is 60 s), within a 10-minute deadline
    async with AsyncGroq(
        api_key=TEST_KEY,
        base_url=server.base_url,
        retry=g.RetryPolicy(max_retry_after=300),
        timeout=600,
    ) as client:
        clock = client._clock = FakeClock()
        server.push(_limited(0, "2m59.56s"))
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert clock.sleeps == []
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert clock.sleeps == [pytest.approx(179.56)]
        assert server.request_count == 2
        # the reset passed and the last answer had requests left: no more waiting
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert len(clock.sleeps) == 1


async def test_exhausted_tokens_wait_for_the_token_reset(server: GroqTestServer) -> None:
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url) as client:
        clock = client._clock = FakeClock()
        server.push(_limited(10, "1m", tokens_left=0))
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert clock.sleeps == [pytest.approx(1.5)]


async def test_wait_beyond_the_limit_raises_without_sending(server: GroqTestServer) -> None:
    async with AsyncGroq(
        api_key=TEST_KEY, base_url=server.base_url, retry=g.RetryPolicy(max_retry_after=30)
    ) as client:
        clock = client._clock = FakeClock()
        server.push(_limited(0, "1h"))
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        with pytest.raises(g.RateLimitError) as info:
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        err = info.value
        assert err.attempts == 0 and err.retry_after == pytest.approx(3600)
        assert err.status_code == 429 and err.type == "requests"
        assert server.request_count == 1 and clock.sleeps == []
        # with the wait switched off, the request goes out (and the server decides)
        other = AsyncGroq(
            api_key=TEST_KEY, base_url=server.base_url, rate_limit_wait=False, max_retries=0
        )
        async with other:
            other._state.limits.observe([(b"x-ratelimit-remaining-requests", b"0")], 0.0)
            await other.chat.completions.create(model=MODEL, messages=MSGS)
        assert server.request_count == 2


async def test_wait_beyond_the_deadline_raises_at_once(server: GroqTestServer) -> None:
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, timeout=10) as client:
        client._clock = FakeClock()
        server.push(_limited(0, "45s"))
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        with anyio.fail_after(2), pytest.raises(g.RateLimitError) as info:
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert info.value.retry_after == pytest.approx(45) and "deadline" in info.value.message


async def test_waiters_queue_fairly() -> None:
    """Waiters leave the queue in arrival order; a cancelled one just leaves it."""
    from groq_anyio._clock import Clock

    tracker = RateLimitTracker()
    clock = Clock()
    tracker.observe(
        [(b"x-ratelimit-remaining-requests", b"0"), (b"x-ratelimit-reset-requests", b"200ms")],
        clock.now(),
    )
    order: list[int] = []

    async def waiter(i: int) -> None:
        await tracker.wait(clock, 60.0)
        order.append(i)

    async with anyio.create_task_group() as tg:
        for i in range(6):
            if i == 3:
                cancelled = anyio.CancelScope()

                async def doomed(scope: anyio.CancelScope = cancelled) -> None:
                    with scope:
                        await waiter(99)

                tg.start_soon(doomed)
            else:
                tg.start_soon(waiter, i)
            await wait_all_tasks_blocked()  # each is in the queue before the next arrives
        cancelled.cancel()
    assert order == [0, 1, 2, 4, 5]
    assert not tracker.gated


async def test_waiting_calls_cancel_cleanly(server: GroqTestServer) -> None:
    """Real time: calls queued behind an exhausted limit, one cancelled, the rest sent."""
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, timeout=10) as client:
        server.push(_limited(0, "300ms"))
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        started = anyio.current_time()
        done: list[float] = []

        async def call(i: int) -> None:
            c = await client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": f"n{i}"}]
            )
            assert c.choices[0].message.content
            done.append(anyio.current_time() - started)

        async with anyio.create_task_group() as tg:
            for i in range(5):
                tg.start_soon(call, i)
            with anyio.move_on_after(0.05) as scope:
                await call(99)  # cancelled while queued
            assert scope.cancelled_caught
        assert len(done) == 5 and min(done) >= 0.25
        sent = sorted(r.json()["messages"][0]["content"] for r in server.requests[1:])
        assert sent == [f"n{i}" for i in range(5)]  # the cancelled one never went out
        assert client.pool_stats().in_flight == 0


async def test_a_429_holds_back_other_new_calls(server: GroqTestServer) -> None:
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, max_retries=1) as client:
        clock = client._clock = FakeClock()
        server.push(ErrorReply(429, headers={"retry-after": "4"}))
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert clock.sleeps == [4.0]  # the retry's wait; the tracker's block had passed by then
        clock.sleeps.clear()
        # a 429 that is not retried still makes the next call wait for its retry-after
        server.push(ErrorReply(429, headers={"retry-after": "6"}))
        with pytest.raises(g.RateLimitError) as info:
            await client.chat.completions.create(model=MODEL, messages=MSGS, max_retries=0)
        assert info.value.attempts == 1 and info.value.retry_after == 6.0
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert clock.sleeps == [6.0]
        # one asking for more than max_retry_after (60 s): the next call fails fast, unsent
        server.push(ErrorReply(429, headers={"retry-after": "600"}))
        with pytest.raises(g.RateLimitError):
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        sent = server.request_count
        with pytest.raises(g.RateLimitError) as info:
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert info.value.attempts == 0 and info.value.retry_after == pytest.approx(600)
        assert server.request_count == sent


async def test_throttling_spaces_calls_below_the_fraction(server: GroqTestServer) -> None:
    async with AsyncGroq(
        api_key=TEST_KEY, base_url=server.base_url, rate_limit_throttle=0.1
    ) as client:
        clock = client._clock = FakeClock()
        # 5 of 100 requests left for 10 s: one call every 2 s
        headers = {
            "x-ratelimit-limit-requests": "100",
            "x-ratelimit-remaining-requests": "5",
            "x-ratelimit-reset-requests": "10s",
        }
        server.default = ChatScript(text="ok", headers=headers)
        for _ in range(4):
            await client.chat.completions.create(model=MODEL, messages=MSGS)
        # the first response set the pace; each later call waits its slot
        assert clock.sleeps == [pytest.approx(2.0)] * 2
        assert client._state.limits.gated
        # plenty left: calls go straight through again
        server.default = ChatScript(text="ok")
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        assert not client._state.limits.gated


def test_tracker_unit() -> None:
    tracker = RateLimitTracker()
    assert not tracker.gated and tracker.delay(0.0) == (0.0, "")
    tracker.observe(
        [(b"x-ratelimit-remaining-requests", b"0"), (b"x-ratelimit-reset-requests", b"3s")], 10.0
    )
    assert tracker.gated and tracker.delay(10.0) == (3.0, "requests")
    assert tracker.delay(14.0) == (0.0, "")
    tracker.block(20.0)
    assert tracker.delay(12.0) == (8.0, "retry-after")
