"""The applier against ``git apply`` on a real QEMU 10.2.2 tree, for every
corpus series, patch by patch (cumulatively).

git runs in a temporary directory holding copies of the files the series
touches (``git apply -v --reject``, so that every hunk gets a verdict and
the hunks that apply are kept, as our best-effort run does); the real tree is
only read, and is checked to be unchanged afterwards. Needs REVIEW_QEMU_TREE
(skipped when unset) and ../shared (skipped when absent).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SEED_SAMPLE, corpus_files, git_env

from reviewtool.apply import AppliedSeries, HunkStatus, apply_series
from reviewtool.errors import InputError
from reviewtool.mail.mbox import read_messages
from reviewtool.series import Series, build_series
from reviewtool.tree import DirectoryTree, GitTree

pytestmark = [
    pytest.mark.real_tree,
    pytest.mark.corpus,
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
]

# "Checking patch migration/options.c...", "Checking patch a.txt => a.rst..."
CHECKING_RE = re.compile(r"^Checking patch (.*)\.\.\.$")
SUCCEEDED_RE = re.compile(r"^Hunk #(\d+) succeeded at (\d+) \(offset (-?\d+) lines?\)\.$")
APPLYING_RE = re.compile(r"^Applying patch (.*) with \d+ rejects?\.\.\.$")
CLEAN_RE = re.compile(r"^Applied patch (.*) cleanly\.$")
HUNK_RE = re.compile(r"^(?:Hunk #(\d+) applied cleanly|Rejected hunk #(\d+))\.$")


def _name(shown: str) -> str:
    """git shows renames as "old => new"; results are keyed by the new path."""
    return shown.split(" => ")[-1]


@dataclass
class GitFile:
    offsets: dict[int, int]
    rejected: set[int]
    written: bool  # git wrote a result for the file (clean or with rejects)


def git_apply_patch(diff: str, work: Path, tmp: Path) -> dict[str, GitFile]:
    """``git apply -v --reject`` of one patch in ``work``; results per file."""
    patch_file = tmp / "patch.diff"
    patch_file.write_text(diff)
    env = git_env(GIT_CEILING_DIRECTORIES=str(work.parent))
    done = subprocess.run(
        ["git", "apply", "-v", "--reject", str(patch_file)],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    files: dict[str, GitFile] = {}
    current: GitFile | None = None
    for line in done.stderr.splitlines():
        if m := CHECKING_RE.match(line):
            current = files.setdefault(_name(m.group(1)), GitFile({}, set(), False))
        elif (m := SUCCEEDED_RE.match(line)) and current is not None:
            current.offsets[int(m.group(1))] = int(m.group(3))
        elif m := APPLYING_RE.match(line):
            current = files.setdefault(_name(m.group(1)), GitFile({}, set(), False))
            current.written = True
        elif m := CLEAN_RE.match(line):
            files.setdefault(_name(m.group(1)), GitFile({}, set(), False)).written = True
        elif (m := HUNK_RE.match(line)) and current is not None and m.group(2):
            current.rejected.add(int(m.group(2)))
    for path in list(work.rglob("*.rej")):
        path.unlink()
    return files


def _touched(applied: AppliedSeries) -> set[str]:
    return {
        p
        for k in (pa.index for pa in applied.patches)
        for fd in applied.diffs(k)
        for p in (fd.old_path, fd.new_path)
        if p is not None
    }


def _digest(root: Path, paths: set[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for p in sorted(paths):
        full = root / p
        out[p] = hashlib.sha256(full.read_bytes()).hexdigest() if full.is_file() else None
    return out


def _series(path: Path) -> Series | None:
    try:
        return build_series(read_messages([str(path)]))
    except InputError:
        return None  # no patch in this thread (a discussion)


def compare_with_git(series: Series, qemu: Path, tmp: Path) -> list[str]:
    """Apply ``series`` with us and with git; the disagreements, as text."""
    applied = apply_series(DirectoryTree(qemu), series)
    touched = _touched(applied)
    work = tmp / "work"
    work.mkdir()
    for p in touched:
        if (qemu / p).is_file():
            (work / p).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(qemu / p, work / p)
    problems: list[str] = []
    for pa in applied.patches:
        if pa.error is not None:
            continue
        git = git_apply_patch(series_patch_diff(series, pa.index), work, tmp)
        for f in pa.files:
            if f.status.value == "binary":
                continue
            g = git.get(f.path)
            for h in f.hunks:
                where = f"patch {pa.index} {f.path} hunk {h.index}"
                git_failed = g is None or not g.written or h.index in g.rejected
                if h.ok == git_failed:
                    problems.append(
                        f"{where}: ours {h.status.value} ({h.reason}), git failed={git_failed}"
                    )
                elif h.ok and g is not None and g.offsets.get(h.index, 0) != h.offset:
                    problems.append(
                        f"{where}: offset ours {h.offset}, git {g.offsets.get(h.index, 0)}"
                    )
        # the tree after this patch must be byte-identical to git's
        after = applied.tree_after(pa.index)
        for p in sorted(touched):
            ours = after.read_bytes(p)
            theirs = (work / p).read_bytes() if (work / p).is_file() else None
            if ours != theirs:
                problems.append(f"after patch {pa.index}: {p} differs from git's result")
    return problems


def series_patch_diff(series: Series, k: int) -> str:
    patch = series.patch(k)
    assert patch is not None
    return patch.body.diff


CORPUS = [p for p in corpus_files() if _series(p) is not None]


@pytest.mark.parametrize("mbox", CORPUS, ids=[p.stem for p in CORPUS])
def test_corpus_series_agrees_with_git(mbox: Path, qemu_tree: Path, tmp_path: Path) -> None:
    series = _series(mbox)
    assert series is not None
    applied = apply_series(DirectoryTree(qemu_tree), series)
    touched = _touched(applied)
    touched_before = _digest(qemu_tree, touched)
    assert compare_with_git(series, qemu_tree, tmp_path) == []
    # the real tree is byte-identical afterwards (and no file was created)
    assert _digest(qemu_tree, touched) == touched_before


def test_seed_on_10_2_2_reports_has_fields_hunk(qemu_tree: Path, tmp_path: Path) -> None:
    series = build_series(read_messages([str(SEED_SAMPLE)]))
    tree = GitTree(qemu_tree, "HEAD")
    try:
        applied = apply_series(tree, series)
    finally:
        tree.close()
    (patch,) = applied.patches
    options = next(f for f in patch.files if f.path == "migration/options.c")
    diff = next(fd for fd in applied.diffs(3) if fd.path == "migration/options.c")
    has_fields = next(
        i
        for i, h in enumerate(diff.hunks, 1)
        if any("has_" in ln.text and "&p->" in ln.text for ln in h.lines)
    )
    result = options.hunks[has_fields - 1]
    assert result.status is HunkStatus.FAILED
    assert result.reason is not None
    assert result.reason.startswith("context mismatch: the hunk's lines are not in the file")
    assert "'        &p->has_announce_step, &p->has_block_bitmap_mapping,' is nowhere" in (
        result.reason
    )
    assert any(f.hunk == has_fields and f.path == "migration/options.c" for f in applied.failures)
    assert compare_with_git(series, qemu_tree, tmp_path) == []


def test_synthetic_many_file_diff_agrees_with_git(qemu_tree: Path, tmp_path: Path) -> None:
    """Edits to 40 real C files, diffed by git from a shifted old side, so
    that most hunks apply at an offset: same verdicts, same bytes as git."""
    import random

    rng = random.Random(11)
    sources = sorted((qemu_tree / "migration").glob("*.c"))[:40]
    old_root, new_root, work = tmp_path / "a", tmp_path / "b", tmp_path / "work"
    for src in sources:
        rel = src.relative_to(qemu_tree)
        lines = src.read_bytes().splitlines(keepends=True)
        cut = rng.randint(0, 4)
        old = lines[:3] + lines[3 + cut :]
        new = []
        for line in old:
            r = rng.random()
            if r < 0.02:
                new.append(b"/* changed */ " + line)
            elif r < 0.03:
                continue
            else:
                new.append(line)
                if r > 0.985:
                    new.append(b"\n")
        for root, content in ((old_root, old), (new_root, new)):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(b"".join(content))
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, work / rel)
    done = subprocess.run(
        ["git", "diff", "--no-index", "--no-prefix", "a", "b"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    # "a/migration/x.c" with -p1 is "migration/x.c"
    diff = done.stdout
    applied = apply_series_text(qemu_tree, diff)
    git = git_apply_patch(diff, work, tmp_path)
    hunks = 0
    for f in applied.patches[0].files:
        g = git[f.path]
        for h in f.hunks:
            hunks += 1
            assert h.ok == (h.index not in g.rejected), (f.path, h)
            if h.ok:
                assert h.offset == g.offsets.get(h.index, 0), (f.path, h)
        assert applied.final.read_bytes(f.path) == (work / f.path).read_bytes(), f.path
    assert hunks > 100
    statuses = {h.status for f in applied.patches[0].files for h in f.hunks}
    assert HunkStatus.OFFSET in statuses


def apply_series_text(qemu: Path, diff: str) -> AppliedSeries:
    from reviewtool.apply import apply_patches

    return apply_patches(DirectoryTree(qemu), [(1, diff)])
