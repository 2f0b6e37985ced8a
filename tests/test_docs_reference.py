"""The API reference covers the whole public surface (no Sphinx needed).

Every public name of ``groq_anyio``, ``groq_anyio.types``, ``groq_anyio.helpers`` and
``groq_anyio.testing`` (their ``__all__``) has a docstring of its own, not one inherited from
``msgspec.Struct``, ``object``, ``Exception`` or ``Enum`` (a constant or type alias: the ``#:``
comment at its definition); so do the public methods and properties of the public classes. And
every one of those names is listed by a ``docs/api`` page (autosummary or autodoc directive), so a
new public name without a reference entry fails here. ``.ci/check_docs.py`` checks the built
inventory after a ``-W`` build. The rules live in ``docs/_ext/groq_apiref.py``, shared by both.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_apiref() -> ModuleType:
    path = ROOT / "docs" / "_ext" / "groq_apiref.py"
    spec = importlib.util.spec_from_file_location("groq_apiref", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("groq_apiref", module)
    spec.loader.exec_module(module)
    return module


apiref = _load_apiref()


def test_the_public_surface_is_large_and_from_all_four_namespaces() -> None:
    names = apiref.public_names()
    assert len(names) == len(set(names)), "a name is twice in an __all__"
    for namespace in apiref.NAMESPACES:
        assert sum(n.rpartition(".")[0] == namespace for n in names) >= 10, namespace
    assert len(names) > 250


def test_every_public_name_and_member_has_its_own_docstring() -> None:
    missing = apiref.undocumented()
    assert not missing, (
        f"{len(missing)} public names/members have no docstring of their own (a constant or "
        "alias: no #: comment where it is defined):\n  " + "\n  ".join(missing)
    )


def test_every_public_name_is_in_the_reference_pages() -> None:
    documented = apiref.documented_names()
    missing = [name for name in apiref.public_names() if name not in documented]
    assert not missing, (
        f"{len(missing)} public names are not listed in any docs/api page (add each to the "
        "autosummary and an autodoc directive of its group):\n  " + "\n  ".join(missing)
    )


def test_every_class_the_pages_document_has_docstrings() -> None:
    # beyond the four namespaces: the resource tree (client.chat.completions...) has a page too
    missing = []
    for fullname in sorted(apiref.documented_names()):
        obj = apiref.resolve(fullname)
        if not inspect.isclass(obj) or obj.__name__ != fullname.rpartition(".")[2]:
            continue
        if apiref.own_doc(fullname) is None:
            missing.append(fullname)
        missing.extend(
            f"{fullname}.{member}"
            for member in apiref.public_members(obj)
            if apiref.member_doc(obj, member) is None
        )
    assert not missing, "documented classes without docstrings:\n  " + "\n  ".join(missing)


def test_the_reference_pages_name_only_what_exists() -> None:
    stale = []
    for name in sorted(apiref.documented_names()):
        try:
            apiref.resolve(name)
        except (ImportError, AttributeError):
            stale.append(name)
    assert not stale, "docs/api pages name objects that do not exist:\n  " + "\n  ".join(stale)


# ------------------------------------------------------------------------- the checker itself


def test_a_class_without_a_docstring_is_reported(tmp_path: Path) -> None:
    package = tmp_path / "apiref_probe"
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent(
            '''
            import dataclasses, enum

            import msgspec

            from ._defs import LIMIT, Alias, Bare

            __all__ = ["Bare", "Point", "Color", "Struct", "Good", "LIMIT", "Alias", "Plain"]

            class Point(msgspec.Struct):
                x: int

            @dataclasses.dataclass
            class Struct:
                y: int

            class Color(enum.Enum):
                RED = 1

            class Good:
                """Documented."""

                def method(self) -> None:
                    pass

                @property
                def prop(self) -> int:
                    """Documented."""
                    return 1

            Plain = 3
            '''
        )
    )
    (package / "_defs.py").write_text(
        textwrap.dedent(
            """
            #: Documented where it is defined.
            LIMIT = 5
            Alias = int | str

            class Bare:
                pass
            """
        )
    )
    sys.path.insert(0, str(tmp_path))
    try:
        docs = {
            name: apiref.own_doc(f"apiref_probe.{name}")
            for name in importlib.import_module("apiref_probe").__all__
        }
        good = importlib.import_module("apiref_probe").Good
        member_docs = {m: apiref.member_doc(good, m) for m in apiref.public_members(good)}
    finally:
        sys.path.remove(str(tmp_path))
        for module in [m for m in sys.modules if m.startswith("apiref_probe")]:
            del sys.modules[module]
    assert docs == {
        "Bare": None,
        "Point": None,  # msgspec.Struct's docstring is not its own
        "Struct": None,  # nor the signature a dataclass writes
        "Color": None,  # nor Enum's
        "Good": "Documented.",
        "LIMIT": "Documented where it is defined.",  # found through the re-export
        "Alias": None,
        "Plain": None,
    }
    assert member_docs == {"method": None, "prop": "Documented."}


def test_directive_lists_are_read_with_their_current_module(tmp_path: Path) -> None:
    (tmp_path / "page.rst").write_text(
        textwrap.dedent(
            """
            Title
            =====

            .. currentmodule:: groq_anyio

            .. autosummary::
               :nosignatures:

               AsyncGroq
               ~Timeout

            .. autoclass:: RetryPolicy
               :members:

            .. autofunction:: groq_anyio.helpers.json_schema

            .. currentmodule:: groq_anyio.testing

            .. autodata:: KNOWN_MODELS
            """
        )
    )
    assert apiref.documented_names(tmp_path) == {
        "groq_anyio.AsyncGroq",
        "groq_anyio.Timeout",
        "groq_anyio.RetryPolicy",
        "groq_anyio.helpers.json_schema",
        "groq_anyio.testing.KNOWN_MODELS",
    }


@pytest.mark.parametrize(
    ("fullname", "start"),
    [
        ("groq_anyio.testing.KNOWN_MODELS", None),  # defined in a private module
        ("groq_anyio.types.FunctionParameters", "A JSON Schema"),
        ("groq_anyio.DEFAULT_BASE_URL", "The Groq API"),
    ],
)
def test_a_reexported_constant_finds_the_comment_where_it_is_defined(
    fullname: str, start: str | None
) -> None:
    namespace, _, name = fullname.rpartition(".")
    doc = apiref.comment_doc(namespace, name)
    assert doc is not None, fullname
    if start is not None:
        assert doc.startswith(start)
