"""``NotGiven`` / ``NOT_GIVEN``: the "argument not passed" marker of every call.

A module of its own at the bottom of the package: the client, the resources and the helpers all
use it, and none of them has to import another to get it.
"""

from __future__ import annotations

from typing import Final

__all__ = ["NOT_GIVEN", "NotGiven"]


class NotGiven:
    """The "argument not passed" marker (``None`` can be a real value for ``timeout``)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


#: The value of an argument that was not passed (``None`` is a real value for some).
NOT_GIVEN: Final = NotGiven()
