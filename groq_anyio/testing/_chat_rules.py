"""What Groq checks in a chat request, and how the request shapes the scripted answer.

Theory of operation
-------------------
:func:`reject_chat` runs before a :class:`~groq_anyio.testing.ChatScript` answers: it returns
the error Groq would send, or ``None``. The order is Groq's: the request body is validated
against the API schema first (a 400 whose message is ``'<param>' : <rule>``, the wording of
Groq's schema validator, ``type`` ``invalid_request_error`` and no ``code`` key, as Groq sends
it), then the model is
looked up (a 404 ``model_not_found``), then ``max_tokens`` is compared with the model's limit.

* ``messages``: present, an array of at least one object, each with a known ``role``, the
  properties that role requires (``content``; ``tool_call_id`` for ``tool``) and no other
  (``'messages.0' : for 'role:user' the following must be satisfied[('messages.0' : property
  'id' is unsupported)]``, the message Groq gives for an ``id`` left in a message);
* ``n``: only 1 (``'n' : number must be at most 1``);
* ``temperature`` 0..2, ``top_p`` 0..1, ``frequency_penalty``/``presence_penalty`` -2..2,
  ``top_logprobs`` 0..20, numbers (``n``, ``top_logprobs``, ``max_tokens`` integers);
* ``stop``: a string or up to 4 strings;
* ``response_format``: ``text``, ``json_object`` or ``json_schema`` (with a ``json_schema``
  object);
* the model: one of :attr:`GroqTestServer.models` (``None``: any) and not deleted through
  ``DELETE /models/{id}``;
* ``max_completion_tokens`` (or ``max_tokens``) at most the model's ``max_completion_tokens``.

:func:`shape_script` then returns the script to play for this request: with the default text,
the content becomes JSON for ``json_object`` (``{"text": ...}``) and ``json_schema`` (a minimal
instance of the schema); a script's own text is played as written (so a test can script invalid
JSON). The content is cut before the first ``stop`` sequence, and to the token limit with
``finish_reason: "length"``; ``stream_options.include_usage`` adds the trailing usage chunk
(empty ``choices``). A script's own ``finish_reason``, or a ``usage_style`` other than the
default, wins.
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any, Final

import msgspec

from ._endpoints import endpoint_state
from ._groq import MODELS
from ._json_instance import minimal_instance
from ._replies import ErrorReply

if TYPE_CHECKING:
    from ._exchange import ServerView
    from ._scenarios import ChatScript

__all__ = ["model_not_found", "reject_chat", "shape_script"]

_RANGES: Final = {
    "n": (1, 1, True),
    "temperature": (0, 2, False),
    "top_p": (0, 1, False),
    "frequency_penalty": (-2, 2, False),
    "presence_penalty": (-2, 2, False),
    "top_logprobs": (0, 20, True),
}
_INTEGERS: Final = ("max_tokens", "max_completion_tokens", "seed")
_ROLE_PROPERTIES: Final = {
    "system": frozenset({"role", "content", "name"}),
    "developer": frozenset({"role", "content", "name"}),
    "user": frozenset({"role", "content", "name"}),
    "assistant": frozenset({"role", "content", "name", "tool_calls", "function_call", "reasoning"}),
    "tool": frozenset({"role", "content", "tool_call_id", "name"}),
    "function": frozenset({"role", "content", "name"}),
}
_ROLE_REQUIRED: Final = {
    "system": ("content",),
    "developer": ("content",),
    "user": ("content",),
    "tool": ("content", "tool_call_id"),
    "function": ("content", "name"),
}
_FORMATS: Final = ("text", "json_object", "json_schema")
_MAX_STOP: Final = 4
_WORD: Final = re.compile(r"\s*\S+")
_LIMITS: Final = {entry[0]: entry[3] for entry in MODELS}


def _bad(param: str, rule: str) -> ErrorReply:
    """Groq's schema-validation 400: ``{"error": {"message", "type"}}`` (no ``code`` key)."""
    error = {"message": f"'{param}' : {rule}", "type": "invalid_request_error"}
    return ErrorReply(400, error["message"], body=msgspec.json.encode({"error": error}))


def model_not_found(model: str) -> ErrorReply:
    """Groq's 404 for a model that does not exist (or that the key may not use)."""
    message = f"The model `{model}` does not exist or you do not have access to it."
    return ErrorReply(404, message, code="model_not_found")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _message_problem(i: int, message: Any) -> ErrorReply | None:
    where = f"messages.{i}"
    if not isinstance(message, dict):
        return _bad(where, "value must be an object")
    role = message.get("role")
    if role is None:
        return _bad(where, "property 'role' is missing")
    allowed = _ROLE_PROPERTIES.get(role) if isinstance(role, str) else None
    if allowed is None:
        return _bad(where, f"discriminator property 'role' has invalid value {role!r}")
    rule = None
    for name in message:
        if name not in allowed:
            rule = f"('{where}' : property '{name}' is unsupported)"
            break
    else:
        for name in _ROLE_REQUIRED.get(role, ()):
            if name not in message:
                rule = f"('{where}.{name}' : property '{name}' is missing)"
                break
    if rule is None:
        return None
    return _bad(where, f"for 'role:{role}' the following must be satisfied[{rule}]")


def _schema_problem(body: dict[str, Any]) -> ErrorReply | None:
    messages = body["messages"]
    if not messages:
        return _bad("messages", "minimum number of items is 1")
    for i, message in enumerate(messages):
        problem = _message_problem(i, message)
        if problem is not None:
            return problem
    for name, (low, high, integer) in _RANGES.items():
        value = body.get(name)
        if value is None:
            continue
        if not _is_number(value):
            return _bad(name, "value must be a number")
        if integer and value != int(value):
            return _bad(name, "value must be an integer")
        if value > high:
            return _bad(name, f"number must be at most {high}")
        if value < low:
            return _bad(name, f"number must be at least {low}")
    for name in _INTEGERS:
        value = body.get(name)
        if value is not None and not (_is_number(value) and value == int(value)):
            return _bad(name, "value must be an integer")
    stop = body.get("stop")
    if isinstance(stop, list):
        if len(stop) > _MAX_STOP:
            return _bad("stop", f"maximum number of items is {_MAX_STOP}")
        for i, item in enumerate(stop):
            if not isinstance(item, str):
                return _bad(f"stop.{i}", "value must be a string")
    elif stop is not None and not isinstance(stop, str):
        return _bad("stop", "value must be a string or an array of strings")
    fmt = body.get("response_format")
    if fmt is not None:
        if not isinstance(fmt, dict):
            return _bad("response_format", "value must be an object")
        kind = fmt.get("type")
        if kind not in _FORMATS:
            allowed = ", ".join(repr(f) for f in _FORMATS)
            rule = f"value is not one of the allowed values [{allowed}]"
            return _bad("response_format.type", rule)
        if kind == "json_schema" and not isinstance(fmt.get("json_schema"), dict):
            return _bad("response_format", "property 'json_schema' is missing")
    return None


def reject_chat(body: dict[str, Any], server: ServerView) -> ErrorReply | None:
    """The error reply Groq would give ``body`` on ``server``, or ``None`` (see the module)."""
    if not server.strict:
        return None
    problem = _schema_problem(body)
    if problem is not None:
        return problem
    model = body.get("model")
    if not isinstance(model, str):
        return None  # the script names the model (ChatScript(model=...))
    models = server.models
    if (models is not None and model not in models) or (
        model in endpoint_state(server).deleted_models
    ):
        return model_not_found(model)
    asked = body.get("max_completion_tokens", body.get("max_tokens"))
    limit = _LIMITS.get(model)
    if asked is not None and limit is not None and asked > limit:
        name = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
        message = (
            f"`{name}` must be less than or equal to `{limit}`, the maximum value for "
            f"`{name}` is less than the `context_window` for this model"
        )
        return ErrorReply(400, message)
    return None


# -- the answer ---------------------------------------------------------------------------------


def _json_text(script: ChatScript, fmt: dict[str, Any], default_text: str) -> str | None:
    """The content for a JSON response format, or ``None`` to keep the script's text."""
    kind = fmt.get("type")
    if kind not in ("json_object", "json_schema") or script.tool_calls:
        return None
    text = script.text
    if text != default_text:
        return None  # scripted text is played as written (e.g. to test invalid JSON)
    if kind == "json_object":
        return json.dumps({"text": text}, ensure_ascii=False)
    spec = fmt.get("json_schema") or {}
    return json.dumps(minimal_instance(spec.get("schema", {})), ensure_ascii=False)


def _cut_at_stop(text: str, stop: Any) -> str:
    sequences = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    cut = len(text)
    for seq in sequences:
        if isinstance(seq, str) and seq:
            at = text.find(seq)
            if 0 <= at < cut:
                cut = at
    return text[:cut]


def shape_script(script: ChatScript, body: dict[str, Any], default_text: str) -> ChatScript:
    """The script to play for ``body`` (see the module): JSON modes, stop, token limit, usage."""
    changes: dict[str, Any] = {}
    text = script.text
    fmt = body.get("response_format")
    if isinstance(fmt, dict):
        json_text = _json_text(script, fmt, default_text)
        if json_text is not None:
            text = changes["text"] = json_text
    stop = body.get("stop")
    if stop and script.chunks is None:
        cut = _cut_at_stop(text, stop)
        if cut != text:
            text = changes["text"] = cut
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
        reasoning = len(_WORD.findall(script.reasoning or ""))
        room = max(0, limit - reasoning)
        if script.chunks is not None:
            if script.chunks > room:
                changes["chunks"] = room
                changes["finish_reason"] = "length"
        elif not (script.tool_calls and text == default_text):
            words = _WORD.findall(text)
            if len(words) > room:
                changes["text"] = "".join(words[:room])
                changes["finish_reason"] = "length"
    if script.finish_reason is not None:
        changes.pop("finish_reason", None)
    options = body.get("stream_options")
    if (
        isinstance(options, dict)
        and options.get("include_usage") is True
        and script.usage_style == "x_groq"
    ):
        changes["usage_style"] = "x_groq_and_trailing"
    return msgspec.structs.replace(script, **changes) if changes else script
