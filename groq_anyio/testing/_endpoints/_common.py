"""What the endpoint modules share: their paths, and helpers to read a JSON body and answer
with JSON, an error in Groq's format, or bytes in fixed-size writes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import msgspec

from ..._decode_errors import DECODE_ERRORS
from .._exchange import Exchange, HeaderList, RecordedRequest
from .._groq import API_PREFIX
from .._replies import ErrorReply

if TYPE_CHECKING:
    from .._scenarios import ChatScript
    from ._state import EndpointState

__all__ = [
    "BATCHES_PATH",
    "EMBEDDINGS_PATH",
    "FILES_PATH",
    "MODELS_PATH",
    "SPEECH_PATH",
    "TRANSCRIPTIONS_PATH",
    "TRANSLATIONS_PATH",
    "headers_for",
    "json_body",
    "reject_unknown_model",
    "send_bytes",
    "send_error",
    "send_json",
    "under",
]

FILES_PATH: Final = API_PREFIX + "/files"
BATCHES_PATH: Final = API_PREFIX + "/batches"
EMBEDDINGS_PATH: Final = API_PREFIX + "/embeddings"
SPEECH_PATH: Final = API_PREFIX + "/audio/speech"
MODELS_PATH: Final = API_PREFIX + "/models"
TRANSCRIPTIONS_PATH: Final = API_PREFIX + "/audio/transcriptions"
TRANSLATIONS_PATH: Final = API_PREFIX + "/audio/translations"

_enc = msgspec.json.encode
_decode = msgspec.json.decode


def under(route: str, prefix: str) -> str | None:
    """What follows ``prefix/`` in ``route`` (``""`` for ``prefix`` itself); ``None``: elsewhere."""
    if route == prefix:
        return ""
    if route.startswith(prefix + "/"):
        return route[len(prefix) + 1 :]
    return None


def headers_for(script: ChatScript, exchange: Exchange, content_type: bytes) -> HeaderList:
    return script._headers(exchange, content_type)


async def send_json(script: ChatScript, exchange: Exchange, doc: Any, status: int = 200) -> None:
    headers = headers_for(script, exchange, b"application/json")
    await exchange.respond(status, headers, _enc(doc))


async def send_error(
    exchange: Exchange, status: int, message: str, code: str | None = None, *, param: str = ""
) -> None:
    if param:
        message = f"'{param}' : {message}"
    await ErrorReply(status, message, code=code).respond(exchange)


def json_body(req: RecordedRequest) -> dict[str, Any] | str:
    """The JSON object of the request, or a problem description."""
    try:
        body = _decode(req.body)
    except DECODE_ERRORS as exc:
        return f"We could not parse the JSON body of your request: {exc}"
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    return body


async def send_bytes(
    state: EndpointState,
    exchange: Exchange,
    status: int,
    headers: HeaderList,
    data: bytes,
    *,
    content_length: bool,
) -> None:
    """Send ``data`` in ``state.chunk_size`` writes (chunked unless ``content_length``)."""
    await exchange.start(status, headers, len(data) if content_length else None)
    size = max(1, state.chunk_size)
    view = memoryview(data)
    for start in range(0, len(data), size):
        if start and state.chunk_delay > 0:
            await exchange.sleep(state.chunk_delay)
        await exchange.write(bytes(view[start : start + size]))
    await exchange.end()


async def reject_unknown_model(exchange: Exchange, model: str) -> bool:
    """Answer Groq's 404 ``model_not_found`` when the server does not know ``model`` (strict
    servers with a model list); ``True`` when it did."""
    server = exchange.server
    if not server.strict or server.models is None or model in server.models:
        return False
    message = f"The model `{model}` does not exist or you do not have access to it."
    await send_error(exchange, 404, message, "model_not_found")
    return True
