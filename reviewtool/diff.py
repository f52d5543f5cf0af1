"""The unidiff seam: diff text -> frozen FileDiff / Hunk / DiffLine records.

This is the only module that imports ``unidiff``. unidiff does the line-level
parse (hunk headers, hunk line counts honoured, ``\\ No newline`` markers);
this module reads the git extended headers itself (rename/copy, similarity,
modes, binary markers), strips the ``a/`` / ``b/`` prefixes the way
``git apply -p1`` does, and freezes the result with diff line numbers
(1-based within the patch's diff text) on every record.

Paths are kept as the diff states them (after prefix stripping and C-quote
decoding): judging whether a path is safe to touch is the applier's job.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from unidiff.constants import RE_HUNK_HEADER
from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet  # the seam: nothing else imports unidiff

from reviewtool.errors import DiffError
from reviewtool.location import DiffLocation

__all__ = [
    "DiffLine",
    "FileDiff",
    "FileStatus",
    "Hunk",
    "parse_diff",
]


class FileStatus(StrEnum):
    """What a file diff does to its file."""

    MODIFIED = "modified"
    ADDED = "added"
    DELETED = "deleted"
    RENAMED = "renamed"
    COPIED = "copied"
    BINARY = "binary"


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a hunk.

    ``text`` has no line end; ``eol`` is the line end the diff gave it
    (``"\\n"``, ``"\\r\\n"`` for a CRLF file, or ``""``/``"\\r"`` when a
    ``\\ No newline at end of file`` marker follows), so ``text + eol`` is
    the line's exact content in the file.
    """

    kind: str  # " " context, "+" added, "-" removed
    text: str
    source_line: int | None  # 1-based line in the pre-image (None for "+")
    target_line: int | None  # 1-based line in the post-image (None for "-")
    diff_line: int  # 1-based line within the patch's diff text
    no_newline: bool = False
    eol: str = "\n"

    @property
    def content(self) -> str:
        """The line as it appears in the file, line end included."""
        return self.text + self.eol


@dataclass(frozen=True, slots=True)
class Hunk:
    """One ``@@ -a,b +c,d @@ section`` block; line counts as stated.

    ``raw`` keeps the hunk's body lines exactly as the diff has them, minus
    the ``\\n`` that ends every one of them (``\\ No newline`` markers and a
    CRLF file's ``\\r`` included): lines ``diff_line`` .. ``diff_line +
    len(raw) - 1`` (0-based) of the diff text, right after the header (the
    applier slices them from the text it encoded once). ``lines`` is the
    parsed view, built on first use (a 1 MB diff has tens of thousands of
    lines and the applier works from the text).
    """

    source_start: int
    source_length: int
    target_start: int
    target_length: int
    section: str  # the function name git prints after "@@", or ""
    raw: tuple[str, ...]
    diff_line: int  # line of the "@@" header within the patch's diff text
    # the parsed view, cached on first use (no list per hunk: a 1 MB diff
    # has thousands of hunks and most are never looked at line by line)
    _parsed: tuple[DiffLine, ...] | None = field(
        default=None, repr=False, compare=False, hash=False
    )

    @property
    def lines(self) -> tuple[DiffLine, ...]:
        """The body as DiffLines (markers folded into ``no_newline``)."""
        parsed = self._parsed
        if parsed is None:
            parsed = _parse_body(self)
            object.__setattr__(self, "_parsed", parsed)  # a cache, not a change
        return parsed

    @property
    def leading_context(self) -> int:
        """Context lines before the first added or removed line."""
        return _context_run(self.raw)

    @property
    def trailing_context(self) -> int:
        """Context lines after the last added or removed line."""
        return _context_run(reversed(self.raw))

    @property
    def added(self) -> int:
        return sum(1 for raw in self.raw if raw.startswith("+"))

    @property
    def removed(self) -> int:
        return sum(1 for raw in self.raw if raw.startswith("-"))

    def header(self) -> str:
        """The ``@@`` line as git writes it."""
        return (
            f"@@ -{self.source_start},{self.source_length} "
            f"+{self.target_start},{self.target_length} @@"
            + (f" {self.section}" if self.section else "")
        )


def _kind(raw: str) -> str:
    """The line type of a raw hunk line: " ", "+", "-" or "\\" (marker).

    An empty line (a context line whose blank was stripped in transit) is
    context, as git and unidiff read it."""
    first = raw[:1]
    return first if first in ("+", "-", "\\") else " "


def _context_run(raws: Iterable[str]) -> int:
    """Context lines at the start of ``raws``, up to the first added or
    removed line ("\\ No newline" markers are not lines)."""
    n = 0
    for raw in raws:
        kind = _kind(raw)
        if kind == "\\":
            continue
        if kind != " ":
            break
        n += 1
    return n


def _parse_body(hunk: Hunk) -> tuple[DiffLine, ...]:
    out: list[DiffLine] = []
    old = hunk.source_start
    new = hunk.target_start
    for i, raw in enumerate(hunk.raw):
        kind = _kind(raw)
        if kind == "\\":
            if out and out[-1].eol.endswith("\n"):
                prev = out[-1]
                out[-1] = DiffLine(
                    prev.kind,
                    prev.text,
                    prev.source_line,
                    prev.target_line,
                    prev.diff_line,
                    True,
                    prev.eol[:-1],
                )
            continue
        value = raw[1:] if raw[:1] in (" ", "+", "-") else raw
        if value.endswith("\r"):
            text, eol = value[:-1], "\r\n"
        else:
            text, eol = value, "\n"
        source = target = None
        if kind != "+":
            source = old
            old += 1
        if kind != "-":
            target = new
            new += 1
        out.append(DiffLine(kind, text, source, target, hunk.diff_line + 1 + i, False, eol))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class FileDiff:
    """The part of a patch's diff that touches one file."""

    patch: int  # slot of the patch in the series (0 = cover letter)
    old_path: str | None  # None: /dev/null (file added)
    new_path: str | None  # None: /dev/null (file deleted)
    status: FileStatus
    hunks: tuple[Hunk, ...]
    old_mode: str | None = None
    new_mode: str | None = None
    similarity: int | None = None  # "similarity index N%" of renames/copies
    binary: bool = False
    diff_line: int = 1  # first line of this file's headers in the diff text
    header: tuple[str, ...] = ()  # the raw extended header lines, no line ends

    @property
    def path(self) -> str:
        """The path the file has after the patch (the old one if deleted)."""
        path = self.new_path if self.new_path is not None else self.old_path
        assert path is not None  # parse_diff never builds a diff without a path
        return path

    @property
    def location(self) -> DiffLocation:
        return DiffLocation(self.patch, self.path, self.diff_line)

    def hunk_location(self, hunk: Hunk) -> DiffLocation:
        return DiffLocation(self.patch, self.path, hunk.diff_line, hunk.target_start)

    def describe(self) -> str:
        if self.status in (FileStatus.RENAMED, FileStatus.COPIED):
            return f"{self.old_path} => {self.new_path}"
        return self.path


# "rename from foo/bar.c", "copy to x", "similarity index 97%", "old mode 100644"
_HEADER_RE = re.compile(
    r"^(?P<key>rename from|rename to|copy from|copy to|similarity index|"
    r"dissimilarity index|old mode|new mode|new file mode|deleted file mode|"
    r"index [0-9a-fA-F]+\.\.[0-9a-fA-F]+)(?: (?P<value>.*))?$"
)
# "Binary files a/x.png and b/x.png differ", "GIT binary patch"
_BINARY_RE = re.compile(r"^(Binary files .* differ|GIT binary patch)$")

# C-quoted path escapes used by git (core.quotePath): \t \n \" \\ and octal bytes
_QUOTE_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of a path (``"a/t\\303\\251st"``)."""
    if len(path) < 2 or not (path.startswith('"') and path.endswith('"')):
        return path
    body = path[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            digits = body[i + 1 : i + 4]
            if len(digits) == 3 and all(c in "01234567" for c in digits):
                out.append(int(digits, 8) & 0xFF)
                i += 4
                continue
            if nxt in _QUOTE_ESCAPES:
                out.append(_QUOTE_ESCAPES[nxt])
                i += 2
                continue
        out.extend(ch.encode("utf-8", "surrogateescape"))
        i += 1
    return out.decode("utf-8", "surrogateescape")


def _strip_prefix(name: str | None) -> str | None:
    """``a/foo/bar.c`` -> ``foo/bar.c`` (git apply -p1); None for /dev/null."""
    if name is None:
        return None
    name = _unquote(name.strip())
    if name == "/dev/null" or not name:
        return None
    # git -p1 removes the first path component, whatever it is.
    _head, sep, rest = name.partition("/")
    return rest if sep and rest else name


def parse_diff(text: str, patch: int) -> tuple[FileDiff, ...]:
    """Parse the diff text of patch ``patch`` into file diffs.

    Raises ``DiffError`` (with the diff line when known) when the text is
    not a diff that can be parsed, e.g. a hunk shorter than its header says.
    Text with no diff at all gives ``()``.
    """
    if text and not text.endswith("\n"):
        text += "\n"
    try:
        # unidiff checks the structure and the hunk counts; the bodies are
        # then sliced from the text by the same counts (_Walker), several
        # times faster than unidiff's per-line objects. StringIO splits at
        # "\n" only, as git does.
        patchset = PatchSet(io.StringIO(text), metadata_only=True)
    except UnidiffParseError as e:
        raise DiffError(f"patch {patch}: {e}".rstrip(), line=_error_line(text)) from e
    lines = text.split("\n")
    lines.pop()  # the empty string after the final "\n"
    walker = _Walker(lines)
    # unidiff has counted each hunk's lines (and would have failed on a
    # count that does not add up): without "\ No newline" markers, which it
    # does not count, a body is the old side's lines plus the added ones, and
    # the walker need not count them again
    counted = not text.startswith("\\") and "\n\\" not in text
    return tuple(_freeze(pf, patch, walker, counted) for pf in patchset)


def _error_line(text: str) -> int | None:
    """Parse again, counting lines, to say where unidiff stopped (its errors
    carry no position); only run when the diff is broken."""
    seen = [0]

    def numbered() -> Iterator[str]:
        for n, line in enumerate(io.StringIO(text), 1):
            seen[0] = n
            yield line

    try:
        PatchSet(numbered(), metadata_only=True)
    except UnidiffParseError:
        return seen[0] or None
    return None


class _Walker:
    """Finds each hunk's header and body in the text (lines without their
    "\\n"), in order, by the header's line counts, as unidiff and git do."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.pos = 0  # next line to look at (0-based)

    def hunk(
        self, start: int, header: tuple[int, int, int, int], body_len: int | None = None
    ) -> tuple[int, tuple[str, ...]]:
        """(1-based line of the "@@" header, body lines) of the next hunk
        with ``header`` at or after line ``start`` (0-based).

        ``body_len``: the number of body lines when known (unidiff counted
        them and the text has no ``\\`` marker line); else they are counted
        here, line by line."""
        lines = self.lines
        i = max(self.pos, start)
        n = len(lines)
        usual = "@@ -{},{} +{},{} @@".format(*header)  # the form git writes
        while i < n:
            line = lines[i]
            if line.startswith(usual):
                break
            if line.startswith("@@ -"):
                m = RE_HUNK_HEADER.match(line)
                if m is not None and _counts(m) == header:
                    break
            i += 1
        else:
            raise DiffError("hunk header not found again", line=start + 1)
        if body_len is not None and i + 1 + body_len <= n:
            j = i + 1 + body_len
            self.pos = j
            return i + 1, tuple(lines[i + 1 : j])
        old, new = header[1], header[3]
        j = i + 1
        while (old > 0 or new > 0) and j < n:
            first = lines[j][:1]
            if first == "+":
                new -= 1
            elif first == "-":
                old -= 1
            elif first != "\\":
                old -= 1
                new -= 1
            j += 1
        # a "\ No newline" marker right after the counted lines belongs to it
        if j < n and lines[j][:1] == "\\":
            j += 1
        self.pos = j
        return i + 1, tuple(lines[i + 1 : j])


def _counts(m: re.Match[str]) -> tuple[int, int, int, int]:
    old_len = m.group(2)
    new_len = m.group(4)
    return (
        int(m.group(1)),
        1 if old_len is None else int(old_len),
        int(m.group(3)),
        1 if new_len is None else int(new_len),
    )


def _freeze(pf: object, patch: int, walker: _Walker, counted: bool = False) -> FileDiff:
    """One unidiff PatchedFile -> FileDiff (git extended headers read here)."""
    info: list[str] = [line.rstrip("\r\n") for line in (getattr(pf, "patch_info", None) or [])]
    headers: dict[str, str] = {}
    binary = bool(getattr(pf, "is_binary_file", False))
    for line in info:
        m = _HEADER_RE.match(line)
        if m:
            key = m.group("key")
            if key.startswith("index "):
                key = "index"
            headers.setdefault(key, (m.group("value") or "").strip())
        elif _BINARY_RE.match(line):
            binary = True

    source: str | None = getattr(pf, "source_file", None)
    target: str | None = getattr(pf, "target_file", None)
    old_path = _strip_prefix(source)
    new_path = _strip_prefix(target)
    similarity: int | None = None
    status = FileStatus.MODIFIED
    if "rename from" in headers or "copy from" in headers:
        kind = "rename" if "rename from" in headers else "copy"
        old_path = _unquote(headers[f"{kind} from"]) or old_path
        new_path = _unquote(headers.get(f"{kind} to", "")) or new_path
        status = FileStatus.RENAMED if kind == "rename" else FileStatus.COPIED
        sim = headers.get("similarity index", "").rstrip("%")
        similarity = int(sim) if sim.isdigit() else None
    if "new file mode" in headers:
        old_path = None
    if "deleted file mode" in headers:
        new_path = None
    if old_path is None and new_path is None:
        raise DiffError(f"patch {patch}: a file diff names no file", line=_diff_line_of(pf))
    if status is FileStatus.MODIFIED:
        if old_path is None:
            status = FileStatus.ADDED
        elif new_path is None:
            status = FileStatus.DELETED
    if binary:
        status = FileStatus.BINARY

    old_mode = headers.get("old mode") or headers.get("deleted file mode")
    new_mode = headers.get("new mode") or headers.get("new file mode")
    if headers.get("index"):
        mode = headers["index"].split()[0]
        old_mode = old_mode or (mode if old_path is not None else None)
        new_mode = new_mode or (mode if new_path is not None else None)

    start = _diff_line_of(pf) - 1
    hunks: list[Hunk] = []
    for h in pf if isinstance(pf, list) else []:
        counts = (h.source_start, h.source_length, h.target_start, h.target_length)
        body_len = h.source_length + h.added if counted else None
        header_line, raw = walker.hunk(start, counts, body_len)
        section = (h.section_header or "").rstrip("\r\n")
        hunks.append(Hunk(*counts, section, raw, header_line))
    return FileDiff(
        patch=patch,
        old_path=old_path,
        new_path=new_path,
        status=status,
        hunks=tuple(hunks),
        old_mode=old_mode,
        new_mode=new_mode,
        similarity=similarity,
        binary=binary,
        diff_line=_diff_line_of(pf),
        header=tuple(info),
    )


def _diff_line_of(pf: object) -> int:
    value = getattr(pf, "diff_line_no", None)
    return value if isinstance(value, int) else 1
