"""The same client under trio: nothing changes but the event loop."""

import sys

import trio
from _local import MODEL, groq_client


async def main() -> None:
    async with groq_client() as client:
        # two streams at once, each in its own task of a nursery
        async def ask(question: str) -> None:
            stream = await client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": question}], stream=True
            )
            async with stream:
                async for _chunk in stream:
                    pass
            print(f"{question!r} -> {stream.get_final_completion().choices[0].message.content!r}")

        async with trio.open_nursery() as nursery:
            nursery.start_soon(ask, "What is trio?")
            nursery.start_soon(ask, "What is anyio?")
    print("done", file=sys.stderr)


if __name__ == "__main__":
    trio.run(main)
