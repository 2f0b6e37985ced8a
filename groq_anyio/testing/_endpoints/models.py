"""``GET /models``, ``GET /models/{id}`` and ``DELETE /models/{id}``."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from .._exchange import Exchange
from .._groq import MODELS, model_object
from ._common import send_error, send_json
from ._state import endpoint_state

if TYPE_CHECKING:
    from .._scenarios import ChatScript

__all__ = ["models"]


async def models(script: ChatScript, exchange: Exchange, rest: str, method: str) -> bool:
    state = endpoint_state(exchange.server)
    if not rest:
        if method != "GET":
            return False
        data = [model_object(m) for m in MODELS if m[0] not in state.deleted_models]
        await send_json(script, exchange, {"object": "list", "data": data})
        return True
    if method not in ("GET", "DELETE"):
        return False
    model_id = unquote(rest)  # ids with a slash may come encoded (%2F) or not
    entry = next((m for m in MODELS if m[0] == model_id), None)
    if entry is None or model_id in state.deleted_models:
        message = f"The model `{model_id}` does not exist or you do not have access to it."
        await send_error(exchange, 404, message, "model_not_found")
        return True
    if method == "DELETE":
        state.deleted_models.add(model_id)
        await send_json(script, exchange, {"id": model_id, "object": "model", "deleted": True})
    else:
        await send_json(script, exchange, model_object(entry))
    return True
