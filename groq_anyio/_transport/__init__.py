"""The one package that talks to sockets: TLS, the pool, HTTP/1.1 and HTTP/2, network backends.

Above this package nothing imports httpcore, h11, h2 or httptools, and nothing touches asyncio
or trio; inside it, only :mod:`._backends` touches asyncio or trio directly. httpcore and h2
are imported only for HTTP/2 (:func:`._pool.h2_connection_class`, through :mod:`._httpcore`).
"""

from __future__ import annotations

from ._pool import PoolStats
from ._transport import RawResponse, Transport, create_ssl_context, map_exception, now_ns

__all__ = ["PoolStats", "RawResponse", "Transport", "create_ssl_context", "map_exception", "now_ns"]
