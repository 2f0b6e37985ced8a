"""Vision inputs: data URIs and image parts (sniffing, limits), and the per-request checks (at
most 5 images, base64 images up to 4 MB) before anything is sent."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio.helpers import (
    MAX_BASE64_IMAGE_BYTES,
    MAX_IMAGES_PER_REQUEST,
    image_data_uri,
    image_part,
    input_image,
    sniff_image_type,
)
from groq_anyio.testing import GroqTestServer
from groq_anyio.types import ImageContentPart, ImageURL, TextContentPart, UserMessage

MODEL = "meta-llama/llama-4-scout-17b-16e-instruct"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)
GIF = b"GIF89a" + bytes(32)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(32)
MAGIC = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
    "image/gif": b"GIF87a",
    "image/webp": b"RIFF\x00\x00\x00\x00WEBP",
}


def _payload(uri: str) -> tuple[str, bytes]:
    head, _, data = uri.partition(",")
    assert head.startswith("data:") and head.endswith(";base64")
    return head[5:-7], base64.b64decode(data, validate=True)


# ------------------------------------------------------------------------------------ sniffing


@pytest.mark.parametrize(
    ("data", "media_type"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif"), (WEBP, "image/webp")],
)
def test_sniffed_types(data: bytes, media_type: str) -> None:
    assert sniff_image_type(data) == media_type
    uri = image_data_uri(data)
    assert _payload(uri) == (media_type, data)


@given(st.sampled_from(sorted(MAGIC)), st.binary(max_size=200))
def test_magic_bytes_decide(media_type: str, tail: bytes) -> None:
    data = MAGIC[media_type] + tail
    assert sniff_image_type(data) == media_type
    assert _payload(image_data_uri(data)) == (media_type, data)


@given(st.binary(max_size=64))
def test_unknown_bytes_are_refused_without_media_type(data: bytes) -> None:
    if sniff_image_type(data) is not None:
        return
    with pytest.raises(g.InvalidParameterError) as info:
        image_data_uri(data)
    assert info.value.param in ("media_type", "source")
    if data:
        assert _payload(image_data_uri(data, "image/heic")) == ("image/heic", data)


def test_paths_and_extensions(tmp_path: Path) -> None:
    png = tmp_path / "a.png"
    png.write_bytes(PNG)
    assert _payload(image_data_uri(png)) == ("image/png", PNG)
    assert _payload(image_data_uri(str(png))) == ("image/png", PNG)
    # unknown bytes: the extension decides; magic bytes win over a wrong extension
    odd = tmp_path / "photo.JPG"
    odd.write_bytes(b"not really an image")
    assert _payload(image_data_uri(odd))[0] == "image/jpeg"
    lying = tmp_path / "really_png.gif"
    lying.write_bytes(PNG)
    assert _payload(image_data_uri(lying))[0] == "image/png"
    with pytest.raises(g.InvalidParameterError, match="cannot read"):
        image_data_uri(tmp_path / "missing.png")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(g.InvalidParameterError, match="empty"):
        image_data_uri(empty)
    noext = tmp_path / "blob"
    noext.write_bytes(b"????")
    with pytest.raises(g.InvalidParameterError, match="media_type"):
        image_data_uri(noext)


def test_bad_arguments() -> None:
    with pytest.raises(g.InvalidParameterError, match="already a URL"):
        image_data_uri("https://example.com/a.png")
    with pytest.raises(g.InvalidParameterError, match="media_type"):
        image_data_uri(PNG, "text/html")
    with pytest.raises(g.InvalidParameterError, match="media_type"):
        image_data_uri(PNG, "image/png;base64,xx")
    with pytest.raises(g.InvalidParameterError):
        image_data_uri(12)  # type: ignore[arg-type]
    with pytest.raises(g.InvalidParameterError, match="detail"):
        image_part(PNG, detail="ultra")
    with pytest.raises(g.InvalidParameterError, match="data URI"):
        image_part("data:text/plain,hello")


def test_size_limit() -> None:
    # the largest image whose base64 data URI still fits in 4 MB
    prefix = len("data:image/png;base64,")
    fits = (MAX_BASE64_IMAGE_BYTES - prefix) // 4 * 3
    uri = image_data_uri(PNG + bytes(fits - len(PNG)))
    assert len(uri) <= MAX_BASE64_IMAGE_BYTES
    with pytest.raises(g.InvalidParameterError, match="4 MB"):
        image_data_uri(PNG + bytes(fits - len(PNG) + 3))
    with pytest.raises(g.InvalidParameterError, match="4 MB"):
        image_part("data:image/png;base64," + "A" * MAX_BASE64_IMAGE_BYTES)


def test_parts() -> None:
    assert image_part("https://example.com/cat.jpg") == {
        "type": "image_url",
        "image_url": {"url": "https://example.com/cat.jpg"},
    }
    part = image_part(JPEG, detail="low")
    assert part["image_url"]["detail"] == "low"
    assert _payload(part["image_url"]["url"]) == ("image/jpeg", JPEG)
    uri = image_data_uri(GIF)
    assert image_part(uri)["image_url"]["url"] == uri
    assert input_image("https://example.com/a.png") == {
        "type": "input_image",
        "image_url": "https://example.com/a.png",
        "detail": "auto",
    }
    assert _payload(input_image(WEBP, detail="high")["image_url"]) == ("image/webp", WEBP)


# ----------------------------------------------------------------------- requests with images


@pytest.mark.anyio
async def test_images_are_sent(server: GroqTestServer, client: AsyncGroq) -> None:
    content = [{"type": "text", "text": "What are these?"}]
    content += [image_part(PNG), image_part("https://example.com/b.jpg", detail="high")]
    typed = UserMessage(
        content=[
            TextContentPart(text="and this?"),
            ImageContentPart(image_url=ImageURL(url=image_data_uri(GIF))),
        ]
    )
    c = await client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": content}, typed]
    )
    assert c.choices[0].message.content
    sent = server.requests[-1].json()["messages"]
    assert _payload(sent[0]["content"][1]["image_url"]["url"]) == ("image/png", PNG)
    assert sent[0]["content"][2]["image_url"] == {
        "url": "https://example.com/b.jpg",
        "detail": "high",
    }
    assert _payload(sent[1]["content"][1]["image_url"]["url"]) == ("image/gif", GIF)


@pytest.mark.anyio
async def test_at_most_five_images(server: GroqTestServer, client: AsyncGroq) -> None:
    url = image_part("https://example.com/a.png")
    ok = [{"role": "user", "content": [url] * 3}, {"role": "user", "content": [url] * 2}]
    await client.chat.completions.create(model=MODEL, messages=ok)
    assert len(server.requests) == 1
    too_many = [*ok, {"role": "user", "content": [ImageContentPart(image_url=ImageURL(url="u"))]}]
    with pytest.raises(g.InvalidParameterError) as info:
        await client.chat.completions.create(model=MODEL, messages=too_many)
    assert info.value.param == "messages"
    assert f"at most {MAX_IMAGES_PER_REQUEST} images" in str(info.value)
    assert len(server.requests) == 1


@pytest.mark.anyio
async def test_base64_total_is_limited(server: GroqTestServer, client: AsyncGroq) -> None:
    big = image_part(PNG + bytes(1_600_000))  # ~2.1 MB as base64 each
    with pytest.raises(g.InvalidParameterError, match="4 MB"):
        await client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": [big, big]}]
        )
    assert server.requests == []
    # URLs do not count: Groq fetches them (up to 20 MB each, checked by the server)
    url = image_part("https://example.com/huge.png")
    await client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": [big, url, url]}]
    )
    assert len(server.requests) == 1
