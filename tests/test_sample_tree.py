"""Consistency of the bundled sample tree samples/qemu/ and its fit with the seed.

The sample tree is test data for the applier and the threading check, so it
must be right in itself: every migration parameter threaded through the C
sites the way QEMU 11.0 does it (with QEMU's own deliberate exceptions), and
the seed patch applying with an offset on every hunk.  These tests use only
the standard library and git (no reviewtool code), so a bug in reviewtool
cannot hide a bug in the data.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
TREE = SAMPLES / "qemu"
SEED = SAMPLES / "backend-transfer-v10-3-8.mbox"

# The seed's hunks per file, in order: 10 in all.
SEED_HUNKS = {
    "include/migration/misc.h": 1,
    "migration/options.c": 6,
    "qapi/migration.json": 3,
}

# Parameters that QEMU 11.0 deliberately leaves out of a site (see
# ../shared/docs/qemu-migration-threading.md, section 1.1).
NO_QDEV_PROPERTY = {"block-bitmap-mapping", "cpr-exec-command", "direct-io"}
NO_GETTER = {
    "announce-initial",
    "announce-max",
    "announce-rounds",
    "announce-step",
    "vcpu-dirty-limit",
    "cpr-exec-command",
}


# --- small readers, enough for this tree and nothing more -------------------


def read(rel: str, root: Path | None = None) -> str:
    return ((root or TREE) / rel).read_text(encoding="utf-8")


def qapi_exprs(text: str) -> list[dict[str, object]]:
    """The top-level expressions of a QAPI schema file.

    Comment lines are dropped; what is left is a sequence of Python-literal
    dicts, which is how QEMU's own parser treats the syntax as well.
    """
    code = "\n".join("" if line.lstrip().startswith("#") else line for line in text.splitlines())
    # JSON's true/false, outside string literals, become Python's
    code = re.sub(
        r"'[^']*'|\b(true|false)\b",
        lambda m: m.group(1).capitalize() if m.group(1) else m.group(0),
        code,
    )
    exprs: list[dict[str, object]] = []
    depth, start = 0, -1
    for i, ch in enumerate(code):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                exprs.append(ast.literal_eval(code[start : i + 1]))
    assert depth == 0, "unbalanced braces in schema"
    return exprs


def find_expr(exprs: list[dict[str, object]], kind: str, name: str) -> dict[str, object]:
    for expr in exprs:
        if expr.get(kind) == name:
            return expr
    raise AssertionError(f"no {kind} {name} in the schema")


def enum_names(expr: dict[str, object]) -> list[str]:
    data = expr["data"]
    assert isinstance(data, list)
    return [item if isinstance(item, str) else item["name"] for item in data]


def struct_members(expr: dict[str, object]) -> dict[str, object]:
    """QAPI name (without '*') -> type (a name, a one-element list, or a dict)."""
    data = expr["data"]
    assert isinstance(data, dict)
    out: dict[str, object] = {}
    for key, value in data.items():
        typ = value["type"] if isinstance(value, dict) else value
        out[key.lstrip("*")] = typ
    return out


def doc_block(text: str, symbol: str) -> str:
    """The ## ... ## comment block that documents @symbol."""
    match = re.search(rf"^##\n# @{re.escape(symbol)}:\n(.*?)^##$", text, re.M | re.S)
    assert match, f"no doc block for {symbol}"
    return match.group(1)


def c_functions(text: str) -> dict[str, str]:
    """Top-level C function name -> body, for QEMU-style code ('{' and '}' in column 0)."""
    out: dict[str, str] = {}
    pattern = re.compile(r"^[A-Za-z][^;{}#]*?\b(\w+)\s*\(([^;{}]*)\)\s*\n\{\n(.*?)^\}", re.M | re.S)
    for match in pattern.finditer(text):
        out[match.group(1)] = match.group(3)
    return out


def c_initialiser(text: str, name: str) -> str:
    match = re.search(rf"^[^\n;]*\b{name}\[\]\s*=\s*\{{\n(.*?)^\}};", text, re.M | re.S)
    assert match, f"no initialiser {name}[]"
    return match.group(1)


def c_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def has_flag(typ: object) -> bool:
    """Optional members get has_ unless their C type is a pointer; lists always do."""
    return isinstance(typ, list) or typ not in {"str", "StrOrNull", "any", "null"}


# --- the schema ------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict[str, object]:
    text = read("qapi/migration.json")
    exprs = qapi_exprs(text)
    params = enum_names(find_expr(exprs, "enum", "MigrationParameter"))
    members = struct_members(find_expr(exprs, "struct", "MigrationParameters"))
    caps = enum_names(find_expr(exprs, "enum", "MigrationCapability"))
    return {"text": text, "exprs": exprs, "params": params, "members": members, "caps": caps}


def test_version_is_the_11_0_development_tree() -> None:
    assert read("VERSION").strip() == "10.2.50"


def test_enum_and_struct_list_the_same_parameters(schema: dict[str, object]) -> None:
    params, members = schema["params"], schema["members"]
    assert isinstance(params, list) and isinstance(members, dict)
    assert params == list(members), "enum MigrationParameter and MigrationParameters differ"
    assert len(params) >= 10
    types = {str(t) for t in members.values()}
    # every kind of member the threading check must handle is present
    for wanted in (
        "bool",
        "uint8",
        "size",
        "uint64",
        "StrOrNull",
        "MigMode",
        "ZeroPageDetection",
        "MultiFDCompression",
        "['str']",
        "['BitmapMigrationNodeAlias']",
    ):
        assert wanted in types, wanted


def test_every_referenced_type_is_defined(schema: dict[str, object]) -> None:
    exprs = list(schema["exprs"]) + qapi_exprs(read("qapi/common.json"))  # type: ignore[call-overload]
    defined = {str(e.get(k)) for e in exprs for k in ("enum", "struct", "alternate") if k in e}
    builtins = {"str", "bool", "null", "size", "uint8", "uint32", "uint64", "int"}
    for expr in exprs:
        data = expr.get("data")
        types: list[object] = []
        if isinstance(data, dict):
            types = [v["type"] if isinstance(v, dict) else v for v in data.values()]
        elif isinstance(data, str) and "command" in expr:
            types = [data]
        if "returns" in expr:
            types.append(expr["returns"])
        for typ in types:
            name = typ[0] if isinstance(typ, list) else typ
            assert name in defined | builtins, f"{name} is not defined"


def test_struct_docs_give_a_since_per_member_and_the_enum_is_undocumented(
    schema: dict[str, object],
) -> None:
    text = str(schema["text"])
    struct_doc = doc_block(text, "MigrationParameters")
    for name in schema["members"]:  # type: ignore[attr-defined]
        entry = re.search(rf"^# @{re.escape(name)}: (.*?)(?=^#\n)", struct_doc, re.M | re.S)
        assert entry, f"@{name} is not documented in MigrationParameters"
        assert re.search(r"\([Ss]ince \d+\.\d+\)", entry.group(1)), f"@{name} has no (Since X.Y)"
    assert "# @unstable: Members @x-checkpoint-delay and" in struct_doc
    enum_doc = doc_block(text, "MigrationParameter")
    assert not re.search(r"^# @(?!unstable)[a-z-]+:", enum_doc, re.M)
    assert "'MigrationParameter'" in read("qapi/pragma.json")


# --- the C sites -------------------------------------------------------------


@pytest.fixture(scope="module")
def options() -> dict[str, str]:
    return c_functions(read("migration/options.c"))


@pytest.fixture(scope="module")
def hmp() -> dict[str, str]:
    return c_functions(read("migration/migration-hmp-cmds.c"))


def test_has_fields_and_n_str_args_match_the_struct(
    schema: dict[str, object], options: dict[str, str]
) -> None:
    body = options["migrate_mark_all_params_present"]
    listed = re.findall(r"&p->has_(\w+)", body)
    members = schema["members"]
    assert isinstance(members, dict)
    with_flag = [c_name(n) for n, t in members.items() if has_flag(t)]
    # QEMU does not keep has_fields[] in schema order, so compare as sets
    assert len(listed) == len(set(listed)), "a member is listed twice in has_fields[]"
    assert set(listed) == set(with_flag), "has_fields[] must list every non-pointer member"
    n_str = int(re.search(r"n_str_args\s*=\s*(\d+)", body).group(1))  # type: ignore[union-attr]
    assert n_str == sum(1 for t in members.values() if t == "StrOrNull") == 3
    assert len(listed) + n_str == len(members)
    assert "== MIGRATION_PARAMETER__MAX" in body


def test_every_parameter_reaches_every_per_member_site(
    schema: dict[str, object], options: dict[str, str], hmp: dict[str, str]
) -> None:
    members = schema["members"]
    assert isinstance(members, dict)
    for name, typ in members.items():
        c, up = c_name(name), c_name(name).upper()
        present = rf"if \(params->has_{c}\)" if has_flag(typ) else rf"if \(params->{c}\)"
        assert re.search(present, options["migrate_params_test_apply"]), name
        assert re.search(rf"dest->{c}\b", options["migrate_params_test_apply"]), name
        assert re.search(present, options["migrate_params_apply"]), name
        assert re.search(rf"s->parameters\.{c}\b", options["migrate_params_apply"]), name
        assert f"case MIGRATION_PARAMETER_{up}:" in hmp["hmp_migrate_set_parameter"], name
        assert re.search(rf"params->{c}\b", hmp["hmp_info_migrate_parameters"]), name
    assert re.search(r"default:\s*\n\s*g_assert_not_reached\(\);", hmp["hmp_migrate_set_parameter"])


def test_qdev_properties_cover_all_but_qemus_own_exceptions(schema: dict[str, object]) -> None:
    props = c_initialiser(read("migration/options.c"), "migration_properties")
    missing = set()
    for name in schema["members"]:  # type: ignore[attr-defined]
        prop = re.search(
            rf'DEFINE_PROP_\w+\(\s*"(?:x-)?{re.escape(name)}",\s*MigrationState,'
            rf"\s*parameters\.{c_name(name)}\b",
            props,
        )
        if not prop:
            missing.add(name)
    assert missing == NO_QDEV_PROPERTY
    for cap in schema["caps"]:  # type: ignore[attr-defined]
        up = c_name(cap).upper()
        assert re.search(
            rf'DEFINE_PROP_MIG_CAP\("(?:x-)?{re.escape(cap.removeprefix("x-"))}",'
            rf"\s*MIGRATION_CAPABILITY_{up}\)",
            props,
        ), cap


def test_getters_and_prototypes(schema: dict[str, object], options: dict[str, str]) -> None:
    headers = read("migration/options.h") + read("include/migration/client-options.h")
    for name in schema["members"]:  # type: ignore[attr-defined]
        getter = "migrate_" + c_name(name.removeprefix("x-"))
        if name in NO_GETTER:
            assert getter not in options, f"{getter} should not exist"
            continue
        assert getter in options, f"no getter {getter}()"
        assert f"parameters.{c_name(name)}" in options[getter]
        assert re.search(rf"\b{getter}\(void\);", headers), f"no prototype for {getter}"
    for cap in schema["caps"]:  # type: ignore[attr-defined]
        getter = "migrate_" + c_name(cap.removeprefix("x-"))
        assert f"[MIGRATION_CAPABILITY_{c_name(cap).upper()}]" in options[getter], cap
        assert re.search(rf"\bbool {getter}\(void\);", headers), f"no prototype for {getter}"


def test_init_query_and_finalize_follow_the_11_0_layout(
    schema: dict[str, object], options: dict[str, str]
) -> None:
    assert "migrate_mark_all_params_present(params);" in options["migrate_params_init"]
    assert "QAPI_CLONE(MigrationParameters" in options["qmp_query_migrate_parameters"]
    assert "migrate_params_check(&tmp, errp)" in options["qmp_migrate_set_parameters"]
    migration = c_functions(read("migration/migration.c"))
    assert "migrate_params_init(" in migration["migration_instance_init"]
    assert "migrate_params_check(" in migration["migration_object_check"]
    members = schema["members"]
    assert isinstance(members, dict)
    lists = [n for n, t in members.items() if isinstance(t, list)]
    assert lists == ["block-bitmap-mapping", "cpr-exec-command"]
    for name in lists:
        assert f"parameters.{c_name(name)}" in migration["migration_instance_finalize"], name


# --- the seed against the tree ------------------------------------------------


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False)


@pytest.fixture
def seed_patch(tmp_path: Path) -> tuple[Path, Path]:
    """A throwaway git copy of the sample tree and the seed's diff, from git mailinfo."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    work = tmp_path / "qemu"
    shutil.copytree(TREE, work)
    assert git(work, "init", "-q").returncode == 0
    msg, patch = tmp_path / "msg", tmp_path / "patch"
    info = git(work, "mailinfo", str(msg), str(patch), stdin=SEED.read_bytes())
    assert info.returncode == 0, info.stderr.decode()
    return work, patch


def test_seed_applies_with_an_offset_on_every_hunk(seed_patch: tuple[Path, Path]) -> None:
    work, patch = seed_patch
    result = git(work, "apply", "--check", "-v", str(patch))
    log = result.stderr.decode()
    assert result.returncode == 0, log
    per_file: dict[str, list[int]] = {}
    current = ""
    for line in log.splitlines():
        if line.startswith("Checking patch "):
            current = line.removeprefix("Checking patch ").rstrip(".")
            per_file[current] = []
        elif m := re.match(r"Hunk #(\d+) succeeded at \d+ \(offset (-?\d+) lines?\)\.", line):
            per_file[current].append(int(m.group(2)))
    assert {f: len(offsets) for f, offsets in per_file.items()} == SEED_HUNKS, log
    assert all(offset != 0 for offsets in per_file.values() for offset in offsets)


def test_seed_result_threads_backend_transfer_except_hmp_and_qdev(
    seed_patch: tuple[Path, Path],
) -> None:
    work, patch = seed_patch
    result = git(work, "apply", str(patch))
    assert result.returncode == 0, result.stderr.decode()
    schema_text = read("qapi/migration.json", work)
    exprs = qapi_exprs(schema_text)
    assert enum_names(find_expr(exprs, "enum", "MigrationParameter"))[-1] == "backend-transfer"
    members = struct_members(find_expr(exprs, "struct", "MigrationParameters"))
    assert members["backend-transfer"] == "bool"
    doc = doc_block(schema_text, "MigrationParameters")
    assert "(Since 11.0)" in doc and "migraton" in doc
    options = c_functions(read("migration/options.c", work))
    assert "&p->has_backend_transfer" in options["migrate_mark_all_params_present"]
    assert "dest->backend_transfer" in options["migrate_params_test_apply"]
    assert "s->parameters.backend_transfer" in options["migrate_params_apply"]
    assert "parameters.backend_transfer" in options["migrate_backend_transfer"]
    assert "bool migrate_backend_transfer(void);" in read("include/migration/misc.h", work)
    # what the threading check must flag: the seed leaves these sites out
    hmp = c_functions(read("migration/migration-hmp-cmds.c", work))
    assert "BACKEND_TRANSFER" not in hmp["hmp_migrate_set_parameter"]
    assert "backend_transfer" not in hmp["hmp_info_migrate_parameters"]
    props = c_initialiser(read("migration/options.c", work), "migration_properties")
    assert "backend" not in props


# --- QEMU's own generator, when a real tree is at hand ---------------------------


def test_qemu_qapi_generator_accepts_the_sample_schema(qemu_tree: Path, tmp_path: Path) -> None:
    script = qemu_tree / "scripts" / "qapi-gen.py"
    if not script.is_file():
        pytest.skip(f"{script} is absent")
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            "-o",
            str(tmp_path / "out"),
            str(TREE / "qapi" / "qapi-schema.json"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    header = (tmp_path / "out" / "qapi-types-migration.h").read_text()
    assert "MIGRATION_PARAMETER__MAX" in header
    assert "StrOrNull *tls_creds;" in header
