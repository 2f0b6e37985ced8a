"""Sessions mirror CI: tests (asyncio and trio in one run), oldest, lint, typecheck, package,
bench, docs.

The test suite talks only to servers it starts on loopback; nothing here needs the network
beyond the package registry for installs.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

import nox
import nox.project

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.default_venv_backend = "venv"

SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13", "3.14")


def _runs(python: str) -> bool:
    try:
        return (
            subprocess.run([python, "-c", "pass"], capture_output=True, timeout=30).returncode == 0
        )
    except (OSError, subprocess.SubprocessError):
        return False


def installed_pythons() -> dict[str, str]:
    """The supported CPython versions installed on this machine (on PATH or under pyenv):
    ``{"3.12": "/path/to/python3.12", ...}``."""
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = {}
    for version in SUPPORTED_PYTHONS:
        candidates = [shutil.which(f"python{version}") or ""]
        candidates += sorted(glob.glob(f"{root}/versions/{version}.*/bin/python{version}"))
        for candidate in candidates:
            if candidate and _runs(candidate):
                found[version] = candidate
                break
    return found


INSTALLED = installed_pythons()

# Developer-only tools are PEP 735 dependency groups in pyproject.toml (lint, bench, docs), not
# extras; nox reads them itself, so any pip version installs them.
PYPROJECT = nox.project.load_toml("pyproject.toml")


def group(name: str) -> list[str]:
    """The requirements of the dependency group ``name`` of pyproject.toml."""
    return list(nox.project.dependency_groups(PYPROJECT, name))


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
    session.install("-c", ".ci/constraints-oldest.txt", "-e", ".[test]")
    session.run("python", ".ci/check_oldest.py")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=False)
@nox.parametrize("version", sorted(INSTALLED) or ["3.11"])
def tests_versions(session: nox.Session, version: str) -> None:
    """The whole suite on each supported CPython installed here, in a venv under /tmp
    (``nox -s tests_versions``; the CI step "pythons" does the same for 3.12+). A version that
    is not installed is not listed (nothing to skip or fail)."""
    python = INSTALLED.get(version)
    if python is None:
        session.skip(f"Python {version} is not installed")
    venv = f"/tmp/groq-anyio-nox-py{version}"
    session.run(python, "-m", "venv", "--clear", venv, external=True)
    # the test extra has mypy (a test runs it)
    session.run(f"{venv}/bin/pip", "install", "-q", "-e", ".[test]", external=True)
    session.run(
        f"{venv}/bin/python",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        external=True,
    )


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install(*group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[test]", *group("lint"))
    session.run("mypy")


@nox.session(python="3.11")
def package(session: nox.Session) -> None:
    """Build the sdist and the wheel, twine check them, run the CLI and the local server from the
    wheel alone in a fresh venv and a subset of the tests from the unpacked sdist: the CI step
    "package" (.ci/check_package.sh), with build and twine in this session's venv."""
    session.install("build>=1.2", "twine>=6.1")
    python = os.path.join(session.virtualenv.location, "bin", "python")
    env = {"TOOLS_PYTHON": python, "PYTHON": python}
    session.run("bash", ".ci/check_package.sh", env=env, external=True)


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Micro benchmarks (pyperf) and the side-by-side run against the official SDKs."""
    session.install("-e", ".", *group("bench"))
    session.run("python", "bench/run_all.py", *session.posargs)


@nox.session(python="3.11")
def instructions(session: nox.Session) -> None:
    """Instructions per request and per chunk under valgrind (needs valgrind; ~40 min)."""
    session.install("-e", ".", *group("bench"))
    session.run("python", "bench/instructions.py", *session.posargs)


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """The -W Sphinx build and the API reference check (as CI): .ci/check_docs.py."""
    session.install("-e", ".", *group("docs"))
    session.run("python", ".ci/check_docs.py", "docs/_build/html")
