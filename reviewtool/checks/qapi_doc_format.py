"""Q108, Q109: schema rules QEMU's QAPI generator enforces beyond syntax.

Q108: the layout of doc comment lines a patch adds (at most 70 columns,
two spaces between sentences), as QEMU 10.2's generator checks it; whether
the tree under review enforces it comes from ``rules/qapi-doc-format.toml``.
Q109: a type reference the series adds or changes names no type of the
post-image schema.

Both break the build (the generator rejects the schema), so both are errors.
The helpers that validate a whole file (``doc_format_problems``) or a whole
schema (``unknown_type_refs``) are public: the tests run them on a real QEMU
tree to show the rules agree with QEMU's.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewtool.checks.context import FINAL, CheckContext
from reviewtool.checks.registry import Hit, Scope, check
from reviewtool.errors import InputError
from reviewtool.findings import Severity
from reviewtool.location import TreeLocation
from reviewtool.qapi import SCHEMA_ROOTS
from reviewtool.qapi.compare import compare_schemas
from reviewtool.qapi.model import Command, Definition, Event, Member, Schema, Struct, Union
from reviewtool.series import Patch
from reviewtool.tree import Tree

RULES_FILE = "qapi-doc-format.toml"
LINE_LENGTH = "line-length"
TWO_SPACES = "two-spaces"
ALL_RULES = frozenset({LINE_LENGTH, TWO_SPACES})

# "10.2.50", "10.2.2", "11.0.0-rc1" -> the leading numbers
_VERSION_RE = re.compile(r"^\s*(\d+(?:\.\d+)*)")


# -- Q108 data -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocFormatRules:
    """``rules/qapi-doc-format.toml``: see the comments in that file."""

    min_version: tuple[int, ...]
    parser_path: str
    schema_paths: tuple[str, ...]
    max_columns: int
    enforced_if: Mapping[str, str]  # rule name -> text of the generator's error message

    def is_schema_file(self, path: str) -> bool:
        return any(fnmatch.fnmatchcase(path, glob) for glob in self.schema_paths)


def parse_version(text: str | None) -> tuple[int, ...] | None:
    """``"10.2.50\\n"`` -> ``(10, 2, 50)``; None when ``text`` is not a version."""
    m = _VERSION_RE.match(text or "")
    return tuple(int(n) for n in m.group(1).split(".")) if m else None


def parse_doc_format_rules(text: str, source: str) -> DocFormatRules:
    """The rules from TOML ``text``; raises InputError naming ``source``."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
        rules: dict[str, Any] = data["rules"]
        min_version = parse_version(str(data["min_version"]))
        if min_version is None:
            raise ValueError(f"min_version {data['min_version']!r} is not a version")
        unknown = set(rules) - ALL_RULES
        if unknown:
            raise ValueError(f"unknown rules {sorted(unknown)}")
        return DocFormatRules(
            min_version=min_version,
            parser_path=str(data["parser_path"]),
            schema_paths=tuple(str(p) for p in data["schema_paths"]),
            max_columns=int(rules[LINE_LENGTH]["max_columns"]),
            enforced_if={name: str(rule["enforced_if"]) for name, rule in rules.items()},
        )
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"bad QAPI doc format rules: {e}", path=source) from e
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"bad QAPI doc format rules: {e!r}", path=source) from e


@functools.cache
def load_doc_format_rules() -> DocFormatRules:
    """The bundled ``reviewtool/rules/qapi-doc-format.toml``."""
    # read from the package's folder directly (see threading_rules.load_packs)
    entry = Path(__file__).resolve().parent.parent / "rules" / RULES_FILE
    return parse_doc_format_rules(entry.read_text(encoding="utf-8"), f"rules/{RULES_FILE}")


def enforced_rules(tree: Tree, rules: DocFormatRules) -> frozenset[str]:
    """The doc format rules ``tree``'s QAPI generator enforces.

    A tree with the generator (``parser_path``) enforces a rule iff the
    generator has that rule's error message. A tree without it (the bundled
    sample tree) enforces every rule iff its ``VERSION`` is at least
    ``min_version``; nothing when the version cannot be read.
    """
    parser = tree.read_text(rules.parser_path)
    if parser is not None:
        lowered = parser.lower()
        return frozenset(n for n, text in rules.enforced_if.items() if text.lower() in lowered)
    version = parse_version(tree.read_text("VERSION"))
    if version is None:
        return frozenset()
    width = max(len(version), len(rules.min_version))

    def padded(v: tuple[int, ...]) -> tuple[int, ...]:
        return v + (0,) * (width - len(v))

    return (
        frozenset(rules.enforced_if)
        if padded(version) >= padded(rules.min_version)
        else frozenset()
    )


# -- Q108: doc comment lines -------------------------------------------------------

# a literal block starts at a line that is only "::" or ".. qmp-example::"
_LITERAL_START_RE = re.compile(r"(?:\.\. +qmp-example)? *::$")
# a line that is only a URL may be longer: "    https://qemu.org/docs/..."
_URL_LINE_RE = re.compile(r" *(?:https?|ftp)://[^ ]*$")
# One space after a sentence's end, before an upper-case letter, a digit or
# "(": "supports it. In", "socket). Individual", "option. (Since 11.0)".
# "e.g. Foo" and a numbered item "1. Foo" at the start of the line match
# first and are let through; like the generator, the scan resumes after
# each match's end.
_SENTENCE_GAP_RE = re.compile(r"(?:(?P<eg>\be\.g\.)|(?P<item>^ *\d\.)|(?P<stop>[.!?])) [A-Z0-9(]")
# a member or feature section: "@backend-transfer: Enable ..."
_SECTION_RE = re.compile(r"@([^:\s]+):")
# a tagged section ends a member's: "Since: 11.0", "Returns: ..."
_TAG_RE = re.compile(r"(?:Returns|Errors|Since|TODO|Features):")


@dataclass(frozen=True, slots=True)
class DocLine:
    """A doc comment line the generator checks (outside literal blocks)."""

    line: int  # 1-based line of the file
    text: str  # after the "# ", right-stripped: what the generator checks
    hash_column: int  # 1-based column of the line's '#'
    definition: str | None  # the symbol of the doc comment ("@MigrationParameters:")
    member: str | None  # the member or feature section the line is in


@dataclass(frozen=True, slots=True)
class DocLineProblem:
    """One rule a doc line breaks; ``column`` is 1-based, as the generator's."""

    rule: str  # LINE_LENGTH or TWO_SPACES
    message: str
    column: int
    doc_line: DocLine


class _DocBlockState:
    """Where the scan is inside one ``##`` ... ``##`` doc comment."""

    __slots__ = ("definition", "first", "literal", "literal_indent", "member", "previous_blank")

    def __init__(self) -> None:
        self.first = True
        self.definition: str | None = None
        self.member: str | None = None
        self.previous_blank = False
        self.literal = False
        self.literal_indent = 0

    def follow(self, text: str) -> bool:
        """Track sections and literal mode for line ``text``; True when the
        generator checks the line's format."""
        if not text:
            self.first = False
            self.previous_blank = True
            return False  # a bare "#": nothing to check
        if self.first and text.startswith("@") and text.endswith(":"):
            self.definition = text[1:-1]
        elif (m := _SECTION_RE.match(text)) is not None:
            self.member = m.group(1)
        elif _TAG_RE.match(text) or (self.previous_blank and not text[0].isspace()):
            self.member = None  # a tagged section, or plain text after a blank line
        self.first = False
        self.previous_blank = False
        # Literal blocks ("::" then indented lines) are exempt; they end at
        # the first line indented less than the block's first line. An
        # unindented line sets no indent, so unindented text after "::"
        # stays literal (as in QEMU 10.2.2's parser).
        if _LITERAL_START_RE.match(text):
            self.literal = True
            self.literal_indent = 0
        elif self.literal:
            indent = len(text) - len(text.lstrip())
            if self.literal_indent == 0:
                self.literal_indent = indent
            elif indent < self.literal_indent:
                self.literal = False
        return not self.literal


def scan_doc_lines(text: str) -> Iterator[DocLine]:
    """Every doc comment line of a schema file whose format the generator
    checks: lines between a ``##`` line and the next, outside literal
    blocks, bare ``#`` lines left out. Blank lines inside a doc comment are
    skipped (the generator's lexer does); any other line that is not a
    comment ends it (the generator rejects that file anyway)."""
    block: _DocBlockState | None = None
    for n, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.lstrip()
        if block is None:
            if stripped.startswith("##") and not stripped[2:].strip():
                block = _DocBlockState()
            continue
        if not stripped:
            continue
        if not stripped.startswith("#") or stripped.startswith("##"):
            block = None
            continue
        if stripped.rstrip() != "#" and stripped[1:2] != " ":
            continue  # "#foo": the generator's "missing space after #"
        content = stripped[2:].rstrip()
        if block.follow(content):
            yield DocLine(n, content, len(raw) - len(stripped) + 1, block.definition, block.member)


def doc_line_problems(
    doc_line: DocLine, rules: DocFormatRules, enforced: Iterable[str] = ALL_RULES
) -> list[DocLineProblem]:
    """The rules in ``enforced`` that ``doc_line`` breaks (at most one each,
    the first spot, as the generator reports it)."""
    enforced = frozenset(enforced)
    text = doc_line.text
    out: list[DocLineProblem] = []
    limit = rules.max_columns
    length = len(text) + 2  # the "# " counts
    if LINE_LENGTH in enforced and length > limit and not _URL_LINE_RE.match(text):
        column = doc_line.hash_column + limit
        out.append(
            DocLineProblem(
                LINE_LENGTH,
                f"documentation line longer than {limit} characters "
                f"({length}; column {column} is past the limit)",
                column,
                doc_line,
            )
        )
    if TWO_SPACES in enforced:
        for m in _SENTENCE_GAP_RE.finditer(text):
            if m.group("stop") is None:
                continue  # "e.g. Foo", "1. Foo"
            stop = m.start("stop")
            # the generator points at the space after the full stop
            column = doc_line.hash_column + 2 + stop + 1
            # "supports it. In": the words on both sides of the gap
            around = f"{text[: stop + 1].split()[-1]} {text[stop + 2 :].split()[0]}"
            out.append(
                DocLineProblem(
                    TWO_SPACES,
                    f"Use two spaces between sentences (column {column}: '{around}')",
                    column,
                    doc_line,
                )
            )
            break
    return out


def doc_format_problems(
    text: str, rules: DocFormatRules | None = None, enforced: Iterable[str] = ALL_RULES
) -> list[DocLineProblem]:
    """Every doc format problem of a whole schema file's ``text``, in line order."""
    rules = rules or load_doc_format_rules()
    enforced = frozenset(enforced)
    return [p for d in scan_doc_lines(text) for p in doc_line_problems(d, rules, enforced)]


@check("Q108", "qapi-doc-line-format", severity=Severity.ERROR, scope=Scope.PATCH)
def qapi_doc_line_format(ctx: CheckContext, patch: Patch) -> Iterator[Hit]:
    """An added QAPI doc comment line is too long or has one space between sentences.

    Why: since QEMU 10.2 the QAPI generator rejects doc comment lines longer
    than 70 columns (the ``# `` counts; a line that is only a URL and
    literal ``::`` blocks are exempt) and sentences separated by a single
    space ("supports it. In general"); the build fails with "Use two spaces
    between sentences" or "documentation line longer than 70 characters".
    Only lines the patch adds are checked, and only when the base tree's
    generator has the rule (``rules/qapi-doc-format.toml``).

    Okay: ok-two-spaces.mbox
    Okay: ../common/ok-qapi-new-parameter.mbox
    Q108: flagged-single-space.mbox
    Q108: flagged-long-line.mbox
    """
    k = patch.index
    rules = load_doc_format_rules()
    paths = [
        f.path for f in ctx.diffs(k) if f.new_path is not None and rules.is_schema_file(f.path)
    ]
    if not paths:
        return
    enforced = enforced_rules(ctx.base, rules)
    if not enforced:
        return
    for path in dict.fromkeys(paths):
        applied = ctx.applied.file_after(path, k)
        if applied is None:
            continue  # deleted, or the patch did not apply to it
        origins = applied.origins
        text = applied.content.decode("utf-8", errors="replace")
        for doc_line in scan_doc_lines(text):
            origin = origins[doc_line.line - 1] if doc_line.line <= len(origins) else None
            if origin is None or origin.patch != k:
                continue  # not added by this patch
            for problem in doc_line_problems(doc_line, rules, enforced):
                yield Hit(
                    problem.message,
                    at=TreeLocation(path, doc_line.line),
                    patch=k,
                    introduced_by=origin,
                    extra={
                        "member": doc_line.member,
                        "definition": doc_line.definition,
                        "rule": problem.rule,
                        "column": problem.column,
                    },
                )


# -- Q109: type references ----------------------------------------------------------

#: types every schema has without defining them (QType is the generator's enum)
BUILTIN_TYPES = frozenset(
    ["str", "number", "int", "size", "bool", "null", "any", "QType"]
    + [f"{sign}int{bits}" for sign in ("", "u") for bits in (8, 16, 32, 64)]
)


@dataclass(frozen=True, slots=True)
class TypeRef:
    """One place a definition names a type: a member, a base, a branch, a
    command's or event's ``'data'`` type or a command's ``'returns'``."""

    definition: str
    role: str  # "member", "branch", "base", "data", "returns"
    name: str | None  # the member's or branch's name
    type: str  # as written; arrays as "[T]"
    location: TreeLocation

    @property
    def element(self) -> str:
        """The named type: ``"[str]"`` -> ``"str"``."""
        return (
            self.type[1:-1] if self.type.startswith("[") and self.type.endswith("]") else self.type
        )


@dataclass(frozen=True, slots=True)
class UnknownType:
    """A ``TypeRef`` the schema cannot resolve, and why."""

    ref: TypeRef
    problem: str  # "unknown type 'Foo'", "'query-foo' is a command, not a type"


def _head_refs(d: Definition) -> dict[str, str]:
    """The types a definition names outside its members: base, data, returns."""
    out: dict[str, str] = {}
    if isinstance(d, Struct | Union) and d.base is not None:
        out["base"] = d.base
    if isinstance(d, Command | Event) and d.arg_type is not None:
        out["data"] = d.arg_type
    if isinstance(d, Command) and d.returns is not None:
        out["returns"] = d.returns
    return out


def _member_ref(d: Definition, m: Member, role: str) -> TypeRef | None:
    if m.type is None:
        return None  # an enum value
    return TypeRef(d.name, role, m.name, m.type, m.location)


def _key_line(text: str | None, d: Definition, key: str) -> int | None:
    """The line of ``'key':`` in ``d``'s expression (None: not found)."""
    if text is None or d.location.line is None:
        return None
    pattern = re.compile(rf"'{re.escape(key)}'\s*:")
    lines = text.split("\n")
    for n in range(d.location.line - 1, len(lines)):
        line = lines[n]
        if n >= d.location.line and (line.startswith("{") or line.lstrip().startswith("##")):
            return None  # the next definition
        if pattern.search(line):
            return n + 1
    return None


def _head_ref(tree: Tree | None, d: Definition, role: str, type_: str) -> TypeRef:
    text = tree.read_text(d.location.path) if tree is not None else None
    line = _key_line(text, d, role)
    where = TreeLocation(d.location.path, line) if line is not None else d.location
    return TypeRef(d.name, role, None, type_, where)


def type_refs(d: Definition, tree: Tree | None = None) -> Iterator[TypeRef]:
    """Every type ``d`` names. ``tree`` (holding ``d``'s file) lets a base,
    data or returns type point at its own line instead of the definition's."""
    for role, type_ in _head_refs(d).items():
        yield _head_ref(tree, d, role, type_)
    member_role = "branch" if d.kind == "alternate" else "member"
    for m in d.members:
        if (ref := _member_ref(d, m, member_role)) is not None:
            yield ref
    if isinstance(d, Union):
        for b in d.branches:
            if (ref := _member_ref(d, b, "branch")) is not None:
                yield ref


def resolve(schema: Schema, ref: TypeRef) -> UnknownType | None:
    """Why ``ref`` does not resolve in ``schema`` (None when it does)."""
    name = ref.element
    if name in BUILTIN_TYPES:
        return None
    found = schema.lookup(name)
    if found is None:
        return UnknownType(ref, f"unknown type '{name}'")
    if found.kind in ("command", "event"):
        return UnknownType(ref, f"'{name}' is {found.describe()}, not a type")
    return None


def unknown_type_refs(
    schema: Schema, definitions: Iterable[Definition] | None = None, tree: Tree | None = None
) -> Iterator[UnknownType]:
    """The type references of ``definitions`` (default: all of ``schema``'s)
    that ``schema`` does not resolve."""
    for d in schema.definitions.values() if definitions is None else definitions:
        for ref in type_refs(d, tree):
            if (problem := resolve(schema, ref)) is not None:
                yield problem


def _changed_refs(before: Schema, after: Schema, tree: Tree) -> Iterator[TypeRef]:
    """The type references in ``after`` that are new or changed since ``before``."""
    diff = compare_schemas(before, after)
    for a in diff.added:
        yield from type_refs(a.definition, tree)
    for m in diff.added_members:
        owner = after.lookup(m.definition)
        if owner is not None and (ref := _member_ref(owner, m.entry, m.role)) is not None:
            yield ref
    for c in diff.changed_members:
        owner = after.lookup(c.definition)
        if owner is None or c.before.type == c.after.type:
            continue
        if (ref := _member_ref(owner, c.after, c.role)) is not None:
            yield ref
    for name in dict.fromkeys(c.name for c in diff.changed):
        old, new = before.lookup(name), after.lookup(name)
        if old is None or new is None:
            continue
        if old.kind != new.kind:
            yield from type_refs(new, tree)
            continue
        old_heads = _head_refs(old)
        for role, type_ in _head_refs(new).items():
            if old_heads.get(role) != type_:
                yield _head_ref(tree, new, role, type_)


def _describe_ref(schema: Schema, ref: TypeRef) -> str:
    d = schema.lookup(ref.definition)
    owner = d.describe() if d is not None else f"'{ref.definition}'"
    if ref.name is not None:
        return f"{ref.role} '{ref.name}' of {owner}"
    return f"'{ref.role}' of {owner}"


@check("Q109", "qapi-unknown-type", severity=Severity.ERROR)
def qapi_unknown_type(ctx: CheckContext) -> Iterator[Hit]:
    """A type reference the series adds or changes names no type of the schema.

    Why: the QAPI generator resolves every member, base, branch, command
    ``'data'`` / ``'returns'`` and event ``'data'`` type and fails the build
    on an unknown one ("uses unknown type"); a typo in a type name, or a type
    a later patch of the series adds, breaks the build (and bisection) at
    that patch. Checked after each patch that touches a schema file, only
    for the references that patch adds or changes.

    Okay: ok-known-types.mbox
    Okay: ../common/ok-qapi-new-parameter.mbox
    Q109: flagged-unknown-type.mbox
    """
    slots = tuple(k for k in ctx.patch_slots if any(f.path.endswith(".json") for f in ctx.diffs(k)))
    if not slots:
        return
    reported: set[tuple[str, int | None, str]] = set()
    base = ctx.tree_after(0)
    final = ctx.tree_after(FINAL)
    roots = [r for r in SCHEMA_ROOTS if base.exists(r) or final.exists(r)]
    if ctx.options.schema_root not in roots:
        roots.insert(0, ctx.options.schema_root)
    for root in roots:
        final_schema = ctx.schema(FINAL, root)
        previous = ctx.schema(0, root)  # the last schema that parsed
        for k in slots:
            current = ctx.schema(k, root)
            if not isinstance(current, Schema):
                continue  # the parse error is Q001's finding
            if not isinstance(previous, Schema):
                previous = current
                continue
            for ref in _changed_refs(previous, current, ctx.tree_after(k)):
                problem = resolve(current, ref)
                key = (ref.location.path, ref.location.line, ref.type)
                if problem is None or key in reported:
                    continue
                reported.add(key)
                origin = None
                if ref.location.line is not None:
                    origin = ctx.applied.origin(ref.location.path, ref.location.line, k)
                later = ""
                if isinstance(final_schema, Schema) and resolve(final_schema, ref) is None:
                    later = " (a later patch of the series defines it)"
                yield Hit(
                    f"{_describe_ref(current, ref)} uses {problem.problem}{later}",
                    at=ref.location,
                    patch=k,
                    introduced_by=origin,
                    extra={
                        "member": ref.name,
                        "definition": ref.definition,
                        "role": ref.role,
                        "type": ref.type,
                        "root": root,
                    },
                )
            previous = current
