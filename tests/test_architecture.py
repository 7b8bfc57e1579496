"""The architecture's rules, checked on the source itself.

1. Imports run one way, core to edge: the graph of imports between humblenet's modules (at any
   depth, so an import inside a function counts too) has no cycle.
2. Saving, loading, ONNX export, training and the command line name no layer class: what they
   need to know about a layer, the layer answers (see ``humblenet.nn.module``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import humblenet
from humblenet import nn

SRC = Path(humblenet.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in SRC.rglob("*.py")}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The humblenet modules that ``path`` imports, anywhere in the file."""
    found: set[str] = set()
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path.parent)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in modules else base)
    return {name for name in found if name in modules and name != "humblenet"}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle in ``graph``, or None (depth-first search with colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        stack.append(name)
        for target in sorted(graph.get(name, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[name] = 2
        return None

    for name in sorted(graph):
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    modules = _modules()
    graph = {name: _imports(path, modules) for name, path in modules.items()}
    assert "humblenet.nn.module" in graph["humblenet.nn.layers.linear"]  # the walk finds edges
    assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph) or [])}"


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def _layer_class_names() -> set[str]:
    names = set(nn.registry.registered()) - {"Sequential"}
    assert {"Dense", "Softmax", "Flatten"} <= names
    return names


def _python_files(*roots: Path) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        if root.suffix == ".py" and root.exists():
            files.append(root)
        elif root.is_dir():
            files.extend(sorted(root.rglob("*.py")))
    return files


def test_saving_export_and_training_name_no_layer_class() -> None:
    """io/ and training/ read the layer protocol; they never mention a layer class."""
    names = _layer_class_names()
    offenders = []
    for path in _python_files(SRC / "io", SRC / "training"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "id", None) or getattr(node, "attr", None)
            if isinstance(node, ast.Name | ast.Attribute) and name in names:
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno} {name}")
    assert offenders == []


def test_the_command_line_asks_layers_instead_of_testing_their_class() -> None:
    """The command line builds networks from layers, but never tests what class a layer is:
    no isinstance/issubclass with a layer class, no class name compared as text."""
    names = _layer_class_names()
    offenders = []
    for path in _python_files(SRC / "cli", SRC / "cli.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                "isinstance",
                "issubclass",
            ):
                mentioned = {getattr(n, "id", None) or getattr(n, "attr", None)
                             for n in ast.walk(node)}  # fmt: skip
                if mentioned & names:
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno} isinstance")
            if isinstance(node, ast.Constant) and node.value in names:
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno} {node.value!r}")
    assert offenders == []
