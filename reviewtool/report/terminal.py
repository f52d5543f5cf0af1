"""The text report (rich): what a maintainer reads in a terminal.

A summary panel (series, base tree, verdict), a table with one row per patch
slot (apply result and findings), then the findings grouped by patch, each
with the diff lines it concerns, and after a patch's findings what the checks
verified for it ("Verified", one line per member). Plain text when not writing to a terminal
or when NO_COLOR is set (the caller decides ``color``). Text from the mail
or the patch is always wrapped in ``Text`` objects, never parsed as markup.

Also the other things a terminal shows: the series outline of ``review
show`` (``render_outline``) and the progress bars on stderr of ``review
check`` (``ProgressBar``) and ``review scan`` (``scan_progress``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from reviewtool.apply import FileOutcome, HunkStatus
from reviewtool.findings import Finding, Severity, Verified
from reviewtool.location import MailLocation
from reviewtool.report.model import Quote, Report, verified_groups
from reviewtool.series import Patch, Series, compact_ranges

if TYPE_CHECKING:  # rich.progress is imported only when a bar is drawn
    from rich.progress import Progress, TaskID

SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
VERDICT_STYLE = {"errors": "bold red", "warnings": "yellow", "notes": "cyan", "clean": "bold green"}
LINE_STYLE = {"+": "green", "-": "red", " ": "dim"}


def render_text(report: Report, *, color: bool = False, width: int = 100) -> str:
    """The report as text; ANSI colours only when ``color`` is true."""
    out = io.StringIO()
    print_report(_console(out, width=width, styled=color, color=color), report)
    if color:
        return out.getvalue()
    # rich pads every line to the width; plain text (files, pipes, goldens) need not be
    return "".join(line.rstrip() + "\n" for line in out.getvalue().splitlines())


def _console(
    out: io.StringIO, *, width: int, styled: bool, color: bool, soft_wrap: bool = False
) -> Console:
    """A console writing into ``out``: ANSI styles only when ``styled``,
    colours only when ``color`` too; never markup, highlighting or emoji
    (mail text is data)."""
    return Console(
        file=out,
        width=width,
        color_system="standard" if styled else None,
        force_terminal=styled,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=soft_wrap,
    )


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
    """One section per slot with findings or passes: series-wide first, then
    by patch; each lists its findings, then what was verified."""
    slots: list[int | None] = []
    for patch in [f.patch for f in report.findings] + [v.patch for v in report.passes]:
        if patch not in slots:
            slots.append(patch)
    slots.sort(key=lambda s: -1 if s is None else s)
    for slot in slots:
        yield Text("")
        yield _section_title(report, slot)
        findings = report.findings_for_patch(slot)
        if findings:
            yield _findings_grid(report, findings)
        passes = report.passes_for_patch(slot)
        if passes:
            yield verified_section(passes)


def verified_section(passes: tuple[Verified, ...]) -> RenderableType:
    """``Verified`` then one line per member: the sites found fine (wrapped
    lines stay indented under the list)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3)  # indent
    grid.add_column(overflow="fold")
    for subject, labels in verified_groups(passes):
        line = Text(f"{subject}:", style="green")
        line.append(" " + ", ".join(labels), style="")
        grid.add_row("", line)
    return Group(Text("  Verified", style="bold green"), grid)


def _findings_grid(report: Report, findings: tuple[Finding, ...]) -> Table:
    """The findings of one slot: severity, code, then message, where and quote."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=1)  # indent
    grid.add_column(no_wrap=True)  # severity
    grid.add_column(no_wrap=True)  # code
    grid.add_column(overflow="fold")  # message, where, quoted diff
    for finding in findings:
        grid.add_row(
            "",
            Text(finding.severity.value, style=SEVERITY_STYLE[finding.severity]),
            Text(finding.code, style="bold"),
            finding_body(report, finding),
        )
    return grid


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
        # Tree line numbers (the diff's own, moved by the hunk's offset), so
        # they agree with the finding's "at path:line".
        number = line.target_line if line.kind != "-" else line.source_line
        if number is not None:
            number += quote.offset
        text.append(f"\n{marker}{number if number is not None else '':>5} ")
        text.append(f"{line.kind}{line.text}", style=LINE_STYLE.get(line.kind, ""))
    return text


# --- review show: the series outline -------------------------------------------


def render_outline(
    series: Series, *, styled: bool = False, color: bool = False, width: int = 100
) -> str:
    """The ``review show`` outline: version, slots (MISSING ones too),
    authors, trailers, base, facts. ANSI styles (bold, dim) only when
    ``styled``, colours among them only when ``color`` too."""
    out = io.StringIO()
    # soft wrap: one outline line is one output line, however long
    console = _console(out, width=width, styled=styled, color=color, soft_wrap=True)
    for line in outline_lines(series):
        # Mail headers may carry terminal control bytes (ESC sequences):
        # show each as U+FFFD; one for one, so the styled spans stay put.
        plain = "".join("\ufffd" if _is_control(ch) else ch for ch in line.plain)
        console.print(Text(plain, style=line.style, spans=list(line.spans)))
    return out.getvalue()


def _is_control(ch: str) -> bool:
    return ch != "\t" and (ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0)


def outline_lines(series: Series) -> list[Text]:
    """The outline as styled lines (mail text is data: never parsed as markup)."""
    plural = "es" if series.total != 1 else ""
    missing = f", {len(series.missing)} missing" if series.missing else ""
    lines = [
        Text.assemble(
            ("series ", "bold"),
            (f"v{series.version}", "bold cyan"),
            f" ({series.total} patch{plural}{missing}): ",
            (series.title, "bold"),
        )
    ]
    if len(series.versions) > 1:
        lines.append(Text("versions seen: " + ", ".join(f"v{v}" for v in series.versions)))
    present: dict[int, Patch | None] = {p.index: p for p in series.patches}
    if series.cover is not None:
        present[0] = series.cover
    numbers = sorted(set(range(1, series.total + 1)) | set(present))
    width = len(str(series.total))
    for k in numbers:
        patch = present.get(k)
        label = f"[{k:0{width}d}/{series.total}] "
        if patch is None:
            lines.append(Text.assemble(label, ("MISSING", "bold red")))
            continue
        again = f" (v{patch.version})" if patch.version != series.version else ""
        lines.append(Text.assemble((label, "bold"), patch.subject.text, (again, "yellow")))
        date = patch.message.date.isoformat(sep=" ") if patch.message.date else "no date"
        lines.append(Text(f"    {patch.author} · {date}", style="dim"))
        for t in patch.trailers:
            trailer = Text(f"    {t.name}: {t.value}")
            if t.from_reply:
                trailer.append(f"  [reply from {t.given_by}]", style="green")
            lines.append(trailer)
    for value in series.based_on:
        lines.append(Text(f"based-on: {value}"))
    if series.base_commit:
        lines.append(Text(f"base-commit: {series.base_commit}"))
    for value in series.prerequisite_patch_ids:
        lines.append(Text(f"prerequisite-patch-id: {value}"))
    # MISSING slots are in the outline already; the other facts follow it
    facts = [f for f in series.facts if f.kind.value != "missing"]
    if facts:
        lines.append(Text("facts:"))
    for fact in facts:
        where = f" ({fact.location.describe()})" if fact.location is not None else ""
        lines.append(Text.assemble(("  " + fact.kind.value, "yellow"), f": {fact.message}{where}"))
    return lines


# --- progress bars on stderr ----------------------------------------------------


class ProgressBar:
    """``review check``'s bar on stderr, shown only for long mail inputs; a
    ``pipeline.Progress`` callback: ``bar(stage, done, total)``."""

    # fewer messages than this read too quickly to be worth a bar
    THRESHOLD = 300

    def __init__(self) -> None:
        from rich.progress import Progress

        self._progress = Progress(console=Console(stderr=True), transient=True)
        self._tasks: dict[str, TaskID] = {}
        self._started = False

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if not self._started:
            if done < self.THRESHOLD and (total is None or total < self.THRESHOLD):
                return
            self._progress.start()
            self._started = True
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(stage, total=total)
        self._progress.update(self._tasks[stage], completed=done, total=total)

    def close(self) -> None:
        if self._started:
            self._progress.stop()


class ScanStep(Protocol):
    """What ``review scan`` reports (``scan.ScanProgress``; report may not import scan)."""

    @property
    def phase(self) -> str: ...  # "read" (bytes of the archives) or "review" (threads)
    @property
    def done(self) -> int: ...
    @property
    def total(self) -> int: ...


def scan_progress() -> tuple[Progress, Callable[[ScanStep], None]]:
    """``review scan``'s bar on stderr (drawn only on a terminal) and its callback.

    The bar is a context manager: while it is live, what goes to
    ``sys.stdout`` is printed above it.
    """
    from rich.progress import BarColumn, Progress

    console = Console(stderr=True)
    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        "{task.fields[detail]}",
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    tasks: dict[str, TaskID] = {}

    def update(step: ScanStep) -> None:
        if step.phase not in tasks:
            label = "reading archives" if step.phase == "read" else "reviewing series"
            tasks[step.phase] = bar.add_task(label, total=step.total or None, detail="")
        detail = (
            f"{step.done / 1e6:.0f}/{step.total / 1e6:.0f} MB"
            if step.phase == "read"
            else f"{step.done}/{step.total}"
        )
        bar.update(tasks[step.phase], completed=step.done, total=step.total or None, detail=detail)

    return bar, update
