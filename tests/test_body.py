"""mail.body: commit message, trailers, notes, diff (hunk counts honoured),
footer and signature; trailers written in replies."""

from __future__ import annotations

from pathlib import Path

from conftest import SEED_SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewtool.mail.body import parse_body, parse_reply_trailers, parse_trailer
from reviewtool.mail.mbox import read_messages

DIFF = """diff --git a/a.c b/a.c
index 1111111..2222222 100644
--- a/a.c
+++ b/a.c
@@ -1,3 +1,3 @@
 one
--- old dashes
+++ new dashes
 three
"""


def test_seed_body_split() -> None:
    """The seed: trailers without addresses, diffstat in the notes, 10 hunks."""
    (message,) = read_messages([str(SEED_SAMPLE)]).messages
    body = parse_body(message.body)
    assert body.message.startswith("We are going to implement backend-transfer feature")
    assert body.message.rstrip().endswith("for supporting devices (no one at the moment).")
    assert [(t.name, t.value, t.email) for t in body.trailers] == [
        ("Signed-off-by", "Vladimir Sementsov-Ogievskiy", None),
        ("Acked-by", "Markus Armbruster", None),
        ("Acked-by", "Peter Xu", None),
    ]
    assert "3 files changed, 30 insertions(+), 3 deletions(-)" in body.notes
    assert body.diff.startswith(
        "diff --git a/include/migration/misc.h b/include/migration/misc.h\n"
    )
    assert body.diff.count("\n@@ ") == 10
    assert body.diff.endswith(" ##\n # @query-migrate-parameters:\n")
    assert body.signature == "2.52.0\n"
    assert body.in_body_from is None and body.base_commit is None
    # the trailer lines are numbered in the decoded body
    first = body.trailers[0]
    assert first.line is not None
    assert message.body.split("\n")[first.line - 1] == "Signed-off-by: Vladimir Sementsov-Ogievskiy"


def test_dashes_inside_a_hunk_are_diff_lines() -> None:
    """``--- old`` inside a hunk is a removal, not a file header or the end."""
    text = f"Subject line.\n\nSigned-off-by: A <a@example.org>\n---\n{DIFF}-- \n2.50.0\n"
    body = parse_body(text)
    assert body.diff == DIFF
    assert body.signature == "2.50.0\n"


def test_footer_after_last_hunk_is_not_a_removal() -> None:
    """b4 writes ``---`` right after the last hunk; hunk counts end the diff."""
    footer = "---\nbase-commit: 0123456789abcdef0123456789abcdef01234567\nchange-id: 2025-x\n"
    sign = "\nBest regards,\n--  \nA <a@example.org>\n"
    text = f"Msg.\n\nSigned-off-by: A <a@example.org>\n---\n{DIFF}{footer}{sign}"
    body = parse_body(text)
    assert body.diff == DIFF
    assert "change-id: 2025-x" in body.footer
    assert body.base_commit == "0123456789abcdef0123456789abcdef01234567"
    assert body.signature == "A <a@example.org>\n"


def test_b4_corpus_mail(shared: Path) -> None:
    """Corpus d-b4-single-patch-base-commit: notes between two '---', footer, '--  '."""
    (message,) = read_messages([str(shared / "corpus/d-b4-single-patch-base-commit.mbox")]).messages
    body = parse_body(message.body)
    assert body.notes.startswith("See also:\nhttps://lore.kernel.org/qemu-devel/")
    assert "1 file changed, 1 deletion(-)" in body.notes
    assert body.diff.startswith("diff --git a/hw/pci/shpc.c b/hw/pci/shpc.c\n")
    assert "base-commit" not in body.diff and "---\n" not in body.diff.split("@@")[-1]
    assert body.diff.rstrip("\n").endswith("g_free(shpc->wmask);")
    assert body.base_commit == "c85ba2d7a4056595166689890285105579db446a"
    assert "change-id: 20251027-shpc-d71bb72d67af" in body.footer
    assert body.signature == "Akihiko Odaki <odaki@rsg.ci.i.u-tokyo.ac.jp>\n"
    assert [t.name for t in body.trailers] == ["Signed-off-by"]


def test_in_body_from_and_trailer_block_with_notes() -> None:
    """A pull request's in-body From: names the author; '[...]' notes stay in the block."""
    text = (
        "From: Original Author <orig@example.org>\n\nFix it.\n\n"
        "Signed-off-by: Original Author <orig@example.org>\n"
        "Message-ID: <123@example.org>\n[Maintainer: tweaked]\n"
        "Reviewed-by: Markus Armbruster <armbru@redhat.com>\n"
        "Fixes: 43e0d14ee09a (docs/sphinx: fix extra stuff\n  in TOC)\n"
        f"---\n{DIFF}"
    )
    body = parse_body(text)
    assert body.in_body_from == "Original Author <orig@example.org>"
    assert body.message == "Fix it.\n"
    assert [t.name for t in body.trailers] == [
        "Signed-off-by",
        "Message-ID",
        "Reviewed-by",
        "Fixes",
    ]
    assert body.trailers[-1].value == "43e0d14ee09a (docs/sphinx: fix extra stuff in TOC)"
    assert body.trailers[2].email == "armbru@redhat.com"


def test_last_paragraph_without_known_trailer_stays_in_message() -> None:
    body = parse_body("Title.\n\nNote: this is prose, not a trailer.\n")
    assert body.trailers == ()
    assert body.message == "Title.\n\nNote: this is prose, not a trailer.\n"
    assert body.diff == "" and not body.has_diff


def test_cover_letter_without_diff() -> None:
    text = (
        "Cover text.\n\nBased-on: <dep@example.org>\n\nA U Thor (2):\n  a: one\n\n"
        " a.c | 2 +-\n\nbase-commit: abcdef0123456789abcdef0123456789abcdef01\n"
        "prerequisite-patch-id: 1111111111111111111111111111111111111111\n-- \n2.50.0\n"
    )
    body = parse_body(text)
    assert not body.has_diff and body.diff_line == 0
    assert body.base_commit == "abcdef0123456789abcdef0123456789abcdef01"
    assert body.prerequisite_patch_ids == ("1111111111111111111111111111111111111111",)
    assert body.signature == "2.50.0\n"


def test_hunk_with_lost_trailing_space_context_line() -> None:
    """A mailer that strips a context line's lone space leaves an empty line."""
    diff = "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n"
    body = parse_body(f"Msg.\n---\n{diff}")
    assert body.diff == diff


def test_binary_patch_is_kept_whole() -> None:
    diff = (
        "diff --git a/b.bin b/b.bin\nnew file mode 100644\nindex 0000000..1111111\n"
        "GIT binary patch\nliteral 5\nMcmZQzWMXCn0000\n\nliteral 0\nHcmV?d00001\n\n"
    )
    body = parse_body(f"Add a blob.\n\nSigned-off-by: A <a@example.org>\n---\n{diff}-- \n2.5\n")
    assert body.diff == diff


def test_reply_trailers_skip_quotes_and_signature() -> None:
    text = (
        "On Mon, X wrote:\n> Reviewed-by: Quoted <q@example.org>\n"
        ">> Acked-by: Deeper <d@example.org>\n"
        "\nLooks fine.\n\nReviewed-by: Real Reviewer <real@example.org>\n"
        "Signed-off-by: Not Counted <n@example.org>\n  Tested-by: Indented <t@example.org>\n"
        "-- \nAcked-by: In Signature <sig@example.org>\n"
    )
    found = parse_reply_trailers(text)
    assert [(t.name, t.email) for t in found] == [
        ("Reviewed-by", "real@example.org"),
        ("Tested-by", "t@example.org"),
    ]
    assert found[0].line == 7


def test_parse_trailer() -> None:
    t = parse_trailer("Acked-by: Peter Xu <peterx@redhat.com>")
    assert t is not None and (t.key, t.email) == ("acked-by", "peterx@redhat.com")
    assert parse_trailer("not a trailer") is None
    bare = parse_trailer("Cc: qemu-devel@nongnu.org")
    assert bare is not None and bare.email == "qemu-devel@nongnu.org"


# --- properties: never raise; the diff found is exactly the diff written

LINE = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_parse_body_never_raises(text: str) -> None:
    body = parse_body(text)
    if body.diff:
        assert body.diff.endswith("\n")
        assert body.diff.rstrip("\n") in text


@st.composite
def hunks(draw: st.DrawFn) -> str:
    """A one-file diff whose hunk lines may look like '---' or '-- '."""
    out = ["diff --git a/f.c b/f.c", "index 1111111..2222222 100644", "--- a/f.c", "+++ b/f.c"]
    start = 1
    for _ in range(draw(st.integers(1, 3))):
        lines = draw(st.lists(st.tuples(st.sampled_from(" +-"), LINE), min_size=1, max_size=8))
        old = sum(1 for kind, _ in lines if kind != "+")
        new = sum(1 for kind, _ in lines if kind != "-")
        out.append(f"@@ -{start},{old} +{start},{new} @@")
        out += [kind + text for kind, text in lines]
        start += old + 10
    return "\n".join(out) + "\n"


@settings(max_examples=200, deadline=None)
@given(
    hunks(), st.sampled_from(["", "---\nbase-commit: 0123456789abcdef\n", "\n---\nchange-id: x\n"])
)
def test_diff_end_follows_hunk_counts(diff: str, footer: str) -> None:
    text = (
        f"Title.\n\nSigned-off-by: A <a@example.org>\n---\n f.c | 1 +\n\n{diff}{footer}-- \n2.50\n"
    )
    body = parse_body(text)
    assert body.diff == diff
    assert body.signature == "2.50\n"
