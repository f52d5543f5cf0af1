"""Independent review cases for the threading check on a real 10.2.2 tree.

Each case is a patch written the way QEMU developers add a migration
parameter or capability (qapi/migration.json's three definitions with docs,
migration/options.c, options.h, migration-hmp-cmds.c, a qtest line), made
with real git in tmp_path from the real tree's files and sent through
``review``: the complete version gives no error or warning, a version that
leaves out one site is flagged at exactly that site, and a series that adds
the schema first and the C sites later reports the gap between the patches.
The edits below are our own templates; no QEMU source is kept here.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import git_out

from reviewtool.checks.threading import Snapshot, thread_member, watched_members
from reviewtool.checks.threading_rules import choose_packs, load_packs
from reviewtool.findings import Finding
from reviewtool.pipeline import ReviewOptions, review
from reviewtool.qapi import load_schema
from reviewtool.tree import DirectoryTree

pytestmark = pytest.mark.real_tree

X_CODES = ("X101", "X102", "X103", "X110", "X999")
FILES = (
    "qapi/migration.json",
    "migration/options.c",
    "migration/options.h",
    "migration/migration-hmp-cmds.c",
    "tests/qtest/migration/misc-tests.c",
    "hw/core/qdev-properties-system.c",
    "include/hw/qdev-properties-system.h",
)
Files = dict[str, str]
Edit = Callable[[Files], None]


# --------------------------------------------------------------- templates


def _after(text: str, anchor: str, snippet: str) -> str:
    assert text.count(anchor) == 1, anchor
    at = text.index(anchor) + len(anchor)
    return text[:at] + snippet + text[at:]


def _before(text: str, anchor: str, snippet: str) -> str:
    assert anchor in text, anchor
    at = text.index(anchor)
    return text[:at] + snippet + text[at:]


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # bool uint8 size uint64 uint32 str strornull enum list
    doc: str
    default: str = "0"
    bound: str | None = None  # a range check: the C condition that rejects
    unstable: bool = False

    @property
    def c(self) -> str:
        return self.name.replace("-", "_")

    @property
    def k(self) -> str:
        return "MIGRATION_PARAMETER_" + self.c.upper()

    @property
    def getter(self) -> str:
        return "migrate_" + (self.c[2:] if self.c.startswith("x_") else self.c)


QTYPE = {"strornull": "str", "enum": "MigFooPolicy", "list": "[str]"}
CTYPE = {
    "bool": "bool",
    "uint8": "uint8_t",
    "size": "uint64_t",
    "uint64": "uint64_t",
    "uint32": "uint32_t",
    "str": "const char *",
    "strornull": "const char *",
    "list": "const strList *",
    "enum": "MigFooPolicy",
}
PROP = {
    "bool": "BOOL",
    "uint8": "UINT8",
    "size": "SIZE",
    "uint64": "UINT64",
    "uint32": "UINT32",
    "enum": "MIG_FOO_POLICY",
}
# the end of the last member's doc in each of the three definitions
CPR_DOC = "#     the remainder its arguments.  (Since 10.2)\n#\n"


def _schema_type(p: Param, setter: bool) -> str:
    qtype = "StrOrNull" if p.kind == "strornull" and setter else QTYPE.get(p.kind, p.kind)
    if p.unstable:
        return f"{{ 'type': '{qtype}', 'features': [ 'unstable' ] }}"
    return "[ 'str' ]" if qtype == "[str]" else f"'{qtype}'"


def edit_schema(files: Files, p: Param, omit: frozenset[str]) -> None:
    text = files["qapi/migration.json"]
    if p.kind == "enum":
        text = _before(
            text,
            "##\n# @BitmapMigrationBitmapAliasTransform:",
            "##\n# @MigFooPolicy:\n#\n# @off: Never do foo.\n#\n# @on: Always do foo.\n#\n"
            "# Since: 11.0\n##\n{ 'enum': 'MigFooPolicy',\n  'data': [ 'off', 'on' ] }\n\n",
        )
    parts = text.split(CPR_DOC)
    assert len(parts) == 4
    doc = f"# @{p.name}: {p.doc}  (Since 11.0)\n#\n"
    text = parts[0]
    for site, rest in zip(("enum", "set-struct", "struct"), parts[1:], strict=True):
        text += CPR_DOC + ("" if site in omit else doc) + rest
    if p.unstable:
        old = (
            "# @unstable: Members @x-checkpoint-delay and\n"
            "#     @x-vcpu-dirty-limit-period are experimental.\n"
        )
        new = (
            "# @unstable: Members @x-checkpoint-delay,\n"
            f"#     @x-vcpu-dirty-limit-period and @{p.name} are experimental.\n"
        )
        text = text.replace(old, new)
    if "enum" not in omit:
        entry = (
            f"{{ 'name': '{p.name}', 'features': [ 'unstable' ] }}" if p.unstable else f"'{p.name}'"
        )
        text = text.replace(
            "           'cpr-exec-command'] }",
            f"           'cpr-exec-command',\n           {entry}] }}",
        )
    last = "            '*cpr-exec-command': [ 'str' ]} }"
    first = text.index(last)
    second = text.index(last, first + 1)
    pieces = [text[:first], text[first:second], text[second:]]
    for i, (site, setter) in enumerate((("set-struct", True), ("struct", False)), 1):
        if site not in omit:
            pieces[i] = pieces[i].replace(
                last,
                "            '*cpr-exec-command': [ 'str' ],\n"
                f"            '*{p.name}': {_schema_type(p, setter)}}} }}",
                1,
            )
    files["qapi/migration.json"] = "".join(pieces)


def _query(p: Param) -> str:
    if p.kind in ("str", "strornull"):
        return f"    params->{p.c} = g_strdup(s->parameters.{p.c});\n"
    if p.kind == "list":
        return (
            f"    params->has_{p.c} = true;\n    params->{p.c} = QAPI_CLONE(strList,\n"
            f"                                s->parameters.{p.c});\n"
        )
    return f"    params->has_{p.c} = true;\n    params->{p.c} = s->parameters.{p.c};\n"


def _query_lines(p: Param, omit: frozenset[str]) -> str:
    """The query lines, less the has_ line or the value line when asked."""
    lines = _query(p).splitlines(keepends=True)
    if "query-has" in omit:
        lines = [line for line in lines if "has_" not in line]
    if "query-value" in omit:
        lines = [line for line in lines if "has_" in line]
    return "".join(lines)


def _test_apply(p: Param) -> str:
    c = p.c
    if p.kind == "strornull":
        return (
            f"\n    if (params->{c}) {{\n        assert(params->{c}->type == QTYPE_QSTRING);\n"
            f"        dest->{c} = params->{c}->u.s;\n    }}\n"
        )
    has = c if p.kind == "str" else f"has_{c}"
    return f"\n    if (params->{has}) {{\n        dest->{c} = params->{c};\n    }}\n"


def _apply(p: Param) -> str:
    c = p.c
    if p.kind == "strornull":
        return (
            f"\n    if (params->{c}) {{\n        g_free(s->parameters.{c});\n"
            f"        assert(params->{c}->type == QTYPE_QSTRING);\n"
            f"        s->parameters.{c} = g_strdup(params->{c}->u.s);\n    }}\n"
        )
    if p.kind == "str":
        return (
            f"\n    if (params->{c}) {{\n        g_free(s->parameters.{c});\n"
            f"        s->parameters.{c} = g_strdup(params->{c});\n    }}\n"
        )
    if p.kind == "list":
        return (
            f"\n    if (params->has_{c}) {{\n        qapi_free_strList(s->parameters.{c});\n"
            f"        s->parameters.{c} =\n            QAPI_CLONE(strList, params->{c});\n    }}\n"
        )
    return f"\n    if (params->has_{c}) {{\n        s->parameters.{c} = params->{c};\n    }}\n"


def _hmp_info(p: Param) -> str:
    c, k = p.c, p.k
    if p.kind in ("str", "strornull"):
        return (
            f"\n        monitor_printf(mon, \"%s: '%s'\\n\",\n"
            f"            MigrationParameter_str({k}),\n            params->{c});\n"
        )
    if p.kind == "list":
        return (
            f'\n        assert(params->has_{c});\n        monitor_printf(mon, "%s:",\n'
            f"            MigrationParameter_str({k}));\n"
            f"        for (strList *e = params->{c}; e; e = e->next) {{\n"
            f'            monitor_printf(mon, " %s", e->value);\n        }}\n'
            f'        monitor_printf(mon, "\\n");\n'
        )
    value = {
        "bool": f'params->{c} ? "on" : "off"',
        "enum": f"MigFooPolicy_str(params->{c})",
    }.get(p.kind, f"params->{c}")
    fmt = "%s" if p.kind in ("bool", "enum") else '%" PRIu64 "'
    return (
        f'\n        assert(params->has_{c});\n        monitor_printf(mon, "%s: {fmt}\\n",\n'
        f"            MigrationParameter_str({k}),\n            {value});\n"
    )


def _hmp_set(p: Param) -> str:
    c, k = p.c, p.k
    if p.kind == "strornull":
        return (
            f"    case {k}:\n        p->{c} = g_new0(StrOrNull, 1);\n"
            f"        p->{c}->type = QTYPE_QSTRING;\n"
            f"        visit_type_str(v, param, &p->{c}->u.s, &err);\n        break;\n"
        )
    if p.kind == "str":
        return f"    case {k}:\n        visit_type_str(v, param, &p->{c}, &err);\n        break;\n"
    if p.kind == "list":
        return (
            f'    case {k}: {{\n        g_auto(GStrv) strv = g_strsplit(valuestr, ",", -1);\n'
            f"        strList **tail = &p->{c};\n\n        for (int i = 0; strv[i]; i++) {{\n"
            f"            QAPI_LIST_APPEND(tail, g_strdup(strv[i]));\n        }}\n"
            f"        p->has_{c} = true;\n        break;\n    }}\n"
        )
    visit = "MigFooPolicy" if p.kind == "enum" else p.kind
    return (
        f"    case {k}:\n        p->has_{c} = true;\n"
        f"        visit_type_{visit}(v, param, &p->{c}, &err);\n        break;\n"
    )


def edit_c(files: Files, p: Param, omit: frozenset[str]) -> None:
    c = p.c
    o = files["migration/options.c"]
    if "qdev-property" not in omit and p.kind != "list":
        if p.kind in ("str", "strornull"):
            prop = f'    DEFINE_PROP_STRING("{p.name}", MigrationState, parameters.{c}),\n'
        else:
            prop = (
                f'    DEFINE_PROP_{PROP[p.kind]}("{p.name}", MigrationState,\n'
                f"                      parameters.{c},\n                      {p.default}),\n"
            )
        o = _after(o, "                       ZERO_PAGE_DETECTION_MULTIFD),\n", prop)
    if "getter" not in omit:
        o = _before(
            o,
            "bool migrate_direct_io(void)\n",
            f"{CTYPE[p.kind]} {p.getter}(void)\n{{\n"
            "    MigrationState *s = migrate_get_current();\n\n"
            f"    return s->parameters.{c};\n}}\n\n",
        )
    if "query" not in omit:
        o = _before(o, "\n    return params;\n}\n\nvoid migrate_params_init", _query_lines(p, omit))
    if "init" not in omit and p.kind not in ("str", "strornull"):
        end = "    params->has_cpr_exec_command = true;\n}\n"  # the end of migrate_params_init()
        o = _before(o, end, "").replace(end, end[:-2] + f"    params->has_{c} = true;\n}}\n")
    if "check" not in omit and p.bound is not None:
        o = _before(
            o,
            "    return true;\n}\n\nstatic void migrate_params_test_apply",
            f"    if (params->has_{c} &&\n        {p.bound}) {{\n"
            f"        error_setg(errp, \"Parameter '{p.name}' is out of range\");\n"
            "        return false;\n    }\n\n",
        )
    if "test-apply" not in omit:
        o = _before(o, "}\n\nstatic void migrate_params_apply", _test_apply(p))
    if "apply" not in omit:
        o = _before(o, "}\n\nvoid qmp_migrate_set_parameters", _apply(p))
    if "null-rewrite" not in omit and p.kind == "strornull":
        o = _before(
            o,
            "\n    migrate_params_test_apply(params, &tmp);",
            f"    if (params->{c}\n        && params->{c}->type == QTYPE_QNULL) {{\n"
            f"        qobject_unref(params->{c}->u.n);\n"
            f"        params->{c}->type = QTYPE_QSTRING;\n"
            f'        params->{c}->u.s = strdup("");\n    }}\n',
        )
    files["migration/options.c"] = o
    if "prototype" not in omit:
        files["migration/options.h"] = _after(
            files["migration/options.h"],
            "bool migrate_direct_io(void);\n",
            f"{CTYPE[p.kind]} {p.getter}(void);\n",
        )
    hmp = files["migration/migration-hmp-cmds.c"]
    if "hmp-info" not in omit:
        hmp = _after(
            hmp,
            "        monitor_print_cpr_exec_command(mon, params->cpr_exec_command);\n",
            _hmp_info(p),
        )
    if "hmp-set" not in omit:
        case = _hmp_set(p)
        if "hmp-set-has" in omit:
            case = case.replace(f"        p->has_{p.c} = true;\n", "")
        hmp = _before(hmp, "    default:\n        g_assert_not_reached();", case)
    files["migration/migration-hmp-cmds.c"] = hmp
    if p.kind == "enum" and "enum-prop" not in omit:
        files["hw/core/qdev-properties-system.c"] = _before(
            files["hw/core/qdev-properties-system.c"],
            "/* --- Reserved Region --- */",
            'const PropertyInfo qdev_prop_mig_foo_policy = {\n    .type = "MigFooPolicy",\n'
            '    .description = "Foo policy (off/on)",\n'
            "    .enum_table = &MigFooPolicy_lookup,\n    .get = qdev_propinfo_get_enum,\n"
            "    .set = qdev_propinfo_set_enum,\n"
            "    .set_default_value = qdev_propinfo_set_default_value_enum,\n};\n\n",
        )
        header = files["include/hw/qdev-properties-system.h"]
        header = _after(
            header,
            "extern const PropertyInfo qdev_prop_zero_page_detection;\n",
            "extern const PropertyInfo qdev_prop_mig_foo_policy;\n",
        )
        files["include/hw/qdev-properties-system.h"] = _before(
            header,
            "#define DEFINE_PROP_LOSTTICKPOLICY",
            "#define DEFINE_PROP_MIG_FOO_POLICY(_n, _s, _f, _d) \\\n"
            "    DEFINE_PROP_SIGNED(_n, _s, _f, _d, qdev_prop_mig_foo_policy, \\\n"
            "                       MigFooPolicy)\n",
        )


def edit_qtest(files: Files, p: Param, omit: frozenset[str]) -> None:
    if "qtest" in omit:
        return
    call = {
        "bool": f'migrate_set_parameter_bool(from, "{p.name}", true);',
        "str": f'migrate_set_parameter_str(from, "{p.name}", "/tmp");',
        "strornull": f'migrate_set_parameter_str(from, "{p.name}", "NORMAL");',
        "enum": f'migrate_set_parameter_str(from, "{p.name}", "on");',
        "list": f'migrate_set_parameter_str(from, "{p.name}", "a,b");',
    }.get(p.kind, f'migrate_set_parameter_int(from, "{p.name}", 10);')
    path = "tests/qtest/migration/misc-tests.c"
    files[path] = _before(
        files[path],
        '    migrate_set_parameter_int(from, "downtime-limit", 1000000);',
        f"    {call}\n",
    )


CAP = "foo-pages"
CAP_K = "MIGRATION_CAPABILITY_FOO_PAGES"


def edit_capability(files: Files, omit: frozenset[str]) -> None:
    schema = files["qapi/migration.json"]
    schema = _after(
        schema,
        "#     such as a file.  (since 9.0)\n#\n",
        f"# @{CAP}: Send foo pages ahead of RAM.  (since 11.0)\n#\n",
    )
    files["qapi/migration.json"] = schema.replace(
        "           'dirty-limit', 'mapped-ram'] }",
        f"           'dirty-limit', 'mapped-ram', '{CAP}'] }}",
    )
    o = files["migration/options.c"]
    if "qdev-property" not in omit:
        o = _after(
            o,
            '    DEFINE_PROP_MIG_CAP("mapped-ram", MIGRATION_CAPABILITY_MAPPED_RAM),\n',
            f'    DEFINE_PROP_MIG_CAP("{CAP}", {CAP_K}),\n',
        )
    if "getter" not in omit:
        o = _before(
            o,
            "bool migrate_ignore_shared(void)\n",
            "bool migrate_foo_pages(void)\n{\n    MigrationState *s = migrate_get_current();\n\n"
            f"    return s->capabilities[{CAP_K}];\n}}\n\n",
        )
    files["migration/options.c"] = o
    if "prototype" not in omit:
        files["migration/options.h"] = _after(
            files["migration/options.h"],
            "bool migrate_mapped_ram(void);\n",
            "bool migrate_foo_pages(void);\n",
        )
    if "qtest" not in omit:
        path = "tests/qtest/migration/misc-tests.c"
        files[path] = _before(
            files[path],
            '    migrate_set_capability(from, "validate-uuid", true);',
            f'    migrate_set_capability(from, "{CAP}", true);\n',
        )


# --------------------------------------------------------------- git


def _git(repo: Path, *args: str) -> str:
    return git_out(repo, *args, name="Ann Developer", email="ann@example.org")


def make_series(qemu: Path, tmp: Path, patches: list[tuple[str, list[Edit]]]) -> Path:
    """A git format-patch mbox: one commit per (subject, edits), each edit
    applied on top of the previous patches' files (copied from ``qemu``)."""
    repo = tmp / "repo"
    for path in FILES:
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(qemu / path, repo / path)
    _git(repo, "init", "-q", "-b", "master")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    files = {path: (repo / path).read_text() for path in FILES}
    for subject, edits in patches:
        for edit in edits:
            edit(files)
        for path, text in files.items():
            (repo / path).write_text(text)
        _git(repo, "commit", "-q", "-a", "-s", "-m", f"{subject}\n\nWhy it is needed.")
    args = ["format-patch", "--stdout", f"HEAD~{len(patches)}"]
    if len(patches) > 1:
        args.insert(1, "--cover-letter")
    mbox = _git(repo, *args).replace("*** SUBJECT HERE ***", "migration: a new knob")
    out = tmp / "series.mbox"
    out.write_text(mbox)
    return out


def one_patch(p: Param, omit: frozenset[str] = frozenset()) -> list[tuple[str, list[Edit]]]:
    return [
        (
            f"migration: Add {p.name} parameter",
            [
                lambda f: edit_schema(f, p, omit),
                lambda f: edit_c(f, p, omit),
                lambda f: edit_qtest(f, p, omit),
            ],
        )
    ]


def findings(qemu: Path, mbox: Path) -> list[Finding]:
    report = review([str(mbox)], ReviewOptions(base=DirectoryTree(qemu)))
    return [f for f in report.findings if f.code in X_CODES]


def sites(found: list[Finding]) -> list[tuple[str, str, str]]:
    """(code, severity, site function or path) of each threading finding."""
    return sorted(
        (f.code, f.severity.value, f.extra["site"]["function"] or f.extra["site"]["path"])
        for f in found
    )


# --------------------------------------------------------------- the cases

PARAMS = {
    "bool": Param("dirty-sync-skip", "bool", "Skip the last dirty sync.", "false"),
    "uint8": Param(
        "postcopy-ram-percent",
        "uint8",
        "Percentage of RAM sent before postcopy.",
        "50",
        bound="params->postcopy_ram_percent > 100",
    ),
    "size": Param("xbzrle-window-size", "size", "Size of the XBZRLE window.", "4 * MiB"),
    "uint64": Param(
        "switchover-timeout",
        "uint64",
        "Milliseconds to wait for switchover.",
        "60000",
        bound="params->switchover_timeout > 3600 * 1000",
    ),
    "str": Param("checkpoint-dir", "str", "Directory for checkpoint files."),
    "strornull": Param("tls-ciphers", "strornull", "TLS cipher priority string."),
    "enum": Param("foo-policy", "enum", "When to do foo.", "MIG_FOO_POLICY_OFF"),
    "list": Param("cpr-exec-env", "list", "Environment for the new QEMU."),
    "unstable": Param("x-dirty-sync-delay", "uint32", "Delay between dirty syncs.", unstable=True),
}
# An integer with no range check gets one info finding (22 of 30 existing
# parameters have a check, 6 of 7 sizes): a fair question for a reviewer.
NO_CHECK = {"size", "unstable"}


@pytest.mark.parametrize("kind", sorted(PARAMS))
def test_complete_parameter_gives_no_error_or_warning(
    qemu_tree: Path, tmp_path: Path, kind: str
) -> None:
    p = PARAMS[kind]
    found = findings(qemu_tree, make_series(qemu_tree, tmp_path, one_patch(p)))
    expected = [("X103", "info", "migrate_params_check")] if kind in NO_CHECK else []
    assert sites(found) == expected


# (kind, site left out) -> the one finding expected
OMISSIONS = [
    ("bool", "hmp-set", ("X101", "error", "hmp_migrate_set_parameter")),
    ("bool", "qdev-property", ("X102", "warning", "migration_properties")),
    ("uint8", "hmp-info", ("X102", "warning", "hmp_info_migrate_parameters")),
    ("uint8", "check", ("X103", "info", "migrate_params_check")),
    ("size", "init", ("X102", "warning", "migrate_params_init")),  # avail-switchover-bandwidth
    ("uint64", "test-apply", ("X101", "error", "migrate_params_test_apply")),
    ("str", "apply", ("X101", "error", "migrate_params_apply")),
    ("str", "query", ("X101", "error", "qmp_query_migrate_parameters")),
    ("strornull", "null-rewrite", ("X102", "warning", "qmp_migrate_set_parameters")),
    ("strornull", "hmp-set", ("X101", "error", "hmp_migrate_set_parameter")),
    ("enum", "hmp-info", ("X102", "warning", "hmp_info_migrate_parameters")),
    ("enum", "qdev-property", ("X102", "warning", "migration_properties")),
    ("list", "init", ("X102", "warning", "migrate_params_init")),
    ("list", "hmp-set", ("X101", "error", "hmp_migrate_set_parameter")),
    ("unstable", "qdev-property", ("X102", "warning", "migration_properties")),
    ("bool", "set-struct", ("X101", "error", "MigrateSetParameters")),
    ("bool", "qtest", ("X103", "info", "tests/qtest/")),
    ("uint8", "prototype", ("X103", "info", "migration/options.h")),
    # one line of a two-line site: the site is there, but incomplete
    ("uint64", "query-has", ("X101", "error", "qmp_query_migrate_parameters")),
    ("enum", "query-value", ("X101", "error", "qmp_query_migrate_parameters")),
    ("bool", "hmp-set-has", ("X102", "warning", "hmp_migrate_set_parameter")),
]


@pytest.mark.parametrize(("kind", "omit", "expected"), OMISSIONS)
def test_parameter_missing_one_site_is_flagged_there_only(
    qemu_tree: Path, tmp_path: Path, kind: str, omit: str, expected: tuple[str, str, str]
) -> None:
    p = PARAMS[kind]
    mbox = make_series(qemu_tree, tmp_path, one_patch(p, frozenset({omit})))
    found = findings(qemu_tree, mbox)
    extra = [("X103", "info", "migrate_params_check")] if kind in NO_CHECK else []
    assert sites(found) == sorted([expected, *extra])
    hit = next(f for f in found if (f.code, f.severity.value) == expected[:2])
    assert hit.extra["member"] == p.name
    assert hit.extra["first_missing_patch"] == 1
    assert hit.extra["fixed_by_patch"] is None


def test_hmp_set_suggestion_and_message(qemu_tree: Path, tmp_path: Path) -> None:
    p = PARAMS["bool"]
    mbox = make_series(qemu_tree, tmp_path, one_patch(p, frozenset({"hmp-set"})))
    [f] = findings(qemu_tree, mbox)
    assert f.extra["suggested"] == "    case MIGRATION_PARAMETER_DIRTY_SYNC_SKIP:"
    assert "g_assert_not_reached()" in f.message
    assert f.extra["source"] == "rule pack qemu-migration-8.1"


def test_schema_first_series_reports_the_gap_as_warnings(qemu_tree: Path, tmp_path: Path) -> None:
    """Patch 1 adds the schema member, patch 2 the C sites: every patch
    builds and the final tree is right, but the tree after patch 1 accepts
    the parameter and drops it (and HMP set would abort). Reported once per
    required site, as a warning that names both patches."""
    p = PARAMS["uint8"]
    none: frozenset[str] = frozenset()
    mbox = make_series(
        qemu_tree,
        tmp_path,
        [
            ("qapi/migration: Add postcopy-ram-percent", [lambda f: edit_schema(f, p, none)]),
            (
                "migration: Implement postcopy-ram-percent",
                [lambda f: edit_c(f, p, none), lambda f: edit_qtest(f, p, none)],
            ),
        ],
    )
    found = findings(qemu_tree, mbox)
    assert sites(found) == [
        ("X101", "warning", "hmp_migrate_set_parameter"),
        ("X101", "warning", "migrate_params_apply"),
        ("X101", "warning", "migrate_params_test_apply"),
        ("X101", "warning", "qmp_query_migrate_parameters"),
    ]
    for f in found:
        assert (f.extra["first_missing_patch"], f.extra["fixed_by_patch"]) == (1, 2)
        assert "added only by patch 2" in f.message


def test_failed_hunk_hides_only_its_own_site(qemu_tree: Path, tmp_path: Path) -> None:
    """The query hunk does not apply (a context line differs); the series
    also leaves out migrate_params_test_apply(). The query site is not
    reported (P001 is), the test_apply one still is."""
    p = PARAMS["bool"]
    mbox = make_series(qemu_tree, tmp_path, one_patch(p, frozenset({"test-apply"})))
    text = mbox.read_text()
    context = "     params->cpr_exec_command = QAPI_CLONE(strList,\n"
    assert text.count(context) == 1
    mbox.write_text(text.replace(context, context[:-1] + " /* old */\n"))
    report = review([str(mbox)], ReviewOptions(base=DirectoryTree(qemu_tree)))
    assert [f.code for f in report.findings if f.code == "P001"] == ["P001"]
    found = [f for f in report.findings if f.code in X_CODES]
    assert sites(found) == [("X101", "error", "migrate_params_test_apply")]


def test_complete_capability(qemu_tree: Path, tmp_path: Path) -> None:
    mbox = make_series(
        qemu_tree,
        tmp_path,
        [("migration: Add foo-pages capability", [lambda f: edit_capability(f, frozenset())])],
    )
    assert findings(qemu_tree, mbox) == []


@pytest.mark.parametrize(
    ("omit", "expected"),
    [
        ("qdev-property", ("X102", "warning", "migration_properties")),
        ("getter", ("X102", "warning", "migration/options.c")),
        ("prototype", ("X102", "warning", "migration/options.h")),
        ("qtest", ("X103", "info", "tests/qtest/")),
    ],
)
def test_capability_missing_one_site(
    qemu_tree: Path, tmp_path: Path, omit: str, expected: tuple[str, str, str]
) -> None:
    leave_out = frozenset({omit, "prototype"} if omit == "getter" else {omit})
    mbox = make_series(
        qemu_tree,
        tmp_path,
        [("migration: Add foo-pages capability", [lambda f: edit_capability(f, leave_out)])],
    )
    found = findings(qemu_tree, mbox)
    assert sites(found) == [expected]
    assert found[0].extra["member"] == CAP


# --------------------------------------------------------------- corpus mails
# Written for older trees: their schema hunks do not apply to 10.2.2. The
# member is then taken from the failed schema hunk when the series' C code
# names it too; a site that a failed hunk would have filled is not reported.


def _corpus(shared: Path, name: str) -> Path:
    mail = shared / "corpus" / name
    if not mail.is_file():
        pytest.skip(f"{name} absent")
    return mail


def test_corpus_keepalive_reports_only_the_sites_it_never_touches(
    qemu_tree: Path, shared: Path
) -> None:
    """The postcopy-rp-keepalive-period patch (January 2025) never touches
    migration-hmp-cmds.c: HMP set and info are missing, as they are when the
    same patch is applied to the 10.0 tree it was written for. Its query,
    init, test_apply and apply hunks do not apply and are not reported."""
    mbox = _corpus(shared, "d-single-patch-migration-param-postcopy-keepalive.mbox")
    found = findings(qemu_tree, mbox)
    assert sites(found) == [
        ("X101", "error", "hmp_migrate_set_parameter"),
        ("X102", "warning", "hmp_info_migrate_parameters"),
        ("X103", "info", "tests/qtest/"),
    ]
    assert {f.extra["member"] for f in found} == {"postcopy-rp-keepalive-period"}
    assert all("schema hunk did not apply" in f.message for f in found)


def test_corpus_max_switchover_bandwidth_lacks_the_init_line(qemu_tree: Path, shared: Path) -> None:
    """The 8.2 series that became avail-switchover-bandwidth: its patch 2
    has no migrate_params_init() hunk, the omission QEMU still ships."""
    mbox = _corpus(shared, "d-for-8.2-v2-max-switchover-bandwidth.mbox")
    found = findings(qemu_tree, mbox)
    assert sites(found) == [
        ("X102", "warning", "migrate_params_init"),
        ("X103", "info", "tests/qtest/"),
    ]
    [init] = [f for f in found if f.code == "X102"]
    assert init.extra["member"] == "max-switchover-bandwidth"
    assert init.extra["first_missing_patch"] == 2
    assert init.extra["suggested"] == "    params->has_max_switchover_bandwidth = true;"


# --------------------------------------------------------------- QEMU 10.0
# A second real tree (same 8.1-10.2 layout): REVIEW_QEMU_10_0_TREE, made with
# QEMU_DEBIAN_VERSION=1:10.0.13+ds-0+deb13u1 ../shared/tools/get-qemu-tree DEST


@pytest.fixture
def qemu_10_0() -> Path:
    value = os.environ.get("REVIEW_QEMU_10_0_TREE")
    if not value or not Path(value, "VERSION").is_file():
        pytest.skip("REVIEW_QEMU_10_0_TREE is not set to a QEMU 10.0 tree")
    tree = Path(value)
    if not (tree / "VERSION").read_text().startswith("10.0."):
        pytest.skip("REVIEW_QEMU_10_0_TREE is not QEMU 10.0")
    return tree


def test_10_0_keepalive_applies_and_lacks_hmp(qemu_10_0: Path, shared: Path) -> None:
    """On the tree it was written for, the keepalive patch applies cleanly and
    the same two HMP sites are reported, without the failed-hunk note."""
    mbox = _corpus(shared, "d-single-patch-migration-param-postcopy-keepalive.mbox")
    report = review([str(mbox)], ReviewOptions(base=DirectoryTree(qemu_10_0)))
    assert [f for f in report.findings if f.code == "P001"] == []
    found = [f for f in report.findings if f.code in X_CODES]
    assert sites(found) == [
        ("X101", "error", "hmp_migrate_set_parameter"),
        ("X102", "warning", "hmp_info_migrate_parameters"),
        ("X103", "info", "tests/qtest/"),
    ]
    assert not any("schema hunk" in f.message for f in found)


def test_10_0_tls_authz_gap_in_test_apply(qemu_10_0: Path) -> None:
    """10.0 still lacks tls-authz in migrate_params_test_apply() (fixed in
    2025): checked as if it were new, it is reported there as required."""
    tree = DirectoryTree(qemu_10_0)
    schema = load_schema(tree)
    pack = next(p for p in choose_packs(load_packs(), tree) if p.family == "migration-parameters")
    members = watched_members(schema, pack)
    authz = next(m for m in members if m.name == "tls-authz")
    existing = [m for m in members if m.name != "tls-authz"]
    found = {
        (r.site_id, r.cls)
        for r in thread_member(pack, authz, existing, tree, [Snapshot(1, tree, schema)])
    }
    assert ("test-apply", "required") in found


@pytest.mark.parametrize(
    ("omit", "expected"),
    [
        ((), []),  # complete: the failed enum hunk alone is P001's business
        (("hmp-set",), [("X101", "error", "hmp_migrate_set_parameter")]),
    ],
)
def test_failed_enum_hunk_still_checks_the_c_sites(
    qemu_tree: Path, tmp_path: Path, omit: tuple[str, ...], expected: list[tuple[str, str, str]]
) -> None:
    """Only the MigrationParameter hunk fails (a context line differs), so
    the member is in the structs but not in the enum of the post-image; the
    C sites are still checked, with the member's type from the struct."""
    p = PARAMS["bool"]
    mbox = make_series(qemu_tree, tmp_path, one_patch(p, frozenset(omit)))
    text = mbox.read_text()
    context = "            'zero-page-detection',\n            'direct-io',\n-           'cpr"
    assert text.count(context) == 1
    mbox.write_text(text.replace(context, context.replace("',\n", "', 'foo',\n", 1)))
    report = review([str(mbox)], ReviewOptions(base=DirectoryTree(qemu_tree)))
    assert [f.code for f in report.findings if f.code == "P001"] == ["P001"]
    assert sites([f for f in report.findings if f.code in X_CODES]) == expected
