"""Email rendering: reply mails in the series' thread, like a maintainer's review.

Owns turning a ``Report`` into one reply per patch that has findings (plus one
to the cover letter for findings about the series as a whole):

* headers: ``Subject: Re: <the patch's subject>``, ``In-Reply-To`` the patch's
  Message-ID, ``References`` the patch's References plus its Message-ID,
  ``To`` the patch's author, ``Cc`` the original To and Cc (deduplicated).
  Everything taken from the mail is stripped of CR/LF and control characters,
  so a hostile subject or address cannot add headers.
* body: findings not tied to a line of the diff first, then only the diff
  lines the findings concern, quoted with ``> `` (the file and hunk header
  and a few lines of context before each), each finding under its line.
  It never adds ``Reviewed-by:`` or any other trailer: a comment starts with
  its check code and a wrapped line never starts with ``Token:``.

``render_email`` joins several replies into an mbox (``From `` separator
lines, body lines starting with ``From `` quoted as ``>From `` the mboxrd
way) that stdlib ``mailbox.mbox`` and ``git am``-style tools read; a single
reply is printed as the bare message. With nothing found there is no mail
(``None``), unless ``clean_mail`` asks for a short "no problems" reply.

Where a finding goes: its ``introduced_by`` diff line (or a ``DiffLocation``
``at``, or the origin of a post-image ``TreeLocation`` line) decides the
patch and the quoted line; otherwise its ``patch`` slot; series-level
findings go to the cover letter, or to the first patch without one.
Imports findings, location, errors, diff, series, report.model; the stdlib
``email`` package is allowed here (architecture.md, seams) to build the reply.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from reviewtool.diff import DiffLine, FileDiff, Hunk, parse_diff
from reviewtool.errors import DiffError
from reviewtool.findings import Finding
from reviewtool.location import DiffLocation, Location, TreeLocation
from reviewtool.report.model import Report
from reviewtool.series import Patch, Series

DEFAULT_SENDER = "review <review@localhost>"
CONTEXT_LINES = 3  # lines of diff quoted before each line a finding concerns
WRAP = 72

# One policy for every reply: SMTP's RFC 2047 encoding, "\n" line ends in
# what we render (the caller's transport converts), and headers folded only
# past RFC 5322's hard limit: at 78 columns Python folds a long Subject right
# after "Subject:", and some readers then show it with a leading space.
POLICY = email_policy.SMTP.clone(linesep="\n", max_line_length=998)

# CR, LF and the other C0/C1 controls: never let them into a header.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# "user@example.org": no spaces, brackets, quotes or separators around '@'
_ADDR_RE = re.compile(r"^[^\s@<>(),;:\"\[\]\\]+@[^\s@<>(),;:\"\[\]\\]+$")
# "Name <addr>", "\"Bob, Jr.\" <bob@example.org>": the address is the last <...>
_NAME_ADDR_RE = re.compile(r"^(?P<name>.*?)\s*<(?P<addr>[^<>]*)>\s*$")
# characters a Message-ID may hold between '<' and '>'
_MSGID_BAD = re.compile(r"[\s<>\"\\,;()]+")
# "Re:", "RE:", "Re[2]:" at the start of a subject
_RE_PREFIX = re.compile(r"^\s*re(\[\d+\])?:", re.I)
# "Reviewed-by:", "Fixes:", "Cc:": what a trailer line starts with (indented or not)
_TOKEN_COLON = re.compile(r"^\s*[A-Za-z][A-Za-z0-9-]*\s*:")
# a line of ours that starts "From " must not look like an mbox separator
_FROM_LINE = re.compile(r"^(>*From )", re.M)


@dataclass(frozen=True, slots=True)
class _Comment:
    """A finding placed under diff line ``diff_line`` of its patch, if any."""

    finding: Finding
    diff_line: int | None


@dataclass(slots=True)
class _Thread:
    """What goes into one reply: the patch replied to and its comments."""

    patch: Patch
    comments: list[_Comment] = field(default_factory=list)


def render_email(report: Report, *, clean_mail: bool = False) -> str | None:
    """All replies as text: one bare message, an mbox of several, or None for none."""
    replies = build_replies(report, clean_mail=clean_mail)
    if not replies:
        return None
    if len(replies) == 1:
        return message_text(replies[0])
    return mbox_text(replies)


def message_text(message: EmailMessage) -> str:
    """One message as text with ``\\n`` line ends (8-bit bodies stay UTF-8)."""
    return message_bytes(message).decode("utf-8", "replace")


def message_bytes(message: EmailMessage) -> bytes:
    """One message as bytes, ready for a Maildir file or an SMTP client."""
    return message.as_bytes(policy=POLICY)


def mbox_text(messages: Sequence[EmailMessage]) -> str:
    """Messages as an mbox (mboxrd quoting of body lines that start ``From ``)."""
    chunks = []
    for message in messages:
        sender = parseaddr(str(message["From"] or ""))[1] or "review"
        text = message_text(message)
        head, sep, body = text.partition("\n\n")
        body = _FROM_LINE.sub(r">\1", body)
        # asctime of the epoch: the separator's date is required but meaningless here
        chunks.append(f"From {sender} Thu Jan  1 00:00:00 1970\n{head}{sep}{body}")
        if not chunks[-1].endswith("\n"):
            chunks[-1] += "\n"
    return "\n".join(chunks)


def build_replies(
    report: Report,
    *,
    clean_mail: bool = False,
    sender: str = DEFAULT_SENDER,
    date: datetime | None = None,
) -> list[EmailMessage]:
    """One reply per patch with findings (cover letter first), in slot order.

    ``date`` sets the Date header (left out by default: the output is then
    reproducible and the mail transport adds one).
    """
    series = report.series
    if series is None or not series.patches:
        return []
    threads = _place(report, series)
    if not threads and clean_mail:
        first = series.cover or series.patches[0]
        threads = {first.index: _Thread(first)}
    replies = []
    for slot in sorted(threads):
        thread = threads[slot]
        body = _body(report, series, thread)
        replies.append(_message(thread.patch, body, sender=sender, date=date))
    return replies


# --- where each finding goes ------------------------------------------------


def _place(report: Report, series: Series) -> dict[int, _Thread]:
    threads: dict[int, _Thread] = {}
    fallback = series.cover or series.patches[0]
    for finding in report.findings:
        anchor = report.anchor(finding)
        slot = anchor.patch if anchor is not None else finding.patch
        patch = series.patch(slot) if slot is not None else None
        if patch is None:
            patch, anchor = fallback, None
        elif anchor is not None and anchor.patch != patch.index:
            anchor = None
        thread = threads.setdefault(patch.index, _Thread(patch))
        thread.comments.append(_Comment(finding, anchor.diff_line if anchor else None))
    return threads


# --- the body -----------------------------------------------------------------


def _body(report: Report, series: Series, thread: _Thread) -> str:
    patch = thread.patch
    lines = [_attribution(patch), ""]
    if not thread.comments:
        n = sum(1 for p in series.patches if p.index > 0)
        lines.append(
            f"review checked this series ({n} patch{'es' if n != 1 else ''}) and found no problems."
        )
        return _finish(lines)
    counts = _counts(c.finding for c in thread.comments)
    what = "this series" if patch.index == 0 else "this patch"
    lines += [f"review found {counts} in {what}.", ""]

    diffs = _diffs(report, patch)
    # a comment may sit under a diff line, a hunk header or a file's "diff --git"
    quotable = {dl.diff_line for f in diffs for h in f.hunks for dl in h.lines}
    quotable |= {h.diff_line for f in diffs for h in f.hunks}
    quotable |= {f.diff_line for f in diffs}
    loose = [c for c in thread.comments if c.diff_line not in quotable]
    placed: dict[int, list[Finding]] = {}
    for comment in thread.comments:
        if comment.diff_line in quotable and comment.diff_line is not None:
            placed.setdefault(comment.diff_line, []).append(comment.finding)

    for comment in sorted(loose, key=lambda c: _worst_first(c.finding)):
        lines += [*_comment(comment.finding), ""]
    for file in diffs:
        lines += _quote_file(file, placed)
    return _finish(lines)


def _attribution(patch: Patch) -> str:
    message = patch.message
    who = _clean(message.from_name or message.from_addr or "the author")
    if message.date is not None:
        return f"On {message.date.strftime('%a, %d %b %Y %H:%M:%S %z')}, {who} wrote:"
    return f"{who} wrote:"


def _counts(findings: Iterable[Finding]) -> str:
    findings = list(findings)
    n = len(findings)
    parts = []
    for name in ("error", "warning", "info"):
        k = sum(1 for f in findings if f.severity.value == name)
        if k:
            parts.append(f"{k} {'note' if name == 'info' else name}{'s' if k != 1 else ''}")
    return f"{n} problem{'s' if n != 1 else ''} ({', '.join(parts)})"


def _diffs(report: Report, patch: Patch) -> tuple[FileDiff, ...]:
    if report.applied is not None:
        try:
            return report.applied.diffs(patch.index)
        except (KeyError, IndexError, ValueError):
            pass
    if not patch.body.diff.strip():
        return ()
    try:
        return parse_diff(patch.body.diff, patch=patch.index)
    except DiffError:
        return ()  # nothing to quote; the findings still go in the loose section


def _quote_file(file: FileDiff, placed: dict[int, list[Finding]]) -> list[str]:
    hunks = [
        h
        for h in file.hunks
        if h.diff_line in placed or any(dl.diff_line in placed for dl in h.lines)
    ]
    if not hunks and file.diff_line not in placed:
        return []
    old = file.old_path or file.new_path or ""
    new = file.new_path or file.old_path or ""
    lines = [_quoted(f"diff --git a/{old} b/{new}")]
    lines += _comments_under(placed.get(file.diff_line, []))
    for hunk in hunks:
        lines += _quote_hunk(hunk, placed)
    return lines


def _comments_under(findings: list[Finding]) -> list[str]:
    """A blank line, then each comment followed by a blank line (nothing for none)."""
    if not findings:
        return []
    lines = [""]
    for finding in sorted(findings, key=_worst_first):
        lines += [*_comment(finding), ""]
    return lines


def _quote_hunk(hunk: Hunk, placed: dict[int, list[Finding]]) -> list[str]:
    lines = [_quoted(hunk.header())]
    # a finding about the whole hunk (it does not apply, say) goes under its header
    lines += _comments_under(placed.get(hunk.diff_line, []))
    quoted_to = -1  # index of the last hunk line quoted so far
    for i, line in enumerate(hunk.lines):
        if line.diff_line not in placed:
            continue
        start = max(quoted_to + 1, i - CONTEXT_LINES)
        if start > quoted_to + 1:
            lines.append("> [...]")  # lines left out since the header or the last quote
        lines += [_diff_line(dl) for dl in hunk.lines[start : i + 1]]
        quoted_to = i
        lines += _comments_under(placed[line.diff_line])
    return lines


def _diff_line(line: DiffLine) -> str:
    return _quoted(f"{line.kind}{line.text}")


def _quoted(text: str) -> str:
    # A stray CR would end the line early in some readers. Trailing blanks of
    # a diff line stay: they may be what the finding is about.
    text = text.replace("\r", "")
    return f"> {text}" if text.strip() else ">"


def _worst_first(finding: Finding) -> tuple[int, str]:
    return (-finding.severity.rank, finding.code)


def _comment(finding: Finding) -> list[str]:
    """``X101 (error): message`` wrapped, continuation and related lines indented.

    The first line starts with the code, the rest with two spaces, so nothing
    we write can be read as a trailer by b4 or patchwork.
    """
    label = "note" if finding.severity.value == "info" else finding.severity.value
    text = " ".join(finding.message.split())
    first = f"{finding.code} ({label}, {finding.check}): {text}"
    out: list[str] = []
    for line in textwrap.wrap(first, WRAP, subsequent_indent="  ", break_on_hyphens=False):
        if out and _TOKEN_COLON.match(line):
            # "Tested-by: x" must not start a line, even indented: keep it on
            # the line before (longer than WRAP, but never a trailer)
            out[-1] += " " + line.strip()
        else:
            out.append(line)
    if isinstance(finding.at, TreeLocation) and not _same_place(finding.at, finding.introduced_by):
        # the place the finding is about, when it is not the quoted line itself
        out.append(f"  at {_describe(finding.at)}")
    for related in finding.related:
        out += textwrap.wrap(
            f"see also: {_describe(related)}",
            WRAP,
            initial_indent="  ",
            subsequent_indent="    ",
            break_on_hyphens=False,
        )
    return out


def _same_place(at: TreeLocation, line: DiffLocation | None) -> bool:
    return line is not None and line.path == at.path and line.line == at.line


def _describe(at: Location) -> str:
    return " ".join(at.describe().split())


def _finish(lines: list[str]) -> str:
    while lines and not lines[-1]:
        lines.pop()
    lines += [
        "",
        "-- ",
        "Sent by review, an automated checker of QEMU patch series. Its findings",
        "are hints for the author and the maintainers, not a review.",
    ]
    return "\n".join(lines) + "\n"


# --- headers ------------------------------------------------------------------


def _message(patch: Patch, body: str, *, sender: str, date: datetime | None) -> EmailMessage:
    original = patch.message
    me = _addresses([sender])
    author = _address(original.from_name or "", original.from_addr or "")
    to = [author] if author is not None else _addresses(original.to)
    seen = {a.addr_spec.lower() for a in (*me, *to)}
    cc = []
    for address in _addresses([*original.to, *original.cc]):
        if address.addr_spec.lower() not in seen:
            seen.add(address.addr_spec.lower())
            cc.append(address)

    message = EmailMessage(policy=POLICY)
    message["From"] = str(me[0]) if me else DEFAULT_SENDER
    if to:
        message["To"] = ", ".join(map(str, to))
    if cc:
        message["Cc"] = ", ".join(map(str, cc))
    message["Subject"] = _reply_subject(patch.subject.raw or original.subject)
    if date is not None:
        message["Date"] = format_datetime(date)
    parent = _msgid(original.message_id)
    refs = _dedup([*(_msgid(r) for r in original.references), parent])
    message["Message-ID"] = _reply_id(parent, me[0].domain if me else "localhost")
    if parent:
        message["In-Reply-To"] = f"<{parent}>"
    if refs:
        message["References"] = " ".join(f"<{r}>" for r in refs if r)
    # RFC 3834: mark the reply as machine-made so vacation bots stay quiet
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, charset="utf-8", cte=_cte(body))
    return message


def _clean(text: str) -> str:
    """A header value without CR/LF or controls (header injection stops here)."""
    return " ".join(_CONTROLS.sub(" ", text).split())


def _reply_subject(subject: str) -> str:
    subject = _clean(subject)
    return subject if _RE_PREFIX.match(subject) else f"Re: {subject}"


def _msgid(value: str | None) -> str:
    """A Message-ID without ``<>``, whitespace or anything that breaks the header."""
    return _MSGID_BAD.sub("", _CONTROLS.sub("", (value or "").strip().strip("<>")))


def _reply_id(parent: str, domain: str) -> str:
    # Derived from the patch's Message-ID: the same patch always gets the same
    # reply id, so a re-run or a restarted bot produces a recognisable duplicate.
    digest = hashlib.sha256(parent.encode("utf-8", "replace")).hexdigest()[:20]
    return f"<review.{digest}@{domain or 'localhost'}>"


def _dedup(items: Iterable[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item and item not in out:
            out.append(item)
    return out


def _addresses(values: Iterable[str]) -> list[Address]:
    """``Name <addr>`` strings (one address each, as the mail stage gives them)."""
    out = []
    for value in values:
        value = _clean(value)
        # The name is everything before the last <...>: it is display text
        # only, so commas, colons or quotes in it can never add an address.
        m = _NAME_ADDR_RE.match(value)
        name, addr = (m["name"], m["addr"]) if m else ("", value)
        address = _address(name, addr)
        if address is not None:
            out.append(address)
    return out


def _address(name: str, addr: str) -> Address | None:
    """An Address, or None when ``addr`` is not a plain ``user@domain``."""
    addr = _clean(addr)
    if not _ADDR_RE.match(addr):
        return None
    local, _, domain = addr.rpartition("@")
    try:
        return Address(display_name=_clean(name).strip('"'), username=local, domain=domain)
    except (ValueError, IndexError):
        return None  # the header registry refuses it: leave it out rather than fail


def _cte(body: str) -> str:
    if any(len(line.encode("utf-8")) > 990 for line in body.splitlines()):
        return "quoted-printable"
    return "7bit" if body.isascii() else "8bit"
