"""``SecretStr`` and ``RedactedBytes``: the API key and credential header values, never shown.

Below the configuration and the telemetry hooks, which both hold credentials, so that neither
imports the other for them.
"""

from __future__ import annotations

from typing import Final

__all__ = ["RedactedBytes", "SecretStr"]

_MASK: Final = "**********"


class SecretStr:
    """Holds the API key; ``repr``/``str``/pickling never reveal it.

    Only :meth:`get_secret_value` returns the key, and only the transport calls it, once, to
    build the ``authorization`` header bytes (themselves wrapped in :class:`RedactedBytes`).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """The secret itself (``repr`` and ``str`` show a mask; it cannot be pickled)."""
        return self._value

    def __repr__(self) -> str:
        return f"SecretStr({_MASK!r})"

    def __str__(self) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("SecretStr", self._value))

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("SecretStr (an API key) cannot be pickled")

    def __len__(self) -> int:
        return len(self._value)


class RedactedBytes(bytes):
    """``bytes`` whose repr hides its value: the ``authorization`` header in request headers,
    so a traceback that prints locals, or a logged header list, shows no key."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "b'<redacted>'"

    __str__ = __repr__

    def __reduce_ex__(self, protocol: object) -> tuple[object, ...]:
        # pickled (an exception carrying request headers, a worker queue) as the mask, never
        # as the key; copies stay the same object (it is immutable), so they keep working
        return (RedactedBytes, (b"<redacted>",))

    def __copy__(self) -> RedactedBytes:
        return self

    def __deepcopy__(self, memo: object) -> RedactedBytes:
        return self
