"""P### checks: does each patch apply, and is the code it adds in QEMU style.

Style checks look only at the lines a patch adds (``+`` lines), as QEMU's
checkpatch does, so a series is never blamed for code it merely touches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reviewtool.apply import FileOutcome, FileResult, HunkResult, PatchApply
from reviewtool.checks.context import AddedLine, CheckContext
from reviewtool.checks.registry import Hit, Scope, check
from reviewtool.findings import Severity
from reviewtool.location import DiffLocation
from reviewtool.series import Patch

# Files QEMU's style rules treat as source code for the line length:
# "hw/net/virtio-net.c", "include/qemu/osdep.h", "target/arm/tcg/a64.c.inc",
# "scripts/qapi/parser.py", "tests/qemu-iotests/common.sh", "linux-user/x86_64/vdso.S"
SOURCE_FILE_RE = re.compile(r"\.(?:[ch](?:\.inc)?|cpp|[sS]|pl|py|sh)$")
# C sources and headers, where QEMU indents with spaces only
C_FILE_RE = re.compile(r"\.[ch](?:\.inc)?$")
# A line that is nothing but a string literal (long messages stay greppable):
#     "parameter '%s' cannot be set together with '%s'",
STRING_ONLY_RE = re.compile(r'^\s*"[^"]*"\s*(?:,|\)\s*;|\))?\s*$')
# A line that is nothing but a URL, perhaps in a comment:  " * https://gitlab.com/qemu-project/qemu"
URL_ONLY_RE = re.compile(r"^[^A-Za-z0-9]*https?://\S*\s*$")

WARN_COLUMNS = 80
ERROR_COLUMNS = 90
TAB_WIDTH = 8


def _added_at(added: AddedLine) -> DiffLocation:
    """Where an added line is: its patch's diff line and its post-image line."""
    return DiffLocation(
        patch=added.patch,
        path=added.path,
        diff_line=added.line.diff_line,
        line=added.line.target_line,
    )


def _columns(text: str) -> int:
    """Display width of ``text`` with tabs expanded to 8 columns."""
    return len(text.expandtabs(TAB_WIDTH))


# --- does it apply (facts from apply.py) --------------------------------------


def _applied(ctx: CheckContext, patch: Patch) -> PatchApply | None:
    return ctx.applied.patch(patch.index)


def _files_with(ctx: CheckContext, patch: Patch, outcome: FileOutcome) -> Iterator[FileResult]:
    """The file diffs of ``patch`` whose outcome is ``outcome``."""
    result = _applied(ctx, patch)
    if result is not None:
        yield from (f for f in result.files if f.outcome is outcome)


def _because(earlier: DiffLocation | None, note: str | None) -> str:
    """The "may follow from" and "Based-on" remarks that end a failure message."""
    parts = []
    if earlier is not None:
        parts.append(f"may follow from the failure at {earlier.describe()}")
    if note:
        parts.append(note)
    return f" ({'; '.join(parts)})" if parts else ""


def _failure_extra(
    reason: str, earlier: DiffLocation | None, note: str | None, based_on: tuple[str, ...]
) -> dict[str, object]:
    return {
        "reason": reason,
        "may_follow": earlier,
        "note": note,
        "based_on_missing": list(based_on),
    }


@check("P001", "patch-does-not-apply", severity=Severity.ERROR, scope=Scope.PATCH)
def patch_does_not_apply(ctx: CheckContext, patch: Patch) -> Iterator[Hit]:
    """A hunk or file of a patch does not apply to the tree.

    Why: a series that does not apply cannot be merged, and every later
    check sees a best-effort tree without the failed hunk. The message says
    why (the context that differs, a file that does not exist or already
    does), whether the failure may follow from an earlier one on the same
    file, and whether the cover letter's ``Based-on:`` names a series that
    is not in the input (then the tree is probably the wrong base).

    Okay: ../common/ok-two-patch-series.mbox
    P001: flagged-context-mismatch.mbox
    P001: flagged-file-missing.mbox
    """
    result = _applied(ctx, patch)
    if result is None:
        return
    based_on = ctx.applied.based_on_missing
    for file in result.files:
        if file.outcome in (FileOutcome.REFUSED, FileOutcome.NOT_APPLIED):
            continue  # P004 and P003 say why these were not applied
        failed = [hunk for hunk in file.hunks if not hunk.ok]
        # A file that failed as a whole (missing, already exists) says so once;
        # otherwise each failed hunk says why, at its own "@@" line.
        whole = file.outcome is FileOutcome.FAILED and all(h.reason == file.reason for h in failed)
        if not whole:
            for hunk in failed:
                yield _hunk_failure(file, hunk, based_on)
        else:
            reason = (file.reason or "the file cannot be changed").removeprefix(f"{file.path}: ")
            yield Hit(
                f"{file.path}: {reason}{_because(file.may_follow_earlier, file.note)}",
                at=file.location,
                introduced_by=file.location,
                extra=_failure_extra(reason, file.may_follow_earlier, file.note, based_on),
            )


def _hunk_failure(file: FileResult, hunk: HunkResult, based_on: tuple[str, ...]) -> Hit:
    reason = (hunk.reason or "does not apply").removeprefix(f"{file.path}: ")
    return Hit(
        f"hunk {hunk.index} of {file.path} does not apply: {reason}"
        f"{_because(hunk.may_follow_earlier, hunk.note)}",
        at=hunk.location,
        introduced_by=hunk.location,
        extra={
            **_failure_extra(reason, hunk.may_follow_earlier, hunk.note, based_on),
            "hunk": hunk.index,
        },
    )


@check("P002", "diff-unparsable", severity=Severity.ERROR, scope=Scope.PATCH)
def diff_unparsable(ctx: CheckContext, patch: Patch) -> Iterator[Hit]:
    """A patch's diff cannot be parsed, so nothing of it was applied.

    Why: a diff mangled in transit (wrapped lines, hunk line counts that do
    not add up, a mail client that ate leading spaces) is rejected by
    ``git am`` as well; the author must resend it, usually with
    ``git send-email``.

    Okay: ../common/ok-two-patch-series.mbox
    P002: flagged-hunk-count-wrong.mbox
    """
    result = _applied(ctx, patch)
    if result is not None and result.error is not None:
        yield Hit(f"the diff cannot be parsed: {result.error}", at=patch.message.location)


@check("P003", "binary-patch-not-checked", severity=Severity.WARNING, scope=Scope.PATCH)
def binary_patch_not_checked(ctx: CheckContext, patch: Patch) -> Iterator[Hit]:
    """A patch changes a binary file, which review cannot apply or check.

    Why: binary diffs (firmware blobs, images, test images) are applied by
    git only; the later stages see the file unchanged, so anything checked
    about it is about the old content. QEMU rarely takes binary changes by
    mail; a maintainer looks at them by hand.

    Okay: ../common/ok-two-patch-series.mbox
    P003: flagged-binary-file.mbox
    """
    for file in _files_with(ctx, patch, FileOutcome.NOT_APPLIED):
        yield Hit(
            f"{file.path}: binary change not applied or checked",
            at=file.location,
            introduced_by=file.location,
        )


@check("P004", "diff-path-refused", severity=Severity.ERROR, scope=Scope.PATCH)
def diff_path_refused(ctx: CheckContext, patch: Patch) -> Iterator[Hit]:
    """A diff names a path outside the tree (absolute, ``..``, control characters).

    Why: such a path is either a corrupted diff or an attempt to write
    outside the source tree; it is never applied, and the patch must be
    resent with ordinary ``a/`` and ``b/`` paths.

    Okay: ../common/ok-two-patch-series.mbox
    P004: flagged-dotdot-path.mbox
    """
    for file in _files_with(ctx, patch, FileOutcome.REFUSED):
        yield Hit(f"{file.path}: refused: {file.reason or 'unsafe path'}", at=file.location)


# --- style of the added lines ----------------------------------------------------


@check("P010", "trailing-whitespace", severity=Severity.ERROR, scope=Scope.PATCH)
def trailing_whitespace(ctx: CheckContext, patch: Patch) -> Iterator[Hit]:
    """A line the patch adds ends in spaces or tabs.

    Why: trailing whitespace is invisible in review, makes later diffs
    noisy, and QEMU's checkpatch rejects it; git can strip it on apply, but
    then the applied patch differs from the reviewed one.

    Okay: ../common/ok-two-patch-series.mbox
    P010: flagged-trailing-space.mbox
    """
    for added in ctx.added_lines(patch.index):
        text = added.line.text
        if text != text.rstrip(" \t"):
            at = _added_at(added)
            yield Hit(
                f"trailing whitespace on line {added.line.target_line} of {added.path}",
                at=at,
                introduced_by=at,
            )


@check("P011", "c-tab-indent", severity=Severity.ERROR, scope=Scope.PATCH)
def c_tab_indent(ctx: CheckContext, patch: Patch) -> Iterator[Hit]:
    """A line the patch adds to a C file contains a tab.

    Why: QEMU's coding style indents C with four spaces and never tabs
    (docs/devel/style.rst); checkpatch reports "code indent should never use
    tabs". Tabs render differently in every editor and mail client.

    Okay: ../common/ok-two-patch-series.mbox
    P011: flagged-tab-in-c.mbox
    """
    for added in ctx.added_lines(patch.index):
        if C_FILE_RE.search(added.path) and "\t" in added.line.text:
            at = _added_at(added)
            yield Hit(
                f"tab in C source, line {added.line.target_line} of {added.path}: "
                "QEMU indents with spaces",
                at=at,
                introduced_by=at,
            )


@check("P012", "line-too-long", severity=Severity.WARNING, scope=Scope.PATCH)
def line_too_long(ctx: CheckContext, patch: Patch) -> Iterator[Hit]:
    """A line the patch adds to a source file is over 80 columns (over 90: error).

    Why: QEMU's style limits lines to 80 columns, and checkpatch warns above
    80 and errors above 90. Lines that are only a string literal or only a
    URL are exempt, so messages stay greppable and links stay whole. Tabs
    count as 8 columns. JSON, text and documentation files are not checked.

    Okay: ../common/ok-two-patch-series.mbox
    Okay: ok-long-string-literal.mbox
    P012: flagged-long-line.mbox
    P012: flagged-very-long-line.mbox
    """
    for added in ctx.added_lines(patch.index):
        if not SOURCE_FILE_RE.search(added.path):
            continue
        text = added.line.text
        width = _columns(text)
        if width <= WARN_COLUMNS or STRING_ONLY_RE.match(text) or URL_ONLY_RE.match(text):
            continue
        limit = ERROR_COLUMNS if width > ERROR_COLUMNS else WARN_COLUMNS
        at = _added_at(added)
        yield Hit(
            f"line {added.line.target_line} of {added.path} is {width} columns (over {limit})",
            at=at,
            introduced_by=at,
            severity=Severity.ERROR if width > ERROR_COLUMNS else None,
            extra={"columns": width, "limit": limit},
        )
