"""Models, embeddings, and a batch job from upload to typed results (anyio: asyncio or trio)."""

import json
import sys

import anyio
from _local import MODEL, groq_client


def batch_file(questions: list[str]) -> bytes:
    """One chat request per line, as the Batch API wants its JSONL input."""
    lines = []
    for i, question in enumerate(questions):
        request = {
            "custom_id": f"question-{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": MODEL, "messages": [{"role": "user", "content": question}]},
        }
        lines.append(json.dumps(request))
    return ("\n".join(lines) + "\n").encode()


async def main() -> None:
    async with groq_client() as client:
        models = await client.models.list()
        chat_models = [m for m in models if m.context_window and m.context_window > 1000]
        print(f"{len(models)} models; for example:")
        for model in chat_models[:3]:
            print(f"  {model.id}: context {model.context_window}, by {model.owned_by}")

        embedded = await client.embeddings.create(
            model="nomic-embed-text-v1_5", input=["fast inference", "low latency"]
        )
        first, second = embedded.vectors()
        similarity = sum(a * b for a, b in zip(first, second, strict=True))
        print(f"embeddings: {len(first)} dimensions, cosine similarity {similarity:.3f}")

        questions = ["What is an LPU?", "Why does latency matter?", "Name a fast model."]
        uploaded = await client.files.create(file=("questions.jsonl", batch_file(questions)))
        batch = await client.batches.create(input_file_id=uploaded.id, completion_window="24h")
        while not batch.is_finished:  # a real batch takes minutes to hours
            await anyio.sleep(10)
            batch = await client.batches.retrieve(batch.id)
        print(f"batch {batch.id}: {batch.status}, {batch.request_counts}")

        async with await client.batches.results(batch) as results:
            async for result in results:
                if result.completion is not None:
                    print(f"  {result.custom_id}: {result.completion.choices[0].message.content}")
                else:
                    print(f"  {result.custom_id}: failed ({result.response or result.error})")


if __name__ == "__main__":
    anyio.run(main, backend=sys.argv[1] if len(sys.argv) > 1 else "asyncio")
