"""Tree: a read-only path -> bytes mapping of a QEMU source tree.

Owns the loaders (a directory, a git revision read through one
``git cat-file --batch`` process, the bundled sample tree) and cheap
overlays (a patch's post-image on top of its base). This is the only module
that touches the filesystem or runs git for source trees, and it never
writes to either.
"""

from __future__ import annotations

import abc
import contextlib
import os
import posixpath
import stat
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reviewtool.errors import InputError


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

    def path_problem(self, path: str) -> str | None:
        """Why ``path`` (as named by a diff) must not be touched, or None.

        Refused: absolute paths, ``..`` or ``.`` components, control
        characters, and (subclasses) paths that lead through a symbolic
        link in the tree, or end in one that points outside it.
        """
        return lexical_path_problem(path)

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

    def path_problem(self, path: str) -> str | None:
        return self.base.path_problem(path)

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
        self._root = str(self.root)
        # directory (relative) -> its real path, or None when it is missing
        # or leads out of the tree; files of one directory share the lookup
        self._dirs: dict[str, str | None] = {}
        self._links: dict[str, bool] = {}  # directory prefix -> is a symlink

    def _inside(self, real: str) -> bool:
        return real == self._root or real.startswith(self._root + os.sep)

    def _real_dir(self, rel: str) -> str | None:
        if rel in self._dirs:
            return self._dirs[rel]
        real: str | None = os.path.realpath(os.path.join(self._root, rel)) if rel else self._root
        if real is not None and (not self._inside(real) or not os.path.isdir(real)):
            real = None
        self._dirs[rel] = real
        return real

    def read_bytes(self, path: str) -> bytes | None:
        path = posixpath.normpath(path) if path else path
        if not path or path.startswith(("/", "../")) or path == ".." or "\0" in path:
            return None  # (a NUL would make the os calls raise)
        directory, _, name = path.rpartition("/")
        real_dir = self._real_dir(directory)
        if real_dir is None:
            return None
        full = os.path.join(real_dir, name)
        # A symlink that leads out of the tree is treated as absent.
        if os.path.islink(full) and not self._inside(os.path.realpath(full)):
            return None
        try:
            with open(full, "rb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    return None
                return f.read()
        except OSError:
            return None

    def iter_files(self, prefix: str = "") -> Iterator[str]:
        if prefix and lexical_path_problem(prefix.rstrip("/")):
            return
        start = self.root / prefix if prefix else self.root
        if start.is_file():
            yield PurePosixPath(prefix).as_posix()
            return
        if not start.is_dir():
            return
        found = []
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = [d for d in dirnames if d != ".git"]
            rel = Path(dirpath).relative_to(self.root)
            for name in filenames:
                full = Path(dirpath, name)
                if full.is_file():
                    found.append((rel / name).as_posix())
        yield from sorted(found)

    def path_problem(self, path: str) -> str | None:
        problem = lexical_path_problem(path)
        if problem:
            return problem
        # Walk the components: a directory that is a symlink is refused (as
        # git apply does: "beyond a symbolic link"), and so is a final
        # symlink that resolves outside the tree.
        parts = path.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if prefix not in self._links:
                self._links[prefix] = os.path.islink(os.path.join(self._root, prefix))
            if self._links[prefix]:
                return f"{path}: leads through the symbolic link {prefix}"
        full = os.path.join(self._root, path)
        if os.path.islink(full) and not self._inside(os.path.realpath(full)):
            return f"{path}: is a symbolic link that leads outside the tree"
        return None


def _under(path: str, prefix: str) -> bool:
    return not prefix or path == prefix or path.startswith(prefix.rstrip("/") + "/")


def lexical_path_problem(path: str) -> str | None:
    """The reason a path is unsafe on its face (no tree needed), or None."""
    if not path:
        return "empty path"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return f"{path!r}: contains control characters"
    if path.startswith("/") or path.startswith("\\") or (len(path) > 1 and path[1] == ":"):
        return f"{path}: is an absolute path"
    parts = path.split("/")
    if ".." in parts:
        return f"{path}: contains '..'"
    if any(p in ("", ".") for p in parts):
        return f"{path}: is not a normalised relative path"
    if parts[0] == ".git" or ".git" in parts:
        return f"{path}: is inside a .git directory"
    return None


# --- git revisions ---------------------------------------------------------

#: git runs read-only plumbing only; optional locks off so that nothing,
#: not even the index stat cache, is written to the repository.
_GIT_ENV = {"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        env={**os.environ, **_GIT_ENV},
        check=False,
    )


@dataclass(frozen=True, slots=True)
class _GitEntry:
    mode: str  # "100644", "100755", "120000"
    oid: str


class GitTree(Tree):
    """A revision of a git repository, read through one long-lived
    ``git cat-file --batch`` process; no checkout, nothing written.

    The file list (``git ls-tree -r``) is read on first use; blobs are read
    on demand and cached.
    """

    def __init__(self, repo: Path, rev: str, label: str | None = None):
        self.repo = repo
        self.rev = rev
        if not repo.is_dir():
            raise InputError("not a directory", path=str(repo))
        done = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{tree}}")
        if done.returncode != 0:
            inside = _git(repo, "rev-parse", "--git-dir")
            if inside.returncode != 0:
                raise InputError("not a git repository (needed for --rev)", path=str(repo))
            raise InputError(f"unknown git revision {rev!r}", path=str(repo))
        self.tree_oid = done.stdout.decode().strip()
        commit = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        short = commit.stdout.decode().strip()[:12] if commit.returncode == 0 else ""
        self.label = label or f"git {rev}" + (f" ({short})" if short else "") + f" of {repo}"
        self._entries: dict[str, _GitEntry] | None = None
        self._cache: dict[str, bytes] = {}
        self._proc: subprocess.Popen[bytes] | None = None

    # The listing: path -> (mode, oid) for blobs (regular files and symlinks).
    def _listing(self) -> dict[str, _GitEntry]:
        if self._entries is None:
            done = _git(self.repo, "ls-tree", "-r", "-z", "--full-tree", self.tree_oid)
            if done.returncode != 0:
                raise InputError(
                    f"cannot list revision {self.rev!r}: "
                    f"{done.stderr.decode(errors='replace').strip()}",
                    path=str(self.repo),
                )
            entries: dict[str, _GitEntry] = {}
            for record in done.stdout.split(b"\0"):
                if not record:
                    continue
                meta, _, name = record.partition(b"\t")
                mode, kind, oid = meta.decode().split()
                if kind == "blob":
                    entries[name.decode("utf-8", "surrogateescape")] = _GitEntry(mode, oid)
            self._entries = entries
        return self._entries

    def _read_blob(self, oid: str) -> bytes:
        if oid in self._cache:
            return self._cache[oid]
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                ["git", "-C", str(self.repo), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, **_GIT_ENV},
            )
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(oid.encode() + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if len(header) != 3:
            raise InputError(f"git cat-file cannot read object {oid}", path=str(self.repo))
        size = int(header[2])
        data = proc.stdout.read(size)
        proc.stdout.read(1)  # the newline after the content
        self._cache[oid] = data
        return data

    def _resolve(self, path: str, depth: int = 0) -> _GitEntry | None:
        """The entry of ``path``, following an in-tree symlink at the end."""
        entry = self._listing().get(path)
        if entry is None or entry.mode != "120000":
            return entry
        if depth > 8:
            return None
        target = self._read_blob(entry.oid).decode("utf-8", "surrogateescape")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        if target.startswith("/") or resolved.startswith("../") or resolved == "..":
            return None
        return self._resolve(resolved, depth + 1)

    def read_bytes(self, path: str) -> bytes | None:
        if lexical_path_problem(path):
            return None
        entry = self._resolve(path)
        if entry is None or entry.mode == "160000":
            return None
        return self._read_blob(entry.oid)

    def iter_files(self, prefix: str = "") -> Iterator[str]:
        names = [p for p, e in self._listing().items() if e.mode != "160000"]
        yield from sorted(p for p in names if _under(p, prefix))

    def path_problem(self, path: str) -> str | None:
        problem = lexical_path_problem(path)
        if problem:
            return problem
        listing = self._listing()
        parts = path.split("/")
        for i in range(1, len(parts)):
            entry = listing.get("/".join(parts[:i]))
            if entry is not None and entry.mode == "120000":
                return f"{path}: leads through the symbolic link {'/'.join(parts[:i])}"
        entry = listing.get(path)
        if entry is not None and entry.mode == "120000" and self._resolve(path) is None:
            return f"{path}: is a symbolic link that leads outside the tree"
        return None

    def close(self) -> None:
        """Stop the ``git cat-file`` process (also done at garbage collection)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()

    def __del__(self) -> None:
        # At interpreter shutdown the subprocess module may be half gone.
        with contextlib.suppress(Exception):
            self.close()


# --- choosing the tree -----------------------------------------------------


def is_qemu_tree(path: Path) -> bool:
    """True for a directory that looks like a QEMU source tree."""
    return (
        (path / "VERSION").is_file()
        and (path / "qapi").is_dir()
        and ((path / "migration").is_dir() or (path / "include" / "qemu").is_dir())
    )


def sample_tree_path() -> Path:
    """The bundled QEMU-shaped sample tree (``samples/qemu``).

    Installed: the package data ``reviewtool._samples/qemu``; in a source
    checkout (editable install) the repository's ``samples/qemu``.
    """
    try:
        from importlib.resources import files

        candidate = files("reviewtool._samples") / "qemu"
        if isinstance(candidate, Path) and candidate.is_dir():
            return candidate
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "samples" / "qemu"


def load_tree(tree: str | None, rev: str | None, cwd: Path) -> Tree:
    """The tree a run reviews against; its ``label`` says which one it is.

    - ``tree`` and ``rev``: that revision of the repository at ``tree``;
    - ``rev`` alone: that revision of the repository at ``cwd``;
    - ``tree`` alone: the directory ``tree``;
    - neither: ``cwd`` when it is a QEMU tree (as ``git am`` would use it),
      else the bundled sample tree.

    Raises ``InputError`` for a missing directory or an unknown revision.
    """
    if rev is not None:
        repo = Path(tree) if tree is not None else cwd
        if not repo.is_dir():
            raise InputError("no such directory", path=str(repo))
        return GitTree(repo, rev)
    if tree is not None:
        path = Path(tree)
        if not path.is_dir():
            raise InputError("no such directory (--tree)", path=tree)
        return DirectoryTree(path)
    if is_qemu_tree(cwd):
        return DirectoryTree(cwd, label=f"directory {cwd} (current directory)")
    sample = sample_tree_path()
    if not sample.is_dir():
        raise InputError("the bundled sample tree is missing", path=str(sample))
    version = (sample / "VERSION").read_text().strip() if (sample / "VERSION").is_file() else "?"
    return DirectoryTree(sample, label=f"bundled sample tree (QEMU-shaped, VERSION {version})")
