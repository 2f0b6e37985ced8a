"""Request and response types of ``POST /embeddings``.

With ``encoding_format="base64"`` the API sends each vector as base64 of little-endian float32
values; :meth:`Embedding.as_floats` (or :func:`decode_embedding`) turns it into floats when asked,
so the cheaper transfer does not cost a decode nobody needs.
"""

from __future__ import annotations

import array
import base64
import binascii
import sys

from .shared import GroqModel, RequestModel

__all__ = [
    "CreateEmbeddingResponse",
    "Embedding",
    "EmbeddingRequest",
    "EmbeddingUsage",
    "decode_embedding",
]


def decode_embedding(data: str | bytes) -> list[float]:
    """The floats of a base64 embedding (little-endian float32 values, as the API sends them).

    Raises:
        ValueError: ``data`` is not base64, or not a whole number of float32 values.
    """
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not a base64 embedding: {exc}") from None
    if len(raw) % 4:
        raise ValueError(f"a base64 embedding holds float32 values: {len(raw)} bytes is not 4*n")
    values = array.array("f")
    values.frombytes(raw)
    if sys.byteorder == "big":  # pragma: no cover - no big-endian CI
        values.byteswap()
    return values.tolist()


class Embedding(GroqModel):
    """One embedding vector.

    Attributes:
        embedding: The vector: floats (``encoding_format="float"``, the default) or a base64
            string (``encoding_format="base64"``; see :meth:`as_floats`).
        index: The position of the input this vector belongs to.
        object: Always ``"embedding"``.
    """

    embedding: list[float] | str
    index: int = 0
    object: str = "embedding"

    def as_floats(self) -> list[float]:
        """The vector as floats, decoding the base64 form when that is what the API sent."""
        value = self.embedding
        return decode_embedding(value) if isinstance(value, str) else value


class EmbeddingUsage(GroqModel):
    """Token counts (and Groq's timings, when sent) of an embeddings request."""

    prompt_tokens: int = 0
    total_tokens: int = 0
    queue_time: float | None = None
    prompt_time: float | None = None
    total_time: float | None = None


class CreateEmbeddingResponse(GroqModel):
    """The answer of ``embeddings.create()``.

    Attributes:
        data: One :class:`Embedding` per input, each with its ``index``.
        model: The model that made them.
        object: Always ``"list"``.
        usage: Token counts of the request.
    """

    data: list[Embedding]
    model: str = ""
    object: str = "list"
    usage: EmbeddingUsage | None = None

    def vectors(self) -> list[list[float]]:
        """The vectors as floats, in input order (base64 ones decoded)."""
        return [e.as_floats() for e in sorted(self.data, key=lambda e: e.index)]


class EmbeddingRequest(RequestModel):
    """The body of ``POST /embeddings`` (unset fields are not sent).

    Attributes:
        model: The embedding model (``nomic-embed-text-v1_5``).
        input: A string, a list of strings, a list of token ids, or a list of token-id lists.
        encoding_format: ``"float"`` (default) or ``"base64"``.
        user: An id of your end user, to help detect abuse.
    """

    model: str
    input: str | list[str] | list[int] | list[list[int]]
    encoding_format: str | None = None
    user: str | None = None
