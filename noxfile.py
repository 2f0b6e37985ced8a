"""Sessions mirror CI: tests (asyncio and trio in one run), oldest, lint, typecheck, bench, docs.

The test suite talks only to servers it starts on loopback; nothing here needs the network
beyond the package registry for installs.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.default_venv_backend = "venv"


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The whole suite; every async test is parametrized over asyncio and trio."""
    session.install("-e", ".[test]")
    session.run("python", "-c", "import trio")  # fail early when trio is missing
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python="3.11")
def oldest(session: nox.Session) -> None:
    """The whole suite on the oldest supported versions: every floor pinned.

    The pins live in .ci/constraints-oldest.txt (the CI step "oldest" uses the same file);
    .ci/check_oldest.py fails the session if any pinned package is missing or at another version.
    """
    session.install("-c", ".ci/constraints-oldest.txt", "-e", ".[test]", "httptools")
    session.run("python", ".ci/check_oldest.py")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff==0.17.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[test,lint]")
    session.run("mypy")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Micro benchmarks (pyperf) and the side-by-side run against the official SDKs."""
    session.install("-e", ".[bench]")
    session.run("python", "bench/run_all.py", *session.posargs)


@nox.session(python="3.11")
def instructions(session: nox.Session) -> None:
    """Instructions per request and per chunk under valgrind (needs valgrind; ~40 min)."""
    session.install("-e", ".[bench]")
    session.run("python", "bench/instructions.py", *session.posargs)


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    session.install("-e", ".[docs]")
    session.run("sphinx-build", "-W", "-b", "html", "docs", "docs/_build/html")
