"""The pipeline end to end, and the runner: scopes, stamping, select/ignore, crashes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE, corpus_files

from reviewtool.checks import REGISTRY
from reviewtool.checks.context import CheckContext
from reviewtool.checks.registry import CheckSpec, Hit, Scope
from reviewtool.checks.runner import (
    INTERNAL_ERROR_CODE,
    catalogue,
    parse_codes,
    run_checks,
    select_specs,
)
from reviewtool.errors import InputError, UsageError
from reviewtool.findings import Severity
from reviewtool.location import TreeLocation
from reviewtool.mail.mbox import read_messages
from reviewtool.pipeline import ReviewOptions, review
from reviewtool.series import Patch, build_series
from reviewtool.tree import DirectoryTree

FIXTURES = Path(__file__).resolve().parent / "checks" / "fixtures"
TWO_PATCHES = FIXTURES / "common" / "ok-two-patch-series.mbox"


def sample() -> DirectoryTree:
    return DirectoryTree(SAMPLE_TREE, label="bundled sample tree")


# --- review() ---------------------------------------------------------------------------


def test_seed_report() -> None:
    report = review([str(SEED_SAMPLE)], ReviewOptions(base=sample()))
    assert report.inputs == (str(SEED_SAMPLE),)
    assert report.tree_label == "bundled sample tree"
    assert report.series is not None and report.series.version == 10
    assert [p.index for p in report.series.patches] == [3]
    assert report.applied is not None and report.applied.ok
    codes = {f.code for f in report.findings}
    assert {"M001", "M011"} <= codes
    assert report.worst is Severity.ERROR and report.verdict == "errors"
    # sorted once, by the findings' own key
    assert list(report.findings) == sorted(report.findings, key=lambda f: f.sort_key())
    # the specs that ran: every registered active check plus X999
    assert [s.code for s in report.specs] == [s.code for s in catalogue()]


def test_default_tree_is_the_bundled_sample(tmp_path: Path) -> None:
    """From a directory that is not a QEMU tree, the sample tree is used and named."""
    report = review([str(SEED_SAMPLE)], ReviewOptions(cwd=tmp_path))
    assert report.tree_label.startswith("bundled sample tree")


def test_tree_option_names_the_directory() -> None:
    report = review([str(SEED_SAMPLE)], ReviewOptions(tree=str(SAMPLE_TREE)))
    assert report.tree_label == f"directory {SAMPLE_TREE}"


def test_bad_inputs_raise_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        review([str(tmp_path / "absent.mbox")])
    with pytest.raises(InputError, match="no such directory"):
        review([str(SEED_SAMPLE)], ReviewOptions(tree=str(tmp_path / "absent")))


def test_unknown_check_code_fails_before_reading(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown check code or prefix 'Z9'"):
        review([str(tmp_path / "never-read.mbox")], ReviewOptions(select=("Z9",)))


def test_series_version_is_passed_on() -> None:
    both = FIXTURES / "M006" / "flagged-v1-and-v2.mbox"
    assert review([str(both)], ReviewOptions(base=sample())).series.version == 2  # type: ignore[union-attr]
    older = review([str(both)], ReviewOptions(base=sample(), series_version=1))
    assert older.series is not None and older.series.version == 1


def test_progress_is_reported(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int | None]] = []
    review([str(TWO_PATCHES)], ReviewOptions(base=sample()), progress=lambda *a: calls.append(a))
    assert calls[-1] == ("reading mail", 3, 3)


def test_the_tree_is_never_written(tmp_path: Path) -> None:
    """A review leaves the tree it reads byte for byte as it was."""
    tree = tmp_path / "tree"
    for path in SAMPLE_TREE.rglob("*"):
        if path.is_file():
            target = tree / path.relative_to(SAMPLE_TREE)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    review([str(SEED_SAMPLE)], ReviewOptions(tree=str(tree)))
    assert {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()} == before


@pytest.mark.corpus
@pytest.mark.parametrize("mbox", corpus_files(), ids=lambda p: p.name)
def test_corpus_series_review_without_crashing(mbox: Path) -> None:
    """Every corpus thread gives a report (or, for a discussion, a clean InputError)."""
    try:
        report = review([str(mbox)], ReviewOptions(base=sample()))
    except InputError as e:
        assert "no patch found" in str(e)
        return
    assert INTERNAL_ERROR_CODE not in {f.code for f in report.findings}


def test_seed_on_a_real_qemu_tree(qemu_tree: Path) -> None:
    """Against QEMU 10.2.2 (not the 11.0 tree the seed was written for)."""
    report = review([str(SEED_SAMPLE)], ReviewOptions(tree=str(qemu_tree)))
    assert report.tree_label == f"directory {qemu_tree}"
    assert INTERNAL_ERROR_CODE not in {f.code for f in report.findings}
    assert "M011" in {f.code for f in report.findings}


# --- the runner ------------------------------------------------------------------------


def _ctx(mbox: Path = TWO_PATCHES) -> CheckContext:
    series = build_series(read_messages([str(mbox)]))
    return CheckContext(series, sample())


def _spec(
    code: str, scope: Scope, func: object, severity: Severity = Severity.WARNING
) -> CheckSpec:
    return CheckSpec(code, f"test-{code.lower()}", severity, scope, func)  # type: ignore[arg-type]


def test_patch_scope_runs_once_per_patch_and_series_scope_once() -> None:
    seen: list[int | None] = []

    def per_patch(ctx: CheckContext, patch: Patch) -> Iterator[Hit]:
        seen.append(patch.index)
        yield Hit(f"patch {patch.index}")

    def per_series(ctx: CheckContext) -> Iterator[Hit]:
        seen.append(None)
        yield Hit("series", at=TreeLocation("util/ringbuf.c", 3))

    findings = run_checks(
        _ctx(),
        specs=[_spec("T001", Scope.PATCH, per_patch), _spec("T002", Scope.SERIES, per_series)],
    )
    assert seen == [1, 2, None]
    assert [(f.code, f.check, f.patch, f.message) for f in findings] == [
        ("T001", "test-t001", 1, "patch 1"),
        ("T001", "test-t001", 2, "patch 2"),
        ("T002", "test-t002", None, "series"),
    ]
    assert findings[2].at == TreeLocation("util/ringbuf.c", 3)


def test_hit_severity_overrides_the_default() -> None:
    def two(ctx: CheckContext) -> Iterator[Hit]:
        yield Hit("default")
        yield Hit("worse", severity=Severity.ERROR)

    findings = run_checks(_ctx(), specs=[_spec("T003", Scope.SERIES, two)])
    assert [f.severity for f in findings] == [Severity.WARNING, Severity.ERROR]


def test_a_crashing_check_becomes_x999_and_the_others_still_run() -> None:
    def crashes(ctx: CheckContext, patch: Patch) -> Iterator[Hit]:
        if patch.index == 2:
            raise KeyError("has_fields")
        yield Hit("fine on patch 1")

    def after(ctx: CheckContext) -> Iterator[Hit]:
        yield Hit("still ran")

    findings = run_checks(
        _ctx(), specs=[_spec("T004", Scope.PATCH, crashes), _spec("T005", Scope.SERIES, after)]
    )
    assert [(f.code, f.patch) for f in findings] == [("T004", 1), ("X999", 2), ("T005", None)]
    crash = findings[1]
    assert crash.check == "internal-error" and crash.severity is Severity.ERROR
    assert crash.message == "check T004 test-t004 crashed on patch 2: KeyError: 'has_fields'"
    assert crash.extra == {"crashed_check": "T004", "exception": "KeyError"}


def test_a_check_that_fails_half_way_reports_no_partial_hits() -> None:
    def half(ctx: CheckContext) -> Iterator[Hit]:
        yield Hit("first")
        raise RuntimeError("boom")

    findings = run_checks(_ctx(), specs=[_spec("T006", Scope.SERIES, half)])
    assert [f.code for f in findings] == ["X999"]


def test_every_registered_check_runs_on_the_seed_without_crashing() -> None:
    report = review([str(SEED_SAMPLE)], ReviewOptions(base=sample()))
    assert INTERNAL_ERROR_CODE not in {f.code for f in report.findings}


# --- select / ignore ------------------------------------------------------------------


def _codes(select: tuple[str, ...] = (), ignore: tuple[str, ...] = ()) -> list[str]:
    return [s.code for s in select_specs(select, ignore)]


def test_selection_by_code_and_prefix() -> None:
    all_codes = sorted(REGISTRY)
    assert _codes() == all_codes
    assert _codes(("M011",)) == ["M011"]
    assert _codes(("M01",)) == [c for c in all_codes if c.startswith("M01")]
    assert _codes(("M",), ("M011",)) == [c for c in all_codes if c.startswith("M") and c != "M011"]
    # the more specific selector wins either way round
    assert _codes(("M011",), ("M",)) == ["M011"]
    assert _codes(("P", "M010"), ("P01",)) == [
        c for c in all_codes if (c.startswith("P") and not c.startswith("P01")) or c == "M010"
    ]
    assert "M011" not in _codes(ignore=("M011",))


def test_x_prefix_selects_the_cross_site_family() -> None:
    x_codes = [c for c in sorted(REGISTRY) if c.startswith("X")]
    if not x_codes:
        pytest.skip("no X checks registered yet")
    assert _codes(("X",)) == x_codes


@pytest.mark.parametrize("bad", ["Z1", "M9", "m011x", "QQ"])
def test_unknown_selectors_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError, match="unknown check code or prefix"):
        select_specs(parse_codes(bad))
    with pytest.raises(UsageError):
        select_specs((), parse_codes(bad))


def test_parse_codes() -> None:
    assert parse_codes("x1, M004,,p01") == ("X1", "M004", "P01")
    assert parse_codes(["M", "P001,P002"]) == ("M", "P001", "P002")
    assert parse_codes(None) == ()


# --- the Report's helpers ---------------------------------------------------------------


def test_report_helpers() -> None:
    from reviewtool.findings import Finding
    from reviewtool.report.model import Report

    def finding(code: str, severity: Severity, patch: int | None) -> Finding:
        return Finding(code, "x-" + code.lower(), severity, "m", patch=patch)

    report = Report.create(
        inputs=["a.mbox"],
        tree_label="t",
        series=None,
        applied=None,
        findings=[
            finding("P012", Severity.WARNING, 2),
            finding("M001", Severity.WARNING, None),
            finding("M022", Severity.INFO, 1),
            finding("M011", Severity.ERROR, 2),
        ],
        specs=[REGISTRY["P012"], REGISTRY["M001"]],
    )
    assert [f.code for f in report.findings] == ["M001", "M022", "M011", "P012"]
    assert report.counts() == {Severity.ERROR: 1, Severity.WARNING: 2, Severity.INFO: 1}
    assert report.worst is Severity.ERROR and report.verdict == "errors"
    assert [f.code for f in report.findings_for_patch(2)] == ["M011", "P012"]
    assert [f.code for f in report.findings_for_patch(None)] == ["M001"]
    assert [f.code for f in report.at_or_above(Severity.WARNING)] == ["M001", "M011", "P012"]
    assert [s.code for s in report.specs] == ["M001", "P012"]
    assert report.spec("P012") is REGISTRY["P012"] and report.spec("Q101") is None
    empty = Report.create(inputs=[], tree_label="t", series=None, applied=None, findings=[])
    assert empty.worst is None and empty.verdict == "clean"


def test_a_check_that_yields_garbage_is_contained() -> None:
    def garbage(ctx: CheckContext) -> Iterator[Hit]:
        yield "not a hit"  # type: ignore[misc]

    (finding,) = run_checks(_ctx(), specs=[_spec("T007", Scope.SERIES, garbage)])
    assert finding.code == "X999"
    assert finding.message == "check T007 test-t007 crashed: TypeError: yielded str, not a Hit"


def test_context_parses_each_distinct_tree_once() -> None:
    """schema(k) is cached per tree: after the last patch is the final tree."""
    ctx = _ctx()
    final = ctx.schema()
    assert ctx.schema(2) is final  # patch 2 is the last one
    assert ctx.schema(7) is final  # beyond the series: still the final tree
    # the series changes no schema file, so every tree shares the base schema
    assert not ctx.schema_touched()
    assert ctx.schema(0) is final
    assert ctx.schema_diff(2) is ctx.schema_diff()
    assert ctx.tree_after(0) is ctx.base
    assert ctx.patch_slots == (1, 2)
    assert [a.line.text for a in ctx.added_lines(1)][:2] == ["/*", " * Ring buffer helper"]
