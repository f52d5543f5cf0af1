"""The Q### checks (checks/qapi_checks.py) run directly on a CheckContext, on
the seed and on the fixture mails, against the bundled sample tree."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE

from reviewtool.checks import qapi_checks as q
from reviewtool.checks import qapi_spelling as qs
from reviewtool.checks.context import CheckContext
from reviewtool.checks.registry import REGISTRY, Hit
from reviewtool.location import TreeLocation
from reviewtool.mail.mbox import read_messages
from reviewtool.qapi import load_schema
from reviewtool.series import build_series
from reviewtool.tree import DirectoryTree

FIXTURES = Path(__file__).resolve().parent / "checks" / "fixtures"
OK = FIXTURES / "common" / "ok-qapi-new-parameter.mbox"


def _ctx(mail: Path, tree: Path = SAMPLE_TREE) -> CheckContext:
    series = build_series(read_messages([str(mail)]).messages)
    return CheckContext(series, DirectoryTree(tree))


def _hits(code: str, mail: Path) -> list[Hit]:
    return list(REGISTRY[code].func(_ctx(mail)))


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("10.2.50\n", "11.0"),  # development after 10.2 -> 11.0
        ("10.1.50", "10.2"),
        ("10.0.50", "10.1"),
        ("10.1.90", "10.2"),  # release candidates of 10.2
        ("9.2.90", "10.0"),
        ("10.2.2", "11.0"),  # a stable tree: the next feature release
        ("10.1.0", "10.2"),
        ("junk", None),
        (None, None),
    ],
)
def test_expected_since(version: str | None, expected: str | None) -> None:
    assert q.expected_since(version) == expected


def test_all_q_checks_registered() -> None:
    assert {"Q001", "Q101", "Q102", "Q103", "Q104", "Q105", "Q106", "Q107"} <= set(REGISTRY)


def test_seed_only_flags_migraton() -> None:
    ctx = _ctx(SEED_SAMPLE)
    diff = ctx.schema_diff()
    assert diff is not None
    # the schema diff is exactly the new enum value and the new struct member
    assert [(m.kind, m.definition, m.member) for m in diff.added_members] == [
        ("enum", "MigrationParameter", "backend-transfer"),
        ("struct", "MigrationParameters", "backend-transfer"),
    ]
    assert diff.added == () and diff.removed == () and diff.changed == ()
    assert diff.removed_members == () and diff.changed_members == ()
    assert diff.doc_changes == () and diff.feature_changes == ()
    member = diff.added_members[1]
    assert member.since == "11.0" and member.doc is not None
    assert member.doc.startswith("Enable backend-transfer feature")
    found = Counter()
    for code in ("Q001", "Q101", "Q102", "Q103", "Q104", "Q105", "Q106", "Q107"):
        for hit in REGISTRY[code].func(ctx):
            found[code] += 1
            last = hit
    assert found == {"Q106": 1}
    assert "'migraton'" in last.message and "'migration'" in last.message
    assert last.patch == 3 and last.extra["member"] == "backend-transfer"
    assert last.introduced_by is not None and last.introduced_by.patch == 3
    assert last.at == TreeLocation("qapi/migration.json", 343)


def test_ok_fixture_is_clean() -> None:
    ctx = _ctx(OK)
    for code in ("Q001", "Q101", "Q102", "Q103", "Q104", "Q105", "Q106", "Q107"):
        assert list(REGISTRY[code].func(ctx)) == [], code


def test_q001_points_at_the_error() -> None:
    (hit,) = _hits("Q001", FIXTURES / "Q001" / "flagged-missing-comma.mbox")
    assert hit.patch == 1
    assert isinstance(hit.at, TreeLocation)
    assert hit.at.path == "qapi/migration.json" and hit.at.line == 233
    assert "expected ',' or ']'" in hit.message


def test_q101_names_the_member() -> None:
    hits = _hits("Q101", FIXTURES / "Q101" / "flagged-no-doc-section.mbox")
    # the enum is in 'documentation-exceptions': only the struct member counts
    assert [(h.extra["definition"], h.extra["member"]) for h in hits] == [
        ("MigrationParameters", "example-flag")
    ]
    assert hits[0].patch == 1


def test_q102_and_q103() -> None:
    (missing,) = _hits("Q102", FIXTURES / "Q102" / "flagged-no-since.mbox")
    assert "(Since 11.0)" in missing.message and missing.extra["expected"] == "11.0"
    (wrong,) = _hits("Q103", FIXTURES / "Q103" / "flagged-old-since.mbox")
    assert wrong.extra["since"] == "10.2" and wrong.extra["expected"] == "11.0"
    assert wrong.at == TreeLocation("qapi/migration.json", 341)


def test_q103_follows_the_tree_version(tmp_path: Path) -> None:
    # the same (Since 11.0) is wrong for a tree developing 10.2
    tree = tmp_path / "qemu"
    for p in SAMPLE_TREE.rglob("*"):
        if p.is_file():
            dest = tree / p.relative_to(SAMPLE_TREE)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(p.read_bytes())
    (tree / "VERSION").write_text("10.1.50\n")
    hits = list(q.qapi_member_since_wrong(_ctx(OK, tree)))
    assert [(h.extra["since"], h.extra["expected"]) for h in hits] == [("11.0", "10.2")]


def test_q104_new_command() -> None:
    (hit,) = _hits("Q104", FIXTURES / "Q104" / "flagged-new-command-no-since.mbox")
    assert "query-example" in hit.message and "Since: 11.0" in hit.message


def test_q105_doc_order() -> None:
    (hit,) = _hits("Q105", FIXTURES / "Q105" / "flagged-doc-out-of-order.mbox")
    assert hit.extra["member"] == "example-flag"


def test_q106_fixture() -> None:
    (hit,) = _hits("Q106", FIXTURES / "Q106" / "flagged-migraton.mbox")
    assert hit.extra["word"] == "migraton" and hit.extra["suggestion"] == "migration"


def test_spelling_rules() -> None:
    schema = load_schema(DirectoryTree(SAMPLE_TREE))
    vocab = qs._vocabulary(schema)
    assert vocab["migration"] >= 3
    assert qs._spelling("migraton", vocab) == "migration"
    assert qs._spelling("migration", vocab) is None
    assert qs._spelling("Migration", vocab) is None
    assert qs._spelling("destination", vocab) is None  # English, known to codespell
    assert qs._spelling("paramters", vocab) is not None  # a codespell misspelling
    assert qs._spelling("dev", vocab) is None  # too short


@pytest.mark.real_tree
def test_spelling_on_real_docs_is_quiet(qemu_tree: Path) -> None:
    """migration.json's own docs, as if new, against the rest of the schema's
    vocabulary: only a handful of words stand out, and the real typo
    'happend' is among them."""
    schema = load_schema(DirectoryTree(qemu_tree))
    target = "qapi/migration.json"
    vocab: Counter[str] = Counter()
    words = []
    for d in schema.definitions.values():
        if d.doc is None:
            continue
        for line in d.doc.text_lines:
            found = qs._WORD_RE.findall(line)
            if d.location.path == target:
                words.extend(found)
            else:
                vocab.update(w.lower() for w in found)
    flagged = {w for w in words if qs._spelling(w, vocab)}
    assert len(words) > 5000
    assert "happend" in flagged
    assert len(flagged) <= 5, flagged


@pytest.mark.parametrize(
    ("what", "name", "problem"),
    [
        ("member", "backend-transfer", None),
        ("member", "x-checkpoint-delay", None),
        ("member", "__com.redhat_foo-bar", None),  # downstream prefix
        ("member", "backend_transfer", "not '_'"),
        ("member", "BackendTransfer", "lower case"),
        ("member", "has-foo", "reserved"),
        ("member", "u", "reserved"),
        ("member", "q_foo", "reserved for the generator"),
        ("member", "3des", "start with a letter"),
        ("value", "3des", None),  # enum values may start with a digit
        ("value", "cpr-exec", None),
        ("type", "MigrationParameters", None),
        ("type", "QCryptoTLSCredsEndpoint", None),
        ("type", "migrationParameters", "CamelCase"),
        ("type", "MIGRATION", "CamelCase"),
        ("type", "FooList", "reserved for array types"),
        ("command", "migrate-set-parameters", None),
        ("command", "migrate_cancel", "not '_'"),
        ("event", "MIGRATION_PASS", None),
        ("event", "migration-pass", "ALL_CAPS"),
    ],
)
def test_name_problem(what: str, name: str, problem: str | None) -> None:
    got = q.name_problem(what, name)
    if problem is None:
        assert got is None
    else:
        assert got is not None and problem in got


def test_name_problem_pragma_exceptions() -> None:
    assert q.name_problem("command", "migrate_cancel", permit_underscore=True) is None
    assert q.name_problem("member", "VNC_x", permit_underscore=True, permit_upper=True) is None


def test_q107_fixture() -> None:
    hits = _hits("Q107", FIXTURES / "Q107" / "flagged-underscore-member.mbox")
    assert [(h.extra["definition"], h.extra["member"]) for h in hits] == [
        ("MigrationParameter", "example_flag"),
        ("MigrationParameters", "example_flag"),
    ]


@pytest.mark.real_tree
@pytest.mark.parametrize("root", ["qapi/qapi-schema.json", "qga/qapi-schema.json"])
def test_real_schema_follows_the_naming_rules(qemu_tree: Path, root: str) -> None:
    """No false positives: every name QEMU's generator accepts passes Q107's rules."""
    schema = load_schema(DirectoryTree(qemu_tree), root)
    members_ok = q._pragma_names(schema, "member-name-exceptions")
    commands_ok = q._pragma_names(schema, "command-name-exceptions")
    checked = 0
    for d in schema.definitions.values():
        what = {"command": "command", "event": "event"}.get(d.kind, "type")
        assert q.name_problem(what, d.name, permit_underscore=d.name in commands_ok) is None
        permit = d.name in members_ok
        for m in d.members:
            kind = "value" if d.kind == "enum" else "member"
            assert (
                q.name_problem(kind, m.name, permit_underscore=permit, permit_upper=permit) is None
            ), (
                d.name,
                m.name,
            )
            checked += 1
    assert checked > 200
