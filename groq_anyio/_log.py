"""The ``groq_anyio`` loggers, imported only when something is logged.

The client logs rarely at WARNING (a retry, the circuit opening, rate limits exhausted, a 401),
so the ``logging`` package is not imported with the client; an application that configures
logging has it imported anyway. Per-request DEBUG lines are written by
:mod:`groq_anyio._telemetry` only when DEBUG was on for these loggers when the client was made.

Child loggers, one per area:

- ``groq_anyio.http``: one line per request and per HTTP attempt (DEBUG), 401s (WARNING);
- ``groq_anyio.stream``: one line per stream end (DEBUG);
- ``groq_anyio.resilience``: retries (WARNING, with reason and wait), rate limits exhausted.

Every line carries its fields in ``extra=`` (``groq_method``, ``groq_url``, ``groq_status``,
``groq_request_id``, ``groq_attempt``, ``groq_duration_ms``, ...), so JSON log handlers get them
as record attributes. Nothing logged here ever contains the API key or a request header.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

LOGGER_NAME: Final = "groq_anyio"
HTTP: Final = "groq_anyio.http"
STREAM: Final = "groq_anyio.stream"
RESILIENCE: Final = "groq_anyio.resilience"


def log_info(
    msg: str, *args: Any, logger: str = LOGGER_NAME, extra: Mapping[str, Any] | None = None
) -> None:
    import logging

    logging.getLogger(logger).info(msg, *args, extra=extra)


def log_warning(
    msg: str, *args: Any, logger: str = LOGGER_NAME, extra: Mapping[str, Any] | None = None
) -> None:
    import logging

    logging.getLogger(logger).warning(msg, *args, extra=extra)


def log_debug(
    msg: str, *args: Any, logger: str = LOGGER_NAME, extra: Mapping[str, Any] | None = None
) -> None:
    import logging

    logging.getLogger(logger).debug(msg, *args, extra=extra)
