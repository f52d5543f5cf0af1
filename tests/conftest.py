"""Shared fixtures: project paths, ../shared (skipped when absent), the real
QEMU tree (skipped when REVIEW_QEMU_TREE is unset), and golden files with a
``--update-golden`` switch."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SAMPLE_TREE = SAMPLES / "qemu"
SEED_SAMPLE = SAMPLES / "backend-transfer-v10-3-8.mbox"
DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(os.environ.get("REVIEW_SHARED_DIR", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"


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
