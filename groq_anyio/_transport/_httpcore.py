"""The one list of what this package takes from httpcore beyond its public interface.

Everything that reaches into httpcore's internals is gated on :data:`KNOWN_HTTPCORE`: the
httpcore releases the whole test suite has run against. With any other release the public,
slower paths are taken (``httpcore.Request()`` is built normally; HTTP/2 runs on httpcore's own
``AsyncHTTP2Connection`` without the fixes of :mod:`._h2`). Why httpcore 1.0.x and not its
fork httpcore2: docs/architecture.md ("Which httpcore").

Internals relied on (httpcore 1.0.9):

- ``httpcore.Request``: the attributes ``method``, ``url``, ``headers``, ``stream``,
  ``extensions`` (set directly by :func:`._request.build_request`).
- ``httpcore._async.http2.HTTPConnectionState`` and these members of
  ``httpcore.AsyncHTTP2Connection`` (subclassed by :class:`._h2.HTTP2Connection`):
  ``_h2_state``, ``_events``, ``_state``, ``_state_lock``, ``_init_lock``, ``_read_lock``,
  ``_write_lock``, ``_request_count``, ``_expire_at``, ``_sent_connection_init``,
  ``_connection_terminated``, ``_connection_error``, ``_read_exception``, ``_write_exception``,
  ``_used_all_stream_ids``, ``_network_stream``, ``_keepalive_expiry``, ``_max_streams``,
  ``_max_streams_semaphore``, ``READ_NUM_BYTES``, and the methods ``_send_connection_init``,
  ``_send_request_headers``, ``_send_request_body``, ``_send_stream_data``,
  ``_receive_response``, ``_receive_stream_event``, ``_receive_events``,
  ``_read_incoming_data``, ``_receive_remote_settings_change``, ``_wait_for_outgoing_flow``,
  ``_write_outgoing_data``, ``_response_closed`` (called or overridden).

``tests/test_import_rules.py`` checks this list: every private httpcore module imported, and
every private member of an httpcore class that a subclass here touches, must be named above.
"""

from __future__ import annotations

import sys

__all__ = ["KNOWN_HTTPCORE", "TESTED_HTTPCORE"]

#: the httpcore releases whose internals are known (the suite ran against each)
TESTED_HTTPCORE = ("1.0.9",)


def _import_httpcore() -> None:
    """Import httpcore, without the eager ``import trio`` of its lock module when nothing has
    imported trio yet (about a third of creating the first client when trio is installed).

    Only httpcore's own locks and shields use that import, and on the known releases this
    package never runs them: every lock of our connections is :mod:`._locks`', and the
    trio network code is ours (:mod:`._backends._trio`). On any other release the lock module
    is loaded again, with trio.
    """
    if "httpcore" in sys.modules or "trio" in sys.modules:
        return
    sys.modules["trio"] = None  # type: ignore[assignment]  # makes `import trio` fail
    try:
        import httpcore
    finally:
        del sys.modules["trio"]
    if httpcore.__version__ not in TESTED_HTTPCORE:  # pragma: no cover
        import importlib

        importlib.reload(sys.modules["httpcore._synchronization"])


_import_httpcore()

import httpcore  # noqa: E402

KNOWN_HTTPCORE = httpcore.__version__ in TESTED_HTTPCORE
