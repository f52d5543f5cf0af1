"""Parse a patch mail's subject prefixes into a ``Subject`` (pure).

``"[RFC PATCH v2 3/5] qapi: add query-foo"`` becomes prefixes
``("RFC", "PATCH", "v2", "3/5")``, version 2, counter 3, total 5, RFC. The
parser records what was sent, even ``[PATCH 6/5]``; ``series.py`` and the
checks decide what that means. ``None`` means "not stated".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "Re: ", "RE:", "Fwd: ", "AW: ", "Re[2]: ": reply and forward markers, repeated
REPLY_RE = re.compile(r"^\s*(?:re|aw|sv|fwd?)(?:\[\d+\])?\s*:\s*", re.IGNORECASE)
# "[PATCH v3 2/5]", "[RFC PATCH 0/3]", "[PATCH 1 of 4]" (hg), "[PATCHv2]", "[Qemu-devel] [PATCH]"
SUBJECT_PREFIX_RE = re.compile(r"^\s*\[(?P<inner>[^\]]*)\]\s*")
# "3/5", "03/18", "0/2"
COUNTER_RE = re.compile(r"^(?P<counter>\d+)/(?P<total>\d+)$")
# "v2", "V10"
VERSION_RE = re.compile(r"^[vV](?P<version>\d+)$")
# "PATCHv2", "RFCv3", "PATCH-v4": a keyword glued to its version
GLUED_VERSION_RE = re.compile(r"^(?P<word>PATCH|RFC|PULL)-?[vV](?P<version>\d+)$", re.IGNORECASE)
# "1 of 4" (Mercurial patchbomb), matched on the whole inner text
HG_COUNTER_RE = re.compile(r"\b(?P<counter>\d+)\s+of\s+(?P<total>\d+)\b")
# "PATCH-for-9.0", "PULL-for-8.2": a keyword glued to a target tag
GLUED_TAG_RE = re.compile(r"^(?P<word>PATCH|RFC|PULL)-(?P<tag>for-\S+)$", re.IGNORECASE)

PATCH_WORDS = frozenset({"PATCH", "RFC", "PULL"})


@dataclass(frozen=True, slots=True)
class Subject:
    """A subject line split into its bracketed prefixes and its text."""

    raw: str  # decoded, unfolded header as received
    text: str  # "qapi: add query-foo" (reply markers and prefixes removed)
    prefixes: tuple[str, ...]  # ("PATCH", "v3", "2/5"), in order seen
    version: int | None  # None: no vN in the prefix (treat as 1, but we know)
    counter: int | None  # None: no i/n in the prefix
    total: int | None
    is_reply: bool  # started with "Re:" (or "Fwd:", "AW:")
    is_rfc: bool
    is_pull: bool
    tags: tuple[str, ...]  # prefixes that are none of the above: "for-11.0", "RESEND"

    @property
    def is_patch(self) -> bool:
        """The prefix names a patch (PATCH, RFC, PULL or an i/n counter)."""
        return self.counter is not None or any(
            p.upper() in PATCH_WORDS or GLUED_VERSION_RE.match(p) or GLUED_TAG_RE.match(p)
            for p in self.prefixes
        )

    @property
    def effective_version(self) -> int:
        """The version, 1 when none was stated."""
        return 1 if self.version is None else self.version


def parse_subject(raw: str) -> Subject:
    """Split ``raw`` (already decoded and unfolded) into prefixes and text."""
    rest = " ".join(raw.split())
    is_reply = False
    prefixes: list[str] = []
    while True:
        if m := REPLY_RE.match(rest):
            is_reply = True
            rest = rest[m.end() :]
            continue
        if m := SUBJECT_PREFIX_RE.match(rest):
            # Each bracket group is read as whitespace-separated words; a
            # mailing-list tag like "[Qemu-devel]" simply becomes a tag.
            inner = m.group("inner")
            hg = HG_COUNTER_RE.search(inner)
            if hg is not None:
                # "1 of 4" is one prefix, not three words
                before, after = inner[: hg.start()], inner[hg.end() :]
                prefixes += [*before.split(), hg.group(0), *after.split()]
            else:
                prefixes += inner.replace(",", " ").split()
            rest = rest[m.end() :]
            continue
        break

    version: int | None = None
    counter: int | None = None
    total: int | None = None
    is_rfc = is_pull = False
    tags: list[str] = []
    for prefix in prefixes:
        upper = prefix.upper()
        if upper == "PATCH":
            continue
        if upper == "RFC":
            is_rfc = True
        elif upper == "PULL":
            is_pull = True
        elif m := VERSION_RE.match(prefix):
            version = int(m.group("version"))
        elif m := GLUED_VERSION_RE.match(prefix):
            version = int(m.group("version"))
            word = m.group("word").upper()
            is_rfc = is_rfc or word == "RFC"
            is_pull = is_pull or word == "PULL"
        elif m := GLUED_TAG_RE.match(prefix):
            tags.append(m.group("tag"))
            word = m.group("word").upper()
            is_rfc = is_rfc or word == "RFC"
            is_pull = is_pull or word == "PULL"
        elif (m := COUNTER_RE.match(prefix)) or (m := HG_COUNTER_RE.fullmatch(prefix)):
            counter, total = int(m.group("counter")), int(m.group("total"))
        else:
            tags.append(prefix)
    return Subject(
        raw=raw,
        text=rest.strip(),
        prefixes=tuple(prefixes),
        version=version,
        counter=counter,
        total=total,
        is_reply=is_reply,
        is_rfc=is_rfc,
        is_pull=is_pull,
        tags=tuple(tags),
    )
