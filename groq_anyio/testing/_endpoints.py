"""The Groq endpoints beyond chat, for the local server: models (list, retrieve, delete), files,
batches, embeddings and text to speech.

Theory of operation
-------------------
:class:`~groq_anyio.testing.ChatScript` hands every request to :func:`handle_endpoint` first;
it answers the paths below and returns ``True``, or returns ``False`` to let the script route
the request (chat, or Groq's 404).

State lives per server (:func:`endpoint_state`), in memory: uploaded and generated files, batches,
deleted models. Ids in paths arrive percent-encoded and are decoded once, here, to look them up;
:attr:`RecordedRequest.path` keeps them as sent.

* ``POST /files`` parses the multipart form (``purpose`` must be ``batch``, ``file`` a part
  with a file name); ``GET /files/{id}/content`` streams the bytes with a ``content-length``,
  in :attr:`EndpointState.chunk_size` writes.
* ``POST /batches`` checks the input file line by line (JSON objects with ``custom_id``,
  ``method``, ``url`` = the batch's endpoint, ``body``; ``custom_id`` unique). A bad file makes
  a ``failed`` batch with ``errors``. Otherwise, unless :attr:`EndpointState.complete_batches`
  is off, the batch completes at once: each request with a ``model`` and ``messages`` gets a
  chat completion (the script's text) in the output file, the others a 400 in the error file.
  Cancelling a running batch answers ``cancelling`` and leaves it ``cancelled``, with an error
  file of ``batch_cancelled`` lines.
* ``POST /embeddings`` answers deterministic unit vectors (the same input always gives the same
  vector) of :attr:`EndpointState.embedding_dimensions` float32 values, as floats or base64.
* ``POST /audio/speech`` streams (chunked) audio of ``len(input) *``
  :attr:`EndpointState.speech_samples_per_char` samples: a valid 16-bit mono WAV for ``wav``,
  raw mu-law for ``mulaw``, and the WAV behind the format's signature bytes for flac, mp3 and
  ogg (stand-ins, not decodable audio).
"""

from __future__ import annotations

import array
import base64
import hashlib
import itertools
import math
import random
import struct
import sys
import time
import uuid
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote

import msgspec

from ._exchange import Exchange, HeaderList, RecordedRequest
from ._groq import (
    API_PREFIX,
    MODELS,
    SYSTEM_FINGERPRINT,
    model_object,
    prompt_tokens,
    random_suffix,
    usage,
)
from ._replies import ErrorReply

if TYPE_CHECKING:
    from ._scenarios import ChatScript
    from ._server import GroqTestServer

__all__ = [
    "BATCHES_PATH",
    "EMBEDDINGS_PATH",
    "FILES_PATH",
    "SPEECH_PATH",
    "EndpointState",
    "StoredFile",
    "endpoint_state",
    "handle_endpoint",
    "wav_bytes",
]

FILES_PATH: Final = API_PREFIX + "/files"
BATCHES_PATH: Final = API_PREFIX + "/batches"
EMBEDDINGS_PATH: Final = API_PREFIX + "/embeddings"
SPEECH_PATH: Final = API_PREFIX + "/audio/speech"
MODELS_PATH: Final = API_PREFIX + "/models"

SPEECH_FORMATS: Final = {
    "wav": b"audio/wav",
    "mp3": b"audio/mpeg",
    "flac": b"audio/flac",
    "ogg": b"audio/ogg",
    "mulaw": b"audio/basic",
}
SPEECH_SAMPLE_RATES: Final = frozenset({8000, 16000, 22050, 24000, 32000, 44100, 48000})
_SIGNATURES: Final = {"mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00", "flac": b"fLaC", "ogg": b"OggS"}
_BATCH_ENDPOINTS: Final = frozenset({"/v1/chat/completions"})
_DEFAULT_TEXT: Final = "Hello from the local Groq server!"

_enc = msgspec.json.encode
_decode = msgspec.json.decode


@dataclass
class StoredFile:
    """A file the server holds (uploaded, or a batch's output/error file)."""

    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
        }


@dataclass
class EndpointState:
    """What one server remembers between requests, and the knobs of the simulation.

    Attributes:
        files: The stored files by id.
        batches: The batch objects (as JSON-ready dicts) by id.
        deleted_models: Model ids deleted through ``DELETE /models/{id}``.
        complete_batches: Finish a batch as soon as it is created (``False``: it stays
            ``in_progress`` until :meth:`complete_batch`).
        embedding_dimensions: The length of every embedding vector.
        speech_samples_per_char: Audio samples generated per character of speech input.
        chunk_size: The size of each write of a file download or of speech audio.
        chunk_delay: A pause between those writes (seconds).
    """

    files: dict[str, StoredFile] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted_models: set[str] = field(default_factory=set)
    complete_batches: bool = True
    embedding_dimensions: int = 768
    speech_samples_per_char: int = 200
    chunk_size: int = 16 * 1024
    chunk_delay: float = 0.0
    _scripts: dict[str, ChatScript] = field(default_factory=dict, repr=False)

    def add_file(self, data: bytes, filename: str, purpose: str = "batch") -> StoredFile:
        """Store a file as if it had been uploaded; returns it (its ``id`` is ``file_...``)."""
        stored = StoredFile(
            "file_" + random_suffix(26), filename, purpose, bytes(data), int(time.time())
        )
        self.files[stored.id] = stored
        return stored

    def complete_batch(self, batch_id: str) -> dict[str, Any]:
        """Run an ``in_progress`` batch now: write its output and error files, mark it
        ``completed``. Returns the batch object."""
        batch = self.batches[batch_id]
        if batch["status"] not in ("validating", "in_progress"):
            return batch
        script = self._scripts.pop(batch_id, None)
        source = self.files[batch["input_file_id"]]
        now = int(time.time())
        out: list[bytes] = []
        errors: list[bytes] = []
        for request in _batch_lines(source.data):
            line, ok = _answer(request, script)
            (out if ok else errors).append(line)
        batch["finalizing_at"] = batch["completed_at"] = now
        batch["status"] = "completed"
        batch["request_counts"] = {
            "total": len(out) + len(errors),
            "completed": len(out),
            "failed": len(errors),
        }
        if out:
            name = f"{batch_id}_output.jsonl"
            batch["output_file_id"] = self.add_file(b"".join(out), name, "batch_output").id
        if errors:
            name = f"{batch_id}_error.jsonl"
            batch["error_file_id"] = self.add_file(b"".join(errors), name, "batch_output").id
        return batch


_states: weakref.WeakKeyDictionary[GroqTestServer, EndpointState] = weakref.WeakKeyDictionary()


def endpoint_state(server: GroqTestServer) -> EndpointState:
    """The in-memory files, batches and settings of ``server`` (made on first use)."""
    state = _states.get(server)
    if state is None:
        state = _states[server] = EndpointState()
    return state


# ------------------------------------------------------------------------------- routing


async def handle_endpoint(script: ChatScript, exchange: Exchange) -> bool:
    """Answer ``exchange`` if it is one of the endpoints of this module; ``False`` otherwise."""
    req = exchange.request
    route = req.route
    method = req.method
    rest = _under(route, MODELS_PATH)
    if rest is not None:
        return await _models(script, exchange, rest, method)
    rest = _under(route, FILES_PATH)
    if rest is not None:
        return await _files(script, exchange, rest, method)
    rest = _under(route, BATCHES_PATH)
    if rest is not None:
        return await _batches(script, exchange, rest, method)
    if route == EMBEDDINGS_PATH and method == "POST":
        await _embeddings(script, exchange)
        return True
    if route == SPEECH_PATH and method == "POST":
        await _speech(script, exchange)
        return True
    return False


def _under(route: str, prefix: str) -> str | None:
    """What follows ``prefix/`` in ``route`` (``""`` for ``prefix`` itself); ``None``: elsewhere."""
    if route == prefix:
        return ""
    if route.startswith(prefix + "/"):
        return route[len(prefix) + 1 :]
    return None


def _headers(script: ChatScript, exchange: Exchange, content_type: bytes) -> HeaderList:
    return script._headers(exchange, content_type)


async def _json(script: ChatScript, exchange: Exchange, doc: Any, status: int = 200) -> None:
    headers = _headers(script, exchange, b"application/json")
    await exchange.respond(status, headers, _enc(doc))


async def _error(
    exchange: Exchange, status: int, message: str, code: str | None = None, *, param: str = ""
) -> None:
    if param:
        message = f"'{param}' : {message}"
    await ErrorReply(status, message, code=code).respond(exchange)


def _body(req: RecordedRequest) -> dict[str, Any] | str:
    """The JSON object of the request, or a problem description."""
    try:
        body = _decode(req.body)
    except msgspec.DecodeError as exc:
        return f"We could not parse the JSON body of your request: {exc}"
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    return body


async def _stream(
    state: EndpointState,
    exchange: Exchange,
    status: int,
    headers: HeaderList,
    data: bytes,
    *,
    content_length: bool,
) -> None:
    """Send ``data`` in ``state.chunk_size`` writes (chunked unless ``content_length``)."""
    await exchange.start(status, headers, len(data) if content_length else None)
    size = max(1, state.chunk_size)
    view = memoryview(data)
    for start in range(0, len(data), size):
        if start and state.chunk_delay > 0:
            await exchange.sleep(state.chunk_delay)
        await exchange.write(bytes(view[start : start + size]))
    await exchange.end()


# -------------------------------------------------------------------------------- models


async def _models(script: ChatScript, exchange: Exchange, rest: str, method: str) -> bool:
    state = endpoint_state(exchange.server)
    if not rest:
        if method != "GET":
            return False
        data = [model_object(m) for m in MODELS if m[0] not in state.deleted_models]
        await _json(script, exchange, {"object": "list", "data": data})
        return True
    if method not in ("GET", "DELETE"):
        return False
    model_id = unquote(rest)  # ids with a slash may come encoded (%2F) or not
    entry = next((m for m in MODELS if m[0] == model_id), None)
    if entry is None or model_id in state.deleted_models:
        message = f"The model `{model_id}` does not exist or you do not have access to it."
        await _error(exchange, 404, message, "model_not_found")
        return True
    if method == "DELETE":
        state.deleted_models.add(model_id)
        await _json(script, exchange, {"id": model_id, "object": "model", "deleted": True})
    else:
        await _json(script, exchange, model_object(entry))
    return True


# --------------------------------------------------------------------------------- files


async def _files(script: ChatScript, exchange: Exchange, rest: str, method: str) -> bool:
    state = endpoint_state(exchange.server)
    if not rest:
        if method == "POST":
            await _upload(script, exchange, state)
        elif method == "GET":
            data = [f.to_json() for f in state.files.values()]
            await _json(script, exchange, {"object": "list", "data": data})
        else:
            return False
        return True
    segment, _, tail = rest.partition("/")
    if tail not in ("", "content") or (tail and method != "GET"):
        return False
    if method not in ("GET", "DELETE"):
        return False
    file_id = unquote(segment)
    stored = state.files.get(file_id)
    if stored is None:
        await _error(exchange, 404, f"file {file_id!r} not found", "file_not_found")
        return True
    if tail == "content":
        headers = _headers(script, exchange, b"application/octet-stream")
        await _stream(state, exchange, 200, headers, stored.data, content_length=True)
    elif method == "DELETE":
        del state.files[file_id]
        await _json(script, exchange, {"id": file_id, "object": "file", "deleted": True})
    else:
        await _json(script, exchange, stored.to_json())
    return True


async def _upload(script: ChatScript, exchange: Exchange, state: EndpointState) -> None:
    req = exchange.request
    ctype = req.header("content-type") or ""
    boundary = _boundary(ctype)
    if not ctype.lower().startswith("multipart/form-data") or boundary is None:
        await _error(exchange, 400, "the request must be multipart/form-data with a boundary")
        return
    try:
        fields, files = _parse_multipart(req.body, boundary)
    except ValueError as exc:
        await _error(exchange, 400, f"malformed multipart body: {exc}")
        return
    purpose = fields.get("purpose")
    if purpose is None:
        await _error(exchange, 400, "property 'purpose' is missing", param="purpose")
        return
    if purpose != "batch":
        await _error(exchange, 400, "purpose must be 'batch'", param="purpose")
        return
    upload = files.get("file")
    if upload is None:
        await _error(exchange, 400, "property 'file' is missing", param="file")
        return
    filename, data = upload
    if not data:
        await _error(exchange, 400, "the file is empty", param="file")
        return
    stored = state.add_file(data, filename, purpose)
    await _json(script, exchange, stored.to_json())


def _boundary(content_type: str) -> bytes | None:
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary" and value:
            return value.strip('"').encode("latin-1")
    return None


def _parse_multipart(
    body: bytes, boundary: bytes
) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Text fields and ``{name: (filename, content)}`` of a ``multipart/form-data`` body."""
    delimiter = b"--" + boundary
    if not body.startswith(delimiter):
        raise ValueError("it does not start with the boundary")
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    pos = len(delimiter)
    while True:
        if body[pos : pos + 2] == b"--":
            return fields, files
        if body[pos : pos + 2] != b"\r\n":
            raise ValueError("a boundary line is not followed by CRLF")
        head_end = body.find(b"\r\n\r\n", pos + 2)
        if head_end < 0:
            raise ValueError("a part has no end of headers")
        headers = body[pos + 2 : head_end].decode("utf-8", "replace").split("\r\n")
        end = body.find(b"\r\n" + delimiter, head_end + 4)
        if end < 0:
            raise ValueError("a part is not closed by the boundary")
        content = body[head_end + 4 : end]
        pos = end + 2 + len(delimiter)
        name = filename = None
        for line in headers:
            key, _, value = line.partition(":")
            if key.strip().lower() != "content-disposition":
                continue
            for item in value.split(";")[1:]:
                k, _, v = item.strip().partition("=")
                v = unquote(v.strip('"'))
                if k == "name":
                    name = v
                elif k == "filename":
                    filename = v
        if name is None:
            raise ValueError("a part has no name")
        if filename is None:
            fields[name] = content.decode("utf-8", "replace")
        else:
            files[name] = (filename, content)


# ------------------------------------------------------------------------------- batches


def _batch_lines(data: bytes) -> Iterator[tuple[int, Any]]:
    """``(line number, decoded JSON or None)`` for each non-blank line."""
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            yield number, _decode(line)
        except msgspec.DecodeError:
            yield number, None


def _validate_input(data: bytes, endpoint: str) -> list[dict[str, Any]]:
    """The problems of a batch input file, as ``errors.data`` entries."""
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    count = 0
    for number, doc in _batch_lines(data):
        count += 1
        problem: tuple[str, str] | None = None
        if not isinstance(doc, dict):
            problem = ("invalid_json_line", "This line is not parseable as valid JSON.")
        elif not isinstance(doc.get("custom_id"), str) or not doc["custom_id"]:
            problem = ("missing_required_parameter", "The line has no custom_id.")
        elif doc["custom_id"] in seen:
            problem = ("duplicate_custom_id", "The custom_id for this request is a duplicate.")
        elif doc.get("method") != "POST":
            problem = ("invalid_method", "The method of each request must be POST.")
        elif doc.get("url") != endpoint:
            problem = ("mismatched_url", f"The url of each request must be {endpoint}.")
        elif not isinstance(doc.get("body"), dict):
            problem = ("missing_required_parameter", "The line has no body object.")
        else:
            seen.add(doc["custom_id"])
        if problem is not None:
            problems.append({"code": problem[0], "message": problem[1], "line": number})
    if not count:
        problems.append({"code": "empty_file", "message": "The input file holds no requests."})
    return problems


def _answer(request: tuple[int, Any], script: ChatScript | None) -> tuple[bytes, bool]:
    """The result line for one input line, and whether it succeeded."""
    _, doc = request
    body = doc["body"]
    line: dict[str, Any] = {
        "id": "batch_req_" + random_suffix(26),
        "custom_id": doc["custom_id"],
        "response": None,
        "error": None,
    }
    request_id = "req_" + random_suffix(26)
    model = body.get("model")
    messages = body.get("messages")
    if not isinstance(model, str) or not isinstance(messages, list):
        missing = "model" if not isinstance(model, str) else "messages"
        error = {
            "message": f"'{missing}' : property '{missing}' is missing",
            "type": "invalid_request_error",
            "code": None,
        }
        line["response"] = {"status_code": 400, "request_id": request_id, "body": {"error": error}}
        return _enc(line) + b"\n", False
    text = _DEFAULT_TEXT if script is None else script.text
    if script is not None and script.model is not None:
        model = script.model
    prompt = prompt_tokens(body)
    completion = max(1, len(text.split()))
    line["response"] = {
        "status_code": 200,
        "request_id": request_id,
        "body": {
            "id": "chatcmpl-" + str(uuid.uuid4()),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": usage(prompt, completion),
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "x_groq": {"id": request_id},
        },
    }
    return _enc(line) + b"\n", True


async def _batches(script: ChatScript, exchange: Exchange, rest: str, method: str) -> bool:
    state = endpoint_state(exchange.server)
    if not rest:
        if method == "POST":
            await _create_batch(script, exchange, state)
        elif method == "GET":
            data = list(state.batches.values())
            await _json(script, exchange, {"object": "list", "data": data})
        else:
            return False
        return True
    segment, _, tail = rest.partition("/")
    if not ((tail == "" and method == "GET") or (tail == "cancel" and method == "POST")):
        return False
    batch_id = unquote(segment)
    batch = state.batches.get(batch_id)
    if batch is None:
        await _error(exchange, 404, f"batch {batch_id!r} not found", "batch_not_found")
        return True
    if tail == "cancel":
        if batch["status"] not in ("validating", "in_progress"):
            message = f"Cannot cancel a batch with status {batch['status']!r}."
            await _error(exchange, 400, message, "batch_not_cancellable")
            return True
        _cancel(state, batch)
        await _json(script, exchange, {**batch, "status": "cancelling", "cancelled_at": None})
        return True
    await _json(script, exchange, batch)
    return True


async def _create_batch(script: ChatScript, exchange: Exchange, state: EndpointState) -> None:
    body = _body(exchange.request)
    if isinstance(body, str):
        await _error(exchange, 400, body, "json_invalid")
        return
    input_file_id = body.get("input_file_id")
    endpoint = body.get("endpoint")
    window = body.get("completion_window")
    metadata = body.get("metadata")
    for name, value in (
        ("input_file_id", input_file_id),
        ("endpoint", endpoint),
        ("completion_window", window),
    ):
        if not isinstance(value, str) or not value:
            await _error(exchange, 400, f"property '{name}' is missing", param=name)
            return
    assert isinstance(input_file_id, str) and isinstance(endpoint, str)
    if endpoint not in _BATCH_ENDPOINTS:
        await _error(exchange, 400, "endpoint must be /v1/chat/completions", param="endpoint")
        return
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
    ):
        await _error(exchange, 400, "metadata must map strings to strings", param="metadata")
        return
    source = state.files.get(input_file_id)
    if source is None:
        message = f"input file {input_file_id!r} not found"
        await _error(exchange, 404, message, "file_not_found")
        return
    now = int(time.time())
    batch: dict[str, Any] = {
        "id": "batch_" + random_suffix(26),
        "object": "batch",
        "endpoint": endpoint,
        "errors": None,
        "input_file_id": input_file_id,
        "completion_window": window,
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": now,
        "in_progress_at": None,
        "expires_at": now + 24 * 3600,
        "finalizing_at": None,
        "completed_at": None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "metadata": metadata,
    }
    state.batches[batch["id"]] = batch
    problems = _validate_input(source.data, endpoint)
    if problems:
        batch["status"] = "failed"
        batch["failed_at"] = now
        batch["errors"] = {"object": "list", "data": problems}
    else:
        batch["status"] = "in_progress"
        batch["in_progress_at"] = now
        batch["request_counts"]["total"] = sum(1 for _ in _batch_lines(source.data))
        state._scripts[batch["id"]] = script
        if state.complete_batches:
            state.complete_batch(batch["id"])
    await _json(script, exchange, batch)


def _cancel(state: EndpointState, batch: dict[str, Any]) -> None:
    """Cancel a running batch: every request gets a ``batch_cancelled`` error line."""
    now = int(time.time())
    state._scripts.pop(batch["id"], None)
    lines = []
    for _, doc in _batch_lines(state.files[batch["input_file_id"]].data):
        line = {
            "id": "batch_req_" + random_suffix(26),
            "custom_id": doc["custom_id"],
            "response": None,
            "error": {"code": "batch_cancelled", "message": "This request was cancelled."},
        }
        lines.append(_enc(line) + b"\n")
    batch["status"] = "cancelled"
    batch["cancelling_at"] = batch["cancelled_at"] = now
    batch["request_counts"] = {"total": len(lines), "completed": 0, "failed": len(lines)}
    if lines:
        name = f"{batch['id']}_error.jsonl"
        batch["error_file_id"] = state.add_file(b"".join(lines), name, "batch_output").id


# ---------------------------------------------------------------------------- embeddings


def _vector(item: Any, dimensions: int) -> list[float]:
    """A deterministic unit vector for ``item``, rounded to float32 values."""
    seed = hashlib.blake2b(_enc(item), digest_size=16).digest()
    rng = random.Random(seed)
    values = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return array.array("f", [v / norm for v in values]).tolist()


def _float32_base64(values: list[float]) -> str:
    packed = array.array("f", values)
    if sys.byteorder == "big":  # pragma: no cover
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


async def _embeddings(script: ChatScript, exchange: Exchange) -> None:
    state = endpoint_state(exchange.server)
    body = _body(exchange.request)
    if isinstance(body, str):
        await _error(exchange, 400, body, "json_invalid")
        return
    model = body.get("model")
    data = body.get("input")
    fmt = body.get("encoding_format", "float")
    if not isinstance(model, str) or not model:
        await _error(exchange, 400, "property 'model' is missing", param="model")
        return
    if fmt not in ("float", "base64"):
        await _error(exchange, 400, "must be float or base64", param="encoding_format")
        return
    items: list[Any]
    tokens_only = isinstance(data, list) and all(isinstance(x, int) for x in data)
    if (isinstance(data, str) or tokens_only) and data:
        items = [data]
    elif isinstance(data, list) and data and all(isinstance(x, str | list) and x for x in data):
        items = data
    else:
        await _error(exchange, 400, "input must be a non-empty string or array", param="input")
        return
    out = []
    tokens = 0
    for index, item in enumerate(items):
        vector = _vector(item, state.embedding_dimensions)
        tokens += max(1, len(item) // 4) if isinstance(item, str) else len(item)
        embedding: list[float] | str = _float32_base64(vector) if fmt == "base64" else vector
        out.append({"object": "embedding", "index": index, "embedding": embedding})
    doc = {
        "object": "list",
        "data": out,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        "x_groq": {"id": exchange.request_id},
    }
    await _json(script, exchange, doc)


# -------------------------------------------------------------------------------- speech


_PERIOD: Final = 480  # samples per period of the generated tone (100 Hz at 48 kHz)


def _tone_period() -> bytes:
    """One period of a quiet tone as little-endian 16-bit samples."""
    samples = array.array(
        "h", (int(3000 * math.sin(2 * math.pi * i / _PERIOD)) for i in range(_PERIOD))
    )
    if sys.byteorder == "big":  # pragma: no cover
        samples.byteswap()
    return samples.tobytes()


def _wav_header(samples: int, sample_rate: int) -> bytes:
    size = samples * 2
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + size)
        + b"WAVE"
        + b"fmt "
        + fmt
        + b"data"
        + (struct.pack("<I", size))
    )


def _pcm_chunks(samples: int, chunk_size: int) -> Iterator[bytes]:
    """The tone's samples in pieces of about ``chunk_size`` bytes, made as they are sent."""
    period = _tone_period()
    per_chunk = max(1, chunk_size // len(period))
    block = period * per_chunk
    full, rest = divmod(samples * 2, len(block))
    for _ in range(full):
        yield block
    if rest:
        yield block[:rest]


def wav_bytes(samples: int, sample_rate: int = 48000) -> bytes:
    """A 16-bit mono PCM WAV file of ``samples`` samples of a quiet tone."""
    return _wav_header(samples, sample_rate) + b"".join(_pcm_chunks(samples, 1 << 16))


async def _speech(script: ChatScript, exchange: Exchange) -> None:
    state = endpoint_state(exchange.server)
    body = _body(exchange.request)
    if isinstance(body, str):
        await _error(exchange, 400, body, "json_invalid")
        return
    for name in ("model", "input", "voice"):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            await _error(exchange, 400, f"property '{name}' is missing", param=name)
            return
    fmt = body.get("response_format", "wav")
    rate = body.get("sample_rate", 48000)
    if fmt not in SPEECH_FORMATS:
        message = "must be one of flac, mp3, mulaw, ogg, wav"
        await _error(exchange, 400, message, param="response_format")
        return
    if rate not in SPEECH_SAMPLE_RATES or isinstance(rate, bool):
        await _error(exchange, 400, "unsupported sample rate", param="sample_rate")
        return
    samples = len(body["input"]) * max(0, state.speech_samples_per_char)
    size = max(1, state.chunk_size)
    pieces: Iterable[bytes]
    if fmt == "mulaw":
        pieces = (b"\xff" * min(size, samples - i) for i in range(0, samples, size))
    else:
        head = _SIGNATURES.get(fmt, b"") + _wav_header(samples, rate)
        pieces = itertools.chain((head,), _pcm_chunks(samples, size))
    await exchange.start(200, _headers(script, exchange, SPEECH_FORMATS[fmt]), None)
    for i, piece in enumerate(pieces):
        if i and state.chunk_delay > 0:
            await exchange.sleep(state.chunk_delay)
        await exchange.write(piece)
    await exchange.end()
