"""Property test: our applier agrees with ``git apply``, hunk by hunk and byte
for byte.

Random edits of real-looking C source are diffed with ``git diff --no-index``;
the base is then shifted (unrelated lines inserted, lines deleted, blanks
changed) and the diff applied both by us (in memory) and by ``git apply -v
--reject`` in a temporary directory. Both must give the same verdict per hunk
(applied, offset by the same delta, context reduced, or rejected) and
byte-identical files afterwards.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import DictTree, git_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewtool.apply import ApplyOptions, HunkStatus, apply_patches

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

# Enough to explore offsets, ambiguity and end-of-file cases while keeping the
# normal suite quick; raise it by hand with REVIEW_HYPOTHESIS_EXAMPLES=1000.
EXAMPLES = int(os.environ.get("REVIEW_HYPOTHESIS_EXAMPLES", "60"))

# Lines that repeat in real C files (they make matches ambiguous) ...
COMMON = [
    "}",
    "",
    "{",
    "    return 0;",
    "    }",
    "    if (!s) {",
    "        return;",
    "    int ret;",
    "    g_free(p);",
    " * Copyright (c) 2026",
    '#include "qemu/osdep.h"',
]
# ... and lines that do not.
UNIQUE = st.builds(
    lambda kind, n, m: [
        f"static int migrate_param_{n}(MigrationState *s)",
        f"    s->parameters.field_{n} = {m};",
        f'    {{ "name-{n}", {m} }},',
        f"/* {n}: a comment about {m} */",
        f"\tcase MIGRATION_PARAMETER_{n}:",
    ][kind],
    st.integers(0, 4),
    st.integers(0, 300),
    st.integers(0, 99),
)
LINE = st.one_of(st.sampled_from(COMMON), UNIQUE)


@dataclass
class Case:
    old: bytes
    new: bytes
    base: bytes


def _join(lines: list[str], newline_at_end: bool) -> bytes:
    text = "\n".join(lines)
    if lines and newline_at_end:
        text += "\n"
    return text.encode()


@st.composite
def cases(draw: st.DrawFn) -> Case:
    old_lines = draw(st.lists(LINE, min_size=1, max_size=60))
    new_lines = list(old_lines)
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(["replace", "insert", "delete"]))
        i = draw(st.integers(0, max(len(new_lines) - 1, 0)))
        if op == "replace" and new_lines:
            new_lines[i] = draw(LINE)
        elif op == "insert":
            new_lines[i:i] = draw(st.lists(LINE, min_size=1, max_size=4))
        elif new_lines:
            del new_lines[i : i + draw(st.integers(1, 3))]
    old_nl = draw(st.booleans()) or draw(st.booleans())
    new_nl = old_nl if draw(st.integers(0, 4)) else not old_nl
    old = _join(old_lines, old_nl)
    new = _join(new_lines, new_nl)

    # shift the base: unrelated lines in, some lines out, a blank changed
    base_lines = list(old_lines)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["insert", "insert", "delete", "blank"]))
        i = draw(st.integers(0, len(base_lines)))
        if op == "insert":
            base_lines[i:i] = draw(st.lists(LINE, min_size=1, max_size=6))
        elif op == "delete" and i < len(base_lines) and len(base_lines) > 1:
            del base_lines[i]
        elif op == "blank" and i < len(base_lines):
            base_lines[i] = base_lines[i] + " "
    base = _join(base_lines, old_nl if draw(st.integers(0, 5)) else not old_nl)
    return Case(old, new, base)


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = git_env(GIT_CEILING_DIRECTORIES=str(cwd.parent))
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, check=False)


def make_diff(old: bytes, new: bytes, unified: int, work: Path) -> str:
    (work / "a").mkdir()
    (work / "b").mkdir()
    (work / "a" / "x.c").write_bytes(old)
    (work / "b" / "x.c").write_bytes(new)
    done = _git(
        ["git", "diff", "--no-index", "--no-prefix", f"-U{unified}", "a/x.c", "b/x.c"], work
    )
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


# "Hunk #2 succeeded at 14 (offset 3 lines)."
SUCCEEDED_RE = re.compile(r"^Hunk #(\d+) succeeded at (\d+) \(offset (-?\d+) lines?\)\.$")
# "Context reduced to (1/2) to apply fragment at 7"
REDUCED_RE = re.compile(r"^Context reduced to \((\d+)/(\d+)\) to apply fragment at (\d+)$")
REJECTED_RE = re.compile(r"^Rejected hunk #(\d+)\.$")


@dataclass(frozen=True)
class GitVerdict:
    failed: bool
    offset: int


def git_apply(
    base: bytes, diff: str, hunks: int, work: Path, context: int | None, ws: bool
) -> tuple[list[GitVerdict], list[tuple[int, int, int]], bytes | None]:
    """Apply with ``git apply -v --reject``: per-hunk verdicts, the context
    reductions in order, and the file after."""
    tree = work / "g"
    tree.mkdir()
    (tree / "x.c").write_bytes(base)
    (work / "p.diff").write_text(diff)
    args = ["git", "apply", "-v", "--reject"]
    if context is not None:
        args.append(f"-C{context}")
    if ws:
        args.append("--ignore-whitespace")
    done = _git([*args, str(work / "p.diff")], tree)
    offsets: dict[int, int] = {}
    rejected: set[int] = set()
    # "Context reduced" carries no hunk number, only where it applied: kept
    # in order, as (leading, trailing, position).
    reduced: list[tuple[int, int, int]] = []
    for line in done.stderr.splitlines():
        if m := REDUCED_RE.match(line):
            reduced.append((int(m.group(1)), int(m.group(2)), int(m.group(3))))
        elif m := SUCCEEDED_RE.match(line):
            offsets[int(m.group(1))] = int(m.group(3))
        elif m := REJECTED_RE.match(line):
            rejected.add(int(m.group(1)))
    verdicts = [GitVerdict(i in rejected, offsets.get(i, 0)) for i in range(1, hunks + 1)]
    after = (tree / "x.c").read_bytes() if (tree / "x.c").exists() else None
    return verdicts, reduced, after


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    case=cases(),
    unified=st.sampled_from([3, 3, 1, 2, 5]),
    context=st.sampled_from([None, None, None, 1, 2]),
    ws=st.sampled_from([False, False, False, True]),
)
def test_applier_agrees_with_git_apply(
    case: Case, unified: int, context: int | None, ws: bool
) -> None:
    with tempfile.TemporaryDirectory(prefix="review-apply-git-") as tmp:
        work = Path(tmp)
        diff = make_diff(case.old, case.new, unified, work)
        if not diff:
            return  # no change: nothing to compare
        ours = apply_patches(
            DictTree({"x.c": case.base}),
            [(1, diff)],
            ApplyOptions(context_reduce=context, ignore_whitespace=ws),
        )
        (file_result,) = ours.patches[0].files
        ours_hunks = file_result.hunks
        verdicts, git_reduced, git_after = git_apply(
            case.base, diff, len(ours_hunks), work, context, ws
        )
        for ours_hunk, git in zip(ours_hunks, verdicts, strict=True):
            assert (not ours_hunk.ok) == git.failed, (ours_hunk, git, diff)
            if ours_hunk.ok:
                assert ours_hunk.offset == git.offset, (ours_hunk, git, diff)
        ours_reduced = [
            (*(h.context or (0, 0)), h.position or 0)
            for h in ours_hunks
            if h.status is HunkStatus.REDUCED
        ]
        assert ours_reduced == git_reduced, diff
        assert ours.final.read_bytes("x.c") == git_after, diff


def test_new_deleted_renamed_copied_and_mode_agree_with_git(tmp_path: Path) -> None:
    """A git-made diff with every kind of file change, applied to a shifted
    base by us and by git: the same files with the same bytes afterwards."""
    env = git_env()
    repo = tmp_path / "repo"
    repo.mkdir()
    body = "".join(f"int v{i} = {i};\n" for i in range(40))
    files = {
        "keep.c": body,
        "gone.c": "bye\n",
        "old/name.c": body.replace("v1 ", "w1 "),
        "src.c": body.replace("v2 ", "w2 "),
        "run.sh": "echo hi\n",
        "eol.txt": "no newline",
    }
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
        )
        return done.stdout

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    (repo / "keep.c").write_text(body.replace("v20 = 20", "v20 = 2000"))
    (repo / "gone.c").unlink()
    (repo / "new").mkdir()
    (repo / "new" / "file.c").write_text("fresh\nlines\n")
    (repo / "new" / "name.c").write_text(body.replace("v1 ", "w1 ").replace("v30 ", "x30 "))
    (repo / "old" / "name.c").unlink()
    (repo / "copy.c").write_text(body.replace("v2 ", "w2 ").replace("v39 ", "y39 "))
    (repo / "run.sh").chmod(0o755)
    (repo / "eol.txt").write_text("no newline\n")
    git("add", "-A")
    diff = git("diff", "--cached", "-M", "-C", "--find-copies-harder", "HEAD")
    assert "rename from old/name.c" in diff and "copy from src.c" in diff
    assert "new mode 100755" in diff and "deleted file mode" in diff

    # the base: the committed files, keep.c shifted by two lines
    base = {name: text.encode() for name, text in files.items()}
    base["keep.c"] = b"/* one */\n/* two */\n" + base["keep.c"]
    work = tmp_path / "work"
    for name, data in base.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(data)
    (tmp_path / "p.diff").write_text(diff)
    done = _git(["git", "apply", "-v", "--reject", str(tmp_path / "p.diff")], work)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^Hunk #1 succeeded at \d+ \(offset 2 lines\)\.$", done.stderr, re.M)

    ours = apply_patches(DictTree(base), [(1, diff)])
    assert ours.ok
    theirs = {
        p.relative_to(work).as_posix(): p.read_bytes() for p in work.rglob("*") if p.is_file()
    }
    final = ours.final
    assert {p: final.read_bytes(p) for p in final.iter_files()} == theirs
    keep = next(f for f in ours.patches[0].files if f.path == "keep.c")
    assert keep.hunks[0].offset == 2
    modes = {f.path: (f.old_mode, f.new_mode) for f in ours.patches[0].files}
    assert modes["run.sh"] == ("100644", "100755")
