"""The documented shape of ``--save-result`` JSON (docs/benchmarking.md), as msgspec Structs.

vLLM's keys come first and mean what they mean in ``vllm bench serve`` result files; the
``mean_/median_/std_/p<P>_<metric>_ms`` keys exist for each metric of ``--percentile-metrics``
and each percentile of ``--metric-percentiles`` (checked by :func:`validate_result`). The
harness's own figures are under ``"groq_anyio"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from ._stats import format_percentile

__all__ = ["ClientShape", "GroqAnyioShape", "ResultShape", "validate_result"]


class LagShape(msgspec.Struct):
    mean: float
    p99: float
    max: float
    samples: float


class ClientShape(msgspec.Struct):
    processes: int
    backend: str
    http_version: str
    cpu_s: float
    wall_s: float
    cpu_fraction: float
    chunks: int
    cpu_per_chunk_us: float
    loop_lag_ms: LagShape
    lag_threshold_ms: float
    bottleneck: bool
    warnings: list[str]
    preconnected: int


class GroqAnyioShape(msgspec.Struct):
    interrupted: bool
    #: where ttfts, latencies and ttfbs start: "sent" (the request handed to the network) or
    #: "call" (the client's call, vLLM's origin)
    latency_from: str
    errors_by_class: dict[str, int]
    ttfb_ms: dict[str, float]
    #: the client's share before the request was sent (call -> sent), statistics in ms
    client_send_ms: dict[str, float]
    #: completed requests whose send was not stamped (measured from their call)
    sent_unknown: int
    server_timings_ms: dict[str, dict[str, float]]
    client: ClientShape
    request_ids: list[str | None]
    ttfbs: list[float | None]
    #: per request: seconds from the call to the request sent (None: not stamped)
    client_send_times: list[float | None]
    server_total_times: list[float | None]
    server_queue_times: list[float | None]
    tokens_per_second: list[int]


class ResultShape(msgspec.Struct):
    # run description (as vLLM writes it)
    date: str
    endpoint_type: str
    backend: str
    label: str | None
    model_id: str
    tokenizer_id: str | None
    num_prompts: int
    request_rate: float | str
    burstiness: float
    max_concurrency: int | None
    # results
    duration: float
    completed: int
    failed: int
    total_input_tokens: int
    total_output_tokens: int
    request_throughput: float
    request_goodput: float | None
    output_throughput: float
    total_token_throughput: float
    input_lens: list[int]
    output_lens: list[int]
    ttfts: list[float]
    itls: list[list[float]]
    latencies: list[float]
    start_times: list[float]
    queue_times: list[float]
    generated_texts: list[str]
    errors: list[str]
    max_output_tokens_per_s: float
    max_concurrent_requests: int
    groq_anyio: GroqAnyioShape


def validate_result(doc: Any, metrics: Sequence[str], percentiles: Sequence[float]) -> ResultShape:
    """Check ``doc`` (decoded JSON) against the shape; raises ``msgspec.ValidationError``."""
    shape = msgspec.convert(doc, ResultShape)
    n = shape.num_prompts
    if shape.groq_anyio.latency_from not in ("sent", "call"):
        raise msgspec.ValidationError(f"latency_from is {shape.groq_anyio.latency_from!r}")
    ours = doc["groq_anyio"]
    columns = [(key, doc[key]) for key in ("input_lens", "output_lens", "ttfts", "itls")]
    columns += [(key, doc[key]) for key in ("latencies", "errors")]
    columns += [(key, ours[key]) for key in ("request_ids", "ttfbs", "client_send_times")]
    for key, column in columns:
        if len(column) != shape.completed + shape.failed or (
            not shape.groq_anyio.interrupted and len(column) != n
        ):
            raise msgspec.ValidationError(f"{key} has {len(column)} entries")
    for name in metrics:
        keys = [f"mean_{name}_ms", f"median_{name}_ms", f"std_{name}_ms"]
        keys += [f"p{format_percentile(p)}_{name}_ms" for p in percentiles]
        for key in keys:
            value = doc.get(key)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise msgspec.ValidationError(f"{key} is missing or not a number")
    return shape
