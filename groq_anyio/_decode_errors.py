"""What decoding bad bytes as JSON can raise: one tuple for every ``except`` that guards a decode.

- ``msgspec.DecodeError``: malformed JSON, or the wrong shape (``ValidationError`` is a subclass);
- ``UnicodeDecodeError``: invalid UTF-8 inside a JSON string, from msgspec before 0.23 (0.23 raises
  ``DecodeError`` for it; the floor is 0.19, so both are caught);
- ``RecursionError``: nesting deeper than the decoder follows.
"""

from __future__ import annotations

import msgspec

__all__ = ["DECODE_ERRORS"]

DECODE_ERRORS: tuple[type[Exception], ...] = (
    msgspec.DecodeError,
    UnicodeDecodeError,
    RecursionError,
)
