"""Applying a series cumulatively, patch by patch, and what comes out.

Owns apply_series / apply_patches and AppliedSeries: per-patch results,
snapshots (the tree after each slot), line origins by path, the failures
as ApplyFailure facts (linked to an earlier failure on the same file and
to a missing Based-on series) and to_dict for JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reviewtool.apply.files import Run
from reviewtool.apply.hunks import DiffBytes
from reviewtool.apply.origins import AppliedFile
from reviewtool.apply.results import ApplyFailure, ApplyOptions, PatchApply
from reviewtool.diff import FileDiff, parse_diff
from reviewtool.errors import DiffError
from reviewtool.location import DiffLocation, MailLocation
from reviewtool.series import Series
from reviewtool.tree import Tree


@dataclass(frozen=True, slots=True)
class Snapshot:
    slot: int
    changes: Mapping[str, bytes | None]  # cumulative changes up to this patch
    files: Mapping[str, AppliedFile | None]  # files this patch touched (None: deleted)


@dataclass(frozen=True, slots=True)
class AppliedSeries:
    """The series applied patch by patch to ``base``.

    ``tree_after(k)`` is the tree after slot ``k`` (0 = base); ``origin``
    tells which patch and diff line brought in a line of a post-image.
    """

    base: Tree
    patches: tuple[PatchApply, ...]
    snapshots: tuple[Snapshot, ...]
    parsed: Mapping[int, tuple[FileDiff, ...]]
    based_on_missing: tuple[str, ...] = ()
    _trees: dict[int, Tree] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.patches)

    @property
    def final(self) -> Tree:
        return self.tree_after(None)

    def patch(self, k: int) -> PatchApply | None:
        return next((p for p in self.patches if p.index == k), None)

    def diffs(self, k: int) -> tuple[FileDiff, ...]:
        """The parsed file diffs of slot ``k`` (() when it has none or did not parse)."""
        return self.parsed.get(k, ())

    def _snapshot_upto(self, k: int | None) -> Snapshot | None:
        found = None
        for snap in self.snapshots:
            if k is not None and snap.slot > k:
                break
            found = snap
        return found

    def tree_after(self, k: int | None = None) -> Tree:
        """The tree after slot ``k`` (None: after the last patch; 0: the base)."""
        snap = self._snapshot_upto(k) if k != 0 else None
        if snap is None:
            return self.base
        tree = self._trees.get(snap.slot)
        if tree is None:
            tree = self.base.overlay(snap.changes, f"{self.base.label}, after patch {snap.slot}")
            self._trees[snap.slot] = tree
        return tree

    def file_after(self, path: str, k: int | None = None) -> AppliedFile | None:
        """The post-image of ``path`` after slot ``k`` if a patch up to ``k``
        touched it (None when untouched or deleted)."""
        for snap in reversed(self.snapshots):
            if k is not None and snap.slot > k:
                continue
            if path in snap.files:
                return snap.files[path]
        return None

    def origin(self, path: str, line: int, after: int | None = None) -> DiffLocation | None:
        """Where line ``line`` (1-based) of ``path`` after slot ``after`` came
        from: the patch and diff line that added it, or None for a base line."""
        applied = self.file_after(path, after)
        return None if applied is None else applied.origin(line)

    @property
    def failures(self) -> tuple[ApplyFailure, ...]:
        out: list[ApplyFailure] = []
        for p in self.patches:
            if p.error is not None:
                at = DiffLocation(p.index, "", 1)
                out.append(ApplyFailure(p.index, "", 0, p.error, at))
            for f in p.files:
                # hunks with their own reason; else the file failed as a whole
                own = [h for h in f.hunks if not h.ok and h.reason != f.reason]
                for h in own:
                    out.append(
                        ApplyFailure(
                            p.index,
                            f.path,
                            h.index,
                            h.reason or "failed",
                            h.location,
                            h.may_follow_earlier,
                            h.note,
                        )
                    )
                if not own and not f.ok:
                    reason = f.reason or f.outcome.value
                    out.append(
                        ApplyFailure(
                            p.index, f.path, 0, reason, f.location, f.may_follow_earlier, f.note
                        )
                    )
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """The results as plain data for JSON (``patches[].files[].hunks[]``)."""
        return {
            "tree": self.base.label,
            "applied": self.ok,
            "based_on_missing": list(self.based_on_missing),
            "patches": [_patch_dict(p) for p in self.patches],
        }


def _loc_dict(loc: DiffLocation | None) -> dict[str, Any] | None:
    if loc is None:
        return None
    return {"patch": loc.patch, "path": loc.path, "diff_line": loc.diff_line, "line": loc.line}


def _patch_dict(p: PatchApply) -> dict[str, Any]:
    return {
        "index": p.index,
        "applied": p.ok,
        "error": p.error,
        "files": [
            {
                "index": f.index,
                "path": f.path,
                "old_path": f.old_path,
                "new_path": f.new_path,
                "status": f.status.value,
                "result": f.outcome.value,
                "reason": f.reason,
                "old_mode": f.old_mode,
                "new_mode": f.new_mode,
                "similarity": f.similarity,
                "diff_line": f.location.diff_line,
                "may_follow": _loc_dict(f.may_follow_earlier),
                "note": f.note,
                "hunks": [
                    {
                        "index": h.index,
                        "status": h.status.value,
                        "offset": h.offset,
                        "position": h.position,
                        "reason": h.reason,
                        "diff_line": h.location.diff_line,
                        "context": list(h.context) if h.context is not None else None,
                        "may_follow": _loc_dict(h.may_follow_earlier),
                        "note": h.note,
                    }
                    for h in f.hunks
                ],
            }
            for f in p.files
        ],
    }


def apply_series(base: Tree, series: Series, options: ApplyOptions | None = None) -> AppliedSeries:
    """Apply every patch of ``series`` that has a diff, in slot order.

    A ``Based-on:`` of the cover letter whose series is not in the input is
    mentioned in every failure's note.
    """
    mails = [*series.patches, *([series.cover] if series.cover is not None else [])]
    present = {(p.message_id or "").strip("<>") for p in mails}
    missing = tuple(b for b in series.based_on if b.strip().strip("<>") not in present)
    diffs = [(p.index, p.body.diff) for p in series.patches if p.body.diff.strip()]
    locations = {p.index: p.message.location for p in series.patches}
    return apply_patches(base, diffs, options, based_on_missing=missing, locations=locations)


def apply_patches(
    base: Tree,
    diffs: Sequence[tuple[int, str]],
    options: ApplyOptions | None = None,
    *,
    based_on_missing: Sequence[str] = (),
    locations: Mapping[int, MailLocation] | None = None,
) -> AppliedSeries:
    """Apply ``(slot, diff text)`` pairs cumulatively, in the order given."""
    run = Run(base, options or ApplyOptions(), tuple(based_on_missing))
    results: list[PatchApply] = []
    snapshots: list[Snapshot] = []
    parsed: dict[int, tuple[FileDiff, ...]] = {}
    for slot, text in diffs:
        location = (locations or {}).get(slot)
        try:
            files = parse_diff(text, slot)
        except DiffError as e:
            where = f" (diff line {e.line})" if e.line else ""
            results.append(PatchApply(slot, (), location, f"cannot parse the diff{where}: {e}"))
            snapshots.append(Snapshot(slot, dict(run.changes), {}))
            continue
        parsed[slot] = files
        results.append(PatchApply(slot, run.apply_patch(slot, files, DiffBytes(text)), location))
        snapshots.append(Snapshot(slot, dict(run.changes), run.take_touched()))
    return AppliedSeries(
        base=base,
        patches=tuple(results),
        snapshots=tuple(snapshots),
        parsed=parsed,
        based_on_missing=tuple(based_on_missing),
    )
