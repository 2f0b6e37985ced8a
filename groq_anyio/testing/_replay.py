"""Replaying recorded Groq exchanges: the server answers each request with a recording.

A recording is one JSON file in the format of the conformance corpus (``tests/data/
groq-traffic``) and of :class:`~groq_anyio.testing.GroqRecorder`::

    {"request": {"method", "path", "headers", "body"},
     "response": {"status", "headers", "body_text" | "body_base64"}, "kind", "source"}

``request.body`` is the JSON body as a value (or a string describing a form upload).

Theory of operation
-------------------
:class:`Replay` is the server's default reply when ``GroqTestServer(replay=...)`` is given. For
each request it takes the first unused recording with the same method and path (query string
ignored) whose JSON body equals the request's; failing that, the first unused one with the same
method and path; failing that, when ``cycle`` is on, the same search over every recording.
A request that nothing matches gets a 501 ``replay_miss`` error naming the request, so a test
fails loudly instead of talking to something invented. SSE bodies are sent one event per write,
as they arrived; other bodies in one piece. Framing and transport headers of the recording
(``content-length``, ``transfer-encoding``, ``content-encoding``, ``connection``) are dropped;
the server frames the body itself.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Final

from ._exchange import RecordedRequest, Reply
from ._replies import ErrorReply, RawReply

__all__ = ["Recording", "Replay", "load_recordings"]

_DROP: Final = frozenset(
    {"content-length", "transfer-encoding", "content-encoding", "connection", "keep-alive"}
)


@dataclass(frozen=True)
class Recording:
    """One recorded exchange (see the module for the file format)."""

    method: str
    path: str
    body: Any
    status: int
    headers: list[tuple[str, str]]
    content: bytes
    name: str = ""

    @classmethod
    def from_json(cls, doc: dict[str, Any], name: str = "") -> Recording:
        """A recording from its decoded JSON file (``name``: where it came from, for messages)."""
        request, response = doc["request"], doc["response"]
        if "body_base64" in response:
            content = base64.b64decode(response["body_base64"])
        else:
            content = str(response.get("body_text", "")).encode("utf-8")
        headers = [
            (str(k).lower(), str(v))
            for k, v in (response.get("headers") or {}).items()
            if str(k).lower() not in _DROP
        ]
        return cls(
            method=str(request.get("method", "POST")).upper(),
            path=str(request["path"]).partition("?")[0],
            body=request.get("body"),
            status=int(response["status"]),
            headers=headers,
            content=content,
            name=name,
        )

    def reply(self) -> Reply:
        """The recorded response as a :class:`Reply` (an event stream is sent event by event)."""
        ctype = next((v for k, v in self.headers if k == "content-type"), "")
        if ctype.startswith("text/event-stream"):
            return RawReply(self.status, self.headers, _events(self.content))
        return RawReply(self.status, self.headers, self.content)


def _events(content: bytes) -> list[bytes]:
    """``content`` cut after each blank line (``\\n\\n``), byte for byte."""
    pieces: list[bytes] = []
    start = 0
    while (at := content.find(b"\n\n", start)) >= 0:
        pieces.append(content[start : at + 2])
        start = at + 2
    if start < len(content) or not pieces:
        pieces.append(content[start:])
    return pieces


def load_recordings(
    sources: Iterable[str | PathLike[str]] | str | PathLike[str],
) -> list[Recording]:
    """The recordings in ``sources``: JSON files, and folders (their ``*.json``, sorted)."""
    if isinstance(sources, str | PathLike):
        sources = [sources]
    out: list[Recording] = []
    for source in sources:
        path = Path(source)
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        for file in files:
            doc = json.loads(file.read_text("utf-8"))
            if isinstance(doc, dict) and "request" in doc and "response" in doc:
                out.append(Recording.from_json(doc, file.name))
    return out


def _same_body(recorded: Any, req: RecordedRequest) -> bool:
    if recorded is None:
        return not req.body
    if isinstance(recorded, str):
        return False  # a description of a form upload: matched by path only
    try:
        return bool(json.loads(req.body) == recorded)
    except ValueError:
        return False


class Replay:
    """A ``request -> reply`` function over recordings (the server's default with ``replay=``).

    Args:
        recordings: what to replay, in order.
        cycle: when every recording matching a request has been used, start over
            (``False``: a further request gets the 501 ``replay_miss``).
    """

    def __init__(self, recordings: Iterable[Recording], *, cycle: bool = True) -> None:
        self.recordings = list(recordings)
        self.cycle = cycle
        self.used: list[bool] = [False] * len(self.recordings)
        self.misses: list[RecordedRequest] = []
        self._lock = threading.Lock()  # the server may run in a thread; picks are quick

    def _pick(self, req: RecordedRequest, fresh_only: bool) -> int | None:
        method, route = req.method, req.route
        candidates = [
            i
            for i, r in enumerate(self.recordings)
            if r.method == method and r.path == route and (not fresh_only or not self.used[i])
        ]
        for i in candidates:
            if _same_body(self.recordings[i].body, req):
                return i
        return candidates[0] if candidates else None

    def __call__(self, req: RecordedRequest) -> Reply:
        with self._lock:
            index = self._pick(req, True)
            if index is None and self.cycle:
                index = self._pick(req, False)
            if index is None:
                self.misses.append(req)
                message = f"no recorded exchange matches {req.method} {req.route}"
                return ErrorReply(501, message, type="replay_miss", code="replay_miss")
            self.used[index] = True
            return self.recordings[index].reply()
