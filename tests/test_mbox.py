"""mail.mbox: every input kind, every transfer encoding and charset quirk,
and the one-line errors for input that cannot be read."""

from __future__ import annotations

import io
import itertools
import sys
from pathlib import Path

import pytest
from conftest import DATA, SEED_SAMPLE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewtool.errors import InputError
from reviewtool.mail.body import parse_body, parse_reply_trailers
from reviewtool.mail.mbox import (
    MailFact,
    MailFactKind,
    Message,
    _split_mbox,
    iter_messages,
    read_messages,
)
from reviewtool.series import build_series

MAIL = DATA / "mail"


def one(path: Path) -> Message:
    result = read_messages([str(path)])
    assert result.problems == ()
    (message,) = result.messages
    return message


def kinds(message: Message) -> list[MailFactKind]:
    return [f.kind for f in message.facts]


def test_seed_headers_and_mailparser_defect() -> None:
    """patchew's seed: no addresses left; mail-parser flags the bare From."""
    m = one(SEED_SAMPLE)
    assert m.subject == "[PATCH v10 3/8] qapi: add backend-transfer migration parameter"
    assert m.message_id == "20260201162001.296328-4-vsementsov@yandex-team.ru"
    assert m.in_reply_to == "20260201162001.296328-1-vsementsov@yandex-team.ru"
    assert m.references == ("20260201162001.296328-1-vsementsov@yandex-team.ru",)
    assert (m.from_name, m.from_addr) == ("Vladimir Sementsov-Ogievskiy", "")
    assert m.to == ("jasowang@redhat.com", "mst@redhat.com")
    assert "armbru@redhat.com" in m.cc
    assert m.date is not None and m.date.isoformat() == "2026-02-01T19:19:55+03:00"
    assert m.location.source == str(SEED_SAMPLE) and m.location.index == 1
    # quoted-printable: "=3D" and soft line breaks undone
    assert "    MigrationState *s = migrate_get_current();\n" in m.body
    assert "static void migrate_mark_all_params_present(MigrationParameters *p)\n" in m.body
    defects = [f for f in m.facts if f.kind is MailFactKind.MAIL_DEFECT]
    assert any("AddressHeaderDefect" in f.message for f in defects)


def test_qp_soft_breaks() -> None:
    m = one(MAIL / "qp-soft-breaks.eml")
    assert (
        "Set the value with x = 1 in a rather long sentence that a mailer would have to "
        "break somewhere.\n" in m.body
    )
    assert "\n \n" in m.body  # "=20": the context line that is a lone space
    assert parse_body(m.body).has_diff
    assert m.facts == ()


def test_base64() -> None:
    m = one(MAIL / "base64.eml")
    body = parse_body(m.body)
    assert body.message == "Add a header we need.\n"
    assert "+#include <stdlib.h>\n" in body.diff


def test_cp1252_fallback_is_a_fact() -> None:
    m = one(MAIL / "cp1252-fallback.eml")
    assert "Use the \u201cstandard\u201d header." in m.body
    (fallback,) = [f for f in m.facts if f.kind is MailFactKind.CHARSET_FALLBACK]
    assert fallback.message.endswith("decoded as cp1252")
    assert "declared charset utf-8" in fallback.message


def test_latin1_fallback_when_cp1252_fails() -> None:
    m = one(MAIL / "latin1-fallback.eml")
    assert "Caf\u00e9 control byte \x81 here." in m.body
    (fallback,) = [f for f in m.facts if f.kind is MailFactKind.CHARSET_FALLBACK]
    assert fallback.message.endswith("decoded as latin-1")
    trailer = parse_body(m.body).trailers[0]
    assert trailer.value == "Ren\u00e9 Fran\u00e7ois <rene@example.org>"


def test_rfc2047_words_in_subject_from_cc() -> None:
    m = one(MAIL / "rfc2047-subject.eml")
    assert m.subject == "[PATCH v2 1/1] hello: add \u00e9l\u00e9gant include"
    assert (m.from_name, m.from_addr) == ("Ren\u00e9 Fran\u00e7ois", "rene@example.org")
    # an encoded name and a quoted name with a comma: still two addresses
    assert m.cc == (
        "Marc-Andr\u00e9 Lureau <marcandre@example.org>",
        "Doe, Jane <jane@example.org>",
    )


def test_folded_headers() -> None:
    m = one(MAIL / "folded-header.eml")
    assert m.subject == (
        "[PATCH v3 2/2] hello: add the stdlib include that a very long subject line needs "
        "to be folded"
    )
    assert m.message_id == "folded-2@example.org"
    assert m.references == ("folded-0@example.org", "folded-1@example.org")
    assert m.parent_ids == ("folded-0@example.org", "folded-1@example.org")


def test_crlf_line_ends() -> None:
    m = one(MAIL / "crlf.eml")
    assert "\r" not in m.body and "\r" not in m.subject
    body = parse_body(m.body)
    assert body.diff.startswith("diff --git a/hello.c b/hello.c\n")
    assert body.signature == "2.50.0\n"


def test_multipart_inline_x_patch() -> None:
    m = one(MAIL / "multipart-x-patch.eml")
    body = parse_body(m.body)
    assert body.message == "Add a header we need.\n"
    assert [t.name for t in body.trailers] == ["Signed-off-by"]
    assert "+#include <stdlib.h>\n" in body.diff
    assert "ignored" not in m.body  # the HTML part is left out


def test_mboxrd_from_quoting_undone() -> None:
    m = one(MAIL / "mboxrd-from.mbox")
    assert "\nFrom the archives: this was asked for.\n>From a quoted mail.\n" in m.body
    assert parse_body(m.body).has_diff


def test_maildir() -> None:
    result = read_messages([str(MAIL / "maildir")])
    assert result.problems == ()
    assert [m.subject for m in result.messages] == [
        "[PATCH 0/1] hello: cover",
        "[PATCH 1/1] hello: add stdlib include",
    ]


def test_format_patch_directory() -> None:
    result = read_messages([str(MAIL / "format-patch")])
    assert [m.subject for m in result.messages] == [
        "[PATCH 0/2] hello: two changes",
        "[PATCH 1/2] hello: add stdlib include",
        "[PATCH 2/2] hello: add string include",
    ]
    assert all(m.message_id is None for m in result.messages)
    assert result.messages[1].location.source.endswith("0001-hello-add-stdlib.patch")
    series = build_series(result)
    assert [p.index for p in series.patches] == [1, 2] and series.cover is not None
    assert series.base_commit == "0123456789abcdef0123456789abcdef01234567"


def test_broken_message_is_skipped_and_reported() -> None:
    result = read_messages([str(MAIL / "broken-in-mbox.mbox")])
    assert [m.location.index for m in result.messages] == [1, 3, 4]
    (problem,) = result.problems
    assert problem.kind is MailFactKind.BROKEN_MESSAGE and problem.location.index == 2
    series = build_series(result)
    assert [p.index for p in series.patches] == [1, 2] and series.missing == ()
    assert [f.kind.value for f in series.facts] == ["broken-message"]


def test_several_inputs_and_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (MAIL / "base64.eml").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    result = read_messages([str(MAIL / "crlf.eml"), "-"])
    assert [m.location.source for m in result.messages] == [str(MAIL / "crlf.eml"), "<stdin>"]
    assert [m.message_id for m in result.messages] == ["crlf@example.org", "b64@example.org"]


def test_iter_messages_streams() -> None:
    """The splitter pulls lines lazily: an endless mbox still yields messages."""
    lines = [
        b"Subject: x\n",
        b"Message-ID: <a@b>\n",
        b"\n",
        b"body\n",
        b"\n",
        b"From nobody Mon Sep 17 00:00:00 2001\n",
    ]
    endless = itertools.cycle(lines)
    chunks = list(itertools.islice(_split_mbox(b"From x Mon Sep 17 00:00:00 2001\n", endless), 3))
    assert chunks[1] == b"".join([lines[-1], *lines[:-1]])
    assert all(c.startswith(b"From ") and b"Subject: x\n" in c for c in chunks)


def test_iter_messages_is_lazy(tmp_path: Path) -> None:
    """Nothing is read before a message is asked for; then one at a time."""
    path = tmp_path / "two.mbox"
    stream = iter_messages([str(path)])  # the file does not exist yet: no error
    sep = b"From nobody Mon Sep 17 00:00:00 2001\n"
    one_mail = (MAIL / "crlf.eml").read_bytes().replace(b"\r\n", b"\n")
    path.write_bytes(sep + one_mail + b"\n" + sep + b"garbage, not a header\n")
    first = next(stream)
    assert isinstance(first, Message) and first.message_id == "crlf@example.org"
    second = next(stream)
    assert isinstance(second, MailFact) and second.kind is MailFactKind.BROKEN_MESSAGE
    assert next(stream, None) is None


def test_from_line_inside_a_body_does_not_split() -> None:
    """Only a From line after a blank line and before a header starts a message."""
    raw = (
        b"Subject: a\nMessage-ID: <a@x>\n\nhello\n\nFrom my point of view, fine.\n"
        b"more body\n\nFrom nobody Mon Sep 17 00:00:00 2001\nSubject: b\n\nbody b\n"
    )
    chunks = list(_split_mbox(b"From nobody Mon Sep 17 00:00:00 2001\n", iter(io.BytesIO(raw))))
    assert len(chunks) == 2
    assert b"From my point of view, fine.\n" in chunks[0]


# --- input that cannot be read: InputError naming the file (and position)


def error_of(inputs: list[str]) -> str:
    with pytest.raises(InputError) as caught:
        list(iter_messages(inputs))
    text = caught.value.render()
    assert "\n" not in text
    return text


def test_missing_path() -> None:
    assert error_of(["/nonexistent/x.mbox"]) == "/nonexistent/x.mbox: no such file or directory"


def test_directory_without_mail(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hi\n")
    assert error_of([str(tmp_path)]).startswith(f"{tmp_path}: directory holds no mail")


def test_file_that_is_not_mail() -> None:
    path = str(MAIL / "not-mail.txt")
    assert error_of([path]) == (
        f"{path}: not mail: it starts with neither an mbox 'From ' line nor a mail header"
    )


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.mbox").write_bytes(b"")
    assert error_of([str(tmp_path / "empty.mbox")]).endswith("empty input: no mail in it")


def test_headers_only_garbage_single_file(tmp_path: Path) -> None:
    path = tmp_path / "x.eml"
    path.write_bytes(b"Note: not a mail header really\n\ntext\n")
    assert error_of([str(path)]).startswith(f"{path}:message 1: not mail: skipped: no From")


def test_flattened_seed(shared: Path) -> None:
    path = str(shared / "seed/backend-transfer-v10-3-8.flattened.txt")
    text = error_of([path])
    assert text.startswith(f"{path}:message 1: its line breaks appear to be gone")


def test_flattened_single_message(tmp_path: Path) -> None:
    line = "Subject: x From: a Date: b Message-ID: c " + "word " * 600
    path = tmp_path / "flat.eml"
    path.write_text("Received: " + line + "\n")
    assert "line breaks appear to be gone" in error_of([str(path)])


def test_corpus_quirks(shared: Path) -> None:
    corpus = shared / "corpus"
    # DMARC-munged sender: the author comes from Reply-To
    rfc = read_messages([str(corpus / "d-rfc-virtio-iterative-migration.mbox")]).messages
    assert rfc[5].author == "Jonah Palmer <jonah.palmer@oracle.com>"
    assert MailFactKind.SENDER_REWRITTEN in kinds(rfc[5])
    # folded subject
    assert rfc[5].subject.startswith("[RFC 5/6] virtio, virtio-net: skip consistency check")
    # duplicate Content-Type header and a q-encoded From
    (e1000e,) = read_messages([str(corpus / "d-single-rfc-patch-encoded-word-from.mbox")]).messages
    assert e1000e.from_name == "Philippe Mathieu-Daud\u00e9"
    assert any(f.message == "duplicate Content-Type header" for f in e1000e.facts)
    # quoted-printable cover with =0D artefacts, latin-1 reply with iso-8859-1 To
    nvme = read_messages([str(corpus / "d-qp-block-nvme-tracing-with-replies.mbox")]).messages
    assert "\r" not in nvme[0].body and "Philippe Mathieu-Daud\u00e9 (2):" in nvme[0].body
    assert nvme[5].to == ("Philippe Mathieu-Daud\u00e9 <philmd@redhat.com>",)
    # an encoded word split across a folded Cc
    talk = read_messages([str(corpus / "d-nonpatch-discussion-3msgs.mbox")]).messages
    assert "Marc-Andr\u00e9 Lureau <marcandre.lureau@redhat.com>" in talk[0].cc
    # base64 patches decode to a diff
    hexagon = read_messages([str(corpus / "d-base64-hexagon-sigsegv-with-replies.mbox")]).messages
    assert parse_body(hexagon[1].body).diff.startswith("diff --git a/target/hexagon/")


def test_every_corpus_mbox_reads_cleanly(shared: Path) -> None:
    counts = {
        "d-b4-single-patch-base-commit.mbox": 1,
        "d-base64-hexagon-sigsegv-with-replies.mbox": 5,
        "d-docs-specs-rename-new-deleted.mbox": 9,
        "d-for-8.2-v2-max-switchover-bandwidth.mbox": 3,
        "d-nonpatch-discussion-3msgs.mbox": 3,
        "d-pull-qapi-2025-02-26.mbox": 7,
        "d-qp-block-nvme-tracing-with-replies.mbox": 6,
        "d-rfc-virtio-iterative-migration.mbox": 7,
        "d-single-patch-migration-param-postcopy-keepalive.mbox": 1,
        "d-single-rfc-patch-encoded-word-from.mbox": 1,
        "d-v2-chardev-reconnect-ms-with-replies.mbox": 4,
        "d-v3-based-on-semihosting-uaccess-with-replies.mbox": 6,
    }
    for path in sorted((shared / "corpus").glob("*.mbox")):
        items = list(iter_messages([str(path)]))
        assert not [i for i in items if isinstance(i, MailFact)], path.name
        assert len(items) == counts[path.name], path.name


def test_diagnose_off_skips_mailparser() -> None:
    """Bulk readers may skip mail-parser; the decoded message is the same."""
    quick = read_messages([str(SEED_SAMPLE)], diagnose=False).messages[0]
    full = read_messages([str(SEED_SAMPLE)]).messages[0]
    assert quick.body == full.body and quick.subject == full.subject
    assert not any("AddressHeaderDefect" in f.message for f in quick.facts)
    assert any("AddressHeaderDefect" in f.message for f in full.facts)


def test_stdlib_defects_recorded_without_mailparser(tmp_path: Path) -> None:
    path = tmp_path / "nobound.eml"
    path.write_bytes(
        b"From: A <a@example.org>\nSubject: [PATCH] x\nMessage-ID: <n@x>\n"
        b"Content-Type: multipart/mixed\n\nno boundary here\n"
    )
    (m,) = read_messages([str(path)], diagnose=False).messages
    assert "multipart/mixed: NoBoundaryInMultipartDefect" in [f.message for f in m.facts]
    assert {f.kind for f in m.facts} == {MailFactKind.MAIL_DEFECT}


def test_format_flowed_reply_is_unflowed() -> None:
    """A soft-broken trailer is joined again; quoted lines stay quoted."""
    m = one(MAIL / "flowed-reply.eml")
    assert "\n> Signed-off-by: A U Thor <author@example.org>\n" in m.body
    assert "broke it at a space.\n" in m.body
    assert "\nFrom a space-stuffed line.\n" in m.body
    assert "\n-- \nsig" in m.body
    (reviewed,) = parse_reply_trailers(m.body)
    assert reviewed.value == "Rev Iewer With A Really Long Name <reviewer@example.org>"


def test_cr_only_line_ends(tmp_path: Path) -> None:
    data = (MAIL / "crlf.eml").read_bytes().replace(b"\r\n", b"\r")
    path = tmp_path / "cr.eml"
    path.write_bytes(data)
    m = one(path)
    assert m.subject == "[PATCH] hello: add stdlib include"
    assert parse_body(m.body).diff.startswith("diff --git a/hello.c b/hello.c\n")


def test_unthreaded_resends_are_duplicates(tmp_path: Path) -> None:
    """The same [PATCH 1/2] sent twice without threading: a duplicate, not two series."""
    text = (MAIL / "crlf.eml").read_bytes().replace(b"\r\n", b"\n")
    first = text.replace(b"[PATCH]", b"[PATCH 1/2]")
    second = first.replace(b"crlf@example.org", b"crlf2@example.org")
    sep = b"From nobody Mon Sep 17 00:00:00 2001\n"
    (tmp_path / "x.mbox").write_bytes(sep + first + b"\n" + sep + second)
    series = build_series(read_messages([str(tmp_path / "x.mbox")]))
    assert [f.kind.value for f in series.facts] == ["duplicate", "missing"]
    assert series.patch(1) is not None and series.patch(1).message.message_id == "crlf2@example.org"  # type: ignore[union-attr]


# --- property: whatever the email package encodes, we decode back

TEXT_LINE = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85"
    ),
    max_size=40,
).map(str.rstrip)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    subject=TEXT_LINE.filter(lambda t: t.strip()),
    lines=st.lists(TEXT_LINE, min_size=1, max_size=8),
    cte=st.sampled_from(["quoted-printable", "base64", "8bit"]),
    charset=st.sampled_from(["utf-8", "latin-1"]),
)
def test_encoded_mail_round_trip(
    tmp_path: Path, subject: str, lines: list[str], cte: str, charset: str
) -> None:
    from email.message import EmailMessage
    from email.policy import SMTP

    body = "\n".join(lines) + "\n"
    if charset == "latin-1":
        body = body.encode("latin-1", "replace").decode("latin-1")
    mail = EmailMessage()
    mail["From"] = "Ren\u00e9 Tester <rene@example.org>"
    mail["Subject"] = subject
    mail["Message-ID"] = "<prop@example.org>"
    mail.set_content(body, charset=charset, cte=cte)
    path = tmp_path / "prop.eml"
    path.write_bytes(mail.as_bytes(policy=SMTP))  # CRLF on the wire
    (m,) = read_messages([str(path)]).messages
    assert m.subject == " ".join(subject.split())
    assert m.body == body
    assert m.from_name == "Ren\u00e9 Tester"
