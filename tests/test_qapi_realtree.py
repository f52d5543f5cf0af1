"""The QAPI stage on a real QEMU tree (REVIEW_QEMU_TREE, skipped when unset).

Every schema root parses; definition counts and the files read equal an
independent count (a plain regex walk over the include graph); definitions,
lines, members and documented members equal what QEMU's own parser
(scripts/qapi, imported from the tree at test time, never copied) reports;
and our C names equal QEMU's for every type, member and enum constant.
"""

from __future__ import annotations

import collections
import importlib.util
import posixpath
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from reviewtool.qapi import SCHEMA_ROOTS, Enum, Schema, Union, load_schema
from reviewtool.qapi.naming import c_enum_const, c_name, camel_to_upper
from reviewtool.tree import DirectoryTree

# "{ 'struct': 'Foo'" or " { 'enum': 'Bar'" (qga indents some) at a line start
_DEFINITION_START_RE = re.compile(
    r"^[ \t]*\{\s*'(enum|struct|union|alternate|command|event|include)'\s*:\s*'([^']*)'", re.M
)


def _independent_count(tree: Path, root: str) -> tuple[dict[str, int], list[str]]:
    counts: collections.Counter[str] = collections.Counter()
    files: list[str] = []

    def visit(path: str) -> None:
        if path in files:
            return
        files.append(path)
        text = (tree / path).read_text()
        for m in _DEFINITION_START_RE.finditer(text):
            if m.group(1) == "include":
                visit(posixpath.normpath(posixpath.join(posixpath.dirname(path), m.group(2))))
            else:
                counts[m.group(1)] += 1

    visit(root)
    kinds = ("enum", "struct", "union", "alternate", "command", "event")
    return {k: counts.get(k, 0) for k in kinds}, files


@pytest.mark.real_tree
@pytest.mark.parametrize("root", SCHEMA_ROOTS)
def test_root_parses_with_independent_counts(qemu_tree: Path, root: str) -> None:
    schema = load_schema(DirectoryTree(qemu_tree), root)
    counts, files = _independent_count(qemu_tree, root)
    assert schema.counts() == counts
    assert list(schema.file_paths()) == files
    assert sum(counts.values()) > 50


@pytest.fixture
def qemu_scripts(qemu_tree: Path) -> Iterator[Path]:
    """QEMU's scripts/ on sys.path for the test (its 'qapi' package)."""
    scripts = qemu_tree / "scripts"
    if not (scripts / "qapi" / "parser.py").is_file():
        pytest.skip("the tree has no scripts/qapi")
    saved = {k: v for k, v in sys.modules.items() if k == "qapi" or k.startswith("qapi.")}
    for k in saved:
        del sys.modules[k]
    sys.path.insert(0, str(scripts))
    try:
        yield scripts
    finally:
        sys.path.remove(str(scripts))
        for k in [k for k in sys.modules if k == "qapi" or k.startswith("qapi.")]:
            del sys.modules[k]
        sys.modules.update(saved)


def _qemu_module(name: str) -> ModuleType:
    return importlib.import_module(name)


def _qemu_definitions(qemu_tree: Path, root: str) -> list[tuple[Any, ...]]:
    parser = _qemu_module("qapi.parser")
    parsed = parser.QAPISchemaParser(str(qemu_tree / root))
    out = []
    for e in parsed.exprs:
        kind = next(iter(e))
        if kind in ("include", "pragma"):
            continue
        path = Path(e.info.fname).resolve().relative_to(qemu_tree.resolve()).as_posix()
        data = e.get("data")
        if isinstance(data, dict):
            members = tuple(k.lstrip("*") for k in data)
        elif isinstance(data, list):
            members = tuple(v if isinstance(v, str) else v["name"] for v in data)
        else:
            members = ()
        if kind == "union" and isinstance(e.get("base"), dict):
            members = tuple(k.lstrip("*") for k in e["base"]) + members
        documented = tuple(e.doc.args) if e.doc is not None else None
        out.append((kind, e[kind], path, e.info.line, members, documented))
    return out


def _our_definitions(schema: Schema) -> list[tuple[Any, ...]]:
    out = []
    for d in schema.definitions.values():
        members = d.member_names()
        if isinstance(d, Union):
            members = members + tuple(b.name for b in d.branches)
        documented = tuple(s.name for s in d.doc.members) if d.doc is not None else None
        out.append((d.kind, d.name, d.location.path, d.location.line, members, documented))
    return out


@pytest.mark.real_tree
@pytest.mark.parametrize("root", SCHEMA_ROOTS)
def test_definitions_equal_qemus_parser(qemu_tree: Path, qemu_scripts: Path, root: str) -> None:
    ours = _our_definitions(load_schema(DirectoryTree(qemu_tree), root))
    theirs = _qemu_definitions(qemu_tree, root)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a == b


def _qemu_common(qemu_tree: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "qemu_qapi_common", qemu_tree / "scripts" / "qapi" / "common.py"
    )
    if spec is None or spec.loader is None:
        pytest.skip("the tree has no scripts/qapi/common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.real_tree
def test_c_names_equal_qemus(qemu_tree: Path) -> None:
    common = _qemu_common(qemu_tree)
    compared = 0
    for root in SCHEMA_ROOTS:
        schema = load_schema(DirectoryTree(qemu_tree), root)
        for d in schema.definitions.values():
            assert c_name(d.name) == common.c_name(d.name)
            if isinstance(d, Enum):
                assert camel_to_upper(d.name) == common.camel_to_upper(d.name), d.name
            for m in d.members:
                assert c_name(m.name) == common.c_name(m.name)
                assert c_name(m.name, protect=False) == common.c_name(m.name, False)
                if isinstance(d, Enum):
                    mine = c_enum_const(d.name, m.name, d.prefix)
                    assert mine == common.c_enum_const(d.name, m.name, d.prefix)
                compared += 1
    assert compared > 5000
