"""Groq facts the local server imitates: ids, headers, error bodies, the model list, usage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from ._ids import new_request_id, random_suffix

if TYPE_CHECKING:  # (the exchange module asks this one for request ids)
    from ._exchange import Exchange, HeaderList

__all__ = [
    "API_PREFIX",
    "CHAT_PATH",
    "KNOWN_MODELS",
    "LEGACY_MODELS",
    "MODELS",
    "MODELS_PATH",
    "SYSTEM_FINGERPRINT",
    "error_body",
    "go_duration",
    "groq_headers",
    "model_object",
    "models_body",
    "new_request_id",
    "random_suffix",
    "usage",
]

API_PREFIX = "/openai/v1"
CHAT_PATH = API_PREFIX + "/chat/completions"
MODELS_PATH = API_PREFIX + "/models"
SYSTEM_FINGERPRINT = "fp_3f39ce7e29"

LIMIT_REQUESTS = 14400
LIMIT_TOKENS = 300000

_encode = msgspec.json.encode


def _trim(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


def go_duration(seconds: float) -> str:
    """Format like Go's ``time.Duration.String()``: ``2m59.56s``, ``7.66s``, ``547ms``."""
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        return _trim(seconds * 1000, 6) + "ms"
    hours, rest = divmod(seconds, 3600.0)
    minutes, secs = divmod(rest, 60.0)
    out = ""
    if hours:
        out += f"{int(hours)}h"
    if hours or minutes:
        out += f"{int(minutes)}m"
    return out + _trim(secs, 3) + "s"


_CACHE_CONTROL = (b"cache-control", b"private, max-age=0, no-store, no-cache, must-revalidate")
_SSE_CACHE_CONTROL = (b"cache-control", b"no-cache")  # what recorded Groq streams carry
_STATIC: HeaderList = [
    (b"vary", b"Origin"),
    (b"x-ratelimit-limit-requests", b"%d" % LIMIT_REQUESTS),
    (b"x-ratelimit-limit-tokens", b"%d" % LIMIT_TOKENS),
]


def groq_headers(ex: Exchange, content_type: bytes, tokens: int = 0) -> HeaderList:
    """Headers every Groq API response carries (request id, rate limits, region, caching)."""
    used = ex.server.request_count % LIMIT_REQUESTS
    tokens = min(max(tokens, 0), LIMIT_TOKENS)
    return [
        (b"content-type", content_type),
        _SSE_CACHE_CONTROL if content_type == b"text/event-stream" else _CACHE_CONTROL,
        *_STATIC,
        (b"x-ratelimit-remaining-requests", b"%d" % (LIMIT_REQUESTS - used)),
        (b"x-ratelimit-remaining-tokens", b"%d" % (LIMIT_TOKENS - tokens)),
        (b"x-ratelimit-reset-requests", go_duration(used * 6.0 - 0.44).encode()),
        (b"x-ratelimit-reset-tokens", go_duration(tokens * 60.0 / LIMIT_TOKENS).encode()),
        (b"x-groq-region", b"local"),
        (b"x-request-id", ex.request_id.encode()),
    ]


def error_body(message: str, type: str, code: str | None) -> bytes:
    """Groq's error document: ``{"error": {"message", "type", "code"}}``."""
    return _encode({"error": {"message": message, "type": type, "code": code}})


# (id, owned_by, context_window, max_completion_tokens)
MODELS: list[tuple[str, str, int, int | None]] = [
    ("llama-3.3-70b-versatile", "Meta", 131072, 32768),
    ("llama-3.1-8b-instant", "Meta", 131072, 131072),
    ("openai/gpt-oss-120b", "OpenAI", 131072, 65536),
    ("openai/gpt-oss-20b", "OpenAI", 131072, 65536),
    ("qwen/qwen3-32b", "Alibaba Cloud", 131072, 40960),
    ("moonshotai/kimi-k2-instruct-0905", "Moonshot AI", 262144, 16384),
    ("meta-llama/llama-4-scout-17b-16e-instruct", "Meta", 131072, 8192),
    ("meta-llama/llama-4-maverick-17b-128e-instruct", "Meta", 131072, 8192),
    ("meta-llama/llama-guard-4-12b", "Meta", 131072, 1024),
    ("meta-llama/llama-prompt-guard-2-22m", "Meta", 512, 512),
    ("meta-llama/llama-prompt-guard-2-86m", "Meta", 512, 512),
    ("openai/gpt-oss-safeguard-20b", "OpenAI", 131072, 65536),
    ("groq/compound", "Groq", 131072, 8192),
    ("groq/compound-mini", "Groq", 131072, 8192),
    ("allam-2-7b", "SDAIA", 4096, 4096),
    ("playai-tts", "PlayAI", 8192, 8192),
    ("playai-tts-arabic", "PlayAI", 8192, 8192),
    ("whisper-large-v3", "OpenAI", 448, None),
    ("whisper-large-v3-turbo", "OpenAI", 448, None),
]

# Retired Groq models that recorded traffic, tutorials and this project's tests still name: the
# local server accepts them (Groq itself now answers 400 ``model_decommissioned``) but does not
# list them.
LEGACY_MODELS: tuple[str, ...] = (
    "llama3-8b-8192",
    "llama3-70b-8192",
    "llama-3.1-70b-versatile",
    "mixtral-8x7b-32768",
    "gemma2-9b-it",
    "gemma-7b-it",
    "deepseek-r1-distill-llama-70b",
    "moonshotai/kimi-k2-instruct",
    "nomic-embed-text-v1_5",
)

KNOWN_MODELS: frozenset[str] = frozenset(m[0] for m in MODELS) | frozenset(LEGACY_MODELS)
"""The models a :class:`GroqTestServer` accepts by default (``models=``)."""


def model_object(entry: tuple[str, str, int, int | None]) -> dict[str, Any]:
    model_id, owner, context, max_tokens = entry
    return {
        "id": model_id,
        "object": "model",
        "created": 1693721698,
        "owned_by": owner,
        "active": True,
        "context_window": context,
        "public_apps": None,
        "max_completion_tokens": max_tokens,
    }


def models_body() -> bytes:
    return _encode({"object": "list", "data": [model_object(m) for m in MODELS]})


def _text_length(content: Any) -> int:
    if isinstance(content, str):
        return len(content)
    if isinstance(content, list):
        return sum(len(p.get("text") or "") for p in content if isinstance(p, dict))
    return 0


def prompt_tokens(body: dict[str, Any]) -> int:
    """About one token per four characters of the request's messages."""
    chars = 0
    messages = body.get("messages")
    if isinstance(messages, list):
        for msg in messages:
            if isinstance(msg, dict):
                chars += _text_length(msg.get("content")) + 4
    return max(1, chars // 4)


def usage(prompt: int, completion: int, reasoning: int = 0) -> dict[str, Any]:
    """A plausible Groq usage block (about 1000 completion tokens per second)."""
    prompt_time = round(prompt * 0.00002 + 0.0005, 9)
    completion_time = round(completion * 0.001 + 0.0001, 9)
    out: dict[str, Any] = {
        "queue_time": 0.012412345,
        "prompt_tokens": prompt,
        "prompt_time": prompt_time,
        "completion_tokens": completion,
        "completion_time": completion_time,
        "total_tokens": prompt + completion,
        "total_time": round(prompt_time + completion_time, 9),
    }
    if reasoning:
        out["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return out
