"""Build a new migration parameter into a QEMU-shaped tree, site by site.

Used by the threading tests: ``thread_parameter`` returns the changed files
for a parameter added at every site the tree's layout needs (11.0 with
``migrate_mark_all_params_present``, or 8.1-10.2), minus the sites named in
``skip``; ``series_mbox`` turns changes into patch mails. Site ids match the
rule packs' (``reviewtool/rules/*.toml``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reviewtool.csource import scan_c
from reviewtool.qapi.naming import c_enum_const, c_name
from reviewtool.tree import Tree

_C_TYPES = {
    "bool": "bool",
    "uint8": "uint8_t",
    "size": "uint64_t",
    "uint64": "uint64_t",
    "uint32": "uint32_t",
    "str": "const char *",
}
_PROPS = {
    "bool": "BOOL",
    "uint8": "UINT8",
    "size": "SIZE",
    "uint64": "UINT64",
    "uint32": "UINT32",
    "str": "STRING",
}
INTEGER = {"uint8", "size", "uint64", "uint32"}


@dataclass(frozen=True)
class NewParam:
    name: str
    type: str  # "bool", "uint8", "size", "str", "[str]", or an enum name

    @property
    def c(self) -> str:
        return c_name(self.name)

    @property
    def k(self) -> str:
        return c_enum_const("MigrationParameter", self.name)

    @property
    def has_flag(self) -> bool:
        return self.type != "str"

    @property
    def is_list(self) -> bool:
        return self.type.startswith("[")

    @property
    def ctype(self) -> str:
        if self.is_list:
            return "const strList *"
        return _C_TYPES.get(self.type, self.type)


def layout_of(tree: Tree) -> str:
    options = tree.read_text("migration/options.c") or ""
    return "11.0" if "migrate_mark_all_params_present" in options else "8.1"


def sites_for(p: NewParam, layout: str, qtest: bool = False) -> list[str]:
    """The site ids a parameter of this type needs in ``layout``."""
    sites = ["qtest"] if qtest else []
    sites += ["enum", "struct", "test-apply", "apply", "hmp-set", "hmp-info", "getter", "prototype"]
    if layout == "8.1":
        sites += ["set-struct", "query"]
        if p.type == "str":  # a StrOrNull in MigrateSetParameters, like tls-*
            sites.append("null-rewrite")
        if p.has_flag:
            sites.append("init")
    else:
        sites.append("has-fields" if p.has_flag else "n-str-args")
        if p.is_list:
            sites.append("finalize")
    if not p.is_list:
        sites.append("qdev-property")
    if p.type in INTEGER:
        sites.append("check")
    return sites


def _unit_span(text: str, path: str, unit: str, local: str | None = None) -> tuple[int, int]:
    found = next(u for u in scan_c(text, path).units if u.name == unit and u.kind != "declaration")
    if local is not None:
        found = found.local(local) or found
    return found.start, found.end


def insert_before_close(
    text: str, path: str, unit: str, snippet: str, local: str | None = None
) -> str:
    """Insert ``snippet`` (whole lines) before the unit's closing brace line."""
    start, end = _unit_span(text, path, unit, local)
    close = text.rindex("}", start, end)
    line_start = text.rindex("\n", 0, close) + 1
    return text[:line_start] + snippet + text[line_start:]


def insert_before_default(text: str, path: str, unit: str, snippet: str) -> str:
    start, end = _unit_span(text, path, unit)
    at = text.rindex("default:", start, end)
    line_start = text.rindex("\n", 0, at) + 1
    return text[:line_start] + snippet + text[line_start:]


def insert_before_endif(text: str, snippet: str) -> str:
    at = text.rindex("#endif")
    return text[:at] + snippet + text[at:]


def _schema_edit(text: str, head: str, opener: str, entry: str) -> str:
    at = text.index(head)
    at = text.index(opener, at) + len(opener)
    return text[:at] + entry + text[at:]


def thread_parameter(tree: Tree, p: NewParam, skip: Sequence[str] = ()) -> dict[str, bytes]:
    """Changed files adding ``p`` at every site of the tree's layout but ``skip``."""
    layout = layout_of(tree)
    qtest = next((f for f in tree.iter_files("tests/qtest/migration") if f.endswith(".c")), None)
    todo = [s for s in sites_for(p, layout, qtest is not None) if s not in skip]
    files: dict[str, str] = {}

    def edit(path: str, change: Callable[[str], str]) -> None:
        text = files.get(path)
        if text is None:
            text = tree.read_text(path)
            assert text is not None, path
        files[path] = change(text)

    c, k, name = p.c, p.k, p.name
    opts, hmp = "migration/options.c", "migration/migration-hmp-cmds.c"
    guard = f"params->has_{c}" if p.has_flag else f"params->{c}"
    set_type = "StrOrNull" if p.type == "str" else p.type
    for site in todo:
        if site == "enum":
            edit(
                "qapi/migration.json",
                lambda t: _schema_edit(
                    t, "{ 'enum': 'MigrationParameter',", "'data': [", f"'{name}', "
                ),
            )
        elif site == "struct":
            edit(
                "qapi/migration.json",
                lambda t: _schema_edit(
                    t,
                    "{ 'struct': 'MigrationParameters',",
                    "'data': { ",
                    f"'*{name}': {_qtype(p.type)},\n            ",
                ),
            )
        elif site == "set-struct":
            edit(
                "qapi/migration.json",
                lambda t: _schema_edit(
                    t,
                    "{ 'struct': 'MigrateSetParameters',",
                    "'data': { ",
                    f"'*{name}': {_qtype(set_type)},\n            ",
                ),
            )
        elif site == "has-fields":
            edit(
                opts,
                lambda t: insert_before_close(
                    t,
                    opts,
                    "migrate_mark_all_params_present",
                    f"        &p->has_{c},\n",
                    local="has_fields",
                ),
            )
        elif site == "n-str-args":
            edit(
                opts,
                lambda t: re.sub(
                    r"n_str_args = (\d+)", lambda m: f"n_str_args = {int(m.group(1)) + 1}", t
                ),
            )
        elif site in ("test-apply", "apply"):
            dest = "dest->" if site == "test-apply" else "s->parameters."
            unit = "migrate_params_test_apply" if site == "test-apply" else "migrate_params_apply"
            value = f"params->{c}"
            if p.type == "str" and layout == "8.1":
                value = f"params->{c}->u.s"
            edit(
                opts,
                lambda t, d=dest, u=unit, v=value: insert_before_close(
                    t, opts, u, f"\n    if ({guard}) {{\n        {d}{c} = {v};\n    }}\n"
                ),
            )
        elif site == "query":
            snippet = (
                f"    params->has_{c} = true;\n    params->{c} = s->parameters.{c};\n"
                if p.has_flag
                else f"    params->{c} = g_strdup(s->parameters.{c});\n"
            )
            edit(
                opts,
                lambda t, s=snippet: _before_return(t, opts, "qmp_query_migrate_parameters", s),
            )
        elif site == "null-rewrite":
            edit(
                opts,
                lambda t: insert_before_close(
                    t,
                    opts,
                    "qmp_migrate_set_parameters",
                    f"    if (params->{c} && params->{c}->type == QTYPE_QNULL) {{\n"
                    f"        params->{c}->type = QTYPE_QSTRING;\n    }}\n",
                ),
            )
        elif site == "init":
            edit(
                opts,
                lambda t: insert_before_close(
                    t, opts, "migrate_params_init", f"    params->has_{c} = true;\n"
                ),
            )
        elif site == "check":
            edit(
                opts,
                lambda t: _before_return(
                    t,
                    opts,
                    "migrate_params_check",
                    f"    if (params->has_{c} && params->{c} > 100) {{\n"
                    f'        error_setg(errp, "bad {name}");\n        return false;\n    }}\n',
                ),
            )
        elif site == "hmp-set":
            edit(
                hmp,
                lambda t: insert_before_default(
                    t,
                    hmp,
                    "hmp_migrate_set_parameter",
                    f"    case {k}:\n        p->has_{c} = true;\n        break;\n",
                ),
            )
        elif site == "hmp-info":
            edit(
                hmp,
                lambda t: insert_before_close(
                    t,
                    hmp,
                    "hmp_info_migrate_parameters",
                    f'    monitor_printf(mon, "%s: ...\\n",\n'
                    f"                   MigrationParameter_str({k}));\n",
                ),
            )
        elif site == "qdev-property":
            prop = _PROPS.get(p.type, "MIG_MODE")
            tail = "" if p.type == "str" else ", 0"
            edit(
                opts,
                lambda t, pr=prop, tl=tail: insert_before_close(
                    t,
                    opts,
                    "migration_properties",
                    f'    DEFINE_PROP_{pr}("{name}", MigrationState,\n'
                    f"                      parameters.{c}{tl}),\n",
                ),
            )
        elif site == "finalize":
            edit(
                "migration/migration.c",
                lambda t: insert_before_close(
                    t,
                    "migration/migration.c",
                    "migration_instance_finalize",
                    f"    qapi_free_strList(ms->parameters.{c});\n",
                ),
            )
        elif site == "getter":
            edit(
                opts,
                lambda t: (
                    t
                    + (
                        f"\n{p.ctype} migrate_{c}(void)\n{{\n"
                        f"    MigrationState *s = migrate_get_current();\n\n"
                        f"    return s->parameters.{c};\n}}\n"
                    )
                ),
            )
        elif site == "qtest" and qtest is not None:
            edit(qtest, lambda t: t + f'\nstatic const char *const param_{c} = "{name}";\n')
        elif site == "prototype":
            edit(
                "migration/options.h",
                lambda t: insert_before_endif(t, f"{p.ctype} migrate_{c}(void);\n"),
            )
    return {path: text.encode() for path, text in files.items()}


def _qtype(t: str) -> str:
    return "[ 'str' ]" if t == "[str]" else f"'{t}'"


def _before_return(text: str, path: str, unit: str, snippet: str) -> str:
    start, end = _unit_span(text, path, unit)
    at = text.rindex("return ", start, end)
    line_start = text.rindex("\n", 0, at) + 1
    return text[:line_start] + snippet + text[line_start:]


def patch_text(before: Tree, changes: Mapping[str, bytes]) -> str:
    """A git-style diff of ``changes`` against ``before``."""
    out = []
    for path in sorted(changes):
        old = before.read_text(path) or ""
        new = changes[path].decode()
        diff = list(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                f"a/{path}",
                f"b/{path}",
                n=3,
            )
        )
        if diff:
            out.append(f"diff --git a/{path} b/{path}\n")
            out.extend(diff)
    return "".join(out)


def series_mbox(base: Tree, steps: Sequence[Mapping[str, bytes]], subject: str) -> str:
    """An mbox with one patch mail per step (each step: files after that patch)."""
    mails = []
    tree = base
    total = len(steps)
    for i, changes in enumerate(steps, 1):
        counter = f" {i}/{total}" if total > 1 else ""
        reply = "In-Reply-To: <cover@example.org>\nReferences: <cover@example.org>\n"
        mails.append(
            "From test Mon Sep 17 00:00:00 2001\n"
            "From: Test Author <test@example.org>\n"
            f"Subject: [PATCH{counter}] {subject} (part {i})\n"
            "Date: Mon, 2 Feb 2026 10:00:00 +0000\n"
            f"Message-ID: <patch{i}@example.org>\n"
            + (reply if total > 1 else "")
            + "\nAdd the parameter.\n\nSigned-off-by: Test Author <test@example.org>\n---\n"
            + patch_text(tree, changes)
            + "-- \n2.50.0\n\n"
        )
        tree = tree.overlay(changes)
    return "".join(mails)
