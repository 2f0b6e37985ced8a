"""Whether an idle socket has bytes (or EOF) waiting: an idle keep-alive connection that is
readable has been closed (or spoken to) by the server and must not be reused."""

from __future__ import annotations

import select
import socket
import sys

__all__ = ["is_readable"]

_USE_POLL = sys.platform != "win32" and hasattr(select, "poll")


def is_readable(sock: socket.socket | None) -> bool:
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True
    if _USE_POLL:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([fd], [], [], 0)  # pragma: no cover - Windows
    return bool(readable)


_HANGUP = getattr(select, "POLLRDHUP", 0) | select.POLLHUP | select.POLLERR if _USE_POLL else 0


def peer_closed(sock: socket.socket | None) -> bool:
    """Whether the peer closed (or reset) ``sock``; unlike :func:`is_readable`, bytes waiting
    do not count (an HTTP/2 server may send frames while nothing is in flight)."""
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True
    if not _USE_POLL or not getattr(select, "POLLRDHUP", 0):  # pragma: no cover - not Linux
        return False
    poller = select.poll()
    poller.register(fd, _HANGUP)
    return bool(poller.poll(0))
