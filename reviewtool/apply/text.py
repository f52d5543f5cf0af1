"""``review apply``'s plain-text report of an AppliedSeries."""

from __future__ import annotations

from collections.abc import Mapping

from reviewtool.apply.results import FileOutcome, FileResult, HunkStatus
from reviewtool.apply.series import AppliedSeries
from reviewtool.diff import FileStatus
from reviewtool.location import DiffLocation


def render_apply_text(applied: AppliedSeries, titles: Mapping[int, str] | None = None) -> str:
    """``review apply``'s text report: per patch, per file, per hunk."""
    out = [f"tree: {applied.base.label}"]
    for missing in applied.based_on_missing:
        out.append(f"based-on: {missing} (not in the input)")
    failed_hunks = 0
    for p in applied.patches:
        title = (titles or {}).get(p.index, "")
        out.append(f"patch {p.index}" + (f": {title}" if title else ""))
        if p.error is not None:
            out.append(f"  failed: {p.error}")
            failed_hunks += 1
            continue
        if not p.files:
            out.append("  (no file changes)")
        for f in p.files:
            what = f.status.value
            if f.similarity is not None:
                what += f", similarity {f.similarity}%"
            if f.old_mode and f.new_mode and f.old_mode != f.new_mode:
                what += f", mode {f.old_mode} -> {f.new_mode}"
            line = f"  {_file_name(f)} ({what}): {f.outcome.value}"
            if f.reason:
                line += f": {f.reason}"
            out.append(line)
            whole_file = all(h.reason == f.reason for h in f.hunks)
            if f.outcome is not FileOutcome.PARTIAL and not f.ok and whole_file:
                failed_hunks += max(1, len(f.hunks))
                if f.may_follow_earlier is not None:
                    out.append(
                        f"      may follow from the failure at {_where(f.may_follow_earlier)}"
                    )
                if f.note:
                    out.append(f"      note: {f.note}")
                continue
            for h in f.hunks:
                head = f"    hunk {h.index} (diff line {h.location.diff_line}): "
                if h.status is HunkStatus.APPLIED:
                    out.append(head + f"applied at line {h.position}")
                elif h.status is HunkStatus.OFFSET:
                    out.append(head + f"offset {h.offset:+d} lines (applied at line {h.position})")
                elif h.status is HunkStatus.REDUCED:
                    lead, trail = h.context or (0, 0)
                    out.append(
                        head + f"reduced-context {lead}/{trail}, offset {h.offset:+d} lines "
                        f"(applied at line {h.position})"
                    )
                else:
                    failed_hunks += 1
                    out.append(head + f"failed: {h.reason}")
                    if h.may_follow_earlier is not None:
                        out.append(
                            f"      may follow from the failure at {_where(h.may_follow_earlier)}"
                        )
                    if h.note:
                        out.append(f"      note: {h.note}")
    clean = sum(1 for p in applied.patches if p.ok)
    summary = f"{clean} of {len(applied.patches)} patches applied cleanly"
    if failed_hunks:
        summary += f"; {failed_hunks} hunk{'s' if failed_hunks != 1 else ''} failed"
    out.append(summary)
    return "\n".join(out) + "\n"


def _file_name(f: FileResult) -> str:
    if f.status in (FileStatus.RENAMED, FileStatus.COPIED):
        return f"{f.old_path} => {f.new_path}"
    return f.path


def _where(loc: DiffLocation) -> str:
    return f"patch {loc.patch}, {loc.path} (diff line {loc.diff_line})"
