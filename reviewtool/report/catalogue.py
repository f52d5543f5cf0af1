"""The check catalogue as text: ``review checks`` (one line per check) and
``review explain CODE`` (one check's documentation, its docstring)."""

from __future__ import annotations

from collections.abc import Sequence

from reviewtool.checks.registry import CheckSpec


def render_catalogue(specs: Sequence[CheckSpec]) -> str:
    """One line per check: code, name, default severity, scope, summary
    (and the status when the check is not active), in columns."""
    name_width = max((len(s.name) for s in specs), default=0)
    lines = []
    for spec in specs:
        status = "" if spec.status == "active" else f" ({spec.status})"
        lines.append(
            f"{spec.code}  {spec.name:<{name_width}}  {spec.severity.value:<7}  "
            f"{spec.scope.value:<6}  {spec.summary}{status}\n"
        )
    return "".join(lines)


def render_explanation(spec: CheckSpec) -> str:
    """A heading (code, name, severity, scope), a blank line, the docstring."""
    heading = f"{spec.code} {spec.name} ({spec.severity.value}, {spec.scope.value} scope)"
    return f"{heading}\n\n{spec.doc}\n"
