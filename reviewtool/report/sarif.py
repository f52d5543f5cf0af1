"""SARIF 2.1.0 rendering: one run, rules from the check catalogue.

Owns the mapping of a ``Report`` onto the SARIF object model: ``tool.driver``
carries one rule per check (id = code, name, summary, docstring as help,
default level); each finding becomes a result located in the post-image file
it concerns (``artifactLocation.uri`` relative to the reviewed tree, with the
``SRCROOT`` base id) and carries its check-specific fields in ``properties``.
Findings about a mail (a missing Signed-off-by, a missing patch) have no tree
file to point at: they are located at the mail input as given (GitHub code
scanning refuses a result without a location) and carry the message position
in ``properties.mail``. Imports findings, location, checks (catalogue metadata).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from reviewtool import __version__
from reviewtool.checks.registry import CheckSpec
from reviewtool.checks.runner import catalogue
from reviewtool.findings import Finding, Severity
from reviewtool.location import DiffLocation, Location, MailLocation, TreeLocation
from reviewtool.report.model import Report

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_NAME = "review"
# Every uri is relative to the reviewed tree; consumers resolve SRCROOT to
# their checkout (GitHub code scanning does this by itself).
SRCROOT = "SRCROOT"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_sarif(report: Report) -> str:
    """The SARIF log of ``report`` as indented JSON (deterministic, ends with a newline)."""
    return json.dumps(build_sarif(report), indent=2, ensure_ascii=False) + "\n"


def build_sarif(report: Report) -> dict[str, Any]:
    """The SARIF log of ``report`` as plain JSON-ready data."""
    specs = rule_specs(report.specs, (f.code for f in report.findings))
    index = {spec.code: i for i, spec in enumerate(specs)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "rules": [_rule(spec) for spec in specs],
            }
        },
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": f"the reviewed tree: {report.tree_label}"}}
        },
        "results": [_result(f, index, report.inputs) for f in report.findings],
    }
    if report.series is not None and report.series.patches:
        first = report.series.cover or report.series.patches[0]
        run["properties"] = {"series": first.subject.raw}
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def rule_specs(ran: Iterable[CheckSpec], codes: Iterable[str]) -> list[CheckSpec]:
    """The checks that ran (the whole catalogue when unknown), plus any code
    that a finding carries (X999, the runner's internal error), in code order."""
    known = {spec.code: spec for spec in catalogue()}
    chosen = {spec.code: spec for spec in ran} or dict(known)
    for code in codes:
        if code not in chosen and code in known:
            chosen[code] = known[code]
    return [chosen[code] for code in sorted(chosen)]


def _rule(spec: CheckSpec) -> dict[str, Any]:
    doc = spec.doc or spec.summary or spec.name
    rule: dict[str, Any] = {
        "id": spec.code,
        "name": spec.name,
        "shortDescription": {"text": spec.summary or spec.name},
        "fullDescription": {"text": doc},
        "help": {"text": doc},
        "defaultConfiguration": {"level": LEVELS[spec.severity]},
        "properties": {"scope": spec.scope.value},
    }
    if spec.status != "active":
        rule["properties"]["status"] = spec.status
    return rule


def _result(finding: Finding, index: Mapping[str, int], inputs: Sequence[str]) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": finding.code}
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    result["level"] = LEVELS[finding.severity]
    result["message"] = {"text": finding.message}
    location = _physical(finding.at) or _physical(finding.introduced_by)
    if location is None:
        # GitHub code scanning refuses a result without a location: point a
        # mail or series finding at the mail input it is about.
        source = finding.at.source if isinstance(finding.at, MailLocation) else None
        source = source or next(iter(inputs), None)
        location = _input_location(source) if source else None
    if location is not None:
        result["locations"] = [{"physicalLocation": location}]
    related = [
        {"id": i, "physicalLocation": loc}
        for i, loc in enumerate(p for p in map(_physical, finding.related) if p is not None)
    ]
    if related:
        result["relatedLocations"] = related
    result["properties"] = _properties(finding)
    return result


def _physical(at: Location | None) -> dict[str, Any] | None:
    """A physicalLocation in the post-image tree, or None for mail positions."""
    if not isinstance(at, TreeLocation | DiffLocation):
        return None
    path, line = at.path, at.line
    location: dict[str, Any] = {"artifactLocation": {"uri": _uri(path), "uriBaseId": SRCROOT}}
    if line is not None and line > 0:
        location["region"] = {"startLine": line}
    return location


def _input_location(source: str) -> dict[str, Any]:
    """The mail input as given (relative to where review ran; absolute as file URI)."""
    if source in ("-", "<stdin>"):
        return {"artifactLocation": {"uri": "stdin"}}
    if source.startswith("/"):
        return {"artifactLocation": {"uri": PurePosixPath(source).as_uri()}}
    return {"artifactLocation": {"uri": _uri(source)}}


def _uri(path: str) -> str:
    # SARIF wants a URI reference: keep '/' and escape what a URI cannot hold
    # (spaces, '%', '#', '?'); QEMU paths are plain, but a patch may add anything.
    out = []
    for ch in path.lstrip("/"):
        if ch.isascii() and (ch.isalnum() or ch in "-._~/+,;=@!$&'()*:"):
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out)


def _properties(finding: Finding) -> dict[str, Any]:
    props: dict[str, Any] = {"check": finding.check}
    if finding.patch is not None:
        props["patch"] = finding.patch
    if isinstance(finding.at, MailLocation):
        props["mail"] = {
            "source": finding.at.source,
            "message": finding.at.index,
            **({"line": finding.at.line} if finding.at.line is not None else {}),
        }
    if isinstance(finding.at, TreeLocation) and finding.at.function:
        props["function"] = finding.at.function
    if finding.introduced_by is not None:
        props["introducedBy"] = {
            "patch": finding.introduced_by.patch,
            "path": finding.introduced_by.path,
            "diffLine": finding.introduced_by.diff_line,
        }
    for key, value in finding.extra.items():
        props.setdefault(key, _jsonable(value))
    return props


def _jsonable(value: Any) -> Any:
    """Check-specific fields as JSON values (tuples become lists, the rest str)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if hasattr(value, "describe"):
        return str(value.describe())
    return str(value)
