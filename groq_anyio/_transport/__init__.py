"""The one package that talks to sockets: TLS, the pool, HTTP/1.1 and HTTP/2, network backends.

Above this package nothing imports httpcore, h11, h2 or httptools, and nothing touches asyncio
or trio; inside it, only :mod:`._backends` touches asyncio or trio directly.
"""

from __future__ import annotations

from . import _httpcore  # noqa: F401  # (first: it imports httpcore)
from ._pool import PoolStats
from ._transport import RawResponse, Transport, create_ssl_context, map_exception, now_ns

__all__ = ["PoolStats", "RawResponse", "Transport", "create_ssl_context", "map_exception", "now_ns"]
