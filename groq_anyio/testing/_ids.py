"""Groq-style ids: request ids (``req_`` + a ULID) and the random tails of other ids.

Below the exchange (which names each request) and the Groq facts (:mod:`._groq`, which
re-exports both functions).
"""

from __future__ import annotations

import random
import time

__all__ = ["new_request_id", "random_suffix"]

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_rand = random.Random()


def new_request_id() -> str:
    """A Groq-style request id: ``req_`` + a lower-case ULID (26 Crockford base32 chars)."""
    n = ((time.time_ns() // 1_000_000) << 80) | _rand.getrandbits(80)
    out = [""] * 26
    for i in range(25, -1, -1):
        out[i] = _CROCKFORD[n & 31]
        n >>= 5
    return "req_" + "".join(out)


def random_suffix(length: int) -> str:
    """``length`` random lower-case Crockford base32 characters (the tail of Groq's ids)."""
    return "".join(_rand.choices(_CROCKFORD, k=length))
