"""The Q1xx doc checks report what a series adds, never what the tree had.

QEMU 10.2.2's qapi/migration.json documents @multifd-qatzip-level before
@multifd-zstd-level in MigrationParameter and @zero-blocks first in
MigrationCapability, against their member order: a series that adds a
parameter at the end must not be blamed for that (Q105). A doc hunk that
fails, or lands in another definition's doc, is P001's finding, not a
missing doc section (Q101). Real-tree tests use REVIEW_QEMU_TREE.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE, git_out

from reviewtool.checks import qapi_checks as q
from reviewtool.checks.context import CheckContext
from reviewtool.checks.registry import REGISTRY, Hit
from reviewtool.location import TreeLocation
from reviewtool.mail.mbox import read_messages
from reviewtool.qapi import load_schema
from reviewtool.series import build_series
from reviewtool.tree import DirectoryTree

MIGRATION = "qapi/migration.json"
DOC_CODES = ("Q101", "Q102", "Q103", "Q104", "Q105", "Q106", "Q107")
Edit = Callable[[str], str]

# the end of the three doc blocks the parameters share in QEMU 10.2.2
CPR_DOC = (
    "# @cpr-exec-command: Command to start the new QEMU process when @mode\n"
    "#     is @cpr-exec.  The first list element is the program's filename,\n"
    "#     the remainder its arguments.  (Since 10.2)\n"
    "#\n"
)
KNOB_DOC = "# @example-knob: Enable the example knob.  (Since 11.0)\n#\n"
ENUM_END = "           'cpr-exec-command'] }"
STRUCT_END = "            '*cpr-exec-command': [ 'str' ]} }"


def _ctx(mail: Path, tree: Path) -> CheckContext:
    series = build_series(read_messages([str(mail)]).messages)
    return CheckContext(series, DirectoryTree(tree))


def _hits(ctx: CheckContext, codes: tuple[str, ...] = DOC_CODES) -> list[tuple[str, Hit]]:
    return [(code, h) for code in codes for h in REGISTRY[code].func(ctx)]


def _git(repo: Path, *args: str) -> str:
    return git_out(repo, *args, name="Ann Developer", email="ann@example.org")


def _patch_mail(qemu: Path, tmp: Path, edits: list[Edit]) -> Path:
    """A one-patch mbox changing qapi/migration.json of ``qemu`` by ``edits``
    (made in a copy under ``tmp``; the tree itself is never written)."""
    repo = tmp / "repo"
    (repo / "qapi").mkdir(parents=True)
    shutil.copyfile(qemu / MIGRATION, repo / MIGRATION)
    _git(repo, "init", "-q", "-b", "master")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    text = (repo / MIGRATION).read_text()
    for edit in edits:
        text = edit(text)
    (repo / MIGRATION).write_text(text)
    _git(repo, "commit", "-q", "-a", "-s", "-m", "migration: Add example-knob\n\nWhy.")
    out = tmp / "patch.mbox"
    out.write_text(_git(repo, "format-patch", "--stdout", "HEAD~1"))
    return out


def _add_knob_members(text: str) -> str:
    """example-knob at the end of the enum and of both structs."""
    assert text.count(ENUM_END) == 1 and text.count(STRUCT_END) == 2
    text = text.replace(ENUM_END, "           'cpr-exec-command', 'example-knob'] }")
    return text.replace(
        STRUCT_END,
        "            '*cpr-exec-command': [ 'str' ],\n            '*example-knob': 'bool' } }",
    )


def _doc_knob_last(text: str) -> str:
    """example-knob documented after cpr-exec-command in all three doc blocks."""
    assert text.count(CPR_DOC) == 3
    return text.replace(CPR_DOC, CPR_DOC + KNOB_DOC)


def _doc_knob_early_in_struct(text: str) -> str:
    """Like _doc_knob_last, but MigrationParameters documents example-knob
    before cpr-exec-command (declared after it)."""
    text = _doc_knob_last(text)
    struct = text.index("# @MigrationParameters:")
    head, tail = text[:struct], text[struct:]
    tail = tail.replace(CPR_DOC + KNOB_DOC, KNOB_DOC + CPR_DOC, 1)
    return head + tail


# -- Q105 without a tree: the rule ----------------------------------------------


def _write_schema(root: Path, body: str) -> DirectoryTree:
    (root / "qapi").mkdir(parents=True)
    (root / "qapi" / "qapi-schema.json").write_text(
        "{ 'pragma': { 'doc-required': true } }\n" + body
    )
    return DirectoryTree(root)


def _struct(doc_order: str, members: str) -> str:
    doc = "".join(f"# @{n}: member {n}\n#\n" for n in doc_order.split())
    data = ", ".join(f"'{n}': 'int'" for n in members.split())
    return (
        f"##\n# @Knobs:\n#\n{doc}# Since: 1.0\n##\n{{ 'struct': 'Knobs', 'data': {{ {data} }} }}\n"
    )


@pytest.mark.parametrize(
    ("before", "after", "misplaced"),
    [
        # an old disorder (b before a) stays, a new member at the end: nothing new
        (("b a", "a b"), ("b a c", "a b c"), []),
        # the same, but the new member is documented first
        (("b a", "a b"), ("c b a", "a b c"), [("c", "b")]),
        # a new member put right before a section that was always late:
        # in place among the others (QEMU's MigrationInfo and @vfio)
        (("a c d b", "a b c d"), ("a c e d b", "a b c e d"), []),
        # the same member documented after its successor
        (("a c d b", "a b c d"), ("a c d e b", "a b c e d"), [("e", "d")]),
        # an existing section moved out of place
        (("a b c", "a b c"), ("b c a", "a b c"), [("a", "c")]),
        # members reordered in 'data' while the doc stays (a swap: either
        # section is a fair blame, the order diff picks the first)
        (("a b", "a b"), ("a b", "b a"), [("a", "b")]),
        # a new definition: every disorder counts
        (None, ("b a", "a b"), [("a", "b")]),
        # the patch fixes the old disorder
        (("b a", "a b"), ("a b", "a b"), []),
        # the patch makes an old disorder worse with a tree section: blamed is the moved one
        (("b a c", "a b c"), ("c b a", "a b c"), [("c", "b")]),
    ],
)
def test_misplaced_doc_sections(
    tmp_path: Path,
    before: tuple[str, str] | None,
    after: tuple[str, str],
    misplaced: list[tuple[str, str]],
) -> None:
    old = None
    if before is not None:
        old = load_schema(_write_schema(tmp_path / "a", _struct(*before))).lookup("Knobs")
    new = load_schema(_write_schema(tmp_path / "b", _struct(*after))).lookup("Knobs")
    assert new is not None
    assert q.misplaced_doc_sections(old, new) == misplaced
    if before is not None and before[0] == after[0] and before[1] == after[1]:
        assert misplaced == []


def test_q105_fixture_still_flags_the_new_member() -> None:
    ctx = _ctx(
        Path(__file__).parent / "checks/fixtures/Q105/flagged-doc-out-of-order.mbox", SAMPLE_TREE
    )
    (hit,) = REGISTRY["Q105"].func(ctx)
    assert hit.extra["member"] == "example-flag"
    assert hit.extra["other_member"] == "cpr-exec-command"
    assert hit.patch == 1 and hit.introduced_by is not None
    assert "'@example-flag' is documented before '@cpr-exec-command'" in hit.message


def test_seed_on_sample_tree_keeps_its_true_positives() -> None:
    ctx = _ctx(SEED_SAMPLE, SAMPLE_TREE)
    found = _hits(ctx)
    assert [(c, h.extra["word"]) for c, h in found] == [("Q106", "migraton")]
    q108 = [h for p in ctx.series.patches for h in REGISTRY["Q108"].func(ctx, p)]
    assert [h.extra["rule"] for h in q108] == ["two-spaces"] * 3


def test_q101_no_noise_from_failed_doc_hunk(shared: Path) -> None:
    """d-for-8.2 patch 2 on the sample tree: its doc hunk fails (P001) and
    only the struct member lands; that is not a missing doc section."""
    mail = shared / "corpus" / "d-for-8.2-v2-max-switchover-bandwidth.mbox"
    if not mail.is_file():
        pytest.skip(f"{mail.name} absent")
    ctx = _ctx(mail, SAMPLE_TREE)
    patch = ctx.applied.patch(2)
    assert patch is not None and not patch.ok
    diff = ctx.schema_diff()
    assert diff is not None
    assert [m.member for m in diff.added_members if m.doc is None] == ["max-switchover-bandwidth"]
    assert list(REGISTRY["Q101"].func(ctx)) == []


# -- real tree -----------------------------------------------------------------


@pytest.mark.real_tree
def test_parameter_at_the_end_is_clean(qemu_tree: Path, tmp_path: Path) -> None:
    """The reviewer's case: a documented parameter at the end of the enum and
    both structs; the tree's own doc disorder is not reported."""
    mail = _patch_mail(qemu_tree, tmp_path, [_add_knob_members, _doc_knob_last])
    ctx = _ctx(mail, qemu_tree)
    assert ctx.applied.ok
    base = load_schema(DirectoryTree(qemu_tree))
    # the disorder is there in the base, and unchanged after the patch
    assert ("multifd-qatzip-level", "multifd-zstd-level") in q._doc_inversions(
        base.lookup("MigrationParameter")
    )
    assert _hits(ctx) == []


@pytest.mark.real_tree
def test_new_member_documented_out_of_order(qemu_tree: Path, tmp_path: Path) -> None:
    mail = _patch_mail(qemu_tree, tmp_path, [_add_knob_members, _doc_knob_early_in_struct])
    ctx = _ctx(mail, qemu_tree)
    found = _hits(ctx)
    assert [(c, h.extra["definition"], h.extra["member"]) for c, h in found] == [
        ("Q105", "MigrationParameters", "example-knob")
    ]
    hit = found[0][1]
    assert isinstance(hit.at, TreeLocation) and hit.at.path == MIGRATION
    assert hit.introduced_by is not None and hit.introduced_by.patch == 1


@pytest.mark.real_tree
def test_moved_doc_section_is_flagged(qemu_tree: Path, tmp_path: Path) -> None:
    """No member added: the patch moves @direct-io's section after
    @cpr-exec-command in MigrateSetParameters."""
    direct_io = (
        "# @direct-io: Open migration files with O_DIRECT when possible.  This\n"
        "#     only has effect if the @mapped-ram capability is enabled.\n"
        "#     (Since 9.1)\n"
        "#\n"
    )

    def move(text: str) -> str:
        at = text.index("# @MigrateSetParameters:")
        head, tail = text[:at], text[at:]
        assert tail.startswith("# @MigrateSetParameters:") and direct_io + CPR_DOC in tail
        return head + tail.replace(direct_io + CPR_DOC, CPR_DOC + direct_io, 1)

    ctx = _ctx(_patch_mail(qemu_tree, tmp_path, [move]), qemu_tree)
    found = _hits(ctx)
    assert [(c, h.extra["definition"], h.extra["member"]) for c, h in found] == [
        ("Q105", "MigrateSetParameters", "direct-io")
    ]


@pytest.mark.real_tree
def test_doc_edit_in_disordered_definition_is_clean(qemu_tree: Path, tmp_path: Path) -> None:
    """A reworded line in MigrationParameter's doc (its old disorder stays)."""

    def reword(text: str) -> str:
        old = "# @MigrationParameter:\n#\n# Migration parameters enumeration\n"
        assert text.count(old) == 1
        return text.replace(old, "# @MigrationParameter:\n#\n# Migration parameters enumeration.\n")

    ctx = _ctx(_patch_mail(qemu_tree, tmp_path, [reword]), qemu_tree)
    assert ctx.schema_diff() is not None and not ctx.schema_diff().is_empty  # type: ignore[union-attr]
    assert _hits(ctx) == []


@pytest.mark.real_tree
def test_undocumented_member_still_flagged(qemu_tree: Path, tmp_path: Path) -> None:
    """A patch that applies and leaves a member undocumented keeps its Q101."""
    ctx = _ctx(_patch_mail(qemu_tree, tmp_path, [_add_knob_members]), qemu_tree)
    assert ctx.applied.ok
    found = [(c, h.extra["definition"]) for c, h in _hits(ctx, ("Q101",))]
    assert found == [
        ("Q101", "MigrationParameter"),
        ("Q101", "MigrateSetParameters"),
        ("Q101", "MigrationParameters"),
    ]


@pytest.mark.real_tree
def test_seed_on_real_tree(qemu_tree: Path) -> None:
    """The seed (written for 11.0 development) on 10.2.2: its enum hunk
    fails and its doc hunk lands in the enum's doc; only the typo and the
    single spaces are the author's, no Q101 or Q105."""
    ctx = _ctx(SEED_SAMPLE, qemu_tree)
    assert [(c, h.extra.get("word")) for c, h in _hits(ctx)] == [("Q106", "migraton")]
    q108 = [h for p in ctx.series.patches for h in REGISTRY["Q108"].func(ctx, p)]
    assert [h.extra["rule"] for h in q108] == ["two-spaces"] * 3


@pytest.mark.real_tree
def test_corpus_rfc_capability_on_real_tree(qemu_tree: Path, shared: Path) -> None:
    """virtio-iterative (10.1 development) on 10.2.2: its (Since 10.1) is
    flagged, MigrationCapability's old @zero-blocks disorder is not."""
    mail = shared / "corpus" / "d-rfc-virtio-iterative-migration.mbox"
    if not mail.is_file():
        pytest.skip(f"{mail.name} absent")
    found = _hits(_ctx(mail, qemu_tree))
    assert [(c, h.extra["member"]) for c, h in found] == [("Q103", "virtio-iterative")]


@pytest.mark.real_tree
def test_keepalive_on_its_10_0_tree(shared: Path) -> None:
    """postcopy-rp-keepalive-period on the 10.0 tree it was written for
    (REVIEW_QEMU_10_0_TREE): the three '(Since 9.3)' are flagged, the enum's
    old doc disorder is not."""
    value = os.environ.get("REVIEW_QEMU_10_0_TREE")
    if not value or not Path(value, "VERSION").read_text().startswith("10.0."):
        pytest.skip("REVIEW_QEMU_10_0_TREE is not set to a QEMU 10.0 tree")
    mail = shared / "corpus" / "d-single-patch-migration-param-postcopy-keepalive.mbox"
    if not mail.is_file():
        pytest.skip(f"{mail.name} absent")
    found = _hits(_ctx(mail, Path(value)))
    assert [(c, h.extra["since"]) for c, h in found] == [("Q103", "9.3")] * 3


# -- Q106 ------------------------------------------------------------------------

NON_VCPU_DOC = (
    "# @postcopy-non-vcpu-latency: average remote page fault latency for\n"
    "#     all faults happend in non-vCPU threads (in ns).  It has the same\n"
    "#     definition of @postcopy-latency but this only provides\n"
    "#     statistics to non-vCPU faults.  This is only present when the\n"
    "#     postcopy-blocktime migration capability is enabled.\n"
    "#     (Since 10.1)\n"
    "#\n"
)
NON_VCPU_MEMBER = (
    "           '*postcopy-non-vcpu-latency': {\n"
    "               'type': 'uint64', 'features': [ 'unstable' ] },\n"
)


def _move_non_vcpu_latency(text: str) -> str:
    """Move @postcopy-non-vcpu-latency, doc and all, out of MigrationInfo
    into a new struct; its doc keeps the tree's typo 'happend'."""
    assert text.count(NON_VCPU_DOC) == 1 and text.count(NON_VCPU_MEMBER) == 1
    text = text.replace(
        NON_VCPU_DOC,
        "# @postcopy-latency-stats: fault latency statistics.  (Since 11.0)\n#\n",
    )
    text = text.replace(
        NON_VCPU_MEMBER, "           '*postcopy-latency-stats': 'PostcopyLatencyStats',\n"
    )
    new_struct = (
        "##\n# @PostcopyLatencyStats:\n#\n# Remote page fault latency statistics.\n#\n"
        + NON_VCPU_DOC
        + "# Since: 11.0\n##\n"
        "{ 'struct': 'PostcopyLatencyStats',\n"
        "  'data': { 'postcopy-non-vcpu-latency': 'uint64' } }\n\n"
    )
    return _before(text, "##\n# @MigrationInfo:\n", new_struct)


def _before(text: str, anchor: str, snippet: str) -> str:
    assert text.count(anchor) == 1, anchor
    at = text.index(anchor)
    return text[:at] + snippet + text[at:]


@pytest.mark.real_tree
def test_moved_doc_text_keeps_its_old_typo_unreported(qemu_tree: Path, tmp_path: Path) -> None:
    ctx = _ctx(_patch_mail(qemu_tree, tmp_path, [_move_non_vcpu_latency]), qemu_tree)
    assert ctx.applied.ok
    diff = ctx.schema_diff()
    assert diff is not None and [a.name for a in diff.added] == ["PostcopyLatencyStats"]
    assert _hits(ctx) == []


@pytest.mark.real_tree
def test_typo_in_new_text_still_flagged(qemu_tree: Path, tmp_path: Path) -> None:
    def typo(text: str) -> str:
        text = _move_non_vcpu_latency(text)
        return text.replace(
            "# Remote page fault latency statistics.\n",
            "# Remote page fault latency statistics of the migraton.\n",
        )

    ctx = _ctx(_patch_mail(qemu_tree, tmp_path, [typo]), qemu_tree)
    found = _hits(ctx)
    assert [(c, h.extra["word"]) for c, h in found] == [("Q106", "migraton")]
