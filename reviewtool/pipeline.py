"""review(): every stage once, in order, from mail inputs to a Report.

iter_messages -> build_series -> load_tree -> apply_series -> CheckContext
-> run_checks -> Report. Stages record facts; only the checks (the catalogue
in ``reviewtool.checks``) turn them into findings. No I/O here beyond what the
loaders do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import reviewtool.checks  # noqa: F401  (importing the package registers every check)
from reviewtool.apply import apply_series
from reviewtool.checks.context import DEFAULT_SCHEMA_ROOT, CheckContext, CheckOptions
from reviewtool.checks.runner import INTERNAL_ERROR_SPEC, run_checks, select_specs
from reviewtool.mail.mbox import MailFact, Message, iter_messages
from reviewtool.report.model import Report
from reviewtool.series import build_series
from reviewtool.tree import Tree, load_tree

# progress(stage, done, total): called while a long stage runs (total may be None)
Progress = Callable[[str, int, "int | None"], None]


@dataclass(frozen=True, slots=True)
class ReviewOptions:
    """What one run is asked to do; every field has the CLI's default."""

    tree: str | None = None  # --tree DIR
    rev: str | None = None  # --rev REV
    base: Tree | None = None  # a tree already loaded (tests, watch mode); wins over tree/rev
    cwd: Path | None = None  # where "the current directory" is for load_tree
    series_version: int | None = None  # --series-version N
    select: tuple[str, ...] = ()  # --select codes or prefixes
    ignore: tuple[str, ...] = ()  # --ignore codes or prefixes
    schema_root: str = DEFAULT_SCHEMA_ROOT


def review(
    inputs: Sequence[str],
    options: ReviewOptions | None = None,
    *,
    progress: Progress | None = None,
) -> Report:
    """Review the series in ``inputs`` against the options' tree.

    Raises ``InputError`` / ``UsageError`` when the run cannot start (no such
    file, no patch at all, unknown check code); everything wrong with the
    series itself comes back as findings.
    """
    options = options or ReviewOptions()
    specs = select_specs(options.select, options.ignore)  # bad codes fail before any work
    mail = iter_messages(inputs)  # streamed: only the messages the series keeps stay
    if progress is not None:
        mail = _counted(mail, progress)
    series = build_series(mail, version=options.series_version)
    base = options.base or load_tree(options.tree, options.rev, options.cwd or Path.cwd())
    applied = apply_series(base, series)
    ctx = CheckContext(
        series,
        base,
        applied,
        CheckOptions(schema_root=options.schema_root, series_version=options.series_version),
    )
    findings = run_checks(ctx, specs=specs)
    return Report.create(
        inputs=inputs,
        tree_label=base.label,
        series=series,
        applied=applied,
        findings=findings,
        specs=(*specs, INTERNAL_ERROR_SPEC),
    )


def _counted(
    items: Iterable[Message | MailFact], progress: Progress
) -> Iterator[Message | MailFact]:
    """Pass ``items`` through, telling ``progress`` how many were read so far."""
    done = 0
    for item in items:
        done += 1
        if done % 50 == 0:
            progress("reading mail", done, None)
        yield item
    progress("reading mail", done, done)
