"""What the threading check verified: ``Passed`` records, how the runner keeps
them apart from findings, and that they never change a verdict or exit code.

The seed (samples/backend-transfer-v10-3-8.mbox on the bundled sample tree)
threads backend-transfer through the four sites the user named (the
MigrationParameter enum, has_fields[] in migrate_mark_all_params_present(),
migrate_params_test_apply(), migrate_params_apply()) and leaves out
hmp_migrate_set_parameter(), hmp_info_migrate_parameters() and
migration_properties[].
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE
from threading_build import NewParam, series_mbox, thread_parameter
from typer.testing import CliRunner

from reviewtool.apply import apply_series
from reviewtool.checks.context import CheckContext
from reviewtool.checks.registry import CheckSpec, Hit, Passed, Scope
from reviewtool.checks.runner import run_checks, run_checks_full
from reviewtool.checks.threading import watched_members
from reviewtool.checks.threading_rules import load_packs
from reviewtool.cli import app
from reviewtool.findings import Severity, Verified
from reviewtool.location import TreeLocation
from reviewtool.mail.mbox import read_messages
from reviewtool.pipeline import ReviewOptions, review
from reviewtool.qapi import load_schema
from reviewtool.report.model import Report
from reviewtool.series import Patch, build_series
from reviewtool.tree import DirectoryTree, Tree

FIXTURES = Path(__file__).resolve().parent / "checks" / "fixtures"
SEED_FIXED = FIXTURES / "X101" / "ok-seed-fixed.mbox"
TWO_PATCHES = FIXTURES / "common" / "ok-two-patch-series.mbox"
X_CODES = ("X101", "X102", "X103", "X110")


def sample() -> Tree:
    return DirectoryTree(SAMPLE_TREE, label="sample")


def sites(passes: tuple[Verified, ...]) -> dict[str, str]:
    """site function (or path) -> code, for the threading passes."""
    return {
        v.extra["site"]["function"] or v.extra["site"]["path"]: v.code
        for v in passes
        if v.code in X_CODES
    }


@pytest.fixture(scope="module")
def seed() -> Report:
    return review([str(SEED_SAMPLE)], ReviewOptions(base=sample()))


# --- the seed ----------------------------------------------------------------------


def test_seed_passes_the_four_named_sites(seed: Report) -> None:
    found = sites(seed.passes)
    assert found["MigrationParameter"] == "X101"  # the enum (a schema site)
    assert found["migrate_mark_all_params_present"] == "X101"  # has_fields[], n_str_args
    assert found["migrate_params_test_apply"] == "X101"
    assert found["migrate_params_apply"] == "X101"
    labels = [v.extra["label"] for v in seed.passes]
    assert "has_fields[]" in labels
    # and more than those: the struct, the getter and its prototype
    assert found["MigrationParameters"] == "X101"
    assert found["migrate_backend_transfer"] == "X103"


def test_seed_passes_nothing_it_leaves_out(seed: Report) -> None:
    found = sites(seed.passes)
    for missing in ("hmp_migrate_set_parameter", "hmp_info_migrate_parameters"):
        assert missing not in found
    assert "migration_properties" not in found
    # no site is both verified and reported
    reported = {
        (f.extra["member"], f.extra["site"]["path"], f.extra["site"]["function"])
        for f in seed.findings
        if f.code in X_CODES
    }
    assert reported  # the seed does leave sites out
    verified = {
        (v.extra["member"], v.extra["site"]["path"], v.extra["site"]["function"])
        for v in seed.passes
    }
    assert not reported & verified


def test_seed_pass_fields(seed: Report) -> None:
    apply = next(v for v in seed.passes if v.extra["site"]["function"] == "migrate_params_apply")
    assert apply.code == "X101" and apply.check == "threading-required-site-missing"
    assert apply.patch == 3  # the patch that adds the member
    assert apply.message == "migration parameter 'backend-transfer' is in migrate_params_apply()"
    assert isinstance(apply.at, TreeLocation)
    assert (apply.at.path, apply.at.function) == ("migration/options.c", "migrate_params_apply")
    assert apply.at.line is not None and apply.at.line > 0
    assert dict(apply.extra) == {
        "member": "backend-transfer",
        "site": {"path": "migration/options.c", "function": "migrate_params_apply"},
        "class": "required",
        "source": "rule pack qemu-migration-11.0",
        "title": "migrate_params_apply()",
        "label": "migrate_params_apply()",
    }
    getter = next(v for v in seed.passes if v.extra["title"].startswith("getter"))
    assert getter.extra["class"] == "convention"
    assert getter.extra["label"] == "migrate_backend_transfer()"
    count = next(v for v in seed.passes if v.extra["label"] == "n_str_args")
    assert "counts right" in count.message


def test_passes_are_deterministic(seed: Report) -> None:
    again = review([str(SEED_SAMPLE)], ReviewOptions(base=sample()))
    assert again.passes == seed.passes
    assert list(seed.passes) == sorted(seed.passes, key=Verified.sort_key)


def test_passes_do_not_count_in_the_verdict(seed: Report) -> None:
    assert seed.passes
    assert sum(seed.counts().values()) == len(seed.findings)
    bare = Report.create(
        inputs=seed.inputs,
        tree_label=seed.tree_label,
        series=seed.series,
        applied=seed.applied,
        findings=[],
        passes=seed.passes,
    )
    assert bare.verdict == "clean" and bare.worst is None
    assert bare.at_or_above(Severity.INFO) == ()


# --- selection and exit codes -------------------------------------------------------


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["check", "--tree", str(SAMPLE_TREE), *args])
    return result.exit_code, result.stdout


def test_ignore_x1_drops_the_threading_passes() -> None:
    report = review([str(SEED_SAMPLE)], ReviewOptions(base=sample(), ignore=("X1",)))
    assert not [v for v in report.passes if v.code.startswith("X1")]
    code, out = invoke(str(SEED_SAMPLE), "--ignore", "X1", "--format", "json")
    assert json.loads(out)["passes"] == [] and code == 1  # M011 is still an error


def test_select_keeps_only_the_selected_checks_passes() -> None:
    report = review([str(SEED_SAMPLE)], ReviewOptions(base=sample(), select=("X103",)))
    assert report.passes and {v.code for v in report.passes} == {"X103"}
    assert {v.extra["class"] for v in report.passes} == {"convention"}


def test_passes_never_change_the_exit_code() -> None:
    """A fully threaded parameter: many passes, no X finding, exit 0 even
    with --fail-on warning; on the seed the exit code is the same with and
    without the passes of X102/X103."""
    code, out = invoke(
        str(SEED_FIXED), "--select", "X1", "--fail-on", "warning", "--format", "json"
    )
    data = json.loads(out)
    assert code == 0 and data["findings"] == [] and data["summary"]["verdict"] == "clean"
    assert {p["site"]["function"] for p in data["passes"]} >= {
        "hmp_migrate_set_parameter",
        "hmp_info_migrate_parameters",
        "migration_properties",
    }
    assert data["summary"]["counts"] == {"error": 0, "warning": 0, "info": 0}
    # the seed: the same exit code with and without its passes
    with_passes, _ = invoke(str(SEED_SAMPLE), "--select", "X1")
    without, _ = invoke(str(SEED_SAMPLE), "--select", "X101")
    assert with_passes == without == 1


# --- inferred sites and enum tables -------------------------------------------------


def test_inferred_site_found_threaded_is_a_pass(tmp_path: Path) -> None:
    """A function that mentions every parameter (a site by inference) that the
    series does extend is verified, with source "inferred"."""
    base = sample()
    pack = next(p for p in load_packs() if p.name == "qemu-migration-11.0")
    members = watched_members(load_schema(base), pack)
    lines = "".join(f'    trace_param("{m.name}");\n' for m in members)
    head = "void trace_all_params(void)\n{\n"
    options = base.read_text("migration/options.c") or ""
    extended = base.overlay({"migration/options.c": (options + f"\n{head}{lines}}}\n").encode()})
    changes = dict(thread_parameter(extended, NewParam("new-knob", "bool")))
    text = changes["migration/options.c"].decode()
    changes["migration/options.c"] = text.replace(
        head, head + '    trace_param("new-knob");\n'
    ).encode()
    mail = tmp_path / "series.mbox"
    mail.write_text(series_mbox(extended, [changes], "migration: add new-knob"))
    report = review([str(mail)], ReviewOptions(base=extended))
    assert not [f for f in report.findings if f.code in X_CODES]
    inferred = [v for v in report.passes if v.extra["source"] == "inferred"]
    assert [(v.code, v.extra["site"]["function"]) for v in inferred] == [
        ("X102", "trace_all_params")
    ]
    assert inferred[0].extra["class"] == "expected"


def _fixture_tree(mail: Path) -> Tree:
    extra = mail.parent / "tree"
    changes = {
        p.relative_to(extra).as_posix(): p.read_bytes() for p in extra.rglob("*") if p.is_file()
    }
    return sample().overlay(changes, "sample + tree")


def test_enum_table_entry_is_a_pass_and_a_missing_one_is_not() -> None:
    ok = FIXTURES / "X110" / "ok-table.mbox"
    report = review([str(ok)], ReviewOptions(base=_fixture_tree(ok)))
    tables = [v for v in report.passes if v.code == "X110"]
    assert [(v.extra["member"], v.extra["site"]["function"]) for v in tables] == [
        ("passt", "net_client_init_fun")
    ]
    assert tables[0].extra["class"] == "table"
    flagged = FIXTURES / "X110" / "flagged-table.mbox"
    report = review([str(flagged)], ReviewOptions(base=_fixture_tree(flagged)))
    assert [f.code for f in report.findings if f.code == "X110"] == ["X110"]
    assert not [v for v in report.passes if v.code == "X110"]


# --- the runner ----------------------------------------------------------------------


def _ctx() -> CheckContext:
    series = build_series(read_messages([str(TWO_PATCHES)]).messages)
    base = sample()
    return CheckContext(series, base, apply_series(base, series))


def _spec(code: str, scope: Scope, func: object) -> CheckSpec:
    return CheckSpec(code, f"test-{code.lower()}", Severity.WARNING, scope, func)  # type: ignore[arg-type]


def test_runner_keeps_passes_apart_and_stamps_them() -> None:
    def mixed(ctx: CheckContext, patch: Patch) -> Iterator[Hit | Passed]:
        yield Passed(f"fine on {patch.index}", extra={"member": "m"})
        if patch.index == 2:
            yield Hit("bad on 2")

    def series_wide(ctx: CheckContext) -> Iterator[Hit | Passed]:
        yield Passed("series fine", at=TreeLocation("util/ringbuf.c", 3), patch=1)

    results = run_checks_full(
        _ctx(), specs=[_spec("T101", Scope.PATCH, mixed), _spec("T102", Scope.SERIES, series_wide)]
    )
    assert [(f.code, f.patch, f.message) for f in results.findings] == [("T101", 2, "bad on 2")]
    assert [(v.code, v.check, v.patch, v.message) for v in results.passes] == [
        ("T101", "test-t101", 1, "fine on 1"),
        ("T101", "test-t101", 2, "fine on 2"),
        ("T102", "test-t102", 1, "series fine"),  # its own patch wins over the scope's
    ]
    assert results.passes[0].extra == {"member": "m"}
    assert results.passes[2].at == TreeLocation("util/ringbuf.c", 3)
    # run_checks is the findings alone
    assert run_checks(_ctx(), specs=[_spec("T101", Scope.PATCH, mixed)]) == results.findings


def test_a_crash_drops_the_checks_passes_too() -> None:
    def half(ctx: CheckContext) -> Iterator[Hit | Passed]:
        yield Passed("looked fine")
        raise RuntimeError("boom")

    def garbage(ctx: CheckContext) -> Iterator[Hit | Passed]:
        yield Passed("fine")
        yield 42  # type: ignore[misc]

    results = run_checks_full(
        _ctx(), specs=[_spec("T103", Scope.SERIES, half), _spec("T104", Scope.SERIES, garbage)]
    )
    assert [f.code for f in results.findings] == ["X999", "X999"]
    assert "yielded int, not a Hit" in results.findings[1].message
    assert results.passes == []
