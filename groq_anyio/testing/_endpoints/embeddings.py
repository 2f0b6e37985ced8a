"""``POST /embeddings``: deterministic unit vectors, as floats or base64."""

from __future__ import annotations

import array
import base64
import hashlib
import math
import random
import sys
from typing import TYPE_CHECKING, Any

import msgspec

from .._exchange import Exchange
from ._common import json_body, send_error, send_json
from ._state import endpoint_state

if TYPE_CHECKING:
    from .._scenarios import ChatScript

__all__ = ["embeddings"]

_enc = msgspec.json.encode


def _vector(item: Any, dimensions: int) -> list[float]:
    """A deterministic unit vector for ``item``, rounded to float32 values."""
    seed = hashlib.blake2b(_enc(item), digest_size=16).digest()
    rng = random.Random(seed)
    values = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return array.array("f", [v / norm for v in values]).tolist()


def _float32_base64(values: list[float]) -> str:
    packed = array.array("f", values)
    if sys.byteorder == "big":  # pragma: no cover
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


async def embeddings(script: ChatScript, exchange: Exchange) -> None:
    state = endpoint_state(exchange.server)
    body = json_body(exchange.request)
    if isinstance(body, str):
        await send_error(exchange, 400, body, "json_invalid")
        return
    model = body.get("model")
    data = body.get("input")
    fmt = body.get("encoding_format", "float")
    if not isinstance(model, str) or not model:
        await send_error(exchange, 400, "property 'model' is missing", param="model")
        return
    if fmt not in ("float", "base64"):
        await send_error(exchange, 400, "must be float or base64", param="encoding_format")
        return
    items: list[Any]
    tokens_only = isinstance(data, list) and all(isinstance(x, int) for x in data)
    if (isinstance(data, str) or tokens_only) and data:
        items = [data]
    elif isinstance(data, list) and data and all(isinstance(x, str | list) and x for x in data):
        items = data
    else:
        await send_error(exchange, 400, "input must be a non-empty string or array", param="input")
        return
    out = []
    tokens = 0
    for index, item in enumerate(items):
        vector = _vector(item, state.embedding_dimensions)
        tokens += max(1, len(item) // 4) if isinstance(item, str) else len(item)
        embedding: list[float] | str = _float32_base64(vector) if fmt == "base64" else vector
        out.append({"object": "embedding", "index": index, "embedding": embedding})
    doc = {
        "object": "list",
        "data": out,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        "x_groq": {"id": exchange.request_id},
    }
    await send_json(script, exchange, doc)
