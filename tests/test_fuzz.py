"""Property and fuzz tests: whatever the list sends, review never crashes.

* arbitrary bytes, and real mails mutated (truncated, bit-flipped, wrong
  charset labels, broken quoted-printable and base64, very long lines,
  emptied) into ``review check``: a report (exit 0/1) or a one-line error
  (exit 2), never a traceback (exit 3);
* arbitrary diffs into the applier: no exception, and the base tree is
  unchanged; diffs made from real edits apply back to exactly the edit.

Mutation sources: the bundled sample series and ../shared/corpus (when
present). The normal suite runs a moderate number of examples; the ``long``
profile (HYPOTHESIS_PROFILE=long) runs at least 10,000 per test:

    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import os
import re
from pathlib import Path

import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE, corpus_files
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from reviewtool.apply import apply_patches
from reviewtool.cli import main
from reviewtool.tree import DirectoryTree

# No example database: the tests write nothing into the project.
_COMMON = {
    "deadline": None,
    "database": None,
    "derandomize": False,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}
settings.register_profile("fuzz", max_examples=40, **_COMMON)
settings.register_profile("long", max_examples=10_000, **_COMMON)
PROFILE = settings.get_profile("long" if os.environ.get("HYPOTHESIS_PROFILE") == "long" else "fuzz")

FROM_LINE = re.compile(rb"^From \S+ +.*\d{1,2}:\d\d(?::\d\d)? .*\d{4}\s*$", re.MULTILINE)


def _messages(data: bytes) -> list[bytes]:
    starts = [m.start() for m in FROM_LINE.finditer(data)] or [0]
    return [data[a:b] for a, b in zip(starts, [*starts[1:], len(data)], strict=True)]


# Whole threads and single messages, so mutations hit both series assembly
# and the mail parser.
SOURCES: list[bytes] = [SEED_SAMPLE.read_bytes()]
for _path in corpus_files():
    _data = _path.read_bytes()
    SOURCES.append(_data)
    SOURCES.extend(_messages(_data)[:3])

SAMPLE_FILES = sorted(
    p.relative_to(SAMPLE_TREE).as_posix() for p in SAMPLE_TREE.rglob("*") if p.is_file()
)


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(p.relative_to(root).as_posix().encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


# --- mutations -------------------------------------------------------------------


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    cut = data.find(b"\n\n")
    return (data, b"") if cut < 0 else (data[: cut + 1], data[cut + 1 :])


def _set_header(head: bytes, name: bytes, value: bytes) -> bytes:
    pattern = re.compile(rb"^" + name + rb":[^\n]*(\n[ \t][^\n]*)*", re.IGNORECASE | re.MULTILINE)
    line = name + b": " + value
    if pattern.search(head):
        return pattern.sub(lambda _: line, head, count=1)
    return head + line + b"\n"


@st.composite
def truncated(draw: st.DrawFn, data: bytes) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


@st.composite
def bit_flipped(draw: st.DrawFn, data: bytes) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 16))):
        i = draw(st.integers(0, len(out) - 1))
        out[i] ^= 1 << draw(st.integers(0, 7))
    return bytes(out)


CHARSETS = [
    b"utf-16",
    b"utf-32",
    b"x-unknown-8bit",
    b"ascii",
    b"latin-1",
    b"utf-7",
    b"big5",
    b"iso-2022-jp",
    b'""',
    b'utf-8"; x="',
    b"gb18030",
    b"koi8-r",
]


@st.composite
def relabelled(draw: st.DrawFn, data: bytes) -> bytes:
    """Every charset label replaced by one that does not match the bytes."""
    label = draw(st.sampled_from(CHARSETS))
    out = re.sub(rb"charset=\"?[\w-]+\"?", b"charset=" + label, data, flags=re.IGNORECASE)
    head, body = _split_head(out)
    if b"charset=" not in head.lower():
        head = _set_header(head, b"Content-Type", b"text/plain; charset=" + label)
    return head + body


@st.composite
def broken_qp(draw: st.DrawFn, data: bytes) -> bytes:
    """Declared quoted-printable, with stray and malformed escapes in the body."""
    head, body = _split_head(data)
    head = _set_header(head, b"Content-Transfer-Encoding", b"quoted-printable")
    out = bytearray(body)
    junk = [b"=", b"=Z", b"=4", b"=\n", b"=0D", b"=C3", b"=XX=", b"=\r\n"]
    for _ in range(draw(st.integers(1, 20))):
        at = draw(st.integers(0, len(out)))
        out[at:at] = draw(st.sampled_from(junk))
    return head + bytes(out)


@st.composite
def broken_base64(draw: st.DrawFn, data: bytes) -> bytes:
    """The body base64-encoded and then damaged (cut, padded, garbage inside)."""
    head, body = _split_head(data)
    head = _set_header(head, b"Content-Transfer-Encoding", b"base64")
    encoded = bytearray(base64.encodebytes(body))
    damage = draw(st.sampled_from(["cut", "garbage", "padding", "none"]))
    if damage == "cut" and encoded:
        del encoded[draw(st.integers(0, len(encoded) - 1)) :]
    elif damage == "garbage":
        for _ in range(draw(st.integers(1, 10))):
            at = draw(st.integers(0, len(encoded)))
            encoded[at:at] = draw(st.sampled_from([b"!", b"====", b"\x00", b"\xff", b"-_", b" "]))
    elif damage == "padding":
        encoded[len(encoded) // 2 : len(encoded) // 2] = b"==\n"
    return head + b"\n" + bytes(encoded)


@st.composite
def long_lines(draw: st.DrawFn, data: bytes) -> bytes:
    at = data.find(b"\n", draw(st.integers(0, len(data))))
    at = len(data) if at < 0 else at + 1
    line = draw(st.sampled_from([b"A", b"+", b" ", b"=", b"\xc3\xa9", b"-"])) * draw(
        st.integers(999, 300_000)
    )
    return data[:at] + line + b"\n" + data[at:]


@st.composite
def spliced(draw: st.DrawFn, data: bytes) -> bytes:
    at = draw(st.integers(0, len(data)))
    cut = draw(st.integers(0, 200))
    return data[:at] + draw(st.binary(max_size=256)) + data[at + cut :]


@st.composite
def line_ends(draw: st.DrawFn, data: bytes) -> bytes:
    style = draw(st.sampled_from([b"\r\n", b"\r", b"\n\n", b""]))
    return data.replace(b"\n", style)


MUTATIONS = [
    truncated,
    bit_flipped,
    relabelled,
    broken_qp,
    broken_base64,
    long_lines,
    spliced,
    line_ends,
]


@st.composite
def mutated_mail(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(SOURCES))
    if draw(st.integers(0, 20)) == 0:
        return b""  # empty file
    for mutate in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)):
        data = draw(mutate(data))
    return data


def arbitrary_mail() -> st.SearchStrategy[bytes]:
    """Random bytes, alone or behind an mbox line and headers that look right."""
    noise = st.binary(max_size=4096)
    header = st.sampled_from(
        [
            b"",
            b"From x@example.org Mon Jan  5 10:00:00 2026\n",
            b"From x@example.org Mon Jan  5 10:00:00 2026\nFrom: X <x@example.org>\n"
            b"Subject: [PATCH 1/1] qapi: x\nMessage-ID: <f@x>\n\n",
            b"Subject: [PATCH] x\n\n---\ndiff --git a/qapi/migration.json b/qapi/migration.json\n",
        ]
    )
    return st.tuples(header, noise).map(lambda pair: pair[0] + pair[1])


# --- review check never crashes --------------------------------------------------


def check_never_crashes(
    data: bytes, fmt: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workdir / "input.mbox"
    path.write_bytes(data)
    code: int | str | None = 0
    try:
        main(["check", str(path), "--format", fmt])
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err[-4000:]
    assert code in (0, 1, 2, None), f"exit {code!r}\n{err[-4000:]}"
    event(f"exit {code or 0}")  # --hypothesis-show-statistics: how deep inputs got
    if fmt == "json" and code in (0, 1, None):
        assert json.loads(out)["schema_version"] == 1
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("review: error: "), err


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty directory to run in (the bundled sample tree is the base)."""
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module", autouse=True)
def sample_tree_is_never_written() -> object:
    before = tree_digest(SAMPLE_TREE)
    yield
    assert tree_digest(SAMPLE_TREE) == before


FORMATS = st.sampled_from(["text", "json", "email"])


@PROFILE
@given(data=mutated_mail(), fmt=FORMATS)
def test_mutated_real_mail(
    data: bytes,
    fmt: str,
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(workdir)
    check_never_crashes(data, fmt, workdir, capsys)


@PROFILE
@given(data=arbitrary_mail(), fmt=FORMATS)
def test_arbitrary_bytes(
    data: bytes,
    fmt: str,
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(workdir)
    check_never_crashes(data, fmt, workdir, capsys)


# --- the applier ------------------------------------------------------------------


BASE = DirectoryTree(SAMPLE_TREE)
BASE_CONTENT = {p: BASE.read_bytes(p) for p in SAMPLE_FILES}

paths = st.one_of(
    st.sampled_from(SAMPLE_FILES),
    st.sampled_from(["../x", "/etc/passwd", "a/../../b", ".git/config", "", " ", "a\tb", "qapi/"]),
    st.text(min_size=1, max_size=30),
)


@st.composite
def hunk(draw: st.DrawFn, path: str) -> str:
    """A hunk, often built from the file's real lines so that it may apply."""
    lines = (BASE_CONTENT.get(path) or b"").decode("utf-8", "replace").splitlines()
    start = draw(st.integers(0, max(len(lines), 1)))
    body: list[str] = []
    real = lines[start : start + draw(st.integers(0, 8))]
    for line in real:
        kind = draw(st.sampled_from([" ", " ", "-", "+"]))
        body.append(kind + line)
    body += [
        "+" + t
        for t in draw(
            st.lists(
                st.text(max_size=40).filter(lambda t: "\n" not in t and "\r" not in t), max_size=3
            )
        )
    ]
    old = sum(1 for b in body if b[0] in " -")
    new = sum(1 for b in body if b[0] in " +")
    if draw(st.booleans()):  # lie about the counts or positions
        old, new = draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6))
        start = draw(st.integers(0, 10**9))
    if draw(st.integers(0, 5)) == 0:
        body.append("\\ No newline at end of file")
    return f"@@ -{start + 1},{old} +{start + 1},{new} @@\n" + "".join(b + "\n" for b in body)


@st.composite
def file_diff(draw: st.DrawFn) -> str:
    old = draw(paths)
    new = draw(st.one_of(st.just(old), paths))
    kind = draw(st.sampled_from(["modify", "add", "delete", "rename", "mode", "binary"]))
    head = f"diff --git a/{old} b/{new}\n"
    if kind == "add":
        head += "new file mode 100644\n--- /dev/null\n" + f"+++ b/{new}\n"
    elif kind == "delete":
        head += "deleted file mode 100644\n" + f"--- a/{old}\n+++ /dev/null\n"
    elif kind == "rename":
        head += (
            f"similarity index 90%\nrename from {old}\nrename to {new}\n--- a/{old}\n+++ b/{new}\n"
        )
    elif kind == "mode":
        head += "old mode 100644\nnew mode 100755\n"
    elif kind == "binary":
        return head + "GIT binary patch\nliteral 5\nMcmZ?wbhEHbG&;!!\n\n"
    else:
        head += f"--- a/{old}\n+++ b/{new}\n"
    hunks = draw(st.lists(hunk(old), max_size=4))
    return head + "".join(hunks)


@PROFILE
# found by the long profile: a NUL byte in a path made DirectoryTree raise
@example(files=["diff --git a/VERSION b/\x00\n--- a/VERSION\n+++ b/\x00\n"], noise="")
@given(
    files=st.lists(file_diff(), min_size=1, max_size=4),
    noise=st.one_of(st.just(""), st.text(max_size=200)),
)
def test_arbitrary_diffs_never_crash_the_applier(files: list[str], noise: str) -> None:
    diff = "".join(files) + noise
    applied = apply_patches(BASE, [(1, diff), (2, diff)])
    # every view the checks and reporters use must work on the result
    applied.to_dict()
    event(f"{len(applied.failures)} failures")
    final = applied.final
    for result in applied.patches:
        for f in result.files:
            if f.path:
                final.read_bytes(f.path)
                applied.origin(f.path, 1)
    for p in SAMPLE_FILES:  # the base is never changed, in memory or on disk
        assert BASE.read_bytes(p) == BASE_CONTENT[p]


@st.composite
def real_edit(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """A sample file, an edited copy, and the unified diff between them."""
    path = draw(
        st.sampled_from([p for p in SAMPLE_FILES if (BASE_CONTENT[p] or b"").endswith(b"\n")])
    )
    text = (BASE_CONTENT[path] or b"").decode("utf-8")
    lines = text.splitlines(keepends=True)
    new = list(lines)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(new)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        added = (
            draw(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30))
            + "\n"
        )
        if op == "insert" or not new:
            new.insert(at, added)
        elif op == "delete":
            del new[min(at, len(new) - 1)]
        else:
            new[min(at, len(new) - 1)] = added
    assume(new != lines)
    body = "".join(difflib.unified_diff(lines, new, f"a/{path}", f"b/{path}", n=3))
    return path, "".join(new).encode(), f"diff --git a/{path} b/{path}\n{body}"


@PROFILE
@given(edit=real_edit())
def test_real_edits_apply_to_exactly_the_edit(edit: tuple[str, bytes, str]) -> None:
    path, expected, diff = edit
    applied = apply_patches(BASE, [(1, diff)])
    assert applied.ok, applied.to_dict()
    assert applied.final.read_bytes(path) == expected
    assert BASE.read_bytes(path) == BASE_CONTENT[path]
