"""A plain chat completion (asyncio)."""

import asyncio

from _local import MODEL, groq_client


async def main() -> None:
    async with groq_client() as client:
        completion = await client.chat.completions.create(
            model=MODEL,
            messages=[
                {"role": "system", "content": "You answer in one sentence."},
                {"role": "user", "content": "Why does low latency matter for LLM apps?"},
            ],
            temperature=0.2,
        )
        print(completion.choices[0].message.content)
        usage = completion.usage
        if usage is not None:
            print(
                f"tokens: {usage.total_tokens} "
                f"(prompt {usage.prompt_tokens}, completion {usage.completion_tokens})"
            )
        if completion.x_groq is not None:
            print(f"request id: {completion.x_groq.id}")


if __name__ == "__main__":
    asyncio.run(main())
