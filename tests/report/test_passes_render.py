"""How each format shows what the checks verified (``Report.passes``).

text: a "Verified" block per patch, after its findings, one line per member;
JSON: a top-level "passes" array; markdown: one collapsed "Verified" block;
SARIF and email: unchanged (findings only, a reply never says "looks good").
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE

from reviewtool.findings import Verified
from reviewtool.location import TreeLocation
from reviewtool.pipeline import ReviewOptions, review
from reviewtool.report.json_format import pass_to_dict, render_json
from reviewtool.report.mail_reply import render_email
from reviewtool.report.markdown import render_markdown
from reviewtool.report.model import Report, verified_groups
from reviewtool.report.sarif import render_sarif
from reviewtool.report.terminal import render_text
from reviewtool.tree import DirectoryTree


@pytest.fixture(scope="module")
def seed() -> Report:
    return review([str(SEED_SAMPLE)], ReviewOptions(base=DirectoryTree(SAMPLE_TREE)))


def without_passes(report: Report) -> Report:
    return dataclasses.replace(report, passes=())


def test_text_verified_after_the_patch_findings(seed: Report) -> None:
    text = render_text(seed, width=300)
    head, verified = text.split("\n  Verified\n")
    assert "Patch 3/8" in head and "X101" in head  # the findings come first
    line = verified.splitlines()[0].strip()
    assert line == (
        "backend-transfer: MigrationParameter, MigrationParameters, has_fields[], n_str_args, "
        "migrate_params_test_apply(), migrate_params_apply(), migrate_backend_transfer(), "
        "migrate_backend_transfer() prototype"
    )
    assert "Verified" not in render_text(without_passes(seed))


def test_text_patch_with_passes_only_gets_a_section(seed: Report) -> None:
    only = Report.create(
        inputs=seed.inputs,
        tree_label=seed.tree_label,
        series=seed.series,
        applied=seed.applied,
        findings=[],
        passes=seed.passes,
    )
    text = render_text(only, width=200)
    assert "CLEAN" in text
    assert re.search(r"Patch 3/8: .*\n  Verified\n    backend-transfer: MigrationParameter,", text)


def test_json_passes_array(seed: Report) -> None:
    data = json.loads(render_json(seed))
    assert len(data["passes"]) == len(seed.passes) > 0
    first = data["passes"][0]
    assert first == {
        "code": "X101",
        "check": "threading-required-site-missing",
        "message": "migration parameter 'backend-transfer' is in MigrationParameter",
        "patch": 3,
        "location": {
            "kind": "tree",
            "path": "qapi/migration.json",
            "line": first["location"]["line"],
            "function": "MigrationParameter",
        },
        "member": "backend-transfer",
        "site": {"path": "qapi/migration.json", "function": "MigrationParameter"},
        "class": "required",
        "source": "rule pack qemu-migration-11.0",
        "title": "MigrationParameter",
        "label": "MigrationParameter",
    }
    assert isinstance(first["location"]["line"], int)
    # passes are not findings: no severity, not counted
    assert all("severity" not in p for p in data["passes"])
    assert sum(data["summary"]["counts"].values()) == len(data["findings"])


def test_json_pass_extra_never_replaces_core_keys() -> None:
    v = Verified("T001", "test", "fine", patch=2, extra={"code": "X", "member": "m"})
    assert pass_to_dict(v) == {
        "code": "T001",
        "check": "test",
        "message": "fine",
        "patch": 2,
        "location": None,
        "member": "m",
    }


def test_markdown_one_collapsed_verified_block(seed: Report) -> None:
    md = render_markdown(seed)
    assert md.count("<summary><b>Verified</b>") == 1
    block = md[md.index("<summary><b>Verified</b>") :]
    assert block.rstrip().endswith("</details>")
    assert f"{len(seed.passes)} sites found fine" in block
    assert "- 3/8 backend-transfer: `MigrationParameter`, `MigrationParameters`," in block
    assert "`has_fields[]`" in block and "`migrate_params_apply()`" in block
    assert "Verified" not in render_markdown(without_passes(seed))


def test_markdown_escapes_pass_text() -> None:
    v = Verified(
        "T001",
        "test",
        "fine",
        at=TreeLocation("a.c", 1),
        patch=None,
        extra={"member": "@everyone <b>", "label": "x`y"},
    )
    report = Report.create(
        inputs=["x"], tree_label="t", series=None, applied=None, findings=[], passes=[v]
    )
    md = render_markdown(report)
    assert "@everyone" not in md and "<b>" not in md.split("</summary>")[-1]
    assert "``x`y``" in md


def test_sarif_and_email_are_unchanged_by_passes(seed: Report) -> None:
    bare = without_passes(seed)
    assert render_sarif(seed) == render_sarif(bare)
    assert render_email(seed) == render_email(bare)
    mail = render_email(seed) or ""
    assert "Verified" not in mail and "is in migrate_params_apply()" not in mail


def test_verified_groups() -> None:
    passes = [
        Verified("X101", "a", "m1 in f", extra={"member": "m1", "label": "f()"}),
        Verified("X101", "a", "m2 in f", extra={"member": "m2", "label": "f()"}),
        Verified("X103", "c", "m1 in g", extra={"member": "m1", "label": "g()"}),
        Verified("X103", "c", "m1 in g again", extra={"member": "m1", "label": "g()"}),
        Verified("M999", "other-check", "no member, no label"),
    ]
    assert verified_groups(passes) == [
        ("m1", ["f()", "g()"]),
        ("m2", ["f()"]),
        ("other-check", ["no member, no label"]),
    ]
