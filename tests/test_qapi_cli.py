"""``review qapi``: the schema diff of a series, and ``--dump``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE
from typer.testing import CliRunner

from reviewtool.cli import app

FIXTURES = Path(__file__).resolve().parent / "checks" / "fixtures"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["qapi", *args])
    return result.exit_code, result.output


def test_seed_text() -> None:
    code, out = _run(str(SEED_SAMPLE), "--tree", str(SAMPLE_TREE))
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "qapi/qapi-schema.json:"
    assert lines[2] == "  patch 3/8 qapi: add backend-transfer migration parameter"
    assert lines[3] == (
        "    qapi/migration.json:233: added value 'backend-transfer' to enum "
        "'MigrationParameter' [undocumented, no (Since)]"
    )
    assert lines[4] == (
        "    qapi/migration.json:383: added member 'backend-transfer' (optional bool) to "
        "struct 'MigrationParameters' [documented, since 11.0]"
    )
    assert "        | backend-transfer option. (Since 11.0)" in lines
    assert "  whole series:" in lines


def test_seed_json() -> None:
    code, out = _run(str(SEED_SAMPLE), "--tree", str(SAMPLE_TREE), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["schema_version"] == 1
    (root,) = doc["roots"]
    assert root["root"] == "qapi/qapi-schema.json"
    (patch,) = root["patches"]
    assert patch["patch"] == 3 and patch["error"] is None and patch["changed"]
    members = root["series"]["diff"]["added_members"]
    assert [(m["definition"], m["member"], m["since"]) for m in members] == [
        ("MigrationParameter", "backend-transfer", None),
        ("MigrationParameters", "backend-transfer", "11.0"),
    ]
    assert root["series"]["diff"]["added"] == []


def test_broken_schema_exits_1() -> None:
    mail = FIXTURES / "Q001" / "flagged-missing-comma.mbox"
    code, out = _run(str(mail), "--tree", str(SAMPLE_TREE))
    assert code == 1
    assert "schema does not parse: qapi/migration.json:233: expected ',' or ']'" in out
    code, out = _run(str(mail), "--tree", str(SAMPLE_TREE), "--format", "json")
    error = json.loads(out)["roots"][0]["patches"][0]["error"]
    assert error["path"] == "qapi/migration.json" and error["line"] == 233


def test_dump_sample_tree() -> None:
    code, out = _run("--tree", str(SAMPLE_TREE), "--dump", "--format", "json")
    assert code == 0
    (root,) = json.loads(out)["roots"]
    assert root["counts"] == {
        "enum": 6,
        "struct": 4,
        "union": 0,
        "alternate": 1,
        "command": 4,
        "event": 0,
    }
    assert root["files"][0] == "qapi/qapi-schema.json"
    code, out = _run("--tree", str(SAMPLE_TREE), "--dump")
    assert "qapi/qapi-schema.json: 15 definitions (6 enum, 4 struct, 0 union" in out
    assert "    qapi/migration.json" in out.splitlines()


@pytest.mark.real_tree
def test_dump_real_tree(qemu_tree: Path) -> None:
    code, out = _run("--tree", str(qemu_tree), "--dump", "--format", "json")
    assert code == 0
    roots = {r["root"]: r for r in json.loads(out)["roots"]}
    assert set(roots) == {
        "qapi/qapi-schema.json",
        "qga/qapi-schema.json",
        "storage-daemon/qapi/qapi-schema.json",
    }
    assert all(r["error"] is None for r in roots.values())
    assert roots["qga/qapi-schema.json"]["files"] == ["qga/qapi-schema.json"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dump", "x.mbox"], "--dump takes no INPUT"),
        ([], "give INPUT"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    code, out = _run(*args, "--tree", str(SAMPLE_TREE))
    assert code == 2
    assert message in out


def test_missing_tree_is_an_input_error(tmp_path: Path) -> None:
    code, out = _run("--tree", str(tmp_path / "nope"), "--dump")
    assert code == 2 and "no such directory" in out
