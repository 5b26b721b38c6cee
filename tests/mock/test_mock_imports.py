"""The reference server's import graph: no cycle inside ``contracts.mock``, and no import of the
suite's engine (the server must run without it)."""

from __future__ import annotations

import ast
from pathlib import Path

import contracts

ROOT = Path(contracts.__file__).parent
ENGINE = {"contracts.runner", "contracts.context", "contracts.checks", "contracts.recorder", "contracts.scenarios",
          "contracts.detection", "contracts.client", "contracts.lifecycle", "contracts.pytest_plugin"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, known: set[str]) -> set[str]:
    """Every module ``path`` imports, at the top, in functions or for type checking only."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:  # `from package import module` imports the module
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in known else node.module)
    return found


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in (ROOT / "mock").rglob("*.py")}
    return {name: imports(path, set(files)) for name, path in files.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle among the modules of ``edges`` (a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(edges.get(node, set()) & set(edges)):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_no_import_cycle_inside_the_mock():
    assert cycle(graph()) is None, " -> ".join(cycle(graph()) or [])


def test_the_mock_does_not_import_the_engine():
    offenders = {name: sorted(m for m in deps if any(m == e or m.startswith(e + ".") for e in ENGINE))
                 for name, deps in graph().items()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None
