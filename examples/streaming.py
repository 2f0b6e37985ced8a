"""A streamed chat completion: print text as it arrives, then the rebuilt completion's usage."""

import asyncio
import sys

from _local import MODEL, groq_client


async def main() -> None:
    async with groq_client() as client:
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "Write a haiku about fast inference."}],
            stream=True,
        )
        async with stream:
            async for chunk in stream:
                for choice in chunk.choices:
                    if choice.delta.content:
                        sys.stdout.write(choice.delta.content)
                        sys.stdout.flush()
        print()
        final = stream.get_final_completion()
        ttft = stream.timings.time_to_first_token
        print(
            f"usage: {final.usage.total_tokens if final.usage else 'n/a'} tokens", file=sys.stderr
        )
        if ttft is not None:
            print(f"time to first token: {ttft * 1000:.1f} ms", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
