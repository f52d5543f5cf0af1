"""Benchmark: our in-memory applier against ``git apply --check``.

Usage (by hand; never run by the tests):

    python bench/apply.py [DIFF] [--tree DIR] [--runs N] [--no-corpus]

Without DIFF it builds a 1 MB+ multi-file diff from the real tree: many C
files get synthetic edits (a changed line, an inserted line, a deleted line
every so often), the "old" side is shifted by a few lines so that hunks apply
at an offset, and ``git diff --no-index`` writes the diff. Then it times, on
the same input:

- ours: ``parse_diff`` + ``apply_patches`` in process, on a fresh
  DirectoryTree each run (so file reads are counted);
- git: ``git apply --check`` as a process, in the tree (read-only).

and prints both times and the ratio (target: at most 3x git's time), then
does the same for each corpus series (``../shared/corpus``), patch by patch.
The tree (REVIEW_QEMU_TREE, default /tmp/qemu-10.2.2) is only read; the
synthetic diff is built in a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reviewtool.apply import apply_patches  # noqa: E402
from reviewtool.diff import parse_diff  # noqa: E402
from reviewtool.tree import DirectoryTree  # noqa: E402

GIT_ENV = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """(min, median) CPU time of ``runs`` calls, in seconds, after one
    warm-up call: this process's plus its children's (git), so that other
    load on the machine counts less (it still slows a shared core)."""
    fn()
    times = []
    for _ in range(runs):
        before = _cpu()
        fn()
        times.append(_cpu() - before)
    return min(times), statistics.median(times)


def timed_wall(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """(min, median) wall time of ``runs`` calls, in seconds, after one warm-up."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def _ms(pair: tuple[float, float]) -> str:
    return f"min {pair[0] * 1000:7.1f} ms, median {pair[1] * 1000:7.1f} ms"


def make_diff(tree: Path, work: Path, target: int = 1_100_000, seed: int = 7) -> Path:
    """A 1 MB+ diff of synthetic edits to C files of ``tree``, made by git."""
    rng = random.Random(seed)
    old_root, new_root = work / "a", work / "b"
    size = 0
    files = sorted(p for p in (tree / "hw").rglob("*.c") if p.is_file() and not p.is_symlink())
    rng.shuffle(files)
    for src in files:
        data = src.read_bytes()
        if not data.endswith(b"\n") or b"\r" in data:
            continue
        lines = data.splitlines(keepends=True)
        if len(lines) < 60:
            continue
        rel = src.relative_to(tree)
        # the old side lacks a few lines near the top: every hunk then
        # applies to the real tree at an offset
        cut = rng.randint(0, 3)
        old = lines[:5] + lines[5 + cut :]
        new: list[bytes] = []
        for i, line in enumerate(old):
            r = rng.random()
            if i % 37 == 20 and r < 0.4:
                new.append(b"/* bench: changed */ " + line)
            elif i % 37 == 20 and r < 0.7:
                new.append(line)
                new.append(b"/* bench: inserted line */\n")
            elif i % 37 == 20:
                continue  # deleted
            else:
                new.append(line)
        for root, content in ((old_root, old), (new_root, new)):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(b"".join(content))
        # rough: an edit every 37 lines makes a hunk of ~330 bytes
        size += len(old) // 37 * 330
        if size >= target:
            break
    done = subprocess.run(
        ["git", "diff", "--no-index", "--no-prefix", "a", "b"],
        cwd=work,
        capture_output=True,
        env=GIT_ENV,
        check=False,
    )
    if done.returncode not in (0, 1):
        sys.exit(f"git diff failed: {done.stderr.decode()}")
    path = work / "big.diff"
    path.write_bytes(done.stdout)
    return path


def git_check(tree: Path, diff: Path) -> int:
    return subprocess.run(
        ["git", "apply", "--check", str(diff)],
        cwd=tree,
        capture_output=True,
        env=GIT_ENV,
        check=False,
    ).returncode


def bench_one(
    tree: Path, diff_path: Path, runs: int
) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    """CPU (min, median) of ours, of parse_diff alone, and of git; the two
    sides alternate run by run so that load changes hit both alike."""
    text = diff_path.read_text(encoding="utf-8", errors="surrogateescape")

    def ours() -> None:
        apply_patches(DirectoryTree(tree), [(1, text)])

    def git() -> None:
        git_check(tree, diff_path)

    t_parse = timed(lambda: parse_diff(text, 1), runs)
    ours_cpu: list[float] = []
    git_cpu: list[float] = []
    ours_wall: list[float] = []
    git_wall: list[float] = []
    ours()  # warm-up: imports, caches, the tree's files in the page cache
    git()
    for _ in range(runs):
        for fn, cpu, wall in ((ours, ours_cpu, ours_wall), (git, git_cpu, git_wall)):
            before, start = _cpu(), time.perf_counter()
            fn()
            wall.append(time.perf_counter() - start)
            cpu.append(_cpu() - before)

    def pair(xs: list[float]) -> tuple[float, float]:
        return min(xs), statistics.median(xs)

    print(f"  wall time: ours {_ms(pair(ours_wall))}; git {_ms(pair(git_wall))}")
    return pair(ours_cpu), t_parse, pair(git_cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("diff", nargs="?", help="a diff to apply (default: build a 1 MB+ one)")
    parser.add_argument("--tree", default=os.environ.get("REVIEW_QEMU_TREE", "/tmp/qemu-10.2.2"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-corpus", action="store_true")
    args = parser.parse_args()
    tree = Path(args.tree)
    if not (tree / "VERSION").is_file():
        sys.exit(f"no QEMU tree at {tree} (set REVIEW_QEMU_TREE or --tree)")

    with tempfile.TemporaryDirectory(prefix="review-bench-apply-") as tmp:
        diff_path = Path(args.diff) if args.diff else make_diff(tree, Path(tmp))
        text = diff_path.read_text(encoding="utf-8", errors="surrogateescape")
        files = parse_diff(text, 1)
        hunks = sum(len(f.hunks) for f in files)
        applied = apply_patches(DirectoryTree(tree), [(1, text)])
        statuses: dict[str, int] = {}
        for f in applied.patches[0].files:
            for h in f.hunks:
                statuses[h.status.value] = statuses.get(h.status.value, 0) + 1
        git_rc = git_check(tree, diff_path)
        print(
            f"diff: {diff_path.name} {len(text) / 1e6:.2f} MB, {len(files)} files, "
            f"{hunks} hunks; ours: {statuses}; git apply --check exit {git_rc}"
        )
        t_ours, t_parse, t_git = bench_one(tree, diff_path, args.runs)
        print(f"  CPU time over {args.runs} runs (git's includes its process start):")
        print(f"  ours (parse + apply, in process): {_ms(t_ours)}")
        print(f"    of which parse_diff:            {_ms(t_parse)}")
        print(f"  git apply --check (process):      {_ms(t_git)}")
        print(
            f"  ratio ours/git: min {t_ours[0] / t_git[0]:.2f}x, "
            f"median {t_ours[1] / t_git[1]:.2f}x (target <= 3x)"
        )
        print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    if args.no_corpus:
        return
    corpus = ROOT.parent / "shared" / "corpus"
    if not corpus.is_dir():
        return
    from reviewtool.errors import InputError
    from reviewtool.mail.mbox import read_messages
    from reviewtool.series import build_series

    print(
        "\ncorpus series, median CPU time (ours: every patch cumulatively; git: --check per patch):"
    )
    total_ours = total_git = 0.0
    with tempfile.TemporaryDirectory(prefix="review-bench-apply-") as tmp:
        for mbox in sorted(corpus.glob("*.mbox")):
            try:
                series = build_series(read_messages([str(mbox)]))
            except InputError:
                continue
            diffs = [(p.index, p.body.diff) for p in series.patches if p.body.diff.strip()]
            if not diffs:
                continue
            paths = []
            for k, d in diffs:
                path = Path(tmp) / f"{mbox.stem}-{k}.diff"
                path.write_text(d, encoding="utf-8", errors="surrogateescape")
                paths.append(path)

            def ours_all(ds: list[tuple[int, str]] = diffs) -> None:
                apply_patches(DirectoryTree(tree), ds)

            def git_all(ps: list[Path] = paths) -> None:
                for p in ps:
                    git_check(tree, p)

            c_ours = timed(ours_all, args.runs)[1]
            c_git = timed(git_all, args.runs)[1]
            total_ours += c_ours
            total_git += c_git
            print(
                f"  {mbox.stem[:50]:50s} ours {c_ours * 1000:7.1f} ms  "
                f"git {c_git * 1000:7.1f} ms  {c_ours / max(c_git, 1e-6):5.2f}x"
            )
    if total_git:
        print(
            f"  total: ours {total_ours * 1000:.1f} ms, git {total_git * 1000:.1f} ms, "
            f"ratio {total_ours / total_git:.2f}x"
        )


if __name__ == "__main__":
    main()
