"""The layers of docs/architecture.md, held against the code: imports only go down, and no module takes a
private name from another."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "model"
# bottom to top; a layer may import only the layers before it (and itself)
LAYERS = ("common", "data", "policy", "market", "metrics", "simulation", "runs", "ui")


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every `import model.x` / `from model.x import names` in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("model"):
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names if alias.name.startswith("model")]
    return found


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


MODULES = sorted(p for layer in LAYERS for p in (PACKAGE / layer).glob("*.py"))


def test_every_layer_is_a_package_with_a_docstring():
    for layer in LAYERS:
        init = PACKAGE / layer / "__init__.py"
        assert init.is_file(), f"model/{layer}/ is not a package"
        assert ast.get_docstring(ast.parse(init.read_text())), f"model/{layer}/__init__.py says nothing"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_imports_only_go_down(path: Path):
    own = LAYERS.index(path.parent.name)
    for module, _ in imports(path):
        target = layer_of(module)
        assert target is not None, f"{path.name} imports {module}, which is in no layer"
        assert LAYERS.index(target) <= own, f"model/{path.parent.name}/{path.name} imports {module}: upward"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_private_name_crosses_a_module(path: Path):
    for module, names in imports(path):
        private = [n for n in names if n.startswith("_")]
        assert not private, f"{path.name} takes private {private} from {module}"
