"""A tool-call round trip: the model asks for a function, we run it and send the result back."""

import asyncio
import json

from _local import MODEL, groq_client

from groq_anyio.testing import ChatScript

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def get_weather(city: str) -> dict[str, object]:
    return {"city": city, "temperature_c": 21, "sky": "clear"}


async def main() -> None:
    async with groq_client() as client:
        server = getattr(client, "_example_server", None)
        if server is not None:  # script the local server: first a tool call, then an answer
            server.push(
                ChatScript(
                    text="", tool_calls=[{"name": "get_weather", "arguments": {"city": "Paris"}}]
                ),
                ChatScript(text="It is 21 °C and clear in Paris."),
            )
        messages: list[dict[str, object]] = [
            {"role": "user", "content": "What's the weather in Paris?"}
        ]
        first = await client.chat.completions.create(
            model=MODEL, messages=messages, tools=TOOLS, tool_choice="auto"
        )
        message = first.choices[0].message
        if not message.tool_calls:
            print(message.content)
            return
        messages.append(message.to_dict())
        for call in message.tool_calls:
            result = get_weather(**json.loads(call.function.arguments))
            messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}
            )
            print(f"called {call.function.name}({call.function.arguments}) -> {result}")
        final = await client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        print(final.choices[0].message.content)


if __name__ == "__main__":
    asyncio.run(main())
