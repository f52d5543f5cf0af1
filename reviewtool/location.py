"""Frozen "where" values: a message in a mail input, a line of a patch's diff,
a line of a file in a tree.

Every fact a stage records and every finding carries one of these, so that
reports can point at the right place and the email reply can quote it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MailLocation:
    """A message (1-based ``index``) in one input (``source`` as given)."""

    source: str
    index: int
    line: int | None = None  # line in the decoded body, 1-based, when known

    def describe(self) -> str:
        line = f", line {self.line}" if self.line is not None else ""
        return f"{self.source}: message {self.index}{line}"

    def sort_key(self) -> tuple[int, str, int, int]:
        return (0, self.source, self.index, self.line or 0)


@dataclass(frozen=True, slots=True)
class DiffLocation:
    """A line of patch ``patch``'s diff (1-based; 0 is the cover letter)."""

    patch: int
    path: str  # file the hunk touches (post-image path)
    diff_line: int  # 1-based line number within the patch's diff text
    line: int | None = None  # line number in the post-image (or pre-image for removals)

    def describe(self) -> str:
        line = f":{self.line}" if self.line is not None else ""
        return f"patch {self.patch}: {self.path}{line} (diff line {self.diff_line})"

    def sort_key(self) -> tuple[int, str, int, int]:
        return (1, f"{self.patch:04d}:{self.path}", self.line or 0, self.diff_line)


@dataclass(frozen=True, slots=True)
class TreeLocation:
    """A line (1-based) of a file in a tree (base tree or a patch's post-image)."""

    path: str
    line: int | None = None
    function: str | None = None  # enclosing C function or initialiser, when known

    def describe(self) -> str:
        line = f":{self.line}" if self.line is not None else ""
        func = f" ({self.function})" if self.function else ""
        return f"{self.path}{line}{func}"

    def sort_key(self) -> tuple[int, str, int, int]:
        return (2, self.path, self.line or 0, 0)


Location = MailLocation | DiffLocation | TreeLocation
