"""Network backends, one per runtime, behind one interface (see :mod:`._base`).

The only code of the package that touches asyncio or trio directly. :func:`get_backend`
chooses from the running event loop: ``asyncio`` (the default loop or uvloop, or any loop that
implements the asyncio API) gets the ``asyncio.Protocol`` backend, ``trio`` the trio socket
backend, anything else the generic anyio backend, which can also be asked for by name.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Protocol

from ._base import BaseStream

if TYPE_CHECKING:
    import ssl

__all__ = ["BACKEND_NAMES", "Backend", "BaseStream", "get_backend", "loop_alive", "loop_token"]

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


def loop_token() -> object:
    """The identity of the running event loop: the asyncio loop, or the trio run's token
    (``None`` outside any loop)."""
    asyncio: Any = sys.modules.get("asyncio")  # (no asyncio imported: no asyncio loop runs)
    if asyncio is not None:
        loop = asyncio._get_running_loop()
        if loop is not None:
            return loop
    trio: Any = sys.modules.get("trio")
    if trio is not None:
        try:
            return trio.lowlevel.current_trio_token()
        except RuntimeError:
            pass
    return None


def loop_alive(token: object) -> bool:
    """Whether the loop of ``token`` (from :func:`loop_token`) may still run."""
    if token is None:
        return True
    is_closed = getattr(token, "is_closed", None)
    if is_closed is not None:  # an asyncio loop
        return not is_closed()
    trio: Any = sys.modules.get("trio")
    if trio is None:  # pragma: no cover - a trio token without trio
        return False
    try:
        token.run_sync_soon(_nothing)  # type: ignore[attr-defined]
    except trio.RunFinishedError:
        return False
    return True


def _nothing() -> None:
    pass
