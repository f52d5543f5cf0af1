"""Watch mode: one reply per complete series, across restarts; discussions ignored.

The unit tests stub the "check a group" step (``Watcher(check=...)``) so they
test the engine (Maildir reading, grouping, waiting, state, delivery); the
end-to-end tests at the bottom run the real pipeline on the seed and a
corpus series.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CORPUS, SAMPLE_TREE, SEED_SAMPLE

from reviewtool.errors import InputError
from reviewtool.watch import SeriesGroup, Watcher, default_state_path

SEED_ID = "20260201162001.296328-4-vsementsov@yandex-team.ru"


def mail(
    msgid: str,
    subject: str,
    *,
    reply_to: str | None = None,
    refs: tuple[str, ...] = (),
    diff: bool = True,
) -> bytes:
    """A small patch mail (or discussion mail with ``diff=False``)."""
    headers = [
        "From: A U Thor <author@example.org>",
        "To: qemu-devel@nongnu.org",
        f"Subject: {subject}",
        f"Message-ID: <{msgid}>",
        "Date: Sun, 1 Feb 2026 19:19:55 +0300",
    ]
    if reply_to:
        headers.append(f"In-Reply-To: <{reply_to}>")
    if refs:
        headers.append("References: " + " ".join(f"<{r}>" for r in refs))
    body = "A commit message.\n\nSigned-off-by: A U Thor <author@example.org>\n"
    if diff:
        body += (
            "---\n"
            " foo.c | 1 +\n"
            "\n"
            "diff --git a/foo.c b/foo.c\n"
            "index 1111111..2222222 100644\n"
            "--- a/foo.c\n"
            "+++ b/foo.c\n"
            "@@ -1,1 +1,2 @@\n"
            " int a;\n"
            f"+int {msgid.split('@')[0].replace('-', '_').replace('.', '_')};\n"
        )
    return ("\n".join(headers) + "\n\n" + body).encode()


def series_mails(root: str = "s1", total: int = 2, version: str = "") -> list[bytes]:
    """Cover letter 0/N and patches 1..N, threaded under the cover (git send-email)."""
    v = f" {version}" if version else ""
    cover = f"{root}-0@example.org"
    out = [mail(cover, f"[PATCH{v} 0/{total}] foo: do things", diff=False)]
    for k in range(1, total + 1):
        out.append(
            mail(
                f"{root}-{k}@example.org",
                f"[PATCH{v} {k}/{total}] foo: step {k}",
                reply_to=cover,
                refs=(cover,),
            )
        )
    return out


def deliver(maildir: Path, raw: bytes, name: str) -> Path:
    """Deliver the way an MDA does: write into tmp/, rename into new/."""
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    tmp = maildir / "tmp" / name
    tmp.write_bytes(raw)
    target = maildir / "new" / name
    tmp.rename(target)
    return target


class StubCheck:
    """Records each group it is asked to check and answers one reply mail."""

    def __init__(self) -> None:
        self.groups: list[SeriesGroup] = []

    def __call__(self, group: SeriesGroup) -> list[bytes]:
        self.groups.append(group)
        return [f"Subject: reply for {group.key}\n\nbody\n".encode()]


@pytest.fixture
def boxes(tmp_path: Path) -> tuple[Path, Path]:
    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    for sub in ("tmp", "new", "cur"):
        (inbox / sub).mkdir(parents=True)
    return inbox, outbox


def outbox_files(outbox: Path) -> list[Path]:
    return sorted((outbox / "new").iterdir()) if (outbox / "new").is_dir() else []


def make(
    inbox: Path, outbox: Path, check: Callable[[SeriesGroup], list[bytes]], **kw: object
) -> Watcher:
    return Watcher(inbox, outbox, check, log=lambda line: None, **kw)  # type: ignore[arg-type]


def test_series_delivered_in_pieces_gets_exactly_one_reply(boxes: tuple[Path, Path]) -> None:
    inbox, outbox = boxes
    check = StubCheck()
    watcher = make(inbox, outbox, check)
    cover, p1, p2 = series_mails()
    deliver(inbox, cover, "1.cover")
    deliver(inbox, p1, "2.p1")
    first = watcher.poll()
    assert first.checked == [] and first.waiting == ["<s1-0@example.org> v1"]
    assert outbox_files(outbox) == []

    deliver(inbox, p2, "3.p2")
    second = watcher.poll()
    assert second.checked == ["<s1-0@example.org> v1"]
    assert [g.slots for g in check.groups] == [(1, 2)]
    assert check.groups[0].has_cover and check.groups[0].complete
    assert sorted(p.name for p in check.groups[0].files) == ["1.cover", "2.p1", "3.p2"]
    replies = outbox_files(outbox)
    assert len(replies) == 1 and replies == second.replies
    assert b"reply for <s1-0@example.org> v1" in replies[0].read_bytes()

    third = watcher.poll()  # nothing new: nothing checked, nothing written
    assert third.checked == [] and third.waiting == []
    assert len(outbox_files(outbox)) == 1 and len(check.groups) == 1
    assert list((outbox / "tmp").iterdir()) == []


def test_patches_arriving_before_their_cover_letter_wait_for_it(boxes: tuple[Path, Path]) -> None:
    inbox, outbox = boxes
    check = StubCheck()
    watcher = make(inbox, outbox, check)
    cover, p1, p2 = series_mails()
    deliver(inbox, p2, "1.p2")
    assert watcher.poll().waiting == ["<s1-0@example.org> v1"]
    deliver(inbox, p1, "2.p1")
    # 1/2 and 2/2 are there: the series is complete even before its cover arrives
    assert watcher.poll().checked == ["<s1-0@example.org> v1"]
    deliver(inbox, cover, "3.cover")
    assert watcher.poll().checked == []
    assert len(check.groups) == 1 and len(outbox_files(outbox)) == 1


def test_restart_keeps_waiting_series_and_never_replies_twice(boxes: tuple[Path, Path]) -> None:
    inbox, outbox = boxes
    cover, p1, p2, p3 = series_mails(total=3)
    deliver(inbox, cover, "1.cover")
    deliver(inbox, p1, "2.p1")
    first = make(inbox, outbox, StubCheck())
    assert first.poll().waiting == ["<s1-0@example.org> v1"]
    first.close()

    deliver(inbox, p2, "3.p2")
    second_check = StubCheck()
    second = make(inbox, outbox, second_check)  # a new process: same state file
    assert second.poll().checked == []
    second.close()

    deliver(inbox, p3, "4.p3")
    third_check = StubCheck()
    third = make(inbox, outbox, third_check)
    assert third.poll().checked == ["<s1-0@example.org> v1"]
    assert third_check.groups[0].slots == (1, 2, 3)
    third.close()

    fourth_check = StubCheck()
    fourth = make(inbox, outbox, fourth_check)
    assert fourth.poll().checked == []
    assert fourth_check.groups == [] and len(outbox_files(outbox)) == 1
    assert default_state_path(outbox).is_file()


def test_discussion_threads_get_no_reply(boxes: tuple[Path, Path]) -> None:
    inbox, outbox = boxes
    check = StubCheck()
    deliver(inbox, mail("d1@example.org", "-chardev with a JSON argument", diff=False), "1")
    deliver(
        inbox,
        mail(
            "d2@example.org",
            "Re: -chardev with a JSON argument",
            reply_to="d1@example.org",
            refs=("d1@example.org",),
            diff=False,
        ),
        "2",
    )
    # a review reply to a patch that is not in the inbox is a discussion too
    deliver(
        inbox,
        mail(
            "d3@example.org",
            "Re: [PATCH 1/2] foo: step 1",
            reply_to="x-1@example.org",
            refs=("x-0@example.org", "x-1@example.org"),
            diff=False,
        ),
        "3",
    )
    watcher = make(inbox, outbox, check, wait_timeout=0)
    result = watcher.poll()
    assert result.checked == [] and result.waiting == [] and check.groups == []
    assert outbox_files(outbox) == []


def test_incomplete_series_is_checked_with_what_it_has_after_the_timeout(
    boxes: tuple[Path, Path],
) -> None:
    inbox, outbox = boxes
    now = [1000.0]
    check = StubCheck()
    watcher = make(inbox, outbox, check, wait_timeout=600, clock=lambda: now[0])
    cover, p1, _p2, p3 = series_mails(total=3)
    for i, raw in enumerate((cover, p1, p3)):
        deliver(inbox, raw, f"{i}.m")
    assert watcher.poll().waiting == ["<s1-0@example.org> v1"]
    now[0] += 599
    assert watcher.poll().waiting == ["<s1-0@example.org> v1"]
    now[0] += 1  # 600 s after the first patch was seen
    assert watcher.poll().checked == ["<s1-0@example.org> v1"]
    assert check.groups[0].slots == (1, 3) and not check.groups[0].complete
    now[0] += 10_000
    assert watcher.poll().checked == [] and len(outbox_files(outbox)) == 1


def test_two_revisions_in_one_thread_are_two_series(boxes: tuple[Path, Path]) -> None:
    inbox, outbox = boxes
    check = StubCheck()
    v1 = mail("a-1@example.org", "[PATCH] foo: fix it")
    # v2 sent in reply to v1 (a common habit for single patches)
    v2 = mail(
        "a-2@example.org",
        "[PATCH v2] foo: fix it",
        reply_to="a-1@example.org",
        refs=("a-1@example.org",),
    )
    deliver(inbox, v1, "1.v1")
    deliver(inbox, v2, "2.v2")
    result = make(inbox, outbox, check).poll()
    assert result.checked == ["<a-1@example.org> v1", "<a-1@example.org> v2"]
    assert [g.version for g in check.groups] == [1, 2]
    assert len(outbox_files(outbox)) == 2


def test_reader_moving_mail_to_cur_is_not_a_new_message(boxes: tuple[Path, Path]) -> None:
    inbox, outbox = boxes
    check = StubCheck()
    watcher = make(inbox, outbox, check)
    cover, p1, p2 = series_mails()
    deliver(inbox, cover, "1.cover")
    path = deliver(inbox, p1, "2.p1")
    watcher.poll()
    path.rename(inbox / "cur" / "2.p1:2,S")  # a mail reader marked it seen
    deliver(inbox, p2, "3.p2")
    assert watcher.poll().checked == ["<s1-0@example.org> v1"]
    assert sorted(p.name for p in check.groups[0].files) == ["1.cover", "2.p1:2,S", "3.p2"]


def test_reply_written_but_not_moved_is_delivered_once_after_a_crash(
    boxes: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, outbox = boxes
    for i, raw in enumerate(series_mails()):
        deliver(inbox, raw, f"{i}.m")
    crashing = make(inbox, outbox, StubCheck())
    # the process dies right after recording the check, before moving the reply
    monkeypatch.setattr(Watcher, "_deliver_pending", lambda self: [])
    assert crashing.poll().checked == ["<s1-0@example.org> v1"]
    assert outbox_files(outbox) == [] and len(list((outbox / "tmp").iterdir())) == 1
    crashing.close()
    monkeypatch.undo()

    check = StubCheck()
    restarted = make(inbox, outbox, check)
    result = restarted.poll()
    assert result.checked == [] and check.groups == []  # not checked again
    assert len(result.replies) == 1 and outbox_files(outbox) == result.replies
    assert list((outbox / "tmp").iterdir()) == []
    assert restarted.poll().replies == []


def test_a_check_that_fails_is_logged_and_not_retried(boxes: tuple[Path, Path]) -> None:
    inbox, outbox = boxes
    for i, raw in enumerate(series_mails()):
        deliver(inbox, raw, f"{i}.m")
    calls: list[str] = []
    logged: list[str] = []

    def broken(group: SeriesGroup) -> list[bytes]:
        calls.append(group.key)
        raise InputError("cannot read the tree", path="/nowhere")

    watcher = Watcher(inbox, outbox, broken, log=logged.append)
    assert watcher.poll().failed == ["<s1-0@example.org> v1"]
    assert watcher.poll().failed == []
    assert calls == ["<s1-0@example.org> v1"] and outbox_files(outbox) == []
    assert any("/nowhere: cannot read the tree" in line for line in logged)


def test_unreadable_file_is_skipped_once(boxes: tuple[Path, Path]) -> None:
    inbox, outbox = boxes
    deliver(inbox, b"\x00\x01 this is not mail at all\n", "1.junk")
    logged: list[str] = []
    watcher = Watcher(inbox, outbox, StubCheck(), log=logged.append)
    watcher.poll()
    watcher.poll()
    assert len([line for line in logged if "1.junk" in line]) == 1


def test_inbox_must_be_a_maildir_and_not_the_outbox(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a Maildir"):
        Watcher(tmp_path / "nothing", tmp_path / "out", StubCheck())
    inbox = tmp_path / "in"
    for sub in ("tmp", "new", "cur"):
        (inbox / sub).mkdir(parents=True)
    with pytest.raises(InputError, match="must not be the inbox"):
        Watcher(inbox, inbox, StubCheck())


# --- end to end: the real pipeline and the email renderer -----------------------------


def read_outbox(outbox: Path) -> list[email.message.EmailMessage]:
    box = mailbox.Maildir(outbox, factory=None, create=False)
    msgs = [
        email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        for key in box.keys()  # noqa: SIM118 (a Mailbox iterates messages)
    ]
    return [m for m in msgs if isinstance(m, email.message.EmailMessage)]


def test_seed_patch_gets_one_threaded_reply_after_the_timeout(boxes: tuple[Path, Path]) -> None:
    from reviewtool.tree import DirectoryTree
    from reviewtool.watch import pipeline_check

    inbox, outbox = boxes
    deliver(inbox, SEED_SAMPLE.read_bytes(), "1.seed")
    now = [5000.0]
    check = pipeline_check(
        DirectoryTree(SAMPLE_TREE), sender="bot <bot@example.org>", clock=lambda: now[0]
    )
    watcher = Watcher(
        inbox, outbox, check, wait_timeout=60, clock=lambda: now[0], log=lambda line: None
    )
    # 3/8 alone: the other seven patches may still come
    assert watcher.poll().waiting == ["<20260201162001.296328-1-vsementsov@yandex-team.ru> v10"]
    now[0] += 60
    assert watcher.poll().checked == ["<20260201162001.296328-1-vsementsov@yandex-team.ru> v10"]
    replies = read_outbox(outbox)
    assert len(replies) == 1
    reply = replies[0]
    assert reply["In-Reply-To"] == f"<{SEED_ID}>"
    assert reply["Subject"] == "Re: [PATCH v10 3/8] qapi: add backend-transfer migration parameter"
    assert reply["From"] == "bot <bot@example.org>"
    assert reply["Date"] is not None
    assert watcher.poll().checked == [] and len(read_outbox(outbox)) == 1


def test_corpus_series_and_discussion(boxes: tuple[Path, Path], shared: Path) -> None:
    from reviewtool.tree import DirectoryTree
    from reviewtool.watch import pipeline_check

    inbox, outbox = boxes
    series = mailbox.mbox(CORPUS / "d-for-8.2-v2-max-switchover-bandwidth.mbox")
    talk = mailbox.mbox(CORPUS / "d-nonpatch-discussion-3msgs.mbox")
    pieces = [series.get_bytes(k) for k in series.keys()]  # noqa: SIM118
    for i, key in enumerate(talk.keys()):
        deliver(inbox, talk.get_bytes(key), f"0.talk{i}")
    check = pipeline_check(DirectoryTree(SAMPLE_TREE))
    groups: list[SeriesGroup] = []

    def counting(group: SeriesGroup) -> list[bytes]:
        groups.append(group)
        return list(check(group))

    deliver(inbox, pieces[0], "1.m")
    watcher = Watcher(inbox, outbox, counting, log=lambda line: None)
    assert watcher.poll().checked == []
    watcher.close()
    for i, raw in enumerate(pieces[1:], start=2):
        deliver(inbox, raw, f"{i}.m")
    restarted = Watcher(inbox, outbox, counting, log=lambda line: None)
    assert len(restarted.poll().checked) == 1
    assert restarted.poll().checked == []
    assert len(groups) == 1 and groups[0].version == 2 and groups[0].slots == (1, 2)
    # every reply answers a message of that series, none the discussion
    series_ids = {str(series.get_message(k)["Message-ID"]).strip() for k in series.keys()}  # noqa: SIM118
    for reply in read_outbox(outbox):
        assert reply["In-Reply-To"] in series_ids


def test_cli_watch_once_replies_once(boxes: tuple[Path, Path], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from reviewtool.cli import app

    inbox, outbox = boxes
    deliver(inbox, SEED_SAMPLE.read_bytes(), "1.seed")
    state = tmp_path / "state.sqlite"
    args = [
        "watch",
        str(inbox),
        "--tree",
        str(SAMPLE_TREE),
        "--outbox",
        str(outbox),
        "--state",
        str(state),
        "--once",
        "--wait-timeout",
        "0",
    ]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "checked <20260201162001.296328-1-vsementsov@yandex-team.ru> v10" in first.output
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0 and "checked" not in second.output
    (reply,) = read_outbox(outbox)
    assert reply["In-Reply-To"] == f"<{SEED_ID}>"
    assert state.is_file() and not default_state_path(outbox).exists()


def test_cli_watch_on_a_non_maildir_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reviewtool.cli import main

    argv = [
        "watch",
        str(tmp_path),
        "--tree",
        str(SAMPLE_TREE),
        "--outbox",
        str(tmp_path / "o"),
        "--once",
    ]
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert f"review: error: {tmp_path}: not a Maildir" in capsys.readouterr().err
