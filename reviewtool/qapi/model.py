"""The QAPI schema model: definitions, members, features, with locations.

``Schema.definitions`` maps each name to an ``Enum``, ``Struct``, ``Union``,
``Alternate``, ``Command`` or ``Event``. Types are written as the schema
writes them, arrays as ``"[T]"`` (``['str']`` -> ``"[str]"``). Conditions
(``'if'``) are kept as a canonical string: ``CONFIG_X``,
``all(CONFIG_A, CONFIG_B)``, ``any(...)``, ``not(...)``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

from reviewtool.location import TreeLocation
from reviewtool.qapi.doc import DocBlock, DocSection

#: definition kinds in the order the dump prints them
KINDS = ("enum", "struct", "union", "alternate", "command", "event")


@dataclass(frozen=True, slots=True)
class Feature:
    """A feature of a definition or member (``'deprecated'``, ``'unstable'``...)."""

    name: str
    location: TreeLocation
    if_: str | None = None


@dataclass(frozen=True, slots=True)
class Member:
    """A struct / union / command / event member, an enum value, or an
    alternate's or union's branch. ``type`` is None for enum values."""

    name: str
    type: str | None
    optional: bool
    location: TreeLocation
    features: tuple[Feature, ...] = ()
    if_: str | None = None

    @property
    def is_array(self) -> bool:
        return self.type is not None and self.type.startswith("[")

    def feature_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)


@dataclass(frozen=True, slots=True, kw_only=True)
class Definition:
    """What every definition has; ``kind`` is "enum", "struct", ..."""

    kind: ClassVar[str] = "definition"
    #: what the members are called in messages ("member", "value", "argument", "branch")
    member_word: ClassVar[str] = "member"

    name: str
    location: TreeLocation
    doc: DocBlock | None = None
    if_: str | None = None
    features: tuple[Feature, ...] = ()
    members: tuple[Member, ...] = ()

    def member(self, name: str) -> Member | None:
        for m in self.members:
            if m.name == name:
                return m
        return None

    def member_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.members)

    def feature_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    def doc_section(self, member: str) -> DocSection | None:
        """The doc comment's section for ``member``, if any."""
        return self.doc.member(member) if self.doc is not None else None

    def describe(self) -> str:
        """``enum 'MigrationParameter'``"""
        return f"{self.kind} '{self.name}'"

    def describe_member(self, member: str) -> str:
        """``member 'tls-creds' of struct 'MigrationParameters'``"""
        return f"{self.member_word} '{member}' of {self.describe()}"

    def signature(self) -> str:
        """A one-line description of everything except members and docs; two
        definitions with equal signatures differ only there."""
        return ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Enum(Definition):
    kind: ClassVar[str] = "enum"
    member_word: ClassVar[str] = "value"
    prefix: str | None = None

    def signature(self) -> str:
        return f"prefix={self.prefix}" if self.prefix else ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Struct(Definition):
    kind: ClassVar[str] = "struct"
    base: str | None = None

    def signature(self) -> str:
        return f"base={self.base}" if self.base else ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Union(Definition):
    """``members`` are the base's members (inline base) and ``branches`` the
    variants, named by discriminator value."""

    kind: ClassVar[str] = "union"
    base: str | None = None  # named base type; None when the base is inline
    discriminator: str = ""
    branches: tuple[Member, ...] = ()

    def signature(self) -> str:
        base = f"base={self.base} " if self.base else ""
        return f"{base}discriminator={self.discriminator}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Alternate(Definition):
    """``members`` are the alternatives (name and type)."""

    kind: ClassVar[str] = "alternate"
    member_word: ClassVar[str] = "branch"


@dataclass(frozen=True, slots=True, kw_only=True)
class Command(Definition):
    """``members`` are the inline arguments; ``arg_type`` names the argument
    type instead when ``'data'`` is a type name."""

    kind: ClassVar[str] = "command"
    member_word: ClassVar[str] = "argument"
    arg_type: str | None = None
    returns: str | None = None
    boxed: bool = False
    gen: bool = True
    success_response: bool = True
    allow_oob: bool = False
    allow_preconfig: bool = False
    coroutine: bool = False

    def signature(self) -> str:
        parts = [
            f"arg_type={self.arg_type}" if self.arg_type else "",
            f"returns={self.returns}" if self.returns else "",
            "boxed" if self.boxed else "",
            "" if self.gen else "gen=false",
            "" if self.success_response else "success-response=false",
            "allow-oob" if self.allow_oob else "",
            "allow-preconfig" if self.allow_preconfig else "",
            "coroutine" if self.coroutine else "",
        ]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event(Definition):
    kind: ClassVar[str] = "event"
    member_word: ClassVar[str] = "argument"
    arg_type: str | None = None
    boxed: bool = False

    def signature(self) -> str:
        parts = [
            f"arg_type={self.arg_type}" if self.arg_type else "",
            "boxed" if self.boxed else "",
        ]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class SchemaFile:
    """A file read for the schema, and the include that pulled it in."""

    path: str
    included_from: TreeLocation | None
    lines: int


@dataclass(frozen=True, slots=True)
class Schema:
    """A whole schema read from one root through a tree."""

    root: str
    files: tuple[SchemaFile, ...]
    definitions: dict[str, Definition]
    pragmas: dict[str, object]

    def lookup(self, name: str) -> Definition | None:
        return self.definitions.get(name)

    def all_members(self, name: str) -> tuple[Member, ...]:
        """The members of ``name`` including those of its base types (base
        first, as in the generated C struct); a union's branches are not
        included. Empty for an unknown name; a cycle of bases stops."""
        seen: set[str] = set()
        chain: list[Definition] = []
        current = self.definitions.get(name)
        while current is not None and current.name not in seen:
            seen.add(current.name)
            chain.append(current)
            base = getattr(current, "base", None)
            current = self.definitions.get(base) if isinstance(base, str) else None
        out: list[Member] = []
        for d in reversed(chain):
            out.extend(d.members)
        return tuple(out)

    def file_paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files)

    def counts(self) -> dict[str, int]:
        """Number of definitions per kind, every kind present (0 allowed)."""
        counter = Counter(d.kind for d in self.definitions.values())
        return {kind: counter.get(kind, 0) for kind in KINDS}

    def of_kind(self, kind: str) -> list[Definition]:
        return [d for d in self.definitions.values() if d.kind == kind]

    def dump(self) -> str:
        """A deterministic text dump: one line per definition, one per member."""
        out = [f"schema {self.root}"]
        out.extend(f"file {f.path}" for f in self.files)
        for d in self.definitions.values():
            extra = d.signature()
            cond = f" if={d.if_}" if d.if_ else ""
            feats = f" features={','.join(d.feature_names())}" if d.features else ""
            out.append(
                f"{d.kind} {d.name}{' ' + extra if extra else ''}{cond}{feats}"
                f"  @{d.location.describe()}"
            )
            entries = [(d.member_word, m) for m in d.members]
            if isinstance(d, Union):
                entries.extend(("branch", b) for b in d.branches)
            for word, m in entries:
                opt = "*" if m.optional else ""
                typ = f" {m.type}" if m.type is not None else ""
                mcond = f" if={m.if_}" if m.if_ else ""
                mfeats = f" features={','.join(m.feature_names())}" if m.features else ""
                out.append(f"    {word} {opt}{m.name}{typ}{mcond}{mfeats}")
        return "\n".join(out) + "\n"
