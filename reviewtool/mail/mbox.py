"""Read mail input into ``Message`` records with one email policy.

The only module that imports ``mailbox``, ``email`` and ``mailparser``. The
stdlib ``email`` package is the primary parser (one ``email.policy``);
``mailparser`` is asked for its defect diagnosis of each message that
needs one, which is recorded as ``mail-defect`` facts.

Speed (docs/performance.md, section c): the mbox is split by a bytes scan,
the common message (one text/plain part, plain headers) is built by hand as
the ``compat32`` parser would build it, headers are decoded by hand, and
mail-parser only reads a message that shows anything it could flag (a
stdlib defect, a charset fallback, an 8-bit or control byte in a header, an
address, date or MIME header outside the plain grammar).
tests/test_mbox_fast.py checks the hand-built message against the parser,
and the gate against mail-parser, on every mail in tests/data and the corpus.

Inputs (one or more): an mbox (mboxo or mboxrd, patchew's ``From nobody``
separators), a Maildir directory, a single ``.eml``/``.patch`` file, a
directory of ``git format-patch`` files, or ``-`` for standard input.
``iter_messages`` streams: it holds one raw message at a time and yields
decoded records, never the ``email`` objects.
"""

from __future__ import annotations

import codecs
import enum
import functools
import io
import mailbox
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date as calendar_date
from datetime import datetime
from email._policybase import Policy, compat32
from email.header import decode_header
from email.message import Message as EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO

from reviewtool.errors import InputError
from reviewtool.location import MailLocation

# The policy every message is read with: compat32, no header registry (the
# modern policy parsed every header through email.headerregistry, most of the
# stage's cost). Headers are decoded by hand from raw_items(), which hold the
# same text under either policy, so a malformed header degrades to its raw
# text instead of raising; RFC 2047 words are decoded by _decode_words().
# (imported from where email.policy takes it: email.policy itself imports
# the header registry, which only the second try below needs)
QUICK_POLICY = compat32


@functools.cache
def full_policy() -> Policy:
    """The second try, only for a message whose compat32 read raised: modern
    parsing, no line-length refolding (built on first use, see QUICK_POLICY)."""
    from email import policy as email_policy

    return email_policy.default.clone(max_line_length=None)


# How much of an mbox the splitter reads at a time
BLOCK = 1 << 20

# "From nobody Tue Feb 10 06:08:29 2026", "From 0123abcd Mon Sep 17 00:00:00 2001"
MBOX_FROM_RE = re.compile(rb"^From \S")
# "From nobody Tue Feb 10 06:08:29 2026": an asctime date makes it a separator for sure
MBOX_FROM_DATED_RE = re.compile(
    rb"^From \S+ +(?:[A-Za-z]{3} +){1,2}\d{1,2} +\d{1,2}:\d\d(?::\d\d)? "
)
# "Subject: x", "X-Mailer: y": a header line (printable name, colon)
HEADER_LINE_RE = re.compile(rb"^[!-9;-~]+:")
# ">From ", ">>From ": mboxrd quoting, undone by removing one ">"
QUOTED_FROM_RE = re.compile(rb"^>+From ")
QUOTED_FROM_LINES_RE = re.compile(rb"^>(>*From )", re.MULTILINE)
# a header block as the email parser reads it without a defect: "Name: value"
# lines, each maybe continued by lines that start with a space or a tab
# Every step is forced (the value starts after the blanks, a continuation
# line after a line break): a block that fails to match fails in linear
# time, not by trying every split of blanks between the two (the first
# version took exponential time on a bad line after many headers).
_FIELD = r"([!-9;-~]+):[ \t]*+((?:[^ \t\n][^\n]*)?(?:\n[ \t][^\n]*)*)\n"
HEADER_FIELD_RE = re.compile(_FIELD)
HEADER_BLOCK_RE = re.compile(rf"(?:{_FIELD})+")
# a blank (or whitespace-only) line, then a line that may be a separator
SEPARATOR_CANDIDATE_RE = re.compile(rb"\n[ \t\r\x0b\x0c]*\n(?=From \S)")
# "<20260201162001.296328-4-vsementsov@yandex-team.ru>"
MSGID_RE = re.compile(r"<([^<>\s]+)>")
# "Jonah Palmer via <qemu-devel@nongnu.org>": a list rewrote the sender (DMARC)
VIA_RE = re.compile(r"^(?P<name>.*?)\s+via(?:\s+\S.*)?$")
# header names a flattened message still shows inside its one long line
FLATTENED_MARKERS = (b"Subject: ", b"From: ", b"Date: ", b"Message-ID: ", b"Message-Id: ", b"To: ")
# a header that must appear once; a second copy is a defect worth recording
SINGLE_HEADERS = ("from", "subject", "message-id", "date", "content-type", "in-reply-to")
DIAGNOSED_HEADERS = frozenset(
    (
        *SINGLE_HEADERS,
        "to",
        "cc",
        "reply-to",
        "references",
        "mime-version",
        "content-transfer-encoding",
        "content-disposition",
    )
)
SURROGATE_RE = re.compile("[\ud800-\udfff]")
# header folding: a line break before whitespace
FOLD_RE = re.compile(r"\r?\n(?=[ \t])")
# a raw 8-bit header byte, as the email package's surrogateescape keeps it
ESCAPED_8BIT_RE = re.compile("[\udc80-\udcff]")

# The plain grammar of the address and date headers a review reads. A value
# that matches holds nothing mail-parser flags (tests/test_mbox_fast.py
# checks it on every mail in tests/data and ../shared/corpus); one that does
# not is diagnosed.
_ATOMS = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+"  # with "." (obsolete phrase syntax)
_ENCODED_WORD = r"=\?[A-Za-z0-9_.:-]+\?[bBqQ]\?[!->@-~]*\?="
# atomic: an encoded word is also a run of atom characters; trying both on
# a failing list would take exponential time
_WORD = rf'(?>{_ENCODED_WORD}|{_ATOMS}|"[^"\\<>@\x00-\x1f\x7f]*")'
_DOT_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_ADDR_SPEC = rf"{_DOT_ATOM}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_MAILBOX = rf"(?:{_ADDR_SPEC}|(?:{_WORD}(?:[ \t]+{_WORD})*[ \t]*)?<{_ADDR_SPEC}>)"
# one mailbox of a plain list: (bare addr-spec) or (phrase, <addr-spec>)
PLAIN_MAILBOX_RE = re.compile(
    rf"[ \t]*(?:({_ADDR_SPEC})|((?:{_WORD}(?:[ \t]+{_WORD})*)?)[ \t]*<({_ADDR_SPEC})>)[ \t]*,?"
)
PHRASE_WORD_RE = re.compile(r'"([^"]*)"|(\S+)')
PLAIN_ADDRESS_LIST_RE = re.compile(rf"[ \t]*{_MAILBOX}(?:[ \t]*,[ \t]*{_MAILBOX})*[ \t]*")
ENCODED_WORD_RE = re.compile(_ENCODED_WORD)
# decoded display-name text that needs quoting, or is not text at all
NAME_SPECIALS_RE = re.compile(r'[()<>\[\]:;@\\,"\x00-\x1f\x7f\ud800-\udfff]')
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# "Mon, 5 Jan 2026 10:00:00 +0000", optionally with a "(UTC)" comment
PLAIN_DATE_RE = re.compile(
    rf"(?:(?P<weekday>{'|'.join(_DAY_NAMES)}),[ \t]+)?(?P<day>\d{{1,2}})[ \t]+"
    rf"(?P<month>{'|'.join(_MONTH_NAMES)})[ \t]+(?P<year>\d{{4}})[ \t]+"
    r"(?P<hour>[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?[ \t]+[+-](?:[01]\d|2[0-3])[0-5]\d"
    r"(?:[ \t]+\([A-Za-z0-9 +:-]*\))?"
)
# a MIME part whose charset decodes any bytes without lone surrogates
PLAIN_CHARSETS = frozenset(
    {"us-ascii", "ascii", "utf-8", "utf8", "iso-8859-1", "latin-1", "latin1", "iso-8859-15"}
)
# the Content-Type of a message _quick_parse builds by hand
PLAIN_CONTENT_TYPE_RE = re.compile(
    r'text/plain(?:[ \t]*;[ \t]*(?:charset|format|delsp)=(?:"[A-Za-z0-9_.-]*"|[A-Za-z0-9_.-]+))*'
    r"[ \t]*;?[ \t]*",
    re.IGNORECASE,
)
# any type with plain parameters, and "inline" or a plain file name
PLAIN_ANY_CONTENT_TYPE_RE = re.compile(
    r'[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+(?:[ \t]*;[ \t]*[A-Za-z0-9-]+=(?:"[^"\\\n]*"|[^\s";]+))*'
    r"[ \t]*;?",
)
PLAIN_DISPOSITION_RE = re.compile(
    r'(?:inline|attachment)(?:[ \t]*;[ \t]*filename=(?:"[A-Za-z0-9._-]+"|[A-Za-z0-9._-]+))?',
    re.IGNORECASE,
)
# a control character (other than folding whitespace) or a raw 8-bit byte
# in a header: worth mail-parser's look
ODD_HEADER_CHAR_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\udc80-\udcff]")
# CRLF transport line ends, and quoted-printable "=0D" artefacts
CR_LINE_END_RE = re.compile(r"\r+\n")
PLAIN_MSGID_RE = re.compile(r"[ \t]*<[^<>\s\"]+>[ \t]*")
PLAIN_CTE = frozenset({"7bit", "8bit", "quoted-printable", "base64", "binary"})
PATCH_TYPES = frozenset({"text/x-patch", "text/x-diff", "text/x-diff-patch", "application/x-patch"})
FALLBACK_CHARSETS = ("utf-8", "cp1252", "latin-1")
MAIL_SUFFIXES = (".patch", ".eml", ".mbox", ".diff", ".mail", ".msg")
# A header line this long that holds three header names is a whole mail whose
# line breaks were lost. Seen in: ../shared/seed/*.flattened.txt (9342
# characters) and tests/data/fuzz/structure-flattened-message.mbox (855).
LONG_LINE = 300


class MailFactKind(enum.Enum):
    """What a mail fact says; the values are shared with ``series.SeriesFactKind``."""

    BROKEN_MESSAGE = "broken-message"  # skipped: not a parseable mail
    CHARSET_FALLBACK = "charset-fallback"  # declared charset failed; decoded with another
    MAIL_DEFECT = "mail-defect"  # malformed MIME or header (email / mailparser defects)
    SENDER_REWRITTEN = "sender-rewritten"  # "X via list": author taken from Reply-To


@dataclass(frozen=True, slots=True)
class MailFact:
    """Something noteworthy about one message, recorded, never raised."""

    kind: MailFactKind
    message: str
    location: MailLocation


@dataclass(frozen=True, slots=True)
class Message:
    """One decoded mail: the headers we use and the patch-bearing text."""

    location: MailLocation
    message_id: str | None  # without <>; None when the mail has none (format-patch)
    in_reply_to: str | None  # without <>
    references: tuple[str, ...]  # without <>, oldest first
    subject: str  # decoded, unfolded
    from_name: str
    from_addr: str
    date: datetime | None
    to: tuple[str, ...]  # decoded "Name <addr>"
    cc: tuple[str, ...]
    body: str  # decoded text of the patch-bearing part(s), "\n" line ends
    facts: tuple[MailFact, ...] = ()

    @property
    def author(self) -> str:
        """``"Name <addr>"`` (or whichever of the two is known)."""
        return format_address(self.from_name, self.from_addr)

    @property
    def parent_ids(self) -> tuple[str, ...]:
        """In-Reply-To first, then References from the nearest: where to look up."""
        ids: list[str] = []
        for mid in (self.in_reply_to, *reversed(self.references)):
            if mid and mid not in ids and mid != self.message_id:
                ids.append(mid)
        return tuple(ids)


@dataclass(frozen=True, slots=True)
class MailInput:
    """Everything read from the inputs: messages in input order, skipped ones."""

    messages: tuple[Message, ...]
    problems: tuple[MailFact, ...]


def format_address(name: str, addr: str) -> str:
    """``"Name <addr>"``, or the one that is known."""
    if name and addr:
        return f"{name} <{addr}>"
    return name or addr


def read_messages(inputs: Sequence[str], *, diagnose: bool = True) -> MailInput:
    """Read every input; broken messages are skipped and listed in ``problems``.

    Raises ``InputError`` for a missing path, a directory with no mail, a
    file that is not mail, and a message whose line breaks were lost.
    ``diagnose=False`` skips mail-parser's defect diagnosis and records the
    stdlib's own MIME defects instead. With ``diagnose=True`` mail-parser
    still only reads the messages a cheap check finds it could flag.
    """
    messages: list[Message] = []
    problems: list[MailFact] = []
    for item in iter_messages(inputs, diagnose=diagnose):
        if isinstance(item, Message):
            messages.append(item)
        else:
            problems.append(item)
    return MailInput(messages=tuple(messages), problems=tuple(problems))


def iter_messages(inputs: Sequence[str], *, diagnose: bool = True) -> Iterator[Message | MailFact]:
    """Stream the inputs: a ``Message`` per mail, a ``MailFact`` per skipped one.

    Holds one raw message at a time, so memory does not grow with the size
    of the mbox. Raises ``InputError`` as ``read_messages`` does.
    """
    if not inputs:
        raise InputError("no mail input given")
    for source in inputs:
        yield from _iter_input(source, diagnose)


def _iter_input(source: str, diagnose: bool) -> Iterator[Message | MailFact]:
    if source == "-":
        yield from _iter_stream(sys.stdin.buffer, "<stdin>", diagnose)
        return
    path = Path(source)
    if not path.exists():
        raise InputError("no such file or directory", path=source)
    if path.is_dir():
        yield from _iter_directory(path, source, diagnose)
        return
    try:
        with path.open("rb") as stream:
            yield from _iter_stream(stream, source, diagnose)
    except (IsADirectoryError, PermissionError) as e:
        raise InputError(f"cannot read: {e.strerror}", path=source) from e


def _iter_directory(path: Path, source: str, diagnose: bool) -> Iterator[Message | MailFact]:
    if (path / "cur").is_dir() and (path / "new").is_dir():
        maildir = mailbox.Maildir(path, factory=None, create=False)
        # Maildir has no order; its keys start with the delivery time. Dot
        # files (".keep" holding an empty new/ in git) are not mail.
        keys = sorted(k for k in maildir.iterkeys() if not k.startswith("."))
        if not keys:
            raise InputError("Maildir holds no mail", path=source)
        for index, key in enumerate(keys, start=1):
            yield _parse_one(maildir.get_bytes(key), source, index, diagnose)
        return
    files = sorted(p for p in path.iterdir() if p.is_file() and p.name.endswith(MAIL_SUFFIXES))
    if not files:
        raise InputError(
            "directory holds no mail (no *.patch, *.eml or *.mbox files, and not a Maildir)",
            path=source,
        )
    for file in files:
        with file.open("rb") as stream:
            yield from _iter_stream(stream, str(Path(source) / file.name), diagnose)


def _iter_stream(stream: BinaryIO, source: str, diagnose: bool) -> Iterator[Message | MailFact]:
    """Sniff an mbox or a single message and yield its messages."""
    first = stream.readline()
    while first and not first.strip():
        first = stream.readline()
    if not first:
        raise InputError("empty input: no mail in it", path=source)
    if b"\r" in first.rstrip(b"\r\n"):
        # Old Mac line ends (CR only): the whole input is one "line" to
        # readline(); read it and use LF. Seen in: tests/data/fuzz/structure-cr-only-line-ends.mbox
        data = (first + stream.read()).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        stream = io.BytesIO(data)
        first = stream.readline()
    if MBOX_FROM_RE.match(first):
        blocks = iter(functools.partial(stream.read, BLOCK), b"")
        for index, raw in enumerate(_split_mbox(first, blocks), start=1):
            yield _parse_one(raw, source, index, diagnose, mbox=True)
        return
    if not HEADER_LINE_RE.match(first):
        raise InputError(
            "not mail: it starts with neither an mbox 'From ' line nor a mail header",
            path=source,
        )
    raw = first + stream.read()
    item = _parse_one(raw, source, 1, diagnose)
    if isinstance(item, MailFact):
        raise InputError(f"not mail: {item.message}", path=source, position="message 1")
    yield item


def _split_mbox(first: bytes, stream: Iterable[bytes]) -> Iterator[bytes]:
    """Yield each message's bytes, its ``From `` line included.

    ``stream`` yields the rest of the mbox in chunks of any size (lines, or
    blocks of a file). A ``From `` line only separates messages at the start
    or after a blank line, and only when it carries an asctime date or a
    header follows it: mboxo archives do not always quote a ``From `` that
    begins a body line. ``>From `` quoting (mboxrd) is undone by removing
    one ``>``. The chunks are scanned as bytes (no Python loop per line);
    only the current message and one chunk are held.
    """
    chunks = iter(stream)
    buf = first
    start = 0  # where the current message begins in buf
    pos = 0  # where the search for the next separator resumes
    eof = False

    def more() -> bool:
        """Append the next chunk(s) to buf, dropping what was yielded."""
        nonlocal buf, start, pos, eof
        if eof:
            return False
        # read at least as much as is held, so that one huge message costs
        # a linear number of copies, not a quadratic one
        want = max(BLOCK, len(buf) - start)
        parts = [buf[start:]]
        got = 0
        for chunk in chunks:
            parts.append(chunk)
            got += len(chunk)
            if got >= want:
                break
        else:
            eof = True
        buf = b"".join(parts)
        pos -= start
        start = 0
        return got > 0

    while True:
        found = SEPARATOR_CANDIDATE_RE.search(buf, pos)
        if found is None:
            # a separator may straddle the end of buf: resume at the line
            # break before the last complete line
            last = buf.rfind(b"\n")
            pos = max(pos, buf.rfind(b"\n", start, last) if last > start else pos)
            if not more():
                break
            continue
        line_start = found.end()
        line_end = buf.find(b"\n", line_start)
        next_end = buf.find(b"\n", line_end + 1) if line_end >= 0 else -1
        if next_end < 0 and not eof:
            # the candidate line and the one after it must be whole
            pos = found.start()
            more()
            continue
        line = buf[line_start : line_end + 1] if line_end >= 0 else buf[line_start:]
        if MBOX_FROM_DATED_RE.match(line):
            is_separator = True
        else:
            after = buf[line_end + 1 : next_end + 1] if next_end >= 0 else buf[line_end + 1 :]
            is_separator = line_end >= 0 and bool(HEADER_LINE_RE.match(after))
        if is_separator:
            yield _unquote(buf[start:line_start])
            start = pos = line_start
        else:
            pos = found.start() + 1
    yield _unquote(buf[start:])


def _unquote(raw: bytes) -> bytes:
    """Undo mboxrd ``>From `` quoting: one ``>`` less on each quoted line."""
    if b">From " not in raw:
        return raw
    return QUOTED_FROM_LINES_RE.sub(rb"\1", raw)


def _looks_flattened(raw: bytes) -> int | None:
    """Length of a line that holds a whole message (line breaks lost), or None."""
    for line in raw.split(b"\n", 3)[:3]:
        if len(line) > LONG_LINE and sum(m in line for m in FLATTENED_MARKERS) >= 3:
            return len(line)
    return None


def _parse_one(
    raw: bytes, source: str, index: int, diagnose: bool, mbox: bool = False
) -> Message | MailFact:
    location = MailLocation(source, index)
    if (length := _looks_flattened(raw)) is not None:
        raise InputError(
            f"its line breaks appear to be gone (a {length}-character line holds the whole "
            "mail); save the message again as raw mail (mbox or .eml)",
            path=source,
            position=f"message {index}",
        )
    if mbox:
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    try:
        parsed = _quick_parse(raw) or BytesParser(policy=QUICK_POLICY).parsebytes(raw)
        return _decode_message(parsed, location, diagnose)
    except Exception:
        pass  # hostile input: the full policy reads it, or says why not
    try:
        parsed = BytesParser(policy=full_policy()).parsebytes(raw)
        return _decode_message(parsed, location, diagnose)
    except Exception as e:  # the email package can fail on hostile input
        return MailFact(MailFactKind.BROKEN_MESSAGE, f"cannot parse the message: {e}", location)


def _quick_parse(raw: bytes) -> EmailMessage | None:
    """The ``compat32`` message the email parser would build, built by hand,
    holding only the ``DIAGNOSED_HEADERS`` (all that is read from it).

    Only for the common shape: one text/plain part, headers with no CR and
    no line the parser would call a defect, a blank line before the body.
    The header values and the body are the same strings the parser stores
    (it keeps bytes as ``surrogateescape`` text); anything else returns None
    and goes to the parser. Skipping its line-by-line loop over the body is
    most of the speed-up.
    """
    text = raw.decode("ascii", "surrogateescape")
    end = text.find("\n\n")
    if end <= 0:
        return None
    block = text[: end + 1]
    if "\r" in block or not HEADER_BLOCK_RE.fullmatch(block):
        return None
    fields = HEADER_FIELD_RE.findall(block)
    content_types = [v for n, v in fields if n.lower() == "content-type"]
    if len(content_types) > 1 or (
        content_types and not PLAIN_CONTENT_TYPE_RE.fullmatch(_unfold(content_types[0]))
    ):
        return None
    message = EmailMessage(policy=QUICK_POLICY)
    for name, value in fields:
        # only the headers a review reads (and mail-parser diagnoses): every
        # header lookup of the email package walks the whole list
        if name.lower() in DIAGNOSED_HEADERS:
            message.set_raw(name, value)
    message.set_payload(text[end + 2 :])
    return message


def _decode_message(
    parsed: EmailMessage, location: MailLocation, diagnose: bool
) -> Message | MailFact:
    headers: dict[str, list[str]] = {}
    for name, value in parsed.raw_items():
        headers.setdefault(name.lower(), []).append(str(value))
    if not any(h in headers for h in ("from", "subject", "message-id", "date")):
        return MailFact(
            MailFactKind.BROKEN_MESSAGE,
            "skipped: no From, Subject, Message-ID or Date header (not a mail)",
            location,
        )
    facts: list[MailFact] = []

    def first(name: str) -> str:
        values = headers.get(name)
        return _decode_words(values[0]) if values else ""

    for name in SINGLE_HEADERS:
        if len(headers.get(name, ())) > 1:
            facts.append(
                MailFact(MailFactKind.MAIL_DEFECT, f"duplicate {name.title()} header", location)
            )

    from_name, from_addr = _first_address(headers.get("from", []))
    via = VIA_RE.match(from_name)
    if via is not None and headers.get("reply-to"):
        reply_name, reply_addr = _first_address(headers["reply-to"])
        if reply_addr:
            facts.append(
                MailFact(
                    MailFactKind.SENDER_REWRITTEN,
                    f"sender {format_address(from_name, from_addr)!r} rewritten by the list; "
                    f"author taken from Reply-To {format_address(reply_name, reply_addr)!r}",
                    location,
                )
            )
            from_name, from_addr = reply_name or via.group("name"), reply_addr

    body, body_facts = _decode_body(parsed, location)
    facts += body_facts
    if not diagnose:
        facts += _stdlib_defects(parsed, location)
    elif _needs_diagnosis(parsed, headers, facts):
        facts += _defect_facts(parsed, location)
    # else: nothing mail-parser could flag, and no stdlib defect either

    in_reply_to = MSGID_RE.findall(_undo_8bit(_unfold(headers.get("in-reply-to", [""])[0])))
    return Message(
        location=location,
        message_id=_message_id(headers.get("message-id", [])),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=tuple(
            MSGID_RE.findall(
                " ".join(_undo_8bit(_unfold(v)) for v in headers.get("references", []))
            )
        ),
        subject=" ".join(first("subject").split()),
        from_name=from_name,
        from_addr=from_addr,
        date=_parse_date(first("date")),
        to=_addresses(headers.get("to", [])),
        cc=_addresses(headers.get("cc", [])),
        body=body,
        facts=tuple(facts),
    )


def _message_id(values: list[str]) -> str | None:
    if not values:
        return None
    # raw 8-bit bytes arrive as lone surrogates, which no report can write
    raw = _undo_8bit(_unfold(values[0])).strip()
    found = MSGID_RE.search(raw)
    if found is not None:
        return found.group(1)
    return raw or None


def _parse_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _unfold(raw: str) -> str:
    """Remove header folding (CRLF/LF before whitespace), keeping the whitespace."""
    if "\n" not in raw and "\r" not in raw:
        return raw
    return FOLD_RE.sub("", raw).replace("\r", "").replace("\n", "")


def _undo_8bit(raw: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes; decode them as text."""
    if not ESCAPED_8BIT_RE.search(raw):
        return raw
    data = raw.encode("ascii", "surrogateescape")
    return _decode_text(data, None)[0]


def _decode_words(raw: str) -> str:
    """Unfold a raw header value and decode its RFC 2047 encoded words."""
    text = _undo_8bit(_unfold(raw))
    if "=?" not in text:
        return text
    try:
        chunks = decode_header(text)
    except Exception:  # a malformed encoded word: keep the raw text
        return text
    out: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
        else:
            out.append(_decode_text(chunk, charset)[0])
    return "".join(out)


def _first_address(values: list[str]) -> tuple[str, str]:
    pairs = _address_pairs(values)
    return pairs[0] if pairs else ("", "")


def _address_pairs(values: list[str]) -> list[tuple[str, str]]:
    # Split on the raw (still encoded) text, so that an encoded comma inside
    # a name cannot split one address in two; then decode each name.
    raw = [_undo_8bit(_unfold(v)) for v in values]
    if raw and not any("@" in v for v in raw):
        # patchew's copy of the seed lost every <address>: keep the bare names
        names = (" ".join(_decode_words(n).split()) for v in raw for n in v.split(","))
        return [(n, "") for n in names if n]
    plain = _plain_pairs(raw)
    if plain is not None:
        pairs = plain
    else:
        try:
            pairs = getaddresses(raw)
        except Exception:
            return [(_decode_words(v).strip(), "") for v in raw if v.strip()]
    out: list[tuple[str, str]] = []
    for name, addr in pairs:
        if not name and not addr:
            continue
        out.append((" ".join(_decode_words(name).split()), addr.strip()))
    return out


def _plain_pairs(values: list[str]) -> list[tuple[str, str]] | None:
    """``getaddresses(values)`` for lists in the plain grammar, by regex; else None.

    The phrase of a mailbox is its words (quoted strings without their
    quotes) joined by one space, and the address is the addr-spec as
    written: what ``getaddresses`` returns for the same text.
    """
    pairs: list[tuple[str, str]] = []
    for value in values:
        if not PLAIN_ADDRESS_LIST_RE.fullmatch(value):
            return None
        for bare, phrase, addr in PLAIN_MAILBOX_RE.findall(value):
            if bare:
                pairs.append(("", bare))
            else:
                words = (q or w for q, w in PHRASE_WORD_RE.findall(phrase))
                pairs.append((" ".join(words), addr))
    return pairs


def _addresses(values: list[str]) -> tuple[str, ...]:
    return tuple(format_address(n, a) for n, a in _address_pairs(values))


def _decode_text(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """Decode with the declared charset, else utf-8, cp1252, latin-1.

    Returns the text and the fallback used (None when the declared charset,
    or plain ASCII when none was declared, worked).
    """
    if declared:
        try:
            codecs.lookup(declared)
            text = data.decode(declared)
            # utf-7 and the *_escape codecs can yield lone surrogates, which
            # no report can write as UTF-8: such a result failed too
            if declared.lower() in PLAIN_CHARSETS or not SURROGATE_RE.search(text):
                return text, None
        except (LookupError, UnicodeDecodeError):
            pass
    elif data.isascii():
        return data.decode("ascii"), None
    for charset in FALLBACK_CHARSETS:
        try:
            return data.decode(charset), charset
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"  # unreachable: latin-1 decodes anything


def _patch_parts(parsed: EmailMessage) -> list[EmailMessage]:
    """The leaf parts that hold the commit message and the patch, in order.

    Plain text and inline ``text/x-patch``/``text/x-diff`` parts (or any
    ``*.patch``/``*.diff`` attachment); HTML, signatures and other
    attachments are left out.
    """
    parts: list[EmailMessage] = []
    for part in parsed.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        try:
            filename = part.get_filename() or ""
        except Exception:
            filename = ""
        is_patch = ctype in PATCH_TYPES or filename.endswith((".patch", ".diff"))
        is_text = ctype == "text/plain" and part.get_content_disposition() != "attachment"
        if is_patch or is_text:
            parts.append(part)
    return parts


def _decode_body(parsed: EmailMessage, location: MailLocation) -> tuple[str, list[MailFact]]:
    texts: list[str] = []
    facts: list[MailFact] = []
    for part in _patch_parts(parsed):
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        declared = part.get_content_charset()
        text, fallback = _decode_text(data, declared)
        if fallback is not None:
            said = f"declared charset {declared}" if declared else "no declared charset"
            facts.append(
                MailFact(
                    MailFactKind.CHARSET_FALLBACK,
                    f"{said} does not decode the {part.get_content_type()} part; "
                    f"decoded as {fallback}",
                    location,
                )
            )
        # CRLF transport line ends, and quoted-printable "=0D" artefacts
        if "\r" in text:
            text = CR_LINE_END_RE.sub("\n", text).rstrip("\r")
        if str(part.get_param("format", "")).lower() == "flowed":
            text = _unflow(text, delsp=str(part.get_param("delsp", "")).lower() == "yes")
        texts.append(text)
    body = "\n".join(t if t.endswith("\n") else t + "\n" for t in texts if t)
    return body, facts


def _unflow(text: str, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed: join soft-broken lines, unstuff spaces.

    A line ending in a space continues on the next line of the same quote
    depth (as ``git am`` reads it). Seen in: the Thunderbird replies of
    ../shared/corpus/d-v3-based-on-semihosting-uaccess-with-replies.mbox and
    tests/data/mail/flowed-reply.eml.
    """
    out: list[str] = []
    pending: str | None = None
    pending_depth = 0

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            prefix = ">" * pending_depth + (" " if pending_depth and pending else "")
            out.append(prefix + pending)
            pending = None

    for line in text.split("\n"):
        if line.rstrip(" ") == "--":  # a signature separator never flows
            flush()
            out.append(line)
            continue
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing (or the space after '>')
        flowed = content.endswith(" ")
        if flowed and delsp:
            content = content[:-1]
        if pending is not None and pending_depth == depth:
            pending += content
        else:
            flush()
            pending, pending_depth = content, depth
        if not flowed:
            flush()
    flush()
    return "\n".join(out)


def _needs_diagnosis(
    parsed: EmailMessage, all_headers: dict[str, list[str]], facts: list[MailFact]
) -> bool:
    """Whether mail-parser could find anything in this message (cheap checks).

    False only when every part has plain MIME headers, decodes with its
    charset and has no stdlib defect, no header holds an 8-bit byte or a
    control character, and the address and date headers are in their plain
    grammar: mail-parser reports nothing on such a message (checked on every
    mail in tests/data and ../shared/corpus by tests/test_mbox_fast.py), so
    its diagnosis is asked for only where it can add a fact.
    """
    if any(f.kind is MailFactKind.CHARSET_FALLBACK for f in facts):
        return True
    headers = {k: v for k, v in all_headers.items() if k in DIAGNOSED_HEADERS}
    for values in headers.values():
        for value in values:
            if ODD_HEADER_CHAR_RE.search(value):
                return True
    for value in headers.get("message-id", ()):
        if not PLAIN_MSGID_RE.fullmatch(_unfold(value)):
            return True
    for value in headers.get("subject", ()):
        if "=?" in value and _decode_words(value) == _unfold(value):
            return True  # an encoded word that does not decode
    for name in ("from", "to", "cc", "reply-to"):
        for value in headers.get(name, ()):
            if not _plain_address_list(_unfold(value)):
                return True
    if not all(_plain_date(_unfold(value)) for value in headers.get("date", ())):
        return True
    return not all(_plain_part(part) for part in parsed.walk())


def _plain_part(part: EmailMessage) -> bool:
    """A MIME part with plain headers that decodes with its charset, no defect."""
    for name, value in part.raw_items():
        key = name.lower()
        if not key.startswith("content-"):
            continue
        if ODD_HEADER_CHAR_RE.search(value):
            return False
        text = _unfold(value).strip()
        if key == "content-type" and not PLAIN_ANY_CONTENT_TYPE_RE.fullmatch(text):
            return False
        if key == "content-disposition" and not PLAIN_DISPOSITION_RE.fullmatch(text):
            return False
        if key == "content-transfer-encoding" and text.lower() not in PLAIN_CTE:
            return False
    if not part.is_multipart():
        charset = part.get_content_charset()
        if charset is not None and charset not in PLAIN_CHARSETS:
            return False
        payload = part.get_payload(decode=True)  # records decoding defects
        if isinstance(payload, bytes):
            try:
                payload.decode(charset or "utf-8")
            except UnicodeDecodeError:
                return False
    return not part.defects


def _plain_address_list(value: str) -> bool:
    if not PLAIN_ADDRESS_LIST_RE.fullmatch(value):
        return False
    for word in ENCODED_WORD_RE.findall(value):
        decoded = _decode_words(word)
        if decoded == word or NAME_SPECIALS_RE.search(decoded):
            return False
    return True


def _plain_date(value: str) -> bool:
    found = PLAIN_DATE_RE.fullmatch(value.strip())
    if found is None:
        return False
    year = int(found["year"])
    try:
        day = calendar_date(year, _MONTH_NAMES.index(found["month"]) + 1, int(found["day"]))
    except ValueError:
        return False
    weekday = found["weekday"]
    return year >= 1900 and (weekday is None or _DAY_NAMES.index(weekday) == day.weekday())


def _stdlib_defects(parsed: EmailMessage, location: MailLocation) -> list[MailFact]:
    """The email package's own MIME defects (the cheap diagnosis)."""
    seen: list[str] = []
    for part in parsed.walk():
        for defect in part.defects:
            text = f"{part.get_content_type()}: {type(defect).__name__}"
            if text not in seen:
                seen.append(text)
    return [MailFact(MailFactKind.MAIL_DEFECT, text, location) for text in seen]


def _defect_facts(parsed: EmailMessage, location: MailLocation) -> list[MailFact]:
    """Ask mailparser for its diagnosis of the message: one fact per defect."""
    import logging  # both imported here: only this function needs them

    import mailparser

    # mail-parser logs what it does not handle ("Email content 'mixed' not
    # handled") through logging's last-resort handler, i.e. on our stderr.
    logging.getLogger("mailparser").setLevel(logging.CRITICAL)

    # Parsing every trace header (Received:, ARC-*, DKIM-*) through the email
    # policy is most of mail-parser's cost and says nothing about the patch:
    # diagnose the headers a review reads, and the MIME structure.
    for name in {n.lower() for n in parsed} - DIAGNOSED_HEADERS:
        del parsed[name]
    try:
        diagnosis = mailparser.MailParser(parsed)
        raw_defects = list(diagnosis.defects)
    except Exception as e:  # mailparser is a second opinion; never fatal
        return [MailFact(MailFactKind.MAIL_DEFECT, f"mail-parser could not read it: {e}", location)]
    seen: list[str] = []
    for entry in raw_defects:
        if not isinstance(entry, dict):
            continue
        for where, details in sorted(entry.items()):
            for detail in details if isinstance(details, list) else [details]:
                text = " ".join(f"{where}: {detail}".split())
                if text not in seen:
                    seen.append(text)
    return [MailFact(MailFactKind.MAIL_DEFECT, text, location) for text in seen]
