"""Time the C scanner and the threading check on a real QEMU tree (run by hand).

    .venv/bin/python bench/threading_check.py /tmp/qemu-10.2.2

Prints seconds for: scanning every C file under migration/, the whole-tree
__MAX index used by X110, and the X1xx evaluation of every existing
migration parameter as if it were new.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from reviewtool.checks.threading_engine import Snapshot, infer_sites, thread_member, watched_members
from reviewtool.checks.threading_rules import choose_packs, glob_files, load_packs
from reviewtool.csource import scan_c
from reviewtool.qapi import load_schema
from reviewtool.tree import DirectoryTree


def main(root: str) -> None:
    tree = DirectoryTree(Path(root))
    start = time.perf_counter()
    size = 0
    for path in glob_files(tree, ["migration/*.c", "migration/*.h"]):
        text = tree.read_text(path) or ""
        size += len(text)
        scan_c(text, path)
    print(f"scan migration/: {size / 1e6:.1f} MB in {time.perf_counter() - start:.2f} s")

    start = time.perf_counter()
    schema = load_schema(tree)
    packs = choose_packs(load_packs(), tree)
    pack = next(p for p in packs if p.family == "migration-parameters")
    members = watched_members(schema, pack)
    inferred = infer_sites(pack, tree, members)
    for member in members:
        existing = [m for m in members if m.name != member.name]
        thread_member(pack, member, existing, tree, [Snapshot(1, tree, schema)], inferred=inferred)
    print(f"{len(members)} parameters as new: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/qemu-10.2.2")
