"""Keeping secrets out of log output, and ``GROQ_LOG``.

The ``hpack`` library logs, at DEBUG, every header it encodes or decodes: the header block as
bytes (Huffman-coded, trivially decoded), each header added to the table and each header decoded
(``authorization`` included: the client's encoder shows it ``SENSITIVE_REDACTED``, but the
encoded block, and the decoder of an in-process server, show it whole). An application that calls
``logging.basicConfig(level=logging.DEBUG)`` turns those lines on. :func:`install_log_redaction`
puts a filter on the loggers that write them (``hpack.hpack``, ``hpack.table``, and ``h2`` for an
application that hands h2 a real logger): numbers in their arguments are kept, everything else
becomes ``<redacted>``. A filter on a logger applies to the records logged through it, so it is
set on the exact loggers, which need not exist yet (``getLogger`` creates them; hpack gets the
same objects when it is imported).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Final

__all__ = ["REDACTED_LOGGERS", "SecretFilter", "install_log_redaction", "setup_env_logging"]

#: the loggers whose records may carry request headers
REDACTED_LOGGERS: Final = ("hpack", "hpack.hpack", "hpack.table", "h2", "h2.connection")
REDACTED: Final = "<redacted>"
_LOG_FORMAT: Final = "[%(asctime)s - %(name)s:%(lineno)d - %(levelname)s] %(message)s"


class SecretFilter(logging.Filter):
    """Rewrites a record's arguments: ints, floats and bools stay, anything else is replaced.

    The message template of these libraries never holds data, only their arguments do.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if args:
            if isinstance(args, dict):
                record.args = {k: _safe(v) for k, v in args.items()}
            else:
                record.args = tuple(_safe(a) for a in args)
        elif not isinstance(record.msg, str):
            record.msg = REDACTED  # an object logged as the message itself
        return True


def _safe(value: object) -> object:
    if isinstance(value, int | float):  # (bool is an int)
        return value
    return REDACTED


_installed = False


def install_log_redaction() -> None:
    """Put :class:`SecretFilter` on the header-logging loggers (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    secret_filter = SecretFilter()
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretFilter) for f in logger.filters):
            logger.addFilter(secret_filter)


_env_done = False


def setup_env_logging(environ: dict[str, str] | None = None) -> None:
    """``GROQ_LOG=info|debug`` (as in the official SDK): the ``groq_anyio`` logger at that level,
    with a stderr handler in the SDK's format unless the application configured logging itself.
    Read once, when the first client is created."""
    global _env_done
    env = os.environ if environ is None else environ
    if _env_done and environ is None:
        return
    _env_done = True
    value = env.get("GROQ_LOG", "").strip().lower()
    if value not in ("info", "debug"):
        return
    level = logging.DEBUG if value == "debug" else logging.INFO
    logger = logging.getLogger("groq_anyio")
    logger.setLevel(level)
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_LOG_FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
        logger.addHandler(handler)
