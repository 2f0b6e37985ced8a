"""The Groq endpoints beyond chat, for the local server: models (list, retrieve, delete), files,
batches, embeddings, text to speech and speech to text.

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
* ``POST /audio/transcriptions`` and ``/audio/translations`` answer the script's text in each
  ``response_format`` (see :mod:`.audio`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._common import (
    BATCHES_PATH,
    EMBEDDINGS_PATH,
    FILES_PATH,
    MODELS_PATH,
    SPEECH_PATH,
    TRANSCRIPTIONS_PATH,
    TRANSLATIONS_PATH,
    under,
)
from ._state import EndpointState, StoredFile, endpoint_state
from .audio import transcription
from .batches import batches
from .embeddings import embeddings
from .files import files
from .models import models
from .speech import speech, wav_bytes

if TYPE_CHECKING:
    from .._exchange import Exchange
    from .._scenarios import ChatScript

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


async def handle_endpoint(script: ChatScript, exchange: Exchange) -> bool:
    """Answer ``exchange`` if it is one of the endpoints of this module; ``False`` otherwise."""
    req = exchange.request
    route = req.route
    method = req.method
    rest = under(route, MODELS_PATH)
    if rest is not None:
        return await models(script, exchange, rest, method)
    rest = under(route, FILES_PATH)
    if rest is not None:
        return await files(script, exchange, rest, method)
    rest = under(route, BATCHES_PATH)
    if rest is not None:
        return await batches(script, exchange, rest, method)
    if route == EMBEDDINGS_PATH and method == "POST":
        await embeddings(script, exchange)
        return True
    if route == SPEECH_PATH and method == "POST":
        await speech(script, exchange)
        return True
    if route in (TRANSCRIPTIONS_PATH, TRANSLATIONS_PATH) and method == "POST":
        await transcription(
            script, exchange, "transcribe" if route == TRANSCRIPTIONS_PATH else "translate"
        )
        return True
    return False
