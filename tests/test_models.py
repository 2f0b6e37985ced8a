"""client.models: list, retrieve, delete against the local server over real sockets."""

from __future__ import annotations

import msgspec
import pytest

from groq_anyio import (
    APIResponseValidationError,
    AsyncGroq,
    InvalidParameterError,
    ModelNotFoundError,
)
from groq_anyio.testing import GroqTestServer, RawReply
from groq_anyio.types import Model, ModelDeleted, ModelList

pytestmark = pytest.mark.anyio

MODELS = "/openai/v1/models"
JSON = {"content-type": "application/json"}


async def test_list_is_typed_with_groq_fields(client: AsyncGroq, server: GroqTestServer) -> None:
    models = await client.models.list()
    assert isinstance(models, ModelList)
    assert models.object == "list"
    assert "llama-3.3-70b-versatile" in models.ids()
    assert len(models) == len(models.data) == len(list(models))
    llama = next(m for m in models if m.id == "llama-3.3-70b-versatile")
    assert llama.owned_by == "Meta"
    assert llama.active is True
    assert llama.context_window == 131072
    assert llama.max_completion_tokens == 32768
    assert llama.public_apps is None
    (req,) = server.requests
    assert (req.method, req.path, req.body) == ("GET", MODELS, b"")
    assert req.header("content-type") is None


async def test_retrieve_a_model_whose_id_has_a_slash(
    client: AsyncGroq, server: GroqTestServer
) -> None:
    model = await client.models.retrieve("openai/gpt-oss-120b")
    assert isinstance(model, Model)
    assert (model.id, model.owned_by, model.context_window) == (
        "openai/gpt-oss-120b",
        "OpenAI",
        131072,
    )
    assert server.requests[-1].path == MODELS + "/openai%2Fgpt-oss-120b"


async def test_unknown_fields_are_tolerated_and_nulls_accepted(
    client: AsyncGroq, server: GroqTestServer
) -> None:
    body = {
        "object": "list",
        "data": [
            {
                "id": "future-model",
                "object": "model",
                "created": 1,
                "owned_by": "Groq",
                "active": False,
                "context_window": None,
                "public_apps": ["a", "b"],
                "max_completion_tokens": None,
                "features": {"vision": True},
                "some_new_field": [1, 2, 3],
            },
            {"id": "minimal"},
        ],
        "next_page": None,
    }
    server.push(RawReply(200, JSON, msgspec.json.encode(body)))
    models = await client.models.list()
    assert [m.id for m in models] == ["future-model", "minimal"]
    assert models.data[0].public_apps == ["a", "b"]
    assert models.data[0].active is False
    assert models.data[1] == Model(id="minimal")
    assert models.data[0].to_dict()["owned_by"] == "Groq"


async def test_delete_then_gone(client: AsyncGroq, server: GroqTestServer) -> None:
    deleted = await client.models.delete("llama-3.1-8b-instant")
    assert deleted == ModelDeleted(id="llama-3.1-8b-instant", deleted=True, object="model")
    assert server.requests[-1].method == "DELETE"
    assert server.requests[-1].body == b""
    assert "llama-3.1-8b-instant" not in (await client.models.list()).ids()
    with pytest.raises(ModelNotFoundError) as info:
        await client.models.retrieve("llama-3.1-8b-instant")
    assert info.value.status_code == 404
    with pytest.raises(ModelNotFoundError):
        await client.models.delete("llama-3.1-8b-instant")


async def test_unknown_model_is_model_not_found(client: AsyncGroq) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        await client.models.retrieve("no-such-model")
    assert info.value.code == "model_not_found"
    assert info.value.request_id is not None


@pytest.mark.parametrize(
    ("model_id", "encoded"),
    [
        ("../chat/completions", "..%2Fchat%2Fcompletions"),
        ("../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd"),
        ("a?b=c&d", "a%3Fb%3Dc%26d"),
        ("x#fragment", "x%23fragment"),
        ("100%", "100%25"),
        ("%2e%2e", "%252e%252e"),
        ("a b", "a%20b"),
        ("caf\u00e9", "caf%C3%A9"),
        ("...", "..."),
    ],
)
async def test_ids_are_one_percent_encoded_segment(
    client: AsyncGroq, server: GroqTestServer, model_id: str, encoded: str
) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        await client.models.retrieve(model_id)
    assert f"`{model_id}`" in info.value.message  # the server decoded exactly the id we sent
    with pytest.raises(ModelNotFoundError):
        await client.models.delete(model_id)
    retrieve, delete = server.requests
    assert (retrieve.method, retrieve.path) == ("GET", f"{MODELS}/{encoded}")
    assert (delete.method, delete.path) == ("DELETE", f"{MODELS}/{encoded}")
    assert "?" not in retrieve.path and "#" not in retrieve.path


@pytest.mark.parametrize("bad", ["", "   ", ".", "..", None, 123, b"llama", ["x"]])
async def test_invalid_ids_are_refused_before_sending(
    client: AsyncGroq, server: GroqTestServer, bad: object
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        await client.models.retrieve(bad)  # type: ignore[arg-type]
    assert info.value.param == "model"
    with pytest.raises(InvalidParameterError):
        await client.models.delete(bad)  # type: ignore[arg-type]
    assert server.requests == []


async def test_undecodable_answer(client: AsyncGroq, server: GroqTestServer) -> None:
    server.push(RawReply(200, JSON, b'{"data": "not a list"}'))
    with pytest.raises(APIResponseValidationError, match="ModelList"):
        await client.models.list()


async def test_extra_query_and_headers(client: AsyncGroq, server: GroqTestServer) -> None:
    await client.models.list(extra_query={"limit": 2}, extra_headers={"X-Trace": "t1"})
    (req,) = server.requests
    assert req.path == MODELS + "?limit=2"
    assert req.header("x-trace") == "t1"


async def test_over_http2(server: GroqTestServer) -> None:
    async with AsyncGroq(api_key="k", base_url=server.base_url, http1=False) as client:
        model = await client.models.retrieve("qwen/qwen3-32b")
    assert model.id == "qwen/qwen3-32b"
    assert server.requests[-1].http_version == "HTTP/2"
    assert server.requests[-1].path == MODELS + "/qwen%2Fqwen3-32b"


async def test_get_and_delete_send_no_body_framing(
    server: GroqTestServer, client: AsyncGroq
) -> None:
    await client.models.list()
    with pytest.raises(ModelNotFoundError):
        await client.models.delete("some-model")
    for req in server.requests[-2:]:
        assert req.body == b""
        assert req.header("content-length") is None
        assert req.header("transfer-encoding") is None
        assert req.header("content-type") is None
