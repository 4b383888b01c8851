"""The package's shape: data flows one way, modules stay small, the CLI stays thin.

Checked on the source (ast), so a violation fails here with the module named, before it
shows up as a circular-import error or a 900-line module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "classifier"
CLI_LAYER = {"classifier.cli", "classifier.cli_parsers"}
MAX_LINES = 400
MAX_CLI_LINES = 350


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> set[str]:
    """Package modules ``name`` imports, at any level (function-level imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            submodules = [f"{target}.{a.name}" for a in node.names]
            # ``from . import cli_parsers`` imports the submodule, not the package's body.
            candidates = submodules if any(m in MODULES for m in submodules) else [target]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        found.update(c for c in candidates if c in MODULES and c != name)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(GRAPH[node]):
            # A package imports its own submodules to re-export them: not a cycle.
            if node.startswith(dep + "."):
                continue
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(GRAPH):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle():
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    limit = MAX_CLI_LINES if name == "classifier.cli" else MAX_LINES
    assert lines <= limit, f"{name} has {lines} lines (at most {limit})"


def test_argparse_only_in_the_cli_layer():
    users = {
        name
        for name, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(
            (getattr(node, "module", None) or a.name).split(".")[0] == "argparse"
            for a in node.names
        )
    }
    assert users <= CLI_LAYER, f"argparse imported outside the CLI: {sorted(users - CLI_LAYER)}"


def test_no_library_function_takes_a_namespace():
    offenders = []
    for name, path in MODULES.items():
        if name in CLI_LAYER:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for arg in [*node.args.args, *node.args.kwonlyargs]:
                    if arg.annotation is not None and "Namespace" in ast.unparse(arg.annotation):
                        offenders.append(f"{name}.{node.name}({arg.arg})")
    assert offenders == []


def test_the_cli_layer_holds_no_command_logic():
    """The CLI imports only the error types, its parsers and, lazily, the commands."""
    allowed = {"classifier.errors", "classifier.cli_parsers"}
    deps = GRAPH["classifier.cli"]
    assert all(d in allowed or d.startswith("classifier.commands") for d in deps), sorted(deps)
