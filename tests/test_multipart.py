"""The streaming multipart/form-data encoder: round trips, framing, escaping, restarts, memory."""

from __future__ import annotations

import email.parser
import email.policy
import io
import os
import re
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groq_anyio import InvalidParameterError
from groq_anyio._multipart import CHUNK_SIZE, FilePart, MultipartEncoder, escape_name

pytestmark = pytest.mark.anyio

_DISPOSITION = re.compile(rb'^form-data; name="([^"]*)"(?:; filename="([^"]*)")?$')


def _unescape(raw: bytes) -> str:
    text = raw.decode("utf-8")
    return text.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")


def parse_multipart(content_type: bytes, body: bytes) -> list[dict[str, Any]]:
    """A strict parser: every part as {raw_name, raw_filename, headers, data}, framing checked."""
    m = re.fullmatch(rb"multipart/form-data; boundary=([0-9a-f]{32})", content_type)
    assert m is not None, content_type
    dash = b"--" + m.group(1)
    if body == dash + b"--\r\n":
        return []
    assert body.startswith(dash + b"\r\n")
    assert body.endswith(b"\r\n" + dash + b"--\r\n")
    inner = body[len(dash) + 2 : -(len(dash) + 6)]
    parts = []
    for chunk in inner.split(b"\r\n" + dash + b"\r\n"):
        head, sep, data = chunk.partition(b"\r\n\r\n")
        assert sep, chunk[:200]
        headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n"))
        disp = _DISPOSITION.match(headers[b"Content-Disposition"])
        assert disp is not None, headers
        parts.append(
            {
                "raw_name": disp.group(1),
                "raw_filename": disp.group(2),
                "content_type": headers.get(b"Content-Type"),
                "data": data,
            }
        )
    return parts


def parse_with_email(content_type: bytes, body: bytes) -> list[tuple[str, str | None, bytes]]:
    """The stdlib's MIME parser, as an independent reading: (name, filename, payload) per part."""
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    msg = parser.parsebytes(b"Content-Type: " + content_type + b"\r\n\r\n" + body)
    assert msg.is_multipart()
    assert not msg.defects, msg.defects
    out = []
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str)
        assert isinstance(payload, bytes)
        out.append((name, part.get_filename(), payload))
    return out


class NonSeekable(io.RawIOBase):
    """A one-way binary stream (a pipe, a socket, a generator)."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, b: Any) -> int:
        data = self._buf.read(len(b))
        b[: len(data)] = data
        return len(data)


async def collect(encoder: MultipartEncoder) -> tuple[list[bytes], bytes]:
    chunks = [chunk async for chunk in encoder]
    return chunks, b"".join(chunks)


# ------------------------------------------------------------------------------ round trips

_names = st.text(min_size=1, max_size=20)
# the stdlib parser unquotes backslashes and strips surrounding blanks: keep to plain names there
_ascii_names = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters='"%\\'),
    min_size=1,
    max_size=20,
).filter(lambda s: s == s.strip())
_source_kinds = st.sampled_from(["bytes", "path", "fileobj", "offset_fileobj", "nonseekable"])


def _make_source(kind: str, data: bytes, tmp: str) -> Any:
    if kind == "bytes":
        return data
    if kind == "path":
        path = os.path.join(tmp, f"f{len(os.listdir(tmp))}.bin")
        with open(path, "wb") as f:
            f.write(data)
        return path
    if kind == "fileobj":
        return io.BytesIO(data)
    if kind == "offset_fileobj":
        buf = io.BytesIO(b"skip me" + data)
        buf.seek(7)
        return buf
    return NonSeekable(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.lists(st.tuples(_names, st.text(max_size=200)), max_size=5),
    files=st.lists(
        st.tuples(_names, _names, st.binary(max_size=3 * CHUNK_SIZE + 17), _source_kinds),
        max_size=3,
    ),
)
async def test_round_trip(
    fields: list[tuple[str, str]], files: list[tuple[str, str, bytes, str]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        parts = [
            FilePart(name, filename, "application/octet-stream", _make_source(kind, data, tmp))
            for name, filename, data, kind in files
        ]
        encoder = MultipartEncoder(fields, parts)
        chunks, body = await collect(encoder)
    unknown_size = any(kind == "nonseekable" for *_, kind in files)
    if unknown_size:
        assert encoder.content_length is None
        assert not encoder.replayable
    else:
        assert encoder.content_length == len(body)
    assert all(len(c) <= CHUNK_SIZE or b"Content-Disposition" in c for c in chunks)
    parsed = parse_multipart(encoder.content_type, body)
    assert len(parsed) == len(fields) + len(files)
    for (name, value), part in zip(fields, parsed, strict=False):
        assert part["raw_name"] == escape_name(name)
        assert part["raw_filename"] is None
        assert part["data"] == value.encode()
    for (name, filename, data, _), part in zip(files, parsed[len(fields) :], strict=True):
        assert part["raw_name"] == escape_name(name)
        assert part["raw_filename"] == escape_name(filename)
        assert part["content_type"] == b"application/octet-stream"
        assert part["data"] == data


@settings(max_examples=60, deadline=None)
@given(
    fields=st.lists(st.tuples(_ascii_names, st.text(max_size=100)), min_size=1, max_size=4),
    files=st.lists(st.tuples(_ascii_names, _ascii_names, st.binary(max_size=2000)), max_size=2),
)
async def test_stdlib_email_parser_agrees(
    fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]
) -> None:
    encoder = MultipartEncoder(
        fields, [FilePart(n, fn, "audio/wav", data) for n, fn, data in files]
    )
    _, body = await collect(encoder)
    parsed = parse_with_email(encoder.content_type, body)
    expected: list[tuple[str, str | None, bytes]] = [
        (name, None, value.encode()) for name, value in fields
    ]
    expected += [(n, fn, data) for n, fn, data in files]
    assert parsed == expected


# ------------------------------------------------------------------------------ framing


async def test_exact_layout() -> None:
    encoder = MultipartEncoder(
        [("model", "whisper-large-v3"), ("prompt", "ünïcode\r\nline")],
        [FilePart("file", "a.mp3", "audio/mpeg", b"ID3\x00data")],
    )
    b = encoder.boundary
    assert re.fullmatch(rb"[0-9a-f]{32}", b)
    assert encoder.content_type == b"multipart/form-data; boundary=" + b
    _, body = await collect(encoder)
    assert body == (
        b"--" + b + b'\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-large-v3\r\n'
        b"--"
        + b
        + b'\r\nContent-Disposition: form-data; name="prompt"\r\n\r\n'
        + "ünïcode\r\nline".encode()
        + b"\r\n--"
        + b
        + b'\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\n'
        b"Content-Type: audio/mpeg\r\n\r\nID3\x00data\r\n--" + b + b"--\r\n"
    )
    assert encoder.content_length == len(body)


async def test_boundaries_are_random() -> None:
    assert len({MultipartEncoder([], []).boundary for _ in range(50)}) == 50


async def test_fields_only_and_empty() -> None:
    encoder = MultipartEncoder([("a", "1"), ("a", "2")], [])
    _, body = await collect(encoder)
    assert [(p["raw_name"], p["data"]) for p in parse_multipart(encoder.content_type, body)] == [
        (b"a", b"1"),
        (b"a", b"2"),
    ]
    empty = MultipartEncoder([], [])
    _, body = await collect(empty)
    assert body == b"--" + empty.boundary + b"--\r\n"
    assert empty.content_length == len(body)


def test_escaping_of_names() -> None:
    assert escape_name('say "hi"') == b"say %22hi%22"
    assert escape_name("a\r\nb") == b"a%0D%0Ab"
    assert escape_name("a\rb\nc") == b"a%0Db%0Ac"
    assert escape_name("naïve.mp3") == "naïve.mp3".encode()
    assert escape_name("semi;colon back\\slash") == b"semi;colon back\\slash"


async def test_escaped_names_cannot_break_the_header() -> None:
    evil = 'x"; filename="evil.exe"\r\nContent-Type: text/html\r\n\r\nboom'
    encoder = MultipartEncoder([(evil, "v")], [FilePart(evil, evil, "audio/wav", b"d")])
    _, body = await collect(encoder)
    parts = parse_multipart(encoder.content_type, body)
    assert len(parts) == 2
    assert _unescape(parts[0]["raw_name"]) == evil
    assert _unescape(parts[1]["raw_filename"]) == evil
    assert parts[1]["data"] == b"d"
    assert b"\r\nContent-Type: text/html" not in body


def test_content_type_with_newline_is_refused() -> None:
    with pytest.raises(InvalidParameterError):
        MultipartEncoder([], [FilePart("file", "a.wav", "audio/wav\r\nX-Evil: 1", b"")])


def test_text_file_object_is_refused() -> None:
    with pytest.raises(InvalidParameterError):
        MultipartEncoder([], [FilePart("file", "a.wav", "audio/wav", io.StringIO("x"))])  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ restarts


@pytest.mark.parametrize("kind", ["bytes", "path", "fileobj", "offset_fileobj"])
async def test_restart_gives_identical_bytes(kind: str, tmp_path: Path) -> None:
    data = os.urandom(5 * CHUNK_SIZE + 123)
    source = _make_source(kind, data, str(tmp_path))
    encoder = MultipartEncoder([("model", "m")], [FilePart("file", "a.wav", "audio/wav", source)])
    assert encoder.replayable
    chunks1, first = await collect(encoder)
    chunks2, second = await collect(encoder)
    assert first == second
    assert chunks1 == chunks2
    assert len(first) == encoder.content_length
    assert parse_multipart(encoder.content_type, first)[1]["data"] == data
    # a pass abandoned halfway does not disturb the next one
    it = aiter(encoder)
    await anext(it)
    await anext(it)
    _, third = await collect(encoder)
    assert third == first


async def test_abandoned_pass_closes_its_file(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(os.urandom(3 * CHUNK_SIZE))
    encoder = MultipartEncoder([], [FilePart("file", "a.wav", "audio/wav", path)])
    it: Any = aiter(encoder)
    await anext(it)
    await anext(it)  # the file is open now
    handle = it._handle
    assert handle is not None
    assert not handle.closed
    await it.aclose()
    assert handle.closed
    # and a finished pass leaves nothing open
    it = aiter(encoder)
    async for _ in it:
        pass
    assert it._handle is None


async def test_non_seekable_source_is_sent_once() -> None:
    data = os.urandom(2 * CHUNK_SIZE + 5)
    encoder = MultipartEncoder([], [FilePart("file", "a.wav", "audio/wav", NonSeekable(data))])
    assert not encoder.replayable
    assert encoder.content_length is None
    _, body = await collect(encoder)
    assert parse_multipart(encoder.content_type, body)[0]["data"] == data
    with pytest.raises(RuntimeError, match="once"):
        await collect(encoder)


async def test_non_seekable_source_with_known_size_has_a_length() -> None:
    data = b"x" * 1000
    part = FilePart("file", "a.wav", "audio/wav", NonSeekable(data), size=len(data))
    encoder = MultipartEncoder([], [part])
    _, body = await collect(encoder)
    assert encoder.content_length == len(body)


async def test_file_shorter_than_announced_raises(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(b"abc")
    encoder = MultipartEncoder([], [FilePart("file", "a.wav", "audio/wav", path, size=10)])
    with pytest.raises(InvalidParameterError, match="ended after 3 of the 10 bytes"):
        await collect(encoder)


async def test_file_longer_than_announced_is_cut_at_the_announced_size(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(b"abcdef")
    encoder = MultipartEncoder([], [FilePart("file", "a.wav", "audio/wav", path, size=4)])
    _, body = await collect(encoder)
    assert len(body) == encoder.content_length
    assert parse_multipart(encoder.content_type, body)[0]["data"] == b"abcd"


async def test_missing_file_fails_at_construction(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        MultipartEncoder([], [FilePart("file", "a.wav", "audio/wav", tmp_path / "nope.wav")])


# ------------------------------------------------------------------------------ memory


async def test_100_mb_file_streams_in_small_memory(tmp_path: Path) -> None:
    size = 100 * 1024 * 1024
    path = tmp_path / "big.wav"
    with open(path, "wb") as f:
        f.truncate(size)  # sparse: no disk blocks, reads back as zeros
    encoder = MultipartEncoder([("model", "m")], [FilePart("file", "big.wav", "audio/wav", path)])
    total = 0
    largest = 0
    tracemalloc.start()
    try:
        async for chunk in encoder:
            total += len(chunk)
            largest = max(largest, len(chunk))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == encoder.content_length
    assert encoder.content_length > size
    assert largest == CHUNK_SIZE
    assert peak < 4 * 1024 * 1024, f"peak traced memory {peak / 1e6:.1f} MB"
