"""Markdown rendering for merge-request comments (GitLab and GitHub).

Owns a short comment: a heading with the series, one verdict line with the
counts, then one collapsible ``<details>`` section per patch (series-level
findings first) listing its findings worst first, and, when the checks
verified anything, one collapsed "Verified" section (one line per patch and
member: the sites found fine). Everything taken from the
mail or the diff (subjects, messages, paths) is escaped, so a patch cannot
inject markup, links, HTML or @-mentions into the comment. Imports findings,
location, report.model.
"""

from __future__ import annotations

import html
import re

from reviewtool.findings import Finding, Severity
from reviewtool.location import DiffLocation, Location, TreeLocation
from reviewtool.report.model import Report, verified_groups

SEVERITY_ORDER = sorted(Severity, key=lambda s: -s.rank)
LABELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
PLURALS = {Severity.ERROR: "errors", Severity.WARNING: "warnings", Severity.INFO: "notes"}

# CommonMark lets a backslash escape any ASCII punctuation. These start markup
# in the middle of a line (emphasis, code, links, images, HTML, entities, table
# cells, strike-through, math) or a GitLab reference (#1, !1, ~label); the
# others (-, +, .) only matter at the start of a line, where we never put text.
# "<", ">" and "&" become HTML entities instead, which every renderer honours.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$!#])")
# "@user", "@group/team": GitHub and GitLab notify them; a word joiner after
# the "@" keeps the text readable but stops the mention.
_MENTION = re.compile(r"@(?=[A-Za-z0-9_])")
_SPACES = re.compile(r"\s+")


def escape(text: str) -> str:
    """``text`` as literal inline markdown: one line, no markup, no mentions."""
    text = html.escape(_SPACES.sub(" ", text).strip(), quote=False)
    return _MENTION.sub("@\u2060", _MD_SPECIAL.sub(r"\\\1", text))


def escape_html(text: str) -> str:
    """``text`` for an HTML context such as ``<summary>`` (one line, no mentions)."""
    text = _SPACES.sub(" ", text).strip()
    return _MENTION.sub("@\u2060", html.escape(text, quote=True))


def code_span(text: str) -> str:
    """``text`` as an inline code span whose fence outlasts any backticks in it."""
    text = _SPACES.sub(" ", text).strip()
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render_markdown(report: Report) -> str:
    """The merge-request comment for ``report`` (ends with a newline)."""
    lines = [f"### review: {escape(_title(report))}", "", _verdict_line(report)]
    groups = _groups(report)
    for slot, findings in groups:
        lines += ["", "<details>", f"<summary>{_summary(report, slot, findings)}</summary>", ""]
        lines += [_item(f) for f in sorted(findings, key=_worst_first)]
        lines += ["", "</details>"]
    lines += _verified(report)
    return "\n".join(lines) + "\n"


def _verified(report: Report) -> list[str]:
    """One ``<details>`` block: per patch and member, the sites found fine."""
    if not report.passes:
        return []
    slots = sorted({v.patch for v in report.passes}, key=lambda s: -1 if s is None else s)
    items = []
    for slot in slots:
        where = "series" if slot is None else _slot_label(report, slot)
        for subject, labels in verified_groups(report.passes_for_patch(slot)):
            shown = ", ".join(code_span(label) for label in labels)
            items.append(f"- {escape(where)} {escape(subject)}: {shown}")
    count = len(report.passes)
    summary = f"<b>Verified</b>: {count} site{'s' if count != 1 else ''} found fine"
    return ["", "<details>", f"<summary>{summary}</summary>", "", *items, "", "</details>"]


def _slot_label(report: Report, slot: int) -> str:
    series = report.series
    total = series.total if series is not None and series.total else None
    return "cover letter" if slot == 0 else f"{slot}/{total}" if total else f"patch {slot}"


def _title(report: Report) -> str:
    series = report.series
    if series is None or (not series.patches and series.cover is None):
        return ", ".join(report.inputs) or "(no series)"
    first = series.cover or series.patches[0]
    return first.subject.raw


def _verdict_line(report: Report) -> str:
    counts = report.counts()
    if not report.findings:
        parts = "no findings"
    else:
        parts = ", ".join(_count(n, sev) for sev, n in counts.items() if n)
    applied = ""
    series = report.series
    if series is not None:
        present = sum(1 for p in series.patches if p.index > 0)
        applied = f" · {present} patch{'es' if present != 1 else ''}"
        if series.missing:
            applied += f" ({len(series.missing)} missing)"
    return f"**Verdict: {report.verdict}** ({parts}){applied} · tree {code_span(report.tree_label)}"


def _count(n: int, severity: Severity) -> str:
    return f"{n} {LABELS[severity] if n == 1 else PLURALS[severity]}"


def _groups(report: Report) -> list[tuple[int | None, list[Finding]]]:
    """Findings by patch slot: the series as a whole first, then 0 (cover), 1, 2..."""
    by_slot: dict[int | None, list[Finding]] = {}
    for finding in report.findings:
        by_slot.setdefault(finding.patch, []).append(finding)
    return sorted(by_slot.items(), key=lambda item: -1 if item[0] is None else item[0])


def _summary(report: Report, slot: int | None, findings: list[Finding]) -> str:
    counts = ", ".join(
        _count(n, sev)
        for sev in SEVERITY_ORDER
        if (n := sum(1 for f in findings if f.severity is sev))
    )
    if slot is None:
        return f"<b>Series</b>: {counts}"
    series = report.series
    patch = series.patch(slot) if series is not None else None
    label = _slot_label(report, slot)
    subject = f" {escape_html(patch.subject.text)}" if patch is not None else ""
    return f"<b>{escape_html(label)}</b>{subject}: {counts}"


def _worst_first(finding: Finding) -> tuple[int, tuple[int, int, str, int, int, str]]:
    return (-finding.severity.rank, finding.sort_key())


def _item(finding: Finding) -> str:
    where = _where(finding.at) or _where(finding.introduced_by)
    suffix = f" at {code_span(where)}" if where else ""
    return (
        f"- **{LABELS[finding.severity]}** {code_span(finding.code)} "
        f"{escape(finding.check)}: {escape(finding.message)}{suffix}"
    )


def _where(at: Location | None) -> str | None:
    """``path:line`` (with the function) for tree and diff positions; mail has none."""
    if isinstance(at, TreeLocation | DiffLocation):
        line = f":{at.line}" if at.line is not None else ""
        func = f" ({at.function})" if isinstance(at, TreeLocation) and at.function else ""
        return f"{at.path}{line}{func}"
    return None
