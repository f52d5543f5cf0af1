"""QAPI schema text -> top-level expressions with their doc comments.

The language (QEMU docs/devel/qapi-code-gen.rst, "Schema syntax"): JSON
objects, arrays, ``true``/``false`` and single-quoted strings (printable
ASCII, the only escape is ``\\\\``), ``#`` comments to the end of the line,
no numbers and no ``null``. A comment block that starts and ends with a
``##`` line is a doc comment; one whose first line is ``# @NAME:``
documents the definition that must follow it.

``read_expressions(tree, root)`` follows ``{ 'include': ... }`` through the
tree (relative to the including file, each file read once) and returns every
definition-level expression in schema order. One compiled regex tokenises a
whole file; the recursive descent parser then works on the token list, so no
Python loop runs per character.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from reviewtool.errors import SchemaError
from reviewtool.location import TreeLocation
from reviewtool.qapi.source import SourceFile
from reviewtool.tree import Tree

# A whole doc comment, found by its own scan over the file:
#   ##
#   # @MigrationParameter:
#   # ...
#   ##
# or a '##' line that does not start one (an error at top level).
_DOC_RE = re.compile(
    r"^[ \t]*\#\#(?:(?P<doc>[ \t]*\n(?:[ \t]*\#(?!\#[ \t]*$)[^\n]*\n)*[ \t]*\#\#[ \t]*$)|[^\n]*)",
    re.M,
)
# One significant token, with the blanks and comments before it swallowed by
# a possessive prefix (so they cost no Python code and are never split into
# tokens). The group that matched says what the token is:
#   1 string contents   'backend-transfer'
#   2 punctuation       { } [ ] , :
#   3 word              true / false (anything else is an error)
#   4 a string missing its closing quote
#   5 any other character (an error)
_TOKEN_RE = re.compile(
    r"""(?:\s|\#[^\n]*)*+
    (?:'([^'\\\n]*(?:\\.[^'\\\n]*)*)'
      |([{}\[\],:])
      |([A-Za-z_][A-Za-z0-9_]*)
      |('[^\n]*)
      |(\S))""",
    re.X,
)
_STR, _PUNCT, _WORD, _BADSTR, _BAD = 1, 2, 3, 4, 5
# real schemas nest 5 deep; this keeps far from Python's recursion limit
_MAX_DEPTH = 100
# anything but printable ASCII and line ends (tabs and UTF-8 occur in comments)
_UNCLEAN_RE = re.compile(r"[^\x20-\x7e\n]")
# a doc comment's first text line names the definition: "# @MigrationParameter:"
_DOC_SYMBOL_RE = re.compile(r"[ \t]*\#\#[ \t]*\n[ \t]*\#[ \t]@([^:\s]+):[ \t]*\n")
# a doc line whose '#' is not followed by a space: "#foo"
_DOC_NO_SPACE_RE = re.compile(r"^[ \t]*\#(?!\#[ \t]*$)[^ \n]", re.M)


class JObject(dict[str, "str | bool | JObject | JArray"]):
    """A parsed ``{...}``: insertion-ordered, with the offset of each key."""

    __slots__ = ("key_pos", "pos")

    def __init__(self, pos: int) -> None:
        super().__init__()
        self.pos = pos
        self.key_pos: dict[str, int] = {}


class JArray(list["str | bool | JObject | JArray"]):
    """A parsed ``[...]`` with the offset of each item."""

    __slots__ = ("item_pos", "pos")

    def __init__(self, pos: int) -> None:
        super().__init__()
        self.pos = pos
        self.item_pos: list[int] = []


class RawDoc:
    """A doc comment: where it is, the symbol it documents, and its text
    lines with the ``#`` prefixes removed (split on first use: most doc
    comments are never looked at)."""

    __slots__ = ("_lines", "end", "first_line", "source", "start", "symbol")

    def __init__(self, source: SourceFile, start: int, end: int, symbol: str | None):
        self.source = source
        self.start = start  # offset of the opening '##'
        self.end = end
        self.first_line = source.line_of(start) + 1  # line of the first text line
        self.symbol = symbol  # "MigrationParameter" for '# @MigrationParameter:'
        self._lines: tuple[str, ...] | None = None

    @property
    def lines(self) -> tuple[str, ...]:
        if self._lines is None:
            text = self.source.text[self.start : self.end]
            inner = text.split("\n")[1:-1]  # without the two '##' lines
            # "# text" -> "text", "#" -> ""
            self._lines = tuple(line.lstrip(" \t")[2:] for line in inner)
        return self._lines

    @property
    def location(self) -> TreeLocation:
        return TreeLocation(self.source.path, self.first_line - 1)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RawDoc):
            return NotImplemented
        return self.lines == other.lines

    def __hash__(self) -> int:
        return hash(self.lines)

    def __repr__(self) -> str:
        return f"RawDoc({self.source.path}:{self.first_line - 1}, {self.symbol!r})"


@dataclass(frozen=True, slots=True)
class TopExpr:
    """One definition-level expression, its doc comment and where it starts."""

    expr: JObject
    doc: RawDoc | None
    source: SourceFile

    @property
    def location(self) -> TreeLocation:
        return self.source.location(self.expr.pos)


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """What one file holds: its expressions (includes not followed) and
    free-form doc comments."""

    source: SourceFile
    exprs: tuple[TopExpr, ...]
    free_docs: tuple[RawDoc, ...]


class _Parser:
    """Recursive descent over the token matches of one file.

    ``toks`` holds one ``re.Match`` per significant token (built by
    ``list(finditer())``, so tokenising runs no Python code per token); doc
    comments are found by a second scan and only looked at between
    top-level expressions (inside an expression they are plain comments).
    """

    def __init__(self, source: SourceFile):
        self.source = source
        self.toks = list(_TOKEN_RE.finditer(source.text))
        self.n = len(self.toks)
        self.docs = list(_DOC_RE.finditer(source.text))
        self.i = 0
        self.depth = 0
        # printable ASCII only: strings need no per-string character check
        self.clean = _UNCLEAN_RE.search(source.text) is None

    # -- values --------------------------------------------------------------

    def _start(self, i: int) -> int:
        """Where token ``i`` starts (the opening quote for a string)."""
        m = self.toks[i]
        kind = m.lastindex or _BAD
        return m.start(kind) - (1 if kind == _STR else 0)

    def _error_at(self, message: str) -> SchemaError:
        if self.i < self.n:
            m = self.toks[self.i]
            start = self._start(self.i)
            if m.lastindex == _BAD:
                return self.source.error(f"stray '{m.group(_BAD)}'", start)
            if m.lastindex == _BADSTR:
                return self.source.error('missing terminating "\'"', start)
            return self.source.error(message, start)
        return self.source.error(message + " (at end of file)", len(self.source.text.rstrip()))

    def _string(self, m: re.Match[str]) -> str:
        raw = m.group(_STR)
        if self.clean and "\\" not in raw:
            return raw
        if "\\" in raw:
            start = m.start(_STR) - 1
            parts = raw.split("\\\\")
            for n, part in enumerate(parts):
                if "\\" in part:
                    j = part.index("\\")
                    nxt = part[j + 1 : j + 2] or "'"
                    offset = start + 1 + sum(len(p) + 2 for p in parts[:n]) + j
                    raise self.source.error(f"unknown escape \\{nxt}", offset)
            raw = "\\".join(parts)
        if not (raw.isascii() and raw.isprintable()):
            raise self.source.error(
                "string contains a non-printable or non-ASCII character", m.start(_STR) - 1
            )
        return raw

    def value(self) -> str | bool | JObject | JArray:
        if self.i >= self.n:
            raise self._error_at("expected a value")
        m = self.toks[self.i]
        kind = m.lastindex
        if kind == _STR:
            self.i += 1
            return self._string(m)
        if kind == _PUNCT:
            ch = m.group(_PUNCT)
            if ch == "{" or ch == "[":
                self.depth += 1
                if self.depth > _MAX_DEPTH:
                    raise self._error_at("expressions nested too deeply")
                value = self.object() if ch == "{" else self.array()
                self.depth -= 1
                return value
        elif kind == _WORD:
            word = m.group(_WORD)
            if word in ("true", "false"):
                self.i += 1
                return word == "true"
            raise self._error_at(f"unexpected word '{word}'")
        raise self._error_at("expected a value")

    def _punct(self) -> str | None:
        """The punctuation character at the cursor, or None for anything else."""
        if self.i < self.n:
            return self.toks[self.i].group(_PUNCT)
        return None

    def object(self) -> JObject:
        toks = self.toks
        obj = JObject(self._start(self.i))
        self.i += 1  # '{'
        if self._punct() == "}":
            self.i += 1
            return obj
        key_pos = obj.key_pos
        while True:
            if self.i >= self.n or toks[self.i].lastindex != _STR:
                raise self._error_at("expected a string key")
            m = toks[self.i]
            key = self._string(m)
            start = m.start(_STR) - 1
            if key in obj:
                raise self.source.error(f"duplicate key '{key}'", start)
            self.i += 1
            if self._punct() != ":":
                raise self._error_at("expected ':'")
            self.i += 1
            obj[key] = self.value()
            key_pos[key] = start
            p = self._punct()
            self.i += 1
            if p == ",":
                continue
            if p == "}":
                return obj
            self.i -= 1
            raise self._error_at("expected ',' or '}'")

    def array(self) -> JArray:
        arr = JArray(self._start(self.i))
        self.i += 1  # '['
        if self._punct() == "]":
            self.i += 1
            return arr
        while True:
            pos = self._start(self.i) if self.i < self.n else len(self.source.text)
            arr.append(self.value())
            arr.item_pos.append(pos)
            p = self._punct()
            self.i += 1
            if p == ",":
                continue
            if p == "]":
                return arr
            self.i -= 1
            raise self._error_at("expected ',' or ']'")

    # -- top level -----------------------------------------------------------

    def _doc(self, start: int, end: int) -> RawDoc:
        text = self.source.text
        bad = _DOC_NO_SPACE_RE.search(text, start, end)
        if bad is not None:
            raise self.source.error("missing space after #", bad.end() - 1)
        m = _DOC_SYMBOL_RE.match(text, start)
        return RawDoc(self.source, start, end, m.group(1) if m else None)

    def top_level(self) -> ParsedFile:
        exprs: list[TopExpr] = []
        free_docs: list[RawDoc] = []
        pending: RawDoc | None = None
        docs = self.docs
        d = 0  # next doc comment
        text = self.source.text
        while self.i < self.n or d < len(docs):
            next_tok = self._start(self.i) if self.i < self.n else len(text)
            if d < len(docs) and docs[d].start() < next_tok:
                m = docs[d]
                d += 1
                if m.group("doc") is None:
                    if m.group().strip() == "##":
                        raise self.source.error(
                            "documentation comment must end with '##'", m.start()
                        )
                    raise self.source.error(
                        "junk after '##' at start of documentation comment", m.start()
                    )
                self._flush_doc(pending, free_docs)
                pending = self._doc(m.start(), m.end())
                continue
            if self._punct() != "{":
                raise self._error_at("expected '{' starting a definition")
            expr = self.object()
            # doc comments inside the expression are plain comments
            end = self.toks[self.i - 1].end()
            while d < len(docs) and docs[d].start() < end:
                d += 1
            if pending is not None and pending.symbol is None:
                free_docs.append(pending)
                pending = None
            if pending is not None and "include" not in expr and "pragma" not in expr:
                name = _definition_name(expr)
                if name is not None and name != pending.symbol:
                    raise self.source.error(
                        f"definition of '{name}' follows documentation for '{pending.symbol}'",
                        expr.pos,
                        column=False,
                    )
                exprs.append(TopExpr(expr, pending, self.source))
                pending = None
                continue
            if pending is not None:
                raise self.source.error(
                    f"documentation for '{pending.symbol}' is not followed by the definition",
                    expr.pos,
                    column=False,
                )
            exprs.append(TopExpr(expr, None, self.source))
        self._flush_doc(pending, free_docs)
        return ParsedFile(self.source, tuple(exprs), tuple(free_docs))

    def _flush_doc(self, doc: RawDoc | None, free_docs: list[RawDoc]) -> None:
        if doc is None:
            return
        if doc.symbol is not None:
            raise SchemaError(
                f"documentation for '{doc.symbol}' is not followed by the definition",
                path=doc.source.path,
                line=doc.first_line,
            )
        free_docs.append(doc)


_META_KEYS = ("enum", "struct", "union", "alternate", "command", "event")


def _definition_name(expr: JObject) -> str | None:
    for key in _META_KEYS:
        value = expr.get(key)
        if isinstance(value, str):
            return value
    return None


def parse_source(source: SourceFile) -> ParsedFile:
    """Parse one file's text (includes are not followed); raises SchemaError."""
    return _Parser(source).top_level()


# (path, text) -> its parse: the trees of one review (and the reviews of one
# process) share most schema files, and a parse depends on nothing else (the
# includer only goes into the file list). Oldest entries go first past the
# bound (watch / scan run long).
_PARSED: dict[tuple[str, str], ParsedFile] = {}
_PARSED_MAX = 256


def _parse_cached(path: str, text: str, included_from: TreeLocation | None) -> ParsedFile:
    """``parse_source`` of the file, parsed once per distinct content."""
    key = (path, text)
    parsed = _PARSED.get(key)
    if parsed is None:
        parsed = parse_source(SourceFile(path, text, included_from))
        if len(_PARSED) >= _PARSED_MAX:
            del _PARSED[next(iter(_PARSED))]
        _PARSED[key] = parsed
    return parsed


@dataclass(frozen=True, slots=True)
class ParsedSchema:
    """Every expression of a schema in order, and the files read (in order)."""

    root: str
    files: tuple[SourceFile, ...]
    exprs: tuple[TopExpr, ...]  # includes resolved and removed; pragmas kept
    free_docs: tuple[RawDoc, ...]


def read_expressions(tree: Tree, root: str = "qapi/qapi-schema.json") -> ParsedSchema:
    """Read ``root`` and everything it includes through ``tree``.

    An include names a file relative to the including file's directory; a
    file already read is not read again. Raises SchemaError for a missing
    root or include and for any syntax error.
    """
    files: list[SourceFile] = []
    exprs: list[TopExpr] = []
    free_docs: list[RawDoc] = []
    seen: set[str] = set()

    def visit(path: str, included_from: TreeLocation | None) -> None:
        seen.add(path)
        text = tree.read_text(path)
        if text is None:
            if included_from is None:
                raise SchemaError("schema root not found", path=path, line=1)
            raise SchemaError(
                f"can't read include file '{path}'",
                path=included_from.path,
                line=included_from.line or 1,
            )
        parsed = _parse_cached(path, text, included_from)
        # the parse is shared by every includer; only the file list says who
        source = parsed.source.included_by(included_from)
        files.append(source)
        free_docs.extend(parsed.free_docs)
        for top in parsed.exprs:
            expr = top.expr
            if "include" not in expr:
                exprs.append(top)
                continue
            target = expr["include"]
            if not isinstance(target, str) or len(expr) != 1:
                raise source.error(
                    "'include' needs exactly one string value", expr.pos, column=False
                )
            inc_path = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            if inc_path.startswith("../") or inc_path == ".." or posixpath.isabs(inc_path):
                raise source.error(f"include '{target}' leaves the tree", expr.pos, column=False)
            if inc_path not in seen:
                visit(inc_path, source.location(expr.pos))

    visit(posixpath.normpath(root), None)
    return ParsedSchema(root, tuple(files), tuple(exprs), tuple(free_docs))


# From a "'include'" string token: the colon and the value string, with the
# blanks and comments the tokeniser allows between them.
_INCLUDE_TAIL_RE = re.compile(r"'include'(?:\s|\#[^\n]*)*:(?:\s|\#[^\n]*)*'([^'\\\n]*)'")
_INCLUDE_ESCAPE_RE = re.compile(r"'include'(?:\s|\#[^\n]*)*:(?:\s|\#[^\n]*)*'[^'\n]*\\")


def schema_file_bound(tree: Tree, root: str = "qapi/qapi-schema.json") -> frozenset[str] | None:
    """Every file ``read_expressions(tree, root)`` may read, and maybe more,
    without parsing: the root and, recursively, the targets of every
    ``'include': '...'`` found in the text (comments and strings too).

    Cheap (a text search per file), for telling that a change to other
    files leaves the schema as it is. None when an include's value has an
    escape (then no bound is given).
    """
    seen: set[str] = set()
    todo = [posixpath.normpath(root)]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        text = tree.read_text(path)
        if text is None:
            continue
        pos = text.find("'include'")
        while pos >= 0:
            m = _INCLUDE_TAIL_RE.match(text, pos)
            if m is not None:
                target = m.group(1)
                todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), target)))
            elif _INCLUDE_ESCAPE_RE.match(text, pos) is not None:
                return None  # a value with an escape: not worth decoding here
            pos = text.find("'include'", pos + 1)
    return frozenset(seen)
