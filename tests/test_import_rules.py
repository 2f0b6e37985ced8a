"""The layering rules of docs/architecture.md ("Import rules"), checked by reading the imports.

Every ``groq_anyio/**/*.py`` is parsed (nothing is imported), and five rules are held:

(a) the run-time imports between groq_anyio modules form no cycle;
(b) only ``groq_anyio/_transport/`` imports the HTTP stack (httpcore, h11, h2, hpack,
    hyperframe, httptools); the exceptions, each with what it may import and why, are in
    :data:`HTTP_EXCEPTIONS`: the local test server (``groq_anyio/testing/``) is a server, not
    the client, and speaks HTTP with h11 and h2 itself; its recorder forwards over httpcore;
(c) only ``groq_anyio/_transport/_backends/`` imports an event loop library (asyncio, trio,
    uvloop, sniffio), plus the exceptions listed in :data:`LOOP_EXCEPTIONS` (none today);
(d) no module imports another module's private name (``from .x import _name``, ``x._name``);
(e) every httpcore internal the transport touches (a private httpcore module, or a private
    member of an httpcore class it subclasses) is named in ``_transport/_httpcore.py``.

What counts as an import (rule (a)): ``import`` and ``from ... import`` statements anywhere, at
top level or inside functions, except in ``if TYPE_CHECKING:`` blocks (which never run). A
module that imports dynamically (``importlib.import_module`` or ``__import__`` with a computed
name, as the lazy ``__getattr__`` of a package does) is taken to import every groq_anyio module
named by a string literal in it. Importing ``a.b.c`` imports the packages ``a.b`` and ``a``
first, unless the importer is inside them already (their ``__init__`` is then already running);
a package's ``__init__`` importing its own submodules counts like any other import.
Rules (b) to (d) read ``if TYPE_CHECKING:`` blocks too: a module that names httpcore's types
knows about httpcore.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import groq_anyio

PACKAGE = "groq_anyio"
ROOT = Path(groq_anyio.__file__).resolve().parent

#: what only groq_anyio._transport may import (the client's HTTP stack)
HTTP_STACK = frozenset({"httpcore", "h11", "h2", "hpack", "hyperframe", "httptools"})
#: what only groq_anyio._transport._backends may import (the event loops)
EVENT_LOOPS = frozenset({"asyncio", "trio", "uvloop", "sniffio"})

#: packages (and modules) outside _transport allowed part of the HTTP stack: what, and why
HTTP_EXCEPTIONS: dict[str, tuple[frozenset[str], str]] = {
    f"{PACKAGE}.testing": (
        frozenset({"h11", "h2", "hpack", "hyperframe", "httptools"}),
        "the local Groq-compatible server: it parses requests and writes responses with h11 "
        "(HTTP/1.1) and h2 (HTTP/2); it is a server, not the client",
    ),
    f"{PACKAGE}.testing._record": (
        frozenset({"httpcore"}),
        "GroqRecorder is a verbatim reverse proxy to the real API: it forwards the caller's "
        "request as it came (no retries, no added headers, no error mapping) over a plain "
        "httpcore pool, which the client's transport (built around a client's config) is not",
    ),
}
#: modules outside _transport._backends allowed an event loop library, and why
LOOP_EXCEPTIONS: dict[str, str] = {}


# -- reading the modules ------------------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _all_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


MODULES = _all_modules()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _package_of(module: str) -> str:
    return module if _is_package(module) else module.rpartition(".")[0]


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@dataclass(frozen=True)
class Import:
    """One imported module (``name`` set: a name taken from it by ``from module import name``)."""

    importer: str
    module: str  # absolute; a groq_anyio module, or a third-party/stdlib dotted name
    name: str | None
    line: int
    type_checking: bool  # inside an ``if TYPE_CHECKING:`` block
    dynamic: bool = False  # inferred from a string literal (importlib / __import__)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve_from(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = _package_of(importer).split(".")
    if node.level > 1:
        base = base[: -(node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _walk(tree: ast.AST) -> Iterator[tuple[ast.AST, bool]]:
    """Every node, with whether it sits in an ``if TYPE_CHECKING:`` body."""
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, tc = stack.pop()
        yield node, tc
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend((child, True) for child in node.body)
            stack.extend((child, tc) for child in node.orelse)
            stack.append((node.test, tc))
        else:
            stack.extend((child, tc) for child in ast.iter_child_nodes(node))


def _is_dynamic_import(node: ast.Call) -> bool:
    func = node.func
    named = (isinstance(func, ast.Name) and func.id in {"__import__", "import_module"}) or (
        isinstance(func, ast.Attribute) and func.attr == "import_module"
    )
    return named and bool(node.args)


def _string_literals(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def _parse(module: str) -> ast.Module:
    return ast.parse(MODULES[module].read_text(encoding="utf-8"), str(MODULES[module]))


def _imports_in(module: str, tree: ast.AST) -> list[Import]:
    found: list[Import] = []
    dynamic: list[tuple[int, bool]] = []
    for node, tc in _walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(module, alias.name, None, node.lineno, tc))
        elif isinstance(node, ast.ImportFrom):
            source = _resolve_from(module, node)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in MODULES:  # `from package import submodule`
                    found.append(Import(module, sub, None, node.lineno, tc))
                else:
                    found.append(Import(module, source, alias.name, node.lineno, tc))
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append(Import(module, arg.value, None, node.lineno, tc, dynamic=True))
            else:
                dynamic.append((node.lineno, tc))
    if dynamic:  # a computed module name: every groq_anyio module named by a literal here
        line, tc = dynamic[0]
        package = _package_of(module)
        for text in set(_string_literals(tree)):
            for candidate in (text, f"{package}.{text}"):
                if candidate in MODULES and candidate != module:
                    found.append(Import(module, candidate, None, line, tc, dynamic=True))
    return found


TREES = {module: _parse(module) for module in MODULES}
IMPORTS = {module: _imports_in(module, tree) for module, tree in TREES.items()}


def _own_module(dotted: str) -> str | None:
    """The groq_anyio module ``dotted`` names (its longest known prefix), or None."""
    while dotted:
        if dotted in MODULES:
            return dotted
        dotted = dotted.rpartition(".")[0]
    return None


# -- (a) no cycle -------------------------------------------------------------------------------


def _edges() -> dict[str, dict[str, Import]]:
    """importer -> {imported groq_anyio module: the import that brings it in}."""
    graph: dict[str, dict[str, Import]] = {m: {} for m in MODULES}
    for module, imports in IMPORTS.items():
        for imp in imports:
            target = _own_module(imp.module) if _inside(imp.module, PACKAGE) else None
            if imp.type_checking or target is None:
                continue
            # importing a.b.c runs a.b and a first, unless the importer is inside them
            parts = target.split(".")
            for i in range(2, len(parts)):
                ancestor = ".".join(parts[:i])
                if not _inside(module, ancestor):
                    graph[module].setdefault(ancestor, imp)
            if target != module:
                graph[module].setdefault(target, imp)
    return graph


def _components(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return components


def _cycle_in(component: list[str], graph: dict[str, dict[str, Import]]) -> list[str]:
    """The shortest cycle from the component's first module back to it."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while start not in previous:  # breadth first, inside the component
        step = []
        for node in frontier:
            for child in sorted(graph[node]):
                if child in members and child not in previous:
                    previous[child] = node
                    step.append(child)
        frontier = step
    back = [start]  # walked backwards from start to start
    node = previous[start]
    while node != start:
        back.append(node)
        node = previous[node]
    back.append(start)
    return back[::-1]


def _cycles(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """One cycle through each strongly connected component of more than one module."""
    return [_cycle_in(component, graph) for component in _components(graph)]


def _describe(cycle: list[str], graph: dict[str, dict[str, Import]]) -> str:
    steps = []
    for a, b in itertools.pairwise(cycle):
        imp = graph[a][b]
        how = "imports (dynamically)" if imp.dynamic else "imports"
        steps.append(f"  {a} (line {imp.line}) {how} {b}")
    return "\n".join(steps)


def test_no_import_cycle() -> None:
    graph = _edges()
    report = [
        f"{len(component)} modules import each other in a circle ({', '.join(component)}), "
        f"for instance:\n{_describe(_cycle_in(component, graph), graph)}"
        for component in _components(graph)
    ]
    assert not report, "import cycles:\n" + "\n\n".join(report)


# -- (b), (c) who may import the HTTP stack and the event loops ---------------------------------


def _importers_of(libraries: frozenset[str]) -> dict[str, list[str]]:
    """module -> the libraries of ``libraries`` it imports (with the line)."""
    found: dict[str, list[str]] = {}
    for module, imports in IMPORTS.items():
        for imp in imports:
            top = imp.module.partition(".")[0]
            if top in libraries:
                found.setdefault(module, []).append(f"{imp.module} (line {imp.line})")
    return found


def _top(entry: str) -> str:
    """The top-level library of an :func:`_importers_of` entry (``"h2.events (line 3)"``)."""
    return entry.partition(" ")[0].partition(".")[0]


def _outside(module: str, allowed: list[str]) -> bool:
    return not any(_inside(module, package) for package in allowed)


def _allowed_http(module: str) -> frozenset[str]:
    if _inside(module, f"{PACKAGE}._transport"):
        return HTTP_STACK
    allowed: frozenset[str] = frozenset()
    for package, (libraries, _) in HTTP_EXCEPTIONS.items():
        if _inside(module, package):
            allowed |= libraries
    return allowed


def test_only_the_transport_imports_the_http_stack() -> None:
    wrong = {
        module: [lib for lib in libs if _top(lib) not in _allowed_http(module)]
        for module, libs in _importers_of(HTTP_STACK).items()
    }
    wrong = {module: libs for module, libs in wrong.items() if libs}
    assert not wrong, f"imports of the HTTP stack outside {PACKAGE}._transport: {wrong}"


def test_only_the_backends_import_an_event_loop() -> None:
    allowed = [f"{PACKAGE}._transport._backends", *LOOP_EXCEPTIONS]
    wrong = {m: libs for m, libs in _importers_of(EVENT_LOOPS).items() if _outside(m, allowed)}
    assert not wrong, f"imports of an event loop outside {PACKAGE}._transport._backends: {wrong}"


def test_the_listed_exceptions_are_still_needed() -> None:
    # an exception nothing uses any more is taken off the list (and out of the docs)
    importers = _importers_of(HTTP_STACK)
    for package, (libraries, _) in HTTP_EXCEPTIONS.items():
        assert any(
            _inside(m, package) and any(_top(lib) in libraries for lib in libs)
            for m, libs in importers.items()
        ), package
    importers = _importers_of(EVENT_LOOPS)
    for package in LOOP_EXCEPTIONS:
        assert any(_inside(m, package) for m in importers), package


def test_the_rules_see_the_imports_they_are_about() -> None:
    # the reader finds the backends' own imports (a reader that found nothing would pass all)
    importers = _importers_of(EVENT_LOOPS)
    assert {"asyncio", "trio"} <= {
        _top(lib)
        for m, libs in importers.items()
        if _inside(m, f"{PACKAGE}._transport._backends")
        for lib in libs
    }
    assert f"{PACKAGE}._transport._httpcore" in _importers_of(HTTP_STACK)


# -- (d) private names stay in their module -----------------------------------------------------


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_aliases(module: str, tree: ast.AST) -> dict[str, str]:
    """Local name -> the groq_anyio module it is bound to (by an import in this module)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _inside(alias.name, PACKAGE):
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        aliases[alias.name.partition(".")[0]] = PACKAGE
        elif isinstance(node, ast.ImportFrom):
            source = _resolve_from(module, node)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in MODULES:
                    aliases[alias.asname or alias.name] = sub
    return aliases


def _private_uses(module: str, tree: ast.AST) -> list[str]:
    found = []
    for imp in _imports_in(module, tree):
        if (
            imp.name is not None
            and _is_private(imp.name)
            and _inside(imp.module, PACKAGE)
            and imp.module != module
        ):
            found.append(f"line {imp.line}: from {imp.module} import {imp.name}")
    aliases = _module_aliases(module, tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        # resolve a.b.c to a module, then the first attribute that is not a submodule
        chain: list[str] = []
        base: ast.expr = node
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        if not isinstance(base, ast.Name) or base.id not in aliases:
            continue
        target = aliases[base.id]
        chain.reverse()
        for attr in chain:
            if f"{target}.{attr}" in MODULES:
                target = f"{target}.{attr}"
                continue
            if _is_private(attr) and target != module:
                found.append(f"line {node.lineno}: {target}.{attr}")
            break
    return sorted(set(found))


def test_no_module_takes_another_modules_private_name() -> None:
    wrong = {m: uses for m, tree in TREES.items() if (uses := _private_uses(m, tree))}
    assert not wrong, f"private names used across modules: {wrong}"


def test_the_private_name_rule_sees_each_kind_of_crossing() -> None:
    source = (
        "from ._errors import _hidden, APIError, __all__\n"
        "from . import _errors\n"
        "import groq_anyio._transport._h1 as h1\n"
        "import groq_anyio._transport\n"
        "def f():\n"
        "    return _errors._other, h1._Inner, groq_anyio._transport._pool._x, _errors.APIError\n"
    )
    uses = _private_uses(f"{PACKAGE}._client", ast.parse(source))
    assert uses == [
        f"line 1: from {PACKAGE}._errors import _hidden",
        f"line 6: {PACKAGE}._errors._other",
        f"line 6: {PACKAGE}._transport._h1._Inner",
        f"line 6: {PACKAGE}._transport._pool._x",
    ]
    # a module's own private names, and private modules, are its own business
    assert _private_uses(f"{PACKAGE}._errors", ast.parse(source)) == [
        f"line 6: {PACKAGE}._transport._h1._Inner",
        f"line 6: {PACKAGE}._transport._pool._x",
    ]


def test_the_cycle_finder_finds_and_describes_a_cycle() -> None:
    def imp(a: str, b: str) -> Import:
        return Import(a, b, None, 1, False)

    graph = {
        "a": {"b": imp("a", "b")},
        "b": {"c": imp("b", "c"), "d": imp("b", "d")},
        "c": {"a": imp("c", "a")},
        "d": {},
    }
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert "a (line 1) imports b" in _describe(["a", "b", "c", "a"], graph)
    del graph["c"]["a"]
    assert _cycles(graph) == []


def test_the_import_reader_follows_functions_and_skips_type_checking() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from ._client import AsyncGroq\n"
        "else:\n"
        "    from ._errors import APIError\n"
        "def f():\n"
        "    from .resources import chat\n"
        "    import importlib\n"
        "    return importlib.import_module(f'{__package__}.{name}'), '_sse'\n"
    )
    imports = _imports_in(f"{PACKAGE}._raw", ast.parse(source))
    run_time = {(i.module, i.name) for i in imports if not i.type_checking}
    assert (f"{PACKAGE}._client", "AsyncGroq") not in run_time
    assert (f"{PACKAGE}._errors", "APIError") in run_time
    assert (f"{PACKAGE}.resources.chat", None) in run_time
    assert (f"{PACKAGE}._sse", None) in run_time  # named by a literal, imported dynamically


# -- the httpcore internals we rely on are listed in one place ----------------------------------

HTTPCORE_LIST = f"{PACKAGE}._transport._httpcore"


def _httpcore_members(class_name: str) -> set[str]:
    """The private names httpcore's class ``class_name`` defines or sets on ``self``."""
    import httpcore

    cls = getattr(httpcore, class_name)
    # (httpcore sets its classes' __module__ to "httpcore": find the file from a method's code)
    files = {f.__code__.co_filename for f in vars(cls).values() if hasattr(f, "__code__")}
    if not files:  # a class without code of its own (httpcore's exceptions)
        return set()
    assert len(files) == 1, files
    source = Path(files.pop()).read_text(encoding="utf-8")
    tree = ast.parse(source)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for inner in ast.walk(node):
                if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(inner.name)
                elif isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name):
                    if inner.value.id == "self":
                        names.add(inner.attr)
                elif isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
                    names.add(inner.id)
    return {name for name in names if _is_private(name)}


def _httpcore_internals_used() -> dict[str, set[str]]:
    """module -> httpcore internals it uses: private httpcore modules it imports, and the
    private members of an httpcore class it subclasses that its subclass touches."""
    used: dict[str, set[str]] = {}
    for module, tree in TREES.items():
        found = used.setdefault(module, set())
        for imp in IMPORTS[module]:
            if imp.module.partition(".")[0] == "httpcore" and any(
                _is_private(part) for part in imp.module.split(".")
            ):
                found.add(imp.module)
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [
                b.attr
                for b in node.bases
                if isinstance(b, ast.Attribute)
                and isinstance(b.value, ast.Name)
                and b.value.id == "httpcore"
            ]
            for base in bases:
                theirs = _httpcore_members(base)
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Attribute) and inner.attr in theirs:
                        found.add(inner.attr)
                    elif (
                        isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef)
                        and inner.name in theirs
                    ):
                        found.add(inner.name)
    return {module: names for module, names in used.items() if names}


def test_the_httpcore_internals_we_rely_on_are_listed_in_one_place() -> None:
    listed = ast.get_docstring(TREES[HTTPCORE_LIST]) or ""
    used = _httpcore_internals_used()
    assert f"{PACKAGE}._transport._h2" in used  # the HTTP/2 subclass: the reader sees it
    missing = {
        module: sorted(n for n in names if not re.search(rf"(?<!\w){re.escape(n)}(?!\w)", listed))
        for module, names in used.items()
    }
    missing = {module: names for module, names in missing.items() if names}
    assert not missing, f"httpcore internals used but not listed in {HTTPCORE_LIST}: {missing}"
    # and only the transport reaches into httpcore at all
    assert all(_inside(module, f"{PACKAGE}._transport") for module in used), used
