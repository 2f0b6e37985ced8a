"""What the resources share: path ids, JSON encoding, the JSON request/decode round trip,
multipart uploads, streamed downloads, the undecodable-response error and small argument
checks."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import quote

import msgspec

from .._config import Timeout
from .._decode_errors import DECODE_ERRORS
from .._download import BinaryResponse
from .._errors import InvalidParameterError, invalid_response
from .._notgiven import NotGiven
from .._timings import start_timings

if TYPE_CHECKING:
    from .._multipart import FilePart
    from .._requester import Requester
    from .._timings import Timings
    from .._transport import RawResponse

__all__ = [
    "JSON_CONTENT_TYPE",
    "APIResource",
    "as_list",
    "check_number",
    "check_str",
    "decode_response",
    "encode_json",
    "invalid_response",
    "open_binary",
    "path_id",
    "post_form",
    "request_json",
]

T = TypeVar("T")

_encoder: Final = msgspec.json.Encoder()
#: the request content type of JSON bodies
JSON_CONTENT_TYPE: Final = b"application/json"


class APIResource:
    """Base of every resource: the official SDK's ``with_raw_response`` and
    ``with_streaming_response`` views (see :mod:`groq_anyio._raw`)."""

    @property
    def with_raw_response(self) -> Any:
        """The same methods, returning :class:`~groq_anyio.APIResponse` (headers, status,
        request id, ``await parse()``)."""
        from .._raw import ResourceView

        return ResourceView(self, "raw")

    @property
    def with_streaming_response(self) -> Any:
        """The same methods as ``async with`` blocks whose response body is read only when
        asked (``iter_bytes()``, ``iter_lines()``, ``read()``, ``parse()``)."""
        from .._raw import ResourceView

        return ResourceView(self, "open")


def path_id(param: str, value: object) -> str:
    """``value`` checked (a non-empty ``str``) and percent-encoded as exactly one path segment.

    ``/``, ``?``, ``#``, ``%`` and everything else outside the unreserved set are encoded, so an
    id can never change the request's path or query. ``.`` and ``..`` are refused: servers and
    proxies resolve them as dot segments even when percent-encoded.
    """
    if not isinstance(value, str):
        kind = type(value).__name__
        raise InvalidParameterError(param, f"must be a non-empty string, not {kind}")
    if not value.strip():
        raise InvalidParameterError(param, "must be a non-empty string")
    if value in (".", ".."):
        raise InvalidParameterError(param, f"{value!r} is not a valid id")
    try:
        return quote(value, safe="")
    except UnicodeEncodeError:
        raise InvalidParameterError(param, "must be valid Unicode text") from None


def check_str(param: str, value: object, *, allow_none: bool = False) -> str | None:
    """A non-empty (not only whitespace) string, or ``None`` when ``allow_none``."""
    if value is None and allow_none:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(param, "must be a non-empty string")
    return value


def check_number(param: str, value: object, low: float, high: float) -> float:
    """A finite int or float (not a bool) within ``[low, high]``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise InvalidParameterError(param, f"must be a number between {low:g} and {high:g}")
    return float(value)


def as_list(name: str, value: Any) -> list[Any]:
    """``value`` (any iterable but a string, bytes or mapping) as a list."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise InvalidParameterError(name, f"must be a list, not {type(value).__name__}")
    return list(value)


def encode_json(request: Any, extra_body: Mapping[str, Any] | None) -> bytes:
    """The request Struct as JSON, with ``extra_body``'s keys added (replacing same-named ones).

    Raises:
        InvalidParameterError: something cannot be encoded, or a float is NaN or infinite
            (JSON has no such numbers; msgspec would send ``null``), naming where it is.
    """
    try:
        if not extra_body:
            body = _encoder.encode(request)
        else:
            if not isinstance(extra_body, Mapping):
                raise InvalidParameterError("extra_body", "must be a mapping")
            merged = msgspec.to_builtins(request)
            merged.update(extra_body)
            body = _encoder.encode(merged)
    except (TypeError, msgspec.EncodeError, RecursionError) as exc:
        raise InvalidParameterError("body", f"cannot be encoded as JSON: {exc}") from None
    if b"null" in body:  # (a NaN or an infinity is encoded as null: only then look for one)
        if extra_body:
            _refuse_non_finite(extra_body, "extra_body")
        _refuse_non_finite(request, "")
    return body


def _refuse_non_finite(value: Any, path: str, depth: int = 0) -> None:
    """Raise InvalidParameterError naming the first NaN or infinite float in ``value``."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidParameterError(
                path or "body",
                f"is {value!r}: JSON has no NaN or infinite numbers (it would be sent as null)",
            )
        return
    if depth > 200:
        return  # (deeper than any request: encoding it went fine, so nothing is lost)
    items: Iterable[tuple[str, Any]]
    if isinstance(value, Mapping):
        items = ((_key_path(path, k), v) for k, v in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    elif isinstance(value, msgspec.Struct):
        items = ((f"{path}.{f}" if path else f, getattr(value, f)) for f in value.__struct_fields__)
    else:
        return
    for sub, item in items:
        _refuse_non_finite(item, sub, depth + 1)


def _key_path(path: str, key: Any) -> str:
    if isinstance(key, str) and key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def decode_response(raw: RawResponse, data: bytes, decoder: msgspec.json.Decoder[T]) -> T:
    """``data`` decoded; an undecodable body (nested too deeply included) raises
    :class:`APIResponseValidationError`."""
    try:
        return decoder.decode(data)
    except DECODE_ERRORS as exc:
        name = getattr(decoder.type, "__name__", str(decoder.type))
        raise invalid_response(raw, data, f"a {name}", exc) from None


async def request_json(
    client: Requester,
    method: bytes,
    path: str,
    decoder: msgspec.json.Decoder[T],
    *,
    body: bytes = b"",
    content_type: bytes | None = None,
    extra_headers: Mapping[str, str] | None,
    extra_query: Mapping[str, Any] | None,
    timeout: float | Timeout | NotGiven | None,
) -> T:
    """Send one request (``body=b""``: none) and decode its JSON answer."""
    timings = start_timings()
    options = client._request_options(timeout, extra_headers, extra_query)
    raw, data = await client._send(
        method, path, body, options=options, timings=timings, content_type=content_type
    )
    assert data is not None
    return decode_response(raw, data, decoder)


async def post_form(
    client: Requester,
    path: str,
    fields: list[tuple[str, str]],
    file: object | None,
    file_part: Callable[[object], Awaitable[FilePart]],
    *,
    timings: Timings,
    accept: bytes = JSON_CONTENT_TYPE,
    extra_headers: Mapping[str, str] | None,
    extra_query: Mapping[str, Any] | None,
    timeout: float | Timeout | NotGiven | None,
) -> tuple[RawResponse, bytes]:
    """POST ``fields`` and ``file_part(file)`` (none if ``file`` is ``None``) as a streamed
    ``multipart/form-data`` body; returns the response and its body.

    The request options are checked before ``file_part`` opens the file.
    """
    from .._multipart import MultipartEncoder

    options = client._request_options(timeout, extra_headers, extra_query)
    if getattr(client, "_replaying", False):
        # a streamed response's parse() (groq_anyio._raw): the request went out already; the
        # file is not opened or read again
        raw, data = await client._send(
            b"POST", path, b"", options=options, timings=timings, accept=accept
        )
        assert data is not None
        return raw, data
    encoder = MultipartEncoder(fields, [] if file is None else [await file_part(file)])
    raw, data = await client._send(
        b"POST",
        path,
        encoder,
        options=options,
        timings=timings,
        content_type=encoder.content_type,
        accept=accept,
        replayable=encoder.replayable,
        content_length=encoder.content_length,
    )
    assert data is not None
    return raw, data


async def open_binary(
    client: Requester,
    method: bytes,
    path: str,
    *,
    accept: bytes,
    body: bytes = b"",
    content_type: bytes | None = None,
    extra_headers: Mapping[str, str] | None,
    extra_query: Mapping[str, Any] | None,
    timeout: float | Timeout | NotGiven | None,
) -> BinaryResponse:
    """Send one request and return its body unread, as a :class:`BinaryResponse` to stream.

    The call's deadline covers the request up to the response headers; the per-phase ``read``
    timeout bounds every wait for the next chunk.
    """
    timings = start_timings()
    options = client._request_options(timeout, extra_headers, extra_query)
    raw, _ = await client._send(
        method,
        path,
        body,
        options=options,
        timings=timings,
        content_type=content_type,
        accept=accept,
        read_body=False,
    )
    return BinaryResponse(raw, timings, max_read=options.limits.download)
