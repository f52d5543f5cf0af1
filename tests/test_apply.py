"""apply: the in-memory applier, feature by feature, on small made-up diffs,
then the seed series on the bundled sample tree and the ``review apply`` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE, DictTree, git_env
from typer.testing import CliRunner

from reviewtool.apply import (
    ApplyOptions,
    FileOutcome,
    HunkStatus,
    apply_patches,
    apply_series,
    render_apply_text,
    split_lines,
)
from reviewtool.cli import app
from reviewtool.diff import FileStatus
from reviewtool.location import DiffLocation
from reviewtool.tree import DirectoryTree, Tree


def numbered(n: int, start: int = 1) -> bytes:
    return b"".join(b"line %d\n" % i for i in range(start, start + n))


def hunk_diff(path: str, header: str, body: str) -> str:
    return f"--- a/{path}\n+++ b/{path}\n{header}\n{body}"


# A hunk changing "line 5" of a 10-line file, 3 lines of context.
CHANGE_5 = hunk_diff(
    "f.c",
    "@@ -2,7 +2,7 @@",
    " line 2\n line 3\n line 4\n-line 5\n+LINE FIVE\n line 6\n line 7\n line 8\n",
)


def only_hunk(result_tree: Tree, diff: str, **kw: object) -> tuple[object, bytes | None]:
    applied = apply_patches(result_tree, [(1, diff)], ApplyOptions(**kw))  # type: ignore[arg-type]
    (f,) = applied.patches[0].files
    return f.hunks[0], applied.final.read_bytes(f.path)


def test_split_lines_only_at_newline() -> None:
    assert split_lines(b"a\r\nb\rc\nlast") == [b"a\r\n", b"b\rc\n", b"last"]
    assert split_lines(b"") == []
    assert split_lines(b"\n\n") == [b"\n", b"\n"]


def test_applies_at_stated_position() -> None:
    hunk, data = only_hunk(DictTree({"f.c": numbered(10)}), CHANGE_5)
    assert hunk.status is HunkStatus.APPLIED and hunk.offset == 0 and hunk.position == 2
    assert data == numbered(4) + b"LINE FIVE\n" + numbered(5, 6)


def test_offset_search_finds_shifted_hunk_with_delta() -> None:
    shifted = b"extra 1\nextra 2\nextra 3\n" + numbered(10)
    hunk, data = only_hunk(DictTree({"f.c": shifted}), CHANGE_5)
    assert hunk.status is HunkStatus.OFFSET and hunk.offset == 3 and hunk.position == 5
    assert data is not None and b"LINE FIVE\nline 6\n" in data
    removed = numbered(10)[len(b"line 1\n") :]  # one line fewer before the hunk
    hunk, _ = only_hunk(DictTree({"f.c": removed}), CHANGE_5)
    assert hunk.status is HunkStatus.OFFSET and hunk.offset == -1


def test_nearest_match_wins_and_after_before_before_at_equal_distance() -> None:
    block = b"a\nb\nc\nd\ne\nf\ng\n"
    diff = hunk_diff("f.c", "@@ -4,7 +4,7 @@", " a\n b\n c\n-d\n+D\n e\n f\n g\n")
    # the block occurs at line 1 and at line 8: stated line 4 is 3 away from
    # line 1 and 4 away from line 8, so line 1 wins
    text = block + b"x\n" + block
    hunk, data = only_hunk(DictTree({"f.c": text}), diff)
    assert hunk.position == 1 and hunk.offset == -3
    assert data == b"a\nb\nc\nD\ne\nf\ng\nx\n" + block
    # equal distance (stated line 5, copies at 1 and 9): the later one wins, as in git
    diff = diff.replace("@@ -4,7 +4,7 @@", "@@ -5,7 +5,7 @@")
    hunk, _ = only_hunk(DictTree({"f.c": text}), diff)
    assert hunk.position == 9 and hunk.offset == 4


def test_hunk_at_line_one_must_match_at_start() -> None:
    diff = hunk_diff("f.c", "@@ -1,3 +1,4 @@", "+new first\n line 1\n line 2\n line 3\n")
    hunk, data = only_hunk(DictTree({"f.c": numbered(5)}), diff)
    assert hunk.status is HunkStatus.APPLIED and data == b"new first\n" + numbered(5)
    hunk, _ = only_hunk(DictTree({"f.c": b"zero\n" + numbered(5)}), diff)
    assert hunk.status is HunkStatus.FAILED
    assert "start of the file" in (hunk.reason or "")


def test_hunk_without_trailing_context_must_match_at_end() -> None:
    diff = hunk_diff("f.c", "@@ -3,3 +3,4 @@", " line 3\n line 4\n line 5\n+appended\n")
    hunk, data = only_hunk(DictTree({"f.c": numbered(5)}), diff)
    assert hunk.status is HunkStatus.APPLIED and data == numbered(5) + b"appended\n"
    hunk, _ = only_hunk(DictTree({"f.c": numbered(6)}), diff)
    assert hunk.status is HunkStatus.FAILED and "end of the file" in (hunk.reason or "")


def test_failed_hunk_reason_names_closest_position_and_first_difference() -> None:
    text = numbered(10).replace(b"line 6\n", b"line six\n")
    hunk, data = only_hunk(DictTree({"f.c": text}), CHANGE_5)
    assert hunk.status is HunkStatus.FAILED
    assert hunk.reason == (
        "context mismatch: closest match at line 2 (6 of 7 lines agree; hunk stated at "
        "line 2); line 6 differs: expected 'line 6', found 'line six'"
    )
    assert data == text  # nothing changed


def test_whitespace_only_difference_is_flagged_and_matched_when_asked() -> None:
    text = numbered(10).replace(b"line 6\n", b"line  6\n")
    hunk, _ = only_hunk(DictTree({"f.c": text}), CHANGE_5)
    assert hunk.status is HunkStatus.FAILED
    assert "differs only in whitespace" in (hunk.reason or "")
    hunk, data = only_hunk(DictTree({"f.c": text}), CHANGE_5, ignore_whitespace=True)
    assert hunk.status is HunkStatus.APPLIED
    # the tree's context line is kept, the added line is the patch's
    assert data is not None and b"LINE FIVE\nline  6\n" in data


def test_context_reduction_like_git_minus_c() -> None:
    text = numbered(10).replace(b"line 2\n", b"line two\n")
    hunk, _ = only_hunk(DictTree({"f.c": text}), CHANGE_5)
    assert hunk.status is HunkStatus.FAILED
    hunk, data = only_hunk(DictTree({"f.c": text}), CHANGE_5, context_reduce=1)
    assert hunk.status is HunkStatus.REDUCED
    assert hunk.context == (2, 2)  # leading/trailing context used
    assert data is not None and b"line two\nline 3\nline 4\nLINE FIVE\n" in data
    # -C 3 keeps every context line: still fails
    hunk, _ = only_hunk(DictTree({"f.c": text}), CHANGE_5, context_reduce=3)
    assert hunk.status is HunkStatus.FAILED


def test_lines_patched_by_an_earlier_hunk_are_not_matched_again() -> None:
    # two hunks with the same pre-image: the second must not land on the
    # lines the first one wrote
    two = (
        hunk_diff(
            "f.c",
            "@@ -1,2 +1,2 @@",
            "-a\n+b\n x\n",
        )
        + "@@ -1,2 +1,2 @@\n-a\n+b\n x\n"
    )
    applied = apply_patches(DictTree({"f.c": b"a\nx\nrest\n"}), [(1, two)])
    first, second = applied.patches[0].files[0].hunks
    assert first.status is HunkStatus.APPLIED and second.status is HunkStatus.FAILED


def test_new_file_and_already_exists() -> None:
    diff = "--- /dev/null\n+++ b/n.c\n@@ -0,0 +1,2 @@\n+one\n+two\n"
    applied = apply_patches(DictTree({}), [(1, diff)])
    assert applied.final.read_bytes("n.c") == b"one\ntwo\n"
    assert applied.patches[0].files[0].status is FileStatus.ADDED
    applied = apply_patches(DictTree({"n.c": b"x\n"}), [(1, diff)])
    (f,) = applied.patches[0].files
    assert f.outcome is FileOutcome.FAILED and f.reason == "n.c: already exists"
    assert f.hunks[0].status is HunkStatus.FAILED


def test_deletion_checks_content() -> None:
    diff = (
        "diff --git a/d.c b/d.c\ndeleted file mode 100644\n--- a/d.c\n+++ /dev/null\n"
        "@@ -1,2 +0,0 @@\n-one\n-two\n"
    )
    applied = apply_patches(DictTree({"d.c": b"one\ntwo\n"}), [(1, diff)])
    assert applied.patches[0].ok and not applied.final.exists("d.c")
    applied = apply_patches(DictTree({"d.c": b"one\ntwo\nthree\n"}), [(1, diff)])
    (f,) = applied.patches[0].files
    assert f.outcome is FileOutcome.FAILED and applied.final.exists("d.c")
    applied = apply_patches(DictTree({}), [(1, diff)])
    assert applied.patches[0].files[0].reason == "d.c: does not exist"


def test_rename_and_copy_with_and_without_hunks() -> None:
    base = DictTree({"a.txt": numbered(3), "b.c": b"old\n"})
    diff = (
        "diff --git a/a.txt b/a.rst\nsimilarity index 100%\nrename from a.txt\nrename to a.rst\n"
        "diff --git a/b.c b/c.c\nsimilarity index 50%\ncopy from b.c\ncopy to c.c\n"
        "--- a/b.c\n+++ b/c.c\n@@ -1 +1 @@\n-old\n+new\n"
    )
    applied = apply_patches(base, [(1, diff)])
    assert applied.ok
    final = applied.final
    assert final.read_bytes("a.rst") == numbered(3) and not final.exists("a.txt")
    assert final.read_bytes("c.c") == b"new\n" and final.read_bytes("b.c") == b"old\n"
    renamed, copied = applied.patches[0].files
    assert (renamed.status, renamed.similarity) == (FileStatus.RENAMED, 100)
    assert (copied.status, copied.similarity) == (FileStatus.COPIED, 50)
    # a rename onto an existing file fails
    clash = DictTree({"a.txt": b"x\n", "a.rst": b"y\n"})
    applied = apply_patches(clash, [(1, diff.split("diff --git a/b.c")[0])])
    assert applied.patches[0].files[0].reason == "a.rst: already exists"


def test_mode_change_is_recorded() -> None:
    diff = "diff --git a/s.sh b/s.sh\nold mode 100644\nnew mode 100755\n"
    applied = apply_patches(DictTree({"s.sh": b"echo\n"}), [(1, diff)])
    (f,) = applied.patches[0].files
    assert f.ok and (f.old_mode, f.new_mode) == ("100644", "100755")
    assert "mode 100644 -> 100755" in render_apply_text(applied)


def test_no_newline_at_end_on_either_side() -> None:
    add_newline = "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"
    applied = apply_patches(DictTree({"f": b"a\nb"}), [(1, add_newline)])
    assert applied.final.read_bytes("f") == b"a\nb\n"
    # the same hunk does not match a file that already ends in a newline
    applied = apply_patches(DictTree({"f": b"a\nb\n"}), [(1, add_newline)])
    assert not applied.ok
    drop_newline = "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n"
    applied = apply_patches(DictTree({"f": b"a\nb\n"}), [(1, drop_newline)])
    assert applied.final.read_bytes("f") == b"a\nc"


def test_crlf_file() -> None:
    diff = "--- a/w.c\n+++ b/w.c\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+c\r\n"
    applied = apply_patches(DictTree({"w.c": b"a\r\nb\r\n"}), [(1, diff)])
    assert applied.ok and applied.final.read_bytes("w.c") == b"a\r\nc\r\n"
    # LF context does not match a CRLF file (as in git)
    lf = diff.replace("\r", "")
    applied = apply_patches(DictTree({"w.c": b"a\r\nb\r\n"}), [(1, lf)])
    assert not applied.ok


def test_binary_patches_are_reported_not_applied() -> None:
    diff = (
        "diff --git a/logo.png b/logo.png\nindex 1111111..2222222 100644\n"
        "GIT binary patch\nliteral 5\nMcmZQzU|?hb0000A00000\n\nliteral 0\nHcmV?d00001\n\n"
        "diff --git a/x.bin b/x.bin\nindex 3333333..4444444 100644\n"
        "Binary files a/x.bin and b/x.bin differ\n"
    )
    applied = apply_patches(DictTree({"logo.png": b"\x89PNG"}), [(1, diff)])
    outcomes = [f.outcome for f in applied.patches[0].files]
    assert outcomes == [FileOutcome.NOT_APPLIED, FileOutcome.NOT_APPLIED]
    assert applied.final.read_bytes("logo.png") == b"\x89PNG"
    assert "binary patch" in (applied.failures[0].reason)


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/etc/passwd", "absolute path"),
        ("../../etc/passwd", "'..'"),
        ("a/\x07bell.c", "control characters"),
    ],
)
def test_hostile_paths_are_refused(path: str, words: str) -> None:
    # "a//etc/passwd" is "/etc/passwd" once the a/ prefix is stripped
    diff = f"--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-x\n+y\n"
    applied = apply_patches(DictTree({}), [(1, diff)])
    (f,) = applied.patches[0].files
    assert f.outcome is FileOutcome.REFUSED
    assert f.reason is not None and f.reason.startswith("unsafe path refused") and words in f.reason


def test_symlink_leading_outside_is_refused_and_tree_untouched(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "f.c").write_text("x\n")
    outside = tmp_path / "outside.c"
    outside.write_text("x\n")
    (root / "evil.c").symlink_to(outside)
    diff = "--- a/evil.c\n+++ b/evil.c\n@@ -1 +1 @@\n-x\n+y\n"
    applied = apply_patches(DirectoryTree(root), [(1, diff)])
    (f,) = applied.patches[0].files
    assert f.outcome is FileOutcome.REFUSED and "outside the tree" in (f.reason or "")
    assert outside.read_text() == "x\n"


def test_series_is_cumulative_with_best_effort_and_may_follow() -> None:
    base = DictTree({"f.c": numbered(10), "g.c": numbered(3)})
    p1 = CHANGE_5
    p2 = hunk_diff(
        "f.c",
        "@@ -3,5 +3,6 @@",
        " line 3\n line 4\n LINE FIVE\n+added after five\n line 6\n line 7\n",
    )
    bad = hunk_diff("g.c", "@@ -1,3 +1,3 @@", " nope\n-line 2\n+LINE 2\n line 3\n")
    p4 = hunk_diff("g.c", "@@ -1,3 +1,4 @@", " line 1\n line 2\n line 3\n+line 4\n")
    applied = apply_patches(base, [(1, p1), (2, p2), (3, bad), (4, p4)])
    assert [p.ok for p in applied.patches] == [True, True, False, True]
    assert applied.final.read_bytes("f.c") == (
        numbered(4) + b"LINE FIVE\nadded after five\n" + numbered(5, 6)
    )
    # tree_after(k): base at 0, each patch's post-image after it
    assert applied.tree_after(0).read_bytes("f.c") == numbered(10)
    assert b"added after five" not in (applied.tree_after(1).read_bytes("f.c") or b"")
    assert b"added after five" in (applied.tree_after(2).read_bytes("f.c") or b"")
    assert applied.diffs(2)[0].path == "f.c" and applied.diffs(9) == ()
    # the failure is recorded with its location; the run went on
    (failure,) = applied.failures
    assert (failure.patch, failure.path, failure.hunk) == (3, "g.c", 1)
    assert failure.at.diff_line == 3
    # a later failure on the same file says it may follow from the earlier one
    p5 = hunk_diff("g.c", "@@ -2,2 +2,3 @@", " LINE 2\n line 3\n+more\n")
    applied = apply_patches(base, [(3, bad), (5, p5)])
    later = applied.patches[1].files[0].hunks[0]
    assert later.status is HunkStatus.FAILED
    assert later.may_follow_earlier == DiffLocation(3, "g.c", 3, 1)


def test_based_on_missing_note() -> None:
    bad = hunk_diff("g.c", "@@ -1,3 +1,3 @@", " nope\n-line 2\n+LINE 2\n line 3\n")
    applied = apply_patches(
        DictTree({"g.c": numbered(3)}), [(1, bad)], based_on_missing=["<1234@example.org>"]
    )
    hunk = applied.patches[0].files[0].hunks[0]
    assert hunk.note is not None and "<1234@example.org>" in hunk.note
    assert "may come from that missing series" in render_apply_text(applied)


def test_origins_follow_lines_through_patches() -> None:
    base = DictTree({"f.c": numbered(10)})
    p2 = hunk_diff("f.c", "@@ -1,3 +1,4 @@", "+top\n line 1\n line 2\n line 3\n")
    applied = apply_patches(base, [(1, CHANGE_5), (2, p2)])
    # after patch 1: line 5 is patch 1's "+LINE FIVE" (diff line 8 of that patch)
    assert applied.origin("f.c", 5, after=1) == DiffLocation(1, "f.c", 8, 5)
    assert applied.origin("f.c", 4, after=1) is None
    # after patch 2 everything moved down one line; origins moved with it
    assert applied.origin("f.c", 1) == DiffLocation(2, "f.c", 4, 1)
    assert applied.origin("f.c", 6) == DiffLocation(1, "f.c", 8, 5)
    assert applied.origin("f.c", 7) is None
    assert applied.origin("other.c", 1) is None
    assert applied.file_after("f.c", 0) is None


def test_unparseable_diff_is_recorded_and_run_goes_on() -> None:
    broken = "--- a/f.c\n+++ b/f.c\n@@ -1,3 +1,3 @@\n line 1\ngarbage\n"
    applied = apply_patches(DictTree({"f.c": numbered(10)}), [(1, broken), (2, CHANGE_5)])
    assert applied.patches[0].error is not None and "cannot parse" in applied.patches[0].error
    assert applied.patches[1].ok


def test_to_dict_shape() -> None:
    applied = apply_patches(DictTree({"f.c": b"x\n" + numbered(10)}), [(1, CHANGE_5)])
    data = applied.to_dict()
    hunk = data["patches"][0]["files"][0]["hunks"][0]
    assert data["tree"] == "test tree" and data["applied"] is True
    assert data["patches"][0]["files"][0]["path"] == "f.c"
    assert data["patches"][0]["files"][0]["status"] == "modified"
    assert (hunk["status"], hunk["offset"], hunk["reason"], hunk["position"]) == (
        "offset",
        1,
        None,
        3,
    )
    json.dumps(data)


# --- the seed on the bundled sample tree ------------------------------------


@pytest.fixture
def sample_tree() -> DirectoryTree:
    if not (SAMPLE_TREE / "VERSION").is_file():
        pytest.skip("samples/qemu is not written yet")
    return DirectoryTree(SAMPLE_TREE)


def test_seed_applies_to_sample_tree_with_offsets(sample_tree: DirectoryTree) -> None:
    from reviewtool.mail.mbox import read_messages
    from reviewtool.series import build_series

    series = build_series(read_messages([str(SEED_SAMPLE)]))
    applied = apply_series(sample_tree, series)
    (patch,) = applied.patches
    assert patch.index == 3 and patch.ok
    assert [f.path for f in patch.files] == [
        "include/migration/misc.h",
        "migration/options.c",
        "qapi/migration.json",
    ]
    hunks = [h for f in patch.files for h in f.hunks]
    assert len(hunks) == 10
    assert all(h.status in (HunkStatus.APPLIED, HunkStatus.OFFSET) for h in hunks)
    assert any(h.status is HunkStatus.OFFSET and h.offset != 0 for h in hunks)
    after = applied.final.read_text("qapi/migration.json") or ""
    assert "backend-transfer" in after
    # the new member's lines come from patch 3
    lines = after.splitlines()
    n = next(i for i, t in enumerate(lines, 1) if "backend-transfer" in t)
    origin = applied.origin("qapi/migration.json", n)
    assert origin is not None and origin.patch == 3
    # nothing written to the sample tree
    assert "backend-transfer" not in (SAMPLE_TREE / "qapi" / "migration.json").read_text()


def test_cli_apply_text_json_and_out(sample_tree: DirectoryTree, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["apply", str(SEED_SAMPLE), "--tree", str(SAMPLE_TREE)]
    text = runner.invoke(app, args)
    assert text.exit_code == 0, text.output
    assert text.output.startswith(f"tree: directory {SAMPLE_TREE}\n")
    assert "patch 3: qapi: add backend-transfer migration parameter" in text.output
    assert "offset " in text.output and "lines (applied at line" in text.output
    assert text.output.endswith("1 of 1 patches applied cleanly\n")

    as_json = runner.invoke(app, [*args, "--format", "json"])
    assert as_json.exit_code == 0
    document = json.loads(as_json.output)
    assert document["schema_version"] == 1 and "series" in document
    statuses = {h["status"] for f in document["patches"][0]["files"] for h in f["hunks"]}
    assert statuses <= {"applied", "offset"} and "offset" in statuses

    out = tmp_path / "out"
    written = runner.invoke(app, [*args, "--out", str(out)])
    assert written.exit_code == 0
    assert "backend-transfer" in (out / "qapi" / "migration.json").read_text()
    assert (out / "VERSION").read_text() == (SAMPLE_TREE / "VERSION").read_text()
    again = runner.invoke(app, [*args, "--out", str(out)])
    assert again.exit_code == 2 and "new or empty directory" in again.output


def test_cli_apply_reports_failure_with_exit_1(tmp_path: Path) -> None:
    tree = tmp_path / "t"
    tree.mkdir()
    runner = CliRunner()
    result = runner.invoke(app, ["apply", str(SEED_SAMPLE), "--tree", str(tree)])
    assert result.exit_code == 1
    assert (
        "include/migration/misc.h (modified): failed: include/migration/misc.h: does not exist"
        in (result.output)
    )


def test_rename_to_hostile_paths_is_refused() -> None:
    diff = (
        "diff --git a/a.txt b/a.txt\nsimilarity index 100%\n"
        "rename from a.txt\nrename to /tmp/owned.txt\n"
    )
    applied = apply_patches(DictTree({"a.txt": b"x\n"}), [(1, diff)])
    (f,) = applied.patches[0].files
    assert f.outcome is FileOutcome.REFUSED and "absolute path" in (f.reason or "")
    assert applied.final.read_bytes("a.txt") == b"x\n"
    # a/ prefix stripped from "a//etc/passwd" leaves an absolute path
    diff = "--- a//etc/passwd\n+++ b//etc/passwd\n@@ -1 +1 @@\n-x\n+y\n"
    applied = apply_patches(DictTree({}), [(1, diff)])
    assert applied.patches[0].files[0].outcome is FileOutcome.REFUSED


def test_git_revision_as_base_and_cli_rev(tmp_path: Path) -> None:
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "f.c").write_bytes(numbered(10))
    env = git_env()
    for args in (["init", "-q"], ["add", "f.c"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env)
    (repo / "f.c").write_bytes(b"changed in the worktree\n")  # --rev must not see this
    from reviewtool.tree import GitTree

    tree = GitTree(repo, "HEAD")
    try:
        applied = apply_patches(tree, [(1, CHANGE_5)])
    finally:
        tree.close()
    assert applied.ok and applied.patches[0].files[0].hunks[0].status is HunkStatus.APPLIED
    assert (repo / "f.c").read_bytes() == b"changed in the worktree\n"

    mail = tmp_path / "p.patch"
    mail.write_text(
        "From: A U Thor <a@example.org>\nSubject: [PATCH] change line five\n"
        "Message-ID: <p1@example.org>\nDate: Sat, 28 Nov 2026 10:00:00 +0000\n\n"
        "Change it.\n\nSigned-off-by: A U Thor <a@example.org>\n---\n"
        + CHANGE_5.replace("--- a/f.c", "diff --git a/f.c b/f.c\n--- a/f.c")
    )
    result = CliRunner().invoke(app, ["apply", str(mail), "--tree", str(repo), "--rev", "HEAD"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("tree: git HEAD (")
    assert "hunk 1 (diff line 4): applied at line 2" in result.output
    bad = CliRunner().invoke(app, ["apply", str(mail), "--tree", str(repo), "--rev", "nope"])
    assert bad.exit_code == 2 and "unknown git revision 'nope'" in bad.output


def test_text_report_of_reduced_context_and_offsets() -> None:
    text = b"x\n" + numbered(10).replace(b"line 2\n", b"line two\n")
    applied = apply_patches(
        DictTree({"f.c": text}), [(4, CHANGE_5)], ApplyOptions(context_reduce=1)
    )
    report = render_apply_text(applied, {4: "change five"})
    assert report.splitlines() == [
        "tree: test tree",
        "patch 4: change five",
        "  f.c (modified): applied",
        # git counts the offset from the stated line moved up by the dropped line
        "    hunk 1 (diff line 3): reduced-context 2/2, offset +3 lines (applied at line 4)",
        "1 of 1 patches applied cleanly",
    ]


# --- never a crash ------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

DIFFISH = st.sampled_from(
    [
        "diff --git a/f.c b/f.c",
        "diff --git a/../x b/../x",
        "--- a/f.c",
        "+++ b/f.c",
        "--- /dev/null",
        "+++ /dev/null",
        "new file mode 100644",
        "deleted file mode 100644",
        "rename from f.c",
        "rename to g.c",
        "similarity index 90%",
        "index 1111111..2222222 100644",
        "GIT binary patch",
        "literal 0",
        "Binary files a/f.c and b/f.c differ",
        "@@ -1,2 +1,2 @@",
        "@@ -0,0 +1 @@",
        "@@ -3 +3,0 @@",
        " line 1",
        " line 2",
        "-line 1",
        "+new",
        "\\ No newline at end of file",
        "",
        "-- ",
        "2.43.0",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(DIFFISH, max_size=14).map("\n".join), min_size=1, max_size=3))
def test_any_diffish_text_gives_results_never_a_crash(texts: list[str]) -> None:
    base = DictTree({"f.c": numbered(3), "g.c": b"line 1\n"})
    applied = apply_patches(base, list(enumerate(texts, 1)))
    assert len(applied.patches) == len(texts)
    for p in applied.patches:
        for f in p.files:
            assert f.outcome is FileOutcome.APPLIED or f.reason
    applied.to_dict()
    render_apply_text(applied)
