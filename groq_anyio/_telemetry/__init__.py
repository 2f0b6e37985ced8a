"""Observability and extension points: logging with redaction, optional OpenTelemetry spans and
metrics, event hooks, custom auth.

Cost model: a client gets an :class:`~groq_anyio._telemetry._call.Instrument` only when it has
something to do (telemetry on, DEBUG logging on for ``groq_anyio`` when the client was made,
event hooks, a callable ``api_key``). Without one the pipeline's only extra work is a ``None``
test per step; ``opentelemetry`` is imported only when telemetry is on.

When is telemetry on? ``AsyncGroq(telemetry=...)``:

- ``None`` (default): on if the application has already imported OpenTelemetry and set a global
  tracer or meter provider (``trace.set_tracer_provider(...)``) before making the client, unless
  ``OTEL_SDK_DISABLED=true``. Nothing is imported to find out.
- ``True``: on, with the global providers (``opentelemetry-api`` must be installed).
- a :class:`Telemetry`: on, with its providers and content-capture setting.
- ``False``: off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._errors import InvalidParameterError
from ._redact import install_log_redaction, setup_env_logging

if TYPE_CHECKING:
    from .._config import ClientConfig
    from ._call import Instrument

__all__ = ["Telemetry", "build_instrument", "install_log_redaction", "setup_env_logging"]

_CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


class Telemetry:
    """OpenTelemetry settings of a client (pass as ``AsyncGroq(telemetry=Telemetry(...))``).

    Args:
        tracer_provider: where spans go (default: the global provider).
        meter_provider: where metrics go (default: the global provider).
        capture_content: record the request messages and the reply
            (``gen_ai.input.messages`` / ``gen_ai.output.messages``). ``None`` (default) reads
            ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` (``true``, ``SPAN_ONLY`` or
            ``SPAN_AND_EVENT`` turn it on); off unless asked: messages can hold personal data.
    """

    __slots__ = ("tracer_provider", "meter_provider", "capture_content")

    def __init__(
        self,
        *,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        capture_content: bool | None = None,
    ) -> None:
        if capture_content is not None and not isinstance(capture_content, bool):
            raise InvalidParameterError("telemetry.capture_content", "must be a bool or None")
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.capture_content = capture_content

    def __repr__(self) -> str:
        return (
            f"Telemetry(tracer_provider={self.tracer_provider!r}, "
            f"meter_provider={self.meter_provider!r}, capture_content={self.capture_content!r})"
        )


def _require_api() -> None:
    try:
        from . import _otel  # noqa: F401 (imports opentelemetry)
    except ImportError:
        raise InvalidParameterError(
            "telemetry", "needs opentelemetry-api: pip install 'groq-anyio[otel]'"
        ) from None


def capture_from_env(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    value = env.get(_CAPTURE_ENV, "").strip().lower()
    return value in ("true", "1", "span_only", "span_and_event")


def otel_configured() -> bool:
    """Whether the application set a global OpenTelemetry provider (nothing is imported)."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    trace = sys.modules.get("opentelemetry.trace")
    if trace is not None and not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return True
    metrics = sys.modules.get("opentelemetry.metrics")
    if metrics is not None:
        provider = metrics.get_meter_provider()
        if type(provider).__name__ not in ("_ProxyMeterProvider", "NoOpMeterProvider"):
            return True
    return False


def check_telemetry(value: object) -> bool | Telemetry | None:
    """The ``telemetry`` argument, checked (asking for it needs ``opentelemetry-api``)."""
    if value is True or isinstance(value, Telemetry):
        _require_api()
        return value
    if value is None or isinstance(value, bool):
        return value
    raise InvalidParameterError(
        "telemetry", f"must be None, a bool or a Telemetry, not {type(value).__name__}"
    )


#: (tracer provider, meter provider, capture) -> OTel: instruments are created once per meter
_OTEL_CACHE: dict[tuple[int, int, bool], tuple[Any, Any, Any]] = {}


def _otel_for(factory: Any, tracer_provider: Any, meter_provider: Any, capture: bool) -> Any:
    key = (id(tracer_provider), id(meter_provider), capture)
    hit = _OTEL_CACHE.get(key)
    if hit is not None and hit[0] is tracer_provider and hit[1] is meter_provider:
        return hit[2]
    otel = factory(tracer_provider, meter_provider, capture)
    if len(_OTEL_CACHE) >= 32:
        _OTEL_CACHE.clear()
    _OTEL_CACHE[key] = (tracer_provider, meter_provider, otel)
    return otel


def build_instrument(config: ClientConfig) -> Instrument | None:
    """The client's instrument, or ``None`` when there is nothing to observe or extend."""
    import logging

    setting = config.telemetry
    otel = None
    if setting is True or isinstance(setting, Telemetry) or (setting is None and otel_configured()):
        _require_api()
        from ._otel import OTel

        if isinstance(setting, Telemetry):
            capture = setting.capture_content
            otel = _otel_for(
                OTel,
                setting.tracer_provider,
                setting.meter_provider,
                capture_from_env() if capture is None else capture,
            )
        else:
            otel = _otel_for(OTel, None, None, capture_from_env())
    debug = logging.getLogger("groq_anyio.http").isEnabledFor(logging.DEBUG)
    request_hooks, response_hooks = config.request_hooks, config.response_hooks
    auth = config.auth
    if otel is None and not debug and not request_hooks and not response_hooks and auth is None:
        return None
    from ._call import Instrument

    return Instrument(
        otel=otel,
        debug=debug,
        request_hooks=request_hooks,
        response_hooks=response_hooks,
        auth=auth,
        address=config.host,
        port=config.port,
    )
