"""csource.scan_c: top-level functions and initialisers of QEMU-style C."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewtool.csource import blank_c, scan_c

SAMPLE = """\
/*
 * A header comment with a brace { and a "quote
 */
#include "qemu/osdep.h"
#define DEFINE_PROP_MIG_CAP(name, x) \\
    DEFINE_PROP_BOOL(name, MigrationState, capabilities[x], false)
#define OPEN {

const Property migration_properties[] = {
    DEFINE_PROP_UINT8("x-cpu-throttle-initial", MigrationState,
                      parameters.cpu_throttle_initial, 20),
#ifdef CONFIG_LINUX
    DEFINE_PROP_MIG_CAP("x-zero-copy-send", MIGRATION_CAPABILITY_ZERO_COPY_SEND),
#endif
};
const size_t migration_properties_count = ARRAY_SIZE(migration_properties);

typedef struct MigrateCapsSet {
    int size;
} MigrateCapsSet;

static const
INITIALIZE_MIGRATE_CAPS_SET(check_caps_savevm,
                            MIGRATION_CAPABILITY_MULTIFD,
);

bool migrate_tls(void);

static void migrate_mark_all_params_present(MigrationParameters *p)
{
    int len, n_str_args = 3; /* tls-creds, tls-hostname, tls-authz } */
    bool *has_fields[] = {
        &p->has_mode, &p->has_direct_io,
    };

    if (p) {
        error_setg(errp, "a brace { in a string; and a semicolon");
    }
    // a line comment with }
    len = '}';
}

static void
hmp_split_signature(Monitor *mon,
                    const QDict *qdict)
{
    switch (val) {
    case MIGRATION_PARAMETER_MODE:
        break;
    default:
        g_assert_not_reached();
    }
}

type_init(register_migration_types)

uint32_t HELPER(neon_qabs_s8)(CPUARMState *env, uint32_t x)
{
    return x;
}

struct Foo *make_foo(void)
{
    return NULL;
}

OBJECT_DEFINE_SIMPLE_TYPE_WITH_INTERFACES(RamBlockAttributes, ram_block_attributes,
                                          RAM_BLOCK_ATTRIBUTES, OBJECT,
                                          { TYPE_RAM_DISCARD_MANAGER }, { })

static size_t last_one(void)
{
    return 0;
}
"""


def test_units_names_kinds_and_lines() -> None:
    cfile = scan_c(SAMPLE, "migration/options.c")
    got = [(u.kind, u.name, u.start_line, u.end_line) for u in cfile.units]
    assert got == [
        ("initialiser", "migration_properties", 9, 15),
        ("declaration", "migration_properties_count", 16, 16),
        ("type", "MigrateCapsSet", 18, 20),
        ("declaration", "check_caps_savevm", 22, 25),
        ("declaration", "migrate_tls", 27, 27),
        ("function", "migrate_mark_all_params_present", 29, 41),
        ("function", "hmp_split_signature", 43, 53),
        ("macro", "type_init", 55, 55),
        ("function", "HELPER(neon_qabs_s8)", 57, 60),
        ("function", "make_foo", 62, 65),
        ("macro", "OBJECT_DEFINE_SIMPLE_TYPE_WITH_INTERFACES", 67, 69),
        ("function", "last_one", 71, 74),
    ]
    assert cfile.unattributed == ()


def test_comments_strings_and_preprocessor_are_blanked() -> None:
    cfile = scan_c(SAMPLE, "x.c")
    mark = cfile.find("migrate_mark_all_params_present")
    assert mark is not None
    assert "tls-creds" not in mark.code  # comment
    assert "semicolon" not in mark.code  # string contents
    assert '"' in mark.code  # the quotes stay
    assert [s.value for s in mark.strings] == ["a brace { in a string; and a semicolon"]
    props = cfile.find("migration_properties")
    assert props is not None
    assert [s.value for s in props.strings] == ["x-cpu-throttle-initial", "x-zero-copy-send"]
    assert props.strings[0].line == 10
    assert "CONFIG_LINUX" not in props.code
    # blanking keeps offsets: every line keeps its length
    code, _ = blank_c(SAMPLE)
    assert [len(x) for x in code.split("\n")] == [len(x) for x in SAMPLE.split("\n")]


def test_local_initialiser_inside_a_function() -> None:
    cfile = scan_c(SAMPLE, "x.c")
    mark = cfile.find("migrate_mark_all_params_present", "function")
    assert mark is not None
    local = mark.local("has_fields")
    assert local is not None and local.kind == "local"
    assert (local.start_line, local.end_line) == (32, 34)
    assert "&p->has_direct_io" in local.code
    assert mark.local("nothing") is None


def test_unit_at_and_line_of() -> None:
    cfile = scan_c(SAMPLE, "x.c")
    unit = cfile.unit_at(48)
    assert unit is not None and unit.name == "hmp_split_signature"
    assert cfile.unit_at(7) is None
    assert cfile.line_of(SAMPLE.index("type_init")) == 55


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("void f(void)\n{\n    if (x) {\n", "unbalanced"),
        ("int x;\n}\n", "stray '}'"),
        ("{\n    1;\n}\n", "block without a function name"),
        ("int x;\nfoo bar baz\n", "text after the last statement"),
    ],
)
def test_unattributed_is_reported_not_guessed(text: str, reason: str) -> None:
    cfile = scan_c(text, "bad.c")
    assert any(reason in u.reason for u in cfile.unattributed), cfile.unattributed


def test_unterminated_comment_and_string_do_not_crash() -> None:
    cfile = scan_c('int a = 1;\nconst char *s = "open\nint b; /* never closed', "x.c")
    assert [u.name for u in cfile.units][:1] == ["a"]


# ---------------------------------------------------------- the real tree

# the last "name(" on a line, skipping attributes: "void __attribute__((x)) job_init(void)"
_CALL_RE = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


def _definitions(text: str) -> list[tuple[str, int]]:
    """QEMU style: a definition's signature starts at column 0 (a lone
    "static" line may come first) and its body's "{" is alone at column 0."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        if line != "{":
            continue
        j = i - 1
        while j >= 0 and (lines[j].startswith((" ", "\t")) or not lines[j]):
            j -= 1
        names = [n for n in _CALL_RE.findall(lines[j]) if not n.startswith(("__attribute__", "G_"))]
        if not names or "=" in lines[j]:
            continue
        out.append((names[0], j + 1))
    return out


@pytest.mark.parametrize(
    "path",
    [
        "migration/options.c",
        "migration/migration-hmp-cmds.c",
        "migration/migration.c",
        "migration/savevm.c",
        "net/net.c",
        "job.c",
        "system/runstate.c",
        "system/ram-block-attributes.c",
        "monitor/hmp-cmds.c",
    ],
)
def test_real_tree_functions(qemu_tree: Path, path: str) -> None:
    text = (qemu_tree / path).read_text(encoding="utf-8", errors="surrogateescape")
    cfile = scan_c(text, path)
    assert cfile.unattributed == ()
    functions = {u.name: u.start_line for u in cfile.units if u.kind == "function"}
    expected = _definitions(text)
    assert expected
    for name, line in expected:
        # the unit starts at the signature, or at its return type a line above
        assert functions.get(name) in (line, line - 1), (name, line, functions.get(name))
    lines = text.split("\n")
    for unit in cfile.units:
        if unit.kind == "function":
            # each function ends at a "}" in column 0
            assert lines[unit.end_line - 1].startswith("}"), (unit.name, unit.end_line)


def test_real_tree_options_c_units(qemu_tree: Path) -> None:
    text = (qemu_tree / "migration/options.c").read_text()
    cfile = scan_c(text, "migration/options.c")
    props = cfile.find("migration_properties")
    assert props is not None and props.kind == "initialiser"
    assert (
        props.start_line == text.split("\n").index("const Property migration_properties[] = {") + 1
    )
    assert "x-max-bandwidth" in [s.value for s in props.strings]
    caps = cfile.find("check_caps_background_snapshot")
    assert caps is not None and "MIGRATION_CAPABILITY_ZERO_COPY_SEND" in caps.code
    apply = cfile.find("migrate_params_apply")
    assert apply is not None and (apply.start_line, apply.end_line) == (1336, 1472)
    net = (qemu_tree / "net/net.c").read_text()
    table = scan_c(net, "net/net.c").find("net_client_init_fun")
    assert table is not None and table.kind == "initialiser"
    assert "NET_CLIENT_DRIVER__MAX" in table.code
