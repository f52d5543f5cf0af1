"""Shared fixtures: project paths, ../shared (skipped when absent), the real
QEMU tree (skipped when REVIEW_QEMU_TREE is unset), and golden files with a
``--update-golden`` switch."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reviewtool.tree import Tree

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SAMPLE_TREE = SAMPLES / "qemu"
SEED_SAMPLE = SAMPLES / "backend-transfer-v10-3-8.mbox"
DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(os.environ.get("REVIEW_SHARED_DIR", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"


class DictTree(Tree):
    """A tree held in a dict (tests only)."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.label = "test tree"

    def read_bytes(self, path: str) -> bytes | None:
        return self.files.get(path)

    def iter_files(self, prefix: str = "") -> Iterator[str]:
        yield from sorted(p for p in self.files if p.startswith(prefix))


def git_env(**extra: str) -> dict[str, str]:
    """The environment for a test's own git commands: a fixed identity and
    no user or system config (the runner's ~/.gitconfig must not matter)."""
    return {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        **extra,
    }


def git_out(repo: Path, *args: str, name: str = "t", email: str = "t@example.org") -> str:
    """Run ``git args`` in ``repo`` with ``git_env()`` and ``name <email>`` as
    author and committer; its standard output, or CalledProcessError."""
    identity = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, check=True, env=git_env(**identity)
    )
    return done.stdout.decode("utf-8", "surrogateescape")


def corpus_files() -> list[Path]:
    """Every corpus mbox, or [] when ../shared is absent (tests then skip)."""
    return sorted(CORPUS.glob("*.mbox")) if CORPUS.is_dir() else []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite golden files instead of comparing"
    )


@pytest.fixture
def shared() -> Path:
    """The ../shared folder; skips the test when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    return SHARED


@pytest.fixture
def qemu_tree() -> Path:
    """A real QEMU tree from REVIEW_QEMU_TREE; skips the test when unset."""
    value = os.environ.get("REVIEW_QEMU_TREE")
    if not value or not Path(value, "VERSION").is_file():
        pytest.skip("REVIEW_QEMU_TREE is not set to a QEMU tree")
    return Path(value)


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, Path], None]:
    """compare(actual, path): equal to the golden file, or rewrite it with --update-golden."""
    update = request.config.getoption("--update-golden")

    def compare(actual: str, expected: Path) -> None:
        if update:
            expected.parent.mkdir(parents=True, exist_ok=True)
            expected.write_text(actual)
        if not expected.exists():
            pytest.fail(f"golden file {expected} is missing: run pytest --update-golden")
        assert actual == expected.read_text(), f"differs from golden file {expected}"

    return compare
