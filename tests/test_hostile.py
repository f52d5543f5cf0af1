"""Hostile input: review never crashes and never writes outside its output target.

Every file in tests/data/fuzz/ must give a report (exit 0/1) or a clean
one-line error (exit 2). On top of those committed cases, inputs too big to
commit (tens of thousands of hunks or files, MIME nested a thousand deep)
are built here, and a copy of the sample tree with symlinks that lead out of
it checks that nothing outside the tree is read or written.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE

from reviewtool.cli import main

FUZZ = Path(__file__).resolve().parent / "data" / "fuzz"
NOT_CASES = {"README.md", "make_cases.py"}
CASES = sorted(p for p in FUZZ.iterdir() if p.is_file() and p.name not in NOT_CASES)
# Cases that still crash, with the stage that must fix them. strict: the
# test fails as soon as the bug is fixed, so the entry is then removed.
KNOWN_BUGS: dict[str, str] = {}


def _case_param(path: Path) -> object:
    reason = KNOWN_BUGS.get(path.name)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(path, id=path.name, marks=marks)


def digest(root: Path) -> dict[str, str]:
    """Path -> hash of content (or symlink target, or "dir") for everything under root."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in sorted(dirnames + filenames):
            p = Path(dirpath, name)
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                found[rel] = "link:" + os.readlink(p)
            elif p.is_dir():
                found[rel] = "dir"
            else:
                found[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return found


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``review ARGV`` in this process: (exit code, stdout, stderr)."""
    code: int | str | None = 0
    try:
        main(argv)
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    assert isinstance(code, int | None), f"exit with a message: {code!r}"
    return int(code or 0), out, err


def assert_no_crash(code: int, out: str, err: str, what: str) -> None:
    assert "Traceback" not in err + out, f"{what}: traceback\n{err[-3000:]}"
    assert code in (0, 1, 2), f"{what}: exit {code}\n{err[-3000:]}"
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("review: error: "), f"{what}: {err!r}"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty current directory (so the bundled sample tree is the base);
    at the end, the sample tree and this directory must be as they were,
    but for files the test names as outputs."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    tree_before = digest(SAMPLE_TREE)
    yield cwd
    assert digest(SAMPLE_TREE) == tree_before, "the sample tree changed"


@pytest.mark.parametrize("case", [_case_param(p) for p in CASES])
def test_fuzz_case(case: Path, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each committed hostile case: a report or a one-line error in every format."""
    for fmt in ("text", "json", "email"):
        code, out, err = run(["check", str(case), "--format", fmt], capsys)
        assert_no_crash(code, out, err, f"{case.name} --format {fmt}")
        if fmt == "json" and code != 2:
            assert json.loads(out)["schema_version"] == 1
    assert digest(workdir) == {}, "review check wrote into the current directory"


def test_fuzz_folder_covers_every_category() -> None:
    categories = {p.name.split("-", 1)[0] for p in CASES}
    assert categories == {"structure", "encoding", "mime", "headers", "diff", "series"}


# --- paths in diff headers ---------------------------------------------------


@pytest.mark.parametrize(
    ("case", "path"),
    [
        # a/../../outside.txt: would land two levels above the tree
        ("diff-path-traversal.mbox", "../../outside.txt"),
        # +++ /tmp/pwned: an absolute target
        ("diff-absolute-path.mbox", "/tmp/pwned"),
        # a file inside .git/ (hooks, config) of the reviewed tree
        ("diff-git-dir-target.mbox", ".git/config"),
        # a rename whose target leaves the tree
        ("diff-rename-to-outside.mbox", "../migration.json"),
    ],
)
def test_unsafe_paths_are_refused_and_nothing_is_written(
    case: str, path: str, workdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp_before = digest(tmp_path)
    code, out, err = run(["check", str(FUZZ / case), "--format", "json"], capsys)
    assert_no_crash(code, out, err, case)
    assert code == 1, "an unsafe path is an error finding"
    findings = json.loads(out)["findings"]
    assert any(path in f["message"] for f in findings), [f["message"] for f in findings]
    assert not Path("/tmp/pwned").exists()
    assert digest(tmp_path) == tmp_before


# --- symlinks in the tree that lead out of it ----------------------------------


@pytest.fixture
def linked_tree(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the sample tree whose qapi/migration.json and a directory
    are symlinks to a secret outside the tree; returns (tree, secret dir)."""
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "migration.json").write_text("{ 'struct': 'SECRET_OUTSIDE_TREE' }\n")
    tree = tmp_path / "tree"
    shutil.copytree(SAMPLE_TREE, tree, symlinks=True)
    target = tree / "qapi" / "migration.json"
    target.unlink()
    target.symlink_to(secret / "migration.json")
    (tree / "outside").symlink_to(secret, target_is_directory=True)
    return tree, secret


def test_symlinks_out_of_the_tree_are_not_followed(
    linked_tree: tuple[Path, Path], workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree, secret = linked_tree
    before = (digest(tree), digest(secret))
    for fmt in ("text", "json", "email", "sarif", "markdown"):
        code, out, err = run(
            ["check", str(SEED_SAMPLE), "--tree", str(tree), "--format", fmt], capsys
        )
        assert_no_crash(code, out, err, fmt)
        assert code != 2, err
        assert "SECRET_OUTSIDE_TREE" not in out + err, f"--format {fmt} read through a symlink"
    # a patch that targets the symlinked directory is not applied through it
    patch = FUZZ / "diff-mode-only-symlink.mbox"
    code, out, err = run(["check", str(patch), "--tree", str(tree)], capsys)
    assert_no_crash(code, out, err, patch.name)
    assert (digest(tree), digest(secret)) == before
    assert digest(workdir) == {}


# --- size: hunks, files, nesting ------------------------------------------------


def _patch_mail(diff: str, mid: str = "big@example.org") -> bytes:
    return (
        "From big@example.org Mon Jan  5 10:00:00 2026\n"
        "From: Big <big@example.org>\n"
        f"Message-ID: <{mid}>\n"
        "Subject: [PATCH] qapi: big\n\n"
        "qapi: big\n\nSigned-off-by: Big <big@example.org>\n---\n" + diff + "-- \n2.43.0\n\n"
    ).encode()


@pytest.mark.parametrize(
    "diff",
    [
        # 30,000 one-line hunks in one file (none of them applies)
        "diff --git a/qapi/migration.json b/qapi/migration.json\n"
        "--- a/qapi/migration.json\n+++ b/qapi/migration.json\n"
        + "".join(f"@@ -{i},1 +{i},1 @@\n-old {i}\n+new {i}\n" for i in range(1, 30001)),
        # 10,000 new files
        "".join(
            f"diff --git a/gen/f{i}.c b/gen/f{i}.c\nnew file mode 100644\n"
            f"--- /dev/null\n+++ b/gen/f{i}.c\n@@ -0,0 +1 @@\n+int f{i};\n"
            for i in range(10000)
        ),
    ],
    ids=["30000-hunks", "10000-files"],
)
def test_huge_diffs(diff: str, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = workdir.parent / "big.mbox"
    path.write_bytes(_patch_mail(diff))
    code, out, err = run(["check", str(path), "--format", "json"], capsys)
    assert_no_crash(code, out, err, "huge diff")
    assert code in (0, 1)
    assert json.loads(out)["schema_version"] == 1
    assert digest(workdir) == {}


def test_mime_nested_a_thousand_deep(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = "qapi: x\n\n---\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    for depth in range(1000):
        body = (
            f'Content-Type: multipart/mixed; boundary="n{depth}"\n\n'
            f"--n{depth}\n{body}\n--n{depth}--\n"
        )
    raw = (
        "From x@example.org Mon Jan  5 10:00:00 2026\nFrom: X <x@example.org>\n"
        "Message-ID: <deep@example.org>\nSubject: [PATCH] deep\nMIME-Version: 1.0\n" + body
    )
    path = workdir.parent / "deep.mbox"
    path.write_text(raw)
    code, out, err = run(["check", str(path)], capsys)
    assert_no_crash(code, out, err, "nested MIME")
    assert digest(workdir) == {}


# --- header injection into reply mails --------------------------------------------


@pytest.mark.parametrize(
    "case",
    ["headers-subject-crlf-injection.mbox", "headers-subject-encoded-newline-to.mbox"],
)
def test_subject_injection_does_not_reach_reply_headers(
    case: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["check", str(FUZZ / case), "--format", "email", "--clean-mail"], capsys)
    assert_no_crash(code, out, err, case)
    assert code != 2, err
    reply = email.message_from_string(out, policy=email.policy.default)
    header_block = out.split("\n\n", 1)[0]
    names = [
        line.split(":", 1)[0].lower() for line in header_block.splitlines() if line[:1].strip()
    ]
    assert "bcc" not in names
    assert names.count("to") == 1 and names.count("subject") == 1
    recipients = " ".join(str(reply[h] or "") for h in ("To", "Cc"))
    assert "victim@" not in recipients and "attacker@" not in recipients
    assert "\n" not in str(reply["Subject"]) and "\r" not in str(reply["Subject"])


# --- writes: only the named output --------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown", "email"])
def test_only_the_output_file_is_written(
    fmt: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = workdir / "reports"
    out_dir.mkdir()
    target = out_dir / f"report.{fmt}"
    code, out, err = run(["check", str(SEED_SAMPLE), "--format", fmt, "-o", str(target)], capsys)
    assert_no_crash(code, out, err, fmt)
    assert code in (0, 1) and out == ""
    assert set(digest(workdir)) == {"reports", f"reports/report.{fmt}"}
    assert target.stat().st_size > 0


def test_scan_of_hostile_archive_writes_nothing_but_its_output(
    workdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every fuzz mbox plus the seed in one archive: each thread is reviewed
    or reported as not reviewable; none crashes; only --output is written."""
    archive = tmp_path / "archive.mbox"
    parts = [SEED_SAMPLE.read_bytes()]
    parts += [p.read_bytes() for p in CASES if p.read_bytes().startswith(b"From ")]
    archive.write_bytes(b"".join(part.rstrip(b"\n") + b"\n\n" for part in parts))
    before = digest(tmp_path)
    argv = ["scan", str(archive), "--jobs", "2", "--format", "json", "-o", "scan.json"]
    code, out, err = run(argv, capsys)
    assert_no_crash(code, out, err, "scan")
    assert code == 0
    after = digest(tmp_path)
    assert {k for k in after if after[k] != before.get(k)} == {"cwd/scan.json"}
    doc = json.loads((workdir / "scan.json").read_text())
    assert doc["qapi_series"] >= 10
    crashed = [s for s in doc["series"] if s["internal_error"]]
    assert not crashed, [(s["first_message"], s["error"]) for s in crashed]


# Cases that still crash `review watch` (exit 3), with the reason.
WATCH_BUGS: dict[str, str] = {}


def _watch_cases() -> list[object]:
    params: list[object] = [
        pytest.param([p for p in CASES if p.name not in WATCH_BUGS], id="fuzz-cases")
    ]
    for name, reason in WATCH_BUGS.items():
        # strict: passes (and so fails) as soon as the bug is fixed
        mark = pytest.mark.xfail(strict=True, reason=reason)
        params.append(pytest.param([FUZZ / name], id=name, marks=mark))
    return params


@pytest.mark.parametrize("cases", _watch_cases())
def test_watch_writes_only_its_outbox_and_state(
    cases: list[Path], workdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The list bot fed the fuzz cases: it replies or skips, never crashes,
    never touches the inbox, and writes only into --outbox and --state."""
    inbox = tmp_path / "inbox"
    for sub in ("cur", "new", "tmp"):
        (inbox / sub).mkdir(parents=True)
    messages = [SEED_SAMPLE.read_bytes()]
    messages += [p.read_bytes() for p in cases if p.stat().st_size < 100_000]
    for n, data in enumerate(messages):
        # a Maildir holds one message per file, without the mbox "From " line
        if data.startswith(b"From "):
            data = data.split(b"\n", 1)[1] if b"\n" in data else b""
        (inbox / "new" / f"{1700000000 + n}.{n}.fuzz").write_bytes(data)
    outbox = tmp_path / "outbox"
    state = tmp_path / "state.sqlite"
    before = digest(tmp_path)
    argv = [
        "watch", str(inbox), "--tree", str(SAMPLE_TREE), "--outbox", str(outbox),
        "--state", str(state), "--once", "--wait-timeout", "0",
    ]  # fmt: skip
    code, out, err = run(argv, capsys)
    assert_no_crash(code, out, err, "watch")
    assert code == 0, err
    after = digest(tmp_path)
    changed = {k for k in after if after[k] != before.get(k)}
    assert all(k.startswith(("outbox", "state.sqlite")) for k in changed), changed
    assert not {k for k in before if k not in after}, "something was deleted"
    assert list((outbox / "new").iterdir()), "no reply in the outbox"


UNSAFE_DIFFS = [
    "diff-path-traversal.mbox",
    "diff-absolute-path.mbox",
    "diff-git-dir-target.mbox",
    "diff-rename-to-outside.mbox",
    "diff-mode-only-symlink.mbox",
]


@pytest.mark.parametrize("case", UNSAFE_DIFFS)
def test_apply_out_writes_only_inside_its_directory(
    case: str, workdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`review apply --out DIR` writes the post-image tree: an unsafe path in
    the diff must not land outside DIR, nor leave a symlink leading out."""
    out_dir = workdir / "post"
    before = digest(tmp_path)
    code, out, err = run(["apply", str(FUZZ / case), "--out", str(out_dir)], capsys)
    assert_no_crash(code, out, err, case)
    after = digest(tmp_path)
    changed = {k for k in after if after[k] != before.get(k)}
    assert all(k == "cwd/post" or k.startswith("cwd/post/") for k in changed), changed
    assert (out_dir / "VERSION").is_file(), "the post-image tree was not written"
    assert not Path("/tmp/pwned").exists()
    for p in out_dir.rglob("*") if out_dir.exists() else ():
        if p.is_symlink():
            assert p.resolve().is_relative_to(out_dir.resolve()), f"{p} leads out of --out"
