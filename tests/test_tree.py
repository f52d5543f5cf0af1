"""tree: directory and git-revision loaders, overlays, path safety, load_tree rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git_out

from reviewtool.errors import InputError
from reviewtool.tree import (
    DirectoryTree,
    GitTree,
    is_qemu_tree,
    lexical_path_problem,
    load_tree,
    sample_tree_path,
)


def _git(repo: Path, *args: str) -> str:
    return git_out(repo, *args)


def _snapshot(path: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``path`` (including .git) with its content and mtime."""
    out = {}
    for p in sorted(path.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[p.relative_to(path).as_posix()] = (p.read_bytes(), p.stat().st_mtime_ns)
    return out


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "qapi").mkdir(parents=True)
    (root / "migration").mkdir()
    (root / "VERSION").write_text("10.2.50\n")
    (root / "qapi" / "migration.json").write_text("{ 'enum': 'X' }\n")
    (root / "migration" / "options.c").write_bytes(b"int a;\r\nint b;\n")
    (root / "link-out").symlink_to("/etc/passwd")
    (root / "linkdir").symlink_to("qapi")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "one")
    (root / "VERSION").write_text("10.2.90\n")  # uncommitted: --rev must not see it
    return root


def test_directory_tree_reads_lazily_and_lists(repo: Path) -> None:
    tree = DirectoryTree(repo)
    assert tree.read_bytes("migration/options.c") == b"int a;\r\nint b;\n"
    assert tree.read_text("VERSION") == "10.2.90\n"
    assert tree.read_bytes("nope.c") is None
    assert tree.read_bytes("link-out") is None  # leads outside: absent
    assert tree.read_bytes("a\x00b") is None  # a NUL byte never reaches the os calls
    files = list(tree.iter_files())
    assert "qapi/migration.json" in files and not any(f.startswith(".git/") for f in files)
    assert list(tree.iter_files("qapi")) == ["qapi/migration.json"]
    assert tree.label == f"directory {repo}"


def test_git_tree_reads_the_revision_not_the_worktree(repo: Path) -> None:
    before = _snapshot(repo)
    tree = GitTree(repo, "HEAD")
    try:
        assert tree.read_text("VERSION") == "10.2.50\n"
        assert tree.read_bytes("migration/options.c") == b"int a;\r\nint b;\n"
        assert tree.read_bytes("missing") is None
        assert tree.exists("qapi/migration.json")
        assert list(tree.iter_files("qapi")) == ["qapi/migration.json"]
        assert tree.label.startswith("git HEAD (") and str(repo) in tree.label
        # the same cat-file process serves many reads
        proc = tree._proc
        assert tree.read_text("qapi/migration.json") == "{ 'enum': 'X' }\n"
        assert tree._proc is proc
    finally:
        tree.close()
    assert _snapshot(repo) == before  # nothing written, not even the index


def test_git_tree_errors(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown git revision"):
        GitTree(repo, "no-such-branch")
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(InputError, match="not a git repository"):
        GitTree(plain, "HEAD")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/etc/passwd", "absolute"),
        ("../outside.c", "'..'"),
        ("a/../../b", "'..'"),
        ("a/\x1b[31mb", "control characters"),
        ("a//b", "normalised"),
        (".git/config", ".git"),
        ("migration/options.c", None),
    ],
)
def test_lexical_path_problems(path: str, expected: str | None) -> None:
    problem = lexical_path_problem(path)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem


def test_symlink_paths_are_refused(repo: Path) -> None:
    for tree in (DirectoryTree(repo), GitTree(repo, "HEAD")):
        assert "outside the tree" in (tree.path_problem("link-out") or "")
        assert "symbolic link linkdir" in (tree.path_problem("linkdir/migration.json") or "")
        assert tree.path_problem("qapi/migration.json") is None
        assert tree.path_problem("qapi/new-file.json") is None
        overlay = tree.overlay({"x.c": b"x\n"})
        assert "outside the tree" in (overlay.path_problem("link-out") or "")


def test_overlay_changes_and_deletes(repo: Path) -> None:
    base = DirectoryTree(repo)
    tree = base.overlay({"VERSION": None, "new/file.c": b"new\n"}, label="after")
    assert tree.read_bytes("VERSION") is None
    assert tree.read_bytes("new/file.c") == b"new\n"
    assert "VERSION" not in list(tree.iter_files())
    assert "new/file.c" in list(tree.iter_files("new"))
    assert base.read_bytes("VERSION") == b"10.2.90\n"


def test_load_tree_rules(repo: Path, tmp_path: Path) -> None:
    # cwd that is a QEMU tree is used, as git am would
    assert is_qemu_tree(repo)
    tree = load_tree(None, None, repo)
    assert tree.label == f"directory {repo} (current directory)"
    # otherwise the bundled sample tree, labelled without an absolute path
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    sample = load_tree(None, None, elsewhere)
    assert sample.label.startswith("bundled sample tree")
    assert "/" not in sample.label
    # --tree DIR, --tree DIR --rev REV, and --rev alone (repository in cwd)
    assert load_tree(str(repo), None, elsewhere).label == f"directory {repo}"
    git_tree = load_tree(str(repo), "HEAD", elsewhere)
    assert isinstance(git_tree, GitTree) and git_tree.read_text("VERSION") == "10.2.50\n"
    assert isinstance(load_tree(None, "HEAD", repo), GitTree)
    with pytest.raises(InputError, match="no such directory"):
        load_tree(str(tmp_path / "missing"), None, elsewhere)


def test_sample_tree_is_a_qemu_shaped_tree() -> None:
    path = sample_tree_path()
    if not (path / "VERSION").is_file():
        pytest.skip("samples/qemu is not written yet")
    assert is_qemu_tree(path)
    tree = DirectoryTree(path)
    assert tree.exists("qapi/migration.json")


def test_real_tree_as_git_revision(qemu_tree: Path) -> None:
    tree = GitTree(qemu_tree, "HEAD")
    try:
        assert tree.read_text("VERSION") == (qemu_tree / "VERSION").read_text()
        text = tree.read_text("migration/options.c")
        assert text is not None and "migrate_params_check" in text
        assert len(list(tree.iter_files("qapi"))) > 20
    finally:
        tree.close()
