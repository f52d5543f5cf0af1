"""Matching and splicing one hunk, the way git's apply.c does.

Owns a hunk as byte lines (HunkPlan, plan_hunk, DiffBytes for a patch's
whole diff) and apply_hunk: exact match at the stated position, then at the
nearest offset outward (one line after before one line before), then with
context reduced (git ``-C N``) or whitespace runs treated as equal
(``--ignore-whitespace``), start/end anchoring, and a one-line reason when a
hunk matches nowhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reviewtool.apply.origins import Image, post_sources
from reviewtool.apply.results import ApplyOptions
from reviewtool.diff import Hunk

# git's fuzzy_matchlines: line ends ignored, any run of blanks equals any other
_WS_RUN = re.compile(rb"[ \t\r\n]+")


def ws_key(line: bytes) -> bytes:
    return _WS_RUN.sub(b" ", line.rstrip(b"\r\n"))


@dataclass(slots=True)
class HunkPlan:
    """A hunk as byte lines: what must be found and what replaces it."""

    pre: list[bytes]
    post: list[bytes]
    leading: int
    trailing: int


NL = b"\n"
CHANGE = (b"+", b"-")


def plan_hunk(hunk: Hunk) -> HunkPlan:
    """The hunk as byte lines, read from its raw body in a few C-level passes
    (no DiffLine objects: a 1 MB diff has tens of thousands of lines)."""
    joined = "\n".join(hunk.raw)
    body = joined.encode("utf-8", "surrogateescape").split(NL)
    if joined[:1] in ("\\", "\r") or "\n\\" in joined or "\n\r" in joined:
        return _plan_slow(body, [line[:1] for line in body], hunk)
    # context at both ends: only the lines up to the first and after the last
    # change are looked at (the middle of a hunk is never walked in Python)
    n = len(body)
    leading = 0
    for line in body:
        if line[:1] in CHANGE:
            break
        leading += 1
    else:  # no change at all: every line is context on both sides
        leading = trailing = n
    if leading < n:
        trailing = 0
        for line in reversed(body):
            if line[:1] in CHANGE:
                break
            trailing += 1
    # b"" is an empty context line (its blank lost in transit): content "\n"
    pre = [line[1:] + NL for line in body if line[:1] != b"+"]
    post = [line[1:] + NL for line in body if line[:1] != b"-"]
    return HunkPlan(pre, post, leading, trailing)


def _plan_slow(body: list[bytes], kinds: list[bytes], hunk: Hunk) -> HunkPlan:
    """The general case: ``\\ No newline`` markers, CRLF empty lines."""
    pre: list[bytes] = []
    post: list[bytes] = []
    last = b""
    for line, kind in zip(body, kinds, strict=True):
        if kind == b"\\":
            # the previous line has no newline at the end of the file
            if last in (b" ", b"-") and pre and pre[-1].endswith(NL):
                pre[-1] = pre[-1][:-1]
            if last in (b" ", b"+") and post and post[-1].endswith(NL):
                post[-1] = post[-1][:-1]
            continue
        if kind == b"+":
            post.append(line[1:] + NL)
        elif kind == b"-":
            pre.append(line[1:] + NL)
        else:
            content = (line[1:] if kind == b" " else line) + NL
            pre.append(content)
            post.append(content)
            kind = b" "
        last = kind
    return HunkPlan(pre, post, hunk.leading_context, hunk.trailing_context)


class DiffBytes:
    """A patch's diff text encoded once and split at "\\n": a hunk's body is
    then a slice (``Hunk.raw`` is lines ``diff_line`` .. ``diff_line +
    len(raw) - 1``, 0-based, of the text ``parse_diff`` split), instead of a
    join, an encode and a split per hunk."""

    __slots__ = ("lines", "special")

    def __init__(self, text: str):
        try:
            data = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a lone surrogate: plan_hunk reports it per hunk
            data = b""
        self.lines: list[bytes] | None = data.split(NL) if data else None
        # 1 for a line that starts with "\\" (a marker) or "\r": the hunks
        # holding one take the general path (_plan_slow)
        special = bytearray(len(self.lines) if self.lines is not None else 0)
        for mark in (b"\n\\", b"\n\r"):
            line_no = offset = 0
            at = data.find(mark)
            while at >= 0:
                line_no += data.count(NL, offset, at + 1)
                offset = at + 1
                special[line_no] = 1
                at = data.find(mark, offset)
        if data[:1] in (b"\\", b"\r"):
            special[0] = 1
        self.special = special


def apply_hunk(
    img: Image,
    patched: bytearray,
    hunk: Hunk,
    plan: HunkPlan,
    hunk_id: int,
    options: ApplyOptions,
) -> tuple[int, int, tuple[int, int] | None] | str:
    """Find and apply one hunk: (position, offset, reduced context) or the
    reason it failed."""
    p_context = options.context_reduce
    ws = options.ignore_whitespace
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
        post_src = post_sources(hunk)[lo : n_post - hi]
        new_lines = [
            img.lines[at + s] if s >= 0 else line for line, s in zip(post, post_src, strict=True)
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
    return all(ws_key(lines[p + i]) == ws_key(pre[i]) for i in range(m))


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
            if have is not None and ws_key(have) == ws_key(pre[i]):
                hint = " (differs only in whitespace)"
            return (
                f"context mismatch: closest match at line {best + 1} "
                f"({same} of {m} lines agree; hunk stated at line {stated}); "
                f"line {k + 1} differs: expected {_show(pre[i])}, found {_show(have)}{hint}"
            )
    return f"context mismatch near line {best + 1}"
