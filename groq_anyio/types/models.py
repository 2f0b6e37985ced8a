"""Response types of the models endpoints (``GET /models``, ``GET``/``DELETE /models/{id}``).

Groq returns more than the OpenAI shape (``id``, ``object``, ``created``, ``owned_by``): whether
the model is ``active``, its ``context_window``, ``max_completion_tokens`` and ``public_apps``.
All of them are typed; fields Groq adds later are ignored, and every field but ``id`` may be
missing or ``null``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec

from .shared import GroqModel

__all__ = ["Model", "ModelDeleted", "ModelList"]


class Model(GroqModel):
    """A model offered by the API.

    Attributes:
        id: The model id, used as ``model=`` in requests (``llama-3.3-70b-versatile``).
        object: Always ``"model"``.
        created: When the model was created (Unix seconds).
        owned_by: The organisation behind the model (``"Meta"``, ``"OpenAI"``).
        active: Whether the model can be used now.
        context_window: The most tokens (prompt plus completion) one request can hold.
        max_completion_tokens: The most tokens the model generates in one answer.
        public_apps: Groq's list of public apps using the model (normally ``null``).
    """

    id: str
    object: str = "model"
    created: int | None = None
    owned_by: str | None = None
    active: bool | None = None
    context_window: int | None = None
    max_completion_tokens: int | None = None
    public_apps: Any = None


class ModelList(GroqModel):
    """The answer of ``models.list()``: ``data`` holds the models (iterate the list directly)."""

    data: list[Model] = msgspec.field(default_factory=list)
    object: str = "list"

    def __iter__(self) -> Iterator[Model]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def ids(self) -> list[str]:
        """The model ids, in the order the API listed them."""
        return [m.id for m in self.data]


class ModelDeleted(GroqModel):
    """The answer of ``models.delete(id)``."""

    id: str
    deleted: bool = False
    object: str = "model"
