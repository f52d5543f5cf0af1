"""The rich text report: layout, quoting, plain vs colour, and no markup injection."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import SAMPLE_TREE, SEED_SAMPLE
from rich.console import Console

from reviewtool.pipeline import ReviewOptions, review
from reviewtool.report.model import Report
from reviewtool.report.terminal import compact_ranges, print_report, quote_text, render_text
from reviewtool.tree import DirectoryTree

FIXTURES = Path(__file__).resolve().parents[1] / "checks" / "fixtures"


def report_for(mail: Path, *select: str) -> Report:
    base = DirectoryTree(SAMPLE_TREE, label="sample")
    extra = mail.parent / "tree"  # a fixture's own files, overlaid as the catalogue test does
    if extra.is_dir():
        files = {p.relative_to(extra).as_posix(): p.read_bytes() for p in extra.rglob("*.c")}
        base = base.overlay(files)  # type: ignore[arg-type]
    return review([str(mail)], ReviewOptions(base=base, select=select))


def console_text(report: Report) -> str:
    out = io.StringIO()
    print_report(Console(file=out, width=100, color_system=None), report)
    return "".join(line.rstrip() + "\n" for line in out.getvalue().splitlines())


def test_summary_panel_names_series_tree_and_verdict() -> None:
    text = console_text(report_for(SEED_SAMPLE))
    assert "│ Series     qapi: add backend-transfer migration parameter" in text
    assert "│            v10, 1 of 8 patches; missing 1-2, 4-8" in text
    assert "│ Base tree  sample" in text
    assert "│ Verdict    ERRORS (" in text


def test_patch_table_has_a_row_per_slot() -> None:
    lines = console_text(report_for(SEED_SAMPLE)).splitlines()
    rows = [line.split()[0:2] for line in lines if line[:4].strip().endswith("/8")]
    assert rows == [
        ["1/8", "MISSING"],
        ["2/8", "MISSING"],
        ["3/8", "qapi:"],
        ["4/8", "MISSING"],
        ["5/8", "MISSING"],
        ["6/8", "MISSING"],
        ["7/8", "MISSING"],
        ["8/8", "MISSING"],
    ]
    row3 = next(line for line in lines if line.startswith("3/8"))
    assert "applied (10 of 10 hunks moved)" in row3


def test_findings_grouped_by_patch_with_their_location() -> None:
    text = console_text(report_for(SEED_SAMPLE, "M"))
    series_at = text.index("\nThe series\n")
    patch_at = text.index("\nPatch 3/8: qapi: add backend-transfer migration parameter\n")
    assert series_at < text.index("M001") < patch_at < text.index("M011")
    assert "at " + str(SEED_SAMPLE) + ": message 1, line 10" in text
    # a finding about a line of the mail quotes that line
    assert ">   10 Signed-off-by: Vladimir Sementsov-Ogievskiy\n" in text


def test_quotes_the_diff_lines_a_finding_concerns() -> None:
    report = report_for(FIXTURES / "P012" / "flagged-long-line.mbox", "P")
    text = render_text(report)
    block = text[text.index("P012") :]
    lines = block.splitlines()
    assert "line 12 of util/ringbuf.c is 85 columns (over 80) [line-too-long]" in lines[0]
    assert lines[1].strip() == "at patch 1: util/ringbuf.c:12 (diff line 18)"
    assert lines[2].strip() == "@@ util/ringbuf.c"
    quoted = [ln.strip() for ln in lines[3:8]]
    assert quoted[0] == "10 +size_t ringbuf_space(const RingBuf *rb)"
    assert quoted[1] == "11 +{"
    assert quoted[2].startswith(">   12 +    return rb->size - rb->used - rb->reserved_for_headers")
    assert "13 +}" in quoted[3:]  # after the folded rest of line 12


def test_apply_failure_quotes_the_hunk_start() -> None:
    text = render_text(report_for(FIXTURES / "P001" / "flagged-context-mismatch.mbox", "P"))
    assert "FAILED (1 of 1 hunk)" in text
    assert ">      @@ util/ringbuf.c" in text
    assert "-    return rb->capacity - rb->used;" in text


def test_plain_has_no_escape_codes_and_colour_has() -> None:
    report = report_for(SEED_SAMPLE)
    plain = render_text(report)
    assert "\x1b[" not in plain
    assert all(line == line.rstrip() for line in plain.splitlines())
    coloured = render_text(report, color=True)
    assert "\x1b[" in coloured
    assert "\x1b[1;31mERRORS" in coloured  # the verdict in bold red


def test_mail_text_is_never_markup(tmp_path: Path) -> None:
    """Brackets in subjects and patch text are printed, not interpreted."""
    original = (FIXTURES / "M014" / "flagged-no-subsystem.mbox").read_text()
    hostile = original.replace(
        "Subject: [PATCH] Add ringbuf_space()", "Subject: [PATCH] x [bold red]y[/bold red] :smile:"
    ).replace(
        '#include "qemu/osdep.h"', "[link=http://evil]#include[/link] [/]  "
    )  # trailing spaces: P010 quotes it
    mail = tmp_path / "hostile.mbox"
    mail.write_text(hostile)
    text = render_text(report_for(mail, "M", "P"))
    assert "x [bold red]y[/bold red] :smile:" in text
    assert "[link=http://evil]#include[/link] [/]" in text  # quoted under the P012 finding
    coloured = render_text(report_for(mail, "M", "P"), color=True)
    assert "x [bold red]y[/bold red] :smile:" in coloured
    assert "\x1b]8;" not in coloured  # no hyperlink escape was made from the patch text


def test_width_is_respected() -> None:
    text = render_text(report_for(SEED_SAMPLE), width=60)
    assert max(len(line) for line in text.splitlines()) <= 60


def test_compact_ranges() -> None:
    assert compact_ranges((1, 2, 4, 5, 6, 8)) == "1-2, 4-6, 8"
    assert compact_ranges(()) == ""


def test_a_report_without_series_still_renders() -> None:
    """Renderers cope with a Report whose run stopped early; related places are listed."""
    from reviewtool.findings import Finding, Severity
    from reviewtool.location import TreeLocation

    finding = Finding(
        "X101",
        "threading-required-site-missing",
        Severity.ERROR,
        "missing from migrate_params_apply()",
        at=TreeLocation("migration/options.c", 120, "migrate_params_apply"),
        related=(TreeLocation("qapi/migration.json", 40),),
    )
    report = Report.create(
        inputs=["x.mbox"], tree_label="t", series=None, applied=None, findings=[finding]
    )
    text = render_text(report)
    assert "│ Series     (no series)" in text
    assert "The series" in text
    assert "at migration/options.c:120 (migrate_params_apply)" in text
    assert "see qapi/migration.json:40" in text


def test_quoted_line_numbers_are_tree_lines_matching_the_finding() -> None:
    """The seed's hunks apply hundreds of lines from where they say (the sample
    tree is smaller than QEMU's), so quotes show the diff's numbers moved by the
    hunk's offset: the marked line carries the finding's own tree line."""
    report = report_for(SEED_SAMPLE, "Q106", "Q108")
    assert report.findings
    for finding in report.findings:
        quote = report.quote(finding)
        assert quote is not None and quote.offset != 0
        text = quote_text(quote).plain
        marked = [ln for ln in text.splitlines() if ln.startswith(">")]
        assert len(marked) == 1
        assert finding.at is not None
        assert marked[0].split()[1] == str(finding.at.line), (marked[0], finding.message)
