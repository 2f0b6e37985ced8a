"""What the client knows about Groq's current models, for the checks made before sending.

Only facts Groq documents are recorded; anything not known is ``None`` and never refused. A
model that is not in the table is never refused on capabilities at all (Groq adds models faster
than a library is released); only its context window can be learnt, from ``/models``.

Sources (read 2026-12): the model pages and the Vision, Reasoning, Tool Use, Structured Outputs
and Speech-to-Text guides of console.groq.com/docs, the ``context_window`` and
``max_completion_tokens`` of Groq's ``GET /openai/v1/models``, and the official ``groq`` SDK's
types (``transcription_create_params``: ``whisper-large-v3``, ``whisper-large-v3-turbo``).

* ``kind``: ``"chat"`` (``/chat/completions``), ``"transcription"`` (Whisper: transcriptions and
  translations), ``"speech"`` (text to speech).
* ``vision``: accepts ``image_url`` content parts (Groq: the Llama 4 models only).
* ``tools``: accepts function ``tools`` (``False`` only for the prompt-guard classifiers).
* ``json_mode``: ``response_format`` ``json_object`` / ``json_schema``.
* ``reasoning``: a reasoning model; ``reasoning_format`` is accepted only where
  ``reasoning_format`` is true (Groq: not by GPT-OSS), ``reasoning_effort`` only with the values
  in ``reasoning_efforts``.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

__all__ = ["MODELS", "ModelInfo", "model_info"]


class ModelInfo(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One model's documented facts; ``None`` = not known (never refused)."""

    id: str
    kind: str = "chat"
    context_window: int | None = None
    max_completion_tokens: int | None = None
    vision: bool | None = False
    tools: bool | None = None
    json_mode: bool | None = None
    reasoning: bool | None = False
    reasoning_format: bool | None = False
    reasoning_efforts: frozenset[str] | None = None


_GPT_OSS_EFFORTS: Final = frozenset({"low", "medium", "high"})
_QWEN3_EFFORTS: Final = frozenset({"none", "default"})


def _chat(id: str, context: int, max_out: int | None, **kw: Any) -> ModelInfo:
    return ModelInfo(
        id=id, kind="chat", context_window=context, max_completion_tokens=max_out, **kw
    )


_TABLE: Final = (
    # general chat models
    _chat("llama-3.3-70b-versatile", 131072, 32768, tools=True, json_mode=True),
    _chat("llama-3.1-8b-instant", 131072, 131072, tools=True, json_mode=True),
    _chat("moonshotai/kimi-k2-instruct-0905", 262144, 16384, tools=True, json_mode=True),
    _chat("allam-2-7b", 4096, 4096),
    # vision: the Llama 4 models
    _chat(
        "meta-llama/llama-4-scout-17b-16e-instruct",
        131072,
        8192,
        vision=True,
        tools=True,
        json_mode=True,
    ),
    _chat(
        "meta-llama/llama-4-maverick-17b-128e-instruct",
        131072,
        8192,
        vision=True,
        tools=True,
        json_mode=True,
    ),
    # reasoning
    _chat(
        "openai/gpt-oss-120b",
        131072,
        65536,
        tools=True,
        json_mode=True,
        reasoning=True,
        reasoning_format=False,
        reasoning_efforts=_GPT_OSS_EFFORTS,
    ),
    _chat(
        "openai/gpt-oss-20b",
        131072,
        65536,
        tools=True,
        json_mode=True,
        reasoning=True,
        reasoning_format=False,
        reasoning_efforts=_GPT_OSS_EFFORTS,
    ),
    _chat(
        "openai/gpt-oss-safeguard-20b",
        131072,
        65536,
        reasoning=True,
        reasoning_format=False,
        reasoning_efforts=_GPT_OSS_EFFORTS,
    ),
    _chat(
        "qwen/qwen3-32b",
        131072,
        40960,
        tools=True,
        json_mode=True,
        reasoning=True,
        reasoning_format=True,
        reasoning_efforts=_QWEN3_EFFORTS,
    ),
    # Groq's compound systems (built-in tools; no image input)
    _chat("groq/compound", 131072, 8192, reasoning=None, reasoning_format=None),
    _chat("groq/compound-mini", 131072, 8192, reasoning=None, reasoning_format=None),
    # safety classifiers
    _chat("meta-llama/llama-guard-4-12b", 131072, 1024, vision=None),
    _chat("meta-llama/llama-prompt-guard-2-22m", 512, 512, tools=False, json_mode=False),
    _chat("meta-llama/llama-prompt-guard-2-86m", 512, 512, tools=False, json_mode=False),
    # speech to text (Whisper) and text to speech
    ModelInfo(id="whisper-large-v3", kind="transcription", context_window=448),
    ModelInfo(id="whisper-large-v3-turbo", kind="transcription", context_window=448),
    ModelInfo(id="playai-tts", kind="speech", context_window=8192),
    ModelInfo(id="playai-tts-arabic", kind="speech", context_window=8192),
)

#: model id -> its facts
MODELS: Final[dict[str, ModelInfo]] = {m.id: m for m in _TABLE}


def model_info(model: str) -> ModelInfo | None:
    """The built-in facts about ``model``, or None for a model this table does not know."""
    return MODELS.get(model)
