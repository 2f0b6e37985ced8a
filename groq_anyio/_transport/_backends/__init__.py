"""Network backends, one per runtime, behind one interface (see :mod:`._base`).

The only code of the package that touches asyncio or trio directly. :func:`get_backend`
chooses from the running event loop: ``asyncio`` (the default loop or uvloop, or any loop that
implements the asyncio API) gets the ``asyncio.Protocol`` backend, ``trio`` the trio socket
backend, anything else the generic anyio backend, which can also be asked for by name.
"""

from __future__ import annotations

import ssl
from typing import Protocol

from ._base import BaseStream

__all__ = ["BACKEND_NAMES", "Backend", "BaseStream", "get_backend"]

BACKEND_NAMES = ("auto", "asyncio", "trio", "anyio")


class Backend(Protocol):
    """Opens connections: TCP, then TLS when a context is given."""

    name: str

    async def connect(
        self,
        host: str,
        port: int,
        *,
        timeout: float | None,
        ssl_context: ssl.SSLContext | None,
        server_hostname: str | None,
    ) -> BaseStream: ...


_cache: dict[str, Backend] = {}


def get_backend(name: str = "auto") -> Backend:
    """The backend called ``name``; ``"auto"``: the one for the running event loop."""
    backend = _cache.get(name)
    if backend is not None and name == "anyio":
        return backend
    import sniffio

    running = sniffio.current_async_library()
    if name == "auto":
        name = running if running in ("asyncio", "trio") else "anyio"
    elif name != "anyio" and name != running:
        from ..._errors import InvalidParameterError

        raise InvalidParameterError(
            "network_backend",
            f"is {name!r}, but the running event loop is {running}: use 'auto' or 'anyio'",
        )
    backend = _cache.get(name)
    if backend is not None:
        return backend
    if name == "asyncio":
        from ._asyncio import AsyncioBackend

        backend = AsyncioBackend()
    elif name == "trio":
        from ._trio import TrioBackend

        backend = TrioBackend()
    elif name == "anyio":
        from ._anyio import AnyioBackend

        backend = AnyioBackend()
    else:
        raise ValueError(f"unknown network backend {name!r}; one of {', '.join(BACKEND_NAMES)}")
    _cache[name] = backend
    return backend
