"""client.embeddings.create against the local server over real sockets."""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

import msgspec
import pytest

from groq_anyio import AsyncGroq, BadRequestError, InvalidParameterError
from groq_anyio.testing import ErrorReply, GroqTestServer, RawReply
from groq_anyio.testing._endpoints import endpoint_state
from groq_anyio.types import CreateEmbeddingResponse, Embedding, EmbeddingRequest
from groq_anyio.types.embeddings import decode_embedding

pytestmark = pytest.mark.anyio

MODEL = "nomic-embed-text-v1_5"
PATH = "/openai/v1/embeddings"
JSON = {"content-type": "application/json"}


async def test_one_string(client: AsyncGroq, server: GroqTestServer) -> None:
    result = await client.embeddings.create(model=MODEL, input="The quick brown fox")
    assert isinstance(result, CreateEmbeddingResponse)
    assert (result.model, result.object) == (MODEL, "list")
    (item,) = result.data
    assert (item.index, item.object) == (0, "embedding")
    assert isinstance(item.embedding, list) and len(item.embedding) == 768
    assert math.isclose(math.sqrt(sum(v * v for v in item.embedding)), 1.0, rel_tol=1e-5)
    assert result.usage is not None and result.usage.prompt_tokens > 0
    assert result.usage.total_tokens == result.usage.prompt_tokens
    (req,) = server.requests
    assert (req.method, req.path) == ("POST", PATH)
    assert req.header("content-type") == "application/json"
    assert req.json() == {"model": MODEL, "input": "The quick brown fox"}  # unset: not sent


async def test_batch_of_strings_is_deterministic(client: AsyncGroq) -> None:
    first = await client.embeddings.create(model=MODEL, input=["alpha", "beta", "alpha"])
    again = await client.embeddings.create(model=MODEL, input=("beta",))
    vectors = first.vectors()
    assert [e.index for e in first.data] == [0, 1, 2]
    assert vectors[0] == vectors[2] != vectors[1]
    assert again.vectors() == [vectors[1]]


async def test_base64_is_decoded_on_request(client: AsyncGroq, server: GroqTestServer) -> None:
    floats = await client.embeddings.create(model=MODEL, input=["a", "b"])
    packed = await client.embeddings.create(
        model=MODEL, input=["a", "b"], encoding_format="base64", user="user-1"
    )
    assert server.requests[-1].json() == {
        "model": MODEL,
        "input": ["a", "b"],
        "encoding_format": "base64",
        "user": "user-1",
    }
    assert all(isinstance(e.embedding, str) for e in packed.data)
    assert packed.vectors() == floats.vectors()
    assert packed.data[1].as_floats() == floats.data[1].as_floats() == floats.data[1].embedding


async def test_token_inputs(client: AsyncGroq, server: GroqTestServer) -> None:
    one = await client.embeddings.create(model=MODEL, input=[1, 2, 3])
    assert len(one.data) == 1
    many = await client.embeddings.create(model=MODEL, input=[[1, 2, 3], (4, 5)])
    assert len(many.data) == 2
    assert many.vectors()[0] == one.vectors()[0]
    assert server.requests[-1].json()["input"] == [[1, 2, 3], [4, 5]]


async def test_smaller_dimensions_and_extra_body(client: AsyncGroq, server: GroqTestServer) -> None:
    endpoint_state(server).embedding_dimensions = 8
    result = await client.embeddings.create(
        model=MODEL, input="x", extra_body={"dimensions": 8, "model": "other"}
    )
    assert len(result.vectors()[0]) == 8
    assert server.requests[-1].json() == {"model": "other", "input": "x", "dimensions": 8}
    assert result.model == "other"


async def test_unknown_fields_and_vectors_in_index_order(
    client: AsyncGroq, server: GroqTestServer
) -> None:
    raw = base64.b64encode(struct.pack("<3f", 0.5, -1.0, 2.0)).decode()
    body = {
        "object": "list",
        "model": MODEL,
        "data": [
            {"object": "embedding", "index": 1, "embedding": raw, "extra": True},
            {"object": "embedding", "index": 0, "embedding": [1.0, 2.0, 3.0]},
        ],
        "usage": {"prompt_tokens": 3, "total_tokens": 3, "queue_time": 0.01, "new": 1},
        "x_groq": {"id": "req_1"},
    }
    server.push(RawReply(200, JSON, msgspec.json.encode(body)))
    result = await client.embeddings.create(model=MODEL, input=["a", "b"])
    assert result.vectors() == [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]
    assert result.usage is not None and result.usage.queue_time == 0.01


def test_decode_embedding() -> None:
    values = [0.0, 1.5, -2.25, 3.0e-5]
    encoded = base64.b64encode(struct.pack("<4f", *values))
    assert decode_embedding(encoded) == pytest.approx(values)
    assert decode_embedding(encoded.decode()) == decode_embedding(encoded)
    assert decode_embedding("") == []
    with pytest.raises(ValueError, match="base64"):
        decode_embedding("not base64!")
    with pytest.raises(ValueError, match="float32"):
        decode_embedding(base64.b64encode(b"\x00\x01\x02"))
    assert Embedding(embedding=[1.0]).as_floats() == [1.0]


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"input": ""}, "input"),
        ({"input": []}, "input"),
        ({"input": [""]}, "input[0]"),
        ({"input": ["a", 1]}, "input[1]"),
        ({"input": [1, -1]}, "input[1]"),
        ({"input": [1, "a"]}, "input[1]"),
        ({"input": [True]}, "input[0]"),
        ({"input": [[]]}, "input[0]"),
        ({"input": [[1], [2, "x"]]}, "input[1][1]"),
        ({"input": [[1], "a"]}, "input[1]"),
        ({"input": ["a"] * 2049}, "input"),
        ({"input": [list(range(2049))]}, "input[0]"),
        ({"input": b"bytes"}, "input"),
        ({"input": {"a": 1}}, "input"),
        ({"input": None}, "input"),
        ({"input": 5}, "input"),
        ({"model": ""}, "model"),
        ({"model": None}, "model"),
        ({"encoding_format": "int8"}, "encoding_format"),
        ({"user": 5}, "user"),
        ({"extra_body": {"x": object()}}, "body"),
    ],
)
async def test_invalid_arguments_are_refused_before_sending(
    client: AsyncGroq, server: GroqTestServer, kwargs: dict[str, Any], param: str
) -> None:
    args: dict[str, Any] = {"model": MODEL, "input": "hello"}
    args.update(kwargs)
    with pytest.raises(InvalidParameterError) as info:
        await client.embeddings.create(**args)
    assert info.value.param == param
    assert server.requests == []


async def test_api_error(client: AsyncGroq, server: GroqTestServer) -> None:
    server.push(ErrorReply(400, "input too long", code="context_length_exceeded"))
    with pytest.raises(BadRequestError):
        await client.embeddings.create(model=MODEL, input="x")


def test_request_struct_encodes_only_what_is_set() -> None:
    request = EmbeddingRequest(model=MODEL, input=["a"])
    assert msgspec.json.decode(msgspec.json.encode(request)) == {"model": MODEL, "input": ["a"]}
