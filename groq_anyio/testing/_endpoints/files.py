"""``/files``: upload (multipart), list, retrieve, delete, and download of the content."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from .._exchange import Exchange
from ._common import headers_for, send_bytes, send_error, send_json
from ._form import parse_form
from ._state import EndpointState, endpoint_state

if TYPE_CHECKING:
    from .._scenarios import ChatScript

__all__ = ["files"]


async def files(script: ChatScript, exchange: Exchange, rest: str, method: str) -> bool:
    state = endpoint_state(exchange.server)
    if not rest:
        if method == "POST":
            await _upload(script, exchange, state)
        elif method == "GET":
            data = [f.to_json() for f in state.files.values()]
            await send_json(script, exchange, {"object": "list", "data": data})
        else:
            return False
        return True
    segment, _, tail = rest.partition("/")
    if tail not in ("", "content") or (tail and method != "GET"):
        return False
    if method not in ("GET", "DELETE"):
        return False
    file_id = unquote(segment)
    stored = state.files.get(file_id)
    if stored is None:
        await send_error(exchange, 404, f"file {file_id!r} not found", "file_not_found")
        return True
    if tail == "content":
        headers = headers_for(script, exchange, b"application/octet-stream")
        await send_bytes(state, exchange, 200, headers, stored.data, content_length=True)
    elif method == "DELETE":
        del state.files[file_id]
        await send_json(script, exchange, {"id": file_id, "object": "file", "deleted": True})
    else:
        await send_json(script, exchange, stored.to_json())
    return True


async def _upload(script: ChatScript, exchange: Exchange, state: EndpointState) -> None:
    form = parse_form(exchange.request)
    if isinstance(form, str):
        await send_error(exchange, 400, form)
        return
    fields, files = form.last, form.files
    purpose = fields.get("purpose")
    if purpose is None:
        await send_error(exchange, 400, "property 'purpose' is missing", param="purpose")
        return
    if purpose != "batch":
        await send_error(exchange, 400, "purpose must be 'batch'", param="purpose")
        return
    upload = files.get("file")
    if upload is None:
        await send_error(exchange, 400, "property 'file' is missing", param="file")
        return
    filename, data = upload
    if not data:
        await send_error(exchange, 400, "the file is empty", param="file")
        return
    stored = state.add_file(data, filename, purpose)
    await send_json(script, exchange, stored.to_json())
