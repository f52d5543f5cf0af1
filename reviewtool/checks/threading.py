"""X1xx: a new QAPI member must reach every C site its type needs.

When a series adds a member to a watched QAPI type (a migration parameter
or capability, or any enum whose ``__MAX`` sizes a C table), every C site
that QEMU needs for it must mention it, after the whole series and after
each patch (bisectability). The sites come from two sources, combined:

* rule packs (``reviewtool/rules/*.toml``, see ``threading_rules``), one per
  QEMU layout, detected from the tree: each site with its class, the member
  types it applies to, and what breaks without it;
* inference from the base tree: a top-level function or initialiser (in the
  pack's scope, plus the files the series touches) that mentions all, or all
  but a few, existing members of the type is a site a new member needs too.
  This keeps the check right when QEMU reshapes the code again.

Codes (one per class; the runner stamps the severity):
X101 required site missing (error), X102 expected site missing (warning),
X103 convention site missing (info), X110 enum table entry missing (warning).
Every finding carries ``member``, ``site`` {path, function}, ``class``,
``source`` ("rule pack NAME" or "inferred"), ``first_missing_patch``,
``fixed_by_patch``, ``breaks``, ``suggested`` and ``evidence``.

Each check also yields a ``Passed`` per (member, site) of its class that it
verified: the site mentions the member in the final tree and has no finding
(the schema definitions count as required sites). A pass carries
``member``, ``site``, ``class``, ``source``, ``title`` (the site as the pack
names it) and ``label`` (a short form for one-line lists), and belongs to the
patch that adds the member.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from reviewtool.checks.context import FINAL, CheckContext
from reviewtool.checks.registry import Hit, Passed, check
from reviewtool.checks.threading_engine import (
    InferredSite,
    SitePass,
    SiteResult,
    Snapshot,
    infer_sites,
    judge_enum_value,
    judge_member,
    thread_enum_value,
    thread_member,
    watched_members,
)
from reviewtool.checks.threading_rules import (
    RulePack,
    SiteRule,
    WatchedMember,
    choose_packs,
    load_packs,
    member_traits,
)
from reviewtool.diff import Hunk
from reviewtool.errors import SchemaError
from reviewtool.findings import Severity
from reviewtool.location import DiffLocation, TreeLocation
from reviewtool.qapi.model import Enum, Schema
from reviewtool.qapi.naming import c_enum_const, c_name

CODES = {"required": "X101", "expected": "X102", "convention": "X103", "table": "X110"}


# --------------------------------------------------------------------------
# the checks


@dataclass(slots=True)
class _Run:
    ctx: CheckContext
    results: list[SiteResult] = field(default_factory=list)
    schema_hits: list[Hit] = field(default_factory=list)
    # member -> the diff line that added it to the schema (for mail replies)
    origins: dict[str, DiffLocation] = field(default_factory=dict)
    # (pack name, site id) -> the rule, for what the findings need beyond
    # the SiteResult (whether the site breaks at startup)
    rules: dict[tuple[str, str], SiteRule] = field(default_factory=dict)
    # (patch that adds the member, site) for every site found threaded
    passes: list[tuple[int, SitePass]] = field(default_factory=list)


_LAST: list[_Run] = []


def _run(ctx: CheckContext) -> _Run:
    """Evaluate every added member once per context (four checks share it)."""
    if _LAST and _LAST[0].ctx is ctx:
        return _LAST[0]
    run = _Run(ctx)
    _LAST[:] = [run]
    if ctx.applied.ok and not ctx.schema_touched():
        # every hunk applied and none changes a schema file: no member is
        # added (and none is lost with a failed hunk), so nothing to thread
        return run
    diff = ctx.schema_diff()
    before = ctx.schema(0)
    after = ctx.schema(FINAL)
    if diff is None or isinstance(before, SchemaError) or isinstance(after, SchemaError):
        return run
    final_tree = ctx.tree_after(FINAL)
    packs = choose_packs(load_packs(), final_tree)
    run.rules = {(p.name, r.id): r for p in packs for r in p.sites}
    slots = ctx.patch_slots
    touched = sorted({f.path for k in slots for f in ctx.diffs(k) if f.path})
    added: dict[str, set[str]] = {}
    for am in diff.added_members:
        added.setdefault(am.definition, set()).add(am.member)
        if am.member not in run.origins and am.location.line is not None:
            origin = ctx.applied.origin(am.location.path, am.location.line)
            if origin is not None:
                run.origins[am.member] = origin

    failed = _failed_additions(ctx) if not ctx.applied.ok else {}
    for pack in packs:
        if pack.kind == "enum-tables":
            for def_name, values in sorted(added.items()):
                enum = after.lookup(def_name)
                if not isinstance(enum, Enum) or def_name in pack.skip_enums:
                    continue
                if before.lookup(def_name) is None:
                    continue  # a new enum has no tables yet
                for value in sorted(values):
                    snaps = _snapshots(ctx, slots, (def_name,), value)
                    judged = judge_enum_value(pack, enum, value, ctx.base, snaps)
                    run.results += judged.results
                    run.passes += [(snaps[0].k, p) for p in judged.passes]
            continue
        names: set[str] = set()
        for def_name in pack.schema_sites:
            names |= added.get(def_name, set())
        salvaged = _salvaged_members(ctx, pack, after) if failed else []
        if not names and not salvaged:
            continue
        existing_all = watched_members(before, pack)
        if salvaged:
            base_sites = infer_sites(pack, ctx.base, existing_all, touched)
            final_tree = ctx.tree_after(FINAL)
            for lost, k in salvaged:
                snap = Snapshot(k, final_tree, after)
                for r in thread_member(
                    pack, lost, existing_all, ctx.base, [snap], touched, base_sites
                ):
                    note = "its schema hunk did not apply; judged from the series' C code"
                    run.results.append(
                        replace(r, detail=f"{r.detail}; {note}" if r.detail else note)
                    )
        new_members = {m.name: m for m in watched_members(after, pack)}
        inferred = None
        for name in sorted(names):
            intro = _snapshots(ctx, slots, pack.schema_sites, name)[0].k
            run.schema_hits += list(_schema_site_hits(pack, after, name, intro))
            run.passes += [(intro, p) for p in _schema_site_passes(pack, after, name)]
            member = new_members.get(name)
            if member is None or (pack.struct is not None and member.type is None):
                # not in the enum or not in the struct: reported as a schema site
                # above; without its type the C sites cannot be told
                continue
            existing = [m for m in existing_all if m.name != name]
            if inferred is None:
                inferred = infer_sites(pack, ctx.base, existing, touched)
            snaps = _snapshots(ctx, slots, (pack.enum or "",), name)
            judged = judge_member(pack, member, existing, ctx.base, snaps, touched, inferred)
            run.results += judged.results
            run.passes += [(intro, p) for p in judged.passes]
    if failed:
        run.results = [
            r
            for r in run.results
            if not _would_have_added(failed.get(r.path, []), r.member, r.function)
        ]
        run.schema_hits = [
            h
            for h in run.schema_hits
            if not _would_have_added(failed.get(h.extra["site"]["path"], []), h.extra["member"])
        ]
    return run


def _would_have_added(hunks: Sequence[Hunk], member: str, function: str | None = None) -> bool:
    """Whether one of the failed ``hunks`` adds a line naming ``member`` to
    ``function`` (to anywhere in the file when the site has no function, or
    when a hunk cannot be placed: no section and no function start in it).

    A failed hunk elsewhere in the same file must not hide a site that the
    series really leaves out (the hunk for qmp_query_migrate_parameters()
    failing says nothing about migrate_params_test_apply())."""
    c = member.replace("-", "_").replace(".", "_")

    def names(text: str) -> bool:
        return c in text or c.upper() in text or member in text

    starts = re.compile(r"^\w.*\b(\w+)\s*(\(|\[)")  # a function or initialiser start
    for hunk in hunks:
        added = [line.text for line in hunk.lines if line.kind == "+"]
        if not any(names(text) for text in added):
            continue
        if function is None:
            return True
        fn = re.compile(r"\b" + re.escape(function) + r"\b")
        if fn.search(hunk.section):
            return True
        # the hunk may start in the function before and run into this one
        inside = False
        placed = bool(hunk.section)
        for line in hunk.lines:
            start = starts.match(line.text)
            if start is not None:
                placed = True
                inside = fn.search(line.text) is not None
            elif inside and line.kind == "+" and names(line.text):
                return True
        if not placed:
            return True  # no way to tell which function it was meant for
    return False


# A member in a schema line: "'*name': 'type'", "'*name': [ 'type' ]",
# "'*name': { 'type': 'type', ...", or an enum value "'name'"
_SCHEMA_MEMBER_RE = re.compile(
    r"'(?P<opt>\*?)(?P<name>[a-z][a-z0-9-]*)'"
    r"(?:\s*:\s*(?:\{\s*'type'\s*:\s*)?(?P<list>\[\s*)?'(?P<type>\w+)')?"
)
_QAPI_KEYWORDS = frozenset(
    ["name", "type", "data", "enum", "struct", "features", "if", "base", "prefix", "union"]
)


def _salvaged_members(
    ctx: CheckContext, pack: RulePack, after: Schema
) -> list[tuple[WatchedMember, int]]:
    """Members of ``pack``'s enum that a schema hunk which did not apply would
    have added (with the patch of that hunk), when the series' C code names
    them too (``K``, or ``parameters.c`` for a type with a struct).

    A series written for an older tree often fails only in its context
    lines; the C sites it fills or leaves out are still worth reporting
    (the ones its failed hunks would have filled are dropped later)."""
    if pack.enum is None:
        return []
    enum = after.lookup(pack.enum)
    if enum is None:
        return []
    known = set(enum.member_names())
    prefix = enum.prefix if isinstance(enum, Enum) else None
    types: dict[str, list[str]] = {}
    patch_of: dict[str, int] = {}
    c_added: list[str] = []
    for patch in ctx.applied.patches:
        hunks = {d.path: d.hunks for d in ctx.diffs(patch.index)}
        for result in patch.files:
            file_hunks = hunks.get(result.path, ())
            if result.path.endswith((".c", ".h")):
                c_added += [ln.text for h in file_hunks for ln in h.lines if ln.kind == "+"]
                continue
            if result.path != enum.location.path:
                continue  # only the file that defines the watched enum
            failed = {h.index for h in result.hunks if not h.ok}
            if result.outcome.value in ("failed", "refused", "not-applied"):
                failed = set(range(1, len(file_hunks) + 1))
            for i, hunk in enumerate(file_hunks, 1):
                if i not in failed:
                    continue
                for line in hunk.lines:
                    if line.kind != "+" or line.text.lstrip().startswith("#"):
                        continue
                    for m in _SCHEMA_MEMBER_RE.finditer(line.text):
                        name = m.group("name")
                        if name in known or name in _QAPI_KEYWORDS:
                            continue
                        patch_of.setdefault(name, patch.index)
                        if m.group("opt") and m.group("type"):
                            qtype = m.group("type")
                            types.setdefault(name, []).append(
                                f"[{qtype}]" if m.group("list") else qtype
                            )
    c_text = "\n".join(c_added)
    out = []
    for name, k in sorted(patch_of.items()):
        const = c_enum_const(pack.enum, name, prefix)
        c = c_name(name)
        # a capability has only its constant; a parameter also its field in
        # MigrationState (has_{c} alone could be any QAPI struct's member)
        forms = rf"\b{const}\b" + (rf"|\bparameters\.{c}\b" if pack.struct else "")
        if not re.search(forms, c_text):
            continue  # not a member of this type, or not implemented in C
        found = types.get(name, [])
        struct = after.lookup(pack.struct) if pack.struct else None
        entry = struct.member(name) if struct is not None else None
        if entry is not None and entry.type is not None:
            found.append(entry.type)  # only the enum's hunk failed
        qtype = next((t for t in found if t != "StrOrNull"), found[0] if found else None)
        if pack.struct is not None and qtype is None:
            continue  # without its type the C sites cannot be told
        set_type = "StrOrNull" if "StrOrNull" in found else None
        traits = member_traits(qtype, after, set_type) if pack.struct else frozenset()
        out.append((WatchedMember(name, const, qtype, traits), k))
    return out


def _failed_additions(ctx: CheckContext) -> dict[str, list[Hunk]]:
    """Per file, the hunks that did not apply: a site that one of them would
    have completed is not reported (P001 reports the hunk)."""
    out: dict[str, list[Hunk]] = {}
    for patch in ctx.applied.patches:
        diffs = {d.path: d for d in ctx.diffs(patch.index)}
        for result in patch.files:
            failed = {h.index for h in result.hunks if not h.ok}
            if result.outcome.value in ("failed", "refused", "not-applied"):
                failed = set(range(1, len(result.hunks) + 1)) or {0}
            file_diff = diffs.get(result.path)
            if not failed or file_diff is None:
                continue
            for i, hunk in enumerate(file_diff.hunks, 1):
                if i in failed or 0 in failed:
                    out.setdefault(result.path, []).append(hunk)
    return out


def _snapshots(
    ctx: CheckContext, slots: Sequence[int], definitions: Sequence[str], member: str
) -> list[Snapshot]:
    """The trees after each patch, from the first whose schema has ``member``
    in ``definition`` (the patch that adds it) to the last."""
    snaps: list[Snapshot] = []
    for k in slots:
        loaded = ctx.schema(k)
        schema = None if isinstance(loaded, SchemaError) else loaded
        if snaps or (schema is not None and any(_has(schema, d, member) for d in definitions)):
            snaps.append(Snapshot(k, ctx.tree_after(k), schema))
    if not snaps:
        final = ctx.schema(FINAL)
        schema = None if isinstance(final, SchemaError) else final
        snaps.append(Snapshot(slots[-1] if slots else 0, ctx.tree_after(FINAL), schema))
    return snaps


def _has(schema: Schema, definition: str, member: str) -> bool:
    d = schema.lookup(definition)
    return d is not None and member in d.member_names()


def _schema_site_hits(pack: RulePack, after: Schema, name: str, intro: int) -> Iterator[Hit]:
    present = [d for d in pack.schema_sites if _has(after, d, name)]
    for def_name in pack.schema_sites:
        definition = after.lookup(def_name)
        if definition is None or def_name in present:
            continue
        yield Hit(
            f"{pack.noun} '{name}' is added to {', '.join(present)} but not to "
            f"{definition.kind} {def_name}: the schema definitions must list the same members",
            at=definition.location,
            patch=intro,
            severity=Severity.ERROR,
            extra={
                "member": name,
                "site": {"path": definition.location.path, "function": def_name},
                "class": "required",
                "source": f"rule pack {pack.name}",
                "first_missing_patch": intro,
                "fixed_by_patch": None,
                "breaks": "the QAPI definitions disagree",
                "suggested": f"    '{name}',",
                "evidence": None,
            },
        )


def _schema_site_passes(pack: RulePack, after: Schema, name: str) -> Iterator[SitePass]:
    """The pack's schema definitions that list member ``name`` (required sites)."""
    for def_name in pack.schema_sites:
        definition = after.lookup(def_name)
        if definition is None or name not in definition.member_names():
            continue
        where = definition.location
        yield SitePass(
            name,
            f"schema:{def_name}",
            def_name,
            "required",
            f"rule pack {pack.name}",
            where.path,
            def_name,
            where.line,
            pack.noun,
        )


def _label(title: str) -> str:
    """A site's title made short for a one-line list: ``has_fields[] in
    migrate_mark_all_params_present()`` -> ``has_fields[]``, ``getter
    migrate_x()`` -> ``migrate_x()``, ``prototype of migrate_x()`` ->
    ``migrate_x() prototype``."""
    if title.startswith("getter "):
        return title.removeprefix("getter ")
    if title.startswith("prototype of "):
        return f"{title.removeprefix('prototype of ')} prototype"
    head, sep, _ = title.partition(" in ")
    return head if sep else title


def _message(r: SiteResult, startup: bool) -> str:
    where = r.title
    text = f"{r.noun} '{r.member}' is missing from {where}"
    if r.detail:
        text += f" ({r.detail})"
    text += f": {r.breaks}"
    if r.fixed_by_patch is not None:
        patches = (
            f"patch {r.first_missing_patch}"
            if r.fixed_by_patch == r.first_missing_patch + 1
            else f"patches {r.first_missing_patch} to {r.fixed_by_patch - 1}"
        )
        if startup:
            text += (
                f" [missing after {patches}, added only by patch {r.fixed_by_patch}: "
                "QEMU built from the tree in between aborts at startup, so the series "
                "does not bisect]"
            )
        else:
            text += (
                f" [missing after {patches}, added only by patch {r.fixed_by_patch}: "
                "the series does not bisect cleanly: the tree in between builds, but "
                "exposes the member without this site; add the member and its C sites "
                "in the same patch]"
            )
    return text


def _severity(r: SiteResult, startup: bool) -> Severity | None:
    """A required site missing only between patches: the final tree is right
    and every patch builds, so only a startup abort (which breaks every run,
    ``make check`` and bisection) stays an error; the rest (an HMP abort or an
    ignored value, reachable only by using the half-added member) is a warning."""
    if r.cls == "required" and r.fixed_by_patch is not None and not startup:
        return Severity.WARNING
    return None


def _hits(ctx: CheckContext, cls: str) -> Iterator[Hit | Passed]:
    run = _run(ctx)
    if cls == "required":
        yield from run.schema_hits
    for r in run.results:
        if r.cls != cls:
            continue
        pack = r.source.removeprefix("rule pack ")
        rule = run.rules.get((pack, r.site_id))
        startup = rule is not None and rule.startup
        yield Hit(
            _message(r, startup),
            at=TreeLocation(r.path, r.line, r.function),
            patch=r.first_missing_patch,
            severity=_severity(r, startup),
            introduced_by=run.origins.get(r.member),
            extra={
                "member": r.member,
                "site": {"path": r.path, "function": r.function},
                "class": r.cls,
                "source": r.source,
                "first_missing_patch": r.first_missing_patch,
                "fixed_by_patch": r.fixed_by_patch,
                "breaks": r.breaks,
                "suggested": r.suggested,
                "evidence": r.evidence,
            },
        )
    for patch, p in run.passes:
        if p.cls != cls:
            continue
        text = (
            f"{p.title} counts right with {p.noun} '{p.member}'"
            if p.counted
            else f"{p.noun} '{p.member}' is in {p.title}"
        )
        yield Passed(
            text,
            at=TreeLocation(p.path, p.line, p.function),
            patch=patch,
            extra={
                "member": p.member,
                "site": {"path": p.path, "function": p.function},
                "class": p.cls,
                "source": p.source,
                "title": p.title,
                "label": _label(p.title),
            },
        )


@check("X101", "threading-required-site-missing", severity=Severity.ERROR)
def threading_required_site_missing(ctx: CheckContext) -> Iterator[Hit | Passed]:
    """A new migration parameter or capability is missing from a required C site.

    Why: QEMU aborts or silently misbehaves when a member of a watched QAPI
    type is left out of a site every member needs: HMP
    ``migrate_set_parameter`` reaches ``g_assert_not_reached()``, the
    ``has_fields[]`` assert fails at startup, or ``migrate-set-parameters``
    drops the value. Sites come from the rule pack for the tree's layout;
    a member listed in only some of the type's schema definitions (the enum
    but not ``MigrationParameters``) is reported here too. A site missing
    after one patch and added by a later one breaks bisection and is
    reported with ``fixed_by_patch``: as an error when the tree in between
    aborts at startup (the 11.0 ``has_fields[]`` assert), as a warning when
    it only mishandles the half-added member (every patch still builds).

    Okay: ok-seed-fixed.mbox
    X101: flagged-seed.mbox
    """
    yield from _hits(ctx, "required")


@check("X102", "threading-expected-site-missing", severity=Severity.WARNING)
def threading_expected_site_missing(ctx: CheckContext) -> Iterator[Hit | Passed]:
    """A new migration parameter or capability is missing from an expected C site.

    Why: nearly every existing member appears at these sites (HMP ``info
    migrate_parameters``, ``migration_properties[]``, the ``has_`` list of
    the init function), so leaving one out is usually an oversight: the value
    is not shown, cannot be set with ``-global``, or escapes startup checks.
    Sites inferred from the base tree (a function that mentions all, or all
    but a few, existing members) are reported here too.

    Okay: ../X101/ok-seed-fixed.mbox
    X102: ../X101/flagged-seed.mbox
    """
    yield from _hits(ctx, "expected")


@check("X103", "threading-convention-site-missing", severity=Severity.INFO)
def threading_convention_site_missing(ctx: CheckContext) -> Iterator[Hit | Passed]:
    """A new migration parameter or capability skips a conventional site.

    Why: most members have a getter with a prototype, a range check when they
    are bounded integers, and a qtest; reviewers ask for them.

    Okay: ../X101/ok-seed-fixed.mbox
    X103: flagged-no-getter.mbox
    """
    yield from _hits(ctx, "convention")


@check("X110", "enum-table-entry-missing", severity=Severity.WARNING)
def enum_table_entry_missing(ctx: CheckContext) -> Iterator[Hit | Passed]:
    """A new enum value has no entry in a C table sized by the enum's ``__MAX``.

    Why: an array such as ``net_client_init_fun[NET_CLIENT_DRIVER__MAX]``
    filled with designated initialisers leaves the new slot zero or NULL;
    QEMU then rejects the value or calls through a NULL pointer.

    Okay: ok-table.mbox
    X110: flagged-table.mbox
    """
    yield from _hits(ctx, "table")


__all__ = [
    "CODES",
    "InferredSite",
    "SitePass",
    "SiteResult",
    "Snapshot",
    "infer_sites",
    "judge_enum_value",
    "judge_member",
    "thread_enum_value",
    "thread_member",
    "watched_members",
]
