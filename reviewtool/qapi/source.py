"""Source files of a QAPI schema: text plus the offset -> line/column map.

Every entity the QAPI stage builds points back into a ``SourceFile`` through
a ``TreeLocation`` (path and 1-based line).
"""

from __future__ import annotations

import bisect

from reviewtool.errors import SchemaError
from reviewtool.location import TreeLocation


class SourceFile:
    """One schema file as read from the tree, with where it was included from."""

    __slots__ = ("_line_starts", "included_from", "path", "text")

    def __init__(self, path: str, text: str, included_from: TreeLocation | None = None):
        self.path = path
        self.text = text
        self.included_from = included_from
        starts = [0]
        find = text.find
        pos = find("\n")
        while pos >= 0:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        self._line_starts = starts

    def included_by(self, included_from: TreeLocation | None) -> SourceFile:
        """The same file (same text and line map) included from elsewhere."""
        if included_from == self.included_from:
            return self
        other = SourceFile.__new__(SourceFile)
        other.path = self.path
        other.text = self.text
        other.included_from = included_from
        other._line_starts = self._line_starts
        return other

    def line_of(self, offset: int) -> int:
        """The 1-based line holding character ``offset``."""
        return bisect.bisect_right(self._line_starts, offset)

    def column_of(self, offset: int) -> int:
        """The 1-based column of character ``offset`` (tabs count as one)."""
        return offset - self._line_starts[self.line_of(offset) - 1] + 1

    def location(self, offset: int) -> TreeLocation:
        return TreeLocation(self.path, self.line_of(offset))

    def error(self, message: str, offset: int, *, column: bool = True) -> SchemaError:
        """A ``SchemaError`` at ``offset`` (with its column when ``column``)."""
        return SchemaError(
            message,
            path=self.path,
            line=self.line_of(offset),
            column=self.column_of(offset) if column else None,
        )

    def __repr__(self) -> str:
        return f"SourceFile({self.path!r})"
