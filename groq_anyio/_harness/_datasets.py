"""Prompts for a benchmark: ``random``, ``custom`` (JSONL) and ``sharegpt`` (JSON).

- random: ``--random-input-len`` words of about four characters each (the local server and
  most tokenizers count about one token for each), ``--random-output-len`` tokens asked for
  through ``max_completion_tokens``; ``--random-range-ratio r`` draws both lengths uniformly
  from ``[len * (1 - r), len * (1 + r)]``, as vLLM does.
- custom: one JSON object per line with a ``"prompt"`` (optionally ``"output_tokens"``); a
  line that is a bare JSON string is a prompt too.
- sharegpt: a JSON list of ``{"conversations": [{"from": "human", "value": ...},
  {"from": "gpt", "value": ...}, ...]}``: the first human turn is the prompt, the length of
  the answer that follows (about 4 characters a token) the output length unless
  ``--sharegpt-output-len`` is given.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import msgspec

from .._decode_errors import DECODE_ERRORS

__all__ = ["DatasetError", "SampleRequest", "custom", "random_dataset", "sharegpt"]

_WORDS = (
    "the",
    "and",
    "for",
    "you",
    "can",
    "run",
    "get",
    "set",
    "new",
    "old",
    "map",
    "key",
    "row",
    "bit",
    "net",
    "cpu",
    "gpu",
    "api",
    "end",
    "way",
)  # fmt: skip (three letters and a space: about one token each)


class DatasetError(ValueError):
    """A dataset that cannot be read or holds no usable prompt."""


class SampleRequest(msgspec.Struct, frozen=True, gc=False):
    """One prompt: its text, its estimated token length and the output tokens to ask for."""

    prompt: str
    prompt_len: int
    expected_output_len: int | None


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def random_dataset(
    num_prompts: int, input_len: int, output_len: int, range_ratio: float, seed: int
) -> list[SampleRequest]:
    if input_len < 1 or output_len < 1:
        raise DatasetError("--random-input-len and --random-output-len must be at least 1")
    if not 0.0 <= range_ratio < 1.0:
        raise DatasetError(f"--random-range-ratio must be in [0, 1), not {range_ratio}")
    rng = random.Random(seed)

    def draw(length: int) -> int:
        lo = max(1, int(length * (1 - range_ratio)))
        hi = max(lo, int(length * (1 + range_ratio)))
        return rng.randint(lo, hi)

    out = []
    for i in range(num_prompts):
        n_in = draw(input_len)
        n_out = draw(output_len)
        # a distinct head per prompt, so no two prompts share a cacheable prefix
        words = [f"{i % 1000:03d}"]
        words += [_WORDS[rng.randrange(len(_WORDS))] for _ in range(n_in - 1)]
        out.append(SampleRequest(" ".join(words), n_in, n_out))
    return out


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise DatasetError(f"cannot read the dataset {path!r}: {exc.strerror or exc}") from None


def _cycle(samples: list[SampleRequest], num_prompts: int, what: str) -> list[SampleRequest]:
    if not samples:
        raise DatasetError(f"the {what} dataset holds no usable prompt")
    return [samples[i % len(samples)] for i in range(num_prompts)]


def custom(path: str, num_prompts: int, output_len: int | None) -> list[SampleRequest]:
    """Prompts from a JSONL file (``{"prompt": ...}`` or a JSON string per line)."""
    samples: list[SampleRequest] = []
    for lineno, line in enumerate(_read(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc: Any = msgspec.json.decode(line)
        except DECODE_ERRORS:
            raise DatasetError(f"{path}:{lineno}: not a JSON line") from None
        out = output_len
        if isinstance(doc, dict):
            prompt = doc.get("prompt")
            n = doc.get("output_tokens")
            if out is None and isinstance(n, int) and not isinstance(n, bool) and n > 0:
                out = n
        else:
            prompt = doc
        if not isinstance(prompt, str) or not prompt:
            raise DatasetError(f'{path}:{lineno}: no "prompt" string')
        samples.append(SampleRequest(prompt, _estimate_tokens(prompt), out))
    return _cycle(samples, num_prompts, "custom")


def sharegpt(path: str, num_prompts: int, output_len: int | None, seed: int) -> list[SampleRequest]:
    """Prompts from a ShareGPT JSON file (first human turn; the answer's length)."""
    try:
        doc: Any = msgspec.json.decode(_read(path))
    except DECODE_ERRORS as exc:
        raise DatasetError(f"{path}: not JSON ({exc})") from None
    if not isinstance(doc, list):
        raise DatasetError(f"{path}: a ShareGPT dataset is a JSON list of conversations")
    samples: list[SampleRequest] = []
    for entry in doc:
        turns = entry.get("conversations") if isinstance(entry, dict) else None
        if not isinstance(turns, list) or len(turns) < 2:
            continue
        first, second = turns[0], turns[1]
        if not (isinstance(first, dict) and isinstance(second, dict)):
            continue
        prompt, answer = first.get("value"), second.get("value")
        if not isinstance(prompt, str) or not prompt or not isinstance(answer, str):
            continue
        out = output_len if output_len is not None else _estimate_tokens(answer)
        samples.append(SampleRequest(prompt, _estimate_tokens(prompt), out))
    random.Random(seed).shuffle(samples)
    return _cycle(samples, num_prompts, "ShareGPT")
