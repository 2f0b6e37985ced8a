"""``Headers``: response headers looked up without regard to case, as ``httpx.Headers`` is.

The transport keeps response headers as a dict with lower-case names. Code written for the
official SDK reads them as ``response.headers.get("X-Request-ID")``; this dict subclass
lower-cases the name on lookup, and is otherwise the plain dict (equal to it, JSON-encodable).
Built only when ``.headers`` is read, never per chunk.
"""

from __future__ import annotations

from typing import Any, overload

__all__ = ["Headers"]


class Headers(dict[str, str]):
    """A ``dict`` of lower-case header names whose lookups ignore case."""

    __slots__ = ()

    def __init__(self, headers: Any = (), /) -> None:
        items = headers.items() if hasattr(headers, "items") else headers
        super().__init__((str(k).lower(), v) for k, v in items)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower() if isinstance(name, str) else name)

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name.lower() if isinstance(name, str) else name)

    @overload
    def get(self, name: str, default: None = None, /) -> str | None: ...
    @overload
    def get(self, name: str, default: str, /) -> str: ...
    @overload
    def get(self, name: str, default: Any, /) -> Any: ...
    def get(self, name: str, default: Any = None, /) -> Any:
        return super().get(name.lower() if isinstance(name, str) else name, default)
