"""A file's image while applying, and where each of its lines came from.

Owns split_lines (bytes split at ``\\n`` only, as git does), Image (the
current lines of one file), Origins (per-line origins, recorded as splices
and replayed on first use, pointing into the run's table of HunkRefs;
post_sources maps a hunk's post-image back to its pre-image) and AppliedFile
(a touched file's post-image after one patch). The replay splices exactly
like the lines were spliced, so origins never drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reviewtool.diff import Hunk
from reviewtool.location import DiffLocation


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


# Where an added line came from, kept compact while applying (a 1 MB diff
# adds tens of thousands of lines): an int, ``hunk_id * SPAN + i`` with
# ``i`` the line's index in the hunk's raw body; the run's hunk table turns
# it into a DiffLocation when someone asks.
SPAN = 1 << 24


@dataclass(slots=True)
class HunkRef:  # internal, one per applied hunk: not frozen (faster to make)
    slot: int
    path: str  # post-image path of the file diff
    hunk: Hunk


def origin_location(origin: int | None, table: Sequence[HunkRef]) -> DiffLocation | None:
    if origin is None:
        return None
    ref = table[origin // SPAN]
    index = origin % SPAN
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
    lazy_origins: Origins = field(repr=False, compare=False)
    table: Sequence[HunkRef] = field(repr=False, compare=False, default=())

    @property
    def raw_origins(self) -> tuple[int | None, ...]:
        """One per line: ``hunk_id * SPAN + i`` for a line a hunk brought
        in, None for a line from the base tree."""
        return self.lazy_origins.value()

    @property
    def origins(self) -> tuple[DiffLocation | None, ...]:
        """Per line (index 0 = line 1): the patch and diff line that brought
        it in, or None for a line of the base tree."""
        return tuple(origin_location(o, self.table) for o in self.raw_origins)

    def origin(self, line: int) -> DiffLocation | None:
        """The origin of 1-based ``line`` (None: base line or out of range)."""
        raw = self.raw_origins
        if not 1 <= line <= len(raw):
            return None
        return origin_location(raw[line - 1], self.table)


def post_sources(hunk: Hunk) -> list[int]:
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


class Origins:
    """The origins of an image's lines, one per line, computed on first use.

    Applying records each splice (where the hunk went, which part of it);
    ``value()`` replays them on the origins of the image it started from
    (``base``; None: a base-tree file of ``length`` lines, all None). Most
    runs never ask (a benchmark, ``review apply``), and a 1 MB diff touches
    files of tens of thousands of lines. The replay splices exactly like the
    lines were spliced, so origins never drift.
    """

    __slots__ = ("_base", "_length", "_value", "splices", "table")

    def __init__(self, base: Origins | None, length: int, table: Sequence[HunkRef]):
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
        chain: list[Origins] = []  # iterative: a long series must not recurse
        node: Origins | None = self
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
                post_src = post_sources(table[hunk_id].hunk)
                post_src = post_src[lo : len(post_src) - hi]
                base_id = hunk_id * SPAN
                origins[found : found + m] = [
                    origins[at + s] if s >= 0 else base_id + ~s for s in post_src
                ]
            step._value = tuple(origins)
        assert self._value is not None
        return self._value


class Image:
    """The current content of one file: lines plus their (lazy) origins."""

    __slots__ = ("lines", "origins")

    def __init__(self, lines: list[bytes], origins: Origins):
        self.lines = lines
        self.origins = origins

    def copy(self) -> Image:
        return Image(list(self.lines), Origins(self.origins, 0, self.origins.table))
