"""The versioned JSON report (``review check --format json``), see docs/json.md.

Pure: a Report in, a JSON string out; keys are stable and sorted output is
deterministic (findings in ``Finding.sort_key`` order, passes in
``Verified.sort_key`` order, no timestamps).
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from reviewtool import __version__
from reviewtool.findings import Finding, Verified
from reviewtool.location import DiffLocation, Location, MailLocation, TreeLocation
from reviewtool.report.model import Report

SCHEMA_VERSION = 1


def location_to_dict(at: Location | None) -> dict[str, Any] | None:
    """A location as JSON: always ``kind``, ``path``, ``line``, ``function``."""
    if at is None:
        return None
    if isinstance(at, TreeLocation):
        return {"kind": "tree", "path": at.path, "line": at.line, "function": at.function}
    if isinstance(at, DiffLocation):
        return {
            "kind": "diff",
            "path": at.path,
            "line": at.line,
            "function": None,
            "patch": at.patch,
            "diff_line": at.diff_line,
        }
    assert isinstance(at, MailLocation)
    return {
        "kind": "mail",
        "path": at.source,
        "line": None,
        "function": None,
        "message": at.index,
        "body_line": at.line,
    }


def to_jsonable(value: Any) -> Any:
    """Check-specific ``extra`` values as plain JSON values."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, TreeLocation | DiffLocation | MailLocation):
        return location_to_dict(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [to_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_jsonable(to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """One finding; ``extra`` fields follow the core ones and never replace them."""
    out: dict[str, Any] = {
        "code": finding.code,
        "check": finding.check,
        "severity": finding.severity.value,
        "message": finding.message,
        "patch": finding.patch,
        "location": location_to_dict(finding.at),
        "introduced_by": location_to_dict(finding.introduced_by),
        "related": [location_to_dict(r) for r in finding.related],
    }
    for key, value in finding.extra.items():
        out.setdefault(key, to_jsonable(value))
    return out


def pass_to_dict(passed: Verified) -> dict[str, Any]:
    """One pass (checked and fine); ``extra`` fields follow the core ones."""
    out: dict[str, Any] = {
        "code": passed.code,
        "check": passed.check,
        "message": passed.message,
        "patch": passed.patch,
        "location": location_to_dict(passed.at),
    }
    for key, value in passed.extra.items():
        out.setdefault(key, to_jsonable(value))
    return out


def report_to_dict(report: Report) -> dict[str, Any]:
    """The whole report as a JSON-ready dict (see docs/json.md)."""
    counts = report.counts()
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "review", "version": __version__},
        "inputs": list(report.inputs),
        "tree": {"label": report.tree_label},
        "series": to_jsonable(report.series.to_dict()) if report.series is not None else None,
        "apply": to_jsonable(report.applied.to_dict()) if report.applied is not None else None,
        "summary": {
            "verdict": report.verdict,
            "counts": {sev.value: n for sev, n in counts.items()},
            "checks_run": [spec.code for spec in report.specs],
        },
        "findings": [finding_to_dict(f) for f in report.findings],
        "passes": [pass_to_dict(v) for v in report.passes],
    }


def render_json(report: Report) -> str:
    """The report as indented JSON text, ending in a newline."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n"
