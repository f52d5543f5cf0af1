"""Severity, Finding and Report: the only contract between checks and reporters."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reviewtool.location import DiffLocation, Location


class Severity(enum.Enum):
    """How bad a finding is; ``rank`` orders them (higher is worse)."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by one check, stamped with the check's code."""

    code: str  # "X101": stable, never reused
    check: str  # "migration-param-site-missing"
    severity: Severity
    message: str
    at: Location | None = None
    patch: int | None = None  # series slot the finding belongs to (0 = cover, None = series)
    related: tuple[Location, ...] = ()
    introduced_by: DiffLocation | None = None  # the diff line that brought the code in
    extra: Mapping[str, Any] = field(default_factory=dict)  # check-specific JSON fields

    def sort_key(self) -> tuple[int, int, str, int, int, str]:
        """Stable output order: patch, then where, then code."""
        patch = -1 if self.patch is None else self.patch
        where = self.at.sort_key() if self.at is not None else (9, "", 0, 0)
        return (patch, where[0], where[1], where[2], where[3], self.code)


@dataclass(frozen=True, slots=True)
class Verified:
    """One thing a check looked at and found fine, stamped with the check's code.

    Never a finding: it has no severity, no reporter counts it in the verdict
    and it never changes the exit code. It shows a maintainer what was
    verified (e.g. each C site a new migration parameter does reach), beside
    what is missing.
    """

    code: str  # the check that verified it ("X101")
    check: str  # its kebab-case name
    message: str
    at: Location | None = None
    patch: int | None = None  # series slot it belongs to (0 = cover, None = series)
    extra: Mapping[str, Any] = field(default_factory=dict)  # check-specific JSON fields

    def sort_key(self) -> tuple[int, str]:
        """Stable output order: patch, then code (a check's own order within it)."""
        return (-1 if self.patch is None else self.patch, self.code)
