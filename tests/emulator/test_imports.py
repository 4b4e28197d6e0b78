"""The emulator's modules import each other in one direction only: each can be read knowing only what it imports."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "emulator"


def imports_within(package: Path) -> dict[str, set[str]]:
    """Each module of `package` → the package's modules it imports, anywhere in it (typing-only imports too)."""
    modules = {path.stem for path in package.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for name in modules:
        imported = set()
        for node in ast.walk(ast.parse((package / f"{name}.py").read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:  # from .x import y / from . import x, y
                imported |= {node.module} if node.module else {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(f"{package.name}."):
                imported.add(node.module.split(".")[1])
        graph[name] = imported & modules - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles found by a depth-first walk: each as the modules along it, first repeated last."""
    found, done = [], set()

    def walk(module: str, path: list[str]) -> None:
        for imported in sorted(graph[module]):
            if imported in path:
                found.append([*path[path.index(imported) :], imported])
            elif imported not in done:
                walk(imported, [*path, imported])
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            walk(module, [module])
    return found


def test_no_emulator_module_imports_one_that_imports_it_back():
    assert cycles(imports_within(PACKAGE)) == []


def test_the_walk_finds_a_cycle_through_typing_only_imports(tmp_path):
    (tmp_path / "a.py").write_text("from .b import B\n")
    (tmp_path / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import C\n")
    (tmp_path / "c.py").write_text("from . import a\n")
    assert cycles(imports_within(tmp_path)) == [["a", "b", "c", "a"]]
