"""JSON mode and structured outputs with a JSON schema."""

import asyncio
import json

from _local import MODEL, groq_client

from groq_anyio.testing import ChatScript

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"],
    "additionalProperties": False,
}


async def main() -> None:
    async with groq_client() as client:
        server = getattr(client, "_example_server", None)
        if server is not None:
            server.push(ChatScript(text='{"city": "Paris", "country": "France"}'))
            server.push(ChatScript(text='{"city": "Lyon", "country": "France"}'))
        c = await client.chat.completions.create(
            model=MODEL,
            messages=[
                {"role": "user", "content": "Name a city in France as JSON with city and country."}
            ],
            response_format={"type": "json_object"},
        )
        print("json_object:", json.loads(c.choices[0].message.content or "{}"))
        c = await client.chat.completions.create(
            model="openai/gpt-oss-120b",
            messages=[{"role": "user", "content": "Another French city."}],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "CityLocation", "schema": SCHEMA, "strict": True},
            },
        )
        print("json_schema:", json.loads(c.choices[0].message.content or "{}"))


if __name__ == "__main__":
    asyncio.run(main())
