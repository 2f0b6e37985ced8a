"""The exception tree, and the one place that maps status codes and error bodies onto it.

Names follow the official ``groq`` SDK (``APIError``, ``APIStatusError``, ``BadRequestError``, ...)
so ``except`` clauses carry over; Groq-specific conditions get subclasses of the matching status
class (``ContextLengthExceededError`` is a ``BadRequestError``), so catching the broad class keeps
working.

Every API error carries ``status_code``, ``code``, ``type``, ``param``, ``request_id`` and
``retryable``. Errors raised from inside a stream after HTTP 200 (Groq's in-band errors) are the
same classes, with ``in_stream=True`` and the partial content received so far in ``partial``.

Nothing here ever formats a header value or a request: the API key cannot reach a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._headers import Headers

if TYPE_CHECKING:
    from ._transport import RawResponse

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "TLSVerificationError",
    "AuthenticationError",
    "BadRequestError",
    "CircuitOpenError",
    "ClientClosedError",
    "ClientClosedRequestError",
    "ConflictError",
    "ContentFilterError",
    "ContextLengthExceededError",
    "ErrorResponseInfo",
    "FailedDependencyError",
    "FlexCapacityError",
    "GroqError",
    "InternalServerError",
    "InvalidParameterError",
    "ModelCapabilityError",
    "ModelNotFoundError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestCancelledError",
    "RequestTooLargeError",
    "ResponseTooLargeError",
    "ServiceUnavailableError",
    "StreamStateError",
    "ToolUseFailedError",
    "UnprocessableEntityError",
    "UnexpectedRedirectError",
    "invalid_response",
    "make_status_error",
]


class GroqError(Exception):
    """Base of every exception this library raises on purpose."""


class InvalidParameterError(GroqError, ValueError):
    """A call's argument is wrong; raised before anything is sent.

    ``param`` names the parameter (dotted/indexed path such as ``messages[2].tool_call_id``).
    """

    def __init__(self, param: str, message: str) -> None:
        self.param = param
        self.message = message
        super().__init__(f"{param}: {message}")


class ModelCapabilityError(InvalidParameterError):
    """The request asks ``model`` for something Groq documents it cannot do (images to a model
    without vision, a prompt far beyond its context window, a chat model for transcription, ...).

    Raised before sending, only for models the client knows (see ``docs/usage.md``); pass
    ``check_capabilities=False`` to the call to send it anyway.
    """

    def __init__(self, param: str, message: str, *, model: str) -> None:
        self.model = model
        super().__init__(param, message)


class ClientClosedError(GroqError, RuntimeError):
    """The client (or a stream) was used after ``aclose()``."""


class APIError(GroqError):
    """An error talking to the API: a status error, a transport failure or an undecodable reply."""

    status_code: int | None = None
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        request_id: str | None = None,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
        body: Any = None,
        request: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        #: what the official SDK keeps here (an ``httpx.Request``) when code builds the error
        #: the SDK's way; the client itself sets nothing (there is no httpx request)
        self.request = request
        self.request_id = request_id
        self.code = code
        self.type = type
        self.param = param
        self.body = body
        #: how many attempts were made before this error was raised (set by the pipeline;
        #: 0 when the call failed before sending anything, e.g. on an open circuit)
        self.attempts = 1

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled as its attributes (a worker process, a task queue): the subclasses'
        # keyword-only constructors cannot be called again with ``args`` alone
        return (_restore, (type(self), self.args, dict(self.__dict__)))

    def __str__(self) -> str:
        parts = [self.message]
        if self.status_code is not None:
            parts.insert(0, f"[{self.status_code}]")
        if self.code:
            parts.append(f"(code={self.code})")
        if self.request_id:
            parts.append(f"(request_id={self.request_id})")
        return " ".join(parts)


def _restore(cls: type[APIError], args: tuple[Any, ...], state: dict[str, Any]) -> APIError:
    """Unpickle an :class:`APIError` (see ``APIError.__reduce__``) without calling ``__init__``."""
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class APIConnectionError(APIError):
    """The request could not be completed at the transport level (connect, TLS, reset, ...)."""

    retryable = True

    def __init__(self, message: str = "Connection error.", **kw: Any) -> None:
        super().__init__(message, **kw)


class APITimeoutError(APIConnectionError):
    """The call's deadline (or a connect/read/write/pool limit) passed."""

    def __init__(self, message: Any = "Request timed out.", **kw: Any) -> None:
        if not isinstance(message, str):  # the SDK's APITimeoutError(request)
            kw.setdefault("request", message)
            message = "Request timed out."
        super().__init__(message, **kw)


class TLSVerificationError(APIConnectionError):
    """The server's TLS certificate could not be verified (unknown issuer, wrong host name,
    expired). Not transient, so never retried and never counted by the circuit breaker: pass
    ``verify=<path to a CA bundle>`` for a private CA, or fix the server's certificate."""

    retryable = False


class RequestCancelledError(APIConnectionError):
    """Reserved for a server-side cancel of the request (Groq's 499)."""


class CircuitOpenError(APIError):
    """The client's circuit breaker is open: the service failed too often in a row, so calls
    fail fast, without sending, until the breaker lets probes through again.

    ``retry_after`` is how many seconds remain until then (``0.0`` when the circuit is
    half-open and its probes are all in flight); ``failures`` is how many consecutive failures
    opened it. The error that tripped the breaker, when this call had one, is ``__cause__``.
    """

    retryable = False

    def __init__(
        self, message: str, *, retry_after: float, failures: int, state: str = "open"
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.failures = failures
        self.state = state
        self.attempts = 0


class APIResponseValidationError(APIError):
    """The server answered with something that does not decode as the documented type."""


def invalid_response(
    raw: RawResponse, data: bytes, what: str, exc: Exception
) -> APIResponseValidationError:
    """The error for a response body that is not ``what`` (to ``raise ... from None``)."""
    return APIResponseValidationError(
        f"the response is not {what}: {exc}",
        request_id=raw.header(b"x-request-id"),
        body=data[:2000].decode("utf-8", "replace"),
    )


class ResponseTooLargeError(APIError):
    """A response passed one of the client's size limits (see :class:`~groq_anyio.ResponseLimits`):
    its body, one stream event, or what a stream accumulated. The connection was closed.

    ``limit`` is the limit in bytes and ``setting`` the name of the setting that sets it
    (``ResponseLimits.json_body``, ...). Not retryable: the same request would get the same
    answer.
    """

    retryable = False

    def __init__(self, message: str, *, limit: int, setting: str, **kw: Any) -> None:
        super().__init__(f"{message} (limit {limit} bytes, set by {setting})", **kw)
        self.limit = limit
        self.setting = setting


class StreamStateError(GroqError, RuntimeError):
    """A stream was asked for something its state cannot give: ``get_final_completion()``
    before the stream was iterated, or on a stream created with accumulation switched off."""


class APIStatusError(APIError):
    """The server answered with an error status (or an in-band error inside a stream)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
        in_stream: bool = False,
        partial: Any = None,
        failed_generation: str | None = None,
        retry_after: float | None = None,
        response: Any = None,
        **kw: Any,
    ) -> None:
        content: bytes | None = None
        if response is not None:
            # the official SDK's form, ``APIStatusError(message, response=..., body=...)`` (as
            # tests written for it build errors): status, headers and body from the response
            if status_code is None:
                status_code = int(response.status_code)
            if headers is None:
                headers = dict(response.headers)
            raw = getattr(response, "content", None)
            content = raw if isinstance(raw, bytes) else None
            if "request_id" not in kw:
                kw["request_id"] = Headers(headers).get("x-request-id")
        if status_code is None:
            raise TypeError("APIStatusError needs status_code= (or response=)")
        super().__init__(message, **kw)
        self.status_code = status_code
        self.headers: Mapping[str, str] = Headers(headers or {})
        #: seconds the server asked to wait before retrying (``retry-after-ms``, ``retry-after``,
        #: or for a 429 the matching ``x-ratelimit-reset-*``), when it said
        self.retry_after = retry_after
        self.in_stream = in_stream
        #: for in-band stream errors: the ChatCompletion assembled from the chunks received
        self.partial = partial
        self.failed_generation = failed_generation
        #: the error body as received (set by the pipeline; ``None``: rebuilt from ``body``)
        self._content: bytes | None = content

    @property
    def response(self) -> ErrorResponseInfo:
        """The error response, shaped like the ``httpx.Response`` the official SDK puts here:
        ``status_code``, ``headers``, ``content``, ``text``, ``json()``."""
        content = self._content
        if content is None:
            import json

            content = b"" if self.body is None else json.dumps(self.body).encode()
        return ErrorResponseInfo(self.status_code or 0, self.headers, content)


class ErrorResponseInfo:
    """The status, headers and body of an error response (``APIStatusError.response``)."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: Mapping[str, str], content: bytes) -> None:
        self.status_code = status_code
        #: lower-case header names
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body decoded as JSON (``ValueError`` if it is not JSON)."""
        import json

        return json.loads(self.content)

    def read(self) -> bytes:
        return self.content

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def is_error(self) -> bool:
        return self.status_code >= 400

    def __repr__(self) -> str:
        return f"<ErrorResponseInfo [{self.status_code}]>"


class UnexpectedRedirectError(APIStatusError):
    """3xx: the server (or a proxy in front of it) redirected the request. Redirects are not
    followed (the request carries the API key and a billed body), so this names the status and
    ``location`` (the ``Location`` header, ``None`` if absent): usually ``base_url`` is wrong
    (``http`` for ``https``, a missing path, an old host). Never retried."""

    def __init__(self, message: str, *, location: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.location = location


class BadRequestError(APIStatusError):
    """400: the request is invalid (a bad parameter, an unsupported value); ``param`` names the
    field when the server says which. Not retried."""


class ContextLengthExceededError(BadRequestError):
    """400 with code ``context_length_exceeded``: the messages (plus ``max_completion_tokens``)
    do not fit the model's context window; shorten them or pick a model with a longer one."""


class ContentFilterError(BadRequestError):
    """400 with code ``content_filter`` or ``content_policy_violation``: the input or the output
    was blocked by a content policy."""


class ToolUseFailedError(BadRequestError):
    """The model produced a tool call that failed validation; ``failed_generation`` has it."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, wrong or revoked. Its message never contains the key, even
    when the server echoes it."""


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but may not do this (organisation or project settings, a model or
    a feature not enabled for it, a blocked region)."""


class NotFoundError(APIStatusError):
    """404: no such resource (a file, a batch, a URL path), or a model that was decommissioned
    (code ``model_decommissioned``)."""


class ModelNotFoundError(NotFoundError):
    """404 with code ``model_not_found``: the model does not exist or the key has no access to
    it; ``client.models.list()`` shows the ones it can use."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the state of a resource (for example a batch being
    cancelled). Retryable, as in the official SDK."""

    retryable = True


class RequestTooLargeError(APIStatusError):
    """413: the request body is larger than the server accepts (an upload, a long prompt)."""


class UnprocessableEntityError(APIStatusError):
    """422: the request is well-formed but its values cannot be processed."""


class FailedDependencyError(APIStatusError):
    """424: a service the request depends on failed (for example a remote MCP server or a
    built-in tool of a compound model)."""


class RateLimitError(APIStatusError):
    """429. ``retry_after`` (seconds) is set when the server said how long to wait.

    Also raised without sending when the client's rate-limit tracker knows no request (or no
    token) is left until a reset further away than the retry policy's ``max_retry_after`` or
    the call's deadline; then ``attempts`` counts only the attempts actually sent.
    """

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, retry_after=retry_after, **kw)


class FlexCapacityError(APIStatusError):
    """498: the flex service tier is out of capacity right now; retry later."""

    retryable = True


class ClientClosedRequestError(APIStatusError):
    """499: the request was cancelled before the server finished it."""


class InternalServerError(APIStatusError):
    """5xx: the server failed. Retryable, and counted by the circuit breaker; any 5xx without a
    subclass of its own is this class."""

    retryable = True


class ServiceUnavailableError(InternalServerError):
    """503: the service is overloaded or down for maintenance; retried after ``retry_after`` when
    the server sends one."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: APIStatusError,
    409: ConflictError,
    413: RequestTooLargeError,
    422: UnprocessableEntityError,
    424: FailedDependencyError,
    429: RateLimitError,
    498: FlexCapacityError,
    499: ClientClosedRequestError,
    503: ServiceUnavailableError,
}

_BY_CODE: dict[str, type[APIStatusError]] = {
    "context_length_exceeded": ContextLengthExceededError,
    "content_filter": ContentFilterError,
    "content_policy_violation": ContentFilterError,
    "tool_use_failed": ToolUseFailedError,
    "model_not_found": ModelNotFoundError,
    "model_decommissioned": NotFoundError,
}

#: retried (and, for 5xx, 408 and 498, counted by the circuit breaker): as the official SDK,
#: every 5xx, plus 408, 409, 429 and Groq's 498
_RETRYABLE_STATUS = frozenset({408, 409, 429, 498, *range(500, 600)})


def _error_fields(body: Any) -> dict[str, Any]:
    """Pull ``{"error": {...}}`` apart; tolerate anything else (a string, HTML, ``null``)."""
    if isinstance(body, Mapping):
        err = body.get("error", body)
        if isinstance(err, Mapping):
            return dict(err)
        if isinstance(err, str):
            return {"message": err}
    return {}


def make_status_error(
    status_code: int,
    body: Any,
    *,
    headers: Mapping[str, str] | None = None,
    raw_text: str | None = None,
    in_stream: bool = False,
    partial: Any = None,
    retry_after: float | None = None,
) -> APIStatusError:
    """Build the right exception for a status code and a decoded error body.

    ``body`` is the decoded JSON (or ``None`` when it did not decode; then ``raw_text`` becomes
    the message). This is the only function that chooses an ``APIStatusError`` subclass.
    """
    fields = _error_fields(body)
    code = fields.get("code")
    code = str(code) if code is not None else None
    message = fields.get("message")
    if not isinstance(message, str) or not message:
        message = (raw_text or "").strip()[:500] or f"HTTP {status_code}"
    base = _BY_STATUS.get(status_code)
    if base is None:
        base = InternalServerError if status_code >= 500 else APIStatusError
    cls = _BY_CODE.get(code or "")
    if cls is None or not issubclass(cls, base):
        # a code refines the status class, it never moves an error to another status's class
        cls = base
    request_id = None
    if headers is not None:
        request_id = headers.get("x-request-id")
    if request_id is None and isinstance(body, Mapping):
        xg = body.get("x_groq")
        if isinstance(xg, Mapping) and isinstance(xg.get("id"), str):
            request_id = xg["id"]
    param = fields.get("param")
    failed = fields.get("failed_generation")
    kw: dict[str, Any] = {
        "status_code": status_code,
        "headers": headers,
        "request_id": request_id,
        "code": code,
        "type": fields.get("type") if isinstance(fields.get("type"), str) else None,
        "param": param if isinstance(param, str) else None,
        "body": body,
        "in_stream": in_stream,
        "partial": partial,
        "failed_generation": failed if isinstance(failed, str) else None,
    }
    if 300 <= status_code < 400 and not in_stream:
        location = headers.get("location") if headers is not None else None
        redirect = UnexpectedRedirectError(
            f"unexpected redirect: HTTP {status_code} to {location!r} (redirects are not "
            "followed; check base_url)",
            location=location,
            retry_after=retry_after,
            **kw,
        )
        redirect.retryable = False
        return redirect
    err = cls(message, retry_after=retry_after, **kw)
    err.retryable = status_code in _RETRYABLE_STATUS
    if headers is not None:
        should = headers.get("x-should-retry")
        if should == "true":
            err.retryable = True
        elif should == "false":
            err.retryable = False
    return err
