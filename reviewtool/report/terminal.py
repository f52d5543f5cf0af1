"""The text report (rich): what a maintainer reads in a terminal.

A summary panel (series, base tree, verdict), a table with one row per patch
slot (apply result and findings), then the findings grouped by patch, each
with the diff lines it concerns. Plain text when not writing to a terminal
or when NO_COLOR is set (the caller decides ``color``). Text from the mail
or the patch is always wrapped in ``Text`` objects, never parsed as markup.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from reviewtool.apply import FileOutcome, HunkStatus
from reviewtool.findings import Finding, Severity
from reviewtool.location import MailLocation
from reviewtool.report.model import Quote, Report
from reviewtool.series import compact_ranges

SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
VERDICT_STYLE = {"errors": "bold red", "warnings": "yellow", "notes": "cyan", "clean": "bold green"}
LINE_STYLE = {"+": "green", "-": "red", " ": "dim"}


def render_text(report: Report, *, color: bool = False, width: int = 100) -> str:
    """The report as text; ANSI colours only when ``color`` is true."""
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,
    )
    print_report(console, report)
    if color:
        return out.getvalue()
    # rich pads every line to the width; plain text (files, pipes, goldens) need not be
    return "".join(line.rstrip() + "\n" for line in out.getvalue().splitlines())


def print_report(console: Console, report: Report) -> None:
    """Print the whole report to ``console`` (the CLI passes its own)."""
    console.print(summary_panel(report))
    if report.series is not None:
        console.print(patch_table(report))
    for renderable in findings_sections(report):
        console.print(renderable)


# --- summary ---------------------------------------------------------------


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def counts_text(report: Report) -> Text:
    """``3 errors, 1 warning, 0 notes`` with each part in its colour."""
    parts = []
    for sev, n in report.counts().items():
        word = {"error": "error", "warning": "warning", "info": "note"}[sev.value]
        parts.append(Text(_plural(n, word), style=SEVERITY_STYLE[sev] if n else ""))
    return Text(", ").join(parts)


def series_title(report: Report) -> str:
    """The series as a maintainer names it: cover letter subject, else first patch's."""
    series = report.series
    if series is None:
        return "(no series)"
    lead = series.cover or (series.patches[0] if series.patches else None)
    return lead.subject.text if lead is not None else "(no subject)"


def series_shape(report: Report) -> str:
    """``v10, 1 of 8 patches; missing 1-2, 4-8`` and the like."""
    series = report.series
    if series is None:
        return ""
    total = _plural(series.total, "patch", "patches")
    text = f"v{series.version}, {len(series.patches)} of {total}"
    if series.cover is not None:
        text += " + cover letter"
    if series.missing:
        text += f"; missing {compact_ranges(series.missing)}"
    return text


def summary_panel(report: Report) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("Series", Text(series_title(report)))
    if report.series is not None:
        grid.add_row("", Text(series_shape(report)))
    grid.add_row("Base tree", Text(report.tree_label))
    verdict = Text(report.verdict.upper(), style=VERDICT_STYLE[report.verdict])
    verdict.append(" (")
    verdict.append_text(counts_text(report))
    verdict.append(")")
    grid.add_row("Verdict", verdict)
    return Panel(grid, title="review check", title_align="left", box=box.ROUNDED, expand=False)


# --- per-patch table ---------------------------------------------------------


def slot_label(report: Report, slot: int | None) -> str:
    """``3/8``, ``0/8`` for the cover letter, ``series`` for the whole series."""
    if slot is None:
        return "series"
    return f"{slot}/{report.series.total}" if report.series is not None else str(slot)


def apply_text(report: Report, slot: int) -> Text:
    """What applying patch ``slot`` did: applied, offsets, failed hunks."""
    applied = report.applied
    if applied is None:
        return Text("-")
    result = applied.patch(slot)
    if result is None:
        return Text("no diff", style="dim")
    if result.error is not None:
        return Text("FAILED (diff does not parse)", style="bold red")
    hunks = [h for f in result.files for h in f.hunks]
    # files that failed as a whole (missing, refused), not through their hunks
    bad_files = [
        f
        for f in result.files
        if f.outcome in (FileOutcome.FAILED, FileOutcome.REFUSED) and all(h.ok for h in f.hunks)
    ]
    failed = sum(1 for h in hunks if not h.ok)
    if bad_files or failed:
        what = []
        if failed:
            what.append(f"{failed} of {_plural(len(hunks), 'hunk')}")
        if bad_files:
            what.append(_plural(len(bad_files), "file"))
        return Text(f"FAILED ({', '.join(what)})", style="bold red")
    moved = sum(1 for h in hunks if h.status is not HunkStatus.APPLIED)
    skipped = sum(1 for f in result.files if f.outcome is FileOutcome.NOT_APPLIED)
    notes = []
    if moved:
        notes.append(f"{moved} of {_plural(len(hunks), 'hunk')} moved")
    if skipped:
        notes.append(f"{_plural(skipped, 'binary file')} skipped")
    suffix = f" ({', '.join(notes)})" if notes else ""
    return Text(f"applied{suffix}", style="yellow" if notes else "green")


def findings_text(findings: tuple[Finding, ...]) -> Text:
    if not findings:
        return Text("ok", style="green")
    parts = []
    for sev in sorted(Severity, key=lambda s: -s.rank):
        n = sum(1 for f in findings if f.severity is sev)
        if n:
            word = {"error": "error", "warning": "warning", "info": "note"}[sev.value]
            parts.append(Text(_plural(n, word), style=SEVERITY_STYLE[sev]))
    return Text(", ").join(parts)


def patch_table(report: Report) -> Table:
    series = report.series
    assert series is not None
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("Patch", no_wrap=True)
    table.add_column("Subject", overflow="fold")
    table.add_column("Apply", no_wrap=True)
    table.add_column("Findings", no_wrap=True)
    present = {p.index: p for p in series.patches}
    if series.cover is not None:
        present[0] = series.cover
    slots = sorted(set(present) | set(series.missing))
    for slot in slots:
        patch = present.get(slot)
        if patch is None:
            table.add_row(
                slot_label(report, slot), Text("MISSING", style="bold red"), Text("-"), Text("-")
            )
            continue
        apply = Text("cover letter", style="dim") if slot == 0 else apply_text(report, slot)
        table.add_row(
            slot_label(report, slot),
            Text(patch.subject.text),
            apply,
            findings_text(report.findings_for_patch(slot)),
        )
    series_findings = report.findings_for_patch(None)
    if series_findings:
        table.add_row(
            "series",
            Text("(the series as a whole)", style="dim"),
            Text(""),
            findings_text(series_findings),
        )
    return table


# --- findings ----------------------------------------------------------------


def findings_sections(report: Report) -> Iterator[RenderableType]:
    """One section per slot with findings: series-wide first, then by patch."""
    slots: list[int | None] = []
    for f in report.findings:
        if f.patch not in slots:
            slots.append(f.patch)
    slots.sort(key=lambda s: -1 if s is None else s)
    for slot in slots:
        yield Text("")
        yield _section_title(report, slot)
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=1)  # indent
        grid.add_column(no_wrap=True)  # severity
        grid.add_column(no_wrap=True)  # code
        grid.add_column(overflow="fold")  # message, where, quoted diff
        for finding in report.findings_for_patch(slot):
            grid.add_row(
                "",
                Text(finding.severity.value, style=SEVERITY_STYLE[finding.severity]),
                Text(finding.code, style="bold"),
                finding_body(report, finding),
            )
        yield grid


def _section_title(report: Report, slot: int | None) -> Text:
    if slot is None:
        return Text("The series", style="bold underline")
    title = Text(f"Patch {slot_label(report, slot)}", style="bold underline")
    patch = report.series.patch(slot) if report.series is not None else None
    if patch is not None:
        title.append(": ")
        title.append(patch.subject.text)
    return title


def finding_body(report: Report, finding: Finding) -> RenderableType:
    """Message and check name, where, and the quoted diff lines."""
    head = Text(finding.message)
    head.append(f" [{finding.check}]", style="dim")
    parts: list[RenderableType] = [head]
    if finding.at is not None:
        parts.append(Text(f"at {finding.at.describe()}", style="dim"))
    for related in finding.related:
        parts.append(Text(f"see {related.describe()}", style="dim"))
    quote = report.quote(finding)
    if quote is not None:
        parts.append(quote_text(quote))
    elif isinstance(finding.at, MailLocation):
        line = report.mail_line(finding.at)
        if line is not None:
            parts.append(Text(f">{finding.at.line:>5} {line}", style="dim"))
    return Group(*parts)


def quote_text(quote: Quote) -> Text:
    """The quoted diff lines, ``>`` marking the one the finding is about."""
    text = Text()
    on_header = all(line.diff_line != quote.focus for line in quote.lines)
    header = f"{'>' if on_header else ' '}      @@ {quote.file.path}"
    if quote.section:
        header += f" {quote.section}"
    text.append(header, style="dim")
    for line in quote.lines:
        marker = ">" if line.diff_line == quote.focus else " "
        number = line.target_line if line.kind != "-" else line.source_line
        text.append(f"\n{marker}{number if number is not None else '':>5} ")
        text.append(f"{line.kind}{line.text}", style=LINE_STYLE.get(line.kind, ""))
    return text
