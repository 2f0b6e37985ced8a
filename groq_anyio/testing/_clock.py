"""Virtual time for tests: one :class:`FakeClock` drives a client's waits and the server's
simulated time.

The client waits in two places: retry back-off (and ``retry-after``) and the rate-limit
tracker. Both read the client's :class:`Clock`; :func:`use_clock` installs another, so a test
can assert "waited 30 s" without sleeping. The server's batch timeline
(``GroqTestServer(clock=..., batch_timing=...)``) reads the same kind of clock::

    clock = FakeClock()
    async with GroqTestServer(clock=clock, batch_timing=(1, 60, 5)) as server:
        async with AsyncGroq(base_url=server.base_url, api_key="gsk_test") as client:
            use_clock(client, clock)
            batch = await client.batches.create(input_file_id=file_id)
            clock.advance(66)
            assert (await client.batches.retrieve(batch.id)).status == "completed"
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._clock import Clock, FakeClock

if TYPE_CHECKING:
    from .._client import AsyncGroq

__all__ = ["Clock", "FakeClock", "use_clock"]


def use_clock(client: AsyncGroq, clock: Clock) -> Clock:
    """Make ``client`` wait on ``clock`` (retries, ``retry-after``, rate limits) from now on.

    Returns the clock it replaced. ``clock`` is any :class:`Clock` (``now()`` in monotonic
    seconds, ``async sleep(seconds)``); :class:`FakeClock` records each wait in ``sleeps`` and
    advances instead of sleeping.
    """
    if not isinstance(clock, Clock):
        raise TypeError(f"clock must be a groq_anyio.testing.Clock, not {type(clock).__name__}")
    previous = client._clock
    client._clock = clock
    return previous
