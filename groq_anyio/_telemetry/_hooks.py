"""Extension points: event hooks (httpx's shape) and custom authentication.

Event hooks: ``event_hooks={"request": [...], "response": [...]}``, async callables run for every
HTTP attempt (a retry runs them again). A request hook gets a :class:`HookRequest` (method, URL,
attempt, headers) and may add headers through ``request.headers[name] = value``; a response hook
gets a :class:`HookResponse` (status, response headers, request id, the request). The header
view never shows a credential: ``authorization`` and every header from a custom ``api_key``
callable read as ``<redacted>``.

Custom auth: ``api_key`` may be an async callable (a function, or an object with an async
``__call__``) called before every attempt. It returns the key (sent as ``Authorization: Bearer
<key>``) or a mapping of headers to send instead (a gateway's own scheme). The values are held
as :class:`~groq_anyio._secrets.RedactedBytes`, like the static key.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Final

from .._errors import InvalidParameterError
from .._secrets import RedactedBytes, SecretStr
from .._validation import validate_header_value

if TYPE_CHECKING:
    from .._transport import RawResponse

__all__ = [
    "AuthCallable",
    "EventHook",
    "HookRequest",
    "HookResponse",
    "auth_headers",
    "check_event_hooks",
]

#: headers a hook may not set: the client owns them (auth: use a callable ``api_key``)
PROTECTED: Final = frozenset({"authorization", "host", "content-length", "transfer-encoding"})
_REDACTED: Final = "<redacted>"

EventHook = Callable[[Any], Awaitable[None]]
AuthCallable = Callable[[], "Awaitable[str | SecretStr | Mapping[str, str]]"]


class HookHeaders(MutableMapping[str, str]):
    """The request headers as a request hook sees them: credentials read ``<redacted>``;
    setting a header adds it to this attempt (or replaces an earlier one of the same name)."""

    __slots__ = ("_headers",)

    def __init__(self, headers: list[tuple[bytes, bytes]]) -> None:
        self._headers = headers

    def _find(self, name: str) -> int:
        key = name.lower().encode("latin-1")
        for i, (k, _) in enumerate(self._headers):
            if k.lower() == key:
                return i
        return -1

    def __getitem__(self, name: str) -> str:
        i = self._find(name)
        if i < 0:
            raise KeyError(name)
        value = self._headers[i][1]
        return _REDACTED if isinstance(value, RedactedBytes) else value.decode("latin-1")

    def __setitem__(self, name: str, value: str) -> None:
        validate_header_value(name, value, "event_hooks request.headers")
        if name.lower() in PROTECTED:
            raise InvalidParameterError(
                f"request.headers[{name!r}]", "this header is set by the client"
            )
        i = self._find(name)
        if i >= 0 and isinstance(self._headers[i][1], RedactedBytes):
            raise InvalidParameterError(f"request.headers[{name!r}]", "this header is a credential")
        item = (name.encode("latin-1"), value.encode("latin-1"))
        if i >= 0:
            self._headers[i] = item
        else:
            self._headers.append(item)

    def __delitem__(self, name: str) -> None:
        i = self._find(name)
        if i < 0:
            raise KeyError(name)
        if name.lower() in PROTECTED or isinstance(self._headers[i][1], RedactedBytes):
            raise InvalidParameterError(
                f"request.headers[{name!r}]", "this header is set by the client"
            )
        del self._headers[i]

    def __iter__(self) -> Iterator[str]:
        return (k.decode("latin-1").lower() for k, _ in self._headers)

    def __len__(self) -> int:
        return len(self._headers)

    def __repr__(self) -> str:
        return f"HookHeaders({dict(self)!r})"


class HookRequest:
    """One HTTP attempt about to be sent, as an event hook sees it."""

    __slots__ = ("method", "url", "attempt", "headers")

    def __init__(self, method: str, url: str, attempt: int, headers: HookHeaders) -> None:
        #: ``"POST"``, ``"GET"``, ...
        self.method = method
        #: the full URL (it never carries a credential)
        self.url = url
        #: 1 for the first attempt, 2 for the first retry, ...
        self.attempt = attempt
        #: the request headers (credentials redacted); request hooks may add headers
        self.headers = headers

    def __repr__(self) -> str:
        return f"<HookRequest {self.method} {self.url} attempt={self.attempt}>"


class HookResponse:
    """The status line and headers of one HTTP attempt's response (the body is not read yet)."""

    __slots__ = ("request", "status_code", "headers", "http_version", "request_id", "elapsed")

    def __init__(self, request: HookRequest, raw: RawResponse, elapsed: float) -> None:
        self.request = request
        self.status_code: int = raw.status
        #: the response headers, lower-case names
        self.headers: dict[str, str] = dict(raw.headers)
        self.http_version: str = raw.http_version
        self.request_id: str | None = raw.header(b"x-request-id")
        #: seconds from the start of this attempt to the response headers
        self.elapsed = elapsed

    def __repr__(self) -> str:
        return f"<HookResponse {self.status_code} request_id={self.request_id!r}>"


def check_event_hooks(
    event_hooks: Mapping[str, Any] | None,
) -> tuple[tuple[EventHook, ...], tuple[EventHook, ...]]:
    """``(request hooks, response hooks)`` from the ``event_hooks`` argument, checked."""
    if not event_hooks:
        return (), ()
    if not isinstance(event_hooks, Mapping):
        raise InvalidParameterError("event_hooks", 'must be a mapping {"request": [...], ...}')
    unknown = set(event_hooks) - {"request", "response"}
    if unknown:
        raise InvalidParameterError(
            "event_hooks", f"unknown events {sorted(unknown)!r}; use 'request' and 'response'"
        )
    out: list[tuple[EventHook, ...]] = []
    for event in ("request", "response"):
        hooks = event_hooks.get(event) or ()
        if callable(hooks) or isinstance(hooks, str | bytes):
            raise InvalidParameterError(f"event_hooks[{event!r}]", "must be a list of callables")
        hooks = tuple(hooks)
        for hook in hooks:
            if not callable(hook):
                raise InvalidParameterError(
                    f"event_hooks[{event!r}]", f"{type(hook).__name__} is not callable"
                )
        out.append(hooks)
    return out[0], out[1]


async def auth_headers(auth: Callable[[], Any]) -> list[tuple[bytes, bytes]]:
    """Call the custom ``api_key`` callable; its key or headers, as credential header bytes.

    Errors never show the returned value.
    """
    value = auth()
    if inspect.isawaitable(value):
        value = await value
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str):
        if not value.strip() or not value.isascii() or any(c in value for c in "\r\n\0 \t"):
            raise InvalidParameterError(
                "api_key",
                "the callable returned an empty key, or one with whitespace, control "
                "or non-ASCII characters",
            )
        return [(b"Authorization", RedactedBytes(b"Bearer " + value.encode("ascii")))]
    if isinstance(value, Mapping):
        out: list[tuple[bytes, bytes]] = []
        for name, header in value.items():
            if isinstance(header, SecretStr):
                header = header.get_secret_value()
            validate_header_value(name, header, "api_key()")
            if name.lower() in PROTECTED - {"authorization"}:
                raise InvalidParameterError(
                    f"api_key()[{name!r}]", "this header is set by the client"
                )
            out.append((name.encode("latin-1"), RedactedBytes(header.encode("latin-1"))))
        if not out:
            raise InvalidParameterError("api_key", "the callable returned no headers")
        return out
    raise InvalidParameterError(
        "api_key",
        f"the callable must return a str or a mapping of headers, not {type(value).__name__}",
    )
