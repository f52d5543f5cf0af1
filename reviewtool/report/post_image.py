"""Writing a post-image tree into an output directory (``review apply --out``).

The only output of review that is a tree: every file of a ``Tree`` written
under a new or empty directory the user named. Nothing is overwritten, and a
path that would resolve outside the directory is skipped.
"""

from __future__ import annotations

from pathlib import Path

from reviewtool.errors import InputError, UsageError
from reviewtool.tree import Tree


def check_out_dir(dest: Path) -> None:
    """Raise ``UsageError`` unless ``dest`` is a new or empty directory.

    Called before any work, so a bad ``--out`` fails fast.
    """
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UsageError("--out must name a new or empty directory", path=str(dest))


def write_tree(tree: Tree, dest: Path) -> None:
    """Write every file of ``tree`` under ``dest`` (created if missing).

    Raises ``InputError`` when a file cannot be written.
    """
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    try:
        for path in tree.iter_files():
            data = tree.read_bytes(path)
            target = (root / path).resolve()
            # a path that resolves outside dest ("../x" in a hostile diff) is
            # never written
            if data is None or not target.is_relative_to(root):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    except OSError as e:
        raise InputError(f"cannot write the post-image tree: {e.strerror}", path=str(dest)) from e
