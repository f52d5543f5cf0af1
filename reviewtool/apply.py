"""Apply a patch series to a tree, in memory, the way ``git apply`` does.

Owns AppliedSeries (per-patch results and snapshots), HunkResult /
FileResult / PatchApply, ApplyFailure facts and line origins. Imports tree,
diff, series, location. Never touches the filesystem and never writes to
the base tree.

Matching follows git's apply.c behaviour (``git apply --reject``), so that
verdicts and results agree with git hunk by hunk:

- each hunk is looked for at its stated post-image position first (the
  ``+c`` of ``@@ -a,b +c,d @@`` counted in the file as it is now), then at
  the nearest position outward, one line after before one line before;
- the pre-image (context and removed lines) must match exactly, line ends
  included; lines produced by an earlier hunk of the same patch cannot be
  matched again;
- a hunk stating line 0 or 1 of the old file must match at the start of the
  file, and a hunk without trailing context must match at its end;
- ``context_reduce`` (git ``-C N``) drops context lines, down to N, when the
  full hunk is not found; ``ignore_whitespace`` matches lines with runs of
  whitespace treated as equal (the tree's context lines are kept);
- a failed hunk is recorded and the run goes on with the next hunks and
  patches on the best-effort tree (as ``--reject`` does).

Everything works on bytes lines split at ``\\n`` only, so results are
byte-identical with git's; every line carries its origin (the patch and diff
line that brought it in, None for base lines), spliced exactly like the
lines, so origins never drift.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reviewtool.diff import FileDiff, FileStatus, Hunk, parse_diff
from reviewtool.errors import DiffError
from reviewtool.location import DiffLocation, MailLocation
from reviewtool.series import Series
from reviewtool.tree import Tree

__all__ = [
    "AppliedFile",
    "AppliedSeries",
    "ApplyFailure",
    "ApplyOptions",
    "FileOutcome",
    "FileResult",
    "HunkResult",
    "HunkStatus",
    "PatchApply",
    "apply_patches",
    "apply_series",
]


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


# Where an added line came from, kept compact while applying (a 1 MB diff
# adds tens of thousands of lines): an int, ``hunk_id * _SPAN + i`` with
# ``i`` the line's index in the hunk's raw body; the run's hunk table turns
# it into a DiffLocation when someone asks.
_SPAN = 1 << 24


@dataclass(slots=True)
class _HunkRef:  # internal, one per applied hunk: not frozen (faster to make)
    slot: int
    path: str  # post-image path of the file diff
    hunk: Hunk


def _location(origin: int | None, table: Sequence[_HunkRef]) -> DiffLocation | None:
    if origin is None:
        return None
    ref = table[origin // _SPAN]
    index = origin % _SPAN
    # the target line: the hunk's start plus the post-image lines before it
    target = ref.hunk.target_start
    for raw in ref.hunk.raw[:index]:
        if raw[:1] not in ("-", "\\"):
            target += 1
    return DiffLocation(ref.slot, ref.path, ref.hunk.diff_line + 1 + index, target)


@dataclass(frozen=True, slots=True)
class AppliedFile:
    """A touched file's post-image after one patch, with per-line origins."""

    path: str
    content: bytes
    # one origin per line, computed on first use (most runs never ask)
    lazy_origins: _Origins = field(repr=False, compare=False)
    table: Sequence[_HunkRef] = field(repr=False, compare=False, default=())

    @property
    def raw_origins(self) -> tuple[int | None, ...]:
        """One per line: ``hunk_id * _SPAN + i`` for a line a hunk brought
        in, None for a line from the base tree."""
        return self.lazy_origins.value()

    @property
    def origins(self) -> tuple[DiffLocation | None, ...]:
        """Per line (index 0 = line 1): the patch and diff line that brought
        it in, or None for a line of the base tree."""
        return tuple(_location(o, self.table) for o in self.raw_origins)

    def origin(self, line: int) -> DiffLocation | None:
        """The origin of 1-based ``line`` (None: base line or out of range)."""
        raw = self.raw_origins
        if not 1 <= line <= len(raw):
            return None
        return _location(raw[line - 1], self.table)


@dataclass(frozen=True, slots=True)
class _Snapshot:
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
    snapshots: tuple[_Snapshot, ...]
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

    def _snapshot_upto(self, k: int | None) -> _Snapshot | None:
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


# --- the series adapter ----------------------------------------------------


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
    run = _Run(base, options or ApplyOptions(), tuple(based_on_missing))
    results: list[PatchApply] = []
    snapshots: list[_Snapshot] = []
    parsed: dict[int, tuple[FileDiff, ...]] = {}
    for slot, text in diffs:
        location = (locations or {}).get(slot)
        try:
            files = parse_diff(text, slot)
        except DiffError as e:
            where = f" (diff line {e.line})" if e.line else ""
            results.append(PatchApply(slot, (), location, f"cannot parse the diff{where}: {e}"))
            snapshots.append(_Snapshot(slot, dict(run.changes), {}))
            continue
        parsed[slot] = files
        results.append(PatchApply(slot, run.apply_patch(slot, files, _DiffBytes(text)), location))
        snapshots.append(_Snapshot(slot, dict(run.changes), run.take_touched()))
    return AppliedSeries(
        base=base,
        patches=tuple(results),
        snapshots=tuple(snapshots),
        parsed=parsed,
        based_on_missing=tuple(based_on_missing),
    )


# --- the applier -----------------------------------------------------------


def split_lines(data: bytes) -> list[bytes]:
    """Lines with their ``\\n`` (the last may lack it); splits at ``\\n`` only,
    as git does (``bytes.splitlines`` would also split at a lone ``\\r``)."""
    if not data:
        return []
    if b"\r" not in data:
        # bytes.splitlines also splits at a lone "\r"; without one it is the same
        return data.splitlines(keepends=True)
    parts = data.split(b"\n")
    last = parts.pop()
    lines = [p + b"\n" for p in parts]
    if last:
        lines.append(last)
    return lines


# git's fuzzy_matchlines: line ends ignored, any run of blanks equals any other
_WS_RUN = re.compile(rb"[ \t\r\n]+")


def _ws_key(line: bytes) -> bytes:
    return _WS_RUN.sub(b" ", line.rstrip(b"\r\n"))


class _Origins:
    """The origins of an image's lines, one per line, computed on first use.

    Applying records each splice (where the hunk went, which part of it);
    ``value()`` replays them on the origins of the image it started from
    (``base``; None: a base-tree file of ``length`` lines, all None). Most
    runs never ask (a benchmark, ``review apply``), and a 1 MB diff touches
    files of tens of thousands of lines. The replay splices exactly like the
    lines were spliced, so origins never drift.
    """

    __slots__ = ("_base", "_length", "_value", "splices", "table")

    def __init__(self, base: _Origins | None, length: int, table: Sequence[_HunkRef]):
        self._base = base
        self._length = length
        self.table = table
        self._value: tuple[int | None, ...] | None = None
        # (found, m, at, hunk_id, lo, hi): the pre-image lines found .. found+m
        # were replaced by the hunk's post-image with ``lo`` leading and ``hi``
        # trailing lines dropped; pre-image line i was at line at + i
        self.splices: list[tuple[int, int, int, int, int, int]] = []

    def value(self) -> tuple[int | None, ...]:
        if self._value is not None:
            return self._value
        chain: list[_Origins] = []  # iterative: a long series must not recurse
        node: _Origins | None = self
        while node is not None and node._value is None:
            chain.append(node)
            node = node._base
        origins: list[int | None] = (
            list(node._value) if node is not None and node._value is not None else []
        )
        for step in reversed(chain):
            if step._base is None:
                origins = [None] * step._length
            table = step.table
            for found, m, at, hunk_id, lo, hi in step.splices:
                post_src = _post_src(table[hunk_id].hunk)
                post_src = post_src[lo : len(post_src) - hi]
                base_id = hunk_id * _SPAN
                origins[found : found + m] = [
                    origins[at + s] if s >= 0 else base_id + ~s for s in post_src
                ]
            step._value = tuple(origins)
        assert self._value is not None
        return self._value


class _Image:
    """The current content of one file: lines plus their (lazy) origins."""

    __slots__ = ("lines", "origins")

    def __init__(self, lines: list[bytes], origins: _Origins):
        self.lines = lines
        self.origins = origins

    def copy(self) -> _Image:
        return _Image(list(self.lines), _Origins(self.origins, 0, self.origins.table))


@dataclass(slots=True)
class _HunkPlan:
    """A hunk as byte lines: what must be found and what replaces it."""

    pre: list[bytes]
    post: list[bytes]
    leading: int
    trailing: int


def _post_src(hunk: Hunk) -> list[int]:
    """Per post-image line of ``hunk``: its index in the pre-image (a context
    line), or ``~i`` for an added line (``i`` its index in the raw body, for
    its origin). Only origins and whitespace fuzz need it: built on demand."""
    out: list[int] = []
    add = out.append
    p = 0
    for i, raw in enumerate(hunk.raw):
        kind = raw[:1]
        if kind == "+":
            add(~i)
        elif kind == "-":
            p += 1
        elif kind != "\\":
            add(p)
            p += 1
    return out


_NL = b"\n"
_CHANGE = (b"+", b"-")


def _plan(hunk: Hunk) -> _HunkPlan:
    """The hunk as byte lines, read from its raw body in a few C-level passes
    (no DiffLine objects: a 1 MB diff has tens of thousands of lines)."""
    joined = "\n".join(hunk.raw)
    body = joined.encode("utf-8", "surrogateescape").split(_NL)
    if joined[:1] in ("\\", "\r") or "\n\\" in joined or "\n\r" in joined:
        return _plan_slow(body, [line[:1] for line in body])
    # context at both ends: only the lines up to the first and after the last
    # change are looked at (the middle of a hunk is never walked in Python)
    n = len(body)
    leading = 0
    for line in body:
        if line[:1] in _CHANGE:
            break
        leading += 1
    else:  # no change at all: every line is context on both sides
        leading = trailing = n
    if leading < n:
        trailing = 0
        for line in reversed(body):
            if line[:1] in _CHANGE:
                break
            trailing += 1
    # b"" is an empty context line (its blank lost in transit): content "\n"
    pre = [line[1:] + _NL for line in body if line[:1] != b"+"]
    post = [line[1:] + _NL for line in body if line[:1] != b"-"]
    return _HunkPlan(pre, post, leading, trailing)


def _context(kinds: list[bytes]) -> tuple[int, int]:
    """(leading, trailing) context lines, counted as git counts them."""
    leading = 0
    for kind in kinds:
        if kind in (b"+", b"-"):
            break
        if kind != b"\\":
            leading += 1
    else:  # no change at all: every line is context on both sides
        return leading, leading
    trailing = 0
    for kind in reversed(kinds):
        if kind in (b"+", b"-"):
            break
        if kind != b"\\":
            trailing += 1
    return leading, trailing


def _plan_slow(body: list[bytes], kinds: list[bytes]) -> _HunkPlan:
    """The general case: ``\\ No newline`` markers, CRLF empty lines."""
    pre: list[bytes] = []
    post: list[bytes] = []
    last = b""
    for line, kind in zip(body, kinds, strict=True):
        if kind == b"\\":
            # the previous line has no newline at the end of the file
            if last in (b" ", b"-") and pre and pre[-1].endswith(_NL):
                pre[-1] = pre[-1][:-1]
            if last in (b" ", b"+") and post and post[-1].endswith(_NL):
                post[-1] = post[-1][:-1]
            continue
        if kind == b"+":
            post.append(line[1:] + _NL)
        elif kind == b"-":
            pre.append(line[1:] + _NL)
        else:
            content = (line[1:] if kind == b" " else line) + _NL
            pre.append(content)
            post.append(content)
            kind = b" "
        last = kind
    return _HunkPlan(pre, post, *_context(kinds))


class _DiffBytes:
    """A patch's diff text encoded once and split at "\\n": a hunk's body is
    then a slice (``Hunk.raw`` is lines ``diff_line`` .. ``diff_line +
    len(raw) - 1``, 0-based, of the text ``parse_diff`` split), instead of a
    join, an encode and a split per hunk."""

    __slots__ = ("lines", "special")

    def __init__(self, text: str):
        try:
            data = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a lone surrogate: _plan reports it per hunk
            data = b""
        self.lines: list[bytes] | None = data.split(_NL) if data else None
        # 1 for a line that starts with "\\" (a marker) or "\r": the hunks
        # holding one take the general path (_plan_slow)
        special = bytearray(len(self.lines) if self.lines is not None else 0)
        for mark in (b"\n\\", b"\n\r"):
            line_no = offset = 0
            at = data.find(mark)
            while at >= 0:
                line_no += data.count(_NL, offset, at + 1)
                offset = at + 1
                special[line_no] = 1
                at = data.find(mark, offset)
        if data[:1] in (b"\\", b"\r"):
            special[0] = 1
        self.special = special


class _Run:
    """State carried from patch to patch: current files, failures, changes."""

    def __init__(self, base: Tree, options: ApplyOptions, based_on_missing: tuple[str, ...]):
        self.base = base
        self.options = options
        self.work: dict[str, _Image | None] = {}  # touched paths; None = deleted
        self.changes: dict[str, bytes | None] = {}  # cumulative, for overlays
        self.touched: dict[str, AppliedFile | None] = {}  # this patch
        self.failed_at: dict[str, DiffLocation] = {}  # last failure per path
        self.table: list[_HunkRef] = []  # every hunk applied, for line origins
        self.diff: _DiffBytes | None = None  # the current patch's diff as byte lines
        self.note = (
            "the cover letter says Based-on: "
            + ", ".join(based_on_missing)
            + ", which is not in the input; the failure may come from that missing series"
            if based_on_missing
            else None
        )

    # -- file access --
    def _image(self, path: str) -> _Image | None:
        if path in self.work:
            img = self.work[path]
            return None if img is None else img.copy()
        data = self.base.read_bytes(path)
        if data is None:
            return None
        lines = split_lines(data)
        return _Image(lines, _Origins(None, len(lines), self.table))

    def _exists(self, path: str) -> bool:
        if path in self.work:
            return self.work[path] is not None
        return self.base.exists(path)

    def _store(self, path: str, img: _Image | None) -> None:
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
        self, slot: int, files: Iterable[FileDiff], diff: _DiffBytes | None = None
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
        paths = [p for p in (fd.old_path, fd.new_path) if p]
        may_follow = next((self.failed_at[p] for p in paths if p in self.failed_at), None)
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
        for p in paths:
            self.failed_at[p] = fd.location
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
            img = _Image([], _Origins(None, 0, self.table))
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
        paths = [p for p in (fd.old_path, fd.new_path) if p]
        may_follow = next((self.failed_at[p] for p in paths if p in self.failed_at), None)
        for p in paths:
            self.failed_at[p] = fd.location
        return self._file_result(fd, index, FileOutcome.FAILED, reason, hunks, may_follow)

    def _apply_hunks(
        self, slot: int, fd: FileDiff, img: _Image, path: str
    ) -> tuple[HunkResult, ...]:
        # Lines written by an earlier hunk of this file diff cannot be matched
        # again (git's LINE_PATCHED); kept in parallel with the lines.
        patched = bytearray(len(img.lines))
        results: list[HunkResult] = []
        # Hot loop (a 1 MB diff has thousands of hunks): names bound locally,
        # and the usual case (exact match at or within 8 lines of the stated
        # position) found and spliced inline; everything else (whitespace
        # fuzz, context reduction, start/end anchoring, failures) goes
        # through _apply_hunk, which searches again from scratch.
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
        nl = _NL
        for i, hunk in enumerate(fd.hunks, 1):
            location = DiffLocation(patch_no, at_path, hunk.diff_line, hunk.target_start)
            hunk_id = len(table)
            table.append(_HunkRef(slot, path, hunk))
            start = hunk.diff_line
            end = start + len(hunk.raw)
            body = blines[start:end] if blines is not None else []
            if (
                body
                and len(body) == end - start
                and special.find(1, start, end) < 0
                and hunk.source_start > 1
                and body[-1][:1] not in _CHANGE  # trailing context (not at the end)
            ):
                # the usual case, what _plan and _find_pos do first, inline:
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
            result = self._apply_hunk(img, patched, hunk, _plan(hunk), hunk_id)
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

    def _apply_hunk(
        self, img: _Image, patched: bytearray, hunk: Hunk, plan: _HunkPlan, hunk_id: int
    ) -> tuple[int, int, tuple[int, int] | None] | str:
        """Find and apply one hunk: (position, offset, reduced context) or the
        reason it failed."""
        p_context = self.options.context_reduce
        ws = self.options.ignore_whitespace
        pos = hunk.target_start - 1 if hunk.target_start else 0
        # A hunk at old line 0 or 1 must match at the start of the file, a
        # hunk without trailing context at its end (git's match_beginning /
        # match_end; patches made with -U0 are not supported, as in git
        # without --unidiff-zero).
        match_beginning = hunk.source_start <= 1
        match_end = plan.trailing == 0
        leading, trailing = plan.leading, plan.trailing
        lo = hi = 0
        pre_full = plan.pre
        while True:
            pre = pre_full[lo : len(pre_full) - hi]
            found = _find_pos(img.lines, patched, pre, pos, match_beginning, match_end, ws)
            if found >= 0:
                break
            if p_context is None or (leading <= p_context and trailing <= p_context):
                return _explain_failure(
                    img.lines, patched, plan.pre, hunk, match_beginning, match_end, ws
                )
            if match_beginning or match_end:
                match_beginning = match_end = False
                continue
            # Drop context: both ends when they are equal, else the longer one.
            if leading >= trailing:
                lo += 1
                pos -= 1
                leading -= 1
            if trailing > leading:
                hi += 1
                trailing -= 1

        # With ignore_whitespace, git keeps the tree's context lines only when
        # the match needed the whitespace fuzz (an exact match is used as is).
        fuzzy = ws and not _matches(img.lines, patched, pre, found, False, match_end)
        n_post = len(plan.post)
        m = len(pre)
        at = found - lo  # pre-image index i sits at line at + i
        if fuzzy:
            # context lines as they are in the tree, added lines from the patch
            post = plan.post[lo : n_post - hi]
            post_src = _post_src(hunk)[lo : n_post - hi]
            new_lines = [
                img.lines[at + s] if s >= 0 else line
                for line, s in zip(post, post_src, strict=True)
            ]
        else:
            new_lines = plan.post[lo : n_post - hi]
        img.lines[found : found + m] = new_lines
        img.origins.splices.append((found, m, at, hunk_id, lo, hi))
        patched[found : found + m] = b"\x01" * len(new_lines)
        reduced = (leading, trailing) if (lo or hi) else None
        # git reports the offset from the stated position, which context
        # reduction moves up by one line per dropped leading line
        return found, found - pos, reduced


def _matches(
    lines: list[bytes], patched: bytearray, pre: list[bytes], p: int, ws: bool, at_end: bool
) -> bool:
    """Does ``pre`` match the lines at ``p``? (``at_end``: and end the file there.)"""
    m = len(pre)
    if m and patched.find(1, p, p + m) >= 0:
        return False
    if lines[p : p + m] == pre:
        return True
    if m and not at_end and not pre[-1].endswith(b"\n") and lines[p : p + m - 1] == pre[:-1]:
        # git compares the pre-image as one byte buffer: a last line without
        # its newline ("\ No newline at end of file") also matches a tree
        # line that continues with blanks only, and that whole line is replaced.
        have, want = lines[p + m - 1], pre[-1]
        if have.startswith(want) and not have[len(want) :].strip(b" \t\r\n"):
            return True
    if not ws:
        return False
    return all(_ws_key(lines[p + i]) == _ws_key(pre[i]) for i in range(m))


def _find_pos(
    lines: list[bytes],
    patched: bytearray,
    pre: list[bytes],
    line: int,
    match_beginning: bool,
    match_end: bool,
    ws: bool,
) -> int:
    """The position (0-based) where ``pre`` matches, nearest to ``line``,
    trying ``line``, ``line+1``, ``line-1``, ``line+2``, ... as git does;
    -1 when it matches nowhere."""
    n, m = len(lines), len(pre)
    if match_beginning:
        line = 0
    elif match_end:
        line = n - m
    if line < 0 or line > n:  # git clamps (its unsigned compare sends negatives to the end)
        line = n
    last = n - m  # the last position where the pre-image fits
    if match_beginning or match_end:
        # only one position can satisfy the constraint
        if line > last or (match_beginning and line != 0) or (match_end and line != last):
            return -1
        return line if _matches(lines, patched, pre, line, ws, match_end) else -1
    if line <= last and _matches(lines, patched, pre, line, ws, False):
        return line
    if last < 0:
        return -1
    if m == 0:
        return line if line <= last else -1
    if (m == 1 and not pre[0].endswith(b"\n")) or ws:
        # a lone line without newline can match by prefix, and whitespace
        # fuzz needs a key per line: try every position, nearest first
        for p in _outward(line, last):
            if _matches(lines, patched, pre, p, ws, False):
                return p
        return -1
    # Exact: only where the first pre-image line occurs. Most offsets are a
    # few lines: look there first, nearest first, after before before.
    first = pre[0]
    for d in range(1, 9):
        p = line + d
        if p <= last and lines[p] == first and _matches(lines, patched, pre, p, False, False):
            return p
        p = line - d
        if 0 <= p <= last and lines[p] == first and _matches(lines, patched, pre, p, False, False):
            return p
    # Then in bands of growing distance; list.index scans in C.
    near, far = 9, 64
    while True:
        found: list[int] = []
        # after: line+near .. line+far; before: line-far .. line-near
        for start, stop in (
            (line + near, min(line + far, last) + 1),
            (max(line - far, 0), min(line - near, last) + 1),
        ):
            p = _find_next(lines, first, start, stop)
            while p >= 0:
                found.append(p)
                p = _find_next(lines, first, p + 1, stop)
        # nearest first; at equal distance the later line (git tries it first)
        found.sort(key=lambda p: (abs(p - line), p < line))
        for p in found:
            if _matches(lines, patched, pre, p, False, False):
                return p
        if line + far >= last and line - far <= 0:
            return -1
        near, far = far + 1, far * 8


def _outward(line: int, last: int) -> Iterator[int]:
    """Positions in [0, last] other than ``line``: line+1, line-1, line+2, ..."""
    for d in range(1, max(line, last - line) + 1):
        if line + d <= last:
            yield line + d
        if 0 <= line - d <= last:
            yield line - d


def _find_next(lines: list[bytes], value: bytes, lo: int, hi: int) -> int:
    """The first index in [lo, hi) holding ``value``, or -1."""
    if lo >= hi:
        return -1
    try:
        return lines.index(value, lo, hi)
    except ValueError:
        return -1


def _show(line: bytes | None) -> str:
    if line is None:
        return "end of file"
    text = line.decode("utf-8", "replace").rstrip("\n")
    if len(text) > 80:
        text = text[:77] + "..."
    return repr(text)


def _explain_failure(
    lines: list[bytes],
    patched: bytearray,
    pre: list[bytes],
    hunk: Hunk,
    match_beginning: bool,
    match_end: bool,
    ws: bool,
) -> str:
    """A one-line reason: the closest candidate position and the first line
    that differs there (or the rule that ruled out an exact match)."""
    n, m = len(lines), len(pre)
    stated = hunk.target_start
    if m == 0:
        return f"context mismatch: the hunk has no context and must apply at the end (line {n + 1})"
    # Vote for alignments: each pre-image line found at j suggests start j - i.
    where: dict[bytes, list[int]] = {}
    wanted = set(pre)
    for j, text in enumerate(lines):
        if text in wanted:
            where.setdefault(text, []).append(j)
    votes: dict[int, int] = {}
    for i, text in enumerate(pre):
        hits = where.get(text, ())
        if len(hits) > 500:  # a blank line or "}" says nothing about where
            continue
        for j in hits:
            votes[j - i] = votes.get(j - i, 0) + 1
    if not votes:
        return (
            f"context mismatch: none of the hunk's {m} context/removed lines "
            f"is in the file (hunk stated at line {stated})"
        )
    best = max(votes, key=lambda p: (votes[p], -abs(p - (stated - 1))))
    same = sum(1 for i in range(m) if 0 <= best + i < n and lines[best + i] == pre[i])
    absent = next((text for text in pre if text not in where), None)
    if same * 2 < m and absent is not None:
        # No place comes close: name a line of the hunk the file lacks.
        return (
            f"context mismatch: the hunk's lines are not in the file (hunk stated at line "
            f"{stated}; at most {same} of {m} lines agree, near line {best + 1}); "
            f"{_show(absent)} is nowhere in the file"
        )
    if same == m and best >= 0 and best + m <= n:
        if patched.find(1, best, best + m) >= 0:
            return (
                f"context mismatch: the lines match only at line {best + 1}, "
                "which overlaps an earlier hunk of this patch"
            )
        if match_beginning and best != 0:
            return (
                f"context mismatch: the lines match at line {best + 1}, but a hunk "
                "stated at line 1 must apply at the start of the file"
            )
        if match_end and best + m != n:
            return (
                f"context mismatch: the lines match at line {best + 1}, but a hunk "
                "without trailing context must apply at the end of the file"
            )
    for i in range(m):
        k = best + i
        have = lines[k] if 0 <= k < n else None
        if have != pre[i]:
            hint = ""
            if have is not None and _ws_key(have) == _ws_key(pre[i]):
                hint = " (differs only in whitespace)"
            return (
                f"context mismatch: closest match at line {best + 1} "
                f"({same} of {m} lines agree; hunk stated at line {stated}); "
                f"line {k + 1} differs: expected {_show(pre[i])}, found {_show(have)}{hint}"
            )
    return f"context mismatch near line {best + 1}"


# --- plain text ------------------------------------------------------------


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
