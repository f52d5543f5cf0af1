"""Doc comments -> sections: body, member descriptions, features, tagged
sections (Returns, Errors, Since, TODO), and each member's ``(Since X.Y)``.

The layout follows QEMU's docs/devel/qapi-code-gen.rst "Definition
documentation"::

    ##
    # @MigrationParameters:             <- symbol line
    #
    # Overview text ...                 <- body
    #
    # @announce-initial: Initial delay  <- member section, continued by
    #     before sending ... (Since 4.0)     indented lines
    #
    # Features:
    #
    # @unstable: ...                    <- feature section
    #
    # Since: 2.4                        <- tagged section
    ##
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reviewtool.location import TreeLocation
from reviewtool.qapi.parser import RawDoc

# "@announce-initial: Initial delay ..." or "@tls-creds:" alone
_MEMBER_RE = re.compile(r"^@([^:\s]+):(?:\s+(.*))?$")
# "Since: 2.4", "Returns: ...", "Errors:", "TODO: ..."
_TAG_RE = re.compile(r"^(Returns|Errors|Since|TODO):(?:\s+(.*))?$")
# "(Since 4.0)", "(since 11.0)", "(since: 2.12)", "(Since 2.12.1)"
SINCE_RE = re.compile(r"\(since:?\s*(\d+(?:\.\d+)+)\s*\)", re.I)

#: tags that start a tagged section
TAGS = ("Returns", "Errors", "Since", "TODO")


@dataclass(frozen=True, slots=True)
class DocSection:
    """A member, feature or tagged section; ``text`` has the indent removed."""

    kind: str  # "member", "feature", "Returns", "Errors", "Since", "TODO"
    name: str | None  # member or feature name; None for tagged sections
    text: str
    location: TreeLocation  # the line that starts the section

    @property
    def since(self) -> str | None:
        """The ``(Since X.Y)`` in the text, e.g. "11.0", or None."""
        m = SINCE_RE.search(self.text)
        return m.group(1) if m else None


@dataclass(frozen=True, slots=True)
class _Sections:
    body: str
    members: tuple[DocSection, ...]
    features: tuple[DocSection, ...]
    sections: tuple[DocSection, ...]


class DocBlock:
    """A definition's doc comment, split into its sections.

    The split happens on first access (a schema has a thousand doc comments
    and a review looks at a handful); two blocks are equal when their text
    is.
    """

    __slots__ = ("_parsed", "raw")

    def __init__(self, raw: RawDoc):
        self.raw = raw
        self._parsed: _Sections | None = None

    def _sections(self) -> _Sections:
        if self._parsed is None:
            self._parsed = _split(self.raw)
        return self._parsed

    @property
    def symbol(self) -> str | None:
        return self.raw.symbol

    @property
    def location(self) -> TreeLocation:
        """The opening ``##`` line."""
        return self.raw.location

    @property
    def text_lines(self) -> tuple[str, ...]:
        """The comment's lines, ``#`` prefixes removed."""
        return self.raw.lines

    @property
    def first_line(self) -> int:
        """Line number of ``text_lines[0]``."""
        return self.raw.first_line

    @property
    def body(self) -> str:
        return self._sections().body

    @property
    def members(self) -> tuple[DocSection, ...]:
        return self._sections().members

    @property
    def features(self) -> tuple[DocSection, ...]:
        return self._sections().features

    @property
    def sections(self) -> tuple[DocSection, ...]:
        """Tagged sections (Returns, Errors, Since, TODO) in order."""
        return self._sections().sections

    def member(self, name: str) -> DocSection | None:
        for section in self.members:
            if section.name == name:
                return section
        return None

    def feature(self, name: str) -> DocSection | None:
        for section in self.features:
            if section.name == name:
                return section
        return None

    def tagged(self, tag: str) -> DocSection | None:
        for section in self.sections:
            if section.kind == tag:
                return section
        return None

    @property
    def since(self) -> str | None:
        """The first word of the ``Since:`` section ("2.4"), or None."""
        section = self.tagged("Since")
        if section is None or not section.text.strip():
            return None
        return section.text.split()[0].rstrip(".,")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DocBlock):
            return NotImplemented
        return self.raw == other.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def __repr__(self) -> str:
        return f"DocBlock({self.location.describe()}, {self.symbol!r})"


class _Builder:
    def __init__(self, raw: RawDoc):
        self.path = raw.source.path
        self.body: list[str] = []
        self.members: list[DocSection] = []
        self.features: list[DocSection] = []
        self.sections: list[DocSection] = []
        self.current: tuple[str, str | None, int, list[str]] | None = None

    def close(self) -> None:
        if self.current is None:
            return
        kind, name, line, lines = self.current
        while lines and not lines[-1].strip():
            lines.pop()
        section = DocSection(kind, name, "\n".join(lines), TreeLocation(self.path, line))
        if kind == "member":
            self.members.append(section)
        elif kind == "feature":
            self.features.append(section)
        else:
            self.sections.append(section)
        self.current = None

    def start(self, kind: str, name: str | None, line: int, first: str | None) -> None:
        self.close()
        self.current = (kind, name, line, [first.strip()] if first else [])


def parse_doc(raw: RawDoc) -> DocBlock:
    """The doc comment as a ``DocBlock`` (split lazily)."""
    return DocBlock(raw)


def _split(raw: RawDoc) -> _Sections:
    """Split a doc comment into sections (never raises: odd layouts end up in
    the body or in the current section)."""
    b = _Builder(raw)
    lines = raw.lines
    start = 1 if raw.symbol is not None else 0
    in_features = False
    previous_blank = True
    for n in range(start, len(lines)):
        line = lines[n]
        lineno = raw.first_line + n
        blank = not line.strip()
        if not blank and not line[0].isspace():
            m = _MEMBER_RE.match(line)
            if m:
                b.start("feature" if in_features else "member", m.group(1), lineno, m.group(2))
                previous_blank = False
                continue
            if line.rstrip() == "Features:":
                b.close()
                in_features = True
                previous_blank = False
                continue
            t = _TAG_RE.match(line)
            if t:
                b.start(t.group(1), None, lineno, t.group(2))
                previous_blank = False
                continue
            if previous_blank and b.current is not None:
                # an unindented paragraph after a section is plain text again
                b.close()
        if b.current is not None:
            b.current[3].append(line.strip())
        else:
            b.body.append(line)
        previous_blank = blank
    b.close()
    body = "\n".join(b.body).strip("\n")
    return _Sections(body, tuple(b.members), tuple(b.features), tuple(b.sections))
