"""Every fenced code block of README.md, CONTRIBUTING.md and docs/**/*.md, run (or checked).

Blocks are found by a small Markdown fence scanner (```` ``` ```` or ``~~~``, any indentation,
an info string whose first word is the language) and each is one test, named ``page:line``.

What happens to a block, by language:

- ``python``: run in a fresh interpreter (cwd: a temporary directory, timeout 60 s) against the
  local Groq-compatible server this module starts (``GroqTestServer`` in a thread, requiring a
  test key), with ``GROQ_API_KEY`` and ``GROQ_BASE_URL`` set in the environment, so code written
  as a user writes it (``AsyncGroq()`` reading the environment) talks to that server. A block
  may use top-level ``await`` / ``async with`` as in an async REPL: it is then compiled with
  ``PyCF_ALLOW_TOP_LEVEL_AWAIT`` and awaited under ``anyio.run`` (asyncio). Every python block,
  run or not, must compile.
- ``bash`` / ``sh`` / ``shell`` / ``console`` (its ``$ `` lines): each command
  (``\\``-continued lines joined, ``&&`` chains split, comments dropped) that is a
  ``groq-anyio ...`` or ``python -m groq_anyio ...`` command (any ``python`` / ``python3`` /
  ``.venv/bin/python``) runs against the same server, with this
  interpreter, a 120 s timeout, and must exit 0; ``serve`` and ``record`` run until they say they
  are listening, then get SIGINT and must exit 0. Not run: ``export VAR=...`` (the environment
  is this module's), ``pip``, ``nox``, ``git``, ``python3 -m venv``, ``pytest`` and
  ``python bench/...`` lines (tools and benchmarks CI runs in their own steps), and README's
  ``<!-- main-command -->`` / ``<!-- test-command -->`` blocks (CI runs those verbatim).
- ``json`` / ``toml``: parsed. ``text``, no language, MyST directives (``{toctree}``)
  and other output-like languages: not executed (counted as ignored). An unknown language fails,
  so a typo (``pyhton``) cannot hide a block.

Markers: an HTML comment on the line(s) right before a fence, ``<!-- snippet: WORD [ARGS] -->``
(invisible in rendered pages). Several may stack:

- ``skip-run REASON``: not run (needs a real key, a real proxy, Groq itself, minutes of load);
  python must still compile, a ``groq-anyio`` command must still parse (its argument parser).
  The reason is required. The number of skip-run blocks is capped (``MAX_SKIP_RUN``).
- ``continue``: a python block that goes on from the previous python block of the same page:
  the chain is joined and run as one program (the first block's ``setup`` applies).
- ``setup NAME``: code from ``SETUPS`` below runs first: ``client`` (``client = AsyncGroq()``
  from the environment, closed afterwards, and ``MODEL``), ``server`` (a ``GroqTestServer`` of
  the snippet's own, ``server``, and ``client`` on it: for blocks that push scripted replies).
- ``pytest``: the block is a test module: written to ``test_snippet.py`` and run with pytest
  (the package's fixtures come from its pytest plugin); it must pass.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from groq_anyio.testing import GroqTestServer

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]
KEY = "gsk_docs_snippets_0123456789"
MAX_SKIP_RUN = 8  # python blocks and commands not run: keep them few
TIMEOUT = 60.0

RUN_LANGS = {"python", "py", "python3"}
SHELL_LANGS = {"bash", "sh", "shell", "console"}
PARSE_LANGS = {"json", "toml"}
IGNORED_LANGS = {"", "text", "ini", "cfg", "output", "none", "pycon", "diff", "csv"}
MARKERS = {"skip-run", "continue", "setup", "pytest"}

_FENCE = re.compile(r"^(?P<indent>[ ]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*snippet:\s*(?P<word>[\w-]+)\s*(?P<args>.*?)\s*-->\s*$")
_OTHER_MARK = re.compile(r"^\s*<!--\s*(main-command|test-command)\s*-->\s*$")

SETUPS: dict[str, tuple[str, str]] = {
    "client": (
        "from groq_anyio import AsyncGroq\n"
        'MODEL = "llama-3.3-70b-versatile"\n'
        "client = AsyncGroq()\n",
        "await client.aclose()\n",
    ),
    "server": (
        "from groq_anyio import AsyncGroq\n"
        "from groq_anyio.testing import GroqTestServer\n"
        'MODEL = "llama-3.3-70b-versatile"\n'
        "server = await GroqTestServer().__aenter__()\n"
        'client = AsyncGroq(api_key="gsk_test", base_url=server.base_url, max_retries=0)\n',
        "await client.aclose()\nawait server.__aexit__(None, None, None)\n",
    ),
}


@dataclass
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    markers: dict[str, str] = field(default_factory=dict)
    ci_command: bool = False  # README's main-command / test-command
    previous: Block | None = None  # the python block a `continue` block goes on from

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT).as_posix()}:{self.line}"

    def chain(self) -> list[Block]:
        blocks: list[Block] = [self]
        while "continue" in blocks[0].markers:
            prev = blocks[0].previous
            assert prev is not None, f"{self.id}: `continue` with no python block before it"
            blocks.insert(0, prev)
        return blocks


def scan(page: Path) -> Iterator[Block]:
    """The fenced blocks of one Markdown page, with the markers written just above them."""
    lines = page.read_text(encoding="utf-8").splitlines()
    last_python: Block | None = None
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        indent, fence, info = len(m["indent"]), m["fence"], m["info"].strip()
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines):
            close = _FENCE.match(lines[i])
            if (
                close
                and close["fence"][0] == fence[0]
                and len(close["fence"]) >= len(fence)
                and not close["info"].strip()
            ):
                break
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        i += 1
        markers: dict[str, str] = {}
        ci_command = False
        j = start - 1
        while j >= 0 and (_MARKER.match(lines[j]) or _OTHER_MARK.match(lines[j])):
            mk = _MARKER.match(lines[j])
            if mk:
                word = mk["word"]
                if word not in MARKERS:
                    raise AssertionError(f"{page}:{j + 1}: unknown snippet marker {word!r}")
                markers[word] = mk["args"]
            else:
                ci_command = True
            j -= 1
        lang = info.split()[0].lower() if info else ""
        block = Block(page, start + 1, lang, "\n".join(body) + "\n", markers, ci_command)
        if lang in RUN_LANGS:
            block.previous = last_python
            last_python = block
        yield block


BLOCKS = [b for page in PAGES for b in scan(page)]
PY_BLOCKS = [b for b in BLOCKS if b.lang in RUN_LANGS]
SHELL_BLOCKS = [b for b in BLOCKS if b.lang in SHELL_LANGS]
PARSE_BLOCKS = [b for b in BLOCKS if b.lang in PARSE_LANGS]


# -- the server and the environment ----------------------------------------------------------------


@pytest.fixture(scope="module")
def env() -> Iterator[dict[str, str]]:
    with GroqTestServer(api_key=KEY).run_in_thread() as server:
        drop = ("GROQ_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "OTEL_")
        e = {k: v for k, v in os.environ.items() if not k.upper().startswith(drop)}
        e.update(
            GROQ_API_KEY=KEY,
            GROQ_BASE_URL=server.base_url,
            PYTHONPATH=str(ROOT),
            PYTHONDONTWRITEBYTECODE="1",
        )
        yield e


def _source(block: Block) -> str:
    chain = block.chain()
    setup = chain[0].markers.get("setup")
    code = "".join(b.code for b in chain)
    if setup is None:
        return code
    assert setup in SETUPS, f"{block.id}: unknown setup {setup!r} (known: {sorted(SETUPS)})"
    before, after = SETUPS[setup]
    return before + code + after


_RUNNER = """\
import ast, inspect, sys
import anyio
path, name = sys.argv[1], sys.argv[2]
src = open(path, encoding="utf-8").read()
code = compile(src, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
ns = {"__name__": "__main__", "__file__": path}
if code.co_flags & inspect.CO_COROUTINE:
    async def main():
        await eval(code, ns)
    anyio.run(main)
else:
    exec(code, ns)
"""


def _compile(source: str, name: str) -> None:
    compile(source, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def _check(proc: subprocess.CompletedProcess[str], what: str) -> None:
    assert proc.returncode == 0, (
        f"{what} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}"
        f"\n--- stderr\n{proc.stderr[-6000:]}"
    )
    assert KEY not in proc.stdout + proc.stderr, f"{what}: the API key was printed"


@pytest.mark.parametrize("block", PY_BLOCKS, ids=[b.id for b in PY_BLOCKS])
def test_python_block(block: Block, env: dict[str, str], tmp_path: Path) -> None:
    source = _source(block)
    _compile(source, block.id)
    if "skip-run" in block.markers:
        assert block.markers["skip-run"], f"{block.id}: skip-run needs a reason"
        return  # compiled; not run (the reason is in the page)
    if "pytest" in block.markers:
        (tmp_path / "test_snippet.py").write_text(source, encoding="utf-8")
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_snippet.py"]
        proc = subprocess.run(
            cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
        _check(proc, f"pytest on {block.id}")
        assert " passed" in proc.stdout and "failed" not in proc.stdout, proc.stdout
        return
    (tmp_path / "snippet.py").write_text(source, encoding="utf-8")
    (tmp_path / "_run_snippet.py").write_text(_RUNNER, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "_run_snippet.py", "snippet.py", block.id],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    _check(proc, block.id)


# -- shell blocks ---------------------------------------------------------------------------------

_PYTHON = re.compile(r"^(\S*/)?python(3(\.\d+)?)?$")


def _commands(code: str, lang: str = "bash") -> list[list[str]]:
    """The block's commands as argument lists (continuations joined, comments dropped); in a
    ``console`` block only the ``$ `` lines are commands, the rest is their output."""
    if lang == "console":
        kept, more = [], False
        for ln in code.splitlines():
            if ln.startswith("$ ") or more:
                kept.append(ln[2:] if ln.startswith("$ ") and not more else ln)
                more = ln.endswith("\\")
        code = "\n".join(kept) + "\n"
    joined = re.sub(r"\\\n", " ", code)
    out: list[list[str]] = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        part: list[str] = []
        for w in [*words, "&&"]:
            if w in ("&&", ";"):
                if part:
                    out.append(part)
                part = []
            else:
                part.append(w)
    return out


def _groq_anyio_args(words: list[str]) -> list[str] | None:
    """The arguments after ``groq-anyio`` / ``python -m groq_anyio``, or None for other tools."""
    if words[0] == "groq-anyio":
        return words[1:]
    if _PYTHON.match(words[0]) and words[1:3] == ["-m", "groq_anyio"]:
        return words[3:]
    return None


def _parses(args: list[str]) -> None:
    from groq_anyio.cli import _parser

    try:
        parsed = _parser().parse_args(args)  # SystemExit(2) for a bad command line
    except SystemExit as exc:
        assert exc.code == 0, f"groq-anyio {shlex.join(args)}: refused by the argument parser"
        return  # --help, --version
    if parsed.command == "bench":
        from groq_anyio._harness._cli import _check as check_bench

        check_bench(parsed)


def _run_long(args: list[str], env: dict[str, str], cwd: Path, what: str) -> None:
    """``serve`` / ``record``: start, wait for the line saying where it listens, interrupt."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "groq_anyio", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + TIMEOUT
        line = ""
        while time.monotonic() < deadline and proc.poll() is None:
            line = proc.stderr.readline()
            if "server on" in line or "recording" in line:
                break
        assert "server on" in line or "recording" in line, f"{what}: no ready line ({line!r})"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    _check(subprocess.CompletedProcess(proc.args, proc.returncode, out, line + err), what)


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=[b.id for b in SHELL_BLOCKS])
def test_shell_block(block: Block, env: dict[str, str], tmp_path: Path) -> None:
    commands = _commands(block.code, block.lang)
    assert commands, f"{block.id}: an empty shell block"
    if block.ci_command:
        return  # README's set-up and test commands: CI runs them verbatim (.ci/run)
    skip = "skip-run" in block.markers
    for words in commands:
        args = _groq_anyio_args(words)
        if args is None:
            continue  # export / pip / nox / git / venv / pytest / bench scripts: not run here
        what = f"{block.id}: {shlex.join(words)}"
        _parses(args)
        if skip:
            continue
        if args and args[0] in ("serve", "record"):
            _run_long(args, env, tmp_path, what)
            continue
        proc = subprocess.run(
            [sys.executable, "-m", "groq_anyio", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=2 * TIMEOUT,
        )
        _check(proc, what)


@pytest.mark.parametrize("block", PARSE_BLOCKS, ids=[b.id for b in PARSE_BLOCKS])
def test_data_block(block: Block) -> None:
    if block.lang == "json":
        json.loads(block.code)
    else:
        tomllib.loads(block.code)


# -- the inventory ---------------------------------------------------------------------------------


def _is_command(block: Block) -> bool:
    return any(_groq_anyio_args(w) is not None for w in _commands(block.code, block.lang))


def test_inventory() -> None:
    """Every block has a known language, markers are used sparingly, and the counts are shown."""
    known = RUN_LANGS | SHELL_LANGS | PARSE_LANGS | IGNORED_LANGS
    unknown = [b.id for b in BLOCKS if b.lang not in known and not b.lang.startswith("{")]
    assert not unknown, f"code blocks in a language this test does not know: {unknown}"
    for b in BLOCKS:
        if b.markers and b.lang not in RUN_LANGS | SHELL_LANGS:
            raise AssertionError(f"{b.id}: snippet markers on a {b.lang or 'plain'} block")
    skipped = [b.id for b in PY_BLOCKS + SHELL_BLOCKS if "skip-run" in b.markers]
    assert len(skipped) <= MAX_SKIP_RUN, f"too many blocks not run ({len(skipped)}): {skipped}"
    ignored = [b for b in BLOCKS if b not in PY_BLOCKS + SHELL_BLOCKS + PARSE_BLOCKS]
    commands = [b for b in SHELL_BLOCKS if _is_command(b) and not b.ci_command]
    print(
        f"\n{len(BLOCKS)} blocks in {len(PAGES)} pages: {len(PY_BLOCKS)} python "
        f"({len(PY_BLOCKS) - sum('skip-run' in b.markers for b in PY_BLOCKS)} run), "
        f"{len(SHELL_BLOCKS)} shell ({len(commands)} with groq-anyio commands), "
        f"{len(PARSE_BLOCKS)} parsed, {len(ignored)} ignored; skip-run: {skipped}"
    )
    assert len(PY_BLOCKS) >= 10  # the scanner finds the pages' blocks at all


def test_marker_scheme(tmp_path: Path) -> None:
    """The scanner on a page of its own: markers, `continue` chains, setups, fences."""
    page = tmp_path / "page.md"
    page.write_text(
        "Text.\n\n<!-- snippet: setup client -->\n```python\na = 1\n```\n\n"
        "<!-- snippet: continue -->\n```python\nb = a + 1\n```\n\n"
        "````text\n```python\nnot a block of its own\n```\n````\n\n"
        "  ~~~bash\n  groq-anyio chat hi\n  ~~~\n\n"
        "<!-- snippet: skip-run needs Groq -->\n<!-- snippet: pytest -->\n```py\nx = 2\n```\n",
        encoding="utf-8",
    )
    first, second, text, bash, last = scan(page)
    assert (first.line, first.markers) == (4, {"setup": "client"})
    assert second.chain() == [first, second]
    before, after = SETUPS["client"]
    assert _source(second) == before + "a = 1\nb = a + 1\n" + after
    assert text.lang == "text" and "not a block" in text.code  # a longer fence holds a shorter
    assert bash.code == "groq-anyio chat hi\n"  # indentation removed
    assert last.markers == {"skip-run": "needs Groq", "pytest": ""}
    assert last.previous is second and last.chain() == [last]
    page.write_text("<!-- snippet: skip -->\n```python\n```\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="unknown snippet marker 'skip'"):
        list(scan(page))
