"""Q### checks: what a series does to the QAPI schema, and its doc comments.

A schema that no longer parses (Q001); and for what the series adds: a doc
section for every new member (Q101), its ``(Since X.Y)`` (Q102, Q103), a
``Since:`` for every new definition (Q104), doc sections in member order
(Q105), and the naming rules for new names (Q107). The spelling of the
added doc text (Q106) lives in ``qapi_spelling``, which imports the review
helpers from here.

The schema is only parsed when the series touches a ``.json`` file, so a
series that leaves the schema alone costs nothing here.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from reviewtool.checks.context import FINAL, CheckContext
from reviewtool.checks.registry import Hit, check
from reviewtool.errors import SchemaError
from reviewtool.findings import Severity
from reviewtool.location import TreeLocation
from reviewtool.qapi import SCHEMA_ROOTS
from reviewtool.qapi.compare import AddedMember, SchemaDiff
from reviewtool.qapi.model import Definition, Schema
from reviewtool.qapi.naming import c_name

# "10.2.50", "10.2.2", "9.1.90", "11.0.0-rc1"
VERSION_RE = re.compile(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?")

#: roots whose files do not overlap (storage-daemon's root includes qapi/ files)
_DOC_ROOTS = ("qapi/qapi-schema.json", "qga/qapi-schema.json")


# -- helpers -------------------------------------------------------------------


def expected_since(version_file: str | None) -> str | None:
    """The ``Since`` a new QAPI entity needs, from the text of ``VERSION``.

    ``X.Y.50`` and later is the development tree of the next release, which
    is ``X.(Y+1)``, or ``(X+1).0`` after a ``.2`` (three releases a year). A
    release or stable tree (micro < 50) gets the next feature release, which
    is the same formula. None when the text is not a version.

    >>> expected_since("10.2.50"), expected_since("10.1.90"), expected_since("10.2.2")
    ('11.0', '10.2', '11.0')
    """
    if version_file is None:
        return None
    m = VERSION_RE.match(version_file)
    if m is None:
        return None
    major, minor = int(m.group(1)), int(m.group(2))
    if minor >= 2:
        return f"{major + 1}.0"
    return f"{major}.{minor + 1}"


def _norm_version(v: str) -> str:
    """``11.0.0`` -> ``11.0`` (a trailing ``.0`` micro says nothing more)."""
    parts = v.split(".")
    while len(parts) > 2 and parts[-1] == "0":
        parts.pop()
    return ".".join(parts)


def _touches_json(ctx: CheckContext, k: int) -> bool:
    return any(f.path.endswith(".json") for f in ctx.diffs(k))


def _schema_slots(ctx: CheckContext) -> tuple[int, ...]:
    """The patch slots that touch a ``.json`` file (the only ones that can
    change a schema)."""
    return tuple(k for k in ctx.patch_slots if _touches_json(ctx, k))


def _roots(ctx: CheckContext, candidates: tuple[str, ...]) -> list[str]:
    """The configured root first, then the other candidate roots present in
    the final tree."""
    main = ctx.options.schema_root
    out = [main]
    final = ctx.tree_after(FINAL)
    out.extend(r for r in candidates if r != main and final.exists(r))
    return out


def _first_patch(
    ctx: CheckContext, slots: tuple[int, ...], root: str, present: Callable[[Schema], bool]
) -> int | None:
    """The first slot after which ``present(schema)`` holds (None: never)."""
    for k in slots:
        schema = ctx.schema(k, root)
        if isinstance(schema, Schema) and present(schema):
            return k
    return None


@dataclass(frozen=True, slots=True)
class _Review:
    """The schemas and difference one doc check needs, for one root."""

    root: str
    base: Schema
    final: Schema
    diff: SchemaDiff
    slots: tuple[int, ...]


def _reviews(ctx: CheckContext, *, order_only: bool = False) -> Iterator[_Review]:
    """One ``_Review`` per documented root the series changes and that parses
    before and after. ``order_only``: also a root whose only change is the
    order of doc sections (the schema difference does not see it)."""
    slots = _schema_slots(ctx)
    if not slots:
        return
    for root in _roots(ctx, _DOC_ROOTS):
        base = ctx.schema(0, root)
        final = ctx.schema(FINAL, root)
        diff = ctx.schema_diff(None, root)
        ready = isinstance(base, Schema) and isinstance(final, Schema) and diff is not None
        if ready and diff is not None and (order_only or not diff.is_empty):
            assert isinstance(base, Schema) and isinstance(final, Schema)
            yield _Review(root, base, final, diff, slots)


def _doc_exempt(schema: Schema, definition: Definition) -> bool:
    """A definition listed in the ``documentation-exceptions`` pragma, or
    undocumented in a schema that does not require docs."""
    exceptions = schema.pragmas.get("documentation-exceptions", ())
    if isinstance(exceptions, tuple) and definition.name in exceptions:
        return True
    return definition.doc is None and schema.pragmas.get("doc-required") is not True


def _member_patch(ctx: CheckContext, review: _Review, m: AddedMember) -> int | None:
    return _named_member_patch(ctx, review, m.definition, m.member)


def _named_member_patch(
    ctx: CheckContext, review: _Review, definition: str, member: str
) -> int | None:
    """The first slot after which ``definition`` has ``member`` (or branch)."""

    def has(schema: Schema) -> bool:
        d = schema.lookup(definition)
        return d is not None and (
            d.member(member) is not None
            or any(b.name == member for b in getattr(d, "branches", ()))
        )

    return _first_patch(ctx, review.slots, review.root, has)


def _traced(ctx: CheckContext, hit: Hit, after: int | None = None) -> Hit:
    """``hit`` with ``introduced_by``: the diff line that brought its line
    into the tree after slot ``after`` (None: the final tree)."""
    at = hit.at
    if not isinstance(at, TreeLocation) or at.line is None:
        return hit
    origin = ctx.applied.origin(at.path, at.line, after)
    if origin is None:
        return hit
    return dataclasses.replace(hit, introduced_by=origin)


def _definition_patch(ctx: CheckContext, review: _Review, name: str) -> int | None:
    def has(schema: Schema) -> bool:
        return schema.lookup(name) is not None

    return _first_patch(ctx, review.slots, review.root, has)


def _documented_new_members(review: _Review) -> Iterator[tuple[AddedMember, Definition]]:
    """Added members (not union branches) of definitions that need docs."""
    for m in review.diff.added_members:
        if m.role == "branch" and m.kind == "union":
            continue  # QEMU does not document union branches (alternates' it does)
        d = review.final.lookup(m.definition)
        if d is None or _doc_exempt(review.final, d):
            continue
        yield m, d


def _doc_lost_in_failed_apply(ctx: CheckContext, k: int, m: AddedMember) -> bool:
    """Whether patch ``k`` writes a doc section ``@member:`` into the member's
    file but some hunk of it there did not apply.

    Why: then the post-image is not what the author wrote; the doc hunk
    failed, or landed in another definition's doc (three doc blocks of
    qapi/migration.json share their context lines), and "no doc section"
    would blame the author for what P001 already reports.
    """
    result = ctx.applied.patch(k)
    path = m.location.path
    if result is None or all(f.ok for f in result.files if f.path == path):
        return False
    doc_line = re.compile(rf"^\s*#\s+@{re.escape(m.member)}:")
    return any(
        line.kind == "+" and doc_line.match(line.text)
        for f in ctx.diffs(k)
        if f.path == path
        for hunk in f.hunks
        for line in hunk.lines
    )


# -- Q001 ------------------------------------------------------------------------


@check("Q001", "qapi-schema-error", severity=Severity.ERROR)
def qapi_schema_error(ctx: CheckContext) -> Iterator[Hit]:
    """The QAPI schema no longer parses after a patch.

    Why: QEMU's build runs the QAPI generator on every schema root; a syntax
    error, an unknown key or a doc comment that names the wrong definition
    breaks the build for everyone, and hides every other schema change from
    review.

    Okay: ../common/ok-qapi-new-parameter.mbox
    Q001: flagged-missing-comma.mbox
    """
    slots = _schema_slots(ctx)
    if not slots:
        return
    reported: set[tuple[int, str]] = set()  # roots share files: one hit per error
    for root in _roots(ctx, SCHEMA_ROOTS):
        if not ctx.tree_after(0).exists(root) and root != ctx.options.schema_root:
            continue
        previous = ctx.schema(0, root)
        for k in slots:
            schema = ctx.schema(k, root)
            if isinstance(schema, SchemaError):
                same = isinstance(previous, SchemaError) and str(previous) == str(schema)
                if not same and (k, str(schema)) not in reported:
                    reported.add((k, str(schema)))
                    col = f" (column {schema.column})" if schema.column else ""
                    hit = Hit(
                        f"schema {root} does not parse: {schema.message}{col}",
                        at=TreeLocation(schema.path, schema.line),
                        patch=k,
                        extra={"member": None, "root": root, "column": schema.column},
                    )
                    yield _traced(ctx, hit, k)
            previous = schema


# -- Q101 ------------------------------------------------------------------------


@check("Q101", "qapi-member-undocumented", severity=Severity.WARNING)
def qapi_member_undocumented(ctx: CheckContext) -> Iterator[Hit]:
    """A new member of a documented QAPI definition has no doc section.

    Why: every member of a documented definition needs an ``@name:`` section;
    QEMU's doc generator rejects the schema otherwise (unless the definition
    is in the ``documentation-exceptions`` pragma), and the QMP reference is
    the only place users learn what the member does.

    Okay: ../common/ok-qapi-new-parameter.mbox
    Q101: flagged-no-doc-section.mbox
    """
    for review in _reviews(ctx):
        for m, d in _documented_new_members(review):
            if m.doc is not None:
                continue
            patch = _member_patch(ctx, review, m)
            if patch is not None and _doc_lost_in_failed_apply(ctx, patch, m):
                continue
            yield _traced(
                ctx,
                Hit(
                    f"{d.describe_member(m.member)} has no doc section '@{m.member}:'",
                    at=m.location,
                    patch=patch,
                    extra={"member": m.member, "definition": m.definition},
                ),
            )


# -- Q102 / Q103 ---------------------------------------------------------------


@check("Q102", "qapi-member-since-missing", severity=Severity.WARNING)
def qapi_member_since_missing(ctx: CheckContext) -> Iterator[Hit]:
    """A new member's doc section does not say ``(Since X.Y)``.

    Why: a member added after its definition first appeared must say in
    which release it appeared (docs/devel/qapi-code-gen.rst, "Definition
    documentation"); management software relies on it.

    Okay: ../common/ok-qapi-new-parameter.mbox
    Q102: flagged-no-since.mbox
    """
    expected = expected_since(ctx.base.read_text("VERSION"))
    for review in _reviews(ctx):
        for m, d in _documented_new_members(review):
            if m.doc is None or m.since is not None:
                continue
            want = f" (Since {expected})" if expected else ""
            yield _traced(
                ctx,
                Hit(
                    f"doc of {d.describe_member(m.member)} does not say{want or ' (Since X.Y)'}",
                    at=m.doc_location or m.location,
                    patch=_member_patch(ctx, review, m),
                    extra={"member": m.member, "definition": m.definition, "expected": expected},
                ),
            )


@check("Q103", "qapi-member-since-wrong", severity=Severity.WARNING)
def qapi_member_since_wrong(ctx: CheckContext) -> Iterator[Hit]:
    """A new member's ``(Since X.Y)`` is not the release under development.

    Why: the base tree's ``VERSION`` says which release is being developed
    (``10.2.50`` is the 11.0 cycle); a Since copied from an older revision
    of the series (``10.2`` in a re-post for 11.0) documents the wrong
    release.

    Okay: ../common/ok-qapi-new-parameter.mbox
    Q103: flagged-old-since.mbox
    """
    expected = expected_since(ctx.base.read_text("VERSION"))
    if expected is None:
        return
    for review in _reviews(ctx):
        for m, d in _documented_new_members(review):
            if m.since is None or _norm_version(m.since) == expected:
                continue
            yield _traced(
                ctx,
                Hit(
                    f"doc of {d.describe_member(m.member)} says (Since {m.since}), "
                    f"but the tree is developing {expected}",
                    at=m.doc_location or m.location,
                    patch=_member_patch(ctx, review, m),
                    extra={
                        "member": m.member,
                        "definition": m.definition,
                        "since": m.since,
                        "expected": expected,
                    },
                ),
            )


# -- Q104 ------------------------------------------------------------------------


@check("Q104", "qapi-definition-since", severity=Severity.WARNING)
def qapi_definition_since(ctx: CheckContext) -> Iterator[Hit]:
    """A new QAPI definition has no ``Since:`` section, or the wrong one.

    Why: every definition's doc ends with ``Since: X.Y``, the release that
    introduced it; the tree's ``VERSION`` says which release that is.

    Okay: ../common/ok-qapi-new-parameter.mbox
    Q104: flagged-new-command-no-since.mbox
    """
    expected = expected_since(ctx.base.read_text("VERSION"))
    for review in _reviews(ctx):
        for added in review.diff.added:
            d = added.definition
            if _doc_exempt(review.final, d):
                continue
            patch = _definition_patch(ctx, review, d.name)
            extra = {"member": None, "definition": d.name, "expected": expected}
            if d.doc is None:
                yield _traced(
                    ctx,
                    Hit(
                        f"new {d.describe()} has no doc comment",
                        at=d.location,
                        patch=patch,
                        extra=extra,
                    ),
                )
            elif d.doc.since is None:
                want = f" (expected 'Since: {expected}')" if expected else ""
                yield _traced(
                    ctx,
                    Hit(
                        f"doc of new {d.describe()} has no 'Since:' section{want}",
                        at=d.doc.location,
                        patch=patch,
                        extra=extra,
                    ),
                )
            elif expected is not None and _norm_version(d.doc.since) != expected:
                section = d.doc.tagged("Since")
                yield _traced(
                    ctx,
                    Hit(
                        f"new {d.describe()} says 'Since: {d.doc.since}', "
                        f"but the tree is developing {expected}",
                        at=section.location if section else d.doc.location,
                        patch=patch,
                        extra={**extra, "since": d.doc.since},
                    ),
                )


# -- Q105 ------------------------------------------------------------------------


def _doc_inversions(d: Definition | None) -> set[tuple[str, str]]:
    """The pairs ``(a, b)`` of ``d``'s members whose doc section ``@a:``
    comes before ``@b:`` although member ``a`` is declared after ``b``."""
    if d is None or d.doc is None:
        return set()
    order = {n: i for i, n in enumerate(d.member_names())}
    documented = [s.name for s in d.doc.members if s.name in order]
    return {
        (a, b)
        for i, a in enumerate(documented)
        for b in documented[i + 1 :]
        if a is not None and b is not None and order[a] > order[b]
    }


def _documented_order(d: Definition | None) -> list[str]:
    """``d``'s documented member names in doc order (members only)."""
    if d is None or d.doc is None:
        return []
    names = set(d.member_names())
    return [s.name for s in d.doc.members if s.name is not None and s.name in names]


# how much keeping a doc section in place is worth when choosing which
# sections to call misplaced: the tree's own sections first, then those the
# series moves, then those it adds
_KEEP_UNCHANGED, _KEEP_MOVED, _KEEP_ADDED = 3, 2, 1


def _kept_in_order(
    documented: list[str], order: dict[str, int], weight: dict[str, int]
) -> set[str]:
    """The heaviest set of ``documented`` names whose doc order agrees with
    their member ``order`` (a maximum weight increasing subsequence); the
    rest are the misplaced sections. Ties keep the earlier sections."""
    best: list[int] = []
    came_from: list[int | None] = []
    for i, name in enumerate(documented):
        prev = None
        for j in range(i):
            if order[documented[j]] < order[name] and (prev is None or best[j] > best[prev]):
                prev = j
        best.append(weight[name] + (best[prev] if prev is not None else 0))
        came_from.append(prev)
    kept: set[str] = set()
    at = max(range(len(best)), key=lambda i: (best[i], -i)) if best else None
    while at is not None:
        kept.add(documented[at])
        at = came_from[at]
    return kept


def _moved(old: list[str], new: list[str]) -> set[str]:
    """The names of both ``old`` and ``new`` that a move explains: those
    outside a longest common subsequence of the two orders (the rest kept
    their relative order)."""
    common = set(old) & set(new)
    a = [n for n in old if n in common]
    b = [n for n in new if n in common]
    # lengths[i][j]: the longest common subsequence of a[i:] and b[j:]
    lengths = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            lengths[i][j] = (
                lengths[i + 1][j + 1] + 1
                if a[i] == b[j]
                else max(lengths[i + 1][j], lengths[i][j + 1])
            )
    kept: set[str] = set()
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            kept.add(a[i])
            i, j = i + 1, j + 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1
    return common - kept


def misplaced_doc_sections(before: Definition | None, after: Definition) -> list[tuple[str, str]]:
    """``(section, other)`` for each doc section of ``after`` that the
    series put out of member order, in doc order; ``other`` is a section it
    is out of order with.

    Only a disorder the series introduces counts: when every doc order
    inversion of ``after`` is one ``before`` already had, nothing is
    reported (QEMU 10.2's MigrationParameter documents
    @multifd-qatzip-level before @multifd-zstd-level). Otherwise the
    sections to blame are those that are out of place when as many of the
    tree's own sections as possible stay where they are; only an added or
    moved section is blamed, never one the tree already had out of place
    (a new member documented right before @vfio in MigrationInfo, where
    @vfio has always been late, is in place). A definition that is new, or
    newly documented, has all its sections counted as added.
    """
    documented = _documented_order(after)
    old_inversions = _doc_inversions(before)
    if not documented or not (_doc_inversions(after) - old_inversions):
        return []
    order = {n: i for i, n in enumerate(after.member_names())}
    had = set(_documented_order(before))
    moved = _moved(_documented_order(before), documented)
    if before is not None:
        moved |= _moved(list(before.member_names()), list(after.member_names()))
    weight = {
        n: _KEEP_ADDED if n not in had else _KEEP_MOVED if n in moved else _KEEP_UNCHANGED
        for n in documented
    }
    kept = _kept_in_order(documented, order, weight)
    out = []
    for i, name in enumerate(documented):
        if name in kept or weight[name] == _KEEP_UNCHANGED:
            continue
        # the nearest kept section it is out of order with, in doc order
        others = [
            other
            for j, other in sorted(enumerate(documented), key=lambda jo: abs(jo[0] - i))
            if other in kept and (j < i) != (order[other] < order[name])
        ]
        if others:
            out.append((name, others[0]))
    return out


@check("Q105", "qapi-doc-member-order", severity=Severity.WARNING)
def qapi_doc_member_order(ctx: CheckContext) -> Iterator[Hit]:
    """A series puts doc sections of a definition out of member order.

    Why: the generated QMP reference lists members in doc order; a new
    member documented in another place than it is declared makes the doc
    and the schema read differently, and reviewers ask for the same order.
    Only an order the series introduces counts (a new definition, or an
    added or moved member or doc section out of place); a disorder the base
    tree already has is left alone.

    Okay: ../common/ok-qapi-new-parameter.mbox
    Q105: flagged-doc-out-of-order.mbox
    """
    for review in _reviews(ctx, order_only=True):
        if review.base is review.final:
            continue  # no patch changed this root's files
        for name, d in review.final.definitions.items():
            if d.doc is None:
                continue
            old = review.base.lookup(name)
            if old is not None and old.doc == d.doc and old.member_names() == d.member_names():
                continue  # neither the doc nor the members changed
            misplaced = misplaced_doc_sections(old, d)
            if not misplaced:
                continue
            blamed, other = misplaced[0]
            position = {n: i for i, n in enumerate(_documented_order(d))}
            relation = (
                "before '@{o}', but declared after it"
                if position[blamed] < position[other]
                else "after '@{o}', but declared before it"
            ).format(o=other)
            section = d.doc.member(blamed)

            def has(
                schema: Schema, name: str = name, blamed: str = blamed, was: Definition | None = old
            ) -> bool:
                now = schema.lookup(name)
                return now is not None and any(
                    m == blamed for m, _ in misplaced_doc_sections(was, now)
                )

            yield _traced(
                ctx,
                Hit(
                    f"doc of {d.describe()}: '@{blamed}' is documented {relation} "
                    "(members are in another order)",
                    at=section.location if section is not None else d.doc.location,
                    patch=_first_patch(ctx, review.slots, review.root, has),
                    extra={"member": blamed, "definition": d.name, "other_member": other},
                ),
            )


# -- Q107 ------------------------------------------------------------------------

# "__com.redhat_drive-mirror" -> prefix "__com.redhat_", stem "drive-mirror"
_DOWNSTREAM_RE = re.compile(r"^(__[A-Za-z0-9.-]+_)?(.*)$")
_LOWER_RE = re.compile(r"^[a-z][a-z0-9-]*$")  # "backend-transfer"
_LOWER_VALUE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")  # enum values may start with a digit
_CAMEL_RE = re.compile(r"^[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$")  # "MigrationParameters"
_UPPER_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")  # "MIGRATION_PASS"
_ANY_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def _pragma_names(schema: Schema, pragma: str) -> tuple[str, ...]:
    value = schema.pragmas.get(pragma, ())
    return value if isinstance(value, tuple) else ()


def name_problem(
    what: str, name: str, *, permit_underscore: bool = False, permit_upper: bool = False
) -> str | None:
    """What is wrong with ``name`` for a ``what`` ("member", "value", "type",
    "command", "event", "feature"), or None. Follows the naming rules of
    docs/devel/qapi-code-gen.rst ("Naming rules and reserved names").

    >>> name_problem("member", "backend_transfer")
    "must be lower case with words separated by '-' (not '_')"
    """
    if name.startswith("q_"):
        return "names starting with 'q_' are reserved for the generator"
    m = _DOWNSTREAM_RE.match(name)
    stem = m.group(2) if m else name
    if not _ANY_NAME_RE.match(stem) or (stem[:1].isdigit() and what != "value"):
        return "must start with a letter and use only letters, digits, '-' and '_'"
    if what in ("member", "value", "command", "feature"):
        if what == "member" and (stem == "u" or stem.startswith(("has-", "has_"))):
            return "'u' and names starting with 'has-' or 'has_' are reserved"
        probe = stem
        if permit_underscore:
            probe = probe.replace("_", "-")
        if permit_upper:
            probe = probe.lower()
        pattern = _LOWER_VALUE_RE if what == "value" else _LOWER_RE
        if not pattern.match(probe):
            if "_" in probe and pattern.match(probe.replace("_", "-")):
                return "must be lower case with words separated by '-' (not '_')"
            return "must be lower case with words separated by '-'"
        return None
    if what == "type":
        if stem.endswith("List"):
            return "type names ending in 'List' are reserved for array types"
        if not _CAMEL_RE.match(stem):
            return "must be CamelCase"
        return None
    if what == "event" and not _UPPER_RE.match(stem):
        return "must be ALL_CAPS with words separated by '_'"
    return None


@check("Q107", "qapi-name-rules", severity=Severity.ERROR)
def qapi_name_rules(ctx: CheckContext) -> Iterator[Hit]:
    """A new QAPI name breaks the naming rules, or clashes in C.

    Why: QEMU's generator rejects member names with '_' or upper case (unless
    the ``member-name-exceptions`` pragma lists the type), reserved names
    (``q_*``, ``has-*``, ``u``, ``*List``), types that are not CamelCase,
    events that are not ALL_CAPS, and two members that map to the same C
    name (``a-b`` and ``a_b``); the build fails.

    Okay: ../common/ok-qapi-new-parameter.mbox
    Q107: flagged-underscore-member.mbox
    """
    for review in _reviews(ctx):
        final = review.final
        member_exceptions = _pragma_names(final, "member-name-exceptions")
        command_exceptions = _pragma_names(final, "command-name-exceptions")
        for added in review.diff.added:
            d = added.definition
            what = {"command": "command", "event": "event"}.get(d.kind, "type")
            problem = name_problem(what, d.name, permit_underscore=d.name in command_exceptions)
            if problem:
                yield _traced(
                    ctx,
                    Hit(
                        f"name of new {d.describe()} {problem}",
                        at=d.location,
                        patch=_definition_patch(ctx, review, d.name),
                        extra={"member": None, "definition": d.name},
                    ),
                )
        new_members: dict[str, list[str]] = {}
        for d_name, m_name in [
            (m.definition, m.member) for m in review.diff.added_members if m.role != "branch"
        ] + [(a.name, m) for a in review.diff.added for m in a.definition.member_names()]:
            new_members.setdefault(d_name, []).append(m_name)
        for d_name, names in new_members.items():
            owner = final.lookup(d_name)
            if owner is None:
                continue
            permit = d_name in member_exceptions
            what = "value" if owner.kind == "enum" else "member"
            by_c: dict[str, list[str]] = {}
            for m in owner.members:
                by_c.setdefault(c_name(m.name, protect=False), []).append(m.name)
            for name in names:
                entry = owner.member(name)
                if entry is None:
                    continue
                problem = name_problem(what, name, permit_underscore=permit, permit_upper=permit)
                others = [o for o in by_c[c_name(name, protect=False)] if o != name]
                if problem is None and others:
                    problem = f"clashes in C with '{others[0]}' (both are '{c_name(name)}')"
                if problem is None:
                    continue
                m_patch = _named_member_patch(ctx, review, d_name, name)
                yield _traced(
                    ctx,
                    Hit(
                        f"{owner.describe_member(name)} {problem}",
                        at=entry.location,
                        patch=m_patch,
                        extra={"member": name, "definition": d_name},
                    ),
                )
