"""Report: everything a renderer needs about one review run, frozen.

The pipeline builds it once; the text, JSON, SARIF, markdown and email
renderers all read the same Report (and never compute findings themselves).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reviewtool.apply import AppliedSeries
from reviewtool.checks.registry import CheckSpec
from reviewtool.diff import DiffLine, FileDiff
from reviewtool.findings import Finding, Severity, Verified
from reviewtool.location import DiffLocation, MailLocation, TreeLocation
from reviewtool.series import Series

# Verdict words, worst severity first; "clean" when there is nothing at all.
VERDICTS = {Severity.ERROR: "errors", Severity.WARNING: "warnings", Severity.INFO: "notes"}


@dataclass(frozen=True, slots=True)
class Quote:
    """The diff lines a finding concerns: the focus line and a little context."""

    file: FileDiff
    section: str  # the hunk's function name after "@@", or ""
    lines: tuple[DiffLine, ...]  # in diff order, all from one hunk
    focus: int  # diff_line of the line the finding is about
    offset: int = 0  # where the hunk applied relative to its stated lines


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of one run.

    ``series`` and ``applied`` are None only when the run stopped before those
    stages (renderers must cope). ``findings`` are sorted by ``Finding.sort_key``;
    build with ``Report.create`` to get that for free. ``specs`` are the checks
    that ran (after --select / --ignore), in code order, for SARIF rules and
    catalogue references. ``passes`` are what the checks verified and found
    fine, sorted by ``Verified.sort_key`` (stable: a check's own order is kept
    within its code); they are never findings and never count in the verdict.
    """

    inputs: tuple[str, ...]
    tree_label: str
    series: Series | None
    applied: AppliedSeries | None
    findings: tuple[Finding, ...]
    specs: tuple[CheckSpec, ...] = ()
    passes: tuple[Verified, ...] = ()

    @classmethod
    def create(
        cls,
        *,
        inputs: Iterable[str],
        tree_label: str,
        series: Series | None,
        applied: AppliedSeries | None,
        findings: Iterable[Finding],
        specs: Iterable[CheckSpec] = (),
        passes: Iterable[Verified] = (),
    ) -> Report:
        """A Report with findings and passes sorted and specs in code order."""
        return cls(
            inputs=tuple(inputs),
            tree_label=tree_label,
            series=series,
            applied=applied,
            findings=tuple(sorted(findings, key=Finding.sort_key)),
            specs=tuple(sorted(specs, key=lambda s: s.code)),
            passes=tuple(sorted(passes, key=Verified.sort_key)),
        )

    @property
    def worst(self) -> Severity | None:
        """The worst severity among the findings, None when there are none."""
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)

    def counts(self) -> dict[Severity, int]:
        """Number of findings per severity, worst first, zeros included."""
        order = sorted(Severity, key=lambda s: -s.rank)
        return {sev: sum(1 for f in self.findings if f.severity is sev) for sev in order}

    @property
    def verdict(self) -> str:
        """One word for the summary: "errors", "warnings", "notes" or "clean"."""
        worst = self.worst
        return "clean" if worst is None else VERDICTS[worst]

    def findings_for_patch(self, k: int | None) -> tuple[Finding, ...]:
        """Findings of slot ``k`` (0 = cover letter; None = the series as a whole)."""
        return tuple(f for f in self.findings if f.patch == k)

    def passes_for_patch(self, k: int | None) -> tuple[Verified, ...]:
        """Passes of slot ``k`` (0 = cover letter; None = the series as a whole)."""
        return tuple(v for v in self.passes if v.patch == k)

    def at_or_above(self, threshold: Severity) -> tuple[Finding, ...]:
        """Findings whose severity is ``threshold`` or worse (for --fail-on)."""
        return tuple(f for f in self.findings if f.severity.rank >= threshold.rank)

    def spec(self, code: str) -> CheckSpec | None:
        """The spec of check ``code`` if it ran in this report."""
        return next((s for s in self.specs if s.code == code), None)

    def anchor(self, finding: Finding) -> DiffLocation | None:
        """The diff line a finding concerns, when it has one.

        Its ``introduced_by``, else a ``DiffLocation`` ``at``, else the origin
        of a ``TreeLocation`` line (read in the tree after the finding's patch,
        or the final tree for series findings) when a patch brought it in.
        """
        if finding.introduced_by is not None:
            return finding.introduced_by
        at = finding.at
        if isinstance(at, DiffLocation):
            return at
        if isinstance(at, TreeLocation) and at.line is not None and self.applied is not None:
            return self.applied.origin(at.path, at.line, after=finding.patch)
        return None

    def quote(self, finding: Finding, context: int = 2) -> Quote | None:
        """The anchor's line with up to ``context`` lines of its hunk either side."""
        anchor = self.anchor(finding)
        if anchor is None or self.applied is None:
            return None
        for file in self.applied.diffs(anchor.patch):
            if anchor.path not in (file.new_path, file.old_path):
                continue
            for hunk in file.hunks:
                offset = self._hunk_offset(anchor.patch, hunk.diff_line)
                if hunk.diff_line == anchor.diff_line:  # the "@@" line: the hunk's start
                    return Quote(
                        file,
                        hunk.section,
                        hunk.lines[: 2 * context + 1],
                        anchor.diff_line,
                        offset,
                    )
                index = next(
                    (i for i, ln in enumerate(hunk.lines) if ln.diff_line == anchor.diff_line),
                    None,
                )
                if index is not None:
                    lines = hunk.lines[max(0, index - context) : index + context + 1]
                    return Quote(file, hunk.section, lines, anchor.diff_line, offset)
        return None

    def _hunk_offset(self, patch: int, diff_line: int) -> int:
        """How far from its stated lines the hunk at ``diff_line`` applied (0 if
        it did not apply or is unknown), so quotes can show tree line numbers."""
        result = self.applied.patch(patch) if self.applied is not None else None
        for file in result.files if result is not None else ():
            for hunk in file.hunks:
                if hunk.location.diff_line == diff_line and hunk.ok:
                    return hunk.offset
        return 0

    def mail_line(self, at: MailLocation) -> str | None:
        """Line ``at.line`` of the decoded body of the series mail at ``at``."""
        if self.series is None or at.line is None:
            return None
        slots = (*((self.series.cover,) if self.series.cover else ()), *self.series.patches)
        for patch in slots:
            where = patch.message.location
            if (where.source, where.index) == (at.source, at.index):
                lines = patch.message.body.splitlines()
                return lines[at.line - 1] if 0 < at.line <= len(lines) else None
        return None


def verified_groups(passes: Iterable[Verified]) -> list[tuple[str, list[str]]]:
    """Passes as ``(subject, [label, ...])`` in order of first appearance.

    The subject is the pass's ``member`` field (a QAPI name) when it has one,
    else its check's name; a label is its ``label`` field, else its message.
    Repeated labels of one subject are shown once.
    """
    groups: dict[str, list[str]] = {}
    for v in passes:
        member = v.extra.get("member")
        label = v.extra.get("label")
        subject = member if isinstance(member, str) and member else v.check
        text = label if isinstance(label, str) and label else v.message
        labels = groups.setdefault(subject, [])
        if text not in labels:
            labels.append(text)
    return list(groups.items())
