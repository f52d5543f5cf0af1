"""Imports point down the layers of docs/architecture.md, and third-party
libraries stay at their seams (an ast walk over reviewtool/**/*.py)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reviewtool"

# docs/architecture.md, layer by layer; a module is named by its first
# component below reviewtool ("checks" for reviewtool/checks/runner.py).
LAYERS: list[set[str]] = [
    {"errors", "location", "__init__"},  # __init__: the version only
    {"findings"},
    {"mail", "diff", "tree", "csource"},
    {"series", "qapi"},
    {"apply"},
    {"checks", "rules", "data"},
    {"report"},
    {"pipeline"},
    # drivers that run the pipeline many times (not in architecture.md's table)
    {"scan", "watch"},
    {"cli"},
    {"__main__"},
]

# third-party (and stdlib) libraries that only their seam may import: module
# prefix -> the reviewtool modules (dotted, below reviewtool) allowed to.
SEAMS: dict[str, tuple[str, ...]] = {
    "unidiff": ("diff",),
    "mailparser": ("mail.mbox",),
    "mailbox": ("mail.mbox",),
    "email": ("mail.mbox", "report.mail_reply"),
    "typer": ("cli",),
    "rich": ("cli", "report.terminal"),
    "subprocess": ("tree",),
}


def layer_of(name: str) -> int:
    top = name.split(".")[0]
    for i, layer in enumerate(LAYERS):
        if top in layer:
            return i
    raise AssertionError(f"reviewtool.{name} is in no layer of docs/architecture.md")


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" and len(rel.parts) > 1 else rel.parts
    return ".".join(parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of import nodes inside ``if TYPE_CHECKING:`` blocks."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                for sub in ast.walk(inner):
                    found.add(id(sub))
    return found


def iter_imports(path: Path, name: str) -> Iterator[tuple[str, int, bool]]:
    """(imported module, line, only for typing) for every import in ``path``,
    the module ``name`` (relative imports are resolved against it)."""
    tree = ast.parse(path.read_text(), str(path))
    typing_only = _type_checking_nodes(tree)
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, id(node) in typing_only
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = ["reviewtool", *name.split(".")]
                keep = len(parts) - node.level + (1 if is_package else 0)
                base = ".".join(parts[:keep])
                yield f"{base}.{node.module}" if node.module else base, node.lineno, False
            elif node.module == "reviewtool":  # from reviewtool import apply
                for alias in node.names:
                    # "from reviewtool import __version__" is the package itself
                    sub = "__init__" if alias.name.startswith("__") else alias.name
                    yield f"reviewtool.{sub}", node.lineno, id(node) in typing_only
            elif node.module:
                yield node.module, node.lineno, id(node) in typing_only


def layering_violations(path: Path, name: str) -> list[str]:
    """Imports of ``path`` (module ``name``) that point up or sideways."""
    if not name or name == "__init__":
        return []
    mine = layer_of(name)
    top = name.split(".")[0]
    found = []
    for imported, line, _typing in iter_imports(path, name):
        if not imported.startswith("reviewtool.") or imported == "reviewtool":
            continue
        target = imported.removeprefix("reviewtool.")
        if target.split(".")[0] == top:  # inside its own package
            continue
        if layer_of(target) >= mine:
            found.append(
                f"{path.name}:{line}: {name} (layer {mine}) imports {target} "
                f"(layer {layer_of(target)})"
            )
    return found


def seam_violations(path: Path, name: str) -> list[str]:
    """Imports of a seamed library from outside its seam."""
    found = []
    for imported, line, typing_only in iter_imports(path, name):
        if typing_only:  # a type in an annotation is not a use of the library
            continue
        for library, allowed in SEAMS.items():
            uses = imported == library or imported.startswith(library + ".")
            if uses and not any(name == a or name.startswith(a + ".") for a in allowed):
                found.append(
                    f"{path.name}:{line}: {imported} may only be imported by {', '.join(allowed)}"
                )
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


def _id(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


def test_every_module_is_in_a_layer() -> None:
    for path in SOURCES:
        name = module_name(path)
        if name:
            layer_of(name)


@pytest.mark.parametrize("path", SOURCES, ids=_id)
def test_imports_point_down(path: Path) -> None:
    assert layering_violations(path, module_name(path)) == []


@pytest.mark.parametrize("path", SOURCES, ids=_id)
def test_third_party_stays_at_its_seam(path: Path) -> None:
    assert seam_violations(path, module_name(path)) == []


def test_the_walk_sees_known_imports() -> None:
    cli = {i for i, _, _ in iter_imports(PACKAGE / "cli.py", "cli")}
    assert {"typer", "reviewtool.errors"} <= cli
    assert layer_of("checks.runner") > layer_of("apply") > layer_of("series")


def test_violations_are_caught(tmp_path: Path) -> None:
    """An upward import, a sideways one, a relative one and a seam breach."""
    fake = tmp_path / "fake.py"
    fake.write_text(
        "from reviewtool.pipeline import review\n"
        "from reviewtool import pipeline, apply\n"
        "from ..report import model\n"
        "import rich.console\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from email.message import EmailMessage\n"
    )
    layering = layering_violations(fake, "checks.runner")
    assert [v.split(" imports ")[1] for v in layering] == [
        "pipeline (layer 7)",
        "pipeline (layer 7)",
        "report (layer 6)",
    ], layering
    seams = seam_violations(fake, "checks.runner")
    assert seams == ["fake.py:4: rich.console may only be imported by cli, report.terminal"]
    # the same imports are fine from the top of the stack
    assert layering_violations(fake, "cli") == []
