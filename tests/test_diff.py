"""diff.parse_diff: the unidiff seam, git extended headers, diff line numbers."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from reviewtool.diff import FileStatus, parse_diff
from reviewtool.errors import DiffError

MODIFY = """\
diff --git a/migration/options.c b/migration/options.c
index 1111111..2222222 100644
--- a/migration/options.c
+++ b/migration/options.c
@@ -10,4 +10,5 @@ static void f(void)
 one
-two
+TWO
+three
 four
 five
"""


def test_modified_file_lines_and_numbers() -> None:
    (fd,) = parse_diff(MODIFY, 3)
    assert fd.patch == 3
    assert (fd.old_path, fd.new_path, fd.status) == (
        "migration/options.c",
        "migration/options.c",
        FileStatus.MODIFIED,
    )
    assert fd.old_mode == fd.new_mode == "100644"
    assert fd.diff_line == 1
    (h,) = fd.hunks
    assert (h.source_start, h.source_length, h.target_start, h.target_length) == (10, 4, 10, 5)
    assert h.section == "static void f(void)"
    assert h.diff_line == 5
    assert [(ln.kind, ln.text) for ln in h.lines] == [
        (" ", "one"),
        ("-", "two"),
        ("+", "TWO"),
        ("+", "three"),
        (" ", "four"),
        (" ", "five"),
    ]
    assert [ln.diff_line for ln in h.lines] == [6, 7, 8, 9, 10, 11]
    assert h.lines[1].source_line == 11 and h.lines[1].target_line is None
    assert h.lines[2].target_line == 11 and h.lines[2].source_line is None
    assert (h.leading_context, h.trailing_context, h.added, h.removed) == (1, 2, 2, 1)
    assert fd.location.describe() == "patch 3: migration/options.c (diff line 1)"


def test_new_deleted_renamed_copied_mode_and_binary() -> None:
    text = """\
diff --git a/new.c b/new.c
new file mode 100755
index 0000000..3333333
--- /dev/null
+++ b/new.c
@@ -0,0 +1,2 @@
+int x;
+int y;
diff --git a/gone.txt b/gone.txt
deleted file mode 100644
index 4444444..0000000
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git a/docs/a.txt b/docs/a.rst
similarity index 100%
rename from docs/a.txt
rename to docs/a.rst
diff --git a/b.c b/c.c
similarity index 90%
copy from b.c
copy to c.c
index 5555555..6666666 100644
--- a/b.c
+++ b/c.c
@@ -1,1 +1,1 @@
-old
+new
diff --git a/script.sh b/script.sh
old mode 100644
new mode 100755
diff --git a/logo.png b/logo.png
index 7777777..8888888 100644
Binary files a/logo.png and b/logo.png differ
"""
    files = parse_diff(text, 1)
    assert [f.status for f in files] == [
        FileStatus.ADDED,
        FileStatus.DELETED,
        FileStatus.RENAMED,
        FileStatus.COPIED,
        FileStatus.MODIFIED,
        FileStatus.BINARY,
    ]
    added, deleted, renamed, copied, mode, binary = files
    assert (added.old_path, added.new_path, added.new_mode) == (None, "new.c", "100755")
    assert (deleted.old_path, deleted.new_path, deleted.old_mode) == ("gone.txt", None, "100644")
    assert (renamed.old_path, renamed.new_path, renamed.similarity) == (
        "docs/a.txt",
        "docs/a.rst",
        100,
    )
    assert renamed.hunks == ()
    assert (copied.old_path, copied.new_path, copied.similarity) == ("b.c", "c.c", 90)
    assert len(copied.hunks) == 1
    assert (mode.old_mode, mode.new_mode, mode.hunks) == ("100644", "100755", ())
    assert binary.binary and binary.path == "logo.png"
    assert deleted.hunks[0].lines[0].text == "bye"


def test_no_newline_markers_on_both_sides() -> None:
    text = """\
--- a/f
+++ b/f
@@ -1,2 +1,2 @@
 a
-b
\\ No newline at end of file
+c
\\ No newline at end of file
"""
    (fd,) = parse_diff(text, 1)
    b, c = fd.hunks[0].lines[1:]
    assert (b.text, b.no_newline, b.eol) == ("b", True, "")
    assert (c.text, c.no_newline, c.content) == ("c", True, "c")
    assert fd.hunks[0].lines[0].content == "a\n"


def test_crlf_lines_keep_their_line_end() -> None:
    text = "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\r\n+b\r\n"
    (fd,) = parse_diff(text, 1)
    old, new = fd.hunks[0].lines
    assert (old.text, old.eol, new.content) == ("a", "\r\n", "b\r\n")


def test_hunk_counts_are_honoured_before_a_b4_footer() -> None:
    # The b4 footer "---" right after the last hunk must not be read as a
    # removed line (seen in d-b4-single-patch-base-commit.mbox).
    text = MODIFY + "---\nbase-commit: c85ba2d7a4056595166689890285105579db446a\n"
    (fd,) = parse_diff(text, 1)
    assert len(fd.hunks[0].lines) == 6


def test_empty_context_line_and_quoted_path() -> None:
    text = (
        'diff --git "a/t\\303\\251st.c" "b/t\\303\\251st.c"\n'
        '--- "a/t\\303\\251st.c"\n+++ "b/t\\303\\251st.c"\n'
        "@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n"
    )
    (fd,) = parse_diff(text, 1)
    assert fd.path == "tést.c"
    assert [ln.kind for ln in fd.hunks[0].lines] == [" ", " ", "-", "+"]
    assert fd.hunks[0].lines[1].content == "\n"


def test_bad_hunk_raises_diff_error_with_line() -> None:
    text = "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+c\nnot a diff line\n"
    with pytest.raises(DiffError) as info:
        parse_diff(text, 2)
    assert info.value.line == 7
    assert "patch 2" in str(info.value)


def test_text_without_diff_gives_nothing() -> None:
    assert parse_diff("just a commit message\n", 1) == ()
    assert parse_diff("", 1) == ()


def test_seed_patch_parses(shared: Path) -> None:
    messages = list(mailbox.mbox(shared / "seed" / "backend-transfer-v10-3-8.mbox"))
    payload = messages[-1].get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode()
    diff = body[body.index("diff --git") :]
    files = parse_diff(diff, 3)
    assert [f.path for f in files] == [
        "include/migration/misc.h",
        "migration/options.c",
        "qapi/migration.json",
    ]
    assert [len(f.hunks) for f in files] == [1, 6, 3]
    options = files[1]
    assert any("has_fields" in ln.text for h in options.hunks for ln in h.lines)
