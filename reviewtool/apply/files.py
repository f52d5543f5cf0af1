"""Applying one patch's file diffs to the current files of a run.

Owns Run, the state carried from patch to patch (current images, cumulative
changes, the last failure per path, the hunk table for origins), and what
one file diff means: a new file, a deletion (all or nothing), a rename or
copy, a mode change, a binary patch (not applied), an unsafe path (refused).
Its hunk loop matches the usual case (exact, within 8 lines) inline for
speed and hands everything else to hunks.apply_hunk.
"""

from __future__ import annotations

from collections.abc import Iterable

from reviewtool.apply.hunks import CHANGE, NL, DiffBytes, apply_hunk, plan_hunk
from reviewtool.apply.origins import AppliedFile, HunkRef, Image, Origins, split_lines
from reviewtool.apply.results import (
    ApplyOptions,
    FileOutcome,
    FileResult,
    HunkResult,
    HunkStatus,
)
from reviewtool.diff import FileDiff, FileStatus
from reviewtool.location import DiffLocation
from reviewtool.tree import Tree


class Run:
    """State carried from patch to patch: current files, failures, changes."""

    def __init__(self, base: Tree, options: ApplyOptions, based_on_missing: tuple[str, ...]):
        self.base = base
        self.options = options
        self.work: dict[str, Image | None] = {}  # touched paths; None = deleted
        self.changes: dict[str, bytes | None] = {}  # cumulative, for overlays
        self.touched: dict[str, AppliedFile | None] = {}  # this patch
        self.failed_at: dict[str, DiffLocation] = {}  # last failure per path
        self.table: list[HunkRef] = []  # every hunk applied, for line origins
        self.diff: DiffBytes | None = None  # the current patch's diff as byte lines
        self.note = (
            "the cover letter says Based-on: "
            + ", ".join(based_on_missing)
            + ", which is not in the input; the failure may come from that missing series"
            if based_on_missing
            else None
        )

    # -- file access --
    def _image(self, path: str) -> Image | None:
        if path in self.work:
            img = self.work[path]
            return None if img is None else img.copy()
        data = self.base.read_bytes(path)
        if data is None:
            return None
        lines = split_lines(data)
        return Image(lines, Origins(None, len(lines), self.table))

    def _exists(self, path: str) -> bool:
        if path in self.work:
            return self.work[path] is not None
        return self.base.exists(path)

    def _store(self, path: str, img: Image | None) -> None:
        self.work[path] = img
        if img is None:
            self.changes[path] = None
            self.touched[path] = None
        else:
            content = b"".join(img.lines)
            self.changes[path] = content
            self.touched[path] = AppliedFile(path, content, img.origins, self.table)

    def take_touched(self) -> dict[str, AppliedFile | None]:
        touched, self.touched = self.touched, {}
        return touched

    # -- a patch --
    def apply_patch(
        self, slot: int, files: Iterable[FileDiff], diff: DiffBytes | None = None
    ) -> tuple[FileResult, ...]:
        """Apply one patch's file diffs; ``diff``: its text as byte lines."""
        self.diff = diff
        return tuple(self._apply_file(slot, i, fd) for i, fd in enumerate(files, 1))

    def _file_result(
        self,
        fd: FileDiff,
        index: int,
        outcome: FileOutcome,
        reason: str | None,
        hunks: tuple[HunkResult, ...] = (),
        may_follow: DiffLocation | None = None,
    ) -> FileResult:
        failed = outcome is not FileOutcome.APPLIED
        return FileResult(
            index=index,
            status=fd.status,
            outcome=outcome,
            old_path=fd.old_path,
            new_path=fd.new_path,
            reason=reason,
            hunks=hunks,
            location=fd.location,
            old_mode=fd.old_mode,
            new_mode=fd.new_mode,
            similarity=fd.similarity,
            may_follow_earlier=may_follow,
            note=self.note if failed else None,
        )

    def _fail_file(self, fd: FileDiff, index: int, outcome: FileOutcome, reason: str) -> FileResult:
        """The whole file diff did not apply: every hunk fails with ``reason``."""
        may_follow = self._link_failure(fd)
        hunks = tuple(
            HunkResult(
                i,
                HunkStatus.FAILED,
                0,
                reason,
                fd.hunk_location(h),
                may_follow,
                note=self.note,
            )
            for i, h in enumerate(fd.hunks, 1)
        )
        return self._file_result(fd, index, outcome, reason, hunks, may_follow)

    def _apply_file(self, slot: int, index: int, fd: FileDiff) -> FileResult:
        # a modified file names one path twice: check it once (lstat calls)
        paths = (fd.old_path,) if fd.old_path == fd.new_path else (fd.old_path, fd.new_path)
        for p in paths:
            problem = self.base.path_problem(p) if p is not None else None
            if problem is not None:
                return self._fail_file(
                    fd, index, FileOutcome.REFUSED, f"unsafe path refused: {problem}"
                )
        if fd.binary:
            return self._fail_file(
                fd, index, FileOutcome.NOT_APPLIED, "binary patch: not applied (text diffs only)"
            )
        old, new = fd.old_path, fd.new_path
        if old is None:
            assert new is not None
            if self._exists(new):
                return self._fail_file(fd, index, FileOutcome.FAILED, f"{new}: already exists")
            img = Image([], Origins(None, 0, self.table))
        else:
            source = self._image(old)
            if source is None:
                return self._fail_file(fd, index, FileOutcome.FAILED, f"{old}: does not exist")
            img = source
            if new is not None and new != old and self._exists(new):
                return self._fail_file(fd, index, FileOutcome.FAILED, f"{new}: already exists")

        path = new if new is not None else old
        assert path is not None
        results = self._apply_hunks(slot, fd, img, path)
        any_failed = any(not h.ok for h in results)
        if new is None and img.lines and not any_failed:
            # git: "removal patch leaves file contents"
            reason = f"{old}: the deletion leaves content behind (the file has other lines)"
            return self._fail_file_keep_hunks(fd, index, reason, results)
        if new is None:
            if not any_failed:
                self._store(path, None)
        else:
            if fd.status is FileStatus.RENAMED and old is not None:
                self._store(old, None)
            self._store(new, img)
        outcome = FileOutcome.PARTIAL if any_failed else FileOutcome.APPLIED
        if results and all(not h.ok for h in results):
            outcome = FileOutcome.FAILED
        summary = (
            f"{sum(1 for h in results if not h.ok)} of {len(results)} hunks failed"
            if any_failed
            else None
        )
        if new is None and any_failed:
            # A deletion is all or nothing: the file stays, with the hunks
            # that applied (as git --reject leaves it).
            self._store(path, img)
            outcome = FileOutcome.FAILED
            summary = f"{old}: not deleted; {summary}"
        return self._file_result(fd, index, outcome, summary, results)

    def _fail_file_keep_hunks(
        self, fd: FileDiff, index: int, reason: str, hunks: tuple[HunkResult, ...]
    ) -> FileResult:
        return self._file_result(
            fd, index, FileOutcome.FAILED, reason, hunks, self._link_failure(fd)
        )

    def _link_failure(self, fd: FileDiff) -> DiffLocation | None:
        """Record that ``fd`` failed on its paths; return the earlier failure
        on one of them (the old path first) that this one may follow from."""
        paths = [p for p in (fd.old_path, fd.new_path) if p]
        may_follow = next((self.failed_at[p] for p in paths if p in self.failed_at), None)
        for p in paths:
            self.failed_at[p] = fd.location
        return may_follow

    def _apply_hunks(
        self, slot: int, fd: FileDiff, img: Image, path: str
    ) -> tuple[HunkResult, ...]:
        # Lines written by an earlier hunk of this file diff cannot be matched
        # again (git's LINE_PATCHED); kept in parallel with the lines.
        patched = bytearray(len(img.lines))
        results: list[HunkResult] = []
        # Hot loop (a 1 MB diff has thousands of hunks): names bound locally,
        # and the usual case (exact match at or within 8 lines of the stated
        # position) found and spliced inline; everything else (whitespace
        # fuzz, context reduction, start/end anchoring, failures) goes
        # through hunks.apply_hunk, which searches again from scratch.
        table = self.table
        lines = img.lines
        splices = img.origins.splices
        ws = self.options.ignore_whitespace
        patch_no, at_path = fd.patch, fd.path
        find_patched = patched.find
        applied, offset_status = HunkStatus.APPLIED, HunkStatus.OFFSET
        diff = self.diff
        blines = diff.lines if diff is not None and not ws else None
        special = diff.special if diff is not None else bytearray()
        nl = NL
        for i, hunk in enumerate(fd.hunks, 1):
            location = DiffLocation(patch_no, at_path, hunk.diff_line, hunk.target_start)
            hunk_id = len(table)
            table.append(HunkRef(slot, path, hunk))
            start = hunk.diff_line
            end = start + len(hunk.raw)
            body = blines[start:end] if blines is not None else []
            if (
                body
                and len(body) == end - start
                and special.find(1, start, end) < 0
                and hunk.source_start > 1
                and body[-1][:1] not in CHANGE  # trailing context (not at the end)
            ):
                # the usual case, what plan_hunk and apply_hunk do first, inline:
                # b"" is an empty context line (its blank lost in transit)
                pre = [line[1:] + nl for line in body if line[:1] != b"+"]
                m = len(pre)
            else:
                m = 0
            if m:
                n = len(lines)
                stated = hunk.target_start - 1 if hunk.target_start else 0
                # git searches from the end when the stated line is past it,
                # but reports the offset from the stated line
                pos = n if stated < 0 or stated > n else stated
                last = n - m
                first = pre[0]
                found = -1
                if (
                    pos <= last
                    and lines[pos : pos + m] == pre
                    and find_patched(1, pos, pos + m) < 0
                ):
                    found = pos
                else:
                    for d in range(1, 9):
                        p = pos + d
                        if (
                            p <= last
                            and lines[p] == first
                            and lines[p : p + m] == pre
                            and find_patched(1, p, p + m) < 0
                        ):
                            found = p
                            break
                        p = pos - d
                        if (
                            0 <= p <= last
                            and lines[p] == first
                            and lines[p : p + m] == pre
                            and find_patched(1, p, p + m) < 0
                        ):
                            found = p
                            break
                if found >= 0:
                    post = [line[1:] + nl for line in body if line[:1] != b"-"]
                    lines[found : found + m] = post
                    splices.append((found, m, found, hunk_id, 0, 0))
                    patched[found : found + m] = b"\x01" * len(post)
                    offset = found - stated
                    status = offset_status if offset else applied
                    results.append(
                        HunkResult(i, status, offset, None, location, None, found + 1, None)
                    )
                    continue
            result = apply_hunk(img, patched, hunk, plan_hunk(hunk), hunk_id, self.options)
            if isinstance(result, str):
                may_follow = self.failed_at.get(path)
                if fd.old_path and may_follow is None:
                    may_follow = self.failed_at.get(fd.old_path)
                results.append(
                    HunkResult(
                        i,
                        HunkStatus.FAILED,
                        0,
                        result,
                        location,
                        may_follow,
                        note=self.note,
                    )
                )
                self.failed_at[path] = location
                continue
            at, offset, reduced = result
            if reduced is not None:
                status = HunkStatus.REDUCED
            elif offset:
                status = HunkStatus.OFFSET
            else:
                status = HunkStatus.APPLIED
            results.append(HunkResult(i, status, offset, None, location, None, at + 1, reduced))
        return tuple(results)
