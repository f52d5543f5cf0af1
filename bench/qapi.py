"""Benchmark of the QAPI stage: parse every schema root of a real QEMU tree.

Run by hand (never from the tests: speed is not asserted anywhere)::

    .venv/bin/python bench/qapi.py [QEMU_TREE]

QEMU_TREE defaults to $REVIEW_QEMU_TREE, else /tmp/qemu-10.2.2. For each
root it prints the files read, the definitions found and the best / median
wall time of ``load_schema`` over BENCH_REPEAT runs (default 7), reading the
files through a fresh tree view each time (so file reads are included). The
target is the whole ``qapi/`` of QEMU 10.2.2 in at most 0.2 s. It also times
one ``compare_schemas`` of the main root against itself with every
definition re-parsed (the worst case for the comparison).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from reviewtool.qapi import SCHEMA_ROOTS, load_schema
from reviewtool.qapi.compare import compare_schemas
from reviewtool.tree import DirectoryTree

TARGET_SECONDS = 0.2


def _time(func: object, repeat: int) -> tuple[float, float]:
    assert callable(func)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main(argv: list[str]) -> int:
    tree_dir = Path(
        argv[1] if len(argv) > 1 else os.environ.get("REVIEW_QEMU_TREE", "/tmp/qemu-10.2.2")
    )
    if not (tree_dir / "VERSION").is_file():
        print(f"bench/qapi.py: {tree_dir} is not a QEMU tree", file=sys.stderr)
        return 2
    repeat = int(os.environ.get("BENCH_REPEAT", "7"))
    version = (tree_dir / "VERSION").read_text().strip()
    print(f"QAPI stage on {tree_dir} (VERSION {version}), best/median of {repeat} runs")
    verdict = 0
    for root in SCHEMA_ROOTS:
        if not (tree_dir / root).is_file():
            continue
        schema = load_schema(DirectoryTree(tree_dir), root)
        size = sum((tree_dir / f.path).stat().st_size for f in schema.files)
        best, median = _time(lambda r=root: load_schema(DirectoryTree(tree_dir), r), repeat)
        mark = ""
        if root == "qapi/qapi-schema.json":
            ok = best <= TARGET_SECONDS
            mark = f"  [target {TARGET_SECONDS:.1f} s: {'met' if ok else 'MISSED'}]"
            verdict = 0 if ok else 1
        print(
            f"  {root}: {len(schema.files)} files, {size / 1024:.0f} KiB, "
            f"{len(schema.definitions)} definitions: {best * 1000:.1f} ms best, "
            f"{median * 1000:.1f} ms median{mark}"
        )
    main_root = SCHEMA_ROOTS[0]
    if (tree_dir / main_root).is_file():
        a = load_schema(DirectoryTree(tree_dir), main_root)
        b = load_schema(DirectoryTree(tree_dir), main_root)
        best, median = _time(lambda: compare_schemas(a, b), repeat)
        print(f"  compare_schemas({main_root}, re-parsed copy): {best * 1000:.1f} ms best")
    return verdict


if __name__ == "__main__":
    sys.exit(main(sys.argv))
