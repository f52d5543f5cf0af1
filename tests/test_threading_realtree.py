"""The threading check on a real QEMU tree (REVIEW_QEMU_TREE=/tmp/qemu-10.2.2).

10.2.2 has the 8.1-10.2 layout. Parameters added at every site give no
finding; every existing parameter and capability, checked as if it were new
(left out of the "existing" members, so that the sites are inferred from the
others), reports only the tree's known gaps, listed below with the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from threading_build import NewParam, series_mbox, thread_parameter

from reviewtool.checks.threading import (
    Snapshot,
    infer_sites,
    thread_member,
    watched_members,
)
from reviewtool.checks.threading_rules import choose_packs, load_packs
from reviewtool.pipeline import ReviewOptions, review
from reviewtool.qapi import load_schema
from reviewtool.tree import DirectoryTree, Tree

pytestmark = pytest.mark.real_tree

X_CODES = ("X101", "X102", "X103", "X110")

# (member, site id) -> why 10.2.2 lacks it (../shared/docs/qemu-migration-threading.md §1.1, §2)
KNOWN_PARAMETER_GAPS = {
    # never printed by HMP info (5.0 / 9.2): a real gap
    ("multifd-zlib-level", "hmp-info"): "expected",
    ("multifd-zstd-level", "hmp-info"): "expected",
    ("multifd-qatzip-level", "hmp-info"): "expected",
    # no has_ line in migrate_params_init since 8.2: a real gap
    ("avail-switchover-bandwidth", "init"): "expected",
    # left out on purpose: absent until the user sets it
    ("block-bitmap-mapping", "init"): "expected",
    # its HMP case only reports that HMP cannot set it: no has_ there
    ("block-bitmap-mapping", "hmp-set-has"): "expected",
    # bool without a qdev property
    ("direct-io", "qdev-property"): "expected",
    # unbounded: no range check ("always positive")
    ("x-checkpoint-delay", "check"): "convention",
    ("max-postcopy-bandwidth", "check"): "convention",
    # no getter (read through migrate_announce_params() or directly); a missing
    # prototype is implied by the missing getter and not reported on its own
    **{(f"announce-{x}", "getter"): "convention" for x in ("initial", "max", "rounds", "step")},
    ("vcpu-dirty-limit", "getter"): "convention",
    ("cpr-exec-command", "getter"): "convention",
    # no qtest exercises these
    **{
        (m, "qtest"): "convention"
        for m in (
            "announce-initial",
            "announce-max",
            "announce-rounds",
            "announce-step",
            "throttle-trigger-threshold",
            "cpu-throttle-tailslow",
            "avail-switchover-bandwidth",
            "x-checkpoint-delay",
            "block-bitmap-mapping",
        )
    },
}

KNOWN_CAPABILITY_GAPS = {
    # no DEFINE_PROP_MIG_CAP
    **{
        (m, "qdev-property"): "expected"
        for m in (
            "pause-before-switchover",
            "dirty-bitmaps",
            "late-block-activate",
            "x-ignore-shared",
            "validate-uuid",
        )
    },
    # deprecated, no getter
    ("zero-blocks", "getter"): "expected",
    # no qtest
    **{
        (m, "qtest"): "convention"
        for m in (
            "rdma-pin-all",
            "zero-blocks",
            "x-colo",
            "release-ram",
            "dirty-bitmaps",
            "late-block-activate",
            "background-snapshot",
            "zero-copy-send",
        )
    },
}


@pytest.fixture
def real(qemu_tree: Path) -> Tree:
    return DirectoryTree(qemu_tree)


def _as_new(tree: Tree, family: str) -> dict[tuple[str, str], str]:
    schema = load_schema(tree)
    pack = next(p for p in choose_packs(load_packs(), tree) if p.family == family)
    members = watched_members(schema, pack)
    found: dict[tuple[str, str], str] = {}
    for member in members:
        existing = [m for m in members if m.name != member.name]
        inferred = infer_sites(pack, tree, existing)
        for r in thread_member(
            pack, member, existing, tree, [Snapshot(1, tree, schema)], inferred=inferred
        ):
            found[(r.member, r.site_id)] = r.cls
    return found


def test_layout_is_8_1(real: Tree) -> None:
    names = {p.family: p.name for p in choose_packs(load_packs(), real)}
    assert names["migration-parameters"] == "qemu-migration-8.1"
    assert names["migration-capabilities"] == "qemu-capabilities"


def test_existing_parameters_as_new_report_only_known_gaps(real: Tree) -> None:
    assert _as_new(real, "migration-parameters") == KNOWN_PARAMETER_GAPS


def test_existing_capabilities_as_new_report_only_known_gaps(real: Tree) -> None:
    assert _as_new(real, "migration-capabilities") == KNOWN_CAPABILITY_GAPS


def test_inferred_sites_of_10_2_2(real: Tree) -> None:
    schema = load_schema(real)
    pack = next(p for p in choose_packs(load_packs(), real) if p.family == "migration-parameters")
    sites = {s.function: s for s in infer_sites(pack, real, watched_members(schema, pack))}
    assert set(sites) == {
        "hmp_info_migrate_parameters",
        "hmp_migrate_set_parameter",
        "migration_properties",
        "qmp_query_migrate_parameters",
        "migrate_params_init",
        "migrate_params_test_apply",
        "migrate_params_apply",
    }
    assert sites["hmp_info_migrate_parameters"].missing == (
        "multifd-zlib-level",
        "multifd-zstd-level",
        "multifd-qatzip-level",
    )
    assert sites["migrate_params_init"].evidence("parameters") == (
        "27 of 30 existing parameters appear here; the 3 that do not: tls-authz, "
        "avail-switchover-bandwidth, block-bitmap-mapping"
    )


@pytest.mark.parametrize("qtype", ["bool", "uint8", "size", "str", "[str]", "MigMode"])
def test_parameter_at_every_site_gives_no_finding(real: Tree, tmp_path: Path, qtype: str) -> None:
    changes = thread_parameter(real, NewParam("new-knob", qtype))
    mail = tmp_path / "series.mbox"
    mail.write_text(series_mbox(real, [changes], "migration: add new-knob"))
    report = review([str(mail)], ReviewOptions(base=real))
    found = [f.message for f in report.findings if f.code in (*X_CODES, "X999", "P001")]
    assert found == []


@pytest.mark.parametrize(
    ("qtype", "skip", "code", "function"),
    [
        ("bool", "hmp-set", "X101", "hmp_migrate_set_parameter"),
        ("size", "query", "X101", "qmp_query_migrate_parameters"),
        ("uint8", "init", "X102", "migrate_params_init"),
        ("str", "apply", "X101", "migrate_params_apply"),
        ("MigMode", "qdev-property", "X102", "migration_properties"),
        ("uint8", "check", "X103", "migrate_params_check"),
        ("str", "null-rewrite", "X102", "qmp_migrate_set_parameters"),
        ("[str]", "test-apply", "X101", "migrate_params_test_apply"),
    ],
)
def test_parameter_missing_one_site(
    real: Tree, tmp_path: Path, qtype: str, skip: str, code: str, function: str
) -> None:
    changes = thread_parameter(real, NewParam("new-knob", qtype), skip=[skip])
    mail = tmp_path / "series.mbox"
    mail.write_text(series_mbox(real, [changes], "migration: add new-knob"))
    report = review([str(mail)], ReviewOptions(base=real))
    found = [f for f in report.findings if f.code in X_CODES]
    assert [(f.code, f.extra["site"]["function"]) for f in found] == [(code, function)]


def test_new_net_driver_without_init_function(real: Tree, tmp_path: Path) -> None:
    schema = real.read_text("qapi/net.json") or ""
    at = schema.index("'data': [", schema.index("{ 'enum': 'NetClientDriver'")) + len("'data': [")
    changes = {"qapi/net.json": (schema[:at] + " 'fastnet'," + schema[at:]).encode()}
    mail = tmp_path / "series.mbox"
    mail.write_text(series_mbox(real, [changes], "net: add fastnet"))
    report = review([str(mail)], ReviewOptions(base=real))
    found = [f for f in report.findings if f.code == "X110"]
    assert [(f.extra["site"]["path"], f.extra["site"]["function"]) for f in found] == [
        ("net/net.c", "net_client_init_fun")
    ]
    assert found[0].extra["suggested"] == "    [NET_CLIENT_DRIVER_FASTNET] = ...,"


def test_corpus_rfc_capability_read_directly(real: Tree, shared: Path) -> None:
    """The virtio-iterative RFC adds a capability, reads it in virtio-net.c with
    no getter in migration/options.c, and gives it no qdev property."""
    mail = shared / "corpus" / "d-rfc-virtio-iterative-migration.mbox"
    if not mail.is_file():
        pytest.skip("corpus mail absent")
    report = review([str(mail)], ReviewOptions(base=real))
    found = sorted(
        (
            f.code,
            f.extra["class"],
            f.extra["site"]["function"] or "",
            f.extra["first_missing_patch"],
        )
        for f in report.findings
        if f.code in X_CODES
    )
    assert found == [
        ("X102", "expected", "", 1),
        ("X102", "expected", "migration_properties", 1),
        ("X103", "convention", "", 1),
    ]
    assert all(
        f.extra["member"] == "virtio-iterative" for f in report.findings if f.code in X_CODES
    )


def test_8_0_layout_on_a_tree_folded_back_into_migration_c(real: Tree) -> None:
    """8.0 and older kept options.c's code in migration.c, with the has_ list
    in migration_instance_init(): fold 10.2.2 back into that shape and the 8.0
    pack finds the same gaps as the 8.1 pack does on the real tree."""
    migration = (real.read_text("migration/migration.c") or "").replace(
        "static void migration_instance_init(", "static void migration_instance_setup("
    )
    options = (real.read_text("migration/options.c") or "").replace(
        "void migrate_params_init(", "static void migration_instance_init("
    )
    old = real.overlay(
        {"migration/migration.c": (migration + options).encode(), "migration/options.c": None}
    )
    names = {p.family: p.name for p in choose_packs(load_packs(), old)}
    assert names["migration-parameters"] == "qemu-migration-8.0"
    assert _as_new(old, "migration-parameters") == KNOWN_PARAMETER_GAPS
