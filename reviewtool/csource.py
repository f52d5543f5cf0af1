"""Find the top-level functions and initialisers of a QEMU-style C file.

No compiler and no preprocessor: comments and preprocessor lines are blanked,
string and character literals have their contents blanked (the contents are
kept aside in ``CFile.strings``, because forms such as a qdev property name
``"x-max-bandwidth"`` live in them), and the remaining text is cut into
top-level units by brace and parenthesis depth. Blanking keeps every offset
and line number of the original text, so a match in ``CUnit.code`` maps back
to a line of the file.

Units (``CUnit.kind``):

* ``function``     ``type name(args) { ... }``
* ``initialiser``  ``... name[...] = { ... };`` (also ``name = value;``)
* ``type``         ``struct/union/enum/typedef ... { ... } ...;``
* ``declaration``  a top-level statement without braces: a prototype
                   (``bool migrate_foo(void);``), a variable, or a macro
                   invocation (``INITIALIZE_MIGRATE_CAPS_SET(name, ...);``)
* ``macro``        a macro invocation with no semicolon (``type_init(foo)``)

Named initialisers inside a function body (``bool *has_fields[] = {...};``)
are exposed as ``CUnit.locals``. What the scanner cannot attribute (a
header with no name, unbalanced braces) is reported in ``CFile.unattributed``
instead of being guessed.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

# identifiers; "migrate_params_apply"
IDENT_RE = re.compile(r"[A-Za-z_]\w*")
# "type_init(" at the start of a statement
_CALL_HEAD_RE = re.compile(r"\s*[A-Za-z_]\w*\s*\(")
# a C keyword that cannot be a declarator name
_KEYWORDS = frozenset(
    [
        "auto",
        "break",
        "case",
        "char",
        "const",
        "continue",
        "default",
        "do",
        "double",
        "else",
        "enum",
        "extern",
        "float",
        "for",
        "goto",
        "if",
        "inline",
        "int",
        "long",
        "register",
        "restrict",
        "return",
        "short",
        "signed",
        "sizeof",
        "static",
        "struct",
        "switch",
        "typedef",
        "union",
        "unsigned",
        "void",
        "volatile",
        "while",
        "bool",
        "_Bool",
    ]
)
# "struct Foo {", "typedef struct Foo {", "enum {", "union U {"
_TYPE_HEAD_RE = re.compile(r"^\s*(?:(?:static|const|typedef)\s+)*(?:struct|union|enum)\b")
# an identifier that is a macro by QEMU convention: "INITIALIZE_MIGRATE_CAPS_SET"
_MACRO_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True, slots=True)
class CString:
    """A string literal: its line and contents (escapes left as written)."""

    line: int
    value: str
    offset: int  # offset of the opening quote in the file


@dataclass(frozen=True, slots=True)
class CUnit:
    """A top-level function, initialiser, type or declaration of a C file."""

    name: str
    kind: str  # function / initialiser / type / declaration / macro / local
    start_line: int  # 1-based, first line of the declaration
    end_line: int  # 1-based, line of the closing brace or semicolon
    start: int  # offsets into the file text: [start, end)
    end: int
    code: str  # the unit's text with comments, strings and preprocessor lines blanked
    strings: tuple[CString, ...]  # string literals inside the unit, in order
    locals: tuple[CUnit, ...] = ()  # named initialisers inside a function body

    def local(self, name: str) -> CUnit | None:
        """The named local initialiser (``has_fields``), or None."""
        return next((u for u in self.locals if u.name == name), None)


@dataclass(frozen=True, slots=True)
class Unattributed:
    """Text the scanner could not attribute to a unit, and why."""

    line: int
    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class CFile:
    """The units of one C file, in file order."""

    path: str
    units: tuple[CUnit, ...]
    unattributed: tuple[Unattributed, ...]
    code: str  # the whole file, blanked as in CUnit.code
    strings: tuple[CString, ...]
    line_starts: tuple[int, ...]  # offset of each line's first character

    def line_of(self, offset: int) -> int:
        """1-based line number of ``offset``."""
        return bisect.bisect_right(self.line_starts, offset)

    def find(self, name: str, kind: str | None = None) -> CUnit | None:
        """The first unit called ``name`` (of ``kind`` when given)."""
        for unit in self.units:
            if unit.name == name and (kind is None or unit.kind == kind):
                return unit
        return None

    def unit_at(self, line: int) -> CUnit | None:
        """The unit whose span contains ``line``, or None."""
        for unit in self.units:
            if unit.start_line <= line <= unit.end_line:
                return unit
        return None


# What blank_c removes, leftmost first: comments, literals, preprocessor
# lines (with continuations and the comments they contain).
_BLANK_RE = re.compile(
    r"""(?P<comment>/\*.*?(?:\*/|\Z))
      | (?P<line_comment>//[^\n]*)
      | (?P<string>"(?:[^"\\\n]|\\.)*"?)
      | (?P<char>'(?:[^'\\\n]|\\.)*'?)
      | (?P<pp>^[ \t]*\#(?:/\*.*?(?:\*/|\Z)|//[^\n]*|\\.|[^\n\\/]|/(?![*/]))*)""",
    re.S | re.M | re.X,
)
# the characters that make structure once the text is blanked
_STRUCTURE_RE = re.compile(r"[(){};]")


def blank_c(text: str) -> tuple[str, tuple[CString, ...]]:
    """``text`` with comments, preprocessor lines and literal contents blanked.

    Every character removed becomes a space (newlines are kept), so offsets
    and line numbers are unchanged. String literal contents are returned
    separately, with their line.
    """
    pieces: list[str] = []
    strings: list[CString] = []
    pos = 0
    line = 1
    for m in _BLANK_RE.finditer(text):
        start, end = m.span()
        pieces.append(text[pos:start])
        line += text.count("\n", pos, start)
        kind = m.lastgroup
        if kind in ("string", "char"):
            close = end - 1 if end - start >= 2 and text[end - 1] == text[start] else end
            if kind == "string":
                strings.append(CString(line, text[start + 1 : close], start))
            pieces.append(text[start])
            pieces.append(_spaces(text[start + 1 : close]))
            pieces.append(text[close:end])
        else:
            pieces.append(_spaces(text[start:end]))
        line += text.count("\n", start, end)
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces), tuple(strings)


def _spaces(chunk: str) -> str:
    """``chunk`` with every character but newlines turned into a space."""
    if "\n" not in chunk:
        return " " * len(chunk)
    return "\n".join(" " * len(part) for part in chunk.split("\n"))


def scan_c(text: str, path: str) -> CFile:
    """Split C ``text`` (the file at ``path``) into top-level units."""
    code, strings = blank_c(text)
    line_starts = (0, *(m.end() for m in re.finditer("\n", code)))
    scanner = _Scanner(path, code, strings, line_starts)
    scanner.run()
    return CFile(
        path=path,
        units=tuple(scanner.units),
        unattributed=tuple(scanner.unattributed),
        code=code,
        strings=strings,
        line_starts=line_starts,
    )


class _Scanner:
    """Walk the structure characters of blanked text, cutting it into units."""

    def __init__(
        self, path: str, code: str, strings: tuple[CString, ...], line_starts: tuple[int, ...]
    ):
        self.path = path
        self.code = code
        self.strings = strings
        self.string_offsets = [s.offset for s in strings]
        self.line_starts = line_starts
        self.units: list[CUnit] = []
        self.unattributed: list[Unattributed] = []
        # offsets and characters of ( ) { } ; and the matching brace of each "{"
        self.tokens = [(m.start(), m.group()) for m in _STRUCTURE_RE.finditer(code)]
        self.match: dict[int, int] = {}
        stack: list[int] = []
        for offset, ch in self.tokens:
            if ch == "{":
                stack.append(offset)
            elif ch == "}" and stack:
                self.match[stack.pop()] = offset

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)

    def run(self) -> None:
        head = 0  # start of the current top-level statement
        paren = 0
        resume = 0  # skip tokens before this offset (inside a block just cut)
        for offset, ch in self.tokens:
            if offset < resume:
                continue
            if ch == "(":
                paren += 1
            elif ch == ")":
                paren -= 1
                if paren == 0:
                    head = self._split_macro_line(head, offset)
            elif ch == ";" and paren == 0:
                self._statement(head, offset + 1)
                head = offset + 1
            elif ch == "{" and paren == 0:
                close = self.match.get(offset)
                if close is None:
                    self._unattributed(offset, "unbalanced '{': no matching '}' before end of file")
                    return
                head = resume = self._block(head, offset, close)
            elif ch == "}" and paren == 0:
                # (braces inside a macro's arguments are balanced: skipped)
                self._unattributed(offset, "stray '}' at top level")
                head = offset + 1
        rest = self.code[head:]
        if rest.strip():
            start = head + len(rest) - len(rest.lstrip())
            name = _call_name(rest.strip()) if _is_macro_call(rest.strip()) else None
            if name is not None:
                self._add(name, "macro", start, len(self.code.rstrip()))
            else:
                self._unattributed(start, "text after the last statement")

    def _split_macro_line(self, head: int, close: int) -> int:
        """A ``)`` that ends a line at depth 0 with more text after it ends a
        macro invocation that has no semicolon (``type_init(foo)``)."""
        nl = self.code.find("\n", close)
        if nl < 0 or self.code[close + 1 : nl].strip():
            return head
        following = self.code[nl : nl + 200].lstrip()
        # "foo(a, b)\n{": a function definition whose body starts on the next line
        if not following or following[0] in "{;=,)[":
            return head
        text = self.code[head : close + 1]
        if not _is_macro_call(text.strip()):
            return head
        name = _call_name(text)
        # an attribute line before a declaration stays attached to it
        if name is None or name.startswith(("G_GNUC", "QEMU_", "__attribute__")):
            return head
        self._add(name, "macro", head, close + 1)
        return close + 1

    def _block(self, head: int, open_at: int, close: int) -> int:
        """A depth-0 ``{...}``; returns where the next statement starts."""
        header = self.code[head:open_at]
        if "=" in _depth0(header):
            end = self._semicolon_after(close)
            name = _declarator_name(header.split("=")[0])
            if name is None:
                self._unattributed(head, "initialiser without a name")
            else:
                self._add(name, "initialiser", head, end)
            return end
        if _TYPE_HEAD_RE.match(header) and not header.rstrip().endswith(")"):
            end = self._semicolon_after(close)
            name = _type_name(header, self.code[close + 1 : end])
            self._add(name or "<anonymous>", "type", head, end)
            return end
        name = _function_name(header)
        if name is None:
            self._unattributed(head, "block without a function name")
            return close + 1
        unit_locals = self._locals(open_at, close)
        self._add(name, "function", head, close + 1, unit_locals)
        return close + 1

    def _semicolon_after(self, close: int) -> int:
        """Offset just past the ``;`` ending a declaration whose braces close at ``close``."""
        m = re.compile(r"[^;{]*").match(self.code, close + 1)
        end = m.end() if m else close + 1
        if end < len(self.code) and self.code[end] == ";":
            return end + 1
        # no semicolon: the declaration ended at its brace
        return close + 1

    def _statement(self, head: int, end: int) -> None:
        text = self.code[head:end]
        if not text.strip(" \t\n;"):
            return
        flat = _depth0(text)
        if "=" in flat:
            name = _declarator_name(text.split("=")[0])
        else:
            name = _function_name(text.rstrip().rstrip(";")) if "(" in text else None
            if name is None:
                name = _declarator_name(text.rstrip().rstrip(";"))
            if name is not None and _MACRO_NAME_RE.match(name):
                # "INITIALIZE_MIGRATE_CAPS_SET(check_caps_savevm, ...)": name it by
                # its first argument, which is what the macro defines
                name = _first_argument(text) or name
        if name is None:
            self._unattributed(head, "declaration without a name")
            return
        self._add(name, "declaration", head, end)

    def _locals(self, open_at: int, close: int) -> tuple[CUnit, ...]:
        """Named initialisers ``x[] = { ... };`` inside a function body."""
        found: list[CUnit] = []
        code = self.code
        lo = bisect.bisect_right(self.tokens, (open_at, "{"))
        stmt = open_at + 1
        resume = open_at + 1
        for offset, ch in self.tokens[lo:]:
            if offset >= close:
                break
            if offset < resume:
                continue
            if ch in ";}":
                stmt = offset + 1
            elif ch == "{":
                header = code[stmt:offset]
                end_brace = self.match.get(offset)
                if header.rstrip().endswith("=") and end_brace is not None and end_brace < close:
                    name = _declarator_name(header.rsplit("=", 1)[0])
                    if name is not None:
                        end = self._semicolon_after(end_brace)
                        found.append(self._make(name, "local", stmt, end))
                        stmt = resume = end
                        continue
                stmt = offset + 1
        return tuple(found)

    def _make(
        self, name: str, kind: str, start: int, end: int, unit_locals: tuple[CUnit, ...] = ()
    ) -> CUnit:
        code = self.code
        # the unit starts at its first non-blank character
        while start < end and code[start].isspace():
            start += 1
        lo = bisect.bisect_left(self.string_offsets, start)
        hi = bisect.bisect_left(self.string_offsets, end)
        return CUnit(
            name=name,
            kind=kind,
            start_line=self.line_of(start),
            end_line=self.line_of(max(start, end - 1)),
            start=start,
            end=end,
            code=code[start:end],
            strings=self.strings[lo:hi],
            locals=unit_locals,
        )

    def _add(
        self, name: str, kind: str, start: int, end: int, unit_locals: tuple[CUnit, ...] = ()
    ) -> None:
        self.units.append(self._make(name, kind, start, end, unit_locals))

    def _unattributed(self, offset: int, reason: str) -> None:
        while offset < len(self.code) and self.code[offset].isspace():
            offset += 1
        line = self.line_of(offset)
        nl = self.code.find("\n", offset)
        text = self.code[offset : nl if nl >= 0 else len(self.code)].strip()
        self.unattributed.append(Unattributed(line, reason, text[:80]))


def _depth0(text: str) -> str:
    """``text`` with everything inside parentheses or brackets removed."""
    out = []
    depth = 0
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _function_name(header: str) -> str | None:
    """``static void migrate_params_apply(MigrationParameters *p)`` -> the name
    before the last depth-0 parenthesised group (attributes after it allowed)."""
    text = header.rstrip()
    # Drop trailing attribute groups: "... foo(int a) G_GNUC_PRINTF(1, 2)"
    groups = _paren_groups(text)
    while groups:
        start = groups[-1][0]
        before = text[:start].rstrip()
        m = re.search(r"([A-Za-z_]\w*)$", before)
        helper = re.search(r"([A-Za-z_]\w*)\s*\(\s*([A-Za-z_]\w*)\s*\)$", before)
        if m is None and helper is not None:
            # "void HELPER(gvec_smax8)(void *d, ...)": a name built by a macro
            return f"{helper.group(1)}({helper.group(2)})"
        if m is None:
            # "(*fn)(args)": a function pointer declarator
            inner = re.search(r"\(\s*\*\s*([A-Za-z_]\w*)\s*\)$", before)
            return inner.group(1) if inner else None
        name = m.group(1)
        if name.startswith(("G_GNUC", "QEMU_", "__attribute__")) and len(groups) > 1:
            groups.pop()
            continue
        return None if name in _KEYWORDS else name
    return None


def _paren_groups(text: str) -> list[tuple[int, int]]:
    groups = []
    depth = 0
    start = 0
    for k, ch in enumerate(text):
        if ch == "(":
            if depth == 0:
                start = k
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                groups.append((start, k + 1))
    return groups


def _declarator_name(lhs: str) -> str | None:
    """The declared name in ``static const Property migration_properties[]``
    or ``int (* const table[N])(void)``: the first identifier followed by ``[``,
    else the last identifier that is not a keyword."""
    m = re.search(r"([A-Za-z_]\w*)\s*\[", lhs)
    if m is not None:
        return str(m.group(1))
    idents: list[str] = [t for t in IDENT_RE.findall(_depth0(lhs)) if t not in _KEYWORDS]
    if idents:
        return idents[-1]
    idents = [t for t in IDENT_RE.findall(lhs) if t not in _KEYWORDS]
    return idents[-1] if idents else None


def _type_name(header: str, trailer: str) -> str | None:
    """``typedef struct Foo {...} Bar;`` -> Bar; ``struct Foo {...};`` -> Foo."""
    after: list[str] = [t for t in IDENT_RE.findall(trailer) if t not in _KEYWORDS]
    if after:
        return after[-1]
    before: list[str] = [t for t in IDENT_RE.findall(header) if t not in _KEYWORDS]
    return before[-1] if before else None


def _call_name(text: str) -> str | None:
    groups = _paren_groups(text)
    if not groups:
        return None
    m = re.search(r"([A-Za-z_]\w*)\s*$", text[: groups[-1][0]])
    return str(m.group(1)) if m else None


def _is_macro_call(text: str) -> bool:
    """``type_init(foo)`` or ``OBJECT_DEFINE_TYPE(...)``: one call, nothing around it."""
    m = _CALL_HEAD_RE.match(text)
    if m is None:
        return False
    depth = 0
    for k in range(m.end() - 1, len(text)):
        ch = text[k]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return not text[k + 1 :].strip()
    return False


def _first_argument(text: str) -> str | None:
    groups = _paren_groups(text)
    if not groups:
        return None
    start, end = groups[0]
    m = re.match(r"\s*([A-Za-z_]\w*)\s*[,)]", text[start + 1 : end])
    return str(m.group(1)) if m else None
