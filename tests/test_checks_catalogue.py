"""Every registered check documents itself, and its examples run.

For each check (all families: M, P, Q, X): a summary line, a ``Why:``
paragraph, at least one flagged and one ``Okay:`` example. Each example names
a mail file under tests/checks/fixtures/<CODE>/ (``../common/...`` shares one
between codes); the whole pipeline runs on it against the bundled sample tree,
overlaid with the ``tree/`` folder beside the mail when there is one, and the
check's code must fire for a ``<CODE>:`` example and stay silent for ``Okay:``.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest
from conftest import SAMPLE_TREE

from reviewtool.checks import REGISTRY
from reviewtool.checks.registry import CheckSpec
from reviewtool.checks.runner import INTERNAL_ERROR_CODE, catalogue
from reviewtool.pipeline import ReviewOptions, review
from reviewtool.report.model import Report
from reviewtool.tree import DirectoryTree, Tree

FIXTURES = Path(__file__).resolve().parent / "checks" / "fixtures"

SPECS = sorted(REGISTRY.values(), key=lambda s: s.code)


def _examples() -> list[tuple[str, str, str]]:
    return [(spec.code, kind, value) for spec in SPECS for kind, value in spec.examples()]


def fixture_tree(mail: Path) -> Tree:
    """The sample tree, overlaid with ``tree/`` beside ``mail`` when present."""
    base = DirectoryTree(SAMPLE_TREE, label="bundled sample tree")
    extra = mail.parent / "tree"
    if not extra.is_dir():
        return base
    changes: dict[str, bytes | None] = {
        p.relative_to(extra).as_posix(): p.read_bytes()
        for p in sorted(extra.rglob("*"))
        if p.is_file()
    }
    return base.overlay(changes, f"bundled sample tree + {extra.relative_to(FIXTURES)}")


def fixture_path(code: str, value: str) -> Path:
    """fixtures/<code>/<value>, with ``..`` resolved lexically (the folder may not exist)."""
    return Path(os.path.normpath(FIXTURES / code / value))


@cache
def run_fixture(relative: str) -> Report:
    """The pipeline's report on one fixture mail (cached: several codes share one)."""
    mail = FIXTURES / relative
    return review([str(mail)], ReviewOptions(base=fixture_tree(mail)))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.code)
def test_check_is_documented(spec: CheckSpec) -> None:
    doc = spec.doc
    assert spec.summary and spec.summary.endswith("."), f"{spec.code}: summary line"
    assert len(spec.summary) <= 100, f"{spec.code}: summary over 100 characters"
    assert "\nWhy: " in doc, f"{spec.code}: no 'Why:' paragraph"
    kinds = [kind for kind, _ in spec.examples()]
    assert "Okay" in kinds, f"{spec.code}: no Okay example"
    assert spec.code in kinds, f"{spec.code}: no flagged example"
    assert set(kinds) <= {"Okay", spec.code}, f"{spec.code}: example for another code"


@pytest.mark.parametrize(
    ("code", "kind", "value"), _examples(), ids=lambda v: str(v).replace("/", "_")
)
def test_example_runs(code: str, kind: str, value: str) -> None:
    mail = fixture_path(code, value)
    assert mail.is_file(), f"{code}: example {value} is not a file under {FIXTURES / code}"
    relative = mail.relative_to(FIXTURES).as_posix()
    report = run_fixture(relative)
    codes = [f.code for f in report.findings]
    assert INTERNAL_ERROR_CODE not in codes, [f.message for f in report.findings]
    fired = [f"{f.code} {f.message}" for f in report.findings if f.code == code]
    if kind == "Okay":
        assert not fired, f"{code} fired on Okay example {value}: {fired}"
    else:
        assert fired, f"{code} did not fire on {value}; found: {codes}"


def test_codes_are_unique_and_stable() -> None:
    codes = [s.code for s in catalogue()]
    names = [s.name for s in catalogue()]
    assert len(codes) == len(set(codes)) and len(names) == len(set(names))
    assert codes[-1] == INTERNAL_ERROR_CODE
    # families by stage: M mail/series, P patch/apply, Q QAPI, X cross-site
    assert {c[0] for c in codes} <= set("MPQX")


def test_every_fixture_is_used() -> None:
    """No stray fixture: each mail under fixtures/ is some check's example."""
    used = {fixture_path(code, value) for code, _, value in _examples()}
    present = {p for p in FIXTURES.rglob("*.mbox") if "tree" not in p.parts}
    assert present - used == set()
