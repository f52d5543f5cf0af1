"""What applying records: the verdict types and options of the apply stage.

Owns HunkStatus, FileOutcome, ApplyOptions and the result records HunkResult,
FileResult, PatchApply and ApplyFailure (facts, never judged here: checks
assign codes). Pure values; imports diff and location only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reviewtool.diff import FileStatus
from reviewtool.location import DiffLocation, MailLocation


class HunkStatus(StrEnum):
    APPLIED = "applied"  # at the stated position
    OFFSET = "offset"  # elsewhere; ``offset`` says how many lines away
    REDUCED = "reduced-context"  # only with some context lines dropped
    FAILED = "failed"


class FileOutcome(StrEnum):
    APPLIED = "applied"  # every hunk (and the rename, mode, deletion) applied
    PARTIAL = "partial"  # some hunks failed; the others were applied
    FAILED = "failed"  # nothing applied (missing file, already exists, ...)
    REFUSED = "refused"  # unsafe path: never touched
    NOT_APPLIED = "not-applied"  # binary patch: not applied in memory


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    """How hard to try. The defaults are ``git apply``'s."""

    context_reduce: int | None = None  # git apply -C N: keep at least N context lines
    ignore_whitespace: bool = False  # git apply --ignore-whitespace


@dataclass(frozen=True, slots=True)
class HunkResult:
    """What happened to one hunk (``index`` is 1-based within its file diff)."""

    index: int
    status: HunkStatus
    offset: int  # lines from the stated position (git's "offset N lines")
    reason: str | None
    location: DiffLocation  # the hunk's "@@" line
    may_follow_earlier: DiffLocation | None = None  # an earlier failure on the same file
    position: int | None = None  # 1-based line where it applied, in the file as it was then
    context: tuple[int, int] | None = None  # (leading, trailing) context used, when reduced
    note: str | None = None  # e.g. the failure may come from a missing Based-on series

    @property
    def ok(self) -> bool:
        return self.status is not HunkStatus.FAILED


@dataclass(frozen=True, slots=True)
class FileResult:
    """What happened to one file diff of a patch."""

    index: int  # 1-based within the patch
    status: FileStatus  # what the diff does (modified, added, renamed, ...)
    outcome: FileOutcome
    old_path: str | None
    new_path: str | None
    reason: str | None
    hunks: tuple[HunkResult, ...]
    location: DiffLocation
    old_mode: str | None = None
    new_mode: str | None = None
    similarity: int | None = None
    may_follow_earlier: DiffLocation | None = None
    note: str | None = None

    @property
    def path(self) -> str:
        path = self.new_path if self.new_path is not None else self.old_path
        return path or ""

    @property
    def ok(self) -> bool:
        return self.outcome is FileOutcome.APPLIED


@dataclass(frozen=True, slots=True)
class PatchApply:
    """The results of one patch (slot ``index``) of the series."""

    index: int
    files: tuple[FileResult, ...]
    location: MailLocation | None = None
    error: str | None = None  # the diff could not be parsed (nothing applied)

    @property
    def ok(self) -> bool:
        return self.error is None and all(f.ok for f in self.files)


@dataclass(frozen=True, slots=True)
class ApplyFailure:
    """A fact: part of a patch did not apply (``hunk`` 0 = the whole file)."""

    patch: int
    path: str
    hunk: int
    reason: str
    at: DiffLocation
    may_follow_earlier: DiffLocation | None = None
    note: str | None = None
