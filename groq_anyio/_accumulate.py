"""Rebuild the :class:`ChatCompletion` a non-streamed call would have returned from its chunks.

Theory of operation: :meth:`ChatCompletionAccumulator.add` is on the per-chunk hot path, so it
only appends the delta's text pieces to per-choice lists and records scalars; all joining and
Struct building happens in :meth:`ChatCompletionAccumulator.result`, which may be called at any
time (for example to attach the partial reply to an error that arrives mid-stream).

Merging rules:

* choices are keyed by ``index``; ``content`` and ``reasoning`` are concatenated (``None`` if no
  delta ever carried them); ``role`` and ``finish_reason`` keep the last value seen;
* tool calls are merged by their ``index``: ``id``, ``type`` and the function ``name`` come from
  the first delta that has them, ``arguments`` fragments are concatenated. A delta whose ``id``
  differs from the call already at that index starts a new call (some servers number every call
  ``0``);
* executed tools with the same ``index`` are merged field by field (the arguments arrive first,
  the output later), found through a dict (linear in the number of deltas);
* ``refusal`` pieces are concatenated like ``content``;
* usage is taken wherever Groq puts it (``x_groq.usage``, a top-level ``usage`` on the finish
  chunk, or a trailing chunk with no choices); the last one seen wins.

Size: what is kept is bounded by what was received (each piece is part of one event's data), so
a stream bounds it by counting the bytes of the events it folds in (``ChatStream`` does, against
``ResponseLimits.accumulated``, once per network read); nothing is counted here per chunk.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from .types.chat import (
    Annotation,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionMessageToolCall,
    Choice,
    ChoiceDeltaToolCall,
    ChoiceLogprobs,
    ChunkChoice,
    ExecutedTool,
    FunctionCall,
    TokenLogprob,
    XGroq,
)
from .types.shared import CompletionUsage, ErrorObject, UsageBreakdown

__all__ = ["ChatCompletionAccumulator"]

_EXECUTED_TOOL_FIELDS = tuple(f for f in ExecutedTool.__struct_fields__ if f != "index")


class _ToolCallSlot:
    __slots__ = ("args", "id", "name", "type")

    def __init__(self, id: str | None, type: str | None, name: str | None) -> None:
        self.id = id
        self.type = type
        self.name = name
        self.args: list[str] = []


class _ChoiceState:
    __slots__ = (
        "annotations",
        "content",
        "executed",
        "executed_at",
        "finish_reason",
        "fn_args",
        "fn_name",
        "logprobs",
        "reasoning",
        "refusal",
        "role",
        "tool_by_index",
        "tool_calls",
    )

    def __init__(self) -> None:
        self.role: str | None = None
        self.content: list[str] = []
        self.reasoning: list[str] | None = None  # (created when first needed: memory per stream)
        self.finish_reason: str | None = None
        self.tool_calls: list[_ToolCallSlot] | None = None
        self.tool_by_index: dict[int, _ToolCallSlot] | None = None
        self.fn_name: str | None = None
        self.fn_args: list[str] | None = None
        self.logprobs: list[TokenLogprob] | None = None
        self.executed: list[ExecutedTool] | None = None
        self.executed_at: dict[int, int] | None = None  # executed tool index -> list position
        self.refusal: list[str] | None = None
        self.annotations: list[Annotation] | None = None

    def add_tool_calls(self, deltas: list[ChoiceDeltaToolCall]) -> None:
        by_index = self.tool_by_index
        calls = self.tool_calls
        if by_index is None or calls is None:
            by_index = self.tool_by_index = {}
            calls = self.tool_calls = []
        for tc in deltas:
            fn = tc.function
            slot = by_index.get(tc.index)
            if slot is None or (tc.id is not None and slot.id is not None and tc.id != slot.id):
                slot = _ToolCallSlot(tc.id, tc.type, fn.name if fn is not None else None)
                by_index[tc.index] = slot
                calls.append(slot)
            else:
                if slot.id is None:
                    slot.id = tc.id
                if slot.type is None:
                    slot.type = tc.type
                if slot.name is None and fn is not None:
                    slot.name = fn.name
            if fn is not None and fn.arguments is not None:
                slot.args.append(fn.arguments)

    def add_executed(self, tools: list[ExecutedTool]) -> None:
        executed = self.executed
        at = self.executed_at
        if executed is None or at is None:
            executed = self.executed = []
            at = self.executed_at = {}
        for tool in tools:
            index = tool.index
            pos = at.get(index) if index is not None else None
            if pos is None:
                if index is not None:
                    at[index] = len(executed)
                executed.append(tool)
            else:
                changes = {
                    f: v for f in _EXECUTED_TOOL_FIELDS if (v := getattr(tool, f)) is not None
                }
                executed[pos] = msgspec.structs.replace(executed[pos], **changes)

    def message(self) -> ChatCompletionMessage:
        tool_calls = None
        if self.tool_calls:
            tool_calls = [
                ChatCompletionMessageToolCall(
                    id=s.id or "",
                    type=s.type or "function",
                    function=FunctionCall(name=s.name or "", arguments="".join(s.args)),
                )
                for s in self.tool_calls
            ]
        function_call = None
        if self.fn_args is not None or self.fn_name is not None:
            function_call = FunctionCall(
                name=self.fn_name or "", arguments="".join(self.fn_args or ())
            )
        return ChatCompletionMessage(
            role=self.role or "assistant",
            content="".join(self.content) if self.content else None,
            reasoning="".join(self.reasoning) if self.reasoning else None,
            refusal="".join(self.refusal) if self.refusal is not None else None,
            tool_calls=tool_calls,
            function_call=function_call,
            executed_tools=list(self.executed) if self.executed is not None else None,
            annotations=list(self.annotations) if self.annotations is not None else None,
        )


class ChatCompletionAccumulator:
    """Collects streamed chunks into the equivalent :class:`ChatCompletion`.

    Example::

        acc = ChatCompletionAccumulator()
        async for chunk in stream:
            acc.add(chunk)
        completion = acc.result()

    Attributes:
        usage: The token usage, once a chunk carried it (else ``None``).
        error: An in-band error carried in ``x_groq.error`` or a chunk's ``error``, if any.
    """

    __slots__ = (
        "_choices",
        "_created",
        "_id",
        "_model",
        "_seed",
        "_service_tier",
        "_system_fingerprint",
        "_usage_breakdown",
        "_x_groq_id",
        "error",
        "usage",
    )

    def __init__(self) -> None:
        self._choices: dict[int, _ChoiceState] = {}
        self._id = ""
        self._created = 0
        self._model = ""
        self._system_fingerprint: str | None = None
        self._service_tier: str | None = None
        self._x_groq_id: str | None = None
        self._seed: int | None = None
        self._usage_breakdown: UsageBreakdown | None = None
        self.usage: CompletionUsage | None = None
        self.error: str | ErrorObject | None = None

    def add(self, chunk: ChatCompletionChunk) -> bool:
        """Fold one chunk in. Returns whether it carried a ``finish_reason``."""
        self.add_meta(chunk)
        return self.add_choices(chunk)

    @property
    def has_id(self) -> bool:
        """Whether a chunk with an ``id`` has been folded in (see :meth:`add_meta`)."""
        return bool(self._id)

    def add_meta(self, chunk: ChatCompletionChunk) -> None:
        """The chunk-level half of :meth:`add`: the completion's id, creation time and model
        (from the first chunk that has an id), usage, service tier, x_groq, errors.

        A stream reader may call it only for chunks that need it -- until :attr:`has_id`, and
        for chunks with ``x_groq``, ``usage``, ``service_tier``, ``usage_breakdown`` or
        ``error`` -- and :meth:`add_choices` for every chunk.
        """
        if not self._id and chunk.id:  # the first real chunk (an error-only event has no id)
            self._id = chunk.id
            self._created = chunk.created
            self._model = chunk.model
        if (
            chunk.x_groq is not None
            or chunk.usage is not None
            or chunk.service_tier is not None
            or chunk.usage_breakdown is not None
            or chunk.error is not None
        ):
            self._add_extras(chunk)

    def add_choices(self, chunk: ChatCompletionChunk) -> bool:
        """The per-choice half of :meth:`add` (and the system fingerprint). Returns whether a
        ``finish_reason`` came."""
        return self.add_choices_of((chunk,), 0, 1)

    def add_choices_of(self, chunks: Sequence[ChatCompletionChunk], start: int, stop: int) -> bool:
        """:meth:`add_choices` for ``chunks[start:stop]``, in one call (a stream folds a
        network read's batch of chunks at once). Returns whether a ``finish_reason`` came.

        (Hot path: a typical chunk carries one choice whose delta has only ``content``; the
        rarer fields are tested together and handled out of line.)
        """
        finished = False
        choices = self._choices
        for i in range(start, stop):
            chunk = chunks[i]
            fingerprint = chunk.system_fingerprint
            if fingerprint is not None:
                self._system_fingerprint = fingerprint
            for c in chunk.choices:
                st = choices.get(c.index)
                if st is None:
                    st = choices[c.index] = _ChoiceState()
                d = c.delta
                content = d.content
                if content is not None:
                    st.content.append(content)
                if d.role is not None:
                    st.role = d.role
                if (
                    d.reasoning is not None
                    or d.refusal is not None
                    or d.tool_calls is not None
                    or c.logprobs is not None
                    or d.function_call is not None
                    or d.executed_tools is not None
                    or d.annotations is not None
                ):
                    self._add_rare(st, c)
                if c.finish_reason is not None:
                    st.finish_reason = c.finish_reason
                    finished = True
        return finished

    def _add_extras(self, chunk: ChatCompletionChunk) -> None:
        xg = chunk.x_groq
        if xg is not None:
            self._add_x_groq(xg)
        if chunk.usage is not None:
            self.usage = chunk.usage
        if chunk.service_tier is not None:
            self._service_tier = chunk.service_tier
        if chunk.usage_breakdown is not None:
            self._usage_breakdown = chunk.usage_breakdown
        if chunk.error is not None:
            self.error = chunk.error

    def _add_rare(self, st: _ChoiceState, c: ChunkChoice) -> None:
        d = c.delta
        if d.reasoning is not None:
            if st.reasoning is None:
                st.reasoning = []
            st.reasoning.append(d.reasoning)
        if d.refusal is not None:
            if st.refusal is None:
                st.refusal = []
            st.refusal.append(d.refusal)
        if d.tool_calls is not None:
            st.add_tool_calls(d.tool_calls)
        if c.logprobs is not None:
            self._add_logprobs(st, c.logprobs)
        if d.function_call is not None:
            fc = d.function_call
            if st.fn_name is None:
                st.fn_name = fc.name
            if st.fn_args is None:
                st.fn_args = []
            if fc.arguments is not None:
                st.fn_args.append(fc.arguments)
        if d.executed_tools is not None:
            st.add_executed(d.executed_tools)
        if d.annotations is not None:
            if st.annotations is None:
                st.annotations = []
            st.annotations.extend(d.annotations)

    def _add_x_groq(self, xg: XGroq) -> None:
        if xg.id is not None:
            self._x_groq_id = xg.id
        if xg.seed is not None:
            self._seed = xg.seed
        if xg.usage is not None:
            self.usage = xg.usage
        if xg.usage_breakdown is not None:
            self._usage_breakdown = xg.usage_breakdown
        if xg.error is not None:
            self.error = xg.error

    @staticmethod
    def _add_logprobs(st: _ChoiceState, lp: ChoiceLogprobs) -> None:
        if st.logprobs is None:
            st.logprobs = []
        if lp.content:
            st.logprobs.extend(lp.content)

    def content_text(self, index: int = 0) -> str:
        """The content received so far for choice ``index`` (``""`` if none)."""
        st = self._choices.get(index)
        return "".join(st.content) if st is not None else ""

    def result(self) -> ChatCompletion:
        """The completion as assembled so far (complete once the stream has ended)."""
        choices = []
        for index in sorted(self._choices):
            st = self._choices[index]
            logprobs = None
            if st.logprobs is not None:
                logprobs = ChoiceLogprobs(content=list(st.logprobs))
            choices.append(
                Choice(
                    index=index,
                    message=st.message(),
                    finish_reason=st.finish_reason,
                    logprobs=logprobs,
                )
            )
        x_groq = None
        if self._x_groq_id is not None or self._seed is not None:
            x_groq = XGroq(id=self._x_groq_id, seed=self._seed)
        return ChatCompletion(
            id=self._id,
            object="chat.completion",
            created=self._created,
            model=self._model,
            choices=choices,
            usage=self.usage,
            system_fingerprint=self._system_fingerprint,
            service_tier=self._service_tier,
            usage_breakdown=self._usage_breakdown,
            x_groq=x_groq,
        )
