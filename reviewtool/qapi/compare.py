"""The difference between two schemas (a base tree and a patch's post-image).

``compare_schemas(before, after) -> SchemaDiff``: definitions added, removed
and changed; members (enum values, struct / union / command / event members,
union and alternate branches) added, removed and changed (type,
optionality, condition); doc changes; feature changes. Added members carry
their doc section's text and ``(Since X.Y)`` so that the doc rules need
nothing else. Locations point into ``after`` (into ``before`` for removals).
Output order follows ``after``'s definition order, then ``before``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reviewtool.location import TreeLocation
from reviewtool.qapi.doc import DocBlock
from reviewtool.qapi.model import Definition, Member, Schema, Union


class _NamedByDefinition:
    """``name`` and ``kind`` read through to the record's ``definition``."""

    __slots__ = ()
    definition: Definition

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def kind(self) -> str:
        return self.definition.kind


@dataclass(frozen=True, slots=True)
class AddedDefinition(_NamedByDefinition):
    definition: Definition


@dataclass(frozen=True, slots=True)
class RemovedDefinition(_NamedByDefinition):
    definition: Definition  # as it was in ``before``


@dataclass(frozen=True, slots=True)
class ChangedDefinition:
    """A definition whose kind, condition or signature (base, prefix,
    returns, ...) changed; ``what`` names the part."""

    name: str
    kind: str  # kind in ``after``
    what: str  # "kind", "if", "signature"
    before: str
    after: str
    location: TreeLocation


@dataclass(frozen=True, slots=True)
class AddedMember:
    """A member new in ``after``: ``member`` is its name, ``entry`` the model
    object, ``doc`` its doc section's text (None when undocumented)."""

    definition: str
    kind: str  # the definition's kind: "enum", "struct", ...
    member: str
    role: str  # "value", "member", "argument", "branch"
    entry: Member
    location: TreeLocation
    doc: str | None
    doc_location: TreeLocation | None
    since: str | None  # from "(Since X.Y)" in the doc section

    @property
    def type(self) -> str | None:
        return self.entry.type

    @property
    def optional(self) -> bool:
        return self.entry.optional


@dataclass(frozen=True, slots=True)
class RemovedMember:
    definition: str
    kind: str
    member: str
    role: str
    entry: Member  # as it was in ``before``
    location: TreeLocation  # in ``before``


@dataclass(frozen=True, slots=True)
class ChangedMember:
    """A member present on both sides whose type, optionality or condition
    differs."""

    definition: str
    kind: str
    member: str
    role: str
    before: Member
    after: Member
    location: TreeLocation

    @property
    def changes(self) -> tuple[str, ...]:
        out = []
        if self.before.type != self.after.type:
            out.append(f"type {self.before.type} -> {self.after.type}")
        if self.before.optional != self.after.optional:
            out.append("now optional" if self.after.optional else "now required")
        if self.before.if_ != self.after.if_:
            out.append(f"if {self.before.if_} -> {self.after.if_}")
        return tuple(out)


@dataclass(frozen=True, slots=True)
class DocChange:
    """Doc text that changed for a definition present on both sides."""

    definition: str
    part: str  # "body", "member", "feature", "Since", "Returns", "Errors", "TODO", "doc"
    name: str | None  # member or feature name for those parts
    before: str | None
    after: str | None
    location: TreeLocation


@dataclass(frozen=True, slots=True)
class FeatureChange:
    """Features added to or removed from a definition (``member`` None) or a member."""

    definition: str
    member: str | None
    added: tuple[str, ...]
    removed: tuple[str, ...]
    location: TreeLocation


@dataclass(frozen=True, slots=True)
class SchemaDiff:
    """What changed between two schemas."""

    added: tuple[AddedDefinition, ...] = ()
    removed: tuple[RemovedDefinition, ...] = ()
    changed: tuple[ChangedDefinition, ...] = ()
    added_members: tuple[AddedMember, ...] = ()
    removed_members: tuple[RemovedMember, ...] = ()
    changed_members: tuple[ChangedMember, ...] = ()
    doc_changes: tuple[DocChange, ...] = ()
    feature_changes: tuple[FeatureChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.added_members
            or self.removed_members
            or self.changed_members
            or self.doc_changes
            or self.feature_changes
        )

    def render(self) -> str:
        """Text, one line per change, ``path:line: what``; "" when empty."""
        out: list[str] = []
        for a in self.added:
            d = a.definition
            out.append(f"{d.location.describe()}: added {d.describe()}")
        for r in self.removed:
            d = r.definition
            out.append(f"{d.location.describe()}: removed {d.describe()}")
        for c in self.changed:
            out.append(
                f"{c.location.describe()}: changed {c.kind} '{c.name}' {c.what}: "
                f"{c.before or '-'} -> {c.after or '-'}"
            )
        for m in self.added_members:
            typ = f" ({'optional ' if m.optional else ''}{m.type})" if m.type else ""
            since = f" since {m.since}" if m.since else " no (Since)"
            doc = "documented" if m.doc is not None else "undocumented"
            out.append(
                f"{m.location.describe()}: added {m.role} '{m.member}'{typ} to {m.kind} "
                f"'{m.definition}' [{doc},{since}]"
            )
            if m.doc is not None:
                out.extend(f"    | {line}".rstrip() for line in m.doc.splitlines())
        for rm in self.removed_members:
            out.append(
                f"{rm.location.describe()}: removed {rm.role} '{rm.member}' from {rm.kind} "
                f"'{rm.definition}'"
            )
        for cm in self.changed_members:
            out.append(
                f"{cm.location.describe()}: changed {cm.role} '{cm.member}' of {cm.kind} "
                f"'{cm.definition}': {', '.join(cm.changes)}"
            )
        for dc in self.doc_changes:
            name = f" '{dc.name}'" if dc.name else ""
            out.append(
                f"{dc.location.describe()}: doc of '{dc.definition}' changed: {dc.part}{name}"
            )
        for fc in self.feature_changes:
            where = f"'{fc.definition}'" + (f" member '{fc.member}'" if fc.member else "")
            parts = [f"+{f}" for f in fc.added] + [f"-{f}" for f in fc.removed]
            out.append(f"{fc.location.describe()}: features of {where}: {' '.join(parts)}")
        return "\n".join(out) + ("\n" if out else "")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (documented in docs/json.md, "review qapi")."""

        def loc(where: TreeLocation | None) -> dict[str, Any] | None:
            return None if where is None else {"path": where.path, "line": where.line}

        return {
            "added": [
                {
                    "name": a.name,
                    "kind": a.kind,
                    "location": loc(a.definition.location),
                    "since": a.definition.doc.since if a.definition.doc else None,
                }
                for a in self.added
            ],
            "removed": [
                {"name": r.name, "kind": r.kind, "location": loc(r.definition.location)}
                for r in self.removed
            ],
            "changed": [
                {
                    "name": c.name,
                    "kind": c.kind,
                    "what": c.what,
                    "before": c.before,
                    "after": c.after,
                    "location": loc(c.location),
                }
                for c in self.changed
            ],
            "added_members": [
                {
                    "definition": m.definition,
                    "kind": m.kind,
                    "member": m.member,
                    "role": m.role,
                    "type": m.type,
                    "optional": m.optional,
                    "location": loc(m.location),
                    "doc": m.doc,
                    "doc_location": loc(m.doc_location),
                    "since": m.since,
                }
                for m in self.added_members
            ],
            "removed_members": [
                {
                    "definition": r.definition,
                    "kind": r.kind,
                    "member": r.member,
                    "role": r.role,
                    "location": loc(r.location),
                }
                for r in self.removed_members
            ],
            "changed_members": [
                {
                    "definition": c.definition,
                    "kind": c.kind,
                    "member": c.member,
                    "role": c.role,
                    "before": {
                        "type": c.before.type,
                        "optional": c.before.optional,
                        "if": c.before.if_,
                    },
                    "after": {
                        "type": c.after.type,
                        "optional": c.after.optional,
                        "if": c.after.if_,
                    },
                    "location": loc(c.location),
                }
                for c in self.changed_members
            ],
            "doc_changes": [
                {
                    "definition": d.definition,
                    "part": d.part,
                    "name": d.name,
                    "before": d.before,
                    "after": d.after,
                    "location": loc(d.location),
                }
                for d in self.doc_changes
            ],
            "feature_changes": [
                {
                    "definition": f.definition,
                    "member": f.member,
                    "added": list(f.added),
                    "removed": list(f.removed),
                    "location": loc(f.location),
                }
                for f in self.feature_changes
            ],
        }


def _entries(d: Definition) -> list[tuple[str, Member]]:
    """(role, member) pairs: a union's branches come after its base members."""
    out = [(d.member_word, m) for m in d.members]
    if isinstance(d, Union):
        out.extend(("branch", b) for b in d.branches)
    return out


def _doc_text(doc: DocBlock | None, part: str, name: str | None) -> str | None:
    if doc is None:
        return None
    if part == "body":
        return doc.body
    if part == "member":
        s = doc.member(name or "")
        return None if s is None else s.text
    if part == "feature":
        s = doc.feature(name or "")
        return None if s is None else s.text
    s = doc.tagged(part)
    return None if s is None else s.text


class _Differ:
    def __init__(self) -> None:
        self.added: list[AddedDefinition] = []
        self.removed: list[RemovedDefinition] = []
        self.changed: list[ChangedDefinition] = []
        self.added_members: list[AddedMember] = []
        self.removed_members: list[RemovedMember] = []
        self.changed_members: list[ChangedMember] = []
        self.doc_changes: list[DocChange] = []
        self.feature_changes: list[FeatureChange] = []

    def definition(self, old: Definition, new: Definition) -> None:
        if old.kind != new.kind:
            self.changed.append(
                ChangedDefinition(new.name, new.kind, "kind", old.kind, new.kind, new.location)
            )
            return
        for what, a, b in (
            ("if", old.if_, new.if_),
            ("signature", old.signature(), new.signature()),
        ):
            if a != b:
                self.changed.append(
                    ChangedDefinition(new.name, new.kind, what, a or "", b or "", new.location)
                )
        self.features(new.name, None, old.feature_names(), new.feature_names(), new.location)
        self.members(old, new)
        self.docs(old, new)

    def features(
        self,
        definition: str,
        member: str | None,
        old: tuple[str, ...],
        new: tuple[str, ...],
        location: TreeLocation,
    ) -> None:
        added = tuple(f for f in new if f not in old)
        removed = tuple(f for f in old if f not in new)
        if added or removed:
            self.feature_changes.append(FeatureChange(definition, member, added, removed, location))

    def members(self, old: Definition, new: Definition) -> None:
        old_entries = {(role, m.name): m for role, m in _entries(old)}
        new_keys = set()
        for role, m in _entries(new):
            key = (role, m.name)
            new_keys.add(key)
            before = old_entries.get(key)
            if before is None:
                section = new.doc_section(m.name)
                self.added_members.append(
                    AddedMember(
                        definition=new.name,
                        kind=new.kind,
                        member=m.name,
                        role=role,
                        entry=m,
                        location=m.location,
                        doc=section.text if section is not None else None,
                        doc_location=section.location if section is not None else None,
                        since=section.since if section is not None else None,
                    )
                )
                continue
            if (before.type, before.optional, before.if_) != (m.type, m.optional, m.if_):
                self.changed_members.append(
                    ChangedMember(new.name, new.kind, m.name, role, before, m, m.location)
                )
            self.features(new.name, m.name, before.feature_names(), m.feature_names(), m.location)
        for role, m in _entries(old):
            if (role, m.name) not in new_keys:
                self.removed_members.append(
                    RemovedMember(old.name, old.kind, m.name, role, m, m.location)
                )

    def docs(self, old: Definition, new: Definition) -> None:
        a, b = old.doc, new.doc
        if a is None and b is None:
            return
        where = b.location if b is not None else new.location
        if a is None or b is None:
            self.doc_changes.append(
                DocChange(
                    new.name,
                    "doc",
                    None,
                    _doc_text(a, "body", None),
                    _doc_text(b, "body", None),
                    where,
                )
            )
            return
        if a.body != b.body:
            self.doc_changes.append(DocChange(new.name, "body", None, a.body, b.body, where))
        added_members = {m.name for m in new.members} - {m.name for m in old.members}
        for part, sections_a, sections_b in (
            ("member", a.members, b.members),
            ("feature", a.features, b.features),
        ):
            names = [s.name for s in sections_b] + [
                s.name for s in sections_a if s.name not in {t.name for t in sections_b}
            ]
            for name in names:
                if part == "member" and name in added_members:
                    continue  # reported with the added member
                ta, tb = _doc_text(a, part, name), _doc_text(b, part, name)
                if ta != tb:
                    sb = b.member(name or "") if part == "member" else b.feature(name or "")
                    self.doc_changes.append(
                        DocChange(
                            new.name, part, name, ta, tb, sb.location if sb is not None else where
                        )
                    )
        for tag in ("Since", "Returns", "Errors", "TODO"):
            ta, tb = _doc_text(a, tag, None), _doc_text(b, tag, None)
            if ta != tb:
                sb = b.tagged(tag)
                self.doc_changes.append(
                    DocChange(new.name, tag, None, ta, tb, sb.location if sb else where)
                )


def compare_schemas(before: Schema, after: Schema) -> SchemaDiff:
    """Everything that differs between ``before`` and ``after``."""
    d = _Differ()
    for name, new in after.definitions.items():
        old = before.definitions.get(name)
        if old is None:
            d.added.append(AddedDefinition(new))
        elif old is not new and old != new:
            d.definition(old, new)
    for name, old in before.definitions.items():
        if name not in after.definitions:
            d.removed.append(RemovedDefinition(old))
    return SchemaDiff(
        added=tuple(d.added),
        removed=tuple(d.removed),
        changed=tuple(d.changed),
        added_members=tuple(d.added_members),
        removed_members=tuple(d.removed_members),
        changed_members=tuple(d.changed_members),
        doc_changes=tuple(d.doc_changes),
        feature_changes=tuple(d.feature_changes),
    )
