"""``client.chat.completions.create``: validate, encode, call the pipeline, decode."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

import msgspec

from .._capabilities import check_chat_request
from .._config import Timeout
from .._decode_errors import DECODE_ERRORS
from .._errors import InvalidParameterError
from .._notgiven import NOT_GIVEN, NotGiven
from .._streaming import ChatStream
from .._timings import start_timings
from .._validation import validate_chat_request
from ..helpers import OutputParser, resolve_response_format
from ..types.chat import ChatCompletion, ChatCompletionRequest
from ._common import APIResource, as_list, encode_json, invalid_response

if TYPE_CHECKING:
    from .._requester import Requester
    from ..types.chat_param_dicts import (
        ChatCompletionMessageParam,
        ChatCompletionToolChoiceOptionParam,
        ChatCompletionToolParam,
    )
    from ..types.chat_params import Message, NamedToolChoice, Tool

__all__ = ["Chat", "Completions"]

_completion_decoder = msgspec.json.Decoder(ChatCompletion)
_PATH = "/chat/completions"


class Completions(APIResource):
    """``client.chat.completions``: chat completions, whole or streamed (``create``)."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    @overload
    async def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam | Message],
        model: str,
        stream: Literal[True],
        citation_options: str | None = None,
        compound_custom: Any = None,
        disable_tool_validation: bool | None = None,
        documents: Iterable[Any] | None = None,
        exclude_domains: Sequence[str] | None = None,
        frequency_penalty: float | None = None,
        function_call: Any = None,
        functions: Iterable[Any] | None = None,
        include_domains: Sequence[str] | None = None,
        include_reasoning: bool | None = None,
        logit_bias: Mapping[str, int] | None = None,
        logprobs: bool | None = None,
        max_completion_tokens: int | None = None,
        max_tokens: int | None = None,
        metadata: Mapping[str, str] | None = None,
        n: int | None = None,
        parallel_tool_calls: bool | None = None,
        presence_penalty: float | None = None,
        reasoning_effort: str | None = None,
        reasoning_format: str | None = None,
        response_format: Any = None,
        search_settings: Any = None,
        seed: int | None = None,
        service_tier: str | None = None,
        stop: str | Sequence[str] | None = None,
        store: bool | None = None,
        stream_options: Any = None,
        temperature: float | None = None,
        tool_choice: ChatCompletionToolChoiceOptionParam | NamedToolChoice | None = None,
        tools: Iterable[ChatCompletionToolParam | Tool] | None = None,
        top_logprobs: int | None = None,
        top_p: float | None = None,
        user: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | Timeout | None | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        check_capabilities: bool = True,
    ) -> ChatStream: ...

    @overload
    async def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam | Message],
        model: str,
        stream: Literal[False] | None = None,
        citation_options: str | None = None,
        compound_custom: Any = None,
        disable_tool_validation: bool | None = None,
        documents: Iterable[Any] | None = None,
        exclude_domains: Sequence[str] | None = None,
        frequency_penalty: float | None = None,
        function_call: Any = None,
        functions: Iterable[Any] | None = None,
        include_domains: Sequence[str] | None = None,
        include_reasoning: bool | None = None,
        logit_bias: Mapping[str, int] | None = None,
        logprobs: bool | None = None,
        max_completion_tokens: int | None = None,
        max_tokens: int | None = None,
        metadata: Mapping[str, str] | None = None,
        n: int | None = None,
        parallel_tool_calls: bool | None = None,
        presence_penalty: float | None = None,
        reasoning_effort: str | None = None,
        reasoning_format: str | None = None,
        response_format: Any = None,
        search_settings: Any = None,
        seed: int | None = None,
        service_tier: str | None = None,
        stop: str | Sequence[str] | None = None,
        store: bool | None = None,
        stream_options: Any = None,
        temperature: float | None = None,
        tool_choice: ChatCompletionToolChoiceOptionParam | NamedToolChoice | None = None,
        tools: Iterable[ChatCompletionToolParam | Tool] | None = None,
        top_logprobs: int | None = None,
        top_p: float | None = None,
        user: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | Timeout | None | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        check_capabilities: bool = True,
    ) -> ChatCompletion: ...

    @overload
    async def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam | Message],
        model: str,
        stream: bool,
        citation_options: str | None = None,
        compound_custom: Any = None,
        disable_tool_validation: bool | None = None,
        documents: Iterable[Any] | None = None,
        exclude_domains: Sequence[str] | None = None,
        frequency_penalty: float | None = None,
        function_call: Any = None,
        functions: Iterable[Any] | None = None,
        include_domains: Sequence[str] | None = None,
        include_reasoning: bool | None = None,
        logit_bias: Mapping[str, int] | None = None,
        logprobs: bool | None = None,
        max_completion_tokens: int | None = None,
        max_tokens: int | None = None,
        metadata: Mapping[str, str] | None = None,
        n: int | None = None,
        parallel_tool_calls: bool | None = None,
        presence_penalty: float | None = None,
        reasoning_effort: str | None = None,
        reasoning_format: str | None = None,
        response_format: Any = None,
        search_settings: Any = None,
        seed: int | None = None,
        service_tier: str | None = None,
        stop: str | Sequence[str] | None = None,
        store: bool | None = None,
        stream_options: Any = None,
        temperature: float | None = None,
        tool_choice: ChatCompletionToolChoiceOptionParam | NamedToolChoice | None = None,
        tools: Iterable[ChatCompletionToolParam | Tool] | None = None,
        top_logprobs: int | None = None,
        top_p: float | None = None,
        user: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | Timeout | None | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        check_capabilities: bool = True,
    ) -> ChatCompletion | ChatStream: ...

    async def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam | Message],
        model: str,
        stream: bool | None = None,
        citation_options: str | None = None,
        compound_custom: Any = None,
        disable_tool_validation: bool | None = None,
        documents: Iterable[Any] | None = None,
        exclude_domains: Sequence[str] | None = None,
        frequency_penalty: float | None = None,
        function_call: Any = None,
        functions: Iterable[Any] | None = None,
        include_domains: Sequence[str] | None = None,
        include_reasoning: bool | None = None,
        logit_bias: Mapping[str, int] | None = None,
        logprobs: bool | None = None,
        max_completion_tokens: int | None = None,
        max_tokens: int | None = None,
        metadata: Mapping[str, str] | None = None,
        n: int | None = None,
        parallel_tool_calls: bool | None = None,
        presence_penalty: float | None = None,
        reasoning_effort: str | None = None,
        reasoning_format: str | None = None,
        response_format: Any = None,
        search_settings: Any = None,
        seed: int | None = None,
        service_tier: str | None = None,
        stop: str | Sequence[str] | None = None,
        store: bool | None = None,
        stream_options: Any = None,
        temperature: float | None = None,
        tool_choice: ChatCompletionToolChoiceOptionParam | NamedToolChoice | None = None,
        tools: Iterable[ChatCompletionToolParam | Tool] | None = None,
        top_logprobs: int | None = None,
        top_p: float | None = None,
        user: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | Timeout | None | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        check_capabilities: bool = True,
    ) -> ChatCompletion | ChatStream:
        """Create a chat completion; with ``stream=True`` a :class:`ChatStream` to iterate.

        Arguments mirror the official SDK (plain dicts or :mod:`groq_anyio.types` Structs).
        ``None`` means "not sent". Everything is validated before any byte goes out.
        ``timeout`` (the whole call's deadline, retries and waits included) and
        ``max_retries`` override the client's for this call.

        What the model cannot do is refused before sending too, for the models the client
        knows (:class:`~groq_anyio.ModelCapabilityError`: images to a model without vision, a
        prompt clearly beyond the context window, ...); ``check_capabilities=False`` skips
        those checks (unknown models are never refused on capabilities).

        ``response_format`` may also be a msgspec Struct type (or a
        :class:`~groq_anyio.helpers.StructuredOutput`): its JSON schema is sent and the reply is
        decoded into ``choices[i].message.parsed``. In JSON mode a reply that is not valid JSON
        (or does not match the type) raises :class:`~groq_anyio.helpers.StructuredOutputError`;
        for a stream, :meth:`ChatStream.get_final_completion` does the decoding.
        """
        timings = start_timings()
        client = self._client
        if stream is not None and not isinstance(stream, bool):
            raise InvalidParameterError("stream", "must be a bool")
        parser: OutputParser | None = None
        if response_format is not None:
            response_format, parser = resolve_response_format(response_format)
        # (list-valued parameters: checked inline, a call each is too much on the hot path)
        if documents is not None and not isinstance(documents, list):
            documents = as_list("documents", documents)
        if exclude_domains is not None and not isinstance(exclude_domains, list):
            exclude_domains = as_list("exclude_domains", exclude_domains)
        if functions is not None and not isinstance(functions, list):
            functions = as_list("functions", functions)
        if include_domains is not None and not isinstance(include_domains, list):
            include_domains = as_list("include_domains", include_domains)
        if tools is not None and not isinstance(tools, list):
            tools = as_list("tools", tools)
        request = ChatCompletionRequest(
            model=model,
            messages=messages if isinstance(messages, list) else as_list("messages", messages),
            citation_options=citation_options,
            compound_custom=compound_custom,
            disable_tool_validation=disable_tool_validation,
            documents=documents,
            exclude_domains=exclude_domains,
            frequency_penalty=frequency_penalty,
            function_call=function_call,
            functions=functions,
            include_domains=include_domains,
            include_reasoning=include_reasoning,
            logit_bias=logit_bias,
            logprobs=logprobs,
            max_completion_tokens=max_completion_tokens,
            max_tokens=max_tokens,
            metadata=metadata,
            n=n,
            parallel_tool_calls=parallel_tool_calls,
            presence_penalty=presence_penalty,
            reasoning_effort=reasoning_effort,
            reasoning_format=reasoning_format,
            response_format=response_format,
            search_settings=search_settings,
            seed=seed,
            service_tier=service_tier,
            stop=stop,
            store=store,
            stream=True if stream else None,
            stream_options=stream_options,
            temperature=temperature,
            tool_choice=tool_choice,
            tools=tools,
            top_logprobs=top_logprobs,
            top_p=top_p,
            user=user,
        )
        images, chars = validate_chat_request(request)
        if check_capabilities:
            check_chat_request(client, request, images, chars)
        options = client._request_options(timeout, extra_headers, extra_query, max_retries)
        body = encode_json(request, extra_body)
        if stream:
            # the pipeline returns once the first event is in: until then a failure is retried
            factory: Any = (
                ChatStream
                if parser is None
                else functools.partial(_StructuredChatStream, parser=parser)
            )
            opened = await client._open_stream(
                b"POST", _PATH, body, options=options, timings=timings, open_stream=factory
            )
            assert isinstance(opened, ChatStream)
            return opened
        raw, data = await client._send(b"POST", _PATH, body, options=options, timings=timings)
        assert data is not None
        try:
            completion = _completion_decoder.decode(data)
        except DECODE_ERRORS as exc:
            raise invalid_response(raw, data, "a chat completion", exc) from None
        completion._attach(raw, timings)
        if parser is not None:
            parser.parse_completion(completion, raw.header(b"x-request-id"))
        return completion


class Chat(APIResource):
    """``client.chat``: holds ``completions``."""

    def __init__(self, client: Requester) -> None:
        self.completions = Completions(client)


class _StructuredChatStream(ChatStream):
    """A ChatStream whose final completion decodes the structured output (``message.parsed``).

    Only :meth:`get_final_completion` differs: the per-chunk path is ChatStream's own.
    """

    __slots__ = ("_parser",)

    def __init__(self, raw: Any, timings: Any, parser: OutputParser) -> None:
        super().__init__(raw, timings)
        self._parser = parser

    def get_final_completion(self) -> ChatCompletion:
        """The completion rebuilt from the chunks, with ``message.parsed`` decoded.

        Call it once the stream is consumed: a partial reply is not valid JSON.

        Raises:
            StructuredOutputError: the reply is not valid JSON or does not match the type.
        """
        completion = super().get_final_completion()
        self._parser.parse_completion(completion, self.request_id)
        return completion
