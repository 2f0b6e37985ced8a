"""groq_anyio: a fast, leak-proof async client for the Groq API, on asyncio and trio.

>>> from groq_anyio import AsyncGroq
>>> async with AsyncGroq() as client:
...     c = await client.chat.completions.create(model=..., messages=[...])
"""

from ._client import NOT_GIVEN as NOT_GIVEN
from ._client import AsyncGroq as AsyncGroq
from ._client import NotGiven as NotGiven
from ._config import DEFAULT_BASE_URL as DEFAULT_BASE_URL
from ._config import SecretStr as SecretStr
from ._config import Timeout as Timeout
from ._errors import APIConnectionError as APIConnectionError
from ._errors import APIError as APIError
from ._errors import APIResponseValidationError as APIResponseValidationError
from ._errors import APIStatusError as APIStatusError
from ._errors import APITimeoutError as APITimeoutError
from ._errors import AuthenticationError as AuthenticationError
from ._errors import BadRequestError as BadRequestError
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
from ._errors import ModelNotFoundError as ModelNotFoundError
from ._errors import NotFoundError as NotFoundError
from ._errors import PermissionDeniedError as PermissionDeniedError
from ._errors import RateLimitError as RateLimitError
from ._errors import RequestTooLargeError as RequestTooLargeError
from ._errors import ServiceUnavailableError as ServiceUnavailableError
from ._errors import ToolUseFailedError as ToolUseFailedError
from ._errors import UnprocessableEntityError as UnprocessableEntityError
from ._streaming import ChatStream as ChatStream
from ._timings import Timings as Timings
from ._version import __version__ as __version__

__all__ = [
    # the client
    "AsyncGroq",
    "ChatStream",
    "Timeout",
    "Timings",
    "SecretStr",
    "NOT_GIVEN",
    "NotGiven",
    "DEFAULT_BASE_URL",
    "__version__",
    # errors
    "GroqError",
    "InvalidParameterError",
    "ClientClosedError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "APIResponseValidationError",
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
    "UnprocessableEntityError",
    "FailedDependencyError",
    "RateLimitError",
    "FlexCapacityError",
    "ClientClosedRequestError",
    "InternalServerError",
    "ServiceUnavailableError",
]

# show the public names as living here, not in private modules
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("groq_anyio._"):
        try:
            _obj.__module__ = __name__
        except (AttributeError, TypeError):  # pragma: no cover
            pass
del _name, _obj
