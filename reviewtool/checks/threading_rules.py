"""Rule packs for the threading check: data files in ``reviewtool/rules``.

A rule pack names a watched QAPI type (an enum, and the struct that gives
its members their types), the C forms a member takes in C (``has_{c}``,
``->{c}``, ``{K}``, ``"{name}"``), the files where inference looks for sites,
how to tell from a tree that the pack's layout applies, and the sites a new
member needs, each with its class (required / expected / convention), the
member types it applies to, and what breaks without it.

Templates use ``{name}`` (QAPI name), ``{c}`` (``c_name``), ``{c_nox}``
(``{c}`` without a leading ``x_``), ``{K}`` (the enum constant), ``{prop}``
(the qdev property macro suffix for the member's type) and ``{count}``.
In regex templates the values are escaped.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewtool.errors import InputError
from reviewtool.qapi.model import Schema
from reviewtool.qapi.naming import array_element, c_enum_const, c_name, has_flag
from reviewtool.tree import Tree

CLASSES = ("required", "expected", "convention")
_INTEGER_TYPES = frozenset(
    ["int", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "size"]
)
# qdev property macro per QAPI builtin type: DEFINE_PROP_<x>
_PROP_MACROS = {
    "bool": "BOOL",
    "uint8": "UINT8",
    "uint16": "UINT16",
    "uint32": "UINT32",
    "uint64": "UINT64",
    "int": "INT64",
    "int32": "INT32",
    "int64": "INT64",
    "size": "SIZE",
    "str": "STRING",
    "StrOrNull": "STR_OR_NULL",
}


@dataclass(frozen=True, slots=True)
class WatchedMember:
    """A member of a watched type, with the C names and type traits rules need."""

    name: str  # QAPI name: "backend-transfer"
    const: str  # enum constant: "MIGRATION_PARAMETER_BACKEND_TRANSFER"
    type: str | None  # QAPI type in the struct ("bool", "[str]"), None for enum-only types
    # has_flag / no_has_flag / list / str / str_or_null / bool / integer / enum / object
    traits: frozenset[str]

    @property
    def c(self) -> str:
        return c_name(self.name)

    @property
    def c_nox(self) -> str:
        c = self.c
        return c[2:] if c.startswith("x_") else c

    def values(self, count: int | None = None) -> dict[str, str]:
        """Template values (unescaped)."""
        element = array_element(self.type or "")
        prop = _PROP_MACROS.get(self.type or "", "")
        if not prop and "enum" in self.traits and self.type:
            prop = c_enum_const(self.type, "", None).rstrip("_")
        return {
            "name": self.name,
            "c": self.c,
            "c_nox": self.c_nox,
            "K": self.const,
            "prop": prop or "<TYPE>",
            "T": element or self.type or "",
            "count": "" if count is None else str(count),
        }


def member_traits(
    type_ref: str | None, schema: Schema | None, set_type: str | None = None
) -> frozenset[str]:
    """Traits of a member type; see ``WatchedMember.traits``. ``set_type`` is
    the member's type in the setter struct (``MigrateSetParameters``), when
    the layout has one."""
    if type_ref is None:
        return frozenset({"enum-only"})
    traits = {"has_flag" if has_flag(type_ref, True, schema) else "no_has_flag"}
    if "StrOrNull" in (type_ref, set_type):
        traits.add("str_or_null")
    element = array_element(type_ref)
    if element is not None:
        traits.add("list")
    elif type_ref in ("str", "StrOrNull"):
        traits.add("str")
    elif type_ref == "bool":
        traits.add("bool")
    elif type_ref in _INTEGER_TYPES:
        traits.add("integer")
    elif type_ref == "number":
        traits.add("number")
    else:
        definition = schema.lookup(type_ref) if schema is not None else None
        kind = definition.kind if definition is not None else "object"
        traits.add("enum" if kind == "enum" else "object")
    return frozenset(traits)


def fill(template: str, values: Mapping[str, str], *, regex: bool) -> str:
    """Substitute ``{key}`` in ``template``; values are escaped for a regex."""

    def repl(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in values:
            return m.group(0)
        return re.escape(values[key]) if regex else values[key]

    return re.sub(r"\{(\w+)\}", repl, template)


@dataclass(frozen=True, slots=True)
class Condition:
    """A layout test: ``file`` exists (and contains / lacks some text)."""

    file: str
    contains: str | None = None
    lacks: str | None = None

    def holds(self, tree: Tree) -> bool:
        text = tree.read_text(self.file)
        if text is None:
            return False
        if self.contains is not None and self.contains not in text:
            return False
        return not (self.lacks is not None and self.lacks in text)


@dataclass(frozen=True, slots=True)
class SiteRule:
    """One C site a new member needs (see the module docstring)."""

    id: str
    title: str  # "hmp_migrate_set_parameter()"
    files: tuple[str, ...]  # globs of the files that hold the site
    cls: str  # required / expected / convention
    breaks: str  # template: what breaks at run time without it
    unit: str | None = None  # the function or initialiser
    local: str | None = None  # a named initialiser inside ``unit``
    unit_pattern: str | None = None  # regex template: a per-member unit (getter)
    unit_kind: str | None = None  # restrict unit_pattern to a kind
    any_unit: bool = False  # any unit of ``files`` mentioning the member will do
    forms: tuple[str, ...] = ()  # regex templates searched in the unit's code
    string_forms: tuple[str, ...] = ()  # regex templates searched in its string literals
    count: str | None = None  # regex whose group 1 is a count (``n_str_args = (\d+)``)
    count_of: str | None = None  # trait whose members the count counts
    when: tuple[str, ...] = ()  # the member must have every trait
    unless: tuple[str, ...] = ()  # and none of these
    suggested: tuple[tuple[str, str], ...] = ()  # (trait or "default", template)
    final_only: bool = False  # not checked patch by patch (conventions)
    implied_by: str | None = None  # not reported when this site is missing too
    # what breaks happens without anyone using the new member (a startup
    # assert): a tree between patches that lacks it is broken for everyone,
    # so a site missing only between patches stays an error (see X101)
    startup: bool = False

    def applies_to(self, member: WatchedMember) -> bool:
        return all(t in member.traits for t in self.when) and not any(
            t in member.traits for t in self.unless
        )

    def suggestion(self, member: WatchedMember, count: int | None = None) -> str | None:
        values = member.values(count)
        for key, template in self.suggested:
            if key == "default" or key in member.traits:
                return fill(template, values, regex=False)
        return None


@dataclass(frozen=True, slots=True)
class RulePack:
    """A family of watched members, for one QEMU layout."""

    name: str  # "qemu-migration-11.0"
    family: str  # "migration-parameters"; packs of one family are alternatives
    kind: str  # "members" (sites listed) or "enum-tables" (arrays sized by __MAX)
    priority: int  # higher is tried first among a family's packs
    description: str
    detect: tuple[Condition, ...]  # any one holds -> the pack applies
    enum: str | None  # the watched enum ("MigrationParameter")
    struct: str | None  # the struct giving member types ("MigrationParameters")
    set_struct: str | None  # the setter's struct, when separate ("MigrateSetParameters")
    schema_sites: tuple[str, ...]  # definitions that must list a new member
    noun: str  # "migration parameter"
    plural: str  # "parameters"
    forms: tuple[str, ...]  # C forms of a member, for inference
    string_forms: tuple[str, ...]
    scope: tuple[str, ...]  # globs where inference looks for sites
    exclude: tuple[str, ...]  # globs never scanned
    sites: tuple[SiteRule, ...]
    infer: bool
    few: int  # "all but a few": at most this many existing members may be missing
    few_fraction: float  # ... and at most this fraction of them (see allowed_missing)
    min_members: int  # infer only from at least this many existing members
    skip_enums: tuple[str, ...]  # enum-tables: enums other packs watch

    def applies(self, tree: Tree) -> bool:
        return any(c.holds(tree) for c in self.detect)

    def allowed_missing(self, total: int) -> int:
        """ "All but a few": ``few_fraction`` of ``total`` (rounded), at least 1,
        at most ``few``; 30 members allow 3, 10 allow 1."""
        return max(1, min(self.few, int(total * self.few_fraction + 0.5)))


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def parse_pack(text: str, source: str) -> RulePack:
    """A rule pack from TOML ``text``; raises InputError naming ``source``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"bad rule pack: {e}", path=source) from e
    try:
        watch = data.get("watch", {})
        infer = data.get("infer", {})
        sites = []
        for raw in data.get("site", []):
            cls = raw.get("class", "expected")
            if cls not in CLASSES:
                raise InputError(f"site {raw.get('id')}: unknown class {cls!r}", path=source)
            suggested = raw.get("suggested", {})
            if isinstance(suggested, str):
                suggested = {"default": suggested}
            sites.append(
                SiteRule(
                    id=raw["id"],
                    title=raw["title"],
                    files=_tuple(raw["files"]),
                    cls=cls,
                    breaks=raw.get("breaks", ""),
                    unit=raw.get("unit"),
                    local=raw.get("local"),
                    unit_pattern=raw.get("unit_pattern"),
                    unit_kind=raw.get("unit_kind"),
                    any_unit=bool(raw.get("any_unit", False)),
                    forms=_tuple(raw.get("forms")),
                    string_forms=_tuple(raw.get("string_forms")),
                    count=raw.get("count"),
                    count_of=raw.get("count_of"),
                    when=_tuple(raw.get("when")),
                    unless=_tuple(raw.get("unless")),
                    suggested=tuple((str(k), str(v)) for k, v in suggested.items()),
                    final_only=bool(raw.get("final_only", cls == "convention")),
                    implied_by=raw.get("implied_by"),
                    startup=bool(raw.get("startup", False)),
                )
            )
        return RulePack(
            name=data["name"],
            family=data["family"],
            kind=data.get("kind", "members"),
            priority=int(data.get("priority", 0)),
            description=data.get("description", ""),
            detect=tuple(Condition(**c) for c in data.get("detect", [])),
            enum=watch.get("enum"),
            struct=watch.get("struct"),
            set_struct=watch.get("set_struct"),
            schema_sites=_tuple(watch.get("schema_sites")),
            noun=watch.get("noun", "member"),
            plural=watch.get("plural", "members"),
            forms=_tuple(data.get("forms", {}).get("code")),
            string_forms=_tuple(data.get("forms", {}).get("strings")),
            scope=_tuple(data.get("scope", {}).get("files")),
            exclude=_tuple(data.get("scope", {}).get("exclude")),
            sites=tuple(sites),
            infer=bool(infer.get("enabled", True)),
            few=int(infer.get("few", 3)),
            few_fraction=float(infer.get("few_fraction", 0.12)),
            min_members=int(infer.get("min_members", 4)),
            skip_enums=_tuple(watch.get("skip_enums")),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"bad rule pack: {e!r}", path=source) from e


def load_packs() -> tuple[RulePack, ...]:
    """Every bundled threading rule pack (``reviewtool/rules/qemu-*.toml``), by name."""
    packs = []
    # the package's own folder, read directly: importlib.resources' reader
    # imports zipfile, a measurable part of a small review's start-up
    folder = Path(__file__).resolve().parent.parent / "rules"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        # only qemu-*.toml are threading packs; other checks keep their data
        # beside them (qapi-doc-format.toml is Q108's)
        if entry.name.startswith("qemu-") and entry.name.endswith(".toml"):
            packs.append(parse_pack(entry.read_text(encoding="utf-8"), f"rules/{entry.name}"))
    return tuple(packs)


def choose_packs(packs: Iterable[RulePack], tree: Tree) -> tuple[RulePack, ...]:
    """For each family, the highest-priority pack whose layout ``tree`` has."""
    chosen: dict[str, RulePack] = {}
    for pack in sorted(packs, key=lambda p: -p.priority):
        if pack.family not in chosen and pack.applies(tree):
            chosen[pack.family] = pack
    return tuple(sorted(chosen.values(), key=lambda p: p.name))


def matches_glob(path: str, globs: Iterable[str]) -> bool:
    """Whether ``path`` matches one of ``globs`` (``**`` spans directories)."""
    for glob in globs:
        if fnmatch.fnmatchcase(path, glob):
            return True
        if "/**/" in glob and fnmatch.fnmatchcase(path, glob.replace("/**/", "/")):
            return True
    return False


# Trees are immutable, so a listing can be kept as long as the tree lives.
_GLOB_CACHE: weakref.WeakKeyDictionary[
    Tree, dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]]
]
_GLOB_CACHE = weakref.WeakKeyDictionary()


def glob_files(tree: Tree, globs: Iterable[str], exclude: Iterable[str] = ()) -> list[str]:
    """Files of ``tree`` matching ``globs`` (listed from each glob's fixed prefix)."""
    key = (tuple(globs), tuple(exclude))
    per_tree = _GLOB_CACHE.setdefault(tree, {})
    if key not in per_tree:
        per_tree[key] = _glob_files(tree, *key)
    return per_tree[key]


def _glob_files(tree: Tree, globs: tuple[str, ...], exclude: tuple[str, ...]) -> list[str]:
    found: set[str] = set()
    for glob in globs:
        if not any(ch in glob for ch in "*?["):
            if tree.exists(glob):
                found.add(glob)
            continue
        fixed = re.split(r"[*?\[]", glob, maxsplit=1)[0]
        prefix = fixed.rsplit("/", 1)[0] if "/" in fixed else ""
        for path in tree.iter_files(prefix):
            if matches_glob(path, (glob,)) and not matches_glob(path, exclude):
                found.add(path)
    return sorted(found)
