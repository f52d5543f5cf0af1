"""M### checks: the mail and the series as a maintainer first sees them.

Slots that are missing or sent twice, broken or mis-decoded mail (facts the
mail and series stages recorded), and each patch's hygiene: Signed-off-by,
authorship, diffstat, subject prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from reviewtool.checks.context import CheckContext
from reviewtool.checks.registry import Hit, Scope, check
from reviewtool.diff import FileDiff
from reviewtool.findings import Severity
from reviewtool.location import MailLocation
from reviewtool.mail.body import Trailer, find_email
from reviewtool.series import Patch, SeriesFact, SeriesFactKind, compact_ranges

# "qapi: add ...", "hw/net/virtio-net: ...", "migration/options: ...",
# "virtio-net, vhost: ...", "MAINTAINERS: ...", "docs/devel/qapi-code-gen: ..."
SUBSYSTEM_PREFIX_RE = re.compile(r"^[\w.+/{}*-]+(?:\s*,\s*[\w.+/{}*-]+)*:\s+\S")
# "Hexagon (target/hexagon) fix ...", "linux-test (tests/tcg/multiarch/linux-test.c) add ...":
# the "Name (path)" form some subsystems use instead of a colon
NAMED_PATH_PREFIX_RE = re.compile(r"^[\w.+-]+ \([\w./,+*-]+\) \S")
# 'Revert "qapi: ..."' and git's own merge subjects carry no prefix by design
NO_PREFIX_NEEDED_RE = re.compile(r'^(?:Revert ".*"|Reapply ".*"|Merge (?:tag|branch) )')
# " 3 files changed, 30 insertions(+), 3 deletions(-)", " 1 file changed, 2 insertions(+)"
DIFFSTAT_SUMMARY_RE = re.compile(
    r"^\s*(?P<files>\d+) files? changed"
    r"(?:, (?P<ins>\d+) insertions?\(\+\))?"
    r"(?:, (?P<dels>\d+) deletions?\(-\))?\s*$"
)
# "Vladimir Sementsov-Ogievskiy <vsementsov@yandex-team.ru>" -> the name part
NAME_RE = re.compile(r"^\s*\"?(?P<name>[^<\"]*?)\"?\s*(?:<[^>]*>)?\s*$")


def _facts(ctx: CheckContext, kind: SeriesFactKind) -> Iterator[SeriesFact]:
    return (fact for fact in ctx.series.facts if fact.kind is kind)


def _fact_hits(ctx: CheckContext, kind: SeriesFactKind) -> Iterator[Hit]:
    """One hit per fact of ``kind``, in the words the stage recorded."""
    for fact in _facts(ctx, kind):
        yield Hit(fact.message, at=fact.location, patch=fact.slot)


# --- the series: slots, versions, threads (facts from series.py) ------------


@check("M001", "patch-missing", severity=Severity.WARNING)
def patch_missing(ctx: CheckContext) -> Iterator[Hit]:
    """Patches of the series are missing from the input.

    Why: a series is reviewed and applied as a whole; with slots missing,
    later patches may not apply and whatever the missing ones add (a QAPI
    member, a C site) is invisible to every other check. Reviewing one
    patch of a longer series on purpose still gets this warning, as a
    reminder that the result is partial.

    Okay: ../common/ok-two-patch-series.mbox
    M001: flagged-patch-2-of-3-missing.mbox
    """
    missing = [f.slot for f in _facts(ctx, SeriesFactKind.MISSING) if f.slot is not None]
    if missing:
        total = ctx.series.total
        word = "patch" if len(missing) == 1 else "patches"
        yield Hit(
            f"{word} {compact_ranges(missing)} of {total} missing from the input "
            f"({total - len(missing)} of {total} present)",
            extra={"missing": missing},
        )


@check("M002", "patch-duplicate", severity=Severity.WARNING)
def patch_duplicate(ctx: CheckContext) -> Iterator[Hit]:
    """The same patch slot was sent more than once; the later copy is used.

    Why: a resent patch without a new version number leaves the reader to
    guess which copy is meant; the two copies may differ, and b4 and
    patchwork may pick a different one than the reviewer did.

    Okay: ../common/ok-two-patch-series.mbox
    M002: flagged-slot-sent-twice.mbox
    """
    yield from _fact_hits(ctx, SeriesFactKind.DUPLICATE)


@check("M003", "patch-counter-out-of-range", severity=Severity.ERROR)
def patch_counter_out_of_range(ctx: CheckContext) -> Iterator[Hit]:
    """A patch number is larger than the series length, as in ``[PATCH 6/5]``.

    Why: tools assemble a series from its i/N counters; a stray 6/5 usually
    means a patch was added after ``git format-patch`` or resent into the
    wrong thread, and it is not clear where it belongs.

    Okay: ../common/ok-two-patch-series.mbox
    M003: flagged-patch-3-of-2.mbox
    """
    yield from _fact_hits(ctx, SeriesFactKind.OUT_OF_RANGE)


@check("M004", "series-mixed-versions", severity=Severity.WARNING)
def series_mixed_versions(ctx: CheckContext) -> Iterator[Hit]:
    """The assembled series holds patches sent as different versions.

    Why: when only some patches are resent as vN+1 (a partial reroll), the
    series under review is a mix, and whoever applies it must know which
    copy of each patch is current. This says which versions were mixed;
    M005 names each slot taken from another version.

    Okay: ../common/ok-two-patch-series.mbox
    M004: flagged-partial-reroll.mbox
    """
    yield from _fact_hits(ctx, SeriesFactKind.MIXED_VERSION)


@check("M005", "patch-from-other-version", severity=Severity.INFO)
def patch_from_other_version(ctx: CheckContext) -> Iterator[Hit]:
    """A slot of the series was filled from another version of it.

    Why: a partial reroll (only patch 2 resent as v2, in reply to v1)
    is a normal way of working, but the reviewer should know that patch 1
    still comes from v1.

    Okay: ../common/ok-two-patch-series.mbox
    M005: ../M004/flagged-partial-reroll.mbox
    """
    yield from _fact_hits(ctx, SeriesFactKind.PARTIAL_REROLL)


@check("M006", "other-versions-in-input", severity=Severity.INFO)
def other_versions_in_input(ctx: CheckContext) -> Iterator[Hit]:
    """The input holds other versions of the series besides the one reviewed.

    Why: by default the newest version is reviewed; ``--series-version N``
    picks another. Saying so avoids reviewing v2 while believing it is v3.

    Okay: ../common/ok-two-patch-series.mbox
    M006: flagged-v1-and-v2.mbox
    """
    yield from _fact_hits(ctx, SeriesFactKind.OTHER_VERSION)


@check("M007", "other-series-in-input", severity=Severity.WARNING)
def other_series_in_input(ctx: CheckContext) -> Iterator[Hit]:
    """Patches of another thread were left out of the series reviewed.

    Why: an mbox with two unrelated series of the same version is reviewed
    one series at a time; the patches left out are named so that nothing is
    silently skipped.

    Okay: ../common/ok-two-patch-series.mbox
    M007: flagged-two-threads.mbox
    """
    yield from _fact_hits(ctx, SeriesFactKind.OTHER_SERIES)


@check("M008", "series-total-mismatch", severity=Severity.WARNING)
def series_total_mismatch(ctx: CheckContext) -> Iterator[Hit]:
    """Patches of one series disagree on its length (``1/3`` beside ``2/4``).

    Why: the N of i/N tells the reader and the tools when the series is
    complete; patches counting differently were usually sent from two
    format-patch runs, and one of them may be stale.

    Okay: ../common/ok-two-patch-series.mbox
    M008: flagged-1-of-2-and-2-of-3.mbox
    """
    yield from _fact_hits(ctx, SeriesFactKind.TOTAL_MISMATCH)


@check("M009", "patch-without-diff", severity=Severity.WARNING)
def patch_without_diff(ctx: CheckContext) -> Iterator[Hit]:
    """A numbered patch mail carries no diff.

    Why: a ``[PATCH 2/3]`` with no diff is a commit message without a
    change: the diff was lost (an attachment that was stripped, a mangled
    paste) or the mail is not a patch at all, and applying the series
    will not do what its subjects say.

    Okay: ../common/ok-two-patch-series.mbox
    M009: flagged-numbered-patch-without-diff.mbox
    """
    yield from _fact_hits(ctx, SeriesFactKind.NO_DIFF)


# --- the mail: what the mail stage could not read cleanly --------------------


@check("M020", "mail-unreadable", severity=Severity.WARNING)
def mail_unreadable(ctx: CheckContext) -> Iterator[Hit]:
    """A message of the input could not be read and was skipped.

    Why: a skipped message may be one of the series' patches, and its
    absence would otherwise show up only as a confusing missing patch.

    Okay: ../common/ok-two-patch-series.mbox
    M020: flagged-unreadable-message.mbox
    """
    yield from _fact_hits(ctx, SeriesFactKind.BROKEN_MESSAGE)


@check("M021", "mail-charset-fallback", severity=Severity.WARNING)
def mail_charset_fallback(ctx: CheckContext) -> Iterator[Hit]:
    """A patch mail did not decode with its declared charset; another was used.

    Why: a wrong charset label means non-ASCII text (names in trailers,
    strings in the code) may be decoded differently from what the author
    wrote, and ``git am`` may apply different bytes than were reviewed.

    Okay: ../common/ok-two-patch-series.mbox
    M021: flagged-latin1-labelled-utf8.mbox
    """
    yield from _fact_hits(ctx, SeriesFactKind.CHARSET_FALLBACK)


@check("M022", "mail-defect", severity=Severity.INFO)
def mail_defect(ctx: CheckContext) -> Iterator[Hit]:
    """A patch mail is malformed (a MIME or header defect) but was read.

    Why: mail that the parser had to repair may be read differently by
    other tools (patchwork, ``git am``); the defect is worth a look when
    what they apply differs from what was reviewed.

    Okay: ../common/ok-two-patch-series.mbox
    M022: flagged-duplicate-subject-header.mbox
    """
    yield from _fact_hits(ctx, SeriesFactKind.MAIL_DEFECT)


@check("M023", "mail-sender-rewritten", severity=Severity.INFO)
def mail_sender_rewritten(ctx: CheckContext) -> Iterator[Hit]:
    """The list rewrote the sender (``Name via qemu-devel``); Reply-To was used.

    Why: with DMARC the list replaces From:, so the patch's author is taken
    from Reply-To; without an in-body ``From:`` line, ``git am`` would
    record the list as the author.

    Okay: ../common/ok-two-patch-series.mbox
    M023: flagged-via-list.mbox
    """
    yield from _fact_hits(ctx, SeriesFactKind.SENDER_REWRITTEN)


# --- each patch's hygiene ----------------------------------------------------


def _mail_at(patch: Patch, line: int | None = None) -> MailLocation:
    """The patch's mail, at ``line`` of its decoded body when given."""
    where = patch.message.location
    return MailLocation(where.source, where.index, line)


def _trailer_at(patch: Patch, trailer: Trailer) -> MailLocation:
    return trailer.location or _mail_at(patch, trailer.line)


def _own_signoffs(patch: Patch) -> list[Trailer]:
    """Signed-off-by lines of the patch mail itself (not given in replies)."""
    return [t for t in patch.body.trailers if t.key == "signed-off-by" and not t.from_reply]


def _norm_name(value: str) -> str:
    """``'"Doe, Jane" <j@x>'`` -> ``'doe, jane'``: the display name, folded."""
    m = NAME_RE.match(value)
    name = m.group("name") if m else value
    return " ".join(name.split()).casefold()


def _is_patch_with_diff(patch: Patch) -> bool:
    # a numbered mail without a diff is M009's finding, not a sign-off problem
    return patch.body.has_diff


@check("M010", "signed-off-by-missing", severity=Severity.ERROR, scope=Scope.PATCH)
def signed_off_by_missing(ctx: CheckContext, patch: Patch) -> Iterator[Hit]:
    """A patch has no Signed-off-by line.

    Why: QEMU accepts a patch only with its author's Signed-off-by, the
    Developer's Certificate of Origin (docs/devel/submitting-a-patch.rst).
    A Signed-off-by given later in a reply does not count: it must be in the
    commit that is applied.

    Okay: ../common/ok-two-patch-series.mbox
    M010: flagged-no-signoff.mbox
    """
    if _is_patch_with_diff(patch) and not _own_signoffs(patch):
        yield Hit("no Signed-off-by: line in the commit message", at=_mail_at(patch))


@check("M011", "signed-off-by-no-email", severity=Severity.ERROR, scope=Scope.PATCH)
def signed_off_by_no_email(ctx: CheckContext, patch: Patch) -> Iterator[Hit]:
    """A Signed-off-by line has a name but no email address.

    Why: the Developer's Certificate of Origin names a person who can be
    reached; ``Signed-off-by: Full Name <address>`` is the only accepted
    form, and tools such as b4 and checkpatch match sign-offs by address.

    Okay: ../common/ok-two-patch-series.mbox
    M011: flagged-signoff-without-address.mbox
    """
    for trailer in _own_signoffs(patch):
        if trailer.email is None:
            yield Hit(
                f"Signed-off-by: {trailer.value} has no email address",
                at=_trailer_at(patch, trailer),
                extra={"trailer": f"{trailer.name}: {trailer.value}"},
            )


@check("M012", "author-not-signed-off", severity=Severity.ERROR, scope=Scope.PATCH)
def author_not_signed_off(ctx: CheckContext, patch: Patch) -> Iterator[Hit]:
    """The patch's author (From:) has not signed it off.

    Why: the author certifies the origin of their own work; a patch carrying
    only someone else's Signed-off-by (a forwarded or rebased patch whose
    author line got lost) cannot be merged. Sign-offs are matched by
    address, or by name when either side has no address.

    Okay: ../common/ok-two-patch-series.mbox
    M012: flagged-author-not-signed-off.mbox
    """
    signoffs = _own_signoffs(patch)
    if not _is_patch_with_diff(patch) or not signoffs or not patch.author:
        return  # no sign-off at all is M010's finding
    author_email = find_email(patch.author)
    author_name = _norm_name(patch.author)
    for trailer in signoffs:
        if author_email and trailer.email and author_email.casefold() == trailer.email.casefold():
            return
        if (
            (not author_email or not trailer.email)
            and author_name
            and (author_name == _norm_name(trailer.value))
        ):
            return
    names = ", ".join(t.value for t in signoffs)
    yield Hit(
        f"author {patch.author} has no Signed-off-by (signed off by: {names})",
        at=_mail_at(patch),
        extra={"author": patch.author},
    )


@dataclass(frozen=True, slots=True)
class _Stat:
    files: int
    insertions: int
    deletions: int

    def describe(self) -> str:
        return (
            f"{self.files} file{'s' if self.files != 1 else ''}, "
            f"{self.insertions} insertion{'s' if self.insertions != 1 else ''}(+), "
            f"{self.deletions} deletion{'s' if self.deletions != 1 else ''}(-)"
        )


def _diff_stat(diffs: tuple[FileDiff, ...]) -> _Stat:
    ins = sum(1 for f in diffs for h in f.hunks for ln in h.lines if ln.kind == "+")
    dels = sum(1 for f in diffs for h in f.hunks for ln in h.lines if ln.kind == "-")
    return _Stat(len(diffs), ins, dels)


def _notes_stat(notes: str) -> tuple[_Stat, int] | None:
    """The diffstat summary in the notes and its line within the notes."""
    for number, line in enumerate(notes.splitlines(), 1):
        if m := DIFFSTAT_SUMMARY_RE.match(line):
            return _Stat(int(m["files"]), int(m["ins"] or 0), int(m["dels"] or 0)), number
    return None


@check("M013", "diffstat-mismatch", severity=Severity.WARNING, scope=Scope.PATCH)
def diffstat_mismatch(ctx: CheckContext, patch: Patch) -> Iterator[Hit]:
    """The diffstat below ``---`` disagrees with the diff that follows it.

    Why: git writes the diffstat from the same commit as the diff, so a
    disagreement means the mail was edited by hand after format-patch (a
    hunk added, dropped or changed), and what a reviewer sees in the
    summary is not what gets applied.

    Okay: ../common/ok-two-patch-series.mbox
    M013: flagged-diffstat-mismatch.mbox
    """
    if not _is_patch_with_diff(patch):
        return
    stated = _notes_stat(patch.body.notes)
    if stated is None:
        return
    said, _ = stated
    actual = _diff_stat(ctx.diffs(patch.index))
    if said != actual:
        yield Hit(
            f"diffstat says {said.describe()}; the diff has {actual.describe()}",
            at=_mail_at(patch),
            extra={
                "diffstat": {
                    "files": said.files,
                    "insertions": said.insertions,
                    "deletions": said.deletions,
                },
                "diff": {
                    "files": actual.files,
                    "insertions": actual.insertions,
                    "deletions": actual.deletions,
                },
            },
        )


@check("M014", "subject-without-subsystem", severity=Severity.WARNING, scope=Scope.PATCH)
def subject_without_subsystem(ctx: CheckContext, patch: Patch) -> Iterator[Hit]:
    """A patch subject does not start with a ``subsystem: `` prefix.

    Why: QEMU's one-line summaries name the area they change first
    (``qapi: ...``, ``hw/net/virtio-net: ...``, ``migration: ...``), so
    that ``git log --oneline`` and the list can be scanned and filtered by
    subsystem. The ``Hexagon (target/hexagon) ...`` form some subsystems
    use is accepted too. Reverts keep git's ``Revert "..."`` form. The
    cover letter is free-form.

    Okay: ../common/ok-two-patch-series.mbox
    M014: flagged-no-subsystem.mbox
    """
    text = patch.subject.text
    if any(r.match(text) for r in (SUBSYSTEM_PREFIX_RE, NAMED_PATH_PREFIX_RE, NO_PREFIX_NEEDED_RE)):
        return
    yield Hit(
        f"subject {text!r} does not start with 'subsystem: '",
        at=_mail_at(patch),
        extra={"subject": text},
    )
