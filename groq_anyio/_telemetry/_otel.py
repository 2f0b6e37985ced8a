"""OpenTelemetry spans and metrics (imported only when telemetry is on: it imports the API).

Only ``opentelemetry-api`` is used: the application brings the SDK, its processors, exporters
and readers. Names follow the GenAI semantic conventions (``chat {model}`` spans,
``gen_ai.*`` attributes, the ``gen_ai.client.*`` histograms) plus Groq's own ``groq.*``
attributes and ``groq_*`` metrics; docs/observability.md has the tables.
"""

from __future__ import annotations

from typing import Any, Final

from opentelemetry import metrics, trace
from opentelemetry.trace import Span, SpanKind, StatusCode

from .._version import __version__

__all__ = ["OTel"]

SCOPE: Final = "groq_anyio"
#: gen_ai.client.operation.duration and time_to_first_chunk (the conventions' boundaries)
DURATION_BUCKETS: Final = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
#: gen_ai.client.operation.time_per_output_chunk
CHUNK_BUCKETS: Final = (
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5,
)  # fmt: skip
#: gen_ai.client.token.usage
TOKEN_BUCKETS: Final = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip
#: groq_request_duration_seconds
REQUEST_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
#: groq_streaming_first_token_seconds
FIRST_TOKEN_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5)

_CLIENT = SpanKind.CLIENT
_ERROR = StatusCode.ERROR


class OTel:
    """The tracer and the instruments of one client (shared by its ``with_options`` copies)."""

    def __init__(self, tracer_provider: Any, meter_provider: Any, capture_content: bool) -> None:
        self.tracer = trace.get_tracer(SCOPE, __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter(SCOPE, __version__, meter_provider=meter_provider)
        self.capture_content = capture_content
        self.operation_duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.token_usage = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        )
        self.time_to_first_chunk = meter.create_histogram(
            "gen_ai.client.operation.time_to_first_chunk",
            unit="s",
            description="Time to receive the first chunk of a streamed response",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.time_per_output_chunk = meter.create_histogram(
            "gen_ai.client.operation.time_per_output_chunk",
            unit="s",
            description="Mean time between the chunks of a streamed response (one point per "
            "stream)",
            explicit_bucket_boundaries_advisory=CHUNK_BUCKETS,
        )
        self.requests = meter.create_counter(
            "groq_requests_total", description="Groq API calls by model, operation and status"
        )
        self.tokens = meter.create_counter(
            "groq_tokens_total", description="Tokens used, by model and type (prompt/completion)"
        )
        self.retries = meter.create_counter(
            "groq_retries_total", description="Retried attempts, by model and reason"
        )
        self.request_duration = meter.create_histogram(
            "groq_request_duration_seconds",
            unit="s",
            description="Duration of Groq API calls (streams: until the stream ends)",
            explicit_bucket_boundaries_advisory=REQUEST_BUCKETS,
        )
        self.first_token = meter.create_histogram(
            "groq_streaming_first_token_seconds",
            unit="s",
            description="Time from the call to the first content token of a stream",
            explicit_bucket_boundaries_advisory=FIRST_TOKEN_BUCKETS,
        )
        self.rate_limit_remaining = meter.create_gauge(
            "groq_rate_limit_remaining",
            description="Rate limit left (type=requests|tokens) per the latest response",
        )
        self.circuit_state = meter.create_gauge(
            "groq_circuit_breaker_state",
            description="Circuit breaker state: 0 closed, 1 open, 2 half-open",
        )
        self.last_circuit_state: int | None = None

    def start_call(self, name: str, attributes: dict[str, Any]) -> Span:
        return self.tracer.start_span(name, kind=_CLIENT, attributes=attributes)

    def start_attempt(self, parent: Span, name: str, attributes: dict[str, Any]) -> Span:
        context = trace.set_span_in_context(parent)
        return self.tracer.start_span(name, context=context, kind=_CLIENT, attributes=attributes)

    @staticmethod
    def fail(span: Span, error_type: str, description: str | None = None) -> None:
        span.set_attribute("error.type", error_type)
        span.set_status(_ERROR, description)
