"""The markdown renderer: a short merge-request comment, grouped by patch in
collapsible sections, with everything from the mail escaped."""

from __future__ import annotations

import dataclasses
import re

from conftest import SAMPLE_TREE, SEED_SAMPLE

from reviewtool.findings import Finding, Severity
from reviewtool.location import DiffLocation, MailLocation, TreeLocation
from reviewtool.mail.mbox import read_messages
from reviewtool.report.markdown import code_span, escape, escape_html, render_markdown
from reviewtool.report.model import Report
from reviewtool.series import build_series
from reviewtool.tree import DirectoryTree

SOURCE = "samples/backend-transfer-v10-3-8.mbox"


def seed_report(findings: list[Finding]) -> Report:
    series = build_series(read_messages([str(SEED_SAMPLE)]))
    return Report.create(
        inputs=[SOURCE],
        tree_label=DirectoryTree(SAMPLE_TREE, label="samples/qemu").label,
        series=series,
        applied=None,
        findings=findings,
    )


FINDINGS = [
    Finding(
        "M001",
        "missing-patch",
        Severity.ERROR,
        "patches 1, 2, 4-8 of 8 are missing",
        at=MailLocation(SOURCE, 1),
    ),
    Finding(
        "X101",
        "migration-param-site-missing",
        Severity.ERROR,
        "backend-transfer is not set in hmp_migrate_set_parameter()",
        at=TreeLocation("migration/migration-hmp-cmds.c", 500, "hmp_migrate_set_parameter"),
        patch=3,
    ),
    Finding(
        "Q201",
        "doc-spelling",
        Severity.WARNING,
        "misspelt word 'migraton'",
        at=DiffLocation(3, "qapi/migration.json", 96, 1010),
        patch=3,
    ),
    Finding("P101", "line-too-long", Severity.INFO, "a note", patch=3),
]


def test_seed_comment_is_grouped_and_collapsible() -> None:
    text = render_markdown(seed_report(FINDINGS))
    lines = text.splitlines()
    assert lines[0] == (
        r"### review: \[PATCH v10 3/8\] qapi: add backend-transfer migration parameter"
    )
    assert lines[2] == (
        "**Verdict: errors** (2 errors, 1 warning, 1 note) · 1 patch (7 missing) · "
        "tree `samples/qemu`"
    )
    assert text.count("<details>") == text.count("</details>") == 2
    summaries = re.findall(r"<summary>(.*)</summary>", text)
    assert summaries == [
        "<b>Series</b>: 1 error",
        "<b>3/8</b> qapi: add backend-transfer migration parameter: 1 error, 1 warning, 1 note",
    ]
    patch3 = text.split("<summary><b>3/8</b>")[1]
    items = [line for line in patch3.splitlines() if line.startswith("- ")]
    # worst first inside a group
    assert [i.split()[1] for i in items] == ["**error**", "**warning**", "**note**"]
    assert items[0].endswith("at `migration/migration-hmp-cmds.c:500 (hmp_migrate_set_parameter)`")
    assert "at `qapi/migration.json:1010`" in items[1]
    assert len(lines) < 25  # short


def test_clean_report_is_one_line_verdict() -> None:
    text = render_markdown(seed_report([]))
    assert "**Verdict: clean** (no findings)" in text and "<details>" not in text


def test_mail_text_cannot_inject_markup() -> None:
    report = seed_report(FINDINGS)
    assert report.series is not None
    patch = report.series.patches[0]
    hostile = "x *bold* <script>alert(1)</script> [link](http://e.x) @maintainer ![i](y) `c`"
    subject = dataclasses.replace(patch.subject, raw=hostile, text=hostile)
    series = dataclasses.replace(
        report.series, patches=(dataclasses.replace(patch, subject=subject),)
    )
    evil = Finding("M002", "n", Severity.ERROR, "|a|b|\n## heading <img src=x> @user", patch=3)
    text = render_markdown(dataclasses.replace(report, series=series, findings=(evil,)))
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;" in text  # the summary is HTML: entities
    assert r"\*bold\*" in text and r"\[link\]" in text and r"\!\[i\]" in text
    assert "\n## heading" not in text and r"\|a\|b\|" in text
    assert "@maintainer" not in text and "@user" not in text  # no notifications
    assert "@\u2060maintainer" in text


def test_escape_helpers() -> None:
    assert escape("a_b*c") == r"a\_b\*c"
    assert escape("two\nlines") == "two lines"
    assert escape_html('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"
    assert code_span("a`b") == "``a`b``"
    assert code_span("`x`") == "`` `x` ``"
