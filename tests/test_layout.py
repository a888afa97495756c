"""Dependencies point one way: no two top-level folders (or modules) import each other, even
through a third, and models/ (the functional core) imports nothing of the project outside it.

The graph is read from the source: every import statement of every file, including those inside
functions, `if TYPE_CHECKING:` and `with workflow.unsafe.imports_passed_through():`."""

from __future__ import annotations

import ast
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_UNITS = {"tests"}
CORE_MAY_IMPORT = {"pydantic"}  # besides the standard library and models/ itself


def units() -> dict[str, list[Path]]:
    """Each top-level package (a folder with an __init__.py) or module, with its source files."""
    found: dict[str, list[Path]] = {}
    for path in sorted(ROOT.iterdir()):
        if path.is_dir() and (path / "__init__.py").exists() and path.name not in NOT_UNITS:
            found[path.name] = sorted(path.rglob("*.py"))
        elif path.suffix == ".py":
            found[path.stem] = [path]
    return found


def imported(path: Path) -> Iterator[tuple[str, int]]:
    """The top-level name of every absolute import in a file, with its line."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.partition(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.partition(".")[0], node.lineno


def import_graph() -> dict[str, dict[str, str]]:
    """unit -> {unit it imports: the first place it does (file:line)}."""
    found = units()
    graph: dict[str, dict[str, str]] = {name: {} for name in found}
    for name, files in found.items():
        for path in files:
            for target, line in imported(path):
                if target in found and target != name:
                    graph[name].setdefault(target, f"{path.relative_to(ROOT)}:{line}")
    return graph


def find_cycle(graph: dict[str, dict[str, str]]) -> list[str] | None:
    """One cycle (its units, the first repeated at the end), or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(unit: str) -> list[str] | None:
        if unit in path:
            return [*path[path.index(unit) :], unit]
        if unit in done:
            return None
        path.append(unit)
        for target in sorted(graph[unit]):
            if cycle := visit(target):
                return cycle
        path.pop()
        done.add(unit)
        return None

    for unit in sorted(graph):
        if cycle := visit(unit):
            return cycle
    return None


def test_no_import_cycle_between_top_level_folders() -> None:
    graph = import_graph()
    cycle = find_cycle(graph)
    if cycle:
        steps = [f"  {a} -> {b}  ({graph[a][b]})" for a, b in itertools.pairwise(cycle)]
        raise AssertionError("import cycle: " + " -> ".join(cycle) + "\n" + "\n".join(steps))


def test_the_graph_sees_imports_inside_functions_and_blocks(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import a.b\n"
        "if TYPE_CHECKING:\n    from b import x\n"
        "with passed_through():\n    import c\n"
        "def f():\n    from d.e import y\n"
        "from . import here\n"
    )
    assert {name for name, _ in imported(source)} == {"typing", "a", "b", "c", "d"}
    assert find_cycle({"a": {"b": ""}, "b": {"c": ""}, "c": {"a": ""}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": ""}, "b": {}, "c": {"a": ""}}) is None


def test_models_import_only_models_the_standard_library_and_pydantic() -> None:
    allowed = set(sys.stdlib_module_names) | CORE_MAY_IMPORT | {"models"}
    outside = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in units()["models"]
        for name, line in imported(path)
        if name not in allowed
    ]
    assert not outside, "the functional core reaches outside itself:\n" + "\n".join(outside)
