"""What the API reference must cover, and whether it does.

One source of truth for three users:

* ``tests/test_docs_reference.py`` (the normal test suite, no Sphinx needed): every public name
  has a docstring of its own and is listed in a ``docs/api`` page;
* ``.ci/check_docs.py`` (after a ``-W`` build): every public name is an object in the built
  ``objects.inv``;
* Sphinx itself (this file is an extension, see ``docs/conf.py``): a constant or type alias that
  is re-exported (``groq_anyio.testing.KNOWN_MODELS``, ``groq_anyio.types.Message``) is shown with
  the ``#:`` comment written where it is defined; autodoc alone would only look in the module
  that re-exports it.

The public names are those in ``__all__`` of :data:`NAMESPACES`; the public members of a public
class are its own methods and properties whose names do not start with ``_``.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import re
import typing
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

NAMESPACES = ("groq_anyio", "groq_anyio.types", "groq_anyio.helpers", "groq_anyio.testing")
API_DIR = Path(__file__).resolve().parent.parent / "api"

#: docstrings that Python writes itself when a class has none
_GENERATED_DOCS = ("An enumeration.", "Create a collection of name/value pairs.")


# ------------------------------------------------------------------------------ public names


def public_names() -> list[str]:
    """Every public name of the four namespaces, as ``namespace.name``, in ``__all__`` order."""
    names: list[str] = []
    for namespace in NAMESPACES:
        module = importlib.import_module(namespace)
        names.extend(f"{namespace}.{name}" for name in module.__all__)
    return names


def resolve(fullname: str) -> Any:
    """The object that ``fullname`` (``package.module.Name[.member]``) names."""
    parts = fullname.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(fullname)


# ------------------------------------------------------------------- where a name is defined


def _statements(body: Iterable[ast.stmt]) -> Iterator[tuple[ast.stmt, list[ast.stmt]]]:
    """Module-level statements, those under ``if``/``try`` included, each with its block."""
    body = list(body)
    for stmt in body:
        yield stmt, body
        if isinstance(stmt, ast.If):
            yield from _statements(stmt.body)
            yield from _statements(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            for block in (stmt.body, stmt.orelse, stmt.finalbody):
                yield from _statements(block)
            for handler in stmt.handlers:
                yield from _statements(handler.body)


def _defines(stmt: ast.stmt, name: str) -> bool:
    if isinstance(stmt, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
        return stmt.name == name
    if isinstance(stmt, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
    if isinstance(stmt, ast.AnnAssign):
        return isinstance(stmt.target, ast.Name) and stmt.target.id == name
    type_alias = getattr(ast, "TypeAlias", None)  # Python 3.12+
    return type_alias is not None and isinstance(stmt, type_alias) and stmt.name.id == name


@cache
def _parse(module: str) -> tuple[ast.Module, tuple[str, ...], bool]:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        raise ImportError(f"no Python source for {module}")
    source = Path(spec.origin).read_text(encoding="utf-8")
    is_package = spec.submodule_search_locations is not None
    return ast.parse(source), tuple(source.splitlines()), is_package


def definition_site(module: str, name: str) -> tuple[str, ast.stmt, list[ast.stmt]] | None:
    """Where ``module.name`` is defined: ``(module, statement, its block)``, imports followed."""
    tree, _, is_package = _parse(module)
    for stmt, block in _statements(tree.body):
        if _defines(stmt, name):
            return module, stmt, block
        if isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                if (alias.asname or alias.name) == name:
                    package = module if is_package else module.rpartition(".")[0]
                    source = importlib.util.resolve_name(
                        "." * stmt.level + (stmt.module or ""), package
                    )
                    return definition_site(source, alias.name)
    return None


def comment_doc(module: str, name: str) -> str | None:
    """The documentation written at the definition of a constant or alias, if any.

    The forms Sphinx understands: ``#:`` comment lines right above the assignment, a ``#:``
    comment at the end of its line, or a string literal right below it.
    """
    site = definition_site(module, name)
    if site is None:
        return None
    defining_module, stmt, block = site
    lines = _parse(defining_module)[1]
    following = block[block.index(stmt) + 1 :]
    if (
        following
        and isinstance(following[0], ast.Expr)
        and isinstance(following[0].value, ast.Constant)
        and isinstance(following[0].value.value, str)
    ):
        return inspect.cleandoc(following[0].value.value)
    above: list[str] = []
    index = stmt.lineno - 2
    while index >= 0 and lines[index].lstrip().startswith("#:"):
        above.insert(0, lines[index].lstrip()[2:].strip())
        index -= 1
    if above:
        return "\n".join(above)
    inline = lines[stmt.lineno - 1].partition("#:")[2].strip()
    return inline or None


# ------------------------------------------------------------------------------- docstrings


def _real_doc(doc: object, name: str) -> str | None:
    if not isinstance(doc, str) or not doc.strip():
        return None
    doc = doc.strip()
    # dataclasses and NamedTuple write the signature as the docstring of an undocumented class
    if doc in _GENERATED_DOCS or re.fullmatch(rf"{re.escape(name)}\(.*\)", doc, re.DOTALL):
        return None
    return doc


def own_doc(fullname: str) -> str | None:
    """The docstring ``fullname`` has of its own (not one from msgspec, object, Enum...).

    A class's own ``__doc__``; a function's docstring; for anything else (a constant, a type
    alias) the comment at its definition. A public alias of a class (``BatchCreateResponse =
    Batch``) may have a comment of its own, else it shares the class's docstring.
    """
    namespace, _, name = fullname.rpartition(".")
    obj = resolve(fullname)
    if inspect.isclass(obj):
        doc = _real_doc(obj.__dict__.get("__doc__"), obj.__name__)
        if obj.__name__ != name:
            return comment_doc(namespace, name) or doc
        return doc
    if inspect.isroutine(obj):
        return _real_doc(obj.__doc__, getattr(obj, "__name__", name))
    return comment_doc(namespace, name)


def public_members(cls: type) -> list[str]:
    """Public methods and properties that ``cls`` itself defines (fields and constants aside)."""
    members = []
    for key, value in vars(cls).items():
        if key.startswith("_"):
            continue
        if isinstance(value, staticmethod | classmethod):
            value = value.__func__
        if inspect.isfunction(value) or isinstance(value, property):
            members.append(key)
    return members


def member_doc(cls: type, member: str) -> str | None:
    """The docstring of ``cls.member``: its own, or that of the method it overrides.

    An override without a docstring of its own shows its base's in the built docs (autodoc's
    ``autodoc_inherit_docstrings``), so it counts as documented when that one is.
    """
    for klass in cls.__mro__:
        value = vars(klass).get(member)
        if value is None:
            continue
        if isinstance(value, staticmethod | classmethod):
            value = value.__func__
        doc = _real_doc(getattr(value, "__doc__", None), member)
        if doc is not None:
            return doc
    return None


def undocumented() -> list[str]:
    """Public names, and public members of public classes, without a docstring of their own."""
    missing = []
    for fullname in public_names():
        if own_doc(fullname) is None:
            missing.append(fullname)
        obj = resolve(fullname)
        if inspect.isclass(obj) and obj.__module__.startswith("groq_anyio"):
            missing.extend(
                f"{fullname}.{member}"
                for member in public_members(obj)
                if member_doc(obj, member) is None
            )
    return missing


# ----------------------------------------------------------------- names the pages document

_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([\w:-]+)::\s*(\S*)\s*$")
_AUTO_OBJECTS = {
    "autoclass",
    "autoexception",
    "autofunction",
    "autodata",
    "autodecorator",
    "automethod",
    "autoproperty",
    "autoattribute",
}


def documented_names(api_dir: Path = API_DIR) -> set[str]:
    """Every name a ``docs/api`` page documents with an autodoc or autosummary directive.

    Names are made absolute with the page's ``.. currentmodule::``; an ``.. automodule::`` with
    a bare ``:members:`` option documents that module's ``__all__``.
    """
    names: set[str] = set()
    for page in sorted(api_dir.glob("**/*.rst")):
        current = ""
        lines = page.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            match = _DIRECTIVE.match(line)
            if match is None:
                continue
            indent, directive, argument = match.groups()
            block = _block(lines, index + 1, len(indent))
            if directive in {"currentmodule", "py:currentmodule", "module", "py:module"}:
                current = argument
            elif directive in _AUTO_OBJECTS:
                names.add(_absolute(argument, current))
            elif directive == "autosummary":
                names.update(
                    _absolute(entry.lstrip("~"), current)
                    for entry in block
                    if not entry.startswith(":")
                )
            elif directive == "automodule" and any(entry.strip() == ":members:" for entry in block):
                module = importlib.import_module(argument)
                names.update(f"{argument}.{name}" for name in module.__all__)
    return names


def _block(lines: list[str], start: int, indent: int) -> list[str]:
    """The stripped non-empty lines of a directive's body (options and content)."""
    block = []
    for line in lines[start:]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        if line.strip():
            block.append(line.strip())
    return block


def _absolute(name: str, current: str) -> str:
    if not current or name.startswith("groq_anyio"):
        return name
    return f"{current}.{name}"


# ------------------------------------------------------------------------ Sphinx extension


def _comment_for_reexport(
    app: object, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    """Give a re-exported constant or alias the ``#:`` comment written at its definition."""
    if what not in {"data", "attribute"}:
        return
    namespace, _, short = name.rpartition(".")
    try:
        doc = comment_doc(namespace, short)
    except (ImportError, SyntaxError):
        return
    if doc:
        lines[:] = [*doc.splitlines(), ""]
    elif not inspect.isclass(obj) and getattr(obj, "__doc__", None) == type(obj).__doc__:
        lines.clear()  # the docstring of the value's type (dict, str...), not of this name


def resolve_struct_annotations() -> list[str]:
    """Evaluate the string annotations of public classes whose signature cannot be computed.

    A msgspec Struct computes its ``__signature__`` from its type hints, evaluated in the
    namespace of ``__module__``; ``groq_anyio`` renames that module to ``groq_anyio`` for its
    public classes, and some annotations name what only a ``TYPE_CHECKING`` import brought in,
    so ``inspect.signature`` raises ``NameError`` and autodoc cannot document the class. For the
    docs build only, the annotations are evaluated here (in the defining module's namespace plus
    every public name) and stored evaluated. Returns the names of the classes fixed.
    """
    namespace: dict[str, Any] = {}
    for fullname in public_names():
        namespace[fullname.rpartition(".")[2]] = resolve(fullname)
    fixed = []
    for fullname in public_names():
        obj = resolve(fullname)
        if not inspect.isclass(obj):
            continue
        try:
            inspect.signature(obj)
            continue
        except NameError:
            pass
        except (TypeError, ValueError):
            continue
        site = definition_site(*fullname.rpartition(".")[::2])
        for klass in obj.__mro__:
            module = site[0] if site and klass is obj else klass.__module__
            scope = {**namespace, **vars(importlib.import_module(module))}
            annotations = vars(klass).get("__annotations__", {})
            for key, value in annotations.items():
                if isinstance(value, str):
                    annotations[key] = _evaluate(value, scope)
        fixed.append(fullname)
    return fixed


class _Subscriptable:
    """A class that Python 3.11 cannot subscript (``array``), subscriptable as in 3.12."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def __getitem__(self, params: Any) -> Any:
        # typing's alias (not types.GenericAlias): get_type_hints re-evaluates the latter by
        # subscripting the class again, which is what fails
        params = params if isinstance(params, tuple) else (params,)
        return typing._GenericAlias(self.cls, params)  # type: ignore[attr-defined]


def _evaluate(annotation: str, scope: dict[str, Any]) -> Any:
    try:
        return eval(annotation, scope)  # the annotations of this project's own source
    except TypeError:  # e.g. ``array[int]`` before Python 3.12
        wrapped = {
            key: _Subscriptable(value)
            for key, value in scope.items()
            if isinstance(value, type) and not hasattr(value, "__class_getitem__")
        }
        return eval(annotation, {**scope, **wrapped})


def setup(app: Any) -> dict[str, Any]:
    """Sphinx entry point: connect the docstring hook above, fix unresolvable annotations."""
    resolve_struct_annotations()
    app.connect("autodoc-process-docstring", _comment_for_reexport)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
