"""One connection pool per event loop.

A connection belongs to the event loop that opened it: its socket is registered with that
loop, and its futures and events are bound to it. A client used from another loop - a second
``asyncio.run``, pytest running each test in a fresh loop with a module-level client, asyncio
then trio - must not touch those connections (``Future attached to a different loop``, ``Event
loop is closed``). So the transport keeps a pool per loop, found by the loop's identity
(:func:`~._backends.loop_token`: the asyncio loop, or the trio run's token): the first request
in a new loop gets a fresh pool, and the pools of loops that have ended are dropped (their
sockets closed without their loop, which is gone). At most :data:`MAX_POOLS` pools are kept;
past that the least recently used one is retired.
"""

from __future__ import annotations

from collections.abc import Callable

from ._backends import loop_alive, loop_token
from ._pool import ConnectionPool

__all__ = ["MAX_POOLS", "LoopPools"]

MAX_POOLS = 8


class LoopPools:
    """The pools of one transport, by event loop; :meth:`current` is the one for this loop."""

    __slots__ = ("_factory", "_others", "_pool", "_token")

    def __init__(self, factory: Callable[[], ConnectionPool]) -> None:
        self._factory = factory
        self._token: object = None
        self._pool: ConnectionPool | None = None
        #: (token, pool) of the other loops seen, least recently used first
        self._others: list[tuple[object, ConnectionPool]] = []

    def current(self) -> ConnectionPool:
        """The pool of the running event loop (created on first use)."""
        token = loop_token()
        pool = self._pool
        if pool is not None and token is self._token:
            return pool
        return self._switch(token)

    def latest(self) -> ConnectionPool:
        """The pool used last (for a look from outside any loop, e.g. ``pool_stats()``)."""
        pool = self._pool
        if pool is None:
            pool = self._pool = self._factory()
            self._token = loop_token()
        return pool

    def _switch(self, token: object) -> ConnectionPool:
        if self._pool is not None:
            self._others.append((self._token, self._pool))
        found = None
        for i, (other, pool) in enumerate(self._others):
            if other is token:
                found = pool
                del self._others[i]
                break
        # pools of loops that have ended: their connections cannot be closed the usual way
        alive = []
        for other, pool in self._others:
            if loop_alive(other):
                alive.append((other, pool))
            else:
                pool.retire()
        while len(alive) >= MAX_POOLS:
            alive.pop(0)[1].retire()
        self._others = alive
        if found is None:
            found = self._factory()
        self._token = token
        self._pool = found
        return found

    async def aclose(self) -> None:
        """Close the pool of this loop; retire the others (their loops are not running here)."""
        for _, other in self._others:
            other.retire()
        self._others = []
        pool = self._pool
        if pool is None:
            return
        if loop_token() is self._token:
            await pool.aclose()
        else:
            pool.retire()
