"""Q108 (qapi-doc-line-format) and Q109 (qapi-unknown-type), from
checks/qapi_doc_format.py: unit tests of the rules, the seed and the fixture
mails against the bundled sample tree, and agreement with QEMU 10.2.2's own
generator on a real tree (REVIEW_QEMU_TREE; skipped when unset)."""

from __future__ import annotations

import dataclasses
import difflib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE

from reviewtool.checks import qapi_doc_format as f
from reviewtool.checks.context import CheckContext
from reviewtool.checks.registry import REGISTRY, Hit
from reviewtool.errors import InputError
from reviewtool.location import DiffLocation, TreeLocation
from reviewtool.mail.mbox import read_messages
from reviewtool.qapi import SCHEMA_ROOTS, load_schema
from reviewtool.series import build_series
from reviewtool.tree import DirectoryTree, Tree

FIXTURES = Path(__file__).resolve().parent / "checks" / "fixtures"
Q108_OK = FIXTURES / "Q108" / "ok-two-spaces.mbox"
Q108_SPACE = FIXTURES / "Q108" / "flagged-single-space.mbox"
Q108_LONG = FIXTURES / "Q108" / "flagged-long-line.mbox"
Q109_OK = FIXTURES / "Q109" / "ok-known-types.mbox"
Q109_BAD = FIXTURES / "Q109" / "flagged-unknown-type.mbox"
MIGRATION = "qapi/migration.json"


def _sample() -> Tree:
    return DirectoryTree(SAMPLE_TREE)


def _ctx(mail: Path, base: Tree | None = None) -> CheckContext:
    series = build_series(read_messages([str(mail)]).messages)
    return CheckContext(series, base or _sample())


def _q108(ctx: CheckContext) -> list[Hit]:
    return [h for p in ctx.series.patches for h in REGISTRY["Q108"].func(ctx, p)]


def _q109(ctx: CheckContext) -> list[Hit]:
    return list(REGISTRY["Q109"].func(ctx))


def _doc_line(text: str) -> f.DocLine:
    return f.DocLine(1, text, 1, None, None)


def _problems(text: str) -> list[tuple[str, int]]:
    rules = f.load_doc_format_rules()
    return [(p.rule, p.column) for p in f.doc_line_problems(_doc_line(text), rules)]


# -- the data file -------------------------------------------------------------


def test_rules_file() -> None:
    rules = f.load_doc_format_rules()
    assert rules.min_version == (10, 2, 0)
    assert rules.max_columns == 70
    assert rules.parser_path == "scripts/qapi/parser.py"
    assert set(rules.enforced_if) == {"line-length", "two-spaces"}
    assert rules.is_schema_file("qapi/migration.json")
    assert rules.is_schema_file("qga/qapi-schema.json")
    assert rules.is_schema_file("docs/interop/firmware.json")
    # the generator's own test cases break the rules on purpose
    assert not rules.is_schema_file("tests/qapi-schema/doc-long-line.json")
    assert not rules.is_schema_file("qapi/migration.c")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("min_version = '10.2'\nparser_path = 'p'\nschema_paths = []\n", "KeyError('rules')"),
        ("min_version = 'ten'\nparser_path = 'p'\nschema_paths = []\n[rules]\n", "not a version"),
        ("min_version = = 1\n", "bad QAPI doc format rules"),
        (
            "min_version = '1.0'\nparser_path = 'p'\nschema_paths = []\n"
            "[rules.nope]\nenforced_if = 'x'\n",
            "unknown rules ['nope']",
        ),
    ],
)
def test_bad_rules_file(text: str, problem: str) -> None:
    with pytest.raises(InputError) as e:
        f.parse_doc_format_rules(text, "rules/x.toml")
    assert str(e.value).startswith("rules/x.toml: ") and problem in str(e.value)


def test_rules_file_is_not_a_threading_pack() -> None:
    from reviewtool.checks.threading_rules import load_packs

    assert all(p.name.startswith("qemu-") for p in load_packs())


# -- which trees enforce the rules ---------------------------------------------

_BOTH = frozenset({"line-length", "two-spaces"})


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, _BOTH),  # the sample tree: no scripts/, VERSION 10.2.50
        ({"VERSION": b"10.2.0\n"}, _BOTH),
        ({"VERSION": b"10.1.90\n"}, frozenset()),  # 10.2 release candidates: not verified
        ({"VERSION": b"9.2.0\n"}, frozenset()),
        ({"VERSION": b"11\n"}, _BOTH),
        ({"VERSION": None}, frozenset()),  # no version: cannot tell, stay quiet
        ({"VERSION": b"junk\n"}, frozenset()),
        # a generator in the tree decides, whatever VERSION says
        (
            {
                "scripts/qapi/parser.py": b'raise E("documentation line longer than 70 characters")'
                b'\nraise E("Use two spaces between sentences\\n")\n',
                "VERSION": b"9.0.0\n",
            },
            _BOTH,
        ),
        (
            {"scripts/qapi/parser.py": b'raise E("Use two spaces between sentences")\n'},
            frozenset({"two-spaces"}),
        ),
        ({"scripts/qapi/parser.py": b"# an older generator\n"}, frozenset()),
    ],
)
def test_enforced_rules(changes: dict[str, bytes | None], expected: frozenset[str]) -> None:
    tree = _sample().overlay(changes)
    assert f.enforced_rules(tree, f.load_doc_format_rules()) == expected


def test_real_tree_enforces_both(qemu_tree: Path) -> None:
    tree = DirectoryTree(qemu_tree)
    assert f.enforced_rules(tree, f.load_doc_format_rules()) == _BOTH


# -- one doc line --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the seed's three single-space breaks (QEMU: migration.json:342:19)
        ("    supports it. In general that means that backend state and its", [("two-spaces", 19)]),
        ("    channel (which must be a UNIX socket). Individual devices", [("two-spaces", 45)]),
        ("    backend-transfer option. (Since 11.0)", [("two-spaces", 31)]),
        ("    supports it.  In general", []),
        ("Really? Yes.", [("two-spaces", 10)]),
        ("Stop! Now.", [("two-spaces", 8)]),
        ("Released in 2. 3 is next", [("two-spaces", 17)]),  # a digit follows
        ("see e.g. Foo for details", []),  # "e.g." is not a sentence end
        ("1. First item", []),  # numbered list items
        ("    2. Second item", []),
        ("12. Twelfth item", [("two-spaces", 6)]),  # only one digit counts as an item
        ("a vs. b, i.e. foo", []),  # lower case after the stop
        ("ends here.", []),
        ("x. y. Z", [("two-spaces", 8)]),  # the first break after a capital
        ("one. Two. Three", [("two-spaces", 7)]),  # one finding per line, the first
        ("x" * 68, []),  # 70 columns with "# "
        ("x" * 69, [("line-length", 71)]),
        ("    https://www.qemu.org/docs/master/system/devices/" + "x" * 40, []),  # URL alone
        ("see https://www.qemu.org/docs/master/system/devices/" + "x" * 40, [("line-length", 71)]),
        ("Long. Y" + "y" * 70, [("line-length", 71), ("two-spaces", 8)]),
    ],
)
def test_doc_line_problems(text: str, expected: list[tuple[str, int]]) -> None:
    assert _problems(text) == expected


def test_only_enforced_rules_apply() -> None:
    rules = f.load_doc_format_rules()
    line = _doc_line("Long. Y" + "y" * 70)
    assert [p.rule for p in f.doc_line_problems(line, rules, {"two-spaces"})] == ["two-spaces"]
    assert f.doc_line_problems(line, rules, ()) == []


def test_messages_name_the_spot() -> None:
    rules = f.load_doc_format_rules()
    (space,) = f.doc_line_problems(_doc_line("    supports it. In general"), rules)
    assert space.message == "Use two spaces between sentences (column 19: 'it. In')"
    (long,) = f.doc_line_problems(_doc_line("z" * 73), rules)
    assert long.message == (
        "documentation line longer than 70 characters (75; column 71 is past the limit)"
    )


# -- which lines of a file are doc lines ---------------------------------------

SCHEMA_TEXT = """\
# Not a doc comment. Single spaces are fine here, and long lines too: xxxxxxxxxxxxxxxxx
##
# = Section heading. Free-form doc
##

##
# @Foo:
#
# Body text.  Example::
#
#   text after Example:: is checked. Yes
#
# ::
#
#     literal. Not checked xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
#       deeper. Still literal
#
#   back at a smaller indent. Checked
#
# @a: member a. Checked
#
# @b: member b.
#
# .. qmp-example::
#
#    -> { "execute": "foo" }. Literal
#
# Since: 1.0. Checked
##
{ 'struct': 'Foo', 'data': { 'a': 'int', 'b': 'int' } }

##
# @Bar:
#
# ::
#
# unindented literal. Runs to the end of the comment
#     x. Y
##
{ 'struct': 'Bar', 'data': {} }
"""


def test_scan_doc_lines() -> None:
    lines = {d.line: d for d in f.scan_doc_lines(SCHEMA_TEXT)}
    problems = f.doc_format_problems(SCHEMA_TEXT)
    flagged = [(p.doc_line.line, p.rule, p.doc_line.member) for p in problems]
    assert flagged == [
        (3, "two-spaces", None),  # free-form doc comments are checked too
        (11, "two-spaces", None),  # "Example::" does not start a literal block
        (18, "two-spaces", None),  # the literal block ended at the de-indent
        (20, "two-spaces", "a"),
        (28, "two-spaces", None),  # a tagged section ends member b's
    ]
    assert 1 not in lines  # a plain comment
    assert 15 not in lines and 16 not in lines  # literal
    assert 26 not in lines  # qmp-example literal
    assert 37 not in lines and 38 not in lines  # unindented literal: to the end
    assert lines[7].definition == "Foo" and lines[22].member == "b"
    assert lines[20].definition == "Foo" and lines[3].definition is None


@pytest.mark.real_tree
def test_scan_agrees_with_qemu_generator(qemu_tree: Path, tmp_path: Path) -> None:
    """QEMU's generator complains about exactly the lines we flag in
    SCHEMA_TEXT (literal blocks, free-form comments, plain comments)."""
    (tmp_path / "empty").mkdir()
    tree = DirectoryTree(tmp_path / "empty").overlay(
        {"qapi/qapi-schema.json": SCHEMA_TEXT.encode()}
    )
    work = tmp_path / "work"
    work.mkdir()
    theirs = _generator_complaints(qemu_tree, tree, work)
    ours = [
        ("qapi/qapi-schema.json", p.doc_line.line, p.rule, p.column)
        for p in f.doc_format_problems(SCHEMA_TEXT)
    ]
    assert len(ours) == 5 and theirs == ours


def test_scan_skips_blank_and_broken_lines() -> None:
    text = "##\n# @Foo:\n\n# x. Y\n#bad. Line\n{ 'x': 1 }\n# after. The end\n##\n"
    assert [(d.line, d.text) for d in f.scan_doc_lines(text)] == [(2, "@Foo:"), (4, "x. Y")]


# -- Q108 on the seed and the fixtures -----------------------------------------


def test_seed_single_spaces() -> None:
    ctx = _ctx(SEED_SAMPLE)
    hits = _q108(ctx)
    assert [(h.at, h.extra["column"]) for h in hits] == [
        (TreeLocation(MIGRATION, 342), 19),
        (TreeLocation(MIGRATION, 344), 45),
        (TreeLocation(MIGRATION, 346), 31),
    ]
    for hit, diff_line in zip(hits, (95, 97, 99), strict=True):
        assert hit.patch == 3
        assert hit.message.startswith("Use two spaces between sentences (column ")
        assert hit.extra["rule"] == "two-spaces"
        assert hit.extra["member"] == "backend-transfer"
        assert hit.extra["definition"] == "MigrationParameters"
        assert isinstance(hit.introduced_by, DiffLocation)
        assert hit.introduced_by.patch == 3 and hit.introduced_by.diff_line == diff_line
    # the lines are the seed's: the diff line's text is the post-image line
    post = (ctx.tree_after(3).read_text(MIGRATION) or "").split("\n")
    diff_text = {line.diff_line: line.text for h in ctx.diffs(3)[2].hunks for line in h.lines}
    for hit in hits:
        assert isinstance(hit.at, TreeLocation) and hit.at.line is not None
        assert hit.introduced_by is not None
        assert post[hit.at.line - 1] == diff_text[hit.introduced_by.diff_line]


def test_seed_not_flagged_on_an_older_tree() -> None:
    older = _sample().overlay({"VERSION": b"10.1.0\n"})
    assert _q108(_ctx(SEED_SAMPLE, older)) == []
    generator = _sample().overlay({"scripts/qapi/parser.py": b"# no line checks yet\n"})
    assert _q108(_ctx(SEED_SAMPLE, generator)) == []


@pytest.mark.parametrize(
    ("mail", "expected"),
    [
        (Q108_OK, []),
        (Q108_SPACE, [(342, "two-spaces", 17)]),
        (Q108_LONG, [(341, "line-length", 71)]),
    ],
)
def test_fixtures(mail: Path, expected: list[tuple[int, str, int]]) -> None:
    hits = _q108(_ctx(mail))
    found = []
    for h in hits:
        assert isinstance(h.at, TreeLocation) and h.at.path == MIGRATION
        assert h.extra["member"] == "example-flag" and h.patch == 1
        found.append((h.at.line, h.extra["rule"], h.extra["column"]))
    assert found == expected


def test_only_added_lines_are_flagged() -> None:
    """A single space already in the base tree is not the patch's doing."""
    text = _sample().read_text(MIGRATION) or ""
    old = "# Change migration parameters.  Members left out"
    assert old in text
    base = _sample().overlay(
        {MIGRATION: text.replace(old, "# Change migration parameters. Members left out").encode()}
    )
    assert f.doc_format_problems(base.read_text(MIGRATION) or "") != []
    assert _q108(_ctx(Q108_OK, base)) == []
    assert [h.extra["column"] for h in _q108(_ctx(Q108_SPACE, base))] == [17]


# -- Q108 against QEMU's generator ----------------------------------------------

# "tree/qapi/migration.json:342:19: Use two spaces between sentences"
_QAPI_ERROR_RE = re.compile(
    r"^(?P<path>\S+?\.json):(?P<line>\d+):(?:(?P<col>\d+):)? (?P<msg>.+)$", re.M
)


def _write_tree(tree: Tree, dest: Path) -> None:
    """The schema files of ``tree`` (``qapi/``, all the generator reads) into ``dest``."""
    for path in tree.iter_files("qapi/"):
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(tree.read_bytes(path) or b"")


def _run_generator(qemu: Path, work: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(qemu / "scripts" / "qapi-gen.py"),
            "-o",
            str(work / "out"),
            str(work / "tree" / "qapi" / "qapi-schema.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=work,
    )


def _generator_complaints(qemu: Path, tree: Tree, work: Path) -> list[tuple[str, int, str, int]]:
    """Every doc format error QEMU's generator reports on ``tree``: it stops
    at the first, so fix each one in a scratch copy and run it again.
    ``(path, line, rule, column)``; the column is the generator's for
    two-spaces and 71 for line-length (the generator says column 1)."""
    _write_tree(tree, work / "tree")
    found = []
    for _ in range(50):
        run = _run_generator(qemu, work)
        if run.returncode == 0:
            return found
        m = _QAPI_ERROR_RE.search(run.stderr)
        assert m is not None, run.stderr
        path = Path(m["path"]).resolve().relative_to((work / "tree").resolve()).as_posix()
        line, msg = int(m["line"]), m["msg"]
        file = work / "tree" / path
        lines = file.read_text().split("\n")
        text = lines[line - 1]
        if msg.startswith("Use two spaces between sentences"):
            col = int(m["col"])
            found.append((path, line, "two-spaces", col))
            # the column is the space after the stop: make the stop a comma
            # (inserting a space could make the line too long)
            lines[line - 1] = text[: col - 2] + "," + text[col - 1 :]
        elif msg.startswith("documentation line longer than 70 characters"):
            found.append((path, line, "line-length", 71))
            lines[line - 1] = text[:70].rstrip()
        else:
            pytest.fail(f"the generator failed for another reason: {run.stderr}")
        file.write_text("\n".join(lines))
    pytest.fail("the generator kept failing")


@pytest.mark.real_tree
@pytest.mark.parametrize(
    "mail", [SEED_SAMPLE, Q108_OK, Q108_SPACE, Q108_LONG], ids=lambda p: p.name
)
def test_agrees_with_qemu_generator(qemu_tree: Path, tmp_path: Path, mail: Path) -> None:
    ctx = _ctx(mail)
    ours = sorted(
        (h.at.path, h.at.line, h.extra["rule"], h.extra["column"])
        for h in _q108(ctx)
        if isinstance(h.at, TreeLocation) and h.at.line is not None
    )
    theirs = sorted(_generator_complaints(qemu_tree, ctx.tree_after(-1), tmp_path))
    assert ours == theirs
    if mail == SEED_SAMPLE:
        assert theirs[0] == (MIGRATION, 342, "two-spaces", 19)


@pytest.mark.real_tree
@pytest.mark.corpus
def test_corpus_series_on_real_tree(qemu_tree: Path, shared: Path, tmp_path: Path) -> None:
    """A real 2025 RFC series (before the rule) on QEMU 10.2.2: we flag what
    the generator rejects, a 71-column line and two single spaces."""
    mbox = shared / "corpus" / "d-rfc-virtio-iterative-migration.mbox"
    if not mbox.is_file():
        pytest.skip(f"{mbox} is absent")
    ctx = _ctx(mbox, DirectoryTree(qemu_tree))
    ours = sorted(
        (h.at.path, h.at.line, h.extra["rule"], h.extra["column"])
        for h in _q108(ctx)
        if isinstance(h.at, TreeLocation) and h.at.line is not None
    )
    assert {rule for _, _, rule, _ in ours} == {"line-length", "two-spaces"}
    assert ours == sorted(_generator_complaints(qemu_tree, ctx.tree_after(-1), tmp_path))


@pytest.mark.real_tree
def test_real_schema_passes(qemu_tree: Path) -> None:
    """No doc line of QEMU 10.2.2's schemas breaks the rules (its generator
    accepts them), and there are enough lines for that to mean something."""
    rules = f.load_doc_format_rules()
    files = [
        p
        for p in sorted(qemu_tree.rglob("*.json"))
        if rules.is_schema_file(p.relative_to(qemu_tree).as_posix())
    ]
    assert len(files) >= 45
    scanned = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        scanned += sum(1 for _ in f.scan_doc_lines(text))
        assert f.doc_format_problems(text, rules) == [], path
    assert scanned > 10_000


@pytest.mark.real_tree
@pytest.mark.parametrize(
    ("case", "rule", "column"),
    [("doc-bad-space-between-sentences", "two-spaces", 47), ("doc-long-line", "line-length", 71)],
)
def test_qemu_negative_cases(qemu_tree: Path, case: str, rule: str, column: int) -> None:
    """QEMU's own generator tests for the rules: we flag the line its
    expected error names (and the same column for two-spaces)."""
    folder = qemu_tree / "tests" / "qapi-schema"
    err = (folder / f"{case}.err").read_text()
    m = _QAPI_ERROR_RE.search(err)
    assert m is not None
    problems = f.doc_format_problems((folder / f"{case}.json").read_text())
    assert [(p.doc_line.line, p.rule, p.column) for p in problems] == [
        (int(m["line"]), rule, column)
    ]
    if rule == "two-spaces":
        assert int(m["col"]) == column


# -- Q109 -------------------------------------------------------------------------


def test_builtin_types() -> None:
    assert {"str", "int", "uint8", "int64", "size", "bool", "null", "any", "QType"} <= (
        f.BUILTIN_TYPES
    )
    assert len(f.BUILTIN_TYPES) == 16
    schema = load_schema(_sample())
    loc = TreeLocation(MIGRATION, 1)
    for name in sorted(f.BUILTIN_TYPES):
        for written in (name, f"[{name}]"):
            assert f.resolve(schema, f.TypeRef("X", "member", "m", written, loc)) is None
    bad = f.resolve(schema, f.TypeRef("X", "member", "m", "[strr]", loc))
    assert bad is not None and bad.problem == "unknown type 'strr'"
    command = f.resolve(schema, f.TypeRef("X", "member", "m", "query-migrate-parameters", loc))
    assert command is not None
    assert (
        command.problem == "'query-migrate-parameters' is command 'query-migrate-parameters', "
        "not a type"
    )


def test_q109_fixtures() -> None:
    (hit,) = _q109(_ctx(Q109_BAD))
    assert hit.at == TreeLocation(MIGRATION, 379)
    assert hit.message == (
        "member 'example-flag' of struct 'MigrationParameters' uses unknown type 'ZeroPageDetecton'"
    )
    assert hit.patch == 1 and hit.introduced_by is not None and hit.introduced_by.patch == 1
    assert hit.extra == {
        "member": "example-flag",
        "definition": "MigrationParameters",
        "role": "member",
        "type": "ZeroPageDetecton",
        "root": "qapi/qapi-schema.json",
    }
    assert _q109(_ctx(Q109_OK)) == []
    assert _q109(_ctx(SEED_SAMPLE)) == []


def _patch_mail(subject: str, counter: str, msgid: str, diffs: list[tuple[str, str, str]]) -> str:
    """A patch mail whose diff turns each ``(path, before, after)``."""
    body = []
    for path, before, after in diffs:
        body.append(f"diff --git a/{path} b/{path}\n")
        body.extend(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                f"a/{path}",
                f"b/{path}",
            )
        )
    return (
        "From nobody Mon Mar  2 10:00:00 2026\n"
        "From: Jane Doe <jane@example.org>\n"
        f"Subject: [PATCH {counter}] {subject}\n"
        "Date: Mon, 2 Mar 2026 10:00:00 +0000\n"
        f"Message-ID: <{msgid}@example.org>\n"
        + ("" if counter.startswith("1/") else "In-Reply-To: <q109-1@example.org>\n")
        + "\nA test patch.\n\nSigned-off-by: Jane Doe <jane@example.org>\n---\n"
        + "".join(body)
        + "-- \n2.50.1\n\n"
    )


def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def _series(tmp_path: Path, *steps: list[tuple[str, str]]) -> CheckContext:
    """A series of patches to qapi/migration.json, each a list of replacements."""
    text = _sample().read_text(MIGRATION) or ""
    mails = []
    for n, step in enumerate(steps, start=1):
        after = text
        for old, new in step:
            after = _edit(after, old, new)
        mails.append(
            _patch_mail(f"step {n}", f"{n}/{len(steps)}", f"q109-{n}", [(MIGRATION, text, after)])
        )
        text = after
    mbox = tmp_path / "series.mbox"
    mbox.write_text("".join(mails))
    return _ctx(mbox)


def test_q109_changed_member_and_returns(tmp_path: Path) -> None:
    ctx = _series(
        tmp_path,
        [
            ("'*direct-io': 'bool',", "'*direct-io': 'boolean',"),
            ("'returns': 'MigrationParameters'", "'returns': 'MigrationParams'"),
        ],
    )
    hits = _q109(ctx)
    assert [h.message for h in hits] == [
        "member 'direct-io' of struct 'MigrationParameters' uses unknown type 'boolean'",
        "'returns' of command 'query-migrate-parameters' uses unknown type 'MigrationParams'",
    ]
    post = (ctx.tree_after(1).read_text(MIGRATION) or "").split("\n")
    for hit, needle in zip(hits, ("'boolean'", "'MigrationParams'"), strict=True):
        assert isinstance(hit.at, TreeLocation) and hit.at.line is not None
        assert needle in post[hit.at.line - 1]
        assert hit.patch == 1


def test_q109_new_definition_and_later_fix(tmp_path: Path) -> None:
    """Patch 1 uses a type only patch 2 adds: the build breaks at patch 1."""
    new_struct = (
        "\n##\n# @ExampleInfo:\n#\n# Example.\n#\n# @mode: the mode\n#\n# Since: 11.0\n##\n"
        "{ 'struct': 'ExampleInfo', 'base': 'ExampleBase',\n"
        "  'data': { 'mode': 'ExampleMode', 'list': ['MigMode'] } }\n"
    )
    example_mode = (
        "\n##\n# @ExampleMode:\n#\n# Since: 11.0\n##\n{ 'enum': 'ExampleMode', 'data': [] }\n"
    )
    ctx = _series(
        tmp_path,
        [("'cpr-exec-command'] }", "'cpr-exec-command'] }\n" + new_struct)],
        [("'cpr-exec-command'] }\n", "'cpr-exec-command'] }\n" + example_mode)],
    )
    hits = _q109(ctx)
    assert [(h.patch, h.extra["role"], h.extra["type"]) for h in hits] == [
        (1, "base", "ExampleBase"),
        (1, "member", "ExampleMode"),
    ]
    assert hits[0].message == "'base' of struct 'ExampleInfo' uses unknown type 'ExampleBase'"
    assert hits[1].message.endswith(
        "uses unknown type 'ExampleMode' (a later patch of the series defines it)"
    )
    post = (ctx.tree_after(1).read_text(MIGRATION) or "").split("\n")
    assert isinstance(hits[0].at, TreeLocation) and hits[0].at.line is not None
    assert "'base': 'ExampleBase'" in post[hits[0].at.line - 1]


@pytest.mark.real_tree
def test_q109_real_schemas_resolve(qemu_tree: Path) -> None:
    """Every type reference of QEMU 10.2.2's three schemas resolves, and a
    definition taken away makes exactly the references to it unknown."""
    tree = DirectoryTree(qemu_tree)
    total = 0
    for root in SCHEMA_ROOTS:
        schema = load_schema(tree, root)
        refs = [r for d in schema.definitions.values() for r in f.type_refs(d, tree)]
        total += len(refs)
        assert list(f.unknown_type_refs(schema, tree=tree)) == [], root
    assert total > 3000
    schema = load_schema(tree)
    gone = "ZeroPageDetection"
    without = dataclasses.replace(
        schema, definitions={n: d for n, d in schema.definitions.items() if n != gone}
    )
    unknown = list(f.unknown_type_refs(without, tree=tree))
    users = [
        (d.name, m.name)
        for d in schema.definitions.values()
        for m in d.members
        if m.type in (gone, f"[{gone}]")
    ]
    assert users and sorted((u.ref.definition, u.ref.name) for u in unknown) == sorted(users)
    assert all(u.problem == f"unknown type '{gone}'" for u in unknown)


@pytest.mark.real_tree
@pytest.mark.parametrize(("mail", "fails"), [(Q109_BAD, True), (Q109_OK, False)])
def test_q109_agrees_with_qemu_generator(
    qemu_tree: Path, tmp_path: Path, mail: Path, fails: bool
) -> None:
    ctx = _ctx(mail)
    _write_tree(ctx.tree_after(-1), tmp_path / "tree")
    run = _run_generator(qemu_tree, tmp_path)
    assert (run.returncode != 0) == fails, run.stderr
    assert bool(_q109(ctx)) == fails
    if fails:
        assert "uses unknown type 'ZeroPageDetecton'" in run.stderr
        assert "migration.json:379" in run.stderr or "migration.json:3" in run.stderr
