"""The check registry: ``@check`` turns a small generator into a ``CheckSpec``.

A check is a generator that reads a ``CheckContext`` (and, for
``Scope.PATCH``, one patch) and yields ``Hit``s, and, for what it checked
and found fine, ``Passed`` records. The runner stamps each hit with the
check's code, name and severity and makes it a ``Finding``; each ``Passed``
becomes a ``Verified`` (never a finding: no severity, no effect on the
verdict or the exit code). A
check's docstring is its documentation: a summary line, a ``Why:``
paragraph, and example lines that a test harvests and runs::

    Okay: ok-seed.mbox
    X101: flagged-no-hmp-case.mbox

Each example names a mail file in ``tests/checks/fixtures/<CODE>/``; the
test runs the whole pipeline on it (against the bundled sample tree, or the
``tree/`` folder beside it when there is one, overlaid on the sample tree)
and expects the code to fire for a ``<CODE>:`` line and not for ``Okay:``.
"""

from __future__ import annotations

import enum
import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reviewtool.findings import Severity
from reviewtool.location import DiffLocation, Location

# "Okay: ok-seed.mbox", "X101: flagged-no-hmp-case.mbox"
EXAMPLE_RE = re.compile(r"^\s*(?P<kind>Okay|[A-Z]\d{3}):\s+(?P<value>\S.*?)\s*$", re.M)
# "M001", "X101"; codes never change meaning once released
CODE_RE = re.compile(r"^[A-Z]\d{3}$")
# "migration-param-site-missing"
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class Scope(enum.Enum):
    """SERIES checks run once per run; PATCH checks once per patch slot."""

    SERIES = "series"
    PATCH = "patch"


@dataclass(frozen=True, slots=True)
class Hit:
    """What a check yields; the runner adds code, name and severity."""

    message: str
    at: Location | None = None
    patch: int | None = None  # series slot (0 = cover letter); PATCH scope fills it in
    severity: Severity | None = None  # overrides the check's default severity
    related: tuple[Location, ...] = ()
    introduced_by: DiffLocation | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Passed:
    """What a check yields for something it verified and found fine.

    The runner stamps it with the check's code and name (a ``Verified``) and
    keeps it apart from the findings; --select / --ignore drop it with the
    check that yielded it.
    """

    message: str
    at: Location | None = None
    patch: int | None = None  # series slot (0 = cover letter); PATCH scope fills it in
    extra: Mapping[str, Any] = field(default_factory=dict)


CheckFunc = Callable[..., Iterator[Hit | Passed]]


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A registered check: stable code, kebab-case name, default severity."""

    code: str
    name: str
    severity: Severity
    scope: Scope
    func: CheckFunc
    status: str = "active"  # "active" or "removed" (codes are never reused)

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.func.__doc__ or "")

    @property
    def summary(self) -> str:
        return self.doc.splitlines()[0] if self.doc else ""

    def examples(self) -> list[tuple[str, str]]:
        """``(kind, value)`` pairs from the docstring; kind is "Okay" or the code."""
        return [(m["kind"], m["value"]) for m in EXAMPLE_RE.finditer(self.doc)]


REGISTRY: dict[str, CheckSpec] = {}


def check(
    code: str, name: str, *, severity: Severity, scope: Scope = Scope.SERIES
) -> Callable[[CheckFunc], CheckFunc]:
    """Register the decorated generator as check ``code`` / ``name``."""
    if not CODE_RE.match(code):
        raise ValueError(f"bad check code {code!r}")
    if not NAME_RE.match(name):
        raise ValueError(f"bad check name {name!r}")

    def register(func: CheckFunc) -> CheckFunc:
        if code in REGISTRY:
            raise ValueError(f"check code {code} registered twice")
        if any(spec.name == name for spec in REGISTRY.values()):
            raise ValueError(f"check name {name} registered twice")
        REGISTRY[code] = CheckSpec(code, name, severity, scope, func)
        return func

    return register
