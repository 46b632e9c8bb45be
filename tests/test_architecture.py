"""The import graph of ``app/`` and ``headoffice/``, read with ``ast`` (nothing is imported).

Rules (README "Architecture", /work/shared/STYLE.md 13), by package prefix so that new modules
and packages are covered as they appear:

- layers: views -> services -> models; ``app.sync`` sits below services (it may use models,
  errors, clock, media and domain, never services nor views); services never import Flet
  nor views; models import neither services, sync nor views; Flet only in views and the
  command line;
- the device app never imports head office, nor a server-only package;
- only ``app.sync.transport`` imports ``requests`` (head office never does);
- no import cycle within ``app`` nor within ``headoffice``, counting module-level imports;
  imports inside functions are checked separately (a cycle they close is a hidden coupling).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "headoffice")
SERVER_ONLY = ("falcon", "waitress", "psycopg2", "gunicorn", "pyhanko")
# Optional speed-ups: allowed only as ``try: import x`` / ``except ImportError``.
OPTIONAL = ("orjson",)
IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError")


@dataclass(frozen=True)
class Import:
    importer: str  # the importing module, e.g. "app.sync.pull"
    target: str  # the imported module, e.g. "app.models" (a package for `from pkg import name`)
    line: int
    local: bool  # inside a function: runs when called, not when the module is imported
    guarded: bool  # inside `try:` ... `except ImportError`
    type_only: bool  # under `if TYPE_CHECKING:`

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "__pycache__" not in path.parts:
                found[module_name(path)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _catches_import_error(node: ast.Try) -> bool:
    for handler in node.handlers:
        names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if any(isinstance(n, ast.Name) and n.id in IMPORT_ERRORS for n in names):
            return True
    return False


def _imports_of(name: str, path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    known = modules()

    def walk(node: ast.AST, local: bool, guarded: bool, type_only: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(name, alias.name, child.lineno, local, guarded, type_only)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    source = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    source = child.module or ""
                for alias in child.names:
                    full = f"{source}.{alias.name}"
                    target = full if full in known else source
                    yield Import(name, target, child.lineno, local, guarded, type_only)
            yield from walk(
                child,
                local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)),
                guarded or (isinstance(child, ast.Try) and _catches_import_error(child)),
                type_only or (isinstance(child, ast.If) and _is_type_checking(child.test)),
            )

    yield from walk(tree, False, False, False)


@cache
def all_imports() -> tuple[Import, ...]:
    return tuple(i for name, path in modules().items() for i in _imports_of(name, path))


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def imports_from(prefix: str) -> list[Import]:
    return [i for i in all_imports() if within(i.importer, prefix)]


def breaking(prefix: str, forbidden: Iterable[str]) -> list[str]:
    """Imports by modules under ``prefix`` of anything under one of ``forbidden``."""
    forbidden = tuple(forbidden)
    return [str(i) for i in imports_from(prefix) if any(within(i.target, f) for f in forbidden)]


def graph(package: str, *, with_local: bool) -> dict[str, set[str]]:
    """Module -> modules of ``package`` it imports (module level, or also in functions)."""
    edges: dict[str, set[str]] = {m: set() for m in modules() if within(m, package)}
    for i in imports_from(package):
        if i.type_only or (i.local and not with_local) or i.target == i.importer:
            continue
        if within(i.target, package) and i.target in edges:
            edges[i.importer].add(i.target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def app_imports_outside(prefix: str, allowed: Iterable[str]) -> list[str]:
    """Imports of ``app.*`` modules by modules under ``prefix`` that ``allowed`` does not cover."""
    allowed = (prefix, *allowed)
    return [
        str(i)
        for i in imports_from(prefix)
        if within(i.target, "app") and not any(within(i.target, a) for a in allowed)
    ]


# --- layers ---------------------------------------------------------------------------------

# Known exceptions, each with its reason; the test fails when one is no longer needed.
KNOWN = {
    # Views annotate with SyncStatus, the observable the session service hands them
    # (``services.session.status``); it lives in app.sync because the scheduler writes it.
    # Follow-up: export it from app.services (or app.domain) and import it from there.
    ("app.views", "app.sync.state"),
}


def test_views_use_services_not_models_or_sync():
    """Views hold no SQL and no rules: models only for their enums (value types)."""
    allowed = [
        "app.services", "app.domain", "app.i18n", "app.errors", "app.clock", "app.assets",
        "app.jobs",
        "app.models.enums",
    ]  # fmt: skip
    allowed += [target for importer, target in KNOWN if importer == "app.views"]
    assert app_imports_outside("app.views", allowed) == []


def test_known_exceptions_are_still_needed():
    for importer, target in KNOWN:
        assert breaking(importer, [target]), f"{importer} -> {target} is gone: drop it from KNOWN"


def test_services_never_import_flet_or_views():
    assert breaking("app.services", ["flet", "app.views", "app.cli"]) == []


def test_sync_sits_below_services():
    allowed = ["app.models", "app.errors", "app.clock", "app.media", "app.domain"]
    allowed.append("app.observable")  # the base of SyncStatus and UploadBoard
    assert app_imports_outside("app.sync", allowed) == []


def test_the_observable_base_uses_nothing_of_the_app():
    """The sync status, the upload board and the jobs share it: it sits below them all."""
    assert app_imports_outside("app.observable", []) == []


def test_models_are_the_bottom_floor():
    assert breaking("app.models", ["app.services", "app.sync", "app.views", "flet"]) == []
    assert app_imports_outside("app.models", ["app.errors", "app.clock"]) == []


def test_media_and_domain_need_no_ui_nor_services():
    """Head office imports app.media (the blob store): it must not drag Flet or services in."""
    for package in ("app.media", "app.domain"):
        assert breaking(package, ["flet", "app.views", "app.services", "app.sync"]) == []


def test_flet_only_in_views_and_the_command_line():
    users = {i.importer for i in all_imports() if within(i.target, "flet")}
    assert {m for m in users if not (within(m, "app.views") or m == "app.cli")} == set()


# --- the two deployables --------------------------------------------------------------------


def test_the_device_app_never_imports_head_office_nor_server_packages():
    assert breaking("app", ["headoffice"]) == []
    assert breaking("app", SERVER_ONLY) == []


def test_optional_packages_are_imported_only_with_a_fallback():
    for i in all_imports():
        if within(i.importer, "app") and any(within(i.target, o) for o in OPTIONAL):
            assert i.guarded, f"{i}: wrap it in try/except ImportError (not on every device)"


def test_only_the_transport_imports_requests():
    """Sync goes through its transport only. The Dropbox source makes no request itself: the
    official SDK is built on requests, and its network failures arrive as requests' errors,
    which it names to turn them into "no network"."""
    users = {i.importer for i in all_imports() if within(i.target, "requests")}
    assert users == {"app.sync.transport", "app.media.dropbox_source"}


def test_head_office_never_imports_the_ui():
    assert breaking("headoffice", ["app.views", "app.cli", "flet", "requests"]) == []


# --- cycles ---------------------------------------------------------------------------------


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycles(package):
    assert cycles(graph(package, with_local=False)) == []


# Cycles closed only by an import inside a function (a hidden coupling): none are left.
KNOWN_LOCAL_CYCLES: dict[str, list[list[str]]] = {"app": [], "headoffice": []}


@pytest.mark.parametrize("package", PACKAGES)
def test_no_cycles_through_imports_in_functions(package):
    assert cycles(graph(package, with_local=True)) == KNOWN_LOCAL_CYCLES[package]


# --- the checker itself ---------------------------------------------------------------------


def test_the_graph_sees_every_kind_of_import():
    found = {(i.importer, i.target, i.local, i.guarded) for i in all_imports()}
    assert ("app.sync.pull", "app.sync.remote", False, False) in found  # from x import Name
    assert ("app.sync.transport", "requests", False, False) in found  # import x
    assert ("app.sync.wire", "orjson", False, True) in found  # try/except ImportError
    assert ("app.cli", "flet", True, False) in found  # in a function
    assert {"app", "app.sync", "headoffice"} <= set(modules())


def test_cycles_are_found():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(edges) == [["a", "b", "c"]]
