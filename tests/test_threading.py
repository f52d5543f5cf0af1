"""The threading check (X101/X102/X103/X110) on the bundled sample tree.

The sample tree has the 11.0 development layout. Series are built in the
test from a template (tests/threading_build.py): a new parameter added at
every site its type needs, or at every site but one (a mutant), and run
through the whole pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE
from threading_build import NewParam, layout_of, series_mbox, sites_for, thread_parameter

from reviewtool.checks.threading import infer_sites, watched_members
from reviewtool.checks.threading_rules import (
    Condition,
    choose_packs,
    load_packs,
    parse_pack,
)
from reviewtool.csource import scan_c
from reviewtool.errors import InputError
from reviewtool.findings import Finding, Severity
from reviewtool.pipeline import ReviewOptions, review
from reviewtool.qapi import load_schema
from reviewtool.tree import DirectoryTree, Tree

X_CODES = ("X101", "X102", "X103", "X110")


def sample() -> Tree:
    return DirectoryTree(SAMPLE_TREE, label="sample")


def run(tmp_path: Path, base: Tree, steps: Sequence[Mapping[str, bytes]]) -> list[Finding]:
    mail = tmp_path / "series.mbox"
    mail.write_text(series_mbox(base, steps, "migration: add a parameter"))
    report = review([str(mail)], ReviewOptions(base=base))
    assert not [f for f in report.findings if f.code in ("X999", "P001")], report.findings
    return [f for f in report.findings if f.code in X_CODES]


def pack_by_name(name: str):  # type: ignore[no-untyped-def]
    return next(p for p in load_packs() if p.name == name)


# ---------------------------------------------------------------- the seed


@pytest.fixture(scope="module")
def seed_findings() -> list[Finding]:
    report = review([str(SEED_SAMPLE)], ReviewOptions(base=sample()))
    return [f for f in report.findings if f.code in X_CODES]


def test_seed_hmp_set_abort_is_an_error(seed_findings: list[Finding]) -> None:
    errors = [f for f in seed_findings if f.code == "X101"]
    assert len(errors) == 1
    f = errors[0]
    assert f.severity is Severity.ERROR
    assert (
        "HMP `migrate_set_parameter backend-transfer ...` would reach g_assert_not_reached()"
        in (f.message)
    )
    assert f.extra["member"] == "backend-transfer"
    assert f.extra["site"] == {
        "path": "migration/migration-hmp-cmds.c",
        "function": "hmp_migrate_set_parameter",
    }
    assert f.extra["class"] == "required"
    assert f.extra["source"] == "rule pack qemu-migration-11.0"
    assert f.extra["first_missing_patch"] == 3 and f.extra["fixed_by_patch"] is None
    assert f.extra["suggested"] == "    case MIGRATION_PARAMETER_BACKEND_TRANSFER:"
    assert f.extra["evidence"].startswith("25 of 25 existing parameters appear here")
    assert f.at is not None and f.at.describe().startswith("migration/migration-hmp-cmds.c:")
    assert f.at.function == "hmp_migrate_set_parameter"  # type: ignore[union-attr]
    text = (SAMPLE_TREE / "migration/migration-hmp-cmds.c").read_text().splitlines()
    assert text[f.at.line - 1].startswith("void hmp_migrate_set_parameter(")  # type: ignore[union-attr,operator]


def test_seed_expected_sites_left_out_are_warnings(seed_findings: list[Finding]) -> None:
    warnings = {f.extra["site"]["function"]: f for f in seed_findings if f.code == "X102"}
    assert set(warnings) == {"hmp_info_migrate_parameters", "migration_properties"}
    assert all(f.severity is Severity.WARNING for f in warnings.values())
    prop = warnings["migration_properties"]
    assert prop.extra["suggested"].startswith('    DEFINE_PROP_BOOL("backend-transfer"')
    assert "block-bitmap-mapping, direct-io, cpr-exec-command" in prop.extra["evidence"]


def test_seed_four_named_sites_are_threaded(seed_findings: list[Finding]) -> None:
    functions = {f.extra["site"]["function"] for f in seed_findings}
    for site in (
        "MigrationParameter",
        "migrate_mark_all_params_present",
        "migrate_params_test_apply",
        "migrate_params_apply",
    ):
        assert site not in functions
    # the getter and its prototype (in include/migration/misc.h) are there too
    assert not [f for f in seed_findings if f.code == "X103"]


# ------------------------------------------------- complete and mutants

TYPES = ("bool", "uint8", "size", "str", "[str]", "MigMode")


@pytest.mark.parametrize("qtype", TYPES)
def test_parameter_at_every_site_gives_no_finding(tmp_path: Path, qtype: str) -> None:
    base = sample()
    changes = thread_parameter(base, NewParam("new-knob", qtype))
    assert run(tmp_path, base, [changes]) == []


# What each site's finding is, by site id: (code, function in site.function)
SITE_FUNCTION = {
    "has-fields": ("X101", "migrate_mark_all_params_present"),
    "n-str-args": ("X101", "migrate_mark_all_params_present"),
    "test-apply": ("X101", "migrate_params_test_apply"),
    "apply": ("X101", "migrate_params_apply"),
    "hmp-set": ("X101", "hmp_migrate_set_parameter"),
    "hmp-info": ("X102", "hmp_info_migrate_parameters"),
    "qdev-property": ("X102", "migration_properties"),
    "finalize": ("X102", "migration_instance_finalize"),
    "check": ("X103", "migrate_params_check"),
    "getter": ("X103", None),
    "prototype": ("X103", None),
    "struct": ("X101", "MigrationParameters"),
}


def _mutants() -> list[tuple[str, str]]:
    out = []
    for qtype in ("bool", "size", "str", "[str]"):
        for site in sites_for(NewParam("x", qtype), "11.0"):
            if site != "enum":  # without the enum member there is no parameter to thread
                out.append((qtype, site))
    return out


@pytest.mark.parametrize(("qtype", "site"), _mutants())
def test_mutant_flagged_at_that_site_only(tmp_path: Path, qtype: str, site: str) -> None:
    base = sample()
    changes = thread_parameter(base, NewParam("new-knob", qtype), skip=[site])
    found = run(tmp_path, base, [changes])
    code, function = SITE_FUNCTION[site]
    assert [f.code for f in found] == [code], [f.message for f in found]
    f = found[0]
    assert f.extra["member"] == "new-knob"
    if function is not None:
        assert f.extra["site"]["function"] == function
    assert f.extra["first_missing_patch"] == 1
    assert f.patch == 1
    assert f.extra["breaks"] and f.extra["source"] == "rule pack qemu-migration-11.0"
    if site == "has-fields":
        assert f.extra["suggested"] == "    &p->has_new_knob,"
        assert "aborts at startup" in f.message
    if site == "n-str-args":
        assert f.extra["suggested"] == "    int len, n_str_args = 4;"


def test_enum_member_without_struct_member(tmp_path: Path) -> None:
    """Dropping the struct member is a schema site (the C code cannot use it)."""
    base = sample()
    changes = thread_parameter(base, NewParam("new-knob", "bool"), skip=["struct"])
    found = [f for f in run(tmp_path, base, [changes]) if f.extra["site"]["function"]]
    assert any(
        f.code == "X101" and f.extra["site"]["function"] == "MigrationParameters" for f in found
    )


# ------------------------------------------------------------ bisection


def test_bisection_missing_in_patch_1_fixed_by_patch_2(tmp_path: Path) -> None:
    base = sample()
    p = NewParam("new-knob", "bool")
    first = thread_parameter(base, p, skip=["hmp-set"])
    step1_tree = base.overlay(first)
    complete = thread_parameter(base, p)
    second = {
        "migration/migration-hmp-cmds.c": complete["migration/migration-hmp-cmds.c"],
    }
    assert (
        step1_tree.read_bytes("migration/migration-hmp-cmds.c")
        != second["migration/migration-hmp-cmds.c"]
    )
    found = run(tmp_path, base, [first, second])
    assert [f.code for f in found] == ["X101"]
    f = found[0]
    assert f.extra["first_missing_patch"] == 1
    assert f.extra["fixed_by_patch"] == 2
    assert "does not bisect" in f.message


def test_bisection_expected_site_added_later_is_fine(tmp_path: Path) -> None:
    """HMP info support in a later patch: the intermediate tree still works."""
    base = sample()
    p = NewParam("new-knob", "bool")
    first = thread_parameter(base, p, skip=["hmp-info"])
    complete = thread_parameter(base, p)
    second = {"migration/migration-hmp-cmds.c": complete["migration/migration-hmp-cmds.c"]}
    assert run(tmp_path, base, [first, second]) == []


def test_has_flag_member_with_a_wrong_n_str_args(tmp_path: Path) -> None:
    base = sample()
    changes = dict(thread_parameter(base, NewParam("new-knob", "bool")))
    options = changes["migration/options.c"].decode().replace("n_str_args = 3", "n_str_args = 4")
    changes["migration/options.c"] = options.encode()
    found = run(tmp_path, base, [changes])
    assert [(f.code, f.extra["site"]["function"]) for f in found] == [
        ("X101", "migrate_mark_all_params_present")
    ]
    assert "n_str_args = 4, but the schema has 3" in found[0].message
    assert found[0].extra["suggested"] == "    int len, n_str_args = 3;"


def test_site_whose_hunk_did_not_apply_is_not_reported(tmp_path: Path) -> None:
    """The HMP hunk fails (P001): the check does not claim the case is missing."""
    base = sample()
    hmp = "migration/migration-hmp-cmds.c"
    other = base.overlay(
        {hmp: (base.read_text(hmp) or "").replace("g_assert_not_reached();", "abort();").encode()}
    )
    changes = thread_parameter(other, NewParam("new-knob", "bool"))
    mail = tmp_path / "series.mbox"
    mail.write_text(series_mbox(other, [changes], "migration: add a parameter"))
    report = review([str(mail)], ReviewOptions(base=base))
    codes = [(f.code, f.extra.get("site")) for f in report.findings]
    assert any(code == "P001" for code, _ in codes)
    assert [c for c in codes if c[0] in X_CODES] == []


# ------------------------------------------------------------ inference


def test_inference_finds_the_per_member_sites() -> None:
    base = sample()
    pack = pack_by_name("qemu-migration-11.0")
    members = watched_members(load_schema(base), pack)
    found = {s.function: s for s in infer_sites(pack, base, members)}
    assert {
        "hmp_info_migrate_parameters",
        "hmp_migrate_set_parameter",
        "migrate_params_test_apply",
        "migrate_params_apply",
        "migration_properties",
        "migrate_mark_all_params_present",
    } <= set(found)
    # generic code that loops to __MAX mentions no member: never a site
    assert "qmp_query_migrate_parameters" not in found
    props = found["migration_properties"]
    assert props.missing == ("block-bitmap-mapping", "direct-io", "cpr-exec-command")
    assert props.evidence("parameters").startswith("22 of 25 existing parameters appear here")


def test_inferred_site_outside_the_rule_pack(tmp_path: Path) -> None:
    """A new function that mentions every parameter becomes a site by inference."""
    base = sample()
    members = watched_members(load_schema(base), pack_by_name("qemu-migration-11.0"))
    lines = "".join(f'    trace_param("{m.name}");\n' for m in members if m.name != "direct-io")
    options = base.read_text("migration/options.c") or ""
    extended = base.overlay(
        {
            "migration/options.c": (
                options + f"\nvoid trace_all_params(void)\n{{\n{lines}}}\n"
            ).encode()
        }
    )
    changes = thread_parameter(extended, NewParam("new-knob", "bool"))
    found = run(tmp_path, extended, [changes])
    assert [f.code for f in found] == ["X102"]
    f = found[0]
    assert f.extra["source"] == "inferred"
    assert f.extra["site"] == {"path": "migration/options.c", "function": "trace_all_params"}
    assert f.extra["evidence"] == (
        "24 of 25 existing parameters appear here; the 1 that do not: direct-io"
    )


def test_site_made_generic_is_no_longer_required(tmp_path: Path) -> None:
    """Once migrate_params_test_apply() copies with QAPI_CLONE_MEMBERS (an
    11.0 follow-up), it mentions no member: a new one need not appear there."""
    base = sample()
    path = "migration/options.c"
    text = base.read_text(path) or ""
    unit = scan_c(text, path).find("migrate_params_test_apply", "function")
    assert unit is not None
    body_start = text.index("{", unit.start)
    generic = (
        text[: body_start + 1]
        + "\n    QAPI_CLONE_MEMBERS(MigrationParameters, dest, params);\n"
        + text[unit.end - 1 :]
    )
    reshaped = base.overlay({path: generic.encode()})
    changes = thread_parameter(reshaped, NewParam("new-knob", "bool"), skip=["test-apply"])
    assert run(tmp_path, reshaped, [changes]) == []


# ------------------------------------------------------- layouts, packs


def test_layout_detection() -> None:
    packs = load_packs()
    base = sample()
    names = {p.family: p.name for p in choose_packs(packs, base)}
    assert names["migration-parameters"] == "qemu-migration-11.0"
    options = (base.read_text("migration/options.c") or "").replace(
        "migrate_mark_all_params_present", "mark_all"
    )
    older = base.overlay({"migration/options.c": options.encode()})
    schema = (base.read_text("qapi/migration.json") or "") + (
        "\n{ 'struct': 'MigrateSetParameters', 'data': {} }\n"
    )
    older = older.overlay({"qapi/migration.json": schema.encode()})
    assert {p.family: p.name for p in choose_packs(packs, older)}[
        "migration-parameters"
    ] == "qemu-migration-8.1"
    oldest = older.overlay({"migration/options.c": None})
    assert {p.family: p.name for p in choose_packs(packs, oldest)}[
        "migration-parameters"
    ] == "qemu-migration-8.0"
    assert layout_of(base) == "11.0"


def test_condition_contains_and_lacks() -> None:
    base = sample()
    assert Condition("migration/options.c", contains="has_fields").holds(base)
    assert not Condition("migration/options.c", lacks="has_fields").holds(base)
    assert not Condition("no/such/file.c").holds(base)


def test_bad_rule_pack_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"rules/bad\.toml"):
        parse_pack("name = [", "rules/bad.toml")
    with pytest.raises(InputError, match="unknown class"):
        parse_pack(
            'name = "x"\nfamily = "f"\n[[site]]\nid = "s"\ntitle = "t"\nfiles = ["a.c"]\n'
            'class = "sometimes"\n',
            "rules/x.toml",
        )
    with pytest.raises(InputError, match="family"):
        parse_pack('name = "x"\n', "rules/y.toml")


def test_every_bundled_pack_loads() -> None:
    names = {p.name for p in load_packs()}
    assert {
        "qemu-migration-11.0",
        "qemu-migration-8.1",
        "qemu-migration-8.0",
        "qemu-capabilities",
        "qemu-enum-tables",
    } <= names


# ------------------------------------------------------------ capabilities


def _add_capability(base: Tree, name: str, skip: Sequence[str] = ()) -> dict[str, bytes]:
    c = name.replace("-", "_")
    k = "MIGRATION_CAPABILITY_" + c.upper()
    files: dict[str, str] = {}
    schema = base.read_text("qapi/migration.json") or ""
    at = schema.index("'data': [", schema.index("{ 'enum': 'MigrationCapability',")) + 9
    files["qapi/migration.json"] = schema[:at] + f"'{name}', " + schema[at:]
    options = base.read_text("migration/options.c") or ""
    if "qdev-property" not in skip:
        at = options.index("};", options.index("migration_properties[]"))
        options = options[:at] + f'    DEFINE_PROP_MIG_CAP("x-{name}", {k}),\n' + options[at:]
    if "getter" not in skip:
        options += (
            f"\nbool migrate_{c}(void)\n{{\n    MigrationState *s = migrate_get_current();\n\n"
            f"    return s->capabilities[{k}];\n}}\n"
        )
    files["migration/options.c"] = options
    if "prototype" not in skip:
        header = base.read_text("migration/options.h") or ""
        at = header.rindex("#endif")
        files["migration/options.h"] = header[:at] + f"bool migrate_{c}(void);\n" + header[at:]
    return {p: t.encode() for p, t in files.items()}


def test_capability_complete_and_mutants(tmp_path: Path) -> None:
    base = sample()
    assert run(tmp_path, base, [_add_capability(base, "fast-lane")]) == []
    for site, function in (
        ("qdev-property", "migration_properties"),
        ("getter", None),
        ("prototype", None),
    ):
        found = run(tmp_path, base, [_add_capability(base, "fast-lane", skip=[site])])
        assert [f.code for f in found] == ["X102"], (site, [f.message for f in found])
        assert found[0].extra["member"] == "fast-lane"
        if function:
            assert found[0].extra["site"]["function"] == function


# ------------------------------------------------------------ enum tables

NET_JSON = """\
##
# @NetClientDriver:
#
# @none: nothing
# @user: slirp
# @tap: tap
# @socket: socket
#
# Since: 2.7
##
{ 'enum': 'NetClientDriver',
  'data': [ 'none', 'user', 'tap', 'socket' ] }
"""

NET_C = """\
typedef int (NetClientInitFunc)(const void *netdev, const char *name);

static NetClientInitFunc * const net_client_init_fun[NET_CLIENT_DRIVER__MAX] = {
    [NET_CLIENT_DRIVER_NONE]   = net_init_none,
#ifdef CONFIG_SLIRP
    [NET_CLIENT_DRIVER_USER]   = net_init_slirp,
#endif
    [NET_CLIENT_DRIVER_TAP]    = net_init_tap,
    [NET_CLIENT_DRIVER_SOCKET] = net_init_socket,
};

/* a sparse table: only two drivers have a limit; never a required site */
static const int net_limits[NET_CLIENT_DRIVER__MAX] = {
    [NET_CLIENT_DRIVER_TAP] = 8,
    [NET_CLIENT_DRIVER_SOCKET] = 4,
};
"""


def _net_tree() -> Tree:
    base = sample()
    root = (base.read_text("qapi/qapi-schema.json") or "") + "{ 'include': 'net.json' }\n"
    return base.overlay(
        {
            "qapi/qapi-schema.json": root.encode(),
            "qapi/net.json": NET_JSON.encode(),
            "net/net.c": NET_C.encode(),
        }
    )


def _add_driver(base: Tree, entry: bool) -> dict[str, bytes]:
    schema = (base.read_text("qapi/net.json") or "").replace("'socket' ]", "'socket', 'passt' ]")
    schema = schema.replace("# @socket: socket\n", "# @socket: socket\n# @passt: passt\n")
    changes = {"qapi/net.json": schema.encode()}
    if entry:
        c = (base.read_text("net/net.c") or "").replace(
            "    [NET_CLIENT_DRIVER_SOCKET] = net_init_socket,\n",
            "    [NET_CLIENT_DRIVER_SOCKET] = net_init_socket,\n"
            "    [NET_CLIENT_DRIVER_PASST]  = net_init_passt,\n",
        )
        changes["net/net.c"] = c.encode()
    return changes


def test_enum_table_entry_missing(tmp_path: Path) -> None:
    base = _net_tree()
    found = run(tmp_path, base, [_add_driver(base, entry=False)])
    assert [f.code for f in found] == ["X110"]
    f = found[0]
    assert f.severity is Severity.WARNING
    assert f.extra["member"] == "passt"
    assert f.extra["site"] == {"path": "net/net.c", "function": "net_client_init_fun"}
    assert f.extra["suggested"] == "    [NET_CLIENT_DRIVER_PASST] = ...,"
    assert f.extra["evidence"] == "4 of 4 existing values appear here"


def test_enum_table_entry_present(tmp_path: Path) -> None:
    base = _net_tree()
    assert run(tmp_path, base, [_add_driver(base, entry=True)]) == []
