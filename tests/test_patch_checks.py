"""P### checks: apply failures, and style on the lines a patch adds."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE

from reviewtool.findings import Finding, Severity
from reviewtool.location import DiffLocation
from reviewtool.pipeline import ReviewOptions, review
from reviewtool.tree import DirectoryTree, Tree

AUTHOR = "Jane Doe <jane@example.org>"


def new_file(path: str, lines: list[str]) -> str:
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000000..1111111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n"
        + "".join(f"+{line}\n" for line in lines)
    )


def mail(diff: str, subject: str = "[PATCH] util: add demo()", extra_body: str = "") -> str:
    return (
        "From nobody Mon Mar  2 10:00:00 2026\n"
        f"From: {AUTHOR}\nTo: qemu-devel@nongnu.org\nSubject: {subject}\n"
        "Date: Mon, 2 Mar 2026 10:00:00 +0000\nMessage-ID: <demo@example.org>\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"Add a demo.\n{extra_body}\nSigned-off-by: {AUTHOR}\n---\n{diff}\n"
    )


def run(tmp_path: Path, text: str, select: str = "P", base: Tree | None = None) -> list[Finding]:
    mbox = tmp_path / "series.mbox"
    mbox.write_text(text)
    options = ReviewOptions(base=base or DirectoryTree(SAMPLE_TREE), select=(select,))
    return list(review([str(mbox)], options).findings)


# --- line length -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "severity"),
    [(80, None), (81, Severity.WARNING), (90, Severity.WARNING), (91, Severity.ERROR)],
)
def test_line_length_limits(tmp_path: Path, width: int, severity: Severity | None) -> None:
    line = "    x = " + "a" * (width - 9) + ";"
    assert len(line) == width
    found = run(tmp_path, mail(new_file("util/demo.c", ["{", line, "}"])), "P012")
    if severity is None:
        assert found == []
        return
    (finding,) = found
    assert finding.severity is severity
    limit = 90 if severity is Severity.ERROR else 80
    assert finding.message == f"line 2 of util/demo.c is {width} columns (over {limit})"
    assert finding.extra == {"columns": width, "limit": limit}
    assert finding.at == DiffLocation(1, "util/demo.c", 8, 2)
    assert finding.introduced_by == finding.at


def test_tabs_count_as_eight_columns(tmp_path: Path) -> None:
    line = "\t\t\t\t\t\t\t\t" + "x" * 17  # 64 + 17 = 81 columns, 25 characters
    found = run(tmp_path, mail(new_file("util/demo.c", [line])), "P012")
    assert [f.extra["columns"] for f in found] == [81]


@pytest.mark.parametrize(
    ("path", "checked"),
    [
        ("util/demo.c", True),
        ("include/qemu/demo.h", True),
        ("target/arm/tcg/demo.c.inc", True),
        ("scripts/demo.py", True),
        ("tests/qemu-iotests/demo.sh", True),
        ("qapi/demo.json", False),  # the QAPI schema is not C
        ("docs/devel/demo.rst", False),
    ],
)
def test_line_length_only_in_source_files(tmp_path: Path, path: str, checked: bool) -> None:
    found = run(tmp_path, mail(new_file(path, ["# " + "word " * 20])), "P012")
    assert bool(found) is checked


@pytest.mark.parametrize(
    "line",
    [
        '        "a message kept on one line so that grep finds it, whatever its length is",',
        "     * https://gitlab.com/qemu-project/qemu/-/issues/12345678901234567890123456789012345",
    ],
)
def test_string_literals_and_urls_are_exempt(tmp_path: Path, line: str) -> None:
    assert run(tmp_path, mail(new_file("util/demo.c", [line])), "P012") == []


def test_only_added_lines_count(tmp_path: Path) -> None:
    """A long line in the context or removed by the patch is not the patch's fault."""
    long_line = "    return x + " + "y" * 80 + ";"
    base = DirectoryTree(SAMPLE_TREE).overlay(
        {"util/demo.c": f"int f(void)\n{{\n{long_line}\n    return 0;\n}}\n".encode()}
    )
    diff = (
        "diff --git a/util/demo.c b/util/demo.c\nindex 1111111111..2222222222 100644\n"
        "--- a/util/demo.c\n+++ b/util/demo.c\n@@ -1,5 +1,5 @@\n int f(void)\n {\n"
        f" {long_line}\n-    return 0;\n+    return 1;\n }}\n"
    )
    assert run(tmp_path, mail(diff), base=base) == []


# --- whitespace and tabs --------------------------------------------------------------


def test_trailing_whitespace(tmp_path: Path) -> None:
    found = run(tmp_path, mail(new_file("docs/demo.rst", ["Title", "text \t", "ok"])), "P010")
    (finding,) = found
    assert finding.message == "trailing whitespace on line 2 of docs/demo.rst"
    assert finding.severity is Severity.ERROR
    assert finding.at == DiffLocation(1, "docs/demo.rst", 8, 2)


def test_tab_in_c_but_not_in_a_makefile(tmp_path: Path) -> None:
    diff = new_file("util/demo.c", ["\treturn 0;"]) + new_file(
        "tests/Makefile.include", ["\t$(CC)"]
    )
    found = run(tmp_path, mail(diff), "P011")
    assert [(f.at.path if f.at else None, f.message) for f in found] == [
        ("util/demo.c", "tab in C source, line 1 of util/demo.c: QEMU indents with spaces")
    ]


def test_seed_style_is_clean() -> None:
    report = review([str(SEED_SAMPLE)], ReviewOptions(base=DirectoryTree(SAMPLE_TREE)))
    assert not [f for f in report.findings if f.code.startswith("P")]


# --- apply ------------------------------------------------------------------------------


def test_seed_against_a_tree_without_its_context(tmp_path: Path) -> None:
    """The seed's header hunk cannot apply when misc.h lacks the lines around it."""
    misc = (SAMPLE_TREE / "include/migration/misc.h").read_text()
    assert "bool multifd_join_device_state_save_threads(void);" in misc
    broken = misc.replace("bool multifd_join_device_state_save_threads(void);", "/* gone */")
    base = DirectoryTree(SAMPLE_TREE).overlay({"include/migration/misc.h": broken.encode()})
    report = review([str(SEED_SAMPLE)], ReviewOptions(base=base, select=("P001",)))
    (finding,) = report.findings
    assert finding.code == "P001" and finding.severity is Severity.ERROR and finding.patch == 3
    assert finding.message.startswith("hunk 1 of include/migration/misc.h does not apply: ")
    assert isinstance(finding.at, DiffLocation) and finding.at.path == "include/migration/misc.h"
    assert finding.extra["hunk"] == 1
    assert finding.extra["based_on_missing"] == []


def test_failure_mentions_a_missing_based_on_series(tmp_path: Path) -> None:
    diff = (
        "diff --git a/util/absent.c b/util/absent.c\nindex 1111111111..2222222222 100644\n"
        "--- a/util/absent.c\n+++ b/util/absent.c\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
    )
    cover = (
        "From nobody Mon Mar  2 10:00:00 2026\n"
        f"From: {AUTHOR}\nSubject: [PATCH 0/1] util: absent\n"
        "Date: Mon, 2 Mar 2026 10:00:00 +0000\nMessage-ID: <c@example.org>\n\n"
        "Based-on: <prereq-series@example.org>\n\n"
    )
    patch = mail(diff, subject="[PATCH 1/1] util: change absent").replace(
        "Message-ID: <demo@example.org>",
        "Message-ID: <p1@example.org>\nIn-Reply-To: <c@example.org>",
    )
    found = run(tmp_path, cover + patch, "P001")
    (finding,) = found
    assert finding.message.startswith("util/absent.c: does not exist (")
    assert "prereq-series@example.org" in finding.message
    assert finding.extra["based_on_missing"] == ["prereq-series@example.org"]


def test_later_failure_may_follow_an_earlier_one(tmp_path: Path) -> None:
    """Patch 2 changes a line patch 1 failed to add: its failure says so."""
    base = DirectoryTree(SAMPLE_TREE).overlay({"util/demo.c": b"one\ntwo\nthree\n"})
    p1 = (
        "diff --git a/util/demo.c b/util/demo.c\nindex 1111111111..2222222222 100644\n"
        "--- a/util/demo.c\n+++ b/util/demo.c\n"
        "@@ -1,3 +1,4 @@\n one\n-TWO\n+two-b\n+extra\n three\n"
    )
    p2 = (
        "diff --git a/util/demo.c b/util/demo.c\nindex 2222222222..3333333333 100644\n"
        "--- a/util/demo.c\n+++ b/util/demo.c\n"
        "@@ -1,4 +1,4 @@\n one\n two-b\n-extra\n+more\n three\n"
    )

    def numbered(k: int, diff: str) -> str:
        return mail(diff, subject=f"[PATCH {k}/2] util: demo {k}").replace(
            "<demo@example.org>", f"<p{k}@example.org>"
        )

    found = run(tmp_path, numbered(1, p1) + numbered(2, p2), "P001", base=base)
    assert [f.patch for f in found] == [1, 2]
    assert "may follow from the failure at patch 1" in found[1].message
    assert isinstance(found[1].extra["may_follow"], DiffLocation)
