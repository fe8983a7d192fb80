"""The package's layout rules, read from its source.

No module reaches into another module's private names: a module reads its
own underscored attributes (`self._x`, or another instance of a class it
defines), and asks other modules through their public names.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "spangle"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _own_names(tree: ast.Module) -> set[str]:
    """Names a module defines: its functions, classes, attributes and slots."""
    own: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            own.add(node.name)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls")
        ):
            own.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            own.add(node.value)  # `__slots__` entries
    return own


def _reaches(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = _own_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names if _private(alias.name)]
            found += [f"{path.name}:{node.lineno}: imports {n}" for n in names]
        elif (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and node.attr not in own
        ):
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize(
    "path", MODULES, ids=[str(m.relative_to(PACKAGE)) for m in MODULES]
)
def test_no_module_reaches_into_another_modules_private_names(path: Path) -> None:
    assert _reaches(path) == []


def test_the_rule_finds_a_private_attribute_of_another_module(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f(conn):\n    return conn._status\n")
    assert _reaches(module) == ["m.py:2: conn._status"]


def test_the_rule_finds_a_private_attribute_set_from_outside(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f(conn):\n    conn._limit = 1\n")
    assert _reaches(module) == ["m.py:2: conn._limit"]


def test_the_rule_finds_a_private_name_imported_from_another_module(
    tmp_path: Path,
) -> None:
    module = tmp_path / "m.py"
    module.write_text("from spangle.models.websocket import _State\n")
    assert _reaches(module) == ["m.py:1: imports _State"]


def _public(module: str) -> bool:
    return not any(part.startswith("_") for part in module.split("."))


PUBLIC_MODULES = [
    name
    for name in (
        ".".join(("spangle", *m.relative_to(PACKAGE).with_suffix("").parts))
        for m in MODULES
    )
    if _public(name.removesuffix(".__init__")) and not name.endswith("__main__")
]


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_what_a_public_module_exports_is_defined_in_a_public_module(
    module: str,
) -> None:
    loaded = importlib.import_module(module.removesuffix(".__init__"))
    private = [
        f"{name} ({where})"
        for name in getattr(loaded, "__all__", ())
        if isinstance(where := getattr(getattr(loaded, name), "__module__", None), str)
        and where.startswith("spangle")
        and not _public(where)
    ]
    assert private == []


def test_no_public_class_is_renamed_into_another_module() -> None:
    rewrites = [
        f"{m.relative_to(PACKAGE)}: {line.strip()}"
        for m in MODULES
        for line in m.read_text(encoding="utf-8").splitlines()
        if "__module__ =" in line
    ]
    assert rewrites == []


def test_each_pragma_no_cover_says_why() -> None:
    silent = [
        f"{m.relative_to(PACKAGE)}: {line.strip()}"
        for m in MODULES
        for line in m.read_text(encoding="utf-8").splitlines()
        if "pragma: no cover" in line
        and not line.split("pragma: no cover", 1)[1].strip(" -")
    ]
    assert silent == []
