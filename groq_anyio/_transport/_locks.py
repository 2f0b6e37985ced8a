"""Locks for httpcore's connection classes that do not yield when nobody else holds them.

httpcore's ``AsyncLock``/``AsyncSemaphore`` wrap an ``anyio.Lock`` (or a ``trio.Lock``) that
yields to the event loop on every uncontended acquisition: HTTP/2 takes six per request plus two
per DATA frame received, and each yield resumes the whole chain of coroutines under the caller.
:class:`FastLock` and :class:`FastSemaphore` take an uncontended lock or permit without yielding
and queue contenders first-in first-out on ``anyio.Event`` objects.
"""

from __future__ import annotations

from collections import deque
from types import TracebackType

import anyio

__all__ = ["FastLock", "FastSemaphore"]


class FastLock:
    """A lock for ``async with`` that does not yield when it is free (see the module notes).

    Waiters are served in arrival order; the lock is handed to the next waiter directly, so a
    newcomer cannot overtake a woken waiter.
    """

    __slots__ = ("_locked", "_waiters")

    def __init__(self) -> None:
        self._locked = False
        self._waiters: deque[anyio.Event] | None = None  # created on first contention

    def locked(self) -> bool:
        return self._locked

    async def __aenter__(self) -> FastLock:
        if not self._locked:
            self._locked = True
            return self
        event = anyio.Event()
        waiters = self._waiters
        if waiters is None:
            waiters = self._waiters = deque()
        waiters.append(event)
        try:
            await event.wait()
        except BaseException:
            if event.is_set():
                self._release()  # it was handed to us as we were cancelled: pass it on
            else:
                waiters.remove(event)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._waiters:
            self._waiters.popleft().set()  # stays locked: ownership moves to that waiter
        else:
            self._locked = False

    def _release(self) -> None:
        if self._waiters:
            self._waiters.popleft().set()
        else:
            self._locked = False


class FastSemaphore:
    """The semaphore httpcore's HTTP/2 connection bounds its streams with, without the yield
    on every uncontended ``acquire`` (same interface as httpcore's ``AsyncSemaphore``).

    :meth:`resize` changes the bound at once and never waits: a server may lower
    SETTINGS_MAX_CONCURRENT_STREAMS while more streams than the new limit are open, and the
    reader that applies the change must not wait for permits held by streams that need that
    very reader to finish. Lowering the bound below the permits in use makes ``_value``
    negative: releases pay that debt back before anyone new gets in.
    """

    __slots__ = ("_bound", "_shed", "_value", "_waiters")

    def __init__(self, bound: int) -> None:
        self._bound = bound
        self._value = bound
        self._waiters: deque[anyio.Event] | None = None  # created on first contention
        #: waiters turned away by shed() (their acquire() returns False)
        self._shed: set[anyio.Event] = set()

    @property
    def bound(self) -> int:
        return self._bound

    @property
    def in_use(self) -> int:
        return self._bound - self._value

    def resize(self, bound: int) -> None:
        """Make the bound ``bound`` (>= 1) now; waiters are let in as far as it allows."""
        self._value += bound - self._bound
        self._bound = bound
        while self._value > 0 and self._waiters:
            self._value -= 1
            self._waiters.popleft().set()

    def acquire_if_available(self) -> bool:
        if self._value > 0 and not self._waiters:
            self._value -= 1
            return True
        return False

    def shed(self) -> None:
        """Turn every waiter away now: their :meth:`acquire` returns False."""
        waiters = self._waiters
        while waiters:
            event = waiters.popleft()
            self._shed.add(event)
            event.set()

    async def acquire(self) -> bool:
        """Take a permit (True), or False when :meth:`shed` turned this waiter away."""
        if self._value > 0 and not self._waiters:
            self._value -= 1
            return True
        event = anyio.Event()
        waiters = self._waiters
        if waiters is None:
            waiters = self._waiters = deque()
        waiters.append(event)
        try:
            await event.wait()
        except BaseException:
            if event in self._shed:
                self._shed.discard(event)
            elif event.is_set():
                self._release()  # a permit was handed to us as we were cancelled: pass it on
            else:
                waiters.remove(event)
            raise
        if event in self._shed:
            self._shed.discard(event)
            return False
        return True

    async def release(self) -> None:
        self._release()

    def _release(self) -> None:
        if self._value >= 0 and self._waiters:
            self._waiters.popleft().set()  # the permit moves to that waiter
        elif self._value < self._bound:
            self._value += 1
