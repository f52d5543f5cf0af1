"""The threading engine: which C sites a new QAPI member needs, and whether
each snapshot of the tree has it there.

Owns site evaluation for rule-pack sites (``site_state``), inference of
sites from the base tree (``infer_sites``: units that mention all, or all
but a few, existing members), the walk over patch snapshots with the
bisection verdict (``thread_member``; ``judge_member`` also gives the sites
found threaded), and the enum-table family (``thread_enum_value`` /
``judge_enum_value``: arrays sized by a QAPI enum's ``__MAX``). Pure
functions over ``Tree``s and ``Schema``s; the checks in ``threading`` call
them with the trees of a ``CheckContext``.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reviewtool.checks.threading_rules import (
    RulePack,
    SiteRule,
    WatchedMember,
    fill,
    glob_files,
    member_traits,
)
from reviewtool.csource import IDENT_RE, CFile, CUnit, blank_c, scan_c
from reviewtool.qapi.model import Definition, Enum, Schema
from reviewtool.qapi.naming import c_enum_const, enum_max_const
from reviewtool.tree import Tree

# --------------------------------------------------------------------------
# scanning, cached by content (patch snapshots share most files)

_SCAN_CACHE: dict[tuple[str, int, int], CFile] = {}
_SCAN_CACHE_MAX = 2048
# blank_c alone (code and strings, no units) for the files only searched
# whole (a rule with any_unit): most of scan_c's time is cutting units
# a unit pattern that can only match word characters, whatever the text
# around it: literals, \w, groups, ?, +, * and | (and {placeholders})
_WORDS_ONLY_RE = re.compile(r"(?:[A-Za-z0-9_()?+*|]|\\w|\{\w+\})*")
_BLANK_CACHE: dict[tuple[str, int, int], tuple[str, tuple[str, ...]]] = {}


def scan_file(tree: Tree, path: str) -> CFile | None:
    """The scanned C file ``path`` of ``tree`` (None when absent)."""
    text = tree.read_text(path)
    if text is None:
        return None
    return _scan_text(path, text)


def _scan_text(path: str, text: str) -> CFile:
    key = (path, len(text), hash(text))
    cached = _SCAN_CACHE.get(key)
    if cached is None:
        if len(_SCAN_CACHE) >= _SCAN_CACHE_MAX:
            _SCAN_CACHE.clear()
        cached = _SCAN_CACHE[key] = scan_c(text, path)
    return cached


def blank_file(tree: Tree, path: str) -> tuple[str, tuple[str, ...]] | None:
    """The blanked code of C file ``path`` of ``tree`` and its string literals'
    values (what ``scan_file`` gives as ``code`` and ``strings``), without
    cutting it into units; None when absent."""
    text = tree.read_text(path)
    if text is None:
        return None
    key = (path, len(text), hash(text))
    scanned = _SCAN_CACHE.get(key)
    if scanned is not None:
        return scanned.code, tuple(s.value for s in scanned.strings)
    cached = _BLANK_CACHE.get(key)
    if cached is None:
        if len(_BLANK_CACHE) >= _SCAN_CACHE_MAX:
            _BLANK_CACHE.clear()
        code, strings = blank_c(text)
        cached = _BLANK_CACHE[key] = (code, tuple(s.value for s in strings))
    return cached


# --------------------------------------------------------------------------
# members


def watched_members(schema: Schema, pack: RulePack) -> list[WatchedMember]:
    """The members of the pack's enum in ``schema``, with their struct types."""
    if pack.enum is None:
        return []
    enum = schema.lookup(pack.enum)
    if enum is None:
        return []
    struct = schema.lookup(pack.struct) if pack.struct else None
    setter = schema.lookup(pack.set_struct) if pack.set_struct else None
    prefix = enum.prefix if isinstance(enum, Enum) else None
    out = []
    for name in enum.member_names():
        entry = struct.member(name) if struct is not None else None
        type_ref = entry.type if entry is not None else None
        set_entry = setter.member(name) if setter is not None else None
        set_type = set_entry.type if set_entry is not None else None
        out.append(
            WatchedMember(
                name=name,
                const=c_enum_const(pack.enum, name, prefix),
                type=type_ref,
                traits=(
                    member_traits(type_ref, schema, set_type) if struct is not None else frozenset()
                ),
            )
        )
    return out


class MemberForms:
    """A member's code forms, each searched alone and only when the value
    it requires is in the code, and its string forms as one regex; every
    regex compiled on first use.

    Why: one alternation of all code forms has no literal to scan for, so
    it walks every character of every unit; compiling a regex per member
    and form costs more than most searches.
    """

    __slots__ = ("_compiled", "code", "strings")

    def __init__(self, pack: RulePack, member: WatchedMember) -> None:
        values = member.values()
        self.code: list[tuple[str | None, str]] = []
        for form in pack.forms:
            key = _required_placeholder(form)
            needle = values.get(key) if key is not None else None
            self.code.append((needle or None, fill(form, values, regex=True)))
        strings = "|".join(f"(?:{fill(f, values, regex=True)})" for f in pack.string_forms)
        self.strings = strings or None
        self._compiled: dict[str, re.Pattern[str]] = {}

    def _regex(self, source: str) -> re.Pattern[str]:
        pattern = self._compiled.get(source)
        if pattern is None:
            pattern = self._compiled[source] = re.compile(source)
        return pattern

    def in_code(self, code: str) -> bool:
        """Whether one of the code forms matches in ``code`` (as their
        alternation would: it matches where one of them does)."""
        return any(
            (needle is None or needle in code) and self._regex(source).search(code) is not None
            for needle, source in self.code
        )

    def in_strings(self, strings: Iterable[str]) -> bool:
        """Whether one of the string forms matches in one of ``strings``."""
        if self.strings is None:
            return False
        string_re = self._regex(self.strings)
        return any(string_re.search(s) for s in strings)


def mentions(
    idents: frozenset[str] | set[str],
    code: str,
    strings: Sequence[str],
    forms: MemberForms,
    keys: tuple[str, ...],
) -> bool:
    """Whether ``code`` (or one of ``strings``) holds one of the member's forms.

    ``keys`` are the QAPI name, then the identifiers a code form contains
    (``c``, ``has_c``, the constant, the getter): a code form is searched
    only when one of them is among ``idents``, the identifiers of ``code``.
    """
    if forms.code and not idents.isdisjoint(keys[1:]) and forms.in_code(code):
        return True
    return forms.in_strings(s for s in strings if keys[0] in s)


def _keys(member: WatchedMember) -> tuple[str, ...]:
    return (
        member.name,
        member.c,
        member.c_nox,
        member.const,
        f"has_{member.c}",
        f"migrate_{member.c_nox}",
    )


# --------------------------------------------------------------------------
# sites


@dataclass(frozen=True, slots=True)
class SiteState:
    """A site in one tree: where it is, and whether it mentions the member."""

    path: str
    function: str | None
    line: int | None
    present: bool
    detail: str = ""  # e.g. "n_str_args is 3, expected 4"


@dataclass(frozen=True, slots=True)
class InferredSite:
    """A unit of the base tree that mentions most existing members."""

    path: str
    function: str
    kind: str
    covered: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.covered) + len(self.missing)

    def evidence(self, plural: str) -> str:
        text = f"{len(self.covered)} of {self.total} existing {plural} appear here"
        if self.missing:
            shown = ", ".join(self.missing[:8]) + (", ..." if len(self.missing) > 8 else "")
            text += f"; the {len(self.missing)} that do not: {shown}"
        return text


@dataclass(frozen=True, slots=True)
class SiteResult:
    """One site a new member needs and does not get (in some snapshot)."""

    member: str
    site_id: str
    title: str
    cls: str  # required / expected / convention / table
    source: str  # "rule pack NAME" or "inferred"
    path: str
    function: str | None
    line: int | None
    first_missing_patch: int
    fixed_by_patch: int | None
    breaks: str
    suggested: str | None
    evidence: str | None
    detail: str = ""
    noun: str = "member"


@dataclass(frozen=True, slots=True)
class SitePass:
    """One site a new member needs and does get: present in the final tree,
    and not reported (a required site that only a later patch adds is a
    finding, so not a pass)."""

    member: str
    site_id: str
    title: str  # "has_fields[] in migrate_mark_all_params_present()"
    cls: str  # required / expected / convention / table
    source: str  # "rule pack NAME" or "inferred"
    path: str
    function: str | None
    line: int | None
    noun: str = "member"
    counted: bool = False  # a count site (n_str_args): it counts right, names nothing


@dataclass(frozen=True, slots=True)
class Judgement:
    """What one member's sites came to: the findings and the sites verified."""

    results: list[SiteResult]
    passes: list[SitePass]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A tree after patch ``k`` (its schema gives counts such as n_str_args)."""

    k: int
    tree: Tree
    schema: Schema | None = None


def _find_unit(cfile: CFile, name: str) -> CUnit | None:
    best: CUnit | None = None
    for unit in cfile.units:
        if unit.name != name or unit.kind == "macro":
            continue
        # a definition beats a declaration (prototype) of the same name
        if best is None or (best.kind == "declaration" and unit.kind != "declaration"):
            best = unit
    return best


def site_state(
    rule: SiteRule, member: WatchedMember, snapshot: Snapshot, count_expected: int | None = None
) -> SiteState | None:
    """``rule``'s site in ``snapshot``: None when the tree has no such site."""
    tree = snapshot.tree
    values = member.values()
    paths = glob_files(tree, rule.files)
    if not paths:
        return None

    def hit(code: str, strings: Sequence[str]) -> bool:
        # a form is compiled only when the value it requires is in the code
        # (compiling a regex per member and form costs more than the search)
        for template in rule.forms:
            key = _required_placeholder(template)
            if key is not None and values.get(key) and values[key] not in code:
                continue
            if re.compile(fill(template, values, regex=True)).search(code):
                return True
        # every string form contains the QAPI name (a fast prefilter)
        named = [s for s in strings if member.name in s]
        if not named:
            return False
        string_forms = [re.compile(fill(f, values, regex=True)) for f in rule.string_forms]
        return any(f.search(s) for f in string_forms for s in named)

    if rule.any_unit:
        needles = _needles(rule, member)
        for path in paths:
            if needles is not None:
                text = tree.read_text(path)
                if text is None or not any(n in text for n in needles):
                    continue
            blanked = blank_file(tree, path)
            if blanked is not None and hit(*blanked):
                return SiteState(path, None, None, True)
        return SiteState(paths[0].rsplit("/", 1)[0] + "/", None, None, False)
    if rule.unit_pattern is not None:
        pattern = re.compile(fill(rule.unit_pattern, values, regex=True))
        # A unit's name that is an identifier is text of its file, so a
        # pattern that only matches identifiers (word characters, no anchors
        # or lookarounds) and fully matches it also matches somewhere in the
        # file: search the text before scanning it.
        plain = _WORDS_ONLY_RE.fullmatch(rule.unit_pattern) is not None
        for path in paths:
            if plain:
                text = tree.read_text(path)
                if text is None or pattern.search(text) is None:
                    continue
            cfile = scan_file(tree, path)
            if cfile is None:
                continue
            for candidate in cfile.units:
                if pattern.fullmatch(candidate.name) and rule.unit_kind in (None, candidate.kind):
                    return SiteState(path, candidate.name, candidate.start_line, True)
        # reported at the first file the rule names literally (options.h
        # rather than whichever header sorts first), else the first match
        where = next((f for f in rule.files if f in paths), paths[0])
        return SiteState(where, None, None, False)
    for path in paths:
        scanned = scan_file(tree, path)
        unit = _find_unit(scanned, rule.unit) if scanned is not None and rule.unit else None
        if unit is None:
            continue
        body = (unit.local(rule.local) if rule.local else None) or unit
        if rule.count is not None:
            m = re.search(rule.count, body.code)
            if m is None or count_expected is None:
                return None
            actual = int(m.group(1))
            detail = f"{m.group(0).strip()}, but the schema has {count_expected}"
            return SiteState(path, unit.name, unit.start_line, actual == count_expected, detail)
        present = hit(body.code, [s.value for s in body.strings])
        return SiteState(path, unit.name, unit.start_line, present)
    return None


def _needles(rule: SiteRule, member: WatchedMember) -> list[str] | None:
    """Texts of which a C file must hold one for ``rule`` to hit ``member``
    in it (its code forms' required values, the QAPI name for its string
    forms); None when a code form has no required value.

    A required value has no whitespace, so where a form matches it in the
    blanked code it is text of the file (blanking only makes spaces).
    """
    values = member.values()
    out: list[str] = []
    for form in rule.forms:
        key = _required_placeholder(form)
        value = values.get(key) if key is not None else None
        if not value or any(ch.isspace() for ch in value):
            return None
        out.append(value)
    if rule.string_forms:
        out.append(member.name)  # hit() only searches strings holding the name
    return out


@functools.cache
def _required_placeholder(template: str) -> str | None:
    """The ``{key}`` of ``template`` that every match must contain, or None.

    Only a placeholder outside every group, alternation and quantifier
    counts; a template with inline flags or an escaped brace has none.
    """
    if re.search(r"\(\?[A-Za-z]", template) or "\\{" in template:
        return None
    top: list[str] = []  # the template with groups and classes dropped
    depth = 0
    i = 0
    while i < len(template):
        ch = template[i]
        if ch == "\\":
            if depth == 0:
                top.append(template[i : i + 2])
            i += 2
            continue
        if ch == "[":  # a class: skip to its end ("]" first in it is literal)
            j = i + 1
            if j < len(template) and template[j] == "^":
                j += 1
            if j < len(template) and template[j] == "]":
                j += 1
            while j < len(template) and template[j] != "]":
                j += 2 if template[j] == "\\" else 1
            if depth == 0:
                top.append("[]")
            i = j + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                top.append("()")
        elif depth == 0:
            if ch == "|":
                return None
            top.append(ch)
        i += 1
    text = "".join(top)
    for m in re.finditer(r"\{(\w+)\}", text):
        if not text.startswith(("?", "*", "{"), m.end()):
            return m.group(1)
    return None


def infer_sites(
    pack: RulePack, base: Tree, existing: Sequence[WatchedMember], extra_files: Sequence[str] = ()
) -> list[InferredSite]:
    """Units of ``base`` mentioning all, or all but a few, of ``existing``."""
    if len(existing) < pack.min_members:
        return []
    paths = set(glob_files(base, pack.scope, pack.exclude))
    paths.update(p for p in extra_files if p.endswith((".c", ".h")) and base.exists(p))
    keyed = [(m, _keys(m)) for m in existing]
    # compiled on first need: most members never get past mentions()'s
    # identifier test in most units
    compiled: dict[str, MemberForms] = {}
    allowed = pack.allowed_missing(len(existing))
    found = []
    for path in sorted(paths):
        text = base.read_text(path)
        if text is None or not _may_cover(text, keyed, pack.min_members):
            continue
        cfile = _scan_text(path, text)
        for unit in cfile.units:
            if unit.kind == "macro":
                continue
            strings = [s.value for s in unit.strings]
            idents = set(IDENT_RE.findall(unit.code))
            covered: list[str] = []
            missing: list[str] = []
            for member, keys in keyed:
                found_it = False
                if not idents.isdisjoint(keys[1:]) or any(keys[0] in s for s in strings):
                    forms = compiled.get(member.name)
                    if forms is None:
                        forms = compiled[member.name] = MemberForms(pack, member)
                    found_it = mentions(idents, unit.code, strings, forms, keys)
                (covered if found_it else missing).append(member.name)
                if len(missing) > allowed:
                    break
            if len(missing) <= allowed and len(covered) >= pack.min_members:
                found.append(
                    InferredSite(path, unit.name, unit.kind, tuple(covered), tuple(missing))
                )
    return found


def _may_cover(
    text: str, keyed: Sequence[tuple[WatchedMember, tuple[str, ...]]], needed: int
) -> bool:
    """Whether some unit of the C file ``text`` may mention ``needed`` members.

    ``mentions`` needs one of a member's C keys as an identifier of the
    unit's blanked code (an identifier of the file's text too: blanking
    only turns comments and literals into spaces) or its QAPI name in one
    of its strings (a substring of the text): a file with fewer members
    than that has no site, and is never scanned.
    """
    if needed <= 0:
        return True
    idents: set[str] | None = None
    have = 0
    for _, keys in keyed:
        if keys[0] not in text:
            if idents is None:
                idents = set(IDENT_RE.findall(text))
            if idents.isdisjoint(keys[1:]):
                continue
        have += 1
        if have >= needed:
            return True
    return False


def _class_veto(
    site: InferredSite, member: WatchedMember, existing: Sequence[WatchedMember]
) -> bool:
    """True when no existing member of the new member's has_-flag class
    appears at ``site`` (e.g. a has_ list does not need a str member)."""
    for cls in ("has_flag", "no_has_flag"):
        if cls in member.traits:
            same = [m.name for m in existing if cls in m.traits]
            return len(same) >= 2 and not set(same) & set(site.covered)
    return False


def thread_member(
    pack: RulePack,
    member: WatchedMember,
    existing: Sequence[WatchedMember],
    base: Tree,
    snapshots: Sequence[Snapshot],
    extra_files: Sequence[str] = (),
    inferred: Sequence[InferredSite] | None = None,
) -> list[SiteResult]:
    """Every site ``member`` needs and lacks in one of ``snapshots`` (last = final).

    ``existing`` are the type's members in the base tree (without ``member``).
    """
    return judge_member(pack, member, existing, base, snapshots, extra_files, inferred).results


def _final_pass(
    states: Sequence[tuple[int, SiteState | None]],
    member: WatchedMember,
    site_id: str,
    title: str,
    cls: str,
    source: str,
    noun: str,
    counted: bool = False,
) -> SitePass | None:
    """A pass when the site is there and mentions the member in the last
    snapshot (the final tree); whether it is reported is decided later."""
    state = states[-1][1] if states else None
    if state is None or not state.present:
        return None
    return SitePass(
        member.name,
        site_id,
        title,
        cls,
        source,
        state.path,
        state.function,
        state.line,
        noun,
        counted,
    )


def judge_member(
    pack: RulePack,
    member: WatchedMember,
    existing: Sequence[WatchedMember],
    base: Tree,
    snapshots: Sequence[Snapshot],
    extra_files: Sequence[str] = (),
    inferred: Sequence[InferredSite] | None = None,
) -> Judgement:
    """``thread_member``'s findings, and the sites ``member`` needs and gets:
    every site evaluated (the rule applies, the tree has it) that mentions
    the member in the final snapshot and has no finding, in pack order, then
    the inferred ones."""
    if not snapshots:
        return Judgement([], [])
    final = snapshots[-1]
    if inferred is None:
        inferred = infer_sites(pack, base, existing, extra_files)
    by_unit: dict[tuple[str, str | None], InferredSite] = {
        (s.path, s.function): s for s in inferred
    }
    source = f"rule pack {pack.name}"
    results: list[SiteResult] = []
    passes: list[SitePass] = []
    covered_units: set[tuple[str, str | None]] = set()

    for rule in pack.sites:
        if rule.unit is not None:
            for path in rule.files:
                covered_units.add((path, rule.unit))
        if not rule.applies_to(member):
            continue
        coverage = site_coverage(rule, base, existing)
        if coverage is not None and coverage[1] >= 2 and coverage[0] * 2 < coverage[1]:
            # the base tree's site no longer mentions members one by one (QEMU
            # made it generic, e.g. QAPI_CLONE): the pack is out of date here
            continue
        walk = [final] if rule.final_only else list(snapshots)
        states = []
        for snap in walk:
            expected = _count(snap.schema, pack, rule) if rule.count_of else None
            states.append((snap.k, site_state(rule, member, snap, expected)))
        final_count = _count(final.schema, pack, rule)
        values = member.values(final_count)
        title = fill(rule.title, values, regex=False)
        counted = rule.count is not None
        passed = _final_pass(states, member, rule.id, title, rule.cls, source, pack.noun, counted)
        if passed is not None:
            passes.append(passed)
        result = _judge(states)
        if result is None:
            continue
        first, fixed, state = result
        if rule.final_only:
            first = snapshots[0].k  # the patch that adds the member
        if fixed is not None and rule.cls != "required":
            # missing only between patches: an intermediate tree without an
            # HMP print or a property still works; only required sites break
            continue
        evidence = None
        inferred_site = by_unit.get((state.path, state.function))
        if inferred_site is not None:
            evidence = inferred_site.evidence(pack.plural)
        elif rule.unit_pattern is not None:
            evidence = _pattern_evidence(rule, existing, final.tree, pack.plural)
        elif coverage is not None:
            kind = " of this type" if rule.when or rule.unless else ""
            evidence = f"{coverage[0]} of {coverage[1]} existing {pack.plural}{kind} appear here"
        results.append(
            SiteResult(
                member=member.name,
                site_id=rule.id,
                title=title,
                cls=rule.cls,
                source=source,
                path=state.path,
                function=state.function,
                line=state.line,
                first_missing_patch=first,
                fixed_by_patch=fixed,
                breaks=fill(rule.breaks, values, regex=False),
                suggested=rule.suggestion(member, final_count),
                evidence=evidence,
                detail=state.detail,
                noun=pack.noun,
            )
        )

    missing_ids = {r.site_id for r in results}  # also those dropped next: not passes
    results = [
        r
        for r in results
        if not any(rule.id == r.site_id and rule.implied_by in missing_ids for rule in pack.sites)
    ]
    for site in inferred:
        if (site.path, site.function) in covered_units or _class_veto(site, member, existing):
            continue
        rule = SiteRule(
            id=f"inferred:{site.function}",
            title=f"{site.function}()" if site.kind == "function" else site.function,
            files=(site.path,),
            cls="expected",
            breaks=(
                f"{site.evidence(pack.plural)}, so a new {pack.noun} most likely belongs there too"
            ),
            unit=site.function,
            forms=pack.forms,
            string_forms=pack.string_forms,
        )
        states = [(snap.k, site_state(rule, member, snap)) for snap in snapshots]
        passed = _final_pass(states, member, rule.id, rule.title, "expected", "inferred", pack.noun)
        if passed is not None:
            passes.append(passed)
        result = _judge(states)
        if result is None or result[1] is not None:
            continue  # an inferred site is expected, not required: final tree only
        first, fixed, state = result
        results.append(
            SiteResult(
                member=member.name,
                site_id=rule.id,
                title=rule.title,
                cls="expected",
                source="inferred",
                path=state.path,
                function=state.function,
                line=state.line,
                first_missing_patch=first,
                fixed_by_patch=fixed,
                breaks=rule.breaks,
                suggested=None,
                evidence=site.evidence(pack.plural),
                noun=pack.noun,
            )
        )
    reported = missing_ids | {r.site_id for r in results}
    return Judgement(results, [p for p in passes if p.site_id not in reported])


# Per base tree and (pack site): whether each member appears there.
_COVERAGE: weakref.WeakKeyDictionary[Tree, dict[tuple[str, str, str], bool | None]] = (
    weakref.WeakKeyDictionary()
)


def site_coverage(
    rule: SiteRule, base: Tree, existing: Sequence[WatchedMember]
) -> tuple[int, int] | None:
    """(members present, members the rule applies to) at ``rule``'s site in
    ``base``; None for sites that are not one unit (getters, tests, counts)
    or that the base tree does not have."""
    if rule.unit is None or rule.count is not None:
        return None
    cache = _COVERAGE.setdefault(base, {})
    have = total = 0
    for m in existing:
        if not rule.applies_to(m):
            continue
        key = (rule.id, "|".join(rule.files), m.name)
        if key not in cache:
            state = site_state(rule, m, Snapshot(0, base))
            cache[key] = None if state is None else state.present
        if cache[key] is None:
            return None
        total += 1
        have += bool(cache[key])
    return have, total


def _present(state: SiteState | None) -> bool:
    return state is not None and state.present


def _count(schema: Schema | None, pack: RulePack, rule: SiteRule) -> int | None:
    if schema is None or rule.count_of is None:
        return None
    return sum(1 for m in watched_members(schema, pack) if rule.count_of in m.traits)


def _judge(
    states: Sequence[tuple[int, SiteState | None]],
) -> tuple[int, int | None, SiteState] | None:
    """(first patch missing, patch that fixes it or None, state to report)."""
    first = None
    fixed = None
    report = None
    for k, state in states:
        if state is None:
            continue
        if not state.present and first is None:
            first, report = k, state
        elif state.present and first is not None and fixed is None:
            fixed = k
        elif not state.present and fixed is not None:
            fixed = None  # missing again later
    last = next((s for _, s in reversed(states) if s is not None), None)
    if first is None or report is None:
        return None
    if last is not None and not last.present:
        fixed = None
    return first, fixed, last if last is not None else report


def _pattern_evidence(
    rule: SiteRule, existing: Sequence[WatchedMember], tree: Tree, plural: str
) -> str | None:
    if not existing:
        return None
    have = [m.name for m in existing if _present(site_state(rule, m, Snapshot(0, tree)))]
    return f"{len(have)} of {len(existing)} existing {plural} have one"


# --------------------------------------------------------------------------
# enum tables


@dataclass(frozen=True, slots=True)
class EnumTable:
    path: str
    name: str
    line: int
    entries: frozenset[str]


# "NET_CLIENT_DRIVER__MAX" in "[NET_CLIENT_DRIVER__MAX]"
_MAX_BYTES_RE = re.compile(rb"\b[A-Z][A-Z0-9_]*__MAX\b")
# Per tree: which of its files mention which __MAX constants (one pass over
# the whole tree, however many enums a series extends).
_MAX_INDEX: weakref.WeakKeyDictionary[Tree, dict[str, list[str]]] = weakref.WeakKeyDictionary()


def _files_mentioning(tree: Tree, paths: Sequence[str], max_const: str) -> list[str]:
    index = _MAX_INDEX.get(tree)
    if index is None:
        index = {}
        for path in paths:
            # bytes, not text: most files have no __MAX and need no decoding
            # (the constants are ASCII, found alike in the decoded text)
            data = tree.read_bytes(path)
            if data is not None and b"__MAX" in data:
                for const in dict.fromkeys(_MAX_BYTES_RE.findall(data)):
                    index.setdefault(const.decode("ascii"), []).append(path)
        _MAX_INDEX[tree] = index
    return index.get(max_const, [])


def find_enum_tables(tree: Tree, paths: Sequence[str], max_const: str) -> list[EnumTable]:
    """Initialisers in ``paths`` whose declarator is sized by ``max_const`` (``[X__MAX]``)."""
    tables = []
    sized = re.compile(r"\[\s*" + re.escape(max_const) + r"\s*\]")
    entry_re = re.compile(r"\[\s*([A-Z][A-Z0-9_]*)\s*\]\s*=")
    for path in paths:
        text = tree.read_text(path)
        if text is None or max_const not in text:
            continue
        cfile = scan_file(tree, path)
        if cfile is None:
            continue
        units = [u for u in cfile.units if u.kind == "initialiser"]
        units += [loc for u in cfile.units for loc in u.locals]
        for unit in units:
            head = unit.code.split("=", 1)[0]
            if not sized.search(head):
                continue
            entries = frozenset(entry_re.findall(unit.code))
            tables.append(EnumTable(path, unit.name, unit.start_line, entries))
    return tables


def thread_enum_value(
    pack: RulePack,
    enum: Definition,
    value: str,
    base: Tree,
    snapshots: Sequence[Snapshot],
) -> list[SiteResult]:
    """Tables sized by ``enum``'s __MAX that lack an entry for ``value``."""
    return judge_enum_value(pack, enum, value, base, snapshots).results


def judge_enum_value(
    pack: RulePack,
    enum: Definition,
    value: str,
    base: Tree,
    snapshots: Sequence[Snapshot],
) -> Judgement:
    """``thread_enum_value``'s findings, and the tables that do get an entry
    for ``value`` in the final snapshot (and have no finding)."""
    prefix = enum.prefix if isinstance(enum, Enum) else None
    max_const = enum_max_const(enum.name, prefix)
    const = c_enum_const(enum.name, value, prefix)
    existing = [n for n in enum.member_names() if n != value]
    consts = {c_enum_const(enum.name, n, prefix): n for n in existing}
    allowed = pack.allowed_missing(len(existing))
    results = []
    passes: list[SitePass] = []
    paths = _files_mentioning(base, glob_files(base, pack.scope, pack.exclude), max_const)
    for table in find_enum_tables(base, paths, max_const):
        covered = sorted(consts[c] for c in table.entries if c in consts)
        missing = sorted(n for n in existing if n not in covered)
        if len(covered) < pack.min_members or len(missing) > allowed:
            continue
        site = InferredSite(table.path, table.name, "initialiser", tuple(covered), tuple(missing))
        states: list[tuple[int, SiteState | None]] = []
        for snap in snapshots:
            after = {t.name: t for t in find_enum_tables(snap.tree, [table.path], max_const)}
            t = after.get(table.name)
            state = None if t is None else SiteState(t.path, t.name, t.line, const in t.entries)
            states.append((snap.k, state))
        source = f"rule pack {pack.name}"
        title = f"{table.name}[{max_const}]"
        result = _judge(states)
        if result is None:
            final = states[-1][1] if states else None
            if final is not None and final.present:
                passes.append(
                    SitePass(
                        value,
                        f"table:{table.name}",
                        title,
                        "table",
                        source,
                        final.path,
                        final.function,
                        final.line,
                        f"{enum.name} value",
                    )
                )
            continue
        first, fixed, state = result
        results.append(
            SiteResult(
                member=value,
                site_id=f"table:{table.name}",
                title=title,
                cls="table",
                source=source,
                path=state.path,
                function=state.function,
                line=state.line,
                first_missing_patch=first,
                fixed_by_patch=fixed,
                breaks=f"{table.name}[{const}] is left zero / NULL",
                suggested=f"    [{const}] = ...,",
                evidence=site.evidence("values"),
                noun=f"{enum.name} value",
            )
        )
    return Judgement(results, passes)
