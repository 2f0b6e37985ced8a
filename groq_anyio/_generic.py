"""``client.get/post/put/patch/delete(path, cast_to=..., body=..., options=...)``.

The official SDK's escape hatch for endpoints it does not wrap. The call goes through the same
pipeline as every resource (deadline, rate-limit waits, circuit breaker, retries, error mapping);
only the path, the body and the decoding are the caller's.

- ``path`` is relative to the API root. The official SDK's paths carry the ``/openai/v1``
  prefix (its base URL is ``https://api.groq.com``); that prefix (the client's own path prefix)
  is accepted and stripped, so ``"/openai/v1/models"`` and ``"/models"`` are the same call. A
  full URL must start with the client's ``base_url``. A ``?query`` in the path is kept.
- ``cast_to``: a msgspec-decodable type (a Struct such as :class:`~groq_anyio.types.Model`,
  ``dict``, ``list[...]``, a TypedDict, ``object`` for any JSON), a pydantic model (when
  pydantic is in use), ``bytes`` or ``str`` for the raw body, ``None`` to discard it,
  ``httpx.Response`` for an object with its ``status_code``, ``headers``, ``content``,
  ``text`` and ``json()`` (httpx itself is not used), or
  :class:`~groq_anyio.BinaryResponse` for the body unread (close it).
- ``stream=True`` (``get``/``post``): the answer is an event stream of chat chunks, returned
  as a :class:`~groq_anyio.ChatStream` once its first event is in (``stream_cls`` is ignored).
- ``options``: the SDK's ``RequestOptions`` keys ``headers``, ``params`` (query),
  ``timeout``, ``max_retries``, ``extra_json`` (merged into ``body``) and ``idempotency_key``
  (sent as ``Idempotency-Key``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, quote, urlsplit

import msgspec

from ._decode_errors import DECODE_ERRORS
from ._download import BinaryResponse
from ._errors import InvalidParameterError
from ._notgiven import NOT_GIVEN
from ._pydantic import PydanticDecoder, is_pydantic_model
from ._timings import start_timings

if TYPE_CHECKING:
    from ._client import AsyncGroq
    from ._transport import RawResponse

__all__ = ["generic_request"]

_OPTION_KEYS: Final = frozenset(
    {"headers", "params", "timeout", "max_retries", "extra_json", "idempotency_key"}
)
_encode = msgspec.json.Encoder().encode
#: what may appear unencoded in a path (RFC 3986 pchar and "/")
_PATH_SAFE: Final = "/:@!$&'()*+,;=-._~%"


def _is_httpx_response(tp: object) -> bool:
    """``httpx.Response`` (recognised by name: httpx is not imported for it)."""
    return getattr(tp, "__name__", None) == "Response" and str(
        getattr(tp, "__module__", "")
    ).startswith("httpx")


@functools.lru_cache(maxsize=128)
def _decoder(tp: Any) -> msgspec.json.Decoder[Any] | PydanticDecoder:
    if is_pydantic_model(tp):
        return PydanticDecoder(tp)
    try:
        return msgspec.json.Decoder(tp)
    except TypeError as exc:
        raise InvalidParameterError("cast_to", f"cannot decode into {tp!r}: {exc}") from None


def _split_path(client: AsyncGroq, path: object) -> tuple[str, list[tuple[str, str]]]:
    """(path below the API prefix, query items found in it)."""
    if not isinstance(path, str) or not path:
        raise InvalidParameterError("path", "must be a non-empty string")
    if path.startswith(("http://", "https://")):
        base = client.base_url
        if not (path == base or path.startswith(base + "/") or path.startswith(base + "?")):
            raise InvalidParameterError("path", "a full URL must start with the client's base_url")
        path = path[len(base) :] or "/"
    if not path.startswith("/"):
        path = "/" + path
    parts = urlsplit(path)
    if parts.fragment:
        raise InvalidParameterError("path", "must not have a fragment")
    target = parts.path
    prefix = client._config.path_prefix
    if prefix and (target == prefix or target.startswith(prefix + "/")):
        target = target[len(prefix) :] or "/"
    if any(segment in (".", "..") for segment in target.split("/")):
        raise InvalidParameterError("path", "must not contain '.' or '..' segments")
    return quote(target, safe=_PATH_SAFE), parse_qsl(parts.query, keep_blank_values=True)


def _options(options: object) -> Mapping[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise InvalidParameterError("options", "must be a mapping (the SDK's RequestOptions)")
    unknown = set(options) - _OPTION_KEYS
    if unknown:
        raise InvalidParameterError("options", f"unsupported keys {sorted(unknown)}")
    return options


async def generic_request(
    client: AsyncGroq,
    method: str,
    path: str,
    *,
    cast_to: Any,
    body: Any = None,
    content: bytes | None = None,
    files: Any = None,
    options: Mapping[str, Any] | None = None,
    stream: bool = False,
    stream_cls: Any = None,
) -> Any:
    """Send ``method path`` through the client's pipeline and decode the answer into
    ``cast_to`` (see the module docstring); with ``stream=True``, a
    :class:`~groq_anyio.ChatStream` of the event stream (``stream_cls`` is accepted for the
    official SDK's signature: the stream is always a ChatStream of chat chunks)."""
    if files is not None:
        raise InvalidParameterError(
            "files", "multipart uploads go through client.files / client.audio"
        )
    if body is not None and content is not None:
        raise InvalidParameterError("content", "pass body or content, not both")
    opts = _options(options)
    target, query = _split_path(client, path)
    params = opts.get("params")
    if params is not None and not isinstance(params, Mapping):
        raise InvalidParameterError("options.params", "must be a mapping")
    extra_query: dict[str, Any] = dict(query)
    if params:
        extra_query.update(params)
    headers = opts.get("headers")
    if headers is not None and not isinstance(headers, Mapping):
        raise InvalidParameterError("options.headers", "must be a mapping")
    extra_headers = dict(headers or {})
    key = opts.get("idempotency_key")
    if key is not None:
        extra_headers["Idempotency-Key"] = key
    request_options = client._request_options(
        opts.get("timeout", NOT_GIVEN),
        extra_headers,
        extra_query,
        opts.get("max_retries", NOT_GIVEN),
    )
    extra_json = opts.get("extra_json")
    if extra_json is not None and not isinstance(extra_json, Mapping):
        raise InvalidParameterError("options.extra_json", "must be a mapping")
    payload = b""
    content_type: bytes | None = None
    if content is not None:
        if not isinstance(content, bytes | bytearray | memoryview):
            raise InvalidParameterError("content", "must be bytes")
        payload = bytes(content)
        given = {k.lower(): v for k, v in extra_headers.items()}.get("content-type")
        content_type = None if given is not None else b"application/octet-stream"
    elif body is not None or extra_json:
        if extra_json:
            merged = msgspec.to_builtins(body) if body is not None else {}
            if not isinstance(merged, dict):
                raise InvalidParameterError("options.extra_json", "needs a JSON object body")
            merged.update(extra_json)
            body = merged
        try:
            payload = _encode(body)
        except (TypeError, msgspec.EncodeError) as exc:
            raise InvalidParameterError("body", f"cannot be encoded as JSON: {exc}") from None
        content_type = b"application/json"
    verb = method.upper().encode("ascii")
    timings = start_timings()
    if cast_to is BinaryResponse:
        raw, _ = await client._send(
            verb,
            target,
            payload,
            options=request_options,
            timings=timings,
            content_type=content_type,
            accept=b"*/*",
            read_body=False,
        )
        return BinaryResponse(raw, timings)
    if stream:
        from ._streaming import ChatStream

        return await client._open_stream(
            verb,
            target,
            payload,
            options=request_options,
            timings=timings,
            open_stream=ChatStream,
            content_type=content_type,
        )
    if cast_to not in (None, bytes, str) and not _is_httpx_response(cast_to):
        _decoder(cast_to)  # an unusable type fails before anything is sent
    raw, data = await client._send(
        verb, target, payload, options=request_options, timings=timings, content_type=content_type
    )
    assert data is not None
    return decode_as(raw, data, cast_to)


def decode_as(raw: RawResponse, data: bytes, cast_to: Any) -> Any:
    """``data`` as ``cast_to`` (see the module docstring); an undecodable body raises
    :class:`~groq_anyio.APIResponseValidationError`."""
    if cast_to is None:
        return None
    if cast_to is bytes:
        return data
    if cast_to is str:
        return data.decode("utf-8", "replace")
    if _is_httpx_response(cast_to):
        # SDK code asking for the httpx.Response: its status, headers and body
        from ._errors import ErrorResponseInfo
        from ._headers import Headers

        return ErrorResponseInfo(raw.status, Headers(raw.headers), data)
    try:
        return _decoder(cast_to).decode(data)
    except DECODE_ERRORS as exc:
        from ._errors import invalid_response

        name = getattr(cast_to, "__name__", repr(cast_to))
        raise invalid_response(raw, data, f"a {name}", exc) from None
