"""review(): every stage once, in order, from mail inputs to a Report.

iter_messages -> build_series -> load_tree -> apply_series -> CheckContext
-> run_checks_full -> Report. Stages record facts; only the checks (the catalogue
in ``reviewtool.checks``) turn them into findings. No I/O here beyond what the
loaders do.

``qapi_dump`` and ``qapi_series`` are the two modes of ``review qapi``: the
schemas of a tree, and what a series changes in them patch by patch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import reviewtool.checks  # noqa: F401  (importing the package registers every check)
from reviewtool.apply import apply_series
from reviewtool.checks.context import DEFAULT_SCHEMA_ROOT, CheckContext, CheckOptions
from reviewtool.checks.runner import INTERNAL_ERROR_SPEC, run_checks_full, select_specs
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
    results = run_checks_full(ctx, specs=specs)
    return Report.create(
        inputs=inputs,
        tree_label=base.label,
        series=series,
        applied=applied,
        findings=results.findings,
        specs=(*specs, INTERNAL_ERROR_SPEC),
        passes=results.passes,
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


@dataclass(frozen=True, slots=True)
class QapiOutput:
    """What ``review qapi`` prints: a JSON document or text, and whether
    every schema parsed (exit 1 when not)."""

    document: dict[str, Any]
    text: str
    ok: bool


def qapi_dump(base: Tree) -> QapiOutput:
    """``review qapi --dump``: per schema root of ``base``, the definitions
    of each kind and the files read."""
    from reviewtool.qapi import SCHEMA_ROOTS, try_load_schema
    from reviewtool.qapi.summary import summarise_root
    from reviewtool.series import SCHEMA_VERSION

    roots: list[dict[str, Any]] = []
    lines = [f"tree: {base.label}"]
    for root in SCHEMA_ROOTS:
        if base.exists(root):
            entry, text = summarise_root(root, try_load_schema(base, root))
            roots.append(entry)
            lines.extend(text)
    if not roots:
        lines.append("no QAPI schema root in this tree")
    document = {"schema_version": SCHEMA_VERSION, "tree": base.label, "roots": roots}
    ok = all(entry["error"] is None for entry in roots)
    return QapiOutput(document, "\n".join(lines) + "\n", ok)


def qapi_series(inputs: Sequence[str], base: Tree, series_version: int | None) -> QapiOutput:
    """``review qapi INPUT...``: per schema root, what each patch of the
    series changes in the schema, then the whole series' change.

    Raises ``InputError`` like ``review`` when the series cannot be read.
    """
    from reviewtool.qapi import SCHEMA_ROOTS, Schema, SchemaError, try_load_schema
    from reviewtool.qapi.summary import summarise_step
    from reviewtool.series import SCHEMA_VERSION

    series = build_series(iter_messages(inputs), version=series_version)
    applied = apply_series(base, series)
    slots = [p.index for p in series.patches if p.index > 0 and p.body.has_diff]
    touches = {k: any(f.path.endswith(".json") for f in applied.diffs(k)) for k in slots}
    total = series.total or (max(slots) if slots else 0)
    ok = True
    lines = [f"tree: {base.label}"]
    if not applied.ok:
        lines.append("note: some hunks did not apply (see `review apply`); diffs are partial")
    roots_out: list[dict[str, Any]] = []
    for root in SCHEMA_ROOTS:
        if not base.exists(root) and not applied.final.exists(root):
            continue
        schemas: dict[int, Schema | SchemaError] = {0: try_load_schema(base, root)}
        previous = 0
        patches_out: list[dict[str, Any]] = []
        lines.append(f"{root}:")
        for k in slots:
            if not touches[k]:  # no .json file changed: the schema is the previous one
                schemas[k] = schemas[previous]
                patches_out.append({"patch": k, "error": None, "diff": None, "changed": False})
                previous = k
                continue
            schemas[k] = try_load_schema(applied.tree_after(k), root)
            entry, text = summarise_step(schemas[previous], schemas[k])
            ok = ok and entry["error"] is None
            patches_out.append({"patch": k, **entry})
            if text:
                patch = series.patch(k)
                lines.append(f"  patch {k}/{total} {patch.subject.text if patch else ''}".rstrip())
                lines.extend(f"    {line}" for line in text.splitlines())
            previous = k
        whole, text = summarise_step(schemas[0], schemas[previous])
        lines.append("  whole series:")
        lines.extend(f"    {line}" for line in (text or "(no schema change)\n").splitlines())
        roots_out.append({"root": root, "patches": patches_out, "series": whole})
    document = {
        "schema_version": SCHEMA_VERSION,
        "tree": base.label,
        "series": series.to_dict(),
        "roots": roots_out,
    }
    return QapiOutput(document, "\n".join(lines) + "\n", ok)
