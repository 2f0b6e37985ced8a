"""The official SDK's ``*Param`` TypedDicts type ``chat.completions.create``: mypy (strict)
accepts SDK-style request bodies and flags wrong ones (``{"rol": "user"}``, a tool message
without ``tool_call_id``, an unknown ``tool_choice``), as it does with the official SDK."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

SNIPPET = textwrap.dedent(
    """
    from groq_anyio import AsyncGroq
    from groq_anyio.helpers import function_tool
    from groq_anyio.types import UserMessage
    from groq_anyio.types.chat import (
        ChatCompletion,
        ChatCompletionMessageParam,
        ChatCompletionToolParam,
        ChatCompletionUserMessageParam,
        CompletionCreateParams,
        CompletionCreateParamsNonStreaming,
    )
    from groq_anyio.types.shared_params import FunctionDefinition


    class Weather:
        city: str


    async def good(client: AsyncGroq) -> None:
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hi"},
        ]
        user: ChatCompletionUserMessageParam = {"role": "user", "content": "again"}
        messages.append(user)
        tools: list[ChatCompletionToolParam] = [{"type": "function", "function": {"name": "f"}}]
        await client.chat.completions.create(model="m", messages=messages, tools=tools)
        await client.chat.completions.create(
            model="m",
            messages=[
                {"role": "user", "content": [{"type": "text", "text": "hi"}]},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ]},
                {"role": "tool", "content": "sunny", "tool_call_id": "c1"},
                UserMessage(content="a Struct works too"),
            ],
            tool_choice="auto",
            tools=[function_tool(Weather)],
        )
        params: CompletionCreateParamsNonStreaming = {"model": "m", "messages": messages}
        completion: ChatCompletion = await client.chat.completions.create(**params)
        flag: bool = bool(completion.choices)
        either = await client.chat.completions.create(model="m", messages=messages, stream=flag)
        assert either is not None
        fn: FunctionDefinition = {"name": "f", "parameters": {"type": "object"}}
        await client.chat.completions.create(
            model="m", messages=messages, tools=[{"type": "function", "function": fn}]
        )


    async def bad(client: AsyncGroq) -> None:
        create = client.chat.completions.create
        await create(model="m", messages=[{"rol": "user", "content": "x"}])  # BAD
        await create(model="m", messages=[{"role": "tool", "content": "x"}])  # BAD
        await create(model="m", messages=[{"role": "usr", "content": "x"}])  # BAD
        await create(model="m", messages=[], tool_choice="sometimes")  # BAD
        wrong: CompletionCreateParams = {"model": "m", "messages": [], "temprature": 1}  # BAD
    """
)


def test_mypy_flags_wrong_request_dicts(tmp_path: Path) -> None:
    path = tmp_path / "snippet.py"
    path.write_text(SNIPPET)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--show-error-codes",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    bad_lines = {i for i, line in enumerate(SNIPPET.splitlines(), 1) if line.endswith("# BAD")}
    assert len(bad_lines) == 5
    errors: dict[int, list[str]] = {}
    for line in done.stdout.splitlines():
        m = re.match(r".*snippet\.py:(\d+): error: (.*)", line)
        if m:
            errors.setdefault(int(m.group(1)), []).append(m.group(2))
    # every wrong call is flagged, nothing else is
    assert set(errors) == bad_lines, done.stdout + done.stderr
    assert done.returncode == 1
    rol_line = min(bad_lines)
    assert any("ChatCompletionUserMessageParam" in e for e in errors[rol_line]), errors[rol_line]
