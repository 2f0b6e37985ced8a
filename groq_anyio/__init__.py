"""groq_anyio: a fast, leak-proof async client for the Groq API, on asyncio and trio.

>>> from groq_anyio import AsyncGroq
>>> async with AsyncGroq() as client:
...     c = await client.chat.completions.create(model=..., messages=[...])
"""

import sys

from ._version import __version__ as __version__

# Everything else is imported on first use (PEP 562), so that `import groq_anyio` stays cheap;
# type checkers see the imports below. A new public name goes in both places (and __all__).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._client import AsyncGroq as AsyncGroq
    from ._concurrency import chat_many as chat_many
    from ._concurrency import gather_limited as gather_limited
    from ._config import DEFAULT_BASE_URL as DEFAULT_BASE_URL
    from ._config import CircuitBreakerConfig as CircuitBreakerConfig
    from ._config import ResponseLimits as ResponseLimits
    from ._config import RetryPolicy as RetryPolicy
    from ._config import Timeout as Timeout
    from ._download import BinaryResponse as BinaryResponse
    from ._errors import APIConnectionError as APIConnectionError
    from ._errors import APIError as APIError
    from ._errors import APIResponseValidationError as APIResponseValidationError
    from ._errors import APIStatusError as APIStatusError
    from ._errors import APITimeoutError as APITimeoutError
    from ._errors import AuthenticationError as AuthenticationError
    from ._errors import BadRequestError as BadRequestError
    from ._errors import CircuitOpenError as CircuitOpenError
    from ._errors import ClientClosedError as ClientClosedError
    from ._errors import ClientClosedRequestError as ClientClosedRequestError
    from ._errors import ConflictError as ConflictError
    from ._errors import ContentFilterError as ContentFilterError
    from ._errors import ContextLengthExceededError as ContextLengthExceededError
    from ._errors import FailedDependencyError as FailedDependencyError
    from ._errors import FlexCapacityError as FlexCapacityError
    from ._errors import GroqError as GroqError
    from ._errors import InternalServerError as InternalServerError
    from ._errors import InvalidParameterError as InvalidParameterError
    from ._errors import ModelCapabilityError as ModelCapabilityError
    from ._errors import ModelNotFoundError as ModelNotFoundError
    from ._errors import NotFoundError as NotFoundError
    from ._errors import PermissionDeniedError as PermissionDeniedError
    from ._errors import RateLimitError as RateLimitError
    from ._errors import RequestTooLargeError as RequestTooLargeError
    from ._errors import ResponseTooLargeError as ResponseTooLargeError
    from ._errors import ServiceUnavailableError as ServiceUnavailableError
    from ._errors import StreamStateError as StreamStateError
    from ._errors import TLSVerificationError as TLSVerificationError
    from ._errors import ToolUseFailedError as ToolUseFailedError
    from ._errors import UnexpectedRedirectError as UnexpectedRedirectError
    from ._errors import UnprocessableEntityError as UnprocessableEntityError
    from ._health import HealthStatus as HealthStatus
    from ._notgiven import NOT_GIVEN as NOT_GIVEN
    from ._notgiven import NotGiven as NotGiven
    from ._ratelimit import RateLimitSnapshot as RateLimitSnapshot
    from ._raw import APIResponse as APIResponse
    from ._raw import StreamAlreadyConsumed as StreamAlreadyConsumed
    from ._resilience import CircuitBreaker as CircuitBreaker
    from ._resilience import CircuitState as CircuitState
    from ._responses_stream import ResponseStream as ResponseStream
    from ._secrets import SecretStr as SecretStr
    from ._streaming import ChatStream as ChatStream
    from ._sync import Groq as Groq
    from ._telemetry import Telemetry as Telemetry
    from ._telemetry._hooks import HookRequest as HookRequest
    from ._telemetry._hooks import HookResponse as HookResponse
    from ._timings import StreamLatency as StreamLatency
    from ._timings import Timings as Timings
    from .helpers import StructuredOutputError as StructuredOutputError
    from .helpers import ToolArgumentsError as ToolArgumentsError
    from .resources.batches import BatchResults as BatchResults

#: public name -> the submodule that defines it
_LAZY: dict[str, str] = {
    "NOT_GIVEN": "_notgiven",
    "AsyncGroq": "_client",
    "NotGiven": "_notgiven",
    "chat_many": "_concurrency",
    "gather_limited": "_concurrency",
    "DEFAULT_BASE_URL": "_config",
    "CircuitBreakerConfig": "_config",
    "ResponseLimits": "_config",
    "RetryPolicy": "_config",
    "SecretStr": "_secrets",
    "Timeout": "_config",
    "APIConnectionError": "_errors",
    "APIError": "_errors",
    "APIResponseValidationError": "_errors",
    "APIStatusError": "_errors",
    "APITimeoutError": "_errors",
    "TLSVerificationError": "_errors",
    "AuthenticationError": "_errors",
    "BadRequestError": "_errors",
    "CircuitOpenError": "_errors",
    "ClientClosedError": "_errors",
    "ClientClosedRequestError": "_errors",
    "ConflictError": "_errors",
    "ContentFilterError": "_errors",
    "ContextLengthExceededError": "_errors",
    "FailedDependencyError": "_errors",
    "FlexCapacityError": "_errors",
    "GroqError": "_errors",
    "InternalServerError": "_errors",
    "InvalidParameterError": "_errors",
    "ModelCapabilityError": "_errors",
    "ModelNotFoundError": "_errors",
    "NotFoundError": "_errors",
    "PermissionDeniedError": "_errors",
    "RateLimitError": "_errors",
    "RequestTooLargeError": "_errors",
    "ResponseTooLargeError": "_errors",
    "StreamStateError": "_errors",
    "ServiceUnavailableError": "_errors",
    "ToolUseFailedError": "_errors",
    "UnprocessableEntityError": "_errors",
    "UnexpectedRedirectError": "_errors",
    "BinaryResponse": "_download",
    "HealthStatus": "_health",
    "RateLimitSnapshot": "_ratelimit",
    "APIResponse": "_raw",
    "StreamAlreadyConsumed": "_raw",
    "CircuitBreaker": "_resilience",
    "CircuitState": "_resilience",
    "ResponseStream": "_responses_stream",
    "ChatStream": "_streaming",
    "Groq": "_sync",
    "Telemetry": "_telemetry",
    "HookRequest": "_telemetry._hooks",
    "HookResponse": "_telemetry._hooks",
    "StreamLatency": "_timings",
    "Timings": "_timings",
    "StructuredOutputError": "helpers",
    "ToolArgumentsError": "helpers",
    "BatchResults": "resources.batches",
}

__all__ = [
    # the client
    "AsyncGroq",
    "Groq",
    "ChatStream",
    "ResponseStream",
    "APIResponse",
    "HealthStatus",
    "BinaryResponse",
    "BatchResults",
    "Timeout",
    "Timings",
    "StreamLatency",
    "SecretStr",
    "NOT_GIVEN",
    "NotGiven",
    "DEFAULT_BASE_URL",
    "__version__",
    # resilience: retries, circuit breaker, rate limits, fan-out
    "RetryPolicy",
    "ResponseLimits",
    "CircuitBreakerConfig",
    "CircuitBreaker",
    "CircuitState",
    "RateLimitSnapshot",
    "chat_many",
    "gather_limited",
    # observability and extension points
    "Telemetry",
    "HookRequest",
    "HookResponse",
    # errors
    "GroqError",
    "InvalidParameterError",
    "ModelCapabilityError",
    "ClientClosedError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "TLSVerificationError",
    "APIResponseValidationError",
    "CircuitOpenError",
    "StructuredOutputError",
    "ToolArgumentsError",
    "StreamAlreadyConsumed",
    "APIStatusError",
    "BadRequestError",
    "ContextLengthExceededError",
    "ContentFilterError",
    "ToolUseFailedError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ModelNotFoundError",
    "ConflictError",
    "RequestTooLargeError",
    "ResponseTooLargeError",
    "StreamStateError",
    "UnprocessableEntityError",
    "UnexpectedRedirectError",
    "FailedDependencyError",
    "RateLimitError",
    "FlexCapacityError",
    "ClientClosedRequestError",
    "InternalServerError",
    "ServiceUnavailableError",
]


if not TYPE_CHECKING:  # hidden from type checkers, which would then accept any name

    def __getattr__(name: str) -> object:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(__import__(f"{__name__}.{module}", None, None, [name]), name)
        globals()[name] = value
        _show_as_public()
        return value

    def _show_as_public() -> None:
        # public classes and functions show as living here (groq_anyio.APIError, not
        # groq_anyio._errors.APIError): done for every module imported so far, so that a class
        # reached through another module (an error raised by the client) is covered too
        prefix = __name__ + "."
        # msgspec Structs keep their own module: msgspec (and inspect.signature) resolve a
        # Struct's string annotations in the namespace its __module__ names
        struct = getattr(sys.modules.get("msgspec"), "Struct", None)
        for name, module in _LAZY.items():
            obj = getattr(sys.modules.get(prefix + module), name, None)
            if struct is not None and isinstance(obj, type) and issubclass(obj, struct):
                continue
            if getattr(obj, "__module__", "").startswith(prefix + "_"):
                try:
                    obj.__module__ = __name__
                except (AttributeError, TypeError):  # pragma: no cover
                    pass

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
