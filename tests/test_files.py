"""client.files: JSONL uploads, listing, info, streamed content and deletion, over real sockets."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import msgspec
import pytest

from groq_anyio import AsyncGroq, InvalidParameterError, NotFoundError
from groq_anyio.testing import GroqTestServer, RawReply
from groq_anyio.testing._endpoints import endpoint_state
from groq_anyio.types import FileDeleted, FileList, FileObject

pytestmark = pytest.mark.anyio

FILES = "/openai/v1/files"


def request_line(custom_id: str, content: str = "Hello") -> str:
    body = {"model": "llama-3.1-8b-instant", "messages": [{"role": "user", "content": content}]}
    line = {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}
    return json.dumps(line) + "\n"


JSONL = "".join(request_line(f"req-{i}") for i in range(3)).encode()


def parse_form(body: bytes, content_type: str) -> list[tuple[str, str | None, bytes]]:
    """(name, filename, content) of each part of a multipart/form-data body."""
    boundary = content_type.split("boundary=", 1)[1].encode()
    parts = []
    for chunk in body.split(b"--" + boundary)[1:-1]:
        head, _, content = chunk[2:-2].partition(b"\r\n\r\n")
        disposition = head.decode().split("\r\n")[0]
        name = disposition.split('name="', 1)[1].split('"', 1)[0]
        filename = (
            disposition.split('filename="', 1)[1].split('"', 1)[0]
            if "filename=" in disposition
            else None
        )
        parts.append((name, filename, content))
    return parts


async def test_upload_bytes(client: AsyncGroq, server: GroqTestServer) -> None:
    uploaded = await client.files.create(file=JSONL, purpose="batch")
    assert isinstance(uploaded, FileObject)
    assert uploaded.id.startswith("file_")
    assert (uploaded.object, uploaded.bytes, uploaded.purpose) == ("file", len(JSONL), "batch")
    assert uploaded.filename == "batch.jsonl"
    (req,) = server.requests
    assert (req.method, req.path) == ("POST", FILES)
    ctype = req.header("content-type") or ""
    assert ctype.startswith("multipart/form-data; boundary=")
    assert req.header("content-length") == str(len(req.body))
    assert parse_form(req.body, ctype) == [
        ("purpose", None, b"batch"),
        ("file", "batch.jsonl", JSONL),
    ]
    assert b"Content-Type: application/octet-stream" in req.body


async def test_upload_a_path_is_streamed(
    client: AsyncGroq, server: GroqTestServer, tmp_path: Path
) -> None:
    path = tmp_path / "requests.jsonl"
    line = request_line("x" * 10, "y" * 1000).encode()
    count = 4000  # about 4.4 MB
    path.write_bytes(
        b"".join(line.replace(b'"xxxxxxxxxx"', b'"id-%06d"' % i) for i in range(count))
    )
    size = path.stat().st_size
    await client.files.create(file=("warm.jsonl", JSONL))  # warm up
    tracemalloc.start()
    try:
        uploaded = await client.files.create(file=path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert uploaded.filename == "requests.jsonl"
    assert uploaded.bytes == size
    stored = endpoint_state(server).files[uploaded.id]
    assert stored.data == path.read_bytes()
    # the server (same process) receives the whole body; the client only ever held chunks
    assert peak < 3 * size, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB upload"


async def test_upload_file_objects_and_tuples(client: AsyncGroq, server: GroqTestServer) -> None:
    buffer = io.BytesIO(b"ignored prefix" + JSONL)
    buffer.seek(len(b"ignored prefix"))
    first = await client.files.create(file=buffer)
    assert (first.filename, first.bytes) == ("batch.jsonl", len(JSONL))
    assert endpoint_state(server).files[first.id].data == JSONL  # from where it stood
    second = await client.files.create(file=("mine.JSONL", io.BytesIO(JSONL), "application/jsonl"))
    assert second.filename == "mine.JSONL"
    assert b"Content-Type: application/jsonl" in server.requests[-1].body


async def test_upload_a_named_file_object(client: AsyncGroq, tmp_path: Path) -> None:
    path = tmp_path / "named.jsonl"
    path.write_bytes(JSONL)
    with path.open("rb") as f:
        uploaded = await client.files.create(file=f)
    assert uploaded.filename == "named.jsonl"


class OneShot(io.RawIOBase):
    """A non-seekable binary stream (a pipe): can be read once, size unknown."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        chunk = self._data.read(len(b))
        b[: len(chunk)] = chunk
        return len(chunk)


async def test_upload_non_seekable_stream_is_sent_chunked(
    client: AsyncGroq, server: GroqTestServer
) -> None:
    uploaded = await client.files.create(file=("pipe.jsonl", OneShot(JSONL)))
    assert uploaded.bytes == len(JSONL)
    req = server.requests[-1]
    assert req.header("content-length") is None or req.http_version == "HTTP/2"


async def test_list_info_content_delete(client: AsyncGroq, server: GroqTestServer) -> None:
    a = await client.files.create(file=("a.jsonl", JSONL))
    b = await client.files.create(file=("b.jsonl", JSONL + request_line("req-3").encode()))
    listing = await client.files.list()
    assert isinstance(listing, FileList)
    assert [f.id for f in listing] == [a.id, b.id] and len(listing) == 2
    info = await client.files.info(b.id)
    assert info == b
    assert await client.files.retrieve(a.id) == a
    async with await client.files.content(b.id) as body:
        assert body.content_length == b.bytes
        assert body.content_type == "application/octet-stream"
        data = await body.read()
    assert data == JSONL + request_line("req-3").encode()
    assert server.requests[-1].header("accept") == "application/octet-stream, */*;q=0.5"
    deleted = await client.files.delete(a.id)
    assert deleted == FileDeleted(id=a.id, deleted=True, object="file")
    assert server.requests[-1].method == "DELETE"
    assert [f.id for f in await client.files.list()] == [b.id]
    with pytest.raises(NotFoundError):
        await client.files.info(a.id)
    with pytest.raises(NotFoundError):
        await client.files.content(a.id)
    assert client.pool_stats().in_flight == 0


async def test_content_streams_to_a_file(
    client: AsyncGroq, server: GroqTestServer, tmp_path: Path
) -> None:
    state = endpoint_state(server)
    state.chunk_size = 1000
    data = b"".join(request_line(f"id-{i}").encode() for i in range(500))
    stored = state.add_file(data, "big.jsonl")
    async with await client.files.content(stored.id) as body:
        size = await body.write_to_file(tmp_path / "copy.jsonl")
    assert size == len(data)
    assert (tmp_path / "copy.jsonl").read_bytes() == data
    async with await client.files.content(stored.id) as body:
        pieces = [chunk async for chunk in body.iter_bytes(chunk_size=4096)]
    assert b"".join(pieces) == data and len(pieces) == -(-len(data) // 4096)


async def test_content_left_early_with_a_big_remainder_closes_the_connection(
    client: AsyncGroq, server: GroqTestServer
) -> None:
    state = endpoint_state(server)
    state.chunk_size = 16 * 1024
    stored = state.add_file(b"x" * 1_000_000, "big.jsonl")
    async with await client.files.content(stored.id) as body:
        async for _ in body.iter_bytes():
            break
    assert body.closed and body.bytes_received < 1_000_000
    assert client.pool_stats().in_flight == 0
    assert (await client.files.info(stored.id)).bytes == 1_000_000


@pytest.mark.parametrize(
    ("file_id", "encoded"),
    [
        ("../models", "..%2Fmodels"),
        ("file_1?purpose=x", "file_1%3Fpurpose%3Dx"),
        ("file#x", "file%23x"),
        ("a/content", "a%2Fcontent"),
    ],
)
async def test_file_ids_are_one_percent_encoded_segment(
    client: AsyncGroq, server: GroqTestServer, file_id: str, encoded: str
) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.files.info(file_id)
    assert repr(file_id) in info.value.message
    with pytest.raises(NotFoundError):
        await client.files.content(file_id)
    with pytest.raises(NotFoundError):
        await client.files.delete(file_id)
    assert [(r.method, r.path) for r in server.requests] == [
        ("GET", f"{FILES}/{encoded}"),
        ("GET", f"{FILES}/{encoded}/content"),
        ("DELETE", f"{FILES}/{encoded}"),
    ]


@pytest.mark.parametrize("bad", ["", " ", ".", "..", None, 7])
async def test_invalid_file_ids_are_refused_before_sending(
    client: AsyncGroq, server: GroqTestServer, bad: Any
) -> None:
    for call in (client.files.info, client.files.content, client.files.delete):
        with pytest.raises(InvalidParameterError) as info:
            await call(bad)
        assert info.value.param == "file_id"
    assert server.requests == []


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (b"", "empty"),
        (b"not json\n" + JSONL, "line 1 is not JSON"),
        (b"[1, 2]\n", "line 1 must be a JSON object"),
        (b'{"method": "POST"}\n', "custom_id"),
        (b'{"custom_id": ""}\n', "custom_id"),
        (b"\n" + JSONL, "line 1 is empty"),
        (("batch.json", JSONL), "must end in .jsonl"),
        (("jsonl", JSONL), "must end in .jsonl"),
        (("a.jsonl", "text, not bytes"), "not a path"),
        (("a.jsonl", Path("/etc/passwd")), "not a path"),
        (("a.jsonl", 12), "must be a path, bytes"),
        (("a.jsonl",), "a tuple must be"),
        (("a.jsonl", JSONL, ""), "content type"),
        (io.StringIO(JSONL.decode()), "binary mode"),
        (12, "must be a path, bytes"),
    ],
)
async def test_invalid_uploads_are_refused_before_sending(
    client: AsyncGroq, server: GroqTestServer, file: Any, message: str
) -> None:
    with pytest.raises(InvalidParameterError, match=message) as info:
        await client.files.create(file=file)
    assert info.value.param == "file"
    assert server.requests == []


async def test_invalid_paths_are_refused(
    client: AsyncGroq, server: GroqTestServer, tmp_path: Path
) -> None:
    with pytest.raises(InvalidParameterError, match="no such file"):
        await client.files.create(file=tmp_path / "missing.jsonl")
    with pytest.raises(InvalidParameterError, match=r"must end in \.jsonl"):
        await client.files.create(file=tmp_path / "missing.csv")
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(InvalidParameterError, match="not a regular file"):
        await client.files.create(file=tmp_path / "dir.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"{oops\n")
    with pytest.raises(InvalidParameterError, match="line 1 is not JSON"):
        await client.files.create(file=bad)
    assert server.requests == []


async def test_only_the_first_line_is_checked(client: AsyncGroq, tmp_path: Path) -> None:
    path = tmp_path / "second-bad.jsonl"
    path.write_bytes(JSONL + b"this line is not json\n")
    uploaded = await client.files.create(file=path)  # the API reports later lines
    assert uploaded.bytes == path.stat().st_size
    crlf = await client.files.create(file=JSONL.replace(b"\n", b"\r\n"))
    assert crlf.bytes == len(JSONL) + 3
    no_newline = await client.files.create(file=JSONL.rstrip(b"\n"))
    assert no_newline.bytes == len(JSONL) - 1


async def test_purpose_and_extra_body(client: AsyncGroq, server: GroqTestServer) -> None:
    with pytest.raises(InvalidParameterError) as info:
        await client.files.create(file=JSONL, purpose="fine-tune")  # type: ignore[arg-type]
    assert info.value.param == "purpose"
    with pytest.raises(InvalidParameterError):
        await client.files.create(file=JSONL, extra_body={"file": "x"})
    with pytest.raises(InvalidParameterError):
        await client.files.create(file=JSONL, extra_body={"n": 1})  # type: ignore[dict-item]
    assert server.requests == []
    await client.files.create(file=JSONL, extra_body={"expires_after": "3600"})
    req = server.requests[-1]
    names = [p[0] for p in parse_form(req.body, req.header("content-type") or "")]
    assert names == ["purpose", "expires_after", "file"]


async def test_unknown_fields_are_tolerated(client: AsyncGroq, server: GroqTestServer) -> None:
    body = {
        "object": "list",
        "data": [{"id": "file_1", "object": "file", "bytes": None, "status": "processed"}],
        "has_more": False,
    }
    server.push(RawReply(200, {"content-type": "application/json"}, msgspec.json.encode(body)))
    listing = await client.files.list()
    assert listing.data == [FileObject(id="file_1", bytes=None)]
