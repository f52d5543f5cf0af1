"""The shortcuts that make `review check` fast give what the long way gives.

Each test runs a shortcut next to the plain computation it replaces, on
real inputs (codespell's dictionary, the bundled sample tree, the real
QEMU tree when REVIEW_QEMU_TREE is set).
"""

from __future__ import annotations

import importlib.resources
import random
from pathlib import Path

import pytest

from reviewtool.checks import qapi_spelling as qc
from reviewtool.checks.threading_engine import _required_placeholder
from reviewtool.qapi import SCHEMA_ROOTS, load_schema
from reviewtool.qapi.parser import read_expressions, schema_file_bound
from reviewtool.tree import DirectoryTree

SAMPLE_TREE = Path(__file__).resolve().parent.parent / "samples" / "qemu"


def _full_table() -> tuple[dict[str, str], set[str]]:
    """codespell's dictionary built whole, the way the lookups must agree with."""
    data = importlib.resources.files("codespell_lib").joinpath("data", "dictionary.txt")
    wrong: dict[str, str] = {}
    good: set[str] = set()
    for line in data.read_text(encoding="utf-8").splitlines():
        left, sep, right = line.partition("->")
        if not sep:
            continue
        fixes = [w.strip() for w in right.split(",") if w.strip()]
        if fixes:
            wrong[left.strip()] = fixes[0] if len(fixes) == 1 else " or ".join(fixes)
            good.update(w.lower() for w in fixes if " " not in w)
    return wrong, good


def test_codespell_lookups_agree_with_the_whole_table() -> None:
    wrong, good = _full_table()
    rng = random.Random(7)
    words = rng.sample(sorted(wrong), 400) + rng.sample(sorted(good), 400)
    words += ["migration", "paramters", "the", "in", "zzzzqx", "enabled"]
    words = [w.lower() for w in words]
    codespell = qc._codespell()
    codespell.lookup(words[:500])  # one pass for many, then one by one
    for word in words:
        assert codespell.wrong(word) == wrong.get(word), word
        forms = {word, *qc._inflections(word)}
        assert codespell.good_among(forms) == {f for f in forms if f in good}, word


def test_common_prefix() -> None:
    assert qc._common_prefix(["enabled", "enable", "enabl"]) == "enabl"
    assert qc._common_prefix(["a", "b"]) == ""
    assert qc._common_prefix([]) == ""


@pytest.mark.parametrize(
    ("template", "key"),
    [
        (r"\b{K}\b", "K"),
        (r"(?<![\w-])(x-)?{name}(?![\w-])", "name"),
        (r"(->|\.)\s*{c}\b", "c"),
        (r"({c}|other)", None),  # inside an alternation
        (r"a|{c}", None),
        (r"{c}?", None),  # quantified
        (r"(?i){c}", None),  # flags change what matches
        (r"[({]{c}", "c"),
    ],
)
def test_required_placeholder(template: str, key: str | None) -> None:
    assert _required_placeholder(template) == key


def _check_bound(root_dir: Path) -> None:
    tree = DirectoryTree(root_dir)
    for root in SCHEMA_ROOTS:
        if not tree.exists(root):
            continue
        bound = schema_file_bound(tree, root)
        assert bound is not None
        read = {f.path for f in read_expressions(tree, root).files}
        assert read <= bound


def test_schema_file_bound_covers_every_file_read_sample() -> None:
    _check_bound(SAMPLE_TREE)


def test_schema_file_bound_covers_every_file_read_real(qemu_tree: Path) -> None:
    _check_bound(qemu_tree)


def test_reloaded_schema_is_equal_and_keeps_each_includer(qemu_tree: Path) -> None:
    tree = DirectoryTree(qemu_tree)
    first = load_schema(tree, "qapi/qapi-schema.json")
    again = load_schema(tree, "qapi/qapi-schema.json")  # from the parse cache
    assert again == first
    # storage-daemon's root includes files of qapi/ too: same parse, own includer
    daemon = load_schema(tree, "storage-daemon/qapi/qapi-schema.json")
    shared = {f.path for f in daemon.files} & {f.path for f in first.files}
    assert shared
    for f in daemon.files:
        if f.path in shared:
            assert f.included_from is not None
            assert not f.included_from.path.startswith("qapi/qapi-schema")
