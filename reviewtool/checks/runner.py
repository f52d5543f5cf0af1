"""Run the selected checks over a CheckContext and turn their hits into findings.

Owns selection (--select / --ignore by code or code prefix), stamping each
``Hit`` with its check's code, name and severity (a ``Finding``) and each
``Passed`` with its code and name (a ``Verified``, kept apart: never a
finding), and containment: a check that raises, or yields anything else,
becomes one ``X999 internal-error`` finding (its passes dropped too) and the
others still run. Checks never see select / ignore.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from reviewtool.checks.context import CheckContext
from reviewtool.checks.registry import REGISTRY, CheckSpec, Hit, Passed, Scope
from reviewtool.errors import UsageError
from reviewtool.findings import Finding, Severity, Verified
from reviewtool.location import DiffLocation, Location, TreeLocation
from reviewtool.series import Patch

INTERNAL_ERROR_CODE = "X999"
INTERNAL_ERROR_NAME = "internal-error"


def _internal_error(ctx: CheckContext) -> Iterator[Hit]:
    """A check crashed; its findings for this run are missing.

    Why: one broken check must not hide what every other check found, so the
    runner catches the crash and reports it here, naming the check and the
    exception. It counts as an error for ``--fail-on``. Please report it: it
    is a bug in review, not in the series.

    This is not a registered check: the runner emits it, so it has no
    examples to run and cannot be selected or ignored.
    """
    yield from ()


# Not in REGISTRY (it cannot be selected, and has no examples to run), but
# `review explain X999` and the SARIF rules list need its documentation.
INTERNAL_ERROR_SPEC = CheckSpec(
    INTERNAL_ERROR_CODE, INTERNAL_ERROR_NAME, Severity.ERROR, Scope.SERIES, _internal_error
)


def catalogue() -> tuple[CheckSpec, ...]:
    """Every registered check plus X999, in code order (for `review checks`)."""
    return (*sorted(REGISTRY.values(), key=lambda s: s.code), INTERNAL_ERROR_SPEC)


def parse_codes(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"X1,M004"`` or ``["X1", "M004"]`` -> ``("X1", "M004")`` (upper-cased)."""
    if text is None:
        return ()
    parts = text.split(",") if isinstance(text, str) else [p for t in text for p in t.split(",")]
    return tuple(p.strip().upper() for p in parts if p.strip())


def _longest(code: str, selectors: Collection[str]) -> int:
    """Length of the longest selector that ``code`` starts with, -1 for none."""
    return max((len(s) for s in selectors if code.startswith(s)), default=-1)


def select_specs(
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    registry: Mapping[str, CheckSpec] | None = None,
) -> tuple[CheckSpec, ...]:
    """The active specs chosen by ``select`` (all when empty) minus ``ignore``.

    A selector is a code (``M004``) or a prefix of codes (``X1``, ``M``); the
    longer match wins, as in flake8, so ``--select M --ignore M004`` keeps every
    M check but M004, and ``--ignore M --select M004`` keeps only M004.
    A selector that matches no registered code raises ``UsageError``.
    """
    specs = registry if registry is not None else REGISTRY
    select, ignore = tuple(select), tuple(ignore)
    codes = [*specs, INTERNAL_ERROR_CODE]
    for sel in (*select, *ignore):
        if not any(code.startswith(sel) for code in codes):
            raise UsageError(f"unknown check code or prefix {sel!r} (see `review checks`)")
    chosen = []
    for spec in sorted(specs.values(), key=lambda s: s.code):
        if spec.status != "active":
            continue
        by_select = _longest(spec.code, select)
        by_ignore = _longest(spec.code, ignore)
        if select and by_select < 0:
            continue
        # the more specific selector wins; on a tie (same selector) ignore wins
        if by_ignore >= 0 and by_select <= by_ignore:
            continue
        chosen.append(spec)
    return tuple(chosen)


@dataclass(slots=True)
class CheckResults:
    """What the chosen checks produced: findings, and what they verified."""

    findings: list[Finding] = field(default_factory=list)
    passes: list[Verified] = field(default_factory=list)


def run_checks(
    ctx: CheckContext,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    *,
    specs: Iterable[CheckSpec] | None = None,
) -> list[Finding]:
    """The findings of every chosen check over ``ctx`` (see ``run_checks_full``)."""
    return run_checks_full(ctx, select, ignore, specs=specs).findings


def run_checks_full(
    ctx: CheckContext,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    *,
    specs: Iterable[CheckSpec] | None = None,
) -> CheckResults:
    """Every chosen check over ``ctx``: PATCH scope once per patch present
    (slots 1..N, never the cover letter), SERIES scope once. ``specs``
    overrides the registry selection (tests). Findings and passes come back
    in run order (checks in code order).
    """
    chosen = tuple(specs) if specs is not None else select_specs(select, ignore)
    out = CheckResults()
    for spec in chosen:
        if spec.scope is Scope.PATCH:
            for patch in ctx.series.patches:
                _run_one(spec, ctx, patch, out)
        else:
            _run_one(spec, ctx, None, out)
    return out


def _run_one(spec: CheckSpec, ctx: CheckContext, patch: Patch | None, out: CheckResults) -> None:
    slot = patch.index if patch is not None else None
    # Collect before returning: a check that fails half-way reports its crash,
    # not a partial list that looks complete (nor passes for what it did
    # check). Stamping is inside the guard too, so a check that yields
    # something other than a Hit or a Passed is contained.
    try:
        items = spec.func(ctx, patch) if patch is not None else spec.func(ctx)
        findings: list[Finding] = []
        passes: list[Verified] = []
        for item in items:
            if isinstance(item, Passed):
                passes.append(_stamp_pass(spec, item, slot))
            else:
                findings.append(_stamp(spec, item, slot, ctx))
    except Exception as e:  # containment is the point: one bad check must not stop the run
        where = f" on patch {slot}" if slot is not None else ""
        out.findings.append(
            Finding(
                code=INTERNAL_ERROR_CODE,
                check=INTERNAL_ERROR_NAME,
                severity=Severity.ERROR,
                message=f"check {spec.code} {spec.name} crashed{where}: {type(e).__name__}: {e}",
                patch=slot,
                extra={"crashed_check": spec.code, "exception": type(e).__name__},
            )
        )
        return
    out.findings += findings
    out.passes += passes


def _stamp_pass(spec: CheckSpec, passed: Passed, slot: int | None) -> Verified:
    return Verified(
        code=spec.code,
        check=spec.name,
        message=passed.message,
        at=passed.at,
        patch=passed.patch if passed.patch is not None else slot,
        extra=dict(passed.extra),
    )


def _stamp(spec: CheckSpec, hit: Hit, slot: int | None, ctx: CheckContext) -> Finding:
    if not isinstance(hit, Hit):
        raise TypeError(f"yielded {type(hit).__name__}, not a Hit")
    patch = hit.patch if hit.patch is not None else slot
    return Finding(
        code=spec.code,
        check=spec.name,
        severity=hit.severity or spec.severity,
        message=hit.message,
        at=hit.at,
        patch=patch,
        related=hit.related,
        introduced_by=hit.introduced_by or _origin(ctx, hit.at, patch),
        extra=dict(hit.extra),
    )


def _origin(ctx: CheckContext, at: Location | None, patch: int | None) -> DiffLocation | None:
    """The diff line that brought a tree line in, from apply's line origins.

    A ``TreeLocation`` in a hit is a line of the tree after the hit's patch
    (after the whole series for series findings); a line of the base tree
    has no origin.
    """
    if not isinstance(at, TreeLocation) or at.line is None or not ctx.series.patches:
        return None
    return ctx.applied.origin(at.path, at.line, after=patch)
