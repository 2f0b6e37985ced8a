"""pytest fixtures for code that uses groq_anyio: a local Groq server, a client on it, a fake
clock, and recording real exchanges to replay later.

Installed with the package (entry point ``pytest11``: ``groq_anyio``); nothing happens unless a
test asks for a fixture by name (no autouse fixture, no hook that changes collection or runs).
The fixtures are async and run under anyio's pytest plugin, on whichever backends the
``anyio_backend`` fixture names (asyncio by default; parametrize it for trio too)::

    import pytest

    pytestmark = pytest.mark.anyio

    async def test_answer(groq_client, groq_server):
        groq_server.push(ChatScript("42"))
        reply = await groq_client.chat.completions.create(model=..., messages=...)
        assert reply.choices[0].message.content == "42"

Fixtures:

* ``groq_server``: a running :class:`~groq_anyio.testing.GroqTestServer` (checks requests as
  Groq does). Its arguments come from the ``groq_server`` marker:
  ``@pytest.mark.groq_server(api_key="gsk_x", models=None, replay="tests/recordings")``.
* ``groq_client``: an :class:`~groq_anyio.AsyncGroq` on ``groq_server`` (``max_retries=0``;
  more client arguments from the ``groq_client`` marker). If the test also uses
  ``groq_clock``, the client waits on it (retries and rate limits take no time).
* ``groq_clock``: a :class:`~groq_anyio.testing.FakeClock`, also the server's clock (batch
  timelines).
* Recording: ``pytest --groq-record=DIR`` points ``groq_client`` at the real API (``GROQ_API_KEY``
  from the environment, ``--groq-upstream`` to change the origin) through a
  :class:`~groq_anyio.testing.GroqRecorder` that writes each exchange to ``DIR/<test name>/``
  with the key redacted; replay them with ``@pytest.mark.groq_server(replay="DIR/<test name>")``.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from groq_anyio import AsyncGroq
    from groq_anyio.testing import FakeClock, GroqTestServer

__all__ = ["groq_client", "groq_clock", "groq_server"]

TEST_KEY = "gsk_groq_anyio_pytest_plugin_key"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("groq_anyio")
    group.addoption(
        "--groq-record",
        default=None,
        metavar="DIR",
        help="groq_client talks to the real Groq API and records each exchange under DIR",
    )
    group.addoption(
        "--groq-upstream",
        default="https://api.groq.com",
        help="the API origin --groq-record forwards to",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "groq_server(**kwargs): arguments of the groq_server fixture's GroqTestServer"
    )
    config.addinivalue_line(
        "markers", "groq_client(**kwargs): arguments of the groq_client fixture's AsyncGroq"
    )


def _marker_kwargs(request: pytest.FixtureRequest, name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mark in reversed(list(request.node.iter_markers(name))):  # closest marker wins
        out.update(mark.kwargs)
    return out


@pytest.fixture
def groq_clock() -> FakeClock:
    """A virtual clock (``advance(seconds)``, ``sleeps``) for the server and the client."""
    from groq_anyio.testing import FakeClock

    return FakeClock()


@pytest.fixture
async def groq_server(
    anyio_backend: Any, request: pytest.FixtureRequest
) -> AsyncIterator[GroqTestServer]:
    """A running local Groq server (arguments: the ``groq_server`` marker)."""
    from groq_anyio.testing import GroqTestServer

    kwargs = _marker_kwargs(request, "groq_server")
    if "groq_clock" in request.fixturenames and "clock" not in kwargs:
        kwargs["clock"] = request.getfixturevalue("groq_clock")
    async with GroqTestServer(**kwargs) as server:
        yield server


@pytest.fixture
async def groq_client(
    anyio_backend: Any, request: pytest.FixtureRequest, groq_server: GroqTestServer
) -> AsyncIterator[AsyncGroq]:
    """An ``AsyncGroq`` on ``groq_server`` (or on the real API with ``--groq-record``)."""
    from groq_anyio import AsyncGroq
    from groq_anyio.testing import GroqRecorder, use_clock

    kwargs: dict[str, Any] = {"max_retries": 0, **_marker_kwargs(request, "groq_client")}
    record_dir = request.config.getoption("--groq-record")
    if record_dir:
        key = os.environ.get("GROQ_API_KEY")
        if not key:
            pytest.fail("--groq-record needs GROQ_API_KEY (a real key) in the environment")
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        upstream = request.config.getoption("--groq-upstream")
        async with GroqRecorder(Path(record_dir) / name, upstream=upstream) as recorder:
            kwargs.setdefault("api_key", key)
            async with AsyncGroq(base_url=recorder.base_url, **kwargs) as client:
                yield client
        return
    kwargs.setdefault("api_key", groq_server.api_key or TEST_KEY)
    async with AsyncGroq(base_url=groq_server.base_url, **kwargs) as client:
        if "groq_clock" in request.fixturenames:
            use_clock(client, request.getfixturevalue("groq_clock"))
        yield client
