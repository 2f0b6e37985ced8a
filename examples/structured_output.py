"""Structured outputs: a msgspec Struct as the response format, decoded into ``message.parsed``;
typed tool arguments with the same Structs; the Responses API with ``text_format``."""

import asyncio

import msgspec
from _local import MODEL, groq_client

from groq_anyio import StructuredOutputError
from groq_anyio.helpers import function_tool, parse_tool_arguments, tool_result_message
from groq_anyio.testing import ChatScript

STRUCTURED_MODEL = "openai/gpt-oss-120b"


class Country(msgspec.Struct):
    name: str
    capital: str
    population_millions: float


class CountryList(msgspec.Struct):
    """Countries that match the question."""

    countries: list[Country]


class LookupCountry(msgspec.Struct):
    """Look up facts about a country."""

    name: str


async def main() -> None:
    async with groq_client() as client:
        server = getattr(client, "_example_server", None)
        if server is not None:  # script the local server's answers
            two = (
                '{"countries": [{"name": "Norway", "capital": "Oslo", "population_millions": 5.5},'
                ' {"name": "Sweden", "capital": "Stockholm", "population_millions": 10.5}]}'
            )
            server.push(
                ChatScript(text=two),
                ChatScript(tool_calls=[{"name": "LookupCountry", "arguments": {"name": "Chile"}}]),
                ChatScript(text="Chile's capital is Santiago."),
                ChatScript(text='{"name": "Peru", "capital": "Lima", "population_millions": 34}'),
            )

        # 1. chat: the Struct's JSON schema is sent, the reply comes back decoded and validated
        try:
            c = await client.chat.completions.create(
                model=STRUCTURED_MODEL,
                messages=[{"role": "user", "content": "Two Scandinavian countries, as JSON."}],
                response_format=CountryList,
            )
        except StructuredOutputError as exc:  # the reply did not match the schema
            print("invalid structured output:", exc.content)
            return
        result: CountryList = c.choices[0].message.parsed
        for country in result.countries:
            print(f"{country.name}: capital {country.capital}, {country.population_millions} M")

        # 2. tools: the definition from a Struct, the arguments back as that Struct
        messages: list[object] = [{"role": "user", "content": "What is the capital of Chile?"}]
        c = await client.chat.completions.create(
            model=MODEL, messages=messages, tools=[function_tool(LookupCountry)]
        )
        message = c.choices[0].message
        messages.append(message)
        for call in message.tool_calls or ():
            args = parse_tool_arguments(call, LookupCountry)
            print(f"tool call: LookupCountry(name={args.name!r})")
            messages.append(tool_result_message(call, {"capital": "Santiago"}))
        c = await client.chat.completions.create(
            model=MODEL, messages=messages, tools=[function_tool(LookupCountry)]
        )
        print(c.choices[0].message.content)

        # 3. the Responses API: text_format decodes the output into response.output_parsed
        r = await client.responses.create(
            model=STRUCTURED_MODEL,
            input="One country in South America, as JSON.",
            text_format=Country,
        )
        country = r.output_parsed
        print(f"Responses API: {country.name} (capital {country.capital})")


if __name__ == "__main__":
    asyncio.run(main())
