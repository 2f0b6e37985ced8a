"""Running an async context manager (a server, the recorder) on an asyncio loop in a background
thread, for synchronous callers: ``with in_thread(server, "GroqTestServer"): ...``."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel

__all__ = ["in_thread"]

logger = logging.getLogger("groq_anyio.testing")


@contextlib.contextmanager
def in_thread(
    target: AbstractAsyncContextManager[Any], name: str, timeout: float = 10.0
) -> Iterator[None]:
    """Enter ``target`` on a private asyncio loop in a daemon thread for the ``with`` block;
    leaving the block exits it there and joins the thread (waiting at most ``timeout``)."""
    started = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        async with target:
            stop = anyio.Event()
            box["token"] = anyio.lowlevel.current_token()
            box["stop"] = stop
            started.set()
            await stop.wait()

    def run() -> None:
        try:
            anyio.run(main, backend="asyncio")
        except BaseException as exc:  # reported to the caller below
            box["error"] = exc
        finally:
            started.set()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    if not started.wait(timeout):
        raise TimeoutError(f"the {name} did not start in time")
    if "error" in box:
        raise RuntimeError(f"the {name} failed to start") from box["error"]
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            anyio.from_thread.run_sync(box["stop"].set, token=box["token"])
        thread.join(timeout)
        if thread.is_alive():
            logger.warning("the %s thread did not stop within %ss", name, timeout)
