"""The email renderer: a maintainer-style reply in the patch's thread.

The series, its diffs and its post-image come from the real seed (read,
assembled and applied by the real stages); the findings are placed by hand
on lines of that diff, so each test knows exactly where a comment belongs.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import mailbox
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE

from reviewtool.apply import apply_series
from reviewtool.findings import Finding, Severity
from reviewtool.location import DiffLocation, MailLocation, TreeLocation
from reviewtool.mail.body import parse_trailer
from reviewtool.mail.mbox import read_messages
from reviewtool.report.mail_reply import build_replies, message_text, render_email
from reviewtool.report.model import Report
from reviewtool.series import build_series
from reviewtool.tree import DirectoryTree

SEED_ID = "20260201162001.296328-4-vsementsov@yandex-team.ru"
COVER_ID = "20260201162001.296328-1-vsementsov@yandex-team.ru"
SOURCE = str(SEED_SAMPLE)


def seed_report(findings: list[Finding], *, applied: bool = True) -> Report:
    series = build_series(read_messages([SOURCE]))
    base = DirectoryTree(SAMPLE_TREE, label="samples/qemu")
    return Report.create(
        inputs=[SOURCE],
        tree_label=base.label,
        series=series,
        applied=apply_series(base, series) if applied else None,
        findings=findings,
    )


def finding(code: str, message: str, severity: Severity = Severity.ERROR, **kw: object) -> Finding:
    return Finding(
        code=code, check=f"check-{code.lower()}", severity=severity, message=message, **kw
    )  # type: ignore[arg-type]


# the "+    }" closing the new block in migrate_params_test_apply() (seed diff line 61)
TEST_APPLY_CLOSE = DiffLocation(3, "migration/options.c", 61, 1400)
# "+#     file descriptors are passed to the destination in the migraton"
MISSPELT = DiffLocation(3, "qapi/migration.json", 96, 1010)

SEED_FINDINGS = [
    finding(
        "X101",
        "backend-transfer is not handled in hmp_migrate_set_parameter()",
        at=TreeLocation("migration/migration-hmp-cmds.c", 500, "hmp_migrate_set_parameter"),
        patch=3,
        introduced_by=TEST_APPLY_CLOSE,
        extra={"member": "backend-transfer"},
    ),
    finding(
        "Q201",
        "misspelt word 'migraton' (migration?) in the doc of @backend-transfer",
        Severity.WARNING,
        at=TreeLocation("qapi/migration.json", 1010),
        patch=3,
        introduced_by=MISSPELT,
    ),
    finding(
        "M010",
        "Signed-off-by: Vladimir Sementsov-Ogievskiy has no email address",
        Severity.WARNING,
        at=MailLocation(SOURCE, 1, 10),
        patch=3,
    ),
    finding("M001", "patches 1, 2, 4, 5, 6, 7, 8 of 8 are missing", at=MailLocation(SOURCE, 1)),
]


def parse(text: str) -> EmailMessage:
    message = email.message_from_string(text, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


@pytest.fixture(scope="module")
def seed_reply() -> EmailMessage:
    text = render_email(seed_report(SEED_FINDINGS))
    assert text is not None
    return parse(text)


def test_reply_is_threaded_under_the_patch(seed_reply: EmailMessage) -> None:
    assert seed_reply["Subject"] == (
        "Re: [PATCH v10 3/8] qapi: add backend-transfer migration parameter"
    )
    assert seed_reply["In-Reply-To"] == f"<{SEED_ID}>"
    assert seed_reply["References"] == f"<{COVER_ID}> <{SEED_ID}>"
    assert seed_reply["Message-ID"].startswith("<review.")
    assert seed_reply["Auto-Submitted"] == "auto-generated"


def test_recipients_come_from_the_original(seed_reply: EmailMessage) -> None:
    # the seed's From has no address left, so the original To stays To
    assert seed_reply["To"] == "jasowang@redhat.com, mst@redhat.com"
    cc = [a.addr_spec for a in seed_reply["Cc"].addresses]
    assert cc[0] == "pbonzini@redhat.com" and "qemu-devel@nongnu.org" in cc
    assert len(cc) == len(set(cc)) == 19
    assert "jasowang@redhat.com" not in cc


def test_each_finding_sits_under_the_line_it_concerns(seed_reply: EmailMessage) -> None:
    body = body_of(seed_reply)
    lines = body.splitlines()
    hunk = lines.index(
        "> @@ -1386,6 +1394,10 @@ "
        "static void migrate_params_test_apply(MigrationParameters *params,"
    )
    comment = next(i for i, line in enumerate(lines) if line.startswith("X101 (error"))
    assert hunk < comment
    # the hunk header, the context before, the line itself, then the comment
    assert lines[comment - 2] == "> +    }"
    assert lines[comment - 3] == "> +        dest->backend_transfer = params->backend_transfer;"
    assert lines[comment - 1] == ""
    quoted = lines[hunk : comment - 1]
    assert len(quoted) <= 2 + 3 + 1  # header, "[...]", three lines of context, the line
    assert "> diff --git a/migration/options.c b/migration/options.c" in lines
    spelling = next(i for i, line in enumerate(lines) if line.startswith("Q201 (warning"))
    assert lines[spelling - 2].startswith("> +#     file descriptors are passed")


def test_only_the_relevant_diff_lines_are_quoted(seed_reply: EmailMessage) -> None:
    body = body_of(seed_reply)
    quoted = [line for line in body.splitlines() if line.startswith(">")]
    assert len(quoted) < 20
    assert '> +#include "qapi/util.h"' not in quoted  # a hunk without findings
    assert "> diff --git a/include/migration/misc.h b/include/migration/misc.h" not in quoted


def test_findings_without_a_diff_line_come_first(seed_reply: EmailMessage) -> None:
    lines = body_of(seed_reply).splitlines()
    assert lines[0] == ("On Sun, 01 Feb 2026 19:19:55 +0300, Vladimir Sementsov-Ogievskiy wrote:")
    assert lines[2] == "review found 4 problems (2 errors, 2 warnings) in this patch."
    first_quote = next(i for i, line in enumerate(lines) if line.startswith(">"))
    loose = [i for i, line in enumerate(lines) if line.startswith(("M001 (error", "M010 (warn"))]
    assert len(loose) == 2 and all(i < first_quote for i in loose)


def test_no_trailer_is_ever_added() -> None:
    sneaky = [
        *SEED_FINDINGS,
        finding("M011", "Reviewed-by: A Maintainer <maint@example.org>", patch=3),
        finding(
            "M012",
            "line\nReviewed-by: Someone <x@example.org>\nTested-by: y <y@z>",
            patch=3,
            introduced_by=TEST_APPLY_CLOSE,
        ),
    ]
    text = render_email(seed_report(sneaky))
    assert text is not None
    for line in body_of(parse(text)).splitlines():
        assert parse_trailer(line) is None, f"trailer-like line in the reply: {line!r}"
        assert not re.match(r"\s*[\w-]+-by:", line, re.I)


def test_nothing_found_means_no_mail_unless_asked() -> None:
    report = seed_report([])
    assert render_email(report) is None
    text = render_email(report, clean_mail=True)
    assert text is not None
    clean = parse(text)
    assert clean["In-Reply-To"] == f"<{SEED_ID}>"
    body = body_of(clean)
    assert "found no problems" in body and len(body.splitlines()) < 10


def test_without_applied_series_the_diff_is_parsed_from_the_mail() -> None:
    text = render_email(seed_report(SEED_FINDINGS, applied=False))
    assert text is not None
    assert "> +        dest->backend_transfer = params->backend_transfer;" in text


def test_post_image_line_is_traced_back_to_its_diff_line() -> None:
    report = seed_report([])
    assert report.applied is not None
    # the "+    }" of migrate_params_test_apply() in the applied tree
    origin = report.applied.origin("migration/options.c", 1400 - 538, after=3)
    assert origin is not None and origin.diff_line == 61
    only_tree = finding(
        "X102",
        "a finding placed in the post-image only",
        at=TreeLocation("migration/options.c", 1400 - 538),
        patch=3,
    )
    text = render_email(seed_report([only_tree]))
    assert text is not None
    lines = body_of(parse(text)).splitlines()
    comment = next(i for i, line in enumerate(lines) if line.startswith("X102"))
    assert lines[comment - 2] == "> +    }"


# --- a small series of our own: several replies, an mbox, hostile headers ------------

EVIL_SUBJECT = "=?utf-8?q?foo=0D=0ABcc=3A_victim=40example=2Eorg?="


def write_series(path: Path, *, cover_subject: str = "[PATCH 0/2] foo: things") -> Path:
    def msg(mid: str, subject: str, body: str, extra: str = "") -> str:
        return (
            f"From nobody Mon Sep 17 00:00:00 2001\n"
            f"From: =?utf-8?q?Ann_=0D=0ABcc=3A_x=40evil=2Eorg?= <ann@example.org>\n"
            f'To: List <list@example.org>, "Bob, Jr." <bob@example.org>\n'
            f"Cc: ann@example.org, list@example.org, carol@example.org\n"
            f"Subject: {subject}\n"
            f"Message-ID: <{mid}>\n{extra}"
            f"Date: Mon, 2 Mar 2026 10:00:00 +0000\n\n{body}\n\n"
        )

    diff = (
        "Signed-off-by: Ann <ann@example.org>\n---\n"
        "diff --git a/foo.c b/foo.c\n--- a/foo.c\n+++ b/foo.c\n"
        "@@ -1,3 +1,4 @@\n int a;\n int b;\n int c;\n+From here on, nothing;\n"
    )
    refs = "In-Reply-To: <c0@example.org>\nReferences: <c0@example.org>\n"
    path.write_text(
        msg("c0@example.org", cover_subject, "Cover text.")
        + msg("c1@example.org", "[PATCH 1/2] foo: one", "One.\n\n" + diff, refs)
        + msg("c2@example.org", "[PATCH 2/2] foo: two", "Two.\n\n" + diff, refs)
    )
    return path


def small_report(path: Path, findings: list[Finding]) -> Report:
    series = build_series(read_messages([str(path)]))
    return Report.create(
        inputs=[str(path)], tree_label="t", series=series, applied=None, findings=findings
    )


def small_findings() -> list[Finding]:
    return [
        finding("M001", "the series as a whole", Severity.INFO),
        finding("P001", "one", introduced_by=DiffLocation(1, "foo.c", 8, 4), patch=1),
        finding("P001", "two", introduced_by=DiffLocation(2, "foo.c", 8, 4), patch=2),
    ]


def iter_mbox(text: str, tmp_path: Path) -> Iterator[EmailMessage]:
    box_path = tmp_path / "out.mbox"
    box_path.write_text(text)
    box = mailbox.mbox(box_path, factory=None, create=False)
    for key in box.keys():  # noqa: SIM118 (mailbox.mbox is not a dict)
        message = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        yield message


def test_one_reply_per_patch_plus_cover_as_an_mbox(tmp_path: Path) -> None:
    report = small_report(write_series(tmp_path / "s.mbox"), small_findings())
    text = render_email(report)
    assert text is not None and text.startswith("From ")
    replies = list(iter_mbox(text, tmp_path))
    assert [r["In-Reply-To"] for r in replies] == [
        "<c0@example.org>",
        "<c1@example.org>",
        "<c2@example.org>",
    ]
    assert replies[1]["References"] == "<c0@example.org> <c1@example.org>"
    assert "M001 (note, check-m001): the series as a whole" in body_of(replies[0])
    # a body line starting "From " survives the mbox round trip
    assert ">+From here on, nothing;" not in body_of(replies[1])
    assert "> +From here on, nothing;" in body_of(replies[1])


def header_names(text: str) -> list[str]:
    block = text.split("\n\n", 1)[0]
    return [line.split(":", 1)[0].lower() for line in block.splitlines() if not line[:1].isspace()]


def test_encoded_newlines_in_the_mail_cannot_inject_headers(tmp_path: Path) -> None:
    path = write_series(tmp_path / "s.mbox", cover_subject=f"[PATCH 0/2] {EVIL_SUBJECT}")
    report = small_report(path, small_findings())
    texts = [message_text(reply) for reply in build_replies(report)]
    assert len(texts) == 3
    for text in texts:
        names = header_names(text)
        assert "bcc" not in names and names.count("subject") == 1, text
        reply = parse(text)
        addrs = {a.addr_spec for h in ("To", "Cc") for a in reply[h].addresses}
        assert addrs == {
            "ann@example.org",
            "list@example.org",
            "bob@example.org",
            "carol@example.org",
        }
        assert reply["To"].addresses[0].addr_spec == "ann@example.org"


def test_raw_newlines_reaching_the_renderer_cannot_inject_headers(tmp_path: Path) -> None:
    """Even if a stage handed over CR/LF, the renderer strips it from every header."""
    report = small_report(write_series(tmp_path / "s.mbox"), small_findings())
    assert report.series is not None and report.series.cover is not None
    cover = report.series.cover
    evil_message = dataclasses.replace(
        cover.message,
        subject="x",
        from_name="Ann\r\nBcc: x@evil.org",
        to=("List <list@example.org>\r\nBcc: y@evil.org", "Bob <bob@example.org>"),
        cc=("carol@example.org\nX-Evil: 1",),
        message_id="c0@example.org>\r\nBcc: <z@evil.org",
        references=("r1@example.org\nX-Evil: 2",),
    )
    evil_subject = dataclasses.replace(cover.subject, raw="[PATCH 0/2] a\r\nBcc: w@evil.org")
    evil_cover = dataclasses.replace(cover, message=evil_message, subject=evil_subject)
    series = dataclasses.replace(report.series, cover=evil_cover)
    evil_report = dataclasses.replace(report, series=series)
    text = message_text(build_replies(evil_report)[0])
    names = header_names(text)
    assert "bcc" not in names and "x-evil" not in names, text
    reply = parse(text)
    assert reply["Subject"] == "Re: [PATCH 0/2] a Bcc: w@evil.org"  # text, not a header
    assert [a.addr_spec for a in reply["To"].addresses] == ["ann@example.org"]
    assert [a.addr_spec for a in reply["Cc"].addresses] == ["bob@example.org"]
    assert "\n" not in reply["In-Reply-To"] and "\n" not in reply["References"]


def test_quoted_names_and_unicode_survive(tmp_path: Path) -> None:
    report = small_report(write_series(tmp_path / "s.mbox"), small_findings())
    reply = build_replies(report)[1]
    to_and_cc = [(a.display_name, a.addr_spec) for a in reply["Cc"].addresses]
    assert ("Bob, Jr.", "bob@example.org") in to_and_cc
