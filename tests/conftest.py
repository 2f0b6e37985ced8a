"""Shared fixtures: every async test runs on asyncio and on trio (anyio's pytest plugin).

``GROQ_ANYIO_TEST_LOOP=uvloop`` runs the asyncio side on uvloop's loop (a CI step does, for the
transport-facing tests).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# No per-example deadline for hypothesis (its default is 200 ms): the machine the suite runs on is
# shared and noisy, and a first example can pay a lazy import, so a deadline fails tests that are
# right (hypothesis then reports them as Flaky). No test here asserts how long something took;
# speed is the benchmarks' business (bench/), and hangs stay bounded by each test's fail_after.
settings.register_profile("groq_anyio", deadline=None)
settings.load_profile("groq_anyio")


def _asyncio_options() -> dict[str, object]:
    if os.environ.get("GROQ_ANYIO_TEST_LOOP") == "uvloop":
        import uvloop

        return {"loop_factory": uvloop.new_event_loop}
    return {}


@pytest.fixture(
    params=[
        pytest.param(("asyncio", _asyncio_options()), id="asyncio"),
        pytest.param(("trio", {}), id="trio"),
    ]
)
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, object]]:
    return request.param  # type: ignore[no-any-return]


# -- servers and clients over real sockets ---------------------------------------------------------

import ssl  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402

import trustme  # noqa: E402

from groq_anyio import AsyncGroq  # noqa: E402
from groq_anyio.testing import GroqTestServer  # noqa: E402

TEST_KEY = "gsk_test_0123456789abcdefSECRET"


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def server_ssl_context(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    return ctx


@pytest.fixture(scope="session")
def client_ssl_context(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


@pytest.fixture
async def server(anyio_backend: object) -> AsyncIterator[GroqTestServer]:
    async with GroqTestServer() as srv:
        yield srv


@pytest.fixture
async def client(server: GroqTestServer) -> AsyncIterator[AsyncGroq]:
    async with AsyncGroq(api_key=TEST_KEY, base_url=server.base_url, max_retries=0) as c:
        yield c


#: the trio backend's read-timeout watchdog: one system task per trio run while HTTP/1.1 reads
#: are within their timeout (``groq_anyio._transport._backends._trio``), no call's own task
WATCHDOG_TASK = "groq_anyio read timeouts"


def running_tasks() -> int:
    """The running event loop's tasks, the trio backend's watchdog left out (what a leak
    check counts)."""
    import anyio

    return sum(1 for task in anyio.get_running_tasks() if task.name != WATCHDOG_TASK)
