"""The ``groq_anyio`` logger, imported only when something is logged.

The client logs rarely (a retry, a circuit breaker opening), so the ``logging`` package is not
imported with the client; an application that configures logging has it imported anyway.
"""

from __future__ import annotations

from typing import Any

LOGGER_NAME = "groq_anyio"


def log_info(msg: str, *args: Any) -> None:
    import logging

    logging.getLogger(LOGGER_NAME).info(msg, *args)


def log_warning(msg: str, *args: Any) -> None:
    import logging

    logging.getLogger(LOGGER_NAME).warning(msg, *args)
