"""``client.models``: list the models, retrieve one, delete one (fine-tuned models)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import msgspec

from .._capabilities import learn_models
from .._config import Timeout
from .._notgiven import NOT_GIVEN, NotGiven
from ..types.models import Model, ModelDeleted, ModelList
from ._common import APIResource, path_id, request_json

if TYPE_CHECKING:
    from .._requester import Requester

__all__ = ["Models"]

_PATH: Final = "/models"
_model_decoder: Final = msgspec.json.Decoder(Model)
_list_decoder: Final = msgspec.json.Decoder(ModelList)
_deleted_decoder: Final = msgspec.json.Decoder(ModelDeleted)


class Models(APIResource):
    """``GET /models``, ``GET /models/{model}``, ``DELETE /models/{model}``.

    A model id goes into the path as one percent-encoded segment: ``/``, ``?``, ``#`` or ``..``
    in an id cannot reach another path.
    """

    def __init__(self, client: Requester) -> None:
        self._client = client

    async def list(
        self,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
    ) -> ModelList:
        """Every model the API key can use (``for model in await client.models.list():``).

        The client remembers each model's ``context_window`` for the checks made before
        sending a chat request (see :class:`~groq_anyio.ModelCapabilityError`).
        """
        page: ModelList = await request_json(
            self._client,
            b"GET",
            _PATH,
            _list_decoder,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )
        learn_models(self._client, page.data)
        return page

    async def retrieve(
        self,
        model: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
    ) -> Model:
        """One model by id, with its ``context_window``, ``max_completion_tokens``, ...

        Raises:
            InvalidParameterError: ``model`` is not a non-empty string.
            NotFoundError: No such model (``ModelNotFoundError`` when Groq says so).
        """
        segment = path_id("model", model)
        found: Model = await request_json(
            self._client,
            b"GET",
            f"{_PATH}/{segment}",
            _model_decoder,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )
        learn_models(self._client, (found,))
        return found

    async def delete(
        self,
        model: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
    ) -> ModelDeleted:
        """Delete a model (only models your organisation owns, such as fine-tunes).

        Raises:
            InvalidParameterError: ``model`` is not a non-empty string.
            APIStatusError: The API refused (``NotFoundError``, ``PermissionDeniedError``, ...).
        """
        segment = path_id("model", model)
        return await request_json(
            self._client,
            b"DELETE",
            f"{_PATH}/{segment}",
            _deleted_decoder,
            extra_headers=extra_headers,
            extra_query=extra_query,
            timeout=timeout,
        )
