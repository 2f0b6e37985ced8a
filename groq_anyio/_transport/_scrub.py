"""Keep the API key out of tracebacks.

The request head (with the Authorization header) is, for a moment, a local variable of the
frames that build and write it: plain bytes once serialised (HTTP/1.1) or HPACK-encoded (HTTP/2).
An exception raised while such a frame is suspended - a write timeout, a cancellation, a
protocol error - keeps those frames in its traceback, and error reporters (Sentry, ``rich``
tracebacks with locals, ``pytest --showlocals``) record their locals. So every exception that
leaves a request has the locals of its finished frames cleared, along its cause and context
chain.
"""

from __future__ import annotations

import traceback

__all__ = ["scrub"]


def scrub(exc: BaseException) -> None:
    """Clear the locals of the finished frames of ``exc``'s traceback, and of those of its
    causes and contexts (frames still running are left alone: they cannot be cleared)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        tb = current.__traceback__
        if tb is not None:
            traceback.clear_frames(tb)
        current = current.__cause__ or current.__context__
