"""The JSON report: documented shape (a JSON Schema), stable order, extra fields."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE, corpus_files

from reviewtool.errors import InputError
from reviewtool.findings import Finding, Severity
from reviewtool.location import DiffLocation, MailLocation, TreeLocation
from reviewtool.pipeline import ReviewOptions, review
from reviewtool.report import RENDERERS
from reviewtool.report.json_format import finding_to_dict, location_to_dict, render_json
from reviewtool.report.model import Report
from reviewtool.tree import DirectoryTree

SCHEMA = json.loads((Path(__file__).parent / "check_report.schema.json").read_text())
FIXTURES = Path(__file__).resolve().parents[1] / "checks" / "fixtures"


def seed_json() -> dict:  # type: ignore[type-arg]
    report = review([str(SEED_SAMPLE)], ReviewOptions(base=DirectoryTree(SAMPLE_TREE)))
    return json.loads(render_json(report))  # type: ignore[no-any-return]


def test_seed_report_matches_the_documented_schema() -> None:
    data = seed_json()
    jsonschema.validate(data, SCHEMA)
    assert data["schema_version"] == 1
    assert data["inputs"] == [str(SEED_SAMPLE)]
    assert data["series"]["version"] == 10 and data["series"]["missing"] == [1, 2, 4, 5, 6, 7, 8]
    assert data["apply"]["applied"] is True
    assert [p["index"] for p in data["apply"]["patches"]] == [3]
    counts = data["summary"]["counts"]
    assert sum(counts.values()) == len(data["findings"])
    assert data["summary"]["verdict"] == "errors"


def test_seed_findings_fields() -> None:
    findings = seed_json()["findings"]
    m011 = next(f for f in findings if f["code"] == "M011")
    assert m011 == {
        "code": "M011",
        "check": "signed-off-by-no-email",
        "severity": "error",
        "message": "Signed-off-by: Vladimir Sementsov-Ogievskiy has no email address",
        "patch": 3,
        "location": {
            "kind": "mail",
            "path": str(SEED_SAMPLE),
            "line": None,
            "function": None,
            "message": 1,
            "body_line": 10,
        },
        "introduced_by": None,
        "related": [],
        "trailer": "Signed-off-by: Vladimir Sementsov-Ogievskiy",
    }
    # the threading check's own fields come through as top-level keys
    for f in findings:
        if f["code"].startswith("X1") and "member" in f:
            assert f["member"] == "backend-transfer"
            assert set(f["site"]) >= {"path", "function"}


def test_findings_are_in_report_order() -> None:
    data = seed_json()
    patches = [-1 if f["patch"] is None else f["patch"] for f in data["findings"]]
    assert patches == sorted(patches)


def test_output_is_deterministic() -> None:
    assert json.dumps(seed_json()) == json.dumps(seed_json())


def test_location_shapes() -> None:
    assert location_to_dict(TreeLocation("migration/options.c", 12, "migrate_params_apply")) == {
        "kind": "tree",
        "path": "migration/options.c",
        "line": 12,
        "function": "migrate_params_apply",
    }
    assert location_to_dict(DiffLocation(2, "qapi/migration.json", 40, 1011)) == {
        "kind": "diff",
        "path": "qapi/migration.json",
        "line": 1011,
        "function": None,
        "patch": 2,
        "diff_line": 40,
    }
    assert location_to_dict(MailLocation("s.mbox", 4, 7)) == {
        "kind": "mail",
        "path": "s.mbox",
        "line": None,
        "function": None,
        "message": 4,
        "body_line": 7,
    }
    assert location_to_dict(None) is None


def test_extra_fields_never_replace_core_fields() -> None:
    finding = Finding(
        "X101",
        "threading-required-site-missing",
        Severity.ERROR,
        "missing",
        at=TreeLocation("migration/options.c", 3),
        patch=1,
        extra={
            "code": "forged",
            "member": "backend-transfer",
            "site": TreeLocation("migration/options.c", 3, "f"),
            "tags": ("a", "b"),
        },
    )
    out = finding_to_dict(finding)
    assert out["code"] == "X101"
    assert out["member"] == "backend-transfer"
    assert out["site"] == {
        "kind": "tree",
        "path": "migration/options.c",
        "line": 3,
        "function": "f",
    }
    assert out["tags"] == ["a", "b"]
    json.dumps(out)  # everything is plain JSON


def test_empty_report_is_clean() -> None:
    report = Report.create(
        inputs=["x.mbox"], tree_label="t", series=None, applied=None, findings=[]
    )
    data = json.loads(RENDERERS["json"](report) or "")
    jsonschema.validate(data, SCHEMA)
    assert data["summary"] == {
        "verdict": "clean",
        "counts": {"error": 0, "warning": 0, "info": 0},
        "checks_run": [],
    }
    assert data["series"] is None and data["apply"] is None and data["findings"] == []


@pytest.mark.parametrize(
    "mail",
    sorted(FIXTURES.rglob("*.mbox")),
    ids=lambda p: p.relative_to(FIXTURES).as_posix(),
)
def test_every_fixture_report_matches_the_schema(mail: Path) -> None:
    report = review([str(mail)], ReviewOptions(base=DirectoryTree(SAMPLE_TREE)))
    jsonschema.validate(json.loads(render_json(report)), SCHEMA)


@pytest.mark.corpus
@pytest.mark.parametrize("mbox", corpus_files(), ids=lambda p: p.name)
def test_corpus_reports_match_the_schema(mbox: Path) -> None:
    try:
        report = review([str(mbox)], ReviewOptions(base=DirectoryTree(SAMPLE_TREE)))
    except InputError as e:  # a discussion thread has no patch
        assert "no patch found" in str(e)
        return
    jsonschema.validate(json.loads(render_json(report)), SCHEMA)
