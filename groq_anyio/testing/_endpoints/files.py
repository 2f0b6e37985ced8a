"""``/files``: upload (multipart), list, retrieve, delete, and download of the content."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from .._exchange import Exchange
from ._common import headers_for, send_bytes, send_error, send_json
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
    req = exchange.request
    ctype = req.header("content-type") or ""
    boundary = _boundary(ctype)
    if not ctype.lower().startswith("multipart/form-data") or boundary is None:
        await send_error(exchange, 400, "the request must be multipart/form-data with a boundary")
        return
    try:
        fields, files = _parse_multipart(req.body, boundary)
    except ValueError as exc:
        await send_error(exchange, 400, f"malformed multipart body: {exc}")
        return
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


def _boundary(content_type: str) -> bytes | None:
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary" and value:
            return value.strip('"').encode("latin-1")
    return None


def _parse_multipart(
    body: bytes, boundary: bytes
) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Text fields and ``{name: (filename, content)}`` of a ``multipart/form-data`` body."""
    delimiter = b"--" + boundary
    if not body.startswith(delimiter):
        raise ValueError("it does not start with the boundary")
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    pos = len(delimiter)
    while True:
        if body[pos : pos + 2] == b"--":
            return fields, files
        if body[pos : pos + 2] != b"\r\n":
            raise ValueError("a boundary line is not followed by CRLF")
        head_end = body.find(b"\r\n\r\n", pos + 2)
        if head_end < 0:
            raise ValueError("a part has no end of headers")
        headers = body[pos + 2 : head_end].decode("utf-8", "replace").split("\r\n")
        end = body.find(b"\r\n" + delimiter, head_end + 4)
        if end < 0:
            raise ValueError("a part is not closed by the boundary")
        content = body[head_end + 4 : end]
        pos = end + 2 + len(delimiter)
        name = filename = None
        for line in headers:
            key, _, value = line.partition(":")
            if key.strip().lower() != "content-disposition":
                continue
            for item in value.split(";")[1:]:
                k, _, v = item.strip().partition("=")
                v = unquote(v.strip('"'))
                if k == "name":
                    name = v
                elif k == "filename":
                    filename = v
        if name is None:
            raise ValueError("a part has no name")
        if filename is None:
            fields[name] = content.decode("utf-8", "replace")
        else:
            files[name] = (filename, content)
