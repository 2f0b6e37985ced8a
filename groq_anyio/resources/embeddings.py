"""``client.embeddings.create``: text (or token ids) to vectors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import msgspec

from .._config import Timeout
from .._errors import InvalidParameterError
from .._notgiven import NOT_GIVEN, NotGiven
from ..types.embeddings import CreateEmbeddingResponse, EmbeddingRequest
from ._common import JSON_CONTENT_TYPE, APIResource, check_str, encode_json, request_json

if TYPE_CHECKING:
    from .._requester import Requester

__all__ = ["MAX_EMBEDDING_INPUTS", "Embeddings", "EmbeddingInput"]

#: the most strings (or token lists, or tokens) one request may carry
MAX_EMBEDDING_INPUTS: Final = 2048

#: What ``input=`` accepts: a string, strings, token ids, or lists of token ids.
EmbeddingInput = str | Sequence[str] | Sequence[int] | Sequence[Sequence[int]]

_PATH: Final = "/embeddings"
_decoder: Final = msgspec.json.Decoder(CreateEmbeddingResponse)
_FORMATS: Final = frozenset({"float", "base64"})


class Embeddings(APIResource):
    """``client.embeddings``: embedding vectors of texts (``create``, ``POST /embeddings``)."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    async def create(
        self,
        *,
        model: str,
        input: EmbeddingInput,
        encoding_format: Literal["float", "base64"] | None = None,
        user: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
    ) -> CreateEmbeddingResponse:
        """Embed ``input``; the answer holds one vector per input, in ``data[i].embedding``.

        Args:
            model: The embedding model (``nomic-embed-text-v1_5``).
            input: A non-empty string; a list of them; a list of token ids; or a list of token-id
                lists. At most 2048 items per list.
            encoding_format: ``"float"`` (the default) or ``"base64"`` (smaller to transfer;
                :meth:`~groq_anyio.types.Embedding.as_floats` and
                :meth:`~groq_anyio.types.CreateEmbeddingResponse.vectors` decode it).
            user: An id of your end user, to help detect abuse.
            extra_headers: Additional request headers.
            extra_query: Additional query parameters.
            extra_body: Additional JSON fields (they replace same-named ones).
            timeout: The call's total deadline (seconds or a :class:`~groq_anyio.Timeout`).

        Raises:
            InvalidParameterError: A wrong argument, before any request.
            APIStatusError: The API answered with an error status (a subclass per status).
        """
        model_id = check_str("model", model)
        assert model_id is not None
        if encoding_format is not None and encoding_format not in _FORMATS:
            raise InvalidParameterError("encoding_format", 'must be "float" or "base64"')
        if user is not None and not isinstance(user, str):
            raise InvalidParameterError("user", "must be a string")
        request = EmbeddingRequest(
            model=model_id,
            input=_check_input(input),
            encoding_format=encoding_format,
            user=user,
        )
        return await request_json(
            self._client,
            b"POST",
            _PATH,
            _decoder,
            body=encode_json(request, extra_body),
            content_type=JSON_CONTENT_TYPE,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )


def _is_token(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_input(value: object) -> str | list[str] | list[int] | list[list[int]]:
    """``input`` as the JSON-ready value; raises :class:`InvalidParameterError`."""
    if isinstance(value, str):
        if not value:
            raise InvalidParameterError("input", "must not be an empty string")
        return value
    if isinstance(value, bytes | bytearray | Mapping) or not isinstance(value, Sequence):
        raise InvalidParameterError(
            "input", "must be a string, a list of strings, or a list of token ids"
        )
    items = list(value)
    if not items:
        raise InvalidParameterError("input", "must not be an empty list")
    if len(items) > MAX_EMBEDDING_INPUTS:
        raise InvalidParameterError(
            "input", f"has {len(items)} items; at most {MAX_EMBEDDING_INPUTS} are accepted"
        )
    first = items[0]
    if isinstance(first, str):
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise InvalidParameterError(f"input[{i}]", "must be a string like the others")
            if not item:
                raise InvalidParameterError(f"input[{i}]", "must not be an empty string")
        return items
    if _is_token(first):
        for i, item in enumerate(items):
            if not _is_token(item):
                raise InvalidParameterError(f"input[{i}]", "must be a token id (an int >= 0)")
        return items
    out: list[list[int]] = []
    for i, item in enumerate(items):
        if isinstance(item, str | bytes | bytearray | Mapping) or not isinstance(item, Sequence):
            raise InvalidParameterError(
                f"input[{i}]", "must be a string, a token id, or a list of token ids"
            )
        tokens = list(item)
        if not tokens:
            raise InvalidParameterError(f"input[{i}]", "must not be an empty list of tokens")
        if len(tokens) > MAX_EMBEDDING_INPUTS:
            raise InvalidParameterError(
                f"input[{i}]", f"has {len(tokens)} tokens; at most {MAX_EMBEDDING_INPUTS}"
            )
        for j, token in enumerate(tokens):
            if not _is_token(token):
                raise InvalidParameterError(f"input[{i}][{j}]", "must be a token id (an int >= 0)")
        out.append(tokens)
    return out
