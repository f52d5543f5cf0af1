"""Tree: a read-only path -> bytes mapping of a QEMU source tree.

Owns the loaders (a directory, a git revision read through one
``git cat-file --batch`` process, the bundled sample tree) and cheap
overlays (a patch's post-image on top of its base). This is the only module
that touches the filesystem or runs git for source trees, and it never
writes to either.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping
from pathlib import Path


class Tree(abc.ABC):
    """A read-only view of a source tree; paths are POSIX, relative, no ``..``."""

    #: what the reports print as "tree used", e.g. "directory /src/qemu"
    label: str

    @abc.abstractmethod
    def read_bytes(self, path: str) -> bytes | None:
        """The file's content, or None when it does not exist (or is not a file)."""

    @abc.abstractmethod
    def iter_files(self, prefix: str = "") -> Iterator[str]:
        """Every file path under ``prefix`` (a directory path or ""), sorted."""

    def read_text(self, path: str) -> str | None:
        """The file decoded as UTF-8 (undecodable bytes kept as surrogates)."""
        data = self.read_bytes(path)
        return None if data is None else data.decode("utf-8", "surrogateescape")

    def exists(self, path: str) -> bool:
        return self.read_bytes(path) is not None

    def overlay(self, changes: Mapping[str, bytes | None], label: str | None = None) -> Tree:
        """A new tree: this one with ``changes`` applied (None deletes a file)."""
        return OverlayTree(self, dict(changes), label or self.label)


class OverlayTree(Tree):
    """``base`` with some files replaced, added or (value None) deleted."""

    def __init__(self, base: Tree, changes: dict[str, bytes | None], label: str):
        self.base = base
        self.changes = changes
        self.label = label

    def read_bytes(self, path: str) -> bytes | None:
        if path in self.changes:
            return self.changes[path]
        return self.base.read_bytes(path)

    def iter_files(self, prefix: str = "") -> Iterator[str]:
        names = set(self.base.iter_files(prefix))
        for path, content in self.changes.items():
            if _under(path, prefix):
                if content is None:
                    names.discard(path)
                else:
                    names.add(path)
        yield from sorted(names)


class DirectoryTree(Tree):
    """A directory on disk, read lazily, never written."""

    def __init__(self, root: Path, label: str | None = None):
        self.root = root.resolve()
        self.label = label or f"directory {root}"

    def read_bytes(self, path: str) -> bytes | None:
        full = (self.root / path).resolve()
        # A symlink that leads out of the tree is treated as absent.
        if not full.is_relative_to(self.root) or not full.is_file():
            return None
        return full.read_bytes()

    def iter_files(self, prefix: str = "") -> Iterator[str]:
        start = self.root / prefix if prefix else self.root
        if not start.is_dir():
            return
        found = []
        for p in start.rglob("*"):
            if ".git" in p.relative_to(self.root).parts:
                continue
            if p.is_file():
                found.append(p.relative_to(self.root).as_posix())
        yield from sorted(found)


def _under(path: str, prefix: str) -> bool:
    return not prefix or path == prefix or path.startswith(prefix.rstrip("/") + "/")
