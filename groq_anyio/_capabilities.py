"""Checks of a request against what its model can do, made before anything is sent.

Rules and theory of operation:

* Facts come from the built-in table (:mod:`groq_anyio._models_table`) and, for the context
  window, from what this client learnt from Groq's ``/models``: every ``models.list()`` and
  ``models.retrieve()`` records each model's ``context_window`` on the client, and that value
  wins over the table's. Nothing is fetched behind the caller's back: an extra request on the
  first call would add latency, count against rate limits and fail in odd ways offline, so the
  cache is filled only by calls the caller makes (``await client.models.list()`` once at start-up
  is enough).
* A model the table does not know is never refused on capabilities (Groq adds models faster
  than this library is released); only the context window, if ``/models`` told it, is checked.
  A fact the table does not know (``None``) is never refused either.
* The prompt-size check is a lower bound, so it refuses only prompts that clearly cannot fit:
  the text of the messages, at most :data:`CHARS_PER_TOKEN` characters per token (English runs
  about 4; tool definitions, images and the chat template are not counted), must exceed the
  model's context window.
* Every refusal is a :class:`~groq_anyio.ModelCapabilityError` (an ``InvalidParameterError``)
  naming the field and the model; ``check_capabilities=False`` on the call skips these checks.
* Cost: one function call per request; the failure paths build the messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, NoReturn

from ._errors import ModelCapabilityError
from ._models_table import MODELS, ModelInfo
from .types.chat_params import ChatCompletionRequest, FunctionTool, ImageContentPart

__all__ = [
    "CHARS_PER_TOKEN",
    "check_chat_request",
    "check_transcription_model",
    "learn_models",
]

#: the most characters one token is assumed to cover (a generous upper bound)
CHARS_PER_TOKEN: Final = 8
_ESCAPE: Final = " (pass check_capabilities=False to send it anyway)"
_KIND_NAMES: Final = {
    "transcription": "a speech-to-text (Whisper) model: use client.audio.transcriptions",
    "speech": "a text-to-speech model: use client.audio.speech",
}
_JSON_FORMATS: Final = frozenset({"json_object", "json_schema"})


def _fail(param: str, model: str, message: str) -> NoReturn:
    raise ModelCapabilityError(param, message + _ESCAPE, model=model)


def learn_models(client: Any, models: Iterable[Any]) -> None:
    """Remember the ``context_window`` of each model ``/models`` described, on ``client``."""
    windows: dict[str, int] | None = getattr(client, "_model_windows", None)
    if windows is None:
        windows = {}
        client._model_windows = windows
    for m in models:
        window = getattr(m, "context_window", None)
        if isinstance(m.id, str) and type(window) is int and window > 0:
            windows[m.id] = window


def context_window(client: Any, model: str) -> int | None:
    """The context window of ``model``: learnt from ``/models``, else the built-in table's."""
    windows: dict[str, int] | None = getattr(client, "_model_windows", None)
    if windows is not None:
        window = windows.get(model)
        if window is not None:
            return window
    info = MODELS.get(model)
    return info.context_window if info is not None else None


def check_chat_request(client: Any, req: ChatCompletionRequest, images: int, chars: int) -> None:
    """Refuse what ``req.model`` cannot do; ``images`` and ``chars`` come from the validation.

    Raises:
        ModelCapabilityError: with ``param`` naming the field and ``model`` the model.
    """
    model = req.model
    info = MODELS.get(model)
    windows: dict[str, int] | None = getattr(client, "_model_windows", None)
    if info is None and windows is None:
        return  # an unknown model and nothing learnt: nothing to check
    if info is not None:
        if info.kind != "chat":
            _fail("model", model, f"{model!r} is {_KIND_NAMES.get(info.kind, info.kind)}")
        if images and info.vision is False:
            _fail(
                _first_image(req.messages),
                model,
                f"{model!r} does not accept images; the vision models are "
                f"{', '.join(_vision_models())}",
            )
        if info.tools is False and req.tools and _has_function_tool(req.tools):
            _fail("tools", model, f"{model!r} does not support tool use")
        if info.json_mode is False and req.response_format is not None:
            rf = req.response_format
            kind = rf.get("type") if isinstance(rf, dict) else getattr(rf, "type", None)
            if kind in _JSON_FORMATS:
                _fail("response_format", model, f"{model!r} does not support JSON mode")
        if req.reasoning_format is not None and info.reasoning_format is False:
            hint = " (GPT-OSS: use include_reasoning)" if info.reasoning else ""
            _fail("reasoning_format", model, f"{model!r} does not take reasoning_format{hint}")
        if req.reasoning_effort is not None:
            _check_effort(model, info, req.reasoning_effort)
    # the prompt against the context window (learnt from /models first, else the table's)
    window = windows.get(model) if windows is not None else None
    if window is None and info is not None:
        window = info.context_window
    if window is not None and chars // CHARS_PER_TOKEN > window:
        _fail(
            "messages",
            model,
            f"the prompt ({chars} characters, so at least {chars // CHARS_PER_TOKEN} tokens) "
            f"cannot fit in the {window}-token context window of {model!r}",
        )


def check_transcription_model(model: object, *, param: str = "model") -> None:
    """Refuse a model the table knows is not a Whisper (speech-to-text) model."""
    info = MODELS.get(model) if isinstance(model, str) else None
    if info is not None and info.kind != "transcription":
        whisper = ", ".join(m.id for m in MODELS.values() if m.kind == "transcription")
        _fail(
            param,
            info.id,
            f"{info.id!r} is not a speech-to-text model; use a Whisper model ({whisper})",
        )


def _check_effort(model: str, info: ModelInfo, effort: object) -> None:
    if info.reasoning is False:
        _fail("reasoning_effort", model, f"{model!r} is not a reasoning model")
    allowed = info.reasoning_efforts
    if allowed is not None and effort not in allowed:
        _fail(
            "reasoning_effort",
            model,
            f"{model!r} takes reasoning_effort {sorted(allowed)}, not {effort!r}",
        )


def _vision_models() -> list[str]:
    return [m.id for m in MODELS.values() if m.vision]


def _has_function_tool(tools: Iterable[Any]) -> bool:
    for tool in tools:
        if type(tool) is FunctionTool or (
            isinstance(tool, dict) and tool.get("type") == "function"
        ):
            return True
    return False


def _first_image(messages: Iterable[Any]) -> str:
    """The path of the first image part (cold path: only to name it in the error)."""
    for i, m in enumerate(messages):
        content = m.get("content") if isinstance(m, dict) else getattr(m, "content", None)
        if isinstance(content, list | tuple):
            for j, part in enumerate(content):
                if type(part) is ImageContentPart or (
                    isinstance(part, dict) and part.get("type") == "image_url"
                ):
                    return f"messages[{i}].content[{j}]"
    return "messages"
