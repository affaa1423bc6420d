"""The shape of the code: no import cycle, small modules, a pure domain, tests that mirror it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "erpsync"
TESTS = Path(__file__).resolve().parents[1]
MAX_LINES = 400
#: What the domain may import besides itself and the errors: no I/O, no frameworks.
DOMAIN_MAY_IMPORT = {
    "__future__",
    "collections",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "functools",
    "hashlib",
    "heapq",
    "itertools",
    "json",
    "math",
    "operator",
    "re",
    "types",
    "typing",
    "unicodedata",
}


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def imports(name: str, path: Path) -> set[str]:
    """The modules ``name`` imports, resolved to absolute names (type-checking ones too)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    known = dict(modules())
    return {
        name: {i for i in imports(name, path) if i in known and i != name}
        for name, path in known.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_anywhere_in_src() -> None:
    edges = graph()
    # a package's __init__ re-exporting its modules is not a cycle of the modules themselves
    for name in edges:
        edges[name] = {i for i in edges[name] if not name.startswith(f"{i}.")}
    assert cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_is_over_400_lines_but_generated_migrations() -> None:
    long = [
        f"{name} ({lines})"
        for name, path in modules()
        if "migrations.versions" not in name
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert long == []


def test_the_domain_imports_no_io_and_nothing_outside_itself_but_the_errors() -> None:
    offending = {}
    for name, path in modules():
        if not name.startswith("erpsync.domain"):
            continue
        bad = {
            i
            for i in imports(name, path)
            if not i.startswith(("erpsync.domain", "erpsync.errors"))
            and i.split(".")[0] not in DOMAIN_MAY_IMPORT
        }
        if bad:
            offending[name] = sorted(bad)
    assert offending == {}


def test_the_domain_never_reads_the_clock() -> None:
    readers = [
        name
        for name, path in modules()
        if name.startswith("erpsync.domain")
        and any(
            call in path.read_text(encoding="utf-8")
            for call in (".now(", "time.time(", "time.monotonic(", ".today(", "sleep(")
        )
    ]
    assert readers == []


def test_every_service_module_has_its_test_module() -> None:
    services = {p.stem for p in (PACKAGE / "services").glob("*.py") if p.stem != "__init__"}
    tested = {p.stem.removeprefix("test_") for p in (TESTS / "unit" / "services").glob("test_*.py")}
    assert sorted(services - tested) == []
