"""What ``import groq_anyio`` costs, checked without a clock, and the lazy public surface.

``import groq_anyio`` imports nothing but the package itself: every public name is loaded on
first use (PEP 562 ``__getattr__``). ``from groq_anyio import AsyncGroq`` brings in the client's
own modules and what they stand on (msgspec, anyio) but nothing that is only needed once a
client exists: httpcore (which imports trio eagerly when it is installed), h11, h2, ssl.
Creating a client (issue 9: import + client <= 100 ms) adds its transport, but on the default
path - HTTP/1.1 with httptools, over TLS or not - still no httpcore, h2, h11 or ssl: the TLS
context is checked at creation and built by the first TLS connection. The costs are counted in
modules imported, in fresh interpreters, so the checks do not depend on how busy the machine
is (``bench/import_time.py`` has the wall-clock numbers).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import groq_anyio
import groq_anyio.types

#: never imported by ``import groq_anyio`` nor by ``from groq_anyio import AsyncGroq``
NETWORK_STACK = {"httpcore", "h11", "h2", "hpack", "hyperframe", "trio", "ssl", "_ssl"}
#: also not needed before a client exists (heavy, or only for rare paths)
DEFERRED = {"truststore", "certifi", "email", "socket", "select", "selectors", "asyncio"}
#: stdlib packages the client only needs once it runs (logging: only when something is logged)
DEFERRED |= {"logging", "ipaddress", "urllib"}  # (anyio.lowlevel imports dataclasses)
#: modules ``from groq_anyio import AsyncGroq`` may add on top of ``import msgspec, anyio``
CLIENT_IMPORT_BUDGET = 60
#: modules creating an HTTP/1.1 client may add on top of ``from groq_anyio import AsyncGroq``
#: (52 measured: the transport, httptools, the chat resource and the logging it needs; with
#: httpcore, h2, h11, ssl and certifi it was 137)
CLIENT_CREATE_BUDGET = 70
#: what creating an HTTP/1.1 client must not import: HTTP/2's and h11's stack, the TLS stack
#: and trust stores (built by the first TLS connection), the network backends' event loops
NOT_AT_CREATION = NETWORK_STACK | {"truststore", "certifi", "asyncio", "socket", "select"}
#: base URLs of the default path: the API (https), another https server, a loopback http one
CREATION_URLS = [None, "https://api.example.com/openai/v1", "http://127.0.0.1:1"]


def _new_modules(statement: str, baseline: str = "pass") -> list[str]:
    """Modules a fresh interpreter imports for ``statement`` after running ``baseline``."""
    code = (
        "import sys, json\n"
        f"{baseline}\n"
        "before = set(sys.modules)\n"
        f"{statement}\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _top_level(modules: list[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_import_groq_anyio_imports_only_itself() -> None:
    new = _new_modules("import groq_anyio")
    assert set(new) <= {"groq_anyio", "groq_anyio._version"}, new


def test_client_import_leaves_the_network_stack_for_later() -> None:
    # on top of what anyio itself imports: anyio before 4.15 imports ssl, socket and logging
    # eagerly (the oldest supported anyio is 4.11); from 4.15 on the baseline adds nothing
    new = _new_modules("from groq_anyio import AsyncGroq", baseline="import anyio")
    assert not _top_level(new) & (NETWORK_STACK | DEFERRED), sorted(
        _top_level(new) & (NETWORK_STACK | DEFERRED)
    )


def test_client_import_module_budget() -> None:
    new = _new_modules("from groq_anyio import AsyncGroq", baseline="import msgspec, anyio")
    ours = [m for m in new if m.startswith("groq_anyio")]
    print(f"\n{len(new)} modules beyond msgspec and anyio ({len(ours)} of groq_anyio): {new}")
    assert len(new) <= CLIENT_IMPORT_BUDGET
    # one API area's types do not pull in the others
    assert not {"groq_anyio.types.audio", "groq_anyio.types.batches"} & set(new)


def test_types_package_is_lazy() -> None:
    new = _new_modules("import groq_anyio.types.chat")
    assert "groq_anyio.types.audio" not in new
    assert "groq_anyio.types.responses" not in new


@pytest.mark.parametrize("package", [groq_anyio, groq_anyio.types], ids=lambda p: p.__name__)
def test_every_public_name_resolves(package: object) -> None:
    names = package.__all__  # type: ignore[attr-defined]
    assert len(set(names)) == len(names), "duplicate names in __all__"
    for name in names:
        assert getattr(package, name) is not None or name == "NOT_GIVEN", name
    listed = dir(package)
    assert set(names) <= set(listed)
    with pytest.raises(AttributeError):
        getattr(package, "NoSuchName")  # noqa: B009


def test_star_imports() -> None:
    for package in ("groq_anyio", "groq_anyio.types"):
        namespace: dict[str, object] = {}
        exec(f"from {package} import *", namespace)
        assert set(getattr(sys.modules[package], "__all__")) <= set(namespace)  # noqa: B009


@pytest.mark.parametrize("package", [groq_anyio, groq_anyio.types], ids=lambda p: p.__name__)
def test_lazy_table_matches_the_typing_imports(package: object) -> None:
    """Each public name appears in ``__all__``, in the ``if TYPE_CHECKING:`` imports (what type
    checkers see) and in ``_LAZY`` (what runs), from the same module."""
    source = Path(package.__file__).read_text()  # type: ignore[attr-defined]
    typing_imports: dict[str, str] = {}
    eager: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            eager.update(alias.asname or alias.name for alias in node.names)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for sub in node.body:
                if isinstance(sub, ast.ImportFrom) and sub.level == 1:
                    for alias in sub.names:
                        typing_imports[alias.asname or alias.name] = sub.module or ""
    lazy: dict[str, str] = package._LAZY  # type: ignore[attr-defined]
    assert typing_imports == lazy
    assert set(package.__all__) == set(lazy) | (eager & set(package.__all__))  # type: ignore[attr-defined]


def test_public_classes_show_the_package_as_their_module() -> None:
    from groq_anyio import APIStatusError, AsyncGroq

    assert AsyncGroq.__module__ == "groq_anyio"
    assert APIStatusError.__module__ == "groq_anyio"


def test_telemetry_off_imports_no_opentelemetry() -> None:
    """opentelemetry is installed here, yet a client that makes plain and streamed calls
    without a configured provider imports none of it (nor the OpenTelemetry glue)."""
    code = (
        "import sys, json, anyio\n"
        "from groq_anyio import AsyncGroq\n"
        "from groq_anyio.testing import GroqTestServer\n"
        "async def main():\n"
        "    async with GroqTestServer() as s:\n"
        "        async with AsyncGroq(api_key='gsk_x', base_url=s.base_url) as c:\n"
        "            assert c._instrument is None\n"
        "            m = [{'role': 'user', 'content': 'hi'}]\n"
        "            await c.chat.completions.create(model='llama-3.3-70b-versatile', messages=m)\n"
        "            st = await c.chat.completions.create(\n"
        "                model='llama-3.3-70b-versatile', messages=m, stream=True)\n"
        "            async with st:\n"
        "                async for _ in st:\n"
        "                    pass\n"
        "anyio.run(main)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(out.stdout))
    assert not {m for m in loaded if m.split(".")[0] == "opentelemetry"}
    assert "groq_anyio._telemetry._otel" not in loaded
    assert "groq_anyio._telemetry._call" not in loaded


def test_client_import_does_not_import_telemetry() -> None:
    new = _new_modules("from groq_anyio import AsyncGroq")
    assert not [m for m in new if m.startswith(("groq_anyio._telemetry", "opentelemetry"))]


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "http2"])
def test_a_client_on_asyncio_never_imports_trio(http2: bool) -> None:
    """httpcore imports trio eagerly when it is installed (about a third of creating the first
    client); HTTP/1.1 never imports httpcore at all, and with HTTP/2 on, on the httpcore release
    whose internals we know, the transport imports it without trio (it never runs httpcore's
    trio paths). The trio backend loads only under trio."""
    code = (
        "from groq_anyio import AsyncGroq\n"
        "import asyncio\n"
        "async def main():\n"
        "    async with AsyncGroq(\n"
        f"        api_key='gsk_x', base_url='http://127.0.0.1:9', http2={http2}\n"
        "    ) as c:\n"
        "        try:\n"
        "            await c.models.list(timeout=1)\n"
        "        except Exception:\n"
        "            pass\n"
        "asyncio.run(main())\n"
    )
    new = _new_modules(code)
    assert "trio" not in _top_level(new), sorted(m for m in new if m.startswith("trio"))
    assert "groq_anyio._transport._backends._trio" not in new
    assert "groq_anyio._transport._backends._asyncio" in new  # (it did try to connect)
    if http2:
        assert {"httpcore", "h2"} <= _top_level(new)
    else:
        assert not _top_level(new) & {"httpcore", "h2", "h11", "hpack"}, sorted(new)


@pytest.mark.parametrize("base_url", CREATION_URLS, ids=["default", "https", "http"])
def test_creating_a_client_imports_no_http2_nor_tls_stack(base_url: str | None) -> None:
    """Issue 9: import + client creation <= 100 ms. Creating an HTTP/1.1 client (the default)
    imports neither httpcore, h2 and h11 (our connection and :mod:`._core` need none of them)
    nor ssl and a trust store (the TLS context is checked now, built by the first TLS
    connection)."""
    url = "" if base_url is None else f", base_url={base_url!r}"
    new = _new_modules(
        f"c = AsyncGroq(api_key='gsk_x'{url})\nassert not c._transport.tls or not "
        "c._transport.tls.built",
        baseline="from groq_anyio import AsyncGroq",
    )
    print(f"\n{len(new)} modules for creating a client: {new}")
    assert not _top_level(new) & NOT_AT_CREATION, sorted(_top_level(new) & NOT_AT_CREATION)
    assert "groq_anyio._transport._h2" not in new
    assert len(new) <= CLIENT_CREATE_BUDGET


def test_an_http2_client_imports_httpcore_when_created() -> None:
    """With HTTP/2 on, httpcore and h2 are imported when the client is created, not by its
    first request (which would pay ~30 ms more before its first byte); still without trio, and
    the TLS context still waits for the first connection."""
    new = _new_modules(
        "c = AsyncGroq(api_key='gsk_x', http2=True)\nassert not c._transport.tls.built",
        baseline="from groq_anyio import AsyncGroq",
    )
    assert {"httpcore", "h2", "hpack"} <= _top_level(new)
    assert "groq_anyio._transport._h2" in new
    assert not _top_level(new) & {"trio", "truststore"}


def test_a_callers_context_is_used_without_building_one() -> None:
    """``verify=<an ssl.SSLContext>``: checked and used as given at creation; no trust store
    is loaded."""
    new = _new_modules(
        "import ssl\nctx = ssl.create_default_context()\n"
        "c = AsyncGroq(api_key='gsk_x', verify=ctx)\n"
        "assert c._transport.tls.built and c._transport.ssl_context is ctx",
        baseline="from groq_anyio import AsyncGroq",
    )
    assert not _top_level(new) & {"truststore", "certifi", "httpcore"}
