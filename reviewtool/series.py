"""Assemble messages into a patch ``Series``.

Owns threading (Message-ID / In-Reply-To / References), choosing the
version (the newest unless asked), slots 0..N with the cover letter at 0,
gaps, duplicates and stray counters recorded as *facts*, partial rerolls
filling their slot from an earlier version, trailers given in follow-ups,
and ``Based-on:`` / ``base-commit:`` / ``prerequisite-patch-id:``.

Imports ``mail`` and ``location``. Memory: only patch-bearing messages are
kept whole; a follow-up is reduced to its trailers and a discussion mail to
its threading ids as the messages stream in.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from reviewtool.errors import InputError, UsageError
from reviewtool.location import MailLocation
from reviewtool.mail.body import PatchBody, Trailer, parse_body, parse_reply_trailers
from reviewtool.mail.mbox import MailFact, MailInput, Message
from reviewtool.mail.subject import Subject, parse_subject

SCHEMA_VERSION = 1


class SeriesFactKind(enum.Enum):
    """What a series fact says; checks give these codes and severities."""

    MISSING = "missing"  # slot 1..N with no patch
    DUPLICATE = "duplicate"  # two patches for one slot; the later one is kept
    OUT_OF_RANGE = "out-of-range"  # counter above the series length ([PATCH 6/5])
    MIXED_VERSION = "mixed-version"  # the assembled series holds patches of several versions
    PARTIAL_REROLL = "partial-reroll"  # a slot filled from an earlier version
    OTHER_VERSION = "other-version"  # the input holds other versions, not shown
    OTHER_SERIES = "other-series"  # patches of the same version in an unrelated thread
    TOTAL_MISMATCH = "total-mismatch"  # patches disagree on N in i/N
    NO_DIFF = "no-diff"  # a numbered patch mail without a diff
    BROKEN_MESSAGE = "broken-message"  # from the mail stage: skipped message
    CHARSET_FALLBACK = "charset-fallback"
    MAIL_DEFECT = "mail-defect"
    SENDER_REWRITTEN = "sender-rewritten"


@dataclass(frozen=True, slots=True)
class SeriesFact:
    """Something about the series worth a check's attention."""

    kind: SeriesFactKind
    message: str
    location: MailLocation | None
    slot: int | None = None  # 0 = cover letter, None = the whole series

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "message": self.message,
            "slot": self.slot,
            "location": _location_dict(self.location),
        }


@dataclass(frozen=True, slots=True)
class Patch:
    """One slot of the series: the cover letter (index 0) or patch i/N."""

    index: int  # slot; 0 = cover letter
    subject: Subject
    message: Message
    body: PatchBody
    trailers: tuple[Trailer, ...]  # own, then from replies (from_reply=True, given_by)
    author: str  # "Name <addr>"; the in-body From: when there is one
    version: int  # the version this mail was sent as (partial rerolls differ)

    @property
    def location(self) -> MailLocation:
        return self.message.location

    @property
    def message_id(self) -> str | None:
        return self.message.message_id

    def to_dict(self) -> dict[str, Any]:
        m = self.message
        return {
            "index": self.index,
            "version": self.version,
            "subject": self.subject.raw,
            "title": self.subject.text,
            "message_id": m.message_id,
            "author": self.author,
            "date": m.date.isoformat() if m.date else None,
            "has_diff": self.body.has_diff,
            "location": _location_dict(m.location),
            "trailers": [
                {
                    "name": t.name,
                    "value": t.value,
                    "email": t.email,
                    "from_reply": t.from_reply,
                    "given_by": t.given_by,
                }
                for t in self.trailers
            ],
        }


@dataclass(frozen=True, slots=True)
class Series:
    """A patch series: cover letter, patch slots 1..N, and what is odd about it."""

    version: int
    versions: tuple[int, ...]  # every version seen in the input
    total: int  # N in i/N
    cover: Patch | None
    patches: tuple[Patch, ...]  # slots 1..N that are present (and stray ones), in order
    missing: tuple[int, ...]
    facts: tuple[SeriesFact, ...]
    based_on: tuple[str, ...]  # message ids (or whatever the cover wrote)
    base_commit: str | None
    prerequisite_patch_ids: tuple[str, ...]

    def patch(self, k: int) -> Patch | None:
        """Slot ``k`` (0 = cover letter), or None when it is missing."""
        if k == 0:
            return self.cover
        return next((p for p in self.patches if p.index == k), None)

    @property
    def title(self) -> str:
        """The cover letter's subject text, else the first patch's."""
        first = self.cover or (self.patches[0] if self.patches else None)
        return first.subject.text if first else ""

    def to_dict(self) -> dict[str, Any]:
        """The series as JSON-ready data (``review show`` and ``review check`` embed it)."""
        cover = self.cover
        return {
            "version": self.version,
            "versions": list(self.versions),
            "total": self.total,
            "title": self.title,
            "cover": None
            if cover is None
            else {
                "subject": cover.subject.raw,
                "message_id": cover.message.message_id,
                "author": cover.author,
                "date": cover.message.date.isoformat() if cover.message.date else None,
                "location": _location_dict(cover.location),
            },
            "patches": [p.to_dict() for p in self.patches],
            "missing": list(self.missing),
            "based_on": list(self.based_on),
            "base_commit": self.base_commit,
            "prerequisite_patch_ids": list(self.prerequisite_patch_ids),
            "facts": [f.to_dict() for f in self.facts],
        }

    def dump(self) -> str:
        """The outline as plain text; gaps show as ``[3/5] MISSING``."""
        width = len(str(self.total))
        out = [f"series v{self.version}: {self.title}"]
        if len(self.versions) > 1:
            out.append(f"versions seen: {', '.join(f'v{v}' for v in self.versions)}")
        slots: list[tuple[int, Patch | None]] = [(0, self.cover)] if self.cover else []
        present = {p.index: p for p in self.patches}
        for k in sorted(set(range(1, self.total + 1)) | set(present)):
            slots.append((k, present.get(k)))
        for k, patch in slots:
            label = f"[{k:0{width}d}/{self.total}]"
            if patch is None:
                out.append(f"{label} MISSING")
                continue
            again = f" (v{patch.version})" if patch.version != self.version else ""
            out.append(f"{label} {patch.subject.text}{again}")
            out.append(f"    author: {patch.author}")
            if patch.message.date is not None:
                out.append(f"    date: {patch.message.date.isoformat()}")
            out.append(f"    message-id: {patch.message.message_id or '(none)'}")
            for t in patch.trailers:
                given = f"  (reply from {t.given_by})" if t.from_reply else ""
                out.append(f"    {t.name}: {t.value}{given}")
        for b in self.based_on:
            out.append(f"based-on: {b}")
        if self.base_commit:
            out.append(f"base-commit: {self.base_commit}")
        for p in self.prerequisite_patch_ids:
            out.append(f"prerequisite-patch-id: {p}")
        for f in self.facts:
            where = f" ({f.location.describe()})" if f.location else ""
            out.append(f"fact {f.kind.value}: {f.message}{where}")
        return "\n".join(out) + "\n"


def compact_ranges(numbers: Iterable[int]) -> str:
    """Patch slots as runs: ``(1, 2, 4, 5, 6)`` -> ``1-2, 4-6``."""
    spans: list[list[int]] = []
    for n in sorted(numbers):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


@dataclass(slots=True)
class _Candidate:
    """A patch-bearing (or cover) message kept while the input streams in."""

    message: Message
    subject: Subject
    body: PatchBody
    order: int
    thread: str = ""

    @property
    def version(self) -> int:
        return self.subject.effective_version

    @property
    def slot(self) -> int:
        return 1 if self.subject.counter is None else self.subject.counter


@dataclass(frozen=True, slots=True)
class _Reply:
    """A follow-up reduced to what the series needs: where it points, its trailers."""

    parents: tuple[str, ...]
    trailers: tuple[Trailer, ...]


class _Threads:
    """Union-find over message ids: messages that reference each other share a root."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        root = key
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while key != root:  # path compression
            key, self.parent[key] = self.parent.get(key, key), root
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def build_series(
    messages: Iterable[Message | MailFact] | MailInput, version: int | None = None
) -> Series:
    """Group the messages into the series to review.

    ``version`` picks a version (``--series-version``); the newest by
    default. Raises ``InputError`` when no message carries a patch, and
    ``UsageError`` when the requested version is not in the input.
    """
    if isinstance(messages, MailInput):
        stream: Iterable[Message | MailFact] = (*messages.problems, *messages.messages)
    else:
        stream = messages
    candidates: list[_Candidate] = []
    replies: list[_Reply] = []
    parents: dict[str, tuple[str, ...]] = {}
    problems: list[MailFact] = []
    sources: list[str] = []
    threads = _Threads()
    count = 0
    for item in stream:
        if item.location.source not in sources:
            sources.append(item.location.source)
        if isinstance(item, MailFact):
            problems.append(item)
            continue
        count += 1
        key = _key(item)
        parents[key] = item.parent_ids
        for parent in item.parent_ids:
            threads.union(key, parent)
        subject = parse_subject(item.subject)
        if subject.is_reply:
            trailers = parse_reply_trailers(item.body)
            if trailers:
                located = tuple(
                    replace(
                        t,
                        from_reply=True,
                        given_by=item.author,
                        location=replace(item.location, line=t.line),
                    )
                    for t in trailers
                )
                replies.append(_Reply(item.parent_ids, located))
            continue
        body = parse_body(item.body)
        numbered = subject.is_patch and subject.counter is not None
        # A discussion mail (no diff, no i/N counter) is never taken for a patch.
        if body.has_diff or numbered:
            candidates.append(_Candidate(item, subject, body, count))

    if not candidates:
        where = ", ".join(sources) if sources else "input"
        skipped = f"; {len(problems)} broken message(s) skipped" if problems else ""
        raise InputError(
            f"no patch found in {count} message{'s' if count != 1 else ''} "
            f"(only discussion, replies or broken mail){skipped}",
            path=where,
        )
    for c in candidates:
        c.thread = threads.find(_key(c.message))

    versions = tuple(sorted({c.version for c in candidates}))
    if version is None:
        chosen_version = versions[-1]
    elif version in versions:
        chosen_version = version
    else:
        seen = ", ".join(str(v) for v in versions)
        raise UsageError(f"series version {version} is not in the input (versions seen: {seen})")

    facts: list[SeriesFact] = [_from_mail(p, None) for p in problems]
    chosen = _choose_thread(candidates, chosen_version, facts)
    total = _total(chosen, facts)
    slots = _fill_slots(chosen, facts)
    _fill_partial_reroll(slots, candidates, chosen, chosen_version, total, facts)

    if len(versions) > 1:
        others = ", ".join(f"v{v}" for v in versions if v != chosen_version)
        facts.append(
            SeriesFact(
                SeriesFactKind.OTHER_VERSION,
                f"input also holds {others}; showing v{chosen_version}",
                None,
            )
        )
    used_versions = sorted({c.version for c in slots.values()})
    if len(used_versions) > 1:
        facts.append(
            SeriesFact(
                SeriesFactKind.MIXED_VERSION,
                "the series mixes versions " + ", ".join(f"v{v}" for v in used_versions),
                None,
            )
        )

    patches = {k: _make_patch(k, c) for k, c in slots.items()}
    _add_reply_trailers(patches, replies, parents)

    for k, c in sorted(slots.items()):
        for fact in c.message.facts:
            facts.append(_from_mail(fact, k))
        if k > total:
            facts.append(
                SeriesFact(
                    SeriesFactKind.OUT_OF_RANGE,
                    f"patch {k}/{c.subject.total} is beyond the series length {total}",
                    c.message.location,
                    k,
                )
            )
        if k > 0 and not c.body.has_diff:
            facts.append(
                SeriesFact(
                    SeriesFactKind.NO_DIFF, f"patch {k}/{total} has no diff", c.message.location, k
                )
            )
    missing = tuple(k for k in range(1, total + 1) if k not in slots)
    for k in missing:
        facts.append(SeriesFact(SeriesFactKind.MISSING, f"patch {k}/{total} is missing", None, k))

    cover = patches.pop(0, None)
    ordered = tuple(patches[k] for k in sorted(patches))
    based_on, base_commit, prereqs = _base_info(cover, ordered)
    return Series(
        version=chosen_version,
        versions=versions,
        total=total,
        cover=cover,
        patches=ordered,
        missing=missing,
        facts=tuple(facts),
        based_on=based_on,
        base_commit=base_commit,
        prerequisite_patch_ids=prereqs,
    )


def _key(message: Message) -> str:
    # format-patch files carry no Message-ID: key them by where they were read
    loc = message.location
    return message.message_id or f"#{loc.source}#{loc.index}"


def _from_mail(fact: MailFact, slot: int | None) -> SeriesFact:
    return SeriesFact(SeriesFactKind(fact.kind.value), fact.message, fact.location, slot)


def _choose_thread(
    candidates: list[_Candidate], version: int, facts: list[SeriesFact]
) -> list[_Candidate]:
    """The chosen version's patches from the main thread, plus unthreaded ones
    that fit (a directory of format-patch files has no threading at all)."""
    of_version = [c for c in candidates if c.version == version]
    by_thread: dict[str, list[_Candidate]] = {}
    for c in of_version:
        by_thread.setdefault(c.thread, []).append(c)
    ranked = sorted(by_thread.values(), key=lambda group: (-len(group), group[0].order))
    chosen = list(ranked[0])
    totals = {c.subject.total for c in chosen if c.subject.total is not None}
    for group in ranked[1:]:
        taken = {c.slot: c.subject.text for c in chosen}
        group_totals = {c.subject.total for c in group if c.subject.total is not None}
        # Unthreaded mails fit when their slots are free, or when they resend
        # a slot under the same subject (a duplicate, recorded as such).
        # Seen in: tests/data/fuzz/series-counters-all-duplicate.mbox
        fits = not (group_totals - totals) and all(
            taken.get(c.slot, c.subject.text) == c.subject.text for c in group
        )
        if fits:
            chosen += group
            continue
        for c in group:
            facts.append(
                SeriesFact(
                    SeriesFactKind.OTHER_SERIES,
                    f"left out {c.subject.raw!r}: another thread of the same version",
                    c.message.location,
                    None,
                )
            )
    return sorted(chosen, key=lambda c: c.order)


def _total(chosen: list[_Candidate], facts: list[SeriesFact]) -> int:
    cover = next((c for c in chosen if c.slot == 0 and c.subject.total is not None), None)
    totals = Counter(c.subject.total for c in chosen if c.subject.total is not None)
    if cover is not None and cover.subject.total is not None:
        total = cover.subject.total
    elif totals:
        total = totals.most_common(1)[0][0]
    else:
        total = max(1, max(c.slot for c in chosen))
    for c in chosen:
        if c.subject.total is not None and c.subject.total != total:
            facts.append(
                SeriesFact(
                    SeriesFactKind.TOTAL_MISMATCH,
                    f"{c.subject.raw!r} counts {c.subject.total} patches, the series {total}",
                    c.message.location,
                    c.slot,
                )
            )
    return total


def _fill_slots(chosen: list[_Candidate], facts: list[SeriesFact]) -> dict[int, _Candidate]:
    slots: dict[int, _Candidate] = {}
    for c in chosen:  # in input order: a later resend replaces an earlier copy
        earlier = slots.get(c.slot)
        if earlier is not None:
            facts.append(
                SeriesFact(
                    SeriesFactKind.DUPLICATE,
                    f"slot {c.slot} sent twice; this copy is dropped for the later "
                    f"message {c.message.location.index}",
                    earlier.message.location,
                    c.slot,
                )
            )
        slots[c.slot] = c
    return slots


def _fill_partial_reroll(
    slots: dict[int, _Candidate],
    candidates: list[_Candidate],
    chosen: list[_Candidate],
    version: int,
    total: int,
    facts: list[SeriesFact],
) -> None:
    """A ``[PATCH v2 3/5]`` sent into the v1 thread replaces only slot 3: take
    the other slots from the newest earlier version in the same thread."""
    threads = {c.thread for c in chosen}
    earlier = sorted(
        (c for c in candidates if c.version < version and c.thread in threads),
        key=lambda c: (-c.version, c.order),
    )
    resent = ", ".join(str(k) for k in sorted(slots))
    first_new = min(c.order for c in chosen)
    for c in earlier:
        k = c.slot
        if k in slots or (k > 0 and c.subject.total not in (None, total)) or k > total:
            continue
        slots[k] = c
        if c.order > first_new:
            # sent along with the newer mails: a patch labelled with the
            # wrong version ("[PATCH 1/3]" in a "[PATCH v2 0/3]" thread)
            kind = SeriesFactKind.MIXED_VERSION
            text = f"slot {k} is labelled v{c.version} in the v{version} series"
        else:
            kind = SeriesFactKind.PARTIAL_REROLL
            text = f"slot {k} taken from v{c.version} (v{version} resent only slot {resent})"
        facts.append(SeriesFact(kind, text, c.message.location, k))


def _make_patch(index: int, c: _Candidate) -> Patch:
    loc = c.message.location
    trailers = tuple(replace(t, location=replace(loc, line=t.line)) for t in c.body.trailers)
    return Patch(
        index=index,
        subject=c.subject,
        message=c.message,
        body=c.body,
        trailers=trailers,
        author=c.body.in_body_from or c.message.author,
        version=c.version,
    )


def _same_trailer(a: Trailer, b: Trailer) -> bool:
    if a.key != b.key:
        return False
    if a.email and b.email:
        return a.email.lower() == b.email.lower()
    return " ".join(a.value.split()).casefold() == " ".join(b.value.split()).casefold()


def _add_reply_trailers(
    patches: dict[int, Patch], replies: list[_Reply], parents: dict[str, tuple[str, ...]]
) -> None:
    """A trailer in a reply to patch k goes to patch k; to the cover, to every patch."""
    by_id = {p.message.message_id: k for k, p in patches.items() if p.message.message_id}
    for reply in replies:
        target = _find_target(reply.parents, by_id, parents)
        if target is None:
            continue
        slots = [k for k in patches if k > 0] if target == 0 else [target]
        for k in slots:
            patch = patches[k]
            new = [
                t
                for t in reply.trailers
                if not any(_same_trailer(t, old) for old in patch.trailers)
            ]
            if new:
                patches[k] = replace(patch, trailers=(*patch.trailers, *new))


def _find_target(
    start: tuple[str, ...], by_id: dict[str, int], parents: dict[str, tuple[str, ...]]
) -> int | None:
    """The slot of the nearest ancestor that is a patch of the series."""
    queue = list(start)
    seen: set[str] = set()
    while queue:
        mid = queue.pop(0)
        if mid in seen:
            continue
        seen.add(mid)
        if mid in by_id:
            return by_id[mid]
        queue.extend(parents.get(mid, ()))
    return None


def _base_info(
    cover: Patch | None, patches: tuple[Patch, ...]
) -> tuple[tuple[str, ...], str | None, tuple[str, ...]]:
    sources = [cover] if cover is not None else list(patches)
    based_on: list[str] = []
    for p in sources:
        for line in (*p.body.message.split("\n"), *p.body.notes.split("\n")):
            stripped = line.strip()
            if stripped.lower().startswith("based-on:"):
                value = _strip_angles(stripped.split(":", 1)[1].strip())
                if value and value not in based_on:
                    based_on.append(value)
        for t in p.trailers:
            if t.key == "based-on" and not t.from_reply:
                value = _strip_angles(t.value)
                if value not in based_on:
                    based_on.append(value)
    everything = [p for p in (cover, *patches) if p is not None]
    base_commit = next((p.body.base_commit for p in everything if p.body.base_commit), None)
    prereqs: list[str] = []
    for p in everything:
        prereqs += [x for x in p.body.prerequisite_patch_ids if x not in prereqs]
    return tuple(based_on), base_commit, tuple(prereqs)


def _strip_angles(value: str) -> str:
    value = value.strip()
    if value.startswith("<") and value.endswith(">") and value.count("<") == 1:
        return value[1:-1]
    return value


def _location_dict(location: MailLocation | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"source": location.source, "index": location.index, "line": location.line}
