"""Side-by-side benchmarks of review against the tools people use today.

Run by hand through ``bench/run`` (never from the tests: speed is not
asserted anywhere). Every section prints what it compares, on the same
inputs, in one run:

  a. ``review check`` vs the pre-check (``b4 am -m``, ``git am`` onto a
     temporary clone, QEMU's ``scripts/checkpatch.pl`` on each patch)
  b. our applier vs ``git apply --check`` on a 1 MB+ diff
  c. mail ingest MB/s: our mail stage vs plain stdlib ``mailbox`` parsing
  d. ``review check`` of the bundled sample: whole-process wall time, and
     the slowest imports (``python -X importtime``)
  e. (only when asked: ``bench/run e``, about 15 minutes) ``review scan``
     max RSS on 50 MB and 500 MB archives built by bench/make_archive.py
     (BENCH_SCAN_SIZES, default "50,500")

Environment: REVIEW_QEMU_TREE (default /tmp/qemu-10.2.2), B4 (default
/tmp/b4venv/bin/b4), BENCH_TMP (default /tmp/review-bench), BENCH_REPEAT
(default 3). Nothing is written outside BENCH_TMP; the QEMU tree is only read
(``git am`` runs on a clone in BENCH_TMP).
"""

from __future__ import annotations

import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("REVIEW_SHARED_DIR", ROOT.parent / "shared"))
TREE = Path(os.environ.get("REVIEW_QEMU_TREE", "/tmp/qemu-10.2.2"))
B4 = os.environ.get("B4", "/tmp/b4venv/bin/b4")
TMP = Path(os.environ.get("BENCH_TMP", "/tmp/review-bench"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
PY = sys.executable
SAMPLE = ROOT / "samples" / "backend-transfer-v10-3-8.mbox"
MSGID_RE = re.compile(rb"^message-id:\s*<([^>]+)>", re.IGNORECASE | re.MULTILINE)
BASE_REV = "origin/HEAD"  # the clone's starting point; git am results are reset to it
# Every child runs with bytecode caching on, as an installed tool does (b4's
# venv has its .pyc files from pip). The cache goes under BENCH_TMP, never
# into the project; PYTHONDONTWRITEBYTECODE (set in some sandboxes) would
# make every run recompile all of reviewtool (about 0.15 s).
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPYCACHEPREFIX": str(TMP / "pycache"),
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
}


@dataclass
class Row:
    what: str
    ours: str
    theirs: str
    ratio: str
    target: str
    met: str


def timed(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    """Median wall time of ``fn`` over ``repeat`` runs, in seconds."""
    return timed_both(fn, repeat)[0]


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def timed_both(fn: Callable[[], object], repeat: int = REPEAT) -> tuple[float, float]:
    """Median (wall, CPU) seconds of ``fn`` over ``repeat`` runs.

    CPU time counts this process and the children it waited for (review,
    b4, git, perl), so other load on a shared machine does not inflate it;
    the comparisons use it, the wall time is shown beside it.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        c0, t0 = _cpu(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
    return statistics.median(walls), statistics.median(cpus)


def run(cmd: Sequence[str | Path], cwd: Path | None = None, check: bool = False) -> int:
    done = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
        check=check,
    )
    return done.returncode


def review_cmd() -> list[str]:
    return [PY, "-m", "reviewtool"]


def load() -> str:
    """The load average (1, 5, 15 min): other work on a shared machine."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def review_exit(cmd: Sequence[str | Path], cwd: Path) -> int:
    """Run ``cmd`` (a review command) once and return its exit status.

    0 and 1 are the normal outcomes (no finding / findings); 2 and 3 mean the
    run stopped early (input or internal error), and then its time measures
    nothing: the caller marks the row so a broken run is not taken for a fast one.
    """
    return run(cmd, cwd=cwd)


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"nproc {os.cpu_count()}, CPU {cpu}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


# --- a. review check vs the pre-check --------------------------------------


def precheck_inputs() -> list[Path]:
    corpus = sorted((SHARED / "corpus").glob("*.mbox")) if (SHARED / "corpus").is_dir() else []
    # threads with patches only: b4 has nothing to do on a discussion
    return [
        SAMPLE,
        *(p for p in corpus if b"\ndiff --git " in p.read_bytes() or b"base64" in p.read_bytes()),
    ]


def prepare_clone() -> Path:
    clone = TMP / "qemu-clone"
    if not (clone / ".git").is_dir():
        run(["git", "clone", "-q", "--shared", TREE, clone], check=True)
    return clone


Timing = tuple[float, float]  # (wall, CPU) seconds


def precheck(mbox: Path, clone: Path) -> tuple[Timing, Timing, Timing, str]:
    """(b4 am, git am, checkpatch) timings for one mbox, and what git am did."""
    ids = MSGID_RE.findall(mbox.read_bytes())
    msgid = ids[0].decode() if ids else ""
    out = TMP / "b4" / mbox.stem
    split = TMP / "split" / mbox.stem

    def b4() -> None:
        shutil.rmtree(out, ignore_errors=True)
        run([B4, "--offline-mode", "-q", "am", "-m", mbox, "-o", out, msgid])

    t_b4 = timed_both(b4)
    mbx = sorted(out.glob("*.mbx"))
    status = ["no patches" if not mbx else "applied"]

    def git_am() -> None:
        if run(["git", "am", "-q", *mbx], cwd=clone) != 0:
            status[0] = "git am failed"
            run(["git", "am", "--abort"], cwd=clone)

    def reset() -> None:
        run(["git", "reset", "-q", "--hard", BASE_REV], cwd=clone)

    walls, cpus = [], []
    for _ in range(REPEAT if mbx else 0):
        wall, cpu = timed_both(git_am, 1)  # the abort of a failed am is part of it
        walls.append(wall)
        cpus.append(cpu)
        reset()
    t_am = (statistics.median(walls), statistics.median(cpus)) if walls else (0.0, 0.0)

    def checkpatch() -> None:
        shutil.rmtree(split, ignore_errors=True)
        split.mkdir(parents=True)
        for m in mbx:
            run(["git", "mailsplit", f"-o{split}", m])
        for patch in sorted(split.iterdir()):
            run(["perl", "scripts/checkpatch.pl", "-q", patch], cwd=clone)

    t_cp = timed_both(checkpatch) if mbx else (0.0, 0.0)
    return t_b4, t_am, t_cp, status[0]


def section_precheck(rows: list[Row]) -> None:
    print("\n== a. review check vs pre-check (b4 am -m + git am + checkpatch.pl) ==")
    if not (TREE / "VERSION").is_file():
        print(f"  skipped: no QEMU tree at {TREE} (set REVIEW_QEMU_TREE)")
        return
    if not Path(B4).exists():
        print(
            f"  skipped: no b4 at {B4} "
            "(python3 -m venv /tmp/b4venv && /tmp/b4venv/bin/pip install b4)"
        )
        return
    clone = prepare_clone()
    print(f"  tree {TREE} (git am on a clone: {clone}); median of {REPEAT} runs each")
    print("  CPU seconds (process and children; wall in brackets for the totals)")
    print(
        f"  {'input':46} {'b4 am':>6} {'git am':>6} {'chkpat':>6} {'pre':>6} "
        f"{'review':>6}  ratio  git am"
    )
    pre_wall = pre_cpu = rev_wall = rev_cpu = 0.0
    broken: list[str] = []
    for mbox in precheck_inputs():
        t_b4, t_am, t_cp, status = precheck(mbox, clone)
        cmd = [*review_cmd(), "check", mbox, "--tree", TREE, "--format", "json"]
        code = review_exit(cmd, TMP)
        if code not in (0, 1):
            broken.append(f"{mbox.stem} (exit {code})")
        t_review = timed_both(lambda c=cmd: run(c, cwd=TMP))
        pre = t_b4[1] + t_am[1] + t_cp[1]
        pre_cpu += pre
        pre_wall += t_b4[0] + t_am[0] + t_cp[0]
        rev_cpu += t_review[1]
        rev_wall += t_review[0]
        print(
            f"  {mbox.stem[:46]:46} {t_b4[1]:6.3f} {t_am[1]:6.3f} {t_cp[1]:6.3f} {pre:6.3f} "
            f"{t_review[1]:6.3f}  {t_review[1] / pre:5.2f}  {status}"
        )
    ratio = rev_cpu / pre_cpu
    if broken:
        print(f"  REVIEW FAILED (exit 2 or 3), its times mean nothing: {', '.join(broken)}")
    print(
        f"  {'total':46} {'':6} {'':6} {'':6} {pre_cpu:6.2f} {rev_cpu:6.2f}  {ratio:5.2f}"
        f"  (wall: pre-check {pre_wall:.2f} s, review {rev_wall:.2f} s)"
    )
    rows.append(
        Row(
            "a. review check vs pre-check (CPU)",
            f"{rev_cpu:.2f} s",
            f"{pre_cpu:.2f} s",
            f"{ratio:.2f}x",
            "<= 0.5x",
            "BROKEN" if broken else "yes" if ratio <= 0.5 else "NO",
        )
    )


# --- b. applier vs git apply --check -----------------------------------------


def make_big_diff(target_bytes: int = 1_100_000) -> tuple[Path, int, int]:
    """A diff against TREE touching many C files (a comment every 40 lines)."""
    import difflib

    path = TMP / "big.diff"
    files = sorted((TREE / "hw").rglob("*.c"))
    chunks: list[str] = []
    size = nfiles = 0
    for f in files:
        rel = f.relative_to(TREE).as_posix()
        try:
            old = f.read_text()
        except UnicodeDecodeError:
            continue
        lines = old.splitlines(keepends=True)
        if not old.endswith("\n") or len(lines) < 40:
            continue
        new = []
        for i, line in enumerate(lines, start=1):
            new.append(line)
            if i % 40 == 0:
                new.append(f"/* bench: line {i} */\n")
        body = "".join(difflib.unified_diff(lines, new, f"a/{rel}", f"b/{rel}", n=3))
        chunk = f"diff --git a/{rel} b/{rel}\n{body}"
        chunks.append(chunk)
        size += len(chunk)
        nfiles += 1
        if size >= target_bytes:
            break
    path.write_text("".join(chunks))
    hunks = sum(c.count("\n@@ ") for c in chunks)
    return path, nfiles, hunks


def section_apply(rows: list[Row]) -> None:
    print("\n== b. our applier vs git apply --check (1 MB+ diff) ==")
    if not (TREE / "VERSION").is_file():
        print(f"  skipped: no QEMU tree at {TREE}")
        return
    owned = ROOT / "bench" / "apply.py"
    if owned.is_file():
        # the apply stage's own benchmark: builds the diff, times both (CPU)
        done = subprocess.run(
            [PY, owned, "--tree", str(TREE), "--runs", str(max(REPEAT, 3))],
            capture_output=True,
            text=True,
            env=ENV,
        )
        print("  bench/apply.py:")
        print("\n".join("    " + line for line in done.stdout.splitlines()))
        # its lines end with the median: "...: min 203.4 ms, median 204.7 ms"
        found = _last_number(done.stdout, "ratio ours/git:", "x")
        ours = _last_number(done.stdout, "ours (parse + apply, in process):", " ms")
        git = _last_number(done.stdout, "git apply --check (process):", " ms")
        if found is not None and ours is not None and git is not None:
            ratio = found
            rows.append(
                Row(
                    "b. applier vs git apply --check (CPU)",
                    f"{ours:.0f} ms",
                    f"{git:.0f} ms",
                    f"{ratio:.2f}x",
                    "<= 3x",
                    "yes" if ratio <= 3 else "NO",
                )
            )
            return
        print(f"  (could not read its figures; exit {done.returncode}) {done.stderr[-500:]}")
    path, nfiles, hunks = make_big_diff()
    size = path.stat().st_size
    print(f"  diff: {path} ({size / 1e6:.2f} MB, {nfiles} files, {hunks} hunks) against {TREE}")
    t_git = timed_both(lambda: run(["git", "apply", "--check", path], cwd=TREE, check=True))[1]
    t_ours, t_parse = applier_inprocess(path.read_text())
    print(f"  git apply --check (process, CPU)          {t_git:7.3f} s")
    print(f"  ours: parse_diff + apply (in-process, CPU) {t_ours:7.3f} s (parse {t_parse:.3f} s)")
    ratio = t_ours / t_git
    rows.append(
        Row(
            "b. applier vs git apply --check (CPU)",
            f"{t_ours:.3f} s",
            f"{t_git:.3f} s",
            f"{ratio:.2f}x",
            "<= 3x",
            "yes" if ratio <= 3 else "NO",
        )
    )


def _last_number(text: str, label: str, unit: str) -> float | None:
    """The last number followed by ``unit`` on the first line containing ``label``."""
    for line in text.splitlines():
        if label in line:
            figures = line.split(label, 1)[1].split("(target", 1)[0]
            found = re.findall(r"([\d.]+)" + re.escape(unit), figures)
            return float(found[-1]) if found else None
    return None


def applier_inprocess(diff_text: str) -> tuple[float, float]:
    """Median seconds to parse and apply ``diff_text`` to TREE in memory."""
    from reviewtool.apply import apply_patches
    from reviewtool.diff import parse_diff
    from reviewtool.tree import DirectoryTree

    def parse() -> object:
        return parse_diff(diff_text, 1)

    def both() -> None:
        base = DirectoryTree(TREE)  # fresh tree: no cached file reads between runs
        applied = apply_patches(base, [(1, diff_text)])
        assert applied.ok, "the benchmark diff must apply cleanly"

    return timed_both(both)[1], timed_both(parse)[1]


# --- c. ingest ----------------------------------------------------------------


def ingest_archive(size_mb: int = 10) -> Path:
    path = TMP / f"ingest-{size_mb}mb.mbox"
    if not path.is_file():
        subprocess.run(
            [PY, ROOT / "bench" / "make_archive.py", str(path), str(size_mb)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return path


def stdlib_ingest(path: Path) -> int:
    import mailbox

    n = 0
    for message in mailbox.mbox(path):
        payload = message.get_payload(decode=True)
        n += 1 if payload is not None or message.is_multipart() else 0
    return n


def stdlib_ingest_modern(path: Path) -> int:
    import email
    import email.policy
    import mailbox

    n = 0
    for message in mailbox.mbox(
        path, factory=lambda f: email.message_from_binary_file(f, policy=email.policy.default)
    ):
        body = message.get_body(("plain",))
        if body is not None:
            body.get_content()
        n += 1
    return n


def section_ingest(rows: list[Row]) -> None:
    print("\n== c. mail ingest: our mail stage vs stdlib mailbox ==")
    if not (SHARED / "corpus").is_dir():
        print("  skipped: ../shared/corpus is absent")
        return
    from reviewtool import scan
    from reviewtool.mail.mbox import iter_messages

    path = ingest_archive()
    mb = path.stat().st_size / 1e6
    print(f"  archive: {path} ({mb:.1f} MB, corpus threads repeated); median of {REPEAT}")

    def ours() -> None:
        for _ in iter_messages([str(path)]):
            pass

    results = [
        ("ours: mail.mbox.iter_messages (decoded Message)", timed_both(ours)),
        ("stdlib: mailbox.mbox + get_payload(decode)", timed_both(lambda: stdlib_ingest(path))),
        (
            "stdlib: mailbox.mbox, policy.default + get_body",
            timed_both(lambda: stdlib_ingest_modern(path)),
        ),
        (
            "ours: scan pre-filter (read_archives, no MIME)",
            timed_both(lambda: scan.read_archives([str(path)])),
        ),
    ]
    print(f"  {'':50} {'wall s':>7} {'CPU s':>7} {'MB/s (CPU)':>10}")
    for name, (wall, cpu) in results:
        print(f"  {name:50} {wall:7.2f} {cpu:7.2f} {mb / cpu:10.1f}")
    ours_rate = mb / results[0][1][1]
    std_rate = mb / results[1][1][1]
    rows.append(
        Row(
            "c. mail ingest (CPU)",
            f"{ours_rate:.1f} MB/s",
            f"{std_rate:.1f} MB/s (stdlib)",
            f"{ours_rate / std_rate:.2f}x",
            ">= 20 MB/s",
            "yes" if ours_rate >= 20 else "NO",
        )
    )


# --- d. whole-process time of review check on the bundled sample ----------------


def section_startup(rows: list[Row]) -> None:
    print("\n== d. review check of the bundled sample: whole process ==")
    cwd = TMP / "empty-cwd"  # not a QEMU tree: the bundled sample tree is used
    cwd.mkdir(parents=True, exist_ok=True)
    cmd = [*review_cmd(), "check", SAMPLE]
    code = review_exit(cmd, cwd)  # also warms the page cache and .pyc files
    if code not in (0, 1):
        print(f"  REVIEW FAILED (exit {code}): the figures below mean nothing")
    n = max(REPEAT, 7)
    figures = [
        ("python -c pass", timed_both(lambda: run([PY, "-c", "pass"]), n)),
        ("python -c 'import typer'", timed_both(lambda: run([PY, "-c", "import typer"]), n)),
        (
            "python -c 'import reviewtool.cli'",
            timed_both(lambda: run([PY, "-c", "import reviewtool.cli"]), n),
        ),
        (
            "... + reviewtool.pipeline (all stages)",
            timed_both(lambda: run([PY, "-c", "import reviewtool.cli, reviewtool.pipeline"]), n),
        ),
        (f"review check {SAMPLE.name}", timed_both(lambda: run(cmd, cwd=cwd), n)),
    ]
    print(f"  median of {n}: {'wall':>7} {'CPU':>7}")
    for name, (wall, cpu) in figures:
        print(f"  {name:44} {wall:7.3f} {cpu:7.3f}")
    done = subprocess.run(
        [PY, "-X", "importtime", "-c", "import reviewtool.cli, reviewtool.pipeline"],
        capture_output=True,
        text=True,
        env=ENV,
    )
    imports = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            imports.append((int(parts[1]), int(parts[0].split(":")[1]), parts[2].rstrip()))
    print("  slowest imports of reviewtool.cli + pipeline (cumulative / self, ms):")
    for cumulative, own, name in sorted(imports, reverse=True)[:12]:
        print(f"    {cumulative / 1000:7.1f} {own / 1000:7.1f}  {name}")
    wall, cpu = figures[-1][1]
    # judged on CPU like the other sections: on a quiet machine a
    # single-threaded run's wall time is its CPU time (both are printed)
    rows.append(
        Row(
            "d. review check sample (process)",
            f"{cpu:.3f} s CPU",
            f"{wall:.3f} s wall",
            "",
            "<= 0.25 s",
            "BROKEN" if code not in (0, 1) else "yes" if cpu <= 0.25 else "NO",
        )
    )


# --- e. review scan memory on large archives (long: run with `bench/run e`) ---------


def max_rss(cmd: Sequence[str | Path], cwd: Path) -> tuple[float, float]:
    """(max RSS in MB, wall seconds) of ``cmd`` measured by /usr/bin/time -v.

    GNU time reports the largest single process of the run (the scan's
    parent or one of its workers), not their sum.
    """
    done = subprocess.run(
        ["/usr/bin/time", "-v", *map(str, cmd)], cwd=cwd, capture_output=True, text=True, env=ENV
    )
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", done.stderr)
    seconds = 0.0
    for part in (wall.group(1) if wall else "0").split(":"):
        seconds = seconds * 60 + float(part)
    return (int(rss.group(1)) / 1024 if rss else float("nan")), seconds


def section_scan_memory(rows: list[Row]) -> None:
    print("\n== e. review scan: max RSS as the archive grows ==")
    if not Path("/usr/bin/time").exists():
        print("  skipped: /usr/bin/time is missing (apt-get install time)")
        return
    cwd = TMP / "empty-cwd"
    cwd.mkdir(parents=True, exist_ok=True)
    read_only = (
        "import sys; from reviewtool import scan; "
        "s, j = scan.start_scan(sys.argv[1:], scan.ScanOptions()); print(s.messages, len(j))"
    )
    figures = {}
    sizes = [int(x) for x in os.environ.get("BENCH_SCAN_SIZES", "50,500").split(",")]
    for size in sizes:
        archive = TMP / f"scan-{size}mb.mbox"
        if not archive.is_file():
            subprocess.run(
                [PY, ROOT / "bench" / "make_archive.py", archive, str(size)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        rss_read, t_read = max_rss([PY, "-c", read_only, archive], cwd)
        rss_scan, t_scan = max_rss(
            [
                *review_cmd(),
                "scan",
                archive,
                "--jobs",
                "2",
                "--format",
                "json",
                "-o",
                TMP / f"scan-{size}.json",
            ],
            cwd,
        )
        figures[size] = rss_scan
        print(
            f"  {size:4d} MB: read+thread {rss_read:6.1f} MB RSS {t_read:6.1f} s | "
            f"full scan -j2 {rss_scan:6.1f} MB RSS {t_scan:7.1f} s"
        )
    small, large = sizes[0], sizes[-1]
    growth = figures[large] / figures[small]
    rows.append(
        Row(
            f"e. scan max RSS {large} MB / {small} MB",
            f"{figures[large]:.0f} MB",
            f"{figures[small]:.0f} MB at {small} MB",
            f"{growth:.2f}x",
            "flat",
            "yes" if growth < 1.5 else "NO",
        )
    )


def main() -> int:
    TMP.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    print(f"load average at start: {load()}")
    rows: list[Row] = []
    wanted = set(sys.argv[1:]) or {"a", "b", "c", "d"}
    for key, section in (
        ("a", section_precheck),
        ("b", section_apply),
        ("c", section_ingest),
        ("d", section_startup),
        ("e", section_scan_memory),
    ):
        if key in wanted:
            try:
                section(rows)
            except Exception as e:  # a missing tool must not hide the other figures
                print(f"  section {key} failed: {type(e).__name__}: {e}")
    print(f"\nload average at end: {load()}")
    print("\n== summary ==")
    print(f"  {'what':40} {'ours':>13} {'theirs':>26} {'ratio':>7} {'target':>11}  met")
    for r in rows:
        print(f"  {r.what:40} {r.ours:>13} {r.theirs:>26} {r.ratio:>7} {r.target:>11}  {r.met}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
