"""Vision: ask about an image given as a file, as bytes (a base64 data URI) or as a URL.

Run with an image path to describe your own: ``python vision.py photo.jpg``.
"""

import asyncio
import os
import struct
import sys
import zlib

from _local import groq_client

from groq_anyio.helpers import image_part
from groq_anyio.testing import ChatScript

MODEL = os.environ.get("GROQ_VISION_MODEL", "meta-llama/llama-4-scout-17b-16e-instruct")


def red_square_png(size: int = 8) -> bytes:
    """A tiny valid PNG (a red square), so the example needs no file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def main() -> None:
    # a path, bytes, or an https:// URL; the media type is sniffed from the bytes
    image = sys.argv[1] if len(sys.argv) > 1 else red_square_png()
    async with groq_client() as client:
        server = getattr(client, "_example_server", None)
        if server is not None:
            server.push(ChatScript(text="A small red square on its own."))
        completion = await client.chat.completions.create(
            model=MODEL,
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is in this image? One sentence."},
                        image_part(image, detail="low"),
                    ],
                }
            ],
            max_completion_tokens=100,
        )
        print(completion.choices[0].message.content)
        if server is not None:
            sent = server.requests[-1].json()["messages"][0]["content"][1]["image_url"]["url"]
            print(f"(sent the image as {sent[:30]}..., {len(sent)} characters)")


if __name__ == "__main__":
    asyncio.run(main())
