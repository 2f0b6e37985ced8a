"""``Clock``: the pipeline's time source, and ``FakeClock``, the virtual one for tests.

Its own module at the bottom of the package: the pipeline's waits (:mod:`._resilience`), the
rate-limit tracker (:mod:`._ratelimit`), the client and the local test server all read it.
Public as :class:`groq_anyio.testing.Clock` and :class:`groq_anyio.testing.FakeClock`.
"""

from __future__ import annotations

import time

import anyio
import anyio.lowlevel

__all__ = ["Clock", "FakeClock"]


class Clock:
    """The pipeline's time source: ``now()`` (monotonic seconds) and ``await sleep(seconds)``.

    Tests replace it on a client (``client._clock = MyFakeClock()``) with one that records
    waits and advances a virtual ``now`` instead of sleeping.
    """

    __slots__ = ()

    now = staticmethod(time.monotonic)

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (``anyio.sleep``: cancellable like any other wait)."""
        await anyio.sleep(seconds)


class FakeClock(Clock):
    """A virtual clock for tests: ``sleep`` records the wait, advances ``now`` and only yields
    to the event loop (a checkpoint), so "waited 30 s" takes no time."""

    __slots__ = ("time", "sleeps")

    def __init__(self, start: float = 1000.0) -> None:
        self.time = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        """The virtual time, in seconds."""
        return self.time

    def advance(self, seconds: float) -> None:
        """Move the virtual time forward by ``seconds`` without recording a wait."""
        self.time += seconds

    async def sleep(self, seconds: float) -> None:
        """Record the wait in ``sleeps`` and advance the time by it; only checkpoints."""
        self.sleeps.append(seconds)
        self.time += max(0.0, seconds)
        await anyio.lowlevel.checkpoint()
