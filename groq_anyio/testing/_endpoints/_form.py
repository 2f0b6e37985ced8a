"""A ``multipart/form-data`` request body, parsed (file uploads and audio requests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote

from .._exchange import RecordedRequest

__all__ = ["Form", "parse_form"]


@dataclass
class Form:
    """The parts of a form: text fields (every value, in order) and files by field name."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    @property
    def last(self) -> dict[str, str]:
        """Each text field's last value."""
        return {name: values[-1] for name, values in self.fields.items()}


def parse_form(req: RecordedRequest) -> Form | str:
    """The form in ``req``'s body, or a description of what is wrong with it."""
    ctype = req.header("content-type") or ""
    boundary = _boundary(ctype)
    if not ctype.lower().startswith("multipart/form-data") or boundary is None:
        return "the request must be multipart/form-data with a boundary"
    try:
        return _parse_multipart(req.body, boundary)
    except ValueError as exc:
        return f"malformed multipart body: {exc}"


def _boundary(content_type: str) -> bytes | None:
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary" and value:
            return value.strip('"').encode("latin-1")
    return None


def _parse_multipart(body: bytes, boundary: bytes) -> Form:
    """Text fields and ``{name: (filename, content)}`` of a ``multipart/form-data`` body."""
    delimiter = b"--" + boundary
    if not body.startswith(delimiter):
        raise ValueError("it does not start with the boundary")
    form = Form()
    pos = len(delimiter)
    while True:
        if body[pos : pos + 2] == b"--":
            return form
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
            form.fields.setdefault(name, []).append(content.decode("utf-8", "replace"))
        else:
            form.files[name] = (filename, content)
