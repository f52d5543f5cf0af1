"""mail.mbox: raw 8-bit header bytes never leak as lone surrogates, and the
fast paths (block splitter, hand-built compat32 message, plain address
lists, the mail-parser gate) give what the slow ones give."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

import pytest
from conftest import DATA, SEED_SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewtool.location import MailLocation
from reviewtool.mail import mbox
from reviewtool.mail.mbox import Message, read_messages

FUZZ = DATA / "fuzz"
SURROGATE = re.compile("[\ud800-\udfff]")


def strings_of(message: Message) -> Iterator[str]:
    """Every text the record holds (what a report may write)."""
    for field in dataclasses.fields(message):
        value = getattr(message, field.name)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, str):
                yield item
    for fact in message.facts:
        yield fact.message


def mail(headers: dict[str, bytes], body: bytes = b"body\n") -> bytes:
    defaults = {
        "From": b"A U Thor <author@example.org>",
        "To": b"qemu-devel@nongnu.org",
        "Cc": b"B <b@example.org>",
        "Date": b"Mon, 5 Jan 2026 10:00:00 +0000",
        "Message-ID": b"<m1@example.org>",
        "In-Reply-To": b"<p1@example.org>",
        "References": b"<p0@example.org> <p1@example.org>",
        "Subject": b"[PATCH] x",
    }
    defaults.update(headers)
    head = b"".join(name.encode() + b": " + value + b"\n" for name, value in defaults.items())
    return b"From nobody Mon Jan  5 10:00:00 2026\n" + head + b"\n" + body


def test_fuzz_case_8bit_message_id_is_decoded() -> None:
    (m,) = read_messages([str(FUZZ / "headers-8bit-message-id.mbox")]).messages
    assert m.message_id == "8bit-id\u00e3@example.org"  # 0xE3: not UTF-8, so cp1252
    assert not any(SURROGATE.search(s) for s in strings_of(m))


# header -> (raw value with the UTF-8 bytes of "é", the decoded record field)
EIGHT_BIT = {
    "Message-ID": (b"<id-\xc3\xa9@example.org>", "message_id", "id-\u00e9@example.org"),
    "In-Reply-To": (b"<p-\xc3\xa9@example.org>", "in_reply_to", "p-\u00e9@example.org"),
    "References": (b"<r-\xc3\xa9@example.org>", "references", ("r-\u00e9@example.org",)),
    "Subject": (b"[PATCH] caf\xc3\xa9", "subject", "[PATCH] caf\u00e9"),
    "From": (b"Ren\xc3\xa9 <rene@example.org>", "from_name", "Ren\u00e9"),
    "To": (b"Ren\xc3\xa9 <rene@example.org>", "to", ("Ren\u00e9 <rene@example.org>",)),
    "Cc": (b"Ren\xc3\xa9 <rene@example.org>", "cc", ("Ren\u00e9 <rene@example.org>",)),
}


@pytest.mark.parametrize("diagnose", [True, False], ids=["diagnose", "quick"])
@pytest.mark.parametrize("header", sorted(EIGHT_BIT))
def test_8bit_header_byte_is_decoded(header: str, diagnose: bool, tmp_path: Path) -> None:
    raw, field, expected = EIGHT_BIT[header]
    path = tmp_path / "m.mbox"
    path.write_bytes(mail({header: raw}))
    (m,) = read_messages([str(path)], diagnose=diagnose).messages
    assert getattr(m, field) == expected
    assert not any(SURROGATE.search(s) for s in strings_of(m))


def test_8bit_date_and_latin1_bytes_leave_no_surrogate(tmp_path: Path) -> None:
    path = tmp_path / "m.mbox"
    path.write_bytes(
        mail({"Date": b"Mon, 5 Jan 2026 10:00:00 +0000 (\xe9t\xe9)", "Subject": b"caf\xe9"})
    )
    (m,) = read_messages([str(path)]).messages
    assert m.subject == "caf\u00e9"  # not UTF-8: cp1252
    assert not any(SURROGATE.search(s) for s in strings_of(m))


def test_utf7_charset_cannot_smuggle_surrogates(tmp_path: Path) -> None:
    """utf-7 decodes "+2AA-" to a lone surrogate: such a decode counts as failed."""
    path = tmp_path / "m.mbox"
    data = mail(
        {"Subject": b"=?utf-7?q?+2AA-?=", "Content-Type": b"text/plain; charset=utf-7"},
        body=b"+2AA-\n",
    )
    path.write_bytes(data)
    (m,) = read_messages([str(path)]).messages
    assert not any(SURROGATE.search(s) for s in strings_of(m))
    assert m.body == "+2AA-\n"
    assert any(f.kind is mbox.MailFactKind.CHARSET_FALLBACK for f in m.facts)


# --- the block splitter against the line-by-line rule it implements


def split_by_lines(data: bytes) -> list[bytes]:
    """The mbox rule, one line at a time (the reference for the fast scan)."""
    lines = re.findall(rb"[^\n]*\n|[^\n]+$", data)
    out: list[list[bytes]] = [[lines[0]]]
    previous_blank = False
    i = 1
    while i < len(lines):
        line = lines[i]
        if previous_blank and mbox.MBOX_FROM_RE.match(line):
            following = lines[i + 1] if i + 1 < len(lines) else None
            if mbox.MBOX_FROM_DATED_RE.match(line) or (
                following is not None
                and line.endswith(b"\n")
                and mbox.HEADER_LINE_RE.match(following)
            ):
                out.append([line])
                previous_blank = False
                i += 1
                continue
        if mbox.QUOTED_FROM_RE.match(line):
            line = line[1:]
        out[-1].append(line)
        previous_blank = not line.strip()
        i += 1
    return [b"".join(m) for m in out]


MBOX_LINES = st.sampled_from(
    [
        b"\n", b"  \n", b"Subject: x\n", b"body text\n", b"From nobody Mon Jan  5 10:00:00 2026\n",
        b"From someone said\n", b">From quoted\n", b">>From twice\n", b"From x\n",
        b"X-Header: y\n", b"From \n", b"\t\n",
    ]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(MBOX_LINES, max_size=40),
    tail=st.sampled_from([b"", b"From x", b"Subject: y", b"\n"]),
    chunk=st.integers(min_value=1, max_value=64),
)
def test_block_splitter_matches_line_rule(lines: list[bytes], tail: bytes, chunk: int) -> None:
    first = b"From a Mon Jan  5 10:00:00 2026\n"
    rest = b"".join(lines) + tail
    chunks = [rest[i : i + chunk] for i in range(0, len(rest), chunk)]
    assert list(mbox._split_mbox(first, chunks)) == split_by_lines(first + rest)


# --- the hand-built message and the plain address lists against the stdlib


def corpus_messages(shared: Path | None) -> Iterator[bytes]:
    paths = [*sorted(p for p in DATA.rglob("*") if p.is_file()), SEED_SAMPLE]
    if shared is not None:
        paths += sorted((shared / "corpus").glob("*.mbox"))
    for path in paths:
        data = path.read_bytes()
        if not data.startswith(b"From "):
            yield data
            continue
        first, end, rest = data.partition(b"\n")
        for raw in mbox._split_mbox(first + end, [rest]):
            yield raw.split(b"\n", 1)[1] if b"\n" in raw else b""


@pytest.fixture
def maybe_shared() -> Path | None:
    shared = Path(__file__).resolve().parents[2] / "shared"
    return shared if (shared / "corpus").is_dir() else None


def test_quick_parse_builds_what_the_parser_builds(maybe_shared: Path | None) -> None:
    built = 0
    for raw in corpus_messages(maybe_shared):
        quick = mbox._quick_parse(raw)
        if quick is None:
            continue
        built += 1
        parsed = BytesParser(policy=policy.compat32).parsebytes(raw)
        assert quick.defects == parsed.defects == []
        kept = [(n, v) for n, v in parsed.raw_items() if n.lower() in mbox.DIAGNOSED_HEADERS]
        assert list(quick.raw_items()) == kept
        assert quick.get_payload() == parsed.get_payload()
        assert quick.get_payload(decode=True) == parsed.get_payload(decode=True)
        # decoding records the same defects (base64 garbage) on both
        assert [type(d) for d in quick.defects] == [type(d) for d in parsed.defects]
    assert built > 10


ADDRESS_LISTS = [
    "a@b.cd",
    "A B <a@b.cd>, c@d.ef",
    '"Guo, Zhiyi" <z@example.org>',
    '"" Foo <a@b.cd>',
    "Daniel P. Berrange <b@r.com>",
    "=?UTF-8?q?Daniel=20P=2E=20Berrang=C3=A9?= <berrange@redhat.com>",
    "A  B\t<a@b.cd> ,c@d.ef",
    "<a@b.cd>",
]


@pytest.mark.parametrize("value", ADDRESS_LISTS)
def test_plain_address_lists_parse_as_getaddresses(value: str) -> None:
    assert mbox._plain_pairs([value]) == getaddresses([value])


@pytest.mark.parametrize("value", ["a@b.cd,", "Vladimir Sementsov-Ogievskiy", "x <a@b>", "a@@b.cd"])
def test_other_address_lists_go_to_getaddresses(value: str) -> None:
    assert mbox._plain_pairs([value]) is None


# --- the gate in front of mail-parser


def test_gate_lets_through_every_message_mailparser_flags(maybe_shared: Path | None) -> None:
    """Where the gate skips mail-parser, mail-parser has nothing to say."""
    skipped = flagged = 0
    location = MailLocation("corpus", 1)
    for raw in corpus_messages(maybe_shared):
        try:
            parsed = BytesParser(policy=policy.compat32).parsebytes(raw)
            item = mbox._decode_message(parsed, location, diagnose=False)
        except Exception:
            continue  # the full read handles these; not the gate's business
        if not isinstance(item, Message):
            continue
        headers: dict[str, list[str]] = {}
        for name, value in parsed.raw_items():
            headers.setdefault(name.lower(), []).append(value)
        needed = mbox._needs_diagnosis(parsed, headers, list(item.facts))
        # mail-parser sees the message as production hands it over: decoded
        again = BytesParser(policy=policy.compat32).parsebytes(raw)
        mbox._decode_message(again, location, diagnose=False)
        found = mbox._defect_facts(again, location)
        if not needed:
            skipped += 1
            assert found == [], found
        flagged += bool(found)
    assert skipped > 10 and flagged > 0


def test_seed_is_still_diagnosed() -> None:
    """The patchew seed's bare From is exactly what the gate must let through."""
    (m,) = read_messages([str(SEED_SAMPLE)]).messages
    assert any("AddressHeaderDefect" in f.message for f in m.facts)


def test_bad_line_after_many_headers_goes_to_the_parser() -> None:
    """A header block that is not plain is handed to the email parser.

    Many headers and then a line that is no header once sent the block
    pattern into exponential backtracking (the fuzz suite hung on it)."""
    raw = b"X-Header: a\n" * 200 + b"not a header\n\nbody\n"
    assert mbox._quick_parse(raw) is None
    value = ", ".join(["=?utf-8?q?a?= =?utf-8?q?b?= x <a@b.cd>"] * 200) + " @"
    assert mbox._plain_pairs([value]) is None


HEADER_PIECES = st.sampled_from(
    [
        b"Subject: x\n", b"Subject:\n", b"Subject:   \n", b"From: A <a@b.cd>\n", b"To: a@b.cd,\n",
        b" b@c.de\n", b"\tfolded\n", b"  \n", b"Content-Type: text/plain; charset=utf-8\n",
        b"Content-Type: multipart/mixed; boundary=x\n", b"X-Odd name: y\n", b":empty name\n",
        b"From nobody\n", b"Cc: caf\xc3\xa9 <c@d.ef>\n", b"Date: Mon, 5 Jan 2026 10:00:00 +0000\n",
        b"Subject: a\r\n", b"Content-Transfer-Encoding: quoted-printable\n", b"not a header\n",
    ]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    head=st.lists(HEADER_PIECES, max_size=12),
    body=st.sampled_from([b"", b"body\n", b"a=3Db=\nc\n", b"\n\nx\n", b"--x\n"]),
)
def test_quick_parse_matches_the_parser_on_any_header_block(head: list[bytes], body: bytes) -> None:
    raw = b"".join(head) + b"\n" + body
    quick = mbox._quick_parse(raw)
    if quick is None:
        return  # the parser reads it
    parsed = BytesParser(policy=policy.compat32).parsebytes(raw)
    assert parsed.defects == [] and not parsed.is_multipart()
    kept = [(n, v) for n, v in parsed.raw_items() if n.lower() in mbox.DIAGNOSED_HEADERS]
    assert list(quick.raw_items()) == kept
    assert quick.get_payload(decode=True) == parsed.get_payload(decode=True)
